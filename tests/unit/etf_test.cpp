// etf: the external term format. Encodings are OTP 25's bytes (from
// term_to_binary in erl); decoding must survive any damage to its input.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "vm/etf.h"
#include "vm/gc.h"
#include "vm/map.h"
#include "vm/process.h"

using namespace term;

namespace {

std::string encoded(Term t) {
    std::string out;
    REQUIRE(etf::encode(t, etf::EncodeOptions{}, out));
    return out;
}

std::vector<uint8_t> bytes(std::initializer_list<int> v) {
    return std::vector<uint8_t>(v.begin(), v.end());
}

Term decode(process::Process& p, const std::vector<uint8_t>& in) {
    size_t used = 0;
    return etf::decode(p, in.data(), in.size(), etf::DecodeOptions{}, &used);
}

}  // namespace

TEST_CASE("etf: immediates encode as OTP 25 does", "[etf]") {
    CHECK(encoded(make_small(5)) == std::string("\x83\x61\x05", 3));
    CHECK(encoded(make_small(-5)) == std::string("\x83\x62\xff\xff\xff\xfb", 6));
    CHECK(encoded(make_small(int64_t(1) << 40)) ==
          std::string("\x83\x6e\x06\x00\0\0\0\0\0\x01", 10));
    CHECK(encoded(kNil) == std::string("\x83\x6a", 2));
    CHECK(encoded(make_atom(atom::intern("abc"))) == std::string("\x83\x64\x00\x03"
                                                                 "abc",
                                                                 7));
}

TEST_CASE("etf: decoding OTP's bytes", "[etf]") {
    process::Process* p = process::create();
    CHECK(decode(*p, bytes({131, 97, 1, 0})) == make_small(1));
    CHECK(decode(*p, bytes({131, 108, 0, 0, 0, 0, 97, 1})) == make_small(1));
    CHECK(decode(*p, bytes({131, 110, 2, 0, 5, 0})) == make_small(5));
    CHECK(to_string(decode(*p, bytes({131, 107, 0, 2, 104, 105}))) == "[104,105]");
    CHECK(to_string(decode(*p, bytes({131, 77, 0, 0, 0, 2, 3, 1, 64}))) == "<<1,2:3>>");
    CHECK(decode(*p, bytes({131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3})) == kNone);
    CHECK(decode(*p, bytes({131, 70, 127, 240, 0, 0, 0, 0, 0, 0})) == kNone);  // infinity
    process::destroy(p);
}

TEST_CASE("etf: damaged and truncated input fails cleanly", "[etf]") {
    process::Process* p = process::create();
    // {a, [1, 2.5, <<"xyz">>], #{k => "s"}, -300, 1 bsl 70}
    std::vector<uint8_t> good =
        bytes({131, 104, 5,   100, 0, 1,   97, 108, 0,   0,   0, 3, 97,  1,   70,  64,
               4,   0,   0,   0,   0, 0,   0,  109, 0,   0,   0, 3, 120, 121, 122, 106,
               116, 0,   0,   0,   1, 100, 0,  1,   107, 107, 0, 1, 115, 98,  255, 255,
               254, 212, 110, 9,   0, 0,   0,  0,   0,   0,   0, 0, 0,   64});
    Term whole = decode(*p, good);
    REQUIRE(whole != kNone);
    CHECK(encoded(whole) == std::string(good.begin(), good.end()));
    size_t decoded = 0;
    for (size_t cut = 0; cut < good.size(); ++cut) {
        std::vector<uint8_t> part(good.begin(), good.begin() + cut);
        CHECK(decode(*p, part) == kNone);
    }
    for (size_t i = 1; i < good.size(); ++i) {
        for (int v : {0, 1, 3, 64, 77, 104, 108, 116, 127, 128, 255}) {
            std::vector<uint8_t> bad = good;
            bad[i] = uint8_t(v);
            Term t = decode(*p, bad);
            if (t == kNone) continue;
            ++decoded;
            Term roots[1] = {t};
            gc::Roots r;
            r.add(roots, 1);
            REQUIRE(gc::verify(p->heap, r).empty());
        }
    }
    CHECK(decoded > 0);
    process::destroy(p);
}

TEST_CASE("etf: maps over 32 keys encode in OTP's order and decode to a HAMT", "[etf]") {
    process::Process* p = process::create();
    // maps:from_list([{K, K} || K <- lists:seq(1, 40)]) as OTP 25 encodes it
    const int order[] = {33, 12, 23, 29, 30, 39, 26, 31, 11, 37, 9,  32, 34, 25,
                         28, 6,  38, 13, 40, 20, 15, 14, 2,  7,  1,  8,  3,  17,
                         22, 21, 4,  36, 24, 10, 35, 27, 19, 5,  18, 16};
    std::vector<uint8_t> otp = bytes({131, 116, 0, 0, 0, 40});
    for (int k : order)
        otp.insert(otp.end(), {97, uint8_t(k), 97, uint8_t(k)});
    Term m = decode(*p, otp);
    REQUIRE(m != kNone);
    CHECK(map::is_hash_map(m));
    CHECK(map::size(m) == 40);
    CHECK(map::get(m, make_small(17)) == make_small(17));
    CHECK(encoded(m) == std::string(otp.begin(), otp.end()));
    Term roots[1] = {m};
    gc::Roots r;
    r.add(roots, 1);
    CHECK(gc::verify(p->heap, r).empty());
    // A repeated key is not a map.
    std::vector<uint8_t> repeated = otp;
    repeated[6 + 4 * 39 + 1] = 33;
    CHECK(decode(*p, repeated) == kNone);
    process::destroy(p);
}

TEST_CASE("etf: compressed terms as OTP writes them, and lying ones", "[etf]") {
    process::Process* p = process::create();
    // term_to_binary(lists:duplicate(100, a), [compressed]) in OTP 25
    std::vector<uint8_t> otp =
        bytes({131, 80, 0,  0,  1,   150, 120, 156, 203, 97, 96, 96, 72, 73,
               97,  96, 76, 28, 197, 131, 7,   103, 1,   0,  48, 70, 78, 147});
    Term t = decode(*p, otp);
    REQUIRE(t != kNone);
    std::string again;
    etf::EncodeOptions compressed;
    compressed.compressed = 6;
    REQUIRE(etf::encode(t, compressed, again));
    CHECK(again == std::string(otp.begin(), otp.end()));
    size_t used = 0;
    std::vector<uint8_t> trailing = otp;
    trailing.push_back(7);
    CHECK(etf::decode(*p, trailing.data(), trailing.size(), etf::DecodeOptions{}, &used) != kNone);
    CHECK(used == otp.size());
    // Stated sizes that the stream does not give, up to 4 GiB (refused
    // before anything that large is allocated), and every truncation.
    for (uint32_t size : {0u, 405u, 407u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
        std::vector<uint8_t> bad = otp;
        for (int i = 0; i < 4; ++i)
            bad[2 + i] = uint8_t(size >> (24 - 8 * i));
        CHECK(decode(*p, bad) == kNone);
    }
    for (size_t cut = 0; cut < otp.size(); ++cut)
        CHECK(decode(*p, std::vector<uint8_t>(otp.begin(), otp.begin() + cut)) == kNone);
    // A small term is never compressed: zlib would not save 5 bytes.
    std::string small;
    REQUIRE(etf::encode(make_small(1), compressed, small));
    CHECK(small == std::string("\x83\x61\x01", 3));
    process::destroy(p);
}
