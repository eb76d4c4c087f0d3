// format: Erlang's text formatting, as Erlang/OTP 25 does it: io_lib:format/2
// (and so io:format/1,2, which formats with io_lib and writes the result),
// io_lib:write/2 (~w, ~W) and io_lib_pretty:print (~p, ~P).
//
// This file owns the control-sequence language (~p ~P ~w ~W ~s ~a ~c ~b ~B
// ~x ~X ~# ~+ ~e ~f ~g ~i ~n ~~ with field width, precision, pad character
// and the t and l modifiers), the number formats, and the pretty printer's
// line breaking. Output is always UTF-8: Erlang's result is a list of code
// points, and each code point is appended in UTF-8 (a Latin-1 device, such
// as a -noshell stdout, is the caller's business).
//
// Nothing here recurses on the C stack per level of term nesting: terms are
// walked with explicit stacks, so a list nested a million deep prints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vm/term.h"

namespace format {

using term::Term;

enum class Status {
    kOk,
    // io_lib:format raises badarg: a bad control sequence, too few or too
    // many arguments, or an argument of the wrong type. `out` is unchanged.
    kBadArg,
};

// io_lib:format(Format, Args), appended to `out`. `format_string` is what
// Erlang accepts: a flat list of character codes, a binary (each byte is a
// Latin-1 character) or an atom. `args` must be a proper list.
//
// `column` is where the output starts on its line (0 = the first column).
// io_lib:format always starts at 0, and so does io:format: the io server
// formats each request with io_lib:format, without knowing where the
// cursor is. ~p indents its continuation lines from the column where the
// term starts, counted over the output of this call (tabs to multiples of 8).
Status format(std::string& out, Term format_string, Term args, int64_t column = 0);

// The same with the control string given as UTF-8 text (for the VM's own
// messages and for tests).
Status format(std::string& out, std::string_view control, Term args, int64_t column = 0);

// io_lib:write(Term, [{depth, Depth}, {encoding, ...}]): ~w and ~W. A
// negative depth means no limit; depth 0 prints "...".
void write(std::string& out, Term t, int64_t depth = -1, bool unicode = false);

// io_lib_pretty:print/2 with these options: ~p and ~P.
struct PrettyOptions {
    int64_t column = 1;        // 1-based column where the term starts
    int64_t line_length = 80;  // 0: everything on one line
    int64_t depth = -1;        // negative: no limit
    bool unicode = false;      // ~tp: atoms and binaries as Unicode
    bool strings = true;       // false for ~lp: lists of codes never print as strings
};
void print(std::string& out, Term t, const PrettyOptions& options);

}  // namespace format
