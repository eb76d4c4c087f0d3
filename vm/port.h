// port: Erlang ports to external programs (open_port/2 with {spawn, Cmd}
// or {spawn_executable, Path}): the port table, the Port object (its
// child, pipes, options, connected process and links) and the port side
// of the signals between ports and processes. The BIFs (vm/bif_port.cpp)
// parse arguments into a Spec and call here.
//
//   owner process ──port_command / {Pid,{command,D}}──► out queue
//                                                          │ EPOLLOUT
//   ┌────────── poller thread (poll.h) ◄───────────────────┘
//   │  child stdout ──EPOLLIN──► framing (stream, {line,N}, {packet,N})
//   │      ──► {Port, {data, D}} to the connected process
//   │  child pidfd ──EPOLLIN──► waitpid ──► {Port, {exit_status, N}}
//   └► at eof: exit_status (if asked), then {Port, eof} (option eof) or
//      the port closes: exit signal `normal` to every linked process
//
// Invariants:
// - Every field of a Port is read and written under its lock. Messages
//   and exit signals from a port are delivered under that lock, so they
//   reach each process in the order the port produced them.
// - A port is in the table while it is open. Once closed it never opens
//   again; its descriptors are closed and unwatched by a poller task, and
//   the Port is freed once that is done and its child is reaped.
// - Reads, writes to the child and waitpid happen only on the poller
//   thread (which blocks SIGPIPE), never on a scheduler.
// - A port and a process are linked at both ends: the port's `links`
//   holds the pid, the process's rare->links holds the port.
// - A port number not in the table may be a socket's (vm/inet.h): its
//   signals go there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vm/mailbox.h"
#include "vm/process.h"
#include "vm/term.h"

namespace port {

using process::Process;
using term::Term;

enum class Framing : uint8_t { kStream, kLine, kPacket };

// open_port/2's arguments, checked (bif_port.cpp).
struct Spec {
    bool executable = false;  // spawn_executable: `command` is the path
    std::string command;      // spawn: the shell command (also the name)
    Framing framing = Framing::kStream;
    size_t line_length = 0;    // {line, N}
    unsigned packet_size = 0;  // {packet, 1 | 2 | 4}
    bool binary = false;
    bool exit_status = false;
    bool eof = false;
    bool in = true, out = true;  // neither given: both
    bool stderr_to_stdout = false;
    std::optional<std::vector<std::string>> args;  // spawn_executable only
    std::optional<std::string> arg0;
    std::vector<std::pair<std::string, std::optional<std::string>>> env;  // nullopt: unset
    std::optional<std::string> cd;
};

// Opens a port owned by (connected to and linked with) `owner`. Returns
// the port, or kNone with `error` an errno value (enoent, eacces, ...).
Term open(Process& owner, const Spec& spec, int& error);

// Whether open() may start programs (default true). The program fuzzer
// turns it off: a mutant must not run arbitrary commands, nor wait in real
// time for one under virtual time. Set before schedulers run.
void set_programs_allowed(bool allowed);

// What a port operation on a port that is not open gives: badarg.
enum class Result : uint8_t { kOk, kClosed };

// port_command: queues `bytes` (framed as the port's packet option says).
Result command(Term port, std::string bytes);
// port_close: closes the port (exit signal `normal` to its links).
Result close(Term port);
// port_connect: `pid` becomes the connected process and is linked.
Result connect(Term port, Term pid);

// Port ! Msg from `from` (any term): {Pid, {command, D}}, {Pid, close},
// {Pid, {connect, New}} from the connected process; anything else ends
// the port with reason badsig. A closed port drops it.
void send(Term port, Term msg);

// A signal for a port (signals::deliver): an exit signal from a linked
// process (the connected one's end closes the port), exit/2, unlink.
// Takes `s`.
void signal(Term port, mailbox::Signal* s);

// link/1 from `pid` (the caller adds its own end): false when the port is
// not open.
bool link(Term port, Term pid);
void unlink(Term port, Term pid);

// True while `port` is open.
bool is_open(Term port);

// erlang:port_info/2's items, as OTP's: {Item, Value} (registered_name:
// []) for an open port, built on `p`'s heap, or `undefined` when the port
// is closed. kNone with `bad_item` set for an item not known (the BIF
// raises badarg), or when the heap is exhausted (recorded in `p`).
Term info(Process& p, Term port, Term item, bool& bad_item);

// erlang:port_info/1: every item above, in OTP's order, or `undefined`.
Term info_all(Process& p, Term port);

// The open ports, oldest first.
std::vector<Term> all();

// Open ports (erlang:system_info(port_count)).
size_t count();

// A new port number from the port table's sequence, for a port kept
// elsewhere (a socket, vm/inet.h): ports and sockets never share one.
uint64_t reserve_number();

// Words `bytes` take as a binary or as a list of bytes; and the term put
// in `mem` (moved past it; off-heap binary handles go on `off_heap`).
// Sockets build their data the same way.
size_t bytes_words(std::string_view bytes, bool binary);
Term put_bytes(Term*& mem, Term*& off_heap, std::string_view bytes, bool binary);

}  // namespace port
