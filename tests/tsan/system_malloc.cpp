// system_malloc: the mimalloc functions beamlite calls, forwarded to the C
// library's allocator, for the ThreadSanitizer build only (CMakeLists.txt
// links this instead of libmimalloc there). TSan must see every allocation
// and free: memory that mimalloc hands from one thread to another would
// otherwise look like a race to it, since TSan cannot see mimalloc's own
// synchronisation.
#include <mimalloc.h>

#include <cstdlib>
#include <cstring>

extern "C" {

void* mi_malloc(size_t size) {
    return std::malloc(size);
}

void* mi_zalloc(size_t size) {
    return std::calloc(1, size);
}

void* mi_malloc_aligned(size_t size, size_t alignment) {
    if (alignment < sizeof(void*)) alignment = sizeof(void*);
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

void mi_free(void* p) {
    std::free(p);
}

void mi_free_size(void* p, size_t size) {
    std::free(p);
}

}  // extern "C"
