#!/usr/bin/env bash
# ETS workloads (bench/ets_bench.bl, the same source for both VMs) with N
# objects (default 1,000,000): the median in-program time of each phase
# over RUNS alternating runs of beamlite and erl, whole-process time and
# peak memory.
set -u
source "$(dirname "$0")/common.sh"
n=${1:-1000000}
erl_compile ets_bench || exit 1
phases="insert lookup lookup_4_procs counters ordered_walk select"
for ((i = 0; i < RUNS; i++)); do
    for impl in bl erl; do
        if [ $impl = bl ]; then
            cmd=(/usr/bin/time -f 'rss %M' "$BEAMLITE" run "$bench_dir/ets_bench.bl" "$n")
        else
            cmd=(/usr/bin/time -f 'rss %M' erl -noshell -pa "$tmp" -eval "ets_bench:main([\"$n\"]), halt().")
        fi
        wall_us "${cmd[@]}" >>"$tmp/$impl.wall"
        for p in $phases; do
            grep "^$p time" "$tmp/last" | awk '{print $3}' >>"$tmp/$impl.$p"
        done
        grep '^rss' "$tmp/last" | awk '{print $2}' >>"$tmp/$impl.rss"
        grep ' check ' "$tmp/last" | sed 's/time [0-9]* ms //' >"$tmp/$impl.checks"
    done
done
cmp -s "$tmp/bl.checks" "$tmp/erl.checks" || echo "warning: the checks differ between the VMs"
printf '%-16s %12s %12s %8s\n' "ets $n" beamlite erl ratio
for p in $phases wall; do
    if [ $p = wall ]; then f=wall; scale=1000; else f=$p; scale=1; fi
    b=$(median <"$tmp/bl.$f" | awk -v s=$scale '{printf "%.0f", $1 / s}')
    e=$(median <"$tmp/erl.$f" | awk -v s=$scale '{printf "%.0f", $1 / s}')
    printf '%-16s %10s ms %10s ms %8s\n' "$p" "$b" "$e" "$(awk -v b="$b" -v e="$e" 'BEGIN {if (e > 0) printf "%.2f", b / e; else print "-"}')"
done
printf '%-16s %10s KB %10s KB\n' "peak memory" "$(median <"$tmp/bl.rss")" "$(median <"$tmp/erl.rss")"
