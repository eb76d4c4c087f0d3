// parser_build: node builders and erl_parse's semantic checks, called from the
// grammar actions in parser.y.
#include "compiler/parser_build.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace parser {

using ast::first_pos;
using ast::Kind;

Context::Context(std::span<const Token> tokens, const std::string& file, ast::Arena& arena,
                 diag::Reporter& reporter)
    : tokens_(tokens), file_(file), arena_(arena), reporter_(reporter) {
    // A trailing Eof token (a file's last form without its dot) ends the
    // stream; erl_parse then reports '$end' at the last real token.
    while (!tokens_.empty() && tokens_.back().kind == token::Kind::Eof) {
        tokens_ = tokens_.first(tokens_.size() - 1);
    }
    end_token_.kind = token::Kind::Eof;
    if (!tokens_.empty()) end_token_.pos = tokens_.back().pos;
    lookahead_ = &end_token_;
}

// ---------------------------------------------------------------- tokens

const Token* Context::next_token() {
    if (next_ >= tokens_.size()) {
        lookahead_ = &end_token_;
        return nullptr;
    }
    lookahead_ = &tokens_[next_++];
    return lookahead_;
}

void Context::syntax_error(bool exhausted) {
    if (exhausted) {
        fail(lookahead_->pos,
             "syntax error before: " + token::describe(*lookahead_) + " (nesting too deep)");
        return;
    }
    fail(lookahead_->pos, "syntax error before: " + token::describe(*lookahead_));
}

void Context::fail(Pos pos, std::string message) {
    if (failed_) return;
    failed_ = true;
    reporter_.error(file_, pos, diag::Phase::Syntax, std::move(message));
}

Node* Context::fail_at(Pos pos, std::string message) {
    fail(pos, std::move(message));
    return nullptr;
}

// ---------------------------------------------------------------- lists

NodeList Context::list_one(Node* node, Node* type) {
    auto* cell = static_cast<Cell*>(arena_.allocate(sizeof(Cell), alignof(Cell)));
    *cell = Cell{node, nullptr, type};
    return NodeList{cell, cell, 1};
}

NodeList& Context::append(NodeList& list, Node* node, Node* type) {
    NodeList one = list_one(node, type);
    if (list.head == nullptr) {
        list = one;
    } else {
        list.tail->next = one.head;
        list.tail = one.tail;
        ++list.size;
    }
    return list;
}

NodeList Context::prepend(Node* node, NodeList list) {
    NodeList one = list_one(node);
    if (list.head == nullptr) return one;
    one.head->next = list.head;
    return NodeList{one.head, list.tail, list.size + 1};
}

// ---------------------------------------------------------------- leaves

Node* Context::node(Kind kind, Pos pos) {
    return arena_.node(kind, pos);
}

Node* Context::node(Kind kind, Pos pos, std::initializer_list<Node*> kids) {
    return arena_.node(kind, pos, std::span<Node* const>(kids.begin(), kids.size()));
}

Node* Context::node(Kind kind, Pos pos, const NodeList& kids) {
    return node(kind, pos, nullptr, kids);
}

// A node whose kids are `first` (when not null) followed by `rest`.
Node* Context::node(Kind kind, Pos pos, Node* first, const NodeList& rest) {
    Node* n = arena_.node(kind, pos);
    n->num_kids = rest.size + (first != nullptr ? 1 : 0);
    if (n->num_kids == 0) return n;
    n->kids = static_cast<Node**>(arena_.allocate(n->num_kids * sizeof(Node*), alignof(Node*)));
    Node** out = n->kids;
    if (first != nullptr) *out++ = first;
    for (const Cell* c = rest.head; c != nullptr; c = c->next)
        *out++ = c->node;
    return n;
}

Node* Context::atom(const Token* tok) {
    Node* n = node(Kind::Atom, tok->pos);
    n->text = tok->text;
    return n;
}

Node* Context::var(const Token* tok) {
    Node* n = node(Kind::Var, tok->pos);
    n->text = tok->text;
    return n;
}

Node* Context::integer(const Token* tok) {
    Node* n = node(Kind::Integer, tok->pos);
    n->int_value = tok->int_value;
    n->is_big = tok->is_big;
    if (tok->is_big) n->text = tok->text;
    return n;
}

Node* Context::floating(const Token* tok) {
    Node* n = node(Kind::Float, tok->pos);
    n->float_value = tok->float_value;
    return n;
}

Node* Context::character(const Token* tok) {
    Node* n = node(Kind::Char, tok->pos);
    n->int_value = tok->int_value;
    return n;
}

// Adjacent string literals are one string at the first one's position.
Node* Context::string(TokRange range) {
    Node* n = node(Kind::String, range.first->pos);
    if (range.first == range.last) {
        n->text = range.first->text;
        return n;
    }
    size_t size = 0;
    for (const Token* t = range.first; t <= range.last; ++t)
        size += t->text.size();
    char* out = static_cast<char*>(arena_.allocate(size, 1));
    size_t at = 0;
    for (const Token* t = range.first; t <= range.last; ++t) {
        if (!t->text.empty()) std::memcpy(out + at, t->text.data(), t->text.size());
        at += t->text.size();
    }
    n->text = std::string_view(out, size);
    return n;
}

// ---------------------------------------------------------------- expressions

Node* Context::binary_op(Node* left, const Token* op, Node* right) {
    Node* n = node(Kind::BinaryOp, op->pos, {left, right});
    n->op = op->kind;
    return n;
}

Node* Context::unary_op(const Token* op, Node* operand) {
    Node* n = node(Kind::UnaryOp, op->pos, {operand});
    n->op = op->kind;
    return n;
}

// OTP 25 annotates a match with first_anno of its pattern.
Node* Context::match(Node* pattern, Node* expr) {
    return node(Kind::Match, first_pos(pattern), {pattern, expr});
}

// A call is at the first position of its callee (first_anno).
Node* Context::call(Node* callee, const NodeList& args) {
    return node(Kind::Call, first_pos(callee), callee, args);
}

// `[E1, ..., En | Tail]` as a chain of Cons built front to back: the first
// cons is at '[', the others at their element's first position, and the
// closing Nil at ']'.
Node* Context::list(const Token* open, const NodeList& elems, Node* tail, const Token* close) {
    if (elems.head == nullptr) return node(Kind::Nil, open->pos);
    Node* first = nullptr;
    Node* previous = nullptr;
    for (const Cell* c = elems.head; c != nullptr; c = c->next) {
        Pos pos = previous == nullptr ? open->pos : first_pos(c->node);
        Node* cons = node(Kind::Cons, pos, {c->node, nullptr});
        if (previous == nullptr) {
            first = cons;
        } else {
            previous->kids[1] = cons;
        }
        previous = cons;
    }
    previous->kids[1] = tail != nullptr ? tail : node(Kind::Nil, close->pos);
    return first;
}

Node* Context::bin_element(Node* value, Node* size, const NodeList& types) {
    Node* n = arena_.node(Kind::BinElement, first_pos(value));
    n->num_kids = 2 + types.size;
    n->kids = static_cast<Node**>(arena_.allocate(n->num_kids * sizeof(Node*), alignof(Node*)));
    n->kids[0] = value;
    n->kids[1] = size;
    Node** out = n->kids + 2;
    for (const Cell* c = types.head; c != nullptr; c = c->next)
        *out++ = c->node;
    return n;
}

// `unit:8` (or any `name:N`): op is Colon and int_value N when `:N` is given.
Node* Context::bin_type(const Token* name, const Token* unit) {
    Node* n = node(Kind::BinType, name->pos);
    n->text = name->text;
    if (unit != nullptr) {
        n->op = token::Kind::Colon;
        n->int_value = unit->int_value;
        n->is_big = unit->is_big;
    }
    return n;
}

// op is Var when the field name is a variable (`_ = V`, or an error for lint).
Node* Context::record_field(const Token* name, Node* value) {
    Node* n = node(Kind::RecordField, name->pos, {value});
    n->text = name->text;
    if (name->kind == token::Kind::Var) n->op = token::Kind::Var;
    return n;
}

Node* Context::fun_ref(const Token* fun, Node* module, Node* name, Node* arity) {
    if (module != nullptr) return node(Kind::FunRef, fun->pos, {module, name, arity});
    Node* n = node(Kind::FunRef, fun->pos);
    n->text = name->text;
    n->int_value = arity->int_value;
    n->is_big = arity->is_big;
    return n;
}

Node* Context::fun(const Token* fun, const NodeList& clauses) {
    if (!check_clause_heads(clauses)) return nullptr;
    Node* n = node(Kind::Fun, fun->pos, clauses);
    n->text = clauses.head->node->text;
    return n;
}

// ---------------------------------------------------------------- clauses

// Clause.text is the function's or named fun's name (empty otherwise); the
// head check compares it.
Node* Context::clause(Pos pos, const Token* name, Node* patterns, Node* guard, Node* body) {
    if (guard == nullptr) guard = node(Kind::Guard, pos);
    Node* n = node(Kind::Clause, pos, {patterns, guard, body});
    if (name != nullptr) n->text = name->text;
    return n;
}

Node* Context::guard(const Token* when, const NodeList& alternatives) {
    Pos pos = when != nullptr ? when->pos : alternatives.head->node->pos;
    return node(Kind::Guard, pos, alternatives);
}

Node* Context::guard_seq(const NodeList& tests) {
    return node(Kind::GuardSeq, first_pos(tests.head->node), tests);
}

// `Class:Reason:Stack`, `Class:Reason` or `Reason`. The clause is at the
// class token, or at the reason's first position when there is no class.
Node* Context::catch_clause(const Token* cls, Node* reason, const Token* stack, Node* guard,
                            Node* body) {
    Pos pos = cls != nullptr ? cls->pos : first_pos(reason);
    Node* cls_node = nullptr;
    if (cls != nullptr) cls_node = cls->kind == token::Kind::Var ? var(cls) : atom(cls);
    Node* stack_node = stack != nullptr ? var(stack) : nullptr;
    Node* patterns = node(Kind::Patterns, pos, {cls_node, reason, stack_node});
    return clause(pos, nullptr, patterns, guard, body);
}

bool Context::check_clause_heads(const NodeList& clauses) {
    const Node* first = clauses.head->node;
    uint32_t arity = ast::clause_patterns(first)->num_kids;
    for (const Cell* c = clauses.head->next; c != nullptr; c = c->next) {
        const Node* clause = c->node;
        if (clause->text != first->text || ast::clause_patterns(clause)->num_kids != arity) {
            fail(clause->pos, "head mismatch");
            return false;
        }
    }
    return true;
}

// ---------------------------------------------------------------- forms

Node* Context::function(const NodeList& clauses) {
    if (!check_clause_heads(clauses)) return nullptr;
    const Node* first = clauses.head->node;
    Node* n = node(Kind::Function, first->pos, clauses);
    n->text = first->text;
    n->int_value = ast::clause_patterns(first)->num_kids;
    return n;
}

namespace {

std::vector<Node*> to_vector(const NodeList& list) {
    std::vector<Node*> out;
    out.reserve(list.size);
    for (const Cell* c = list.head; c != nullptr; c = c->next)
        out.push_back(c->node);
    return out;
}

bool is_kind(const Node* n, Kind kind) {
    return n != nullptr && n->kind == kind;
}

}  // namespace

// build_attribute/2 of erl_parse: the attributes it knows are checked and
// turned into their own nodes; any other must have a constant term value.
Node* Context::attribute(const Token* name, const NodeList& values) {
    std::vector<Node*> vals = to_vector(values);
    std::string_view attr = name->text;
    auto bad = [&](const Node* at, std::string_view what) {
        return fail_at(first_pos(at), std::string("bad ") + std::string(what) + " declaration");
    };
    if (attr == "module") {
        if (vals.size() == 1 && is_kind(vals[0], Kind::Atom)) {
            Node* n = node(Kind::ModuleAttr, name->pos);
            n->text = vals[0]->text;
            return n;
        }
        return bad(vals[0], "module");
    }
    if (attr == "export") {
        if (vals.size() != 1) return bad(vals[1], "export");
        return export_attr(name, vals[0]);
    }
    if (attr == "import") {
        if (vals.size() == 2 && is_kind(vals[0], Kind::Atom)) {
            return import_attr(name, vals[0], vals[1]);
        }
        return bad(vals.size() >= 2 ? vals[1] : vals[0], "import");
    }
    if (attr == "record") {
        if (vals.size() == 2 && is_kind(vals[0], Kind::Atom)) {
            return record_attr(name, vals[0], vals[1]);
        }
        return bad(vals[0], "record");
    }
    if (attr == "file") {
        if (vals.size() == 2 && is_kind(vals[0], Kind::String) && is_kind(vals[1], Kind::Integer)) {
            Node* n = node(Kind::Attribute, name->pos, {vals[0], vals[1]});
            n->text = attr;
            return n;
        }
        return bad(vals[0], "file");
    }
    if (vals.size() != 1) return fail_at(first_pos(vals[1]), "bad attribute");
    if (!is_term(vals[0])) return fail_at(first_pos(vals[0]), "bad attribute");
    if (attr == "export_type") {
        NodeList funs{};
        bool was_failed = failed_;
        // export_type is only a term to erl_parse: never raise here.
        failed_ = true;
        bool ok = farity_list(vals[0], funs);
        failed_ = was_failed;
        if (ok) {
            Node* n = node(Kind::Export, name->pos, funs);
            n->text = attr;
            return n;
        }
    }
    Node* n = node(Kind::Attribute, name->pos, {vals[0]});
    n->text = attr;
    return n;
}

Node* Context::export_attr(const Token* name, Node* list) {
    NodeList funs{};
    if (!farity_list(list, funs)) return nullptr;
    Node* n = node(Kind::Export, name->pos, funs);
    n->text = name->text;
    return n;
}

Node* Context::import_attr(const Token* name, Node* module, Node* list) {
    NodeList funs{};
    if (!farity_list(list, funs)) return nullptr;
    Node* n = node(Kind::Import, name->pos, funs);
    n->text = module->text;
    return n;
}

// A proper list of Name/Arity into FunArity nodes (at the name's position).
// erl_parse's farity_list/1 errors: "bad function arity", "bad function
// name", "bad Name/Arity".
bool Context::farity_list(Node* list, NodeList& out) {
    Node* at = list;
    while (!is_kind(at, Kind::Nil)) {
        if (!is_kind(at, Kind::Cons)) {
            fail(first_pos(at), "bad Name/Arity");
            return false;
        }
        Node* elem = at->kids[0];
        if (!is_kind(elem, Kind::BinaryOp) || elem->op != token::Kind::Slash) {
            fail(first_pos(at), "bad Name/Arity");
            return false;
        }
        Node* fname = elem->kids[0];
        Node* farity = elem->kids[1];
        if (!is_kind(fname, Kind::Atom)) {
            fail(first_pos(fname), "bad function name");
            return false;
        }
        if (!is_kind(farity, Kind::Integer)) {
            fail(first_pos(farity), "bad function arity");
            return false;
        }
        Node* fa = node(Kind::FunArity, fname->pos);
        fa->text = fname->text;
        fa->int_value = farity->int_value;
        fa->is_big = farity->is_big;
        append(out, fa);
        at = at->kids[1];
    }
    return true;
}

Node* Context::record_attr(const Token* name, Node* record, Node* tuple) {
    if (!is_kind(tuple, Kind::Tuple)) {
        return fail_at(first_pos(tuple), "bad record declaration");
    }
    NodeList fields{};
    for (uint32_t i = 0; i < tuple->num_kids; ++i)
        append(fields, tuple->kids[i]);
    return record_decl(name, record->text, fields);
}

// The fields of a record declaration: `a`, `a = Default`, each optionally
// typed. Anything else is "bad record field" (erl_parse's record_fields/1).
Node* Context::record_decl(const Token* name, std::string_view record, const NodeList& fields) {
    NodeList decls{};
    for (const Cell* c = fields.head; c != nullptr; c = c->next) {
        Node* decl = field_decl(c->node, c->type);
        if (decl == nullptr) return fail_at(first_pos(c->node), "bad record field");
        append(decls, decl);
    }
    Node* n = node(Kind::RecordDecl, name->pos, decls);
    n->text = record;
    return n;
}

// A typed field keeps its type as a second kid.
Node* Context::field_decl(Node* field, Node* type) {
    Node* name = nullptr;
    Node* init = nullptr;
    if (is_kind(field, Kind::Atom)) {
        name = field;
    } else if (is_kind(field, Kind::Match) && is_kind(field->kids[0], Kind::Atom)) {
        name = field->kids[0];
        init = field->kids[1];
    } else {
        return nullptr;
    }
    Node* n = type != nullptr ? node(Kind::FieldDecl, name->pos, {init, type})
                              : node(Kind::FieldDecl, name->pos, {init});
    n->text = name->text;
    return n;
}

// build_typed_attribute/2: `-record(r, {typed fields})` and
// `-type|-opaque Name(Vars) :: Type`.
Node* Context::typed_attribute(const Token* name, const TypedAttrVal& val) {
    std::string_view attr = name->text;
    bool record_ok = val.is_record && attr == "record" && is_kind(val.expr, Kind::Atom);
    bool type_ok = !val.is_record && (attr == "type" || attr == "opaque") &&
                   is_kind(val.expr, Kind::Call) && is_kind(val.expr->kids[0], Kind::Atom);
    if (!record_ok && !type_ok) {
        if (attr == "record" || attr == "type" || attr == "opaque") {
            return fail_at(name->pos, "bad " + std::string(attr) + " declaration");
        }
        return fail_at(name->pos, "bad attribute");
    }
    if (record_ok) return record_decl(name, val.expr->text, val.fields);
    const Node* head = val.expr;
    for (uint32_t i = 1; i < head->num_kids; ++i) {
        const Node* param = head->kids[i];
        if (is_kind(param, Kind::Var) && param->text == "_") {
            return fail_at(param->pos, "bad type variable");
        }
    }
    for (uint32_t i = 1; i < head->num_kids; ++i) {
        if (!is_kind(head->kids[i], Kind::Var)) {
            return fail_at(first_pos(head->kids[i]), "bad type variable");
        }
    }
    std::vector<Node*> kids(head->kids + 1, head->kids + head->num_kids);
    kids.push_back(val.type);
    Node* n = arena_.node(Kind::TypeAttr, name->pos, kids);
    n->text = attr;
    n->name2 = head->kids[0]->text;
    n->int_value = head->num_kids - 1;
    return n;
}

namespace {

// The arity of a signature, TypeFun or TypeBounded.
int sig_arity(const Node* sig) {
    const Node* fun = sig->kind == Kind::TypeBounded ? sig->kids[0] : sig;
    return static_cast<int>(fun->kids[0]->num_kids);
}

}  // namespace

// build_type_spec/2: the arity is that of the first signature (erl_lint
// checks the others).
Node* Context::spec(const Token* kind, const SpecVal& spec) {
    Node* n = node(Kind::TypeAttr, kind->pos, spec.module != nullptr ? atom(spec.module) : nullptr,
                   spec.sigs);
    n->text = kind->text;
    n->name2 = spec.name->text;
    n->int_value = sig_arity(spec.sigs.head->node);
    return n;
}

// ---------------------------------------------------------------- types

namespace {

// io_lib:write_atom/1: bare when a lowercase-initial name, else quoted.
std::string write_atom(std::string_view name) {
    token::Token tok;
    tok.kind = token::Kind::Atom;
    tok.text = name;
    return token::describe(tok);
}

}  // namespace

Node* Context::type_call(const Token* name, const NodeList& args) {
    Node* n = node(Kind::TypeCall, name->pos, args);
    n->text = name->text;
    n->int_value = args.size;
    return n;
}

Node* Context::type_remote(const Token* module, const Token* name, const NodeList& args) {
    Node* n = node(Kind::TypeRemote, module->pos, args);
    n->text = module->text;
    n->name2 = name->text;
    return n;
}

Node* Context::type_ann(const Token* var_tok, Node* type) {
    return node(Kind::TypeAnn, var_tok->pos, {var(var_tok), type});
}

// lift_unions/2 annotates the union with the first alternative's position.
Node* Context::type_union(const NodeList& alternatives) {
    if (alternatives.size == 1) return alternatives.head->node;
    return node(Kind::TypeUnion, alternatives.head->node->pos, alternatives);
}

// erl_parse annotates a range with its low bound's own position.
Node* Context::type_range(Node* low, const Token* op, Node* high) {
    return node(Kind::TypeRange, low->pos, {low, high});
}

Node* Context::type_list(const Token* open, Node* elem, const Token* dots) {
    if (elem == nullptr) return node(Kind::TypeList, open->pos);
    Node* n = node(Kind::TypeList, open->pos, {elem});
    if (dots != nullptr) n->op = token::Kind::DotDotDot;
    return n;
}

Node* Context::type_map_field(Node* key, const Token* op, Node* value) {
    Node* n = node(Kind::TypeMapField, op->pos, {key, value});
    n->op = op->kind;
    return n;
}

Node* Context::type_record(const Token* hash, const Token* name, const NodeList& fields) {
    Node* n = node(Kind::TypeRecord, hash->pos, fields);
    n->text = name->text;
    return n;
}

// An absent size or unit is erl_parse's `abstract2(0, '<<')`.
Node* Context::type_binary(const Token* open, Node* base, Node* unit) {
    auto zero = [&] { return node(Kind::Integer, open->pos); };
    return node(Kind::TypeBinary, open->pos,
                {base != nullptr ? base : zero(), unit != nullptr ? unit : zero()});
}

Node* Context::type_fun(const Token* open, const NodeList& args, Node* result) {
    return node(Kind::TypeFun, open->pos, {node(Kind::TypeArgs, open->pos, args), result});
}

Node* Context::type_fun_any(const Token* open, Node* result) {
    return node(Kind::TypeFun, open->pos, {nullptr, result});
}

// build_constraint/2: the variable may not be `_`.
Node* Context::constraint(const Token* var_tok, Node* type) {
    if (var_tok->text == "_") return fail_at(var_tok->pos, "bad type variable");
    Node* v = var(var_tok);
    return node(Kind::TypeConstraint, v->pos, {v, type});
}

// build_compat_constraint/2: only is_subtype(Var, Type), with Var not `_`.
Node* Context::compat_constraint(const Token* name, const NodeList& args) {
    if (name->text != "is_subtype" || args.size != 2) {
        return fail_at(name->pos, "unsupported constraint " + write_atom(name->text));
    }
    Node* v = args.head->node;
    Node* type = args.head->next->node;
    if (!is_kind(v, Kind::Var) || v->text == "_") return fail_at(v->pos, "bad type variable");
    return node(Kind::TypeConstraint, v->pos, {v, type});
}

// In `<<_:M, _:_*N>>` the variables must be `_`.
bool Context::check_bin_type_var(const Token* var) {
    if (var->text == "_") return true;
    fail(var->pos, "Bad binary type");
    return false;
}

// ---------------------------------------------------------------- terms

namespace {

bool is_number_literal(const Node* n) {
    return is_kind(n, Kind::Integer) || is_kind(n, Kind::Float) || is_kind(n, Kind::Char);
}

// Name/Arity, which erl_parse's attribute_farity/1 turns into a tuple.
bool is_farity(const Node* n) {
    return is_kind(n, Kind::BinaryOp) && n->op == token::Kind::Slash &&
           is_kind(n->kids[0], Kind::Atom) && is_kind(n->kids[1], Kind::Integer);
}

bool is_external_fun(const Node* n) {
    return is_kind(n, Kind::FunRef) && n->num_kids == 3 && is_kind(n->kids[0], Kind::Atom) &&
           is_kind(n->kids[1], Kind::Atom) && is_kind(n->kids[2], Kind::Integer);
}

}  // namespace

// erl_parse:normalise/1 after attribute_farity/1, with an explicit work list
// (no recursion on nesting depth). `farity` marks positions where Name/Arity
// is accepted: the value itself, list elements and tails, tuple elements and
// map values.
bool is_term(const Node* expr) {
    struct Item {
        const Node* node;
        bool farity;
    };
    std::vector<Item> work{{expr, true}};
    while (!work.empty()) {
        Item item = work.back();
        work.pop_back();
        const Node* n = item.node;
        if (n == nullptr) return false;
        if (item.farity && is_farity(n)) continue;
        switch (n->kind) {
            case Kind::Integer:
            case Kind::Float:
            case Kind::Char:
            case Kind::Atom:
            case Kind::String:
            case Kind::Nil:
                break;
            case Kind::Cons:
            case Kind::Tuple:
                for (const Node* kid : n->children())
                    work.push_back({kid, true});
                break;
            case Kind::Map:
                for (const Node* field : n->children()) {
                    if (field->op != token::Kind::FatArrow) return false;
                    work.push_back({field->kids[0], false});
                    work.push_back({field->kids[1], true});
                }
                break;
            case Kind::Binary:
                for (const Node* elem : n->children()) {
                    work.push_back({elem->kids[0], false});
                    if (elem->kids[1] != nullptr) work.push_back({elem->kids[1], false});
                }
                break;
            case Kind::UnaryOp:
                if ((n->op != token::Kind::Minus && n->op != token::Kind::Plus) ||
                    !is_number_literal(n->kids[0])) {
                    return false;
                }
                break;
            case Kind::FunRef:
                if (!is_external_fun(n)) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

}  // namespace parser
