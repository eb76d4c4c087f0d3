#!/usr/bin/env escript
%% No -module: the module is named after the file, as escript names it
%% (hello_escript__escript__Mega__Secs__Micro__Unique).
main(_) ->
    io:format("~p~n~s~n", [?MODULE, ?MODULE_STRING]),
    io:format("~p~n", [?MODULE =:= list_to_atom(?MODULE_STRING)]),
    io:format("~p~n", [lists:prefix("no_module_escript__escript__", ?MODULE_STRING)]),
    io:format("line ~p~n", [?LINE]),
    io:format("~p~n", [twice(21)]).

twice(X) -> 2 * X.
