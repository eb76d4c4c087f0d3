// parser: one form's tokens to an AST node (the Bison grammar in parser.y).
//
// The grammar is Erlang/OTP 25's (erl_parse.yrl): attributes, functions,
// every expression, patterns and guards (as expressions, checked later by
// lint), records, maps, bit syntax, comprehensions, types and specs (parsed,
// then dropped). A syntax error is reported as erl_parse reports it
// ("syntax error before: '->'") and yields an Error node.
#pragma once

#include <span>
#include <string>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/token.h"

namespace parser {

// Parses one form: `tokens` runs up to and including the form's Dot.
ast::Node* parse_form(std::span<const token::Token> tokens, const std::string& file,
                      ast::Arena& arena, diag::Reporter& reporter);

}  // namespace parser
