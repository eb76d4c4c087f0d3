// bif_buffer: the NIFs of OTP's prim_buffer (erts/preloaded/src/
// prim_buffer.erl, compiled unchanged), the byte queue behind prim_file's
// read-ahead and read_line: a resource (resource.h) holding a queue of
// byte ranges of off-heap binaries.
//
//   Buffer { chunks: [Binary* b1, offset, size] [b2, 0, size] ... }
//            front: the next bytes to read        back: the last written
//
// Writing a refc binary (over 64 bytes) queues a reference to its bytes
// without copying; smaller ones are copied into a new off-heap binary.
// peek_head hands the front range back as a sub-binary of the same bytes,
// so reading a big buffer in pieces copies nothing.
#include <atomic>
#include <cstring>
#include <deque>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/reply.h"
#include "vm/resource.h"

namespace bif {

using namespace term;

namespace {

struct Buffer final : Resource {
    struct Chunk {
        Binary* binary;  // one reference held by the buffer
        uint64_t offset;
        uint64_t size;
    };
    std::deque<Chunk> chunks;
    uint64_t total = 0;
    std::atomic<bool> locked{false};

    Buffer() { id = resource::new_id(); }
    ~Buffer() override {
        for (const Chunk& chunk : chunks)
            binary_release(chunk.binary);
    }

    void push(Binary* binary, uint64_t offset, uint64_t size) {
        if (size == 0) {
            binary_release(binary);
            return;
        }
        chunks.push_back({binary, offset, size});
        total += size;
    }

    // Drops the first `n` bytes (n <= total), copying them to `out` first
    // when it is not null.
    void consume(uint64_t n, uint8_t* out) {
        total -= n;
        while (n > 0) {
            Chunk& front = chunks.front();
            uint64_t take = n < front.size ? n : front.size;
            if (out) {
                std::memcpy(out, front.binary->bytes + front.offset, take);
                out += take;
            }
            front.offset += take;
            front.size -= take;
            n -= take;
            if (front.size == 0) {
                binary_release(front.binary);
                chunks.pop_front();
            }
        }
    }
};

Buffer* buffer_of(Term t) {
    return resource::get<Buffer>(t);
}

// Queues the bytes of binary `t`: by reference when they are a whole-byte
// range of a refc binary, else as a copy. False when out of memory.
bool push_binary(Buffer& buffer, Term t) {
    Bits bits = bits_of(t);
    uint64_t size = bits.bit_size / 8;
    Term* object = boxed_ptr(t);
    Term original = header_kind(object[0]) == Kind::kSubBin ? object[1] : t;
    if (is_boxed_kind(original, Kind::kRefcBin) && bits.bit_offset % 8 == 0) {
        Binary* shared = refc_binary(original);
        binary_retain(shared);
        buffer.push(shared, bits.bit_offset / 8, size);
        return true;
    }
    Binary* copy = binary_new(size);
    if (!copy) return false;
    for (uint64_t i = 0; i < size; ++i)
        copy->bytes[i] = bits_byte(bits, i);
    buffer.push(copy, 0, size);
    return true;
}

// A size argument: a non-negative small integer no larger than the
// buffer's contents.
bool size_arg(const Buffer& buffer, Term t, uint64_t& n) {
    if (!is_small(t) || small_value(t) < 0 || uint64_t(small_value(t)) > buffer.total) return false;
    n = uint64_t(small_value(t));
    return true;
}

}  // namespace

namespace impl {

Term prim_buffer_new(Process& p, Term*) {
    Term t = resource::make(p, new Buffer);
    return t == kNone ? heap_exhausted(p) : t;
}

Term prim_buffer_size(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    return reply::build(p, reply::integer(int64_t(buffer->total)));
}

// write(Buffer, IOVec): IOVec is a list of binaries.
Term prim_buffer_write(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    Term list = args[1];
    for (; is_cons(list); list = cons_ptr(list)[1]) {
        if (!term::is_binary(cons_ptr(list)[0])) return badarg(p, 2, "not an iovec");
    }
    if (list != kNil) return badarg(p, 2, "not an iovec");
    size_t count = 0;
    for (list = args[1]; is_cons(list); list = cons_ptr(list)[1], ++count) {
        if (!push_binary(*buffer, cons_ptr(list)[0])) return heap_exhausted(p);
    }
    charge(count);
    return make_atom(atom::kOk);
}

Term prim_buffer_skip(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    uint64_t n;
    if (!size_arg(*buffer, args[1], n)) return badarg(p, 2, "not a size within the buffer");
    buffer->consume(n, nullptr);
    return make_atom(atom::kOk);
}

// copying_read(Buffer, Size): the first Size bytes, taken off the buffer.
Term prim_buffer_copying_read(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    uint64_t n;
    if (!size_arg(*buffer, args[1], n)) return badarg(p, 2, "not a size within the buffer");
    uint8_t* bytes;
    Term t = binary::alloc(p, n * 8, &bytes);
    if (t == kNone) return heap_exhausted(p);
    buffer = buffer_of(args[0]);  // the ref may have moved; the Buffer has not
    buffer->consume(n, bytes);
    charge(n);
    return t;
}

// peek_head(Buffer): the front range, left in the buffer; a sub-binary of
// the same off-heap bytes when it is large.
Term prim_buffer_peek_head(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    if (buffer->chunks.empty()) return badarg(p, 1, "empty buffer");
    Buffer::Chunk front = buffer->chunks.front();
    if (front.size <= kMaxHeapBinBytes) {
        Term t = binary::from_bytes(p, front.binary->bytes + front.offset, front.size);
        return t == kNone ? heap_exhausted(p) : t;
    }
    Term* mem = alloc(p, kRefcBinWords + kSubBinWords);
    if (!mem) return heap_exhausted(p);
    binary_retain(front.binary);
    Term whole = make_refc_bin(mem, front.binary, p.heap.off_heap);
    if (front.offset == 0 && front.size == front.binary->size) return whole;
    return make_sub_bin(mem + kRefcBinWords, whole, front.offset * 8, front.size * 8);
}

Term prim_buffer_find_byte_index(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    if (!is_small(args[1]) || small_value(args[1]) < 0 || small_value(args[1]) > 255)
        return badarg(p, 2, "not a byte");
    int needle = int(small_value(args[1]));
    uint64_t base = 0;
    for (const Buffer::Chunk& chunk : buffer->chunks) {
        const uint8_t* start = chunk.binary->bytes + chunk.offset;
        if (const void* hit = std::memchr(start, needle, chunk.size)) {
            uint64_t index = base + uint64_t(static_cast<const uint8_t*>(hit) - start);
            charge(index);
            return reply::build(
                p, reply::tuple({reply::atom(atom::kOk), reply::integer(int64_t(index))}));
        }
        base += chunk.size;
    }
    charge(base);
    return make_atom(atom::kNotFound);
}

Term prim_buffer_try_lock(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    bool was_locked = buffer->locked.exchange(true, std::memory_order_acquire);
    return make_atom(was_locked ? atom::kBusy : atom::kAcquired);
}

Term prim_buffer_unlock(Process& p, Term* args) {
    Buffer* buffer = buffer_of(args[0]);
    if (!buffer) return badarg(p, 1, "not a buffer");
    buffer->locked.store(false, std::memory_order_release);
    return make_atom(atom::kOk);
}

}  // namespace impl

}  // namespace bif
