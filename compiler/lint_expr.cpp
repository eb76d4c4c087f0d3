// lint_expr: erl_lint's checks inside function bodies: expressions (with the
// scoping rules of case/if/receive/try/catch/funs/comprehensions), patterns,
// records and maps in both, and function clauses.
//
// Every check takes the environment `vt` and returns the table of variables
// the construct used or bound; callers fold that into their environment.
// Guards and bit syntax live in lint_guard.cpp.
#include <fmt/core.h>

#include "compiler/lint_internal.h"

namespace lint {

using token::Kind;  // token kinds, for operators
using NK = ast::Kind;

static std::span<Node* const> kids(const Node* n) {
    if (n == nullptr) return {};
    return {n->kids, n->num_kids};
}

static std::span<Node* const> kids_from(const Node* n, size_t first) {
    std::span<Node* const> all = kids(n);
    return first >= all.size() ? std::span<Node* const>{} : all.subspan(first);
}

static bool is_atom(const Node* n) {
    return n != nullptr && n->kind == NK::Atom;
}

// Clause parts; any may be null in a malformed tree.
static const Node* patterns_of(const Node* clause) {
    return clause->kid(0);
}
static const Node* guard_of(const Node* clause) {
    return clause->kid(1);
}
static const Node* body_of(const Node* clause) {
    return clause->kid(2);
}

static bool is_auto_bif(std::string_view name, int64_t arity) {
    return bif_info(name, arity) != nullptr;
}

static bool is_old_bif(std::string_view name, int64_t arity) {
    const BifFlags* bif = bif_info(name, arity);
    return bif != nullptr && bif->old;
}

bool auto_imported_bif(std::string_view name, int64_t arity) {
    return is_auto_bif(name, arity);
}

// ---- function clauses ----

void Linter::function_clause(const Node* clause) {
    const VarTable vt0;
    PatResult h = head(patterns_of(clause), vt0, vt0);
    VarTable vt1 = vtupdate(h.used, vtupdate(h.bound, vt0));
    VarTable vt2 = vtupdate(guard(guard_of(clause), vt1), vt1);
    VarTable body = exprs(body_of(clause), vt2);
    check_unused_vars(vtupdate(body, vt2), vt0);
}

// ---- expression sequences ----

VarTable Linter::exprs(const Node* body, const VarTable& vt) {
    return exprs(kids(body), vt);
}

VarTable Linter::exprs(std::span<Node* const> list, const VarTable& vt) {
    if (list.empty()) return {};
    VarTable evt = expr(list[0], vt);
    if (list.size() == 1) return evt;
    VarTable rest = exprs(list.subspan(1), vtupdate(evt, vt));
    return vtupdate(evt, rest);
}

// The elements of a tuple, list, call...: each sees the same environment;
// a variable bound in two of them is compared, hence used.
VarTable Linter::expr_list(std::span<Node* const> list, const VarTable& vt) {
    VarTable out;
    for (const Node* e : list)
        out = vtmerge_pat(expr(e, vt), out);
    return out;
}

VarTable Linter::expr_var(const Node* var, const VarTable& vt) {
    if (bin_bound_ != nullptr) {
        // A variable in a binary segment's size: it may be bound earlier in
        // the same binary pattern.
        uint32_t id = var_id(var->text);
        for (VarEntry& e : *bin_bound_) {
            if (e.var == id) {
                e.used = true;
                return {};
            }
        }
    }
    uint32_t id = var_id(var->text);
    auto it = std::lower_bound(vt.begin(), vt.end(), id,
                               [](const VarEntry& e, uint32_t v) { return e.var < v; });
    if (it == vt.end() || it->var != id) {
        error(var->pos, "variable " + format_var(var->text) + " is unbound");
        return {VarEntry{id, VarState::Bound, true, {}, pos_set(var->pos)}};
    }
    VarEntry e = *it;
    e.used = true;
    switch (it->state) {
        case VarState::Unsafe:
            error(var->pos, fmt::format("variable {} unsafe in '{}' (line {}, column {})",
                                        format_var(var->text), it->where.tag, it->where.pos.line,
                                        it->where.pos.column));
            e.state = VarState::Bound;
            break;
        case VarState::Stacktrace:
            error(var->pos,
                  "stacktrace variable " + format_var(var->text) + " must not be used in a guard");
            e.state = VarState::Bound;
            break;
        case VarState::Export:
        case VarState::Bound:
            break;
    }
    return {e};
}

// ---- expressions ----

VarTable Linter::expr(const Node* e, const VarTable& vt) {
    if (e == nullptr) return {};
    switch (e->kind) {
        case NK::Var:
            return expr_var(e, vt);
        case NK::Integer:
        case NK::Float:
        case NK::Atom:
        case NK::Char:
        case NK::String:
        case NK::Nil:
            return {};
        case NK::Cons:
        case NK::Tuple:
            return expr_list(kids(e), vt);
        case NK::Map:
        case NK::MapUpdate:
            return expr_map(e, vt, false);
        case NK::Record:
            return expr_record(e, vt, false);
        case NK::RecordUpdate:
            return expr_record_update(e, vt);
        case NK::RecordAccess:
            return expr_record_access(e, vt, false);
        case NK::RecordIndex:
            return expr_record_index(e);
        case NK::Binary:
            return expr_bin(e, vt, false);
        case NK::Block:
            return exprs(kids(e), vt);
        case NK::If:
            return icrt_clauses(kids(e), {"if", e->pos}, vt);
        case NK::Case: {
            VarTable evt = expr(e->kid(0), vt);
            VarTable cvt = icrt_clauses(kids_from(e, 1), {"case", e->pos}, vtupdate(evt, vt));
            return vtmerge(evt, cvt);
        }
        case NK::Receive:
            return expr_receive(e, vt);
        case NK::Try:
            return expr_try(e, vt);
        case NK::Catch: {
            VarTable evt = expr(e->kid(0), vt);
            return vtupd_unsafe({"catch", e->pos}, evt, vt);
        }
        case NK::Match: {
            VarTable evt = expr(e->kid(1), vt);
            PatResult p = pattern(e->kid(0), vtupdate(evt, vt), vtupdate(evt, vt));
            return vtupdate(p.bound, vtmerge(evt, p.used));
        }
        case NK::UnaryOp:
            return expr(e->kid(0), vt);
        case NK::BinaryOp:
            if (e->op == Kind::KwAndalso || e->op == Kind::KwOrelse) {
                VarTable evt1 = expr(e->kid(0), vt);
                VarTable vt1 = vtupdate(evt1, vt);
                VarTable evt2 = expr(e->kid(1), vt1);
                const char* tag = e->op == Kind::KwAndalso ? "andalso" : "orelse";
                return vtmerge(evt1, vtupd_unsafe({tag, e->pos}, evt2, vt1));
            }
            return expr_list(kids(e), vt);
        case NK::Call:
            return expr_call(e, vt);
        case NK::FunRef:
            return expr_funref(e, vt);
        case NK::Fun:
            return expr_fun(e, vt);
        case NK::ListComp:
        case NK::BinComp:
            return comprehension(e, vt);
        case NK::Remote: {
            const Node* m = e->kid(0);
            error(m != nullptr ? m->pos : e->pos, "illegal expression");
            return {};
        }
        default:
            return {};
    }
}

VarTable Linter::expr_receive(const Node* e, const VarTable& vt) {
    std::span<Node* const> all = kids(e);
    const Node* after = nullptr;
    if (!all.empty() && all.back() != nullptr && all.back()->kind == NK::After) {
        after = all.back();
        all = all.first(all.size() - 1);
    }
    Where where{"receive", e->pos};
    if (after == nullptr) return icrt_clauses(all, where, vt);
    VarTable tvt = expr(after->kid(0), vt);
    VarTable tevt = exprs(after->kid(1), vt);
    std::vector<VarTable> clause_vts = icrt_clause_list(all, vt, false);
    clause_vts.insert(clause_vts.begin(), tevt);
    VarTable rvt = icrt_export(clause_vts, vt, where);
    return vtmerge(rvt, vtmerge(tevt, tvt));
}

// try: variables bound in the body are usable in the of-clauses but unsafe
// in the catch clauses and after the try; the clauses export nothing safe.
VarTable Linter::expr_try(const Node* e, const VarTable& vt) {
    Where where{"try", e->pos};
    VarTable evt0 = exprs(e->kid(0), vt);
    VarTable uvt = vtunsafe(where, evt0, vt);
    std::vector<VarTable> clause_vts = icrt_clause_list(kids(e->kid(1)), vtupdate(evt0, vt), false);
    std::vector<VarTable> catch_vts =
        icrt_clause_list(kids(e->kid(2)), vtupdate(uvt, vtupdate(evt0, vt)), true);
    clause_vts.insert(clause_vts.end(), catch_vts.begin(), catch_vts.end());
    VarTable sccs = icrt_export(clause_vts, vtupdate(evt0, vt), where);
    VarTable evt1 = vtupdate(uvt, evt0);
    VarTable evt2 = vtmerge(evt1, vtupd_unsafe(where, sccs, vt));
    VarTable avt0 = exprs(e->kid(3), vtupdate(evt2, vt));
    return vtmerge(evt2, vtupd_unsafe(where, avt0, vt));
}

VarTable Linter::icrt_clauses(std::span<Node* const> clauses, Where where, const VarTable& vt) {
    return icrt_export(icrt_clause_list(clauses, vt, false), vt, where);
}

std::vector<VarTable> Linter::icrt_clause_list(std::span<Node* const> clauses, const VarTable& vt,
                                               bool catch_clauses) {
    std::vector<VarTable> out;
    out.reserve(clauses.size());
    for (const Node* c : clauses) {
        if (c != nullptr && c->kind == NK::Clause) out.push_back(icrt_clause(c, vt, catch_clauses));
    }
    return out;
}

VarTable Linter::icrt_clause(const Node* clause, const VarTable& vt0, bool catch_clause) {
    const Node* patterns = patterns_of(clause);
    PatResult h = head(patterns, vt0, vt0);
    VarTable vt1 = vtupdate(h.used, h.bound);
    VarTable guard_env = vtupdate(vt1, vt0);
    const Node* stack = catch_clause && patterns != nullptr ? patterns->kid(2) : nullptr;
    if (stack != nullptr && stack->kind == NK::Var && stack->text != "_") {
        // The stack trace variable must be fresh and may not be used in the
        // guard.
        uint32_t id = var_id(stack->text);
        for (VarEntry& v : guard_env) {
            if (v.var != id) continue;
            if (v.used) {
                error(stack->pos, "stacktrace variable " + format_var(stack->text) +
                                      " must not be previously bound");
            }
            v.state = VarState::Stacktrace;
            v.used = false;
            v.annos = pos_set(stack->pos);
        }
    }
    VarTable vt2 = vtupdate(guard(guard_of(clause), guard_env), vt1);
    VarTable bvt = exprs(body_of(clause), vtupdate(vt2, vt0));
    return vtupdate(bvt, vt2);
}

// ---- calls ----

VarTable Linter::expr_call(const Node* call, const VarTable& vt) {
    const Node* callee = call->kid(0);
    std::span<Node* const> args = kids_from(call, 1);
    if (callee == nullptr) return expr_list(args, vt);
    bool erlang_remote = callee->kind == NK::Remote && is_atom(callee->kid(0)) &&
                         callee->kid(0)->text == "erlang" && is_atom(callee->kid(1));
    std::string_view fname = is_atom(callee) ? callee->text
                             : erlang_remote ? callee->kid(1)->text
                                             : std::string_view{};
    if (fname == "is_record" && args.size() == 2 && is_atom(args[1]) && args[0] != nullptr) {
        VarTable rvt = expr(args[0], vt);
        if (find_record(args[1]->text) == nullptr) {
            error(args[1]->pos, "record " + quote_atom(args[1]->text) + " undefined");
        }
        return rvt;
    }
    if (callee->kind == NK::Remote) {
        if (is_atom(callee->kid(0)) && is_atom(callee->kid(1))) return expr_list(args, vt);
        std::vector<Node*> all{callee->kid(0), callee->kid(1)};
        all.insert(all.end(), args.begin(), args.end());
        return expr_list(all, vt);
    }
    if (!is_atom(callee)) {
        std::vector<Node*> all{const_cast<Node*>(callee)};
        all.insert(all.end(), args.begin(), args.end());
        return expr_list(all, vt);
    }
    VarTable asvt = expr_list(args, vt);
    FA fa{callee->text, static_cast<int64_t>(args.size())};
    bool local = is_local(fa);
    bool bif = is_auto_bif(fa.name, fa.arity);
    bool suppressed = auto_import_suppressed(fa);
    bool imported = is_imported(fa);
    if (!local && !imported && bif && !suppressed) return asvt;  // a call to erlang:F/A
    if (imported) {
        used_imports_.insert(fa);
        return asvt;
    }
    if (fa.name == "record_info" && fa.arity == 2) {
        check_record_info_call(call);
        return asvt;
    }
    if (!suppressed && bif && !nowarn_bif_clash_) {
        std::string clash = fmt::format(
            " - use erlang:{0}/{1} or \"-compile({{no_auto_import,[{0}/{1}]}}).\" to resolve "
            "name clash",
            quote_atom(fa.name), fa.arity);
        std::string what = fmt::format("{}/{}", quote_atom(fa.name), fa.arity);
        if (is_old_bif(fa.name, fa.arity)) {
            error(call->pos,
                  "ambiguous call of overridden pre R14 auto-imported BIF " + what + "\n" + clash);
        } else {
            warning(call->pos,
                    "ambiguous call of overridden auto-imported BIF " + what + "\n" + clash);
        }
    }
    if (!(fa == func_)) call_function(call->pos, fa);
    return asvt;
}

void Linter::check_record_info_call(const Node* call) {
    const Node* info = call->kid(1);
    const Node* name = call->kid(2);
    if (is_atom(info) && is_atom(name)) {
        if (info->text == "fields" || info->text == "size") {
            if (find_record(name->text) == nullptr) {
                error(call->kid(0)->pos, "record " + quote_atom(name->text) + " undefined");
            }
        } else {
            error(info->pos, "illegal record info");
        }
        return;
    }
    error(call->pos, "illegal record info");
}

VarTable Linter::expr_funref(const Node* ref, const VarTable& vt) {
    if (ref->num_kids == 3) return expr_list(kids(ref), vt);  // fun M:F/A
    FA fa{ref->text, ref->int_value};
    if (fa.name == "record_info" && fa.arity == 2) {
        error(ref->pos, "illegal record info");
        return {};
    }
    bool bif = !is_local(fa) && is_auto_bif(fa.name, fa.arity) && !auto_import_suppressed(fa);
    if (!bif) call_function(ref->pos, fa);
    return {};
}

// ---- funs ----

VarTable Linter::expr_fun(const Node* fun, const VarTable& vt) {
    bool named = !fun->text.empty() && fun->text != "_";
    VarTable env = vt;
    VarTable name_vt;
    if (named) {
        name_vt.push_back(
            VarEntry{var_id(fun->text), VarState::Bound, false, {}, pos_set(fun->pos)});
        shadow_vars(name_vt, vt, "'named fun'");
        env = vtupdate(vtnew(vt, name_vt), name_vt);
    }
    bool old_recdef = recdef_top_;
    recdef_top_ = false;
    VarTable bvt;
    for (const Node* c : kids(fun)) {
        if (c == nullptr || c->kind != NK::Clause) continue;
        const VarTable& vt0 = env;
        PatResult h = head(patterns_of(c), vt0, {});
        VarTable vt1 = vtupdate(h.used, vt0);
        shadow_vars(h.bound, vt0, "'fun'");
        VarTable vt2 = vtupdate(vtnew(vt1, h.bound), h.bound);
        VarTable vt3 = vtupdate(guard(guard_of(c), vt2), vt2);
        VarTable cvt = vtupdate(exprs(body_of(c), vt3), vt3);
        check_unused_vars(cvt, vt0);
        VarTable svt = vtold(vt1, h.bound);
        check_old_unused_vars(cvt, svt);
        VarTable vt4 = vtmerge(svt, vtnew(cvt, svt));
        bvt = vtmerge(vtold(vt4, vt0), bvt);
    }
    recdef_top_ = old_recdef;
    VarTable uvt = vt_no_unsafe(vt_no_unused(vtold(bvt, env)));
    if (!named) return uvt;
    check_unused_vars(vtupdate(uvt, name_vt), {});
    return vtold(uvt, vt);
}

// ---- comprehensions ----

VarTable Linter::comprehension(const Node* e, const VarTable& vt0) {
    bool old_recdef = recdef_top_;
    recdef_top_ = false;
    VarTable vt = vt0;
    VarTable uvt;  // the states of shadowed variables
    for (const Node* q : kids_from(e, 1)) {
        if (q == nullptr) continue;
        if (q->kind == NK::Generate || q->kind == NK::BinGenerate) {
            VarTable evt = expr(q->kid(1), vt);
            VarTable vt1 = vtupdate(vtold(evt, vt), vt);
            check_unused_vars(evt, vt);
            PatResult p = pattern(q->kid(0), vt1, {});
            VarTable vt2 = vtupdate(p.used, vt1);
            shadow_vars(p.bound, vt1, "generate");
            VarTable svt = vtold(vt2, p.bound);
            check_old_unused_vars(svt, uvt);
            uvt = vtupdate(vtnew(svt, uvt), uvt);
            vt = vtupdate(vtnew(vt2, p.bound), p.bound);
        } else {
            VarTable fvt = is_guard_test(q) ? guard_test(q, vt) : expr(q, vt);
            vt = vtupdate(fvt, vt);
        }
    }
    recdef_top_ = old_recdef;
    VarTable vt2 = vtupdate(expr(e->kid(0), vt), vt);
    check_old_unused_vars(vt2, uvt);
    check_unused_vars(uvt, vt0);
    check_unused_vars(vt2, vt0);
    VarTable vt3 = vtmerge(vtnew(vt2, uvt), uvt);
    return vt_no_unsafe(vt_no_unused(vtold(vt3, vt0)));
}

// ---- records ----

const RecordDef* Linter::find_record(std::string_view name) {
    auto it = records_.find(name);
    if (it == records_.end()) return nullptr;
    used_records_.insert(name);
    return &it->second;
}

// Looks the record up, reporting "record r undefined" at `pos` if missing.
bool Linter::record_check(const Node* e, Pos pos, std::string_view name, const RecordDef** def) {
    *def = find_record(name);
    if (*def == nullptr) error(pos, "record " + quote_atom(name) + " undefined");
    return *def != nullptr;
}

static bool has_field(const RecordDef& def, std::string_view field) {
    return std::find(def.fields.begin(), def.fields.end(), field) != def.fields.end();
}

void Linter::record_field_exists(const RecordDef& def, std::string_view field, Pos pos) {
    if (has_field(def, field)) return;
    error(pos, "field " + quote_atom(field) + " undefined in record " + quote_atom(def.decl->text));
}

// `#r.f` and `E#r.f` carry one position, the '#'; the field name follows
// `#r.` directly in ordinary source. Checks that the field exists.
void Linter::record_field_after_hash(const RecordDef& def, const Node* e) {
    if (has_field(def, e->name2)) return;  // the common case: no position needed
    Pos pos{e->pos.line, e->pos.column + 2 + static_cast<uint32_t>(quote_atom(e->text).size())};
    record_field_exists(def, e->name2, pos);
}

VarTable Linter::expr_record_index(const Node* e) {
    const RecordDef* def;
    if (record_check(e, e->pos, e->text, &def)) {
        record_field_after_hash(*def, e);
    }
    return {};
}

VarTable Linter::expr_record_access(const Node* e, const VarTable& vt, bool in_guard) {
    VarTable rvt = in_guard ? gexpr(e->kid(0), vt) : expr(e->kid(0), vt);
    const RecordDef* def;
    if (record_check(e, e->pos, e->text, &def)) {
        record_field_after_hash(*def, e);
    }
    return rvt;
}

// Checks the fields of a record construction, update or pattern: each
// named at most once, each defined. `check` handles each value.
template <class Check>
static VarTable check_fields(Linter& l, const RecordDef& def, std::span<Node* const> fields,
                             Check check) {
    VarTable out;
    std::vector<std::string_view> seen;
    for (const Node* f : fields) {
        if (f == nullptr || f->kind != NK::RecordField) continue;
        if (std::find(seen.begin(), seen.end(), f->text) != seen.end()) {
            if (f->text == "_") {
                l.error(f->pos, "'_' initializes no omitted fields");
            } else {
                l.error(f->pos, "field " + quote_atom(f->text) + " already defined in record " +
                                    quote_atom(def.decl->text));
            }
            continue;
        }
        seen.push_back(f->text);
        if (f->text != "_" &&
            std::find(def.fields.begin(), def.fields.end(), f->text) == def.fields.end()) {
            l.error(f->pos, "field " + quote_atom(f->text) + " undefined in record " +
                                quote_atom(def.decl->text));
            continue;
        }
        out = l.vtmerge_pat(out, check(f->kid(0)));
    }
    return out;
}

VarTable Linter::expr_record(const Node* e, const VarTable& vt, bool in_guard) {
    const RecordDef* def;
    if (!record_check(e, e->pos, e->text, &def)) return {};
    VarTable out = check_fields(
        *this, *def, kids(e), [&](const Node* v) { return in_guard ? gexpr(v, vt) : expr(v, vt); });
    if (!in_guard) use_default_calls(e, *def);
    return out;
}

// Creating a record evaluates the defaults of the fields it does not name,
// so the local functions they call are used by the creating function (erlc:
// a function called only from such a default is not "unused"). A `_ = V`
// field does not count as naming the others here, as in erl_lint.
void Linter::use_default_calls(const Node* e, const RecordDef& def) {
    for (size_t i = 0; i < def.fields.size(); ++i) {
        if (def.defaults[i] == nullptr) continue;
        bool named = false;
        for (const Node* f : kids(e)) {
            named |= f != nullptr && f->kind == NK::RecordField && f->text == def.fields[i];
        }
        if (named) continue;
        std::vector<const Node*> pending{def.defaults[i]};
        while (!pending.empty()) {
            const Node* n = pending.back();
            pending.pop_back();
            if (n->kind == NK::Call && is_atom(n->kid(0))) {
                FA fa{n->kid(0)->text, static_cast<int64_t>(n->num_kids) - 1};
                if (is_local(fa) && !(fa == func_)) calls_[func_].push_back(fa);
            } else if (n->kind == NK::FunRef && n->num_kids == 0) {
                FA fa{n->text, n->int_value};
                if (is_local(fa) && !(fa == func_)) calls_[func_].push_back(fa);
            }
            for (const Node* kid : n->children()) {
                if (kid != nullptr) pending.push_back(kid);
            }
        }
    }
}

VarTable Linter::expr_record_update(const Node* e, const VarTable& vt) {
    VarTable rvt = expr(e->kid(0), vt);
    const RecordDef* def;
    if (!record_check(e, e->pos, e->text, &def)) return rvt;
    VarTable uvt =
        check_fields(*this, *def, kids_from(e, 1), [&](const Node* v) { return expr(v, vt); });
    return vtmerge(rvt, uvt);
}

// ---- maps ----

VarTable Linter::expr_map(const Node* e, const VarTable& vt, bool in_guard) {
    std::span<Node* const> fields = kids(e);
    VarTable svt;
    if (e->kind == NK::MapUpdate) {
        svt = in_guard ? gexpr(e->kid(0), vt) : expr(e->kid(0), vt);
        fields = kids_from(e, 1);
    } else {
        for (const Node* f : fields) {
            if (f != nullptr && f->op == Kind::ColonEq) {
                error(f->pos, "only association operators '=>' are allowed in map construction");
            }
        }
    }
    VarTable fvt;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
        if (*it == nullptr) continue;
        VarTable pvt = in_guard ? gexpr_list(kids(*it), vt) : expr_list(kids(*it), vt);
        fvt = vtupdate(pvt, fvt);
    }
    return e->kind == NK::MapUpdate ? vtmerge(svt, fvt) : fvt;
}

// ---- patterns ----

PatResult Linter::head(const Node* patterns, const VarTable& vt, const VarTable& old) {
    PatResult out;
    std::span<Node* const> ps = kids(patterns);
    for (auto it = ps.rbegin(); it != ps.rend(); ++it) {
        if (*it == nullptr) continue;
        PatResult p = pattern(*it, vt, old);
        out.used = vtmerge_pat(p.used, out.used);
        out.bound = vtmerge_pat(p.bound, out.bound);
    }
    return out;
}

PatResult Linter::pattern_list(std::span<Node* const> ps, const VarTable& vt, const VarTable& old) {
    PatResult out;
    for (const Node* p : ps) {
        if (p == nullptr) continue;
        PatResult r = pattern(p, vt, old);
        out.used = vtmerge_pat(r.used, out.used);
        out.bound = vtmerge_pat(out.bound, r.bound);
    }
    return out;
}

static const VarEntry* lookup(const VarTable& vt, uint32_t id) {
    auto it = std::lower_bound(vt.begin(), vt.end(), id,
                               [](const VarEntry& e, uint32_t v) { return e.var < v; });
    return it != vt.end() && it->var == id ? &*it : nullptr;
}

static std::string underscore_match(std::string_view name) {
    return "variable " + format_var(name) +
           " is already bound. If you mean to ignore this value, use '_' or a different "
           "underscore-prefixed name";
}

// A variable in a pattern: a new binding, or a comparison with a variable
// bound earlier (in `old`, or earlier in the same pattern, `nw`).
PatResult Linter::pat_var(const Node* var, const VarTable& old, const VarTable& nw) {
    uint32_t id = var_id(var->text);
    bool underscore = var->text.starts_with('_');
    if (const VarEntry* e = lookup(nw, id)) {
        if (underscore) warning(var->pos, underscore_match(var->text));
        return {{}, {VarEntry{id, VarState::Bound, true, {}, e->annos}}};
    }
    const VarEntry* e = lookup(old, id);
    if (e == nullptr) {
        if (recdef_top_) {
            error(var->pos, "variable " + format_var(var->text) + " in record definition");
        }
        return {{}, {VarEntry{id, VarState::Bound, false, {}, pos_set(var->pos)}}};
    }
    switch (e->state) {
        case VarState::Unsafe:
            error(var->pos, fmt::format("variable {} unsafe in '{}' (line {}, column {})",
                                        format_var(var->text), e->where.tag, e->where.pos.line,
                                        e->where.pos.column));
            break;
        case VarState::Export:
            if (underscore) warning(var->pos, underscore_match(var->text));
            warning(var->pos, fmt::format("variable {} exported from '{}' (line {}, column {})",
                                          format_var(var->text), e->where.tag, e->where.pos.line,
                                          e->where.pos.column));
            break;
        default:
            if (underscore) warning(var->pos, underscore_match(var->text));
            break;
    }
    return {{VarEntry{id, VarState::Bound, true, {}, e->annos}}, {}};
}

PatResult Linter::pattern(const Node* p, const VarTable& vt, const VarTable& old) {
    if (p == nullptr) return {};
    switch (p->kind) {
        case NK::Var:
            if (p->text == "_") return {};
            return pat_var(p, old, {});
        case NK::Integer:
        case NK::Float:
        case NK::Atom:
        case NK::Char:
        case NK::String:
        case NK::Nil:
            return {};
        case NK::Cons:
        case NK::Tuple:
        case NK::Match:
            return pattern_list(kids(p), vt, old);
        case NK::Map:
            return pattern_map(p, vt, old);
        case NK::Record:
            return pattern_record(p, vt, old);
        case NK::RecordIndex:
            expr_record_index(p);
            return {};
        case NK::Binary:
            return pattern_bin(p, vt, old);
        case NK::BinaryOp:
            if (p->op == Kind::PlusPlus) return pattern_string_prefix(p, vt, old);
            break;
        default:
            break;
    }
    if (!is_pattern_expr(p)) error(p->pos, "illegal pattern");
    return {};
}

// `"abc" ++ T` and `[$a, $b] ++ T`: a literal prefix, then any pattern.
PatResult Linter::pattern_string_prefix(const Node* p, const VarTable& vt, const VarTable& old) {
    const Node* left = p->kid(0);
    while (left != nullptr && left->kind == NK::Cons && left->kid(0) != nullptr &&
           (left->kid(0)->kind == NK::Char || left->kid(0)->kind == NK::Integer)) {
        left = left->kid(1);
    }
    if (left != nullptr && (left->kind == NK::Nil || left->kind == NK::String)) {
        return pattern(p->kid(1), vt, old);
    }
    if (!is_pattern_expr(p)) error(p->pos, "illegal pattern");
    return {};
}

PatResult Linter::pattern_record(const Node* p, const VarTable& vt, const VarTable& old) {
    const RecordDef* def;
    if (!record_check(p, p->pos, p->text, &def)) return {};
    PatResult out;
    out.used = check_fields(*this, *def, kids(p), [&](const Node* v) {
        PatResult r = pattern(v, vt, old);
        out.bound = vtmerge_pat(out.bound, r.bound);
        return r.used;
    });
    return out;
}

PatResult Linter::pattern_map(const Node* p, const VarTable& vt, const VarTable& old) {
    PatResult out;
    for (const Node* f : kids(p)) {
        if (f == nullptr) continue;
        if (f->op != Kind::ColonEq) {
            error(f->pos, "illegal pattern");
            continue;
        }
        GuardContext saved = gexpr_context_;
        gexpr_context_ = GuardContext::MapKey;
        VarTable kvt = gexpr(f->kid(0), vt);
        gexpr_context_ = saved;
        PatResult v = pattern(f->kid(1), vt, old);
        out.used = vtmerge_pat(vtmerge_pat(kvt, v.used), out.used);
        out.bound = vtmerge_pat(out.bound, v.bound);
    }
    return out;
}

}  // namespace lint
