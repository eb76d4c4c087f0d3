// bif_terms: BIFs that describe terms and the node, which OTP's library
// modules call: pid_to_list/1 and its kin (the printed forms), fun_info/1,2,
// fun_info_mfa/1,
// unique_integer/0,1, nodes/0,1, is_builtin/3, error/3 and nif_error/1,2
// (OTP's sources define every BIF as a stub that calls nif_error; a stub
// that runs means the runtime lacks that BIF).
#include <atomic>
#include <string>
#include <vector>

#include "vm/bif.h"
#include "vm/code.h"

namespace bif {

using namespace term;

namespace {

Term atom_of(uint32_t index) {
    return make_atom(index);
}

Term printed(Process& p, Term t) {
    return make_string(p, to_string(t));
}

// A pair {Key, Value} where both are immediates or already on the heap
// (a collection would not move them: no allocation happens in between).
Term pair(Term* mem, Term key, Term value) {
    Term t = term::make_tuple(mem, 2);
    mem[1] = key;
    mem[2] = value;
    return t;
}

// The free variables of a local fun as a list, in `mem` (env_words(fun)
// words); [] for fun M:F/A.
size_t env_words(Term fun) {
    return is_local_fun(fun) ? fun_num_free(fun) * kConsWords : 0;
}
Term make_env(Term*& mem, Term fun) {
    Term list = kNil;
    if (!is_local_fun(fun)) return list;
    for (uint64_t i = fun_num_free(fun); i-- > 0; mem += kConsWords)
        list = make_cons(mem, fun_free_vars(fun)[i], list);
    return list;
}

// The value of one fun_info item, or kNone for an unknown item. `env` is
// the fun's env list, already built.
Term item_value(Process& p, Term fun, Term item, Term env) {
    bool local = is_local_fun(fun);
    const FunEntry* e = local ? fun_entry(fun) : nullptr;
    if (item == atom_of(atom::kModule)) return local ? e->module : export_module(fun);
    if (item == atom_of(atom::kName)) return local ? code::lambda_name(e) : export_function(fun);
    if (item == atom_of(atom::kArity)) return make_small(local ? e->arity : export_arity(fun));
    if (item == atom_of(atom::kType)) return atom_of(local ? atom::kLocal : atom::kExternal);
    if (item == atom_of(atom::kEnv)) return env;
    if (item == atom_of(atom::kIndex) || item == atom_of(atom::kNewIndex))
        return local ? make_small(e->index) : kUndefined;
    if (item == atom_of(atom::kUniq) || item == atom_of(atom::kNewUniq))
        return local ? make_small(e->uniq) : kUndefined;
    if (item == atom_of(atom::kPid)) return local ? p.pid : kUndefined;
    return kNone;
}

std::atomic<int64_t> g_unique{0};

// The text of a list of characters (Latin-1); false for anything else.
bool list_text(Term list, std::string& text) {
    for (; is_cons(list); list = cdr(list)) {
        Term c = car(list);
        if (!is_small(c) || small_value(c) < 0 || small_value(c) > 255) return false;
        text += char(small_value(c));
    }
    return is_nil(list);
}

// Reads `prefix` then numbers separated by dots, then `suffix`, the
// whole of `text` (the printed forms of pids, ports and references).
// Each number is below 2^bits.
bool parse_printed(std::string_view text, std::string_view prefix, std::string_view suffix,
                   std::vector<uint64_t>& numbers, int bits) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    if (text.size() < suffix.size() || text.substr(text.size() - suffix.size()) != suffix)
        return false;
    text.remove_suffix(suffix.size());
    for (;;) {
        size_t n = 0;
        uint64_t value = 0;
        while (n < text.size() && text[n] >= '0' && text[n] <= '9') {
            if (value >> (bits - 4)) return false;  // the next digit could overflow
            value = value * 10 + uint64_t(text[n] - '0');
            ++n;
        }
        if (n == 0 || value >> bits) return false;
        numbers.push_back(value);
        text.remove_prefix(n);
        if (text.empty()) return true;
        if (text.front() != '.') return false;
        text.remove_prefix(1);
    }
}

}  // namespace

namespace impl {

Term pid_to_list(Process& p, Term* args) {
    if (!term::is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    return printed(p, args[0]);
}

Term port_to_list(Process& p, Term* args) {
    if (!term::is_local_port(args[0])) return badarg(p, 1, "not a port");
    return printed(p, args[0]);
}

Term ref_to_list(Process& p, Term* args) {
    if (!term::is_ref(args[0])) return badarg(p, 1, "not a reference");
    return printed(p, args[0]);
}

// list_to_pid/1, list_to_port/1 and list_to_ref/1 read what pid_to_list,
// port_to_list and ref_to_list print. Only this node's (node 0) terms
// can be named; the pid or port need not be alive, as in OTP.
Term list_to_pid(Process& p, Term* args) {
    std::string text;
    std::vector<uint64_t> numbers;
    if (!list_text(args[0], text) || !parse_printed(text, "<", ">", numbers, 59) ||
        numbers.size() != 3 || numbers[0] != 0 || numbers[2] != 0)
        return badarg(p, 1, "not a textual representation of a pid");
    return (numbers[1] << 4) | term::kTagPid;
}

Term list_to_port(Process& p, Term* args) {
    std::string text;
    std::vector<uint64_t> numbers;
    if (!list_text(args[0], text) || !parse_printed(text, "#Port<", ">", numbers, 59) ||
        numbers.size() != 2 || numbers[0] != 0)
        return badarg(p, 1, "not a textual representation of a port");
    return term::make_port(numbers[1]);
}

Term list_to_ref(Process& p, Term* args) {
    std::string text;
    std::vector<uint64_t> numbers;
    if (!list_text(args[0], text) || !parse_printed(text, "#Ref<", ">", numbers, 32) ||
        numbers.size() != 4 || numbers[0] != 0)
        return badarg(p, 1, "not a textual representation of a reference");
    Term* mem = alloc(p, term::kRefWords);
    if (!mem) return heap_exhausted(p);
    return term::make_ref(mem, numbers[2] << 32 | numbers[3], numbers[1]);
}

Term fun_to_list(Process& p, Term* args) {
    if (!term::is_fun(args[0])) return badarg(p, 1, "not a fun");
    return printed(p, args[0]);
}

// One allocation for the answer: the collection it may cause moves the
// fun (a live X register), never a half-built result.
Term fun_info2(Process& p, Term* args) {
    if (!term::is_fun(args[0])) return badarg(p, 1, "not a fun");
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    if (item_value(p, args[0], args[1], kNil) == kNone) return badarg(p, 2, "invalid item");
    Term* mem = alloc(p, tuple_words(2) + env_words(args[0]));
    if (!mem) return heap_exhausted(p);
    Term env = make_env(mem, args[0]);
    return pair(mem, args[1], item_value(p, args[0], args[1], env));
}

// {Module, Name, Arity}: proc_lib names a fun's initial call with it.
Term fun_info_mfa(Process& p, Term* args) {
    if (!term::is_fun(args[0])) return badarg(p, 1, "not a fun");
    Term* mem = alloc(p, tuple_words(3));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 3);
    mem[1] = item_value(p, args[0], atom_of(atom::kModule), kNil);
    mem[2] = item_value(p, args[0], atom_of(atom::kName), kNil);
    mem[3] = item_value(p, args[0], atom_of(atom::kArity), kNil);
    return t;
}

// OTP's order: for a local fun pid, module, new_index, new_uniq, index,
// uniq, name, arity, env, type; for fun M:F/A module, name, arity, env, type.
Term fun_info1(Process& p, Term* args) {
    if (!term::is_fun(args[0])) return badarg(p, 1, "not a fun");
    static const uint32_t kLocal[] = {atom::kPid,   atom::kModule, atom::kNewIndex, atom::kNewUniq,
                                      atom::kIndex, atom::kUniq,   atom::kName,     atom::kArity,
                                      atom::kEnv,   atom::kType};
    static const uint32_t kExternal[] = {atom::kModule, atom::kName, atom::kArity, atom::kEnv,
                                         atom::kType};
    bool local = is_local_fun(args[0]);
    const uint32_t* items = local ? kLocal : kExternal;
    size_t n = local ? std::size(kLocal) : std::size(kExternal);
    Term* mem = alloc(p, n * (kConsWords + tuple_words(2)) + env_words(args[0]));
    if (!mem) return heap_exhausted(p);
    Term env = make_env(mem, args[0]);
    Term list = kNil;
    for (size_t i = n; i-- > 0; mem += kConsWords + tuple_words(2)) {
        Term item = atom_of(items[i]);
        Term t = pair(mem, item, item_value(p, args[0], item, env));
        list = make_cons(mem + tuple_words(2), t, list);
    }
    return list;
}

Term unique_integer0(Process& p, Term* args) {
    return make_small(++g_unique);
}

// Options: positive and monotonic; both hold for one counter.
Term unique_integer1(Process& p, Term* args) {
    Term l = args[0];
    for (; is_cons(l); l = cdr(l)) {
        Term o = car(l);
        if (o != atom_of(atom::kPositive) && o != atom_of(atom::kMonotonic))
            return badarg(p, 1, "invalid modifier");
    }
    if (!is_nil(l)) return badarg(p, 1, "not a list");
    return make_small(++g_unique);
}

// Not distributed (yet): no other nodes.
Term nodes0(Process& p, Term* args) {
    return kNil;
}

Term nodes1(Process& p, Term* args) {
    return kNil;
}

Term is_builtin(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    if (!is_small(args[2]) || small_value(args[2]) < 0) return badarg(p, 3, "not an arity");
    return find(args[0], args[1], uint32_t(small_value(args[2]))) ? kTrue : kFalse;
}

// error(Reason, Args, Options): as error/2, and an {error_info, Map}
// option ends the first stack-trace entry's location, as in OTP (error
// reports read the cause from it: erl_stdlib_errors and the like).
Term error3(Process& p, Term* args) {
    Term result = impl::error2(p, args);
    // As OTP: every option must be {error_info, Map}, and the last counts;
    // options that are not a proper list are ignored.
    Term info = kNil;
    Term options = list_length(args[2]) < 0 ? kNil : args[2];
    for (; !is_nil(options); options = cdr(options)) {
        Term option = car(options);
        if (!term::is_tuple(option) || tuple_arity(option) != 2 ||
            tuple_element(option, 1) != make_atom(atom::kErrorInfo) ||
            !term::is_map(tuple_element(option, 2))) {
            info = kNil;
            break;
        }
        info = option;
    }
    p.rare->terms[process::kExcErrorInfo] = info;
    return result;
}

Term nif_error1(Process& p, Term* args) {
    return raise(p, kError, args[0]);
}

Term nif_error2(Process& p, Term* args) {
    return impl::error2(p, args);
}

}  // namespace impl

}  // namespace bif
