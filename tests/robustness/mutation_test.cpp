// mutation_test: damaged copies of the check corpus, and hostile inputs
// (deep nesting, huge literals, binary garbage, a 10 MB file), through the
// whole front end. Each input must end in success or in a clean diagnostic;
// a crash, a sanitizer report, a hang (SIGPROF after a CPU time limit) or an
// error exit without a message fails the run.
//
//   mutation_test CORPUS_DIR... [--per-file N] [--seed S]
#include <dirent.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/frontend.h"

namespace {

// A hang is CPU time, not wall time: the machine may be loaded.
constexpr long kCpuSecondsPerInput = 60;
const char* g_current_input = "";

void on_cpu_limit(int) {
    // Only async-signal-safe calls here.
    const char msg[] = "mutation_test: HANG (CPU time limit) on ";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    ignored = write(2, g_current_input, strlen(g_current_input));
    ignored = write(2, "\n", 1);
    (void)ignored;
    _exit(3);
}

// Arms (or, with 0, disarms) a SIGPROF after `seconds` of CPU time.
void set_cpu_limit(long seconds) {
    itimerval timer{};
    timer.it_value.tv_sec = seconds;
    setitimer(ITIMER_PROF, &timer, nullptr);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::vector<std::string> list_dir(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* entry = readdir(d)) {
            std::string name = entry->d_name;
            if (name.size() > suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
                names.push_back(name);
            }
        }
        closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// One random damage to `text`.
std::string mutate(std::string text, std::mt19937_64& rng) {
    static const std::string kPunct = "()[]{}<>.,;:|#?-=+*/!\"'$%\\_ \n\t";
    auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
    size_t at = pick(text.size() + 1);
    switch (rng() % 8) {
        case 0:
            text.erase(at, 1 + pick(20));
            break;
        case 1:
            for (size_t i = 0, n = 1 + pick(8); i < n; ++i)
                text.insert(text.begin() + static_cast<long>(at), static_cast<char>(rng()));
            break;
        case 2:
            text.insert(at, text.substr(pick(text.size()), 1 + pick(40)));
            break;
        case 3:
            text.resize(at);
            break;
        case 4:
            if (!text.empty()) text[pick(text.size())] = kPunct[pick(kPunct.size())];
            break;
        case 5:
            text.insert(at, std::string(1 + pick(3), kPunct[pick(kPunct.size())]));
            break;
        case 6: {
            size_t from = pick(text.size()), length = 1 + pick(60);
            std::string piece = text.substr(from, length);
            text.erase(from, length);
            text.insert(pick(text.size() + 1), piece);
            break;
        }
        default:
            text.insert(at, "\xff\xfe\xc3(\x80\xed\xa0\x80");
            break;  // bad UTF-8
    }
    return text;
}

struct Stats {
    unsigned inputs = 0, clean = 0, rejected = 0, failures = 0;
};

// Checks one input; the front end must not crash or hang, and must say why
// it rejects a file.
void check_input(const std::string& path, const std::string& label, Stats& stats) {
    g_current_input = label.c_str();
    set_cpu_limit(kCpuSecondsPerInput);
    diag::Reporter reporter;
    bool ok = frontend::check_file(path, preproc::Options{}, reporter);
    size_t messages = reporter.size();
    std::FILE* sink = std::fopen("/dev/null", "w");
    reporter.print(sink);
    std::fclose(sink);
    set_cpu_limit(0);
    ++stats.inputs;
    if (ok) {
        ++stats.clean;
    } else if (messages == 0) {
        ++stats.failures;
        fmt::print(stderr, "FAIL: {} rejected without a diagnostic\n", label);
    } else {
        ++stats.rejected;
    }
}

// Inputs no corpus file becomes by chance: each is a classic way to break a
// front end.
std::vector<std::pair<std::string, std::string>> hostile_inputs() {
    std::vector<std::pair<std::string, std::string>> inputs;
    std::string head = "-module(hostile).\n-export([f/0]).\n";
    inputs.emplace_back("deep parens", head + "f() -> " + std::string(100000, '(') + "1" +
                                           std::string(100000, ')') + ".\n");
    inputs.emplace_back("deep lists", head + "f() -> " + std::string(100000, '[') + "1" +
                                          std::string(100000, ']') + ".\n");
    inputs.emplace_back("unclosed nesting", head + "f() -> " + std::string(200000, '{') + "\n");
    std::string deep_case = head + "f() -> ";
    for (int i = 0; i < 20000; ++i)
        deep_case += "case x of x -> ";
    inputs.emplace_back("deep case", deep_case + "ok.\n");
    inputs.emplace_back("huge integer", head + "f() -> " + std::string(1000000, '7') + ".\n");
    inputs.emplace_back("huge based integer",
                        head + "f() -> 36#" + std::string(200000, 'z') + ".\n");
    inputs.emplace_back("huge float", head + "f() -> 1." + std::string(500000, '5') + "e308.\n");
    inputs.emplace_back("huge atom", head + "f() -> '" + std::string(1000000, 'a') + "'.\n");
    inputs.emplace_back("huge string", head + "f() -> \"" + std::string(5000000, 's') + "\".\n");
    inputs.emplace_back("long expression", [&] {
        std::string s = head + "f() -> 1";
        for (int i = 0; i < 200000; ++i)
            s += " + 1";
        return s + ".\n";
    }());
    inputs.emplace_back("10 MB module", [&] {
        std::string s = "-module(hostile).\n-export([f0/1]).\n";
        for (int i = 0; s.size() < 10'000'000; ++i) {
            s += fmt::format("f{}(X) when X > {} -> [X, {} | f{}(X - 1)];\nf{}(_) -> [].\n", i, i,
                             i, i + 1, i);
        }
        return s;
    }());
    std::mt19937_64 rng(42);
    std::string garbage(1 << 20, '\0');
    for (char& c : garbage)
        c = static_cast<char>(rng());
    inputs.emplace_back("binary garbage", garbage);
    inputs.emplace_back("empty file", "");
    inputs.emplace_back("only a dot", ".");
    inputs.emplace_back("nul bytes", head + std::string(100, '\0'));
    inputs.emplace_back("macro bomb",
                        "-module(hostile).\n-define(A, ?B).\n-define(B, ?A).\n"
                        "-export([f/0]).\nf() -> ?A.\n");
    inputs.emplace_back("self include", "-module(hostile).\n-include(\"hostile.bl\").\n");
    inputs.emplace_back("unterminated ifdef", "-module(hostile).\n-ifdef(X).\n");
    return inputs;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> dirs;
    unsigned per_file = 4;
    uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--per-file" && i + 1 < argc) {
            per_file = static_cast<unsigned>(std::stoul(argv[++i]));
        } else if (arg == "--seed" && i + 1 < argc) {
            seed = std::stoull(argv[++i]);
        } else {
            dirs.push_back(arg);
        }
    }
    signal(SIGPROF, on_cpu_limit);
    char work_template[] = "/tmp/beamlite-mutation-XXXXXX";
    std::string work = mkdtemp(work_template);
    std::mt19937_64 rng(seed);
    Stats stats;

    for (auto& [label, text] : hostile_inputs()) {
        write_file(work + "/hostile.bl", text);
        check_input(work + "/hostile.bl", label, stats);
    }
    for (const std::string& dir : dirs) {
        for (const std::string& header : list_dir(dir, ".hrl"))
            write_file(work + "/" + header, read_file(dir + "/" + header));
        for (const std::string& name : list_dir(dir, ".bl")) {
            std::string original = read_file(dir + "/" + name);
            for (unsigned n = 0; n < per_file; ++n) {
                std::string damaged = mutate(original, rng);
                if (rng() % 3 == 0) damaged = mutate(damaged, rng);
                write_file(work + "/" + name, damaged);
                check_input(work + "/" + name, fmt::format("{} mutant {}", name, n), stats);
            }
            unlink((work + "/" + name).c_str());
        }
    }
    std::system(fmt::format("rm -rf '{}'", work).c_str());
    fmt::print("mutation_test: {} inputs: {} accepted, {} rejected with diagnostics\n",
               stats.inputs, stats.clean, stats.rejected);
    fmt::print("{} passed, {} failed\n", stats.inputs - stats.failures, stats.failures);
    return stats.failures == 0 ? 0 : 1;
}
