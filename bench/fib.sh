#!/usr/bin/env bash
# Naive fib(N) (default 30) in beamlite, Lua 5.4 (bench/fib.lua, the same
# algorithm) and Erlang/OTP (bench/fib.bl compiled by erlc): the median of
# RUNS alternating runs of the in-program time (erlang:monotonic_time, Lua's
# os.clock) and of the whole process, then callgrind instruction counts of
# the whole process for beamlite and Lua (valgrind cannot run the JIT).
set -u
source "$(dirname "$0")/common.sh"
n=${1:-30}
erl_compile fib || exit 1
for ((i = 0; i < RUNS; i++)); do
    wall_us "$BEAMLITE" run "$bench_dir/fib.bl" "$n" >>"$tmp/bl.wall"
    grep -o 'in [0-9]* us' "$tmp/last" | awk '{print $2}' >>"$tmp/bl.in"
    wall_us lua5.4 "$bench_dir/fib.lua" "$n" >>"$tmp/lua.wall"
    grep -o 'in [0-9]* us' "$tmp/last" | awk '{print $2}' >>"$tmp/lua.in"
    wall_us erl -noshell -pa "$tmp" -eval "fib:main([\"$n\"]), halt()." >>"$tmp/erl.wall"
    grep -o 'in [0-9]* us' "$tmp/last" | awk '{print $2}' >>"$tmp/erl.in"
done
printf '%-10s %14s %14s\n' "fib($n)" "in-program ms" "process ms"
for impl in bl lua erl; do
    name=$impl; [ $impl = bl ] && name=beamlite; [ $impl = lua ] && name=lua5.4
    printf '%-10s %14s %14s\n' $name \
        "$(median <"$tmp/$impl.in" | awk '{printf "%.1f", $1 / 1000}')" \
        "$(median <"$tmp/$impl.wall" | awk '{printf "%.1f", $1 / 1000}')"
done
if command -v valgrind >/dev/null; then
    echo "callgrind instructions (whole process):"
    echo "  beamlite $(callgrind_ir "$BEAMLITE" run "$bench_dir/fib.bl" "$n")"
    echo "  lua5.4   $(callgrind_ir lua5.4 "$bench_dir/fib.lua" "$n")"
fi
