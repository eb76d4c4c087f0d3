// bif_persistent_term: persistent_term's BIFs and the one table behind
// them. A stored key and value are copied once into the literal area (the
// space module constants live in, which no collector copies), so get/1
// returns the stored term itself: no copy, no lock held while the caller
// uses it, O(1) expected, as OTP's.
//
// The table maps internal_hash(Key) to the (Key, Value) pairs with that
// hash, compared exactly (=:=). A shared mutex lets many readers in at
// once; put and erase take it alone. Replaced and erased terms stay in the
// literal area (OTP frees them after a global collection; beamlite never
// frees literal space yet, see README).
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vm/bif.h"
#include "vm/heap.h"
#include "vm/map.h"

namespace bif {

using namespace term;

namespace {

struct Entry {
    Term key;  // both in the literal area (or immediates)
    Term value;
    size_t words;
};

struct Table {
    std::shared_mutex lock;
    std::unordered_map<uint32_t, std::vector<Entry>> buckets;
    size_t count = 0;
    size_t words = 0;
};

Table& stored() {
    static Table t;
    return t;
}

// The entry of `key` in its bucket, or null (the caller holds the lock).
Entry* find_entry(std::vector<Entry>& bucket, Term key) {
    for (Entry& e : bucket)
        if (exact_equal(e.key, key)) return &e;
    return nullptr;
}

// A copy of `t` in the literal area at `mem` (copy_size(t) words).
Term to_literal(Term t, Term*& mem) {
    Term* no_list = nullptr;  // literal refc handles belong to no list
    Term copy = heap::copy_term(t, mem, no_list);
    mem += heap::copy_size(t);
    return copy;
}

// The stored value of `key`, or kNone.
Term lookup(Term key) {
    Table& t = stored();
    std::shared_lock<std::shared_mutex> guard(t.lock);
    auto it = t.buckets.find(map::internal_hash(key));
    if (it == t.buckets.end()) return kNone;
    Entry* e = find_entry(it->second, key);
    return e ? e->value : kNone;
}

}  // namespace

Term persistent_term_lookup(Term key) {
    return lookup(key);
}

namespace impl {

Term persistent_term_put(Process& p, Term* args) {
    size_t words = heap::copy_size(args[0]) + heap::copy_size(args[1]);
    Term* mem = words ? heap::literal_alloc(words) : nullptr;
    if (words && !mem) return fail(p, make_atom(atom::kSystemLimit));
    Term key = to_literal(args[0], mem);
    Term value = to_literal(args[1], mem);
    Table& t = stored();
    std::unique_lock<std::shared_mutex> guard(t.lock);
    std::vector<Entry>& bucket = t.buckets[map::internal_hash(key)];
    if (Entry* e = find_entry(bucket, key)) {
        t.words += words - e->words;
        *e = Entry{e->key, value, words};
    } else {
        bucket.push_back(Entry{key, value, words});
        ++t.count;
        t.words += words;
    }
    return make_atom(atom::kOk);
}

Term persistent_term_get1(Process& p, Term* args) {
    Term value = lookup(args[0]);
    return value == kNone ? badarg(p, 1, "no persistent term stored with this key") : value;
}

Term persistent_term_get2(Process& p, Term* args) {
    Term value = lookup(args[0]);
    return value == kNone ? args[1] : value;
}

Term persistent_term_erase(Process& p, Term* args) {
    Table& t = stored();
    std::unique_lock<std::shared_mutex> guard(t.lock);
    auto it = t.buckets.find(map::internal_hash(args[0]));
    if (it == t.buckets.end()) return kFalse;
    std::vector<Entry>& bucket = it->second;
    for (size_t i = 0; i < bucket.size(); ++i) {
        if (!exact_equal(bucket[i].key, args[0])) continue;
        t.words -= bucket[i].words;
        --t.count;
        bucket.erase(bucket.begin() + long(i));
        return kTrue;
    }
    return kFalse;
}

// [{Key, Value}] of every stored term (the keys and values themselves, in
// the literal area; only the list and pairs are on the heap).
Term persistent_term_get0(Process& p, Term* args) {
    std::vector<std::pair<Term, Term>> pairs;
    {
        Table& t = stored();
        std::shared_lock<std::shared_mutex> guard(t.lock);
        for (const auto& [hash, bucket] : t.buckets)
            for (const Entry& e : bucket)
                pairs.emplace_back(e.key, e.value);
    }
    Term* mem = alloc(p, pairs.size() * (kConsWords + tuple_words(2)));
    if (!mem && !pairs.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (const auto& [key, value] : pairs) {
        Term pair = term::make_tuple(mem, 2);
        mem[1] = key;
        mem[2] = value;
        list = make_cons(mem + tuple_words(2), pair, list);
        mem += kConsWords + tuple_words(2);
    }
    return list;
}

// #{count => N, memory => Bytes}.
Term persistent_term_info(Process& p, Term* args) {
    size_t count, words;
    {
        Table& t = stored();
        std::shared_lock<std::shared_mutex> guard(t.lock);
        count = t.count;
        words = t.words;
    }
    Term info = map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
        entries.push_back({make_atom(atom::kCount), make_small(int64_t(count))});
        entries.push_back({make_atom(atom::kMemory), make_small(int64_t(words * sizeof(Term)))});
    });
    return info == kNone ? heap_exhausted(p) : info;
}

}  // namespace impl

}  // namespace bif
