// gc and heap: the process block, fragments, literals, off-heap binaries,
// Cheney collection under random roots, sizing, stress mode, the verifier.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "vm/gc.h"
#include "vm/heap.h"
#include "vm/term.h"

using namespace term;

namespace {

// A process stand-in: a block and X registers, all of them roots.
struct Process {
    heap::Heap heap;
    std::vector<Term> x = std::vector<Term>(16, kNil);
    Term dictionary = kNil;

    Process() { heap::init(heap); }
    ~Process() { heap::destroy(heap); }

    gc::Roots roots() {
        gc::Roots r;
        r.xregs = x.data();
        r.num_xregs = x.size();
        r.add(&dictionary, 1);
        return r;
    }

    // Room for `words`, collecting as needed. Terms held in locals across
    // this call are stale: keep them in x.
    Term* alloc(size_t words) {
        if (!gc::ensure(heap, words, roots())) FAIL("max_heap_size reached");
        return heap::alloc(heap, words);
    }
    std::string verify() { return gc::verify(heap, roots()); }
    std::string printed() {
        std::string out;
        for (Term t : x)
            out += to_string(t) + "\n";
        return out + to_string(dictionary);
    }
};

// Conses x[from] onto x[onto].
void push_cons(Process& p, size_t from, size_t onto) {
    Term* cell = p.alloc(kConsWords);
    p.x[onto] = make_cons(cell, p.x[from], p.x[onto]);
}

// Builds the list [0, 1, ..., n-1] in x[slot].
void build_list(Process& p, size_t slot, int n) {
    p.x[slot] = kNil;
    for (int i = n - 1; i >= 0; --i) {
        Term* cell = p.alloc(kConsWords);
        p.x[slot] = make_cons(cell, make_small(i), p.x[slot]);
    }
}

struct StressScope {
    StressScope() { gc::stress = true; }
    ~StressScope() { gc::stress = false; }
};

}  // namespace

TEST_CASE("size classes grow Fibonacci-like from 8 words, then by a fifth", "[gc]") {
    CHECK(heap::kMinBlockWords == 8);
    CHECK(heap::size_class_words(0) == 8);
    CHECK(heap::size_class_words(1) == 12);
    CHECK(heap::size_class_words(2) == 24);
    CHECK(heap::size_class_words(3) == 40);
    CHECK(heap::size_class_words(4) == 64);
    for (unsigned c = 1; c < 100; ++c) {
        CHECK(heap::size_class_words(c) > heap::size_class_words(c - 1));
        CHECK(heap::size_class_at_least(heap::size_class_words(c)) == c);
        CHECK(heap::size_class_at_least(heap::size_class_words(c) + 1) == c + 1);
    }
    CHECK(heap::size_class_at_least(1) == 0);
}

TEST_CASE("a new process block is 8 words, heap and stack meeting in the middle", "[gc]") {
    heap::Heap h;
    heap::init(h);
    CHECK(heap::block_words(h) == heap::kMinBlockWords);
    CHECK(heap::free_words(h) == 8);
    heap::alloc(h, 5);
    heap::push(h, make_small(1));
    CHECK(heap::free_words(h) == 2);
    CHECK(heap::pop(h) == make_small(1));
    heap::destroy(h);
    // 64 bytes before generations; the old generation's pointer and the
    // virtual binary heap's two counts are the 16 more (the rest of the
    // old generation's state is allocated when a heap grows big): the
    // control block went from 224 to 240 bytes.
    CHECK(sizeof(heap::Heap) <= 80);
}

TEST_CASE("collection keeps what roots reach and frees the rest", "[gc]") {
    Process p;
    build_list(p, 0, 1000);
    build_list(p, 1, 500);
    std::string before = to_string(p.x[0]);
    p.x[1] = kNil;  // garbage now
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.verify() == "");
    CHECK(to_string(p.x[0]) == before);
    CHECK(heap::heap_used(p.heap) == 2000);
    CHECK(heap::block_words(p.heap) >= 2000);
}

TEST_CASE("stack words are roots; continuation pointers are skipped", "[gc]") {
    Process p;
    build_list(p, 0, 10);
    static const int code[2] = {0, 0};  // a stand-in code address
    REQUIRE(gc::ensure(p.heap, 3, p.roots()));
    heap::push(p.heap, p.x[0]);
    heap::push(p.heap, reinterpret_cast<Term>(&code[0]));
    heap::push(p.heap, make_catch(5));
    p.x[0] = kNil;
    build_list(p, 1, 300);  // forces collections with the list only on the stack
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.verify() == "");
    CHECK(heap::pop(p.heap) == make_catch(5));
    CHECK(heap::pop(p.heap) == reinterpret_cast<Term>(&code[0]));
    CHECK(to_string(heap::pop(p.heap)) == "[0,1,2,3,4,5,6,7,8,9]");
}

TEST_CASE("shared subterms are copied once and stay correct", "[gc]") {
    Process p;
    build_list(p, 0, 100);
    Term* t = p.alloc(tuple_words(3));
    p.x[1] = make_tuple(t, 3);
    t[1] = t[2] = t[3] = p.x[0];
    p.x[2] = p.x[0];
    std::string before = p.printed();
    size_t used_before = heap::heap_used(p.heap);
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.verify() == "");
    CHECK(p.printed() == before);
    CHECK(heap::heap_used(p.heap) == used_before);
    CHECK(tuple_element(p.x[1], 1) == p.x[2]);
}

TEST_CASE("literals are never copied", "[gc]") {
    Term* literal = heap::literal_alloc(tuple_words(2) + kFloatWords);
    REQUIRE(literal);
    CHECK(heap::in_literal_area(literal));
    Term tuple = make_tuple(literal, 2);
    literal[1] = make_small(7);
    literal[2] = make_float(literal + 3, 2.5);
    Process p;
    p.x[0] = tuple;
    Term* cell = p.alloc(kConsWords);
    p.x[1] = make_cons(cell, tuple, kNil);
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.verify() == "");
    CHECK(p.x[0] == tuple);
    CHECK(car(p.x[1]) == tuple);
    CHECK(to_string(p.x[1]) == "[{7,2.5}]");
    int on_stack = 0;
    CHECK_FALSE(heap::in_literal_area(&on_stack));
    CHECK_FALSE(heap::in_literal_area(p.heap.start));
}

TEST_CASE("received fragments are moved into the heap and freed", "[gc]") {
    Process p;
    build_list(p, 0, 5);
    // A sender copies {msg, [1,2], <<100 bytes>>} into a fragment.
    heap::Fragment* f = heap::fragment_new(64);
    Binary* b = binary_new(100);
    std::memset(b->bytes, 7, 100);
    binary_retain(b);  // the test's own reference
    Term* cells = heap::fragment_alloc(f, 4);
    Term list = make_cons(cells, make_small(1), make_cons(cells + 2, make_small(2), kNil));
    Term bin = make_refc_bin(heap::fragment_alloc(f, kRefcBinWords), b, f->off_heap);
    Term* t = heap::fragment_alloc(f, tuple_words(3));
    Term message = make_tuple(t, 3);
    t[1] = make_atom(atom::intern("msg"));
    t[2] = list;
    t[3] = bin;
    heap::attach_fragment(p.heap, f);
    p.x[1] = message;  // received
    CHECK(p.verify() == "");
    std::string before = to_string(message);
    CHECK(heap::fragment_words(p.heap) == f->used);
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.heap.fragments == nullptr);
    CHECK(p.verify() == "");
    CHECK(to_string(p.x[1]) == before);
    CHECK(b->refs.load() == 2);  // the handle moved with the message
    p.x[1] = kNil;
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(b->refs.load() == 1);  // garbage: the heap's reference was dropped
    CHECK(p.heap.off_heap == nullptr);
    binary_release(b);
}

TEST_CASE("an unreceived fragment frees its binaries when dropped", "[gc]") {
    heap::Fragment* f = heap::fragment_new(8);
    Binary* b = binary_new(80);
    binary_retain(b);
    make_refc_bin(heap::fragment_alloc(f, kRefcBinWords), b, f->off_heap);
    heap::fragment_free(f);
    CHECK(b->refs.load() == 1);
    binary_release(b);
}

TEST_CASE("off-heap binaries: live handles survive, dead ones are released", "[gc]") {
    Process p;
    std::vector<Binary*> binaries;
    for (int i = 0; i < 8; ++i) {
        Binary* b = binary_new(200);
        std::memset(b->bytes, i, 200);
        binary_retain(b);
        binaries.push_back(b);
        Term* mem = p.alloc(kRefcBinWords);
        p.x[i] = make_refc_bin(mem, b, p.heap.off_heap);
    }
    // A sub-binary keeps its original alive even when nothing else does.
    Term* sub = p.alloc(kSubBinWords);
    p.x[8] = make_sub_bin(sub, p.x[3], 8, 16);
    for (int i = 0; i < 8; i += 2)
        p.x[i] = kNil;
    p.x[3] = kNil;
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.verify() == "");
    for (int i = 0; i < 8; ++i) {
        INFO(i);
        CHECK(binaries[i]->refs.load() == (i % 2 ? 2u : 1u));
    }
    CHECK(to_string(p.x[8]) == "<<3,3>>");
    heap::destroy(p.heap);
    for (Binary* b : binaries) {
        CHECK(b->refs.load() == 1);
        binary_release(b);
    }
    heap::init(p.heap);
}

// A resource that counts its deletions.
struct CountedResource final : Resource {
    int* deleted;
    CountedResource(uint64_t ref_id, int* counter) : deleted(counter) { id = ref_id; }
    ~CountedResource() override { ++*deleted; }
};

TEST_CASE("resource refs: kept while reachable, copied with a reference, deleted at the last",
          "[gc]") {
    Process p;
    int deleted = 0;
    auto* r = new CountedResource(12345, &deleted);
    p.x[0] = make_resource_ref(p.alloc(kResourceRefWords), r, p.heap.off_heap);
    Term* plain = p.alloc(kRefWords);
    p.x[1] = make_ref(plain, 12345, 0);
    CHECK(is_ref(p.x[0]));
    CHECK(is_resource_ref(p.x[0]));
    CHECK_FALSE(is_resource_ref(p.x[1]));
    CHECK(ref_extra(p.x[0]) == 0);
    CHECK(to_string(p.x[0]) == to_string(p.x[1]));  // prints as the ref it is

    // A copy into a fragment (a message) takes a reference of its own.
    heap::Fragment* f = heap::fragment_new(kResourceRefWords);
    Term copy = heap::copy_term(p.x[0], heap::fragment_alloc(f, kResourceRefWords), f->off_heap);
    CHECK(r->refs.load() == 2);
    CHECK(exact_equal(copy, p.x[0]));
    CHECK(compare(copy, p.x[0]) == 0);

    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.verify() == "");
    CHECK(r->refs.load() == 2);
    heap::fragment_free(f);
    CHECK(r->refs.load() == 1);
    p.x[0] = kNil;
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(deleted == 1);
}

TEST_CASE("random structures survive many collections with random roots", "[gc]") {
    std::mt19937_64 random(12345);
    static const FunEntry entry{make_atom(atom::kErlang), 3, 99, 1, 2, nullptr};
    bool stress = GENERATE(false, true);
    gc::stress = stress;
    Process p;
    Binary* shared = binary_new(300);
    std::memset(shared->bytes, 42, 300);
    auto pick = [&] { return size_t(random() % p.x.size()); };
    for (int round = 0; round < (stress ? 150 : 400); ++round) {
        for (int op = 0; op < 50; ++op) {
            size_t into = pick();
            switch (random() % 11) {
                case 0:
                    push_cons(p, pick(), into);
                    break;
                case 1: {
                    size_t arity = random() % 5;
                    Term* mem = p.alloc(tuple_words(arity));
                    Term t = make_tuple(mem, arity);
                    for (size_t i = 1; i <= arity; ++i)
                        mem[i] = p.x[pick()];
                    p.x[into] = t;
                    break;
                }
                case 2:
                    p.x[into] = make_float(p.alloc(kFloatWords), double(random() % 1000) / 8);
                    break;
                case 3: {
                    __int128 v = (__int128(random()) << 40) * ((random() & 1) ? 1 : -1);
                    p.x[into] = make_integer(p.alloc(integer_words(v)), v);
                    break;
                }
                case 4: {
                    char bytes[40];
                    size_t n = random() % 40;
                    for (size_t i = 0; i < n; ++i)
                        bytes[i] = char(random());
                    p.x[into] = make_heap_bin(p.alloc(heap_bin_words(n)), bytes, n);
                    break;
                }
                case 5: {
                    binary_retain(shared);
                    p.x[into] = make_refc_bin(p.alloc(kRefcBinWords), shared, p.heap.off_heap);
                    break;
                }
                case 6: {
                    size_t from = pick();
                    if (is_bitstring(p.x[from]) && !is_boxed_kind(p.x[from], Kind::kSubBin)) {
                        uint64_t bits = bits_of(p.x[from]).bit_size;
                        Term* mem = p.alloc(kSubBinWords);
                        p.x[into] = make_sub_bin(mem, p.x[from], bits / 3, bits / 2);
                    }
                    break;
                }
                case 7: {
                    Term* mem = p.alloc(fun_words(2));
                    Term fun = make_fun(mem, &entry);
                    mem[2] = p.x[pick()];
                    mem[3] = p.x[pick()];
                    p.x[into] = fun;
                    break;
                }
                case 8: {
                    size_t n = random() % 6;
                    Term* mem = p.alloc(flat_map_words(n));
                    Term keys[8], values[8];
                    for (size_t i = 0; i < n; ++i) {
                        keys[i] = (random() & 1) ? make_small(int64_t(random() % 10)) : p.x[pick()];
                        values[i] = p.x[pick()];
                    }
                    p.x[into] = make_flat_map(mem, keys, values, n);
                    break;
                }
                case 9:
                    p.dictionary = p.x[pick()];
                    break;
                default:
                    p.x[into] = (random() & 1) ? make_small(int64_t(random() % 100)) : kNil;
            }
        }
        std::string before = p.printed();
        REQUIRE(p.verify() == "");
        REQUIRE(gc::collect(p.heap, random() % 64, p.roots()));
        REQUIRE(p.verify() == "");
        REQUIRE(p.printed() == before);
    }
    gc::stress = false;
    heap::destroy(p.heap);
    CHECK(shared->refs.load() == 1);
    binary_release(shared);
    heap::init(p.heap);
}

TEST_CASE("10 million conses churn in constant memory", "[gc]") {
    Process p;
    gc::Stats start = gc::stats();
    size_t largest = 0;
    for (int i = 0; i < 10000000; ++i) {
        if (i % 1000 == 0) p.x[0] = kNil;  // at most 1000 cells live
        Term* cell = p.alloc(kConsWords);
        p.x[0] = make_cons(cell, make_small(i), p.x[0]);
        largest = std::max(largest, heap::block_words(p.heap));
    }
    CHECK(p.verify() == "");
    // Twice the live data, or the free words a busy process keeps.
    CHECK(largest <= 2 * gc::kMaxFreeWords);
    CHECK(gc::stats().collections - start.collections > 1000);
    CHECK(small_value(car(p.x[0])) == 9999999);
}

TEST_CASE("the block grows fast and shrinks after several small collections", "[gc]") {
    Process p;
    p.heap.fullsweep_after = 0;  // one generation: the block holds it all
    build_list(p, 0, 100000);
    size_t big = heap::block_words(p.heap);
    CHECK(big >= 200000);
    p.x[0] = kNil;
    p.heap.busy_collections = 0;  // it waited (scheduler's park)
    for (unsigned i = 0; i < gc::kShrinkAfter; ++i)
        REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(heap::block_words(p.heap) < big / 100);
    CHECK(p.verify() == "");
}

TEST_CASE("a process collecting without waiting keeps more free words", "[gc]") {
    Process p;
    size_t first = 0;
    for (unsigned i = 0; i < 8; ++i) {
        REQUIRE(gc::collect(p.heap, 0, p.roots()));
        if (i == 0) first = heap::block_words(p.heap);
    }
    size_t busy = heap::block_words(p.heap);
    CHECK(first < gc::kMinFreeWords * 4);
    CHECK(busy >= gc::kMaxFreeWords);
    CHECK(busy <= 2 * gc::kMaxFreeWords);
    p.heap.busy_collections = 0;  // it waited
    for (unsigned i = 0; i < gc::kShrinkAfter; ++i)
        REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(heap::block_words(p.heap) < gc::kMinFreeWords * 4);
    CHECK(p.verify() == "");
}

TEST_CASE("max_heap_size makes allocation fail cleanly", "[gc]") {
    Process p;
    p.heap.max_heap_size = 10000;
    bool failed = false;
    for (int i = 0; i < 20000 && !failed; ++i) {
        if (!gc::ensure(p.heap, kConsWords, p.roots())) {
            failed = true;
            break;
        }
        Term* cell = heap::alloc(p.heap, kConsWords);
        p.x[0] = make_cons(cell, make_small(i), p.x[0]);
    }
    CHECK(failed);
    CHECK(p.verify() == "");  // consistent; the caller kills the process
}

TEST_CASE("a big allocation gets room in one collection", "[gc]") {
    Process p;
    build_list(p, 0, 10);
    uint64_t before = gc::stats().collections;
    Term* mem = p.alloc(tuple_words(5000));
    Term t = make_tuple(mem, 5000);
    for (int i = 1; i <= 5000; ++i)
        mem[i] = p.x[0];
    p.x[1] = t;
    CHECK(gc::stats().collections - before == 1);
    CHECK(p.verify() == "");
}

TEST_CASE("the verifier finds broken heaps", "[gc]") {
    Process p;
    build_list(p, 0, 3);
    CHECK(p.verify() == "");
    Term saved = p.x[1];
    Term outside[2] = {kNil, kNil};
    p.x[1] = make_cons_ptr(outside);
    CHECK(p.verify().find("wild pointer") == 0);
    p.x[1] = saved;
    Term* t = p.alloc(tuple_words(1));
    p.x[1] = make_tuple(t, 1);
    t[1] = make_header(Kind::kTuple, 0);  // a header as an element
    CHECK(p.verify().find("non-term") == 0);
    t[1] = kNil;
    Binary* b = binary_new(100);
    Term* handle = p.alloc(kRefcBinWords);
    Term* unlinked = nullptr;
    p.x[2] = make_refc_bin(handle, b, unlinked);  // not in the heap's list
    CHECK(p.verify().find("refc handle missing") == 0);
    p.heap.off_heap = handle;
    CHECK(p.verify() == "");
}

TEST_CASE("a term copied into a fragment is equal, self-contained and collectable", "[gc]") {
    Process sender;
    build_list(sender, 0, 50);
    Binary* b = binary_new(70);
    std::memset(b->bytes, 1, 70);
    sender.x[1] = make_refc_bin(sender.alloc(kRefcBinWords), b, sender.heap.off_heap);
    Term* literal = heap::literal_alloc(tuple_words(1));
    Term constant = make_tuple(literal, 1);
    literal[1] = make_small(5);
    Term* t = sender.alloc(tuple_words(4));
    sender.x[2] = make_tuple(t, 4);
    t[1] = sender.x[0];
    t[2] = sender.x[0];  // shared: copied twice
    t[3] = sender.x[1];
    t[4] = constant;
    size_t words = heap::copy_size(sender.x[2]);
    CHECK(words == tuple_words(4) + 2 * 100 + kRefcBinWords);
    heap::Fragment* f = heap::fragment_new(words);
    Term message = heap::copy_term(sender.x[2], heap::fragment_alloc(f, words), f->off_heap);
    CHECK(exact_equal(message, sender.x[2]));
    CHECK(tuple_element(message, 4) == constant);  // literals are referenced
    CHECK(b->refs.load() == 2);
    Process receiver;
    heap::attach_fragment(receiver.heap, f);
    receiver.x[0] = message;
    CHECK(receiver.verify() == "");
    REQUIRE(gc::collect(receiver.heap, 0, receiver.roots()));
    CHECK(receiver.verify() == "");
    CHECK(to_string(receiver.x[0]) == to_string(sender.x[2]));
    receiver.x[0] = kNil;
    REQUIRE(gc::collect(receiver.heap, 0, receiver.roots()));
    CHECK(b->refs.load() == 1);
    CHECK(heap::copy_size(make_small(3)) == 0);
    CHECK(heap::copy_size(constant) == 0);
}

// ---- generations ----------------------------------------------------------------------

namespace {

// True when `t` points into one of the old generation's chunks.
bool in_old(const heap::Heap& h, Term t) {
    if (!h.old || !is_pointer(t)) return false;
    const Term* target = pointer_target(t);
    for (const heap::Fragment* c = h.old->chunks; c; c = c->next)
        if (target >= c->data && target < c->data + c->used) return true;
    return false;
}

}  // namespace

TEST_CASE("a big heap's survivors are promoted at their second collection", "[gc]") {
    Process p;
    build_list(p, 0, int(gc::kGenerationalWords));  // twice that in words
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    REQUIRE(p.heap.old != nullptr);  // big now: survivors wait to be promoted
    CHECK_FALSE(in_old(p.heap, p.x[0]));
    CHECK(p.heap.old->high_water == p.heap.top);
    build_list(p, 1, 10);  // young: allocated after the collection
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(in_old(p.heap, p.x[0]));        // survived twice: old
    CHECK_FALSE(in_old(p.heap, p.x[1]));  // survived once: young, aged
    CHECK(p.heap.old->words >= 2 * gc::kGenerationalWords);
    CHECK(p.verify() == "");
    // A minor collection copies the young data only: the old list stays
    // where it is.
    Term old_list = p.x[0];
    uint64_t copied = gc::stats().words_copied;
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.x[0] == old_list);
    CHECK(gc::stats().words_copied - copied < 100);
    CHECK(in_old(p.heap, p.x[1]));
    CHECK(small_value(car(p.x[0])) == 0);
    CHECK(p.verify() == "");
}

TEST_CASE("a major collection frees old garbage and keeps what is live", "[gc]") {
    Process p;
    build_list(p, 0, int(gc::kGenerationalWords));
    build_list(p, 1, 1000);
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    REQUIRE(in_old(p.heap, p.x[0]));
    size_t before = p.heap.old->words;
    p.x[0] = kNil;  // the big list is old garbage now
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.heap.old->words == before);                // a minor collection leaves it
    REQUIRE(gc::collect(p.heap, 0, p.roots(), true));  // erlang:garbage_collect()
    CHECK(p.heap.old->words == 2 * 1000);
    CHECK(in_old(p.heap, p.x[1]));
    CHECK(heap::heap_used(p.heap) == 0);
    CHECK(p.verify() == "");
    Term l = p.x[1];
    for (int i = 0; i < 1000; ++i, l = cdr(l))
        REQUIRE(small_value(car(l)) == i);
}

TEST_CASE("fullsweep_after 0 keeps one generation; N makes every N+1th major", "[gc]") {
    Process p;
    p.heap.fullsweep_after = 0;
    build_list(p, 0, int(gc::kGenerationalWords));
    for (int i = 0; i < 3; ++i)
        REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(p.heap.old == nullptr);
    Process q;
    q.heap.fullsweep_after = 2;
    build_list(q, 0, int(gc::kGenerationalWords));
    REQUIRE(gc::collect(q.heap, 0, q.roots()));
    REQUIRE(q.heap.old != nullptr);
    unsigned majors = 0;
    for (int i = 0; i < 9; ++i) {
        REQUIRE(gc::collect(q.heap, 0, q.roots()));
        CHECK(q.heap.old->minor_collections <= 2);
        majors += q.heap.old->minor_collections == 0;
    }
    CHECK(majors == 3);
    CHECK(q.verify() == "");
}

TEST_CASE("a received fragment's data joins the young heap, then the old", "[gc]") {
    Process p;
    build_list(p, 0, int(gc::kGenerationalWords));
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    REQUIRE(p.heap.old != nullptr);
    heap::Fragment* f = heap::fragment_new(16);
    Binary* b = binary_new(100);
    binary_retain(b);  // the test's own reference
    Term bin = make_refc_bin(heap::fragment_alloc(f, kRefcBinWords), b, f->off_heap);
    Term* t = heap::fragment_alloc(f, tuple_words(2));
    Term message = make_tuple(t, 2);
    t[1] = make_atom(atom::intern("msg"));
    t[2] = bin;
    heap::attach_fragment(p.heap, f);
    p.x[1] = message;
    REQUIRE(gc::collect(p.heap, 0, p.roots()));  // minor: the message is young
    CHECK_FALSE(in_old(p.heap, p.x[1]));
    CHECK(p.heap.fragments == nullptr);
    CHECK(p.verify() == "");
    REQUIRE(gc::collect(p.heap, 0, p.roots()));  // minor: promoted, binary and all
    CHECK(in_old(p.heap, p.x[1]));
    CHECK(p.heap.off_heap == nullptr);
    CHECK(p.heap.old->chunks->off_heap != nullptr);
    CHECK(p.verify() == "");
    CHECK(tuple_element(p.x[1], 1) == make_atom(atom::intern("msg")));
    CHECK(bits_of(tuple_element(p.x[1], 2)).bit_size == 800);
    // Only the old generation refers to the binary: minor collections keep
    // it; a major one after the last reference goes releases it.
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(b->refs.load() == 2);
    p.x[1] = kNil;
    REQUIRE(gc::collect(p.heap, 0, p.roots()));
    CHECK(b->refs.load() == 2);  // old garbage waits for a major collection
    REQUIRE(gc::collect(p.heap, 0, p.roots(), true));
    CHECK(b->refs.load() == 1);
    CHECK(p.verify() == "");
    binary_release(b);
}

TEST_CASE("stress mode collects both generations and the verifier passes", "[gc]") {
    StressScope stress;
    Process p;
    std::mt19937 random(7);
    for (int round = 0; round < 200; ++round) {
        build_list(p, size_t(random() % 4), int(random() % 300));
        if (round % 50 == 0) build_list(p, 5, 3000);
        push_cons(p, 0, 6);
        REQUIRE(p.verify() == "");
    }
    CHECK(p.heap.old != nullptr);
}
