#!/usr/bin/env bash
# Times beamlite against Erlang/OTP on the data benchmarks (not a test).
# Usage: bench/data/run.sh build/release/beamlite
set -eu
beamlite=$(realpath "$1")
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for src in "$dir"/*.bl; do
    name=$(basename "$src" .bl)
    cp "$src" "$tmp/$name.erl"
    (cd "$tmp" && erlc "$name.erl")
    t0=$(date +%s.%N)
    (cd "$tmp" && erl -noshell -eval "$name:main([]), halt().") >"$tmp/$name.erl.out"
    t1=$(date +%s.%N)
    "$beamlite" run "$src" >"$tmp/$name.bl.out"
    t2=$(date +%s.%N)
    cmp -s "$tmp/$name.erl.out" "$tmp/$name.bl.out" || echo "$name: outputs differ"
    printf '%-16s erl %6.2fs  beamlite %6.2fs\n' "$name" \
        "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
done
