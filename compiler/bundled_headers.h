// bundled_headers: the header files shipped inside the binary, for
// -include_lib("stdlib/include/assert.hrl") and friends, so that `beamlite`
// works from any directory with no install step.
//
// The table is generated at build time from stdlib/include/ by
// cmake/embed_headers.cmake. A bundled header's path is kPrefix followed by
// "app/include/name.hrl"; that path is also the name messages print.
#pragma once

#include <string_view>

namespace bundled_headers {

inline constexpr std::string_view kPrefix = "beamlite:lib/";

// The contents of the bundled file at `path` (kPrefix + "app/include/x.hrl"),
// or nullptr.
const std::string_view* find(std::string_view path);

}  // namespace bundled_headers
