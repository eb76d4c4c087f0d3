// ets_match: match patterns (see ets_match.h).
#include "vm/ets_match.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "vm/atom.h"
#include "vm/bif.h"
#include "vm/heap.h"
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

// ---- scratch --------------------------------------------------------------------------

Scratch::~Scratch() {
    for (Term* handle = off_heap_; handle;) {
        Term* next = refc_next(handle);
        off_heap_release(handle);
        handle = next;
    }
}

Term* Scratch::take(size_t words) {
    blocks_.push_back(std::make_unique<Term[]>(words));
    return blocks_.back().get();
}

Term Scratch::copy(Term t) {
    size_t words = heap::copy_size(t);
    if (words == 0) return t;
    return heap::copy_term(t, take(words), off_heap_);
}

// ---- the functions a specification may call ------------------------------------------
//
// Guards and bodies call OTP's guard BIFs (erlang:Name/Arity), as OTP's
// match specification compiler allows them; andalso and orelse are the
// run's own (they do not evaluate their second argument when the first
// decides).

namespace {

struct Allowed {
    std::string_view name;
    uint32_t arity;
};

// OTP 25's list: it has no is_boolean, is_bitstring, is_function/2,
// tuple_size, min or max (a specification calling them is invalid there).
// and, or, andalso and orelse take any number of operands: eval_call's.
constexpr Allowed kFunctions[] = {
    {"is_atom", 1},     {"is_float", 1},    {"is_integer", 1}, {"is_list", 1},
    {"is_number", 1},   {"is_pid", 1},      {"is_port", 1},    {"is_reference", 1},
    {"is_tuple", 1},    {"is_map", 1},      {"is_binary", 1},  {"is_function", 1},
    {"is_record", 2},   {"is_record", 3},   {"is_map_key", 2}, {"xor", 2},
    {"not", 1},         {"abs", 1},         {"element", 2},    {"hd", 1},
    {"tl", 1},          {"length", 1},      {"map_get", 2},    {"map_size", 1},
    {"node", 0},        {"node", 1},        {"round", 1},      {"size", 1},
    {"bit_size", 1},    {"byte_size", 1},   {"trunc", 1},      {"float", 1},
    {"binary_part", 2}, {"binary_part", 3}, {"+", 1},          {"-", 1},
    {"+", 2},           {"-", 2},           {"*", 2},          {"/", 2},
    {"div", 2},         {"rem", 2},         {"band", 2},       {"bor", 2},
    {"bxor", 2},        {"bnot", 1},        {"bsl", 2},        {"bsr", 2},
    {">", 2},           {">=", 2},          {"<", 2},          {"=<", 2},
    {"=:=", 2},         {"==", 2},          {"=/=", 2},        {"/=", 2},
    {"self", 0},
};

// The BIF that `name`/`arity` calls in a specification, or null.
const bif::Bif* allowed(Term name, uint32_t arity) {
    std::string_view text = atom::name(atom_index(name));
    for (const Allowed& a : kFunctions)
        if (a.name == text && a.arity == arity) return bif::find("erlang", a.name, arity);
    return nullptr;
}

bool is_named(Term t, std::string_view name) {
    return is_atom(t) && atom::name(atom_index(t)) == name;
}

// andalso, or its other name in OTP's specifications, andthen.
bool is_andalso(Term t) {
    return is_named(t, "andalso") || is_named(t, "andthen");
}

bool is_logic(Term t) {
    return is_andalso(t) || is_named(t, "orelse") || is_named(t, "and") || is_named(t, "or");
}

// ---- checking ------------------------------------------------------------------------

void head_variables(Term t, std::vector<int64_t>& out) {
    if (int64_t n = variable_number(t); n >= 0) {
        out.push_back(n);
    } else if (is_cons(t)) {
        for (; is_cons(t); t = cdr(t))
            head_variables(car(t), out);
        head_variables(t, out);
    } else if (is_tuple(t)) {
        for (uint64_t i = 1; i <= tuple_arity(t); ++i)
            head_variables(tuple_element(t, i), out);
    } else if (is_map(t)) {
        std::vector<map::Entry> entries;
        map::entries(t, entries);
        for (const map::Entry& e : entries)
            head_variables(e.value, out);
    }
}

// Is `e` an expression of guards or bodies, its variables among `bound`?
bool valid_expression(Term e, const std::vector<int64_t>& bound) {
    if (int64_t n = variable_number(e); n >= 0)
        return std::find(bound.begin(), bound.end(), n) != bound.end();
    if (is_cons(e)) {
        for (; is_cons(e); e = cdr(e))
            if (!valid_expression(car(e), bound)) return false;
        return valid_expression(e, bound);
    }
    if (is_map(e)) {  // keys and values are expressions
        std::vector<map::Entry> entries;
        map::entries(e, entries);
        for (const map::Entry& en : entries)
            if (!valid_expression(en.key, bound) || !valid_expression(en.value, bound))
                return false;
        return true;
    }
    if (!is_tuple(e)) return true;  // '$_', '$$', atoms, numbers...
    uint64_t arity = tuple_arity(e);
    if (arity == 0) return false;
    Term first = tuple_element(e, 1);
    if (arity == 1 && is_tuple(first)) {  // {{...}}: a tuple of expressions
        for (uint64_t i = 1; i <= tuple_arity(first); ++i)
            if (!valid_expression(tuple_element(first, i), bound)) return false;
        return true;
    }
    if (arity == 2 && is_named(first, "const")) return true;
    if (!is_atom(first)) return false;
    // andalso, orelse, and, or take one operand or more, as in OTP
    bool logic = is_logic(first) && arity >= 2;
    if (!logic && !allowed(first, uint32_t(arity - 1))) return false;
    for (uint64_t i = 2; i <= arity; ++i)
        if (!valid_expression(tuple_element(e, i), bound)) return false;
    return true;
}

bool proper_list(Term l, std::vector<Term>& out) {
    for (; is_cons(l); l = cdr(l))
        out.push_back(car(l));
    return l == kNil;
}

bool compile_clause(Term c, Spec& out) {
    if (!is_tuple(c) || tuple_arity(c) != 3) return false;
    Clause clause;
    clause.head = out.store.copy(tuple_element(c, 1));
    Term guards = out.store.copy(tuple_element(c, 2));
    Term body = out.store.copy(tuple_element(c, 3));
    if (!proper_list(guards, clause.guards) || !proper_list(body, clause.body)) return false;
    if (clause.body.empty()) return false;
    std::vector<int64_t> bound;
    head_variables(clause.head, bound);
    for (Term g : clause.guards)
        if (!valid_expression(g, bound)) return false;
    for (Term b : clause.body)
        if (!valid_expression(b, bound)) return false;
    out.clauses.push_back(std::move(clause));
    return true;
}

// ---- running ---------------------------------------------------------------------------

Term eval(Term e, const Bindings& b, Term object, Context& cx);

Term eval_list(Term l, const Bindings& b, Term object, Context& cx) {
    std::vector<Term> items;
    for (; is_cons(l); l = cdr(l)) {
        Term v = eval(car(l), b, object, cx);
        if (v == kNone) return kNone;
        items.push_back(v);
    }
    Term tail = l == kNil ? kNil : eval(l, b, object, cx);
    if (tail == kNone) return kNone;
    Term* mem = cx.scratch.take(items.size() * kConsWords);
    for (size_t i = items.size(); i-- > 0;)
        tail = make_cons(mem + 2 * i, items[i], tail);
    return tail;
}

Term eval_tuple(Term inner, const Bindings& b, Term object, Context& cx) {
    uint64_t arity = tuple_arity(inner);
    std::vector<Term> items;
    for (uint64_t i = 1; i <= arity; ++i) {
        Term v = eval(tuple_element(inner, i), b, object, cx);
        if (v == kNone) return kNone;
        items.push_back(v);
    }
    Term* mem = cx.scratch.take(tuple_words(arity));
    Term t = make_tuple(mem, arity);
    std::copy(items.begin(), items.end(), mem + 1);
    return t;
}

// A map whose keys and values are expressions, as OTP's.
Term eval_map(Term m, const Bindings& b, Term object, Context& cx) {
    std::vector<map::Entry> entries;
    map::entries(m, entries);
    for (map::Entry& en : entries) {
        en.key = eval(en.key, b, object, cx);
        if (en.key == kNone) return kNone;
        en.value = eval(en.value, b, object, cx);
        if (en.value == kNone) return kNone;
    }
    map::normalize(entries);
    return map::build(cx.scratch.take(map::build_words(entries)), entries);
}

Term all_bindings(const Bindings& b, Context& cx) {
    std::vector<Term> values = b.in_order();
    Term* mem = cx.scratch.take(values.size() * kConsWords);
    Term list = kNil;
    for (size_t i = values.size(); i-- > 0;)
        list = make_cons(mem + 2 * i, values[i], list);
    return list;
}

// A guard BIF on values that are all off the heap; its result is copied
// off the heap at once (a later call may collect). kNone when it raises.
Term call(const bif::Bif* f, std::vector<Term>& args, Context& cx) {
    Term result = f->fn(cx.p, args.data());
    if (result == kNone) return kNone;
    return cx.scratch.copy(result);
}

Term eval_call(Term e, const Bindings& b, Term object, Context& cx) {
    Term name = tuple_element(e, 1);
    uint64_t arity = tuple_arity(e) - 1;
    if (arity >= 1 && (is_andalso(name) || is_named(name, "orelse"))) {
        // As OTP's: every operand but the last is a boolean (else the
        // expression fails) and may decide; the last one's value is the
        // result, whatever it is.
        bool is_and = is_andalso(name);
        for (uint64_t i = 2; i <= arity; ++i) {
            Term v = eval(tuple_element(e, i), b, object, cx);
            if (v != kTrue && v != kFalse) return kNone;
            if ((v == kTrue) != is_and) return v;
        }
        return eval(tuple_element(e, arity + 1), b, object, cx);
    }
    if (arity >= 1 && (is_named(name, "and") || is_named(name, "or"))) {
        // Every operand evaluated, each a boolean.
        bool is_and = is_named(name, "and");
        bool result = is_and;
        for (uint64_t i = 2; i <= arity + 1; ++i) {
            Term v = eval(tuple_element(e, i), b, object, cx);
            if (v != kTrue && v != kFalse) return kNone;
            result = is_and ? result && v == kTrue : result || v == kTrue;
        }
        return make_bool(result);
    }
    std::vector<Term> args;
    for (uint64_t i = 2; i <= arity + 1; ++i) {
        Term v = eval(tuple_element(e, i), b, object, cx);
        if (v == kNone) return kNone;
        args.push_back(v);
    }
    args.push_back(kNil);  // data() of an empty vector may be null
    return call(allowed(name, uint32_t(arity)), args, cx);
}

Term eval(Term e, const Bindings& b, Term object, Context& cx) {
    if (is_atom(e)) {
        if (e == make_atom(atom::kDollarUnderscore)) return object;
        if (e == make_atom(atom::kDollarDollar)) return all_bindings(b, cx);
        if (int64_t n = variable_number(e); n >= 0) {
            for (const auto& [var, value] : b.vars)
                if (var == n) return value;
            return kNone;
        }
        return e;
    }
    if (is_cons(e)) return eval_list(e, b, object, cx);
    if (is_map(e)) return eval_map(e, b, object, cx);
    if (!is_tuple(e)) return e;
    Term first = tuple_element(e, 1);
    if (tuple_arity(e) == 1 && is_tuple(first)) return eval_tuple(first, b, object, cx);
    if (tuple_arity(e) == 2 && is_named(first, "const")) return tuple_element(e, 2);
    return eval_call(e, b, object, cx);
}

}  // namespace

bool compile(Term ms, Spec& out) {
    Term l = ms;
    for (; is_cons(l); l = cdr(l))
        if (!compile_clause(car(l), out)) return false;
    if (l != kNil) return false;
    out.returns_objects = std::all_of(out.clauses.begin(), out.clauses.end(), [](const Clause& c) {
        return c.body.size() == 1 && c.body[0] == make_atom(atom::kDollarUnderscore);
    });
    return true;
}

Term run(const Spec& spec, Term object, Context& cx) {
    Bindings b;
    for (const Clause& c : spec.clauses) {
        if (!match(c.head, object, b)) continue;
        bool pass = std::all_of(c.guards.begin(), c.guards.end(),
                                [&](Term g) { return eval(g, b, object, cx) == kTrue; });
        if (!pass) continue;
        Term value = kNone;
        for (Term e : c.body) {
            value = eval(e, b, object, cx);
            if (value == kNone) return make_atom(atom::kExitSignal);  // as OTP: 'EXIT'
        }
        return value;
    }
    return kNone;
}

namespace {

// Patterns nested deeper than this are taken as wildcards by the range
// functions (a wider range, still right): their recursion stays shallow.
constexpr int kMaxPatternDepth = 64;

// A pattern that both `a` and `b` are instances of, keeping what they
// have in common up to where they differ (a wildcard there).
Term generalize(Term a, Term b, Scratch& scratch, int depth) {
    Term wild = make_atom(atom::kUnderscore);
    if (exact_equal(a, b)) return a;
    if (depth > kMaxPatternDepth || is_wild(a) || is_wild(b)) return wild;
    if (is_tuple(a) && is_tuple(b) && tuple_arity(a) == tuple_arity(b)) {
        uint64_t arity = tuple_arity(a);
        Term* mem = scratch.take(tuple_words(arity));
        Term out = make_tuple(mem, arity);
        bool open = false;
        for (uint64_t i = 1; i <= arity; ++i) {
            mem[i] = open
                         ? wild
                         : generalize(tuple_element(a, i), tuple_element(b, i), scratch, depth + 1);
            open = open || is_wild(mem[i]);
        }
        return out;
    }
    if (is_cons(a) && is_cons(b)) {
        Term head = generalize(car(a), car(b), scratch, depth + 1);
        Term tail = is_wild(head) ? wild : generalize(cdr(a), cdr(b), scratch, depth + 1);
        return make_cons(scratch.take(kConsWords), head, tail);
    }
    return wild;
}

int compare_to_pattern(Term key, Term pattern, bool& open, int depth) {
    if (depth > kMaxPatternDepth || is_wild(pattern)) {
        open = true;
        return 0;
    }
    if (is_tuple(pattern) && is_tuple(key)) {
        uint64_t size = tuple_arity(key), pattern_size = tuple_arity(pattern);
        if (size != pattern_size) return size < pattern_size ? -1 : 1;
        for (uint64_t i = 1; i <= size; ++i) {
            int c = compare_to_pattern(tuple_element(key, i), tuple_element(pattern, i), open,
                                       depth + 1);
            if (c != 0 || open) return c;
        }
        return 0;
    }
    if (is_cons(pattern) && is_cons(key)) {
        for (; is_cons(pattern) && is_cons(key); pattern = cdr(pattern), key = cdr(key)) {
            int c = compare_to_pattern(car(key), car(pattern), open, depth + 1);
            if (c != 0 || open) return c;
        }
        if (is_wild(pattern)) {
            open = true;
            return 0;
        }
    }
    if (is_map(pattern) && is_map(key) && !is_ground(pattern)) {
        open = true;  // maps order by keys first: taken as a wildcard
        return 0;
    }
    return compare(key, pattern);  // ground, or of another type than the key
}

}  // namespace

int compare_to_pattern(Term key, Term pattern) {
    bool open = false;
    return compare_to_pattern(key, pattern, open, 0);
}

ets::KeyPrefix key_prefix(Term key_pattern) {
    return ets::KeyPrefix{key_pattern, !is_wild(key_pattern)};
}

ets::KeyPrefix spec_prefix(const Spec& spec, uint32_t keypos, Scratch& scratch) {
    ets::KeyPrefix common;
    for (const Clause& c : spec.clauses) {
        Term h = c.head;
        if (!is_tuple(h) || tuple_arity(h) < keypos) return ets::KeyPrefix{};
        Term key = tuple_element(h, keypos);
        common.pattern = common.narrows ? generalize(common.pattern, key, scratch, 0) : key;
        common.narrows = !is_wild(common.pattern);
        if (!common.narrows) return common;
    }
    return common;
}

Term bound_key(const Spec& spec, uint32_t keypos) {
    Term key = kNone;
    for (const Clause& c : spec.clauses) {
        Term h = c.head;
        if (!is_tuple(h) || tuple_arity(h) < keypos || !is_ground(tuple_element(h, keypos)))
            return kNone;
        Term k = tuple_element(h, keypos);
        if (key != kNone && !exact_equal(key, k)) return kNone;
        key = k;
    }
    return key;
}

// ---- OTP's words for an invalid specification ------------------------------------------
//
// erlang:match_spec_test/3 (ets:test_ms/2) reports what OTP's compiler of
// specifications (erl_db_util.c, table dialect) finds, in its words and
// order: a structural error stops it at once; unbound variables are all
// reported, up to the end of the first clause that has one. Each message
// is cut to 99 characters, as OTP formats it into 100 bytes.

namespace {

constexpr size_t kMessageChars = 99;

// A term as OTP's C printer (%T) writes it into a message: floats as
// printf's %e, printable lists and binaries as strings, maps without
// spaces. It stops once the message is long enough to be cut, which also
// bounds its recursion.
void print_erts(std::string& out, Term t);

bool printable(uint64_t c) {
    return c >= 32 && c <= 126;
}

void print_quoted(std::string& out, const std::vector<uint8_t>& chars) {
    out += '"';
    for (uint8_t c : chars) {
        if (c == '"' || c == '\\') out += '\\';
        out += char(c);
    }
    out += '"';
}

void print_list(std::string& out, Term t) {
    std::vector<uint8_t> chars;
    Term l = t;
    for (; is_cons(l) && is_small(car(l)) && printable(uint64_t(small_value(car(l)))); l = cdr(l))
        chars.push_back(uint8_t(small_value(car(l))));
    if (l == kNil) return print_quoted(out, chars);
    out += '[';
    for (bool first = true; is_cons(t) && out.size() <= kMessageChars; t = cdr(t), first = false) {
        if (!first) out += ',';
        print_erts(out, car(t));
    }
    if (t != kNil) {
        out += '|';
        print_erts(out, t);
    }
    out += ']';
}

void print_binary(std::string& out, Term t) {
    Bits b = bits_of(t);
    std::vector<uint8_t> bytes;
    bool text = b.bit_size > 0;
    for (uint64_t i = 0; i < b.bit_size / 8 && i <= kMessageChars; ++i) {
        bytes.push_back(bits_byte(b, i));
        text = text && printable(bytes.back());
    }
    out += "<<";
    if (text) {
        print_quoted(out, bytes);
    } else {
        for (size_t i = 0; i < bytes.size(); ++i)
            out += (i ? "," : "") + std::to_string(bytes[i]);
    }
    out += ">>";
}

// An atom quoted unless it is a lowercase letter and letters, digits, _
// and @ (reserved words such as 'and' too: OTP's C printer does not
// know them).
void print_atom_erts(std::string& out, Term t) {
    std::string_view name = atom::name(atom_index(t));
    bool bare = !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
                std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@';
                });
    if (bare) {
        out += name;
        return;
    }
    out += '\'';
    for (char c : name) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    out += '\'';
}

void print_erts(std::string& out, Term t) {
    if (out.size() > kMessageChars) return;
    if (is_float(t)) {
        char text[64];
        std::snprintf(text, sizeof text, "%e", float_value(t));
        out += text;
    } else if (is_cons(t)) {
        print_list(out, t);
    } else if (is_tuple(t)) {
        out += '{';
        for (uint64_t i = 1; i <= tuple_arity(t) && out.size() <= kMessageChars; ++i) {
            if (i > 1) out += ',';
            print_erts(out, tuple_element(t, i));
        }
        out += '}';
    } else if (is_map(t)) {
        std::vector<map::Entry> entries;
        map::entries(t, entries);
        out += "#{";
        for (size_t i = 0; i < entries.size() && out.size() <= kMessageChars; ++i) {
            if (i) out += ',';
            print_erts(out, entries[i].key);
            out += "=>";
            print_erts(out, entries[i].value);
        }
        out += '}';
    } else if (is_binary(t)) {
        print_binary(out, t);
    } else if (is_atom(t)) {
        print_atom_erts(out, t);
    } else {
        term::print(out, t);
    }
}

// The special forms of the trace dialect, as OTP names them in its
// message (set_seq_token's says set_seq_trace).
struct TraceForm {
    std::string_view form, named;
};
constexpr TraceForm kTraceForms[] = {
    {"message", "message"},
    {"is_seq_trace", "is_seq_trace"},
    {"set_seq_token", "set_seq_trace"},
    {"get_seq_token", "get_seq_token"},
    {"return_trace", "return_trace"},
    {"exception_trace", "exception_trace"},
    {"display", "display"},
    {"process_dump", "process_dump"},
    {"enable_trace", "enable_trace"},
    {"disable_trace", "disable_trace"},
    {"trace", "trace"},
    {"caller", "caller"},
    {"silent", "silent"},
};

// Functions OTP knows that only trace specifications may call.
constexpr Allowed kTraceFunctions[] = {{"get_tcw", 0}, {"set_tcw", 1}};

class Diagnosis {
  public:
    std::vector<std::string> errors;

    // Checks one clause; false when a structural error stopped it.
    bool clause(Term c);

  private:
    std::vector<int64_t> bound_;

    void add(std::string message) {
        if (message.size() > kMessageChars) message.resize(kMessageChars);
        errors.push_back(std::move(message));
    }
    // "<prefix>%T<suffix>" with `t` printed as OTP does.
    bool term_error(std::string_view prefix, Term t, std::string_view suffix) {
        std::string message(prefix);
        print_erts(message, t);
        add(message + std::string(suffix));
        return false;
    }
    bool expressions(Term list, std::string_view not_list);
    bool expression(Term e);
    bool call(Term e);
    bool elements(Term tuple, uint64_t from, bool reversed);
};

bool Diagnosis::clause(Term c) {
    if (!is_tuple(c) || tuple_arity(c) != 3) {
        add("Match program part is not a tuple of arity 3.");
        return false;
    }
    bound_.clear();
    head_variables(tuple_element(c, 1), bound_);
    Term body = tuple_element(c, 3);
    if (!expressions(tuple_element(c, 2), "Match expression is not a list.")) return false;
    if (!is_cons(body)) {
        add("Body clause does not return anything.");
        return false;
    }
    return expressions(body, "");
}

bool Diagnosis::expressions(Term list, std::string_view not_list) {
    if (!is_cons(list) && list != kNil) {
        add(std::string(not_list));
        return false;
    }
    Term l = list;
    for (; is_cons(l); l = cdr(l)) {
    }
    if (l != kNil) {
        add("Match expression is not a proper list.");
        return false;
    }
    for (; is_cons(list); list = cdr(list))
        if (!expression(car(list))) return false;
    return true;
}

bool Diagnosis::expression(Term e) {
    if (int64_t n = variable_number(e); n >= 0) {
        if (std::find(bound_.begin(), bound_.end(), n) == bound_.end())
            add("Variable $" + std::to_string(n) + " is unbound.");
        return true;  // OTP goes on, to report every unbound variable
    }
    if (is_cons(e)) {
        for (; is_cons(e); e = cdr(e))
            if (!expression(car(e))) return false;
        return expression(e);
    }
    if (is_map(e)) {  // OTP compiles a map's pairs from the last
        std::vector<map::Entry> entries;
        map::entries(e, entries);
        for (size_t i = entries.size(); i-- > 0;)
            if (!expression(entries[i].value) || !expression(entries[i].key)) return false;
        return true;
    }
    if (!is_tuple(e)) return true;
    uint64_t arity = tuple_arity(e);
    if (arity == 1 && is_tuple(tuple_element(e, 1))) return elements(tuple_element(e, 1), 1, true);
    if (arity >= 1 && is_atom(tuple_element(e, 1)) && variable_number(tuple_element(e, 1)) < 0)
        return call(e);
    return term_error("", e,
                      " is neither a function call, nor a tuple (tuples are written {{ ... }}).");
}

// The elements of a tuple from position `from` on (2 for a call's
// arguments), taken from the last (`reversed`, as OTP compiles most) or
// the first.
bool Diagnosis::elements(Term tuple, uint64_t from, bool reversed) {
    uint64_t arity = tuple_arity(tuple);
    for (uint64_t k = 0; k + from <= arity; ++k) {
        uint64_t i = reversed ? arity - k : from + k;
        if (!expression(tuple_element(tuple, i))) return false;
    }
    return true;
}

bool Diagnosis::call(Term e) {
    Term name = tuple_element(e, 1);
    uint64_t arity = tuple_arity(e);
    std::string_view text = atom::name(atom_index(name));
    std::string quoted = "'" + std::string(text) + "'";
    if (text == "const") {
        if (arity != 2)
            return term_error("Special form 'const' called with more than one argument in ", e,
                              ".");
        return true;
    }
    bool reversed_logic = text == "and" || text == "or";
    if (reversed_logic || text == "andalso" || text == "andthen" || text == "orelse") {
        if (arity < 2)
            return term_error("Special form " + quoted + " called without arguments in ", e, ".");
        return elements(e, 2, reversed_logic);
    }
    if (text == "self") {
        if (arity != 1) return term_error("Special form 'self' called with arguments in ", e, ".");
        return true;
    }
    for (const TraceForm& f : kTraceForms) {
        if (f.form == text) {
            add("Special form '" + std::string(f.named) + "' used in wrong dialect.");
            return false;
        }
    }
    std::string slash = "/" + std::to_string(arity - 1);
    for (const Allowed& a : kTraceFunctions)
        if (a.name == text && a.arity == arity - 1)
            return term_error("Function ", name, slash + " cannot be called in this context.");
    if (!allowed(name, uint32_t(arity - 1)))
        return term_error("Function ", name, slash + " does_not_exist.");
    return elements(e, 2, true);
}

}  // namespace

std::vector<std::string> diagnose(Term ms) {
    Diagnosis d;
    if (!is_cons(ms)) {
        d.errors.push_back("Match programs are not in a list.");
        return d.errors;
    }
    Term l = ms;
    for (; is_cons(l); l = cdr(l)) {
    }
    if (l != kNil) {
        d.errors.push_back("Match programs are not in a proper list.");
        return d.errors;
    }
    for (; is_cons(ms) && d.errors.empty(); ms = cdr(ms))
        if (!d.clause(car(ms))) break;
    return d.errors;
}

}  // namespace ets_match
