// exception: raising, stack traces, unwinding, catch values and the
// uncaught-error report (see exception.h).
#include "vm/exception.h"

#include "bytecode/guard_bifs.h"

#include <algorithm>
#include <vector>

#include "vm/bif.h"
#include "vm/format.h"
#include "vm/interp.h"

namespace exception {

using namespace term;
using process::Rare;

namespace {

Term& slot(Process& p, process::RareTerm which) {
    return process::rare(p).terms[which];
}

// One stack-trace entry before it becomes a term.
struct Frame {
    Term module;
    Term function;
    uint32_t arity;
    bool with_args;              // the arguments list (kExcArgs) instead of the arity
    bool error_info;             // [{error_info, #{module => erl_erts_errors}}]
    bool given_info;             // error/3's error_info (kExcErrorInfo) ends its location
    const code::Module* source;  // for the file name, or null
    uint32_t line;
    // ets's BIFs: [{error_info, #{cause => Cause, module => erl_stdlib_errors}}]
    // (cause: an atom, or nil when there is none)
    bool stdlib_info = false;
    Term cause = kNil;
};

// A code address as a frame; false when it is not in a loaded function.
bool frame_at(const Word* address, bool return_address, Frame& frame) {
    code::Location where = code::locate(address, return_address);
    if (!where.module || !where.function) return false;
    frame = {where.module->name,
             where.function->name,
             where.function->arity,
             false,
             false,
             false,
             where.module,
             where.line};
    return true;
}

// erlang:'/'/2 raises badarith with no frame of its own in Erlang/OTP 25
// (its compiler makes float instructions of it), unlike '*', div and the
// rest; called through apply (erl_eval, the shell) it has one. ('+' and '-'
// with a small-integer constant have none either: the interpreter's add_int
// and sub_int raise from the function.)
bool frameless(const code::Export* callee) {
    if (callee->module != make_atom(atom::kErlang) || callee->arity != 2) return false;
    return atom::name(atom_index(callee->function)) == "/";
}

// The frames of a trace, newest first, at most kTraceDepth.
std::vector<Frame> collect_frames(Process& p, const Word* ip, const Word* cp, First first,
                                  const code::Export* callee) {
    std::vector<Frame> frames;
    Frame frame{};
    bool applied = first == First::Applied;
    if ((first == First::Call || applied) && callee && (applied || !frameless(callee))) {
        bool erlang = callee->module == make_atom(atom::kErlang);
        Frame bif{callee->module,
                  callee->function,
                  callee->arity,
                  true,
                  erlang && callee->bif != nullptr,
                  false,
                  nullptr,
                  0};
        if (callee->module == make_atom(atom::kEts) && callee->bif != nullptr) {
            bif.stdlib_info = true;
            bif.cause = p.rare ? p.rare->info.cause : kNil;
        }
        frames.push_back(bif);
    }
    if (frame_at(ip, false, frame)) {
        bool raised_here = first == First::Here && p.rare;
        frame.with_args =
            first == First::FunctionClause || (raised_here && p.rare->info.caller_args);
        frame.given_info = raised_here && !is_nil(p.rare->terms[process::kExcErrorInfo]);
        frames.push_back(frame);
        frame.given_info = false;
    }
    // A return address equal to the one before it (a body-recursive
    // function's frames) is recorded once, as OTP records them.
    const Word* previous = nullptr;
    if (cp && frame_at(cp, true, frame)) {
        frames.push_back(frame);
        previous = cp;
    }
    for (const Term* w = p.heap.sp; w < p.heap.end && frames.size() < kTraceDepth; ++w) {
        if (!*w || !is_header(*w)) continue;
        const Word* address = reinterpret_cast<const Word*>(*w);
        if (address == previous) continue;
        if (frame_at(address, true, frame)) {
            frames.push_back(frame);
            previous = address;
        }
    }
    if (frames.size() > kTraceDepth) frames.resize(kTraceDepth);
    return frames;
}

// Code points of a file name (make_file_string's list length).
size_t file_chars(const std::string& file) {
    size_t n = 0;
    for (size_t i = 0; i < file.size(); ++n)
        next_char_or_byte(file, i);
    return n;
}

// Words one entry takes: its cons cell and 4-tuple, and the location
// [{file, File}, {line, Line}] with the file name as a string of code points.
size_t frame_words(const Frame& f) {
    bool no_location = f.error_info || f.stdlib_info;
    size_t location = f.source && f.line && !no_location ? 10 + file_chars(f.source->file) * 2 : 0;
    if (f.given_info) location += kConsWords;
    if (f.stdlib_info) location += flat_map_words(f.cause == kNil ? 1 : 2) + 3 + kConsWords;
    return kConsWords + 5 + location;
}

Term make_file_string(Term*& mem, const std::string& file) {
    std::vector<uint32_t> chars;  // a file name is UTF-8, its string code points
    for (size_t i = 0; i < file.size();)
        chars.push_back(next_char_or_byte(file, i));
    Term list = kNil;
    for (size_t i = chars.size(); i-- > 0;) {
        list = make_cons(mem, make_small(chars[i]), list);
        mem += 2;
    }
    return list;
}

// [{error_info, #{module => erl_erts_errors}}], once, in the literal area.
Term make_error_info_literal() {
    Term key = make_atom(atom::kModule);
    Term value = make_atom(atom::kErlErtsErrors);
    Term* mem = heap::literal_alloc(flat_map_words(1) + 3 + 2);
    Term map = make_flat_map(mem, &key, &value, 1);
    mem += flat_map_words(1);
    Term pair = put_tuple2(mem, make_atom(atom::kErrorInfo), map);
    return make_cons(mem, pair, kNil);
}

Term error_info_literal() {
    static const Term info = make_error_info_literal();  // thread-safe, once
    return info;
}

// [{error_info, #{cause => Cause, module => erl_stdlib_errors}}] at `mem`
// (without the cause when it is nil), which it moves past.
Term stdlib_error_info(Term*& mem, Term cause) {
    Term keys[2] = {make_atom(atom::kCause), make_atom(atom::kModule)};
    Term values[2] = {cause, make_atom(atom::kErlStdlibErrors)};
    size_t n = cause == kNil ? 1 : 2;
    Term map = make_flat_map(mem, keys + (2 - n), values + (2 - n), n);
    mem += flat_map_words(n);
    Term pair = put_tuple2(mem, make_atom(atom::kErrorInfo), map);
    Term list = make_cons(mem, pair, kNil);
    mem += kConsWords;
    return list;
}

// The terms of `frames`; allocation already ensured.
Term build_trace(Process& p, const std::vector<Frame>& frames, Term*& mem) {
    Term trace = kNil;
    for (size_t i = frames.size(); i-- > 0;) {
        const Frame& f = frames[i];
        // error/3's {error_info, Map} comes last, after file and line.
        Term location = kNil;
        if (f.given_info) {
            location = make_cons(mem, slot(p, process::kExcErrorInfo), kNil);
            mem += kConsWords;
        }
        if (f.error_info) {
            location = error_info_literal();
        } else if (f.stdlib_info) {
            location = stdlib_error_info(mem, f.cause);
        } else if (f.source && f.line) {
            Term file = make_file_string(mem, f.source->file);
            Term file_pair = put_tuple2(mem, make_atom(atom::kFile), file);
            Term line_pair = put_tuple2(mem, make_atom(atom::kLine), make_small(f.line));
            location = make_cons(mem, line_pair, location);
            location = make_cons(mem + kConsWords, file_pair, location);
            mem += 2 * kConsWords;
        }
        Term arity = f.with_args ? slot(p, process::kExcArgs) : make_small(f.arity);
        Term entry = make_tuple(mem, 4);
        mem[1] = f.module;
        mem[2] = f.function;
        mem[3] = arity;
        mem[4] = location;
        mem += 5;
        trace = make_cons(mem, entry, trace);
        mem += 2;
    }
    return trace;
}

}  // namespace

void set(Process& p, Term cls, Term reason) {
    Rare& r = process::rare(p);
    r.terms[process::kExcClass] = cls;
    r.terms[process::kExcReason] = reason;
    r.terms[process::kExcTrace] = kNil;
    r.terms[process::kExcArgs] = kNil;
    r.terms[process::kExcErrorInfo] = kNil;
    r.info = {};
    r.trace_given = false;
}

bool set_error_tuple(Process& p, Term tag, Term value) {
    set(p, kError, value);
    Term* mem = process::alloc(p, 3);
    if (!mem) return false;
    Term& reason = slot(p, process::kExcReason);
    reason = put_tuple2(mem, tag, reason);
    return true;
}

void set_with_trace(Process& p, Term cls, Term reason, Term trace) {
    set(p, cls, reason);
    slot(p, process::kExcTrace) = trace;
    p.rare->trace_given = true;
}

Term args_list(Process& p, Term* xregs, uint32_t n) {
    Term* mem = process::alloc(p, n * kConsWords);
    if (!mem && n) return kNone;
    Term list = kNil;
    for (uint32_t i = n; i-- > 0;)
        list = make_cons(mem + 2 * i, xregs[i], list);
    return list;
}

Term current_stacktrace(Process& asker, Process& q) {
    // The asker's ip and cp are where it called process_info (the
    // interpreter saves them at every BIF call).
    std::vector<Frame> frames = collect_frames(q, q.ip, q.cp, First::Here, nullptr);
    size_t words = 0;
    for (const Frame& f : frames)
        words += frame_words(f);
    Term* mem = process::alloc(asker, words);
    if (!mem && words) return kNone;
    return build_trace(asker, frames, mem);
}

bool finish(Process& p, const Word* ip, const Word* cp, First first, const code::Export* callee) {
    Rare& r = process::rare(p);
    if (r.trace_given) return true;
    if (first != First::Here) {
        Term args = args_list(p, p.xregs, p.live);
        if (args == kNone) return false;
        r.terms[process::kExcArgs] = args;
    }
    p.live = 0;
    std::vector<Frame> frames = collect_frames(p, ip, cp, first, callee);
    size_t words = 0;
    for (const Frame& f : frames)
        words += frame_words(f);
    Term* mem = process::alloc(p, words);
    if (!mem && words) return false;
    r.terms[process::kExcTrace] = build_trace(p, frames, mem);
    return true;
}

const Word* unwind(Process& p) {
    Term* frame_start = p.heap.sp;
    for (Term* w = p.heap.sp; w < p.heap.end; ++w) {
        if (is_header(*w)) {
            frame_start = w + 1;  // a continuation pointer ends a frame
        } else if (is_catch(*w)) {
            p.heap.sp = frame_start;
            return reinterpret_cast<const Word*>(catch_payload(*w));
        }
    }
    return nullptr;
}

Term catch_value(Process& p, Term* xregs) {
    Term cls = xregs[1];
    if (cls == make_atom(atom::kThrow)) return xregs[2];
    size_t words = cls == kError ? 6 : 3;
    Term* mem = process::alloc(p, words);
    if (!mem) return kNone;
    Term reason = xregs[2];
    if (cls == kError) reason = put_tuple2(mem, reason, xregs[3]);
    return put_tuple2(mem, make_atom(atom::kExitSignal), reason);
}

bool set_badarity(Process& p, Term* xregs, uint32_t arity) {
    p.live = arity + 1;
    Term args = args_list(p, xregs, arity);
    if (args == kNone) return false;
    set(p, kError, args);
    xregs[arity + 1] = args;
    p.live = arity + 2;
    Term* mem = process::alloc(p, 6);
    if (!mem) return false;
    Term inner = put_tuple2(mem, xregs[arity], xregs[arity + 1]);
    set(p, kError, put_tuple2(mem, make_atom(atom::kBadarity), inner));
    return true;
}

// ---- the uncaught-error report ---------------------------------------------------

namespace {

// A term as the report shows it: ~p on one line (strings as strings).
std::string show(Term t) {
    std::string out;
    format::PrettyOptions options;
    options.line_length = 0;
    format::print(out, t, options);
    return out;
}

std::string atom_text(Term a) {
    std::string out;
    print_atom(out, atom_index(a));
    return out;
}

bool is_operator(std::string_view name) {
    static const std::string_view kOperators[] = {
        "+",   "-",   "*",    "/",  "div", "rem", "band", "bor", "bxor",
        "bsl", "bsr", "bnot", "==", "/=",  "=:=", "=/=",  "<",   ">",
        "=<",  ">=",  "and",  "or", "xor", "not", "++",   "--",  "!"};
    for (std::string_view op : kOperators) {
        if (op == name) return true;
    }
    return false;
}

// Elements of a proper list (a stack-trace entry's arguments).
std::vector<Term> elements(Term list) {
    std::vector<Term> out;
    for (; is_cons(list); list = cdr(list))
        out.push_back(car(list));
    return out;
}

// erl_internal:bif/2: the BIFs a module calls without `erlang:`.
bool auto_imported(std::string_view name, size_t arity) {
#define X(bif, bif_arity, guard, type_test, old) \
    if (arity == bif_arity && name == #bif) return true;
    BEAMLITE_AUTO_IMPORTED_BIFS(X)
#undef X
    return false;
}

// "M:F", or "F" for an auto-imported BIF or an operator (erl_error's
// mf_to_string: erlang:crc32/1 keeps its module, element/2 does not).
std::string function_name(Term module, Term function, size_t arity) {
    std::string name = atom_text(function);
    std::string_view bare = atom::name(atom_index(function));
    if (module == make_atom(atom::kErlang) && (auto_imported(bare, arity) || is_operator(bare)))
        return name;
    return atom_text(module) + ":" + name;
}

// A term as escript's report prints it: io_lib:format("~.IP", [Term, 50]),
// starting at 1-based column `column` of an 80-column line.
std::string show_at(Term t, size_t column) {
    std::string out;
    format::PrettyOptions options;
    options.column = int64_t(column);
    options.depth = 50;
    format::print(out, t, options);
    return out;
}

// erl_error's format_value: `lead` then the value after it; when that
// takes more than two lines, the value on a line of its own under the
// lead's start if that takes fewer. `indent`: the width of "exception
// error: " (what comes before the lead on its line).
size_t newlines(const std::string& text) {
    return size_t(std::count(text.begin(), text.end(), '\n'));
}

// io_lib:printable_latin1_list/1, for a call's arguments.
bool printable_arguments(const std::vector<Term>& args) {
    if (args.empty()) return false;
    for (Term a : args) {
        if (!is_small(a)) return false;
        int64_t c = small_value(a);
        bool printable =
            (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || (c >= 8 && c <= 13) || c == 27;
        if (!printable) return false;
    }
    return true;
}

// erl_error's pp_arguments: the argument list pretty-printed from column
// `column` + 1, its brackets made parentheses (a list of character codes
// stays numbers).
std::string argument_text(Term args, const std::vector<Term>& list, size_t column) {
    std::string out;
    format::PrettyOptions options;
    options.column = int64_t(column) + 1;
    options.depth = 50;
    options.strings = !printable_arguments(list);
    format::print(out, args, options);
    if (out.size() >= 2 && out.front() == '[' && out.back() == ']') {
        out.front() = '(';
        out.back() = ')';
    }
    return out;
}

// erl_error's format_op: "A1 op A2", or the operator on a line of its own
// between its operands when they take lines.
std::string operator_text(const std::string& op, const std::vector<Term>& list,
                          const std::string& lead, size_t pre) {
    if (list.size() == 1) {
        size_t column = lead.size() + pre + op.size() + 1;
        return lead + op + " " + show_at(list[0], column + 1);
    }
    size_t column = lead.size() + pre;
    std::string first = show_at(list[0], column + 1), second = show_at(list[1], column + 1);
    std::string apart = "\n" + std::string(column, ' ');
    if (newlines(first) > 0) return lead + first + apart + op + apart + second;
    std::string beside = show_at(list[1], column + op.size() + 2 + first.size() + 1);
    if (newlines(second) < newlines(beside)) return lead + first + apart + op + apart + second;
    return lead + first + " " + op + " " + beside;
}

// erl_error's format_call: `lead` then the call "M:F(A1,A2)" (or "A1 op
// A2"), or, when the arguments take fewer lines so, the call on a line of
// its own indented by `pre` (the width of what comes before `lead` on its
// line: "exception error: ", "     called as ").
std::string call_text(Term module, Term function, Term args, const std::string& lead, size_t pre) {
    std::vector<Term> list = elements(args);
    std::string name(atom::name(atom_index(function)));
    if (module == make_atom(atom::kErlang) && is_operator(name) &&
        (list.size() == 1 || list.size() == 2))
        return operator_text(name, list, lead, pre);
    std::string called = function_name(module, function, list.size());
    size_t column = pre + lead.size() + called.size();
    std::string beside = argument_text(args, list, column);
    std::string below = argument_text(args, list, pre + called.size());
    // Even two short arguments would not fit after a long name.
    bool long_name = column + 13 > 80;
    if (long_name || newlines(below) < newlines(beside))
        return lead + "\n" + std::string(pre, ' ') + called + below;
    return lead + called + beside;
}

// " (file, line N)" from a location list, or " " when there is none.
std::string location_text(Term location) {
    std::string file, line;
    for (Term item : elements(location)) {
        if (!is_tuple(item) || tuple_arity(item) != 2) continue;
        Term key = tuple_element(item, 1), value = tuple_element(item, 2);
        if (key == make_atom(atom::kFile)) {
            for (Term c : elements(value))  // code points, printed as UTF-8
                if (is_small(c) && small_value(c) >= 0) append_utf8(file, uint32_t(small_value(c)));
        } else if (key == make_atom(atom::kLine)) {
            line = show(value);
        }
    }
    if (file.empty()) return " ";
    return " (" + file + ", line " + line + ")";
}

bool entry_parts(Term entry, Term& module, Term& function, Term& arity, Term& location) {
    if (!is_tuple(entry) || tuple_arity(entry) != 4) return false;
    module = tuple_element(entry, 1);
    function = tuple_element(entry, 2);
    arity = tuple_element(entry, 3);
    location = tuple_element(entry, 4);
    return true;
}

// "M:F/A (file, line N)" for a trace entry.
std::string entry_text(Term entry) {
    Term module, function, arity, location;
    if (!entry_parts(entry, module, function, arity, location)) return show(entry);
    uint64_t n = is_list(arity) ? elements(arity).size() : uint64_t(small_value(arity));
    return function_name(module, function, n) + "/" + std::to_string(n) + location_text(location);
}

const char* count_words(size_t n) {
    static const char* const kWords[] = {"no arguments",    "one argument",   "two arguments",
                                         "three arguments", "four arguments", "five arguments",
                                         "six arguments"};
    return n < 7 ? kWords[n] : nullptr;
}

// A fun as erl_error's format_fun names it: M:F/A (a local fun by its
// function's name, '-main/1-fun-0-'), or as ~w when that is unknown.
std::string fun_text(Term fun) {
    if (is_export(fun)) {
        return atom_text(export_module(fun)) + ":" + atom_text(export_function(fun)) + "/" +
               std::to_string(export_arity(fun));
    }
    if (!is_local_fun(fun)) return show(fun);
    const term::FunEntry* entry = fun_entry(fun);
    Term name = code::lambda_name(entry);
    if (name == make_atom(atom::kUndefined)) return show(fun);
    return atom_text(entry->module) + ":" + atom_text(name) + "/" + std::to_string(entry->arity);
}

std::string value_text(Term value, const std::string& lead, size_t indent) {
    std::string beside = show_at(value, indent + lead.size() + 1);
    auto lines = std::count(beside.begin(), beside.end(), '\n');
    if (lines > 1) {
        std::string below = show_at(value, indent + 1);
        if (std::count(below.begin(), below.end(), '\n') < lines)
            return lead + "\n" + std::string(indent, ' ') + below;
    }
    return lead + beside;
}

// The explanation of an error reason (erl_error's explain_reason); the
// report's line starts with `indent` characters ("exception error: ").
std::string explain(Term reason, Term first_entry, size_t indent) {
    auto tagged = [&](uint32_t tag) {
        return is_tuple(reason) && tuple_arity(reason) == 2 &&
               tuple_element(reason, 1) == make_atom(tag);
    };
    Term value = is_tuple(reason) && tuple_arity(reason) >= 2 ? tuple_element(reason, 2) : kNil;
    if (reason == make_atom(atom::kBadarg)) return "bad argument";
    if (reason == make_atom(atom::kBadarith))
        return "an error occurred when evaluating an arithmetic expression";
    if (reason == make_atom(atom::kIfClause))
        return "no true branch found when evaluating an if expression";
    if (reason == make_atom(atom::kSystemLimit)) return "a system limit has been reached";
    if (reason == make_atom(atom::kNoproc)) return "no such process or port";
    if (tagged(atom::kBadmatch))
        return value_text(value, "no match of right hand side value ", indent);
    if (tagged(atom::kCaseClause)) return value_text(value, "no case clause matching ", indent);
    if (tagged(atom::kTryClause)) return value_text(value, "no try clause matching ", indent);
    if (tagged(atom::kBadfun)) return value_text(value, "bad function ", indent);
    if (tagged(atom::kBadkey)) return value_text(value, "bad key: ", indent);
    if (tagged(atom::kBadmap)) return value_text(value, "bad map: ", indent);
    if (tagged(atom::kBadarg))
        return value_text(value, "bad argument: ", indent);  // andalso, orelse
    if (reason == make_atom(atom::kTimeoutValue)) return "bad receive timeout value";
    if (reason == make_atom(atom::kNotalive))
        return "the node cannot be part of a distributed system";
    if (tagged(atom::kBadFilter)) return value_text(value, "bad filter ", indent);
    if (tagged(atom::kBadGenerator)) return value_text(value, "bad generator ", indent);
    if (tagged(atom::kBadarity) && is_tuple(value) && tuple_arity(value) == 2) {
        size_t n = elements(tuple_element(value, 2)).size();
        const char* words = count_words(n);
        return fun_text(tuple_element(value, 1)) + " called with " +
               (words ? std::string(words) : std::to_string(n) + " arguments");
    }
    Term module, function, args, location;
    bool has_entry = entry_parts(first_entry, module, function, args, location);
    if (reason == make_atom(atom::kUndef) && has_entry) {
        return "undefined function " + function_name(module, function, elements(args).size()) +
               "/" + std::to_string(elements(args).size());
    }
    if (reason == make_atom(atom::kFunctionClause) && has_entry && is_list(args)) {
        return call_text(module, function, args, "no function clause matching ", indent) +
               location_text(location);
    }
    return show_at(reason, indent + 1);
}

// The stack part: "  in function  ..." then "  in call from ..." lines.
std::string trace_text(Process& p, Term cls, Term reason, Term trace) {
    std::vector<Term> entries = elements(trace);
    size_t first = 0;
    bool error = cls == kError;
    if (error &&
        (reason == make_atom(atom::kUndef) || reason == make_atom(atom::kFunctionClause)) &&
        !entries.empty()) {
        first = 1;  // the explanation already shows the call
    }
    std::string out;
    for (size_t i = first; i < entries.size(); ++i) {
        const char* lead = i == first ? "  in function  " : "  in call from ";
        Term module, function, args, location;
        if (i == first && error && entry_parts(entries[i], module, function, args, location) &&
            is_list(args)) {
            std::string name(atom::name(atom_index(function)));
            bool op = module == make_atom(atom::kErlang) && is_operator(name);
            // An operator's name stays unquoted but for '/' (erl_error's
            // mf_to_string): "in operator  +/2", "in operator  '/'/2".
            if (name == "/") name = "'/'";
            out += std::string(op ? "  in operator  " + name
                                  : lead + function_name(module, function, elements(args).size())) +
                   "/" + std::to_string(elements(args).size()) + "\n";
            out += "     called as " + call_text(module, function, args, "", 15) + "\n";
            const process::ExceptionInfo& info = p.rare->info;
            if (info.bad_argument && info.why) {
                out += "     *** argument " + std::to_string(info.bad_argument) + ": " + info.why +
                       "\n";
            }
            continue;
        }
        out += lead + entry_text(entries[i]) + "\n";
    }
    return out;
}

}  // namespace

std::string report(Process& p, std::string_view program) {
    Rare& r = process::rare(p);
    Term cls = r.terms[process::kExcClass];
    Term reason = r.terms[process::kExcReason];
    Term trace = r.terms[process::kExcTrace];
    Term first = is_cons(trace) ? car(trace) : kNil;
    // OTP's erl_error counts columns from "exception ...", not from the
    // program's name before it.
    std::string exited = "exception " + atom_text(cls) + ": ";
    std::string out = std::string(program) + ": " + exited;
    out +=
        cls == kError ? explain(reason, first, exited.size()) : show_at(reason, exited.size() + 1);
    out += "\n";
    return out + trace_text(p, cls, reason, trace);
}

std::string killed_report(Process& p) {
    std::string used = std::to_string(heap::heap_used(p.heap) + heap::stack_used(p.heap));
    std::string out;
    if (p.heap.out_of_memory) {
        out = "beamlite: process killed: out of memory\n  heap and stack " + used + " words\n";
    } else {
        out = "beamlite: process killed: maximum heap size reached\n  max_heap_size " +
              std::to_string(p.heap.max_heap_size) + " words, heap and stack " + used + " words\n";
    }
    // Built without the heap, which is full: from the code addresses alone.
    std::vector<Frame> frames = collect_frames(p, p.ip, p.cp, First::Here, nullptr);
    for (size_t i = 0; i < frames.size(); ++i) {
        const Frame& f = frames[i];
        out += i == 0 ? "  in function  " : "  in call from ";
        out += function_name(f.module, f.function, f.arity) + "/" + std::to_string(f.arity);
        if (f.source && f.line)
            out += " (" + f.source->file + ", line " + std::to_string(f.line) + ")";
        out += "\n";
    }
    return out;
}

}  // namespace exception
