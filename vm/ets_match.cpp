// ets_match: match patterns (see ets_match.h).
#include "vm/ets_match.h"

#include <algorithm>
#include <string_view>

#include "vm/atom.h"
#include "vm/map.h"

namespace ets_match {

using namespace term;

int64_t variable_number(Term t) {
    if (!is_atom(t)) return -1;
    std::string_view text = atom::name(atom_index(t));
    if (text.size() < 2 || text.size() > 10 || text[0] != '$') return -1;
    int64_t n = 0;
    for (char c : text.substr(1)) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    if (text.size() > 2 && text[1] == '0') return -1;  // '$01' is an atom
    return n;
}

namespace {

bool is_wild(Term t) {
    return t == make_atom(atom::kUnderscore) || variable_number(t) >= 0;
}

// Binds variable n to `value`, or compares with its earlier binding.
bool bind(Bindings& b, int64_t n, Term value) {
    for (const auto& [var, bound] : b.vars)
        if (var == n) return exact_equal(bound, value);
    b.vars.emplace_back(n, value);
    return true;
}

bool match_map(Term pattern, Term object, Bindings& b);

// Recursive on the pattern's depth (patterns are small, written by hand).
bool match_term(Term pattern, Term object, Bindings& b) {
    if (pattern == make_atom(atom::kUnderscore)) return true;
    if (int64_t n = variable_number(pattern); n >= 0) return bind(b, n, object);
    if (is_cons(pattern)) {
        while (is_cons(pattern)) {
            if (!is_cons(object) || !match_term(car(pattern), car(object), b)) return false;
            pattern = cdr(pattern);
            object = cdr(object);
        }
        return match_term(pattern, object, b);
    }
    if (is_tuple(pattern)) {
        if (!is_tuple(object) || tuple_arity(object) != tuple_arity(pattern)) return false;
        for (uint64_t i = 1; i <= tuple_arity(pattern); ++i)
            if (!match_term(tuple_element(pattern, i), tuple_element(object, i), b)) return false;
        return true;
    }
    if (is_map(pattern)) return match_map(pattern, object, b);
    return exact_equal(pattern, object);
}

// A map pattern: every key of it is in the object (keys are literal) and
// its value matches.
bool match_map(Term pattern, Term object, Bindings& b) {
    if (!is_map(object)) return false;
    std::vector<map::Entry> entries;
    map::entries(pattern, entries);
    for (const map::Entry& e : entries) {
        Term there = map::get(object, e.key);
        if (there == kNone || !match_term(e.value, there, b)) return false;
    }
    return true;
}

}  // namespace

bool is_ground(Term t) {
    if (is_wild(t)) return false;
    if (is_cons(t)) {
        for (; is_cons(t); t = cdr(t))
            if (!is_ground(car(t))) return false;
        return is_ground(t);
    }
    if (is_tuple(t)) {
        for (uint64_t i = 1; i <= tuple_arity(t); ++i)
            if (!is_ground(tuple_element(t, i))) return false;
        return true;
    }
    if (is_map(t)) {
        std::vector<map::Entry> entries;
        map::entries(t, entries);
        for (const map::Entry& e : entries)
            if (!is_ground(e.value)) return false;
        return true;
    }
    return true;
}

std::vector<Term> Bindings::in_order() const {
    std::vector<std::pair<int64_t, Term>> sorted = vars;
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Term> out;
    out.reserve(sorted.size());
    for (const auto& [n, value] : sorted)
        out.push_back(value);
    return out;
}

bool match(Term pattern, Term object, Bindings& b) {
    b.clear();
    return match_term(pattern, object, b);
}

}  // namespace ets_match
