// codegen_match: pattern matching compiled to test-and-branch code, and
// guards.
//
// The clauses form a matrix: one row per clause, one column per value being
// matched (an argument register, then the parts taken out of it). match()
// takes the first column where the first row has a constructor pattern and
// the longest run of rows that also have one there; it tests the column's
// value once for the whole run and branches by kind: a select_val on atoms
// and integers, select_tuple_arity on tuple sizes, is_nil /
// is_nonempty_list, is_eq_exact for other literals. Each branch continues
// with the rows of that kind (the value was taken apart once) and fails to
// the rows after the run. So consecutive clauses on atoms cost one jump
// table, never a clause-by-clause rescan. A map pattern is a run of one row:
// a term can match several different map patterns.
//
// Variables are bound when a row has matched all its columns (a repeated
// variable then compares with is_eq_exact), just before its guard.
#include <fmt/core.h>

#include <algorithm>
#include <map>

#include "compiler/codegen_internal.h"

namespace codegen {

using bytecode::Literal;
using bytecode::OperandKind;

namespace {

enum class Cat : uint8_t { Value, Nil, Cons, Tuple, Lit, Map, Bin };

struct Key {
    Cat cat;
    Word value = 0;  // Value, Lit: the constant operand
    uint32_t arity = 0;
};

// Decodes one code point of the lexer's UTF-8 (surrogates allowed).
std::pair<uint32_t, size_t> first_code_point(std::string_view s) {
    auto b = static_cast<uint8_t>(s[0]);
    size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    n = std::min(n, s.size());
    uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (size_t i = 1; i < n; ++i)
        cp = cp << 6 | (static_cast<uint8_t>(s[i]) & 0x3F);
    return {cp, n};
}

}  // namespace

// ---- normalisation -------------------------------------------------------------------

// Brings row `r` to a form where every pattern is null (anything) or a
// constructor: variables become bindings, aliases split, records become
// tuples, `"ab" ++ T` becomes a cons chain.
void FnGen::normalize(std::vector<Row>& rows, std::vector<Word>& cols, size_t r) {
    for (size_t c = 0; c < cols.size(); ++c) {
        while (rows[r].pats[c] != nullptr) {
            const Node* p = rows[r].pats[c];
            if (p->kind == Kind::Var) {
                if (p->text != "_") rows[r].binds.emplace_back(p, cols[c]);
                rows[r].pats[c] = nullptr;
            } else if (p->kind == Kind::Match) {
                const Node* a = p->kid(0);
                const Node* b = p->kid(1);
                if (b->kind == Kind::Var) std::swap(a, b);
                if (a->kind != Kind::Var) {
                    cols.push_back(cols[c]);
                    for (Row& row : rows)
                        row.pats.push_back(nullptr);
                    rows[r].pats.back() = a;
                    a = nullptr;
                }
                if (a != nullptr && a->text != "_") rows[r].binds.emplace_back(a, cols[c]);
                rows[r].pats[c] = b;
            } else if (p->kind == Kind::Record) {
                rows[r].pats[c] = c_.lower_record(p, true);
            } else if (p->kind == Kind::BinaryOp && p->op == token::Kind::PlusPlus) {
                rows[r].pats[c] = append_pattern(p);
            } else {
                break;
            }
        }
    }
}

// `Prefix ++ Tail` with a literal list or string prefix: the conses.
const Node* FnGen::append_pattern(const Node* p) {
    const Node* left = p->kid(0);
    std::vector<const Node*> heads;
    if (left->kind == Kind::String) {
        std::string_view s = left->text;
        while (!s.empty()) {
            auto [cp, n] = first_code_point(s);
            Node* ch = c_.synth(Kind::Char, left);
            ch->int_value = cp;
            heads.push_back(ch);
            s.remove_prefix(n);
        }
    } else {
        const Node* n = left;
        while (n->kind == Kind::Cons) {
            heads.push_back(n->kid(0));
            n = n->kid(1);
        }
    }
    const Node* tail = p->kid(1);
    for (size_t i = heads.size(); i-- > 0;)
        tail = c_.synth(Kind::Cons, p, {heads[i], tail});
    return tail;
}

// Must the value at a pattern be taken out of its container? Not for `_`
// or a variable that is never read.
bool FnGen::pattern_needed(const Node* p, const Scope* scope) const {
    if (p == nullptr) return false;
    if (p->kind != Kind::Var) return true;
    if (p->text == "_") return false;
    int32_t id = scope->id(p->text);
    return id >= 0 && scope->vars[static_cast<size_t>(id)].uses > 0;
}

// ---- the matrix --------------------------------------------------------------------------

void FnGen::match(std::vector<Row> rows, std::vector<Word> cols, uint32_t fail, Leaf& leaf) {
    while (true) {
        if (rows.empty()) {
            emit(Opcode::jump, {fail});
            return;
        }
        for (size_t r = 0; r < rows.size(); ++r)
            normalize(rows, cols, r);
        drop_empty_columns(rows, cols, fail);
        size_t col = 0;
        while (col < cols.size() && rows[0].pats[col] == nullptr)
            ++col;
        State saved = st_;
        if (col == cols.size()) {
            uint32_t next = rows.size() > 1 ? new_label() : fail;
            st_.parts.clear();  // the body's registers are its own
            leaf.run(rows[0], next);
            if (rows.size() == 1) return;
            st_ = saved;
            place(next);
            rows.erase(rows.begin());
            continue;
        }
        // A map or bit-syntax pattern is tested on its own (a term can
        // match several of them); other constructors run together.
        auto alone = [&](const Node* p) {
            return p->kind == Kind::Map || (p->kind == Kind::Binary && c_.constant(p) == nullptr);
        };
        size_t run = 1;
        if (!alone(rows[0].pats[col])) {
            while (run < rows.size() && rows[run].pats[col] != nullptr &&
                   !alone(rows[run].pats[col]))
                ++run;
        }
        if (run == rows.size()) {  // the last run: continue here, not deeper
            std::optional<Matrix> next = dispatch(std::move(rows), cols, col, fail, leaf);
            if (!next) return;
            rows = std::move(next->rows);
            cols = std::move(next->cols);
            fail = next->fail;
            continue;
        }
        uint32_t rest = new_label();
        std::vector<Row> head(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(run));
        finish(dispatch(std::move(head), cols, col, rest, leaf), leaf);
        st_ = saved;
        place(rest);
        rows.erase(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(run));
    }
}

// Columns no row tests any more (all matched, or all `_`) go, so that a
// long string or tuple does not hold one register per element.
void FnGen::drop_empty_columns(std::vector<Row>& rows, std::vector<Word>& cols, uint32_t fail) {
    for (size_t c = cols.size(); c-- > 0;) {
        bool empty = std::all_of(rows.begin(), rows.end(),
                                 [c](const Row& row) { return row.pats[c] == nullptr; });
        if (!empty) continue;
        Word op = cols[c];
        cols.erase(cols.begin() + static_cast<ptrdiff_t>(c));
        for (Row& row : rows)
            row.pats.erase(row.pats.begin() + static_cast<ptrdiff_t>(c));
        drop_part(op, rows, cols, fail);
    }
}

// A part register whose column is gone is free for the next parts, unless
// a row binds it, another column holds it (an alias), or the code at
// `fail` may read it: a label made after the part is the rows after a run,
// which test its column. Labels made before it never see it; `fail` is the
// only label the rest of this matrix jumps to.
void FnGen::drop_part(Word op, const std::vector<Row>& rows, const std::vector<Word>& cols,
                      uint32_t fail) {
    if (!is_x(op)) return;
    auto part = st_.parts.find(reg_index(op));
    if (part == st_.parts.end() || fail >= part->second) return;
    if (std::find(cols.begin(), cols.end(), op) != cols.end()) return;
    for (const Row& row : rows)
        for (const auto& bind : row.binds)
            if (bind.second == op) return;
    st_.parts.erase(part);
    release_reg(op);
}

// Matches what a step left, when it is not in tail position (it has fewer
// rows than the matrix it came from, which bounds the recursion).
void FnGen::finish(std::optional<Matrix> m, Leaf& leaf) {
    if (m) match(std::move(m->rows), std::move(m->cols), m->fail, leaf);
}

namespace {

Key key_of(Compiler& c, const Node* p) {
    if (p->kind == Kind::Map) return {Cat::Map};
    if (p->kind == Kind::Binary && c.constant(p) == nullptr) return {Cat::Bin};
    if (p->kind == Kind::Tuple) return {Cat::Tuple, 0, p->num_kids};
    if (p->kind == Kind::Cons) return {Cat::Cons};
    if (p->kind == Kind::String) return {p->text.empty() ? Cat::Nil : Cat::Cons};
    if (p->kind == Kind::Nil) return {Cat::Nil};
    const Literal* lit = c.constant(p);
    if (lit == nullptr) return {Cat::Lit, c.atom_op("undefined")};  // lint rejected it
    Word op = c.literal_op(*lit);
    switch (bytecode::operand_kind(op)) {
        case OperandKind::Atom:
        case OperandKind::Integer:
            return {Cat::Value, op};
        case OperandKind::Nil:
            return {Cat::Nil};
        default:
            break;
    }
    if (lit->kind == Literal::Kind::Tuple)
        return {Cat::Tuple, 0, static_cast<uint32_t>(lit->elements.size())};
    return {Cat::Lit, op};
}

bool same_group(const Key& a, const Key& b) {
    if (a.cat != b.cat) return false;
    return a.cat != Cat::Lit || a.value == b.value;
}

}  // namespace

// The sub-patterns of a constructor pattern (a folded constant such as
// `-1` or `{a, 1}` keeps its node's children where it has them).
std::vector<const Node*> FnGen::sub_patterns(const Node* p) {
    if (p->kind == Kind::String) {
        auto [cp, n] = first_code_point(p->text);
        Node* ch = c_.synth(Kind::Char, p);
        ch->int_value = cp;
        Node* rest = c_.synth(p->text.size() == n ? Kind::Nil : Kind::String, p);
        rest->text = p->text.substr(n);
        return {ch, rest};
    }
    return {p->children().begin(), p->children().end()};
}

// Replaces column `col` by the parts of the value there: `parts` are the
// registers (kNone where no row needs the part).
static void expand(std::vector<Row>& rows, std::vector<Word>& cols, size_t col,
                   const std::vector<Word>& parts,
                   const std::vector<std::vector<const Node*>>& subs) {
    cols.erase(cols.begin() + static_cast<ptrdiff_t>(col));
    cols.insert(cols.begin() + static_cast<ptrdiff_t>(col), parts.begin(), parts.end());
    for (size_t r = 0; r < rows.size(); ++r) {
        std::vector<const Node*>& pats = rows[r].pats;
        pats.erase(pats.begin() + static_cast<ptrdiff_t>(col));
        pats.insert(pats.begin() + static_cast<ptrdiff_t>(col), subs[r].begin(), subs[r].end());
    }
}

std::optional<Matrix> FnGen::dispatch(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                      uint32_t fail, Leaf& leaf) {
    std::vector<std::pair<Key, std::vector<Row>>> groups;
    for (Row& row : rows) {
        Key k = key_of(c_, row.pats[col]);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](auto& g) { return same_group(g.first, k); });
        if (it == groups.end()) {
            groups.emplace_back(k, std::vector<Row>{});
            it = groups.end() - 1;
        }
        it->second.push_back(std::move(row));
    }
    // [] and [_|_] exclude each other: a list loop tests for a cons first,
    // so that each step passes one test, not two.
    for (size_t g = 0; g + 1 < groups.size(); ++g) {
        if (groups[g].first.cat == Cat::Nil && groups[g + 1].first.cat == Cat::Cons)
            std::swap(groups[g], groups[g + 1]);
    }
    Word occ = cols[col];
    State saved = st_;
    std::optional<Matrix> last;
    for (size_t g = 0; g < groups.size(); ++g) {
        uint32_t next = g + 1 < groups.size() ? new_label() : fail;
        st_ = saved;
        std::vector<Row>& group = groups[g].second;
        switch (groups[g].first.cat) {
            case Cat::Value:
                last = select_values(std::move(group), cols, col, next, fail, leaf);
                break;
            case Cat::Nil:
                emit(Opcode::is_nil, {next, occ});
                for (Row& row : group)
                    row.pats[col] = nullptr;
                last = Matrix{std::move(group), cols, fail};
                break;
            case Cat::Lit:
                emit(Opcode::is_eq_exact, {next, occ, groups[g].first.value});
                for (Row& row : group)
                    row.pats[col] = nullptr;
                last = Matrix{std::move(group), cols, fail};
                break;
            case Cat::Cons:
                emit(Opcode::is_nonempty_list, {next, occ});
                last = take_apart(std::move(group), cols, col, fail, leaf);
                break;
            case Cat::Tuple:
                last = select_tuples(std::move(group), cols, col, next, fail, leaf);
                break;
            case Cat::Map:
                last = map_pattern(std::move(group), cols, col, next, fail, leaf);
                break;
            case Cat::Bin:
                last = bin_pattern(std::move(group), cols, col, next, fail, leaf);
                break;
        }
        if (g + 1 == groups.size()) break;  // the last group continues in match()
        finish(std::move(last), leaf);
        place(next);
    }
    return last;
}

// Integer values in the order the loader's binary search wants (the
// order of their words as terms, unsigned: non-negative ascending, then
// negative ascending), so it need not sort them. The order of a
// select_val's pairs means nothing else (its values are distinct). Atoms'
// order is only known at load time; the loader sorts those.
static void sort_integer_values(std::vector<Word>& values) {
    for (Word v : values)
        if (bytecode::operand_kind(v) != bytecode::OperandKind::Integer) return;
    std::sort(values.begin(), values.end(), [](Word a, Word b) {
        int64_t x = bytecode::operand_integer(a), y = bytecode::operand_integer(b);
        return (x < 0) != (y < 0) ? y < 0 : x < y;
    });
}

// Atoms and integers: is_eq_exact for one value, else a select_val.
std::optional<Matrix> FnGen::select_values(std::vector<Row> rows, std::vector<Word> cols,
                                           size_t col, uint32_t next, uint32_t fail, Leaf& leaf) {
    std::vector<Word> values;
    std::map<Word, std::vector<Row>> by_value;
    for (Row& row : rows) {
        Word v = key_of(c_, row.pats[col]).value;
        row.pats[col] = nullptr;
        if (!by_value.count(v)) values.push_back(v);
        by_value[v].push_back(std::move(row));
    }
    Word occ = cols[col];
    if (values.size() == 1) {
        emit(Opcode::is_eq_exact, {next, occ, values[0]});
        return Matrix{std::move(by_value[values[0]]), std::move(cols), fail};
    }
    sort_integer_values(values);
    std::vector<Word> args{occ, next, values.size()};
    std::vector<uint32_t> labels;
    for (Word v : values) {
        labels.push_back(new_label());
        args.push_back(v);
        args.push_back(labels.back());
    }
    emit_vec(Opcode::select_val, args);
    State saved = st_;
    for (size_t i = 0; i + 1 < values.size(); ++i) {
        st_ = saved;
        place(labels[i]);
        match(std::move(by_value[values[i]]), cols, fail, leaf);
    }
    st_ = saved;
    place(labels.back());
    return Matrix{std::move(by_value[values.back()]), std::move(cols), fail};
}

// Tuples: one arity is a test_arity (or is_tagged_tuple when every row has
// the same atom first), several a select_tuple_arity. Each tests that the
// value is a tuple: no is_tuple before them.
std::optional<Matrix> FnGen::select_tuples(std::vector<Row> rows, std::vector<Word> cols,
                                           size_t col, uint32_t next, uint32_t fail, Leaf& leaf) {
    Word occ = cols[col];
    std::vector<uint32_t> arities;
    std::map<uint32_t, std::vector<Row>> by_arity;
    for (Row& row : rows) {
        uint32_t a = key_of(c_, row.pats[col]).arity;
        if (!by_arity.count(a)) arities.push_back(a);
        by_arity[a].push_back(std::move(row));
    }
    if (arities.size() == 1) {
        std::vector<Row>& group = by_arity[arities[0]];
        uint32_t arity = arities[0];
        std::string_view tag;
        bool tagged = arity > 0;
        for (Row& row : group) {
            const Node* first = arity > 0 ? sub_patterns(row.pats[col])[0] : nullptr;
            if (first == nullptr || first->kind != Kind::Atom ||
                (!tag.empty() && tag != first->text)) {
                tagged = false;
                break;
            }
            tag = first->text;
        }
        if (tagged) {
            emit(Opcode::is_tagged_tuple, {next, occ, arity, c_.atom(tag)});
        } else {
            emit(Opcode::test_arity, {next, occ, arity});
        }
        return take_apart(std::move(group), std::move(cols), col, fail, leaf, tagged);
    }
    std::vector<Word> args{occ, next, arities.size()};
    std::vector<uint32_t> labels;
    for (uint32_t a : arities) {
        labels.push_back(new_label());
        args.push_back(a);
        args.push_back(labels.back());
    }
    emit_vec(Opcode::select_tuple_arity, args);
    State saved = st_;
    for (size_t i = 0; i + 1 < arities.size(); ++i) {
        st_ = saved;
        place(labels[i]);
        finish(take_apart(std::move(by_arity[arities[i]]), cols, col, fail, leaf), leaf);
    }
    st_ = saved;
    place(labels.back());
    return take_apart(std::move(by_arity[arities.back()]), std::move(cols), col, fail, leaf);
}

// The value at `col` passed its test: take out the parts some row needs
// (get_list / get_hd / get_tl / get_tuple_element) and match on.
std::optional<Matrix> FnGen::take_apart(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                        uint32_t fail, Leaf& leaf, bool skip_first) {
    Word occ = cols[col];
    bool is_list = key_of(c_, rows[0].pats[col]).cat == Cat::Cons;
    std::vector<std::vector<const Node*>> subs;
    for (Row& row : rows)
        subs.push_back(sub_patterns(row.pats[col]));
    size_t n = subs[0].size();
    std::vector<bool> needed(n, false);
    for (size_t r = 0; r < rows.size(); ++r)
        for (size_t i = 0; i < n; ++i)
            if (pattern_needed(subs[r][i], rows[r].scope)) needed[i] = true;
    if (skip_first) {
        needed[0] = false;
        for (auto& s : subs)
            s[0] = nullptr;
    }
    std::vector<Word> parts(n, kNone);
    for (size_t i = 0; i < n; ++i) {
        if (!needed[i]) continue;
        parts[i] = temp_x().op;
        st_.parts[reg_index(parts[i])] = c_.next_label();
    }
    if (is_list) {
        if (needed[0] && needed[1]) {
            emit(Opcode::get_list, {occ, parts[0], parts[1]});
        } else if (needed[0]) {
            emit(Opcode::get_hd, {occ, parts[0]});
        } else if (needed[1]) {
            emit(Opcode::get_tl, {occ, parts[1]});
        }
    } else {
        for (size_t i = 0; i < n; ++i)
            if (needed[i]) emit(Opcode::get_tuple_element, {occ, i, parts[i]});
    }
    expand(rows, cols, col, parts, subs);
    drop_part(occ, rows, cols, fail);
    return Matrix{std::move(rows), std::move(cols), fail};
}

// #{K := P, ...}: is_map, then get_map_elements for the keys whose value
// some pattern needs (has_map_fields for the others).
std::optional<Matrix> FnGen::map_pattern(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                         uint32_t next, uint32_t fail, Leaf& leaf) {
    Word occ = cols[col];
    const Node* p = rows[0].pats[col];
    emit(Opcode::is_map, {next, occ});
    std::vector<Word> get{next, occ, 0};
    std::vector<Word> has{next, occ, 0};
    std::vector<Word> parts;
    std::vector<const Node*> subs;
    std::vector<Value> keys;
    for (const Node* f : p->children()) {
        Value key = expr(f->kid(0));
        keys.push_back(key);
        if (pattern_needed(f->kid(1), rows[0].scope)) {
            Word dst = temp_x().op;
            get.push_back(key.op);
            get.push_back(dst);
            ++get[2];
            parts.push_back(dst);
            subs.push_back(f->kid(1));
        } else {
            has.push_back(key.op);
            ++has[2];
        }
    }
    if (get[2] > 0) emit_vec(Opcode::get_map_elements, get);
    if (has[2] > 0) emit_vec(Opcode::has_map_fields, has);
    for (Value k : keys)
        release(k);
    expand(rows, cols, col, parts, {subs});
    return Matrix{std::move(rows), std::move(cols), fail};
}

// ---- bindings ------------------------------------------------------------------------------

// Binds a matched row's variables; a variable bound already (earlier in the
// row, or before the match outside a fun head) is compared instead.
bool FnGen::bind_row(Row& row, uint32_t fail) {
    std::vector<uint32_t> fresh;
    for (auto [var, where] : row.binds) {
        int32_t sid = scope_->id(var->text);
        if (sid < 0) continue;
        auto id = static_cast<uint32_t>(sid);
        Word loc = st_.loc[id];
        bool bound = loc != kNone &&
                     (!shadow_heads_ || std::find(fresh.begin(), fresh.end(), id) != fresh.end());
        if (bound) {
            if (where != kNone) emit(Opcode::is_eq_exact, {fail, where, loc});
            continue;
        }
        st_.loc[id] = kNone;
        bind_var(id, where, false);
        fresh.push_back(id);
    }
    return true;
}

// ---- guards ---------------------------------------------------------------------------------

void FnGen::guard(const Node* g, uint32_t fail) {
    if (g == nullptr || g->num_kids == 0) return;
    uint32_t saved_fail = guard_fail_;
    State entry = st_;
    RegSet valid = st_.valid;
    uint32_t ok = g->num_kids > 1 ? new_label() : 0;
    for (size_t i = 0; i < g->num_kids; ++i) {
        bool last = i + 1 == g->num_kids;
        uint32_t next = last ? fail : new_label();
        st_ = entry;
        guard_fail_ = next;
        for (const Node* t : g->kid(i)->children())
            test(t, next);
        valid.intersect(st_.valid);
        if (!last) {
            emit(Opcode::jump, {ok});
            place(next);
        }
    }
    if (ok != 0) place(ok);
    st_ = entry;
    st_.valid = valid;
    guard_fail_ = saved_fail;
}

namespace {

struct Comparison {
    token::Kind op;
    Opcode test;
    bool swap;
};

constexpr Comparison kComparisons[] = {
    {token::Kind::Lt, Opcode::is_lt, false},
    {token::Kind::Gt, Opcode::is_lt, true},
    {token::Kind::GtEq, Opcode::is_ge, false},
    {token::Kind::EqLt, Opcode::is_ge, true},
    {token::Kind::EqEq, Opcode::is_eq, false},
    {token::Kind::SlashEq, Opcode::is_ne, false},
    {token::Kind::EqColonEq, Opcode::is_eq_exact, false},
    {token::Kind::EqSlashEq, Opcode::is_ne_exact, false},
};

const Comparison* comparison(const Node* e) {
    if (e->kind != Kind::BinaryOp) return nullptr;
    for (const Comparison& c : kComparisons)
        if (c.op == e->op) return &c;
    return nullptr;
}

// The negation of a comparison, as a comparison: not (A < B) is A >= B.
Comparison negated(const Comparison& c) {
    switch (c.test) {
        case Opcode::is_lt:
            return {c.op, Opcode::is_ge, c.swap};
        case Opcode::is_ge:
            return {c.op, Opcode::is_lt, c.swap};
        case Opcode::is_eq:
            return {c.op, Opcode::is_ne, c.swap};
        case Opcode::is_ne:
            return {c.op, Opcode::is_eq, c.swap};
        case Opcode::is_eq_exact:
            return {c.op, Opcode::is_ne_exact, c.swap};
        default:
            return {c.op, Opcode::is_eq_exact, c.swap};
    }
}

struct TypeTest {
    std::string_view name;
    Opcode test;
};

constexpr TypeTest kTypeTests[] = {
    {"is_integer", Opcode::is_integer},
    {"is_float", Opcode::is_float},
    {"is_number", Opcode::is_number},
    {"is_atom", Opcode::is_atom},
    {"is_pid", Opcode::is_pid},
    {"is_reference", Opcode::is_reference},
    {"is_port", Opcode::is_port},
    {"is_list", Opcode::is_list},
    {"is_tuple", Opcode::is_tuple},
    {"is_binary", Opcode::is_binary},
    {"is_bitstring", Opcode::is_bitstring},
    {"is_boolean", Opcode::is_boolean},
    {"is_map", Opcode::is_map},
    {"is_function", Opcode::is_function},
    {"integer", Opcode::is_integer},
    {"float", Opcode::is_float},
    {"number", Opcode::is_number},
    {"atom", Opcode::is_atom},
    {"pid", Opcode::is_pid},
    {"reference", Opcode::is_reference},
    {"port", Opcode::is_port},
    {"list", Opcode::is_list},
    {"tuple", Opcode::is_tuple},
    {"binary", Opcode::is_binary},
    {"function", Opcode::is_function},
};

}  // namespace

void FnGen::compare(Opcode test, bool swap, const Node* e, uint32_t fail) {
    std::vector<Value> vals = operands({e->kid(0), e->kid(1)});
    Word a = vals[swap ? 1 : 0].op;
    Word b = vals[swap ? 0 : 1].op;
    emit(test, {fail, a, b});
    for (Value v : vals)
        release(v);
}

// Emits code that falls through when `e` is true and jumps to `fail`
// otherwise (when false, not a boolean, or failing).
void FnGen::test(const Node* e, uint32_t fail) {
    if (const Literal* l = c_.constant(e)) {
        if (l->kind != Literal::Kind::Atom || l->text != "true") emit(Opcode::jump, {fail});
        return;
    }
    if (const Comparison* cmp = comparison(e)) {
        compare(cmp->test, cmp->swap, e, fail);
        return;
    }
    if (e->kind == Kind::BinaryOp) {
        if (e->op == token::Kind::KwAndalso || e->op == token::Kind::KwAnd) {
            test(e->kid(0), fail);
            test(e->kid(1), fail);
            return;
        }
        if (e->op == token::Kind::KwOrelse || e->op == token::Kind::KwOr) {
            uint32_t right = new_label();
            uint32_t ok = new_label();
            State entry = st_;
            uint32_t saved = guard_fail_;
            guard_fail_ = right;
            test(e->kid(0), right);
            guard_fail_ = saved;
            RegSet valid = st_.valid;
            emit(Opcode::jump, {ok});
            st_ = entry;
            place(right);
            test(e->kid(1), fail);
            valid.intersect(st_.valid);
            place(ok);
            st_ = entry;
            st_.valid = valid;
            return;
        }
    }
    if (e->kind == Kind::UnaryOp && e->op == token::Kind::KwNot) {
        const Node* inner = e->kid(0);
        if (const Comparison* cmp = comparison(inner)) {
            Comparison neg = negated(*cmp);
            compare(neg.test, neg.swap, inner, fail);
            return;
        }
        if (inner->kind == Kind::Call && test_call(inner, fail, true)) return;
        Value v = expr(inner);
        emit(Opcode::is_eq_exact, {fail, v.op, atom_op("false")});
        release(v);
        return;
    }
    if (e->kind == Kind::Call && test_call(e, fail, false)) return;
    Value v = expr(e);
    emit(Opcode::is_eq_exact, {fail, v.op, atom_op("true")});
    release(v);
}

// A type test or is_record as a test instruction; `negate`: jump to fail
// when the test holds.
bool FnGen::test_call(const Node* e, uint32_t fail, bool negate) {
    CallTarget t = c_.classify_call(e);
    bool erlang = t.kind == CallKind::Bif || t.kind == CallKind::IsRecord ||
                  (t.kind == CallKind::Remote && e->kid(0)->kind == Kind::Atom &&
                   c_.local(t.name, t.arity) == nullptr);
    if (!erlang) return false;
    std::vector<Word> args;
    Opcode op = Opcode::label;
    std::vector<Value> vals;
    if (t.kind == CallKind::IsRecord) {
        const Node* name = e->kid(2);
        size_t size = t.arity == 3 ? static_cast<size_t>(e->kid(3)->int_value)
                                   : c_.record(name->text)->fields.size() + 1;
        vals = operands({e->kid(1)});
        op = Opcode::is_tagged_tuple;
        args = {vals[0].op, size, c_.atom(name->text)};
    } else if (t.arity == 2 && t.name == "is_function") {
        vals = operands({e->kid(1), e->kid(2)});
        op = Opcode::is_function2;
        args = {vals[0].op, vals[1].op};
    } else if (t.arity == 1) {
        for (const TypeTest& tt : kTypeTests)
            if (tt.name == t.name) op = tt.test;
        if (op == Opcode::label) return false;
        vals = operands({e->kid(1)});
        args = {vals[0].op};
    } else {
        return false;
    }
    uint32_t target = fail;
    uint32_t holds = 0;
    if (negate) {
        holds = new_label();
        target = holds;
    }
    args.insert(args.begin(), target);
    emit_vec(op, args);
    for (Value v : vals)
        release(v);
    if (negate) {
        emit(Opcode::jump, {fail});
        place(holds);
    }
    return true;
}

}  // namespace codegen
