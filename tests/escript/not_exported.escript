#!/usr/bin/env escript
%% -*- coding: utf-8 -*-
%%! -pa .
-module(not_exported).
-export([helper/0]).
-mode(compile).
%% main/1 is not in the -export: escript exports it.
helper() -> "helper".
main(_) ->
    io:format("~ts ~p~n", [helper(), erlang:function_exported(?MODULE, main, 1)]).
