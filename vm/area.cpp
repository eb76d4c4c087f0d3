// area: reserved, huge-page advised bump areas (see area.h).
#include "vm/area.h"

#include <sys/mman.h>

namespace area {

namespace {

constexpr size_t kStepBytes = size_t(2) << 20;  // a huge page

uintptr_t align_up(uintptr_t value, size_t alignment) {
    return (value + alignment - 1) & ~uintptr_t(alignment - 1);
}

}  // namespace

Area::Area(size_t reserve_bytes, size_t min_bytes) {
    for (size_t bytes = reserve_bytes; bytes >= min_bytes; bytes /= 2) {
        // One step more than asked, so that the base can be aligned to a
        // huge page (THP maps only aligned 2 MiB ranges).
        void* raw = mmap(nullptr, bytes + kStepBytes, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (raw == MAP_FAILED) continue;
        base_ = align_up(uintptr_t(raw), kStepBytes);
        reserved_ = bytes;
        return;
    }
}

void* Area::alloc(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!base_ || bytes > reserved_ - used_) return nullptr;
    while (used_ + bytes > committed_) {
        void* step = reinterpret_cast<void*>(base_ + committed_);
        if (mprotect(step, kStepBytes, PROT_READ | PROT_WRITE) != 0) return nullptr;
        madvise(step, kStepBytes, MADV_HUGEPAGE);
        committed_ += kStepBytes;
    }
    void* p = reinterpret_cast<void*>(base_ + used_);
    used_ += bytes;
    return p;  // fresh anonymous pages are zero
}

void Area::give_back(void* end, size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (uintptr_t(end) == base_ + used_ && bytes <= used_) used_ -= bytes;
}

Area::Usage Area::usage() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {committed_, used_};
}

}  // namespace area
