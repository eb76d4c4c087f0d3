// bif_inet: the socket BIFs beneath stdlib/gen_tcp.bl, gen_udp.bl and
// inet.bl (module prim_inet, named after OTP's, though the functions are
// beamlite's own): they check their arguments, turn addresses and
// options into C++ values and call the socket subsystem (vm/inet.h).
// None blocks: an operation that cannot finish at once returns `wait`
// and its reply comes as {inet_async, S, Ref, Result}, with the Ref the
// caller passed. Name lookup (getaddrs/2) is the one call that may block,
// and runs on the dirty I/O pool.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "vm/atom.h"
#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/inet.h"
#include "vm/packet.h"
#include "vm/posix.h"
#include "vm/reply.h"

namespace bif {

using namespace term;

namespace {

Term library_atom(std::string_view text) {
    return make_atom(atom::intern(text, atom::Owner::kLibrary));
}

bool is_socket_term(Term t) {
    return is_local_port(t);
}

bool small_in(Term t, int64_t low, int64_t high) {
    return is_small(t) && small_value(t) >= low && small_value(t) <= high;
}

// {A, B, C, D} or an eight-word IPv6 tuple and a port into `a`.
bool address(Term ip, Term port, inet::Address& a) {
    if (!is_tuple(ip) || !small_in(port, 0, 65535)) return false;
    a = inet::Address{};
    uint16_t net_port = htons(uint16_t(small_value(port)));
    if (tuple_arity(ip) == 4) {
        auto& in = reinterpret_cast<sockaddr_in&>(a.storage);
        in.sin_family = AF_INET;
        in.sin_port = net_port;
        uint32_t v = 0;
        for (int i = 1; i <= 4; ++i) {
            if (!small_in(tuple_element(ip, i), 0, 255)) return false;
            v = v << 8 | uint32_t(small_value(tuple_element(ip, i)));
        }
        in.sin_addr.s_addr = htonl(v);
        a.length = sizeof in;
        return true;
    }
    if (tuple_arity(ip) != 8) return false;
    auto& in6 = reinterpret_cast<sockaddr_in6&>(a.storage);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = net_port;
    for (int i = 0; i < 8; ++i) {
        if (!small_in(tuple_element(ip, i + 1), 0, 65535)) return false;
        auto word = uint16_t(small_value(tuple_element(ip, i + 1)));
        in6.sin6_addr.s6_addr[2 * i] = uint8_t(word >> 8);
        in6.sin6_addr.s6_addr[2 * i + 1] = uint8_t(word);
    }
    a.length = sizeof in6;
    return true;
}

// The waiter for a reply to `ref` (a local reference) from p.
bool waiter(Process& p, Term ref, inet::Waiter& w) {
    if (!is_local_ref(ref)) return false;
    w.pid = p.pid;
    w.ref_id = ref_id(ref);
    w.ref_extra = ref_extra(ref);
    return true;
}

Term reply(Process& p, const inet::Outcome& o) {
    return inet::to_term(p, o);
}

Term posix_error(Process& p, int error) {
    inet::Outcome o;
    o.kind = inet::Outcome::Kind::kError;
    o.value = library_atom(posix::name(error));
    return reply(p, o);
}

int shutdown_how(Term t) {
    if (t == make_atom(atom::kRead)) return SHUT_RD;
    if (t == make_atom(atom::kWrite)) return SHUT_WR;
    if (t == library_atom("read_write")) return SHUT_RDWR;
    return -1;
}

// One address of getaddrinfo's answer as an Erlang tuple.
reply::Value address_value(const sockaddr* sa) {
    std::vector<reply::Value> words;
    if (sa->sa_family == AF_INET) {
        uint32_t v = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
        for (int i = 0; i < 4; ++i)
            words.push_back(reply::integer((v >> (24 - 8 * i)) & 0xff));
    } else {
        const uint8_t* b = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr.s6_addr;
        for (int i = 0; i < 8; ++i)
            words.push_back(reply::integer(b[2 * i] << 8 | b[2 * i + 1]));
    }
    return reply::tuple(std::move(words));
}

}  // namespace

namespace impl {

// ---- erlang:decode_packet/3 --------------------------------------------------------------

namespace {

// decode_packet's options into `limits`; false for one not known.
bool packet_limits(Term options, packet::Limits& limits) {
    for (Term rest = options; !is_nil(rest); rest = cdr(rest)) {
        if (!is_cons(rest)) return false;
        Term option = car(rest);
        if (!term::is_tuple(option) || tuple_arity(option) != 2) return false;
        Term key = tuple_element(option, 1), value = tuple_element(option, 2);
        if (!is_small(value) || small_value(value) < 0) return false;
        auto n = size_t(small_value(value));
        if (key == library_atom("packet_size")) {
            limits.packet_size = n;
        } else if (key == library_atom("line_length")) {
            limits.line_length = n;
        } else if (key == library_atom("line_delimiter") && n <= 255) {
            limits.delimiter = char(n);
        } else {
            return false;
        }
    }
    return true;
}

// {more, Length | undefined} or {error, invalid}.
Term packet_not_whole(Process& p, const packet::Split& cut) {
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 2);
    if (cut.status == packet::Split::Status::kInvalid) {
        tuple_elements(t)[0] = make_atom(atom::kError);
        tuple_elements(t)[1] = library_atom("invalid");
    } else {
        tuple_elements(t)[0] = library_atom("more");
        tuple_elements(t)[1] = cut.more ? make_small(int64_t(cut.more)) : library_atom("undefined");
    }
    return t;
}

}  // namespace

// erlang:decode_packet(Type, Bin, Options) -> {ok, Packet, Rest} |
// {more, Length | undefined} | {error, invalid}, cutting as the
// {packet, Type} socket option does (vm/packet.h). Packet and Rest are
// sub-binaries of Bin; an HTTP line is OTP's term for it.
Term decode_packet(Process& p, Term* args) {
    packet::Type type;
    if (!packet::from_term(args[0], type))
        return badarg_cause(p, 1, "invalid packet type", library_atom("badopt"));
    if (!term::is_binary(args[1])) return badarg(p, 2, "not a binary");
    packet::Limits limits;
    if (!packet_limits(args[2], limits)) return badarg(p, 3, "invalid option");
    std::string bytes;
    binary::append_bytes(bytes, args[1]);
    bool header_line = packet::is_header_type(type);
    packet::Split cut = packet::split(type, bytes, limits, header_line);
    if (cut.status != packet::Split::Status::kPacket) return packet_not_whole(p, cut);
    std::string_view line(bytes.data(), cut.size());
    packet::Http http;
    bool is_http = packet::is_http(type);
    bool strings_binary = type == packet::Type::kHttpBin || type == packet::Type::kHttphBin;
    if (is_http) http = packet::parse(line, header_line);
    size_t words = tuple_words(3) + kSubBinWords +
                   (is_http ? packet::words(http, strings_binary) : kSubBinWords);
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    Term rest = binary::make_sub(mem, args[1], cut.size() * 8, (bytes.size() - cut.size()) * 8);
    mem += kSubBinWords;
    Term body;
    if (is_http) {
        body = packet::put(mem, p.heap.off_heap, http, strings_binary);
    } else {
        body = binary::make_sub(mem, args[1], cut.header * 8, cut.body * 8);
        mem += kSubBinWords;
    }
    Term t = term::make_tuple(mem, 3);
    tuple_elements(t)[0] = make_atom(atom::kOk);
    tuple_elements(t)[1] = body;
    tuple_elements(t)[2] = rest;
    return t;
}

// prim_inet:open(tcp | udp, inet | inet6) -> {ok, S} | {error, Posix}:
// a socket owned by and linked to the caller.
Term prim_inet_open(Process& p, Term* args) {
    inet::Proto proto;
    if (args[0] == library_atom("tcp")) {
        proto = inet::Proto::kTcp;
    } else if (args[0] == library_atom("udp")) {
        proto = inet::Proto::kUdp;
    } else {
        return badarg(p, 1, "not tcp or udp");
    }
    int family;
    if (args[1] == library_atom("inet")) {
        family = AF_INET;
    } else if (args[1] == library_atom("inet6")) {
        family = AF_INET6;
    } else {
        return badarg(p, 2, "not inet or inet6");
    }
    int error = 0;
    Term s = inet::open(p, proto, family, error);
    if (s == kNone) return posix_error(p, error);
    inet::Outcome o;
    o.kind = inet::Outcome::Kind::kSocket;
    o.value = s;
    return reply(p, o);
}

Term prim_inet_bind(Process& p, Term* args) {
    inet::Address a;
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!address(args[1], args[2], a)) return badarg(p, 2, "not an address");
    return reply(p, inet::bind(args[0], a));
}

Term prim_inet_listen(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!small_in(args[1], 0, 1 << 20)) return badarg(p, 2, "not a backlog");
    return reply(p, inet::listen(args[0], int(small_value(args[1]))));
}

Term prim_inet_connect(Process& p, Term* args) {
    inet::Address a;
    inet::Waiter w;
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!address(args[1], args[2], a)) return badarg(p, 2, "not an address");
    if (!waiter(p, args[3], w)) return badarg(p, 4, "not a reference");
    return reply(p, inet::connect(args[0], a, w));
}

Term prim_inet_accept(Process& p, Term* args) {
    inet::Waiter w;
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!waiter(p, args[1], w)) return badarg(p, 2, "not a reference");
    return reply(p, inet::accept(p, args[0], w));
}

Term prim_inet_recv(Process& p, Term* args) {
    inet::Waiter w;
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!small_in(args[1], 0, int64_t(1) << 30)) return badarg(p, 2, "not a length");
    if (!waiter(p, args[2], w)) return badarg(p, 3, "not a reference");
    w.length = size_t(small_value(args[1]));
    return reply(p, inet::recv(args[0], w));
}

// prim_inet:send(S, IoData, Ref) -> ok | {wait, SendTimeout} | {error, R}.
Term prim_inet_send(Process& p, Term* args) {
    inet::Waiter w;
    std::string bytes;
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!binary::flatten_iolist(args[1], bytes)) return badarg(p, 2, "not an iolist");
    if (!waiter(p, args[2], w)) return badarg(p, 3, "not a reference");
    charge(bytes.size() / kWorkPerReduction);
    return reply(p, inet::send(args[0], std::move(bytes), w));
}

Term prim_inet_sendto(Process& p, Term* args) {
    inet::Address a;
    std::string bytes;
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!address(args[1], args[2], a)) return badarg(p, 2, "not an address");
    if (!binary::flatten_iolist(args[3], bytes)) return badarg(p, 4, "not an iolist");
    return reply(p, inet::sendto(args[0], a, std::move(bytes)));
}

Term prim_inet_shutdown(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    int how = shutdown_how(args[1]);
    if (how < 0) return badarg(p, 2, "not read, write or read_write");
    return reply(p, inet::shutdown(args[0], how));
}

Term prim_inet_close(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    return reply(p, inet::close(p, args[0]));
}

// prim_inet:cancel(S, Ref) -> true when the wait was dropped, false when
// its reply is already on its way.
Term prim_inet_cancel(Process& p, Term* args) {
    inet::Waiter w;
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!waiter(p, args[1], w)) return badarg(p, 2, "not a reference");
    return make_atom(inet::cancel(args[0], w) ? atom::kTrue : atom::kFalse);
}

Term prim_inet_set_owner(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!is_local_pid(args[1])) return badarg(p, 2, "not a pid");
    return reply(p, inet::set_owner(p, args[0], args[1]));
}

Term prim_inet_owner(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    Term owner = inet::owner(args[0]);
    return owner == kNone ? make_atom(atom::kUndefined) : owner;
}

Term prim_inet_setopt(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an option");
    return reply(p, inet::setopt(args[0], args[1], args[2]));
}

Term prim_inet_getopt(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an option");
    return reply(p, inet::getopt(args[0], args[1]));
}

Term prim_inet_sockname(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    return reply(p, inet::sockname(args[0]));
}

Term prim_inet_peername(Process& p, Term* args) {
    if (!is_socket_term(args[0])) return badarg(p, 1, "not a socket");
    return reply(p, inet::peername(args[0]));
}

// prim_inet:getaddrs(Name, inet | inet6) -> {ok, [IP]} | {error, nxdomain}:
// the system's resolver (files, DNS), which may block: a dirty I/O BIF.
Term prim_inet_getaddrs(Process& p, Term* args) {
    std::string name;
    if (!chardata_to_utf8(args[0], name) || name.find('\0') != std::string::npos)
        return badarg(p, 1, "not a host name");
    int family = args[1] == library_atom("inet6") ? AF_INET6 : AF_INET;
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || !found) {
        Term nxdomain = library_atom("nxdomain");
        return reply::build(
            p, reply::tuple({reply::atom(atom::kError), reply::atom(atom_index(nxdomain))}));
    }
    std::vector<reply::Value> ips;
    for (addrinfo* ai = found; ai; ai = ai->ai_next)
        ips.push_back(address_value(ai->ai_addr));
    freeaddrinfo(found);
    return reply::build(p, reply::tuple({reply::atom(atom::kOk), reply::list(std::move(ips))}));
}

Term prim_inet_gethostname(Process& p, Term*) {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return reply::build(p, reply::tuple({reply::atom(atom::kOk), reply::string(name)}));
}

}  // namespace impl

}  // namespace bif
