#!/usr/bin/env escript
main(_) -> ok
f() -> ).
g() -> Y.
