// bif_port: the port BIFs (open_port/2, port_command/2,3, port_close/1,
// port_connect/2, erlang:port_info/1,2, erlang:ports/0, and
// port_control/3 and port_call/2,3, which no spawn port answers): they check their
// arguments as OTP's do and call the port subsystem (vm/port.h). None
// blocks: spawning is a posix_spawn, writes are queued for the poller.
#include <string>

#include "vm/atom.h"
#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/port.h"
#include "vm/posix.h"

namespace bif {

using namespace term;

namespace {

// A file name or command: a string of characters or a binary, as UTF-8;
// false for anything else or one holding NUL.
bool text(Term t, std::string& out) {
    out.clear();
    if (is_binary(t)) {
        binary::append_bytes(out, t);
    } else if (is_atom(t)) {
        out = atom::name(atom_index(t));
    } else if (list_length(t) < 0 || !chardata_to_utf8(t, out)) {
        return false;
    }
    return out.find('\0') == std::string::npos;
}

// A list of strings ({args, [...]}).
bool texts(Term list, std::vector<std::string>& out) {
    if (list_length(list) < 0) return false;
    for (; is_cons(list); list = cdr(list)) {
        std::string s;
        if (!text(car(list), s) || is_atom(car(list))) return false;
        out.push_back(std::move(s));
    }
    return true;
}

// {env, [{Name, Value | false}]}.
bool environment_option(Term list, port::Spec& spec) {
    if (list_length(list) < 0) return false;
    for (; is_cons(list); list = cdr(list)) {
        Term pair = car(list);
        if (!is_tuple(pair) || tuple_arity(pair) != 2) return false;
        std::string name, value;
        Term v = tuple_element(pair, 2);
        if (!text(tuple_element(pair, 1), name) || name.empty() || is_atom(tuple_element(pair, 1)))
            return false;
        if (v == make_atom(atom::kFalse)) {
            spec.env.emplace_back(name, std::nullopt);
        } else if (text(v, value) && !is_atom(v)) {
            spec.env.emplace_back(name, value);
        } else {
            return false;
        }
    }
    return true;
}

// An option without an argument; false when it is not one.
bool flag_option(Term o, port::Spec& spec, bool& in, bool& out) {
    switch (is_atom(o) ? atom_index(o) : atom::kNoAtom) {
        case atom::kStream:
            spec.framing = port::Framing::kStream;
            return true;
        case atom::kBinary:
            return spec.binary = true;
        case atom::kExitStatus:
            return spec.exit_status = true;
        case atom::kEof:
            return spec.eof = true;
        case atom::kIn:
            return in = true;
        case atom::kOut:
            return out = true;
        case atom::kStderrToStdout:
            return spec.stderr_to_stdout = true;
        case atom::kUseStdio:
        case atom::kHide:
        case atom::kOverlappedIo:
            return true;
        default:
            return false;
    }
}

// An option {Key, Value}; false when it is not one.
bool pair_option(Term o, port::Spec& spec) {
    if (!is_tuple(o) || tuple_arity(o) != 2 || !is_atom(tuple_element(o, 1))) return false;
    Term v = tuple_element(o, 2);
    std::string s;
    switch (atom_index(tuple_element(o, 1))) {
        case atom::kPacket:
            if (v != make_small(1) && v != make_small(2) && v != make_small(4)) return false;
            spec.framing = port::Framing::kPacket;
            spec.packet_size = unsigned(small_value(v));
            return true;
        case atom::kLine:
            if (!is_small(v) || small_value(v) <= 0) return false;
            spec.framing = port::Framing::kLine;
            spec.line_length = size_t(small_value(v));
            return true;
        case atom::kArgs:
            spec.args.emplace();
            return texts(v, *spec.args);
        case atom::kArg0:
            if (!text(v, s) || is_atom(v)) return false;
            spec.arg0 = s;
            return true;
        case atom::kEnv:
            return environment_option(v, spec);
        case atom::kCd:
            if (!text(v, s)) return false;
            spec.cd = s;
            return true;
        case atom::kParallelism:
            return v == make_atom(atom::kTrue) || v == make_atom(atom::kFalse);
        case atom::kBusyLimitsPort:
        case atom::kBusyLimitsMsgq:
            return true;
        default:
            return false;
    }
}

// open_port/2's second argument into `spec`; false when it is not a
// proper list of known options.
bool options(Term list, port::Spec& spec) {
    if (list_length(list) < 0) return false;
    bool in = false, out = false;
    for (; is_cons(list); list = cdr(list)) {
        Term o = car(list);
        if (!flag_option(o, spec, in, out) && !pair_option(o, spec)) return false;
    }
    if (in != out) {  // only one of them: that direction alone
        spec.in = in;
        spec.out = out;
    }
    // arguments are spawn_executable's only
    return spec.executable || (!spec.args && !spec.arg0);
}

// open_port/2's first argument: {spawn, Command}, {spawn_executable,
// Path} or an atom (as {spawn, Atom}). Drivers and {fd, In, Out} are not supported: false, as for a
// bad name.
bool port_name(Term name, port::Spec& spec) {
    if (is_atom(name)) return text(name, spec.command);  // the obsolete form of {spawn, Name}
    if (!is_tuple(name) || tuple_arity(name) != 2) return false;
    Term kind = tuple_element(name, 1);
    if (kind != make_atom(atom::kSpawn) && kind != make_atom(atom::kSpawnExecutable)) return false;
    spec.executable = kind == make_atom(atom::kSpawnExecutable);
    Term command = tuple_element(name, 2);
    return text(command, spec.command) && !spec.command.empty();
}

// port_command/3's options: true when proper; `force` set when given.
bool command_options(Term list, bool& force) {
    if (list_length(list) < 0) return false;
    for (; is_cons(list); list = cdr(list)) {
        Term o = car(list);
        if (o == make_atom(atom::kForce)) {
            force = true;
        } else if (o != make_atom(atom::kNosuspend)) {
            return false;
        }
    }
    return true;
}

Term write(Process& p, Term target, Term data) {
    std::string bytes;
    if (!is_local_port(target)) return badarg(p, 1, "not an open port");
    if (!binary::flatten_iolist(data, bytes)) return badarg(p, 2, "not an iolist");
    if (port::command(target, std::move(bytes)) != port::Result::kOk)
        return badarg(p, 1, "not an open port");
    return make_atom(atom::kTrue);
}

}  // namespace

namespace impl {

Term open_port(Process& p, Term* args) {
    port::Spec spec;
    if (!port_name(args[0], spec)) return badarg(p, 1, "invalid port name");
    if (!options(args[1], spec)) return badarg(p, 2, "invalid option");
    int error = 0;
    Term opened = port::open(p, spec, error);
    if (opened == kNone) return fail(p, make_atom(atom::intern(posix::name(error))));
    return opened;
}

Term port_command2(Process& p, Term* args) {
    return write(p, args[0], args[1]);
}

Term port_command3(Process& p, Term* args) {
    bool force = false;
    if (!command_options(args[2], force)) return badarg(p, 3, "invalid option");
    if (force) {
        // OTP: the spawn driver cannot take a forced command.
        if (!is_local_port(args[0]) || !port::is_open(args[0]))
            return badarg(p, 1, "not an open port");
        return fail(p, make_atom(atom::kNotsup));
    }
    return write(p, args[0], args[1]);
}

Term port_close(Process& p, Term* args) {
    if (!is_local_port(args[0]) || port::close(args[0]) != port::Result::kOk)
        return badarg(p, 1, "not an open port");
    return make_atom(atom::kTrue);
}

Term port_connect(Process& p, Term* args) {
    if (!is_local_port(args[0])) return badarg(p, 1, "not an open port");
    if (!is_local_pid(args[1])) return badarg(p, 2, "not a pid");
    if (port::connect(args[0], args[1]) != port::Result::kOk)
        return badarg(p, 1, "not an open port");
    return make_atom(atom::kTrue);
}

Term port_info1(Process& p, Term* args) {
    if (term::is_atom(args[0])) return make_atom(atom::kUndefined);  // no port is registered
    if (!is_local_port(args[0])) return badarg(p, 1, "not a port");
    return port::info_all(p, args[0]);
}

Term port_info2(Process& p, Term* args) {
    if (!is_local_port(args[0]) && !term::is_atom(args[0])) return badarg(p, 1, "not a port");
    bool bad_item = false;
    Term result = port::info(p, term::is_atom(args[0]) ? kNil : args[0], args[1], bad_item);
    if (bad_item) return badarg(p, 2, "invalid item");
    return result;
}

// The spawn driver answers no control or call (OTP: badarg): only
// beamlite's spawn ports exist.
Term port_control(Process& p, Term*) {
    return badarg(p, 1, "not a port that answers port_control");
}

Term port_call2(Process& p, Term*) {
    return badarg(p, 1, "not a port that answers port_call");
}

Term port_call3(Process& p, Term*) {
    return badarg(p, 1, "not a port that answers port_call");
}

Term ports(Process& p, Term*) {
    std::vector<Term> all = port::all();
    Term* mem = alloc(p, all.size() * kConsWords);
    if (!mem && !all.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = all.size(); i-- > 0;)
        list = make_cons(mem + i * kConsWords, all[i], list);
    return list;
}

}  // namespace impl

}  // namespace bif
