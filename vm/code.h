// code: the table of loaded modules and their export entries, where a
// module's source is found (beside the main file, on -pa dirs, or in the
// stdlib embedded in the binary), and loading it on first call.
//
// Export entries are the indirection every remote call goes through. There
// is one per M:F/A ever named (by an import, apply or fun M:F/A), created on
// demand and never freed, so loaded code may hold raw pointers to them:
//
//   Export                      address points to one of:
//   +-------------------+
//   | module function   |       - the function's entry in its loaded code;
//   | arity             |       - stub[]: [undefined_stub, this]: load the
//   | address ----------+--->     module on first call, or raise undef;
//   | stub[2]           |       - stub[]: [apply_bif_stub, this] for a BIF
//   | bif               |         called through apply or a fun M:F/A;
//   +-------------------+       - stub[]: an interpreter-implemented BIF
//                                 (apply/2,3) that jumps instead of calling.
//
// The module table is append-only while the program runs (reloading and
// purging are later steps), so Module pointers are stable too.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bytecode/bytecode.h"
#include "vm/term.h"

namespace bif {
struct Bif;
}

namespace code {

using term::Term;
using Word = uintptr_t;  // one word of loaded code

struct Export {
    Term module;    // atom
    Term function;  // atom
    uint32_t arity;
    // Where a call jumps. Atomic: loading a module on one scheduler
    // repoints it while others may be calling through it (loads are
    // plain moves on x86).
    std::atomic<const Word*> address;
    Word stub[2];         // the stub instruction when not loaded
    const bif::Bif* bif;  // non-null when M:F/A is a BIF
};

// A source line starting at a code offset (in words from the module start).
struct LineEntry {
    uint32_t offset;
    uint32_t line;
};

// A function's range starts at its func_info instruction.
struct FunctionEntry {
    uint32_t offset;
    Term name;  // atom
    uint32_t arity;
};

// A loaded module. `code` lies in the code area (area.h) and never moves:
// code addresses (continuation pointers, export addresses, fun entries)
// point into it.
struct Module {
    Term name;
    std::string file;  // as written in stack traces: the base name
    std::span<Word> code;
    std::vector<FunctionEntry> functions;  // by offset
    std::vector<LineEntry> lines;          // by offset
    std::unique_ptr<term::FunEntry[]> funs;
    size_t num_funs = 0;
    bytecode::Module generic;  // kept for `dis` and debugging
};

// The export entry for M:F/A, created (as an undefined-function stub, or a
// BIF) if new. Never null; never freed.
Export* export_entry(Term module, Term function, uint32_t arity);

// True when the export's address is real code or a BIF (not the stub).
bool is_defined(const Export* e);

// Adds a loaded module and points its exports at its code. The module name
// must not be loaded yet.
Module* install(std::unique_ptr<Module> module);

Module* find_module(Term name);
// The name of a local fun's function ('-main/1-fun-0-'), from its module's
// lambda table; the atom undefined when the module is gone.
Term lambda_name(const term::FunEntry* fun);

// The names of the loaded modules (the shell's tab completion).
std::vector<std::string> loaded_module_names();

// Where a code address lies: its module, function and source line (0 when
// unknown). `address` is an instruction or a continuation pointer; for a
// continuation pointer pass `return_address` so the line is the call's.
struct Location {
    const Module* module = nullptr;
    const FunctionEntry* function = nullptr;
    uint32_t line = 0;
};
Location locate(const Word* address, bool return_address);

// ---- finding and compiling modules --------------------------------------------

// A module whose source asks for parse transforms: the compiler has parsed
// it, but M:parse_transform(Forms, Options) is Erlang and must run in a
// process before the module can be compiled. No scheduler blocks on it:
//
//   call m:f(...) ─► undefined stub ─► ensure_loaded: m is deferred
//        │
//        ▼  (the calling process itself, its arguments packed in a list)
//   beamlite_transform:load(m, f, Args)         stdlib/beamlite_transform.bl
//        │  forms = pending text, parsed; each M:parse_transform/2 runs
//        ▼
//   beamlite_transform:compile_forms/2 (BIF) ─► load_forms: the compiler
//        │  reads the forms back into its AST (compiler/abstract.h), checks,
//        ▼  generates code, loads
//   apply(m, f, Args)
struct Deferred {
    std::string path;
    std::string module;
    // {File, Forms, Options, Transforms} as the text of a term (see
    // abstract::transform_request): one binary for the process to parse.
    std::string request;
};

enum class Compiled { Ok, Failed, Deferred };

// Compiles the file at `path` into `out`. On failure prints the diagnostics
// (as `check` does) to stderr and returns Failed; a module that needs parse
// transforms fills `deferred` and returns Deferred. Set by the command line
// (the compiler lives above the VM).
using Compiler = Compiled (*)(const std::string& path, bytecode::Module& out, Deferred& deferred);
void set_compiler(Compiler compiler);

// Compiles the forms that the parse transforms of the module in `path`
// returned (text written by ~w) into `out`; false with the diagnostics
// printed.
using FormsCompiler = bool (*)(const std::string& path, std::string_view forms,
                               bytecode::Module& out);
void set_forms_compiler(FormsCompiler compiler);

// The deferred module named `module`, copied (false when it is not one).
bool find_deferred(Term module, Deferred& out);

// Compiles and loads deferred `module` from its transformed `forms`; the
// module (already loaded, when another process got there first) or null.
Module* load_forms(Term module, std::string_view forms);

// Directories searched for MODULE.bl, in order (the main file's directory
// first, then -pa dirs).
void set_search_path(std::vector<std::string> dirs);
std::vector<std::string> search_path();

// The library image (bytecode/image.h) library modules load from. Set once
// by the command line before anything runs; the bytes must live for the
// program's life.
void set_library(std::string_view image_bytes);
bool is_library_module(std::string_view name);
std::vector<std::string_view> library_modules();  // sorted

// Loads `module` if it is not loaded: from the library image if it is a
// library module (a MODULE.bl of the same name is ignored, with a warning:
// library modules are sticky), else MODULE.bl on the search path. False if
// it cannot be found, compiled or loaded.
// False for a deferred module too (see Deferred; is_deferred tells).
bool ensure_loaded(Term module);
bool is_deferred(Term module);

// Compiles and loads one file; returns the module or null (errors printed,
// or the module is deferred: then `deferred`, if given, gets it).
Module* load_file(const std::string& path, Deferred* deferred = nullptr);

// Bytes of loaded code (erlang:memory(code) adds the literal area): each
// module's instructions, function and line tables and fun entries, and
// the export entries. The generic bytecode kept for `dis` is not counted.
size_t memory_bytes();

// `words` words of the code area (area.h) for a module's code, or nullptr
// when it is full. Code is never freed: modules are never purged.
Word* code_area_alloc(size_t words);
// Takes back the last `words` words handed out, ending at `end`, if
// nothing was handed out after them.
void code_area_give_back(Word* end, size_t words);

// Forgets every module and export (tests only: nothing may be running).
void reset_for_tests();

}  // namespace code
