#!/usr/bin/env bash
# Runs the logger-report tests under beamlite and compares what they print
# with what Erlang/OTP printed (NAME.out, written by oracle.sh), both
# normalised as lib.sh says. The program must exit 0.
# Usage: tests/otp_reports/run.sh BEAMLITE [NAME...]   (works from any cwd)
set -u
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 BEAMLITE [NAME...]" >&2; exit 2; }
bl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
[ -x "$bl" ] || { echo "$0: $bl is not executable" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/otp-reports-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -gt 0 ]; then names=("$@"); else mapfile -t names < <(report_tests); fi
[ ${#names[@]} -gt 0 ] || { echo "$0: no tests" >&2; exit 2; }
pass=0 fail=0
for name in "${names[@]}"; do
    (cd "$dir" && timeout 60 "$bl" ${SCHEDULERS:+--schedulers "$SCHEDULERS"} run "$name.bl") \
        </dev/null >"$tmp/raw" 2>"$tmp/err"
    rc=$?
    normalise <"$tmp/raw" >"$tmp/out"
    if [ "$rc" = 0 ] && cmp -s "$tmp/out" "$dir/$name.out"; then
        pass=$((pass + 1))
        continue
    fi
    fail=$((fail + 1))
    echo "FAIL $name: exit $rc"
    diff "$dir/$name.out" "$tmp/out" | head -20 | sed 's/^/    /'
    head -5 "$tmp/err" | sed 's/^/    stderr: /'
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
