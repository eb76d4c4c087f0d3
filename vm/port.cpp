// port: the port table, spawning a port's child, framing its output into
// messages, queueing its input, and the port's side of links and exit
// signals (see port.h).
#include "vm/port.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/inet.h"
#include "vm/poll.h"
#include "vm/posix.h"
#include "vm/signal.h"

namespace port {

using namespace term;
using mailbox::Kind;
using mailbox::Signal;

namespace {

constexpr size_t kReadChunk = 64 * 1024;

struct Port;

// One watched descriptor of a port: its child's output, its child's
// input, or its child's pidfd.
enum class Which : uint8_t { kIn, kOut, kChild };
struct Endpoint final : poll::Handler {
    Port* port = nullptr;
    Which which = Which::kIn;
    void ready(uint32_t events) override;
};

struct Port {
    std::mutex lock;
    uint64_t number = 0;
    Term id = kNil;
    Spec spec;
    std::string name;
    Term owner = kNil;        // the connected process
    std::vector<Term> links;  // linked pids
    // monitor(port, _)s on this port: (reference number, watcher pid).
    std::vector<std::pair<uint64_t, Term>> monitors;
    pid_t os_pid = -1;
    int in_fd = -1;   // the child's standard output (we read), -1 once closed
    int out_fd = -1;  // the child's standard input (we write)
    int pidfd = -1;   // readable once the child has exited
    bool out_watched = false;
    bool pidfd_keeps_alive = false;
    std::string pending;  // bytes not yet written to the child
    size_t pending_done = 0;
    std::string in_buffer;  // a line or packet not complete yet
    bool open = true;
    bool eof_seen = false;
    bool child_exited = false;
    bool settled = false;  // the end of output has been acted on
    int status = 0;
    uint64_t input = 0, output = 0;
    Endpoint in_end, out_end, child_end;
};

// ---- the table -------------------------------------------------------------------------

// Never destroyed: the poller thread may still use them while the VM
// exits (static destructors run then).
using Table = std::map<uint64_t, std::shared_ptr<Port>>;
using Closing = std::map<const Port*, std::shared_ptr<Port>>;
std::mutex& g_table_lock = *new std::mutex;
Table& g_table = *new Table;  // open ports by number
// Closed ports whose child has not been reaped yet: their pidfd is still
// watched, so they must live on (and stay reachable, for leak checkers).
Closing& g_closing = *new Closing;
uint64_t g_next_number = 1;  // under g_table_lock

std::shared_ptr<Port> find(Term port) {
    if (!is_local_port(port)) return nullptr;
    std::lock_guard<std::mutex> guard(g_table_lock);
    auto it = g_table.find(port_number(port));
    return it == g_table.end() ? nullptr : it->second;
}

std::shared_ptr<Port> take_from_table(const Port& port) {
    std::lock_guard<std::mutex> guard(g_table_lock);
    auto it = g_table.find(port.number);
    if (it == g_table.end()) return nullptr;
    std::shared_ptr<Port> self = std::move(it->second);
    g_table.erase(it);
    return self;
}

// ---- messages from a port -----------------------------------------------------------------

// A message {Port, Inner} from the port; Inner is an immediate.
Signal* simple_message(const Port& port, Term inner) {
    Signal* s = mailbox::signal_new(Kind::Message, port.id);
    s->fragment = heap::fragment_new(3);
    Term* mem = heap::fragment_alloc(s->fragment, 3);
    s->term = put_tuple2(mem, port.id, inner);
    return s;
}

// {Port, {Tag, Value}} with Value immediate ({exit_status, N}).
Signal* tagged_message(const Port& port, Term tag, Term value) {
    Signal* s = mailbox::signal_new(Kind::Message, port.id);
    s->fragment = heap::fragment_new(6);
    Term* mem = heap::fragment_alloc(s->fragment, 6);
    Term inner = put_tuple2(mem, tag, value);
    s->term = put_tuple2(mem, port.id, inner);
    return s;
}

// {Port, {data, Bytes}} or, with `line` (eol / noeol), {Port, {data,
// {Line, Bytes}}}.
Signal* data_message(const Port& port, std::string_view bytes, Term line = kNone) {
    size_t words = 6 + (line != kNone ? 3 : 0) + bytes_words(bytes, port.spec.binary);
    Signal* s = mailbox::signal_new(Kind::Message, port.id);
    s->fragment = heap::fragment_new(words);
    Term* mem = heap::fragment_alloc(s->fragment, words);
    Term data = put_bytes(mem, s->fragment->off_heap, bytes, port.spec.binary);
    if (line != kNone) data = put_tuple2(mem, line, data);
    Term inner = put_tuple2(mem, make_atom(atom::kData), data);
    s->term = put_tuple2(mem, port.id, inner);
    return s;
}

void to_owner(const Port& port, Signal* s) {
    signals::deliver(port.owner, s);
}

// ---- ending -----------------------------------------------------------------------------

// On the poller: the child's pipes closed (it sees the end of its input);
// its pidfd stays watched until it is reaped, without keeping the VM up,
// and the Port with it (in g_closing).
void close_descriptors(const std::shared_ptr<Port>& self) {
    Port& port = *self;
    if (port.in_fd >= 0) {
        poll::unwatch(port.in_fd, true);
        ::close(port.in_fd);
        port.in_fd = -1;
    }
    if (port.out_fd >= 0) {
        if (port.out_watched) poll::unwatch(port.out_fd, true);
        ::close(port.out_fd);
        port.out_fd = -1;
        port.out_watched = false;
    }
    if (port.pidfd < 0) return;
    if (port.pidfd_keeps_alive) {
        poll::unwatch(port.pidfd, true);
        poll::watch(port.pidfd, EPOLLIN, &port.child_end, false);
        port.pidfd_keeps_alive = false;
    }
    std::lock_guard<std::mutex> guard(g_table_lock);
    g_closing.emplace(self.get(), self);
}

// Takes a closed port whose child was reaped out of g_closing: the hold
// returned is the last but the caller's.
std::shared_ptr<Port> take_closing(const Port& port) {
    std::lock_guard<std::mutex> guard(g_table_lock);
    auto it = g_closing.find(&port);
    if (it == g_closing.end()) return nullptr;
    std::shared_ptr<Port> hold = std::move(it->second);
    g_closing.erase(it);
    return hold;
}

// The port closes with `reason`: out of the table, an exit signal to
// every linked process, descriptors closed by a poller task. Under the
// port's lock.
void terminate(Port& port, Term reason) {
    if (!port.open) return;
    port.open = false;
    std::shared_ptr<Port> self = take_from_table(port);
    for (Term pid : port.links)
        signals::send_link_exit(pid, port.id, reason);
    port.links.clear();
    // After every message the port sent (delivered under this lock):
    // OTP's os:cmd relies on 'DOWN' coming last.
    for (auto [ref, pid] : port.monitors)
        signals::deliver(pid, signals::port_down(port.id, ref, reason));
    port.monitors.clear();
    if (!self) return;
    poll::post([self] {
        std::lock_guard<std::mutex> guard(self->lock);
        close_descriptors(self);
    });
}

Term errno_atom(int error) {
    return make_atom(atom::intern(posix::name(error), atom::Owner::kLibrary));
}

// ---- output of the child --------------------------------------------------------------

void take_lines(Port& port) {
    std::string& buf = port.in_buffer;
    size_t max = port.spec.line_length;
    size_t start = 0;
    for (;;) {
        std::string_view rest(buf.data() + start, buf.size() - start);
        size_t nl = rest.substr(0, max + 1).find('\n');
        if (nl != std::string_view::npos) {
            // OTP drops a carriage return before the newline too.
            size_t end = nl > 0 && rest[nl - 1] == '\r' ? nl - 1 : nl;
            to_owner(port, data_message(port, rest.substr(0, end), make_atom(atom::kEol)));
            start += nl + 1;
        } else if (rest.size() > max) {
            to_owner(port, data_message(port, rest.substr(0, max), make_atom(atom::kNoeol)));
            start += max;
        } else {
            break;
        }
    }
    buf.erase(0, start);
}

void take_packets(Port& port) {
    std::string& buf = port.in_buffer;
    unsigned n = port.spec.packet_size;
    size_t start = 0;
    while (buf.size() - start >= n) {
        size_t length = 0;
        for (unsigned i = 0; i < n; ++i)
            length = length << 8 | uint8_t(buf[start + i]);
        if (buf.size() - start - n < length) break;
        to_owner(port, data_message(port, std::string_view(buf).substr(start + n, length)));
        start += n + length;
    }
    buf.erase(0, start);
}

void take_input(Port& port, std::string_view bytes) {
    port.input += bytes.size();
    if (port.spec.framing == Framing::kStream) return to_owner(port, data_message(port, bytes));
    port.in_buffer.append(bytes);
    if (port.spec.framing == Framing::kLine) return take_lines(port);
    take_packets(port);
}

// The output ended and, with exit_status, the child's status is known:
// {exit_status, N}, the rest of a line, then {Port, eof} (option eof) or
// the port's end with reason normal, in OTP's order.
void settle(Port& port) {
    if (!port.open || port.settled || !port.eof_seen) return;
    if (port.spec.exit_status && !port.child_exited) return;
    port.settled = true;
    if (port.spec.exit_status)
        to_owner(port, tagged_message(port, make_atom(atom::kExitStatus), make_small(port.status)));
    if (port.spec.framing == Framing::kLine && !port.in_buffer.empty()) {
        to_owner(port, data_message(port, port.in_buffer, make_atom(atom::kNoeol)));
        port.in_buffer.clear();
    }
    if (port.spec.eof) return to_owner(port, simple_message(port, make_atom(atom::kEof)));
    terminate(port, make_atom(atom::kNormal));
}

void readable(Port& port) {
    if (!port.open || port.in_fd < 0) return;
    char chunk[kReadChunk];
    ssize_t n = read(port.in_fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n > 0) return take_input(port, std::string_view(chunk, size_t(n)));
    poll::unwatch(port.in_fd, true);
    ::close(port.in_fd);
    port.in_fd = -1;
    port.eof_seen = true;
    settle(port);
}

// ---- input of the child ---------------------------------------------------------------

// A write on the poller failed with EPIPE: the SIGPIPE it raised is
// pending on this thread (which blocks it); take it away.
void drop_sigpipe() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&pipe, nullptr, &zero) > 0) {
    }
}

void writable(Port& port) {
    if (!port.open || port.out_fd < 0) return;
    while (port.pending_done < port.pending.size()) {
        ssize_t n = write(port.out_fd, port.pending.data() + port.pending_done,
                          port.pending.size() - port.pending_done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0) {
            int error = errno;
            if (error == EPIPE) drop_sigpipe();
            return terminate(port, errno_atom(error));
        }
        port.pending_done += size_t(n);
    }
    port.pending.clear();
    port.pending_done = 0;
    poll::unwatch(port.out_fd, true);
    port.out_watched = false;
}

// Queues `bytes` with the packet header; the poller writes them.
void queue_output(Port& port, std::string_view bytes) {
    unsigned n = port.spec.packet_size;
    if (n && n < 4 && bytes.size() >> (8 * n)) return terminate(port, make_atom(atom::kEinval));
    if (!port.spec.out || port.out_fd < 0) return terminate(port, make_atom(atom::kEbadf));
    for (unsigned i = n; i-- > 0;)
        port.pending.push_back(char(bytes.size() >> (8 * i)));
    port.pending.append(bytes);
    port.output += bytes.size();
    if (port.out_watched || port.pending.empty()) return;
    port.out_watched = poll::watch(port.out_fd, EPOLLOUT, &port.out_end, true);
    if (!port.out_watched) terminate(port, errno_atom(errno));
}

// ---- the child ------------------------------------------------------------------------

// The child has exited (its pidfd is readable): reap it. False when it
// has not exited after all.
bool child_exited(Port& port) {
    int status = 0;
    pid_t r;
    do {
        r = waitpid(port.os_pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    poll::unwatch(port.pidfd, port.pidfd_keeps_alive);
    ::close(port.pidfd);
    port.pidfd = -1;
    port.child_exited = true;
    // Reaped elsewhere (SIGCHLD ignored): status unknown, 0 as OTP's.
    if (r > 0) port.status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    settle(port);
    return true;
}

void Endpoint::ready(uint32_t) {
    std::lock_guard<std::mutex> guard(port->lock);
    switch (which) {
        case Which::kIn:
            return readable(*port);
        case Which::kOut:
            return writable(*port);
        case Which::kChild:
            // A closed port's last hold goes with its child, freed after
            // this batch of events (poll.h).
            if (!child_exited(*port) || port->open) return;
            if (auto hold = take_closing(*port)) poll::post([hold] {});
            return;
    }
}

// Closes `fd` keeping errno.
void close_keep_errno(int fd) {
    int saved = errno;
    if (fd >= 0) ::close(fd);
    errno = saved;
}

// A pipe with both ends close-on-exec and above the standard descriptors
// (a closed 0-2 of the VM must not be taken by ours); false, errno set.
bool make_pipe(int ends[2]) {
    if (pipe2(ends, O_CLOEXEC) != 0) return false;
    for (int i = 0; i < 2; ++i) {
        if (ends[i] > 2) continue;
        int moved = fcntl(ends[i], F_DUPFD_CLOEXEC, 3);
        close_keep_errno(ends[i]);
        ends[i] = moved;
    }
    if (ends[0] >= 0 && ends[1] >= 0) return true;
    close_keep_errno(ends[0]);
    close_keep_errno(ends[1]);
    return false;
}

// The child's environment: the VM's with the spec's changes.
std::vector<std::string> child_environment(const Spec& spec) {
    std::vector<std::string> env = bif::environment();
    for (const auto& [name, value] : spec.env) {
        std::string prefix = name + "=";
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
        if (value) env.push_back(prefix + *value);
    }
    return env;
}

// SIGPIPE and SIGFPE ignored, as the BEAM's children have them: a shell
// sets them (posix_spawn can only inherit an ignored signal) and execs.
constexpr const char* kIgnoreSignals = "trap '' PIPE FPE; exec ";

// The argument vector: spawn runs `exec Command` in /bin/sh, as OTP's
// erl_child_setup does; spawn_executable runs the file itself, through
// the same shell's exec unless an arg0 is given (dash's exec cannot set
// one: that child keeps every signal at its default).
std::vector<std::string> child_arguments(const Spec& spec, std::string& path) {
    path = "/bin/sh";
    if (!spec.executable) return {"sh", "-c", kIgnoreSignals + spec.command};
    std::vector<std::string> argv{"sh", "-c", kIgnoreSignals + std::string("\"$0\" \"$@\"")};
    if (spec.arg0) {
        path = spec.command;
        argv = {*spec.arg0};
    } else {
        // $0: the program and its argv[0]; with a slash, so that exec does
        // not search the PATH for it.
        bool bare = spec.command.find('/') == std::string::npos;
        argv.push_back(bare ? "./" + spec.command : spec.command);
    }
    if (spec.args) argv.insert(argv.end(), spec.args->begin(), spec.args->end());
    return argv;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (std::string& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Starts the child with `to_child` as its standard input (or /dev/null)
// and `from_child` as its standard output (and error with
// stderr_to_stdout), alone in a new session, every signal at its default.
// The pid, or -1 with `error` set.
pid_t spawn(const Spec& spec, int to_child, int from_child, int& error) {
    std::string path;
    std::vector<std::string> args = child_arguments(spec, path);
    std::vector<std::string> env = child_environment(spec);
    std::vector<char*> argv = c_strings(args), envp = c_strings(env);
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    if (to_child >= 0) {
        posix_spawn_file_actions_adddup2(&actions, to_child, 0);
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    }
    if (from_child >= 0) posix_spawn_file_actions_adddup2(&actions, from_child, 1);
    if (from_child >= 0 && spec.stderr_to_stdout)
        posix_spawn_file_actions_adddup2(&actions, from_child, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (spec.cd) posix_spawn_file_actions_addchdir_np(&actions, spec.cd->c_str());
    posix_spawnattr_init(&attributes);
    sigset_t none, all;
    sigemptyset(&none);
    std::memset(&all, 0xff, sizeof all);  // glibc's own signals too (command.cpp)
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    pid_t pid = -1;
    error = posix_spawn(&pid, path.c_str(), &actions, &attributes, argv.data(), envp.data());
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return error == 0 ? pid : -1;
}

// spawn_executable's checks before the spawn, as OTP's: enoent for a
// file that is not there, eacces for one that may not be run.
int check_executable(const Spec& spec) {
    if (!spec.executable) return 0;
    if (access(spec.command.c_str(), F_OK) != 0) return errno;
    if (access(spec.command.c_str(), X_OK) != 0) return errno;
    return 0;
}

int pidfd_open(pid_t pid) {
    int fd = int(syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0 && fd <= 2) {
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        ::close(fd);
        fd = moved;
    }
    return fd;
}

// Starts the child and its pipes into `port`; an errno value, or 0.
int start_child(Port& port) {
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (int error = check_executable(port.spec)) return error;
    if (port.spec.out && !make_pipe(to_child)) return errno;
    if (port.spec.in && !make_pipe(from_child)) {
        int error = errno;
        close_keep_errno(to_child[0]);
        close_keep_errno(to_child[1]);
        return error;
    }
    int error = 0;
    port.os_pid = spawn(port.spec, to_child[0], from_child[1], error);
    if (to_child[0] >= 0) ::close(to_child[0]);
    if (from_child[1] >= 0) ::close(from_child[1]);
    port.out_fd = to_child[1];
    port.in_fd = from_child[0];
    if (port.os_pid > 0) port.pidfd = pidfd_open(port.os_pid);
    if (error == 0 && port.os_pid > 0 && port.pidfd < 0) error = errno;
    if (error == 0) return 0;
    close_keep_errno(port.out_fd);
    close_keep_errno(port.in_fd);
    port.out_fd = port.in_fd = -1;
    if (port.os_pid > 0) {
        kill(port.os_pid, SIGKILL);
        waitpid(port.os_pid, nullptr, 0);
    }
    return error;
}

// Watches the new port's output and child; an errno value, or 0.
int watch_child(Port& port) {
    if (port.in_fd >= 0) {
        fcntl(port.in_fd, F_SETFL, fcntl(port.in_fd, F_GETFL) | O_NONBLOCK);
        if (!poll::watch(port.in_fd, EPOLLIN, &port.in_end, true)) return errno;
    }
    if (port.out_fd >= 0) fcntl(port.out_fd, F_SETFL, fcntl(port.out_fd, F_GETFL) | O_NONBLOCK);
    // Without `in` there is no output to end: the child's exit is its end.
    port.eof_seen = port.in_fd < 0;
    port.pidfd_keeps_alive = port.spec.exit_status;
    if (!poll::watch(port.pidfd, EPOLLIN, &port.child_end, port.pidfd_keeps_alive)) return errno;
    return 0;
}

std::shared_ptr<Port> new_port(Term owner, const Spec& spec) {
    auto port = std::make_shared<Port>();
    port->spec = spec;
    port->name = spec.command;
    port->owner = owner;
    port->links.push_back(owner);
    port->in_end.port = port->out_end.port = port->child_end.port = port.get();
    port->in_end.which = Which::kIn;
    port->out_end.which = Which::kOut;
    port->child_end.which = Which::kChild;
    return port;
}

// Applies one `Port ! {Pid, What}` from the connected process.
void port_message(Port& port, Term from, Term what) {
    if (what == make_atom(atom::kClose)) {
        terminate(port, make_atom(atom::kNormal));
        return signals::deliver(from, simple_message(port, make_atom(atom::kClosed)));
    }
    if (is_tuple(what) && tuple_arity(what) == 2) {
        Term tag = tuple_element(what, 1), arg = tuple_element(what, 2);
        std::string bytes;
        if (tag == make_atom(atom::kCommand) && binary::flatten_iolist(arg, bytes))
            return queue_output(port, bytes);
        if (tag == make_atom(atom::kConnect) && is_local_pid(arg)) {
            port.owner = arg;
            return signals::deliver(from, simple_message(port, make_atom(atom::kConnected)));
        }
    }
    terminate(port, make_atom(atom::kBadsig));
}

}  // namespace

// ---- the interface --------------------------------------------------------------------

size_t bytes_words(std::string_view bytes, bool binary) {
    return binary ? binary::new_words(uint64_t(bytes.size()) * 8) : bytes.size() * kConsWords;
}

Term put_bytes(Term*& mem, Term*& off_heap, std::string_view bytes, bool binary) {
    if (binary) {
        uint8_t* out = nullptr;
        size_t words = bytes_words(bytes, true);
        Term t = binary::make(mem, uint64_t(bytes.size()) * 8, &out, off_heap);
        if (t != kNone && !bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
        mem += words;
        return t == kNone ? kNil : t;
    }
    Term list = kNil;
    for (size_t i = bytes.size(); i-- > 0;)
        list = make_cons(mem + i * kConsWords, make_small(uint8_t(bytes[i])), list);
    mem += bytes.size() * kConsWords;
    return list;
}

namespace {
bool g_programs_allowed = true;  // set_programs_allowed; read-only while schedulers run
}  // namespace

void set_programs_allowed(bool allowed) {
    g_programs_allowed = allowed;
}

Term open(Process& owner, const Spec& spec, int& error) {
    if (!g_programs_allowed) {
        error = EACCES;
        return kNone;
    }
    std::shared_ptr<Port> port = new_port(owner.pid, spec);
    std::lock_guard<std::mutex> guard(port->lock);
    error = start_child(*port);
    if (error) return kNone;
    {
        std::lock_guard<std::mutex> table(g_table_lock);
        port->number = g_next_number++;
        port->id = make_port(port->number);
        g_table.emplace(port->number, port);
    }
    process::rare(owner).links.push_back(port->id);
    if (int failed = watch_child(*port)) {
        // No poller: the port cannot work; it ends at once as a closed pipe.
        terminate(*port, errno_atom(failed));
    }
    return port->id;
}

Result command(Term port, std::string bytes) {
    std::shared_ptr<Port> p = find(port);
    if (!p) return Result::kClosed;
    std::lock_guard<std::mutex> guard(p->lock);
    if (!p->open) return Result::kClosed;
    queue_output(*p, bytes);
    return Result::kOk;
}

Result close(Term port) {
    std::shared_ptr<Port> p = find(port);
    if (!p) return Result::kClosed;
    std::lock_guard<std::mutex> guard(p->lock);
    if (!p->open) return Result::kClosed;
    terminate(*p, make_atom(atom::kNormal));
    return Result::kOk;
}

Result connect(Term port, Term pid) {
    std::shared_ptr<Port> p = find(port);
    if (!p) return Result::kClosed;
    {
        std::lock_guard<std::mutex> guard(p->lock);
        if (!p->open) return Result::kClosed;
        p->owner = pid;
        if (std::find(p->links.begin(), p->links.end(), pid) != p->links.end()) return Result::kOk;
        p->links.push_back(pid);
    }
    // Outside the lock: a dead pid answers with an exit signal to the port.
    signals::link_from_port(pid, port);
    return Result::kOk;
}

void send(Term port, Term msg) {
    std::shared_ptr<Port> p = find(port);
    if (!p) return;
    std::lock_guard<std::mutex> guard(p->lock);
    if (!p->open) return;
    if (!is_tuple(msg) || tuple_arity(msg) != 2 || tuple_element(msg, 1) != p->owner)
        return terminate(*p, make_atom(atom::kBadsig));
    port_message(*p, tuple_element(msg, 1), tuple_element(msg, 2));
}

// monitor(port, _) and demonitor: the port's end of a monitor. A
// monitor that reaches a port already closed gets 'DOWN' noproc.
void monitor_signal(Port* p, Term port, Signal* s) {
    if (s->kind == Kind::Demonitor) {
        if (p) std::erase_if(p->monitors, [s](const auto& m) { return m.first == s->ref; });
    } else if (p && p->open) {
        p->monitors.emplace_back(s->ref, s->from);
    } else {
        signals::deliver(s->from, signals::port_down(port, s->ref, make_atom(atom::kNoproc)));
    }
}

void signal(Term port, Signal* s) {
    std::shared_ptr<Port> p = find(port);
    if (!p && inet::is_socket(port)) return inet::signal(port, s);
    if (s->kind == Kind::Monitor || s->kind == Kind::Demonitor) {
        std::unique_lock<std::mutex> guard;
        if (p) guard = std::unique_lock<std::mutex>(p->lock);
        monitor_signal(p.get(), port, s);
        mailbox::signal_free(s);
        return;
    }
    if (p) {
        std::lock_guard<std::mutex> guard(p->lock);
        auto link = std::find(p->links.begin(), p->links.end(), s->from);
        bool linked = link != p->links.end();
        Term reason =
            s->kind == Kind::Exit || s->kind == Kind::ExitBif ? tuple_element(s->term, 3) : kNone;
        if (s->kind == Kind::Unlink && linked) p->links.erase(link);
        if (s->kind == Kind::Exit && linked) {
            p->links.erase(link);
            // The connected process's end closes the port, whatever it was.
            if (s->from == p->owner || reason != make_atom(atom::kNormal)) terminate(*p, reason);
        }
        // exit/2 closes a port whatever the reason, normal included (OTP).
        if (s->kind == Kind::ExitBif)
            terminate(*p, reason == make_atom(atom::kKill) ? make_atom(atom::kKilled) : reason);
    }
    mailbox::signal_free(s);
}

bool link(Term port, Term pid) {
    std::shared_ptr<Port> p = find(port);
    if (!p) return false;
    std::lock_guard<std::mutex> guard(p->lock);
    if (!p->open) return false;
    if (std::find(p->links.begin(), p->links.end(), pid) == p->links.end()) p->links.push_back(pid);
    return true;
}

void unlink(Term port, Term pid) {
    std::shared_ptr<Port> p = find(port);
    if (!p) return;
    std::lock_guard<std::mutex> guard(p->lock);
    std::erase(p->links, pid);
}

bool is_open(Term port) {
    return find(port) != nullptr;
}

namespace {

// What port_info reads, copied under the lock.
struct Snapshot {
    std::string name;
    std::vector<Term> links;
    std::vector<Term> monitored_by;  // watcher pids
    Term owner;
    uint64_t number, input, output;
    pid_t os_pid;
    uint64_t queued;  // bytes not yet written to the program
    uint64_t memory;  // bytes the port holds (beamlite's count)
};

constexpr uint32_t kItems[] = {atom::kName,  atom::kLinks,  atom::kId,   atom::kConnected,
                               atom::kInput, atom::kOutput, atom::kOsPid};

size_t info_words(const Snapshot& s, Term item) {
    if (item == make_atom(atom::kName)) return 3 + s.name.size() * kConsWords;
    if (item == make_atom(atom::kLinks)) return 3 + s.links.size() * kConsWords;
    if (item == make_atom(atom::kMonitoredBy)) return 3 + s.monitored_by.size() * kConsWords;
    return 3;
}

// {Item, Value} in `mem`, which it moves past.
Term put_info(Term*& mem, const Snapshot& s, Term item) {
    Term value;
    if (item == make_atom(atom::kName)) {
        Term* no_off_heap = nullptr;  // a list: no binary handles
        value = put_bytes(mem, no_off_heap, s.name, false);
    } else if (item == make_atom(atom::kLinks) || item == make_atom(atom::kMonitoredBy)) {
        const std::vector<Term>& pids = item == make_atom(atom::kLinks) ? s.links : s.monitored_by;
        value = kNil;
        for (size_t i = pids.size(); i-- > 0;)
            value = make_cons(mem + i * kConsWords, pids[i], value);
        mem += pids.size() * kConsWords;
    } else if (item == make_atom(atom::kId)) {
        value = make_small(int64_t(s.number));
    } else if (item == make_atom(atom::kConnected)) {
        value = s.owner;
    } else if (item == make_atom(atom::kInput)) {
        value = make_small(int64_t(s.input));
    } else if (item == make_atom(atom::kOutput)) {
        value = make_small(int64_t(s.output));
    } else if (item == make_atom(atom::kMemory)) {
        value = make_small(int64_t(s.memory));
    } else if (item == make_atom(atom::kQueueSize)) {
        value = make_small(int64_t(s.queued));
    } else if (item == make_atom(atom::kMonitors)) {
        value = kNil;  // a port monitors nothing
    } else if (item == make_atom(atom::kParallelism)) {
        value = make_atom(atom::kFalse);
    } else if (item == make_atom(atom::kLocking)) {
        value = make_atom(atom::kPortLevel);
    } else {
        value = s.os_pid > 0 ? make_small(s.os_pid) : make_atom(atom::kUndefined);
    }
    return put_tuple2(mem, item, value);
}

// The items port_info/2 answers beyond port_info/1's.
constexpr uint32_t kMoreItems[] = {atom::kRegisteredName, atom::kMemory,      atom::kQueueSize,
                                   atom::kMonitors,       atom::kMonitoredBy, atom::kParallelism,
                                   atom::kLocking};

bool known_item(Term item) {
    for (uint32_t a : kItems)
        if (item == make_atom(a)) return true;
    for (uint32_t a : kMoreItems)
        if (item == make_atom(a)) return true;
    return false;
}

// The port's state, or false when it is not open.
bool snapshot(Term port, Snapshot& s) {
    std::shared_ptr<Port> q = find(port);
    if (!q) return false;
    std::lock_guard<std::mutex> guard(q->lock);
    if (!q->open) return false;
    uint64_t queued = q->pending.size() - q->pending_done;
    uint64_t memory = sizeof(Port) + q->pending.capacity() + q->in_buffer.capacity();
    std::vector<Term> watchers;
    for (const auto& monitor : q->monitors)
        watchers.push_back(monitor.second);
    s = Snapshot{q->name,  q->links,  std::move(watchers), q->owner, q->number,
                 q->input, q->output, q->os_pid,           queued,   memory};
    return true;
}

}  // namespace

Term info(Process& p, Term port, Term item, bool& bad_item) {
    Snapshot s;
    bad_item = false;
    if (!snapshot(port, s)) return make_atom(atom::kUndefined);  // before the item (OTP)
    bad_item = !known_item(item);
    if (bad_item) return kNone;
    if (item == make_atom(atom::kRegisteredName)) return kNil;  // no port has a name: []
    Term* mem = alloc(p, info_words(s, item));
    if (!mem) return bif::heap_exhausted(p);
    return put_info(mem, s, item);
}

Term info_all(Process& p, Term port) {
    Snapshot s;
    if (!snapshot(port, s)) return make_atom(atom::kUndefined);
    size_t words = std::size(kItems) * kConsWords;
    for (uint32_t a : kItems)
        words += info_words(s, make_atom(a));
    Term* mem = alloc(p, words);
    if (!mem) return bif::heap_exhausted(p);
    Term* cells = mem;
    mem += std::size(kItems) * kConsWords;
    Term list = kNil;
    for (size_t i = std::size(kItems); i-- > 0;)
        list = make_cons(cells + i * kConsWords, put_info(mem, s, make_atom(kItems[i])), list);
    return list;
}

std::vector<Term> all() {
    std::lock_guard<std::mutex> guard(g_table_lock);
    std::vector<Term> ports;
    for (const auto& [number, port] : g_table)
        ports.push_back(make_port(number));
    return ports;
}

size_t count() {
    std::lock_guard<std::mutex> guard(g_table_lock);
    return g_table.size();
}

uint64_t reserve_number() {
    std::lock_guard<std::mutex> guard(g_table_lock);
    return g_next_number++;
}

}  // namespace port
