// bif_transform: the VM's half of parse transforms (see code::Deferred in
// vm/code.h): beamlite_transform:pending/1 hands the process that needs a
// deferred module its forms, and compile_forms/2 takes the transformed
// forms back to the compiler. The rest is Erlang, in
// stdlib/beamlite_transform.bl.
#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/code.h"

namespace bif {

using namespace term;

namespace {

Term utf8_binary(Process& p, const std::string& text) {
    return binary::from_bytes(p, text.data(), text.size());
}

// [M1, M2, ...] of the transforms' names; kNone when an atom cannot be made.
Term transform_list(Process& p, const std::vector<std::string>& names) {
    Term* mem = alloc(p, names.size() * kConsWords);
    if (!mem && !names.empty()) return kNone;
    Term list = kNil;
    for (size_t i = names.size(); i-- > 0; mem += kConsWords) {
        uint32_t a = atom::intern(names[i]);
        if (a == atom::kNoAtom) return kNone;
        list = make_cons(mem, make_atom(a), list);
    }
    return list;
}

}  // namespace

namespace impl {

// {Path, Forms, Options, Transforms} for a deferred module (Path, Forms and
// Options as UTF-8 binaries: Forms and Options are the text of terms), or
// false when `Module` is not waiting for its transforms (any more).
Term beamlite_transform_pending(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    code::Deferred d;
    if (!code::find_deferred(args[0], d)) return kFalse;
    Term parts[4] = {utf8_binary(p, d.path), utf8_binary(p, d.forms), utf8_binary(p, d.options),
                     transform_list(p, d.transforms)};
    Term* mem = alloc(p, tuple_words(4));
    if (!mem) return heap_exhausted(p);
    for (Term part : parts)
        if (part == kNone) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 4);
    for (int i = 0; i < 4; ++i)
        mem[i + 1] = parts[i];
    return t;
}

// Compiles and loads `Module` from Forms (the text of the transformed
// forms, an iolist in UTF-8): true when it is loaded (the compiler's
// messages are printed as for any compile).
Term beamlite_transform_compile_forms(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    std::string forms;
    if (!binary::flatten_iolist(args[1], forms)) return badarg(p, 2, "not an iolist");
    return code::load_forms(args[0], forms) ? kTrue : kFalse;
}

}  // namespace impl

}  // namespace bif
