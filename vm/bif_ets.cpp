// bif_ets: the ets module's BIFs. They check arguments and access, take
// the table's lock (shared to read, alone to write) and copy objects in
// (ets::object_new, before the lock where they can) and out (onto the
// caller's heap, sized first, under the lock). The tables and their
// policies are ets.*; OTP's ets.erl does the rest (foldl, tab2list, i/0,
// fun2ms) on top of these.
#include <gmp.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vm/bif.h"
#include "vm/ets.h"
#include "vm/ets_match.h"
#include "vm/heap.h"
#include "vm/process.h"
#include "vm/reply.h"
#include "vm/scheduler.h"
#include "vm/signal.h"

namespace bif {

using namespace term;
using ets::Object;
using ets::Table;

namespace {

// ---- tables and access -------------------------------------------------------------

enum class Need : uint8_t { kRead, kWrite };

// badarg for a tid naming no table: cause `type` when it is not even an
// atom or a ref, else `id` (OTP's erl_stdlib_errors words them).
Term no_table(Process& p, Term tid) {
    if (!term::is_atom(tid) && !is_ref(tid))
        return badarg_cause(p, 1, "not an atom or a table identifier", make_atom(atom::kType));
    return badarg_cause(p, 1, "the table identifier does not refer to an existing ETS table",
                        make_atom(atom::kId));
}

// badarg for a change only the owner may make: `access` when the caller
// may not even write to the table, else `not_owner`.
Term not_owner(Process& p, const Table& t) {
    if (t.access != ets::Access::kPublic)
        return badarg_cause(
            p, 1, "the table identifier refers to an ETS table with insufficient access rights",
            make_atom(atom::kAccess));
    return badarg_cause(p, 1, "the process does not own the table", make_atom(atom::kNotOwner));
}

// badarg for an operation the table's type does not support.
Term wrong_type(Process& p) {
    return badarg_cause(p, 1, "the table type is not supported by this operation",
                        make_atom(atom::kTableType));
}

// A table deleted after table_for found it (its owner ended meanwhile):
// checked once its lock is held. Deletion marks a table before it takes
// every lock to free the objects, so a call that holds a lock and finds
// it unmarked sees all of it, and one that finds it marked raises badarg,
// as OTP's, rather than seeing an empty table (or inserting into one that
// is gone, whose objects nothing would free).
bool gone(Process& p, const Table& t, Term tid) {
    if (!t.deleted) return false;
    no_table(p, tid);
    return true;
}

void free_all(const std::vector<Object*>& objects) {
    for (Object* o : objects)
        ets::object_free(o);
}

// The table `tid` names, if `p` may read it (public, protected) or write
// it (public) or owns it; else null, with badarg raised.
Table* table_for(Process& p, Term tid, Need need) {
    Table* t = ets::find(tid);
    if (!t || t->deleted) {
        no_table(p, tid);
        return nullptr;
    }
    bool owner = t->owner == p.pid;
    bool allowed = owner || t->access == ets::Access::kPublic ||
                   (need == Need::kRead && t->access == ets::Access::kProtected);
    if (!allowed) {
        badarg_cause(p, 1,
                     "the table identifier refers to an ETS table with insufficient access rights",
                     make_atom(atom::kAccess));
        return nullptr;
    }
    // A striped table's growth waits for a writer that holds no lock.
    if (need == Need::kWrite) ets::grow_if_wanted(*t);
    return t;
}

// The tid term of a table: its name when named, else its ref.
Term tid_term(Process& p, uint64_t id, Term name, bool named) {
    if (named) return name;
    Term* mem = alloc(p, kRefWords);
    if (!mem) return heap_exhausted(p);
    return term::make_ref(mem, id, 0);
}

// ---- copying out -----------------------------------------------------------------------

// Copies `terms` (in table objects, which stay put: the lock is held) onto
// p's heap as a list, each element made by `shape` (identity: the terms).
// Words of a copy of `t`: a tuple of immediates (most objects) is sized
// without a walk.
size_t copy_words(Term t) {
    size_t flat = heap::flat_size(t);
    return flat ? flat : heap::copy_size(t);
}

// A copy of `t` at `data` (copy_words of it), which it moves past.
Term copy_into(Process& p, Term t, Term*& data) {
    size_t flat = heap::flat_size(t);
    if (flat) {
        Term copy = heap::copy_flat(t, data, flat);
        data += flat;
        return copy;
    }
    Term copy = heap::copy_term(t, data, p.heap.off_heap);
    data += heap::copy_size(t);
    return copy;
}

size_t list_words(const std::vector<Term>& terms) {
    size_t words = terms.size() * kConsWords;
    for (Term t : terms)
        words += copy_words(t);
    return words;
}

// The list of copies of `terms` at `mem` (list_words of them), which it
// moves past.
Term list_into(Process& p, Term*& mem, const std::vector<Term>& terms) {
    Term* cells = mem;
    Term* data = mem + terms.size() * kConsWords;
    Term list = kNil;
    for (size_t i = terms.size(); i-- > 0;)
        list = make_cons(cells + 2 * i, copy_into(p, terms[i], data), list);
    mem = data;
    return list;
}

Term list_out(Process& p, const std::vector<Term>& terms) {
    size_t words = list_words(terms);
    Term* mem = alloc(p, words);
    if (!mem && words) return heap_exhausted(p);
    return list_into(p, mem, terms);
}

Term term_out(Process& p, Term t) {
    size_t words = heap::copy_size(t);
    if (words == 0) return t;
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    return heap::copy_term(t, mem, p.heap.off_heap);
}

// ---- copying in -------------------------------------------------------------------------

// A tuple that a table with key position `keypos` can hold.
bool storable(Term t, uint32_t keypos) {
    return term::is_tuple(t) && tuple_arity(t) >= keypos;
}

// insert/2's second argument as objects (copied, not yet in the table);
// false when it is neither a storable tuple nor a proper list of them.
bool objects_of(const Table& t, Term arg, std::vector<Object*>& out) {
    auto add = [&](Term tuple) {
        if (!storable(tuple, t.keypos)) return false;
        Object* o = ets::object_new(tuple, ets::lock_hash(t, tuple_element(tuple, t.keypos)));
        if (!o) return false;
        out.push_back(o);
        return true;
    };
    bool ok = true;
    if (term::is_tuple(arg)) {
        ok = add(arg);
    } else {
        Term l = arg;
        for (; ok && is_cons(l); l = cdr(l))
            ok = add(car(l));
        ok = ok && l == kNil;
    }
    if (!ok) {
        for (Object* o : out)
            ets::object_free(o);
        out.clear();
    }
    // OTP inserts a list into a bag last object first: ets:insert(B, [{k,1},
    // {k,2}]) then lookup(B, k) gives [{k,2},{k,1}] (a duplicate_bag keeps
    // the list's order).
    if (t.kind == ets::Kind::kBag) std::reverse(out.begin(), out.end());
    return ok;
}

// ---- options of new/2 ----------------------------------------------------------------

bool boolean_option(Term value, bool& field) {
    if (value != kTrue && value != kFalse) return false;
    field = value == kTrue;
    return true;
}

bool tuple_option(Term o, Table& t) {
    uint64_t arity = tuple_arity(o);
    Term what = tuple_element(o, 1);
    Term value = arity >= 2 ? tuple_element(o, 2) : kNone;
    if (arity == 2 && what == make_atom(atom::kKeypos)) {
        if (!is_small(value) || small_value(value) < 1 || small_value(value) > 0xFFFFFF)
            return false;
        t.keypos = uint32_t(small_value(value));
        return true;
    }
    if (arity == 2 && what == make_atom(atom::kHeir) && value == make_atom(atom::kNoneAccess)) {
        t.heir = value;
        return true;
    }
    if (arity == 3 && what == make_atom(atom::kHeir) && is_local_pid(value)) {
        if (!process::lookup(value)) {
            // As OTP's set_heir: a heir that is not alive is no heir (info
            // says none, and the table dies with its owner).
            if (t.heir_data) ets::object_free(t.heir_data);
            t.heir_data = nullptr;
            t.heir = make_atom(atom::kNoneAccess);
            return true;
        }
        Term holder[2];
        Term data = term::make_tuple(holder, 1);
        holder[1] = tuple_element(o, 3);
        if (t.heir_data) ets::object_free(t.heir_data);
        t.heir_data = ets::object_new(data, 0);
        t.heir = value;
        return t.heir_data != nullptr;
    }
    if (arity != 2) return false;
    if (what == make_atom(atom::kReadConcurrency)) return boolean_option(value, t.read_concurrency);
    if (what == make_atom(atom::kWriteConcurrency)) {
        if (value == make_atom(atom::kAuto)) return t.write_concurrency = true;
        return boolean_option(value, t.write_concurrency);
    }
    if (what == make_atom(atom::kDecentralizedCounters))
        return boolean_option(value, t.decentralized_counters);
    return false;
}

bool option(Term o, Table& t) {
    if (term::is_tuple(o) && tuple_arity(o) >= 2) return tuple_option(o, t);
    if (!term::is_atom(o)) return false;
    switch (atom_index(o)) {
        case atom::kSet:
            // The default; in OTP the option changes nothing, so
            // [bag, set] makes a bag.
            break;
        case atom::kOrderedSet:
            t.kind = ets::Kind::kOrderedSet;
            break;
        case atom::kBag:
            t.kind = ets::Kind::kBag;
            break;
        case atom::kDuplicateBag:
            t.kind = ets::Kind::kDuplicateBag;
            break;
        case atom::kPublic:
            t.access = ets::Access::kPublic;
            break;
        case atom::kProtected:
            t.access = ets::Access::kProtected;
            break;
        case atom::kPrivate:
            t.access = ets::Access::kPrivate;
            break;
        case atom::kNamedTable:
            t.named = true;
            break;
        case atom::kCompressed:
            t.compressed = true;
            break;
        default:
            return false;
    }
    return true;
}

// ---- update_counter and update_element ---------------------------------------------

// Terms built while a table is locked (bignums and the new tuple of an
// update) go in a Scratch: no collection moves them; ets::object_new
// copies them into the table.
using ets_match::Scratch;

void to_mpz(mpz_t z, Term t) {
    if (is_small(t)) {
        mpz_set_si(z, small_value(t));
        return;
    }
    mpz_import(z, bignum_limb_count(t), -1, sizeof(Limb), 0, 0, bignum_limbs(t));
    if (bignum_negative(t)) mpz_neg(z, z);
}

Term from_mpz(mpz_srcptr z, Scratch& scratch) {
    size_t n = mpz_size(z);
    if (n == 0) return make_small(0);
    if (n == 1 && mpz_fits_slong_p(z) && fits_small(mpz_get_si(z)))
        return make_small(mpz_get_si(z));
    Term* mem = scratch.take(bignum_words(n));
    return make_bignum(mem, mpz_sgn(z) < 0, reinterpret_cast<const Limb*>(mpz_limbs_read(z)), n);
}

// One {Pos, Incr[, Threshold, SetValue]} applied to `elements` (1-based
// positions in elements[pos - 1]); false when it is not a valid op, with
// `cause` keypos or position where OTP names one (else left nil).
bool counter_op(Term op, uint32_t keypos, std::vector<Term>& elements, Scratch& scratch,
                Term& result, Term& cause) {
    Term pos_term, incr, threshold = kNone, set_value = kNone;
    if (is_integer(op)) {
        pos_term = make_small(int64_t(keypos) + 1);  // Incr alone: {KeyPos + 1, Incr}
        incr = op;
    } else if (term::is_tuple(op) && (tuple_arity(op) == 2 || tuple_arity(op) == 4)) {
        pos_term = tuple_element(op, 1);
        incr = tuple_element(op, 2);
        if (tuple_arity(op) == 4) {
            threshold = tuple_element(op, 3);
            set_value = tuple_element(op, 4);
            if (!is_integer(threshold) || !is_integer(set_value)) return false;
        }
    } else {
        return false;
    }
    if (!is_small(pos_term) || !is_integer(incr)) return false;
    int64_t pos = small_value(pos_term);
    if (uint64_t(pos) == keypos) cause = make_atom(atom::kKeypos);
    if (pos < 1 || uint64_t(pos) > elements.size()) cause = make_atom(atom::kPosition);
    if (cause != kNil) return false;
    Term current = elements[size_t(pos - 1)];
    if (!is_integer(current)) return false;
    mpz_t a, b;
    mpz_init(a);
    mpz_init(b);
    to_mpz(a, current);
    to_mpz(b, incr);
    mpz_add(a, a, b);
    if (threshold != kNone) {
        to_mpz(b, threshold);
        bool up = !(is_small(incr) ? small_value(incr) < 0 : bignum_negative(incr));
        if ((up && mpz_cmp(a, b) > 0) || (!up && mpz_cmp(a, b) < 0)) to_mpz(a, set_value);
    }
    result = from_mpz(a, scratch);
    mpz_clear(a);
    mpz_clear(b);
    elements[size_t(pos - 1)] = result;
    return true;
}

// Replaces the object `old` of a set with a tuple of `elements`.
bool replace_object(Table& t, Object* old, const std::vector<Term>& elements, Scratch& scratch,
                    Object*& now) {
    Term* mem = scratch.take(tuple_words(elements.size()));
    Term tuple = term::make_tuple(mem, elements.size());
    std::copy(elements.begin(), elements.end(), mem + 1);
    now = ets::object_new(tuple, old->hash);
    if (!now) return false;
    ets::insert(t, now);  // a set's insert replaces (and frees) old
    return true;
}

// The object of `key` in a set or ordered_set, or null.
Object* only_object(const Table& t, Term key) {
    Object* found = nullptr;
    ets::for_key(t, key, [&](const Object* o) { found = const_cast<Object*>(o); });
    return found;
}

// ---- match --------------------------------------------------------------------------

// The objects matching `pattern`: by direct lookup when its key is
// ground, else by a walk in table order (lock held).
template <typename F>
void matching(const Table& t, Term pattern, F f) {
    ets_match::Bindings b;
    if (term::is_tuple(pattern) && tuple_arity(pattern) >= t.keypos &&
        ets_match::is_ground(tuple_element(pattern, t.keypos))) {
        ets::for_key(t, tuple_element(pattern, t.keypos), [&](const Object* o) {
            if (ets_match::match(pattern, o->tuple(), b)) f(o, b);
        });
        return;
    }
    if (!term::is_tuple(pattern) && pattern != make_atom(atom::kUnderscore) &&
        ets_match::variable_number(pattern) < 0)
        return;
    auto match = [&](const Object* o) {
        if (ets_match::match(pattern, o->tuple(), b)) f(o, b);
    };
    if (t.kind == ets::Kind::kOrderedSet && term::is_tuple(pattern) &&
        tuple_arity(pattern) >= t.keypos) {
        ets::KeyPrefix range = ets_match::key_prefix(tuple_element(pattern, t.keypos));
        if (range.narrows) return ets::for_range(t, range, false, match);
    }
    ets::for_each(t, match);
}

// Builds [[V1, V2, ...], ...] of match/2 (lists of bindings) on the heap.
Term bindings_out(Process& p, const std::vector<std::vector<Term>>& rows) {
    size_t words = rows.size() * kConsWords;
    for (const auto& row : rows) {
        words += row.size() * kConsWords;
        for (Term v : row)
            words += heap::copy_size(v);
    }
    Term* mem = alloc(p, words);
    if (!mem && words) return heap_exhausted(p);
    Term list = kNil;
    for (size_t r = rows.size(); r-- > 0;) {
        Term inner = kNil;
        for (size_t i = rows[r].size(); i-- > 0;) {
            Term copy = heap::copy_term(rows[r][i], mem, p.heap.off_heap);
            mem += heap::copy_size(rows[r][i]);
            inner = make_cons(mem, copy, inner);
            mem += kConsWords;
        }
        list = make_cons(mem, inner, list);
        mem += kConsWords;
    }
    return list;
}

// The process whose end ets_owner_exited handles (the transfers' sender).
thread_local Process* t_exiting = nullptr;

// ---- select and its kin ----------------------------------------------------------------

// What a walk under a match specification does with each object the
// specification gives a value for.
enum class Keep : uint8_t {
    kValues,   // select: collect the values
    kCount,    // select_count: count the objects whose value is true
    kDelete,   // select_delete: remove the objects whose value is true
    kReplace,  // select_replace: replace each object by its value
};

struct Walk {
    Walk(const ets_match::Spec& s, Keep k, size_t l = 0, bool r = false)
        : spec(s), keep(k), limit(l), reverse(r) {}
    const ets_match::Spec& spec;
    Keep keep;
    size_t limit;  // 0: none
    bool reverse;
    std::vector<Term> values;
    std::vector<Object*> chosen;  // kDelete, kReplace: (object, value) pairs
    size_t count = 0;
    Term last_key = kNone;  // of the last object taken, when stopped by the limit
    bool more = false;      // stopped by the limit with objects left
    // ordered_set: the range of keys the specification keeps to, if it
    // narrows; a chunked walk ends where it ends.
    ets::KeyPrefix range;
};

// What the walk does with object `o`, given the specification's value
// for it (kNone: no clause matched).
void keep(Walk& w, const Table& t, const Object* o, Term v) {
    if (v == kNone) return;
    switch (w.keep) {
        case Keep::kValues:
            w.values.push_back(v);
            w.last_key = ets::object_key(o, t.keypos);
            break;
        case Keep::kCount:
            w.count += v == kTrue;
            break;
        case Keep::kDelete:
            if (v == kTrue) w.chosen.push_back(const_cast<Object*>(o));
            break;
        case Keep::kReplace:
            w.chosen.push_back(const_cast<Object*>(o));
            w.values.push_back(v);
            break;
    }
}

// Runs the walk's specification over the objects from `start`.
void walk_objects(Process& p, const Table& t, const Object* start, Walk& w, Scratch& scratch) {
    ets_match::Context cx{p, scratch};
    size_t seen = 0;
    // A continuation goes on after the last key taken, so a chunk takes
    // the matching objects of a bag's key all together, even past the
    // limit: stopped in the middle of a key, the rest would be lost.
    bool bag = t.kind == ets::Kind::kBag || t.kind == ets::Kind::kDuplicateBag;
    ets::walk_from(t, start, w.reverse, [&](const Object* o) {
        ++seen;
        if (w.range.narrows && !ets::in_range(t, o, w.range)) return false;
        if (w.limit && w.values.size() >= w.limit) {
            // One more match means another chunk.
            Term v = ets_match::run(w.spec, o->tuple(), cx);
            if (v == kNone) return true;
            if (bag && exact_equal(ets::object_key(o, t.keypos), w.last_key)) {
                keep(w, t, o, v);
                return true;
            }
            w.more = true;
            return false;
        }
        keep(w, t, o, ets_match::run(w.spec, o->tuple(), cx));
        return true;
    });
    charge(seen);
}

// The objects of an ordered_set in the range of keys every clause's head
// keeps to (see ets::KeyPrefix): false when there is none.
bool walk_range(Process& p, const Table& t, Walk& w, Scratch& scratch) {
    if (t.kind != ets::Kind::kOrderedSet) return false;
    ets::KeyPrefix range = ets_match::spec_prefix(w.spec, t.keypos, scratch);
    if (!range.narrows) return false;
    std::vector<const Object*> objects;
    ets::for_range(t, range, w.reverse, [&](const Object* o) { objects.push_back(o); });
    ets_match::Context cx{p, scratch};
    for (const Object* o : objects)
        keep(w, t, o, ets_match::run(w.spec, o->tuple(), cx));
    charge(objects.size());
    return true;
}

// The objects of the one key every clause's head names, or false.
bool walk_key(Process& p, const Table& t, Walk& w, Scratch& scratch) {
    Term key = ets_match::bound_key(w.spec, t.keypos);
    if (key == kNone) return false;
    std::vector<const Object*> objects;
    ets::for_key(t, key, [&](const Object* o) { objects.push_back(o); });
    ets_match::Context cx{p, scratch};
    for (const Object* o : objects)
        keep(w, t, o, ets_match::run(w.spec, o->tuple(), cx));
    return true;
}

// The objects of one key, or of one range of keys, when the
// specification keeps to them; else the whole table. (A walk with a limit
// is a chunk of a continuation: it goes in table order, see select_chunk.)
void walk_table(Process& p, const Table& t, Walk& w, Scratch& scratch) {
    if (!w.limit && (walk_key(p, t, w, scratch) || walk_range(p, t, w, scratch))) return;
    walk_objects(p, t, w.reverse ? ets::last(t) : ets::first(t), w, scratch);
}

// A continuation of select/3 and friends: {Tid, Limit, Reverse (0 or 1),
// {'$beamlite_compiled_ms', MatchSpec}, [LastKey], 0}, the shape of OTP's
// continuations of hash tables ({Table, N1, N2, MSRef, L, N3}), so that
// OTP's ets:repair_continuation/2 takes it (and, the specification being
// compiled, returns it as it is).
constexpr size_t kContinuationArity = 6;

bool compiled_shape(Term c) {
    return term::is_tuple(c) && tuple_arity(c) == 2 &&
           tuple_element(c, 1) == make_atom(atom::kBeamliteCompiledMs);
}

bool is_continuation(Term c) {
    if (!term::is_tuple(c) || tuple_arity(c) != kContinuationArity) return false;
    Term limit = tuple_element(c, 2), reverse = tuple_element(c, 3), keys = tuple_element(c, 5);
    return is_small(limit) && small_value(limit) > 0 &&
           (reverse == make_small(0) || reverse == make_small(1)) &&
           compiled_shape(tuple_element(c, 4)) && is_cons(keys) && cdr(keys) == kNil &&
           tuple_element(c, 6) == make_small(0);
}

// select/3, select_reverse/3, match/3, match_object/3 (from the start) and
// select/1 and friends (from a continuation). The tid and the
// specification are args[0] and args[1], or, `resuming`, elements of the
// continuation args[0]: read through the registers (roots) after every
// allocation.
Term select_chunk(Process& p, Term* args, size_t limit, bool reverse, bool resuming) {
    auto tid = [&] { return resuming ? tuple_element(args[0], 1) : args[0]; };
    auto ms = [&] { return resuming ? tuple_element(tuple_element(args[0], 4), 2) : args[1]; };
    Table* t = table_for(p, tid(), Need::kRead);
    if (!t) return kNone;
    ets_match::Spec spec;
    if (!ets_match::compile(ms(), spec)) return badarg(p, 2, "not a valid match specification");
    Scratch scratch;
    Walk w{spec, Keep::kValues, limit, reverse && t->kind == ets::Kind::kOrderedSet};
    ets::TableLock guard(*t, false);
    if (gone(p, *t, tid())) return kNone;
    if (t->kind == ets::Kind::kOrderedSet)
        w.range = ets_match::spec_prefix(spec, t->keypos, scratch);
    const Object* start;
    if (!resuming && w.range.narrows) {
        start = ets::range_start(*t, w.range, w.reverse);
    } else if (!resuming) {
        start = w.reverse ? ets::last(*t) : ets::first(*t);
    } else {
        bool found = false;
        Term key = car(tuple_element(args[0], 5));
        start = w.reverse ? ets::prev(*t, key, found) : ets::next(*t, key, found);
    }
    walk_objects(p, *t, start, w, scratch);
    if (w.values.empty()) return make_atom(atom::kEndOfTable);
    // {Values, Continuation} in one allocation: nothing built here is a
    // root while another allocation could collect.
    size_t key_words = w.more ? heap::copy_size(w.last_key) : 0;
    size_t cont_words =
        w.more ? tuple_words(kContinuationArity) + tuple_words(2) + kConsWords + key_words : 0;
    Term* mem = alloc(p, list_words(w.values) + tuple_words(2) + cont_words);
    if (!mem) return heap_exhausted(p);
    Term values = list_into(p, mem, w.values);
    Term cont = make_atom(atom::kEndOfTable);
    if (w.more) {
        Term key = heap::copy_term(w.last_key, mem, p.heap.off_heap);
        mem += key_words;
        Term keys = make_cons(mem, key, kNil);
        mem += kConsWords;
        Term compiled = put_tuple2(mem, make_atom(atom::kBeamliteCompiledMs), ms());
        cont = term::make_tuple(mem, kContinuationArity);
        mem[1] = tid();
        mem[2] = make_small(int64_t(limit));
        mem[3] = make_small(w.reverse ? 1 : 0);
        mem[4] = compiled;
        mem[5] = keys;
        mem[6] = make_small(0);
        mem += tuple_words(kContinuationArity);
    }
    return put_tuple2(mem, values, cont);
}

// match/3 and match_object/3's specification: [{Pattern, [], [Body]}].
Term pattern_spec(Process& p, Term pattern, Term body) {
    Term* mem = alloc(p, kConsWords + tuple_words(3) + kConsWords);
    if (!mem) return heap_exhausted(p);
    Term body_list = make_cons(mem, body, kNil);
    Term clause = term::make_tuple(mem + 2, 3);
    mem[3] = pattern;
    mem[4] = kNil;
    mem[5] = body_list;
    return make_cons(mem + 6, clause, kNil);
}

bool valid_limit(Term limit) {
    return is_small(limit) && small_value(limit) > 0;
}

// {'ETS-TRANSFER', Tab, From, Data} to the heir of a table whose owner
// ended (ets::owner_exited's sender); false when the heir is not alive.
bool send_transfer(Term heir, const Table& t, Term from) {
    if (!process::lookup(heir)) return false;
    Term ref_words[kRefWords];
    Term tab = t.named ? t.name : term::make_ref(ref_words, t.id, 0);
    Term data = t.heir_data ? tuple_element(t.heir_data->tuple(), 1) : kNil;
    Term mem[5];
    Term msg = term::make_tuple(mem, 4);
    mem[1] = make_atom(atom::kEtsTransfer);
    mem[2] = tab;
    mem[3] = from;
    mem[4] = data;
    signals::send(*t_exiting, heir, msg);
    return true;
}

// ---- info ----------------------------------------------------------------------------

Term kind_atom(ets::Kind k) {
    switch (k) {
        case ets::Kind::kSet:
            return make_atom(atom::kSet);
        case ets::Kind::kOrderedSet:
            return make_atom(atom::kOrderedSet);
        case ets::Kind::kBag:
            return make_atom(atom::kBag);
        case ets::Kind::kDuplicateBag:
            return make_atom(atom::kDuplicateBag);
    }
    return kNil;
}

Term access_atom(ets::Access a) {
    switch (a) {
        case ets::Access::kPublic:
            return make_atom(atom::kPublic);
        case ets::Access::kProtected:
            return make_atom(atom::kProtected);
        case ets::Access::kPrivate:
            return make_atom(atom::kPrivate);
    }
    return kNil;
}

// The value of info item `item` as a term with no heap part but the
// table's ref (at `ref_mem`, kRefWords), or kNone for an unknown item.
Term info_item(const Table& t, Term item, Term* ref_mem) {
    if (!term::is_atom(item)) return kNone;
    switch (atom_index(item)) {
        case atom::kId:
            return term::make_ref(ref_mem, t.id, 0);
        case atom::kDecentralizedCounters:
            return make_bool(t.decentralized_counters);
        case atom::kReadConcurrency:
            return make_bool(t.read_concurrency);
        case atom::kWriteConcurrency:
            return make_bool(t.write_concurrency);
        case atom::kCompressed:
            return make_bool(t.compressed);
        case atom::kMemory:
            return make_small(int64_t(ets::memory_words(t)));
        case atom::kOwner:
            return t.owner;
        case atom::kHeir:
            return t.heir;
        case atom::kName:
            return t.name;
        case atom::kSize:
            return make_small(int64_t(ets::size(t)));
        case atom::kNode:
            return make_atom(atom::kNonode);
        case atom::kNamedTable:
            return make_bool(t.named);
        case atom::kType:
            return kind_atom(t.kind);
        case atom::kKeypos:
            return make_small(t.keypos);
        case atom::kProtection:
            return access_atom(t.access);
        case atom::kFixed:
            return make_bool(t.fixations > 0);
        default:
            return kNone;
    }
}

constexpr uint32_t kInfoItems[] = {atom::kId,
                                   atom::kDecentralizedCounters,
                                   atom::kReadConcurrency,
                                   atom::kWriteConcurrency,
                                   atom::kCompressed,
                                   atom::kMemory,
                                   atom::kOwner,
                                   atom::kHeir,
                                   atom::kName,
                                   atom::kSize,
                                   atom::kNode,
                                   atom::kNamedTable,
                                   atom::kType,
                                   atom::kKeypos,
                                   atom::kProtection};

}  // namespace

Term ets_info1_impl(Process& p, Term tid) {
    if (!term::is_atom(tid) && !is_ref(tid)) return badarg(p, 1, "not a table identifier");
    Table* t = ets::find(tid);
    if (!t || t->deleted) return make_atom(atom::kUndefined);
    constexpr size_t n = std::size(kInfoItems);
    Term* mem = alloc(p, n * (kConsWords + 3) + kRefWords);
    if (!mem) return heap_exhausted(p);
    Term* ref_mem = mem;
    mem += kRefWords;
    ets::TableLock guard(*t, false);
    Term list = kNil;
    for (size_t i = n; i-- > 0;) {
        Term item = make_atom(kInfoItems[i]);
        Term pair = put_tuple2(mem, item, info_item(*t, item, ref_mem));
        list = make_cons(mem, pair, list);
        mem += kConsWords;
    }
    return list;
}

namespace {

// safe_fixed: false, or {FixedAt, [{Pid, Fixations}]}, FixedAt as
// erlang:timestamp/0 gives it, or (`monotonic`) as monotonic_time/0.
Term safe_fixed_info(Process& p, const Table& t, bool monotonic) {
    reply::Value value;
    {
        ets::TableLock guard(t, false);
        if (t.fixations == 0) return kFalse;
        std::vector<reply::Value> fixers;
        for (const ets::Fixer& f : t.fixers) {
            reply::Value pid;
            pid.immediate = f.pid;
            fixers.push_back(reply::tuple({pid, reply::integer(f.count)}));
        }
        int64_t us = t.fixed_system_ns / 1000;
        reply::Value when = monotonic ? reply::integer(t.fixed_monotonic_ns)
                                      : reply::tuple({reply::integer(us / 1000000000000),
                                                      reply::integer(us / 1000000 % 1000000),
                                                      reply::integer(us % 1000000)});
        value = reply::tuple({when, reply::list(fixers)});
    }
    return reply::build(p, value);
}

}  // namespace

Term ets_info2_impl(Process& p, Term tid, Term item) {
    if (!term::is_atom(tid) && !is_ref(tid)) return badarg(p, 1, "not a table identifier");
    Table* t = ets::find(tid);
    if (!t || t->deleted) return make_atom(atom::kUndefined);
    if (item == make_atom(atom::kSafeFixed)) return safe_fixed_info(p, *t, false);
    if (item == make_atom(atom::kSafeFixedMonotonicTime)) return safe_fixed_info(p, *t, true);
    // Heap words only for the ref of `id`: an allocated word left unwritten
    // would break the heap's walk.
    Term* mem = nullptr;
    if (item == make_atom(atom::kId) && !(mem = alloc(p, kRefWords))) return heap_exhausted(p);
    ets::TableLock guard(*t, false);
    Term value = info_item(*t, item, mem);
    if (value == kNone) return badarg(p, 2, "not a valid info item");
    return value;
}

namespace {}  // namespace

void ets_owner_exited(Process& p) {
    t_exiting = &p;
    ets::owner_exited(p.pid, send_transfer);
    t_exiting = nullptr;
}

namespace impl {

Term ets_new(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    auto t = std::make_shared<Table>();
    t->heir = make_atom(atom::kNoneAccess);
    Term l = args[1];
    for (; is_cons(l); l = cdr(l))
        if (!option(car(l), *t)) return badarg(p, 2, "invalid creation option");
    if (l != kNil) return badarg(p, 2, "not a list");
    ets::prepare(*t);
    t->name = args[0];
    t->owner = p.pid;
    t->id = process::new_ref_id();
    if (!ets::add(t))
        return badarg_cause(p, 1, "table name already exists", make_atom(atom::kAlreadyExists));
    return tid_term(p, t->id, t->name, t->named);
}

Term ets_delete1(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    ets::remove(*t);
    return kTrue;
}

Term ets_insert(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    if (storable(args[1], t->keypos)) {
        // One object (the common call): no list to build.
        Object* o = ets::object_new(args[1], ets::lock_hash(*t, tuple_element(args[1], t->keypos)));
        if (!o) return fail(p, make_atom(atom::kSystemLimit));
        ets::KeyLock guard(*t, o->hash, true);
        if (gone(p, *t, args[0])) {
            ets::object_free(o);
            return kNone;
        }
        ets::insert(*t, o);
        return kTrue;
    }
    std::vector<Object*> objects;
    if (!objects_of(*t, args[1], objects)) return badarg(p, 2, "not a tuple");
    if (objects.size() == 1) {
        ets::KeyLock guard(*t, objects[0]->hash, true);
        if (gone(p, *t, args[0])) {
            ets::object_free(objects[0]);
            return kNone;
        }
        ets::insert(*t, objects[0]);
        return kTrue;
    }
    // A list goes in as one change: no reader sees part of it.
    ets::TableLock guard(*t, true);
    if (gone(p, *t, args[0])) {
        free_all(objects);
        return kNone;
    }
    for (Object* o : objects)
        ets::insert(*t, o);
    charge(objects.size());
    return kTrue;
}

Term ets_insert_new(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    std::vector<Object*> objects;
    if (!objects_of(*t, args[1], objects)) return badarg(p, 2, "not a tuple");
    std::optional<ets::KeyLock> one;
    std::optional<ets::TableLock> all;
    if (objects.size() == 1) {
        one.emplace(*t, objects[0]->hash, true);
    } else {
        all.emplace(*t, true);
    }
    if (gone(p, *t, args[0])) {
        free_all(objects);
        return kNone;
    }
    bool any = std::any_of(objects.begin(), objects.end(), [&](const Object* o) {
        return ets::has_key(*t, ets::object_key(o, t->keypos));
    });
    if (any) {
        free_all(objects);
        return kFalse;
    }
    for (Object* o : objects)
        ets::insert(*t, o);
    return kTrue;
}

Term ets_lookup(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    uint32_t hash = ets::lock_hash(*t, args[1]);
    ets::KeyLock guard(*t, hash, false);
    if (gone(p, *t, args[0])) return kNone;
    std::vector<Term> found;
    ets::for_key(*t, args[1], hash, [&](const Object* o) { found.push_back(o->tuple()); });
    return list_out(p, found);
}

Term ets_lookup_element(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    if (!is_small(args[2]) || small_value(args[2]) < 1) return badarg(p, 3, "not a valid position");
    uint64_t pos = uint64_t(small_value(args[2]));
    uint32_t hash = ets::lock_hash(*t, args[1]);
    ets::KeyLock guard(*t, hash, false);
    if (gone(p, *t, args[0])) return kNone;
    std::vector<Term> found;
    bool in_range = true;
    ets::for_key(*t, args[1], hash, [&](const Object* o) {
        if (pos > tuple_arity(o->tuple()))
            in_range = false;
        else
            found.push_back(tuple_element(o->tuple(), pos));
    });
    if (found.empty() && in_range)
        return badarg_cause(p, 2, "the key does not exist in the table", make_atom(atom::kBadkey));
    if (!in_range) return badarg(p, 3, "the position is greater than the size of the object");
    bool is_bag = t->kind == ets::Kind::kBag || t->kind == ets::Kind::kDuplicateBag;
    return is_bag ? list_out(p, found) : term_out(p, found.front());
}

Term ets_member(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets::KeyLock guard(*t, ets::lock_hash(*t, args[1]), false);
    if (gone(p, *t, args[0])) return kNone;
    return make_bool(ets::has_key(*t, args[1]));
}

Term ets_delete2(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    ets::KeyLock guard(*t, ets::lock_hash(*t, args[1]), true);
    if (gone(p, *t, args[0])) return kNone;
    for (Object* o : ets::remove_key(*t, args[1]))
        ets::object_free(o);
    return kTrue;
}

Term ets_delete_object(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    if (!storable(args[1], t->keypos)) return badarg(p, 2, "not a tuple");
    ets::KeyLock guard(*t, ets::lock_hash(*t, tuple_element(args[1], t->keypos)), true);
    if (gone(p, *t, args[0])) return kNone;
    ets::remove_object(*t, args[1]);
    return kTrue;
}

Term ets_take(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    ets::KeyLock guard(*t, ets::lock_hash(*t, args[1]), true);
    if (gone(p, *t, args[0])) return kNone;
    std::vector<Object*> taken = ets::remove_key(*t, args[1]);
    std::vector<Term> tuples;
    for (const Object* o : taken)
        tuples.push_back(o->tuple());
    Term result = list_out(p, tuples);
    for (Object* o : taken)
        ets::object_free(o);
    return result;
}

Term ets_internal_delete_all(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    ets::TableLock guard(*t, true);
    if (gone(p, *t, args[0])) return kNone;
    return make_small(int64_t(ets::clear(*t)));
}

// update_counter(Tab, Key, UpdateOp[, Default]).
Term update_counter(Process& p, Term* args, Term default_object) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    if (t->kind == ets::Kind::kBag || t->kind == ets::Kind::kDuplicateBag) return wrong_type(p);
    if (default_object != kNone && !storable(default_object, t->keypos))
        return badarg(p, 4, "not a valid default object");
    uint32_t hash = ets::lock_hash(*t, args[1]);
    ets::KeyLock guard(*t, hash, true);
    if (gone(p, *t, args[0])) return kNone;
    Object* o = only_object(*t, args[1]);
    Scratch scratch;
    std::vector<Term> elements;
    if (o) {
        elements.assign(tuple_elements(o->tuple()),
                        tuple_elements(o->tuple()) + tuple_arity(o->tuple()));
    } else if (default_object != kNone) {
        // The default, with the key in its key position; inserted only
        // once every operation has applied to it (as in OTP, a bad
        // operation leaves the table without it).
        elements.assign(tuple_elements(default_object),
                        tuple_elements(default_object) + tuple_arity(default_object));
        elements[t->keypos - 1] = args[1];
    } else {
        return badarg_cause(p, 2, "the key does not exist in the table", make_atom(atom::kBadkey));
    }
    std::vector<Term> results;
    Term cause = kNil;
    Term ops = args[2];
    bool many = is_cons(ops) || ops == kNil;
    if (!many) ops = kNone;
    Term l = many ? args[2] : kNil;
    for (; is_cons(l); l = cdr(l)) {
        Term r;
        if (!counter_op(car(l), t->keypos, elements, scratch, r, cause))
            return badarg_cause(p, 3, "invalid update operation", cause);
        results.push_back(r);
    }
    // A list of operations is a proper list ([{2, 1} | bad] is badarg).
    if (l != kNil) return badarg_cause(p, 3, "invalid update operation", cause);
    if (!many) {
        Term r;
        if (!counter_op(args[2], t->keypos, elements, scratch, r, cause))
            return badarg_cause(p, 3, "invalid update operation", cause);
        results.push_back(r);
    }
    if (!o) {
        Term* mem = scratch.take(tuple_words(elements.size()));
        Term tuple = term::make_tuple(mem, elements.size());
        std::copy(elements.begin(), elements.end(), mem + 1);
        Object* now = ets::object_new(tuple, hash);
        if (!now) return fail(p, make_atom(atom::kSystemLimit));
        ets::insert(*t, now);
        if (!many) return term_out(p, results.front());
        return list_out(p, results);
    }
    if (std::all_of(results.begin(), results.end(), [](Term e) { return is_small(e); })) {
        // Every new value is a small: written in place.
        std::copy(elements.begin(), elements.end(), tuple_elements(o->tuple()));
    } else {
        Object* now = nullptr;
        if (!replace_object(*t, o, elements, scratch, now))
            return fail(p, make_atom(atom::kSystemLimit));
    }
    if (!many) return term_out(p, results.front());
    return list_out(p, results);
}

Term ets_update_counter3(Process& p, Term* args) {
    return update_counter(p, args, kNone);
}

Term ets_update_counter4(Process& p, Term* args) {
    return update_counter(p, args, args[3]);
}

Term ets_update_element(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    if (t->kind == ets::Kind::kBag || t->kind == ets::Kind::kDuplicateBag) return wrong_type(p);
    ets::KeyLock guard(*t, ets::lock_hash(*t, args[1]), true);
    if (gone(p, *t, args[0])) return kNone;
    Object* o = only_object(*t, args[1]);
    if (!o) return kFalse;
    Term cause = kNil;
    std::vector<Term> elements(tuple_elements(o->tuple()),
                               tuple_elements(o->tuple()) + tuple_arity(o->tuple()));
    auto apply = [&](Term pair) {
        if (!term::is_tuple(pair) || tuple_arity(pair) != 2 || !is_small(tuple_element(pair, 1)))
            return false;
        int64_t pos = small_value(tuple_element(pair, 1));
        if (uint64_t(pos) == t->keypos) cause = make_atom(atom::kKeypos);
        if (cause != kNil || pos < 1 || uint64_t(pos) > elements.size()) return false;
        elements[size_t(pos - 1)] = tuple_element(pair, 2);
        return true;
    };
    bool ok = true;
    if (term::is_tuple(args[2])) {
        ok = apply(args[2]);
    } else {
        Term l = args[2];
        for (; ok && is_cons(l); l = cdr(l))
            ok = apply(car(l));
        ok = ok && l == kNil;
    }
    if (!ok) return badarg_cause(p, 3, "invalid update operation", cause);
    Scratch scratch;
    Object* now = nullptr;
    if (!replace_object(*t, o, elements, scratch, now))
        return fail(p, make_atom(atom::kSystemLimit));
    return kTrue;
}

// first/1, next/2, last/1, prev/2: a key, or '$end_of_table'.
Term key_out(Process& p, const Table& t, const Object* o) {
    if (!o) return make_atom(atom::kEndOfTable);
    return term_out(p, ets::object_key(o, t.keypos));
}

Term ets_first(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    return key_out(p, *t, ets::first(*t));
}

Term ets_last(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    return key_out(p, *t, ets::last(*t));
}

Term step(Process& p, Term* args, bool forward) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    bool found = false;
    const Object* o = forward ? ets::next(*t, args[1], found) : ets::prev(*t, args[1], found);
    if (!found) return badarg(p, 2, "the key does not exist in the table");
    return key_out(p, *t, o);
}

Term ets_next(Process& p, Term* args) {
    return step(p, args, true);
}

Term ets_prev(Process& p, Term* args) {
    return step(p, args, false);
}

Term ets_safe_fixtable(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    if (args[1] != kTrue && args[1] != kFalse) return badarg(p, 2, "not a boolean");
    ets::safe_fixtable(*t, p.pid, args[1] == kTrue);
    return kTrue;
}

Term ets_match2(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    std::vector<std::vector<Term>> rows;
    matching(*t, args[1],
             [&](const Object*, const ets_match::Bindings& b) { rows.push_back(b.in_order()); });
    charge(ets::size(*t));
    return bindings_out(p, rows);
}

Term ets_match_object2(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    std::vector<Term> found;
    matching(*t, args[1],
             [&](const Object* o, const ets_match::Bindings&) { found.push_back(o->tuple()); });
    charge(ets::size(*t));
    return list_out(p, found);
}

Term ets_info1(Process& p, Term* args) {
    return ets_info1_impl(p, args[0]);
}

Term ets_info2(Process& p, Term* args) {
    return ets_info2_impl(p, args[0], args[1]);
}

Term ets_select2(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets_match::Spec spec;
    if (!ets_match::compile(args[1], spec)) return badarg(p, 2, "not a valid match specification");
    Scratch scratch;
    Walk w{spec, Keep::kValues};
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    walk_table(p, *t, w, scratch);
    return list_out(p, w.values);
}

Term ets_select_reverse2(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets_match::Spec spec;
    if (!ets_match::compile(args[1], spec)) return badarg(p, 2, "not a valid match specification");
    Scratch scratch;
    Walk w{spec, Keep::kValues, 0, t->kind == ets::Kind::kOrderedSet};
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    walk_objects(p, *t, w.reverse ? ets::last(*t) : ets::first(*t), w, scratch);
    return list_out(p, w.values);
}

Term ets_select3(Process& p, Term* args) {
    if (!valid_limit(args[2])) return badarg(p, 3, "not a positive integer");
    return select_chunk(p, args, size_t(small_value(args[2])), false, false);
}

Term ets_select_reverse3(Process& p, Term* args) {
    if (!valid_limit(args[2])) return badarg(p, 3, "not a positive integer");
    return select_chunk(p, args, size_t(small_value(args[2])), true, false);
}

// select/1 and friends: args[0] is the continuation. Its tid and
// specification go to the registers select_chunk reads (roots).
Term ets_select1(Process& p, Term* args) {
    Term c = args[0];
    if (c == make_atom(atom::kEndOfTable)) return c;
    if (!is_continuation(c)) {
        // OTP looks a tuple's table up first: its cause is then id.
        if (term::is_tuple(c))
            return badarg_cause(p, 1, "not a valid continuation", make_atom(atom::kId));
        return badarg(p, 1, "not a valid continuation");
    }
    size_t limit = size_t(small_value(tuple_element(c, 2)));
    bool reverse = tuple_element(c, 3) == make_small(1);
    return select_chunk(p, args, limit, reverse, true);
}

Term ets_select_count(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    ets_match::Spec spec;
    if (!ets_match::compile(args[1], spec)) return badarg(p, 2, "not a valid match specification");
    Scratch scratch;
    Walk w{spec, Keep::kCount};
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    walk_table(p, *t, w, scratch);
    return make_small(int64_t(w.count));
}

Term ets_internal_select_delete(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    ets_match::Spec spec;
    if (!ets_match::compile(args[1], spec)) return badarg(p, 2, "not a valid match specification");
    Scratch scratch;
    Walk w{spec, Keep::kDelete};
    ets::TableLock guard(*t, true);
    if (gone(p, *t, args[0])) return kNone;
    walk_table(p, *t, w, scratch);
    for (Object* o : w.chosen)
        ets::erase(*t, o);
    return make_small(int64_t(w.chosen.size()));
}

// Each object the specification gives a value for is replaced by that
// value, which must be a tuple with the same key (=:=), else badarg and
// nothing is replaced (OTP checks the whole run first too).
Term ets_select_replace(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    if (t->kind == ets::Kind::kBag || t->kind == ets::Kind::kDuplicateBag) return wrong_type(p);
    ets_match::Spec spec;
    if (!ets_match::compile(args[1], spec)) return badarg(p, 2, "not a valid match specification");
    Scratch scratch;
    Walk w{spec, Keep::kReplace};
    ets::TableLock guard(*t, true);
    if (gone(p, *t, args[0])) return kNone;
    walk_table(p, *t, w, scratch);
    for (size_t i = 0; i < w.chosen.size(); ++i) {
        Term v = w.values[i];
        Term key = ets::object_key(w.chosen[i], t->keypos);
        if (!storable(v, t->keypos) || !exact_equal(tuple_element(v, t->keypos), key))
            return badarg(p, 2, "the match specification changes the key");
    }
    std::vector<Object*> fresh;
    for (size_t i = 0; i < w.chosen.size(); ++i) {
        Object* o = ets::object_new(w.values[i], w.chosen[i]->hash);
        if (!o) {
            for (Object* f : fresh)
                ets::object_free(f);
            return fail(p, make_atom(atom::kSystemLimit));
        }
        fresh.push_back(o);
    }
    for (Object* o : fresh)
        ets::insert(*t, o);  // a set's insert replaces the old object
    return make_small(int64_t(fresh.size()));
}

Term ets_match3(Process& p, Term* args) {
    if (!valid_limit(args[2])) return badarg(p, 3, "not a positive integer");
    Term ms = pattern_spec(p, args[1], make_atom(atom::kDollarDollar));
    if (ms == kNone) return kNone;
    args[1] = ms;
    return select_chunk(p, args, size_t(small_value(args[2])), false, false);
}

Term ets_match_object3(Process& p, Term* args) {
    if (!valid_limit(args[2])) return badarg(p, 3, "not a positive integer");
    Term ms = pattern_spec(p, args[1], make_atom(atom::kDollarUnderscore));
    if (ms == kNone) return kNone;
    args[1] = ms;
    return select_chunk(p, args, size_t(small_value(args[2])), false, false);
}

// A compiled specification is {'$beamlite_compiled_ms', MatchSpec} (OTP's
// is a magic reference; see README).
Term ets_match_spec_compile(Process& p, Term* args) {
    ets_match::Spec spec;
    if (!ets_match::compile(args[0], spec)) return badarg(p, 1, "not a valid match specification");
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    return put_tuple2(mem, make_atom(atom::kBeamliteCompiledMs), args[0]);
}

bool is_compiled(Term c) {
    return term::is_tuple(c) && tuple_arity(c) == 2 &&
           tuple_element(c, 1) == make_atom(atom::kBeamliteCompiledMs);
}

Term ets_is_compiled_ms(Process& p, Term* args) {
    ets_match::Spec spec;
    return make_bool(is_compiled(args[0]) && ets_match::compile(tuple_element(args[0], 2), spec));
}

// match_spec_run_r(List, Compiled, Acc): the values, newest first, on Acc.
Term ets_match_spec_run_r(Process& p, Term* args) {
    if (!is_compiled(args[1])) return badarg(p, 2, "not a compiled match specification");
    ets_match::Spec spec;
    if (!ets_match::compile(tuple_element(args[1], 2), spec))
        return badarg(p, 2, "not a compiled match specification");
    std::vector<Term> items;
    Term l = args[0];
    for (; is_cons(l); l = cdr(l))
        items.push_back(car(l));
    if (l != kNil) return badarg(p, 1, "not a list");
    // The items are copied off the heap first: guard BIFs may collect.
    Scratch scratch;
    for (Term& item : items)
        item = scratch.copy(item);
    ets_match::Context cx{p, scratch};
    std::vector<Term> values;
    for (Term item : items) {
        Term v = ets_match::run(spec, item, cx);
        if (v != kNone) values.push_back(v);
    }
    charge(items.size());
    size_t words = values.size() * kConsWords;
    for (Term v : values)
        words += heap::copy_size(v);
    Term* mem = alloc(p, words);
    if (!mem && words) return heap_exhausted(p);
    Term acc = args[2];
    for (Term v : values) {
        Term copy = heap::copy_term(v, mem, p.heap.off_heap);
        mem += heap::copy_size(v);
        acc = make_cons(mem, copy, acc);
        mem += kConsWords;
    }
    return acc;
}

// erlang:match_spec_test(Term, MatchSpec, table): {ok, Result, [], []}
// (Result false when no clause matches) or {error, [{error, Text}]}.
Term match_spec_test(Process& p, Term* args) {
    if (args[2] != make_atom(atom::kTable))
        return badarg(p, 3, "only table specifications are supported");
    // OTP's words for what is wrong; ours when OTP would take what we do
    // not. (Built in one allocation: a string made first would be moved
    // by the allocation of the tuples around it.)
    std::vector<std::string> errors = ets_match::diagnose(args[1]);
    ets_match::Spec spec;
    if (errors.empty() && !ets_match::compile(args[1], spec))
        errors.push_back("invalid match specification");
    if (!errors.empty()) {
        std::vector<reply::Value> list;
        for (std::string& text : errors)
            list.push_back(
                reply::tuple({reply::atom(atom::kError), reply::string(std::move(text))}));
        return reply::build(p, reply::tuple({reply::atom(atom::kError), reply::list(list)}));
    }
    Scratch scratch;
    Term item = scratch.copy(args[0]);
    ets_match::Context cx{p, scratch};
    Term v = ets_match::run(spec, item, cx);
    if (v == kNone) v = kFalse;
    size_t words = heap::copy_size(v);
    Term* mem = alloc(p, words + tuple_words(4));
    if (!mem) return heap_exhausted(p);
    Term result = heap::copy_term(v, mem, p.heap.off_heap);
    mem += words;
    Term out = term::make_tuple(mem, 4);
    mem[1] = make_atom(atom::kOk);
    mem[2] = result;
    mem[3] = kNil;
    mem[4] = kNil;
    return out;
}

// slot(Tab, I): the objects of bucket I (set, bag, duplicate_bag), the
// I-th object (ordered_set, from 0); '$end_of_table' just past the last
// slot, badarg beyond.
Term ets_slot(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kRead);
    if (!t) return kNone;
    if (!is_small(args[1]) || small_value(args[1]) < 0) return badarg(p, 2, "not a valid slot");
    size_t slot = size_t(small_value(args[1]));
    ets::TableLock guard(*t, false);
    if (gone(p, *t, args[0])) return kNone;
    std::vector<Term> found;
    size_t slots = t->kind == ets::Kind::kOrderedSet ? ets::size(*t) : t->buckets.size();
    if (slot == slots) return make_atom(atom::kEndOfTable);
    if (slot > slots) return badarg(p, 2, "not a valid slot");
    if (t->kind == ets::Kind::kOrderedSet) {
        found.push_back((*std::next(t->tree.begin(), long(slot)))->tuple());
    } else {
        for (const Object* o = t->buckets[slot]; o; o = o->next)
            found.push_back(o->tuple());
    }
    return list_out(p, found);
}

Term ets_whereis(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    Table* t = ets::find(args[0]);
    if (!t) return make_atom(atom::kUndefined);
    return tid_term(p, t->id, t->name, false);
}

Term ets_rename(Process& p, Term* args) {
    Table* t = table_for(p, args[0], Need::kWrite);
    if (!t) return kNone;
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    if (!ets::rename(*t, args[1])) return badarg(p, 2, "table name already exists");
    // OTP returns the new name for a named table, the table id otherwise
    // (an unnamed table is known by its id only, so that is args[0])
    return t->named ? args[1] : args[0];
}

Term ets_give_away(Process& p, Term* args) {
    Table* t = ets::find(args[0]);
    if (!t || t->deleted) return no_table(p, args[0]);
    if (t->owner != p.pid) return not_owner(p, *t);
    if (args[1] == p.pid)
        return badarg_cause(p, 2, "the process already owns the table", make_atom(atom::kOwner));
    if (!is_local_pid(args[1]) || !process::lookup(args[1]))
        return badarg(p, 2, "not a living process other than the owner");
    {
        ets::TableLock guard(*t, true);
        t->owner = args[1];
    }
    ets::note_owner(args[1]);
    ets::forget_owner(p.pid);
    Term mem[5];
    Term msg = term::make_tuple(mem, 4);
    mem[1] = make_atom(atom::kEtsTransfer);
    mem[2] = args[0];
    mem[3] = p.pid;
    mem[4] = args[2];
    signals::send(p, args[1], msg);
    return kTrue;
}

namespace {

// The options of setopts/2, each at most once (OTP refuses
// [{heir, P, D}, {heir, none}] and two protections alike): a table
// stands for them until all are known good.
struct Setopts {
    Table staged;  // heir and heir_data
    ets::Access access = ets::Access::kProtected;
    int heirs = 0, protections = 0;
};

bool protection_option(Term value, ets::Access& access) {
    if (value == make_atom(atom::kPublic)) {
        access = ets::Access::kPublic;
    } else if (value == make_atom(atom::kProtected)) {
        access = ets::Access::kProtected;
    } else if (value == make_atom(atom::kPrivate)) {
        access = ets::Access::kPrivate;
    } else {
        return false;
    }
    return true;
}

// One option of setopts/2: heir or protection. The options only new/2
// takes (keypos, read_concurrency...) are badarg, as in OTP.
bool setopts_option(Term o, Setopts& s) {
    if (!term::is_tuple(o) || tuple_arity(o) < 2) return false;
    Term what = tuple_element(o, 1);
    if (what == make_atom(atom::kHeir)) return ++s.heirs == 1 && tuple_option(o, s.staged);
    if (what == make_atom(atom::kProtection))
        return tuple_arity(o) == 2 && ++s.protections == 1 &&
               protection_option(tuple_element(o, 2), s.access);
    return false;
}

}  // namespace

Term ets_setopts(Process& p, Term* args) {
    Table* t = ets::find(args[0]);
    if (!t || t->deleted) return no_table(p, args[0]);
    if (t->owner != p.pid) {
        // OTP gives a caller that may write to the table (public) no
        // cause, so its report blames the options.
        if (t->access == ets::Access::kPublic) return badarg(p, 2, "invalid options");
        return not_owner(p, *t);
    }
    Setopts s;
    s.staged.heir = t->heir;
    s.access = t->access;
    Term l = term::is_tuple(args[1]) ? kNil : args[1];
    bool ok = term::is_tuple(args[1]) ? setopts_option(args[1], s) : true;
    for (; ok && is_cons(l); l = cdr(l))
        ok = setopts_option(car(l), s);
    if (!ok || l != kNil) return badarg(p, 2, "invalid options");
    ets::TableLock guard(*t, true);
    t->heir = s.staged.heir;
    std::swap(t->heir_data, s.staged.heir_data);
    t->access = s.access;
    return kTrue;
}

Term ets_internal_request_all(Process& p, Term* args) {
    std::vector<ets::Listed> tables = ets::all();
    Term* mem = alloc(p, kRefWords);
    if (!mem) return heap_exhausted(p);
    Term ref = term::make_ref(mem, process::new_ref_id(), 0);
    size_t words = tables.size() * (kConsWords + kRefWords) + kRefWords + 3;
    std::vector<Term> buffer(words);
    Term* at = buffer.data();
    Term list = kNil;
    for (const ets::Listed& l : tables) {
        Term tid = l.named ? l.name : term::make_ref(at, l.id, 0);
        if (!l.named) at += kRefWords;
        list = make_cons(at, tid, list);
        at += kConsWords;
    }
    // ets:all/0 waits for one reply per scheduler: the first has them all.
    unsigned schedulers = sched::count();
    for (unsigned i = 0; i < schedulers; ++i) {
        Term reply[3];
        Term msg = term::make_tuple(reply, 2);
        reply[1] = ref;
        reply[2] = i == 0 ? list : kNil;
        signals::send(p, p.pid, msg);
    }
    return ref;
}

}  // namespace impl

}  // namespace bif
