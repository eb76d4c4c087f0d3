// md5: RFC 1321's algorithm. Each 64-byte block runs four rounds of sixteen
// steps over the state (a, b, c, d); a step adds one of the round's
// non-linear functions, a message word and a constant of the sine table,
// rotates, and adds b. The message is padded with 0x80, zeros and its
// length in bits so that it ends on a block boundary.
#include "vm/md5.h"

#include <cstring>

namespace md5 {

namespace {

// floor(abs(sin(i + 1)) * 2^32), RFC 1321 section 3.4.
constexpr uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// The left rotations of each round's four steps, in turn.
constexpr unsigned kShift[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

uint32_t rotate_left(uint32_t x, unsigned n) {
    return (x << n) | (x >> (32 - n));
}

uint32_t read_le32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void write_le32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = uint8_t(v >> (8 * i));
}

// Step i's non-linear function of (b, c, d) and the message word it takes.
uint32_t mix(unsigned i, uint32_t b, uint32_t c, uint32_t d, unsigned& word) {
    switch (i / 16) {
        case 0:
            word = i;
            return (b & c) | (~b & d);
        case 1:
            word = (5 * i + 1) % 16;
            return (b & d) | (c & ~d);
        case 2:
            word = (3 * i + 5) % 16;
            return b ^ c ^ d;
        default:
            word = (7 * i) % 16;
            return c ^ (b | ~d);
    }
}

void transform(uint32_t state[4], const uint8_t block[64]) {
    uint32_t m[16];
    for (unsigned i = 0; i < 16; ++i)
        m[i] = read_le32(block + 4 * i);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    for (unsigned i = 0; i < 64; ++i) {
        unsigned word;
        uint32_t f = mix(i, b, c, d, word);
        uint32_t rotated = rotate_left(a + f + kSine[i] + m[word], kShift[i / 16][i % 4]);
        a = d;
        d = c;
        c = b;
        b += rotated;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
}

}  // namespace

Context init() {
    Context context{};
    context.state[0] = 0x67452301;
    context.state[1] = 0xefcdab89;
    context.state[2] = 0x98badcfe;
    context.state[3] = 0x10325476;
    return context;
}

void update(Context& context, const uint8_t* data, size_t size) {
    size_t pending = (context.bit_count / 8) % 64;
    context.bit_count += uint64_t(size) * 8;
    if (pending > 0) {
        size_t take = size < 64 - pending ? size : 64 - pending;
        std::memcpy(context.block + pending, data, take);
        data += take;
        size -= take;
        if (pending + take < 64) return;
        transform(context.state, context.block);
    }
    for (; size >= 64; data += 64, size -= 64)
        transform(context.state, data);
    if (size > 0) std::memcpy(context.block, data, size);
}

Digest final(const Context& context) {
    Context last = context;
    uint64_t bits = context.bit_count;
    // 0x80, then zeros up to 56 bytes into a block, then the length.
    size_t pending = (bits / 8) % 64;
    size_t padding = pending < 56 ? 56 - pending : 120 - pending;
    uint8_t tail[72] = {0x80};
    for (int i = 0; i < 8; ++i)
        tail[padding + i] = uint8_t(bits >> (8 * i));
    update(last, tail, padding + 8);
    Digest digest;
    for (int i = 0; i < 4; ++i)
        write_le32(digest.data() + 4 * i, last.state[i]);
    return digest;
}

Digest digest(const uint8_t* data, size_t size) {
    Context context = init();
    update(context, data, size);
    return final(context);
}

void store(const Context& context, uint8_t* bytes) {
    for (int i = 0; i < 4; ++i)
        write_le32(bytes + 4 * i, context.state[i]);
    write_le32(bytes + 16, uint32_t(context.bit_count));
    write_le32(bytes + 20, uint32_t(context.bit_count >> 32));
    std::memcpy(bytes + 24, context.block, 64);
}

Context load(const uint8_t* bytes) {
    Context context;
    for (int i = 0; i < 4; ++i)
        context.state[i] = read_le32(bytes + 4 * i);
    context.bit_count = uint64_t(read_le32(bytes + 16)) | uint64_t(read_le32(bytes + 20)) << 32;
    std::memcpy(context.block, bytes + 24, 64);
    return context;
}

}  // namespace md5
