// fuzz_program: libFuzzer target that runs programs, so that the code
// generator, the loader, the interpreter, the BIFs and the scheduler are
// fuzzed, not only the parser. Each input is the source of one module
// (seeds: tests/conformance/*.bl); it is compiled as `beamlite run`
// compiles (its generic code checked by bytecode::verify and ::validate), loaded, and its
// main/1 called with [] on one scheduler, under bounds that make every run
// short and small whatever the program does:
//
//   - kReductions reductions for all processes together (sched::Limits),
//     then the run ends as a halt would;
//   - virtual time (sched::Limits): `receive after`, timer:sleep and
//     send_after never wait in real time, the clock jumps to the next timer;
//   - kMaxHeapWords per process (max_heap_size) and kMaxProcs processes;
//   - no external programs: open_port (and so os:cmd) fails with eacces, so
//     a mutant neither runs arbitrary commands nor waits for one in real
//     time (a port's events are real, not virtual).
//
// A compile error, an uncaught exception, a deadlock or a limit reached is
// the program's business; a crash, a sanitizer report, a leak, an abort
// (unsound generated code) or a libFuzzer timeout is a bug in beamlite.
// Stdlib modules are compiled once and loaded afresh for every input; the
// program's own modules are compiled every time.
//
// The program's output and the VM's reports would drown libFuzzer's, so
// unless -close_fd_mask is given it is 3 (stdout and stderr closed;
// sanitizer reports still shown). To see a crashing input's output:
//
//   cmake --preset fuzz && cmake --build --preset fuzz
//   tools/fuzz.sh 600 fuzz_program     (README.md, "Fuzzing")
//   build/fuzz/tools/fuzz_program -close_fd_mask=0 build/fuzz/crashes/fuzz_program-crash-<sha1>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/bundled_headers.h"
#include "compiler/codegen.h"
#include "compiler/frontend.h"
#include "driver/library_image.h"
#include "vm/atom.h"
#include "vm/boot.h"
#include "vm/code.h"
#include "vm/inet.h"
#include "vm/interp.h"
#include "vm/port.h"
#include "vm/process.h"
#include "vm/scheduler.h"

namespace {

constexpr uint64_t kReductions = 1'000'000;
constexpr uint64_t kMaxHeapWords = uint64_t(1) << 20;  // 8 MiB
constexpr size_t kMaxProcs = 4096;

// A directory of our own, holding only the program (the code server looks
// there for the modules the program names).
std::string input_dir() {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string dir = base + "/beamlite-fuzz-program-" + std::to_string(getpid());
    mkdir(dir.c_str(), 0700);
    return dir;
}

// The front end and code generator, diagnostics dropped.
// Embedded stdlib modules are compiled on first use only.
bool compile(const std::string& path, bytecode::Module& out) {
    static std::map<std::string, bytecode::Module> stdlib;
    bool embedded = path.starts_with(bundled_headers::kPrefix);
    if (embedded) {
        auto it = stdlib.find(path);
        if (it != stdlib.end()) {
            out = it->second;
            return true;
        }
    }
    preproc::Options pp;
    pp.lib_roots = preproc::default_lib_roots();
    diag::Reporter reporter;
    ast::Module module;
    if (!frontend::check_file(path, pp, reporter, &module)) return false;
    frontend::on_large_stack([&] { out = codegen::compile(module, reporter); });
    if (reporter.has_errors()) return false;
    std::string problem = bytecode::verify(out);
    if (problem.empty()) problem = bytecode::validate(out);
    if (!problem.empty()) {
        std::fprintf(stderr, "fuzz_program: unsound code for %s: %s\n", path.c_str(),
                     problem.c_str());
        std::abort();
    }
    if (embedded) stdlib[path] = out;
    return true;
}

// code::Compiler: parse transforms are not run (their -compile attributes
// are ignored), so no module is ever deferred.
code::Compiled compile_module(const std::string& path, bytecode::Module& out, code::Deferred&) {
    return compile(path, out) ? code::Compiled::Ok : code::Compiled::Failed;
}

// Calls main([]) in a fresh process table; returns when the run ends.
void run(const code::Module& module) {
    process::table_init(kMaxProcs);
    process::Process* p = process::create();
    process::table_insert(p);
    term::Term args = term::kNil;
    const code::Export* main = code::export_entry(module.name, term::make_atom(atom::kMain), 1);
    interp::prepare_call(*p, main, &args, 1);
    sched::run(p, 1, boot::start_io_servers());
    inet::close_all();  // its processes ended without their sockets' closing
}

// The file name the program must have: the compiler, as erlc, rejects a
// module whose name differs from its file's. The name of a plain
// `-module(name).` attribute (most mutants keep their seed's); else any.
std::string file_name(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    size_t at = text.find("-module(");
    if (at == std::string_view::npos) return "fuzz_program_input.bl";
    size_t begin = at + 8, end = begin;
    auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    while (end < text.size() && end - begin < 200 && word_char(text[end]))
        ++end;
    if (end == begin || !std::islower(static_cast<unsigned char>(text[begin])))
        return "fuzz_program_input.bl";
    return std::string(text.substr(begin, end - begin)) + ".bl";
}

bool has_flag(int argc, char** argv, const char* flag) {
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0) return true;
    return false;
}

}  // namespace

// Runs before libFuzzer reads its flags: adds -close_fd_mask=3 unless given.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    static std::vector<char*> args;
    if (!has_flag(*argc, *argv, "-close_fd_mask=")) {
        static char close_fds[] = "-close_fd_mask=3";
        args.assign(*argv, *argv + *argc);
        args.insert(args.begin() + 1, close_fds);
        args.push_back(nullptr);
        *argc = int(args.size() - 1);
        *argv = args.data();
    }
    sched::Limits limits;
    limits.reductions = kReductions;
    limits.virtual_time = true;
    sched::set_limits(limits);
    process::default_max_heap_words = kMaxHeapWords;
    port::set_programs_allowed(false);
    code::set_compiler(compile_module);
    code::set_library(library_image::bytes());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string dir = input_dir();
    std::string path = dir + "/" + file_name(data, size);
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) return 0;
    std::fwrite(data, 1, size, out);
    std::fclose(out);
    code::set_search_path({dir});
    if (const code::Module* module = code::load_file(path)) run(*module);
    code::reset_for_tests();
    std::remove(path.c_str());  // the next program must not find it
    return 0;
}
