// bif_os: the os module's BIFs: the environment (getenv/0,1, putenv/2,
// unsetenv/1), getpid/0 and type/0; os:cmd_output/2, the dirty I/O BIF
// beneath os:cmd/1,2 (stdlib/os.bl checks the arguments, vm/command runs
// the shell); and file:native_name_encoding/0, which
// OTP's filename and file modules ask. OTP writes these in C too; its os.erl adds
// find_executable on top. Names and values are Unicode strings (UTF-8 in
// the environment), as OTP's are in a UTF-8 locale.
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/command.h"
#include "vm/posix.h"
#include "vm/reply.h"

extern char** environ;

namespace bif {

using namespace term;

namespace {

// setenv and getenv race in glibc; every access to the environment here
// takes this lock (schedulers run BIFs on several threads).
std::mutex& environment_lock() {
    static std::mutex lock;
    return lock;
}

// A flat string of code points as UTF-8 without NUL; false if not one.
bool env_text(Term t, std::string& out) {
    return list_length(t) >= 0 && chardata_to_utf8(t, out) && out.find('\0') == std::string::npos;
}

// The code points of UTF-8 text (a byte that starts no valid sequence
// stays a byte, as run's arguments do).
std::vector<uint32_t> decode(std::string_view text) {
    std::vector<uint32_t> chars;
    for (size_t i = 0; i < text.size();)
        chars.push_back(next_char_or_byte(text, i));
    return chars;
}

// A string of `chars` in `mem` (chars.size() cons cells).
Term build_string(Term* mem, const std::vector<uint32_t>& chars) {
    Term list = kNil;
    for (size_t i = chars.size(); i-- > 0;)
        list = make_cons(mem + i * kConsWords, make_small(chars[i]), list);
    return list;
}

// The environment as "NAME=VALUE" entries: what a command is started with.
std::vector<std::string> environment_copy() {
    std::lock_guard<std::mutex> guard(environment_lock());
    std::vector<std::string> entries;
    for (char** e = environ; *e; ++e)
        entries.emplace_back(*e);
    return entries;
}

// os:cmd_output/2's byte limit: a small non-negative integer or infinity.
bool output_limit(Term t, size_t& max) {
    if (t == make_atom(atom::kInfinity)) {
        max = SIZE_MAX;
        return true;
    }
    if (!is_small(t) || small_value(t) < 0) return false;
    max = size_t(small_value(t));
    return true;
}

}  // namespace

std::vector<std::string> environment() {
    return environment_copy();
}

namespace impl {

// ["NAME=VALUE", ...] in the environment's order.
Term os_getenv0(Process& p, Term* args) {
    std::vector<std::vector<uint32_t>> entries;
    size_t words = 0;
    {
        std::lock_guard<std::mutex> guard(environment_lock());
        for (char** e = environ; *e; ++e) {
            entries.push_back(decode(*e));
            words += (entries.back().size() + 1) * kConsWords;
        }
    }
    Term* mem = alloc(p, words);
    if (!mem && words) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = entries.size(); i-- > 0;) {
        list = make_cons(mem, build_string(mem + kConsWords, entries[i]), list);
        mem += (entries[i].size() + 1) * kConsWords;
    }
    return list;
}

Term os_getenv1(Process& p, Term* args) {
    std::string name;
    if (!env_text(args[0], name)) return badarg(p, 1, "not a valid variable name");
    std::vector<uint32_t> value;
    {
        std::lock_guard<std::mutex> guard(environment_lock());
        const char* v = std::getenv(name.c_str());
        if (!v) return kFalse;
        value = decode(v);
    }
    Term* mem = alloc(p, value.size() * kConsWords);
    if (!mem && !value.empty()) return heap_exhausted(p);
    return build_string(mem, value);
}

Term os_putenv(Process& p, Term* args) {
    std::string name, value;
    if (!env_text(args[0], name) || name.empty() || name.find('=') != std::string::npos)
        return badarg(p, 1, "not a valid variable name");
    if (!env_text(args[1], value)) return badarg(p, 2, "not a valid value");
    std::lock_guard<std::mutex> guard(environment_lock());
    if (setenv(name.c_str(), value.c_str(), 1) != 0)
        return badarg(p, 1, "not a valid variable name");
    return kTrue;
}

Term os_unsetenv(Process& p, Term* args) {
    std::string name;
    if (!env_text(args[0], name)) return badarg(p, 1, "not a valid variable name");
    std::lock_guard<std::mutex> guard(environment_lock());
    unsetenv(name.c_str());
    return kTrue;
}

// os:cmd_output(Command, Max) -> Bytes | {error, Posix}: what os:cmd
// runs Command (bytes: the command's UTF-8) prints, at most Max bytes (or
// infinity), as vm/command.h says; {error, Posix} when the shell cannot be
// started. A dirty I/O BIF: it waits for the command on a dirty I/O
// thread.
Term os_cmd_output(Process& p, Term* args) {
    if (!term::is_binary(args[0])) return badarg(p, 1, "not a binary");
    size_t max;
    if (!output_limit(args[1], max))
        return badarg(p, 2, "not a small non-negative integer or infinity");
    std::string text;
    binary::append_bytes(text, args[0]);
    command::Output out = command::run(text, environment_copy(), max);
    if (out.error) {
        uint32_t reason = atom::intern(posix::name(out.error));
        if (reason == atom::kNoAtom) reason = atom::kError;
        return reply::build(p, reply::tuple({reply::atom(atom::kError), reply::atom(reason)}));
    }
    Term bytes = binary::from_bytes(p, out.bytes.data(), out.bytes.size());
    return bytes == kNone ? heap_exhausted(p) : bytes;
}

Term os_getpid(Process& p, Term* args) {
    return make_string(p, std::to_string(::getpid()));
}

// Filenames are UTF-8 (OTP's default in a UTF-8 locale).
Term file_native_name_encoding(Process& p, Term* args) {
    return make_atom(atom::kUtf8);
}

Term os_type(Process& p, Term* args) {
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 2);
    mem[1] = make_atom(atom::kUnix);
    mem[2] = make_atom(atom::kLinux);
    return t;
}

}  // namespace impl

}  // namespace bif
