// escript: escript's rewriting of a script's forms (see escript.h). Each
// step mirrors one clause of escript.erl (OTP 25) and says which.
#include "compiler/escript.h"

#include <fmt/core.h>

#include <span>
#include <string>

#include "compiler/lexer.h"

namespace escript {

namespace {

using ast::Kind;
using ast::Node;

std::string show_elements(std::span<Node* const> elements);
std::string show_list(const Node* list);

// A float as ~p writes it: the shortest digits that read back, always with
// a fraction (1.0, 1.0e20, 2.5e-7).
std::string show_float(double value) {
    std::string text = fmt::format("{}", value);
    size_t e = text.find('e');
    std::string mantissa = text.substr(0, e);
    if (mantissa.find('.') == std::string::npos) mantissa += ".0";
    if (e == std::string::npos) return mantissa;
    std::string exponent = text.substr(e + 1);
    if (exponent.starts_with('+')) exponent.erase(0, 1);
    return mantissa + "e" + exponent;
}

bool is_mode(const Node* form) {
    return form->kind == Kind::Attribute && form->text == "mode" && form->num_kids == 1;
}

// How io_lib's ~p writes the mode value in escript's message, for the
// constant terms an attribute holds (a list of character codes is written
// as a list, where ~p would write a string).
std::string show_value(const Node* value) {
    switch (value->kind) {
        case Kind::Atom:
            return lexer::write_atom(value->text);
        case Kind::String:
            return lexer::write_string(value->text);
        case Kind::Integer:
            return value->is_big ? std::string(value->text) : std::to_string(value->int_value);
        case Kind::Char:
            return std::to_string(value->int_value);
        case Kind::Float:
            return show_float(value->float_value);
        case Kind::UnaryOp:
            return (value->op == token::Kind::Minus ? "-" : "+") + show_value(value->kid(0));
        case Kind::Tuple:
            return "{" + show_elements(value->children()) + "}";
        case Kind::Nil:
        case Kind::Cons:
            return show_list(value);
        default:
            return "...";
    }
}

std::string show_elements(std::span<Node* const> elements) {
    std::string out;
    for (const Node* e : elements)
        out += (out.empty() ? "" : ",") + show_value(e);
    return out;
}

// A list, proper or not: [a,b] or [a|b].
std::string show_list(const Node* list) {
    std::string out;
    for (; list->kind == Kind::Cons; list = list->kid(1))
        out += (out.empty() ? "" : ",") + show_value(list->kid(0));
    if (list->kind != Kind::Nil) out += "|" + show_value(list);
    return "[" + out + "]";
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
