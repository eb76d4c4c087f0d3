// term: the representation of Erlang terms as 64-bit tagged words.
//
// This file owns the bit layout of every term and heap object, their
// constructors, predicates and accessors (small inline functions: the
// interpreter's hot path), and declares the slow generic operations
// implemented in term.cpp: term order, equality, printing.
//
// Constructors never allocate: they take memory the caller has reserved on a
// process heap, a heap fragment or a literal area (see heap.h), sized with
// the matching *_words() function. No function here allocates per term.
//
// ---------------------------------------------------------------------------
// Primary tag: the low 2 bits of every word.
//
//   ...............................00   header (only as the first word of a
//                                        boxed object, never in a register)
//   <------- 62-bit address ------>01   cons pointer  -> [car, cdr]
//   <------- 62-bit address ------>10   boxed pointer -> [header, ...]
//   ..............................11    immediate
//
// Heap objects are 8-byte aligned, so a pointer keeps its low 3 bits free.
//
// Immediates, by the low 4 bits, then the low 6 bits:
//
//   <------- 60-bit signed value -->0011   small integer
//   <--- 60-bit pid number -------->0111   local pid (slot | serial << 27)
//   <--- 60-bit port number ------->1011   local port
//   <-- 58-bit atom index ------->00 1111  atom
//   <-- 58-bit catch payload ---->01 1111  catch marker (interpreter stack)
//   000 ......................... 10 1111  nil, [] (only this one value)
//   000 ......................... 11 1111  kNone: "no value" (never a term
//                                          inside a heap object except as a
//                                          GC forwarding mark; see gc.h)
//
// ---------------------------------------------------------------------------
// Header word of a boxed object:
//
//   <------ 56-bit size ----------><-kind-><00>
//    63                           8 7     2 1 0
//
// `size` counts the words after the header, so an object takes size + 1
// words. The layouts by kind (one box = one 64-bit word):
//
//   tuple      [hdr size=n][e1]...[en]                  e_i: terms
//   pos_big /  [hdr size=n][limb0]...[limb n-1]         GMP mpn limbs, least
//   neg_big                                             significant first
//   float      [hdr size=1][IEEE double]
//   ref        [hdr size=2][id][extra]                  raw 64-bit numbers
//   resource   [hdr kind=ref size=3][id][Resource*][next handle]
//              ref                                      a reference that names
//                                                       an off-heap Resource
//                                                       (a file, a buffer);
//                                                       next: as for refc_bin
//   fun        [hdr size=1+f][FunEntry*][free1]...[free f]
//   export     [hdr size=3][module][function][arity]    atoms, small: fun M:F/A
//   flat_map   [hdr size=1+n][keys][v1]...[vn]          keys: boxed tuple of n
//                                                       keys in map-key order
//   hash_map   (reserved: HAMT nodes for maps over 32 keys)
//   heap_bin   [hdr size=1+ceil(b/8)][b][bytes...]      b: byte size <= 64
//   refc_bin   [hdr size=3][b][Binary*][next handle]    off-heap bytes; next:
//                                                       raw Term* (off-heap
//                                                       list, see heap.h)
//   sub_bin    [hdr size=3][original][bit size][bit offset]
//                                                       original: heap_bin or
//                                                       refc_bin, never sub_bin
//   ext_pid, ext_port, ext_ref   (reserved: distribution)
//   match_state [hdr size=5][original][position][end][base][tail]
//                                                       a binary match context
//                                                       (bitsyntax.h): bit
//                                                       offsets into original
//                                                       (heap_bin/refc_bin);
//                                                       only in registers
//
// A bitstring whose size is not whole bytes is a sub_bin over a heap_bin or
// refc_bin of ceil(bits / 8) bytes (binary.h decides which a new one is).
// The Binary behind a refc_bin is shared by every handle (any process, and
// the literal area); its count is atomic since handles on other scheduler
// threads drop their references concurrently.
//
// Which words of an object are terms (scanned by the GC and the verifier) is
// given by term_words() below; all other words are raw data.
//
// Invariants:
// - A cons pointer points to two words [car, cdr], neither of them a header,
//   in one process heap, one heap fragment or one literal area.
// - A boxed pointer points to a header word in the same kinds of areas.
// - Integers are canonical: a value that fits in a small is a small, and a
//   bignum has no leading zero limb.
// - Flat map keys are sorted in map-key order (term order where any integer
//   is less than any float) and unique; at most kMaxFlatMapKeys.
// - A header never appears in an X register, a Y slot or as an element.
//   On the process stack, a word with primary tag 00 is a continuation
//   pointer (a code address), which the GC skips.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "vm/atom.h"

namespace term {

using Term = uint64_t;

// ---- tags ----------------------------------------------------------------

constexpr Term kPrimaryMask = 0x3;
constexpr Term kTagHeader = 0x0;
constexpr Term kTagCons = 0x1;
constexpr Term kTagBoxed = 0x2;
constexpr Term kTagImmediate = 0x3;

constexpr Term kImmediateMask = 0xF;
constexpr Term kTagSmall = 0x3;
constexpr Term kTagPid = 0x7;
constexpr Term kTagPort = 0xB;
constexpr Term kTagImmediate2 = 0xF;

constexpr Term kImmediate2Mask = 0x3F;
constexpr Term kTagAtom = 0x0F;
constexpr Term kTagCatch = 0x1F;
constexpr Term kTagNil = 0x2F;
constexpr Term kTagSpecial = 0x3F;

constexpr Term kNil = kTagNil;
constexpr Term kNone = kTagSpecial;  // the non-value

constexpr int kSmallBits = 60;
constexpr int64_t kSmallMax = (int64_t(1) << (kSmallBits - 1)) - 1;
constexpr int64_t kSmallMin = -(int64_t(1) << (kSmallBits - 1));

constexpr inline Term primary_tag(Term t) {
    return t & kPrimaryMask;
}
constexpr inline bool is_header(Term t) {
    return primary_tag(t) == kTagHeader;
}
constexpr inline bool is_cons(Term t) {
    return primary_tag(t) == kTagCons;
}
constexpr inline bool is_boxed(Term t) {
    return primary_tag(t) == kTagBoxed;
}
constexpr inline bool is_immediate(Term t) {
    return primary_tag(t) == kTagImmediate;
}
// True for cons and boxed pointers: the words the GC follows.
constexpr inline bool is_pointer(Term t) {
    return ((t + 1) & 2) != 0;
}

constexpr inline bool is_small(Term t) {
    return (t & kImmediateMask) == kTagSmall;
}
constexpr inline bool is_local_pid(Term t) {
    return (t & kImmediateMask) == kTagPid;
}
constexpr inline bool is_local_port(Term t) {
    return (t & kImmediateMask) == kTagPort;
}
constexpr inline bool is_atom(Term t) {
    return (t & kImmediate2Mask) == kTagAtom;
}
constexpr inline bool is_catch(Term t) {
    return (t & kImmediate2Mask) == kTagCatch;
}
constexpr inline bool is_nil(Term t) {
    return t == kNil;
}
constexpr inline bool is_none(Term t) {
    return t == kNone;
}
constexpr inline bool is_list(Term t) {
    return is_cons(t) || is_nil(t);
}

// ---- small integers --------------------------------------------------------

constexpr inline bool fits_small(int64_t v) {
    return v >= kSmallMin && v <= kSmallMax;
}
constexpr inline Term make_small(int64_t v) {
    return (uint64_t(v) << 4) | kTagSmall;
}
constexpr inline int64_t small_value(Term t) {
    return int64_t(t) >> 4;
}

// Overflow-checked arithmetic on two smalls. On success stores the small
// result and returns true; on overflow returns false (the caller goes to
// bignums). Works on the tagged words: (a<<4) + (b<<4) overflows int64
// exactly when a + b leaves the 60-bit range. Only b's tag is taken off:
// a's stays in the low bits, where adding it never carries, so the result
// is tagged already.
inline bool small_add(Term a, Term b, Term* out) {
    int64_t sum;
    if (__builtin_add_overflow(int64_t(a), int64_t(b - kTagSmall), &sum)) return false;
    *out = Term(sum);
    return true;
}
inline bool small_sub(Term a, Term b, Term* out) {
    int64_t diff;
    if (__builtin_sub_overflow(int64_t(a), int64_t(b - kTagSmall), &diff)) return false;
    *out = Term(diff);
    return true;
}
inline bool small_mul(Term a, Term b, Term* out) {
    int64_t product;
    if (__builtin_mul_overflow(small_value(a), int64_t(b & ~kImmediateMask), &product))
        return false;
    *out = Term(product) | kTagSmall;
    return true;
}

// ---- atoms, pids, ports, catch markers ---------------------------------------

constexpr inline Term make_atom(uint32_t index) {
    return (Term(index) << 6) | kTagAtom;
}
constexpr inline uint32_t atom_index(Term t) {
    return uint32_t(t >> 6);
}

constexpr Term kTrue = make_atom(atom::kTrue);
constexpr Term kFalse = make_atom(atom::kFalse);
constexpr Term kOk = make_atom(atom::kOk);
constexpr Term kError = make_atom(atom::kError);
constexpr Term kUndefined = make_atom(atom::kUndefined);

constexpr inline Term make_bool(bool b) {
    return b ? kTrue : kFalse;
}

// A pid number is slot | serial << kPidSlotBits: the slot indexes the process
// table and the serial tells a reused slot's processes apart. It prints as
// <0.number.0>.
constexpr int kPidSlotBits = 27;
constexpr inline Term make_pid(uint64_t slot, uint64_t serial) {
    return ((slot | serial << kPidSlotBits) << 4) | kTagPid;
}
constexpr inline uint64_t pid_number(Term t) {
    return t >> 4;
}
constexpr inline uint64_t pid_slot(Term t) {
    return pid_number(t) & ((1u << kPidSlotBits) - 1);
}
constexpr inline uint64_t pid_serial(Term t) {
    return pid_number(t) >> kPidSlotBits;
}

constexpr inline Term make_port(uint64_t number) {
    return (number << 4) | kTagPort;
}
constexpr inline uint64_t port_number(Term t) {
    return t >> 4;
}

// The payload is the interpreter's (a handler index or code offset).
constexpr inline Term make_catch(uint64_t payload) {
    return (payload << 6) | kTagCatch;
}
constexpr inline uint64_t catch_payload(Term t) {
    return t >> 6;
}

// ---- pointers ---------------------------------------------------------------

inline Term* cons_ptr(Term t) {
    return reinterpret_cast<Term*>(t - kTagCons);
}
inline Term* boxed_ptr(Term t) {
    return reinterpret_cast<Term*>(t - kTagBoxed);
}
inline Term make_cons_ptr(const Term* cell) {
    return reinterpret_cast<Term>(cell) | kTagCons;
}
inline Term make_boxed_ptr(const Term* object) {
    return reinterpret_cast<Term>(object) | kTagBoxed;
}
// The address a cons or boxed pointer points to.
inline Term* pointer_target(Term t) {
    return reinterpret_cast<Term*>(t & ~kPrimaryMask);
}

// ---- cons cells ---------------------------------------------------------------

constexpr size_t kConsWords = 2;

inline Term car(Term t) {
    return cons_ptr(t)[0];
}
inline Term cdr(Term t) {
    return cons_ptr(t)[1];
}
inline Term make_cons(Term* cell, Term head, Term tail) {
    cell[0] = head;
    cell[1] = tail;
    return make_cons_ptr(cell);
}

// ---- headers -----------------------------------------------------------------

enum class Kind : uint8_t {
    kTuple = 0,  // 0 so that a tuple header is just arity << 8
    kPosBig,
    kNegBig,
    kFloat,
    kRef,
    kFun,
    kExport,
    kFlatMap,
    kHashMap,  // reserved
    kHeapBin,
    kRefcBin,
    kSubBin,
    kExtPid,      // reserved
    kExtPort,     // reserved
    kExtRef,      // reserved
    kMatchState,  // binary matching (bitsyntax.h)
    kCount
};

constexpr uint64_t kMaxObjectWords = uint64_t(1) << 56;

constexpr inline Term make_header(Kind kind, uint64_t size) {
    return (size << 8) | (Term(kind) << 2) | kTagHeader;
}
constexpr inline Kind header_kind(Term header) {
    return Kind((header >> 2) & 0x3F);
}
constexpr inline uint64_t header_size(Term header) {
    return header >> 8;
}

// The header of the object a boxed term points to.
inline Term boxed_header(Term t) {
    return *boxed_ptr(t);
}
inline bool is_boxed_kind(Term t, Kind kind) {
    return is_boxed(t) && header_kind(boxed_header(t)) == kind;
}

// Which words of an object (by offset from the header) hold terms: the range
// [first, first + count). Everything else is raw data the GC never follows.
struct TermWords {
    uint64_t first;
    uint64_t count;
};
inline TermWords term_words(Term header) {
    uint64_t size = header_size(header);
    switch (header_kind(header)) {
        case Kind::kTuple:
        case Kind::kExport:
        case Kind::kFlatMap:
        case Kind::kHashMap:
            return {1, size};
        case Kind::kFun:
            return {2, size - 1};
        case Kind::kSubBin:
        case Kind::kMatchState:
            return {1, 1};
        default:
            return {1, 0};
    }
}

// ---- tuples -------------------------------------------------------------------

// The largest tuple, as in OTP (MAX_ARITY, 2^24 - 1): the BIFs that build
// one of a size they are given raise badarg beyond it.
constexpr uint64_t kMaxTupleArity = (uint64_t(1) << 24) - 1;

inline size_t tuple_words(size_t arity) {
    return 1 + arity;
}
inline bool is_tuple(Term t) {
    return is_boxed(t) && (boxed_header(t) & 0xFF) == 0;
}
inline uint64_t tuple_arity(Term t) {
    return header_size(boxed_header(t));
}
// Elements are numbered from 1, as in element/2.
inline Term* tuple_elements(Term t) {
    return boxed_ptr(t) + 1;
}
inline Term tuple_element(Term t, uint64_t i) {
    return boxed_ptr(t)[i];
}
// Writes the header; the caller fills the elements.
inline Term make_tuple(Term* mem, uint64_t arity) {
    mem[0] = make_header(Kind::kTuple, arity);
    return make_boxed_ptr(mem);
}
// {A, B} at `mem`, which it moves past the tuple.
inline Term put_tuple2(Term*& mem, Term a, Term b) {
    Term t = make_tuple(mem, 2);
    mem[1] = a;
    mem[2] = b;
    mem += 3;
    return t;
}

// ---- floats -----------------------------------------------------------------------

constexpr size_t kFloatWords = 2;
// Every float has this header: is_float is one compare of it.
constexpr Term kFloatHeader = make_header(Kind::kFloat, 1);
inline bool is_float(Term t) {
    return is_boxed(t) && boxed_ptr(t)[0] == kFloatHeader;
}
inline double float_value(Term t) {
    double d;
    std::memcpy(&d, boxed_ptr(t) + 1, sizeof d);
    return d;
}
inline Term make_float(Term* mem, double d) {
    mem[0] = kFloatHeader;
    std::memcpy(mem + 1, &d, sizeof d);
    return make_boxed_ptr(mem);
}

// ---- integers: smalls and bignums ----------------------------------------------------

using Limb = uint64_t;  // GMP's mp_limb_t on every 64-bit target we build for

inline bool is_bignum(Term t) {
    if (!is_boxed(t)) return false;
    Kind kind = header_kind(boxed_header(t));
    return kind == Kind::kPosBig || kind == Kind::kNegBig;
}
inline bool is_integer(Term t) {
    return is_small(t) || is_bignum(t);
}
inline bool is_number(Term t) {
    return is_integer(t) || is_float(t);
}
inline bool bignum_negative(Term t) {
    return header_kind(boxed_header(t)) == Kind::kNegBig;
}
inline uint64_t bignum_limb_count(Term t) {
    return header_size(boxed_header(t));
}
inline Limb* bignum_limbs(Term t) {
    return boxed_ptr(t) + 1;
}
inline size_t bignum_words(size_t limbs) {
    return 1 + limbs;
}

// Words needed for an integer: 0 if it is a small.
inline size_t integer_words(int64_t v) {
    return fits_small(v) ? 0 : bignum_words(1);
}
size_t integer_words(__int128 v);

// Makes a small or (using `mem`, sized by integer_words) a bignum.
Term make_integer(Term* mem, int64_t v);
Term make_integer(Term* mem, __int128 v);

// Makes a canonical integer from a magnitude of `n` limbs (leading zeros
// allowed) and a sign: a small if it fits, else a bignum written at `mem`,
// which must hold bignum_words(n). Returns the term; `mem` is unused for a
// small.
Term make_bignum(Term* mem, bool negative, const Limb* limbs, size_t n);

// ---- references ---------------------------------------------------------------

constexpr size_t kRefWords = 3;
inline bool is_local_ref(Term t) {
    return is_boxed_kind(t, Kind::kRef);
}
inline bool is_ref(Term t) {
    return is_local_ref(t) || is_boxed_kind(t, Kind::kExtRef);
}
inline uint64_t ref_id(Term t) {
    return boxed_ptr(t)[1];
}
// A plain ref's extra word (an alias's owner pid, or 0); 0 for a resource
// ref, whose third word is its Resource.
inline uint64_t ref_extra(Term t) {
    const Term* object = boxed_ptr(t);
    return object[0] == make_header(Kind::kRef, 2) ? object[2] : 0;
}
inline Term make_ref(Term* mem, uint64_t id, uint64_t extra) {
    mem[0] = make_header(Kind::kRef, 2);
    mem[1] = id;
    mem[2] = extra;
    return make_boxed_ptr(mem);
}

// ---- funs -----------------------------------------------------------------------

// What the loader knows about one fun of a module. Lives as long as the
// module's code; a fun object points to it with a raw pointer.
struct FunEntry {
    Term module;        // atom
    uint32_t index;     // the fun's number in its module: #Fun<M.index.uniq>
    uint32_t uniq;      // printed third; funs of one module differ by index
    uint32_t arity;     // arguments the caller passes
    uint32_t num_free;  // free variables captured
    const void* code;   // entry point, set by the loader
};

inline bool is_local_fun(Term t) {
    return is_boxed_kind(t, Kind::kFun);
}
inline bool is_export(Term t) {
    return is_boxed_kind(t, Kind::kExport);
}
inline bool is_fun(Term t) {
    return is_local_fun(t) || is_export(t);
}
inline size_t fun_words(size_t num_free) {
    return 2 + num_free;
}
inline const FunEntry* fun_entry(Term t) {
    return reinterpret_cast<const FunEntry*>(boxed_ptr(t)[1]);
}
inline uint64_t fun_num_free(Term t) {
    return header_size(boxed_header(t)) - 1;
}
inline Term* fun_free_vars(Term t) {
    return boxed_ptr(t) + 2;
}
// Writes header and entry; the caller fills the entry->num_free free vars.
inline Term make_fun(Term* mem, const FunEntry* entry) {
    mem[0] = make_header(Kind::kFun, 1 + entry->num_free);
    mem[1] = reinterpret_cast<Term>(entry);
    return make_boxed_ptr(mem);
}

constexpr size_t kExportWords = 4;
inline Term export_module(Term t) {
    return boxed_ptr(t)[1];
}
inline Term export_function(Term t) {
    return boxed_ptr(t)[2];
}
inline uint64_t export_arity(Term t) {
    return uint64_t(small_value(boxed_ptr(t)[3]));
}
inline Term make_export(Term* mem, Term module, Term function, uint64_t arity) {
    mem[0] = make_header(Kind::kExport, 3);
    mem[1] = module;
    mem[2] = function;
    mem[3] = make_small(int64_t(arity));
    return make_boxed_ptr(mem);
}

// ---- maps ---------------------------------------------------------------------------

constexpr size_t kMaxFlatMapKeys = 32;
inline bool is_flat_map(Term t) {
    return is_boxed_kind(t, Kind::kFlatMap);
}
inline bool is_map(Term t) {
    return is_flat_map(t) || is_boxed_kind(t, Kind::kHashMap);
}
inline uint64_t flat_map_size(Term t) {
    return header_size(boxed_header(t)) - 1;
}
inline Term flat_map_keys(Term t) {
    return boxed_ptr(t)[1];
}
inline Term* flat_map_values(Term t) {
    return boxed_ptr(t) + 2;
}
// Words for a map of n keys including its keys tuple.
inline size_t flat_map_words(size_t n) {
    return 2 + n + tuple_words(n);
}
// Writes header and keys; the caller fills the values in key order.
inline Term make_flat_map_raw(Term* mem, Term keys_tuple) {
    uint64_t n = tuple_arity(keys_tuple);
    mem[0] = make_header(Kind::kFlatMap, 1 + n);
    mem[1] = keys_tuple;
    return make_boxed_ptr(mem);
}
// Builds a map from n (key, value) pairs in any order; a later duplicate
// key wins, as in #{K => 1, K => 2}. `mem` holds flat_map_words(n); n must
// be at most kMaxFlatMapKeys. Returns the map (which may use fewer words).
Term make_flat_map(Term* mem, const Term* keys, const Term* values, size_t n);
// The value for `key` (compared exactly), or kNone.
Term flat_map_get(Term map, Term key);

// ---- binaries ---------------------------------------------------------------------

constexpr size_t kMaxHeapBinBytes = 64;

// An off-heap binary: the bytes of a refc binary, shared between processes
// and literal areas. Every refc handle (and only those) holds one reference.
struct Binary {
    std::atomic<uint64_t> refs;
    uint64_t size;  // bytes
    uint8_t bytes[];
};
// refs = 1: the caller's reference. nullptr when memory is exhausted.
Binary* binary_new(uint64_t size);
inline void binary_retain(Binary* b) {
    b->refs.fetch_add(1, std::memory_order_relaxed);
}
void binary_release(Binary* b);  // frees at zero
// Bytes held by all off-heap binaries now (erlang:memory(binary)): each
// counts once however many processes and messages refer to it.
uint64_t binary_bytes();

// An off-heap object a reference names (resource.h): a file, a buffer.
// Every resource ref handle holds one reference, as refc handles do.
struct Resource {
    std::atomic<uint64_t> refs{1};
    uint64_t id = 0;  // the ref's id, unique among all refs
    virtual ~Resource() = default;
};
inline void resource_retain(Resource* r) {
    r->refs.fetch_add(1, std::memory_order_relaxed);
}
void resource_release(Resource* r);  // deletes at zero

inline size_t heap_bin_words(uint64_t bytes) {
    return 2 + (bytes + 7) / 8;
}
inline Term make_heap_bin(Term* mem, const void* bytes, uint64_t size) {
    mem[0] = make_header(Kind::kHeapBin, 1 + (size + 7) / 8);
    mem[1] = size;
    mem[1 + (size + 7) / 8] = 0;  // zero the padding of the last word
    if (size) std::memcpy(mem + 2, bytes, size);
    return make_boxed_ptr(mem);
}

constexpr size_t kRefcBinWords = 4;
inline Binary* refc_binary(Term t) {
    return reinterpret_cast<Binary*>(boxed_ptr(t)[2]);
}
// The handle's link in an off-heap list: the next handle object or null.
inline Term*& refc_next(Term* handle) {
    return reinterpret_cast<Term*&>(handle[3]);
}
// Makes a handle taking over one reference to `b` (the caller's) and links
// it at the head of the off-heap list `list` (of a heap or fragment).
inline Term make_refc_bin(Term* mem, Binary* b, Term*& list) {
    mem[0] = make_header(Kind::kRefcBin, 3);
    mem[1] = b->size;
    mem[2] = reinterpret_cast<Term>(b);
    refc_next(mem) = list;
    list = mem;
    return make_boxed_ptr(mem);
}

constexpr size_t kResourceRefWords = 4;
inline bool is_resource_ref(Term t) {
    return is_boxed(t) && boxed_header(t) == make_header(Kind::kRef, 3);
}
inline Resource* resource_of(Term t) {
    return reinterpret_cast<Resource*>(boxed_ptr(t)[2]);
}
// Makes a resource ref taking over one reference to `r` (the caller's) and
// links it into the off-heap list `list`, as make_refc_bin does.
inline Term make_resource_ref(Term* mem, Resource* r, Term*& list) {
    mem[0] = make_header(Kind::kRef, 3);
    mem[1] = r->id;
    mem[2] = reinterpret_cast<Term>(r);
    refc_next(mem) = list;
    list = mem;
    return make_boxed_ptr(mem);
}

// The handles of an off-heap list are refc binaries and resource refs;
// these take and drop the reference of either kind.
inline void off_heap_retain(const Term* handle) {
    if (header_kind(handle[0]) == Kind::kRefcBin)
        binary_retain(reinterpret_cast<Binary*>(handle[2]));
    else
        resource_retain(reinterpret_cast<Resource*>(handle[2]));
}
inline void off_heap_release(const Term* handle) {
    if (header_kind(handle[0]) == Kind::kRefcBin)
        binary_release(reinterpret_cast<Binary*>(handle[2]));
    else
        resource_release(reinterpret_cast<Resource*>(handle[2]));
}
inline bool is_off_heap_handle(Term header) {
    return header_kind(header) == Kind::kRefcBin || header == make_header(Kind::kRef, 3);
}

constexpr size_t kSubBinWords = 4;
// `original` must be a heap or refc binary (never a sub-binary).
inline Term make_sub_bin(Term* mem, Term original, uint64_t bit_offset, uint64_t bit_size) {
    mem[0] = make_header(Kind::kSubBin, 3);
    mem[1] = original;
    mem[2] = bit_size;
    mem[3] = bit_offset;
    return make_boxed_ptr(mem);
}

inline bool is_bitstring(Term t) {
    if (!is_boxed(t)) return false;
    Kind kind = header_kind(boxed_header(t));
    return kind == Kind::kHeapBin || kind == Kind::kRefcBin || kind == Kind::kSubBin;
}

// A view of any bitstring's bits: bit i of the value is bit (7 - (offset+i)
// % 8) of bytes[(offset + i) / 8], most significant bit first.
struct Bits {
    const uint8_t* bytes;
    uint64_t bit_offset;
    uint64_t bit_size;
};
inline Bits bits_of(Term t) {
    Term* object = boxed_ptr(t);
    switch (header_kind(object[0])) {
        case Kind::kHeapBin:
            return {reinterpret_cast<const uint8_t*>(object + 2), 0, object[1] * 8};
        case Kind::kRefcBin:
            return {refc_binary(t)->bytes, 0, object[1] * 8};
        default: {  // sub_bin
            Bits whole = bits_of(object[1]);
            return {whole.bytes, object[3], object[2]};
        }
    }
}
inline bool is_binary(Term t) {
    return is_bitstring(t) && bits_of(t).bit_size % 8 == 0;
}
// The byte at byte position i of a bitstring (any bit offset).
inline uint8_t bits_byte(const Bits& b, uint64_t i) {
    uint64_t bit = b.bit_offset + i * 8;
    unsigned shift = bit % 8;
    const uint8_t* p = b.bytes + bit / 8;
    if (shift == 0) return p[0];
    return uint8_t(p[0] << shift | p[1] >> (8 - shift));
}

// The first b.bit_size (< 8) bits of a view, most significant bit first,
// low bits zero. Reads only bytes that hold those bits.
inline uint8_t bits_partial_byte(const Bits& b) {
    unsigned shift = b.bit_offset % 8;
    const uint8_t* p = b.bytes + b.bit_offset / 8;
    unsigned v = unsigned(p[0]) << shift;
    if (shift + b.bit_size > 8) v |= p[1] >> (8 - shift);
    return uint8_t(v & (0xFF00u >> b.bit_size));
}

// ---- generic operations (term.cpp) --------------------------------------------------

// Erlang term order: number < atom < reference < fun < port < pid < tuple <
// map < nil < list < bitstring. Returns <0, 0 or >0. With exact == false,
// integers and floats compare by value (1 == 1.0, the == / < of Erlang);
// with exact == true, any integer is less than any float (map-key order).
// Map keys are always compared exactly. Never recurses on the C stack.
int compare(Term a, Term b, bool exact = false);

// =:= : structural equality with 1 =/= 1.0.
bool exact_equal(Term a, Term b);
// == : like =:= but integers and floats compare by value.
inline bool equal(Term a, Term b) {
    return a == b || compare(a, b, false) == 0;
}

// Appends the ~w form of `t` (io:format("~w")) to `out`, as UTF-8.
void print(std::string& out, Term t);
std::string to_string(Term t);
// Appends `t` as erlang:display/1 prints it (erts's term printer: strings
// of bytes, floats as C's %e, binaries of 32-126 as text, `=>` in maps).
void print_display(std::string& out, Term t);

// Appends the shortest round-trip form of `d` as Erlang prints it.
void print_float(std::string& out, double d);
// Appends an atom name, quoted and escaped where Erlang would.
void print_atom(std::string& out, uint32_t index);
// The same as io_lib:write_atom/1 (~tw, ~tp): characters above 255 inside
// quotes are written as themselves instead of as \x{...} escapes.
void print_atom_unicode(std::string& out, uint32_t index);

// Appends code point `c` to `out` in UTF-8 (any value up to 0x1FFFFF,
// surrogates included: Erlang characters are plain integers).
void append_utf8(std::string& out, uint32_t c);

// Reads the code point of UTF-8 text `s` at `i` and moves `i` past it. The
// text must be valid UTF-8 (made by append_utf8 or checked before).
inline uint32_t next_utf8(std::string_view s, size_t& i) {
    auto lead = uint8_t(s[i++]);
    int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    uint32_t c = extra ? lead & (0x3F >> extra) : lead;
    for (; extra > 0 && i < s.size(); --extra)
        c = c << 6 | (uint8_t(s[i++]) & 0x3F);
    return c;
}

// Reads the code point of the UTF-8 sequence at `i` of any bytes `s` and
// moves `i` past it; a byte that starts no valid sequence stands for itself
// (as Latin-1). For text from outside: argv, file names.
uint32_t next_char_or_byte(std::string_view s, size_t& i);

}  // namespace term
