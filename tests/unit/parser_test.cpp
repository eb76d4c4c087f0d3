// parser: the grammar, erl_parse's positions and its error messages. The
// expected positions and messages were taken from erlc / erl_parse (OTP 25).
//
// The tests scan with a small tokenizer of their own (ASCII only), so that
// they exercise the parser alone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
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
    CHECK(expr("A = catch B") == "(Match (Var A) (Catch (Var B)))");
    CHECK(expr("1 + catch 2 + 3") ==
          "(BinaryOp + (Integer 1) (Catch (BinaryOp + (Integer 2) (Integer 3))))");
    CHECK(expr("- catch 1") == "(UnaryOp - (Catch (Integer 1)))");
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

TEST_CASE("positions follow erl_parse (OTP 25)", "[parser]") {
    // Columns from erl_parse's own annotations of the same text.
    Parsed p(
        "f(X) -> (X) = Y = M:g(X#r.a, #r.b, X#{a => 1}, #{b := 2}), [1,2|X], A ! B, "
        "{X, <<X:8/integer-little, 1>>}.");
    const ast::Node* body = ast::clause_body(p.form->kids[0]);
    CHECK(ast::to_string(body->kids[0], true) ==
          "(Match@1:10 (Var@1:10 X) (Match@1:15 (Var@1:15 Y) (Call@1:19 (Remote@1:20 "
          "(Var@1:19 M) (Atom@1:21 g)) (RecordAccess@1:24 r a (Var@1:23 X) (Atom@1:27 a)) "
          "(RecordIndex@1:30 r b (Atom@1:33 b)) (MapUpdate@1:37 (Var@1:36 X) "
          "(MapField@1:41 => (Atom@1:39 a) (Integer@1:44 1))) (Map@1:48 (MapField@1:52 := "
          "(Atom@1:50 b) (Integer@1:55 2))))))");
    CHECK(ast::to_string(body->kids[1], true) ==
          "(Cons@1:60 (Integer@1:61 1) (Cons@1:63 (Integer@1:63 2) (Var@1:65 X)))");
    CHECK(ast::to_string(body->kids[2], true) == "(BinaryOp@1:71 ! (Var@1:69 A) (Var@1:73 B))");
    CHECK(ast::to_string(body->kids[3], true) ==
          "(Tuple@1:76 (Var@1:77 X) (Binary@1:80 (BinElement@1:82 (Var@1:82 X) (Integer@1:84 8) "
          "(BinType@1:86 integer) (BinType@1:94 little)) (BinElement@1:102 (Integer@1:102 1) "
          "null)))");
}

TEST_CASE("clause positions: function, fun, case, if, catch", "[parser]") {
    CHECK(expr("fun(Y) -> 1 end", true) ==
          "(Fun@1:8 (Clause@1:11 (Patterns@1:11 (Var@1:12 Y)) (Guard@1:11) (Body@1:15 "
          "(Integer@1:18 1))))");
    CHECK(expr("fun F(Y) -> 1 end", true) ==
          "(Fun@1:8 F (Clause@1:12 F (Patterns@1:13 (Var@1:14 Y)) (Guard@1:12) (Body@1:17 "
          "(Integer@1:20 1))))");
    CHECK(expr("case X of {A} when A -> A end", true) ==
          "(Case@1:8 (Var@1:13 X) (Clause@1:18 (Patterns@1:18 (Tuple@1:18 (Var@1:19 A))) "
          "(Guard@1:22 (GuardSeq@1:27 (Var@1:27 A))) (Body@1:29 (Var@1:32 A))))");
    CHECK(expr("if A -> 1 end", true) ==
          "(If@1:8 (Clause@1:11 (Patterns@1:11) (Guard@1:11 (GuardSeq@1:11 (Var@1:11 A))) "
          "(Body@1:13 (Integer@1:16 1))))");
    CHECK(expr("try X catch E:R:S -> 1; R -> 2 end", true) ==
          "(Try@1:8 (Body@1:8 (Var@1:12 X)) (OfClauses@1:8) (CatchClauses@1:14 (Clause@1:20 "
          "(Patterns@1:20 (Var@1:20 E) (Var@1:22 R) (Var@1:24 S)) (Guard@1:20) (Body@1:26 "
          "(Integer@1:29 1))) (Clause@1:32 (Patterns@1:32 null (Var@1:32 R) null) (Guard@1:32) "
          "(Body@1:34 (Integer@1:37 2)))) null)");
}

TEST_CASE("records", "[parser]") {
    CHECK(expr("#r{a = 1, _ = 2}") ==
          "(Record r (RecordField a (Integer 1)) (RecordField _ (Integer 2)))");
    CHECK(expr("X#r{a = 2}") == "(RecordUpdate r (Var X) (RecordField a (Integer 2)))");
    CHECK(expr("X#r.a#s.b") == "(RecordAccess s b (RecordAccess r a (Var X) (Atom a)) (Atom b))");
    CHECK(expr("#r{}#r.a") == "(RecordAccess r a (Record r) (Atom a))");
    CHECK(expr("#r.a") == "(RecordIndex r a (Atom a))");
    CHECK(expr("X#{a => 1}#r.a") == "error 1:19: syntax error before: r");
    CHECK(expr("X#r.a#{a => 1}") == "error 1:14: syntax error before: '{'");
    CHECK(form("f(#r{a = X}, #r.a) -> X.") ==
          "(Function f 2 (Clause f (Patterns (Record r (RecordField a (Var X))) "
          "(RecordIndex r a (Atom a))) (Guard) (Body (Var X))))");
    CHECK(error("f(X#r.a) -> 1.") == "1:4: syntax error before: '#'");
    CHECK(error("f(X#{a := 1}) -> 1.") == "1:4: syntax error before: '#'");
    CHECK(error("f(X) -> try X catch Y#{a := 1} -> 1 end.") == "1:22: syntax error before: '#'");
}

TEST_CASE("maps", "[parser]") {
    CHECK(expr("#{a => 1, b := 2}") ==
          "(Map (MapField => (Atom a) (Integer 1)) (MapField := (Atom b) (Integer 2)))");
    CHECK(expr("M#{a := 1}#{b => 2}") ==
          "(MapUpdate (MapUpdate (Var M) (MapField := (Atom a) (Integer 1))) "
          "(MapField => (Atom b) (Integer 2)))");
    CHECK(expr("#{}") == "(Map)");
    CHECK(error("f(#{a := 1}#{b := 2}) -> 1.") == "1:12: syntax error before: '#'");
}

TEST_CASE("lists, strings and comprehensions", "[parser]") {
    CHECK(expr("[]") == "(Nil)");
    CHECK(expr("[1, 2]") == "(Cons (Integer 1) (Cons (Integer 2) (Nil)))");
    CHECK(expr("[H | T]") == "(Cons (Var H) (Var T))");
    CHECK(expr("\"ab\" \"cd\" \"\"") == "(String \"abcd\")");
    CHECK(expr("[X * 2 || X <- L, X > 1, <<Y>> <= B]") ==
          "(ListComp (BinaryOp * (Var X) (Integer 2)) (Generate (Var X) (Var L)) "
          "(BinaryOp > (Var X) (Integer 1)) (BinGenerate (Binary (BinElement (Var Y) null)) "
          "(Var B)))");
    CHECK(expr("<< <<X>> || X <- L >>") ==
          "(BinComp (Binary (BinElement (Var X) null)) (Generate (Var X) (Var L)))");
}

TEST_CASE("bit syntax", "[parser]") {
    CHECK(expr("<<X:8/integer-signed-little-unit:1, Y/binary, (N+1):16, -1:8>>") ==
          "(Binary (BinElement (Var X) (Integer 8) (BinType integer) (BinType signed) "
          "(BinType little) (BinType unit 1)) (BinElement (Var Y) null (BinType binary)) "
          "(BinElement (BinaryOp + (Var N) (Integer 1)) (Integer 16)) "
          "(BinElement (UnaryOp - (Integer 1)) (Integer 8)))");
    // The size is an expr_max: an operator needs parentheses.
    CHECK(expr("<<X:N+1>>") == "error 1:13: syntax error before: '+'");
    CHECK(expr("<<>>") == "(Binary)");
}

TEST_CASE("funs", "[parser]") {
    CHECK(expr("fun f/1") == "(FunRef f 1)");
    CHECK(expr("fun m:f/1") == "(FunRef (Atom m) (Atom f) (Integer 1))");
    CHECK(expr("fun M:F/A") == "(FunRef (Var M) (Var F) (Var A))");
    CHECK(expr("fun (0) -> 1; (N) when N > 0 -> N end") ==
          "(Fun (Clause (Patterns (Integer 0)) (Guard) (Body (Integer 1))) "
          "(Clause (Patterns (Var N)) (Guard (GuardSeq (BinaryOp > (Var N) (Integer 0)))) "
          "(Body (Var N))))");
    CHECK(error("f(X) -> fun A(1) -> 1; B(2) -> 2 end.") == "1:24: head mismatch");
    CHECK(error("f(X) -> fun A(1) -> 1; (2) -> 2 end.") == "1:24: head mismatch");
    CHECK(error("f(X) -> fun(g(Y)) -> Y end.") == "1:14: syntax error before: '('");
}

TEST_CASE("case, receive, try, begin", "[parser]") {
    CHECK(expr("receive a -> 1 after 10 -> 2 end") ==
          "(Receive (Clause (Patterns (Atom a)) (Guard) (Body (Integer 1))) "
          "(After (Integer 10) (Body (Integer 2))))");
    CHECK(expr("receive after T -> ok end") == "(Receive (After (Var T) (Body (Atom ok))))");
    CHECK(expr("try X of 1 -> a after b end") ==
          "(Try (Body (Var X)) (OfClauses (Clause (Patterns (Integer 1)) (Guard) "
          "(Body (Atom a)))) (CatchClauses) (Body (Atom b)))");
    CHECK(expr("try X catch throw:R -> R after ok end") ==
          "(Try (Body (Var X)) (OfClauses) (CatchClauses (Clause (Patterns (Atom throw) "
          "(Var R) null) (Guard) (Body (Var R)))) (Body (Atom ok)))");
    CHECK(expr("begin 1, 2 end") == "(Block (Integer 1) (Integer 2))");
    CHECK(expr("case X of g(Y) -> Y end") ==
          "(Case (Var X) (Clause (Patterns (Call (Atom g) (Var Y))) (Guard) (Body (Var Y))))");
    CHECK(error("f(X) -> try X catch g(Y) -> Y end.") == "1:22: syntax error before: '('");
    CHECK(error("f(g(X)) -> X.") == "1:4: syntax error before: '('");
}

TEST_CASE("function heads must agree", "[parser]") {
    CHECK(error("f(X) -> ok;\ng(X) -> ok.") == "2:1: head mismatch");
    CHECK(error("f(X) -> ok;\nf(X, Y) -> ok.") == "2:1: head mismatch");
}

TEST_CASE("attributes", "[parser]") {
    CHECK(form("-module(m).", true) == "(ModuleAttr@1:2 m)");
    CHECK(form("-export([f/1, g/0]).", true) ==
          "(Export@1:2 export (FunArity@1:10 f 1) (FunArity@1:15 g 0))");
    CHECK(form("-import(lists, [map/2]).") == "(Import lists (FunArity map 2))");
    CHECK(form("-export_type([t/0]).") == "(Export export_type (FunArity t 0))");
    CHECK(form("-behaviour(gen_server).") == "(Attribute behaviour (Atom gen_server))");
    CHECK(form("-compile([export_all, {inline, [f/1]}]).") ==
          "(Attribute compile (Cons (Atom export_all) (Cons (Tuple (Atom inline) (Cons "
          "(BinaryOp / (Atom f) (Integer 1)) (Nil))) (Nil))))");
    CHECK(form("-on_load(init/0).") == "(Attribute on_load (BinaryOp / (Atom init) (Integer 0)))");
    CHECK(form("-foo({a, f/1, #{a => 1}, [1|2], \"s\", -1, fun m:f/1}).") != "error");
    CHECK(form("-record(r, {a, b = 1, c = f(X)}).") ==
          "(RecordDecl r (FieldDecl a null) (FieldDecl b (Integer 1)) "
          "(FieldDecl c (Call (Atom f) (Var X))))");
    CHECK(form("-record(r, {a = 1 :: integer(), b :: atom(), c}).", true) ==
          "(RecordDecl@1:2 r (FieldDecl@1:13 a (Integer@1:17 1) (TypeCall@1:22 integer)) "
          "(FieldDecl@1:33 b null (TypeCall@1:38 atom)) (FieldDecl@1:46 c null))");
    CHECK(form("-record(r, {}).") == "(RecordDecl r)");
}

TEST_CASE("attribute errors", "[parser]") {
    CHECK(error("-record(r, {a, 1}).") == "1:16: bad record field");
    CHECK(error("-record(r, a).") == "1:12: bad record declaration");
    CHECK(error("-record(R, {a}).") == "1:9: bad record declaration");
    CHECK(error("-export([f/a]).") == "1:12: bad function arity");
    CHECK(error("-export([1/1]).") == "1:10: bad function name");
    CHECK(error("-export([f]).") == "1:9: bad Name/Arity");
    CHECK(error("-export([f/1], x).") == "1:16: bad export declaration");
    CHECK(error("-foo(X).") == "1:6: bad attribute");
    CHECK(error("-foo(f/1, 2).") == "1:11: bad attribute");
    CHECK(error("-foo(- a).") == "1:6: bad attribute");
    CHECK(error("-foo.") == "1:5: syntax error before: '.'");
    CHECK(error("-foo(X :: t()).") == "1:2: bad attribute");
    CHECK(error("-type t :: t().") == "1:2: bad type declaration");
}

TEST_CASE("types and specs are parsed into type nodes", "[parser]") {
    CHECK(form("-type t() :: $a | 1..$z | - 1 | 1 + 2 * 3 | bnot 4.") ==
          "(TypeAttr type t 0 (TypeUnion (Char 97) (TypeRange (Integer 1) (Char 122)) "
          "(UnaryOp - (Integer 1)) (BinaryOp + (Integer 1) (BinaryOp * (Integer 2) (Integer 3))) "
          "(UnaryOp bnot (Integer 4))))");
    CHECK(form("-type t(A, B) :: {A, B} | [A] | [B, ...] | #{A => B, a := 1} | #{} | [].") ==
          "(TypeAttr type t 2 (Var A) (Var B) (TypeUnion (TypeTuple (Var A) (Var B)) "
          "(TypeList (Var A)) (TypeList ... (Var B)) (TypeMap (TypeMapField => (Var A) (Var B)) "
          "(TypeMapField := (Atom a) (Integer 1))) (TypeMap) (TypeList)))");
    CHECK(form("-opaque t() :: fun((...) -> ok) | fun(() -> ok) | fun((a, b) -> c) | fun().") ==
          "(TypeAttr opaque t 0 (TypeUnion (TypeFun null (Atom ok)) (TypeFun (TypeArgs) (Atom ok)) "
          "(TypeFun (TypeArgs (Atom a) (Atom b)) (Atom c)) (TypeFun)))");
    CHECK(form("-type t() :: <<>> | <<_:3>> | <<_:_*8>> | <<_:3, _:_*8>> | #r{a :: integer()}.") ==
          "(TypeAttr type t 0 (TypeUnion (TypeBinary (Integer 0) (Integer 0)) "
          "(TypeBinary (Integer 3) (Integer 0)) (TypeBinary (Integer 0) (Integer 8)) "
          "(TypeBinary (Integer 3) (Integer 8)) (TypeRecord r (TypeField a (TypeCall integer)))))");
    CHECK(form("-type t() :: m:t(1) | m:t() | (integer()) | X :: atom().") ==
          "(TypeAttr type t 0 (TypeUnion (TypeRemote m t (Integer 1)) (TypeRemote m t) "
          "(TypeCall integer) (TypeAnn (Var X) (TypeCall atom))))");
    CHECK(form("-spec f(X) -> ok when X :: integer(), is_subtype(X, atom()).") ==
          "(TypeAttr spec f 1 (TypeBounded (TypeFun (TypeArgs (Var X)) (Atom ok)) "
          "(TypeConstraint (Var X) (TypeCall integer)) (TypeConstraint (Var X) (TypeCall atom))))");
    CHECK(form("-spec m:f(integer()) -> ok; (atom()) -> ok.") ==
          "(TypeAttr spec f 1 (Atom m) (TypeFun (TypeArgs (TypeCall integer)) (Atom ok)) "
          "(TypeFun (TypeArgs (TypeCall atom)) (Atom ok)))");
    CHECK(form("-spec (f(integer()) -> ok).") ==
          "(TypeAttr spec f 1 (TypeFun (TypeArgs (TypeCall integer)) (Atom ok)))");
    CHECK(form("-callback f(integer(), a) -> ok.") ==
          "(TypeAttr callback f 2 (TypeFun (TypeArgs (TypeCall integer) (Atom a)) (Atom ok)))");
    // Positions as erl_parse gives them: a union at its first alternative,
    // a signature at its '(', a range at its low bound, a constraint at its
    // variable.
    CHECK(form("-spec f(A) -> 1..2 | b when A :: c.", true) ==
          "(TypeAttr@1:2 spec f 1 (TypeBounded@1:8 (TypeFun@1:8 (TypeArgs@1:8 (Var@1:9 A)) "
          "(TypeUnion@1:15 (TypeRange@1:15 (Integer@1:15 1) (Integer@1:18 2)) (Atom@1:22 b))) "
          "(TypeConstraint@1:29 (Var@1:29 A) (Atom@1:34 c))))");
    CHECK(error("-type t() :: #{...}.") == "1:16: syntax error before: '...'");
    CHECK(error("-type t() :: a | b :: c.") == "1:20: syntax error before: '::'");
    CHECK(error("-type t() :: 1 .. 2 .. 3.") == "1:21: syntax error before: '..'");
    CHECK(form("-type t() :: - - 1 | - (1) .. 3.") ==
          "(TypeAttr type t 0 (TypeUnion (UnaryOp - (UnaryOp - (Integer 1))) "
          "(TypeRange (UnaryOp - (Integer 1)) (Integer 3))))");
    CHECK(error("-spec f(X) -> ok when foo(X, integer()).") == "1:23: unsupported constraint foo");
    CHECK(error("-spec f(X) -> ok when 'Foo'(X).") == "1:23: unsupported constraint 'Foo'");
    CHECK(error("-spec f(X) -> ok when is_subtype(X).") ==
          "1:23: unsupported constraint is_subtype");
    CHECK(error("-spec f(X) -> ok when is_subtype(_, integer()).") == "1:34: bad type variable");
    CHECK(error("-spec f(X) -> ok when _ :: integer().") == "1:23: bad type variable");
    CHECK(error("-type t(_) :: ok.") == "1:9: bad type variable");
    CHECK(error("-type t(a) :: ok.") == "1:9: bad type variable");
    CHECK(error("-type t() :: <<X:8>>.") == "1:16: Bad binary type");
    CHECK(error("-type t() :: <<_:_*X, _:1>>.") == "1:21: syntax error before: ','");
}

TEST_CASE("deep nesting is an error, not a crash", "[parser]") {
    std::string deep = "f() -> " + std::string(100000, '(') + "1" + std::string(100000, ')') + ".";
    CHECK(error(deep).find("nesting too deep") != std::string::npos);
    std::string lists = "f() -> " + std::string(100000, '[') + std::string(100000, ']') + ".";
    CHECK(error(lists).find("nesting too deep") != std::string::npos);
    std::string wide = "f() -> [";
    for (int i = 0; i < 50000; ++i)
        wide += "1,";
    wide += "1].";
    CHECK(error(wide).empty());
}

// ---------------------------------------------------------------------------
// Oracle replay (hidden): BEAMLITE_ORACLE=x.oracle, made by
// tests/tools/erl-parse-oracle.escript from x.erl. Every form's tokens, as
// Erlang/OTP scanned them, go through parser::parse_form; the outcome (ok or
// the exact error) and the positions of annotated nodes must match.

namespace {

std::string unhex(std::string_view hex) {
    std::string out;
    if (hex == "-") return out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    }
    return out;
}

Kind oracle_kind(std::string cat) {
    if (cat.size() >= 2 && cat.front() == '\'') cat = cat.substr(1, cat.size() - 2);
    if (cat == "atom") return Kind::Atom;
    if (cat == "var") return Kind::Var;
    if (cat == "integer") return Kind::Integer;
    if (cat == "float") return Kind::Float;
    if (cat == "char") return Kind::Char;
    if (cat == "string") return Kind::String;
    if (cat == "dot") return Kind::Dot;
    Kind kw = token::keyword(cat);
    if (kw != Kind::Atom) return kw;
    return punctuation_kind(cat);
}

const char* oracle_tag(const ast::Node* n) {
    switch (n->kind) {
        case ast::Kind::Match:
            return "match";
        case ast::Kind::Call:
            return "call";
        case ast::Kind::Remote:
            return "remote";
        case ast::Kind::BinaryOp:
        case ast::Kind::UnaryOp:
            return "op";
        case ast::Kind::Record:
        case ast::Kind::RecordUpdate:
            return "record";
        case ast::Kind::RecordField:
        case ast::Kind::RecordAccess:
            return "record_field";
        case ast::Kind::RecordIndex:
            return "record_index";
        case ast::Kind::Map:
        case ast::Kind::MapUpdate:
            return "map";
        case ast::Kind::MapField:
            return n->op == Kind::FatArrow ? "map_field_assoc" : "map_field_exact";
        case ast::Kind::Cons:
            return "cons";
        case ast::Kind::ListComp:
            return "lc";
        case ast::Kind::BinComp:
            return "bc";
        case ast::Kind::Generate:
            return "generate";
        case ast::Kind::BinGenerate:
            return "b_generate";
        case ast::Kind::FunRef:
            return "'fun'";
        case ast::Kind::Fun:
            return n->text.empty() ? "'fun'" : "named_fun";
        case ast::Kind::Case:
            return "'case'";
        case ast::Kind::If:
            return "'if'";
        case ast::Kind::Receive:
            return "'receive'";
        case ast::Kind::Try:
            return "'try'";
        case ast::Kind::Catch:
            return "'catch'";
        case ast::Kind::Block:
            return "block";
        case ast::Kind::Clause:
            return "clause";
        case ast::Kind::Binary:
            return "bin";
        case ast::Kind::BinElement:
            return "bin_element";
        case ast::Kind::String:
            return "string";
        case ast::Kind::Integer:
            return "integer";
        case ast::Kind::Float:
            return "float";
        case ast::Kind::Char:
            return "char";
        default:
            return nullptr;
    }
}

void oracle_positions(const ast::Node* n, std::vector<std::string>& out) {
    if (n == nullptr) return;
    if (const char* tag = oracle_tag(n)) {
        out.push_back(std::string(tag) + "@" + std::to_string(n->pos.line) + ":" +
                      std::to_string(n->pos.column));
    }
    for (const ast::Node* kid : n->children())
        oracle_positions(kid, out);
}

struct OracleForm {
    std::vector<Token> tokens;
    std::string result;
    std::string positions;
};

std::vector<OracleForm> read_oracle(const char* path, std::vector<std::string>& store) {
    std::vector<OracleForm> forms;
    std::FILE* f = std::fopen(path, "r");
    REQUIRE(f != nullptr);
    char* line = nullptr;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        std::string text(line, len - 1);
        if (text == "FORM") {
            forms.emplace_back();
        } else if (text.rfind("T ", 0) == 0) {
            char cat[64], value[4096];
            unsigned l, c;
            std::sscanf(text.c_str(), "T %63s %u %u %4095s", cat, &l, &c, value);
            Token tok;
            tok.kind = oracle_kind(cat);
            tok.pos = {l, c};
            std::string v = value;
            if (tok.kind == Kind::Integer || tok.kind == Kind::Char) {
                if (v.size() > 18) {
                    tok.is_big = true;
                    store.push_back(v);
                    tok.text = store.back();
                } else {
                    tok.int_value = std::stoll(v);
                }
            } else if (tok.kind == Kind::Float) {
                tok.float_value = std::strtod(v.c_str(), nullptr);
            } else if (tok.kind == Kind::Atom || tok.kind == Kind::Var ||
                       tok.kind == Kind::String) {
                store.push_back(unhex(v));
                tok.text = store.back();
            } else {
                tok.text = token::spelling(tok.kind);
            }
            forms.back().tokens.push_back(tok);
        } else if (text.rfind("RESULT ", 0) == 0) {
            forms.back().result = text.substr(7);
        } else if (text.rfind("POS", 0) == 0) {
            forms.back().positions = text.substr(3);
        }
    }
    free(line);
    std::fclose(f);
    return forms;
}

}  // namespace

TEST_CASE("oracle replay of erl_parse results", "[.oracle]") {
    const char* path = std::getenv("BEAMLITE_ORACLE");
    REQUIRE(path != nullptr);
    std::vector<std::string> store;
    store.reserve(1 << 20);
    for (const OracleForm& form : read_oracle(path, store)) {
        ast::Arena arena;
        diag::Reporter reporter;
        ast::Node* node = parser::parse_form(form.tokens, "t.bl", arena, reporter);
        std::string result = "ok";
        if (!reporter.messages().empty()) {
            const diag::Diagnostic& d = reporter.messages().front();
            result = "error " + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) +
                     ": " + d.message;
        }
        INFO("form at line " << (form.tokens.empty() ? 0 : form.tokens[0].pos.line));
        CHECK(result == form.result);
        if (result != "ok" || node->kind != ast::Kind::Function) continue;
        std::vector<std::string> mine;
        oracle_positions(node, mine);
        std::sort(mine.begin(), mine.end());
        std::string joined;
        for (const std::string& p : mine)
            joined += " " + p;
        CHECK(joined == form.positions);
    }
}
