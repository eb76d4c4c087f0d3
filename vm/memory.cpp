// memory: the per-thread process counters and erlang:memory/0's sums (see
// memory.h).
//
// What each value counts, in bytes:
//   processes       what processes hold now: their control blocks, rare
//                   blocks and saved X registers, heap blocks, the message
//                   fragments and signal nodes sent to them and not yet
//                   collected (also messages waiting in timers); ended
//                   processes whose control block waits to be freed (see
//                   scheduler.h) included. Not their links and monitors
//                   vectors (in system).
//   processes_used  processes less those ended ones.
//   atom, atom_used the atom table (atom.h).
//   binary          the bytes of the off-heap binaries alive, each once.
//   code            loaded code (code.h) and the literal area's used part.
//   ets             the tables' words as ets:info(T, memory) counts them.
//   total           what the VM has taken from the system: the allocator's
//                   committed memory (mimalloc's mi_process_info; under
//                   TSan, the C library's malloc statistics), the pools'
//                   chunks handed out so far, the literal area's committed
//                   part, and the process table at its full size.
//   system          total less processes: the atom table, binaries, code,
//                   the schedulers, the compiler, and the memory kept for
//                   reuse: free chunks in the pools of control blocks and
//                   first heap blocks (the most processes ever alive at
//                   once, or ended and not yet freed, keep theirs there),
//                   the fragments and signal nodes each scheduler keeps,
//                   and what the allocator keeps committed.
#include "vm/memory.h"

#include <mimalloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "vm/atom.h"
#include "vm/code.h"
#include "vm/ets.h"
#include "vm/heap.h"
#include "vm/process.h"
#include "vm/term.h"

namespace memory {

namespace detail {
constinit thread_local Counter* t_counter = nullptr;
}  // namespace detail

namespace {

std::atomic<detail::Counter*> g_counters{nullptr};

uint64_t sum(Counted what) {
    int64_t bytes = 0;
    for (detail::Counter* c = g_counters.load(std::memory_order_acquire); c; c = c->next)
        bytes += c->bytes[what].load(std::memory_order_relaxed);
    return bytes > 0 ? uint64_t(bytes) : 0;  // counters read one after another
}

uint64_t allocator_committed() {
    size_t elapsed, user, system, rss, peak_rss, commit, peak_commit, faults;
    mi_process_info(&elapsed, &user, &system, &rss, &peak_rss, &commit, &peak_commit, &faults);
    return commit;
}

}  // namespace

namespace detail {
Counter* register_thread() {
    auto* c = new Counter;
    c->next = g_counters.load(std::memory_order_relaxed);
    while (!g_counters.compare_exchange_weak(c->next, c, std::memory_order_release,
                                             std::memory_order_relaxed)) {
    }
    t_counter = c;
    return c;
}
}  // namespace detail

Report report() {
    Report r{};
    heap::LiteralMemory literals = heap::literal_memory();
    atom::Memory atoms = atom::memory();
    r.processes = sum(kProcessBytes);
    r.processes_used = r.processes - std::min(r.processes, sum(kEndedBytes));
    r.atom = atoms.allocated;
    r.atom_used = atoms.used;
    r.binary = term::binary_bytes();
    r.code = code::memory_bytes() + literals.used;
    r.ets = ets::total_bytes();
    uint64_t own = process::pcb_bytes() + heap::min_block_bytes() + literals.committed +
                   process::table_bytes();
    r.total = allocator_committed() + own;
    // The parts are counted apart from the allocator's figure, at slightly
    // different moments: total is never reported below them.
    r.total = std::max(r.total, r.processes + r.atom + r.binary + r.code + r.ets);
    r.system = r.total - r.processes;
    return r;
}

void out_of_memory(size_t bytes, const char* what) {
    std::fprintf(stderr, "beamlite: out of memory: cannot allocate %zu bytes (%s)\n", bytes, what);
    std::fflush(stderr);
    std::_Exit(1);
}

}  // namespace memory
