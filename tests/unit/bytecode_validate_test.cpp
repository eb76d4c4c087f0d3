// bytecode::validate, the dataflow check of generic code: hand-built
// functions that must be rejected (a GC point keeping a register no path
// wrote, a read after a call, a join where one path lacks a register, a
// loop whose back edge loses one, frames) or accepted, and every module of
// the library image, which is most of the code the compiler makes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bytecode/bytecode.h"
#include "bytecode/image.h"
#include "driver/library_image.h"

namespace {

using bytecode::Opcode;
using bytecode::x_reg;
using bytecode::y_reg;

uint64_t op(Opcode o) {
    return static_cast<uint64_t>(o);
}

constexpr uint64_t kNil = bytecode::operand(bytecode::OperandKind::Nil, 0);

// A module `m` with one exported function f/arity whose body follows its
// entry label 2 (label 1 is its func_info); labels 10 and up are free.
// Import 0 is erlang:self/0.
bytecode::Module module_of(uint32_t arity, std::vector<uint64_t> body) {
    bytecode::Module m;
    m.name = "m";
    m.atoms = {"m", "f", "erlang", "self"};
    m.imports = {{2, 3, 0}};
    m.functions = {{1, arity, 2, 1}};
    m.exports = {{1, arity, 2}};
    m.code = {op(Opcode::label), 1, op(Opcode::func_info), 0, 1, arity, op(Opcode::label), 2};
    m.code.insert(m.code.end(), body.begin(), body.end());
    return m;
}

// verify() must accept the code (the test is about validate()).
std::string checked(const bytecode::Module& m) {
    std::string structure = bytecode::verify(m);
    INFO(structure);
    REQUIRE(structure.empty());
    return bytecode::validate(m);
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("validate: sound code passes", "[validate]") {
    // f(A) -> [A | A].
    auto m = module_of(1, {op(Opcode::test_heap), 2, 1, op(Opcode::put_list), x_reg(0), x_reg(0),
                           x_reg(0), op(Opcode::return_)});
    CHECK(checked(m) == "");
}

TEST_CASE("validate: a GC point keeping an unwritten register", "[validate]") {
    auto m = module_of(1, {op(Opcode::test_heap), 2, 2, op(Opcode::put_list), x_reg(0), x_reg(1),
                           x_reg(0), op(Opcode::return_)});
    std::string problem = checked(m);
    CHECK(contains(problem, "m:f/1 at 8 (test_heap): GC point with live 2 but x1 is not valid"));
}

TEST_CASE("validate: registers above live are dead after a GC point", "[validate]") {
    auto m = module_of(2, {op(Opcode::test_heap), 2, 1, op(Opcode::put_list), x_reg(0), x_reg(1),
                           x_reg(0), op(Opcode::return_)});
    CHECK(contains(checked(m), "(put_list): reads x1, which is not valid"));
}

TEST_CASE("validate: a gc_bif's registers above live are dead after it", "[validate]") {
    // x2 = bif(x0, x1) with live 1: x1 is a root no more (the arguments go
    // to X[live..] as scratch), so reading it afterwards is wrong.
    std::vector<uint64_t> body = {op(Opcode::gc_bif2),
                                  0,
                                  1,
                                  0,
                                  x_reg(0),
                                  x_reg(1),
                                  x_reg(2),
                                  op(Opcode::move),
                                  x_reg(1),
                                  x_reg(0),
                                  op(Opcode::return_)};
    CHECK(contains(checked(module_of(2, body)), "(move): reads x1, which is not valid"));
    body[2] = 2;
    CHECK(checked(module_of(2, body)) == "");
}

TEST_CASE("validate: bs_create_bin reads its sources after collecting", "[validate]") {
    // <<X1:8>> with live 1: the segment's value is re-read after the GC
    // point, when x1 is not a root and may have moved.
    std::vector<uint64_t> body = {op(Opcode::bs_create_bin),
                                  0,
                                  1,
                                  x_reg(0),
                                  1,
                                  static_cast<uint64_t>(bytecode::BsType::Integer),
                                  bytecode::bs_flags(1, 0),
                                  x_reg(1),
                                  bytecode::integer(8),
                                  op(Opcode::return_)};
    CHECK(contains(checked(module_of(2, body)), "(bs_create_bin): reads x1, which is not valid"));
    body[2] = 2;
    CHECK(checked(module_of(2, body)) == "");
}

TEST_CASE("validate: building takes heap words test_heap reserved", "[validate]") {
    // {A, A, A} needs 4 words; [A | A] then 2 more.
    std::vector<uint64_t> body = {op(Opcode::test_heap),
                                  4,
                                  1,
                                  op(Opcode::put_tuple2),
                                  x_reg(0),
                                  3,
                                  x_reg(0),
                                  x_reg(0),
                                  x_reg(0),
                                  op(Opcode::put_list),
                                  x_reg(0),
                                  x_reg(0),
                                  x_reg(0),
                                  op(Opcode::return_)};
    CHECK(contains(checked(module_of(1, body)), "(put_list): builds 2 heap words, 0 reserved"));
    body[1] = 6;
    CHECK(checked(module_of(1, body)) == "");
    body[1] = 3;
    CHECK(contains(checked(module_of(1, body)), "(put_tuple2): builds 4 heap words, 3 reserved"));
}

TEST_CASE("validate: only X0 survives a call", "[validate]") {
    std::vector<uint64_t> body = {op(Opcode::allocate),   1,        2,
                                  op(Opcode::move),       x_reg(1), y_reg(0),
                                  op(Opcode::call_ext),   0,        0,
                                  op(Opcode::move),       x_reg(1), x_reg(0),
                                  op(Opcode::deallocate), 1,        op(Opcode::return_)};
    auto bad = module_of(2, body);
    CHECK(contains(checked(bad), "at 17 (move): reads x1, which is not valid"));
    body[10] = y_reg(0);  // the value kept in the frame instead
    CHECK(checked(module_of(2, body)) == "");
}

TEST_CASE("validate: a join has the registers of every path", "[validate]") {
    // is_atom x0 else 10; x2 = x1; jump 11; 10: (no x2); 11: test_heap live 3.
    std::vector<uint64_t> body = {op(Opcode::is_atom),
                                  10,
                                  x_reg(0),
                                  op(Opcode::move),
                                  x_reg(1),
                                  x_reg(2),
                                  op(Opcode::jump),
                                  11,
                                  op(Opcode::label),
                                  10,
                                  op(Opcode::label),
                                  11,
                                  op(Opcode::test_heap),
                                  2,
                                  3,
                                  op(Opcode::put_list),
                                  x_reg(2),
                                  x_reg(0),
                                  x_reg(0),
                                  op(Opcode::return_)};
    CHECK(contains(checked(module_of(2, body)), "(test_heap): GC point with live 3 but x2"));
    // Both paths write x2: sound.
    body.insert(body.begin() + 10, {op(Opcode::move), kNil, x_reg(2)});
    CHECK(checked(module_of(2, body)) == "");
}

TEST_CASE("validate: a jump table's targets and a fail label are paths", "[validate]") {
    // select_val x0 else 10, [a -> 11]; 10 and 11 both read x1; 11's path
    // (the table) lost x1 to the GC point before it.
    uint64_t atom_a = bytecode::operand(bytecode::OperandKind::Atom, 1);
    std::vector<uint64_t> body = {op(Opcode::test_heap),
                                  0,
                                  1,
                                  op(Opcode::select_val),
                                  x_reg(0),
                                  10,
                                  1,
                                  atom_a,
                                  11,
                                  op(Opcode::label),
                                  10,
                                  op(Opcode::return_),
                                  op(Opcode::label),
                                  11,
                                  op(Opcode::move),
                                  x_reg(1),
                                  x_reg(0),
                                  op(Opcode::return_)};
    CHECK(contains(checked(module_of(2, body)), "(move): reads x1"));
    body[2] = 2;
    CHECK(checked(module_of(2, body)) == "");
}

TEST_CASE("validate: a loop's back edge is merged (fixpoint)", "[validate]") {
    // 10: is_nil x0 else 11; return x1; 11: x0 = tl x0; test_heap live 1; jump 10
    std::vector<uint64_t> body = {op(Opcode::label),
                                  10,
                                  op(Opcode::is_nil),
                                  11,
                                  x_reg(0),
                                  op(Opcode::move),
                                  x_reg(1),
                                  x_reg(0),
                                  op(Opcode::return_),
                                  op(Opcode::label),
                                  11,
                                  op(Opcode::get_tl),
                                  x_reg(0),
                                  x_reg(0),
                                  op(Opcode::test_heap),
                                  0,
                                  1,
                                  op(Opcode::jump),
                                  10};
    CHECK(contains(checked(module_of(2, body)), "(move): reads x1, which is not valid"));
    body[16] = 2;
    CHECK(checked(module_of(2, body)) == "");
}

TEST_CASE("validate: frames", "[validate]") {
    // A call without a frame loses the function's own continuation.
    CHECK(contains(checked(module_of(0, {op(Opcode::call_ext), 0, 0, op(Opcode::return_)})),
                   "(call_ext): needs a frame and has none"));
    // A return that leaves the frame.
    CHECK(contains(checked(module_of(0, {op(Opcode::allocate), 1, 0, op(Opcode::return_)})),
                   "(return): leaves a frame of 1 allocated"));
    // A Y slot outside the frame, and a deallocation of another size.
    auto m = module_of(1, {op(Opcode::allocate), 1, 1, op(Opcode::move), x_reg(0), y_reg(0),
                           op(Opcode::deallocate), 2, op(Opcode::return_)});
    CHECK(contains(checked(m), "(deallocate): drops a frame of 2 but the frame is 1"));
    // Two paths to a label with different frames: a return there is wrong...
    m = module_of(1, {op(Opcode::is_atom), 10, x_reg(0), op(Opcode::allocate), 0, 1,
                      op(Opcode::label), 10, op(Opcode::return_)});
    CHECK(contains(checked(m), "(return): the paths to here have frames of different sizes"));
    // ... a shared fail block that only raises is not (the raise unwinds any
    // frame), though it may only read the slots every path has.
    std::vector<uint64_t> body = {op(Opcode::allocate),
                                  2,
                                  1,
                                  op(Opcode::move),
                                  x_reg(0),
                                  y_reg(1),
                                  op(Opcode::move),
                                  x_reg(0),
                                  y_reg(0),
                                  op(Opcode::is_atom),
                                  10,
                                  x_reg(0),
                                  op(Opcode::trim),
                                  1,
                                  1,
                                  op(Opcode::is_list),
                                  10,
                                  y_reg(0),
                                  op(Opcode::deallocate),
                                  1,
                                  op(Opcode::return_),
                                  op(Opcode::label),
                                  10,
                                  op(Opcode::badmatch),
                                  y_reg(0)};
    CHECK(checked(module_of(1, body)) == "");
    body[24] = y_reg(1);
    CHECK(contains(checked(module_of(1, body)), "(badmatch): uses y1 outside the frame of 1"));
}

TEST_CASE("validate: a Y slot is read only after a write on every path", "[validate]") {
    // allocate 2; y1 = x0; trim 1 1 (old y1 is y0 now); x0 = y0.
    std::vector<uint64_t> body = {op(Opcode::allocate),   2,        1,
                                  op(Opcode::move),       x_reg(0), y_reg(1),
                                  op(Opcode::trim),       1,        1,
                                  op(Opcode::move),       y_reg(0), x_reg(0),
                                  op(Opcode::deallocate), 1,        op(Opcode::return_)};
    CHECK(checked(module_of(1, body)) == "");
    body[5] = y_reg(0);  // the write goes to the slot trim drops
    CHECK(contains(checked(module_of(1, body)), "(move): reads y0, which no path wrote"));
}

TEST_CASE("validate: an exception handler has X0..X2 and the frame", "[validate]") {
    // try self() of _ -> x0 catch C:R -> R end (X1 after try_case is the reason).
    std::vector<uint64_t> body = {op(Opcode::allocate),
                                  1,
                                  0,
                                  op(Opcode::try_),
                                  0,
                                  10,
                                  op(Opcode::call_ext),
                                  0,
                                  0,
                                  op(Opcode::try_end),
                                  0,
                                  op(Opcode::deallocate),
                                  1,
                                  op(Opcode::return_),
                                  op(Opcode::label),
                                  10,
                                  op(Opcode::try_case),
                                  0,
                                  op(Opcode::move),
                                  x_reg(1),
                                  x_reg(0),
                                  op(Opcode::deallocate),
                                  1,
                                  op(Opcode::return_)};
    CHECK(checked(module_of(0, body)) == "");
    body[19] = x_reg(4);  // the handler is not given X4
    CHECK(contains(checked(module_of(0, body)), "(move): reads x4, which is not valid"));
}

TEST_CASE("validate: a receive's wait keeps no X register", "[validate]") {
    // 10: loop_rec else 11 -> x0; remove_message; return; 11: wait_timeout 10 after x1
    std::vector<uint64_t> body = {op(Opcode::label),
                                  10,
                                  op(Opcode::loop_rec),
                                  11,
                                  x_reg(0),
                                  op(Opcode::remove_message),
                                  op(Opcode::return_),
                                  op(Opcode::label),
                                  11,
                                  op(Opcode::wait_timeout),
                                  10,
                                  x_reg(0),
                                  op(Opcode::timeout),
                                  op(Opcode::move),
                                  kNil,
                                  x_reg(0),
                                  op(Opcode::return_)};
    // The timeout in x0 is read again after the wait, when X is gone.
    CHECK(contains(checked(module_of(1, body)), "(wait_timeout): reads x0, which is not valid"));
    body[11] = bytecode::integer(100);
    CHECK(checked(module_of(1, body)) == "");
}

TEST_CASE("validate: every module of the library image", "[validate]") {
    image::Image library;
    REQUIRE(library.open(library_image::bytes()));
    size_t count = 0;
    for (std::string_view name : library.names()) {
        bytecode::Module m;
        REQUIRE(image::read_module(library.find(name), m).empty());
        if (m.code.empty())
            image::for_each_code_word(m, [&](uint64_t word) { m.code.push_back(word); });
        INFO(name);
        CHECK(bytecode::validate(m) == "");
        ++count;
    }
    CHECK(count > 60);
}
