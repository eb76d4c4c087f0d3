// format_deep: io_lib:format/2's deep list (see format_deep.h). The format
// string is split into characters and control sequences; each control is
// formatted alone by format() (with the column its output starts at, for
// ~p) and then either spliced in or nested as OTP nests it:
//
//   ~w  io_lib:write: [$[, [W1, $,, W2, $|, Tail], $]], [${, [...], $}],
//       [$#, ${, [[K, " => ", V], $,, ...], $}], [$<, $<, ["1", $,, "2"], $>, $>],
//       anything else its characters
//   ~p  the same on one line, except that a printable list is its quoted
//       characters, a printable binary [$<, $<, "\"abc\"", $>, $>], and an
//       improper tail is spliced after $| rather than nested
#include "vm/format_deep.h"

#include <algorithm>

#include "vm/atom.h"
#include "vm/format.h"
#include "vm/map.h"

namespace format {

using namespace term;

int32_t DeepList::add_list(int32_t parent) {
    lists.emplace_back();
    auto index = int32_t(lists.size() - 1);
    lists[size_t(parent)].push_back({index, 0});
    return index;
}

void DeepList::add_text(int32_t list, std::string_view utf8) {
    for (size_t i = 0; i < utf8.size();)
        add_char(list, term::next_utf8(utf8, i));
}

int64_t DeepList::length(int32_t list) const {
    int64_t n = 0;
    std::vector<int32_t> stack{list};
    while (!stack.empty()) {
        int32_t l = stack.back();
        stack.pop_back();
        for (auto e : lists[size_t(l)]) {
            if (e.list >= 0) {
                stack.push_back(e.list);
            } else {
                ++n;
            }
        }
    }
    return n;
}

// Lists reachable from the root, each once, every sublist before the
// lists holding it (a sublist may be shared: chars/2's halves).
std::vector<int32_t> DeepList::order() const {
    std::vector<int32_t> out;
    std::vector<uint8_t> state(lists.size(), 0);  // 0 new, 1 open, 2 done
    std::vector<int32_t> stack{0};
    while (!stack.empty()) {
        int32_t l = stack.back();
        if (state[size_t(l)] == 2) {
            stack.pop_back();
            continue;
        }
        bool ready = true;
        if (state[size_t(l)] == 0) {
            state[size_t(l)] = 1;
            for (auto e : lists[size_t(l)]) {
                if (e.list >= 0 && state[size_t(e.list)] == 0) {
                    stack.push_back(e.list);
                    ready = false;
                }
            }
        }
        if (!ready) continue;
        state[size_t(l)] = 2;
        out.push_back(l);
        stack.pop_back();
    }
    return out;
}

size_t DeepList::cells() const {
    size_t n = 0;
    for (int32_t l : order())
        n += lists[size_t(l)].size();
    return n;
}

Term DeepList::build(Term* mem) const {
    std::vector<Term> built(lists.size(), kNil);
    for (int32_t l : order()) {
        Term list = kNil;
        const auto& elems = lists[size_t(l)];
        for (size_t k = elems.size(); k-- > 0;) {
            Term head =
                elems[k].list >= 0 ? built[size_t(elems[k].list)] : make_small(int64_t(elems[k].c));
            list = make_cons(mem, head, list);
            mem += kConsWords;
        }
        built[size_t(l)] = list;
    }
    return built[0];
}

namespace {

// One control sequence: its text (from the ~ to the control character, `*`
// kept) and the arguments it takes.
struct Control {
    std::string text;
    uint32_t letter = 0;
    bool plain = true;   // no field width, precision or pad character
    int64_t width = -1;  // -1: none
    bool left = false;
    bool precision = false;
    int64_t prec = -1;  // -1: none
    uint32_t pad = ' ';
    std::vector<Term> args;
};

bool code_points(Term f, std::vector<uint32_t>& out) {
    if (is_atom(f)) {
        std::string_view name = atom::name(atom_index(f));
        DeepList d;
        d.add_text(0, name);
        for (auto e : d.lists[0])
            out.push_back(e.c);
        return true;
    }
    if (is_binary(f)) {
        Bits bits = bits_of(f);
        for (uint64_t i = 0; i < bits.bit_size / 8; ++i)
            out.push_back(bits_byte(bits, i));
        return true;
    }
    for (; is_cons(f); f = cdr(f)) {
        if (!is_small(car(f)) || small_value(car(f)) < 0) return false;
        out.push_back(uint32_t(small_value(car(f))));
    }
    return is_nil(f);
}

void append_utf8_char(std::string& s, uint32_t c) {
    append_utf8(s, c);
}

// Parses the control at fmt[i] (just after the ~), taking its arguments
// from *args. False when the format is not understood.
bool parse_control(const std::vector<uint32_t>& fmt, size_t& i, Term* args, Control& c) {
    c.text = "~";
    auto next = [&](uint32_t* ch) {
        if (i >= fmt.size()) return false;
        *ch = fmt[i++];
        append_utf8_char(c.text, *ch);
        return true;
    };
    auto take_arg = [&]() {
        if (!is_cons(*args)) return false;
        c.args.push_back(car(*args));
        *args = cdr(*args);
        return true;
    };
    uint32_t ch;
    if (!next(&ch)) return false;
    if (ch == '-') {
        c.plain = false;
        c.left = true;
        if (!next(&ch)) return false;
    }
    if (ch == '*') {
        c.plain = false;
        if (!take_arg() || !is_small(c.args.back()) || !next(&ch)) return false;
        c.width = small_value(c.args.back());
        if (c.width < 0) c.left = true, c.width = -c.width;
    } else {
        while (ch >= '0' && ch <= '9') {
            c.plain = false;
            c.width = (c.width < 0 ? 0 : c.width * 10) + (ch - '0');
            if (c.width > 1000000 || !next(&ch)) return false;
        }
    }
    if (ch == '.') {
        c.plain = false;
        if (!next(&ch)) return false;
        if (ch == '*') {
            c.precision = true;
            if (!take_arg() || !is_small(c.args.back()) || !next(&ch)) return false;
            c.prec = small_value(c.args.back());
        } else {
            while (ch >= '0' && ch <= '9') {
                c.precision = true;
                c.prec = (c.prec < 0 ? 0 : c.prec * 10) + (ch - '0');
                if (c.prec > 1000000 || !next(&ch)) return false;
            }
        }
        if (ch == '.') {
            if (!next(&ch)) return false;
            c.pad = ch;
            if (ch == '*') {
                if (!take_arg() || !is_small(c.args.back())) return false;
                c.pad = uint32_t(small_value(c.args.back()));
            }
            if (!next(&ch)) return false;
        }
    }
    while (ch == 't' || ch == 'l')
        if (!next(&ch)) return false;
    c.letter = ch;
    int n = (ch == 'W' || ch == 'P' || ch == 'x' || ch == 'X') ? 2
            : (ch == 'n' || ch == '~')                         ? 0
                                                               : 1;
    for (int k = 0; k < n; ++k)
        if (!take_arg()) return false;
    return true;
}

struct Options {
    bool unicode;
    bool strings;
};

// Builds shapes as detached sublists of `d` (node() returns the index),
// attached by the caller.
class Shaper {
  public:
    Shaper(DeepList& d, Options o) : d_(d), o_(o) {}

    // io_lib:write(T) (~w) or io_lib_pretty's one-line form (~p).
    // Nesting deeper than this is not shaped (the walk recurses): the
    // caller then keeps that control's text flat.
    static constexpr int kMaxDepth = 1000;
    bool too_deep() const { return too_deep_; }

    int32_t node(Term t, bool pretty) {
        if (depth_ >= kMaxDepth || too_deep_) {
            too_deep_ = true;
            return fresh();
        }
        ++depth_;
        int32_t l = node_at(t, pretty);
        --depth_;
        return l;
    }

    int32_t node_at(Term t, bool pretty) {
        if (is_cons(t))
            return pretty && printed_as_text(t, '"') ? text_node(t, true) : list(t, pretty);
        if (is_tuple(t) && tuple_arity(t) > 0) return tuple(t, pretty);
        if (is_map(t) && map::size(t) > 0) return map_node(t, pretty);
        if (is_bitstring(t) && pretty && bits_of(t).bit_size == 0) return text("<<>>");
        if (is_bitstring(t)) return pretty ? pretty_binary(t) : bytes(t);
        return text_node(t, pretty);
    }

    // io_lib_format:chars(C, N): N copies of C as a tree of shared halves.
    int32_t chars(uint32_t c, int64_t n) {
        int32_t l = fresh();
        if (n <= 3) {
            for (int64_t k = 0; k < n; ++k)
                d_.add_char(l, c);
            return l;
        }
        int32_t half = chars(c, n / 2);
        if (n % 2) d_.add_char(l, c);
        attach(l, half);
        splice(l, half);
        return l;
    }

    // io_lib_format:adjust(Data, Pad, Adjust): [Data | Pad] or [Pad | Data].
    int32_t adjust(int32_t data, int32_t pad, bool left) {
        if (d_.lists[size_t(pad)].empty()) return data;
        int32_t l = fresh();
        attach(l, left ? data : pad);
        splice(l, left ? pad : data);
        return l;
    }

    // io_lib_format's term/5: ~w in a field of `width` characters, cut to
    // `prec` of them (asterisks when the term does not fit); -1: none.
    int32_t field(int32_t shape, int64_t len, int64_t width, int64_t prec, bool left,
                  uint32_t pad) {
        if (width < 0) width = prec;
        int64_t p = std::min(len, prec < 0 ? width : std::min(prec, width));
        if (len > p) return adjust(chars('*', p), chars(pad, width - p), left);
        return adjust(shape, chars(pad, width - len), left);
    }

    // iolist_to_chars / cdata_to_chars: ~s's argument with its nesting
    // kept, binaries as lists of characters.
    int32_t string_chars(Term t) {
        int32_t l = fresh();
        if (is_bitstring(t)) {
            append_binary(l, t);
            return l;
        }
        for (; is_cons(t); t = cdr(t)) {
            Term e = car(t);
            if (is_small(e)) {
                d_.add_char(l, uint32_t(small_value(e)));
            } else {
                attach(l, string_chars(e));
            }
        }
        if (is_bitstring(t)) append_binary(l, t);
        return l;
    }

    int32_t text(std::string_view utf8) {
        int32_t l = fresh();
        d_.add_text(l, utf8);
        return l;
    }

  private:
    void splice(int32_t into, int32_t from) {
        std::vector<DeepList::Elem> elems = d_.lists[size_t(from)];
        for (auto e : elems)
            d_.lists[size_t(into)].push_back(e);
    }

    void append_binary(int32_t l, Term bin) {
        Bits bits = bits_of(bin);
        std::string bytes;
        for (uint64_t k = 0; k < bits.bit_size / 8; ++k)
            bytes += char(bits_byte(bits, k));
        if (o_.unicode) {
            d_.add_text(l, bytes);  // cdata_to_chars decodes UTF-8
        } else {
            for (char b : bytes)
                d_.add_char(l, uint8_t(b));
        }
    }

    int32_t fresh() {
        d_.lists.emplace_back();
        return int32_t(d_.lists.size() - 1);
    }
    void attach(int32_t parent, int32_t child) { d_.lists[size_t(parent)].push_back({child, 0}); }

    int32_t list(Term t, bool pretty) {
        int32_t l = fresh(), inner = fresh();
        d_.add_char(l, '[');
        attach(l, inner);
        d_.add_char(l, ']');
        attach(inner, node(car(t), pretty));
        for (t = cdr(t); is_cons(t); t = cdr(t)) {
            d_.add_char(inner, ',');
            attach(inner, node(car(t), pretty));
        }
        if (!is_nil(t)) {
            d_.add_char(inner, '|');
            int32_t tail = node(t, pretty);
            if (!pretty) return attach(inner, tail), l;
            // io_lib_pretty splices the tail's own elements after the $|.
            std::vector<DeepList::Elem> elems = d_.lists[size_t(tail)];
            d_.lists[size_t(tail)].clear();
            for (auto e : elems)
                d_.lists[size_t(inner)].push_back(e);
        }
        return l;
    }

    int32_t tuple(Term t, bool pretty) {
        int32_t l = fresh(), inner = fresh();
        d_.add_char(l, '{');
        attach(l, inner);
        d_.add_char(l, '}');
        for (uint64_t k = 1; k <= tuple_arity(t); ++k) {
            if (k > 1) d_.add_char(inner, ',');
            attach(inner, node(tuple_element(t, k), pretty));
        }
        return l;
    }

    int32_t map_node(Term m, bool pretty) {
        std::vector<map::Entry> entries;
        map::entries(m, entries);
        int32_t l = fresh(), inner = fresh();
        d_.add_text(l, "#{");
        attach(l, inner);
        d_.add_char(l, '}');
        for (size_t k = 0; k < entries.size(); ++k) {
            if (k > 0) d_.add_char(inner, ',');
            int32_t pair = fresh();
            attach(inner, pair);
            attach(pair, node(entries[k].key, pretty));
            attach(pair, text(" => "));
            attach(pair, node(entries[k].value, pretty));
        }
        return l;
    }

    // io_lib:write_binary: the bytes as numbers, a last partial byte as V:S.
    int32_t bytes(Term t) {
        Bits bits = bits_of(t);
        uint64_t whole = bits.bit_size / 8;
        unsigned rest = unsigned(bits.bit_size % 8);
        int32_t l = fresh(), inner = fresh();
        d_.add_text(l, "<<");
        attach(l, inner);
        d_.add_text(l, ">>");
        for (uint64_t k = 0; k < whole; ++k) {
            if (k > 0) d_.add_char(inner, ',');
            attach(inner, text(std::to_string(bits_byte(bits, k))));
        }
        if (rest) {
            if (whole > 0) d_.add_char(inner, ',');
            Bits tail{bits.bytes, bits.bit_offset + whole * 8, rest};
            attach(inner, text(std::to_string(bits_partial_byte(tail) >> (8 - rest))));
            d_.add_char(inner, ':');
            attach(inner, text(std::to_string(rest)));
        }
        return l;
    }

    // A printable binary is [$<, $<, "\"text\"", $>, $>].
    int32_t pretty_binary(Term t) {
        std::string flat;
        print_flat(flat, t);
        if (flat.size() < 6 || flat.compare(0, 3, "<<\"") != 0 ||
            flat.compare(flat.size() - 3, 3, "\">>") != 0)
            return bytes(t);
        int32_t l = fresh();
        d_.add_text(l, "<<");
        attach(l, text(std::string_view(flat).substr(2, flat.size() - 4)));
        d_.add_text(l, ">>");
        return l;
    }

    void print_flat(std::string& out, Term t) {
        PrettyOptions po;
        po.line_length = 0;
        po.unicode = o_.unicode;
        po.strings = o_.strings;
        print(out, t, po);
    }

    // Only a list of integers can print as a string: others are not
    // printed to find out (which would cost their size at every level).
    bool printed_as_text(Term t, char first) {
        for (Term l = t; is_cons(l); l = cdr(l))
            if (!is_small(car(l))) return false;
        std::string flat;
        print_flat(flat, t);
        return !flat.empty() && flat[0] == first;
    }

    int32_t text_node(Term t, bool pretty) {
        std::string flat;
        if (pretty) {
            print_flat(flat, t);
        } else {
            format::write(flat, t, -1, o_.unicode);
        }
        return text(flat);
    }

    DeepList& d_;
    Options o_;
    int depth_ = 0;
    bool too_deep_ = false;
};

// Is `t` nested deeper than `limit` (lists, tuples, maps)? Iterative.
bool deeper_than(Term t, int limit) {
    std::vector<std::pair<Term, int>> stack{{t, 0}};
    while (!stack.empty()) {
        auto [x, d] = stack.back();
        stack.pop_back();
        if (d > limit) return true;
        if (is_cons(x)) {
            for (; is_cons(x); x = cdr(x))
                stack.push_back({car(x), d + 1});
            stack.push_back({x, d + 1});
        } else if (is_tuple(x)) {
            for (uint64_t k = 1; k <= tuple_arity(x); ++k)
                stack.push_back({tuple_element(x, k), d + 1});
        } else if (is_map(x)) {
            std::vector<map::Entry> entries;
            map::entries(x, entries);
            for (const auto& e : entries) {
                stack.push_back({e.key, d + 2});
                stack.push_back({e.value, d + 2});
            }
        }
    }
    return false;
}

// The column after `text` started at `col` (io_lib_format:indentation/2).
int64_t column_after(std::string_view text, int64_t col) {
    for (size_t i = 0; i < text.size(); ++i) {
        auto b = uint8_t(text[i]);
        if ((b & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
        if (b == '\n') {
            col = 0;
        } else if (b == '\t') {
            col = (col + 8) / 8 * 8;
        } else {
            ++col;
        }
    }
    return col;
}

bool is_small_control(uint32_t letter, const Control& c) {
    switch (letter) {
        case 's':
            return !c.args.empty() && is_atom(c.args.back());  // ~s of an atom is small
        case 'w':
        case 'p':
        case 'W':
        case 'P':
            return false;
        default:
            return true;
    }
}

}  // namespace

bool format_deep(DeepList& out, Term format_string, Term args) {
    std::vector<uint32_t> fmt;
    if (!code_points(format_string, fmt)) return false;
    int64_t col = 0;
    for (size_t i = 0; i < fmt.size();) {
        uint32_t ch = fmt[i++];
        if (ch != '~') {
            out.add_char(0, ch);
            std::string one;
            append_utf8(one, ch);
            col = column_after(one, col);
            continue;
        }
        Control c;
        Term cursor = args;
        if (!parse_control(fmt, i, &args, c)) return false;
        // This control alone, over the arguments from its own: ~i's take
        // the ones after it.
        std::string control = c.text, text;
        for (Term r = args; is_cons(r); r = cdr(r))
            control += "~i";
        if (format(text, control, cursor, col) != Status::kOk) return false;
        bool multi_line = text.find('\n') != std::string::npos;
        bool unicode = c.text.find('t') != std::string::npos;
        bool strings = c.text.find('l') == std::string::npos;
        Shaper shaper(out, {unicode, strings});
        int32_t shape = -1;
        if (is_small_control(c.letter, c)) {
            out.add_text(0, text);
        } else if (!c.args.empty() && deeper_than(c.args.back(), Shaper::kMaxDepth / 2)) {
            shape = shaper.text(text);  // too deep to shape: flat
        } else if (c.letter == 'w') {
            shape = shaper.node(c.args.back(), false);
            if (c.width >= 0 || c.prec >= 0)
                shape = shaper.field(shape, out.length(shape), c.width, c.prec, c.left, c.pad);
        } else if (c.precision || multi_line || c.letter == 'W' || c.letter == 'P') {
            shape = shaper.text(text);  // not modelled: flat
        } else if (c.letter == 'p') {   // a width is the line length
            shape = shaper.node(c.args.back(), true);
        } else {
            shape = shaper.string_chars(c.args.back());
            int64_t len = out.length(shape);
            if (c.width >= 0 && len > c.width) {  // truncated: flat
                shape = shaper.text(text);
            } else if (c.width > len) {
                shape = shaper.adjust(shape, shaper.chars(c.pad, c.width - len), c.left);
            }
        }
        if (shaper.too_deep()) shape = shaper.text(text);
        if (shape >= 0) out.lists[0].push_back({shape, 0});
        col = column_after(text, col);
    }
    return true;
}

}  // namespace format
