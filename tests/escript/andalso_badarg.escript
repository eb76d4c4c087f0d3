#!/usr/bin/env escript
-mode(compile).
%% An uncaught {badarg, V} from andalso: "bad argument: V".
main(_) ->
    X = length([a, b, c]),
    io:format("~p~n", [X andalso true]).
