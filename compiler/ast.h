// ast: the abstract syntax tree of one module, as the parser builds it and the
// checker and the compiler read it.
//
// One node type for every construct, like erl_parse's tuples: a kind, a
// position, a few scalar fields and an array of children. The meaning of the
// children of each kind is fixed and documented in BEAMLITE_AST_KINDS; the
// accessors below name them. Every node carries the position that erl_parse
// would give the same construct (for an operator, the operator token; for a
// call, the start of the callee; for a clause, its first token), because
// diagnostics and stack traces quote those positions.
//
// Positions (erl_parse, OTP 25): an attribute is at its name (after '-');
// a function at its first clause's name. A function clause is at its name,
// a fun clause at '(' or its name variable, a case/receive clause at
// first_pos(pattern), an if clause at first_pos(first test), a catch clause
// at its Class token or first_pos(Reason). Map/MapUpdate/Record/
// RecordUpdate are at '#', MapField at its '=>' or ':='. The first Cons of
// a list is at '[', the next ones at first_pos of their element; the final
// Nil at ']' ('[' for []). Generate is at '<-', BinGenerate at '<='.
// Tuple, Binary, ListComp, BinComp, Case, If, Receive, Try, Catch, Block,
// FunRef are at their first token, After at 'after'. Patterns, GuardSeq,
// Body, OfClauses and CatchClauses have no erl_parse position and carry a
// nearby token's. lint's "unsafe in 'case' (line L, column C)" quotes the
// Case node's pos.
//
// Nodes, child arrays and strings live in an Arena owned by the Module; the
// tree is immutable once built, and freed all at once.
//
//   Node ──► kids[0] kids[1] ... kids[n-1]      (a child may be nullptr where
//            │                                    the table says "or null")
//            └─► Node ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/token.h"

namespace ast {

using token::Pos;

// X(Name, children). `text` and `name2` are the node's strings, `int_value`
// its integer, `op` its operator token kind.
#define BEAMLITE_AST_KINDS(X)                                                                      \
    /* ---- forms ---- */                                                                          \
    X(Function, "text=name int_value=arity; kids: Clause...")                                      \
    X(ModuleAttr, "text=module name; pos: the attribute name (so every attribute)")                \
    X(Export,                                                                                      \
      "text=export|export_type; kids: FunArity... (export_type: when a Name/Arity list, else "     \
      "Attribute)")                                                                                \
    X(Import, "text=module; kids: FunArity...")                                                    \
    X(RecordDecl, "text=record name; kids: FieldDecl...")                                          \
    X(FieldDecl,                                                                                   \
      "text=field name, pos its atom; kids: default expr or null, then (a typed field only) "      \
      "its type")                                                                                  \
    X(TypeAttr,                                                                                    \
      "text=type|opaque|spec|callback; name2=type or function name, int_value=arity; type/opaque " \
      "kids: parameter Vars, then the type (kids[int_value]); spec/callback kids: Atom module "    \
      "for -spec m:f/N, then the signatures (TypeFun or TypeBounded)")                             \
    X(Attribute, "text=name; kids: value (a term in expression syntax); -file: String, Integer")   \
    X(FunArity, "text=name int_value=arity, pos its name (erlc reports at the attribute)")         \
    X(Error, "a form that failed to parse or preprocess; already reported")                        \
    /* ---- clauses and their parts ---- */                                                        \
    X(Clause, "text=function or named-fun name; kids: Patterns, Guard, Body; pos: see above")      \
    X(Patterns, "kids: pattern... (catch clause: Class or null, Reason, Stack or null)")           \
    X(Guard,                                                                                       \
      "kids: GuardSeq... (alternatives, ';'); no kids = no guard; pos 'when' or the clause")       \
    X(GuardSeq, "kids: guard test... (conjunction, ',')")                                          \
    X(Body, "kids: expr... (at least one, except an absent try-of/after)")                         \
    /* ---- terms ---- */                                                                          \
    X(Integer, "int_value, or text=decimal digits when is_big")                                    \
    X(Float, "float_value")                                                                        \
    X(Atom, "text=name")                                                                           \
    X(Char, "int_value=code point")                                                                \
    X(String, "text=characters, UTF-8 (adjacent literals already joined)")                         \
    X(Var, "text=name ('_' for the anonymous variable)")                                           \
    X(Nil, "[]")                                                                                   \
    X(Cons, "kids: head, tail")                                                                    \
    X(Tuple, "kids: element...")                                                                   \
    X(Map, "kids: MapField...")                                                                    \
    X(MapUpdate, "kids: map expr, MapField...")                                                    \
    X(MapField, "op=FatArrow (=>) or ColonEq (:=); kids: key, value")                              \
    X(Binary, "kids: BinElement...")                                                               \
    X(BinElement, "kids: value, size or null, BinType...; pos first_pos(value)")                   \
    X(BinType, "text=type name (integer, little, unit...); op=Colon, int_value=N for name:N")      \
    X(Record, "text=record name; kids: RecordField...")                                            \
    X(RecordUpdate, "text=record name; kids: record expr, RecordField...")                         \
    X(RecordField,                                                                                 \
      "text=field name or '_'; op=Var if the name is a variable; kids: value; pos name")           \
    X(RecordAccess, "text=record name name2=field; kids: record expr, Atom field; pos '#'")        \
    X(RecordIndex, "text=record name name2=field (#r.f); kids: Atom field; pos '#'")               \
    /* ---- expressions ---- */                                                                    \
    X(Match, "kids: pattern, expr; pos first_pos(pattern) (OTP 25)")                               \
    X(BinaryOp, "op; kids: left, right (includes ! andalso orelse); pos the operator")             \
    X(UnaryOp, "op (Minus Plus KwNot KwBnot); kids: operand")                                      \
    X(Call, "kids: callee (Atom = local, Remote, or any expr), arg...; pos first_pos(callee)")     \
    X(Remote, "kids: module expr, function expr (M:F); pos ':'")                                   \
    X(FunRef, "fun f/A: text=name int_value=arity; fun M:F/A: kids: M, F, A")                      \
    X(Fun, "text=name of a named fun or empty; kids: Clause...; pos 'fun'")                        \
    X(Case, "kids: expr, Clause...")                                                               \
    X(If, "kids: Clause... (empty Patterns)")                                                      \
    X(Receive, "kids: Clause..., then After or nothing")                                           \
    X(After, "kids: timeout expr, Body")                                                           \
    X(Try, "kids: Body, OfClauses, CatchClauses, Body (after) or null")                            \
    X(OfClauses, "kids: Clause...")                                                                \
    X(CatchClauses, "kids: Clause... (Patterns hold Class, Reason, Stack)")                        \
    X(Catch, "kids: expr (catch Expr)")                                                            \
    X(Block, "kids: expr... (begin ... end)")                                                      \
    X(ListComp, "kids: template, qualifier... ")                                                   \
    X(BinComp, "kids: template, qualifier... ")                                                    \
    X(Generate, "kids: pattern, list expr (P <- L)")                                               \
    X(BinGenerate, "kids: pattern, binary expr (P <= B)")                                          \
    /* ---- types (erl_parse's type forms; leaves are Atom, Integer, Char, Var, and  */            \
    /*      BinaryOp/UnaryOp for integer expressions) ---- */                                      \
    X(TypeCall,                                                                                    \
      "a local or builtin type: text=name int_value=arity; kids: argument types; pos name "        \
      "(tuple() and map() are the any-tuple and any-map)")                                         \
    X(TypeRemote, "text=module name2=type name; kids: argument types; pos the module atom")        \
    X(TypeAnn, "Var :: Type: kids: Var, type; pos the variable")                                   \
    X(TypeUnion, "kids: alternatives (flattened, 2+); pos that of the first alternative")          \
    X(TypeRange, "kids: low, high; pos that of low (not its first_pos)")                           \
    X(TypeList, "[] (no kids), [T] or [T, ...] (op=DotDotDot); kids: element type; pos '['")       \
    X(TypeTuple, "{T...}: kids: element types; pos '{'")                                           \
    X(TypeMap, "#{...}: kids: TypeMapField...; pos '#'")                                           \
    X(TypeMapField, "op=FatArrow (=>) or ColonEq (:=); kids: key type, value type; pos the op")    \
    X(TypeRecord, "#r{f :: T}: text=record name; kids: TypeField...; pos '#'")                     \
    X(TypeField, "text=field name; kids: type; pos the field name")                                \
    X(TypeBinary,                                                                                  \
      "<<_:B, _:_*U>>: kids: base size, unit (types; Integer 0 at '<<' when absent); pos '<<'")    \
    X(TypeFun,                                                                                     \
      "fun() (no kids) or a function type: kids: TypeArgs or null for (...), result type; pos "    \
      "'fun' for fun(), else the '(' of the arguments")                                            \
    X(TypeArgs, "kids: argument types; pos '('")                                                   \
    X(TypeBounded, "Sig when Cs: kids: TypeFun, TypeConstraint...; pos that of the TypeFun")       \
    X(TypeConstraint, "V :: T or is_subtype(V, T): kids: Var, type; pos the Var or is_subtype")

enum class Kind : uint8_t {
#define BEAMLITE_AST_ENUM(name, doc) name,
    BEAMLITE_AST_KINDS(BEAMLITE_AST_ENUM)
#undef BEAMLITE_AST_ENUM
};

std::string_view kind_name(Kind kind);

struct Node {
    Kind kind;
    token::Kind op = token::Kind::Eof;
    bool is_big = false;
    Pos pos;
    uint32_t num_kids = 0;
    Node** kids = nullptr;
    std::string_view text;
    std::string_view name2;
    // Float nodes use float_value, every other kind int_value (64 bytes in
    // all: a 10,000-line module makes some 100,000 nodes).
    union {
        int64_t int_value = 0;
        double float_value;
    };

    std::span<Node*> children() const { return {kids, num_kids}; }
    Node* kid(size_t i) const { return i < num_kids ? kids[i] : nullptr; }
};

// The smallest position in the subtree of `node` (erl_parse's first_anno/1):
// where a construct starts, parentheses aside. Iterative; any depth is safe.
Pos first_pos(const Node* node);

// An s-expression of the tree for tests and debugging, e.g.
// `(Match (Var X) (BinaryOp + (Integer 1) (Var Y)))`; with `positions`,
// each node's kind is followed by @line:column.
std::string to_string(const Node* node, bool positions = false);

// Clause parts.
inline Node* clause_patterns(const Node* clause) {
    return clause->kids[0];
}
inline Node* clause_guard(const Node* clause) {
    return clause->kids[1];
}
inline Node* clause_body(const Node* clause) {
    return clause->kids[2];
}

// -type/-opaque parts: the parameter variables and the type.
inline std::span<Node* const> type_params(const Node* type_attr) {
    return {type_attr->kids, static_cast<size_t>(type_attr->int_value)};
}
inline Node* type_body(const Node* type_attr) {
    return type_attr->kid(static_cast<size_t>(type_attr->int_value));
}
// -spec/-callback parts: the module atom of `-spec m:f/N` (or null) and the
// signatures.
inline Node* spec_module(const Node* spec) {
    Node* first = spec->kid(0);
    return first != nullptr && first->kind == Kind::Atom ? first : nullptr;
}
inline std::span<Node* const> spec_sigs(const Node* spec) {
    size_t skip = spec_module(spec) != nullptr ? 1 : 0;
    return {spec->kids + skip, spec->num_kids - skip};
}
// The type of a typed record field, or null.
inline Node* field_type(const Node* field_decl) {
    return field_decl->kid(1);
}

// Bump allocator for nodes, child arrays and strings. Blocks are never freed
// one by one; the arena dies with its Module.
class Arena {
  public:
    Arena() = default;
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;
    ~Arena();

    void* allocate(size_t bytes, size_t align = alignof(std::max_align_t));
    Node* node(Kind kind, Pos pos);
    // A node whose children are copied from `kids`.
    Node* node(Kind kind, Pos pos, std::span<Node* const> kids);
    std::string_view string(std::string_view text);

  private:
    struct Block;
    Block* head_ = nullptr;
    char* top_ = nullptr;
    char* limit_ = nullptr;
    size_t total_ = 0;  // bytes in all blocks
};

// A parsed module: its forms in source order (with Error forms where a form
// failed), the file each form came from (the module's file, or an include
// file), and the arena that owns them.
struct Module {
    std::string file;
    std::string_view name;
    std::vector<Node*> forms;
    std::vector<std::string> form_files;
    std::unique_ptr<Arena> arena = std::make_unique<Arena>();
    // An escript (compiler/escript.h): no check of the module name against
    // the file name, as escript compiles its forms with compile:forms.
    bool escript = false;
};

}  // namespace ast
