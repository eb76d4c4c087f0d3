#!/usr/bin/env bash
# The terms of the conformance corpus through term_to_binary and
# binary_to_term, against Erlang/OTP: etf-corpus.escript (run by erl)
# collects every constant term of the programs' sources and every line of
# their expected outputs that reads as a term, with OTP's term_to_binary of
# each; beamlite then parses those terms with its own front end, encodes
# them, compares the bytes with OTP's and decodes both back to the term.
# Any difference prints a MISMATCH line and fails.
#
# Usage: tests/tools/etf-corpus.sh BEAMLITE_BINARY
# Exits 77 (ctest's "skipped") when Erlang/OTP is not installed.
set -u
bin=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v escript >/dev/null 2>&1 || { echo "escript not found: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/etf-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
escript "$here/etf-corpus.escript" "$here/../conformance" "$tmp" || exit 1
(cd "$tmp" && "$bin" run etfc_main.bl >got.txt 2>err.txt)
rc=$?
if [ $rc != 0 ] || ! cmp -s "$tmp/expected.txt" "$tmp/got.txt"; then
    echo "FAIL: beamlite exit $rc"
    diff "$tmp/expected.txt" "$tmp/got.txt" | cut -c1-400 | head -60
    head -20 "$tmp/err.txt"
    exit 1
fi
tail -1 "$tmp/got.txt"
echo "PASS: every term agrees with Erlang/OTP's term_to_binary and round-trips"
