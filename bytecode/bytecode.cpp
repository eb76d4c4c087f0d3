// bytecode: the opcode table (from opcodes.def), the disassembler and the
// verifier of generic code. Both walk the code with the same decoder: an
// instruction is its opcode word then one word per operand letter, a '*'
// letter being a count followed by that many groups of the letters after it.
#include "bytecode/bytecode.h"

#include <fmt/core.h>

#include <set>
#include <unordered_map>
#include <unordered_set>

namespace bytecode {

namespace {

constexpr OpcodeInfo kInfo[] = {
#define OPCODE(name, operands, doc) {#name, operands, doc},
#include "bytecode/opcodes.def"
#undef OPCODE
};

constexpr uint64_t kMaxX = 1024;

// The name as printed: C++ keywords carry a trailing underscore in the enum.
std::string_view printed_name(Opcode op) {
    std::string_view name = kInfo[static_cast<size_t>(op)].name;
    if (!name.empty() && name.back() == '_') name.remove_suffix(1);
    return name;
}

bool is_reserved(std::string_view s) {
    static const std::set<std::string_view> words = {
        "after", "and",    "andalso", "band", "begin", "bnot", "bor", "bsl",   "bsr", "bxor",
        "case",  "catch",  "cond",    "div",  "end",   "fun",  "if",  "let",   "not", "of",
        "or",    "orelse", "receive", "rem",  "try",   "when", "xor", "maybe", "else"};
    return words.count(s) > 0;
}

std::string quote_atom(std::string_view name) {
    bool plain = !name.empty() && name[0] >= 'a' && name[0] <= 'z' && !is_reserved(name);
    for (char ch : name)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '@'))
            plain = false;
    if (plain) return std::string(name);
    std::string out = "'";
    for (char ch : name) {
        if (ch == '\'' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "'";
}

std::string quote_string(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (static_cast<unsigned char>(ch) < 0x20) {
            out += fmt::format("\\x{{{:X}}}", static_cast<int>(ch));
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

void print_literal(const Literal& lit, std::string& out) {
    switch (lit.kind) {
        case Literal::Kind::Integer:
            out += std::to_string(lit.integer);
            return;
        case Literal::Kind::BigInteger:
            out += lit.text;
            return;
        case Literal::Kind::Float:
            out += fmt::format("{}", lit.number);
            if (out.find_first_of(".en", out.rfind(' ') + 1) == std::string::npos) out += ".0";
            return;
        case Literal::Kind::Atom:
            out += quote_atom(lit.text);
            return;
        case Literal::Kind::Nil:
            out += "[]";
            return;
        case Literal::Kind::String:
            out += quote_string(lit.text);
            return;
        case Literal::Kind::Binary:
            out += "<<" + quote_string(lit.text) + ">>";
            return;
        case Literal::Kind::Tuple:
            out += '{';
            for (size_t i = 0; i < lit.elements.size(); ++i) {
                if (i > 0) out += ',';
                print_literal(lit.elements[i], out);
            }
            out += '}';
            return;
        case Literal::Kind::Map:
            out += "#{";
            for (size_t i = 0; i + 1 < lit.elements.size(); i += 2) {
                if (i > 0) out += ',';
                print_literal(lit.elements[i], out);
                out += " => ";
                print_literal(lit.elements[i + 1], out);
            }
            out += '}';
            return;
        case Literal::Kind::Cons: {
            out += '[';
            const Literal* l = &lit;
            bool first = true;
            while (l->kind == Literal::Kind::Cons && l->elements.size() == 2) {
                if (!first) out += ',';
                first = false;
                print_literal(l->elements[0], out);
                l = &l->elements[1];
            }
            if (l->kind != Literal::Kind::Nil) {
                out += '|';
                print_literal(*l, out);
            }
            out += ']';
            return;
        }
    }
}

// Walks the instructions of `code`, calling visit(pc, op) for each; stops
// (returning an error) at an unknown opcode or a truncated instruction.
template <typename Visit>
std::string walk(const std::vector<uint64_t>& code, Visit visit) {
    size_t pc = 0;
    while (pc < code.size()) {
        if (code[pc] >= opcode_count()) return fmt::format("unknown opcode {} at {}", code[pc], pc);
        auto op = static_cast<Opcode>(code[pc]);
        size_t n = instruction_length(code, pc);
        if (n == 0)
            return fmt::format("truncated {} or a bad operand count at {}", printed_name(op), pc);
        if (std::string err = visit(pc, op, n); !err.empty()) return err;
        pc += n;
    }
    return "";
}

// The letter of each operand word of the instruction at pc ('#' = a count).
std::string operand_letters(const std::vector<uint64_t>& code, size_t pc) {
    std::string_view letters = kInfo[code[pc]].operands;
    size_t star = letters.find('*');
    if (star == std::string_view::npos) return std::string(letters);
    std::string out(letters.substr(0, star));
    out += '#';
    uint64_t count = code[pc + 1 + star];
    for (uint64_t i = 0; i < count; ++i)
        out += letters.substr(star + 1);
    return out;
}

class Printer {
  public:
    explicit Printer(const Module& m) : m_(m) {}

    std::string operand(char letter, uint64_t word) const {
        switch (letter) {
            case 'x':
                return fmt::format("{{x,{}}}", word);
            case 'y':
                return fmt::format("{{y,{}}}", word);
            case 's':
            case 'd':
            case 'k':
                return source(word);
            case 'l':
                return fmt::format("{{f,{}}}", word);
            case 'a':
                return word < m_.atoms.size() ? quote_atom(m_.atoms[word])
                                              : fmt::format("atom#{}", word);
            case 'i':
                return import(word);
            case 'f':
                return lambda(word);
            case 'c':
                return literal(word);
            case 'F':
                return fmt::format("{{fr,{}}}", word);
            default:
                return std::to_string(word);
        }
    }

    std::string source(uint64_t word) const {
        uint64_t v = operand_value(word);
        switch (operand_kind(word)) {
            case OperandKind::X:
                return fmt::format("{{x,{}}}", v);
            case OperandKind::Y:
                return fmt::format("{{y,{}}}", v);
            case OperandKind::Literal:
                return literal(v);
            case OperandKind::Atom:
                return v < m_.atoms.size() ? quote_atom(m_.atoms[v]) : fmt::format("atom#{}", v);
            case OperandKind::Integer:
                return std::to_string(operand_integer(word));
            case OperandKind::Nil:
                return "[]";
        }
        return fmt::format("?{}", word);
    }

    std::string literal(uint64_t i) const {
        if (i >= m_.literals.size()) return fmt::format("literal#{}", i);
        std::string out;
        print_literal(m_.literals[i], out);
        return out;
    }

    std::string import(uint64_t i) const {
        if (i >= m_.imports.size()) return fmt::format("import#{}", i);
        const Import& im = m_.imports[i];
        return fmt::format("{}:{}/{}", atom(im.module), atom(im.function), im.arity);
    }

    std::string lambda(uint64_t i) const {
        if (i >= m_.lambdas.size()) return fmt::format("lambda#{}", i);
        const Lambda& l = m_.lambdas[i];
        return fmt::format("{}/{}", atom(l.function), l.arity);
    }

    std::string atom(uint32_t i) const {
        return i < m_.atoms.size() ? quote_atom(m_.atoms[i]) : "?";
    }

    std::string instruction(const std::vector<uint64_t>& code, size_t pc) const {
        auto op = static_cast<Opcode>(code[pc]);
        std::string letters = operand_letters(code, pc);
        std::string out(printed_name(op));
        size_t star = letters.find('#');
        for (size_t i = 0; i < letters.size(); ++i) {
            if (letters[i] == '#') {
                out += " [";
                continue;
            }
            if (star != std::string::npos && i > star + 1) {
                out += i > star + 1 && (i - star - 1) % group(op) == 0 ? ", " : " ";
            } else {
                out += ' ';
            }
            out += operand(letters[i], code[pc + 1 + i]);
        }
        if (star != std::string::npos) out += " ]";
        return out;
    }

    static size_t group(Opcode op) {
        std::string_view letters = kInfo[static_cast<size_t>(op)].operands;
        return letters.size() - letters.find('*') - 1;
    }

  private:
    const Module& m_;
};

}  // namespace

size_t instruction_length(const std::vector<uint64_t>& code, size_t pc) {
    if (pc >= code.size() || code[pc] >= opcode_count()) return 0;
    std::string_view letters = kInfo[code[pc]].operands;
    size_t star = letters.find('*');
    size_t n = 1 + (star == std::string_view::npos ? letters.size() : star);
    if (star != std::string_view::npos) {
        if (pc + n >= code.size()) return 0;
        uint64_t count = code[pc + n];
        size_t group = letters.size() - star - 1;
        if (count > code.size() || pc + n + 1 + count * group > code.size()) return 0;
        n += 1 + count * group;
    }
    return pc + n > code.size() ? 0 : n;
}

const OpcodeInfo& info(Opcode op) {
    return kInfo[static_cast<size_t>(op)];
}

size_t opcode_count() {
    return std::size(kInfo);
}

std::string disassemble(const Module& module) {
    Printer p(module);
    std::string out =
        fmt::format("module {} (file {})\n", quote_atom(module.name), quote_string(module.file));
    for (const Export& e : module.exports)
        out += fmt::format("export {}/{} {{f,{}}}\n", p.atom(e.function), e.arity, e.label);
    for (const Lambda& l : module.lambdas)
        out += fmt::format("lambda {} {}/{} free {} {{f,{}}} uniq {}\n", l.index,
                           p.atom(l.function), l.arity, l.num_free, l.label, l.uniq);
    std::unordered_map<uint64_t, const Function*> by_info;
    for (const Function& f : module.functions)
        by_info[f.info_label] = &f;
    std::string err = walk(module.code, [&](size_t pc, Opcode op, size_t) -> std::string {
        if (op == Opcode::label) {
            uint64_t l = module.code[pc + 1];
            if (auto it = by_info.find(l); it != by_info.end())
                out +=
                    fmt::format("\nfunction {}/{}:\n", p.atom(it->second->name), it->second->arity);
            out += fmt::format("  label {}:\n", l);
            return "";
        }
        out += "    " + p.instruction(module.code, pc) + "\n";
        return "";
    });
    if (!err.empty()) out += "  !! " + err + "\n";
    return out;
}

namespace {

bool label_may_be_zero(Opcode op) {
    switch (op) {
        case Opcode::bif1:
        case Opcode::bif2:
        case Opcode::gc_bif1:
        case Opcode::gc_bif2:
        case Opcode::gc_bif3:
        case Opcode::put_map_assoc:
        case Opcode::put_map_exact:
        case Opcode::bs_create_bin:
        case Opcode::fconv:
        case Opcode::fadd:
        case Opcode::fsub:
        case Opcode::fmul:
        case Opcode::fdiv:
            return true;
        default:
            return false;
    }
}

class Verifier {
  public:
    explicit Verifier(const Module& m) : m_(m) {}

    std::string run() {
        if (m_.atoms.empty() || m_.atoms[0] != m_.name) return "atom 0 is not the module name";
        std::string err =
            walk(m_.code, [&](size_t pc, Opcode op, size_t) { return collect(pc, op); });
        if (!err.empty()) return err;
        frame_ = 0;
        err = walk(m_.code, [&](size_t pc, Opcode op, size_t) { return check(pc, op); });
        if (!err.empty()) return err;
        return tables();
    }

  private:
    // First pass: label definitions and, per function, the largest frame.
    std::string collect(size_t pc, Opcode op) {
        if (op == Opcode::label) {
            uint64_t l = m_.code[pc + 1];
            if (l == 0) return fmt::format("label 0 defined at {}", pc);
            if (!labels_.emplace(l, pc).second) return fmt::format("label {} defined twice", l);
        }
        return "";
    }

    std::string check(size_t pc, Opcode op) {
        if (op == Opcode::func_info) frame_ = max_frame_after(pc);
        std::string letters = operand_letters(m_.code, pc);
        for (size_t i = 0; i < letters.size(); ++i) {
            uint64_t w = m_.code[pc + 1 + i];
            if (std::string err = check_operand(op, letters[i], w); !err.empty())
                return fmt::format("{} at {}: {}", printed_name(op), pc, err);
        }
        return "";
    }

    // The largest allocate between this func_info and the next.
    uint64_t max_frame_after(size_t start) {
        uint64_t max = 0;
        size_t pc = start;
        walk_from(pc, [&](size_t at, Opcode op) {
            if (op == Opcode::func_info && at != start) return false;
            if (op == Opcode::allocate) max = std::max(max, m_.code[at + 1]);
            return true;
        });
        return max;
    }

    template <typename F>
    void walk_from(size_t pc, F f) {
        while (pc < m_.code.size()) {
            auto op = static_cast<Opcode>(m_.code[pc]);
            if (!f(pc, op)) return;
            std::string letters = operand_letters(m_.code, pc);
            pc += 1 + letters.size();
        }
    }

    std::string check_operand(Opcode op, char letter, uint64_t w) {
        switch (letter) {
            case 'x':
                return w < kMaxX ? "" : fmt::format("X register {} out of range", w);
            case 'y':
                return w < frame_ ? "" : fmt::format("Y slot {} outside the frame ({})", w, frame_);
            case 's':
            case 'd':
                return check_source(w, letter == 'd');
            case 'k':
                if (operand_kind(w) == OperandKind::X || operand_kind(w) == OperandKind::Y)
                    return "a register where a constant belongs";
                return check_source(w, false);
            case 'l':
                if (w == 0) return label_may_be_zero(op) ? "" : "label 0";
                return labels_.count(w) ? "" : fmt::format("undefined label {}", w);
            case 'a':
                return w < m_.atoms.size() ? "" : fmt::format("atom {} out of range", w);
            case 'i':
                return w < m_.imports.size() ? "" : fmt::format("import {} out of range", w);
            case 'f':
                return w < m_.lambdas.size() ? "" : fmt::format("lambda {} out of range", w);
            case 'c':
                return w < literal_count(m_) ? "" : fmt::format("literal {} out of range", w);
            case 'F':
                return w < kFloatRegs ? "" : fmt::format("float register {} out of range", w);
            default:
                return "";
        }
    }

    std::string check_source(uint64_t w, bool dest) {
        uint64_t v = operand_value(w);
        switch (operand_kind(w)) {
            case OperandKind::X:
                return v < kMaxX ? "" : fmt::format("X register {} out of range", v);
            case OperandKind::Y:
                return v < frame_ ? "" : fmt::format("Y slot {} outside the frame ({})", v, frame_);
            case OperandKind::Literal:
                if (dest) return "constant as destination";
                return v < literal_count(m_) ? "" : fmt::format("literal {} out of range", v);
            case OperandKind::Atom:
                if (dest) return "constant as destination";
                return v < m_.atoms.size() ? "" : fmt::format("atom {} out of range", v);
            case OperandKind::Integer:
            case OperandKind::Nil:
                return dest ? "constant as destination" : "";
        }
        return fmt::format("bad operand kind {}", w & 7);
    }

    // Every function starts `label info; [line;] func_info; label entry`.
    std::string tables() {
        for (const Function& f : m_.functions) {
            auto it = labels_.find(f.info_label);
            if (it == labels_.end())
                return fmt::format("function {}: info label undefined", f.name);
            size_t pc = it->second + 2;
            if (pc < m_.code.size() && m_.code[pc] == static_cast<uint64_t>(Opcode::line)) pc += 2;
            if (pc + 4 > m_.code.size() || m_.code[pc] != static_cast<uint64_t>(Opcode::func_info))
                return fmt::format("function {}/{}: no func_info after its info label",
                                   atom(f.name), f.arity);
            if (m_.code[pc + 3] != f.arity)
                return fmt::format("function {}: func_info arity", atom(f.name));
            pc += 4;
            if (pc + 2 > m_.code.size() || m_.code[pc] != static_cast<uint64_t>(Opcode::label) ||
                m_.code[pc + 1] != f.entry_label)
                return fmt::format("function {}/{}: entry label does not follow func_info",
                                   atom(f.name), f.arity);
        }
        std::unordered_set<uint64_t> entries;
        for (const Function& f : m_.functions)
            entries.insert(f.entry_label);
        for (const Export& e : m_.exports)
            if (!entries.count(e.label))
                return fmt::format("export {}/{}: not a function entry", atom(e.function), e.arity);
        for (const Lambda& l : m_.lambdas)
            if (!entries.count(l.label))
                return fmt::format("lambda {}: not a function entry", l.index);
        for (const Import& im : m_.imports)
            if (im.module >= m_.atoms.size() || im.function >= m_.atoms.size())
                return "import atom out of range";
        return "";
    }

    std::string atom(uint32_t i) const { return i < m_.atoms.size() ? m_.atoms[i] : "?"; }

    const Module& m_;
    std::unordered_map<uint64_t, size_t> labels_;
    uint64_t frame_ = 0;
};

}  // namespace

std::string verify(const Module& module) {
    return Verifier(module).run();
}

}  // namespace bytecode
