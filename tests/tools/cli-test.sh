#!/usr/bin/env bash
# Command-line behaviour of the beamlite binary: exit codes and messages.
set -u
bin=$1
pass=0; fail=0
expect() {  # expect CODE PATTERN -- ARGS...
    local code=$1 pattern=$2; shift 3
    local out; out=$("$bin" "$@" 2>&1 </dev/null); local got=$?
    if [ "$got" = "$code" ] && grep -qE -- "$pattern" <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: beamlite $* -> exit $got (want $code), output:"; echo "$out" | head -5
    fi
}
expect 0 '^beamlite [0-9]+\.[0-9]+' -- --version
expect 0 'Usage: beamlite' -- --help
expect 2 'unknown option' -- --frobnicate
expect 2 'needs a file' -- check
expect 2 'from 1024 to 134217727' -- --max-procs 12 check x.bl
expect 2 'needs a value' -- --schedulers
expect 2 'from 0 to' -- --max-heap-size lots run x.bl
expect 2 'unknown command' -- frob
expect 2 'from 8192 to 1048576' -- --max-atoms 100 run x.bl

# Programs written to a scratch directory.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A full atom table (--max-atoms): loading a module with new atoms fails
# cleanly (the call raises undef), and the crash report of main/1 still
# prints, with status 1.
cat >"$tmp/atoms_full.bl" <<'BL'
-module(atoms_full).
-export([main/1]).
main(_) -> fill(0), atoms_other:f().
fill(N) ->
    case catch list_to_atom("a" ++ integer_to_list(N)) of
        {'EXIT', {system_limit, _}} -> ok;
        _ -> fill(N + 1)
    end.
BL
printf -- '-module(atoms_other).\n-export([f/0]).\nf() -> a_new_atom_here.\n' >"$tmp/atoms_other.bl"
expect 1 'cannot load .*atoms_other.bl: .*the atom table is full' -- --max-atoms 8192 run "$tmp/atoms_full.bl"
expect 1 'undefined function atoms_other:f/0' -- --max-atoms 8192 run "$tmp/atoms_full.bl"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
