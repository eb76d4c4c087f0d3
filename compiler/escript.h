// escript: what OTP 25's escript does to a script's forms before compiling
// them (escript.erl's parse_source, epp_parse_file and check_source), so
// that a script compiles as `escript` compiles it:
//
// - a script whose first form is not -module(M) gets escript's implicit
//   module name (preproc::Options::escript_module) in a -module at line 1;
// - main/1 is exported at line 0 when no -export lists it, so a script
//   without main/1 fails with `file:0: function main/1 undefined`;
// - -mode(compile | interpret | debug) are kept as plain attributes,
//   -mode(native) is dropped, any other mode is an error.
//
// The `#!` line and the ?MODULE predefinition are the preprocessor's.
#pragma once

#include <string_view>

#include "compiler/ast.h"
#include "compiler/diag.h"

namespace escript {

// The mode a script asked for with -mode(...) (escript's default:
// interpret). beamlite compiles every script; the mode decides only how
// compile diagnostics are printed (frontend's check_escript quotes lines
// or not, cli's compile_file picks stdout or stderr).
enum class Mode : uint8_t { Interpret, Compile, Debug };

// Rewrites a parsed script's forms as escript does (see above) and sets
// module.escript. Errors (an illegal mode) go to `reporter`. Returns the
// script's mode.
Mode adapt(ast::Module& module, std::string_view implicit_name, diag::Reporter& reporter);

}  // namespace escript
