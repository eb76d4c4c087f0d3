// program: the unit tests' way to run a whole program: compiled from source
// and run to its end by sched::run, as `beamlite run` does (without the I/O
// servers' boot).
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/codegen.h"
#include "compiler/frontend.h"
#include "vm/atom.h"
#include "vm/interp.h"
#include "vm/loader.h"
#include "vm/process.h"
#include "vm/scheduler.h"

namespace test_program {

// Compiles and loads module `name` from `source`.
inline const code::Module* load(const std::string& name, const std::string& source) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / "beamlite_unit_programs";
    fs::create_directories(dir);
    fs::path file = dir / (name + ".bl");
    std::ofstream(file) << source;
    diag::Reporter reporter;
    ast::Module module;
    REQUIRE(frontend::check_file(file.string(), preproc::Options{}, reporter, &module));
    bytecode::Module generic = codegen::compile(module, reporter);
    REQUIRE(!reporter.has_errors());
    std::string error;
    const code::Module* loaded = loader::load(generic, error);
    INFO(error);
    REQUIRE(loaded != nullptr);
    return loaded;
}

// Runs main([]) of the loaded module on `schedulers` schedulers under
// `limits` and returns the exit status.
inline int run(const code::Module* loaded, sched::Limits limits, unsigned schedulers = 1) {
    process::Process* p = process::create();
    process::table_insert(p);
    term::Term args = term::kNil;
    interp::prepare_call(*p, code::export_entry(loaded->name, term::make_atom(atom::kMain), 1),
                         &args, 1);
    sched::set_limits(limits);
    int status = sched::run(p, schedulers);
    sched::set_limits(sched::Limits{});
    return status;
}

// Compiles and loads module `name` from `source`, then runs it as above.
inline int run(const std::string& name, const std::string& source, sched::Limits limits,
               unsigned schedulers = 1) {
    return run(load(name, source), limits, schedulers);
}

}  // namespace test_program
