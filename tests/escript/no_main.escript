#!/usr/bin/env escript
foo() -> ok.
