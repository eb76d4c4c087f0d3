# Helpers for the bench/ scripts (sourced, not run).
# BEAMLITE: the binary (default build/release/beamlite); RUNS: runs per
# implementation (default 7). Runs alternate between implementations so
# that a change in machine load hits them all alike; the median is kept.
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BEAMLITE=${BEAMLITE:-$bench_dir/../build/release/beamlite}
RUNS=${RUNS:-7}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# median of the numbers on stdin
median() {
    sort -n | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

# wall_us CMD...: runs CMD (stdout to $tmp/last), prints its wall time in us
wall_us() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >"$tmp/last" 2>&1 </dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}

# erl needs a compiled .beam: compiles bench/NAME.bl as NAME.erl into $tmp
erl_compile() {
    cp "$bench_dir/$1.bl" "$tmp/$1.erl" && (cd "$tmp" && erlc "$1.erl")
}

# callgrind_ir CMD...: instructions executed (Ir) by CMD
callgrind_ir() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/cg.log" </dev/null
    grep -o 'Collected : [0-9]*' "$tmp/cg.log" | awk '{print $3}'
}
