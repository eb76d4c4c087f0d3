%% Includes a header that does not exist.
-include("missing_from_header.hrl").
-define(FROM_NESTED, 1).
