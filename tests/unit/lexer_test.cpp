// lexer_test: the scanner against erl_scan's behaviour (token kinds, values,
// positions, escapes, errors and the recovery after them), as observed with
// erlc from Erlang/OTP 25.
#include <fmt/core.h>
#include <catch2/catch.hpp>

#include <bit>
#include <cstdio>
#include <cstdlib>

#include <string>
#include <vector>

#include "compiler/lexer.h"

namespace {

// "kind:text@line:col" for each token but Eof, space separated; errors
// appended as "!line:col:message".
std::string scan_summary(std::string_view source) {
    ast::Arena arena;
    lexer::ScanResult result = lexer::scan_file(source, arena);
    std::string out;
    size_t next_error = 0;
    auto flush_errors = [&](size_t index) {
        for (; next_error < result.errors.size() && result.errors[next_error].before_token <= index;
             ++next_error) {
            const lexer::ScanError& e = result.errors[next_error];
            if (!out.empty()) out += ' ';
            out += fmt::format("!{}:{}:{}", e.pos.line, e.pos.column, e.message);
        }
    };
    for (size_t i = 0; i < result.tokens.size(); ++i) {
        flush_errors(i);
        const token::Token& tok = result.tokens[i];
        if (tok.kind == token::Kind::Eof) break;
        if (!out.empty()) out += ' ';
        std::string_view kind = token::spelling(tok.kind);
        if (tok.kind == token::Kind::Other) kind = "other";
        out += fmt::format("{}:{}@{}:{}", kind, tok.text, tok.pos.line, tok.pos.column);
    }
    flush_errors(result.tokens.size());
    return out;
}

// Just the kinds and texts, no positions.
[[maybe_unused]] std::string kinds(std::string_view source) {
    ast::Arena arena;
    lexer::ScanResult result = lexer::scan_file(source, arena);
    std::string out;
    for (const token::Token& tok : result.tokens) {
        if (tok.kind == token::Kind::Eof) break;
        if (!out.empty()) out += ' ';
        if (tok.kind == token::Kind::Other) {
            out += fmt::format("other({})", tok.text);
        } else if (tok.kind <= token::Kind::Eof) {
            out += fmt::format("{}({})", token::spelling(tok.kind), tok.text);
        } else {
            out += token::spelling(tok.kind);
        }
    }
    for (const lexer::ScanError& e : result.errors) {
        out += fmt::format(" !{}:{}:{}", e.pos.line, e.pos.column, e.message);
    }
    return out;
}

[[maybe_unused]] token::Token only_token(std::string_view source, ast::Arena& arena) {
    lexer::ScanResult result = lexer::scan_file(source, arena);
    REQUIRE(result.errors.empty());
    REQUIRE(result.tokens.size() == 2);
    return result.tokens[0];
}

}  // namespace

TEST_CASE("lexer: a small module", "[lexer]") {
    CHECK(scan_summary("-module(a).\nf() -> ok.\n") ==
          "-:-@1:1 atom:module@1:2 (:(@1:8 atom:a@1:9 ):)@1:10 .:.@1:11 atom:f@2:1 (:(@2:2 ):)@2:3 "
          "->:->@2:5 atom:ok@2:8 .:.@2:10");
}

TEST_CASE("lexer: names, keywords and variables", "[lexer]") {
    CHECK(
        kinds("ok fooBar@x_1 Var _ _Ign 'A b' case of end andalso orelse bnot div rem") ==
        "atom(ok) atom(fooBar@x_1) var(Var) var(_) var(_Ign) atom(A b) case of end andalso orelse "
        "bnot div rem");
    CHECK(
        kinds("after begin catch cond fun if let receive try when xor and or not band bor bxor "
              "bsl bsr") ==
        "after begin catch cond fun if let receive try when xor and or not band bor bxor bsl bsr");
    CHECK(kinds("maybe else") == "atom(maybe) atom(else)");  // not reserved in OTP 25
    CHECK(kinds("\xC3\x9F\xC3\xA9t\xC3\xA9 \xC3\x89t\xC3\xA9") ==
          "atom(\xC3\x9F\xC3\xA9t\xC3\xA9) var(\xC3\x89t\xC3\xA9)");
}

TEST_CASE("lexer: integers", "[lexer]") {
    ast::Arena arena;
    CHECK(only_token("16#FF", arena).int_value == 255);
    CHECK(only_token("2#1010", arena).int_value == 10);
    CHECK(only_token("36#zz", arena).int_value == 1295);
    CHECK(only_token("1_000_000", arena).int_value == 1000000);
    CHECK(only_token("16#FF_FF", arena).int_value == 65535);
    CHECK(only_token("16#FF_FF", arena).text == "16#FF_FF");
    token::Token big = only_token("123456789012345678901234567890", arena);
    CHECK(big.is_big);
    CHECK(big.text == "123456789012345678901234567890");
    token::Token hex = only_token("16#FFFFFFFFFFFFFFFFFFFF", arena);
    CHECK(hex.is_big);
    CHECK(hex.text == "1208925819614629174706175");
    CHECK(only_token("9223372036854775807", arena).int_value == INT64_MAX);
    CHECK(only_token("9223372036854775808", arena).is_big);
    CHECK(only_token("2#1_0000000000000000000000000000000000000000000000000000000000000000", arena)
              .text == "18446744073709551616");
    CHECK(kinds("1_ 1__2 1e5 1.e5") ==
          "integer(1) var(_) integer(1) var(__2) integer(1) atom(e5) integer(1) . atom(e5)");
}

TEST_CASE("lexer: floats", "[lexer]") {
    ast::Arena arena;
    CHECK(only_token("1.5e3", arena).float_value == 1500.0);
    CHECK(only_token("1_0.5_0e1_0", arena).float_value == 1.05e11);
    CHECK(only_token("2.5E-3", arena).float_value == 0.0025);
    CHECK(only_token("1.0e-400", arena).float_value == 0.0);
    CHECK(kinds("1..2") == "integer(1) .. integer(2)");
    CHECK(kinds("1.0e") == " !1:1:illegal float");
    CHECK(kinds("1.0e309 x") == "atom(x) !1:1:illegal float");
}

TEST_CASE("lexer: characters", "[lexer]") {
    ast::Arena arena;
    CHECK(only_token("$a", arena).int_value == 'a');
    CHECK(only_token("$\\n", arena).int_value == '\n');
    CHECK(only_token("$\\x{41}", arena).int_value == 0x41);
    CHECK(only_token("$\\^A", arena).int_value == 1);
    CHECK(only_token("$\\101", arena).int_value == 65);
    CHECK(only_token("$ ", arena).int_value == ' ');
    CHECK(only_token("$\\s", arena).int_value == ' ');
    CHECK(only_token("$\xCE\xBB", arena).int_value == 0x3BB);
    CHECK(only_token("$\\777", arena).int_value == 511);
    CHECK(only_token("$\\x{10FFFF}", arena).int_value == 0x10FFFF);
    CHECK(only_token("$\n", arena).int_value == '\n');
    CHECK(kinds("a $") == " !1:3:unterminated character");
    CHECK(kinds("a $\\") == " !1:3:unterminated character");
    CHECK(kinds("a $\\x{D800} b") == "atom(b) !1:3:illegal character");
    // A non-character after $ makes erl_scan give up on the rest of the file.
    CHECK(kinds("a. $\xEF\xBF\xBE b. c.") == "atom(a) . !1:4:illegal character");
}

TEST_CASE("lexer: string escapes", "[lexer]") {
    ast::Arena arena;
    CHECK(only_token(R"("\b\d\e\f\n\r\s\t\v\\\"\'")", arena).text == "\b\x7F\x1B\f\n\r \t\v\\\"'");
    CHECK(only_token(R"("\101\x41\x{41}\^X\^a\1\12x\z")", arena).text == "AAA\x18\x01\x01\nxz");
    CHECK(only_token(R"("\x{3bb}")", arena).text == "\xCE\xBB");
    CHECK(only_token("\"a\\\nb\"", arena).text == "a\nb");
    CHECK(only_token("\"plain text\"", arena).text == "plain text");
    CHECK(only_token(R"('q\na')", arena).text == "q\na");
    CHECK(only_token("\"\"", arena).text == "");
}

TEST_CASE("lexer: punctuation and operators", "[lexer]") {
    CHECK(kinds("( ) [ ] { } , ; : :: . .. ... | || -> => := << >> <- <= = == /= =< < >= > "
                "=:= =/= + - * / ++ -- ! ? # ?=") ==
          "( ) [ ] { } , ; : :: . .. ... | || -> => := << >> <- <= = == /= =< < >= > =:= =/= + - "
          "* / ++ -- ! ? # ?=");
    CHECK(kinds("=<<") == "=< <");
    CHECK(kinds("??X") == "? ? var(X)");
    CHECK(kinds("@ \\ ^ ` ~ & \x7F \xC2\xA1 \xC3\x97 \xC3\xB7") ==
          "other(@) other(\\) other(^) other(`) other(~) other(&) other(\x7F) other(\xC2\xA1) "
          "other(\xC3\x97) other(\xC3\xB7)");
}

TEST_CASE("lexer: dots", "[lexer]") {
    ast::Arena arena;
    lexer::ScanResult r = lexer::scan_file("#r.f X#r.f a.\nb.%c\nc.", arena);
    std::vector<token::Kind> dots;
    for (const token::Token& t : r.tokens) {
        if (t.kind == token::Kind::Dot || t.kind == token::Kind::Period) dots.push_back(t.kind);
    }
    using token::Kind;
    CHECK(dots == std::vector<Kind>{Kind::Period, Kind::Period, Kind::Dot, Kind::Dot, Kind::Dot});
    CHECK(kinds("a.\xC2\xA0"
                "b") == "atom(a) . atom(b)");  // U+00A0 is white space
}

TEST_CASE("lexer: positions", "[lexer]") {
    CHECK(scan_summary("\tab\n  \"x\ny\" Z") == "atom:ab@1:2 string:x\ny@2:3 var:Z@3:4");
    CHECK(scan_summary("\xCE\xBB\xCE\xBB") == "!1:1:illegal character !1:2:illegal character");
    CHECK(scan_summary("'\xC3\xA9\xC3\xA9' x") == "atom:\xC3\xA9\xC3\xA9@1:1 atom:x@1:6");
    CHECK(scan_summary("% comment\n%% more\n x") == "atom:x@3:2");
    CHECK(scan_summary("a\r\nb") == "atom:a@1:1 atom:b@2:1");
}

TEST_CASE("lexer: errors drop the form and resume", "[lexer]") {
    CHECK(kinds("f() -> {a, 37#1, b}.\ng() -> ok.") ==
          "# integer(1) , atom(b) } . atom(g) ( ) -> atom(ok) . !1:12:illegal base '37'");
    CHECK(kinds("x. {2#, 1.0e, b}.") ==
          "atom(x) . , atom(b) } . !1:5:illegal integer !1:9:illegal float");
    CHECK(kinds("0#1") == "# integer(1) !1:1:illegal base '0'");
    CHECK(kinds("f() -> \"\\x{D800}\".\ng() -> 37#1.") ==
          " !1:9:illegal character !1:17:unterminated string starting with \".\\ng() -> 37#1.\"");
    CHECK(kinds("x \"\\xg\" y") ==
          " !1:4:illegal character !1:7:unterminated string "
          "starting with \" y\"");
    CHECK(kinds("'abc") == " !1:1:unterminated atom starting with 'abc'");
    CHECK(kinds("\"0123456789abcdefghij") ==
          " !1:1:unterminated string starting with \"0123456789abcdef\"");
    CHECK(kinds("x \xCE\xBB y") == "atom(y) !1:3:illegal character");
    CHECK(kinds("\"a\xEF\xBF\xBF\" z") ==
          " !1:3:illegal character !1:4:unterminated string starting with \" z\"");
}

TEST_CASE("lexer: atoms and variables longer than 255 characters", "[lexer]") {
    std::string atom(256, 'a');
    CHECK(kinds(atom + " x") == "atom(x) !1:1:illegal atom");
    CHECK(kinds("'" + atom + "' x") == "atom(x) !1:1:illegal atom");
    CHECK(kinds("V" + atom + " x") == "atom(x) !1:1:illegal var");
    CHECK(kinds(std::string(255, 'a')) == "atom(" + std::string(255, 'a') + ")");
}

TEST_CASE("lexer: invalid UTF-8", "[lexer]") {
    CHECK(kinds("f() -> x. %% comm\xFF\ng() -> y.\n") ==
          "atom(f) ( ) -> atom(x) . !1:11:cannot translate from UTF-8 "
          "!1:11:cannot parse file, giving up");
    CHECK(kinds("f() -> x. \xFF") == "atom(f) ( ) -> atom(x) . !1:11:cannot parse file, giving up");
    CHECK(kinds("f() -> x.\xFF") ==
          " !1:9:cannot translate from UTF-8 !1:9:cannot parse file, giving up");
    CHECK(kinds("x. g() -> \xFF") ==
          "atom(x) . !1:10:cannot translate from UTF-8 !1:10:cannot parse file, giving up");
    CHECK(kinds("x. g() -> y\xFF") ==
          "atom(x) . !1:11:cannot translate from UTF-8 !1:11:cannot parse file, giving up");
    CHECK(kinds("x. g() -> \"abc\xFF\"") ==
          "atom(x) . !1:15:cannot translate from UTF-8 !1:15:cannot parse file, giving up");
    CHECK(kinds("x.\n\n\n %%\xFF") ==
          "atom(x) . !4:2:cannot translate from UTF-8 !4:2:cannot parse file, giving up");
    CHECK(kinds("x.\n\xED\xA0\x80") == "atom(x) . !2:1:cannot parse file, giving up");
}

TEST_CASE("lexer: coding comment selects latin-1", "[lexer]") {
    CHECK(kinds("%% -*- coding: latin-1 -*-\nx() -> \"\xE9\".") ==
          "atom(x) ( ) -> string(\xC3\xA9) .");
    CHECK(kinds("\n%% coding=Latin-1\n'\xE9'") == "atom(\xC3\xA9)");
    CHECK(lexer::declares_latin1("%% coding: latin-1") == true);
    CHECK(lexer::declares_latin1("%% coding: utf-8") == false);
    CHECK(lexer::declares_latin1("%% coding: latin1") == false);  // epp wants latin-1
    CHECK(lexer::declares_latin1("\n\n%% coding: latin-1") == false);
    CHECK(lexer::declares_latin1("coding: latin-1") == false);  // not in a comment
}

TEST_CASE("lexer: io_lib quoting", "[lexer]") {
    CHECK(lexer::write_atom("ok") == "ok");
    CHECK(lexer::write_atom("Ok") == "'Ok'");
    CHECK(lexer::write_atom("a b") == "'a b'");
    CHECK(lexer::write_atom("case") == "'case'");
    CHECK(lexer::write_atom("") == "''");
    CHECK(lexer::write_atom("it's") == "'it\\'s'");
    CHECK(lexer::write_string("a\"b\n\x01\x7F\\") == "\"a\\\"b\\n\\001\\d\\\\\"");
    CHECK(lexer::write_char('a') == "$a");
    CHECK(lexer::write_char(' ') == "$\\s");
    CHECK(lexer::write_char('\n') == "$\\n");
}

TEST_CASE("lexer: any bytes scan without crashing", "[lexer]") {
    std::string bytes;
    uint32_t state = 12345;
    for (int round = 0; round < 200; ++round) {
        bytes.clear();
        for (int i = 0; i < 300; ++i) {
            state = state * 1103515245 + 12345;
            bytes += static_cast<char>((state >> 16) & 0xFF);
        }
        ast::Arena arena;
        lexer::ScanResult r = lexer::scan_file(bytes, arena);
        CHECK(r.tokens.back().kind == token::Kind::Eof);
    }
    for (const char* source : {"", "$", "\"", "'", "\\", "1#", "16#", "1.", "1.0e+", "\"\\x{",
                               "\"\\x{41", "$\\x", "$\\^", "%", ".", "..", "\0\0"}) {
        ast::Arena arena;
        CHECK(lexer::scan_file(source, arena).tokens.back().kind == token::Kind::Eof);
    }
}

// Not a test: prints the scan of the file named by $LEXER_DUMP in the format
// of tests/tools/erl_scan_dump.escript, to compare with erl_scan.
TEST_CASE("lexer: dump", "[.dump]") {
    const char* path = std::getenv("LEXER_DUMP");
    REQUIRE(path != nullptr);
    std::FILE* file = std::fopen(path, "rb");
    REQUIRE(file != nullptr);
    std::string source;
    char buffer[65536];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;)
        source.append(buffer, n);
    std::fclose(file);
    ast::Arena arena;
    lexer::ScanResult result = lexer::scan_file(source, arena);
    auto code_points = [](std::string_view text) {
        std::string out;
        for (size_t i = 0; i < text.size();) {
            auto lead = static_cast<unsigned char>(text[i]);
            int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            uint32_t c = length == 1 ? lead : lead & (0xFF >> (length + 1));
            for (int k = 1; k < length; ++k)
                c = (c << 6) | (text[i + k] & 0x3F);
            i += length;
            if (!out.empty()) out += ',';
            out += std::to_string(c);
        }
        return out;
    };
    size_t next_error = 0;
    auto flush = [&](size_t index) {
        for (; next_error < result.errors.size() && result.errors[next_error].before_token <= index;
             ++next_error) {
            const lexer::ScanError& e = result.errors[next_error];
            fmt::print("ERR {}:{} {}\n", e.pos.line, e.pos.column, e.message);
        }
    };
    for (size_t i = 0; i < result.tokens.size(); ++i) {
        flush(i);
        const token::Token& tok = result.tokens[i];
        std::string pos = fmt::format("{}:{}", tok.pos.line, tok.pos.column);
        switch (tok.kind) {
            case token::Kind::Eof:
                break;
            case token::Kind::Atom:
                fmt::print("{} atom {}\n", pos, code_points(tok.text));
                break;
            case token::Kind::Var:
                fmt::print("{} var {}\n", pos, tok.text);
                break;
            case token::Kind::String:
                fmt::print("{} string {}\n", pos, code_points(tok.text));
                break;
            case token::Kind::Char:
                fmt::print("{} char {}\n", pos, tok.int_value);
                break;
            case token::Kind::Integer:
                if (tok.is_big) {
                    fmt::print("{} integer {}\n", pos, tok.text);
                } else {
                    fmt::print("{} integer {}\n", pos, tok.int_value);
                }
                break;
            case token::Kind::Float:
                fmt::print("{} float {}\n", pos, std::bit_cast<uint64_t>(tok.float_value));
                break;
            case token::Kind::Dot:
                fmt::print("{} dot\n", pos);
                break;
            case token::Kind::Period:
                fmt::print("{} .\n", pos);
                break;
            case token::Kind::Other:
                fmt::print("{} {}\n", pos, tok.text);
                break;
            default:
                fmt::print("{} {}\n", pos, token::spelling(tok.kind));
                break;
        }
    }
    flush(result.tokens.size());
}
