// codegen_internal: the structures shared by the code generator's files.
//
// Compiler  one per module: the atom/import/literal/label tables of the
//           output, module facts (records, local functions, imports), the
//           queue of functions to compile (source functions, then lambdas
//           and comprehension helpers as they are discovered), and the
//           lowering caches (synthesised AST lives in its own arena).
// Scope     one per clause: what the scan (codegen_scan.cpp) learnt about
//           its variables: live range in evaluation order, whether the
//           range crosses a point where X registers are lost (then the
//           variable lives in a Y slot), which calls are tail calls.
// FnGen     one per function being emitted: the register state (which X
//           registers hold live values, where each variable is) and every
//           emitting routine (codegen_expr.cpp, codegen_control.cpp,
//           codegen_match.cpp, codegen_regs.cpp).
//
// Register invariants (the BEAM's):
// - X registers do not survive a call, a receive wait or an exception; a
//   value needed after one is in a Y slot of the frame.
// - At an instruction that may garbage-collect, every X register below its
//   `live` operand holds a valid term of the process (State::valid).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bytecode/bytecode.h"
#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/fun_names.h"

namespace codegen {

using ast::Kind;
using ast::Node;
using bytecode::Opcode;
using Word = uint64_t;

constexpr uint32_t kMaxX = 1024;
constexpr Word kNone = ~Word(0);           // no operand / unbound variable
constexpr Word kFrameSize = ~Word(0) - 1;  // placeholder: the clause's frame size

inline bool is_x(Word op) {
    return op != kNone && bytecode::operand_kind(op) == bytecode::OperandKind::X;
}
inline bool is_y(Word op) {
    return op != kNone && bytecode::operand_kind(op) == bytecode::OperandKind::Y;
}
inline bool is_reg(Word op) {
    return is_x(op) || is_y(op);
}
inline uint32_t reg_index(Word op) {
    return static_cast<uint32_t>(bytecode::operand_value(op));
}

// A set of X register numbers.
struct RegSet {
    std::array<uint64_t, kMaxX / 64> bits{};

    bool has(uint32_t r) const { return bits[r / 64] >> (r % 64) & 1; }
    void add(uint32_t r) { bits[r / 64] |= uint64_t(1) << (r % 64); }
    void remove(uint32_t r) { bits[r / 64] &= ~(uint64_t(1) << (r % 64)); }
    void clear() { bits.fill(0); }
    uint32_t lowest_free() const {
        for (uint32_t i = 0; i < bits.size(); ++i)
            if (~bits[i]) return i * 64 + std::countr_one(bits[i]);
        return kMaxX;
    }
    // One past the highest member (0 when empty).
    uint32_t end() const {
        for (uint32_t i = bits.size(); i-- > 0;)
            if (bits[i]) return i * 64 + 64 - std::countl_zero(bits[i]);
        return 0;
    }
    void intersect(const RegSet& other) {
        for (size_t i = 0; i < bits.size(); ++i)
            bits[i] &= other.bits[i];
    }
};

// An expression's value: an operand word (register or constant). `temp`:
// an X register the consumer owns and must release.
struct Value {
    Word op = kNone;
    bool temp = false;
};

struct Span {
    uint32_t start = 0;
    uint32_t end = 0;
};

struct VarInfo {
    std::string_view name;
    uint32_t first_def = UINT32_MAX;
    uint32_t last_use = 0;
    uint32_t uses = 0;
    const Node* last_use_node = nullptr;
    bool needs_y = false;
    int32_t y_slot = -1;
};

// What the scan learnt about one clause (function, lambda or case clauses
// nested in it share the clause's scope: Erlang variables are per clause).
struct Scope {
    std::vector<VarInfo> vars;
    std::unordered_map<std::string_view, uint32_t> ids;
    std::vector<uint32_t> clobbers;               // positions, ascending
    std::unordered_map<const Node*, Span> spans;  // case/if/receive/try
    std::unordered_set<const Node*> clobbering;   // subtrees that lose X registers
    std::unordered_set<const Node*> tail_calls;
    uint32_t y_vars = 0;  // static Y slots (variables)
    bool needs_frame = false;

    int32_t id(std::string_view name) const {
        auto it = ids.find(name);
        return it == ids.end() ? -1 : static_cast<int32_t>(it->second);
    }
};

struct RecordInfo {
    std::vector<std::string_view> fields;
    std::vector<const Node*> defaults;  // null: undefined
    int32_t index(std::string_view field) const {
        for (size_t i = 0; i < fields.size(); ++i)
            if (fields[i] == field) return static_cast<int32_t>(i);
        return -1;
    }
};

// A function to emit: a source function, a lambda (its clauses are the
// fun's; the free variables arrive after the fun's own arguments) or a
// comprehension helper (synthesised clauses).
struct FunctionJob {
    std::string name;
    uint32_t arity = 0;  // registers at entry: own arguments + free variables
    std::vector<const Node*> clauses;
    std::vector<std::string_view> free;  // lambda: bound to X[arity - free.size() + i]
    std::string_view self;               // named fun: its name variable
    int32_t lambda = -1;                 // lambdas table index
    uint32_t info_label = 0;
    uint32_t entry_label = 0;
    std::string file;
};

// How a call is compiled.
enum class CallKind : uint8_t {
    Local,      // call label
    Remote,     // call_ext import
    Bif,        // bif0/1/2 (a guard BIF; fail label in guards)
    GcBif,      // gc_bif1/2/3
    IsRecord,   // is_record(X, r) / is_record(X, r, N): is_tagged_tuple
    DynRemote,  // M:F(...) with non-literal M or F: apply
    Fun,        // F(...): call_fun
    FloatBif,   // math:sqrt/1: fsqrt in a float expression, else gc_bif1; never a call
};

struct CallTarget {
    CallKind kind = CallKind::Fun;
    std::string_view module;
    std::string_view name;
    uint32_t arity = 0;
};

inline bool clobbers(CallKind kind) {
    return kind == CallKind::Local || kind == CallKind::Remote || kind == CallKind::DynRemote ||
           kind == CallKind::Fun;
}

// The lowered form of a fun expression.
struct FunLowering {
    uint32_t lambda = 0;
    std::vector<std::string_view> free;
};

class Compiler {
  public:
    Compiler(const ast::Module& module, diag::Reporter& reporter);
    bytecode::Module run();

    // ---- output tables
    uint32_t atom(std::string_view name);
    uint32_t import(std::string_view module, std::string_view name, uint32_t arity);
    uint32_t literal(const bytecode::Literal& lit);
    uint32_t new_label() { return next_label_++; }
    uint32_t next_label() const { return next_label_; }  // the one new_label() makes next
    Word atom_op(std::string_view name) {
        return bytecode::operand(bytecode::OperandKind::Atom, atom(name));
    }
    Word literal_op(const bytecode::Literal& lit);  // the cheapest operand for a constant
    bytecode::Module& out() { return out_; }

    // ---- module facts
    const RecordInfo* record(std::string_view name) const;
    const FunctionJob* local(std::string_view name, uint32_t arity) const;
    CallTarget classify_call(const Node* call) const;
    std::string_view module_name() const { return module_.name; }

    // ---- constants: the literal a constant expression denotes, if it is one
    const bytecode::Literal* constant(const Node* node);

    // ---- lowering (memoised per node, so that scan and emission agree)
    const Node* lower_record(const Node* node, bool pattern);  // Record -> Tuple
    const Node* lower_comprehension(const Node* lc, const std::vector<std::string_view>& bound,
                                    const std::string& parent);
    const FunLowering& lower_fun(const Node* fun, const std::vector<std::string_view>& bound,
                                 const std::string& parent);
    uint32_t local_fun_lambda(const Node* ref);

    // ---- synthesised AST
    Node* synth(Kind kind, const Node* at, std::initializer_list<const Node*> kids = {});
    Node* synth_kids(Kind kind, const Node* at, const std::vector<const Node*>& kids);
    Node* synth_atom(std::string_view name, const Node* at);
    Node* synth_var(std::string_view name, const Node* at);

    void error(const Node* at, std::string message);
    diag::Reporter& reporter() { return reporter_; }
    const std::string& file() const { return module_.file; }

    std::deque<FunctionJob>& jobs() { return jobs_; }

    // ---- match-context reuse (codegen_bits.cpp, bitsyntax.h in the VM)
    // Tail segments `Rest/binary` fetched as the match context itself
    // (bs_get_tail), the Rest arguments committed before their call
    // (bs_commit_tail), and the constant binary patterns matched with a
    // context because a context may arrive there.
    bool is_context_tail(const Node* var) const { return context_tails_.count(var) != 0; }
    bool is_context_arg(const Node* var) const { return context_args_.count(var) != 0; }
    uint32_t lc_counter = 0;  // names comprehension helpers and their variables
    // OTP's number for a fun or generator node, or null (a synthesized one).
    const fun_names::Number* fun_number(const Node* node) const {
        auto it = fun_numbers_.find(node);
        return it == fun_numbers_.end() ? nullptr : &it->second;
    }

  private:
    uint32_t add_job(FunctionJob job);
    std::optional<bytecode::Literal> constant_binary(const Node* n);
    std::optional<bytecode::Literal> constant_list(const Node* n);
    std::optional<bytecode::Literal> record_info(const Node* call);
    void collect_forms();
    void number_funs();
    // -compile({inline, ...}) (codegen_inline.cpp).
    void collect_inline(const Node* compile_option);
    void inline_calls();
    const Node* inlined(const Node* n);
    const Node* expand(const Node* call);
    const Node* renamed(const Node* n, const std::string& suffix);
    static void copy_fields(const Node* from, Node* to);
    void inherit_number(const Node* original, const Node* copy);
    void add_module_info();
    void plan_context_reuse();
    bool takes_context(const FunctionJob& job, size_t arg) const;
    std::string fresh_name(std::string_view prefix);

    const ast::Module& module_;
    diag::Reporter& reporter_;
    bytecode::Module out_;
    uint32_t next_label_ = 1;
    std::unordered_map<std::string, uint32_t> atoms_;
    std::map<std::tuple<uint32_t, uint32_t, uint32_t>, uint32_t> imports_;
    std::unordered_map<std::string, uint32_t> literals_;
    std::unordered_map<std::string_view, RecordInfo> records_;
    std::map<std::pair<std::string, uint32_t>, size_t> locals_;  // -> jobs_ index
    std::map<std::pair<std::string_view, uint32_t>, std::string_view> imported_;
    std::deque<FunctionJob> jobs_;
    std::unordered_map<const Node*, const bytecode::Literal*> constants_;  // null: not constant
    std::deque<bytecode::Literal> constant_pool_;
    std::unordered_map<const Node*, const Node*> lowered_;
    std::unordered_set<const Node*> context_tails_, context_args_, context_patterns_;
    std::unordered_map<const Node*, FunLowering> funs_;
    // OTP's numbers for funs and comprehension generators (fun_names.h).
    std::unordered_map<const Node*, fun_names::Number> fun_numbers_;
    std::set<std::pair<std::string, uint32_t>> inline_names_;
    std::map<std::pair<std::string, uint32_t>, const Node*> inline_forms_;
    uint32_t inline_counter_ = 0;
    std::map<std::pair<std::string, uint32_t>, uint32_t> local_fun_lambdas_;
    std::vector<std::pair<size_t, const Node*>> pending_fun_refs_;
    ast::Arena arena_;
    uint32_t name_counter_ = 0;
    bool export_all_ = false;
    std::vector<std::pair<std::string_view, uint32_t>> exports_;
};

// Scans one clause (see codegen_scan.cpp). `prebound`: names bound at entry
// (a lambda's free variables and its own name).
void scan_clause(Compiler& compiler, const Node* clause,
                 const std::vector<std::string_view>& prebound, const std::string& parent,
                 Scope& scope);

// True for an expression allowed in a guard (for comprehension filters).
bool is_guard_expr(const Compiler& compiler, const Node* e);

// The register state at one point of the emitted code.
struct State {
    RegSet used;            // X registers holding values still needed
    RegSet valid;           // X registers holding a term of this process
    std::vector<Word> loc;  // per variable of the current scope; kNone = unbound
    // While matching: X registers holding parts taken out of a matched
    // value, each with the first label made after it (codegen_match.cpp,
    // drop_part); emptied before a matched row's guard and body.
    std::map<uint32_t, uint32_t> parts;
};

// One row of a pattern-matching matrix: a clause's remaining patterns (one
// per column; null = matches anything) and the variables it binds.
struct Row {
    std::vector<const Node*> pats;
    std::vector<std::pair<const Node*, Word>> binds;  // Var node, where its value is
    const Node* clause = nullptr;
    const Scope* scope = nullptr;  // the scope its variables belong to
    uint32_t index = 0;            // clause number
};

// A matching problem: rows over columns, jumping to `fail` when no row
// matches.
struct Matrix {
    std::vector<Row> rows;
    std::vector<Word> cols;
    uint32_t fail = 0;
};

// What to do when a row has matched every column: bind, guard, body.
class Leaf {
  public:
    virtual ~Leaf() = default;
    virtual void run(Row& row, uint32_t fail) = 0;
};

// Where the branches of a case (if, receive, try) meet.
struct Join {
    uint32_t label = 0;
    Word result = kNone;
    std::vector<std::pair<uint32_t, Word>> exported;  // variable id, home
    State state;
    // The X registers valid at the end of every branch that has reached
    // the join so far (end_branch): a register of `state` that some branch
    // clobbered (a call in it) is neither valid nor used after the join.
    RegSet arrived_valid;
    bool arrived = false;
};

class FnGen {
  public:
    FnGen(Compiler& compiler, size_t job);
    void compile();

  private:
    friend class FuncLeaf;
    friend class CaseLeaf;
    friend class ContinueLeaf;

    // ---- emission (codegen_regs.cpp)
    void emit(Opcode op, std::initializer_list<Word> args);
    void emit_vec(Opcode op, const std::vector<Word>& args);
    uint32_t new_label() { return c_.new_label(); }
    void place(uint32_t label);
    void line_at(const Node* node);
    Word frame_word();  // the frame size operand, patched at the clause end
    Word atom_op(std::string_view name) { return c_.atom_op(name); }
    Word import_op(std::string_view m, std::string_view f, uint32_t a) {
        return c_.import(m, f, a);
    }

    // ---- registers (codegen_regs.cpp)
    uint32_t alloc_x();
    Value temp_x();
    void release(Value v);
    void release_reg(Word op);
    uint32_t live();  // X registers to keep at a GC point; fills holes
    void after_gc(uint32_t live);
    void after_call();
    uint32_t alloc_y_temp();
    void free_y_temp(uint32_t slot);
    // Catch markers take the top slots of the frame, the innermost lowest,
    // because a raise takes the first marker it meets walking up the stack
    // from E (Y[0]). A marker is known by its nesting depth until then.
    uint32_t alloc_marker();
    void emit_marker(Opcode op, uint32_t depth, std::initializer_list<Word> rest);
    void free_marker();
    void patch_frame();
    void parallel_move(std::vector<std::pair<Word, Word>> moves);
    Value to_reg(Value v);  // a constant into a fresh X register
    void move_into(Value v, Word dst);
    void bind_var(uint32_t id, Word where, bool owned);
    bool var_in_other(uint32_t id, Word where) const;
    Word var_loc(std::string_view name);

    // ---- expressions (codegen_expr.cpp)
    Value expr(const Node* e);
    void tail(const Node* e);
    void ret(Value v);
    Value body(const Node* b, bool is_tail);
    Value var_value(const Node* v);
    std::vector<Value> operands(const std::vector<const Node*>& kids);
    Value construct(const Node* e);
    Value call(const Node* e, bool is_tail);
    Value bif_call(Opcode op, const Node* at, std::string_view name,
                   const std::vector<const Node*>& args);
    Value binary_op(const Node* e, bool is_tail);
    Value unary_op(const Node* e);
    Value make_fun(const Node* e);
    Value fun_ref(const Node* e, bool is_tail);
    Value map_expr(const Node* e);
    Value map_update(const Node* e);
    Value record_access(const Node* e);
    Value record_update(const Node* e);
    Value is_record_value(const Node* e);
    Value raise_error(const Node* at, Value reason, bool is_tail);
    // The label of a block raising `op` (badmatch, case_end...) with the
    // line of `at`, shared by the failures of one function that agree.
    uint32_t fail_block(Opcode op, Word operand, const Node* at);
    uint32_t fail_or_guard(Opcode op, Word operand, const Node* at);
    Value error_tuple(std::string_view tag, Value v, const Node* at);

    // ---- float expressions (codegen_float.cpp)
    struct FloatOperand {
        uint32_t fr = UINT32_MAX;        // computed into this float register
        Value term;                      // or evaluated to this term
        const Node* deferred = nullptr;  // or a variable or constant, read at the op
    };
    void find_float_vars();
    bool is_float_type(const Node* e);
    bool is_float_node(const Node* e);
    uint32_t float_need(const Node* e);
    bool float_root(const Node* e);
    Value float_expr(const Node* e);
    uint32_t float_node(const Node* e);
    FloatOperand float_prepare(const Node* e);
    uint32_t float_materialize(FloatOperand& o);
    bool spec_tree(const Node* e, uint32_t& ops);
    bool spec_root(const Node* e);
    Value float_spec(const Node* e);
    uint32_t spec_node(const Node* e, uint32_t generic);

    // ---- control (codegen_control.cpp)
    Value case_expr(const Node* e, bool is_tail);
    Value if_expr(const Node* e, bool is_tail);
    Value receive_expr(const Node* e, bool is_tail);
    Value try_expr(const Node* e, bool is_tail);
    Value catch_expr(const Node* e);
    Value match_expr(const Node* e);
    Value andalso_expr(const Node* e, bool is_tail);
    Value bool_from_test(const Node* e);
    Join make_join(const Node* span_node, Value consumed);
    void end_branch(Join& join, Value result);
    void enter_join(Join& join);
    void clauses_with_join(const Node* span_node, std::vector<Row>& rows, std::vector<Word>& cols,
                           uint32_t fail, bool is_tail, Value consumed, bool receive,
                           Value* result);

    // ---- patterns and guards (codegen_match.cpp)
    // match() loops where it would recurse in tail position: each step
    // below returns the matrix its last branch continues with (nullopt when
    // it ended there), so the C stack grows per branch point with later
    // siblings (at most one per row), never per pattern element.
    void match(std::vector<Row> rows, std::vector<Word> cols, uint32_t fail, Leaf& leaf);
    void finish(std::optional<Matrix> m, Leaf& leaf);
    void drop_empty_columns(std::vector<Row>& rows, std::vector<Word>& cols, uint32_t fail);
    void drop_part(Word op, const std::vector<Row>& rows, const std::vector<Word>& cols,
                   uint32_t fail);
    void normalize(std::vector<Row>& rows, std::vector<Word>& cols, size_t row);
    const Node* append_pattern(const Node* p);
    std::vector<const Node*> sub_patterns(const Node* p);
    bool pattern_needed(const Node* p, const Scope* scope) const;
    std::optional<Matrix> dispatch(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                   uint32_t fail, Leaf& leaf);
    std::optional<Matrix> select_values(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                        uint32_t next, uint32_t fail, Leaf& leaf);
    std::optional<Matrix> select_tuples(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                        uint32_t next, uint32_t fail, Leaf& leaf);
    std::optional<Matrix> take_apart(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                     uint32_t fail, Leaf& leaf, bool skip_first = false);
    std::optional<Matrix> map_pattern(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                      uint32_t next, uint32_t fail, Leaf& leaf);
    bool bind_row(Row& row, uint32_t fail);

    // ---- the bit syntax (codegen_bits.cpp)
    Value binary_expr(const Node* e);
    Value pattern_size(const Row& row, const Node* size, uint32_t fail);
    std::optional<Matrix> bin_pattern(std::vector<Row> rows, std::vector<Word> cols, size_t col,
                                      uint32_t next, uint32_t fail, Leaf& leaf);
    void guard(const Node* g, uint32_t fail);
    void test(const Node* e, uint32_t fail);
    void compare(Opcode test, bool swap, const Node* e, uint32_t fail);
    bool test_call(const Node* e, uint32_t fail, bool negate);

    Compiler& c_;
    size_t job_;
    bool out_of_x_ = false;  // reported already
    std::string job_name_;
    uint32_t job_arity_ = 0;
    bytecode::Module& out_;
    State st_;
    Scope* scope_ = nullptr;
    std::vector<Scope> scopes_;
    bool frame_ = false;         // a frame is allocated on this path
    bool shadow_heads_ = false;  // binding a fun head: names shadow
    uint32_t guard_fail_ = 0;    // in a guard: where a failing BIF jumps
    // Per clause (as scopes_): its variables bound once, to a float
    // expression (codegen_float.cpp).
    std::vector<std::unordered_set<std::string_view>> float_vars_;
    uint32_t fr_top_ = 0;   // the float registers below are in use
    bool no_spec_ = false;  // compiling the generic half of a speculative expression
    uint32_t last_line_ = 0;
    std::vector<size_t> frame_patches_;
    std::vector<bool> y_temps_;  // in use, above the static slots
    uint32_t frame_size_ = 0;    // static slots and temporaries
    uint32_t marker_depth_ = 0;
    uint32_t max_markers_ = 0;
    std::vector<std::pair<size_t, uint32_t>> marker_patches_;  // code position, depth
    struct FailBlock {
        uint32_t label;
        Opcode op;
        Word operand;
        uint32_t line;  // for the stack trace: the failing construct's line
    };
    std::map<std::tuple<uint16_t, Word, uint32_t>, uint32_t> fail_blocks_;
    std::vector<FailBlock> pending_fails_;
    std::optional<State> continue_state_;  // set by a Match leaf

    // ---- the make_ref receive optimisation (codegen_control.cpp)
    // For each `Ref = make_ref()` of body `b` followed in `b` by a receive
    // whose every clause pattern uses Ref: (index of the match, label).
    std::vector<std::pair<size_t, uint32_t>> ref_receives(const Node* b);
    std::map<const Node*, uint32_t> recv_labels_;  // such a receive -> its label
};

}  // namespace codegen
