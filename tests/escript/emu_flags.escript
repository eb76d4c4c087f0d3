#!/usr/bin/env escript
%%! -smp enable -sname emu_flags +A 4 -setcookie secret
%% The flags line is the emulator's; none of these changes what runs.
main(Args) ->
    io:format("~p ~p~n", [length(Args), ?LINE]).
