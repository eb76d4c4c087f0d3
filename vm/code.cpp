// code: the module table, export entries, the search path and loading on
// first call (see code.h).
#include "vm/code.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>

#include "bytecode/image.h"
#include "vm/area.h"
#include "vm/bif.h"
#include "vm/interp.h"
#include "vm/loader.h"

namespace code {

namespace {

using Key = std::tuple<Term, Term, uint32_t>;

struct Table {
    std::vector<std::unique_ptr<Module>> modules;
    std::map<Key, std::unique_ptr<Export>> exports;
    std::set<Term> missing;  // modules looked for and not found
    std::vector<std::string> search_path;
    Compiler compiler = nullptr;
    FormsCompiler forms_compiler = nullptr;
    std::map<Term, Deferred> deferred;  // waiting for their parse transforms
    image::Image library;
};

Table& table() {
    static Table t;
    return t;
}

// Every function here takes it: schedulers on several threads call, look
// up and load (compile) modules. Recursive: loading a module creates
// export entries.
std::recursive_mutex& code_lock() {
    static std::recursive_mutex lock;
    return lock;
}
using Guard = std::lock_guard<std::recursive_mutex>;

// Where a stub export points: a one-instruction program inside the entry.
void point_at_stub(Export* e, interp::Op op) {
    e->stub[0] = interp::handler(op);
    e->stub[1] = Word(e);
    e->address = e->stub;
}

}  // namespace

// The code of a BIF the interpreter runs itself: apply/2,3, hibernate/3.
const Word* interpreted_address(const Export* e) {
    if (e->arity == 2) return interp::apply2_address();
    if (e->function == term::make_atom(atom::kHibernate)) return interp::hibernate3_address();
    return interp::apply3_address();
}

Export* export_entry(Term module, Term function, uint32_t arity) {
    Guard guard(code_lock());
    auto& slot = table().exports[Key{module, function, arity}];
    if (slot) return slot.get();
    slot = std::make_unique<Export>();
    Export* e = slot.get();
    e->module = module;
    e->function = function;
    e->arity = arity;
    e->bif = bif::find(module, function, arity);
    if (!e->bif) {
        point_at_stub(e, interp::op_undefined_stub);
    } else if (e->bif->flags & bif::kInterpreted) {
        e->address = interpreted_address(e);
    } else {
        point_at_stub(e, interp::op_apply_bif_stub);
    }
    return e;
}

bool is_defined(const Export* e) {
    return e->bif != nullptr || e->address != e->stub;
}

Module* install(std::unique_ptr<Module> module) {
    Guard guard(code_lock());
    table().missing.erase(module->name);
    table().modules.push_back(std::move(module));
    return table().modules.back().get();
}

Term lambda_name(const term::FunEntry* fun) {
    const Module* m = find_module(fun->module);
    if (!m || fun->index >= m->generic.lambdas.size()) return term::make_atom(atom::kUndefined);
    const std::string& name = m->generic.atoms[m->generic.lambdas[fun->index].function];
    uint32_t index = atom::find(name);  // the loader interned it
    return index == atom::kNoAtom ? term::make_atom(atom::kUndefined) : term::make_atom(index);
}

Module* find_module(Term name) {
    Guard guard(code_lock());
    for (const auto& m : table().modules) {
        if (m->name == name) return m.get();
    }
    return nullptr;
}

std::vector<std::string> loaded_module_names() {
    Guard guard(code_lock());
    std::vector<std::string> names;
    for (const auto& m : table().modules)
        names.emplace_back(atom::name(term::atom_index(m->name)));
    return names;
}

Location locate(const Word* address, bool return_address) {
    Guard guard(code_lock());
    Location where;
    for (const auto& m : table().modules) {
        const Word* begin = m->code.data();
        if (address < begin || address >= begin + m->code.size() + (return_address ? 1 : 0))
            continue;
        uint32_t offset = uint32_t(address - begin) - (return_address ? 1 : 0);
        where.module = m.get();
        auto f = std::upper_bound(m->functions.begin(), m->functions.end(), offset,
                                  [](uint32_t o, const FunctionEntry& e) { return o < e.offset; });
        if (f != m->functions.begin()) where.function = &*(f - 1);
        auto l = std::upper_bound(m->lines.begin(), m->lines.end(), offset,
                                  [](uint32_t o, const LineEntry& e) { return o < e.offset; });
        if (l != m->lines.begin()) where.line = (l - 1)->line;
        return where;
    }
    return where;
}

// ---- finding and compiling modules --------------------------------------------

void set_compiler(Compiler compiler) {
    Guard guard(code_lock());
    table().compiler = compiler;
}

void set_search_path(std::vector<std::string> dirs) {
    Guard guard(code_lock());
    table().search_path = std::move(dirs);
}

std::vector<std::string> search_path() {
    Guard guard(code_lock());
    return table().search_path;
}

Module* load_file(const std::string& path, Deferred* deferred) {
    Guard guard(code_lock());
    Compiler compile = table().compiler;
    if (!compile) return nullptr;
    bytecode::Module generic;
    Deferred pending;
    Compiled result = compile(path, generic, pending);
    if (result == Compiled::Deferred) {
        uint32_t name = atom::intern(pending.module);
        if (name != atom::kNoAtom) table().deferred[term::make_atom(name)] = pending;
        if (deferred) *deferred = std::move(pending);
    }
    if (result != Compiled::Ok) return nullptr;
    std::string error;
    Module* m = loader::load(std::move(generic), error);
    if (!m) fmt::print(stderr, "beamlite: cannot load {}: {}\n", path, error);
    return m;
}

void set_forms_compiler(FormsCompiler compiler) {
    Guard guard(code_lock());
    table().forms_compiler = compiler;
}

bool is_deferred(Term module) {
    Guard guard(code_lock());
    return table().deferred.count(module) != 0;
}

bool find_deferred(Term module, Deferred& out) {
    Guard guard(code_lock());
    auto it = table().deferred.find(module);
    if (it == table().deferred.end()) return false;
    out = it->second;
    return true;
}

Module* load_forms(Term module, std::string_view forms) {
    Guard guard(code_lock());
    if (Module* m = find_module(module)) return m;
    auto it = table().deferred.find(module);
    if (it == table().deferred.end() || !table().forms_compiler) return nullptr;
    bytecode::Module generic;
    if (!table().forms_compiler(it->second.path, forms, generic)) return nullptr;
    std::string error;
    Module* m = loader::load(std::move(generic), error);
    if (!m) fmt::print(stderr, "beamlite: cannot load {}: {}\n", it->second.path, error);
    if (m && m->name == module) table().deferred.erase(it);
    return m;
}

void set_library(std::string_view bytes) {
    Guard guard(code_lock());
    if (!table().library.open(bytes))
        fmt::print(stderr, "beamlite: the library image is damaged\n");
}

bool is_library_module(std::string_view name) {
    Guard guard(code_lock());
    return !table().library.find(name).empty();
}

std::vector<std::string_view> library_modules() {
    Guard guard(code_lock());
    return table().library.names();
}

namespace {

Module* load_from_library(std::string_view name, std::string_view bytes) {
    bytecode::Module generic;
    std::string error = image::read_module(bytes, generic);
    Module* m =
        error.empty() ? loader::load(std::move(generic), error, atom::Owner::kLibrary) : nullptr;
    if (!m) fmt::print(stderr, "beamlite: cannot load library module {}: {}\n", name, error);
    return m;
}

// MODULE.bl on the search path, or "".
std::string find_source(const std::string& name) {
    for (const std::string& dir : table().search_path) {
        std::filesystem::path candidate = std::filesystem::path(dir) / (name + ".bl");
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
    }
    return "";
}

}  // namespace

bool ensure_loaded(Term module) {
    Guard guard(code_lock());
    if (find_module(module)) return true;
    if (table().missing.count(module) || table().deferred.count(module)) return false;
    std::string name(atom::name(term::atom_index(module)));
    std::string source = find_source(name);
    std::string_view library = table().library.find(name);
    Module* loaded = nullptr;
    if (!library.empty()) {
        // Library modules are sticky, as OTP's are: a user's file of the
        // same name does not replace one, and says so.
        if (!source.empty())
            fmt::print(stderr, "beamlite: {} ignored: {} is a library module (sticky)\n", source,
                       name);
        loaded = load_from_library(name, library);
    } else if (!source.empty()) {
        loaded = load_file(source);
    }
    if (loaded && loaded->name != module) loaded = nullptr;  // -module() differs
    if (!loaded && !table().deferred.count(module)) table().missing.insert(module);
    return loaded != nullptr;
}

namespace {
area::Area& code_area() {
    // Address space only until used: 1 GiB, less under a tight `ulimit -v`.
    static area::Area area(size_t(1) << 30, size_t(16) << 20);
    return area;
}
}  // namespace

Word* code_area_alloc(size_t words) {
    return static_cast<Word*>(code_area().alloc(words * sizeof(Word)));
}

void code_area_give_back(Word* end, size_t words) {
    code_area().give_back(end, words * sizeof(Word));
}

size_t memory_bytes() {
    Guard guard(code_lock());
    size_t bytes = table().exports.size() * sizeof(Export);
    for (const auto& m : table().modules) {
        bytes += sizeof(Module) + m->code.size() * sizeof(Word);
        bytes += m->functions.capacity() * sizeof(FunctionEntry);
        bytes += m->lines.capacity() * sizeof(LineEntry);
        bytes += m->num_funs * sizeof(term::FunEntry);
    }
    return bytes;
}

void reset_for_tests() {
    Guard guard(code_lock());
    table().modules.clear();
    table().exports.clear();
    table().missing.clear();
    table().deferred.clear();
}

}  // namespace code
