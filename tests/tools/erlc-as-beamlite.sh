#!/usr/bin/env bash
# Stand-in for `beamlite check FILE.bl...` built on erlc, used to validate
# tests/tools/check-corpus.sh:   tests/tools/check-corpus.sh tests/tools/erlc-as-beamlite.sh
# Prints erlc's diagnostics (with NAME.erl: renamed to NAME.bl:) on stderr;
# exits 0 when erlc accepts every file, 1 otherwise.
set -u
if [ "${1:-}" != check ] || [ $# -lt 2 ]; then
    echo "usage: $0 check FILE.bl..." >&2
    exit 2
fi
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/erlc-as-beamlite.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0
for f in "$@"; do
    dir=$(dirname "$f")
    b=$(basename "$f" .bl)
    rm -rf "$tmp/w"; mkdir -p "$tmp/w/out"
    for h in "$dir"/*.hrl; do
        [ -e "$h" ] && cp "$h" "$tmp/w/"
    done
    cp "$f" "$tmp/w/$b.erl"
    (cd "$tmp/w" && erlc -o out "$b.erl") >"$tmp/raw" 2>&1 || status=1
    sed "s/^$b\.erl:/$b.bl:/" "$tmp/raw" >&2
done
exit $status
