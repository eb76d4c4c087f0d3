// parser_build: the parser's state for one form and the node builders its
// grammar actions call (parser.y holds only the grammar).
//
// The builders do what erl_parse's semantic actions do: they give each node
// the position erl_parse gives it, join adjacent strings, check function and
// fun clause heads ("head mismatch"), and turn attribute values into the
// attribute nodes lint reads, raising erl_parse's errors ("bad attribute",
// "bad export declaration", "bad record field", ...). The first error of a
// form is reported and ends the parse of that form (erl_parse raises too).
//
// Lists under construction are chains of Cells in the arena, so the parser
// allocates nothing per token outside the arena.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/token.h"

namespace parser {

using ast::Node;
using token::Pos;
using token::Token;

// One element of a list being built. `type` is the type of a record field
// written `a :: T` (which only -record accepts), else null.
struct Cell {
    Node* node;
    Cell* next;
    Node* type;
};

// A singly linked list with O(1) append. Trivial, so it can live in the
// Bison value union; an empty list is all zeros.
struct NodeList {
    Cell* head;
    Cell* tail;
    uint32_t size;
};

// Adjacent string tokens: consecutive in the form's token array.
struct TokRange {
    const Token* first;
    const Token* last;
};

// `Expr :: Type` in a record declaration.
struct TypedExpr {
    Node* expr;
    Node* type;
};

// `-spec [Mod:]Name Sigs`.
struct SpecVal {
    const Token* module;
    const Token* name;
    NodeList sigs;
};

// The value of `-name(Expr, {Fields})` or `-name(Expr :: Type)`.
struct TypedAttrVal {
    Node* expr;
    NodeList fields;  // record fields when is_record
    Node* type;       // the type of -type/-opaque otherwise
    bool is_record;
};

class Context {
  public:
    Context(std::span<const Token> tokens, const std::string& file, ast::Arena& arena,
            diag::Reporter& reporter);

    // ---- token stream ----
    // The next token, or nullptr at the end of the form's tokens.
    const Token* next_token();
    // The token the parser stopped at (its lookahead) when it found an error.
    const Token& error_token() const { return *lookahead_; }
    // Called by yyerror. `exhausted` means the parser stack hit its limit.
    void syntax_error(bool exhausted);
    // For erl_parse:parse_form's `-spec`/`-callback` rewrite.
    bool is_second_token(const Token* tok) const { return tok == tokens_.data() + 1; }
    bool first_token_is_minus() const { return tokens_[0].kind == token::Kind::Minus; }

    // ---- result and errors ----
    void set_result(Node* form) { result_ = form; }
    Node* result() const { return result_; }
    bool failed() const { return failed_; }
    // Reports erl_parse's error `message` at `pos` (first one only).
    void fail(Pos pos, std::string message);

    // ---- lists ----
    NodeList list_one(Node* node, Node* type = nullptr);
    NodeList& append(NodeList& list, Node* node, Node* type = nullptr);
    NodeList prepend(Node* node, NodeList list);

    // ---- leaves ----
    Node* node(ast::Kind kind, Pos pos);
    Node* node(ast::Kind kind, Pos pos, std::initializer_list<Node*> kids);
    Node* node(ast::Kind kind, Pos pos, const NodeList& kids);
    Node* node(ast::Kind kind, Pos pos, Node* first, const NodeList& rest);
    Node* atom(const Token* tok);
    Node* var(const Token* tok);
    Node* integer(const Token* tok);
    Node* floating(const Token* tok);
    Node* character(const Token* tok);
    Node* string(TokRange range);

    // ---- expressions ----
    Node* binary_op(Node* left, const Token* op, Node* right);
    Node* unary_op(const Token* op, Node* operand);
    Node* match(Node* pattern, Node* expr);
    Node* call(Node* callee, const NodeList& args);
    Node* list(const Token* open, const NodeList& elems, Node* tail, const Token* close);
    Node* bin_element(Node* value, Node* size, const NodeList& types);
    Node* bin_type(const Token* name, const Token* unit);
    Node* record_field(const Token* name, Node* value);
    Node* fun_ref(const Token* fun, Node* module, Node* name, Node* arity);
    // `fun` clauses: a named fun when the first clause has a name.
    Node* fun(const Token* fun, const NodeList& clauses);

    // ---- clauses ----
    // `name` is the function or named-fun name, nullptr for other clauses.
    Node* clause(Pos pos, const Token* name, Node* patterns, Node* guard, Node* body);
    Node* guard(const Token* when, const NodeList& alternatives);
    Node* guard_seq(const NodeList& tests);
    Node* catch_clause(const Token* cls, Node* reason, const Token* stack, Node* guard, Node* body);

    // ---- forms ----
    Node* function(const NodeList& clauses);
    Node* attribute(const Token* name, const NodeList& values);
    Node* typed_attribute(const Token* name, const TypedAttrVal& val);
    Node* spec(const Token* kind, const SpecVal& spec);

    // ---- types (erl_parse's type forms) ----
    Node* type_call(const Token* name, const NodeList& args);
    Node* type_remote(const Token* module, const Token* name, const NodeList& args);
    Node* type_ann(const Token* var, Node* type);
    // The alternatives of `T1 | T2 | ...`; one alternative is just itself.
    Node* type_union(const NodeList& alternatives);
    Node* type_range(Node* low, const Token* op, Node* high);
    Node* type_list(const Token* open, Node* elem, const Token* dots);
    Node* type_map_field(Node* key, const Token* op, Node* value);
    Node* type_record(const Token* hash, const Token* name, const NodeList& fields);
    Node* type_binary(const Token* open, Node* base, Node* unit);
    // `(Args) -> Result` and `(...) -> Result`, at the '('.
    Node* type_fun(const Token* open, const NodeList& args, Node* result);
    Node* type_fun_any(const Token* open, Node* result);
    // `Var :: Type` and `is_subtype(Var, Type)` after `when`; null after
    // reporting erl_parse's error.
    Node* constraint(const Token* var, Node* type);
    Node* compat_constraint(const Token* name, const NodeList& args);
    // Returns false after reporting an error.
    bool check_bin_type_var(const Token* var);

  private:
    Node* export_attr(const Token* name, Node* list);
    Node* import_attr(const Token* name, Node* module, Node* list);
    Node* record_attr(const Token* name, Node* record, Node* tuple);
    Node* record_decl(const Token* name, std::string_view record, const NodeList& fields);
    Node* field_decl(Node* field, Node* type);
    bool farity_list(Node* list, NodeList& out);
    bool check_clause_heads(const NodeList& clauses);
    Node* fail_at(Pos pos, std::string message);

    std::span<const Token> tokens_;
    size_t next_ = 0;
    const Token* lookahead_ = nullptr;
    Token end_token_;  // erl_parse's '$end': no text, at the last token
    const std::string& file_;
    ast::Arena& arena_;
    diag::Reporter& reporter_;
    Node* result_ = nullptr;
    bool failed_ = false;
};

// Whether `expr` is a constant term as erl_parse:normalise/1 accepts it
// (attribute values).
bool is_term(const Node* expr);

}  // namespace parser
