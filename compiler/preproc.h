// preproc: the Erlang preprocessor (epp): splits a file's tokens into forms
// and expands macros, includes and conditionals.
//
// Handles -define (with and without arguments, overloaded by arity), -undef,
// -ifdef/-ifndef/-else/-endif, -if/-elif with constant expressions,
// -include and -include_lib, and the predefined macros ?MODULE,
// ?MODULE_STRING, ?LINE, ?FILE, ?FUNCTION_NAME, ?FUNCTION_ARITY, plus ??Arg.
// Errors use epp's wording ("undefined macro 'FOO'", "can't find include
// file \"x.hrl\"").
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/token.h"

namespace preproc {

struct Options {
    std::vector<std::string> include_dirs;  // -pa dirs, searched after the file's own dir
    // Library roots for -include_lib("app/include/x.hrl"), as erlc's
    // code:lib_dir(app): a root holds application directories named `app`
    // or `app-VSN` (the highest version wins). See default_lib_roots().
    std::vector<std::string> lib_roots;
    // Non-empty: the main file is an escript whose module is called this
    // unless a -module says otherwise (escript's implicit name). Its `#!`
    // line is read as an empty line, so every later line keeps its number,
    // and ?MODULE and ?MODULE_STRING are this name from the start, as
    // escript predefines them.
    std::string escript_module;
};

// True when `text` (a file's contents) starts with `#!`: an escript.
bool is_escript(std::string_view text);

// The library roots a command-line compile uses: each directory in the
// ERL_LIBS environment variable, then the lib directory of an installed
// Erlang/OTP (so OTP's own headers, such as kernel/include/file.hrl, are
// found as erlc finds them), when there is one.
std::vector<std::string> default_lib_roots();

// One form: the tokens up to and including its Dot, with macros expanded.
// `file` is the file the form came from (an include file for forms in a
// header). A form in which the preprocessor found an error is reported and
// has `failed` set; the parser skips it.
struct Form {
    std::string file;
    std::vector<token::Token> tokens;
    bool failed = false;
};

// Receives each form as soon as it is preprocessed. The form is valid only
// during the call (its buffers are reused for the next form), so a long file
// never holds more than one form's tokens.
using FormSink = std::function<void(Form&)>;

// Preprocesses `path`, handing the forms in order to `sink`. Every file read
// is registered with the reporter (for quoting source lines). Preprocessor
// directives themselves (-define, -ifdef, ...) are consumed, not passed on.
void preprocess(const std::string& path, const Options& options, ast::Arena& arena,
                diag::Reporter& reporter, const FormSink& sink);

// The same, collecting the forms (for tests and tools).
std::vector<Form> preprocess(const std::string& path, const Options& options, ast::Arena& arena,
                             diag::Reporter& reporter);

}  // namespace preproc
