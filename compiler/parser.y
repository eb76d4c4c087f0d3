/* parser.y: the Erlang/OTP 25 grammar (erl_parse.yrl) for Bison, one form at
 * a time.
 *
 * The nonterminals and precedences follow erl_parse.yrl (its OTP 25 tables)
 * so that the language, and therefore the token at which a syntax error is
 * found, is the same: expr with yecc's operator precedences, pat_expr for
 * the restricted grammar of function and fun heads and try-catch patterns,
 * top_type/type for types. Lists that yecc builds by right recursion
 * are left-recursive here (same language, constant stack depth), except the
 * unions of types whose shape needs the right recursion. Actions are one
 * call into parser::Context (parser_build.cpp), which sets positions as
 * erl_parse does and raises its semantic errors; an action that fails ends
 * the form with YYABORT.
 *
 * Invariant: the parser stack is bounded by YYMAXDEPTH, so nesting deeper
 * than that is a clean error, never a crash.
 */
%require "3.7"
%define api.pure full
%define parse.error simple
%param {parser::Context* ctx}
%expect 0

%code requires {
#include "compiler/parser_build.h"
}

%code {
#include <cstring>
#include "compiler/parser.h"

#define YYMAXDEPTH 10000
#define CHECK(value) do { if ((value) == nullptr) YYABORT; } while (0)

namespace {
int yylex(YYSTYPE* value, parser::Context* ctx);
void yyerror(parser::Context* ctx, const char* message);
}
}

%union {
    const token::Token* tok;
    ast::Node* node;
    parser::NodeList list;
    parser::TokRange strings;
    parser::TypedExpr typed_expr;
    parser::SpecVal spec;
    parser::TypedAttrVal typed;
}

/* Token kinds in the order of BEAMLITE_TOKENS (token.h); yylex maps them. */
%token <tok> TOK_Atom "atom" TOK_Var "var" TOK_Integer "integer" TOK_Float "float"
%token <tok> TOK_Char "char" TOK_String "string" TOK_Eof "end_of_file"
%token <tok> TOK_KwAfter "after" TOK_KwAnd "and" TOK_KwAndalso "andalso" TOK_KwBand "band"
%token <tok> TOK_KwBegin "begin" TOK_KwBnot "bnot" TOK_KwBor "bor" TOK_KwBsl "bsl"
%token <tok> TOK_KwBsr "bsr" TOK_KwBxor "bxor" TOK_KwCase "case" TOK_KwCatch "catch"
%token <tok> TOK_KwCond "cond" TOK_KwDiv "div" TOK_KwEnd "end" TOK_KwFun "fun" TOK_KwIf "if"
%token <tok> TOK_KwLet "let" TOK_KwNot "not" TOK_KwOf "of" TOK_KwOr "or" TOK_KwOrelse "orelse"
%token <tok> TOK_KwReceive "receive" TOK_KwRem "rem" TOK_KwTry "try" TOK_KwWhen "when"
%token <tok> TOK_KwXor "xor"
%token <tok> TOK_LParen "(" TOK_RParen ")" TOK_LBracket "[" TOK_RBracket "]"
%token <tok> TOK_LBrace "{" TOK_RBrace "}" TOK_Comma "," TOK_Semicolon ";" TOK_Colon ":"
%token <tok> TOK_ColonColon "::" TOK_Dot "." TOK_DotDot ".." TOK_DotDotDot "..."
%token <tok> TOK_Pipe "|" TOK_PipePipe "||" TOK_Arrow "->" TOK_FatArrow "=>" TOK_ColonEq ":="
%token <tok> TOK_LtLt "<<" TOK_GtGt ">>" TOK_LArrow "<-" TOK_LArrowEq "<=" TOK_Eq "="
%token <tok> TOK_EqEq "==" TOK_SlashEq "/=" TOK_EqLt "=<" TOK_Lt "<" TOK_GtEq ">=" TOK_Gt ">"
%token <tok> TOK_EqColonEq "=:=" TOK_EqSlashEq "=/=" TOK_Plus "+" TOK_Minus "-" TOK_Star "*"
%token <tok> TOK_Slash "/" TOK_PlusPlus "++" TOK_MinusMinus "--" TOK_Bang "!"
%token <tok> TOK_Question "?" TOK_QuestionQuestion "??" TOK_Hash "#"
%token <tok> TOK_Period "'.'" TOK_QuestionEq "?=" TOK_Other "other character"
/* erl_parse:parse_form turns the atom after '-' into these for -spec/-callback. */
%token <tok> TOK_Spec "spec" TOK_Callback "callback"

%type <node> form attribute function function_clause clause_args pat_argument_list
%type <node> clause_guard clause_body
%type <node> expr expr_remote expr_max
%type <node> pat_expr pat_expr_max map_pat_expr record_pat_expr
%type <node> list binary bin_element bit_expr opt_bit_size_expr bit_size_expr bit_type
%type <node> list_comprehension binary_comprehension lc_expr tuple
%type <node> map_expr map_field map_key record_expr record_field function_call
%type <node> if_expr if_clause case_expr cr_clause receive_expr fun_expr fun_clause
%type <node> atom_or_var integer_or_var try_expr try_clause atomic
%type <typed_expr> typed_expr
%type <list> function_clauses exprs pat_exprs guard argument_list list_elems
%type <list> bin_elements opt_bit_type_list bit_type_list lc_exprs map_tuple map_fields
%type <list> record_tuple record_fields if_clauses cr_clauses fun_clauses try_clauses
%type <list> attr_val typed_record_fields typed_exprs
%type <tok> prefix_op try_opt_stacktrace
%type <strings> strings
%type <typed> typed_attr_val
%type <spec> type_spec spec_fun
%type <node> type_sig fun_type top_type type binary_type fun_type_100 type_guard
%type <node> map_pair_type field_type bin_base_type bin_unit_type
%type <list> type_sigs type_guards top_types union_type map_pair_types field_types

/* erl_parse's precedences, loosest first (yecc: Unary 0 'catch', Right 100
   '=' '!', Right 150 orelse, Right 160 andalso, Nonassoc 200 comp_op, Right
   300 list_op, Left 400 add_op, Left 500 mult_op, Unary 600 prefix_op,
   Nonassoc 700 '#', Nonassoc 800 ':'; the last two are implied by the
   rules here). For types, '..' is non-associative below the arithmetic. */
/* `<<_:_*8>>`: after `_:_` a '*' is the unit's, not a type product. */
%precedence TYPE_VAR
%precedence "catch"
%right "=" "!"
%right "orelse"
%right "andalso"
%nonassoc "==" "/=" "=<" "<" ">=" ">" "=:=" "=/=" ".."
%right "++" "--"
%left "+" "-" "bor" "bxor" "bsl" "bsr" "or" "xor"
%left "/" "*" "div" "rem" "band" "and"
%precedence PREFIX

%start form

%%

form:
    attribute "." { ctx->set_result($1); $$ = $1; }
  | function "."  { ctx->set_result($1); $$ = $1; }
  ;

/* ---------------------------------------------------------------- attributes */

attribute:
    "-" "atom" attr_val               { $$ = ctx->attribute($2, $3); CHECK($$); }
  | "-" "atom" typed_attr_val         { $$ = ctx->typed_attribute($2, $3); CHECK($$); }
  | "-" "atom" "(" typed_attr_val ")" { $$ = ctx->typed_attribute($2, $4); CHECK($$); }
  | "-" "spec" type_spec              { $$ = ctx->spec($2, $3); CHECK($$); }
  | "-" "callback" type_spec          { $$ = ctx->spec($2, $3); CHECK($$); }
  ;

type_spec:
    spec_fun type_sigs         { $$ = $1; $$.sigs = $2; }
  | "(" spec_fun type_sigs ")" { $$ = $2; $$.sigs = $3; }
  ;

spec_fun:
    "atom"             { $$ = parser::SpecVal{nullptr, $1, {}}; }
  | "atom" ":" "atom"  { $$ = parser::SpecVal{$1, $3, {}}; }
  ;

typed_attr_val:
    expr "," typed_record_fields { $$ = parser::TypedAttrVal{$1, $3, nullptr, true}; }
  | expr "::" top_type           { $$ = parser::TypedAttrVal{$1, {}, $3, false}; }
  ;

/* A tuple of record fields, at least one of them typed. */
typed_record_fields:
    "{" typed_exprs "}" { $$ = $2; }
  ;

/* yecc's right-recursive typed_exprs, as an equivalent left-recursive list
   of fields with at least one typed: the untyped prefix shares `exprs` with
   the tuple that the same tokens could start, so no conflict arises. */
typed_exprs:
    typed_expr                     { $$ = ctx->list_one($1.expr, $1.type); }
  | exprs "," typed_expr           { $$ = $1; ctx->append($$, $3.expr, $3.type); }
  | typed_exprs "," typed_expr     { $$ = $1; ctx->append($$, $3.expr, $3.type); }
  | typed_exprs "," expr           { $$ = $1; ctx->append($$, $3); }
  ;

typed_expr:
    expr "::" top_type { $$ = parser::TypedExpr{$1, $3}; }
  ;

type_sigs:
    type_sig               { $$ = ctx->list_one($1); }
  | type_sigs ";" type_sig { $$ = $1; ctx->append($$, $3); }
  ;

type_sig:
    fun_type                    { $$ = $1; }
  | fun_type "when" type_guards { $$ = ctx->node(ast::Kind::TypeBounded, $1->pos, $1, $3); }
  ;

type_guards:
    type_guard                 { $$ = ctx->list_one($1); }
  | type_guards "," type_guard { $$ = $1; ctx->append($$, $3); }
  ;

type_guard:
    "atom" "(" top_types ")" { $$ = ctx->compat_constraint($1, $3); CHECK($$); }
  | "var" "::" top_type      { $$ = ctx->constraint($1, $3); CHECK($$); }
  ;

top_types:
    top_type               { $$ = ctx->list_one($1); }
  | top_types "," top_type { $$ = $1; ctx->append($$, $3); }
  ;

top_type:
    union_type { $$ = ctx->type_union($1); }
  ;

/* yecc's right-recursive top_type, its alternatives collected in a list
   (erl_parse's lift_unions/2 flattens them into one union). */
union_type:
    "var" "::" top_type    { $$ = ctx->list_one(ctx->type_ann($1, $3)); }
  | type "|" union_type    { $$ = ctx->prepend($1, $3); }
  | type                   { $$ = ctx->list_one($1); }
  ;

type:
    type ".." type                          { $$ = ctx->type_range($1, $2, $3); }
  | type "+" type                           { $$ = ctx->binary_op($1, $2, $3); }
  | type "-" type                           { $$ = ctx->binary_op($1, $2, $3); }
  | type "bor" type                         { $$ = ctx->binary_op($1, $2, $3); }
  | type "bxor" type                        { $$ = ctx->binary_op($1, $2, $3); }
  | type "bsl" type                         { $$ = ctx->binary_op($1, $2, $3); }
  | type "bsr" type                         { $$ = ctx->binary_op($1, $2, $3); }
  | type "or" type                          { $$ = ctx->binary_op($1, $2, $3); }
  | type "xor" type                         { $$ = ctx->binary_op($1, $2, $3); }
  | type "/" type                           { $$ = ctx->binary_op($1, $2, $3); }
  | type "*" type                           { $$ = ctx->binary_op($1, $2, $3); }
  | type "div" type                         { $$ = ctx->binary_op($1, $2, $3); }
  | type "rem" type                         { $$ = ctx->binary_op($1, $2, $3); }
  | type "band" type                        { $$ = ctx->binary_op($1, $2, $3); }
  | type "and" type                         { $$ = ctx->binary_op($1, $2, $3); }
  | prefix_op type %prec PREFIX             { $$ = ctx->unary_op($1, $2); }
  | "(" top_type ")"                        { $$ = $2; }
  | "var" %prec TYPE_VAR                    { $$ = ctx->var($1); }
  | "atom"                                  { $$ = ctx->atom($1); }
  | "atom" "(" ")"                          { $$ = ctx->type_call($1, {}); }
  | "atom" "(" top_types ")"                { $$ = ctx->type_call($1, $3); }
  | "atom" ":" "atom" "(" ")"               { $$ = ctx->type_remote($1, $3, {}); }
  | "atom" ":" "atom" "(" top_types ")"     { $$ = ctx->type_remote($1, $3, $5); }
  | "[" "]"                                 { $$ = ctx->type_list($1, nullptr, nullptr); }
  | "[" top_type "]"                        { $$ = ctx->type_list($1, $2, nullptr); }
  | "[" top_type "," "..." "]"              { $$ = ctx->type_list($1, $2, $4); }
  | "#" "{" "}"                             { $$ = ctx->node(ast::Kind::TypeMap, $1->pos); }
  | "#" "{" map_pair_types "}"              { $$ = ctx->node(ast::Kind::TypeMap, $1->pos, $3); }
  | "{" "}"                                 { $$ = ctx->node(ast::Kind::TypeTuple, $1->pos); }
  | "{" top_types "}"                       { $$ = ctx->node(ast::Kind::TypeTuple, $1->pos, $2); }
  | "#" "atom" "{" "}"                      { $$ = ctx->type_record($1, $2, {}); }
  | "#" "atom" "{" field_types "}"          { $$ = ctx->type_record($1, $2, $4); }
  | binary_type                             { $$ = $1; }
  | "integer"                               { $$ = ctx->integer($1); }
  | "char"                                  { $$ = ctx->character($1); }
  | "fun" "(" ")"                           { $$ = ctx->node(ast::Kind::TypeFun, $1->pos); }
  | "fun" "(" fun_type_100 ")"              { $$ = $3; }
  ;

fun_type_100:
    "(" "..." ")" "->" top_type     { $$ = ctx->type_fun_any($1, $5); }
  | "(" ")" "->" top_type           { $$ = ctx->type_fun($1, {}, $4); }
  | "(" top_types ")" "->" top_type { $$ = ctx->type_fun($1, $2, $5); }
  ;

fun_type:
    "(" ")" "->" top_type           { $$ = ctx->type_fun($1, {}, $4); }
  | "(" top_types ")" "->" top_type { $$ = ctx->type_fun($1, $2, $5); }
  ;

map_pair_types:
    map_pair_type                    { $$ = ctx->list_one($1); }
  | map_pair_types "," map_pair_type { $$ = $1; ctx->append($$, $3); }
  ;

map_pair_type:
    top_type "=>" top_type { $$ = ctx->type_map_field($1, $2, $3); }
  | top_type ":=" top_type { $$ = ctx->type_map_field($1, $2, $3); }
  ;

field_types:
    field_type                 { $$ = ctx->list_one($1); }
  | field_types "," field_type { $$ = $1; ctx->append($$, $3); }
  ;

field_type:
    "atom" "::" top_type {
        $$ = ctx->node(ast::Kind::TypeField, $1->pos, {$3}); $$->text = $1->text;
    }
  ;

binary_type:
    "<<" ">>"                                { $$ = ctx->type_binary($1, nullptr, nullptr); }
  | "<<" bin_base_type ">>"                  { $$ = ctx->type_binary($1, $2, nullptr); }
  | "<<" bin_unit_type ">>"                  { $$ = ctx->type_binary($1, nullptr, $2); }
  | "<<" bin_base_type "," bin_unit_type ">>" { $$ = ctx->type_binary($1, $2, $4); }
  ;

bin_base_type:
    "var" ":" type { if (!ctx->check_bin_type_var($1)) YYABORT; $$ = $3; }
  ;

bin_unit_type:
    "var" ":" "var" "*" type {
        if (!ctx->check_bin_type_var($1) || !ctx->check_bin_type_var($3)) YYABORT;
        $$ = $5;
    }
  ;

attr_val:
    expr                   { $$ = ctx->list_one($1); }
  | expr "," exprs         { $$ = ctx->prepend($1, $3); }
  | "(" expr "," exprs ")" { $$ = ctx->prepend($2, $4); }
  ;

/* ----------------------------------------------------------------- functions */

function:
    function_clauses { $$ = ctx->function($1); CHECK($$); }
  ;

function_clauses:
    function_clause                      { $$ = ctx->list_one($1); }
  | function_clauses ";" function_clause { $$ = ctx->append($1, $3); }
  ;

function_clause:
    "atom" clause_args clause_guard clause_body { $$ = ctx->clause($1->pos, $1, $2, $3, $4); }
  ;

clause_args:
    pat_argument_list { $$ = $1; }
  ;

clause_guard:
    "when" guard { $$ = ctx->guard($1, $2); }
  | %empty       { $$ = nullptr; }
  ;

clause_body:
    "->" exprs { $$ = ctx->node(ast::Kind::Body, $1->pos, $2); }
  ;

/* --------------------------------------------------------------- expressions */

/* OTP 25 writes expressions with yecc precedences (see the %left/%right
   declarations): `catch` binds loosest and may start any operand, so
   `X = catch f()` and `1 + catch 2 + 3` (= 1 + catch (2 + 3)) parse. */
expr:
    "catch" expr          { $$ = ctx->node(ast::Kind::Catch, $1->pos, {$2}); }
  | expr "=" expr         { $$ = ctx->match($1, $3); }
  | expr "!" expr         { $$ = ctx->binary_op($1, $2, $3); }
  | expr "orelse" expr    { $$ = ctx->binary_op($1, $2, $3); }
  | expr "andalso" expr   { $$ = ctx->binary_op($1, $2, $3); }
  | expr "==" expr        { $$ = ctx->binary_op($1, $2, $3); }
  | expr "/=" expr        { $$ = ctx->binary_op($1, $2, $3); }
  | expr "=<" expr        { $$ = ctx->binary_op($1, $2, $3); }
  | expr "<" expr         { $$ = ctx->binary_op($1, $2, $3); }
  | expr ">=" expr        { $$ = ctx->binary_op($1, $2, $3); }
  | expr ">" expr         { $$ = ctx->binary_op($1, $2, $3); }
  | expr "=:=" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "=/=" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "++" expr        { $$ = ctx->binary_op($1, $2, $3); }
  | expr "--" expr        { $$ = ctx->binary_op($1, $2, $3); }
  | expr "+" expr         { $$ = ctx->binary_op($1, $2, $3); }
  | expr "-" expr         { $$ = ctx->binary_op($1, $2, $3); }
  | expr "bor" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "bxor" expr      { $$ = ctx->binary_op($1, $2, $3); }
  | expr "bsl" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "bsr" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "or" expr        { $$ = ctx->binary_op($1, $2, $3); }
  | expr "xor" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "/" expr         { $$ = ctx->binary_op($1, $2, $3); }
  | expr "*" expr         { $$ = ctx->binary_op($1, $2, $3); }
  | expr "div" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "rem" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | expr "band" expr      { $$ = ctx->binary_op($1, $2, $3); }
  | expr "and" expr       { $$ = ctx->binary_op($1, $2, $3); }
  | prefix_op expr %prec PREFIX { $$ = ctx->unary_op($1, $2); }
  | map_expr              { $$ = $1; }
  | function_call         { $$ = $1; }
  | record_expr           { $$ = $1; }
  | expr_remote           { $$ = $1; }
  ;

expr_remote:
    expr_max ":" expr_max { $$ = ctx->node(ast::Kind::Remote, $2->pos, {$1, $3}); }
  | expr_max              { $$ = $1; }
  ;

expr_max:
    "var"                 { $$ = ctx->var($1); }
  | atomic                { $$ = $1; }
  | list                  { $$ = $1; }
  | binary                { $$ = $1; }
  | list_comprehension    { $$ = $1; }
  | binary_comprehension  { $$ = $1; }
  | tuple                 { $$ = $1; }
  | "(" expr ")"          { $$ = $2; }
  | "begin" exprs "end"   { $$ = ctx->node(ast::Kind::Block, $1->pos, $2); }
  | if_expr               { $$ = $1; }
  | case_expr             { $$ = $1; }
  | receive_expr          { $$ = $1; }
  | fun_expr              { $$ = $1; }
  | try_expr              { $$ = $1; }
  ;

/* Patterns of function and fun heads and of catch clauses (OTP 24+): no
   calls, no record access, no map update chains. */
pat_expr:
    pat_expr "=" pat_expr    { $$ = ctx->match($1, $3); }
  | pat_expr "==" pat_expr   { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "/=" pat_expr   { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "=<" pat_expr   { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "<" pat_expr    { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr ">=" pat_expr   { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr ">" pat_expr    { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "=:=" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "=/=" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "++" pat_expr   { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "--" pat_expr   { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "+" pat_expr    { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "-" pat_expr    { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "bor" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "bxor" pat_expr { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "bsl" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "bsr" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "or" pat_expr   { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "xor" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "/" pat_expr    { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "*" pat_expr    { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "div" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "rem" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "band" pat_expr { $$ = ctx->binary_op($1, $2, $3); }
  | pat_expr "and" pat_expr  { $$ = ctx->binary_op($1, $2, $3); }
  | prefix_op pat_expr %prec PREFIX { $$ = ctx->unary_op($1, $2); }
  | map_pat_expr             { $$ = $1; }
  | record_pat_expr          { $$ = $1; }
  | pat_expr_max             { $$ = $1; }
  ;

pat_expr_max:
    "var"            { $$ = ctx->var($1); }
  | atomic           { $$ = $1; }
  | list             { $$ = $1; }
  | binary           { $$ = $1; }
  | tuple            { $$ = $1; }
  | "(" pat_expr ")" { $$ = $2; }
  ;

/* Only map creation syntax: `X#{...}` is no pattern (a syntax error at '#'). */
map_pat_expr:
    "#" map_tuple { $$ = ctx->node(ast::Kind::Map, $1->pos, $2); }
  ;

record_pat_expr:
    "#" "atom" "'.'" "atom" {
        $$ = ctx->node(ast::Kind::RecordIndex, $1->pos, {ctx->atom($4)});
        $$->text = $2->text; $$->name2 = $4->text;
    }
  | "#" "atom" record_tuple {
        $$ = ctx->node(ast::Kind::Record, $1->pos, $3); $$->text = $2->text;
    }
  ;

list:
    "[" "]"                          { $$ = ctx->list($1, {}, nullptr, $2); }
  | "[" list_elems "]"               { $$ = ctx->list($1, $2, nullptr, $3); }
  | "[" list_elems "|" expr "]"      { $$ = ctx->list($1, $2, $4, $5); }
  ;

list_elems:
    expr                { $$ = ctx->list_one($1); }
  | list_elems "," expr { $$ = ctx->append($1, $3); }
  ;

binary:
    "<<" ">>"              { $$ = ctx->node(ast::Kind::Binary, $1->pos); }
  | "<<" bin_elements ">>" { $$ = ctx->node(ast::Kind::Binary, $1->pos, $2); }
  ;

bin_elements:
    bin_element                  { $$ = ctx->list_one($1); }
  | bin_elements "," bin_element { $$ = ctx->append($1, $3); }
  ;

bin_element:
    bit_expr opt_bit_size_expr opt_bit_type_list { $$ = ctx->bin_element($1, $2, $3); }
  ;

bit_expr:
    prefix_op expr_max { $$ = ctx->unary_op($1, $2); }
  | expr_max           { $$ = $1; }
  ;

opt_bit_size_expr:
    ":" bit_size_expr { $$ = $2; }
  | %empty            { $$ = nullptr; }
  ;

opt_bit_type_list:
    "/" bit_type_list { $$ = $2; }
  | %empty            { $$ = parser::NodeList{}; }
  ;

bit_type_list:
    bit_type                   { $$ = ctx->list_one($1); }
  | bit_type_list "-" bit_type { $$ = ctx->append($1, $3); }
  ;

bit_type:
    "atom"               { $$ = ctx->bin_type($1, nullptr); }
  | "atom" ":" "integer" { $$ = ctx->bin_type($1, $3); }
  ;

bit_size_expr:
    expr_max { $$ = $1; }
  ;

list_comprehension:
    "[" expr "||" lc_exprs "]" { $$ = ctx->node(ast::Kind::ListComp, $1->pos, $2, $4); }
  ;

binary_comprehension:
    "<<" expr_max "||" lc_exprs ">>" { $$ = ctx->node(ast::Kind::BinComp, $1->pos, $2, $4); }
  ;

lc_exprs:
    lc_expr              { $$ = ctx->list_one($1); }
  | lc_exprs "," lc_expr { $$ = ctx->append($1, $3); }
  ;

lc_expr:
    expr                { $$ = $1; }
  | expr "<-" expr      { $$ = ctx->node(ast::Kind::Generate, $2->pos, {$1, $3}); }
  | binary "<=" expr    { $$ = ctx->node(ast::Kind::BinGenerate, $2->pos, {$1, $3}); }
  ;

tuple:
    "{" "}"       { $$ = ctx->node(ast::Kind::Tuple, $1->pos); }
  | "{" exprs "}" { $$ = ctx->node(ast::Kind::Tuple, $1->pos, $2); }
  ;

map_expr:
    "#" map_tuple          { $$ = ctx->node(ast::Kind::Map, $1->pos, $2); }
  | expr_max "#" map_tuple { $$ = ctx->node(ast::Kind::MapUpdate, $2->pos, $1, $3); }
  | map_expr "#" map_tuple { $$ = ctx->node(ast::Kind::MapUpdate, $2->pos, $1, $3); }
  ;

map_tuple:
    "{" "}"            { $$ = parser::NodeList{}; }
  | "{" map_fields "}" { $$ = $2; }
  ;

map_fields:
    map_field                { $$ = ctx->list_one($1); }
  | map_fields "," map_field { $$ = ctx->append($1, $3); }
  ;

map_field:
    map_key "=>" expr {
        $$ = ctx->node(ast::Kind::MapField, $2->pos, {$1, $3}); $$->op = $2->kind;
    }
  | map_key ":=" expr {
        $$ = ctx->node(ast::Kind::MapField, $2->pos, {$1, $3}); $$->op = $2->kind;
    }
  ;

map_key:
    expr { $$ = $1; }
  ;

record_expr:
    "#" "atom" "'.'" "atom" {
        $$ = ctx->node(ast::Kind::RecordIndex, $1->pos, {ctx->atom($4)});
        $$->text = $2->text; $$->name2 = $4->text;
    }
  | "#" "atom" record_tuple {
        $$ = ctx->node(ast::Kind::Record, $1->pos, $3); $$->text = $2->text;
    }
  | expr_max "#" "atom" "'.'" "atom" {
        $$ = ctx->node(ast::Kind::RecordAccess, $2->pos, {$1, ctx->atom($5)});
        $$->text = $3->text; $$->name2 = $5->text;
    }
  | expr_max "#" "atom" record_tuple {
        $$ = ctx->node(ast::Kind::RecordUpdate, $2->pos, $1, $4); $$->text = $3->text;
    }
  | record_expr "#" "atom" "'.'" "atom" {
        $$ = ctx->node(ast::Kind::RecordAccess, $2->pos, {$1, ctx->atom($5)});
        $$->text = $3->text; $$->name2 = $5->text;
    }
  | record_expr "#" "atom" record_tuple {
        $$ = ctx->node(ast::Kind::RecordUpdate, $2->pos, $1, $4); $$->text = $3->text;
    }
  ;

record_tuple:
    "{" "}"               { $$ = parser::NodeList{}; }
  | "{" record_fields "}" { $$ = $2; }
  ;

record_fields:
    record_field                   { $$ = ctx->list_one($1); }
  | record_fields "," record_field { $$ = ctx->append($1, $3); }
  ;

record_field:
    "var" "=" expr  { $$ = ctx->record_field($1, $3); }
  | "atom" "=" expr { $$ = ctx->record_field($1, $3); }
  ;

function_call:
    expr_remote argument_list { $$ = ctx->call($1, $2); }
  ;

if_expr:
    "if" if_clauses "end" { $$ = ctx->node(ast::Kind::If, $1->pos, $2); }
  ;

if_clauses:
    if_clause                { $$ = ctx->list_one($1); }
  | if_clauses ";" if_clause { $$ = ctx->append($1, $3); }
  ;

if_clause:
    guard clause_body {
        parser::Pos pos = ast::first_pos($1.head->node->kids[0]);
        $$ = ctx->clause(pos, nullptr, ctx->node(ast::Kind::Patterns, pos),
                         ctx->guard(nullptr, $1), $2);
    }
  ;

case_expr:
    "case" expr "of" cr_clauses "end" { $$ = ctx->node(ast::Kind::Case, $1->pos, $2, $4); }
  ;

cr_clauses:
    cr_clause                { $$ = ctx->list_one($1); }
  | cr_clauses ";" cr_clause { $$ = ctx->append($1, $3); }
  ;

cr_clause:
    expr clause_guard clause_body {
        parser::Pos pos = ast::first_pos($1);
        $$ = ctx->clause(pos, nullptr, ctx->node(ast::Kind::Patterns, pos, {$1}), $2, $3);
    }
  ;

receive_expr:
    "receive" cr_clauses "end" { $$ = ctx->node(ast::Kind::Receive, $1->pos, $2); }
  | "receive" "after" expr clause_body "end" {
        $$ = ctx->node(ast::Kind::Receive, $1->pos,
                       {ctx->node(ast::Kind::After, $2->pos, {$3, $4})});
    }
  | "receive" cr_clauses "after" expr clause_body "end" {
        $$ = ctx->node(ast::Kind::Receive, $1->pos,
                       ctx->append($2, ctx->node(ast::Kind::After, $3->pos, {$4, $5})));
    }
  ;

fun_expr:
    "fun" "atom" "/" "integer" {
        $$ = ctx->fun_ref($1, nullptr, ctx->atom($2), ctx->integer($4));
    }
  | "fun" atom_or_var ":" atom_or_var "/" integer_or_var {
        $$ = ctx->fun_ref($1, $2, $4, $6);
    }
  | "fun" fun_clauses "end" { $$ = ctx->fun($1, $2); CHECK($$); }
  ;

atom_or_var:
    "atom" { $$ = ctx->atom($1); }
  | "var"  { $$ = ctx->var($1); }
  ;

integer_or_var:
    "integer" { $$ = ctx->integer($1); }
  | "var"     { $$ = ctx->var($1); }
  ;

fun_clauses:
    fun_clause                 { $$ = ctx->list_one($1); }
  | fun_clauses ";" fun_clause { $$ = ctx->append($1, $3); }
  ;

fun_clause:
    pat_argument_list clause_guard clause_body {
        $$ = ctx->clause($1->pos, nullptr, $1, $2, $3);
    }
  | "var" pat_argument_list clause_guard clause_body {
        $$ = ctx->clause($1->pos, $1, $2, $3, $4);
    }
  ;

try_expr:
    "try" exprs "of" cr_clauses "catch" try_clauses "end" {
        $$ = ctx->node(ast::Kind::Try, $1->pos,
                       {ctx->node(ast::Kind::Body, $1->pos, $2),
                        ctx->node(ast::Kind::OfClauses, $3->pos, $4),
                        ctx->node(ast::Kind::CatchClauses, $5->pos, $6), nullptr});
    }
  | "try" exprs "of" cr_clauses "catch" try_clauses "after" exprs "end" {
        $$ = ctx->node(ast::Kind::Try, $1->pos,
                       {ctx->node(ast::Kind::Body, $1->pos, $2),
                        ctx->node(ast::Kind::OfClauses, $3->pos, $4),
                        ctx->node(ast::Kind::CatchClauses, $5->pos, $6),
                        ctx->node(ast::Kind::Body, $7->pos, $8)});
    }
  | "try" exprs "of" cr_clauses "after" exprs "end" {
        $$ = ctx->node(ast::Kind::Try, $1->pos,
                       {ctx->node(ast::Kind::Body, $1->pos, $2),
                        ctx->node(ast::Kind::OfClauses, $3->pos, $4),
                        ctx->node(ast::Kind::CatchClauses, $5->pos),
                        ctx->node(ast::Kind::Body, $5->pos, $6)});
    }
  | "try" exprs "catch" try_clauses "end" {
        $$ = ctx->node(ast::Kind::Try, $1->pos,
                       {ctx->node(ast::Kind::Body, $1->pos, $2),
                        ctx->node(ast::Kind::OfClauses, $1->pos),
                        ctx->node(ast::Kind::CatchClauses, $3->pos, $4), nullptr});
    }
  | "try" exprs "catch" try_clauses "after" exprs "end" {
        $$ = ctx->node(ast::Kind::Try, $1->pos,
                       {ctx->node(ast::Kind::Body, $1->pos, $2),
                        ctx->node(ast::Kind::OfClauses, $1->pos),
                        ctx->node(ast::Kind::CatchClauses, $3->pos, $4),
                        ctx->node(ast::Kind::Body, $5->pos, $6)});
    }
  | "try" exprs "after" exprs "end" {
        $$ = ctx->node(ast::Kind::Try, $1->pos,
                       {ctx->node(ast::Kind::Body, $1->pos, $2),
                        ctx->node(ast::Kind::OfClauses, $1->pos),
                        ctx->node(ast::Kind::CatchClauses, $3->pos),
                        ctx->node(ast::Kind::Body, $3->pos, $4)});
    }
  ;

try_clauses:
    try_clause                 { $$ = ctx->list_one($1); }
  | try_clauses ";" try_clause { $$ = ctx->append($1, $3); }
  ;

try_clause:
    pat_expr clause_guard clause_body {
        $$ = ctx->catch_clause(nullptr, $1, nullptr, $2, $3);
    }
  | "atom" ":" pat_expr try_opt_stacktrace clause_guard clause_body {
        $$ = ctx->catch_clause($1, $3, $4, $5, $6);
    }
  | "var" ":" pat_expr try_opt_stacktrace clause_guard clause_body {
        $$ = ctx->catch_clause($1, $3, $4, $5, $6);
    }
  ;

try_opt_stacktrace:
    ":" "var" { $$ = $2; }
  | %empty    { $$ = nullptr; }
  ;

argument_list:
    "(" ")"       { $$ = parser::NodeList{}; }
  | "(" exprs ")" { $$ = $2; }
  ;

pat_argument_list:
    "(" ")"           { $$ = ctx->node(ast::Kind::Patterns, $1->pos); }
  | "(" pat_exprs ")" { $$ = ctx->node(ast::Kind::Patterns, $1->pos, $2); }
  ;

exprs:
    expr           { $$ = ctx->list_one($1); }
  | exprs "," expr { $$ = ctx->append($1, $3); }
  ;

pat_exprs:
    pat_expr               { $$ = ctx->list_one($1); }
  | pat_exprs "," pat_expr { $$ = ctx->append($1, $3); }
  ;

guard:
    exprs           { $$ = ctx->list_one(ctx->guard_seq($1)); }
  | guard ";" exprs { $$ = ctx->append($1, ctx->guard_seq($3)); }
  ;

atomic:
    "char"    { $$ = ctx->character($1); }
  | "integer" { $$ = ctx->integer($1); }
  | "float"   { $$ = ctx->floating($1); }
  | "atom"    { $$ = ctx->atom($1); }
  | strings   { $$ = ctx->string($1); }
  ;

strings:
    "string"         { $$ = parser::TokRange{$1, $1}; }
  | strings "string" { $$ = $1; $$.last = $2; }
  ;

prefix_op: "+" | "-" | "bnot" | "not" ;

%%

namespace {

// Bison's code for each token::Kind, in BEAMLITE_TOKENS order.
constexpr int kTokenCodes[] = {
#define BEAMLITE_TOKEN_CODE(name, spelling) TOK_##name,
    BEAMLITE_TOKENS(BEAMLITE_TOKEN_CODE)
#undef BEAMLITE_TOKEN_CODE
};

bool is_attribute_keyword_position(parser::Context* ctx, const token::Token* tok,
                                   std::string_view word);

int yylex(YYSTYPE* value, parser::Context* ctx) {
    const token::Token* tok = ctx->next_token();
    if (tok == nullptr) return YYEOF;
    value->tok = tok;
    if (tok->kind == token::Kind::Atom) {
        if (is_attribute_keyword_position(ctx, tok, "spec")) return TOK_Spec;
        if (is_attribute_keyword_position(ctx, tok, "callback")) return TOK_Callback;
    }
    return kTokenCodes[static_cast<size_t>(tok->kind)];
}

// erl_parse:parse_form/1 rewrites `- spec` and `- callback` at the start of a
// form into keywords; everywhere else they are atoms.
bool is_attribute_keyword_position(parser::Context* ctx, const token::Token* tok,
                                   std::string_view word) {
    return tok->text == word && ctx->is_second_token(tok) && ctx->first_token_is_minus();
}

void yyerror(parser::Context* ctx, const char* message) {
    ctx->syntax_error(std::strcmp(message, "memory exhausted") == 0);
}

}  // namespace

namespace parser {

ast::Node* parse_form(std::span<const token::Token> tokens, const std::string& file,
                      ast::Arena& arena, diag::Reporter& reporter) {
    Context ctx(tokens, file, arena, reporter);
    int status = yyparse(&ctx);
    if (status != 0 || ctx.failed() || ctx.result() == nullptr) {
        token::Pos pos = tokens.empty() ? token::Pos{} : tokens.front().pos;
        return arena.node(ast::Kind::Error, pos);
    }
    return ctx.result();
}

}  // namespace parser
