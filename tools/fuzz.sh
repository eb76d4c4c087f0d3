#!/usr/bin/env bash
# fuzz.sh SECONDS [TARGET...]: runs each libFuzzer target (default: all
# three) for SECONDS on one core, from its seeds plus what earlier runs
# kept; fails when any target finds a crash, leak or timeout. Build the
# targets first: cmake --preset fuzz && cmake --build --preset fuzz.
#
#   fuzz_frontend        seeds: tests/check/ok, tests/conformance/*.bl
#   fuzz_binary_to_term  seeds: tools/fuzz-seeds.escript (OTP's encoder)
#   fuzz_program         seeds: tests/conformance/*.bl (up to 16 KiB)
#
# The corpus a run grows is kept in build/fuzz/corpus/TARGET (so longer runs
# build on earlier ones); a crashing input is written to
# build/fuzz/crashes/TARGET-crash-<sha1> (rerun it: TARGET -close_fd_mask=0 FILE).
# FUZZ_TIMEOUT (default 25) is the seconds one input may take.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: tools/fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_frontend fuzz_binary_to_term fuzz_program)
out=build/fuzz
mkdir -p "$out/crashes"

# Writes TARGET's seeds into directory $2.
seed() {
    mkdir -p "$2"
    case $1 in
        fuzz_frontend)
            cp tests/check/ok/* "$2"/
            find tests/conformance -name '*.bl' -size -16k -exec cp {} "$2"/ \; ;;
        fuzz_program)
            find tests/conformance -name '*.bl' -size -16k -exec cp {} "$2"/ \; ;;
        fuzz_binary_to_term)
            if command -v escript >/dev/null; then
                tools/fuzz-seeds.escript "$2" >/dev/null
            fi ;;
    esac
}

status=0
for t in "${targets[@]}"; do
    corpus=$out/corpus/$t
    seeds=$out/seeds/$t
    mkdir -p "$corpus"
    [ -d "$seeds" ] || seed "$t" "$seeds"
    flags=(-max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-25}" -max_len=16384
           -print_final_stats=1 -artifact_prefix="$out/crashes/$t-")
    case $t in
        fuzz_frontend | fuzz_program) flags+=(-dict=tools/fuzz-erlang.dict) ;;
    esac
    echo "=== fuzz: $t for ${seconds}s"
    if ! "$out/tools/$t" "${flags[@]}" "$corpus" "$seeds" >"$out/$t.log" 2>&1; then
        status=1
        echo "fuzz: $t failed; its log ($out/$t.log) ends:"
        tail -n 60 "$out/$t.log"
    else
        grep -E '^stat::(number_of_executed_units|new_units_added)' "$out/$t.log" || true
    fi
done
exit $status
