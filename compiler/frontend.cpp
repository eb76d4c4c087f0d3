// frontend: glue between preprocessor, parser and checker.
#include "compiler/frontend.h"

#include "compiler/lint.h"
#include "compiler/parser.h"

namespace frontend {

ast::Module parse_file(const std::string& path, const preproc::Options& options,
                       diag::Reporter& reporter) {
    ast::Module module;
    module.file = path;
    std::vector<preproc::Form> forms = preproc::preprocess(path, options, *module.arena, reporter);
    for (const preproc::Form& form : forms) {
        ast::Node* node;
        if (form.failed || form.tokens.empty()) {
            token::Pos pos = form.tokens.empty() ? token::Pos{} : form.tokens.front().pos;
            node = module.arena->node(ast::Kind::Error, pos);
        } else {
            node = parser::parse_form(form.tokens, form.file, *module.arena, reporter);
        }
        if (node->kind == ast::Kind::ModuleAttr && module.name.empty()) module.name = node->text;
        module.forms.push_back(node);
        module.form_files.push_back(form.file);
    }
    return module;
}

bool check_file(const std::string& path, const preproc::Options& options,
                diag::Reporter& reporter, ast::Module* out) {
    ast::Module module = parse_file(path, options, reporter);
    lint::check(module, reporter);
    bool ok = !reporter.has_errors();
    if (out != nullptr) *out = std::move(module);
    return ok;
}

}  // namespace frontend
