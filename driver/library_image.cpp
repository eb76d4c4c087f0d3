// library_image: the library image's bytes, embedded in the binary by the
// assembler (.incbin of the file beamlite-library wrote at build time), so
// loading a library module reads memory the kernel maps lazily from the
// executable: nothing is compiled, read or copied at start-up.
#include "driver/library_image.h"

asm(".section .rodata\n"
    ".balign 16\n"
    "beamlite_library_image_start:\n"
    ".incbin \"" BEAMLITE_LIBRARY_IMAGE
    "\"\n"
    "beamlite_library_image_end:\n"
    ".previous\n");

extern "C" const char beamlite_library_image_start[];
extern "C" const char beamlite_library_image_end[];

namespace library_image {

std::string_view bytes() {
    return {beamlite_library_image_start,
            static_cast<size_t>(beamlite_library_image_end - beamlite_library_image_start)};
}

}  // namespace library_image
