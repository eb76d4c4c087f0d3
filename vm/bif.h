// bif: built-in functions implemented in C++, and the one table of them
// (bifs.def) that the loader, apply and the export table consult.
//
// A BIF takes the process and a pointer to its arguments, which are always
// live X registers (the interpreter copies constant and Y arguments into X
// registers above the live ones first), so a BIF may allocate through
// process::alloc: a collection updates the arguments in place. A BIF
// returns its result, or term::kNone after recording an exception with
// bif::fail / bif::badarg (or a halt) in the process.
//
// Functions that take a fun (lists:map, ...) are not BIFs: they are written
// in Erlang in stdlib/ so that they stay preemptible. apply/2,3 are BIFs in
// the table but the interpreter runs them (they jump, not call).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vm/process.h"
#include "vm/term.h"

namespace bif {

using process::Process;
using term::Term;

using Fn = Term (*)(Process& p, Term* args);

enum Flags : uint8_t {
    kNoFlags = 0,
    kGuard = 1,        // allowed in guards
    kAllocates = 2,    // may allocate (called through gc_bif in guards)
    kInterpreted = 4,  // run by the interpreter itself (apply/2,3): fn is unused
    kRaises = 8,       // raises as its caller (error/1,2, exit/1, throw/1): no
                       // stack-trace entry of its own, as in OTP
    kDirtyIo = 16,     // may block: runs on the dirty I/O pool (dirty.h)
    kDirtyCpu = 32,    // runs long: runs on the dirty CPU pool
};

struct Bif {
    std::string_view module;
    std::string_view name;
    uint32_t arity;
    Fn fn;
    uint8_t flags;
};

// The BIF named M:F/A, or null.
const Bif* find(std::string_view module, std::string_view name, uint32_t arity);
const Bif* find(Term module, Term function, uint32_t arity);

// Every BIF, in table order.
const Bif* table();
size_t table_size();

// persistent_term:get(Key, kNone) for the VM's own use (no process).
Term persistent_term_lookup(Term key);

// The ending process `p` owned ETS tables: they go to their heirs or away.
void ets_owner_exited(Process& p);

// ---- raising from a BIF ------------------------------------------------------------

// Records error:Reason and returns kNone (the BIF returns it).
Term fail(Process& p, Term reason);
// error:badarg, noting which argument (1-based) was wrong and why, in the
// words of OTP's error report (EEP 54), e.g. "not an atom", "out of range".
Term badarg(Process& p, unsigned argument, const char* why);
// As badarg, with the error_info `cause` (an atom) of OTP's report for
// the BIFs erl_stdlib_errors explains (ets: id, access, badkey...).
Term badarg_cause(Process& p, unsigned argument, const char* why, Term cause);
// Records a raise of any class (error, exit, throw).
Term raise(Process& p, Term cls, Term reason);

// ---- long BIFs: charging reductions ---------------------------------------------

// A BIF whose work grows with its input charges the calling process for it
// (about one reduction per kWorkPerReduction elements, words or bytes), so
// that the process is switched out sooner after a big call. The charge is
// taken, capped at one slice, by the interpreter after the call.
constexpr size_t kWorkPerReduction = 64;
constexpr int kMaxCharge = 4000;  // one slice (interp::kSliceReductions)
void charge(size_t work);
namespace detail {
// constinit: no TLS wrapper call, which UBSan builds saw return null.
extern constinit thread_local int pending_reductions;
}  // namespace detail
// The charge since the last take (the interpreter's side).
inline int take_charge() {
    int r = detail::pending_reductions;
    detail::pending_reductions = 0;
    return r;
}

// ---- long BIFs: yielding ------------------------------------------------------------

// A BIF whose work on a big input would hold its scheduler far past a
// slice (erlang:'--', lists:uniq/1, binary:copy/2) works in steps of about
// kTrapWork elements (kTrapBytes bytes for copies), each of a slice's
// length or less. Between steps it keeps its state in a process::Trap (GC
// roots) and returns trap_again(p): the interpreter yields with the call
// still to do, and the next slice calls the BIF again with the same
// arguments, which then finds its state by trap_find. Nothing else runs in
// the process between (OTP's BIFs trap to themselves the same way).
constexpr size_t kTrapWork = 4 * 1024;
constexpr size_t kTrapBytes = 1024 * 1024;  // a fresh page costs ~15 us here: ~4 ms a step
// The state `owner` saved for these arguments (the first `nargs`, kept in
// trap.terms), or null when this is a fresh call.
process::Trap* trap_find(Process& p, const void* owner, const Term* args, size_t nargs);
// Keeps `state` (the BIF's own, made for a fresh call) as the process's
// trap state, replacing any other, and asks for the call again.
Term trap_again(Process& p, process::Trap&& state);
// Asks for the call again with the state trap_find returned.
Term trap_again(Process& p);
// Frees the process's trap state (the BIF is done).
void trap_done(Process& p);

// ---- long BIFs: finishing on the dirty CPU pool ----------------------------------------

// A BIF whose work on a big input would hold its scheduler far past a
// slice, and which cannot work in steps (term_to_binary/1, whose encoder
// recurses through the term; binary_to_list/1), hands the rest of the call
// to the dirty CPU pool: it returns go_dirty(p) before doing anything, the
// process waits off the schedulers (as for a BIF marked kDirtyCpu), and a
// pool thread calls the BIF again with the same arguments, where
// on_dirty_pool() is true and it does the work. Only for BIFs called as
// functions (call_ext, apply, funs), not guard BIFs. kDirtyWork (elements
// or bytes) is about a millisecond of work.
constexpr size_t kDirtyWork = 512 * 1024;
Term go_dirty(Process& p);
// True on a dirty pool's thread (dirty.h).
bool on_dirty_pool();
// The test BIFs of long work use: work past kDirtyWork, on a scheduler.
inline bool should_go_dirty(size_t work) {
    return work > kDirtyWork && !on_dirty_pool();
}

// ---- continuing in Erlang --------------------------------------------------------------

// The BIF's call continues as a call of the Erlang function
// module:function/arity with X[0..arity-1] as its arguments (the BIF's own
// args, which it may rewrite first; arity must not exceed the BIF's), as
// the BEAM's BIF_TRAP does: OTP's library does the rare cases of some
// BIFs in Erlang (unicode:characters_to_list/2 in utf16 goes on in
// unicode:characters_to_list_int/2). The BIF returns what this returns.
// Only for BIFs called as functions (call_ext, apply, funs), not guard BIFs.
Term continue_as(Process& p, std::string_view module, std::string_view function, uint32_t arity);

// ---- helpers shared by the bif_*.cpp files ----------------------------------------

// Heap words come from process::alloc (found by argument-dependent lookup
// as alloc(p, words)); when it returns null (max_heap_size reached) the BIF
// returns heap_exhausted(p).
Term heap_exhausted(Process& p);

// Builds a list of `n` small integers / terms from C++ data.
Term make_string(Process& p, std::string_view bytes);  // Latin-1 / bytes
Term make_unicode_string(Process& p, std::string_view utf8);

// Is `s` valid UTF-8 (no surrogates, nothing above 10FFFF)?
bool valid_utf8(std::string_view s);

// A number term (small, bignum or float) as a double, rounded as OTP
// converts; a bignum too big for a double gives infinity.
double number_to_double(Term t);

// Length of a proper list, or -1 when improper.
int64_t list_length(Term list);

// Flattens an iolist / chardata of Unicode code points into UTF-8. False
// when it is not one.
bool chardata_to_utf8(Term t, std::string& out);

// Chardata (code points, UTF-8 binaries, nested) as UTF-8 when
// unicode:characters_to_binary/2 would convert all of it (no surrogate, no
// bad or unfinished UTF-8); false otherwise.
bool unicode_text(Term chardata, std::string& utf8);

// float_to_list/2's text of `d` for the option list `options` ([] gives
// float_to_list/1's form); false for a bad option.
bool float_to_text(double d, Term options, std::string& out);

// [{Key, Value}] of q's process dictionary, in `asker`'s heap (copied when
// q is another process, which the caller holds).
Term dictionary_list(Process& asker, Process& q);

// The environment as "NAME=VALUE" entries, read under the lock that
// os:putenv/2 takes: what a command or port program is started with.
std::vector<std::string> environment();

// Every BIF function, declared from the table.
namespace impl {
#define BIF(module, name, arity, function, flags) Term function(Process& p, Term* args);
#include "vm/bifs.def"
#undef BIF
}  // namespace impl

}  // namespace bif
