// signal (namespace signals: `signal` is taken by <csignal>): what travels
// between processes and the BEAM's rules for it: messages, links, monitors
// and exit signals, and what happens when a process ends.
//
// Every signal goes through the receiver's mailbox (mailbox.h), so signals
// from one sender arrive in the order they were sent, messages and exits
// alike. The sender never touches the receiver's heap or state: it copies
// terms into a fragment and pushes. The receiver acts on non-message
// signals when it handles its inbox (handle_inbox: before each slice and
// whenever a receive runs out of messages).
//
// Exit signal rules (OTP's, for a receiver R and reason X from S):
//   exit(R, kill)            R ends with reason `killed`, even if trapping
//   R traps exits            {'EXIT', S, X} becomes a message
//   X = normal               ignored (unless S = R: exit(self(), normal))
//   otherwise                R ends with reason X
// A link's exit signal is dropped when the link was removed meanwhile; a
// `kill` coming through a link is an ordinary reason.
#pragma once

#include "vm/process.h"

namespace signals {

using process::Process;
using term::Term;

// ---- senders ---------------------------------------------------------------------------

// Sends `msg` to `dest` (a pid, a registered name, {Name, Node} or a
// reference: an alias). False when `dest` is none of those (the caller
// raises badarg); a message to a dead pid, to {Name, node()} with no such
// name, to another node (no distribution yet) or to a reference that is
// not an active alias, is dropped. `*copied` gets the words copied (the
// sender pays reductions for them).
bool send(Process& from, Term dest, Term msg, size_t* copied = nullptr);

// True when `dest` is {Name, Node}, both atoms.
bool is_name_at_node(Term dest);

// exit(Pid, Reason). False when `to` is not a pid.
bool send_exit(Process& from, Term to, Term reason);

// link/1: false when `other` is not a pid.
bool link(Process& p, Term other);
void unlink(Process& p, Term other);

// monitor(process | port, Target): the new monitor's reference number.
// `target` is a pid (a port, with `port`) or a registered name (then
// `name` is that name; no port is registered, so monitor(port, Name)
// gives 'DOWN' noproc at once). With `alias` the reference given to the
// program carries p's pid (an alias's form).
uint64_t monitor(Process& p, Term target, bool alias = false, bool port = false);

// Removes monitor `ref` held by `p`; with `flush`, also its 'DOWN' message.
// True when the monitor was active.
bool demonitor(Process& p, uint64_t ref, bool flush);

// Aliases (process.h): `ref` becomes an active alias of `p`; unalias
// makes it inactive (false if it was not active).
void add_alias(Process& p, uint64_t ref, process::AliasMode mode);
bool unalias(Process& p, uint64_t ref);

// Ports (port.h): the exit signal of a link from `from` (a port) to `to`
// ending with `reason`; and the process end of a link port_connect/2 made.
void send_link_exit(Term to, Term from, Term reason);
// The 'DOWN' message of monitor `ref` on `port`, which ended with `reason`.
mailbox::Signal* port_down(Term port, uint64_t ref, Term reason);
void link_from_port(Term pid, Term port);

// Puts a ready signal in `to`'s mailbox and wakes `to` if it waits (or
// frees the signal when `to` is dead). A signal to a port goes to
// port::signal. Any scheduler thread, or the poller (poll.h).
void deliver(Term to, mailbox::Signal* s);

// ---- the receiver ------------------------------------------------------------------------

// Handles every signal pushed to `p`: messages join the private queue,
// links and monitors update its state, exit signals may end it
// (p.status = Exiting, reason in rare terms[kExitReason]). Returns true
// when a message arrived.
//
// Another process may call it for `p` while holding p switched out (its
// busy flag): is_process_alive/1 and process_info/1,2 do, so that what
// they read reflects every signal sent to p so far. A waiting p stays
// Waiting then; the push that brought a message queued it, and its next
// slice resumes the receive because a message waits at the save point.
bool handle_inbox(Process& p);

// ---- ending -----------------------------------------------------------------------------------

// The exit reason of a process that stopped: normal (Done), the
// exception's (Failed: {Reason, Trace} for error, {{nocatch, V}, Trace}
// for throw, V for exit), killed (Killed), or the exit signal's (Exiting).
Term exit_reason(Process& p);

// True when the reason's end gets OTP's error report (an error or throw).
bool reports_error(const Process& p);

// Sends the exit signals and 'DOWN' messages of a process that ends with
// `reason` and drops its registered name. The caller then frees it.
void terminate(Process& p, Term reason);

}  // namespace signals
