#!/usr/bin/env bash
# Front-end speed: `beamlite check` of a generated 10,000-line module, the
# median of several runs (target: under 50 ms), with erlc on the same source
# for scale. A measurement, never a test.
#
#   bench/frontend/check_speed.sh [BEAMLITE_BINARY] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/release/beamlite}
runs=${2:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/gen_module.sh" 10000 big >"$work/big.bl"
cp "$work/big.bl" "$work/big.erl"
echo "module: $(wc -l <"$work/big.bl") lines, $(wc -c <"$work/big.bl") bytes"

median_ms() {  # median wall time of "$@" over $runs runs, in ms
    local times=()
    for ((i = 0; i < runs; i++)); do
        local start end
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { printf "%.1f", $1 / 1000 }'
}

echo "beamlite check: $(median_ms "$bin" check "$work/big.bl") ms (median of $runs)"
if command -v erlc >/dev/null; then
    runs=3
    echo "erlc (compiles too, for scale): $(cd "$work" && median_ms erlc -o "$work" big.erl) ms (median of $runs)"
fi
