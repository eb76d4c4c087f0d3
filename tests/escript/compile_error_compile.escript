#!/usr/bin/env escript
-mode(compile).
main(_) -> X.
unused() -> ok.
