// scheduler: scheduler threads, run queues, stealing, sleeping, timers,
// ending and freeing processes (see scheduler.h).
#include "vm/scheduler.h"

#include <fmt/core.h>
#include <mimalloc.h>
#include <sched.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "vm/bif.h"
#include "vm/dirty.h"
#include "vm/exception.h"
#include "vm/format.h"
#include "vm/interp.h"
#include "vm/memory.h"
#include "vm/node.h"
#include "vm/output.h"
#include "vm/poll.h"
#include "vm/signal.h"
#include "vm/spin_lock.h"
#include "vm/timer.h"

namespace sched {

using process::Status;

namespace {

constexpr unsigned kLowEvery = 8;
constexpr size_t kMaxSteal = 1024;  // processes taken in one steal

// Fairness: a normal-priority process woken from a wait (a message, a
// timer, the end of its dirty call) goes to a queue of its own, `kWoken`,
// picked before the normal queue but never twice in a row while normal
// processes wait. A process that waits for the world runs within a slice
// or two of its wake-up however many runnable processes share the core
// (a sleeper among a thousand spinners is on time), and the spinners
// still get at least every other slice, so two processes passing a
// message back and forth cannot starve them. Only wake-ups are boosted: a
// process that used up its slice goes to the back of the normal queue.
constexpr int kWoken = process::kPriorities;
constexpr int kQueues = process::kPriorities + 1;
// The order picks and steals take queues in.
constexpr int kPickOrder[kQueues] = {process::kMax, process::kHigh, kWoken, process::kNormal,
                                     process::kLow};

// A run queue of one priority: a ring of PCB pointers that doubles when
// full. A ring, not a list threaded through the PCBs, so that a thief
// copies up to kMaxSteal pointers under the lock instead of walking as
// many PCBs (each a cache miss on the victim's core) while the victim's
// pushes wait, and a PCB carries no link.
//
//   slots: [ . . p p p p p . . ]   head and tail count up forever;
//                ^head     ^tail   slot of count i: i & (capacity - 1)
struct Queue {
    Process** slots = nullptr;
    size_t capacity = 0;  // a power of two, or 0 before the first push
    size_t head = 0;      // the oldest process's count
    size_t tail = 0;      // the next free count

    Queue() = default;
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;
    ~Queue() { mi_free(slots); }
};
// Cache lines: the run queue (which thieves take and read) in one, what
// only this thread touches after it, and `epoch` (read by every
// reclaiming scheduler) apart from both.
struct alignas(64) Scheduler {
    spin_lock::SpinLock lock;       // guards queues, normal_picks, woken_last
    std::atomic<size_t> length{0};  // processes in the queues (read without the lock)
    Queue queues[kQueues];          // by priority, and kWoken
    unsigned normal_picks = 0;
    bool woken_last = false;  // the last pick was from kWoken
    alignas(64) unsigned index = 0;
    Process* running = nullptr;  // this thread only
    timer::Timers timers;
    // Reclamation (scheduler.h): the last epoch announced, 0 while asleep;
    // and ended PCBs with the epoch they were retired at, oldest first.
    alignas(64) std::atomic<uint64_t> epoch{0};
    std::vector<std::pair<uint64_t, Process*>> limbo;
    // Waiting processes with a big block that parking did not shrink: this
    // scheduler shrinks them when it runs out of work (idle_shrink).
    std::vector<term::Term> shrink_later;
    std::thread thread;
};

// What the schedulers share.
// Each atomic written while others read it has a cache line of its own.
struct alignas(64) World {
    std::vector<std::unique_ptr<Scheduler>> schedulers;
    alignas(64) std::atomic<uint64_t> epoch{1};
    // The epoch the foreign thread (the poller, poll.h) holds while it
    // delivers signals, 0 when it holds none (pin_foreign).
    alignas(64) std::atomic<uint64_t> foreign_epoch{0};
    alignas(64) std::atomic<size_t> timers{0};  // pending timers on all schedulers
    // Sleeping: a scheduler with nothing to run or steal waits on `wake_up`.
    std::mutex sleep_lock;
    std::condition_variable wake_up;
    alignas(64) std::atomic<unsigned> sleeping{0};
    std::atomic<bool> waking{false};  // a wake-up is on its way to a sleeper
    // Scheduler threads are started when first needed (start_another):
    // `started` of them run (scheduler 0 is run()'s caller); `start_lock`
    // orders starting one with the end of the run, which closes starts.
    std::mutex start_lock;
    std::atomic<unsigned> started{1};
    bool starts_closed = false;       // under start_lock
    bool caller_goes_on = false;      // set by run(): see there
    std::atomic<unsigned> parked{0};  // threads done with the run, parked
    // The end: set once, by the scheduler that saw main end (or halt).
    std::atomic<bool> halting{false};
    int exit_code = 0;  // written before halting is set
    Process* main = nullptr;
    // Reductions spent by all processes in this run (counted only under
    // Limits::reductions).
    alignas(64) std::atomic<uint64_t> reductions{0};
    // Reductions of every finished slice (statistics/1): one relaxed add a
    // slice, never reset.
    alignas(64) std::atomic<uint64_t> total_reductions{0};
    std::atomic<uint64_t> total_slices{0};
};

World g_world;
thread_local Scheduler* t_sched = nullptr;

unsigned g_count = 1;
Limits g_limits;  // set_limits; read-only while schedulers run

Scheduler& here() {
    return t_sched ? *t_sched : *g_world.schedulers[0];
}

// ---- run queues ----------------------------------------------------------------------------

constexpr size_t kFirstQueueSlots = 64;

size_t queue_size(const Queue& q) {
    return q.tail - q.head;
}

// Doubles the ring, the oldest process first in the new one.
void grow(Queue& q) {
    size_t capacity = q.capacity ? 2 * q.capacity : kFirstQueueSlots;
    auto* slots = memory::checked(static_cast<Process**>(mi_malloc(capacity * sizeof(Process*))),
                                  capacity * sizeof(Process*), "run queue");
    size_t size = queue_size(q);
    for (size_t i = 0; i < size; ++i)
        slots[i] = q.slots[(q.head + i) & (q.capacity - 1)];
    mi_free(q.slots);
    q.slots = slots;
    q.capacity = capacity;
    q.head = 0;
    q.tail = size;
}

void push(Queue& q, Process* p) {
    if (queue_size(q) == q.capacity) grow(q);
    q.slots[q.tail++ & (q.capacity - 1)] = p;
}

Process* pop(Queue& q) {
    if (q.head == q.tail) return nullptr;
    return q.slots[q.head++ & (q.capacity - 1)];
}

void free_queue(Queue& q) {
    mi_free(q.slots);
    q.slots = nullptr;
    q.capacity = q.head = q.tail = 0;
}

// Changes the count of queued processes; caller holds s.lock. Only lock
// holders write `length` (others only read it), so a load and a store do:
// no locked instruction on every push and pop.
size_t add_length(Scheduler& s, ptrdiff_t change) {
    size_t length = size_t(ptrdiff_t(s.length.load(std::memory_order_relaxed)) + change);
    s.length.store(length, std::memory_order_relaxed);
    return length;
}

// The next process by priority. Caller holds s.lock.
Process* pop_locked(Scheduler& s) {
    if (Process* p = pop(s.queues[process::kMax])) return p;
    if (Process* p = pop(s.queues[process::kHigh])) return p;
    if (!s.woken_last) {
        if (Process* p = pop(s.queues[kWoken])) {
            s.woken_last = true;
            return p;
        }
    }
    s.woken_last = false;
    bool low_turn = ++s.normal_picks % kLowEvery == 0;
    if (low_turn) {
        if (Process* p = pop(s.queues[process::kLow])) return p;
    }
    if (Process* p = pop(s.queues[process::kNormal])) return p;
    if (Process* p = pop(s.queues[process::kLow])) return p;
    return pop(s.queues[kWoken]);
}

Process* dequeue(Scheduler& s) {
    if (s.length.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard<spin_lock::SpinLock> guard(s.lock);
    Process* p = pop_locked(s);
    if (p) add_length(s, -1);
    return p;
}

void thread_main(Scheduler& s);

// Starts the next scheduler thread not started yet, if any (it will look
// for work to steal). A program that never has two processes ready at
// once never starts a second thread: no thread creation, no second
// allocator heap, no process moving to a cold core.
void start_another() {
    if (g_world.started.load(std::memory_order_acquire) >= g_world.schedulers.size()) return;
    std::lock_guard<std::mutex> guard(g_world.start_lock);
    unsigned n = g_world.started.load(std::memory_order_relaxed);
    if (g_world.starts_closed || n >= g_world.schedulers.size()) return;
    Scheduler* s = g_world.schedulers[n].get();
    // Counted before it runs: a new scheduler that finds nothing and sleeps
    // must not see itself as the last one awake (a false deadlock).
    g_world.started.store(n + 1, std::memory_order_release);
    try {
        s->thread = std::thread([s] { thread_main(*s); });
    } catch (const std::system_error&) {
        g_world.started.store(n, std::memory_order_release);  // no thread: fewer cores used
    }
}

// Wakes one sleeping scheduler to steal from us.
void wake_a_sleeper() {
    std::lock_guard<std::mutex> guard(g_world.sleep_lock);
    g_world.wake_up.notify_one();
}

// Puts `p` (run_state already kQueued) in this thread's queue. When the
// queue then holds more than the next process to run, a sleeping
// scheduler is woken to take some: one runnable process alone (a message
// passed along a ring) stays on this core.
// Puts `p` in `s`'s queue (a woken normal one in kWoken); returns the
// queue's length after.
size_t push_to(Scheduler& s, Process* p, bool woken = false) {
    std::lock_guard<spin_lock::SpinLock> guard(s.lock);
    push(s.queues[woken && p->priority == process::kNormal ? kWoken : p->priority], p);
    return add_length(s, 1);
}

void push_here(Process* p, bool woken = false) {
    size_t length = push_to(here(), p, woken);
    if (length < 2) return;
    // A scheduler thread runs its own queue: a sleeper it fails to wake
    // costs parallelism, never progress, so it reads `sleeping` without a
    // fence (a seq_cst read-modify-write here waited for the stores of a
    // freshly spawned PCB to leave the store buffer: a third of the cost
    // of a spawn on two schedulers). Any other thread must not miss one:
    // a read-modify-write, ordered with sleep()'s, so that either the
    // sleeper sees our process or we see it counted as sleeping.
    unsigned sleepers = t_sched ? g_world.sleeping.load(std::memory_order_relaxed)
                                : g_world.sleeping.fetch_add(0, std::memory_order_seq_cst);
    // One wake-up at a time: until the woken scheduler is up, pushes do
    // not signal again (a kernel round trip per spawn otherwise). With no
    // one asleep, every started scheduler is busy: start another.
    if (sleepers == 0) return start_another();
    if (!g_world.waking.exchange(true, std::memory_order_acq_rel)) wake_a_sleeper();
}

// Takes up to half of another scheduler's queued processes (the oldest,
// highest priority first) into ours. Only a queue with work beyond its
// owner's next process is robbed.
bool steal(Scheduler& thief) {
    size_t n = g_world.schedulers.size();
    Process* taken[kMaxSteal];
    uint8_t levels[kMaxSteal];  // their queues (not read from their PCBs)
    for (size_t k = 1; k < n; ++k) {
        Scheduler& victim = *g_world.schedulers[(thief.index + k) % n];
        if (victim.length.load(std::memory_order_relaxed) < 2) continue;
        size_t count = 0;
        {
            std::lock_guard<spin_lock::SpinLock> guard(victim.lock);
            size_t want = std::min(victim.length.load(std::memory_order_relaxed) / 2, kMaxSteal);
            for (int level : kPickOrder) {
                while (count < want) {
                    Process* p = pop(victim.queues[level]);
                    if (!p) break;
                    levels[count] = uint8_t(level);
                    taken[count++] = p;
                }
            }
            add_length(victim, -ptrdiff_t(count));
        }
        if (count == 0) continue;
        std::lock_guard<spin_lock::SpinLock> guard(thief.lock);
        for (size_t i = 0; i < count; ++i)
            push(thief.queues[levels[i]], taken[i]);
        add_length(thief, ptrdiff_t(count));
        return true;
    }
    return false;
}

// ---- reclamation ---------------------------------------------------------------------------

void free_process(Process* p) {
    memory::add(memory::kEndedBytes, -int64_t(process::retained_bytes(*p)));
    process::destroy(p);
}

// Frees the ended PCBs no scheduler can still hold.
void reclaim(Scheduler& s) {
    uint64_t oldest = UINT64_MAX;
    for (auto& other : g_world.schedulers) {
        uint64_t e = other->epoch.load(std::memory_order_acquire);
        if (e != 0) oldest = std::min(oldest, e);
    }
    uint64_t foreign = g_world.foreign_epoch.load(std::memory_order_acquire);
    if (foreign != 0) oldest = std::min(oldest, foreign);
    size_t freed = 0;
    while (freed < s.limbo.size() && s.limbo[freed].first < oldest)
        free_process(s.limbo[freed++].second);
    s.limbo.erase(s.limbo.begin(), s.limbo.begin() + long(freed));
}

// Between slices: this scheduler holds no PCB found by lookup.
void quiescent(Scheduler& s) {
    // Release (a plain store on x86, where seq_cst would be a fence per
    // slice): the PCBs this thread used before are done with once the
    // announcement is seen. Lookups after it cannot find a process retired
    // before the epoch read here (its table slot was cleared first).
    s.epoch.store(g_world.epoch.load(std::memory_order_acquire), std::memory_order_release);
    if (!s.limbo.empty()) reclaim(s);
}

void retire(Scheduler& s, Process* p) {
    memory::add(memory::kEndedBytes, int64_t(process::retained_bytes(*p)));
    uint64_t e = g_world.epoch.fetch_add(1, std::memory_order_acq_rel);
    s.limbo.emplace_back(e, p);
}

// ---- timers ------------------------------------------------------------------------------------

// Moves the due timers of `timers` to their targets and wakes timed-out
// receives.
void fire_due(timer::Timers& timers, int64_t now) {
    timer::Fired fired;
    while (timers.take_expired(now, fired)) {
        g_world.timers.fetch_sub(1, std::memory_order_relaxed);
        mailbox::Signal* signal = fired.message;
        term::Term to = fired.target;
        if (!signal) {
            // A receive timeout: a signal to its process, which checks it
            // is still the timer of its current receive.
            signal = mailbox::signal_new(mailbox::Kind::Timeout, term::kNil);
            signal->ref = fired.id;
        } else if (term::is_atom(to)) {
            to = process::whereis(to);
        }
        if (to == term::kNone) {
            mailbox::signal_free(signal);
        } else {
            signals::deliver(to, signal);
        }
    }
}

// Fires this scheduler's due timers, then any other scheduler's that are
// due: that one may be in a long slice (a BIF, a collection), and a timer
// must not wait for it. Looking costs one relaxed load per scheduler.
void fire_timers(Scheduler& s) {
    if (g_world.timers.load(std::memory_order_relaxed) == 0) return;
    int64_t now = timer::now_us();
    fire_due(s.timers, now);
    for (auto& other : g_world.schedulers)
        if (other.get() != &s && other->timers.maybe_due(now)) fire_due(other->timers, now);
}

// The deadline a scheduler going to sleep wakes at: its own next timer,
// or a little after the next timer of a scheduler that is awake (busy: if
// it is still busy then, this one fires the timer for it).
int64_t wake_deadline(Scheduler& s) {
    constexpr int64_t kCoverAfterUs = 500;
    int64_t deadline = s.timers.next_deadline();
    if (g_world.timers.load(std::memory_order_relaxed) == 0) return deadline;
    for (auto& other : g_world.schedulers) {
        if (other.get() == &s || other->epoch.load(std::memory_order_relaxed) == 0) continue;
        int64_t theirs = other->timers.earliest_hint();
        if (theirs == INT64_MAX) continue;
        theirs += kCoverAfterUs;
        if (deadline < 0 || theirs < deadline) deadline = theirs;
    }
    return deadline;
}

// ---- ending ------------------------------------------------------------------------------------

// Whether logger's primary level lets an error through: stdlib/logger.bl
// keeps it in the persistent term {logger, primary_level} (unset: notice).
bool logger_allows_errors() {
    term::Term key_mem[3];
    term::Term key = term::make_tuple(key_mem, 2);
    key_mem[1] = term::make_atom(atom::kLogger);
    key_mem[2] = term::make_atom(atom::kPrimaryLevel);
    term::Term level = bif::persistent_term_lookup(key);
    for (uint32_t quiet : {atom::kNoneAccess, atom::kEmergency, atom::kAlert, atom::kCritical})
        if (level == term::make_atom(quiet)) return false;
    return true;
}

// OTP's logger report for a process that crashed, unless the logger's
// level is above error. It goes to standard error, where OTP's default
// handler prints it on standard output: OTP prints it a moment later, from
// its logger's processes, so a program that ends soon after the crash
// (most of the conformance corpus) shows it under beamlite only.
void print_error_report(Process& p, term::Term reason) {
    if (!logger_allows_errors()) return;
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    struct tm local;
    time_t seconds = tv.tv_sec;
    localtime_r(&seconds, &local);
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::string out = fmt::format("=ERROR REPORT==== {}-{}-{}::{:02}:{:02}:{:02}.{:06} ===\n",
                                  local.tm_mday, kMonths[local.tm_mon], local.tm_year + 1900,
                                  local.tm_hour, local.tm_min, local.tm_sec, tv.tv_usec);
    out += "Error in process ";
    term::print(out, p.pid);
    out += " with exit value:\n";
    format::print(out, reason, format::PrettyOptions{});
    out += "\n\n";
    output::write(output::kStderr, out);
}

// A process other than main ended: report, leave the table, signal. The
// caller retires the PCB.
void finish(Process* p) {
    term::Term reason = signals::exit_reason(*p);
    if (p->status == Status::Killed) {
        output::write(output::kStderr,
                      fmt::format("beamlite: process {} killed: {}\n", term::to_string(p->pid),
                                  p->heap.out_of_memory ? "out of memory"
                                                        : "its heap exceeded max_heap_size"));
    } else if (signals::reports_error(*p)) {
        print_error_report(*p, reason);
    }
    // Out of the table first: whoever gets its exit signal or 'DOWN' must
    // find it dead (is_process_alive, processes(), a new link or monitor).
    process::table_remove(p);
    signals::terminate(*p, reason);
    if (p->rare && p->rare->receive_timer) cancel_timer(p->rare->receive_timer);
}

// main/1's process ended: the program's exit status.
int main_ended(Process* p) {
    output::flush();
    switch (p->status) {
        case Status::Done:
            return 0;
        case Status::Halted:
            return p->rare->halt_code;
        case Status::Killed:
            output::write(output::kStderr, exception::killed_report(*p));
            return 1;
        case Status::Failed:
            if (node::config().escript) {
                output::write(output::kStderr, exception::report(*p, "escript"));
                return node::kEscriptFailure;
            }
            output::write(output::kStderr, exception::report(*p));
            return 1;
        default: {
            std::string reason = term::to_string(signals::exit_reason(*p));
            output::write(output::kStderr,
                          fmt::format("beamlite: main process exited: {}\n", reason));
            return 1;
        }
    }
}

// Stops every scheduler (the first call decides the exit code).
void halt(int code) {
    std::lock_guard<std::mutex> guard(g_world.sleep_lock);
    if (g_world.halting.load(std::memory_order_relaxed)) return;
    g_world.exit_code = code;
    g_world.halting.store(true, std::memory_order_release);
    g_world.wake_up.notify_all();
}

bool halting() {
    return g_world.halting.load(std::memory_order_acquire);
}

// Limits::reductions: counts a slice's reductions; past the limit, ends the
// run as a halt would.
void charge(uint64_t used) {
    uint64_t total = g_world.reductions.fetch_add(used, std::memory_order_relaxed) + used;
    if (total < g_limits.reductions || halting()) return;
    output::write(output::kStderr,
                  fmt::format("beamlite: reduction limit ({}) reached\n", g_limits.reductions));
    halt(kReductionLimitExit);
}

// ---- sleeping
// ------------------------------------------------------------------------------------

// No process queued anywhere, none in a dirty call: with every scheduler
// asleep and no timer, nothing will ever run again. (A process a dirty
// thread handed back may sit in the queue of a scheduler that is woken
// but still counted asleep: any_work does not look at queues of one.)
bool nothing_pending() {
    if (dirty::in_flight() != 0 || poll::busy()) return false;
    for (auto& other : g_world.schedulers)
        if (other->length.load(std::memory_order_acquire) != 0) return false;
    return true;
}

bool any_work(const Scheduler& s) {
    if (s.length.load(std::memory_order_relaxed) > 0) return true;
    for (auto& other : g_world.schedulers)
        if (other->length.load(std::memory_order_relaxed) >= 2) return true;
    return false;
}

// Nothing to run or steal: sleep until woken or this scheduler's next
// timer. When every scheduler would sleep with no timer pending anywhere,
// every process waits for a message no one can send: a deadlock, which
// ends the program (erl would hang).
//
// A scheduler that still holds ended processes (its limbo: another
// scheduler was mid-slice when it last reclaimed) wakes again within a
// millisecond to free them, rather than keeping their memory for as long
// as it sleeps (erlang:memory would not see it return).
void sleep(Scheduler& s) {
    constexpr int64_t kReclaimRetryUs = 1000;
    output::flush();                      // an idle program shows what it printed
    int64_t deadline = wake_deadline(s);  // now_us() clock
    if (!s.limbo.empty()) {
        int64_t soon = timer::now_us() + kReclaimRetryUs;
        if (deadline < 0 || soon < deadline) deadline = soon;
    }
    std::unique_lock<std::mutex> guard(g_world.sleep_lock);
    unsigned sleepers = g_world.sleeping.fetch_add(1, std::memory_order_seq_cst) + 1;
    if (halting() || any_work(s)) {
        g_world.sleeping.fetch_sub(1, std::memory_order_relaxed);
        return;
    }
    unsigned started = g_world.started.load(std::memory_order_acquire);
    if (sleepers == started && deadline < 0 && nothing_pending() &&
        g_world.timers.load(std::memory_order_relaxed) == 0) {
        g_world.sleeping.fetch_sub(1, std::memory_order_relaxed);
        guard.unlock();
        output::write(output::kStderr, "beamlite: deadlock: every process waits in receive\n");
        halt(1);
        return;
    }
    if (g_limits.virtual_time && deadline >= 0 && sleepers == started && nothing_pending()) {
        // Everyone idle, a timer pending: time jumps to it. The others may
        // sleep until their own (real) deadlines: wake them to look again.
        g_world.sleeping.fetch_sub(1, std::memory_order_relaxed);
        timer::skip_ahead((deadline - timer::now_us() + 999) / 1000);
        g_world.wake_up.notify_all();
        return;
    }
    s.epoch.store(0, std::memory_order_seq_cst);  // asleep: holds no PCB
    // Under sleep_lock, as wake_a_sleeper notifies: a wake-up that found
    // no one waiting must not keep later ones from being sent.
    g_world.waking.store(false, std::memory_order_release);
    if (deadline < 0) {
        g_world.wake_up.wait(guard);
    } else {
        int64_t wait_us = deadline - timer::now_us();
        if (wait_us > 0) g_world.wake_up.wait_for(guard, std::chrono::microseconds(wait_us));
    }
    g_world.sleeping.fetch_sub(1, std::memory_order_relaxed);
    g_world.waking.store(false, std::memory_order_release);
    s.epoch.store(g_world.epoch.load(std::memory_order_acquire), std::memory_order_seq_cst);
}

// ---- the slice loop
// --------------------------------------------------------------------------------

void lock_busy(Process* p) {
    // Another process holds it only for a few microseconds (process_info).
    while (p->busy.test_and_set(std::memory_order_acquire))
        std::this_thread::yield();
}

// Runs one slice of `p`; returns its status afterwards.
Status slice(Scheduler& s, Process* p) {
    if (p->status == Status::Waiting) {
        // A message at the save point may also have been fetched for it by
        // a process_info or is_process_alive (signal.h, handle_inbox).
        bool message = signals::handle_inbox(*p) || mailbox::current(p->mailbox);
        if (p->status == Status::Exiting) return p->status;
        if (!message && !(p->flags & process::kTimedOut)) return Status::Waiting;
        p->status = Status::Runnable;
    } else {
        signals::handle_inbox(*p);
        if (p->status == Status::Exiting) return p->status;
    }
    s.running = p;
    Status status = interp::run(*p);
    s.running = nullptr;
    uint64_t used = uint64_t(interp::kSliceReductions - (p->reds > 0 ? p->reds : 0));
    p->reductions += used;
    g_world.total_reductions.fetch_add(used, std::memory_order_relaxed);
    g_world.total_slices.fetch_add(1, std::memory_order_relaxed);
    if (g_limits.reductions) charge(used);
    return status;
}

// After a slice that left `p` waiting: wait, unless a signal came during
// the slice (then it runs again).
void park(Scheduler& s, Process* p) {
    constexpr size_t kMaxShrinkLater = 4096;
    // Most blocks are too small to shrink: decided without building roots.
    // Nor is a process shrunk while a receive has messages pinned (it
    // looked past a backlog): every collection visits them all, so one at
    // every wait would make a server working through the backlog
    // quadratic (bench/programs/reqreply.bl, 40,000 requests: 43 s).
    p->heap.busy_collections = 0;  // it waits: not compute-bound (gc::free_words_kept)
    size_t block = p->mailbox.exposed == 0 ? heap::block_words(p->heap) : 0;
    bool shrunk = block >= gc::kIdleShrinkWords && gc::shrink_idle(p->heap, process::roots(*p));
    // Received messages waiting in fragments for a collection: one now
    // (shrinking collected them already).
    if (!shrunk && gc::fragments_due(p->heap)) gc::collect(p->heap, 0, process::roots(*p));
    if (!shrunk && block >= gc::kIdleShrinkLaterWords && s.shrink_later.size() < kMaxShrinkLater)
        s.shrink_later.push_back(p->pid);
    uint8_t expected = process::kRunning;
    if (p->run_state.compare_exchange_strong(expected, process::kWaiting)) {
        p->busy.clear(std::memory_order_release);
        return;
    }
    p->run_state.store(process::kQueued, std::memory_order_relaxed);
    p->busy.clear(std::memory_order_release);
    push_here(p, true);  // woken while it ran
}

void run_one(Scheduler& s, Process* p) {
    p->run_state.store(process::kRunning, std::memory_order_relaxed);
    lock_busy(p);
    Status status = slice(s, p);
    if (status == Status::Runnable) {
        p->run_state.store(process::kQueued, std::memory_order_relaxed);
        p->busy.clear(std::memory_order_release);
        push_here(p);
        return;
    }
    if (status == Status::Waiting) return park(s, p);
    if (status == Status::Dirty) return dirty::submit(p);  // still busy and running
    if (p == g_world.main || status == Status::Halted) {
        int code = status == Status::Halted ? p->rare->halt_code : main_ended(p);
        p->busy.clear(std::memory_order_release);
        halt(code);
        return;
    }
    finish(p);
    process::release_heap(p);
    p->busy.clear(std::memory_order_release);
    retire(s, p);
}

// Out of work: before sleeping (a kernel round trip to wake up again),
// look for work for a few microseconds, as a message passed between two
// cores would otherwise put a scheduler to sleep at every hop.
bool spin_for_work(Scheduler& s) {
    constexpr int64_t kSpinNs = 20 * 1000;
    int64_t give_up = timer::now_ns() + kSpinNs;
    do {
        for (int i = 0; i < 64; ++i) {
            if (s.length.load(std::memory_order_relaxed) > 0) return true;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (halting() || steal(s)) return true;
    } while (timer::now_ns() < give_up);
    return false;
}

// Out of work: the processes parked with a big block that are still
// waiting are collected into blocks sized for what they keep. True when
// there were any (then look for work again before sleeping).
bool idle_shrink(Scheduler& s) {
    if (s.shrink_later.empty()) return false;
    for (term::Term pid : s.shrink_later) {
        Process* p = process::lookup(pid);
        if (!p || p->busy.test_and_set(std::memory_order_acquire)) continue;
        // Still waiting (a woken one is queued: its scheduler waits for
        // the busy flag, briefly) and still itself (not ended meanwhile).
        if (p->run_state.load(std::memory_order_acquire) == process::kWaiting &&
            process::lookup(pid) == p && p->status == Status::Waiting && p->mailbox.exposed == 0)
            gc::shrink_idle(p->heap, process::roots(*p), true);
        p->busy.clear(std::memory_order_release);
    }
    s.shrink_later.clear();
    return true;
}

void loop(Scheduler& s) {
    t_sched = &s;
    s.epoch.store(g_world.epoch.load(std::memory_order_acquire), std::memory_order_seq_cst);
    while (!halting()) {
        quiescent(s);
        fire_timers(s);
        Process* p = dequeue(s);
        if (!p) {
            if (idle_shrink(s) || spin_for_work(s)) continue;
            sleep(s);
            continue;
        }
        run_one(s, p);
        output::flush_if_stale();
    }
    s.epoch.store(0, std::memory_order_seq_cst);
    t_sched = nullptr;
}

// After every thread has stopped: frees every process and timer.
void free_all() {
    for (auto& s : g_world.schedulers) {
        for (auto& [epoch, p] : s->limbo)
            free_process(p);
        s->limbo.clear();
        s->timers.clear();
        for (Queue& q : s->queues)
            free_queue(q);
        s->length.store(0, std::memory_order_relaxed);
    }
    process::for_each([](Process* p) {
        process::table_remove(p);
        process::destroy(p);
    });
    g_world.timers.store(0, std::memory_order_relaxed);
}

// Before run(): the schedulers exist so that a process can be queued.
void ensure_schedulers(unsigned n) {
    if (g_world.schedulers.size() == n) return;
    g_world.schedulers.clear();
    for (unsigned i = 0; i < n; ++i) {
        g_world.schedulers.push_back(std::make_unique<Scheduler>());
        g_world.schedulers.back()->index = i;
    }
}

}  // namespace

void enqueue(Process* p) {
    if (g_world.schedulers.empty()) ensure_schedulers(g_count);
    p->run_state.store(process::kQueued, std::memory_order_release);
    push_here(p);
}

void push_from_outside(Process* p);

void wake(Process* p) {
    uint8_t state = p->run_state.load(std::memory_order_acquire);
    for (;;) {
        if (state == process::kWaiting) {
            if (!p->run_state.compare_exchange_weak(state, process::kQueued)) continue;
            // Off the schedulers (the poller, poll.h) there is no queue of
            // our own, and the scheduler whose queue gets it may sleep.
            return t_sched ? push_here(p, true) : push_from_outside(p);
        } else if (state == process::kRunning) {
            if (p->run_state.compare_exchange_weak(state, process::kRunning | process::kNotified))
                return;
        } else {
            return;  // queued, or already told
        }
    }
}

// Queues `p` (run_state kQueued) from a thread that is no scheduler (a
// dirty pool's, the poller's).
void push_from_outside(Process* p) {
    // The started scheduler with the shortest queue. A woken scheduler
    // steals only from a queue of two or more, so every sleeper is woken:
    // the one that owns the queue must look.
    unsigned started = g_world.started.load(std::memory_order_acquire);
    Scheduler* target = g_world.schedulers[0].get();
    for (unsigned i = 1; i < started; ++i) {
        Scheduler* s = g_world.schedulers[i].get();
        if (s->length.load(std::memory_order_relaxed) <
            target->length.load(std::memory_order_relaxed))
            target = s;
    }
    push_to(*target, p, true);
    std::lock_guard<std::mutex> guard(g_world.sleep_lock);
    g_world.wake_up.notify_all();
}

void resume(Process* p) {
    p->run_state.store(process::kQueued, std::memory_order_relaxed);
    p->busy.clear(std::memory_order_release);
    push_from_outside(p);
}

void pin_foreign() {
    // As a scheduler waking up: announced before any lookup (seq_cst).
    g_world.foreign_epoch.store(g_world.epoch.load(std::memory_order_acquire),
                                std::memory_order_seq_cst);
}

void unpin_foreign() {
    g_world.foreign_epoch.store(0, std::memory_order_release);
}

Process* current() {
    return t_sched ? t_sched->running : nullptr;
}

void start_timer(uint64_t id, int64_t delay_ms, term::Term target, mailbox::Signal* message) {
    if (g_world.schedulers.empty()) ensure_schedulers(g_count);
    g_world.timers.fetch_add(1, std::memory_order_relaxed);
    here().timers.start(id, delay_ms, target, message);
}

namespace {

// Asks each scheduler's timers in turn, this thread's first (where a
// process's own timers usually are), until one knows timer `id`.
template <typename Ask>
int64_t ask_timers(Ask ask) {
    if (g_world.schedulers.empty()) return -1;
    Scheduler& first = here();
    int64_t left = ask(first.timers);
    for (size_t i = 0; left < 0 && i < g_world.schedulers.size(); ++i)
        if (i != first.index) left = ask(g_world.schedulers[i]->timers);
    return left;
}

}  // namespace

int64_t cancel_timer(uint64_t id) {
    int64_t left = ask_timers([id](timer::Timers& timers) { return timers.cancel(id); });
    if (left >= 0) g_world.timers.fetch_sub(1, std::memory_order_relaxed);
    return left;
}

int64_t read_timer(uint64_t id) {
    return ask_timers([id](timer::Timers& timers) { return timers.remaining(id); });
}

unsigned count() {
    return g_world.schedulers.empty() ? g_count : unsigned(g_world.schedulers.size());
}

unsigned current_id() {
    return t_sched ? t_sched->index + 1 : 0;
}

std::vector<size_t> run_queue_lengths() {
    std::vector<size_t> lengths;
    for (const auto& s : g_world.schedulers)
        lengths.push_back(s->length.load(std::memory_order_relaxed));
    if (lengths.empty()) lengths.assign(g_count, 0);
    return lengths;
}

uint64_t total_reductions() {
    return g_world.total_reductions.load(std::memory_order_relaxed);
}

uint64_t total_slices() {
    return g_world.total_slices.load(std::memory_order_relaxed);
}

unsigned available_cpus() {
    cpu_set_t set;
    unsigned cpus = 1;
    if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = unsigned(CPU_COUNT(&set));
    // cgroup v2: "max 100000" or "<quota> <period>" in microseconds.
    std::ifstream quota_file("/sys/fs/cgroup/cpu.max");
    std::string quota;
    long long period = 0;
    if (quota_file >> quota >> period && quota != "max" && period > 0) {
        long long q = std::atoll(quota.c_str());
        unsigned allowed = unsigned(std::max<long long>(1, (q + period - 1) / period));
        cpus = std::min(cpus, allowed);
    }
    return std::max(cpus, 1u);
}

namespace {

// A scheduler thread: its loop, then (unless run()'s caller goes on) it
// parks until the process exits (see run()).
void thread_main(Scheduler& s) {
    loop(s);
    mailbox::release_thread_cache();
    if (g_world.caller_goes_on) return;
    g_world.parked.fetch_add(1, std::memory_order_release);
    g_world.parked.notify_all();
    for (;;)
        pause();
}

}  // namespace

void set_limits(const Limits& limits) {
    g_limits = limits;
}

int run(Process* main, unsigned schedulers, std::span<Process* const> system) {
    g_count = std::max(schedulers, 1u);
    ensure_schedulers(g_count);
    g_world.main = main;
    g_world.halting.store(false, std::memory_order_relaxed);
    g_world.reductions.store(0, std::memory_order_relaxed);
    // No scheduler thread starts for the boot queue (the I/O servers block
    // at once, and main runs alone until it makes work for two).
    {
        std::lock_guard<std::mutex> guard(g_world.start_lock);
        g_world.started.store(1, std::memory_order_release);
        g_world.starts_closed = true;
    }
    t_sched = g_world.schedulers[0].get();
    // The system processes first: a scheduler that steals takes the oldest,
    // so main stays on this thread, whose allocator caches are warm from
    // compiling the program (main on a fresh thread touched ~50 more pages).
    for (Process* p : system)
        enqueue(p);
    if (main->run_state.load(std::memory_order_relaxed) != process::kQueued) enqueue(main);
    t_sched = nullptr;
    // Every process is freed at the end so that the leak checker sees them
    // freed, and under Limits so that the caller can run the next program.
    // Otherwise the program ends now (the caller exits): freeing a million
    // processes one by one would only delay the exit, as it would the
    // BEAM's halt. Nor do the other scheduler threads end then: a thread's
    // end runs the allocator's per-thread teardown, which touches every
    // page the thread allocated from once more (for a program that ran a
    // little on a second scheduler, ~75 page faults: a millisecond). They
    // say they are done and park until the process exits.
#if BEAMLITE_SANITIZED
    constexpr bool kLeakChecked = true;
#else
    constexpr bool kLeakChecked = false;
#endif
    bool caller_goes_on = kLeakChecked || g_limits.reductions || g_limits.virtual_time;
    g_world.caller_goes_on = caller_goes_on;
    g_world.parked.store(0, std::memory_order_relaxed);
    {
        std::lock_guard<std::mutex> guard(g_world.start_lock);
        g_world.starts_closed = false;
    }
    loop(*g_world.schedulers[0]);
    unsigned others;
    {
        std::lock_guard<std::mutex> guard(g_world.start_lock);
        g_world.starts_closed = true;
        others = g_world.started.load(std::memory_order_relaxed) - 1;
    }
    for (unsigned n;
         !caller_goes_on && (n = g_world.parked.load(std::memory_order_acquire)) < others;)
        g_world.parked.wait(n, std::memory_order_acquire);
    for (size_t i = 1; i <= others; ++i) {
        if (caller_goes_on) {
            g_world.schedulers[i]->thread.join();
        } else {
            g_world.schedulers[i]->thread.detach();
        }
    }
    output::flush();
    // A pool thread stops counting a dirty call just after it hands the
    // process back: the handoffs under way get a moment to finish. A
    // process still in a dirty call then (blocked reading, say) is its
    // pool thread's: nothing is freed under it (the leak checker reports
    // the processes left).
    if (caller_goes_on) {
        for (int waited_ms = 0; dirty::in_flight() != 0 && waited_ms < 1000; ++waited_ms)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (caller_goes_on && dirty::in_flight() == 0) {
        free_all();
        mailbox::release_thread_cache();
    }
    g_world.main = nullptr;
    return g_world.exit_code;
}

}  // namespace sched
