// escript: escript's rewriting of a script's forms (see escript.h). Each
// step mirrors one clause of escript.erl (OTP 25) and says which.
#include "compiler/escript.h"

#include <algorithm>
#include <string>

#include "compiler/lexer.h"

namespace escript {

namespace {

using ast::Kind;
using ast::Node;

bool is_mode(const Node* form) {
    return form->kind == Kind::Attribute && form->text == "mode" && form->num_kids == 1;
}

// How io_lib's ~p writes the mode value in escript's message, for the
// values a -mode attribute can hold that are worth quoting exactly.
std::string show_value(const Node* value) {
    switch (value->kind) {
        case Kind::Atom:
            return lexer::write_atom(value->text);
        case Kind::String:
            return lexer::write_string(value->text);
        case Kind::Integer:
            return std::string(value->text);
        default:
            return "<term>";
    }
}

// epp_parse_file2: -mode(native) is dropped (no longer supported), compile,
// interpret and debug are kept, anything else is "illegal mode attribute".
// The last valid -mode decides.
Mode check_modes(ast::Module& module, const std::string& file, diag::Reporter& reporter) {
    Mode mode = Mode::Interpret;
    std::vector<Node*> kept;
    std::vector<std::string> kept_files;
    for (size_t i = 0; i < module.forms.size(); ++i) {
        Node* form = module.forms[i];
        if (is_mode(form)) {
            const Node* value = form->kid(0);
            std::string_view name = value->kind == Kind::Atom ? value->text : "";
            if (name == "native") continue;
            if (name == "compile") {
                mode = Mode::Compile;
            } else if (name == "interpret") {
                mode = Mode::Interpret;
            } else if (name == "debug") {
                mode = Mode::Debug;
            } else {
                reporter.error(file, form->pos, diag::Phase::Syntax,
                               "illegal mode attribute: " + show_value(value));
            }
        }
        kept.push_back(form);
        kept_files.push_back(module.form_files[i]);
    }
    module.forms = std::move(kept);
    module.form_files = std::move(kept_files);
    return mode;
}

bool exports_main(const ast::Module& module) {
    for (const Node* form : module.forms) {
        if (form->kind != Kind::Export || form->text != "export") continue;
        for (const Node* fa : form->children())
            if (fa->text == "main" && fa->int_value == 1) return true;
    }
    return false;
}

// check_source: `-export([main/1]).` at line 0, right after the -module.
// The invariant after parse_source: forms[0] is the -module.
void export_main(ast::Module& module) {
    ast::Arena& arena = *module.arena;
    Node* fa = arena.node(Kind::FunArity, diag::kLineZero);
    fa->text = arena.string("main");
    fa->int_value = 1;
    Node* const kids[] = {fa};
    Node* form = arena.node(Kind::Export, diag::kLineZero, kids);
    form->text = arena.string("export");
    module.forms.insert(module.forms.begin() + 1, form);
    module.form_files.insert(module.form_files.begin() + 1, module.file);
}

}  // namespace

Mode adapt(ast::Module& module, std::string_view implicit_name, diag::Reporter& reporter) {
    module.escript = true;
    Mode mode = check_modes(module, module.file, reporter);
    // parse_source: a first form that is not -module(M) gets the implicit one.
    if (module.forms.empty() || module.forms.front()->kind != Kind::ModuleAttr) {
        Node* form = module.arena->node(Kind::ModuleAttr, token::Pos{1, 0});
        form->text = module.arena->string(implicit_name);
        module.forms.insert(module.forms.begin(), form);
        module.form_files.insert(module.form_files.begin(), module.file);
    }
    module.name = module.forms.front()->text;
    if (!exports_main(module)) export_main(module);
    return mode;
}

}  // namespace escript
