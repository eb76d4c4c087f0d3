// heap: the memory of one process (its heap and stack in one block), heap
// fragments for received messages, and the global literal area.
//
// This file owns where process memory comes from (one function pair, so that
// huge-page arenas can replace mimalloc later), the block layout, the size
// classes the GC grows and shrinks through, and the fast allocation path.
// Deciding when and how to collect belongs to gc.h.
//
// The process block: heap grows up, stack grows down, they meet -> GC.
//
//   start                     top                 sp                  end
//   |                          |                   |                   |
//   v                          v                   v                   v
//   +--------------------------+-------------------+-------------------+
//   | heap objects, grow ----> |       free        | <---- stack words |
//   +--------------------------+-------------------+-------------------+
//                               <- free_words() ->  ^ sp[0] is the newest
//                                                     stack word
//
// Invariants:
// - start <= top <= sp <= end, all word-aligned.
// - [start, top) is a sequence of whole objects: a header word followed by
//   its size words, or a cons cell (two non-header words). Nothing else, so
//   the heap can be walked from start to top (the GC's to-space scan and the
//   verifier do). Reserved words must be filled before the next collection.
// - [sp, end) are stack words: terms, or continuation pointers (primary tag
//   00, raw code addresses) which the GC skips.
// - Every pointer held by the process (stack, X registers, dictionary, heap
//   words) points into this block's heap, one of its attached fragments, or
//   the literal area.
//
// A heap fragment holds one message copied in by a sender (allocated by the
// sender, owned by the receiver). While the message waits in the queue its
// fragment belongs to the mailbox; on receive it is attached to the heap's
// fragment list and the next GC moves its live data into the block and frees
// it. Fragments are self-contained: they point only into themselves and into
// the literal area.
//
//   Fragment:  [next][off_heap][used][capacity][data: used words ... free]
//
// Off-heap lists: every refc binary handle in the block (and in each
// fragment) is linked through its `next` word (see term.h), so the GC can
// find the handles it did not copy and drop their references.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "vm/spin_lock.h"
#include "vm/term.h"

namespace heap {

using term::Term;

// ---- raw memory -------------------------------------------------------------

// Every process block and fragment comes from these two functions. They
// count nothing: the owners of blocks and fragments count what they hold
// (memory::add_process_bytes), so that blocks kept for reuse do not count.
Term* block_alloc(size_t words);
void block_free(Term* block, size_t words);

// Chunks of one size carved from large arenas advised for huge pages, and
// reused through a free list; never returned to the OS. For what every
// process has (its control block, its first heap block): page faults
// dominate spawning otherwise (a million processes touch ~480 MiB).
//
//   arena (32 MiB, MADV_HUGEPAGE)
//   +-------+-------+-------+----------------------------+
//   | chunk | chunk | chunk |  not yet handed out  ...   |
//   +-------+-------+-------+----------------------------+
//                            ^ next                      ^ end
//   free list: freed chunks, linked through their first word
class alignas(64) ChunkPool {
  public:
    explicit ChunkPool(size_t chunk_bytes) : chunk_bytes_((chunk_bytes + 15) & ~size_t(15)) {}
    ChunkPool(const ChunkPool&) = delete;
    ChunkPool& operator=(const ChunkPool&) = delete;
    void* alloc();
    void free(void* chunk);
    // True when `p` lies in one of this pool's arenas (a chunk of it);
    // false for memory from elsewhere (mimalloc, when the pool was out of
    // address space). Any thread; reads only.
    bool owns(const void* p) const;
    size_t chunk_bytes() const { return chunk_bytes_; }
    // Bytes of the chunks handed out so far, free again or not: the
    // arenas' touched part (erlang:memory/0).
    size_t carved_bytes();

  private:
    static constexpr size_t kMaxArenas = 512;  // 16 GiB of chunks; then mimalloc
    // What alloc and free write, in a cache line of its own (a neighbour's
    // hot atomic in the same line cost the spawn benchmark 6%).
    alignas(64) spin_lock::SpinLock lock_;
    void* free_list_ = nullptr;
    size_t carved_ = 0;  // chunks handed out from the arenas
    char* next_ = nullptr;
    char* end_ = nullptr;
    size_t chunk_bytes_;
    alignas(64) std::atomic<size_t> arena_count_{0};
    std::atomic<char*> arenas_[kMaxArenas] = {};
};

// carved_bytes() of the pool every new process's first block comes from.
size_t min_block_bytes();

// ---- size classes ---------------------------------------------------------------

// A new process's block: 8 words (64 bytes) of heap and stack together,
// enough for a process that waits in a receive (its fun, a small frame);
// one that works grows at its first collections, which cost next to
// nothing while it is this small. With the 224-byte PCB: 288 bytes a
// process (16 words: 352 bytes, and 18% more pages for the kernel to
// clear when a million are spawned).
constexpr size_t kMinBlockWords = 8;

// Block sizes grow along a Fibonacci-like sequence from kMinBlockWords
// (8, 12, 24, 40, 64, ...) and by 20% a step past 4M words, as the BEAM
// does: fast growth while small, bounded waste while big.
size_t size_class_words(unsigned size_class);
// The smallest size class holding at least `words`.
unsigned size_class_at_least(size_t words);

// ---- fragments ----------------------------------------------------------------------

struct Fragment {
    Fragment* next;
    Term* off_heap;  // refc handles inside this fragment
    uint64_t used;   // words of data in use
    uint64_t capacity;
    Term data[];
};

Fragment* fragment_new(size_t words);
// Frees a fragment that will never be collected (a dropped message): drops
// its off-heap references first. Attached fragments are freed by the GC.
void fragment_free(Fragment* fragment);
// Frees the fragments this thread keeps for reuse (before it ends).
void release_thread_cache();
inline Term* fragment_alloc(Fragment* fragment, size_t words) {
    Term* p = fragment->data + fragment->used;
    fragment->used += words;
    return p;
}

// OTP's default min_bin_vheap_size, in words: the smallest binary_limit.
constexpr uint32_t kMinBinaryWords = 46422;

// OTP's default fullsweep_after.
constexpr uint16_t kDefaultFullsweepAfter = 65535;

// ---- the old generation -------------------------------------------------------------------

// What a process with a big heap keeps besides its block (gc.h has the
// policy): the objects that survived two collections, in chunks that are
// fragments (the same header, their own off-heap lists), newest first;
// promotion fills the newest. Nothing in the old generation points into
// the block or its fragments, so a minor collection copies the block's
// live objects and leaves the chunks alone.
//
//   block:  [aged: survived one collection | young ............ ][free][stack]
//           ^ start                         ^ high_water          ^ top
//   chunks: [chunk: promoted ...   | free] -> [chunk: full] -> ...
struct OldGeneration {
    Fragment* chunks = nullptr;
    size_t words = 0;                // in use in every chunk
    size_t limit = 0;                // a major collection comes when `words` passes it
    Term* high_water = nullptr;      // in the block: below it, objects to promote
    uint32_t minor_collections = 0;  // since the last major one
};

// ---- the process block ------------------------------------------------------------------

struct Heap {
    Term* start = nullptr;
    Term* top = nullptr;
    Term* sp = nullptr;
    Term* end = nullptr;
    Fragment* fragments = nullptr;  // attached (received) message fragments
    Term* off_heap = nullptr;       // refc handles in the block
    uint32_t max_heap_size = 0;     // words of live data + stack; 0: unlimited
    // Words in the attached fragments (saturating): a process that only
    // receives allocates nothing on its heap and would hold every message
    // it ever got until its next collection; this many words trigger one
    // (see gc::fragments_due).
    uint32_t fragment_words = 0;
    uint8_t next_size_class = 0;  // the GC's target size for next time
    // Consecutive GCs with little live data (up to gc::kShrinkAfter).
    uint8_t small_collections : 4 = 0;
    // Collections since the process last waited (saturating; gc::free_words_kept).
    uint8_t busy_collections : 3 = 0;
    // Set when a block or an off-heap binary could not be allocated: the
    // process dies of exhausted memory, not of its max_heap_size.
    uint8_t out_of_memory : 1 = 0;
    // Minor collections between major ones (fullsweep_after, at most
    // kDefaultFullsweepAfter); 0: every one is major.
    uint16_t fullsweep_after = kDefaultFullsweepAfter;
    uint32_t live_after_gc = 0;  // heap words live after the last collection
    // The virtual binary heap (gc::binaries_due): words of the off-heap
    // binaries the block refers to (made since the last collection, or
    // live at it; saturating), and how many trigger a collection.
    uint32_t binary_words = 0;
    uint32_t binary_limit = kMinBinaryWords;
    OldGeneration* old = nullptr;  // null until the heap grows big (gc.h)
};

// Gives a new process its first block (kMinBlockWords unless told).
void init(Heap& heap, size_t words = kMinBlockWords);
// Frees the block and fragments and drops every off-heap reference.
void destroy(Heap& heap);

inline size_t block_words(const Heap& heap) {
    return size_t(heap.end - heap.start);
}
inline size_t heap_used(const Heap& heap) {
    return size_t(heap.top - heap.start);
}
inline size_t stack_used(const Heap& heap) {
    return size_t(heap.end - heap.sp);
}
inline size_t free_words(const Heap& heap) {
    return size_t(heap.sp - heap.top);
}
size_t fragment_words(const Heap& heap);
inline size_t old_words(const Heap& heap) {
    return heap.old ? heap.old->words : 0;
}
// Words of the old generation's chunks, free or not.
size_t old_capacity(const Heap& heap);

// Takes `words` from the free space; the caller has made sure there is
// room (gc::ensure) and fills every word before the next collection.
inline Term* alloc(Heap& heap, size_t words) {
    Term* p = heap.top;
    heap.top += words;
    return p;
}
inline void push(Heap& heap, Term word) {
    *--heap.sp = word;
}
inline Term pop(Heap& heap) {
    return *heap.sp++;
}

inline void attach_fragment(Heap& heap, Fragment* fragment) {
    fragment->next = heap.fragments;
    heap.fragments = fragment;
    uint64_t words = uint64_t(heap.fragment_words) + fragment->used;
    heap.fragment_words = uint32_t(words < UINT32_MAX ? words : UINT32_MAX);
}

// ---- copying terms between areas -------------------------------------------------------

// Words a deep copy of `t` takes (what a message needs in its fragment, or
// a constant in the literal area). Subterms reached twice count twice:
// copying does not preserve sharing, as in the BEAM. Literal subterms
// count nothing: they are referenced, not copied.
size_t copy_size(Term t);
// The words of `t` when it is a tuple of immediates that can be copied
// word for word with copy_flat (most messages), else 0.
// Inline (below): two of them for each message sent.
inline size_t flat_size(Term t);
inline Term copy_flat(Term t, Term* dest, size_t words);

// Copies `t` into `dest`, which holds copy_size(t) words; returns the copy.
// Refc binary handles are copied with a new reference each, linked into
// `off_heap` (the fragment's list). Iterative: no C recursion.
Term copy_term(Term t, Term* dest, Term*& off_heap);

// ---- the literal area ----------------------------------------------------------------------

// One reserved address range for every module's literals (and other terms
// that outlive processes). The GC never copies what lies here, and telling
// is one subtraction and one compare. Allocation is rare (code loading) and
// takes a lock; the words are never moved.
namespace detail {
extern uintptr_t literal_base;
extern uintptr_t literal_bytes;
}  // namespace detail

inline bool in_literal_area(const void* p) {
    return uintptr_t(p) - detail::literal_base < detail::literal_bytes;
}
// Bytes of the literal area: made readable and writable so far, and
// handed out (erlang:memory(code) counts these).
struct LiteralMemory {
    size_t committed;
    size_t used;
};
LiteralMemory literal_memory();
// Returns `words` zeroed words in the literal area, or nullptr when full.
// A refc binary handle made here is linked in no off-heap list: it keeps its
// reference until its module is purged (purging is a later step).
Term* literal_alloc(size_t words);
// Gives back the last `words` words literal_alloc handed out, ending at
// `end`, when nothing was handed out after them (else keeps them); they
// must be untouched (still zero). The loader's batches return their
// unused tails so.
void literal_give_back(Term* end, size_t words);

inline size_t flat_size(Term t) {
    if (!term::is_tuple(t) || in_literal_area(term::pointer_target(t))) return 0;
    const Term* object = term::boxed_ptr(t);
    size_t arity = term::header_size(object[0]);
    for (size_t i = 1; i <= arity; ++i)
        if (!term::is_immediate(object[i])) return 0;
    return arity + 1;
}

inline Term copy_flat(Term t, Term* dest, size_t words) {
    const Term* from = term::boxed_ptr(t);
    for (size_t i = 0; i < words; ++i)
        dest[i] = from[i];
    return term::make_boxed_ptr(dest);
}

}  // namespace heap
