// atom: the global atom table (see atom.h for the layout and invariants).
//
// Writers (intern) serialise on one mutex and keep a private open-addressing
// hash from name to index; readers only ever index the chunk array.
#include "vm/atom.h"
#include "vm/memory.h"

#include <mimalloc.h>

#include <cstring>
#include <mutex>

namespace atom {
namespace {

// Chunk 0 holds atoms.def, constant-initialised so that atom::name() works
// before main() and without any initialisation call.
Entry first_chunk[kChunkSize] = {
#define ATOM(constant, text) {text, sizeof(text) - 1},
#include "vm/atoms.def"
#undef ATOM
};

// Everything below is guarded by `mutex`.
std::mutex mutex;
std::atomic<uint32_t> atom_count{kPredefinedCount};
uint32_t atom_limit = kMaxAtoms;
uint32_t* hash_slots = nullptr;  // atom index or kNoAtom; power-of-two size
uint32_t hash_capacity = 0;
char* text_block = nullptr;  // bump allocator for names; blocks never freed
size_t text_left = 0;
size_t text_blocks = 0;       // allocated, for memory()
size_t text_used = 0;         // bytes of interned names
size_t chunks_allocated = 1;  // first_chunk included

constexpr size_t kTextBlockBytes = 64 * 1024;

uint64_t hash_text(std::string_view text) {
    uint64_t hash = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : text)
        hash = (hash ^ c) * 1099511628211ull;
    return hash ^ (hash >> 29);
}

// Returns the slot holding `text`, or the empty slot where it belongs.
uint32_t* probe(std::string_view text) {
    uint32_t mask = hash_capacity - 1;
    for (uint64_t i = hash_text(text) & mask;; i = (i + 1) & mask) {
        uint32_t index = hash_slots[i];
        if (index == kNoAtom || name(index) == text) return &hash_slots[i];
    }
}

void grow_hash() {
    uint32_t* old_slots = hash_slots;
    uint32_t old_capacity = hash_capacity;
    hash_capacity = old_capacity ? old_capacity * 2 : 4096;
    size_t bytes = hash_capacity * sizeof(uint32_t);
    hash_slots = memory::checked(static_cast<uint32_t*>(mi_malloc(bytes)), bytes, "atom table");
    std::memset(hash_slots, 0xff, hash_capacity * sizeof(uint32_t));
    for (uint32_t i = 0; i < old_capacity; ++i) {
        if (old_slots[i] != kNoAtom) *probe(name(old_slots[i])) = old_slots[i];
    }
    mi_free(old_slots);
}

// First use: hash the predefined atoms.
void ensure_hash() {
    if (hash_slots) return;
    grow_hash();
    for (uint32_t i = 0; i < kPredefinedCount; ++i)
        *probe(name(i)) = i;
}

// Never null, even for the empty atom interned first (memcpy's arguments
// must not be null, whatever the size: UBSan under the fuzzer).
const char* copy_text(std::string_view text) {
    if (text_left < text.size() || !text_block) {
        text_block = memory::checked(static_cast<char*>(mi_malloc(kTextBlockBytes)),
                                     kTextBlockBytes, "atom text");
        text_left = kTextBlockBytes;
        ++text_blocks;
    }
    text_used += text.size();
    char* copy = text_block;
    std::memcpy(copy, text.data(), text.size());
    text_block += text.size();
    text_left -= text.size();
    return copy;
}

// Appends a new entry; the caller holds the mutex and checked the limit.
uint32_t append(std::string_view text) {
    uint32_t index = atom_count.load(std::memory_order_relaxed);
    auto& chunk_slot = detail::chunks[index >> kChunkBits];
    Entry* chunk = const_cast<Entry*>(chunk_slot.load(std::memory_order_relaxed));
    if (!chunk) {
        chunk = memory::checked(static_cast<Entry*>(mi_zalloc(kChunkSize * sizeof(Entry))),
                                kChunkSize * sizeof(Entry), "atom table");
        chunk_slot.store(chunk, std::memory_order_release);
        ++chunks_allocated;
    }
    chunk[index & (kChunkSize - 1)] = Entry{copy_text(text), uint32_t(text.size())};
    atom_count.store(index + 1, std::memory_order_release);
    return index;
}

}  // namespace

namespace detail {
std::atomic<const Entry*> chunks[kCapacity / kChunkSize] = {first_chunk};
}  // namespace detail

size_t utf8_length(std::string_view text) {
    size_t chars = 0;
    for (unsigned char c : text)
        chars += (c & 0xC0) != 0x80;
    return chars;
}

uint32_t intern(std::string_view text, Owner owner) {
    if (text.size() > kMaxNameChars && utf8_length(text) > kMaxNameChars) return kNoAtom;
    std::lock_guard<std::mutex> lock(mutex);
    ensure_hash();
    uint32_t* slot = probe(text);
    if (*slot != kNoAtom) return *slot;
    uint32_t index = atom_count.load(std::memory_order_relaxed);
    if (index >= (owner == Owner::kLibrary ? kCapacity : atom_limit)) return kNoAtom;
    *slot = append(text);
    if (2 * (index + 1) > hash_capacity) grow_hash();
    return index;
}

uint32_t find(std::string_view text) {
    std::lock_guard<std::mutex> lock(mutex);
    ensure_hash();
    return *probe(text);
}

uint32_t count() {
    return atom_count.load(std::memory_order_acquire);
}

void set_limit(uint32_t limit) {
    std::lock_guard<std::mutex> lock(mutex);
    atom_limit = limit < kMinAtoms ? kMinAtoms : limit > kMaxAtoms ? kMaxAtoms : limit;
}

uint32_t limit() {
    std::lock_guard<std::mutex> lock(mutex);
    return atom_limit;
}

Memory memory() {
    std::lock_guard<std::mutex> lock(mutex);
    size_t fixed = sizeof(detail::chunks) + size_t(hash_capacity) * sizeof(uint32_t);
    size_t entries = chunks_allocated * kChunkSize * sizeof(Entry);
    size_t used_entries = size_t(atom_count.load(std::memory_order_relaxed)) * sizeof(Entry);
    return {fixed + entries + text_blocks * kTextBlockBytes, fixed + used_entries + text_used};
}

}  // namespace atom
