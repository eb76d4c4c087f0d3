// output: standard output's buffer and its flushing policy, standard error
// (see output.h).
#include "vm/output.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>

#include "vm/timer.h"

namespace output {

namespace {

constexpr size_t kBufferBytes = 1 << 16;

// Schedulers on several threads write: one lock keeps each write whole.
std::mutex g_lock;
std::string g_buffer;
// now_ms() of the oldest byte in g_buffer, 0 when it is empty. Read without
// the lock by flush_if_stale (a stale read only delays or repeats a check).
std::atomic<int64_t> g_oldest{0};

bool terminal(int fd) {
    static const bool kStdoutTerminal = isatty(kStdout) == 1;
    static const bool kStderrTerminal = isatty(kStderr) == 1;
    return fd == kStdout ? kStdoutTerminal : kStderrTerminal;
}

// Standard output's reader is gone (`beamlite run x.bl | head`). SIGPIPE
// is ignored (ports and sockets get EPIPE as errors instead), so the write
// fails here: the program ends as OTP's does when its `user` I/O server
// dies of the same error, with status 1, saying why on standard error.
[[noreturn]] void reader_gone() {
    static const char kWhy[] = "beamlite: standard output is closed (broken pipe)\n";
    ssize_t ignored = ::write(kStderr, kWhy, sizeof kWhy - 1);
    (void)ignored;
    _exit(1);
}

void flush_locked() {
    // A big write goes past stdio's buffer: its failure shows in fwrite's
    // count, and the fflush after it has nothing left to fail on.
    bool written = g_buffer.empty() ||
                   std::fwrite(g_buffer.data(), 1, g_buffer.size(), stdout) == g_buffer.size();
    g_buffer.clear();
    g_oldest.store(0, std::memory_order_relaxed);
    written = std::fflush(stdout) == 0 && written;
    if (written) return;
    if (errno == EPIPE) reader_gone();
    std::clearerr(stdout);  // another error (a full disk): later writes try again
}

}  // namespace

void write(int fd, std::string_view bytes) {
    std::lock_guard<std::mutex> guard(g_lock);
    if (fd == kStderr) {
        flush_locked();
        std::fwrite(bytes.data(), 1, bytes.size(), stderr);
        std::fflush(stderr);
        return;
    }
    if (g_buffer.empty() && !bytes.empty())
        g_oldest.store(std::max<int64_t>(timer::now_ms(), 1), std::memory_order_relaxed);
    g_buffer.append(bytes);
    if (g_buffer.size() > kBufferBytes || terminal(kStdout)) flush_locked();
}

void ignore_broken_pipes() {
    std::signal(SIGPIPE, SIG_IGN);
}

void flush() {
    std::lock_guard<std::mutex> guard(g_lock);
    flush_locked();
}

void flush_if_stale() {
    int64_t oldest = g_oldest.load(std::memory_order_relaxed);
    if (oldest == 0 || timer::now_ms() - oldest < kStaleMs) return;
    flush();
}

bool is_terminal(int fd) {
    return terminal(fd);
}

}  // namespace output
