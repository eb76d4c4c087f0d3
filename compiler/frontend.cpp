// frontend: glue between preprocessor, parser and checker.
//
// The checker and the code generator walk the tree recursively. The parser
// bounds nesting through its own stack, but a long left-associative chain
// (`1 + 1 + ... + 1`) parses with a shallow parser stack into a deep tree.
// So every form's depth is measured (without recursion) and a form deeper
// than kMaxTreeDepth is rejected with a clean diagnostic, and the passes run
// on a thread whose stack is large enough for that depth.
#include "compiler/frontend.h"

#include <pthread.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <filesystem>
#include <functional>

#include <utility>
#include <vector>

#include "compiler/abstract.h"
#include "compiler/behaviour.h"
#include "compiler/bundled_headers.h"
#include "compiler/escript.h"
#include "compiler/lint.h"
#include "compiler/parser.h"

namespace frontend {

namespace {

constexpr size_t kMaxTreeDepth = 20'000;
// Room for kMaxTreeDepth levels of the deepest recursive pass, with margin.
constexpr size_t kPassStackBytes = size_t{512} << 20;

// Depth of the tree under `root`, walked with an explicit stack.
size_t tree_depth(const ast::Node* root) {
    size_t deepest = 0;
    std::vector<std::pair<const ast::Node*, size_t>> pending{{root, 1}};
    while (!pending.empty()) {
        auto [node, depth] = pending.back();
        pending.pop_back();
        if (depth > deepest) deepest = depth;
        if (deepest > kMaxTreeDepth) break;
        for (const ast::Node* kid : node->children()) {
            if (kid != nullptr) pending.emplace_back(kid, depth + 1);
        }
    }
    return deepest;
}

ast::Node* parse_one(const preproc::Form& form, ast::Arena& arena, diag::Reporter& reporter) {
    if (form.failed || form.tokens.empty()) {
        token::Pos pos = form.tokens.empty() ? token::Pos{} : form.tokens.front().pos;
        return arena.node(ast::Kind::Error, pos);
    }
    ast::Node* node = parser::parse_form(form.tokens, form.file, arena, reporter);
    if (node->kind != ast::Kind::Error && tree_depth(node) > kMaxTreeDepth) {
        reporter.error(form.file, form.tokens.front().pos, diag::Phase::Syntax,
                       "expression nested too deeply");
        node = arena.node(ast::Kind::Error, form.tokens.front().pos);
    }
    return node;
}

// Runs `work` on a thread with a kPassStackBytes stack (reserved, touched
// only as deep as the recursion goes).
template <typename Work>
void on_large_stack_thread(Work& work) {
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, kPassStackBytes);
    pthread_t thread;
    auto entry = [](void* argument) -> void* {
        (*static_cast<Work*>(argument))();
        return nullptr;
    };
    if (pthread_create(&thread, &attributes, entry, &work) == 0) {
        pthread_join(thread, nullptr);
    } else {
        work();  // no thread to be had: run here, with the ordinary stack
    }
    pthread_attr_destroy(&attributes);
}

#if !BEAMLITE_SANITIZED
// The work run by on_large_stack's context (makecontext passes no pointer).
thread_local std::function<void()>* g_stack_work = nullptr;

void run_stack_work() {
    (*g_stack_work)();
}
#endif

// Runs `work` with a kPassStackBytes stack. Release builds switch to a
// mapped stack on this same thread (swapcontext): a new thread costs a
// fresh mimalloc heap whose pages are faulted in and handed back at its
// exit, several milliseconds for a large module. The sanitizers track stacks
// per thread, so their builds take the thread.
template <typename Work>
void with_large_stack(Work& work) {
#if BEAMLITE_SANITIZED
    on_large_stack_thread(work);
#else
    constexpr size_t kGuardBytes = 64 * 1024;  // PROT_NONE below the stack
    void* region = mmap(nullptr, kPassStackBytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (region == MAP_FAILED) return on_large_stack_thread(work);
    mprotect(region, kGuardBytes, PROT_NONE);
    std::function<void()> body = [&work] { work(); };
    ucontext_t caller;
    ucontext_t callee;
    getcontext(&callee);
    callee.uc_stack.ss_sp = static_cast<char*>(region) + kGuardBytes;
    callee.uc_stack.ss_size = kPassStackBytes - kGuardBytes;
    callee.uc_link = &caller;
    makecontext(&callee, run_stack_work, 0);
    std::function<void()>* outer = g_stack_work;  // a nested call (a behaviour module)
    g_stack_work = &body;
    swapcontext(&caller, &callee);
    g_stack_work = outer;
    munmap(region, kPassStackBytes);
#endif
}

// Behaviour modules are looked for as the module's own includes are: in
// its directory, then the -pa directories (see behaviour::find).
lint::BehaviourLookup behaviour_lookup(const std::string& path, const preproc::Options& options) {
    std::vector<std::string> dirs;
    std::string::size_type slash = path.rfind('/');
    dirs.push_back(slash == std::string::npos ? "." : path.substr(0, slash + 1));
    dirs.insert(dirs.end(), options.include_dirs.begin(), options.include_dirs.end());
    return [dirs](std::string_view name) { return behaviour::find(name, dirs); };
}

// An escript's forms as escript.erl treats them: rewritten (escript::adapt),
// then checked only when they parsed (escript stops at the first phase
// with errors). Its messages quote source lines only where escript's do:
// lint and compiler messages in compile and debug modes (compile:forms
// with `report`), never parse errors nor interpret mode's erl_lint ones.
void check_escript(ast::Module& module, std::string_view implicit_name, diag::Reporter& reporter,
                   const lint::BehaviourLookup& behaviours) {
    escript::Mode mode = escript::adapt(module, implicit_name, reporter);
    bool parsed = !reporter.has_errors();
    if (parsed) lint::check(module, reporter, behaviours);
    reporter.set_quote_lines(parsed && mode != escript::Mode::Interpret);
}

}  // namespace

ast::Module parse_file(const std::string& path, const preproc::Options& options,
                       diag::Reporter& reporter) {
    ast::Module module;
    module.file = path;
    // Each form is parsed as soon as it is preprocessed: its tokens are
    // dropped at once, and only the tree stays.
    preproc::preprocess(path, options, *module.arena, reporter, [&](preproc::Form& form) {
        ast::Node* node = parse_one(form, *module.arena, reporter);
        if (node->kind == ast::Kind::ModuleAttr && module.name.empty()) module.name = node->text;
        module.forms.push_back(node);
        module.form_files.push_back(form.file);
    });
    return module;
}

// What erlc says of a file it cannot read at all (nothing else is reported
// then), or null.
static const char* unreadable(const std::string& path) {
    if (bundled_headers::find(path)) return nullptr;
    std::error_code ec;
    std::filesystem::file_status status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) return "no such file or directory";
    if (std::filesystem::is_directory(status)) return "illegal operation on a directory";
    return nullptr;
}

void on_large_stack(const std::function<void()>& work) {
    auto call = [&work] { work(); };
    with_large_stack(call);
}

bool check_file(const std::string& path, const preproc::Options& options, diag::Reporter& reporter,
                ast::Module* out, std::vector<std::string>* transforms) {
    if (const char* why = unreadable(path)) {
        reporter.error(path, {}, diag::Phase::Syntax, why);
        return false;
    }
    ast::Module module;
    auto work = [&] {
        module = parse_file(path, options, reporter);
        if (!options.escript_module.empty()) {
            check_escript(module, options.escript_module, reporter,
                          behaviour_lookup(path, options));
            return;
        }
        if (transforms != nullptr) *transforms = abstract::parse_transforms(module);
        if (transforms != nullptr && !transforms->empty()) return;
        lint::check(module, reporter, behaviour_lookup(path, options));
    };
    with_large_stack(work);
    bool ok = !reporter.has_errors();
    if (out != nullptr) *out = std::move(module);
    return ok;
}

bool check_forms(ast::Module& module, const preproc::Options& options, diag::Reporter& reporter) {
    auto work = [&] { lint::check(module, reporter, behaviour_lookup(module.file, options)); };
    with_large_stack(work);
    return !reporter.has_errors();
}

}  // namespace frontend
