// codegen: the module-wide part of code generation. Owns the output tables
// (atoms, imports, literals, labels), the module's facts (records, local
// functions, -import), the queue of functions to emit, constant folding of
// literal subterms, and the lowering of records, funs and comprehensions
// into plain tuples, lambdas and local helper functions (synthesised AST,
// memoised per node so that the scan and the emitter see the same tree).
#include "compiler/codegen.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "bytecode/guard_bifs.h"
#include "compiler/codegen_internal.h"
#include "compiler/peephole.h"

namespace codegen {

using bytecode::Literal;

Compiler::Compiler(const ast::Module& module, diag::Reporter& reporter)
    : module_(module), reporter_(reporter) {}

// ---- output tables ----------------------------------------------------------

uint32_t Compiler::atom(std::string_view name) {
    auto [it, added] =
        atoms_.try_emplace(std::string(name), static_cast<uint32_t>(out_.atoms.size()));
    if (added) out_.atoms.emplace_back(name);
    return it->second;
}

uint32_t Compiler::import(std::string_view module, std::string_view name, uint32_t arity) {
    auto key = std::make_tuple(atom(module), atom(name), arity);
    auto [it, added] = imports_.try_emplace(key, static_cast<uint32_t>(out_.imports.size()));
    if (added) out_.imports.push_back({std::get<0>(key), std::get<1>(key), arity});
    return it->second;
}

namespace {

// A byte string identifying a literal, for sharing equal literals.
void literal_key(const Literal& lit, std::string& key) {
    key += static_cast<char>('A' + static_cast<int>(lit.kind));
    switch (lit.kind) {
        case Literal::Kind::Integer:
            key += std::to_string(lit.integer);
            break;
        case Literal::Kind::Float:
            key += fmt::format("{:a}", lit.number);
            break;
        default:
            key += std::to_string(lit.text.size());
            key += ':';
            key += lit.text;
            break;
    }
    key += '(';
    for (const Literal& e : lit.elements)
        literal_key(e, key);
    key += ')';
}

// Small integers that fit an Integer operand and the VM's immediate.
constexpr int64_t kSmallLimit = int64_t(1) << 59;
bool is_small(int64_t v) {
    return v >= -kSmallLimit && v < kSmallLimit;
}

}  // namespace

uint32_t Compiler::literal(const Literal& lit) {
    std::string key;
    literal_key(lit, key);
    auto [it, added] =
        literals_.try_emplace(std::move(key), static_cast<uint32_t>(out_.literals.size()));
    if (added) out_.literals.push_back(lit);
    return it->second;
}

Word Compiler::literal_op(const Literal& lit) {
    using bytecode::OperandKind;
    switch (lit.kind) {
        case Literal::Kind::Atom:
            return atom_op(lit.text);
        case Literal::Kind::Nil:
            return bytecode::operand(OperandKind::Nil, 0);
        case Literal::Kind::Integer:
            if (is_small(lit.integer)) return bytecode::integer(lit.integer);
            break;
        default:
            break;
    }
    return bytecode::operand(OperandKind::Literal, literal(lit));
}

// ---- module facts ---------------------------------------------------------------

namespace {

// The elements of a proper list written in expression syntax.
std::vector<const Node*> list_elements(const Node* n) {
    std::vector<const Node*> out;
    while (n != nullptr && n->kind == Kind::Cons) {
        out.push_back(n->kid(0));
        n = n->kid(1);
    }
    if (n != nullptr && n->kind != Kind::Nil && n->kind != Kind::Cons) out.push_back(n);
    return out;
}

}  // namespace

// OTP's numbers for every function's funs and comprehensions (after the
// record declarations are known: record defaults count where used).
void Compiler::number_funs() {
    fun_names::RecordFields records = [this](std::string_view name,
                                             std::vector<const Node*>& defaults,
                                             std::vector<std::string_view>& fields) {
        const RecordInfo* info = record(name);
        if (info == nullptr) return false;
        defaults = info->defaults;
        fields = info->fields;
        return true;
    };
    for (const Node* form : module_.forms)
        if (form != nullptr && form->kind == Kind::Function)
            fun_names::number(form, records, fun_numbers_);
}

void Compiler::collect_forms() {
    for (size_t i = 0; i < module_.forms.size(); ++i) {
        const Node* form = module_.forms[i];
        if (form == nullptr) continue;
        std::string file = i < module_.form_files.size() ? module_.form_files[i] : module_.file;
        switch (form->kind) {
            case Kind::RecordDecl: {
                RecordInfo& info = records_[form->text];
                for (const Node* field : form->children()) {
                    info.fields.push_back(field->text);
                    info.defaults.push_back(field->kid(0));
                }
                break;
            }
            case Kind::Function: {
                FunctionJob job;
                job.name = std::string(form->text);
                job.arity = static_cast<uint32_t>(form->int_value);
                job.clauses.assign(form->children().begin(), form->children().end());
                job.file = file;
                add_job(std::move(job));
                break;
            }
            case Kind::Import:
                for (const Node* fa : form->children())
                    imported_[{fa->text, static_cast<uint32_t>(fa->int_value)}] = form->text;
                break;
            case Kind::Export:
                if (form->text != "export") break;
                for (const Node* fa : form->children())
                    exports_.emplace_back(fa->text, static_cast<uint32_t>(fa->int_value));
                break;
            case Kind::Attribute:
                if (form->text != "compile") break;
                for (const Node* opt : list_elements(form->kid(0))) {
                    if (opt->kind == Kind::Atom && opt->text == "export_all") export_all_ = true;
                    collect_inline(opt);
                }
                break;
            default:
                break;
        }
    }
}

// Every module has module_info/0,1, exported, as erlc adds them: calls of
// erlang:get_module_info/1,2, which answer from the loaded module (and the
// BIF table for the BIFs of the module's name).
void Compiler::add_module_info() {
    const Node* at = nullptr;
    for (const Node* form : module_.forms)
        if (form != nullptr && at == nullptr) at = form;
    if (at == nullptr) return;
    for (uint32_t arity : {0u, 1u}) {
        if (local("module_info", arity) != nullptr) continue;
        const Node* callee =
            synth(Kind::Remote, at, {synth_atom("erlang", at), synth_atom("get_module_info", at)});
        std::vector<const Node*> params;
        if (arity == 1) params.push_back(synth_var("Item", at));
        std::vector<const Node*> call{callee, synth_atom(module_.name, at)};
        call.insert(call.end(), params.begin(), params.end());
        Node* clause = synth(Kind::Clause, at,
                             {synth_kids(Kind::Patterns, at, params), synth(Kind::Guard, at),
                              synth(Kind::Body, at, {synth_kids(Kind::Call, at, call)})});
        clause->text = arena_.string("module_info");
        FunctionJob job;
        job.name = "module_info";
        job.arity = arity;
        job.clauses.push_back(clause);
        add_job(std::move(job));
        exports_.emplace_back("module_info", arity);
    }
}

uint32_t Compiler::add_job(FunctionJob job) {
    job.info_label = new_label();
    job.entry_label = new_label();
    if (job.file.empty()) job.file = module_.file;
    locals_[{job.name, job.arity}] = jobs_.size();
    jobs_.push_back(std::move(job));
    return static_cast<uint32_t>(jobs_.size() - 1);
}

const RecordInfo* Compiler::record(std::string_view name) const {
    auto it = records_.find(name);
    return it == records_.end() ? nullptr : &it->second;
}

const FunctionJob* Compiler::local(std::string_view name, uint32_t arity) const {
    auto it = locals_.find({std::string(name), arity});
    return it == locals_.end() ? nullptr : &jobs_[it->second];
}

namespace {

struct BifEntry {
    std::string_view name;
    uint32_t arity;
    bool guard;
};

constexpr BifEntry kAutoImported[] = {
#define BEAMLITE_BIF_ENTRY(name, arity, guard, type_test, old) {#name, arity, guard != 0},
    BEAMLITE_AUTO_IMPORTED_BIFS(BEAMLITE_BIF_ENTRY)
#undef BEAMLITE_BIF_ENTRY
};

const BifEntry* auto_imported(std::string_view name, uint32_t arity) {
    for (const BifEntry& e : kAutoImported)
        if (e.name == name && e.arity == arity) return &e;
    return nullptr;
}

}  // namespace

// How erlang:Name/Arity is emitted when it is a guard BIF or an operator:
// as an instruction (bif or gc_bif: no call, X registers kept), or
// Remote (an ordinary call through the import table).
CallKind erlang_bif_kind(std::string_view name, uint32_t arity) {
    static const std::set<std::string_view> gc2 = {"+",    "-",   "*",    "/",   "div", "rem",
                                                   "band", "bor", "bxor", "bsl", "bsr"};
    static const std::set<std::string_view> cmp2 = {"==",  "/=",  "=<",  "<",  ">=", ">",
                                                    "=:=", "=/=", "and", "or", "xor"};
    // map_size, map_get and is_map_key allocate when they fail: their
    // {badmap, M} / {badkey, K} reasons are built on the heap.
    static const std::set<std::string_view> gc_named = {
        "abs",  "float",       "round",    "trunc",   "floor",
        "ceil", "binary_part", "map_size", "map_get", "is_map_key"};
    if (arity == 2 && gc2.count(name)) return CallKind::GcBif;
    if (arity == 2 && cmp2.count(name)) return CallKind::Bif;
    if (arity == 1 && (name == "-" || name == "bnot")) return CallKind::GcBif;
    if (arity == 1 && (name == "+" || name == "not")) return CallKind::Bif;
    const BifEntry* e = auto_imported(name, arity);
    if (e == nullptr || !e->guard || name == "is_record") return CallKind::Remote;
    return gc_named.count(name) ? CallKind::GcBif : CallKind::Bif;
}

CallTarget Compiler::classify_call(const Node* call) const {
    const Node* callee = call->kid(0);
    uint32_t arity = call->num_kids - 1;
    CallTarget t;
    t.arity = arity;
    // is_record(X, r) of a known record, or is_record(X, Name, Size) with a
    // literal atom and size: an is_tagged_tuple test.
    auto is_record_call = [&](std::string_view name) {
        if (name != "is_record" || call->kid(2)->kind != Kind::Atom) return false;
        if (arity == 2) return record(call->kid(2)->text) != nullptr;
        return arity == 3 && call->kid(3)->kind == Kind::Integer && !call->kid(3)->is_big &&
               call->kid(3)->int_value >= 1;
    };
    if (callee->kind == Kind::Atom) {
        t.name = callee->text;
        if (local(t.name, arity) != nullptr) {
            t.kind = CallKind::Local;
            return t;
        }
        if (auto it = imported_.find({t.name, arity}); it != imported_.end()) {
            t.kind = CallKind::Remote;
            t.module = it->second;
            return t;
        }
        t.module = "erlang";
        if (is_record_call(t.name)) {
            t.kind = CallKind::IsRecord;
            return t;
        }
        if (auto_imported(t.name, arity) != nullptr) {
            t.kind = erlang_bif_kind(t.name, arity);
            return t;
        }
        t.module = module_.name;  // undefined (lint reported it)
        t.kind = CallKind::Remote;
        return t;
    }
    if (callee->kind == Kind::Remote && callee->kid(0)->kind == Kind::Atom &&
        callee->kid(1)->kind == Kind::Atom) {
        t.module = callee->kid(0)->text;
        t.name = callee->kid(1)->text;
        t.kind = CallKind::Remote;
        if (t.module == "math" && t.name == "sqrt" && arity == 1) t.kind = CallKind::FloatBif;
        if (t.module == "erlang") {
            if (is_record_call(t.name)) {
                t.kind = CallKind::IsRecord;
            } else {
                t.kind = erlang_bif_kind(t.name, arity);
            }
        }
        return t;
    }
    t.kind = callee->kind == Kind::Remote ? CallKind::DynRemote : CallKind::Fun;
    return t;
}

// ---- constants -------------------------------------------------------------------

namespace {

Literal lit_of(Literal::Kind kind) {
    Literal l;
    l.kind = kind;
    return l;
}

std::optional<Literal> fold_arith(token::Kind op, const Literal& a, const Literal& b) {
    if (a.kind != Literal::Kind::Integer || b.kind != Literal::Kind::Integer) return std::nullopt;
    int64_t r = 0;
    bool overflow = false;
    switch (op) {
        case token::Kind::Plus:
            overflow = __builtin_add_overflow(a.integer, b.integer, &r);
            break;
        case token::Kind::Minus:
            overflow = __builtin_sub_overflow(a.integer, b.integer, &r);
            break;
        case token::Kind::Star:
            overflow = __builtin_mul_overflow(a.integer, b.integer, &r);
            break;
        default:
            return std::nullopt;
    }
    if (overflow) return std::nullopt;
    Literal l = lit_of(Literal::Kind::Integer);
    l.integer = r;
    return l;
}

}  // namespace

// A list literal, walked along its tail without recursion: a long list is
// one C frame, and its literal is built from the end with each cons moved
// into the next (caching each suffix would copy it: quadratic). A suffix
// holding a non-constant element is cached as such, so that asking again
// for each suffix stays linear.
std::optional<Literal> Compiler::constant_list(const Node* n) {
    std::vector<const Node*> conses;
    const Node* t = n;
    while (t->kind == Kind::Cons && (t == n || constants_.count(t) == 0)) {
        conses.push_back(t);
        if (constant(t->kid(0)) == nullptr) {
            for (const Node* c : conses)
                if (c != n) constants_[c] = nullptr;
            return std::nullopt;
        }
        t = t->kid(1);
    }
    const Literal* tail = constant(t);
    if (tail == nullptr) {
        for (const Node* c : conses)
            if (c != n) constants_[c] = nullptr;
        return std::nullopt;
    }
    Literal list = *tail;
    for (size_t i = conses.size(); i-- > 0;) {
        Literal cons = lit_of(Literal::Kind::Cons);
        cons.elements.reserve(2);
        cons.elements.push_back(*constant(conses[i]->kid(0)));
        cons.elements.push_back(std::move(list));
        list = std::move(cons);
    }
    return list;
}

const Literal* Compiler::constant(const Node* n) {
    switch (n->kind) {
        case Kind::Integer:
        case Kind::Char:
        case Kind::Float:
        case Kind::Atom:
        case Kind::Nil:
        case Kind::String:
        case Kind::Cons:
        case Kind::Tuple:
        case Kind::Map:
        case Kind::Record:
        case Kind::UnaryOp:
        case Kind::BinaryOp:
        case Kind::Binary:
        case Kind::Call:
            break;
        default:
            return nullptr;  // never a constant: not worth a cache entry
    }
    if (auto it = constants_.find(n); it != constants_.end())
        return it->second ? &*it->second : nullptr;
    if (context_patterns_.count(n) != 0) return nullptr;  // matched with a context
    std::optional<Literal> result;
    switch (n->kind) {
        case Kind::Integer:
            if (n->is_big) {
                result = lit_of(Literal::Kind::BigInteger);
                result->text = std::string(n->text);
            } else {
                result = lit_of(Literal::Kind::Integer);
                result->integer = n->int_value;
            }
            break;
        case Kind::Char:
            result = lit_of(Literal::Kind::Integer);
            result->integer = n->int_value;
            break;
        case Kind::Float:
            result = lit_of(Literal::Kind::Float);
            result->number = n->float_value;
            break;
        case Kind::Atom:
            result = lit_of(Literal::Kind::Atom);
            result->text = std::string(n->text);
            break;
        case Kind::Nil:
            result = lit_of(Literal::Kind::Nil);
            break;
        case Kind::String:
            result = lit_of(n->text.empty() ? Literal::Kind::Nil : Literal::Kind::String);
            result->text = std::string(n->text);
            break;
        case Kind::Cons:
            result = constant_list(n);
            break;
        case Kind::Tuple: {
            Literal l = lit_of(Literal::Kind::Tuple);
            bool ok = true;
            for (const Node* k : n->children()) {
                const Literal* e = constant(k);
                if (e == nullptr) {
                    ok = false;
                    break;
                }
                l.elements.push_back(*e);
            }
            if (ok) result = std::move(l);
            break;
        }
        case Kind::Map: {
            Literal l = lit_of(Literal::Kind::Map);
            std::map<std::string, size_t> seen;
            bool ok = true;
            for (const Node* f : n->children()) {
                const Literal* k = f->op == token::Kind::FatArrow ? constant(f->kid(0)) : nullptr;
                const Literal* v = k != nullptr ? constant(f->kid(1)) : nullptr;
                if (v == nullptr) {
                    ok = false;
                    break;
                }
                std::string key;
                literal_key(*k, key);
                if (auto it = seen.find(key); it != seen.end()) {
                    l.elements[it->second + 1] = *v;  // the last value wins
                    continue;
                }
                seen[key] = l.elements.size();
                l.elements.push_back(*k);
                l.elements.push_back(*v);
            }
            if (ok) result = std::move(l);
            break;
        }
        case Kind::Binary:
            result = constant_binary(n);
            break;
        case Kind::Call:
            result = record_info(n);
            break;
        case Kind::Record:
            if (const Node* t = lower_record(n, false); t != n) {
                if (const Literal* l = constant(t)) result = *l;
            }
            break;
        case Kind::UnaryOp:
            if (const Literal* a = constant(n->kid(0))) {
                if (n->op == token::Kind::Plus &&
                    (a->kind == Literal::Kind::Integer || a->kind == Literal::Kind::Float)) {
                    result = *a;
                } else if (n->op == token::Kind::Minus && a->kind == Literal::Kind::Float) {
                    result = *a;
                    result->number = -a->number;
                } else if (n->op == token::Kind::Minus && a->kind == Literal::Kind::Integer &&
                           a->integer != INT64_MIN) {
                    result = *a;
                    result->integer = -a->integer;
                } else if (n->op == token::Kind::Minus && a->kind == Literal::Kind::BigInteger) {
                    result = *a;
                    result->text = a->text[0] == '-' ? a->text.substr(1) : "-" + a->text;
                }
            }
            break;
        case Kind::BinaryOp: {
            const Literal* a = constant(n->kid(0));
            const Literal* b = a != nullptr ? constant(n->kid(1)) : nullptr;
            if (b != nullptr) result = fold_arith(n->op, *a, *b);
            break;
        }
        default:
            break;
    }
    if (!result) {
        constants_.emplace(n, nullptr);
        return nullptr;
    }
    constant_pool_.push_back(std::move(*result));
    constants_.emplace(n, &constant_pool_.back());
    return &constant_pool_.back();
}

// <<"text", 1, $a>>: a binary of strings and integers in default 8-bit
// segments is a literal; anything else needs the bit syntax.
std::optional<Literal> Compiler::constant_binary(const Node* n) {
    Literal l = lit_of(Literal::Kind::Binary);
    for (const Node* el : n->children()) {
        if (el->kid(1) != nullptr || el->num_kids > 2) return std::nullopt;
        const Node* v = el->kid(0);
        if (v->kind == Kind::String) {
            for (size_t i = 0; i < v->text.size();) {
                auto b = static_cast<uint8_t>(v->text[i]);
                uint32_t cp = b;
                size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
                if (len > 1) {
                    cp = b & (0x7F >> len);
                    for (size_t k = 1; k < len && i + k < v->text.size(); ++k)
                        cp = cp << 6 | (static_cast<uint8_t>(v->text[i + k]) & 0x3F);
                }
                l.text += static_cast<char>(cp & 0xFF);
                i += len;
            }
        } else if (v->kind == Kind::Integer && !v->is_big) {
            l.text += static_cast<char>(v->int_value & 0xFF);
        } else if (v->kind == Kind::Char) {
            l.text += static_cast<char>(v->int_value & 0xFF);
        } else {
            return std::nullopt;
        }
    }
    return l;
}

// record_info(fields, r) and record_info(size, r), evaluated at compile time.
std::optional<Literal> Compiler::record_info(const Node* call) {
    const Node* callee = call->kid(0);
    if (callee->kind != Kind::Atom || callee->text != "record_info" || call->num_kids != 3)
        return std::nullopt;
    const Node* what = call->kid(1);
    const Node* name = call->kid(2);
    const RecordInfo* info =
        what->kind == Kind::Atom && name->kind == Kind::Atom ? record(name->text) : nullptr;
    if (info == nullptr) return std::nullopt;
    if (what->text == "size") {
        Literal l = lit_of(Literal::Kind::Integer);
        l.integer = static_cast<int64_t>(info->fields.size() + 1);
        return l;
    }
    if (what->text != "fields") return std::nullopt;
    Literal list = lit_of(Literal::Kind::Nil);
    for (size_t i = info->fields.size(); i-- > 0;) {
        Literal cons = lit_of(Literal::Kind::Cons);
        Literal field = lit_of(Literal::Kind::Atom);
        field.text = std::string(info->fields[i]);
        cons.elements.push_back(std::move(field));
        cons.elements.push_back(std::move(list));
        list = std::move(cons);
    }
    return list;
}

// ---- synthesised AST ----------------------------------------------------------

Node* Compiler::synth_kids(Kind kind, const Node* at, const std::vector<const Node*>& kids) {
    std::vector<Node*> mutable_kids;
    mutable_kids.reserve(kids.size());
    for (const Node* k : kids)
        mutable_kids.push_back(const_cast<Node*>(k));
    return arena_.node(kind, at->pos, mutable_kids);
}

Node* Compiler::synth(Kind kind, const Node* at, std::initializer_list<const Node*> kids) {
    return synth_kids(kind, at, std::vector<const Node*>(kids));
}

Node* Compiler::synth_atom(std::string_view name, const Node* at) {
    Node* n = synth(Kind::Atom, at);
    n->text = arena_.string(name);
    return n;
}

Node* Compiler::synth_var(std::string_view name, const Node* at) {
    Node* n = synth(Kind::Var, at);
    n->text = arena_.string(name);
    return n;
}

std::string Compiler::fresh_name(std::string_view prefix) {
    return fmt::format("{}{}", prefix, name_counter_++);
}

void Compiler::error(const Node* at, std::string message) {
    reporter_.error(module_.file, at->pos, diag::Phase::Lint, std::move(message));
}

// ---- records ----------------------------------------------------------------------

// #r{f = V, ...} as the tuple {r, ...} in field order. In an expression a
// missing field takes `_ = V`'s value, else its default, else undefined; in
// a pattern it matches anything (or `_ = P`'s pattern).
const Node* Compiler::lower_record(const Node* n, bool pattern) {
    if (auto it = lowered_.find(n); it != lowered_.end()) return it->second;
    const RecordInfo* info = record(n->text);
    if (info == nullptr) return n;
    std::vector<const Node*> elements(info->fields.size() + 1, nullptr);
    elements[0] = synth_atom(n->text, n);
    const Node* rest = nullptr;
    for (const Node* f : n->children()) {
        if (f->text == "_") {
            rest = f->kid(0);
            continue;
        }
        int32_t i = info->index(f->text);
        if (i >= 0) elements[i + 1] = f->kid(0);
    }
    for (size_t i = 1; i < elements.size(); ++i) {
        if (elements[i] != nullptr) continue;
        if (rest != nullptr) {
            elements[i] = rest;
        } else if (pattern) {
            elements[i] = synth_var("_", n);
        } else {
            const Node* d = info->defaults[i - 1];
            elements[i] = d != nullptr ? d : synth_atom("undefined", n);
        }
    }
    Node* tuple = synth_kids(Kind::Tuple, n, elements);
    lowered_[n] = tuple;
    return tuple;
}

// ---- variables of a subtree ----------------------------------------------------------

namespace {

void collect_vars(const Node* n, std::set<std::string_view>& out) {
    if (n == nullptr) return;
    if (n->kind == Kind::Var) {
        if (n->text != "_") out.insert(n->text);
        return;
    }
    for (const Node* k : n->children())
        collect_vars(k, out);
}

std::set<std::string_view> vars_of(const Node* n) {
    std::set<std::string_view> out;
    collect_vars(n, out);
    return out;
}

// The variables a pattern binds, and those it only reads (binary segment
// sizes and map keys, which must be bound already).
void pattern_vars(const Node* n, std::set<std::string_view>& binds,
                  std::set<std::string_view>& reads) {
    if (n == nullptr) return;
    if (n->kind == Kind::BinElement) {
        pattern_vars(n->kid(0), binds, reads);
        collect_vars(n->kid(1), reads);
        return;
    }
    if (n->kind == Kind::MapField) {
        collect_vars(n->kid(0), reads);
        pattern_vars(n->kid(1), binds, reads);
        return;
    }
    if (n->kind == Kind::Var) {
        if (n->text != "_") binds.insert(n->text);
        return;
    }
    for (const Node* k : n->children())
        pattern_vars(k, binds, reads);
}

}  // namespace

// ---- funs -------------------------------------------------------------------------------

// A fun becomes a lambda: a local function whose arguments are the fun's own
// followed by its free variables (the variables it uses that are bound
// where it is made, minus those its clause heads shadow).
const FunLowering& Compiler::lower_fun(const Node* fun, const std::vector<std::string_view>& bound,
                                       const std::string& parent) {
    if (auto it = funs_.find(fun); it != funs_.end()) return it->second;
    std::set<std::string_view> bound_set(bound.begin(), bound.end());
    std::set<std::string_view> free;
    uint32_t arity = 0;
    for (const Node* clause : fun->children()) {
        arity = ast::clause_patterns(clause)->num_kids;
        std::set<std::string_view> head, reads;
        pattern_vars(ast::clause_patterns(clause), head, reads);
        std::set<std::string_view> used = vars_of(ast::clause_guard(clause));
        collect_vars(ast::clause_body(clause), used);
        for (std::string_view v : head) {
            // A head variable that is also bound outside shadows it.
            used.erase(v);
        }
        // Binary sizes and map keys in the head read the outer variable.
        for (std::string_view v : reads)
            if (!head.count(v)) used.insert(v);
        for (std::string_view v : used)
            if (bound_set.count(v) && v != fun->text) free.insert(v);
    }
    FunLowering lowering;
    lowering.free.assign(free.begin(), free.end());
    lowering.lambda = static_cast<uint32_t>(out_.lambdas.size());
    FunctionJob job;
    const fun_names::Number* number = fun_number(fun);
    job.name = number ? fun_names::fun_name(fun, *number, arity)
                      : fmt::format("-{}-fun-{}-", parent, lowering.lambda);
    job.arity = arity + static_cast<uint32_t>(free.size());
    job.clauses.assign(fun->children().begin(), fun->children().end());
    job.free = lowering.free;
    job.self = fun->text;
    job.lambda = static_cast<int32_t>(lowering.lambda);
    uint32_t index = add_job(std::move(job));
    const FunctionJob& added = jobs_[index];
    bytecode::Lambda lambda{atom(added.name),  arity,           static_cast<uint32_t>(free.size()),
                            added.entry_label, lowering.lambda, 0};
    out_.lambdas.push_back(lambda);
    return funs_.emplace(fun, std::move(lowering)).first->second;
}

// fun f/A: a closure of f without free variables; for an auto-imported
// BIF (fun is_atom/1), of a lambda that calls erlang:f/A.
uint32_t Compiler::local_fun_lambda(const Node* ref) {
    std::string_view name = ref->text;
    auto arity = static_cast<uint32_t>(ref->int_value);
    auto key = std::make_pair(std::string(name), arity);
    if (auto it = local_fun_lambdas_.find(key); it != local_fun_lambdas_.end()) return it->second;
    const FunctionJob* job = local(name, arity);
    if (job == nullptr) {
        std::vector<const Node*> params;
        std::vector<const Node*> call{
            synth(Kind::Remote, ref, {synth_atom("erlang", ref), synth_atom(name, ref)})};
        for (uint32_t i = 0; i < arity; ++i) {
            params.push_back(synth_var(fmt::format("A${}", i), ref));
            call.push_back(synth_var(fmt::format("A${}", i), ref));
        }
        const Node* clause =
            synth(Kind::Clause, ref,
                  {synth_kids(Kind::Patterns, ref, params), synth(Kind::Guard, ref),
                   synth(Kind::Body, ref, {synth_kids(Kind::Call, ref, call)})});
        uint32_t index =
            lower_fun(synth(Kind::Fun, ref, {clause}), {}, fmt::format("{}/{}", name, arity))
                .lambda;
        local_fun_lambdas_[key] = index;
        return index;
    }
    uint32_t index = static_cast<uint32_t>(out_.lambdas.size());
    out_.lambdas.push_back({atom(name), arity, 0, job != nullptr ? job->entry_label : 0, index, 0});
    local_fun_lambdas_[key] = index;
    return index;
}

// ---- comprehensions ---------------------------------------------------------------------

namespace {

// Builds the helper functions of one list comprehension, OTP's way: one
// helper per generator, recursing on the generator's list; an inner
// generator's helper continues with the outer helper on the outer tail.
class LcLowering {
  public:
    LcLowering(Compiler& c, const Node* lc, std::string parent)
        : c_(c), lc_(lc), parent_(std::move(parent)) {
        templ_ = lc->kid(0);
        for (size_t i = 1; i < lc->num_kids; ++i)
            quals_.push_back(lc->kid(i));
    }

    // The call that starts generator `k`; `cont` is evaluated when its list
    // is exhausted; `avail` are the names bound where the call is made.
    const Node* generator(size_t k, const Node* cont, const std::set<std::string_view>& cont_vars,
                          const std::set<std::string_view>& avail) {
        const Node* gen = quals_[k];
        const Node* pat = gen->kid(0);
        bool reads_outer = false;
        size_t next = k + 1;
        while (next < quals_.size() && quals_[next]->kind != Kind::Generate &&
               quals_[next]->kind != Kind::BinGenerate)
            ++next;
        std::set<std::string_view> used = cont_vars;
        collect_vars(templ_, used);
        for (size_t i = k + 1; i < quals_.size(); ++i)
            collect_vars(quals_[i], used);
        std::set<std::string_view> pat_vars;
        if (gen->kind == Kind::BinGenerate) {
            // Segment values bind; sizes read variables bound outside.
            for (const Node* el : pat->children()) {
                collect_vars(el->kid(0), pat_vars);
                collect_vars(el->kid(1), used);
            }
        } else {
            // Map keys and binary sizes in the pattern read variables bound
            // outside: the helper takes them as arguments, and matches the
            // element in its body, where they are bound (in its head they
            // would be read before the argument that binds them).
            std::set<std::string_view> reads;
            pattern_vars(pat, pat_vars, reads);
            used.insert(reads.begin(), reads.end());
            reads_outer = !reads.empty();
        }
        std::vector<std::string_view> args;
        for (std::string_view v : used)
            if (avail.count(v) && !pat_vars.count(v)) args.push_back(v);

        std::string tail_name = fmt::format("T$lc{}", c_.lc_counter);
        uint32_t arity = static_cast<uint32_t>(args.size() + 1);
        const fun_names::Number* number = c_.fun_number(gen);
        std::string name = number ? fun_names::generator_name(*number)
                                  : fmt::format("-{}-lc$^{}/{}-0-", parent_, c_.lc_counter, arity);
        ++c_.lc_counter;
        FunctionJob& job = register_helper(name, arity);

        auto self_call = [&](const Node* list) {
            std::vector<const Node*> kids{c_.synth_atom(name, gen), list};
            for (std::string_view a : args)
                kids.push_back(c_.synth_var(a, gen));
            return c_.synth_kids(Kind::Call, gen, kids);
        };
        const Node* skip = self_call(c_.synth_var(tail_name, gen));

        const Node* inner;
        if (next < quals_.size()) {
            std::set<std::string_view> inner_avail = pat_vars;
            inner_avail.insert(args.begin(), args.end());
            std::set<std::string_view> inner_cont_vars(args.begin(), args.end());
            inner_avail.insert(c_.synth_var(tail_name, gen)->text);
            inner_cont_vars.insert(*inner_avail.find(tail_name));
            inner = generator(next, skip, inner_cont_vars, inner_avail);
        } else {
            inner = c_.synth(Kind::Cons, templ_, {templ_, skip});
        }
        // Filters: the leading guard-like ones join the clause guard.
        std::vector<const Node*> guard_tests;
        size_t f = k + 1;
        while (f < next && is_guard_expr(c_, quals_[f]))
            guard_tests.push_back(quals_[f++]);
        for (size_t i = next; i-- > f;)
            inner = filter_case(quals_[i], inner, skip);

        auto head = [&](const Node* list_pat) {
            std::vector<const Node*> pats{list_pat};
            for (std::string_view a : args)
                pats.push_back(c_.synth_var(a, gen));
            return c_.synth_kids(Kind::Patterns, gen, pats);
        };
        auto clause = [&](const Node* pats, const Node* guard, const Node* body) {
            return c_.synth(Kind::Clause, gen, {pats, guard, c_.synth(Kind::Body, gen, {body})});
        };
        const Node* no_guard = c_.synth(Kind::Guard, gen);
        const Node* tail_var = c_.synth_var(tail_name, gen);
        const Node* guard = no_guard;
        if (!guard_tests.empty())
            guard = c_.synth(Kind::Guard, gen, {c_.synth_kids(Kind::GuardSeq, gen, guard_tests)});
        if (gen->kind == Kind::BinGenerate) {
            // <<Pat, T/bitstring>>; the same sizes with every value `_`
            // (skip an element that does not match); anything left over
            // ends the generator; a non-bitstring is a bad generator.
            job.clauses.push_back(clause(head(bin_with_tail(pat, tail_var, false)), guard, inner));
            job.clauses.push_back(clause(head(bin_with_tail(pat, tail_var, true)), no_guard, skip));
            job.clauses.push_back(clause(
                head(bin_with_tail(nullptr, c_.synth_var("_", gen), false)), no_guard, cont));
            std::string bad = fmt::format("E$lc{}", c_.lc_counter);
            job.clauses.push_back(clause(head(c_.synth_var(bad, gen)), no_guard,
                                         error_call("bad_generator", c_.synth_var(bad, gen), gen)));
            return self_call(gen->kid(1));
        }
        if (reads_outer) {
            // [E | T] -> case E of Pat when Guard -> Inner; _ -> Skip end
            const Node* element = c_.synth_var(fmt::format("E$lc{}", c_.lc_counter++), gen);
            auto case_clause = [&](const Node* p, const Node* g, const Node* body) {
                return c_.synth(
                    Kind::Clause, gen,
                    {c_.synth(Kind::Patterns, gen, {p}), g, c_.synth(Kind::Body, gen, {body})});
            };
            const Node* match = c_.synth(Kind::Case, gen,
                                         {element, case_clause(pat, guard, inner),
                                          case_clause(c_.synth_var("_", gen), no_guard, skip)});
            job.clauses.push_back(
                clause(head(c_.synth(Kind::Cons, gen, {element, tail_var})), no_guard, match));
        } else {
            job.clauses.push_back(
                clause(head(c_.synth(Kind::Cons, gen, {pat, tail_var})), guard, inner));
        }
        bool pattern_can_fail = !(pat->kind == Kind::Var) && !reads_outer;
        if (pattern_can_fail || (!guard_tests.empty() && !reads_outer)) {
            const Node* any =
                c_.synth(Kind::Cons, gen, {c_.synth_var("_", gen), c_.synth_var(tail_name, gen)});
            job.clauses.push_back(clause(head(any), no_guard, skip));
        }
        job.clauses.push_back(clause(head(c_.synth(Kind::Nil, gen)), no_guard, cont));
        std::string bad = fmt::format("E$lc{}", c_.lc_counter);
        job.clauses.push_back(clause(head(c_.synth_var(bad, gen)), no_guard,
                                     error_call("bad_generator", c_.synth_var(bad, gen), gen)));
        return self_call(gen->kid(1));
    }

    // The binary pattern `pat` (null: none) followed by `tail`/bitstring;
    // with `skip`, the segment values that are not variables become `_`.
    const Node* bin_with_tail(const Node* pat, const Node* tail, bool skip) {
        std::vector<const Node*> els;
        if (pat != nullptr) {
            for (const Node* el : pat->children()) {
                const Node* value = el->kid(0);
                if (!skip || value->kind == Kind::Var) {
                    els.push_back(el);
                    continue;
                }
                std::vector<const Node*> kids(el->children().begin(), el->children().end());
                kids[0] = c_.synth_var("_", el);
                els.push_back(c_.synth_kids(Kind::BinElement, el, kids));
            }
        }
        Node* type = c_.synth(Kind::BinType, tail);
        type->text = "bitstring";
        els.push_back(c_.synth_kids(Kind::BinElement, tail, {tail, nullptr, type}));
        return c_.synth_kids(Kind::Binary, tail, els);
    }

    // `case F of true -> Yes; false -> No; V -> error({bad_filter, V}) end`
    const Node* filter_case(const Node* filter, const Node* yes, const Node* no) {
        std::string v = fmt::format("F$lc{}", c_.lc_counter++);
        auto clause = [&](const Node* pat, const Node* body) {
            return c_.synth(Kind::Clause, filter,
                            {c_.synth(Kind::Patterns, filter, {pat}), c_.synth(Kind::Guard, filter),
                             c_.synth(Kind::Body, filter, {body})});
        };
        return c_.synth(Kind::Case, filter,
                        {filter, clause(c_.synth_atom("true", filter), yes),
                         clause(c_.synth_atom("false", filter), no),
                         clause(c_.synth_var(v, filter),
                                error_call("bad_filter", c_.synth_var(v, filter), filter))});
    }

    const Node* error_call(std::string_view tag, const Node* value, const Node* at) {
        const Node* callee =
            c_.synth(Kind::Remote, at, {c_.synth_atom("erlang", at), c_.synth_atom("error", at)});
        const Node* reason = c_.synth(Kind::Tuple, at, {c_.synth_atom(tag, at), value});
        return c_.synth(Kind::Call, at, {callee, reason});
    }

    const Node* lower(const std::set<std::string_view>& bound) {
        if (quals_.empty()) return c_.synth(Kind::Cons, lc_, {templ_, c_.synth(Kind::Nil, lc_)});
        const Node* first = quals_[0];
        if (first->kind != Kind::Generate && first->kind != Kind::BinGenerate) {
            // A leading filter: `case F of true -> [E || Rest]; false -> [] end`.
            std::vector<const Node*> rest{templ_};
            for (size_t i = 1; i < quals_.size(); ++i)
                rest.push_back(quals_[i]);
            return filter_case(first, c_.synth_kids(Kind::ListComp, lc_, rest),
                               c_.synth(Kind::Nil, lc_));
        }
        return generator(0, c_.synth(Kind::Nil, lc_), {}, bound);
    }

  private:
    FunctionJob& register_helper(const std::string& name, uint32_t arity);

    Compiler& c_;
    const Node* lc_;
    std::string parent_;
    const Node* templ_;
    std::vector<const Node*> quals_;
};

}  // namespace

// Helpers are registered before their clauses are built, so that the calls
// to them in other helpers resolve as local calls.
FunctionJob& LcLowering::register_helper(const std::string& name, uint32_t arity) {
    FunctionJob job;
    job.name = name;
    job.arity = arity;
    c_.jobs().push_back(std::move(job));
    return c_.jobs().back();
}

const Node* Compiler::lower_comprehension(const Node* lc,
                                          const std::vector<std::string_view>& bound,
                                          const std::string& parent) {
    if (auto it = lowered_.find(lc); it != lowered_.end()) return it->second;
    const Node* result;
    if (lc->kind == Kind::BinComp) {
        // << T || Qs >> is list_to_bitstring([T || Qs]).
        std::vector<const Node*> kids(lc->children().begin(), lc->children().end());
        const Node* list = lower_comprehension(synth_kids(Kind::ListComp, lc, kids), bound, parent);
        const Node* callee = synth(Kind::Remote, lc,
                                   {synth_atom("erlang", lc), synth_atom("list_to_bitstring", lc)});
        result = synth(Kind::Call, lc, {callee, list});
    } else {
        size_t before = jobs_.size();
        LcLowering lowering(*this, lc, parent);
        result = lowering.lower(std::set<std::string_view>(bound.begin(), bound.end()));
        // Give the helpers (pushed directly by the lowering) their labels.
        for (size_t i = before; i < jobs_.size(); ++i) {
            FunctionJob& job = jobs_[i];
            if (job.info_label != 0) continue;
            job.info_label = new_label();
            job.entry_label = new_label();
            job.file = module_.file;
            locals_[{job.name, job.arity}] = i;
        }
    }
    lowered_[lc] = result;
    return result;
}

// ---- the driver -----------------------------------------------------------------------

bytecode::Module Compiler::run() {
    out_.name = std::string(module_.name);
    out_.file = module_.file;
    atom(module_.name);
    collect_forms();
    number_funs();
    inline_calls();
    add_module_info();
    plan_context_reuse();
    // Growing the code vector by doubling touches (and faults in) about
    // twice the memory; a generous guess up front avoids most of it.
    out_.code.reserve(jobs_.size() * 256);
    for (size_t i = 0; i < jobs_.size(); ++i)
        FnGen(*this, i).compile();
    for (const FunctionJob& job : jobs_)
        out_.functions.push_back({atom(job.name), job.arity, job.entry_label, job.info_label});
    auto add_export = [&](std::string_view name, uint32_t arity) {
        const FunctionJob* job = local(name, arity);
        if (job == nullptr) return;
        uint32_t a = atom(name);
        for (const bytecode::Export& e : out_.exports)
            if (e.function == a && e.arity == arity) return;
        out_.exports.push_back({a, arity, job->entry_label});
    };
    for (auto [name, arity] : exports_)
        add_export(name, arity);
    if (export_all_) {
        for (const Node* form : module_.forms)
            if (form != nullptr && form->kind == Kind::Function)
                add_export(form->text, static_cast<uint32_t>(form->int_value));
    }
    for (bytecode::Lambda& l : out_.lambdas) {
        // A stable hash of the lambda's name (FNV-1a), as the BEAM's uniq.
        uint32_t h = 2166136261u;
        for (char ch : out_.atoms[l.function])
            h = (h ^ static_cast<uint8_t>(ch)) * 16777619u;
        for (char ch : out_.name)
            h = (h ^ static_cast<uint8_t>(ch)) * 16777619u;
        l.uniq = h & 0x7FFFFFF;
    }
    peephole::run(out_);
    return std::move(out_);
}

bytecode::Module compile(const ast::Module& module, diag::Reporter& reporter) {
    Compiler compiler(module, reporter);
    return compiler.run();
}

}  // namespace codegen
