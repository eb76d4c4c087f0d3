// bytecode: the format of compiled modules, shared by the compiler (which
// emits it), the loader (which turns it into threaded code), the verifier
// and the disassembler (`beamlite dis`). The instruction set itself is in
// opcodes.def; this header is the one place that documents the format.
//
// ---------------------------------------------------------------------------
// Register model (the BEAM's):
//
//   X[0..1023]  argument and temporary registers, per scheduler; a call
//               passes its arguments in X[0..n-1] and a function returns
//               its result in X[0]. X registers do not survive a call.
//   Y[0..n-1]   slots in the current stack frame, for values live across
//               calls. `allocate n live` creates them (as nil); `deallocate`
//               drops them.
//   FR[0..15]   float registers: unboxed doubles for float arithmetic
//               (fconv, fadd, ..., fbox), per process slice. Like the
//               BEAM's, they do not survive a call, a receive or anything
//               else that may switch processes: the compiler boxes first.
//   CP          the continuation pointer: where `return` goes. `call` sets
//               it; `allocate` saves it in the frame and `deallocate`
//               restores it, so a leaf function never touches the stack.
//
// Frame layout on the process stack (which grows down, towards the heap):
//
//        higher addresses
//     +-----------------+
//     | caller's frame  |
//     +-----------------+
//     | saved CP        |  <- E + n  (a code address: primary tag 00)
//     | Y[n-1]          |
//     |  ...            |
//     | Y[0]            |  <- E (the stack pointer after allocate)
//     +-----------------+
//        heap grows up from below
//
// Exceptions: `try y l` / `catch y l` store a catch marker (an immediate,
// see term.h) in Y[y]. On a raise the interpreter walks the stack from E
// upwards to the nearest catch marker, cuts the stack there, and jumps to
// its handler with X[0] = class, X[1] = reason, X[2] = stack trace.
//
// ---------------------------------------------------------------------------
// Generic code (what the compiler emits): a vector of 64-bit words. Each
// instruction is its opcode followed by its operand words, as opcodes.def
// lists them. Labels are numbers defined by `label` instructions; `line`
// instructions carry source lines. Source and destination operands ('s',
// 'd') are encoded as an Operand:
//
//   value << 3 | kind      kind: OperandKind below
//
// so a source can be a register or a constant without a separate
// instruction per combination. All other operand kinds are plain numbers.
//
// Loaded code (what the interpreter runs), built by the loader from generic
// code: each instruction is its handler's address followed by its operands,
// already resolved: labels are code addresses, imports are export-entry
// pointers (or BIF function pointers), atoms and literals are terms, and an
// 's' operand is either a term (a constant: primary tag 01, 10 or 11) or a
// register reference (primary tag 00: index << 3 | is_y << 2), so a handler
// fetches a source with one test and no table lookup.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bytecode {

// Float registers (operand letter 'F'): FR[0..kFloatRegs-1].
constexpr uint32_t kFloatRegs = 16;

enum class Opcode : uint16_t {
#define OPCODE(name, operands, doc) name,
#include "bytecode/opcodes.def"
#undef OPCODE
};

// Bit syntax segments (bs_create_bin and the bs_get_* family, see
// opcodes.def). A segment's flags operand is unit << 3 | the bits below;
// its size operand counts units (bits = size * unit), or is the atom `all`
// for a binary segment that takes the whole value (construction) or the
// rest (matching).
enum class BsType : uint8_t { Integer, Float, Binary, Utf8, Utf16, Utf32 };
constexpr uint64_t kBsLittle = 1;  // little endian (else big)
constexpr uint64_t kBsSigned = 2;
constexpr uint64_t kBsNative = 4;  // native endian: the VM's host order
constexpr uint64_t bs_flags(uint64_t unit, uint64_t bits) {
    return unit << 3 | bits;
}
constexpr uint64_t bs_unit(uint64_t flags) {
    return flags >> 3;
}

struct OpcodeInfo {
    std::string_view name;
    std::string_view operands;  // operand letters, as in opcodes.def
    std::string_view doc;
};

// The table of every opcode's name and operand letters, indexed by Opcode.
const OpcodeInfo& info(Opcode op);
size_t opcode_count();

// The number of words of the instruction at code[pc] (opcode and operands),
// or 0 when it is malformed (unknown opcode, truncated, a bad count).
size_t instruction_length(const std::vector<uint64_t>& code, size_t pc);

// Kinds of 's' and 'd' operands in generic code.
enum class OperandKind : uint8_t {
    X = 0,        // X register, value = index
    Y = 1,        // Y slot, value = index
    Literal = 2,  // value = index in Module::literals
    Atom = 3,     // value = index in Module::atoms
    Integer = 4,  // value = a small integer (two's complement in 61 bits)
    Nil = 5,      // []
};

constexpr uint64_t operand(OperandKind kind, uint64_t value) {
    return value << 3 | static_cast<uint64_t>(kind);
}
constexpr OperandKind operand_kind(uint64_t word) {
    return static_cast<OperandKind>(word & 7);
}
constexpr uint64_t operand_value(uint64_t word) {
    return word >> 3;
}
constexpr int64_t operand_integer(uint64_t word) {
    return static_cast<int64_t>(word) >> 3;
}
constexpr uint64_t x_reg(uint64_t index) {
    return operand(OperandKind::X, index);
}
constexpr uint64_t y_reg(uint64_t index) {
    return operand(OperandKind::Y, index);
}
constexpr uint64_t integer(int64_t value) {
    return static_cast<uint64_t>(value) << 3 | static_cast<uint64_t>(OperandKind::Integer);
}

// A constant term, built by the compiler without a heap. The loader turns
// each into a term in the module's literal area.
struct Literal {
    enum class Kind : uint8_t {
        Integer,
        BigInteger,
        Float,
        Atom,
        Nil,
        Cons,
        Tuple,
        String,
        Binary,
        Map
    };
    Kind kind = Kind::Nil;
    int64_t integer = 0;
    double number = 0.0;
    std::string text;               // BigInteger: decimal digits (with '-'); Atom: name;
                                    // String: characters (UTF-8); Binary: bytes
    std::vector<Literal> elements;  // Cons: head, tail; Tuple: elements;
                                    // Map: key, value, key, value...
};

struct Import {
    uint32_t module;    // atom index
    uint32_t function;  // atom index
    uint32_t arity;
};

struct Export {
    uint32_t function;  // atom index
    uint32_t arity;
    uint32_t label;  // entry label (after func_info)
};

// A fun's code: a local function made by the compiler from a `fun` body
// (the fun's own arguments first, in X[0..arity-1], then the free
// variables in X[arity..arity+num_free-1], as the BEAM and call_fun do).
struct Lambda {
    uint32_t function;  // atom index of the generated function's name
    uint32_t arity;     // the fun's own arity (without free variables)
    uint32_t num_free;
    uint32_t label;  // entry label
    uint32_t index;  // position in this table (for printing #Fun<m.I.U>)
    uint32_t uniq;   // a hash of the lambda's code, as the BEAM's
};

// A function of the module, for the disassembler and stack traces.
struct Function {
    uint32_t name;  // atom index
    uint32_t arity;
    uint32_t entry_label;  // after func_info
    uint32_t info_label;   // the func_info instruction
};

struct Module {
    std::string name;
    std::string file;
    std::vector<std::string> atoms;  // index 0 is the module name
    std::vector<Literal> literals;
    // A module from the library image carries its literals encoded instead
    // (image::LiteralReader; `literals` is then empty): a view of the
    // image, which the binary embeds, so it outlives every module.
    std::string_view encoded_literals;
    uint32_t encoded_literal_count = 0;
    std::vector<Import> imports;
    std::vector<Export> exports;
    std::vector<Lambda> lambdas;
    std::vector<Function> functions;
    std::vector<uint64_t> code;
    // A library image module carries its code encoded instead (varints, read
    // with image::VarintReader; `code` is then empty), also a view of the
    // image: decoding it into `code` would touch fresh pages for a copy the
    // loader reads once.
    std::string_view encoded_code;
    uint64_t encoded_code_words = 0;
};

// How many literals `module` has, as trees or encoded.
inline size_t literal_count(const Module& module) {
    return module.literals.size() + module.encoded_literal_count;
}

// Prints `module` readably (what `beamlite dis` shows).
std::string disassemble(const Module& module);

// Checks generic code: every opcode known, operand counts and kinds right,
// every label defined once and every label operand defined, register and
// slot indices in range, every function starting with func_info. Returns
// "" when sound, else the first problem. Run on every module in Debug builds.
std::string verify(const Module& module);

// Checks the dataflow of code that verify() accepts, per function, as OTP's
// beam_validator does (validate.cpp, with each opcode's register effects in
// semantics.def): every X register read or kept live at a GC point holds a
// value on every path to it (only X0 survives a call; a label has the
// intersection of its paths), Y slots lie in an allocated frame, calls have
// a frame and returns none. Returns "" when sound, else one line per
// problem: module:function/arity at offset (instruction): what is wrong.
std::string validate(const Module& module);

}  // namespace bytecode
