// bif_re: the BIFs of OTP's re module (version/0, compile/1,2, run/2,3,
// internal_run/4, inspect/2) on PCRE2; split/replace and global matching
// are OTP's own re.erl. OTP 25 links PCRE 8.44; beamlite links the
// system's PCRE2, so results follow PCRE2 where the two engines differ.
//
// A compiled pattern is OTP's tuple {re_pattern, Groups, Unicode, UseCRLF,
// Bin}. Bin is not PCRE code but what compiles it again: a magic word, the
// PCRE2 compile options, the newline and \R conventions, and the pattern's
// bytes. The compiled code lives in a cache keyed by those bytes, shared
// by all schedulers (PCRE2 code is read-only while matching), so a pattern
// is compiled once however often it is run, and a run-time {newline, _}
// (a compile-time setting in PCRE2) just picks another cache entry.
//
// run/3 with `global` continues in re:grun/3 (Erlang), as OTP's BIF traps
// there: that loop calls internal_run/4 once per match. Everything else
// is done here, and a result is built in one heap allocation once the
// match is over (a collection moves the arguments: they are re-read).
//
// A match runs to its end in one call (no yielding yet); the match limit
// (OTP's default 10,000,000, or {match_limit, N}), the depth limit and a
// heap limit for PCRE2's backtracking frames bound it.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/re_tables.h"

namespace bif {

using namespace term;

namespace {

// ---- pattern sources: what a compiled pattern's binary holds --------------------------

constexpr char kMagic[4] = {'B', 'L', 'R', 'E'};
constexpr size_t kHeaderBytes = sizeof(kMagic) + 4 + 1 + 1;

// The compile options OTP's re accepts, as PCRE2 bits.
constexpr uint32_t kCompileBits =
    PCRE2_UTF | PCRE2_ANCHORED | PCRE2_CASELESS | PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL |
    PCRE2_EXTENDED | PCRE2_FIRSTLINE | PCRE2_MULTILINE | PCRE2_NO_AUTO_CAPTURE | PCRE2_DUPNAMES |
    PCRE2_UNGREEDY | PCRE2_NO_START_OPTIMIZE | PCRE2_UCP | PCRE2_NEVER_UTF;

// A pattern and everything PCRE2 needs to compile it.
struct Source {
    uint32_t flags = 0;                  // PCRE2 compile options (kCompileBits)
    uint8_t newline = PCRE2_NEWLINE_LF;  // OTP's default, as PCRE's build default
    uint8_t bsr = PCRE2_BSR_UNICODE;
    std::string pattern;

    bool unicode() const { return flags & PCRE2_UTF; }
    // OTP's UseCRLF: newlines may be two characters, so an empty global
    // match at \r\n advances past both.
    bool use_crlf() const {
        return newline == PCRE2_NEWLINE_CRLF || newline == PCRE2_NEWLINE_ANY ||
               newline == PCRE2_NEWLINE_ANYCRLF;
    }
};

std::string encode_source(const Source& source) {
    std::string out(kMagic, sizeof(kMagic));
    for (int shift = 0; shift < 32; shift += 8)
        out += char(source.flags >> shift & 0xFF);
    out += char(source.newline);
    out += char(source.bsr);
    out += source.pattern;
    return out;
}

// The source in a compiled pattern's binary; nothing for bytes that are
// not one (a forged or foreign tuple).
std::optional<Source> decode_source(std::string_view bytes) {
    if (bytes.size() < kHeaderBytes || bytes.substr(0, 4) != std::string_view(kMagic, 4))
        return std::nullopt;
    Source source;
    for (int k = 0; k < 4; ++k)
        source.flags |= uint32_t(uint8_t(bytes[4 + k])) << (8 * k);
    source.newline = uint8_t(bytes[8]);
    source.bsr = uint8_t(bytes[9]);
    if ((source.flags & ~kCompileBits) != 0) return std::nullopt;
    if (source.newline < PCRE2_NEWLINE_CR || source.newline > PCRE2_NEWLINE_ANYCRLF)
        return std::nullopt;
    if (source.bsr != PCRE2_BSR_UNICODE && source.bsr != PCRE2_BSR_ANYCRLF) return std::nullopt;
    source.pattern = std::string(bytes.substr(kHeaderBytes));
    return source;
}

// ---- compiling, with a cache --------------------------------------------------------------

struct Code {
    pcre2_code* code = nullptr;
    uint32_t capture_count = 0;
    explicit Code(pcre2_code* c) : code(c) {
        pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &capture_count);
    }
    ~Code() { pcre2_code_free(code); }
    Code(const Code&) = delete;
    Code& operator=(const Code&) = delete;
};
using CodePtr = std::shared_ptr<const Code>;

struct CompileResult {
    CodePtr code;  // null on an error
    int error = 0;
    size_t error_offset = 0;
};

// Compiled patterns by encode_source(). A program uses few patterns and
// they are small, so when the cache is full it is simply emptied; a code
// still in use by a match is kept alive by its shared_ptr.
class CodeCache {
  public:
    static constexpr size_t kMaxEntries = 256;

    CodePtr find(const std::string& key) {
        std::lock_guard<std::mutex> guard(lock_);
        auto it = entries_.find(key);
        return it == entries_.end() ? nullptr : it->second;
    }
    void insert(const std::string& key, CodePtr code) {
        std::lock_guard<std::mutex> guard(lock_);
        if (entries_.size() >= kMaxEntries) entries_.clear();
        entries_.emplace(key, std::move(code));
    }

  private:
    std::mutex lock_;
    std::unordered_map<std::string, CodePtr> entries_;
};

CodeCache& code_cache() {
    static CodeCache cache;
    return cache;
}

// PCRE2's "unrecognized character follows \".
constexpr int kUnknownEscape = 103;

CompileResult compile_source(const Source& source) {
    std::string key = encode_source(source);
    if (CodePtr cached = code_cache().find(key)) return {cached};
    pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
    if (!context) return {nullptr, PCRE2_ERROR_HEAPLIMIT, 0};
    pcre2_set_newline(context, source.newline);
    pcre2_set_bsr(context, source.bsr);
    pcre2_set_character_tables(context, re_tables::latin1_tables());
    // PCRE2 10.42 makes the start-of-match bitmap of \w, \d and \s in
    // UTF-8 mode from the wrong class for characters 128..255 (harmless
    // with its ASCII tables, not with Latin-1 ones): a Unicode pattern
    // without UCP matches without that optimisation.
    uint32_t flags = source.flags;
    if ((flags & PCRE2_UTF) && !(flags & PCRE2_UCP)) flags |= PCRE2_NO_START_OPTIMIZE;
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto pattern = reinterpret_cast<PCRE2_SPTR>(source.pattern.data());
    pcre2_code* code =
        pcre2_compile(pattern, source.pattern.size(), flags, &error, &offset, context);
    if (!code && error == kUnknownEscape) {
        // PCRE 8.44 takes an unknown escape of a letter (\i) as the letter.
        // PCRE2's option for that also turns malformed escapes (\x{2z},
        // \L) into literals, which PCRE reports: only a pattern whose
        // first error is an unknown escape is compiled again with it.
        pcre2_set_compile_extra_options(context, PCRE2_EXTRA_BAD_ESCAPE_IS_LITERAL);
        code = pcre2_compile(pattern, source.pattern.size(), flags, &error, &offset, context);
    }
    pcre2_compile_context_free(context);
    if (!code) return {nullptr, error, offset};
    auto shared = std::make_shared<const Code>(code);
    code_cache().insert(key, shared);
    return {shared};
}

// OTP 25's PCRE 8.44 words its compile errors differently from PCRE2:
// OTP's text for the PCRE2 errors both engines have, PCRE2's otherwise.
// PCRE 8.44 refuses bsr_anycrlf with bsr_unicode; PCRE2 has no such error.
constexpr int kInconsistentNewline = -1000;

std::string compile_error_text(int error) {
    if (error == kInconsistentNewline) return "inconsistent NEWLINE options";
    if (error <= PCRE2_ERROR_UTF8_ERR1 && error >= PCRE2_ERROR_UTF8_ERR21)
        return "invalid UTF-8 string";
    switch (error) {
        case 101:
            return "\\ at end of pattern";
        case 102:
            return "\\c at end of pattern";
        case 103:
            return "unrecognized character follows \\";
        case 104:
            return "numbers out of order in {} quantifier";
        case 105:
            return "number too big in {} quantifier";
        case 106:
            return "missing terminating ] for character class";
        case 107:
            return "invalid escape sequence in character class";
        case 108:
            return "range out of order in character class";
        case 109:
            return "nothing to repeat";
        case 111:
            return "unrecognized character after (? or (?-";
        case 112:
            return "POSIX named classes are supported only within a class";
        case 113:
            return "POSIX collating elements are not supported";
        case 114:
            return "missing )";
        case 115:
            return "reference to non-existent subpattern";
        case 118:
            return "missing ) after comment";
        case 119:
            return "parentheses are too deeply nested";
        case 120:
            return "regular expression is too large";
        case 122:
            return "unmatched parentheses";
        case 125:
            return "lookbehind assertion is not fixed length";
        case 127:
            return "conditional group contains more than two branches";
        case 130:
            return "unknown POSIX class name";
        case 137:
            return "PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u";
        case 138:
            return "number after (?C is > 255";
        case 134:
            return "character value in \\x{} or \\o{} is too large";
        case 141:
            return "unrecognized character after (?P";
        case 142:
            return "syntax error in subpattern name (missing terminator)";
        case 143:
            return "two named subpatterns have the same name";
        case 144:
            return "group name must start with a non-digit";
        case 146:
            return "malformed \\P or \\p sequence";
        case 147:
            return "unknown property name after \\P or \\p";
        case 148:
            return "subpattern name is too long (maximum 32 characters)";
        case 149:
            return "too many named subpatterns (maximum 10000)";
        case 150:
            return "invalid range in character class";
        case 151:
            return "octal value is greater than \\377 in 8-bit non-UTF-8 mode";
        default:
            break;
    }
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(error, buffer, sizeof(buffer)) < 0) return "internal error";
    return reinterpret_cast<const char*>(buffer);
}

// ---- options --------------------------------------------------------------------------------

enum class Capture { kAll, kAllButFirst, kFirst, kNone, kAllNames, kList };
enum class ValueType { kIndex, kList, kBinary };

// Which options a call accepts: compile/2 takes compile options only; a
// run with a source pattern takes both; a run with a compiled one only run
// options (and `unicode`, when the pattern is Unicode).
enum class Accept { kCompile, kRunSource, kRunCompiled };

struct Options {
    uint32_t compile_flags = 0;
    bool newline_given = false;
    uint8_t newline = PCRE2_NEWLINE_LF;
    bool bsr_given = false;
    bool bsr_anycrlf_seen = false;
    bool bsr_unicode_seen = false;
    uint8_t bsr = PCRE2_BSR_UNICODE;
    bool unicode_given = false;
    bool other_compile_option = false;  // a compile-only option but `unicode`
    uint32_t match_flags = 0;
    uint64_t offset = 0;
    uint32_t match_limit = 10'000'000;  // OTP's default
    uint32_t depth_limit = 10'000'000;
    bool global = false;
    bool report_errors = false;
    Capture capture = Capture::kAll;
    ValueType type = ValueType::kIndex;
    Term capture_list = kNil;  // Capture::kList's ids (read before any allocation)
};

std::string_view atom_text(Term t) {
    return atom::name(atom_index(t));
}

bool non_negative(Term t, uint64_t max, uint64_t& out) {
    if (!is_small(t) || small_value(t) < 0 || uint64_t(small_value(t)) > max) return false;
    out = uint64_t(small_value(t));
    return true;
}

// The PCRE2 bit of a compile-only option atom, or 0.
uint32_t compile_option_bit(std::string_view name) {
    static const std::pair<std::string_view, uint32_t> kTable[] = {
        {"unicode", PCRE2_UTF},
        {"caseless", PCRE2_CASELESS},
        {"dollar_endonly", PCRE2_DOLLAR_ENDONLY},
        {"dotall", PCRE2_DOTALL},
        {"extended", PCRE2_EXTENDED},
        {"firstline", PCRE2_FIRSTLINE},
        {"multiline", PCRE2_MULTILINE},
        {"no_auto_capture", PCRE2_NO_AUTO_CAPTURE},
        {"dupnames", PCRE2_DUPNAMES},
        {"ungreedy", PCRE2_UNGREEDY},
        {"no_start_optimize", PCRE2_NO_START_OPTIMIZE},
        {"ucp", PCRE2_UCP},
        {"never_utf", PCRE2_NEVER_UTF},
    };
    for (const auto& [text, bit] : kTable)
        if (text == name) return bit;
    return 0;
}

// The PCRE2 match bit of a run-only option atom, or 0.
uint32_t match_option_bit(std::string_view name) {
    if (name == "notbol") return PCRE2_NOTBOL;
    if (name == "noteol") return PCRE2_NOTEOL;
    if (name == "notempty") return PCRE2_NOTEMPTY;
    if (name == "notempty_atstart") return PCRE2_NOTEMPTY_ATSTART;
    return 0;
}

bool parse_newline(Term t, uint8_t& out) {
    if (!is_atom(t)) return false;
    std::string_view name = atom_text(t);
    if (name == "cr")
        out = PCRE2_NEWLINE_CR;
    else if (name == "lf")
        out = PCRE2_NEWLINE_LF;
    else if (name == "crlf")
        out = PCRE2_NEWLINE_CRLF;
    else if (name == "anycrlf")
        out = PCRE2_NEWLINE_ANYCRLF;
    else if (name == "any")
        out = PCRE2_NEWLINE_ANY;
    else
        return false;
    return true;
}

// A capture id: a non-negative integer, or a name as an atom, a string or
// a binary (re:grun passes inspect/2's names).
bool capture_id_ok(Term id) {
    if (is_small(id)) return small_value(id) >= 0;
    if (is_atom(id) || is_binary(id)) return true;
    std::string text;
    return is_list(id) && chardata_to_utf8(id, text);
}

bool parse_capture(const Term* elements, uint64_t arity, Options& options) {
    Term spec = elements[1];
    if (is_atom(spec)) {
        std::string_view name = atom_text(spec);
        if (name == "all")
            options.capture = Capture::kAll;
        else if (name == "all_but_first")
            options.capture = Capture::kAllButFirst;
        else if (name == "first")
            options.capture = Capture::kFirst;
        else if (name == "none")
            options.capture = Capture::kNone;
        else if (name == "all_names")
            options.capture = Capture::kAllNames;
        else
            return false;
    } else if (is_list(spec)) {
        if (list_length(spec) < 0) return false;
        for (Term l = spec; is_cons(l); l = cdr(l))
            if (!capture_id_ok(car(l))) return false;
        options.capture = Capture::kList;
        options.capture_list = spec;
    } else {
        return false;
    }
    options.type = ValueType::kIndex;
    if (arity == 3) {
        if (!is_atom(elements[2])) return false;
        std::string_view type = atom_text(elements[2]);
        if (type == "index")
            options.type = ValueType::kIndex;
        else if (type == "list")
            options.type = ValueType::kList;
        else if (type == "binary")
            options.type = ValueType::kBinary;
        else
            return false;
    }
    return true;
}

bool parse_atom_option(std::string_view name, Accept accept, Options& options) {
    if (uint32_t bit = compile_option_bit(name)) {
        options.compile_flags |= bit;
        if (bit == PCRE2_UTF)
            options.unicode_given = true;
        else
            options.other_compile_option = true;
        return true;
    }
    if (name == "anchored") {
        options.match_flags |= PCRE2_ANCHORED;
        return true;
    }
    if (name == "bsr_anycrlf" || name == "bsr_unicode") {
        options.bsr = name == "bsr_anycrlf" ? PCRE2_BSR_ANYCRLF : PCRE2_BSR_UNICODE;
        (name == "bsr_anycrlf" ? options.bsr_anycrlf_seen : options.bsr_unicode_seen) = true;
        options.bsr_given = true;
        return true;
    }
    if (accept == Accept::kCompile) return false;
    if (uint32_t bit = match_option_bit(name)) {
        options.match_flags |= bit;
        return true;
    }
    if (name == "global") {
        options.global = true;
        return true;
    }
    if (name == "report_errors") {
        options.report_errors = true;
        return true;
    }
    return false;
}

bool parse_tuple_option(Term t, Accept accept, Options& options) {
    const Term* elements = tuple_elements(t);
    uint64_t arity = tuple_arity(t);
    if (arity < 2 || arity > 3 || !is_atom(elements[0])) return false;
    std::string_view name = atom_text(elements[0]);
    if (arity == 2 && name == "newline") {
        options.newline_given = true;
        return parse_newline(elements[1], options.newline);
    }
    if (accept == Accept::kCompile) return false;
    if (name == "capture") return parse_capture(elements, arity, options);
    if (arity != 2) return false;
    uint64_t value = 0;
    if (name == "offset") {
        if (!non_negative(elements[1], uint64_t(1) << 59, value)) return false;
        options.offset = value;
        return true;
    }
    if (name == "match_limit" || name == "match_limit_recursion") {
        if (!non_negative(elements[1], UINT32_MAX, value)) return false;
        (name == "match_limit" ? options.match_limit : options.depth_limit) = uint32_t(value);
        return true;
    }
    return false;
}

bool parse_options(Term list, Accept accept, Options& options) {
    if (list_length(list) < 0) return false;
    for (Term l = list; is_cons(l); l = cdr(l)) {
        Term option = car(l);
        bool ok = is_atom(option)    ? parse_atom_option(atom_text(option), accept, options)
                  : is_tuple(option) ? parse_tuple_option(option, accept, options)
                                     : false;
        if (!ok) return false;
    }
    return true;
}

// ---- subjects and patterns as bytes ----------------------------------------------------------

// The bytes of a subject or pattern: a view into a binary argument (valid
// until the next allocation) or an owned copy of converted list data.
struct Bytes {
    std::string owned;
    std::string_view view;
    bool from_binary = false;
};

// A binary as is; a list as UTF-8 (unicode: code points) or bytes (an
// iolist). False when the term is neither.
bool term_bytes(Term t, bool unicode, Bytes& out) {
    if (is_binary(t)) {
        Bits bits = bits_of(t);
        if (bits.bit_offset % 8 == 0) {
            out.view = {reinterpret_cast<const char*>(bits.bytes + bits.bit_offset / 8),
                        bits.bit_size / 8};
            out.from_binary = true;
            return true;
        }
        binary::append_bytes(out.owned, t);
    } else if (!is_list(t)) {
        return false;
    } else if (unicode ? !chardata_to_utf8(t, out.owned) : !binary::flatten_iolist(t, out.owned)) {
        return false;
    }
    out.view = out.owned;
    return true;
}

// The source of a compiled-pattern tuple {re_pattern, _, _, _, Bin}.
std::optional<Source> pattern_tuple_source(Term t) {
    if (!is_tuple(t) || tuple_arity(t) != 5) return std::nullopt;
    const Term* elements = tuple_elements(t);
    if (elements[0] != make_atom(atom::kRePattern) || !is_binary(elements[4])) return std::nullopt;
    std::string bytes;
    binary::append_bytes(bytes, elements[4]);
    return decode_source(bytes);
}

bool is_pattern_tuple(Term t) {
    return is_tuple(t) && tuple_arity(t) == 5;
}

// The source of a pattern given as text, with the options' settings.
bool text_source(Term pattern, const Options& options, Source& source) {
    Bytes bytes;
    if (!term_bytes(pattern, options.compile_flags & PCRE2_UTF, bytes)) return false;
    source.pattern = std::string(bytes.view);
    source.flags = options.compile_flags | (options.match_flags & PCRE2_ANCHORED);
    source.newline = options.newline;
    source.bsr = options.bsr;
    return true;
}

// ---- building terms ------------------------------------------------------------------------

// The code points of UTF-8 `bytes`, leniently (a capture may cut a
// character with \C): a bad or cut sequence gives its bytes one by one.
std::vector<uint32_t> code_points(std::string_view bytes) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < bytes.size();) {
        auto byte = [&](size_t k) { return uint8_t(bytes[k]); };
        uint8_t first = byte(i);
        size_t length = first < 0x80    ? 1
                        : first >= 0xF0 ? 4
                        : first >= 0xE0 ? 3
                        : first >= 0xC0 ? 2
                                        : 1;
        uint32_t c = length == 1 ? first : first & (0x7F >> length);
        bool whole = i + length <= bytes.size();
        for (size_t k = 1; whole && k < length; ++k) {
            if ((byte(i + k) & 0xC0) != 0x80) whole = false;
            c = c << 6 | (byte(i + k) & 0x3F);
        }
        if (!whole) {
            c = first;
            length = 1;
        }
        out.push_back(c);
        i += length;
    }
    return out;
}

// One captured value: a byte range of the subject, or unset.
struct Span {
    int64_t start = -1;
    int64_t length = 0;
};

class ValueBuilder {
  public:
    ValueBuilder(ValueType type, bool unicode) : type_(type), unicode_(unicode) {}

    size_t words(const Span& span, std::string_view subject) const {
        switch (type_) {
            case ValueType::kIndex:
                return tuple_words(2);
            case ValueType::kBinary:
                return binary::new_words(uint64_t(span.length) * 8);
            case ValueType::kList:
                return kConsWords * characters(span, subject);
        }
        return 0;
    }

    // The value in `mem` (advanced); kNone when a binary's memory runs out.
    Term build(Term*& mem, const Span& span, std::string_view subject, Term*& off_heap) const {
        switch (type_) {
            case ValueType::kIndex:
                return put_tuple2(mem, make_small(span.start), make_small(span.length));
            case ValueType::kBinary: {
                uint8_t* bytes = nullptr;
                Term bin = binary::make(mem, uint64_t(span.length) * 8, &bytes, off_heap);
                mem += binary::new_words(uint64_t(span.length) * 8);
                if (bin != kNone && span.length > 0)
                    std::memcpy(bytes, subject.data() + span.start, size_t(span.length));
                return bin;
            }
            case ValueType::kList:
                return list(mem, span, subject);
        }
        return kNil;
    }

  private:
    std::string_view part(const Span& span, std::string_view subject) const {
        if (span.start < 0) return {};
        return subject.substr(size_t(span.start), size_t(span.length));
    }
    size_t characters(const Span& span, std::string_view subject) const {
        std::string_view bytes = part(span, subject);
        return unicode_ ? code_points(bytes).size() : bytes.size();
    }
    Term list(Term*& mem, const Span& span, std::string_view subject) const {
        std::string_view bytes = part(span, subject);
        std::vector<uint32_t> chars;
        if (unicode_) {
            chars = code_points(bytes);
        } else {
            for (char c : bytes)
                chars.push_back(uint8_t(c));
        }
        Term result = kNil;
        for (size_t k = chars.size(); k-- > 0;)
            result = make_cons(mem + kConsWords * k, make_small(chars[k]), result);
        mem += kConsWords * chars.size();
        return result;
    }

    ValueType type_;
    bool unicode_;
};

// ---- matching -------------------------------------------------------------------------------

enum class Outcome { kMatch, kNomatch, kMatchLimit, kDepthLimit, kBadarg };

// The frames PCRE2 may allocate for backtracking, in KiB (its default is
// about 20 GB): a pathological pattern ends with match_limit_recursion
// instead of taking the machine's memory.
constexpr uint32_t kHeapLimitKib = 256 * 1024;

struct Match {
    Outcome outcome = Outcome::kNomatch;
    int groups_set = 0;       // PCRE2's return: 1 + the highest group set
    std::vector<Span> spans;  // every group, 0..capture_count
};

Match match_code(const Code& code, std::string_view subject, const Options& options) {
    Match result;
    if (options.offset > subject.size()) {
        result.outcome = Outcome::kBadarg;
        return result;
    }
    pcre2_match_data* data = pcre2_match_data_create_from_pattern(code.code, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    if (!data || !context) {
        pcre2_match_data_free(data);
        pcre2_match_context_free(context);
        result.outcome = Outcome::kBadarg;
        return result;
    }
    pcre2_set_match_limit(context, options.match_limit);
    pcre2_set_depth_limit(context, options.depth_limit);
    pcre2_set_heap_limit(context, kHeapLimitKib);
    static const char kEmpty = 0;
    auto start = reinterpret_cast<PCRE2_SPTR>(subject.empty() ? &kEmpty : subject.data());
    int rc = pcre2_match(code.code, start, subject.size(), options.offset, options.match_flags,
                         data, context);
    charge(subject.size() - options.offset);
    if (rc > 0) {
        result.outcome = Outcome::kMatch;
        result.groups_set = rc;
        PCRE2_SIZE* vector = pcre2_get_ovector_pointer(data);
        for (uint32_t g = 0; g <= code.capture_count; ++g) {
            Span span;
            if (g < uint32_t(rc) && vector[2 * g] != PCRE2_UNSET) {
                span.start = int64_t(vector[2 * g]);
                span.length = int64_t(vector[2 * g + 1] - vector[2 * g]);
            }
            result.spans.push_back(span);
        }
    } else if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL) {
        result.outcome = Outcome::kNomatch;
    } else if (rc == PCRE2_ERROR_MATCHLIMIT) {
        result.outcome = Outcome::kMatchLimit;
    } else if (rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
        result.outcome = Outcome::kDepthLimit;
    } else {  // invalid UTF, an offset inside a character, no memory
        result.outcome = Outcome::kBadarg;
    }
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    return result;
}

// The group numbers of the name `name` (several with dupnames).
std::vector<uint32_t> groups_named(const Code& code, const std::string& name) {
    std::vector<uint32_t> groups;
    PCRE2_SPTR first = nullptr, last = nullptr;
    int entry_size = pcre2_substring_nametable_scan(
        code.code, reinterpret_cast<PCRE2_SPTR>(name.c_str()), &first, &last);
    if (entry_size <= 0) return groups;
    for (PCRE2_SPTR entry = first; entry <= last; entry += entry_size)
        groups.push_back(uint32_t(entry[0]) << 8 | entry[1]);
    return groups;
}

// The names of the pattern's groups, in the name table's (alphabetical) order.
std::vector<std::string> group_names(const Code& code) {
    uint32_t count = 0, entry_size = 0;
    PCRE2_SPTR table = nullptr;
    pcre2_pattern_info(code.code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(code.code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    pcre2_pattern_info(code.code, PCRE2_INFO_NAMETABLE, &table);
    std::vector<std::string> names;
    for (uint32_t k = 0; k < count; ++k) {
        std::string name(reinterpret_cast<const char*>(table + k * entry_size + 2));
        if (names.empty() || names.back() != name) names.push_back(name);
    }
    return names;
}

// The span a capture id selects: a group number or a name (with dupnames
// the first of its groups that is set).
Span span_of_name(const Code& code, const Match& match, const std::string& name) {
    std::vector<uint32_t> groups = groups_named(code, name);
    for (uint32_t g : groups)
        if (g < match.spans.size() && match.spans[g].start >= 0) return match.spans[g];
    return {};
}

Span span_of_id(const Code& code, const Match& match, Term id) {
    if (is_small(id)) {
        uint64_t g = uint64_t(small_value(id));
        return g < match.spans.size() ? match.spans[g] : Span{};
    }
    std::string name;
    if (is_atom(id))
        name = std::string(atom_text(id));
    else if (is_binary(id))
        binary::append_bytes(name, id);
    else
        chardata_to_utf8(id, name);
    return span_of_name(code, match, name);
}

// The spans `capture` asks for, in order; nothing for `none` (the result
// is then `match`).
std::vector<Span> selected_spans(const Code& code, const Match& match, const Options& options) {
    std::vector<Span> spans;
    switch (options.capture) {
        case Capture::kAll:
            spans.assign(match.spans.begin(), match.spans.begin() + match.groups_set);
            break;
        case Capture::kAllButFirst:
            spans.assign(match.spans.begin() + 1, match.spans.begin() + match.groups_set);
            break;
        case Capture::kFirst:
            spans.push_back(match.spans[0]);
            break;
        case Capture::kNone:
            break;
        case Capture::kAllNames:
            for (const std::string& name : group_names(code))
                spans.push_back(span_of_name(code, match, name));
            break;
        case Capture::kList:
            for (Term l = options.capture_list; is_cons(l); l = cdr(l))
                spans.push_back(span_of_id(code, match, car(l)));
            break;
    }
    return spans;
}

bool returns_match_only(const Code& code, const Options& options) {
    if (options.capture == Capture::kNone) return true;
    if (options.capture == Capture::kList) return is_nil(options.capture_list);
    if (options.capture == Capture::kAllNames) return group_names(code).empty();
    return false;
}

// ---- results ----------------------------------------------------------------------------------

Term error_tuple(Process& p, Term reason) {  // reason: an immediate
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    return put_tuple2(mem, kError, reason);
}

// {match, Values}: the values read from the subject (args[subject_arg],
// re-read after the allocation, or the converted copy in `subject`).
Term match_result(Process& p, Term* args, unsigned subject_arg, const Bytes& subject,
                  const std::vector<Span>& spans, ValueBuilder builder) {
    size_t words = tuple_words(2) + kConsWords * spans.size();
    for (const Span& span : spans)
        words += builder.words(span, subject.view);
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    std::string_view bytes = subject.view;
    if (subject.from_binary) {
        Bits bits = bits_of(args[subject_arg]);
        bytes = {reinterpret_cast<const char*>(bits.bytes + bits.bit_offset / 8),
                 bits.bit_size / 8};
    }
    Term* cells = mem;
    mem += kConsWords * spans.size();
    Term list = kNil;
    std::vector<Term> values;
    for (const Span& span : spans) {
        Term value = builder.build(mem, span, bytes, p.heap.off_heap);
        if (value == kNone) p.heap.out_of_memory = true;
        values.push_back(value == kNone ? kNil : value);
    }
    for (size_t k = values.size(); k-- > 0;)
        list = make_cons(cells + kConsWords * k, values[k], list);
    Term result = put_tuple2(mem, make_atom(atom::kMatch), list);
    return p.heap.out_of_memory ? heap_exhausted(p) : result;
}

// A Latin-1 string in `mem` (kConsWords per byte).
Term string_in(Term*& mem, std::string_view text) {
    Term list = kNil;
    for (size_t k = text.size(); k-- > 0;)
        list = make_cons(mem + kConsWords * k, make_small(uint8_t(text[k])), list);
    mem += kConsWords * text.size();
    return list;
}

// {error, {ErrorText, Offset}} (compile/2) or {error, {compile, {ErrorText,
// Offset}}} (a run with report_errors).
Term compile_error(Process& p, const CompileResult& compiled, bool in_run) {
    std::string text = compile_error_text(compiled.error);
    // Every word allocated is written: the heap must stay well formed.
    Term* mem = alloc(p, kConsWords * text.size() + (in_run ? 3 : 2) * tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term error = put_tuple2(mem, string_in(mem, text), make_small(int64_t(compiled.error_offset)));
    if (in_run) error = put_tuple2(mem, make_atom(atom::kCompile), error);
    return put_tuple2(mem, kError, error);
}

// {re_pattern, Groups, Unicode, UseCRLF, Bin} in `mem`
// (pattern_tuple_words(source)).
size_t pattern_tuple_words(const Source& source) {
    return tuple_words(5) + binary::new_words(uint64_t(encode_source(source).size()) * 8);
}
Term pattern_tuple(Process& p, Term*& mem, const Source& source, const Code& code) {
    std::string bytes = encode_source(source);
    uint8_t* data = nullptr;
    Term bin = binary::make(mem, uint64_t(bytes.size()) * 8, &data, p.heap.off_heap);
    mem += binary::new_words(uint64_t(bytes.size()) * 8);
    if (bin == kNone) {
        p.heap.out_of_memory = true;
        return kNone;
    }
    std::memcpy(data, bytes.data(), bytes.size());
    Term t = make_tuple(mem, 5);
    mem += tuple_words(5);
    Term* elements = tuple_elements(t);
    elements[0] = make_atom(atom::kRePattern);
    elements[1] = make_small(code.capture_count);
    elements[2] = make_small(source.unicode() ? 1 : 0);
    elements[3] = make_small(source.use_crlf() ? 1 : 0);
    elements[4] = bin;
    return t;
}

// compile_source, but both newline conventions of \R at once are an error,
// as in OTP.
CompileResult compile_bsr_checked(const Source& source, const Options& options) {
    if (options.bsr_anycrlf_seen && options.bsr_unicode_seen)
        return {nullptr, kInconsistentNewline, 0};
    return compile_source(source);
}

// ---- the calls ------------------------------------------------------------------------------

Term compile(Process& p, Term* args, Term option_list) {
    Options options;
    if (!parse_options(option_list, Accept::kCompile, options))
        return badarg(p, 2, "not a list of compile options");
    Source source;
    if (is_pattern_tuple(args[0]) || !text_source(args[0], options, source))
        return badarg(p, 1, "not a regular expression");
    CompileResult compiled = compile_bsr_checked(source, options);
    if (!compiled.code) return compile_error(p, compiled, false);
    Term* mem = alloc(p, pattern_tuple_words(source) + tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term pattern = pattern_tuple(p, mem, source, *compiled.code);
    if (pattern == kNone) return heap_exhausted(p);
    return put_tuple2(mem, kOk, pattern);
}

// What a run is about: the code and its source, and the options.
struct RunSetup {
    Source source;
    CompileResult compiled;
    bool compiled_pattern = false;  // the RE argument was a compiled tuple
};

// Reads the RE argument and options, compiling the pattern. kNone on a
// badarg (raised); otherwise the setup is complete, or compiled.code is
// null for a compile error (the caller reports it).
bool setup_run(Process& p, Term pattern, Term option_list, Options& options, RunSetup& setup) {
    setup.compiled_pattern = is_pattern_tuple(pattern);
    Accept accept = setup.compiled_pattern ? Accept::kRunCompiled : Accept::kRunSource;
    if (!parse_options(option_list, accept, options)) {
        badarg(p, 3, "not a list of options");
        return false;
    }
    if (setup.compiled_pattern) {
        std::optional<Source> source = pattern_tuple_source(pattern);
        if (!source) {
            badarg(p, 2, "not a compiled regular expression");
            return false;
        }
        // Compile options belong in compile/2 (OTP refuses even `unicode`).
        if (options.other_compile_option || options.unicode_given) {
            badarg(p, 3, "not a list of options");
            return false;
        }
        setup.source = *source;
        if (options.newline_given) setup.source.newline = options.newline;
        if (options.bsr_given) setup.source.bsr = options.bsr;
    } else if (!text_source(pattern, options, setup.source)) {
        badarg(p, 2, "not a regular expression");
        return false;
    }
    if (setup.compiled_pattern && options.bsr_anycrlf_seen && options.bsr_unicode_seen) {
        badarg(p, 3, "not a list of options");
        return false;
    }
    setup.compiled = compile_bsr_checked(setup.source, options);
    return true;
}

// The result of a non-global run (run/2,3, internal_run/4) once set up.
Term run_once(Process& p, Term* args, const Options& options, const RunSetup& setup) {
    const Code& code = *setup.compiled.code;
    Bytes subject;
    if (!term_bytes(args[0], setup.source.unicode(), subject))
        return badarg(p, 1, "not iodata or chardata");
    // Unicode subjects are checked on every call, internal_run/4's later
    // calls too: PCRE2_NO_UTF_CHECK on bytes nobody checked could crash.
    Match match = match_code(code, subject.view, options);
    switch (match.outcome) {
        case Outcome::kMatch:
            break;
        case Outcome::kNomatch:
            return make_atom(atom::kNomatch);
        case Outcome::kMatchLimit:
        case Outcome::kDepthLimit:
            if (!options.report_errors) return make_atom(atom::kNomatch);
            return error_tuple(
                p, make_atom(match.outcome == Outcome::kMatchLimit ? atom::kMatchLimit
                                                                   : atom::kMatchLimitRecursion));
        case Outcome::kBadarg:
            return badarg(p, 1, "not a valid subject or offset");
    }
    if (returns_match_only(code, options)) return make_atom(atom::kMatch);
    std::vector<Span> spans = selected_spans(code, match, options);
    return match_result(p, args, 0, subject, spans,
                        ValueBuilder(options.type, setup.source.unicode()));
}

// A compile error in a run: {error, {compile, Error}} with report_errors,
// else badarg.
Term run_compile_error(Process& p, const Options& options, const RunSetup& setup) {
    if (!options.report_errors) return badarg(p, 2, "not a valid regular expression");
    return compile_error(p, setup.compiled, true);
}

// run/3 with `global`: the loop is OTP's re:grun(Subject, MP, Extra), with
// Extra = {Options, false} for a compiled RE, or {Options, true, RE} when
// the RE was text (grun then drops the compile options).
Term continue_global(Process& p, Term* args, const RunSetup& setup) {
    size_t words = setup.compiled_pattern ? tuple_words(2)
                                          : pattern_tuple_words(setup.source) + tuple_words(3);
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    if (setup.compiled_pattern) {
        args[2] = put_tuple2(mem, args[2], kFalse);
    } else {
        Term pattern = pattern_tuple(p, mem, setup.source, *setup.compiled.code);
        if (pattern == kNone) return heap_exhausted(p);
        Term extra = make_tuple(mem, 3);
        tuple_elements(extra)[0] = args[2];
        tuple_elements(extra)[1] = kTrue;
        tuple_elements(extra)[2] = args[1];
        args[1] = pattern;
        args[2] = extra;
    }
    return continue_as(p, "re", "grun", 3);
}

// run/2,3 and internal_run/4 (option_list [] for run/2, which has no
// third argument: it never continues in grun).
Term run(Process& p, Term* args, Term option_list, bool first_call) {
    Options options;
    RunSetup setup;
    if (!setup_run(p, args[1], option_list, options, setup)) return kNone;
    if (!setup.compiled.code) return run_compile_error(p, options, setup);
    if (options.global && first_call) {
        if (!is_binary(args[0]) && !is_list(args[0])) return badarg(p, 1, "not iodata or chardata");
        return continue_global(p, args, setup);
    }
    return run_once(p, args, options, setup);
}

}  // namespace

namespace impl {

Term re_version(Process& p, Term*) {
    char buffer[64] = {};
    pcre2_config(PCRE2_CONFIG_VERSION, buffer);
    Term bin = binary::from_bytes(p, buffer, std::strlen(buffer));
    return bin == kNone ? heap_exhausted(p) : bin;
}

Term re_compile1(Process& p, Term* args) {
    return compile(p, args, kNil);
}

Term re_compile2(Process& p, Term* args) {
    return compile(p, args, args[1]);
}

Term re_run2(Process& p, Term* args) {
    return run(p, args, kNil, true);
}

Term re_run3(Process& p, Term* args) {
    return run(p, args, args[2], true);
}

Term re_internal_run(Process& p, Term* args) {
    if (args[3] != kTrue && args[3] != kFalse) return badarg(p, 4, "not a boolean");
    return run(p, args, args[2], args[3] == kTrue);
}

Term re_inspect(Process& p, Term* args) {
    std::optional<Source> source = pattern_tuple_source(args[0]);
    if (!source) return badarg(p, 1, "not a compiled regular expression");
    if (args[1] != make_atom(atom::kNamelist)) return badarg(p, 2, "not namelist");
    CompileResult compiled = compile_source(*source);
    if (!compiled.code) return badarg(p, 1, "not a compiled regular expression");
    std::vector<std::string> names = group_names(*compiled.code);
    size_t words = tuple_words(2) + kConsWords * names.size();
    for (const std::string& name : names)
        words += binary::new_words(uint64_t(name.size()) * 8);
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    Term* cells = mem;
    mem += kConsWords * names.size();
    Term list = kNil;
    for (size_t k = names.size(); k-- > 0;) {
        uint8_t* bytes = nullptr;
        Term bin = binary::make(mem, uint64_t(names[k].size()) * 8, &bytes, p.heap.off_heap);
        mem += binary::new_words(uint64_t(names[k].size()) * 8);
        if (bin == kNone) return heap_exhausted(p);
        std::memcpy(bytes, names[k].data(), names[k].size());
        list = make_cons(cells + kConsWords * k, bin, list);
    }
    return put_tuple2(mem, make_atom(atom::kNamelist), list);
}

}  // namespace impl

}  // namespace bif
