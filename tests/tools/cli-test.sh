#!/usr/bin/env bash
# Command-line behaviour of the beamlite binary: exit codes and messages.
set -u
bin=$1
pass=0; fail=0
expect() {  # expect CODE PATTERN -- ARGS...
    local code=$1 pattern=$2; shift 3
    local out; out=$("$bin" "$@" 2>&1 </dev/null); local got=$?
    if [ "$got" = "$code" ] && grep -qE -- "$pattern" <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: beamlite $* -> exit $got (want $code), output:"; echo "$out" | head -5
    fi
}
expect_only() {  # expect_only CODE TEXT -- ARGS...: the whole output is TEXT
    local code=$1 want=$2; shift 3
    local out; out=$("$bin" "$@" 2>&1 </dev/null); local got=$?
    if [ "$got" = "$code" ] && [ "$out" = "$want" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: beamlite $* -> exit $got (want $code), output:"; echo "$out" | head -5
    fi
}
expect 0 '^beamlite [0-9]+\.[0-9]+' -- --version
expect 0 'Usage: beamlite' -- --help
expect 2 'unknown option' -- --frobnicate
expect 2 'needs a file' -- check
expect 2 'from 1024 to 134217727' -- --max-procs 12 check x.bl
expect 2 'needs a value' -- --schedulers
expect 2 'from 0 to' -- --max-heap-size lots run x.bl
expect 2 'unknown command' -- frob
# Doubling macros (issue 11): a diagnostic at the use, or the program's
# result, at once (the circularity check once walked 2^40 paths).
hostile=$(cd "$(dirname "$0")/../robustness" && pwd)
expect 1 'macro_bomb.bl:[0-9]+:[0-9]+: macro expansion too deep' -- check "$hostile/macro_bomb.bl"
expect 1 'macro_bomb.bl:[0-9]+:[0-9]+: macro expansion too deep' -- run "$hostile/macro_bomb.bl"
expect 0 '^\{\{\{x,x\},\{x,x\}\},\{\{x,x\},\{x,x\}\}\}$' -- run "$hostile/macro_bomb_unused.bl"
expect 2 'from 8192 to 1048576' -- --max-atoms 100 run x.bl

# Programs written to a scratch directory.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# init's plain arguments are run's program arguments (decoded from UTF-8);
# an application's resource file is found beside the program or in a -pa
# directory's ebin/, and its callback module's start/2 runs.
cat >"$tmp/plain_args.bl" <<'BL'
-module(plain_args).
-export([main/1]).
main(Args) -> io:format("~p ~p~n", [Args =:= init:get_plain_arguments(), init:get_plain_arguments()]).
BL
expect_only 0 'true ["a","b c","-x"]' -- run "$tmp/plain_args.bl" a "b c" -x
expect_only 0 'true []' -- run "$tmp/plain_args.bl"
# An existing file as the first word means `run FILE` (what a `#!` line
# runs); a directory or a missing file is still no command.
expect_only 0 'true ["a","run"]' -- "$tmp/plain_args.bl" a run
expect_only 0 'true ["-x"]' -- --schedulers 1 "$tmp/plain_args.bl" -x
expect 2 'unknown command' -- "$tmp"
expect 2 'unknown command' -- "$tmp/no_such_file.bl"
# An escript, with and without `run`: its plain arguments start with it.
printf '#!/usr/bin/env beamlite\nmain(_) -> io:format("~p~n", [init:get_plain_arguments()]).\n' >"$tmp/s"
expect_only 0 "[\"$tmp/s\",\"a\"]" -- "$tmp/s" a
expect_only 0 "[\"$tmp/s\",\"a\"]" -- run "$tmp/s" a
# An escript's %%! line: -pa and -pz add to the code path (beamlite loads
# MODULE.bl from there, as escript would MODULE.beam); other flags are
# ignored.
mkdir -p "$tmp/pa1" "$tmp/pa2"
printf -- '-module(pa_one).\n-export([f/0]).\nf() -> one.\n' >"$tmp/pa1/pa_one.bl"
printf -- '-module(pa_two).\n-export([f/0]).\nf() -> two.\n' >"$tmp/pa2/pa_two.bl"
printf '#!/usr/bin/env escript\n%%%%! -smp enable -pa %s -sname x +A 4 -pz %s\nmain(_) -> io:format("~p~n", [{pa_one:f(), pa_two:f()}]).\n' \
    "$tmp/pa1" "$tmp/pa2" >"$tmp/pa.escript"
expect_only 0 '{one,two}' -- "$tmp/pa.escript"
sed -i 's/-pa [^ ]*//' "$tmp/pa.escript"
expect 127 'undefined function pa_one:f/0' -- "$tmp/pa.escript"
mkdir -p "$tmp/lib/ebin"
cat >"$tmp/lib/ebin/cli_app.app" <<'APP'
{application, cli_app, [{description, "from a file"}, {vsn, "2.0"},
                        {mod, {cli_app_cb, [from_file]}}, {env, [{k, v}]}]}.
APP
cat >"$tmp/cli_app_cb.bl" <<'BL'
-module(cli_app_cb).
-export([start/2, stop/1]).
start(normal, Args) -> io:format("start ~p~n", [Args]), {ok, spawn(fun() -> receive _ -> ok end end)}.
stop(_) -> ok.
BL
cat >"$tmp/cli_app_main.bl" <<'BL'
-module(cli_app_main).
-export([main/1]).
main(_) ->
    io:format("~p~n", [application:get_env(cli_app, k)]),
    io:format("~p~n", [application:start(cli_app)]),
    io:format("~p~n", [application:get_key(cli_app, description)]),
    io:format("~p~n", [application:get_env(cli_app, k)]).
BL
expect_only 0 'undefined
start [from_file]
ok
{ok,"from a file"}
{ok,v}' -- -pa "$tmp/lib" run "$tmp/cli_app_main.bl"
expect 0 '^\{error,\{"no such file or directory","cli_app.app"\}\}$' -- run "$tmp/cli_app_main.bl"

# A full atom table (--max-atoms): loading a module with new atoms fails
# cleanly (the call raises undef), and the crash report of main/1 still
# prints, with status 1.
cat >"$tmp/atoms_full.bl" <<'BL'
-module(atoms_full).
-export([main/1]).
main(_) -> fill(0), atoms_other:f().
fill(N) ->
    case catch list_to_atom("a" ++ integer_to_list(N)) of
        {'EXIT', {system_limit, _}} -> ok;
        _ -> fill(N + 1)
    end.
BL
printf -- '-module(atoms_other).\n-export([f/0]).\nf() -> a_new_atom_here.\n' >"$tmp/atoms_other.bl"
expect 1 'cannot load .*atoms_other.bl: .*the atom table is full' -- --max-atoms 8192 run "$tmp/atoms_full.bl"
expect 1 'undefined function atoms_other:f/0' -- --max-atoms 8192 run "$tmp/atoms_full.bl"

# Files that cannot be read: only erlc's message, and status 1.
expect_only 1 "$tmp/missing.bl: no such file or directory" -- run "$tmp/missing.bl"
expect_only 1 "$tmp/missing.bl: no such file or directory" -- check "$tmp/missing.bl"
mkdir "$tmp/dir.bl"
expect_only 1 "$tmp/dir.bl: illegal operation on a directory" -- run "$tmp/dir.bl"

# Arguments are decoded from UTF-8 as OTP does; a byte that is not UTF-8
# stays a byte. An undefined erlang function keeps its module in the report,
# an auto-imported BIF does not, and div is an operator.
work=$(printf '%s/w\xc3\xb6rk' "$tmp")
mkdir "$work"
cat >"$work/args.bl" <<'BL'
-module(args).
-export([main/1]).
main(["crc"]) -> erlang:crc32(1, 2, 3, 4);
main(["div"]) -> id(1) div id(0);
main(["element"]) -> element(id(5), {1});
main(A) -> io:format("~w~n", [A]).
id(X) -> X.
BL
args=$work/args.bl
expect_only 0 '[[119,246,114,108,100],[97,255,98],[120,8364]]' -- run "$args" "$(printf 'w\xc3\xb6rld')" "$(printf 'a\xffb')" "$(printf 'x\xe2\x82\xac')"
expect 1 '^beamlite: exception error: undefined function erlang:crc32/4$' -- run "$args" crc
expect 1 "^  in operator  div/2$" -- run "$args" div
expect 1 '^  in function  element/2$' -- run "$args" element
# The file name of a stack trace is a string of code points (printed as UTF-8).
expect 1 "in call from args:main/1 \(.*$(printf 'w\xc3\xb6rk')/args.bl, line 4\)" -- run "$args" div

# Past --max-heap-size before main starts: a message, not a crash.
expect 1 "arguments do not fit in --max-heap-size" -- --max-heap-size 10 run "$args" aaaaaaaaaaaaaaaaaaaaaaaa
# A heap block the allocator cannot give (6 GB of address space, no
# max_heap_size) kills the process that asked; the VM goes on. Not under a
# sanitizer, whose shadow memory needs more address space than that.
if ! ldd "$bin" 2>/dev/null | grep -qE 'lib(asan|tsan)'; then
    cat >"$tmp/oom.bl" <<'BL'
-module(oom).
-export([main/1]).
main(_) ->
    {Pid, Ref} = spawn_monitor(fun() -> grow([]) end),
    receive {'DOWN', Ref, process, Pid, Reason} -> io:format("grower: ~p~n", [Reason]) end.
grow(Acc) -> grow([erlang:make_tuple(16777215, a) | Acc]).
BL
    out=$( (ulimit -v 6000000; "$bin" --max-heap-size 0 run "$tmp/oom.bl" 2>/dev/null </dev/null) )
    got=$?
    if [ "$got" = 0 ] && [ "$out" = "grower: killed" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: out of memory -> exit $got, output:"; echo "$out" | head -5
    fi
    # The same for an off-heap binary (2 GiB of address space, a 2 GiB
    # binary): the asker is killed with a report, the VM exits cleanly.
    cat >"$tmp/oombin.bl" <<'BL'
-module(oombin).
-export([main/1]).
main(_) ->
    {Pid, Ref} = spawn_monitor(fun() -> <<0:(1 bsl 34)>> end),
    receive {'DOWN', Ref, process, Pid, Reason} -> io:format("binary: ~p~n", [Reason]) end,
    byte_size(<<0:(1 bsl 34)>>).
BL
    out=$( (ulimit -v 2000000; "$bin" --max-heap-size 0 run "$tmp/oombin.bl" 2>"$tmp/oombin.err" </dev/null) )
    got=$?
    if [ "$got" = 1 ] && [ "$out" = "binary: killed" ] &&
        grep -q "process killed: out of memory" "$tmp/oombin.err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: binary out of memory -> exit $got, output:"
        echo "$out" | head -5; head -5 "$tmp/oombin.err"
    fi
fi

# Standard output's reader goes away (`| head -1`): the VM is not killed
# by SIGPIPE; it ends with status 1 and says why, as OTP's ends when its
# I/O server dies of the broken pipe.
cat >"$tmp/pipe_reader.bl" <<'BL'
-module(pipe_reader).
-export([main/1]).
main(_) -> [io:format("~p~n", [I]) || I <- lists:seq(1, 300000)], ok.
BL
"$bin" run "$tmp/pipe_reader.bl" 2>"$tmp/pipe_reader.err" </dev/null | head -1 >"$tmp/pipe_reader.out"
got=${PIPESTATUS[0]}
first=$(cat "$tmp/pipe_reader.out")
if [ "$got" = 1 ] && [ "$first" = 1 ] && grep -q "standard output is closed" "$tmp/pipe_reader.err"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1)); echo "FAIL: broken standard output -> exit $got, first line '$first'"
    head -5 "$tmp/pipe_reader.err"
fi

# `beamlite test FILE`: eunit's report and status 0 when every test
# passes, 1 when one fails or the module does not compile (issue 14).
conformance=$(cd "$(dirname "$0")/../conformance" && pwd)
expect 0 '^  All 6 tests passed\.$' -- test "$conformance/eunit_pass.bl"
expect 1 'Failed: 4\.  Skipped: 0\.  Passed: 2\.' -- test "$conformance/eunit_fail.bl"
expect 0 "module 'eunit_pass'" -- test --verbose "$conformance/eunit_pass.bl"
expect 0 'There were no tests to run' -- test "$tmp/plain_args.bl"
expect 2 'needs a file' -- test
cat >"$tmp/broken_test.bl" <<'BL'
-module(broken_test).
-include_lib("eunit/include/eunit.hrl").
f_test() -> X.
BL
expect 1 "broken_test.bl:3:13: variable 'X' is unbound" -- test "$tmp/broken_test.bl"

# Parse transforms that fail, as erlc reports them: a crash (with the
# trace down to the transform), {error, Es, Ws}, a missing transform.
cat >"$tmp/crash_pt.bl" <<'BL'
-module(crash_pt).
-export([parse_transform/2]).
parse_transform(Forms, _Options) -> length(Forms) + foo.
BL
cat >"$tmp/error_pt.bl" <<'BL'
-module(error_pt).
-export([parse_transform/2, format_error/1]).
parse_transform(_Forms, _Options) -> {error, [{"where.bl", [{{3, 5}, error_pt, bad}]}], []}.
format_error(bad) -> "a bad thing happened".
BL
for t in crash_pt error_pt no_such_pt; do
    printf -- '-module(uses_%s).\n-compile({parse_transform, %s}).\n-export([main/1]).\nmain(_) -> ok.\n' \
        "$t" "$t" >"$tmp/uses_$t.bl"
done
expect 1 "uses_crash_pt.bl: error in parse transform 'crash_pt':" -- run "$tmp/uses_crash_pt.bl"
expect 1 'crash_pt:parse_transform/2 \(.*crash_pt.bl, line 3\)' -- run "$tmp/uses_crash_pt.bl"
expect_only 1 'where.bl:3:5: a bad thing happened' -- run "$tmp/uses_error_pt.bl"
expect_only 1 "$tmp/uses_no_such_pt.bl: undefined parse transform 'no_such_pt'" -- run "$tmp/uses_no_such_pt.bl"

# -e: one expression's value as the shell prints it; an exception as the
# shell reports it, on standard error, with status 1.
expect_only 0 '3' -- -e '1 + 2.'
expect_only 0 '[3,2,1]' -- -e 'lists:reverse([1, 2, 3])'
expect_only 0 '{ok,"x"}' -- -e 'X = "x", {ok, X}.'
expect_only 0 'hi
ok' -- -e 'io:format("hi~n").'
expect_only 1 '** exception error: undefined function foo:bar/0' -- -e 'foo:bar().'
expect_only 1 "** exception error: no match of right hand side value 2" -- -e '1 = 2.'
expect_only 1 "* 1:5: syntax error before: '.'" -- -e '1 + .'
expect_only 1 "* 1:1: variable 'X' is unbound" -- -e 'X.'
expect_only 3 '' -- -e 'halt(3).'
expect 2 'needs an expression' -- -e
# The shell on a pipe with no input: its banner, a prompt, erl's last line.
expect_only 0 "$("$bin" --version) (Erlang/OTP 25 compatible)
1> *** Terminating erlang (nonode@nohost)" -- shell

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
