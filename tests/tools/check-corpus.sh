#!/usr/bin/env bash
# Run `BEAMLITE check` over the tests/check corpus.
#  - ok/*.bl  : must exit 0 (warnings on stderr are allowed)
#  - bad/*.bl : must exit 1 and stderr must equal bad/NAME.err byte for byte
#               (run with cwd = tests/check/bad and the bare file name)
# Usage: tests/tools/check-corpus.sh BEAMLITE_BINARY
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BEAMLITE_BINARY" >&2
    exit 2
fi

bin=$1
case $bin in
    /*) ;;
    */*) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;;
    *) bin=$(command -v "$bin" || echo "$bin") ;;
esac
if [ ! -x "$bin" ]; then
    echo "not an executable: $1" >&2
    exit 2
fi

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
ok_dir=$repo/tests/check/ok
bad_dir=$repo/tests/check/bad

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0

for f in "$ok_dir"/*.bl; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    (cd "$ok_dir" && "$bin" check "$b" >"$tmp/out" 2>"$tmp/err" </dev/null)
    rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL ok/$b: exit status $rc (expected 0)"
        head -n 20 "$tmp/err"
    fi
done

for f in "$bad_dir"/*.bl; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    n=${b%.bl}
    exp=$bad_dir/$n.err
    (cd "$bad_dir" && "$bin" check "$b" >"$tmp/out" 2>"$tmp/err" </dev/null)
    rc=$?
    if [ ! -e "$exp" ]; then
        fail=$((fail + 1))
        echo "FAIL bad/$b: missing expected output $n.err"
    elif [ $rc -ne 1 ]; then
        fail=$((fail + 1))
        echo "FAIL bad/$b: exit status $rc (expected 1)"
        diff -u "$exp" "$tmp/err" | head -n 20
    elif ! cmp -s "$exp" "$tmp/err"; then
        fail=$((fail + 1))
        echo "FAIL bad/$b: stderr differs from $n.err"
        diff -u --label "expected/$n.err" --label "actual/stderr" "$exp" "$tmp/err" | head -n 20
    else
        pass=$((pass + 1))
    fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
