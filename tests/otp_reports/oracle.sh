#!/usr/bin/env bash
# Writes NAME.out of each logger-report test (or the named ones) from
# Erlang/OTP 25: erlc NAME.erl && erl -noshell -eval 'NAME:main([]), ...',
# normalised as lib.sh says. The copy OTP compiles starts with
# -file("NAME.bl", 0), so its stack traces name NAME.bl as beamlite's do
# (and keep the same line numbers). After main/1 the oracle waits for
# OTP's default handler to have written everything (logger_std_h:filesync),
# since OTP's handler prints from a process of its own.
# Usage: tests/otp_reports/oracle.sh [NAME...]   (works from any cwd)
set -u
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/otp-reports-oracle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -gt 0 ]; then names=("$@"); else mapfile -t names < <(report_tests); fi
for name in "${names[@]}"; do
    { echo "-file(\"$name.bl\", 0)."; cat "$dir/$name.bl"; } >"$tmp/$name.erl"
    (cd "$tmp" && erlc "$name.erl") || { echo "FAIL $name: erlc"; continue; }
    (cd "$tmp" && timeout 60 erl -noshell \
        -eval "$name:main([]), logger_std_h:filesync(default), halt()." </dev/null >"$tmp/raw")
    rc=$?
    [ "$rc" = 0 ] || { echo "FAIL $name: erl exited $rc"; cat "$tmp/raw"; continue; }
    normalise <"$tmp/raw" >"$dir/$name.out"
    echo "WROTE $name.out"
done
