// memory: what erlang:memory/0,1 reports, and the one counter it needs
// that no other part keeps: the bytes processes hold.
//
// Each kind is counted where its memory is owned (atom.h, term.h's
// binaries, code.h, heap.h's pools and literal area, the process table);
// this file only adds them up. The process counter is per thread: a
// process's memory is allocated and freed on whichever scheduler runs it
// (a message fragment by its sender, freed by its receiver), and one
// shared atomic written on every spawn, message and collection would
// bounce between the cores. A thread writes only its own counter (a plain
// load and store); a reader sums them all, so one thread's count may be
// negative (it freed what another allocated) while the sum is exact.
//
//   counters: [thread 1: +812,400] -> [thread 2: -3,072] -> [main: +9,216]
//             (a thread's counter stays in the list after it ends, with
//             its last value: never freed, 64 bytes per thread ever run)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace memory {

// What the per-thread counters count.
enum Counted : uint8_t {
    kProcessBytes,  // held by processes, live or ended and not yet freed
    kEndedBytes,    // of those, held by ended processes waiting to be freed
    kCounted
};

namespace detail {
struct alignas(64) Counter {
    std::atomic<int64_t> bytes[kCounted] = {};
    Counter* next = nullptr;
};
// This thread's counter, or null before its first use.
extern constinit thread_local Counter* t_counter;
Counter* register_thread();
}  // namespace detail

// Adds `bytes` (negative for a free) to what `what` counts. Any thread.
inline void add(Counted what, int64_t bytes) {
    detail::Counter* c = detail::t_counter;
    if (!c) c = detail::register_thread();
    std::atomic<int64_t>& counter = c->bytes[what];
    counter.store(counter.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
}

// Memory held by processes: control blocks, their rare state and saved
// registers, heap blocks, message fragments and signal nodes.
inline void add_process_bytes(int64_t bytes) {
    add(kProcessBytes, bytes);
}

// The VM's own allocations that have no process to fail softly in (a
// control block, a first heap, a message fragment, a signal, a table's
// growth) end the node when memory is exhausted, as the BEAM's allocators
// do: a message naming what and how much, exit status 1, never a null
// dereference. (A process's own growth and its binaries kill only that
// process: gc.h, binary.h.)
[[noreturn]] void out_of_memory(size_t bytes, const char* what);

// `memory` if it is not null; otherwise out_of_memory.
template <typename T>
T* checked(T* memory, size_t bytes, const char* what) {
    if (!memory) [[unlikely]]
        out_of_memory(bytes, what);
    return memory;
}

// erlang:memory/0's values, in bytes (see memory.cpp for what each counts).
struct Report {
    uint64_t total;
    uint64_t processes;
    uint64_t processes_used;
    uint64_t system;
    uint64_t atom;
    uint64_t atom_used;
    uint64_t binary;
    uint64_t code;
    uint64_t ets;
};

// A snapshot, taken while other threads go on: each value is exact for
// some moment of the call, not all for the same one.
Report report();

}  // namespace memory
