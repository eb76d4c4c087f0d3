#!/usr/bin/env escript
-mode(compile).
%% An uncaught error whose terms do not fit on a line: escript's report
%% breaks them as erl_error does (the call's arguments under the call).
main(_) ->
    L = lists:seq(1, 30),
    f({not_ok, L, "some string here", #{key => value, other => [1, 2, 3]}}, {another, tuple}).

f(ok, _) -> ok.
