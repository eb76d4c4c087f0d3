#!/usr/bin/env escript
-module(long_report_exit).
-mode(compile).
%% A -module: the implicit module's name carries the time, whose digits
%% (and so the report's indentation) vary from run to run on either VM.
%% A long exit reason, broken at 80 columns as erl_error breaks it.
main([]) ->
    exit({shutdown, [{reason, lists:seq(1, 30)}, {where, "somewhere over the rainbow"}]}).
