// atom: the global table: predefined atoms, interning, limits, threads.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "vm/atom.h"
#include "vm/term.h"

TEST_CASE("atoms.def atoms sit at their compile-time indices", "[atom]") {
    CHECK(atom::name(atom::kOk) == "ok");
    CHECK(atom::name(atom::kExitSignal) == "EXIT");
    CHECK(atom::name(atom::kFunctionClause) == "function_clause");
    CHECK(atom::intern("ok") == atom::kOk);
    CHECK(atom::intern("system_limit") == atom::kSystemLimit);
    CHECK(atom::find("badarg") == atom::kBadarg);
    CHECK(term::kTrue == term::make_atom(atom::kTrue));
    CHECK(atom::count() >= atom::kPredefinedCount);
}

TEST_CASE("interning returns one index per name", "[atom]") {
    uint32_t a = atom::intern("atom_test_a");
    CHECK(a == atom::intern("atom_test_a"));
    CHECK(a != atom::intern("atom_test_b"));
    CHECK(atom::name(a) == "atom_test_a");
    CHECK(atom::find("atom_test_never_interned") == atom::kNoAtom);
    CHECK(atom::intern("") == atom::intern(""));
    CHECK(atom::name(atom::intern("")).empty());
}

TEST_CASE("names over 255 characters are refused; 255 multibyte characters fit", "[atom]") {
    CHECK(atom::intern(std::string(256, 'x')) == atom::kNoAtom);
    CHECK(atom::intern(std::string(255, 'x')) != atom::kNoAtom);
    std::string alphas;
    for (int i = 0; i < 255; ++i)
        alphas += "\xce\xb1";  // 510 bytes, 255 characters
    uint32_t index = atom::intern(alphas);
    REQUIRE(index != atom::kNoAtom);
    CHECK(atom::name(index) == alphas);
    CHECK(atom::intern(alphas + "\xce\xb1") == atom::kNoAtom);
}

TEST_CASE("threads interning the same names get the same atoms", "[atom]") {
    constexpr int kThreads = 6;
    constexpr int kNames = 5000;  // crosses chunk boundaries
    std::vector<std::vector<uint32_t>> seen(kThreads, std::vector<uint32_t>(kNames));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([t, &seen] {
            for (int i = 0; i < kNames; ++i) {
                int n = (t % 2) ? kNames - 1 - i : i;  // half go backwards
                uint32_t index = atom::intern("thread_atom_" + std::to_string(n));
                seen[t][n] = index;
                // A reader on another thread may look a fresh index up.
                if (atom::name(index) != "thread_atom_" + std::to_string(n)) seen[t][n] = 0;
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    for (int t = 1; t < kThreads; ++t)
        CHECK(seen[t] == seen[0]);
    for (int i = 0; i < kNames; ++i) {
        CHECK(atom::name(seen[0][i]) == "thread_atom_" + std::to_string(i));
    }
}

// Hidden (fills the shared table for the rest of the run): run it alone with
// unit_tests "[.atom_limit]".
TEST_CASE("the table refuses atoms past 1,048,576", "[.atom_limit]") {
    uint32_t last = 0;
    for (uint32_t i = 0; atom::count() < atom::kMaxAtoms; ++i) {
        last = atom::intern("limit_" + std::to_string(i));
        REQUIRE(last != atom::kNoAtom);
    }
    CHECK(last == atom::kMaxAtoms - 1);
    CHECK(atom::intern("one_too_many") == atom::kNoAtom);
    CHECK(atom::intern("limit_0") != atom::kNoAtom);  // existing names still resolve
    CHECK(atom::name(last).substr(0, 6) == "limit_");
}

TEST_CASE("atom: the empty atom", "[atom]") {
    // Interned before any other new atom it once reached memcpy with a
    // null destination (found by fuzz_binary_to_term under UBSan).
    uint32_t empty = atom::intern("");
    REQUIRE(empty != atom::kNoAtom);
    CHECK(atom::name(empty).empty());
    CHECK(atom::intern("") == empty);
    CHECK(atom::find("") == empty);
}
