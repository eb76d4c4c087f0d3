#!/usr/bin/env escript
%% A comment and a body.
main(_) -> io:format("ok~n").