// binary: new bitstrings on a process heap, bit copying, iolists (see
// binary.h).
#include "vm/binary.h"

#include <cstring>
#include <vector>

#include "vm/gc.h"

namespace binary {

using namespace term;

size_t new_words(uint64_t bits) {
    uint64_t bytes = (bits + 7) / 8;
    size_t words = bytes <= kMaxHeapBinBytes ? heap_bin_words(bytes) : kRefcBinWords;
    if (bits % 8 != 0) words += kSubBinWords;
    return words;
}

Term make(Term* mem, uint64_t bits, uint8_t** bytes, Term*& off_heap) {
    uint64_t size = (bits + 7) / 8;
    Term whole;
    if (size <= kMaxHeapBinBytes) {
        mem[0] = make_header(Kind::kHeapBin, 1 + (size + 7) / 8);
        mem[1] = size;
        mem[1 + (size + 7) / 8] = 0;
        whole = make_boxed_ptr(mem);
        *bytes = reinterpret_cast<uint8_t*>(mem + 2);
        mem += heap_bin_words(size);
    } else {
        Binary* b = binary_new(size);
        if (!b) {  // out of memory: leave the words well-formed for the caller
            for (size_t i = 0; i < new_words(bits); ++i)
                mem[i] = term::kNil;
            return kNone;
        }
        b->bytes[size - 1] = 0;
        whole = make_refc_bin(mem, b, off_heap);
        *bytes = b->bytes;
        mem += kRefcBinWords;
    }
    if (bits % 8 == 0) return whole;
    return make_sub_bin(mem, whole, 0, bits);
}

Term alloc(process::Process& p, uint64_t bits, uint8_t** bytes) {
    uint64_t size = (bits + 7) / 8;
    if (size > kMaxHeapBinBytes) {
        // The virtual binary heap's check, where process::alloc could
        // collect anyway (the caller's terms are in the roots).
        if (gc::binaries_due(p.heap, size / 8) &&
            !gc::collect(p.heap, new_words(bits), process::roots(p)))
            return kNone;
        gc::note_binary(p.heap, size);
    }
    Term* mem = process::alloc(p, new_words(bits));
    if (!mem) return kNone;
    Term t = make(mem, bits, bytes, p.heap.off_heap);
    if (t == kNone) p.heap.out_of_memory = true;
    return t;
}

Term from_bytes(process::Process& p, const void* data, size_t size) {
    uint8_t* bytes;
    Term t = alloc(p, uint64_t(size) * 8, &bytes);
    if (t != kNone && size) std::memcpy(bytes, data, size);
    return t;
}

Term make_sub(Term* mem, Term t, uint64_t offset, uint64_t size) {
    Term* object = boxed_ptr(t);
    if (header_kind(object[0]) == Kind::kSubBin) {
        offset += object[3];
        t = object[1];
    }
    return make_sub_bin(mem, t, offset, size);
}

void copy_bits(uint8_t* dst, uint64_t dst_off, const uint8_t* src, uint64_t src_off, uint64_t n) {
    if (n == 0) return;
    if (dst_off % 8 == 0 && src_off % 8 == 0) {
        if (n >= 8) std::memcpy(dst + dst_off / 8, src + src_off / 8, n / 8);
        if (n % 8 == 0) return;
        uint64_t done = n / 8 * 8;
        dst_off += done;
        src_off += done;
        n -= done;
    }
    // Bit by bit in byte-sized steps: read 8 (or fewer) bits at src_off,
    // write them at dst_off with a mask.
    while (n > 0) {
        unsigned take = n < 8 ? unsigned(n) : 8;
        Bits view{src, src_off, take};
        uint8_t v = take == 8 ? bits_byte(view, 0) : bits_partial_byte(view);
        // v: `take` bits, left aligned. Write at dst_off.
        uint8_t* d = dst + dst_off / 8;
        unsigned shift = dst_off % 8;
        uint16_t mask = uint16_t((0xFF00u >> take) & 0xFF) << (8 - shift);
        uint16_t bits16 = uint16_t(v) << (8 - shift);
        d[0] = uint8_t((d[0] & ~(mask >> 8)) | (bits16 >> 8));
        if (shift + take > 8) d[1] = uint8_t((d[1] & ~(mask & 0xFF)) | (bits16 & 0xFF));
        src_off += take;
        dst_off += take;
        n -= take;
    }
}

void append_bytes(std::string& out, Term bin) {
    Bits bits = bits_of(bin);
    uint64_t n = bits.bit_size / 8;
    if (bits.bit_offset % 8 == 0) {
        out.append(reinterpret_cast<const char*>(bits.bytes + bits.bit_offset / 8), n);
        return;
    }
    for (uint64_t i = 0; i < n; ++i)
        out.push_back(char(bits_byte(bits, i)));
}

// ---- iolists ----------------------------------------------------------------------------

namespace {

// Appends bits at the end of a growing buffer.
struct BitBuffer {
    std::string& bytes;
    uint64_t bits = 0;

    void byte(uint8_t b) {
        if (bits % 8 == 0) {
            bytes.push_back(char(b));
        } else {
            bytes.push_back(0);
            copy_bits(reinterpret_cast<uint8_t*>(bytes.data()), bits, &b, 0, 8);
        }
        bits += 8;
    }
    void bitstring(Term t) {
        Bits view = bits_of(t);
        if (bits % 8 == 0 && view.bit_offset % 8 == 0) {
            bytes.append(reinterpret_cast<const char*>(view.bytes + view.bit_offset / 8),
                         view.bit_size / 8);
            bits += view.bit_size / 8 * 8;
            if (view.bit_size % 8 == 0) return;
            view.bit_offset += view.bit_size / 8 * 8;
            view.bit_size %= 8;
        }
        bytes.resize((bits + view.bit_size + 7) / 8, '\0');
        copy_bits(reinterpret_cast<uint8_t*>(bytes.data()), bits, view.bytes, view.bit_offset,
                  view.bit_size);
        bits += view.bit_size;
    }
};

}  // namespace

bool flatten_iolist(Term t, std::string& out, bool allow_bits, uint64_t* bit_len) {
    BitBuffer buffer{out, uint64_t(out.size()) * 8};
    std::vector<Term> pending;  // tails still to visit
    while (true) {
        if (is_cons(t)) {
            Term head = car(t);
            pending.push_back(cdr(t));
            if (is_small(head)) {
                int64_t v = small_value(head);
                if (v < 0 || v > 255) return false;
                buffer.byte(uint8_t(v));
                t = pending.back();
                pending.pop_back();
                continue;
            }
            t = head;
            continue;
        }
        if (is_bitstring(t)) {
            if (!allow_bits && bits_of(t).bit_size % 8 != 0) return false;
            buffer.bitstring(t);
        } else if (!is_nil(t)) {
            return false;
        }
        if (pending.empty()) break;
        t = pending.back();
        pending.pop_back();
        // A tail must be a list or (an improper tail) a binary.
        if (!is_list(t) && !is_bitstring(t)) return false;
    }
    if (bit_len) *bit_len = buffer.bits;
    return true;
}

int64_t iolist_size(Term t) {
    int64_t size = 0;
    std::vector<Term> pending;
    while (true) {
        if (is_cons(t)) {
            Term head = car(t);
            pending.push_back(cdr(t));
            if (is_small(head)) {
                int64_t v = small_value(head);
                if (v < 0 || v > 255) return -1;
                ++size;
                t = pending.back();
                pending.pop_back();
                continue;
            }
            t = head;
            continue;
        }
        if (is_bitstring(t)) {
            uint64_t bits = bits_of(t).bit_size;
            if (bits % 8 != 0) return -1;
            size += int64_t(bits / 8);
        } else if (!is_nil(t)) {
            return -1;
        }
        if (pending.empty()) return size;
        t = pending.back();
        pending.pop_back();
        if (!is_list(t) && !is_bitstring(t)) return -1;
    }
}

}  // namespace binary
