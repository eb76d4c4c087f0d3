// sched::Limits, the bounds the program fuzzer (tools/fuzz_program.cpp)
// runs programs under: programs compiled from source, run to their end by
// sched::run on one scheduler, twice in one process.
#include <catch2/catch.hpp>

#include <string>

#include "tests/unit/program.h"
#include "vm/timer.h"

namespace {

int run_program(const std::string& name, const std::string& source, sched::Limits limits) {
    return test_program::run(name, source, limits);
}

}  // namespace

TEST_CASE("limits: the reduction limit ends processes that never end", "[sched]") {
    sched::Limits limits;
    limits.reductions = 100'000;
    std::string source =
        "-module(limits_forever).\n-export([main/1]).\n"
        "main(_) -> [spawn(fun loop/0) || _ <- [1, 2, 3]], loop().\n"
        "loop() -> loop().\n";
    CHECK(run_program("limits_forever", source, limits) == sched::kReductionLimitExit);
    // Nothing of that run is left to run in the next.
    std::string quick = "-module(limits_quick).\n-export([main/1]).\nmain(_) -> ok.\n";
    CHECK(run_program("limits_quick", quick, limits) == 0);
}

TEST_CASE("limits: bignum work counts against the reductions", "[sched]") {
    // Each 3 * X of a 15,625-limb X is charged by its size (about 244
    // reductions), not one: a loop of ever bigger bignums (3 * N + 2,
    // which the fuzzer found running for minutes under its limit) uses up
    // its slices and the reduction limit.
    std::string source =
        "-module(limits_bignum).\n-export([main/1]).\n"
        "main(_) ->\n"
        "    X = 1 bsl 1000000,\n"
        "    {reductions, R0} = process_info(self(), reductions),\n"
        "    times(X, 100),\n"
        "    {reductions, R1} = process_info(self(), reductions),\n"
        "    case R1 - R0 > 10000 of true -> ok; false -> halt(3) end.\n"
        "times(_, 0) -> ok;\n"
        "times(X, K) -> _ = id(3 * X), times(X, K - 1).\n"
        "id(X) -> X.\n";
    CHECK(run_program("limits_bignum", source, sched::Limits{}) == 0);
}

TEST_CASE("limits: virtual time jumps to the next timer", "[sched]") {
    // A day of timeouts, sleeps and timers: without virtual time this would
    // wait for a day (ctest's timeout fails it).
    sched::Limits limits;
    limits.virtual_time = true;
    std::string source =
        "-module(limits_day).\n-export([main/1]).\n"
        "main(_) ->\n"
        "    T0 = erlang:monotonic_time(millisecond),\n"
        "    erlang:send_after(43200000, self(), half),\n"
        "    receive half -> ok end,\n"
        "    receive after 43200000 -> ok end,\n"
        "    case erlang:monotonic_time(millisecond) - T0 >= 86400000 of\n"
        "        true -> ok;\n"
        "        false -> halt(3)\n"
        "    end.\n";
    int64_t before = timer::now_ms();
    CHECK(run_program("limits_day", source, limits) == 0);
    CHECK(timer::now_ms() - before >= 86'400'000);
}
