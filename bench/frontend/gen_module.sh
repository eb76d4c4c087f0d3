#!/usr/bin/env bash
# Prints a realistic Erlang module of about N lines (default 10,000) to
# stdout: records, maps, binaries, case/receive/try, comprehensions, macros.
set -euo pipefail
lines=${1:-10000}
name=${2:-big}
cat <<HEAD
-module($name).
-export([main/1]).
-compile([export_all, nowarn_export_all]).
-record(state, {count = 0 :: integer(), items = [] :: list(), name}).
-define(LIMIT, 100).
-define(TWICE(X), (2 * (X))).

main(_) -> ok.
HEAD
count=$(( (lines - 9) / 24 ))
for ((i = 0; i < count; i++)); do
cat <<BODY

-spec f$i(term(), #state{}) -> {ok, term()} | {error, atom()}.
f$i(X, #state{count = C} = S) when is_integer(X), X > $i ->
    Y = [E * 2 || E <- lists:seq(1, X), E rem 3 =:= 0],
    M = #{key => X, other => "string $i", bin => <<X:16/big, 1, 2>>},
    case maps:get(key, M) of
        K when K > ?LIMIT -> {ok, S#state{count = C + ?TWICE(K)}};
        K ->
            try lists:nth(K, Y) of
                V -> {ok, {V, S#state.name}}
            catch
                error:Reason:Stack -> {error, {Reason, Stack}}
            after
                ok
            end
    end;
f$i(<<Size:8, Data:Size/binary, _/binary>>, S) ->
    receive
        {msg, Data} -> {ok, S#state{items = [Data | S#state.items]}};
        stop -> {error, stopped}
    after 100 ->
        {error, timeout}
    end;
f$i(_, _) -> {error, badarg}.
BODY
done
