// bitsyntax: segment semantics for construction and matching (see
// bitsyntax.h).
//
// Integers are moved in 8-bit chunks numbered from the least significant:
// chunk k holds value bits [8k, 8k + take) with take = min(8, bits - 8k).
// Big endian puts chunk k at the end of the segment (bit offset bits - 8k -
// take), little endian at its start (8k): so `<<16#abc:12/little>>` is
// <<16#bc, 16#a:4>>, as in OTP.
#include "vm/bitsyntax.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "vm/binary.h"

namespace bitsyntax {

using namespace term;
using bytecode::BsType;

namespace {

constexpr Term kAll = make_atom(atom::kAll);

bool is_little(uint64_t flags) {
    if (flags & bytecode::kBsNative) return std::endian::native == std::endian::little;
    return flags & bytecode::kBsLittle;
}

// Reads `take` (<= 8) bits at bit `off`, right aligned.
uint8_t read_chunk(const uint8_t* bytes, uint64_t off, unsigned take) {
    Bits view{bytes, off, take};
    uint8_t v = take == 8 ? bits_byte(view, 0) : bits_partial_byte(view);
    return uint8_t(v >> (8 - take));
}

// Writes the low `take` (<= 8) bits of `v` at bit `off`.
void write_chunk(uint8_t* bytes, uint64_t off, unsigned take, uint8_t v) {
    if (take == 8 && off % 8 == 0) {
        bytes[off / 8] = v;
        return;
    }
    uint8_t aligned = uint8_t(v << (8 - take));
    binary::copy_bits(bytes, off, &aligned, 0, take);
}

uint64_t chunk_offset(uint64_t bits, uint64_t k, bool little) {
    unsigned take = bits - 8 * k < 8 ? unsigned(bits - 8 * k) : 8;
    return little ? 8 * k : bits - 8 * k - take;
}

// Byte k (least significant first) of an integer's two's complement.
class IntegerBytes {
  public:
    explicit IntegerBytes(Term v) {
        if (is_small(v)) {
            small_ = small_value(v);
            negative_ = small_ < 0;
        } else {
            limbs_ = bignum_limbs(v);
            count_ = bignum_limb_count(v);
            negative_ = bignum_negative(v);
        }
    }
    // Call with k = 0, 1, 2... in order (the carry of a negation runs up).
    uint8_t next() {
        uint64_t k = k_++;
        if (!limbs_) return k < 8 ? uint8_t(uint64_t(small_) >> (8 * k)) : (negative_ ? 0xFF : 0);
        uint8_t magnitude = k / 8 < count_ ? uint8_t(limbs_[k / 8] >> (8 * (k % 8))) : 0;
        if (!negative_) return magnitude;
        unsigned sum = unsigned(uint8_t(~magnitude)) + carry_;
        carry_ = sum >> 8;
        return uint8_t(sum);
    }

  private:
    int64_t small_ = 0;
    const Limb* limbs_ = nullptr;
    uint64_t count_ = 0;
    bool negative_ = false;
    unsigned carry_ = 1;
    uint64_t k_ = 0;
};

void write_integer(uint8_t* bytes, uint64_t off, Term v, uint64_t bits, uint64_t flags) {
    bool little = is_little(flags);
    IntegerBytes source(v);
    for (uint64_t k = 0; 8 * k < bits; ++k) {
        unsigned take = bits - 8 * k < 8 ? unsigned(bits - 8 * k) : 8;
        write_chunk(bytes, off + chunk_offset(bits, k, little), take, source.next());
    }
}

void write_unsigned(uint8_t* bytes, uint64_t off, uint64_t v, uint64_t bits, uint64_t flags) {
    write_integer(bytes, off, make_small(int64_t(v)), bits, flags);  // v < 2^32
}

// IEEE half precision bits of `d`, rounding to nearest even.
uint16_t to_half(double d) {
    float f = float(d);
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint16_t sign = uint16_t((x >> 16) & 0x8000);
    int exponent = int((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mantissa = x & 0x7FFFFF;
    if (((x >> 23) & 0xFF) == 0xFF) return uint16_t(sign | 0x7C00 | (mantissa ? 0x200 : 0));
    if (exponent >= 31) return uint16_t(sign | 0x7C00);
    if (exponent <= 0) {
        if (exponent < -10) return sign;
        mantissa |= 0x800000;
        unsigned shift = unsigned(14 - exponent);
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1);
        uint32_t midpoint = 1u << (shift - 1);
        if (rest > midpoint || (rest == midpoint && (half & 1))) ++half;
        return uint16_t(sign | half);
    }
    uint32_t half = uint32_t(exponent) << 10 | mantissa >> 13;
    uint32_t rest = mantissa & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // may carry into inf
    return uint16_t(sign | half);
}

double from_half(uint16_t h) {
    int exponent = (h >> 10) & 0x1F;
    double mantissa = h & 0x3FF;
    double v;
    if (exponent == 0) {
        v = std::ldexp(mantissa, -24);
    } else if (exponent == 31) {
        v = mantissa ? NAN : INFINITY;
    } else {
        v = std::ldexp(mantissa + 1024, exponent - 25);
    }
    return (h & 0x8000) ? -v : v;
}

// A number as a double; false when it does not fit (a huge bignum).
bool number_value(Term v, double* d) {
    if (is_float(v)) {
        *d = float_value(v);
        return true;
    }
    if (is_small(v)) {
        *d = double(small_value(v));
        return true;
    }
    if (!is_bignum(v)) return false;
    double sum = 0;
    const Limb* limbs = bignum_limbs(v);
    for (uint64_t i = bignum_limb_count(v); i-- > 0;)
        sum = sum * 18446744073709551616.0 + double(limbs[i]);
    if (!std::isfinite(sum)) return false;
    *d = bignum_negative(v) ? -sum : sum;
    return true;
}

bool valid_code_point(Term v) {
    if (!is_small(v)) return false;
    int64_t c = small_value(v);
    return c >= 0 && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
}

uint64_t utf_bits(BsType type, int64_t c) {
    switch (type) {
        case BsType::Utf8:
            return c < 0x80 ? 8 : c < 0x800 ? 16 : c < 0x10000 ? 24 : 32;
        case BsType::Utf16:
            return c < 0x10000 ? 16 : 32;
        default:
            return 32;
    }
}

uint64_t write_utf(uint8_t* bytes, uint64_t off, BsType type, uint64_t flags, int64_t c) {
    if (type == BsType::Utf8) {
        uint8_t out[4];
        unsigned n = 0;
        if (c < 0x80) {
            out[n++] = uint8_t(c);
        } else if (c < 0x800) {
            out[n++] = uint8_t(0xC0 | c >> 6);
            out[n++] = uint8_t(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[n++] = uint8_t(0xE0 | c >> 12);
            out[n++] = uint8_t(0x80 | ((c >> 6) & 0x3F));
            out[n++] = uint8_t(0x80 | (c & 0x3F));
        } else {
            out[n++] = uint8_t(0xF0 | c >> 18);
            out[n++] = uint8_t(0x80 | ((c >> 12) & 0x3F));
            out[n++] = uint8_t(0x80 | ((c >> 6) & 0x3F));
            out[n++] = uint8_t(0x80 | (c & 0x3F));
        }
        binary::copy_bits(bytes, off, out, 0, 8 * n);
        return 8 * n;
    }
    if (type == BsType::Utf32) {
        write_unsigned(bytes, off, uint64_t(c), 32, flags);
        return 32;
    }
    if (c < 0x10000) {
        write_unsigned(bytes, off, uint64_t(c), 16, flags);
        return 16;
    }
    int64_t rest = c - 0x10000;
    write_unsigned(bytes, off, uint64_t(0xD800 | rest >> 10), 16, flags);
    write_unsigned(bytes, off + 16, uint64_t(0xDC00 | (rest & 0x3FF)), 16, flags);
    return 32;
}

// Bits of one construction segment, or kBadarg / kSystemLimit.
Status segment_size(const Segment& s, uint64_t* bits) {
    switch (s.type) {
        case BsType::Utf8:
        case BsType::Utf16:
        case BsType::Utf32:
            if (!valid_code_point(s.value)) return Status::kBadarg;
            *bits = utf_bits(s.type, small_value(s.value));
            return Status::kOk;
        case BsType::Binary: {
            if (!is_bitstring(s.value)) return Status::kBadarg;
            uint64_t have = bits_of(s.value).bit_size;
            uint64_t unit = bytecode::bs_unit(s.flags);
            if (s.size == kAll) {
                if (unit > 1 && have % unit != 0) return Status::kBadarg;
                *bits = have;
                return Status::kOk;
            }
            uint64_t want = segment_bits(s.size, s.flags);
            if (want == UINT64_MAX || want > have) return Status::kBadarg;
            *bits = want;
            return Status::kOk;
        }
        case BsType::Float: {
            double d;
            uint64_t want = segment_bits(s.size, s.flags);
            if (!is_number(s.value) || (want != 16 && want != 32 && want != 64))
                return Status::kBadarg;
            if (!number_value(s.value, &d)) return Status::kBadarg;
            *bits = want;
            return Status::kOk;
        }
        case BsType::Integer:
        default: {
            if (!is_integer(s.value)) return Status::kBadarg;
            if (is_bignum(s.size))
                return bignum_negative(s.size) ? Status::kBadarg : Status::kSystemLimit;
            uint64_t want = segment_bits(s.size, s.flags);
            if (want == UINT64_MAX)
                return is_small(s.size) && small_value(s.size) >= 0 ? Status::kSystemLimit
                                                                    : Status::kBadarg;
            *bits = want;
            return Status::kOk;
        }
    }
}

}  // namespace

Status measure(const Segment* segments, size_t n, uint64_t* bits, size_t* bad) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) {
        uint64_t b = 0;
        Status s = segment_size(segments[i], &b);
        if (s == Status::kOk &&
            (__builtin_add_overflow(total, b, &total) || total > binary::kMaxBytes * 8)) {
            s = Status::kSystemLimit;
        }
        if (s != Status::kOk) {
            *bad = i + 1;
            return s;
        }
    }
    *bits = total;
    return Status::kOk;
}

void write(const Segment* segments, size_t n, uint8_t* bytes) {
    uint64_t off = 0;
    for (size_t i = 0; i < n; ++i) {
        const Segment& s = segments[i];
        switch (s.type) {
            case BsType::Integer: {
                uint64_t bits = segment_bits(s.size, s.flags);
                write_integer(bytes, off, s.value, bits, s.flags);
                off += bits;
                break;
            }
            case BsType::Float: {
                uint64_t bits = segment_bits(s.size, s.flags);
                double d = 0;
                number_value(s.value, &d);
                uint64_t raw;
                if (bits == 64) {
                    std::memcpy(&raw, &d, 8);
                } else if (bits == 32) {
                    float f = float(d);
                    uint32_t r32;
                    std::memcpy(&r32, &f, 4);
                    raw = r32;
                } else {
                    raw = to_half(d);
                }
                uint8_t chunks[8];
                for (unsigned k = 0; k < 8; ++k)
                    chunks[k] = uint8_t(raw >> (8 * k));
                bool little = is_little(s.flags);
                for (uint64_t k = 0; 8 * k < bits; ++k)
                    write_chunk(bytes, off + chunk_offset(bits, k, little), 8, chunks[k]);
                off += bits;
                break;
            }
            case BsType::Binary: {
                Bits view = bits_of(s.value);
                uint64_t bits = s.size == kAll ? view.bit_size : segment_bits(s.size, s.flags);
                binary::copy_bits(bytes, off, view.bytes, view.bit_offset, bits);
                off += bits;
                break;
            }
            default:
                off += write_utf(bytes, off, s.type, s.flags, small_value(s.value));
                break;
        }
    }
}

// ---- matching -------------------------------------------------------------------------

Term start_match(Term* mem, Term bin) {
    Term* object = boxed_ptr(bin);
    Bits view = bits_of(bin);
    mem[0] = make_header(Kind::kMatchState, kMatchStateWords - 1);
    mem[1] = header_kind(object[0]) == Kind::kSubBin ? object[1] : bin;
    mem[2] = view.bit_offset;
    mem[3] = view.bit_offset + view.bit_size;
    mem[4] = view.bit_offset;
    mem[5] = view.bit_offset;
    return make_boxed_ptr(mem);
}

Term context_binary(Term* mem, Term ctx) {
    const Term* m = boxed_ptr(ctx);
    return make_sub_bin(mem, m[1], m[4], m[3] - m[4]);
}

namespace {

const uint8_t* ctx_bytes(Term ctx) {
    return bits_of(boxed_ptr(ctx)[1]).bytes;
}

// The raw bits of an unsigned field of <= 64 bits.
uint64_t read_unsigned(const uint8_t* bytes, uint64_t off, uint64_t bits, bool little) {
    uint64_t v = 0;
    for (uint64_t k = 0; 8 * k < bits; ++k) {
        unsigned take = bits - 8 * k < 8 ? unsigned(bits - 8 * k) : 8;
        v |= uint64_t(read_chunk(bytes, off + chunk_offset(bits, k, little), take)) << (8 * k);
    }
    return v;
}

}  // namespace

size_t integer_words(uint64_t bits) {
    return bits < 60 ? 0 : bignum_words((bits + 63) / 64);
}

Term get_integer(Term ctx, uint64_t bits, uint64_t flags, Term* mem) {
    Term* m = boxed_ptr(ctx);
    const uint8_t* bytes = ctx_bytes(ctx);
    uint64_t off = m[2];
    m[2] += bits;
    bool little = is_little(flags);
    bool is_signed = flags & bytecode::kBsSigned;
    if (bits <= 64) {
        uint64_t v = read_unsigned(bytes, off, bits, little);
        if (bits == 0) return make_small(0);
        if (is_signed && (v >> (bits - 1)) & 1) {
            __int128 negative = __int128(v) - (__int128(1) << bits);
            return make_integer(mem, negative);
        }
        return make_integer(mem, __int128(v));
    }
    // Wide: gather the chunks into limbs, then negate a negative value's
    // two's complement into a magnitude.
    size_t count = (bits + 63) / 64;
    std::vector<Limb> limbs(count, 0);
    for (uint64_t k = 0; 8 * k < bits; ++k) {
        unsigned take = bits - 8 * k < 8 ? unsigned(bits - 8 * k) : 8;
        uint64_t chunk = read_chunk(bytes, off + chunk_offset(bits, k, little), take);
        limbs[k / 8] |= chunk << (8 * (k % 8));
    }
    bool negative = is_signed && (limbs[(bits - 1) / 64] >> ((bits - 1) % 64)) & 1;
    if (negative) {
        unsigned carry = 1;
        for (size_t i = 0; i < count; ++i) {
            Limb inverted = ~limbs[i];
            if (i == count - 1 && bits % 64) inverted &= (Limb(1) << (bits % 64)) - 1;
            limbs[i] = inverted + carry;
            carry = carry && limbs[i] == 0;
        }
    }
    return make_bignum(mem, negative, limbs.data(), count);
}

Term get_float(Term ctx, uint64_t bits, uint64_t flags, Term* mem) {
    if (bits != 16 && bits != 32 && bits != 64) return kNone;
    Term* m = boxed_ptr(ctx);
    uint64_t raw = read_unsigned(ctx_bytes(ctx), m[2], bits, is_little(flags));
    double d;
    if (bits == 64) {
        std::memcpy(&d, &raw, 8);
    } else if (bits == 32) {
        uint32_t r32 = uint32_t(raw);
        float f;
        std::memcpy(&f, &r32, 4);
        d = f;
    } else {
        d = from_half(uint16_t(raw));
    }
    if (!std::isfinite(d)) return kNone;
    m[2] += bits;
    return make_float(mem, d);
}

Term get_binary(Term ctx, uint64_t bits, Term* mem) {
    Term* m = boxed_ptr(ctx);
    Term t = make_sub_bin(mem, m[1], m[2], bits);
    m[2] += bits;
    return t;
}

Term get_utf(Term ctx, BsType type, uint64_t flags) {
    Term* m = boxed_ptr(ctx);
    const uint8_t* bytes = ctx_bytes(ctx);
    uint64_t off = m[2], left = m[3] - m[2];
    bool little = is_little(flags);
    int64_t c;
    uint64_t used;
    if (type == BsType::Utf8) {
        if (left < 8) return kNone;
        uint8_t lead = read_chunk(bytes, off, 8);
        unsigned n = lead < 0x80   ? 1
                     : lead < 0xC2 ? 0
                     : lead < 0xE0 ? 2
                     : lead < 0xF0 ? 3
                     : lead < 0xF5 ? 4
                                   : 0;
        if (n == 0 || left < 8 * n) return kNone;
        c = n == 1 ? lead : lead & (0x7F >> n);
        for (unsigned i = 1; i < n; ++i) {
            uint8_t b = read_chunk(bytes, off + 8 * i, 8);
            if ((b & 0xC0) != 0x80) return kNone;
            c = c << 6 | (b & 0x3F);
        }
        static constexpr int64_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < kMin[n]) return kNone;  // overlong
        used = 8 * n;
    } else if (type == BsType::Utf16) {
        if (left < 16) return kNone;
        c = int64_t(read_unsigned(bytes, off, 16, little));
        used = 16;
        if (c >= 0xDC00 && c <= 0xDFFF) return kNone;
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (left < 32) return kNone;
            int64_t low = int64_t(read_unsigned(bytes, off + 16, 16, little));
            if (low < 0xDC00 || low > 0xDFFF) return kNone;
            c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
            used = 32;
        }
    } else {
        if (left < 32) return kNone;
        c = int64_t(read_unsigned(bytes, off, 32, little));
        used = 32;
    }
    if (!valid_code_point(make_small(c))) return kNone;
    m[2] += used;
    return make_small(c);
}

bool match_string(Term ctx, Term literal) {
    Term* m = boxed_ptr(ctx);
    Bits want = bits_of(literal);
    if (m[3] - m[2] < want.bit_size) return false;
    Bits have{ctx_bytes(ctx), m[2], want.bit_size};
    uint64_t whole = want.bit_size / 8;
    for (uint64_t i = 0; i < whole; ++i)
        if (bits_byte(have, i) != bits_byte(want, i)) return false;
    if (uint64_t rest = want.bit_size % 8) {
        Bits a{have.bytes, have.bit_offset + whole * 8, rest};
        Bits b{want.bytes, want.bit_offset + whole * 8, rest};
        if (bits_partial_byte(a) != bits_partial_byte(b)) return false;
    }
    m[2] += want.bit_size;
    return true;
}

}  // namespace bitsyntax
