// fun_names: the names Erlang/OTP gives the functions that a top-level
// function's funs and comprehensions become, so that stack traces and
// erlang:fun_info(F, name) read as OTP's do.
//
// OTP numbers them with two counters per top-level function. v3_core's
// counts funs, `fun f/N` references and comprehension generators in the
// order it translates expressions, which is not source order: a fun is
// numbered after the funs inside it; a call's arguments, an operator's
// operands, a tuple's elements and a list's cells right to left; a
// comprehension's generator and filter expressions first, then one
// number for each generator, then the template; a receive's timeout and
// after-body before its clauses. v3_kernel's counts the letrecs it lifts
// (each generator, each named fun) in that same order. The names:
//
//   fun () -> ... end              -F/A-fun-Core-
//   fun Name(...) -> ... end       -F/A-Name/Arity-Kernel-
//   [... || P <- L]  (a generator) -F/A-lc$^Core/1-Kernel-
//   << ... || P <- L >>            -F/A-lbc$^Core/2-Kernel-
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "compiler/ast.h"

namespace fun_names {

struct Number {
    std::string top;      // the top-level function, "name/arity"
    uint32_t core = 0;    // v3_core's counter
    uint32_t kernel = 0;  // v3_kernel's (named funs and generators)
    bool binary = false;  // a generator of a binary comprehension
};

// Record fields in declaration order, with their defaults (null: none),
// or false when the record is not declared.
using RecordFields =
    std::function<bool(std::string_view name, std::vector<const ast::Node*>& defaults,
                       std::vector<std::string_view>& fields)>;

// Numbers the Fun, FunRef and generator (Generate, BinGenerate inside a
// comprehension) nodes of top-level function `function` into `out`.
void number(const ast::Node* function, const RecordFields& records,
            std::unordered_map<const ast::Node*, Number>& out);

// The name of a numbered fun (`fun_node` a Fun) or generator.
std::string fun_name(const ast::Node* fun_node, const Number& number, uint32_t arity);
std::string generator_name(const Number& number);

}  // namespace fun_names
