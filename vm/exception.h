// exception: raising (class, reason and the details of a failing BIF),
// building stack traces, unwinding the process stack to the nearest catch,
// the value of `catch Expr`, and the uncaught-error report.
//
// The exception being raised lives in the process's rare block (terms
// kExcClass, kExcReason, kExcTrace, kExcArgs; GC roots). The interpreter
// raises in three steps: set() the class and reason, finish() the stack
// trace, unwind() to a handler.
//
// A stack trace is a list of {Module, Function, Arity | Args, Location}
// with Location = [{file, File}, {line, Line}] (or [] when unknown), newest
// call first, at most kTraceDepth entries (OTP's default backtrace_depth).
// It is found from the raising instruction, the CP register when the
// current function has no frame, and the continuation pointers on the
// stack: every stack word with primary tag 00 is one (bytecode.h), and a
// catch marker belongs to the frame that starts after the nearest
// continuation pointer below it:
//
//     higher addresses
//   | CP of frame 2      |  <- a continuation pointer ends each frame
//   | Y ... catch marker |  frame 2: the marker's frame starts just above
//   | Y[0] of frame 2    |          the CP of the frame below (or at E)
//   | CP of frame 1      |
//   | Y[0] of frame 1    |  <- E (heap.sp)
#pragma once

#include <string>
#include <string_view>

#include "vm/code.h"
#include "vm/process.h"

namespace exception {

using process::Process;
using term::Term;
using Word = uintptr_t;

constexpr unsigned kTraceDepth = 8;

// What the first stack-trace entry shows.
enum class First : uint8_t {
    Here,            // {M, F, Arity, Loc} of the raising instruction
    FunctionClause,  // {M, F, Args, Loc} of the function (at its func_info)
    Call,            // {M, F, Args, Info} of a failing BIF or an undefined
                     // function (`callee`), then the raising instruction
    Applied,         // as Call, for a BIF called through apply or a fun
                     // M:F/A: its frame even for '+' and '/' (as OTP's)
};

// Records the class and reason of a new exception; clears the details.
void set(Process& p, Term cls, Term reason);
// error:{Tag, Value}; false when the heap limit is reached.
bool set_error_tuple(Process& p, Term tag, Term value);
// Records a raise with a ready stack trace (erlang:raise/3, `raise`).
void set_with_trace(Process& p, Term cls, Term reason, Term trace);

// Builds the stack trace of the exception being raised (unless it came
// with one). `ip` is the raising instruction, `cp` the CP register; the
// arguments, for First::FunctionClause and First::Call, are X[0..p.live-1].
// False when the heap limit is reached.
bool finish(Process& p, const Word* ip, const Word* cp, First first, const code::Export* callee);

// Cuts the stack back to the frame of the nearest catch marker and returns
// its handler address (heap.sp updated), or null when there is none.
const Word* unwind(Process& p);

// The value `catch Expr` gives for an exception (throw: the value; error:
// {'EXIT', {Reason, Trace}}; exit: {'EXIT', Reason}), built on the heap.
// Class, reason and trace are taken from X[1..3] (p.live covers them).
// Returns kNone when the heap limit is reached.
Term catch_value(Process& p, Term* xregs);

// The report for an uncaught exception, in the style of OTP 25's escript
// (erl_error:format_exception), starting "PROGRAM: exception ...":
// "beamlite" for a module's main/1, "escript" for an escript's.
std::string report(Process& p, std::string_view program = "beamlite");

// The report for a process killed at its max_heap_size (the BEAM's
// "maximum heap size reached"), or when memory ran out (heap.out_of_memory):
// the limit, the size reached and where the process was, from its saved ip
// and cp. Allocates nothing on its heap.
std::string killed_report(Process& p);

// {badarity, {Fun, Args}} with Args from X[0..arity-1]: the caller sets
// p.live = arity + 1 with the fun in X[arity].
bool set_badarity(Process& p, Term* xregs, uint32_t arity);

// process_info(Q, current_stacktrace) asked by `asker`: Q's frames, as a
// stack trace in asker's heap; kNone when the heap limit is reached. Q's
// saved ip and cp start it: where a suspended Q stopped, or where the
// asker itself called the BIF (the interpreter saves them at BIF calls).
Term current_stacktrace(Process& asker, Process& q);

// A list of X[0..n-1] (allocates; X[0..n-1] must be live).
Term args_list(Process& p, Term* xregs, uint32_t n);

}  // namespace exception
