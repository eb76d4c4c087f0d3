// lint: erl_lint's checks on hand-built ASTs (the parser-independent part);
// the whole pipeline is covered by the tests/check corpus.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>

#include "compiler/lint.h"

namespace {

using ast::Kind;
using ast::Node;

// Builds nodes in a module's arena; positions are given as (line, column).
struct Builder {
    ast::Module module;

    Builder() {
        module.file = "m.bl";
        module.name = "m";
    }

    Node* node(Kind kind, uint32_t line, uint32_t col, std::initializer_list<Node*> kids = {}) {
        return module.arena->node(kind, {line, col},
                                  std::span<Node* const>(kids.begin(), kids.size()));
    }
    Node* named(Kind kind, std::string_view text, uint32_t line, uint32_t col,
                std::initializer_list<Node*> kids = {}) {
        Node* n = node(kind, line, col, kids);
        n->text = module.arena->string(text);
        return n;
    }
    Node* var(std::string_view name, uint32_t line, uint32_t col) {
        return named(Kind::Var, name, line, col);
    }
    Node* atom(std::string_view name, uint32_t line, uint32_t col) {
        return named(Kind::Atom, name, line, col);
    }
    Node* integer(int64_t value, uint32_t line, uint32_t col) {
        Node* n = node(Kind::Integer, line, col);
        n->int_value = value;
        return n;
    }
    Node* binop(token::Kind op, Node* l, Node* r, uint32_t line, uint32_t col) {
        Node* n = node(Kind::BinaryOp, line, col, {l, r});
        n->op = op;
        return n;
    }
    Node* call(std::string_view f, uint32_t line, uint32_t col, std::initializer_list<Node*> args) {
        std::vector<Node*> all{atom(f, line, col)};
        all.insert(all.end(), args.begin(), args.end());
        return module.arena->node(Kind::Call, {line, col}, all);
    }
    Node* clause(uint32_t line, uint32_t col, std::initializer_list<Node*> patterns, Node* guard,
                 std::initializer_list<Node*> body) {
        Node* ps = node(Kind::Patterns, line, col, patterns);
        Node* b = node(Kind::Body, line, col, body);
        return node(Kind::Clause, line, col, {ps, guard ? guard : node(Kind::Guard, line, col), b});
    }
    Node* guard(Node* test) {
        return node(Kind::Guard, test->pos.line, test->pos.column,
                    {node(Kind::GuardSeq, test->pos.line, test->pos.column, {test})});
    }
    void function(std::string_view name, int64_t arity, uint32_t line,
                  std::initializer_list<Node*> clauses) {
        Node* f = named(Kind::Function, name, line, 1, clauses);
        f->int_value = arity;
        add(f);
    }
    void add(Node* form) {
        module.forms.push_back(form);
        module.form_files.push_back(module.file);
    }
    void module_attr() { add(named(Kind::ModuleAttr, "m", 1, 2)); }
    void export_attr(std::string_view f, int64_t arity, uint32_t line) {
        Node* fa = named(Kind::FunArity, f, line, 10);
        fa->int_value = arity;
        add(named(Kind::Export, "export", line, 2, {fa}));
    }

    // Runs the checker; returns "line:col: [W ]message" lines in report order.
    std::vector<std::string> lint() {
        diag::Reporter reporter;
        lint::check(module, reporter);
        std::vector<std::string> out;
        for (const diag::Diagnostic& d : reporter.messages()) {
            out.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " +
                          (d.severity == diag::Severity::Warning ? "W " : "") + d.message);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
};

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("unbound and unused variables", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 1, 2);
    // f(X) -> Y.
    b.function("f", 1, 3, {b.clause(3, 1, {b.var("X", 3, 3)}, nullptr, {b.var("Y", 3, 8)})});
    CHECK(b.lint() == Lines{"3:3: W variable 'X' is unused", "3:8: variable 'Y' is unbound"});
}

TEST_CASE("a variable bound in one case clause is unsafe after it", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 1, 2);
    // f(X) -> case X of 1 -> Y = 1; _ -> ok end, Y.
    Node* c1 = b.clause(3, 19, {b.integer(1, 3, 19)}, nullptr,
                        {b.node(Kind::Match, 3, 26, {b.var("Y", 3, 24), b.integer(1, 3, 28)})});
    Node* c2 = b.clause(3, 31, {b.var("_", 3, 31)}, nullptr, {b.atom("ok", 3, 36)});
    Node* kase = b.node(Kind::Case, 3, 9, {b.var("X", 3, 14), c1, c2});
    b.function("f", 1, 3, {b.clause(3, 1, {b.var("X", 3, 3)}, nullptr, {kase, b.var("Y", 3, 44)})});
    CHECK(b.lint() == Lines{"3:44: variable 'Y' unsafe in 'case' (line 3, column 9)"});
}

TEST_CASE("a variable bound in every clause is exported, with a warning when matched", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 1, 2);
    // f(X) -> case X of 1 -> Y = 1; _ -> Y = 2 end, Y = 3.
    Node* c1 = b.clause(3, 19, {b.integer(1, 3, 19)}, nullptr,
                        {b.node(Kind::Match, 3, 26, {b.var("Y", 3, 24), b.integer(1, 3, 28)})});
    Node* c2 = b.clause(3, 31, {b.var("_", 3, 31)}, nullptr,
                        {b.node(Kind::Match, 3, 38, {b.var("Y", 3, 36), b.integer(2, 3, 40)})});
    Node* kase = b.node(Kind::Case, 3, 9, {b.var("X", 3, 14), c1, c2});
    Node* rematch = b.node(Kind::Match, 3, 49, {b.var("Y", 3, 47), b.integer(3, 3, 51)});
    b.function("f", 1, 3, {b.clause(3, 1, {b.var("X", 3, 3)}, nullptr, {kase, rematch})});
    CHECK(b.lint() == Lines{"3:47: W variable 'Y' exported from 'case' (line 3, column 9)"});
}

TEST_CASE("undefined, unused and exported-but-undefined functions", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 0, 2);
    b.export_attr("nope", 0, 3);
    // f() -> g(1).   h() -> ok.
    b.function("f", 0, 4,
               {b.clause(4, 1, {}, nullptr, {b.call("g", 4, 8, {b.integer(1, 4, 10)})})});
    b.function("h", 0, 5, {b.clause(5, 1, {}, nullptr, {b.atom("ok", 5, 8)})});
    CHECK(b.lint() == Lines{"3:2: function nope/0 undefined", "4:8: function g/1 undefined",
                            "5:1: W function h/0 is unused"});
}

TEST_CASE("auto-imported BIFs are not local calls; guards allow only guard BIFs", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 1, 2);
    // f(X) when foo(X) -> length(X).
    Node* g = b.guard(b.call("foo", 3, 11, {b.var("X", 3, 15)}));
    b.function(
        "f", 1, 3,
        {b.clause(3, 1, {b.var("X", 3, 3)}, g, {b.call("length", 3, 21, {b.var("X", 3, 28)})})});
    CHECK(b.lint() == Lines{"3:11: illegal guard expression"});
}

TEST_CASE("records: undefined records and fields, unused records", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 0, 2);
    b.add(b.named(Kind::RecordDecl, "r", 3, 2, {b.named(Kind::FieldDecl, "a", 3, 13)}));
    b.add(b.named(Kind::RecordDecl, "unused", 4, 2));
    // f() -> {#r{b = 1}, #q{}}.
    Node* r = b.named(Kind::Record, "r", 5, 9,
                      {b.named(Kind::RecordField, "b", 5, 12, {b.integer(1, 5, 16)})});
    Node* q = b.named(Kind::Record, "q", 5, 20);
    b.function("f", 0, 5, {b.clause(5, 1, {}, nullptr, {b.node(Kind::Tuple, 5, 8, {r, q})})});
    CHECK(b.lint() == Lines{"4:2: W record unused is unused", "5:12: field b undefined in record r",
                            "5:20: record q undefined"});
}

TEST_CASE("a missing -module is reported at the first form", "[lint]") {
    Builder b;
    b.function("a", 0, 1, {b.clause(1, 1, {}, nullptr, {b.atom("ok", 1, 8)})});
    CHECK(b.lint() == Lines{"1:1: W function a/0 is unused", "1:1: no module definition"});
}

TEST_CASE("funs shadow, comprehension generators shadow", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 1, 2);
    // f(X) -> fun(X) -> ok end.
    Node* fc = b.clause(3, 13, {b.var("X", 3, 13)}, nullptr, {b.atom("ok", 3, 19)});
    Node* fun = b.named(Kind::Fun, "", 3, 9, {fc});
    b.function("f", 1, 3, {b.clause(3, 1, {b.var("X", 3, 3)}, nullptr, {fun})});
    CHECK(b.lint() == Lines{"3:13: W variable 'X' is unused",
                            "3:13: W variable 'X' shadowed in 'fun'",
                            "3:3: W variable 'X' is unused"});
}

namespace {

// `-type Name(Params) :: Body.` at (line, 2).
Node* type_attr(Builder& b, std::string_view kind, std::string_view name, uint32_t line,
                std::initializer_list<Node*> params, Node* body) {
    std::vector<Node*> kids(params.begin(), params.end());
    kids.push_back(body);
    Node* n = b.module.arena->node(Kind::TypeAttr, {line, 2}, kids);
    n->text = b.module.arena->string(kind);
    n->name2 = b.module.arena->string(name);
    n->int_value = static_cast<int64_t>(params.size());
    return n;
}

Node* type_call(Builder& b, std::string_view name, uint32_t line, uint32_t col,
                std::initializer_list<Node*> args = {}) {
    Node* n = b.named(Kind::TypeCall, name, line, col, args);
    n->int_value = static_cast<int64_t>(args.size());
    return n;
}

// `-spec Name(Args) -> Result.` at (line, 2), its '(' at (line, col).
Node* spec_attr(Builder& b, std::string_view name, uint32_t line, uint32_t col,
                std::initializer_list<Node*> args, Node* result) {
    Node* fun = b.node(Kind::TypeFun, line, col, {b.node(Kind::TypeArgs, line, col, args), result});
    Node* n = b.named(Kind::TypeAttr, "spec", line, 2, {fun});
    n->name2 = b.module.arena->string(name);
    n->int_value = static_cast<int64_t>(args.size());
    return n;
}

}  // namespace

TEST_CASE("types: undefined, redefined, unused, variables used once", "[lint]") {
    Builder b;
    b.module_attr();
    // -type t(A) :: {u(), A}.  -type t(B) :: B.  -type integer() :: atom().
    // -type v(C) :: c.  -spec g(t(x)) -> ok.
    b.add(type_attr(b, "type", "t", 2, {b.var("A", 2, 9)},
                    b.node(Kind::TypeTuple, 2, 15, {type_call(b, "u", 2, 16), b.var("A", 2, 21)})));
    b.add(type_attr(b, "type", "t", 3, {b.var("B", 3, 9)}, b.var("B", 3, 15)));
    b.add(type_attr(b, "type", "integer", 4, {}, type_call(b, "atom", 4, 20)));
    b.add(type_attr(b, "type", "v", 5, {b.var("C", 5, 9)}, b.atom("c", 5, 15)));
    b.add(spec_attr(b, "g", 6, 8, {type_call(b, "t", 6, 9, {b.atom("x", 6, 11)})},
                    b.atom("ok", 6, 17)));
    CHECK(b.lint() == Lines{"2:16: type u() undefined", "3:2: type t(_) already defined",
                            "4:2: type integer() is a builtin type; it cannot be redefined",
                            "5:2: W type v(_) is unused",
                            "5:9: type variable 'C' is only used once (is unbound)",
                            "6:2: spec for undefined function g/1"});
}

TEST_CASE("types: ranges, records in types, spec arity, opaque types", "[lint]") {
    Builder b;
    b.module_attr();
    b.export_attr("f", 1, 2);
    b.add(b.named(Kind::RecordDecl, "r", 3, 2, {b.named(Kind::FieldDecl, "a", 3, 13)}));
    // -opaque o() :: 2..1 | #r{b :: any()} | #q{}.
    Node* field = b.named(Kind::TypeField, "b", 4, 22, {type_call(b, "any", 4, 27)});
    Node* body = b.node(
        Kind::TypeUnion, 4, 16,
        {b.node(Kind::TypeRange, 4, 16, {b.integer(2, 4, 16), b.integer(1, 4, 19)}),
         b.named(Kind::TypeRecord, "r", 4, 20, {field}), b.named(Kind::TypeRecord, "q", 4, 36)});
    b.add(type_attr(b, "opaque", "o", 4, {}, body));
    // -spec f(o()) -> ok; () -> ok.   f(_) -> ok.
    Node* spec = spec_attr(b, "f", 5, 8, {type_call(b, "o", 5, 9)}, b.atom("ok", 5, 16));
    Node* sig2 = b.node(Kind::TypeFun, 5, 20, {b.node(Kind::TypeArgs, 5, 20), b.atom("ok", 5, 26)});
    Node* both = b.named(Kind::TypeAttr, "spec", 5, 2, {spec->kids[0], sig2});
    both->name2 = "f";
    both->int_value = 1;
    b.add(both);
    b.function("f", 1, 6, {b.clause(6, 1, {b.var("_", 6, 3)}, nullptr, {b.atom("ok", 6, 9)})});
    CHECK(b.lint() == Lines{"4:16: bad range type", "4:22: field b undefined in record r",
                            "4:2: W opaque type o() is not exported", "4:36: record q undefined",
                            "5:20: spec has wrong arity"});
}
