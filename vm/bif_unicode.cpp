// bif_unicode: unicode:characters_to_binary/1 and characters_to_list/1,
// with OTP 25's results for bad and truncated input: {error, Done, Rest}
// and {incomplete, Done, Rest}.
//
// Rest is whatever OTP's walk (erts/emulator/beam/erl_unicode.c) had not
// consumed, in the shape that walk leaves it, so it is modelled step by
// step here (run to completion: OTP's yields do not change the result):
//
// - Chardata is walked with a stack of pending list tails. At an error the
//   rest is the list cell holding the bad element, or [RestOfBinary | Tail]
//   for a bad binary element, consed onto each pending tail in turn:
//   [97, [98, [-1, 100], 101], 102] leaves [[[-1, 100], 101], 102].
// - A binary may end inside a character; its last bytes wait for the next
//   binary ("leftovers"). An integer while bytes wait is an error; the
//   rest is then [Leftovers, Rest]. Leftovers at the very end are
//   {incomplete, ...} when they could still start a character, else error.
// - characters_to_binary([Bin]) works on Bin itself, so its rest is a
//   binary; characters_to_list(Bin) decodes Bin directly and the rest is
//   the binary from the first bad byte.
//
// Invalid chardata (atoms, floats, bitstrings, improper tails that are not
// binaries) is badarg before anything is converted.
#include <cstring>
#include <string>
#include <vector>

#include "vm/bif.h"
#include "vm/binary.h"

namespace bif {

using namespace term;

namespace {

// OTP's utf8_need: false (badarg) unless `t` is a binary or a list of
// integers, binaries and lists whose tails are [] or binaries. Integers are
// not range-checked here (the walk reports them, bignums too, as errors).
bool chardata_shape_ok(Term t) {
    auto bin_ok = [](Term b) { return bits_of(b).bit_size % 8 == 0; };
    if (is_nil(t)) return true;
    if (is_binary(t) || is_bitstring(t)) return bin_ok(t);
    if (!is_cons(t)) return false;
    std::vector<Term> stack{t};
    while (!stack.empty()) {
        Term l = stack.back();
        stack.pop_back();
        for (; is_cons(l); l = cdr(l)) {
            Term e = car(l);
            if (is_integer(e) || is_nil(e)) continue;
            if (is_cons(e)) {
                stack.push_back(e);
            } else if (!is_bitstring(e) || !bin_ok(e)) {
                return false;
            }
        }
        if (!is_nil(l) && (!is_bitstring(l) || !bin_ok(l))) return false;
    }
    return true;
}

// Code points of valid UTF-8.
std::vector<uint32_t> decode_utf8(std::string_view s) {
    std::vector<uint32_t> cps;
    for (size_t i = 0; i < s.size();)
        cps.push_back(next_utf8(s, i));
    return cps;
}

int utf8_len(uint8_t first) {
    if ((first & 0x80) == 0) return 1;
    if ((first & 0xE0) == 0xC0) return 2;
    if ((first & 0xF0) == 0xE0) return 3;
    if ((first & 0xF8) == 0xF0) return 4;
    return -1;
}

// Is the whole character starting at s[0] (len bytes, all present) valid?
bool valid_char(const uint8_t* s, int len) {
    for (int k = 1; k < len; ++k)
        if ((s[k] & 0xC0) != 0x80) return false;
    switch (len) {
        case 1:
            return true;
        case 2:
            return s[0] >= 0xC2;
        case 3:
            return !(s[0] == 0xE0 && s[1] < 0xA0) && !((s[0] & 0xF) == 0xD && (s[1] & 0x20));
        case 4:
            return !(s[0] == 0xF0 && s[1] < 0x90) && (s[0] & 7) <= 4 &&
                   !((s[0] & 7) == 4 && (s[1] & 0x3F) > 0xF);
        default:
            return false;
    }
}

// OTP's check_leftovers: could these last bytes still begin a character?
bool leftovers_incomplete(const uint8_t* s, int n) {
    int len = utf8_len(s[0]);
    if (len == 2) return true;
    if (len == 3) return n < 2 || (n < 3 && (s[1] & 0xC0) == 0x80);
    if (len == 4) {
        return n < 2 || (n < 3 && (s[1] & 0xC0) == 0x80) ||
               (n < 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80);
    }
    return false;
}

// What is left when the walk stops at an error, described without
// allocating: `core` (an existing term), or the sub-binary of `bin` from
// byte `offset` (consed onto `tail` when `in_list`), then consed onto each
// of `tails`, innermost first.
struct Rest {
    Term core = kNil;
    Term bin = kNone;
    uint64_t offset = 0;
    bool in_list = false;
    Term tail = kNil;
    std::vector<Term> tails;  // bottom of OTP's stack first
};

class Walk {
  public:
    std::string out;  // UTF-8 of everything converted
    bool error = false;
    uint8_t leftover[4] = {};
    int num_leftovers = 0;
    Rest rest;

    void run(Term t) {
        if (is_bitstring(t)) {
            uint64_t err_at = 0;
            if (!binary(t, &err_at)) fail_in_binary(t, err_at, false, kNil);
            return;
        }
        std::vector<Term> stack{t};
        while (!stack.empty() && !error) {
            Term l = stack.back();
            stack.pop_back();
            if (!list(l, stack)) {
                rest.tails = stack;
                return;
            }
        }
    }

    // Characters converted so far, as code points.
    std::vector<uint32_t> code_points() const { return decode_utf8(out); }

  private:
    void fail_at(Term cell) {
        error = true;
        rest.core = cell;
    }
    void fail_in_binary(Term bin, uint64_t offset, bool in_list, Term tail) {
        error = true;
        rest.bin = bin;
        rest.offset = offset;
        rest.in_list = in_list;
        rest.tail = tail;
    }

    // One list level; nested lists push the rest of this one. False at an
    // error (`rest` set but for the pending tails).
    bool list(Term l, std::vector<Term>& stack) {
        while (is_cons(l)) {
            Term e = car(l);
            if (is_integer(e)) {
                if (num_leftovers > 0 || !is_small(e) || !code_point(small_value(e))) {
                    fail_at(l);
                    return false;
                }
            } else if (is_cons(e)) {
                stack.push_back(cdr(l));
                l = e;
                continue;
            } else if (is_bitstring(e)) {
                uint64_t err_at = 0;
                if (!binary(e, &err_at)) {
                    fail_in_binary(e, err_at, true, cdr(l));
                    return false;
                }
            }
            l = cdr(l);
        }
        if (is_bitstring(l)) {
            uint64_t err_at = 0;
            if (!binary(l, &err_at)) {
                fail_in_binary(l, err_at, false, kNil);
                return false;
            }
        }
        return true;
    }

    bool code_point(int64_t c) {
        if (c < 0 || c >= 0x110000 || (c >= 0xD800 && c <= 0xDFFF)) return false;
        append_utf8(out, uint32_t(c));
        return true;
    }

    // OTP's copy_utf8_bin with leftovers: false at a bad character, whose
    // byte offset in the binary goes to *err_at.
    bool binary(Term bin, uint64_t* err_at) {
        std::string scratch;
        binary::append_bytes(scratch, bin);
        const auto* s = reinterpret_cast<const uint8_t*>(scratch.data());
        size_t size = scratch.size(), i = 0;
        if (num_leftovers > 0) {
            int need = utf8_len(leftover[0]);
            size_t from_source = size_t(need - num_leftovers);
            if (size < from_source) {
                std::memcpy(leftover + num_leftovers, s, size);
                num_leftovers += int(size);
                return true;
            }
            std::memcpy(leftover + num_leftovers, s, from_source);
            if (!valid_char(leftover, need)) {
                *err_at = 0;  // the leftovers stay: they go first in the rest
                return false;
            }
            out.append(reinterpret_cast<const char*>(leftover), size_t(need));
            num_leftovers = 0;
            i = from_source;
        }
        while (i < size) {
            int len = utf8_len(s[i]);
            if (len > 1 && size - i < size_t(len)) {
                std::memcpy(leftover, s + i, size - i);
                num_leftovers = int(size - i);
                return true;
            }
            if (len < 0 || !valid_char(s + i, len)) {
                *err_at = i;
                return false;
            }
            out.append(scratch, i, size_t(len));
            i += size_t(len);
        }
        return true;
    }
};

// Heap words for the rest term and the optional [Leftovers, Rest] wrap.
size_t rest_words(const Walk& w) {
    size_t words = w.rest.tails.size() * kConsWords;
    if (w.rest.bin != kNone) words += kSubBinWords + (w.rest.in_list ? kConsWords : 0);
    if (w.num_leftovers > 0)
        words += binary::new_words(uint64_t(w.num_leftovers) * 8) + 2 * kConsWords;
    return words;
}

Term build_rest(Term*& mem, const Walk& w, Term*& off_heap) {
    Term r = w.rest.core;
    if (w.rest.bin != kNone) {
        uint64_t bytes = bits_of(w.rest.bin).bit_size / 8;
        r = binary::make_sub(mem, w.rest.bin, w.rest.offset * 8, (bytes - w.rest.offset) * 8);
        mem += kSubBinWords;
        if (w.rest.in_list) {
            r = make_cons(mem, r, w.rest.tail);
            mem += kConsWords;
        }
    }
    for (size_t i = w.rest.tails.size(); i-- > 0;) {
        r = make_cons(mem, r, w.rest.tails[i]);
        mem += kConsWords;
    }
    if (w.num_leftovers > 0) {
        uint8_t* bytes;
        uint64_t bits = uint64_t(w.num_leftovers) * 8;
        Term left = binary::make(mem, bits, &bytes, off_heap);
        std::memcpy(bytes, w.leftover, size_t(w.num_leftovers));
        mem += binary::new_words(bits);
        r = make_cons(mem, left, make_cons(mem + kConsWords, r, kNil));
        mem += 2 * kConsWords;
    }
    return r;
}

// Only the leftovers remain: {incomplete, Done, Leftovers} or an error.
Term leftover_binary(Term*& mem, const Walk& w, Term*& off_heap) {
    uint8_t* bytes;
    uint64_t bits = uint64_t(w.num_leftovers) * 8;
    Term left = binary::make(mem, bits, &bytes, off_heap);
    std::memcpy(bytes, w.leftover, size_t(w.num_leftovers));
    mem += binary::new_words(bits);
    return left;
}

enum class Output { kBinary, kList };

size_t done_words(const Walk& w, Output how) {
    if (how == Output::kBinary) return binary::new_words(uint64_t(w.out.size()) * 8);
    return w.code_points().size() * kConsWords;
}

Term build_done(Term*& mem, const Walk& w, Output how, Term*& off_heap) {
    if (how == Output::kBinary) {
        uint8_t* bytes;
        uint64_t bits = uint64_t(w.out.size()) * 8;
        Term b = binary::make(mem, bits, &bytes, off_heap);
        if (b == kNone) return kNone;
        if (!w.out.empty()) std::memcpy(bytes, w.out.data(), w.out.size());
        mem += binary::new_words(bits);
        return b;
    }
    std::vector<uint32_t> cps = w.code_points();
    Term list = kNil;
    for (size_t i = cps.size(); i-- > 0;)
        list = make_cons(mem + kConsWords * i, make_small(cps[i]), list);
    mem += cps.size() * kConsWords;
    return list;
}

// Runs the walk over `subject()` and builds OTP's result. The walk is
// repeated after allocating when a collection moved the subject.
template <typename Subject>
Term convert(Process& p, Subject subject, Output how) {
    Walk w;
    w.run(subject());
    bool only_leftovers = !w.error && w.num_leftovers > 0;
    size_t words = done_words(w, how);
    if (w.error) words += rest_words(w) + 4;
    if (only_leftovers) words += binary::new_words(uint64_t(w.num_leftovers) * 8) + 4;
    bool moved;
    Term* mem = alloc(p, words, moved);
    if (!mem) return heap_exhausted(p);
    if (moved) {
        w = Walk();
        w.run(subject());
    }
    Term* end = mem + words;
    Term done = build_done(mem, w, how, p.heap.off_heap);
    if (done == kNone) {  // out of memory for the binary's bytes
        for (Term* q = mem; q < end; ++q)
            *q = kNil;
        p.heap.out_of_memory = true;
        return heap_exhausted(p);
    }
    if (!w.error && !only_leftovers) return done;
    Term tag = make_atom(atom::kError);
    Term rest;
    if (w.error) {
        rest = build_rest(mem, w, p.heap.off_heap);
    } else {
        rest = leftover_binary(mem, w, p.heap.off_heap);
        if (leftovers_incomplete(w.leftover, w.num_leftovers)) tag = make_atom(atom::kIncomplete);
    }
    Term tuple = make_tuple(mem, 3);
    tuple_elements(tuple)[0] = tag;
    tuple_elements(tuple)[1] = done;
    tuple_elements(tuple)[2] = rest;
    mem += tuple_words(3);
    if (mem < end) {  // keep the heap a sequence of whole objects
        mem[0] = make_header(Kind::kTuple, uint64_t(end - mem - 1));
        for (Term* q = mem + 1; q < end; ++q)
            *q = kNil;
    }
    return tuple;
}

// characters_to_list of a binary: OTP decodes it directly, and a bad or
// truncated character ends it ({error | incomplete, Done, RestOfBinary}).
Term binary_to_chars(Process& p, Term* args) {
    std::string scratch;
    binary::append_bytes(scratch, args[0]);
    const auto* s = reinterpret_cast<const uint8_t*>(scratch.data());
    size_t i = 0, size = scratch.size();
    bool incomplete = false;
    for (; i < size;) {
        int len = utf8_len(s[i]);
        if (len > 1 && size - i < size_t(len)) {
            incomplete = true;
            break;
        }
        if (len < 0 || !valid_char(s + i, len)) break;
        i += size_t(len);
    }
    if (i == size) return make_unicode_string(p, scratch);
    std::vector<uint32_t> cps = decode_utf8(std::string_view(scratch).substr(0, i));
    Term* mem = alloc(p, cps.size() * kConsWords + kSubBinWords + tuple_words(3));
    if (!mem) return heap_exhausted(p);
    Term list = kNil;
    for (size_t k = cps.size(); k-- > 0;)
        list = make_cons(mem + kConsWords * k, make_small(cps[k]), list);
    mem += cps.size() * kConsWords;
    Term rest = binary::make_sub(mem, args[0], i * 8, (size - i) * 8);
    mem += kSubBinWords;
    Term tuple = make_tuple(mem, 3);
    tuple_elements(tuple)[0] = make_atom(incomplete ? atom::kIncomplete : atom::kError);
    tuple_elements(tuple)[1] = list;
    tuple_elements(tuple)[2] = rest;
    return tuple;
}

// Latin-1 chardata (bytes 0..255 and binaries of Latin-1 bytes, nested)
// flattened to its bytes; false when it is not that.
bool latin1_bytes(Term t, std::string& out) {
    std::vector<Term> pending{t};
    while (!pending.empty()) {
        Term x = pending.back();
        pending.pop_back();
        if (term::is_binary(x)) {
            binary::append_bytes(out, x);
        } else if (is_small(x) && small_value(x) >= 0 && small_value(x) <= 255) {
            out += char(small_value(x));
        } else if (term::is_cons(x)) {
            pending.push_back(cdr(x));
            pending.push_back(car(x));
        } else if (!term::is_nil(x)) {
            return false;
        }
    }
    return true;
}

// Latin-1 bytes as UTF-8.
std::string latin1_to_utf8(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        if (c < 0x80) {
            out += char(c);
        } else {
            out += char(0xC0 | c >> 6);
            out += char(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// The input encodings converted here: unicode/utf8 and latin1. The others
// (utf16, utf32) go on in OTP's unicode module, in Erlang.
enum class InEncoding { kUtf8, kLatin1, kOther };
InEncoding in_encoding(Term t) {
    if (t == make_atom(atom::kUnicode) || t == make_atom(atom::kUtf8)) return InEncoding::kUtf8;
    if (t == make_atom(atom::kLatin1)) return InEncoding::kLatin1;
    return InEncoding::kOther;
}

Term latin1_to_binary(Process& p, Term data) {
    std::string bytes;
    if (!latin1_bytes(data, bytes)) return badarg(p, 1, "not valid character data");
    std::string utf8 = latin1_to_utf8(bytes);
    Term b = binary::from_bytes(p, utf8.data(), utf8.size());
    return b == kNone ? heap_exhausted(p) : b;
}

}  // namespace

bool unicode_text(Term chardata, std::string& utf8) {
    if (!chardata_shape_ok(chardata)) return false;
    Walk walk;
    walk.run(chardata);
    if (walk.error || walk.num_leftovers > 0) return false;
    utf8 = std::move(walk.out);
    return true;
}

namespace impl {

// False for anything but a binary of bytes below 128 (OTP's too).
Term unicode_bin_is_7bit(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return kFalse;
    std::string bytes;
    binary::append_bytes(bytes, args[0]);
    for (unsigned char c : bytes)
        if (c >= 0x80) return kFalse;
    return kTrue;
}

Term unicode_characters_to_binary2(Process& p, Term* args) {
    switch (in_encoding(args[1])) {
        case InEncoding::kUtf8:
            return unicode_characters_to_binary(p, args);
        case InEncoding::kLatin1:
            return latin1_to_binary(p, args[0]);
        case InEncoding::kOther:
            break;
    }
    // utf16, utf32 and bad encodings: OTP's own Erlang code, as OTP's BIF does.
    return continue_as(p, "unicode", "characters_to_binary_int", 2);
}

Term unicode_characters_to_list2(Process& p, Term* args) {
    switch (in_encoding(args[1])) {
        case InEncoding::kUtf8:
            return unicode_characters_to_list(p, args);
        case InEncoding::kLatin1: {
            std::string bytes;
            if (!latin1_bytes(args[0], bytes)) return badarg(p, 1, "not valid character data");
            return make_string(p, bytes);
        }
        case InEncoding::kOther:
            break;
    }
    return continue_as(p, "unicode", "characters_to_list_int", 2);
}

Term unicode_characters_to_binary(Process& p, Term* args) {
    if (!chardata_shape_ok(args[0])) return badarg(p, 1, "not chardata");
    // [Bin] is converted as Bin (its rest is then a binary, not a list).
    auto subject = [args] {
        Term t = args[0];
        if (term::is_cons(t) && term::is_bitstring(car(t)) && term::is_nil(cdr(t))) return car(t);
        return t;
    };
    Term s = subject();
    if (term::is_binary(s)) {  // valid UTF-8 already: the binary itself
        Walk check;
        check.run(s);
        if (!check.error && check.num_leftovers == 0) return s;
    }
    return convert(p, subject, Output::kBinary);
}

Term unicode_characters_to_list(Process& p, Term* args) {
    if (!chardata_shape_ok(args[0])) return badarg(p, 1, "not chardata");
    if (term::is_binary(args[0])) return binary_to_chars(p, args);
    return convert(
        p, [args] { return args[0]; }, Output::kList);
}

}  // namespace impl

}  // namespace bif
