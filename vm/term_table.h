// term_table: a hash table from terms to terms, off the heap, whose slots
// are garbage-collection roots: the process dictionary, and the state a
// long BIF keeps between slices (the multiset of erlang:'--', the seen set
// of lists:uniq/1).
//
// Open addressing with linear probing over a power-of-two array of slots
// of three words (key, value, the key's hash as a small integer: one
// cache line serves a probe, and the collector sees only terms), kept at
// most 3/4 full; an empty slot holds kNone three times. Keys match by =:= and are placed by OTP's
// internal term hash (map::internal_hash), which depends on a term's value only, so a collection
// moving the keys (it rewrites the slots in place through words()) leaves every key where it was.
// Growing rehashes no term. Removal shifts the following keys back (no tombstones), so a table that
// shrinks stays fast.
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
    // Where `key`'s value is, or null; valid until the next insertion or
    // removal.
    Term* find_value(Term key);
    // Where `key`'s value is, inserting the key with value kNone (for the
    // caller to set) when it is new.
    Term* insert(Term key);
    // Removes `key`; returns the value it had, or kNone.
    Term erase(Term key);
    // Removes every key and frees the slots.
    void clear();
    // Makes room for `n` keys at once (no growing until then).
    void reserve(size_t n);

    // Slot i (0 <= i < capacity()) holds key(i) = kNone when it is empty.
    size_t capacity() const { return words_.size() / kSlotWords; }
    Term key(size_t i) const { return key_at(i); }
    Term value(size_t i) const { return words_[kSlotWords * i + 1]; }

    // The slots as words (keys and values, kNone where empty), for the
    // collector to update in place.
    Term* words() { return words_.data(); }
    size_t num_words() const { return words_.size(); }
    size_t memory_bytes() const { return words_.capacity() * sizeof(Term); }

  private:
    static constexpr size_t kSlotWords = 3;
    Term key_at(size_t i) const { return words_[kSlotWords * i]; }
    size_t find(Term key, uint32_t hash) const;  // its slot, or an empty one
    void resize(size_t capacity);
    void remove_at(size_t slot);

    std::vector<Term> words_;       // 2 per slot: key, value
    std::vector<uint32_t> hashes_;  // the key's hash, per slot
    size_t count_ = 0;
};

}  // namespace term_table
