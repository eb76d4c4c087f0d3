// process: the process control block (PCB): what one Erlang process is
// between two slices of the interpreter, its rarely used state, and the
// process table (pid -> PCB).
//
// Laid out for millions of processes: the PCB holds only what the
// interpreter touches on every switch (heap block, saved instruction and
// continuation pointers, saved live X registers, reductions). Everything
// else (dictionary, exception details, halt code) is behind `rare`,
// allocated on first use.
//
//   Process (PCB, ~200 bytes)               Rare (on first use)
//   +----------------------------+          +--------------------------+
//   | heap: start top sp end ... |          | dictionary (hash table)  |
//   | ip    resume point         |          | exception: class reason  |
//   | cp    continuation pointer |          |   trace, BIF details     |
//   | saved_x / saved_live       |          | last raised trace+class  |
//   | reds  pid  status          |          | exit reason, halt code   |
//   | xregs live (while running) |          | links, monitors          |
//   | mailbox (inbox, private    |          | group leader             |
//   |   queue, save point)       |          | receive timer            |
//   | priority                   |          | a long BIF's saved state |
//   |                            |          +--------------------------+
//   | flags (trap_exit ...)      |
//   | run state, busy (atomics)  |
//   | rare ----------------------+--------->
//   +----------------------------+
//
// The process table has --max-procs slots, reserved as address space and
// touched only as slots are used. A pid is (slot, serial): the slot's
// serial moves on when its process ends, so a stale pid never finds the
// next process in that slot. A slot is reused only after all fresh slots
// are taken, oldest freed first.
//
// While the process runs, its X registers are the scheduler's array
// (`xregs`); when it is switched out, the live ones (`saved_live` of them)
// are copied to `saved_inline` or, when there are more, `saved_x`, a
// small native array. The stack lives at the
// top of the heap block (heap.sp .. heap.end), see heap.h and bytecode.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "vm/gc.h"
#include "vm/heap.h"
#include "vm/mailbox.h"
#include "vm/term.h"
#include "vm/term_table.h"

namespace code {
struct Export;
}

namespace process {

using term::Term;
using Word = uintptr_t;  // one word of loaded code

constexpr size_t kMaxXRegs = 1024;
constexpr uint32_t kInlineSaved = 2;  // X registers saved in the PCB

// Default max_heap_size: 2 GiB worth of words (heap + stack of one process).
// A collection needs the old block and the new one at once, so a process
// reaching the limit briefly holds about twice this; a runaway recursion
// takes about 15 s to get there on a machine whose page faults cost 15 us.
constexpr uint64_t kDefaultMaxHeapWords = (uint64_t(2) << 30) / sizeof(Term);
// The max_heap_size new processes get (words; 0: no limit); the command
// line's --max-heap-size sets it before any process runs.
extern uint64_t default_max_heap_words;

// Why an exception was raised, beyond class and reason: the details the
// uncaught-error report prints (EEP 54: which argument, and why).
struct ExceptionInfo {
    const code::Export* bif = nullptr;  // a failing BIF (module, name, arity)
    unsigned bad_argument = 0;          // 1-based; 0 = not known
    const char* why = nullptr;          // e.g. "out of range"
    // For BIFs whose errors OTP explains in erl_stdlib_errors (ets): the
    // `cause` of the error_info map (an atom, or nil for none).
    term::Term cause = term::kNil;
    bool caller_args = false;  // error/2: the first stack-trace entry is the
                               // raising function with kExcArgs as arguments
};

// The terms of the rare block, one array so that the GC takes them as roots
// in one go (gc::Roots::extra).
enum RareTerm : uint8_t {
    kExcClass,  // the exception being raised or reported: error|exit|throw
    kExcReason,
    kExcTrace,      // its stack trace, once built
    kExcArgs,       // the arguments of the failing call (a list), or nil
    kExcErrorInfo,  // error/3's {error_info, Map} for the first entry, or nil
    kLastTrace,     // the last trace handed to a handler, and its class, for
    kLastClass,     // the `raise` instruction (which gets only the trace)
    kExitReason,    // why the process is exiting (Status::Exiting, Done...)
    kRareTerms
};

// A monitor, as its two ends keep it: the watcher has `watching` true and
// `pid` = the watched process; the watched one has the watcher's pid.
struct Monitor {
    uint64_t ref;
    Term pid;
    bool watching;
    Term name;  // monitor(process, Name): the name (an atom), else nil
    // The watcher's reference is also an alias (monitor/3's {alias, _}):
    // it carries the watcher's pid, and so must the 'DOWN' message's copy.
    bool alias = false;
};

// A process alias (erlang:alias/0,1, monitor/3's {alias, Mode}): a
// reference that others may send to while it is active. The reference
// carries its owner's pid (ref_extra), so a send finds the owner without
// a global table; the owner alone keeps the active set, and checks it when
// the message arrives (signal.cpp), so deactivation races nothing.
enum class AliasMode : uint8_t {
    kExplicit,        // until unalias/1
    kReply,           // alias([reply]): until the first message through it
    kDemonitor,       // monitor/3: until the monitor goes (demonitor, 'DOWN')
    kReplyDemonitor,  // monitor/3: as kDemonitor, and the first message ends both
};
struct Alias {
    uint64_t ref;
    AliasMode mode;
};

// The state of a long BIF between its slices (bif.h, "long BIFs"): it
// yields part way and, called again with the same arguments, goes on from
// here. `terms` and `table` are GC roots; the BIF recognises its state by
// `owner` and its arguments (kept in terms, so updated by collections).
struct Trap {
    static constexpr size_t kTerms = 4;
    const void* owner = nullptr;
    Term terms[kTerms] = {term::kNil, term::kNil, term::kNil, term::kNil};
    term_table::TermTable table;
    std::vector<bool> marks;
    uint64_t done = 0;   // work done so far, in the BIF's own unit
    uint64_t count = 0;  // what the BIF counts (e.g. elements removed)
    uint8_t phase = 0;
};

// State most processes never need.
// OTP's defaults for the heap sizes a process reports.
constexpr uint32_t kDefaultMinHeapSize = 233;
constexpr uint32_t kDefaultMinBinVheapSize = 46422;

struct Rare {
    Term terms[kRareTerms];
    // The process dictionary: Key -> Value (=:=); no memory until the
    // first put/2.
    term_table::TermTable dictionary;
    Trap* trap = nullptr;             // a long BIF part way through, or null
    const void* trap_call = nullptr;  // kTrapCall: the code::Export to continue as
    ExceptionInfo info;
    bool trace_given = false;  // the exception came with its trace (raise)
    int halt_code = 0;
    std::vector<Term> links;         // linked pids
    std::vector<Monitor> monitors;   // both ends
    std::vector<Alias> aliases;      // the active ones
    Term group_leader = term::kNil;  // a pid, or nil: the default (see group_leader())
    uint64_t receive_timer = 0;      // the pending `after` timer, 0 if none
    // A dirty BIF call (dirty.h): the code::Export called, and whether it
    // failed (then its arguments are still the live registers).
    const void* dirty_call = nullptr;
    bool dirty_failed = false;
    // process_flag(min_heap_size | min_bin_vheap_size), as reported (the
    // collector has no virtual binary heap; see README).
    uint32_t min_heap_size = kDefaultMinHeapSize;
    uint32_t min_bin_vheap_size = kDefaultMinBinVheapSize;
    Rare() {
        for (Term& t : terms)
            t = term::kNil;
    }
    ~Rare() { delete trap; }
    Rare(const Rare&) = delete;
    Rare& operator=(const Rare&) = delete;
};

enum class Status : uint8_t {
    Runnable,  // has code to run (ip)
    Waiting,   // blocked in a receive: resumes at ip when a signal arrives
    Done,      // its first function returned: the result is `result`
    Failed,    // an uncaught exception: rare->exception
    Halted,    // halt/0,1 was called: rare->halt_code
    Killed,    // exceeded max_heap_size
    Exiting,   // an exit signal or exit/2 ends it: rare->terms[kExitReason]
    Dirty,     // returned by interp::run only: its next step is the dirty BIF
               // call rare->dirty_call (dirty.h); status itself stays Runnable
};

enum Priority : uint8_t { kLow, kNormal, kHigh, kMax, kPriorities };

// Flags only the process itself (or the scheduler running it) touches.
enum Flags : uint8_t {
    kTrapExit = 1,
    kYield = 2,      // erlang:yield/0 asked to end the slice
    kTimedOut = 4,   // the receive timer fired
    kRetry = 8,      // a BIF asks to be called again after a yield (busy target)
    kTrapCall = 16,  // a BIF continues as an Erlang function (rare->trap_call)
    kGoDirty = 32,   // a BIF finishes its call on the dirty CPU pool (bif::go_dirty)
};

// Where a process is, as the schedulers see it (Process::run_state; any
// thread reads it, changes go by compare-and-swap, see scheduler.h):
enum RunState : uint8_t {
    kWaiting = 0,   // blocked in a receive: in no queue, no scheduler holds it
    kQueued = 1,    // in some scheduler's run queue
    kRunning = 2,   // a scheduler holds it (running a slice, or ending it)
    kNotified = 4,  // with kRunning: a signal came during the slice
};

struct Process {
    heap::Heap heap;
    const Word* ip = nullptr;  // where to resume
    const Word* cp = nullptr;  // the continuation pointer register
    // Live X registers while switched out, `saved_live` of them: up to
    // kInlineSaved in the PCB itself (a new process's fun and argument
    // list, a small loop preempted at a call: no allocation), more in a
    // native array. A process that has returned (Done) keeps its first
    // call's value in saved_inline[0] (see result()).
    union {
        Term saved_inline[kInlineSaved] = {};
        Term* saved_x;  // saved_live > kInlineSaved
    };
    uint32_t saved_live = 0;
    int32_t reds = 0;
    Term pid = term::kNil;
    Status status = Status::Runnable;
    // While running: the scheduler's X registers and how many of them are
    // live at the current allocation point (GC roots). A BIF's arguments are
    // always among them: the interpreter copies constant and Y arguments
    // into the X registers above the live ones first. (`live` sits beside
    // `status` so that the two share a word.)
    uint32_t live = 0;
    Term* xregs = nullptr;
    Rare* rare = nullptr;
    // What it was spawned to call, a code::Export (process_info's
    // initial_call): M:F/length(Args) for spawn(M, F, Args), erlang:apply/2
    // for a fun; null for the processes the VM starts itself.
    const void* initial_call = nullptr;
    mailbox::Mailbox mailbox;
    uint64_t reductions = 0;  // done so far (process_info)
    Priority priority = kNormal;
    uint8_t flags = 0;
    std::atomic<uint8_t> run_state{kRunning};  // RunState; a new process is its creator's
    // Held by the scheduler for a whole slice, and briefly by another
    // process that reads or changes this one's private state (process_info,
    // group_leader/2). Those only try it: when it is taken they yield and
    // call again, so two processes inspecting each other cannot deadlock.
    std::atomic_flag busy = ATOMIC_FLAG_INIT;
};

// Creates a process with an empty heap (`words`, kMinBlockWords unless
// told) and the default max_heap_size. Its pid is nil: see table_insert.
Process* create(size_t words = heap::kMinBlockWords);
void destroy(Process* p);
// An ended process, out of the table and its signals sent, gives back its
// heap (block, fragments, off-heap references) and saved registers at
// once: no other thread reads them once it is out of the table (they take
// its busy flag and look it up again first). The PCB, rare block and
// mailbox wait for destroy (after every scheduler has moved on).
void release_heap(Process* p);

// carved_bytes() of the pool control blocks come from (erlang:memory/0).
size_t pcb_bytes();
// What an ended process still holds once its heap is released: its
// control block and rare block (freed by destroy).
size_t retained_bytes(const Process& p);

// The rarely used state, allocated on first use.
Rare& rare(Process& p);

// p's group leader: the pid group_leader/2 gave it or its parent had, else
// the default one, boot's `user` I/O server (every process starts with it,
// and the rare block stays unallocated). Before boot, <0.0.0>.
Term group_leader(const Process& p);
void set_default_group_leader(Term pid);

// The roots of the process for a collection at this point: the live X
// registers (p.live of them), the rare block's terms, the dictionary and a
// long BIF's saved state.
gc::Roots roots(Process& p);

// Makes `words` free on the heap (collecting if needed) and returns them.
// Returns nullptr when max_heap_size would be exceeded; the caller fails
// with process::heap_exhausted. Terms held in C++ locals are stale after
// this call unless they are roots (X registers, bif_args).
Term* alloc(Process& p, size_t words);
// As alloc, and sets `moved` when a collection ran: then every term that is
// not a root has moved (whatever heap.start says), and a plan made from
// them before the call must be made again.
Term* alloc(Process& p, size_t words, bool& moved);

// Saves X[0..live-1] into the PCB (switching out) and restores them.
void save_xregs(Process& p, const Term* xregs, uint32_t live);
void restore_xregs(Process& p, Term* xregs);

// The value a Done process's first call returned.
inline Term result(const Process& p) {
    return p.saved_inline[0];
}

// ---- the process table -------------------------------------------------------------

constexpr size_t kDefaultMaxProcs = size_t(1) << 20;
constexpr size_t kMinMaxProcs = 1024;
constexpr size_t kMaxMaxProcs = (size_t(1) << term::kPidSlotBits) - 1;

// Sets the table size (before any process exists; default kDefaultMaxProcs).
void table_init(size_t max_procs);
// Gives `p` a slot and its pid; false when every slot is taken.
bool table_insert(Process* p);
// Frees the slot of `p` (its pid is dead from now on).
void table_remove(Process* p);
// The live process of a pid, or null.
Process* lookup(Term pid);
// Processes alive.
size_t count();
// The table's slots (--max-procs; erlang:system_info(process_limit)).
size_t max_procs();
// Bytes of the table's slots, serials and free ring, all --max-procs of
// them: reserved at start as the BEAM allocates its table (in
// erlang:memory(system)); the kernel gives each page memory as slots are
// first used.
size_t table_bytes();
// Calls f(p) for each live process, in slot order.
template <typename F>
void for_each(F f);
// Slot `i`'s process or null (for_each's helper).
Process* slot_process(size_t slot);
size_t slots_used();

template <typename F>
void for_each(F f) {
    size_t n = slots_used();
    for (size_t i = 0; i < n; ++i)
        if (Process* p = slot_process(i)) f(p);
}

// ---- registered names ------------------------------------------------------------------

// Names live in one table (both directions) under one lock, never in the
// PCB: unregister/1 from another process must not touch the named one.
//
// Registers `name` (an atom) for `pid`; false when the name is taken or
// `pid` has a name already.
bool register_name(Term name, Term pid);
// False when `name` was not registered.
bool unregister_name(Term name);
// Drops the name of `pid`, if it has one (a process that ends).
void unregister_pid(Term pid);
// The pid registered as `name`, or kNone.
Term whereis(Term name);
// The name registered for `pid`, or kNil.
Term name_of(Term pid);
std::vector<Term> registered_names();

// A fresh reference number, unique in this VM (make_ref, monitors, timers).
uint64_t new_ref_id();

}  // namespace process
