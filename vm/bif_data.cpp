// bif_data: BIFs on data: type tests, tuples, lists and conversions
// between atoms, strings and numbers.
//
// A BIF that allocates reads its arguments again from `args` after each
// allocation (a collection moves them; `args` are X registers, updated in
// place), and never holds a term in a C++ local across one.
#include <gmp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "vm/bif.h"
#include "vm/map.h"

namespace bif {

using namespace term;

namespace {

// OTP's fixed notation for {decimals, N} (erts sys_double_to_chars_fast):
// below 2^53 and with fewer than 19 decimals the fraction is scaled by
// 10^N in floating point and rounded half away from zero (so 0.15 gives
// "0.2", though its binary value is below 0.15); otherwise C's "%.*f".
// `compact` strips trailing zeros but keeps one digit after the point.
void fixed_float(double d, int decimals, bool compact, std::string& out) {
    static const double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
    auto strip_zeros = [&] {
        while (!out.empty() && out.back() == '0')
            out.pop_back();
        if (!out.empty() && out.back() == '.') out += '0';
    };
    double magnitude = std::fabs(d);
    if (magnitude > 0x1p53 || decimals >= 19) {
        std::vector<char> buffer(size_t(decimals) + 400);
        std::snprintf(buffer.data(), buffer.size(), "%.*f", decimals, d);
        out = buffer.data();
        if (compact) strip_zeros();
        return;
    }
    uint64_t int_part;
    std::string fraction;
    if (decimals > 0) {
        double whole = std::floor(magnitude);
        double scaled = std::round((magnitude - whole) * kPow10[decimals]);
        int_part = uint64_t(whole);
        uint64_t frac_part = uint64_t(scaled);
        if (scaled >= kPow10[decimals]) {
            ++int_part;
            frac_part = 0;
        }
        fraction = std::to_string(frac_part);
        fraction.insert(0, size_t(decimals) - fraction.size(), '0');
    } else {
        int_part = uint64_t(std::llround(magnitude));
    }
    out = std::signbit(d) ? "-" : "";
    out += std::to_string(int_part);
    if (decimals > 0) {
        out += '.';
        out += fraction;
        if (compact) strip_zeros();
    }
}

}  // namespace

bool float_to_text(double d, Term options, std::string& out) {
    enum { kScientific, kFixed, kShort } style = kScientific;
    int64_t digits = 20;
    bool compact = false;
    for (; is_cons(options); options = cdr(options)) {
        Term o = car(options);
        if (o == make_atom(atom::kCompact)) {
            compact = true;
        } else if (o == make_atom(atom::kShort)) {
            style = kShort;
        } else if (term::is_tuple(o) && tuple_arity(o) == 2 && is_small(tuple_element(o, 2))) {
            int64_t n = small_value(tuple_element(o, 2));
            Term name = tuple_element(o, 1);
            if (name == make_atom(atom::kDecimals) && n >= 0 && n <= 253) {
                style = kFixed;
            } else if (name == make_atom(atom::kScientific) && n >= 0 && n <= 249) {
                style = kScientific;
            } else {
                return false;
            }
            digits = n;
        } else {
            return false;
        }
    }
    if (!is_nil(options)) return false;
    // OTP formats into a 256-byte buffer: a text (before `compact` strips
    // zeros) longer than 255 characters is badarg.
    constexpr size_t kMaxText = 255;
    if (style == kShort) {
        out.clear();
        print_float(out, d);
    } else if (style == kFixed) {
        fixed_float(d, int(digits), false, out);
        if (out.size() > kMaxText) return false;
        if (compact) fixed_float(d, int(digits), true, out);
    } else {
        char buffer[320];
        std::snprintf(buffer, sizeof buffer, "%.*e", int(digits), d);
        out = buffer;
        if (out.size() > kMaxText) return false;
    }
    return true;
}

namespace impl {

// ---- type tests -------------------------------------------------------------------

Term is_atom(Process& p, Term* args) {
    return make_bool(term::is_atom(args[0]));
}
Term is_binary(Process& p, Term* args) {
    return make_bool(term::is_binary(args[0]));
}
Term is_bitstring(Process& p, Term* args) {
    return make_bool(term::is_bitstring(args[0]));
}
Term is_boolean(Process& p, Term* args) {
    return make_bool(args[0] == kTrue || args[0] == kFalse);
}
Term is_float(Process& p, Term* args) {
    return make_bool(term::is_float(args[0]));
}
Term is_function(Process& p, Term* args) {
    return make_bool(is_fun(args[0]));
}
Term is_function2(Process& p, Term* args) {
    if (!is_small(args[1]) || small_value(args[1]) < 0) return badarg(p, 2, "not a valid arity");
    uint64_t arity = uint64_t(small_value(args[1]));
    if (is_local_fun(args[0])) return make_bool(fun_entry(args[0])->arity == arity);
    if (is_export(args[0])) return make_bool(export_arity(args[0]) == arity);
    return kFalse;
}
Term is_integer(Process& p, Term* args) {
    return make_bool(term::is_integer(args[0]));
}
Term is_list(Process& p, Term* args) {
    return make_bool(term::is_list(args[0]));
}
Term is_map(Process& p, Term* args) {
    return make_bool(term::is_map(args[0]));
}
Term is_number(Process& p, Term* args) {
    return make_bool(term::is_number(args[0]));
}
Term is_pid(Process& p, Term* args) {
    return make_bool(is_local_pid(args[0]));
}
Term is_port(Process& p, Term* args) {
    return make_bool(is_local_port(args[0]));
}
Term is_reference(Process& p, Term* args) {
    return make_bool(is_ref(args[0]));
}
Term is_tuple(Process& p, Term* args) {
    return make_bool(term::is_tuple(args[0]));
}
Term is_record2(Process& p, Term* args) {
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    Term t = args[0];
    return make_bool(term::is_tuple(t) && tuple_arity(t) >= 1 && tuple_element(t, 1) == args[1]);
}
Term is_record3(Process& p, Term* args) {
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    if (!is_small(args[2])) return badarg(p, 3, "not an integer");
    Term t = args[0];
    return make_bool(term::is_tuple(t) && tuple_arity(t) == uint64_t(small_value(args[2])) &&
                     tuple_arity(t) >= 1 && tuple_element(t, 1) == args[1]);
}

// ---- tuples --------------------------------------------------------------------------

Term element(Process& p, Term* args) {
    if (!is_small(args[0])) return badarg(p, 1, "not an integer");
    if (!term::is_tuple(args[1])) return badarg(p, 2, "not a tuple");
    int64_t i = small_value(args[0]);
    if (i < 1 || uint64_t(i) > tuple_arity(args[1])) return badarg(p, 1, "out of range");
    return tuple_element(args[1], uint64_t(i));
}

Term setelement(Process& p, Term* args) {
    if (!is_small(args[0])) return badarg(p, 1, "not an integer");
    if (!term::is_tuple(args[1])) return badarg(p, 2, "not a tuple");
    int64_t i = small_value(args[0]);
    uint64_t n = tuple_arity(args[1]);
    if (i < 1 || uint64_t(i) > n) return badarg(p, 1, "out of range");
    Term* mem = alloc(p, tuple_words(n));
    if (!mem) return heap_exhausted(p);
    std::memcpy(mem, boxed_ptr(args[1]), tuple_words(n) * sizeof(Term));
    mem[i] = args[2];
    return make_boxed_ptr(mem);
}

Term tuple_size(Process& p, Term* args) {
    if (!term::is_tuple(args[0])) return badarg(p, 1, "not a tuple");
    return make_small(int64_t(tuple_arity(args[0])));
}

Term size(Process& p, Term* args) {
    if (term::is_tuple(args[0])) return make_small(int64_t(tuple_arity(args[0])));
    if (term::is_binary(args[0])) return make_small(int64_t(bits_of(args[0]).bit_size / 8));
    return badarg(p, 1, "not a tuple or binary");
}

Term make_tuple(Process& p, Term* args) {
    if (!is_small(args[0]) || small_value(args[0]) < 0 ||
        uint64_t(small_value(args[0])) > kMaxTupleArity) {
        return badarg(p, 1, "out of range");
    }
    uint64_t n = uint64_t(small_value(args[0]));
    Term* mem = alloc(p, tuple_words(n));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, n);
    for (uint64_t i = 1; i <= n; ++i)
        mem[i] = args[1];
    return t;
}

// make_tuple(N, Default, [{Position, Value}]): later pairs win, as in OTP.
// Every position is checked before anything is allocated.
Term make_tuple3(Process& p, Term* args) {
    if (!is_small(args[0]) || small_value(args[0]) < 0 ||
        uint64_t(small_value(args[0])) > kMaxTupleArity) {
        return badarg(p, 1, "out of range");
    }
    uint64_t n = uint64_t(small_value(args[0]));
    Term l = args[2];
    for (; is_cons(l); l = cdr(l)) {
        Term pair = car(l);
        if (!term::is_tuple(pair) || tuple_arity(pair) != 2 || !is_small(tuple_element(pair, 1)) ||
            small_value(tuple_element(pair, 1)) < 1 ||
            uint64_t(small_value(tuple_element(pair, 1))) > n) {
            return badarg(p, 3, "not a list of {Position, Value} in range");
        }
    }
    if (!is_nil(l)) return badarg(p, 3, "not a list");
    Term* mem = alloc(p, tuple_words(n));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, n);
    for (uint64_t i = 1; i <= n; ++i)
        mem[i] = args[1];
    for (l = args[2]; is_cons(l); l = cdr(l))
        mem[small_value(tuple_element(car(l), 1))] = tuple_element(car(l), 2);
    return t;
}

Term append_element(Process& p, Term* args) {
    if (!term::is_tuple(args[0])) return badarg(p, 1, "not a tuple");
    uint64_t n = tuple_arity(args[0]);
    if (n >= kMaxTupleArity) return badarg(p, 1, "too large a tuple");
    Term* mem = alloc(p, tuple_words(n + 1));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, n + 1);
    std::memcpy(mem + 1, tuple_elements(args[0]), n * sizeof(Term));
    mem[n + 1] = args[1];
    return t;
}

Term list_to_tuple(Process& p, Term* args) {
    int64_t n = list_length(args[0]);
    if (n < 0) return badarg(p, 1, "not a list");
    if (uint64_t(n) > kMaxTupleArity) return badarg(p, 1, "too long a list");
    Term* mem = alloc(p, tuple_words(uint64_t(n)));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, uint64_t(n));
    Term list = args[0];
    for (int64_t i = 1; i <= n; ++i, list = cdr(list))
        mem[i] = car(list);
    return t;
}

Term tuple_to_list(Process& p, Term* args) {
    if (!term::is_tuple(args[0])) return badarg(p, 1, "not a tuple");
    uint64_t n = tuple_arity(args[0]);
    Term* mem = alloc(p, n * kConsWords);
    if (!mem && n) return heap_exhausted(p);
    Term list = kNil;
    for (uint64_t i = n; i >= 1; --i)
        list = make_cons(mem + 2 * (i - 1), tuple_element(args[0], i), list);
    return list;
}

// ---- lists ------------------------------------------------------------------------------

Term length(Process& p, Term* args) {
    int64_t n = list_length(args[0]);
    if (n < 0) return badarg(p, 1, "not a list");
    return make_small(n);
}

Term hd(Process& p, Term* args) {
    if (!is_cons(args[0])) return badarg(p, 1, "not a nonempty list");
    return car(args[0]);
}

Term tl(Process& p, Term* args) {
    if (!is_cons(args[0])) return badarg(p, 1, "not a nonempty list");
    return cdr(args[0]);
}

// A ++ B: copies A, whose last tail becomes B.
Term append(Process& p, Term* args) {
    int64_t n = list_length(args[0]);
    if (n < 0) return badarg(p, 1, "not a list");
    if (n == 0) return args[1];
    Term* mem = alloc(p, uint64_t(n) * kConsWords);
    if (!mem) return heap_exhausted(p);
    Term list = args[0];
    for (int64_t i = 0; i < n; ++i, list = cdr(list)) {
        mem[2 * i] = car(list);
        mem[2 * i + 1] = i + 1 < n ? make_cons_ptr(mem + 2 * (i + 1)) : args[1];
    }
    return make_cons_ptr(mem);
}

namespace {

// The elements of the list *list whose index is not in `marks` (`marked`
// of them are), in order; the tail after the last marked element is
// shared. Reads *list after allocating (a BIF argument: a root).
Term without_marked(Process& p, const Term* list, const std::vector<bool>& marks, size_t marked) {
    if (marked == 0) return *list;
    size_t kept = marks.size() - marked;
    charge(kept * 2);
    Term* mem = alloc(p, kept * kConsWords);
    if (!mem && kept) return heap_exhausted(p);
    Term* cell = mem;
    Term head = kNil, *link = &head;
    size_t i = 0;
    Term l = *list;
    for (; is_cons(l) && marked > 0; l = cdr(l), ++i) {
        if (marks[i]) {
            --marked;
            continue;
        }
        *link = make_cons(cell, car(l), kNil);
        link = cell + 1;
        cell += kConsWords;
    }
    *link = l;
    p.heap.top = cell;  // give back the cells of the shared tail
    return head;
}

// A -- B in steps (see bif.h, "long BIFs"): phase 0 counts B's elements
// into a multiset (element -> times still to remove; terms[2] is what is
// left of B), phase 1 marks in `marks` the first occurrences in A of the
// multiset's elements (terms[2] is what is left of A, `done` its index,
// `count` the marks; terms[3] the removals still to do), then the result
// is built. Counts go down to 0 rather than being erased: the table is
// never rehashed smaller while it drains (a rehash of a big table is one
// long step).
enum SubtractPhase : uint8_t { kCountB, kMarkA };

// Runs at most kTrapWork elements of `t` (charged); true when only the
// result is left to build.
bool subtract_step(process::Trap& t) {
    size_t budget = kTrapWork;
    struct Charge {
        size_t& budget;
        ~Charge() { charge((kTrapWork - budget) * 8); }
    } charge_on_return{budget};
    if (t.phase == kCountB) {
        Term r = t.terms[2];
        for (; is_cons(r) && budget > 0; r = cdr(r), --budget) {
            Term* times = t.table.insert(car(r));
            *times = make_small(*times == kNone ? 1 : small_value(*times) + 1);
        }
        t.terms[2] = r;
        if (is_cons(r)) return false;
        t.phase = kMarkA;
        t.terms[2] = t.terms[0];
    }
    Term l = t.terms[2];
    int64_t pending = small_value(t.terms[3]);
    for (; is_cons(l) && pending > 0 && budget > 0; l = cdr(l), --budget, ++t.done) {
        Term* times = t.table.find_value(car(l));
        if (!times || *times == make_small(0)) continue;
        *times = make_small(small_value(*times) - 1);
        t.marks[t.done] = true;
        ++t.count;
        --pending;
    }
    t.terms[2] = l;
    t.terms[3] = make_small(pending);
    return !is_cons(l) || pending == 0;
}

}  // namespace

// A -- B: removes the first occurrence in A of each element of B (=:=),
// in O(n + m) with a hash multiset of B, yielding every kTrapWork
// elements (1M -- 1M held every scheduler for tens of minutes when it
// scanned A for each element of B, and for 0.3 s in one call after that).
Term subtract(Process& p, Term* args) {
    process::Trap* resumed = trap_find(p, reinterpret_cast<const void*>(&subtract), args, 2);
    process::Trap fresh;
    if (!resumed) {
        int64_t n = list_length(args[0]);
        if (n < 0) return badarg(p, 1, "not a list");
        int64_t m = list_length(args[1]);
        if (m < 0) return badarg(p, 2, "not a list");
        if (n == 0 || m == 0) return args[0];
        fresh.owner = reinterpret_cast<const void*>(&subtract);
        fresh.terms[0] = args[0];
        fresh.terms[1] = args[1];
        fresh.terms[2] = args[1];
        fresh.terms[3] = make_small(m);
        fresh.marks.assign(size_t(n), false);
        fresh.table.reserve(size_t(m));  // no rehash of a big table in one step
    }
    process::Trap& t = resumed ? *resumed : fresh;
    if (!subtract_step(t)) return resumed ? trap_again(p) : trap_again(p, std::move(t));
    t.table.clear();  // its keys would go stale when alloc collects
    std::vector<bool> marks = std::move(t.marks);
    size_t marked = t.count;
    trap_done(p);
    return without_marked(p, &args[0], marks, marked);
}

namespace {

// lists:uniq/1 in steps: the elements seen so far in a term_table, the
// later occurrences marked in `marks` (terms[1] is what is left of the
// list, `done` its index, `count` the marks); true when the list is done.
bool uniq_step(process::Trap& t) {
    size_t budget = kTrapWork;
    Term l = t.terms[1];
    for (; is_cons(l) && budget > 0; l = cdr(l), --budget, ++t.done) {
        Term* seen = t.table.insert(car(l));
        if (*seen == kNone) {
            *seen = kTrue;
            continue;
        }
        t.marks[t.done] = true;
        ++t.count;
    }
    charge((kTrapWork - budget) * 8);
    t.terms[1] = l;
    return !is_cons(l);
}

}  // namespace

// lists:uniq/1: the list without the later occurrences (=:=) of each
// element, in O(n) with a hash set (OTP's uses a map), yielding every
// kTrapWork elements. Not a list: function_clause, as OTP's Erlang code.
Term lists_uniq(Process& p, Term* args) {
    process::Trap* resumed = trap_find(p, reinterpret_cast<const void*>(&lists_uniq), args, 1);
    process::Trap fresh;
    if (!resumed) {
        int64_t n = list_length(args[0]);
        if (n < 0) return fail(p, make_atom(atom::kFunctionClause));
        if (n < 2) return args[0];
        fresh.owner = reinterpret_cast<const void*>(&lists_uniq);
        fresh.terms[0] = args[0];
        fresh.terms[1] = args[0];
        fresh.marks.assign(size_t(n), false);
    }
    process::Trap& t = resumed ? *resumed : fresh;
    if (!uniq_step(t)) return resumed ? trap_again(p) : trap_again(p, std::move(t));
    t.table.clear();  // its keys would go stale when alloc collects
    std::vector<bool> marks = std::move(t.marks);
    size_t marked = t.count;
    trap_done(p);
    return without_marked(p, &args[0], marks, marked);
}

Term lists_reverse2(Process& p, Term* args) {
    int64_t n = list_length(args[0]);
    if (n < 0) return badarg(p, 1, "not a list");
    if (should_go_dirty(size_t(n))) return go_dirty(p);
    charge(size_t(n));
    Term* mem = alloc(p, uint64_t(n) * kConsWords);
    if (!mem && n) return heap_exhausted(p);
    Term result = args[1];
    for (Term l = args[0]; is_cons(l); l = cdr(l), mem += 2)
        result = make_cons(mem, car(l), result);
    return result;
}

Term lists_member(Process& p, Term* args) {
    Term l = args[1];
    for (; is_cons(l); l = cdr(l)) {
        if (exact_equal(car(l), args[0])) return kTrue;
    }
    if (!is_nil(l)) return badarg(p, 2, "not a list");
    return kFalse;
}

Term lists_keyfind(Process& p, Term* args) {
    if (!is_small(args[1]) || small_value(args[1]) < 1) return badarg(p, 2, "out of range");
    uint64_t n = uint64_t(small_value(args[1]));
    Term l = args[2];
    for (; is_cons(l); l = cdr(l)) {
        Term t = car(l);
        if (term::is_tuple(t) && tuple_arity(t) >= n && equal(tuple_element(t, n), args[0]))
            return t;
    }
    if (!is_nil(l)) return badarg(p, 3, "not a list");
    return kFalse;
}

Term lists_keymember(Process& p, Term* args) {
    Term found = lists_keyfind(p, args);
    if (found == kNone) return kNone;
    return found == kFalse ? kFalse : kTrue;
}

// {value, Tuple} or false.
Term lists_keysearch(Process& p, Term* args) {
    Term found = lists_keyfind(p, args);
    if (found == kNone || found == kFalse) return found;
    args[3] = found;  // a root while the pair is allocated
    p.live += 1;
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 2);
    mem[1] = make_atom(atom::kValue);
    mem[2] = args[3];
    return t;
}

// ---- conversions -------------------------------------------------------------------------

Term atom_to_list(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    return make_unicode_string(p, atom::name(atom_index(args[0])));
}

namespace {

// The UTF-8 text of a flat list of code points; false if it is not one.
bool flat_chars(Term list, std::string& out) {
    Term l = list;
    for (; is_cons(l); l = cdr(l)) {
        if (!is_small(car(l))) return false;
    }
    return is_nil(l) && chardata_to_utf8(list, out);
}

Term to_atom(Process& p, Term* args, bool existing) {
    std::string name;
    if (!flat_chars(args[0], name)) return badarg(p, 1, "not a list of characters");
    if (existing) {
        uint32_t index = atom::find(name);
        if (index == atom::kNoAtom) return badarg(p, 1, "not an already existing atom");
        return make_atom(index);
    }
    uint32_t index = atom::intern(name);
    if (index == atom::kNoAtom) return fail(p, make_atom(atom::kSystemLimit));
    return make_atom(index);
}

// Digits of an integer in `base` (2..36), upper case, with '-'.
std::string integer_text(Term t, int base) {
    if (is_small(t)) {
        int64_t v = small_value(t);
        bool negative = v < 0;
        unsigned __int128 magnitude = negative ? -(__int128)v : v;
        std::string digits;
        do {
            unsigned d = unsigned(magnitude % unsigned(base));
            digits += char(d < 10 ? '0' + d : 'A' + d - 10);
            magnitude /= unsigned(base);
        } while (magnitude);
        if (negative) digits += '-';
        return std::string(digits.rbegin(), digits.rend());
    }
    int64_t n = int64_t(bignum_limb_count(t));
    mpz_t ro;
    mpz_srcptr z = mpz_roinit_n(ro, reinterpret_cast<const mp_limb_t*>(bignum_limbs(t)),
                                bignum_negative(t) ? -n : n);
    std::string digits(mpz_sizeinbase(z, base) + 2, '\0');
    mpz_get_str(digits.data(), -base, z);
    digits.resize(std::strlen(digits.c_str()));
    return digits;
}

// An integer from text that is a valid [+-]digits in `base`.
Term integer_from_text(Process& p, const std::string& text, int base) {
    mpz_t z;
    mpz_init_set_str(z, text[0] == '+' ? text.c_str() + 1 : text.c_str(), base);
    size_t limbs = mpz_size(z);
    Term result = make_small(0);
    if (limbs == 1 && mpz_fits_slong_p(z) && fits_small(mpz_get_si(z))) {
        result = make_small(mpz_get_si(z));
    } else if (limbs > 0) {
        Term* mem = alloc(p, bignum_words(limbs));
        result = mem ? make_bignum(mem, mpz_sgn(z) < 0,
                                   reinterpret_cast<const Limb*>(mpz_limbs_read(z)), limbs)
                     : heap_exhausted(p);
    }
    mpz_clear(z);
    return result;
}

Term parse_integer(Process& p, Term* args, int base) {
    std::string text;
    if (!flat_chars(args[0], text))
        return badarg(p, 1, "not a textual representation of an integer");
    size_t start = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    bool ok = text.size() > start;
    for (size_t i = start; ok && i < text.size(); ++i) {
        char c = text[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'z' ? c - 'a' + 10
                : c >= 'A' && c <= 'Z' ? c - 'A' + 10
                                       : 99;
        ok = d < base;
    }
    if (!ok) return badarg(p, 1, "not a textual representation of an integer");
    return integer_from_text(p, text, base);
}

// The list's characters up to the first element that is not a character
// (code point): what string:list_to_integer/1 and list_to_float/1 read.
std::string leading_chars(Term list) {
    std::string text;
    for (; is_cons(list) && is_small(car(list)); list = cdr(list)) {
        int64_t c = small_value(car(list));
        if (c < 0 || c > 0x10FFFF) break;
        text += c < 0x80 ? char(c) : char(0x7F);  // only ASCII matters to a number
    }
    return text;
}

// {Number, Rest}: Number is in args[1] (a root for the allocation: p.live
// covers it), Rest the list after `used` characters.
Term number_and_rest(Process& p, Term* args, Term number, size_t used) {
    args[1] = number;
    p.live += 1;
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term rest = args[0];
    for (size_t i = 0; i < used; ++i)
        rest = cdr(rest);
    Term t = term::make_tuple(mem, 2);
    mem[1] = args[1];
    mem[2] = rest;
    return t;
}

Term string_error(Process& p, uint32_t reason) {
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 2);
    mem[1] = make_atom(atom::kError);
    mem[2] = make_atom(reason);
    return t;
}

// Length of the float syntax [+-]digits.digits[(e|E)[+-]digits] at the
// start of `text` (the exponent only when it has digits), or 0.
size_t float_prefix(const std::string& text) {
    size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    auto digits = [&](size_t& at) {
        size_t start = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9')
            ++at;
        return at > start;
    };
    // OTP's parser takes a comma for the point too: "1,5" is 1.5.
    if (!digits(i) || i >= text.size() || (text[i] != '.' && text[i] != ',')) return 0;
    ++i;
    if (!digits(i)) return 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        size_t e = i + 1;
        if (e < text.size() && (text[e] == '-' || text[e] == '+')) ++e;
        if (digits(e)) i = e;
    }
    return i;
}

bool valid_base(Term t) {
    return is_small(t) && small_value(t) >= 2 && small_value(t) <= 36;
}

}  // namespace

Term list_to_atom(Process& p, Term* args) {
    return to_atom(p, args, false);
}

Term list_to_existing_atom(Process& p, Term* args) {
    return to_atom(p, args, true);
}

Term integer_to_list(Process& p, Term* args) {
    if (!term::is_integer(args[0])) return badarg(p, 1, "not an integer");
    return make_string(p, integer_text(args[0], 10));
}

Term integer_to_list2(Process& p, Term* args) {
    if (!term::is_integer(args[0])) return badarg(p, 1, "not an integer");
    if (!valid_base(args[1])) return badarg(p, 2, "not an integer in the range 2 through 36");
    return make_string(p, integer_text(args[0], int(small_value(args[1]))));
}

Term list_to_integer(Process& p, Term* args) {
    return parse_integer(p, args, 10);
}

Term list_to_integer2(Process& p, Term* args) {
    if (!valid_base(args[1])) return badarg(p, 2, "not an integer in the range 2 through 36");
    return parse_integer(p, args, int(small_value(args[1])));
}

Term float_to_list(Process& p, Term* args) {
    if (!term::is_float(args[0])) return badarg(p, 1, "not a float");
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.20e", float_value(args[0]));
    return make_string(p, buffer);
}

Term float_to_list2(Process& p, Term* args) {
    if (!term::is_float(args[0])) return badarg(p, 1, "not a float");
    std::string text;
    if (!float_to_text(float_value(args[0]), args[1], text)) return badarg(p, 2, "invalid option");
    return make_string(p, text);
}

// string:list_to_integer/1: {Integer, Rest} for a list starting with
// [+-]digits, else {error, no_integer} ({error, not_a_list} for a non-list).
Term string_list_to_integer(Process& p, Term* args) {
    if (!is_cons(args[0]) && !is_nil(args[0])) return string_error(p, atom::kNotAList);
    std::string text = leading_chars(args[0]);
    size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0, start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
        ++i;
    if (i == start) return string_error(p, atom::kNoInteger);
    Term n = integer_from_text(p, text.substr(0, i), 10);
    if (n == kNone) return kNone;
    return number_and_rest(p, args, n, i);
}

// string:list_to_float/1: {Float, Rest} or {error, no_float | not_a_list}.
Term string_list_to_float(Process& p, Term* args) {
    if (!is_cons(args[0]) && !is_nil(args[0])) return string_error(p, atom::kNotAList);
    std::string text = leading_chars(args[0]);
    size_t used = float_prefix(text);
    if (used == 0) return string_error(p, atom::kNoFloat);
    std::string number = text.substr(0, used);
    std::replace(number.begin(), number.end(), ',', '.');
    double d = std::strtod(number.c_str(), nullptr);
    if (!std::isfinite(d)) return string_error(p, atom::kNoFloat);
    Term* mem = alloc(p, kFloatWords);
    if (!mem) return heap_exhausted(p);
    return number_and_rest(p, args, term::make_float(mem, d), used);
}

Term list_to_float(Process& p, Term* args) {
    std::string text;
    if (!flat_chars(args[0], text)) return badarg(p, 1, "not a textual representation of a float");
    // Erlang's syntax: [+-]digits.digits[(e|E)[+-]digits]
    size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    auto digits = [&]() {
        size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9')
            ++i;
        return i > start;
    };
    bool ok = digits() && i < text.size() && text[i++] == '.' && digits();
    if (ok && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
        ok = digits();
    }
    if (!ok || i != text.size()) return badarg(p, 1, "not a textual representation of a float");
    double d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(d)) return badarg(p, 1, "not a textual representation of a float");
    Term* mem = alloc(p, kFloatWords);
    if (!mem) return heap_exhausted(p);
    return term::make_float(mem, d);
}

}  // namespace impl

}  // namespace bif
