// gc: Cheney copying of one process block, sizing, and the verifier (see
// gc.h for the algorithm and the policy).
#include "vm/gc.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "vm/bif.h"
#include "vm/memory.h"

namespace gc {

using namespace term;

bool stress = false;
constinit thread_local int64_t detail::stress_budget = 0;

namespace {

thread_local Stats counters{0, 0};
// Every thread's collections and the words they freed (statistics/1).
std::atomic<uint64_t> g_totals_collections{0};
std::atomic<uint64_t> g_totals_reclaimed{0};

// Where a copying pass puts what it finds.
//   kYoung: everything into the new block; old chunks stay where they are
//           (the first collections of a small process, and re-copies
//           that only resize the block);
//   kMinor: aged objects (below the old generation's high water) into the
//           newest old chunk, the rest into the new block; old chunks stay;
//   kMajor: everything, old chunks included, into one new old chunk; the
//           new block gets only the stack;
//   kCollapse: everything, old chunks included, into the new block, and
//           the old generation goes (an idle process's last compaction).
enum class Plan : uint8_t { kYoung, kMinor, kMajor, kCollapse };

// Copies reachable objects into to-space: the new block (from
// `young_to`) and, promoting, an old chunk (from `old_to`).
class Copier {
  public:
    Copier(const heap::Heap& heap, Plan plan, Term* young_to, Term* old_to,
           const std::vector<const heap::Fragment*>& pinned)
        : young_free_(young_to),
          old_free_(old_to),
          block_start_(heap.start),
          block_top_(heap.top),
          aged_end_(plan == Plan::kMinor ? heap.old->high_water : heap.start),
          old_(plan == Plan::kYoung || plan == Plan::kMinor ? heap.old : nullptr),
          plan_(plan) {
        for (const heap::Fragment* f : pinned)
            pinned_.push_back({f->data, f->data + f->used});
        std::sort(pinned_.begin(), pinned_.end());
    }

    // Replaces a root or scanned word with its new value.
    void fix(Term& word) {
        if (is_pointer(word)) word = evacuate(word);
    }

    // Cheney's scan over both to-spaces: every word between a scan point
    // and its allocation point is fixed; copying more objects moves the
    // allocation points on.
    void scan(Term* young_scan, Term* old_scan) {
        while (young_scan < young_free_ || old_scan < old_free_) {
            young_scan = scan_region(young_scan, young_free_);
            old_scan = scan_region(old_scan, old_free_);
        }
    }

    Term* young_free() const { return young_free_; }
    Term* old_free() const { return old_free_; }

  private:
    Term* scan_region(Term* scan, Term*& free) {
        while (scan < free) {
            Term word = *scan;
            if (is_header(word)) {
                TermWords words = term_words(word);
                for (uint64_t i = 0; i < words.count; ++i)
                    fix(scan[words.first + i]);
                scan += header_size(word) + 1;
            } else {  // a cons cell
                fix(scan[0]);
                fix(scan[1]);
                scan += 2;
            }
        }
        return scan;
    }

    // Where an object at `from` (in the block or a fragment) goes.
    Term*& destination(const Term* from) {
        if (plan_ == Plan::kMajor) return old_free_;
        if (from >= block_start_ && from < aged_end_) return old_free_;
        return young_free_;
    }

    Term evacuate(Term t) {
        Term* from = pointer_target(t);
        if (heap::in_literal_area(from)) return t;
        // Outside the block: a fragment (copied) or, but in a major
        // collection, an old chunk (left where it is).
        if (from < block_start_ || from >= block_top_) {
            if (old_ && is_old(from)) return t;
            if (!pinned_.empty() && is_pinned(from)) [[unlikely]]
                return t;
        }
        if (is_cons(t)) return evacuate_cons(from);
        Term header = from[0];
        if (is_boxed(header)) return header;  // already moved
        size_t words = header_size(header) + 1;
        Term*& free = destination(from);
        Term* to = free;
        free += words;
        copy_words(to, from, words);
        from[0] = make_boxed_ptr(to);
        return from[0];
    }

    // Most boxed objects are a few words (tuples, floats, references): a
    // call to memcpy cost as much as the rest of the copy (binarytrees:
    // 2.8% of the time in memmove for 3-word tuples).
    static void copy_words(Term* to, const Term* from, size_t words) {
        switch (words) {
            case 4:
                to[3] = from[3];
                [[fallthrough]];
            case 3:
                to[2] = from[2];
                [[fallthrough]];
            case 2:
                to[1] = from[1];
                [[fallthrough]];
            case 1:
                to[0] = from[0];
                break;
            default:
                std::memcpy(to, from, words * sizeof(Term));
        }
    }

    Term evacuate_cons(Term* from) {
        if (from[0] == kNone) return from[1];  // already moved
        Term*& free = destination(from);
        Term* to = free;
        free += 2;
        to[0] = from[0];
        to[1] = from[1];
        from[0] = kNone;
        from[1] = make_cons_ptr(to);
        return from[1];
    }

    // Linear in the chunks: few (each new one is at least as big as a
    // promotion), and only pointers that leave the block come here.
    bool is_old(const Term* from) const {
        for (const heap::Fragment* c = old_->chunks; c; c = c->next)
            if (from >= c->data && from < c->data + c->used) return true;
        return false;
    }

    // A receive that looked past a long queue pins every message it saw:
    // a binary search of their ranges, sorted by address.
    bool is_pinned(const Term* from) const {
        auto after = std::upper_bound(pinned_.begin(), pinned_.end(), from,
                                      [](const Term* p, const Range& r) { return p < r.first; });
        return after != pinned_.begin() && from < std::prev(after)->second;
    }

    Term* young_free_;
    Term* old_free_;
    const Term* block_start_;
    const Term* block_top_;
    const Term* aged_end_;
    const heap::OldGeneration* old_;  // chunks that stay put; null in a major collection
    Plan plan_;
    using Range = std::pair<const Term*, const Term*>;  // [data, data + used)
    std::vector<Range> pinned_;
};

// Relinks the forwarded handles of an old off-heap list into the list of
// the to-space their copy is in (`old_list` when it lies in
// [old_begin, old_end), else `young_list`) and drops the references of
// the others (garbage).
// Counts the words of the binaries that stay young in `young_words`.
void sweep_off_heap(Term* list, Term*& young_list, Term*& old_list, const Term* old_begin,
                    const Term* old_end, uint64_t& young_words) {
    while (list) {
        Term* next = refc_next(list);
        if (is_boxed(list[0])) {
            Term* copy = boxed_ptr(list[0]);
            bool old = copy >= old_begin && copy < old_end;
            Term*& into = old ? old_list : young_list;
            refc_next(copy) = into;
            into = copy;
            // copy[1]: a refc handle's bytes (a resource ref's is its id)
            if (!old && header_kind(copy[0]) == Kind::kRefcBin) young_words += (copy[1] + 7) / 8;
        } else {
            off_heap_release(list);
        }
        list = next;
    }
}

// Frees the block's fragments, or the old chunks, after their handles were
// swept (so freeing releases nothing again).
void free_swept(heap::Fragment* f) {
    while (f) {
        heap::Fragment* next = f->next;
        f->off_heap = nullptr;
        heap::fragment_free(f);
        f = next;
    }
}

// One copying pass into `block` of `words`, which must hold all live data
// plus the stack (kMajor: the stack), and `chunk` (kMinor, kMajor), which
// must hold what is promoted. Frees the attached fragments (kMajor: and
// the old chunks but `chunk`), and the old block unless told to keep it
// (the stress mode's round trip copies back into it).
void copy_to(heap::Heap& heap, Term* block, size_t words, const Roots& roots, bool free_old,
             Plan plan = Plan::kYoung, heap::Fragment* chunk = nullptr) {
    Term* end = block + words;
    size_t stack_words = heap::stack_used(heap);
    Term* sp = end - stack_words;
    std::memcpy(sp, heap.sp, stack_words * sizeof(Term));

    Term* old_to = chunk ? chunk->data + chunk->used : nullptr;
    Copier copier(heap, plan, block, old_to, roots.pinned);
    for (Term* p = sp; p < end; ++p)
        copier.fix(*p);
    for (size_t i = 0; i < roots.num_xregs; ++i)
        copier.fix(roots.xregs[i]);
    for (size_t s = 0; s < roots.num_spans; ++s) {
        for (size_t i = 0; i < roots.spans[s].size; ++i)
            copier.fix(roots.spans[s].words[i]);
    }
    copier.scan(block, old_to);

    Term* off_heap = nullptr;
    Term* old_off_heap = chunk ? chunk->off_heap : nullptr;
    const Term* old_end = copier.old_free();
    uint64_t binary_words = 0;
    sweep_off_heap(heap.off_heap, off_heap, old_off_heap, old_to, old_end, binary_words);
    for (heap::Fragment* f = heap.fragments; f; f = f->next)
        sweep_off_heap(f->off_heap, off_heap, old_off_heap, old_to, old_end, binary_words);
    free_swept(heap.fragments);
    if (plan == Plan::kMajor || plan == Plan::kCollapse) {
        // Every old chunk but the new one (the newest) was from-space.
        heap::Fragment* from = chunk ? chunk->next : heap.old->chunks;
        for (heap::Fragment* c = from; c; c = c->next)
            sweep_off_heap(c->off_heap, off_heap, old_off_heap, old_to, old_end, binary_words);
        free_swept(from);
        if (chunk) chunk->next = nullptr;
        heap.old->words = 0;
    }
    if (plan == Plan::kCollapse) {
        delete heap.old;
        heap.old = nullptr;
    }
    if (chunk) {
        size_t promoted = size_t(copier.old_free() - old_to);
        chunk->used += promoted;
        chunk->off_heap = old_off_heap;
        heap.old->words += promoted;
    }
    // The heap owns the new block from here, not the old one, even when the
    // old one is kept (the stress mode's round trip copies back into it and
    // so counts it again).
    int64_t grown = int64_t(words) - int64_t(heap::block_words(heap));
    memory::add_process_bytes(grown * int64_t(sizeof(Term)));
    if (free_old) heap::block_free(heap.start, heap::block_words(heap));

    size_t used = size_t(heap.top - heap.start) + heap.fragment_words;
    size_t copied = size_t(copier.young_free() - block) + size_t(copier.old_free() - old_to);
    counters.collections++;
    counters.words_copied += copied;
    g_totals_collections.fetch_add(1, std::memory_order_relaxed);
    if (used > copied) g_totals_reclaimed.fetch_add(used - copied, std::memory_order_relaxed);
    heap.start = block;
    heap.top = copier.young_free();
    heap.sp = sp;
    heap.end = end;
    heap.fragments = nullptr;
    heap.fragment_words = 0;
    heap.off_heap = off_heap;
    heap.live_after_gc = uint32_t(std::min<size_t>(heap::heap_used(heap), UINT32_MAX));
    heap.binary_words = uint32_t(std::min<uint64_t>(binary_words, UINT32_MAX));
    heap.binary_limit = uint32_t(std::min<uint64_t>(
        std::max<uint64_t>(2 * binary_words, heap::kMinBinaryWords), UINT32_MAX));
    // Everything left in the block has survived a collection now.
    if (heap.old) heap.old->high_water = heap.top;
}

// One copying pass into a new block of `words`. False, with the heap as
// it was, when the allocator has no such block: a collection never copies
// into a null block, whatever was asked.
bool copy_into(heap::Heap& heap, size_t words, const Roots& roots, Plan plan = Plan::kYoung,
               heap::Fragment* chunk = nullptr) {
    Term* block = heap::block_alloc(words);
    if (!block) {
        heap.out_of_memory = true;
        return false;
    }
    copy_to(heap, block, words, roots, true, plan, chunk);
    return true;
}

// ---- generations ----------------------------------------------------------------------

// The newest old chunk when it has room for `words`, else a new one (at
// least half the old generation's size, so that chunks stay few).
heap::Fragment* chunk_for(heap::OldGeneration& old, size_t words) {
    heap::Fragment* head = old.chunks;
    if (head && head->capacity - head->used >= words) return head;
    heap::Fragment* chunk = heap::fragment_new(std::max({words, kMinChunkWords, old.words / 2}));
    chunk->next = head;
    old.chunks = chunk;
    return chunk;
}

// After a collection of everything: a process whose live heap is big now
// keeps what survived for promotion at its next collection.
void maybe_start_generations(heap::Heap& heap) {
    if (heap.old || heap.fullsweep_after == 0) return;
    if (heap::heap_used(heap) < (stress ? 0 : kGenerationalWords)) return;
    heap.old = new heap::OldGeneration;
    heap.old->high_water = heap.top;
    heap.old->limit = std::max(2 * heap::heap_used(heap), kMinOldLimitWords);
}

// Stress mode makes every third collection of a generational heap major.
thread_local unsigned t_stress_turn = 0;

bool major_due(const heap::Heap& heap, bool full) {
    const heap::OldGeneration& old = *heap.old;
    size_t aged = size_t(old.high_water - heap.start);
    return full || old.minor_collections >= heap.fullsweep_after || old.words + aged > old.limit ||
           (stress && ++t_stress_turn % 3 == 0);
}

// Everything live into one new old chunk; the block gets the stack, in
// the planned size (or more, for the stack and `need`).
bool collect_major(heap::Heap& heap, size_t need, const Roots& roots) {
    heap::OldGeneration& old = *heap.old;
    size_t could_live = heap::heap_used(heap) + heap::fragment_words(heap) + old.words;
    size_t want = heap::stack_used(heap) + need + kMinFreeWords;
    size_t words = std::max(heap::size_class_words(heap.next_size_class),
                            heap::size_class_words(heap::size_class_at_least(want)));
    Term* block = heap::block_alloc(words);
    if (!block) {
        heap.out_of_memory = true;
        return false;
    }
    heap::Fragment* chunk = heap::fragment_new(std::max(could_live, kMinChunkWords));
    chunk->next = old.chunks;
    old.chunks = chunk;
    copy_to(heap, block, words, roots, true, Plan::kMajor, chunk);
    old.limit = std::max(2 * old.words, kMinOldLimitWords);
    old.minor_collections = 0;
    return true;
}

// The aged objects into the newest old chunk, the rest into a block of
// `words`. While a receive has looked-at messages pinned, nothing is
// promoted: an old object must never point into a fragment.
bool collect_minor(heap::Heap& heap, size_t words, const Roots& roots) {
    heap::OldGeneration& old = *heap.old;
    if (!roots.pinned.empty()) old.high_water = heap.start;
    size_t aged = size_t(old.high_water - heap.start);
    bool promoting = aged > 0;
    heap::Fragment* chunk = promoting ? chunk_for(old, aged) : nullptr;
    if (!copy_into(heap, words, roots, promoting ? Plan::kMinor : Plan::kYoung, chunk))
        return false;
    old.minor_collections++;
    return true;
}

// The collection's copy: minor or major in a process with an old
// generation, else of everything into a block of `words` (after which the
// process may start generations).
bool first_copy(heap::Heap& heap, size_t words, size_t need, const Roots& roots, bool full) {
    if (!heap.old) {
        if (!copy_into(heap, words, roots)) return false;
        maybe_start_generations(heap);
        return true;
    }
    // Not while a receive has messages pinned: their fragments stay where
    // they are, and an old object must never point into a fragment.
    if (roots.pinned.empty() && major_due(heap, full)) return collect_major(heap, need, roots);
    return collect_minor(heap, words, roots);
}

// True when no collection can give `need` words: the stack and the request
// alone pass max_heap_size, or live data and request together pass the
// largest block there is. Decided before copying anything: a request of
// 2^44 words (make_tuple) once made the new block that size, then copied
// the stack into the null block the allocator returned.
bool hopeless(const heap::Heap& heap, size_t need, size_t could_live) {
    size_t largest = heap::size_class_words(~0u);  // the last size class
    if (need > largest || could_live > largest - need) return true;
    return heap.max_heap_size && need + heap::stack_used(heap) > heap.max_heap_size;
}

// The block size a process with `wanted` words of live data + stack + need
// should have: twice that, so that a collection (which costs the live data)
// comes only after as many words again have been allocated; copying then
// costs about one word per word allocated, however big the heap. And at
// least kMinFreeWords free: a collection also has a fixed cost (a block
// from the allocator, the roots, the sizing; about 800 instructions), which
// a process with little live data but a high allocation rate (a binary
// walked byte by byte) would otherwise pay every few words. Never more
// than max_heap_size unless `wanted` itself is more.
size_t target_words(const heap::Heap& heap, size_t wanted) {
    size_t target = std::max(2 * wanted, wanted + free_words_kept(heap));
    if (heap.max_heap_size && target > heap.max_heap_size)
        target = std::max(wanted, size_t(heap.max_heap_size));
    return heap::size_class_words(heap::size_class_at_least(target));
}

// After a collection: grow now if the block cannot hold `wanted` (live data
// + stack + need; false when no such block can be had); else choose the size of the next
// collection's block: bigger when it is smaller than the target (more than half of it live, or less
// than kMinFreeWords free: growing now would cost a second copy, growing at the next collection
// costs nothing), smaller after kShrinkAfter collections in a row that found less than a quarter
// live (then shrink at once: the copy is small and the memory is returned now).
bool resize(heap::Heap& heap, size_t wanted, const Roots& roots) {
    size_t size = heap::block_words(heap);
    size_t target = target_words(heap, wanted);
    if (wanted > size) {
        if (!copy_into(heap, target, roots)) return false;
        heap.next_size_class = uint8_t(heap::size_class_at_least(target));
        heap.small_collections = 0;
    } else if (target > size) {
        heap.next_size_class = uint8_t(heap::size_class_at_least(target));
        heap.small_collections = 0;
    } else if (wanted * 4 < size && ++heap.small_collections >= kShrinkAfter) {
        if (target < size) copy_into(heap, target, roots);
        heap.next_size_class = uint8_t(heap::size_class_at_least(std::min(target, size)));
        heap.small_collections = 0;
    } else if (wanted * 4 >= size) {
        heap.small_collections = 0;
    }
    return true;
}

// One collection and the sizing that follows it (collect without the
// stress-mode checks).
size_t pinned_words(const Roots& roots) {
    size_t words = 0;
    for (const heap::Fragment* f : roots.pinned)
        words += f->used;
    return words;
}

bool collect_now(heap::Heap& heap, size_t need, const Roots& roots, bool full = false) {
    size_t could_live = heap::heap_used(heap) + heap::fragment_words(heap) + heap::stack_used(heap);
    if (hopeless(heap, need, could_live)) return false;
    // A big request goes into the new block at once rather than through a
    // second copy; a small one fits once the garbage is gone.
    if (need > heap::block_words(heap) / 2) could_live += need;
    size_t planned = heap::size_class_words(heap.next_size_class);
    size_t words = std::max(planned, heap::size_class_words(heap::size_class_at_least(could_live)));
    if (!first_copy(heap, words, need, roots, full)) return false;
    size_t wanted = heap::heap_used(heap) + heap::stack_used(heap) + need;
    if (heap.max_heap_size && wanted + heap::old_words(heap) > heap.max_heap_size) return false;
    // The block was made bigger than planned in case every attached
    // fragment was live. When much less was, move into the planned size
    // now (copying little), or the received messages would inflate the
    // block at every collection of a process that mostly receives.
    // Pinned messages (a receive looked past them) are visited by every
    // collection as if live: the block is sized for them too, so that
    // collections come as much less often and cost stays linear in what is
    // allocated (taking 40,000 messages a selective receive had skipped
    // was quadratic: 3.4 s).
    size_t pinned = pinned_words(roots);
    if (words > planned) {
        size_t target = std::max(planned, target_words(heap, wanted + pinned));
        if (target < words) copy_into(heap, target, roots);
    }
    return resize(heap, wanted + pinned, roots);
}

}  // namespace

namespace {

// Everything live into one block, the old generation dissolved.
bool collapse(heap::Heap& heap, const Roots& roots) {
    size_t could_live = heap::heap_used(heap) + heap::fragment_words(heap) + heap::old_words(heap) +
                        heap::stack_used(heap);
    size_t words = heap::size_class_words(heap::size_class_at_least(could_live));
    return copy_into(heap, words, roots, Plan::kCollapse);
}

}  // namespace

bool shrink_idle(heap::Heap& heap, const Roots& roots, bool force) {
    size_t size = heap::block_words(heap) + heap::old_capacity(heap);
    if (size < (force ? kIdleShrinkLaterWords : kIdleShrinkWords)) return false;
    size_t allocated = heap::heap_used(heap) + heap::fragment_words(heap);
    if (!force && allocated < 2 * size_t(heap.live_after_gc)) return false;
    // With nothing else to do, a process's old generation goes too (it
    // starts again if the process grows big again); otherwise a minor
    // collection, as a busy process's.
    if (!(force && heap.old ? collapse(heap, roots) : collect_now(heap, 0, roots))) return false;
    // Compact: twice what is live, without the free words a working
    // process keeps (kMinFreeWords); its next collection adds them back.
    // Pinned messages count as live, as in collect_now: a server waiting
    // with a long queue it has looked past must not be shrunk into
    // collecting (and visiting them all) every few words.
    size_t wanted = heap::heap_used(heap) + heap::stack_used(heap) + pinned_words(roots);
    size_t target = heap::size_class_words(
        heap::size_class_at_least(std::max(2 * wanted, heap::kMinBlockWords)));
    if (target < heap::block_words(heap)) copy_into(heap, target, roots);
    heap.next_size_class = uint8_t(heap::size_class_at_least(target));
    heap.small_collections = 0;
    return heap::block_words(heap) + heap::old_capacity(heap) < size;
}

namespace {

// Stress mode: the verifier's verdict, fatal when it finds a fault.
void verify_or_abort(const heap::Heap& heap, const Roots& roots, const char* when) {
    std::string fault = verify(heap, roots);
    if (fault.empty()) return;
    std::fprintf(stderr, "beamlite: heap verifier, %s a collection: %s\n", when, fault.c_str());
    std::abort();
}

// Stress mode, every other collection that can: copy out to a spare block
// and back into the same one. Every term moves, yet heap.start is what it
// was, which is what a normal collection does when it copies twice and the
// allocator returns the first block for the second copy: code that keeps a
// pointer across an allocation and tests heap.start to see whether the
// heap moved fails here at once (use process::alloc's `moved`).
bool round_trip(heap::Heap& heap, size_t need, const Roots& roots) {
    static thread_local bool turn = false;
    turn = !turn;
    size_t words = heap::block_words(heap);
    size_t could_live = heap::heap_used(heap) + heap::fragment_words(heap) + heap::stack_used(heap);
    if (!turn || could_live + need > words) return false;
    Term* home = heap.start;
    Term* spare = heap::block_alloc(words);
    if (!spare) return false;
    copy_to(heap, spare, words, roots, false);
    copy_to(heap, home, words, roots, true);
    return true;
}

}  // namespace

bool collect(heap::Heap& heap, size_t need, const Roots& roots, bool full) {
    if (stress) verify_or_abort(heap, roots, "before");
    uint64_t copied_before = counters.words_copied;
    bool ok =
        (stress && !full && round_trip(heap, need, roots)) || collect_now(heap, need, roots, full);
    if (heap.busy_collections < 7) ++heap.busy_collections;
    // The process pays for the copy as for a BIF's work (bif::charge, the
    // owner of that policy): a collection of a big heap ends its slice
    // sooner. The interpreter takes the charge after the collection.
    bif::charge(counters.words_copied - copied_before + heap::stack_used(heap));
    if (stress) {
        verify_or_abort(heap, roots, "after");
        // The old generation counts: the verifier walks it at every collection.
        size_t live = heap::heap_used(heap) + heap::stack_used(heap) + heap::old_words(heap);
        detail::stress_budget = int64_t(live / kStressDivisor);
    }
    return ok;
}

Stats stats() {
    return counters;
}

Totals totals() {
    return {g_totals_collections.load(std::memory_order_relaxed),
            g_totals_reclaimed.load(std::memory_order_relaxed)};
}

uint64_t copy_count() {
    return counters.collections;
}

// ---- the verifier --------------------------------------------------------------------------

namespace {

struct Area {
    const Term* begin;
    const Term* end;
    bool old = false;  // an old chunk: its pointers stay in old chunks
};

class Verifier {
  public:
    Verifier(const heap::Heap& heap, const std::vector<const heap::Fragment*>& pinned)
        : heap_(heap) {
        areas_.push_back({heap.start, heap.top});
        for (const heap::Fragment* f = heap.fragments; f; f = f->next) {
            areas_.push_back({f->data, f->data + f->used});
        }
        // Then the old chunks, so that area i >= 1 stays the i-th attached
        // fragment, and the i-th chunk follows them.
        if (heap.old)
            for (const heap::Fragment* c = heap.old->chunks; c; c = c->next)
                areas_.push_back({c->data, c->data + c->used, true});
        for (const heap::Fragment* f : pinned)
            areas_.push_back({f->data, f->data + f->used});
    }

    std::string run(const Roots& roots) {
        if (!(heap_.start <= heap_.top && heap_.top <= heap_.sp && heap_.sp <= heap_.end)) {
            return "block pointers out of order";
        }
        for (const Area& area : areas_)
            walk(area);
        if (heap_.old && heap_.old->high_water &&
            !(heap_.start <= heap_.old->high_water && heap_.old->high_water <= heap_.top))
            return "high water mark outside the heap";
        for (const Term* p = heap_.sp; p < heap_.end && error_.empty(); ++p) {
            if (!is_header(*p)) check(*p, "stack word");  // headers: continuation pointers
        }
        // kNone is allowed in X registers only: a catch handler starts
        // with X[0] = kNone among its live registers (the GC skips it).
        for (size_t i = 0; i < roots.num_xregs; ++i) {
            if (roots.xregs[i] != kNone) check(roots.xregs[i], "X register");
        }
        for (size_t s = 0; s < roots.num_spans; ++s) {
            for (size_t i = 0; i < roots.spans[s].size; ++i) {
                if (roots.spans[s].words[i] != kNone) check(roots.spans[s].words[i], "root");
            }
        }
        check_off_heap(heap_.off_heap, 0);
        size_t index = 1;
        for (const heap::Fragment* f = heap_.fragments; f; f = f->next)
            check_off_heap(f->off_heap, index++);
        if (heap_.old) {
            size_t words = 0;
            for (const heap::Fragment* c = heap_.old->chunks; c; c = c->next) {
                check_off_heap(c->off_heap, index++);
                words += c->used;
            }
            if (error_.empty() && words != heap_.old->words)
                fail("old generation's word count is wrong", nullptr);
        }
        return error_;
    }

  private:
    void fail(const std::string& what, const Term* where) {
        if (!error_.empty()) return;
        char at[32];
        std::snprintf(at, sizeof at, " at %p", static_cast<const void*>(where));
        error_ = what + at;
    }

    // The area holding `p`, or -1 (in the literal area or invalid).
    int area_of(const Term* p) const {
        for (size_t i = 0; i < areas_.size(); ++i) {
            if (p >= areas_[i].begin && p < areas_[i].end) return int(i);
        }
        return -1;
    }

    // A term held somewhere: an immediate, or a pointer to a valid object
    // (from an old chunk: in an old chunk).
    void check(Term t, const char* where, bool from_old = false) {
        if (is_header(t) || t == kNone) return fail(std::string("non-term in ") + where, nullptr);
        if (!is_pointer(t)) return;
        const Term* target = pointer_target(t);
        if (heap::in_literal_area(target)) return;
        int area = area_of(target);
        if (area < 0) return fail(std::string("wild pointer in ") + where, target);
        if (from_old && !areas_[area].old)
            return fail(std::string("old object points into the young heap from ") + where, target);
        if (is_cons(t)) {
            if (target + 2 > areas_[area].end || is_header(target[0]) || is_header(target[1])) {
                fail(std::string("bad cons cell from ") + where, target);
            }
            return;
        }
        if (!is_header(target[0]) || target + header_size(target[0]) + 1 > areas_[area].end) {
            fail(std::string("boxed pointer to a non-object from ") + where, target);
        }
    }

    void walk(const Area& area) {
        const Term* p = area.begin;
        while (p < area.end && error_.empty()) {
            if (!is_header(*p)) {
                if (p + 2 > area.end) return fail("cons cell past the end", p);
                check(p[0], "car", area.old);
                check(p[1], "cdr", area.old);
                p += 2;
                continue;
            }
            uint64_t size = header_size(*p);
            if (header_kind(*p) >= Kind::kCount || p + size + 1 > area.end) {
                return fail("malformed header", p);
            }
            check_object(p, area.old);
            p += size + 1;
        }
    }

    void check_object(const Term* object, bool old) {
        Term header = object[0];
        TermWords words = term_words(header);
        for (uint64_t i = 0; i < words.count; ++i)
            check(object[words.first + i], "object", old);
        if (!error_.empty()) return;
        uint64_t size = header_size(header);
        Term self = make_boxed_ptr(object);
        switch (header_kind(header)) {
            case Kind::kPosBig:
            case Kind::kNegBig:
                // One limb that fits a small: at most kSmallMax for a
                // positive number, kSmallMax + 1 (that is -kSmallMin) for a
                // negative one.
                if (size == 0 || object[size] == 0 ||
                    (size == 1 &&
                     object[1] <=
                         uint64_t(kSmallMax) + (header_kind(header) == Kind::kNegBig ? 1 : 0))) {
                    fail("non-canonical bignum", object);
                }
                break;
            case Kind::kFloat:
                if (size != 1) fail("float of wrong size", object);
                break;
            case Kind::kRef:
                if (size == 3 && object[2] && resource_of(self)->refs.load() != 0 &&
                    resource_of(self)->id == object[1]) {
                    handles_.insert(object);
                } else if (size != 2) {
                    fail("ref of wrong size", object);
                }
                break;
            case Kind::kHeapBin:
                if (object[1] > kMaxHeapBinBytes || size != 1 + (object[1] + 7) / 8) {
                    fail("heap binary of wrong size", object);
                }
                break;
            case Kind::kRefcBin:
                if (size != 3 || !object[2] || refc_binary(self)->size != object[1] ||
                    refc_binary(self)->refs.load() == 0) {
                    fail("bad refc binary handle", object);
                }
                handles_.insert(object);
                break;
            case Kind::kSubBin:
                check_sub_bin(object);
                break;
            case Kind::kFun:
                if (!object[1] || fun_entry(self)->num_free != size - 1) fail("bad fun", object);
                break;
            case Kind::kExport:
                if (size != 3 || !is_atom(object[1]) || !is_atom(object[2]) ||
                    !is_small(object[3])) {
                    fail("bad export", object);
                }
                break;
            case Kind::kFlatMap:
                check_flat_map(object);
                break;
            default:
                break;
        }
    }

    void check_sub_bin(const Term* object) {
        Term original = object[1];
        if (header_size(object[0]) != 3 || !is_boxed(original) ||
            (header_kind(boxed_header(original)) != Kind::kHeapBin &&
             header_kind(boxed_header(original)) != Kind::kRefcBin)) {
            return fail("sub-binary of a non-binary", object);
        }
        if (object[2] + object[3] > bits_of(original).bit_size)
            fail("sub-binary past its end", object);
    }

    void check_flat_map(const Term* object) {
        uint64_t n = header_size(object[0]) - 1;
        Term keys = object[1];
        if (!is_tuple(keys) || tuple_arity(keys) != n || n > kMaxFlatMapKeys) {
            return fail("flat map with bad keys", object);
        }
        for (uint64_t i = 1; i < n; ++i) {
            if (compare(tuple_element(keys, i), tuple_element(keys, i + 1), true) >= 0) {
                return fail("flat map keys out of order", object);
            }
        }
    }

    // Each list must hold exactly the handles found in its area.
    void check_off_heap(Term* list, size_t area) {
        size_t linked = 0;
        for (Term* h = list; h && error_.empty(); h = refc_next(h), ++linked) {
            if (area_of(h) != int(area) || !handles_.count(h)) fail("off-heap list entry", h);
            if (linked > handles_.size()) fail("off-heap list cycle", h);
        }
        size_t in_area = 0;
        for (const Term* h : handles_)
            in_area += area_of(h) == int(area);
        if (error_.empty() && linked != in_area)
            fail("refc handle missing from off-heap list", list);
    }

    const heap::Heap& heap_;
    std::vector<Area> areas_;
    std::unordered_set<const Term*> handles_;
    std::string error_;
};

}  // namespace

std::string verify(const heap::Heap& heap, const Roots& roots) {
    return Verifier(heap, roots.pinned).run(roots);
}

}  // namespace gc
