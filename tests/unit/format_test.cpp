// format: io_lib:format/2, io_lib:write/2 and io_lib_pretty:print/2.
//
// Most cases are rows of (control string, arguments as Erlang text, expected
// output). The expected strings were produced by Erlang/OTP 25 itself:
// io_lib:format(Format, Args) on the same text parsed by erl_parse, printed as
// C++ literals of its UTF-8 encoding; "BADARG" marks a badarg. The
// arguments are parsed here by a small reader of Erlang term syntax that
// builds the terms in an arena, the way a process heap holds them.
#include <gmp.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "vm/atom.h"
#include "vm/format.h"
#include "vm/term.h"

using namespace term;

namespace {

// A bump arena standing in for a process heap.
struct Arena {
    explicit Arena(size_t size = size_t(1) << 22) : words(size) {}
    std::vector<Term> words;
    size_t used = 0;
    Term* take(size_t n) {
        Term* p = words.data() + used;
        used += n;
        if (used > words.size()) FAIL("arena full");
        return p;
    }
    Term cons(Term head, Term tail) { return make_cons(take(kConsWords), head, tail); }
    Term list(const std::vector<Term>& elements, Term tail = kNil) {
        for (size_t i = elements.size(); i-- > 0;)
            tail = cons(elements[i], tail);
        return tail;
    }
    Term tuple(const std::vector<Term>& elements) {
        Term t = make_tuple(take(tuple_words(elements.size())), elements.size());
        std::copy(elements.begin(), elements.end(), tuple_elements(t));
        return t;
    }
    Term bin(const std::string& bytes) {
        return make_heap_bin(take(heap_bin_words(bytes.size())), bytes.data(), bytes.size());
    }
    Term atom(std::string_view name) { return make_atom(atom::intern(name)); }
};

// Reads Erlang term syntax: integers (any size), floats, atoms, strings,
// $c, lists, tuples, maps and binaries (<<"text">>, <<1,2:4>>,
// <<"é"/utf8>>). Enough for test data; not a full parser.
class Reader {
  public:
    Reader(Arena& arena, std::string_view text) : arena_(arena), text_(text) {}

    Term read() {
        skip_space();
        char c = peek();
        if (c == '[') return read_list();
        if (c == '{') return read_tuple();
        if (c == '#') return read_map();
        if (c == '<') return read_binary();
        if (c == '"') return read_string_list();
        if (c == '\'') return arena_.atom(read_quoted('\''));
        if (c == '$') {
            ++pos_;
            return make_small(read_char());
        }
        if (c == '-' || (c >= '0' && c <= '9')) return read_number();
        return read_atom();
    }

  private:
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n'))
            ++pos_;
    }
    void expect(char c) {
        skip_space();
        REQUIRE(peek() == c);
        ++pos_;
    }
    bool accept(char c) {
        skip_space();
        if (peek() != c) return false;
        ++pos_;
        return true;
    }
    bool accept(std::string_view word) {
        skip_space();
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    // One character of a string or char literal: UTF-8 or an escape.
    int64_t read_char() {
        unsigned char c = static_cast<unsigned char>(text_[pos_++]);
        if (c == '\\') {
            char e = text_[pos_++];
            switch (e) {
                case 'n':
                    return '\n';
                case 't':
                    return '\t';
                case 'r':
                    return '\r';
                case 'e':
                    return 27;
                case 'b':
                    return 8;
                case 'f':
                    return 12;
                case 'v':
                    return 11;
                case 'd':
                    return 127;
                case 's':
                    return ' ';
                default:
                    if (e >= '0' && e <= '7') {
                        int64_t v = e - '0';
                        for (int k = 0; k < 2 && peek() >= '0' && peek() <= '7'; ++k)
                            v = v * 8 + (text_[pos_++] - '0');
                        return v;
                    }
                    return e;
            }
        }
        if (c < 0x80) return c;
        int extra = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        int64_t v = c & (0x3F >> extra);
        for (int k = 0; k < extra; ++k)
            v = v << 6 | (text_[pos_++] & 0x3F);
        return v;
    }
    std::vector<int64_t> read_chars(char quote) {
        expect(quote);
        std::vector<int64_t> chars;
        while (peek() != quote)
            chars.push_back(read_char());
        ++pos_;
        return chars;
    }
    static std::string utf8(const std::vector<int64_t>& chars) {
        std::string s;
        for (int64_t c : chars) {
            if (c < 0x80) {
                s += char(c);
            } else if (c < 0x800) {
                s += char(0xC0 | c >> 6);
                s += char(0x80 | (c & 0x3F));
            } else {
                s += char(0xE0 | c >> 12);
                s += char(0x80 | (c >> 6 & 0x3F));
                s += char(0x80 | (c & 0x3F));
            }
        }
        return s;
    }
    std::string read_quoted(char quote) { return utf8(read_chars(quote)); }
    Term read_string_list() {
        std::vector<Term> elements;
        for (int64_t c : read_chars('"'))
            elements.push_back(make_small(c));
        return arena_.list(elements);
    }
    Term read_atom() {
        size_t start = pos_;
        auto name_byte = [](unsigned char c) {
            return isalnum(c) || c == '_' || c == '@' || c >= 0x80;
        };
        while (pos_ < text_.size() && name_byte(static_cast<unsigned char>(text_[pos_])))
            ++pos_;
        REQUIRE(pos_ > start);
        return arena_.atom(text_.substr(start, pos_ - start));
    }
    Term read_number() {
        size_t start = pos_;
        if (peek() == '-') ++pos_;
        bool is_float = false;
        while (pos_ < text_.size() &&
               (isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
                text_[pos_] == 'e' || (is_float && (text_[pos_] == '-' || text_[pos_] == '+')))) {
            if (text_[pos_] == '.' || text_[pos_] == 'e') is_float = true;
            ++pos_;
        }
        std::string digits(text_.substr(start, pos_ - start));
        if (is_float)
            return make_float(arena_.take(kFloatWords), std::strtod(digits.c_str(), nullptr));
        mpz_t z;
        mpz_init_set_str(z, digits.c_str(), 10);
        size_t n = mpz_size(z);
        std::vector<Limb> limbs(n + 1, 0);
        for (size_t i = 0; i < n; ++i)
            limbs[i] = mpz_getlimbn(z, mp_size_t(i));
        Term t = make_bignum(arena_.take(bignum_words(n + 1)), mpz_sgn(z) < 0, limbs.data(), n);
        mpz_clear(z);
        return t;
    }
    Term read_list() {
        expect('[');
        std::vector<Term> elements;
        Term tail = kNil;
        if (accept(']')) return kNil;
        do {
            elements.push_back(read());
        } while (accept(','));
        if (accept('|')) tail = read();
        expect(']');
        return arena_.list(elements, tail);
    }
    Term read_tuple() {
        expect('{');
        std::vector<Term> elements;
        if (!accept('}')) {
            do {
                elements.push_back(read());
            } while (accept(','));
            expect('}');
        }
        return arena_.tuple(elements);
    }
    Term read_map() {
        expect('#');
        expect('{');
        std::vector<Term> keys, values;
        if (!accept('}')) {
            do {
                keys.push_back(read());
                REQUIRE(accept("=>"));
                values.push_back(read());
            } while (accept(','));
            expect('}');
        }
        return make_flat_map(arena_.take(flat_map_words(keys.size())), keys.data(), values.data(),
                             keys.size());
    }
    // <<Segment, ...>>: "text", "text"/utf8, Int, Int:Bits.
    Term read_binary() {
        REQUIRE(accept("<<"));
        std::vector<uint8_t> bytes;
        uint64_t bits = 0;  // bits used in the last byte when not whole
        auto put_bits = [&](uint64_t value, uint64_t size) {
            for (uint64_t i = size; i-- > 0;) {
                if (bits % 8 == 0) bytes.push_back(0);
                if (value >> i & 1) bytes.back() |= uint8_t(0x80 >> (bits % 8));
                ++bits;
            }
        };
        if (!accept(">>")) {
            do {
                skip_space();
                if (peek() == '"') {
                    std::vector<int64_t> chars = read_chars('"');
                    bool as_utf8 = accept("/utf8");
                    for (unsigned char b : as_utf8 ? utf8(chars) : std::string())
                        put_bits(b, 8);
                    if (!as_utf8) {
                        for (int64_t c : chars)
                            put_bits(uint64_t(c) & 0xFF, 8);
                    }
                } else {
                    Term v = read_number();
                    uint64_t size = accept(':') ? uint64_t(small_value(read_number())) : 8;
                    put_bits(uint64_t(small_value(v)), size);
                }
            } while (accept(','));
            REQUIRE(accept(">>"));
        }
        std::string whole(bytes.begin(), bytes.end());
        Term bin = arena_.bin(whole);
        if (bits % 8 == 0) return bin;
        return make_sub_bin(arena_.take(kSubBinWords), bin, 0, bits);
    }

    Arena& arena_;
    std::string_view text_;
    size_t pos_ = 0;
};

Arena& arena() {
    static Arena* shared = new Arena;
    return *shared;
}

Term parse(std::string_view text) {
    return Reader(arena(), text).read();
}

// io_lib:format(Control, Args) with Args given as Erlang text.
std::string fmt(std::string_view control, std::string_view args) {
    std::string out;
    if (format::format(out, control, parse(args)) != format::Status::kOk) return "BADARG";
    return out;
}

struct Case {
    const char* control;
    const char* args;
    const char* expected;
};

void check_cases(const Case* cases, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        INFO("io_lib:format(\"" << cases[i].control << "\", " << cases[i].args << ")");
        CHECK(fmt(cases[i].control, cases[i].args) == cases[i].expected);
    }
}

}  // namespace

// BEGIN GENERATED CASES
TEST_CASE("format: literal text, ~~ and ~n", "[format]") {
    static const Case cases[] = {
        {"hello", "[]", "hello"}, {"a~~b", "[]", "a~b"},   {"~5~", "[]", "~~~~~"},
        {"~n", "[]", "\n"},       {"~3n", "[]", "\n\n\n"}, {"~-3n", "[]", "BADARG"},
        {"x~ny", "[]", "x\ny"},   {"~", "[]", "BADARG"},   {"~q", "[x]", "BADARG"},
        {"abc", "[x]", "BADARG"}, {"~w", "[]", "BADARG"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: ~c", "[format]") {
    static const Case cases[] = {
        {"~c", "[$a]", "a"},
        {"~5c", "[$a]", "aaaaa"},
        {"~.3c", "[$x]", "xxx"},
        {"~5.3c|", "[$x]", "  xxx|"},
        {"~-5.3c|", "[$x]", "xxx  |"},
        {"~5.3.*c|", "[$-, $x]", "--xxx|"},
        {"~3.5c", "[$x]", "BADARG"},
        {"~c", "[353]", "a"},
        {"~c", "[-1]", "\303\277"},
        {"~tc", "[1000]", "\317\250"},
        {"~c", "[1000]", "\303\250"},
        {"~c", "[a]", "BADARG"},
        {"~c", "[300000000000000000000001]", "\001"},
        {"~c", "[-300000000000000000000001]", "\303\277"},
        {"~0c|", "[$a]", "|"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: ~s", "[format]") {
    static const Case cases[] = {
        {"~s", "[\"abc\"]", "abc"},
        {"~s", "[abc]", "abc"},
        {"~s", "['hello world']", "hello world"},
        {"~s", "[<<\"bin\">>]", "bin"},
        {"~s", "[[$a|<<\"b\">>]]", "ab"},
        {"~s", "[[[$a,[$b]],<<\"cd\">>]]", "abcd"},
        {"~s", "[[]]", ""},
        {"~s", "[1]", "BADARG"},
        {"~s", "[['a']]", "BADARG"},
        {"~s", "[[1000]]", "BADARG"},
        {"~ts", "[[1000]]", "\317\250"},
        {"~ts", "[<<\"\303\251\"/utf8>>]", "\303\251"},
        {"~s", "[<<\"\303\251\"/utf8>>]", "\303\203\302\251"},
        {"~ts", "[<<233>>]", "\303\251"},
        {"~ts", "[[1000,<<\"\303\251\"/utf8>>]]", "\317\250\303\251"},
        {"~s", "[\"\303\251\"]", "\303\251"},
        {"~ts", "['\304\211']", "\304\211"},
        {"~s", "['\304\211']", "BADARG"},
        {"~10s|", "[\"abc\"]", "       abc|"},
        {"~-10s|", "[\"abc\"]", "abc       |"},
        {"~.5s|", "[\"abcdefgh\"]", "abcde|"},
        {"~.5s|", "[\"ab\"]", "ab   |"},
        {"~10.5s|", "[\"abcdefgh\"]", "     abcde|"},
        {"~-10.5s|", "[\"abcdefgh\"]", "abcde     |"},
        {"~10.5s|", "[\"ab\"]", "     ab   |"},
        {"~10.5.-s|", "[\"ab\"]", "-----ab---|"},
        {"~5.5s|", "[\"abcdefgh\"]", "abcde|"},
        {"~2s|", "[\"abcdefgh\"]", "ab|"},
        {"~5.10s|", "[\"abc\"]", "BADARG"},
        {"~*.*.*s|", "[10,3,$-,\"abcdef\"]", "-------abc|"},
        {"~-*s|", "[5,\"ab\"]", "ab   |"},
        {"~*s|", "[-5,\"ab\"]", "ab   |"},
        {"~.*s|", "[-1,\"ab\"]", "BADARG"},
        {"~10.x s|", "[\"ab\"]", "BADARG"},
        {"~10..s|", "[\"ab\"]", "BADARG"},
        {"~s", "[<<1:3>>]", "BADARG"},
        {"~s", "[{a}]", "BADARG"},
        {"~ls", "[\"abc\"]", "abc"},
        {"~s", "[[$a|b]]", "BADARG"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: ~w and ~W", "[format]") {
    static const Case cases[] = {
        {"~w", "[abc]", "abc"},
        {"~w", "[[1,2,3]]", "[1,2,3]"},
        {"~w", "[\"abc\"]", "[97,98,99]"},
        {"~w", "[{a,\"b\",<<\"c\">>,1.5,-7}]", "{a,[98],<<99>>,1.5,-7}"},
        {"~w", "[[a|b]]", "[a|b]"},
        {"~w", "[#{a => 1, b => [x]}]", "#{a => 1,b => [x]}"},
        {"~w", "[<<1,2,3:4>>]", "<<1,2,3:4>>"},
        {"~w", "['hello world']", "'hello world'"},
        {"~w", "['\303\251']", "\303\251"},
        {"~w", "['\304\211']", "'\\x{109}'"},
        {"~tw", "['\304\211']", "'\304\211'"},
        {"~w", "[1.0e100]", "1.0e100"},
        {"~w", "[123456789012345678901234567890]", "123456789012345678901234567890"},
        {"~w", "[-123456789012345678901234567890]", "-123456789012345678901234567890"},
        {"~5w|", "[abcdefg]", "*****|"},
        {"~.3w|", "[abcdefg]", "***|"},
        {"~10.3w|", "[abcdefg]", "       ***|"},
        {"~-10w|", "[abc]", "abc       |"},
        {"~10w|", "[abc]", "       abc|"},
        {"~10.5.*w|", "[$., abc]", ".......abc|"},
        {"~W", "[[1,2,3,4,5],3]", "[1,2|...]"},
        {"~W", "[{a,b,c,d},2]", "{a,...}"},
        {"~W", "[<<1,2,3,4,5>>,3]", "<<1,2,...>>"},
        {"~W", "[#{a=>1,b=>2,c=>3},2]", "#{a => 1,...}"},
        {"~W", "[#{a=>1,b=>#{c=>2}},1]", "#{}"},
        {"~W", "[#{a=>1,b=>#{c=>2}},3]", "#{a => 1,b => #{c => 2,...},...}"},
        {"~W", "[#{a=>1},2]", "#{a => 1,...}"},
        {"~W", "[#{a=>[1,2,3],b=>{x,y,z}},3]", "#{a => [1|...],b => {x,...},...}"},
        {"~W", "[\"abcdef\",3]", "[97,98|...]"},
        {"~W", "[[[1,2],[3,4]],2]", "[[...]|...]"},
        {"~W", "[{a,{b,{c,{d}}}},3]", "{a,{...}}"},
        {"~W", "[x,0]", "..."},
        {"~W", "[[a|b],1]", "[...]"},
        {"~W", "[[a|b],2]", "[a|...]"},
        {"~W", "[[a|b],3]", "[a|b]"},
        {"~W", "[{},1]", "{}"},
        {"~W", "[[],1]", "[]"},
        {"~W", "[<<>>,1]", "<<>>"},
        {"~W", "[<<1,2>>,1]", "<<...>>"},
        {"~W", "[<<1,2>>,2]", "<<1,...>>"},
        {"~W", "[<<1,2>>,3]", "<<1,2>>"},
        {"~W", "[[1,2],-1]", "[1,2]"},
        {"~W", "[[1,2],a]", "BADARG"},
        {"~W", "[[1,2]]", "BADARG"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: ~p simple terms", "[format]") {
    static const Case cases[] = {
        {"~p", "[abc]", "abc"},
        {"~p", "['hello world']", "'hello world'"},
        {"~p", "[[]]", "[]"},
        {"~p", "[{}]", "{}"},
        {"~p", "[#{}]", "#{}"},
        {"~p", "[<<>>]", "<<>>"},
        {"~p", "[42]", "42"},
        {"~p", "[-42]", "-42"},
        {"~p", "[3.14]", "3.14"},
        {"~p", "[1.0e-10]", "1.0e-10"},
        {"~p", "[\"hello\"]", "\"hello\""},
        {"~p", "[[72,105]]", "\"Hi\""},
        {"~p", "[\"a\\\"b\\\\c\"]", "\"a\\\"b\\\\c\""},
        {"~p", "[\"tab\\there\\nnew\"]", "\"tab\\there\\nnew\""},
        {"~p", "[[10,9,8,11,12,13,27]]", "\"\\n\\t\\b\\v\\f\\r\\e\""},
        {"~p", "[[7]]", "[7]"},
        {"~p", "[[127]]", "[127]"},
        {"~p", "[[1,2,3]]", "[1,2,3]"},
        {"~p", "[\"\303\251\"]", "\"\303\251\""},
        {"~p", "[[256]]", "[256]"},
        {"~p", "[[a|b]]", "[a|b]"},
        {"~p", "[[1,2|3]]", "[1,2|3]"},
        {"~p", "[[$a,$b|c]]", "[97,98|c]"},
        {"~p", "[{a,\"b\",<<\"c\">>,1.5,-7}]", "{a,\"b\",<<\"c\">>,1.5,-7}"},
        {"~p", "[#{a => 1, b => \"x\"}]", "#{a => 1,b => \"x\"}"},
        {"~p", "[#{1 => a, 1.0 => b, a => c, \"s\" => d, {t} => e}]",
         "#{1 => a,1.0 => b,a => c,{t} => e,\"s\" => d}"},
        {"~p", "[<<\"abc\">>]", "<<\"abc\">>"},
        {"~p", "[<<1,2,3>>]", "<<1,2,3>>"},
        {"~p", "[<<\"a\\nb\">>]", "<<\"a\\nb\">>"},
        {"~p", "[<<\"\303\251\"/utf8>>]", "<<\"\303\203\302\251\">>"},
        {"~tp", "[<<\"\303\251\"/utf8>>]", "<<\"\303\251\"/utf8>>"},
        {"~tp", "[<<\"\304\211\"/utf8>>]", "<<196,137>>"},
        {"~tp", "[<<\"abc\">>]", "<<\"abc\">>"},
        {"~tp", "[<<47,62,208,163>>]", "<<47,62,208,163>>"},
        {"~tp", "[<<233,97>>]", "<<\"\303\251a\">>"},
        {"~p", "[<<1,2,3:4>>]", "<<1,2,3:4>>"},
        {"~p", "[<<\"ab\",3:4>>]", "<<97,98,3:4>>"},
        {"~p", "['\303\251']", "\303\251"},
        {"~p", "['\304\211']", "'\\x{109}'"},
        {"~tp", "['\304\211']", "'\304\211'"},
        {"~tp", "[[1000,1001]]", "[1000,1001]"},
        {"~lp", "[[65,66]]", "[65,66]"},
        {"~lp", "[<<\"AB\">>]", "<<65,66>>"},
        {"~p", "[[[72,105],[72|105]]]", "[\"Hi\",[72|105]]"},
        {"~p", "[[\"abc\",[]]]", "[\"abc\",[]]"},
        {"~p", "[123456789012345678901234567890]", "123456789012345678901234567890"},
        {"~-p", "[a]", "BADARG"},
        {"~p", "[]", "BADARG"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: ~P depth", "[format]") {
    static const Case cases[] = {
        {"~P", "[[1,2,3,4,5],3]", "[1,2|...]"},
        {"~P", "[{a,b,c,d},2]", "{a,...}"},
        {"~P", "[<<1,2,3,4,5>>,3]", "<<1,2,...>>"},
        {"~P", "[<<\"abcdefghijklmnopq\">>,3]", "<<\"abcdefgh\"...>>"},
        {"~P", "[<<\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\">>,8]",
         "<<\"abcdefghijklmnopqrstuvwxyzab\"...>>"},
        {"~P", "[<<\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\",1,2,3>>,20]",
         "<<\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"...>>"},
        {"~P", "[<<\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\",1,2,3>>,14]",
         "<<\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"...>>"},
        {"~P", "[<<\"abc\",1,2,3>>,3]", "<<\"abc\"...>>"},
        {"~P", "[<<\"abc\",1,2,3>>,2]", "<<\"abc\"...>>"},
        {"~P", "[#{a=>1,b=>2,c=>3},2]", "#{a => 1,...}"},
        {"~P", "[#{a=>1,b=>#{c=>2}},1]", "#{...}"},
        {"~P", "[#{a=>1,b=>#{c=>2}},2]", "#{a => 1,...}"},
        {"~P", "[#{a=>1,b=>#{c=>2}},3]", "#{a => 1,b => #{c => 2}}"},
        {"~P", "[#{a=>[1,2,3],b=>{x,y,z}},3]", "#{a => [1|...],b => {x,...}}"},
        {"~P", "[\"abcdef\",3]", "\"abcdef\""},
        {"~P", "[\"abcdef\",1]", "[...]"},
        {"~P", "[[[1,2],[3,4]],2]", "[[...]|...]"},
        {"~P", "[{a,{b,{c,{d}}}},3]", "{a,{...}}"},
        {"~P", "[x,0]", "..."},
        {"~P", "[[a|b],2]", "[a|...]"},
        {"~P", "[[a,b|c],3]", "[a,b|...]"},
        {"~P", "[[a,b|c],4]", "[a,b|c]"},
        {"~P", "[{a,b},1]", "{...}"},
        {"~P", "[[x],1]", "[...]"},
        {"~P", "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],10]",
         "[1,2,3,4,5,6,7,8,9|...]"},
        {"~P", "[[1,2],-1]", "[1,2]"},
        {"~tP", "[<<\"\303\251\303\251\"/utf8>>,2]", "<<\"\303\251\303\251\"/utf8>>"},
        {"~tP", "[<<\"a\303\251\303\251\"/utf8>>,2]", "<<\"a\303\251\303\251\"/utf8>>"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: ~p line breaking", "[format]") {
    static const Case cases[] = {
        {"~p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n "
         "29,30,31,32,33,34,35,36,37,38,39,40]"},
        {"~p", "[[{a,1},{b,2},{c,3},{dddddddddddddddddddd,4},{eeeeeeeeeeeeeeeeeeeee,5},{f,6}]]",
         "[{a,1},{b,2},{c,3},{dddddddddddddddddddd,4},{eeeeeeeeeeeeeeeeeeeee,5},{f,6}]"},
        {"~p",
         "[[{a,1},{b,2},{c,3},{dddddddddddddddddddd,4},{eeeeeeeeeeeeeeeeeeeee,5},{ffffffffff,6}]]",
         "[{a,1},\n {b,2},\n {c,3},\n {dddddddddddddddddddd,4},\n {eeeeeeeeeeeeeeeeeeeee,5},\n "
         "{ffffffffff,6}]"},
        {"~p",
         "[[\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\","
         "\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\","
         "\"abc\",\"abc\",\"abc\"]]",
         "[\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\","
         "\"abc\",\n "
         "\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\",\"abc\","
         "\"abc\"]"},
        {"~p",
         "[{tag,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30],"
         "[x,y,z],{nested,{deeper,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}}}]",
         "{tag,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,\n      "
         "28,29,30],\n     [x,y,z],\n     "
         "{nested,{deeper,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}}}"},
        {"~p",
         "[#{a=>[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30],"
         "b=>{x,y},c=>\"hello\"}]",
         "#{a =>\n      [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,\n   "
         "    27,28,29,30],\n  b => {x,y},\n  c => \"hello\"}"},
        {"~p",
         "[#{aaaaaaaaaaaaaaa=>1,bbbbbbbbbbbbbbbbbbbbbb=>2,cccccccccccccccccc=>3,ddddddddddddddd=>4,"
         "eeeeeeeeee=>5}]",
         "#{aaaaaaaaaaaaaaa => 1,bbbbbbbbbbbbbbbbbbbbbb => 2,cccccccccccccccccc => 3,\n  "
         "ddddddddddddddd => 4,eeeeeeeeee => 5}"},
        {"~p", "[#{{key,1}=>{value,1},{key,2}=>{value,2},{key,3}=>{value,3},{key,4}=>{value,4}}]",
         "#{{key,1} => {value,1},\n  {key,2} => {value,2},\n  {key,3} => {value,3},\n  {key,4} => "
         "{value,4}}"},
        {"~p",
         "[<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,"
         "32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60>>"
         "]",
         "<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n  "
         "29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,\n  "
         "54,55,56,57,58,59,60>>"},
        {"~p",
         "[<<"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaa\">>]",
         "<<"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaa\">>"},
        {"~p",
         "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaa\"]",
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaa\""},
        {"~p",
         "[[{record_name,field_one,field_two,\"some string "
         "value\"},{record_name,field_one,field_two,\"some string value\"}]]",
         "[{record_name,field_one,field_two,\"some string value\"},\n "
         "{record_name,field_one,field_two,\"some string value\"}]"},
        {"~p",
         "[{a,{b,{c,{d,{e,{f,{g,{h,{i,{j,{k,{l,{m,{n,{o,{p,{q,{r,{s,{t,{u,{v,{w,{x,{y,{z,{aa,{bb,{"
         "cc,{dd,{ee}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}]",
         "{a,\n {b,\n  {c,\n   {d,\n    {e,\n     {f,\n      {g,\n       {h,\n        {i,\n        "
         " {j,\n          {k,\n           {l,\n            {m,\n             {n,\n              "
         "{o,\n               {p,\n                {q,\n                 {r,\n                  "
         "{s,\n                   {t,\n                    {u,\n                     {v,\n         "
         "             {w,\n                       {x,\n                        {y,\n              "
         "           {z,{aa,{bb,{cc,{dd,{ee}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}"},
        {"~p",
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,"
         "19,20]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,\n           "
         "                                15,16,17,18,19,\n                                        "
         "   20]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"},
        {"~p",
         "[[a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p|"
         "tail]]",
         "[a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,a,b,c,d,e,f,g,h,i,j,k,l,\n "
         "m,n,o,p|tail]"},
        {"~p",
         "[[a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p|{"
         "tail,tuple}]]",
         "[a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,a,b,c,d,e,f,g,h,i,j,k,l,\n "
         "m,n,o,p|\n {tail,tuple}]"},
        {"~p",
         "[[{very_long_tag_name_here_xxxxxxxxxxxxxxxxxxxxxxxxxx,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
         "15,16,17,18,19,20,21,22,23,24,25]}]]",
         "[{very_long_tag_name_here_xxxxxxxxxxxxxxxxxxxxxxxxxx,\n     "
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]}]"},
        {"~p",
         "[{very_long_tag_name_here_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,[1,"
         "2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]}]",
         "{very_long_tag_name_here_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,\n   "
         " [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]}"},
        {"~p",
         "[{\"not "
         "tagged\",[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,"
         "30]}]",
         "{\"not tagged\",\n "
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n  29,30]}"},
        {"~p",
         "[{ok,#{name=>\"Joe\",langs=>[erlang,prolog,smalltalk,c,\"a longer string to "
         "wrap\"],age=>40,x=>{1,2}}}]",
         "{ok,#{age => 40,\n      langs => [erlang,prolog,smalltalk,c,\"a longer string to "
         "wrap\"],\n      name => \"Joe\",\n      x => {1,2}}}"},
        {"~p",
         "[[<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30>>,<<"
         "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30>>]]",
         "[<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n   "
         "29,30>>,\n "
         "<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n   "
         "29,30>>]"},
        {"~p",
         "[{<<\"key\">>,<<\"a fairly long binary string value that goes on\">>,<<\"another "
         "binary\">>}]",
         "{<<\"key\">>,<<\"a fairly long binary string value that goes on\">>,\n <<\"another "
         "binary\">>}"},
        {"~p",
         "[[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],[1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
         "15,16,17,18,19,20],[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]]]",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],\n "
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],\n "
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]]"},
        {"~p",
         "[[1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5,9.5,10.5,11.5,12.5,13.5,14.5,15.5,16.5,17.5,18.5,19.5,"
         "20.5]]",
         "[1.5,2.5,3.5,4.5,5.5,6.5,7.5,8.5,9.5,10.5,11.5,12.5,13.5,14.5,15.5,16.5,17.5,\n "
         "18.5,19.5,20.5]"},
        {"~p",
         "[#{a=>#{b=>#{c=>#{d=>[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24]}}}}"
         "]",
         "#{a =>\n      #{b =>\n            #{c =>\n                  #{d =>\n                     "
         "   [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,\n                         "
         "21,22,23,24]}}}}"},
        {"~P",
         "[[{a,1},{b,2},{c,3},{dddddddddddddddddddd,4},{eeeeeeeeeeeeeeeeeeeee,5},{ffffffffff,6}],"
         "4]",
         "[{a,1},{b,...},{...}|...]"},
        {"~P",
         "[{tag,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30],"
         "[x,y,z]},12]",
         "{tag,[1,2,3,4,5,6,7,8,9|...],[x,y,z]}"},
        {"~P",
         "[#{aaaaaaaaaaaaaaa=>1,bbbbbbbbbbbbbbbbbbbbbb=>2,cccccccccccccccccc=>3,ddddddddddddddd=>4,"
         "eeeeeeeeee=>5},4]",
         "#{aaaaaaaaaaaaaaa => 1,bbbbbbbbbbbbbbbbbbbbbb => 2,cccccccccccccccccc => 3,...}"},
        {"~P",
         "[<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,"
         "32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50>>,40]",
         "<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n  "
         "29,30,31,32,33,34,35,36,37,38,39,...>>"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: ~p columns and widths", "[format]") {
    static const Case cases[] = {
        {"abc~p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "abc[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,\n    "
         "28,29,30,31,32,33,34,35,36,37,38,39,40]"},
        {"~w~n~p",
         "[abc,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"
         "31,32,33,34,35,36,37,38,39,40]]",
         "abc\n[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n "
         "29,30,31,32,33,34,35,36,37,38,39,40]"},
        {"\011~p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "\011[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,\n         "
         "27,28,29,30,31,32,33,34,35,36,37,38,39,40]"},
        {"ab\011c~p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "ab\011c[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,\n          "
         "26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]"},
        {"~s~p",
         "[\"\303\251\", "
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "\303\251[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n  "
         "29,30,31,32,33,34,35,36,37,38,39,40]"},
        {"~p~p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40],[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
         "25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]]",
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n "
         "29,30,31,32,33,34,35,36,37,38,39,40][1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,\n           "
         "                           17,18,19,20,21,22,23,24,25,26,27,28,29,\n                     "
         "                 30,31,32,33,34,35,36,37,38,39,40]"},
        {"~30p", "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]]",
         "[1,2,3,4,5,6,7,8,9,10,11,12,\n 13,14,15,16,17,18,19,20]"},
        {"~0p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]"},
        {"~.10p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,\n          "
         "26,27,28,29,30,31,32,33,34,35,36,37,38,39,40]"},
        {"~40.10p",
         "[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
         "33,34,35,36,37,38,39,40]]",
         "[1,2,3,4,5,6,7,8,9,10,11,12,\n          13,14,15,16,17,18,19,20,21,\n          "
         "22,23,24,25,26,27,28,29,30,\n          31,32,33,34,35,36,37,38,39,\n          40]"},
        {"~10p", "[{aaaa,bbbb,cccc}]", "{aaaa,\n    bbbb,\n    cccc}"},
        {"~10p", "[{aaaa,{bbbb,cccc},[dddd,eeee]}]",
         "{aaaa,\n {bbbb,\n  cccc},\n [dddd,\n  eeee]}"},
        {"~p",
         "[[xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]"
         "]",
         "[xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]"},
        {"~5p", "[abcdefghij]", "abcdefghij"},
        {"~5p", "[1234567890]", "1234567890"},
        {"~.3.xp", "[[1,2]]", "[1,2]"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: integers", "[format]") {
    static const Case cases[] = {
        {"~b", "[42]", "42"},
        {"~b", "[-42]", "-42"},
        {"~b", "[0]", "0"},
        {"~.2b", "[10]", "1010"},
        {"~.16b", "[255]", "ff"},
        {"~.16B", "[255]", "FF"},
        {"~.36b", "[35]", "z"},
        {"~.36B", "[123456789]", "21I3V9"},
        {"~.37b", "[1]", "BADARG"},
        {"~.1b", "[1]", "BADARG"},
        {"~.0b", "[1]", "BADARG"},
        {"~b", "[1.0]", "BADARG"},
        {"~b", "[a]", "BADARG"},
        {"~5b|", "[42]", "   42|"},
        {"~-5b|", "[42]", "42   |"},
        {"~5.10.0b|", "[42]", "00042|"},
        {"~1b|", "[42]", "*|"},
        {"~*b|", "[5,42]", "   42|"},
        {"~b", "[123456789012345678901234567890]", "123456789012345678901234567890"},
        {"~.16b", "[-123456789012345678901234567890]", "-18ee90ff6c373e0ee4e3f0ad2"},
        {"~.2B", "[1267650600228229401496703205376]",
         "10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000000000"},
        {"~x", "[255,\"0x\"]", "0x255"},
        {"~X", "[255,\"0x\"]", "0x255"},
        {"~.16x", "[255,\"0x\"]", "0xff"},
        {"~.16X", "[-255,\"0x\"]", "-0xFF"},
        {"~.16x", "[255,'0x']", "0xff"},
        {"~.16x", "[255,[\"0\",[$x]]]", "0xff"},
        {"~.16x", "[255,1]", "BADARG"},
        {"~.16x", "[255]", "BADARG"},
        {"~10.16X|", "[255,\"0x\"]", "      0xFF|"},
        {"~.16#", "[255]", "16#FF"},
        {"~.16#", "[-255]", "-16#FF"},
        {"~#", "[10]", "10#10"},
        {"~.16+", "[255]", "16#ff"},
        {"~+", "[10]", "10#10"},
        {"~.2+", "[5]", "2#101"},
        {"~8.16.0#|", "[255]", "00016#FF|"},
        {"~i", "[anything]", ""},
        {"~i~w", "[a,b]", "b"},
    };
    check_cases(cases, std::size(cases));
}

TEST_CASE("format: floats", "[format]") {
    static const Case cases[] = {
        {"~f", "[3.14159]", "3.141590"},
        {"~f", "[-3.14159]", "-3.141590"},
        {"~f", "[0.0]", "0.000000"},
        {"~f", "[-0.0]", "-0.000000"},
        {"~f", "[1.0e20]", "100000000000000000000.000000"},
        {"~f", "[1.0e-20]", "0.000000"},
        {"~f", "[123456789.123456789]", "123456789.123457"},
        {"~.2f", "[2.675]", "2.67"},
        {"~.1f", "[0.25]", "0.3"},
        {"~.1f", "[0.35]", "0.3"},
        {"~.1f", "[0.05]", "0.1"},
        {"~.1f", "[0.95]", "0.9"},
        {"~.0f", "[1.0]", "BADARG"},
        {"~.3f", "[9.9996]", "10.000"},
        {"~.3f", "[-9.9996]", "-10.000"},
        {"~.30f", "[0.1]", "0.100000000000000005551000000000"},
        {"~.20f", "[1.0e-10]", "0.00000000010000000000"},
        {"~10.3f|", "[3.14159]", "     3.142|"},
        {"~-10.3f|", "[3.14159]", "3.142     |"},
        {"~10.3.0f|", "[3.14159]", "000003.142|"},
        {"~-10.3.0f|", "[3.14159]", "3.14200000|"},
        {"~3f", "[3.14159]", "***"},
        {"~4.2f", "[3.14159]", "3.14"},
        {"~f", "[1]", "BADARG"},
        {"~f", "[a]", "BADARG"},
        {"~e", "[1.0]", "1.00000e+0"},
        {"~e", "[0.0]", "0.00000e+0"},
        {"~e", "[-0.0]", "-0.00000e+0"},
        {"~e", "[123.456]", "1.23456e+2"},
        {"~e", "[-0.000123456]", "-1.23456e-4"},
        {"~e", "[1.0e100]", "1.00000e+100"},
        {"~e", "[1.0e-100]", "1.00000e-100"},
        {"~e", "[9.9999999]", "1.00000e+1"},
        {"~.2e", "[9.96]", "1.0e+1"},
        {"~.3e", "[5.0e-324]", "4.94e-324"},
        {"~.1e", "[1.0]", "BADARG"},
        {"~e", "[1.7976931348623157e308]", "1.79769e+308"},
        {"~15.3e|", "[123.456]", "        1.23e+2|"},
        {"~-15.3e|", "[123.456]", "1.23e+2        |"},
        {"~g", "[1.0]", "1.00000"},
        {"~g", "[0.1]", "0.100000"},
        {"~g", "[0.09]", "9.00000e-2"},
        {"~g", "[0.5]", "0.500000"},
        {"~g", "[123.456]", "123.456"},
        {"~g", "[9999.0]", "9999.00"},
        {"~g", "[10000.0]", "1.00000e+4"},
        {"~g", "[123456.0]", "1.23456e+5"},
        {"~g", "[0.01]", "1.00000e-2"},
        {"~g", "[-1.5]", "-1.50000"},
        {"~.1g", "[0.5]", "0.5"},
        {"~.1g", "[5.0]", "5.0e+0"},
        {"~.2g", "[5.0]", "5.0"},
        {"~.3g", "[123.456]", "1.23e+2"},
        {"~.10g", "[3.14159]", "3.141590000"},
        {"~.0g", "[1.0]", "BADARG"},
        {"~12g|", "[1.0]", "     1.00000|"},
        {"~.20g", "[0.1]", "0.10000000000000000555"},
    };
    check_cases(cases, std::size(cases));
}

// END GENERATED CASES

namespace {

std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}

}  // namespace

// Differential run against a file of random cases made by erl (three hex
// lines each: control, arguments as ~w text, expected output or BADARG).
// Hidden: run with BEAMLITE_FORMAT_CASES=file unit_tests "[.format-diff]".
TEST_CASE("format: differential cases from a file", "[.format-diff]") {
    const char* path = std::getenv("BEAMLITE_FORMAT_CASES");
    REQUIRE(path);
    std::ifstream in(path);
    std::string control, args, expected;
    int failures = 0;
    while (std::getline(in, control) && std::getline(in, args) && std::getline(in, expected)) {
        arena().used = 0;  // each case's terms are dead after it
        INFO("case: " << from_hex(control) << " " << from_hex(args));
        std::string got = fmt(from_hex(control), from_hex(args));
        if (got == from_hex(expected)) continue;
        if (const char* dump = std::getenv("BEAMLITE_FORMAT_DUMP")) {
            std::ofstream(std::string(dump) + ".got") << got;
            std::ofstream(std::string(dump) + ".want") << from_hex(expected);
        }
        if (++failures > 10) continue;
        INFO("io_lib:format(\"" << from_hex(control) << "\", " << from_hex(args) << ")");
        CHECK(got == from_hex(expected));
    }
    CHECK(failures == 0);
}

namespace {

std::string format_term(Term control, Term args) {
    std::string out;
    if (format::format(out, control, args) != format::Status::kOk) return "BADARG";
    return out;
}

// [[[...[X]...]]] nested `depth` times.
Term nested_list(Arena& a, size_t depth, Term inner) {
    Term t = inner;
    for (size_t i = 0; i < depth; ++i)
        t = a.cons(t, kNil);
    return t;
}

}  // namespace

TEST_CASE("format: control strings as lists, binaries and atoms", "[format]") {
    Arena& a = arena();
    Term args = parse("[[1,2]]");
    CHECK(format_term(parse("\"~w!\""), args) == "[1,2]!");
    CHECK(format_term(a.bin("~p\xe9"), args) == "[1,2]\xc3\xa9");  // bytes are Latin-1
    CHECK(format_term(a.atom("x~w"), args) == "x[1,2]");
    CHECK(format_term(parse("[126,116,99]"), parse("[1000]")) == "\xcf\xa8");
    CHECK(format_term(parse("[126,119|x]"), args) == "BADARG");  // improper
    CHECK(format_term(parse("[\"~w\"]"), args) == "BADARG");     // not flat
    CHECK(format_term(parse("{}"), args) == "BADARG");
    CHECK(format_term(parse("\"~w\""), parse("[1|2]")) == "BADARG");  // improper args
    CHECK(format_term(parse("\"~w\""), parse("x")) == "BADARG");
    // A failed call leaves the output as it was.
    std::string out = "kept";
    CHECK(format::format(out, "~w~w", parse("[1]")) == format::Status::kBadArg);
    CHECK(out == "kept");
}

TEST_CASE("format: the starting column moves ~p continuation lines", "[format]") {
    std::string out;
    Term list =
        parse("[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28]]");
    REQUIRE(format::format(out, "~p", list, 10) == format::Status::kOk);
    CHECK(out ==
          "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,\n"
          "           26,27,28]");  // io_lib:format("~.11p", [lists:seq(1, 28)])
    out.clear();
    REQUIRE(format::format(out, "~p", list) == format::Status::kOk);
    CHECK(out.find('\n') == std::string::npos);
}

TEST_CASE("format: very deep terms print without deep C recursion", "[format]") {
    Arena local(size_t(1) << 23);
    const size_t depth = 1000000;
    Term deep = nested_list(local, depth, make_small(7));
    std::string expected = std::string(depth, '[') + "7" + std::string(depth, ']');
    for (const char* control : {"~w", "~p"}) {
        INFO(control);
        std::string out;
        REQUIRE(format::format(out, control, local.list({deep})) == format::Status::kOk);
        CHECK(out == expected);
    }
    std::string out;
    REQUIRE(format::format(out, "~P|~W", local.list({deep, make_small(4), deep, make_small(4)})) ==
            format::Status::kOk);
    CHECK(out == "[[[[...]]]]|[[[[...]]]]");
    // A deep iolist for ~s.
    Term chars = nested_list(local, depth, local.list({make_small('a')}));
    out.clear();
    REQUIRE(format::format(out, "~s", local.list({chars})) == format::Status::kOk);
    CHECK(out == "a");
    // Deep tuples, and a deep right-leaning list that breaks lines.
    Term tuple = make_small(1);
    for (size_t i = 0; i < depth / 4; ++i)
        tuple = local.tuple({tuple});
    out.clear();
    REQUIRE(format::format(out, "~tp", local.list({tuple})) == format::Status::kOk);
    CHECK(out.size() == 2 * (depth / 4) + 1);
    Term leaning = kNil;
    for (size_t i = 0; i < 300; ++i)
        leaning = local.list({local.atom("a"), leaning});
    out.clear();
    REQUIRE(format::format(out, "~p", local.list({leaning})) == format::Status::kOk);
    CHECK(out.substr(0, 12) == "[a,\n [a,\n  [");
}

// A rough speed check: run unit_tests "[.format-bench]" -d yes.
TEST_CASE("format: speed of common calls", "[.format-bench]") {
    Term parse_args = parse("[[{ok,[1,2,3]},#{a => 1.5}],{x,\"y\"},\"hello\",42]");
    Term big = parse(
        "[{tag,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30],"
        "[x,y,z],{nested,{deeper,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}}}]");
    std::string out;
    size_t total = 0;
    for (int i = 0; i < 200000; ++i) {
        out.clear();
        format::format(out, "~p ~w ~s ~b~n", parse_args);
        total += out.size();
    }
    for (int i = 0; i < 50000; ++i) {
        out.clear();
        format::format(out, "~p~n", big);
        total += out.size();
    }
    CHECK(total > 0);
}
