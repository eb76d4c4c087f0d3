// abstract: AST <-> abstract format text (see abstract.h for the shapes).
#include "compiler/abstract.h"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "compiler/lexer.h"
#include "compiler/parser.h"

namespace abstract {

using ast::Kind;
using ast::Node;
using token::Pos;

namespace {

// ---- small helpers --------------------------------------------------------------

// The code points of UTF-8 `text` (a byte that starts no valid sequence is
// taken as itself, as the lexer keeps it).
std::vector<uint32_t> code_points(std::string_view text) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < text.size();) {
        auto b = static_cast<uint8_t>(text[i]);
        size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        if (n == 1 || i + n > text.size()) {
            out.push_back(b);
            ++i;
            continue;
        }
        uint32_t c = b & (0x7F >> n);
        for (size_t k = 1; k < n; ++k)
            c = (c << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
        out.push_back(c);
        i += n;
    }
    return out;
}

void append_utf8(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | (c >> 6));
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | (c >> 12));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | (c >> 18));
        out += char(0x80 | ((c >> 12) & 0x3F));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

bool is_attribute_named(const Node* form, std::string_view name) {
    return form->kind == Kind::Attribute && form->text == name && form->num_kids == 1;
}

// The elements of a literal list in expression syntax ([a, b], "ab", []).
std::vector<const Node*> literal_list(const Node* n) {
    std::vector<const Node*> out;
    while (n->kind == Kind::Cons) {
        out.push_back(n->kids[0]);
        n = n->kids[1];
    }
    return out;
}

// ---- AST -> text -----------------------------------------------------------------

class Writer {
  public:
    std::string out;

    void anno(Pos pos) {
        if (pos.column == 0 || pos.column == UINT32_MAX)
            out += fmt::format("{}", pos.line);
        else
            out += fmt::format("{{{},{}}}", pos.line, pos.column);
    }
    void open(std::string_view tag, Pos pos) {
        out += '{';
        out += lexer::write_atom(tag);
        out += ',';
        anno(pos);
    }
    void atom(std::string_view name) { out += lexer::write_atom(name); }
    void chars(std::string_view text) {
        out += '[';
        bool first = true;
        for (uint32_t c : code_points(text)) {
            if (!first) out += ',';
            first = false;
            out += fmt::format("{}", c);
        }
        out += ']';
    }
    // The shortest text that reads back as `value`, in Erlang's syntax
    // (which wants a digit after the point: 1.0e20, not 1e+20).
    void float_text(double value) {
        std::string text = fmt::format("{}", value);
        size_t e = text.find('e');
        if (text.find('.') == std::string::npos)
            text.insert(e == std::string::npos ? text.size() : e, ".0");
        out += text;
    }
    void integer(const Node* n) {
        if (n->is_big)
            out += n->text;
        else
            out += fmt::format("{}", n->int_value);
    }

    template <typename Each>
    void list(std::span<Node* const> nodes, Each each) {
        out += '[';
        bool first = true;
        for (const Node* n : nodes) {
            if (n == nullptr) continue;
            if (!first) out += ',';
            first = false;
            each(n);
        }
        out += ']';
    }
    void exprs(std::span<Node* const> nodes) {
        list(nodes, [this](const Node* n) { expr(n); });
    }
    void exprs_of(const Node* holder, size_t from = 0) {
        std::span<Node* const> kids = holder->children();
        exprs(kids.subspan(std::min(from, kids.size())));
    }

    void expr(const Node* n);
    void literal(const Node* n, Pos pos);
    void clause(const Node* c, bool catch_clause = false);
    void clauses(std::span<Node* const> cs, bool catch_clause = false) {
        list(cs, [&](const Node* c) { clause(c, catch_clause); });
    }
    void guard(const Node* g) {
        list(g->children(), [this](const Node* seq) { exprs_of(seq); });
    }
    void form(const Node* f);

  private:
    void bin_element(const Node* e);
    void record_fields(std::span<Node* const> fields);
    void cons(const Node* n);
    void fun_ref(const Node* n);
    void fun(const Node* n);
    void compound(const Node* n);
    void attribute(const Node* f);
    void record_decl(const Node* f);
    void fun_arities(const Node* f) {
        list(f->children(), [this](const Node* fa) {
            out += fmt::format("{{{},{}}}", lexer::write_atom(fa->text), fa->int_value);
        });
    }
};

void Writer::cons(const Node* n) {
    size_t depth = 0;  // iterative along the tail: lists may be long
    for (; n->kind == Kind::Cons; n = n->kids[1], ++depth) {
        open("cons", n->pos);
        out += ',';
        expr(n->kids[0]);
        out += ',';
    }
    expr(n);
    out.append(depth, '}');
}

void Writer::bin_element(const Node* e) {
    open("bin_element", e->pos);
    out += ',';
    expr(e->kids[0]);
    out += ',';
    if (e->kids[1] != nullptr)
        expr(e->kids[1]);
    else
        out += "default";
    out += ',';
    if (e->num_kids <= 2) {
        out += "default}";
        return;
    }
    list(e->children().subspan(2), [this](const Node* t) {
        if (t->op == token::Kind::Colon)
            out += fmt::format("{{{},{}}}", lexer::write_atom(t->text), t->int_value);
        else
            atom(t->text);
    });
    out += '}';
}

void Writer::record_fields(std::span<Node* const> fields) {
    list(fields, [this](const Node* f) {
        open("record_field", f->pos);
        out += ',';
        open(f->op == token::Kind::Var ? "var" : "atom", f->pos);
        out += ',';
        atom(f->text);
        out += "},";
        expr(f->kids[0]);
        out += '}';
    });
}

void Writer::fun_ref(const Node* n) {
    open("fun", n->pos);
    if (n->num_kids == 0) {
        out += fmt::format(",{{function,{},{}}}}}", lexer::write_atom(n->text), n->int_value);
        return;
    }
    out += ",{function,";
    expr(n->kids[0]);
    out += ',';
    expr(n->kids[1]);
    out += ',';
    expr(n->kids[2]);
    out += "}}";
}

void Writer::fun(const Node* n) {
    if (n->text.empty()) {
        open("fun", n->pos);
        out += ",{clauses,";
        clauses(n->children());
        out += "}}";
        return;
    }
    open("named_fun", n->pos);
    out += ',';
    atom(n->text);
    out += ',';
    clauses(n->children());
    out += '}';
}

void Writer::clause(const Node* c, bool catch_clause) {
    open("clause", c->pos);
    out += ',';
    const Node* ps = ast::clause_patterns(c);
    if (catch_clause) {
        // [{tuple,A,[Class,Reason,Stack]}] at the clause, with throw and
        // '_' filled in at Reason
        Pos at = ast::first_pos(ps->kids[1]);
        out += "[{tuple,";
        anno(c->pos);
        out += ",[";
        if (ps->kids[0] != nullptr) {
            expr(ps->kids[0]);
        } else {
            open("atom", at);
            out += ",throw}";
        }
        out += ',';
        expr(ps->kids[1]);
        out += ',';
        if (ps->kid(2) != nullptr) {
            expr(ps->kids[2]);
        } else {
            open("var", at);
            out += ",'_'}";
        }
        out += "]}]";
    } else {
        exprs_of(ps);
    }
    out += ',';
    guard(ast::clause_guard(c));
    out += ',';
    exprs_of(ast::clause_body(c));
    out += '}';
}

// The kinds with children and a fixed shape.
void Writer::compound(const Node* n) {
    auto tagged = [&](std::string_view tag, auto... parts) {
        open(tag, n->pos);
        ((out += ',', parts()), ...);
        out += '}';
    };
    auto kid = [&](size_t i) { return [this, n, i] { expr(n->kids[i]); }; };
    auto rest = [&](size_t i) { return [this, n, i] { exprs_of(n, i); }; };
    switch (n->kind) {
        case Kind::Tuple:
            return tagged("tuple", rest(0));
        case Kind::Map:
        case Kind::MapUpdate: {
            bool update = n->kind == Kind::MapUpdate;
            open("map", n->pos);
            out += ',';
            if (update) {
                expr(n->kids[0]);
                out += ',';
            }
            exprs_of(n, update ? 1 : 0);
            out += '}';
            return;
        }
        case Kind::MapField:
            return tagged(n->op == token::Kind::FatArrow ? "map_field_assoc" : "map_field_exact",
                          kid(0), kid(1));
        case Kind::Binary:
            open("bin", n->pos);
            out += ',';
            list(n->children(), [this](const Node* e) { bin_element(e); });
            out += '}';
            return;
        case Kind::Match:
            return tagged("match", kid(0), kid(1));
        case Kind::Call:
            return tagged("call", kid(0), rest(1));
        case Kind::Remote:
            return tagged("remote", kid(0), kid(1));
        case Kind::Catch:
            return tagged("catch", kid(0));
        case Kind::Block:
            return tagged("block", rest(0));
        case Kind::ListComp:
            return tagged("lc", kid(0), rest(1));
        case Kind::BinComp:
            return tagged("bc", kid(0), rest(1));
        case Kind::Generate:
            return tagged("generate", kid(0), kid(1));
        case Kind::BinGenerate:
            return tagged("b_generate", kid(0), kid(1));
        default:
            throw std::runtime_error(
                fmt::format("no abstract format for {}", ast::kind_name(n->kind)));
    }
}

void Writer::expr(const Node* n) {
    switch (n->kind) {
        case Kind::Integer:
            open("integer", n->pos);
            out += ',';
            integer(n);
            out += '}';
            return;
        case Kind::Float:
            open("float", n->pos);
            out += ',';
            float_text(n->float_value);
            out += '}';
            return;
        case Kind::Atom:
        case Kind::Var:
            open(n->kind == Kind::Atom ? "atom" : "var", n->pos);
            out += ',';
            atom(n->text);
            out += '}';
            return;
        case Kind::Char:
            open("char", n->pos);
            out += fmt::format(",{}}}", n->int_value);
            return;
        case Kind::String:
            open("string", n->pos);
            out += ',';
            chars(n->text);
            out += '}';
            return;
        case Kind::Nil:
            open("nil", n->pos);
            out += '}';
            return;
        case Kind::Cons:
            return cons(n);
        case Kind::Record:
            open("record", n->pos);
            out += ',';
            atom(n->text);
            out += ',';
            record_fields(n->children());
            out += '}';
            return;
        case Kind::RecordUpdate:
            open("record", n->pos);
            out += ',';
            expr(n->kids[0]);
            out += ',';
            atom(n->text);
            out += ',';
            record_fields(n->children().subspan(1));
            out += '}';
            return;
        case Kind::RecordAccess:
            open("record_field", n->pos);
            out += ',';
            expr(n->kids[0]);
            out += ',';
            atom(n->text);
            out += ',';
            expr(n->kids[1]);
            out += '}';
            return;
        case Kind::RecordIndex:
            open("record_index", n->pos);
            out += ',';
            atom(n->text);
            out += ',';
            expr(n->kids[0]);
            out += '}';
            return;
        case Kind::BinaryOp:
        case Kind::UnaryOp:
            open("op", n->pos);
            out += ',';
            atom(token::spelling(n->op));
            for (const Node* k : n->children()) {
                out += ',';
                expr(k);
            }
            out += '}';
            return;
        case Kind::FunRef:
            return fun_ref(n);
        case Kind::Fun:
            return fun(n);
        case Kind::Case:
            open("case", n->pos);
            out += ',';
            expr(n->kids[0]);
            out += ',';
            clauses(n->children().subspan(1));
            out += '}';
            return;
        case Kind::If:
            open("if", n->pos);
            out += ',';
            clauses(n->children());
            out += '}';
            return;
        case Kind::Receive: {
            const Node* after = n->num_kids ? n->kids[n->num_kids - 1] : nullptr;
            bool has_after = after != nullptr && after->kind == Kind::After;
            open("receive", n->pos);
            out += ',';
            clauses(n->children().first(n->num_kids - (has_after ? 1 : 0)));
            if (has_after) {
                out += ',';
                expr(after->kids[0]);
                out += ',';
                exprs_of(after->kids[1]);
            }
            out += '}';
            return;
        }
        case Kind::Try:
            open("try", n->pos);
            out += ',';
            exprs_of(n->kids[0]);
            out += ',';
            clauses(n->kids[1]->children());
            out += ',';
            clauses(n->kids[2]->children(), true);
            out += ',';
            if (n->kids[3] != nullptr)
                exprs_of(n->kids[3]);
            else
                out += "[]";
            out += '}';
            return;
        default:
            return compound(n);
    }
}

// An attribute's value, in expression syntax, as the term it stands for.
void Writer::literal(const Node* n, Pos pos) {
    switch (n->kind) {
        case Kind::Integer:
            return integer(n);
        case Kind::Char:
            out += fmt::format("{}", n->int_value);
            return;
        case Kind::Float:
            return float_text(n->float_value);
        case Kind::Atom:
            return atom(n->text);
        case Kind::String:
            return chars(n->text);
        case Kind::Nil:
            out += "[]";
            return;
        case Kind::Tuple:
            out += '{';
            for (size_t i = 0; i < n->num_kids; ++i) {
                if (i) out += ',';
                literal(n->kids[i], pos);
            }
            out += '}';
            return;
        case Kind::Cons: {
            out += '[';
            for (bool first = true; n->kind == Kind::Cons; n = n->kids[1], first = false) {
                if (!first) out += ',';
                literal(n->kids[0], pos);
            }
            if (n->kind != Kind::Nil) {
                out += '|';
                literal(n, pos);
            }
            out += ']';
            return;
        }
        case Kind::UnaryOp:
            out += '-';
            return literal(n->kids[0], pos);
        case Kind::BinaryOp:  // f/N, as in -on_load(f/0)
            out += '{';
            literal(n->kids[0], pos);
            out += ',';
            literal(n->kids[1], pos);
            out += '}';
            return;
        default:
            expr(n);  // not a term: passed on as its abstract form
    }
}

void Writer::record_decl(const Node* f) {
    open("attribute", f->pos);
    out += ",record,{";
    atom(f->text);
    out += ',';
    list(f->children(), [this](const Node* d) {
        open("record_field", d->pos);
        out += ',';
        open("atom", d->pos);
        out += ',';
        atom(d->text);
        out += '}';
        if (d->kids[0] != nullptr) {
            out += ',';
            expr(d->kids[0]);
        }
        out += '}';
    });
    out += "}}";
}

void Writer::attribute(const Node* f) {
    open("attribute", f->pos);
    out += ',';
    atom(f->text);
    out += ',';
    if (f->text == "file" && f->num_kids == 2) {
        out += '{';
        literal(f->kids[0], f->pos);
        out += ',';
        literal(f->kids[1], f->pos);
        out += '}';
    } else {
        literal(f->kids[0], f->pos);
    }
    out += '}';
}

void Writer::form(const Node* f) {
    switch (f->kind) {
        case Kind::ModuleAttr:
            open("attribute", f->pos);
            out += ",module,";
            atom(f->text);
            out += '}';
            return;
        case Kind::Export:
            open("attribute", f->pos);
            out += ",export,";
            fun_arities(f);
            out += '}';
            return;
        case Kind::Import:
            open("attribute", f->pos);
            out += ",import,{";
            atom(f->text);
            out += ',';
            fun_arities(f);
            out += "}}";
            return;
        case Kind::RecordDecl:
            return record_decl(f);
        case Kind::Attribute:
            return attribute(f);
        case Kind::Function:
            open("function", f->pos);
            out += ',';
            atom(f->text);
            out += fmt::format(",{},", f->int_value);
            clauses(f->children());
            out += '}';
            return;
        default:
            return;  // never reached: see forms_written
    }
}

bool written(const Node* f) {
    switch (f->kind) {
        case Kind::ModuleAttr:
        case Kind::Import:
        case Kind::RecordDecl:
        case Kind::Attribute:
        case Kind::Function:
            return true;
        case Kind::Export:
            return f->text == "export";
        default:
            return false;
    }
}

// Where epp's eof form is: the line after the last, column 1.
Pos eof_pos(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    uint32_t lines = 1;
    char c;
    while (in.get(c))
        if (c == '\n') ++lines;
    return Pos{lines, 1};
}

// ---- text -> AST -----------------------------------------------------------------

// A term that is not a form this module maps.
struct BadForm : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads terms parsed by our own parser (so in expression syntax: Tuple,
// Atom, Integer, Cons, ...) as abstract forms, into nodes of `arena`.
class Reader {
  public:
    explicit Reader(ast::Arena& arena) : arena_(arena) {}

    Node* expr(const Node* t);
    Node* clause(const Node* t, std::string_view name, bool catch_clause = false);
    Node* form(const Node* t, ast::Module& out);
    std::string file;  // the file of the forms read so far

  private:
    ast::Arena& arena_;

    [[noreturn]] static void bad(const Node* t) { throw BadForm(ast::to_string(t).substr(0, 200)); }
    static std::span<Node* const> tuple(const Node* t, size_t min_size) {
        if (t->kind != Kind::Tuple || t->num_kids < min_size) bad(t);
        return t->children();
    }
    static std::string_view atom(const Node* t) {
        if (t->kind != Kind::Atom) bad(t);
        return t->text;
    }
    static int64_t integer(const Node* t) {
        if (t->kind == Kind::UnaryOp && t->op == token::Kind::Minus) return -integer(t->kids[0]);
        if ((t->kind != Kind::Integer && t->kind != Kind::Char) || t->is_big) bad(t);
        return t->int_value;
    }

  public:
    static std::vector<const Node*> items_of(const Node* t) { return items(t); }

  private:
    static std::vector<const Node*> items(const Node* t) {
        std::vector<const Node*> out = literal_list(t);
        const Node* end = t;
        while (end->kind == Kind::Cons)
            end = end->kids[1];
        if (end->kind != Kind::Nil) bad(t);
        return out;
    }
    static std::string chars(const Node* t) {
        if (t->kind == Kind::String) return std::string(t->text);
        std::string out;
        for (const Node* c : items(t))
            append_utf8(out, static_cast<uint32_t>(integer(c)));
        return out;
    }
    static Pos anno(const Node* a) {
        if (a->kind == Kind::Integer) return Pos{uint32_t(a->int_value), 0};
        if (a->kind == Kind::Tuple && a->num_kids == 2 && a->kids[0]->kind == Kind::Integer)
            return Pos{uint32_t(integer(a->kids[0])), uint32_t(integer(a->kids[1]))};
        if (a->kind == Kind::Cons)  // [{location, L}, {generated, true}, ...]
            for (const Node* item : literal_list(a))
                if (item->kind == Kind::Tuple && item->num_kids == 2 &&
                    item->kids[0]->kind == Kind::Atom && item->kids[0]->text == "location")
                    return anno(item->kids[1]);
        return Pos{};
    }

    Node* make(Kind kind, Pos pos, const std::vector<Node*>& kids = {}) {
        return arena_.node(kind, pos, kids);
    }
    Node* integer_node(Pos pos, int64_t value) {
        Node* n = make(Kind::Integer, pos);
        n->int_value = value;
        return n;
    }
    Node* named(Kind kind, Pos pos, std::string_view text, const std::vector<Node*>& kids = {}) {
        Node* n = make(kind, pos, kids);
        n->text = arena_.string(text);
        return n;
    }
    std::vector<Node*> exprs(const Node* list, std::vector<Node*> out = {}) {
        for (const Node* t : items(list))
            out.push_back(expr(t));
        return out;
    }
    Node* body(const Node* list, Pos pos) { return make(Kind::Body, pos, exprs(list)); }
    std::vector<Node*> clauses(const Node* list, std::string_view name, bool catch_clause = false,
                               std::vector<Node*> out = {}) {
        for (const Node* t : items(list))
            out.push_back(clause(t, name, catch_clause));
        return out;
    }
    Node* guard(const Node* list, Pos pos) {
        std::vector<Node*> seqs;
        for (const Node* seq : items(list))
            seqs.push_back(make(Kind::GuardSeq, pos, exprs(seq)));
        return make(Kind::Guard, pos, seqs);
    }

    Node* literal(const Node* t, Pos pos, std::string_view tag);
    Node* cons(const Node* t);
    Node* bin_element(const Node* t);
    Node* record_field(const Node* t);
    Node* fun(const Node* t, Pos pos);
    Node* compound(const Node* t, std::string_view tag, Pos pos);
    Node* control(const Node* t, std::string_view tag, Pos pos);
    Node* attribute(const Node* t, Pos pos, ast::Module& out);
    Node* record_decl(const Node* value, Pos pos);
    Node* fun_arities(Kind kind, Pos pos, std::string_view text, const Node* list);
};

// {integer|float|atom|var|char|string,A,V} and {nil,A}.
Node* Reader::literal(const Node* t, Pos pos, std::string_view tag) {
    std::span<Node* const> e = tuple(t, 2);
    if (tag == "nil") return make(Kind::Nil, pos);
    if (e.size() < 3) bad(t);
    const Node* v = e[2];
    if (tag == "atom" || tag == "var")
        return named(tag == "atom" ? Kind::Atom : Kind::Var, pos, atom(v));
    if (tag == "string") return named(Kind::String, pos, chars(v));
    bool negative = v->kind == Kind::UnaryOp && v->op == token::Kind::Minus;
    const Node* magnitude = negative ? v->kids[0] : v;
    Node* n = make(tag == "char" ? Kind::Char : tag == "float" ? Kind::Float : Kind::Integer, pos);
    if (n->kind == Kind::Float) {
        if (magnitude->kind != Kind::Float) bad(t);
        n->float_value = magnitude->float_value;
    } else {
        if (magnitude->kind != Kind::Integer && magnitude->kind != Kind::Char) bad(t);
        n->int_value = magnitude->int_value;
        n->is_big = magnitude->is_big;
        n->text = magnitude->text;
    }
    if (!negative) return n;
    Node* minus = make(Kind::UnaryOp, pos, {n});
    minus->op = token::Kind::Minus;
    return minus;
}

Node* Reader::cons(const Node* t) {
    std::vector<std::pair<Pos, Node*>> heads;  // iterative along the tail
    while (t->kind == Kind::Tuple && t->num_kids == 4 && t->kids[0]->kind == Kind::Atom &&
           t->kids[0]->text == "cons") {
        heads.emplace_back(anno(t->kids[1]), expr(t->kids[2]));
        t = t->kids[3];
    }
    Node* list = expr(t);
    for (size_t i = heads.size(); i-- > 0;)
        list = make(Kind::Cons, heads[i].first, {heads[i].second, list});
    return list;
}

Node* Reader::bin_element(const Node* t) {
    std::span<Node* const> e = tuple(t, 5);
    Pos pos = anno(e[1]);
    std::vector<Node*> kids{expr(e[2]), nullptr};
    if (e[3]->kind != Kind::Atom || e[3]->text != "default") kids[1] = expr(e[3]);
    if (e[4]->kind != Kind::Atom) {
        for (const Node* type : items(e[4])) {
            if (type->kind == Kind::Atom) {
                kids.push_back(named(Kind::BinType, pos, type->text));
                continue;
            }
            std::span<Node* const> pair = tuple(type, 2);
            Node* b = named(Kind::BinType, pos, atom(pair[0]));
            b->op = token::Kind::Colon;
            b->int_value = integer(pair[1]);
            kids.push_back(b);
        }
    }
    return make(Kind::BinElement, pos, kids);
}

// {record_field,A,{atom,A,F}|{var,A,'_'},E} in a record expression.
Node* Reader::record_field(const Node* t) {
    std::span<Node* const> e = tuple(t, 4);
    std::span<Node* const> name = tuple(e[2], 3);
    Node* f = named(Kind::RecordField, anno(name[1]), atom(name[2]), {expr(e[3])});
    if (atom(name[0]) == "var") f->op = token::Kind::Var;
    return f;
}

Node* Reader::fun(const Node* t, Pos pos) {
    std::span<Node* const> e = tuple(t, 3);
    if (atom(e[0]) == "named_fun") {
        if (e.size() < 4) bad(t);
        std::string_view name = atom(e[2]);
        return named(Kind::Fun, pos, name, clauses(e[3], name));
    }
    std::span<Node* const> what = tuple(e[2], 2);
    std::string_view kind = atom(what[0]);
    if (kind == "clauses") return make(Kind::Fun, pos, clauses(what[1], ""));
    if (kind != "function") bad(t);
    if (what.size() == 3) {
        Node* ref = named(Kind::FunRef, pos, atom(what[1]));
        ref->int_value = integer(what[2]);
        return ref;
    }
    if (what.size() != 4) bad(t);
    std::vector<Node*> kids;  // OTP 25 writes M, F, N as expressions; older ones as terms
    for (size_t i = 1; i < 4; ++i) {
        const Node* part = what[i];
        if (part->kind == Kind::Atom)
            kids.push_back(named(Kind::Atom, pos, part->text));
        else if (part->kind == Kind::Integer)
            kids.push_back(integer_node(pos, part->int_value));
        else
            kids.push_back(expr(part));
    }
    return make(Kind::FunRef, pos, kids);
}

Node* Reader::compound(const Node* t, std::string_view tag, Pos pos) {
    std::span<Node* const> e = t->children();
    auto at = [&](size_t i) {
        if (i >= e.size()) bad(t);
        return e[i];
    };
    if (tag == "tuple") return make(Kind::Tuple, pos, exprs(at(2)));
    if (tag == "map" && e.size() == 3) return make(Kind::Map, pos, exprs(at(2)));
    if (tag == "map") return make(Kind::MapUpdate, pos, exprs(at(3), {expr(at(2))}));
    if (tag == "map_field_assoc" || tag == "map_field_exact") {
        Node* f = make(Kind::MapField, pos, {expr(at(2)), expr(at(3))});
        f->op = tag == "map_field_assoc" ? token::Kind::FatArrow : token::Kind::ColonEq;
        return f;
    }
    if (tag == "bin") {
        std::vector<Node*> elements;
        for (const Node* b : items(at(2)))
            elements.push_back(bin_element(b));
        return make(Kind::Binary, pos, elements);
    }
    if (tag == "record") {
        bool update = e.size() == 5;
        std::vector<Node*> kids;
        if (update) kids.push_back(expr(at(2)));
        for (const Node* f : items(at(update ? 4 : 3)))
            kids.push_back(record_field(f));
        return named(update ? Kind::RecordUpdate : Kind::Record, pos, atom(at(update ? 3 : 2)),
                     kids);
    }
    if (tag == "record_field") {
        Node* field = expr(at(4));
        Node* n = named(Kind::RecordAccess, pos, atom(at(3)), {expr(at(2)), field});
        n->name2 = field->text;
        return n;
    }
    if (tag == "record_index") {
        Node* field = expr(at(3));
        Node* n = named(Kind::RecordIndex, pos, atom(at(2)), {field});
        n->name2 = field->text;
        return n;
    }
    if (tag == "op") {
        std::string_view op = atom(at(2));
        Node* n = make(e.size() == 5 ? Kind::BinaryOp : Kind::UnaryOp, pos,
                       e.size() == 5 ? std::vector<Node*>{expr(at(3)), expr(at(4))}
                                     : std::vector<Node*>{expr(at(3))});
        n->op = token::Kind::Eof;
        for (int k = 0; k <= int(token::Kind::Other); ++k)
            if (token::spelling(token::Kind(k)) == op) n->op = token::Kind(k);
        if (n->op == token::Kind::Eof) bad(t);
        return n;
    }
    static const std::pair<std::string_view, Kind> kPairs[] = {{"match", Kind::Match},
                                                               {"remote", Kind::Remote},
                                                               {"generate", Kind::Generate},
                                                               {"b_generate", Kind::BinGenerate}};
    for (auto [name, kind] : kPairs)
        if (tag == name) return make(kind, pos, {expr(at(2)), expr(at(3))});
    if (tag == "call") return make(Kind::Call, pos, exprs(at(3), {expr(at(2))}));
    if (tag == "catch") return make(Kind::Catch, pos, {expr(at(2))});
    if (tag == "block") return make(Kind::Block, pos, exprs(at(2)));
    if (tag == "lc" || tag == "bc")
        return make(tag == "lc" ? Kind::ListComp : Kind::BinComp, pos, exprs(at(3), {expr(at(2))}));
    return control(t, tag, pos);
}

// case, if, receive, try, fun.
Node* Reader::control(const Node* t, std::string_view tag, Pos pos) {
    std::span<Node* const> e = t->children();
    auto at = [&](size_t i) {
        if (i >= e.size()) bad(t);
        return e[i];
    };
    if (tag == "case") return make(Kind::Case, pos, clauses(at(3), "", false, {expr(at(2))}));
    if (tag == "if") return make(Kind::If, pos, clauses(at(2), ""));
    if (tag == "receive") {
        std::vector<Node*> kids = clauses(at(2), "");
        if (e.size() == 5) {
            Node* timeout = expr(at(3));
            kids.push_back(make(Kind::After, ast::first_pos(timeout),
                                {timeout, body(at(4), ast::first_pos(timeout))}));
        }
        return make(Kind::Receive, pos, kids);
    }
    if (tag == "try") {
        Node* after = items(at(5)).empty() ? nullptr : body(at(5), pos);
        return make(Kind::Try, pos,
                    {body(at(2), pos), make(Kind::OfClauses, pos, clauses(at(3), "")),
                     make(Kind::CatchClauses, pos, clauses(at(4), "", true)), after});
    }
    if (tag == "fun" || tag == "named_fun") return fun(t, pos);
    bad(t);
}

Node* Reader::expr(const Node* t) {
    std::span<Node* const> e = tuple(t, 2);
    std::string_view tag = atom(e[0]);
    Pos pos = anno(e[1]);
    static const std::string_view kLiterals[] = {"integer", "float",  "atom", "var",
                                                 "char",    "string", "nil"};
    for (std::string_view l : kLiterals)
        if (tag == l) return literal(t, pos, tag);
    if (tag == "cons") return cons(t);
    return compound(t, tag, pos);
}

Node* Reader::clause(const Node* t, std::string_view name, bool catch_clause) {
    std::span<Node* const> e = tuple(t, 5);
    if (atom(e[0]) != "clause") bad(t);
    Pos pos = anno(e[1]);
    std::vector<Node*> patterns;
    if (catch_clause) {
        std::vector<const Node*> ps = items(e[2]);
        if (ps.size() != 1) bad(t);
        std::span<Node* const> triple = tuple(ps[0], 3);
        patterns = exprs(triple[2]);
        if (patterns.size() != 3) bad(t);
    } else {
        patterns = exprs(e[2]);
    }
    Node* c = named(Kind::Clause, pos, name,
                    {make(Kind::Patterns, pos, patterns), guard(e[3], pos), body(e[4], pos)});
    return c;
}

Node* Reader::fun_arities(Kind kind, Pos pos, std::string_view text, const Node* list) {
    std::vector<Node*> fas;
    for (const Node* fa : items(list)) {
        std::span<Node* const> pair = tuple(fa, 2);
        Node* n = named(Kind::FunArity, pos, atom(pair[0]));
        n->int_value = integer(pair[1]);
        fas.push_back(n);
    }
    return named(kind, pos, text, fas);
}

Node* Reader::record_decl(const Node* value, Pos pos) {
    std::span<Node* const> rv = tuple(value, 2);
    std::vector<Node*> fields;
    for (const Node* f : items(rv[1])) {
        std::span<Node* const> fe = tuple(f, 3);
        if (atom(fe[0]) == "typed_record_field") fe = tuple(fe[1], 3);  // the type is dropped
        std::span<Node* const> name = tuple(fe[2], 3);
        Node* init = fe.size() > 3 ? expr(fe[3]) : nullptr;
        fields.push_back(named(Kind::FieldDecl, anno(name[1]), atom(name[2]), {init}));
    }
    return named(Kind::RecordDecl, pos, atom(rv[0]), fields);
}

Node* Reader::attribute(const Node* t, Pos pos, ast::Module& out) {
    std::span<Node* const> e = tuple(t, 4);
    std::string_view name = atom(e[2]);
    const Node* value = e[3];
    if (name == "module") {
        out.name = arena_.string(atom(value));
        return named(Kind::ModuleAttr, pos, out.name);
    }
    if (name == "export") return fun_arities(Kind::Export, pos, "export", value);
    if (name == "import") {
        std::span<Node* const> iv = tuple(value, 2);
        return fun_arities(Kind::Import, pos, atom(iv[0]), iv[1]);
    }
    if (name == "record") return record_decl(value, pos);
    if (name == "file") {
        file = chars(tuple(value, 2)[0]);
        return nullptr;
    }
    // The value is a term, and the term's text parsed as an expression is
    // what the parser makes of an attribute's value.
    return named(Kind::Attribute, pos, name, {const_cast<Node*>(value)});
}

Node* Reader::form(const Node* t, ast::Module& out) {
    std::span<Node* const> e = tuple(t, 2);
    std::string_view tag = atom(e[0]);
    Pos pos = anno(e[1]);
    if (tag == "eof") return nullptr;
    if (tag == "attribute") return attribute(t, pos, out);
    if (tag != "function" || e.size() != 5) bad(t);
    std::string_view name = atom(e[2]);
    Node* f = named(Kind::Function, pos, name, clauses(e[4], name));
    f->int_value = integer(e[3]);
    return f;
}
}  // namespace

std::vector<std::string> parse_transforms(const ast::Module& module) {
    std::vector<std::string> out;
    auto option = [&](const Node* o) {
        if (o->kind == Kind::Tuple && o->num_kids == 2 && o->kids[0]->kind == Kind::Atom &&
            o->kids[0]->text == "parse_transform" && o->kids[1]->kind == Kind::Atom)
            out.emplace_back(o->kids[1]->text);
    };
    for (const Node* f : module.forms) {
        if (!is_attribute_named(f, "compile")) continue;
        const Node* v = f->kids[0];
        if (v->kind == Kind::Cons)
            for (const Node* o : literal_list(v))
                option(o);
        else
            option(v);
    }
    return out;
}

namespace {

std::string compile_options(const ast::Module& module) {
    Writer w;
    w.out += '[';
    bool first = true;
    auto add = [&](const Node* o) {
        if (!first) w.out += ',';
        first = false;
        w.literal(o, o->pos);
    };
    for (const Node* f : module.forms) {
        if (!is_attribute_named(f, "compile")) continue;
        const Node* v = f->kids[0];
        if (v->kind == Kind::Cons || v->kind == Kind::Nil)
            for (const Node* o : literal_list(v))
                add(o);
        else
            add(v);
    }
    w.out += ']';
    return w.out;
}

}  // namespace

std::string to_text(const ast::Module& module) {
    Writer w;
    w.out += "[{attribute,{1,1},file,{";
    w.chars(module.file);
    w.out += ",1}}";
    std::string file = module.file;
    for (size_t i = 0; i < module.forms.size(); ++i) {
        const Node* f = module.forms[i];
        if (!written(f)) continue;
        const std::string& form_file =
            i < module.form_files.size() ? module.form_files[i] : module.file;
        if (form_file != file) {  // epp marks where an include starts and ends
            file = form_file;
            w.out += fmt::format(",{{attribute,{},file,{{", f->pos.line);
            w.chars(file);
            w.out += fmt::format(",{}}}}}", f->pos.line);
        }
        w.out += ',';
        w.form(f);
    }
    w.out += ",{eof,";
    w.anno(eof_pos(module.file));
    w.out += "}]";
    return w.out;
}

bool from_text(std::string_view text, ast::Module& out, diag::Reporter& reporter) {
    std::string source = "-forms(" + std::string(text) + ").\n";
    std::vector<token::Token> tokens = lexer::scan(source, out.file, *out.arena, reporter);
    if (reporter.has_errors()) return false;
    Node* attr = parser::parse_form(tokens, out.file, *out.arena, reporter);
    if (attr->kind != Kind::Attribute || attr->num_kids != 1) return false;
    Reader reader(*out.arena);
    reader.file = out.file;
    try {
        for (const Node* t : Reader::items_of(attr->kids[0])) {
            Node* f = reader.form(t, out);
            if (f == nullptr) continue;
            out.forms.push_back(f);
            out.form_files.push_back(reader.file);
        }
    } catch (const BadForm& e) {
        reporter.error(out.file, {}, diag::Phase::Syntax,
                       fmt::format("bad form returned by a parse transform: {}", e.what()));
        return false;
    }
    return true;
}

std::string transform_request(const ast::Module& module) {
    Writer w;
    w.out += '{';
    w.chars(module.file);
    w.out += ',' + to_text(module) + ',' + compile_options(module) + ",[";
    std::vector<std::string> transforms = parse_transforms(module);
    for (size_t i = 0; i < transforms.size(); ++i) {
        if (i) w.out += ',';
        w.atom(transforms[i]);
    }
    w.out += "]}";
    return w.out;
}

}  // namespace abstract
