// codegen_control: functions and control flow: the function header and its
// clauses, case / if / receive / try / catch, `=` matches, andalso/orelse,
// and joins (where the branches of a construct meet with their value and
// exported variables in agreed registers).
//
// Join invariant: every branch arrives with the result in Join::result, each
// exported variable in its home, the variables bound before the construct
// and still needed afterwards untouched, and nothing else relied upon.
#include <fmt/core.h>

#include "compiler/codegen_internal.h"

namespace codegen {

using bytecode::Literal;
using bytecode::OperandKind;

// ---- functions ------------------------------------------------------------------------

// A function clause whose head matched: bind, guard, then the frame (if
// the clause needs one), then the body in tail position.
class FuncLeaf : public Leaf {
  public:
    FuncLeaf(FnGen& g, const FunctionJob& job) : g_(g), job_(job) {}

    void run(Row& row, uint32_t fail) override {
        g_.scope_ = &g_.scopes_[row.index];
        const Scope& scope = *g_.scope_;
        g_.st_.loc.assign(scope.vars.size(), kNone);
        g_.frame_ = false;
        g_.frame_patches_.clear();
        g_.y_temps_.clear();
        g_.frame_size_ = scope.y_vars;
        uint32_t own = job_.arity - static_cast<uint32_t>(job_.free.size());
        for (size_t i = 0; i < job_.free.size(); ++i) {
            int32_t id = scope.id(job_.free[i]);
            if (id >= 0) g_.st_.loc[static_cast<size_t>(id)] = bytecode::x_reg(own + i);
        }
        g_.shadow_heads_ = true;
        g_.bind_row(row, fail);
        g_.shadow_heads_ = false;
        g_.guard(ast::clause_guard(row.clause), fail);
        keep_only_variables();
        if (scope.needs_frame) allocate();
        if (!job_.self.empty()) bind_self();
        g_.body(ast::clause_body(row.clause), true);
        g_.patch_frame();
    }

  private:
    // After the guard nothing backtracks: registers that held the matched
    // terms are free unless a variable lives there.
    void keep_only_variables() {
        g_.st_.used.clear();
        for (Word loc : g_.st_.loc)
            if (is_x(loc)) g_.st_.used.add(reg_index(loc));
    }

    void allocate() {
        uint32_t n = g_.live();
        g_.emit(Opcode::allocate, {g_.frame_word(), n});
        g_.after_gc(n);
        g_.frame_ = true;
        for (uint32_t id = 0; id < g_.st_.loc.size(); ++id) {
            Word loc = g_.st_.loc[id];
            const VarInfo& v = g_.scope_->vars[id];
            if (!v.needs_y || !is_x(loc)) continue;
            g_.st_.loc[id] = kNone;
            g_.bind_var(id, loc, true);
        }
    }

    // A named fun's name is a closure equal to the running one.
    void bind_self() {
        int32_t id = g_.scope_->id(job_.self);
        if (id < 0 || g_.scope_->vars[static_cast<size_t>(id)].uses == 0) return;
        std::vector<Word> free;
        for (std::string_view name : job_.free) {
            Word loc = g_.var_loc(name);
            free.push_back(loc == kNone ? bytecode::operand(OperandKind::Nil, 0) : loc);
        }
        uint32_t n = g_.live();
        g_.emit(Opcode::test_heap, {2 + free.size(), n});
        g_.after_gc(n);
        Value dst = g_.temp_x();
        std::vector<Word> args{static_cast<Word>(job_.lambda), dst.op, free.size()};
        args.insert(args.end(), free.begin(), free.end());
        g_.emit_vec(Opcode::make_fun, args);
        g_.bind_var(static_cast<uint32_t>(id), dst.op, true);
    }

    FnGen& g_;
    const FunctionJob& job_;
};

FnGen::FnGen(Compiler& compiler, size_t job) : c_(compiler), job_(job), out_(compiler.out()) {}

void FnGen::compile() {
    const FunctionJob& job = c_.jobs()[job_];
    std::string parent =
        job.name.front() == '-' ? job.name : fmt::format("{}/{}", job.name, job.arity);
    std::vector<std::string_view> prebound = job.free;
    if (!job.self.empty()) prebound.push_back(job.self);
    scopes_.resize(job.clauses.size());
    for (size_t i = 0; i < job.clauses.size(); ++i)
        scan_clause(c_, job.clauses[i], prebound, parent, scopes_[i]);
    find_float_vars();

    const FunctionJob& j = c_.jobs()[job_];  // the deque may have grown
    place(j.info_label);
    line_at(j.clauses.front());
    emit(Opcode::func_info, {c_.atom(c_.module_name()), c_.atom(j.name), j.arity});
    place(j.entry_label);
    for (uint32_t i = 0; i < j.arity; ++i) {
        st_.used.add(i);
        st_.valid.add(i);
    }
    uint32_t own = j.arity - static_cast<uint32_t>(j.free.size());
    std::vector<Row> rows;
    for (size_t i = 0; i < j.clauses.size(); ++i) {
        Row row;
        row.clause = j.clauses[i];
        row.index = static_cast<uint32_t>(i);
        row.scope = &scopes_[i];
        for (const Node* p : ast::clause_patterns(row.clause)->children())
            row.pats.push_back(p);
        rows.push_back(std::move(row));
    }
    std::vector<Word> cols;
    for (uint32_t i = 0; i < own; ++i)
        cols.push_back(bytecode::x_reg(i));
    FuncLeaf leaf(*this, j);
    match(std::move(rows), std::move(cols), j.info_label, leaf);
    // The failure blocks come after all the code: each names its line, or
    // the stack trace would show the line of the code before it.
    for (const FailBlock& fail : pending_fails_) {
        place(fail.label);
        if (fail.line) {
            emit(Opcode::line, {fail.line});
            last_line_ = fail.line;
        }
        if (fail.op == Opcode::if_end) {
            emit(Opcode::if_end, {});
        } else {
            emit(fail.op, {fail.operand});
        }
    }
}

// ---- joins ------------------------------------------------------------------------------

// Decides where the branches of `span_node` meet. `consumed`: the value the
// construct takes apart (a scrutinee), dead after it.
Join FnGen::make_join(const Node* span_node, Value consumed) {
    Join j;
    j.label = new_label();
    Span span = scope_->spans.count(span_node) ? scope_->spans[span_node] : Span{0, UINT32_MAX - 1};
    RegSet base = st_.used;
    if (consumed.temp && is_x(consumed.op)) base.remove(reg_index(consumed.op));
    j.state.loc = st_.loc;
    for (uint32_t id = 0; id < st_.loc.size(); ++id) {
        const VarInfo& v = scope_->vars[id];
        Word loc = st_.loc[id];
        if (loc != kNone && v.last_use <= span.end) {
            j.state.loc[id] = kNone;
            if (is_x(loc)) base.remove(reg_index(loc));
        }
    }
    for (uint32_t id = 0; id < st_.loc.size(); ++id) {
        Word loc = j.state.loc[id];
        if (is_x(loc)) base.add(reg_index(loc));
    }
    RegSet taken = base;
    auto take_x = [&]() {
        uint32_t r = taken.lowest_free();
        taken.add(r);
        return bytecode::x_reg(r);
    };
    j.result = take_x();
    for (uint32_t id = 0; id < scope_->vars.size(); ++id) {
        const VarInfo& v = scope_->vars[id];
        if (st_.loc[id] != kNone || v.first_def < span.start || v.first_def > span.end ||
            v.last_use <= span.end)
            continue;
        Word home =
            v.needs_y && frame_ ? bytecode::y_reg(static_cast<uint64_t>(v.y_slot)) : take_x();
        j.exported.emplace_back(id, home);
        j.state.loc[id] = home;
    }
    j.state.used = taken;
    j.state.valid = taken;
    return j;
}

void FnGen::end_branch(Join& j, Value result) {
    std::vector<std::pair<Word, Word>> moves;
    moves.emplace_back(result.op == kNone ? bytecode::operand(OperandKind::Nil, 0) : result.op,
                       j.result);
    for (auto [id, home] : j.exported) {
        Word loc = st_.loc[id];
        moves.emplace_back(loc == kNone ? bytecode::operand(OperandKind::Nil, 0) : loc, home);
    }
    parallel_move(std::move(moves));
    emit(Opcode::jump, {j.label});
    if (j.arrived) {
        j.arrived_valid.intersect(st_.valid);
    } else {
        j.arrived_valid = st_.valid;
        j.arrived = true;
    }
}

// The state after the join: the one make_join planned, less the registers
// that not every branch left valid. Those can hold nothing the code after
// the join reads (a branch's call clobbered them), yet a GC point there
// would keep them if they stayed `used`: a stale term is a wild pointer.
void FnGen::enter_join(Join& j) {
    place(j.label);
    st_ = j.state;
    if (!j.arrived) return;
    st_.valid.intersect(j.arrived_valid);
    st_.used.intersect(j.arrived_valid);
}

// ---- case, if, receive ---------------------------------------------------------------------

// A clause of a case, if, receive or try: bind, guard, then the body, which
// returns (tail) or meets the others at the join.
class CaseLeaf : public Leaf {
  public:
    CaseLeaf(FnGen& g, Join* join, bool receive, RegSet outer)
        : g_(g), join_(join), receive_(receive), outer_(outer) {}

    void run(Row& row, uint32_t fail) override {
        g_.bind_row(row, fail);
        g_.guard(ast::clause_guard(row.clause), fail);
        g_.st_.used = outer_;
        for (Word loc : g_.st_.loc)
            if (is_x(loc)) g_.st_.used.add(reg_index(loc));
        if (receive_) g_.emit(Opcode::remove_message, {});
        if (join_ == nullptr) {
            g_.body(ast::clause_body(row.clause), true);
            return;
        }
        Value v = g_.body(ast::clause_body(row.clause), false);
        g_.end_branch(*join_, v);
    }

  private:
    FnGen& g_;
    Join* join_;
    bool receive_;
    RegSet outer_;
};

namespace {

std::vector<Row> clause_rows(std::span<Node* const> clauses, const Scope* scope) {
    std::vector<Row> rows;
    for (const Node* cl : clauses) {
        Row row;
        row.clause = cl;
        row.scope = scope;
        for (const Node* p : ast::clause_patterns(cl)->children())
            row.pats.push_back(p);
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

void FnGen::clauses_with_join(const Node* span_node, std::vector<Row>& rows,
                              std::vector<Word>& cols, uint32_t fail, bool is_tail, Value consumed,
                              bool receive, Value* result) {
    RegSet outer = st_.used;
    if (consumed.temp && is_x(consumed.op)) outer.remove(reg_index(consumed.op));
    if (is_tail) {
        CaseLeaf leaf(*this, nullptr, receive, outer);
        match(std::move(rows), std::move(cols), fail, leaf);
        *result = {};
        return;
    }
    Join j = make_join(span_node, consumed);
    CaseLeaf leaf(*this, &j, receive, outer);
    match(std::move(rows), std::move(cols), fail, leaf);
    enter_join(j);
    *result = {j.result, true};
}

Value FnGen::case_expr(const Node* e, bool is_tail) {
    Value v = expr(e->kid(0));
    std::vector<Row> rows = clause_rows(e->children().subspan(1), scope_);
    std::vector<Word> cols{v.op};
    uint32_t fail = fail_block(Opcode::case_end, v.op, e);
    Value result;
    clauses_with_join(e, rows, cols, fail, is_tail, v, false, &result);
    return result;
}

Value FnGen::if_expr(const Node* e, bool is_tail) {
    std::vector<Row> rows = clause_rows(e->children(), scope_);
    std::vector<Word> cols;
    uint32_t fail = fail_block(Opcode::if_end, 0, e);
    Value result;
    clauses_with_join(e, rows, cols, fail, is_tail, {}, false, &result);
    return result;
}

// ---- the make_ref receive optimisation ------------------------------------------------------
//
// `Ref = make_ref(), ..., receive {Ref, X} -> ... end` (or a ref from
// monitor(process, P)): no message queued
// before the ref was made can match, so recv_mark (emitted before the
// match) remembers the end of the queue and recv_set (before the receive
// loop) starts the scan there. The receive must be in the same body, and
// every clause's pattern must use Ref (then every clause needs the ref in
// the message). The label operand of both is the mark's position: it
// names the receive, so a mark made for another receive is never used.

namespace {

// make_ref() or monitor(process, X): both return a ref no one has seen.
bool is_new_ref_call(const Node* e) {
    if (e->kind != Kind::Call) return false;
    const Node* callee = e->kid(0);
    std::string_view name;
    if (callee->kind == Kind::Atom) {
        name = callee->text;
    } else if (callee->kind == Kind::Remote && callee->kid(0)->kind == Kind::Atom &&
               callee->kid(0)->text == "erlang" && callee->kid(1)->kind == Kind::Atom) {
        name = callee->kid(1)->text;
    } else {
        return false;
    }
    if (name == "make_ref") return e->num_kids == 1;
    return name == "monitor" && e->num_kids == 3 && e->kid(1)->kind == Kind::Atom &&
           e->kid(1)->text == "process";
}

bool mentions_var(const Node* pattern, std::string_view name) {
    if (pattern == nullptr) return false;
    if (pattern->kind == Kind::Var) return pattern->text == name;
    for (const Node* k : pattern->children())
        if (mentions_var(k, name)) return true;
    return false;
}

// The receive an expression of a body is (itself, or `X = receive ...`).
const Node* receive_of(const Node* e) {
    if (e->kind == Kind::Receive) return e;
    if (e->kind == Kind::Match && e->kid(1)->kind == Kind::Receive) return e->kid(1);
    return nullptr;
}

bool every_clause_uses(const Node* receive, std::string_view name) {
    size_t clauses = 0;
    for (const Node* k : receive->children()) {
        if (k->kind == Kind::After) continue;
        if (!mentions_var(ast::clause_patterns(k), name)) return false;
        ++clauses;
    }
    return clauses > 0;
}

}  // namespace

std::vector<std::pair<size_t, uint32_t>> FnGen::ref_receives(const Node* b) {
    std::vector<std::pair<size_t, uint32_t>> marks;
    for (size_t i = 0; i < b->num_kids; ++i) {
        const Node* e = b->kid(i);
        if (e->kind != Kind::Match || e->kid(0)->kind != Kind::Var || e->kid(0)->text == "_" ||
            !is_new_ref_call(e->kid(1)) || c_.classify_call(e->kid(1)).kind == CallKind::Local)
            continue;
        for (size_t j = i + 1; j < b->num_kids; ++j) {
            const Node* r = receive_of(b->kid(j));
            if (r == nullptr || !every_clause_uses(r, e->kid(0)->text)) continue;
            if (recv_labels_.count(r)) break;
            uint32_t label = new_label();
            recv_labels_[r] = label;
            marks.emplace_back(i, label);
            break;
        }
    }
    return marks;
}

// receive: loop_rec takes the next message into X[0]; clauses that do not
// match go on with loop_rec_end; with no message left, wait (or
// wait_timeout, then the after body). X registers do not survive a wait.
Value FnGen::receive_expr(const Node* e, bool is_tail) {
    const Node* after = nullptr;
    std::vector<Node*> clauses;
    for (Node* k : e->children()) {
        if (k->kind == Kind::After) {
            after = k;
        } else {
            clauses.push_back(k);
        }
    }
    Value timeout;
    uint32_t timeout_slot = UINT32_MAX;
    if (after != nullptr) {
        timeout = expr(after->kid(0));
        if (is_reg(timeout.op)) {
            timeout_slot = alloc_y_temp();
            emit(Opcode::move, {timeout.op, bytecode::y_reg(timeout_slot)});
            release(timeout);
            timeout = {bytecode::y_reg(timeout_slot), false};
        }
    }
    bool infinity = timeout.op == atom_op("infinity");
    if (auto it = recv_labels_.find(e); it != recv_labels_.end()) {
        emit(Opcode::recv_set, {it->second});
        recv_labels_.erase(it);  // a body emitted twice (try ... after) marks again
    }
    uint32_t loop = new_label();
    place(loop);
    st_.used.clear();
    st_.valid.clear();
    for (Word& loc : st_.loc)
        if (is_x(loc)) loc = kNone;
    State waiting = st_;
    auto after_body = [&](Join* join) {
        if (infinity || after == nullptr) {
            emit(Opcode::wait, {loop});
            return;
        }
        emit(Opcode::wait_timeout, {loop, timeout.op});
        emit(Opcode::timeout, {});
        if (join == nullptr) {
            body(after->kid(1), true);
        } else {
            end_branch(*join, body(after->kid(1), false));
        }
    };
    if (clauses.empty()) {
        if (infinity || after == nullptr) {
            emit(Opcode::wait, {loop});
            return {};
        }
        emit(Opcode::wait_timeout, {loop, timeout.op});
        emit(Opcode::timeout, {});
        if (timeout_slot != UINT32_MAX) free_y_temp(timeout_slot);
        if (is_tail) {
            body(after->kid(1), true);
            return {};
        }
        return body(after->kid(1), false);
    }
    uint32_t no_message = new_label();
    uint32_t next = new_label();
    emit(Opcode::loop_rec, {no_message, bytecode::x_reg(0)});
    st_.used.add(0);
    st_.valid.add(0);
    std::vector<Row> rows = clause_rows(clauses, scope_);
    std::vector<Word> cols{bytecode::x_reg(0)};
    Value message{bytecode::x_reg(0), true};
    RegSet outer;
    std::optional<Join> join;
    if (!is_tail) join = make_join(e, message);
    CaseLeaf leaf(*this, join ? &*join : nullptr, true, outer);
    match(std::move(rows), std::move(cols), next, leaf);
    place(next);
    emit(Opcode::loop_rec_end, {loop});
    place(no_message);
    st_ = waiting;
    after_body(join ? &*join : nullptr);
    if (timeout_slot != UINT32_MAX) free_y_temp(timeout_slot);
    if (!join) return {};
    enter_join(*join);
    return {join->result, true};
}

// ---- exceptions ---------------------------------------------------------------------------

namespace {

// The catch clause `Class:Reason:Stack` as a row over (class, reason).
Row catch_row(Compiler& c, const Node* clause, const Scope* scope) {
    const Node* ps = ast::clause_patterns(clause);
    Row row;
    row.clause = clause;
    row.scope = scope;
    const Node* cls = ps->kid(0);
    row.pats.push_back(cls != nullptr ? cls : c.synth_atom("throw", ps->kid(1)));
    row.pats.push_back(ps->kid(1));
    if (ps->kid(2) != nullptr) row.binds.emplace_back(ps->kid(2), bytecode::x_reg(2));
    return row;
}

}  // namespace

// A try in tail position (`is_tail`, never with an after block) returns
// from its of and catch clauses: they end the function as a case's do.
Value FnGen::try_expr(const Node* e, bool is_tail) {
    const Node* of = e->kid(1);
    const Node* catches = e->kid(2);
    const Node* after = e->kid(3);
    bool has_catch = catches != nullptr && catches->num_kids > 0;
    uint32_t after_slot = 0;
    uint32_t after_handler = 0;
    if (after != nullptr) {
        after_slot = alloc_marker();
        after_handler = new_label();
        emit_marker(Opcode::try_, after_slot, {after_handler});
    }
    uint32_t slot = 0;
    uint32_t handler = 0;
    if (has_catch) {
        slot = alloc_marker();
        handler = new_label();
        emit_marker(Opcode::try_, slot, {handler});
    }
    Value v = body(e->kid(0), false);
    if (has_catch) emit_marker(Opcode::try_end, slot, {});
    State at_handler = st_;
    std::optional<Join> join;
    RegSet outer = st_.used;
    if (is_tail) {
        if (v.temp && is_x(v.op)) outer.remove(reg_index(v.op));
    } else {
        join.emplace(make_join(e, v));
        outer = join->state.used;
        outer.remove(reg_index(join->result));
    }
    Join* j = join ? &*join : nullptr;
    if (of != nullptr && of->num_kids > 0) {
        std::vector<Row> rows = clause_rows(of->children(), scope_);
        std::vector<Word> cols{v.op};
        CaseLeaf leaf(*this, j, false, outer);
        match(std::move(rows), std::move(cols), fail_block(Opcode::try_case_end, v.op, e), leaf);
    } else if (j != nullptr) {
        end_branch(*j, v);
    } else {
        ret(v);
    }
    if (has_catch) {
        place(handler);
        st_ = at_handler;
        st_.used.clear();
        st_.valid.clear();
        for (Word& loc : st_.loc)
            if (is_x(loc)) loc = kNone;
        emit_marker(Opcode::try_case, slot, {});
        for (uint32_t r = 0; r < 3; ++r) {
            st_.used.add(r);
            st_.valid.add(r);
        }
        std::vector<Row> rows;
        for (const Node* cl : catches->children())
            rows.push_back(catch_row(c_, cl, scope_));
        uint32_t reraise = new_label();
        CaseLeaf leaf(*this, j, false, RegSet{});
        match(std::move(rows), {bytecode::x_reg(0), bytecode::x_reg(1)}, reraise, leaf);
        place(reraise);
        emit(Opcode::raise, {bytecode::x_reg(2), bytecode::x_reg(1)});
    }
    if (has_catch) free_marker();
    if (j == nullptr) return {};
    enter_join(*j);
    Value result{j->result, true};
    if (after == nullptr) return result;

    emit_marker(Opcode::try_end, after_slot, {});
    uint32_t saved = alloc_y_temp();
    emit(Opcode::move, {result.op, bytecode::y_reg(saved)});
    release(result);
    // The after body is emitted twice (here and in the handler); the first
    // emission ends its variables' lives (at joins inside it), so the
    // handler's starts from the state before it.
    State before_after = st_;
    release(body(after, false));
    State done = st_;
    uint32_t out = new_label();
    emit(Opcode::jump, {out});
    place(after_handler);
    st_ = before_after;
    st_.used.clear();
    st_.valid.clear();
    for (Word& loc : st_.loc)
        if (is_x(loc)) loc = kNone;
    emit_marker(Opcode::try_case, after_slot, {});
    uint32_t reason = alloc_y_temp();
    uint32_t trace = alloc_y_temp();
    emit(Opcode::move, {bytecode::x_reg(1), bytecode::y_reg(reason)});
    emit(Opcode::move, {bytecode::x_reg(2), bytecode::y_reg(trace)});
    release(body(after, false));
    emit(Opcode::raise, {bytecode::y_reg(trace), bytecode::y_reg(reason)});
    free_y_temp(reason);
    free_y_temp(trace);
    free_marker();
    place(out);
    st_ = done;
    return {bytecode::y_reg(saved), true};
}

Value FnGen::catch_expr(const Node* e) {
    uint32_t slot = alloc_marker();
    uint32_t handler = new_label();
    emit_marker(Opcode::catch_, slot, {handler});
    Value v = expr(e->kid(0));
    release(v);
    move_into(v, bytecode::x_reg(0));
    place(handler);
    emit_marker(Opcode::catch_end, slot, {});
    free_marker();
    after_call();
    return {bytecode::x_reg(0), true};
}

// ---- matches and booleans ---------------------------------------------------------------------

// The leaf of a `P = E` match: bind, then carry on after the match.
class ContinueLeaf : public Leaf {
  public:
    ContinueLeaf(FnGen& g, std::optional<State>& out) : g_(g), out_(out) {}
    void run(Row& row, uint32_t fail) override;

  private:
    FnGen& g_;
    std::optional<State>& out_;
};

Value FnGen::match_expr(const Node* e) {
    Value v = expr(e->kid(1));
    const Node* p = e->kid(0);
    if (p->kind == Kind::Var) {
        if (p->text == "_") return v;
        int32_t id = scope_->id(p->text);
        if (id < 0) return v;
        Word loc = st_.loc[static_cast<size_t>(id)];
        if (loc != kNone) {
            emit(Opcode::is_eq_exact, {fail_or_guard(Opcode::badmatch, v.op, e), loc, v.op});
            return v;
        }
        if (scope_->vars[static_cast<size_t>(id)].uses == 0) return v;
        bind_var(static_cast<uint32_t>(id), v.op, v.temp);
        return {st_.loc[static_cast<size_t>(id)], false};
    }
    uint32_t fail = fail_or_guard(Opcode::badmatch, v.op, e);
    Row row;
    row.pats.push_back(p);
    row.scope = scope_;
    std::vector<Row> rows{row};
    std::optional<State> after;
    ContinueLeaf leaf(*this, after);
    match(std::move(rows), {v.op}, fail, leaf);
    if (after) st_ = *after;
    return v;
}

// andalso / orelse outside guards: the right operand only when needed, in
// tail position when the whole is; a non-boolean left operand raises
// {badarg, Value}.
Value FnGen::andalso_expr(const Node* e, bool is_tail) {
    if (guard_fail_ != 0) return bool_from_test(e);
    bool is_and = e->op == token::Kind::KwAndalso;
    Value a = expr(e->kid(0));
    std::optional<Join> join;
    if (!is_tail) join = make_join(e, a);
    uint32_t other = new_label();
    emit(Opcode::is_eq_exact, {other, a.op, atom_op(is_and ? "true" : "false")});
    State at_test = st_;
    release(a);
    if (is_tail) {
        tail(e->kid(1));
    } else {
        end_branch(*join, expr(e->kid(1)));
    }
    st_ = at_test;
    place(other);
    uint32_t bad = new_label();
    Word shortcut = atom_op(is_and ? "false" : "true");
    emit(Opcode::is_eq_exact, {bad, a.op, shortcut});
    if (is_tail) {
        ret({shortcut, false});
    } else {
        end_branch(*join, {shortcut, false});
    }
    st_ = at_test;
    place(bad);
    raise_error(e, error_tuple("badarg", a, e), true);
    if (is_tail) return {};
    enter_join(*join);
    return {join->result, true};
}

// A test as a boolean value: true on one path, false on the other.
Value FnGen::bool_from_test(const Node* e) {
    State before = st_;
    uint32_t is_false = new_label();
    uint32_t done = new_label();
    uint32_t saved_fail = guard_fail_;
    if (guard_fail_ == 0) guard_fail_ = is_false;
    test(e, is_false);
    guard_fail_ = saved_fail;
    RegSet valid = st_.valid;  // a GC in the test may have dropped registers
    st_ = before;
    st_.valid.intersect(valid);
    Value dst = temp_x();
    emit(Opcode::move, {atom_op("true"), dst.op});
    emit(Opcode::jump, {done});
    place(is_false);
    emit(Opcode::move, {atom_op("false"), dst.op});
    place(done);
    return dst;
}

void ContinueLeaf::run(Row& row, uint32_t fail) {
    g_.bind_row(row, fail);
    out_ = g_.st_;
}

}  // namespace codegen
