// library_image: the compiled library (OTP's modules and beamlite's own)
// embedded in the binary; see driver/library_build.cpp for how it is made
// and bytecode/image.h for its layout.
#pragma once

#include <string_view>

namespace library_image {

// The image's bytes (static storage, valid for the program's life).
std::string_view bytes();

}  // namespace library_image
