// interp, loader, exception: hand-assembled modules run through the loader
// and the interpreter: calls, tail calls, frames, select_val, BIFs,
// exceptions and catch values, GC under stress, deep recursion, reductions
// and resuming.
#include <catch2/catch.hpp>

#include <chrono>
#include <initializer_list>
#include <string>

#include "vm/bif.h"
#include "vm/exception.h"
#include "vm/gc.h"
#include "vm/interp.h"
#include "vm/loader.h"
#include "vm/process.h"

using bytecode::Opcode;
using namespace term;

namespace {

constexpr uint64_t x(uint64_t i) {
    return bytecode::x_reg(i);
}
constexpr uint64_t y(uint64_t i) {
    return bytecode::y_reg(i);
}
constexpr uint64_t lit(int64_t v) {
    return bytecode::integer(v);
}
constexpr uint64_t kNilOperand = bytecode::operand(bytecode::OperandKind::Nil, 0);

// A tiny assembler for generic bytecode.
struct Asm {
    bytecode::Module m;

    explicit Asm(const std::string& name) {
        m.name = name;
        m.file = name + ".bl";
        m.atoms = {name};
    }
    uint32_t atom(const std::string& name) {
        for (size_t i = 0; i < m.atoms.size(); ++i) {
            if (m.atoms[i] == name) return uint32_t(i);
        }
        m.atoms.push_back(name);
        return uint32_t(m.atoms.size() - 1);
    }
    uint64_t atom_operand(const std::string& name) {
        return bytecode::operand(bytecode::OperandKind::Atom, atom(name));
    }
    uint32_t import(const std::string& module, const std::string& function, uint32_t arity) {
        m.imports.push_back({atom(module), atom(function), arity});
        return uint32_t(m.imports.size() - 1);
    }
    void op(Opcode opcode, std::initializer_list<uint64_t> operands = {}) {
        m.code.push_back(uint64_t(opcode));
        m.code.insert(m.code.end(), operands);
    }
    void label(uint32_t l) { op(Opcode::label, {l}); }
    void line(uint32_t n) { op(Opcode::line, {n}); }
    // label info; line; func_info; label entry
    void function(const std::string& name, uint32_t arity, uint32_t info, uint32_t entry,
                  bool exported = true) {
        label(info);
        line(info);
        op(Opcode::func_info, {0, atom(name), arity});
        label(entry);
        m.functions.push_back({atom(name), arity, entry, info});
        if (exported) m.exports.push_back({atom(name), arity, entry});
    }
};

code::Module* load(const Asm& a) {
    std::string error;
    code::Module* m = loader::load(a.m, error);
    INFO(error);
    REQUIRE(m != nullptr);
    return m;
}

struct Run {
    process::Process* p = process::create();
    int slices = 0;
    ~Run() { process::destroy(p); }

    process::Status call(const std::string& module, const std::string& function,
                         std::initializer_list<Term> args, int reductions = 4000) {
        code::Export* e =
            code::export_entry(make_atom(atom::intern(module)), make_atom(atom::intern(function)),
                               uint32_t(args.size()));
        interp::prepare_call(*p, e, args.begin(), uint32_t(args.size()));
        process::Status status;
        do {
            status = interp::run(*p, reductions);
            ++slices;
        } while (status == process::Status::Runnable);
        return status;
    }
    std::string result() { return to_string(process::result(*p)); }
    std::string reason() { return to_string(p->rare->terms[process::kExcReason]); }
};

// fib(N) with a frame, two non-tail calls and gc_bif2 arithmetic.
void assemble_fib(Asm& a) {
    uint32_t minus = a.import("erlang", "-", 2), plus = a.import("erlang", "+", 2);
    a.function("fib", 1, 1, 2);
    a.op(Opcode::is_lt, {3, x(0), lit(2)});
    a.op(Opcode::return_);
    a.label(3);
    a.op(Opcode::allocate, {1, 1});
    a.op(Opcode::gc_bif2, {0, 1, minus, x(0), lit(2), x(1)});
    a.op(Opcode::gc_bif2, {0, 2, minus, x(0), lit(1), x(0)});
    a.op(Opcode::move, {x(1), y(0)});
    a.line(7);
    a.op(Opcode::call, {1, 2});
    a.op(Opcode::move, {y(0), x(1)});
    a.op(Opcode::move, {x(0), y(0)});
    a.op(Opcode::move, {x(1), x(0)});
    a.op(Opcode::call, {1, 2});
    a.op(Opcode::gc_bif2, {0, 1, plus, x(0), y(0), x(0)});
    a.op(Opcode::deallocate, {1});
    a.op(Opcode::return_);
}

}  // namespace

TEST_CASE("interp: fib with frames and non-tail calls", "[interp]") {
    Asm a("t_fib");
    assemble_fib(a);
    load(a);
    Run r;
    REQUIRE(r.call("t_fib", "fib", {make_small(20)}) == process::Status::Done);
    CHECK(r.result() == "6765");
    CHECK(r.slices > 1);  // 20k calls: several slices of 4000 reductions
}

TEST_CASE("interp: resuming after every reduction gives the same answer", "[interp]") {
    Asm a("t_fib_resume");
    assemble_fib(a);
    load(a);
    Run r;
    REQUIRE(r.call("t_fib_resume", "fib", {make_small(15)}, 1) == process::Status::Done);
    CHECK(r.result() == "610");
    CHECK(r.slices > 1000);
}

TEST_CASE("interp: tail-recursive loop and select_val", "[interp]") {
    // count(0, Acc) -> Acc; count(N, Acc) -> count(N - 1, Acc + 1).
    // kind(X) -> case X of 1 -> one; two -> 2; _ -> other end.
    Asm a("t_loop");
    uint32_t minus = a.import("erlang", "-", 2), plus = a.import("erlang", "+", 2);
    a.function("count", 2, 1, 2);
    a.op(Opcode::is_eq_exact, {3, x(0), lit(0)});
    a.op(Opcode::move, {x(1), x(0)});
    a.op(Opcode::return_);
    a.label(3);
    a.op(Opcode::gc_bif2, {0, 2, minus, x(0), lit(1), x(0)});
    a.op(Opcode::gc_bif2, {0, 2, plus, x(1), lit(1), x(1)});
    a.op(Opcode::call_only, {2, 2});
    a.function("kind", 1, 4, 5);
    a.op(Opcode::select_val, {x(0), 8, 2, lit(1), 6, a.atom_operand("two"), 7});
    a.label(6);
    a.op(Opcode::move, {a.atom_operand("one"), x(0)});
    a.op(Opcode::return_);
    a.label(7);
    a.op(Opcode::move, {lit(2), x(0)});
    a.op(Opcode::return_);
    a.label(8);
    a.op(Opcode::move, {a.atom_operand("other"), x(0)});
    a.op(Opcode::return_);
    load(a);
    Run r;
    REQUIRE(r.call("t_loop", "count", {make_small(1000000), make_small(0)}) ==
            process::Status::Done);
    CHECK(r.result() == "1000000");
    REQUIRE(r.call("t_loop", "kind", {make_small(1)}) == process::Status::Done);
    CHECK(r.result() == "one");
    REQUIRE(r.call("t_loop", "kind", {make_atom(atom::intern("two"))}) == process::Status::Done);
    CHECK(r.result() == "2");
    REQUIRE(r.call("t_loop", "kind", {make_small(7)}) == process::Status::Done);
    CHECK(r.result() == "other");
}

namespace {

// build(N) -> [N, N-1, ..., 1] with put_list under test_heap; len(L) non-tail.
void assemble_lists(Asm& a) {
    uint32_t minus = a.import("erlang", "-", 2), plus = a.import("erlang", "+", 2);
    a.function("build", 1, 1, 2);
    a.op(Opcode::move, {kNilOperand, x(1)});
    a.op(Opcode::call_only, {2, 4});
    a.function("build", 2, 3, 4, false);  // build(0, Acc) -> Acc; build(N, Acc)
    a.op(Opcode::is_eq_exact, {5, x(0), lit(0)});
    a.op(Opcode::move, {x(1), x(0)});
    a.op(Opcode::return_);
    a.label(5);
    a.op(Opcode::test_heap, {5, 2});
    a.op(Opcode::put_tuple2, {x(2), 2, x(0), a.atom_operand("item")});
    a.op(Opcode::put_list, {x(2), x(1), x(1)});
    a.op(Opcode::gc_bif2, {0, 2, minus, x(0), lit(1), x(0)});
    a.op(Opcode::call_only, {2, 4});
    a.function("len", 1, 6, 7);  // len([]) -> 0; len([_|T]) -> 1 + len(T)
    a.op(Opcode::is_nonempty_list, {8, x(0)});
    a.op(Opcode::allocate, {0, 1});
    a.op(Opcode::get_tl, {x(0), x(0)});
    a.op(Opcode::call, {1, 7});
    a.op(Opcode::gc_bif2, {0, 1, plus, x(0), lit(1), x(0)});
    a.op(Opcode::deallocate, {0});
    a.op(Opcode::return_);
    a.label(8);
    a.op(Opcode::move, {lit(0), x(0)});
    a.op(Opcode::return_);
}

}  // namespace

TEST_CASE("interp: building lists with the GC in stress mode", "[interp][gc]") {
    Asm a("t_lists");
    assemble_lists(a);
    load(a);
    Run r;
    gc::stress = true;
    process::Status status = r.call("t_lists", "build", {make_small(300)});
    gc::stress = false;
    REQUIRE(status == process::Status::Done);
    std::string result = r.result();
    INFO(result.substr(0, 200));
    CHECK(result.rfind("[{1,item},{2,item},", 0) == 0);
    CHECK(result.size() > 300 * 9);
    CHECK(gc::verify(r.p->heap, process::roots(*r.p)) == "");
}

TEST_CASE("interp: non-tail recursion a million deep", "[interp]") {
    Asm a("t_deep");
    assemble_lists(a);
    a.m.name = "t_deep";
    load(a);
    Run r;
    REQUIRE(r.call("t_deep", "build", {make_small(1000000)}) == process::Status::Done);
    Term list = process::result(*r.p);
    REQUIRE(r.call("t_deep", "len", {list}) == process::Status::Done);
    CHECK(r.result() == "1000000");
}

namespace {

// catcher(F) -> catch F(); thrower(Kind) raises by kind.
void assemble_exceptions(Asm& a) {
    uint32_t plus = a.import("erlang", "+", 2), element = a.import("erlang", "element", 2);
    uint32_t throw_ = a.import("erlang", "throw", 1), exit_ = a.import("erlang", "exit", 1);
    a.function("catcher", 1, 1, 2);  // catch thrower(X)
    a.op(Opcode::allocate, {1, 1});
    a.op(Opcode::catch_, {0, 3});
    a.line(10);
    a.op(Opcode::call, {1, 5});
    a.label(3);
    a.op(Opcode::catch_end, {0});
    a.op(Opcode::deallocate, {1});
    a.op(Opcode::return_);
    a.function("thrower", 1, 4, 5);
    a.op(Opcode::select_val, {x(0), 6, 4, a.atom_operand("arith"), 7, a.atom_operand("throw"), 8,
                              a.atom_operand("exit"), 9, a.atom_operand("badarg"), 10});
    a.label(6);
    a.op(Opcode::case_end, {x(0)});
    a.label(7);
    a.line(20);
    a.op(Opcode::gc_bif2, {0, 1, plus, x(0), lit(1), x(0)});
    a.op(Opcode::return_);
    a.label(8);
    a.op(Opcode::call_ext_only, {1, throw_});
    a.label(9);
    a.op(Opcode::call_ext_only, {1, exit_});
    a.label(10);
    a.op(Opcode::move, {a.atom_operand("x"), x(1)});
    a.op(Opcode::move, {lit(5), x(0)});
    a.line(30);
    a.op(Opcode::call_ext_only, {2, element});
    // try_thrower(X) -> try thrower(X) of V -> {ok, V} catch C:R -> {C, R} end
    a.function("try_thrower", 1, 11, 12);
    a.op(Opcode::allocate, {1, 1});
    a.op(Opcode::try_, {0, 13});
    a.op(Opcode::call, {1, 5});
    a.op(Opcode::try_end, {0});
    a.op(Opcode::test_heap, {3, 1});
    a.op(Opcode::put_tuple2, {x(0), 2, a.atom_operand("ok"), x(0)});
    a.op(Opcode::deallocate, {1});
    a.op(Opcode::return_);
    a.label(13);
    a.op(Opcode::try_case, {0});
    a.op(Opcode::test_heap, {3, 2});
    a.op(Opcode::put_tuple2, {x(0), 2, x(0), x(1)});
    a.op(Opcode::deallocate, {1});
    a.op(Opcode::return_);
}

}  // namespace

TEST_CASE("interp: catch values and try/catch", "[interp][exception]") {
    Asm a("t_exc");
    assemble_exceptions(a);
    load(a);
    Run r;
    auto catcher = [&](const char* kind) {
        REQUIRE(r.call("t_exc", "catcher", {make_atom(atom::intern(kind))}) ==
                process::Status::Done);
        return r.result();
    };
    CHECK(catcher("throw") == "throw");
    CHECK(catcher("exit") == "{'EXIT',exit}");
    // erlang:'+'/2 has no frame of its own (OTP 25): the trace starts at thrower/1.
    CHECK(catcher("arith").rfind("{'EXIT',{badarith,[{t_exc,thrower,1,", 0) == 0);
    CHECK(catcher("other").rfind("{'EXIT',{{case_clause,other},[{t_exc,thrower,1,", 0) == 0);
    std::string badarg = catcher("badarg");
    INFO(badarg);
    CHECK(badarg.rfind("{'EXIT',{badarg,[{erlang,element,[5,x],", 0) == 0);
    // ~w prints the file name as a list of codes.
    CHECK(badarg.find("{t_exc,catcher,1,[{file,[116,95,101,120,99,46,98,108]},{line,10}]}") !=
          std::string::npos);
    REQUIRE(r.call("t_exc", "try_thrower", {make_atom(atom::intern("throw"))}) ==
            process::Status::Done);
    CHECK(r.result() == "{throw,throw}");
    REQUIRE(r.call("t_exc", "try_thrower", {make_atom(atom::intern("exit"))}) ==
            process::Status::Done);
    CHECK(r.result() == "{exit,exit}");
    REQUIRE(r.call("t_exc", "try_thrower", {make_atom(atom::intern("arith"))}) ==
            process::Status::Done);
    CHECK(r.result() == "{error,badarith}");
}

TEST_CASE("interp: uncaught errors and the report", "[interp][exception]") {
    Asm a("t_uncaught");
    assemble_exceptions(a);
    a.m.name = "t_uncaught";
    a.m.file = "t_uncaught.bl";
    a.m.atoms[0] = "t_uncaught";
    load(a);
    Run r;
    REQUIRE(r.call("t_uncaught", "thrower", {make_atom(atom::intern("badarg"))}) ==
            process::Status::Failed);
    CHECK(r.reason() == "badarg");
    CHECK(exception::report(*r.p) ==
          "beamlite: exception error: bad argument\n"
          "  in function  element/2\n"
          "     called as element(5,x)\n"
          "     *** argument 2: not a tuple\n"
          "  in call from t_uncaught:thrower/1 (t_uncaught.bl, line 30)\n");
    REQUIRE(r.call("t_uncaught", "thrower", {make_small(3)}) == process::Status::Failed);
    CHECK(exception::report(*r.p) ==
          "beamlite: exception error: no case clause matching 3\n"
          "  in function  t_uncaught:thrower/1 (t_uncaught.bl, line 4)\n");
    REQUIRE(r.call("t_uncaught", "thrower", {make_atom(atom::intern("throw"))}) ==
            process::Status::Failed);
    CHECK(exception::report(*r.p).rfind("beamlite: exception throw: throw\n", 0) == 0);
    REQUIRE(r.call("t_uncaught", "nosuch", {}) == process::Status::Failed);
    CHECK(r.reason() == "undef");
    CHECK(exception::report(*r.p) ==
          "beamlite: exception error: undefined function t_uncaught:nosuch/0\n");
    REQUIRE(r.call("t_uncaught", "thrower", {}) == process::Status::Failed);
}

TEST_CASE("interp: function_clause carries the arguments", "[interp][exception]") {
    Asm a("t_fc");
    a.function("only_a", 1, 1, 2);
    a.op(Opcode::is_eq_exact, {1, x(0), a.atom_operand("a")});
    a.op(Opcode::return_);
    load(a);
    Run r;
    REQUIRE(r.call("t_fc", "only_a", {make_small(7)}) == process::Status::Failed);
    CHECK(r.reason() == "function_clause");
    CHECK(exception::report(*r.p) ==
          "beamlite: exception error: no function clause matching t_fc:only_a(7) "
          "(t_fc.bl, line 1)\n");
}

TEST_CASE("bif: arithmetic overflows into bignums", "[bif]") {
    process::Process* p = process::create();
    Term args[2] = {make_small(kSmallMax), make_small(1)};
    p->xregs = args;
    p->live = 2;
    Term sum = bif::impl::plus(*p, args);
    CHECK(to_string(sum) == "576460752303423488");
    args[0] = sum;
    args[1] = sum;
    Term product = bif::impl::times(*p, args);
    CHECK(to_string(product) == "332306998946228968225951765070086144");
    args[0] = product;
    args[1] = make_small(576460752303423488 / 2);
    CHECK(to_string(bif::impl::int_div(*p, args)) == "1152921504606846976");
    args[0] = make_small(1);
    args[1] = make_small(0);
    CHECK(bif::impl::int_div(*p, args) == kNone);
    p->xregs = nullptr;
    process::destroy(p);
}

// Not run by default: `unit_tests "[.bench]"` times fib(30) on hand-made code.
TEST_CASE("interp: fib(30) benchmark", "[.bench]") {
    Asm a("t_fib_bench");
    assemble_fib(a);
    load(a);
    Run r;
    auto start = std::chrono::steady_clock::now();
    REQUIRE(r.call("t_fib_bench", "fib", {make_small(30)}) == process::Status::Done);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    CHECK(r.result() == "832040");
    WARN("fib(30): " << ms << " ms");
}
