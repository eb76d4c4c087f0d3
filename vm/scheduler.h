// scheduler (namespace sched): who runs next, on which thread. Scheduler
// threads with their own run queues and timers, stealing, sleeping,
// waking waiting processes, ending processes, freeing them safely, and the
// end of the program (when main/1's process ends).
//
// One scheduler per thread (--schedulers N; the thread that calls run() is
// scheduler 0). Each has run queues by priority, its own timers and its own
// list of ended processes waiting to be freed:
//
//   Scheduler k (cache lines: queues | owner's state | epoch)
//   +-----------------------------------+
//   | lock (spin), length               |
//   | queues[max]    [p p]              |  always first
//   | queues[high]   [p]                |  before normal and low
//   | queues[normal] [p p p]            |  normal and low share the CPU:
//   | queues[low]    [p]                |  every 8th normal-level pick is low's
//   | timers (timer::Timers)            |
//   | epoch, limbo (ended PCBs)         |
//   +-----------------------------------+
//
// A queue is a ring of PCB pointers (growing by doubling): a thief copies
// up to 1,024 pointers under the victim's lock, never walking PCBs.
//
// A process is in at most one run queue, and a waiting one (blocked in
// receive) is in none: it costs no CPU until a signal or its timer wakes
// it. Its Process::run_state says where it is (process.h, RunState):
//
//   kWaiting --wake: CAS--> kQueued --dequeue--> kRunning --slice ends-->
//      ^                                           |  waiting: CAS to kWaiting,
//      +-------------------------------------------+  or, if a wake set
//                                                     kNotified meanwhile,
//                                                     back to kQueued
//
// so a signal that arrives while its receiver is deciding to wait is never
// lost, and exactly one thread queues a woken process. A woken or spawned
// process goes to the waker's own queue (the message it was sent is in
// that core's cache); a scheduler whose queue holds work beyond the next
// process wakes a sleeping scheduler, which steals half of a queue.
//
// Ended processes are freed by epochs (quiescent-state reclamation): a
// scheduler may hold a PCB found by process::lookup only within a slice or
// a timer pass, and it announces the global epoch between slices. A PCB
// retired at epoch e is freed once every scheduler that is not asleep has
// announced an epoch after e; so signals can be sent without locks to a
// process that is ending at the same moment.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vm/mailbox.h"
#include "vm/process.h"

namespace sched {

using process::Process;

// Queues a runnable process that is in no queue (a new one, or one its
// creator holds): on this thread's scheduler.
void enqueue(Process* p);

// A signal arrived for `p`: queue it if it is waiting (see above).
void wake(Process* p);

// `p` is back from a dirty call (dirty.h), still busy and marked running:
// queue it on a normal scheduler and wake the sleeping ones. Called by a
// dirty pool thread.
void resume(Process* p);

// The one thread besides the schedulers that delivers signals (the poller,
// poll.h) holds an epoch while it may hold PCBs found by process::lookup:
// from pin_foreign to unpin_foreign no PCB it can find is freed.
void pin_foreign();
void unpin_foreign();

// The process running on this scheduler, or null.
Process* current();

// Timers, kept by the scheduler of the calling thread (scheduler 0 off a
// scheduler thread). Cancel and read find a timer on any scheduler.
void start_timer(uint64_t id, int64_t delay_ms, term::Term target, mailbox::Signal* message);
int64_t cancel_timer(uint64_t id);
int64_t read_timer(uint64_t id);

// The number of scheduler threads (before run(): what run() will start).
unsigned count();

// The calling thread's scheduler, 1-based (erlang:system_info(scheduler_id));
// 0 off a scheduler thread.
unsigned current_id();

// Processes waiting in each scheduler's run queues, read without locks
// (erlang:statistics(run_queue_lengths)): a moment's approximate view.
std::vector<size_t> run_queue_lengths();

// Reductions of every slice finished so far, all processes together
// (erlang:statistics(reductions)).
uint64_t total_reductions();

// Slices run so far, all processes together: each is a switch to a process
// (erlang:statistics(context_switches)).
uint64_t total_slices();

// The default for --schedulers: the CPUs this process may run on (its
// affinity mask), capped by a cgroup v2 CPU quota.
unsigned available_cpus();

// Runs every process on `schedulers` threads until `main` ends (or a
// process halts the VM); then stops the threads and frees every process
// left. Returns the exit status: 0 when main/1 returned, its halt code, or
// 1 when main ended otherwise (after printing why to stderr). `system`:
// processes made before the run (boot::start's I/O servers), queued after
// main.
int run(Process* main, unsigned schedulers = 1, std::span<Process* const> system = {});

// Bounds for running an untrusted program inside another (the program
// fuzzer, tools/fuzz_program.cpp; the command line never sets them). Off
// by default; while off they cost one predictable branch per slice and per
// idle sleep. Set before run(); they hold for every later run(), and a run
// under them frees every process it leaves (the caller runs the next).
struct Limits {
    // Reductions of all processes together (0: no limit). Past it the run
    // ends as a halt with status kReductionLimitExit.
    uint64_t reductions = 0;
    // When no process can run and only timers are pending, move the clock
    // (timer::skip_ahead) to the next deadline instead of waiting for it:
    // `receive after 100000` and timer:sleep cost no real time.
    bool virtual_time = false;
};
constexpr int kReductionLimitExit = 124;
void set_limits(const Limits& limits);

}  // namespace sched
