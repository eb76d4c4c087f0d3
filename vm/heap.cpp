// heap: process blocks, size classes, fragments and the literal area (see
// heap.h for the layouts and invariants).
#include "vm/heap.h"

#include <mimalloc.h>
#include <sys/mman.h>

#include <array>
#include <cstring>
#include <mutex>
#include <vector>

#include "vm/area.h"
#include "vm/free_list.h"
#include "vm/memory.h"

namespace heap {

// ---- raw memory ------------------------------------------------------------------

namespace {

constexpr size_t kArenaBytes = size_t(32) << 20;
constexpr size_t kHugePageBytes = size_t(2) << 20;
// Blocks from this size up are aligned to huge pages and advised
// MADV_HUGEPAGE: a page fault costs 14-18 us here, and a growing heap
// touches every page of each new block once (a 1 GB heap in 4 KiB pages is
// 4 s of faults). Smaller blocks stay in mimalloc's ordinary pages.
constexpr size_t kHugeBlockBytes = size_t(8) << 20;

// Blocks of the smallest size class: every new process has one.
ChunkPool& min_blocks() {
    static ChunkPool pool(kMinBlockWords * sizeof(Term));
    return pool;
}

}  // namespace

void* ChunkPool::alloc() {
    std::lock_guard<spin_lock::SpinLock> guard(lock_);
    if (free_list_) {
        void* chunk = free_list_;
        free_list_ = *static_cast<void**>(chunk);
        return chunk;
    }
    if (size_t(end_ - next_) < chunk_bytes_) {
        size_t count = arena_count_.load(std::memory_order_relaxed);
        if (count == kMaxArenas) return nullptr;
        void* arena = mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (arena == MAP_FAILED) return nullptr;
        arenas_[count].store(static_cast<char*>(arena), std::memory_order_relaxed);
        arena_count_.store(count + 1, std::memory_order_release);
        madvise(arena, kArenaBytes, MADV_HUGEPAGE);
        next_ = static_cast<char*>(arena);
        end_ = next_ + kArenaBytes;
    }
    void* chunk = next_;
    next_ += chunk_bytes_;
    ++carved_;
    return chunk;
}

bool ChunkPool::owns(const void* p) const {
    const char* address = static_cast<const char*>(p);
    size_t count = arena_count_.load(std::memory_order_acquire);
    for (size_t i = 0; i < count; ++i) {
        const char* arena = arenas_[i].load(std::memory_order_relaxed);
        if (address >= arena && address < arena + kArenaBytes) return true;
    }
    return false;
}

void ChunkPool::free(void* chunk) {
    std::lock_guard<spin_lock::SpinLock> guard(lock_);
    *static_cast<void**>(chunk) = free_list_;
    free_list_ = chunk;
}

size_t ChunkPool::carved_bytes() {
    std::lock_guard<spin_lock::SpinLock> guard(lock_);
    return carved_ * chunk_bytes_;
}

size_t min_block_bytes() {
    return min_blocks().carved_bytes();
}

Term* block_alloc(size_t words) {
    if (words == kMinBlockWords) {
        if (void* chunk = min_blocks().alloc()) return static_cast<Term*>(chunk);
    }
    size_t bytes = words * sizeof(Term);
    if (bytes < kHugeBlockBytes) return static_cast<Term*>(mi_malloc(bytes));  // 16-aligned
    void* block = mi_malloc_aligned(bytes, kHugePageBytes);
    if (block) madvise(block, bytes & ~(kHugePageBytes - 1), MADV_HUGEPAGE);
    return static_cast<Term*>(block);
}

void block_free(Term* block, size_t words) {
    if (words == kMinBlockWords && min_blocks().owns(block)) return min_blocks().free(block);
    mi_free_size(block, words * sizeof(Term));
}

// ---- size classes -------------------------------------------------------------------

namespace {

constexpr unsigned kSizeClasses = 128;
constexpr size_t kFibonacciLimit = size_t(1) << 22;  // then 20% steps

constexpr std::array<size_t, kSizeClasses> make_size_classes() {
    std::array<size_t, kSizeClasses> sizes{};
    sizes[0] = kMinBlockWords;
    sizes[1] = kMinBlockWords + kMinBlockWords / 2;
    for (unsigned i = 2; i < kSizeClasses; ++i) {
        size_t previous = sizes[i - 1];
        size_t next =
            previous < kFibonacciLimit ? previous + sizes[i - 2] : previous + previous / 5;
        sizes[i] = (next + 7) & ~size_t(7);
    }
    return sizes;
}

constexpr std::array<size_t, kSizeClasses> kSizes = make_size_classes();
static_assert(kSizes[kSizeClasses - 1] > (size_t(1) << 36), "size classes cover 512 GiB");

}  // namespace

size_t size_class_words(unsigned size_class) {
    return kSizes[size_class < kSizeClasses ? size_class : kSizeClasses - 1];
}

unsigned size_class_at_least(size_t words) {
    unsigned low = 0, high = kSizeClasses - 1;
    while (low < high) {
        unsigned middle = (low + high) / 2;
        if (kSizes[middle] >= words) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    return low;
}

// ---- fragments ----------------------------------------------------------------------------

namespace {

constexpr size_t kFragmentHeaderWords = sizeof(Fragment) / sizeof(Term);
static_assert(sizeof(Fragment) % sizeof(Term) == 0);

void release_off_heap(Term* list) {
    while (list) {
        Term* next = term::refc_next(list);
        term::off_heap_release(list);
        list = next;
    }
}

// Freed fragments of up to kCachedFragmentWords words, one list per
// capacity, kept by this thread for its next messages (see free_list.h).
constexpr size_t kCachedFragmentWords = 8;
#if BEAMLITE_SANITIZED
constexpr uint32_t kCachedPerSize = 0;  // every use after free reaches ASan
#else
constexpr uint32_t kCachedPerSize = 64;
#endif

thread_local free_list::FreeList<Fragment, kCachedPerSize> t_fragments[kCachedFragmentWords + 1];

void free_fragment_block(Fragment* fragment) {
    block_free(reinterpret_cast<Term*>(fragment), kFragmentHeaderWords + fragment->capacity);
}

// A fragment's bytes as processes hold it (kept ones count nothing).
int64_t fragment_bytes(size_t capacity) {
    return int64_t((kFragmentHeaderWords + capacity) * sizeof(Term));
}

}  // namespace

Fragment* fragment_new(size_t words) {
    memory::add_process_bytes(fragment_bytes(words));
    Fragment* fragment = words <= kCachedFragmentWords ? t_fragments[words].pop() : nullptr;
    if (!fragment) {
        size_t block_words = kFragmentHeaderWords + words;
        fragment = reinterpret_cast<Fragment*>(memory::checked(
            block_alloc(block_words), block_words * sizeof(Term), "message fragment"));
    }
    fragment->next = nullptr;
    fragment->off_heap = nullptr;
    fragment->used = 0;
    fragment->capacity = words;
    return fragment;
}

void fragment_free(Fragment* fragment) {
    release_off_heap(fragment->off_heap);
    size_t words = fragment->capacity;
    memory::add_process_bytes(-fragment_bytes(words));
    if (words <= kCachedFragmentWords && t_fragments[words].push(fragment)) return;
    free_fragment_block(fragment);
}

void release_thread_cache() {
    for (auto& list : t_fragments)
        list.clear(free_fragment_block);
}

// ---- the process block -------------------------------------------------------------------

void init(Heap& heap, size_t words) {
    heap.start = memory::checked(block_alloc(words), words * sizeof(Term), "process heap");
    memory::add_process_bytes(int64_t(words * sizeof(Term)));
    heap.top = heap.start;
    heap.end = heap.start + words;
    heap.sp = heap.end;
    heap.fragments = nullptr;
    heap.fragment_words = 0;
    heap.off_heap = nullptr;
    heap.next_size_class = uint8_t(size_class_at_least(words));
    heap.small_collections = 0;
}

void destroy(Heap& heap) {
    if (heap.old) {
        for (Fragment* chunk = heap.old->chunks; chunk;) {
            Fragment* next = chunk->next;
            fragment_free(chunk);
            chunk = next;
        }
        delete heap.old;
    }
    release_off_heap(heap.off_heap);
    for (Fragment* f = heap.fragments; f;) {
        Fragment* next = f->next;
        fragment_free(f);
        f = next;
    }
    if (heap.start) {
        memory::add_process_bytes(-int64_t(block_words(heap) * sizeof(Term)));
        block_free(heap.start, block_words(heap));
    }
    heap = Heap{};
}

size_t old_capacity(const Heap& heap) {
    size_t words = 0;
    if (heap.old)
        for (const Fragment* chunk = heap.old->chunks; chunk; chunk = chunk->next)
            words += chunk->capacity;
    return words;
}

size_t fragment_words(const Heap& heap) {
    // The count kept as fragments are attached (a walk of the list is a
    // cache miss per fragment), unless it saturated.
    if (heap.fragment_words < UINT32_MAX) return heap.fragment_words;
    size_t words = 0;
    for (const Fragment* f = heap.fragments; f; f = f->next)
        words += f->used;
    return words;
}

// ---- copying terms between areas ----------------------------------------------------------

namespace {

// The terms copy_size has still to visit: a few on the C stack (a message
// is usually a small tuple), more in a vector (no allocation per message).
class PendingTerms {
  public:
    void push(Term t) {
        if (count_ < kLocal) {
            local_[count_++] = t;
        } else {
            more_.push_back(t);
        }
    }
    bool pop(Term& t) {
        if (!more_.empty()) {
            t = more_.back();
            more_.pop_back();
            return true;
        }
        if (count_ == 0) return false;
        t = local_[--count_];
        return true;
    }

  private:
    static constexpr size_t kLocal = 32;
    Term local_[kLocal];
    size_t count_ = 0;
    std::vector<Term> more_;
};

bool needs_copy(Term t) {
    return term::is_pointer(t) && !in_literal_area(term::pointer_target(t));
}

}  // namespace

size_t copy_size(Term t) {
    // Lists are followed along their tails in the loop, so only heads and
    // elements that need copying are pushed.
    PendingTerms pending;
    size_t words = 0;
    for (;;) {
        while (needs_copy(t)) {
            if (term::is_cons(t)) {
                words += term::kConsWords;
                if (needs_copy(term::car(t))) pending.push(term::car(t));
                t = term::cdr(t);
                continue;
            }
            const Term* object = term::boxed_ptr(t);
            words += term::header_size(object[0]) + 1;
            term::TermWords inside = term::term_words(object[0]);
            for (uint64_t i = 0; i < inside.count; ++i)
                if (needs_copy(object[inside.first + i])) pending.push(object[inside.first + i]);
            break;
        }
        if (!pending.pop(t)) return words;
    }
}

namespace {

// Copies the object `t` points to (not its subterms) to `free`.
Term copy_shallow(Term t, Term*& free, Term*& off_heap) {
    const Term* from = term::pointer_target(t);
    if (term::is_cons(t)) {
        Term* to = free;
        free += 2;
        to[0] = from[0];
        to[1] = from[1];
        return term::make_cons_ptr(to);
    }
    size_t words = term::header_size(from[0]) + 1;
    Term* to = free;
    free += words;
    std::memcpy(to, from, words * sizeof(Term));
    if (term::is_off_heap_handle(to[0])) {
        term::off_heap_retain(to);
        term::refc_next(to) = off_heap;
        off_heap = to;
    }
    return term::make_boxed_ptr(to);
}

}  // namespace

Term copy_term(Term t, Term* dest, Term*& off_heap) {
    // Breadth first, like the GC: copy the root, then scan the copy and
    // copy whatever it still points to outside the literal area.
    auto fix = [&](Term& word, Term*& free) {
        if (needs_copy(word)) {
            word = copy_shallow(word, free, off_heap);
        }
    };
    Term root = t;
    Term* free = dest;
    fix(root, free);
    for (Term* scan = dest; scan < free;) {
        if (term::is_header(*scan)) {
            term::TermWords inside = term::term_words(*scan);
            for (uint64_t i = 0; i < inside.count; ++i)
                fix(scan[inside.first + i], free);
            scan += term::header_size(*scan) + 1;
        } else {
            fix(scan[0], free);
            fix(scan[1], free);
            scan += 2;
        }
    }
    return root;
}

// ---- the literal area ------------------------------------------------------------------------

namespace detail {
uintptr_t literal_base = 0;
uintptr_t literal_bytes = 0;
}  // namespace detail

namespace {

// Reserved once, before main (see area.h): address space only, committed
// 2 MiB at a time. Under a tight `ulimit -v` it takes less, down to 32 MiB
// (below that literal_alloc fails cleanly, and loading reports it).
struct LiteralArea {
    area::Area area{size_t(4) << 30, size_t(32) << 20};
    LiteralArea() {
        detail::literal_base = area.base();
        detail::literal_bytes = area.reserved();
    }
} literal_area;

}  // namespace

LiteralMemory literal_memory() {
    area::Area::Usage usage = literal_area.area.usage();
    return {usage.committed, usage.used};
}

Term* literal_alloc(size_t words) {
    return static_cast<Term*>(literal_area.area.alloc(words * sizeof(Term)));
}

void literal_give_back(Term* end, size_t words) {
    literal_area.area.give_back(end, words * sizeof(Term));
}

}  // namespace heap
