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

namespace impl {

// The text of {File, Forms, Options, Transforms} for a deferred module, as
// a UTF-8 binary (abstract::transform_request; one allocation, so no
// collection can come between the parts), or false when `Module` is not
// waiting for its transforms (any more).
Term beamlite_transform_pending(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    code::Deferred d;
    if (!code::find_deferred(args[0], d)) return kFalse;
    return binary::from_bytes(p, d.request.data(), d.request.size());
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
