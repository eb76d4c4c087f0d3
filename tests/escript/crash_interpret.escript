#!/usr/bin/env escript
%% Interpret mode (escript's default): the same report's first lines and
%% status 127. Below them OTP shows erl_eval's frames where beamlite shows
%% the script's own, so stderr is not compared (no .err file).
main(Args) ->
    io:format("before~n"),
    N = list_to_integer(hd(Args)),
    io:format("~p~n", [N]).
