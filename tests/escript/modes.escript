#!/usr/bin/env escript
-mode(native).
-mode(interpret).
-mode(compile).
main(_) -> io:format("modes~n").
