#!/usr/bin/env bash
# The five fairness demos on beamlite and Erlang/OTP (same .bl source; erl
# runs it as a .erl), demo 1 also for Node and Python's asyncio where they
# are installed, and the table of results, printed and written into
# README.md between the `fairness-table` markers.
#   bench/fairness/run.sh            (RUNS=5: runs of demo 1 per VM)
# Demo 1 runs RUNS times per VM, alternating, and reports the median p99;
# demos 2-4 run on one scheduler (--schedulers 1, erl +S 1) once each.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BEAMLITE=${BEAMLITE:-$root/build/release/beamlite}
RUNS=${RUNS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fairness.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
have_erl=0
command -v erl >/dev/null && command -v erlc >/dev/null && have_erl=1

cp "$here"/*.bl "$here"/ticker.hrl "$tmp"/
if [ $have_erl = 1 ]; then
    for f in "$here"/*.bl; do
        name=$(basename "$f" .bl)
        cp "$f" "$tmp/$name.erl"
        (cd "$tmp" && erlc "$name.erl") || exit 1
    done
fi

# bl NAME [VM FLAGS...] / erl_run NAME [ERL FLAGS...]: the program's line
bl() {
    local name=$1
    shift
    (cd "$tmp" && "$BEAMLITE" "$@" run "$name.bl" 2>&1 | tail -1)
}
erl_run() {
    local name=$1
    shift
    [ $have_erl = 1 ] || { echo "(erl not installed)"; return; }
    (cd "$tmp" && erl "$@" -noshell -eval "$name:main([]), halt()." 2>&1 | tail -1)
}
p99() { grep -o 'p99 [0-9.]* ms' | awk '{print $2}'; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else print v[int((NR + 1) / 2)]}'; }

echo "demo 1: timer lateness, 1000 spinners, $RUNS runs each"
: >"$tmp/bl.p99"
: >"$tmp/erl.p99"
for i in $(seq "$RUNS"); do
    line=$(bl timer_lateness)
    echo "  beamlite: $line"
    echo "$line" | p99 >>"$tmp/bl.p99"
    if [ $have_erl = 1 ]; then
        line=$(erl_run timer_lateness)
        echo "  erlang:   $line"
        echo "$line" | p99 >>"$tmp/erl.p99"
    fi
done
demo1_bl="p99 $(median <"$tmp/bl.p99") ms (median of $RUNS)"
demo1_erl="p99 $(median <"$tmp/erl.p99") ms (median of $RUNS)"
[ $have_erl = 1 ] || demo1_erl="(erl not installed)"
others=""
command -v node >/dev/null && others="$others $(node "$here/timer_lateness.js")."
command -v python3 >/dev/null && others="$others $(python3 "$here/timer_lateness.py")."

run_pair() {  # NAME: beamlite's and erl's lines on one scheduler
    local a b
    a=$(bl "$1" --schedulers 1)
    b=$(erl_run "$1" +S 1)
    echo "  beamlite: $a" >&2
    echo "  erlang:   $b" >&2
    printf '%s\t%s\n' "$a" "$b"
}
echo "demo 2: blocking I/O, one scheduler"
IFS=$'\t' read -r demo2_bl demo2_erl < <(run_pair blocking_io)
echo "demo 3: long BIFs, one scheduler"
IFS=$'\t' read -r demo3_bl demo3_erl < <(run_pair long_bif)
echo "demo 4: a big heap collecting, one scheduler"
IFS=$'\t' read -r demo4_bl demo4_erl < <(run_pair big_heap)
echo "demo 5: a million idle processes"
demo5_bl=$(bl idle_processes)
demo5_erl=$(erl_run idle_processes +P 2000000)
echo "  beamlite: $demo5_bl"
echo "  erlang:   $demo5_erl"

table=$(cat <<TABLE
| demo | beamlite | Erlang/OTP |
|---|---|---|
| 1. timer lateness, 1000 spinners, 2 cores | $demo1_bl | $demo1_erl |
| 2. \`os:cmd("sleep 1")\` and a silent pipe, 1 scheduler | $demo2_bl | $demo2_erl |
| 3. long BIFs beside a 2 ms ticker, 1 scheduler | $demo3_bl | $demo3_erl |
| 4. a big heap collecting beside a 2 ms ticker, 1 scheduler | $demo4_bl | $demo4_erl |
| 5. a million idle processes | $demo5_bl | $demo5_erl |

Demo 1 elsewhere:$others
TABLE
)
echo
echo "$table"
readme=$root/README.md
if grep -q '<!-- fairness-table:begin -->' "$readme"; then
    awk -v table="$table" '
        /<!-- fairness-table:begin -->/ {print; print table; skip = 1; next}
        /<!-- fairness-table:end -->/ {skip = 0}
        !skip {print}' "$readme" >"$tmp/README.md" && cp "$tmp/README.md" "$readme"
    echo "(written into README.md)"
fi
