#!/usr/bin/env bash
# Times beamlite against Erlang/OTP on the data benchmarks (not a test).
# Usage: bench/data/run.sh [NAME...]   (default: every bench/data/*.bl)
# Each program runs RUNS times (default 7) in alternation with erl; the
# median wall time and the largest max RSS are printed, and with
# CALLGRIND=1 beamlite's instruction count. Output lines starting with "#"
# are measurements (printed, not compared); the rest must match erl's.
set -eu
source "$(dirname "$0")/../common.sh"
dir=$bench_dir/data
names=("$@")
if [ ${#names[@]} = 0 ]; then
    for src in "$dir"/*.bl; do names+=("$(basename "$src" .bl)"); done
fi

# rss_kb CMD...: max RSS of CMD in KiB
rss_kb() {
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1 </dev/null
    tail -1 "$tmp/rss"
}

for name in "${names[@]}"; do
    cp "$dir/$name.bl" "$tmp/$name.erl"
    (cd "$tmp" && erlc "$name.erl")
    erl_cmd=(erl -noshell -pa "$tmp" -eval "$name:main([]), halt().")
    bl_cmd=("$BEAMLITE" run "$dir/$name.bl")
    : >"$tmp/erl.times"
    : >"$tmp/bl.times"
    for _ in $(seq "$RUNS"); do
        wall_us "${erl_cmd[@]}" >>"$tmp/erl.times"
        cp "$tmp/last" "$tmp/erl.out"
        wall_us "${bl_cmd[@]}" >>"$tmp/bl.times"
        cp "$tmp/last" "$tmp/bl.out"
    done
    if ! cmp -s <(grep -v '^#' "$tmp/erl.out") <(grep -v '^#' "$tmp/bl.out"); then
        echo "$name: outputs differ"
        diff <(grep -v '^#' "$tmp/erl.out") <(grep -v '^#' "$tmp/bl.out") | head -5
    fi
    printf '%-16s erl %8.3fs %7d KiB   beamlite %8.3fs %7d KiB\n' "$name" \
        "$(median <"$tmp/erl.times" | awk '{print $1 / 1e6}')" "$(rss_kb "${erl_cmd[@]}")" \
        "$(median <"$tmp/bl.times" | awk '{print $1 / 1e6}')" "$(rss_kb "${bl_cmd[@]}")"
    grep '^#' "$tmp/erl.out" | sed 's/^#/    erl      /' || true
    grep '^#' "$tmp/bl.out" | sed 's/^#/    beamlite /' || true
    if [ "${CALLGRIND:-0}" = 1 ]; then
        echo "    beamlite instructions: $(callgrind_ir "${bl_cmd[@]}")"
    fi
done
