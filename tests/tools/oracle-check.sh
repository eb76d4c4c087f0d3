#!/usr/bin/env bash
# Verify the tests/check corpus against the erlc oracle (Erlang/OTP 25).
#  - every tests/check/ok/*.bl must be accepted by erlc (exit 0)
#  - every tests/check/bad/*.bl must be rejected by erlc, with output that is
#    byte-identical to the committed tests/check/bad/NAME.err
#    (after replacing "NAME.erl:" by "NAME.bl:").
# Usage: tests/tools/oracle-check.sh [-u]   (-u regenerates the .err files)
set -u

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
ok_dir=$repo/tests/check/ok
bad_dir=$repo/tests/check/bad

update=0
if [ "${1:-}" = "-u" ]; then update=1; fi

command -v erlc >/dev/null 2>&1 || { echo "erlc not found in PATH" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oracle-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0

# Copy a directory's .bl files (as .erl) plus its .hrl headers into a fresh dir.
prepare() { # srcdir destdir
    local src=$1 dst=$2 f b
    rm -rf "$dst"; mkdir -p "$dst/out"
    for f in "$src"/*.hrl; do
        [ -e "$f" ] && cp "$f" "$dst/"
    done
    for f in "$src"/*.bl; do
        [ -e "$f" ] || continue
        b=$(basename "$f" .bl)
        cp "$f" "$dst/$b.erl"
    done
}

# ---- ok corpus ----
prepare "$ok_dir" "$tmp/ok"
for f in "$ok_dir"/*.bl; do
    [ -e "$f" ] || continue
    b=$(basename "$f" .bl)
    if out=$(cd "$tmp/ok" && erlc -o out "$b.erl" 2>&1); then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL ok/$b.bl: erlc rejected it"
        printf '%s\n' "$out" | head -n 20
    fi
done

# ---- bad corpus ----
prepare "$bad_dir" "$tmp/bad"
for f in "$bad_dir"/*.bl; do
    [ -e "$f" ] || continue
    b=$(basename "$f" .bl)
    (cd "$tmp/bad" && erlc -o out "$b.erl" >"../$b.raw" 2>&1)
    rc=$?
    sed "s/^$b\.erl:/$b.bl:/" "$tmp/$b.raw" >"$tmp/$b.got"
    if [ $update -eq 1 ]; then
        cp "$tmp/$b.got" "$bad_dir/$b.err"
    fi
    if [ $rc -eq 0 ]; then
        fail=$((fail + 1))
        echo "FAIL bad/$b.bl: erlc accepted it"
    elif [ ! -e "$bad_dir/$b.err" ]; then
        fail=$((fail + 1))
        echo "FAIL bad/$b.bl: missing $b.err"
    elif ! cmp -s "$tmp/$b.got" "$bad_dir/$b.err"; then
        fail=$((fail + 1))
        echo "FAIL bad/$b.bl: output differs from $b.err"
        diff -u "$bad_dir/$b.err" "$tmp/$b.got" | head -n 20
    else
        pass=$((pass + 1))
    fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
