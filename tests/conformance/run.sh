#!/usr/bin/env bash
# Run the conformance corpus against beamlite.
# Usage: tests/conformance/run.sh BEAMLITE [NAME...]      (works from any cwd)
# For each NAME: runs `BEAMLITE run NAME.bl` with cwd = tests/conformance and
# compares stdout with NAME.out byte for byte and the exit status with
# NAME.exit (absent = 0, `nonzero` = anything but 0).  stderr is not compared.
# Standard input is NAME.in when there is one, else empty (/dev/null).
# Environment: JOBS (parallel runs, default nproc), TIMEOUT (seconds per
# program, default 120), SCHEDULERS (--schedulers N for every run; unset:
# the default, one per CPU).
# PENDING (beside this script) lists programs that need a later issue, one a
# line: `NAME issue-N reason`. Their failures are reported as pending, not
# counted; a pending program that passes is a failure (take it off the list),
# so the list can only shrink. NO_PENDING=1 ignores the list (for
# fake-beamlite.sh, which passes everything).
set -u
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${1:-}" = "--one" ]; then
    # internal: worker for one program.  --one BEAMLITE TMP NAME
    bl=$2 tmp=$3 name=$4
    input=/dev/null
    [ -f "$dir/$name.in" ] && input=$dir/$name.in
    out=$tmp/out.$name
    (cd "$dir" && timeout "${TIMEOUT:-120}" "$bl" ${SCHEDULERS:+--schedulers "$SCHEDULERS"} run "$name.bl" <"$input" >"$out" 2>"$tmp/err.$name")
    rc=$?
    want=0
    [ -f "$dir/$name.exit" ] && want=$(tr -d ' \n' <"$dir/$name.exit")
    ok=1; why=""
    if [ "$want" = nonzero ]; then
        [ "$rc" != 0 ] || { ok=0; why=" exit $rc, want nonzero;"; }
    elif [ "$rc" != "$want" ]; then
        ok=0; why=" exit $rc, want $want"
        [ "$rc" = 124 ] && why="$why (timeout)"
        why="$why;"
    fi
    if ! cmp -s "$out" "$dir/$name.out"; then ok=0; why="$why stdout differs;"; fi
    why=${why%;}
    if [ $ok = 1 ]; then echo PASS >"$tmp/res.$name"
    else
        {
            echo "FAIL $name:$why"
            diff "$dir/$name.out" "$out" | head -15 | sed 's/^/    /'
            if [ -s "$tmp/err.$name" ]; then
                echo "    stderr:"; head -5 "$tmp/err.$name" | sed 's/^/    | /'
            fi
        } >"$tmp/res.$name"
    fi
    exit 0
fi

if [ $# -lt 1 ]; then
    echo "usage: $0 BEAMLITE [NAME...]" >&2
    exit 2
fi
bl=$1; shift
case "$bl" in
    */*) bl=$(cd "$(dirname "$bl")" && pwd)/$(basename "$bl") ;;
    *) bl=$(command -v "$bl") || { echo "$0: $1 not found" >&2; exit 2; } ;;
esac
[ -x "$bl" ] || { echo "$0: $bl is not executable" >&2; exit 2; }

if [ $# -gt 0 ]; then
    names=()
    for n in "$@"; do names+=("$(basename "$n" .bl)"); done
else
    names=()
    for f in "$dir"/*.bl; do [ -e "$f" ] && names+=("$(basename "$f" .bl)"); done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/conformance-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for n in "${names[@]}"; do [ -f "$dir/$n.bl" ] && echo "$n"; done | xargs -r -P "${JOBS:-$(nproc)}" -I{} "$dir/run.sh" --one "$bl" "$tmp" {}

# NAME -> "issue-N reason" for the pending programs.
declare -A pending=()
if [ -f "$dir/PENDING" ] && [ -z "${NO_PENDING:-}" ]; then
    while read -r pname preason; do
        case "$pname" in ''|'#'*) continue ;; esac
        pending[$pname]=$preason
    done <"$dir/PENDING"
fi

pass=0 fail=0 npending=0
for n in "${names[@]}"; do
    if [ ! -f "$dir/$n.bl" ]; then echo "FAIL $n: no such program"; fail=$((fail+1)); continue; fi
    if [ -f "$tmp/res.$n" ] && [ "$(cat "$tmp/res.$n")" = PASS ]; then
        if [ -n "${pending[$n]+x}" ]; then
            echo "FAIL $n: passes but is listed in PENDING (${pending[$n]}): take it off the list"
            fail=$((fail+1))
        else
            pass=$((pass+1))
        fi
    elif [ -n "${pending[$n]+x}" ]; then
        echo "PENDING $n: ${pending[$n]}"
        npending=$((npending+1))
    else
        fail=$((fail+1))
        if [ -f "$tmp/res.$n" ]; then cat "$tmp/res.$n"; else echo "FAIL $n: no result"; fi
    fi
done
echo "$pass passed, $fail failed, $npending pending"
[ "$fail" = 0 ]
