// loader fusion: the pairs of instructions the loader fuses into one
// handler (vm/interp_ops.def, Loader::fuse_previous) are made for the code
// shapes they are meant for, and the fused code computes what the pairs
// did. A program compiled from source, so that the shapes are the code
// generator's.
#include <catch2/catch.hpp>

#include "program.h"

// main/1 fails unless each result is right.
TEST_CASE("loader: fused pairs are made and run", "[interp][loader]") {
    const char* source =
        "-module(fused_pairs).\n"
        "-export([main/1]).\n"
        "make(0) -> leaf;\n"
        "make(D) -> {make(D - 1), make(D - 1)}.\n"     // allocate_2 + move_xy
        "check({L, R}) -> 1 + check(L) + check(R);\n"  // test_arity + 2 gets
        "check(leaf) -> 0.\n"
        "keep(X) -> _ = id(X), id(X), X.\n"  // allocate_noinit + move_xy, move_yx + call
        "id(X) -> X.\n"
        "len(0) -> 0;\n"                // is_eq_exact_imm_x + move_return_c
        "len(N) -> 1 + len(N - 1).\n"   // sub_int_xx + call
        "pred(N) -> [id(N - 1)].\n"     // sub_int_xx + call, slow paths
        "twice(X) -> id(X) + id(X).\n"  // add_yxx + deallocate_return
        "main(_) ->\n"
        "    7 = check(make(3)),\n"
        "    {a, b} = keep({a, b}),\n"
        "    0 = len(0),\n"
        "    5 = len(5),\n"
        "    [1180591620717411303423] = pred(1 bsl 70),\n"
        "    [1.5] = pred(2.5),\n"
        "    {'EXIT', {badarith, _}} = catch pred(a),\n"
        "    8 = twice(4),\n"
        "    3.0 = twice(1.5),\n"
        "    2361183241434822606848 = twice(1 bsl 70),\n"
        "    {'EXIT', {badarith, _}} = catch twice(b),\n"
        "    ok.\n";
    const code::Module* m = test_program::load("fused_pairs", source);
    auto count = [&](interp::Op op) {
        size_t n = 0;
        for (code::Word w : m->code)
            n += interp::op_at(w) == op;
        return n;
    };
    // make/1, check/1, twice/1: frames of 2 slots
    CHECK(count(interp::op_allocate_2_move_xy) == 3);
    CHECK(count(interp::op_allocate_noinit_move_xy) >= 1);
    CHECK(count(interp::op_test_arity_get_pair_x) == 1);
    CHECK(count(interp::op_move_yx_call) >= 1);
    CHECK(count(interp::op_sub_int_yx_call) == 2);             // make/1
    CHECK(count(interp::op_sub_int_xx_call) == 2);             // len/1, pred/1
    CHECK(count(interp::op_is_eq_exact_imm_x_return_c) == 3);  // make/1, check/1, len/1
    CHECK(count(interp::op_add_yxx_deallocate_return) == 2);   // check/1, twice/1
    CHECK(test_program::run(m, sched::Limits{}) == 0);
}
