// bif_stdio: the BIFs beneath the standard I/O servers (stdlib/user.bl),
// which stand where OTP's user and standard_error processes hold their fd
// ports: prim_stdio:write/2 puts bytes on standard output or error (through
// output.h, the one owner of buffering), prim_stdio:window_size/1 answers
// the servers' get_geometry requests, and prim_stdio:encode/2 and format/3
// turn characters into a device's bytes as OTP's servers do (in C++, for
// speed: every io:format passes here). Also net_kernel's
// dflag_unicode_io/1, which OTP's io module asks of every I/O server (every
// local one speaks Unicode). prim_stdio:read/1 reads standard input on the
// dirty I/O pool (dirty.h). The shell's line editor (line_editor.h) is
// reached through prim_stdio:line_editing/0, read_line/1, commit_history/0
// and wait_interrupt/0.
#include <fmt/core.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include <optional>
#include <string>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/format.h"
#include "vm/line_editor.h"
#include "vm/output.h"
#include "vm/posix.h"
#include "vm/reply.h"

namespace bif {

using namespace term;

namespace {

// A standard stream's descriptor from its argument: 1 or 2; 0 if not one.
int stream(Term t) {
    if (t == make_small(output::kStdout)) return output::kStdout;
    if (t == make_small(output::kStderr)) return output::kStderr;
    return 0;
}

// A device's encoding from its argument; false if not latin1 or unicode.
bool device_encoding(Term t, bool& latin1) {
    latin1 = t == make_atom(atom::kLatin1);
    return latin1 || t == make_atom(atom::kUnicode);
}

// UTF-8 text in a device's encoding, as OTP's user and standard_error
// write it: unchanged on a Unicode device; on a latin-1 one each character
// as its byte, those above 255 as \x{HEX}. False for a code point no
// character can be (a surrogate, past 10FFFF: io_lib:format's ~c makes
// them), which OTP's servers refuse too.
bool device_bytes(std::string_view utf8, bool latin1, std::string& out) {
    for (size_t i = 0; i < utf8.size();) {
        uint32_t c = next_utf8(utf8, i);
        if (c >= 0x110000 || (c >= 0xD800 && c <= 0xDFFF)) return false;
        if (!latin1) continue;
        if (c <= 0xFF) {
            out += char(c);
        } else {
            out += fmt::format("\\x{{{:X}}}", c);
        }
    }
    if (!latin1) out = utf8;
    return true;
}

Term make_bytes(Process& p, const std::string& bytes) {
    Term b = binary::from_bytes(p, bytes.data(), bytes.size());
    return b == kNone ? heap_exhausted(p) : b;
}

}  // namespace

namespace impl {

// prim_stdio:write(Fd, IoData) -> ok: the bytes of IoData on standard
// output (1) or standard error (2).
Term prim_stdio_write(Process& p, Term* args) {
    int fd = stream(args[0]);
    if (!fd) return badarg(p, 1, "not 1 or 2");
    std::string bytes;
    if (!binary::flatten_iolist(args[1], bytes)) return badarg(p, 2, "not iodata");
    output::write(fd, bytes);
    return make_atom(atom::kOk);
}

// prim_stdio:window_size(Fd) -> {Columns, Rows} of the terminal the stream
// writes to, or error when it is not a terminal.
Term prim_stdio_window_size(Process& p, Term* args) {
    int fd = stream(args[0]);
    if (!fd) return badarg(p, 1, "not 1 or 2");
    struct winsize size {};
    if (!output::is_terminal(fd) || ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0)
        return make_atom(atom::kError);
    Term* mem = alloc(p, 3);
    if (!mem) return heap_exhausted(p);
    Term tuple = term::make_tuple(mem, 2);
    mem[1] = make_small(size.ws_col);
    mem[2] = make_small(size.ws_row);
    return tuple;
}

// prim_stdio:encode(Chars, Encoding) -> Bytes | error: Unicode chardata
// in a device's encoding (latin1 or unicode), or error when it is not
// chardata.
Term prim_stdio_encode(Process& p, Term* args) {
    bool latin1;
    if (!device_encoding(args[1], latin1)) return badarg(p, 2, "not latin1 or unicode");
    std::string utf8, bytes;
    if (!unicode_text(args[0], utf8) || !device_bytes(utf8, latin1, bytes))
        return make_atom(atom::kError);
    return make_bytes(p, bytes);
}

// prim_stdio:format(Format, Args, Encoding) -> Bytes | error: what
// encode(io_lib:format(Format, Args), Encoding) returns, without building
// the characters; error where io_lib:format raises.
Term prim_stdio_format(Process& p, Term* args) {
    bool latin1;
    if (!device_encoding(args[2], latin1)) return badarg(p, 3, "not latin1 or unicode");
    std::string utf8, bytes;
    if (format::format(utf8, args[0], args[1]) != format::Status::kOk ||
        !device_bytes(utf8, latin1, bytes))
        return make_atom(atom::kError);
    return make_bytes(p, bytes);
}

// prim_stdio:read(Max) -> Bytes | eof | {error, Posix}: what one read(2)
// of standard input gives, at most Max bytes (1 to 1 MiB). A dirty I/O BIF:
// it blocks until input comes, on a dirty I/O thread (stdlib/user.bl's
// reader process calls it).
Term prim_stdio_read(Process& p, Term* args) {
    constexpr int64_t kMaxRead = int64_t(1) << 20;
    if (!is_small(args[0]) || small_value(args[0]) < 1 || small_value(args[0]) > kMaxRead)
        return badarg(p, 1, "not an integer from 1 to 1048576");
    std::string bytes(size_t(small_value(args[0])), '\0');
    ssize_t n;
    do {
        n = ::read(0, bytes.data(), bytes.size());
    } while (n < 0 && errno == EINTR);
    if (n == 0) return make_atom(atom::kEof);
    if (n < 0) {
        uint32_t reason = atom::intern(posix::name(errno));
        if (reason == atom::kNoAtom) reason = atom::kError;
        return reply::build(p, reply::tuple({reply::atom(atom::kError), reply::atom(reason)}));
    }
    bytes.resize(size_t(n));
    return make_bytes(p, bytes);
}

// prim_stdio:line_editing() -> boolean(): whether the shell's line editor
// reads standard input (user.bl then asks read_line/1 for lines).
Term prim_stdio_line_editing(Process&, Term*) {
    return line_editor::enabled() ? kTrue : kFalse;
}

// prim_stdio:read_line(Prompt) -> Bytes | eof: one line (with its newline)
// edited on the terminal after the prompt (bytes); eof at Ctrl-D on an
// empty line; <<>> when Ctrl-C dropped the line. A dirty I/O BIF.
Term prim_stdio_read_line(Process& p, Term* args) {
    if (!line_editor::enabled()) return badarg(p, 1, "the line editor is off");
    std::string prompt;
    if (!binary::flatten_iolist(args[0], prompt)) return badarg(p, 1, "not iodata");
    std::optional<std::string> line = line_editor::read_line(prompt);
    if (!line) return make_atom(atom::kEof);
    return make_bytes(p, *line);
}

// prim_stdio:commit_history() -> ok: the lines read since the last call
// become one history entry (the shell calls it for each command). Writing
// the history file may block, so that happens on a dirty pool.
Term prim_stdio_commit_history(Process& p, Term*) {
    if (!line_editor::enabled()) return make_atom(atom::kOk);
    if (!on_dirty_pool()) return go_dirty(p);
    line_editor::commit_history();
    return make_atom(atom::kOk);
}

// prim_stdio:wait_interrupt() -> ok | timeout: ok at a Ctrl-C, timeout
// after a tenth of a second without one (a dirty I/O BIF; the shell's
// interrupt watcher calls it in a loop, so that at a halt it is not in a
// dirty call for long).
Term prim_stdio_wait_interrupt(Process& p, Term*) {
    if (!line_editor::enabled()) return fail(p, make_atom(atom::kBadarg));
    return make_atom(line_editor::wait_interrupt() ? atom::kOk : atom::kTimeout);
}

// net_kernel:dflag_unicode_io(Pid): whether the I/O server Pid speaks the
// Unicode I/O protocol; every server on this node does.
Term net_kernel_dflag_unicode_io(Process& p, Term* args) {
    if (!is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    return make_atom(atom::kTrue);
}

}  // namespace impl

}  // namespace bif
