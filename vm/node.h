// node: what the running node was started with, for the BIFs that report
// it (init's arguments, erlang:system_info/1, statistics(wall_clock)): the
// program's plain arguments, the flags in the form init:get_arguments/0
// gives them, the dirty thread counts and the moment the node started.
//
// The driver fills a Config before any process runs (set_config); the
// BIFs read it after, from any scheduler, without locks: it never changes
// once processes run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace node {

struct Config {
    // The program's arguments after the file (init:get_plain_arguments/0).
    std::vector<std::string> plain_arguments;
    // -Flag Value... pairs as init:get_arguments/0 lists them: the flag's
    // name without its dash, and its values, in command-line order.
    std::vector<std::pair<std::string, std::vector<std::string>>> flags;
    unsigned dirty_cpu_schedulers = 0;  // 0: as many as schedulers
    unsigned dirty_io_schedulers = 10;
    // The program is an escript: plain_arguments start with its path (as
    // escript's), and an exception out of main/1 is reported as escript
    // reports it, with exit status kEscriptFailure.
    bool escript = false;
};

// escript's exit status for a failed script (an uncaught exception in
// main/1, a compile error).
inline constexpr int kEscriptFailure = 127;

void set_config(Config config);
const Config& config();

// The monotonic clock (timer::now_ns) when the node started: the first
// call of any function here, which the driver makes before processes run.
int64_t start_ns();

}  // namespace node
