// binary: making bitstrings on a process heap, and the bit-level copying
// every binary operation shares (bit syntax, BIFs, the external format).
//
// The object layouts (heap_bin, refc_bin, sub_bin) and the off-heap Binary
// with its atomic reference count are in term.h; this file decides which of
// them a new bitstring of a given size becomes:
//
//   whole bytes, <= 64 bytes   heap_bin
//   whole bytes, >  64 bytes   refc_bin handle -> off-heap Binary
//   not whole bytes            sub_bin over one of the above, covering the
//                              first `bits` bits of ceil(bits / 8) bytes
//
// A refc handle made on a process heap is linked into that heap's off-heap
// list (heap.h), so the GC drops the reference when the handle dies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "vm/process.h"
#include "vm/term.h"

namespace binary {

using term::Term;

// Bitstrings larger than this (in bytes) raise system_limit instead of
// exhausting memory.
constexpr uint64_t kMaxBytes = uint64_t(1) << 32;

// Heap words a new bitstring of `bits` bits takes.
size_t new_words(uint64_t bits);

// Makes a bitstring of `bits` bits in `mem` (new_words(bits) words); its
// bytes, returned in *bytes, are for the caller to fill (the padding bits
// of a last partial byte are zero). Off-heap handles go on `off_heap`.
// kNone when the bytes (over 64, off the heap) cannot be allocated: the
// words in `mem` are then filled with [] and the caller's process dies
// (as for max_heap_size), the VM goes on.
Term make(Term* mem, uint64_t bits, uint8_t** bytes, Term*& off_heap);

// make() on the process heap (may collect: terms in C++ locals go stale).
// Returns kNone when the heap limit is reached or memory is exhausted.
Term alloc(process::Process& p, uint64_t bits, uint8_t** bytes);
// A binary holding a copy of `data`.
Term from_bytes(process::Process& p, const void* data, size_t size);

// A sub-binary of bits [offset, offset + size) of bitstring `t` in `mem`
// (term::kSubBinWords); refers to t's underlying heap or refc binary.
Term make_sub(Term* mem, Term t, uint64_t offset, uint64_t size);

// Copies `n` bits from `src` at bit `src_off` to `dst` at bit `dst_off`
// (most significant bit first). Bits of `dst` outside the range are kept.
void copy_bits(uint8_t* dst, uint64_t dst_off, const uint8_t* src, uint64_t src_off, uint64_t n);

// Appends the bytes of a bitstring whose size is whole bytes to `out`.
void append_bytes(std::string& out, Term bin);

// ---- iolists -------------------------------------------------------------------------

// Flattens an iolist (bytes 0..255, binaries, nested lists; the tail of a
// list may be a binary) or a binary into `out`. With `bits`, bitstrings
// are allowed too (list_to_bitstring); `*bit_len` gets the total in bits.
// False when `t` is not one. Iterative.
bool flatten_iolist(Term t, std::string& out, bool bits = false, uint64_t* bit_len = nullptr);

// The byte size of an iolist without flattening it, or -1.
int64_t iolist_size(Term t);

}  // namespace binary
