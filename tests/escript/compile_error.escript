#!/usr/bin/env escript
%% -*- erlang -*-
%%! -pa /nonexistent
main(_) -> X.
