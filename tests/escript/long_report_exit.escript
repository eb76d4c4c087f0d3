#!/usr/bin/env escript
-mode(compile).
%% A long exit reason, broken at 80 columns as erl_error breaks it.
main([]) ->
    exit({shutdown, [{reason, lists:seq(1, 30)}, {where, "somewhere over the rainbow"}]}).
