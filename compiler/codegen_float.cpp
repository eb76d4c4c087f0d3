// codegen_float: float arithmetic in float registers, as the BEAM does it.
//
// An arithmetic expression known to give a float (a float literal, '/',
// float/1, math:sqrt/1, a variable bound once to such an expression, or
// + - * with such an operand) is computed in the float registers FR[] of
// bytecode.h, and only its result is boxed:
//
//   Mag = Dt / (D2 * math:sqrt(D2))      fconv 0, Dt, fr0
//                                        fconv 0, D2, fr1
//                                        fsqrt math:sqrt/1, D2, fr2
//                                        fmul 0, fr1, fr2, fr1
//                                        fdiv 0, fr0, fr1, fr0
//                                        fbox live, fr0, Mag
//
// An operand that is not itself such an expression (a variable, a constant,
// a generic expression) is converted with fconv, which raises badarith for
// a non-number as the generic operator would; a non-finite result raises
// badarith (Erlang's float overflow). Evaluation order is the generic
// one: operands that need code are evaluated in order, and the conversions
// (so their errors) come at the operation, after both operands, variables
// and constants read last, as the scan (codegen_scan.cpp) numbers them.
// + - * with no float operand stay generic: integers must stay integers.
//
// + - * over variables of unknown type, two operations or more (as
// DX * DX + DY * DY), are compiled twice: float code that takes only
// floats (fconv with a label jumps to the other half when an operand is
// not a float, an operation with a label when its result is not finite)
// and boxes once, then the generic code, which gives integers and every
// error exactly as before:
//
//         fconv generic, DX, fr0 ... fadd generic, fr0, fr1, fr0
//         fbox live, fr0, X[d]
//         jump done
//   generic:
//         gc_bif2 '*' ... gc_bif2 '+' ...; move result, X[d]
//   done:
//
// Float registers do not survive a call, a receive or a yield, so an
// expression is compiled this way only when nothing in it clobbers X
// registers (Scope::clobbering), and never in a guard (where a failure
// jumps instead of raising). -X of a float is fnegate, which is 0.0 - X
// as in OTP's float code: -(X * 1.0) is 0.0 for X = 0.0.
#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "compiler/codegen_internal.h"

namespace codegen {

namespace {

bool is_arith(const Node* e) {
    if (e->kind != Kind::BinaryOp) return false;
    return e->op == token::Kind::Plus || e->op == token::Kind::Minus ||
           e->op == token::Kind::Star || e->op == token::Kind::Slash;
}

bool is_sign(const Node* e) {
    return e->kind == Kind::UnaryOp && (e->op == token::Kind::Minus || e->op == token::Kind::Plus);
}

}  // namespace

// Which variables of each clause are bound exactly once, by `V = Expr`
// with a float expression: every pattern occurrence of a name counts (a
// name bound in two branches, or shadowed in a fun head, is not one of
// them), and a binding may make another one's expression float (so to a
// fixed point).
void FnGen::find_float_vars() {
    const FunctionJob& job = c_.jobs()[job_];
    float_vars_.assign(job.clauses.size(), {});
    for (size_t i = 0; i < job.clauses.size(); ++i) {
        std::unordered_map<std::string_view, uint32_t> sites;
        std::vector<std::pair<std::string_view, const Node*>> matches;
        auto visit = [&](auto& self, const Node* n, bool pattern) -> void {
            if (n == nullptr) return;
            switch (n->kind) {
                case Kind::Var:
                    if (pattern && n->text != "_") ++sites[n->text];
                    return;
                case Kind::Clause:
                    self(self, ast::clause_patterns(n), true);
                    self(self, ast::clause_guard(n), false);
                    self(self, ast::clause_body(n), false);
                    return;
                case Kind::Match:
                    if (!pattern && n->kid(0)->kind == Kind::Var)
                        matches.emplace_back(n->kid(0)->text, n->kid(1));
                    self(self, n->kid(0), true);
                    self(self, n->kid(1), pattern);
                    return;
                case Kind::Generate:
                case Kind::BinGenerate:
                    self(self, n->kid(0), true);
                    self(self, n->kid(1), false);
                    return;
                default:
                    for (const Node* k : n->children())
                        self(self, k, pattern);
                    return;
            }
        };
        visit(visit, job.clauses[i], false);
        for (std::string_view name : job.free)
            ++sites[name];
        if (!job.self.empty()) ++sites[job.self];
        Scope* saved = scope_;
        scope_ = &scopes_[i];
        for (bool changed = true; changed;) {
            changed = false;
            for (auto& [name, rhs] : matches) {
                if (sites[name] != 1 || float_vars_[i].count(name) || !is_float_type(rhs)) continue;
                float_vars_[i].insert(name);
                changed = true;
            }
        }
        scope_ = saved;
    }
}

// Whether `e`, when it returns, gives a float.
bool FnGen::is_float_type(const Node* e) {
    if (const bytecode::Literal* l = c_.constant(e))
        return l->kind == bytecode::Literal::Kind::Float;
    switch (e->kind) {
        case Kind::Var: {
            if (scope_ == nullptr) return false;
            size_t clause = static_cast<size_t>(scope_ - scopes_.data());
            return clause < float_vars_.size() && float_vars_[clause].count(e->text) != 0;
        }
        case Kind::Match:
            return is_float_type(e->kid(1));
        case Kind::Block:
            return e->num_kids > 0 && is_float_type(e->kid(e->num_kids - 1));
        case Kind::UnaryOp:
            return is_sign(e) && is_float_type(e->kid(0));
        case Kind::BinaryOp:
            if (!is_arith(e)) return false;
            return e->op == token::Kind::Slash || is_float_type(e->kid(0)) ||
                   is_float_type(e->kid(1));
        case Kind::Call: {
            CallTarget t = c_.classify_call(e);
            if (t.kind == CallKind::FloatBif) return true;
            return (t.kind == CallKind::GcBif || t.kind == CallKind::Bif) && t.name == "float" &&
                   t.arity == 1;
        }
        default:
            return false;
    }
}

// Whether `e` is computed by a float instruction (not converted from a term).
bool FnGen::is_float_node(const Node* e) {
    if (c_.constant(e) != nullptr) return false;
    if (is_arith(e)) return is_float_type(e);
    if (is_sign(e)) return is_float_type(e->kid(0));
    return e->kind == Kind::Call && c_.classify_call(e).kind == CallKind::FloatBif;
}

// The float registers `e` needs as an operand (Sethi-Ullman, roughly).
uint32_t FnGen::float_need(const Node* e) {
    if (!is_float_node(e)) return 1;
    if (e->kind == Kind::BinaryOp)
        return std::max({float_need(e->kid(0)), 1 + float_need(e->kid(1)), 2u});
    if (e->kind == Kind::UnaryOp) return std::max(float_need(e->kid(0)), 1u);
    return 1;
}

// Whether to compile `e` (an arithmetic or sign expression) in float registers.
bool FnGen::float_root(const Node* e) {
    // BEAMLITE_NO_FLOAT_REGS=1: generic arithmetic only (to measure the gain)
    static const bool off = std::getenv("BEAMLITE_NO_FLOAT_REGS") != nullptr;
    return !off && guard_fail_ == 0 && is_float_node(e) && scope_->clobbering.count(e) == 0 &&
           fr_top_ + float_need(e) <= bytecode::kFloatRegs;
}

// Computes `e` (float_root) and boxes the result into a new temporary.
Value FnGen::float_expr(const Node* e) {
    uint32_t mark = fr_top_;
    line_at(e);
    uint32_t r = float_node(e);
    uint32_t n = live();
    Value dst = temp_x();
    emit(Opcode::fbox, {n, r, dst.op});
    after_gc(n);
    st_.valid.add(reg_index(dst.op));
    fr_top_ = mark;
    return dst;
}

// Computes float node `e` into the float register fr_top_ (which it
// returns), leaving fr_top_ just above it.
uint32_t FnGen::float_node(const Node* e) {
    uint32_t dst = fr_top_;
    if (e->kind == Kind::Call) {  // math:sqrt(X)
        Value arg = expr(e->kid(1));
        Word import = import_op("math", "sqrt", 1);
        emit(Opcode::fsqrt, {import, arg.op, dst});
        release(arg);
        fr_top_ = dst + 1;
        return dst;
    }
    if (e->kind == Kind::UnaryOp) {
        FloatOperand a = float_prepare(e->kid(0));
        uint32_t ra = float_materialize(a);
        // +X is X (ra is dst: the operand took the first free register)
        if (e->op == token::Kind::Minus) emit(Opcode::fnegate, {ra, dst});
        fr_top_ = dst + 1;
        return dst;
    }
    FloatOperand a = float_prepare(e->kid(0));
    FloatOperand b = float_prepare(e->kid(1));
    uint32_t ra = float_materialize(a);
    uint32_t rb = float_materialize(b);
    Opcode op = e->op == token::Kind::Plus    ? Opcode::fadd
                : e->op == token::Kind::Minus ? Opcode::fsub
                : e->op == token::Kind::Star  ? Opcode::fmul
                                              : Opcode::fdiv;
    emit(op, {0, ra, rb, dst});
    fr_top_ = dst + 1;
    return dst;
}

// An operand of a float node: float nodes are computed now, other
// expressions evaluated now to a term, variables and constants left for
// float_materialize.
FnGen::FloatOperand FnGen::float_prepare(const Node* e) {
    FloatOperand o;
    if (e->kind == Kind::Var || c_.constant(e) != nullptr) {
        o.deferred = e;
    } else if (is_float_node(e)) {
        o.fr = float_node(e);
    } else {
        o.term = expr(e);
    }
    return o;
}

// The operand in a float register: a term is converted (badarith if it is
// not a number) into the next free one.
uint32_t FnGen::float_materialize(FloatOperand& o) {
    if (o.fr != UINT32_MAX) return o.fr;
    Value v = o.deferred != nullptr ? expr(o.deferred) : o.term;
    uint32_t r = fr_top_++;
    emit(Opcode::fconv, {0, v.op, r});
    release(v);
    return r;
}

// A speculative tree: + - * over variables and constants that convert
// exactly (floats, integers of 53 bits); counts its operations.
bool FnGen::spec_tree(const Node* e, uint32_t& ops) {
    if (e->kind == Kind::Var) return e->text != "_";
    if (const bytecode::Literal* l = c_.constant(e)) {
        if (l->kind == bytecode::Literal::Kind::Float) return true;
        return l->kind == bytecode::Literal::Kind::Integer && l->integer <= (int64_t(1) << 53) &&
               l->integer >= -(int64_t(1) << 53);
    }
    if (!is_arith(e) || e->op == token::Kind::Slash) return false;
    ++ops;
    return spec_tree(e->kid(0), ops) && spec_tree(e->kid(1), ops);
}

bool FnGen::spec_root(const Node* e) {
    static const bool off = std::getenv("BEAMLITE_NO_FLOAT_REGS") != nullptr;
    if (off || no_spec_ || guard_fail_ != 0 || c_.constant(e) != nullptr) return false;
    uint32_t ops = 0;
    if (!spec_tree(e, ops) || ops < 2) return false;
    auto need = [&](auto& self, const Node* n) -> uint32_t {
        if (n->kind == Kind::Var || c_.constant(n) != nullptr) return 1;
        return std::max({self(self, n->kid(0)), 1 + self(self, n->kid(1)), 2u});
    };
    return fr_top_ + need(need, e) <= bytecode::kFloatRegs;
}

// Compiles spec_root `e` both ways (see the top of this file).
Value FnGen::float_spec(const Node* e) {
    line_at(e);
    uint32_t generic = new_label(), done = new_label();
    State before = st_;
    uint32_t mark = fr_top_;
    uint32_t r = spec_node(e, generic);
    uint32_t n = live();
    Value dst = temp_x();
    emit(Opcode::fbox, {n, r, dst.op});
    after_gc(n);
    st_.valid.add(reg_index(dst.op));
    fr_top_ = mark;
    emit(Opcode::jump, {done});
    State fast = st_;
    st_ = before;
    place(generic);
    no_spec_ = true;
    Value g = binary_op(e, false);
    no_spec_ = false;
    if (g.op != dst.op) {
        emit(Opcode::move, {g.op, dst.op});
        release(g);
        st_.used.add(reg_index(dst.op));
        st_.valid.add(reg_index(dst.op));
    }
    fast.valid.intersect(st_.valid);
    fast.used = st_.used;
    st_ = fast;
    place(done);
    return dst;
}

// The float half of a speculative tree into fr_top_: operations first,
// then variables and constants, in the scan's order (codegen_scan.cpp).
uint32_t FnGen::spec_node(const Node* e, uint32_t generic) {
    uint32_t dst = fr_top_;
    bool leaf = e->kind == Kind::Var || c_.constant(e) != nullptr;
    if (leaf) {
        Value v = expr(e);
        bool var = e->kind == Kind::Var;
        emit(Opcode::fconv, {var ? Word(generic) : 0, v.op, dst});
        release(v);
        fr_top_ = dst + 1;
        return dst;
    }
    const Node* kids[2] = {e->kid(0), e->kid(1)};
    uint32_t regs[2] = {UINT32_MAX, UINT32_MAX};
    for (int pass = 0; pass < 2; ++pass) {
        for (int i = 0; i < 2; ++i) {
            bool is_leaf = kids[i]->kind == Kind::Var || c_.constant(kids[i]) != nullptr;
            if (is_leaf == (pass == 1)) regs[i] = spec_node(kids[i], generic);
        }
    }
    Opcode op = e->op == token::Kind::Plus    ? Opcode::fadd
                : e->op == token::Kind::Minus ? Opcode::fsub
                                              : Opcode::fmul;
    emit(op, {generic, regs[0], regs[1], dst});
    fr_top_ = dst + 1;
    return dst;
}

}  // namespace codegen
