#!/usr/bin/env escript
%% escript calls main/1 with trap_exit off: trap_exit is false here.
main(_) ->
    io:format("~p~n", [process_flag(trap_exit, false)]),
    Self = self(),
    spawn_link(fun() -> Self ! done end),
    receive done -> ok end,
    io:format("ok~n").
