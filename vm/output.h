// output: the VM's standard output and standard error, as bytes. Every
// process's output reaches them through an I/O server (stdlib/user.bl, by
// the prim_stdio BIFs) and the VM's own reports (a crashed process, an
// uncaught error in main) are written here too, so that the two keep
// their order. This file owns the one buffering policy:
//
//   * standard output to a terminal is written at every write (a write is
//     one whole I/O request: a line or more), as a terminal user expects;
//   * otherwise it collects in one buffer, written out when it passes
//     64 KiB, when its oldest byte is older than kStaleMs at a slice's end
//     (a busy program's progress lines still appear), when a scheduler
//     goes idle (a program waiting for a timer or a message shows what it
//     printed), before anything goes to standard error, and at exit;
//   * standard error is never buffered.
#pragma once

#include <cstdint>
#include <string_view>

namespace output {

constexpr int kStdout = 1;
constexpr int kStderr = 2;
constexpr int64_t kStaleMs = 10;

// Appends `bytes` to standard output (buffered as above) or writes them to
// standard error (standard output's buffer first). Each write stays whole
// when several threads write at once.
void write(int fd, std::string_view bytes);

// Ignores SIGPIPE for the whole VM (at start): a write to a closed pipe
// (a port's program, a socket, standard output) fails with EPIPE instead
// of killing the VM. Standard output's reader going away ends the program
// with status 1, as under OTP.
void ignore_broken_pipes();

// Writes out standard output's buffer.
void flush();

// The schedulers' check between slices: flush() when the buffer holds
// bytes older than kStaleMs. Reads the clock only when it holds any.
void flush_if_stale();

// True when `fd` (kStdout or kStderr) is a terminal.
bool is_terminal(int fd);

}  // namespace output
