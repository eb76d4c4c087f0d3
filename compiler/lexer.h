// lexer: Erlang source text to tokens (the re2c scanner in lexer.re).
//
// Scans a whole file at once. Positions count lines from 1 and columns from 1
// in characters, a tab being one column (erl_scan's rule). Scan errors are
// reported to the Reporter in erl_scan's wording ("illegal character",
// "unterminated string starting with ...") and scanning resumes the way
// erl_scan does, so one bad token does not hide later errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/token.h"

namespace lexer {

// Scans `source` (the contents of `file`). Decoded strings are stored in
// `strings`. The result always ends with one Eof token. A token whose scan
// failed is left out; `source` must outlive the tokens.
std::vector<token::Token> scan(std::string_view source, const std::string& file,
                               ast::Arena& strings, diag::Reporter& reporter);

}  // namespace lexer
