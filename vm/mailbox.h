// mailbox: the signal queue of one process: a lock-free multi-producer
// inbox that any thread pushes onto, and a private queue that only the
// owner reads, with the save point of the receive in progress.
//
// Every signal (a message, an exit, a link, a monitor's 'DOWN', ...) is one
// Signal node. Senders push nodes onto `inbox`, a Treiber stack (one CAS per
// push, newest first). The owner takes the whole stack with one exchange,
// reverses it (so signals from each sender keep their order) and handles
// it: messages are appended to the private queue, other signals are acted
// on at once (signal.h). A message's term lives in its own heap fragment,
// outside the collected heap, until a receive removes it: only then is the
// fragment attached to the heap (the next GC moves what is live into the
// block). So a long queue costs nothing per collection.
//
//   inbox (atomic) -> [s3] -> [s2] -> [s1]          pushed by senders
//
//   head -> [m1] -> [m2] -> [m3] -> null            private, owner only
//                    ^               ^
//                  *cursor         *tail
//
// A process that ends closes its inbox (the sentinel kClosed replaces the
// stack) once it has handled what was pushed; a push to a closed inbox
// fails, and the sender answers a link or monitor request itself (noproc),
// so no request is lost in the window between a process's last look at
// its inbox and its removal from the process table.
//
// `cursor` points to the link that holds the next message to look at (the
// receive's save point): loop_rec reads *cursor, loop_rec_end moves it one
// on, remove_message unlinks *cursor and resets it to &head. `tail` points
// to the last link (where fetched messages are appended). `mark` is the
// recv_mark position: the tail link when the ref was made (messages before
// it cannot contain the ref).
#pragma once

#include <atomic>
#include <cstdint>

#include "vm/heap.h"
#include "vm/term.h"

namespace mailbox {

using term::Term;

enum class Kind : uint8_t {
    Message,       // term: the message
    Exit,          // a linked process ended: term {'EXIT', From, Reason}
    ExitBif,       // exit(Pid, Reason): term {'EXIT', From, Reason}
    Link,          // from: the new link
    Unlink,        // from: the link to drop
    Monitor,       // from monitors the receiver: ref
    Demonitor,     // from drops its monitor ref
    Down,          // a monitored process ended: term {'DOWN', Ref, process, Pid, Reason}
    Timeout,       // the receive timer `ref` fired
    AliasMessage,  // term: a message sent to the receiver's alias `ref`
};

// A message whose term is a tuple of immediates of up to this many words
// (header included: {tag, Pid, N}, {n, K}, {req, I}, most messages) is
// held in its signal node, `words`, not in a fragment of its own: one
// allocation per message instead of two. Such a term is never given out
// from the node (which is freed when the message is taken): a receive
// copies it onto the heap (collecting first when there is no room).
//
//   Signal [next|from|term|fragment|ref|kind..inline_words|words[4]]
//                      |                                     ^
//                      +-------------------------------------+  inline
constexpr size_t kInlineWords = 4;

struct Signal {
    Signal* next;
    Term from;                 // the sending process (a local pid) or nil
    Term term;                 // in `fragment`, in `words`, or an immediate
    heap::Fragment* fragment;  // null when the term needs no heap words
    uint64_t ref;              // a monitor's or timer's reference number
    Kind kind;
    // The receive that looked at this message last (loop_rec) gave out a
    // copy of `term` on the receiver's heap, not the fragment's: taking
    // the message frees the fragment instead of attaching it.
    bool copied_to_heap;
    // A receive gave out `term` itself (in the fragment): the receiver's
    // registers or stack may point into the fragment for as long as the
    // message is queued (a Y slot bound before remove_message, then the
    // clause failed). The collector leaves such fragments in place
    // (process::roots pins them), and taking the message attaches the
    // fragment rather than freeing it.
    bool exposed;
    uint8_t inline_words;  // > 0: `term` is a flat tuple held in `words`
    Term words[kInlineWords];
};

struct Mailbox {
    std::atomic<Signal*> inbox{nullptr};
    std::atomic<uint32_t> inbox_len{0};  // messages pushed, not fetched yet
    uint32_t len = 0;                    // messages in the private queue
    uint32_t exposed = 0;                // of them, the exposed ones (Signal::exposed)
    Signal* head = nullptr;
    Signal** tail = &head;
    Signal** cursor = &head;
    Signal** mark = nullptr;           // recv_mark position, or null
    const void* mark_owner = nullptr;  // the receive it was made for
};

// Makes a signal. The caller fills term/fragment (copy_message does it for
// a term of another process).
Signal* signal_new(Kind kind, Term from);
// Copies `t` into a new fragment owned by `s` (immediates need none).
// Returns the words copied.
size_t copy_message(Signal* s, Term t);
// Frees the signal nodes and fragments this thread keeps for reuse
// (signal_free keeps some): before the thread ends.
void release_thread_cache();
// Frees a signal that will not be received (and its fragment).
void signal_free(Signal* s);

// Any thread: pushes `s`. False when the mailbox is closed (its process
// has ended): `s` was not taken and the caller disposes of it.
bool push(Mailbox& box, Signal* s);

// Owner: takes every pushed signal, oldest first, as a list (null if none).
Signal* take_inbox(Mailbox& box);

// Owner, ending: closes the inbox if it is empty (then every later push
// fails). False when signals came meanwhile: take them and try again.
bool close(Mailbox& box);

// Owner: appends a message signal to the private queue.
void append(Mailbox& box, Signal* s);

// ---- the receive (owner only) ----------------------------------------------------------

// The message at the save point, or null.
inline Signal* current(const Mailbox& box) {
    return *box.cursor;
}
inline void advance(Mailbox& box) {
    box.cursor = &(*box.cursor)->next;
}
inline void reset(Mailbox& box) {
    box.cursor = &box.head;
}
// Unlinks the current message and returns it (the caller takes its
// fragment and frees the node); resets the save point.
Signal* remove_current(Mailbox& box);
// A receive gives out the term of `s` (queued) from its fragment: marks it
// exposed (Signal::exposed), once.
void expose(Mailbox& box, Signal* s);

// recv_mark: remembers the tail for the receive `owner`; recv_set starts
// that receive's scan there if the mark still holds. Any completed receive
// (remove_current, clear_mark at a timeout) drops the mark, so a mark can
// only be used by the receive it was made for, with every message that
// arrived after it still ahead of the cursor.
inline void set_mark(Mailbox& box, const void* owner) {
    box.mark = box.tail;
    box.mark_owner = owner;
}
inline void clear_mark(Mailbox& box) {
    box.mark = nullptr;
}
void use_mark(Mailbox& box, const void* owner);

// Any thread: true when nothing waits in the inbox (or it is closed).
bool inbox_empty(const Mailbox& box);

// Messages queued, fetched or not: process_info's message_queue_len.
inline size_t length(const Mailbox& box) {
    return box.len + box.inbox_len.load(std::memory_order_relaxed);
}

// Frees every signal (a process that ended).
void clear(Mailbox& box);

}  // namespace mailbox
