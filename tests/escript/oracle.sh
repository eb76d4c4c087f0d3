#!/usr/bin/env bash
# Regenerate the expected outputs of the escript corpus with Erlang/OTP 25's
# `escript` (see lib.sh for the layout and the normalisation).
# Usage: tests/escript/oracle.sh [NAME...]   (works from any cwd)
set -u
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib.sh"
command -v escript >/dev/null || { echo "$0: escript (Erlang/OTP) not found" >&2; exit 2; }

# Tests whose stderr is not stored: in interpret mode (escript's default)
# OTP's stack trace shows erl_eval's frames where beamlite, which compiles
# every script, shows the script's own.
NO_STDERR=" crash_interpret.escript "

if [ $# -gt 0 ]; then names=("$@"); else mapfile -t names < <(escript_tests); fi
for name in "${names[@]}"; do
    read_args "$name"
    base=$(expected_base "$name")
    if is_direct "$name"; then cmd=(escript "./$name"); else cmd=(escript "$name"); fi
    (cd "$dir" && timeout 60 "${cmd[@]}" "${args[@]}" </dev/null >"$base.out.raw" 2>"$base.err.raw")
    echo $? >"$base.exit"
    normalise <"$base.out.raw" >"$base.out"
    if [[ "$NO_STDERR" == *" $name "* ]]; then rm -f "$base.err"
    else normalise <"$base.err.raw" >"$base.err"; fi
    rm -f "$base.out.raw" "$base.err.raw"
    echo "$name: exit $(cat "$base.exit")"
done
