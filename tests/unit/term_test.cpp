// term: construction, access, order, equality and printing of every kind.
// Expected printed forms were produced by io:format("~w") in Erlang/OTP 25.
#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include "vm/atom.h"
#include "vm/term.h"

using namespace term;

namespace {

// A bump arena standing in for a process heap.
struct Arena {
    std::vector<Term> words = std::vector<Term>(1 << 16);
    size_t used = 0;
    Term* take(size_t n) {
        Term* p = words.data() + used;
        used += n;
        REQUIRE(used <= words.size());
        return p;
    }
    Term atom(const char* name) { return make_atom(atom::intern(name)); }
    Term flt(double d) { return make_float(take(kFloatWords), d); }
    Term integer(__int128 v) { return make_integer(take(integer_words(v)), v); }
    Term tuple(std::initializer_list<Term> elements) {
        Term t = make_tuple(take(tuple_words(elements.size())), elements.size());
        std::copy(elements.begin(), elements.end(), tuple_elements(t));
        return t;
    }
    Term list(std::initializer_list<Term> elements, Term tail = kNil) {
        std::vector<Term> v(elements);
        for (size_t i = v.size(); i-- > 0;)
            tail = make_cons(take(2), v[i], tail);
        return tail;
    }
    Term bin(std::string_view bytes) {
        return make_heap_bin(take(heap_bin_words(bytes.size())), bytes.data(), bytes.size());
    }
    Term map(std::initializer_list<std::pair<Term, Term>> pairs) {
        std::vector<Term> keys, values;
        for (auto& [k, v] : pairs) {
            keys.push_back(k);
            values.push_back(v);
        }
        return make_flat_map(take(flat_map_words(keys.size())), keys.data(), values.data(),
                             keys.size());
    }
};

Term big_power_of_two(Arena& arena, unsigned bits, bool negative) {
    std::vector<Limb> limbs(bits / 64 + 1, 0);
    limbs[bits / 64] = Limb(1) << (bits % 64);
    return make_bignum(arena.take(bignum_words(limbs.size())), negative, limbs.data(),
                       limbs.size());
}

}  // namespace

TEST_CASE("small integers: range, tagging and overflow-checked arithmetic", "[term]") {
    CHECK(is_small(make_small(0)));
    CHECK(small_value(make_small(kSmallMax)) == kSmallMax);
    CHECK(small_value(make_small(kSmallMin)) == kSmallMin);
    CHECK(small_value(make_small(-1)) == -1);
    CHECK_FALSE(fits_small(kSmallMax + 1));
    CHECK_FALSE(fits_small(kSmallMin - 1));
    Term r;
    CHECK(small_add(make_small(40), make_small(2), &r));
    CHECK(small_value(r) == 42);
    CHECK_FALSE(small_add(make_small(kSmallMax), make_small(1), &r));
    CHECK(small_sub(make_small(kSmallMin + 1), make_small(1), &r));
    CHECK(small_value(r) == kSmallMin);
    CHECK_FALSE(small_sub(make_small(kSmallMin), make_small(1), &r));
    CHECK(small_mul(make_small(-123456), make_small(1000), &r));
    CHECK(small_value(r) == -123456000);
    CHECK_FALSE(small_mul(make_small(int64_t(1) << 30), make_small(int64_t(1) << 29), &r));
    CHECK(small_mul(make_small(int64_t(1) << 30), make_small(int64_t(1) << 28), &r));
    CHECK(small_value(r) == int64_t(1) << 58);
}

TEST_CASE("immediates are told apart by their tags", "[term]") {
    Term values[] = {make_small(5), make_atom(atom::kOk), make_pid(3, 1),
                     make_port(7),  make_catch(9),        kNil,
                     kNone};
    for (Term v : values) {
        CHECK(is_immediate(v));
        CHECK_FALSE(is_pointer(v));
        int kinds = is_small(v) + is_atom(v) + is_local_pid(v) + is_local_port(v) + is_catch(v) +
                    is_nil(v) + is_none(v);
        CHECK(kinds == 1);
    }
    CHECK(pid_slot(make_pid(123, 45)) == 123);
    CHECK(pid_serial(make_pid(123, 45)) == 45);
    CHECK(catch_payload(make_catch(77)) == 77);
    CHECK(port_number(make_port(8)) == 8);
    CHECK(atom_index(kTrue) == atom::kTrue);
}

TEST_CASE("boxed objects: construction and access for every kind", "[term]") {
    Arena arena;
    Term t = arena.tuple({make_small(1), kNil, kOk});
    CHECK(is_tuple(t));
    CHECK(tuple_arity(t) == 3);
    CHECK(tuple_element(t, 3) == kOk);
    CHECK(is_tuple(arena.tuple({})));

    Term l = arena.list({make_small(1), make_small(2)});
    CHECK(is_cons(l));
    CHECK(is_pointer(l));
    CHECK(small_value(car(cdr(l))) == 2);
    CHECK(cdr(cdr(l)) == kNil);

    Term f = arena.flt(2.5);
    CHECK(is_float(f));
    CHECK(is_number(f));
    CHECK(float_value(f) == 2.5);

    Term big = arena.integer(__int128(1) << 64);
    CHECK(is_bignum(big));
    CHECK(bignum_limb_count(big) == 2);
    CHECK(is_small(arena.integer(kSmallMax)));
    CHECK(is_bignum(arena.integer(__int128(kSmallMax) + 1)));
    CHECK(is_small(arena.integer(kSmallMin)));
    CHECK(bignum_negative(arena.integer(__int128(kSmallMin) - 1)));
    Limb zeros[3] = {5, 0, 0};
    CHECK(make_bignum(arena.take(4), true, zeros, 3) == make_small(-5));

    Term ref = make_ref(arena.take(kRefWords), 99, 1);
    CHECK(is_ref(ref));
    CHECK(ref_id(ref) == 99);

    FunEntry entry{arena.atom("m"), 2, 777, 1, 2, nullptr};
    Term fun = make_fun(arena.take(fun_words(2)), &entry);
    fun_free_vars(fun)[0] = make_small(1);
    fun_free_vars(fun)[1] = kNil;
    CHECK(is_fun(fun));
    CHECK(fun_num_free(fun) == 2);
    CHECK(fun_entry(fun)->arity == 1);
    CHECK(term_words(boxed_header(fun)).first == 2);
    CHECK(term_words(boxed_header(fun)).count == 2);
    Term ex = make_export(arena.take(kExportWords), arena.atom("lists"), arena.atom("map"), 2);
    CHECK(is_fun(ex));
    CHECK(export_arity(ex) == 2);

    Term m = arena.map({{arena.atom("b"), make_small(1)}, {arena.atom("a"), make_small(2)}});
    CHECK(is_map(m));
    CHECK(flat_map_size(m) == 2);
    CHECK(flat_map_get(m, arena.atom("a")) == make_small(2));
    CHECK(flat_map_get(m, arena.atom("c")) == kNone);
    Term dup = arena.map({{kOk, make_small(1)}, {kOk, make_small(2)}});
    CHECK(flat_map_size(dup) == 1);
    CHECK(flat_map_get(dup, kOk) == make_small(2));

    Term hb = arena.bin("abc");
    CHECK(is_binary(hb));
    CHECK(bits_of(hb).bit_size == 24);
    Binary* b = binary_new(100);
    for (int i = 0; i < 100; ++i)
        b->bytes[i] = uint8_t(i);
    Term* off_heap = nullptr;
    Term rb = make_refc_bin(arena.take(kRefcBinWords), b, off_heap);
    CHECK(off_heap == boxed_ptr(rb));
    CHECK(refc_next(boxed_ptr(rb)) == nullptr);
    CHECK(is_binary(rb));
    CHECK(refc_binary(rb) == b);
    Term sb = make_sub_bin(arena.take(kSubBinWords), rb, 8, 20);
    CHECK(is_bitstring(sb));
    CHECK_FALSE(is_binary(sb));
    CHECK(bits_byte(bits_of(sb), 0) == 1);
    binary_release(b);
}

TEST_CASE("printing matches io:format(\"~w\")", "[term]") {
    Arena a;
    CHECK(to_string(make_small(-42)) == "-42");
    CHECK(to_string(kNil) == "[]");
    CHECK(to_string(a.list({make_small(1), make_small(2)}, make_small(3))) == "[1,2|3]");
    CHECK(to_string(a.list({kNil})) == "[[]]");
    CHECK(to_string(a.tuple({})) == "{}");
    CHECK(to_string(a.tuple({a.atom("a"), a.tuple({a.atom("b")})})) == "{a,{b}}");
    CHECK(to_string(a.list({make_small(97), make_small(98), make_small(99)})) == "[97,98,99]");
    CHECK(to_string(a.bin("")) == "<<>>");
    CHECK(to_string(a.bin("abc")) == "<<97,98,99>>");
    CHECK(to_string(a.bin("\x01\x02\x03")) == "<<1,2,3>>");
    CHECK(to_string(a.bin("\xc8\xc9")) == "<<200,201>>");
    Term bits = a.bin("\x01\x40");  // <<1,2:3>> is the bits 00000001 010
    CHECK(to_string(make_sub_bin(a.take(kSubBinWords), bits, 0, 11)) == "<<1,2:3>>");
    CHECK(to_string(make_sub_bin(a.take(kSubBinWords), a.bin("\x50"), 0, 4)) == "<<5:4>>");
    CHECK(to_string(make_sub_bin(a.take(kSubBinWords), a.bin("\x0a\xbc"), 4, 8)) == "<<171>>");
    CHECK(to_string(make_pid(9, 0)) == "<0.9.0>");
    CHECK(to_string(make_port(3)) == "#Port<0.3>");
    CHECK(to_string(make_ref(a.take(kRefWords), (uint64_t(2964062209u) << 32) | 170127,
                             700803664)) == "#Ref<0.700803664.2964062209.170127>");
    FunEntry entry{a.atom("t"), 0, 54375464, 1, 0, nullptr};
    CHECK(to_string(make_fun(a.take(fun_words(0)), &entry)) == "#Fun<t.0.54375464>");
    CHECK(to_string(make_export(a.take(kExportWords), a.atom("t"), a.atom("main"), 0)) ==
          "fun t:main/0");
    CHECK(to_string(make_export(a.take(kExportWords), a.atom("Foo"), a.atom("b c"), 0)) ==
          "fun 'Foo':'b c'/0");
    CHECK(to_string(a.map({})) == "#{}");
    Term m = a.map({{a.atom("b"), make_small(1)},
                    {a.atom("a"), make_small(2)},
                    {make_small(1), a.atom("x")},
                    {a.flt(1.0), a.atom("y")},
                    {a.list({make_small(115)}), a.atom("z")},
                    {a.tuple({a.atom("t")}), a.atom("w")},
                    {kNil, a.atom("n")}});
    CHECK(to_string(m) == "#{1 => x,1.0 => y,a => 2,b => 1,{t} => w,[] => n,[115] => z}");
    CHECK(to_string(a.integer(-(__int128(1) << 59))) == "-576460752303423488");
    CHECK(to_string(a.integer(__int128(1) << 59)) == "576460752303423488");
    CHECK(to_string(a.integer(__int128(1) << 64)) == "18446744073709551616");
    CHECK(to_string(a.integer(-(__int128(12345678901234567ll) * 1000000 + 890123))) ==
          "-12345678901234567890123");
    CHECK(to_string(big_power_of_two(a, 200, false)) ==
          "1606938044258990275541962092341162602522202993782792835301376");
}

TEST_CASE("atoms print quoted exactly where Erlang quotes them", "[term]") {
    auto printed = [](std::string_view name) {
        std::string out;
        print_atom(out, atom::intern(name));
        return out;
    };
    CHECK(printed("hello world") == "'hello world'");
    CHECK(printed("Foo") == "'Foo'");
    CHECK(printed("[]") == "'[]'");
    CHECK(printed("ok") == "ok");
    CHECK(printed("") == "''");
    CHECK(printed("a.b") == "'a.b'");
    CHECK(printed("a@b") == "a@b");
    CHECK(printed("a_B9") == "a_B9");
    CHECK(printed("_") == "'_'");
    CHECK(printed("9a") == "'9a'");
    for (const char* reserved : {"after", "and", "andalso", "cond", "let", "catch", "begin",
                                 "orelse", "receive", "xor", "bnot", "div", "rem", "when"}) {
        CHECK(printed(reserved) == std::string("'") + reserved + "'");
    }
    CHECK(printed("maybe") == "maybe");
    CHECK(printed("else") == "else");
    CHECK(printed("q'q") == "'q\\'q'");
    CHECK(printed("b\\s") == "'b\\\\s'");
    CHECK(printed("a\"b") == "'a\"b'");
    CHECK(printed("n\nl") == "'n\\nl'");
    CHECK(printed("t\tt") == "'t\\tt'");
    CHECK(printed("\x1b\x7f\b\f\v\r") == "'\\e\\d\\b\\f\\v\\r'");
    CHECK(printed(std::string_view("\0\x01\x1f", 3)) == "'\\000\\001\\037'");
    CHECK(printed("\xc3\xa9") == "\xc3\xa9");  // é
    CHECK(printed("\xc3\x89"
                  "a") ==
          "'\xc3\x89"
          "a'");                                   // Éa
    CHECK(printed("a\xc3\x89") == "a\xc3\x89");    // aÉ
    CHECK(printed("a\xc3\xb7") == "'a\xc3\xb7'");  // a÷
    CHECK(printed("\xc3\x9f") == "\xc3\x9f");      // ß
    CHECK(printed("\xc4\x80") == "'\\x{100}'");    // U+0100
    CHECK(printed("a\xce\xb1") == "'a\\x{3B1}'");  // aα
    CHECK(printed("\xc2\x80") == "'\\200'");       // U+0080
    CHECK(printed("\xc2\x9f") == "'\\237'");       // U+009F
    CHECK(printed("\xc2\xa0") == "'\xc2\xa0'");    // U+00A0
    CHECK(printed("\xc3\xbf") == "\xc3\xbf");      // ÿ
}

TEST_CASE("floats print in Erlang's shortest round-trip form", "[term]") {
    struct Case {
        double value;
        const char* text;
    };
    const Case cases[] = {{0.0, "0.0"},
                          {-0.0, "-0.0"},
                          {1.0, "1.0"},
                          {0.1, "0.1"},
                          {1.0e20, "1.0e20"},
                          {1.0e-5, "1.0e-5"},
                          {123456789.0, "123456789.0"},
                          {1.0e15, "1.0e15"},
                          {1.0e16, "1.0e16"},
                          {123456.0, "123456.0"},
                          {12345678.0, "12345678.0"},
                          {1.0e-4, "0.0001"},
                          {1.0e-3, "0.001"},
                          {0.001234, "0.001234"},
                          {0.0001234, "1.234e-4"},
                          {1.5e-7, "1.5e-7"},
                          {9007199254740992.0, "9.007199254740992e15"},
                          {9007199254740991.0, "9007199254740991.0"},
                          {4503599627370496.0, "4503599627370496.0"},
                          {1.0e100, "1.0e100"},
                          {1.7976931348623157e308, "1.7976931348623157e308"},
                          {5.0e-324, "5.0e-324"},
                          {2.2250738585072014e-308, "2.2250738585072014e-308"},
                          {3.14159, "3.14159"},
                          {-2.5, "-2.5"},
                          {100.0, "100.0"},
                          {1000.0, "1.0e3"},
                          {1.0e4, "1.0e4"},
                          {1.2e12, "1.2e12"},
                          {1.23e21, "1.23e21"},
                          {0.3, "0.3"},
                          {2.0 / 3.0, "0.6666666666666666"},
                          {1.0e23, "1.0e23"},
                          {12.5e-10, "1.25e-9"},
                          {8.725743033297458e-296, "8.725743033297458e-296"},
                          {6.126734894067219e17, "6.126734894067219e17"},
                          {3.24e-10, "3.24e-10"}};
    for (const Case& c : cases) {
        std::string out;
        print_float(out, c.value);
        CHECK(out == c.text);
    }
}

TEST_CASE("term order across kinds", "[term]") {
    Arena a;
    FunEntry entry{a.atom("m"), 0, 1, 0, 0, nullptr};
    // number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring
    std::vector<Term> ascending = {
        big_power_of_two(a, 70, true),
        a.flt(0.5),
        make_small(1),
        a.integer(__int128(1) << 70),
        a.atom("a"),
        a.atom("b"),
        make_ref(a.take(kRefWords), 1, 0),
        make_fun(a.take(fun_words(0)), &entry),
        make_export(a.take(kExportWords), a.atom("lists"), a.atom("map"), 2),
        make_port(1),
        make_pid(1, 0),
        make_pid(2, 0),
        a.tuple({}),
        a.tuple({make_small(9)}),
        a.tuple({make_small(1), make_small(2)}),
        a.map({}),
        a.map({{a.atom("c"), make_small(0)}}),
        a.map({{a.atom("a"), make_small(1)}, {a.atom("b"), make_small(1)}}),
        kNil,
        a.list({a.atom("a")}),
        a.list({a.atom("a"), a.atom("b")}),
        a.list({a.atom("b")}),
        a.bin(""),
        a.bin("a"),
        a.bin("ab"),
        a.bin("b"),
    };
    for (size_t i = 0; i < ascending.size(); ++i) {
        for (size_t j = 0; j < ascending.size(); ++j) {
            INFO(to_string(ascending[i]) << " vs " << to_string(ascending[j]));
            int c = compare(ascending[i], ascending[j]);
            CHECK((c < 0) == (i < j));
            CHECK((c == 0) == (i == j));
            CHECK(exact_equal(ascending[i], ascending[j]) == (i == j));
        }
    }
}

TEST_CASE("numbers compare by value exactly; map keys compare exactly", "[term]") {
    Arena a;
    Term two70 = big_power_of_two(a, 70, false);
    Term two70_float = a.flt(0x1p70);
    Limb limbs[2] = {1, 64};  // 2^70 + 1
    Term two70_plus_one = make_bignum(a.take(bignum_words(2)), false, limbs, 2);
    CHECK(compare(two70, two70_float) == 0);
    CHECK(equal(two70, two70_float));
    CHECK_FALSE(exact_equal(two70, two70_float));
    CHECK(compare(two70_plus_one, two70_float) > 0);
    CHECK(compare(two70_float, two70_plus_one) < 0);
    CHECK(compare(make_small(1), a.flt(1.0)) == 0);
    CHECK(compare(make_small(1), a.flt(1.0), true) < 0);
    CHECK(compare(a.flt(0.5), make_small(1), true) > 0);  // integers first
    CHECK(compare(make_small(kSmallMax), a.flt(0x1p59)) < 0);
    CHECK(compare(make_small(kSmallMax), a.flt(0x1p59 - 64)) > 0);
    CHECK(compare(make_small(-3), a.flt(-2.5)) < 0);
    CHECK(compare(make_small(-2), a.flt(-2.5)) > 0);
    CHECK(compare(a.flt(1e300), big_power_of_two(a, 900, false)) > 0);
    CHECK(compare(a.flt(-1e300), big_power_of_two(a, 900, true)) < 0);
    CHECK(exact_equal(a.flt(0.0), a.flt(-0.0)));  // as in OTP 25
    CHECK(exact_equal(a.integer(__int128(1) << 80), a.integer(__int128(1) << 80)));
    CHECK_FALSE(exact_equal(a.integer(__int128(1) << 80), a.integer(-(__int128(1) << 80))));

    // #{1 => a} == #{1.0 => a} is false; #{a => 1} == #{a => 1.0} is true.
    Term k1 = a.map({{make_small(1), kOk}});
    Term k1f = a.map({{a.flt(1.0), kOk}});
    Term v1 = a.map({{kOk, make_small(1)}});
    Term v1f = a.map({{kOk, a.flt(1.0)}});
    CHECK_FALSE(equal(k1, k1f));
    CHECK(compare(k1, k1f) < 0);
    CHECK(equal(v1, v1f));
    CHECK_FALSE(exact_equal(v1, v1f));
    CHECK(equal(a.tuple({make_small(1)}), a.tuple({a.flt(1.0)})));
    CHECK_FALSE(exact_equal(a.list({make_small(1)}), a.list({a.flt(1.0)})));
    // Keys sorted with every integer before every float: [-1,1,2,0.5,1.0].
    Term keys = a.map({{a.flt(1.0), kOk},
                       {make_small(1), kOk},
                       {make_small(2), kOk},
                       {a.flt(0.5), kOk},
                       {make_small(-1), kOk}});
    CHECK(to_string(flat_map_keys(keys)) == "{-1,1,2,0.5,1.0}");
}

TEST_CASE("bitstrings compare bit by bit, any offset", "[term]") {
    Arena a;
    Term whole = a.bin("\xab\xcd\xef");
    Term shifted = a.bin("\x0a\xbc\xde\xf0");
    Term view = make_sub_bin(a.take(kSubBinWords), shifted, 4, 24);
    CHECK(exact_equal(whole, view));
    CHECK(compare(whole, view) == 0);
    Term prefix = make_sub_bin(a.take(kSubBinWords), shifted, 4, 20);
    CHECK(compare(prefix, whole) < 0);
    CHECK(to_string(prefix) == "<<171,205,14:4>>");
}

TEST_CASE("deep terms compare, test equality and print without C recursion", "[term]") {
    constexpr int kDepth = 1000000;
    std::vector<Term> memory(size_t(kDepth) * 4 + 16);
    Term* p = memory.data();
    Term x = kNil, y = kNil;
    for (int i = 0; i < kDepth / 2; ++i) {  // [[[...]]] nested in the head
        x = make_cons(p, x, kNil);
        p += 2;
        y = make_cons(p, y, kNil);
        p += 2;
    }
    CHECK(exact_equal(x, y));
    CHECK(compare(x, y) == 0);
    std::string text = to_string(x);
    CHECK(text.size() == size_t(kDepth / 2) * 2 + 2);
    // {{{...1...}}} against {{{...2...}}}: the difference is at the bottom.
    std::vector<Term> tuples(size_t(kDepth) * 2 + 4);
    auto nest = [&](Term* mem, Term leaf) {
        for (int i = 0; i < kDepth / 2; ++i, mem += 2) {
            Term t = make_tuple(mem, 1);
            mem[1] = leaf;
            leaf = t;
        }
        return leaf;
    };
    Term one = nest(tuples.data(), make_small(1));
    Term two = nest(tuples.data() + kDepth, make_small(2));
    CHECK(compare(one, two) < 0);
    CHECK(compare(two, one) > 0);
    CHECK_FALSE(exact_equal(one, two));
    CHECK(to_string(one).size() == size_t(kDepth / 2) * 2 + 1);
}
