// term_table: a hash table from terms to terms, off the heap, whose slots
// are garbage-collection roots: the process dictionary, and the state a
// long BIF keeps between slices (the multiset of erlang:'--', the seen set
// of lists:uniq/1).
//
// Open addressing with linear probing over a power-of-two array of
// (key, value) word pairs, kept at most 3/4 full; an empty slot holds
// kNone twice. Keys match by =:= and are placed by OTP's internal term
// hash (map::internal_hash), which depends on a term's value only, so a
// collection moving the keys (it rewrites the slots in place through
// words()) leaves every key where it was. The hash of each key is kept
// beside it, so growing rehashes no term. Removal shifts the following
// keys back (no tombstones), so a table that shrinks stays fast.
//
// Lookups, insertions and removals are O(1) expected; the table takes no
// memory until its first insertion, and gives it back when emptied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "vm/term.h"

namespace term_table {

using term::Term;

class TermTable {
  public:
    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }

    // The value stored for `key`, or kNone.
    Term get(Term key) const;
    // Stores `value` (never kNone) for `key`; returns the value it had, or kNone.
    Term put(Term key, Term value);
    // Removes `key`; returns the value it had, or kNone.
    Term erase(Term key);
    // Removes every key and frees the slots.
    void clear();

    // Slot i (0 <= i < capacity()) holds key(i) = kNone when it is empty.
    size_t capacity() const { return hashes_.size(); }
    Term key(size_t i) const { return words_[2 * i]; }
    Term value(size_t i) const { return words_[2 * i + 1]; }

    // The slots as words (keys and values, kNone where empty), for the
    // collector to update in place.
    Term* words() { return words_.data(); }
    size_t num_words() const { return words_.size(); }
    size_t memory_bytes() const {
        return words_.capacity() * sizeof(Term) + hashes_.capacity() * sizeof(uint32_t);
    }

  private:
    size_t find(Term key, uint32_t hash) const;  // its slot, or an empty one
    void resize(size_t capacity);
    void remove_at(size_t slot);

    std::vector<Term> words_;       // 2 per slot: key, value
    std::vector<uint32_t> hashes_;  // the key's hash, per slot
    size_t count_ = 0;
};

}  // namespace term_table
