// token: spellings of token kinds, the reserved-word table, and how tokens
// are named in syntax errors.
#include "compiler/token.h"

#include <fmt/core.h>

#include <array>
#include <charconv>
#include <cstdlib>

namespace token {

namespace {
constexpr std::string_view kSpellings[] = {
#define BEAMLITE_TOKEN_SPELLING(name, spelling) spelling,
    BEAMLITE_TOKENS(BEAMLITE_TOKEN_SPELLING)
#undef BEAMLITE_TOKEN_SPELLING
};
constexpr std::string_view kLiteralNames[] = {"atom", "var",    "integer",    "float",
                                              "char", "string", "end_of_file"};
}  // namespace

std::string_view spelling(Kind kind) {
    auto index = static_cast<size_t>(kind);
    if (index <= static_cast<size_t>(Kind::Eof)) return kLiteralNames[index];
    return kSpellings[index];
}

// Reserved words are 2 to 7 lowercase letters. The lexer asks for every
// atom, so the words are bucketed by first letter: an atom is compared with
// at most the few reserved words sharing its first letter and length.
namespace {

constexpr size_t kFirstKeyword = static_cast<size_t>(Kind::KwAfter);
constexpr size_t kLastKeyword = static_cast<size_t>(Kind::KwXor);

// For each letter, the reserved words starting with it, as a bit set over
// their offsets from kFirstKeyword (there are fewer than 32).
struct KeywordBuckets {
    std::array<uint32_t, 26> by_letter{};
    constexpr KeywordBuckets() {
        for (size_t i = kFirstKeyword; i <= kLastKeyword; ++i) {
            by_letter[static_cast<size_t>(kSpellings[i][0] - 'a')] |= uint32_t{1}
                                                                      << (i - kFirstKeyword);
        }
    }
};
constexpr KeywordBuckets kKeywordBuckets;
static_assert(kLastKeyword - kFirstKeyword < 32);

}  // namespace

Kind keyword(std::string_view word) {
    if (word.size() < 2 || word.size() > 7 || word[0] < 'a' || word[0] > 'z') return Kind::Atom;
    uint32_t candidates = kKeywordBuckets.by_letter[static_cast<size_t>(word[0] - 'a')];
    while (candidates != 0) {
        size_t i = kFirstKeyword + static_cast<size_t>(__builtin_ctz(candidates));
        candidates &= candidates - 1;
        if (kSpellings[i] == word) return static_cast<Kind>(i);
    }
    return Kind::Atom;
}

namespace {

// ---- erl_parse's token formatting (yecctoken2string/1) ----

// Appends the UTF-8 encoding of the next code point of `text` at `i` and
// returns it. Invalid bytes are taken one at a time.
uint32_t next_code_point(std::string_view text, size_t& i) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    if (byte < 0x80 || i + length > text.size()) {
        ++i;
        return byte;
    }
    uint32_t cp = byte & (0x7F >> length);
    for (size_t k = 1; k < length; ++k)
        cp = (cp << 6) | (text[i + k] & 0x3F);
    i += length;
    return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// One character inside a quoted atom or string, escaped as io_lib does:
// the usual backslash letters, other control characters in octal.
void append_escaped(std::string& out, uint32_t cp, char quote) {
    switch (cp) {
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        case '\v':
            out += "\\v";
            return;
        case '\b':
            out += "\\b";
            return;
        case '\f':
            out += "\\f";
            return;
        case 27:
            out += "\\e";
            return;
        case 127:
            out += "\\d";
            return;
        case '\\':
            out += "\\\\";
            return;
        default:
            break;
    }
    if (cp == static_cast<uint32_t>(quote)) {
        out += '\\';
        out += quote;
    } else if (cp < 32) {
        out += fmt::format("\\{:03o}", cp);
    } else {
        append_utf8(out, cp);
    }
}

std::string quoted(std::string_view text, char quote) {
    std::string out(1, quote);
    for (size_t i = 0; i < text.size();)
        append_escaped(out, next_code_point(text, i), quote);
    out += quote;
    return out;
}

// Latin-1 letters as erl_scan classifies them.
bool is_lower(uint32_t cp) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 0xDF && cp <= 0xFF && cp != 0xF7);
}
bool is_upper(uint32_t cp) {
    return (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7);
}
bool is_name_char(uint32_t cp) {
    return is_lower(cp) || is_upper(cp) || (cp >= '0' && cp <= '9') || cp == '_' || cp == '@';
}

// io_lib:write_atom/1: bare when it reads back as the same atom.
std::string write_atom(std::string_view name) {
    bool bare = !name.empty() && keyword(name) == Kind::Atom;
    for (size_t i = 0; bare && i < name.size();) {
        bool first = i == 0;
        uint32_t cp = next_code_point(name, i);
        bare = first ? is_lower(cp) : is_name_char(cp);
    }
    return bare ? std::string(name) : quoted(name, '\'');
}

// io_lib:write_char/1: `$a`, `$\n`, `$\s` for space.
std::string write_char(uint32_t cp) {
    if (cp == ' ') return "$\\s";
    std::string out = "$";
    append_escaped(out, cp, '\0');
    return out;
}

// io_lib:write/1 of a float: the shortest digits that read back, in fixed
// or exponent notation, whichever is shorter (fixed on a tie).
std::string write_float(double value) {
    if (value == 0.0) return "0.0";
    char buf[64];
    auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    std::string_view sci(buf, result.ptr - buf);  // d.ddde[+-]XX
    size_t e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e)) {
        if (c >= '0' && c <= '9') digits += c;
    }
    int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
    int place = exponent + 1;  // value = 0.digits * 10^place
    int length = static_cast<int>(digits.size());
    std::string fixed;
    if (place <= 0) {
        fixed = "0." + std::string(-place, '0') + digits;
    } else if (place < length) {
        fixed = digits.substr(0, place) + "." + digits.substr(place);
    } else {
        fixed = digits + std::string(place - length, '0') + ".0";
    }
    std::string mantissa = digits.substr(0, 1) + "." + (length > 1 ? digits.substr(1) : "0");
    std::string exp_form = mantissa + "e" + std::to_string(exponent);
    return exp_form.size() < fixed.size() ? exp_form : fixed;
}

}  // namespace

std::string describe(const Token& tok) {
    switch (tok.kind) {
        case Kind::Atom:
            return write_atom(tok.text);
        case Kind::Var:
            return std::string(tok.text);
        case Kind::String:
            return quoted(tok.text, '"');
        case Kind::Integer:
            return tok.is_big ? std::string(tok.text) : std::to_string(tok.int_value);
        case Kind::Float:
            return write_float(tok.float_value);
        case Kind::Char:
            return write_char(static_cast<uint32_t>(tok.int_value));
        case Kind::Eof:
            return "";
        // Punctuation and keywords; a lexer may also pass an unknown
        // character as a token of its own (erl_scan does), named by its text.
        default:
            return write_atom(tok.text.empty() ? spelling(tok.kind) : tok.text);
    }
}

}  // namespace token
