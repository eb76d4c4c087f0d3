#!/usr/bin/env bash
# Load without loss (issue 11), on the programs in tests/tools/load/, each
# on 1 and 2 schedulers:
#   senders    1,000 senders x 1,000 messages to one receiver, per-sender
#              order checked in a map (also under BEAMLITE_GC_STRESS=1);
#   queue      a 1M-message queue, the last message taken first by a
#              selective receive, the rest drained in order;
#   links      a trapping observer linked to 100k processes gets every
#              'EXIT' (half killed, half ending with their own reason);
#   churn      5M processes spawned and ended (monitored, waves of 1,000),
#              then erlang:memory(processes) and (total) within 10% of
#              their baseline (see churn.bl for how it is taken);
#   atoms      with --max-atoms 1048576 (the default), four processes fill
#              the atom table with list_to_atom at once: system_limit in
#              each of them, then the VM goes on;
#   max_procs  with --max-procs 1024, 2,000 spawns: system_limit in the
#              caller for those past the limit, the others all work.
# Usage: load-test.sh BEAMLITE [--small]; --small (sanitizer builds)
# divides the sizes by 10 (senders and GC stress: 1,000 x 100; atoms: a
# table of 131,072). Each case prints its time.
set -u
bin=$1
small=0
[ "${2:-}" = --small ] && small=1
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/load" && pwd)
pass=0 fail=0

# check NAME EXPECTED-OUTPUT [ENV=V] -- BEAMLITE-ARGS...
check() {
    local name=$1 want=$2; shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    local out rc start seconds
    start=$(date +%s%N)
    out=$(env "${envs[@]}" "$bin" "$@" 2>&1 </dev/null)
    rc=$?
    seconds=$(( ($(date +%s%N) - start) / 10000000 ))
    seconds=$(printf '%d.%02d s' $((seconds / 100)) $((seconds % 100)))
    if [ $rc = 0 ] && [ "$out" = "$want" ]; then
        pass=$((pass + 1)); echo "ok   $name ($seconds)"
    else
        fail=$((fail + 1)); echo "FAIL $name: exit $rc ($seconds)"; echo "$out" | head -5 | sed 's/^/    | /'
    fi
}

if [ $small = 1 ]; then
    m=100 q=100000 l=10000 c=500000 a=131072
else
    m=1000 q=1000000 l=100000 c=5000000 a=1048576
fi
for s in 1 2; do
    check "senders 1000x$m, $s schedulers" "1000 senders complete and in order of 1000" \
        -- --schedulers $s run "$dir/senders.bl" 1000 $m
    check "senders 1000x100, $s schedulers, GC stress" "1000 senders complete and in order of 1000" \
        BEAMLITE_GC_STRESS=1 -- --schedulers $s run "$dir/senders.bl" 1000 100
    check "queue $q, $s schedulers" \
        "queued $((q + 1)), took the last first, drained $q in order" \
        -- --schedulers $s run "$dir/queue.bl" $q
    check "links $l, $s schedulers" \
        "$l exits: $((l / 2)) killed, $((l / 2)) with their reason
none alive, no links left" -- --schedulers $s run "$dir/links.bl" $l
    # 1024 slots: main, the two I/O servers (user, standard_error) and the
    # file server take 4.
    check "max_procs 1024, $s schedulers" "spawned 1020, system_limit 980, other 0
pongs 1020
spawn after the limit ok" -- --schedulers $s --max-procs 1024 run "$dir/max_procs.bl"
    check "churn $c, $s schedulers" "$c processes spawned and ended
processes left 4
processes within 10% of its baseline
total within 10% of its baseline" -- --schedulers $s run "$dir/churn.bl" $c
    check "atoms $a, $s schedulers" "4 fillers stopped by system_limit, having made 90% of the table: true
a new atom: {error,system_limit}
an existing one: true
100 processes spawned and answered: true
atom_used grew: true" -- --schedulers $s --max-atoms $a run "$dir/atoms.bl" $a
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
