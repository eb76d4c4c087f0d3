#!/usr/bin/env escript
%% A -module that is not the file's name is accepted in an escript.
-module(something_else).
-export([main/1]).
main(_) ->
    io:format("~p ~s~n", [?MODULE, ?MODULE_STRING]).
