// bif_system: BIFs about the running process and the outside world: the
// process dictionary, identity (self, node, make_ref), raising (throw,
// error, exit, raise), halt, erlang:memory/0,1, io_lib:format/2 (OTP's
// io_lib with C++ speed) and erlang:display/1.
//
// The dictionary is a hash table (term_table.h) in the process's rare
// block, allocated on the first put/2: get/put/erase are O(1) expected, and
// the table's keys and values are GC roots. get/0, erase/0, get_keys/0,1
// list it in table order, which, as in OTP, programs must not depend on.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "vm/bif.h"
#include "vm/exception.h"
#include "vm/memory.h"
#include "vm/output.h"

#include "vm/format.h"
#include "vm/format_deep.h"

namespace bif {

using namespace term;

namespace {

term_table::TermTable& dictionary(Process& p) {
    return process::rare(p).dictionary;
}

Term or_undefined(Term value) {
    return value == kNone ? kUndefined : value;
}

}  // namespace

// [{Key, Value}] of q's dictionary, built in `asker`'s heap, copying the
// terms when q is another process (never point into another process's
// heap: its collector would move the terms under us). q's heap does not
// move meanwhile: the caller holds q, or q is the asker.
Term dictionary_list(Process& asker, Process& q) {
    if (!q.rare || q.rare->dictionary.empty()) return kNil;
    const term_table::TermTable& table = q.rare->dictionary;
    bool copy = &q != &asker;
    size_t words = table.size() * (kConsWords + 3);
    for (size_t i = 0; copy && i < table.capacity(); ++i) {
        if (table.key(i) != kNone)
            words += heap::copy_size(table.key(i)) + heap::copy_size(table.value(i));
    }
    charge(table.size() * 8);
    Term* mem = alloc(asker, words);
    if (!mem) return heap_exhausted(asker);
    Term list = kNil;
    for (size_t i = 0; i < table.capacity(); ++i) {
        Term k = table.key(i), v = table.value(i);
        if (k == kNone) continue;
        Term* pair = mem;
        mem += 3 + kConsWords;
        if (copy) {
            k = heap::copy_term(k, mem, asker.heap.off_heap);
            mem += heap::copy_size(table.key(i));
            v = heap::copy_term(v, mem, asker.heap.off_heap);
            mem += heap::copy_size(table.value(i));
        }
        Term tuple = term::make_tuple(pair, 2);
        pair[1] = k;
        pair[2] = v;
        list = make_cons(pair + 3, tuple, list);
    }
    return list;
}

namespace impl {

// ---- process dictionary ------------------------------------------------------------

Term put(Process& p, Term* args) {
    return or_undefined(dictionary(p).put(args[0], args[1]));
}

Term get(Process& p, Term* args) {
    if (!p.rare) return kUndefined;
    return or_undefined(p.rare->dictionary.get(args[0]));
}

Term get_all(Process& p, Term* args) {
    return dictionary_list(p, p);
}

Term erase(Process& p, Term* args) {
    if (!p.rare) return kUndefined;
    return or_undefined(p.rare->dictionary.erase(args[0]));
}

Term erase_all(Process& p, Term* args) {
    Term list = dictionary_list(p, p);
    if (list != kNone && p.rare) p.rare->dictionary.clear();
    return list;
}

namespace {

// The keys of the dictionary: of every entry (value null), or of those
// whose value is =:= *value, read after allocating (a collection moves it:
// it is a BIF argument, a root).
Term dictionary_keys(Process& p, const Term* value) {
    if (!p.rare) return kNil;
    const term_table::TermTable& table = p.rare->dictionary;
    charge(table.size() * 4);
    Term* mem = alloc(p, table.size() * kConsWords);
    if (!mem && !table.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = 0; i < table.capacity(); ++i) {
        if (table.key(i) == kNone || (value && !exact_equal(table.value(i), *value))) continue;
        list = make_cons(mem, table.key(i), list);
        mem += kConsWords;
    }
    p.heap.top = mem;  // give back the cells of keys with other values
    return list;
}

}  // namespace

Term get_keys(Process& p, Term* args) {
    return dictionary_keys(p, nullptr);
}

Term get_keys1(Process& p, Term* args) {
    return dictionary_keys(p, &args[0]);
}

// ---- identity ----------------------------------------------------------------------------

Term self(Process& p, Term* args) {
    return p.pid;
}

Term node(Process& p, Term* args) {
    return make_atom(atom::kNonode);
}

// node(Arg): the node of a pid, port or reference; anything else is
// badarg, as in OTP.
Term node1(Process& p, Term* args) {
    Term arg = args[0];
    if (!is_local_pid(arg) && !is_local_port(arg) && !is_ref(arg)) return badarg(p, 1, "not a pid");
    return make_atom(atom::kNonode);
}

Term make_ref(Process& p, Term* args) {
    Term* mem = alloc(p, kRefWords);
    if (!mem) return heap_exhausted(p);
    uint64_t id = process::new_ref_id();
    return term::make_ref(mem, id, 0);
}

// fun M:F/A as a value.
Term make_fun(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    if (!is_small(args[2]) || small_value(args[2]) < 0 || small_value(args[2]) > 255)
        return badarg(p, 3, "not a valid arity");
    Term* mem = alloc(p, kExportWords);
    if (!mem) return heap_exhausted(p);
    return make_export(mem, args[0], args[1], uint64_t(small_value(args[2])));
}

// ---- exceptions, control -------------------------------------------------------------------

Term throw_(Process& p, Term* args) {
    return raise(p, make_atom(atom::kThrow), args[0]);
}

Term error(Process& p, Term* args) {
    return raise(p, kError, args[0]);
}

// error(Reason, Args): the first stack-trace entry is the calling function
// with Args for its arity (`none`: its arity), as in OTP.
Term error2(Process& p, Term* args) {
    raise(p, kError, args[0]);
    if (list_length(args[1]) >= 0) {
        p.rare->terms[process::kExcArgs] = args[1];
        p.rare->info.caller_args = true;
    }
    return kNone;
}

Term exit(Process& p, Term* args) {
    return raise(p, make_atom(atom::kExit), args[0]);
}

namespace {

bool is_short_entry(Term entry) {
    return term::is_tuple(entry) && term::tuple_arity(entry) == 3;
}

// A stack trace with each {M, F, ArityOrArgs} entry as {M, F, ArityOrArgs,
// []}, as OTP's raise/3 stores it (erl_eval raises such entries, and
// erl_error formats only the four-element form); `trace` itself when none
// is short. kNone when the heap is full. `args[2]` is the trace (a root:
// the allocation may move it).
Term full_entries(Process& p, Term* args) {
    size_t length = 0, shorts = 0;
    for (Term l = args[2]; is_cons(l); l = cdr(l), ++length)
        shorts += is_short_entry(car(l));
    if (shorts == 0) return args[2];
    Term* mem = alloc(p, length * kConsWords + shorts * 5);
    if (!mem) return kNone;
    std::vector<Term> entries;
    for (Term l = args[2]; is_cons(l); l = cdr(l))
        entries.push_back(car(l));
    Term list = kNil;
    for (size_t i = entries.size(); i-- > 0;) {
        Term entry = entries[i];
        if (is_short_entry(entry)) {
            Term short_entry = entry;
            entry = term::make_tuple(mem, 4);
            for (uint32_t k = 1; k <= 3; ++k)
                mem[k] = tuple_element(short_entry, k);
            mem[4] = kNil;
            mem += 5;
        }
        list = make_cons(mem, entry, list);
        mem += kConsWords;
    }
    return list;
}

}  // namespace

Term raise3(Process& p, Term* args) {
    Term cls = args[0];
    bool valid = cls == kError || cls == make_atom(atom::kExit) || cls == make_atom(atom::kThrow);
    // Not a class or not a list: raise/3 returns badarg instead (OTP's).
    if (!valid || list_length(args[2]) < 0) return make_atom(atom::kBadarg);
    Term trace = full_entries(p, args);
    if (trace == kNone) return heap_exhausted(p);
    exception::set_with_trace(p, cls, args[1], trace);
    return kNone;
}

Term halt(Process& p, Term* args) {
    process::rare(p).halt_code = 0;
    p.status = process::Status::Halted;
    return kNone;
}

Term halt1(Process& p, Term* args) {
    Term status = args[0];
    if (is_small(status) && small_value(status) >= 0) {
        process::rare(p).halt_code = int(small_value(status) & 0xFF);
    } else if (term::is_list(status) || status == make_atom(atom::kAbort)) {
        process::rare(p).halt_code = 1;
    } else {
        return badarg(p, 1, "not a valid halt status");
    }
    p.status = process::Status::Halted;
    return kNone;
}

namespace {

// erlang:memory/0's types in OTP's order, each with its value in a report
// (memory.cpp says what each counts).
struct MemoryType {
    atom::Index name;
    uint64_t memory::Report::*bytes;
};
constexpr MemoryType kMemoryTypes[] = {
    {atom::kTotal, &memory::Report::total},
    {atom::kProcesses, &memory::Report::processes},
    {atom::kProcessesUsed, &memory::Report::processes_used},
    {atom::kSystem, &memory::Report::system},
    {atom::kAtom, &memory::Report::atom},
    {atom::kAtomUsed, &memory::Report::atom_used},
    {atom::kBinary, &memory::Report::binary},
    {atom::kCode, &memory::Report::code},
    {atom::kEts, &memory::Report::ets},
};

// The type named by `t`, or null when `t` names none.
const MemoryType* memory_type(Term t) {
    for (const MemoryType& type : kMemoryTypes)
        if (t == make_atom(type.name)) return &type;
    return nullptr;
}

Term memory_value(const memory::Report& report, const MemoryType& type) {
    return make_small(int64_t(report.*type.bytes));
}

// [{Type, Bytes}] for `types`, in their order, from one report.
Term memory_pairs(Process& p, const std::vector<const MemoryType*>& types) {
    Term* mem = alloc(p, types.size() * (kConsWords + 3));
    if (!mem) return heap_exhausted(p);
    memory::Report report = memory::report();
    Term result = kNil;
    for (size_t i = types.size(); i-- > 0;) {
        Term pair = term::make_tuple(mem, 2);
        mem[1] = make_atom(types[i]->name);
        mem[2] = memory_value(report, *types[i]);
        result = make_cons(mem + 3, pair, result);
        mem += 3 + kConsWords;
    }
    return result;
}

}  // namespace

// erlang:memory(): every type's bytes.
Term memory0(Process& p, Term* args) {
    std::vector<const MemoryType*> types;
    for (const MemoryType& type : kMemoryTypes)
        types.push_back(&type);
    return memory_pairs(p, types);
}

// erlang:memory(Type | [Type]): one type's bytes, or {Type, Bytes} pairs in
// the order asked; badarg for anything but memory/0's types (a type list
// is walked to its first bad element, as OTP's does).
Term memory1(Process& p, Term* args) {
    if (term::is_atom(args[0])) {
        const MemoryType* type = memory_type(args[0]);
        if (!type) return badarg(p, 1, "invalid memory type option");
        return memory_value(memory::report(), *type);
    }
    if (!term::is_list(args[0])) return badarg(p, 1, "not a list");
    std::vector<const MemoryType*> types;
    Term l = args[0];
    for (; is_cons(l); l = cdr(l)) {
        const MemoryType* type = memory_type(car(l));
        if (!type) return badarg(p, 1, "invalid memory type option");
        types.push_back(type);
    }
    // OTP walks the list in Erlang and has no clause for an improper tail.
    if (l != kNil) return fail(p, make_atom(atom::kFunctionClause));
    return memory_pairs(p, types);
}

Term interpreted(Process& p, Term* args) {
    return fail(p, make_atom(atom::kUndef));  // never called: apply runs in the interpreter
}

}  // namespace impl

// ---- output -------------------------------------------------------------------------------------

namespace {

// io_lib:format(Format, Args) as UTF-8; false on a bad format or arguments.
bool format_text(std::string& out, Term format, Term args) {
    return format::format(out, format, args) == format::Status::kOk;
}

}  // namespace

namespace impl {

// OTP's deep list (format_deep.h); the flat one if the format cannot be
// split.
// A format that is a list with an element that is no character (a chunk
// of text, as eunit_tty writes one): OTP's io_lib_format passes such an
// element on as it is.
bool has_chunks(Term format) {
    for (; term::is_cons(format); format = cdr(format))
        if (!term::is_small(car(format))) return true;
    return false;
}

Term io_lib_format(Process& p, Term* args) {
    if (has_chunks(args[0])) return continue_as(p, "io_lib_format", "fwrite", 2);
    std::string out;
    if (!format_text(out, args[0], args[1])) return badarg(p, 1, "bad format or arguments");
    format::DeepList deep;
    if (format::format_deep(deep, args[0], args[1])) {
        size_t words = deep.cells() * kConsWords;
        Term* mem = alloc(p, words);
        if (!mem && words > 0) return heap_exhausted(p);
        return deep.build(mem);
    }
    return make_unicode_string(p, out);
}

// Characters ~p prints as strings: OTP's default (erl +pc latin1).
Term io_printable_range(Process& p, Term* args) {
    return make_atom(atom::kLatin1);
}

// Written at once, ending in CR LF, as OTP's (erts writes it itself, not
// through the I/O server).
Term display(Process& p, Term* args) {
    std::string out;
    term::print_display(out, args[0]);
    out += "\r\n";
    output::write(output::kStdout, out);
    return kTrue;
}

}  // namespace impl

}  // namespace bif
