#!/usr/bin/env escript
-mode(compile).
%% A BIF's long arguments under "called as", as erl_error breaks them.
main(_) ->
    T = list_to_tuple(lists:seq(1, 40)),
    element(50, T).
