// Demo 1 for Node.js: a 10 ms timer next to CPU-bound work. Node runs
// every callback on one event loop, so the work (a 3-second busy loop, as
// a thousand spinners would be) must end before the timer's callback can
// run; the figure printed is how late the timer fired.
//   node timer_lateness.js
const BUSY_MS = 3000;
const start = process.hrtime.bigint();
setTimeout(() => {
  const late = Number(process.hrtime.bigint() - start) / 1e6 - 10;
  console.log(`node: a 10 ms timer beside a ${BUSY_MS} ms busy loop fired ${late.toFixed(1)} ms late`);
}, 10);
const until = Date.now() + BUSY_MS;
let n = 0;
while (Date.now() < until) n = (n + 1) & 0xffff;
