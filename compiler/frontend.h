// frontend: the pipeline from a source file to a checked AST:
// preprocess -> scan -> parse each form -> lint.
#pragma once

#include <functional>
#include <string>

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
bool check_file(const std::string& path, const preproc::Options& options, diag::Reporter& reporter,
                ast::Module* out = nullptr);

// Runs `work` on a stack deep enough for any pass over a form within the
// front end's nesting bound (the code generator recurses as the checks do).
void on_large_stack(const std::function<void()>& work);

}  // namespace frontend
