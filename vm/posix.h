// posix: errno values as the atoms OTP names them (enoent, eacces, ...),
// the one table of them: file, stdin and port errors reply
// {error, Posix} with these.
#pragma once

#include <string_view>

namespace posix {

// The atom text for `error` (an errno value); "eio" for one not listed.
std::string_view name(int error);

}  // namespace posix
