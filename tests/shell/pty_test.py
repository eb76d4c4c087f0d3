#!/usr/bin/env python3
"""The shell on a terminal: beamlite runs on a pseudo-terminal and is
driven as a person would (line editing, Ctrl-C, Ctrl-D, the history file,
tab completion). Each step waits for text, with generous timeouts; nothing
depends on how fast anything runs.

Usage: pty_test.py BEAMLITE"""
import os
import pty
import re
import select
import shutil
import sys
import tempfile

TIMEOUT = 60
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


class Shell:
    def __init__(self, beamlite, home):
        env = dict(os.environ, HOME=home, TERM="xterm", LC_ALL="C.UTF-8")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(beamlite, [beamlite], env)
        self.seen = b""  # everything read, escape sequences taken out
        self.mark = 0    # where the next expect() starts looking

    def read_some(self):
        ready, _, _ = select.select([self.fd], [], [], TIMEOUT)
        if not ready:
            raise AssertionError("timed out; the output so far:\n" + self.text())
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            data = b""
        if not data:
            raise EOFError
        self.seen += ANSI.sub(b"", data)

    def expect(self, text):
        want = text.encode()
        while want not in self.seen[self.mark:]:
            self.read_some()
        self.mark = self.seen.index(want, self.mark) + len(want)

    def send(self, text):
        os.write(self.fd, text.encode())

    def command(self, line, result, prompt):
        self.send(line + "\r")
        self.expect(result)
        self.expect(prompt)

    def wait_exit(self):
        try:
            while True:
                self.read_some()
        except (EOFError, OSError):
            pass
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def text(self):
        return self.seen.decode(errors="replace")


def first_session(beamlite, home):
    sh = Shell(beamlite, home)
    sh.expect("(Erlang/OTP 25 compatible)")
    sh.expect("1> ")
    # A multi-line expression: the prompt comes again for its second line.
    sh.send("X = 1 +\r")
    sh.expect("1> ")
    sh.command("2.", "3", "2> ")
    sh.command("foo:bar().", "** exception error: undefined function foo:bar/0", "3> ")
    sh.command("X.", "3", "4> ")
    sh.command("f().", "ok", "5> ")
    sh.command("X.", "* 1:1: variable 'X' is unbound", "6> ")
    sh.command("v(1).", "3", "7> ")
    sh.command("sq(N) -> N * N.", "ok", "8> ")
    sh.command("sq(12).", "144", "9> ")
    sh.command("-record(r, {a = 1, b}).", "ok", "10> ")
    sh.command("#r{b = sq(2)}.", "#r{a = 1,b = 4}", "11> ")
    sh.command("Y = 7, S = self(), ok.", "ok", "12> ")
    # Ctrl-C interrupts an evaluation that would never end; the bindings
    # stay and the evaluator is a new process.
    sh.command("i().", "user:loop/1", "13> ")
    # ("wait" "ing": the echo of the line must not match.)
    sh.send('io:format("wait~s~n", ["ing"]), receive after infinity -> ok end.\r')
    sh.expect("waiting")
    sh.send("\x03")
    sh.expect("** exception exit: killed")
    sh.expect("14> ")
    sh.command("{Y, S =:= self()}.", "{7,false}", "15> ")
    # Ctrl-C while typing drops the unfinished expression.
    sh.send("100 +\r")
    sh.expect("15> ")
    sh.send("\x03")
    sh.expect("15> ")
    sh.command("5.", "\n5\n", "16> ")
    # Tab completes a module:function name.
    sh.send("lists:rev\t")
    sh.expect("reverse(")
    sh.command("[1, 2]).", "[2,1]", "17> ")
    # Ctrl-D on an empty line ends the shell.
    sh.send("\x04")
    status = sh.wait_exit()
    assert status == 0, "exit status %d after Ctrl-D:\n%s" % (status, sh.text())


def second_session(beamlite, home):
    # The history of the first run comes back: the up arrow recalls its
    # last command.
    sh = Shell(beamlite, home)
    sh.expect("1> ")
    sh.send("\x1b[A\r")
    sh.expect("[2,1]")
    sh.expect("2> ")
    # A multi-line expression was saved as one entry.
    sh.send("\x1b[A" * 40)  # past the oldest entry: it stays there
    sh.send("\r")
    sh.expect("3")
    sh.expect("3> ")
    sh.command("q().", "ok", "")
    status = sh.wait_exit()
    assert status == 0, "exit status %d after q():\n%s" % (status, sh.text())


def main():
    beamlite = os.path.abspath(sys.argv[1])
    home = tempfile.mkdtemp(prefix="shell-pty.")
    try:
        first_session(beamlite, home)
        history = open(os.path.join(home, ".beamlite_history"), "rb").read()
        for entry in [b"sq(12).", b"lists:reverse("]:
            assert entry.replace(b" ", b"\\040") in history or entry in history, \
                "%r not in the history file:\n%r" % (entry, history)
        second_session(beamlite, home)
    finally:
        shutil.rmtree(home)
    print("shell pty test: ok")


main()
