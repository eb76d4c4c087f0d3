#!/usr/bin/env bash
# Run the escript corpus against beamlite and compare with what Erlang/OTP's
# escript did (oracle.sh): stdout, exit status and, where stored, stderr,
# all normalised as lib.sh says.
# Usage: tests/escript/run.sh BEAMLITE [NAME...]   (works from any cwd)
set -u
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 BEAMLITE [NAME...]" >&2; exit 2; }
bl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
[ -x "$bl" ] || { echo "$0: $bl is not executable" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/escript-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then names=("$@"); else mapfile -t names < <(escript_tests); fi
[ ${#names[@]} -gt 0 ] || { echo "$0: no tests" >&2; exit 2; }
pass=0 fail=0
for name in "${names[@]}"; do
    read_args "$name"
    base=$(expected_base "$name")
    if is_direct "$name"; then
        # As the kernel runs it: `#!/usr/bin/env beamlite` finds beamlite
        # on PATH and runs `beamlite ./NAME ARGS`.
        (cd "$dir" && PATH="$(dirname "$bl"):$PATH" timeout 60 "./$name" "${args[@]}") \
            </dev/null >"$tmp/raw.out" 2>"$tmp/raw.err"
    else
        (cd "$dir" && timeout 60 "$bl" run "$name" "${args[@]}") \
            </dev/null >"$tmp/raw.out" 2>"$tmp/raw.err"
    fi
    rc=$?
    normalise <"$tmp/raw.out" >"$tmp/out"
    normalise <"$tmp/raw.err" >"$tmp/err"
    why=""
    [ "$rc" = "$(cat "$base.exit")" ] || why="$why exit $rc, want $(cat "$base.exit");"
    cmp -s "$tmp/out" "$base.out" || why="$why stdout differs;"
    if [ -f "$base.err" ] && ! cmp -s "$tmp/err" "$base.err"; then why="$why stderr differs;"; fi
    if [ -z "$why" ]; then
        pass=$((pass + 1))
        continue
    fi
    fail=$((fail + 1))
    echo "FAIL $name:${why%;}"
    diff "$base.out" "$tmp/out" | head -10 | sed 's/^/    out /'
    [ -f "$base.err" ] && diff "$base.err" "$tmp/err" | head -10 | sed 's/^/    err /'
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
