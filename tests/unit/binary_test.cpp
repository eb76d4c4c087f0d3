// binary and bitsyntax: new bitstrings (heap, refc, sub-binary), bit
// copying, iolists, segment construction and match-context reads, and the
// GC keeping off-heap binaries alive exactly while referenced. Expected
// bytes come from Erlang/OTP 25 (e.g. <<16#abc:12/little>> = <<188,10:4>>).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "vm/binary.h"
#include "vm/bitsyntax.h"
#include "vm/gc.h"
#include "vm/process.h"

using namespace term;
using bytecode::BsType;

namespace {

struct Arena {
    std::vector<Term> words = std::vector<Term>(1 << 14);
    size_t used = 0;
    Term* off_heap = nullptr;
    Term* take(size_t n) {
        Term* p = words.data() + used;
        used += n;
        REQUIRE(used <= words.size());
        return p;
    }
    Term bits(uint64_t n, std::initializer_list<uint8_t> bytes) {
        uint8_t* out;
        Term t = binary::make(take(binary::new_words(n)), n, &out, off_heap);
        size_t i = 0;
        for (uint8_t b : bytes)
            out[i++] = b;
        return t;
    }
    ~Arena() {
        for (Term* h = off_heap; h; h = refc_next(h))
            binary_release(refc_binary(make_boxed_ptr(h)));
    }
};

std::string printed(Term t) {
    return to_string(t);
}

Term build(Arena& a, std::vector<bitsyntax::Segment> segs) {
    uint64_t bits = 0;
    size_t bad = 0;
    REQUIRE(bitsyntax::measure(segs.data(), segs.size(), &bits, &bad) == bitsyntax::Status::kOk);
    uint8_t* out;
    Term t = binary::make(a.take(binary::new_words(bits)), bits, &out, a.off_heap);
    bitsyntax::write(segs.data(), segs.size(), out);
    return t;
}

bitsyntax::Segment integer(int64_t v, int64_t size, uint64_t flags = 0) {
    return {BsType::Integer, bytecode::bs_flags(1, flags), make_small(v), make_small(size)};
}

}  // namespace

TEST_CASE("binary: the kind of a new bitstring follows its size", "[binary]") {
    Arena a;
    CHECK(header_kind(boxed_header(a.bits(64 * 8, {}))) == Kind::kHeapBin);
    CHECK(header_kind(boxed_header(a.bits(65 * 8, {}))) == Kind::kRefcBin);
    Term odd = a.bits(12, {0xAB, 0xC0});
    CHECK(header_kind(boxed_header(odd)) == Kind::kSubBin);
    CHECK(bits_of(odd).bit_size == 12);
    CHECK(printed(odd) == "<<171,12:4>>");
    CHECK(a.off_heap != nullptr);
}

TEST_CASE("binary: copy_bits at any offsets", "[binary]") {
    uint8_t src[3] = {0xFF, 0x0F, 0xAA};
    uint8_t dst[3] = {0, 0, 0};
    binary::copy_bits(dst, 3, src, 4, 12);  // 1111 0000 1111 -> at bit 3
    CHECK(dst[0] == 0x1E);
    CHECK(dst[1] == 0x1E);
    CHECK(dst[2] == 0x00);
    uint8_t same[2] = {0x12, 0x34};
    uint8_t out[2] = {0xFF, 0xFF};
    binary::copy_bits(out, 0, same, 0, 12);
    CHECK(out[0] == 0x12);
    CHECK(out[1] == 0x3F);  // the low 4 bits are kept
}

TEST_CASE("binary: iolists flatten and measure", "[binary]") {
    Arena a;
    Term b = a.bits(16, {1, 2});
    Term l1 = make_cons(a.take(2), make_small(3), kNil);
    Term l = make_cons(a.take(2), b, l1);
    std::string out;
    REQUIRE(binary::flatten_iolist(l, out));
    CHECK(out == std::string("\x01\x02\x03"));
    CHECK(binary::iolist_size(l) == 3);
    Term bad = make_cons(a.take(2), make_small(256), kNil);
    CHECK(binary::iolist_size(bad) == -1);
    Term bits = a.bits(3, {0xE0});
    Term with_bits = make_cons(a.take(2), bits, kNil);
    CHECK_FALSE(binary::flatten_iolist(with_bits, out));
    uint64_t n = 0;
    std::string all;
    CHECK(binary::flatten_iolist(with_bits, all, true, &n));
    CHECK(n == 3);
}

TEST_CASE("bitsyntax: integer segments as OTP writes them", "[bitsyntax]") {
    Arena a;
    CHECK(printed(build(a, {integer(0xabc, 12, bytecode::kBsLittle)})) == "<<188,10:4>>");
    CHECK(printed(build(a, {integer(1, 12, bytecode::kBsLittle)})) == "<<1,0:4>>");
    CHECK(printed(build(a, {integer(-1, 12), integer(-2, 4, bytecode::kBsLittle)})) ==
          "<<255,254>>");
    CHECK(printed(build(a, {integer(258, 16), integer(300, 8)})) == "<<1,2,44>>");
}

TEST_CASE("bitsyntax: measure rejects bad segments", "[bitsyntax]") {
    uint64_t bits;
    size_t bad = 0;
    bitsyntax::Segment atom_value{BsType::Integer, bytecode::bs_flags(1, 0), kTrue, make_small(8)};
    CHECK(bitsyntax::measure(&atom_value, 1, &bits, &bad) == bitsyntax::Status::kBadarg);
    CHECK(bad == 1);
    bitsyntax::Segment surrogate{BsType::Utf8, 0, make_small(0xD800), kNil};
    CHECK(bitsyntax::measure(&surrogate, 1, &bits, &bad) == bitsyntax::Status::kBadarg);
    bitsyntax::Segment float_size{BsType::Float, bytecode::bs_flags(1, 0), make_small(1),
                                  make_small(24)};
    CHECK(bitsyntax::measure(&float_size, 1, &bits, &bad) == bitsyntax::Status::kBadarg);
}

TEST_CASE("bitsyntax: a match context reads segments and stops at the end", "[bitsyntax]") {
    Arena a;
    Term bin = a.bits(40, {1, 2, 3, 0xFF, 0xFE});
    Term ctx = bitsyntax::start_match(a.take(bitsyntax::kMatchStateWords), bin);
    CHECK(bitsyntax::remaining(ctx) == 40);
    CHECK(bitsyntax::get_integer(ctx, 8, 0, nullptr) == make_small(1));
    CHECK(bitsyntax::get_integer(ctx, 16, bytecode::kBsLittle, nullptr) == make_small(0x0302));
    CHECK(bitsyntax::get_integer(ctx, 16, bytecode::kBsSigned, nullptr) == make_small(-2));
    CHECK(bitsyntax::remaining(ctx) == 0);
    Term ctx2 = bitsyntax::start_match(a.take(bitsyntax::kMatchStateWords), bin);
    bitsyntax::skip(ctx2, 4);
    Term rest = bitsyntax::get_binary(ctx2, 36, a.take(kSubBinWords));
    CHECK(printed(rest) == "<<16,32,63,255,14:4>>");
    Term utf = a.bits(16, {0xC3, 0xA9});
    Term ctx3 = bitsyntax::start_match(a.take(bitsyntax::kMatchStateWords), utf);
    CHECK(bitsyntax::get_utf(ctx3, BsType::Utf8, 0) == make_small(0xE9));
    Term overlong = a.bits(16, {0xC0, 0x80});
    Term ctx4 = bitsyntax::start_match(a.take(bitsyntax::kMatchStateWords), overlong);
    CHECK(bitsyntax::get_utf(ctx4, BsType::Utf8, 0) == kNone);
    CHECK(bitsyntax::remaining(ctx4) == 16);
}

TEST_CASE("bitsyntax: wide integers become bignums", "[bitsyntax]") {
    Arena a;
    Term bin = a.bits(72, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE});
    Term ctx = bitsyntax::start_match(a.take(bitsyntax::kMatchStateWords), bin);
    Term v =
        bitsyntax::get_integer(ctx, 72, bytecode::kBsSigned, a.take(bitsyntax::integer_words(72)));
    CHECK(v == make_small(-2));
    Term ctx2 = bitsyntax::start_match(a.take(bitsyntax::kMatchStateWords), bin);
    Term u = bitsyntax::get_integer(ctx2, 72, 0, a.take(bitsyntax::integer_words(72)));
    CHECK(printed(u) == "4722366482869645213694");
}

TEST_CASE("gc: off-heap binaries live while referenced, then are released", "[binary][gc]") {
    process::Process* p = process::create();
    uint8_t* bytes;
    Term big = binary::alloc(*p, 1000 * 8, &bytes);
    REQUIRE(big != kNone);
    Binary* b = refc_binary(big);
    binary_retain(b);  // the test's own reference, to watch the count
    Term roots[1] = {big};
    gc::Roots r;
    r.add(roots, 1);
    REQUIRE(gc::collect(p->heap, 0, r));
    CHECK(b->refs.load() == 2);
    CHECK(gc::verify(p->heap, r).empty());
    Term sub_mem_words = kSubBinWords;
    Term* mem = process::alloc(*p, sub_mem_words);
    roots[0] = binary::make_sub(mem, roots[0], 8, 80);  // only a sub-binary keeps it
    REQUIRE(gc::collect(p->heap, 0, r));
    CHECK(b->refs.load() == 2);
    CHECK(printed(roots[0]).rfind("<<", 0) == 0);
    r.num_spans = 0;
    REQUIRE(gc::collect(p->heap, 0, r));
    CHECK(b->refs.load() == 1);
    binary_release(b);
    process::destroy(p);
}
