#!/usr/bin/env escript
%% Interpret mode: erl_lint's warnings on stderr, no quoted line; then it runs.
main(Args) ->
    Unused = 1,
    io:format("ran~n").

helper() -> ok.
