// resource: see resource.h. The reference counting itself is term.h's
// (resource_retain / resource_release beside the binaries').
#include "vm/resource.h"

namespace term {

void resource_release(Resource* r) {
    // acq_rel: the last owner must see every write made through other refs.
    if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete r;
}

}  // namespace term

namespace resource {

uint64_t new_id() {
    return process::new_ref_id();
}

Term make(process::Process& p, Resource* r) {
    Term* mem = process::alloc(p, term::kResourceRefWords);
    if (!mem) {
        term::resource_release(r);
        return term::kNone;
    }
    return term::make_resource_ref(mem, r, p.heap.off_heap);
}

}  // namespace resource
