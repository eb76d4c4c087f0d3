// atom: the one global atom table, shared by every process and scheduler.
//
// An atom term holds an index into this table (see term.h). Looking up the
// name of an index never locks: entries live in fixed-size chunks that never
// move once published, so atom::name() is two plain loads. Interning a new
// name takes a mutex (it is rare: the loader, list_to_atom, binary_to_atom).
//
//   chunks[]          chunk 0 (static: atoms.def)     chunk 1 (mimalloc)
//   +---------+       +--------------------------+    +-----------------+
//   | chunk 0 |-----> | {"false",5} {"true",4} … |    | {"foo",3} …     |
//   | chunk 1 |--+    +--------------------------+    +-----------------+
//   | null    |  +---------------------------------------^
//   | …       |       index = chunk * kChunkSize + slot
//   +---------+
//
// Invariants: an index < count() always names a fully written entry (the
// entry is written before count is published with release order); names are
// UTF-8, at most 255 characters (not bytes) as in Erlang, and never freed.
// The atoms of atoms.def are preloaded at indices 0.. in file order, so
// atom::kOk and friends are compile-time constants.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace atom {

// The VM's own atoms, as compile-time indices.
enum Index : uint32_t {
#define ATOM(constant, text) constant,
#include "vm/atoms.def"
#undef ATOM
    kPredefinedCount
};

constexpr uint32_t kMaxAtoms = 1u << 20;  // the BEAM's default limit, and ours
// Room past any limit for the library's own atoms (Owner::kLibrary): more
// than every module of the library image names.
constexpr uint32_t kLibraryAtoms = 1u << 16;
constexpr uint32_t kCapacity = kMaxAtoms + kLibraryAtoms;
constexpr uint32_t kMinAtoms = 8192;     // the least --max-atoms (as the BEAM's +t)
constexpr uint32_t kMaxNameChars = 255;  // characters, not bytes
constexpr uint32_t kChunkBits = 12;
constexpr uint32_t kChunkSize = 1u << kChunkBits;
constexpr uint32_t kNoAtom = ~0u;  // returned when interning fails

static_assert(kPredefinedCount <= kChunkSize, "atoms.def must fit in the first chunk");

// One table entry. `text` is not NUL-terminated for interned atoms.
struct Entry {
    const char* text;
    uint32_t length;  // in bytes
};

namespace detail {
// Chunk pointers; a null chunk has no atoms yet. Chunk 0 is static.
extern std::atomic<const Entry*> chunks[kCapacity / kChunkSize];
}  // namespace detail

// The name of an atom index. Lock-free; the index must be valid. Acquire
// order pairs with the release that published the chunk (a plain load on
// x86 and cheap elsewhere).
inline std::string_view name(uint32_t index) {
    const Entry* chunk = detail::chunks[index >> kChunkBits].load(std::memory_order_acquire);
    const Entry& entry = chunk[index & (kChunkSize - 1)];
    return {entry.text, entry.length};
}

// Returns the index of `text`, adding it if new. Returns kNoAtom if the
// table is full (the caller raises system_limit) or the name is longer than
// 255 characters (the caller raises system_limit as well, as the BEAM does).
// `text` must be valid UTF-8; the caller converts Latin-1 first.
//
// Whose atom it is decides the limit: a program's (list_to_atom, a term
// decoded, a module of the program) stops at set_limit()'s; the library's
// (a module loaded from the library image) only at kCapacity, so that a
// program that filled the table can still call io:format, as the BEAM's
// preloaded modules are loaded before any program runs.
enum class Owner : uint8_t { kProgram, kLibrary };
uint32_t intern(std::string_view text, Owner owner = Owner::kProgram);

// Returns the index of `text` if it is already an atom, else kNoAtom
// (list_to_existing_atom).
uint32_t find(std::string_view text);

// Number of atoms in the table.
uint32_t count();

// Lowers the table's limit to `limit` atoms (kMinAtoms..kMaxAtoms), before
// any process runs (--max-atoms); intern() fails once count() reaches it.
void set_limit(uint32_t limit);
// The table's limit (erlang:system_info(atom_limit)).
uint32_t limit();

// The table's memory in bytes (erlang:memory(atom) and atom_used):
// `allocated` is the entry chunks, the chunk array, the hash index and the
// name blocks; `used` counts the entries in use and the bytes of their
// names instead of whole chunks and blocks. The names of atoms.def are in
// the executable and count nothing.
struct Memory {
    size_t allocated;
    size_t used;
};
Memory memory();

// Number of Unicode characters in a UTF-8 string (not validated).
size_t utf8_length(std::string_view text);

}  // namespace atom
