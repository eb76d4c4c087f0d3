// diag: compile diagnostics, collected per module and printed the way erlc
// prints them.
//
// erlc (compile.erl, OTP 25) prints a file's errors before its warnings. In
// each list, the messages of the scanner, preprocessor and parser come first,
// sorted by position, then everything else (the linter), sorted by position.
// Each message is followed by the source line it points at and a caret:
//
//   x.erl:4:6: variable 'Y' is unbound
//   %    4| 	X = Y + 1,
//   %     | 	    ^
//   <blank line>
//
// The caret line copies the tabs of the source line so that it lines up.
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/token.h"

namespace diag {

// The position of a form the compiler made up at line 0 (escript's export
// of main/1): messages there print as `file:0: ...`, with no quoted line.
// Pos{0, 0} is a message about the whole file (`file: ...`).
inline constexpr token::Pos kLineZero{0, UINT32_MAX};

enum class Severity : uint8_t { Error, Warning };

// Which group a message sorts in: erlc prints Syntax before Lint.
enum class Phase : uint8_t { Syntax, Lint };

struct Diagnostic {
    std::string file;
    token::Pos pos;
    Severity severity;
    Phase phase;
    std::string message;
    uint32_t sequence;  // report order: the tie-breaker
};

class Reporter {
  public:
    // The text of a file, so that messages can quote its lines. The
    // preprocessor registers every file it reads (main file and includes).
    void add_source(const std::string& file, std::string text);

    void error(const std::string& file, token::Pos pos, Phase phase, std::string message);
    void warning(const std::string& file, token::Pos pos, Phase phase, std::string message);

    bool has_errors() const { return errors_ > 0; }
    size_t size() const { return messages_.size(); }
    const std::vector<Diagnostic>& messages() const { return messages_; }

    // Prints every message in erlc's order and format; then forgets them.
    void print(std::FILE* out);

    // Whether print quotes the source line under each message (erlc does;
    // escript does not for parse errors nor in its interpret mode).
    void set_quote_lines(bool quote) { quote_lines_ = quote; }
    bool quotes_lines() const { return quote_lines_; }

  private:
    void print_one(std::FILE* out, const Diagnostic& d) const;
    std::optional<std::string_view> source_line(const std::string& file, uint32_t line) const;

    std::vector<Diagnostic> messages_;
    // A registered file: its text and where each line starts (line N, from
    // 1, starts at line_starts[N - 1]), so quoting a line costs O(1).
    // line_starts is built on the first quote from the file: most checks
    // print nothing, and then no file's lines are ever indexed.
    struct Source {
        std::string text;
        mutable std::vector<size_t> line_starts;
    };
    std::map<std::string, Source> sources_;
    uint32_t errors_ = 0;
    uint32_t sequence_ = 0;
    bool quote_lines_ = true;
};

}  // namespace diag
