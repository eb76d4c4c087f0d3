#!/usr/bin/env bash
# The shell on a pipe: each NAME.in is fed to `beamlite` on standard input
# (in this directory, so c(greet) finds greet.bl) and what it prints,
# standard output and error together, is compared with NAME.out after
# lib.sh's normalisation. Some NAME.out come from erl (oracle.sh: basic, input, printing,
# history); defs and compile use what erl 25 cannot run (functions and
# records at the prompt are OTP 26's; c/1 of a .bl) and were checked by
# hand. Usage: tests/shell/run.sh BEAMLITE [NAME...]
set -u
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 BEAMLITE [NAME...]" >&2; exit 2; }
bl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -gt 0 ]; then names=("$@"); else names=(basic history input printing defs compile); fi
pass=0 fail=0
for name in "${names[@]}"; do
    (cd "$dir" && timeout 120 "$bl" <"$name.in" >"$tmp/raw" 2>&1)
    rc=$?
    normalise <"$tmp/raw" >"$tmp/out"
    if [ "$rc" = 0 ] && cmp -s "$tmp/out" "$dir/$name.out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name (exit $rc)"
        diff "$dir/$name.out" "$tmp/out" | head -20
    fi
done
echo "shell pipe tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
