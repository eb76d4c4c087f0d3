// parser: the grammar, erl_parse's positions and its error messages. The
// expected positions and messages were taken from erlc / erl_parse (OTP 25).
//
// The tests scan with a small tokenizer of their own (ASCII only), so that
// they exercise the parser alone.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/parser.h"
#include "compiler/token.h"

namespace {

using token::Kind;
using token::Token;

// Punctuation, longest first.
constexpr std::string_view kPunctuation[] = {
    "=:=", "=/=", "...", "<<", ">>", "<-", "<=", "=>", ":=", "::", "==", "/=", "=<", ">=",
    "++",  "--",  "->",  "||", "..", "??", "(",  ")",  "[",  "]",  "{",  "}",  ",",  ";",
    ":",   ".",   "|",   "=",  "<",  ">",  "+",  "-",  "*",  "/",  "!",  "?",  "#"};

Kind punctuation_kind(std::string_view text) {
    for (int k = static_cast<int>(Kind::LParen); k <= static_cast<int>(Kind::Hash); ++k) {
        if (token::spelling(static_cast<Kind>(k)) == text) return static_cast<Kind>(k);
    }
    return Kind::Eof;
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@';
}

char unescape(char c) {
    switch (c) {
        case 'n':
            return '\n';
        case 't':
            return '\t';
        case 's':
            return ' ';
        default:
            return c;
    }
}

// Scans `src` into tokens; strings live in `store`.
class MiniLexer {
  public:
    MiniLexer(std::string_view src, std::vector<std::string>& store) : src_(src), store_(store) {}

    std::vector<Token> scan() {
        std::vector<Token> out;
        while (skip_blank(), at_ < src_.size())
            out.push_back(next());
        return out;
    }

  private:
    void skip_blank() {
        while (at_ < src_.size()) {
            char c = src_[at_];
            if (c == '%') {
                while (at_ < src_.size() && src_[at_] != '\n')
                    advance();
            } else if (c == ' ' || c == '\t' || c == '\n') {
                advance();
            } else {
                return;
            }
        }
    }
    void advance() {
        if (src_[at_++] == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
    }
    std::string_view take_while(bool (*pred)(char)) {
        size_t start = at_;
        while (at_ < src_.size() && pred(src_[at_]))
            advance();
        return src_.substr(start, at_ - start);
    }
    std::string_view quoted(char quote) {
        std::string text;
        advance();
        while (at_ < src_.size() && src_[at_] != quote) {
            if (src_[at_] == '\\') advance();
            text += unescape(src_[at_]);
            advance();
        }
        advance();
        store_.push_back(text);
        return store_.back();
    }
    Token next() {
        Token tok;
        tok.pos = {line_, column_};
        char c = src_[at_];
        if (std::islower(static_cast<unsigned char>(c))) {
            tok.text = take_while(is_name_char);
            tok.kind = token::keyword(tok.text);
        } else if (std::isupper(static_cast<unsigned char>(c)) || c == '_') {
            tok.kind = Kind::Var;
            tok.text = take_while(is_name_char);
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            number(tok);
        } else if (c == '\'' || c == '"') {
            tok.kind = c == '"' ? Kind::String : Kind::Atom;
            tok.text = quoted(c);
        } else if (c == '$') {
            advance();
            char value = src_[at_];
            if (value == '\\') {
                advance();
                value = unescape(src_[at_]);
            }
            advance();
            tok.kind = Kind::Char;
            tok.int_value = static_cast<unsigned char>(value);
        } else {
            punctuation(tok);
        }
        return tok;
    }
    void number(Token& tok) {
        size_t start = at_;
        take_while([](char d) { return std::isdigit(static_cast<unsigned char>(d)) != 0; });
        tok.kind = Kind::Integer;
        if (at_ + 1 < src_.size() && src_[at_] == '.' &&
            std::isdigit(static_cast<unsigned char>(src_[at_ + 1]))) {
            advance();
            take_while([](char d) {
                return std::isdigit(static_cast<unsigned char>(d)) != 0 || d == 'e' || d == '-';
            });
            tok.kind = Kind::Float;
        }
        tok.text = src_.substr(start, at_ - start);
        std::string text(tok.text);
        if (tok.kind == Kind::Float) {
            tok.float_value = std::strtod(text.c_str(), nullptr);
        } else if (text.size() > 18) {
            tok.is_big = true;
        } else {
            tok.int_value = std::strtoll(text.c_str(), nullptr, 10);
        }
    }
    void punctuation(Token& tok) {
        for (std::string_view p : kPunctuation) {
            if (src_.substr(at_, p.size()) == p) {
                // A '.' followed by blank or the end is the form's Dot.
                tok.kind = punctuation_kind(p);
                tok.text = p;
                size_t after = at_ + p.size();
                if (p == "." && after < src_.size() && src_[after] != '%' &&
                    std::isspace(static_cast<unsigned char>(src_[after])) == 0) {
                    tok.kind = Kind::Period;  // record field access, as the real lexer
                }
                for (size_t i = 0; i < p.size(); ++i)
                    advance();
                return;
            }
        }
        tok.kind = Kind::Eof;
        advance();
    }

    std::string_view src_;
    std::vector<std::string>& store_;
    size_t at_ = 0;
    uint32_t line_ = 1;
    uint32_t column_ = 1;
};

struct Parsed {
    std::string source;  // tokens point into it
    std::vector<std::string> store;
    std::vector<Token> tokens;
    ast::Arena arena;
    diag::Reporter reporter;
    ast::Node* form = nullptr;

    explicit Parsed(std::string_view src) : source(src) {
        store.reserve(1000);  // string_views into it must stay valid
        tokens = MiniLexer(source, store).scan();
        form = parser::parse_form(tokens, "t.bl", arena, reporter);
    }
    std::string error() const {
        if (reporter.messages().empty()) return "";
        const diag::Diagnostic& d = reporter.messages().front();
        return std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message;
    }
};

// The s-expression of a whole form, or its first error.
std::string form(std::string_view src, bool positions = false) {
    Parsed p(src);
    if (!p.error().empty()) return "error " + p.error();
    return ast::to_string(p.form, positions);
}

// The first body expression of `f() -> SRC.`.
std::string expr(std::string_view src, bool positions = false) {
    Parsed p("f() -> " + std::string(src) + ".");
    if (!p.error().empty()) return "error " + p.error();
    const ast::Node* clause = p.form->kids[0];
    return ast::to_string(ast::clause_body(clause)->kids[0], positions);
}

std::string error(std::string_view src) {
    return Parsed(src).error();
}

}  // namespace

TEST_CASE("a function form with clauses and guards", "[parser]") {
    CHECK(form("f(X) when X > 0, is_integer(X); X == a -> ok; f(_) -> err.") ==
          "(Function f 1 "
          "(Clause f (Patterns (Var X)) (Guard "
          "(GuardSeq (BinaryOp > (Var X) (Integer 0)) (Call (Atom is_integer) (Var X))) "
          "(GuardSeq (BinaryOp == (Var X) (Atom a)))) (Body (Atom ok))) "
          "(Clause f (Patterns (Var _)) (Guard) (Body (Atom err))))");
}

TEST_CASE("operator precedence and associativity", "[parser]") {
    CHECK(expr("1 + 2 * 3") == "(BinaryOp + (Integer 1) (BinaryOp * (Integer 2) (Integer 3)))");
    CHECK(expr("1 - 2 - 3") == "(BinaryOp - (BinaryOp - (Integer 1) (Integer 2)) (Integer 3))");
    CHECK(expr("A ++ B ++ C") == "(BinaryOp ++ (Var A) (BinaryOp ++ (Var B) (Var C)))");
    CHECK(expr("A = B = C") == "(Match (Var A) (Match (Var B) (Var C)))");
    CHECK(expr("A ! B ! C") == "(BinaryOp ! (Var A) (BinaryOp ! (Var B) (Var C)))");
    CHECK(expr("A orelse B andalso C") ==
          "(BinaryOp orelse (Var A) (BinaryOp andalso (Var B) (Var C)))");
    CHECK(expr("A or B and C") == "(BinaryOp or (Var A) (BinaryOp and (Var B) (Var C)))");
    CHECK(expr("A == B + 1") == "(BinaryOp == (Var A) (BinaryOp + (Var B) (Integer 1)))");
    CHECK(expr("- - X") == "(UnaryOp - (UnaryOp - (Var X)))");
    CHECK(expr("not A band B") == "(BinaryOp band (UnaryOp not (Var A)) (Var B))");
    CHECK(expr("catch A = B") == "(Catch (Match (Var A) (Var B)))");
    CHECK(expr("A = catch B") == "error 1:12: syntax error before: 'catch'");
    CHECK(expr("1 < 2 < 3") == "error 1:14: syntax error before: '<'");
    CHECK(expr("-X#r.a") == "(UnaryOp - (RecordAccess r a (Var X) (Atom a)))");
    CHECK(expr("- #{a => 1}") == "(UnaryOp - (Map (MapField => (Atom a) (Integer 1))))");
}

TEST_CASE("calls and remote calls", "[parser]") {
    CHECK(expr("f(1, X)") == "(Call (Atom f) (Integer 1) (Var X))");
    CHECK(expr("m:f()") == "(Call (Remote (Atom m) (Atom f)))");
    CHECK(expr("M:F(X)") == "(Call (Remote (Var M) (Var F)) (Var X))");
    CHECK(expr("(F)(X)") == "(Call (Var F) (Var X))");
    CHECK(expr("(fun g/1)(X)") == "(Call (FunRef g 1) (Var X))");
    CHECK(expr("X(1)(2)") == "error 1:12: syntax error before: '('");
    CHECK(expr("X:g:h()") == "error 1:11: syntax error before: ':'");
}

TEST_CASE("syntax errors name the token as erl_parse does", "[parser]") {
    CHECK(error("f(X) -> 1 + .") == "1:13: syntax error before: '.'");
    CHECK(error("f(X) -> 1 + foo bar.") == "1:17: syntax error before: bar");
    CHECK(error("f(X) -> 1 'Foo'.") == "1:11: syntax error before: 'Foo'");
    CHECK(error("f(X) -> 1 \"a\\nb\".") == "1:11: syntax error before: \"a\\nb\"");
    CHECK(error("f(X) -> 1 $a.") == "1:11: syntax error before: $a");
    CHECK(error("f(X) -> 1 $\\s.") == "1:11: syntax error before: $\\s");
    CHECK(error("f(X) -> 1 0.1.") == "1:11: syntax error before: 0.1");
    CHECK(error("f(X) -> 1 Y.") == "1:11: syntax error before: Y");
    CHECK(error("f(X) -> 1 + case") == "1:13: syntax error before: ");
    CHECK(error("f(X) -> case X of 1 -> 2 end end.") == "1:30: syntax error before: 'end'");
}
