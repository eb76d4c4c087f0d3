// fuzz_frontend: libFuzzer target over the whole front end (preprocessor,
// lexer, parser, checks, diagnostics). Each input is written to a file of
// its own (the preprocessor reads files, as include handling needs) and
// checked; any crash, sanitizer report, leak or timeout is a bug.
//
//   cmake --preset fuzz && cmake --build --preset fuzz
//   tools/fuzz.sh 600 fuzz_frontend     (README.md, "Fuzzing")
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "compiler/frontend.h"

namespace {

std::string input_path() {
    std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return dir + "/beamlite-fuzz-" + std::to_string(getpid()) + "/fuzz.bl";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = [] {
        std::string p = input_path();
        std::string dir = p.substr(0, p.rfind('/'));
        mkdir(dir.c_str(), 0700);
        return p;
    }();
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) return 0;
    std::fwrite(data, 1, size, out);
    std::fclose(out);
    diag::Reporter reporter;
    frontend::check_file(path, preproc::Options{}, reporter);
    static std::FILE* sink = std::fopen("/dev/null", "w");
    reporter.print(sink);
    return 0;
}
