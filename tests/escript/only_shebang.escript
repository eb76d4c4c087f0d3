#!/usr/bin/env escript
