// lint_vars: the variable table operations (erl_lint's vtupdate, vtmerge,
// vtnew, vtold, vtunsafe, icrt_export) and the warnings about unused and
// shadowed variables.
//
// Invariant: every VarTable is sorted by variable id with no duplicates, so
// each operation is one linear merge of its two inputs.
#include <algorithm>

#include "compiler/lint_internal.h"

namespace lint {

uint32_t Linter::var_id(std::string_view name) {
    auto [it, inserted] = var_ids_.try_emplace(name, static_cast<uint32_t>(var_names_.size()));
    if (inserted) var_names_.push_back(name);
    return it->second;
}

PosSet Linter::pos_set(Pos pos) {
    PosSet set{static_cast<uint32_t>(pos_pool_.size()), 1};
    pos_pool_.push_back(pos);
    return set;
}

// erl_lint's merge_annos: the ordered union of two position sets.
PosSet Linter::pos_union(PosSet a, PosSet b) {
    if (b.size == 0 || (a.offset == b.offset && a.size == b.size)) return a;
    if (a.size == 0) return b;
    std::vector<Pos> merged;
    merged.reserve(a.size + b.size);
    const Pos* pa = pos_pool_.data() + a.offset;
    const Pos* pb = pos_pool_.data() + b.offset;
    std::set_union(pa, pa + a.size, pb, pb + b.size, std::back_inserter(merged),
                   [](Pos x, Pos y) { return x < y; });
    PosSet set{static_cast<uint32_t>(pos_pool_.size()), static_cast<uint32_t>(merged.size())};
    pos_pool_.insert(pos_pool_.end(), merged.begin(), merged.end());
    return set;
}

// erl_lint's merge_state: an unsafe state wins (it is the error), then an
// export (the warning), then bound.
static void merge_state(VarEntry& into, const VarEntry& other) {
    if (into.state == VarState::Unsafe) return;
    if (other.state == VarState::Unsafe || into.state == VarState::Bound) {
        into.state = other.state;
        into.where = other.where;
    }
}

// Walks two sorted tables; `both` combines entries present in each.
template <class Both>
static VarTable merge_tables(const VarTable& a, const VarTable& b, Both both) {
    VarTable out;
    out.reserve(a.size() + b.size());
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].var < b[j].var) {
            out.push_back(a[i++]);
        } else if (b[j].var < a[i].var) {
            out.push_back(b[j++]);
        } else {
            out.push_back(both(a[i++], b[j++]));
        }
    }
    out.insert(out.end(), a.begin() + i, a.end());
    out.insert(out.end(), b.begin() + j, b.end());
    return out;
}

// The entries of `upd` override those of `vt`, but usage and positions add up.
VarTable Linter::vtupdate(const VarTable& upd, const VarTable& vt) {
    if (upd.empty()) return vt;
    if (vt.empty()) return upd;
    return merge_tables(upd, vt, [&](const VarEntry& u, const VarEntry& v) {
        VarEntry e = u;
        e.used = u.used || v.used;
        e.annos = pos_union(u.annos, v.annos);
        return e;
    });
}

VarTable Linter::vtmerge(const VarTable& a, const VarTable& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return merge_tables(a, b, [&](const VarEntry& x, const VarEntry& y) {
        VarEntry e = x;
        merge_state(e, y);
        e.used = x.used || y.used;
        e.annos = pos_union(x.annos, y.annos);
        return e;
    });
}

// Like vtmerge, but a variable in both tables occurs twice in one pattern,
// which is a comparison: it counts as used. Matching an underscore variable
// twice is suspicious and warned about, at each binding not yet used.
VarTable Linter::vtmerge_pat(const VarTable& a, const VarTable& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return merge_tables(a, b, [&](const VarEntry& x, const VarEntry& y) {
        VarEntry e = x;
        merge_state(e, y);
        e.annos = pos_union(x.annos, y.annos);
        PosSet matched{};
        if (!x.used && !y.used) {
            matched = e.annos;
        } else if (!x.used) {
            matched = x.annos;
        } else if (!y.used) {
            matched = y.annos;
        }
        std::string_view name = var_name(e.var);
        if (matched.size > 0 && name.starts_with('_')) {
            for (uint32_t k = 0; k < matched.size; ++k) {
                warning(pos_pool_[matched.offset + k], fmt_underscore_pat(name));
            }
        }
        e.used = true;
        return e;
    });
}

VarTable Linter::vtnew(const VarTable& nw, const VarTable& old) {
    VarTable out;
    size_t j = 0;
    for (const VarEntry& e : nw) {
        while (j < old.size() && old[j].var < e.var)
            ++j;
        if (j == old.size() || old[j].var != e.var) out.push_back(e);
    }
    return out;
}

VarTable Linter::vtold(const VarTable& nw, const VarTable& old) {
    VarTable out;
    size_t j = 0;
    for (const VarEntry& e : nw) {
        while (j < old.size() && old[j].var < e.var)
            ++j;
        if (j < old.size() && old[j].var == e.var) out.push_back(e);
    }
    return out;
}

VarTable Linter::vt_no_unsafe(const VarTable& vt) {
    VarTable out;
    for (const VarEntry& e : vt) {
        if (e.state != VarState::Unsafe) out.push_back(e);
    }
    return out;
}

VarTable Linter::vt_no_unused(const VarTable& vt) {
    VarTable out;
    for (const VarEntry& e : vt) {
        if (e.used) out.push_back(e);
    }
    return out;
}

// The variables of `upd` that are new (not in `vt`), marked unsafe or
// exported by the construct at `where`.
VarTable Linter::vt_mark_new(VarState state, Where where, const VarTable& upd, const VarTable& vt) {
    VarTable out = vtnew(upd, vt);
    VarEntry marker{0, state, false, where, {}};
    for (VarEntry& e : out) {
        VarEntry merged = marker;
        merge_state(merged, e);
        e.state = merged.state;
        e.where = merged.where;
    }
    return out;
}

// Merges the tables of the clauses of an if/case/receive/try into the table
// the whole construct returns. A new variable bound in every clause is
// exported (usable afterwards); one bound in only some is unsafe. An old
// variable touched by any clause is used.
VarTable Linter::icrt_export(const std::vector<VarTable>& clause_vts, const VarTable& vt,
                             Where where) {
    std::vector<VarEntry> all;
    for (const VarTable& cvt : clause_vts)
        all.insert(all.end(), cvt.begin(), cvt.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const VarEntry& a, const VarEntry& b) { return a.var < b.var; });
    const size_t num_clauses = clause_vts.size();
    VarTable out;
    size_t j = 0;
    for (size_t i = 0; i < all.size();) {
        size_t end = i;
        while (end < all.size() && all[end].var == all[i].var)
            ++end;
        uint32_t var = all[i].var;
        while (j < vt.size() && vt[j].var < var)
            ++j;
        if (j < vt.size() && vt[j].var == var) {
            out.push_back(export_old_var(vt[j], all, i, end));
        } else {
            out.push_back(export_new_var(all, i, end, num_clauses, where));
        }
        i = end;
    }
    return out;
}

// An old variable used in some clause: it stays exported only if it was
// exported before and no clause rebound it; otherwise it is plainly bound.
VarEntry Linter::export_old_var(const VarEntry& old, const std::vector<VarEntry>& all, size_t begin,
                                size_t end) {
    VarEntry e = old;
    e.used = true;
    bool rebound = false;
    for (size_t k = begin; k < end; ++k)
        rebound |= all[k].state == VarState::Bound;
    if (old.state != VarState::Export || rebound) {
        e.state = VarState::Bound;
        return e;
    }
    for (size_t k = begin; k < end; ++k)
        merge_state(e, all[k]);
    return e;
}

VarEntry Linter::export_new_var(const std::vector<VarEntry>& all, size_t begin, size_t end,
                                size_t num_clauses, Where where) {
    VarEntry e{all[begin].var, VarState::Export, false, where, {}};
    for (size_t k = begin; k < end; ++k) {
        const VarEntry& c = all[k];
        if (c.state == VarState::Unsafe) {
            if (e.state == VarState::Unsafe) {
                e.where = where;
            } else {
                e.state = VarState::Unsafe;
                e.where = c.where;
            }
        }
        if (!c.used) e.annos = pos_union(e.annos, c.annos);
    }
    if (end - begin != num_clauses) {
        e.state = VarState::Unsafe;
        e.where = where;
    }
    e.used = e.annos.size == 0;
    return e;
}

// Warns about the variables of `vt` that are unused, not in `vt0` and not
// named with a leading underscore.
void Linter::check_unused_vars(const VarTable& vt, const VarTable& vt0) {
    VarTable unused;
    for (const VarEntry& e : vt) {
        if (!e.used && !var_name(e.var).starts_with('_')) unused.push_back(e);
    }
    warn_unused(vtnew(unused, vt0));
}

void Linter::check_old_unused_vars(const VarTable& vt, const VarTable& vt0) {
    VarTable unused;
    for (const VarEntry& e : vtold(vt, vt0)) {
        if (!e.used && !var_name(e.var).starts_with('_')) unused.push_back(e);
    }
    warn_unused(unused);
}

void Linter::warn_unused(const VarTable& unused) {
    if (nowarn_unused_vars_) return;
    for (const VarEntry& e : unused) {
        for (uint32_t k = 0; k < e.annos.size; ++k) {
            warning(pos_pool_[e.annos.offset + k],
                    "variable " + format_var(var_name(e.var)) + " is unused",
                    desc_key(2, "unused_var", var_name(e.var)));
        }
    }
}

// Warns about each variable of `bound` that shadows a (safe) variable of
// `vt0`, at its first binding.
void Linter::shadow_vars(const VarTable& bound, const VarTable& vt0, const char* in) {
    if (nowarn_shadow_vars_) return;
    for (const VarEntry& e : vtold(bound, vt_no_unsafe(vt0))) {
        if (e.annos.size == 0) continue;
        warning(pos_pool_[e.annos.offset],
                "variable " + format_var(var_name(e.var)) + " shadowed in " + in,
                desc_key(3, "shadowed_var", var_name(e.var)));
    }
}

std::string fmt_underscore_pat(std::string_view name) {
    return "variable " + format_var(name) +
           " is bound multiple times in this pattern. If you mean to ignore this value, "
           "use '_' or a different underscore-prefixed name";
}

}  // namespace lint
