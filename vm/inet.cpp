// inet: the socket table, the Socket object, reading, framing and
// writing on the poller, and the replies and messages sockets send (see
// inet.h).
#include "vm/inet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vm/atom.h"
#include "vm/bif.h"
#include "vm/heap.h"
#include "vm/packet.h"
#include "vm/poll.h"
#include "vm/port.h"
#include "vm/posix.h"
#include "vm/signal.h"

namespace inet {

using namespace term;
using mailbox::Kind;
using mailbox::Signal;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Queued output past which a sender waits, and below which it goes on
// (OTP's high_watermark and low_watermark, larger: loopback is fast).
constexpr size_t kHighWatermark = 64 * 1024;
constexpr size_t kLowWatermark = 16 * 1024;
constexpr int kActiveMax = 32767;  // OTP's bound on {active, N}'s counter

// ---- atoms ------------------------------------------------------------------------------

// The atoms sockets speak, made once as the library's (atom::Owner):
// they are OTP's option and message names, not the VM's own.
struct Atoms {
    Term tcp, udp, tcp_closed, tcp_error, tcp_passive, udp_passive, inet_async, wait, once, list,
        active, mode, raw, reuseaddr, nodelay, keepalive, recbuf, sndbuf, send_timeout, ipv6_v6only,
        enotconn, http;
};

Term intern(std::string_view text) {
    return make_atom(atom::intern(text, atom::Owner::kLibrary));
}

const Atoms& atoms() {
    static const Atoms a{
        intern("tcp"),         intern("udp"),         intern("tcp_closed"),   intern("tcp_error"),
        intern("tcp_passive"), intern("udp_passive"), intern("inet_async"),   intern("wait"),
        intern("once"),        intern("list"),        intern("active"),       intern("mode"),
        intern("raw"),         intern("reuseaddr"),   intern("nodelay"),      intern("keepalive"),
        intern("recbuf"),      intern("sndbuf"),      intern("send_timeout"), intern("ipv6_v6only"),
        intern("enotconn"),    intern("http")};
    return a;
}

Term errno_atom(int error) {
    return intern(posix::name(error));
}

Outcome error(Term reason) {
    Outcome o;
    o.kind = Outcome::Kind::kError;
    o.value = reason;
    return o;
}

Outcome closed() {
    return error(make_atom(atom::kClosed));
}

Outcome ok() {
    return Outcome{};
}

Outcome wait() {
    Outcome o;
    o.kind = Outcome::Kind::kWait;
    return o;
}

// ---- the socket ------------------------------------------------------------------------

enum class Active : uint8_t { kFalse, kTrue, kOnce, kCount };

struct Socket final : poll::Handler, std::enable_shared_from_this<Socket> {
    std::mutex lock;
    uint64_t number = 0;
    Term id = kNil;
    Term owner = kNil;
    int fd = -1;
    Proto proto = Proto::kTcp;
    int family = AF_INET;
    Active active = Active::kTrue;
    int active_count = 0;  // kCount: messages left before passive
    packet::Type packet = packet::Type::kRaw;
    bool http_headers = false;  // http, http_bin: the first line read, header lines follow
    bool binary = false;
    bool open = true;  // not closed by the program or its owner's end
    bool listening = false;
    bool connecting = false;
    bool connected = false;    // TCP: connected or accepted; only then is there data
    bool eof = false;          // the peer closed or reset: nothing more comes
    bool closed_told = false;  // {tcp_closed, S} sent
    bool write_failed = false;
    bool registered = false;    // fd is in the poller's epoll set
    int shutdown_pending = -1;  // a shutdown to do once the output is written
    uint32_t armed = 0;         // the events epoll will report (oneshot)
    int64_t send_timeout = -1;  // ms; -1: infinity
    std::string in;             // read, not yet delivered
    std::string out;            // queued for the peer, from out_done on
    size_t out_done = 0;
    std::vector<Waiter> readers;  // recv or accept, oldest first
    std::vector<Waiter> senders;  // waiting for the queue to drain
    std::vector<Waiter> connector;
    bool lingering = false;  // closed, writing its queue (held in g_lingering)

    void ready(uint32_t events) override;
};

using SocketPtr = std::shared_ptr<Socket>;

// ---- the table ---------------------------------------------------------------------------

// Sharded by number so that the poller and the schedulers rarely meet on
// one lock. Never destroyed: the poller may use it while the VM exits.
constexpr size_t kShards = 16;
struct Shard {
    std::mutex lock;
    std::unordered_map<uint64_t, SocketPtr> sockets;
};
Shard* const g_shards = new Shard[kShards];

Shard& shard(uint64_t number) {
    return g_shards[number % kShards];
}

SocketPtr find(Term t) {
    if (!is_local_port(t)) return nullptr;
    Shard& sh = shard(port_number(t));
    std::lock_guard<std::mutex> guard(sh.lock);
    auto it = sh.sockets.find(port_number(t));
    return it == sh.sockets.end() ? nullptr : it->second;
}

void insert(const SocketPtr& s) {
    Shard& sh = shard(s->number);
    std::lock_guard<std::mutex> guard(sh.lock);
    sh.sockets.emplace(s->number, s);
}

// Closed sockets still writing their queue: held here (not by a cycle
// through themselves) so that they stay reachable, for leak checkers too.
std::mutex& g_lingering_lock = *new std::mutex;
std::unordered_map<const Socket*, SocketPtr>& g_lingering =
    *new std::unordered_map<const Socket*, SocketPtr>;

void start_lingering(Socket& s) {
    s.lingering = true;
    std::lock_guard<std::mutex> guard(g_lingering_lock);
    g_lingering.emplace(&s, s.shared_from_this());
}

void stop_lingering(const Socket& s) {
    std::lock_guard<std::mutex> guard(g_lingering_lock);
    g_lingering.erase(&s);
}

void erase(const Socket& s) {
    Shard& sh = shard(s.number);
    std::lock_guard<std::mutex> guard(sh.lock);
    sh.sockets.erase(s.number);
}

// ---- terms -------------------------------------------------------------------------------

bool is_v6(const Address& a) {
    return a.storage.ss_family == AF_INET6;
}

size_t ip_words(const Address& a) {
    return is_v6(a) ? 9 : 5;
}

int address_port(const Address& a) {
    if (is_v6(a)) return ntohs(reinterpret_cast<const sockaddr_in6&>(a.storage).sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in&>(a.storage).sin_port);
}

// {A, B, C, D} or the eight 16-bit words of an IPv6 address.
Term put_ip(Term*& mem, const Address& a) {
    Term t;
    if (is_v6(a)) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a.storage);
        t = make_tuple(mem, 8);
        for (int i = 0; i < 8; ++i)
            mem[1 + i] =
                make_small(in6.sin6_addr.s6_addr[2 * i] << 8 | in6.sin6_addr.s6_addr[2 * i + 1]);
        mem += 9;
        return t;
    }
    uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in&>(a.storage).sin_addr.s_addr);
    t = make_tuple(mem, 4);
    for (int i = 0; i < 4; ++i)
        mem[1 + i] = make_small((ip >> (24 - 8 * i)) & 0xff);
    mem += 5;
    return t;
}

Term put_tuple(Term*& mem, std::initializer_list<Term> items) {
    Term t = make_tuple(mem, items.size());
    size_t i = 1;
    for (Term item : items)
        mem[i++] = item;
    mem += 1 + items.size();
    return t;
}

size_t outcome_words(const Outcome& o) {
    switch (o.kind) {
        case Outcome::Kind::kOk:
            return 0;
        case Outcome::Kind::kWait:
            return o.value == kNone ? 0 : 3;
        case Outcome::Kind::kError:
        case Outcome::Kind::kSocket:
        case Outcome::Kind::kValue:
            return 3;
        case Outcome::Kind::kData:
            return 3 + port::bytes_words(o.bytes, o.binary);
        case Outcome::Kind::kHttp:
            return 3 + packet::words(packet::parse(o.bytes, o.header_line), o.binary);
        case Outcome::Kind::kAddress:
            return 3 + 3 + ip_words(o.address);
        case Outcome::Kind::kDatagram:
            return 3 + 4 + ip_words(o.address) + port::bytes_words(o.bytes, o.binary);
    }
    return 0;
}

Term put_outcome(Term*& mem, Term*& off_heap, const Outcome& o) {
    Term ok_atom = make_atom(atom::kOk);
    switch (o.kind) {
        case Outcome::Kind::kOk:
            return ok_atom;
        case Outcome::Kind::kWait:
            return o.value == kNone ? atoms().wait : put_tuple(mem, {atoms().wait, o.value});
        case Outcome::Kind::kError:
            return put_tuple(mem, {make_atom(atom::kError), o.value});
        case Outcome::Kind::kSocket:
        case Outcome::Kind::kValue:
            return put_tuple(mem, {ok_atom, o.value});
        case Outcome::Kind::kData: {
            Term data = port::put_bytes(mem, off_heap, o.bytes, o.binary);
            return put_tuple(mem, {ok_atom, data});
        }
        case Outcome::Kind::kHttp: {
            Term data = packet::put(mem, off_heap, packet::parse(o.bytes, o.header_line), o.binary);
            return put_tuple(mem, {ok_atom, data});
        }
        case Outcome::Kind::kAddress: {
            Term ip = put_ip(mem, o.address);
            Term pair = put_tuple(mem, {ip, make_small(address_port(o.address))});
            return put_tuple(mem, {ok_atom, pair});
        }
        case Outcome::Kind::kDatagram: {
            Term ip = put_ip(mem, o.address);
            Term data = port::put_bytes(mem, off_heap, o.bytes, o.binary);
            Term triple = put_tuple(mem, {ip, make_small(address_port(o.address)), data});
            return put_tuple(mem, {ok_atom, triple});
        }
    }
    return ok_atom;
}

// A message from socket `from` in a fragment of its own.
class Message {
  public:
    Message(Term from, size_t words) : signal_(mailbox::signal_new(Kind::Message, from)) {
        signal_->fragment = heap::fragment_new(words);
        mem_ = heap::fragment_alloc(signal_->fragment, words);
    }
    Term*& mem() { return mem_; }
    Term*& off_heap() { return signal_->fragment->off_heap; }
    void send(Term to, Term msg) {
        signal_->term = msg;
        signals::deliver(to, signal_);
    }

  private:
    Signal* signal_;
    Term* mem_;
};

// {inet_async, S, Ref, Result} to the waiter.
void answer(const Socket& s, const Waiter& w, const Outcome& o) {
    Message m(s.id, 5 + kRefWords + outcome_words(o));
    Term ref = make_ref(m.mem(), w.ref_id, w.ref_extra);
    m.mem() += kRefWords;
    Term result = put_outcome(m.mem(), m.off_heap(), o);
    m.send(w.pid, put_tuple(m.mem(), {atoms().inet_async, s.id, ref, result}));
}

void answer_all(const Socket& s, std::vector<Waiter>& waiters, const Outcome& o) {
    for (const Waiter& w : waiters)
        answer(s, w, o);
    waiters.clear();
}

// {Tag, S} to the owner (tcp_closed, tcp_passive, udp_passive).
void tell_owner(const Socket& s, Term tag) {
    Message m(s.id, 3);
    m.send(s.owner, put_tuple(m.mem(), {tag, s.id}));
}

// {tcp, S, Data} to the owner, or {http, S, HttpPacket}.
void data_to_owner(const Socket& s, const Outcome& o) {
    if (o.kind == Outcome::Kind::kHttp) {
        packet::Http http = packet::parse(o.bytes, o.header_line);
        Message m(s.id, 4 + packet::words(http, o.binary));
        Term data = packet::put(m.mem(), m.off_heap(), http, o.binary);
        m.send(s.owner, put_tuple(m.mem(), {atoms().http, s.id, data}));
        return;
    }
    Message m(s.id, 4 + port::bytes_words(o.bytes, s.binary));
    Term data = port::put_bytes(m.mem(), m.off_heap(), o.bytes, s.binary);
    m.send(s.owner, put_tuple(m.mem(), {atoms().tcp, s.id, data}));
}

// {udp, S, IP, Port, Data} to the owner.
void datagram_to_owner(const Socket& s, const Outcome& d) {
    Message m(s.id, 6 + ip_words(d.address) + port::bytes_words(d.bytes, s.binary));
    Term ip = put_ip(m.mem(), d.address);
    Term data = port::put_bytes(m.mem(), m.off_heap(), d.bytes, s.binary);
    m.send(s.owner,
           put_tuple(m.mem(), {atoms().udp, s.id, ip, make_small(address_port(d.address)), data}));
}

// ---- arming ------------------------------------------------------------------------------

bool wants_read(const Socket& s) {
    if (!s.open || s.fd < 0 || s.connecting) return false;
    if (s.listening) return !s.readers.empty();
    if (s.eof || (s.proto == Proto::kTcp && !s.connected)) return false;
    return s.active != Active::kFalse || !s.readers.empty();
}

bool wants_write(const Socket& s) {
    return s.fd >= 0 && (s.connecting || s.out_done < s.out.size());
}

// Arms the descriptor for what someone waits for. An event disarms it
// (EPOLLONESHOT), so a socket nobody reads is never reported.
void arm(Socket& s) {
    uint32_t want = (wants_read(s) ? EPOLLIN : 0u) | (wants_write(s) ? EPOLLOUT : 0u);
    if (!s.registered || (want & ~s.armed) == 0) return;
    if (poll::modify(s.fd, want | EPOLLONESHOT, &s)) s.armed = want;
}

// ---- ending ------------------------------------------------------------------------------

// The descriptor closed and unwatched; the Socket freed by a poller task,
// after any batch of events that may still name it (poll.h).
void release(Socket& s) {
    if (s.fd >= 0) {
        if (s.registered) poll::unwatch(s.fd, true);
        ::close(s.fd);
        s.fd = -1;
        s.registered = false;
    }
    SocketPtr hold = s.shared_from_this();
    if (s.lingering) stop_lingering(s);
    poll::post([hold] {});
}

// Closes `s` for the program: waiters get {error, closed}. With `linger`
// (gen_tcp:close) queued output is still written, the socket lingering
// until it is, as OTP's close waits for its queue; the owner's end
// drops it (OTP's driver stops at once then).
void close_socket(Socket& s, bool linger) {
    if (!s.open) return;
    s.open = false;
    erase(s);
    answer_all(s, s.readers, closed());
    answer_all(s, s.senders, closed());
    answer_all(s, s.connector, closed());
    if (linger && wants_write(s) && !s.write_failed && !s.connecting) {
        start_lingering(s);
        return arm(s);
    }
    release(s);
}

// ---- reading -----------------------------------------------------------------------------

// One read into s.in: > 0 bytes read, 0 at the end (a reset or error is
// an end too: OTP's show_econnreset is false), -1 when nothing is there.
ssize_t fill(Socket& s) {
    char chunk[kReadChunk];
    for (;;) {
        ssize_t n = ::recv(s.fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n > 0) {
            s.in.append(chunk, size_t(n));
            return n;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
        s.eof = true;
        return 0;
    }
}

size_t header_size(packet::Type p) {
    using packet::Type;
    return p == Type::k1 ? 1 : p == Type::k2 ? 2 : p == Type::k4 ? 4 : 0;
}

Outcome data(const Socket& s, std::string&& bytes) {
    Outcome o;
    o.kind = Outcome::Kind::kData;
    o.bytes = std::move(bytes);
    o.binary = s.binary;
    return o;
}

// An HTTP line as a delivery; the socket's http or http_bin goes on to
// header lines after a request or status line, and back after the
// headers' end, as OTP's driver does.
Outcome http_line(Socket& s, std::string&& line) {
    Outcome o;
    o.kind = Outcome::Kind::kHttp;
    o.header_line = s.http_headers || packet::is_header_type(s.packet);
    o.binary = s.packet == packet::Type::kHttpBin || s.packet == packet::Type::kHttphBin;
    o.bytes = std::move(line);
    if (!packet::is_header_type(s.packet)) {
        packet::Http::Kind kind = packet::parse(o.bytes, o.header_line).kind;
        if (kind == packet::Http::Kind::kRequest || kind == packet::Http::Kind::kResponse)
            s.http_headers = true;
        if (kind == packet::Http::Kind::kEndOfHeaders) s.http_headers = false;
    }
    return o;
}

// Takes the next delivery out of s.in into `o`: `length` bytes (raw; 0:
// all there is), or one packet of the socket's type (packet.h).
bool take(Socket& s, size_t length, Outcome& o) {
    std::string& in = s.in;
    std::string frame;
    if (s.packet == packet::Type::kRaw) {
        if (in.empty() || in.size() < length) return false;
        if (length == 0 || length == in.size()) {
            frame.swap(in);
        } else {
            frame.assign(in, 0, length);
            in.erase(0, length);
        }
        o = data(s, std::move(frame));
        return true;
    }
    packet::Split cut = packet::split(s.packet, in, packet::Limits{}, s.http_headers);
    if (cut.status != packet::Split::Status::kPacket) return false;
    frame.assign(in, cut.header, cut.body);
    in.erase(0, cut.size());
    o = packet::is_http(s.packet) ? http_line(s, std::move(frame)) : data(s, std::move(frame));
    return true;
}

// One message counted against {active, once | N}.
void count_active(Socket& s) {
    if (s.active == Active::kOnce) {
        s.active = Active::kFalse;
    } else if (s.active == Active::kCount && --s.active_count <= 0) {
        s.active = Active::kFalse;
        tell_owner(s, s.proto == Proto::kTcp ? atoms().tcp_passive : atoms().udp_passive);
    }
}

// Waiting readers first, then an active owner: what s.in holds goes out.
void serve(Socket& s) {
    Outcome delivery;
    while (!s.readers.empty()) {
        Waiter w = s.readers.front();
        if (take(s, w.length, delivery)) {
            answer(s, w, delivery);
        } else if (s.eof) {
            answer(s, w, closed());
        } else {
            return;
        }
        s.readers.erase(s.readers.begin());
    }
    while (s.active != Active::kFalse && take(s, 0, delivery)) {
        data_to_owner(s, delivery);
        count_active(s);
    }
    if (s.active != Active::kFalse && s.eof && !s.closed_told) {
        s.closed_told = true;
        tell_owner(s, atoms().tcp_closed);
    }
}

// An option just set may make the socket active: what the kernel holds
// already goes to the owner now, as OTP's driver reads at setopts, not
// when the poller next reports the descriptor. So {active, N} then
// {active, -1} counts data that had arrived, whatever the poller's timing.
// A few reads at most: a flooding peer waits for the poller.
void serve_at_once(Socket& s) {
    constexpr int kReads = 4;
    serve(s);
    for (int i = 0; i < kReads && s.connected && !s.eof && s.active != Active::kFalse; ++i) {
        if (fill(s) < 0) break;
        serve(s);
    }
}

// One datagram, or false when none is there.
bool read_datagram(Socket& s, Outcome& d) {
    char chunk[kReadChunk];
    d.address.length = sizeof d.address.storage;
    ssize_t n;
    do {
        n = ::recvfrom(s.fd, chunk, sizeof chunk, MSG_DONTWAIT,
                       reinterpret_cast<sockaddr*>(&d.address.storage), &d.address.length);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return false;
    d.kind = Outcome::Kind::kDatagram;
    d.bytes.assign(chunk, size_t(n));
    d.binary = s.binary;
    return true;
}

void udp_readable(Socket& s) {
    Outcome d;
    if (!read_datagram(s, d)) return;
    if (!s.readers.empty()) {
        answer(s, s.readers.front(), d);
        s.readers.erase(s.readers.begin());
    } else if (s.active != Active::kFalse) {
        datagram_to_owner(s, d);
        count_active(s);
    }
}

// ---- sockets made -----------------------------------------------------------------------

// A Socket for `fd` (non-blocking already), in the table and the poller;
// an accepted connection takes the options of its `listener`, as OTP's.
// Set up under its lock: the poller may report it as soon as it is
// watched.
SocketPtr make_socket(int fd, Proto proto, int family, Term owner,
                      const Socket* listener = nullptr) {
    auto s = std::make_shared<Socket>();
    std::lock_guard<std::mutex> guard(s->lock);
    s->number = port::reserve_number();
    s->id = make_port(s->number);
    s->fd = fd;
    s->proto = proto;
    s->family = family;
    s->owner = owner;
    if (listener) {
        s->active = listener->active;
        s->active_count = listener->active_count;
        s->packet = listener->packet;
        s->binary = listener->binary;
        s->send_timeout = listener->send_timeout;
        s->connected = true;
    }
    insert(s);
    s->registered = poll::watch(fd, EPOLLONESHOT, s.get(), true);
    return s;
}

SocketPtr accepted(const Socket& listener, int fd, Term owner) {
    return make_socket(fd, Proto::kTcp, listener.family, owner, &listener);
}

int accept_fd(const Socket& s) {
    int fd;
    do {
        fd = ::accept4(s.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

Outcome socket_outcome(Term id) {
    Outcome o;
    o.kind = Outcome::Kind::kSocket;
    o.value = id;
    return o;
}

// On the poller: connections for the waiting acceptors. The acceptor
// owns the new socket; its end of the link comes as a link signal,
// before the reply.
void accept_waiters(Socket& s) {
    while (!s.readers.empty()) {
        int fd = accept_fd(s);
        if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        Waiter w = s.readers.front();
        s.readers.erase(s.readers.begin());
        if (fd < 0) {
            answer(s, w, error(errno_atom(errno)));
            continue;
        }
        SocketPtr c = accepted(s, fd, w.pid);
        signals::link_from_port(w.pid, c->id);
        answer(s, w, socket_outcome(c->id));
    }
}

// ---- writing ------------------------------------------------------------------------------

// Writes what the kernel takes of the queue; false when the peer is gone.
bool write_queue(Socket& s) {
    while (s.out_done < s.out.size()) {
        ssize_t n = ::send(s.fd, s.out.data() + s.out_done, s.out.size() - s.out_done,
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        if (n < 0) {
            s.write_failed = true;
            s.out.clear();
            s.out_done = 0;
            return false;
        }
        s.out_done += size_t(n);
    }
    s.out.clear();
    s.out_done = 0;
    return true;
}

size_t queued(const Socket& s) {
    return s.out.size() - s.out_done;
}

// After a write on the poller: senders go on, a pending shutdown is done,
// a closed socket's lingering ends.
void written(Socket& s) {
    if (s.write_failed) answer_all(s, s.senders, closed());
    if (queued(s) <= kLowWatermark) answer_all(s, s.senders, ok());
    if (queued(s) > 0) return;
    if (s.shutdown_pending >= 0) {
        ::shutdown(s.fd, s.shutdown_pending);
        s.shutdown_pending = -1;
    }
    if (!s.open) release(s);
}

void finish_connect(Socket& s) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    // An event from before the connect began (a fresh socket reports
    // EPOLLHUP): still under way, wait on.
    if (!err && getpeername(s.fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 &&
        errno == ENOTCONN)
        return;
    s.connecting = false;
    // A connection that failed never was: no tcp_closed for it.
    if (err) s.eof = s.closed_told = true;
    s.connected = !err;
    answer_all(s, s.connector, err ? error(errno_atom(err)) : ok());
}

void Socket::ready(uint32_t events) {
    std::lock_guard<std::mutex> guard(lock);
    armed = 0;
    if (fd < 0) return;
    constexpr uint32_t kWritable = EPOLLOUT | EPOLLERR | EPOLLHUP;
    if (connecting && (events & kWritable)) finish_connect(*this);
    if (queued(*this) > 0 && (events & kWritable)) {
        write_queue(*this);
        written(*this);
        if (fd < 0) return;  // released
    }
    if (wants_read(*this) && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        if (listening) {
            accept_waiters(*this);
        } else if (proto == Proto::kUdp) {
            udp_readable(*this);
        } else if (fill(*this) != -1) {
            serve(*this);
        }
    }
    arm(*this);
}

// The packet header for `size` bytes; false when it does not fit.
bool packet_header(packet::Type p, size_t size, std::string& header) {
    size_t n = header_size(p);
    if (n == 0) return true;
    if (n < 4 && size >> (8 * n)) return false;
    if (size >> 32) return false;
    for (size_t i = n; i-- > 0;)
        header.push_back(char(size >> (8 * i)));
    return true;
}

// ---- options -------------------------------------------------------------------------------

bool is_bool(Term v) {
    return v == make_atom(atom::kTrue) || v == make_atom(atom::kFalse);
}

Term bool_term(bool b) {
    return make_atom(b ? atom::kTrue : atom::kFalse);
}

// A socket-level option's level and name, or false.
bool kernel_option(const Socket& s, Term key, int& level, int& name) {
    const Atoms& a = atoms();
    level = SOL_SOCKET;
    if (key == a.reuseaddr) {
        name = SO_REUSEADDR;
    } else if (key == a.keepalive) {
        name = SO_KEEPALIVE;
    } else if (key == a.recbuf) {
        name = SO_RCVBUF;
    } else if (key == a.sndbuf) {
        name = SO_SNDBUF;
    } else if (key == a.nodelay && s.proto == Proto::kTcp) {
        level = IPPROTO_TCP;
        name = TCP_NODELAY;
    } else if (key == a.ipv6_v6only && s.family == AF_INET6) {
        level = IPPROTO_IPV6;
        name = IPV6_V6ONLY;
    } else {
        return false;
    }
    return true;
}

// Booleans, but for the buffer sizes.
bool is_flag(int level, int name) {
    return level != SOL_SOCKET || (name != SO_RCVBUF && name != SO_SNDBUF);
}

Outcome set_kernel_option(Socket& s, int level, int name, Term value) {
    int v;
    if (is_flag(level, name)) {
        if (!is_bool(value)) return error(make_atom(atom::kEinval));
        v = value == make_atom(atom::kTrue);
    } else {
        if (!is_small(value) || small_value(value) < 0 || small_value(value) > INT32_MAX)
            return error(make_atom(atom::kEinval));
        v = int(small_value(value));
    }
    if (setsockopt(s.fd, level, name, &v, sizeof v) != 0) return error(errno_atom(errno));
    return ok();
}

// {active, N}: N is added to the counter; at zero or below the socket
// goes passive and says so (OTP).
void set_active_count(Socket& s, int64_t n) {
    int64_t count = (s.active == Active::kCount ? s.active_count : 0) + n;
    if (count > kActiveMax) count = kActiveMax;
    if (count <= 0) {
        s.active = Active::kFalse;
        s.active_count = 0;
        tell_owner(s, s.proto == Proto::kTcp ? atoms().tcp_passive : atoms().udp_passive);
        return;
    }
    s.active = Active::kCount;
    s.active_count = int(count);
}

bool set_active(Socket& s, Term v) {
    if (v == make_atom(atom::kTrue)) {
        s.active = Active::kTrue;
    } else if (v == make_atom(atom::kFalse)) {
        s.active = Active::kFalse;
    } else if (v == atoms().once) {
        s.active = Active::kOnce;
    } else if (is_small(v) && small_value(v) >= -32768 && small_value(v) <= kActiveMax) {
        set_active_count(s, small_value(v));
    } else {
        return false;
    }
    return true;
}

// A new packet type starts at a first line again (HTTP).
bool set_packet(Socket& s, Term v) {
    if (!packet::from_term(v, s.packet)) return false;
    s.http_headers = false;
    return true;
}

bool set_send_timeout(Socket& s, Term v) {
    if (v == make_atom(atom::kInfinity)) {
        s.send_timeout = -1;
    } else if (is_small(v) && small_value(v) >= 0) {
        s.send_timeout = small_value(v);
    } else {
        return false;
    }
    return true;
}

// The VM's own options; false for a key not among them.
bool set_own_option(Socket& s, Term key, Term v, bool& valid) {
    const Atoms& a = atoms();
    if (key == a.active) {
        valid = set_active(s, v);
    } else if (key == a.mode) {
        valid = v == make_atom(atom::kBinary) || v == a.list;
        s.binary = valid ? v == make_atom(atom::kBinary) : s.binary;
    } else if (key == make_atom(atom::kPacket)) {
        valid = set_packet(s, v);
    } else if (key == a.send_timeout) {
        valid = set_send_timeout(s, v);
    } else {
        return false;
    }
    return true;
}

Term active_term(const Socket& s) {
    switch (s.active) {
        case Active::kFalse:
            return make_atom(atom::kFalse);
        case Active::kTrue:
            return make_atom(atom::kTrue);
        case Active::kOnce:
            return atoms().once;
        case Active::kCount:
            return make_small(s.active_count);
    }
    return make_atom(atom::kFalse);
}

Term own_option(const Socket& s, Term key) {
    const Atoms& a = atoms();
    if (key == a.active) return active_term(s);
    if (key == a.mode) return s.binary ? make_atom(atom::kBinary) : a.list;
    if (key == make_atom(atom::kPacket)) return packet::to_term(s.packet);
    if (key == a.send_timeout)
        return s.send_timeout < 0 ? make_atom(atom::kInfinity) : make_small(s.send_timeout);
    return kNone;
}

Outcome value_outcome(Term v) {
    Outcome o;
    o.kind = Outcome::Kind::kValue;
    o.value = v;
    return o;
}

Outcome name_of(Term t, bool peer) {
    SocketPtr s = find(t);
    if (!s) return error(make_atom(atom::kEinval));
    std::lock_guard<std::mutex> guard(s->lock);
    Outcome o;
    o.kind = Outcome::Kind::kAddress;
    o.address.length = sizeof o.address.storage;
    auto* sa = reinterpret_cast<sockaddr*>(&o.address.storage);
    int r = peer ? getpeername(s->fd, sa, &o.address.length)
                 : getsockname(s->fd, sa, &o.address.length);
    if (r != 0) return error(errno_atom(errno));
    return o;
}

}  // namespace

// ---- the interface ---------------------------------------------------------------------

Term to_term(Process& p, const Outcome& outcome) {
    size_t words = outcome_words(outcome);
    Term* mem = words ? alloc(p, words) : nullptr;
    if (words && !mem) return bif::heap_exhausted(p);
    return put_outcome(mem, p.heap.off_heap, outcome);
}

Term open(Process& owner, Proto proto, int family, int& error) {
    int type = proto == Proto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
    int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        return kNone;
    }
    SocketPtr s = make_socket(fd, proto, family, owner.pid);
    process::rare(owner).links.push_back(s->id);
    return s->id;
}

Outcome bind(Term t, const Address& address) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    if (::bind(s->fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0)
        return error(errno_atom(errno));
    return ok();
}

Outcome listen(Term t, int backlog) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    if (::listen(s->fd, backlog) != 0) return error(errno_atom(errno));
    s->listening = true;
    return ok();
}

Outcome connect(Term t, const Address& address, const Waiter& w) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    int r;
    do {
        r = ::connect(s->fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length);
    } while (r != 0 && errno == EINTR);
    if (r == 0) {
        s->connected = true;
        arm(*s);
        return ok();
    }
    if (errno != EINPROGRESS) return error(errno_atom(errno));
    s->connecting = true;
    s->connector.push_back(w);
    arm(*s);
    return wait();
}

Outcome accept(Process& p, Term t, const Waiter& w) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    if (!s->listening) return error(make_atom(atom::kEinval));
    if (s->readers.empty()) {
        int fd = accept_fd(*s);
        if (fd >= 0) {
            SocketPtr c = accepted(*s, fd, p.pid);
            process::rare(p).links.push_back(c->id);
            return socket_outcome(c->id);
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) return error(errno_atom(errno));
    }
    s->readers.push_back(w);
    arm(*s);
    return wait();
}

Outcome recv(Term t, const Waiter& w) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    if (s->listening) return error(atoms().enotconn);
    if (s->active != Active::kFalse) return error(make_atom(atom::kEinval));
    if (s->proto == Proto::kTcp && !s->connected) return error(atoms().enotconn);
    if (s->readers.empty()) {
        if (s->proto == Proto::kUdp) {
            Outcome d;
            if (read_datagram(*s, d)) return d;
        } else {
            Outcome delivery;
            for (;;) {
                if (take(*s, w.length, delivery)) return delivery;
                if (s->eof) return closed();
                if (fill(*s) < 0) break;
            }
        }
    }
    s->readers.push_back(w);
    arm(*s);
    return wait();
}

Outcome send(Term t, std::string bytes, const Waiter& w) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    if (s->write_failed || s->eof || s->listening) return closed();
    std::string header;
    if (!packet_header(s->packet, bytes.size(), header)) return error(make_atom(atom::kEinval));
    bool was_empty = queued(*s) == 0;
    s->out.append(header);
    s->out.append(bytes);
    if (was_empty && !s->connecting && !write_queue(*s)) return closed();
    arm(*s);
    if (queued(*s) <= kHighWatermark) return ok();
    s->senders.push_back(w);
    Outcome o = wait();
    o.value = s->send_timeout < 0 ? make_atom(atom::kInfinity) : make_small(s->send_timeout);
    return o;
}

Outcome sendto(Term t, const Address& address, std::string bytes) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    ssize_t n;
    do {
        n = ::sendto(s->fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&address.storage), address.length);
    } while (n < 0 && errno == EINTR);
    // A datagram the kernel has no room for is dropped, as UDP may.
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return error(errno_atom(errno));
    return ok();
}

Outcome shutdown(Term t, int how) {
    SocketPtr s = find(t);
    if (!s) return closed();
    std::lock_guard<std::mutex> guard(s->lock);
    if (how != SHUT_RD && queued(*s) > 0) {
        s->shutdown_pending = how;
        return ok();
    }
    if (::shutdown(s->fd, how) != 0) return error(errno_atom(errno));
    return ok();
}

Outcome close(Process& p, Term t) {
    SocketPtr s = find(t);
    if (!s) return ok();
    bool owned;
    {
        std::lock_guard<std::mutex> guard(s->lock);
        owned = s->owner == p.pid;
        close_socket(*s, true);
    }
    // Outside the lock: the unlink signal reaches the socket's table.
    if (owned) signals::unlink(p, t);
    return ok();
}

bool cancel(Term t, const Waiter& w) {
    SocketPtr s = find(t);
    if (!s) return false;
    std::lock_guard<std::mutex> guard(s->lock);
    auto same = [&w](const Waiter& x) { return x.ref_id == w.ref_id && x.pid == w.pid; };
    size_t before = s->readers.size() + s->senders.size() + s->connector.size();
    std::erase_if(s->readers, same);
    std::erase_if(s->senders, same);
    std::erase_if(s->connector, same);
    return s->readers.size() + s->senders.size() + s->connector.size() != before;
}

Outcome set_owner(Process& p, Term t, Term new_owner) {
    SocketPtr s = find(t);
    if (!s) return closed();
    {
        std::lock_guard<std::mutex> guard(s->lock);
        if (s->owner == new_owner) return ok();
        if (s->owner != p.pid) return error(make_atom(atom::kNotOwner));
        s->owner = new_owner;
    }
    signals::unlink(p, t);
    signals::link_from_port(new_owner, t);
    return ok();
}

Term owner(Term t) {
    SocketPtr s = find(t);
    if (!s) return kNone;
    std::lock_guard<std::mutex> guard(s->lock);
    return s->owner;
}

Outcome setopt(Term t, Term key, Term value) {
    SocketPtr s = find(t);
    if (!s) return error(make_atom(atom::kEinval));
    std::lock_guard<std::mutex> guard(s->lock);
    bool valid = true;
    if (set_own_option(*s, key, value, valid)) {
        if (!valid) return error(make_atom(atom::kEinval));
        if (s->proto == Proto::kTcp && !s->listening) serve_at_once(*s);
        arm(*s);
        return ok();
    }
    int level, name;
    if (!kernel_option(*s, key, level, name)) return error(make_atom(atom::kEinval));
    return set_kernel_option(*s, level, name, value);
}

Outcome getopt(Term t, Term key) {
    SocketPtr s = find(t);
    if (!s) return error(make_atom(atom::kEinval));
    std::lock_guard<std::mutex> guard(s->lock);
    Term own = own_option(*s, key);
    if (own != kNone) return value_outcome(own);
    int level, name;
    if (!kernel_option(*s, key, level, name)) return error(make_atom(atom::kEinval));
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(s->fd, level, name, &v, &len) != 0) return error(errno_atom(errno));
    return value_outcome(is_flag(level, name) ? bool_term(v != 0) : make_small(v));
}

Outcome sockname(Term t) {
    return name_of(t, false);
}

Outcome peername(Term t) {
    return name_of(t, true);
}

bool is_socket(Term t) {
    return find(t) != nullptr;
}

void signal(Term t, Signal* sig) {
    SocketPtr s = find(t);
    if (s && sig->kind == Kind::Exit) {
        std::lock_guard<std::mutex> guard(s->lock);
        // The owner's end closes the socket; a late signal from an
        // earlier owner (the link moved) does not.
        if (sig->from == s->owner) close_socket(*s, false);
    } else if (sig->kind == Kind::Monitor) {
        // Sockets take no monitors: 'DOWN' at once, as for a closed port.
        signals::deliver(sig->from, signals::port_down(t, sig->ref, make_atom(atom::kNoproc)));
    }
    mailbox::signal_free(sig);
}

size_t count() {
    size_t n = 0;
    for (size_t i = 0; i < kShards; ++i) {
        std::lock_guard<std::mutex> guard(g_shards[i].lock);
        n += g_shards[i].sockets.size();
    }
    return n;
}

void close_all() {
    std::vector<SocketPtr> open;
    for (size_t i = 0; i < kShards; ++i) {
        std::lock_guard<std::mutex> guard(g_shards[i].lock);
        for (auto& entry : g_shards[i].sockets)
            open.push_back(entry.second);
    }
    {
        std::lock_guard<std::mutex> guard(g_lingering_lock);
        for (auto& entry : g_lingering)
            open.push_back(entry.second);
    }
    for (const SocketPtr& s : open) {
        std::lock_guard<std::mutex> guard(s->lock);
        // Its waiters have ended with the run: no one to answer.
        s->readers.clear();
        s->senders.clear();
        s->connector.clear();
        if (s->open) {
            close_socket(*s, false);
        } else if (s->lingering) {
            release(*s);
        }
    }
}

}  // namespace inet
