// bif_process: the BIFs of processes: spawning (spawn, spawn_link,
// spawn_monitor, spawn_opt), signals (exit/2, link, unlink, monitor,
// demonitor), flags, registered names, process_info, yield, group_leader,
// and the timer BIFs (send_after/3,4, start_timer/3,4, cancel_timer, read_timer).
// The clocks are bif_time's.
//
// The semantics live in signal.h, scheduler.h and timer.h; these functions
// check arguments as OTP does and build the results.
#include <algorithm>
#include <chrono>
#include <vector>

#include "vm/bif.h"
#include "vm/code.h"
#include "vm/exception.h"
#include "vm/gc.h"
#include "vm/interp.h"
#include "vm/map.h"
#include "vm/reply.h"
#include "vm/scheduler.h"
#include "vm/signal.h"
#include "vm/timer.h"

namespace bif {

using namespace term;
using process::Status;

namespace {

Term atom_of(uint32_t index) {
    return make_atom(index);
}

// Copies `t` into the heap of a process that is not running.
Term copy_into(Process& to, Term t) {
    size_t words = heap::copy_size(t);
    if (words == 0) return t;
    Term* mem = process::alloc(to, words);
    if (!mem) return kNone;
    return heap::copy_term(t, mem, to.heap.off_heap);
}

Term make_ref_term(Process& p, uint64_t id) {
    Term* mem = alloc(p, kRefWords);
    if (!mem) return heap_exhausted(p);
    return term::make_ref(mem, id, 0);
}

// A list of `items` (immediates only) on p's heap.
Term immediate_list(Process& p, const std::vector<Term>& items) {
    Term* mem = alloc(p, items.size() * kConsWords);
    if (!mem && !items.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = items.size(); i-- > 0;)
        list = make_cons(mem + 2 * i, items[i], list);
    return list;
}

constexpr size_t kMaxFirstBlockWords = size_t(1) << 20;

struct SpawnOptions {
    bool link = false;
    bool monitor = false;
    size_t min_heap_size = heap::kMinBlockWords;
    int64_t max_heap_size = -1;    // words, 0 for none; -1: the default
    int64_t fullsweep_after = -1;  // -1: the default
    process::Priority priority = process::kNormal;
};

// {max_heap_size, Size} or {max_heap_size, #{size => Size, kill => Bool,
// error_logger => Bool}}, as OTP takes it. A limit that does not kill is
// no limit here (nothing else happens at it); error_logger is accepted and
// the report is always written (to stderr).
bool max_heap_of(Term value, int64_t& out) {
    Term size = value, kill = kTrue;
    if (term::is_map(value)) {
        size = map::get(value, atom_of(atom::kSize));
        if (size == kNone) size = make_small(0);
        Term k = map::get(value, atom_of(atom::kKill));
        if (k != kNone) kill = k;
        Term log = map::get(value, atom_of(atom::kErrorLogger));
        if (log != kNone && !(log == kTrue || log == kFalse)) return false;
        if (!(kill == kTrue || kill == kFalse)) return false;
    }
    if (!is_small(size) || small_value(size) < 0) return false;
    uint64_t words = std::min<uint64_t>(uint64_t(small_value(size)), UINT32_MAX);
    out = kill == kTrue ? int64_t(words) : 0;
    return true;
}

// max_heap_size as OTP reports it: #{error_logger, kill, size}.
reply::Value max_heap_value(uint32_t words) {
    return reply::map({reply::atom(atom::kErrorLogger), reply::boolean(true),
                       reply::atom(atom::kKill), reply::boolean(true), reply::atom(atom::kSize),
                       reply::integer(words)});
}

bool priority_of(Term t, process::Priority& out) {
    if (t == atom_of(atom::kLow)) {
        out = process::kLow;
    } else if (t == atom_of(atom::kNormal)) {
        out = process::kNormal;
    } else if (t == atom_of(atom::kHigh)) {
        out = process::kHigh;
    } else if (t == atom_of(atom::kMax)) {
        out = process::kMax;
    } else {
        return false;
    }
    return true;
}

Term priority_atom(process::Priority p) {
    static const atom::Index kNames[] = {atom::kLow, atom::kNormal, atom::kHigh, atom::kMax};
    return atom_of(kNames[p]);
}

bool parse_spawn_options(Term list, SpawnOptions& o) {
    if (list_length(list) < 0) return false;
    for (; is_cons(list); list = cdr(list)) {
        Term opt = car(list);
        if (opt == atom_of(atom::kLink)) {
            o.link = true;
        } else if (opt == atom_of(atom::kMonitor)) {
            o.monitor = true;
        } else if (is_tuple(opt) && tuple_arity(opt) == 2) {
            Term key = tuple_element(opt, 1), value = tuple_element(opt, 2);
            if (key == atom_of(atom::kMinHeapSize) && is_small(value) && small_value(value) >= 0) {
                o.min_heap_size = size_t(small_value(value));
            } else if (key == atom_of(atom::kPriority)) {
                if (!priority_of(value, o.priority)) return false;
            } else if (key == atom_of(atom::kMaxHeapSize)) {
                if (!max_heap_of(value, o.max_heap_size)) return false;
            } else if (key == atom_of(atom::kFullsweepAfter)) {
                if (!is_small(value) || small_value(value) < 0) return false;
                o.fullsweep_after = small_value(value);
            } else if (key != atom_of(atom::kMinBinVheapSize) &&
                       key != atom_of(atom::kMessageQueueData)) {
                return false;
            }
        } else {
            return false;
        }
    }
    return true;
}

// What process_info(P, initial_call) names for a process started calling
// `entry`: M:F/length(Args) for erlang:apply(M, F, Args), else `entry`.
const code::Export* initial_call_of(const code::Export* entry, Term* args, uint32_t nargs) {
    if (nargs == 3 && entry->module == atom_of(atom::kErlang) &&
        entry->function == atom_of(atom::kApply) && term::is_atom(args[0]) &&
        term::is_atom(args[1]))
        return code::export_entry(args[0], args[1], uint32_t(list_length(args[2])));
    return entry;
}

// Starts a process calling `entry` with `nargs` arguments (copied from
// `args`). Returns its pid, {Pid, Ref} with the monitor option, or kNone
// (system_limit, or the caller's heap limit).
Term spawn_process(Process& p, const code::Export* entry, Term* args, uint32_t nargs,
                   const SpawnOptions& o) {
    // A first block past 1M words (8 MiB) would only waste memory; the
    // heap grows on demand anyway.
    Process* child = process::create(std::min(o.min_heap_size, kMaxFirstBlockWords));
    if (o.max_heap_size >= 0) child->heap.max_heap_size = uint32_t(o.max_heap_size);
    // Past 65535 minor collections between major ones (OTP's default) is
    // never, in practice: the count is 16 bits.
    if (o.fullsweep_after >= 0)
        child->heap.fullsweep_after =
            uint16_t(std::min<int64_t>(o.fullsweep_after, heap::kDefaultFullsweepAfter));
    // Held until queued: from table_insert on, process_info may find it.
    child->busy.test_and_set(std::memory_order_acquire);
    if (!process::table_insert(child)) {
        process::destroy(child);
        return fail(p, atom_of(atom::kSystemLimit));
    }
    Term copies[3];
    for (uint32_t i = 0; i < nargs; ++i) {
        // The child's heap grows as needed; the max_heap_size is 4 GB so
        // only an impossible message fails here.
        copies[i] = copy_into(*child, args[i]);
    }
    child->priority = o.priority;
    if (p.rare) process::rare(*child).group_leader = p.rare->group_leader;
    interp::prepare_call(*child, entry, copies, nargs);
    child->initial_call = initial_call_of(entry, args, nargs);
    Term result = child->pid;
    if (o.link) {
        process::rare(p).links.push_back(child->pid);
        process::rare(*child).links.push_back(p.pid);
    }
    if (o.monitor) {
        uint64_t ref = process::new_ref_id();
        process::rare(p).monitors.push_back(process::Monitor{ref, child->pid, true, kNil, false});
        process::rare(*child).monitors.push_back(process::Monitor{ref, p.pid, false, kNil, false});
        Term* mem = alloc(p, kRefWords + 3);
        if (!mem) {
            child->busy.clear(std::memory_order_release);
            sched::enqueue(child);
            return heap_exhausted(p);
        }
        Term r = term::make_ref(mem, ref, 0);
        result = term::make_tuple(mem + kRefWords, 2);
        mem[kRefWords + 1] = child->pid;
        mem[kRefWords + 2] = r;
    }
    child->busy.clear(std::memory_order_release);
    sched::enqueue(child);
    return result;
}

Term spawn_fun(Process& p, Term* args, const SpawnOptions& o) {
    if (!term::is_fun(args[0])) return badarg(p, 1, "not a fun");
    Term call[2] = {args[0], kNil};
    const code::Export* apply =
        code::export_entry(atom_of(atom::kErlang), atom_of(atom::kApply), 2);
    return spawn_process(p, apply, call, 2, o);
}

Term spawn_mfa(Process& p, Term* args, const SpawnOptions& o) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    if (!term::is_atom(args[1])) return badarg(p, 2, "not an atom");
    if (list_length(args[2]) < 0) return badarg(p, 3, "not a list");
    const code::Export* apply =
        code::export_entry(atom_of(atom::kErlang), atom_of(atom::kApply), 3);
    return spawn_process(p, apply, args, 3, o);
}

// The process a BIF argument names: a live pid, or null. `self` for p.
Process* target(Process& p, Term pid) {
    if (pid == p.pid) return &p;
    return process::lookup(pid);
}

// Another process's private state (its heap, rare block, queue) is read or
// changed only while holding its busy flag, which its scheduler holds for
// a whole slice. Spin for it a little (a slice ends within ~100 us); if the
// process keeps running, give up: the BIF then asks to be called again
// after a yield (kRetry), so two processes inspecting each other never
// deadlock.
class Hold {
  public:
    // Holds `pid`'s process: held() is it, null when it is dead; retry()
    // when it stayed busy. A pid of `p` itself needs no hold.
    Hold(Process& p, Term pid) {
        if (pid == p.pid) {
            target_ = &p;
            return;
        }
        Process* q = process::lookup(pid);
        if (!q) return;
        if (!acquire(*q)) {
            retry_ = true;
            return;
        }
        locked_ = q;
        // It may have ended before we got it (ending holds the flag too).
        if (process::lookup(pid) == q) target_ = q;
    }
    ~Hold() {
        if (locked_) locked_->busy.clear(std::memory_order_release);
    }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    Process* held() const { return target_; }
    bool retry() const { return retry_; }

  private:
    static bool acquire(Process& q) {
        constexpr int64_t kSpinNs = 200 * 1000;
        int64_t give_up = 0;
        for (unsigned i = 1;; ++i) {
            if (!q.busy.test_and_set(std::memory_order_acquire)) return true;
            if (i % 64 == 0) {
                int64_t now = timer::now_ns();
                if (give_up == 0) give_up = now + kSpinNs;
                if (now > give_up) return false;
            }
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    }

    Process* target_ = nullptr;
    Process* locked_ = nullptr;
    bool retry_ = false;
};

// The BIF is to be called again after a yield (see Hold).
Term call_again(Process& p) {
    p.flags |= process::kRetry;
    return kNone;
}

// What a held process looks like to its asker once every signal sent to
// it so far is handled: null when it is dead or ending. On the BEAM,
// process_info and is_process_alive see every signal their caller sent to
// the process before the call (they are signals too, or wait for the
// caller's signals to be handled); here the asker holds the process
// switched out and handles its inbox for it (signals::handle_inbox),
// which covers the caller's signals and any other already pushed. An
// ending process (an exit signal ended it, it has not been taken down
// yet) is not alive.
Process* settled(Process& asker, const Hold& hold) {
    Process* q = hold.held();
    if (!q || q == &asker) return q;
    signals::handle_inbox(*q);
    return q->status == Status::Exiting ? nullptr : q;
}

}  // namespace

namespace impl {

// ---- spawning ----------------------------------------------------------------------------

Term spawn1(Process& p, Term* args) {
    return spawn_fun(p, args, SpawnOptions{});
}

Term spawn3(Process& p, Term* args) {
    return spawn_mfa(p, args, SpawnOptions{});
}

Term spawn_link1(Process& p, Term* args) {
    SpawnOptions o;
    o.link = true;
    return spawn_fun(p, args, o);
}

Term spawn_link3(Process& p, Term* args) {
    SpawnOptions o;
    o.link = true;
    return spawn_mfa(p, args, o);
}

Term spawn_monitor1(Process& p, Term* args) {
    SpawnOptions o;
    o.monitor = true;
    return spawn_fun(p, args, o);
}

Term spawn_monitor3(Process& p, Term* args) {
    SpawnOptions o;
    o.monitor = true;
    return spawn_mfa(p, args, o);
}

Term spawn_opt2(Process& p, Term* args) {
    SpawnOptions o;
    if (!parse_spawn_options(args[1], o)) return badarg(p, 2, "invalid option");
    return spawn_fun(p, args, o);
}

Term spawn_opt4(Process& p, Term* args) {
    SpawnOptions o;
    if (!parse_spawn_options(args[3], o)) return badarg(p, 4, "invalid option");
    return spawn_mfa(p, args, o);
}

// spawn(Node, ...) on this node: without distribution, node() is the only
// node there is (args shift by one: the BIF of one arity less runs).
bool local_node(Term node) {
    return node == atom_of(atom::kNonode);
}

Term spawn4(Process& p, Term* args) {
    if (!local_node(args[0])) return badarg(p, 1, "not a connected node");
    return spawn3(p, args + 1);
}

Term spawn_link4(Process& p, Term* args) {
    if (!local_node(args[0])) return badarg(p, 1, "not a connected node");
    return spawn_link3(p, args + 1);
}

Term spawn_opt5(Process& p, Term* args) {
    if (!local_node(args[0])) return badarg(p, 1, "not a connected node");
    return spawn_opt4(p, args + 1);
}

// erlang:garbage_collect/0: a full collection of the caller's heap now
// (its arguments, none, and the usual roots survive).
Term garbage_collect0(Process& p, Term* args) {
    if (!gc::collect(p.heap, 0, process::roots(p), true)) return heap_exhausted(p);
    return kTrue;
}

}  // namespace impl

namespace {

// garbage_collect/2's options: [{async, RequestId} | {type, major | minor}].
struct GcOptions {
    bool async = false;
    bool major = true;
    Term request = kNil;  // {async, RequestId}'s id
};

bool gc_options(Term list, GcOptions& o) {
    if (list_length(list) < 0) return false;
    for (Term l = list; is_cons(l); l = cdr(l)) {
        Term option = car(l);
        if (!term::is_tuple(option) || tuple_arity(option) != 2) return false;
        Term key = tuple_element(option, 1), value = tuple_element(option, 2);
        if (key == atom_of(atom::kAsync)) {
            o.async = true;
            o.request = value;
        } else if (key == atom_of(atom::kType)) {
            if (value != atom_of(atom::kMajor) && value != atom_of(atom::kMinor)) return false;
            o.major = value == atom_of(atom::kMajor);
        } else {
            return false;
        }
    }
    return true;
}

// A full collection of q, which its asker holds switched out: q's saved X
// registers are roots along with the usual ones. A collection that would
// pass q's max_heap_size leaves q to meet its limit at its own next
// allocation.
void collect_held(Process& q, bool major) {
    gc::Roots roots = process::roots(q);
    if (!q.xregs) {
        roots.xregs = q.saved_live > process::kInlineSaved ? q.saved_x : q.saved_inline;
        roots.num_xregs = q.saved_live;
    }
    gc::collect(q.heap, 0, roots, major);
}

// garbage_collect(Pid, Options): true when Pid was alive and is collected,
// false when it is not alive. Another process is collected here, held
// between its slices, as OTP's request to it would. With {async, Id}: the
// call returns `async` and the answer comes as the message
// {garbage_collect, Id, Result}.
Term garbage_collect_pid(Process& p, Term pid, const GcOptions& o) {
    bool alive = true;
    if (pid == p.pid) {
        if (!gc::collect(p.heap, 0, process::roots(p), o.major)) return heap_exhausted(p);
    } else {
        Hold hold(p, pid);
        if (hold.retry()) return call_again(p);
        Process* q = settled(p, hold);
        alive = q != nullptr && (q->status == Status::Runnable || q->status == Status::Waiting);
        if (alive) collect_held(*q, o.major);
    }
    if (!o.async) return make_bool(alive);
    Term* mem = alloc(p, tuple_words(3));
    if (!mem) return heap_exhausted(p);
    Term message = term::make_tuple(mem, 3);
    mem[1] = atom_of(atom::kGarbageCollect);
    mem[2] = o.request;
    mem[3] = make_bool(alive);
    signals::send(p, p.pid, message);
    return atom_of(atom::kAsync);
}

}  // namespace

namespace impl {

Term garbage_collect1(Process& p, Term* args) {
    if (!is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    return garbage_collect_pid(p, args[0], GcOptions{});
}

Term garbage_collect2(Process& p, Term* args) {
    if (!is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    GcOptions o;
    if (!gc_options(args[1], o)) return badarg(p, 2, "invalid option list");
    return garbage_collect_pid(p, args[0], o);
}

// ---- signals -------------------------------------------------------------------------------

Term send2(Process& p, Term* args) {
    if (!signals::send(p, args[0], args[1])) return badarg(p, 1, "invalid destination");
    return args[1];
}

// send/3: the options (noconnect, nosuspend) only matter between nodes.
Term send3(Process& p, Term* args) {
    if (list_length(args[2]) < 0) return badarg(p, 3, "not a list");
    for (Term l = args[2]; is_cons(l); l = cdr(l))
        if (car(l) != atom_of(atom::kNoconnect) && car(l) != atom_of(atom::kNosuspend))
            return badarg(p, 3, "invalid option");
    bool noconnect = false;
    for (Term l = args[2]; is_cons(l); l = cdr(l))
        noconnect |= car(l) == atom_of(atom::kNoconnect);
    if (!signals::send(p, args[0], args[1])) return badarg(p, 1, "invalid destination");
    // Another node is never connected: with noconnect, OTP says so.
    if (noconnect && signals::is_name_at_node(args[0]) && !local_node(tuple_element(args[0], 2)))
        return atom_of(atom::kNoconnect);
    return atom_of(atom::kOk);
}

namespace {

// A reference that is also an alias: it carries its owner's pid.
Term make_alias_term(Process& p, uint64_t id) {
    Term* mem = alloc(p, kRefWords);
    if (!mem) return heap_exhausted(p);
    return term::make_ref(mem, id, p.pid);
}

}  // namespace

// alias/0,1: a new alias ([] or [explicit_unalias]: until unalias/1;
// [reply]: until the first message through it).
Term alias1(Process& p, Term* args) {
    process::AliasMode mode = process::AliasMode::kExplicit;
    if (list_length(args[0]) < 0) return badarg(p, 1, "not a list");
    for (Term l = args[0]; is_cons(l); l = cdr(l)) {
        if (car(l) == atom_of(atom::kReply)) {
            mode = process::AliasMode::kReply;
        } else if (car(l) != atom_of(atom::kExplicitUnalias)) {
            return badarg(p, 1, "invalid option");
        }
    }
    uint64_t id = process::new_ref_id();
    Term alias = make_alias_term(p, id);
    if (alias != kNone) signals::add_alias(p, id, mode);
    return alias;
}

Term alias0(Process& p, Term* args) {
    args[0] = kNil;
    return alias1(p, args);
}

Term unalias1(Process& p, Term* args) {
    if (!is_local_ref(args[0])) return badarg(p, 1, "not a reference");
    return make_bool(signals::unalias(p, ref_id(args[0])));
}

Term exit2(Process& p, Term* args) {
    Term to = args[0], reason = args[1];
    if (is_local_port(to)) {
        signals::send_exit(p, to, reason);
        return kTrue;
    }
    if (!is_local_pid(to)) return badarg(p, 1, "not a pid");
    if (to != p.pid) {
        signals::send_exit(p, to, reason);
        return kTrue;
    }
    // A signal to oneself takes effect at once, as in OTP.
    if (reason == atom_of(atom::kKill)) reason = atom_of(atom::kKilled);
    if ((p.flags & process::kTrapExit) && args[1] != atom_of(atom::kKill)) {
        signals::send_exit(p, to, reason);
        return kTrue;
    }
    process::rare(p).terms[process::kExitReason] = reason;
    p.status = Status::Exiting;
    return kNone;
}

Term link(Process& p, Term* args) {
    if (!signals::link(p, args[0])) return badarg(p, 1, "not a pid");
    return kTrue;
}

Term unlink(Process& p, Term* args) {
    if (!is_local_pid(args[0]) && !is_local_port(args[0])) return badarg(p, 1, "not a pid");
    signals::unlink(p, args[0]);
    return kTrue;
}

// monitor(process | port, Target)'s checks: the type is port (true),
// process (false) or wrong (args[0] set to kNone, the error recorded).
Term check_monitor_target(Process& p, Term* args, bool& port) {
    port = args[0] == atom_of(atom::kPort);
    if (!port && args[0] != atom_of(atom::kProcess)) return badarg(p, 1, "invalid monitor type");
    if (port ? !is_local_port(args[1]) && !term::is_atom(args[1])
             : !is_local_pid(args[1]) && !term::is_atom(args[1]))
        return badarg(p, 2,
                      port ? "not a port or a registered name" : "not a pid or a registered name");
    return kTrue;
}

Term monitor2(Process& p, Term* args) {
    bool port = false;
    if (check_monitor_target(p, args, port) == kNone) return kNone;
    uint64_t ref = signals::monitor(p, args[1], false, port);
    return make_ref_term(p, ref);
}

// monitor(process, Target, Options): Options may hold {alias, Mode}
// (explicit_unalias, demonitor or reply_demonitor): the monitor's
// reference is then also an alias of the caller.
Term monitor3(Process& p, Term* args) {
    bool port = false;
    if (check_monitor_target(p, args, port) == kNone) return kNone;
    bool alias = false;
    process::AliasMode mode = process::AliasMode::kDemonitor;
    if (list_length(args[2]) < 0) return badarg(p, 3, "not a list");
    for (Term l = args[2]; is_cons(l); l = cdr(l)) {
        Term o = car(l);
        if (!term::is_tuple(o) || tuple_arity(o) != 2 ||
            tuple_element(o, 1) != atom_of(atom::kAlias))
            return badarg(p, 3, "invalid option");
        Term m = tuple_element(o, 2);
        alias = true;
        if (m == atom_of(atom::kExplicitUnalias)) {
            mode = process::AliasMode::kExplicit;
        } else if (m == atom_of(atom::kDemonitor)) {
            mode = process::AliasMode::kDemonitor;
        } else if (m == atom_of(atom::kReplyDemonitor)) {
            mode = process::AliasMode::kReplyDemonitor;
        } else {
            return badarg(p, 3, "invalid option");
        }
    }
    Term* mem = alloc(p, kRefWords);
    if (!mem) return heap_exhausted(p);
    uint64_t ref = signals::monitor(p, args[1], alias, port);
    if (alias) signals::add_alias(p, ref, mode);
    return term::make_ref(mem, ref, alias ? p.pid : 0);
}

Term demonitor1(Process& p, Term* args) {
    if (!is_local_ref(args[0])) return badarg(p, 1, "not a reference");
    signals::demonitor(p, ref_id(args[0]), false);
    return kTrue;
}

Term demonitor2(Process& p, Term* args) {
    if (!is_local_ref(args[0])) return badarg(p, 1, "not a reference");
    bool flush = false, info = false;
    if (list_length(args[1]) < 0) return badarg(p, 2, "not a list");
    for (Term l = args[1]; is_cons(l); l = cdr(l)) {
        if (car(l) == atom_of(atom::kFlush)) {
            flush = true;
        } else if (car(l) == atom_of(atom::kInfo)) {
            info = true;
        } else {
            return badarg(p, 2, "invalid option");
        }
    }
    bool active = signals::demonitor(p, ref_id(args[0]), flush);
    if (p.status == Status::Exiting) return kNone;
    return info ? make_bool(active) : kTrue;
}

}  // namespace impl

namespace {

// process_flag(min_heap_size | min_bin_vheap_size | fullsweep_after |
// max_heap_size, Value): the old value. A min_heap_size is a size class
// of beamlite's (reported so) that the next collection moves into; the
// collector may shrink the block below it again when it is mostly empty.
Term heap_flag(Process& p, Term flag, Term value) {
    bool number = is_small(value) && small_value(value) >= 0;
    if (flag == atom_of(atom::kMinHeapSize)) {
        if (!number) return badarg(p, 2, "not a valid heap size");
        uint32_t old = process::rare(p).min_heap_size;
        unsigned size_class = heap::size_class_at_least(size_t(small_value(value)));
        p.rare->min_heap_size = uint32_t(heap::size_class_words(size_class));
        p.heap.next_size_class = uint8_t(std::max<unsigned>(p.heap.next_size_class, size_class));
        return make_small(old);
    }
    if (flag == atom_of(atom::kMinBinVheapSize)) {
        if (!number) return badarg(p, 2, "not a valid heap size");
        uint32_t old = process::rare(p).min_bin_vheap_size;
        p.rare->min_bin_vheap_size = uint32_t(std::min<int64_t>(small_value(value), UINT32_MAX));
        return make_small(old);
    }
    if (flag == atom_of(atom::kFullsweepAfter)) {
        if (!number) return badarg(p, 2, "not a valid number");
        uint16_t old = p.heap.fullsweep_after;
        p.heap.fullsweep_after =
            uint16_t(std::min<int64_t>(small_value(value), heap::kDefaultFullsweepAfter));
        return make_small(old);
    }
    if (flag == atom_of(atom::kMaxHeapSize)) {
        int64_t words;
        if (!max_heap_of(value, words)) return badarg(p, 2, "not a valid max_heap_size");
        Term old = reply::build(p, max_heap_value(p.heap.max_heap_size));
        if (old == kNone) return kNone;
        p.heap.max_heap_size = uint32_t(words);
        return old;
    }
    return badarg(p, 1, "invalid process flag");
}

}  // namespace

namespace impl {

Term process_flag(Process& p, Term* args) {
    Term flag = args[0], value = args[1];
    if (flag == atom_of(atom::kTrapExit)) {
        if (value != kTrue && value != kFalse) return badarg(p, 2, "not a boolean");
        bool old = p.flags & process::kTrapExit;
        if (value == kTrue) {
            p.flags |= process::kTrapExit;
        } else {
            p.flags &= uint8_t(~process::kTrapExit);
        }
        return make_bool(old);
    }
    if (flag == atom_of(atom::kPriority)) {
        process::Priority priority;
        if (!priority_of(value, priority)) return badarg(p, 2, "invalid priority");
        Term old = priority_atom(p.priority);
        p.priority = priority;
        return old;
    }
    return heap_flag(p, flag, value);
}

Term is_process_alive(Process& p, Term* args) {
    if (!is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    Hold hold(p, args[0]);
    if (hold.retry()) return call_again(p);
    return make_bool(settled(p, hold) != nullptr);
}

Term yield(Process& p, Term* args) {
    p.flags |= process::kYield;
    return kTrue;
}

// ---- registered names ---------------------------------------------------------------------

Term register2(Process& p, Term* args) {
    Term name = args[0];
    if (!term::is_atom(name) || name == atom_of(atom::kUndefined))
        return badarg(p, 1, "not an atom");
    Process* other = target(p, args[1]);
    if (!other) return badarg(p, 2, "not a live local process");
    if (!process::register_name(name, other->pid)) return badarg(p, 1, "name in use");
    return kTrue;
}

Term unregister(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    if (!process::unregister_name(args[0])) return badarg(p, 1, "not registered");
    return kTrue;
}

Term whereis(Process& p, Term* args) {
    if (!term::is_atom(args[0])) return badarg(p, 1, "not an atom");
    Term pid = process::whereis(args[0]);
    return pid == kNone ? atom_of(atom::kUndefined) : pid;
}

Term registered(Process& p, Term* args) {
    return immediate_list(p, process::registered_names());
}

Term processes(Process& p, Term* args) {
    std::vector<Term> pids;
    process::for_each([&](Process* q) { pids.push_back(q->pid); });
    return immediate_list(p, pids);
}

Term group_leader0(Process& p, Term* args) {
    return process::group_leader(p);
}

Term group_leader2(Process& p, Term* args) {
    if (!is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    if (!is_local_pid(args[1])) return badarg(p, 2, "not a pid");
    Hold hold(p, args[1]);
    if (hold.retry()) return call_again(p);
    if (!hold.held()) return badarg(p, 2, "not a live local process");
    process::rare(*hold.held()).group_leader = args[0];
    return kTrue;
}

}  // namespace impl

// ---- process_info -------------------------------------------------------------------------

namespace {

Term status_atom(const Process& p, const Process& asker) {
    if (&p == &asker) return atom_of(atom::kRunning);
    if (p.status == Status::Waiting) return atom_of(atom::kWaiting);
    return atom_of(atom::kRunnable);
}

// A list of copies of the queued messages (in the asker's heap).
Term message_list(Process& asker, Process& q) {
    if (&q == &asker) signals::handle_inbox(q);
    std::vector<Term> messages;
    size_t words = 0;
    for (mailbox::Signal* s = q.mailbox.head; s; s = s->next) {
        messages.push_back(s->term);
        words += heap::copy_size(s->term) + kConsWords;
    }
    // Another process's messages not fetched yet: its inbox, newest first.
    // Only read (the owner takes the inbox); with one scheduler thread the
    // owner is not running now.
    std::vector<Term> pending;
    for (mailbox::Signal* s = q.mailbox.inbox.load(std::memory_order_acquire); s; s = s->next) {
        if (s->kind != mailbox::Kind::Message) continue;
        pending.push_back(s->term);
        words += heap::copy_size(s->term) + kConsWords;
    }
    messages.insert(messages.end(), pending.rbegin(), pending.rend());
    Term* mem = alloc(asker, words);
    if (!mem && words) return heap_exhausted(asker);
    // The messages are in fragments (never moved by the asker's GC).
    Term list = kNil;
    Term* cells = mem;
    mem += messages.size() * kConsWords;
    for (size_t i = messages.size(); i-- > 0;) {
        size_t n = heap::copy_size(messages[i]);
        Term copy = n ? heap::copy_term(messages[i], mem, asker.heap.off_heap) : messages[i];
        mem += n;
        list = make_cons(cells + 2 * i, copy, list);
    }
    return list;
}

// The pids of q's monitors: those q watches (monitors) or those watching
// q (monitored_by).
std::vector<Term> monitor_pids(const Process& q, bool watching) {
    std::vector<Term> pids;
    if (q.rare)
        for (const process::Monitor& m : q.rare->monitors)
            if (m.watching == watching) pids.push_back(m.pid);
    return pids;
}

Term monitor_list(Process& asker, Process& q) {
    std::vector<Term> pids = monitor_pids(q, true);
    Term* mem = alloc(asker, pids.size() * (kConsWords + 3));
    if (!mem && !pids.empty()) return heap_exhausted(asker);
    Term list = kNil;
    for (size_t i = pids.size(); i-- > 0; mem += kConsWords + 3) {
        Term pair = term::make_tuple(mem, 2);
        mem[1] = atom_of(atom::kProcess);
        mem[2] = pids[i];
        list = make_cons(mem + 3, pair, list);
    }
    return list;
}

// Q's current function {M, F, A} when its code position says it. The
// asker's own position is where it called this BIF (or, for a BIF called
// through an export stub, its caller's return address); a process not
// started yet sits at its entry: erlang:apply/2 or /3, or the stub of a
// function not loaded yet, whose export names it (OTP's initial call).
bool function_at(const Process& q, bool self, Term& m, Term& f, uint32_t& arity) {
    if (!q.ip) return false;
    code::Location where = code::locate(q.ip, false);
    if (!where.function && self && q.cp) where = code::locate(q.cp, true);
    if (where.module && where.function) {
        m = where.module->name;
        f = where.function->name;
        arity = where.function->arity;
        return true;
    }
    if (q.ip == interp::apply2_address() || q.ip == interp::apply3_address()) {
        m = atom_of(atom::kErlang);
        f = atom_of(atom::kApply);
        arity = q.ip == interp::apply2_address() ? 2 : 3;
        return true;
    }
    if (!self && q.ip[0] == interp::handler(interp::op_undefined_stub)) {
        const auto* e = reinterpret_cast<const code::Export*>(q.ip[1]);
        m = e->module;
        f = e->function;
        arity = e->arity;
        return true;
    }
    return false;
}

Term current_function(Process& asker, Process& q) {
    Term m = atom_of(atom::kErlang), f = atom_of(atom::kProcessInfo);
    uint32_t arity = 2;
    function_at(q, &q == &asker, m, f, arity);
    Term* mem = alloc(asker, 4);
    if (!mem) return heap_exhausted(asker);
    Term mfa = term::make_tuple(mem, 3);
    mem[1] = m;
    mem[2] = f;
    mem[3] = make_small(arity);
    return mfa;
}

// {M, F, Arity} of the function q was spawned to call; {erlang, apply, 2}
// for the processes the VM starts (main: OTP's runs it from a fun too).
Term initial_call(Process& asker, const Process& q) {
    const auto* e = static_cast<const code::Export*>(q.initial_call);
    Term* mem = alloc(asker, 4);
    if (!mem) return heap_exhausted(asker);
    Term mfa = term::make_tuple(mem, 3);
    mem[1] = e ? e->module : atom_of(atom::kErlang);
    mem[2] = e ? e->function : atom_of(atom::kApply);
    mem[3] = make_small(e ? int64_t(e->arity) : 2);
    return mfa;
}

// process_info(P, garbage_collection): OTP's items, with this process's
// values (min_bin_vheap_size is the system's: no virtual binary heap).
Term garbage_collection_of(Process& asker, const Process& q) {
    uint32_t minors = q.heap.old ? q.heap.old->minor_collections : 0;
    uint32_t min_heap = q.rare ? q.rare->min_heap_size : process::kDefaultMinHeapSize;
    uint32_t min_bin = q.rare ? q.rare->min_bin_vheap_size : process::kDefaultMinBinVheapSize;
    return reply::build(
        asker,
        reply::list({reply::tagged(atom::kMaxHeapSize, max_heap_value(q.heap.max_heap_size)),
                     reply::tagged(atom::kMinBinVheapSize, reply::integer(min_bin)),
                     reply::tagged(atom::kMinHeapSize, reply::integer(min_heap)),
                     reply::tagged(atom::kFullsweepAfter, reply::integer(q.heap.fullsweep_after)),
                     reply::tagged(atom::kMinorGcs, reply::integer(minors))}));
}

// process_info(P, garbage_collection_info): the sizes of the generations
// in words, with OTP's names (no virtual binary heap: its sizes are 0 and
// the default block size).
Term garbage_collection_info_of(Process& asker, const Process& q) {
    const heap::Heap& h = q.heap;
    size_t recent = h.old ? size_t(h.old->high_water - h.start) : 0;
    auto item = [](uint32_t name, size_t words) {
        return reply::tagged(name, reply::integer(int64_t(words)));
    };
    return reply::build(
        asker,
        reply::list({item(atom::kOldHeapBlockSize, heap::old_capacity(h)),
                     item(atom::kHeapBlockSize, heap::block_words(h)),
                     item(atom::kMbufSize, heap::fragment_words(h)),
                     item(atom::kRecentSize, recent), item(atom::kStackSize, heap::stack_used(h)),
                     item(atom::kOldHeapSize, heap::old_words(h)),
                     item(atom::kHeapSize, heap::heap_used(h)), item(atom::kBinVheapSize, 0),
                     item(atom::kBinVheapBlockSize, process::kDefaultMinBinVheapSize),
                     item(atom::kBinOldVheapSize, 0),
                     item(atom::kBinOldVheapBlockSize, process::kDefaultMinBinVheapSize)}));
}

size_t memory_bytes(const Process& q) {
    size_t bytes = sizeof(Process) + heap::block_words(q.heap) * sizeof(Term);
    bytes += heap::old_capacity(q.heap) * sizeof(Term);
    bytes += heap::fragment_words(q.heap) * sizeof(Term);
    if (q.rare) bytes += sizeof(process::Rare) + q.rare->dictionary.memory_bytes();
    return bytes;
}

// The items process_info/2 knows (item_value answers each).
bool is_item(Term item) {
    static const atom::Index kItems[] = {atom::kMessageQueueLen,
                                         atom::kMessages,
                                         atom::kLinks,
                                         atom::kMonitors,
                                         atom::kStatus,
                                         atom::kReductions,
                                         atom::kHeapSize,
                                         atom::kTotalHeapSize,
                                         atom::kStackSize,
                                         atom::kMemory,
                                         atom::kRegisteredName,
                                         atom::kDictionary,
                                         atom::kCurrentFunction,
                                         atom::kTrapExit,
                                         atom::kPriority,
                                         atom::kGroupLeader,
                                         atom::kMonitoredBy,
                                         atom::kCurrentStacktrace,
                                         atom::kInitialCall,
                                         atom::kGarbageCollection,
                                         atom::kGarbageCollectionInfo};
    if (!term::is_atom(item)) return false;
    for (atom::Index name : kItems)
        if (item == atom_of(name)) return true;
    return false;
}

// The value of one item (kNone: not an item; kNil with *none: [] result).
Term item_value(Process& asker, Process& q, Term item, bool* registered_none) {
    if (item == atom_of(atom::kMessageQueueLen))
        return make_small(int64_t(mailbox::length(q.mailbox)));
    if (item == atom_of(atom::kMessages)) return message_list(asker, q);
    if (item == atom_of(atom::kLinks))
        return immediate_list(asker, q.rare ? q.rare->links : std::vector<Term>{});
    if (item == atom_of(atom::kMonitors)) return monitor_list(asker, q);
    if (item == atom_of(atom::kMonitoredBy)) return immediate_list(asker, monitor_pids(q, false));
    if (item == atom_of(atom::kStatus)) return status_atom(q, asker);
    if (item == atom_of(atom::kReductions)) return make_small(int64_t(q.reductions));
    // heap_size: the young generation (the block); total_heap_size: with
    // the old generation's chunks and the received fragments, as OTP.
    if (item == atom_of(atom::kHeapSize)) return make_small(int64_t(heap::block_words(q.heap)));
    if (item == atom_of(atom::kTotalHeapSize))
        return make_small(int64_t(heap::block_words(q.heap) + heap::old_capacity(q.heap) +
                                  heap::fragment_words(q.heap)));
    if (item == atom_of(atom::kGarbageCollection)) return garbage_collection_of(asker, q);
    if (item == atom_of(atom::kGarbageCollectionInfo)) return garbage_collection_info_of(asker, q);
    if (item == atom_of(atom::kStackSize)) return make_small(int64_t(heap::stack_used(q.heap)));
    if (item == atom_of(atom::kMemory)) return make_small(int64_t(memory_bytes(q)));
    if (item == atom_of(atom::kRegisteredName)) {
        Term name = process::name_of(q.pid);
        if (name != kNil) return name;
        *registered_none = true;
        return kNil;
    }
    if (item == atom_of(atom::kDictionary)) return dictionary_list(asker, q);
    if (item == atom_of(atom::kCurrentFunction)) return current_function(asker, q);
    if (item == atom_of(atom::kInitialCall)) return initial_call(asker, q);
    if (item == atom_of(atom::kCurrentStacktrace)) {
        Term trace = exception::current_stacktrace(asker, q);
        return trace == kNone ? heap_exhausted(asker) : trace;
    }
    if (item == atom_of(atom::kTrapExit)) return make_bool(q.flags & process::kTrapExit);
    if (item == atom_of(atom::kPriority)) return priority_atom(q.priority);
    if (item == atom_of(atom::kGroupLeader)) {
        Term gl = impl::group_leader0(q, nullptr);
        return gl;
    }
    return kNone;
}

// {Item, Value} on the asker's heap; kNone on a bad item or heap limit.
Term item_pair(Process& asker, Process& q, Term* item_root, bool* registered_none) {
    Term value = item_value(asker, q, *item_root, registered_none);
    if (value == kNone || asker.status != Status::Runnable) return kNone;
    if (*registered_none) return kNil;
    asker.xregs[asker.live] = value;  // a root while the pair is allocated
    ++asker.live;
    Term* mem = alloc(asker, 3);
    --asker.live;
    if (!mem) return heap_exhausted(asker);
    Term pair = term::make_tuple(mem, 2);
    mem[1] = *item_root;
    mem[2] = asker.xregs[asker.live];
    return pair;
}

}  // namespace

namespace impl {

Term process_info2(Process& p, Term* args) {
    if (!is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    Hold hold(p, args[0]);
    if (hold.retry()) return call_again(p);
    Process* q = settled(p, hold);
    if (term::is_atom(args[1])) {
        if (!is_item(args[1])) return badarg(p, 2, "invalid item");
        if (!q) return atom_of(atom::kUndefined);
        bool none = false;
        Term pair = item_pair(p, *q, &args[1], &none);
        if (none) return kNil;
        if (pair == kNone)
            return p.status == Status::Runnable ? badarg(p, 2, "invalid item") : kNone;
        return pair;
    }
    int64_t n = list_length(args[1]);
    if (n < 0) return badarg(p, 2, "not an item or a list of items");
    for (Term l = args[1]; is_cons(l); l = cdr(l))
        if (!is_item(car(l))) return badarg(p, 2, "invalid item");
    if (!q) return atom_of(atom::kUndefined);
    // The items go to X registers above the live ones (atoms: no GC can
    // move them), and each is replaced by its pair there (a root).
    uint32_t base = p.live;
    if (base + uint32_t(n) + 2 > process::kMaxXRegs) return badarg(p, 2, "too many items");
    uint32_t i = 0;
    for (Term l = args[1]; is_cons(l); l = cdr(l))
        p.xregs[base + i++] = car(l);
    p.live = base + uint32_t(n);  // every item and pair is a root
    for (i = 0; i < uint32_t(n); ++i) {
        bool none = false;
        Term pair = item_pair(p, *q, &p.xregs[base + i], &none);
        if (none) {
            Term* mem = alloc(p, 3);
            if (!mem) return heap_exhausted(p);
            pair = term::make_tuple(mem, 2);
            mem[1] = p.xregs[base + i];
            mem[2] = kNil;
        }
        if (pair == kNone) return kNone;
        p.xregs[base + i] = pair;
    }
    p.live = base + uint32_t(n);
    Term* mem = alloc(p, size_t(n) * kConsWords);
    if (!mem && n) return heap_exhausted(p);
    Term list = kNil;
    for (int64_t k = n; k-- > 0;)
        list = make_cons(mem + 2 * k, p.xregs[base + uint32_t(k)], list);
    p.live = base;
    return list;
}

Term process_info1(Process& p, Term* args) {
    static const atom::Index kItems[] = {
        atom::kCurrentFunction, atom::kInitialCall, atom::kStatus,    atom::kMessageQueueLen,
        atom::kLinks,           atom::kDictionary,  atom::kTrapExit,  atom::kPriority,
        atom::kGroupLeader,     atom::kHeapSize,    atom::kStackSize, atom::kReductions};
    if (!is_local_pid(args[0])) return badarg(p, 1, "not a pid");
    if (!target(p, args[0])) return atom_of(atom::kUndefined);
    size_t n = sizeof kItems / sizeof kItems[0];
    Term* mem = alloc(p, n * kConsWords);
    if (!mem) return heap_exhausted(p);
    Term items = kNil;
    for (size_t i = n; i-- > 0;)
        items = make_cons(mem + 2 * i, atom_of(kItems[i]), items);
    p.xregs[p.live] = args[0];
    p.xregs[p.live + 1] = items;
    p.live += 2;
    Term result = process_info2(p, p.xregs + p.live - 2);
    p.live -= 2;
    return result;
}

// ---- timers and time ---------------------------------------------------------------------------

namespace {

bool valid_time(Term t) {
    return is_small(t) && small_value(t) >= 0 && small_value(t) <= (int64_t(1) << 32);
}

// The options of start_timer/4 and send_after/4: [] or [{abs, Bool}]. An
// absolute time is a point on erlang:monotonic_time(millisecond); the timer
// wheel counts delays, so it becomes the time left (none left: 0).
bool read_abs_option(Term options, bool& abs) {
    abs = false;
    for (; is_cons(options); options = cdr(options)) {
        Term opt = car(options);
        if (!term::is_tuple(opt) || tuple_arity(opt) != 2 ||
            tuple_element(opt, 1) != atom_of(atom::kAbs))
            return false;
        Term value = tuple_element(opt, 2);
        if (value != kTrue && value != kFalse) return false;
        abs = value == kTrue;
    }
    return options == kNil;
}

Term start_timer_common(Process& p, Term* args, bool with_tuple, int64_t delay) {
    Term dest = args[1];
    if (!is_local_pid(dest) && !term::is_atom(dest)) return badarg(p, 2, "not a pid or an atom");
    uint64_t id = process::new_ref_id();
    mailbox::Signal* s = mailbox::signal_new(mailbox::Kind::Message, p.pid);
    if (with_tuple) {
        // {timeout, TimerRef, Msg}
        Term ref_words[kRefWords];
        Term tuple_words_[4];
        Term tuple = term::make_tuple(tuple_words_, 3);
        tuple_words_[1] = atom_of(atom::kTimeout);
        tuple_words_[2] = term::make_ref(ref_words, id, 0);
        tuple_words_[3] = args[2];
        mailbox::copy_message(s, tuple);
    } else {
        mailbox::copy_message(s, args[2]);
    }
    sched::start_timer(id, delay, dest, s);
    return make_ref_term(p, id);
}

Term start_timer_relative(Process& p, Term* args, bool with_tuple) {
    if (!valid_time(args[0])) return badarg(p, 1, "not a valid time");
    return start_timer_common(p, args, with_tuple, small_value(args[0]));
}

Term start_timer_options(Process& p, Term* args, bool with_tuple) {
    bool abs = false;
    if (!read_abs_option(args[3], abs)) return badarg(p, 4, "invalid options");
    if (!abs) return start_timer_relative(p, args, with_tuple);
    if (!is_small(args[0])) return badarg(p, 1, "not a valid time");
    int64_t left = small_value(args[0]) - timer::now_ms();
    if (left > (int64_t(1) << 32)) return badarg(p, 1, "not a valid time");
    return start_timer_common(p, args, with_tuple, left < 0 ? 0 : left);
}

}  // namespace

Term send_after3(Process& p, Term* args) {
    return start_timer_relative(p, args, false);
}

Term start_timer3(Process& p, Term* args) {
    return start_timer_relative(p, args, true);
}

Term send_after4(Process& p, Term* args) {
    return start_timer_options(p, args, false);
}

Term start_timer4(Process& p, Term* args) {
    return start_timer_options(p, args, true);
}

Term cancel_timer1(Process& p, Term* args) {
    if (!is_local_ref(args[0])) return badarg(p, 1, "not a reference");
    int64_t left = sched::cancel_timer(ref_id(args[0]));
    return left < 0 ? kFalse : make_small(left);
}

Term read_timer1(Process& p, Term* args) {
    if (!is_local_ref(args[0])) return badarg(p, 1, "not a reference");
    int64_t left = sched::read_timer(ref_id(args[0]));
    return left < 0 ? kFalse : make_small(left);
}

}  // namespace impl

}  // namespace bif
