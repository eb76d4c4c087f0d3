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

// Words put_hash needs to put `key` into HAMT `m` (0 if the key is there
// with this very value: the map itself is the result).
size_t put_hash_words(Term m, Term key, Term value);
// `m` with key => value, in `mem` holding put_hash_words words.
Term put_hash(Term* mem, Term m, Term key, Term value);

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
    const Term* before = p.heap.start;
    Term* mem = process::alloc(p, build_words(entries));
    if (!mem) return term::kNone;
    if (p.heap.start != before) {
        entries.clear();
        gather(entries);
        normalize(entries);
    }
    return build(mem, entries);
}

}  // namespace map
