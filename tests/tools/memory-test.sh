#!/usr/bin/env bash
# Memory behaviour of `beamlite run` (issue 3's acceptance), on the programs
# in tests/tools/memory/:
#   deep1m          a non-tail recursion a million calls deep works;
#   tail_loop10m    10 million tail calls run in constant memory (< 64 MB);
#   garbage1g       about 1 GB of short-lived lists stays under 128 MB;
#   runaway_stack,  a process whose stack or heap passes max_heap_size
#   runaway_heap    (here --max-heap-size 4000000 words, 32 MB) ends with the
#                   "maximum heap size reached" report and exit status 1,
#                   never a signal;
#   idle_shrink     a process that built a 200,000-element list and went
#                   idle in a receive is back to at most 512 bytes (issue 4);
#   binary_churn    2,000 binaries of 1 MB made and dropped in a loop stay
#                   under 64 MB (the virtual binary heap's collections);
#   receive_only    a process that receives 2,000,000 small messages and
#                   allocates nothing frees them as it goes (< 48 MB; kept
#                   until a collection that never came, they took 136 MB).
# Max RSS comes from /usr/bin/time -f %M. Usage: memory-test.sh BEAMLITE
# [--no-rss]; --no-rss (sanitizer builds, whose shadow memory and
# quarantine inflate RSS) still runs everything but checks no RSS limit.
set -u
bin=$1
check_rss=1
[ "${2:-}" = --no-rss ] && check_rss=0
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/memory" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memory-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# run NAME [OPTIONS...]: sets rc, rss_kb, out (stdout), err (stderr)
run() {
    local name=$1; shift
    /usr/bin/time -f %M -o "$tmp/rss" "$bin" "$@" run "$dir/$name.bl" \
        >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    rss_kb=$(tail -1 "$tmp/rss")
    # /usr/bin/time reports a signal death as "Command terminated by signal"
    grep -q "terminated by signal" "$tmp/rss" && rc=signal
    out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
}
verdict() {  # verdict NAME OK WHAT
    if [ "$2" = 1 ]; then pass=$((pass + 1)); echo "ok   $1: $3"
    else fail=$((fail + 1)); echo "FAIL $1: $3"; echo "$err" | head -5 | sed 's/^/    | /'; fi
}
rss_ok() {  # rss_ok LIMIT_MB
    [ $check_rss = 0 ] || [ "$rss_kb" -lt $(($1 * 1024)) ]
}

run deep1m
ok=0; [ "$rc" = 0 ] && [ "$out" = 1000000 ] && ok=1
verdict deep1m $ok "exit $rc, output '$out', max RSS $((rss_kb / 1024)) MB"

run tail_loop10m
ok=0; [ "$rc" = 0 ] && [ "$out" = 29999997 ] && rss_ok 64 && ok=1
verdict tail_loop10m $ok "exit $rc, output '$out', max RSS $((rss_kb / 1024)) MB (limit 64)"

run garbage1g
ok=0; [ "$rc" = 0 ] && [ "$out" = 320032000000 ] && rss_ok 128 && ok=1
verdict garbage1g $ok "exit $rc, output '$out', max RSS $((rss_kb / 1024)) MB (limit 128)"

for name in runaway_stack runaway_heap; do
    run $name --max-heap-size 4000000
    ok=0
    if [ "$rc" = 1 ] && [ "$out" = start ] &&
        grep -q '^beamlite: process killed: maximum heap size reached' <<<"$err" &&
        grep -q "in function  $name:" <<<"$err" && rss_ok 128; then
        ok=1
    fi
    verdict $name $ok "exit $rc, max RSS $((rss_kb / 1024)) MB"
done

run idle_shrink
ok=0; [ "$rc" = 0 ] && [ "$out" = true ] && ok=1
verdict idle_shrink $ok "exit $rc, output '$out'"

run binary_churn
ok=0; [ "$rc" = 0 ] && [ "$out" = 2000000000 ] && rss_ok 64 && ok=1
verdict binary_churn $ok "exit $rc, output '$out', max RSS $((rss_kb / 1024)) MB (limit 64)"

run receive_only
ok=0; [ "$rc" = 0 ] && [ "$out" = 2000000 ] && rss_ok 48 && ok=1
verdict receive_only $ok "exit $rc, output '$out', max RSS $((rss_kb / 1024)) MB (limit 48)"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
