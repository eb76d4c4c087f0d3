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
//   Object:  [next][hash|words][off_heap][data: the tuple ...]
//                                           ^ data[0] is the tuple's header
//
// 24 bytes of header: 10 million {Key, Value} objects of small integers
// take 48 bytes each (mimalloc's 48-byte size class, no slack) plus their
// bucket pointer.
//
// Tables of kind set, bag and duplicate_bag chain objects in buckets by the
// hash of their key (the objects of one key stay together, in insertion
// order); ordered_set keeps them in a B-tree in term order of their keys
// (absl::btree_set: about 10 bytes per object, where a red-black tree
// node costs 48).
//
// Locks. A table has one reader-writer lock, or, for a hash table created
// with write_concurrency or read_concurrency, kStripes of them, each on
// its own cache lines. Stripe i guards the buckets whose index is i modulo
// the stripes (the stripes divide the buckets, so a key keeps its stripe
// when the buckets double) and counts their objects. A key's operation
// (lookup, insert, delete, update_counter) takes its stripe only: readers
// share it, and writers to keys of different stripes run side by side.
// An operation on the whole table (iteration, match, select, a list
// insert, growing the buckets) takes every stripe, in order.
//
// With read_concurrency each stripe's lock has reader groups (OTP's
// reader-optimised rwlocks): a reader counts itself on its scheduler's
// group, a cache line of its own, so readers on different schedulers
// write no line in common (a shared_mutex's readers all write its one
// word, and lookups of one key from two schedulers did not scale); a
// writer raises a flag the readers check, then waits for every group to
// empty. Writers pay for that: a group per scheduler to look at.
//
//   Table --> stripes: [lock|size|words] [lock|size|words] ... (64 bytes apart)
//                        `-> read_concurrency: groups [n][n]... (64 bytes apart)
//         --> buckets: [o][ ][o][o] ...   bucket b is guarded by stripe b % stripes
#pragma once

#include <absl/container/btree_set.h>

#include <atomic>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "vm/term.h"

namespace ets {

using term::Term;

struct Object {
    Object* next;    // the next object of the bucket (hash tables)
    uint32_t hash;   // of the key
    uint32_t words;  // of data
    Term* off_heap;  // refc binary handles inside data
    Term data[];     // NOLINT: flexible array, as C; the tuple first

    Term tuple() const { return term::make_boxed_ptr(data); }
};

// A copy of `tuple` (a tuple) in a new block; nullptr when out of memory.
Object* object_new(Term tuple, uint32_t hash);
void object_free(Object* o);
inline Term object_key(const Object* o, uint32_t keypos) {
    return term::tuple_element(o->tuple(), keypos);
}

enum class Kind : uint8_t { kSet, kOrderedSet, kBag, kDuplicateBag };
enum class Access : uint8_t { kPublic, kProtected, kPrivate };

// The keys a partly bound key pattern can match (as {a, '_'}, or
// [$a, $b | '_'] for the strings that begin with "ab"): those equal to
// it in term order up to its first wildcard ('_' or '$N'). Tuples are
// ordered by size, then element by element, and lists element by
// element, so these keys are one range of an ordered_set: a match or
// select walks that range, not the table.
struct KeyPrefix {
    Term pattern = term::kNil;
    bool narrows = false;  // false: no range (the pattern is a wildcard)
};

// Orders the objects of an ordered_set by key (compare, not exact: 1 and
// 1.0 are one key, as in OTP). Transparent: finds by a bare key, and the
// range of a KeyPrefix.
struct KeyLess {
    using is_transparent = void;
    uint32_t keypos;
    bool operator()(const Object* a, const Object* b) const;
    bool operator()(const Object* a, Term key) const;
    bool operator()(Term key, const Object* b) const;
    bool operator()(const Object* a, const KeyPrefix& range) const;  // a before the range
    bool operator()(const KeyPrefix& range, const Object* b) const;  // b after it
};

// A process fixing a table, and how many times (safe_fixtable).
struct Fixer {
    Term pid;
    int count;
};

// A stripe's reader-writer lock: a shared_mutex, or with reader groups
// (use_reader_groups, before any use) the lock described above. A reader
// unlocks on the thread that locked (its group is its scheduler's).
class StripeLock {
  public:
    void use_reader_groups(uint32_t groups);
    void lock();
    void unlock();
    void lock_shared();
    void unlock_shared();

  private:
    struct alignas(64) Group {
        std::atomic<uint32_t> readers{0};
    };
    std::atomic<uint32_t>& my_group();

    std::shared_mutex plain_;          // without reader groups
    std::unique_ptr<Group[]> groups_;  // a power of two of them, or none
    uint32_t group_mask_ = 0;
    std::atomic<bool> writing_{false};  // a writer holds it or waits for readers
    std::mutex writers_;                // writers, one at a time
};

// One lock of a table and the count of the objects it guards.
struct alignas(64) Stripe {
    StripeLock lock;
    size_t size = 0;   // objects
    size_t words = 0;  // of their data
    // Keys deleted from a fixed hash table (each a 1-tuple {Key}), by
    // hash, until it is unfixed: next/2 goes on from such a key, where a
    // key the table never had while fixed is badarg (OTP keeps deleted
    // objects in a fixed table for that, "pseudo-deleted").
    std::unordered_multimap<uint32_t, Object*> graves;
};

// Stripes of a write_concurrency or read_concurrency hash table.
constexpr uint32_t kStripes = 64;

struct Table {
    uint64_t id = 0;         // the number of the table's ref
    Term name = term::kNil;  // an atom
    bool named = false;
    Kind kind = Kind::kSet;
    // setopts/2 changes it while others read it, holding no lock.
    std::atomic<Access> access{Access::kProtected};
    uint32_t keypos = 1;
    bool read_concurrency = false, write_concurrency = false;
    bool decentralized_counters = false, compressed = false;
    std::atomic<Term> owner{term::kNil};  // a pid; give_away and heirs change it
    // The heir (a pid, or kNoneAccess) and its data, kept as an object.
    Term heir = term::kNil;
    Object* heir_data = nullptr;
    // safe_fixtable(T, true) calls not yet undone, in all and by each
    // process (most recent first; a process's fixations go when it ends),
    // and when the table was fixed last from unfixed (the monotonic and the
    // system clock, nanoseconds) for info's safe_fixed items.
    int fixations = 0;
    std::vector<Fixer> fixers;
    int64_t fixed_monotonic_ns = 0, fixed_system_ns = 0;
    std::atomic<bool> deleted{false};  // ets:delete/1 or its owner's end

    // 1 or kStripes (a power of two); set by stripe() once the options
    // are known.
    uint32_t stripe_count = 1;
    mutable std::unique_ptr<Stripe[]> stripes;
    // A striped table's insert found its stripe full: the next writer
    // that holds no lock doubles the buckets (grow_if_wanted).
    std::atomic<bool> wants_growth{false};
    // set, bag, duplicate_bag: chained buckets, a power of two of them, at
    // least stripe_count, allocated by prepare() (never empty after it).
    std::vector<Object*> buckets;
    // ordered_set, and the count of its changes (which invalidate
    // iterators into it: see next()'s cursor).
    absl::btree_set<Object*, KeyLess> tree{KeyLess{1}};
    uint64_t tree_changes = 0;

    ~Table();
};

// Gives `t` its locks and (ordered_set) its tree's key position, once its
// options are parsed.
void prepare(Table& t);
// Objects in the table and the words of their data (for info; take a
// lock for an exact count, or none for an estimate).
size_t size(const Table& t);
size_t words(const Table& t);

// Words of the table as ets:info(T, memory) gives them (the table lock
// held); total_bytes: every table's, for erlang:memory(ets).
size_t memory_words(const Table& t);
size_t total_bytes();

// The stripe of a key's hash.
inline Stripe& stripe_of(const Table& t, uint32_t hash) {
    return t.stripes[hash & (t.stripe_count - 1)];
}

// Holds the stripe of one key: shared to read, alone to write.
class KeyLock {
  public:
    KeyLock(const Table& t, uint32_t hash, bool write);
    ~KeyLock();
    KeyLock(const KeyLock&) = delete;
    KeyLock& operator=(const KeyLock&) = delete;

  private:
    StripeLock& lock_;
    bool write_;
};

// Holds every stripe of a table, in order: shared to read, alone to
// write.
class TableLock {
  public:
    TableLock(const Table& t, bool write);
    ~TableLock();
    TableLock(const TableLock&) = delete;
    TableLock& operator=(const TableLock&) = delete;

  private:
    const Table& table_;
    bool write_;
};

// After a write that held only a KeyLock (and holds nothing now): doubles
// a striped table's buckets if an insert asked for it.
void grow_if_wanted(Table& t);

using TablePtr = std::shared_ptr<Table>;

// ---- the registry -------------------------------------------------------------------

// Registers a new table; false when `named` and the name is taken.
bool add(const TablePtr& t);
// The table a tid (ref or name) names, or null. The pointer stays valid
// until the calling thread's next find (the thread's cache of tables
// holds it; see ets.cpp).
Table* find(Term tid);
// Unregisters the table (ets:delete/1) and frees its objects; what is
// left of it goes when the last cache lets go of it.
void remove(Table& t);
// Renames a named table; false when the new name is taken.
bool rename(Table& t, Term name);
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
// the dying process before its exit signals go out. `send` returns false,
// sending nothing, when the heir is not alive: then the table is deleted,
// as in OTP. The heir stays the table's heir (OTP's info says so).
using Transfer = bool (*)(Term heir, const Table& t, Term from);
void owner_exited(Term pid, Transfer send);
// safe_fixtable(T, Fix) by `pid`: counts a fixation or undoes one of
// pid's (none: nothing happens), taking the table's locks.
void safe_fixtable(Table& t, Term pid, bool fix);
// The process `pid` ends: its fixations of tables are undone. A quick
// check first: does it fix any table?
bool fixes_tables(Term pid);
void fixer_exited(Term pid);
// Drops a table from `pid`'s count (give_away).
void forget_owner(Term pid);
// Does `pid` own any table? (A quick check for the exit path.)
bool owns_tables(Term pid);
// Counts a table now owned by `pid` (new, give_away, heir).
void note_owner(Term pid);

// ---- objects in a table (the caller holds t.lock as it says) ----------------------------

// Hash of a key as the table stores it.
uint32_t key_hash(Term key);
// Writes (the key's stripe alone, or the table's): inserts `o` as insert/2
// does (replacing for a set, adding for a bag unless an equal object is
// there). Takes ownership.
void insert(Table& t, Object* o);
// True when an object with this key is there (its stripe, shared).
bool has_key(const Table& t, Term key);
// The hash that finds `key` and its stripe (0 for an ordered_set: one
// lock, no buckets).
inline uint32_t lock_hash(const Table& t, Term key) {
    return t.kind == Kind::kOrderedSet ? 0 : key_hash(key);
}
// Calls f(Object*) for each object with `key` (of lock_hash `hash`), in
// order (its stripe, shared).
template <typename F>
void for_key(const Table& t, Term key, uint32_t hash, F f);
template <typename F>
void for_key(const Table& t, Term key, F f) {
    for_key(t, key, lock_hash(t, key), f);
}
// Removes every object with `key` (its stripe alone); returns them, in order,
// for the caller to copy out (take/2) and then free.
std::vector<Object*> remove_key(Table& t, Term key);
// Removes objects equal (=:=) to `object` (its stripe alone); returns how
// many.
size_t remove_object(Table& t, Term object);
// Frees the keys kept since a hash table was fixed (see Stripe; the table
// alone): it is unfixed, or goes.
void forget_graves(Table& t);
// Removes every object (the table alone); returns how many.
size_t clear(Table& t);
// Removes one object found by walking (its stripe alone), then frees it.
void erase(Table& t, Object* o);

// Iteration in table order (the table, shared): the first object, the first object
// of the key after `key` (kNone key: none), and backwards for
// ordered_set. nullptr at the end. `found` says whether `key` itself is
// in the table, or was deleted from it since it was fixed (next/prev of
// any other key of a hash table is badarg, as in OTP).
const Object* first(const Table& t);
const Object* next(const Table& t, Term key, bool& found);
const Object* last(const Table& t);
const Object* prev(const Table& t, Term key, bool& found);
// Every object in table order (the table, shared).
template <typename F>
void for_each(const Table& t, F f);
// ordered_set: the objects whose keys are in `range` (it narrows), in
// order or backwards (`reverse`; the table, shared).
template <typename F>
void for_range(const Table& t, const KeyPrefix& range, bool reverse, F f);
// ordered_set: the first object of `range`, or its last (`reverse`);
// nullptr when it has none. And is `o` in it?
const Object* range_start(const Table& t, const KeyPrefix& range, bool reverse);
bool in_range(const Table& t, const Object* o, const KeyPrefix& range);
// The objects from `start` (included) on in table order, or backwards
// (`reverse`, ordered_set only), while f(const Object*) returns true.
template <typename F>
void walk_from(const Table& t, const Object* start, bool reverse, F f);

// ---- inline definitions ----------------------------------------------------------------

namespace detail {
size_t bucket_of(const Table& t, uint32_t hash);
}

template <typename F>
void for_key(const Table& t, Term key, uint32_t hash, F f) {
    if (t.kind == Kind::kOrderedSet) {
        auto it = t.tree.find(key);
        if (it != t.tree.end()) f(*it);
        return;
    }
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
void for_range(const Table& t, const KeyPrefix& range, bool reverse, F f) {
    auto from = t.tree.lower_bound(range);
    auto to = t.tree.upper_bound(range);
    if (reverse) {
        for (auto it = to; it != from;)
            f(*--it);
    } else {
        for (auto it = from; it != to; ++it)
            f(*it);
    }
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
