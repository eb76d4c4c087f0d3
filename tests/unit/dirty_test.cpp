// dirty: BIFs marked kDirtyIo run on the dirty I/O pool, their process
// handed over and back (vm/dirty.h). Exercised with prim_stdio:read/1 on a
// pipe put in place of standard input.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "tests/unit/program.h"

namespace {

// Standard input is the read end of a pipe while it lives; `write_later`
// writes to it from a thread after a delay, then closes it (eof).
class PipeStdin {
  public:
    PipeStdin() {
        REQUIRE(pipe(ends_) == 0);
        saved_ = dup(0);
        REQUIRE(dup2(ends_[0], 0) == 0);
        close(ends_[0]);
    }
    ~PipeStdin() {
        if (writer_.joinable()) writer_.join();
        dup2(saved_, 0);
        close(saved_);
    }
    void write_later(std::string text, int delay_ms) {
        int fd = ends_[1];
        writer_ = std::thread([fd, text, delay_ms] {
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            ssize_t n = write(fd, text.data(), text.size());
            (void)n;
            close(fd);
        });
    }

  private:
    int ends_[2] = {-1, -1};
    int saved_ = -1;
    std::thread writer_;
};

}  // namespace

TEST_CASE("dirty: a blocked read stops no one on the only scheduler", "[dirty]") {
    PipeStdin in;
    in.write_later("hello", 300);
    // The ticker must finish its ticks while main waits in the read; the
    // message it sends meanwhile waits in main's inbox.
    std::string source =
        "-module(dirty_tick).\n-export([main/1]).\n"
        "main(_) ->\n"
        "    Self = self(),\n"
        "    spawn(fun() -> tick(Self, 5) end),\n"
        "    Data = prim_stdio:read(100),\n"
        "    Ticked = receive {ticked, 5} -> true after 0 -> false end,\n"
        "    case {Data, Ticked, prim_stdio:read(100)} of\n"
        "        {<<\"hello\">>, true, eof} -> ok;\n"
        "        _ -> halt(3)\n"
        "    end.\n"
        "tick(Parent, 0) -> Parent ! {ticked, 5};\n"
        "tick(Parent, N) -> receive after 20 -> tick(Parent, N - 1) end.\n";
    CHECK(test_program::run("dirty_tick", source, sched::Limits{}) == 0);
}

TEST_CASE("dirty: a dirty BIF's error is raised in its caller", "[dirty]") {
    std::string source =
        "-module(dirty_error).\n-export([main/1]).\n"
        "main(_) ->\n"
        "    try prim_stdio:read(0) of\n"
        "        _ -> halt(3)\n"
        "    catch\n"
        "        error:badarg:Trace ->\n"
        "            [{prim_stdio, read, [0], _} | _] = Trace,\n"
        "            ok\n"
        "    end.\n";
    CHECK(test_program::run("dirty_error", source, sched::Limits{}) == 0);
}

TEST_CASE("dirty: many processes in dirty calls at once, on two schedulers", "[dirty]") {
    PipeStdin in;
    in.write_later("", 200);  // eof for every reader
    std::string source =
        "-module(dirty_many).\n-export([main/1]).\n"
        "main(_) ->\n"
        "    Self = self(),\n"
        "    [spawn(fun() -> Self ! {read, prim_stdio:read(10)} end) || _ <- seq(20)],\n"
        "    case [receive {read, R} -> R end || _ <- seq(20)] -- [eof || _ <- seq(20)] of\n"
        "        [] -> ok;\n"
        "        _ -> halt(3)\n"
        "    end.\n"
        "seq(0) -> [];\n"
        "seq(N) -> [N | seq(N - 1)].\n";
    CHECK(test_program::run("dirty_many", source, sched::Limits{}, 2) == 0);
}
