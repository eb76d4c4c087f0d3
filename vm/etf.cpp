// etf: encoding and the two-pass safe decoding of the external term format
// (see etf.h).
#include "vm/etf.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <zlib.h>

#include "vm/binary.h"
#include "vm/map.h"

namespace etf {

using namespace term;

namespace {

enum Tag : uint8_t {
    kNewFloatExt = 70,
    kCompressed = 80,
    kBitBinaryExt = 77,
    kNewPidExt = 88,
    kNewPortExt = 89,
    kNewerReferenceExt = 90,
    kSmallIntegerExt = 97,
    kIntegerExt = 98,
    kFloatExt = 99,
    kAtomExt = 100,
    kPidExt = 103,
    kSmallTupleExt = 104,
    kLargeTupleExt = 105,
    kNilExt = 106,
    kStringExt = 107,
    kListExt = 108,
    kBinaryExt = 109,
    kSmallBigExt = 110,
    kLargeBigExt = 111,
    kExportExt = 113,
    kNewReferenceExt = 114,
    kSmallAtomExt = 115,
    kMapExt = 116,
    kAtomUtf8Ext = 118,
    kV4PortExt = 120,
    kSmallAtomUtf8Ext = 119,
    kVersion = 131,
};

constexpr std::string_view kLocalNode = "nonode@nohost";

// ---- encoding ------------------------------------------------------------------------------

void put8(std::string& out, uint64_t v) {
    out.push_back(char(v));
}
void put16(std::string& out, uint64_t v) {
    put8(out, v >> 8);
    put8(out, v);
}
void put32(std::string& out, uint64_t v) {
    put16(out, v >> 16);
    put16(out, v);
}

// Code points of UTF-8 text.
std::vector<uint32_t> code_points(std::string_view s) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < s.size();) {
        auto b = uint8_t(s[i]);
        size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        uint32_t c = n == 1 ? b : b & (0x7F >> n);
        for (size_t k = 1; k < n && i + k < s.size(); ++k)
            c = c << 6 | (uint8_t(s[i + k]) & 0x3F);
        out.push_back(c);
        i += n;
    }
    return out;
}

// Latin-1 atoms as ATOM_EXT (OTP 25's default), unless `utf8` (minor
// version 2) asks for the UTF-8 tags for every atom.
void put_atom_text(std::string& out, std::string_view name, bool utf8 = false) {
    std::vector<uint32_t> chars = code_points(name);
    bool latin1 = !utf8;
    for (uint32_t c : chars)
        latin1 = latin1 && c < 256;
    if (latin1) {
        put8(out, kAtomExt);
        put16(out, chars.size());
        for (uint32_t c : chars)
            put8(out, c);
    } else if (name.size() < 256) {
        put8(out, kSmallAtomUtf8Ext);
        put8(out, name.size());
        out.append(name);
    } else {
        put8(out, kAtomUtf8Ext);
        put16(out, name.size());
        out.append(name);
    }
}

void put_atom(std::string& out, Term atom, const EncodeOptions& options) {
    put_atom_text(out, atom::name(atom_index(atom)), options.minor_version >= 2);
}

// Little-endian magnitude bytes, trimmed, for SMALL/LARGE_BIG_EXT.
void put_big(std::string& out, bool negative, const Limb* limbs, size_t n) {
    std::string bytes;
    for (size_t k = 0; k < n * 8; ++k)
        bytes.push_back(char(limbs[k / 8] >> (8 * (k % 8))));
    while (!bytes.empty() && bytes.back() == 0)
        bytes.pop_back();
    if (bytes.size() < 256) {
        put8(out, kSmallBigExt);
        put8(out, bytes.size());
    } else {
        put8(out, kLargeBigExt);
        put32(out, bytes.size());
    }
    put8(out, negative ? 1 : 0);
    out.append(bytes);
}

void put_integer(std::string& out, Term t) {
    if (is_small(t)) {
        int64_t v = small_value(t);
        if (v >= 0 && v <= 255) {
            put8(out, kSmallIntegerExt);
            put8(out, v);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            put8(out, kIntegerExt);
            put32(out, uint64_t(v));
        } else {
            Limb magnitude = v < 0 ? Limb(0) - Limb(v) : Limb(v);
            put_big(out, v < 0, &magnitude, 1);
        }
        return;
    }
    put_big(out, bignum_negative(t), bignum_limbs(t), bignum_limb_count(t));
}

void put_float(std::string& out, double d, const EncodeOptions& options) {
    if (options.minor_version == 0) {
        char text[32] = {};
        std::snprintf(text, sizeof text, "%.20e", d);
        put8(out, kFloatExt);
        out.append(text, 31);
        return;
    }
    uint64_t raw;
    std::memcpy(&raw, &d, 8);
    put8(out, kNewFloatExt);
    put32(out, raw >> 32);
    put32(out, raw);
}

void put_bits(std::string& out, Term t) {
    Bits bits = bits_of(t);
    uint64_t whole = bits.bit_size / 8;
    unsigned rest = bits.bit_size % 8;
    put8(out, rest ? kBitBinaryExt : kBinaryExt);
    put32(out, whole + (rest ? 1 : 0));
    if (rest) put8(out, rest);
    binary::append_bytes(out, t);  // the whole bytes
    if (rest) {
        Bits tail{bits.bytes, bits.bit_offset + whole * 8, rest};
        put8(out, bits_partial_byte(tail));
    }
}

// Lists: STRING_EXT for a proper list of bytes up to 65535 long, else
// LIST_EXT; the elements and the tail go on the work stack.
void put_list(std::string& out, Term list, std::vector<Term>& stack) {
    std::vector<Term> elements;
    bool bytes = true;
    Term t = list;
    for (; is_cons(t); t = cdr(t)) {
        Term head = car(t);
        bytes = bytes && is_small(head) && small_value(head) >= 0 && small_value(head) <= 255;
        elements.push_back(head);
    }
    if (bytes && is_nil(t) && elements.size() <= 65535) {
        put8(out, kStringExt);
        put16(out, elements.size());
        for (Term e : elements)
            put8(out, small_value(e));
        return;
    }
    put8(out, kListExt);
    put32(out, elements.size());
    stack.push_back(t);
    for (size_t i = elements.size(); i-- > 0;)
        stack.push_back(elements[i]);
}

// A local port, as OTP 25 writes one: NEW_PORT_EXT with a 32-bit id, or
// V4_PORT_EXT with a 64-bit one when the id does not fit (the decoder
// takes both, so every port survives a round trip).
void put_port(std::string& out, Term t) {
    uint64_t number = port_number(t);
    bool wide = number > 0xFFFFFFFF;
    put8(out, wide ? kV4PortExt : kNewPortExt);
    put_atom_text(out, kLocalNode);
    if (wide) put32(out, number >> 32);
    put32(out, number & 0xFFFFFFFF);
    put32(out, 0);
}

void put_pid(std::string& out, Term t) {
    put8(out, kNewPidExt);
    put_atom_text(out, kLocalNode);
    put32(out, pid_number(t) & 0xFFFFFFFF);
    put32(out, pid_number(t) >> 32);
    put32(out, 0);
}

void put_ref(std::string& out, Term t) {
    put8(out, kNewerReferenceExt);
    put16(out, 4);
    put_atom_text(out, kLocalNode);
    put32(out, 0);
    put32(out, ref_id(t) & 0xFFFFFFFF);
    put32(out, ref_id(t) >> 32);
    put32(out, ref_extra(t) & 0xFFFFFFFF);
    put32(out, ref_extra(t) >> 32);
}

// One boxed term; containers push their parts. False: not encodable.
bool put_boxed(std::string& out, Term t, const EncodeOptions& options, std::vector<Term>& stack) {
    switch (header_kind(boxed_header(t))) {
        case Kind::kTuple: {
            uint64_t n = tuple_arity(t);
            if (n < 256) {
                put8(out, kSmallTupleExt);
                put8(out, n);
            } else {
                put8(out, kLargeTupleExt);
                put32(out, n);
            }
            for (uint64_t i = n; i > 0; --i)
                stack.push_back(tuple_element(t, i));
            return true;
        }
        case Kind::kPosBig:
        case Kind::kNegBig:
            put_integer(out, t);
            return true;
        case Kind::kFloat:
            put_float(out, float_value(t), options);
            return true;
        case Kind::kHeapBin:
        case Kind::kRefcBin:
        case Kind::kSubBin:
            put_bits(out, t);
            return true;
        case Kind::kFlatMap: {
            uint64_t n = flat_map_size(t);
            put8(out, kMapExt);
            put32(out, n);
            for (uint64_t i = n; i-- > 0;) {
                stack.push_back(flat_map_values(t)[i]);
                stack.push_back(tuple_element(flat_map_keys(t), i + 1));
            }
            return true;
        }
        case Kind::kHashMap: {  // pairs backwards from the trie, as maps:to_list/1 and OTP
            std::vector<map::Entry> entries;
            map::entries(t, entries);
            put8(out, kMapExt);
            put32(out, entries.size());
            for (size_t i = 0; i < entries.size(); ++i) {
                stack.push_back(entries[i].value);
                stack.push_back(entries[i].key);
            }
            return true;
        }
        case Kind::kExport:
            put8(out, kExportExt);
            put_atom(out, export_module(t), options);
            put_atom(out, export_function(t), options);
            put8(out, kSmallIntegerExt);
            put8(out, export_arity(t));
            return true;
        case Kind::kRef:
            put_ref(out, t);
            return true;
        default:
            return false;
    }
}

// Replaces the payload after out[start] (the version byte) with its zlib
// compression when that is at least 5 bytes shorter (OTP 25's rule: it
// compresses into a buffer of the payload's size less 5, and writes the
// term uncompressed when zlib does not fit).
void compress_payload(std::string& out, size_t start, int level) {
    size_t payload = out.size() - start - 1;
    if (payload <= 5 || payload > UINT32_MAX) return;
    std::string packed(payload - 5, '\0');
    uLongf packed_size = uLongf(packed.size());
    const auto* source = reinterpret_cast<const Bytef*>(out.data() + start + 1);
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, source, uLong(payload),
                  level) != Z_OK)
        return;
    out.resize(start + 1);
    put8(out, kCompressed);
    put32(out, payload);
    out.append(packed.data(), packed_size);
}

}  // namespace

bool encode(Term root, const EncodeOptions& options, std::string& out) {
    size_t start = out.size();
    put8(out, kVersion);
    std::vector<Term> stack{root};
    while (!stack.empty()) {
        Term t = stack.back();
        stack.pop_back();
        if (is_small(t)) {
            put_integer(out, t);
        } else if (is_atom(t)) {
            put_atom(out, t, options);
        } else if (is_nil(t)) {
            put8(out, kNilExt);
        } else if (is_cons(t)) {
            put_list(out, t, stack);
        } else if (is_local_pid(t)) {
            put_pid(out, t);
        } else if (is_local_port(t)) {
            put_port(out, t);
        } else if (!is_boxed(t) || !put_boxed(out, t, options, stack)) {
            return false;
        }
    }
    if (options.compressed > 0) compress_payload(out, start, options.compressed);
    return true;
}

// ---- decoding ------------------------------------------------------------------------------

namespace {

// Reads the input with bounds checks; `ok` turns false at the first
// problem and stays false (every read then returns 0).
class Reader {
  public:
    Reader(const uint8_t* bytes, size_t size) : bytes_(bytes), size_(size) {}

    bool ok() const { return ok_; }
    size_t pos() const { return pos_; }
    size_t left() const { return size_ - pos_; }
    void fail() { ok_ = false; }
    bool need(size_t n) {
        if (ok_ && n > left()) ok_ = false;
        return ok_;
    }
    uint64_t u8() { return need(1) ? bytes_[pos_++] : 0; }
    uint64_t u16() { return u8() << 8 | u8(); }
    uint64_t u32() { return u16() << 16 | u16(); }
    const uint8_t* take(size_t n) {
        if (!need(n)) return nullptr;
        const uint8_t* p = bytes_ + pos_;
        pos_ += n;
        return p;
    }

  private:
    const uint8_t* bytes_;
    size_t size_;
    size_t pos_ = 0;
    bool ok_ = true;
};

bool valid_utf8(const uint8_t* s, size_t n, size_t* chars) {
    *chars = 0;
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        size_t len = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
        if (len == 0 || i + len > n) return false;
        uint32_t c = len == 1 ? b : b & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            c = c << 6 | (s[i + k] & 0x3F);
        }
        static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < kMin[len] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return false;
        i += len;
        ++*chars;
    }
    return true;
}

// Reads an atom (any of the four atom tags, the tag already read) as
// UTF-8 text into `name`. False on bad input.
bool read_atom_text(Reader& in, uint64_t tag, std::string& name) {
    bool small = tag == kSmallAtomExt || tag == kSmallAtomUtf8Ext;
    bool utf8 = tag == kAtomUtf8Ext || tag == kSmallAtomUtf8Ext;
    size_t n = small ? in.u8() : in.u16();
    const uint8_t* text = in.take(n);
    if (!text) return false;
    name.clear();
    if (!utf8) {
        if (n > 255) return false;
        for (size_t i = 0; i < n; ++i)
            append_utf8(name, text[i]);
        return true;
    }
    size_t chars;
    if (!valid_utf8(text, n, &chars) || chars > 255) return false;
    name.assign(reinterpret_cast<const char*>(text), n);
    return true;
}

bool is_atom_tag(uint64_t tag) {
    return tag == kAtomExt || tag == kSmallAtomExt || tag == kAtomUtf8Ext ||
           tag == kSmallAtomUtf8Ext;
}

// The node atom of a pid or reference: only this node's are accepted.
bool read_local_node(Reader& in) {
    std::string name;
    uint64_t tag = in.u8();
    return is_atom_tag(tag) && read_atom_text(in, tag, name) && name == kLocalNode;
}

// The fixed part after the node of a pid or reference; `ids` gets the
// reference words (at most 5).
bool read_pid_rest(Reader& in, uint64_t tag, uint64_t* number) {
    uint64_t id = in.u32(), serial = in.u32();
    in.take(tag == kNewPidExt ? 4 : 1);
    *number = id | serial << 32;
    return in.ok() && *number < (uint64_t(1) << 56);
}

// A port's id and creation (NEW_PORT_EXT: 32-bit id; V4_PORT_EXT: 64).
bool read_port_rest(Reader& in, uint64_t tag, uint64_t* number) {
    uint64_t id = in.u32();
    if (tag == kV4PortExt) id = id << 32 | in.u32();
    in.take(4);
    *number = id;
    return in.ok() && id < (uint64_t(1) << 56);
}

bool read_ref_rest(Reader& in, uint64_t tag, uint64_t len, uint64_t ids[5]) {
    in.take(tag == kNewerReferenceExt ? 4 : 1);
    for (uint64_t i = 0; i < len; ++i)
        ids[i] = in.u32();
    return in.ok();
}

bool parse_float_text(const uint8_t* text, double* d) {
    char buffer[32];
    std::memcpy(buffer, text, 31);
    buffer[31] = 0;
    char* end = nullptr;
    *d = std::strtod(buffer, &end);
    return end != buffer && std::isfinite(*d);
}

bool read_new_float(Reader& in, double* d) {
    uint64_t raw = in.u32() << 32;
    raw |= in.u32();
    std::memcpy(d, &raw, 8);
    return in.ok() && std::isfinite(*d);
}

// Words reserved for a map of n keys: a flat map's exact size, or a bound
// on a HAMT's, whose shape depends on the keys' hashes. Each leaf takes its
// slot and a cons (3 words); each of the at most 9 nodes on a leaf's path
// (8 levels and a collision node) at most a header, a count, a bitmap and
// its slot in its parent (4 words).
size_t map_words_bound(uint64_t n) {
    return n <= kMaxFlatMapKeys ? flat_map_words(n) : 39 * n + 4;
}

// Pass 1: checks the whole term and sums the heap words it needs.
bool measure(Reader& in, bool safe, size_t* words) {
    uint64_t pending = 1;
    size_t w = 0;
    std::string name;
    while (pending > 0) {
        --pending;
        uint64_t tag = in.u8();
        switch (tag) {
            case kSmallIntegerExt:
                in.take(1);
                break;
            case kIntegerExt:
                in.take(4);
                break;
            case kSmallBigExt:
            case kLargeBigExt: {
                uint64_t n = tag == kSmallBigExt ? in.u8() : in.u32();
                in.u8();
                if (!in.take(n)) return false;
                w += bignum_words((n + 7) / 8 + 1);
                break;
            }
            case kNewFloatExt: {
                double d;
                if (!read_new_float(in, &d)) return false;
                w += kFloatWords;
                break;
            }
            case kFloatExt: {
                double d;
                const uint8_t* text = in.take(31);
                if (!text || !parse_float_text(text, &d)) return false;
                w += kFloatWords;
                break;
            }
            case kAtomExt:
            case kSmallAtomExt:
            case kAtomUtf8Ext:
            case kSmallAtomUtf8Ext:
                if (!read_atom_text(in, tag, name)) return false;
                if (safe && atom::find(name) == atom::kNoAtom) return false;
                break;
            case kSmallTupleExt:
            case kLargeTupleExt: {
                uint64_t n = tag == kSmallTupleExt ? in.u8() : in.u32();
                if (n > in.left()) return false;
                pending += n;
                w += tuple_words(n);
                break;
            }
            case kNilExt:
                break;
            case kStringExt: {
                uint64_t n = in.u16();
                if (!in.take(n)) return false;
                w += n * kConsWords;
                break;
            }
            case kListExt: {
                uint64_t n = in.u32();
                if (n >= in.left()) return false;
                pending += n + 1;
                w += n * kConsWords;
                break;
            }
            case kBinaryExt: {
                uint64_t n = in.u32();
                if (!in.take(n)) return false;
                w += binary::new_words(n * 8);
                break;
            }
            case kBitBinaryExt: {
                uint64_t n = in.u32(), bits = in.u8();
                if (!in.take(n) || (n == 0 ? bits != 0 : bits < 1 || bits > 8)) return false;
                w += binary::new_words(n == 0 ? 0 : (n - 1) * 8 + bits);
                break;
            }
            case kMapExt: {
                uint64_t n = in.u32();
                if (2 * n > in.left()) return false;
                pending += 2 * n;
                w += tuple_words(2 * n) + map_words_bound(n);
                break;
            }
            case kExportExt: {
                for (int i = 0; i < 2; ++i) {
                    uint64_t atom_tag = in.u8();
                    if (!is_atom_tag(atom_tag) || !read_atom_text(in, atom_tag, name)) return false;
                    if (safe && atom::find(name) == atom::kNoAtom) return false;
                }
                if (in.u8() != kSmallIntegerExt) return false;
                in.u8();
                w += kExportWords;
                break;
            }
            case kNewPidExt:
            case kPidExt: {
                uint64_t number;
                if (!read_local_node(in) || !read_pid_rest(in, tag, &number)) return false;
                break;
            }
            case kNewPortExt:
            case kV4PortExt: {
                uint64_t number;
                if (!read_local_node(in) || !read_port_rest(in, tag, &number)) return false;
                break;
            }
            case kNewerReferenceExt:
            case kNewReferenceExt: {
                uint64_t len = in.u16(), ids[5];
                if (len < 1 || len > 5 || !read_local_node(in) || !read_ref_rest(in, tag, len, ids))
                    return false;
                w += kRefWords;
                break;
            }
            default:
                return false;
        }
        if (!in.ok()) return false;
    }
    *words = w;
    return true;
}

// Fills [from, to) with a tuple of nils: the heap stays a sequence of
// whole objects when a value came out smaller than reserved.
void fill_gap(Term* from, Term* to) {
    if (from >= to) return;
    size_t words = size_t(to - from);
    from[0] = make_header(Kind::kTuple, words - 1);
    for (size_t i = 1; i < words; ++i)
        from[i] = kNil;
}

// Pass 2: builds the term (already checked) into a reserved block.
class Builder {
  public:
    Builder(Reader& in, Term* mem, Term*& off_heap) : in_(in), free_(mem), off_heap_(off_heap) {}

    Term build() {
        Term root = kNil;
        frames_.push_back({&root, 1, 1, nullptr, nullptr});
        while (!frames_.empty()) {
            Frame& f = frames_.back();
            if (f.left == 0) {
                Frame done = f;
                frames_.pop_back();
                if (done.map_dest) finish_map(done);
                continue;
            }
            Term* hole = f.hole;
            f.hole += f.stride;
            --f.left;
            *hole = one(hole);
        }
        return failed_ ? kNone : root;
    }

    Term* end() const { return free_; }
    bool atom_table_full() const { return atom_table_full_; }
    bool out_of_memory() const { return out_of_memory_; }

  private:
    // Holes to fill: `left` of them from `hole`, `stride` words apart. A map
    // frame fills a pairs tuple, then builds the map into *map_dest.
    struct Frame {
        Term* hole;
        uint64_t stride;
        uint64_t left;
        Term* map_pairs;
        Term* map_dest;
    };

    Term* take(size_t n) {
        Term* p = free_;
        free_ += n;
        return p;
    }

    Term integer(bool negative, const uint8_t* bytes, uint64_t n) {
        size_t limbs = (n + 7) / 8 + 1;
        Term* mem = take(bignum_words(limbs));
        std::vector<Limb> v(limbs, 0);
        for (uint64_t k = 0; k < n; ++k)
            v[k / 8] |= Limb(bytes[k]) << (8 * (k % 8));
        Term t = make_bignum(mem, negative, v.data(), limbs);
        Term* used = is_small(t) ? mem : mem + header_size(mem[0]) + 1;
        fill_gap(used, mem + bignum_words(limbs));
        return t;
    }

    Term bits(const uint8_t* bytes, uint64_t nbits) {
        uint8_t* out;
        Term t = binary::make(take(binary::new_words(nbits)), nbits, &out, off_heap_);
        if (t == kNone) {  // out of memory: the decode fails, the process dies
            failed_ = out_of_memory_ = true;
            return kNil;
        }
        if (nbits) std::memcpy(out, bytes, (nbits + 7) / 8);
        if (nbits % 8) out[nbits / 8] &= uint8_t(0xFF00 >> (nbits % 8));
        return t;
    }

    Term atom_of(uint64_t tag) {
        std::string name;
        read_atom_text(in_, tag, name);
        uint32_t index = atom::intern(name);
        if (index == atom::kNoAtom) {  // the name was checked: the table is full
            failed_ = atom_table_full_ = true;
            return kNil;
        }
        return make_atom(index);
    }

    void finish_map(const Frame& f) {
        uint64_t n = header_size(f.map_pairs[0]) / 2;
        if (n > kMaxFlatMapKeys) return finish_hash_map(f, n);
        Term keys[kMaxFlatMapKeys], values[kMaxFlatMapKeys];
        for (uint64_t i = 0; i < n; ++i) {
            keys[i] = f.map_pairs[1 + 2 * i];
            values[i] = f.map_pairs[2 + 2 * i];
        }
        Term* mem = take(flat_map_words(n));
        Term map = make_flat_map(mem, keys, values, n);
        if (flat_map_size(map) != n) failed_ = true;  // duplicate keys
        Term* map_end = boxed_ptr(map) + header_size(boxed_header(map)) + 1;
        Term keys_tuple = flat_map_keys(map);
        Term* keys_end = boxed_ptr(keys_tuple) + header_size(boxed_header(keys_tuple)) + 1;
        fill_gap(map_end > keys_end ? map_end : keys_end, mem + flat_map_words(n));
        *f.map_dest = map;
    }

    void finish_hash_map(const Frame& f, uint64_t n) {
        std::vector<map::Entry> entries(n);
        for (uint64_t i = 0; i < n; ++i)
            entries[i] = {f.map_pairs[1 + 2 * i], f.map_pairs[2 + 2 * i]};
        map::normalize(entries);
        Term* mem = take(map_words_bound(n));
        if (entries.size() != n) {  // duplicate keys
            failed_ = true;
            fill_gap(mem, mem + map_words_bound(n));
            return;
        }
        size_t words = map::build_words(entries);
        *f.map_dest = map::build(mem, entries);
        fill_gap(mem + words, mem + map_words_bound(n));
    }

    // Decodes one term for `hole`; containers push frames for their parts.
    // A map or an empty LIST_EXT (whose value is its tail) fills the hole
    // later, through a frame, and returns nil meanwhile.
    Term one(Term* hole) {
        uint64_t tag = in_.u8();
        switch (tag) {
            case kSmallIntegerExt:
                return make_small(int64_t(in_.u8()));
            case kIntegerExt:
                return make_small(int64_t(int32_t(uint32_t(in_.u32()))));
            case kSmallBigExt:
            case kLargeBigExt: {
                uint64_t n = tag == kSmallBigExt ? in_.u8() : in_.u32();
                bool negative = in_.u8() != 0;
                return integer(negative, in_.take(n), n);
            }
            case kNewFloatExt: {
                double d;
                read_new_float(in_, &d);
                return make_float(take(kFloatWords), d);
            }
            case kFloatExt: {
                double d = 0;
                parse_float_text(in_.take(31), &d);
                return make_float(take(kFloatWords), d);
            }
            case kAtomExt:
            case kSmallAtomExt:
            case kAtomUtf8Ext:
            case kSmallAtomUtf8Ext:
                return atom_of(tag);
            case kSmallTupleExt:
            case kLargeTupleExt: {
                uint64_t n = tag == kSmallTupleExt ? in_.u8() : in_.u32();
                Term* mem = take(tuple_words(n));
                Term t = make_tuple(mem, n);
                for (uint64_t i = 0; i < n; ++i)
                    mem[1 + i] = kNil;  // valid until filled
                frames_.push_back({mem + 1, 1, n, nullptr, nullptr});
                return t;
            }
            case kNilExt:
                return kNil;
            case kStringExt: {
                uint64_t n = in_.u16();
                const uint8_t* bytes = in_.take(n);
                Term* cells = take(n * kConsWords);
                Term list = kNil;
                for (uint64_t i = n; i-- > 0;)
                    list = make_cons(cells + 2 * i, make_small(bytes[i]), list);
                return list;
            }
            case kListExt: {
                uint64_t n = in_.u32();
                if (n == 0) {
                    frames_.push_back({hole, 1, 1, nullptr, nullptr});
                    return kNil;
                }
                Term* cells = take(n * kConsWords);
                for (uint64_t i = 0; i < n; ++i) {
                    cells[2 * i] = kNil;
                    cells[2 * i + 1] = i + 1 < n ? make_cons_ptr(cells + 2 * i + 2) : kNil;
                }
                frames_.push_back({cells + 2 * n - 1, 1, 1, nullptr, nullptr});  // the tail
                frames_.push_back({cells, 2, n, nullptr, nullptr});
                return make_cons_ptr(cells);
            }
            case kBinaryExt: {
                uint64_t n = in_.u32();
                return bits(in_.take(n), n * 8);
            }
            case kBitBinaryExt: {
                uint64_t n = in_.u32(), last = in_.u8();
                return bits(in_.take(n), n == 0 ? 0 : (n - 1) * 8 + last);
            }
            case kMapExt: {
                uint64_t n = in_.u32();
                Term* pairs = take(tuple_words(2 * n));
                make_tuple(pairs, 2 * n);
                for (uint64_t i = 0; i < 2 * n; ++i)
                    pairs[1 + i] = kNil;
                frames_.push_back({pairs + 1, 1, 2 * n, pairs, hole});
                return kNil;
            }
            case kExportExt: {
                Term module = atom_of(in_.u8());
                Term function = atom_of(in_.u8());
                in_.u8();
                uint64_t arity = in_.u8();
                return make_export(take(kExportWords), module, function, arity);
            }
            case kNewPortExt:
            case kV4PortExt: {
                uint64_t number = 0;
                read_local_node(in_);
                read_port_rest(in_, tag, &number);
                return make_port(number);
            }
            case kNewPidExt:
            case kPidExt: {
                uint64_t number = 0;
                read_local_node(in_);
                read_pid_rest(in_, tag, &number);
                return make_pid(number & ((uint64_t(1) << kPidSlotBits) - 1),
                                number >> kPidSlotBits);
            }
            default: {  // references (pass 1 allowed nothing else)
                uint64_t len = in_.u16(), ids[5] = {0, 0, 0, 0, 0};
                read_local_node(in_);
                read_ref_rest(in_, tag, len, ids);
                return make_ref(take(kRefWords), ids[0] | ids[1] << 32, ids[2] | ids[3] << 32);
            }
        }
    }

    Reader& in_;
    Term* free_;
    Term*& off_heap_;
    std::vector<Frame> frames_;
    bool failed_ = false;
    bool out_of_memory_ = false;
    bool atom_table_full_ = false;
};

// Inflates a compressed term (131, 80, the payload's size, a zlib stream)
// into `plain` as an uncompressed one (131, payload). The stream must give
// exactly the stated size; what follows the stream is not read. OTP 25
// ignores payload bytes after the term, and so does the caller.
bool inflate_term(const uint8_t* bytes, size_t size, std::string& plain, size_t* consumed) {
    Reader in(bytes, size);
    in.take(2);
    uint64_t n = in.u32();
    size_t packed = in.left();
    // zlib never expands data more than 1032 times: a larger stated size
    // is a lie, refused before allocating it.
    if (!in.ok() || n == 0 || n > uint64_t(packed) * 1032 + 64 || packed > UINT32_MAX) return false;
    plain.assign(1 + n, '\0');
    plain[0] = char(kVersion);
    z_stream z{};
    if (inflateInit(&z) != Z_OK) return false;
    z.next_in = const_cast<Bytef*>(bytes + 6);
    z.avail_in = uInt(packed);
    z.next_out = reinterpret_cast<Bytef*>(plain.data() + 1);
    z.avail_out = uInt(n);
    int status = inflate(&z, Z_FINISH);
    bool ok = status == Z_STREAM_END && z.total_out == n;
    *consumed = 6 + z.total_in;
    inflateEnd(&z);
    return ok;
}

// Decodes an uncompressed term; `reported` is the BytesUsed of the `used`
// option when the input was compressed (0: the bytes read here).
Term decode_plain(process::Process& p, const uint8_t* bytes, size_t size,
                  const DecodeOptions& options, size_t reported, size_t* used,
                  bool* atom_table_full) {
    Reader check(bytes, size);
    size_t words = 0;
    if (check.u8() != kVersion || !measure(check, options.safe, &words)) return kNone;
    size_t extra = options.used ? tuple_words(2) : 0;
    Term* mem = process::alloc(p, words + extra);
    if (!mem) {  // past max_heap_size: the caller sees the process killed
        p.status = process::Status::Killed;
        return kNone;
    }
    Reader in(bytes, size);
    in.u8();
    Builder builder(in, mem, p.heap.off_heap);
    Term t = builder.build();
    if (atom_table_full) *atom_table_full = builder.atom_table_full();
    if (builder.out_of_memory()) {
        p.heap.out_of_memory = true;
        p.status = process::Status::Killed;
    }
    fill_gap(builder.end(), mem + words);
    *used = reported ? reported : in.pos();
    if (t == kNone || !options.used) {
        if (options.used) fill_gap(mem + words, mem + words + extra);
        return t;
    }
    Term tuple = make_tuple(mem + words, 2);
    tuple_elements(tuple)[0] = t;
    tuple_elements(tuple)[1] = make_small(int64_t(*used));
    return tuple;
}

}  // namespace

Term decode(process::Process& p, const uint8_t* bytes, size_t size, const DecodeOptions& options,
            size_t* used, bool* atom_table_full) {
    if (size < 2 || bytes[0] != kVersion || bytes[1] != kCompressed)
        return decode_plain(p, bytes, size, options, 0, used, atom_table_full);
    std::string plain;
    size_t consumed = 0;
    if (!inflate_term(bytes, size, plain, &consumed)) return kNone;
    return decode_plain(p, reinterpret_cast<const uint8_t*>(plain.data()), plain.size(), options,
                        consumed, used, atom_table_full);
}

}  // namespace etf
