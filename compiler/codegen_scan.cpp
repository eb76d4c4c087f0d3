// codegen_scan: the analysis that decides where each variable lives.
//
// One walk over a clause in evaluation order numbers every variable
// occurrence and every point where X registers are lost ("clobbers": a call
// that is not a tail call, a receive's wait, the entry of an exception
// handler). A variable whose range [first binding, last use] contains a
// clobber lives in a Y slot; the others stay in X registers. Branches are
// numbered one after the other, so a range may cover code of a branch not
// taken: the answer is conservative, never wrong.
//
// The walk visits operands the way the emitter evaluates them: the complex
// operands of an instruction or call first, in order, then the plain
// variables, which the emitter reads last (so a variable used beside a call
// is live across it). Y slots are then shared between variables whose
// ranges do not overlap (interval colouring).
#include <algorithm>

#include "bytecode/guard_bifs.h"
#include "compiler/codegen_internal.h"

namespace codegen {

namespace {

bool is_simple(Compiler& c, const Node* n) {
    return n->kind == Kind::Var || c.constant(n) != nullptr;
}

class Scanner {
  public:
    Scanner(Compiler& c, Scope& scope, std::string parent)
        : c_(c), s_(scope), parent_(std::move(parent)) {}

    void clause(const Node* clause, const std::vector<std::string_view>& prebound) {
        for (std::string_view name : prebound)
            def(name);
        ++pos_;
        for (const Node* p : ast::clause_patterns(clause)->children())
            pattern(p);
        guard(ast::clause_guard(clause));
        body(ast::clause_body(clause), true);
        finish();
    }

  private:
    uint32_t var_id(std::string_view name) {
        auto [it, added] = s_.ids.try_emplace(name, static_cast<uint32_t>(s_.vars.size()));
        if (added) s_.vars.push_back(VarInfo{name});
        return it->second;
    }
    bool seen(std::string_view name) const {
        int32_t id = s_.id(name);
        return id >= 0 && s_.vars[id].first_def != UINT32_MAX;
    }
    void def(std::string_view name) {
        VarInfo& v = s_.vars[var_id(name)];
        if (v.first_def == UINT32_MAX) v.first_def = pos_;
        v.last_use = std::max(v.last_use, pos_);
        ++pos_;
    }
    void use(std::string_view name, const Node* at) {
        VarInfo& v = s_.vars[var_id(name)];
        if (v.first_def == UINT32_MAX) v.first_def = pos_;  // unbound (lint reported it)
        v.last_use = pos_;
        v.last_use_node = at;
        ++v.uses;
        ++pos_;
    }
    void clobber() {
        s_.clobbers.push_back(pos_++);
        clobbered_ = true;
    }
    std::vector<std::string_view> bound_names() const {
        std::vector<std::string_view> out;
        for (const VarInfo& v : s_.vars)
            if (v.first_def != UINT32_MAX) out.push_back(v.name);
        return out;
    }

    // ---- patterns
    void pattern(const Node* p) {
        switch (p->kind) {
            case Kind::Var:
                if (p->text == "_") return;
                if (seen(p->text)) {
                    use(p->text, p);
                } else {
                    def(p->text);
                }
                return;
            case Kind::Record:
                pattern(c_.lower_record(p, true));
                return;
            case Kind::Map:
                for (const Node* f : p->children()) {
                    expr(f->kid(0), false);
                    pattern(f->kid(1));
                }
                return;
            case Kind::BinElement:
                pattern(p->kid(0));
                if (p->kid(1) != nullptr) expr(p->kid(1), false);
                return;
            default:
                for (const Node* k : p->children())
                    pattern(k);
                return;
        }
    }

    void guard(const Node* g) {
        if (g == nullptr) return;
        for (const Node* seq : g->children())
            for (const Node* t : seq->children())
                expr(t, false);
    }

    void body(const Node* b, bool tail) {
        if (b == nullptr) return;
        for (size_t i = 0; i < b->num_kids; ++i)
            expr(b->kid(i), tail && i + 1 == b->num_kids);
    }

    // The operands of one instruction or call: complex ones first, then the
    // variables (read when the instruction is emitted).
    void operands(const std::vector<const Node*>& kids) {
        bool complex_before = false;
        for (const Node* k : kids) {
            if (is_simple(c_, k)) continue;
            bool clobbers = expr(k, false);
            if (clobbers && complex_before) s_.needs_frame = true;  // a spill
            complex_before = true;
        }
        for (const Node* k : kids)
            if (k->kind == Kind::Var) use(k->text, k);
    }
    void operands(std::span<Node* const> kids) {
        operands(std::vector<const Node*>(kids.begin(), kids.end()));
    }

    // Leaves of a constructor tree are evaluated together (one test_heap).
    void construct_leaves(const Node* n, std::vector<const Node*>& leaves) {
        if ((n->kind == Kind::Tuple || n->kind == Kind::Cons) && c_.constant(n) == nullptr) {
            for (const Node* k : n->children())
                construct_leaves(k, leaves);
        } else if (n->kind == Kind::Record && c_.constant(n) == nullptr) {
            construct_leaves(c_.lower_record(n, false), leaves);
        } else {
            leaves.push_back(n);
        }
    }

    // Returns whether `e` clobbers X registers.
    bool expr(const Node* e, bool tail) {
        bool saved = clobbered_;
        clobbered_ = false;
        visit(e, tail);
        bool result = clobbered_;
        if (result) s_.clobbering.insert(e);
        clobbered_ = saved || result;
        return result;
    }

    void call(const Node* e, bool tail) {
        CallTarget t = c_.classify_call(e);
        // The order of FnGen::call: arguments, then the fun or M and F.
        std::vector<const Node*> ops;
        for (size_t i = 1; i < e->num_kids; ++i)
            ops.push_back(e->kid(i));
        if (t.kind == CallKind::IsRecord) ops.resize(1);
        if (t.kind == CallKind::Fun) ops.push_back(e->kid(0));
        if (t.kind == CallKind::DynRemote) {
            ops.push_back(e->kid(0)->kid(0));
            ops.push_back(e->kid(0)->kid(1));
        }
        operands(ops);
        if (!clobbers(t.kind)) return;
        if (tail) {
            s_.tail_calls.insert(e);
            // call_fun_last and apply_last drop a frame: the clause needs one.
            if (t.kind == CallKind::Fun || t.kind == CallKind::DynRemote) s_.needs_frame = true;
        } else {
            s_.needs_frame = true;
            clobber();
        }
    }

    void clauses(std::span<Node* const> cs, bool tail) {
        for (const Node* cl : cs) {
            for (const Node* p : ast::clause_patterns(cl)->children())
                pattern(p);
            guard(ast::clause_guard(cl));
            body(ast::clause_body(cl), tail);
        }
    }

    void receive(const Node* e, bool tail) {
        const Node* after = nullptr;
        std::vector<const Node*> cs;
        for (const Node* k : e->children()) {
            if (k->kind == Kind::After) {
                after = k;
            } else {
                cs.push_back(k);
            }
        }
        if (after != nullptr) {
            if (c_.constant(after->kid(0)) == nullptr) {
                expr(after->kid(0), false);
                s_.needs_frame = true;  // the timeout waits in a Y slot
            }
        }
        uint32_t start = pos_;
        clobber();
        // Patterns and guards run again for every message: the variables
        // they read stay live until all of them are done.
        std::vector<uint32_t> read;
        uint32_t first_new = static_cast<uint32_t>(s_.vars.size());
        for (const Node* cl : cs) {
            for (const Node* p : ast::clause_patterns(cl)->children())
                pattern(p);
            guard(ast::clause_guard(cl));
        }
        for (uint32_t id = 0; id < first_new; ++id)
            if (s_.vars[id].last_use >= start) read.push_back(id);
        for (uint32_t id : read)
            s_.vars[id].last_use = pos_;
        ++pos_;
        for (const Node* cl : cs)
            body(ast::clause_body(cl), tail);
        if (after != nullptr) body(after->kid(1), tail);
        s_.spans[e] = {start, pos_++};
    }

    // Without an after block, the of and catch clauses of a try in tail
    // position are in tail position too (the try has ended when they run),
    // as in OTP: FnGen::try_expr compiles them so.
    void try_(const Node* e, bool tail) {
        uint32_t start = pos_++;
        s_.needs_frame = true;
        bool clause_tail = tail && e->kid(3) == nullptr;
        body(e->kid(0), false);
        if (e->kid(1) != nullptr) clauses(e->kid(1)->children(), clause_tail);
        clobber();  // the handler's entry
        if (e->kid(2) != nullptr) {
            for (const Node* cl : e->kid(2)->children()) {
                const Node* ps = ast::clause_patterns(cl);
                if (ps->kid(2) != nullptr) pattern(ps->kid(2));
                if (ps->kid(0) != nullptr) pattern(ps->kid(0));
                pattern(ps->kid(1));
                guard(ast::clause_guard(cl));
                body(ast::clause_body(cl), clause_tail);
            }
        }
        // The join of the try's clauses is before its after block.
        s_.spans[e] = {start, pos_++};
        if (e->kid(3) != nullptr) {
            clobber();  // the after block's handler
            body(e->kid(3), false);
        }
    }

    void visit(const Node* e, bool tail) {
        if (c_.constant(e) != nullptr) return;
        switch (e->kind) {
            case Kind::Var:
                use(e->text, e);
                return;
            case Kind::Tuple:
            case Kind::Cons:
            case Kind::Record: {
                std::vector<const Node*> leaves;
                construct_leaves(e, leaves);
                operands(leaves);
                return;
            }
            case Kind::Map:
            case Kind::MapUpdate: {
                std::vector<const Node*> ops;
                for (const Node* k : e->children()) {
                    if (k->kind == Kind::MapField) {
                        ops.push_back(k->kid(0));
                        ops.push_back(k->kid(1));
                    } else {
                        ops.push_back(k);
                    }
                }
                operands(ops);
                return;
            }
            case Kind::RecordUpdate: {
                std::vector<const Node*> ops{e->kid(0)};
                for (size_t i = 1; i < e->num_kids; ++i)
                    ops.push_back(e->kid(i)->kid(0));
                operands(ops);
                return;
            }
            case Kind::RecordAccess:
                operands(std::vector<const Node*>{e->kid(0)});
                return;
            case Kind::Binary: {
                // As FnGen::binary_expr evaluates them: one operand list.
                std::vector<const Node*> ops;
                for (const Node* el : e->children()) {
                    ops.push_back(el->kid(0));
                    if (el->kid(1) != nullptr) ops.push_back(el->kid(1));
                }
                operands(ops);
                return;
            }
            case Kind::Match:
                expr(e->kid(1), false);
                pattern(e->kid(0));
                return;
            case Kind::BinaryOp:
                if (e->op == token::Kind::KwAndalso || e->op == token::Kind::KwOrelse) {
                    expr(e->kid(0), false);
                    uint32_t start = pos_;
                    expr(e->kid(1), tail);
                    s_.spans[e] = {start, pos_++};
                    return;
                }
                operands(e->children());
                if (e->op == token::Kind::Bang) clobber();  // send: X[0] only survives
                if (e->op == token::Kind::PlusPlus || e->op == token::Kind::MinusMinus) {
                    if (tail) {
                        s_.tail_calls.insert(e);
                    } else {
                        s_.needs_frame = true;
                        clobber();
                    }
                }
                return;
            case Kind::UnaryOp:
                operands(e->children());
                return;
            case Kind::Call:
                call(e, tail);
                return;
            case Kind::FunRef:
                if (e->num_kids == 3) {
                    operands(e->children());
                    if (tail) {
                        s_.tail_calls.insert(e);
                    } else {
                        s_.needs_frame = true;
                        clobber();
                    }
                }
                return;
            case Kind::Fun: {
                const FunLowering& f = c_.lower_fun(e, bound_names(), parent_);
                for (std::string_view v : f.free)
                    use(v, e);
                return;
            }
            case Kind::ListComp:
            case Kind::BinComp:
                expr(c_.lower_comprehension(e, bound_names(), parent_), tail);
                return;
            case Kind::Case: {
                expr(e->kid(0), false);
                uint32_t start = pos_;
                clauses(e->children().subspan(1), tail);
                s_.spans[e] = {start, pos_++};
                return;
            }
            case Kind::If: {
                uint32_t start = pos_;
                clauses(e->children(), tail);
                s_.spans[e] = {start, pos_++};
                return;
            }
            case Kind::Receive:
                receive(e, tail);
                return;
            case Kind::Try:
                try_(e, tail);
                return;
            case Kind::Catch:
                s_.needs_frame = true;
                expr(e->kid(0), false);
                clobber();
                return;
            case Kind::Block:
                body(e, tail);
                return;
            default:
                for (const Node* k : e->children())
                    expr(k, false);
                return;
        }
    }

    // Y slots: variables live across a clobber, coloured by range.
    void finish() {
        std::vector<uint32_t> ys;
        for (uint32_t id = 0; id < s_.vars.size(); ++id) {
            VarInfo& v = s_.vars[id];
            auto it = std::upper_bound(s_.clobbers.begin(), s_.clobbers.end(), v.first_def);
            v.needs_y = it != s_.clobbers.end() && *it < v.last_use;
            if (v.needs_y) ys.push_back(id);
        }
        std::sort(ys.begin(), ys.end(), [&](uint32_t a, uint32_t b) {
            return s_.vars[a].first_def < s_.vars[b].first_def;
        });
        std::vector<uint32_t> slot_end;  // last use of the slot's current variable
        for (uint32_t id : ys) {
            VarInfo& v = s_.vars[id];
            size_t slot = 0;
            while (slot < slot_end.size() && slot_end[slot] >= v.first_def)
                ++slot;
            if (slot == slot_end.size()) slot_end.push_back(0);
            slot_end[slot] = v.last_use;
            v.y_slot = static_cast<int32_t>(slot);
        }
        s_.y_vars = static_cast<uint32_t>(slot_end.size());
        if (s_.y_vars > 0) s_.needs_frame = true;
    }

    Compiler& c_;
    Scope& s_;
    std::string parent_;
    uint32_t pos_ = 1;
    bool clobbered_ = false;
};

bool is_type_test(std::string_view name, size_t arity) {
#define BEAMLITE_TYPE_TEST(n, a, guard, type_test, old) \
    if (type_test && name == #n && arity == a) return true;
    BEAMLITE_AUTO_IMPORTED_BIFS(BEAMLITE_TYPE_TEST)
#undef BEAMLITE_TYPE_TEST
    return false;
}

}  // namespace

void scan_clause(Compiler& compiler, const Node* clause,
                 const std::vector<std::string_view>& prebound, const std::string& parent,
                 Scope& scope) {
    Scanner(compiler, scope, parent).clause(clause, prebound);
}

bool is_guard_expr(const Compiler& compiler, const Node* e) {
    switch (e->kind) {
        case Kind::Var:
        case Kind::Integer:
        case Kind::Float:
        case Kind::Atom:
        case Kind::Char:
        case Kind::String:
        case Kind::Nil:
            return true;
        case Kind::Cons:
        case Kind::Tuple:
        case Kind::UnaryOp:
            for (const Node* k : e->children())
                if (!is_guard_expr(compiler, k)) return false;
            return true;
        case Kind::BinaryOp:
            if (e->op == token::Kind::Bang || e->op == token::Kind::PlusPlus ||
                e->op == token::Kind::MinusMinus)
                return false;
            return is_guard_expr(compiler, e->kid(0)) && is_guard_expr(compiler, e->kid(1));
        case Kind::RecordAccess:
            return is_guard_expr(compiler, e->kid(0));
        case Kind::RecordIndex:
            return true;
        case Kind::Call: {
            CallTarget t = compiler.classify_call(e);
            bool ok = t.kind == CallKind::Bif || t.kind == CallKind::GcBif ||
                      t.kind == CallKind::IsRecord ||
                      (t.kind == CallKind::Remote && t.module == "erlang" &&
                       is_type_test(t.name, t.arity));
            if (!ok) return false;
            for (size_t i = 1; i < e->num_kids; ++i)
                if (!is_guard_expr(compiler, e->kid(i))) return false;
            return true;
        }
        default:
            return false;
    }
}

}  // namespace codegen
