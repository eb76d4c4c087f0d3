#!/usr/bin/env bash
# erl-based stand-in for `beamlite run FILE.bl [ARGS...]`, used only to test
# run.sh:   tests/conformance/run.sh tests/conformance/fake-beamlite.sh
# Compiles FILE.bl as FILE.erl and calls main/1 with the arguments as a list
# of strings.  An uncaught exception prints a report on stderr and exits 1.
set -u
if [ "${1:-}" != run ] || [ $# -lt 2 ]; then
    echo "usage: $0 run FILE.bl [ARGS...]" >&2
    exit 2
fi
file=$2; shift 2
mod=$(basename "$file" .bl)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fake-beamlite.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$file" "$tmp/$mod.erl"
(cd "$tmp" && erlc "$mod.erl") >&2 || exit 1
cd "$tmp" && erl -noshell -eval "
    Args = init:get_plain_arguments(),
    try $mod:main(Args) of _ -> halt(0)
    catch C:R -> io:format(standard_error, \"error: ~p:~p~n\", [C, R]), halt(1)
    end." -extra "$@"
