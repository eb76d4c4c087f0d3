// gc_program: the collector's policies seen from whole programs (how often
// processes collect, not what a collection copies: gc_test.cpp has that).
#include <catch2/catch.hpp>

#include <string>

#include "program.h"

TEST_CASE("a server working through a backlog it looked past collects rarely", "[gc]") {
    // 20,000 requests queued at a server before it starts; for each it
    // calls a backend and waits for the reply behind the rest of the
    // backlog, which its first receive looked past (pinned: every
    // collection visits them; the requests have 6 elements, too many to
    // be held in their signal nodes, mailbox::kInlineWords). Each wait
    // once shrank the server's block into a collection: 27,000
    // collections, quadratic in the backlog; now about 1,600.
    std::string source =
        "-module(gc_backlog).\n-export([main/1]).\n"
        "main(_) ->\n"
        "    N = 20000, Self = self(),\n"
        "    {Before, _, _} = statistics(garbage_collection),\n"
        "    Backend = spawn(fun backend/0),\n"
        "    Server = spawn(fun() -> receive go -> Self ! {done, serve(Backend, N, 0)} end end),\n"
        "    queue(Server, N),\n"
        "    Server ! go,\n"
        "    Sum = receive {done, S} -> S end,\n"
        "    Sum = N * (N + 1),\n"
        "    Backend ! stop,\n"
        "    {After, _, _} = statistics(garbage_collection),\n"
        "    case After - Before < N div 10 of true -> ok; false -> halt(3) end.\n"
        "queue(_, 0) -> ok;\n"
        "queue(Server, I) -> Server ! {req, I, a, b, c, d}, queue(Server, I - 1).\n"
        "serve(_, 0, Acc) -> Acc;\n"
        "serve(Backend, Left, Acc) ->\n"
        "    receive {req, I, _, _, _, _} -> serve(Backend, Left - 1, Acc + call(Backend, I)) "
        "end.\n"
        "call(Backend, I) ->\n"
        "    Ref = make_ref(),\n"
        "    Backend ! {Ref, self(), I},\n"
        "    receive {Ref, Reply} -> Reply end.\n"
        "backend() ->\n"
        "    receive {Ref, From, I} -> From ! {Ref, 2 * I}, backend(); stop -> ok end.\n";
    CHECK(test_program::run("gc_backlog", source, sched::Limits{}) == 0);
}
