#!/usr/bin/env beamlite
%% Run as ./direct.escript: the kernel starts `beamlite ./direct.escript ARGS`.
main(Args) ->
    io:format("~p ~p~n", [escript:script_name(), Args]),
    halt(7).
