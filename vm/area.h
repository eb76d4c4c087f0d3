// area: long-lived memory that is never freed piece by piece: the literal
// area (heap.h) and the code area (code.h). Each is one reservation of
// address space, made readable and writable 2 MiB at a time and advised
// for transparent huge pages, handed out by a bump pointer.
//
//   base (2 MiB aligned)                                   base + reserved
//   |== committed, huge-page advised ==|-- PROT_NONE, reserved only --|
//   |## handed out ##|  free          |
//                    ^ used           ^ committed
//
// Why huge pages: loading a module writes its code and literals into fresh
// memory once, and a first touch costs 11-18 us per 4 KiB page here but
// about 130 us per 2 MiB page. A program that loads `string` (and with it
// unicode_util's 0.8 MB of code and 0.5 MB of literals) takes ~2 faults
// instead of ~350. Where THP is off, the advice is ignored and nothing
// else changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace area {

class Area {
  public:
    // Reserves `reserve_bytes` of address space, or half as much down to
    // `min_bytes` (reserved space counts against `ulimit -v`); with less
    // than that the area is empty and every alloc fails.
    Area(size_t reserve_bytes, size_t min_bytes);
    Area(const Area&) = delete;
    Area& operator=(const Area&) = delete;

    // `bytes` (a multiple of 8) of zeroed memory, 8-aligned, or nullptr
    // when the area is full.
    void* alloc(size_t bytes);
    // Takes back the last `bytes` handed out, ending at `end`, when nothing
    // was handed out after them (else keeps them). They must be untouched
    // (still zero) if the area's users rely on fresh memory being zero.
    void give_back(void* end, size_t bytes);

    uintptr_t base() const { return base_; }
    size_t reserved() const { return reserved_; }
    bool contains(const void* p) const { return uintptr_t(p) - base_ < reserved_; }

    struct Usage {
        size_t committed;  // readable and writable
        size_t used;       // handed out
    };
    Usage usage();

  private:
    std::mutex mutex_;
    uintptr_t base_ = 0;
    size_t reserved_ = 0;
    size_t committed_ = 0;
    size_t used_ = 0;
};

}  // namespace area
