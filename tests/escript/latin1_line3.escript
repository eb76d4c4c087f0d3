#!/usr/bin/env escript
%% A comment, then the coding on line 3.
%% -*- coding: latin-1 -*-
main(_) -> io:format("~w~n", ["été"]).
