#!/usr/bin/env escript
%% The arguments as strings, spaces and UTF-8 included.
main(Args) ->
    io:format("~p~n", [Args]),
    [io:format("~ts|~n", [A]) || A <- Args],
    ok.
