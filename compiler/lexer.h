// lexer: Erlang source text to tokens (the re2c scanner in lexer.re).
//
// Scans a file form by form (FileScanner). Positions count lines from 1 and columns from 1
// in characters, a tab being one column (erl_scan's rule). Scan errors are
// reported in erl_scan's wording ("illegal character", "unterminated string
// starting with ...") and scanning resumes the way epp drives erl_scan: the
// tokens of the form being scanned are dropped, and the text after the error
// is scanned as the start of a new form. So one bad token does not hide later
// errors, and the remainder of its form usually yields a syntax error, as
// with erlc.
//
// Source encoding: UTF-8 unless a `coding: latin-1` comment on line 1 or 2
// says otherwise (epp's rule; lines 2 or 3 in an escript). Latin-1 text is converted to UTF-8
// first, so every token text and every registered source line is UTF-8. Invalid UTF-8 ends the scan
// where the io server would fail ("cannot translate from UTF-8", "cannot parse file, giving up").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/token.h"

namespace lexer {

enum class ErrorKind : uint8_t {
    Token,           // an erl_scan error; epp ignores it inside a skipped -ifdef
    InvalidUnicode,  // "cannot translate from UTF-8": reported even when skipping
    GiveUp,          // "cannot parse file, giving up": ends the file
};

// One scan error. It sits between tokens: `before_token` is the index of the
// first token scanned after it (the tokens of the broken form are gone).
struct ScanError {
    token::Pos pos;
    std::string message;
    size_t before_token = 0;
    ErrorKind kind = ErrorKind::Token;
};

struct ScanResult {
    std::vector<token::Token> tokens;  // always ends with one Eof
    std::vector<ScanError> errors;     // in source order
    std::string_view text;             // the UTF-8 text scanned (in the arena)
    bool latin1 = false;               // a coding comment chose latin-1
};

// Scans a file one form at a time, so that only one form's tokens exist at
// once however long the file. The constructor detects the encoding and
// copies (and if need be converts) the text into `arena`.
class FileScanner {
  public:
    // `escript`: the text is an escript's, whose `coding:` comment may be on
    // line 2 or 3 (escript's rule) instead of 1 or 2.
    FileScanner(std::string_view source, ast::Arena& arena, bool escript = false);
    ~FileScanner();
    FileScanner(FileScanner&&) noexcept;
    FileScanner& operator=(FileScanner&&) noexcept;

    std::string_view text() const;  // the UTF-8 text scanned (in the arena)
    bool latin1() const;            // a coding comment chose latin-1

    // Replaces tokens() and errors() with those of the next form: tokens up
    // to and including its Dot, or up to and including the Eof that ends the
    // text; errors with `before_token` relative to tokens(). Returns false
    // once the Eof has been delivered (tokens() and errors() are then empty).
    bool next_form();
    const std::vector<token::Token>& tokens() const;
    const std::vector<ScanError>& errors() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// Scans raw file contents in one go (all forms, errors renumbered), for
// tests and tools. Tokens and `text` live in `arena`.
ScanResult scan_file(std::string_view source, ast::Arena& arena);

// Scans `source` (the contents of `file`). Decoded strings are stored in
// `strings`. The result always ends with one Eof token. A token whose scan
// failed is left out; errors are reported to `reporter`.
std::vector<token::Token> scan(std::string_view source, const std::string& file,
                               ast::Arena& strings, diag::Reporter& reporter);

// epp's coding detection: true when a `coding: latin-1` comment appears on
// one of the first two lines.
bool declares_latin1(std::string_view source);

// Quoting as io_lib does, for messages and for ??Arg: write_atom quotes an
// atom when it needs quotes; write_string writes "..." with escapes (only the
// Latin-1 range printable, as in io_lib's default printable range).
std::string write_atom(std::string_view name);
std::string write_string(std::string_view text, char quote = '"');
std::string write_char(uint32_t code_point);

}  // namespace lexer
