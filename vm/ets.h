// ets: Erlang term storage, the tables shared by processes outside every
// process heap. This file owns the tables, their objects, the registry of
// table ids and names, and the policies of access (public, protected,
// private), ownership (owner, heir, give_away) and iteration
// (safe_fixtable). The BIFs (bif_ets.cpp) parse arguments and copy objects
// in and out; match patterns and specifications are ets_match.*.
//
// An object is one tuple copied into its own block, self-contained as a
// message fragment is: it points only into itself and into the literal
// area, and its refc binary handles hold a reference each (linked on its
// off_heap list), so a table costs no process any GC time and a big binary
// is shared, not copied.
//
//   Object:  [next][hash][words][off_heap][tuple][data: the tuple ... ]
//                                             |        ^
//                                             +--------+
//
// Tables of kind set, bag and duplicate_bag chain objects in buckets by the
// hash of their key (the objects of one key stay together, in insertion
// order); ordered_set keeps them in a tree in term order of their keys.
// Every table has one reader-writer lock: readers share it (lookups from
// many schedulers run side by side); a write takes it alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <iterator>
#include <memory>
#include <set>
#include <shared_mutex>
#include <vector>

#include "vm/term.h"

namespace ets {

using term::Term;

struct Object {
    Object* next;    // the next object of the bucket (hash tables)
    uint32_t hash;   // of the key
    uint32_t words;  // of data
    Term* off_heap;  // refc binary handles inside data
    Term tuple;      // boxed pointer into data
    Term data[];     // NOLINT: flexible array, as C
};

// A copy of `tuple` (a tuple) in a new block; nullptr when out of memory.
Object* object_new(Term tuple, uint32_t hash);
void object_free(Object* o);
inline Term object_key(const Object* o, uint32_t keypos) {
    return term::tuple_element(o->tuple, keypos);
}

enum class Kind : uint8_t { kSet, kOrderedSet, kBag, kDuplicateBag };
enum class Access : uint8_t { kPublic, kProtected, kPrivate };

// Orders the objects of an ordered_set by key (compare, not exact: 1 and
// 1.0 are one key, as in OTP). Transparent: finds by a bare key.
struct KeyLess {
    using is_transparent = void;
    uint32_t keypos;
    bool operator()(const Object* a, const Object* b) const;
    bool operator()(const Object* a, Term key) const;
    bool operator()(Term key, const Object* b) const;
};

struct Table {
    uint64_t id = 0;         // the number of the table's ref
    Term name = term::kNil;  // an atom
    bool named = false;
    Kind kind = Kind::kSet;
    Access access = Access::kProtected;
    uint32_t keypos = 1;
    bool read_concurrency = false, write_concurrency = false;
    bool decentralized_counters = false, compressed = false;
    std::atomic<Term> owner{term::kNil};  // a pid; give_away and heirs change it
    // The heir (a pid, or kNoneAccess) and its data, kept as an object.
    Term heir = term::kNil;
    Object* heir_data = nullptr;
    int fixations = 0;                 // safe_fixtable(T, true) calls not yet undone
    std::atomic<bool> deleted{false};  // ets:delete/1 or its owner's end

    mutable std::shared_mutex lock;
    // set, bag, duplicate_bag: chained buckets, a power of two of them.
    std::vector<Object*> buckets;
    // ordered_set
    std::set<Object*, KeyLess> tree{KeyLess{1}};
    size_t size = 0;   // objects
    size_t words = 0;  // of the objects, for info(T, memory)

    ~Table();
};

using TablePtr = std::shared_ptr<Table>;

// ---- the registry -------------------------------------------------------------------

// Registers a new table; false when `named` and the name is taken.
bool add(const TablePtr& t);
// The table a tid (ref or name) names, or null.
TablePtr find(Term tid);
// Unregisters the table (ets:delete/1); its objects go when the last user
// lets go of it.
void remove(const TablePtr& t);
// Renames a named table; false when the new name is taken.
bool rename(const TablePtr& t, Term name);
// Every table, as ets:all/0 lists them (its tid terms need heap: refs are
// given as ids, names as atoms).
struct Listed {
    uint64_t id;
    Term name;
    bool named;
};
std::vector<Listed> all();

// The owner `pid` ends: each of its tables goes to its heir (which is sent
// {'ETS-TRANSFER', Tab, Pid, HeirData} by `send`) or is deleted. Called by
// the dying process before its exit signals go out.
using Transfer = void (*)(Term heir, const Table& t, Term from);
void owner_exited(Term pid, Transfer send);
// Drops a table from `pid`'s count (give_away).
void forget_owner(Term pid);
// Does `pid` own any table? (A quick check for the exit path.)
bool owns_tables(Term pid);
// Counts a table now owned by `pid` (new, give_away, heir).
void note_owner(Term pid);

// ---- objects in a table (the caller holds t.lock as it says) ----------------------------

// Hash of a key as the table stores it.
uint32_t key_hash(Term key);
// Writes (unique lock): inserts `o` as insert/2 does (replacing for a set,
// adding for a bag unless an equal object is there). Takes ownership.
void insert(Table& t, Object* o);
// True when an object with this key is there (any lock).
bool has_key(const Table& t, Term key);
// Calls f(Object*) for each object with `key`, in order (any lock).
template <typename F>
void for_key(const Table& t, Term key, F f);
// Removes every object with `key` (unique lock); returns them, in order,
// for the caller to copy out (take/2) and then free.
std::vector<Object*> remove_key(Table& t, Term key);
// Removes objects equal (=:=) to `object` (unique lock); returns how many.
size_t remove_object(Table& t, Term object);
// Removes every object (unique lock); returns how many.
size_t clear(Table& t);
// Removes one object found by walking (unique lock), then frees it.
void erase(Table& t, Object* o);

// Iteration in table order (any lock): the first object, the first object
// of the key after `key` (kNone key: none), and backwards for
// ordered_set. nullptr at the end. `found` says whether `key` itself is
// in the table (next/prev of a missing key is badarg unless fixed).
const Object* first(const Table& t);
const Object* next(const Table& t, Term key, bool& found);
const Object* last(const Table& t);
const Object* prev(const Table& t, Term key, bool& found);
// Every object in table order (any lock).
template <typename F>
void for_each(const Table& t, F f);
// The objects from `start` (included) on in table order, or backwards
// (`reverse`, ordered_set only), while f(const Object*) returns true.
template <typename F>
void walk_from(const Table& t, const Object* start, bool reverse, F f);

// ---- inline definitions ----------------------------------------------------------------

namespace detail {
size_t bucket_of(const Table& t, uint32_t hash);
}

template <typename F>
void for_key(const Table& t, Term key, F f) {
    if (t.kind == Kind::kOrderedSet) {
        auto it = t.tree.find(key);
        if (it != t.tree.end()) f(*it);
        return;
    }
    if (t.buckets.empty()) return;
    uint32_t hash = key_hash(key);
    for (Object* o = t.buckets[detail::bucket_of(t, hash)]; o; o = o->next)
        if (o->hash == hash && term::exact_equal(object_key(o, t.keypos), key)) f(o);
}

template <typename F>
void for_each(const Table& t, F f) {
    if (t.kind == Kind::kOrderedSet) {
        for (Object* o : t.tree)
            f(o);
        return;
    }
    for (Object* head : t.buckets)
        for (Object* o = head; o; o = o->next)
            f(o);
}

template <typename F>
void walk_from(const Table& t, const Object* start, bool reverse, F f) {
    if (!start) return;
    if (t.kind == Kind::kOrderedSet) {
        auto it = t.tree.find(const_cast<Object*>(start));
        if (reverse) {
            for (auto r = std::make_reverse_iterator(std::next(it)); r != t.tree.rend(); ++r)
                if (!f(*r)) return;
        } else {
            for (; it != t.tree.end(); ++it)
                if (!f(*it)) return;
        }
        return;
    }
    size_t b = detail::bucket_of(t, start->hash);
    for (const Object* o = start;;) {
        if (!f(o)) return;
        o = o->next;
        while (!o && ++b < t.buckets.size())
            o = t.buckets[b];
        if (!o) return;
    }
}

}  // namespace ets
