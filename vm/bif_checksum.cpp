// bif_checksum: the checksums and the digest the erlang module offers on
// iodata: crc32/1,2, crc32_combine/3, adler32/1,2, adler32_combine/3
// (zlib's, as the BEAM's), md5/1 and the incremental md5_init/0,
// md5_update/2, md5_final/1 (vm/md5). OTP's argument rules: a checksum or
// a length is an integer of 0..2^32-1, the data is iodata (bytes,
// binaries, lists of them), and an MD5 context is any 88-byte binary.
#include <zlib.h>

#include <cstring>
#include <string>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/md5.h"

namespace bif {

using namespace term;

namespace {

constexpr int64_t kMaxUint32 = 0xFFFFFFFF;

// The value of `t` when it is an integer of 0..2^32-1 (always a small).
bool uint32_of(Term t, uint32_t& out) {
    if (!is_small(t) || small_value(t) < 0 || small_value(t) > kMaxUint32) return false;
    out = uint32_t(small_value(t));
    return true;
}

// The bytes of iodata `t`, charging the caller for them.
bool iodata_bytes(Term t, std::string& out) {
    if (!term::is_list(t) && !term::is_binary(t)) return false;
    if (!binary::flatten_iolist(t, out)) return false;
    charge(out.size());
    return true;
}

const Bytef* zlib_bytes(const std::string& bytes) {
    return reinterpret_cast<const Bytef*>(bytes.data());
}

// crc32 or adler32 (`fn`) of args[data_arg] continuing from `initial`.
template <typename Fn>
Term checksum(Process& p, Term data, unsigned data_arg, uLong initial, Fn fn) {
    std::string bytes;
    if (!iodata_bytes(data, bytes)) return badarg(p, data_arg, "not an iodata term");
    uLong sum = initial;
    // zlib takes lengths as uInt: feed very large data in pieces.
    constexpr size_t kPiece = size_t(1) << 30;
    for (size_t at = 0; at < bytes.size(); at += kPiece) {
        size_t n = std::min(kPiece, bytes.size() - at);
        sum = fn(sum, zlib_bytes(bytes) + at, uInt(n));
    }
    return make_small(int64_t(sum));
}

// The three integers of crc32_combine/3 and adler32_combine/3.
bool combine_args(Process& p, Term* args, uint32_t& first, uint32_t& second, uint32_t& size,
                  Term& failure) {
    const char* why = "not an integer in the range 0 through 4294967295";
    if (!uint32_of(args[0], first)) {
        failure = badarg(p, 1, why);
    } else if (!uint32_of(args[1], second)) {
        failure = badarg(p, 2, why);
    } else if (!uint32_of(args[2], size)) {
        failure = badarg(p, 3, why);
    } else {
        return true;
    }
    return false;
}

// An 88-byte binary's bytes as a context; false for anything else.
bool context_of(Term t, md5::Context& out) {
    if (!term::is_binary(t)) return false;
    std::string bytes;
    binary::append_bytes(bytes, t);
    if (bytes.size() != md5::kContextBytes) return false;
    out = md5::load(reinterpret_cast<const uint8_t*>(bytes.data()));
    return true;
}

Term context_binary(Process& p, const md5::Context& context) {
    uint8_t bytes[md5::kContextBytes];
    md5::store(context, bytes);
    Term t = binary::from_bytes(p, bytes, sizeof bytes);
    return t == kNone ? heap_exhausted(p) : t;
}

Term digest_binary(Process& p, const md5::Digest& digest) {
    Term t = binary::from_bytes(p, digest.data(), digest.size());
    return t == kNone ? heap_exhausted(p) : t;
}

const uint8_t* md5_bytes(const std::string& bytes) {
    return reinterpret_cast<const uint8_t*>(bytes.data());
}

}  // namespace

namespace impl {

Term crc32_1(Process& p, Term* args) {
    return checksum(p, args[0], 1, ::crc32(0, nullptr, 0), ::crc32);
}

Term crc32_2(Process& p, Term* args) {
    uint32_t initial;
    if (!uint32_of(args[0], initial))
        return badarg(p, 1, "not an integer in the range 0 through 4294967295");
    return checksum(p, args[1], 2, initial, ::crc32);
}

Term crc32_combine(Process& p, Term* args) {
    uint32_t first, second, size;
    Term failure;
    if (!combine_args(p, args, first, second, size, failure)) return failure;
    return make_small(int64_t(::crc32_combine(first, second, z_off_t(size))));
}

Term adler32_1(Process& p, Term* args) {
    return checksum(p, args[0], 1, ::adler32(0, nullptr, 0), ::adler32);
}

Term adler32_2(Process& p, Term* args) {
    uint32_t initial;
    if (!uint32_of(args[0], initial))
        return badarg(p, 1, "not an integer in the range 0 through 4294967295");
    return checksum(p, args[1], 2, initial, ::adler32);
}

Term adler32_combine(Process& p, Term* args) {
    uint32_t first, second, size;
    Term failure;
    if (!combine_args(p, args, first, second, size, failure)) return failure;
    return make_small(int64_t(::adler32_combine(first, second, z_off_t(size))));
}

Term md5_1(Process& p, Term* args) {
    std::string bytes;
    if (!iodata_bytes(args[0], bytes)) return badarg(p, 1, "not an iodata term");
    return digest_binary(p, md5::digest(md5_bytes(bytes), bytes.size()));
}

Term md5_init(Process& p, Term* args) {
    return context_binary(p, md5::init());
}

Term md5_update(Process& p, Term* args) {
    md5::Context context;
    if (!context_of(args[0], context)) return badarg(p, 1, "not a valid MD5 context");
    std::string bytes;
    if (!iodata_bytes(args[1], bytes)) return badarg(p, 2, "not an iodata term");
    md5::update(context, md5_bytes(bytes), bytes.size());
    return context_binary(p, context);
}

Term md5_final(Process& p, Term* args) {
    md5::Context context;
    if (!context_of(args[0], context)) return badarg(p, 1, "not a valid MD5 context");
    return digest_binary(p, md5::final(context));
}

}  // namespace impl

}  // namespace bif
