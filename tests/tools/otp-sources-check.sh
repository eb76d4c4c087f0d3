#!/usr/bin/env bash
# `beamlite check` over Erlang/OTP's own sources (Debian's erlang-src):
# hundreds of real modules written by other people, which erlc compiles, so
# check must accept every one of them (exit 0; warnings allowed).
#
# Include paths are the ones OTP's own build uses: the module's directory,
# its application's include directory and every installed include directory.
# A module that includes a header Debian does not ship (wx.hrl, xmerl.hrl,
# ...) or needs a macro its Makefile defines (-DVSN=...) cannot be checked
# here and is counted as skipped, never as passed.
#
# Usage: tests/tools/otp-sources-check.sh BEAMLITE_BINARY [OTP_LIB_DIR]
# Exits 77 (ctest's "skipped") when no OTP sources are installed.
set -u
bin=$1
lib=${2:-/usr/lib/erlang/lib}
shopt -s nullglob
sources=("$lib"/*/src/*.erl)
if [ ${#sources[@]} -eq 0 ]; then
    echo "no Erlang/OTP sources under $lib (apt-get install erlang-src): skipped"
    exit 77
fi
includes=()
for dir in "$lib"/*/include; do includes+=(-pa "$dir"); done

# One module: prints PASS, SKIP or FAIL with the file name (and the errors).
check_one() {
    local file=$1 dir err rc
    dir=$(dirname "$file")
    err=$("$bin" check -pa "$dir/../include" -pa "$dir" "${includes[@]}" "$file" 2>&1 >/dev/null </dev/null)
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "PASS $file"
    elif [ $rc -eq 1 ] && grep -q -e "can't find include" -e "undefined macro '\(VSN\|COMPILER_VSN\)'" <<<"$err"; then
        echo "SKIP $file"
    else
        echo "FAIL $file (exit $rc)"
        grep -v ': Warning: ' <<<"$err" | head -n 6 | sed 's/^/    /'
    fi
}
export -f check_one
export bin
export INCLUDES="${includes[*]}"

results=$(printf '%s\0' "${sources[@]}" |
    xargs -0 -n 1 -P "${JOBS:-$(nproc)}" bash -c 'includes=($INCLUDES); check_one "$1"' _)
grep -A6 '^FAIL' <<<"$results" | grep -v '^PASS\|^SKIP'
pass=$(grep -c '^PASS' <<<"$results")
skip=$(grep -c '^SKIP' <<<"$results")
fail=$(grep -c '^FAIL' <<<"$results")
echo "$pass passed, $fail failed, $skip skipped (headers or macros OTP's build provides)"
[ "$fail" -eq 0 ]
