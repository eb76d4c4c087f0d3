// command: runs a shell command for os:cmd/1,2 (stdlib/os.bl), as OTP's
// os:cmd runs it through a port: /bin/sh -s unix:cmd in a session of its
// own, reading the script
//
//     (COMMAND
//     ) </dev/null; echo "^D"
//
// on its standard input, with its standard output and error on one pipe
// that is read up to the first ^D byte (the end of the script's output),
// its end of file, or a byte limit. Not waiting for the pipe's end is what
// lets a command start background jobs (which hold the pipe open) and
// return. The shell is never waited for either: it is reaped by a thread
// of this module when it exits, so a shell still running (the limit was
// reached, or the command printed ^D itself) leaves no zombie behind and
// holds up no one. The child gets SIGPIPE and SIGFPE ignored and every
// other signal at its default, as the children of the BEAM do.
//
// run() blocks until the output ends: callers run on the dirty I/O pool.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace command {

struct Output {
    std::string bytes;  // what the command wrote, cut as above
    int error = 0;      // an errno value when the shell could not start
};

// Runs `command` (bytes) in the environment `environment`
// ("NAME=VALUE" entries) and returns at most `max` bytes of its output.
// At least one read is made, so with `max` 0 it returns once the command
// has written something or ended (OTP waits for the port's first data).
Output run(std::string_view command, const std::vector<std::string>& environment, size_t max);

}  // namespace command
