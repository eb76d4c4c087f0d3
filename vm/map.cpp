// map: OTP's internal hash, the HAMT for maps over 32 keys, and the
// operations every map kind shares (size, lookup, iteration, building).
// See map.h for the layout; the facts about OTP's hash (the mixing
// function, its constants and the order it visits a term's parts) come from
// erts/emulator/beam (make_internal_hash), written anew here.
#include "vm/map.h"

#include <algorithm>
#include <cstring>

namespace map {

using namespace term;

namespace {

// ---- OTP's internal hash ---------------------------------------------------------

// Bob Jenkins' 96-bit mix, as OTP uses it.
inline void mix(uint32_t& a, uint32_t& b, uint32_t& c) {
    a -= b, a -= c, a ^= c >> 13;
    b -= c, b -= a, b ^= a << 8;
    c -= a, c -= b, c ^= b >> 13;
    a -= b, a -= c, a ^= c >> 12;
    b -= c, b -= a, b ^= a << 16;
    c -= a, c -= b, c ^= b >> 5;
    a -= b, a -= c, a ^= c >> 3;
    b -= c, b -= a, b ^= a << 10;
    c -= a, c -= b, c ^= b >> 15;
}

constexpr uint32_t kGolden = 0x9e3779b9u;  // OTP's HCONST; HCONST_n = n * it
constexpr uint32_t hconst(uint32_t n) {
    return kGolden * n;
}
constexpr uint32_t kInternalSalt = 3432918353u;

// OTP's words for immediates (64-bit): small N<<4|0xF, atom I<<6|0xB,
// pid N<<4|0x3, port N<<4|0x7, nil 0x3B (OTP 25's NIL: the order of
// large maps keyed by strings or by tuples holding [] pins it down).
uint64_t otp_immediate_word(Term t) {
    if (is_small(t)) return uint64_t(small_value(t)) << 4 | 0xF;
    if (is_atom(t)) return uint64_t(atom_index(t)) << 6 | 0xB;
    if (is_local_pid(t)) return pid_number(t) << 4 | 0x3;
    if (is_local_port(t)) return port_number(t) << 4 | 0x7;
    return 0x3B;  // nil
}

uint32_t le32(const uint8_t* k) {
    return k[0] | uint32_t(k[1]) << 8 | uint32_t(k[2]) << 16 | uint32_t(k[3]) << 24;
}

// Jenkins' block hash of `length` bytes, OTP's block_hash.
uint32_t block_hash(const uint8_t* k, uint64_t length, uint32_t initial) {
    uint32_t a = kGolden, b = kGolden, c = initial;
    uint64_t left = length;
    for (; left >= 12; left -= 12, k += 12) {
        a += le32(k), b += le32(k + 4), c += le32(k + 8);
        mix(a, b, c);
    }
    c += uint32_t(length);
    uint8_t tail[12] = {};
    if (left) std::memcpy(tail, k, left);  // k may be null when length is 0
    // The last partial block: bytes 0-3 into a, 4-7 into b, 8-10 into c's
    // upper three bytes (its low byte carries the length).
    a += le32(tail);
    b += le32(tail + 4);
    c += uint32_t(tail[8]) << 8 | uint32_t(tail[9]) << 16 | uint32_t(tail[10]) << 24;
    mix(a, b, c);
    return c;
}

// A float's bits as every OTP term hash reads them: -0.0 as 0.0.
uint64_t float_hash_bits(Term t) {
    double d = float_value(t);
    if (d == 0) d = 0.0;
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return bits;
}

// A bitstring's bytes (then its trailing bits) mixed into `hash`, as both
// of OTP's term hashes do it.
uint32_t binary_hash(Term t, uint32_t hash) {
    Bits bits = bits_of(t);
    uint64_t size = bits.bit_size / 8;
    unsigned rest = unsigned(bits.bit_size % 8);
    uint32_t initial = hconst(13) + hash;
    if (bits.bit_size == 0) return initial;
    std::vector<uint8_t> bytes(size);
    for (uint64_t i = 0; i < size; ++i)
        bytes[i] = bits_byte(bits, i);
    hash = block_hash(bytes.data(), size, initial);
    if (rest) {
        Bits tail = {bits.bytes, bits.bit_offset + size * 8, rest};
        uint32_t x = hconst(15) + rest, y = hconst(15) + (bits_partial_byte(tail) >> (8 - rest));
        mix(x, y, hash);
    }
    return hash;
}

class Hasher {
  public:
    explicit Hasher(uint32_t salt) : hash_(salt ^ kInternalSalt) {}

    uint32_t run(Term t) {
        push(t, kTerm);
        while (!stack_.empty()) {
            Item item = stack_.back();
            stack_.pop_back();
            if (item.what == kCdrMark) {
                constant(hconst(18));
            } else if (item.what == kSubNode) {
                hash_node(boxed_ptr(item.t) + 2, header_size(boxed_header(item.t)) - 1);
            } else {
                step(item.t);
            }
        }
        return hash_;
    }

  private:
    enum What : uint8_t { kTerm, kSubNode, kCdrMark };
    struct Item {
        Term t;
        What what;
    };

    void push(Term t, What what) { stack_.push_back({t, what}); }
    void two(uint32_t x, uint32_t y, uint32_t k) {
        uint32_t a = k + x, b = k + y;
        mix(a, b, hash_);
    }
    void one(uint32_t x, uint32_t k) { two(x, 0, k); }
    void constant(uint32_t k) {
        hash_ ^= k;
        hash_ = hash_ << 17 | hash_ >> 15;
    }
    void word(uint64_t w, uint32_t k) { two(uint32_t(w), uint32_t(w >> 32), k); }

    void step(Term t) {
        if (is_immediate(t)) return word(otp_immediate_word(t), kGolden);
        if (is_cons(t)) return list(t);
        Term* object = boxed_ptr(t);
        switch (header_kind(object[0])) {
            case Kind::kTuple: {
                uint64_t arity = header_size(object[0]);
                one(uint32_t(arity), hconst(9));
                for (uint64_t i = arity; i >= 1; --i)
                    push(object[i], kTerm);
                return;
            }
            case Kind::kFlatMap: {
                uint64_t n = flat_map_size(t);
                one(uint32_t(n), hconst(16));
                const Term* keys = tuple_elements(flat_map_keys(t));
                for (uint64_t i = n; i-- > 0;) {
                    push(flat_map_values(t)[i], kTerm);
                    push(keys[i], kTerm);
                }
                return;
            }
            case Kind::kHashMap:
                one(uint32_t(small_value(object[1])), hconst(16));
                return hash_node(object + 3, header_size(object[0]) - 2);
            case Kind::kPosBig:
            case Kind::kNegBig: {
                uint32_t k = bignum_negative(t) ? hconst(10) : hconst(11);
                for (uint64_t i = 0; i < bignum_limb_count(t); ++i)
                    word(bignum_limbs(t)[i], k);
                return;
            }
            case Kind::kFloat:
                return word(float_hash_bits(t), hconst(12));
            case Kind::kHeapBin:
            case Kind::kRefcBin:
            case Kind::kSubBin:
                return binary(t);
            case Kind::kFun: {
                const FunEntry* e = fun_entry(t);
                uint64_t n = fun_num_free(t);
                two(uint32_t(n), uint32_t(otp_immediate_word(e->module)), hconst(20));
                two(e->index, e->uniq, hconst(21));
                for (uint64_t i = n; i-- > 0;)
                    push(fun_free_vars(t)[i], kTerm);
                return;
            }
            case Kind::kExport:
                word(otp_immediate_word(export_module(t)), hconst(14));
                word(otp_immediate_word(export_function(t)) ^ export_arity(t), hconst(14));
                return;
            case Kind::kRef:
                one(uint32_t(ref_id(t)), hconst(7));
                two(uint32_t(ref_id(t) >> 32), uint32_t(ref_extra(t)), hconst(8));
                return;
            default:
                return word(object[0], hconst(19));
        }
    }

    // Children of a HAMT node: OTP pushes them in slot order, so the last
    // slot is hashed first; a leaf's key before its value.
    void hash_node(const Term* children, uint64_t count) {
        for (uint64_t i = 0; i < count; ++i) {
            Term c = children[i];
            if (is_cons(c)) {
                push(cdr(c), kTerm);
                push(car(c), kTerm);
            } else if (tuple_element(c, 1) == kNil) {
                push(c, kTerm);  // a collision node hashes as the tuple it is
            } else {
                push(c, kSubNode);
            }
        }
    }

    // Runs of byte-valued elements are hashed four at a time.
    void list(Term t) {
        uint32_t run = 0, count = 0;
        while (is_cons(t) && is_small(car(t)) && uint64_t(small_value(car(t))) < 256) {
            run = (run << 8) + uint32_t(small_value(car(t)));
            if (++count == 4) {
                one(run, hconst(4));
                run = count = 0;
            }
            t = cdr(t);
        }
        if (count > 0) two(run, count, hconst(22));
        if (!is_cons(t)) return push(t, kTerm);  // the tail
        constant(hconst(17));
        Term tail = cdr(t);
        push(tail, kTerm);
        if (!is_cons(tail)) push(kNil, kCdrMark);
        push(car(t), kTerm);
    }

    void binary(Term t) { hash_ = binary_hash(t, hash_); }

    uint32_t hash_;
    std::vector<Item> stack_;
};

// ---- OTP's portable hash (erlang:phash2) ------------------------------------------

// hashpjw over an atom's name, as OTP's atom table does; a two-byte UTF-8
// sequence of a Latin-1 character counts as that one character.
uint32_t atom_text_hash(Term atom) {
    std::string_view name = atom::name(atom_index(atom));
    uint32_t h = 0;
    for (size_t i = 0; i < name.size(); ++i) {
        uint32_t v = uint8_t(name[i]);
        if (i + 1 < name.size() && (v & 0xFE) == 0xC2 && (uint8_t(name[i + 1]) & 0xC0) == 0x80)
            v = (v << 6 | (uint8_t(name[i + 1]) & 0x3F)) & 0xFF, ++i;
        h = (h << 4) + v;
        if (uint32_t g = h & 0xF0000000u) {
            h ^= g >> 24;
            h ^= g;
        }
    }
    return h;
}

// make_hash2: independent of the VM instance (atoms hash by name, small
// integers by value, a map by the xor of its pairs' hashes).
class PortableHasher {
  public:
    uint32_t run(Term t) {
        if (is_atom(t)) return atom_text_hash(t);
        if (is_small(t)) {
            small(small_value(t));
            return hash_;
        }
        push(t);
        while (!stack_.empty()) {
            Item item = stack_.back();
            stack_.pop_back();
            switch (item.what) {
                case kTerm:
                    step(item.t);
                    break;
                case kPairEnd:
                    xor_pairs_ ^= hash_;
                    hash_ = 0;
                    break;
                case kMapEnd:
                    hash_ = uint32_t(item.t);
                    one(xor_pairs_, hconst(19));
                    xor_pairs_ = uint32_t(item.t >> 32);
                    break;
            }
        }
        return hash_;
    }

  private:
    enum What : uint8_t { kTerm, kPairEnd, kMapEnd };
    struct Item {
        Term t;  // kMapEnd: the saved hash (low) and xor of pairs (high)
        What what;
    };
    void push(Term t, What what = kTerm) { stack_.push_back({t, what}); }
    void two(uint32_t x, uint32_t y, uint32_t k) {
        uint32_t a = k + x, b = k + y;
        mix(a, b, hash_);
    }
    void one(uint32_t x, uint32_t k) { two(x, 0, k); }

    void small(int64_t v) {
        if (v < -(int64_t(1) << 27) || v >= (int64_t(1) << 27)) {
            uint64_t m = v < 0 ? uint64_t(-v) : uint64_t(v);
            return two(uint32_t(m), uint32_t(m >> 32), v < 0 ? hconst(10) : hconst(11));
        }
        int32_t y = int32_t(v);
        if (y < 0) one(uint32_t(-y), kGolden);  // negatives are mixed twice
        one(uint32_t(y), kGolden);
    }

    void step(Term t) {
        if (is_small(t)) return small(small_value(t));
        if (is_atom(t)) {
            if (hash_ == 0) {
                hash_ = atom_text_hash(t);
            } else {
                one(atom_text_hash(t), hconst(3));
            }
            return;
        }
        if (is_nil(t)) {
            if (hash_ == 0) {
                hash_ = 3468870702u;
            } else {
                one(kNilDef, hconst(2));
            }
            return;
        }
        if (is_local_pid(t)) return one(uint32_t(pid_number(t)), hconst(5));
        if (is_local_port(t)) return two(uint32_t(port_number(t)), 0, hconst(6));
        if (is_cons(t)) return list(t);
        if (!is_boxed(t)) return;
        Term* object = boxed_ptr(t);
        switch (header_kind(object[0])) {
            case Kind::kTuple: {
                uint64_t arity = header_size(object[0]);
                one(uint32_t(arity), hconst(9));
                for (uint64_t i = arity; i >= 1; --i)
                    push(object[i]);
                return;
            }
            case Kind::kFlatMap:
            case Kind::kHashMap: {
                std::vector<Entry> pairs;
                entries(t, pairs);
                one(uint32_t(pairs.size()), hconst(16));
                if (pairs.empty()) return;
                push(Term(hash_) | Term(xor_pairs_) << 32, kMapEnd);
                hash_ = 0;
                xor_pairs_ = 0;
                for (size_t i = pairs.size(); i-- > 0;) {
                    push(0, kPairEnd);
                    push(pairs[i].value);
                    push(pairs[i].key);
                }
                return;
            }
            case Kind::kPosBig:
            case Kind::kNegBig: {
                uint32_t k = bignum_negative(t) ? hconst(10) : hconst(11);
                for (uint64_t i = 0; i < bignum_limb_count(t); ++i) {
                    Limb limb = bignum_limbs(t)[i];
                    two(uint32_t(limb), uint32_t(limb >> 32), k);
                }
                return;
            }
            case Kind::kFloat: {
                uint64_t bits = float_hash_bits(t);
                return two(uint32_t(bits >> 32), uint32_t(bits), hconst(12));
            }
            case Kind::kHeapBin:
            case Kind::kRefcBin:
            case Kind::kSubBin:
                hash_ = binary_hash(t, hash_);
                return;
            case Kind::kFun: {
                const FunEntry* e = fun_entry(t);
                two(uint32_t(fun_num_free(t)), atom_text_hash(e->module), kGolden);
                two(e->index, e->uniq, kGolden);
                for (uint64_t i = fun_num_free(t); i-- > 0;)
                    push(fun_free_vars(t)[i]);
                return;
            }
            case Kind::kExport:
                two(uint32_t(export_arity(t)), atom_text_hash(export_module(t)), kGolden);
                return one(atom_text_hash(export_function(t)), hconst(14));
            case Kind::kRef:
                return one(uint32_t(ref_id(t)), hconst(7));
            default:
                return;
        }
    }

    // Byte runs four at a time, then the rest of the list.
    void list(Term t) {
        uint32_t run = 0, count = 0;
        while (is_cons(t) && is_small(car(t)) && uint64_t(small_value(car(t))) < 256) {
            run = (run << 8) + uint32_t(small_value(car(t)));
            if (++count == 4) {
                one(run, hconst(4));
                run = count = 0;
            }
            t = cdr(t);
        }
        if (count > 0) one(run, hconst(4));
        if (!is_cons(t)) return push(t);
        push(cdr(t));
        push(car(t));
    }

    static constexpr uint32_t kNilDef = 0x2;  // OTP's NIL_DEF type number
    uint32_t hash_ = 0;
    uint32_t xor_pairs_ = 0;
    std::vector<Item> stack_;
};

// ---- OTP's legacy hash (erlang:phash/2) --------------------------------------------

// make_hash: what dict and sets bucket by, so `~p` of a dict shows OTP's
// layout only if this agrees with Erlang/OTP for every key a program uses.
// Each term folds into one 32-bit state with a multiplier per type (OTP's
// "funny numbers", primes just above 2^28); integers hash byte by byte of
// their magnitude, least significant first, in whole 32-bit words.
namespace legacy {

constexpr uint32_t kPrime[15] = {0,         268440163, 268439161, 268435459, 268436141,
                                 268438633, 268437017, 268438039, 268437511, 268439627,
                                 268440479, 268440577, 268440581, 268440593, 268440611};

// One 32-bit word, four bytes low first, into `hash` with multiplier `prime`.
inline uint32_t word_step(uint32_t hash, uint32_t x, uint32_t prime) {
    for (int i = 0; i < 4; ++i)
        hash = hash * prime + ((x >> (8 * i)) & 0xFF);
    return hash;
}

class Hasher {
  public:
    uint32_t run(Term t) {
        push(kTerm, t);
        while (!stack_.empty()) {
            Item item = stack_.back();
            stack_.pop_back();
            if (item.op == kTerm) {
                step(item.t);
            } else if (item.op == kListRest) {
                if (is_cons(item.t)) {
                    list(item.t, false);
                } else {
                    step(item.t);
                }
            } else if (item.op == kListEnd) {
                hash_ *= kPrime[8];
            } else {  // kTupleEnd: t holds the arity
                hash_ = hash_ * kPrime[9] + uint32_t(item.t);
            }
        }
        return hash_;
    }

  private:
    enum Op : uint8_t { kTerm, kListRest, kListEnd, kTupleEnd };
    struct Item {
        Op op;
        Term t;
    };
    void push(Op op, Term t) { stack_.push_back({op, t}); }

    // A magnitude of up to 64 bits: one or two 32-bit words.
    void magnitude(uint64_t m, bool negative) {
        hash_ = word_step(hash_, uint32_t(m), kPrime[2]);
        if (m >> 32) hash_ = word_step(hash_, uint32_t(m >> 32), kPrime[2]);
        hash_ *= negative ? kPrime[4] : kPrime[3];
    }

    void step(Term t) {
        if (is_nil(t)) {
            hash_ = hash_ * kPrime[3] + 1;
        } else if (is_atom(t)) {
            hash_ = hash_ * kPrime[1] + atom_text_hash(t);
        } else if (is_small(t)) {
            int64_t v = small_value(t);
            magnitude(v < 0 ? 0 - uint64_t(v) : uint64_t(v), v < 0);
        } else if (is_local_pid(t)) {
            hash_ = word_step(hash_, uint32_t(pid_number(t)), kPrime[5]) * kPrime[6];
        } else if (is_local_port(t)) {
            hash_ = word_step(hash_, uint32_t(port_number(t)), kPrime[9]) * kPrime[10];
        } else if (is_cons(t)) {
            list(t, true);
        } else if (is_boxed(t)) {
            boxed(t);
        }
    }

    // Bytes (0..255) of a list fold in directly; any other element is a
    // term of its own. Once the whole list and its tail are in, the list's
    // end multiplies once more (one kListEnd per list, pushed first).
    void list(Term t, bool first) {
        if (first) push(kListEnd, 0);
        while (is_cons(t) && is_small(car(t)) && uint64_t(small_value(car(t))) < 256) {
            hash_ = hash_ * kPrime[2] + uint32_t(small_value(car(t)));
            t = cdr(t);
        }
        if (!is_cons(t)) return push(kTerm, t);
        push(kListRest, cdr(t));
        push(kTerm, car(t));
    }

    void boxed(Term t) {
        Term* object = boxed_ptr(t);
        switch (header_kind(object[0])) {
            case Kind::kTuple: {
                uint64_t arity = header_size(object[0]);
                push(kTupleEnd, Term(arity));
                for (uint64_t i = arity; i >= 1; --i)
                    push(kTerm, object[i]);
                return;
            }
            case Kind::kFlatMap:
            case Kind::kHashMap:
                hash_ = hash_ * kPrime[13] + kPrime[14] + portable_hash(t);
                return;
            case Kind::kPosBig:
            case Kind::kNegBig:
                return bignum(t);
            case Kind::kFloat: {
                uint64_t bits = float_hash_bits(t);
                hash_ = hash_ * kPrime[6] + (uint32_t(bits) ^ uint32_t(bits >> 32));
                return;
            }
            case Kind::kHeapBin:
            case Kind::kRefcBin:
            case Kind::kSubBin:
                return binary(t);
            case Kind::kFun: {
                const FunEntry* e = fun_entry(t);
                uint64_t num_free = fun_num_free(t);
                hash_ = hash_ * kPrime[10] + uint32_t(num_free);
                hash_ = hash_ * kPrime[1] + atom_text_hash(e->module);
                hash_ = hash_ * kPrime[2] + e->index;
                hash_ = hash_ * kPrime[2] + e->uniq;
                for (uint64_t i = num_free; i-- > 0;)
                    push(kTerm, fun_free_vars(t)[i]);
                return;
            }
            case Kind::kExport:
                hash_ = hash_ * kPrime[11] + uint32_t(export_arity(t));
                hash_ = hash_ * kPrime[1] + atom_text_hash(export_module(t));
                hash_ = hash_ * kPrime[1] + atom_text_hash(export_function(t));
                return;
            case Kind::kRef:
                hash_ = word_step(hash_, uint32_t(ref_id(t)), kPrime[9]) * kPrime[10];
                return;
            default:
                return;
        }
    }

    // As a small integer: the magnitude's bytes, in whole 32-bit words.
    void bignum(Term t) {
        uint64_t n = bignum_limb_count(t);
        const Limb* limbs = bignum_limbs(t);
        for (uint64_t i = 0; i + 1 < n; ++i) {
            hash_ = word_step(hash_, uint32_t(limbs[i]), kPrime[2]);
            hash_ = word_step(hash_, uint32_t(limbs[i] >> 32), kPrime[2]);
        }
        Limb last = limbs[n - 1];
        hash_ = word_step(hash_, uint32_t(last), kPrime[2]);
        if (last >> 32) hash_ = word_step(hash_, uint32_t(last >> 32), kPrime[2]);
        hash_ *= bignum_negative(t) ? kPrime[4] : kPrime[3];
    }

    void binary(Term t) {
        Bits bits = bits_of(t);
        uint64_t size = bits.bit_size / 8;
        unsigned rest = unsigned(bits.bit_size % 8);
        for (uint64_t i = 0; i < size; ++i)
            hash_ = hash_ * kPrime[1] + bits_byte(bits, i);
        if (rest) {
            Bits tail = {bits.bytes, bits.bit_offset + size * 8, rest};
            uint32_t b = bits_partial_byte(tail) >> (8 - rest);
            hash_ = (hash_ * kPrime[1] + b) * kPrime[12] + rest;
        }
        hash_ = hash_ * kPrime[4] + uint32_t(size);
    }

    uint32_t hash_ = 0;
    std::vector<Item> stack_;
};

}  // namespace legacy

// ---- the trie ----------------------------------------------------------------------

constexpr int kLevels = 8;  // 4 bits each: all 32 hash bits

inline unsigned slot_at(uint32_t hash, int level) {
    return (hash >> (4 * level)) & 0xF;
}

// The hash with its nibbles reversed: sorting by it sorts by slot at level
// 0, then level 1, ...: the trie's iteration order.
uint32_t trie_order(uint32_t hash) {
    uint32_t r = 0;
    for (int i = 0; i < kLevels; ++i)
        r = r << 4 | slot_at(hash, i);
    return r;
}

// How many of the slots below `slot` hold a child: the child's index. The
// bitmaps have 16 bits; std::popcount compiles to a libgcc call without
// -mpopcnt (a tenth of a map-heavy program's instructions), so count by
// halves instead.
inline unsigned count_below(uint32_t bitmap, unsigned slot) {
    uint32_t x = bitmap & ((1u << slot) - 1);
    x = x - ((x >> 1) & 0x5555);
    x = (x & 0x3333) + ((x >> 2) & 0x3333);
    x = (x + (x >> 4)) & 0x0F0F;
    return (x + (x >> 8)) & 0x1F;
}

inline uint32_t node_bitmap(const Term* node) {
    return uint32_t(small_value(node[1]));
}

// A trie node's children: after [hdr][count][bitmap] for the head, after
// [hdr][bitmap] for a sub-node.
struct NodeView {
    const Term* children;
    uint32_t bitmap;
    uint64_t count;
};
NodeView head_view(Term m) {
    const Term* o = boxed_ptr(m);
    return {o + 3, uint32_t(small_value(o[2])), header_size(o[0]) - 2};
}
NodeView sub_view(Term node) {
    const Term* o = boxed_ptr(node);
    return {o + 2, node_bitmap(o), header_size(o[0]) - 1};
}
inline bool is_collision(Term node) {
    return tuple_element(node, 1) == kNil;
}

// Hashes of normalized HAMT entries (their order key), computed once.
std::vector<uint32_t> hashes_of(const std::vector<Entry>& entries) {
    std::vector<uint32_t> h(entries.size());
    for (size_t i = 0; i < entries.size(); ++i)
        h[i] = internal_hash(entries[i].key);
    return h;
}

// Words of the node holding entries [0, n) (n >= 2) at `level`, plus the
// words below it. `head` adds the count word.
size_t node_words(const uint32_t* h, size_t n, int level, bool head) {
    if (level == kLevels) return 2 + n + 2 * n;  // collision node and leaves
    size_t words = (head ? 3 : 2);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && slot_at(h[j], level) == slot_at(h[i], level))
            ++j;
        words += 1 + (j - i == 1 ? 2 : node_words(h + i, j - i, level + 1, false));
        i = j;
    }
    return words;
}

// Writes the node for entries [0, n) at `cursor` and everything below it
// after it; advances the cursor.
Term write_node(Term*& cursor, const Entry* e, const uint32_t* h, size_t n, int level, bool head) {
    Term* node = cursor;
    if (level == kLevels) {
        node[0] = make_header(Kind::kTuple, 1 + n);
        node[1] = kNil;
        cursor += 2 + n;
        for (size_t i = 0; i < n; ++i) {
            node[2 + i] = make_cons(cursor, e[i].key, e[i].value);
            cursor += 2;
        }
        return make_boxed_ptr(node);
    }
    size_t groups = 0;
    uint32_t bitmap = 0;
    for (size_t i = 0; i < n; ++i) {
        unsigned s = slot_at(h[i], level);
        if (!(bitmap & 1u << s)) ++groups;
        bitmap |= 1u << s;
    }
    size_t fixed = head ? 3 : 2;
    node[0] = make_header(head ? Kind::kHashMap : Kind::kTuple, fixed - 1 + groups);
    if (head) node[1] = make_small(int64_t(n));
    node[fixed - 1] = make_small(bitmap);
    cursor += fixed + groups;
    Term* child = node + fixed;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && slot_at(h[j], level) == slot_at(h[i], level))
            ++j;
        if (j - i == 1) {
            *child++ = make_cons(cursor, e[i].key, e[i].value);
            cursor += 2;
        } else {
            *child++ = write_node(cursor, e + i, h + i, j - i, level + 1, false);
        }
        i = j;
    }
    return make_boxed_ptr(node);
}

void trie_entries(const NodeView& v, std::vector<Entry>& out) {
    for (uint64_t i = 0; i < v.count; ++i) {
        Term c = v.children[i];
        if (is_cons(c)) {
            out.push_back({car(c), cdr(c)});
        } else if (is_collision(c)) {
            for (uint64_t k = 2; k <= tuple_arity(c); ++k)
                out.push_back({car(tuple_element(c, k)), cdr(tuple_element(c, k))});
        } else {
            trie_entries(sub_view(c), out);
        }
    }
}

Term hash_get(Term m, Term key) {
    uint32_t h = internal_hash(key);
    NodeView v = head_view(m);
    for (int level = 0;; ++level) {
        unsigned s = slot_at(h, level);
        if (!(v.bitmap & 1u << s)) return kNone;
        Term c = v.children[count_below(v.bitmap, s)];
        if (is_cons(c)) return exact_equal(car(c), key) ? cdr(c) : kNone;
        if (is_collision(c)) {
            for (uint64_t k = 2; k <= tuple_arity(c); ++k) {
                if (exact_equal(car(tuple_element(c, k)), key)) return cdr(tuple_element(c, k));
            }
            return kNone;
        }
        v = sub_view(c);
    }
}

}  // namespace

uint32_t internal_hash(Term t, uint32_t salt) {
    if (is_immediate(t)) {  // the common case, without the work stack
        uint64_t w = otp_immediate_word(t);
        uint32_t a = kGolden + uint32_t(w), b = kGolden + uint32_t(w >> 32);
        uint32_t c = salt ^ kInternalSalt;
        mix(a, b, c);
        return c;
    }
    return Hasher(salt).run(t);
}

uint32_t legacy_hash(Term t) {
    return legacy::Hasher().run(t);
}

uint32_t portable_hash(Term t) {
    return PortableHasher().run(t);
}

uint64_t size(Term m) {
    if (is_flat_map(m)) return flat_map_size(m);
    return uint64_t(small_value(boxed_ptr(m)[1]));
}

Term get(Term m, Term key) {
    if (is_flat_map(m)) return flat_map_get(m, key);
    return hash_get(m, key);
}

void entries(Term m, std::vector<Entry>& out) {
    if (is_flat_map(m)) {
        const Term* keys = tuple_elements(flat_map_keys(m));
        for (uint64_t i = 0; i < flat_map_size(m); ++i)
            out.push_back({keys[i], flat_map_values(m)[i]});
        return;
    }
    trie_entries(head_view(m), out);
}

void normalize(std::vector<Entry>& entries) {
    auto by_key = [](const Entry& a, const Entry& b) { return compare(a.key, b.key, true) < 0; };
    std::stable_sort(entries.begin(), entries.end(), by_key);
    size_t out = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        if (out > 0 && compare(entries[out - 1].key, entries[i].key, true) == 0) {
            entries[out - 1] = entries[i];  // the later duplicate wins
        } else {
            entries[out++] = entries[i];
        }
    }
    entries.resize(out);
    if (out <= kMaxFlatMapKeys) return;
    std::vector<std::pair<uint32_t, size_t>> order(out);
    for (size_t i = 0; i < out; ++i)
        order[i] = {trie_order(internal_hash(entries[i].key)), i};
    std::sort(order.begin(), order.end());  // ties keep key order (by index)
    std::vector<Entry> sorted(out);
    for (size_t i = 0; i < out; ++i)
        sorted[i] = entries[order[i].second];
    entries.swap(sorted);
}

size_t build_words(const std::vector<Entry>& entries) {
    size_t n = entries.size();
    if (n <= kMaxFlatMapKeys) return flat_map_words(n);
    std::vector<uint32_t> h = hashes_of(entries);
    return node_words(h.data(), n, 0, true);
}

Term build(Term* mem, const std::vector<Entry>& entries) {
    size_t n = entries.size();
    if (n <= kMaxFlatMapKeys) {
        Term keys_tuple = make_tuple(mem, n);
        Term* map = mem + tuple_words(n);
        Term result = make_flat_map_raw(map, keys_tuple);
        for (size_t i = 0; i < n; ++i) {
            mem[1 + i] = entries[i].key;
            map[2 + i] = entries[i].value;
        }
        return result;
    }
    std::vector<uint32_t> h = hashes_of(entries);
    Term* cursor = mem;
    return write_node(cursor, entries.data(), h.data(), n, 0, true);
}

// ---- path-copying put ------------------------------------------------------------------

size_t plan_put(Term m, Term key, Term value, PutPlan& plan) {
    (void)value;
    uint32_t h = internal_hash(key);
    plan.hash = h;
    NodeView v = head_view(m);
    const Term* node = boxed_ptr(m);
    Term child = kNone;
    size_t path_words = 0;
    int depth = 0;
    for (;; ++depth) {
        unsigned s = slot_at(h, depth);
        bool present = v.bitmap & 1u << s;
        plan.path[depth] = {node, uint8_t(s), present};
        path_words += (depth == 0 ? 3 : 2) + v.count + (present ? 0 : 1);
        if (!present) break;
        child = v.children[count_below(v.bitmap, s)];
        if (is_cons(child) || is_collision(child)) break;
        node = boxed_ptr(child);
        v = sub_view(child);
    }
    plan.depth = depth;
    plan.child = child;
    plan.grows = true;
    size_t leaf_words;
    if (!plan.path[depth].present) {
        plan.kind = PutPlan::kAdd;
        leaf_words = 2;
    } else if (is_cons(child) && exact_equal(car(child), key)) {
        plan.kind = PutPlan::kReplace;
        plan.grows = false;
        leaf_words = 2;
    } else if (is_cons(child)) {
        // Split: a chain of sub-nodes down to where the two hashes differ;
        // only the new leaf is written, the old one is shared.
        plan.kind = PutPlan::kSplit;
        plan.other_hash = internal_hash(car(child));
        uint32_t hs[2] = {plan.other_hash, h};
        leaf_words = node_words(hs, 2, depth + 1, false);
    } else {
        // A collision node at the bottom: rebuilt with the key in place.
        plan.kind = PutPlan::kCollision;
        uint64_t k = tuple_arity(child) - 1;
        for (uint64_t i = 2; i <= k + 1; ++i) {
            if (exact_equal(car(tuple_element(child, i)), key)) plan.grows = false;
        }
        leaf_words = 2 + 3 * (k + (plan.grows ? 1 : 0));
    }
    plan.words = leaf_words + path_words;
    return plan.words;
}

Term write_put(Term* mem, const PutPlan& plan, Term key, Term value) {
    int depth = plan.depth;
    Term child = plan.child;
    uint32_t h = plan.hash;
    Term* cursor = mem;
    Term replacement = kNone;
    switch (plan.kind) {
        case PutPlan::kAdd:
        case PutPlan::kReplace:
            replacement = make_cons(cursor, key, value);
            cursor += 2;
            break;
        case PutPlan::kSplit: {
            Entry two[2] = {{car(child), cdr(child)}, {key, value}};
            uint32_t hs[2] = {plan.other_hash, h};
            if (trie_order(h) < trie_order(plan.other_hash) ||
                (h == plan.other_hash && compare(key, car(child), true) < 0)) {
                std::swap(two[0], two[1]);
                std::swap(hs[0], hs[1]);
            }
            replacement = write_node(cursor, two, hs, 2, depth + 1, false);
            break;
        }
        case PutPlan::kCollision: {
            std::vector<Entry> leaves;
            for (uint64_t i = 2; i <= tuple_arity(child); ++i)
                leaves.push_back({car(tuple_element(child, i)), cdr(tuple_element(child, i))});
            leaves.push_back({key, value});
            normalize(leaves);
            std::vector<uint32_t> hs(leaves.size(), h);
            replacement =
                write_node(cursor, leaves.data(), hs.data(), leaves.size(), kLevels, false);
            break;
        }
    }
    // Copy the path bottom-up, each node with its slot replaced or added.
    for (int d = depth; d >= 0; --d) {
        const PutPlan::Step& st = plan.path[d];
        bool head = d == 0;
        NodeView v = head ? head_view(make_boxed_ptr(st.node)) : sub_view(make_boxed_ptr(st.node));
        size_t fixed = head ? 3 : 2;
        uint64_t count = v.count + (st.present ? 0 : 1);
        Term* copy = cursor;
        cursor += fixed + count;
        uint32_t bitmap = v.bitmap | 1u << st.slot;
        copy[0] = make_header(head ? Kind::kHashMap : Kind::kTuple, fixed - 1 + count);
        if (head) copy[1] = make_small(small_value(st.node[1]) + (plan.grows ? 1 : 0));
        copy[fixed - 1] = make_small(bitmap);
        unsigned at = count_below(bitmap, st.slot);
        Term* children = copy + fixed;
        std::memcpy(children, v.children, at * sizeof(Term));
        children[at] = replacement;
        unsigned rest = unsigned(count) - at - 1;
        std::memcpy(children + at + 1, v.children + at + (st.present ? 1 : 0), rest * sizeof(Term));
        replacement = make_boxed_ptr(copy);
    }
    return replacement;
}

size_t put_hash_words(Term m, Term key, Term value) {
    PutPlan plan;
    return plan_put(m, key, value, plan);
}

Term put_hash(Term* mem, Term m, Term key, Term value) {
    PutPlan plan;
    plan_put(m, key, value, plan);
    return write_put(mem, plan, key, value);
}

Term put_hash_on_heap(process::Process& p, const Term& m, const Term& key, const Term& value,
                      bool exact, bool& missing) {
    PutPlan plan;
    size_t words = plan_put(m, key, value, plan);
    missing = plan.grows;
    if (exact && missing) return kNone;
    bool moved;
    Term* mem = process::alloc(p, words, moved);
    if (!mem) return kNone;
    if (moved) plan_put(m, key, value, plan);
    return write_put(mem, plan, key, value);
}

// ---- path-copying remove ---------------------------------------------------------------

namespace {

// What replaces a node's child on the way up: nothing (the slot empties),
// a lone leaf (a subtree left with one key, which moves up until it meets
// a node with other children), or a new node.
struct Replacement {
    enum Kind : uint8_t { kEmpty, kLeaf, kNode } kind;
    Term term;
};

// The collision node `c` without `key`: its other leaf alone, or the node
// rebuilt without it (at `cursor`, when writing; words added to `words`).
Replacement collision_without(Term c, Term key, Term*& cursor, bool write, size_t& words) {
    uint64_t k = tuple_arity(c) - 1;
    if (k == 2) {
        Term first = tuple_element(c, 2);
        return {Replacement::kLeaf, exact_equal(car(first), key) ? tuple_element(c, 3) : first};
    }
    words += 2 + (k - 1);
    if (!write) return {Replacement::kNode, kNone};
    Term* node = cursor;
    cursor += 2 + (k - 1);
    node[0] = make_header(Kind::kTuple, k);
    node[1] = kNil;
    size_t out = 2;
    for (uint64_t i = 2; i <= k + 1; ++i) {
        if (!exact_equal(car(tuple_element(c, i)), key)) node[out++] = tuple_element(c, i);
    }
    return {Replacement::kNode, make_boxed_ptr(node)};
}

// Walks the plan's path bottom-up, collapsing and copying as it goes;
// writes at `cursor` when `write`, and always counts the words.
Term remove_path(const RemovePlan& plan, Term key, Term* cursor, bool write, size_t& words) {
    words = 0;
    Replacement r{Replacement::kEmpty, kNone};
    if (!is_cons(plan.child)) r = collision_without(plan.child, key, cursor, write, words);
    for (int d = plan.depth; d >= 0; --d) {
        const RemovePlan::Step& st = plan.path[d];
        bool head = d == 0;
        Term node_term = make_boxed_ptr(st.node);
        NodeView v = head ? head_view(node_term) : sub_view(node_term);
        unsigned at = count_below(v.bitmap, st.slot);
        if (!head && r.kind != Replacement::kNode) {
            // One key left below this sub-node: it becomes that key's leaf.
            if (r.kind == Replacement::kLeaf && v.count == 1) continue;
            if (r.kind == Replacement::kEmpty && v.count == 2 && is_cons(v.children[1 - at])) {
                r = {Replacement::kLeaf, v.children[1 - at]};
                continue;
            }
        }
        bool drop = r.kind == Replacement::kEmpty;
        size_t fixed = head ? 3 : 2;
        uint64_t count = v.count - (drop ? 1 : 0);
        words += fixed + count;
        if (!write) {
            r = {Replacement::kNode, kNone};
            continue;
        }
        Term* copy = cursor;
        cursor += fixed + count;
        uint32_t bitmap = drop ? v.bitmap & ~(1u << st.slot) : v.bitmap;
        copy[0] = make_header(head ? Kind::kHashMap : Kind::kTuple, fixed - 1 + count);
        if (head) copy[1] = make_small(small_value(st.node[1]) - 1);
        copy[fixed - 1] = make_small(bitmap);
        Term* children = copy + fixed;
        std::memcpy(children, v.children, at * sizeof(Term));
        if (!drop) children[at] = r.term;
        unsigned after = unsigned(v.count) - at - 1;
        std::memcpy(children + at + (drop ? 0 : 1), v.children + at + 1, after * sizeof(Term));
        r = {Replacement::kNode, make_boxed_ptr(copy)};
    }
    return r.term;
}

}  // namespace

bool plan_remove(Term m, Term key, RemovePlan& plan) {
    uint32_t h = internal_hash(key);
    NodeView v = head_view(m);
    const Term* node = boxed_ptr(m);
    for (int depth = 0;; ++depth) {
        unsigned s = slot_at(h, depth);
        if (!(v.bitmap & 1u << s)) return false;
        plan.path[depth] = {node, uint8_t(s)};
        Term child = v.children[count_below(v.bitmap, s)];
        if (is_cons(child) || is_collision(child)) {
            plan.depth = depth;
            plan.child = child;
            if (is_cons(child) && !exact_equal(car(child), key)) return false;
            break;
        }
        node = boxed_ptr(child);
        v = sub_view(child);
    }
    if (!is_cons(plan.child)) {
        bool found = false;
        for (uint64_t i = 2; i <= tuple_arity(plan.child); ++i)
            found = found || exact_equal(car(tuple_element(plan.child, i)), key);
        if (!found) return false;
    }
    remove_path(plan, key, nullptr, false, plan.words);
    return true;
}

Term write_remove(Term* mem, const RemovePlan& plan, Term key) {
    size_t words;
    return remove_path(plan, key, mem, true, words);
}

Term remove_hash_on_heap(process::Process& p, const Term& m, const Term& key) {
    RemovePlan plan;
    if (!plan_remove(m, key, plan)) return m;
    bool moved;
    Term* mem = process::alloc(p, plan.words, moved);
    if (!mem) return kNone;
    if (moved) plan_remove(m, key, plan);
    return write_remove(mem, plan, key);
}

}  // namespace map
