// resource: off-heap C++ objects that Erlang code holds as references, as
// the BEAM's NIF resources are: an open file (prim_file), a byte buffer
// (prim_buffer), later ETS tables and sockets.
//
// A resource ref is a reference term (is_reference/1 is true, it compares,
// hashes and prints as any other) whose object also points to the
// Resource, and is linked into its heap's off-heap list as a refc binary
// handle is (term.h has the layout):
//
//   process heap                          off-heap (mimalloc)
//   [hdr ref size=3][id][Resource*][next] ---> Resource { refs, id, ... }
//                                 |            (a subclass: File, Buffer)
//                                 +--> the next handle of this heap
//
// Each handle holds one reference; copying the ref into a message or
// another heap takes one more, and the collector drops those of dead
// handles. The last drop deletes the resource, whose destructor frees
// what it owns (closes a file). A ref decoded from the external format
// names no resource: get() finds nothing in it, as in OTP.
#pragma once

#include "vm/process.h"
#include "vm/term.h"

namespace resource {

using term::Resource;
using term::Term;

// A new resource's reference id (set by the constructor of every subclass
// through this).
uint64_t new_id();

// A ref to `r` on p's heap, taking over the caller's reference to it (which
// is dropped if the heap is full: the result is then kNone). May collect.
Term make(process::Process& p, Resource* r);

// The resource of type T that `t` names, or null when `t` is not a
// resource ref or names another type.
template <class T>
T* get(Term t) {
    if (!term::is_resource_ref(t)) return nullptr;
    return dynamic_cast<T*>(term::resource_of(t));
}

}  // namespace resource
