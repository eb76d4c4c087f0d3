// cli: the `beamlite` command line: options, subcommands, exit codes.
//
//   beamlite [OPTIONS] run FILE.bl [ARGS...]   compile FILE and call main/1
//   beamlite [OPTIONS] check FILE.bl...        preprocess, parse and check
//   beamlite [OPTIONS] dis FILE.bl             print a module's bytecode
//   beamlite [OPTIONS] test FILE.bl            run the module's eunit tests
//   beamlite [OPTIONS] FILE [ARGS...]          run FILE (an existing file)
//   beamlite [OPTIONS] [shell]                 interactive shell (`repl` too)
//   beamlite [OPTIONS] -e EXPR                 evaluate EXPR and print its value
//
// Options may stand before or after the subcommand, but never after the FILE
// of `run`: everything after it belongs to the program. A FILE whose first
// line starts with `#!` is an escript and runs as OTP's escript runs it
// (driver/script.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

struct Options {
    std::string command;     // "run", "check", "dis", "test", "shell", "eval" (-e)
    std::string expression;  // -e's
    std::vector<std::string> files;
    std::vector<std::string> program_args;  // for run: the strings main/1 gets
    std::vector<std::string> code_path;     // -pa DIR, in order
    unsigned schedulers = 0;                // 0: one per CPU this process may use
    unsigned dirty_cpu = 0;                 // 0: as many as schedulers
    unsigned dirty_io = 10;
    uint64_t max_procs = 1u << 20;
    uint64_t max_heap_words = 0;  // --max-heap-size; 0: the default
    bool max_heap_given = false;
    uint32_t max_atoms = 1u << 20;  // --max-atoms (the BEAM's +t)
    bool verbose = false;           // -v, --verbose: eunit's verbose mode for `test`
};

// Parses argv. On a usage error prints it to stderr and returns false with
// `exit_code` set; --help and --version print and return false with 0.
bool parse(int argc, char** argv, Options& options, int& exit_code);

// Runs the command line; returns the process exit code.
int main(int argc, char** argv);

}  // namespace cli
