// scheduler: run queues, the slice loop, timers and ending processes (see
// scheduler.h).
#include "vm/scheduler.h"

#include <fmt/core.h>
#include <sys/time.h>

#include <ctime>
#include <string>
#include <thread>

#include "vm/bif.h"
#include "vm/exception.h"
#include "vm/format.h"
#include "vm/interp.h"
#include "vm/signal.h"
#include "vm/timer.h"

namespace sched {

using process::Status;

namespace {

constexpr unsigned kLowEvery = 8;

struct Queue {
    Process* head = nullptr;
    Process* tail = nullptr;
};

struct Scheduler {
    Queue queues[process::kPriorities];
    unsigned normal_picks = 0;
    Process* running = nullptr;
};

thread_local Scheduler t_sched;

void push(Queue& q, Process* p) {
    p->run_next = nullptr;
    if (q.tail) {
        q.tail->run_next = p;
    } else {
        q.head = p;
    }
    q.tail = p;
}

Process* pop(Queue& q) {
    Process* p = q.head;
    if (!p) return nullptr;
    q.head = p->run_next;
    if (!q.head) q.tail = nullptr;
    p->run_next = nullptr;
    return p;
}

Process* dequeue() {
    Scheduler& s = t_sched;
    if (Process* p = pop(s.queues[process::kMax])) return p;
    if (Process* p = pop(s.queues[process::kHigh])) return p;
    bool low_turn = ++s.normal_picks % kLowEvery == 0;
    if (low_turn) {
        if (Process* p = pop(s.queues[process::kLow])) return p;
    }
    if (Process* p = pop(s.queues[process::kNormal])) return p;
    return pop(s.queues[process::kLow]);
}

// Moves due timers' messages to their targets and wakes timed-out receives.
void fire_timers() {
    if (timer::pending() == 0) return;
    int64_t now = timer::now_ms();
    timer::Fired fired;
    while (timer::take_expired(now, fired)) {
        if (fired.message) {
            term::Term to = fired.target;
            if (term::is_atom(to)) to = process::whereis(to);
            if (to == term::kNone) {
                mailbox::signal_free(fired.message);
            } else {
                signals::deliver(to, fired.message);
            }
            continue;
        }
        Process* p = process::lookup(fired.target);
        if (!p || !p->rare || p->rare->receive_timer != fired.id) continue;
        p->rare->receive_timer = 0;
        p->flags |= process::kTimedOut;
        wake(p);
    }
}

// OTP's logger line for a process that crashed.
void print_error_report(Process& p, term::Term reason) {
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
    bif::flush_stdout();
    fmt::print(stderr, "{}", out);
    std::fflush(stderr);
}

// A process other than main ended: report, signal, free.
void finish(Process* p) {
    term::Term reason = signals::exit_reason(*p);
    if (p->status == Status::Killed) {
        bif::flush_stdout();
        fmt::print(stderr, "beamlite: process {} killed: its heap exceeded max_heap_size\n",
                   term::to_string(p->pid));
    } else if (signals::reports_error(*p)) {
        print_error_report(*p, reason);
    }
    signals::terminate(*p, reason);
    if (p->rare && p->rare->receive_timer) timer::cancel(p->rare->receive_timer);
    process::table_remove(p);
    process::destroy(p);
}

// main/1's process ended: the program's exit status.
int main_ended(Process* p) {
    bif::flush_stdout();
    switch (p->status) {
        case Status::Done:
            return 0;
        case Status::Halted:
            return p->rare->halt_code;
        case Status::Killed:
            fmt::print(stderr, "{}", exception::killed_report(*p));
            return 1;
        case Status::Failed:
            fmt::print(stderr, "{}", exception::report(*p));
            return 1;
        default: {
            std::string reason = term::to_string(signals::exit_reason(*p));
            fmt::print(stderr, "beamlite: main process exited: {}\n", reason);
            return 1;
        }
    }
}

void free_all() {
    process::for_each([](Process* p) {
        process::table_remove(p);
        process::destroy(p);
    });
    timer::clear();
    for (Queue& q : t_sched.queues)
        q = Queue{};
}

// Nothing can run: sleep until the next timer. False when there is none
// (every process waits for a message no one can send).
bool idle() {
    int64_t next = timer::next_deadline();
    if (next < 0) return false;
    int64_t wait = next - timer::now_ms();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    return true;
}

// Runs one slice of `p`; returns its status afterwards.
Status slice(Process* p) {
    if (p->status == Status::Waiting) {
        bool message = signals::handle_inbox(*p);
        if (p->status == Status::Exiting) return p->status;
        if (!message && !(p->flags & process::kTimedOut)) return Status::Waiting;
        p->status = Status::Runnable;
    } else {
        signals::handle_inbox(*p);
        if (p->status == Status::Exiting) return p->status;
    }
    t_sched.running = p;
    Status status = interp::run(*p);
    t_sched.running = nullptr;
    p->reductions += uint64_t(interp::kSliceReductions - (p->reds > 0 ? p->reds : 0));
    return status;
}

}  // namespace

void enqueue(Process* p) {
    p->flags |= process::kQueued;
    push(t_sched.queues[p->priority], p);
}

void wake(Process* p) {
    if (p->status == Status::Waiting && !(p->flags & process::kQueued)) enqueue(p);
}

Process* current() {
    return t_sched.running;
}

int run(Process* main) {
    if (!(main->flags & process::kQueued)) enqueue(main);
    for (;;) {
        fire_timers();
        Process* p = dequeue();
        if (!p) {
            if (idle()) continue;
            bif::flush_stdout();
            fmt::print(stderr, "beamlite: deadlock: every process waits in receive\n");
            free_all();
            return 1;
        }
        p->flags &= uint8_t(~process::kQueued);
        Status status = slice(p);
        if (status == Status::Runnable) {
            enqueue(p);
            continue;
        }
        if (status == Status::Waiting) {
            // A signal it sent itself during the slice is still pushed.
            if (p->mailbox.inbox.load(std::memory_order_relaxed)) enqueue(p);
            continue;
        }
        if (p == main || status == Status::Halted) {
            int code = status == Status::Halted ? p->rare->halt_code : main_ended(p);
            bif::flush_stdout();
            free_all();
            return code;
        }
        finish(p);
    }
}

}  // namespace sched
