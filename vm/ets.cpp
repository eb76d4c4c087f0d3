// ets: the tables, their objects and the registry (see ets.h).
#include "vm/ets.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "vm/ets_match.h"
#include "vm/heap.h"
#include "vm/map.h"
#include "vm/scheduler.h"
#include "vm/timer.h"

namespace ets {

using namespace term;

// ---- objects ------------------------------------------------------------------------

Object* object_new(Term tuple, uint32_t hash) {
    // Most objects are tuples of immediates: copied word for word. A tuple
    // in the literal area is copied too (its own words only, which may
    // point into the literal area): data[0] is always the tuple.
    size_t flat = heap::flat_size(tuple);
    if (!flat && heap::in_literal_area(term::pointer_target(tuple))) flat = tuple_arity(tuple) + 1;
    size_t words = flat ? flat : heap::copy_size(tuple);
    auto* o = static_cast<Object*>(std::malloc(sizeof(Object) + words * sizeof(Term)));
    if (!o) return nullptr;
    o->next = nullptr;
    o->hash = hash;
    o->words = uint32_t(words);
    o->off_heap = nullptr;
    if (flat) {
        heap::copy_flat(tuple, o->data, flat);
    } else {
        heap::copy_term(tuple, o->data, o->off_heap);
    }
    return o;
}

void object_free(Object* o) {
    for (Term* handle = o->off_heap; handle;) {
        Term* next = refc_next(handle);
        off_heap_release(handle);
        handle = next;
    }
    std::free(o);
}

namespace {

// Term order, with small integers (the commonest keys) compared directly.
bool key_less(Term a, Term b) {
    if (is_small(a) && is_small(b)) return small_value(a) < small_value(b);
    return compare(a, b) < 0;
}

}  // namespace

bool KeyLess::operator()(const Object* a, const Object* b) const {
    return key_less(object_key(a, keypos), object_key(b, keypos));
}
bool KeyLess::operator()(const Object* a, Term key) const {
    return key_less(object_key(a, keypos), key);
}
bool KeyLess::operator()(Term key, const Object* b) const {
    return key_less(key, object_key(b, keypos));
}

namespace {

// Where `key` is relative to `range`: before it (< 0), in it (0) or after
// it (> 0).
int compare_to_range(Term key, const KeyPrefix& range) {
    return ets_match::compare_to_pattern(key, range.pattern);
}

}  // namespace

bool KeyLess::operator()(const Object* a, const KeyPrefix& range) const {
    return compare_to_range(object_key(a, keypos), range) < 0;
}
bool KeyLess::operator()(const KeyPrefix& range, const Object* b) const {
    return compare_to_range(object_key(b, keypos), range) > 0;
}

Table::~Table() {
    if (stripes) {
        clear(*this);
        forget_graves(*this);
    }
    if (heir_data) object_free(heir_data);
}

namespace {
constexpr size_t kFirstBuckets = 16;
}

// ---- locks -------------------------------------------------------------------------------

void StripeLock::use_reader_groups(uint32_t groups) {
    groups = std::bit_ceil(std::max(groups, 1u));
    groups_ = std::make_unique<Group[]>(groups);
    group_mask_ = groups - 1;
}

std::atomic<uint32_t>& StripeLock::my_group() {
    return groups_[sched::current_id() & group_mask_].readers;
}

namespace {
// Waits a moment for another thread that holds a lock only briefly.
void pause_briefly(unsigned& spins) {
    if (++spins < 64) return;
    spins = 0;
    std::this_thread::yield();
}
}  // namespace

// A reader counts itself, then looks for a writer; a writer raises its
// flag, then looks for readers. Both sequentially consistent, so one of
// them sees the other (Dekker): never a reader and a writer inside at once.
void StripeLock::lock_shared() {
    if (!groups_) return plain_.lock_shared();
    std::atomic<uint32_t>& readers = my_group();
    for (unsigned spins = 0;;) {
        readers.fetch_add(1, std::memory_order_seq_cst);
        if (!writing_.load(std::memory_order_seq_cst)) return;
        readers.fetch_sub(1, std::memory_order_release);
        while (writing_.load(std::memory_order_acquire))
            pause_briefly(spins);
    }
}

void StripeLock::unlock_shared() {
    if (!groups_) return plain_.unlock_shared();
    my_group().fetch_sub(1, std::memory_order_release);
}

void StripeLock::lock() {
    if (!groups_) return plain_.lock();
    writers_.lock();
    writing_.store(true, std::memory_order_seq_cst);
    unsigned spins = 0;
    for (uint32_t i = 0; i <= group_mask_; ++i)
        while (groups_[i].readers.load(std::memory_order_seq_cst) != 0)
            pause_briefly(spins);
}

void StripeLock::unlock() {
    if (!groups_) return plain_.unlock();
    writing_.store(false, std::memory_order_release);
    writers_.unlock();
}

void prepare(Table& t) {
    bool hashed = t.kind != Kind::kOrderedSet;
    t.stripe_count = hashed && (t.write_concurrency || t.read_concurrency) ? kStripes : 1;
    t.stripes = std::make_unique<Stripe[]>(t.stripe_count);
    // Reader groups: one per scheduler (at most 8; ids beyond share).
    if (t.read_concurrency)
        for (uint32_t i = 0; i < t.stripe_count; ++i)
            t.stripes[i].lock.use_reader_groups(std::min(sched::count(), 8u));
    // Buckets stay a multiple of the stripes: a key keeps its stripe.
    if (hashed) t.buckets.assign(std::max<size_t>(kFirstBuckets, t.stripe_count), nullptr);
    t.tree = absl::btree_set<Object*, KeyLess>(KeyLess{t.keypos});
}

size_t size(const Table& t) {
    size_t n = 0;
    for (uint32_t i = 0; i < t.stripe_count; ++i)
        n += t.stripes[i].size;
    return n;
}

size_t words(const Table& t) {
    size_t n = 0;
    for (uint32_t i = 0; i < t.stripe_count; ++i)
        n += t.stripes[i].words;
    return n;
}

size_t memory_words(const Table& t) {
    // What OTP counts for an empty table besides its objects; then ours:
    // objects with their headers, the buckets and the tree's nodes (about
    // 10 bytes per object: 256-byte nodes of up to 30 pointers, mostly
    // full; btree_set does not report its bytes).
    constexpr size_t kTableWords = 305;
    constexpr size_t kHeaderWords = sizeof(Object) / sizeof(Term);
    return kTableWords + words(t) + size(t) * kHeaderWords + t.buckets.size() +
           t.tree.size() * 5 / 4;
}

KeyLock::KeyLock(const Table& t, uint32_t hash, bool write)
    : lock_(stripe_of(t, hash).lock), write_(write) {
    if (write_) {
        lock_.lock();
    } else {
        lock_.lock_shared();
    }
}

KeyLock::~KeyLock() {
    if (write_) {
        lock_.unlock();
    } else {
        lock_.unlock_shared();
    }
}

TableLock::TableLock(const Table& t, bool write) : table_(t), write_(write) {
    for (uint32_t i = 0; i < t.stripe_count; ++i) {
        if (write_) {
            t.stripes[i].lock.lock();
        } else {
            t.stripes[i].lock.lock_shared();
        }
    }
}

TableLock::~TableLock() {
    for (uint32_t i = table_.stripe_count; i-- > 0;) {
        if (write_) {
            table_.stripes[i].lock.unlock();
        } else {
            table_.stripes[i].lock.unlock_shared();
        }
    }
}

// ---- the registry -------------------------------------------------------------------
//
// Tables by ref number and by name, under one reader-writer lock: every
// ets call takes it shared for the moment of its lookup. Owners are
// counted so that the exit of a process that owns no table costs one
// lookup in a small map.

namespace {

struct Registry {
    std::shared_mutex lock;
    std::unordered_map<uint64_t, TablePtr> by_id;
    std::unordered_map<Term, TablePtr> by_name;
    std::unordered_map<Term, size_t> owners;  // pid -> tables owned
    std::unordered_map<Term, size_t> fixers;  // pid -> tables it fixes
    // Bumped by every change of the maps (under the lock): the threads'
    // caches of found tables are good for one generation.
    std::atomic<uint64_t> generation{1};
};

Registry& registry() {
    static Registry r;
    return r;
}

void changed(Registry& r) {
    r.generation.fetch_add(1, std::memory_order_release);
}

// Takes a table out of the maps (the lock held); it is deleted from now.
void unregister(Registry& r, Table& t) {
    t.deleted = true;
    r.by_id.erase(t.id);
    if (t.named) r.by_name.erase(t.name);
    changed(r);
}

// A deleted table's objects go at once, not when the last cache lets go
// of the table. (A call that found the table before its deletion may
// still be at work on it: it sees an empty table, as if it came after.)
void free_objects(Table& t) {
    TableLock all(t, true);
    clear(t);
}

}  // namespace

bool add(const TablePtr& t) {
    Registry& r = registry();
    std::unique_lock<std::shared_mutex> guard(r.lock);
    if (t->named && !r.by_name.emplace(t->name, t).second) return false;
    r.by_id.emplace(t->id, t);
    ++r.owners[t->owner];
    changed(r);
    return true;
}

namespace {

TablePtr find_registered(Term tid) {
    Registry& r = registry();
    std::shared_lock<std::shared_mutex> guard(r.lock);
    if (is_atom(tid)) {
        auto it = r.by_name.find(tid);
        return it == r.by_name.end() ? nullptr : it->second;
    }
    if (!is_local_ref(tid) || ref_extra(tid) != 0) return nullptr;
    auto it = r.by_id.find(ref_id(tid));
    return it == r.by_id.end() ? nullptr : it->second;
}

// The tables each thread found last. Taking the registry's lock and
// copying a shared_ptr at every ets call would bounce two cache lines
// between schedulers; an entry is good while the registry's generation is
// the one it was filled at, and its reference keeps the table alive for
// the call that found it. Direct-mapped by the tid.
struct CachedTable {
    bool by_name = false;
    uint64_t tid = 0;  // the name's atom term, or the ref's id
    uint64_t generation = 0;
    TablePtr table;
};
constexpr size_t kCachedTables = 8;
thread_local CachedTable t_cached[kCachedTables];

}  // namespace

Table* find(Term tid) {
    bool by_name = is_atom(tid);
    if (!by_name && (!is_local_ref(tid) || ref_extra(tid) != 0)) return nullptr;
    uint64_t key = by_name ? tid : ref_id(tid);
    CachedTable& entry = t_cached[(key ^ (key >> 7)) % kCachedTables];
    uint64_t now = registry().generation.load(std::memory_order_acquire);
    if (entry.generation == now && entry.tid == key && entry.by_name == by_name)
        return entry.table.get();
    TablePtr t = find_registered(tid);
    if (!t) return nullptr;
    entry = CachedTable{by_name, key, now, std::move(t)};
    return entry.table.get();
}

namespace {

// Drops one table of `pid`'s count (the registry lock held).
void forget_owner(Registry& r, Term pid) {
    auto it = r.owners.find(pid);
    if (it != r.owners.end() && --it->second == 0) r.owners.erase(it);
}

}  // namespace

void forget_owner(Term pid) {
    Registry& r = registry();
    std::unique_lock<std::shared_mutex> guard(r.lock);
    forget_owner(r, pid);
}

void remove(Table& t) {
    {
        Registry& r = registry();
        std::unique_lock<std::shared_mutex> guard(r.lock);
        if (t.deleted) return;
        unregister(r, t);
        forget_owner(r, t.owner);
    }
    free_objects(t);
}

bool rename(Table& t, Term name) {
    Registry& r = registry();
    std::unique_lock<std::shared_mutex> guard(r.lock);
    if (t.deleted) return false;
    if (t.named) {
        if (name != t.name && r.by_name.count(name)) return false;
        TablePtr shared = r.by_name.at(t.name);
        r.by_name.erase(t.name);
        r.by_name.emplace(name, std::move(shared));
    }
    t.name = name;
    changed(r);
    return true;
}

std::vector<Listed> all() {
    Registry& r = registry();
    std::shared_lock<std::shared_mutex> guard(r.lock);
    std::vector<Listed> out;
    out.reserve(r.by_id.size());
    for (const auto& [id, t] : r.by_id)
        out.push_back({id, t->name, t->named});
    return out;
}

size_t total_bytes() {
    std::vector<TablePtr> tables;
    {
        Registry& r = registry();
        std::shared_lock<std::shared_mutex> guard(r.lock);
        for (const auto& [id, t] : r.by_id)
            tables.push_back(t);
    }
    size_t words = 0;
    for (const TablePtr& t : tables) {
        TableLock guard(*t, false);
        words += memory_words(*t);
    }
    return words * sizeof(Term);
}

bool owns_tables(Term pid) {
    Registry& r = registry();
    std::shared_lock<std::shared_mutex> guard(r.lock);
    return r.owners.count(pid) != 0;
}

void note_owner(Term pid) {
    Registry& r = registry();
    std::unique_lock<std::shared_mutex> guard(r.lock);
    ++r.owners[pid];
}

namespace {

// Deletes the table of an owner that ended, unless something else (its
// heir's own end) deleted it first.
void delete_orphan(Table& t) {
    {
        Registry& r = registry();
        std::unique_lock<std::shared_mutex> guard(r.lock);
        if (t.deleted) return;
        unregister(r, t);
    }
    free_objects(t);
}

// Gives the table of `pid`, which ended, to its heir; false when there is
// no heir or it is dead. The heir counts as the owner before `send` checks
// that it lives: a heir ending meanwhile then finds the table among its
// own (or is found dead here), so the table never outlives both.
bool inherit(Table& t, Term pid, Transfer send) {
    Term heir = t.heir;
    if (!is_local_pid(heir) || heir == pid) return false;
    note_owner(heir);
    {
        TableLock table(t, true);
        t.owner = heir;
    }
    if (send(heir, t, pid)) return true;
    ets::forget_owner(heir);
    return false;
}

}  // namespace

void owner_exited(Term pid, Transfer send) {
    std::vector<TablePtr> owned;
    {
        Registry& r = registry();
        std::unique_lock<std::shared_mutex> guard(r.lock);
        if (!r.owners.erase(pid)) return;
        for (const auto& [id, t] : r.by_id)
            if (t->owner == pid) owned.push_back(t);
    }
    for (const TablePtr& t : owned)
        if (!inherit(*t, pid, send)) delete_orphan(*t);
}

// ---- fixations ------------------------------------------------------------------------

namespace {

int64_t system_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Counts one fixation of `t` by `pid` (the table held alone); true when
// it is pid's first of the table.
bool add_fixation(Table& t, Term pid) {
    if (t.fixations++ == 0) {
        t.fixed_monotonic_ns = timer::now_ns();
        t.fixed_system_ns = system_now_ns();
    }
    for (Fixer& f : t.fixers) {
        if (f.pid == pid) {
            ++f.count;
            return false;
        }
    }
    t.fixers.insert(t.fixers.begin(), Fixer{pid, 1});
    return true;
}

// Undoes one fixation of `t` by `pid`, or all of pid's (`all`), the table
// held alone; true when pid fixed the table and fixes it no more.
bool drop_fixations(Table& t, Term pid, bool all) {
    auto it = std::find_if(t.fixers.begin(), t.fixers.end(),
                           [&](const Fixer& f) { return f.pid == pid; });
    if (it == t.fixers.end()) return false;
    int dropped = all ? it->count : 1;
    t.fixations -= dropped;
    if (t.fixations == 0) forget_graves(t);
    if ((it->count -= dropped) > 0) return false;
    t.fixers.erase(it);
    return true;
}

}  // namespace

void safe_fixtable(Table& t, Term pid, bool fix) {
    bool first = false, last = false;
    {
        TableLock all(t, true);
        if (fix) {
            first = add_fixation(t, pid);
        } else {
            last = drop_fixations(t, pid, false);
        }
    }
    Registry& r = registry();
    std::unique_lock<std::shared_mutex> guard(r.lock);
    if (first) ++r.fixers[pid];
    if (last) {
        auto it = r.fixers.find(pid);
        if (it != r.fixers.end() && --it->second == 0) r.fixers.erase(it);
    }
}

bool fixes_tables(Term pid) {
    Registry& r = registry();
    std::shared_lock<std::shared_mutex> guard(r.lock);
    return r.fixers.count(pid) != 0;
}

void fixer_exited(Term pid) {
    std::vector<TablePtr> tables;
    {
        Registry& r = registry();
        std::unique_lock<std::shared_mutex> guard(r.lock);
        if (!r.fixers.erase(pid)) return;
        for (const auto& [id, t] : r.by_id)
            tables.push_back(t);
    }
    for (const TablePtr& t : tables) {
        TableLock all(*t, true);
        drop_fixations(*t, pid, true);
    }
}

// ---- hash buckets ---------------------------------------------------------------------

uint32_t key_hash(Term key) {
    // An immediate (small integer, atom, pid: most keys) is =:= only to
    // itself, so its word is hashed directly (Fibonacci hashing: the
    // product's high half mixes every bit of the word); the rest by the
    // maps' hash.
    if (term::is_immediate(key)) return uint32_t((key * 0x9E3779B97F4A7C15ull) >> 32);
    return map::internal_hash(key);
}

namespace detail {
size_t bucket_of(const Table& t, uint32_t hash) {
    return hash & (t.buckets.size() - 1);
}
}  // namespace detail

namespace {

// Doubles the buckets (every stripe held alone), keeping the objects of a
// key together and in order. Not while the table is fixed: a fixed
// table's iteration follows bucket positions.
void grow(Table& t) {
    if (size(t) < t.buckets.size() || t.fixations > 0) return;
    // Old bucket b splits into new buckets b and b + n, each keeping the
    // order of the objects it gets.
    size_t n = t.buckets.size();
    std::vector<Object*> bigger(n * 2, nullptr);
    for (size_t b = 0; b < n; ++b) {
        Object** low = &bigger[b];
        Object** high = &bigger[b + n];
        for (Object* o = t.buckets[b]; o;) {
            Object* next = o->next;
            Object**& tail = (o->hash & n) ? high : low;
            *tail = o;
            tail = &o->next;
            o = next;
        }
        *low = nullptr;
        *high = nullptr;
    }
    t.buckets.swap(bigger);
}

// Grows a one-lock table when there are more objects than buckets (its
// one lock is held alone); a striped one asks for it when the key's stripe
// has more objects than its share of the buckets.
void maybe_grow(Table& t, const Stripe& s) {
    if (t.stripe_count == 1) {
        grow(t);
    } else if (s.size * t.stripe_count > t.buckets.size() && t.fixations == 0) {
        t.wants_growth.store(true, std::memory_order_relaxed);
    }
}

bool same_key(const Table& t, const Object* o, uint32_t hash, Term key) {
    return o->hash == hash && exact_equal(object_key(o, t.keypos), key);
}

void count_in(Table& t, const Object* o) {
    Stripe& s = stripe_of(t, o->hash);
    ++s.size;
    s.words += o->words;
}

void count_out(Table& t, const Object* o) {
    Stripe& s = stripe_of(t, o->hash);
    --s.size;
    s.words -= o->words;
}

void insert_ordered(Table& t, Object* o) {
    ++t.tree_changes;
    auto [it, added] = t.tree.insert(o);
    if (added) {
        count_in(t, o);
        return;
    }
    count_out(t, *it);
    object_free(*it);
    t.tree.insert(t.tree.erase(it), o);
    count_in(t, o);
}

// Does `o` come before the place of (hash, key) in a bucket? A bucket's
// chain is sorted by hash, then by key in term order, so that every key,
// in the table or not, has a place in it: a fixed table's traversal goes
// on after a key deleted under it (next/2) without skipping the rest of
// its bucket. (Keys equal in term order but not =:=, such as 1 and 1.0,
// with one hash stay in insertion order: a 32-bit collision of the two.)
bool chain_before(const Table& t, const Object* o, uint32_t hash, Term key) {
    if (o->hash != hash) return o->hash < hash;
    return key_less(object_key(o, t.keypos), key);
}

// Is `o` in the run of objects at (hash, key)'s place, its key equal in
// term order?
bool chain_at(const Table& t, const Object* o, uint32_t hash, Term key) {
    return o->hash == hash && compare(object_key(o, t.keypos), key) == 0;
}

// A set replaces the object of the key; a bag adds unless an equal object
// is there; a duplicate_bag always adds, after the key's other objects.
void insert_hashed(Table& t, Object* o) {
    Term key = object_key(o, t.keypos);
    Object** link = &t.buckets[detail::bucket_of(t, o->hash)];
    while (*link && chain_before(t, *link, o->hash, key))
        link = &(*link)->next;
    Object** after_key = nullptr;
    for (; *link && chain_at(t, *link, o->hash, key); link = &(*link)->next) {
        Object* there = *link;
        if (!same_key(t, there, o->hash, key)) continue;
        if (t.kind == Kind::kSet) {
            o->next = there->next;
            *link = o;
            count_out(t, there);
            object_free(there);
            count_in(t, o);
            return;  // as many objects as before: no growth
        }
        if (t.kind == Kind::kBag && exact_equal(there->tuple(), o->tuple())) {
            object_free(o);
            return;
        }
        after_key = &there->next;
    }
    // After the key's last object, so that its objects stay together.
    if (after_key) link = after_key;
    o->next = *link;
    *link = o;
    count_in(t, o);
    maybe_grow(t, stripe_of(t, o->hash));
}

}  // namespace

void grow_if_wanted(Table& t) {
    if (!t.wants_growth.load(std::memory_order_relaxed)) return;
    TableLock all(t, true);
    t.wants_growth.store(false, std::memory_order_relaxed);
    grow(t);
}

void insert(Table& t, Object* o) {
    if (t.kind == Kind::kOrderedSet) {
        insert_ordered(t, o);
    } else {
        insert_hashed(t, o);
    }
}

bool has_key(const Table& t, Term key) {
    bool found = false;
    for_key(t, key, [&](const Object*) { found = true; });
    return found;
}

namespace {

// Keeps the key of `o`, deleted from a fixed hash table, in its stripe's
// graves (see Stripe). A table being deleted keeps none: no one can walk
// it any more. Out of memory, the key is not kept (next/2 on it is then
// badarg).
void bury(Table& t, const Object* o) {
    if (t.fixations == 0 || t.kind == Kind::kOrderedSet || t.deleted) return;
    Term holder[2];
    Term tuple = make_tuple(holder, 1);
    holder[1] = object_key(o, t.keypos);
    if (Object* grave = object_new(tuple, o->hash))
        stripe_of(t, o->hash).graves.emplace(o->hash, grave);
}

// Was `key` deleted from `t` since it was fixed?
bool buried(const Table& t, uint32_t hash, Term key) {
    auto [from, to] = stripe_of(t, hash).graves.equal_range(hash);
    for (auto it = from; it != to; ++it)
        if (exact_equal(tuple_element(it->second->tuple(), 1), key)) return true;
    return false;
}

}  // namespace

void forget_graves(Table& t) {
    for (uint32_t i = 0; i < t.stripe_count; ++i) {
        for (auto& [hash, grave] : t.stripes[i].graves)
            object_free(grave);
        t.stripes[i].graves = {};
    }
}

std::vector<Object*> remove_key(Table& t, Term key) {
    std::vector<Object*> out;
    if (t.kind == Kind::kOrderedSet) {
        auto it = t.tree.find(key);
        if (it == t.tree.end()) return out;
        out.push_back(*it);
        count_out(t, *it);
        ++t.tree_changes;
        t.tree.erase(it);
        return out;
    }
    uint32_t hash = key_hash(key);
    for (Object** link = &t.buckets[detail::bucket_of(t, hash)]; *link;) {
        Object* o = *link;
        if (!same_key(t, o, hash, key)) {
            link = &o->next;
            continue;
        }
        *link = o->next;
        count_out(t, o);
        out.push_back(o);
    }
    if (!out.empty()) bury(t, out.front());
    return out;
}

size_t remove_object(Table& t, Term object) {
    Term key = tuple_element(object, t.keypos);
    if (t.kind == Kind::kOrderedSet) {
        auto it = t.tree.find(key);
        if (it == t.tree.end() || !exact_equal((*it)->tuple(), object)) return 0;
        Object* o = *it;
        ++t.tree_changes;
        t.tree.erase(it);
        count_out(t, o);
        object_free(o);
        return 1;
    }
    uint32_t hash = key_hash(key);
    size_t removed = 0;
    for (Object** link = &t.buckets[detail::bucket_of(t, hash)]; *link;) {
        Object* o = *link;
        if (!same_key(t, o, hash, key) || !exact_equal(o->tuple(), object)) {
            link = &o->next;
            continue;
        }
        *link = o->next;
        count_out(t, o);
        if (removed++ == 0) bury(t, o);
        object_free(o);
    }
    return removed;
}

size_t clear(Table& t) {
    size_t removed = size(t);
    for (Object* o : t.tree)
        object_free(o);
    ++t.tree_changes;
    t.tree.clear();
    for (Object*& head : t.buckets) {
        for (Object* o = head; o;) {
            Object* next = o->next;
            bury(t, o);
            object_free(o);
            o = next;
        }
        head = nullptr;
    }
    for (uint32_t i = 0; i < t.stripe_count; ++i)
        t.stripes[i].size = t.stripes[i].words = 0;
    return removed;
}

void erase(Table& t, Object* target) {
    if (t.kind == Kind::kOrderedSet) {
        ++t.tree_changes;
        t.tree.erase(target);
    } else {
        Object** link = &t.buckets[detail::bucket_of(t, target->hash)];
        while (*link != target)
            link = &(*link)->next;
        *link = target->next;
    }
    count_out(t, target);
    bury(t, target);
    object_free(target);
}

// ---- iteration -----------------------------------------------------------------------

namespace {

// The first object in bucket `b` or after it.
const Object* from_bucket(const Table& t, size_t b) {
    for (; b < t.buckets.size(); ++b)
        if (t.buckets[b]) return t.buckets[b];
    return nullptr;
}

// An ordered walk (first, then next from each key it gave) would find
// each key again in the tree: each thread keeps where its last step
// ended, good while the tree is unchanged, and steps on from there when
// asked for the key it gave.
struct Cursor {
    uint64_t table = 0;  // the table's id: 0, none
    uint64_t changes = 0;
    absl::btree_set<Object*, KeyLess>::const_iterator at;
};
thread_local Cursor t_cursor;

const Object* cursor_at(const Table& t, absl::btree_set<Object*, KeyLess>::const_iterator it) {
    if (it == t.tree.end()) {
        t_cursor.table = 0;
        return nullptr;
    }
    t_cursor = Cursor{t.id, t.tree_changes, it};
    return *it;
}

// The cursor's position when it is on `key` in `t`, else end().
absl::btree_set<Object*, KeyLess>::const_iterator cursor_on(const Table& t, Term key) {
    if (t_cursor.table != t.id || t_cursor.changes != t.tree_changes) return t.tree.end();
    Term there = object_key(*t_cursor.at, t.keypos);
    bool same = is_small(there) && is_small(key) ? there == key : compare(there, key) == 0;
    return same ? t_cursor.at : t.tree.end();
}

}  // namespace

bool in_range(const Table& t, const Object* o, const KeyPrefix& range) {
    return compare_to_range(object_key(o, t.keypos), range) == 0;
}

const Object* range_start(const Table& t, const KeyPrefix& range, bool reverse) {
    auto it = reverse ? t.tree.upper_bound(range) : t.tree.lower_bound(range);
    if (reverse) {
        if (it == t.tree.begin()) return nullptr;
        --it;
    } else if (it == t.tree.end()) {
        return nullptr;
    }
    return in_range(t, *it, range) ? *it : nullptr;
}

const Object* first(const Table& t) {
    if (t.kind == Kind::kOrderedSet) return cursor_at(t, t.tree.begin());
    return from_bucket(t, 0);
}

const Object* last(const Table& t) {
    if (t.kind == Kind::kOrderedSet)
        return t.tree.empty() ? nullptr : cursor_at(t, std::prev(t.tree.end()));
    return first(t);  // a hash table has no order: last is first, as in OTP
}

const Object* next(const Table& t, Term key, bool& found) {
    if (t.kind == Kind::kOrderedSet) {
        found = true;  // an ordered_set goes on from any term
        auto it = cursor_on(t, key);
        return cursor_at(t, it != t.tree.end() ? std::next(it) : t.tree.upper_bound(key));
    }
    // The first object after the key's place in its bucket (the chain's
    // order: see chain_before), whether the key is there or not.
    found = false;
    uint32_t hash = key_hash(key);
    size_t b = detail::bucket_of(t, hash);
    const Object* o = t.buckets[b];
    while (o && chain_before(t, o, hash, key))
        o = o->next;
    const Object* after = o;
    for (; o && chain_at(t, o, hash, key); o = o->next) {
        if (!same_key(t, o, hash, key)) continue;
        found = true;
        after = o->next;
    }
    if (!found && t.fixations > 0) found = buried(t, hash, key);
    return after ? after : from_bucket(t, b + 1);
}

const Object* prev(const Table& t, Term key, bool& found) {
    if (t.kind != Kind::kOrderedSet) return next(t, key, found);
    found = true;
    auto it = cursor_on(t, key);
    if (it == t.tree.end()) it = t.tree.lower_bound(key);
    if (it == t.tree.begin()) return nullptr;
    return cursor_at(t, std::prev(it));
}

}  // namespace ets
