// bif_code: erlang:get_module_info/1,2, which the module_info/0,1 the
// compiler adds to every module call (as erlc's do). A module's exports and
// functions are its compiled ones plus the BIFs of its name in the BIF
// table, so lists:module_info(exports) lists lists:reverse/2 and
// erlang:module_info(exports) is the table's erlang part: the library has
// a module for every module of the table (OTP's, or stdlib/erlang.bl,
// math.bl, ... with nothing but module_info when all its functions are
// BIFs). Also the code server's questions (code:ensure_loaded/1, ...),
// and finding an application's resource file (APP.app) on the code path
// for stdlib/application.bl.
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "bytecode/image.h"
#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/code.h"

namespace bif {

using namespace term;

namespace {

using FunArity = std::pair<Term, uint32_t>;  // name atom, arity

// The module's own functions (`exported` or all of them), then the BIFs of
// its name that it does not define itself. False when a BIF's name cannot
// be interned (the atom table is full).
bool functions_of(const code::Module& m, bool exported, std::vector<FunArity>& out) {
    const bytecode::Module& g = m.generic;
    std::set<FunArity> seen;
    bool ok = true;
    auto add = [&](std::string_view name, uint32_t arity) {
        uint32_t index = atom::intern(name);
        if (index == atom::kNoAtom) ok = false;
        Term fa = make_atom(index);
        if (ok && seen.insert({fa, arity}).second) out.push_back({fa, arity});
    };
    // In the order the functions are defined, exported or not, as OTP
    // lists them (eunit runs a module's tests in this order).
    std::set<std::pair<std::string_view, uint32_t>> exports;
    for (const bytecode::Export& e : g.exports)
        exports.insert({g.atoms[e.function], e.arity});
    for (const code::FunctionEntry& f : m.functions) {
        std::string_view fname = atom::name(atom_index(f.name));
        if (!exported || exports.count({fname, f.arity})) add(fname, f.arity);
    }
    std::string_view name = atom::name(atom_index(m.name));
    for (size_t i = 0; i < table_size(); ++i) {
        const Bif& b = table()[i];
        if (b.module == name) add(b.name, b.arity);
    }
    return ok;
}

constexpr size_t kPairWords = 3;  // a 2-tuple

size_t list_words(size_t n) {
    return n * (kConsWords + kPairWords);
}

// [{F, A}, ...] in `mem` (list_words(n) words): every element is immediate.
Term fa_list(Term*& mem, const std::vector<FunArity>& fas) {
    Term list = kNil;
    for (size_t i = fas.size(); i-- > 0;) {
        Term pair = term::make_tuple(mem, 2);
        mem[1] = fas[i].first;
        mem[2] = make_small(fas[i].second);
        mem += kPairWords;
        list = make_cons(mem, pair, list);
        mem += kConsWords;
    }
    return list;
}

// A 16-byte digest of the module's generic code and atoms (FNV-1a, two
// seeds), standing for OTP's MD5 of the BEAM file: equal for equal code.
void digest(const code::Module& m, uint8_t out[16]) {
    uint64_t h[2] = {14695981039346656037ull, 1099511628211ull * 31};
    auto mix = [&](uint64_t v) {
        for (uint64_t& x : h)
            x = (x ^ v) * 1099511628211ull;
    };
    image::for_each_code_word(m.generic, mix);
    for (const std::string& a : m.generic.atoms)
        for (char c : a)
            mix(static_cast<uint8_t>(c));
    for (int i = 0; i < 16; ++i)
        out[i] = uint8_t(h[i / 8] >> (8 * (i % 8)));
}

enum class Item { Module, Exports, Functions, Attributes, Compile, Md5, Nifs, Native, Bad };

Item item_of(Term t) {
    if (!is_atom(t)) return Item::Bad;
    switch (atom_index(t)) {
        case atom::kModule:
            return Item::Module;
        case atom::kExports:
            return Item::Exports;
        case atom::kFunctions:
            return Item::Functions;
        case atom::kAttributes:
            return Item::Attributes;
        case atom::kCompile:
            return Item::Compile;
        case atom::kMd5:
            return Item::Md5;
        case atom::kNifs:
            return Item::Nifs;
        case atom::kNative:
            return Item::Native;
        default:
            return Item::Bad;
    }
}

const code::Module* loaded(Term module) {
    return is_atom(module) ? code::find_module(module) : nullptr;
}

Term md5_binary(Process& p, const code::Module& m) {
    uint8_t bytes[16];
    digest(m, bytes);
    return binary::from_bytes(p, bytes, sizeof bytes);
}

}  // namespace

namespace impl {

// [{module, M}, {exports, E}, {attributes, []}, {compile, []}, {md5, D}],
// OTP's order. Attributes and compile information are not kept.
Term get_module_info1(Process& p, Term* args) {
    const code::Module* m = loaded(args[0]);
    if (!m) return badarg(p, 1, "not a loaded module");
    std::vector<FunArity> exports;
    if (!functions_of(*m, true, exports)) return fail(p, make_atom(atom::kSystemLimit));
    constexpr size_t kItems = 5;
    size_t words =
        list_words(exports.size()) + kItems * (kConsWords + kPairWords) + binary::new_words(16 * 8);
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    uint8_t* bytes;
    Term md5 = binary::make(mem, 16 * 8, &bytes, p.heap.off_heap);
    mem += binary::new_words(16 * 8);
    digest(*m, bytes);
    Term values[kItems] = {args[0], fa_list(mem, exports), kNil, kNil, md5};
    const uint32_t keys[kItems] = {atom::kModule, atom::kExports, atom::kAttributes, atom::kCompile,
                                   atom::kMd5};
    Term list = kNil;
    for (size_t i = kItems; i-- > 0;) {
        Term pair = term::make_tuple(mem, 2);
        mem[1] = make_atom(keys[i]);
        mem[2] = values[i];
        mem += kPairWords;
        list = make_cons(mem, pair, list);
        mem += kConsWords;
    }
    return list;
}

Term get_module_info2(Process& p, Term* args) {
    const code::Module* m = loaded(args[0]);
    if (!m) return badarg(p, 1, "not a loaded module");
    Item item = item_of(args[1]);
    switch (item) {
        case Item::Module:
            return args[0];
        case Item::Attributes:
        case Item::Compile:
        case Item::Nifs:
            return kNil;
        case Item::Native:
            return make_atom(atom::kFalse);
        case Item::Md5:
            return md5_binary(p, *m);
        case Item::Exports:
        case Item::Functions: {
            std::vector<FunArity> fas;
            if (!functions_of(*m, item == Item::Exports, fas))
                return fail(p, make_atom(atom::kSystemLimit));
            Term* mem = alloc(p, list_words(fas.size()));
            if (!mem && !fas.empty()) return heap_exhausted(p);
            return fa_list(mem, fas);
        }
        case Item::Bad:
            break;
    }
    return badarg(p, 2, "not a valid module_info item");
}

// ---- the code server's questions (OTP's code module asks its server; here
// the module table answers) --------------------------------------------------------

namespace {

// {Tag, Value} of two immediates or heap terms made just before.
Term tagged(Process& p, uint32_t tag, Term value) {
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 2);
    mem[1] = make_atom(tag);
    mem[2] = value;
    return t;
}

}  // namespace

// {module, M} once M is loaded (from the library image or the search
// path), else {error, nofile}.
Term code_ensure_loaded(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    if (!code::ensure_loaded(args[0])) return tagged(p, atom::kError, make_atom(atom::kNofile));
    return tagged(p, atom::kModule, args[0]);
}

// code:load_abs(File) -> {module, M} | {error, Why}: compiles and loads
// the source File (OTP loads File.beam; beamlite has no object files, so
// File names a .bl or .erl source, with its extension). The shell's c/1.
Term code_load_abs(Process& p, Term* args) {
    std::string path;
    if (term::is_atom(args[0])) {
        path = atom::name(atom_index(args[0]));
    } else if (!chardata_to_utf8(args[0], path)) {
        return badarg(p, 1, "not a file name");
    }
    if (access(path.c_str(), R_OK) != 0) return tagged(p, atom::kError, make_atom(atom::kNofile));
    // Compiling takes long: off the normal schedulers.
    if (!on_dirty_pool()) return go_dirty(p);
    code::Module* m = code::load_file(path);
    if (!m) return tagged(p, atom::kError, make_atom(atom::kError));
    return tagged(p, atom::kModule, m->name);
}

// {file, File} for a loaded module, else false. A library module's file is
// `embedded` (OTP says `preloaded` for its own boot modules, a path for
// the rest).
Term code_is_loaded(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    const code::Module* m = loaded(args[0]);
    if (!m) return kFalse;
    std::string_view name = atom::name(atom_index(args[0]));
    if (code::is_library_module(name)) return tagged(p, atom::kFile, make_atom(atom::kEmbedded));
    Term file = make_string(p, m->file);
    if (file == kNone) return kNone;
    return tagged(p, atom::kFile, file);
}

// ok, or {error, [{M, nofile}]} for the modules that cannot be loaded.
Term code_ensure_modules_loaded(Process& p, Term* args) {
    int64_t n = list_length(args[0]);
    if (n < 0) return badarg(p, 1, "not a list");
    std::vector<Term> missing;
    for (Term l = args[0]; is_cons(l); l = cdr(l)) {
        if (!term::is_atom(car(l))) return badarg(p, 1, "not a list of atoms");
        if (!code::ensure_loaded(car(l))) missing.push_back(car(l));
    }
    if (missing.empty()) return make_atom(atom::kOk);
    size_t words = missing.size() * (kConsWords + tuple_words(2)) + tuple_words(2);
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = missing.size(); i-- > 0; mem += kConsWords + tuple_words(2)) {
        Term pair = term::make_tuple(mem, 2);
        mem[1] = missing[i];
        mem[2] = make_atom(atom::kNofile);
        list = make_cons(mem + tuple_words(2), pair, list);
    }
    Term result = term::make_tuple(mem, 2);
    mem[1] = make_atom(atom::kError);
    mem[2] = list;
    return result;
}

Term module_loaded(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    return loaded(args[0]) ? kTrue : kFalse;
}

// True when M is loaded and exports F/A (a BIF counts, as in OTP). Does
// not load M, as OTP's does not.
Term function_exported(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    if (!is_small(args[2]) || small_value(args[2]) < 0) return badarg(p, 3, "not an arity");
    uint32_t arity = uint32_t(small_value(args[2]));
    if (bif::find(args[0], args[1], arity)) return kTrue;
    if (!loaded(args[0])) return kFalse;
    return code::is_defined(code::export_entry(args[0], args[1], arity)) ? kTrue : kFalse;
}

// application:'$app_file'(App): {ok, Bytes} of the first App.app in a
// code-path directory or its ebin/ (where OTP's code path finds it), or
// error. Names with a path separator are not looked for.
Term application_app_file(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    std::string name(atom::name(atom_index(args[0])));
    if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        return make_atom(atom::kError);
    for (const std::string& dir : code::search_path()) {
        for (const char* sub : {"/", "/ebin/"}) {
            std::ifstream in(dir + sub + name + ".app", std::ios::binary);
            if (!in) continue;
            std::ostringstream bytes;
            bytes << in.rdbuf();
            std::string text = bytes.str();
            Term bin = binary::from_bytes(p, text.data(), text.size());
            if (bin == kNone) return heap_exhausted(p);
            // The binary waits in the argument register (a root) while the
            // tuple's allocation may collect.
            args[0] = bin;
            Term* mem = alloc(p, tuple_words(2));
            if (!mem) return heap_exhausted(p);
            Term t = term::make_tuple(mem, 2);
            mem[1] = make_atom(atom::kOk);
            mem[2] = args[0];
            return t;
        }
    }
    return make_atom(atom::kError);
}

}  // namespace impl

}  // namespace bif
