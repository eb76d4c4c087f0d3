#!/usr/bin/env escript
-module(long_report).
-mode(compile).
%% A -module: the implicit module's name carries the time, whose digits
%% (and so the report's indentation) vary from run to run on either VM.
%% An uncaught error whose terms do not fit on a line: escript's report
%% breaks them as erl_error does (the call's arguments under the call).
main(_) ->
    L = lists:seq(1, 30),
    f({not_ok, L, "some string here", #{key => value, other => [1, 2, 3]}}, {another, tuple}).

f(ok, _) -> ok.
