#!/usr/bin/env escript
-mode(compile).
%% Compile mode: compile:forms' warnings, quoted, on stdout; then it runs.
main(Args) ->
    Unused = 1,
    io:format("ran~n").

helper() -> ok.
