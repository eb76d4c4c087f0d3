// signal: sending, handling and ending (see signal.h).
#include "vm/signal.h"

#include <mimalloc.h>

#include <algorithm>
#include <initializer_list>

#include "vm/bif.h"
#include "vm/ets.h"
#include "vm/port.h"
#include "vm/scheduler.h"

namespace signals {

using namespace term;
using mailbox::Kind;
using mailbox::Signal;

namespace {

// A signal whose term is a tuple of `elements`, each copied into the
// signal's fragment (they may live in any heap, or on the C++ stack).
Signal* tuple_signal(Kind kind, Term from, std::initializer_list<Term> elements) {
    size_t words = tuple_words(elements.size());
    for (Term e : elements)
        words += heap::copy_size(e);
    Signal* s = mailbox::signal_new(kind, from);
    s->fragment = heap::fragment_new(words);
    Term* mem = heap::fragment_alloc(s->fragment, tuple_words(elements.size()));
    Term tuple = make_tuple(mem, elements.size());
    size_t i = 1;
    for (Term e : elements) {
        size_t n = heap::copy_size(e);
        mem[i++] =
            n ? heap::copy_term(e, heap::fragment_alloc(s->fragment, n), s->fragment->off_heap) : e;
    }
    s->term = tuple;
    return s;
}

Signal* exit_signal(Kind kind, Term from, Term reason) {
    return tuple_signal(kind, from, {make_atom(atom::kExitSignal), from, reason});
}

// {'DOWN', Ref, Type, Object, Reason}: Type is `process` or `port`.
Signal* down_signal(Term from, uint64_t ref, Term object, Term reason,
                    Term type = make_atom(atom::kProcess)) {
    Term ref_words[kRefWords];
    Signal* s = tuple_signal(
        Kind::Down, from,
        {make_atom(atom::kDown), term::make_ref(ref_words, ref, 0), type, object, reason});
    s->ref = ref;
    return s;
}

// A 'DOWN' message for an aliased monitor: its reference must equal the one
// monitor/3 returned, which carries the watcher's pid.
void set_down_ref_owner(Signal* s, Term owner) {
    Term ref = term::tuple_element(s->term, 2);
    term::boxed_ptr(ref)[2] = owner;
}

Signal* plain_signal(Kind kind, Term from, uint64_t ref = 0) {
    Signal* s = mailbox::signal_new(kind, from);
    s->ref = ref;
    return s;
}

bool has_link(const Process& p, Term pid) {
    if (!p.rare) return false;
    const std::vector<Term>& links = p.rare->links;
    return std::find(links.begin(), links.end(), pid) != links.end();
}

void add_link(Process& p, Term pid) {
    if (!has_link(p, pid)) process::rare(p).links.push_back(pid);
}

bool remove_link(Process& p, Term pid) {
    if (!p.rare) return false;
    std::vector<Term>& links = p.rare->links;
    auto it = std::find(links.begin(), links.end(), pid);
    if (it == links.end()) return false;
    links.erase(it);
    return true;
}

// Removes p's monitor `ref` (either end); returns it, or ref 0 if absent.
process::Monitor take_monitor(Process& p, uint64_t ref, bool watching) {
    if (p.rare) {
        auto& monitors = p.rare->monitors;
        for (size_t i = 0; i < monitors.size(); ++i) {
            if (monitors[i].ref == ref && monitors[i].watching == watching) {
                process::Monitor m = monitors[i];
                monitors.erase(monitors.begin() + long(i));
                return m;
            }
        }
    }
    return process::Monitor{0, kNil, watching, kNil, false};
}

// The signal's fragment becomes part of p's heap (its terms are needed
// there) and the node is freed.
Term adopt(Process& p, Signal* s, Term t) {
    if (s->fragment) heap::attach_fragment(p.heap, s->fragment);
    s->fragment = nullptr;
    mailbox::signal_free(s);
    return t;
}

void end_with(Process& p, Term reason) {
    if (p.status == process::Status::Exiting) return;  // the first reason wins
    process::rare(p).terms[process::kExitReason] = reason;
    p.status = process::Status::Exiting;
}

// An exit signal reached p: apply the rules of signal.h. Takes `s`.
void handle_exit(Process& p, Signal* s) {
    bool from_link = s->kind == Kind::Exit;
    if (from_link && !remove_link(p, s->from)) return mailbox::signal_free(s);
    Term reason = tuple_element(s->term, 3);
    if (!from_link && reason == make_atom(atom::kKill)) {
        adopt(p, s, kNil);
        return end_with(p, make_atom(atom::kKilled));
    }
    if (p.flags & process::kTrapExit) {
        s->kind = Kind::Message;
        p.mailbox.inbox_len.fetch_add(1, std::memory_order_relaxed);  // append() moves it
        mailbox::append(p.mailbox, s);
        return;
    }
    if (reason == make_atom(atom::kNormal) && s->from != p.pid) return mailbox::signal_free(s);
    end_with(p, adopt(p, s, reason));
}

// The index of active alias `ref` in p's set, or -1.
long find_alias(const Process& p, uint64_t ref) {
    if (!p.rare) return -1;
    const auto& aliases = p.rare->aliases;
    for (size_t i = 0; i < aliases.size(); ++i)
        if (aliases[i].ref == ref) return long(i);
    return -1;
}

// A monitor's 'DOWN' (or demonitor) ends the alias made with it.
void drop_monitor_alias(Process& p, uint64_t ref) {
    long i = find_alias(p, ref);
    if (i < 0) return;
    process::AliasMode mode = p.rare->aliases[size_t(i)].mode;
    if (mode == process::AliasMode::kDemonitor || mode == process::AliasMode::kReplyDemonitor)
        p.rare->aliases.erase(p.rare->aliases.begin() + i);
}

// A message came through alias `ref`: true when it is active (the message
// is kept). A reply alias ends with its first message; a reply_demonitor
// one takes its monitor with it.
bool through_alias(Process& p, uint64_t ref) {
    long i = find_alias(p, ref);
    if (i < 0) return false;
    process::AliasMode mode = p.rare->aliases[size_t(i)].mode;
    if (mode == process::AliasMode::kReply || mode == process::AliasMode::kReplyDemonitor)
        p.rare->aliases.erase(p.rare->aliases.begin() + i);
    if (mode == process::AliasMode::kReplyDemonitor) {
        process::Monitor m = take_monitor(p, ref, true);
        if (m.ref) deliver(m.pid, plain_signal(Kind::Demonitor, p.pid, ref));
    }
    return true;
}

// Handles one non-exit signal; true when it became a message.
bool handle_one(Process& p, Signal* s) {
    switch (s->kind) {
        case Kind::Message:
            mailbox::append(p.mailbox, s);
            return true;
        case Kind::Exit:
        case Kind::ExitBif: {
            bool was_trapping = p.flags & process::kTrapExit;
            handle_exit(p, s);
            return was_trapping;
        }
        case Kind::Link:
            add_link(p, s->from);
            break;
        case Kind::Unlink:
            remove_link(p, s->from);
            break;
        case Kind::Monitor:
            process::rare(p).monitors.push_back(
                process::Monitor{s->ref, s->from, false, s->term, false});
            break;
        case Kind::Demonitor:
            take_monitor(p, s->ref, false);
            break;
        case Kind::Down:
            drop_monitor_alias(p, s->ref);
            if (process::Monitor m = take_monitor(p, s->ref, true); m.ref) {
                if (m.alias) set_down_ref_owner(s, p.pid);
                s->kind = Kind::Message;
                p.mailbox.inbox_len.fetch_add(1, std::memory_order_relaxed);
                mailbox::append(p.mailbox, s);
                return true;
            }
            break;
        case Kind::AliasMessage:
            if (!through_alias(p, s->ref)) break;
            s->kind = Kind::Message;
            p.mailbox.inbox_len.fetch_add(1, std::memory_order_relaxed);
            mailbox::append(p.mailbox, s);
            return true;
        case Kind::Timeout:
            // Only the receive's current timer counts: one cancelled after
            // it fired is stale.
            if (p.rare && p.rare->receive_timer == s->ref) {
                p.rare->receive_timer = 0;
                p.flags |= process::kTimedOut;
                mailbox::signal_free(s);
                return true;
            }
            break;
    }
    mailbox::signal_free(s);
    return false;
}

// link/1 of a port: both ends at once (port.h); a port that is not open
// answers noproc, as a dead process does.
bool link_port(Process& p, Term port) {
    if (has_link(p, port)) return true;
    if (!port::link(port, p.pid)) {
        deliver(p.pid, exit_signal(Kind::ExitBif, port, make_atom(atom::kNoproc)));
        return true;
    }
    add_link(p, port);
    return true;
}

}  // namespace

namespace {

// `s` could not reach `to` (it has ended). A link or monitor request is
// answered as the ended process would have answered it: an exit signal or a
// 'DOWN' message with reason noproc. Anything else is dropped.
void bounce(Term to, Signal* s) {
    Term noproc = make_atom(atom::kNoproc);
    Term from = s->from, name = s->term;
    uint64_t ref = s->ref;
    Kind kind = s->kind;
    mailbox::signal_free(s);
    if (kind == Kind::Link) {
        deliver(from, exit_signal(Kind::Exit, to, noproc));
    } else if (kind == Kind::Monitor) {
        Term object = to;
        Term name_node[3];
        if (name != kNil) {
            object = make_tuple(name_node, 2);
            name_node[1] = name;
            name_node[2] = make_atom(atom::kNonode);
        }
        deliver(from, down_signal(to, ref, object, noproc));
    }
}

}  // namespace

void deliver(Term to, Signal* s) {
    if (is_local_port(to)) return port::signal(to, s);
    // The PCB stays readable while this scheduler holds it (scheduler.h:
    // ended processes are freed only after every scheduler has moved on).
    Process* target = process::lookup(to);
    if (!target || !mailbox::push(target->mailbox, s)) return bounce(to, s);
    sched::wake(target);
}

bool is_name_at_node(Term dest) {
    return is_tuple(dest) && tuple_arity(dest) == 2 && is_atom(tuple_element(dest, 1)) &&
           is_atom(tuple_element(dest, 2));
}

bool send(Process& from, Term dest, Term msg, size_t* copied) {
    Kind kind = Kind::Message;
    uint64_t alias = 0;
    if (is_atom(dest)) {
        dest = process::whereis(dest);
        if (dest == kNone) return false;
    } else if (is_local_ref(dest)) {
        // An alias carries its owner's pid; any other reference drops it.
        kind = Kind::AliasMessage;
        alias = ref_id(dest);
        dest = Term(ref_extra(dest));
        if (!is_local_pid(dest)) return true;
    } else if (is_local_port(dest)) {
        port::send(dest, msg);  // a closed port drops it
        return true;
    } else if (is_name_at_node(dest)) {
        // {Name, Node}: Name registered here, or nothing (never badarg);
        // another node cannot be reached without distribution: dropped.
        if (tuple_element(dest, 2) != make_atom(atom::kNonode)) return true;
        dest = process::whereis(tuple_element(dest, 1));
        if (dest == kNone) return true;
    } else if (!is_local_pid(dest)) {
        return false;
    }
    Signal* s = mailbox::signal_new(kind, from.pid);
    s->ref = alias;
    size_t words = mailbox::copy_message(s, msg);
    if (copied) *copied = words;
    deliver(dest, s);
    return true;
}

bool send_exit(Process& from, Term to, Term reason) {
    if (!is_local_pid(to) && !is_local_port(to)) return false;
    deliver(to, exit_signal(Kind::ExitBif, from.pid, reason));
    return true;
}

bool link(Process& p, Term other) {
    if (is_local_port(other)) return link_port(p, other);
    if (!is_local_pid(other)) return false;
    if (other == p.pid || has_link(p, other)) return true;
    if (!process::lookup(other)) {
        // OTP: the caller gets an exit signal with reason noproc.
        deliver(p.pid, exit_signal(Kind::ExitBif, other, make_atom(atom::kNoproc)));
        return true;
    }
    add_link(p, other);
    deliver(other, plain_signal(Kind::Link, p.pid));
    return true;
}

void unlink(Process& p, Term other) {
    if (!remove_link(p, other)) return;
    if (is_local_port(other)) return port::unlink(other, p.pid);
    deliver(other, plain_signal(Kind::Unlink, p.pid));
}

void send_link_exit(Term to, Term from, Term reason) {
    deliver(to, exit_signal(Kind::Exit, from, reason));
}

void link_from_port(Term pid, Term port) {
    deliver(pid, plain_signal(Kind::Link, port));
}

uint64_t monitor(Process& p, Term target, bool alias, bool port) {
    uint64_t ref = process::new_ref_id();
    Term type = make_atom(port ? atom::kPort : atom::kProcess);
    Term name = kNil;
    Term pid = target;
    if (is_atom(target)) {
        name = target;
        pid = process::whereis(target);
        if (port) pid = kNone;  // ports are never registered
    }
    Term object = name != kNil ? kNil : target;
    Term name_node[3];
    if (name != kNil) {
        object = make_tuple(name_node, 2);
        name_node[1] = name;
        name_node[2] = make_atom(atom::kNonode);
    }
    bool alive = pid != kNone && (port ? port::is_open(pid) : process::lookup(pid) != nullptr);
    if (!alive) {
        Signal* s =
            down_signal(pid == kNone ? kNil : pid, ref, object, make_atom(atom::kNoproc), type);
        if (alias) set_down_ref_owner(s, p.pid);
        s->kind = Kind::Message;
        deliver(p.pid, s);
        return ref;
    }
    process::rare(p).monitors.push_back(process::Monitor{ref, pid, true, name, alias});
    Signal* s = plain_signal(Kind::Monitor, p.pid, ref);
    s->term = name;  // an atom: no fragment needed
    deliver(pid, s);
    return ref;
}

void add_alias(Process& p, uint64_t ref, process::AliasMode mode) {
    process::rare(p).aliases.push_back(process::Alias{ref, mode});
}

bool unalias(Process& p, uint64_t ref) {
    long i = find_alias(p, ref);
    if (i < 0) return false;
    p.rare->aliases.erase(p.rare->aliases.begin() + i);
    return true;
}

bool demonitor(Process& p, uint64_t ref, bool flush) {
    drop_monitor_alias(p, ref);
    process::Monitor m = take_monitor(p, ref, true);
    if (m.ref) deliver(m.pid, plain_signal(Kind::Demonitor, p.pid, ref));
    if (flush) {
        handle_inbox(p);
        mailbox::Mailbox& box = p.mailbox;
        Signal** saved = box.cursor;
        mailbox::reset(box);
        while (Signal* s = mailbox::current(box)) {
            bool down = is_tuple(s->term) && tuple_arity(s->term) == 5 &&
                        tuple_element(s->term, 1) == make_atom(atom::kDown) &&
                        is_local_ref(tuple_element(s->term, 2)) &&
                        ref_id(tuple_element(s->term, 2)) == ref;
            if (!down) {
                mailbox::advance(box);
                continue;
            }
            Signal* taken = mailbox::remove_current(box);
            if (taken->fragment && taken->exposed) {
                // An earlier receive gave out its term: stale registers
                // may still point into it (see Signal::exposed).
                heap::attach_fragment(p.heap, taken->fragment);
                taken->fragment = nullptr;
            }
            mailbox::signal_free(taken);
            saved = &box.head;  // the old save point may have been unlinked
        }
        box.cursor = saved;
    }
    return m.ref != 0;
}

bool handle_inbox(Process& p) {
    bool message = false;
    for (Signal* s = mailbox::take_inbox(p.mailbox); s;) {
        Signal* next = s->next;
        message |= handle_one(p, s);
        s = next;
    }
    return message;
}

Term exit_reason(Process& p) {
    using process::Status;
    switch (p.status) {
        case Status::Done:
            return make_atom(atom::kNormal);
        case Status::Exiting:
            return process::rare(p).terms[process::kExitReason];
        case Status::Failed:
            break;
        default:
            return make_atom(atom::kKilled);
    }
    process::Rare& r = process::rare(p);
    Term cls = r.terms[process::kExcClass];
    Term reason = r.terms[process::kExcReason];
    if (cls == make_atom(atom::kExit)) return reason;
    Term* mem = process::alloc(p, 6);
    if (!mem) return make_atom(atom::kKilled);
    cls = r.terms[process::kExcClass];  // a collection may have moved them
    reason = r.terms[process::kExcReason];
    if (cls == make_atom(atom::kThrow)) {
        Term nocatch = make_tuple(mem + 3, 2);
        mem[4] = make_atom(atom::kNocatch);
        mem[5] = reason;
        reason = nocatch;
    }
    Term result = make_tuple(mem, 2);
    mem[1] = reason;
    mem[2] = r.terms[process::kExcTrace];
    return result;
}

bool reports_error(const Process& p) {
    if (p.status == process::Status::Killed) return true;
    if (p.status != process::Status::Failed || !p.rare) return false;
    return p.rare->terms[process::kExcClass] != make_atom(atom::kExit);
}

void terminate(Process& p, Term reason) {
    // Link and monitor requests still queued count: their senders must
    // hear of this end too. Everything else queued is dropped. Then the
    // inbox closes: later requests bounce back to their senders (deliver).
    do {
        for (Signal* s = mailbox::take_inbox(p.mailbox); s;) {
            Signal* next = s->next;
            if (s->kind == Kind::Message)
                p.mailbox.inbox_len.fetch_sub(1, std::memory_order_relaxed);
            bool keep = s->kind == Kind::Link || s->kind == Kind::Unlink ||
                        s->kind == Kind::Monitor || s->kind == Kind::Demonitor;
            if (keep) {
                handle_one(p, s);
            } else {
                mailbox::signal_free(s);
            }
            s = next;
        }
    } while (!mailbox::close(p.mailbox));
    process::unregister_pid(p.pid);
    if (ets::owns_tables(p.pid)) bif::ets_owner_exited(p);
    if (ets::fixes_tables(p.pid)) ets::fixer_exited(p.pid);
    if (!p.rare) return;
    process::Rare& r = *p.rare;
    for (Term link : r.links)
        deliver(link, exit_signal(Kind::Exit, p.pid, reason));
    r.links.clear();
    for (const process::Monitor& m : r.monitors) {
        if (m.watching) {
            deliver(m.pid, plain_signal(Kind::Demonitor, p.pid, m.ref));
            continue;
        }
        Term object = p.pid;
        Term name_node[3];
        if (m.name != kNil) {
            object = make_tuple(name_node, 2);
            name_node[1] = m.name;
            name_node[2] = make_atom(atom::kNonode);
        }
        deliver(m.pid, down_signal(p.pid, m.ref, object, reason));
    }
    r.monitors.clear();
}

Signal* port_down(Term port, uint64_t ref, Term reason) {
    return down_signal(port, ref, port, reason, make_atom(atom::kPort));
}

}  // namespace signals
