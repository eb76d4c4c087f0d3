#!/usr/bin/env bash
# Collector pauses against Erlang/OTP: bench/gc/pause.bl (a 10 ms ticker
# beside a worker that keeps 3 million live cells and allocates) RUNS
# times per VM, alternating; prints each run's lateness line and the
# median p99 of each VM, with the collections each made.
#   bench/gc/run.sh [SECONDS]     (default 5 s a run, RUNS=5)
set -u
source "$(dirname "$0")/../common.sh"
seconds=${1:-5}
RUNS=${RUNS:-5}
cp "$bench_dir/gc/pause.bl" "$tmp/pause.erl"
(cd "$tmp" && erlc pause.erl) || exit 1
for ((i = 0; i < RUNS; i++)); do
    "$BEAMLITE" run "$bench_dir/gc/pause.bl" "$seconds" >"$tmp/bl.$i"
    (cd "$tmp" && erl -noshell -eval "pause:main([\"$seconds\"]), halt().") >"$tmp/erl.$i"
    for impl in bl erl; do
        echo "$impl: $(grep lateness "$tmp/$impl.$i"); $(grep '^# collections' "$tmp/$impl.$i" | cut -c3-)"
        grep -o 'p99 [0-9.]*' "$tmp/$impl.$i" | awk '{print $2 * 1000}' >>"$tmp/$impl.p99"
    done
done
for impl in bl erl; do
    echo "$impl median p99: $(median <"$tmp/$impl.p99" | awk '{printf "%.2f", $1 / 1000}') ms"
done
