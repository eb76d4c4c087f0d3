// loader: turns a generic bytecode::Module (what the compiler emits) into
// loaded threaded code (what the interpreter runs) and installs it in the
// module table.
//
// Loading interns the module's atoms, builds its literals in the literal
// area (never copied by the GC), resolves imports to export entries (or
// BIFs), lambdas to fun entries and labels to code addresses, rewrites each
// opcode into its handler's word (interp::handler), drops `label` and
// `line` (keeping the line table for stack traces) and specialises common
// shapes into the instructions of interp_ops.def:
//
//   move X, X                    -> move_xx (no operand decoding)
//   call_ext of a BIF            -> call_bif / call_bif_last / call_bif_only
//   gc_bif2 erlang:'+'/'-'/'*'   -> add / sub / mul (small-integer fast path),
//     with a small constant      -> add_int / sub_int
//   is_lt / is_ge of a register  -> is_lt_int / is_ge_int (and _rev)
//     and a small constant
//   allocate, then moves writing -> allocate_noinit (no nil stores)
//     every Y slot
//   get_list, is_nil,            -> get_list_xx, is_nil_x, is_nonempty_list_x,
//     is_nonempty_list,             is_tagged_tuple_x (a header compare),
//     is_tagged_tuple,              select_val_x, select_tuple_arity_x
//     select_val (immediates),      (operands in X registers)
//     select_tuple_arity
//
// Every specialisation keeps its generic instruction's size, so its slow
// path can jump into the generic handler with the same operands.
#pragma once

#include <string>

#include "bytecode/bytecode.h"
#include "vm/atom.h"
#include "vm/code.h"

namespace loader {

// Loads and installs `module`. Returns null with a message in `error` when
// the module is malformed (unknown opcode or label, a BIF that does not
// exist, the literal area full) or already loaded.
// `owner`: whose atoms the module's are (atom::intern; kLibrary for the
// library image's modules).
code::Module* load(const bytecode::Module& module, std::string& error,
                   atom::Owner owner = atom::Owner::kProgram);
// The same, taking the generic module over (no copy).
code::Module* load(bytecode::Module&& module, std::string& error,
                   atom::Owner owner = atom::Owner::kProgram);

// The operand letters of a generic opcode (as opcodes.def lists them).
std::string_view operand_letters(bytecode::Opcode op);

}  // namespace loader
