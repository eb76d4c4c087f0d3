// term: the slow, generic term operations: integer and map construction,
// off-heap binaries, term order, equality and the ~w printer.
//
// Compound terms are walked with an explicit work stack, never with C
// recursion, so a list nested a million levels deep compares and prints in
// bounded C stack. The work stack lives in a small inline buffer and spills
// to mimalloc only for deeply nested terms.
#include "vm/term.h"
#include "vm/memory.h"

#include <memory>

#include <gmp.h>
#include <mimalloc.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "vm/map.h"

namespace term {

static_assert(sizeof(mp_limb_t) == sizeof(Limb), "GMP limbs must be 64-bit words");

// ---- integers ------------------------------------------------------------------

size_t integer_words(__int128 v) {
    if (v >= kSmallMin && v <= kSmallMax) return 0;
    unsigned __int128 magnitude = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    return bignum_words(magnitude >> 64 ? 2 : 1);
}

Term make_bignum(Term* mem, bool negative, const Limb* limbs, size_t n) {
    while (n > 0 && limbs[n - 1] == 0)
        --n;
    if (n == 0) return make_small(0);
    if (n == 1) {
        if (!negative && limbs[0] <= uint64_t(kSmallMax)) return make_small(int64_t(limbs[0]));
        if (negative && limbs[0] <= uint64_t(kSmallMax) + 1) return make_small(-int64_t(limbs[0]));
    }
    std::memmove(mem + 1, limbs, n * sizeof(Limb));
    mem[0] = make_header(negative ? Kind::kNegBig : Kind::kPosBig, n);
    return make_boxed_ptr(mem);
}

Term make_integer(Term* mem, __int128 v) {
    if (v >= kSmallMin && v <= kSmallMax) return make_small(int64_t(v));
    unsigned __int128 magnitude = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    Limb limbs[2] = {Limb(magnitude), Limb(magnitude >> 64)};
    return make_bignum(mem, v < 0, limbs, 2);
}

Term make_integer(Term* mem, int64_t v) {
    return make_integer(mem, __int128(v));
}

// ---- off-heap binaries -----------------------------------------------------------

namespace {
// Bytes of every Binary alive, for erlang:memory(binary). Relaxed: a
// statistic, read while other threads change it.
std::atomic<uint64_t> binary_bytes_alive{0};
}  // namespace

uint64_t binary_bytes() {
    return binary_bytes_alive.load(std::memory_order_relaxed);
}

Binary* binary_new(uint64_t size) {
    void* memory = mi_malloc(sizeof(Binary) + size);
    if (!memory) return nullptr;
    binary_bytes_alive.fetch_add(size, std::memory_order_relaxed);
    Binary* b = new (memory) Binary;
    b->refs.store(1, std::memory_order_relaxed);
    b->size = size;
    return b;
}

void binary_release(Binary* b) {
    // acq_rel: the last owner must see every write made through other refs.
    if (b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        binary_bytes_alive.fetch_sub(b->size, std::memory_order_relaxed);
        b->~Binary();
        mi_free(b);
    }
}

// ---- the explicit work stack -------------------------------------------------------

namespace {

// A grow-only stack of T that starts in an inline buffer.
template <typename T, size_t kInline = 32>
class WorkStack {
  public:
    WorkStack() = default;
    WorkStack(const WorkStack&) = delete;
    WorkStack& operator=(const WorkStack&) = delete;
    ~WorkStack() {
        if (items_ != inline_) mi_free(items_);
    }
    bool empty() const { return size_ == 0; }
    void push(const T& item) {
        if (size_ == capacity_) grow();
        items_[size_++] = item;
    }
    T pop() { return items_[--size_]; }

  private:
    void grow() {
        size_t bytes = 2 * capacity_ * sizeof(T);
        T* bigger = memory::checked(static_cast<T*>(mi_malloc(bytes)), bytes, "term work stack");
        std::memcpy(static_cast<void*>(bigger), items_, size_ * sizeof(T));
        if (items_ != inline_) mi_free(items_);
        items_ = bigger;
        capacity_ *= 2;
    }
    T inline_[kInline];
    T* items_ = inline_;
    size_t size_ = 0;
    size_t capacity_ = kInline;
};

// `count` pairs a[i], b[i] still to compare.
struct Pending {
    const Term* a;
    const Term* b;
    uint64_t count;
    bool exact;
};

// ---- comparing leaves ----------------------------------------------------------------

enum Rank { kNumber, kAtom, kReference, kFun, kPort, kPid, kTuple, kMap, kNilRank, kList, kBits };

Rank rank(Term t) {
    switch (primary_tag(t)) {
        case kTagCons:
            return kList;
        case kTagBoxed:
            switch (header_kind(boxed_header(t))) {
                case Kind::kTuple:
                    return kTuple;
                case Kind::kPosBig:
                case Kind::kNegBig:
                case Kind::kFloat:
                    return kNumber;
                case Kind::kRef:
                case Kind::kExtRef:
                    return kReference;
                case Kind::kFun:
                case Kind::kExport:
                    return kFun;
                case Kind::kFlatMap:
                case Kind::kHashMap:
                    return kMap;
                case Kind::kExtPid:
                    return kPid;
                case Kind::kExtPort:
                    return kPort;
                default:
                    return kBits;
            }
        default:
            if (is_small(t)) return kNumber;
            if (is_atom(t)) return kAtom;
            if (is_local_pid(t)) return kPid;
            if (is_local_port(t)) return kPort;
            return kNilRank;
    }
}

template <typename T>
int three_way(T a, T b) {
    return a < b ? -1 : (a > b ? 1 : 0);
}

int compare_atoms(Term a, Term b) {
    int c = atom::name(atom_index(a)).compare(atom::name(atom_index(b)));
    return three_way(c, 0);
}

// A read-only GMP view of a bignum's limbs (no allocation).
mpz_srcptr bignum_view(Term t, mpz_t storage) {
    mp_size_t n = mp_size_t(bignum_limb_count(t));
    return mpz_roinit_n(storage, reinterpret_cast<const mp_limb_t*>(bignum_limbs(t)),
                        bignum_negative(t) ? -n : n);
}

// Exact comparison of a 60-bit integer with a double.
int compare_small_float(int64_t i, double d) {
    if (d >= 0x1p63) return -1;
    if (d < -0x1p63) return 1;
    int64_t whole = int64_t(d);  // truncates toward zero, exactly
    if (i != whole) return three_way(i, whole);
    return three_way(double(whole), d);  // the fraction decides
}

int compare_integer_float(Term i, double d) {
    if (is_small(i)) return compare_small_float(small_value(i), d);
    mpz_t storage;
    return three_way(mpz_cmp_d(bignum_view(i, storage), d), 0);
}

int compare_integers(Term a, Term b) {
    if (is_small(a) && is_small(b)) return three_way(int64_t(a), int64_t(b));
    if (is_small(a)) return bignum_negative(b) ? 1 : -1;  // bignums lie outside
    if (is_small(b)) return bignum_negative(a) ? -1 : 1;  // the small range
    mpz_t storage_a, storage_b;
    return three_way(mpz_cmp(bignum_view(a, storage_a), bignum_view(b, storage_b)), 0);
}

int compare_numbers(Term a, Term b, bool exact) {
    bool float_a = is_float(a), float_b = is_float(b);
    if (!float_a && !float_b) return compare_integers(a, b);
    if (float_a && float_b) return three_way(float_value(a), float_value(b));
    if (exact) return float_a ? 1 : -1;  // map-key order: integers first
    return float_a ? -compare_integer_float(b, float_value(a))
                   : compare_integer_float(a, float_value(b));
}

int compare_bits(Term a, Term b) {
    Bits x = bits_of(a), y = bits_of(b);
    uint64_t common = std::min(x.bit_size, y.bit_size);
    for (uint64_t i = 0; i < common / 8; ++i) {
        int c = three_way(bits_byte(x, i), bits_byte(y, i));
        if (c) return c;
    }
    if (unsigned rest = common % 8) {
        // The last partial byte may read one byte past a view's end only
        // within the same object (bit offsets never exceed the original).
        uint8_t mask = uint8_t(0xFF00 >> rest);
        Bits tail_x = {x.bytes, x.bit_offset + common / 8 * 8, rest};
        Bits tail_y = {y.bytes, y.bit_offset + common / 8 * 8, rest};
        int c = three_way(bits_partial_byte(tail_x) & mask, bits_partial_byte(tail_y) & mask);
        if (c) return c;
    }
    return three_way(x.bit_size, y.bit_size);
}

int compare_refs(Term a, Term b) {
    if (ref_extra(a) != ref_extra(b)) return three_way(ref_extra(a), ref_extra(b));
    return three_way(ref_id(a), ref_id(b));
}

// Funs: local funs before exports; locals by module, index, uniq, then free
// variables; exports by module, function, arity. Returns nonzero if decided,
// else pushes the free variables.
int compare_funs(Term a, Term b, bool exact, WorkStack<Pending>& stack) {
    if (is_export(a) != is_export(b)) return is_export(a) ? 1 : -1;
    if (is_export(a)) {
        if (int c = compare_atoms(export_module(a), export_module(b))) return c;
        if (int c = compare_atoms(export_function(a), export_function(b))) return c;
        return three_way(export_arity(a), export_arity(b));
    }
    const FunEntry* x = fun_entry(a);
    const FunEntry* y = fun_entry(b);
    if (int c = compare_atoms(x->module, y->module)) return c;
    if (int c = three_way(x->index, y->index)) return c;
    if (int c = three_way(x->uniq, y->uniq)) return c;
    if (int c = three_way(fun_num_free(a), fun_num_free(b))) return c;
    if (fun_num_free(a)) stack.push({fun_free_vars(a), fun_free_vars(b), fun_num_free(a), exact});
    return 0;
}

// Compares a and b as far as their own words go; children still to compare
// are pushed on `stack`. Returns nonzero when the order is decided.
// A map's keys in map-key order followed by its values in the same order:
// the flat map's own words, or for a HAMT a sorted copy kept in `arena`
// until the comparison ends.
using Arena = std::vector<std::unique_ptr<Term[]>>;
const Term* key_ordered(Term m, Arena& arena) {
    std::vector<map::Entry> entries;
    map::entries(m, entries);
    if (!is_flat_map(m)) {
        std::sort(entries.begin(), entries.end(), [](const map::Entry& x, const map::Entry& y) {
            return compare(x.key, y.key, true) < 0;
        });
    }
    size_t n = entries.size();
    arena.push_back(std::make_unique<Term[]>(2 * n));
    Term* words = arena.back().get();
    for (size_t i = 0; i < n; ++i) {
        words[i] = entries[i].key;
        words[n + i] = entries[i].value;
    }
    return words;
}

int compare_step(Term a, Term b, bool exact, WorkStack<Pending>& stack, Arena& arena) {
    if (a == b) return 0;
    Rank rank_a = rank(a), rank_b = rank(b);
    if (rank_a != rank_b) return three_way(rank_a, rank_b);
    switch (rank_a) {
        case kNumber:
            return compare_numbers(a, b, exact);
        case kAtom:
            return compare_atoms(a, b);
        case kReference:
            return compare_refs(a, b);
        case kFun:
            return compare_funs(a, b, exact, stack);
        case kPort:
            return three_way(port_number(a), port_number(b));
        case kPid:
            return three_way(pid_number(a), pid_number(b));
        case kTuple: {
            uint64_t arity = tuple_arity(a);
            if (int c = three_way(arity, tuple_arity(b))) return c;
            if (arity) stack.push({tuple_elements(a), tuple_elements(b), arity, exact});
            return 0;
        }
        case kMap: {
            uint64_t size = map::size(a);
            if (int c = three_way(size, map::size(b))) return c;
            if (size == 0) return 0;
            // Keys first (always exactly), then values in key order.
            const Term* keys_a = key_ordered(a, arena);
            const Term* keys_b = key_ordered(b, arena);
            stack.push({keys_a + size, keys_b + size, size, exact});
            stack.push({keys_a, keys_b, size, true});
            return 0;
        }
        case kList:
            stack.push({cons_ptr(a), cons_ptr(b), 2, exact});
            return 0;
        case kBits:
            return compare_bits(a, b);
        default:
            return 0;  // nil == nil
    }
}

}  // namespace

// ---- order and equality --------------------------------------------------------------------

int compare(Term a, Term b, bool exact) {
    WorkStack<Pending> stack;
    Arena arena;
    for (;;) {
        if (int c = compare_step(a, b, exact, stack, arena)) return c;
        if (stack.empty()) return 0;
        Pending next = stack.pop();
        a = next.a[0];
        b = next.b[0];
        exact = next.exact;
        if (next.count > 1) stack.push({next.a + 1, next.b + 1, next.count - 1, next.exact});
    }
}

namespace {

// Equality of two non-identical words, pushing children. Returns false when
// they differ.
bool equal_step(Term a, Term b, WorkStack<Pending>& stack) {
    if (a == b) return true;
    if (primary_tag(a) != primary_tag(b) || is_immediate(a)) return false;
    if (is_cons(a)) {
        stack.push({cons_ptr(a), cons_ptr(b), 2, true});
        return true;
    }
    Term header_a = boxed_header(a), header_b = boxed_header(b);
    Kind kind = header_kind(header_a);
    if (kind != header_kind(header_b)) {
        return is_bitstring(a) && is_bitstring(b) && compare_bits(a, b) == 0;
    }
    switch (kind) {
        case Kind::kFloat:
            return float_value(a) == float_value(b);
        case Kind::kHeapBin:
        case Kind::kRefcBin:
        case Kind::kSubBin:
            return compare_bits(a, b) == 0;
        case Kind::kFun:
            return compare_funs(a, b, true, stack) == 0;
        case Kind::kRef:  // a resource ref's words past its id are not its value
            return ref_id(a) == ref_id(b) && ref_extra(a) == ref_extra(b);
        default:
            break;
    }
    if (header_a != header_b) return false;
    TermWords words = term_words(header_a);
    uint64_t size = header_size(header_a);
    // Raw words (bignum limbs, ref numbers) must match exactly.
    const Term* x = boxed_ptr(a);
    const Term* y = boxed_ptr(b);
    for (uint64_t i = 1; i <= size; ++i) {
        if ((i < words.first || i >= words.first + words.count) && x[i] != y[i]) return false;
    }
    if (words.count) stack.push({x + words.first, y + words.first, words.count, true});
    return true;
}

}  // namespace

bool exact_equal(Term a, Term b) {
    if (a == b) return true;
    if (is_immediate(a) || is_immediate(b)) return false;
    WorkStack<Pending> stack;
    for (;;) {
        if (!equal_step(a, b, stack)) return false;
        if (stack.empty()) return true;
        Pending next = stack.pop();
        a = next.a[0];
        b = next.b[0];
        if (next.count > 1) stack.push({next.a + 1, next.b + 1, next.count - 1, true});
    }
}

// ---- maps ----------------------------------------------------------------------------

Term make_flat_map(Term* mem, const Term* keys, const Term* values, size_t n) {
    // Insertion sort of indices by key; n <= 32.
    uint8_t order[kMaxFlatMapKeys];
    size_t count = 0;
    for (size_t i = 0; i < n; ++i) {
        size_t at = count;
        int c = 1;
        while (at > 0 && (c = compare(keys[order[at - 1]], keys[i], true)) > 0)
            --at;
        if (at > 0 && c == 0) {
            order[at - 1] = uint8_t(i);  // duplicate key: the later one wins
            continue;
        }
        std::memmove(order + at + 1, order + at, count - at);
        order[at] = uint8_t(i);
        ++count;
    }
    Term keys_tuple = make_tuple(mem, count);
    Term* map = mem + tuple_words(count);
    Term result = make_flat_map_raw(map, keys_tuple);
    for (size_t i = 0; i < count; ++i) {
        mem[1 + i] = keys[order[i]];
        map[2 + i] = values[order[i]];
    }
    // Duplicates leave words unused: fill them with empty tuples so that
    // the heap stays walkable.
    for (Term* p = map + 2 + count; p < mem + flat_map_words(n); ++p)
        *p = make_header(Kind::kTuple, 0);
    return result;
}

Term flat_map_get(Term map, Term key) {
    uint64_t n = flat_map_size(map);
    const Term* keys = tuple_elements(flat_map_keys(map));
    for (uint64_t i = 0; i < n; ++i) {
        if (exact_equal(keys[i], key)) return flat_map_values(map)[i];
    }
    return kNone;
}

// ---- printing --------------------------------------------------------------------------

namespace {

// Appends text; returns void so that leaf printers can `return put(...)`.
void put(std::string& out, std::string_view text) {
    out += text;
}
void put(std::string& out, const char* text, size_t length) {
    out.append(text, length);
}

void append_unsigned(std::string& out, uint64_t v) {
    char buffer[24];
    auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
    out.append(buffer, end);
}

void append_signed(std::string& out, int64_t v) {
    char buffer[24];
    auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
    out.append(buffer, end);
}

void print_bignum(std::string& out, Term t) {
    size_t n = bignum_limb_count(t);
    std::vector<mp_limb_t> scratch(bignum_limbs(t), bignum_limbs(t) + n);  // destroyed
    std::vector<unsigned char> digits(n * 20 + 2);
    size_t length = mpn_get_str(digits.data(), 10, scratch.data(), mp_size_t(n));
    size_t first = 0;
    while (first + 1 < length && digits[first] == 0)
        ++first;
    if (bignum_negative(t)) out += '-';
    for (size_t i = first; i < length; ++i)
        out += char('0' + digits[i]);
}

}  // namespace

uint32_t next_char_or_byte(std::string_view text, size_t& i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    size_t len = lead < 0x80         ? 1
                 : (lead >> 5) == 6  ? 2
                 : (lead >> 4) == 14 ? 3
                 : (lead >> 3) == 30 ? 4
                                     : 0;
    uint32_t c = len == 1 ? lead : len == 2 ? lead & 0x1F : len == 3 ? lead & 0x0F : lead & 0x07;
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) {
        ok = (byte(i + k) & 0xC0) == 0x80;
        c = (c << 6) | (byte(i + k) & 0x3F);
    }
    static const uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && c >= kLeast[len] && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF);
    if (!ok) return byte(i++);
    i += len;
    return c;
}

void append_utf8(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | c >> 6);
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | c >> 12);
        out += char(0x80 | (c >> 6 & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | c >> 18);
        out += char(0x80 | (c >> 12 & 0x3F));
        out += char(0x80 | (c >> 6 & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

namespace {

// Decodes the code points of a UTF-8 atom name (atom names are valid UTF-8).
std::vector<uint32_t> code_points(std::string_view text) {
    std::vector<uint32_t> chars;
    for (size_t i = 0; i < text.size();) {
        unsigned char c = text[i];
        int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        uint32_t point = extra == 0 ? c : c & (0x3F >> extra);
        for (int k = 1; k <= extra && i + k < text.size(); ++k)
            point = point << 6 | (text[i + k] & 0x3F);
        chars.push_back(point);
        i += 1 + extra;
    }
    return chars;
}

// io_lib's name_char/1 and the first-character rule of quote_atom/2.
bool atom_start_char(uint32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}
bool atom_name_char(uint32_t c) {
    return atom_start_char(c) || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
           (c >= '0' && c <= '9') || c == '_' || c == '@';
}

bool is_reserved_word(std::string_view name) {
    static const char* const kReserved[] = {
        "after", "and",  "andalso", "band",   "begin",   "bnot", "bor", "bsl",  "bsr",
        "bxor",  "case", "catch",   "cond",   "div",     "end",  "fun", "if",   "let",
        "not",   "of",   "or",      "orelse", "receive", "rem",  "try", "when", "xor"};
    for (const char* word : kReserved) {
        if (name == word) return true;
    }
    return false;
}

bool atom_needs_quotes(std::string_view name, const std::vector<uint32_t>& chars) {
    if (chars.empty() || !atom_start_char(chars[0]) || is_reserved_word(name)) return true;
    return !std::all_of(chars.begin() + 1, chars.end(), atom_name_char);
}

// One character inside quotes, as io_lib:write_string_as_latin1/2 (or, with
// `unicode`, io_lib:write_string/2: characters from 160 up are kept).
void append_quoted_char(std::string& out, uint32_t c, bool unicode = false) {
    static const char kEscapes[] = "\n\\n\r\\r\t\\t\v\\v\b\\b\f\\f\x1b\\e\x7f\\d";
    if (c == '\'' || c == '\\') {
        out += '\\';
        out += char(c);
        return;
    }
    if ((c >= ' ' && c <= '~') || (c >= 0xA0 && (c <= 0xFF || unicode))) return append_utf8(out, c);
    for (const char* e = kEscapes; *e; e += 3) {
        if (uint32_t((unsigned char)*e) == c) return put(out, e + 1, 2);
    }
    if (c > 0xFF) {
        char buffer[16];
        int length = std::snprintf(buffer, sizeof buffer, "\\x{%X}", c);
        return put(out, buffer, size_t(length));
    }
    out += '\\';
    out += char('0' + (c >> 6));
    out += char('0' + (c >> 3 & 7));
    out += char('0' + (c & 7));
}

void print_bits(std::string& out, Term t) {
    Bits bits = bits_of(t);
    out += "<<";
    uint64_t whole = bits.bit_size / 8;
    for (uint64_t i = 0; i < whole; ++i) {
        if (i) out += ',';
        append_unsigned(out, bits_byte(bits, i));
    }
    if (unsigned rest = bits.bit_size % 8) {
        if (whole) out += ',';
        Bits tail = {bits.bytes, bits.bit_offset + whole * 8, rest};
        append_unsigned(out, bits_partial_byte(tail) >> (8 - rest));
        out += ':';
        append_unsigned(out, rest);
    }
    out += ">>";
}

void print_fun(std::string& out, Term t) {
    if (is_export(t)) {
        out += "fun ";
        print_atom(out, atom_index(export_module(t)));
        out += ':';
        print_atom(out, atom_index(export_function(t)));
        out += '/';
        append_unsigned(out, export_arity(t));
        return;
    }
    const FunEntry* entry = fun_entry(t);
    out += "#Fun<";
    out += atom::name(atom_index(entry->module));
    out += '.';
    append_unsigned(out, entry->index);
    out += '.';
    append_unsigned(out, entry->uniq);
    out += '>';
}

void print_ref(std::string& out, Term t) {
    out += "#Ref<0.";
    append_unsigned(out, uint32_t(ref_extra(t)));
    out += '.';
    append_unsigned(out, ref_id(t) >> 32);
    out += '.';
    append_unsigned(out, uint32_t(ref_id(t)));
    out += '>';
}

// erlang:display/1 prints as erts's own term printer does, not as io_lib:
// a list is a string when every element is a byte that prints (32-126,
// 160-255, tab, newline, carriage return), with only " and newline
// escaped; a binary is a string when every byte is in 32-126, with only "
// escaped; a float is C's %e; a map's arrows have no spaces.
bool display_char(Term c) {
    if (!is_small(c)) return false;
    int64_t v = small_value(c);
    return (v >= 32 && v <= 126) || (v >= 160 && v <= 255) || v == '\t' || v == '\n' || v == '\r';
}

bool display_string(Term t) {
    for (; is_cons(t); t = cdr(t))
        if (!display_char(car(t))) return false;
    return is_nil(t);
}

void print_display_string(std::string& out, Term t) {
    out += '"';
    for (; is_cons(t); t = cdr(t)) {
        auto c = char(uint8_t(small_value(car(t))));
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    out += '"';
}

void print_display_float(std::string& out, double d) {
    char buffer[64];
    int n = std::snprintf(buffer, sizeof buffer, "%e", d);
    out.append(buffer, size_t(n));
}

void print_display_bits(std::string& out, Term t) {
    Bits bits = bits_of(t);
    uint64_t whole = bits.bit_size / 8;
    bool text = whole > 0 && bits.bit_size % 8 == 0;
    for (uint64_t i = 0; text && i < whole; ++i) {
        uint8_t b = bits_byte(bits, i);
        text = b >= 32 && b <= 126;
    }
    if (!text) return print_bits(out, t);
    out += "<<\"";
    for (uint64_t i = 0; i < whole; ++i) {
        char c = char(bits_byte(bits, i));
        if (c == '"') out += '\\';
        out += c;
    }
    out += "\">>";
}

// What is left to print: a term, a piece of text, the rest of a tuple or
// map, or the tail of a list whose head is printed.
struct PrintItem {
    enum Type : uint8_t { kTerm, kText, kElements, kMapEntries, kListTail } type;
    bool first;
    Term term;
    const Term* a;  // elements or map keys; for kText, the text
    const Term* b;  // map values
    uint64_t count;
};

PrintItem text_item(const char* text) {
    return {PrintItem::kText, false, 0, reinterpret_cast<const Term*>(text), nullptr, 0};
}
PrintItem term_item(Term t) {
    return {PrintItem::kTerm, false, t, nullptr, nullptr, 0};
}

// Prints a leaf, or pushes what a compound term still has to print
// (`display`: as erlang:display/1).
void print_step(std::string& out, Term t, WorkStack<PrintItem>& stack, Arena& arena, bool display) {
    if (is_small(t)) return append_signed(out, small_value(t));
    if (is_atom(t)) return print_atom(out, atom_index(t));
    if (is_nil(t)) return put(out, "[]");
    if (display && is_cons(t) && display_string(t)) return print_display_string(out, t);
    if (is_cons(t)) {
        out += '[';
        stack.push({PrintItem::kListTail, false, cdr(t), nullptr, nullptr, 0});
        return stack.push(term_item(car(t)));
    }
    if (is_local_pid(t)) {
        out += "<0.";
        append_unsigned(out, pid_number(t));
        return put(out, ".0>");
    }
    if (is_local_port(t)) {
        out += "#Port<0.";
        append_unsigned(out, port_number(t));
        return put(out, ">");
    }
    if (!is_boxed(t)) return put(out, is_catch(t) ? "#Catch<>" : "#None<>");
    switch (header_kind(boxed_header(t))) {
        case Kind::kTuple:
            out += '{';
            stack.push(text_item("}"));
            return stack.push(
                {PrintItem::kElements, true, 0, tuple_elements(t), nullptr, tuple_arity(t)});
        case Kind::kFlatMap:
            out += "#{";
            stack.push(text_item("}"));
            return stack.push({PrintItem::kMapEntries, true, 0, tuple_elements(flat_map_keys(t)),
                               flat_map_values(t), flat_map_size(t)});
        case Kind::kHashMap: {
            out += "#{";
            stack.push(text_item("}"));
            std::vector<map::Entry> entries;
            map::entries(t, entries);
            size_t n = entries.size();
            arena.push_back(std::make_unique<Term[]>(2 * n));
            Term* words = arena.back().get();
            for (size_t i = 0; i < n; ++i) {
                words[i] = entries[i].key;
                words[n + i] = entries[i].value;
            }
            return stack.push({PrintItem::kMapEntries, true, 0, words, words + n, n});
        }
        case Kind::kPosBig:
        case Kind::kNegBig:
            return print_bignum(out, t);
        case Kind::kFloat:
            if (display) return print_display_float(out, float_value(t));
            return print_float(out, float_value(t));
        case Kind::kRef:
            return print_ref(out, t);
        case Kind::kFun:
        case Kind::kExport:
            return print_fun(out, t);
        case Kind::kHeapBin:
        case Kind::kRefcBin:
        case Kind::kSubBin:
            if (display) return print_display_bits(out, t);
            return print_bits(out, t);
        default:
            return put(out, "#Unknown<>");
    }
}

void print_continue(std::string& out, const PrintItem& item, WorkStack<PrintItem>& stack,
                    Arena& arena, bool display) {
    switch (item.type) {
        case PrintItem::kText:
            out += reinterpret_cast<const char*>(item.a);
            return;
        case PrintItem::kElements:
            if (item.count == 0) return;
            if (!item.first) out += ',';
            if (item.count > 1)
                stack.push({PrintItem::kElements, false, 0, item.a + 1, nullptr, item.count - 1});
            return stack.push(term_item(item.a[0]));
        case PrintItem::kMapEntries:
            if (item.count == 0) return;
            if (!item.first) out += ',';
            if (item.count > 1) {
                stack.push(
                    {PrintItem::kMapEntries, false, 0, item.a + 1, item.b + 1, item.count - 1});
            }
            stack.push(term_item(item.b[0]));
            stack.push(text_item(display ? "=>" : " => "));
            return stack.push(term_item(item.a[0]));
        case PrintItem::kListTail:
            if (is_nil(item.term)) {
                out += ']';
            } else if (is_cons(item.term)) {
                out += ',';
                stack.push({PrintItem::kListTail, false, cdr(item.term), nullptr, nullptr, 0});
                stack.push(term_item(car(item.term)));
            } else {
                out += '|';
                stack.push(text_item("]"));
                stack.push(term_item(item.term));
            }
            return;
        case PrintItem::kTerm:
            return print_step(out, item.term, stack, arena, display);
    }
}

}  // namespace

namespace {

void print_atom_as(std::string& out, uint32_t index, bool unicode) {
    std::string_view name = atom::name(index);
    std::vector<uint32_t> chars = code_points(name);
    if (!atom_needs_quotes(name, chars)) {
        out += name;
        return;
    }
    out += '\'';
    for (uint32_t c : chars)
        append_quoted_char(out, c, unicode);
    out += '\'';
}

}  // namespace

void print_atom(std::string& out, uint32_t index) {
    print_atom_as(out, index, false);
}

void print_atom_unicode(std::string& out, uint32_t index) {
    print_atom_as(out, index, true);
}

// io_lib_format's shortest float form. `digits` are the shortest round-trip
// digits and the value is 0.DIGITS * 10^place; the form is fixed or
// scientific, whichever Erlang/OTP 25 picks by its cost rule.
void print_float(std::string& out, double d) {
    if (d == 0) {
        out += std::signbit(d) ? "-0.0" : "0.0";
        return;
    }
    char buffer[40];
    char* end = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific).ptr;
    std::string_view text(buffer, size_t(end - buffer));
    if (text[0] == '-') {
        out += '-';
        text.remove_prefix(1);
    }
    size_t e = text.find('e');
    std::string digits;
    for (char c : text.substr(0, e)) {
        if (c != '.') digits += c;
    }
    int exponent = 0;
    std::string_view exp_text = text.substr(e + 1);
    if (exp_text[0] == '+') exp_text.remove_prefix(1);
    std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    int place = exponent + 1;
    int length = int(digits.size());
    auto scientific = [&] {
        out += digits[0];
        out += '.';
        out += length == 1 ? std::string_view("0") : std::string_view(digits).substr(1);
        out += 'e';
        append_signed(out, place - 1);
    };
    if (place == 0) {
        out += "0.";
        out += digits;
    } else if (place > 0 && place < length) {
        out.append(digits, 0, size_t(place));
        out += '.';
        out.append(digits, size_t(place), std::string::npos);
    } else {
        std::string exp_digits = std::to_string(place - 1);
        int exp_cost = int(exp_digits.size()) + 1 + (length == 1 ? 2 : 1);
        if (place < 0) {
            if (2 - place > exp_cost) return scientific();
            out += "0.";
            out.append(size_t(-place), '0');
            out += digits;
        } else {
            if (place - length + 2 > exp_cost || std::fabs(d) >= 0x1p53) return scientific();
            out += digits;
            out.append(size_t(place - length), '0');
            out += ".0";
        }
    }
}

namespace {
void print_as(std::string& out, Term t, bool display) {
    WorkStack<PrintItem> stack;
    Arena arena;
    stack.push(term_item(t));
    while (!stack.empty())
        print_continue(out, stack.pop(), stack, arena, display);
}
}  // namespace

void print(std::string& out, Term t) {
    print_as(out, t, false);
}

void print_display(std::string& out, Term t) {
    print_as(out, t, true);
}

std::string to_string(Term t) {
    std::string out;
    print(out, t);
    return out;
}

}  // namespace term
