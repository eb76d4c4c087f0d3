// bif_binary: BIFs on binaries: sizes, conversions between binaries and
// lists, atoms and numbers, iolists, unicode:characters_to_*, and the
// `binary` module's basics.
//
// Results that are parts of an argument (binary_part, split_binary,
// binary:split...) are sub-binaries: no bytes are copied. Positions are
// computed before allocating, since a collection moves the arguments
// (`args` are X registers, updated in place: re-read after alloc).
#include <gmp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/etf.h"
#include "vm/heap.h"

namespace bif {

using namespace term;

namespace {

using Range = std::pair<uint64_t, uint64_t>;  // byte offset, byte length

// The bytes of a binary: a view of its own memory when byte aligned, else
// a copy in `scratch`.
std::string_view byte_view(Term bin, std::string& scratch) {
    Bits bits = bits_of(bin);
    if (bits.bit_offset % 8 == 0)
        return {reinterpret_cast<const char*>(bits.bytes + bits.bit_offset / 8), bits.bit_size / 8};
    binary::append_bytes(scratch, bin);
    return scratch;
}

uint64_t byte_size_of(Term bin) {
    return bits_of(bin).bit_size / 8;
}

// A list of sub-binaries of args[which] at `ranges`.
Term make_parts(Process& p, Term* args, unsigned which, const std::vector<Range>& ranges) {
    Term* mem = alloc(p, ranges.size() * (kSubBinWords + kConsWords));
    if (!mem && !ranges.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = ranges.size(); i-- > 0;) {
        Term part = binary::make_sub(mem, args[which], ranges[i].first * 8, ranges[i].second * 8);
        list = make_cons(mem + kSubBinWords, part, list);
        mem += kSubBinWords + kConsWords;
    }
    return list;
}

Term make_part(Process& p, Term* args, unsigned which, Range r) {
    Term* mem = alloc(p, kSubBinWords);
    if (!mem) return heap_exhausted(p);
    return binary::make_sub(mem, args[which], r.first * 8, r.second * 8);
}

// {Start, Length} (Length may be negative: the part before Start) checked
// against a binary of `size` bytes.
bool part_range(Term start, Term length, uint64_t size, Range* out) {
    if (!is_small(start) || !is_small(length)) return false;
    int64_t s = small_value(start), l = small_value(length);
    if (l < 0) {
        s += l;
        l = -l;
    }
    if (s < 0 || uint64_t(s) > size || uint64_t(l) > size - uint64_t(s)) return false;
    *out = {uint64_t(s), uint64_t(l)};
    return true;
}

// A list of the bytes of a bitstring view (the last partial byte, if any,
// as a bitstring element: bitstring_to_list).
Term bytes_to_list(Process& p, Term* args, uint64_t from, uint64_t n, bool tail_bits) {
    uint64_t rest = tail_bits ? bits_of(args[0]).bit_size % 8 : 0;
    size_t words = n * kConsWords + (rest ? kConsWords + binary::new_words(rest) : 0);
    Term* mem = alloc(p, words);
    if (!mem && words) return heap_exhausted(p);
    Bits bits = bits_of(args[0]);
    Term list = kNil;
    if (rest) {
        uint8_t* bytes;
        Term tail = binary::make(mem, rest, &bytes, p.heap.off_heap);
        Bits view{bits.bytes, bits.bit_offset + bits.bit_size / 8 * 8, rest};
        bytes[0] = bits_partial_byte(view);
        mem += binary::new_words(rest);
        list = make_cons(mem, tail, kNil);
        mem += kConsWords;
    }
    for (uint64_t i = n; i-- > 0;)
        list = make_cons(mem + kConsWords * i, make_small(bits_byte(bits, from + i)), list);
    return list;
}

Term text_to_binary(Process& p, const std::string& text) {
    Term t = binary::from_bytes(p, text.data(), text.size());
    return t == kNone ? heap_exhausted(p) : t;
}

Term atom_from_binary(Process& p, Term* args, bool latin1, bool existing) {
    if (!is_binary(args[0])) return badarg(p, 1, "not a binary");
    std::string scratch, name;
    std::string_view bytes = byte_view(args[0], scratch);
    if (latin1) {
        for (char c : bytes)
            append_utf8(name, uint8_t(c));
    } else {
        if (!valid_utf8(bytes)) return badarg(p, 1, "invalid UTF-8");
        name.assign(bytes);
    }
    uint32_t index = existing ? atom::find(name) : atom::intern(name);
    if (index == atom::kNoAtom) {
        return existing ? badarg(p, 1, "not an already existing atom")
                        : fail(p, make_atom(atom::kSystemLimit));
    }
    return make_atom(index);
}

bool encoding_latin1(Term t, bool* latin1) {
    if (t == make_atom(atom::kLatin1)) {
        *latin1 = true;
        return true;
    }
    *latin1 = false;
    return t == make_atom(atom::kUtf8) || t == make_atom(atom::kUnicode);
}

Term integer_from_binary(Process& p, Term* args, int base) {
    if (!is_binary(args[0])) return badarg(p, 1, "not a binary");
    std::string scratch;
    std::string text(byte_view(args[0], scratch));
    size_t start = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    bool ok = text.size() > start;
    for (size_t i = start; ok && i < text.size(); ++i) {
        char c = text[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'z' ? c - 'a' + 10
                : c >= 'A' && c <= 'Z' ? c - 'A' + 10
                                       : 99;
        ok = d < base;
    }
    if (!ok) return badarg(p, 1, "not a textual representation of an integer");
    mpz_t z;
    mpz_init_set_str(z, text.c_str() + (text[0] == '+' ? 1 : 0), base);
    size_t limbs = mpz_size(z);
    Term result = make_small(0);
    if (limbs > 0) {
        Term* mem = alloc(p, bignum_words(limbs));
        result = mem ? make_bignum(mem, mpz_sgn(z) < 0,
                                   reinterpret_cast<const Limb*>(mpz_limbs_read(z)), limbs)
                     : heap_exhausted(p);
        if (mem && is_small(result)) p.heap.top = mem;  // give the words back
    }
    mpz_clear(z);
    return result;
}

// The characters of a list result (integer_to_list...) as a binary.
Term list_result_to_binary(Process& p, Term list) {
    if (list == kNone) return kNone;
    std::string text;
    for (; is_cons(list); list = cdr(list))
        text += char(small_value(car(list)));
    return text_to_binary(p, text);
}

bool valid_base(Term t) {
    return is_small(t) && small_value(t) >= 2 && small_value(t) <= 36;
}

// ---- the binary module's searching ------------------------------------------------------

// The patterns of binary:match/split/replace: a non-empty binary, a
// non-empty list of them, or what binary:compile_pattern/1 made of one
// ({bm, Binary} or {ac, Binaries}: OTP's tags, with the patterns
// themselves where OTP keeps a compiled automaton behind a reference).
// False when `t` is not one.
bool search_patterns(Term t, std::vector<std::string>& out) {
    if (is_tuple(t) && tuple_arity(t) == 2 &&
        (tuple_element(t, 1) == make_atom(atom::kBm) ||
         tuple_element(t, 1) == make_atom(atom::kAc)))
        t = tuple_element(t, 2);
    auto add = [&](Term b) {
        if (!is_binary(b) || byte_size_of(b) == 0) return false;
        out.emplace_back();
        binary::append_bytes(out.back(), b);
        return true;
    };
    if (is_binary(t)) return add(t);
    for (; is_cons(t); t = cdr(t))
        if (!add(car(t))) return false;
    return is_nil(t) && !out.empty();
}

// The first match at or after `from`: the earliest, and the longest of
// those starting there (as OTP). {size, 0} when none.
Range find_match(std::string_view hay, uint64_t from, const std::vector<std::string>& pats) {
    for (uint64_t i = from; i < hay.size(); ++i) {
        uint64_t best = 0;
        for (const std::string& pat : pats)
            if (pat.size() > best && hay.compare(i, pat.size(), pat) == 0) best = pat.size();
        if (best) return {i, best};
    }
    return {hay.size(), 0};
}

// Matches inside [from, hay.size()): the caller cuts hay at the scope's end.
std::vector<Range> find_matches(std::string_view hay, const std::vector<std::string>& pats,
                                bool global, uint64_t from = 0) {
    std::vector<Range> found;
    for (uint64_t at = from;;) {
        Range m = find_match(hay, at, pats);
        if (m.second == 0) break;
        found.push_back(m);
        at = m.first + m.second;
        if (!global) break;
    }
    return found;
}

// Options of match/matches ({scope, {Start, Length}} only) and of
// split/replace (also global, trim, trim_all, {insert_replaced, N}).
struct SearchOptions {
    bool global = false, trim = false, trim_all = false, other = false;
    std::vector<uint64_t> insert;
    uint64_t from = 0, to = 0;  // the scope: bytes [from, to)
};

// {Start, Length} inside a binary of `size` bytes; a negative Length
// reaches back from Start, as in binary:part/2.
bool read_scope(Term t, uint64_t size, SearchOptions& o) {
    if (!is_tuple(t) || tuple_arity(t) != 2 || !is_small(tuple_element(t, 1)) ||
        !is_small(tuple_element(t, 2)))
        return false;
    int64_t start = small_value(tuple_element(t, 1)), length = small_value(tuple_element(t, 2));
    int64_t end = start + length;
    if (length < 0) std::swap(start, end);
    if (start < 0 || end > int64_t(size)) return false;
    o.from = uint64_t(start);
    o.to = uint64_t(end);
    return true;
}

bool search_options(Term t, uint64_t size, SearchOptions& o) {
    o.to = size;
    for (; is_cons(t); t = cdr(t)) {
        Term opt = car(t);
        std::string_view name = is_atom(opt) ? atom::name(atom_index(opt)) : "";
        if (is_tuple(opt) && tuple_arity(opt) == 2 &&
            tuple_element(opt, 1) == make_atom(atom::kScope)) {
            if (!read_scope(tuple_element(opt, 2), size, o)) return false;
            continue;
        }
        o.other = true;
        if (name == "global") {
            o.global = true;
        } else if (name == "trim") {
            o.trim = true;
        } else if (name == "trim_all") {
            o.trim_all = true;
        } else if (is_tuple(opt) && tuple_arity(opt) == 2 &&
                   tuple_element(opt, 1) == make_atom(atom::kInsertReplaced)) {
            Term n = tuple_element(opt, 2);
            if (is_small(n) && small_value(n) >= 0) {
                o.insert.push_back(uint64_t(small_value(n)));
                continue;
            }
            for (; is_cons(n); n = cdr(n)) {
                if (!is_small(car(n)) || small_value(car(n)) < 0) return false;
                o.insert.push_back(uint64_t(small_value(car(n))));
            }
            if (!is_nil(n)) return false;
        } else {
            return false;
        }
    }
    return is_nil(t);
}

Term match_tuple(Term* mem, Range r) {
    Term t = make_tuple(mem, 2);
    tuple_elements(t)[0] = make_small(int64_t(r.first));
    tuple_elements(t)[1] = make_small(int64_t(r.second));
    return t;
}

Term endianness_little(Term t, bool* little) {
    *little = t == make_atom(atom::kLittle);
    return *little || t == make_atom(atom::kBig) ? kTrue : kFalse;
}

}  // namespace

namespace impl {

// ---- sizes and parts -------------------------------------------------------------------

Term byte_size(Process& p, Term* args) {
    if (!term::is_bitstring(args[0])) return badarg(p, 1, "not a bitstring");
    return make_small(int64_t((bits_of(args[0]).bit_size + 7) / 8));
}

Term bit_size(Process& p, Term* args) {
    if (!term::is_bitstring(args[0])) return badarg(p, 1, "not a bitstring");
    return make_small(int64_t(bits_of(args[0]).bit_size));
}

Term binary_part3(Process& p, Term* args) {
    Range r;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!part_range(args[1], args[2], byte_size_of(args[0]), &r))
        return badarg(p, 2, "out of range");
    return make_part(p, args, 0, r);
}

Term binary_part2(Process& p, Term* args) {
    Range r;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!term::is_tuple(args[1]) || tuple_arity(args[1]) != 2 ||
        !part_range(tuple_element(args[1], 1), tuple_element(args[1], 2), byte_size_of(args[0]),
                    &r)) {
        return badarg(p, 2, "out of range");
    }
    return make_part(p, args, 0, r);
}

Term split_binary(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    uint64_t size = byte_size_of(args[0]);
    if (!is_small(args[1]) || small_value(args[1]) < 0 || uint64_t(small_value(args[1])) > size)
        return badarg(p, 2, "out of range");
    uint64_t at = uint64_t(small_value(args[1]));
    Term* mem = alloc(p, 2 * kSubBinWords + tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term left = binary::make_sub(mem, args[0], 0, at * 8);
    Term right = binary::make_sub(mem + kSubBinWords, args[0], at * 8, (size - at) * 8);
    Term tuple = term::make_tuple(mem + 2 * kSubBinWords, 2);
    tuple_elements(tuple)[0] = left;
    tuple_elements(tuple)[1] = right;
    return tuple;
}

// ---- binaries and lists -------------------------------------------------------------------

Term binary_to_list(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (should_go_dirty(byte_size_of(args[0]))) return go_dirty(p);
    return bytes_to_list(p, args, 0, byte_size_of(args[0]), false);
}

Term binary_to_list3(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    uint64_t size = byte_size_of(args[0]);
    // The first bad argument as erl_erts_errors finds it.
    for (unsigned i = 1; i <= 2; ++i) {
        if (!term::is_integer(args[i])) return badarg(p, i + 1, "not an integer");
        if (!is_small(args[i]) || small_value(args[i]) < 1) return badarg(p, i + 1, "out of range");
    }
    int64_t from = small_value(args[1]), to = small_value(args[2]);
    if (from > to) return badarg(p, 2, "start position greater than stop position");
    if (uint64_t(from) > size) return badarg(p, 2, "out of range");
    if (uint64_t(to) > size) return badarg(p, 3, "out of range");
    if (should_go_dirty(uint64_t(to - from))) return go_dirty(p);
    return bytes_to_list(p, args, uint64_t(from - 1), uint64_t(to - from + 1), false);
}

Term bitstring_to_list(Process& p, Term* args) {
    if (!term::is_bitstring(args[0])) return badarg(p, 1, "not a bitstring");
    return bytes_to_list(p, args, 0, bits_of(args[0]).bit_size / 8, true);
}

Term list_to_binary(Process& p, Term* args) {
    if (term::is_list(args[0]) &&
        should_go_dirty(size_t(std::max<int64_t>(binary::iolist_size(args[0]), 0))))
        return go_dirty(p);
    std::string bytes;
    if (!term::is_list(args[0]) || !binary::flatten_iolist(args[0], bytes))
        return badarg(p, 1, "not an iolist term");
    return text_to_binary(p, bytes);
}

Term iolist_to_binary(Process& p, Term* args) {
    if (term::is_binary(args[0])) return args[0];
    return list_to_binary(p, args);
}

Term list_to_bitstring(Process& p, Term* args) {
    std::string bytes;
    uint64_t bits = 0;
    if (!term::is_list(args[0]) || !binary::flatten_iolist(args[0], bytes, true, &bits))
        return badarg(p, 1, "not a bitstring list");
    uint8_t* out;
    Term t = binary::alloc(p, bits, &out);
    if (t == kNone) return heap_exhausted(p);
    if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
    return t;
}

Term iolist_size(Process& p, Term* args) {
    int64_t n = binary::iolist_size(args[0]);
    if (n < 0) return badarg(p, 1, "not an iodata term");
    return make_small(n);
}

// ---- atoms and numbers ------------------------------------------------------------------------

Term atom_to_binary(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    std::string name(atom::name(atom_index(args[0])));
    return text_to_binary(p, name);
}

Term atom_to_binary2(Process& p, Term* args) {
    bool latin1;
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    if (!encoding_latin1(args[1], &latin1)) return badarg(p, 2, "not a valid encoding");
    std::string name(atom::name(atom_index(args[0])));
    if (!latin1) return text_to_binary(p, name);
    std::string bytes;
    for (size_t i = 0; i < name.size();) {
        auto b = uint8_t(name[i]);
        uint32_t c = b;
        size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        if (n > 1) c = b & (0x7F >> n);
        for (size_t k = 1; k < n && i + k < name.size(); ++k)
            c = c << 6 | (uint8_t(name[i + k]) & 0x3F);
        if (c > 255) return badarg(p, 1, "contains a character not expressible in latin1");
        bytes += char(c);
        i += n;
    }
    return text_to_binary(p, bytes);
}

Term binary_to_atom(Process& p, Term* args) {
    return atom_from_binary(p, args, false, false);
}

Term binary_to_atom2(Process& p, Term* args) {
    bool latin1;
    if (!encoding_latin1(args[1], &latin1)) return badarg(p, 2, "not a valid encoding");
    return atom_from_binary(p, args, latin1, false);
}

Term binary_to_existing_atom(Process& p, Term* args) {
    return atom_from_binary(p, args, false, true);
}

Term binary_to_existing_atom2(Process& p, Term* args) {
    bool latin1;
    if (!encoding_latin1(args[1], &latin1)) return badarg(p, 2, "not a valid encoding");
    return atom_from_binary(p, args, latin1, true);
}

Term integer_to_binary(Process& p, Term* args) {
    return list_result_to_binary(p, integer_to_list(p, args));
}

Term integer_to_binary2(Process& p, Term* args) {
    return list_result_to_binary(p, integer_to_list2(p, args));
}

Term binary_to_integer(Process& p, Term* args) {
    return integer_from_binary(p, args, 10);
}

Term binary_to_integer2(Process& p, Term* args) {
    if (!valid_base(args[1])) return badarg(p, 2, "not an integer in the range 2 through 36");
    return integer_from_binary(p, args, int(small_value(args[1])));
}

Term float_to_binary(Process& p, Term* args) {
    return list_result_to_binary(p, float_to_list(p, args));
}

Term float_to_binary2(Process& p, Term* args) {
    return list_result_to_binary(p, float_to_list2(p, args));
}

// Through list_to_float, which reads its argument only before allocating.
Term binary_to_float(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    std::string text;
    binary::append_bytes(text, args[0]);
    Term chars[1] = {make_string(p, text)};
    if (chars[0] == kNone) return kNone;
    return list_to_float(p, chars);
}

// ---- the binary module ------------------------------------------------------------------------

Term binary_first(Process& p, Term* args) {
    if (!term::is_binary(args[0]) || byte_size_of(args[0]) == 0)
        return badarg(p, 1, "a zero-sized binary is not allowed");
    return make_small(bits_byte(bits_of(args[0]), 0));
}

Term binary_last(Process& p, Term* args) {
    if (!term::is_binary(args[0]) || byte_size_of(args[0]) == 0)
        return badarg(p, 1, "a zero-sized binary is not allowed");
    return make_small(bits_byte(bits_of(args[0]), byte_size_of(args[0]) - 1));
}

Term binary_at(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!is_small(args[1]) || small_value(args[1]) < 0 ||
        uint64_t(small_value(args[1])) >= byte_size_of(args[0])) {
        return badarg(p, 2, "out of range");
    }
    return make_small(bits_byte(bits_of(args[0]), uint64_t(small_value(args[1]))));
}

namespace {

// The binaries of a non-empty list of binaries, or false.
bool binary_list(Term list, std::vector<Term>& out) {
    for (; is_cons(list); list = cdr(list)) {
        if (!term::is_binary(car(list))) return false;
        out.push_back(car(list));
    }
    return is_nil(list) && !out.empty();
}

// The length of the common prefix (from_end: suffix) of all of them.
Term common_affix(Process& p, Term* args, bool from_end) {
    std::vector<Term> bins;
    if (!binary_list(args[0], bins)) return badarg(p, 1, "not a list of binaries");
    uint64_t shortest = UINT64_MAX;
    for (Term b : bins)
        shortest = std::min(shortest, byte_size_of(b));
    Bits first = bits_of(bins[0]);
    uint64_t first_size = byte_size_of(bins[0]);
    uint64_t n = 0;
    for (; n < shortest; ++n) {
        uint8_t c = bits_byte(first, from_end ? first_size - 1 - n : n);
        bool same = true;
        for (size_t i = 1; same && i < bins.size(); ++i) {
            uint64_t size = byte_size_of(bins[i]);
            same = bits_byte(bits_of(bins[i]), from_end ? size - 1 - n : n) == c;
        }
        if (!same) break;
    }
    return make_small(int64_t(n));
}

}  // namespace

// {bm, Pattern} for one pattern, {ac, Patterns} for several (see
// search_patterns).
Term binary_compile_pattern(Process& p, Term* args) {
    std::vector<std::string> patterns;
    if (!search_patterns(args[0], patterns)) return badarg(p, 1, "not a valid pattern");
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 2);
    mem[1] = make_atom(term::is_binary(args[0]) ? atom::kBm : atom::kAc);
    mem[2] = args[0];
    return t;
}

Term binary_longest_common_prefix(Process& p, Term* args) {
    return common_affix(p, args, false);
}

Term binary_longest_common_suffix(Process& p, Term* args) {
    return common_affix(p, args, true);
}

// The size of the binary a (sub-)binary refers to: its whole off-heap
// binary, or itself when it is on the heap.
Term binary_referenced_byte_size(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    Term t = args[0];
    if (is_boxed_kind(t, Kind::kSubBin)) t = boxed_ptr(t)[1];
    if (is_boxed_kind(t, Kind::kRefcBin)) return make_small(int64_t(refc_binary(t)->size));
    return make_small(int64_t(byte_size_of(t)));
}

Term binary_copy(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    std::string bytes;
    binary::append_bytes(bytes, args[0]);
    return text_to_binary(p, bytes);
}

namespace {

// Fills the bytes of `result` (`total` of them, the first `done` filled,
// `done` a multiple of the pattern's `unit` bytes) by copying what is
// filled after itself, doubling, for at most about kTrapBytes bytes
// (charged); returns the new `done`.
uint64_t copy_step(Term result, uint64_t done, uint64_t total, uint64_t unit) {
    auto* out = const_cast<uint8_t*>(bits_of(result).bytes);
    uint64_t budget = kTrapBytes;
    while (done < total && budget > 0) {
        uint64_t n = std::min(done, total - done);
        if (n > budget && n > unit) n = std::max(unit, budget / unit * unit);
        std::memcpy(out + done, out, n);
        done += n;
        budget -= std::min(budget, n);
        charge(n);
    }
    return done;
}

}  // namespace

// Copies of binary:copy/2 are filled by doubling, in steps of kTrapBytes
// between which the BIF yields (bif.h, "long BIFs"): terms[2] is the
// result, `done` its bytes filled.
Term binary_copy2(Process& p, Term* args) {
    const void* owner = reinterpret_cast<const void*>(&binary_copy2);
    if (process::Trap* t = trap_find(p, owner, args, 2)) {
        uint64_t unit = byte_size_of(args[0]), total = unit * uint64_t(small_value(args[1]));
        t->done = copy_step(t->terms[2], t->done, total, unit);
        if (t->done < total) return trap_again(p);
        Term result = t->terms[2];
        trap_done(p);
        return result;
    }
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!is_small(args[1]) || small_value(args[1]) < 0) return badarg(p, 2, "out of range");
    std::string one;
    binary::append_bytes(one, args[0]);
    uint64_t times = uint64_t(small_value(args[1]));
    // An empty binary copied any number of times is empty (OTP answers at
    // once; a loop of 2^40 empty appends held the scheduler for hours).
    if (one.empty() || times == 0) return text_to_binary(p, one.substr(0, 0));
    if (times > binary::kMaxBytes / one.size()) return fail(p, make_atom(atom::kSystemLimit));
    uint64_t total = times * one.size();
    charge(one.size());
    uint8_t* out = nullptr;
    Term result = binary::alloc(p, total * 8, &out);
    if (result == kNone) return heap_exhausted(p);
    std::memcpy(out, one.data(), one.size());
    uint64_t done = copy_step(result, one.size(), total, one.size());
    if (done == total) return result;
    process::Trap t;
    t.owner = owner;
    t.terms[0] = args[0];
    t.terms[1] = args[1];
    t.terms[2] = result;
    t.done = done;
    return trap_again(p, std::move(t));
}

Term binary_bin_to_list(Process& p, Term* args) {
    return binary_to_list(p, args);
}

Term binary_bin_to_list2(Process& p, Term* args) {
    Range r;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!term::is_tuple(args[1]) || tuple_arity(args[1]) != 2 ||
        !part_range(tuple_element(args[1], 1), tuple_element(args[1], 2), byte_size_of(args[0]),
                    &r)) {
        return badarg(p, 2, "out of range");
    }
    return bytes_to_list(p, args, r.first, r.second, false);
}

Term binary_bin_to_list3(Process& p, Term* args) {
    Range r;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!part_range(args[1], args[2], byte_size_of(args[0]), &r))
        return badarg(p, 2, "out of range");
    return bytes_to_list(p, args, r.first, r.second, false);
}

Term binary_list_to_bin(Process& p, Term* args) {
    return list_to_binary(p, args);
}

Term binary_decode_unsigned2(Process& p, Term* args) {
    bool little;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (endianness_little(args[1], &little) != kTrue) return badarg(p, 2, "not big or little");
    std::string scratch;
    std::string_view bytes = byte_view(args[0], scratch);
    size_t n = bytes.size();
    std::vector<Limb> limbs((n + 7) / 8 + 1, 0);
    for (size_t k = 0; k < n; ++k) {  // k: significance, least first
        uint8_t b = uint8_t(little ? bytes[k] : bytes[n - 1 - k]);
        limbs[k / 8] |= Limb(b) << (8 * (k % 8));
    }
    Term* mem = alloc(p, bignum_words(limbs.size()));
    if (!mem) return heap_exhausted(p);
    Term t = make_bignum(mem, false, limbs.data(), limbs.size());
    p.heap.top = is_small(t) ? mem : mem + header_size(boxed_header(t)) + 1;
    return t;
}

Term binary_decode_unsigned(Process& p, Term* args) {
    args[1] = make_atom(atom::kBig);
    return binary_decode_unsigned2(p, args);
}

Term binary_encode_unsigned2(Process& p, Term* args) {
    bool little;
    if (!term::is_integer(args[0]) || (is_small(args[0]) && small_value(args[0]) < 0) ||
        (is_bignum(args[0]) && bignum_negative(args[0]))) {
        return badarg(p, 1, "out of range");
    }
    if (endianness_little(args[1], &little) != kTrue) return badarg(p, 2, "not big or little");
    std::string bytes;  // least significant first
    if (is_small(args[0])) {
        uint64_t v = uint64_t(small_value(args[0]));
        do {
            bytes += char(v & 0xFF);
            v >>= 8;
        } while (v);
    } else {
        const Limb* limbs = bignum_limbs(args[0]);
        uint64_t n = bignum_limb_count(args[0]);
        for (uint64_t k = 0; k < n * 8; ++k)
            bytes += char(limbs[k / 8] >> (8 * (k % 8)));
        while (bytes.size() > 1 && bytes.back() == 0)
            bytes.pop_back();
    }
    if (!little) bytes.assign(bytes.rbegin(), bytes.rend());
    return text_to_binary(p, bytes);
}

Term binary_encode_unsigned(Process& p, Term* args) {
    args[1] = make_atom(atom::kBig);
    return binary_encode_unsigned2(p, args);
}

Term binary_match3(Process& p, Term* args) {
    std::vector<std::string> pats;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!search_patterns(args[1], pats)) return badarg(p, 2, "not a valid pattern");
    SearchOptions o;
    if (!search_options(args[2], byte_size_of(args[0]), o) || o.other)
        return badarg(p, 3, "invalid options");
    std::string scratch;
    Range m = find_match(byte_view(args[0], scratch).substr(0, o.to), o.from, pats);
    if (m.first >= o.to) m.second = 0;
    if (m.second == 0) return make_atom(atom::kNomatch);
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    return match_tuple(mem, m);
}

Term binary_match(Process& p, Term* args) {
    args[2] = kNil;
    return binary_match3(p, args);
}

Term binary_matches3(Process& p, Term* args) {
    std::vector<std::string> pats;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!search_patterns(args[1], pats)) return badarg(p, 2, "not a valid pattern");
    SearchOptions o;
    if (!search_options(args[2], byte_size_of(args[0]), o) || o.other)
        return badarg(p, 3, "invalid options");
    std::string scratch;
    std::vector<Range> found =
        find_matches(byte_view(args[0], scratch).substr(0, o.to), pats, true, o.from);
    Term* mem = alloc(p, found.size() * (tuple_words(2) + kConsWords));
    if (!mem && !found.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = found.size(); i-- > 0;) {
        Term t = match_tuple(mem, found[i]);
        list = make_cons(mem + tuple_words(2), t, list);
        mem += tuple_words(2) + kConsWords;
    }
    return list;
}

Term binary_matches(Process& p, Term* args) {
    args[2] = kNil;
    return binary_matches3(p, args);
}

Term binary_split3(Process& p, Term* args) {
    std::vector<std::string> pats;
    SearchOptions o;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!search_patterns(args[1], pats)) return badarg(p, 2, "not a valid pattern");
    if (!search_options(args[2], byte_size_of(args[0]), o) || !o.insert.empty())
        return badarg(p, 3, "invalid options");
    std::string scratch;
    std::string_view hay = byte_view(args[0], scratch);
    std::vector<Range> parts;
    uint64_t at = 0;
    for (Range m : find_matches(hay.substr(0, o.to), pats, o.global, o.from)) {
        parts.push_back({at, m.first - at});
        at = m.first + m.second;
    }
    parts.push_back({at, hay.size() - at});
    if (o.trim_all) {
        std::vector<Range> kept;
        for (Range r : parts)
            if (r.second) kept.push_back(r);
        parts = kept;
    } else if (o.trim) {
        while (!parts.empty() && parts.back().second == 0)
            parts.pop_back();
    }
    return make_parts(p, args, 0, parts);
}

Term binary_split(Process& p, Term* args) {
    args[2] = kNil;
    return binary_split3(p, args);
}

Term binary_replace4(Process& p, Term* args) {
    std::vector<std::string> pats;
    SearchOptions o;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (!search_patterns(args[1], pats)) return badarg(p, 2, "not a valid pattern");
    if (!term::is_binary(args[2])) return badarg(p, 3, "not a binary");
    if (!search_options(args[3], byte_size_of(args[0]), o) || o.trim || o.trim_all)
        return badarg(p, 4, "invalid options");
    std::string scratch, replacement, out;
    std::string_view hay = byte_view(args[0], scratch);
    binary::append_bytes(replacement, args[2]);
    for (uint64_t n : o.insert)
        if (n > replacement.size()) return badarg(p, 4, "invalid options");
    uint64_t at = 0;
    for (Range m : find_matches(hay.substr(0, o.to), pats, o.global, o.from)) {
        out.append(hay.substr(at, m.first - at));
        std::string_view matched = hay.substr(m.first, m.second);
        uint64_t from = 0;
        for (uint64_t n : o.insert) {  // insertion points, in the order given
            out.append(replacement, from, n - std::min(n, from));
            out.append(matched);
            from = std::max(from, n);
        }
        out.append(replacement, from, std::string::npos);
        at = m.first + m.second;
    }
    out.append(hay.substr(at));
    return text_to_binary(p, out);
}

Term binary_replace(Process& p, Term* args) {
    args[3] = kNil;
    return binary_replace4(p, args);
}

// ---- the external term format ------------------------------------------------------------------

// zlib's default level, which `compressed` alone means.
constexpr int kDefaultZlibLevel = 6;

Term term_to_binary2(Process& p, Term* args) {
    if (should_go_dirty(heap::copy_size(args[0]) * sizeof(Term))) return go_dirty(p);
    etf::EncodeOptions options;
    Term opts = args[1];
    for (; is_cons(opts); opts = cdr(opts)) {
        Term o = car(opts);
        std::string_view name = term::is_atom(o) ? atom::name(atom_index(o)) : "";
        if (name == "compressed") {
            options.compressed = kDefaultZlibLevel;
            continue;
        }
        if (name == "deterministic") continue;  // the order is always the same
        if (term::is_tuple(o) && tuple_arity(o) == 2 && term::is_atom(tuple_element(o, 1))) {
            std::string_view key = atom::name(atom_index(tuple_element(o, 1)));
            Term v = tuple_element(o, 2);
            if (key == "minor_version" && is_small(v) && small_value(v) >= 0 &&
                small_value(v) <= 2) {
                options.minor_version = int(small_value(v));
                continue;
            }
            if (key == "compressed" && is_small(v) && small_value(v) >= 0 && small_value(v) <= 9) {
                options.compressed = int(small_value(v));
                continue;
            }
        }
        return badarg(p, 2, "invalid option in list");
    }
    if (!is_nil(opts)) return badarg(p, 2, "not a list");
    std::string out;
    if (!etf::encode(args[0], options, out)) return badarg(p, 1, "cannot be encoded");
    return text_to_binary(p, out);
}

Term term_to_binary(Process& p, Term* args) {
    args[1] = kNil;
    return term_to_binary2(p, args);
}

Term binary_to_term2(Process& p, Term* args) {
    etf::DecodeOptions options;
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    if (should_go_dirty(byte_size_of(args[0]))) return go_dirty(p);
    Term opts = args[1];
    for (; is_cons(opts); opts = cdr(opts)) {
        std::string_view name = term::is_atom(car(opts)) ? atom::name(atom_index(car(opts))) : "";
        if (name == "safe") {
            options.safe = true;
        } else if (name == "used") {
            options.used = true;
        } else {
            return badarg(p, 2, "invalid option in list");
        }
    }
    if (!is_nil(opts)) return badarg(p, 2, "not a list");
    // A copy of the bytes: decoding allocates, which may move the binary.
    std::string bytes;
    binary::append_bytes(bytes, args[0]);
    size_t n = 0;
    bool atom_table_full = false;
    Term t = etf::decode(p, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), options,
                         &n, &atom_table_full);
    if (t == kNone) {
        if (p.status == process::Status::Killed) return kNone;
        if (atom_table_full) return fail(p, make_atom(atom::kSystemLimit));
        return badarg(p, 1, "invalid external representation of a term");
    }
    return t;
}

Term binary_to_term(Process& p, Term* args) {
    args[1] = kNil;
    return binary_to_term2(p, args);
}

}  // namespace impl

}  // namespace bif
