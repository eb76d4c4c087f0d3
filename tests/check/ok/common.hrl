%% Shared header for the ok corpus (not a module).
-record(point, {x = 0 :: integer(), y = 0 :: integer()}).
-define(ORIGIN, #point{}).
-define(ADD(A, B), #point{x = A#point.x + B#point.x, y = A#point.y + B#point.y}).
-type point() :: #point{}.
-define(COMMON_HRL, true).
