#!/usr/bin/env bash
# binary-trees (bench/binarytrees.bl, the same source for both VMs) at depth
# DEPTH (default 16): the median of RUNS alternating runs of beamlite and
# erl, in-program and whole process; then beamlite's callgrind instruction
# counts at depths 12, 14 and 16, whose ratios show whether the time is
# linear in the allocation (each +2 in depth allocates about 4.7x more).
set -u
source "$(dirname "$0")/common.sh"
depth=${1:-16}
erl_compile binarytrees || exit 1
for ((i = 0; i < RUNS; i++)); do
    wall_us "$BEAMLITE" run "$bench_dir/binarytrees.bl" "$depth" >>"$tmp/bl.wall"
    grep -o 'time [0-9]* ms' "$tmp/last" | awk '{print $2 * 1000}' >>"$tmp/bl.in"
    wall_us erl -noshell -pa "$tmp" -eval "binarytrees:main([\"$depth\"]), halt()." >>"$tmp/erl.wall"
    grep -o 'time [0-9]* ms' "$tmp/last" | awk '{print $2 * 1000}' >>"$tmp/erl.in"
done
printf '%-14s %14s %14s\n' "binarytrees $depth" "in-program ms" "process ms"
for impl in bl erl; do
    name=$impl; [ $impl = bl ] && name=beamlite
    printf '%-14s %14s %14s\n' $name \
        "$(median <"$tmp/$impl.in" | awk '{printf "%.0f", $1 / 1000}')" \
        "$(median <"$tmp/$impl.wall" | awk '{printf "%.0f", $1 / 1000}')"
done
if command -v valgrind >/dev/null; then
    echo "beamlite callgrind instructions by depth:"
    for d in 12 14 16; do
        echo "  $d: $(callgrind_ir "$BEAMLITE" run "$bench_dir/binarytrees.bl" $d)"
    done
fi
