// system_malloc: the mimalloc functions beamlite calls, forwarded to the C
// library's allocator, for the ThreadSanitizer build only (CMakeLists.txt
// links this instead of libmimalloc there). TSan must see every allocation
// and free: memory that mimalloc hands from one thread to another would
// otherwise look like a race to it, since TSan cannot see mimalloc's own
// synchronisation.
#include <mimalloc.h>

#include <malloc.h>

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

// erlang:memory(total)'s allocator figure: what the C library's malloc has
// taken from the system (its arenas and its mmapped blocks).
void mi_process_info(size_t* elapsed_msecs, size_t* user_msecs, size_t* system_msecs,
                     size_t* current_rss, size_t* peak_rss, size_t* current_commit,
                     size_t* peak_commit, size_t* page_faults) {
    struct mallinfo2 info = mallinfo2();
    for (size_t* unknown :
         {elapsed_msecs, user_msecs, system_msecs, current_rss, peak_rss, peak_commit, page_faults})
        *unknown = 0;
    *current_commit = info.arena + info.hblkhd;
}

}  // extern "C"
