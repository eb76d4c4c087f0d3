#!/usr/bin/env escript
%% -*- erlang -*-
