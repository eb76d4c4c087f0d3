#!/usr/bin/env escript
-mode(compile).
%% An uncaught error in main/1: escript's report on stderr, status 127.
main(Args) ->
    io:format("before~n"),
    N = list_to_integer(hd(Args)),
    io:format("~p~n", [N]).
