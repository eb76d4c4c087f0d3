// bitsyntax: the semantics of the bit syntax, for the interpreter's bs_*
// handlers: measuring and writing the segments of a construction
// (bs_create_bin) and reading segments out of a match context.
//
// Construction is two passes so that the handler allocates once: measure()
// checks every segment and sums the bits (no allocation, so the handler can
// collect afterwards), then write() fills the fresh bitstring.
//
// A match context (the BEAM's match state) is a heap object that lives only
// in X and Y registers while binary patterns are matched:
//
//   match_state [hdr size=5][original][position][end][base][tail]
//                            |          bit offsets into original's bytes:
//                            |          the unread bits are [position, end)
//                            heap_bin or refc_bin (never a sub_bin)
//
// The GC moves it like any object (word 1 is its only term). bs_get_*
// advance `position`; a failed get leaves it unchanged.
//
// Reuse across calls (as OTP's compiler does): when a clause's pattern
// ends in `Rest/binary` and Rest's only use is as an argument of the tail
// call to a local function whose every clause matches that argument with a
// binary pattern, the compiler passes the context itself instead of a new
// sub-binary. bs_get_tail notes where Rest starts (`tail`); bs_commit_tail,
// just before the call, makes it the context's `base`: the context then
// stands for the bits [base, end). bs_start_match on a context allocates
// nothing and rewinds it to its base, so each clause of the callee starts
// from there. A context that would leave the callee's patterns (the
// arguments of function_clause) becomes a sub-binary of [base, end).
#pragma once

#include <cstddef>
#include <cstdint>

#include "bytecode/bytecode.h"
#include "vm/term.h"

namespace bitsyntax {

using term::Term;

// One segment of a construction, operands resolved.
struct Segment {
    bytecode::BsType type;
    uint64_t flags;  // bytecode::bs_flags
    Term value;
    Term size;  // units (a small), `all`, or anything for utf segments
};

enum class Status : uint8_t { kOk, kBadarg, kSystemLimit };

// Checks every segment (values, sizes) and sums their bits into *bits.
// *bad is the 1-based number of the first bad segment.
Status measure(const Segment* segments, size_t n, uint64_t* bits, size_t* bad);
// Writes the segments (already measured) into `bytes` from bit 0.
void write(const Segment* segments, size_t n, uint8_t* bytes);

// ---- matching -----------------------------------------------------------------------

constexpr size_t kMatchStateWords = 6;

inline bool is_match_state(Term t) {
    return term::is_boxed_kind(t, term::Kind::kMatchState);
}
// A match context over bitstring `bin` in `mem` (kMatchStateWords).
Term start_match(Term* mem, Term bin);

// bs_start_match on a context: the same context, rewound to its base.
inline void rewind(Term ctx) {
    term::Term* m = term::boxed_ptr(ctx);
    m[2] = m[4];
}
// bs_get_tail: Rest is the unread bits; they are consumed.
inline void take_tail(Term ctx) {
    term::Term* m = term::boxed_ptr(ctx);
    m[5] = m[2];
    m[2] = m[3];
}
// bs_commit_tail: the context now stands for Rest.
inline void commit_tail(Term ctx) {
    term::Term* m = term::boxed_ptr(ctx);
    m[4] = m[5];
}
// The bitstring a context stands for, [base, end), as a sub-binary at
// `mem` (term::kSubBinWords).
Term context_binary(Term* mem, Term ctx);

inline uint64_t remaining(Term ctx) {
    const Term* m = term::boxed_ptr(ctx);
    return m[3] - m[2];
}
// Bits of a segment of `size` units (a small) with `flags`, or UINT64_MAX
// when size is not a non-negative small or the product overflows.
inline uint64_t segment_bits(Term size, uint64_t flags) {
    if (!term::is_small(size) || term::small_value(size) < 0) return UINT64_MAX;
    uint64_t bits;
    if (__builtin_mul_overflow(uint64_t(term::small_value(size)), bytecode::bs_unit(flags), &bits))
        return UINT64_MAX;
    return bits;
}

// Heap words an integer of `bits` bits may need.
size_t integer_words(uint64_t bits);
// Reads an integer of `bits` bits (bits <= remaining) into a small or a
// bignum at `mem`, and advances.
Term get_integer(Term ctx, uint64_t bits, uint64_t flags, Term* mem);
// The common case of get_integer, inline: an unsigned big-endian integer
// of whole bytes (at most 7) at a byte boundary, always a small. False
// (nothing read) for any other segment.
inline bool get_small_bytes(Term ctx, uint64_t bits, uint64_t flags, Term* value) {
    term::Term* m = term::boxed_ptr(ctx);
    constexpr uint64_t kOrder = bytecode::kBsLittle | bytecode::kBsSigned | bytecode::kBsNative;
    if ((flags & kOrder) != 0 || (bits | m[2]) % 8 != 0 || bits > 56) return false;
    const uint8_t* p = term::bits_of(m[1]).bytes + m[2] / 8;
    uint64_t v = 0;
    for (uint64_t k = 0; k < bits / 8; ++k)
        v = v << 8 | p[k];
    m[2] += bits;
    *value = term::make_small(int64_t(v));
    return true;
}
// Reads a float (bits 16, 32 or 64); kNone when it is not finite or the
// size is wrong (no advance). `mem` holds term::kFloatWords.
Term get_float(Term ctx, uint64_t bits, uint64_t flags, Term* mem);
// A sub-binary of the next `bits` bits at `mem` (term::kSubBinWords).
Term get_binary(Term ctx, uint64_t bits, Term* mem);
// Decodes one utf8/16/32 character; kNone when invalid (no advance).
Term get_utf(Term ctx, bytecode::BsType type, uint64_t flags);
// True when the next bits equal the bitstring `literal`; advances then.
bool match_string(Term ctx, Term literal);
inline void skip(Term ctx, uint64_t bits) {
    term::boxed_ptr(ctx)[2] += bits;
}

}  // namespace bitsyntax
