// process: creating and destroying PCBs, the rare-state block, GC roots,
// the allocation entry point BIFs use, and the process table (see
// process.h).
#include "vm/process.h"

#include <mimalloc.h>
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>

#include "vm/memory.h"
#include "vm/spin_lock.h"

namespace process {

uint64_t default_max_heap_words = kDefaultMaxHeapWords;

namespace {

void free_saved_xregs(Process& p) {
    if (p.saved_live > kInlineSaved) {
        memory::add_process_bytes(-int64_t(p.saved_live * sizeof(Term)));
        mi_free(p.saved_x);
    }
    p.saved_live = 0;
}

// Every control block comes from here (see heap::ChunkPool).
heap::ChunkPool& pcb_pool() {
    static heap::ChunkPool pool(sizeof(Process));
    return pool;
}

}  // namespace

Process* create(size_t words) {
    void* block = pcb_pool().alloc();
    if (!block) block = memory::checked(mi_malloc(sizeof(Process)), sizeof(Process), "process");
    Process* p = new (block) Process();
    memory::add_process_bytes(sizeof(Process));
    heap::init(p->heap, words < heap::kMinBlockWords ? heap::kMinBlockWords : words);
    p->heap.max_heap_size = uint32_t(default_max_heap_words);
    return p;
}

void destroy(Process* p) {
    mailbox::clear(p->mailbox);
    heap::destroy(p->heap);
    free_saved_xregs(*p);
    if (p->rare) {
        p->rare->~Rare();
        mi_free(p->rare);
        memory::add_process_bytes(-int64_t(sizeof(Rare)));
    }
    p->~Process();
    memory::add_process_bytes(-int64_t(sizeof(Process)));
    if (pcb_pool().owns(p)) {
        pcb_pool().free(p);
    } else {
        mi_free(p);
    }
}

size_t pcb_bytes() {
    return pcb_pool().carved_bytes();
}

size_t retained_bytes(const Process& p) {
    return sizeof(Process) + (p.rare ? sizeof(Rare) : 0);
}

void release_heap(Process* p) {
    heap::destroy(p->heap);
    free_saved_xregs(*p);
}

namespace {
std::atomic<Term> g_default_group_leader{term::kNil};
}

Term group_leader(const Process& p) {
    if (p.rare && p.rare->group_leader != term::kNil) return p.rare->group_leader;
    Term pid = g_default_group_leader.load(std::memory_order_relaxed);
    return pid != term::kNil ? pid : term::make_pid(0, 0);
}

void set_default_group_leader(Term pid) {
    g_default_group_leader.store(pid, std::memory_order_relaxed);
}

Rare& rare(Process& p) {
    if (!p.rare) {
        p.rare =
            new (memory::checked(mi_malloc(sizeof(Rare)), sizeof(Rare), "process state")) Rare();
        memory::add_process_bytes(sizeof(Rare));
    }
    return *p.rare;
}

gc::Roots roots(Process& p) {
    gc::Roots r;
    r.xregs = p.xregs;
    r.num_xregs = p.xregs ? p.live : 0;
    if (p.rare) {
        Rare& rare = *p.rare;
        r.add(rare.terms, kRareTerms);
        r.add(rare.dictionary.words(), rare.dictionary.num_words());
        if (rare.trap) {
            r.add(rare.trap->terms, Trap::kTerms);
            r.add(rare.trap->table.words(), rare.trap->table.num_words());
        }
    }
    // Messages a receive has looked at are still in their fragments, which
    // are not attached to the heap: the collector must leave them in place.
    // They are few (the message being matched, those a selective receive
    // skipped) and near the head of the queue.
    uint32_t exposed = p.mailbox.exposed;
    for (mailbox::Signal* s = p.mailbox.head; s && exposed; s = s->next) {
        if (!s->exposed) continue;
        r.pinned.push_back(s->fragment);
        --exposed;
    }
    return r;
}

Term* alloc(Process& p, size_t words) {
    // The roots only when a collection comes: finding the pinned messages
    // walks the queue.
    if (!gc::has_room(p.heap, words) && !gc::collect(p.heap, words, roots(p))) return nullptr;
    return heap::alloc(p.heap, words);
}

Term* alloc(Process& p, size_t words, bool& moved) {
    uint64_t copies = gc::copy_count();
    Term* mem = alloc(p, words);
    moved = gc::copy_count() != copies;
    return mem;
}

void save_xregs(Process& p, const Term* xregs, uint32_t live) {
    free_saved_xregs(p);
    Term* to = p.saved_inline;
    if (live > kInlineSaved) {
        to = p.saved_x = memory::checked(static_cast<Term*>(mi_malloc(live * sizeof(Term))),
                                         live * sizeof(Term), "saved registers");
        memory::add_process_bytes(int64_t(live * sizeof(Term)));
    }
    for (uint32_t i = 0; i < live; ++i)  // `xregs` may be null when live is 0
        to[i] = xregs[i];
    p.saved_live = live;
}

void restore_xregs(Process& p, Term* xregs) {
    const Term* from = p.saved_live > kInlineSaved ? p.saved_x : p.saved_inline;
    for (uint32_t i = 0; i < p.saved_live; ++i)
        xregs[i] = from[i];
    free_saved_xregs(p);
}

// ---- the process table -------------------------------------------------------------

namespace {

// Slots and serials are reserved address space, touched as slots are used.
struct Table {
    spin_lock::SpinLock lock;  // taken to insert and remove (a few instructions), never to look up
    std::atomic<Process*>* slots = nullptr;
    std::atomic<uint32_t>* serials = nullptr;
    size_t max = 0;
    std::atomic<size_t> fresh{0};  // slots [0, fresh) have been used
    // Freed slots, oldest first: a ring of `max` entries, reserved as the
    // slots are (a deque grew by 4 MB over the first million processes,
    // memory that erlang:memory showed as growth).
    uint32_t* free = nullptr;
    size_t free_head = 0;
    size_t free_count = 0;
    std::atomic<size_t> live{0};
};

Table g_table;
std::atomic<uint64_t> g_next_ref{0};

void* reserve(size_t bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

void ensure_table() {
    if (!g_table.slots) table_init(kDefaultMaxProcs);
}

}  // namespace

size_t table_bytes() {
    ensure_table();
    return g_table.max * (sizeof(g_table.slots[0]) + sizeof(g_table.serials[0]) + sizeof(uint32_t));
}

size_t max_procs() {
    ensure_table();
    return g_table.max;
}

void table_init(size_t max_procs) {
    if (g_table.slots) {
        munmap(g_table.slots, g_table.max * sizeof(g_table.slots[0]));
        munmap(g_table.serials, g_table.max * sizeof(g_table.serials[0]));
        munmap(g_table.free, g_table.max * sizeof(g_table.free[0]));
    }
    g_table.max = max_procs;
    g_table.slots = static_cast<std::atomic<Process*>*>(reserve(max_procs * sizeof(Process*)));
    g_table.serials = static_cast<std::atomic<uint32_t>*>(reserve(max_procs * sizeof(uint32_t)));
    g_table.fresh.store(0, std::memory_order_relaxed);
    g_table.free = static_cast<uint32_t*>(reserve(max_procs * sizeof(uint32_t)));
    g_table.free_head = 0;
    g_table.free_count = 0;
    g_table.live = 0;
}

bool table_insert(Process* p) {
    ensure_table();
    std::lock_guard<spin_lock::SpinLock> guard(g_table.lock);
    size_t slot;
    size_t fresh = g_table.fresh.load(std::memory_order_relaxed);
    if (fresh < g_table.max) {
        slot = fresh;
        g_table.fresh.store(fresh + 1, std::memory_order_release);
    } else if (g_table.free_count > 0) {
        slot = g_table.free[g_table.free_head];
        g_table.free_head = (g_table.free_head + 1) % g_table.max;
        --g_table.free_count;
    } else {
        return false;
    }
    p->pid = term::make_pid(slot, g_table.serials[slot].load(std::memory_order_relaxed));
    g_table.slots[slot].store(p, std::memory_order_release);
    g_table.live.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void table_remove(Process* p) {
    size_t slot = term::pid_slot(p->pid);
    std::lock_guard<spin_lock::SpinLock> guard(g_table.lock);
    g_table.slots[slot].store(nullptr, std::memory_order_release);
    // 33 bits of serial fit a pid; wrapping after 2^32 reuses is harmless.
    g_table.serials[slot].fetch_add(1, std::memory_order_relaxed);
    g_table.free[(g_table.free_head + g_table.free_count++) % g_table.max] = uint32_t(slot);
    g_table.live.fetch_sub(1, std::memory_order_relaxed);
}

Process* lookup(Term pid) {
    if (!term::is_local_pid(pid) || !g_table.slots) return nullptr;
    size_t slot = term::pid_slot(pid);
    if (slot >= g_table.fresh.load(std::memory_order_acquire)) return nullptr;
    Process* p = g_table.slots[slot].load(std::memory_order_acquire);
    return p && p->pid == pid ? p : nullptr;
}

size_t count() {
    return g_table.live.load(std::memory_order_relaxed);
}

Process* slot_process(size_t slot) {
    return g_table.slots[slot].load(std::memory_order_acquire);
}

size_t slots_used() {
    return g_table.fresh.load(std::memory_order_acquire);
}

// ---- registered names ------------------------------------------------------------------

namespace {
std::mutex g_names_lock;
std::unordered_map<Term, Term> g_names;      // name -> pid
std::unordered_map<Term, Term> g_pid_names;  // pid -> name
}  // namespace

bool register_name(Term name, Term pid) {
    std::lock_guard<std::mutex> guard(g_names_lock);
    // Checked under the lock: a process leaving the table drops its name
    // after (scheduler.cpp, finish), so no name outlives its process.
    if (!lookup(pid)) return false;
    if (g_names.count(name) || g_pid_names.count(pid)) return false;
    g_names[name] = pid;
    g_pid_names[pid] = name;
    return true;
}

bool unregister_name(Term name) {
    std::lock_guard<std::mutex> guard(g_names_lock);
    auto it = g_names.find(name);
    if (it == g_names.end()) return false;
    g_pid_names.erase(it->second);
    g_names.erase(it);
    return true;
}

void unregister_pid(Term pid) {
    std::lock_guard<std::mutex> guard(g_names_lock);
    auto it = g_pid_names.find(pid);
    if (it == g_pid_names.end()) return;
    g_names.erase(it->second);
    g_pid_names.erase(it);
}

Term whereis(Term name) {
    std::lock_guard<std::mutex> guard(g_names_lock);
    auto it = g_names.find(name);
    return it == g_names.end() ? term::kNone : it->second;
}

Term name_of(Term pid) {
    std::lock_guard<std::mutex> guard(g_names_lock);
    auto it = g_pid_names.find(pid);
    return it == g_pid_names.end() ? term::kNil : it->second;
}

std::vector<Term> registered_names() {
    std::lock_guard<std::mutex> guard(g_names_lock);
    std::vector<Term> names;
    for (auto& [name, pid] : g_names)
        names.push_back(name);
    return names;
}

uint64_t new_ref_id() {
    return g_next_ref.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace process
