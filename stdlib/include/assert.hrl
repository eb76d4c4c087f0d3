%% assert.hrl: assertion macros for beamlite programs, in the style of
%% EUnit's: each evaluates its test and, when the test fails, raises
%% erlang:error({Kind, [Info...]}). Define NOASSERT to turn them off.
-ifndef(BEAMLITE_ASSERT_HRL).
-define(BEAMLITE_ASSERT_HRL, true).

-ifdef(NOASSERT).
-define(assert(BoolExpr), ok).
-define(assertNot(BoolExpr), ok).
-define(assertMatch(Guard, Expr), ok).
-define(assertNotMatch(Guard, Expr), ok).
-define(assertEqual(Expect, Expr), ok).
-define(assertNotEqual(Unexpected, Expr), ok).
-define(assertException(Class, Term, Expr), ok).
-define(assertError(Term, Expr), ok).
-define(assertExit(Term, Expr), ok).
-define(assertThrow(Term, Expr), ok).
-else.

-define(assert(BoolExpr),
        begin
            ((fun() ->
                  case (BoolExpr) of
                      true -> ok;
                      __BeamliteValue ->
                          erlang:error({assert,
                                        [{module, ?MODULE}, {line, ?LINE},
                                         {expression, (??BoolExpr)},
                                         {expected, true},
                                         case __BeamliteValue of
                                             false -> {value, false};
                                             _ -> {not_boolean, __BeamliteValue}
                                         end]})
                  end
              end)())
        end).

-define(assertNot(BoolExpr), ?assert(not (BoolExpr))).

-define(assertMatch(Guard, Expr),
        begin
            ((fun() ->
                  case (Expr) of
                      Guard -> ok;
                      __BeamliteValue ->
                          erlang:error({assertMatch,
                                        [{module, ?MODULE}, {line, ?LINE},
                                         {expression, (??Expr)},
                                         {pattern, (??Guard)},
                                         {value, __BeamliteValue}]})
                  end
              end)())
        end).

-define(assertNotMatch(Guard, Expr),
        begin
            ((fun() ->
                  __BeamliteValue = (Expr),
                  case __BeamliteValue of
                      Guard ->
                          erlang:error({assertNotMatch,
                                        [{module, ?MODULE}, {line, ?LINE},
                                         {expression, (??Expr)},
                                         {pattern, (??Guard)},
                                         {value, __BeamliteValue}]});
                      _ -> ok
                  end
              end)())
        end).

-define(assertEqual(Expect, Expr),
        begin
            ((fun(__BeamliteExpected) ->
                  case (Expr) of
                      __BeamliteExpected -> ok;
                      __BeamliteValue ->
                          erlang:error({assertEqual,
                                        [{module, ?MODULE}, {line, ?LINE},
                                         {expression, (??Expr)},
                                         {expected, __BeamliteExpected},
                                         {value, __BeamliteValue}]})
                  end
              end)(Expect))
        end).

-define(assertNotEqual(Unexpected, Expr),
        begin
            ((fun(__BeamliteUnexpected) ->
                  case (Expr) of
                      __BeamliteUnexpected ->
                          erlang:error({assertNotEqual,
                                        [{module, ?MODULE}, {line, ?LINE},
                                         {expression, (??Expr)},
                                         {value, __BeamliteUnexpected}]});
                      _ -> ok
                  end
              end)(Unexpected))
        end).

-define(assertException(Class, Term, Expr),
        begin
            ((fun() ->
                  try (Expr) of
                      __BeamliteValue ->
                          erlang:error({assertException,
                                        [{module, ?MODULE}, {line, ?LINE},
                                         {expression, (??Expr)},
                                         {pattern, {Class, Term}},
                                         {unexpected_success, __BeamliteValue}]})
                  catch
                      Class:Term -> ok;
                      __BeamliteClass:__BeamliteTerm ->
                          erlang:error({assertException,
                                        [{module, ?MODULE}, {line, ?LINE},
                                         {expression, (??Expr)},
                                         {pattern, {Class, Term}},
                                         {unexpected_exception,
                                          {__BeamliteClass, __BeamliteTerm}}]})
                  end
              end)())
        end).

-define(assertError(Term, Expr), ?assertException(error, Term, Expr)).
-define(assertExit(Term, Expr), ?assertException(exit, Term, Expr)).
-define(assertThrow(Term, Expr), ?assertException(throw, Term, Expr)).

-endif.
-endif.
