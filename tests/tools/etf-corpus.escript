#!/usr/bin/env escript
%% -*- erlang -*-
%% etf-corpus.escript CONFORMANCE_DIR OUT_DIR
%%
%% Collects the terms of the conformance corpus: every maximal constant
%% expression in the programs' functions (literals, and lists, tuples, maps
%% and binaries of them, as erl_parse:normalise/1 evaluates them) and every
%% line of their expected outputs that reads as a term. For each program
%% NAME it writes OUT_DIR/etfc_NAME.bl, whose terms/0 returns
%% [{Term, OTPBytes, OTPBytesMinor2}] with Erlang/OTP's term_to_binary of
%% each term, and OUT_DIR/etfc_main.bl, which checks every term in beamlite:
%% term_to_binary gives OTP's bytes, and binary_to_term of OTP's bytes and of
%% its own gives the term back. OUT_DIR/expected.txt is what etfc_main
%% prints when everything agrees.
main([Dir, Out]) ->
    Names = lists:sort([filename:basename(F, ".bl")
                        || F <- filelib:wildcard(filename:join(Dir, "*.bl"))]),
    ok = filelib:ensure_dir(filename:join(Out, "x")),
    Counts = [write_module(Dir, Out, Name) || Name <- Names],
    Mods = [{mod_name(N), C} || {N, C} <- lists:zip(Names, Counts)],
    write_main(Out, Mods),
    Expected = [io_lib:format("~s ~w~n", [M, C]) || {M, C} <- Mods],
    Total = lists:sum(Counts),
    ok = file:write_file(filename:join(Out, "expected.txt"),
                         [Expected, io_lib:format("total ~w~n", [Total])]),
    io:format("etf-corpus: ~w terms from ~w programs~n", [Total, length(Names)]);
main(_) ->
    io:format(standard_error, "usage: etf-corpus.escript CONFORMANCE_DIR OUT_DIR~n", []),
    halt(2).

mod_name(Name) -> "etfc_" ++ Name.

write_module(Dir, Out, Name) ->
    Terms = dedup(source_terms(Dir, Name) ++ output_terms(Dir, Name)),
    Mod = mod_name(Name),
    Body = [[io_lib:format("     {~ts,~n      ~w,~n      ~w}", [source_text(T), term_to_binary(T),
                                                          term_to_binary(T, [{minor_version, 2}])]),
             Sep]
            || {T, Sep} <- with_separators(Terms)],
    Text = ["-module(", Mod, ").\n-export([terms/0]).\n\nterms() ->\n    [\n", Body, "    ].\n"],
    ok = file:write_file(filename:join(Out, Mod ++ ".bl"), unicode:characters_to_binary(Text)),
    length(Terms).

%% A term as source text: ~tw, except that a long string is written as a
%% string literal (as its program wrote it), since a list of 100,000
%% integers is a form nested deeper than beamlite's compiler accepts
%% (README, "Differences from Erlang").
source_text(T) ->
    case io_lib:printable_unicode_list(T) andalso length(T) > 1000 of
        true -> io_lib:write_string(T);
        false -> io_lib:format("~tw", [T])
    end.

with_separators([]) -> [];
with_separators(Terms) ->
    N = length(Terms),
    lists:zip(Terms, lists:duplicate(N - 1, ",\n") ++ ["\n"]).

%% Terms in order of first appearance, each once (compared exactly).
dedup(Terms) ->
    {Rev, _} = lists:foldl(fun(T, {Acc, Seen}) ->
                                   case maps:is_key(T, Seen) of
                                       true -> {Acc, Seen};
                                       false -> {[T | Acc], Seen#{T => true}}
                                   end
                           end, {[], #{}}, Terms),
    lists:reverse(Rev).

source_terms(Dir, Name) ->
    File = filename:join(Dir, Name ++ ".bl"),
    case epp:parse_file(File, [{includes, [Dir]}]) of
        {ok, Forms} -> lists:append([constants(Cs) || {function, _, _, _, Cs} <- Forms]);
        _ -> []
    end.

%% Maximal constant subexpressions of an abstract syntax tree.
constants(Node) when is_list(Node) -> lists:append([constants(N) || N <- Node]);
constants(Node) when is_tuple(Node), tuple_size(Node) >= 2 ->
    case constant(Node) of
        {ok, T} -> [T];
        error -> lists:append([constants(E) || E <- tl(tuple_to_list(Node))])
    end;
constants(_) -> [].

constant({Kind, _, _} = Node)
  when Kind =:= integer; Kind =:= float; Kind =:= atom; Kind =:= char; Kind =:= string ->
    {ok, erl_parse:normalise(Node)};
constant({nil, _} = Node) -> {ok, erl_parse:normalise(Node)};
constant({Kind, _, _, _} = Node) when Kind =:= cons; Kind =:= op ->
    normalise(Node);
constant({Kind, _, _} = Node) when Kind =:= tuple; Kind =:= bin; Kind =:= map ->
    normalise(Node);
constant(_) -> error.

normalise(Node) ->
    try {ok, erl_parse:normalise(Node)} catch _:_ -> error end.

%% Terms printed in the expected output: a line, or a line and the
%% indented lines after it (a term ~p broke over several lines), that
%% reads as one term.
output_terms(Dir, Name) ->
    case file:read_file(filename:join(Dir, Name ++ ".out")) of
        {ok, Bin} -> printed_terms(string:split(binary_to_list(Bin), "\n", all));
        _ -> []
    end.

printed_terms([]) -> [];
printed_terms([Line | Rest]) ->
    case first_term(Rest, Line) of
        {T, After} -> [T | printed_terms(After)];
        none -> printed_terms(Rest)
    end.

first_term(Lines, Text) ->
    case Text =/= "" andalso read_term(Text) of
        {ok, T} -> {T, Lines};
        _ ->
            case Lines of
                [[$\s | _] = Next | Rest] -> first_term(Rest, Text ++ "\n" ++ Next);
                _ -> none
            end
    end.

read_term(Text) ->
    case erl_scan:string(Text ++ " .") of
        {ok, Tokens, _} -> erl_parse:parse_term(Tokens);
        _ -> error
    end.

write_main(Out, Mods) ->
    Calls = [io_lib:format("    check(~s, ~s:terms()),~n", [M, M]) || {M, _} <- Mods],
    Text = ["-module(etfc_main).\n-export([main/1]).\n\n",
            "main(_) ->\n", Calls,
            "    io:format(\"total ~w~n\", [get(total)]).\n\n",
            "check(Mod, Terms) ->\n"
            "    N = lists:foldl(fun(Entry, I) -> check_one(Mod, I, Entry), I + 1 end, 0, Terms),\n"
            "    put(total, case get(total) of undefined -> N; T -> T + N end),\n"
            "    io:format(\"~s ~w~n\", [Mod, N]).\n\n"
            "check_one(Mod, I, {Term, Otp, Otp2}) ->\n"
            "    Mine = (catch term_to_binary(Term)),\n"
            "    Mine2 = (catch term_to_binary(Term, [{minor_version, 2}])),\n"
            "    Back = (catch binary_to_term(Otp)),\n"
            "    Back2 = (catch binary_to_term(Otp2)),\n"
            "    MineBack = (catch binary_to_term(Mine)),\n"
            "    report(Mod, I, \"term_to_binary\", Term, Mine =:= Otp, Otp, Mine),\n"
            "    report(Mod, I, \"term_to_binary minor_version 2\", Term, Mine2 =:= Otp2, Otp2, Mine2),\n"
            "    report(Mod, I, \"binary_to_term of OTP's bytes\", Term, Back =:= Term, Term, Back),\n"
            "    report(Mod, I, \"binary_to_term of OTP's minor 2 bytes\", Term, Back2 =:= Term, Term, Back2),\n"
            "    report(Mod, I, \"binary_to_term of its own bytes\", Term, MineBack =:= Term, Term, MineBack).\n\n"
            "report(_, _, _, _, true, _, _) -> ok;\n"
            "report(Mod, I, What, Term, false, Want, Got) ->\n"
            "    io:format(\"MISMATCH ~s term ~w: ~s~n  term ~w~n  want ~w~n  got  ~w~n\",\n"
            "              [Mod, I + 1, What, Term, Want, Got]).\n"],
    ok = file:write_file(filename:join(Out, "etfc_main.bl"), Text).
