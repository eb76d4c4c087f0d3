// md5: the MD5 message digest (RFC 1321), written for erlang:md5/1 and the
// incremental md5_init/0, md5_update/2, md5_final/1.
//
// The BIFs keep an unfinished digest in an Erlang binary, as OTP does, so
// the context has one fixed byte layout (88 bytes, OTP's): the four state
// words, the message length in bits as two 32-bit halves, then the 64-byte
// block being filled; every integer little-endian. Any 88-byte binary is a
// context (OTP accepts them too), so reading one never fails.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace md5 {

constexpr size_t kContextBytes = 88;
constexpr size_t kDigestBytes = 16;
using Digest = std::array<uint8_t, kDigestBytes>;

struct Context {
    uint32_t state[4];
    uint64_t bit_count;  // message length so far, modulo 2^64 bits
    uint8_t block[64];   // the first (bit_count / 8) % 64 bytes are pending
};

Context init();
void update(Context& context, const uint8_t* data, size_t size);
// The digest of everything given to `context` (which is left as it was).
Digest final(const Context& context);
// The digest of one buffer.
Digest digest(const uint8_t* data, size_t size);

// The 88-byte form and back.
void store(const Context& context, uint8_t* bytes);
Context load(const uint8_t* bytes);

}  // namespace md5
