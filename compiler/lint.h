// lint: the semantic checks erl_lint makes, with its wording.
//
// Errors: unbound and unsafe variables, undefined and duplicate functions,
// exported functions not defined, illegal guards and patterns, undefined
// records and fields, and the rest of erl_lint's errors. Warnings: unused
// variables, functions, records and imports, shadowed variables, ... Each
// is reported at the position erl_lint uses.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "compiler/ast.h"
#include "compiler/behaviour.h"
#include "compiler/diag.h"

namespace lint {

// How the checker learns a behaviour's callbacks (nullopt: no such
// behaviour). See behaviour::find.
using BehaviourLookup = std::function<std::optional<behaviour::Callbacks>(std::string_view)>;

// Checks a parsed module (Error forms were already reported and are
// skipped, as erl_lint skips them).
void check(const ast::Module& module, diag::Reporter& reporter,
           const BehaviourLookup& behaviours = {});

}  // namespace lint
