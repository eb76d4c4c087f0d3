#!/usr/bin/env escript
%% Modes that are not compile, interpret, debug or native: one error each.
-mode([a, {b, 1}, "s", $c, 1.5, 1.0, 2.0e20, 'Q', [x|y]]).
-mode({}).
-mode(-1).
main(_) -> ok.
