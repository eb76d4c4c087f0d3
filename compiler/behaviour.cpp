// behaviour: finds the callbacks of a behaviour, from OTP's table
// (behaviours.def) or from the behaviour's own .bl module.
#include "compiler/behaviour.h"

#include <filesystem>

#include "compiler/frontend.h"

namespace behaviour {

namespace {

// "init/1 handle_call/3" -> {init,1}, {handle_call,3}
std::vector<Callback> parse_list(std::string_view words) {
    std::vector<Callback> out;
    while (!words.empty()) {
        size_t end = words.find(' ');
        std::string_view word = words.substr(0, end);
        size_t slash = word.rfind('/');
        out.push_back(
            {std::string(word.substr(0, slash)), std::stoll(std::string(word.substr(slash + 1)))});
        if (end == std::string_view::npos) break;
        words.remove_prefix(end + 1);
    }
    return out;
}

std::optional<Callbacks> from_table(std::string_view name) {
#define BEAMLITE_BEHAVIOUR(behaviour, callbacks, optional) \
    if (name == #behaviour) return Callbacks{parse_list(callbacks), parse_list(optional)};
#include "compiler/behaviours.def"
#undef BEAMLITE_BEHAVIOUR
    return std::nullopt;
}

// `f/1` in an -optional_callbacks list.
void add_fun_arity(const ast::Node* e, std::vector<Callback>& out) {
    if (e == nullptr || e->kind != ast::Kind::BinaryOp || e->op != token::Kind::Slash) return;
    const ast::Node* fun = e->kid(0);
    const ast::Node* arity = e->kid(1);
    if (fun == nullptr || fun->kind != ast::Kind::Atom || arity == nullptr ||
        arity->kind != ast::Kind::Integer || arity->is_big) {
        return;
    }
    out.push_back({std::string(fun->text), arity->int_value});
}

// The -callback and -optional_callbacks attributes of module file `path`.
Callbacks from_module(const std::string& path) {
    diag::Reporter quiet;  // the behaviour's own problems are not this module's
    ast::Module module = frontend::parse_file(path, {}, quiet);
    Callbacks out;
    for (const ast::Node* form : module.forms) {
        if (form->kind == ast::Kind::TypeAttr && form->text == "callback") {
            out.all.push_back({std::string(form->name2), form->int_value});
        } else if (form->kind == ast::Kind::Attribute && form->text == "optional_callbacks") {
            for (const ast::Node* e = form->kid(0); e != nullptr && e->kind == ast::Kind::Cons;
                 e = e->kid(1)) {
                add_fun_arity(e->kid(0), out.optional);
            }
        }
    }
    return out;
}

}  // namespace

std::optional<Callbacks> find(std::string_view name, const std::vector<std::string>& dirs) {
    if (std::optional<Callbacks> known = from_table(name)) return known;
    for (const std::string& dir : dirs) {
        std::error_code ec;
        std::filesystem::path path = std::filesystem::path(dir) / (std::string(name) + ".bl");
        if (!std::filesystem::is_regular_file(path, ec)) continue;
        Callbacks callbacks = from_module(path.string());
        // Without -callback there is no behaviour_info/1: erlc says undefined.
        if (callbacks.all.empty()) return std::nullopt;
        return callbacks;
    }
    return std::nullopt;
}

}  // namespace behaviour
