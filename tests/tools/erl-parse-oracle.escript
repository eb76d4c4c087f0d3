#!/usr/bin/env escript
%% erl-parse-oracle: what Erlang/OTP's own preprocessor, scanner and parser
%% make of a file, in a line format that the hidden unit test
%% "[.oracle]" (tests/unit/parser_test.cpp) replays through beamlite's
%% parser and compares.
%%
%% For each form:
%%   FORM
%%   T Category Line Column Value   (one per token; Value hex UTF-8 for
%%                                   names and strings, decimal for numbers)
%%   RESULT ok | RESULT error Line:Column: Message
%%   POS tag@Line:Column ...       (annotated nodes of a function, sorted)
%%
%% Usage: escript erl-parse-oracle.escript FILE.erl > FILE.oracle
-mode(compile).

main([File]) ->
    {ok, Forms, _} = epp:scan_file(File, [{location, {1, 1}}]),
    [form(F) || F <- Forms, is_list(F)],
    ok.

form(Tokens) ->
    io:format("FORM~n"),
    [token(T) || T <- Tokens],
    case erl_parse:parse_form(Tokens) of
        {ok, Form} ->
            io:format("RESULT ok~n"),
            io:format("POS~ts~n", [[[" ", P] || P <- lists:sort(positions(Form))]]);
        {error, {{L, C}, M, Msg}} ->
            io:format("RESULT error ~w:~w: ~ts~n", [L, C, M:format_error(Msg)])
    end.

token({Cat, Anno, V}) ->
    {L, C} = erl_anno:location(Anno),
    io:format("T ~w ~w ~w ~ts~n", [Cat, L, C, value(Cat, V)]);
token({Cat, Anno}) ->
    {L, C} = erl_anno:location(Anno),
    io:format("T ~w ~w ~w -~n", [Cat, L, C]).

value(integer, V) -> integer_to_list(V);
value(char, V) -> integer_to_list(V);
value(float, V) -> float_to_list(V, [short]);
value(atom, V) -> hex(atom_to_list(V));
value(var, V) -> hex(atom_to_list(V));
value(string, V) -> hex(V).

hex("") -> "-";
hex(S) -> [io_lib:format("~2.16.0b", [B]) || B <- binary_to_list(unicode:characters_to_binary(S))].

-define(TAGS, [match, call, remote, op, record, record_field, record_index, map,
               map_field_assoc, map_field_exact, cons, lc, bc, generate, b_generate,
               'fun', named_fun, 'case', 'if', 'receive', 'try', 'catch', block, clause,
               bin, bin_element, string, integer, float, char]).

positions({function, _, _, _, _} = F) -> walk(F, []);
positions(_) -> [].

walk(T, Acc) when is_tuple(T), tuple_size(T) >= 2 ->
    case {element(1, T), element(2, T)} of
        {Tag, {L, C}} when is_atom(Tag), is_integer(L), is_integer(C) ->
            Acc1 = case lists:member(Tag, ?TAGS) of
                       true -> [io_lib:format("~w@~w:~w", [Tag, L, C]) | Acc];
                       false -> Acc
                   end,
            lists:foldl(fun walk/2, Acc1, tl(tl(tuple_to_list(T))));
        _ ->
            lists:foldl(fun walk/2, Acc, tl(tuple_to_list(T)))
    end;
walk(L, Acc) when is_list(L) -> lists:foldl(fun walk/2, Acc, L);
walk(_, Acc) -> Acc.
