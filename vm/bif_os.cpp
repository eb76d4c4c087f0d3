// bif_os: the os module's BIFs, which OTP writes in C too: the environment
// (env/0, getenv/1, putenv/2, unsetenv/1), getpid/0, type/0 and
// perf_counter/0; and file:native_name_encoding/0, which OTP's filename
// and file modules ask. The rest of os (cmd/1,2 on a port, getenv/0,
// find_executable) is OTP's os.erl. Names and values are Unicode strings
// (UTF-8 in the environment), as OTP's are in a UTF-8 locale.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vm/bif.h"
#include "vm/binary.h"
#include "vm/posix.h"
#include "vm/reply.h"
#include "vm/timer.h"

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

}  // namespace

std::vector<std::string> environment() {
    return environment_copy();
}

namespace impl {

// os:env/0: [{Name, Value}] in the environment's order, each entry split
// at its first '='.
// (OTP's os:getenv/0 makes its "NAME=VALUE" strings from this.)
Term os_env(Process& p, Term* args) {
    std::vector<std::vector<uint32_t>> entries;
    size_t words = 0;
    for (const std::string& entry : environment_copy()) {
        entries.push_back(decode(entry));
        words += kConsWords + tuple_words(2) + entries.back().size() * kConsWords;
    }
    Term* mem = alloc(p, words);
    if (!mem && words) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = entries.size(); i-- > 0;) {
        const std::vector<uint32_t>& entry = entries[i];
        size_t equals = std::find(entry.begin(), entry.end(), uint32_t('=')) - entry.begin();
        std::vector<uint32_t> name(entry.begin(), entry.begin() + equals);
        std::vector<uint32_t> value(entry.begin() + std::min(equals + 1, entry.size()),
                                    entry.end());
        Term name_list = build_string(mem, name);
        mem += name.size() * kConsWords;
        Term value_list = build_string(mem, value);
        mem += value.size() * kConsWords;
        Term pair = put_tuple2(mem, name_list, value_list);
        list = make_cons(mem, pair, list);
        mem += kConsWords;
    }
    return list;
}

// os:perf_counter/0: the monotonic clock in its native unit, nanoseconds
// (OTP's perf_counter unit on Linux).
Term os_perf_counter(Process& p, Term* args) {
    return make_small(timer::now_ns());  // 2^59 ns: 18 years of uptime
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
