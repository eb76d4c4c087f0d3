// mailbox: signal nodes, the lock-free inbox and the private queue (see
// mailbox.h).
#include "vm/mailbox.h"

#include <mimalloc.h>

#include <new>

#include "vm/free_list.h"
#include "vm/memory.h"

namespace mailbox {

namespace {

// Freed signal nodes this thread keeps for its next sends (free_list.h).
#if BEAMLITE_SANITIZED
constexpr uint32_t kCachedSignals = 0;  // every use after free reaches ASan
#else
constexpr uint32_t kCachedSignals = 256;
#endif

thread_local free_list::FreeList<Signal, kCachedSignals> t_signals;

}  // namespace

Signal* signal_new(Kind kind, Term from) {
    Signal* s = t_signals.pop();
    if (!s)
        s = memory::checked(static_cast<Signal*>(mi_malloc(sizeof(Signal))), sizeof(Signal),
                            "signal");
    memory::add_process_bytes(sizeof(Signal));  // kept nodes count nothing
    s->next = nullptr;
    s->from = from;
    s->term = term::kNil;
    s->fragment = nullptr;
    s->ref = 0;
    s->kind = kind;
    s->copied_to_heap = false;
    s->exposed = false;
    s->inline_words = 0;
    return s;
}

size_t copy_message(Signal* s, Term t) {
    if (size_t words = heap::flat_size(t)) {
        if (words <= kInlineWords) {
            s->inline_words = uint8_t(words);
            s->term = heap::copy_flat(t, s->words, words);
            return words;
        }
        s->fragment = heap::fragment_new(words);
        s->term = heap::copy_flat(t, heap::fragment_alloc(s->fragment, words), words);
        return words;
    }
    size_t words = heap::copy_size(t);
    if (words == 0) {
        s->term = t;
        return 0;
    }
    s->fragment = heap::fragment_new(words);
    Term* dest = heap::fragment_alloc(s->fragment, words);
    s->term = heap::copy_term(t, dest, s->fragment->off_heap);
    return words;
}

void signal_free(Signal* s) {
    if (s->fragment) heap::fragment_free(s->fragment);
    memory::add_process_bytes(-int64_t(sizeof(Signal)));
    if (!t_signals.push(s)) mi_free(s);
}

void release_thread_cache() {
    t_signals.clear([](Signal* s) { mi_free(s); });
    heap::release_thread_cache();
}

namespace {
// The inbox of an ended process (never a real node's address).
Signal* const kClosed = reinterpret_cast<Signal*>(alignof(Signal));
}  // namespace

bool push(Mailbox& box, Signal* s) {
    bool message = s->kind == Kind::Message;
    if (message) box.inbox_len.fetch_add(1, std::memory_order_relaxed);
    Signal* old = box.inbox.load(std::memory_order_relaxed);
    do {
        if (old == kClosed) {
            if (message) box.inbox_len.fetch_sub(1, std::memory_order_relaxed);
            return false;
        }
        s->next = old;
    } while (!box.inbox.compare_exchange_weak(old, s, std::memory_order_release,
                                              std::memory_order_relaxed));
    return true;
}

bool close(Mailbox& box) {
    Signal* expected = nullptr;
    if (box.inbox.compare_exchange_strong(expected, kClosed, std::memory_order_acq_rel))
        return true;
    return expected == kClosed;  // closed before
}

bool inbox_empty(const Mailbox& box) {
    Signal* top = box.inbox.load(std::memory_order_acquire);
    return top == nullptr || top == kClosed;
}

Signal* take_inbox(Mailbox& box) {
    Signal* top = box.inbox.load(std::memory_order_relaxed);
    if (top == nullptr || top == kClosed) return nullptr;
    Signal* stack = box.inbox.exchange(nullptr, std::memory_order_acquire);
    // The stack is newest first: reverse it into arrival order.
    Signal* list = nullptr;
    while (stack) {
        Signal* next = stack->next;
        stack->next = list;
        list = stack;
        stack = next;
    }
    return list;
}

void append(Mailbox& box, Signal* s) {
    // Counted into `len` before leaving `inbox_len`, so length() never
    // drops below the true count for a reader on another thread.
    ++box.len;
    box.inbox_len.fetch_sub(1, std::memory_order_relaxed);
    s->next = nullptr;
    *box.tail = s;
    box.tail = &s->next;
}

Signal* remove_current(Mailbox& box) {
    Signal* s = *box.cursor;
    *box.cursor = s->next;
    if (box.tail == &s->next) box.tail = box.cursor;
    --box.len;
    if (s->exposed) --box.exposed;
    box.cursor = &box.head;
    box.mark = nullptr;  // it may have pointed into the removed node
    return s;
}

void expose(Mailbox& box, Signal* s) {
    if (s->exposed) return;
    s->exposed = true;
    ++box.exposed;
}

void use_mark(Mailbox& box, const void* owner) {
    if (box.mark && box.mark_owner == owner) box.cursor = box.mark;
    box.mark = nullptr;
}

void clear(Mailbox& box) {
    for (Signal* s = box.head; s;) {
        Signal* next = s->next;
        signal_free(s);
        s = next;
    }
    for (Signal* s = take_inbox(box); s;) {
        Signal* next = s->next;
        if (s->kind == Kind::Message) box.inbox_len.fetch_sub(1, std::memory_order_relaxed);
        signal_free(s);
        s = next;
    }
    box.len = 0;
    box.exposed = 0;
    box.head = nullptr;
    box.tail = &box.head;
    box.cursor = &box.head;
    box.mark = nullptr;
}

}  // namespace mailbox
