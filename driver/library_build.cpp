// beamlite-library: the build step that makes the library image. It
// compiles each source file it is given (OTP's own stdlib modules from the
// installed Erlang/OTP sources, and beamlite's stdlib/*.bl) with beamlite's
// compiler and writes them, as bytecode, into one image (bytecode/image.h)
// that the build embeds in the beamlite binary. The VM loads a library
// module from the image at its first call, without compiling anything.
//
// Usage: beamlite-library OUTPUT [-I DIR | -L LIBROOT | SOURCE]...
//   -I DIR      an include directory (-include("x.hrl"))
//   -L LIBROOT  a library root for -include_lib("app/include/x.hrl")
// A module's name is its file's base name; two sources with the same name
// are an error. Diagnostics are printed; any error fails the build.
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bytecode/image.h"
#include "compiler/codegen.h"
#include "compiler/frontend.h"

namespace {

struct Arguments {
    std::string output;
    preproc::Options preprocessor;
    std::vector<std::string> sources;
};

bool parse_arguments(int argc, char** argv, Arguments& out) {
    if (argc < 2) return false;
    out.output = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "-I" || arg == "-L") && i + 1 < argc) {
            auto& list = arg == "-I" ? out.preprocessor.include_dirs : out.preprocessor.lib_roots;
            list.push_back(argv[++i]);
        } else {
            out.sources.push_back(arg);
        }
    }
    return !out.sources.empty();
}

// One module's bytes, or false after printing why not. Warnings are left
// out: the sources are OTP's and ours, checked elsewhere (otp_sources).
bool compile_one(const std::string& path, const preproc::Options& pp, std::string& bytes) {
    diag::Reporter reporter;
    ast::Module module;
    bool ok = frontend::check_file(path, pp, reporter, &module);
    bytecode::Module generic;
    if (ok) {
        frontend::on_large_stack([&] { generic = codegen::compile(module, reporter); });
        ok = !reporter.has_errors();
    }
    if (!ok) {
        reporter.print(stderr);
        fmt::print(stderr, "beamlite-library: cannot compile {}\n", path);
        return false;
    }
    // Stack traces name a library module's file as OTP's do: "lists.erl".
    generic.file = std::filesystem::path(path).filename().string();
    std::string problem = bytecode::verify(generic);
    if (!problem.empty()) {
        fmt::print(stderr, "beamlite-library: {}: bad bytecode: {}\n", path, problem);
        return false;
    }
    // The dataflow check (bytecode::validate): the library is most of the
    // code the compiler makes, so a register bug shows here first.
    problem = bytecode::validate(generic);
    if (!problem.empty()) {
        fmt::print(stderr, "beamlite-library: {}: unsound bytecode:\n{}\n", path, problem);
        return false;
    }
    bytes = image::write_module(generic);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Arguments args;
    if (!parse_arguments(argc, argv, args)) {
        fmt::print(stderr, "usage: beamlite-library OUTPUT [-I DIR | -L LIBROOT | SOURCE]...\n");
        return 2;
    }
    std::vector<std::pair<std::string, std::string>> modules;
    std::set<std::string> names;
    bool ok = true;
    for (const std::string& source : args.sources) {
        std::string name = std::filesystem::path(source).stem().string();
        if (!names.insert(name).second) {
            fmt::print(stderr, "beamlite-library: module {} given twice ({})\n", name, source);
            ok = false;
            continue;
        }
        std::string bytes;
        if (compile_one(source, args.preprocessor, bytes)) {
            modules.emplace_back(name, std::move(bytes));
        } else {
            ok = false;
        }
    }
    if (!ok) return 1;
    std::string image = image::write_image(std::move(modules));
    std::string temporary = args.output + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary);
        out.write(image.data(), static_cast<std::streamsize>(image.size()));
        if (!out) {
            fmt::print(stderr, "beamlite-library: cannot write {}\n", temporary);
            return 1;
        }
    }
    std::filesystem::rename(temporary, args.output);
    return 0;
}
