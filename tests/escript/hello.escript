#!/usr/bin/env escript
%% The smallest escript: no -module, no -export.
main(_) ->
    io:format("Hello, world!~n").
