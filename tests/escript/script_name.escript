#!/usr/bin/env escript
main(Args) ->
    io:format("~p~n", [escript:script_name()]),
    io:format("~p~n", [init:get_plain_arguments()]),
    io:format("~p~n", [Args]).
