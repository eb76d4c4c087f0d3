// timer: the clock, the deadline heap and the id table (see timer.h).
#include "vm/timer.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <unordered_map>
#include <vector>

namespace timer {

namespace {

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

std::vector<Slot> g_heap;
std::unordered_map<uint64_t, Entry> g_entries;

// Drops heap slots whose timer was cancelled, so the top is a live timer.
void skip_cancelled() {
    while (!g_heap.empty() && !g_entries.count(g_heap.front().id)) {
        std::pop_heap(g_heap.begin(), g_heap.end());
        g_heap.pop_back();
    }
}

}  // namespace

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int64_t now_ms() {
    return now_ns() / 1000000;
}

void start(uint64_t id, int64_t delay_ms, Term target, mailbox::Signal* message) {
    int64_t deadline = now_ms() + std::max<int64_t>(delay_ms, 0);
    g_entries[id] = Entry{deadline, target, message};
    g_heap.push_back(Slot{deadline, id});
    std::push_heap(g_heap.begin(), g_heap.end());
}

int64_t remaining(uint64_t id) {
    auto it = g_entries.find(id);
    if (it == g_entries.end()) return -1;
    return std::max<int64_t>(it->second.deadline - now_ms(), 0);
}

int64_t cancel(uint64_t id) {
    auto it = g_entries.find(id);
    if (it == g_entries.end()) return -1;
    int64_t left = std::max<int64_t>(it->second.deadline - now_ms(), 0);
    if (it->second.message) mailbox::signal_free(it->second.message);
    g_entries.erase(it);
    // Many cancelled timers (receive timeouts that did not fire) would
    // otherwise pile up in the heap: rebuild when most slots are dead.
    if (g_heap.size() > 64 && g_heap.size() > 4 * g_entries.size()) {
        std::erase_if(g_heap, [](const Slot& s) { return !g_entries.count(s.id); });
        std::make_heap(g_heap.begin(), g_heap.end());
    }
    return left;
}

int64_t next_deadline() {
    skip_cancelled();
    return g_heap.empty() ? -1 : g_heap.front().deadline;
}

bool take_expired(int64_t now, Fired& fired) {
    skip_cancelled();
    if (g_heap.empty() || g_heap.front().deadline > now) return false;
    uint64_t id = g_heap.front().id;
    std::pop_heap(g_heap.begin(), g_heap.end());
    g_heap.pop_back();
    auto it = g_entries.find(id);
    fired = Fired{id, it->second.target, it->second.message};
    g_entries.erase(it);
    return true;
}

size_t pending() {
    return g_entries.size();
}

void clear() {
    for (auto& [id, entry] : g_entries)
        if (entry.message) mailbox::signal_free(entry.message);
    g_entries.clear();
    g_heap.clear();
}

}  // namespace timer
