// term_table: see term_table.h.
#include "vm/term_table.h"

#include "vm/map.h"

namespace term_table {

using namespace term;

namespace {
constexpr size_t kMinCapacity = 16;

// The internal hash's low bits, which pick the home slot, are not spread
// well for neighbouring keys (small integers): linear probing clustered
// into runs thousands of slots long. A 32-bit finalizer mixes every bit
// into the low ones.
uint32_t slot_hash(Term key) {
    uint32_t h = map::internal_hash(key);
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}
}  // namespace

size_t TermTable::find(Term key, uint32_t hash) const {
    size_t mask = capacity() - 1;
    Term tagged = make_small(hash);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const Term* s = &words_[kSlotWords * i];
        if (s[0] == kNone || (s[2] == tagged && exact_equal(s[0], key))) return i;
    }
}

Term TermTable::get(Term key) const {
    if (count_ == 0) return kNone;
    size_t i = find(key, slot_hash(key));
    return key_at(i) == kNone ? kNone : value(i);
}

Term* TermTable::find_value(Term key) {
    if (count_ == 0) return nullptr;
    size_t i = find(key, slot_hash(key));
    return key_at(i) == kNone ? nullptr : &words_[kSlotWords * i + 1];
}

Term* TermTable::insert(Term key) {
    if ((count_ + 1) * 4 > capacity() * 3) resize(capacity() == 0 ? kMinCapacity : capacity() * 2);
    uint32_t hash = slot_hash(key);
    size_t i = find(key, hash);
    Term* s = &words_[kSlotWords * i];
    if (s[0] == kNone) {
        s[0] = key;
        s[2] = make_small(hash);
        ++count_;
    }
    return s + 1;
}

Term TermTable::put(Term key, Term value) {
    Term* at = insert(key);
    Term old = *at;
    *at = value;
    return old;
}

Term TermTable::erase(Term key) {
    if (count_ == 0) return kNone;
    size_t i = find(key, slot_hash(key));
    if (key_at(i) == kNone) return kNone;
    Term old = value(i);
    remove_at(i);
    if (count_ == 0) {
        clear();
    } else if (capacity() > kMinCapacity && count_ * 8 < capacity()) {
        resize(capacity() / 2);
    }
    return old;
}

void TermTable::reserve(size_t n) {
    size_t capacity = kMinCapacity;
    while (n * 4 > capacity * 3)
        capacity *= 2;
    if (capacity > this->capacity()) resize(capacity);
}

void TermTable::clear() {
    words_ = {};
    count_ = 0;
}

// Empties `slot`, then moves back each key of the run after it that may
// sit there (its home slot is not cyclically between the gap and itself),
// so that every key stays reachable from its home slot without a gap.
void TermTable::remove_at(size_t slot) {
    size_t mask = capacity() - 1;
    size_t gap = slot;
    for (size_t j = (slot + 1) & mask; key_at(j) != kNone; j = (j + 1) & mask) {
        size_t home = size_t(small_value(words_[kSlotWords * j + 2])) & mask;
        if (((j - home) & mask) < ((j - gap) & mask)) continue;
        for (size_t w = 0; w < kSlotWords; ++w)
            words_[kSlotWords * gap + w] = words_[kSlotWords * j + w];
        gap = j;
    }
    for (size_t w = 0; w < kSlotWords; ++w)
        words_[kSlotWords * gap + w] = kNone;
    --count_;
}

void TermTable::resize(size_t capacity) {
    std::vector<Term> old = std::move(words_);
    words_.assign(kSlotWords * capacity, kNone);
    size_t mask = capacity - 1;
    for (size_t s = 0; s < old.size(); s += kSlotWords) {
        if (old[s] == kNone) continue;
        size_t i = size_t(small_value(old[s + 2])) & mask;
        while (key_at(i) != kNone)
            i = (i + 1) & mask;
        for (size_t w = 0; w < kSlotWords; ++w)
            words_[kSlotWords * i + w] = old[s + w];
    }
}

}  // namespace term_table
