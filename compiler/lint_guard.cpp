// lint_guard: erl_lint's checks of guards (which expressions and BIFs a
// guard may use), of the bit syntax (segment types, sizes and units, in
// binary expressions and binary patterns), and of constant expressions in
// patterns (`-1`, `2 * 3`).
#include <cmath>
#include <optional>

#include "bytecode/guard_bifs.h"
#include "compiler/lint_internal.h"

namespace lint {

using token::Kind;
using NK = ast::Kind;

static std::span<Node* const> kids(const Node* n) {
    if (n == nullptr) return {};
    return {n->kids, n->num_kids};
}

static bool is_atom(const Node* n) {
    return n != nullptr && n->kind == NK::Atom;
}

const BifFlags* bif_info(std::string_view name, int64_t arity) {
    static const std::unordered_map<FA, BifFlags, FAHash> table = [] {
        std::unordered_map<FA, BifFlags, FAHash> t;
#define BEAMLITE_BIF_ENTRY(n, a, g, tt, o) t.emplace(FA{#n, a}, BifFlags{g != 0, tt != 0, o != 0});
        BEAMLITE_AUTO_IMPORTED_BIFS(BEAMLITE_BIF_ENTRY)
#undef BEAMLITE_BIF_ENTRY
        return t;
    }();
    auto it = table.find(FA{name, arity});
    return it == table.end() ? nullptr : &it->second;
}

static bool is_guard_bif(std::string_view name, int64_t arity) {
    const BifFlags* bif = bif_info(name, arity);
    return bif != nullptr && bif->guard;
}

static bool is_type_test(std::string_view name, int64_t arity) {
    const BifFlags* bif = bif_info(name, arity);
    return bif != nullptr && bif->type_test;
}

static bool is_old_type_test(std::string_view name, int64_t arity) {
#define BEAMLITE_IS_OLD_TEST(n, a) \
    if (arity == (a) && name == #n) return true;
    BEAMLITE_OLD_TYPE_TESTS(BEAMLITE_IS_OLD_TEST)
#undef BEAMLITE_IS_OLD_TEST
    return false;
}

static bool is_arith_op(Kind op, bool unary) {
    switch (op) {
        case Kind::Plus:
        case Kind::Minus:
        case Kind::KwBnot:
            return unary || op != Kind::KwBnot;
        case Kind::Star:
        case Kind::Slash:
        case Kind::KwDiv:
        case Kind::KwRem:
        case Kind::KwBand:
        case Kind::KwBor:
        case Kind::KwBxor:
        case Kind::KwBsl:
        case Kind::KwBsr:
            return !unary;
        default:
            return false;
    }
}

// erl_internal:op_type/2 is arith, bool or comp: the operators a guard may use.
static bool is_gexpr_op(Kind op, bool unary) {
    if (is_arith_op(op, unary)) return true;
    if (unary) return op == Kind::KwNot;
    switch (op) {
        case Kind::KwAnd:
        case Kind::KwOr:
        case Kind::KwXor:
        case Kind::EqEq:
        case Kind::SlashEq:
        case Kind::EqLt:
        case Kind::Lt:
        case Kind::GtEq:
        case Kind::Gt:
        case Kind::EqColonEq:
        case Kind::EqSlashEq:
            return true;
        default:
            return false;
    }
}

static bool is_gexpr_op_name(std::string_view name, int64_t arity) {
    static const char* const unary[] = {"+", "-", "bnot", "not"};
    static const char* const binary[] = {
        "+",   "-",  "*",   "/",  "div", "rem", "band", "bor", "bxor", "bsl", "bsr",
        "and", "or", "xor", "==", "/=",  "=<",  "<",    ">=",  ">",    "=:=", "=/="};
    if (arity == 1) {
        for (const char* op : unary) {
            if (name == op) return true;
        }
    } else if (arity == 2) {
        for (const char* op : binary) {
            if (name == op) return true;
        }
    }
    return false;
}

// ---- constant expressions (erl_eval:partial_eval on what patterns allow) ----

struct Number {
    bool is_int;
    int64_t i;
    double f;
};

static std::optional<Number> const_eval(const Node* e);

static std::optional<Number> eval_binary(Kind op, Number a, Number b) {
    bool ints = a.is_int && b.is_int;
    double fa = a.is_int ? static_cast<double>(a.i) : a.f;
    double fb = b.is_int ? static_cast<double>(b.i) : b.f;
    switch (op) {
        case Kind::Plus:
            return ints ? Number{true, a.i + b.i, 0} : Number{false, 0, fa + fb};
        case Kind::Minus:
            return ints ? Number{true, a.i - b.i, 0} : Number{false, 0, fa - fb};
        case Kind::Star:
            return ints ? Number{true, a.i * b.i, 0} : Number{false, 0, fa * fb};
        case Kind::Slash:
            if (fb == 0.0) return std::nullopt;
            return Number{false, 0, fa / fb};
        default:
            break;
    }
    if (!ints) return std::nullopt;
    switch (op) {
        case Kind::KwDiv:
            return b.i == 0 ? std::nullopt : std::optional<Number>{Number{true, a.i / b.i, 0}};
        case Kind::KwRem:
            return b.i == 0 ? std::nullopt : std::optional<Number>{Number{true, a.i % b.i, 0}};
        case Kind::KwBand:
            return Number{true, a.i & b.i, 0};
        case Kind::KwBor:
            return Number{true, a.i | b.i, 0};
        case Kind::KwBxor:
            return Number{true, a.i ^ b.i, 0};
        case Kind::KwBsl:
            return Number{true, b.i >= 0 && b.i < 63 ? a.i << b.i : 0, 0};
        case Kind::KwBsr:
            return Number{true, b.i >= 0 && b.i < 63 ? a.i >> b.i : 0, 0};
        default:
            return std::nullopt;
    }
}

static std::optional<Number> const_eval(const Node* e) {
    if (e == nullptr) return std::nullopt;
    switch (e->kind) {
        case NK::Integer:
        case NK::Char:
            return Number{true, e->int_value, 0};
        case NK::Float:
            return Number{false, 0, e->float_value};
        case NK::UnaryOp: {
            if (!is_arith_op(e->op, true)) return std::nullopt;
            std::optional<Number> a = const_eval(e->kid(0));
            if (!a) return std::nullopt;
            if (e->op == Kind::Minus)
                return a->is_int ? Number{true, -a->i, 0} : Number{false, 0, -a->f};
            if (e->op == Kind::KwBnot) {
                if (!a->is_int) return std::nullopt;
                return Number{true, ~a->i, 0};
            }
            return a;
        }
        case NK::BinaryOp: {
            if (!is_arith_op(e->op, false)) return std::nullopt;
            std::optional<Number> a = const_eval(e->kid(0));
            std::optional<Number> b = const_eval(e->kid(1));
            if (!a || !b) return std::nullopt;
            return eval_binary(e->op, *a, *b);
        }
        default:
            return std::nullopt;
    }
}

bool Linter::is_pattern_expr(const Node* p) {
    return const_eval(p).has_value();
}

// ---- guards ----

VarTable Linter::guard(const Node* g, const VarTable& vt) {
    std::span<Node* const> seqs = kids(g);
    // guard([L|R]) = vtupdate(tests(L, vt), guard(R, vtupdate(tests(L), vt)))
    std::vector<VarTable> parts;
    VarTable env = vt;
    for (const Node* seq : seqs) {
        VarTable gvt;
        VarTable seq_env = env;
        std::vector<VarTable> tests;
        for (const Node* t : kids(seq)) {
            VarTable tvt = guard_test(t, seq_env);
            seq_env = vtupdate(tvt, seq_env);
            tests.push_back(std::move(tvt));
        }
        for (auto it = tests.rbegin(); it != tests.rend(); ++it)
            gvt = vtupdate(*it, gvt);
        env = vtupdate(gvt, env);
        parts.push_back(std::move(gvt));
    }
    VarTable out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        out = vtupdate(*it, out);
    return out;
}

static bool no_guard_bif_clash(const Linter& l, FA fa) {
    return !l.is_local(fa) && !l.is_imported(fa) && !l.auto_import_suppressed(fa);
}

VarTable Linter::guard_test(const Node* g, const VarTable& vt) {
    if (g == nullptr) return {};
    if (g->kind == NK::Call && is_atom(g->kid(0))) {
        std::string_view name = g->kid(0)->text;
        int64_t arity = static_cast<int64_t>(g->num_kids) - 1;
        if (is_old_type_test(name, arity)) {
            std::string modern = name == "record" ? "is_record" : "is_" + std::string(name);
            warning(g->kid(0)->pos, quote_atom(name) + "/" + std::to_string(arity) +
                                        " obsolete (use " + modern + "/" + std::to_string(arity) +
                                        ")");
        }
        if ((is_type_test(name, arity) || is_old_type_test(name, arity)) &&
            !(name == "is_record" && arity == 2) && !(name == "record" && arity == 2)) {
            VarTable asvt = gexpr_list(kids(g).subspan(1), vt);
            if (!no_guard_bif_clash(*this, {name, arity})) {
                error(g->pos, "call to local/imported function " + quote_atom(name) + "/" +
                                  std::to_string(arity) + " is illegal in guard");
            }
            return asvt;
        }
    }
    return gexpr(g, vt);
}

VarTable Linter::gexpr_list(std::span<Node* const> list, const VarTable& vt) {
    VarTable out;
    for (const Node* e : list)
        out = vtmerge(gexpr(e, vt), out);
    return out;
}

static const char* illegal_guard_message(GuardContext context) {
    return context == GuardContext::BinSegSize ? "illegal bit size" : "illegal guard expression";
}

VarTable Linter::gexpr(const Node* g, const VarTable& vt) {
    if (g == nullptr) return {};
    switch (g->kind) {
        case NK::Var:
            return expr_var(g, vt);
        case NK::Integer:
        case NK::Float:
        case NK::Atom:
        case NK::Char:
        case NK::String:
        case NK::Nil:
            return {};
        case NK::Cons:
        case NK::Tuple:
            return gexpr_list(kids(g), vt);
        case NK::Map:
        case NK::MapUpdate:
            return expr_map(g, vt, true);
        case NK::RecordIndex:
            return expr_record_index(g);
        case NK::RecordAccess:
            return expr_record_access(g, vt, true);
        case NK::Record:
            return expr_record(g, vt, true);
        case NK::Binary:
            return expr_bin(g, vt, true);
        case NK::Call:
            return gexpr_call(g, vt);
        case NK::UnaryOp: {
            VarTable avt = gexpr(g->kid(0), vt);
            if (!is_gexpr_op(g->op, true)) error(g->pos, illegal_guard_message(gexpr_context_));
            return avt;
        }
        case NK::BinaryOp: {
            VarTable avt = gexpr_list(kids(g), vt);
            if (g->op != Kind::KwAndalso && g->op != Kind::KwOrelse && !is_gexpr_op(g->op, false)) {
                error(g->pos, illegal_guard_message(gexpr_context_));
            }
            return avt;
        }
        default:
            error(g->pos, illegal_guard_message(gexpr_context_));
            return {};
    }
}

VarTable Linter::gexpr_call(const Node* call, const VarTable& vt) {
    const Node* callee = call->kid(0);
    std::span<Node* const> args = kids(call).subspan(1);
    int64_t arity = static_cast<int64_t>(args.size());
    bool erlang_remote = callee != nullptr && callee->kind == NK::Remote &&
                         is_atom(callee->kid(0)) && callee->kid(0)->text == "erlang" &&
                         is_atom(callee->kid(1));
    std::string_view name = is_atom(callee) ? callee->text
                            : erlang_remote ? callee->kid(1)->text
                                            : std::string_view{};
    if (name == "is_record" && (arity == 2 || arity == 3) && (is_atom(callee) || erlang_remote)) {
        VarTable asvt = gexpr_list(args, vt);
        bool ok = is_atom(args[1]) &&
                  (arity == 2 || (args[2] != nullptr && args[2]->kind == NK::Integer));
        if (!ok) {
            error(call->pos, illegal_guard_message(gexpr_context_));
        } else if (arity == 2) {
            if (find_record(args[1]->text) == nullptr) {
                error(args[1]->pos, "record " + quote_atom(args[1]->text) + " undefined");
            }
        } else if (is_atom(callee) && !no_guard_bif_clash(*this, {name, arity})) {
            error(call->pos, "call to local/imported function is_record/3 is illegal in guard");
        }
        return asvt;
    }
    VarTable asvt = gexpr_list(args, vt);
    if (is_atom(callee)) {
        FA fa{name, arity};
        if (is_guard_bif(name, arity) && no_guard_bif_clash(*this, fa)) return asvt;
        if (is_local(fa) || is_imported(fa)) {
            std::string what = quote_atom(name) + "/" + std::to_string(arity);
            error(call->pos,
                  gexpr_context_ == GuardContext::BinSegSize
                      ? "call to local/imported function " + what +
                            " is illegal in a size expression for a binary segment"
                      : "call to local/imported function " + what + " is illegal in guard");
        } else {
            error(call->pos, illegal_guard_message(gexpr_context_));
        }
        return asvt;
    }
    if (erlang_remote && (is_guard_bif(name, arity) || is_gexpr_op_name(name, arity))) {
        return asvt;
    }
    error(call->pos, illegal_guard_message(gexpr_context_));
    return erlang_remote ? asvt : VarTable{};
}

// ---- is this a guard? (comprehension filters are checked as guards if so) ----

bool Linter::is_gexpr(const Node* e) {
    if (e == nullptr) return true;
    switch (e->kind) {
        case NK::Var:
        case NK::Integer:
        case NK::Float:
        case NK::Atom:
        case NK::Char:
        case NK::String:
        case NK::Nil:
        case NK::RecordIndex:
            return true;
        case NK::Cons:
        case NK::Tuple:
        case NK::Map:
        case NK::MapUpdate:
        case NK::MapField:
        case NK::Record:
        case NK::RecordField:
        case NK::RecordAccess:
            for (const Node* k : kids(e)) {
                if (!is_gexpr(k)) return false;
            }
            return true;
        case NK::Binary:
            for (const Node* el : kids(e)) {
                if (el != nullptr && (!is_gexpr(el->kid(0)) || !is_gexpr(el->kid(1)))) return false;
            }
            return true;
        case NK::Call: {
            const Node* callee = e->kid(0);
            int64_t arity = static_cast<int64_t>(e->num_kids) - 1;
            bool ok = false;
            if (is_atom(callee)) {
                FA fa{callee->text, arity};
                ok = !is_local(fa) && !is_imported(fa) && is_guard_bif(fa.name, arity);
            } else if (callee != nullptr && callee->kind == NK::Remote && is_atom(callee->kid(0)) &&
                       callee->kid(0)->text == "erlang" && is_atom(callee->kid(1))) {
                std::string_view f = callee->kid(1)->text;
                ok = is_guard_bif(f, arity) || is_gexpr_op_name(f, arity);
            }
            if (!ok) return false;
            for (const Node* a : kids(e).subspan(1)) {
                if (!is_gexpr(a)) return false;
            }
            return true;
        }
        case NK::UnaryOp:
            return is_gexpr_op(e->op, true) && is_gexpr(e->kid(0));
        case NK::BinaryOp:
            return (e->op == Kind::KwAndalso || e->op == Kind::KwOrelse ||
                    is_gexpr_op(e->op, false)) &&
                   is_gexpr(e->kid(0)) && is_gexpr(e->kid(1));
        default:
            return false;
    }
}

bool Linter::is_guard_test(const Node* e) {
    if (e != nullptr && e->kind == NK::Call && is_atom(e->kid(0))) {
        FA fa{e->kid(0)->text, static_cast<int64_t>(e->num_kids) - 1};
        if (fa.name == "record" && fa.arity == 2) return true;
        if (is_local(fa) || is_imported(fa)) return false;
        if (is_type_test(fa.name, fa.arity)) {
            for (const Node* a : kids(e).subspan(1)) {
                if (!is_gexpr(a)) return false;
            }
            return true;
        }
    }
    return is_gexpr(e);
}

// ---- bit syntax ----

namespace {

enum class BitKind : uint8_t { None, Integer, Float, Binary, Bitstring, Utf8, Utf16, Utf32 };

struct BitSpec {
    BitKind kind = BitKind::None;
    std::string_view kind_name;
    std::string_view sign;
    std::string_view endian;
    int64_t unit = 0;  // 0: not given
    bool error = false;
};

bool is_utf(BitKind k) {
    return k == BitKind::Utf8 || k == BitKind::Utf16 || k == BitKind::Utf32;
}

std::optional<BitKind> bit_kind(std::string_view name) {
    if (name == "integer") return BitKind::Integer;
    if (name == "float") return BitKind::Float;
    if (name == "binary" || name == "bytes") return BitKind::Binary;
    if (name == "bitstring" || name == "bits") return BitKind::Bitstring;
    if (name == "utf8") return BitKind::Utf8;
    if (name == "utf16") return BitKind::Utf16;
    if (name == "utf32") return BitKind::Utf32;
    return std::nullopt;
}

// Size in bits known at compile time: a number, the type's default
// (8 for integers, 64 for floats) or `all` (binaries without a size).
struct BitSize {
    enum { Unknown, Known, All, Undefined } what = Unknown;
    int64_t value = 0;
};

}  // namespace

// Parses the type list of a segment, reporting erl_bits' errors at the
// segment's position; returns the spec with the defaults filled in.
static BitSpec parse_bit_types(Linter& l, const Node* element) {
    BitSpec spec;
    auto conflict = [&](const char* what, std::string_view a, std::string_view b) {
        l.error(element->pos, std::string("conflict in ") + what +
                                  " specification for bit field: '" + std::string(a) + "' and '" +
                                  std::string(b) + "'");
        spec.error = true;
    };
    for (const Node* t : kids(element).subspan(std::min<size_t>(2, element->num_kids))) {
        if (t == nullptr) continue;
        std::string_view name = t->text;
        if (name == "unit") {
            if (t->int_value < 1 || t->int_value > 256) {
                l.error(element->pos,
                        "bit type {unit," + std::to_string(t->int_value) + "} undefined");
                spec.error = true;
                continue;
            }
            if (spec.unit != 0 && spec.unit != t->int_value) {
                conflict("unit", std::to_string(t->int_value), std::to_string(spec.unit));
            }
            spec.unit = t->int_value;
        } else if (std::optional<BitKind> k = bit_kind(name)) {
            if (spec.kind != BitKind::None && spec.kind != *k)
                conflict("type", name, spec.kind_name);
            spec.kind = *k;
            spec.kind_name = name;
        } else if (name == "signed" || name == "unsigned") {
            if (!spec.sign.empty() && spec.sign != name) conflict("sign", name, spec.sign);
            spec.sign = name;
        } else if (name == "big" || name == "little" || name == "native") {
            if (!spec.endian.empty() && spec.endian != name)
                conflict("endianness", name, spec.endian);
            spec.endian = name;
        } else {
            l.error(element->pos, "bit type " + quote_atom(name) + " undefined");
            spec.error = true;
        }
    }
    return spec;
}

// erl_bits:set_bit_type + erl_lint:bit_size_check for one segment whose
// size is `size` (before defaults).
static BitSize check_bit_type(Linter& l, const Node* element, BitSize size) {
    BitSpec spec = parse_bit_types(l, element);
    if (spec.error) return BitSize{};
    BitKind kind = spec.kind == BitKind::None ? BitKind::Integer : spec.kind;
    bool has_size = element->kid(1) != nullptr;
    if (is_utf(kind)) {
        if (has_size || spec.unit != 0) {
            l.error(element->pos,
                    "neither size nor unit must be given for segments of type utf8/utf16/utf32");
        }
        return BitSize{BitSize::Undefined, 0};
    }
    if (!has_size && spec.unit != 0 && (kind == BitKind::Integer || kind == BitKind::Float)) {
        l.error(element->pos,
                "a bit unit size must not be specified unless a size is specified too");
        return BitSize{};
    }
    if (!has_size) {
        if (kind == BitKind::Integer) size = {BitSize::Known, 8};
        if (kind == BitKind::Float) size = {BitSize::Known, 64};
        if (kind == BitKind::Binary || kind == BitKind::Bitstring) size = {BitSize::All, 0};
    }
    if (size.what == BitSize::All && kind != BitKind::Binary && kind != BitKind::Bitstring) {
        l.error(element->pos, "illegal bit size");
        return BitSize{};
    }
    if (size.what == BitSize::Known) {
        int64_t unit = spec.unit != 0 ? spec.unit : kind == BitKind::Binary ? 8 : 1;
        int64_t bits = size.value * unit;
        if (kind == BitKind::Float && bits != 16 && bits != 32 && bits != 64) {
            l.warning(element->pos, "bad float bit size");
        }
        return BitSize{BitSize::Known, bits};
    }
    return size;
}

void Linter::bin_element_types(const Node* element, bool in_pattern) {
    (void)in_pattern;
    check_bit_type(*this, element, BitSize{});
}

VarTable Linter::expr_bin(const Node* e, const VarTable& vt, bool in_guard) {
    VarTable out;
    for (const Node* el : kids(e)) {
        if (el == nullptr) continue;
        VarTable vt1 = in_guard ? gexpr(el->kid(0), vt) : expr(el->kid(0), vt);
        const Node* size_expr = el->kid(1);
        BitSize size;
        VarTable vt2;
        if (size_expr != nullptr) {
            if (is_atom(size_expr) && size_expr->text == "all") {
                size = {BitSize::All, 0};
            } else {
                std::optional<Number> n =
                    is_gexpr(size_expr) ? const_eval(size_expr) : std::nullopt;
                if (n && n->is_int) {
                    size = {BitSize::Known, n->i};
                } else {
                    vt2 = in_guard ? gexpr(size_expr, vt) : expr(size_expr, vt);
                }
            }
        }
        check_bit_type(*this, el, size);
        out = vtmerge(vt2, vtmerge(vt1, out));
    }
    return out;
}

static bool good_string_size_type(const Node* element) {
    if (element->kid(1) != nullptr) return false;
    if (element->num_kids <= 2) return true;
    for (const Node* t : kids(element).subspan(2)) {
        if (t != nullptr && (t->text == "utf8" || t->text == "utf16" || t->text == "utf32")) {
            return true;
        }
    }
    return false;
}

PatResult Linter::pattern_bin(const Node* p, const VarTable& vt, const VarTable& old) {
    PatResult out;
    BitSize prev;
    const Node* prev_element = nullptr;
    for (const Node* el : kids(p)) {
        if (el == nullptr) continue;
        const Node* value = el->kid(0);
        if (value != nullptr && value->kind == NK::String && !good_string_size_type(el)) {
            error(el->pos, "a literal string in a binary pattern must not have a type or a size");
            continue;
        }
        // The segment's value.
        PatResult pe;
        if (value != nullptr && value->kind == NK::Var) {
            if (value->text != "_") pe = pat_var(value, old, out.bound);
        } else if (value != nullptr && value->kind == NK::Binary) {
            error(value->pos, "illegal pattern");
        } else if (value != nullptr && value->kind != NK::String && !is_pattern_expr(value) &&
                   value->kind != NK::Integer && value->kind != NK::Float &&
                   value->kind != NK::Char && value->kind != NK::Atom) {
            error(value->pos, "illegal pattern");
        }
        // Its size: a literal, or an expression over variables bound before
        // the binary or earlier in it.
        const Node* size_expr = el->kid(1);
        BitSize size;
        PatResult ps;
        if (size_expr != nullptr) {
            std::optional<Number> n = const_eval(size_expr);
            if (n && n->is_int) {
                size = {BitSize::Known, n->i};
            } else if (size_expr->kind == NK::Var) {
                ps = pat_binsize_var(size_expr, vt, out.bound);
            } else {
                // Variables of the size expression may be bound earlier in
                // this binary: expr_var looks in bin_bound_ first.
                VarTable* saved_bvt = bin_bound_;
                GuardContext saved_context = gexpr_context_;
                bin_bound_ = &out.bound;
                gexpr_context_ = GuardContext::BinSegSize;
                ps.used = gexpr(size_expr, vt);
                bin_bound_ = saved_bvt;
                gexpr_context_ = saved_context;
                if (is_atom(size_expr) || size_expr->kind == NK::Float ||
                    size_expr->kind == NK::Nil || size_expr->kind == NK::Tuple ||
                    size_expr->kind == NK::Cons || size_expr->kind == NK::Map ||
                    size_expr->kind == NK::Binary) {
                    warning(size_expr->pos, "non-integer bit size");
                }
            }
        }
        BitSize total = check_bit_type(*this, el, size);
        if (value != nullptr && value->kind == NK::String && total.what == BitSize::All) {
            total = {BitSize::Known, 8};
        }
        if (prev.what == BitSize::All && prev_element != nullptr) {
            error(prev_element->pos,
                  "a binary field without size is only allowed at the end of a binary pattern");
        }
        prev = total;
        prev_element = el;
        out.used = vtmerge(ps.used, vtmerge(pe.used, out.used));
        out.bound = vtmerge(ps.bound, vtmerge(out.bound, pe.bound));
    }
    return out;
}

// A variable used as a segment size in a pattern: never a binding.
PatResult Linter::pat_binsize_var(const Node* var, const VarTable& vt, VarTable& nw) {
    uint32_t id = var_id(var->text);
    for (VarEntry& e : nw) {
        if (e.var == id) {
            e.used = true;
            return {};
        }
    }
    auto it = std::lower_bound(vt.begin(), vt.end(), id,
                               [](const VarEntry& e, uint32_t v) { return e.var < v; });
    if (it == vt.end() || it->var != id) {
        error(var->pos, "variable " + format_var(var->text) + " is unbound");
        return {{VarEntry{id, VarState::Bound, true, {}, pos_set(var->pos)}}, {}};
    }
    if (it->state == VarState::Unsafe) {
        error(var->pos, "variable " + format_var(var->text) + " unsafe in '" +
                            std::string(it->where.tag) + "' (line " +
                            std::to_string(it->where.pos.line) + ", column " +
                            std::to_string(it->where.pos.column) + ")");
    }
    return {{VarEntry{id, VarState::Bound, true, {}, it->annos}}, {}};
}

}  // namespace lint
