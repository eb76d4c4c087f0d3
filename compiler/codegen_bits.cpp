// codegen_bits: the bit syntax. Construction is one bs_create_bin over all
// segments (as OTP 25 does); a binary pattern is a match context
// (bs_start_match) that the segments are read from in order (bs_get_*,
// bs_skip_*, bs_match_string), ending with bs_test_tail 0 unless the last
// segment takes the rest.
//
// A segment's value pattern becomes a binding (a variable), a skip (`_` or
// an unused variable), or a new column of the pattern matrix (a literal,
// compared after the whole binary matched). Variables bound by earlier
// segments can size later ones: a size is evaluated with the row's pending
// bindings made visible, in guard mode (a bad size is a mismatch).
#include <fmt/core.h>

#include "compiler/codegen_internal.h"

namespace codegen {

using bytecode::BsType;
using bytecode::Literal;
using bytecode::OperandKind;

namespace {

struct BitSpec {
    BsType type = BsType::Integer;
    uint64_t unit = 0;  // 0: the type's default
    uint64_t flags = 0;
    bool bits = false;  // bitstring/bits rather than binary/bytes
};

BitSpec bit_spec(const Node* el) {
    BitSpec spec;
    for (size_t i = 2; i < el->num_kids; ++i) {
        const Node* t = el->kid(i);
        std::string_view name = t->text;
        if (name == "integer") {
            spec.type = BsType::Integer;
        } else if (name == "float") {
            spec.type = BsType::Float;
        } else if (name == "binary" || name == "bytes") {
            spec.type = BsType::Binary;
        } else if (name == "bitstring" || name == "bits") {
            spec.type = BsType::Binary;
            spec.bits = true;
        } else if (name == "utf8") {
            spec.type = BsType::Utf8;
        } else if (name == "utf16") {
            spec.type = BsType::Utf16;
        } else if (name == "utf32") {
            spec.type = BsType::Utf32;
        } else if (name == "signed") {
            spec.flags |= bytecode::kBsSigned;
        } else if (name == "unsigned") {
            spec.flags &= ~bytecode::kBsSigned;
        } else if (name == "little") {
            spec.flags = (spec.flags & ~bytecode::kBsNative) | bytecode::kBsLittle;
        } else if (name == "big") {
            spec.flags &= ~(bytecode::kBsLittle | bytecode::kBsNative);
        } else if (name == "native") {
            spec.flags = (spec.flags & ~bytecode::kBsLittle) | bytecode::kBsNative;
        } else if (name == "unit") {
            spec.unit = static_cast<uint64_t>(t->int_value);
        }
    }
    return spec;
}

bool is_utf(BsType t) {
    return t == BsType::Utf8 || t == BsType::Utf16 || t == BsType::Utf32;
}

uint64_t flags_of(const BitSpec& spec) {
    uint64_t unit = spec.unit;
    if (unit == 0) unit = spec.type == BsType::Binary && !spec.bits ? 8 : 1;
    if (is_utf(spec.type)) unit = 0;
    return bytecode::bs_flags(unit, spec.flags);
}

// The code points of a string literal (the lexer's UTF-8).
std::vector<uint32_t> code_points(std::string_view s) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < s.size();) {
        auto b = static_cast<uint8_t>(s[i]);
        size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        uint32_t cp = n == 1 ? b : b & (0x7F >> n);
        for (size_t k = 1; k < n && i + k < s.size(); ++k)
            cp = cp << 6 | (static_cast<uint8_t>(s[i + k]) & 0x3F);
        out.push_back(cp);
        i += n;
    }
    return out;
}

// A string segment with no size and no type is its bytes (code points
// truncated to 8 bits), a binary literal.
bool plain_string(const Node* el) {
    return el->kid(0)->kind == Kind::String && el->kid(1) == nullptr && el->num_kids <= 2;
}

// One segment as the code generator sees it: string segments with a type
// or size are split into one segment per character.
struct BitSegment {
    const Node* value;
    const Node* size;  // null: the default
    BitSpec spec;
    const Node* el;
};

std::vector<BitSegment> bit_segments(Compiler& c, const Node* bin) {
    std::vector<BitSegment> out;
    for (const Node* el : bin->children()) {
        BitSpec spec = bit_spec(el);
        if (el->kid(0)->kind == Kind::String && !plain_string(el)) {
            for (uint32_t cp : code_points(el->kid(0)->text)) {
                Node* ch = c.synth(Kind::Char, el->kid(0));
                ch->int_value = cp;
                out.push_back({ch, el->kid(1), spec, el});
            }
            continue;
        }
        out.push_back({el->kid(0), el->kid(1), spec, el});
    }
    return out;
}

Word default_size(Compiler& c, const BitSegment& s) {
    switch (s.spec.type) {
        case BsType::Integer:
            return bytecode::integer(8);
        case BsType::Float:
            return bytecode::integer(64);
        case BsType::Binary:
            return c.atom_op("all");
        default:
            return bytecode::operand(OperandKind::Nil, 0);
    }
}

// The bytes of a plain string segment, as a binary literal.
Literal string_literal(const Node* value) {
    Literal lit;
    lit.kind = Literal::Kind::Binary;
    for (uint32_t cp : code_points(value->text))
        lit.text += static_cast<char>(cp & 0xFF);
    return lit;
}

}  // namespace

// ---- construction ----------------------------------------------------------------------

Value FnGen::binary_expr(const Node* e) {
    std::vector<BitSegment> segs = bit_segments(c_, e);
    std::vector<const Node*> kids;
    for (const BitSegment& s : segs) {
        if (!plain_string(s.el)) kids.push_back(s.value);
        if (s.size != nullptr) kids.push_back(s.size);
    }
    std::vector<Value> vals = operands(kids);
    if (guard_fail_ == 0) line_at(e);
    uint32_t n = live();
    for (Value v : vals)
        release(v);
    Value dst = temp_x();
    std::vector<Word> args{guard_fail_, n, dst.op, segs.size()};
    size_t k = 0;
    for (const BitSegment& s : segs) {
        if (plain_string(s.el)) {
            args.insert(args.end(), {static_cast<Word>(BsType::Binary), bytecode::bs_flags(8, 0),
                                     c_.literal_op(string_literal(s.value)), atom_op("all")});
            continue;
        }
        Word value = vals[k++].op;
        Word size = s.size != nullptr ? vals[k++].op : default_size(c_, s);
        args.insert(args.end(), {static_cast<Word>(s.spec.type), flags_of(s.spec), value, size});
    }
    emit_vec(Opcode::bs_create_bin, args);
    after_gc(n);
    st_.valid.add(reg_index(dst.op));
    return dst;
}

// ---- matching ----------------------------------------------------------------------------

// A size in a pattern: the row's pending bindings (earlier segments, other
// columns, head arguments) are visible while it is evaluated. In a function
// head the row's scope is not yet the current one: it is set up here (with
// a lambda's free variables) for the evaluation only.
Value FnGen::pattern_size(const Row& row, const Node* size, uint32_t fail) {
    Scope* saved_scope = scope_;
    std::vector<Word> saved_loc = st_.loc;
    if (scope_ != row.scope) {
        scope_ = const_cast<Scope*>(row.scope);
        st_.loc.assign(scope_->vars.size(), kNone);
        const FunctionJob& job = c_.jobs()[job_];
        uint32_t own = job.arity - static_cast<uint32_t>(job.free.size());
        for (size_t i = 0; i < job.free.size(); ++i) {
            int32_t id = scope_->id(job.free[i]);
            if (id >= 0) st_.loc[static_cast<size_t>(id)] = bytecode::x_reg(own + i);
        }
    }
    for (auto [var, where] : row.binds) {
        int32_t id = scope_->id(var->text);
        if (id >= 0 && where != kNone && st_.loc[static_cast<size_t>(id)] == kNone)
            st_.loc[static_cast<size_t>(id)] = where;
    }
    uint32_t saved_fail = guard_fail_;
    guard_fail_ = fail;
    Value v = expr(size);
    guard_fail_ = saved_fail;
    scope_ = saved_scope;
    st_.loc = std::move(saved_loc);
    return v;
}

// A row whose pattern at `col` is a binary: one row (a binary is tested on
// its own, like a map). Jumps to `next` when it does not match.
std::optional<Matrix> FnGen::bin_pattern(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                         uint32_t next, uint32_t fail, Leaf& leaf) {
    Row& row = rows[0];
    const Node* p = row.pats[col];
    Word occ = cols[col];
    uint32_t n = live();
    Value ctx = temp_x();
    emit(Opcode::bs_start_match, {next, n, occ, ctx.op});
    after_gc(n);
    st_.valid.add(reg_index(ctx.op));
    std::vector<Word> parts;
    std::vector<const Node*> subs;
    std::vector<BitSegment> segs = bit_segments(c_, p);
    bool tail_taken = false;
    for (size_t i = 0; i < segs.size(); ++i) {
        const BitSegment& s = segs[i];
        if (plain_string(s.el)) {
            emit(Opcode::bs_match_string, {next, ctx.op, c_.literal(string_literal(s.value))});
            continue;
        }
        Value size{default_size(c_, s), false};
        if (s.size != nullptr) size = pattern_size(row, s.size, next);
        if (s.spec.type == BsType::Binary && s.size == nullptr) tail_taken = true;
        Word flags = flags_of(s.spec);
        bool needed = pattern_needed(s.value, row.scope);
        if (is_utf(s.spec.type)) {
            if (!needed) {
                emit(Opcode::bs_skip_utf, {next, ctx.op, static_cast<Word>(s.spec.type), flags});
                continue;
            }
            Value dst = temp_x();
            emit(Opcode::bs_get_utf, {next, ctx.op, static_cast<Word>(s.spec.type), flags, dst.op});
            parts.push_back(dst.op);
            subs.push_back(s.value);
            continue;
        }
        if (!needed) {
            emit(Opcode::bs_skip_bits, {next, ctx.op, size.op, flags});
            release(size);
            continue;
        }
        if (c_.is_context_tail(s.value)) {  // Rest is the context itself
            release(size);
            Value dst = temp_x();
            emit(Opcode::bs_get_tail, {next, ctx.op, flags, dst.op});
            st_.valid.add(reg_index(dst.op));
            row.binds.emplace_back(s.value, dst.op);
            parts.push_back(dst.op);
            subs.push_back(nullptr);
            continue;
        }
        static constexpr Opcode kGets[] = {Opcode::bs_get_integer, Opcode::bs_get_float,
                                           Opcode::bs_get_binary};
        uint32_t live_now = live();
        release(size);
        Value dst = temp_x();
        emit(kGets[static_cast<size_t>(s.spec.type)],
             {next, ctx.op, live_now, size.op, flags, dst.op});
        after_gc(live_now);
        st_.valid.add(reg_index(dst.op));
        st_.valid.add(reg_index(ctx.op));
        if (s.value->kind == Kind::Var) {
            row.binds.emplace_back(s.value, dst.op);  // visible to later sizes
            parts.push_back(dst.op);
            subs.push_back(nullptr);
        } else {
            parts.push_back(dst.op);
            subs.push_back(s.value);
        }
    }
    if (!tail_taken) emit(Opcode::bs_test_tail, {next, ctx.op, 0});
    release(ctx);
    cols.erase(cols.begin() + static_cast<ptrdiff_t>(col));
    cols.insert(cols.begin() + static_cast<ptrdiff_t>(col), parts.begin(), parts.end());
    row.pats.erase(row.pats.begin() + static_cast<ptrdiff_t>(col));
    row.pats.insert(row.pats.begin() + static_cast<ptrdiff_t>(col), subs.begin(), subs.end());
    return Matrix{std::move(rows), std::move(cols), fail};
}

// ---- match-context reuse ---------------------------------------------------------------

namespace {

// How many times variable `name` occurs anywhere under `n` (bindings and
// uses, in funs and comprehensions too). Iterative.
size_t occurrences(const Node* n, std::string_view name) {
    size_t count = 0;
    std::vector<const Node*> stack{n};
    while (!stack.empty()) {
        const Node* at = stack.back();
        stack.pop_back();
        if (at == nullptr) continue;
        if (at->kind == Kind::Var && at->text == name) ++count;
        for (const Node* k : at->children())
            stack.push_back(k);
    }
    return count;
}

// The variable of a pattern's last segment when it takes the rest of the
// binary (`Rest/binary`, `Rest/bits`, no size), else null.
const Node* tail_variable(const Node* pattern) {
    if (pattern->num_kids == 0) return nullptr;
    const Node* el = pattern->kid(pattern->num_kids - 1);
    const Node* v = el->kid(0);
    if (v->kind != Kind::Var || v->text == "_" || el->kid(1) != nullptr) return nullptr;
    BitSpec spec = bit_spec(el);
    return spec.type == BsType::Binary ? v : nullptr;
}

}  // namespace

// Argument `arg` of `job` may be a match context: every clause matches it
// with a binary pattern or ignores it (`_`), so nothing but bs_start_match
// ever sees it. Only module functions (not funs or comprehension helpers).
bool Compiler::takes_context(const FunctionJob& job, size_t arg) const {
    if (job.lambda >= 0 || !job.free.empty() || job.clauses.empty()) return false;
    for (const Node* clause : job.clauses) {
        const Node* p = clause_patterns(clause)->kid(arg);
        if (p == nullptr) return false;
        if (p->kind != Kind::Binary && !(p->kind == Kind::Var && p->text == "_")) return false;
    }
    return true;
}

// Finds the clauses `f(<<..., Rest/binary>>, ...) -> ..., g(..., Rest, ...)`
// where Rest occurs nowhere else and g takes a context there: Rest is then
// the match context itself, not a new sub-binary (OTP's compiler does the
// same; a loop over a binary then allocates nothing per step).
void Compiler::plan_context_reuse() {
    for (const FunctionJob& job : jobs_) {
        if (job.lambda >= 0 || !job.free.empty()) continue;
        for (const Node* clause : job.clauses) {
            const Node* body = clause_body(clause);
            if (body == nullptr || body->num_kids == 0) continue;
            const Node* last = body->kid(body->num_kids - 1);
            if (last->kind != Kind::Call || last->kid(0)->kind != Kind::Atom) continue;
            if (classify_call(last).kind != CallKind::Local) continue;
            const FunctionJob* callee = local(last->kid(0)->text, last->num_kids - 1);
            if (callee == nullptr) continue;
            for (const Node* p : clause_patterns(clause)->children()) {
                if (p == nullptr || p->kind != Kind::Binary) continue;
                const Node* rest = tail_variable(p);
                if (rest == nullptr || occurrences(clause, rest->text) != 2) continue;
                for (size_t k = 1; k < last->num_kids; ++k) {
                    const Node* a = last->kid(k);
                    if (a->kind != Kind::Var || a->text != rest->text) continue;
                    if (!takes_context(*callee, k - 1)) break;
                    context_tails_.insert(rest);
                    context_args_.insert(a);
                    for (const Node* c : callee->clauses) {
                        const Node* q = clause_patterns(c)->kid(k - 1);
                        if (q->kind == Kind::Binary) context_patterns_.insert(q);
                    }
                    break;
                }
            }
        }
    }
}

}  // namespace codegen
