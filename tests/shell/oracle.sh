#!/usr/bin/env bash
# Makes NAME.out from what Erlang/OTP's shell prints for NAME.in on a pipe
# (`erl < NAME.in`), for the tests whose commands erl 25 runs as beamlite
# does; normalised as lib.sh says. Usage: tests/shell/oracle.sh NAME...
set -eu
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib.sh"
for name in "$@"; do
    (cd "$dir" && erl <"$name.in" 2>&1) | normalise >"$dir/$name.out"
done
