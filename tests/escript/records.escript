#!/usr/bin/env escript
-record(point, {x = 0, y = 0}).
-define(ORIGIN, #point{}).
main(_) ->
    P = #point{x = 3},
    io:format("~p ~p ~p~n", [P, ?ORIGIN, P#point.x]),
    io:format("~s~n", [?FILE]).
