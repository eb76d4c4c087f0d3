// cli: argument parsing and the subcommands of the `beamlite` executable.
#include "driver/cli.h"

#include <fmt/core.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include <sys/stat.h>
#include <unistd.h>

#include "compiler/abstract.h"
#include "compiler/codegen.h"
#include "compiler/frontend.h"
#include "driver/library_image.h"
#include "driver/script.h"
#include "vm/atom.h"
#include "vm/bif.h"
#include "vm/boot.h"
#include "vm/code.h"
#include "vm/exception.h"
#include "vm/gc.h"
#include "vm/interp.h"
#include "vm/line_editor.h"
#include "vm/node.h"
#include "vm/output.h"
#include "vm/poll.h"
#include "vm/process.h"
#include "vm/scheduler.h"

namespace cli {

namespace {

constexpr uint64_t kMinProcs = 1024;
constexpr uint64_t kMaxProcs = 134'217'727;

const char kUsage[] =
    "Usage: beamlite [OPTIONS] [COMMAND] [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run FILE.bl [ARGS...]   compile FILE.bl and call its main/1 with ARGS as strings\n"
    "  FILE [ARGS...]          the same as run FILE (an existing file; for `#!` lines)\n"
    "  check FILE.bl...        preprocess, parse and check; diagnostics as erlc prints them\n"
    "  dis FILE.bl             print the module's bytecode\n"
    "  test FILE.bl            run the module's eunit tests (eunit:test/2); exit 1 if\n"
    "                          one fails\n"
    "  shell                   the interactive shell (the default; `repl` too)\n"
    "\n"
    "Options:\n"
    "  -e EXPR                 evaluate the expression EXPR, print its value and exit\n"
    "  -pa DIR                 add DIR to the code path (modules and include files)\n"
    "  --schedulers N          scheduler threads (default: CPUs available)\n"
    "  --max-procs N           process table size, 1024..134217727 (default 1048576)\n"
    "  --dirty-cpu N           dirty CPU threads (default: as many as schedulers)\n"
    "  --dirty-io N            dirty I/O threads (default 10)\n"
    "  --max-heap-size WORDS   kill a process whose heap and stack pass WORDS 8-byte\n"
    "                          words (default 268435456, 2 GiB; 0: none)\n"
    "  --max-atoms N           atom table size, 8192..1048576 (default 1048576)\n"
    "  -v, --verbose           test: eunit's verbose report\n"
    "  -h, --help              this text\n"
    "  --version               print the version\n";

bool parse_number(std::string_view text, uint64_t low, uint64_t high, uint64_t& out) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return false;
    if (value < low || value > high) return false;
    out = value;
    return true;
}

bool is_command(std::string_view word) {
    return word == "run" || word == "check" || word == "dis" || word == "test" || word == "repl" ||
           word == "shell";
}

// `beamlite FILE ARGS...` means `beamlite run FILE ARGS...` when FILE exists
// (what `#!/usr/bin/env beamlite` runs); any other word is no command.
bool is_existing_file(const char* path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

// Option with a numeric value; returns false and sets exit_code on error.
bool numeric_option(std::string_view name, const char* value, uint64_t low, uint64_t high,
                    uint64_t& out, int& exit_code) {
    if (value == nullptr) {
        fmt::print(stderr, "beamlite: option {} needs a value\n", name);
    } else if (!parse_number(value, low, high, out)) {
        fmt::print(stderr, "beamlite: option {} takes a whole number from {} to {}, not '{}'\n",
                   name, low, high, value);
    } else {
        return true;
    }
    exit_code = 2;
    return false;
}

}  // namespace

bool parse(int argc, char** argv, Options& options, int& exit_code) {
    exit_code = 0;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        uint64_t number = 0;
        if (arg == "-h" || arg == "--help") {
            fmt::print("{}", kUsage);
            return false;
        } else if (arg == "--version") {
            fmt::print("beamlite {}\n", BEAMLITE_VERSION);
            return false;
        } else if (arg == "-v" || arg == "--verbose") {
            options.verbose = true;
        } else if (arg == "-pa") {
            if (value == nullptr) {
                fmt::print(stderr, "beamlite: option -pa needs a directory\n");
                exit_code = 2;
                return false;
            }
            options.code_path.emplace_back(value);
            ++i;
        } else if (arg == "--schedulers" || arg == "--dirty-cpu" || arg == "--dirty-io") {
            if (!numeric_option(arg, value, 1, 1024, number, exit_code)) return false;
            unsigned& field = arg == "--schedulers"  ? options.schedulers
                              : arg == "--dirty-cpu" ? options.dirty_cpu
                                                     : options.dirty_io;
            field = static_cast<unsigned>(number);
            ++i;
        } else if (arg == "--max-procs") {
            if (!numeric_option(arg, value, kMinProcs, kMaxProcs, number, exit_code)) return false;
            options.max_procs = number;
            ++i;
        } else if (arg == "--max-heap-size") {
            if (!numeric_option(arg, value, 0, UINT32_MAX, number, exit_code)) return false;
            options.max_heap_words = number;
            options.max_heap_given = true;
            ++i;
        } else if (arg == "--max-atoms") {
            if (!numeric_option(arg, value, atom::kMinAtoms, atom::kMaxAtoms, number, exit_code))
                return false;
            options.max_atoms = static_cast<uint32_t>(number);
            ++i;
        } else if (arg == "-e") {
            if (value == nullptr) {
                fmt::print(stderr, "beamlite: option -e needs an expression\n");
                exit_code = 2;
                return false;
            }
            options.command = "eval";
            options.expression = value;
            ++i;
        } else if (arg.size() > 1 && arg[0] == '-') {
            fmt::print(stderr, "beamlite: unknown option '{}' (try --help)\n", arg);
            exit_code = 2;
            return false;
        } else if (options.command.empty() && is_command(arg)) {
            options.command = arg;
        } else if (options.command.empty() && is_existing_file(argv[i])) {
            options.command = "run";
            --i;  // the file again, now as run's
        } else if (options.command.empty()) {
            fmt::print(stderr, "beamlite: unknown command '{}' (try --help)\n", arg);
            exit_code = 2;
            return false;
        } else {
            options.files.emplace_back(arg);
            if (options.command == "run") {
                for (int j = i + 1; j < argc; ++j)
                    options.program_args.emplace_back(argv[j]);
                break;
            }
        }
    }
    if (options.command.empty() || options.command == "repl") options.command = "shell";
    bool needs_file = options.command == "run" || options.command == "check" ||
                      options.command == "dis" || options.command == "test";
    if (needs_file && options.files.empty()) {
        fmt::print(stderr, "beamlite: '{}' needs a file (try --help)\n", options.command);
        exit_code = 2;
        return false;
    }
    return true;
}

namespace {

int check(const Options& options) {
    preproc::Options pp;
    pp.include_dirs = options.code_path;
    pp.lib_roots = preproc::default_lib_roots();
    bool ok = true;
    for (const std::string& file : options.files) {
        diag::Reporter reporter;
        // An escript is checked as escript compiles it (its messages then
        // quote lines only where escript's do).
        pp.escript_module = script::read_header(file) ? script::implicit_module(file) : "";
        ok = frontend::check_file(file, pp, reporter) && ok;
        reporter.print(stderr);
    }
    return ok ? 0 : 1;
}

// Include directories for every compile of this run (-pa).
std::vector<std::string> g_include_dirs;

// The escript being run, if any: its path as given and its implicit module
// name. Only that file is compiled as an escript; the modules it calls are
// ordinary modules.
struct {
    std::string path;
    std::string module;
} g_escript;

// The last compile_file reported errors (as opposed to a failed load).
bool g_compile_failed = false;

#if BEAMLITE_DEBUG || BEAMLITE_SANITIZED
// Debug and sanitizer builds check the code generator's output (the
// structure, then the dataflow: bytecode.h) before running it.
void check_generated(const std::string& path, const bytecode::Module& out) {
    std::string problem = bytecode::verify(out);
    if (problem.empty()) problem = bytecode::validate(out);
    if (problem.empty()) return;
    fmt::print(stderr, "beamlite: internal error: unsound bytecode for {}:\n{}\n", path, problem);
    std::abort();
}
#endif

// The code generator on a checked module; false on its errors. Debug and
// sanitizer builds check what it generated (check_generated).
bool generate(const std::string& path, const ast::Module& module, diag::Reporter& reporter,
              bytecode::Module& out) {
    frontend::on_large_stack([&] { out = codegen::compile(module, reporter); });
    if (reporter.has_errors()) return false;
#if BEAMLITE_DEBUG || BEAMLITE_SANITIZED
    check_generated(path, out);
#endif
    return true;
}

// Prints a compile's messages: to stderr as `check` prints them (warnings
// too), after any program output so far.
void print_messages(diag::Reporter& reporter, bool escript) {
    if (!reporter.size()) return;
    output::flush();
    // An escript's messages in compile mode are compile:forms' `report`,
    // which prints to standard output; escript's own go to stderr.
    reporter.print(escript && reporter.quotes_lines() ? stdout : stderr);
}

preproc::Options compile_options(const std::string& path) {
    preproc::Options pp;
    pp.include_dirs = g_include_dirs;
    pp.lib_roots = preproc::default_lib_roots();
    if (!g_escript.path.empty() && path == g_escript.path) pp.escript_module = g_escript.module;
    return pp;
}

// The compiler behind code::load_file. A module with parse transforms is
// only parsed, and handed back as the forms they will transform.
code::Compiled compile_file(const std::string& path, bytecode::Module& out,
                            code::Deferred& deferred) {
    preproc::Options pp = compile_options(path);
    diag::Reporter reporter;
    ast::Module module;
    std::vector<std::string> transforms;
    bool ok = frontend::check_file(path, pp, reporter, &module, &transforms);
    if (ok && !transforms.empty()) {
        print_messages(reporter, !pp.escript_module.empty());
        deferred = {path, std::string(module.name), abstract::transform_request(module)};
        return code::Compiled::Deferred;
    }
    ok = ok && generate(path, module, reporter, out);
    print_messages(reporter, !pp.escript_module.empty());
    g_compile_failed = !ok;
    return ok ? code::Compiled::Ok : code::Compiled::Failed;
}

// The compiler behind code::load_forms: the forms parse transforms
// returned for the module in `path`, checked and compiled as if parsed.
bool compile_forms(const std::string& path, std::string_view forms, bytecode::Module& out) {
    preproc::Options pp = compile_options(path);
    diag::Reporter reporter;
    ast::Module module;
    module.file = path;
    bool ok =
        abstract::from_text(forms, module, reporter) && frontend::check_forms(module, pp, reporter);
    ok = ok && generate(path, module, reporter, out);
    print_messages(reporter, false);
    return ok;
}

std::string directory_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// An argument's characters: OTP decodes argv as UTF-8 (in a UTF-8 locale),
// so `wörld` is [119,246,114,108,100].
std::vector<uint32_t> argument_chars(const std::string& text) {
    std::vector<uint32_t> chars;
    for (size_t i = 0; i < text.size();)
        chars.push_back(term::next_char_or_byte(text, i));
    return chars;
}

// The program's arguments as a list of strings on the process heap; kNone
// when they do not fit in its max_heap_size.
term::Term argument_list(process::Process& p, const std::vector<std::string>& args) {
    std::vector<std::vector<uint32_t>> decoded;
    size_t words = args.size() * term::kConsWords;
    for (const std::string& a : args) {
        decoded.push_back(argument_chars(a));
        words += decoded.back().size() * term::kConsWords;
    }
    term::Term* mem = process::alloc(p, words);
    if (!mem && words) return term::kNone;  // past --max-heap-size
    term::Term list = term::kNil;
    for (size_t i = decoded.size(); i-- > 0;) {
        term::Term chars = term::kNil;
        for (size_t j = decoded[i].size(); j-- > 0; mem += 2)
            chars = term::make_cons(mem, term::make_small(decoded[i][j]), chars);
        list = term::make_cons(mem, chars, list);
        mem += 2;
    }
    return list;
}

// What init:get_arguments/0 and system_info/1 report of this run: the
// program's arguments, and the flags an erl node would list (its root,
// here the directory of the executable; its name; the home directory).
node::Config node_config(const Options& options, bool escript) {
    node::Config config;
    // escript's plain arguments start with the script (escript:script_name/0).
    if (escript) config.plain_arguments.push_back(options.files[0]);
    config.plain_arguments.insert(config.plain_arguments.end(), options.program_args.begin(),
                                  options.program_args.end());
    config.escript = escript;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    std::string root = n > 0 ? directory_of(std::string(exe, size_t(n))) : ".";
    config.flags.push_back({"root", {root}});
    config.flags.push_back({"progname", {"beamlite"}});
    if (const char* home = std::getenv("HOME")) config.flags.push_back({"home", {home}});
    config.dirty_cpu_schedulers = options.dirty_cpu;
    if (options.dirty_io) config.dirty_io_schedulers = options.dirty_io;
    return config;
}

// Records `path` as the escript being run (compile_file compiles it as
// one); returns the directories its `%%!` line adds to the code path.
std::vector<std::string> escript_setup(const std::string& path, const script::Header& header) {
    g_escript.path = path;
    g_escript.module = script::implicit_module(path);
    return script::code_path(header);
}

// The main file failed to compile or load: escript's words and status for
// an escript, beamlite's 1 otherwise (the messages are out already).
int load_failed(bool escript) {
    if (!escript) return 1;
    if (g_compile_failed) fmt::print(stderr, "escript: There were compilation errors.\n");
    return node::kEscriptFailure;
}

// The VM's settings from the options and the environment.
void configure_vm(const Options& options) {
    // BEAMLITE_GC_STRESS=1: collect at every allocation check (debugging).
    const char* stress = std::getenv("BEAMLITE_GC_STRESS");
    gc::stress = stress && *stress && *stress != '0';
    if (options.max_heap_given) process::default_max_heap_words = options.max_heap_words;
    atom::set_limit(options.max_atoms);
}

// The code server finds modules beside the program, then on `code_path`.
void configure_code(const std::string& path, const std::vector<std::string>& code_path) {
    g_include_dirs = code_path;
    std::vector<std::string> search{directory_of(path)};
    search.insert(search.end(), code_path.begin(), code_path.end());
    code::set_search_path(search);
    code::set_compiler(compile_file);
    code::set_forms_compiler(compile_forms);
    code::set_library(library_image::bytes());
}

// Starts the I/O servers and the schedulers with `p` (its call prepared)
// as the main process; returns the exit status when the VM stops.
int run_main(process::Process* p, const Options& options) {
    std::vector<process::Process*> io_servers = boot::start_io_servers();
    unsigned schedulers = options.schedulers ? options.schedulers : sched::available_cpus();
    int code = sched::run(p, schedulers, io_servers);
    poll::stop();  // its thread must not run on into the exit's destructors
    std::fflush(stderr);
    return code;
}

// The first process, in the first slot of an empty table: <0.0.0>.
process::Process* first_process(const Options& options) {
    process::table_init(options.max_procs);
    process::Process* p = process::create();
    process::table_insert(p);
    return p;
}

term::Term atom_term(std::string_view name) {
    return term::make_atom(atom::intern(name));
}

int run(const Options& options) {
    const std::string& path = options.files[0];
    std::optional<script::Header> header = script::read_header(path);
    std::vector<std::string> code_path = options.code_path;
    if (header && header->premature_end) {
        fmt::print(stderr, "escript: Premature end of file reached\n");
        return node::kEscriptFailure;
    }
    if (header) {
        std::vector<std::string> extra = escript_setup(path, *header);
        code_path.insert(code_path.end(), extra.begin(), extra.end());
    }
    node::set_config(node_config(options, header.has_value()));
    configure_vm(options);
    configure_code(path, code_path);
    code::Deferred deferred;
    code::Module* module = code::load_file(path, &deferred);
    if (!module && deferred.module.empty()) return load_failed(header.has_value());
    process::Process* p = first_process(options);
    // main/1 runs as under `erl -noshell -eval 'M:main(Args)'`, in init's
    // start process, which traps exits: a linked process's end is a message.
    // escript turns trap_exit off again before it calls main/1.
    if (!header) p->flags |= process::kTrapExit;
    term::Term args = argument_list(*p, options.program_args);
    if (args == term::kNone) {
        fmt::print(stderr, "beamlite: the program's arguments do not fit in --max-heap-size\n");
        return 1;
    }
    if (module) {
        code::Export* main = code::export_entry(module->name, term::make_atom(atom::kMain), 1);
        interp::prepare_call(*p, main, &args, 1);
    } else {
        // The main module waits for its parse transforms, which run in this
        // first process: beamlite_transform:main(Module, Args).
        term::Term call[2] = {atom_term(deferred.module), args};
        code::Export* main =
            code::export_entry(atom_term("beamlite_transform"), term::make_atom(atom::kMain), 2);
        interp::prepare_call(*p, main, call, 2);
    }
    return run_main(p, options);
}

// `test FILE`: beamlite_transform:test(Module, Options) runs the module's
// eunit tests (after its parse transforms, eunit.hrl's among them) and
// halts with 1 when one fails.
int test(const Options& options) {
    const std::string& path = options.files[0];
    node::set_config(node_config(options, false));
    configure_vm(options);
    configure_code(path, options.code_path);
    code::Deferred deferred;
    code::Module* module = code::load_file(path, &deferred);
    if (!module && deferred.module.empty()) return 1;
    process::Process* p = first_process(options);
    p->flags |= process::kTrapExit;
    term::Term name = module ? module->name : atom_term(deferred.module);
    term::Term* cell = process::alloc(*p, term::kConsWords);
    term::Term eunit_options =
        options.verbose ? term::make_cons(cell, atom_term("verbose"), term::kNil) : term::kNil;
    term::Term call[2] = {name, eunit_options};
    code::Export* entry = code::export_entry(atom_term("beamlite_transform"), atom_term("test"), 2);
    interp::prepare_call(*p, entry, call, 2);
    return run_main(p, options);
}

int dis(const Options& options) {
    g_include_dirs = options.code_path;
    if (script::read_header(options.files[0])) escript_setup(options.files[0], {});
    bytecode::Module module;
    code::Deferred deferred;
    if (compile_file(options.files[0], module, deferred) != code::Compiled::Ok) return 1;
    fmt::print("{}", bytecode::disassemble(module));
    // Unsound code (a code generator bug) is shown with the problems.
    std::string problem = bytecode::validate(module);
    if (!problem.empty()) fmt::print("\nvalidate:\n{}\n", problem);
    return 0;
}

// The shell (shell:start/1) or -e's evaluation (shell:eval/1) as the main
// process, with modules found in the current directory and on -pa.
int shell(const Options& options) {
    bool eval = options.command == "eval";
    bool tty = !eval && isatty(0) && isatty(1);
    node::set_config(node_config(options, false));
    configure_vm(options);
    configure_code("./shell", options.code_path);
    if (tty) line_editor::enable();
    process::Process* p = first_process(options);
    std::vector<std::string> strings{options.expression};
    if (!eval) strings = {tty ? "tty" : "pipe", BEAMLITE_VERSION};
    term::Term args = argument_list(*p, strings);
    uint32_t function = atom::intern(eval ? "eval" : "start");
    code::Export* entry =
        code::export_entry(term::make_atom(atom::intern("shell")), term::make_atom(function), 1);
    interp::prepare_call(*p, entry, &args, 1);
    return run_main(p, options);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    int exit_code = 0;
    if (!parse(argc, argv, options, exit_code)) return exit_code;
    output::ignore_broken_pipes();
    if (options.command == "check") return check(options);
    if (options.command == "run") return run(options);
    if (options.command == "dis") return dis(options);
    if (options.command == "test") return test(options);
    return shell(options);
}

}  // namespace cli
