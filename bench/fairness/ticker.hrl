%% A ticker for the fairness demos: a process that asks to wake every
%% ?TICK_MS and records how late each wake-up is, until told to stop;
%% then it answers with the lateness figures (microseconds).
-define(TICK_MS, 2).

start_ticker() ->
    Parent = self(),
    spawn(fun() -> tick(Parent, erlang:monotonic_time(microsecond), 0, 0) end).

%% {Ticks, MaxLateUs}
stop_ticker(Ticker) ->
    Ticker ! stop,
    receive {ticks, Ticks, MaxLate} -> {Ticks, MaxLate} end.

tick(Parent, Last, Ticks, MaxLate) ->
    receive
        stop -> Parent ! {ticks, Ticks, MaxLate}
    after ?TICK_MS ->
        Now = erlang:monotonic_time(microsecond),
        Late = Now - Last - ?TICK_MS * 1000,
        tick(Parent, Now, Ticks + 1, max(MaxLate, Late))
    end.
