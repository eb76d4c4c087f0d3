// map: Erlang maps of any size, and the hash they are stored by.
//
// A map of up to 32 keys is a flat map (term.h: a sorted keys tuple and the
// values in key order). A bigger map is a hash array mapped trie (HAMT)
// keyed by OTP's internal term hash, so that it iterates (and prints, and
// converts to a list) in exactly the order Erlang/OTP 25 does: at each
// level four more bits of the key's hash, lowest first, pick one of 16
// slots, and slots are visited in increasing order. The size alone decides
// the representation (a map shrinking to 32 keys becomes flat again), as
// in the BEAM.
//
// HAMT layout (one box = one word; every word is a term, so the GC and
// the heap copier need to know nothing about it):
//
//   head       [hdr kHashMap size=2+k][count][bitmap][child 1]...[child k]
//   sub-node   [hdr tuple 1+k]        [bitmap][child 1]...[child k]
//   collision  [hdr tuple 1+k]        []     [leaf 1]...[leaf k]
//   leaf       cons [Key | Value]
//
// count and bitmap are small integers; bit s of a bitmap is set when slot s
// holds a child, children in slot order. The trie is canonical: a sub-node
// exists exactly where two or more keys share the hash bits that lead to
// it, so equal maps have equal trees (exact_equal compares them word by
// word). All 32 hash bits are used (8 levels); keys whose hashes are equal
// share a collision node, its leaves in map-key order.
//
// Nothing here allocates on a process heap: builders write into memory the
// caller reserved with the matching *_words function. The BIFs (bif_maps)
// and the interpreter's map instructions do the reserving.
#pragma once

#include <cstdint>
#include <vector>

#include "vm/process.h"
#include "vm/term.h"

namespace map {

using term::Term;

// OTP's make_internal_hash(Term, Salt), computed on the words OTP would
// have for the same term (a small integer N is the word N << 4 | 0xF), so
// it agrees with Erlang/OTP 25 for numbers, strings, tuples, lists, binaries
// and maps of those. Atoms, pids, refs and funs hash by this VM's own
// numbering (OTP's depends on its atom table, so no program can rely on it).
uint32_t internal_hash(Term t, uint32_t salt = 0);

// OTP's make_hash2, the hash of erlang:phash2/1,2 (portable between VMs):
// agrees with Erlang/OTP for every term but funs, pids, ports and refs.
uint32_t portable_hash(Term t);

// OTP's make_hash, the hash of erlang:phash/2 (dict and sets bucket by it):
// agrees with Erlang/OTP for every term but funs, pids, ports and refs.
uint32_t legacy_hash(Term t);

inline bool is_hash_map(Term t) {
    return term::is_boxed_kind(t, term::Kind::kHashMap);
}

// Number of keys of any map.
uint64_t size(Term m);

// The value of `key` (compared exactly) in any map, or kNone.
Term get(Term m, Term key);

struct Entry {
    Term key;
    Term value;
};

// Every entry of a map in Erlang's iteration order (maps:to_list/1): key
// order for a flat map, hash order for a HAMT.
void entries(Term m, std::vector<Entry>& out);

// Sorts `entries` into the order of the map they make, dropping duplicate
// keys (the later one of two equal keys wins, as in maps:from_list/1).
void normalize(std::vector<Entry>& entries);

// Words a map of these normalized entries takes.
size_t build_words(const std::vector<Entry>& entries);

// Builds the map (flat or HAMT) in `mem`, which holds build_words words.
Term build(Term* mem, const std::vector<Entry>& entries);

// ---- single-key updates of a HAMT (path copying, O(log n)) ----------------

// Where a put of one key goes in a HAMT: the path from the head down, what
// happens at its end, and the words it takes. Filled by plan_put; it points
// into the map, so a collision invalidates it.
struct PutPlan {
    enum Kind : uint8_t {
        kAdd,        // an empty slot takes a new leaf
        kReplace,    // the key's leaf is replaced
        kSplit,      // a leaf with another key becomes a chain of sub-nodes
        kCollision,  // a collision node (all 32 hash bits equal) is rebuilt
    };
    struct Step {
        const Term* node;  // the head or a sub-node
        uint8_t slot;
        bool present;  // the slot holds a child
    };
    Step path[9];
    int depth;
    Kind kind;
    bool grows;  // the key is not in the map yet
    uint32_t hash;
    uint32_t other_hash;  // kSplit: the hash of the leaf's key
    Term child;           // the leaf or collision node at the end of the path
    size_t words;
};

// Plans putting key => value into HAMT `m`; returns the words it takes.
size_t plan_put(Term m, Term key, Term value, PutPlan& plan);
// Performs a plan into `mem` (plan.words words); returns the new map.
Term write_put(Term* mem, const PutPlan& plan, Term key, Term value);

// Both steps at once, for callers with memory at hand (tests).
size_t put_hash_words(Term m, Term key, Term value);
Term put_hash(Term* mem, Term m, Term key, Term value);

// HAMT `m` with key => value, on p's heap. m, key and value are roots (X
// registers, BIF arguments) that a collection updates; the key is hashed
// and the path found once, again only when allocating collected. `missing`
// tells whether the key was absent; with `exact` the put is then not made
// (kNone). Any other kNone: max_heap_size was reached.
Term put_hash_on_heap(process::Process& p, const Term& m, const Term& key, const Term& value,
                      bool exact, bool& missing);

// A single-key remove from a HAMT of more than kMaxFlatMapKeys + 1 keys
// (so the result is a HAMT too), by path copying: O(log n). The trie stays
// canonical: a sub-node left holding one key becomes that key's leaf, and
// so does every single-child node above it.
struct RemovePlan {
    struct Step {
        const Term* node;  // the head or a sub-node
        uint8_t slot;
    };
    Step path[9];
    int depth;
    Term child;  // the key's leaf, or the collision node holding it
    size_t words;
};

// Plans removing `key` from HAMT `m`; false when the key is absent.
bool plan_remove(Term m, Term key, RemovePlan& plan);
// Performs a plan into `mem` (plan.words words); returns the new map.
Term write_remove(Term* mem, const RemovePlan& plan, Term key);

// HAMT `m` (more than kMaxFlatMapKeys + 1 keys) without `key`, which it
// holds, on p's heap; m and key are roots a collection updates. kNone:
// max_heap_size was reached.
Term remove_hash_on_heap(process::Process& p, const Term& m, const Term& key);

// ---- building on a process heap ------------------------------------------------------

// Builds the map of the entries `gather(std::vector<Entry>&)` appends
// (normalized here) on p's heap. Allocating may collect garbage, which
// moves every term the entries point to: then `gather` runs again, reading
// its terms afresh from the roots (X registers, BIF arguments). Returns
// kNone when max_heap_size is reached.
template <typename Gather>
Term build_on_heap(process::Process& p, Gather gather) {
    std::vector<Entry> entries;
    gather(entries);
    normalize(entries);
    bool moved;
    Term* mem = process::alloc(p, build_words(entries), moved);
    if (!mem) return term::kNone;
    if (moved) {
        entries.clear();
        gather(entries);
        normalize(entries);
    }
    return build(mem, entries);
}

}  // namespace map
