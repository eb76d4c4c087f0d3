// frontend: the pipeline from a source file to a checked AST:
// preprocess -> scan -> parse each form -> lint.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/preproc.h"

namespace frontend {

// Reads, preprocesses and parses `path` into a module (forms that failed are
// Error nodes, already reported).
ast::Module parse_file(const std::string& path, const preproc::Options& options,
                       diag::Reporter& reporter);

// parse_file, then the semantic checks. True when no error was reported.
// With options.escript_module set, `path` is an escript: its forms are
// rewritten as escript's (compiler/escript.h) before the checks.
// With `transforms` given, a module that asks for parse transforms
// (compiler/abstract.h) is only parsed: `transforms` gets their names and
// the checks wait for the transformed forms (check_forms).
bool check_file(const std::string& path, const preproc::Options& options, diag::Reporter& reporter,
                ast::Module* out = nullptr, std::vector<std::string>* transforms = nullptr);

// The semantic checks of a module made from forms (what parse transforms
// returned, read by abstract::from_text). True when no error was reported.
bool check_forms(ast::Module& module, const preproc::Options& options, diag::Reporter& reporter);

// Runs `work` on a stack deep enough for any pass over a form within the
// front end's nesting bound (the code generator recurses as the checks do).
void on_large_stack(const std::function<void()>& work);

}  // namespace frontend
