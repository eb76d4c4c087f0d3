// line_editor: the shell's terminal front end, on libedit. It owns the
// terminal while the shell reads a line (editing keys, the history kept in
// ~/.beamlite_history between runs, tab completion of module and
// `module:function` names) and the shell's SIGINT handler, which turns
// Ctrl-C into something a process can wait for.
//
// Nothing here runs on a normal scheduler: the shell's `user` server asks
// for a line through prim_stdio:read_line/1 and the shell's interrupt
// watcher waits through prim_stdio:wait_interrupt/0, both dirty I/O BIFs
// (dirty.h). The command line switches the editor on only for the shell
// with standard input and output on a terminal; `run` never installs the
// handler, so Ctrl-C keeps ending a program.
//
// Ctrl-C reaches one of two self-pipes: while a line is edited, the one
// read_line polls (the line typed so far is dropped, as a shell's Ctrl-C
// does); otherwise the one wait_interrupt reads (the shell kills a running
// evaluation).
#pragma once

#include <optional>
#include <string>

namespace line_editor {

// Opens the editor on the terminal, loads the history and installs the
// SIGINT handler. Called once, before any process runs.
void enable();

// True once enable() ran (user.bl then reads through read_line).
bool enabled();

// One line, edited at `prompt`, with its '\n'; nullopt at the end of input
// (Ctrl-D on an empty line); "" (no newline) after a Ctrl-C, which drops
// the line. Blocks: a dirty I/O call.
std::optional<std::string> read_line(const std::string& prompt);

// The lines read since the last call become one history entry (a
// multi-line expression is recalled as one line), and the history file is
// written.
void commit_history();

// Waits for the next Ctrl-C (a dirty I/O call): true when one came, false
// after a tenth of a second without (the caller asks again).
bool wait_interrupt();

}  // namespace line_editor
