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
# Doubling macros (issue 11): a diagnostic at the use, or the program's
# result, at once (the circularity check once walked 2^40 paths).
hostile=$(cd "$(dirname "$0")/../robustness" && pwd)
expect 1 'macro_bomb.bl:[0-9]+:[0-9]+: macro expansion too deep' -- check "$hostile/macro_bomb.bl"
expect 1 'macro_bomb.bl:[0-9]+:[0-9]+: macro expansion too deep' -- run "$hostile/macro_bomb.bl"
expect 0 '^\{\{\{x,x\},\{x,x\}\},\{\{x,x\},\{x,x\}\}\}$' -- run "$hostile/macro_bomb_unused.bl"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
