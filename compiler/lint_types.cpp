// lint_types: erl_lint's checks of types and specs.
//
// -type/-opaque definitions, -spec/-callback signatures, the field types of
// -record and -export_type are checked as erl_lint does (type_def/6,
// spec_decl/4, callback_decl/4, check_type/3, export_type/3):
//  - each definition, signature (with its `when` constraints) or record is
//    one group for type variables: a variable seen once in it is an error
//    unless named _*. `V :: T` annotations do not count V; constraint
//    variables do;
//  - builtin types cannot be redefined, types not twice; ranges, integer
//    expressions and binary types must evaluate (erl_eval:partial_eval) to
//    valid integers; `#r{}` needs the record (defined so far) and its fields;
//  - every use of a local type is recorded with the definition it occurs
//    in; after the last form come "type t() undefined", "type t() is
//    unused" (a type no spec, record or -export_type reaches, through other
//    types), unexported opaque types and specs of undefined functions.
#include <fmt/core.h>

#include <algorithm>
#include <optional>

#include "compiler/lint_internal.h"

namespace lint {

using NK = ast::Kind;

namespace {

// erl_lint's gen_type_paren/1: `(_,_)` for arity 2.
std::string type_parens(int64_t arity) {
    std::string out = "(";
    for (int64_t i = 0; i < arity; ++i)
        out += i == 0 ? "_" : ",_";
    return out + ")";
}

std::string format_type(FA fa) {
    return quote_atom(fa.name) + type_parens(fa.arity);
}

// A descriptor key {Tag, {Name, Arity}}: messages at one position sort by
// tag, then name, then arity (zero-padded so that text order is numeric).
std::string type_key(std::string_view tag, FA fa) {
    return desc_key(2, tag, fmt::format("{}{:c}{:020}", fa.name, '\0', fa.arity));
}

// erl_internal:is_type/2 in OTP 25: the predefined types.
bool is_builtin_type(FA fa) {
    static const FASet types = [] {
        FASet set;
        for (const char* name : {"any",
                                 "arity",
                                 "atom",
                                 "binary",
                                 "bitstring",
                                 "bool",
                                 "boolean",
                                 "byte",
                                 "char",
                                 "float",
                                 "function",
                                 "identifier",
                                 "integer",
                                 "iodata",
                                 "iolist",
                                 "list",
                                 "map",
                                 "maybe_improper_list",
                                 "mfa",
                                 "module",
                                 "neg_integer",
                                 "nil",
                                 "no_return",
                                 "node",
                                 "non_neg_integer",
                                 "none",
                                 "nonempty_binary",
                                 "nonempty_bitstring",
                                 "nonempty_list",
                                 "nonempty_maybe_improper_list",
                                 "nonempty_string",
                                 "number",
                                 "pid",
                                 "port",
                                 "pos_integer",
                                 "reference",
                                 "string",
                                 "term",
                                 "timeout",
                                 "tuple"}) {
            set.insert(FA{name, 0});
        }
        for (FA fa : {FA{"list", 1}, FA{"maybe_improper_list", 2}, FA{"nonempty_improper_list", 2},
                      FA{"nonempty_list", 1}, FA{"nonempty_maybe_improper_list", 2}}) {
            set.insert(fa);
        }
        return set;
    }();
    return types.count(fa) > 0;
}

// The functions every module has (erl_lint's pseudolocals/0).
bool is_pseudo_local(FA fa) {
    return (fa.name == "module_info" && (fa.arity == 0 || fa.arity == 1)) ||
           (fa.name == "record_info" && fa.arity == 2);
}

// ---- erl_eval:partial_eval/1 on the integer expressions of types ----

// Integers are kept in 128 bits, saturated far beyond any real type bound:
// only "is it an integer" and comparisons of small bounds matter here.
using Int = __int128;
constexpr Int kIntLimit = static_cast<Int>(1) << 100;

Int saturate(Int v) {
    return std::clamp(v, -kIntLimit, kIntLimit);
}

// Operands are within kIntLimit (2^100), so a product of two of them fits
// in 128 bits only when both are below 2^62; larger ones saturate.
Int multiply(Int a, Int b) {
    constexpr Int kSmall = static_cast<Int>(1) << 62;
    if (a == 0 || b == 0) return 0;
    if (a > -kSmall && a < kSmall && b > -kSmall && b < kSmall) return saturate(a * b);
    return (a < 0) != (b < 0) ? -kIntLimit : kIntLimit;
}

// a bsl n (a bsr -n when n < 0), saturating.
Int shift(Int a, Int n) {
    if (n < 0) return -n > 120 ? (a < 0 ? -1 : 0) : a >> static_cast<int>(-n);
    for (Int i = 0; i < n && a != 0; ++i) {
        a *= 2;
        if (a > kIntLimit || a < -kIntLimit) return saturate(a);
    }
    return a;
}

std::optional<Int> eval_binary(token::Kind op, Int a, Int b) {
    using token::Kind;
    switch (op) {
        case Kind::Plus:
            return saturate(a + b);
        case Kind::Minus:
            return saturate(a - b);
        case Kind::Star:
            return multiply(a, b);
        case Kind::KwDiv:
            if (b == 0) return std::nullopt;
            return a / b;
        case Kind::KwRem:
            if (b == 0) return std::nullopt;
            return a % b;
        case Kind::KwBand:
            return a & b;
        case Kind::KwBor:
            return a | b;
        case Kind::KwBxor:
            return a ^ b;
        case Kind::KwBsl:
            return shift(a, b);
        case Kind::KwBsr:
            return shift(a, -b);
        default:  // '/' gives a float; and, or, xor fail on integers
            return std::nullopt;
    }
}

// The integer value of a type that partial_eval turns into an integer;
// nothing for anything else (atoms, variables, floats, errors).
std::optional<Int> eval_integer(const Node* t) {
    switch (t->kind) {
        case NK::Integer:
            return t->is_big ? kIntLimit : static_cast<Int>(t->int_value);
        case NK::Char:
            return static_cast<Int>(t->int_value);
        case NK::UnaryOp: {
            std::optional<Int> v = eval_integer(t->kids[0]);
            if (!v) return std::nullopt;
            if (t->op == token::Kind::Minus) return -*v;
            if (t->op == token::Kind::Plus) return v;
            if (t->op == token::Kind::KwBnot) return ~*v;
            return std::nullopt;
        }
        case NK::BinaryOp: {
            // `1 + 1 + ... + 1` nests to the left without bound: walk down
            // that spine iteratively, then fold back up.
            std::vector<const Node*> spine;
            const Node* leftmost = t;
            for (; leftmost->kind == NK::BinaryOp; leftmost = leftmost->kids[0])
                spine.push_back(leftmost);
            std::optional<Int> acc = eval_integer(leftmost);
            for (auto it = spine.rbegin(); acc && it != spine.rend(); ++it) {
                std::optional<Int> right = eval_integer((*it)->kids[1]);
                acc = right ? eval_binary((*it)->op, *acc, *right) : std::nullopt;
            }
            return acc;
        }
        default:
            return std::nullopt;
    }
}

bool is_underspecified(const Node* type, int64_t arity) {
    return arity == 0 && type->kind == NK::TypeCall && type->num_kids == 0 &&
           (type->text == "term" || type->text == "any");
}

}  // namespace

// ---- definitions ----

void Linter::type_attr(const Node* attr) {
    if (attr->text == "type" || attr->text == "opaque") {
        type_def(attr);
    } else if (attr->text == "spec") {
        spec_decl(attr);
    } else if (attr->text == "callback") {
        callback_decl(attr);
    }
}

void Linter::type_def(const Node* attr) {
    FA fa{attr->name2, attr->int_value};
    bool opaque = attr->text == "opaque";
    if (is_builtin_type(fa) && !no_auto_import_types_) {
        error(attr->pos, "type " + format_type(fa) + " is a builtin type; it cannot be redefined");
        return;
    }
    if (types_.count(fa) > 0) {
        error(attr->pos, "type " + format_type(fa) + " already defined");
        return;
    }
    const Node* body = ast::type_body(attr);
    if (opaque && is_underspecified(body, fa.arity)) {
        warning(attr->pos,
                "opaque type " + format_type(fa) + " is underspecified and therefore meaningless",
                type_key("underspecified_opaque", fa));
    }
    types_.emplace(fa, TypeInfo{attr->pos, file_, opaque});
    type_id_is_type_ = true;
    type_id_ = fa;
    // The body and the parameters form one group, so a parameter that the
    // body does not use is a variable seen once.
    std::vector<const Node*> group{body};
    for (const Node* param : ast::type_params(attr))
        group.push_back(param);
    check_types(group);
}

// `-spec [M:]F Sigs`: a spec of another module is an error, but its types
// are still checked.
void Linter::spec_decl(const Node* attr) {
    FA fa{attr->name2, attr->int_value};
    const Node* mod = ast::spec_module(attr);
    bool local = mod == nullptr || mod->text == module_name_;
    bool redefined;
    if (local) {
        redefined = specs_.count(fa) > 0;
        specs_[fa] = SpecInfo{attr->pos, file_};  // the last one is reported
    } else {
        redefined = !remote_specs_.insert(std::string(mod->text) + ":" + format_fa(fa)).second;
    }
    if (redefined) {
        std::string what =
            mod != nullptr ? quote_atom(mod->text) + ":" + format_fa(fa) : format_fa(fa);
        error(attr->pos, "spec for " + what + " already defined");
        return;
    }
    if (!local) {
        error(attr->pos, "spec for function " + quote_atom(mod->text) + ":" + format_fa(fa) +
                             " from other module");
    }
    type_id_is_type_ = false;
    check_sigs(attr, "spec has wrong arity");
}

void Linter::callback_decl(const Node* attr) {
    FA fa{attr->name2, attr->int_value};
    if (const Node* mod = ast::spec_module(attr)) {
        error(attr->pos, "explicit module not allowed for callback " + quote_atom(mod->text) + ":" +
                             format_fa(fa));
        return;
    }
    if (!callbacks_.insert(fa).second) {
        error(attr->pos, "callback " + format_fa(fa) + " already defined");
        return;
    }
    type_id_is_type_ = false;
    check_sigs(attr, "callback has wrong arity");
}

// erl_lint's check_specs/4: each signature with its constraints is one
// group; a signature whose arity differs from the first one's is an error.
void Linter::check_sigs(const Node* attr, const char* wrong_arity) {
    for (const Node* sig : ast::spec_sigs(attr)) {
        const Node* fun = sig->kind == NK::TypeBounded ? sig->kids[0] : sig;
        if (static_cast<int64_t>(fun->kids[0]->num_kids) != attr->int_value) {
            error(fun->pos, wrong_arity);
        }
        std::vector<const Node*> group{fun};
        if (sig->kind == NK::TypeBounded) {
            for (const Node* constraint : sig->children().subspan(1)) {
                group.push_back(constraint->kids[0]);
                group.push_back(constraint->kids[1]);
            }
        }
        check_types(group);
    }
}

// The field types of a record are one group.
void Linter::record_field_types(const Node* decl) {
    std::vector<const Node*> group;
    for (const Node* field : decl->children()) {
        if (field != nullptr && ast::field_type(field) != nullptr) {
            group.push_back(ast::field_type(field));
        }
    }
    if (group.empty()) return;
    type_id_is_type_ = false;
    check_types(group);
}

// ---- exports ----

void Linter::export_type_attr(const Node* attr) {
    std::vector<FA> fas;
    for (const Node* fa_node : attr->children()) {
        if (fa_node != nullptr) fas.push_back(FA{fa_node->text, fa_node->int_value});
    }
    export_types(attr->pos, fas);
}

// An -export_type whose value the parser could not read as Name/Arity
// pairs: erl_lint still accepts a list of {Name, Arity} tuples.
void Linter::export_type_term(const Node* attr) {
    std::vector<FA> fas;
    const Node* t = attr->kid(0);
    for (; t != nullptr && t->kind == NK::Cons; t = t->kid(1)) {
        const Node* e = t->kid(0);
        bool pair = e != nullptr && e->kind == NK::Tuple && e->num_kids == 2 &&
                    e->kids[0]->kind == NK::Atom && e->kids[1]->kind == NK::Integer;
        if (!pair) break;
        fas.push_back(FA{e->kids[0]->text, e->kids[1]->int_value});
    }
    if (t == nullptr || t->kind != NK::Nil) {
        error(attr->pos, "bad export_type declaration");
        return;
    }
    export_types(attr->pos, fas);
}

void Linter::export_types(Pos pos, const std::vector<FA>& fas) {
    for (FA fa : fas) {
        if (!exported_types_.insert(fa).second) {
            warning(pos, "type " + format_fa(fa) + " already exported",
                    type_key("duplicated_export_type", fa));
            continue;
        }
        type_id_is_type_ = false;
        used_type(fa, pos);
    }
}

// ---- check_type ----

// One check_type/2 call: the types share their variables, and the ones
// seen once are reported (erl_lint folds over a map: by name).
void Linter::check_types(std::span<const Node* const> types) {
    TypeVars seen;
    for (const Node* t : types)
        check_type(t, seen);
    for (const TypeVar& var : seen) {
        if (var.multiple || var.name.starts_with("_")) continue;
        error(var.pos, "type variable " + format_var(var.name) + " is only used once (is unbound)");
    }
}

void Linter::check_type_list(std::span<Node* const> types, TypeVars& seen) {
    for (const Node* t : types) {
        if (t != nullptr) check_type(t, seen);
    }
}

void Linter::check_type(const Node* t, TypeVars& seen) {
    switch (t->kind) {
        case NK::TypeAnn:  // the annotating variable is not a use
            check_type(t->kids[1], seen);
            return;
        case NK::Atom:
        case NK::Integer:
        case NK::Char:
            return;
        case NK::Var: {
            if (t->text == "_") return;
            auto it = std::find_if(seen.begin(), seen.end(),
                                   [&](const TypeVar& v) { return v.name == t->text; });
            if (it != seen.end()) {
                it->multiple = true;
            } else {
                seen.push_back(TypeVar{t->text, t->pos, false});
            }
            return;
        }
        case NK::TypeRemote:
            if (t->text == module_name_) used_type(FA{t->name2, t->num_kids}, t->pos);
            check_type_list(t->children(), seen);
            return;
        case NK::TypeCall: {
            FA fa{t->text, t->num_kids};
            if (fa.name == "bool" && fa.arity == 0) {
                warning(t->pos,
                        "type bool() is now called boolean(); please use the new name instead");
            } else if (!is_builtin_type(fa)) {
                used_type(fa, t->pos);
            }
            check_type_list(t->children(), seen);
            return;
        }
        case NK::TypeRange: {
            std::optional<Int> low = eval_integer(t->kids[0]);
            std::optional<Int> high = eval_integer(t->kids[1]);
            if (!low || !high || !(*low < *high)) error(t->pos, "bad range type");
            return;
        }
        case NK::TypeBinary: {
            std::optional<Int> base = eval_integer(t->kids[0]);
            std::optional<Int> unit = eval_integer(t->kids[1]);
            if (!base || !unit || *base < 0 || *unit < 0) error(t->pos, "bad binary type");
            return;
        }
        case NK::TypeRecord:
            check_record_type(t, seen);
            return;
        case NK::TypeUnion:
        case NK::TypeList:
        case NK::TypeTuple:
        case NK::TypeMap:
        case NK::TypeMapField:
        case NK::TypeFun:
        case NK::TypeArgs:
            check_type_list(t->children(), seen);
            return;
        default:  // an integer expression
            if (!eval_integer(t)) error(t->pos, "bad integer type");
            return;
    }
}

// `#r{f :: T}`: the record must be defined by now (and counts as used even
// when it is not); each field must exist, once.
void Linter::check_record_type(const Node* t, TypeVars& seen) {
    used_records_.insert(t->text);
    auto it = records_.find(t->text);
    if (it == records_.end()) {
        error(t->pos, "record " + quote_atom(t->text) + " undefined");
        return;
    }
    const RecordDef& def = it->second;
    std::vector<std::string_view> fields_seen;
    for (const Node* field : t->children()) {
        record_field_exists(def, field->text, field->pos);
        if (std::find(fields_seen.begin(), fields_seen.end(), field->text) != fields_seen.end()) {
            error(field->pos, "field " + quote_atom(field->text) + " already defined in record " +
                                  quote_atom(t->text));
        }
        check_type(field->kids[0], seen);
        fields_seen.push_back(field->text);
    }
}

void Linter::used_type(FA fa, Pos pos) {
    used_types_.push_back(UsedType{fa, pos, file_, type_id_is_type_, type_id_});
}

// ---- after all forms ----

void Linter::check_specs_without_function() {
    for (const auto& [fa, spec] : specs_) {
        if (defined_.count(fa) > 0 || is_pseudo_local(fa)) continue;
        report(spec.file, spec.pos, true, {}, "spec for undefined function " + format_fa(fa));
    }
}

void Linter::check_undefined_types() {
    for (const UsedType& use : used_types_) {
        if (types_.count(use.fa) > 0 || is_builtin_type(use.fa)) continue;
        report(use.file, use.pos, true, type_key("undefined_type", use.fa),
               "type " + format_type(use.fa) + " undefined");
    }
}

// A type is used when reached from a use outside any type definition;
// definitions in include files are not reported.
void Linter::check_unused_types() {
    if (nowarn_unused_type_) return;
    std::unordered_map<FA, std::vector<FA>, FAHash> uses_in;
    std::vector<FA> work;
    for (const UsedType& use : used_types_) {
        if (use.in_type) {
            uses_in[use.user].push_back(use.fa);
        } else {
            work.push_back(use.fa);
        }
    }
    FASet reached;
    while (!work.empty()) {
        FA fa = work.back();
        work.pop_back();
        if (!reached.insert(fa).second) continue;
        auto it = uses_in.find(fa);
        if (it == uses_in.end()) continue;
        for (FA used : it->second) {
            if (reached.count(used) == 0) work.push_back(used);
        }
    }
    for (const auto& [fa, info] : types_) {
        if (reached.count(fa) > 0 || info.file != module_.file) continue;
        report(info.file, info.pos, false, type_key("unused_type", fa),
               "type " + format_type(fa) + " is unused");
    }
}

void Linter::check_local_opaque_types() {
    for (const auto& [fa, info] : types_) {
        if (!info.opaque || exported_types_.count(fa) > 0) continue;
        report(info.file, info.pos, false, type_key("not_exported_opaque", fa),
               "opaque type " + format_type(fa) + " is not exported");
    }
}

}  // namespace lint
