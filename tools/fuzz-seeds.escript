#!/usr/bin/env escript
%% -*- erlang -*-
%% fuzz-seeds.escript DIR: a seed corpus for fuzz_binary_to_term, written by
%% Erlang/OTP's own term_to_binary (plain, compressed, minor versions 0 and
%% 2) from terms of every kind, including those beamlite rejects (funs,
%% pids and refs of this node as OTP writes them).
%%
%%   tools/fuzz-seeds.escript /tmp/seeds
%%   build/fuzz/tools/fuzz_binary_to_term -max_total_time=600 -max_len=16384 /tmp/corpus /tmp/seeds
main([Dir]) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    F = fun(X) -> X + 1 end,
    Big = maps:from_list([{K, K * 2} || K <- lists:seq(1, 40)]),
    BigA = maps:from_list([{list_to_atom("k" ++ integer_to_list(K)), K} || K <- lists:seq(1, 40)]),
    BigS = maps:from_list([{integer_to_list(K), {K}} || K <- lists:seq(1, 100)]),
    Terms = [0, 1, 255, 256, -1, 1 bsl 27, -(1 bsl 27), 1 bsl 31, 1 bsl 59, 1 bsl 60,
             -(1 bsl 64), 1 bsl 2100, 3.14, -0.0, 1.0e300, atom, '', 'ÿatom', 'héllo',
             list_to_atom([16#65e5, 16#672c]), [], "string", [1, 2 | 3], [a, b, c], {}, {a},
             {a, b, c}, list_to_tuple(lists:seq(1, 300)), <<>>, <<1, 2, 3>>, <<1:3>>,
             <<0:1000>>, #{}, #{a => 1, b => [2], "c" => {3}}, Big, BigA, BigS,
             fun lists:map/2, F, self(), make_ref(), lists:seq(1, 3000),
             [{x, <<"bin">>, 2.5, #{1 => 2}} || _ <- lists:seq(1, 5)],
             {self(), make_ref(), fun() -> ok end}],
    Options = [[], [compressed], [{minor_version, 0}], [{minor_version, 2}], [{compressed, 9}]],
    Bins = [term_to_binary(T, O) || T <- Terms, O <- Options],
    lists:foldl(fun(B, N) ->
                        ok = file:write_file(filename:join(Dir, "seed" ++ integer_to_list(N)), B),
                        N + 1
                end, 0, Bins),
    io:format("~w seeds in ~s~n", [length(Bins), Dir]);
main(_) ->
    io:format(standard_error, "usage: fuzz-seeds.escript DIR~n", []),
    halt(2).
