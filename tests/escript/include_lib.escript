#!/usr/bin/env escript
%% -include_lib and records from a header, as any module.
-include_lib("kernel/include/file.hrl").
main(_) ->
    {ok, Info} = file:read_file_info("include_lib.escript"),
    io:format("~p ~p~n", [Info#file_info.type, is_integer(Info#file_info.size)]).
