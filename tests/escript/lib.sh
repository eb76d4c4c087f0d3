# Shared by run.sh and oracle.sh (sourced): which files are tests, how each
# is run, and how output is normalised before it is stored or compared.
#
# A test is a file here whose first line starts with `#!` (any name: NAME,
# NAME.escript, NAME.bl), other than the *.sh scripts. Beside it:
#   NAME.args  its arguments, one a line (absent: none)
#   NAME.out   expected stdout, NAME.exit expected exit status
#   NAME.err   expected stderr; absent where OTP's and beamlite's stderr
#              differ on purpose (see NO_STDERR in oracle.sh)
# A test whose `#!` line runs beamlite (`#!/usr/bin/env beamlite`) is run
# as an executable, ./NAME, with beamlite on PATH; the others as
# `beamlite run NAME` (and `escript NAME` for the oracle). Either way the
# working directory is this one.

escript_tests() {
    local f
    for f in "$dir"/*; do
        [ -f "$f" ] || continue
        case "$f" in *.sh|*.args|*.out|*.err|*.exit|*.md) continue ;; esac
        [ "$(head -c 2 "$f")" = '#!' ] && basename "$f"
    done
}

# The test's arguments, one per line of NAME.args, into the array `args`.
read_args() {
    args=()
    local file line
    file=$(expected_base "$1").args
    [ -f "$file" ] || return 0
    while IFS= read -r line; do args+=("$line"); done <"$file"
}

# The base name for a test's expected files: NAME.escript -> NAME.
expected_base() {
    echo "$dir/${1%.*}"
}

is_direct() {
    head -n 1 "$dir/$1" | grep -q 'beamlite'
}

# Output made comparable:
# - escript's implicit module name carries the time and a unique integer
#   (NAME__escript__Mega__Secs__Micro__Unique): they become N;
# - the stack frames of OTP's escript runner itself (escript:, erl_eval:,
#   init: functions below main/1) are dropped: beamlite calls main/1
#   directly, with no such frames under it.
normalise() {
    sed -E -e 's/__escript__[0-9]+__[0-9]+__[0-9]+__[0-9]+/__escript__N/g' \
        -e '/^  in (function|call from)  ?(escript|erl_eval|init):/d'
}
