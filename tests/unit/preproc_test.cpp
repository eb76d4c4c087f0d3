// preproc_test: the preprocessor against epp's behaviour (OTP 25): forms,
// macros, conditionals, includes, predefined macros, and the wording and
// position of each error, as observed with erlc.
#include <fmt/core.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/preproc.h"

namespace {

// Writes `source` to a temporary .bl file, preprocesses it and returns the
// forms as text ("tok tok ." per form, failed forms prefixed "FAILED:")
// followed by the messages ("line:col: message").
std::string run(const std::string& source, const preproc::Options& options = {}) {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "beamlite_preproc_test";
    std::filesystem::create_directories(dir);
    std::filesystem::path path = dir / "t.bl";
    std::ofstream(path, std::ios::binary) << source;
    ast::Arena arena;
    diag::Reporter reporter;
    std::vector<preproc::Form> forms = preproc::preprocess(path.string(), options, arena, reporter);
    std::string out;
    for (const preproc::Form& form : forms) {
        if (form.failed) {
            out += "FAILED|";
            continue;
        }
        std::string text;
        for (const token::Token& tok : form.tokens) {
            if (!text.empty()) text += ' ';
            if (tok.kind == token::Kind::String) {
                text += '"';
                text += tok.text;
                text += '"';
            } else if (tok.kind <= token::Kind::Char) {
                text += tok.text;
            } else {
                text += token::spelling(tok.kind);
            }
        }
        out += text + "|";
    }
    for (const diag::Diagnostic& d : reporter.messages()) {
        out += fmt::format(" {}:{}: {}", d.pos.line, d.pos.column, d.message);
    }
    return out;
}

// The position of the first token of the form at `index`.
token::Pos form_pos(const std::string& source, size_t form, size_t token) {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / "beamlite_preproc_test" / "p.bl";
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << source;
    ast::Arena arena;
    diag::Reporter reporter;
    std::vector<preproc::Form> forms = preproc::preprocess(path.string(), {}, arena, reporter);
    return forms.at(form).tokens.at(token).pos;
}

}  // namespace

TEST_CASE("preproc: forms and simple macros", "[preproc]") {
    CHECK(run("-module(m).\n-define(A, 1 + 2).\nf() -> ?A.\n") ==
          "- module ( m ) .|f ( ) -> 1 + 2 .|");
    CHECK(run("-define(F(X, Y), {X, Y}).\nf() -> ?F(a, [b, c]).\n") ==
          "f ( ) -> { a , [ b , c ] } .|");
    CHECK(run("-define(F(X), X).\n-define(F(X, Y), Y).\n-define(F, none).\nf() -> {?F(1), ?F(1, "
              "2), ?F}.") == "f ( ) -> { 1 , 2 , none } .|");
    CHECK(run("-define('A b', q).\n-define(v, w).\nf() -> {?'A b', ?v}.") ==
          "f ( ) -> { q , w } .|");
    // Only a no-argument definition: a call's parentheses stay.
    CHECK(run("-define(G, g).\nf() -> ?G(1).") == "f ( ) -> g ( 1 ) .|");
    CHECK(run("-undef(G).\n-define(G, 1).\n-undef(G).\nf() -> ?G.") ==
          "FAILED| 4:9: undefined macro 'G'");
}

TEST_CASE("preproc: macro arguments with nested commas", "[preproc]") {
    CHECK(run("-define(I(X), X).\nf() -> ?I(fun(A, B) -> {A, B} end).") ==
          "f ( ) -> fun ( A , B ) -> { A , B } end .|");
    CHECK(run("-define(I(X), X).\nf() -> ?I(case a of b -> c, d end).") ==
          "f ( ) -> case a of b -> c , d end .|");
    CHECK(run("-define(I(X), X).\nf() -> ?I(<<1, 2>>).") == "f ( ) -> << 1 , 2 >> .|");
    CHECK(run("-define(I(X), X).\nf() -> ?I(begin 1, 2 end).") == "f ( ) -> begin 1 , 2 end .|");
    CHECK(run("-define(I(X), X).\nf() -> ?I(fun g/2).") == "f ( ) -> fun g / 2 .|");
}

TEST_CASE("preproc: stringifying arguments", "[preproc]") {
    CHECK(
        run("-define(S(X), ??X).\nf() -> ?S(a + 'B' * \"s\\n\" - $a - 1.5e3 - 16#ff -> [x|y]).") ==
        "f ( ) -> \"a + 'B' * \"s\\n\" - $a - 1.5e3 - 255 -> [ x | y ]\" .|");
    CHECK(run("-define(S(X), ??Y).\nf() -> ?S(1).") == "f ( ) -> Y .|");
}

TEST_CASE("preproc: an escript's #! line and implicit module", "[preproc]") {
    preproc::Options escript;
    escript.escript_module = "t_bl__escript__1__2__3__1";
    // The #! line is an empty line: the next lines keep their numbers, and
    // the %%! line is a comment. ?MODULE is the implicit name from the start.
    CHECK(run("#!/usr/bin/env escript\n%%! -smp enable\nf() -> {?MODULE, ?MODULE_STRING, ?LINE}.",
              escript) ==
          "f ( ) -> { t_bl__escript__1__2__3__1 , \"t_bl__escript__1__2__3__1\" , 3 } .|");
    // A -module(M) redefines them, as epp does.
    CHECK(run("#!/usr/bin/env escript\n-module(m).\nf() -> ?MODULE.", escript) ==
          "- module ( m ) .|f ( ) -> m .|");
    // Errors after the header are at the file's own lines.
    CHECK(run("#!/usr/bin/env escript\n\nf() -> ?NOPE.", escript) ==
          "FAILED| 3:9: undefined macro 'NOPE'");
    // A coding comment on line 3 counts in an escript (lines 2 and 3).
    CHECK(run("#!/usr/bin/env escript\n%% x\n%% coding: latin-1\nf() -> \"\xe9\".", escript) ==
          "f ( ) -> \"\xc3\xa9\" .|");
    // Without the option, the same text is not an escript: `#!` are tokens.
    CHECK(run("#!/usr/bin/env escript\nf() -> ok.").starts_with("# ! / usr"));
}

TEST_CASE("preproc: predefined macros", "[preproc]") {
    CHECK(run("-module(m).\nf() -> {?MODULE, ?MODULE_STRING, ?MACHINE, ?OTP_RELEASE, ?LINE}.") ==
          "- module ( m ) .|f ( ) -> { m , \"m\" , BEAM , 25 , 2 } .|");
    CHECK(run("g(A, {B, C}, [D]) -> {?FUNCTION_NAME, ?FUNCTION_ARITY}.") ==
          "g ( A , { B , C } , [ D ] ) -> { g , 3 } .|");
    CHECK(run("x() -> ?MODULE.") == "FAILED| 1:9: undefined macro 'MODULE'");
    CHECK(run("?FUNCTION_NAME() -> ok.") == "FAILED| 1:2: ?FUNCTION_NAME must not begin a form");
    CHECK(run("-record(r, {a = ?FUNCTION_NAME}).") ==
          "FAILED| 1:18: ?FUNCTION_NAME can only be used within a function");
    CHECK(run("f() -> ?FEATURE_AVAILABLE(maybe_expr).") ==
          "f ( ) -> ( ( maybe_expr ) == maybe_expr ) .|");
    std::string file = run("f() -> ?FILE.");
    CHECK(file.find("t.bl\" .|") != std::string::npos);
}

TEST_CASE("preproc: macro errors", "[preproc]") {
    CHECK(run("f() -> ?UNDEF(1).") == "FAILED| 1:9: undefined macro 'UNDEF/1'");
    CHECK(run("-define(A(X), X).\nf() -> ?A.") == "FAILED| 2:9: argument mismatch for macro 'A'");
    CHECK(run("-define(A(X), X).\nf() -> ?A(1,).") ==
          "FAILED| 2:9: badly formed argument for macro 'A'");
    CHECK(run("f() -> ?(.") == "FAILED| 1:9: illegal macro call '?'(''");
    CHECK(run("-define(A, ?B).\n-define(B, ?A).\nf() -> ?A.") == "FAILED| 3:9: circular macro 'A'");
    CHECK(run("-define(F(X), 1).\n-define(F(X), 2).") == " 2:9: redefining macro 'F'");
    CHECK(run("-define(MODULE, x).") == " 1:9: redefining predefined macro 'MODULE'");
    CHECK(run("-define(G(X, X), X).") == " 1:14: argument 'X' already used");
    CHECK(run("-define(H(X) X).") == " 1:14: badly formed define: missing comma");
    CHECK(run("-define(I(X), X.") ==
          " 1:16: badly formed define: missing closing right parenthesis");
    CHECK(run("-define(1, 2).") == " 1:9: badly formed 'define'");
    CHECK(run("-define(J).") == " 1:10: badly formed 'define'");
}

TEST_CASE("preproc: conditionals", "[preproc]") {
    CHECK(run("-ifdef(X).\na.\n-else.\nb.\n-endif.") == "b .|");
    CHECK(run("-define(X, 1).\n-ifdef(X).\na.\n-else.\nb.\n-endif.") == "a .|");
    CHECK(run("-ifndef(X).\na.\n-endif.") == "a .|");
    CHECK(run("-ifdef(X).\n-ifdef(Y).\na.\n-else.\nb.\n-endif.\n-else.\nc.\n-endif.") == "c .|");
    CHECK(run("-if(1 + 1 == 2 andalso true).\na.\n-elif(true).\nb.\n-else.\nc.\n-endif.") ==
          "a .|");
    CHECK(run("-if(2 > 3).\na.\n-elif(?OTP_RELEASE >= 25).\nb.\n-else.\nc.\n-endif.") == "b .|");
    CHECK(run("-define(D, 1).\n-if(defined(D) and not defined(E)).\na.\n-endif.") == "a .|");
    CHECK(run("-if(foo()).\na.\n-endif.\nb.") == "b .|");
    CHECK(run("-if(1 +).\n-endif.") == " 1:8: syntax error before: ')'");
    CHECK(run("-if(X = 1).\n-endif.") == " 1:2: badly formed 'if'");
    // Scan errors inside a skipped branch are ignored, as in epp.
    CHECK(run("-ifdef(X).\nf() -> 37#1.\n-endif.\nok.") == "ok .|");
}

TEST_CASE("preproc: conditional errors", "[preproc]") {
    CHECK(run("-ifdef(FOO).\n-else.\n-else.\n-endif.") == " 3:2: repeated '-else'");
    CHECK(run("-endif.") == " 1:2: unbalanced '-endif'");
    CHECK(run("-else.") == " 1:2: unbalanced '-else'");
    CHECK(run("-elif(true).") == " 1:2: unbalanced '-elif'");
    CHECK(run("-ifdef(A).\n") == " 2:1: unterminated '-ifdef'");
    CHECK(run("-ifndef(A).\nx.") == "x .| 2:3: unterminated '-ifndef'");
    CHECK(run("-ifdef(A, b).\n-endif.") == " 1:9: badly formed 'ifdef'");
    CHECK(run("-ifdef(A).\n-else.\n-elif(true).\n-endif.") == " 3:2: unbalanced '-elif'");
}

TEST_CASE("preproc: -error, -warning, -file", "[preproc]") {
    CHECK(run("-error(\"bad thing\").") == " 1:2: -error(\"bad thing\").");
    CHECK(run("-warning({a, \"b\", 1}).") == " 1:2: -warning({a,\"b\",1}).");
    CHECK(run("-error(foo bar).") == " 1:2: badly formed 'error'");
    CHECK(run("-file(\"other.erl\", 100).\nf() -> ?LINE.") == "f ( ) -> 100 .|");
}

TEST_CASE("preproc: includes", "[preproc]") {
    std::string main = std::string(BEAMLITE_SOURCE_DIR) + "/tests/unit/fixtures/preproc/main.bl";
    ast::Arena arena;
    diag::Reporter reporter;
    std::vector<preproc::Form> forms = preproc::preprocess(main, {}, arena, reporter);
    std::string dir = std::string(BEAMLITE_SOURCE_DIR) + "/tests/unit/fixtures/preproc/";
    REQUIRE(forms.size() >= 3);
    CHECK(forms[1].file == dir + "h1.hrl");
    std::string last;
    for (const token::Token& t : forms.back().tokens)
        last += std::string(t.text) + " ";
    CHECK(last == "f ( ) -> { h1 , h2 , h4 } . ");
    REQUIRE(reporter.messages().size() == 2);
    CHECK(reporter.messages()[0].message == "can't find include file \"missing.hrl\"");
    CHECK(reporter.messages()[0].pos.line == 6);
    CHECK(reporter.messages()[0].pos.column == 10);
    CHECK(reporter.messages()[1].message == "can't find include lib \"nolib/include/x.hrl\"");
}

TEST_CASE("preproc: bundled assert.hrl", "[preproc]") {
    std::string out = run(
        "-module(m).\n-include_lib(\"stdlib/include/assert.hrl\").\n"
        "f() -> ?assertEqual(1, 2), ?assert(true), ?assertMatch({_}, {1}), ?assertError(x, y).\n");
    CHECK(out.find("FAILED") == std::string::npos);
    CHECK(out.ends_with(".|"));  // no messages after the forms
}

TEST_CASE("preproc: expansion positions", "[preproc]") {
    // Body tokens take the macro name's position; arguments keep theirs.
    token::Pos body = form_pos("-define(A, {x}).\nf() -> ?A.", 0, 4);
    CHECK(body.line == 2);
    CHECK(body.column == 9);
    token::Pos arg = form_pos("-define(I(X), [X]).\nf() -> ?I(y).", 0, 5);
    CHECK(arg.line == 2);
    CHECK(arg.column == 11);
}
