#!/usr/bin/env escript
-module(main_clause).
-mode(compile).
%% No clause of main/1 matches the arguments.
main(["expected"]) -> ok.
