#!/usr/bin/env escript
main(_) ->
    io:format("halt/0~n"),
    halt(),
    io:format("not reached~n").
