// timer: the monotonic clock and the timers of `receive ... after`,
// erlang:send_after/3 and erlang:start_timer/3.
//
// Timers live in a binary min-heap keyed by deadline, beside a table from
// timer id to entry. Cancelling removes the table entry only; the heap slot
// is skipped when it comes up (lazy deletion). So starting, cancelling and
// firing cost O(log timers), and nothing here depends on the number of
// processes: an idle process blocked in a receive without `after` has no
// timer at all.
//
//   heap: [(deadline, id)] min at [0]      table: id -> Entry {deadline,
//                                                   target, message}
//
// There is one Timers per scheduler (scheduler.h routes each timer to the
// scheduler of the process that starts it), so schedulers rarely contend on
// one structure. A scheduler fires its own timers between slices, and
// another's too when their earliest deadline has passed (`maybe_due`, one
// relaxed load): a timer due while its scheduler is in a long slice is
// fired by the next scheduler between slices.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "vm/mailbox.h"
#include "vm/term.h"

namespace timer {

using term::Term;

// Milliseconds on the monotonic clock (an arbitrary origin).
int64_t now_ms();
// Microseconds and nanoseconds on the same clock.
int64_t now_us();
int64_t now_ns();
// Moves the monotonic clock `ms` ahead of real time (virtual time for the
// program fuzzer, sched::Limits); the offset stays for the process's life.
void skip_ahead(int64_t ms);

// A timer that fired: its target and message (null for a receive timeout).
struct Fired {
    uint64_t id;
    Term target;
    mailbox::Signal* message;
};

// The timers of one scheduler. Any thread may call any method (a
// cancel_timer can come from a process on another scheduler); one mutex
// guards each set, taken for O(log timers) work only.
class Timers {
  public:
    Timers() = default;
    Timers(const Timers&) = delete;
    Timers& operator=(const Timers&) = delete;
    ~Timers() { clear(); }

    // Starts a timer that fires `delay_ms` from now. `target` is a pid or a
    // registered name; `message` the signal to deliver (null: a receive
    // timeout of process `target`). Takes ownership of `message`.
    void start(uint64_t id, int64_t delay_ms, Term target, mailbox::Signal* message);

    // Cancels timer `id`: the milliseconds it had left, or -1 when it is
    // not here (fired, cancelled, another scheduler's or never existed).
    int64_t cancel(uint64_t id);
    // The milliseconds timer `id` has left, or -1.
    int64_t remaining(uint64_t id);

    // The earliest deadline (now_us() clock), or -1 when no timer is pending.
    int64_t next_deadline();

    // False when no timer here is due at `now` (now_us() clock); true
    // when one may be (take_expired says). Lock-free: for other threads'
    // quick look.
    bool maybe_due(int64_t now) const { return earliest_.load(std::memory_order_relaxed) <= now; }
    // A deadline at or before the earliest pending one (INT64_MAX: none),
    // without the lock; cancelled timers may leave it early.
    int64_t earliest_hint() const { return earliest_.load(std::memory_order_relaxed); }

    // Takes the next timer whose deadline is at or before `now` (now_us()
    // clock); false if none.
    bool take_expired(int64_t now, Fired& fired);

    // Pending timers.
    size_t pending();
    // Drops every timer (the end of the program).
    void clear();

  private:
    struct Entry {
        int64_t deadline;
        Term target;
        mailbox::Signal* message;
    };
    struct Slot {
        int64_t deadline;
        uint64_t id;
        // std::push_heap builds a max-heap: invert so the earliest is on top.
        bool operator<(const Slot& other) const {
            return deadline != other.deadline ? deadline > other.deadline : id > other.id;
        }
    };
    void skip_cancelled();
    void note_earliest();

    std::mutex mutex_;
    std::vector<Slot> heap_;
    std::unordered_map<uint64_t, Entry> entries_;
    // Invariant (under mutex_ for writers): at or before the top of heap_,
    // INT64_MAX when heap_ is empty.
    std::atomic<int64_t> earliest_{INT64_MAX};
};

}  // namespace timer
