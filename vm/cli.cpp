// cli: argument parsing and the subcommands of the `beamlite` executable.
#include "vm/cli.h"

#include <fmt/core.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "compiler/frontend.h"

namespace cli {

namespace {

constexpr uint64_t kMinProcs = 1024;
constexpr uint64_t kMaxProcs = 134'217'727;

const char kUsage[] =
    "Usage: beamlite [OPTIONS] [COMMAND] [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run FILE.bl [ARGS...]   compile FILE.bl and call its main/1 with ARGS as strings\n"
    "  check FILE.bl...        preprocess, parse and check; diagnostics as erlc prints them\n"
    "  dis FILE.bl             print the module's bytecode\n"
    "  repl                    interactive shell (the default with no command)\n"
    "\n"
    "Options:\n"
    "  -pa DIR                 add DIR to the code path (modules and include files)\n"
    "  --schedulers N          scheduler threads (default: CPUs available)\n"
    "  --max-procs N           process table size, 1024..134217727 (default 1048576)\n"
    "  --dirty-cpu N           dirty CPU threads (default: as many as schedulers)\n"
    "  --dirty-io N            dirty I/O threads (default 10)\n"
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
    return word == "run" || word == "check" || word == "dis" || word == "repl";
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
            unsigned& field = arg == "--schedulers" ? options.schedulers
                              : arg == "--dirty-cpu" ? options.dirty_cpu
                                                     : options.dirty_io;
            field = static_cast<unsigned>(number);
            ++i;
        } else if (arg == "--max-procs") {
            if (!numeric_option(arg, value, kMinProcs, kMaxProcs, number, exit_code)) return false;
            options.max_procs = number;
            ++i;
        } else if (arg.size() > 1 && arg[0] == '-') {
            fmt::print(stderr, "beamlite: unknown option '{}' (try --help)\n", arg);
            exit_code = 2;
            return false;
        } else if (options.command.empty() && is_command(arg)) {
            options.command = arg;
        } else if (options.command.empty()) {
            fmt::print(stderr, "beamlite: unknown command '{}' (try --help)\n", arg);
            exit_code = 2;
            return false;
        } else {
            options.files.emplace_back(arg);
            if (options.command == "run") {
                for (int j = i + 1; j < argc; ++j) options.program_args.emplace_back(argv[j]);
                break;
            }
        }
    }
    if (options.command.empty()) options.command = "repl";
    bool needs_file = options.command == "run" || options.command == "check" ||
                      options.command == "dis";
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
    bool ok = true;
    for (const std::string& file : options.files) {
        diag::Reporter reporter;
        ok = frontend::check_file(file, pp, reporter) && ok;
        reporter.print(stderr);
    }
    return ok ? 0 : 1;
}

int not_built(const Options& options) {
    fmt::print(stderr, "beamlite: '{}' is not built yet; 'check' is available\n",
               options.command);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    int exit_code = 0;
    if (!parse(argc, argv, options, exit_code)) return exit_code;
    if (options.command == "check") return check(options);
    return not_built(options);
}

}  // namespace cli
