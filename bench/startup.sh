#!/usr/bin/env bash
# Start-up of an empty program (bench/empty.bl): the median wall time of
# RUNS alternating runs of `beamlite run empty.bl`, `lua5.4 -e ''` and
# `erl -noshell -eval 'empty:main([]), halt().'`, then beamlite's
# instruction count (callgrind) and page faults (perf stat, if present).
# The time includes compiling empty.bl (there is no cache of compiled code).
# Then the same for bench/library.bl (six library modules loaded from the
# image), and its median ratio to empty.bl run for run.
set -u
source "$(dirname "$0")/common.sh"
erl_compile empty || exit 1
for ((i = 0; i < RUNS; i++)); do
    wall_us "$BEAMLITE" run "$bench_dir/empty.bl" >>"$tmp/bl"
    wall_us "$BEAMLITE" run "$bench_dir/library.bl" >>"$tmp/lib"
    wall_us lua5.4 -e '' >>"$tmp/lua"
    wall_us erl -noshell -pa "$tmp" -eval 'empty:main([]), halt().' >>"$tmp/erl"
done
printf '%-18s %12s\n' start-up "median ms"
for impl in bl lib lua erl; do
    case $impl in
        bl) name=beamlite ;; lib) name="beamlite library" ;; lua) name=lua5.4 ;; *) name=erl ;;
    esac
    printf '%-18s %12s\n' "$name" "$(median <"$tmp/$impl" | awk '{printf "%.1f", $1 / 1000}')"
done
echo "library / empty, run for run (median): $(paste "$tmp/lib" "$tmp/bl" |
    awk '{printf "%d\n", 1000 * $1 / $2}' | median | awk '{printf "%.2f", $1 / 1000}')"
command -v valgrind >/dev/null &&
    echo "beamlite library instructions: $(callgrind_ir "$BEAMLITE" run "$bench_dir/library.bl")"
command -v valgrind >/dev/null &&
    echo "beamlite instructions: $(callgrind_ir "$BEAMLITE" run "$bench_dir/empty.bl")"
command -v perf >/dev/null &&
    perf stat -r 10 -e page-faults,task-clock "$BEAMLITE" run "$bench_dir/empty.bl" 2>&1 |
    grep -E 'page-faults|task-clock' | awk '{print "beamlite " $2 ": " $1}'
exit 0
