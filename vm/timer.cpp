// timer: the clock, and each scheduler's deadline heap and id table (see
// timer.h).
#include "vm/timer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <unordered_map>
#include <vector>

namespace timer {

namespace {
// How far skip_ahead moved the clock (nanoseconds; 0 outside the fuzzer).
std::atomic<int64_t> g_skipped_ns{0};
}  // namespace

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count() +
           g_skipped_ns.load(std::memory_order_relaxed);
}

void skip_ahead(int64_t ms) {
    if (ms > 0) g_skipped_ns.fetch_add(ms * 1000000, std::memory_order_relaxed);
}

int64_t now_ms() {
    return now_ns() / 1000000;
}

int64_t now_us() {
    return now_ns() / 1000;
}

void Timers::skip_cancelled() {
    // Drops heap slots whose timer was cancelled, so the top is a live timer.
    while (!heap_.empty() && !entries_.count(heap_.front().id)) {
        std::pop_heap(heap_.begin(), heap_.end());
        heap_.pop_back();
    }
}

void Timers::note_earliest() {
    earliest_.store(heap_.empty() ? INT64_MAX : heap_.front().deadline, std::memory_order_relaxed);
}

namespace {

constexpr int64_t kUsPerMs = 1000;

// The deadline of a timer of `delay_ms` started now, on the now_us()
// clock: a timer fires at its time, never before (Erlang's guarantee), and
// to the microsecond, not at the next millisecond tick.
int64_t deadline_after(int64_t delay_ms) {
    return now_us() + std::max<int64_t>(delay_ms, 0) * kUsPerMs;
}

// Whole milliseconds until `deadline`, rounded down (never more than the
// timer's delay), at least 0.
int64_t left_until(int64_t deadline) {
    return std::max<int64_t>(deadline - now_us(), 0) / kUsPerMs;
}

}  // namespace

void Timers::start(uint64_t id, int64_t delay_ms, Term target, mailbox::Signal* message) {
    int64_t deadline = deadline_after(delay_ms);
    std::lock_guard<std::mutex> guard(mutex_);
    entries_[id] = Entry{deadline, target, message};
    heap_.push_back(Slot{deadline, id});
    std::push_heap(heap_.begin(), heap_.end());
    note_earliest();
}

int64_t Timers::remaining(uint64_t id) {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return -1;
    return left_until(it->second.deadline);
}

int64_t Timers::cancel(uint64_t id) {
    mailbox::Signal* message = nullptr;
    int64_t left;
    {
        std::lock_guard<std::mutex> guard(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return -1;
        left = left_until(it->second.deadline);
        message = it->second.message;
        entries_.erase(it);
        // Many cancelled timers (receive timeouts that did not fire) would
        // otherwise pile up in the heap: rebuild when most slots are dead.
        if (heap_.size() > 64 && heap_.size() > 4 * entries_.size()) {
            std::erase_if(heap_, [this](const Slot& s) { return !entries_.count(s.id); });
            std::make_heap(heap_.begin(), heap_.end());
        }
    }
    if (message) mailbox::signal_free(message);
    return left;
}

int64_t Timers::next_deadline() {
    std::lock_guard<std::mutex> guard(mutex_);
    skip_cancelled();
    note_earliest();
    return heap_.empty() ? -1 : heap_.front().deadline;
}

bool Timers::take_expired(int64_t now, Fired& fired) {
    std::lock_guard<std::mutex> guard(mutex_);
    skip_cancelled();
    if (heap_.empty() || heap_.front().deadline > now) return false;
    uint64_t id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.pop_back();
    skip_cancelled();
    note_earliest();
    auto it = entries_.find(id);
    fired = Fired{id, it->second.target, it->second.message};
    entries_.erase(it);
    return true;
}

size_t Timers::pending() {
    std::lock_guard<std::mutex> guard(mutex_);
    return entries_.size();
}

void Timers::clear() {
    std::lock_guard<std::mutex> guard(mutex_);
    for (auto& [id, entry] : entries_)
        if (entry.message) mailbox::signal_free(entry.message);
    entries_.clear();
    heap_.clear();
    note_earliest();
}

}  // namespace timer
