// etf: the external term format (term_to_binary / binary_to_term), as
// Erlang/OTP 25 writes it: version byte 131, then the term. Encoding gives
// OTP's bytes exactly (latin-1 atoms as ATOM_EXT, others as the UTF-8
// atom tags; lists of bytes up to 65535 long as STRING_EXT; floats as
// NEW_FLOAT_EXT, or FLOAT_EXT with {minor_version, 0}).
//
// Decoding is for untrusted input: a first pass walks the bytes with a
// counter of terms still to read (no recursion, nothing allocated), checks
// every length against what is left and sums the heap words; the second
// pass builds the term in one block reserved up front. Any malformed input
// is a clean failure (the BIF raises badarg), never a crash.
//
// Compressed terms (tag 80: the payload's size, then a zlib stream) are
// written as OTP writes them: only when zlib's output at the given level is
// at least 5 bytes shorter than the payload, so the bytes are OTP's.
//
// Not supported (badarg): local funs (NEW_FUN_EXT), pids, ports and
// references of other nodes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "vm/process.h"
#include "vm/term.h"

namespace etf {

using term::Term;

struct EncodeOptions {
    int minor_version = 1;
    int compressed = 0;  // zlib level 0-9 (term_to_binary's `compressed`: 6)
};

// Appends the encoding of `t` (with the version byte) to `out`. False when
// `t` holds something that cannot be encoded (a local fun).
bool encode(Term t, const EncodeOptions& options, std::string& out);

struct DecodeOptions {
    bool safe = false;  // no new atoms
    bool used = false;  // return {Term, BytesUsed}
};

// Decodes the term at the start of bytes [0, size) (which must not be in
// p's heap: decoding may collect). On success returns the term (or {Term,
// BytesUsed} with options.used) and the bytes used in *used;
// on malformed input returns kNone with p untouched, or heap_exhausted's
// kNone with p.status Killed. A new atom that does not fit in the atom table
// also returns kNone, with *atom_table_full set (the caller raises
// system_limit; OTP would end the node).
Term decode(process::Process& p, const uint8_t* bytes, size_t size, const DecodeOptions& options,
            size_t* used, bool* atom_table_full = nullptr);

}  // namespace etf
