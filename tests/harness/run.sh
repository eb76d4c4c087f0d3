#!/bin/bash
# run.sh BEAMLITE MODULE...: runs bif_harness.bl over the embedded modules on
# one scheduler with a small heap limit, and passes when the VM ended
# normally and the harness printed PASS (no call hung). Prints the
# harness's summary lines; the rest of its output (what the called
# functions printed, error reports of the processes they spawned) is
# shown only when it fails.
set -u
beamlite=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# 4M words (32 MB) per process: ample for the largest argument (200k
# words), small enough that an unbounded allocation is killed quickly.
"$beamlite" --schedulers 1 --max-heap-size 4194304 run "$here/bif_harness.bl" "$@" >"$out" 2>"$err"
rc=$?
grep -a '^harness' "$out"
if [ $rc -ne 0 ] || ! grep -aq '^harness: PASS$' "$out"; then
    echo "bif_harness: FAILED (exit status $rc); last output:"
    tail -c 3000 "$out"
    echo "--- stderr (last lines):"
    tail -n 40 "$err"
    exit 1
fi
