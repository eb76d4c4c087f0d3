// codegen_inline: -compile({inline, [F/A, ...]}). A local call of a listed
// function is replaced by the function's body, as OTP's inliner does, so
// that what the body raises names the caller and the body's own lines
// (OTP's io inlines o_request/2 for exactly that: a bad io:format is
// reported in io:format/2). Done on the AST before code generation, for
// functions of one clause whose patterns are plain variables and that
// have no guard (the others stay calls):
//
//   f(A1, A2)  with  f(X, Y) -> Body.   becomes
//   begin X@inlN = A1, Y@inlN = A2, Body (every variable renamed @inlN) end
//
// Fun numbers (fun_names.h) were taken from the original tree first, and
// the copies of its funs keep them, as OTP names funs before it inlines.
#include <fmt/core.h>

#include <cstring>

#include "compiler/codegen_internal.h"

namespace codegen {

using ast::Kind;
using ast::Node;

namespace {

// {inline, [F/A | {F, A}, ...]} or {inline, F/A}: the functions named.
void inline_names(const Node* option, std::set<std::pair<std::string, uint32_t>>& out) {
    if (option->kind != Kind::Tuple || option->num_kids != 2) return;
    if (option->kid(0)->kind != Kind::Atom || option->kid(0)->text != "inline") return;
    const Node* list = option->kid(1);
    std::vector<const Node*> items;
    for (const Node* n = list; n && n->kind == Kind::Cons; n = n->kid(1))
        items.push_back(n->kid(0));
    if (list->kind != Kind::Cons && list->kind != Kind::Nil) items.push_back(list);
    for (const Node* item : items) {
        bool pair = (item->kind == Kind::BinaryOp && item->op == token::Kind::Slash) ||
                    (item->kind == Kind::Tuple && item->num_kids == 2);
        if (!pair || item->kid(0)->kind != Kind::Atom || item->kid(1)->kind != Kind::Integer)
            continue;
        out.insert({std::string(item->kid(0)->text), uint32_t(item->kid(1)->int_value)});
    }
}

}  // namespace

void Compiler::collect_inline(const Node* compile_option) {
    inline_names(compile_option, inline_names_);
}

void Compiler::inline_calls() {
    if (inline_names_.empty()) return;
    for (const Node* form : module_.forms) {
        if (form == nullptr || form->kind != Kind::Function) continue;
        if (inline_names_.count({std::string(form->text), uint32_t(form->int_value)}))
            inline_forms_[{std::string(form->text), uint32_t(form->int_value)}] = form;
    }
    for (FunctionJob& job : jobs_)
        for (const Node*& clause : job.clauses)
            clause = inlined(clause);
}

// `n` with every inlinable call in it expanded (n itself when none is).
const Node* Compiler::inlined(const Node* n) {
    if (n == nullptr) return n;
    std::vector<const Node*> kids;
    bool changed = false;
    for (const Node* kid : n->children()) {
        kids.push_back(inlined(kid));
        changed = changed || kids.back() != kid;
    }
    const Node* result = n;
    if (changed) {
        Node* copy = synth_kids(n->kind, n, kids);
        copy_fields(n, copy);
        inherit_number(n, copy);
        result = copy;
    }
    if (result->kind == Kind::Call && result->kid(0)->kind == Kind::Atom) {
        if (const Node* expansion = expand(result)) return expansion;
    }
    return result;
}

// The body of the called function in place of `call`, or null.
const Node* Compiler::expand(const Node* call) {
    uint32_t arity = call->num_kids - 1;
    auto it = inline_forms_.find({std::string(call->kid(0)->text), arity});
    if (it == inline_forms_.end() || it->second->num_kids != 1) return nullptr;
    const Node* clause = it->second->kid(0);
    const Node* patterns = ast::clause_patterns(clause);
    if (ast::clause_guard(clause)->num_kids != 0) return nullptr;
    for (const Node* p : patterns->children())
        if (p->kind != Kind::Var) return nullptr;
    std::string suffix = fmt::format("@inl{}", inline_counter_++);
    std::vector<const Node*> exprs;
    for (uint32_t i = 0; i < arity; ++i) {
        const Node* pattern = patterns->kid(i);
        const Node* argument = call->kid(i + 1);
        if (pattern->text == "_") {
            exprs.push_back(argument);
        } else {
            exprs.push_back(synth(Kind::Match, call, {renamed(pattern, suffix), argument}));
        }
    }
    for (const Node* e : ast::clause_body(clause)->children())
        exprs.push_back(renamed(e, suffix));
    return synth_kids(Kind::Block, call, exprs);
}

// A deep copy of `n` with every variable (and named fun's name) renamed.
const Node* Compiler::renamed(const Node* n, const std::string& suffix) {
    std::vector<const Node*> kids;
    for (const Node* kid : n->children())
        kids.push_back(kid ? renamed(kid, suffix) : nullptr);
    Node* copy = synth_kids(n->kind, n, kids);
    copy_fields(n, copy);
    bool is_name = n->kind == Kind::Var ||
                   ((n->kind == Kind::Fun || n->kind == Kind::Clause) && !n->text.empty());
    if (is_name && n->text != "_") copy->text = arena_.string(fmt::format("{}{}", n->text, suffix));
    inherit_number(n, copy);
    return copy;
}

// A copy of a numbered fun or generator keeps its number.
void Compiler::inherit_number(const Node* original, const Node* copy) {
    const fun_names::Number* number = fun_number(original);
    if (number == nullptr) return;
    fun_names::Number value = *number;  // before the insertion may rehash
    fun_numbers_[copy] = value;
}

void Compiler::copy_fields(const Node* from, Node* to) {
    to->op = from->op;
    to->is_big = from->is_big;
    to->text = from->text;
    to->name2 = from->name2;
    std::memcpy(&to->int_value, &from->int_value, sizeof to->int_value);  // or float_value
}

}  // namespace codegen
