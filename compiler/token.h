// token: the tokens of Erlang source, as the lexer produces them and the
// preprocessor and parser consume them.
//
// The token kinds are defined once, in BEAMLITE_TOKENS below; the enum, the
// spelling table used in diagnostics ("syntax error before: '->'") and the
// keyword lookup all expand it. A token owns no memory: its text points into
// the source buffer or into the lexer's string arena, which outlive the AST.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace token {

// X(Name, spelling). Literal kinds have an empty spelling; keyword and
// punctuation kinds are spelled as in the source.
#define BEAMLITE_TOKENS(X)                    \
    /* literals and names */                  \
    X(Atom, "")                               \
    X(Var, "")                                \
    X(Integer, "")                            \
    X(Float, "")                              \
    X(Char, "")                               \
    X(String, "")                             \
    X(Eof, "")                                \
    /* reserved words */                      \
    X(KwAfter, "after")                       \
    X(KwAnd, "and")                           \
    X(KwAndalso, "andalso")                   \
    X(KwBand, "band")                         \
    X(KwBegin, "begin")                       \
    X(KwBnot, "bnot")                         \
    X(KwBor, "bor")                           \
    X(KwBsl, "bsl")                           \
    X(KwBsr, "bsr")                           \
    X(KwBxor, "bxor")                         \
    X(KwCase, "case")                         \
    X(KwCatch, "catch")                       \
    X(KwCond, "cond")                         \
    X(KwDiv, "div")                           \
    X(KwEnd, "end")                           \
    X(KwFun, "fun")                           \
    X(KwIf, "if")                             \
    X(KwLet, "let")                           \
    X(KwNot, "not")                           \
    X(KwOf, "of")                             \
    X(KwOr, "or")                             \
    X(KwOrelse, "orelse")                     \
    X(KwReceive, "receive")                   \
    X(KwRem, "rem")                           \
    X(KwTry, "try")                           \
    X(KwWhen, "when")                         \
    X(KwXor, "xor")                           \
    /* punctuation */                         \
    X(LParen, "(")                            \
    X(RParen, ")")                            \
    X(LBracket, "[")                          \
    X(RBracket, "]")                          \
    X(LBrace, "{")                            \
    X(RBrace, "}")                            \
    X(Comma, ",")                             \
    X(Semicolon, ";")                         \
    X(Colon, ":")                             \
    X(ColonColon, "::")                       \
    X(Dot, ".") /* end of a form */           \
    X(DotDot, "..")                           \
    X(DotDotDot, "...")                       \
    X(Pipe, "|")                              \
    X(PipePipe, "||")                         \
    X(Arrow, "->")                            \
    X(FatArrow, "=>")                         \
    X(ColonEq, ":=")                          \
    X(LtLt, "<<")                             \
    X(GtGt, ">>")                             \
    X(LArrow, "<-")                           \
    X(LArrowEq, "<=")                         \
    X(Eq, "=")                                \
    X(EqEq, "==")                             \
    X(SlashEq, "/=")                          \
    X(EqLt, "=<")                             \
    X(Lt, "<")                                \
    X(GtEq, ">=")                             \
    X(Gt, ">")                                \
    X(EqColonEq, "=:=")                       \
    X(EqSlashEq, "=/=")                       \
    X(Plus, "+")                              \
    X(Minus, "-")                             \
    X(Star, "*")                              \
    X(Slash, "/")                             \
    X(PlusPlus, "++")                         \
    X(MinusMinus, "--")                       \
    X(Bang, "!")                              \
    X(Question, "?")                          \
    X(QuestionQuestion, "??")                 \
    X(Hash, "#")                              \
    /* added by the lexer */                  \
    X(Period, ".") /* not a form end: #r.f */ \
    X(QuestionEq, "?=")                       \
    X(Other, "") /* lone char: text */

enum class Kind : uint8_t {
#define BEAMLITE_TOKEN_ENUM(name, spelling) name,
    BEAMLITE_TOKENS(BEAMLITE_TOKEN_ENUM)
#undef BEAMLITE_TOKEN_ENUM
};

// Source position: 1-based line and column. Columns count characters
// (Unicode code points), and a tab counts as one column, as erl_scan does.
struct Pos {
    uint32_t line = 0;
    uint32_t column = 0;
};

// Notes on the kinds, as erl_scan produces them:
// - Dot is erl_scan's `dot`: a '.' followed by white space, '%' or the end of
//   the file. Any other '.' is Period (record field access: #r.f, X#r.f).
// - The lexer never produces QuestionQuestion: erl_scan has no '??' token,
//   `??Arg` is two Question tokens, and the preprocessor consumes them.
// - Other is a character erl_scan passes on as a token of its own though no
//   grammar rule uses it: @ \ ^ ` ~ & DEL and Latin-1 symbols (the range
//   U+00A1-U+00BF, U+00D7, U+00F7). `text` is the character (UTF-8).
//
// One token. `text` is the exact source spelling for names and numbers and
// for punctuation. For Atom, String and Char it is the *decoded* value (escapes
// resolved), UTF-8 encoded; code points are kept even where UTF-8 would
// forbid them (surrogates), so any Erlang character survives. For Integer,
// `text` is the normalized digit string in base 10 when the value does not fit
// `int_value` (`is_big` is set), else int_value holds it. For Float,
// float_value holds the value. For Char, int_value is the code point.
struct Token {
    Kind kind = Kind::Eof;
    Pos pos;
    std::string_view text;
    int64_t int_value = 0;
    double float_value = 0.0;
    bool is_big = false;
};

// The spelling of a keyword or punctuation kind, or a name for a literal
// kind ("atom", "var", ...).
std::string_view spelling(Kind kind);

// The reserved word spelled `word`, if any; Kind::Atom otherwise.
Kind keyword(std::string_view word);

// How erl_parse names a token in "syntax error before: X": punctuation and
// keywords quoted ('->'), atoms written as atoms, strings as strings, numbers
// as written, variables bare.
std::string describe(const Token& tok);

}  // namespace token
