// process: creating and destroying PCBs, the rare-state block, GC roots and
// the allocation entry point BIFs use (see process.h).
#include "vm/process.h"

#include <mimalloc.h>

#include <cstring>
#include <new>

namespace process {

uint64_t default_max_heap_words = kDefaultMaxHeapWords;

Process* create() {
    Process* p = new (mi_malloc(sizeof(Process))) Process();
    heap::init(p->heap);
    p->heap.max_heap_size = default_max_heap_words;
    return p;
}

void destroy(Process* p) {
    heap::destroy(p->heap);
    mi_free(p->saved_x);
    if (p->rare) {
        p->rare->~Rare();
        mi_free(p->rare);
    }
    p->~Process();
    mi_free(p);
}

Rare& rare(Process& p) {
    if (!p.rare) p.rare = new (mi_malloc(sizeof(Rare))) Rare();
    return *p.rare;
}

gc::Roots roots(Process& p) {
    gc::Roots r;
    r.xregs = p.xregs;
    r.num_xregs = p.xregs ? p.live : 0;
    if (p.rare) {
        r.extra = p.rare->terms;
        r.num_extra = kRareTerms;
    }
    return r;
}

Term* alloc(Process& p, size_t words) {
    gc::Roots r = roots(p);
    if (!gc::ensure(p.heap, words, r)) return nullptr;
    return heap::alloc(p.heap, words);
}

void save_xregs(Process& p, const Term* xregs, uint32_t live) {
    mi_free(p.saved_x);
    p.saved_x = live ? static_cast<Term*>(mi_malloc(live * sizeof(Term))) : nullptr;
    if (live) std::memcpy(p.saved_x, xregs, live * sizeof(Term));
    p.saved_live = live;
}

void restore_xregs(Process& p, Term* xregs) {
    if (p.saved_live) std::memcpy(xregs, p.saved_x, p.saved_live * sizeof(Term));
    mi_free(p.saved_x);
    p.saved_x = nullptr;
    p.saved_live = 0;
}

}  // namespace process
