// abstract: the bridge between beamlite's AST and Erlang's abstract format
// (the terms erl_parse produces), for parse transforms.
//
// A module with -compile({parse_transform, M}) cannot be compiled in one
// go: M:parse_transform(Forms, Options) is Erlang and must run in a
// process. So the front end parses the module, to_text writes its forms as
// the text of one Erlang term (the list epp:parse_file would return, with
// {Line, Column} annotations as OTP 25's compiler gives them), the VM
// parses that text, runs the transforms (stdlib/beamlite_transform.bl) and
// writes the forms they return with ~w; from_text reads them back into an
// AST that lint and the code generator then take as if it had been parsed.
// Text, not the external term format: the compiler stays below the VM, and
// our own parser reads a term.
//
// The term shapes mapped (A: an annotation, {L, C} or L or a list with
// {location, ...}; E: an expression, P: a pattern, B: a list of E):
//
//   {attribute,A,file,{File,Line}}       (epp's; sets the file of later forms)
//   {attribute,A,module,Mod}             {attribute,A,export,[{F,N}]}
//   {attribute,A,import,{Mod,[{F,N}]}}   {attribute,A,record,{R,[Field]}}
//       Field = {record_field,A,{atom,A,F}[,E]} | {typed_record_field,Field,T}
//   {attribute,A,Name,Term}              {function,A,F,N,[Clause]}   {eof,A}
//   Clause = {clause,A,[P],[[Guard]],B}
//   {integer|float|atom|char|string|var,A,V}   {nil,A}   {cons,A,H,T}
//   {tuple,A,[E]}   {map,A,[Assoc]}   {map,A,E,[Assoc]}
//       Assoc = {map_field_assoc|map_field_exact,A,K,V}
//   {bin,A,[{bin_element,A,E,Size|default,[Type|{Type,N}]|default}]}
//   {record,A,R,[{record_field,A,{atom,A,F}|{var,A,'_'},E}]}  {record,A,E,R,Fs}
//   {record_field,A,E,R,{atom,A,F}}   {record_index,A,R,{atom,A,F}}
//   {match,A,P,E}   {op,A,Op,L,R}   {op,A,Op,E}   {call,A,F,[E]}
//   {remote,A,M,F}  {'fun',A,{function,F,N}}  {'fun',A,{function,M,F,N}}
//   {'fun',A,{clauses,[Clause]}}   {named_fun,A,Name,[Clause]}
//   {'case',A,E,[Clause]}  {'if',A,[Clause]}  {'receive',A,[Clause][,T,B]}
//   {'try',A,B,[Clause],[Clause],B}  (catch clause patterns: [{tuple,A,[C,R,S]}])
//   {'catch',A,E}  {block,A,B}  {lc|bc,A,E,[Q]}  {generate|b_generate,A,P,E}
//
// Types and specs (-type, -spec, -export_type, typed record fields) are
// not passed to transforms: transforms rarely read them and lint only
// checks them, so the forms returned are compiled without them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diag.h"

namespace abstract {

// The parse transforms a module asks for, in order: the M of every
// -compile({parse_transform, M}) (also inside a -compile list).
std::vector<std::string> parse_transforms(const ast::Module& module);

// The module's forms as the text of an Erlang list of abstract forms,
// starting with epp's {attribute,{1,1},file,{File,1}} and ending with
// {eof,A}.
std::string to_text(const ast::Module& module);

// What the transforms need, as the text of one term: {File, Forms,
// Options, Transforms}, where Forms is to_text's list, Options the options
// of the module's -compile attributes (what a transform gets), and
// Transforms the list of parse_transforms(module).
std::string transform_request(const ast::Module& module);

// Reads `text`, a list of abstract forms written by ~w, into `out` (whose
// `file` names the module's file). False, with errors reported, when the
// text is not a list of forms this module maps.
bool from_text(std::string_view text, ast::Module& out, diag::Reporter& reporter);

}  // namespace abstract
