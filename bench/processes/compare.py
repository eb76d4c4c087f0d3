#!/usr/bin/env python3
"""Whole-process wall time of one benchmark, beamlite (default schedulers
and one scheduler) and Erlang/OTP in alternation, median of N runs.

Usage: compare.py NAME [ARGS...]   (NAME.bl in this directory; N=5, or
$RUNS). Needs erlc and erl on the PATH and a Release build in build/release.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BEAMLITE = os.path.join(HERE, "..", "..", "build", "release", "beamlite")


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def summary(times):
    return "median %.3f s (min %.3f, max %.3f)" % (statistics.median(times), min(times), max(times))


def main():
    name, args = sys.argv[1], sys.argv[2:]
    runs = int(os.environ.get("RUNS", "5"))
    source = os.path.join(HERE, name + ".bl")
    with tempfile.TemporaryDirectory() as erl_dir:
        shutil.copy(source, os.path.join(erl_dir, name + ".erl"))
        subprocess.run(["erlc", "-o", erl_dir, os.path.join(erl_dir, name + ".erl")], check=True)
        erl_args = "[" + ",".join('"%s"' % a for a in args) + "]"
        commands = {
            "erl": ["erl", "-noshell", "-pa", erl_dir, "-eval", "%s:main(%s), halt()." % (name, erl_args)],
            "beamlite": [BEAMLITE, "run", source] + args,
            "beamlite --schedulers 1": [BEAMLITE, "run", "--schedulers", "1", source] + args,
        }
        times = {label: [] for label in commands}
        for _ in range(runs):
            for label, command in commands.items():
                times[label].append(timed(command))
    print(name, " ".join(args))
    for label, values in times.items():
        print("  %-24s %s" % (label, summary(values)))


if __name__ == "__main__":
    main()
