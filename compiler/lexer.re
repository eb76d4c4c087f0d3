// lexer: the Erlang scanner, written to match erl_scan (OTP 25) token for
// token, position for position and error for error.
//
// The re2c block recognises names, numbers, operators, white space and
// comments on the UTF-8 bytes; strings, quoted atoms, characters, based
// integers and escapes are scanned by hand below, because their error
// recovery (where scanning resumes after a bad escape) is procedural in
// erl_scan too. Positions are computed lazily by a cursor that only moves
// forward, counting lines and code points, so scanning stays linear.
//
// Invariant: the text handed to the Scanner is valid UTF-8 up to `limit_`
// and is followed by a NUL byte (re2c's sentinel); a NUL inside the text is
// ordinary white space, as for erl_scan.
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "compiler/lexer.h"

namespace lexer {

using token::Kind;
using token::Pos;
using token::Token;

namespace {

// ---- UTF-8 ----

// Length of the UTF-8 sequence starting with `lead`, 0 for a byte that
// cannot start one.
int sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

// The offset of the first byte that is not part of a valid UTF-8 sequence
// (overlong forms, surrogates and values above U+10FFFF are invalid, as for
// Erlang's unicode module), or text.size().
size_t first_invalid_utf8(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    size_t size = text.size();
    size_t i = 0;
    while (i < size) {
        // Source is mostly ASCII: skip it eight bytes at a time.
        uint64_t word;
        while (i + 8 <= size && (std::memcpy(&word, bytes + i, 8), (word & 0x8080808080808080u) == 0))
            i += 8;
        if (i >= size) break;
        unsigned char lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        int length = sequence_length(lead);
        if (length == 0 || i + length > size) return i;
        unsigned char second = bytes[i + 1];
        unsigned char low = 0x80, high = 0xBF;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // surrogates
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
        if (second < low || second > high) return i;
        for (int k = 2; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80) return i;
        }
        i += length;
    }
    return size;
}

// Decodes the (valid) sequence at `p`; advances `p`.
uint32_t decode(const unsigned char*& p) {
    unsigned char lead = *p++;
    if (lead < 0x80) return lead;
    int length = sequence_length(lead);
    uint32_t value = lead & (0xFF >> (length + 1));
    for (int k = 1; k < length; ++k) value = (value << 6) | (*p++ & 0x3F);
    return value;
}

void append_utf8(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

// erl_scan's ?UNICODE: a code point that may appear in a string.
bool is_unicode(uint32_t c) {
    return c < 0xD800 || (c > 0xDFFF && c < 0xFFFE) || (c > 0xFFFF && c <= 0x10FFFF);
}

bool is_octal(unsigned char c) { return c >= '0' && c <= '7'; }

int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The value of `c` as a digit in `base` (2..36), or -1.
int digit_value(unsigned char c, int base) {
    int value = -1;
    if (c >= '0' && c <= '9') value = c - '0';
    if (c >= 'a' && c <= 'z') value = c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') value = c - 'A' + 10;
    return value < base ? value : -1;
}

// ---- big integers: digits in any base to decimal ----

// Decimal digits of a non-negative integer given by its digit values in
// `base`, most significant first. Schoolbook: the number is kept in limbs of
// 10^18, multiplied by base^k and added to k digits at a time.
std::string to_decimal(const std::vector<uint8_t>& digits, int base) {
    constexpr uint64_t kLimb = 1000000000000000000ULL;
    std::vector<uint64_t> limbs;  // little-endian
    size_t i = 0;
    while (i < digits.size()) {
        uint64_t multiplier = 1, chunk = 0;
        for (; i < digits.size() && multiplier <= UINT64_MAX / 64 / base; ++i) {
            chunk = chunk * base + digits[i];
            multiplier *= base;
        }
        unsigned __int128 carry = chunk;
        for (uint64_t& limb : limbs) {
            unsigned __int128 value = static_cast<unsigned __int128>(limb) * multiplier + carry;
            limb = static_cast<uint64_t>(value % kLimb);
            carry = value / kLimb;
        }
        while (carry != 0) {
            limbs.push_back(static_cast<uint64_t>(carry % kLimb));
            carry /= kLimb;
        }
    }
    if (limbs.empty()) return "0";
    std::string out = fmt::format("{}", limbs.back());
    for (size_t k = limbs.size() - 1; k-- > 0;) out += fmt::format("{:018}", limbs[k]);
    return out;
}

// Numbers longer than this many digits in a base other than 10 are refused
// ("illegal integer"), which keeps scanning time bounded on hostile input.
constexpr size_t kMaxBasedDigits = 100000;

// ---- the scanner ----

class Scanner {
public:
    Scanner(std::string_view text, bool truncated, ast::Arena& arena, ScanResult& out)
        : begin_(reinterpret_cast<const unsigned char*>(text.data())),
          limit_(begin_ + text.size()),
          cursor_(begin_),
          truncated_(truncated),
          arena_(arena),
          out_(out),
          tracked_(begin_),
          form_scan_start_(begin_) {}

    // Scans on to the end of the next form (its Dot) or of the text,
    // appending to the output. Returns false once the text was finished by
    // an earlier call (the output then holds nothing new).
    bool scan_form();

private:
    // Position of `p`. Invariant: calls come with non-decreasing `p`.
    Pos position(const unsigned char* p) {
        for (const void* newline; (newline = std::memchr(tracked_, '\n', p - tracked_)) != nullptr;) {
            ++line_;
            column_ = 1;
            tracked_ = static_cast<const unsigned char*>(newline) + 1;
        }
        for (; tracked_ < p; ++tracked_) column_ += (*tracked_ & 0xC0) != 0x80;
        return {line_, column_};
    }

    std::string_view lexeme() const {
        return {reinterpret_cast<const char*>(start_), static_cast<size_t>(cursor_ - start_)};
    }

    Token& emit(Kind kind, std::string_view text) {
        Token tok;
        tok.kind = kind;
        tok.pos = position(start_);
        tok.text = text;
        out_.tokens.push_back(tok);
        return out_.tokens.back();
    }

    void emit_dot() {
        emit(Kind::Dot, ".");
        form_ended_ = true;
        form_start_index_ = out_.tokens.size();
        form_scan_start_ = cursor_;
    }

    // An erl_scan error at `pos`: the form scanned so far is dropped and
    // scanning resumes at `rest` (nullptr: at the end of the file).
    void error(Pos pos, std::string message, const unsigned char* rest) {
        out_.tokens.resize(form_start_index_);
        out_.errors.push_back({pos, std::move(message), out_.tokens.size(), ErrorKind::Token});
        cursor_ = rest != nullptr ? rest : limit_;
        if (rest == nullptr) stopped_ = true;
        form_scan_start_ = cursor_;
    }

    // Ran into the end of a truncated text (invalid UTF-8 follows) while
    // scanning something that started at `pending`: report as epp does.
    void give_up(const unsigned char* pending) {
        Pos pos = position(pending);
        out_.tokens.resize(form_start_index_);
        if (limit_ > form_scan_start_) {
            out_.errors.push_back({pos, "cannot translate from UTF-8", out_.tokens.size(),
                                   ErrorKind::InvalidUnicode});
        }
        out_.errors.push_back(
            {pos, "cannot parse file, giving up", out_.tokens.size(), ErrorKind::GiveUp});
        stopped_ = true;
        cursor_ = limit_;
    }

    // True when a token that could still grow reached the end of a
    // truncated text; then the scan gives up at the token's start.
    bool hit_truncation() {
        if (!truncated_ || cursor_ < limit_) return false;
        give_up(start_);
        return true;
    }

    void finish();
    void whitespace();
    void comment();
    void name(Kind kind);
    void integer();
    void based_integer();
    void float_number();
    void char_literal();
    void string_literal();
    void quoted_atom();
    void illegal_character();

    struct Escape {
        enum Status : uint8_t { Value, Error, Eof } status;
        uint32_t value;
        const unsigned char* next;
    };
    Escape escape(const unsigned char* p) const;
    // Scans quoted text from cursor_ (after the opening quote) into `value`.
    // Returns false after reporting an error (unterminated, bad escape).
    bool quoted(unsigned char quote, std::string& value, bool& plain);

    const unsigned char* begin_;
    const unsigned char* limit_;
    const unsigned char* cursor_;
    const unsigned char* marker_ = nullptr;
    const unsigned char* start_ = nullptr;
    bool truncated_;
    bool stopped_ = false;    // an error or give-up ended the scan early
    bool form_ended_ = false;  // scan_form() met a Dot
    bool finished_ = false;    // Eof emitted: nothing more to scan
    ast::Arena& arena_;
    ScanResult& out_;

    const unsigned char* tracked_;
    uint32_t line_ = 1;
    uint32_t column_ = 1;

    size_t form_start_index_ = 0;              // first token of the current form
    const unsigned char* form_scan_start_;     // where erl_scan began that form
};

bool Scanner::scan_form() {
    if (finished_) return false;
    form_ended_ = false;
    form_start_index_ = out_.tokens.size();
    while (!stopped_ && !form_ended_) {
        start_ = cursor_;
        /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYCURSOR = cursor_;
        re2c:define:YYMARKER = marker_;
        re2c:define:YYLIMIT = limit_;
        re2c:yyfill:enable = 0;
        re2c:eof = 0;

        lower_l1 = "\xC3" [\x9F-\xB6\xB8-\xBF];
        upper_l1 = "\xC3" [\x80-\x96\x98-\x9E];
        name_l1 = "\xC3" [\x80-\x96\x98-\xB6\xB8-\xBF];
        name_char = [a-zA-Z0-9_@] | name_l1;
        white = [\x00-\x20] | "\xC2" [\x80-\xA0];
        symbol_l1 = "\xC2" [\xA1-\xBF] | "\xC3" [\x97\xB7];
        wide = [\xC4-\xDF][\x80-\xBF] | [\xE0-\xEF][\x80-\xBF]{2}
             | [\xF0-\xF4][\x80-\xBF]{3};
        digits = [0-9]+ ("_" [0-9]+)*;

        $ { finish(); return true; }
        white+ { whitespace(); continue; }
        "%" [^\n]* { comment(); continue; }

        ([a-z] | lower_l1) name_char* { name(Kind::Atom); continue; }
        ([A-Z_] | upper_l1) name_char* { name(Kind::Var); continue; }

        digits { integer(); continue; }
        digits "#" { based_integer(); continue; }
        digits "." digits ([eE] [+-]? digits?)? { float_number(); continue; }

        "$"  { char_literal(); continue; }
        "\"" { string_literal(); continue; }
        "'"  { quoted_atom(); continue; }

        "." white { emit_dot(); continue; }
        "." / "%" { emit_dot(); continue; }
        "." {
            if (cursor_ < limit_) {
                emit(Kind::Period, ".");
            } else if (!hit_truncation()) {
                emit_dot();
            }
            continue;
        }
        ".."  { if (!hit_truncation()) emit(Kind::DotDot, ".."); continue; }
        "..." { emit(Kind::DotDotDot, "..."); continue; }

        "(" { emit(Kind::LParen, "("); continue; }
        ")" { emit(Kind::RParen, ")"); continue; }
        "[" { emit(Kind::LBracket, "["); continue; }
        "]" { emit(Kind::RBracket, "]"); continue; }
        "{" { emit(Kind::LBrace, "{"); continue; }
        "}" { emit(Kind::RBrace, "}"); continue; }
        "," { emit(Kind::Comma, ","); continue; }
        ";" { emit(Kind::Semicolon, ";"); continue; }
        "#" { emit(Kind::Hash, "#"); continue; }
        "*" { emit(Kind::Star, "*"); continue; }
        "!" { emit(Kind::Bang, "!"); continue; }
        ":"   { if (!hit_truncation()) emit(Kind::Colon, ":"); continue; }
        "::"  { emit(Kind::ColonColon, "::"); continue; }
        ":="  { emit(Kind::ColonEq, ":="); continue; }
        "|"   { if (!hit_truncation()) emit(Kind::Pipe, "|"); continue; }
        "||"  { emit(Kind::PipePipe, "||"); continue; }
        "-"   { if (!hit_truncation()) emit(Kind::Minus, "-"); continue; }
        "->"  { emit(Kind::Arrow, "->"); continue; }
        "--"  { emit(Kind::MinusMinus, "--"); continue; }
        "+"   { if (!hit_truncation()) emit(Kind::Plus, "+"); continue; }
        "++"  { emit(Kind::PlusPlus, "++"); continue; }
        "/"   { if (!hit_truncation()) emit(Kind::Slash, "/"); continue; }
        "/="  { emit(Kind::SlashEq, "/="); continue; }
        "<"   { if (!hit_truncation()) emit(Kind::Lt, "<"); continue; }
        "<<"  { emit(Kind::LtLt, "<<"); continue; }
        "<-"  { emit(Kind::LArrow, "<-"); continue; }
        "<="  { emit(Kind::LArrowEq, "<="); continue; }
        ">"   { if (!hit_truncation()) emit(Kind::Gt, ">"); continue; }
        ">>"  { emit(Kind::GtGt, ">>"); continue; }
        ">="  { emit(Kind::GtEq, ">="); continue; }
        "="   { if (!hit_truncation()) emit(Kind::Eq, "="); continue; }
        "=="  { emit(Kind::EqEq, "=="); continue; }
        "=<"  { emit(Kind::EqLt, "=<"); continue; }
        "=>"  { emit(Kind::FatArrow, "=>"); continue; }
        "=:=" { emit(Kind::EqColonEq, "=:="); continue; }
        "=/=" { emit(Kind::EqSlashEq, "=/="); continue; }
        "?"   { if (!hit_truncation()) emit(Kind::Question, "?"); continue; }
        "?="  { emit(Kind::QuestionEq, "?="); continue; }

        [@\\^`~&\x7F] | symbol_l1 { emit(Kind::Other, lexeme()); continue; }
        wide { illegal_character(); continue; }
        * { illegal_character(); continue; }
        */
    }
    if (!form_ended_) finish();
    return true;
}

// The end of the text: an Eof token, or (truncated text) the give-up
// errors at the place where erl_scan was waiting for more characters.
void Scanner::finish() {
    finished_ = true;
    if (truncated_ && !stopped_) {
        give_up(limit_);
    }
    Token eof;
    eof.kind = Kind::Eof;
    eof.pos = position(limit_);
    out_.tokens.push_back(eof);
}

void Scanner::whitespace() {
    if (!truncated_ || cursor_ < limit_) return;
    // erl_scan restarts its white-space count at each newline.
    const unsigned char* after_newline = start_;
    for (const unsigned char* p = start_; p < cursor_; ++p) {
        if (*p == '\n') after_newline = p + 1;
    }
    give_up(after_newline);
}

void Scanner::comment() {
    if (hit_truncation()) return;
    // U+FFFE and U+FFFF (EF BF BE/BF) are not characters for erl_scan.
    std::string_view text = lexeme();
    for (size_t i = text.find('\xEF'); i != std::string_view::npos; i = text.find('\xEF', i + 1)) {
        if (i + 2 < text.size() && text[i + 1] == '\xBF' &&
            (text[i + 2] == '\xBE' || text[i + 2] == '\xBF')) {
            error(position(start_), "illegal character", start_ + i + 3);
            return;
        }
    }
}

void Scanner::name(Kind kind) {
    if (hit_truncation()) return;
    std::string_view text = lexeme();
    // At most 255 characters; only a long name needs its characters counted.
    size_t characters = text.size();
    if (characters > 255) {
        characters = 0;
        for (char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }
    if (characters > 255) {
        error(position(start_), kind == Kind::Atom ? "illegal atom" : "illegal var", cursor_);
        return;
    }
    if (kind == Kind::Atom) kind = token::keyword(text);
    emit(kind, text);
}

// Removes digit separators.
std::string without_separators(std::string_view text) {
    std::string digits;
    digits.reserve(text.size());
    for (char c : text) {
        if (c != '_') digits += c;
    }
    return digits;
}

void Scanner::integer() {
    if (hit_truncation()) return;
    std::string digits = without_separators(lexeme());
    Token& tok = emit(Kind::Integer, lexeme());
    int64_t value = 0;
    auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (status == std::errc()) {
        tok.int_value = value;
        return;
    }
    size_t first = digits.find_first_not_of('0');
    tok.is_big = true;
    tok.text = arena_.string(std::string_view(digits).substr(first));
}

void Scanner::based_integer() {
    std::string base_digits = without_separators(std::string_view(lexeme()).substr(0, cursor_ - start_ - 1));
    size_t first = base_digits.find_first_not_of('0');
    std::string_view base_text =
        first == std::string::npos ? std::string_view("0") : std::string_view(base_digits).substr(first);
    int base = base_text.size() <= 2 ? std::stoi(std::string(base_text)) : 99;
    if (base < 2 || base > 36) {
        error(position(start_), fmt::format("illegal base '{}'", base_text), cursor_ - 1);
        return;
    }
    std::vector<uint8_t> values;
    const unsigned char* p = cursor_;
    while (p < limit_) {
        int value = digit_value(*p, base);
        if (value < 0 && *p == '_' && !values.empty() && p + 1 < limit_ &&
            digit_value(p[1], base) >= 0) {
            ++p;
            continue;
        }
        if (value < 0) break;
        values.push_back(static_cast<uint8_t>(value));
        ++p;
    }
    cursor_ = p;
    if (hit_truncation()) return;
    if (values.empty() || values.size() > kMaxBasedDigits) {
        error(position(start_), "illegal integer", cursor_);
        return;
    }
    Token& tok = emit(Kind::Integer, lexeme());
    unsigned __int128 value = 0;
    bool fits = true;
    for (uint8_t v : values) {
        value = value * base + v;
        if (value > static_cast<unsigned __int128>(INT64_MAX)) {
            fits = false;
            break;
        }
    }
    if (fits) {
        tok.int_value = static_cast<int64_t>(value);
        return;
    }
    tok.is_big = true;
    tok.text = arena_.string(to_decimal(values, base));
}

void Scanner::float_number() {
    if (hit_truncation()) return;
    std::string digits = without_separators(lexeme());
    char last = digits.back();
    double value = 0.0;
    bool ok = last >= '0' && last <= '9';  // an exponent needs digits
    if (ok) {
        value = std::strtod(digits.c_str(), nullptr);
        ok = std::isfinite(value);
    }
    if (!ok) {
        error(position(start_), "illegal float", cursor_);
        return;
    }
    emit(Kind::Float, lexeme()).float_value = value;
}

void Scanner::illegal_character() {
    error(position(start_), "illegal character", cursor_);
}

// One escape sequence; `p` is just after the backslash. Mirrors erl_scan's
// scan_escape: `next` is where scanning resumes, also after an error.
Scanner::Escape Scanner::escape(const unsigned char* p) const {
    if (p >= limit_) return {Escape::Eof, 0, p};
    unsigned char c = *p;
    if (is_octal(c)) {
        uint32_t value = c - '0';
        ++p;
        for (int k = 1; k < 3 && p < limit_ && is_octal(*p); ++k, ++p) value = value * 8 + (*p - '0');
        return {Escape::Value, value, p};
    }
    if (c == 'x') {
        ++p;
        if (p >= limit_) return {Escape::Eof, 0, p};
        if (*p == '{') {
            ++p;
            const unsigned char* digits = p;
            while (p < limit_ && hex_value(*p) >= 0) ++p;
            if (p >= limit_) return {Escape::Eof, 0, p};
            if (*p != '}') return {Escape::Error, 0, p};
            uint64_t value = 0;
            bool ok = p > digits;
            for (const unsigned char* d = digits; ok && d < p; ++d) {
                value = value * 16 + hex_value(*d);
                ok = value <= 0x10FFFF;
            }
            ++p;
            if (!ok || !is_unicode(static_cast<uint32_t>(value))) return {Escape::Error, 0, p};
            return {Escape::Value, static_cast<uint32_t>(value), p};
        }
        if (p + 1 < limit_ && hex_value(p[0]) >= 0 && hex_value(p[1]) >= 0) {
            return {Escape::Value, static_cast<uint32_t>(hex_value(p[0]) * 16 + hex_value(p[1])),
                    p + 2};
        }
        if (p + 1 >= limit_ && hex_value(p[0]) >= 0) return {Escape::Eof, 0, p + 1};
        return {Escape::Error, 0, p};
    }
    if (c == '^') {
        ++p;
        if (p >= limit_) return {Escape::Eof, 0, p};
        uint32_t control = decode(p);
        return {Escape::Value, control == '\n' ? '\n' : control & 31, p};
    }
    uint32_t code = decode(p);
    if (!is_unicode(code)) return {Escape::Error, 0, p};
    switch (code) {
        case 'n': code = '\n'; break;
        case 'r': code = '\r'; break;
        case 't': code = '\t'; break;
        case 'v': code = '\v'; break;
        case 'b': code = '\b'; break;
        case 'f': code = '\f'; break;
        case 'e': code = 27; break;
        case 's': code = ' '; break;
        case 'd': code = 127; break;
        default: break;
    }
    return {Escape::Value, code, p};
}

// The first 16 characters of `value`, for "unterminated string starting
// with ...". erl_scan uses string:slice, which counts grapheme clusters; the
// cluster that matters in source text is "\r\n", so it counts as one.
std::string_view head(std::string_view value) {
    size_t characters = 0, i = 0;
    for (; i < value.size(); ++i) {
        bool starts_character = (static_cast<unsigned char>(value[i]) & 0xC0) != 0x80 &&
                                !(value[i] == '\n' && i > 0 && value[i - 1] == '\r');
        if (starts_character && characters++ == 16) break;
    }
    return value.substr(0, i);
}

bool Scanner::quoted(unsigned char quote, std::string& value, bool& plain) {
    Pos start = position(start_);
    const unsigned char* p = cursor_;
    plain = true;
    while (p < limit_ && *p != quote) {
        if (*p == '\\') {
            plain = false;
            const unsigned char* backslash = p;
            Escape esc = escape(p + 1);
            if (esc.status == Escape::Eof) {
                p = limit_;
                if (truncated_) {
                    give_up(backslash);
                    return false;
                }
                break;
            }
            if (esc.status == Escape::Error) {
                error(position(backslash), "illegal character", esc.next);
                return false;
            }
            append_utf8(value, esc.value);
            p = esc.next;
            continue;
        }
        const unsigned char* at = p;
        uint32_t c = decode(p);
        if (!is_unicode(c)) {
            error(position(at), "illegal character", p);
            return false;
        }
        value.append(reinterpret_cast<const char*>(at), p - at);
    }
    if (p >= limit_) {
        if (truncated_) {
            give_up(limit_);
            return false;
        }
        const char* thing = quote == '"' ? "string" : "atom";
        error(start, fmt::format("unterminated {} starting with {}", thing,
                                 write_string(head(value), static_cast<char>(quote))),
              nullptr);
        return false;
    }
    cursor_ = p + 1;
    return true;
}

void Scanner::string_literal() {
    std::string value;
    bool plain = false;
    const unsigned char* content = cursor_;
    if (!quoted('"', value, plain)) return;
    std::string_view text = plain ? std::string_view(reinterpret_cast<const char*>(content),
                                                     static_cast<size_t>(cursor_ - 1 - content))
                                  : arena_.string(value);
    emit(Kind::String, text);
}

void Scanner::quoted_atom() {
    std::string value;
    bool plain = false;
    const unsigned char* content = cursor_;
    if (!quoted('\'', value, plain)) return;
    std::string_view text = plain ? std::string_view(reinterpret_cast<const char*>(content),
                                                     static_cast<size_t>(cursor_ - 1 - content))
                                  : arena_.string(value);
    size_t characters = 0;
    for (char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (characters > 255) {
        error(position(start_), "illegal atom", cursor_);
        return;
    }
    emit(Kind::Atom, text);
}

void Scanner::char_literal() {
    const unsigned char* p = cursor_;
    if (p >= limit_) {
        if (!hit_truncation()) error(position(start_), "unterminated character", nullptr);
        return;
    }
    uint32_t value;
    if (*p == '\\') {
        Escape esc = escape(p + 1);
        if (esc.status == Escape::Eof) {
            if (truncated_) {
                give_up(start_);
            } else {
                error(position(start_), "unterminated character", nullptr);
            }
            return;
        }
        if (esc.status == Escape::Error) {
            error(position(start_), "illegal character", esc.next);
            return;
        }
        value = esc.value;
        p = esc.next;
    } else {
        value = decode(p);
        if (!is_unicode(value)) {
            // erl_scan gives up on the rest of the file here.
            error(position(start_), "illegal character", nullptr);
            return;
        }
    }
    cursor_ = p;
    std::string text;
    append_utf8(text, value);
    emit(Kind::Char, arena_.string(text)).int_value = value;
}

// Converts latin-1 bytes to UTF-8.
std::string latin1_to_utf8(std::string_view source) {
    std::string out;
    out.reserve(source.size() + source.size() / 8);
    for (char c : source) append_utf8(out, static_cast<unsigned char>(c));
    return out;
}

// A copy of `text` in the arena, followed by the NUL sentinel re2c needs.
std::string_view copy_with_sentinel(std::string_view text, ast::Arena& arena) {
    char* copy = static_cast<char*>(arena.allocate(text.size() + 1, 1));
    if (!text.empty()) std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
    return {copy, text.size()};
}

// epp reads a coding comment from the first two lines: after a '%', the word
// "coding", optional spaces, ':' or '=', optional spaces, then a name whose
// '-'-separated parts start "latin", "1" (or "utf", "8").
bool coding_is_latin1(std::string_view line) {
    size_t percent = line.find('%');
    if (percent == std::string_view::npos) return false;
    for (size_t at = line.find("coding", percent); at != std::string_view::npos;
         at = line.find("coding", at + 1)) {
        size_t i = at + 6;
        while (i < line.size() && line[i] == ' ') ++i;
        if (i >= line.size() || (line[i] != ':' && line[i] != '=')) continue;
        ++i;
        while (i < line.size() && line[i] == ' ') ++i;
        std::string name;
        while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-')) {
            name += static_cast<char>(std::tolower(static_cast<unsigned char>(line[i])));
            ++i;
        }
        return name == "latin-1" || name.starts_with("latin-1-");
    }
    return false;
}

}  // namespace

bool declares_latin1(std::string_view source) {
    source = source.substr(0, 512);  // epp reads at most 16 blocks of 32 bytes
    for (int line = 0; line < 2; ++line) {
        size_t newline = source.find('\n');
        if (coding_is_latin1(source.substr(0, newline))) return true;
        if (newline == std::string_view::npos) break;
        source.remove_prefix(newline + 1);
    }
    return false;
}

// The scanner and the buffer it fills, behind FileScanner's pointer. GCC
// takes the #line directives re2c writes for lexer.re as a sign that this is
// a header and warns about the anonymous-namespace Scanner; it is not one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif
struct FileScanner::State {
    ScanResult buffer;
    std::optional<Scanner> scanner;
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

FileScanner::FileScanner(std::string_view source, ast::Arena& arena, bool escript)
    : state_(std::make_unique<State>()) {
    ScanResult& buffer = state_->buffer;
    // escript asks epp for the encoding after its `#!` line: lines 2 and 3.
    std::string_view coding_lines = source;
    if (escript) coding_lines.remove_prefix(std::min(source.find('\n'), source.size() - 1) + 1);
    buffer.latin1 = declares_latin1(coding_lines);
    std::string_view text;
    bool truncated = false;
    size_t scan_size;
    if (buffer.latin1) {
        text = copy_with_sentinel(latin1_to_utf8(source), arena);
        scan_size = text.size();
    } else {
        size_t valid = first_invalid_utf8(source);
        truncated = valid < source.size();
        // The scanner stops at the first invalid byte; the rest is kept only
        // for quoting source lines.
        char* copy = static_cast<char*>(arena.allocate(source.size() + 1, 1));
        if (!source.empty()) std::memcpy(copy, source.data(), source.size());
        copy[valid] = '\0';
        text = {copy, source.size()};
        scan_size = valid;
    }
    buffer.text = text;
    state_->scanner.emplace(text.substr(0, scan_size), truncated, arena, buffer);
}

FileScanner::~FileScanner() = default;
FileScanner::FileScanner(FileScanner&&) noexcept = default;
FileScanner& FileScanner::operator=(FileScanner&&) noexcept = default;

std::string_view FileScanner::text() const {
    return state_->buffer.text;
}

bool FileScanner::latin1() const {
    return state_->buffer.latin1;
}

bool FileScanner::next_form() {
    state_->buffer.tokens.clear();
    state_->buffer.errors.clear();
    return state_->scanner->scan_form();
}

const std::vector<token::Token>& FileScanner::tokens() const {
    return state_->buffer.tokens;
}

const std::vector<ScanError>& FileScanner::errors() const {
    return state_->buffer.errors;
}

ScanResult scan_file(std::string_view source, ast::Arena& arena) {
    ScanResult result;
    FileScanner scanner(source, arena);
    result.text = scanner.text();
    result.latin1 = scanner.latin1();
    while (scanner.next_form()) {
        size_t offset = result.tokens.size();
        for (ScanError e : scanner.errors()) {
            e.before_token += offset;
            result.errors.push_back(std::move(e));
        }
        result.tokens.insert(result.tokens.end(), scanner.tokens().begin(), scanner.tokens().end());
    }
    return result;
}

std::vector<token::Token> scan(std::string_view source, const std::string& file,
                               ast::Arena& strings, diag::Reporter& reporter) {
    ScanResult result = scan_file(source, strings);
    for (const ScanError& e : result.errors) {
        reporter.error(file, e.pos, diag::Phase::Syntax, e.message);
    }
    return std::move(result.tokens);
}

// ---- io_lib quoting ----

namespace {

// How io_lib writes character `c` inside quotes `quote`. Characters above
// U+00FF stay as they are here: erlc's latin-1 standard output is what turns
// them into \x{...} (diag's printing), for messages and source lines alike.
void write_quoted_char(std::string& out, uint32_t c, int quote) {
    switch (c) {
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        case '\t': out += "\\t"; return;
        case '\v': out += "\\v"; return;
        case '\b': out += "\\b"; return;
        case '\f': out += "\\f"; return;
        case 27: out += "\\e"; return;
        case 127: out += "\\d"; return;
        case '\\': out += "\\\\"; return;
        default: break;
    }
    if (quote >= 0 && c == static_cast<uint32_t>(quote)) {
        out += '\\';
        out += static_cast<char>(quote);
    } else if (c < 32 || (c >= 128 && c < 160)) {
        out += fmt::format("\\{:03o}", c);
    } else {
        append_utf8(out, c);
    }
}

bool is_name_char(uint32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '@' || (c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7);
}

bool atom_needs_quotes(std::string_view name) {
    if (name.empty()) return true;
    const auto* p = reinterpret_cast<const unsigned char*>(name.data());
    const auto* end = p + name.size();
    uint32_t first = decode(p);
    if (!((first >= 'a' && first <= 'z') || (first >= 0xDF && first <= 0xFF && first != 0xF7))) {
        return true;
    }
    while (p < end) {
        if (!is_name_char(decode(p))) return true;
    }
    return token::keyword(name) != Kind::Atom;
}

}  // namespace

std::string write_string(std::string_view text, char quote) {
    std::string out(1, quote);
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) write_quoted_char(out, decode(p), static_cast<unsigned char>(quote));
    out += quote;
    return out;
}

std::string write_atom(std::string_view name) {
    if (!atom_needs_quotes(name)) return std::string(name);
    return write_string(name, '\'');
}

std::string write_char(uint32_t code_point) {
    // io_lib:write_char: $ followed by the character, escaped as in a string.
    std::string out = "$";
    if (code_point == ' ') return "$\\s";
    std::string quoted;
    write_quoted_char(quoted, code_point, -1);
    return out + quoted;
}

}  // namespace lexer
