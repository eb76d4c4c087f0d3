#!/usr/bin/env escript
-mode(fast).
main(_) -> io:format("not run~n").
