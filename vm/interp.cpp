// interp: the interpreter loop (see interp.h). The only long function of
// the code base is execute() below; everything it needs that is not hot
// lives in exception.cpp, bif*.cpp, code.cpp and process.cpp.
//
// Loaded operands (bytecode.h): a source word with primary tag 01, 10 or
// 11 is a constant term; with tag 00 it is a register reference, index << 3
// with bit 2 set for a Y slot. Y[i] is E[i] (E: the stack pointer).
//
// Invariants while running:
// - E == p.heap.sp except inside a handler between the write-back before
//   a call that may collect or raise (SYNC) and the reload after it.
// - cp is null whenever the current function has a frame (allocate clears
//   it, return clears it): a non-null cp at a raise is a stack-trace entry.
// - X registers above the live ones are dead; BIF arguments are copied
//   there so that a collection inside the BIF updates them.
#include "vm/interp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/bitsyntax.h"
#include "vm/exception.h"
#include "vm/gc.h"
#include "vm/map.h"
#include "vm/scheduler.h"
#include "vm/signal.h"
#include "vm/timer.h"

#if defined(BEAMLITE_SANITIZED) || !defined(__GNUC__)
#define BEAMLITE_THREADED 0
#else
#define BEAMLITE_THREADED 1
#endif

// Four of the interpreter's hottest variables, pinned to callee-saved
// registers. GCC's allocator, left alone in a function this large, kept the
// continuation pointer and the reduction count on the C stack: every call
// then decremented reds in memory and stored cp there (binarytrees 18 took
// 1.07x as long). These are GCC's explicit register variables: the value
// lives in that register wherever it is live, and the registers are
// callee-saved, so the slow paths' calls keep them. ip is left to the
// allocator (it keeps it in a register anyway): pinned, it cost a register
// copy at every dispatch (nbody 6% more instructions). Other compilers and
// the sanitized (switch) builds let the allocator choose.
#if BEAMLITE_THREADED && defined(__x86_64__) && !defined(__clang__)
#define PINNED(declaration, register_name) register declaration asm(register_name)
#else
#define PINNED(declaration, register_name) declaration
#endif

namespace interp {

using namespace term;
using exception::First;

namespace {

const char* const kOpNames[] = {
#define OPCODE(name, operands, doc) #name,
#include "bytecode/opcodes.def"
#undef OPCODE
#define INTERNAL(name, operands, doc) #name,
#include "vm/interp_ops.def"
#undef INTERNAL
};

// The one-instruction programs export stubs and the first call's CP use.
Word g_normal_exit[2];
Word g_dirty_return[2];
Word g_apply2[2];
Word g_apply3[2];
Word g_hibernate3[2];

thread_local Term t_xregs[process::kMaxXRegs];
thread_local std::vector<bitsyntax::Segment> t_segments;  // bs_create_bin scratch

Status execute(Process* process, int reductions);

#if BEAMLITE_THREADED
const void* const* g_handlers = nullptr;  // label addresses by Op

void init_handlers() {
    // Once, whichever thread loads code first (a thread-safe static).
    static const bool done = (execute(nullptr, 0), true);
    (void)done;
}
#endif

}  // namespace

Word handler(Op op) {
#if BEAMLITE_THREADED
    init_handlers();
    return Word(g_handlers[op]);
#else
    return Word(op);
#endif
}

Op op_at(Word word) {
#if BEAMLITE_THREADED
    init_handlers();
    for (unsigned i = 0; i < kOpCount; ++i) {
        if (Word(g_handlers[i]) == word) return Op(i);
    }
    return kOpCount;
#else
    return Op(word);
#endif
}

const char* op_name(Op op) {
    return op < kOpCount ? kOpNames[op] : "?";
}

const Word* normal_exit_address() {
    static const Word* const address = (g_normal_exit[0] = handler(op_normal_exit), g_normal_exit);
    return address;
}

// Where a process goes on after a dirty BIF call (dirty.h).
const Word* dirty_return_address() {
    static const Word* const address =
        (g_dirty_return[0] = handler(op_dirty_return), g_dirty_return);
    return address;
}

void run_dirty(Process& p) {
    process::Rare& rare = process::rare(p);
    const auto* call = static_cast<const code::Export*>(rare.dirty_call);
    Term* x = t_xregs;
    p.xregs = x;  // the arguments are the roots while the BIF runs
    process::restore_xregs(p, x);
    p.live = call->arity;
    bif::take_charge();
    Term result = call->bif->fn(p, x);
    bif::take_charge();  // dirty work is not charged to a slice
    rare.dirty_failed = result == kNone;
    if (rare.dirty_failed) {
        process::save_xregs(p, x, call->arity);  // raised with its arguments
    } else {
        process::save_xregs(p, &result, 1);
    }
    p.xregs = nullptr;
}

// erlang:apply/2,3, named first in the stack trace of a bad argument list.
static const code::Export* apply_export(uint32_t arity) {
    return code::export_entry(make_atom(atom::kErlang), make_atom(atom::kApply), arity);
}

// beamlite_transform:load/3 (stdlib/beamlite_transform.bl), which a call
// to a module deferred for its parse transforms becomes.
static const code::Export* transform_loader() {
    static const code::Export* const e =
        code::export_entry(make_atom(atom::kBeamliteTransform), make_atom(atom::kLoad), 3);
    return e;
}

const Word* apply2_address() {
    static const Word* const address = (g_apply2[0] = handler(op_apply2_stub), g_apply2);
    return address;
}

const Word* apply3_address() {
    static const Word* const address = (g_apply3[0] = handler(op_apply3_stub), g_apply3);
    return address;
}

const Word* hibernate3_address() {
    static const Word* const address =
        (g_hibernate3[0] = handler(op_hibernate3_stub), g_hibernate3);
    return address;
}

void prepare_call(Process& p, const code::Export* entry, const Term* args, uint32_t arity) {
    p.heap.sp = p.heap.end;  // a fresh call: no frames left from before
    p.ip = entry->address;
    p.cp = normal_exit_address();
    process::save_xregs(p, args, arity);
    p.status = Status::Runnable;
}

Status run(Process& p, int reductions) {
    return execute(&p, reductions);
}

namespace {

// The pair of `n` pairs (value word, then label or constant), sorted by
// value word, whose value is `value`, or null: select_*_sorted's binary
// search. A boxed `value` equals no pair (their values are immediate).
inline const Word* select_sorted(Term value, const Word* pairs, Word n) {
    Word low = 0, high = n;
    while (low < high) {
        Word middle = low + (high - low) / 2;
        Word at = pairs[2 * middle];
        if (at == Word(value)) return pairs + 2 * middle;
        if (at < Word(value)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return nullptr;
}

// Where a BIF that asked to continue in Erlang (bif::continue_as) goes on,
// with nargs set to that function's arity; clears the request.
const Word* take_trap_call(Process& p, uint32_t& nargs) {
    p.flags &= uint8_t(~process::kTrapCall);
    const auto* e = static_cast<const code::Export*>(p.rare->trap_call);
    p.rare->trap_call = nullptr;
    nargs = e->arity;
    return e->address;
}

// The length of a proper list of at most `max` elements, or -1.
int64_t short_list_length(Term list, size_t max) {
    int64_t n = 0;
    while (is_cons(list) && size_t(n) <= max) {
        ++n;
        list = cdr(list);
    }
    return is_nil(list) && size_t(n) <= max ? n : -1;
}

// Copies the elements of a proper list into X[0..].
void unpack_list(Term list, Term* x) {
    for (size_t i = 0; is_cons(list); ++i, list = cdr(list))
        x[i] = car(list);
}

// Fills the tail of a block reserved by make_flat_map when duplicate keys
// made the map smaller: the heap must stay a sequence of whole objects.
void fill_unused(Term* from, Term* to) {
    while (from < to) {
        size_t words = size_t(to - from);
        *from = make_header(Kind::kTuple, words - 1);
        for (size_t i = 1; i < words; ++i)
            from[i] = kNil;
        from += words;
    }
}

// A flat map with `n` pairs put in that stays flat (at most 32 keys).
Term flat_map_put(Process& p, Term* x, uint32_t base, uint32_t n) {
    Term map = x[base + 2 * n];
    uint64_t old_size = flat_map_size(map);
    size_t total = old_size + n;
    Term* mem = process::alloc(p, flat_map_words(total));
    if (!mem) return kNone;
    map = x[base + 2 * n];
    Term keys[2 * kMaxFlatMapKeys], values[2 * kMaxFlatMapKeys];
    Term old_keys = flat_map_keys(map);
    for (uint64_t i = 0; i < old_size; ++i) {
        keys[i] = tuple_element(old_keys, i + 1);
        values[i] = flat_map_values(map)[i];
    }
    for (uint32_t i = 0; i < n; ++i) {
        keys[old_size + i] = x[base + 2 * i];
        values[old_size + i] = x[base + 2 * i + 1];
    }
    Term result = make_flat_map(mem, keys, values, total);
    // make_flat_map may use fewer words than reserved (duplicates).
    Term* used_end = boxed_ptr(result) + header_size(boxed_header(result)) + 1;
    Term* keys_end =
        boxed_ptr(flat_map_keys(result)) + header_size(boxed_header(flat_map_keys(result))) + 1;
    fill_unused(used_end > keys_end ? used_end : keys_end, p.heap.top);
    return result;
}

// Builds the map `map` with `n` (key, value) pairs put in. The pairs and
// the map are in X[base..base+2n] (live): a collection may move them. With
// `exact`, every key must exist (else kNone, bad key in *bad).
Term map_put(Process& p, Term* x, uint32_t base, uint32_t n, bool exact, Term* bad) {
    Term map = x[base + 2 * n];
    if (n == 1 && map::is_hash_map(map)) {
        bool missing = false;
        Term result = map::put_hash_on_heap(p, x[base + 2], x[base], x[base + 1], exact, missing);
        if (exact && missing) *bad = x[base];
        return result;
    }
    if (exact) {
        for (uint32_t i = 0; i < n; ++i) {
            if (map::get(map, x[base + 2 * i]) == kNone) {
                *bad = x[base + 2 * i];
                return kNone;
            }
        }
    }
    if (is_flat_map(map) && flat_map_size(map) + n <= kMaxFlatMapKeys)
        return flat_map_put(p, x, base, n);
    // A HAMT takes the pairs one by one, O(n log size) (rebuilding it was
    // O(size) per update). X[base + 2n] is a scratch register above the
    // live ones: it holds each intermediate map, a root.
    if (map::is_hash_map(map)) {
        bool missing = false;
        for (uint32_t i = 0; i < n; ++i) {
            Term next = map::put_hash_on_heap(p, x[base + 2 * n], x[base + 2 * i],
                                              x[base + 2 * i + 1], false, missing);
            if (next == kNone) return kNone;
            x[base + 2 * n] = next;
        }
        return x[base + 2 * n];
    }
    return map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
        map::entries(x[base + 2 * n], entries);
        for (uint32_t i = 0; i < n; ++i)
            entries.push_back({x[base + 2 * i], x[base + 2 * i + 1]});
    });
}

Status execute(Process* process, int reductions) {
#if BEAMLITE_THREADED
    static const void* const labels[] = {
#define OPCODE(name, operands, doc) &&L_##name,
#include "bytecode/opcodes.def"
#undef OPCODE
#define INTERNAL(name, operands, doc) &&L_##name,
#include "vm/interp_ops.def"
#undef INTERNAL
    };
    if (!process) {
        g_handlers = labels;
        return Status::Runnable;
    }
#define CASE(name) L_##name:
#define NEXT() goto* reinterpret_cast<const void*>(*ip)
#else
    if (!process) return Status::Runnable;
#define CASE(name) case op_##name:
#define NEXT() goto dispatch
#endif

    Process& p = *process;
    PINNED(Term * x, "r12") = t_xregs;
    const Word* ip = p.ip;
    PINNED(const Word* cp, "r13") = p.cp;
    PINNED(Term * E, "r15") = p.heap.sp;
    PINNED(int reds, "r14") = reductions;
    bif::take_charge();  // a charge left by a guard BIF of another process
    p.xregs = x;
    process::restore_xregs(p, x);

    // Raise state, set just before `goto raise`.
    First raise_first = First::Here;
    const code::Export* raise_callee = nullptr;
    // A BIF call in progress (shared slow paths).
    const code::Export* bif_export = nullptr;
    First bif_first = First::Call;  // First::Applied from apply_bif's failure
    Term result = kNil;
    uint32_t nargs = 0;
    bool exact = false;
    const Word* handler_ip;
    // The float registers (bytecode.h): never live across a call, a receive
    // or a yield, so they need not be saved with the process.
    double fr[bytecode::kFloatRegs] = {};
    int arith_op = 0;  // float_arith's operation: 0 add, 1 sub, 2 mul

    // A register operand's address: an X register's word is its byte offset
    // from x, a Y register's is 4 more than its byte offset from E.
#define REG_ADDR(w)          \
    reinterpret_cast<Term*>( \
        ((w)&4 ? reinterpret_cast<char*>(E) - 4 : reinterpret_cast<char*>(x)) + (w))
#define SRC(w) (((w)&3) ? Term(w) : *REG_ADDR(w))
#define DST(w) (*REG_ADDR(w))
#define REG(w) (*REG_ADDR(w))
#define LABEL(w) reinterpret_cast<const Word*>(w)
    // A register operand whose kind the loader checked, in its loaded
    // encoding (i << 3 for X[i], i << 3 | 4 for Y[i]): one load each.
#define XR(w) (*reinterpret_cast<Term*>(reinterpret_cast<char*>(x) + (w)))
#define YR(w) (*reinterpret_cast<Term*>(reinterpret_cast<char*>(E) + ((w)-4)))
#define SYNC() (p.heap.sp = E)
#define RELOAD() (E = p.heap.sp)
    // Where a BIF is called from, for the BIFs that look at the calling
    // process's own code position (process_info(self(), current_function)).
#define SAVE_CALLER() (p.ip = ip, p.cp = cp)
    // Collects when fewer than `need` words are free; `live` X registers.
#define ENSURE(need, live_count)                                                 \
    do {                                                                         \
        if (p.heap.top + (need) > E || gc::stress) [[unlikely]] {                \
            SYNC();                                                              \
            p.live = uint32_t(live_count);                                       \
            if (!gc::ensure(p.heap, (need), process::roots(p))) goto heap_limit; \
            RELOAD();                                                            \
            reds -= bif::take_charge(); /* the collection's cost */              \
        }                                                                        \
    } while (0)
#define CHECK_REDS(live_count)             \
    do {                                   \
        if (--reds <= 0) [[unlikely]] {    \
            p.live = uint32_t(live_count); \
            goto yield;                    \
        }                                  \
    } while (0)
    // After a BIF call: erlang:yield/0 ends the slice too.
#define CHECK_REDS_BIF(live_count)                                     \
    do {                                                               \
        reds -= bif::take_charge();                                    \
        if (--reds <= 0 || (p.flags & process::kYield)) [[unlikely]] { \
            p.live = uint32_t(live_count);                             \
            goto yield;                                                \
        }                                                              \
    } while (0)
#define RAISE(first, callee, live_count) \
    do {                                 \
        raise_first = (first);           \
        raise_callee = (callee);         \
        p.live = uint32_t(live_count);   \
        goto raise;                      \
    } while (0)
#define ERROR(reason)                        \
    do {                                     \
        exception::set(p, kError, (reason)); \
        RAISE(First::Here, nullptr, 0);      \
    } while (0)
#define ERROR_TUPLE(tag, value)                                                       \
    do {                                                                              \
        SYNC();                                                                       \
        p.live = 0;                                                                   \
        if (!exception::set_error_tuple(p, make_atom(tag), (value))) goto heap_limit; \
        RELOAD();                                                                     \
        RAISE(First::Here, nullptr, 0);                                               \
    } while (0)
#define TEST(cond)             \
    do {                       \
        if (cond) {            \
            ip += 3;           \
        } else {               \
            ip = LABEL(ip[1]); \
        }                      \
        NEXT();                \
    } while (0)
// A compare whose operands' kinds the loader knows (a: register, b: constant).
#define COMPARE_INT(first, second, cond) \
    do {                                 \
        Term a = (first), b = (second);  \
        if (cond) {                      \
            ip += 4;                     \
        } else {                         \
            ip = LABEL(ip[1]);           \
        }                                \
        NEXT();                          \
    } while (0)
#define COMPARE(cond)                        \
    do {                                     \
        Term a = SRC(ip[2]), b = SRC(ip[3]); \
        if (cond) {                          \
            ip += 4;                         \
        } else {                             \
            ip = LABEL(ip[1]);               \
        }                                    \
        NEXT();                              \
    } while (0)

// bs_create_bin's segments with their operands read (values are re-read
// after a collection, which may move them).
#define BS_SEGMENTS()                                                                     \
    do {                                                                                  \
        for (Word i = 0; i < n; ++i) {                                                    \
            const Word* seg = ip + 5 + 4 * i;                                             \
            t_segments[i] = {bytecode::BsType(seg[0]), seg[1], SRC(seg[2]), SRC(seg[3])}; \
        }                                                                                 \
    } while (0)
    // The match gets: ctx goes to X[live] (a root) while collecting.
#define BS_ENSURE(words, live_count)       \
    do {                                   \
        x[live_count] = ctx;               \
        ENSURE((words), (live_count) + 1); \
        ctx = x[live_count];               \
    } while (0)
#define BS_FAIL()          \
    do {                   \
        ip = LABEL(ip[1]); \
        NEXT();            \
    } while (0)

#if BEAMLITE_THREADED
    NEXT();
#else
dispatch:
    switch (Op(*ip)) {
#endif

    // ---- functions, calls and frames ----------------------------------------
    CASE(label)
    CASE(line) {
        // The loader drops label and line; reaching one is a loader bug.
        ERROR(make_atom(atom::kSystemLimit));
    }
    CASE(func_info) {
        // A match context passed for a binary argument leaves as a binary.
        Word arity = ip[3], contexts = 0;
        for (Word i = 0; i < arity; ++i)
            contexts += bitsyntax::is_match_state(x[i]);
        if (contexts) {
            ENSURE(contexts * kSubBinWords, arity);
            for (Word i = 0; i < arity; ++i) {
                if (bitsyntax::is_match_state(x[i]))
                    x[i] = bitsyntax::context_binary(heap::alloc(p.heap, kSubBinWords), x[i]);
            }
        }
        exception::set(p, kError, make_atom(atom::kFunctionClause));
        RAISE(First::FunctionClause, nullptr, ip[3]);
    }
    // The call at ip[at..at+2] (a fused move before it: at 3).
#define CALL_AT(at)                     \
    do {                                \
        nargs = uint32_t(ip[(at) + 1]); \
        cp = ip + (at) + 3;             \
        ip = LABEL(ip[(at) + 2]);       \
        CHECK_REDS(nargs);              \
        NEXT();                         \
    } while (0)
    CASE(call) CALL_AT(0);
    // A call whose argument a move sets first: the move, then the call
    // after it.
    CASE(move_yx_call) {
        x[ip[2]] = E[ip[1]];
        CALL_AT(3);
    }
    CASE(move_xx_call) {
        x[ip[2]] = x[ip[1]];
        CALL_AT(3);
    }
    CASE(call_last) {
        nargs = uint32_t(ip[1]);
        cp = reinterpret_cast<const Word*>(E[ip[3]]);
        E += ip[3] + 1;
        ip = LABEL(ip[2]);
        CHECK_REDS(nargs);
        NEXT();
    }
    CASE(call_only) {
        nargs = uint32_t(ip[1]);
        ip = LABEL(ip[2]);
        CHECK_REDS(nargs);
        NEXT();
    }
    CASE(call_ext) {
        nargs = uint32_t(ip[1]);
        cp = ip + 3;
        ip = reinterpret_cast<const code::Export*>(ip[2])->address;
        CHECK_REDS(nargs);
        NEXT();
    }
    CASE(call_ext_last) {
        nargs = uint32_t(ip[1]);
        cp = reinterpret_cast<const Word*>(E[ip[3]]);
        E += ip[3] + 1;
        ip = reinterpret_cast<const code::Export*>(ip[2])->address;
        CHECK_REDS(nargs);
        NEXT();
    }
    CASE(call_ext_only) {
        nargs = uint32_t(ip[1]);
        ip = reinterpret_cast<const code::Export*>(ip[2])->address;
        CHECK_REDS(nargs);
        NEXT();
    }
    CASE(call_fun) {
        nargs = uint32_t(ip[1]);
        cp = ip + 2;
        goto do_call_fun;
    }
    CASE(call_fun_last) {
        nargs = uint32_t(ip[1]);
        cp = reinterpret_cast<const Word*>(E[ip[2]]);
        E += ip[2] + 1;
        goto do_call_fun;
    }
    CASE(apply) {
        nargs = uint32_t(ip[1]);
        cp = ip + 2;
        goto do_apply;
    }
    CASE(apply_last) {
        nargs = uint32_t(ip[1]);
        cp = reinterpret_cast<const Word*>(E[ip[2]]);
        E += ip[2] + 1;
        goto do_apply;
    }
    // allocate*: a frame of `slots` Y slots under the continuation pointer
    // (live: ip[2]); then each sets the Y slots the collector might see.
#define PUSH_FRAME(slots)                            \
    do {                                             \
        ENSURE((slots) + 1, ip[2]);                  \
        E -= (slots) + 1;                            \
        E[slots] = Term(reinterpret_cast<Word>(cp)); \
    } while (0)
#define FRAME_PUSHED() \
    do {               \
        cp = nullptr;  \
        ip += 3;       \
        NEXT();        \
    } while (0)
    CASE(allocate) {
        Word slots = ip[1];
        PUSH_FRAME(slots);
        switch (slots) {  // unrolled for the common small frames
            default:
                for (Word i = 4; i < slots; ++i)
                    E[i] = kNil;
                [[fallthrough]];
            case 4:
                E[3] = kNil;
                [[fallthrough]];
            case 3:
                E[2] = kNil;
                [[fallthrough]];
            case 2:
                E[1] = kNil;
                [[fallthrough]];
            case 1:
                E[0] = kNil;
                [[fallthrough]];
            case 0:
                break;
        }
        FRAME_PUSHED();
    }
    // Small frames set their Y slots without the jump table: two or four
    // stores that overlap when the frame is smaller (1 or 3 slots).
    CASE(allocate_1_2) {
        Word slots = ip[1];
        PUSH_FRAME(slots);
        E[0] = kNil;
        E[slots - 1] = kNil;
        FRAME_PUSHED();
    }
    CASE(allocate_3_4) {
        Word slots = ip[1];
        PUSH_FRAME(slots);
        E[0] = kNil;
        E[1] = kNil;
        E[slots - 2] = kNil;
        E[slots - 1] = kNil;
        FRAME_PUSHED();
    }
    CASE(allocate_noinit) {
        PUSH_FRAME(ip[1]);
        FRAME_PUSHED();
    }
    // A function that keeps an argument across a call starts so; the
    // move_xy after the allocate is ip[3..5].
#define FRAME_PUSHED_MOVE_XY() \
    do {                       \
        E[ip[5]] = x[ip[4]];   \
        cp = nullptr;          \
        ip += 6;               \
        NEXT();                \
    } while (0)
    // Two slots (the loader's fusion makes no other size): the frame size
    // is a constant, and nothing computed before the heap check has to
    // live across its collection.
    CASE(allocate_2_move_xy) {
        PUSH_FRAME(2);
        E[0] = kNil;
        E[1] = kNil;
        FRAME_PUSHED_MOVE_XY();
    }
    CASE(allocate_noinit_move_xy) {
        PUSH_FRAME(ip[1]);
        FRAME_PUSHED_MOVE_XY();
    }
    CASE(deallocate) {
        cp = reinterpret_cast<const Word*>(E[ip[1]]);
        E += ip[1] + 1;
        ip += 2;
        NEXT();
    }
    // Reductions are charged per call, as the BEAM does: every loop goes
    // through a call, so a return needs no check of its own.
    CASE(return_) {
        ip = cp;
        cp = nullptr;
        NEXT();
    }
#define DEALLOCATE_RETURN_AT(at)                      \
    do {                                              \
        Word slots = ip[(at) + 1];                    \
        ip = reinterpret_cast<const Word*>(E[slots]); \
        E += slots + 1;                               \
        cp = nullptr;                                 \
        NEXT();                                       \
    } while (0)
    CASE(deallocate_return) DEALLOCATE_RETURN_AT(0);
#define MOVE_RETURN_C_AT(at)       \
    do {                           \
        x[0] = Term(ip[(at) + 1]); \
        ip = cp;                   \
        cp = nullptr;              \
        NEXT();                    \
    } while (0)
    CASE(move_return_c) MOVE_RETURN_C_AT(0);
    // A clause that returns a constant when X equals an immediate
    // (f(0) -> Base): the test, then the move_return_c after it.
    CASE(is_eq_exact_imm_x_return_c) {
        if (XR(ip[2]) == Term(ip[3])) MOVE_RETURN_C_AT(4);
        ip = LABEL(ip[1]);
        NEXT();
    }
    CASE(move_return_x) {
        x[0] = x[ip[1]];
        ip = cp;
        cp = nullptr;
        NEXT();
    }
    CASE(test_heap) {
        ENSURE(ip[1], ip[2]);
        ip += 3;
        NEXT();
    }
    CASE(trim) {
        E += ip[1];
        ip += 3;
        NEXT();
    }

    // ---- moves and data ------------------------------------------------------
    CASE(move) {
        DST(ip[2]) = SRC(ip[1]);
        ip += 3;
        NEXT();
    }
    CASE(move_xx) {
        x[ip[2]] = x[ip[1]];
        ip += 3;
        NEXT();
    }
    CASE(move_xy) {
        E[ip[2]] = x[ip[1]];
        ip += 3;
        NEXT();
    }
    CASE(move_yx) {
        x[ip[2]] = E[ip[1]];
        ip += 3;
        NEXT();
    }
    CASE(move_cx) {
        x[ip[2]] = Term(ip[1]);
        ip += 3;
        NEXT();
    }
    CASE(swap) {
        Term t = DST(ip[1]);
        DST(ip[1]) = DST(ip[2]);
        DST(ip[2]) = t;
        ip += 3;
        NEXT();
    }
    CASE(init_yregs) {
        Word n = ip[1];
        for (Word i = 0; i < n; ++i)
            E[ip[2 + i]] = kNil;
        ip += 2 + n;
        NEXT();
    }
    CASE(get_list) {
        Term list = SRC(ip[1]);
        Term head = car(list), tail = cdr(list);
        DST(ip[2]) = head;
        DST(ip[3]) = tail;
        ip += 4;
        NEXT();
    }
    CASE(get_list_xx) {
        Term list = x[ip[1]];
        x[ip[2]] = car(list);
        x[ip[3]] = cdr(list);
        ip += 4;
        NEXT();
    }
    CASE(get_hd) {
        DST(ip[2]) = car(SRC(ip[1]));
        ip += 3;
        NEXT();
    }
    CASE(get_tl) {
        DST(ip[2]) = cdr(SRC(ip[1]));
        ip += 3;
        NEXT();
    }
    CASE(get_tuple_element) {
        DST(ip[3]) = tuple_element(SRC(ip[1]), ip[2] + 1);
        ip += 4;
        NEXT();
    }
    CASE(get_tuple_element_xx) {
        x[ip[3]] = tuple_element(x[ip[1]], ip[2] + 1);
        ip += 4;
        NEXT();
    }
    CASE(get_tuple_elements_xx) {
        x[ip[3]] = tuple_element(x[ip[1]], ip[2] + 1);
        x[ip[7]] = tuple_element(x[ip[5]], ip[6] + 1);
        ip += 8;
        NEXT();
    }
    CASE(put_list) {
        Term* cell = heap::alloc(p.heap, kConsWords);
        Term head = SRC(ip[1]), tail = SRC(ip[2]);
        DST(ip[3]) = make_cons(cell, head, tail);
        ip += 4;
        NEXT();
    }
    // put_tuple2, its elements read by READ.
#define PUT_TUPLE(READ)                                  \
    do {                                                 \
        Word n = ip[2];                                  \
        Term* mem = heap::alloc(p.heap, tuple_words(n)); \
        Term tuple = make_tuple(mem, n);                 \
        for (Word i = 0; i < n; ++i)                     \
            mem[1 + i] = READ(ip[3 + i]);                \
        DST(ip[1]) = tuple;                              \
        ip += 3 + n;                                     \
        NEXT();                                          \
    } while (0)
    CASE(put_tuple2) PUT_TUPLE(SRC);
    CASE(put_tuple2_x) PUT_TUPLE(XR);
    // A pair, the commonest tuple: no loop.
    CASE(put_pair) {
    put_pair:
        Term* mem = heap::alloc(p.heap, tuple_words(2));
        Term tuple = make_tuple(mem, 2);
        mem[1] = SRC(ip[3]);
        mem[2] = SRC(ip[4]);
        DST(ip[1]) = tuple;
        ip += 5;
        NEXT();
    }
    CASE(test_heap_put_pair) {
        ENSURE(ip[1], ip[2]);
        ip += 3;
        goto put_pair;
    }
    CASE(set_tuple_element) {
        tuple_elements(SRC(ip[2]))[ip[3]] = SRC(ip[1]);
        ip += 4;
        NEXT();
    }
    CASE(make_fun) {
        auto* entry = reinterpret_cast<const FunEntry*>(ip[1]);
        Word n = ip[3];
        Term* mem = heap::alloc(p.heap, fun_words(n));
        Term fun = make_fun(mem, entry);
        for (Word i = 0; i < n; ++i)
            mem[2 + i] = SRC(ip[4 + i]);
        DST(ip[2]) = fun;
        ip += 4 + n;
        NEXT();
    }

    // ---- type tests ------------------------------------------------------------
    CASE(is_integer) TEST(is_integer(SRC(ip[2])));
    CASE(is_float) TEST(is_float(SRC(ip[2])));
    CASE(is_number) TEST(is_number(SRC(ip[2])));
    CASE(is_atom) TEST(is_atom(SRC(ip[2])));
    CASE(is_pid) TEST(is_local_pid(SRC(ip[2])));
    CASE(is_reference) TEST(is_ref(SRC(ip[2])));
    CASE(is_port) TEST(is_local_port(SRC(ip[2])));
    CASE(is_nil) TEST(is_nil(SRC(ip[2])));
    CASE(is_list) TEST(is_list(SRC(ip[2])));
    CASE(is_nonempty_list) TEST(is_cons(SRC(ip[2])));
    CASE(is_tuple) TEST(is_tuple(SRC(ip[2])));
    CASE(is_nil_x) TEST(is_nil(x[ip[2]]));
    CASE(is_nonempty_list_x) TEST(is_cons(x[ip[2]]));
    CASE(is_binary) TEST(is_binary(SRC(ip[2])));
    CASE(is_bitstring) TEST(is_bitstring(SRC(ip[2])));
    CASE(is_boolean) {
        Term t = SRC(ip[2]);
        TEST(t == kTrue || t == kFalse);
    }
    CASE(is_map) TEST(is_map(SRC(ip[2])));
    CASE(is_function) TEST(is_fun(SRC(ip[2])));
    CASE(is_function2) {
        Term f = SRC(ip[2]), arity = SRC(ip[3]);
        bool ok = false;
        if (is_small(arity) && is_local_fun(f)) {
            ok = fun_entry(f)->arity == uint64_t(small_value(arity));
        } else if (is_small(arity) && is_export(f)) {
            ok = export_arity(f) == uint64_t(small_value(arity));
        }
        if (ok) {
            ip += 4;
        } else {
            ip = LABEL(ip[1]);
        }
        NEXT();
    }
    CASE(test_arity) {
        Term t = SRC(ip[2]);
        if (is_tuple(t) && tuple_arity(t) == ip[3]) {
            ip += 4;
        } else {
            ip = LABEL(ip[1]);
        }
        NEXT();
    }
    CASE(is_tagged_tuple) {
        Term t = SRC(ip[2]);
        if (is_tuple(t) && tuple_arity(t) == ip[3] && tuple_element(t, 1) == Term(ip[4])) {
            ip += 5;
        } else {
            ip = LABEL(ip[1]);
        }
        NEXT();
    }

    CASE(test_arity_x) {
        Term t = XR(ip[2]);
        if (is_boxed(t) && boxed_ptr(t)[0] == Term(ip[3])) {
            ip += 4;
        } else {
            ip = LABEL(ip[1]);
        }
        NEXT();
    }
    // {A, B} = T: the test, then get_tuple_elements_xx at ip[4..11]. The
    // loader fuses them only when both gets read the tested register and
    // the first does not overwrite it, so the tuple is the one tested.
    CASE(test_arity_get_pair_x) {
        Term t = XR(ip[2]);
        if (!is_boxed(t) || boxed_ptr(t)[0] != Term(ip[3])) {
            ip = LABEL(ip[1]);
            NEXT();
        }
        const Term* tuple = boxed_ptr(t);
        x[ip[7]] = tuple[ip[6] + 1];
        x[ip[11]] = tuple[ip[10] + 1];
        ip += 12;
        NEXT();
    }
    CASE(is_tagged_tuple_x) {
        Term t = x[ip[2]];
        if (is_boxed(t) && boxed_ptr(t)[0] == Term(ip[3]) && boxed_ptr(t)[1] == Term(ip[4])) {
            ip += 5;
        } else {
            ip = LABEL(ip[1]);
        }
        NEXT();
    }

    // ---- comparisons -------------------------------------------------------------
    CASE(is_lt) COMPARE(is_small(a) && is_small(b) ? int64_t(a) < int64_t(b) : compare(a, b) < 0);
    CASE(is_ge) COMPARE(is_small(a) && is_small(b) ? int64_t(a) >= int64_t(b) : compare(a, b) >= 0);
    CASE(is_eq) COMPARE(a == b || (!(is_immediate(a) && is_immediate(b)) && compare(a, b) == 0));
    CASE(is_ne) COMPARE(a != b && ((is_immediate(a) && is_immediate(b)) || compare(a, b) != 0));
    CASE(is_eq_exact)
    COMPARE(a == b || (!(is_immediate(a) || is_immediate(b)) && exact_equal(a, b)));
    CASE(is_ne_exact) COMPARE(a != b && (is_immediate(a) || is_immediate(b) || !exact_equal(a, b)));
    CASE(is_lt_int)
    COMPARE_INT(REG(ip[2]), Term(ip[3]), is_small(a) ? int64_t(a) < int64_t(b) : compare(a, b) < 0);
    CASE(is_ge_int)
    COMPARE_INT(REG(ip[2]), Term(ip[3]),
                is_small(a) ? int64_t(a) >= int64_t(b) : compare(a, b) >= 0);
    CASE(is_lt_int_x)
    COMPARE_INT(XR(ip[2]), Term(ip[3]), is_small(a) ? int64_t(a) < int64_t(b) : compare(a, b) < 0);
    CASE(is_ge_int_x)
    COMPARE_INT(XR(ip[2]), Term(ip[3]),
                is_small(a) ? int64_t(a) >= int64_t(b) : compare(a, b) >= 0);
    // An immediate is =:= only to the same word.
    CASE(is_eq_exact_imm) COMPARE_INT(REG(ip[2]), Term(ip[3]), a == b);
    CASE(is_ne_exact_imm) COMPARE_INT(REG(ip[2]), Term(ip[3]), a != b);
    CASE(is_eq_exact_imm_x) COMPARE_INT(XR(ip[2]), Term(ip[3]), a == b);
    CASE(is_ne_exact_imm_x) COMPARE_INT(XR(ip[2]), Term(ip[3]), a != b);
    CASE(is_lt_int_rev)
    COMPARE_INT(Term(ip[2]), REG(ip[3]), is_small(b) ? int64_t(a) < int64_t(b) : compare(a, b) < 0);
    CASE(is_ge_int_rev)
    COMPARE_INT(Term(ip[2]), REG(ip[3]),
                is_small(b) ? int64_t(a) >= int64_t(b) : compare(a, b) >= 0);

    // ---- branches ----------------------------------------------------------------
    CASE(jump) {
        ip = LABEL(ip[1]);
        NEXT();
    }
    CASE(select_val) {
        Term value = SRC(ip[1]);
        Word n = ip[3];
        const Word* pairs = ip + 4;
        const Word* target = LABEL(ip[2]);
        for (Word i = 0; i < n; ++i) {
            if (Term(pairs[2 * i]) == value) {
                target = LABEL(pairs[2 * i + 1]);
                goto selected;
            }
        }
        if (is_boxed(value)) {
            for (Word i = 0; i < n; ++i) {
                if (exact_equal(Term(pairs[2 * i]), value)) {
                    target = LABEL(pairs[2 * i + 1]);
                    break;
                }
            }
        }
    selected:
        ip = target;
        NEXT();
    }
    CASE(select_val_x) {
        // No boxed term is =:= to an immediate one.
        Term value = x[ip[1]];
        const Word* pairs = ip + 4;
        const Word* end = pairs + 2 * ip[3];
        for (; pairs != end; pairs += 2) {
            if (Term(pairs[0]) == value) {
                ip = LABEL(pairs[1]);
                NEXT();
            }
        }
        ip = LABEL(ip[2]);
        NEXT();
    }
    CASE(select_tuple_arity_x) {
        Term t = x[ip[1]];
        if (is_boxed(t)) {
            Term header = boxed_ptr(t)[0];
            const Word* pairs = ip + 4;
            const Word* end = pairs + 2 * ip[3];
            for (; pairs != end; pairs += 2) {
                if (Term(pairs[0]) == header) {
                    ip = LABEL(pairs[1]);
                    NEXT();
                }
            }
        }
        ip = LABEL(ip[2]);
        NEXT();
    }
    CASE(select_val_sorted) {
        const Word* pair = select_sorted(Term(SRC(ip[1])), ip + 4, ip[3]);
        ip = LABEL(pair ? pair[1] : ip[2]);
        NEXT();
    }
    CASE(select_return) {
        Term value = SRC(ip[1]);
        Word n = ip[3];
        const Word* pairs = ip + 4;
        for (Word i = 0; i < n; ++i) {
            if (Term(pairs[2 * i]) == value ||
                (is_boxed(value) && exact_equal(Term(pairs[2 * i]), value))) {
                x[0] = Term(pairs[2 * i + 1]);
                ip = cp;
                cp = nullptr;
                CHECK_REDS(1);
                NEXT();
            }
        }
        ip = LABEL(ip[2]);
        NEXT();
    }
    CASE(select_return_sorted) {
        const Word* pair = select_sorted(Term(SRC(ip[1])), ip + 4, ip[3]);
        if (!pair) {
            ip = LABEL(ip[2]);
            NEXT();
        }
        x[0] = Term(pair[1]);
        ip = cp;
        cp = nullptr;
        CHECK_REDS(1);
        NEXT();
    }
    CASE(select_tuple_arity) {
        Term value = SRC(ip[1]);
        const Word* target = LABEL(ip[2]);
        if (is_tuple(value)) {
            Word n = ip[3];
            uint64_t arity = tuple_arity(value);
            for (Word i = 0; i < n; ++i) {
                if (ip[4 + 2 * i] == arity) {
                    target = LABEL(ip[5 + 2 * i]);
                    break;
                }
            }
        }
        ip = target;
        NEXT();
    }

    // ---- BIFs --------------------------------------------------------------------
    // Failure: with a fail label, jump there; with none, raise with the
    // BIF as the first stack-trace entry and its arguments moved to X[0..].
    CASE(bif0) {
        bif_export = reinterpret_cast<const code::Export*>(ip[1]);
        SYNC();
        p.live = 0;
        result = bif_export->bif->fn(p, x);
        RELOAD();
        if (result == kNone) goto bif_failed_no_label;
        DST(ip[2]) = result;
        ip += 3;
        NEXT();
    }
    CASE(bif1) {
        bif_export = reinterpret_cast<const code::Export*>(ip[2]);
        Term args[1] = {SRC(ip[3])};
        SYNC();
        p.live = 0;
        result = bif_export->bif->fn(p, args);
        if (result == kNone) {
            if (ip[1]) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            x[0] = args[0];
            nargs = 1;
            goto bif_failed;
        }
        DST(ip[4]) = result;
        ip += 5;
        NEXT();
    }
    CASE(bif2) {
        bif_export = reinterpret_cast<const code::Export*>(ip[2]);
        Term args[2] = {SRC(ip[3]), SRC(ip[4])};
        SYNC();
        p.live = 0;
        result = bif_export->bif->fn(p, args);
        if (result == kNone) {
            if (ip[1]) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            x[0] = args[0];
            x[1] = args[1];
            nargs = 2;
            goto bif_failed;
        }
        DST(ip[5]) = result;
        ip += 6;
        NEXT();
    }
    CASE(gc_bif1) {
        Word live = ip[2];
        bif_export = reinterpret_cast<const code::Export*>(ip[3]);
        x[live] = SRC(ip[4]);
        SYNC();
        p.live = uint32_t(live + 1);
        result = bif_export->bif->fn(p, x + live);
        RELOAD();
        if (result == kNone) {
            if (ip[1] && p.status == Status::Runnable) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            x[0] = x[live];
            nargs = 1;
            goto bif_failed;
        }
        DST(ip[5]) = result;
        ip += 6;
        NEXT();
    }
    CASE(gc_bif2) {
    gc_bif2_generic:
        Word live = ip[2];
        bif_export = reinterpret_cast<const code::Export*>(ip[3]);
        x[live] = SRC(ip[4]);
        x[live + 1] = SRC(ip[5]);
        SYNC();
        p.live = uint32_t(live + 2);
        result = bif_export->bif->fn(p, x + live);
        RELOAD();
        reds -= bif::take_charge();  // a bignum's work; the next call yields
        if (result == kNone) {
            if (ip[1] && p.status == Status::Runnable) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            x[0] = x[live];
            x[1] = x[live + 1];
            nargs = 2;
            goto bif_failed;
        }
        bif_first = First::Call;  // add_int and sub_int's, not taken
        DST(ip[6]) = result;
        ip += 7;
        NEXT();
    }
    CASE(gc_bif3) {
        Word live = ip[2];
        bif_export = reinterpret_cast<const code::Export*>(ip[3]);
        x[live] = SRC(ip[4]);
        x[live + 1] = SRC(ip[5]);
        x[live + 2] = SRC(ip[6]);
        SYNC();
        p.live = uint32_t(live + 3);
        result = bif_export->bif->fn(p, x + live);
        RELOAD();
        if (result == kNone) {
            if (ip[1] && p.status == Status::Runnable) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            x[0] = x[live];
            x[1] = x[live + 1];
            x[2] = x[live + 2];
            nargs = 3;
            goto bif_failed;
        }
        DST(ip[7]) = result;
        ip += 8;
        NEXT();
    }
    // ARITH_THEN and ARITH_INT_THEN end the fast path with `then` (a fused
    // pair's second instruction); their slow paths go on at ip + 7, where
    // that instruction still is.
#define ARITH_THEN(A, B, D, small_op, op_code, then)                           \
    do {                                                                       \
        Term a = A(ip[4]), b = B(ip[5]), value;                                \
        if (is_small(a) && is_small(b) && small_op(a, b, &value)) [[likely]] { \
            D(ip[6]) = value;                                                  \
            then;                                                              \
        }                                                                      \
        arith_op = (op_code);                                                  \
        goto float_arith;                                                      \
    } while (0)
#define ARITH(A, B, D, small_op, op_code) ARITH_THEN(A, B, D, small_op, op_code, ip += 7; NEXT())
    // add_int, sub_int: X + Int, Int + X and X - Int. Erlang/OTP 25's JIT
    // inlines these, and their badarith has no frame of erlang:'+'/2 or
    // '-'/2 (X + Y, Int - X and the other operators have one).
#define ARITH_INT_THEN(A, D, small_op, then)                              \
    do {                                                                  \
        Term a = A(ip[4]), value;                                         \
        if (is_small(a) && small_op(a, Term(ip[5]), &value)) [[likely]] { \
            D(ip[6]) = value;                                             \
            then;                                                         \
        }                                                                 \
        bif_first = First::Here;                                          \
        goto gc_bif2_generic;                                             \
    } while (0)
#define ARITH_INT(A, D, small_op) ARITH_INT_THEN(A, D, small_op, ip += 7; NEXT())
    // add, sub, mul: two floats go to float_arith (out of line, so that the
    // small-integer path keeps its code), anything else to the BIF.
    CASE(add) ARITH(SRC, SRC, DST, small_add, 0);
    CASE(add_xxx) ARITH(XR, XR, XR, small_add, 0);
    CASE(add_yxx) ARITH(YR, XR, XR, small_add, 0);
    CASE(sub) ARITH(SRC, SRC, DST, small_sub, 1);
    CASE(mul) ARITH(SRC, SRC, DST, small_mul, 2);
    CASE(mul_xxx) ARITH(XR, XR, XR, small_mul, 2);
    CASE(add_int) ARITH_INT(REG, DST, small_add);
    CASE(add_int_xx) ARITH_INT(XR, XR, small_add);
    CASE(add_int_yx) ARITH_INT(YR, XR, small_add);
    CASE(sub_int) ARITH_INT(REG, DST, small_sub);
    CASE(sub_int_xx) ARITH_INT(XR, XR, small_sub);
    CASE(sub_int_yx) ARITH_INT(YR, XR, small_sub);
    // Fused: N - 1 as the argument of a call (recursion on a count), and a
    // sum as the result of a function with a frame (F(A) + F(B)).
    CASE(sub_int_xx_call) ARITH_INT_THEN(XR, XR, small_sub, CALL_AT(7));
    CASE(sub_int_yx_call) ARITH_INT_THEN(YR, XR, small_sub, CALL_AT(7));
    CASE(add_yxx_deallocate_return) ARITH_THEN(YR, XR, XR, small_add, 0, DEALLOCATE_RETURN_AT(7));

    // ---- float registers: a non-finite result is Erlang's float overflow
#define FLOAT_OP(expr)                         \
    do {                                       \
        double r = (expr);                     \
        if (!std::isfinite(r)) [[unlikely]] {  \
            if (ip[1]) {                       \
                ip = LABEL(ip[1]);             \
                NEXT();                        \
            }                                  \
            ERROR(make_atom(atom::kBadarith)); \
        }                                      \
        fr[ip[4]] = r;                         \
        ip += 5;                               \
        NEXT();                                \
    } while (0)
    CASE(fconv_x) {
        Term t = XR(ip[2]);
        if (is_float(t)) [[likely]] {
            fr[ip[3]] = float_value(t);
            ip += 4;
            NEXT();
        }
        goto fconv;
    }
    CASE(fconv) {
    fconv:
        Term t = SRC(ip[2]);
        double d;
        if (is_float(t)) [[likely]] {
            d = float_value(t);
        } else if (ip[1]) {
            ip = LABEL(ip[1]);
            NEXT();
        } else if (is_small(t)) {
            d = double(small_value(t));
        } else {
            if (!is_bignum(t)) ERROR(make_atom(atom::kBadarith));
            d = bif::number_to_double(t);
            if (!std::isfinite(d)) ERROR(make_atom(atom::kBadarith));
        }
        fr[ip[3]] = d;
        ip += 4;
        NEXT();
    }
    CASE(fadd) FLOAT_OP(fr[ip[2]] + fr[ip[3]]);
    CASE(fsub) FLOAT_OP(fr[ip[2]] - fr[ip[3]]);
    CASE(fmul) FLOAT_OP(fr[ip[2]] * fr[ip[3]]);
    CASE(fdiv) FLOAT_OP(fr[ip[2]] / fr[ip[3]]);
#undef FLOAT_OP
    CASE(fnegate) {
        fr[ip[2]] = 0.0 - fr[ip[1]];
        ip += 3;
        NEXT();
    }
    CASE(fsqrt) {
        Term t = SRC(ip[2]);
        double r = is_number(t) ? std::sqrt(bif::number_to_double(t)) : -1.0;
        if (is_number(t) && std::isfinite(r)) [[likely]] {
            fr[ip[3]] = r;
            ip += 4;
            NEXT();
        }
        // Not a number, negative or too big: the BIF raises its own error
        // (it fails before allocating anything).
        bif_export = reinterpret_cast<const code::Export*>(ip[1]);
        x[0] = t;
        SYNC();
        p.live = 1;
        result = bif_export->bif->fn(p, x);
        RELOAD();
        nargs = 1;
        goto bif_failed;
    }
    CASE(fbox) {
        ENSURE(kFloatWords, ip[1]);
        DST(ip[3]) = make_float(heap::alloc(p.heap, kFloatWords), fr[ip[2]]);
        ip += 4;
        NEXT();
    }
    CASE(fbox_x) {
        ENSURE(kFloatWords, ip[1]);
        XR(ip[3]) = make_float(heap::alloc(p.heap, kFloatWords), fr[ip[2]]);
        ip += 4;
        NEXT();
    }

    CASE(call_bif) {
        bif_export = reinterpret_cast<const code::Export*>(ip[1]);
        nargs = bif_export->arity;
        SYNC();
        SAVE_CALLER();
        p.live = nargs;
        result = bif_export->bif->fn(p, x);
        RELOAD();
        if (result == kNone) {
            if (p.flags & process::kGoDirty) {
                cp = ip + 3;  // a call: dirty_return returns here
                goto go_dirty;
            }
            if (!(p.flags & process::kTrapCall)) goto bif_failed;
            cp = ip + 3;  // a call: the Erlang function returns here
            ip = take_trap_call(p, nargs);
            CHECK_REDS(nargs);
            NEXT();
        }
        x[0] = result;
        ip += 3;
        CHECK_REDS_BIF(1);
        NEXT();
    }
    CASE(call_bif_last) {
        bif_export = reinterpret_cast<const code::Export*>(ip[1]);
        nargs = bif_export->arity;
        SYNC();
        SAVE_CALLER();
        p.live = nargs;
        result = bif_export->bif->fn(p, x);
        RELOAD();
        if (result == kNone) {
            if (!(p.flags & (process::kTrapCall | process::kGoDirty))) goto bif_failed;
            cp = reinterpret_cast<const Word*>(E[ip[2]]);  // as call_ext_last
            E += ip[2] + 1;
            if (p.flags & process::kGoDirty) {
                SYNC();
                goto go_dirty;
            }
            ip = take_trap_call(p, nargs);
            CHECK_REDS(nargs);
            NEXT();
        }
        x[0] = result;
        E += ip[2] + 1;
        ip = reinterpret_cast<const Word*>(E[-1]);
        cp = nullptr;
        CHECK_REDS_BIF(1);
        NEXT();
    }
    CASE(call_bif_only) {
        goto apply_bif;
    }
    CASE(apply_bif_stub) {
    apply_bif:
        // Both: call the BIF with X[0..arity-1], then return to CP.
        bif_export = reinterpret_cast<const code::Export*>(ip[1]);
        nargs = bif_export->arity;
        SYNC();
        SAVE_CALLER();
        p.live = nargs;
        if (bif_export->bif->flags & (bif::kDirtyIo | bif::kDirtyCpu)) [[unlikely]] {
            // Off to a dirty pool (dirty.h); back at dirty_return, which
            // returns to CP as this stub would.
            process::rare(p).dirty_call = bif_export;
            ip = dirty_return_address();
            goto dirty;
        }
        result = bif_export->bif->fn(p, x);
        RELOAD();
        if (result == kNone) {
            if (p.flags & process::kGoDirty) goto go_dirty;  // a tail call: cp stays
            if (!(p.flags & process::kTrapCall)) {
                bif_first = First::Applied;
                goto bif_failed;
            }
            ip = take_trap_call(p, nargs);  // a tail call: cp stays
            CHECK_REDS(nargs);
            NEXT();
        }
        x[0] = result;
        ip = cp;
        cp = nullptr;
        CHECK_REDS_BIF(1);
        NEXT();
    }
    CASE(dirty_return) {
        // Back from a dirty BIF call: X[0] is its result, or it failed and
        // X[0..arity-1] are its arguments again.
        process::Rare& rare = *p.rare;
        bif_export = static_cast<const code::Export*>(rare.dirty_call);
        rare.dirty_call = nullptr;
        if (rare.dirty_failed) {
            rare.dirty_failed = false;
            nargs = bif_export->arity;
            SYNC();
            goto bif_failed;
        }
        ip = cp;
        cp = nullptr;
        CHECK_REDS(1);
        NEXT();
    }
    CASE(undefined_stub) {
        auto* e = reinterpret_cast<const code::Export*>(ip[1]);
        SYNC();
        if (code::ensure_loaded(e->module) && code::is_defined(e)) {
            ip = e->address;
            NEXT();
        }
        if (code::is_deferred(e->module)) {
            // The module waits for its parse transforms: this process runs
            // them, as beamlite_transform:load(M, F, Args) (see code.h).
            uint32_t n = e->arity;
            ENSURE(n * kConsWords, n);
            Term list = kNil;
            for (uint32_t i = n; i-- > 0; p.heap.top += kConsWords)
                list = make_cons(p.heap.top, x[i], list);
            x[0] = e->module;
            x[1] = e->function;
            x[2] = list;
            ip = transform_loader()->address;
            NEXT();
        }
        exception::set(p, kError, make_atom(atom::kUndef));
        RAISE(First::Call, e, e->arity);
    }
    CASE(apply2_stub) {
        // X[0] = Fun, X[1] = Args; CP was set by the call.
        Term fun = x[0];
        int64_t n = short_list_length(x[1], process::kMaxXRegs - 2);
        if (n < 0) {
            // {erlang, apply, [Fun, Args], Info} heads the trace, as in OTP
            exception::set(p, kError, make_atom(atom::kBadarg));
            RAISE(First::Call, apply_export(2), 2);
        }
        unpack_list(x[1], x);
        x[n] = fun;
        nargs = uint32_t(n);
        goto do_call_fun;
    }
    CASE(apply3_stub) {
    apply3_from_x:
        Term module = x[0], function = x[1];
        int64_t n = short_list_length(x[2], process::kMaxXRegs - 2);
        if (n < 0) {
            exception::set(p, kError, make_atom(atom::kBadarg));
            RAISE(First::Call, apply_export(3), 3);
        }
        unpack_list(x[2], x);
        x[n] = module;
        x[n + 1] = function;
        nargs = uint32_t(n);
        goto do_apply;
    }
    CASE(hibernate3_stub) {
        // erlang:hibernate(M, F, Args): the stack goes, with its catches, and
        // M:F(Args) becomes the process's whole remaining work (returning
        // from it ends the process). OTP also waits for a message first;
        // the woken function always starts with a receive (proc_lib:wake_up
        // -> gen_server:wake_hib -> its loop), so calling it at once
        // differs only in timing.
        E = p.heap.end;
        cp = normal_exit_address();
        goto apply3_from_x;
    }
    CASE(normal_exit) {
        p.saved_inline[0] = x[0];  // process::result()
        p.status = Status::Done;
        p.reds = reds;
        SYNC();
        p.ip = ip;
        p.cp = nullptr;
        p.xregs = nullptr;
        return Status::Done;
    }

    // ---- exceptions ----------------------------------------------------------------
    CASE(try_)
    CASE(catch_) {
        E[ip[1]] = make_catch(ip[2]);
        ip += 3;
        NEXT();
    }
    CASE(try_end) {
        E[ip[1]] = kNil;
        ip += 2;
        NEXT();
    }
    CASE(try_case) {
        E[ip[1]] = kNil;
        x[0] = x[1];
        x[1] = x[2];
        x[2] = x[3];
        ip += 2;
        NEXT();
    }
    CASE(try_case_end) {
        ERROR_TUPLE(atom::kTryClause, SRC(ip[1]));
    }
    CASE(catch_end) {
        E[ip[1]] = kNil;
        if (x[0] == kNone) {
            SYNC();
            p.live = 4;
            Term value = exception::catch_value(p, x);
            if (value == kNone) goto heap_limit;
            RELOAD();
            x[0] = value;
        }
        ip += 2;
        NEXT();
    }
    CASE(raise) {
        Term trace = SRC(ip[1]), reason = SRC(ip[2]);
        process::Rare& rare = process::rare(p);
        Term cls =
            trace == rare.terms[process::kLastTrace] ? rare.terms[process::kLastClass] : kError;
        exception::set_with_trace(p, cls, reason, trace);
        RAISE(First::Here, nullptr, 0);
    }
    CASE(badmatch) {
        ERROR_TUPLE(atom::kBadmatch, SRC(ip[1]));
    }
    CASE(case_end) {
        ERROR_TUPLE(atom::kCaseClause, SRC(ip[1]));
    }
    CASE(if_end) {
        ERROR(make_atom(atom::kIfClause));
    }
    CASE(badrecord) {
        ERROR_TUPLE(atom::kBadrecord, SRC(ip[1]));
    }

    // ---- messages ---------------------------------------------------------------------------
    // The receive loop: loop_rec reads the message at the save point (the
    // mailbox cursor), loop_rec_end moves past it, remove_message takes it
    // out (its fragment joins the heap). X registers do not survive a wait.
    CASE(send) {
        SYNC();
        p.live = 2;
        size_t copied = 0;
        if (!signals::send(p, x[0], x[1], &copied)) {
            // OTP's trace starts with {erlang,send,[Dest,Msg],[error_info]}.
            bif::badarg(p, 1, "invalid destination");
            RAISE(First::Call,
                  code::export_entry(make_atom(atom::kErlang), make_atom(atom::kSend), 2), 2);
        }
        x[0] = x[1];
        ip += 1;
        reds -= kSendReductions +
                int(std::min<size_t>(copied / kCopyWordsPerReduction, size_t(kSliceReductions)));
        NEXT();
    }
    CASE(recv_mark) {
        mailbox::set_mark(p.mailbox, LABEL(ip[1]));
        ip += 2;
        NEXT();
    }
    CASE(recv_set) {
        mailbox::use_mark(p.mailbox, LABEL(ip[1]));
        ip += 2;
        NEXT();
    }
    CASE(loop_rec) {
        mailbox::Signal* message = mailbox::current(p.mailbox);
        if (!message) {
            SYNC();
            signals::handle_inbox(p);
            if (p.status == Status::Exiting) goto stop;
            message = mailbox::current(p.mailbox);
            if (!message) {
                ip = LABEL(ip[1]);
                NEXT();
            }
        }
        // A small flat message (most are: {tag, Pid, N}) is copied onto the
        // heap when there is room, so that remove_message can free its
        // fragment while it is in cache: otherwise the next collection
        // walks every received fragment, cold (half the time of a
        // 1,000-process ring went there). No collection here: without
        // room the fragment's term is given out as before.
        Term term = message->term;
        message->copied_to_heap = false;
        if (size_t words = message->inline_words) {
            // Held in the node (mailbox::kInlineWords), which taking the
            // message frees: always copied onto the heap, collecting first
            // if need be. No X register is live at a receive's loop (a wait
            // keeps none), and the node does not move.
            ENSURE(words, 0);
            term = heap::copy_flat(message->term, p.heap.top, words);
            p.heap.top += words;
            message->copied_to_heap = true;
        } else if (message->fragment) {
            size_t words = heap::flat_size(term);
            if (words && words <= kCopyOnReceiveWords && size_t(E - p.heap.top) >= words) {
                term = heap::copy_flat(term, p.heap.top, words);
                p.heap.top += words;
                message->copied_to_heap = true;
            } else {
                mailbox::expose(p.mailbox, message);
            }
        }
        DST(ip[2]) = term;
        ip += 3;
        NEXT();
    }
    CASE(loop_rec_end) {
        mailbox::advance(p.mailbox);
        ip = LABEL(ip[1]);
        NEXT();
    }
    CASE(remove_message) {
        mailbox::Signal* message = mailbox::remove_current(p.mailbox);
        // Attached, the fragment lives until the next collection; when the
        // receive used a heap copy and never gave out the fragment's term,
        // nothing refers to it any more.
        if (message->fragment && (!message->copied_to_heap || message->exposed)) {
            heap::attach_fragment(p.heap, message->fragment);
            message->fragment = nullptr;
        }
        mailbox::signal_free(message);
        if (p.rare && p.rare->receive_timer) {
            sched::cancel_timer(p.rare->receive_timer);
            p.rare->receive_timer = 0;
        }
        p.flags &= uint8_t(~process::kTimedOut);
        ip += 1;
        NEXT();
    }
    CASE(timeout) {
        mailbox::reset(p.mailbox);
        mailbox::clear_mark(p.mailbox);
        p.flags &= uint8_t(~process::kTimedOut);
        if (p.rare) p.rare->receive_timer = 0;
        ip += 1;
        NEXT();
    }
    CASE(wait) {
        ip = LABEL(ip[1]);
        goto suspend;
    }
    CASE(wait_timeout) {
        // Reached when the receive loop found no match. The process
        // suspends at the loop (ip[1]) so that a wake-up scans the new
        // messages first; when its timer fires it comes back here.
        if (p.flags & process::kTimedOut) {
            ip += 3;  // on to `timeout`
            NEXT();
        }
        Term after = SRC(ip[2]);
        if (after != make_atom(atom::kInfinity)) {
            if (!is_small(after) || small_value(after) < 0) ERROR(make_atom(atom::kTimeoutValue));
            if (small_value(after) == 0) {
                ip += 3;
                NEXT();
            }
            process::Rare& rare = process::rare(p);
            if (!rare.receive_timer) {
                rare.receive_timer = process::new_ref_id();
                sched::start_timer(rare.receive_timer, small_value(after), p.pid, nullptr);
            }
        }
        ip = LABEL(ip[1]);
        goto suspend;
    }

    // ---- maps -----------------------------------------------------------------------------
    CASE(put_map_assoc) {
        exact = false;
        goto put_map;
    }
    CASE(put_map_exact) {
        exact = true;
    put_map:
        // l s d u n k1 v1 ...: the pairs and the map go to X[live..] (roots).
        Term map = SRC(ip[2]);
        Word live = ip[4], n = ip[5];
        if (!is_map(map)) {
            if (ip[1]) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            ERROR_TUPLE(atom::kBadmap, map);
        }
        for (Word i = 0; i < n; ++i) {
            x[live + 2 * i] = SRC(ip[6 + 2 * i]);
            x[live + 2 * i + 1] = SRC(ip[7 + 2 * i]);
        }
        x[live + 2 * n] = map;
        SYNC();
        p.live = uint32_t(live + 2 * n + 1);
        Term bad = kNone;
        result = map_put(p, x, uint32_t(live), uint32_t(n), exact, &bad);
        RELOAD();
        if (result == kNone) {
            if (bad == kNone) goto heap_limit;
            if (ip[1]) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            ERROR_TUPLE(atom::kBadkey, bad);
        }
        DST(ip[3]) = result;
        ip += 6 + 2 * n;
        NEXT();
    }
    CASE(has_map_fields) {
        Term map = SRC(ip[2]);
        Word n = ip[3];
        bool ok = is_map(map);
        for (Word i = 0; ok && i < n; ++i)
            ok = map::get(map, SRC(ip[4 + i])) != kNone;
        ip = ok ? ip + 4 + n : LABEL(ip[1]);
        NEXT();
    }
    CASE(get_map_elements) {
        Term map = SRC(ip[2]);
        Word n = ip[3];
        if (!is_map(map)) {
            ip = LABEL(ip[1]);
            NEXT();
        }
        for (Word i = 0; i < n; ++i) {
            Term value = map::get(map, SRC(ip[4 + 2 * i]));
            if (value == kNone) {
                ip = LABEL(ip[1]);
                NEXT();
            }
            DST(ip[5 + 2 * i]) = value;
        }
        ip += 4 + 2 * n;
        NEXT();
    }

    // ---- binaries ------------------------------------------------------------------------
    CASE(bs_create_bin) {
        Word live = ip[2], n = ip[4];
        t_segments.resize(n);
        BS_SEGMENTS();
        uint64_t bits = 0;
        size_t bad = 0;
        bitsyntax::Status status = bitsyntax::measure(t_segments.data(), n, &bits, &bad);
        if (status != bitsyntax::Status::kOk) {
            if (ip[1]) BS_FAIL();
            ERROR(make_atom(status == bitsyntax::Status::kBadarg ? atom::kBadarg
                                                                 : atom::kSystemLimit));
        }
        size_t words = binary::new_words(bits);
        ENSURE(words, live);
        BS_SEGMENTS();
        uint8_t* bytes;
        Term bin = binary::make(heap::alloc(p.heap, words), bits, &bytes, p.heap.off_heap);
        if (bin == kNone) [[unlikely]] {
            p.heap.out_of_memory = true;
            SYNC();
            goto heap_limit;
        }
        bitsyntax::write(t_segments.data(), n, bytes);
        DST(ip[3]) = bin;
        ip += 5 + 4 * n;
        NEXT();
    }
    CASE(bs_start_match) {
        Term ctx = SRC(ip[3]);
        if (bitsyntax::is_match_state(ctx)) {  // passed by a caller: reuse it
            bitsyntax::rewind(ctx);
            DST(ip[4]) = ctx;
            ip += 5;
            NEXT();
        }
        if (!is_bitstring(ctx)) BS_FAIL();
        BS_ENSURE(bitsyntax::kMatchStateWords, ip[2]);
        DST(ip[4]) = bitsyntax::start_match(heap::alloc(p.heap, bitsyntax::kMatchStateWords), ctx);
        ip += 5;
        NEXT();
    }
    CASE(bs_get_integer) {
        Term ctx = SRC(ip[2]);
        uint64_t bits = bitsyntax::segment_bits(SRC(ip[4]), ip[5]);
        if (bits == UINT64_MAX || bits > bitsyntax::remaining(ctx)) BS_FAIL();
        Term small;
        if (bitsyntax::get_small_bytes(ctx, bits, ip[5], &small)) {
            DST(ip[6]) = small;
            ip += 7;
            NEXT();
        }
        size_t words = bitsyntax::integer_words(bits);
        if (words) BS_ENSURE(words, ip[3]);
        Term* mem = heap::alloc(p.heap, words);
        Term value = bitsyntax::get_integer(ctx, bits, ip[5], mem);
        // A value that came out smaller than reserved gives the rest back.
        p.heap.top = is_small(value) ? mem : mem + header_size(boxed_header(value)) + 1;
        DST(ip[6]) = value;
        ip += 7;
        NEXT();
    }
    CASE(bs_get_float) {
        Term ctx = SRC(ip[2]);
        uint64_t bits = bitsyntax::segment_bits(SRC(ip[4]), ip[5]);
        if (bits == UINT64_MAX || bits > bitsyntax::remaining(ctx)) BS_FAIL();
        BS_ENSURE(kFloatWords, ip[3]);
        Term* mem = heap::alloc(p.heap, kFloatWords);
        Term value = bitsyntax::get_float(ctx, bits, ip[5], mem);
        if (value == kNone) {
            p.heap.top = mem;
            BS_FAIL();
        }
        DST(ip[6]) = value;
        ip += 7;
        NEXT();
    }
    CASE(bs_get_binary) {
        Term ctx = SRC(ip[2]), size = SRC(ip[4]);
        uint64_t left = bitsyntax::remaining(ctx), unit = bytecode::bs_unit(ip[5]);
        uint64_t bits = size == make_atom(atom::kAll)
                            ? (unit > 1 && left % unit ? UINT64_MAX : left)
                            : bitsyntax::segment_bits(size, ip[5]);
        if (bits == UINT64_MAX || bits > left) BS_FAIL();
        BS_ENSURE(kSubBinWords, ip[3]);
        DST(ip[6]) = bitsyntax::get_binary(ctx, bits, heap::alloc(p.heap, kSubBinWords));
        ip += 7;
        NEXT();
    }
    CASE(bs_get_utf) {
        Term value = bitsyntax::get_utf(SRC(ip[2]), bytecode::BsType(ip[3]), ip[4]);
        if (value == kNone) BS_FAIL();
        DST(ip[5]) = value;
        ip += 6;
        NEXT();
    }
    CASE(bs_skip_bits) {
        Term ctx = SRC(ip[2]), size = SRC(ip[3]);
        uint64_t left = bitsyntax::remaining(ctx), unit = bytecode::bs_unit(ip[4]);
        uint64_t bits = size == make_atom(atom::kAll)
                            ? (unit > 1 && left % unit ? UINT64_MAX : left)
                            : bitsyntax::segment_bits(size, ip[4]);
        if (bits == UINT64_MAX || bits > left) BS_FAIL();
        bitsyntax::skip(ctx, bits);
        ip += 5;
        NEXT();
    }
    CASE(bs_skip_utf) {
        if (bitsyntax::get_utf(SRC(ip[2]), bytecode::BsType(ip[3]), ip[4]) == kNone) BS_FAIL();
        ip += 5;
        NEXT();
    }
    CASE(bs_match_string) {
        if (!bitsyntax::match_string(SRC(ip[2]), Term(ip[3]))) BS_FAIL();
        ip += 4;
        NEXT();
    }
    CASE(bs_test_tail) {
        if (bitsyntax::remaining(SRC(ip[2])) != ip[3]) BS_FAIL();
        ip += 4;
        NEXT();
    }
    CASE(bs_get_tail) {
        Term ctx = SRC(ip[2]);
        uint64_t unit = bytecode::bs_unit(ip[3]);
        if (unit > 1 && bitsyntax::remaining(ctx) % unit) BS_FAIL();
        bitsyntax::take_tail(ctx);
        DST(ip[4]) = ctx;
        ip += 5;
        NEXT();
    }
    CASE(bs_commit_tail) {
        bitsyntax::commit_tail(x[ip[1]]);
        ip += 2;
        NEXT();
    }

#if !BEAMLITE_THREADED
    default:
        ERROR(make_atom(atom::kSystemLimit));
}
#endif

// ---- shared slow paths -------------------------------------------------------------
do_call_fun : {
    // The fun is in X[nargs], its arguments in X[0..nargs-1]; CP is set.
    Term fun = x[nargs];
    if (is_local_fun(fun)) {
        const FunEntry* entry = fun_entry(fun);
        if (entry->arity != nargs) goto badarity;
        uint64_t free = entry->num_free;
        const Term* values = fun_free_vars(fun);
        for (uint64_t i = 0; i < free; ++i)
            x[nargs + i] = values[i];
        ip = static_cast<const Word*>(entry->code);
        CHECK_REDS(nargs + free);
        NEXT();
    }
    if (is_export(fun)) {
        if (export_arity(fun) != nargs) goto badarity;
        ip = code::export_entry(export_module(fun), export_function(fun), nargs)->address;
        CHECK_REDS(nargs);
        NEXT();
    }
    ERROR_TUPLE(atom::kBadfun, fun);
}
badarity : SYNC();
if (!exception::set_badarity(p, x, nargs)) goto heap_limit;
RELOAD();
RAISE(First::Here, nullptr, 0);

do_apply : {
    // X[nargs] = module, X[nargs + 1] = function; CP is set.
    Term module = x[nargs], function = x[nargs + 1];
    if (!is_atom(module) || !is_atom(function)) ERROR(make_atom(atom::kBadarg));
    ip = code::export_entry(module, function, nargs)->address;
    CHECK_REDS(nargs);
    NEXT();
}

float_arith : {
    // add, sub or mul (arith_op) of two floats: the result boxed here, with
    // no BIF call; anything else (mixed, not finite) takes the BIF. The
    // operands are read again after a compiler barrier: reusing the
    // handlers' registers would cost their small-integer paths moves.
    asm volatile("" ::: "memory");
    Term a = SRC(ip[4]), b = SRC(ip[5]);
    if (is_float(a) && is_float(b)) {
        double fa = float_value(a), fb = float_value(b);
        double r = arith_op == 0 ? fa + fb : arith_op == 1 ? fa - fb : fa * fb;
        if (std::isfinite(r)) {
            ENSURE(kFloatWords, ip[2]);
            DST(ip[6]) = make_float(heap::alloc(p.heap, kFloatWords), r);
            ip += 7;
            NEXT();
        }
    }
    goto gc_bif2_generic;
}

bif_failed_no_label : nargs = 0;
bif_failed :
    // A BIF without a fail label returned kNone; its arguments are in
    // X[0..nargs-1]. It may have halted or hit the heap limit instead, or
    // asked to be called again after a yield (ip is still at the call).
    // First::Call, or First::Applied when apply_bif failed (taken here,
    // whichever way this goes on).
    raise_first = bif_first;
bif_first = First::Call;
if (p.flags & process::kRetry) [[unlikely]] {
    p.flags &= uint8_t(~process::kRetry);
    p.live = nargs;
    goto yield;
}
if (p.status == Status::Halted || p.status == Status::Exiting) goto stop;
if (p.status == Status::Killed) goto heap_limit;
if (bif_export && bif_export->bif && (bif_export->bif->flags & bif::kRaises))
    RAISE(First::Here, nullptr, 0);
RAISE(raise_first, bif_export, nargs);

raise : SYNC();
if (!exception::finish(p, ip, cp, raise_first, raise_callee)) goto heap_limit;
RELOAD();  // building the trace may have collected (and moved the stack)
handler_ip = exception::unwind(p);
if (!handler_ip) {
    p.status = Status::Failed;
    goto stop;
}
RELOAD();
{
    process::Rare& rare = *p.rare;
    x[0] = kNone;
    x[1] = rare.terms[process::kExcClass];
    x[2] = rare.terms[process::kExcReason];
    x[3] = rare.terms[process::kExcTrace];
    rare.terms[process::kLastTrace] = x[3];
    rare.terms[process::kLastClass] = x[1];
}
cp = nullptr;
ip = handler_ip;
NEXT();

yield :
    // Out of reductions at a call or return: ip is the target, cp is set,
    // X[0..p.live-1] are the arguments.
    SYNC();
p.ip = ip;
p.cp = cp;
// X[0..live-1] are the roots here, and the fragments this slice received are
// freed now rather than at a collection that may never come.
if (gc::fragments_due(p.heap) && !gc::collect(p.heap, 0, process::roots(p))) goto heap_limit;
process::save_xregs(p, x, p.live);
p.xregs = nullptr;
p.flags &= uint8_t(~process::kYield);
p.reds = reds;
return Status::Runnable;

go_dirty :
    // A BIF asked to finish on the dirty CPU pool (bif::go_dirty): cp is
    // where its call returns to, X[0..nargs-1] its arguments.
    p.flags &= uint8_t(~process::kGoDirty);
process::rare(p).dirty_call = bif_export;
p.live = nargs;
ip = dirty_return_address();
goto dirty;

dirty :
    // A dirty BIF call: saved as at a yield (ip is dirty_return, X[0..live-1]
    // the arguments); the scheduler hands the process to a dirty pool.
    p.ip = ip;
p.cp = cp;
process::save_xregs(p, x, p.live);
p.xregs = nullptr;
p.reds = reds;
return Status::Dirty;

suspend :
    // Blocked in a receive: resume at ip when a signal or the timer comes.
    SYNC();
p.ip = ip;
p.cp = cp;
p.xregs = nullptr;
p.reds = reds;
p.status = Status::Waiting;
return Status::Waiting;

heap_limit :
    // Every jump here comes after SYNC(), and the failed collection may
    // have moved the stack: heap.sp is current, E is not.
    RELOAD();
p.status = Status::Killed;
stop : SYNC();
p.ip = ip;
p.cp = cp;
p.xregs = nullptr;
p.reds = reds;
return p.status;

#undef CASE
#undef NEXT
#undef PINNED
#undef SRC
#undef DST
#undef LABEL
#undef SYNC
#undef RELOAD
#undef SAVE_CALLER
#undef ENSURE
#undef CHECK_REDS
#undef ARITH_THEN
#undef ARITH_INT_THEN
#undef DEALLOCATE_RETURN_AT
#undef MOVE_RETURN_C_AT
#undef CHECK_REDS_BIF
#undef RAISE
#undef ERROR
#undef ERROR_TUPLE
#undef TEST
#undef COMPARE
#undef BS_SEGMENTS
#undef BS_ENSURE
#undef BS_FAIL
}

}  // namespace

}  // namespace interp
