#!/usr/bin/env bash
# Check (or with -u regenerate) the expected outputs of the conformance corpus
# against Erlang/OTP 25:  erlc NAME.erl && erl -noshell -eval 'NAME:main([]), halt().'
# Usage: tests/conformance/oracle.sh [-u] [NAME...]   (works from any cwd)
set -u
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${1:-}" = "--one" ]; then
    # internal: worker for one program.  --one UPDATE TMP NAME
    update=$2 tmp=$3 name=$4
    input=/dev/null  # NAME.in, when there is one, is the program's standard input
    [ -f "$dir/$name.in" ] && input=$dir/$name.in
    w=$tmp/w.$name
    mkdir -p "$w"
    # application resource files beside the program (NAME.app, NAME_*.app)
    # are on erl's code path (its cwd), as beside the program for beamlite
    for app in "$dir/$name.app" "$dir/${name}_"*.app; do
        [ -f "$app" ] && cp "$app" "$w/"
    done
    if [ -f "$tmp/ebin/$name.beam" ]; then
        ln -s "$tmp/ebin/$name.beam" "$w/$name.beam"
    elif ! (cd "$tmp/src" && erlc -pa "$tmp/ebin" -o "$w" "$name.erl") >"$w/erlc.log" 2>&1; then
        { echo "FAIL $name (erlc failed)"; sed 's/^/    /' "$w/erlc.log" | head -15; } >"$tmp/res.$name"
        exit 0
    fi
    (cd "$w" && timeout 120 \
        erl -noshell -pa "$tmp/ebin" -eval "$name:main([]), halt()." <"$input" >"$w/raw" 2>"$w/stderr")
    rc=$?
    crashed=0
    if [ "$rc" != 0 ] && grep -q 'init terminating in do_boot' "$w/stderr"; then crashed=1; fi
    if [ $crashed = 1 ]; then
        # main/1 raised.  erl then prints {"init terminating in do_boot",...}
        # on stdout and halts WITHOUT flushing: the program's last output may
        # be lost or even interleaved with that line (it really happens).  So
        # the expected stdout of a crashing program is taken from a run that
        # catches the exception and calls halt(1), which flushes.
        (cd "$w" && timeout 120 \
            erl -noshell -eval "try $name:main([]) catch _:_ -> halt(1) end, halt()." \
            <"$input" >"$w/out" 2>>"$w/stderr")
    else
        cp "$w/raw" "$w/out"
    fi
    if [ "$rc" = 0 ]; then exp_exit=""; elif [ $crashed = 1 ]; then exp_exit=nonzero; else exp_exit=$rc; fi
    if [ "$update" = 1 ]; then
        cp "$w/out" "$dir/$name.out"
        if [ -n "$exp_exit" ]; then echo "$exp_exit" >"$dir/$name.exit"; else rm -f "$dir/$name.exit"; fi
        echo "PASS $name (updated)" >"$tmp/res.$name"
        exit 0
    fi
    want_exit=0
    [ -f "$dir/$name.exit" ] && want_exit=$(tr -d ' \n' <"$dir/$name.exit")
    ok=1; why=""
    if [ "$want_exit" = nonzero ]; then
        [ "$rc" != 0 ] || { ok=0; why="exit $rc, want nonzero"; }
    elif [ "$rc" != "$want_exit" ]; then ok=0; why="exit $rc, want $want_exit"; fi
    if [ ! -f "$dir/$name.out" ]; then ok=0; why="$why missing $name.out"
    elif ! cmp -s "$w/out" "$dir/$name.out"; then ok=0; why="$why stdout differs"; fi
    if [ $ok = 1 ]; then echo "PASS $name" >"$tmp/res.$name"
    else
        { echo "FAIL $name:$why"; diff "$dir/$name.out" "$w/out" 2>&1 | head -15 | sed 's/^/    /'; } >"$tmp/res.$name"
    fi
    exit 0
fi

update=0
if [ "${1:-}" = "-u" ]; then update=1; shift; fi
command -v erlc >/dev/null 2>&1 || { echo "erlc not found in PATH" >&2; exit 2; }
command -v erl >/dev/null 2>&1 || { echo "erl not found in PATH" >&2; exit 2; }

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$dir"/*.bl; do [ -e "$f" ] && names+=("$(basename "$f" .bl)"); done
fi
for i in "${!names[@]}"; do names[$i]=$(basename "${names[$i]}" .bl); done

# ORACLE_EXEMPT (beside this script): programs OTP cannot run to the end
# (it ends the node); their .out is written by hand, so they are skipped.
declare -A exempt=()
if [ -f "$dir/ORACLE_EXEMPT" ]; then
    while read -r ename ereason; do
        case "$ename" in ''|'#'*) continue ;; esac
        exempt[$ename]=$ereason
    done <"$dir/ORACLE_EXEMPT"
fi
kept=()
for n in "${names[@]}"; do
    if [ -n "${exempt[$n]:-}" ]; then echo "SKIP $n (ORACLE_EXEMPT: ${exempt[$n]})"; else kept+=("$n"); fi
done
names=(${kept[@]+"${kept[@]}"})

tmp=$(mktemp -d "${TMPDIR:-/tmp}/conformance-oracle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# compile everything first (erlc starts slowly: a few files per erlc run)
mkdir -p "$tmp/src" "$tmp/ebin"
for n in "${names[@]}"; do
    [ -f "$dir/$n.bl" ] && cp "$dir/$n.bl" "$tmp/src/$n.erl"
done
# parse transforms (NAME_pt.bl) first, whatever is asked for: the programs
# that use them need them on erlc's code path
for f in "$dir"/*_pt.bl; do
    [ -e "$f" ] && cp "$f" "$tmp/src/$(basename "$f" .bl).erl"
done
(cd "$tmp/src" && ls | grep '_pt\.erl$' | xargs -r erlc -o "$tmp/ebin" >/dev/null 2>&1)
(cd "$tmp/src" && ls | xargs -r -n 8 -P "$(nproc)" erlc -pa "$tmp/ebin" -o "$tmp/ebin" >/dev/null 2>&1)

for n in "${names[@]}"; do [ -f "$dir/$n.bl" ] && echo "$n"; done | xargs -r -P "$(nproc)" -I{} "$dir/oracle.sh" --one "$update" "$tmp" {}

pass=0 fail=0
for n in "${names[@]}"; do
    if [ ! -f "$dir/$n.bl" ]; then echo "FAIL $n (no such program)"; fail=$((fail+1)); continue; fi
    if [ ! -f "$tmp/res.$n" ]; then echo "FAIL $n (no result)"; fail=$((fail+1)); continue; fi
    if grep -q '^PASS' "$tmp/res.$n"; then pass=$((pass+1)); else fail=$((fail+1)); cat "$tmp/res.$n"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
