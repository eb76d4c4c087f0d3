// lint: erl_lint's module-level checks. Forms are visited in order through
// erl_lint's three states (start: before -module; attribute: before the
// first function; function: after it, where most attributes are errors).
// Functions, records, exports and imports are collected on the way; after
// the last form come the checks that need all of them: undefined and unused
// functions, unused records, the module name against the file name.
//
// Types and specs are checked in lint_types.cpp. Known gap: no
// deprecated-function warnings (they need OTP's table of deprecations).
#include "compiler/lint.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "compiler/lint_internal.h"

namespace lint {

using NK = ast::Kind;

static std::span<Node* const> kids(const Node* n) {
    if (n == nullptr) return {};
    return {n->kids, n->num_kids};
}

// ---- formatting ----

static bool is_reserved_word(std::string_view s) {
    static const char* const words[] = {
        "after", "and",  "andalso", "band",   "begin",   "bnot", "bor", "bsl",  "bsr",
        "bxor",  "case", "catch",   "cond",   "div",     "end",  "fun", "if",   "let",
        "not",   "of",   "or",      "orelse", "receive", "rem",  "try", "when", "xor"};
    for (const char* w : words) {
        if (s == w) return true;
    }
    return false;
}

// How io_lib's ~w writes an atom: bare if it is a lowercase name that is
// not a reserved word, else in single quotes with escapes.
std::string quote_atom(std::string_view name) {
    bool bare = !name.empty() && name[0] >= 'a' && name[0] <= 'z' && !is_reserved_word(name);
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '@';
        bare = bare && ok;
    }
    if (bare) return std::string(name);
    std::string out = "'";
    for (char c : name) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

std::string format_fa(FA fa) {
    return quote_atom(fa.name) + "/" + std::to_string(fa.arity);
}

std::string format_var(std::string_view name) {
    return quote_atom(name);
}

// ---- reporting ----

void Linter::error(Pos pos, std::string message, std::string key) {
    report(file_, pos, true, std::move(key), std::move(message));
}

void Linter::warning(Pos pos, std::string message, std::string key) {
    report(file_, pos, false, std::move(key), std::move(message));
}

void Linter::report(const std::string& file, Pos pos, bool is_error, std::string key,
                    std::string message) {
    errors_ += is_error ? 1 : 0;
    pending_.push_back(Pending{file, pos, is_error, std::move(key), std::move(message)});
}

// compile.erl sorts each file's messages as terms {Location, Module,
// Descriptor}: at one position, by the descriptor (a smaller tuple first,
// then the tag). The Reporter sorts by position and keeps report order for
// ties, so messages are handed over in descriptor order.
void Linter::flush() {
    std::stable_sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
        if (a.file != b.file) return a.file < b.file;
        if (!(a.pos == b.pos)) return a.pos < b.pos;
        return a.key < b.key;
    });
    for (Pending& p : pending_) {
        if (p.is_error) {
            reporter_.error(p.file, p.pos, diag::Phase::Lint, std::move(p.message));
        } else {
            reporter_.warning(p.file, p.pos, diag::Phase::Lint, std::move(p.message));
        }
    }
    pending_.clear();
}

// The sort key of an erl_lint descriptor {Tag, Arg...} of `size` elements.
std::string desc_key(int size, std::string_view tag, std::string_view arg) {
    std::string key = std::to_string(size);
    key += tag;
    key += '\0';
    key += arg;
    return key;
}

// ---- the module ----

// Where erl_scan's eof token is: just after the last character.
static Pos end_of_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    Pos pos{1, 1};
    char c;
    while (in.get(c)) {
        if (c == '\n') {
            pos = Pos{pos.line + 1, 1};
        } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            ++pos.column;
        }
    }
    return pos;
}

Linter::Linter(const ast::Module& module, diag::Reporter& reporter)
    : module_(module), reporter_(reporter) {
    var_names_.reserve(64);
    pos_pool_.reserve(1024);
}

void Linter::run() {
    prescan();
    for (size_t i = 0; i < module_.forms.size(); ++i) {
        const Node* form = module_.forms[i];
        if (form == nullptr || form->kind == NK::Error) continue;
        file_ = i < module_.form_files.size() ? module_.form_files[i] : module_.file;
        this->form(form);
    }
    file_ = module_.file;
    if (state_ == State::Start) {
        // No form but failed ones: erl_lint meets the eof form in the start
        // state and reports at the end of the file.
        error(end_of_file(module_.file), "no module definition");
    }
    post_traversal();
}

// A term in expression syntax as a function reference: `f/1` or `{f, 1}`.
static bool term_fa(const Node* t, FA* out) {
    if (t == nullptr) return false;
    const Node* name = nullptr;
    const Node* arity = nullptr;
    if (t->kind == NK::BinaryOp && t->op == token::Kind::Slash) {
        name = t->kid(0);
        arity = t->kid(1);
    } else if (t->kind == NK::Tuple && t->num_kids == 2) {
        name = t->kid(0);
        arity = t->kid(1);
    } else if (t->kind == NK::FunArity) {
        *out = FA{t->text, t->int_value};
        return true;
    }
    if (name == nullptr || name->kind != NK::Atom || arity == nullptr ||
        arity->kind != NK::Integer) {
        return false;
    }
    *out = FA{name->text, arity->int_value};
    return true;
}

// The elements of a term that is a list, or the term itself.
static std::vector<const Node*> term_list(const Node* t) {
    std::vector<const Node*> out;
    if (t == nullptr) return out;
    if (t->kind != NK::Cons && t->kind != NK::Nil) {
        out.push_back(t);
        return out;
    }
    while (t != nullptr && t->kind == NK::Cons) {
        out.push_back(t->kid(0));
        t = t->kid(1);
    }
    return out;
}

static std::vector<FA> term_fa_list(const Node* t) {
    std::vector<FA> out;
    for (const Node* e : term_list(t)) {
        FA fa;
        if (term_fa(e, &fa)) out.push_back(fa);
    }
    return out;
}

// The record names of {nowarn_unused_record, Names}, in nested lists too
// (erl_lint flattens them; ms_transform writes [[r1, r2]]).
void Linter::nowarn_records(const Node* names) {
    for (const Node* r : term_list(names)) {
        if (r != nullptr && r->kind == NK::Atom) nowarn_records_.insert(r->text);
        if (r != nullptr && (r->kind == NK::Cons || r->kind == NK::Nil)) nowarn_records(r);
    }
}

// One option of a -compile attribute.
void Linter::compile_option(const Node* opt) {
    if (opt == nullptr) return;
    if (opt->kind == NK::Atom) {
        std::string_view o = opt->text;
        if (o == "export_all") {
            export_all_ = true;
        } else if (o == "no_auto_import") {
            no_auto_all_ = true;
        } else if (o == "nowarn_unused_function") {
            nowarn_unused_function_ = true;
        } else if (o == "nowarn_unused_vars") {
            nowarn_unused_vars_ = true;
        } else if (o == "nowarn_unused_record") {
            nowarn_unused_record_ = true;
        } else if (o == "nowarn_shadow_vars") {
            nowarn_shadow_vars_ = true;
        } else if (o == "nowarn_unused_type") {
            nowarn_unused_type_ = true;
        } else if (o == "nowarn_export_all") {
            nowarn_export_all_ = true;
        } else if (o == "no_auto_import_types") {
            no_auto_import_types_ = true;
        }
        return;
    }
    if (opt->kind != NK::Tuple || opt->num_kids != 2 || opt->kid(0)->kind != NK::Atom) return;
    std::string_view tag = opt->kid(0)->text;
    const Node* value = opt->kid(1);
    if (tag == "no_auto_import") {
        for (FA fa : term_fa_list(value))
            no_auto_.insert(fa);
    } else if (tag == "nowarn_unused_function") {
        for (FA fa : term_fa_list(value))
            nowarn_unused_.insert(fa);
    } else if (tag == "nowarn_unused_record") {
        nowarn_records(value);
    }
}

// Collects what erl_lint knows before it walks the forms: the functions
// defined, and the options of every -compile attribute (they apply to the
// whole module, wherever they are).
void Linter::prescan() {
    for (const Node* form : module_.forms) {
        if (form != nullptr && form->kind == NK::Function) {
            locals_.insert(FA{form->text, form->int_value});
        }
    }
    std::vector<size_t> export_all_forms;  // -compile attributes naming export_all
    for (size_t i = 0; i < module_.forms.size(); ++i) {
        const Node* form = module_.forms[i];
        if (form == nullptr || form->kind != NK::Attribute || form->text != "compile") continue;
        bool lists_export_all = false;
        for (const Node* opt : term_list(form->kid(0))) {
            compile_option(opt);
            lists_export_all |=
                opt != nullptr && opt->kind == NK::Atom && opt->text == "export_all";
        }
        if (lists_export_all) export_all_forms.push_back(i);
    }
    // nowarn_export_all anywhere in the module silences the warning.
    if (nowarn_export_all_) return;
    for (size_t i : export_all_forms) {
        file_ = i < module_.form_files.size() ? module_.form_files[i] : module_.file;
        warning(module_.forms[i]->pos, "export_all flag enabled - all functions will be exported");
    }
}

bool Linter::auto_import_suppressed(FA fa) const {
    return no_auto_all_ || no_auto_.count(fa) > 0;
}

void Linter::form(const Node* form) {
    if (form->kind == NK::Attribute && (form->text == "compile" || form->text == "file")) return;
    switch (state_) {
        case State::Start:
            if (form->kind == NK::ModuleAttr) {
                module_name_ = form->text;
                module_attr_ = form;
                module_attr_file_ = file_;
                state_ = State::Attribute;
                return;
            }
            error(form->pos, "no module definition");
            state_ = State::Attribute;
            attribute_form(form);
            return;
        case State::Attribute:
            attribute_form(form);
            return;
        case State::Function:
            function_state_form(form);
            return;
    }
}

void Linter::attribute_form(const Node* form) {
    switch (form->kind) {
        case NK::ModuleAttr:
            if (!module_name_.empty()) error(form->pos, "redefining module");
            return;
        case NK::Export:
            if (form->text == "export") {
                export_attr(form);
            } else {
                export_type_attr(form);
            }
            return;
        case NK::Import:
            import_attr(form);
            return;
        case NK::RecordDecl:
            record_def(form);
            return;
        case NK::Attribute:
            if (form->text == "on_load") on_load_attr(form);
            if (form->text == "export_type") export_type_term(form);
            return;
        case NK::TypeAttr:
            type_attr(form);
            return;
        case NK::Function:
            state_ = State::Function;
            function_form(form);
            return;
        default:
            return;
    }
}

static std::string attribute_name(const Node* form) {
    switch (form->kind) {
        case NK::ModuleAttr:
            return "module";
        case NK::Import:
            return "import";
        case NK::Export:
        case NK::TypeAttr:
        case NK::Attribute:
            return quote_atom(form->text);
        default:
            return "";
    }
}

// After the first function, only records, types, specs and dialyzer
// attributes may appear.
void Linter::function_state_form(const Node* form) {
    switch (form->kind) {
        case NK::Function:
            function_form(form);
            return;
        case NK::RecordDecl:
            record_def(form);
            return;
        case NK::TypeAttr:
            if (form->text == "callback") break;
            type_attr(form);
            return;
        case NK::Attribute:
            if (form->text == "dialyzer") return;
            break;
        default:
            break;
    }
    error(form->pos, "attribute " + attribute_name(form) + " after function definitions");
}

void Linter::export_attr(const Node* attr) {
    for (const Node* fa_node : kids(attr)) {
        if (fa_node == nullptr) continue;
        FA fa{fa_node->text, fa_node->int_value};
        if (!exports_.insert(fa).second) {
            warning(attr->pos, "function " + format_fa(fa) + " already exported");
        }
        called_.push_back(Called{fa, attr->pos, file_});
    }
}

void Linter::import_attr(const Node* attr) {
    std::vector<FA> fas;
    for (const Node* fa_node : kids(attr)) {
        if (fa_node != nullptr) fas.push_back(FA{fa_node->text, fa_node->int_value});
    }
    bool clash = false;
    for (FA fa : fas) {
        auto it = imports_.find(fa);
        if (it != imports_.end()) {
            error(attr->pos,
                  "function " + format_fa(fa) + " already imported from " + quote_atom(it->second));
            clash = true;
        } else if (auto_imported_bif(fa.name, fa.arity) && !auto_import_suppressed(fa) &&
                   !nowarn_bif_clash_) {
            warning(attr->pos, fmt::format("import directive overrides auto-imported BIF {0} --\n"
                                           " use \"-compile({{no_auto_import,[{0}]}}).\" to "
                                           "resolve name clash",
                                           format_fa(fa)));
        }
    }
    if (clash) return;
    for (FA fa : fas)
        imports_.emplace(fa, attr->text);
}

void Linter::on_load_attr(const Node* attr) {
    FA fa;
    if (!term_fa(attr->kid(0), &fa)) {
        error(attr->pos, "badly formed on_load attribute");
        return;
    }
    on_load_.push_back(fa);
    on_load_pos_ = attr->pos;
    on_load_file_ = file_;
    if (on_load_.size() > 1) {
        error(attr->pos, "more than one on_load attribute");
    } else if (fa.arity != 0) {
        error(attr->pos, "function " + format_fa(fa) + " has wrong arity (must be 0)");
    }
}

static bool is_pseudo_local(FA fa) {
    return fa.name == "module_info" && (fa.arity == 0 || fa.arity == 1);
}

// ---- records ----

void Linter::record_def(const Node* decl) {
    if (records_.count(decl->text) > 0) {
        error(decl->pos, "record " + quote_atom(decl->text) + " already defined");
        return;
    }
    RecordDef def{decl->pos, file_, decl, {}, {}};
    for (const Node* field : kids(decl)) {
        if (field == nullptr) continue;
        if (std::find(def.fields.begin(), def.fields.end(), field->text) != def.fields.end()) {
            error(field->pos, "field " + quote_atom(field->text) + " already defined in record " +
                                  quote_atom(decl->text));
            continue;
        }
        // A default value is an expression checked in an empty scope. Its
        // errors count, but not its uses of records (erl_lint discards them).
        if (const Node* init = field->kid(0)) {
            std::unordered_set<std::string_view> used_before = used_records_;
            recdef_top_ = true;
            func_ = FA{"", -1};
            expr(init, {});
            recdef_top_ = false;
            used_records_ = std::move(used_before);
        }
        def.fields.push_back(field->text);
        def.defaults.push_back(field->kid(0));
    }
    records_.emplace(decl->text, std::move(def));
    record_field_types(decl);
}

// ---- functions ----

void Linter::function_form(const Node* fn) {
    FA fa{fn->text, fn->int_value};
    func_ = fa;
    functions_.push_back(FunctionInfo{fa, fn->pos, file_});
    if (!defined_.insert(fa).second) {
        error(fn->pos, "function " + format_fa(fa) + " already defined");
    } else {
        if (fa.arity > 255) {
            error(fn->pos, "too many arguments (" + std::to_string(fa.arity) + ")");
        }
        if (is_imported(fa)) error(fn->pos, "defining imported function " + format_fa(fa));
    }
    for (const Node* clause : kids(fn)) {
        if (clause != nullptr && clause->kind == NK::Clause) function_clause(clause);
    }
}

void Linter::call_function(Pos pos, FA fa) {
    calls_[func_].push_back(fa);
    called_.push_back(Called{fa, pos, file_});
}

// ---- after all forms ----

// erl_lint's behaviour_check: each -behaviour's required callbacks (those
// not optional) must be exported, and no callback may be required by two
// behaviours. All are warnings at the -behaviour attribute.
void Linter::check_behaviours() {
    using Use = BehaviourUse;
    std::vector<Use> uses;
    for (size_t i = 0; i < module_.forms.size(); ++i) {
        const Node* form = module_.forms[i];
        if (form == nullptr || form->kind != NK::Attribute ||
            (form->text != "behaviour" && form->text != "behavior") || form->kid(0) == nullptr ||
            form->kid(0)->kind != NK::Atom) {
            continue;
        }
        file_ = i < module_.form_files.size() ? module_.form_files[i] : module_.file;
        std::string_view name = form->kid(0)->text;
        std::optional<behaviour::Callbacks> callbacks;
        if (behaviours_ != nullptr && *behaviours_) callbacks = (*behaviours_)(name);
        if (!callbacks) {
            warning(form->pos, "behaviour " + quote_atom(name) + " undefined");
            uses.push_back({form, file_, {}});
            continue;
        }
        std::vector<behaviour::Callback> all = callbacks->all, optional = callbacks->optional;
        std::sort(all.begin(), all.end());
        all.erase(std::unique(all.begin(), all.end()), all.end());
        std::sort(optional.begin(), optional.end());
        for (const behaviour::Callback& cb : all) {
            bool is_optional = std::binary_search(optional.begin(), optional.end(), cb);
            if (!is_optional && !is_exported(FA{cb.name, cb.arity})) {
                warning(form->pos, fmt::format("undefined callback function {}/{} (behaviour '{}')",
                                               quote_atom(cb.name), cb.arity, name));
            }
        }
        Use use{form, file_, {}};
        for (const behaviour::Callback& cb : callbacks->all) {
            bool is_optional = std::find(optional.begin(), optional.end(), cb) != optional.end();
            if (!is_optional || is_exported(FA{cb.name, cb.arity})) use.required.push_back(cb);
        }
        uses.push_back(std::move(use));
    }
    check_behaviour_conflicts(uses);
    file_ = module_.file;
}

// A callback that two behaviours require: warned at each later -behaviour,
// naming the first one (in position order), per callback in term order.
void Linter::check_behaviour_conflicts(const std::vector<BehaviourUse>& uses) {
    using Use = BehaviourUse;
    std::map<behaviour::Callback, std::vector<const Use*>> requirers;
    for (const Use& use : uses) {
        for (const behaviour::Callback& cb : use.required) {
            std::vector<const Use*>& list = requirers[cb];
            if (std::find(list.begin(), list.end(), &use) == list.end()) list.push_back(&use);
        }
    }
    for (auto& [cb, list] : requirers) {
        if (list.size() < 2) continue;
        std::sort(list.begin(), list.end(), [](const Use* a, const Use* b) {
            Pos pa = a->attr->pos, pb = b->attr->pos;
            if (pa.line != pb.line) return pa.line < pb.line;
            if (pa.column != pb.column) return pa.column < pb.column;
            return a->attr->kid(0)->text < b->attr->kid(0)->text;
        });
        const Use* first = list.front();
        for (size_t i = 1; i < list.size(); ++i) {
            file_ = list[i]->file;
            warning(
                list[i]->attr->pos,
                fmt::format("conflicting behaviours - callback {}/{} required by both '{}' and "
                            "'{}' (line {}, column {})",
                            quote_atom(cb.name), cb.arity, quote_atom(list[i]->attr->kid(0)->text),
                            quote_atom(first->attr->kid(0)->text), first->attr->pos.line,
                            first->attr->pos.column));
        }
    }
}

// In erl_lint's order (which decides the order of messages at one place).
void Linter::post_traversal() {
    check_behaviours();
    check_undefined_functions();
    check_unused_functions();
    check_specs_without_function();
    check_undefined_types();
    check_unused_types();
    check_on_load();
    check_unused_records();
    check_local_opaque_types();
    check_module_file_name();
}

// Reported in erl_lint's order: by function name and arity, then position
// (this decides the order of messages at one position, such as an export).
static bool fa_less(FA a, FA b) {
    return a.name != b.name ? a.name < b.name : a.arity < b.arity;
}

void Linter::check_undefined_functions() {
    std::vector<const Called*> undefined;
    for (const Called& c : called_) {
        if (defined_.count(c.fa) == 0 && !is_pseudo_local(c.fa)) undefined.push_back(&c);
    }
    std::stable_sort(undefined.begin(), undefined.end(), [](const Called* a, const Called* b) {
        if (!(a->fa == b->fa)) return fa_less(a->fa, b->fa);
        return a->pos < b->pos;
    });
    for (const Called* c : undefined) {
        report(c->file, c->pos, true, {}, "function " + format_fa(c->fa) + " undefined");
    }
}

void Linter::check_unused_functions() {
    if (export_all_ || nowarn_unused_function_) return;
    FASet reached;
    std::vector<FA> work(exports_.begin(), exports_.end());
    work.insert(work.end(), on_load_.begin(), on_load_.end());
    while (!work.empty()) {
        FA fa = work.back();
        work.pop_back();
        if (!reached.insert(fa).second) continue;
        auto it = calls_.find(fa);
        if (it == calls_.end()) continue;
        for (FA callee : it->second) {
            if (reached.count(callee) == 0) work.push_back(callee);
        }
    }
    for (const FunctionInfo& f : functions_) {
        if (reached.count(f.fa) > 0 || nowarn_unused_.count(f.fa) > 0) continue;
        report(f.file, f.pos, false, {}, "function " + format_fa(f.fa) + " is unused");
    }
}

void Linter::check_on_load() {
    if (on_load_.size() != 1 || on_load_[0].arity != 0) return;
    if (defined_.count(on_load_[0]) > 0) return;
    report(on_load_file_, on_load_pos_, true, {},
           "function " + format_fa(on_load_[0]) + " undefined");
}

void Linter::check_unused_records() {
    if (nowarn_unused_record_) return;
    for (const auto& [name, def] : records_) {
        if (used_records_.count(name) > 0 || nowarn_records_.count(name) > 0) continue;
        if (def.file != module_.file) continue;  // no warnings for include files
        report(def.file, def.pos, false, {}, "record " + quote_atom(name) + " is unused");
    }
}

// compile.erl, not erl_lint, compares the module name with the file name,
// and only when everything else passed.
void Linter::check_module_file_name() {
    if (module_attr_ == nullptr || errors_ > 0 || reporter_.has_errors()) return;
    if (module_.escript) return;  // compile:forms, as escript uses it, has no file name
    std::string_view base = module_.file;
    size_t slash = base.rfind('/');
    if (slash != std::string_view::npos) base.remove_prefix(slash + 1);
    for (std::string_view ext : {".bl", ".erl"}) {
        if (base.ends_with(ext)) base.remove_suffix(ext.size());
    }
    if (base == module_name_) return;
    report(module_attr_file_, module_attr_->pos, true, {},
           "Module name " + quote_atom(module_name_) + " does not match file name " +
               quote_atom(base));
}

void check(const ast::Module& module, diag::Reporter& reporter, const BehaviourLookup& behaviours) {
    Linter linter(module, reporter);
    linter.behaviours_ = &behaviours;
    linter.run();
    linter.flush();
}

}  // namespace lint
