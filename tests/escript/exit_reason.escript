#!/usr/bin/env escript
-module(exit_reason).
-mode(compile).
main(["throw"]) -> throw({oops, 1});
main(["exit"]) -> exit({shutdown, now}).
