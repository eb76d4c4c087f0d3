// lint_internal: the checker's state, shared by lint.cpp (module level:
// forms, functions, records, exports, imports, the checks made after all
// forms are seen), lint_expr.cpp (expressions, patterns, guards, bit syntax)
// and lint_vars.cpp (the variable table).
//
// The variable table follows erl_lint's design: every construct returns the
// table of the variables it used or bound (never the whole environment), and
// the caller merges it into its environment with vtupdate/vtmerge. Tables are
// small vectors sorted by variable id, so merges are linear and no table is
// ever scanned per variable. A variable's entry records its state (bound,
// unsafe because bound in only some branches of a case, exported from a
// case, a try's stack trace), whether it was used, and the positions where
// it was bound (the places an "unused" warning points at).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/ast.h"
#include "compiler/behaviour.h"
#include "compiler/diag.h"
#include "compiler/lint.h"

namespace lint {

using ast::Node;
using token::Pos;

inline bool operator<(Pos a, Pos b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
}
inline bool operator==(Pos a, Pos b) {
    return a.line == b.line && a.column == b.column;
}

// ---- variable table ----

enum class VarState : uint8_t { Bound, Unsafe, Export, Stacktrace };

// The construct that made a variable unsafe or exported: its keyword
// ("case", "try", ...) and position, quoted in messages.
struct Where {
    const char* tag = "";
    Pos pos;
};

// A set of positions, stored in the Linter's pool: [offset, offset + size).
// Sets are immutable once made, so entries can share them.
struct PosSet {
    uint32_t offset = 0;
    uint32_t size = 0;
};

struct VarEntry {
    uint32_t var;  // id in Linter::var_names
    VarState state;
    bool used;
    Where where;  // meaningful when state is Unsafe or Export
    PosSet annos;
};

using VarTable = std::vector<VarEntry>;  // sorted by var, no duplicates

// The result of checking a pattern: the table of old variables it used
// (`Vt` in erl_lint) and the table of variables it binds (`New`).
struct PatResult {
    VarTable used;
    VarTable bound;
};

struct FA {
    std::string_view name;
    int64_t arity;
    bool operator==(const FA& o) const { return arity == o.arity && name == o.name; }
};
struct FAHash {
    size_t operator()(const FA& fa) const {
        return std::hash<std::string_view>()(fa.name) * 31 + static_cast<size_t>(fa.arity);
    }
};
using FASet = std::unordered_set<FA, FAHash>;

// A -behaviour attribute and the callbacks it requires (those not optional,
// and optional ones the module exports), for the conflict check.
struct BehaviourUse {
    const Node* attr;
    std::string file;
    std::vector<behaviour::Callback> required;
};

struct RecordDef {
    Pos pos;
    std::string file;
    const Node* decl;                      // the RecordDecl
    std::vector<std::string_view> fields;  // unique field names, in order
    std::vector<const Node*> defaults;     // default expr per field, or null
};

// The type variables seen in one check_type group (a type definition with
// its parameters, one spec signature with its constraints, a record's field
// types): a variable seen once, not named _*, is an error.
struct TypeVar {
    std::string_view name;
    Pos pos;  // of its first occurrence
    bool multiple;
};
using TypeVars = std::vector<TypeVar>;

// What kind of guard expression is being checked: errors are worded after
// it (a bad expression in a binary size is an "illegal bit size").
enum class GuardContext : uint8_t { Guard, BinSegSize, MapKey };

struct Called {
    FA fa;
    Pos pos;
    std::string file;
};

class Linter {
  public:
    Linter(const ast::Module& module, diag::Reporter& reporter);
    void run();

    // ---- lint.cpp: module level ----
    void prescan();
    void form(const Node* form);
    void attribute_form(const Node* form);
    void function_state_form(const Node* form);
    void nowarn_records(const Node* names);
    void compile_option(const Node* opt);
    void on_load_attr(const Node* attr);
    void check_on_load();
    void function_form(const Node* fn);
    void record_def(const Node* decl);
    void export_attr(const Node* attr);
    void import_attr(const Node* attr);
    void post_traversal();
    void check_behaviours();
    void check_behaviour_conflicts(const std::vector<BehaviourUse>& uses);
    bool is_exported(FA fa) const { return export_all_ ? is_local(fa) : exports_.count(fa) > 0; }
    void check_undefined_functions();
    void check_unused_functions();
    void check_unused_records();
    void check_module_file_name();
    void call_function(Pos pos, FA fa);
    bool is_local(FA fa) const { return locals_.count(fa) > 0; }
    bool is_imported(FA fa) const { return imports_.count(fa) > 0; }
    bool auto_import_suppressed(FA fa) const;
    const RecordDef* find_record(std::string_view name);

    // ---- lint_types.cpp: types and specs ----
    void type_attr(const Node* attr);
    void type_def(const Node* attr);
    void spec_decl(const Node* attr);
    void callback_decl(const Node* attr);
    void check_sigs(const Node* attr, const char* wrong_arity);
    void export_type_attr(const Node* attr);
    void export_type_term(const Node* attr);
    void export_types(Pos pos, const std::vector<FA>& fas);
    void record_field_types(const Node* decl);
    void check_types(std::span<const Node* const> types);
    void check_type(const Node* t, TypeVars& seen);
    void check_type_list(std::span<Node* const> types, TypeVars& seen);
    void check_record_type(const Node* t, TypeVars& seen);
    void used_type(FA fa, Pos pos);
    void check_specs_without_function();
    void check_undefined_types();
    void check_unused_types();
    void check_local_opaque_types();

    // ---- lint_vars.cpp: the variable table ----
    uint32_t var_id(std::string_view name);
    std::string_view var_name(uint32_t id) const { return var_names_[id]; }
    PosSet pos_set(Pos pos);
    PosSet pos_union(PosSet a, PosSet b);
    VarTable vtupdate(const VarTable& upd, const VarTable& vt);
    VarTable vtmerge(const VarTable& a, const VarTable& b);
    VarTable vtmerge_pat(const VarTable& a, const VarTable& b);
    static VarTable vtnew(const VarTable& nw, const VarTable& old);
    static VarTable vtold(const VarTable& nw, const VarTable& old);
    static VarTable vt_no_unsafe(const VarTable& vt);
    static VarTable vt_no_unused(const VarTable& vt);
    VarTable vt_mark_new(VarState state, Where where, const VarTable& upd, const VarTable& vt);
    VarTable vtunsafe(Where where, const VarTable& upd, const VarTable& vt) {
        return vt_mark_new(VarState::Unsafe, where, upd, vt);
    }
    VarTable vtupd_unsafe(Where where, const VarTable& upd, const VarTable& vt) {
        return vtupdate(vtunsafe(where, upd, vt), upd);
    }
    VarTable icrt_export(const std::vector<VarTable>& clause_vts, const VarTable& vt, Where where);
    VarEntry export_old_var(const VarEntry& old, const std::vector<VarEntry>& all, size_t begin,
                            size_t end);
    VarEntry export_new_var(const std::vector<VarEntry>& all, size_t begin, size_t end,
                            size_t num_clauses, Where where);
    void check_unused_vars(const VarTable& vt, const VarTable& vt0);
    void check_old_unused_vars(const VarTable& vt, const VarTable& vt0);
    void warn_unused(const VarTable& unused);
    void shadow_vars(const VarTable& bound, const VarTable& vt0, const char* in);

    // ---- lint_expr.cpp ----
    void function_clause(const Node* clause);
    VarTable exprs(const Node* body, const VarTable& vt);
    VarTable exprs(std::span<Node* const> list, const VarTable& vt);
    VarTable expr(const Node* e, const VarTable& vt);
    VarTable expr_list(std::span<Node* const> list, const VarTable& vt);
    VarTable expr_var(const Node* var, const VarTable& vt);
    VarTable expr_call(const Node* call, const VarTable& vt);
    VarTable expr_fun(const Node* fun, const VarTable& vt);
    VarTable expr_funref(const Node* ref, const VarTable& vt);
    VarTable expr_try(const Node* e, const VarTable& vt);
    VarTable expr_receive(const Node* e, const VarTable& vt);
    VarTable expr_record(const Node* e, const VarTable& vt, bool guard);
    void use_default_calls(const Node* e, const RecordDef& def);
    VarTable expr_record_update(const Node* e, const VarTable& vt);
    VarTable expr_record_access(const Node* e, const VarTable& vt, bool guard);
    VarTable expr_record_index(const Node* e);
    VarTable expr_map(const Node* e, const VarTable& vt, bool guard);
    VarTable expr_bin(const Node* e, const VarTable& vt, bool guard);
    VarTable comprehension(const Node* e, const VarTable& vt);
    void check_record_info_call(const Node* call);
    VarTable icrt_clauses(std::span<Node* const> clauses, Where where, const VarTable& vt);
    std::vector<VarTable> icrt_clause_list(std::span<Node* const> clauses, const VarTable& vt,
                                           bool catch_clauses);
    VarTable icrt_clause(const Node* clause, const VarTable& vt, bool catch_clause);
    PatResult head(const Node* patterns, const VarTable& vt, const VarTable& old);
    PatResult pattern(const Node* p, const VarTable& vt, const VarTable& old);
    PatResult pattern_list(std::span<Node* const> ps, const VarTable& vt, const VarTable& old);
    PatResult pat_var(const Node* var, const VarTable& old, const VarTable& nw);
    PatResult pattern_record(const Node* p, const VarTable& vt, const VarTable& old);
    PatResult pattern_map(const Node* p, const VarTable& vt, const VarTable& old);
    PatResult pattern_bin(const Node* p, const VarTable& vt, const VarTable& old);
    PatResult pat_binsize_var(const Node* var, const VarTable& vt, VarTable& nw);
    PatResult pattern_string_prefix(const Node* p, const VarTable& vt, const VarTable& old);
    bool is_pattern_expr(const Node* p);
    VarTable guard(const Node* g, const VarTable& vt);
    VarTable guard_test(const Node* g, const VarTable& vt);
    VarTable gexpr(const Node* g, const VarTable& vt);
    VarTable gexpr_list(std::span<Node* const> list, const VarTable& vt);
    VarTable gexpr_call(const Node* call, const VarTable& vt);
    bool is_guard_test(const Node* e);
    bool is_gexpr(const Node* e);
    void bin_element_types(const Node* element, bool in_pattern);
    void record_field_exists(const RecordDef& def, std::string_view field, Pos pos);
    void record_field_after_hash(const RecordDef& def, const Node* e);
    bool record_check(const Node* e, Pos pos, std::string_view name, const RecordDef** def);

    // ---- reporting ----
    void error(Pos pos, std::string message, std::string key = {});
    void warning(Pos pos, std::string message, std::string key = {});
    void report(const std::string& file, Pos pos, bool is_error, std::string key,
                std::string message);
    void flush();
    struct Pending {
        std::string file;
        Pos pos;
        bool is_error;
        std::string key;
        std::string message;
    };
    std::vector<Pending> pending_;
    uint32_t errors_ = 0;

    const ast::Module& module_;
    diag::Reporter& reporter_;
    std::string file_;  // the file of the form being checked

    // Module state.
    enum class State : uint8_t { Start, Attribute, Function } state_ = State::Start;
    std::string_view module_name_;
    const Node* module_attr_ = nullptr;
    std::string module_attr_file_;
    FASet locals_;   // all functions defined in the module (prescanned)
    FASet defined_;  // functions defined so far
    std::unordered_map<FA, std::string_view, FAHash> imports_;
    FASet used_imports_;
    FASet exports_;
    FASet no_auto_;
    bool no_auto_all_ = false;
    bool export_all_ = false;
    FASet nowarn_unused_;
    bool nowarn_unused_function_ = false;
    bool nowarn_unused_vars_ = false;
    bool nowarn_unused_record_ = false;
    bool nowarn_shadow_vars_ = false;
    bool nowarn_bif_clash_ = false;
    std::vector<FA> on_load_;
    Pos on_load_pos_;
    std::string on_load_file_;
    std::unordered_set<std::string_view> nowarn_records_;
    std::unordered_map<std::string_view, RecordDef> records_;
    std::unordered_set<std::string_view> used_records_;
    std::vector<Called> called_;
    // Call graph for the unused-function check: caller -> callees.
    std::unordered_map<FA, std::vector<FA>, FAHash> calls_;
    struct FunctionInfo {
        FA fa;
        Pos pos;
        std::string file;
    };
    std::vector<FunctionInfo> functions_;
    struct SpecInfo {
        Pos pos;
        std::string file;
    };
    std::unordered_map<FA, SpecInfo, FAHash> specs_;  // of this module's functions
    std::unordered_set<std::string> remote_specs_;    // "m:f/a" of -spec m:f for other m
    FASet callbacks_;
    struct TypeInfo {
        Pos pos;
        std::string file;
        bool opaque;
    };
    std::unordered_map<FA, TypeInfo, FAHash> types_;  // -type and -opaque
    FASet exported_types_;
    // Every use of a local type, with the type it occurs in (its erl_lint
    // type_id), for "type t() undefined" and the unused-type reachability:
    // uses outside types (specs, records, -export_type) are the roots.
    struct UsedType {
        FA fa;
        Pos pos;
        std::string file;
        bool in_type;
        FA user;  // the type it occurs in, when in_type
    };
    std::vector<UsedType> used_types_;
    bool type_id_is_type_ = false;
    FA type_id_{"", -1};
    bool nowarn_unused_type_ = false;
    bool nowarn_export_all_ = false;
    const BehaviourLookup* behaviours_ = nullptr;  // set by lint::check
    bool no_auto_import_types_ = false;

    // Per-function state.
    FA func_{"", -1};
    bool recdef_top_ = false;  // checking a record field's default value
    GuardContext gexpr_context_ = GuardContext::Guard;
    // Variables bound so far in a binary pattern, while checking a segment
    // size expression (erl_lint's bvt); null outside of one.
    VarTable* bin_bound_ = nullptr;

    // Variable names and position sets.
    std::unordered_map<std::string_view, uint32_t> var_ids_;
    std::vector<std::string_view> var_names_;
    std::vector<Pos> pos_pool_;
};

// Atom and message formatting, as io_lib's ~w prints atoms.
std::string quote_atom(std::string_view name);
std::string format_fa(FA fa);
std::string format_var(std::string_view name);
std::string fmt_underscore_pat(std::string_view name);
bool auto_imported_bif(std::string_view name, int64_t arity);
std::string desc_key(int size, std::string_view tag, std::string_view arg);

// What erl_internal says of an auto-imported BIF (table in guard_bifs.h);
// null when name/arity is not one.
struct BifFlags {
    bool guard;      // allowed in guards
    bool type_test;  // is_atom/1 and the like
    bool old;        // auto-imported before R14: shadowing it is an error
};
const BifFlags* bif_info(std::string_view name, int64_t arity);

}  // namespace lint
