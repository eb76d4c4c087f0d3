// map: OTP's hashes, the HAMT for maps over 32 keys (building, lookup,
// path-copying put, iteration order) and the flat/HAMT switch at 32 keys.
// Expected hash values and orders come from Erlang/OTP 25
// (erlang:phash2/1 and io:format("~w") of maps:from_list/1).
#include <catch2/catch.hpp>

#include <unordered_map>
#include <vector>

#include "vm/atom.h"
#include "vm/map.h"
#include "vm/term.h"

using namespace term;

namespace {

struct Arena {
    std::vector<Term> words = std::vector<Term>(1 << 18);
    size_t used = 0;
    Term* take(size_t n) {
        Term* p = words.data() + used;
        used += n;
        REQUIRE(used <= words.size());
        return p;
    }
    Term list(std::initializer_list<Term> elements) {
        Term tail = kNil;
        std::vector<Term> v(elements);
        for (size_t i = v.size(); i-- > 0;)
            tail = make_cons(take(2), v[i], tail);
        return tail;
    }
    Term build(std::vector<map::Entry> entries) {
        map::normalize(entries);
        return map::build(take(map::build_words(entries)), entries);
    }
    Term ints(int64_t from, int64_t to) {
        std::vector<map::Entry> entries;
        for (int64_t i = from; i <= to; ++i)
            entries.push_back({make_small(i), make_small(i * i)});
        return build(entries);
    }
};

std::vector<int64_t> key_order(Term m) {
    std::vector<map::Entry> entries;
    map::entries(m, entries);
    std::vector<int64_t> keys;
    for (const map::Entry& e : entries)
        keys.push_back(small_value(e.key));
    return keys;
}

}  // namespace

TEST_CASE("map: phash2 agrees with Erlang/OTP 25", "[map]") {
    Arena a;
    auto phash2 = [](Term t) { return map::portable_hash(t) & ((1u << 27) - 1); };
    // erlang:phash2/1 in OTP 25.
    CHECK(phash2(make_small(0)) == 88723725);
    CHECK(phash2(make_small(1)) == 2614250);
    CHECK(phash2(make_atom(atom::intern("a"))) == 97);
    CHECK(phash2(kNil) == 113427502);
    CHECK(phash2(a.list({make_small('a'), make_small('b'), make_small('c')})) == 117343302);
}

TEST_CASE("map: up to 32 keys stay flat, 33 make a HAMT", "[map]") {
    Arena a;
    Term flat = a.ints(1, 32);
    Term hamt = a.ints(1, 33);
    CHECK(is_flat_map(flat));
    CHECK(map::is_hash_map(hamt));
    CHECK(map::size(flat) == 32);
    CHECK(map::size(hamt) == 33);
    for (int64_t i = 1; i <= 33; ++i)
        CHECK(map::get(hamt, make_small(i)) == make_small(i * i));
    CHECK(map::get(hamt, make_small(34)) == kNone);
    CHECK(map::get(hamt, make_small(0)) == kNone);
}

TEST_CASE("map: a HAMT iterates in OTP's order", "[map]") {
    Arena a;
    // io:format("~w", [maps:keys(maps:from_list([{N, N*N} || N <- lists:seq(1, 40)]))])
    // lists them backwards from this, the printing and fold order.
    std::vector<int64_t> otp = {16, 18, 5,  19, 27, 35, 10, 24, 36, 4,  21, 22, 17, 3,
                                8,  1,  7,  2,  14, 15, 20, 40, 13, 38, 6,  28, 25, 34,
                                32, 9,  37, 11, 31, 26, 39, 30, 29, 23, 12, 33};
    CHECK(key_order(a.ints(1, 40)) == otp);
}

TEST_CASE("map: path-copying put matches a rebuild", "[map]") {
    Arena a;
    Term m = a.ints(1, 33);
    for (int64_t k = 34; k <= 300; ++k) {
        size_t words = map::put_hash_words(m, make_small(k), make_small(k * k));
        m = map::put_hash(a.take(words), m, make_small(k), make_small(k * k));
    }
    // Overwrite an existing key: the size stays.
    size_t words = map::put_hash_words(m, make_small(7), make_small(-1));
    m = map::put_hash(a.take(words), m, make_small(7), make_small(-1));
    CHECK(map::size(m) == 300);
    CHECK(map::get(m, make_small(7)) == make_small(-1));
    Term rebuilt = a.ints(1, 300);
    words = map::put_hash_words(rebuilt, make_small(7), make_small(-1));
    rebuilt = map::put_hash(a.take(words), rebuilt, make_small(7), make_small(-1));
    // Canonical tries: equal maps are equal word for word.
    CHECK(exact_equal(m, rebuilt));
    CHECK(compare(m, rebuilt) == 0);
    CHECK(key_order(m) == key_order(rebuilt));
}

// Small integers whose internal hashes are equal (collision nodes), found
// by brute force: pairs and, when there is one, a triple.
std::vector<int64_t> colliding_ints() {
    std::unordered_map<uint32_t, std::vector<int64_t>> by_hash;
    for (int64_t i = 1000; i < 400000; ++i)
        by_hash[map::internal_hash(make_small(i))].push_back(i);
    std::vector<int64_t> keys;
    size_t groups = 0;
    for (const auto& [hash, ints] : by_hash) {
        if (ints.size() < 2 || groups == 6) continue;
        keys.insert(keys.end(), ints.begin(), ints.end());
        ++groups;
    }
    return keys;
}

TEST_CASE("map: path-copying remove matches a rebuild", "[map]") {
    Arena a;
    a.words.resize(1 << 21);
    std::vector<int64_t> keys = colliding_ints();
    REQUIRE(keys.size() >= 8);
    for (int64_t k = 1; k <= 150; ++k)
        keys.push_back(k);
    std::vector<map::Entry> entries;
    for (int64_t k : keys)
        entries.push_back({make_small(k), make_small(-k)});
    Term m = a.build(entries);
    // Remove in a scrambled order down to 33 keys, comparing each result
    // with the same map built from scratch (canonical: word for word).
    uint64_t state = 12345;
    while (entries.size() > 33) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t victim = size_t(state >> 33) % entries.size();
        Term key = entries[victim].key;
        entries.erase(entries.begin() + long(victim));
        map::RemovePlan plan;
        REQUIRE(map::plan_remove(m, key, plan));
        m = map::write_remove(a.take(plan.words), plan, key);
        Term rebuilt = a.build(entries);
        REQUIRE(map::size(m) == entries.size());
        REQUIRE(map::get(m, key) == kNone);
        REQUIRE(exact_equal(m, rebuilt));
        REQUIRE(key_order(m) == key_order(rebuilt));
    }
    map::RemovePlan plan;
    CHECK_FALSE(map::plan_remove(m, make_small(-5), plan));
}

TEST_CASE("map: normalize keeps the last of equal keys", "[map]") {
    Arena a;
    std::vector<map::Entry> entries = {{make_small(1), make_small(10)},
                                       {make_small(2), make_small(20)},
                                       {make_small(1), make_small(11)}};
    Term m = a.build(entries);
    CHECK(map::size(m) == 2);
    CHECK(map::get(m, make_small(1)) == make_small(11));
}
