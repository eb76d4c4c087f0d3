// codegen_expr: expressions that compute a value: variables, operands,
// term construction (one test_heap per constructor tree), calls and BIFs,
// funs, maps and records, and tail positions (call_only / call_last /
// return).
//
// Operand lists (arguments, elements, BIF operands) are evaluated complex
// operands first, in order, then the plain variables: a variable is read
// just before the instruction that consumes it. A temporary that must
// survive a later operand's call is spilled to a Y slot first (operands()).
#include <algorithm>

#include <fmt/core.h>

#include "compiler/codegen_internal.h"

namespace codegen {

using bytecode::Literal;
using bytecode::OperandKind;

namespace {

Word nil_op() {
    return bytecode::operand(OperandKind::Nil, 0);
}

bool is_constructor(Compiler& c, const Node* n) {
    return (n->kind == Kind::Tuple || n->kind == Kind::Cons || n->kind == Kind::Record) &&
           c.constant(n) == nullptr;
}

std::string_view op_name(token::Kind op) {
    return token::spelling(op);
}

}  // namespace

// ---- expressions --------------------------------------------------------------------

Value FnGen::expr(const Node* e) {
    if (const Literal* l = c_.constant(e)) return {c_.literal_op(*l), false};
    switch (e->kind) {
        case Kind::Var:
            return var_value(e);
        case Kind::Tuple:
        case Kind::Cons:
        case Kind::Record:
            return construct(e);
        case Kind::Map:
            return map_expr(e);
        case Kind::MapUpdate:
            return map_update(e);
        case Kind::RecordUpdate:
            return record_update(e);
        case Kind::RecordAccess:
            return record_access(e);
        case Kind::RecordIndex: {
            const RecordInfo* info = c_.record(e->text);
            int32_t i = info != nullptr ? info->index(e->name2) : -1;
            return {bytecode::integer(i + 2), false};
        }
        case Kind::Match:
            return match_expr(e);
        case Kind::BinaryOp:
            return binary_op(e, false);
        case Kind::UnaryOp:
            return unary_op(e);
        case Kind::Call:
            return call(e, false);
        case Kind::FunRef:
            return fun_ref(e, false);
        case Kind::Fun:
            return make_fun(e);
        case Kind::ListComp:
        case Kind::BinComp:
            return expr(c_.lower_comprehension(e, {}, c_.jobs()[job_].file));
        case Kind::Case:
            return case_expr(e, false);
        case Kind::If:
            return if_expr(e, false);
        case Kind::Receive:
            return receive_expr(e, false);
        case Kind::Try:
            return try_expr(e, false);
        case Kind::Catch:
            return catch_expr(e);
        case Kind::Block:
            return body(e, false);
        case Kind::Binary:
            return binary_expr(e);
        default:
            c_.error(e, fmt::format("cannot compile {} here", ast::kind_name(e->kind)));
            return {nil_op(), false};
    }
}

// Compiles `e` in tail position: the function returns its value (a call
// becomes a tail call).
void FnGen::tail(const Node* e) {
    if (c_.constant(e) == nullptr) {
        switch (e->kind) {
            case Kind::Call:
                if (scope_->tail_calls.count(e)) {
                    call(e, true);
                    return;
                }
                break;
            case Kind::BinaryOp:
                if (scope_->tail_calls.count(e)) {
                    binary_op(e, true);
                    return;
                }
                if (e->op == token::Kind::KwAndalso || e->op == token::Kind::KwOrelse) {
                    andalso_expr(e, true);
                    return;
                }
                break;
            case Kind::FunRef:
                if (scope_->tail_calls.count(e)) {
                    fun_ref(e, true);
                    return;
                }
                break;
            case Kind::Case:
                case_expr(e, true);
                return;
            case Kind::If:
                if_expr(e, true);
                return;
            case Kind::Receive:
                receive_expr(e, true);
                return;
            case Kind::Block:
                body(e, true);
                return;
            case Kind::Try:
                if (e->kid(3) == nullptr) {  // as the scan decided (try_)
                    try_expr(e, true);
                    return;
                }
                break;
            case Kind::ListComp:
                tail(c_.lower_comprehension(e, {}, ""));
                return;
            default:
                break;
        }
    }
    ret(expr(e));
}

void FnGen::ret(Value v) {
    move_into(v, bytecode::x_reg(0));
    if (frame_) {
        emit(Opcode::deallocate, {frame_word()});
    }
    emit(Opcode::return_, {});
}

Value FnGen::body(const Node* b, bool is_tail) {
    size_t n = b->num_kids;
    std::vector<std::pair<size_t, uint32_t>> marks = ref_receives(b);
    for (size_t i = 0; i + 1 < n; ++i) {
        for (auto [index, label] : marks) {
            if (index != i) continue;
            place(label);  // the mark's own position names it
            emit(Opcode::recv_mark, {label});
        }
        release(expr(b->kid(i)));
    }
    if (n == 0) return {atom_op("ok"), false};
    if (is_tail) {
        tail(b->kid(n - 1));
        return {};
    }
    return expr(b->kid(n - 1));
}

// A variable's value. At its last use (in evaluation order) an X register
// passes to the consumer, which frees it once the consuming instruction is
// emitted. Not in guards: a failing guard may still need the register.
Value FnGen::var_value(const Node* v) {
    int32_t id = scope_->id(v->text);
    Word loc = id < 0 ? kNone : st_.loc[static_cast<size_t>(id)];
    if (loc == kNone) {
        c_.error(v, fmt::format("internal: variable '{}' has no location", v->text));
        return {nil_op(), false};
    }
    const VarInfo& info = scope_->vars[static_cast<size_t>(id)];
    if (guard_fail_ == 0 && info.last_use_node == v && is_x(loc) &&
        !var_in_other(static_cast<uint32_t>(id), loc)) {
        st_.loc[static_cast<size_t>(id)] = kNone;
        return {loc, true};
    }
    return {loc, false};
}

std::vector<Value> FnGen::operands(const std::vector<const Node*>& kids) {
    std::vector<Value> vals(kids.size());
    std::vector<size_t> complex;
    for (size_t i = 0; i < kids.size(); ++i)
        if (kids[i]->kind != Kind::Var && c_.constant(kids[i]) == nullptr) complex.push_back(i);
    for (size_t ci = 0; ci < complex.size(); ++ci) {
        size_t i = complex[ci];
        if (ci > 0 && scope_->clobbering.count(kids[i])) {
            for (size_t cj = 0; cj < ci; ++cj) {
                Value& done = vals[complex[cj]];
                if (!is_x(done.op)) continue;
                uint32_t y = alloc_y_temp();
                emit(Opcode::move, {done.op, bytecode::y_reg(y)});
                release(done);
                done = {bytecode::y_reg(y), true};
            }
        }
        vals[i] = expr(kids[i]);
    }
    for (size_t i = 0; i < kids.size(); ++i)
        if (vals[i].op == kNone) vals[i] = expr(kids[i]);
    return vals;
}

// ---- construction ----------------------------------------------------------------------

namespace {

void constructor_leaves(Compiler& c, const Node* n, std::vector<const Node*>& leaves) {
    if (!is_constructor(c, n)) {
        leaves.push_back(n);
        return;
    }
    if (n->kind == Kind::Record) n = c.lower_record(n, false);
    for (const Node* k : n->children())
        constructor_leaves(c, k, leaves);
}

uint64_t constructor_words(Compiler& c, const Node* n) {
    if (!is_constructor(c, n)) return 0;
    if (n->kind == Kind::Record) n = c.lower_record(n, false);
    uint64_t words = n->kind == Kind::Cons ? 2 : n->num_kids + 1;
    for (const Node* k : n->children())
        words += constructor_words(c, k);
    return words;
}

}  // namespace

// A tree of tuples and conses: leaves first, then one test_heap for the
// whole tree, then the puts, innermost first.
Value FnGen::construct(const Node* e) {
    std::vector<const Node*> leaves;
    constructor_leaves(c_, e, leaves);
    std::vector<Value> vals = operands(leaves);
    uint32_t n = live();
    emit(Opcode::test_heap, {constructor_words(c_, e), n});
    after_gc(n);
    size_t cursor = 0;
    // Values built or read but not yet put into their parent. A variable
    // used twice ([K, K]) owns its register at its last use in evaluation
    // order, which an inner put may consume before an outer one reads the
    // first use: the register then passes to the pending use instead of
    // being freed (and reused as the inner put's destination).
    std::vector<Value> pending;
    auto build = [&](auto& self, const Node* node) -> Value {
        if (!is_constructor(c_, node)) return vals[cursor++];
        if (node->kind == Kind::Record) node = c_.lower_record(node, false);
        size_t base = pending.size();
        for (const Node* k : node->children())
            pending.push_back(self(self, k));
        std::vector<Value> kids(pending.begin() + static_cast<std::ptrdiff_t>(base), pending.end());
        pending.resize(base);
        for (Value v : kids) {
            auto same = [&](const Value& p) { return p.op == v.op; };
            auto other = std::find_if(pending.begin(), pending.end(), same);
            if (v.temp && is_x(v.op) && other != pending.end()) {
                other->temp = true;
            } else {
                release(v);
            }
        }
        Value dst = temp_x();
        if (node->kind == Kind::Cons) {
            emit(Opcode::put_list, {kids[0].op, kids[1].op, dst.op});
        } else {
            std::vector<Word> args{dst.op, kids.size()};
            for (Value v : kids)
                args.push_back(v.op);
            emit_vec(Opcode::put_tuple2, args);
        }
        return dst;
    };
    return build(build, e);
}

// ---- calls ------------------------------------------------------------------------------

Value FnGen::call(const Node* e, bool is_tail) {
    CallTarget t = c_.classify_call(e);
    std::vector<const Node*> args(e->children().begin() + 1, e->children().end());
    switch (t.kind) {
        case CallKind::Bif:
        case CallKind::GcBif:
            return bif_call(t.kind == CallKind::Bif ? Opcode::bif1 : Opcode::gc_bif1, e, t.name,
                            args);
        case CallKind::IsRecord:
            return bool_from_test(e);
        case CallKind::FloatBif: {
            // math:sqrt/1 alone: the BIF as an instruction, not a call
            // (inside a float expression it is fsqrt: codegen_float.cpp)
            Value arg = expr(e->kid(1));
            Word import = import_op("math", "sqrt", 1);
            line_at(e);
            uint32_t n = live();
            release(arg);
            Value dst = temp_x();
            emit(Opcode::gc_bif1, {0, n, import, arg.op, dst.op});
            after_gc(n);
            st_.valid.add(reg_index(dst.op));
            return dst;
        }
        default:
            break;
    }
    uint32_t arity = static_cast<uint32_t>(args.size());
    if (t.kind == CallKind::Fun) args.push_back(e->kid(0));
    if (t.kind == CallKind::DynRemote) {
        args.push_back(e->kid(0)->kid(0));
        args.push_back(e->kid(0)->kid(1));
    }
    std::vector<Value> vals = operands(args);
    std::vector<std::pair<Word, Word>> moves;
    for (size_t i = 0; i < vals.size(); ++i)
        moves.emplace_back(vals[i].op, bytecode::x_reg(i));
    for (Value v : vals)
        release(v);
    parallel_move(std::move(moves));
    for (size_t i = 0; i < vals.size(); ++i)
        st_.used.add(static_cast<uint32_t>(i));
    if (t.kind == CallKind::Local) {
        for (size_t i = 0; i < arity; ++i) {
            if (c_.is_context_arg(args[i])) emit(Opcode::bs_commit_tail, {i});
        }
    }
    line_at(e);
    Word target = 0;
    if (t.kind == CallKind::Local) {
        target = c_.local(t.name, arity)->entry_label;
    } else if (t.kind == CallKind::Remote) {
        target = import_op(t.module, t.name, arity);
    }
    if (is_tail) {
        switch (t.kind) {
            case CallKind::Local:
                if (frame_) {
                    emit(Opcode::call_last, {arity, target, frame_word()});
                } else {
                    emit(Opcode::call_only, {arity, target});
                }
                break;
            case CallKind::Remote:
                if (frame_) {
                    emit(Opcode::call_ext_last, {arity, target, frame_word()});
                } else {
                    emit(Opcode::call_ext_only, {arity, target});
                }
                break;
            case CallKind::Fun:
                emit(Opcode::call_fun_last, {arity, frame_word()});
                break;
            default:
                emit(Opcode::apply_last, {arity, frame_word()});
                break;
        }
        return {};
    }
    switch (t.kind) {
        case CallKind::Local:
            emit(Opcode::call, {arity, target});
            break;
        case CallKind::Remote:
            emit(Opcode::call_ext, {arity, target});
            break;
        case CallKind::Fun:
            emit(Opcode::call_fun, {arity});
            break;
        default:
            emit(Opcode::apply, {arity});
            break;
    }
    after_call();
    return {bytecode::x_reg(0), true};
}

// A guard BIF or operator as an instruction. In a guard it jumps to the
// guard's fail label instead of raising.
Value FnGen::bif_call(Opcode op, const Node* at, std::string_view name,
                      const std::vector<const Node*>& args) {
    std::vector<Value> vals = operands(args);
    uint32_t arity = static_cast<uint32_t>(args.size());
    Word import = import_op("erlang", name, arity);
    Word fail = guard_fail_;
    if (fail == 0) line_at(at);
    bool gc = op == Opcode::gc_bif1;
    uint32_t n = gc ? live() : 0;
    for (Value v : vals)
        release(v);
    Value dst = temp_x();
    if (gc) {
        static constexpr Opcode gc_ops[] = {Opcode::gc_bif1, Opcode::gc_bif1, Opcode::gc_bif2,
                                            Opcode::gc_bif3};
        std::vector<Word> words{fail, n, import};
        for (Value v : vals)
            words.push_back(v.op);
        words.push_back(dst.op);
        emit_vec(gc_ops[std::min<uint32_t>(arity, 3)], words);
        after_gc(n);
        st_.valid.add(reg_index(dst.op));
        return dst;
    }
    if (arity == 0) {
        emit(Opcode::bif0, {import, dst.op});
    } else if (arity == 1) {
        emit(Opcode::bif1, {fail, import, vals[0].op, dst.op});
    } else {
        emit(Opcode::bif2, {fail, import, vals[0].op, vals[1].op, dst.op});
    }
    return dst;
}

Value FnGen::binary_op(const Node* e, bool is_tail) {
    token::Kind op = e->op;
    if (op == token::Kind::KwAndalso || op == token::Kind::KwOrelse)
        return andalso_expr(e, is_tail);
    std::vector<const Node*> args{e->kid(0), e->kid(1)};
    if (op == token::Kind::Bang) {
        std::vector<Value> vals = operands(args);
        for (Value v : vals)
            release(v);
        parallel_move({{vals[0].op, bytecode::x_reg(0)}, {vals[1].op, bytecode::x_reg(1)}});
        line_at(e);
        emit(Opcode::send, {});
        after_call();
        return {bytecode::x_reg(0), true};
    }
    if (op == token::Kind::PlusPlus || op == token::Kind::MinusMinus) {
        std::vector<Value> vals = operands(args);
        for (Value v : vals)
            release(v);
        parallel_move({{vals[0].op, bytecode::x_reg(0)}, {vals[1].op, bytecode::x_reg(1)}});
        line_at(e);
        Word import = import_op("erlang", op_name(op), 2);
        if (is_tail) {
            if (frame_) {
                emit(Opcode::call_ext_last, {2, import, frame_word()});
            } else {
                emit(Opcode::call_ext_only, {2, import});
            }
            return {};
        }
        emit(Opcode::call_ext, {2, import});
        after_call();
        return {bytecode::x_reg(0), true};
    }
    if (float_root(e)) return float_expr(e);
    if (spec_root(e)) return float_spec(e);
    std::string_view name = op_name(op);
    bool gc = op == token::Kind::Plus || op == token::Kind::Minus || op == token::Kind::Star ||
              op == token::Kind::Slash || op == token::Kind::KwDiv || op == token::Kind::KwRem ||
              op == token::Kind::KwBand || op == token::Kind::KwBor || op == token::Kind::KwBxor ||
              op == token::Kind::KwBsl || op == token::Kind::KwBsr;
    return bif_call(gc ? Opcode::gc_bif1 : Opcode::bif1, e, name, args);
}

Value FnGen::unary_op(const Node* e) {
    if (float_root(e)) return float_expr(e);
    std::vector<const Node*> args{e->kid(0)};
    switch (e->op) {
        case token::Kind::Minus:
            return bif_call(Opcode::gc_bif1, e, "-", args);
        case token::Kind::KwBnot:
            return bif_call(Opcode::gc_bif1, e, "bnot", args);
        case token::Kind::Plus:
            return bif_call(Opcode::bif1, e, "+", args);
        default:
            return bif_call(Opcode::bif1, e, "not", args);
    }
}

// ---- funs ------------------------------------------------------------------------------

Value FnGen::make_fun(const Node* e) {
    const FunLowering& f = c_.lower_fun(e, {}, "");
    std::vector<Word> free;
    for (std::string_view name : f.free) {
        Word loc = var_loc(name);
        free.push_back(loc == kNone ? nil_op() : loc);
    }
    uint32_t n = live();
    emit(Opcode::test_heap, {2 + free.size(), n});
    after_gc(n);
    Value dst = temp_x();
    std::vector<Word> args{f.lambda, dst.op, free.size()};
    args.insert(args.end(), free.begin(), free.end());
    emit_vec(Opcode::make_fun, args);
    return dst;
}

// fun f/A is a closure without free variables; fun M:F/A is made by
// erlang:make_fun/3.
Value FnGen::fun_ref(const Node* e, bool is_tail) {
    if (e->num_kids == 0) {
        uint32_t lambda = c_.local_fun_lambda(e);
        uint32_t n = live();
        emit(Opcode::test_heap, {2, n});
        after_gc(n);
        Value dst = temp_x();
        emit(Opcode::make_fun, {lambda, dst.op, 0});
        return dst;
    }
    std::vector<Value> vals = operands({e->kid(0), e->kid(1), e->kid(2)});
    for (Value v : vals)
        release(v);
    parallel_move({{vals[0].op, bytecode::x_reg(0)},
                   {vals[1].op, bytecode::x_reg(1)},
                   {vals[2].op, bytecode::x_reg(2)}});
    Word import = import_op("erlang", "make_fun", 3);
    if (is_tail) {
        if (frame_) {
            emit(Opcode::call_ext_last, {3, import, frame_word()});
        } else {
            emit(Opcode::call_ext_only, {3, import});
        }
        return {};
    }
    emit(Opcode::call_ext, {3, import});
    after_call();
    return {bytecode::x_reg(0), true};
}

// ---- maps ------------------------------------------------------------------------------

Value FnGen::map_expr(const Node* e) {
    std::vector<const Node*> kids;
    for (const Node* f : e->children()) {
        kids.push_back(f->kid(0));
        kids.push_back(f->kid(1));
    }
    std::vector<Value> vals = operands(kids);
    Literal empty;
    empty.kind = Literal::Kind::Map;
    uint32_t n = live();
    for (Value v : vals)
        release(v);
    Value dst = temp_x();
    std::vector<Word> args{guard_fail_, c_.literal_op(empty), dst.op, n, vals.size() / 2};
    for (Value v : vals)
        args.push_back(v.op);
    emit_vec(Opcode::put_map_assoc, args);
    after_gc(n);
    st_.valid.add(reg_index(dst.op));
    return dst;
}

// M#{K => V, K2 := V2}: one put_map_assoc / put_map_exact per run of fields
// of the same kind.
Value FnGen::map_update(const Node* e) {
    std::vector<const Node*> kids{e->kid(0)};
    for (size_t i = 1; i < e->num_kids; ++i) {
        kids.push_back(e->kid(i)->kid(0));
        kids.push_back(e->kid(i)->kid(1));
    }
    std::vector<Value> vals = operands(kids);
    Value cur = vals[0];
    if (e->num_kids == 1) {
        // M#{} changes nothing but must still be a map: {badmap, M} (or a
        // failed guard) otherwise, as OTP's code.
        if (guard_fail_ == 0) line_at(e);
        uint32_t n = live();
        release(cur);
        Value dst = temp_x();
        emit_vec(Opcode::put_map_assoc, {guard_fail_, cur.op, dst.op, n, 0});
        after_gc(n);
        st_.valid.add(reg_index(dst.op));
        return dst;
    }
    size_t i = 1;
    while (i < e->num_kids) {
        token::Kind kind = e->kid(i)->op;
        size_t j = i;
        while (j < e->num_kids && e->kid(j)->op == kind)
            ++j;
        if (guard_fail_ == 0) line_at(e);
        uint32_t n = live();
        release(cur);
        bool last = j == e->num_kids;
        if (last)
            for (size_t k = 1; k < vals.size(); ++k)
                release(vals[k]);
        Value dst = temp_x();
        std::vector<Word> args{guard_fail_, cur.op, dst.op, n, j - i};
        for (size_t k = i; k < j; ++k) {
            args.push_back(vals[2 * k - 1].op);
            args.push_back(vals[2 * k].op);
        }
        emit_vec(kind == token::Kind::ColonEq ? Opcode::put_map_exact : Opcode::put_map_assoc,
                 args);
        after_gc(n);
        st_.valid.add(reg_index(dst.op));
        cur = dst;
        i = j;
    }
    return cur;
}

// ---- records ------------------------------------------------------------------------------

// Where a failed check jumps: the guard's fail label, or a shared block at
// the end of the function that raises.
uint32_t FnGen::fail_or_guard(Opcode op, Word operand, const Node* at) {
    return guard_fail_ != 0 ? guard_fail_ : fail_block(op, operand, at);
}

uint32_t FnGen::fail_block(Opcode op, Word operand, const Node* at) {
    uint32_t line = at ? at->pos.line : 0;
    auto key = std::make_tuple(static_cast<uint16_t>(op), operand, line);
    if (auto it = fail_blocks_.find(key); it != fail_blocks_.end()) return it->second;
    uint32_t label = new_label();
    fail_blocks_[key] = label;
    pending_fails_.push_back({label, op, operand, line});
    return label;
}

Value FnGen::record_access(const Node* e) {
    const RecordInfo* info = c_.record(e->text);
    std::vector<Value> vals = operands({e->kid(0)});
    Value rec = vals[0];
    if (info == nullptr) return rec;
    // OTP 25 raises {badrecord, Value}: the term that is not an r.
    uint32_t fail = fail_or_guard(Opcode::badrecord, rec.op, e);
    emit(Opcode::is_tagged_tuple, {fail, rec.op, info->fields.size() + 1, c_.atom(e->text)});
    release(rec);
    Value dst = temp_x();
    emit(Opcode::get_tuple_element, {rec.op, static_cast<Word>(info->index(e->name2) + 1), dst.op});
    return dst;
}

// R#r{f = V}: check that R is an r, then build the new tuple from R's
// untouched elements and the new values.
Value FnGen::record_update(const Node* e) {
    const RecordInfo* info = c_.record(e->text);
    std::vector<const Node*> kids{e->kid(0)};
    for (size_t i = 1; i < e->num_kids; ++i)
        kids.push_back(e->kid(i)->kid(0));
    std::vector<Value> vals = operands(kids);
    Value rec = vals[0];
    if (info == nullptr) return rec;
    size_t size = info->fields.size() + 1;
    line_at(e);
    uint32_t fail = fail_or_guard(Opcode::badrecord, rec.op, e);
    emit(Opcode::is_tagged_tuple, {fail, rec.op, size, c_.atom(e->text)});
    std::vector<Value> elements(size);
    elements[0] = {atom_op(e->text), false};
    for (size_t i = 1; i < e->num_kids; ++i) {
        int32_t f = info->index(e->kid(i)->text);
        if (f >= 0) elements[static_cast<size_t>(f) + 1] = vals[i];
    }
    for (size_t i = 1; i < size; ++i) {
        if (elements[i].op != kNone) continue;
        elements[i] = temp_x();
        emit(Opcode::get_tuple_element, {rec.op, i, elements[i].op});
    }
    uint32_t n = live();
    emit(Opcode::test_heap, {size + 1, n});
    after_gc(n);
    release(rec);
    for (Value v : elements)
        release(v);
    for (size_t i = 1; i < vals.size(); ++i)
        release(vals[i]);
    Value dst = temp_x();
    std::vector<Word> args{dst.op, size};
    for (Value v : elements)
        args.push_back(v.op);
    emit_vec(Opcode::put_tuple2, args);
    return dst;
}

// erlang:error(Reason) (never returns).
Value FnGen::raise_error(const Node* at, Value reason, bool is_tail) {
    release(reason);
    move_into(reason, bytecode::x_reg(0));
    line_at(at);
    emit(Opcode::call_ext_only, {1, import_op("erlang", "error", 1)});
    return {};
}

Value FnGen::error_tuple(std::string_view tag, Value v, const Node* at) {
    uint32_t n = live();
    emit(Opcode::test_heap, {3, n});
    after_gc(n);
    release(v);
    Value dst = temp_x();
    emit(Opcode::put_tuple2, {dst.op, 2, atom_op(tag), v.op});
    return dst;
}

}  // namespace codegen
