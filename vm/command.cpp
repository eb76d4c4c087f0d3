// command: the shell beneath os:cmd (see command.h): the script, the
// spawn, the read and the reaper.
#include "vm/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

namespace command {

namespace {

constexpr char kEot = '\x04';  // ^D: the script's last output
constexpr size_t kChunk = 64 * 1024;

// OTP's script (os.erl, mk_cmd): the newline ends a comment the command
// may end with; </dev/null gives the command a closed standard input.
std::string script(std::string_view command) {
    std::string s = "(";
    s += command;
    s += "\n) </dev/null; echo \"";
    s += kEot;
    s += "\"\n";
    return s;
}

// The outer shell ignores SIGPIPE and SIGFPE, as the BEAM's children do,
// and becomes the shell OTP runs; the dispositions pass through exec, and
// the inner shell lists no trap.
constexpr const char* kShell = "/bin/sh";
constexpr const char* kShellCommand = "trap '' PIPE FPE; exec /bin/sh -s unix:cmd";

// Closes `fd` keeping errno; -1.
int close_failed(int fd) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

// `fd` moved above the standard descriptors, close on exec; -1 (errno
// set) when that fails. Where the VM's own 0, 1 or 2 is closed, a
// descriptor of ours must not take its place: the spawn's dup2 onto 0-2
// would clobber it, and the VM reads and writes those numbers.
int above_stdio(int fd) {
    if (fd < 0 || fd > 2) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return close_failed(fd);
    close(fd);
    return moved;
}

// A file holding `text`, read from its start: the shell's standard input.
// No pipe, so nothing here can block or raise SIGPIPE. -1, errno set.
int input_file(const std::string& text) {
    int fd = above_stdio(memfd_create("os_cmd", MFD_CLOEXEC));
    if (fd < 0) return -1;
    for (size_t done = 0; done < text.size();) {
        ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) errno = EIO;
        if (n <= 0) return close_failed(fd);
        done += size_t(n);
    }
    if (lseek(fd, 0, SEEK_SET) < 0) return close_failed(fd);
    return fd;
}

// The output pipe, both ends close on exec and above the standard
// descriptors; false (errno set) when it cannot be made.
bool output_pipe(int ends[2]) {
    if (pipe2(ends, O_CLOEXEC) != 0) return false;
    ends[0] = above_stdio(ends[0]);
    ends[1] = above_stdio(ends[1]);
    if (ends[0] >= 0 && ends[1] >= 0) return true;
    if (ends[0] >= 0) close_failed(ends[0]);
    if (ends[1] >= 0) close_failed(ends[1]);
    return false;
}

// Starts the shell with `in` as its standard input and `out` as its
// standard output and error, alone in a new session, no other descriptor
// open, no signal blocked. The pid, or -1 with `error` set.
pid_t spawn(int in, int out, const std::vector<std::string>& environment, int& error) {
    std::vector<char*> envp;
    for (const std::string& entry : environment)
        envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                    const_cast<char*>(kShellCommand), nullptr};

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in, 0);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, out, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_init(&attributes);
    // Every signal back to its default, glibc's own two (SIGCANCEL,
    // SIGSETXID) included: sigfillset leaves them out, and posix_spawn
    // would leave them ignored in the child, where a fork and exec (the
    // BEAM's) has them at their default.
    sigset_t none, all;
    sigemptyset(&none);
    std::memset(&all, 0xff, sizeof all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    pid_t pid = -1;
    error = posix_spawn(&pid, kShell, &actions, &attributes, argv, envp.data());
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return error == 0 ? pid : -1;
}

// Reads `fd` into `out` until its end, the first ^D (not kept) or `max`
// bytes, whichever comes first; at least one read.
void read_output(int fd, size_t max, std::string& out) {
    do {
        size_t old = out.size();
        out.resize(old + kChunk);
        ssize_t n;
        do {
            n = read(fd, out.data() + old, kChunk);
        } while (n < 0 && errno == EINTR);
        out.resize(old + size_t(n > 0 ? n : 0));
        if (n <= 0) break;
        size_t eot = out.find(kEot, old);
        if (eot != std::string::npos) {
            out.resize(eot);
            break;
        }
    } while (out.size() < max);
    if (out.size() > max) out.resize(max);
}

// True when `pid` is reaped now or has nothing to reap (SIGCHLD ignored by
// whoever started the VM reaps children at once).
bool reaped(pid_t pid) {
    pid_t r;
    do {
        r = waitpid(pid, nullptr, WNOHANG);
    } while (r < 0 && errno == EINTR);
    return r != 0;
}

void wait_for(pid_t pid) {
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

// The reaper: one thread, started at the first shell still running when
// its os:cmd returns, that waits on the pidfds of such shells and reaps
// each as it exits. Never destroyed: its thread runs until the VM exits.
class Reaper {
  public:
    // nullptr when the thread or its eventfd cannot be had.
    static Reaper* get() {
        static Reaper* const reaper = start();
        return reaper;
    }

    void adopt(pid_t pid, int pidfd) {
        {
            std::lock_guard<std::mutex> guard(lock_);
            arrived_.push_back({pid, pidfd});
        }
        uint64_t one = 1;
        while (write(wake_, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }

  private:
    struct Child {
        pid_t pid;
        int pidfd;  // readable once the child has exited
    };

    explicit Reaper(int wake) : wake_(wake) {}

    static Reaper* start() {
        int wake = above_stdio(eventfd(0, EFD_CLOEXEC));
        if (wake < 0) return nullptr;
        auto* reaper = new Reaper(wake);
        try {
            std::thread([reaper] { reaper->loop(); }).detach();
        } catch (const std::system_error&) {
            close(wake);
            delete reaper;
            return nullptr;
        }
        return reaper;
    }

    void loop() {
        std::vector<Child> children;
        std::vector<pollfd> fds;
        for (;;) {
            fds.assign(1, pollfd{wake_, POLLIN, 0});
            for (const Child& c : children)
                fds.push_back(pollfd{c.pidfd, POLLIN, 0});
            if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
            for (size_t i = children.size(); i-- > 0;) {
                if (!fds[i + 1].revents || !reaped(children[i].pid)) continue;
                close(children[i].pidfd);
                children.erase(children.begin() + ptrdiff_t(i));
            }
            if (fds[0].revents) take_arrivals(children);
        }
    }

    void take_arrivals(std::vector<Child>& children) {
        uint64_t count;
        while (read(wake_, &count, sizeof count) < 0 && errno == EINTR) {
        }
        std::lock_guard<std::mutex> guard(lock_);
        children.insert(children.end(), arrived_.begin(), arrived_.end());
        arrived_.clear();
    }

    int wake_;  // eventfd: children arrived
    std::mutex lock_;
    std::vector<Child> arrived_;  // under lock_
};

// A descriptor that polls readable once `pid` has exited, or -1. The
// system call itself: glibc 2.36's <sys/pidfd.h> declares pidfd_open
// without C linkage.
int pidfd_open(pid_t pid) {
    return above_stdio(int(syscall(SYS_pidfd_open, pid, 0)));
}

// Reaps the shell now if it has exited, else has the reaper do it when it
// does (or, without a reaper, waits for it here).
void reap(pid_t pid) {
    if (reaped(pid)) return;
    int pidfd = pidfd_open(pid);
    Reaper* reaper = pidfd >= 0 ? Reaper::get() : nullptr;
    if (reaper) {
        reaper->adopt(pid, pidfd);
        return;
    }
    if (pidfd >= 0) close(pidfd);
    wait_for(pid);
}

}  // namespace

Output run(std::string_view command, const std::vector<std::string>& environment, size_t max) {
    Output result;
    int out[2];
    int in = input_file(script(command));
    if (in < 0 || !output_pipe(out)) {
        result.error = errno;
        if (in >= 0) close(in);
        return result;
    }
    pid_t pid = spawn(in, out[1], environment, result.error);
    close(in);
    close(out[1]);
    if (pid > 0) read_output(out[0], max, result.bytes);
    close(out[0]);
    if (pid > 0) reap(pid);
    return result;
}

}  // namespace command
