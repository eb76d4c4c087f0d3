// term_table: see term_table.h.
#include "vm/term_table.h"

#include "vm/map.h"

namespace term_table {

using namespace term;

namespace {
constexpr size_t kMinCapacity = 16;
}

size_t TermTable::find(Term key, uint32_t hash) const {
    size_t mask = capacity() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        Term k = words_[2 * i];
        if (k == kNone || (hashes_[i] == hash && exact_equal(k, key))) return i;
    }
}

Term TermTable::get(Term key) const {
    if (count_ == 0) return kNone;
    size_t i = find(key, map::internal_hash(key));
    return words_[2 * i] == kNone ? kNone : words_[2 * i + 1];
}

Term TermTable::put(Term key, Term value) {
    if ((count_ + 1) * 4 > capacity() * 3) resize(capacity() == 0 ? kMinCapacity : capacity() * 2);
    uint32_t hash = map::internal_hash(key);
    size_t i = find(key, hash);
    Term old = words_[2 * i + 1];
    if (words_[2 * i] == kNone) {
        words_[2 * i] = key;
        hashes_[i] = hash;
        ++count_;
    }
    words_[2 * i + 1] = value;
    return old;
}

Term TermTable::erase(Term key) {
    if (count_ == 0) return kNone;
    size_t i = find(key, map::internal_hash(key));
    Term old = words_[2 * i + 1];
    if (words_[2 * i] == kNone) return kNone;
    remove_at(i);
    if (count_ == 0) {
        clear();
    } else if (capacity() > kMinCapacity && count_ * 8 < capacity()) {
        resize(capacity() / 2);
    }
    return old;
}

void TermTable::clear() {
    words_ = {};
    hashes_ = {};
    count_ = 0;
}

// Empties `slot`, then moves back each key of the run after it that may
// sit there (its home slot is not cyclically between the gap and itself),
// so that every key stays reachable from its home slot without a gap.
void TermTable::remove_at(size_t slot) {
    size_t mask = capacity() - 1;
    size_t gap = slot;
    for (size_t j = (slot + 1) & mask; words_[2 * j] != kNone; j = (j + 1) & mask) {
        size_t home = hashes_[j] & mask;
        if (((j - home) & mask) < ((j - gap) & mask)) continue;
        words_[2 * gap] = words_[2 * j];
        words_[2 * gap + 1] = words_[2 * j + 1];
        hashes_[gap] = hashes_[j];
        gap = j;
    }
    words_[2 * gap] = kNone;
    words_[2 * gap + 1] = kNone;
    --count_;
}

void TermTable::resize(size_t capacity) {
    std::vector<Term> old_words = std::move(words_);
    std::vector<uint32_t> old_hashes = std::move(hashes_);
    words_.assign(2 * capacity, kNone);
    hashes_.assign(capacity, 0);
    size_t mask = capacity - 1;
    for (size_t s = 0; s < old_hashes.size(); ++s) {
        if (old_words[2 * s] == kNone) continue;
        size_t i = old_hashes[s] & mask;
        while (words_[2 * i] != kNone)
            i = (i + 1) & mask;
        words_[2 * i] = old_words[2 * s];
        words_[2 * i + 1] = old_words[2 * s + 1];
        hashes_[i] = old_hashes[s];
    }
}

}  // namespace term_table
