#!/usr/bin/env escript
%% halt/1 ends the script with its status at once; nothing after it runs.
main([N]) ->
    io:format("halting with ~s~n", [N]),
    halt(list_to_integer(N)),
    io:format("not reached~n").
