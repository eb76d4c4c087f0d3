// codegen: checked AST to bytecode (bytecode/bytecode.h), BEAM style.
//
// The pipeline inside (see codegen_internal.h for the shared structures):
//   lowering      records -> tuples, comprehensions -> local helper
//                 functions, funs -> lambdas (one local function each)
//   scan          per clause: variable live ranges in evaluation order and
//                 the points where X registers are lost (calls, receive,
//                 exception handlers), so that a variable live across one
//                 gets a Y slot (codegen_scan.cpp)
//   match         clauses -> test-and-branch trees with select_val /
//                 select_tuple_arity jump tables (codegen_match.cpp)
//   expressions   operands, calls, guards, joins, tail calls
//                 (codegen_expr.cpp, codegen_control.cpp)
//
// Errors the front end cannot see (internal limits such as running out of
// X registers) are
// reported through the reporter; the module is still produced.
#pragma once

#include "bytecode/bytecode.h"
#include "compiler/ast.h"
#include "compiler/diag.h"

namespace codegen {

// Compiles a module that frontend::check_file accepted.
bytecode::Module compile(const ast::Module& module, diag::Reporter& reporter);

}  // namespace codegen
