// peephole: module-wide rewrites of generic code (see peephole.h).
#include "compiler/peephole.h"

#include <string_view>
#include <vector>

namespace peephole {

using bytecode::Opcode;
using bytecode::OperandKind;

namespace {

constexpr size_t kNone = SIZE_MAX;

// The instructions of a module, found once: where each starts, and where
// each label is defined (by label number).
struct Layout {
    std::vector<size_t> starts;        // instruction start offsets, in order
    std::vector<size_t> label_index;   // label -> index in starts, or kNone
    std::vector<uint32_t> references;  // label -> how many operands and tables name it
};

Opcode opcode_at(const std::vector<uint64_t>& code, size_t pc) {
    return static_cast<Opcode>(code[pc]);
}

// Calls visit(offset) for every label operand ('l') of the instruction at pc.
template <typename Visit>
void each_label_operand(const std::vector<uint64_t>& code, size_t pc, Visit visit) {
    std::string_view letters = bytecode::info(opcode_at(code, pc)).operands;
    size_t at = pc + 1;
    for (size_t i = 0; i < letters.size(); ++i) {
        if (letters[i] == '*') {
            uint64_t count = code[at++];
            std::string_view group = letters.substr(i + 1);
            for (uint64_t r = 0; r < count; ++r) {
                for (char letter : group) {
                    if (letter == 'l') visit(at);
                    ++at;
                }
            }
            return;
        }
        if (letters[i] == 'l') visit(at);
        ++at;
    }
}

// False when the code is malformed (then nothing is rewritten: verify()
// and the loader report it).
bool scan(const bytecode::Module& module, Layout& layout) {
    const std::vector<uint64_t>& code = module.code;
    auto count = [&](uint64_t label) {
        if (label >= layout.references.size()) layout.references.resize(label + 1, 0);
        ++layout.references[label];
    };
    for (size_t pc = 0; pc < code.size();) {
        size_t length = bytecode::instruction_length(code, pc);
        if (length == 0) return false;
        if (opcode_at(code, pc) == Opcode::label) {
            uint64_t label = code[pc + 1];
            if (label > code.size()) return false;
            if (label >= layout.label_index.size()) layout.label_index.resize(label + 1, kNone);
            layout.label_index[label] = layout.starts.size();
        }
        each_label_operand(code, pc, [&](size_t at) { count(code[at]); });
        layout.starts.push_back(pc);
        pc += length;
    }
    for (const bytecode::Export& e : module.exports)
        count(e.label);
    for (const bytecode::Lambda& l : module.lambdas)
        count(l.label);
    for (const bytecode::Function& f : module.functions) {
        count(f.entry_label);
        count(f.info_label);
    }
    return true;
}

bool is_constant(uint64_t operand) {
    OperandKind kind = bytecode::operand_kind(operand);
    return kind == OperandKind::Literal || kind == OperandKind::Atom ||
           kind == OperandKind::Integer || kind == OperandKind::Nil;
}

// Instructions after which control never falls through to the next.
bool is_terminator(Opcode op) {
    return op == Opcode::return_ || op == Opcode::jump || op == Opcode::select_val ||
           op == Opcode::select_return || op == Opcode::select_tuple_arity;
}

// The constant that the block of `label` returns, `label L; move C {x,0};
// return`, or kNone.
uint64_t returned_constant(const std::vector<uint64_t>& code, const Layout& layout,
                           uint64_t label) {
    if (label >= layout.label_index.size()) return kNone;
    size_t index = layout.label_index[label];
    if (index == kNone || index + 2 >= layout.starts.size()) return kNone;
    size_t move = layout.starts[index + 1];
    size_t ret = layout.starts[index + 2];
    if (opcode_at(code, move) != Opcode::move || opcode_at(code, ret) != Opcode::return_)
        return kNone;
    if (!is_constant(code[move + 1]) || code[move + 2] != bytecode::x_reg(0)) return kNone;
    return code[move + 1];
}

// Rewrites the select_val at pc into a select_return when every target
// qualifies; the targets lose a reference each.
void rewrite_select(std::vector<uint64_t>& code, Layout& layout, size_t pc) {
    // select_val S Fail N V1 L1 ... VN LN
    uint64_t pairs = code[pc + 3];
    std::vector<uint64_t> constants;
    for (uint64_t i = 0; i < pairs; ++i) {
        uint64_t constant = returned_constant(code, layout, code[pc + 5 + 2 * i]);
        if (constant == kNone) return;
        constants.push_back(constant);
    }
    for (uint64_t i = 0; i < pairs; ++i) {
        --layout.references[code[pc + 5 + 2 * i]];
        code[pc + 5 + 2 * i] = constants[i];
    }
    code[pc] = static_cast<uint64_t>(Opcode::select_return);
}

// The instructions to drop: each block `label L; move; return` that nothing
// names any more and that nothing falls into.
std::vector<bool> dead_blocks(const std::vector<uint64_t>& code, const Layout& layout) {
    std::vector<bool> dead(layout.starts.size(), false);
    for (size_t i = 1; i + 2 < layout.starts.size(); ++i) {
        size_t pc = layout.starts[i];
        if (opcode_at(code, pc) != Opcode::label) continue;
        uint64_t label = code[pc + 1];
        if (label < layout.references.size() && layout.references[label] != 0) continue;
        if (!is_terminator(opcode_at(code, layout.starts[i - 1]))) continue;
        if (returned_constant(code, layout, label) == kNone) continue;
        dead[i] = dead[i + 1] = dead[i + 2] = true;
    }
    return dead;
}

}  // namespace

void run(bytecode::Module& module) {
    Layout layout;
    if (!scan(module, layout)) return;
    std::vector<uint64_t>& code = module.code;
    bool rewritten = false;
    for (size_t pc : layout.starts) {
        if (opcode_at(code, pc) != Opcode::select_val) continue;
        rewrite_select(code, layout, pc);
        rewritten = rewritten || opcode_at(code, pc) == Opcode::select_return;
    }
    if (!rewritten) return;
    std::vector<bool> dead = dead_blocks(code, layout);
    std::vector<uint64_t> kept;
    kept.reserve(code.size());
    for (size_t i = 0; i < layout.starts.size(); ++i) {
        if (dead[i]) continue;
        size_t end = i + 1 < layout.starts.size() ? layout.starts[i + 1] : code.size();
        kept.insert(kept.end(), code.begin() + layout.starts[i], code.begin() + end);
    }
    code = std::move(kept);
}

}  // namespace peephole
