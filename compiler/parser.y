%require "3.7"
%language "c++"
%define api.namespace {parser_impl}
%code requires {
#include "compiler/parser.h"
}
%code {
namespace parser_impl { int yylex(parser::semantic_type*) { return 0; } }
}
%define api.parser.class {parser}
%token END 0
%%
start: %empty ;
%%
void parser_impl::parser::error(const std::string&) {}
namespace parser {
ast::Node* parse_form(std::span<const token::Token> tokens, const std::string& file,
                      ast::Arena& arena, diag::Reporter& reporter) {
    return arena.node(ast::Kind::Error, tokens.empty() ? token::Pos{} : tokens.front().pos);
}
}
