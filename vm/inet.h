// inet: TCP and UDP sockets (gen_tcp, gen_udp, inet; issue 17): the socket
// table, the Socket object (its descriptor, options, buffers and the
// processes waiting on it), reading and writing on the poller thread
// (poll.h), and the socket's side of its owner's end. The BIFs
// (vm/bif_inet.cpp) parse arguments into C++ values and call here; the
// Erlang side (stdlib/gen_tcp.bl, gen_udp.bl, inet.bl, prim_inet.bl)
// waits for what cannot be done at once.
//
// A socket is a port (is_port/1 is true, as OTP's inet driver ports are):
// its number comes from the port table's sequence, and its owner (the
// controlling process) holds a link to it, so the owner's end reaches the
// socket as an exit signal (port::signal passes it here) and closes it.
//
//   process                             poller thread
//   recv/accept/connect ─► tried at once (non-blocking) ─► {ok, ...}
//        │ would block: a Waiter is queued, EPOLLIN/OUT armed
//        ▼                                    │ ready
//   receive {inet_async, S, Ref, Result} ◄────┘ read/accept/connect done
//   send: written at once; what the kernel does not take is queued and
//        written on EPOLLOUT; past kHighWatermark the sender waits for
//        {inet_async, S, Ref, ok}
//   active sockets: data read on EPOLLIN goes to the owner as {tcp, S, D}
//        ({udp, S, IP, Port, D}), then {tcp_closed, S} at the end
//
// Invariants:
// - Every field of a Socket is read and written under its lock; messages
//   from a socket are delivered under it, so they arrive in order.
// - Descriptors are non-blocking and registered with EPOLLONESHOT: an
//   event disarms the descriptor, and it is armed again only for what
//   someone waits for (a reader, an acceptor, an active owner, queued
//   output). A socket nobody reads costs nothing and its peer is held
//   back by the kernel's buffers (flow control).
// - A Socket is freed by a poller task (poll.h), never while the poller
//   may still hold it; no scheduler thread ever blocks on a descriptor.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "vm/mailbox.h"
#include "vm/process.h"
#include "vm/term.h"

namespace inet {

using process::Process;
using term::Term;

enum class Proto : uint8_t { kTcp, kUdp };

// An address and port (sockaddr_in or sockaddr_in6).
struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

// A process waiting for a reply {inet_async, S, Ref, Result}: the pid
// and its reference's words (copied: the reference's term may move).
struct Waiter {
    Term pid = term::kNil;
    uint64_t ref_id = 0, ref_extra = 0;
    size_t length = 0;  // recv: bytes wanted (0: what there is)
};

// What an operation gives: done (ok, {ok, Data}, {ok, S}, {ok, {IP,
// Port, Data}}, {ok, {IP, Port}}, {ok, Value}), an error, or `wait` (the
// reply comes as a message; a send's is {wait, SendTimeout}).
struct Outcome {
    enum class Kind : uint8_t {
        kOk,
        kWait,
        kError,
        kData,
        kHttp,
        kSocket,
        kDatagram,
        kAddress,
        kValue
    };
    Kind kind = Kind::kOk;
    Term value = term::kNone;  // kError: the reason; kSocket; kValue: an immediate; kWait: kNone or
                               // the timeout
    std::string bytes;         // kData, kDatagram; kHttp: the line (vm/packet.h)
    bool binary = false;
    bool header_line = false;  // kHttp: parsed as a header line
    Address address;           // kDatagram, kAddress
};

// The outcome's term on p's heap (kNone when the heap is exhausted).
Term to_term(Process& p, const Outcome& outcome);

// A new socket owned by and linked to `owner`; kNone with `error` set.
Term open(Process& owner, Proto proto, int family, int& error);

Outcome bind(Term s, const Address& address);
Outcome listen(Term s, int backlog);
Outcome connect(Term s, const Address& address, const Waiter& w);
// The accepted socket is owned by (and linked to) the acceptor.
Outcome accept(Process& p, Term s, const Waiter& w);
// TCP: `w.length` bytes (raw mode) or one packet; UDP: one datagram.
Outcome recv(Term s, const Waiter& w);
Outcome send(Term s, std::string bytes, const Waiter& w);
Outcome sendto(Term s, const Address& address, std::string bytes);
// SHUT_RD, SHUT_WR or SHUT_RDWR; a write shutdown waits for queued output.
Outcome shutdown(Term s, int how);
// Closes the socket (queued output is still written) and unlinks `p`.
Outcome close(Process& p, Term s);
// Drops the waiter of `w`'s reference; false when it was answered.
bool cancel(Term s, const Waiter& w);

// Sets `owner`, from `p` that must be the owner: ok, {error, not_owner},
// {error, einval} (closed). The link moves with it.
Outcome set_owner(Process& p, Term s, Term owner);
// The owner's pid, or kNone when the socket is closed.
Term owner(Term s);

// One option: OTP's name and value (checked by the caller for type);
// einval for one not known or a value not allowed.
Outcome setopt(Term s, Term key, Term value);
// One option's value ({ok, Value}).
Outcome getopt(Term s, Term key);

Outcome sockname(Term s);
Outcome peername(Term s);

// True when `s` is one of ours (open or closed): port::signal asks.
bool is_socket(Term s);
// A signal to a socket (an exit signal from its owner closes it). Takes `s`.
void signal(Term s, mailbox::Signal* sig);

// Open sockets.
size_t count();

// Closes every socket, lingering ones too, as their owners' ends would:
// for a run that ended without those ends (a fuzzer's next input, whose
// deadlock check must not wait on the last one's sockets).
void close_all();

}  // namespace inet
