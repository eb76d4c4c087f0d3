// interp: the interpreter loop, running loaded (threaded) code for one
// process at a time, for a bounded number of reductions.
//
// Loaded code is a sequence of words: each instruction is its handler's
// address (GCC's `&&label`; in sanitizer builds, BEAMLITE_SANITIZED, the
// opcode number for a `switch`) followed by its resolved operands (see
// bytecode.h, "Loaded code"). Calls never recurse on the C stack: a call
// saves the continuation pointer (CP) and jumps; `allocate` pushes CP into
// a frame on the process stack; `return` jumps to CP.
//
// Hot state lives in locals of run(): instruction pointer, X register base,
// stack pointer (E) and the reduction count. They are written back to the
// process before anything that may collect or raise, and reloaded after.
//
// Reductions: one per call (local, remote, fun, apply), per BIF call and
// per return. When they run out at a call or return, run() saves the state
// (ip, CP, live X registers) in the PCB and returns Status::Runnable; the
// next run() resumes exactly there.
#pragma once

#include <cstdint>

#include "bytecode/bytecode.h"
#include "vm/code.h"
#include "vm/process.h"

namespace interp {

using process::Process;
using process::Status;
using term::Term;
using Word = uintptr_t;

constexpr int kSliceReductions = 4000;
// What a send costs beyond its call, plus one reduction per this many
// words copied into the message (a big message takes a big bite of the
// slice; the reductions left may go negative: the process is switched out
// at its next call or return).
constexpr int kSendReductions = 1;
// Largest message (words) a receive copies onto the heap as it looks at it
// (a flat tuple; see loop_rec).
constexpr size_t kCopyOnReceiveWords = 8;
constexpr size_t kCopyWordsPerReduction = 16;

// Every instruction of loaded code: the generic opcodes, then the loader's
// own (interp_ops.def).
enum Op : uint16_t {
#define OPCODE(name, operands, doc) op_##name,
#include "bytecode/opcodes.def"
#undef OPCODE
#define INTERNAL(name, operands, doc) op_##name,
#include "vm/interp_ops.def"
#undef INTERNAL
    kOpCount
};

inline Op op_of(bytecode::Opcode generic) {
    return Op(uint16_t(generic));
}

// The word a loaded instruction starts with for `op`.
Word handler(Op op);
// The Op of a loaded instruction's first word (for disassembly and tests).
Op op_at(Word handler_word);
const char* op_name(Op op);

// Code of the process's first continuation: reaching it means the first
// call returned (Status::Done, result in p.result).
const Word* normal_exit_address();
// Code a process goes on at after a dirty BIF call (dirty.h).
const Word* dirty_return_address();
// Calls `p`'s pending dirty BIF (rare->dirty_call) with its saved
// registers, on a dirty pool thread, and saves the outcome for
// dirty_return: the result as X[0], or the failure with the arguments.
void run_dirty(Process& p);
// Code of erlang:apply/2 and apply/3 (their export entries point here).
const Word* apply2_address();
const Word* apply3_address();
// Code of erlang:hibernate/3 (its export entry points here).
const Word* hibernate3_address();

// Sets up `p` to call `entry` with `args` when run() is next called.
void prepare_call(Process& p, const code::Export* entry, const Term* args, uint32_t arity);

// Runs `p` for at most `reductions`; returns its status afterwards:
// Runnable (out of reductions: call run() again), Done, Failed (uncaught
// exception in p.rare), Halted or Killed (max_heap_size).
Status run(Process& p, int reductions = kSliceReductions);

}  // namespace interp
