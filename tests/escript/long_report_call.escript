#!/usr/bin/env escript
-module(long_report_call).
-mode(compile).
%% A -module: the implicit module's name carries the time, whose digits
%% (and so the report's indentation) vary from run to run on either VM.
%% A BIF's long arguments under "called as", as erl_error breaks them.
main(_) ->
    T = list_to_tuple(lists:seq(1, 40)),
    element(50, T).
