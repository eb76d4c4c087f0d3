%% Header that includes another header.
-include("common.hrl").
-define(NESTED_VALUE, {nested, ?ORIGIN}).
