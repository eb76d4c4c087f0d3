// gc: the per-process semispace copying collector (Cheney), its sizing
// policy, the GC-stress mode and the heap verifier.
//
// A collection copies everything reachable from the roots into a fresh
// block and frees the old one; no other process is stopped.
//
//   old block + attached fragments           new block
//   +------------------+--------+            +--------------+------+------+
//   | heap (mostly     | stack  |  ------->  | live objects | free | stack|
//   | garbage)         |        |   copy     +--------------+------+------+
//   +------------------+--------+            ^ scan ->   ^ free
//   [fragment]->[fragment]
//
// Roots: the stack words (copied to the new block's end first), the live X
// registers, and arrays of terms off the heap the caller names (the rare
// block's terms, the process dictionary's table, a long BIF's saved state).
// Then the new block is scanned left to right and every pointer in it is
// evacuated, until the scan reaches the allocation point: Cheney's
// algorithm, breadth first, no recursion and no mark stack.
//
// Forwarding: a moved boxed object's header is overwritten with a boxed
// pointer to its copy (a header never has primary tag 10); a moved cons
// cell gets car = kNone (never a term) and cdr = the new cons pointer.
//
// Literals (heap::in_literal_area) are never copied. Every other pointer is
// in the block or an attached fragment, so "copy it" needs no range test.
// A subterm reached twice is copied once (the second visit finds the
// forwarding mark), so sharing inside a process survives collection.
//
// Off-heap binaries: after copying, the old off-heap lists (block and
// fragments) are walked; a handle that was forwarded is relinked into the
// new list, one that was not is garbage and its Binary reference dropped.
//
// Sizing: the new block is at least as large as everything that could be
// live (heap + fragments + stack), in size classes. Afterwards, with
// wanted = live heap + stack + need and target = max(2 * wanted, wanted +
// kMinFreeWords) (capped at max_heap_size):
//   wanted > block        -> grow now (copy once more, into target);
//   target > block        -> the next collection copies into target;
//   wanted < 25% of block for kShrinkAfter collections in a row
//                         -> shrink now (copy live data into target).
// Keeping the block about twice the live data bounds the copying to about
// one word per word allocated, however big the heap grows.
//
// Generations (heap::OldGeneration; a process gets one once its live heap
// is big): what survived one collection lies below the block's high water
// and is promoted into old chunks at the next (a minor collection); the
// chunks are copied only by a major one. No write barrier is needed: a
// term is immutable once built, and a new term can only point at older
// ones, so nothing old ever points at anything young. The exceptions cost
// nothing at a minor collection because they are roots anyway: the
// process dictionary and a long BIF's saved state live off the heap, and
// set_tuple_element only writes into a tuple just built. Messages pinned
// by a receive are the one hazard (they stay in their fragments): while
// any are pinned, nothing is promoted and no major collection runs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "vm/heap.h"
#include "vm/term.h"

namespace gc {

using term::Term;

// Where the live terms of a process are, besides its stack.
struct Roots {
    Term* xregs = nullptr;  // the live X registers
    size_t num_xregs = 0;
    // Other arrays of terms the caller holds; kNone words (empty slots of
    // a table) are skipped.
    struct Span {
        Term* words = nullptr;
        size_t size = 0;
    };
    static constexpr size_t kMaxSpans = 5;
    Span spans[kMaxSpans];
    size_t num_spans = 0;
    void add(Term* words, size_t size) { spans[num_spans++] = {words, size}; }
    // Fragments not attached to the heap that roots may point into (the
    // queued messages whose terms a receive gave out: Signal::exposed):
    // their terms are left where they are, as literals are.
    std::vector<const heap::Fragment*> pinned;
};

constexpr unsigned kShrinkAfter = 3;
// Generations: a process whose live heap reaches kGenerationalWords after
// a collection (any size in stress mode) gets an old generation; chunks
// of it are at least kMinChunkWords; a major collection comes when the
// old generation passes twice what the last one left (at least
// kMinOldLimitWords) or after fullsweep_after minor ones.
constexpr size_t kGenerationalWords = 8192;
constexpr size_t kMinChunkWords = 1024;
constexpr size_t kMinOldLimitWords = 16384;
// Free words a block keeps after a collection, however little is live (so
// a process that has collected once has about 2 KiB; one that never
// allocated much keeps its first 32 words). The BEAM's smallest heap is
// 233 words.
constexpr size_t kMinFreeWords = 256;
// A process that collects again and again without waiting is working
// through data (nbody's floats, a long fold): each collection since it
// last waited doubles the free words its block keeps, up to
// kMaxFreeWords (64 KiB), so that its collections, each of which copies
// its live data, come as much less often (nbody: 26% fewer instructions).
// Waiting in a receive starts it again from kMinFreeWords, and the idle
// shrink returns the memory.
constexpr size_t kMaxFreeWords = 8192;
inline size_t free_words_kept(const heap::Heap& heap) {
    return std::min(kMinFreeWords << heap.busy_collections, kMaxFreeWords);
}

// GC-stress mode (BEAMLITE_GC_STRESS=1; CI runs the conformance corpus so):
// collections come far more often than they need to, and the heap verifier
// runs before and after each one, aborting the VM with a description of
// the first broken invariant. A collection is forced after every
// live / kStressDivisor words allocated, live being the heap and stack words
// the previous collection kept: at every allocation while a process is
// small, and four times as often as the normal policy in a big one (not
// at every allocation: a program holding a million-element list would run
// in quadratic time; the verifier, which walks the whole heap twice per
// collection, is most of the cost). Set it before processes run.
extern bool stress;
constexpr size_t kStressDivisor = 4;

namespace detail {
// Words this thread may still allocate before stress mode collects.
// constinit: no TLS wrapper call, which UBSan builds saw return null (as
// bif::detail::pending_reductions).
extern constinit thread_local int64_t stress_budget;
}  // namespace detail

// Collects `heap` so that at least `need` words are free between heap top
// and stack pointer afterwards. Returns false, with the heap collected and
// consistent but without the room, when live data + stack + need would pass
// heap.max_heap_size: the caller kills the process with a clean error.
// `full`: a major collection (erlang:garbage_collect/0,1) when the
// process has generations.
bool collect(heap::Heap& heap, size_t need, const Roots& roots, bool full = false);

// True when the attached fragments hold as many words as the block (and
// at least kFragmentsDueWords): a process that receives without
// allocating collects then, as it is preempted or goes idle, so its
// received messages are freed (the BEAM counts its heap fragments towards
// the next collection the same way).
constexpr size_t kFragmentsDueWords = 256;
inline bool fragments_due(const heap::Heap& heap) {
    return heap.fragment_words >= kFragmentsDueWords &&
           heap.fragment_words >= heap::block_words(heap);
}

// A process that makes big binaries collects when the off-heap binaries
// its block refers to pass heap.binary_limit words (OTP's virtual binary
// heap): their handles take 4 words each, so the block alone would not
// fill before gigabytes of dead binaries piled up. After a collection the
// limit is twice the binaries that stayed young (at least
// heap::kMinBinaryWords). binary::alloc asks before it makes one.
inline bool binaries_due(const heap::Heap& heap, size_t words) {
    return heap.binary_words + words > heap.binary_limit;
}
// Counts a new off-heap binary of `bytes` (saturating).
inline void note_binary(heap::Heap& heap, size_t bytes) {
    uint64_t words = uint64_t(heap.binary_words) + (bytes + 7) / 8;
    heap.binary_words = uint32_t(words < UINT32_MAX ? words : UINT32_MAX);
}

// True when `need` words can be allocated without a collection (in
// stress mode, also while the stress budget lasts, which this spends).
inline bool has_room(heap::Heap& heap, size_t need) {
    if (heap::free_words(heap) >= need) [[likely]] {
        if (!stress) [[likely]]
            return true;
        detail::stress_budget -= int64_t(need) + 1;
        if (detail::stress_budget >= 0) return true;
    }
    return false;
}

// The allocating instructions' check: returns true at once when there is
// room (the fast path); otherwise collects.
inline bool ensure(heap::Heap& heap, size_t need, const Roots& roots) {
    return has_room(heap, need) || collect(heap, need, roots);
}

// Counters since start (all processes, this thread): for tests and stats.
// A process that has gone idle (waiting in a receive) keeps a big block
// only if it uses it. shrink_idle, as it parks: when the block has at
// least kIdleShrinkWords and as much has been allocated since the last
// collection as survived it (so the copy costs no more than a collection
// would, amortised: a server with a big live state is not copied at each
// wait), collect and move into a block of twice what is live. With
// `force` (its scheduler has nothing else to do) any block from
// kIdleShrinkLaterWords up, whatever was allocated. True when it shrank.
constexpr size_t kIdleShrinkWords = 4096;
constexpr size_t kIdleShrinkLaterWords = 256;
bool shrink_idle(heap::Heap& heap, const Roots& roots, bool force = false);

struct Stats {
    uint64_t collections;
    uint64_t words_copied;
};
Stats stats();

// Collections on every thread so far, and the heap and fragment words they
// freed (erlang:statistics(garbage_collection)).
struct Totals {
    uint64_t collections;
    uint64_t words_reclaimed;
};
Totals totals();

// Copying passes run on this thread so far. A caller that keeps a pointer
// into the heap (a plan, a walk's position) across an allocation compares
// this before and after: any change means every term not held in a root
// has moved, even when the new block came back at the old address (one
// collection may copy twice, and the allocator may hand out the block it
// just took back, so comparing heap.start proves nothing).
uint64_t copy_count();

// Checks the heap's invariants (heap.h, term.h): every object well formed,
// every pointer in the stack, roots, block and fragments aimed at a valid
// object in the block, an attached fragment or the literal area; the
// off-heap list exactly the refc handles in the block. Returns "" when all
// hold, else a description of the first fault.
std::string verify(const heap::Heap& heap, const Roots& roots);

}  // namespace gc
