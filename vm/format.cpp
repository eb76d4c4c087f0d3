// format: io_lib:format/2, io_lib:write/2 and io_lib_pretty:print as
// Erlang/OTP 25 has them (stdlib 4.2: io_lib_format.erl, io_lib.erl,
// io_lib_pretty.erl). Each rule here was checked against erl; where OTP's
// code has a quirk (a depth-1 map under ~W prints as #{}, ~P counts map
// depth differently from ~W, ~f rounds the 21-digit decimal form of a float,
// not its exact binary value), the quirk is kept on purpose.
//
// Layout of the file:
//   1. text helpers (UTF-8, padding, field adjustment)
//   2. io_lib:write: ~w, ~W                       (explicit stack)
//   3. io_lib_pretty: the intermediate tree, its flat writer, the
//      indentation check (cind) and the layout (pp) (explicit stacks)
//   4. numbers: integers in bases 2..36 (GMP for bignums), ~e ~f ~g
//   5. ~s, ~c and the control-sequence interpreter
#include "vm/format.h"

#include <gmp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "vm/map.h"

namespace format {

using namespace term;

namespace {

// ---- 1. text helpers ----------------------------------------------------------

constexpr int64_t kUnset = INT64_MIN;  // a field width or precision not given
constexpr uint32_t kMaxCodePoint = 0x10FFFF;

using term::append_utf8;

// Code points in UTF-8 text: every byte that does not continue a sequence.
int64_t count_chars(std::string_view text) {
    int64_t n = 0;
    for (char c : text)
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// The byte offset where code point number `n` (from 0) of `text` starts, or
// text.size() if there are no more.
size_t offset_of_char(std::string_view text, int64_t n) {
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && n-- == 0) return i;
    }
    return text.size();
}

// Decodes one code point of valid-or-not UTF-8 at `p`; returns its byte
// length, or 0 if the bytes there are not a well-formed sequence.
size_t decode_utf8(const uint8_t* p, const uint8_t* end, uint32_t& c) {
    uint8_t b = p[0];
    size_t n = b < 0x80                ? 1
               : b >= 0xC2 && b < 0xE0 ? 2
               : b >= 0xE0 && b < 0xF0 ? 3
               : b >= 0xF0 && b < 0xF5 ? 4
                                       : 0;
    if (n == 0 || size_t(end - p) < n) return 0;
    c = n == 1 ? b : b & (0x7F >> n);
    for (size_t i = 1; i < n; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (p[i] & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kMin[n] || c > kMaxCodePoint || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return n;
}

bool valid_char(int64_t c) {
    return c >= 0 && c <= kMaxCodePoint;
}

void append_repeated(std::string& out, uint32_t c, int64_t n) {
    if (c < 0x80) {
        out.append(size_t(n), char(c));
        return;
    }
    for (int64_t i = 0; i < n; ++i)
        append_utf8(out, c);
}

void append_spaces(std::string& out, int64_t n) {
    if (n > 0) out.append(size_t(n), ' ');
}

void append_int(std::string& out, int64_t v) {
    char buffer[24];
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

// adjust/3 of io_lib_format: pads the piece out[start..] (of `chars` code
// points) with `n` pad characters on its left (right-adjusted) or right.
bool pad_piece(std::string& out, size_t start, int64_t n, bool left, int64_t pad) {
    if (n <= 0) return n == 0;
    if (!valid_char(pad)) return false;
    if (left) {
        append_repeated(out, uint32_t(pad), n);
        return true;
    }
    std::string padding;
    append_repeated(padding, uint32_t(pad), n);
    out.insert(start, padding);
    return true;
}

// term/5 of io_lib_format: fits the piece out[start..] into field width
// `width` (kUnset: none) with precision `precision`. A piece longer than the
// field turns into a row of '*'.
bool fit_field(std::string& out, size_t start, int64_t width, bool left, int64_t precision,
               int64_t pad) {
    if (width == kUnset && precision == kUnset) return true;
    if (width == kUnset) width = precision;
    int64_t length = count_chars(std::string_view(out).substr(start));
    int64_t limit = precision == kUnset ? width : std::min(precision, width);
    int64_t shown = std::min(length, limit);
    if (shown < 0) return false;
    if (length > shown) {
        out.resize(start);
        out.append(size_t(shown), '*');
    }
    return pad_piece(out, start, width - shown, left, pad);
}

// A grow-only stack of T that keeps its storage between uses.
template <typename T>
class Stack {
  public:
    bool empty() const { return items_.empty(); }
    void push(const T& item) { items_.push_back(item); }
    T pop() {
        T item = items_.back();
        items_.pop_back();
        return item;
    }
    T* top() { return items_.empty() ? nullptr : &items_.back(); }
    void clear() { items_.clear(); }

  private:
    std::vector<T> items_;
};

// ---- 2. io_lib:write ----------------------------------------------------------------

void write_atom(std::string& out, Term atom, bool unicode) {
    if (unicode) return print_atom_unicode(out, atom_index(atom));
    print_atom(out, atom_index(atom));
}

// write_binary/2 of io_lib: <<1,2,...>> with at most depth - 1 bytes.
void write_binary(std::string& out, Term bin, int64_t depth) {
    Bits bits = bits_of(bin);
    uint64_t whole = bits.bit_size / 8;
    out += "<<";
    for (uint64_t i = 0;; ++i, --depth) {
        bool last_byte = i + 1 == whole && bits.bit_size % 8 == 0;
        if (i == whole && bits.bit_size % 8 == 0) break;
        if (depth == 1) {
            out += "...";
            break;
        }
        if (i == whole) {  // the trailing bits: Value:Size
            unsigned rest = bits.bit_size % 8;
            Bits tail = {bits.bytes, bits.bit_offset + whole * 8, rest};
            append_int(out, bits_partial_byte(tail) >> (8 - rest));
            out += ':';
            append_int(out, rest);
            break;
        }
        append_int(out, bits_byte(bits, i));
        if (last_byte) break;
        out += ',';
    }
    out += ">>";
}

// What write1/3 still has to print; see write().
struct WriteItem {
    enum Kind : uint8_t { kTerm, kText, kListTail, kTupleRest, kMapRest } kind;
    Term term;           // kTerm, kListTail: the term or the list's rest
    int64_t depth;       // depth left for the term, or for the rest
    const Term* keys;    // kTupleRest: elements; kMapRest: keys
    const Term* values;  // kMapRest
    uint64_t count;      // elements or pairs left; kText: times to write it
    int64_t pair_depth;  // kMapRest: the depth every pair is written with
    const char* text;    // kText
};

WriteItem write_term_item(Term t, int64_t depth) {
    return {WriteItem::kTerm, t, depth, nullptr, nullptr, 0, 0, nullptr};
}
WriteItem write_text_item(const char* text) {
    return {WriteItem::kText, 0, 0, nullptr, nullptr, 1, 0, text};
}

// The "]" of a list whose last element comes next. Merged with a "]" on
// top of the stack (`count` of them), so [[[...]]] takes one entry.
void push_list_end(Stack<WriteItem>& stack) {
    WriteItem* top = stack.top();
    if (top && top->kind == WriteItem::kText && top->text[0] == ']') {
        ++top->count;
        return;
    }
    stack.push({WriteItem::kText, 0, 0, nullptr, nullptr, 1, 0, "]"});
}

// A map pair "K => V" with both sides at `depth`: pushed in reverse.
void push_pair(Stack<WriteItem>& stack, Term key, Term value, int64_t depth) {
    stack.push(write_term_item(value, depth));
    stack.push(write_text_item(" => "));
    stack.push(write_term_item(key, depth));
}

// A map's keys and values in iteration order: a flat map's own words, or
// for a HAMT copies that `arena` keeps alive while the map is written.
using MapArena = std::vector<std::unique_ptr<Term[]>>;
struct MapWords {
    const Term* keys;
    const Term* values;
    uint64_t size;
};
MapWords map_words(Term map, MapArena& arena) {
    if (is_flat_map(map))
        return {tuple_elements(flat_map_keys(map)), flat_map_values(map), flat_map_size(map)};
    std::vector<map::Entry> entries;
    map::entries(map, entries);
    size_t n = entries.size();
    arena.push_back(std::make_unique<Term[]>(2 * n));
    Term* words = arena.back().get();
    for (size_t i = 0; i < n; ++i) {
        words[i] = entries[i].key;
        words[n + i] = entries[i].value;
    }
    return {words, words + n, n};
}

void write_map(std::string& out, Term map, int64_t depth, Stack<WriteItem>& stack,
               MapArena& arena) {
    uint64_t size = map::size(map);
    if (depth == 1 || size == 0) {  // io_lib: a depth-1 map is "#{}"
        out += "#{}";
        return;
    }
    MapWords words = map_words(map, arena);
    const Term* keys = words.keys;
    const Term* values = words.values;
    out += "#{";
    stack.push(
        {WriteItem::kMapRest, 0, depth - 1, keys + 1, values + 1, size - 1, depth - 1, nullptr});
    push_pair(stack, keys[0], values[0], depth - 1);
}

// write1/3 of io_lib for one term; compound terms push their parts.
void write_step(std::string& out, Term t, int64_t depth, bool unicode, Stack<WriteItem>& stack,
                MapArena& arena) {
    if (depth == 0) {
        out += "...";
    } else if (is_atom(t)) {
        write_atom(out, t, unicode);
    } else if (is_nil(t)) {
        out += "[]";
    } else if (is_cons(t)) {
        if (depth == 1) {
            out += "[...]";
            return;
        }
        out += '[';
        if (is_nil(cdr(t))) {
            push_list_end(stack);
        } else {
            stack.push({WriteItem::kListTail, cdr(t), depth - 1, nullptr, nullptr, 0, 0, nullptr});
        }
        stack.push(write_term_item(car(t), depth - 1));
    } else if (is_tuple(t)) {
        uint64_t arity = tuple_arity(t);
        if (arity == 0 || depth == 1) {
            out += arity == 0 ? "{}" : "{...}";
            return;
        }
        out += '{';
        stack.push({WriteItem::kTupleRest, 0, depth - 1, tuple_elements(t) + 1, nullptr, arity - 1,
                    0, nullptr});
        stack.push(write_term_item(tuple_element(t, 1), depth - 1));
    } else if (is_map(t)) {
        write_map(out, t, depth, stack, arena);
    } else if (is_bitstring(t)) {
        write_binary(out, t, depth);
    } else {
        term::print(out, t);  // numbers, pids, ports, refs, funs
    }
}

void write_list_tail(std::string& out, const WriteItem& item, Stack<WriteItem>& stack) {
    Term rest = item.term;
    if (is_nil(rest)) {
        out += ']';
    } else if (item.depth == 1) {
        out += "|...]";
    } else if (is_cons(rest)) {
        out += ',';
        stack.push(
            {WriteItem::kListTail, cdr(rest), item.depth - 1, nullptr, nullptr, 0, 0, nullptr});
        stack.push(write_term_item(car(rest), item.depth - 1));
    } else {
        out += '|';
        stack.push(write_text_item("]"));
        stack.push(write_term_item(rest, item.depth - 1));
    }
}

void write_continue(std::string& out, const WriteItem& item, bool unicode, Stack<WriteItem>& stack,
                    MapArena& arena) {
    switch (item.kind) {
        case WriteItem::kTerm:
            return write_step(out, item.term, item.depth, unicode, stack, arena);
        case WriteItem::kText:
            for (uint64_t i = 0; i < item.count; ++i)
                out += item.text;
            return;
        case WriteItem::kListTail:
            return write_list_tail(out, item, stack);
        case WriteItem::kTupleRest:
            if (item.count == 0) {
                out += '}';
            } else if (item.depth == 1) {
                out += ",...}";
            } else {
                out += ',';
                stack.push({WriteItem::kTupleRest, 0, item.depth - 1, item.keys + 1, nullptr,
                            item.count - 1, 0, nullptr});
                stack.push(write_term_item(item.keys[0], item.depth - 1));
            }
            return;
        case WriteItem::kMapRest:
            // write_map_body/4 tests the depth before the end of the map.
            if (item.depth == 1) {
                out += ",...}";
            } else if (item.count == 0) {
                out += '}';
            } else {
                out += ',';
                stack.push({WriteItem::kMapRest, 0, item.depth - 1, item.keys + 1, item.values + 1,
                            item.count - 1, item.pair_depth, nullptr});
                push_pair(stack, item.keys[0], item.values[0], item.pair_depth);
            }
            return;
    }
}

// ---- 3. io_lib_pretty ------------------------------------------------------------------
//
// The pretty printer works as io_lib_pretty does: first an intermediate tree
// (print_length/6) giving every subterm's flat text length, then a layout
// pass (pp/8) that writes a subterm flat when it fits on the rest of the line
// and otherwise breaks it, one element per line. The tree is a vector of
// nodes; a compound node's children are consecutive nodes with larger
// indices, so lengths are summed in one backward pass.

enum class NodeKind : uint8_t {
    kText,         // printed as is: atoms, numbers, strings, "[]", "{...}", ...
    kBin,          // a binary written <<1,2,...>>, broken at commas if long
    kList,         // children: elements, then maybe the tail (see Tail)
    kTuple,        //
    kTaggedTuple,  // a tuple of 2+ elements whose first is an atom
    kMap,          // children: kPair nodes, then maybe "..."
    kPair,         // children: key, value
};

// The end of a list-like node's children: io_lib_pretty's if_list() ends in
// [] (kNone), in {dots, ...} (kDots: the last child is "...") or, for an
// improper list, in the tail term (kImproper: the last child is the tail).
enum class Tail : uint8_t { kNone, kDots, kImproper };

struct Node {
    int64_t len;  // code points of the flat text
    uint64_t a;   // kText, kBin: offset in Tree::text; else first child
    uint32_t b;   // kText, kBin: bytes of text; else number of children
    NodeKind kind;
    Tail tail;
};

class Tree {
  public:
    Tree(bool unicode, bool strings) : unicode_(unicode), strings_(strings) {}

    // print_length/6: builds the tree of `t` at depth `depth` (< 0: none).
    void build(Term t, int64_t depth);

    const Node& node(uint64_t i) const { return nodes_[i]; }
    std::string_view text_of(const Node& n) const {
        return std::string_view(text_).substr(n.a, n.b);
    }

    // write/1 of io_lib_pretty: the node's flat text.
    void write(std::string& out, uint64_t i) const;

  private:
    struct Pending {
        Term term;
        Term value;  // for a pair: the value (term is the key)
        uint64_t node;
        int64_t depth;
        bool pair;
    };

    void fill(const Pending& p);
    void fill_list(Term list, uint64_t index, int64_t depth);
    void fill_tuple(Term tuple, uint64_t index, int64_t depth);
    void fill_map(Term map, uint64_t index, int64_t depth);
    void fill_binary(Term bin, uint64_t index, int64_t depth);
    void fill_pair(const Pending& p);
    uint64_t add_children(uint64_t index, NodeKind kind, uint64_t count, Tail tail);
    void set_text(uint64_t index, size_t start, NodeKind kind = NodeKind::kText);
    void set_literal(uint64_t index, const char* text);
    void sum_lengths();
    bool printable_latin1_list(Term list) const;
    bool printable_binary(Term bin, int64_t depth, uint64_t index);

    bool unicode_;
    bool strings_;
    std::vector<Node> nodes_;
    std::string text_;
    Stack<Pending> pending_;
};

void Tree::build(Term t, int64_t depth) {
    nodes_.push_back({});
    pending_.push({t, 0, 0, depth, false});
    while (!pending_.empty())
        fill(pending_.pop());
    sum_lengths();
}

void Tree::set_text(uint64_t index, size_t start, NodeKind kind) {
    std::string_view text = std::string_view(text_).substr(start);
    nodes_[index] = {count_chars(text), start, uint32_t(text.size()), kind, Tail::kNone};
}

void Tree::set_literal(uint64_t index, const char* text) {
    size_t start = text_.size();
    text_ += text;
    set_text(index, start);
}

uint64_t Tree::add_children(uint64_t index, NodeKind kind, uint64_t count, Tail tail) {
    uint64_t first = nodes_.size();
    nodes_[index] = {0, first, uint32_t(count), kind, tail};
    nodes_.resize(first + count);
    return first;
}

void Tree::fill(const Pending& p) {
    if (p.pair) return fill_pair(p);
    Term t = p.term;
    size_t start = text_.size();
    if (p.depth == 0) return set_literal(p.node, "...");
    if (is_nil(t)) return set_literal(p.node, "[]");
    if (is_cons(t)) return fill_list(t, p.node, p.depth);
    if (is_tuple(t)) return fill_tuple(t, p.node, p.depth);
    if (is_map(t)) return fill_map(t, p.node, p.depth);
    if (is_bitstring(t)) return fill_binary(t, p.node, p.depth);
    if (is_atom(t)) {
        write_atom(text_, t, unicode_);
    } else {
        term::print(text_, t);
    }
    set_text(p.node, start);
}

void Tree::fill_pair(const Pending& p) {
    uint64_t first = add_children(p.node, NodeKind::kPair, 2, Tail::kNone);
    pending_.push({p.value, 0, first + 1, p.depth, false});
    pending_.push({p.term, 0, first, p.depth, false});
}

bool printable_latin1_char(Term c) {
    if (!is_small(c)) return false;
    int64_t v = small_value(c);
    return (v >= 32 && v <= 126) || (v >= 160 && v <= 255) || (v >= 8 && v <= 13) || v == 27;
}

// io_lib:printable_latin1_list/1; with the default printable range (+pc
// latin1) io_lib:printable_list/1 is the same, so ~tp uses it too.
bool Tree::printable_latin1_list(Term list) const {
    for (; is_cons(list); list = cdr(list)) {
        if (!printable_latin1_char(car(list))) return false;
    }
    return is_nil(list);
}

// write_string/2 of io_lib: a double-quoted string with escapes; chars >= 160
// are kept as they are (the only ones that can occur here are <= 255).
void append_string_char(std::string& out, uint32_t c) {
    static const char kEscapes[] = "\n\\n\r\\r\t\\t\v\\v\b\\b\f\\f\x1b\\e\x7f\\d";
    if (c == '"' || c == '\\') {
        out += '\\';
        out += char(c);
        return;
    }
    if ((c >= ' ' && c <= '~') || c >= 0xA0) return append_utf8(out, c);
    for (const char* e = kEscapes; *e; e += 3) {
        if (uint32_t(static_cast<unsigned char>(*e)) == c) {
            out.append(e + 1, 2);
            return;
        }
    }
    out += '\\';
    out += char('0' + (c >> 6));
    out += char('0' + (c >> 3 & 7));
    out += char('0' + (c & 7));
}

void Tree::fill_list(Term list, uint64_t index, int64_t depth) {
    if (strings_ && depth != 1 && printable_latin1_list(list)) {
        size_t start = text_.size();
        text_ += '"';
        for (Term t = list; is_cons(t); t = cdr(t))
            append_string_char(text_, uint32_t(small_value(car(t))));
        text_ += '"';
        return set_text(index, start);
    }
    // print_length_list1/6: element k is printed at depth - k - 1; where the
    // depth left reaches 1 the rest of the list is "...".
    uint64_t count = 0;
    Tail tail = Tail::kNone;
    int64_t d = depth;
    for (Term t = list; !is_nil(t); t = cdr(t), --d) {
        ++count;
        if (d == 1) {
            tail = Tail::kDots;
            break;
        }
        if (!is_cons(t)) {
            tail = Tail::kImproper;
            break;
        }
    }
    uint64_t child = add_children(index, NodeKind::kList, count, tail);
    d = depth;
    for (Term t = list; child < nodes_.size(); t = cdr(t), --d, ++child) {
        if (tail == Tail::kDots && child + 1 == nodes_.size()) {
            set_literal(child, "...");
        } else {
            pending_.push({is_cons(t) ? car(t) : t, 0, child, d - 1, false});
        }
        if (!is_cons(t)) break;
    }
}

void Tree::fill_tuple(Term tuple, uint64_t index, int64_t depth) {
    uint64_t arity = tuple_arity(tuple);
    if (arity == 0) return set_literal(index, "{}");
    if (depth == 1) return set_literal(index, "{...}");
    // print_length_tuple1/7: element i (from 0) at depth - i - 1.
    uint64_t shown = depth > 0 ? std::min<uint64_t>(arity, uint64_t(depth - 1)) : arity;
    Tail tail = shown < arity ? Tail::kDots : Tail::kNone;
    bool tagged = is_atom(tuple_element(tuple, 1)) && arity > 1;
    uint64_t first = add_children(index, tagged ? NodeKind::kTaggedTuple : NodeKind::kTuple,
                                  shown + (tail == Tail::kDots), tail);
    for (uint64_t i = 0; i < shown; ++i)
        pending_.push({tuple_element(tuple, i + 1), 0, first + i, depth - int64_t(i) - 1, false});
    if (tail == Tail::kDots) set_literal(first + shown, "...");
}

void Tree::fill_map(Term map, uint64_t index, int64_t depth) {
    uint64_t size = map::size(map);
    if (size == 0) return set_literal(index, "#{}");
    if (depth == 1) return set_literal(index, "#{...}");
    // print_length_map_pairs/7: every pair at depth - 1; after depth - 1
    // pairs the rest is "...".
    uint64_t shown = depth > 0 ? std::min<uint64_t>(size, uint64_t(depth - 1)) : size;
    Tail tail = shown < size ? Tail::kDots : Tail::kNone;
    uint64_t first = add_children(index, NodeKind::kMap, shown + (tail == Tail::kDots), tail);
    MapArena arena;
    MapWords words = map_words(map, arena);
    const Term* keys = words.keys;
    const Term* values = words.values;
    for (uint64_t i = 0; i < shown; ++i)
        pending_.push({keys[i], values[i], first + i, depth - 1, true});
    if (tail == Tail::kDots) set_literal(first + shown, "...");
}

// printable_latin1_list/2 of io_lib_pretty over bytes: the number of bytes
// left from the first unprintable one, or 0 if all are printable.
uint64_t unprintable_from(const Bits& bits, uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; ++i) {
        if (!printable_latin1_char(make_small(bits_byte(bits, i)))) return to - i;
    }
    return 0;
}

// The bytes of `bits` [0, n) as a quoted string, Latin-1.
void append_bytes_string(std::string& out, const Bits& bits, uint64_t n) {
    out += '"';
    for (uint64_t i = 0; i < n; ++i)
        append_string_char(out, bits_byte(bits, i));
    out += '"';
}

// printable_bin/4, latin1: the bytes to show as a string (all of them, or a
// prefix followed by "..."), or false.
bool printable_latin1_bin(const Bits& bits, uint64_t size, uint64_t len, int64_t depth,
                          uint64_t& shown) {
    uint64_t n = std::min<uint64_t>(20, len);
    uint64_t bad = unprintable_from(bits, 0, n);
    if (bad == 0 && n == size) return shown = size, true;
    if (bad == 0 && n == len) return shown = n, true;
    if (bad == 0) {
        uint64_t rest = unprintable_from(bits, n, len);
        if (rest == 0 && size == len) return shown = size, true;
        if (depth > 0 && int64_t(len - rest) >= depth) return shown = len - rest, true;
        return false;
    }
    if (depth > 0 && int64_t(n - bad) >= depth) return shown = n - bad, true;
    return false;
}

enum class Utf8Bin { kInvalid, kUnprintable, kPrintable };

// printable_bin/4, unicode: valid UTF-8 of printable (Latin-1 range) code
// points. Only invalid UTF-8 falls back to the Latin-1 rules.
Utf8Bin printable_utf8_bin(const Bits& bits, uint64_t size, uint64_t len, int64_t depth,
                           std::string& text, bool& plain, bool& all) {
    std::vector<uint8_t> bytes(size);
    for (uint64_t i = 0; i < size; ++i)
        bytes[i] = bits_byte(bits, i);
    const uint8_t* p = bytes.data();
    const uint8_t* end = p + size;
    uint64_t left = len, chars = 0;
    for (const uint8_t* q = p; q < end && left > 0; --left) {  // valid_utf8/2
        uint32_t c;
        size_t n = decode_utf8(q, end, c);
        if (n == 0) return Utf8Bin::kInvalid;
        q += n;
    }
    text += '"';
    left = len;
    while (p < end && left > 0) {
        uint32_t c;
        size_t n = decode_utf8(p, end, c);
        bool printable =
            (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || (c >= 8 && c <= 13) || c == 27;
        if (!printable) break;
        append_string_char(text, c);
        p += n;
        --left;
        ++chars;
    }
    text += '"';
    uint64_t consumed = uint64_t(p - bytes.data());
    all = p == end;
    if (!all && !(depth > 0 && int64_t(len - left) >= depth)) return Utf8Bin::kUnprintable;
    plain = consumed == chars;
    return Utf8Bin::kPrintable;
}

// print_length/6 for a binary that may print as a string: sets the node and
// returns true, or returns false for <<1,2,3>> form.
bool Tree::printable_binary(Term bin, int64_t depth, uint64_t index) {
    Bits bits = bits_of(bin);
    if (!strings_ || bits.bit_size % 8 != 0) return false;
    uint64_t size = bits.bit_size / 8;
    int64_t d = depth - 1;  // printable_bin0/4 is called with D - 1
    uint64_t len = d >= 0 ? std::min<uint64_t>(4 * uint64_t(d), size) : size;
    if (len == 0) return false;
    size_t start = text_.size();
    text_ += "<<";
    if (unicode_) {
        std::string text;
        bool plain = false, all = false;
        Utf8Bin kind = printable_utf8_bin(bits, size, len, d, text, plain, all);
        if (kind == Utf8Bin::kPrintable) {
            text_ += text;
            if (!plain) text_ += "/utf8";
            text_ += all ? ">>" : "...>>";
            set_text(index, start);
            return true;
        }
        if (kind == Utf8Bin::kUnprintable) {
            text_.resize(start);
            return false;
        }
    }
    uint64_t shown = 0;
    if (!printable_latin1_bin(bits, size, len, d, shown)) {
        text_.resize(start);
        return false;
    }
    append_bytes_string(text_, bits, shown);
    text_ += shown == size ? ">>" : "...>>";
    set_text(index, start);
    return true;
}

void Tree::fill_binary(Term bin, uint64_t index, int64_t depth) {
    if (bits_of(bin).bit_size == 0) return set_literal(index, "<<>>");
    if (depth == 1) return set_literal(index, "<<...>>");
    if (printable_binary(bin, depth, index)) return;
    size_t start = text_.size();
    write_binary(text_, bin, depth);
    set_text(index, start, NodeKind::kBin);
}

// list_length/3: children's lengths plus brackets and separators. Children
// have larger indices than their parent, so a backward pass sees them first.
void Tree::sum_lengths() {
    for (uint64_t i = nodes_.size(); i-- > 0;) {
        Node& n = nodes_[i];
        if (n.kind == NodeKind::kText || n.kind == NodeKind::kBin) continue;
        int64_t sum = 0;
        for (uint64_t c = n.a; c < n.a + n.b; ++c)
            sum += nodes_[c].len;
        switch (n.kind) {
            case NodeKind::kPair:
                n.len = sum + 4;  // " => "
                break;
            case NodeKind::kMap:
                n.len = sum + 3 + int64_t(n.b) - 1;
                break;
            default:
                n.len = sum + 2 + int64_t(n.b) - 1;
                break;
        }
    }
}

// The flat writer's work: a node, a text (`next` times), or the children
// of a node from `next` on.
struct FlatItem {
    uint64_t node;
    uint64_t next;
    const char* text;
};

constexpr const char* kCloseList = "]";
constexpr const char* kCloseTuple = "}";

// Pushes a closing bracket, merged with the one on top if it is the same:
// [[[...]]] then needs one stack entry, not one per level.
void push_closing(Stack<FlatItem>& stack, const char* text) {
    FlatItem* top = stack.top();
    if (top && top->text == text) {
        ++top->next;
        return;
    }
    stack.push({0, 1, text});
}

void Tree::write(std::string& out, uint64_t root) const {
    Stack<FlatItem> stack;
    stack.push({root, ~uint64_t(0), nullptr});
    while (!stack.empty()) {
        FlatItem item = stack.pop();
        if (item.text) {
            for (uint64_t i = 0; i < item.next; ++i)
                out += item.text;
            continue;
        }
        const Node& n = nodes_[item.node];
        if (item.next == ~uint64_t(0)) {  // the node itself
            switch (n.kind) {
                case NodeKind::kText:
                case NodeKind::kBin:
                    out += text_of(n);
                    continue;
                case NodeKind::kPair:
                    stack.push({n.a + 1, ~uint64_t(0), nullptr});
                    stack.push({0, 1, " => "});
                    stack.push({n.a, ~uint64_t(0), nullptr});
                    continue;
                case NodeKind::kList:
                    out += '[';
                    push_closing(stack, kCloseList);
                    break;
                case NodeKind::kMap:
                    out += "#{";
                    push_closing(stack, kCloseTuple);
                    break;
                default:
                    out += '{';
                    push_closing(stack, kCloseTuple);
                    break;
            }
            if (n.b > 1) stack.push({item.node, n.a + 1, nullptr});
            stack.push({n.a, ~uint64_t(0), nullptr});
            continue;
        }
        if (item.next == n.a + n.b) continue;
        bool is_tail = n.tail != Tail::kNone && item.next + 1 == n.a + n.b;
        out += is_tail && n.kind == NodeKind::kList ? '|' : ',';
        if (item.next + 1 < n.a + n.b) stack.push({item.node, item.next + 1, nullptr});
        stack.push({item.next, ~uint64_t(0), nullptr});
    }
}

// The layout pass: cind/7 (which tag-tuple indentation to use) and pp/8.
// Names follow io_lib_pretty: col is the 1-based column, ll the line
// length, m the total length of the term (its CHAR_MAX), ld the number of
// closing brackets that follow on the last line ("last depth"), w the chars
// already written on the current line by this term.
class Layout {
  public:
    Layout(const Tree& tree, std::string& out, int64_t ll, int64_t m)
        : tree_(tree), out_(out), ll_(ll), m_(m) {}

    bool indentation_ok(int64_t col, int64_t tind);
    void print(int64_t col, int64_t tind);

  private:
    struct Task {
        enum Kind : uint8_t { kNode, kText, kElements, kPairs } kind;
        char sep;          // kElements: '|' for lists, ',' for tuples
        uint64_t node;     // kNode: the node; else the container
        uint64_t next;     // kElements, kPairs: the next child
        int64_t col0;      // column of the elements' first character
        int64_t col;       // current column
        int64_t ind;       // indentation (spaces) of continuation lines
        int64_t ld;        //
        int64_t w;         //
        const char* text;  // kText; followed by `ind` spaces
    };

    const Node& node(uint64_t i) const { return tree_.node(i); }
    bool fits(const Node& n, int64_t col, int64_t ld, int64_t w) const {
        return n.len < ll_ - col - ld && n.len + w + ld <= m_;
    }
    static bool atomic(const Node& n) { return n.kind == NodeKind::kText; }
    bool atomic_pair(const Node& pair) const {
        return atomic(node(pair.a)) && atomic(node(pair.a + 1));
    }
    // The fit test of pp_tail/cind_tail for an element after the first.
    bool fits_after(const Node& n, int64_t col, int64_t ld1, int64_t w) const {
        int64_t elen = 1 + n.len;
        if (ld1 == 0) return elen + 1 < ll_ - col && w + elen + 1 <= m_;
        return elen < ll_ - col - ld1 && w + elen + ld1 <= m_;
    }
    // last_depth/2: 0 if another element follows child `i`, else ld + 1.
    int64_t last_depth(const Node& container, uint64_t i, int64_t ld) const {
        uint64_t end = container.a + container.b;
        bool more = i + 1 < end && !(container.tail != Tail::kNone && i + 1 == end - 1);
        return more ? 0 : ld + 1;
    }
    bool is_tail(const Node& container, uint64_t i) const {
        return container.tail != Tail::kNone && i + 1 == container.a + container.b;
    }
    int64_t map_value_indent() const { return tind_ > 0 ? tind_ : 4; }

    // cind
    bool cind_node(const Task& t);
    bool cind_tag_tuple(const Task& t);
    void cind_list(uint64_t container, uint64_t start, int64_t col0, int64_t ld, int64_t w);
    int64_t cind_element(uint64_t e, int64_t col, int64_t ld, int64_t w);
    void cind_elements(Task t);
    int64_t cind_pair(uint64_t p, int64_t col, int64_t ld, int64_t w);
    void cind_pairs(Task t);

    // pp
    void pp_node(const Task& t);
    void pp_tag_tuple(const Node& n, uint64_t index, int64_t col, int64_t ind, int64_t ld,
                      int64_t w);
    void pp_list(uint64_t container, uint64_t start, int64_t col0, int64_t ind, int64_t ld,
                 char sep, int64_t w);
    void pp_elements(Task t);
    int64_t pair_width(const Node& pair, int64_t col, int64_t ld, int64_t w) const;
    void pp_pair(uint64_t p, int64_t col, int64_t ind, int64_t ld, int64_t w);
    void pp_pairs(Task t);
    void pp_element(uint64_t e, int64_t col, int64_t ind, int64_t ld, int64_t w);
    void pp_binary(const Node& n, int64_t col, int64_t ind, int64_t ld, int64_t w);
    void push_node(uint64_t n, int64_t col, int64_t ind, int64_t ld, int64_t w) {
        tasks_.push({Task::kNode, 0, n, 0, 0, col, ind, ld, w, nullptr});
    }
    // Pushes the continuation over a container's remaining children, if any
    // remain: a one-element list then leaves nothing behind per level.
    void push_rest(const Task& rest) {
        const Node& c = node(rest.node);
        if (rest.next < c.a + c.b) tasks_.push(rest);
    }
    // A closing bracket, merged with an identical one on top (its count is
    // kept in `next`).
    void push_closing(const char* text) {
        Task* top = tasks_.top();
        if (top && top->kind == Task::kText && top->text == text && top->ind == 0) {
            ++top->next;
            return;
        }
        tasks_.push({Task::kText, 0, 0, 1, 0, 0, 0, 0, 0, text});
    }
    void newline(int64_t ind) {
        out_ += '\n';
        append_spaces(out_, ind);
    }

    const Tree& tree_;
    std::string& out_;
    int64_t ll_;
    int64_t m_;
    int64_t tind_ = 0;
    bool failed_ = false;
    Stack<Task> tasks_;
};

// ---- cind: throws no_good (here: failed_) when a tagged tuple would be
// indented past half the line without room for the whole term.

bool Layout::indentation_ok(int64_t col, int64_t tind) {
    tind_ = tind;
    failed_ = false;
    tasks_.clear();
    push_node(0, col, 0, 0, 0);
    while (!tasks_.empty() && !failed_) {
        Task t = tasks_.pop();
        if (t.kind == Task::kNode) {
            cind_node(t);
        } else if (t.kind == Task::kElements) {
            cind_elements(t);
        } else {
            cind_pairs(t);
        }
    }
    tasks_.clear();
    return !failed_;
}

bool Layout::cind_node(const Task& t) {
    const Node& n = node(t.node);
    if (fits(n, t.col, t.ld, t.w)) return true;
    switch (n.kind) {
        case NodeKind::kList:
        case NodeKind::kTuple:
            cind_list(t.node, n.a, t.col + 1, t.ld, t.w + 1);
            return true;
        case NodeKind::kTaggedTuple:
            return cind_tag_tuple(t);
        case NodeKind::kMap: {
            int64_t col = t.col + 2;
            int64_t pw = cind_pair(n.a, col, last_depth(n, n.a, t.ld), t.w + 2);
            push_rest(
                {Task::kPairs, 0, t.node, n.a + 1, col, col + pw, 0, t.ld, t.w + 2 + pw, nullptr});
            return true;
        }
        default:
            return true;
    }
}

bool Layout::cind_tag_tuple(const Task& t) {
    const Node& n = node(t.node);
    int64_t tlen = node(n.a).len;
    int64_t tag_ind = tlen + 2;
    int64_t tcol = t.col + tag_ind;
    int64_t w = t.w + 1;
    if (tind_ > 0 && tag_ind > tind_) {
        int64_t col1 = t.col + tind_;
        if (!(m_ + col1 <= ll_ || col1 <= ll_ / 2)) return failed_ = true, false;
        push_rest({Task::kElements, 0, t.node, n.a + 1, col1, tcol, 0, t.ld, w + tlen, nullptr});
        return true;
    }
    if (!(m_ + tcol < ll_ || tcol < ll_ / 2)) return failed_ = true, false;
    cind_list(t.node, n.a + 1, tcol, t.ld, w + tlen + 1);
    return true;
}

void Layout::cind_list(uint64_t container, uint64_t start, int64_t col0, int64_t ld, int64_t w) {
    const Node& c = node(container);
    if (is_tail(c, start) && c.tail == Tail::kDots) return;
    int64_t we = cind_element(start, col0, last_depth(c, start, ld), w);
    push_rest({Task::kElements, 0, container, start + 1, col0, col0 + we, 0, ld, w + we, nullptr});
}

int64_t Layout::cind_element(uint64_t e, int64_t col, int64_t ld, int64_t w) {
    const Node& n = node(e);
    if (fits(n, col, ld, w) && atomic(n)) return n.len;
    push_node(e, col, 0, ld, w);
    return ll_;
}

void Layout::cind_elements(Task t) {
    const Node& c = node(t.node);
    for (; t.next < c.a + c.b; ++t.next) {
        const Node& e = node(t.next);
        if (is_tail(c, t.next)) {
            if (c.tail == Tail::kDots) return;
            if (e.len + 1 < ll_ - t.col - (t.ld + 1) && e.len + 1 + t.w + (t.ld + 1) <= m_ &&
                atomic(e))
                return;
            return push_node(t.next, t.col, 0, t.ld + 1, 0);
        }
        int64_t ld1 = last_depth(c, t.next, t.ld);
        if (fits_after(e, t.col, ld1, t.w) && atomic(e)) {
            t.col += 1 + e.len;
            t.w += 1 + e.len;
        } else {
            int64_t we = cind_element(t.next, t.col0, ld1, 0);
            t.col = t.col0 + we;
            t.w = we;
        }
    }
}

int64_t Layout::cind_pair(uint64_t p, int64_t col, int64_t ld, int64_t w) {
    const Node& pair = node(p);
    if (fits(pair, col, ld, w)) return atomic_pair(pair) ? pair.len : ll_;
    push_node(pair.a, col, 0, ld, w);
    push_node(pair.a + 1, col + map_value_indent(), 0, ld, 0);
    return ll_;
}

void Layout::cind_pairs(Task t) {
    const Node& c = node(t.node);
    for (; t.next < c.a + c.b; ++t.next) {
        if (is_tail(c, t.next)) return;  // dots
        const Node& p = node(t.next);
        int64_t ld1 = last_depth(c, t.next, t.ld);
        if (fits_after(p, t.col, ld1, t.w) && atomic_pair(p)) {
            t.col += 1 + p.len;
            t.w += 1 + p.len;
        } else {
            int64_t pw = cind_pair(t.next, t.col0, ld1, 0);
            t.col = t.col0 + pw;
            t.w = pw;
        }
    }
}

// ---- pp: writes the term, breaking what does not fit.

void Layout::print(int64_t col, int64_t tind) {
    tind_ = tind;
    tasks_.clear();
    push_node(0, col, col - 1, 0, 0);
    while (!tasks_.empty()) {
        Task t = tasks_.pop();
        switch (t.kind) {
            case Task::kNode:
                pp_node(t);
                break;
            case Task::kText:
                for (uint64_t i = 0; i < t.next; ++i)
                    out_ += t.text;
                append_spaces(out_, t.ind);
                break;
            case Task::kElements:
                pp_elements(t);
                break;
            case Task::kPairs:
                pp_pairs(t);
                break;
        }
    }
}

void Layout::pp_node(const Task& t) {
    const Node& n = node(t.node);
    if (fits(n, t.col, t.ld, t.w)) return tree_.write(out_, t.node);
    auto close = [&](const char* text) { push_closing(text); };
    switch (n.kind) {
        case NodeKind::kList:
            out_ += '[';
            close(kCloseList);
            return pp_list(t.node, n.a, t.col + 1, t.ind + 1, t.ld, '|', t.w + 1);
        case NodeKind::kTuple:
            out_ += '{';
            close(kCloseTuple);
            return pp_list(t.node, n.a, t.col + 1, t.ind + 1, t.ld, ',', t.w + 1);
        case NodeKind::kTaggedTuple:
            out_ += '{';
            close(kCloseTuple);
            return pp_tag_tuple(n, t.node, t.col, t.ind, t.ld, t.w + 1);
        case NodeKind::kMap: {
            out_ += "#{";
            close(kCloseTuple);
            int64_t col = t.col + 2, ind = t.ind + 2;
            if (is_tail(n, n.a)) {  // only "...": cannot happen, as in OTP
                out_ += "...";
                return;
            }
            int64_t ld = last_depth(n, n.a, t.ld);
            int64_t pw = pair_width(node(n.a), col, ld, t.w + 1);
            // pp_pairs_tail gets the pair's width as w, not w + width.
            push_rest({Task::kPairs, 0, t.node, n.a + 1, col, col + pw, ind, t.ld, pw, nullptr});
            return pp_pair(n.a, col, ind, ld, t.w + 1);
        }
        case NodeKind::kBin:
            return pp_binary(n, t.col + 2, t.ind + 2, t.ld, t.w);
        default:
            return tree_.write(out_, t.node);
    }
}

// pp_tag_tuple/8: {Tag, ...} puts its second element after the tag and the
// rest under it, or, when the tag is longer than TInd, all of them on their
// own lines TInd further in.
void Layout::pp_tag_tuple(const Node& n, uint64_t index, int64_t col, int64_t ind, int64_t ld,
                          int64_t w) {
    const Node& tag = node(n.a);
    int64_t tag_ind = tag.len + 2;
    int64_t tcol = col + tag_ind;
    out_ += tree_.text_of(tag);
    if (tind_ > 0 && tag_ind > tind_) {
        push_rest({Task::kElements, ',', index, n.a + 1, col + tind_, tcol, ind + tind_, ld,
                   w + tag.len, nullptr});
        return;
    }
    out_ += ',';
    pp_list(index, n.a + 1, tcol, ind + tag_ind, ld, ',', w + tag.len + 1);
}

// pp_element/8: the element flat if it is atomic and fits, else laid out.
// Its width (the element's length, or ll meaning "the line is full") was
// already taken into the continuation the caller pushed.
void Layout::pp_element(uint64_t e, int64_t col, int64_t ind, int64_t ld, int64_t w) {
    const Node& n = node(e);
    if (fits(n, col, ld, w) && atomic(n)) return tree_.write(out_, e);
    push_node(e, col, ind, ld, w);
}

// pp_list/9: the first element, then the continuation for the rest.
void Layout::pp_list(uint64_t container, uint64_t start, int64_t col0, int64_t ind, int64_t ld,
                     char sep, int64_t w) {
    const Node& c = node(container);
    if (is_tail(c, start) && c.tail == Tail::kDots) {
        out_ += "...";
        return;
    }
    const Node& e = node(start);
    int64_t ld1 = last_depth(c, start, ld);
    int64_t we = fits(e, col0, ld1, w) && atomic(e) ? e.len : ll_;
    push_rest(
        {Task::kElements, sep, container, start + 1, col0, col0 + we, ind, ld, w + we, nullptr});
    pp_element(start, col0, ind, ld1, w);
}

// pp_tail/10: the elements after the first, each flat on the current line
// while atomic and fitting, else on a new line at the indentation.
void Layout::pp_elements(Task t) {
    const Node& c = node(t.node);
    for (; t.next < c.a + c.b; ++t.next) {
        const Node& e = node(t.next);
        if (is_tail(c, t.next)) {
            out_ += t.sep;
            if (c.tail == Tail::kDots) {
                out_ += "...";
            } else if (e.len + 1 < ll_ - t.col - (t.ld + 1) && e.len + 1 + t.w + (t.ld + 1) <= m_ &&
                       atomic(e)) {
                tree_.write(out_, t.next);
            } else {
                newline(t.ind);
                push_node(t.next, t.col0, t.ind, t.ld + 1, 0);
            }
            return;
        }
        int64_t ld1 = last_depth(c, t.next, t.ld);
        if (fits_after(e, t.col, ld1, t.w) && atomic(e)) {
            out_ += ',';
            tree_.write(out_, t.next);
            t.col += 1 + e.len;
            t.w += 1 + e.len;
            continue;
        }
        out_ += ',';
        newline(t.ind);
        int64_t we = fits(e, t.col0, ld1, 0) && atomic(e) ? e.len : ll_;
        Task rest = t;
        rest.next = t.next + 1;
        rest.col = t.col0 + we;
        rest.w = we;
        push_rest(rest);
        return pp_element(t.next, t.col0, t.ind, ld1, 0);
    }
}

// pp_pair/8's width: the pair's length if written flat and atomic, else ll.
int64_t Layout::pair_width(const Node& pair, int64_t col, int64_t ld, int64_t w) const {
    if (fits(pair, col, ld, w)) return atomic_pair(pair) ? pair.len : ll_;
    return ll_;
}

// pp_pair/8: "K => V" flat, or K, " =>", and V on the next line further in.
void Layout::pp_pair(uint64_t p, int64_t col, int64_t ind, int64_t ld, int64_t w) {
    const Node& pair = node(p);
    if (fits(pair, col, ld, w)) return tree_.write(out_, p);
    int64_t i = map_value_indent();
    push_node(pair.a + 1, col + i, ind + i, ld, 0);
    tasks_.push({Task::kText, 0, 0, 1, 0, 0, ind + i, 0, 0, " =>\n"});
    push_node(pair.a, col, ind, ld, w);
}

// pp_pairs_tail/9.
void Layout::pp_pairs(Task t) {
    const Node& c = node(t.node);
    for (; t.next < c.a + c.b; ++t.next) {
        if (is_tail(c, t.next)) {
            out_ += ",...";
            return;
        }
        const Node& p = node(t.next);
        int64_t ld1 = last_depth(c, t.next, t.ld);
        if (fits_after(p, t.col, ld1, t.w) && atomic_pair(p)) {
            out_ += ',';
            tree_.write(out_, t.next);
            t.col += 1 + p.len;
            t.w += 1 + p.len;
            continue;
        }
        out_ += ',';
        newline(t.ind);
        int64_t pw = pair_width(p, t.col0, ld1, 0);
        Task rest = t;
        rest.next = t.next + 1;
        rest.col = t.col0 + pw;
        rest.w = pw;
        push_rest(rest);
        return pp_pair(t.next, t.col0, t.ind, ld1, 0);
    }
}

// pp_binary/7: <<1,2,...>> filled to the line, broken after commas.
void Layout::pp_binary(const Node& n, int64_t col, int64_t ind, int64_t ld, int64_t w) {
    std::string_view text = tree_.text_of(n);
    std::string_view body = text.substr(2, text.size() - 4);
    int64_t n0 = std::max<int64_t>(8, std::min(ll_ - col, m_ - 4 - w) - ld);
    int64_t room = n0;
    out_ += "<<";
    for (;;) {
        size_t comma = body.find(',');
        if (comma == std::string_view::npos) break;
        int64_t len = int64_t(comma) + 1;
        if (room - len < 0) {
            newline(ind);
            room = n0 - len;
        } else {
            room -= len;
        }
        out_ += body.substr(0, comma + 1);
        body.remove_prefix(comma + 1);
    }
    if (int64_t(body.size()) > room) newline(ind);
    out_ += body;
    out_ += ">>";
}

}  // namespace

namespace {

// ---- 4. numbers ------------------------------------------------------------------------

bool integer_negative(Term i) {
    return is_small(i) ? small_value(i) < 0 : bignum_negative(i);
}

// integer_to_list(abs(I), Base), uppercase unless `lowercase`.
void append_magnitude(std::string& out, Term i, int base, bool lowercase) {
    const char* digit_chars =
        lowercase ? "0123456789abcdefghijklmnopqrstuvwxyz" : "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (is_small(i)) {
        int64_t v = small_value(i);
        uint64_t magnitude = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
        char buffer[72];
        char* p = buffer + sizeof buffer;
        do {
            *--p = digit_chars[magnitude % unsigned(base)];
            magnitude /= unsigned(base);
        } while (magnitude);
        out.append(p, buffer + sizeof buffer);
        return;
    }
    // Bignums: mpn_get_str destroys its input, so it works on a copy.
    size_t n = bignum_limb_count(i);
    std::vector<mp_limb_t> scratch(bignum_limbs(i), bignum_limbs(i) + n);
    std::vector<unsigned char> digits(n * 64 + 2);
    size_t length = mpn_get_str(digits.data(), base, scratch.data(), mp_size_t(n));
    size_t first = 0;
    while (first + 1 < length && digits[first] == 0)
        ++first;
    for (size_t k = first; k < length; ++k)
        out += digit_chars[digits[k]];
}

// The shortest correctly rounded 21 significant digits of |x| and the
// decimal exponent: |x| = 0.D1D2...D21 * 10^exp. OTP 25 takes them from
// float_to_list/1 ("%.20e"), and ~f/~e round these digits, not the exact
// binary value (so ~.30f of 0.1 ends in zeros).
struct FloatDigits {
    char digits[21];
    int exp;
};

FloatDigits float_digits(double x) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.20e", std::fabs(x));
    FloatDigits d;
    d.digits[0] = buffer[0];
    std::memcpy(d.digits + 1, buffer + 2, 20);
    d.exp = std::atoi(buffer + 23) + 1;
    return d;
}

// float_man/3: `int_digits` digits before the point and `decimals` after,
// from `digits` (zeros past their end), rounded half up on the next digit.
// Returns whether a carry came out of the top.
bool append_mantissa(std::string& out, const char* digits, int count, int int_digits,
                     int64_t decimals) {
    size_t start = out.size();
    auto digit = [&](int64_t k) { return k < count ? digits[k] : '0'; };
    for (int k = 0; k < int_digits; ++k)
        out += digit(k);
    out += '.';
    for (int64_t k = 0; k < decimals; ++k)
        out += digit(int_digits + k);
    bool carry = int_digits + decimals < count && digit(int_digits + decimals) >= '5';
    for (size_t k = out.size(); carry && k-- > start;) {
        if (out[k] == '.') continue;
        carry = out[k] == '9';
        out[k] = carry ? '0' : char(out[k] + 1);
    }
    return carry;
}

// float_f/3: signbit/1 writes the sign of -0.0 too.
void append_float_f(std::string& out, double x, int64_t precision) {
    if (std::signbit(x)) out += '-';
    FloatDigits d = float_digits(x);
    char digits[64];
    int count = 0, exp = d.exp;
    if (exp <= 0) {  // 0.000ddd: put 1 - exp zeros in front
        for (; count < 1 - exp; ++count)
            digits[count] = '0';
        exp = 1;
    }
    std::memcpy(digits + count, d.digits, 21);
    count += 21;
    size_t start = out.size();
    if (append_mantissa(out, digits, count, exp, precision)) out.insert(start, 1, '1');
}

// float_e/3: one digit, precision - 1 decimals, e+X / e-X.
void append_float_e(std::string& out, double x, int64_t precision) {
    if (std::signbit(x)) out += '-';
    FloatDigits d = float_digits(x);
    size_t start = out.size();
    int exp = d.exp - 1;
    if (append_mantissa(out, d.digits, 21, 1, precision - 1)) {
        out[start] = '1';  // 9.99 rounded up: 10.0 is 1.00 times ten
        ++exp;
    }
    out += exp >= 0 ? "e+" : "e";
    append_int(out, exp);
}

// ---- 5. the control-sequence interpreter -----------------------------------------------

// One control sequence: ~F.P.PadModC
struct Spec {
    int64_t width = kUnset;
    bool left = false;
    int64_t precision = kUnset;
    int64_t pad = ' ';
    bool unicode = false;  // t
    bool strings = true;   // l turns it off
    uint32_t control = 0;
};

// Widths past this are refused (badarg) rather than allocated.
constexpr int64_t kMaxField = int64_t(1) << 28;

class Interpreter {
  public:
    Interpreter(std::string& out, Term args, int64_t column)
        : out_(out), args_(args), scanned_(out.size()), column_(column) {}

    Status run(std::string_view text);

  private:
    bool next_arg(Term& t) {
        if (!is_cons(args_)) return false;
        t = car(args_);
        args_ = cdr(args_);
        return true;
    }
    bool parse_spec(Spec& spec);
    bool field_value(int64_t& value);
    bool control(const Spec& spec);
    bool control_integer(const Spec& spec, Term arg, std::string_view prefix, bool lowercase);
    bool control_prefixed(const Spec& spec, bool lowercase);
    bool control_float(const Spec& spec, Term arg);
    bool control_char(const Spec& spec, Term arg);
    bool control_newline(const Spec& spec);
    bool control_string(const Spec& spec, Term arg);
    bool control_write(const Spec& spec, Term arg, int64_t depth);
    bool control_print(const Spec& spec, Term arg, int64_t depth);
    int64_t current_column();
    bool peek(uint32_t& c) const;
    void advance();

    std::string& out_;
    Term args_;
    std::string_view text_;  // the control string left to read
    size_t scanned_;         // output up to here is counted in column_
    int64_t column_;
    std::vector<Term> stack_;  // ~s: the rests of enclosing lists
};

bool Interpreter::peek(uint32_t& c) const {
    if (text_.empty()) return false;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(text_.data());
    if (decode_utf8(p, p + text_.size(), c) == 0) c = p[0];
    return true;
}

void Interpreter::advance() {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(text_.data());
    uint32_t c;
    size_t n = decode_utf8(p, p + text_.size(), c);
    text_.remove_prefix(n ? n : 1);
}

// field_value/2: '*' takes an integer argument, else decimal digits.
// Leaves `value` kUnset when neither is there.
bool Interpreter::field_value(int64_t& value) {
    uint32_t c;
    value = kUnset;
    if (!peek(c)) return true;
    if (c == '*') {
        Term arg;
        if (!is_cons(args_) || !is_small(car(args_))) return true;  // '*' stays: badarg later
        next_arg(arg);
        value = small_value(arg);
        advance();
        return value >= -kMaxField && value <= kMaxField;
    }
    if (c < '0' || c > '9') return true;
    value = 0;
    while (peek(c) && c >= '0' && c <= '9') {
        value = value * 10 + (c - '0');
        if (value > kMaxField) return false;
        advance();
    }
    return true;
}

// collect_cseq/2: field width, precision, pad character and modifiers.
bool Interpreter::parse_spec(Spec& spec) {
    uint32_t c;
    bool minus = peek(c) && c == '-';
    if (minus) advance();
    int64_t width;
    if (!field_value(width)) return false;
    if (minus && width == kUnset) return false;  // -none: badarith in OTP
    if (width != kUnset) {
        if (minus) width = -width;
        spec.left = width < 0;
        spec.width = width < 0 ? -width : width;
    }
    if (peek(c) && c == '.') {
        advance();
        if (!field_value(spec.precision)) return false;
        if (peek(c) && c == '.') {  // pad_char/2
            advance();
            if (!peek(c)) return false;
            Term arg;
            if (c == '*' && is_cons(args_)) {
                next_arg(arg);
                spec.pad = is_small(arg) ? small_value(arg) : -1;  // checked when used
            } else {
                spec.pad = c;
            }
            advance();
        }
    }
    for (; peek(c) && (c == 't' || c == 'l'); advance()) {
        if (c == 't') spec.unicode = true;
        if (c == 'l') spec.strings = false;
    }
    if (!peek(c)) return false;
    spec.control = c;
    advance();
    return true;
}

// indentation/2 of io_lib_format: the column after everything written so
// far, tabs stopping at multiples of 8.
int64_t Interpreter::current_column() {
    for (; scanned_ < out_.size(); ++scanned_) {
        unsigned char c = static_cast<unsigned char>(out_[scanned_]);
        if (c == '\n') {
            column_ = 0;
        } else if (c == '\t') {
            column_ = (column_ + 8) / 8 * 8;
        } else if ((c & 0xC0) != 0x80) {
            ++column_;
        }
    }
    return column_;
}

Status Interpreter::run(std::string_view text) {
    size_t start = out_.size();
    text_ = text;
    bool ok = true;
    while (ok && !text_.empty()) {
        size_t tilde = text_.find('~');
        out_ += text_.substr(0, tilde);
        if (tilde == std::string_view::npos) break;
        text_.remove_prefix(tilde + 1);
        Spec spec;
        ok = parse_spec(spec) && control(spec);
    }
    if (ok && is_nil(args_)) return Status::kOk;
    out_.resize(start);  // io_lib:format returns nothing when it fails
    return Status::kBadArg;
}

bool Interpreter::control(const Spec& spec) {
    Term arg = kNil, depth = kNil;
    switch (spec.control) {
        case 'w':
        case 'p':
            if (!next_arg(arg)) return false;
            return spec.control == 'w' ? control_write(spec, arg, -1)
                                       : control_print(spec, arg, -1);
        case 'W':
        case 'P':
            if (!next_arg(arg) || !next_arg(depth) || !is_small(depth)) return false;
            return spec.control == 'W' ? control_write(spec, arg, small_value(depth))
                                       : control_print(spec, arg, small_value(depth));
        case 's':
            return next_arg(arg) && control_string(spec, arg);
        case 'e':
        case 'f':
        case 'g':
            return next_arg(arg) && control_float(spec, arg);
        case 'b':
        case 'B':
            return next_arg(arg) && control_integer(spec, arg, "", spec.control == 'b');
        case 'x':
        case 'X':
            return control_prefixed(spec, spec.control == 'x');
        case '+':
        case '#': {
            if (!next_arg(arg)) return false;
            int64_t base = spec.precision == kUnset ? 10 : spec.precision;
            char prefix[8];
            auto end = std::to_chars(prefix, prefix + 6, base).ptr;
            *end++ = '#';
            return control_integer(spec, arg, std::string_view(prefix, size_t(end - prefix)),
                                   spec.control == '+');
        }
        case 'c':
            return next_arg(arg) && control_char(spec, arg);
        case '~': {
            Spec tilde = spec;
            return control_char(tilde, make_small('~'));
        }
        case 'n':
            return control_newline(spec);
        case 'i':
            return next_arg(arg);
        default:
            return false;
    }
}

// unprefixed_integer/6 and prefixed_integer/7: [-]PrefixDigits in a field.
bool Interpreter::control_integer(const Spec& spec, Term arg, std::string_view prefix,
                                  bool lowercase) {
    int64_t base = spec.precision == kUnset ? 10 : spec.precision;
    if (!is_integer(arg) || base < 2 || base > 36) return false;
    size_t start = out_.size();
    if (integer_negative(arg)) out_ += '-';
    out_ += prefix;
    append_magnitude(out_, arg, int(base), lowercase);
    return fit_field(out_, start, spec.width, spec.left, kUnset, spec.pad);
}

// ~x, ~X: the prefix is an atom or a deep list of characters.
bool Interpreter::control_prefixed(const Spec& spec, bool lowercase) {
    Term arg, prefix;
    if (!next_arg(arg) || !next_arg(prefix)) return false;
    std::string text;
    if (is_atom(prefix)) {
        text = atom::name(atom_index(prefix));
    } else {
        stack_.clear();
        for (Term t = prefix;;) {
            if (is_cons(t)) {
                Term head = car(t);
                t = cdr(t);
                if (is_small(head) && valid_char(small_value(head))) {
                    append_utf8(text, uint32_t(small_value(head)));
                } else if (is_list(head)) {
                    stack_.push_back(t);
                    t = head;
                } else {
                    return false;
                }
            } else if (is_nil(t) && !stack_.empty()) {
                t = stack_.back();
                stack_.pop_back();
            } else if (is_nil(t)) {
                break;
            } else {
                return false;
            }
        }
    }
    return control_integer(spec, arg, text, lowercase);
}

// fwrite_e/5, fwrite_f/5, fwrite_g/5.
bool Interpreter::control_float(const Spec& spec, Term arg) {
    if (!is_float(arg)) return false;
    double x = float_value(arg);
    int64_t p = spec.precision == kUnset ? 6 : spec.precision;
    uint32_t form = spec.control;
    if (form == 'g') {
        if (p < 1) return false;
        // The f form for 0.1 <= |x| < 10^4 when P digits show it, else e.
        double a = std::fabs(x);
        int e = a < 1e-1  ? -2
                : a < 1e0 ? -1
                : a < 1e1 ? 0
                : a < 1e2 ? 1
                : a < 1e3 ? 2
                : a < 1e4 ? 3
                          : 99;
        if ((p <= 1 && e == -1) || (e != 99 && p - 1 > e && e >= -1)) {
            form = 'f';
            p = p - 1 - e;
        } else {
            form = 'e';
            p = std::max<int64_t>(p, 2);
        }
    }
    if (p < (form == 'e' ? 2 : 1) || p > kMaxField) return false;
    size_t start = out_.size();
    if (form == 'e') {
        append_float_e(out_, x, p);
    } else {
        append_float_f(out_, x, p);
    }
    return spec.width == kUnset ||
           fit_field(out_, start, spec.width, spec.left, spec.width, spec.pad);
}

// char/5: the character repeated (precision) times in a field.
bool Interpreter::control_char(const Spec& spec, Term arg) {
    int64_t c;
    if (is_small(arg)) {
        c = small_value(arg);
    } else if (is_bignum(arg)) {
        Limb low = bignum_limbs(arg)[0];
        c = int64_t(bignum_negative(arg) ? (0 - low) & 0xFF : low & 0xFF);
    } else {
        return false;
    }
    if (!spec.unicode) c &= 0xFF;  // A band 255, two's complement
    if (!valid_char(c)) return false;
    int64_t f = spec.width, p = spec.precision;
    if (f != kUnset && p != kUnset && f < p) return false;
    int64_t times = p != kUnset ? p : f != kUnset ? f : 1;
    if (times < 0) return false;
    size_t start = out_.size();
    append_repeated(out_, uint32_t(c), times);
    if (f == kUnset || p == kUnset) return true;
    return pad_piece(out_, start, f - p, spec.left, spec.pad);
}

// newline/4: F newlines; a left-adjusted ~n is refused, as in OTP.
bool Interpreter::control_newline(const Spec& spec) {
    if (spec.width == kUnset) {
        out_ += '\n';
        return true;
    }
    if (spec.left) return false;
    out_.append(size_t(spec.width), '\n');
    return true;
}

// ~w, ~W: io_lib:write, then term/5 for the field.
bool Interpreter::control_write(const Spec& spec, Term arg, int64_t depth) {
    size_t start = out_.size();
    write(out_, arg, depth, spec.unicode);
    return fit_field(out_, start, spec.width, spec.left, spec.precision, spec.pad);
}

// ~p, ~P: the field width is the line length, the precision the column.
bool Interpreter::control_print(const Spec& spec, Term arg, int64_t depth) {
    if (spec.left) return false;
    PrettyOptions options;
    options.line_length = spec.width == kUnset ? 80 : spec.width;
    options.column = spec.precision == kUnset ? current_column() + 1 : spec.precision;
    options.depth = depth;
    options.unicode = spec.unicode;
    options.strings = spec.strings;
    print(out_, arg, options);
    return true;
}

// Appends the characters of iolist_to_chars/1 (Latin-1) or cdata_to_chars/1
// (~ts) of `arg`; counts them in `chars`. Walks nested lists with a stack.
bool append_chardata(std::string& out, Term arg, bool unicode, std::vector<Term>& stack,
                     int64_t& chars) {
    stack.clear();
    Term t = arg;
    for (;;) {
        if (is_cons(t)) {
            Term head = car(t);
            t = cdr(t);
            if (is_small(head)) {
                int64_t c = small_value(head);
                if (c < 0 || c > (unicode ? int64_t(kMaxCodePoint) : 255)) return false;
                append_utf8(out, uint32_t(c));
                ++chars;
            } else if (is_list(head) || is_binary(head)) {
                stack.push_back(t);
                t = head;
            } else {
                return false;
            }
            continue;
        }
        if (is_binary(t)) {
            Bits bits = bits_of(t);
            uint64_t size = bits.bit_size / 8;
            std::string bytes(size, '\0');
            for (uint64_t i = 0; i < size; ++i)
                bytes[i] = char(bits_byte(bits, i));
            const uint8_t* p = reinterpret_cast<const uint8_t*>(bytes.data());
            bool utf8 = unicode;
            for (size_t i = 0; utf8 && i < size;) {
                uint32_t c;
                size_t n = decode_utf8(p + i, p + size, c);
                utf8 = n != 0;
                i += n;
            }
            if (utf8) {
                out += bytes;
                chars += count_chars(bytes);
            } else {
                for (uint8_t b : bytes)
                    append_utf8(out, b);
                chars += int64_t(size);
            }
        } else if (!is_nil(t)) {
            return false;
        }
        if (stack.empty()) return true;
        t = stack.back();
        stack.pop_back();
    }
}

// ~s: string/6 of io_lib_format over the characters of the argument.
bool Interpreter::control_string(const Spec& spec, Term arg) {
    size_t start = out_.size();
    int64_t n = 0;
    if (is_atom(arg)) {
        std::string_view name = atom::name(atom_index(arg));
        if (!spec.unicode) {  // atom_to_list then iolist_to_chars: Latin-1 only
            const uint8_t* p = reinterpret_cast<const uint8_t*>(name.data());
            for (size_t i = 0; i < name.size();) {
                uint32_t c = 0;
                i += std::max<size_t>(1, decode_utf8(p + i, p + name.size(), c));
                if (c > 0xFF) return false;
            }
        }
        out_ += name;
        n = count_chars(name);
    } else if (!append_chardata(out_, arg, spec.unicode, stack_, n)) {
        return false;
    }
    int64_t f = spec.width, p = spec.precision;
    auto truncate = [&](int64_t chars) {
        out_.resize(start + offset_of_char(std::string_view(out_).substr(start), chars));
    };
    // string_field/6: cut to the field or pad it.
    auto field = [&](int64_t width, bool left) {
        if (n > width) return truncate(width), true;
        return pad_piece(out_, start, width - n, left, spec.pad);
    };
    if (p != kUnset && p < 0) return false;
    if (f == kUnset && p == kUnset) return true;
    if (p == kUnset) return field(f, spec.left);
    if (f == kUnset) return field(p, true);
    if (f < p) return false;
    if (f == p) return field(f, spec.left);
    if (n > p) truncate(p);
    if (n < p && !pad_piece(out_, start, p - n, true, spec.pad)) return false;
    return pad_piece(out_, start, f - p, spec.left, spec.pad);
}

// The control string of a format term as UTF-8: a flat list of character
// codes, a binary (Latin-1 bytes) or an atom.
bool control_text(Term format_string, std::string& text) {
    if (is_atom(format_string)) {
        text = atom::name(atom_index(format_string));
        return true;
    }
    if (is_binary(format_string)) {
        Bits bits = bits_of(format_string);
        for (uint64_t i = 0; i < bits.bit_size / 8; ++i)
            append_utf8(text, bits_byte(bits, i));
        return true;
    }
    Term t = format_string;
    for (; is_cons(t); t = cdr(t)) {
        Term c = car(t);
        if (!is_small(c) || !valid_char(small_value(c))) return false;
        append_utf8(text, uint32_t(small_value(c)));
    }
    return is_nil(t);
}

}  // namespace

Status format(std::string& out, std::string_view control, Term args, int64_t column) {
    return Interpreter(out, args, column).run(control);
}

Status format(std::string& out, Term format_string, Term args, int64_t column) {
    std::string text;
    if (!control_text(format_string, text)) return Status::kBadArg;
    return format(out, text, args, column);
}

// ---- the pretty printer's entry point ---------------------------------------------------

void print(std::string& out, Term t, const PrettyOptions& options) {
    if (options.depth == 0) {
        out += "...";
        return;
    }
    int64_t col = std::max<int64_t>(options.column, 1);
    if (is_atom(t)) return write_atom(out, t, options.unicode);
    if (!is_list(t) && !is_tuple(t) && !is_map(t) && !is_bitstring(t)) return term::print(out, t);
    Tree tree(options.unicode, options.strings);
    tree.build(t, options.depth < 0 ? -1 : options.depth);
    int64_t len = tree.node(0).len;
    int64_t ll = options.line_length;
    if (ll == 0 || len < ll - col) return tree.write(out, 0);
    Layout layout(tree, out, ll, len);
    int64_t tind = layout.indentation_ok(col, -1) ? -1 : layout.indentation_ok(col, 4) ? 4 : 1;
    layout.print(col, tind);
}

void write(std::string& out, Term t, int64_t depth, bool unicode) {
    Stack<WriteItem> stack;
    MapArena arena;
    stack.push(write_term_item(t, depth < 0 ? -1 : depth));
    while (!stack.empty())
        write_continue(out, stack.pop(), unicode, stack, arena);
}

}  // namespace format
