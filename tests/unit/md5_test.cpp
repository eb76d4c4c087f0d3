// md5: RFC 1321's test suite (appendix A.5), digests fed in pieces of
// every size, and the 88-byte context form keeping a digest part way.
#include <catch2/catch.hpp>

#include <string>

#include "vm/md5.h"

namespace {

std::string hex(const md5::Digest& digest) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    for (uint8_t b : digest) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

md5::Digest of(const std::string& text) {
    return md5::digest(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace

TEST_CASE("md5: RFC 1321 test suite") {
    CHECK(hex(of("")) == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(hex(of("a")) == "0cc175b9c0f1b6a831c399e269772661");
    CHECK(hex(of("abc")) == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(hex(of("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0");
    CHECK(hex(of("abcdefghijklmnopqrstuvwxyz")) == "c3fcd3d76192e4007dfb496cca67e13b");
    CHECK(hex(of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")) ==
          "d174ab98d277d9f5a5611c2c9f419d9f");
    CHECK(hex(of("1234567890123456789012345678901234567890"
                 "1234567890123456789012345678901234567890")) ==
          "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("md5: pieces of any size give the one-buffer digest") {
    std::string text;
    for (int i = 0; i < 300; ++i)
        text += char('a' + i % 26);
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
    for (size_t piece = 1; piece <= 130; ++piece) {
        md5::Context context = md5::init();
        for (size_t at = 0; at < text.size(); at += piece)
            md5::update(context, bytes + at, std::min(piece, text.size() - at));
        REQUIRE(md5::final(context) == of(text));
    }
}

TEST_CASE("md5: a context survives its 88-byte form") {
    md5::Context context = md5::init();
    md5::update(context, reinterpret_cast<const uint8_t*>("ab"), 2);
    uint8_t stored[md5::kContextBytes];
    md5::store(context, stored);
    CHECK(stored[0] == 0x01);  // state word A of the initial state, little-endian
    CHECK(stored[16] == 16);   // 16 bits so far
    CHECK(stored[24] == 'a');  // the pending block
    md5::Context again = md5::load(stored);
    md5::update(again, reinterpret_cast<const uint8_t*>("c"), 1);
    CHECK(hex(md5::final(again)) == "900150983cd24fb0d6963f7d28e17f72");
    // final leaves the context as it was.
    CHECK(md5::final(again) == md5::final(again));
}
