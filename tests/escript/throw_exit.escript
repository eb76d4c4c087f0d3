#!/usr/bin/env escript
-module(throw_exit).
-mode(compile).
main(["throw"]) -> throw({oops, 1});
main(["exit"]) -> exit({shutdown, now}).
