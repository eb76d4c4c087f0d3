// loader: generic bytecode -> loaded threaded code (see loader.h).
#include "vm/loader.h"

#include <gmp.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "bytecode/image.h"
#include "vm/bif.h"
#include "vm/interp.h"
#include "vm/map.h"

namespace loader {

using bytecode::Opcode;
using bytecode::OperandKind;
using code::Word;
using interp::Op;
using term::Term;

namespace {

const std::string_view kOperandLetters[] = {
#define OPCODE(name, operands, doc) operands,
#include "bytecode/opcodes.def"
#undef OPCODE
};
constexpr size_t kGenericOpcodes = sizeof kOperandLetters / sizeof kOperandLetters[0];

// A module naming an atom the table has no room for: OTP's loader would end
// the node; this one refuses the module and the VM goes on.
constexpr const char* kAtomTableFull = "the atom table is full (system_limit)";

// ---- literals --------------------------------------------------------------------

// Builds literal terms in the literal area, from the compiler's trees or
// from the library image's encoded nodes. Lists are built along their
// tails by a loop, so a long list literal does not recurse deeply.
class LiteralBuilder {
  public:
    LiteralBuilder(std::string& error, atom::Owner owner) : error_(error), owner_(owner) {}
    ~LiteralBuilder() { give_back_batch(); }
    LiteralBuilder(const LiteralBuilder&) = delete;
    LiteralBuilder& operator=(const LiteralBuilder&) = delete;

    // The next literal of an encoded stream (image.h); nesting deeper than
    // any compiler output is malformed, so hostile bytes cannot recurse
    // off the C stack.
    Term build(image::LiteralReader& in, int depth = 0) {
        using Kind = bytecode::Literal::Kind;
        image::LiteralReader::Node node;
        if (depth > kMaxLiteralDepth || !in.next(node)) return fail("malformed literal");
        switch (node.kind) {
            case Kind::Integer:
                return integer(node.integer);
            case Kind::BigInteger:
                return big_integer(node.text);
            case Kind::Float:
                return number(node.number);
            case Kind::Atom:
                return intern_atom(node.text);
            case Kind::Nil:
                return term::kNil;
            case Kind::String:
                return string(node.text);
            case Kind::Binary:
                return binary(node.text);
            case Kind::Cons: {
                size_t base = built_.size();
                for (uint64_t i = 0; i < node.count; ++i)
                    built_.push_back(build(in, depth + 1));
                Term tail = build(in, depth + 1);
                Term list = cons(std::span<const Term>(built_).subspan(base), tail);
                built_.resize(base);
                return list;
            }
            case Kind::Tuple: {
                size_t base = built_.size();
                for (uint64_t i = 0; i < node.count; ++i)
                    built_.push_back(build(in, depth + 1));
                Term tuple_term = tuple(std::span<const Term>(built_).subspan(base));
                built_.resize(base);
                return tuple_term;
            }
            case Kind::Map: {
                std::vector<map::Entry> entries(node.count);
                for (map::Entry& entry : entries) {
                    entry.key = build(in, depth + 1);
                    entry.value = build(in, depth + 1);
                }
                return map(entries);
            }
        }
        return fail("unknown literal kind");
    }

    Term build(const bytecode::Literal& literal) {
        using Kind = bytecode::Literal::Kind;
        switch (literal.kind) {
            case Kind::Integer:
                return integer(literal.integer);
            case Kind::BigInteger:
                return big_integer(literal.text);
            case Kind::Float:
                return number(literal.number);
            case Kind::Atom:
                return intern_atom(literal.text);
            case Kind::Nil:
                return term::kNil;
            case Kind::Cons:
                return cons(literal);
            case Kind::Tuple:
                return tuple(literal);
            case Kind::String:
                return string(literal.text);
            case Kind::Binary:
                return binary(literal.text);
            case Kind::Map:
                return map(literal);
        }
        return fail("unknown literal kind");
    }

    // An integer: immediate when small, else built in the literal area.
    Term integer(int64_t value) {
        if (term::fits_small(value)) return term::make_small(value);
        Term* mem = alloc(term::integer_words(value));
        return mem ? term::make_integer(mem, value) : term::kNil;
    }

  private:
    Term fail(const char* message) {
        if (error_.empty()) error_ = message;
        return term::kNil;
    }

    static constexpr int kMaxLiteralDepth = 10000;

    // A full atom table fails the load cleanly (the caller reports it).
    Term intern_atom(std::string_view text) {
        uint32_t index = atom::intern(text, owner_);
        if (index == atom::kNoAtom) return fail(kAtomTableFull);
        return term::make_atom(index);
    }

    // Small literals come from a batch of the literal area (its lock once
    // per batch, not per term); the batch's unused tail goes back at the
    // end of the load (the destructor).
    Term* alloc(size_t words) {
        if (words > kBatchWords / 8) return checked(heap::literal_alloc(words));
        if (size_t(batch_end_ - batch_next_) < words) {
            give_back_batch();
            batch_next_ = checked(heap::literal_alloc(kBatchWords));
            if (!batch_next_) return nullptr;
            batch_end_ = batch_next_ + kBatchWords;
        }
        Term* mem = batch_next_;
        batch_next_ += words;
        return mem;
    }

    Term* checked(Term* mem) {
        if (!mem) fail("literal area full");
        return mem;
    }

    void give_back_batch() {
        if (batch_next_ != batch_end_)
            heap::literal_give_back(batch_end_, batch_end_ - batch_next_);
        batch_next_ = batch_end_ = nullptr;
    }

    // The elements built so far of the lists and tuples being built, as a
    // stack shared by every level (no allocation per compound literal).
    std::vector<Term> built_;

    static constexpr size_t kBatchWords = 1024;
    Term* batch_next_ = nullptr;
    Term* batch_end_ = nullptr;

    Term big_integer(std::string_view text) {
        std::string digits(text);
        mpz_t z;
        if (mpz_init_set_str(z, digits.c_str(), 10) != 0) {
            mpz_clear(z);
            return fail("bad big integer literal");
        }
        size_t n = mpz_size(z);
        Term result = term::make_small(0);
        if (n > 0) {
            Term* mem = alloc(term::bignum_words(n));
            if (mem) {
                result = term::make_bignum(
                    mem, mpz_sgn(z) < 0, reinterpret_cast<const term::Limb*>(mpz_limbs_read(z)), n);
            }
        }
        mpz_clear(z);
        return result;
    }

    Term number(double value) {
        Term* mem = alloc(term::kFloatWords);
        return mem ? term::make_float(mem, value) : term::kNil;
    }

    // [H | T]: each cell's head is built recursively, the tail by the loop.
    Term cons(const bytecode::Literal& literal) {
        std::vector<Term> heads;
        const bytecode::Literal* at = &literal;
        while (at->kind == bytecode::Literal::Kind::Cons && at->elements.size() == 2) {
            heads.push_back(build(at->elements[0]));
            at = &at->elements[1];
        }
        return cons(heads, build(*at));
    }

    Term cons(std::span<const Term> heads, Term tail) {
        Term* mem = alloc(heads.size() * term::kConsWords);
        if (!mem) return term::kNil;
        Term list = tail;
        for (size_t i = heads.size(); i-- > 0;)
            list = term::make_cons(mem + 2 * i, heads[i], list);
        return list;
    }

    Term tuple(const bytecode::Literal& literal) {
        std::vector<Term> elements;
        for (const bytecode::Literal& element : literal.elements)
            elements.push_back(build(element));
        return tuple(elements);
    }

    Term tuple(std::span<const Term> elements) {
        Term* mem = alloc(term::tuple_words(elements.size()));
        if (!mem) return term::kNil;
        Term t = term::make_tuple(mem, elements.size());
        for (size_t i = 0; i < elements.size(); ++i)
            mem[1 + i] = elements[i];
        return t;
    }

    // A string literal is the list of its characters' code points.
    Term string(std::string_view utf8) {
        std::vector<uint32_t> chars;
        for (size_t i = 0; i < utf8.size();)
            chars.push_back(decode_utf8(utf8, i));
        Term* mem = alloc(chars.size() * term::kConsWords);
        if (!mem && !chars.empty()) return term::kNil;
        Term list = term::kNil;
        for (size_t i = chars.size(); i-- > 0;)
            list = term::make_cons(mem + 2 * i, term::make_small(chars[i]), list);
        return list;
    }

    static uint32_t decode_utf8(std::string_view s, size_t& i) {
        unsigned char c = static_cast<unsigned char>(s[i++]);
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        uint32_t code = extra ? c & (0x3F >> extra) : c;
        for (; extra > 0 && i < s.size(); --extra)
            code = code << 6 | (static_cast<unsigned char>(s[i++]) & 0x3F);
        return code;
    }

    Term binary(std::string_view bytes) {
        if (bytes.size() <= term::kMaxHeapBinBytes) {
            Term* mem = alloc(term::heap_bin_words(bytes.size()));
            return mem ? term::make_heap_bin(mem, bytes.data(), bytes.size()) : term::kNil;
        }
        Term* mem = alloc(term::kRefcBinWords);
        if (!mem) return term::kNil;
        term::Binary* b = term::binary_new(bytes.size());
        if (!b) return fail("out of memory for a binary literal");
        std::memcpy(b->bytes, bytes.data(), bytes.size());
        Term* unlisted = nullptr;  // literal handles belong to no off-heap list
        Term t = term::make_refc_bin(mem, b, unlisted);
        term::refc_next(mem) = nullptr;
        return t;
    }

    Term map(const bytecode::Literal& literal) {
        size_t n = literal.elements.size() / 2;
        std::vector<map::Entry> entries;
        for (size_t i = 0; i < n; ++i) {
            Term key = build(literal.elements[2 * i]);
            entries.push_back({key, build(literal.elements[2 * i + 1])});
        }
        return map(entries);
    }

    Term map(std::vector<map::Entry>& entries) {
        map::normalize(entries);
        Term* mem = alloc(map::build_words(entries));
        return mem ? map::build(mem, entries) : term::kNil;
    }

    std::string& error_;
    atom::Owner owner_;
};

// ---- code --------------------------------------------------------------------------

constexpr uint32_t kNoLabel = UINT32_MAX;

// A label operand to patch once every label is placed.
struct Fixup {
    uint32_t at;  // code offset (code is at most 2^32 words: labels are uint32)
    uint32_t label;
};

// The working tables of one load, kept from load to load: their pages are
// touched once (by the largest module), not again for each module, and
// they grow by doubling only the first time. One set for the process, not
// one per thread (a module loaded on another scheduler would touch fresh
// pages again); loads take its lock (they hold the code lock already, so
// it is never contended).
// A select's pair while sorting it (Loader::sort_select).
struct Pair {
    Word value;
    Word second;  // the constant, or the label number
};

struct Scratch {
    std::vector<Pair> pairs;
    std::vector<Term> atoms;
    std::vector<Term> literal_terms;
    std::vector<code::Export*> imports;
    std::vector<uint32_t> labels;
    std::vector<Fixup> fixups;
};

class ScratchLease {
  public:
    ScratchLease() : lock_(mutex()) {
        Scratch& s = scratch();
        s.atoms.clear();
        s.literal_terms.clear();
        s.imports.clear();
        s.labels.clear();
        s.fixups.clear();
        s.pairs.clear();
    }
    Scratch& get() { return scratch(); }

  private:
    static std::mutex& mutex() {
        static std::mutex m;
        return m;
    }
    static Scratch& scratch() {
        static Scratch s;
        return s;
    }
    std::lock_guard<std::mutex> lock_;
};

// The code being emitted, straight into the code area: room for the
// generic code's length (each generic word makes at most one loaded word),
// and the unused tail given back when the load ends. Loads take the code
// lock, so the tail is the area's last allocation and does go back.
class Emitted {
  public:
    Emitted() = default;
    Emitted(const Emitted&) = delete;
    Emitted& operator=(const Emitted&) = delete;
    ~Emitted() { finish(false); }

    bool reserve(size_t words) {
        words_ = code::code_area_alloc(words);
        capacity_ = words_ ? words : 0;
        return words_ != nullptr;
    }
    void push_back(Word word) {
        if (size_ < capacity_) words_[size_++] = word;
    }
    Word& operator[](size_t i) { return words_[i]; }
    size_t size() const { return size_; }
    Word* data() const { return words_; }

    // Gives back the unused tail, or everything when `keep` is false.
    void finish(bool keep) {
        if (!words_) return;
        code::code_area_give_back(words_ + capacity_, capacity_ - (keep ? size_ : 0));
        words_ = nullptr;
        capacity_ = size_ = 0;
    }

  private:
    Word* words_ = nullptr;
    size_t capacity_ = 0;
    size_t size_ = 0;
};

// interp::handler for every Op, looked up once (the loader asks for one per
// instruction).
const std::array<Word, interp::kOpCount>& handler_table() {
    static const std::array<Word, interp::kOpCount> table = [] {
        std::array<Word, interp::kOpCount> words{};
        for (unsigned i = 0; i < interp::kOpCount; ++i)
            words[i] = interp::handler(Op(i));
        return words;
    }();
    return table;
}

class Loader {
  public:
    Loader(const bytecode::Module& module, std::string& error, atom::Owner owner)
        : in_(module), error_(error), owner_(owner), literals_(error, owner) {}

    std::unique_ptr<code::Module> run() {
        out_ = std::make_unique<code::Module>();
        out_->file = in_.file;
        for (const std::string& name : in_.atoms) {
            uint32_t index = atom::intern(name, owner_);
            if (index == atom::kNoAtom) return fail(kAtomTableFull), nullptr;
            atoms_.push_back(term::make_atom(index));
        }
        if (atoms_.empty()) return fail("module without atoms"), nullptr;
        out_->name = atoms_[0];
        for (const bytecode::Literal& literal : in_.literals)
            literal_terms_.push_back(literals_.build(literal));
        image::LiteralReader encoded(in_.encoded_literals);
        for (uint32_t i = 0; i < in_.encoded_literal_count; ++i)
            literal_terms_.push_back(literals_.build(encoded));
        for (const bytecode::Import& import : in_.imports)
            imports_.push_back(
                code::export_entry(atom(import.module), atom(import.function), import.arity));
        make_funs();
        emit_code();
        if (!error_.empty()) return nullptr;
        enter_bifs();
        check_labels();
        if (!error_.empty()) return nullptr;
        return std::move(out_);
    }

    // Hands the emitted code to `module`, giving back the room it did not
    // use, and points its label operands at their targets.
    void place(code::Module& module) {
        Word* words = code_.data();
        module.code = std::span<Word>(words, code_.size());
        for (const Fixup& fixup : fixups_)
            words[fixup.at] = Word(words + labels_[fixup.label]);
        code_.finish(true);
    }

    // After install: point the exports and the funs at the code.
    // Reads the generic module from `module.generic` (it has moved there).
    void link(code::Module& module) {
        const Word* base = module.code.data();
        for (const bytecode::Export& e : module.generic.exports) {
            code::Export* entry = code::export_entry(module.name, atom(e.function), e.arity);
            // A BIF keeps its entry: OTP's sources define BIFs as stubs
            // (lists:reverse/2 -> erlang:nif_error(undef)) the runtime overrides.
            if (entry->bif) continue;
            entry->address = base + labels_[e.label];  // resolve_labels checked it
        }
        for (size_t i = 0; i < module.num_funs; ++i)
            module.funs[i].code = base + labels_[module.generic.lambdas[i].label];
    }

  private:
    void fail(const std::string& message) {
        if (error_.empty()) error_ = in_.name + ": " + message;
    }

    Word handler_word(Op op) const { return handlers_[op]; }

    Term atom(uint64_t index) {
        if (index >= atoms_.size()) {
            fail("atom index out of range");
            return term::kNil;
        }
        return atoms_[index];
    }

    void make_funs() {
        out_->num_funs = in_.lambdas.size();
        out_->funs = std::make_unique<term::FunEntry[]>(in_.lambdas.size());
        for (size_t i = 0; i < in_.lambdas.size(); ++i) {
            const bytecode::Lambda& lambda = in_.lambdas[i];
            out_->funs[i] = {atoms_[0],    lambda.index,    lambda.uniq,
                             lambda.arity, lambda.num_free, nullptr};
        }
    }

    // A source operand: a constant term, or a register reference.
    [[gnu::always_inline]] Word source(uint64_t operand) {
        uint64_t value = bytecode::operand_value(operand);
        switch (bytecode::operand_kind(operand)) {
            case OperandKind::X:
                return Word(value << 3);
            case OperandKind::Y:
                return Word(value << 3 | 4);
            case OperandKind::Literal:
                if (value >= literal_terms_.size()) fail("literal index out of range");
                return value < literal_terms_.size() ? Word(literal_terms_[value]) : term::kNil;
            case OperandKind::Atom:
                return Word(atom(value));
            case OperandKind::Integer:
                return Word(literals_.integer(bytecode::operand_integer(operand)));
            case OperandKind::Nil:
                return Word(term::kNil);
        }
        fail("bad operand kind");
        return 0;
    }

    Word destination(uint64_t operand) {
        OperandKind kind = bytecode::operand_kind(operand);
        if (kind != OperandKind::X && kind != OperandKind::Y) fail("destination not a register");
        return source(operand);
    }

    // One operand word by its letter.
    [[gnu::always_inline]] Word operand(char letter, uint64_t word) {
        switch (letter) {
            case 's':
                return source(word);
            case 'k':
                if (bytecode::operand_kind(word) == OperandKind::X ||
                    bytecode::operand_kind(word) == OperandKind::Y)
                    fail("a register where a constant belongs");
                return source(word);
            case 'd':
                return destination(word);
            case 'l':
                if (word != 0) fixups_.push_back({uint32_t(code_.size()), uint32_t(word)});
                return 0;
            case 'a':
                return Word(atom(word));
            case 'i':
                if (word >= imports_.size()) fail("import index out of range");
                return word < imports_.size() ? Word(imports_[word]) : 0;
            case 'f':
                if (word >= out_->num_funs) fail("lambda index out of range");
                return word < out_->num_funs ? Word(&out_->funs[word]) : 0;
            case 'c':
                if (word >= literal_terms_.size()) fail("literal index out of range");
                return word < literal_terms_.size() ? Word(literal_terms_[word]) : term::kNil;
            case 'F':
                if (word >= bytecode::kFloatRegs) fail("float register out of range");
                return word < bytecode::kFloatRegs ? Word(word) : 0;
            default:  // x y u: plain numbers
                return Word(word);
        }
    }

    // Emits the operands of one instruction, read from `code`. A truncated
    // instruction leaves code.failed() set.
    template <class Reader>
    void emit_operands(std::string_view letters, Reader& code) {
        for (size_t i = 0; i < letters.size(); ++i) {
            if (letters[i] == '*') {
                uint64_t count = code.next();
                code_.push_back(Word(count));
                std::string_view repeated = letters.substr(i + 1);
                for (uint64_t r = 0; r < count && !code.failed(); ++r) {
                    for (char letter : repeated)
                        code_.push_back(operand(letter, code.next()));
                }
                return;
            }
            code_.push_back(operand(letters[i], code.next()));
        }
    }

    void emit_code() {
        if (!in_.code.empty() || in_.encoded_code.empty()) {
            image::WordReader words(in_.code);
            emit_code(words);
        } else {
            image::VarintReader varints(in_.encoded_code, in_.encoded_code_words);
            emit_code(varints);
        }
    }

    template <class Reader>
    void emit_code(Reader& code) {
        code_words_ = code.size();
        if (code_words_ >= UINT32_MAX) return fail("module too large");
        if (!code_.reserve(code.size())) return fail("the code area is full (system_limit)");
        // Labels and label operands take two generic words at least: room
        // for that many up front (address space; pages are touched as
        // written) spares the copies of growing by doubling.
        fixups_.reserve(code.size() / 2);
        labels_.reserve(code.size() / 2 + 1);
        while (!code.at_end() && error_.empty()) {
            uint64_t op = code.next();
            if (op >= kGenericOpcodes) return fail("unknown opcode " + std::to_string(op));
            Opcode opcode = Opcode(op);
            uint32_t offset = uint32_t(code_.size());
            if (opcode == Opcode::label) {
                uint64_t label = code.next();
                if (code.failed()) return fail("truncated label");
                if (!define_label(label, offset)) return fail("bad label");
                continue;
            }
            if (opcode == Opcode::line) {
                uint64_t line = code.next();
                if (code.failed()) return fail("truncated line");
                out_->lines.push_back({offset, uint32_t(line)});
                continue;
            }
            code_.push_back(handler_word(interp::op_of(opcode)));
            emit_operands(kOperandLetters[op], code);
            if (code.failed()) return fail("truncated instruction");
            if (opcode == Opcode::func_info) {  // "aau": module, name, arity
                out_->functions.push_back(
                    {offset, Term(code_[offset + 2]), uint32_t(code_[offset + 3])});
            }
            specialise(opcode, offset);
            previous2_at_ = previous_at_;
            previous_at_ = offset;
        }
        if (code.failed()) fail("malformed code");
    }

    // Rewrites the instruction just emitted at `at` into a specialised
    // shape of the same size where one applies.
    void specialise(Opcode opcode, size_t at) {
        Emitted& code = code_;
        auto is_x = [](Word w) { return (w & 7) == 0; };
        auto is_small = [](Word w) { return term::is_small(Term(w)); };
        auto set_op = [&](Op op) { code[at] = handler_word(op); };
        if (opcode != Opcode::move) unset_ = 0;
        switch (opcode) {
            case Opcode::allocate:
                if (code[at + 1] >= 1 && code[at + 1] <= 4)
                    set_op(code[at + 1] <= 2 ? interp::op_allocate_1_2 : interp::op_allocate_3_4);
                allocated_at_ = at;
                unset_ = code[at + 1] == 0 || code[at + 1] > 64
                             ? 0
                             : ~uint64_t(0) >> (64 - code[at + 1]);
                break;
            case Opcode::move:
                note_initialised(at);
                specialise_move(at);
                if (code[at] != handler_word(interp::op_move_xy)) break;
                // A frame of 1 slot is allocate_noinit by now (this move
                // writes its slot), so allocate_1_2 fuses only with 2.
                if (is_op(previous_at_, interp::op_allocate_1_2) && code[previous_at_ + 1] == 2)
                    code[previous_at_] = handler_word(interp::op_allocate_2_move_xy);
                else
                    fuse_previous(interp::op_allocate_noinit, interp::op_allocate_noinit_move_xy);
                break;
            case Opcode::get_tuple_element:
                if (is_x(code[at + 1]) && is_x(code[at + 3])) {
                    set_op(interp::op_get_tuple_element_xx);
                    code[at + 1] >>= 3;
                    code[at + 3] >>= 3;
                    if (fuse_previous(interp::op_get_tuple_element_xx,
                                      interp::op_get_tuple_elements_xx) &&
                        gets_tested_tuple(previous2_at_, previous_at_, at))
                        fuse_at(previous2_at_, interp::op_test_arity_x,
                                interp::op_test_arity_get_pair_x);
                }
                break;
            case Opcode::return_:
                fuse_return();
                break;
            case Opcode::fconv:  // l s F
                if (is_x(code[at + 2])) set_op(interp::op_fconv_x);
                break;
            case Opcode::fbox:  // u F d
                if (is_x(code[at + 3])) set_op(interp::op_fbox_x);
                break;
            case Opcode::put_tuple2: {  // d n s...
                if (code[at + 2] == 2) {
                    set_op(interp::op_put_pair);
                    fuse_previous(interp::op_of(Opcode::test_heap), interp::op_test_heap_put_pair);
                    break;
                }
                bool all_x = true;
                for (Word i = 0; i < code[at + 2] && all_x; ++i)
                    all_x = is_x(code[at + 3 + i]);
                if (all_x) set_op(interp::op_put_tuple2_x);
                break;
            }
            case Opcode::test_arity:  // l s u: the tuple's header for u
                if (is_x(code[at + 2]) && code[at + 3] < term::kMaxObjectWords) {
                    set_op(interp::op_test_arity_x);
                    code[at + 3] = term::make_header(term::Kind::kTuple, code[at + 3]);
                }
                break;
            case Opcode::is_eq_exact:
            case Opcode::is_ne_exact:
                specialise_exact(opcode, at);
                break;
            case Opcode::get_list:
                if (is_x(code[at + 1]) && is_x(code[at + 2]) && is_x(code[at + 3])) {
                    set_op(interp::op_get_list_xx);
                    for (size_t i = 1; i <= 3; ++i)
                        code[at + i] >>= 3;
                }
                break;
            case Opcode::is_nil:
            case Opcode::is_nonempty_list:
                if (is_x(code[at + 2])) {
                    set_op(opcode == Opcode::is_nil ? interp::op_is_nil_x
                                                    : interp::op_is_nonempty_list_x);
                    code[at + 2] >>= 3;
                }
                break;
            case Opcode::is_tagged_tuple:  // l s u a: the tuple's header for u
                if (is_x(code[at + 2]) && code[at + 3] < term::kMaxObjectWords) {
                    set_op(interp::op_is_tagged_tuple_x);
                    code[at + 2] >>= 3;
                    code[at + 3] = term::make_header(term::Kind::kTuple, code[at + 3]);
                }
                break;
            case Opcode::call:
                fuse_previous(interp::op_move_yx, interp::op_move_yx_call) ||
                    fuse_previous(interp::op_move_xx, interp::op_move_xx_call) ||
                    fuse_previous(interp::op_sub_int_yx, interp::op_sub_int_yx_call) ||
                    fuse_previous(interp::op_sub_int_xx, interp::op_sub_int_xx_call);
                break;
            case Opcode::call_ext:
            case Opcode::call_ext_last:
            case Opcode::call_ext_only:
                specialise_bif_call(opcode, at);
                break;
            case Opcode::bif0:
            case Opcode::bif1:
            case Opcode::bif2:
            case Opcode::gc_bif1:
            case Opcode::gc_bif2:
            case Opcode::gc_bif3:
                check_bif(opcode, at);
                break;
            case Opcode::fsqrt: {
                auto* e = reinterpret_cast<code::Export*>(code[at + 1]);
                if (!e || !e->bif) fail("fsqrt of a function that is not a BIF");
                break;
            }
            case Opcode::select_val:
                sort_select(at, interp::op_select_val_sorted, true);
                if (code[at] == handler_word(interp::op_of(opcode)) && is_x(code[at + 1]) &&
                    all_immediate(at)) {
                    set_op(interp::op_select_val_x);
                    code[at + 1] >>= 3;
                }
                break;
            case Opcode::select_tuple_arity:  // s l n (arity, label)...
                if (is_x(code[at + 1]) && arities_fit(at)) {
                    set_op(interp::op_select_tuple_arity_x);
                    code[at + 1] >>= 3;
                    for (Word i = 0; i < code[at + 3]; ++i)
                        code[at + 4 + 2 * i] =
                            term::make_header(term::Kind::kTuple, code[at + 4 + 2 * i]);
                }
                break;
            case Opcode::select_return:
                sort_select(at, interp::op_select_return_sorted, false);
                break;
            case Opcode::is_lt:
            case Opcode::is_ge: {
                bool lt = opcode == Opcode::is_lt;
                auto is_register = [](Word w) { return (w & 3) == 0; };
                if (is_small(code[at + 3]) && is_x(code[at + 2])) {
                    set_op(lt ? interp::op_is_lt_int_x : interp::op_is_ge_int_x);
                } else if (is_small(code[at + 3]) && is_register(code[at + 2])) {
                    set_op(lt ? interp::op_is_lt_int : interp::op_is_ge_int);
                } else if (is_small(code[at + 2]) && is_register(code[at + 3])) {
                    set_op(lt ? interp::op_is_lt_int_rev : interp::op_is_ge_int_rev);
                }
                break;
            }
            default:
                break;
        }
    }

    // Fused pairs (interp_ops.def): the instruction before the one just
    // emitted, when it is `first`, becomes `fused`, which does the work of
    // both. The second stays where it is, so a jump to it still works, and
    // the pair needs no label check.
    bool fuse_previous(Op first, Op fused) { return fuse_at(previous_at_, first, fused); }
    // The same for the instruction at `at` (SIZE_MAX: none).
    bool fuse_at(size_t at, Op first, Op fused) {
        if (!is_op(at, first)) return false;
        code_[at] = handler_word(fused);
        return true;
    }
    // Is the instruction at `at` (SIZE_MAX: none) `op`?
    bool is_op(size_t at, Op op) { return at != SIZE_MAX && code_[at] == handler_word(op); }

    // Do the two get_tuple_element_xx at `first` and `second` both read
    // the X register the test_arity_x at `test` tests, and does the first
    // leave it as it is? (test: op Fail Reg Header, Reg a byte offset; a
    // get: op Source Index Destination, indices.)
    bool gets_tested_tuple(size_t test, size_t first, size_t second) {
        if (!is_op(test, interp::op_test_arity_x)) return false;
        Word tested = code_[test + 2] >> 3;
        return code_[first + 1] == tested && code_[second + 1] == tested &&
               code_[first + 3] != tested;
    }

    // deallocate, or a move to X[0], then return.
    // The fused return then fuses with the instruction before it where a
    // pair applies (add_yxx, is_eq_exact_imm_x).
    void fuse_return() {
        if (fuse_previous(interp::op_of(Opcode::deallocate), interp::op_deallocate_return)) {
            fuse_at(previous2_at_, interp::op_add_yxx, interp::op_add_yxx_deallocate_return);
            return;
        }
        // A move_cx or move_xx is 3 words: its destination (an index) is
        // read only once the handler says it is one.
        if (previous_at_ == SIZE_MAX) return;
        Word op = code_[previous_at_];
        bool move_c = op == handler_word(interp::op_move_cx);
        if ((!move_c && op != handler_word(interp::op_move_xx)) || code_[previous_at_ + 2] != 0)
            return;
        code_[previous_at_] =
            handler_word(move_c ? interp::op_move_return_c : interp::op_move_return_x);
        if (move_c)
            fuse_at(previous2_at_, interp::op_is_eq_exact_imm_x,
                    interp::op_is_eq_exact_imm_x_return_c);
    }

    // is_eq_exact and is_ne_exact of a register and an immediate (atom,
    // small integer, nil) compare words: the register goes first.
    //   at: op Fail S1 S2
    void specialise_exact(Opcode opcode, size_t at) {
        Emitted& code = code_;
        auto is_register = [](Word w) { return (w & 3) == 0; };
        auto is_immediate = [&](Word w) { return !is_register(w) && term::is_immediate(Term(w)); };
        if (is_immediate(code[at + 2]) && is_register(code[at + 3]))
            std::swap(code[at + 2], code[at + 3]);
        if (!is_register(code[at + 2]) || !is_immediate(code[at + 3])) return;
        bool eq = opcode == Opcode::is_eq_exact, x = (code[at + 2] & 7) == 0;
        code[at] =
            handler_word(eq ? (x ? interp::op_is_eq_exact_imm_x : interp::op_is_eq_exact_imm)
                            : (x ? interp::op_is_ne_exact_imm_x : interp::op_is_ne_exact_imm));
    }

    // Can each arity of the select_tuple_arity at `at` be a tuple header?
    bool arities_fit(size_t at) {
        for (Word i = 0; i < code_[at + 3]; ++i)
            if (code_[at + 4 + 2 * i] >= term::kMaxObjectWords) return false;
        return true;
    }

    // Are the values of the select at `at` all immediate (op S Fail N V1 W1 ...)?
    bool all_immediate(size_t at) {
        for (Word i = 0; i < code_[at + 3]; ++i)
            if (!term::is_immediate(Term(code_[at + 4 + 2 * i]))) return false;
        return true;
    }

    // A select_val or select_return on distinct immediate values (atoms,
    // small integers: =:= is then equality of words) has its pairs sorted
    // by value word and becomes `sorted_op`, a binary search. `labels`:
    // the pairs' second words are labels, so their fixups move with them.
    //   at: op S Fail N V1 W1 ... VN WN
    void sort_select(size_t at, Op sorted_op, bool labels) {
        constexpr Word kMinPairs = 8;  // below this a scan is as fast
        Emitted& code = code_;
        Word n = code[at + 3];
        if (n < kMinPairs) return;
        std::vector<Pair>& pairs = scratch_.pairs;
        pairs.resize(n);
        for (Word i = 0; i < n; ++i) {
            pairs[i] = {code[at + 4 + 2 * i], code[at + 5 + 2 * i]};
            if (!term::is_immediate(Term(pairs[i].value))) return;
        }
        // The pairs' label fixups are the last ones recorded (after Fail's).
        size_t first_pair_fixup = fixups_.size();
        if (labels) {
            while (first_pair_fixup > 0 && fixups_[first_pair_fixup - 1].at >= at + 4)
                --first_pair_fixup;
            for (size_t f = first_pair_fixup; f < fixups_.size(); ++f)
                pairs[(fixups_[f].at - at - 5) / 2].second = fixups_[f].label;
        }
        // The compiler emits integer tables already in this order.
        auto by_value = [](const Pair& a, const Pair& b) { return a.value < b.value; };
        if (!std::is_sorted(pairs.begin(), pairs.end(), by_value))
            std::sort(pairs.begin(), pairs.end(), by_value);
        for (Word i = 0; i + 1 < n; ++i) {
            if (pairs[i].value == pairs[i + 1].value)
                return;  // first match would win: keep the scan
        }
        if (labels) fixups_.resize(first_pair_fixup);
        for (Word i = 0; i < n; ++i) {
            code[at + 4 + 2 * i] = pairs[i].value;
            code[at + 5 + 2 * i] = labels ? 0 : pairs[i].second;
            if (labels && pairs[i].second != 0)
                fixups_.push_back({uint32_t(at + 5 + 2 * i), uint32_t(pairs[i].second)});
        }
        code[at] = handler_word(sorted_op);
    }

    // The moves right after an allocate that write each of its Y slots
    // (from X registers or constants: nothing in between reads a slot or
    // may collect) make its nil stores useless: it becomes allocate_noinit.
    void note_initialised(size_t at) {
        Word from = code_[at + 1], to = code_[at + 2];
        if (unset_ == 0) return;
        if ((from & 7) == 4 || (to & 7) != 4 || (to >> 3) >= 64) {
            unset_ = 0;
            return;
        }
        unset_ &= ~(uint64_t(1) << (to >> 3));
        if (unset_ != 0) return;
        // An allocate fused with its first move stays fused with it.
        bool fused = is_op(allocated_at_, interp::op_allocate_2_move_xy);
        code_[allocated_at_] =
            handler_word(fused ? interp::op_allocate_noinit_move_xy : interp::op_allocate_noinit);
    }

    // A move between registers of known kinds, or of a constant to an X
    // register, skips the operand decoding of the generic move.
    void specialise_move(size_t at) {
        Emitted& code = code_;
        Word from = code[at + 1], to = code[at + 2];
        auto is_register = [](Word w) { return (w & 3) == 0; };
        auto is_y = [](Word w) { return (w & 7) == 4; };
        if (!is_register(to) || (is_y(to) && !is_register(from))) return;
        Op op;
        if (!is_register(from)) {
            op = interp::op_move_cx;
        } else if (is_y(from)) {
            if (is_y(to)) return;
            op = interp::op_move_yx;
        } else {
            op = is_y(to) ? interp::op_move_xy : interp::op_move_xx;
        }
        code[at] = handler_word(op);
        if (is_register(from)) code[at + 1] = from >> 3;
        code[at + 2] = to >> 3;
    }

    // A function the runtime defines as a BIF (OTP's sources define NIFs
    // and BIFs as stubs: prim_file:open_nif/2 -> erlang:nif_error(undef))
    // starts with a tail call of the BIF, so that local calls reach it as
    // calls through the export do, as when the BEAM loads a NIF over the
    // function's code. The stub's own code stays behind, unreachable.
    //
    //   [func_info m f a][entry: call_ext_only a M:F/A][old body...]
    void enter_bifs() {
        constexpr size_t kFuncInfoWords = 4, kCallWords = 3;
        const std::vector<code::FunctionEntry>& functions = out_->functions;
        for (size_t i = 0; i < functions.size(); ++i) {
            const code::FunctionEntry& f = functions[i];
            const bif::Bif* b = bif::find(out_->name, f.name, f.arity);
            if (!b || (b->flags & bif::kInterpreted)) continue;
            size_t entry = f.offset + kFuncInfoWords;
            size_t end = i + 1 < functions.size() ? functions[i + 1].offset : code_.size();
            if (entry + kCallWords > end) continue;  // no room: a body this short is no stub
            code_[entry] = handler_word(interp::op_of(Opcode::call_ext_only));
            code_[entry + 1] = f.arity;
            code_[entry + 2] = Word(code::export_entry(out_->name, f.name, f.arity));
            specialise_bif_call(Opcode::call_ext_only, entry);
            // A label operand of the old first instruction must not be
            // written over the call.
            std::erase_if(fixups_, [&](const Fixup& fixup) {
                return fixup.at >= entry && fixup.at < entry + kCallWords;
            });
        }
    }

    // call_ext* of a BIF (not apply) calls the BIF directly.
    void specialise_bif_call(Opcode opcode, size_t at) {
        Emitted& code = code_;
        auto* e = reinterpret_cast<code::Export*>(code[at + 2]);
        // Interpreted and dirty BIFs keep the call through their export
        // entry (its stub yields to a dirty pool).
        constexpr uint8_t kNotDirect = bif::kInterpreted | bif::kDirtyIo | bif::kDirtyCpu;
        if (!e || !e->bif || (e->bif->flags & kNotDirect)) return;
        // call_ext u i -> call_bif e _ ; call_ext_last u i n -> call_bif_last e n _;
        // call_ext_only u i -> call_bif_only e _ (the tail word is padding).
        Word frame = opcode == Opcode::call_ext_last ? code[at + 3] : 0;
        code[at + 1] = Word(e);
        code[at + 2] = frame;
        code[at] = handler_word(opcode == Opcode::call_ext        ? interp::op_call_bif
                                : opcode == Opcode::call_ext_last ? interp::op_call_bif_last
                                                                  : interp::op_call_bif_only);
        if (opcode == Opcode::call_ext_last) code[at + 3] = 0;
        (void)frame;
    }

    void check_bif(Opcode opcode, size_t at) {
        Emitted& code = code_;
        size_t import_at = opcode == Opcode::bif0                             ? 1
                           : opcode == Opcode::bif1 || opcode == Opcode::bif2 ? 2
                                                                              : 3;
        auto* e = reinterpret_cast<code::Export*>(code[at + import_at]);
        if (!e || !e->bif || (e->bif->flags & bif::kInterpreted)) {
            return fail("bif instruction for a function that is not a BIF");
        }
        if (opcode == Opcode::gc_bif2 && e->bif->module == "erlang") {
            // l u i s1 s2 d: a register and a small-integer constant (for
            // +, in either order: the constant goes second).
            auto is_register = [](Word w) { return (w & 3) == 0; };
            if (e->bif->name == "+" && !is_register(code[at + 4]) &&
                term::is_small(Term(code[at + 4])) && is_register(code[at + 5]))
                std::swap(code[at + 4], code[at + 5]);
            bool with_int = is_register(code[at + 4]) && term::is_small(Term(code[at + 5]));
            if (e->bif->name == "+")
                code[at] = handler_word(with_int ? interp::op_add_int : interp::op_add);
            if (e->bif->name == "-")
                code[at] = handler_word(with_int ? interp::op_sub_int : interp::op_sub);
            if (e->bif->name == "*") code[at] = handler_word(interp::op_mul);
            specialise_arith(at);
        }
    }

    // add, sub, mul, add_int and sub_int into an X register, of registers
    // of known kinds (l u i s1 s2 d).
    void specialise_arith(size_t at) {
        Emitted& code = code_;
        auto kind = [](Word w) { return (w & 3) ? 'c' : (w & 4) ? 'y' : 'x'; };
        if (kind(code[at + 6]) != 'x') return;
        char a = kind(code[at + 4]), b = kind(code[at + 5]);
        struct Shape {
            Op op;
            char a, b;
            Op specialised;
        };
        static const Shape kShapes[] = {
            {interp::op_add_int, 'x', 'c', interp::op_add_int_xx},
            {interp::op_add_int, 'y', 'c', interp::op_add_int_yx},
            {interp::op_sub_int, 'x', 'c', interp::op_sub_int_xx},
            {interp::op_sub_int, 'y', 'c', interp::op_sub_int_yx},
            {interp::op_add, 'x', 'x', interp::op_add_xxx},
            {interp::op_add, 'y', 'x', interp::op_add_yxx},
            {interp::op_mul, 'x', 'x', interp::op_mul_xxx},
        };
        for (const Shape& shape : kShapes) {
            if (code[at] == handler_word(shape.op) && a == shape.a && b == shape.b) {
                code[at] = handler_word(shape.specialised);
                return;
            }
        }
    }

    void check_labels() {
        for (const Fixup& fixup : fixups_) {
            if (!has_label(fixup.label))
                return fail("undefined label " + std::to_string(fixup.label));
        }
        for (const bytecode::Export& e : in_.exports) {
            if (!has_label(e.label)) return fail("export of an undefined label");
        }
        for (const bytecode::Lambda& lambda : in_.lambdas) {
            if (!has_label(lambda.label)) return fail("lambda of an undefined label");
        }
    }

    // Labels are numbered densely from 1 (a number past the code's size is
    // malformed), so their table is a vector.
    bool define_label(uint64_t label, uint32_t offset) {
        if (label > code_words_) return false;
        if (label >= labels_.size()) labels_.resize(label + 1, kNoLabel);
        labels_[label] = offset;
        return true;
    }

    bool has_label(uint64_t label) const {
        return label < labels_.size() && labels_[label] != kNoLabel;
    }

    const bytecode::Module& in_;
    std::string& error_;
    atom::Owner owner_;
    LiteralBuilder literals_;
    std::unique_ptr<code::Module> out_;
    ScratchLease lease_;
    Scratch& scratch_ = lease_.get();
    std::vector<Term>& atoms_ = scratch_.atoms;
    std::vector<Term>& literal_terms_ = scratch_.literal_terms;
    std::vector<code::Export*>& imports_ = scratch_.imports;
    std::vector<uint32_t>& labels_ = scratch_.labels;  // label -> offset, kNoLabel if undefined
    std::vector<Fixup>& fixups_ = scratch_.fixups;
    Emitted code_;
    const std::array<Word, interp::kOpCount>& handlers_ = handler_table();
    uint64_t code_words_ = 0;  // the generic code's length
    // The last allocate and the bits of its Y slots no move after it has
    // written yet (0: none pending).
    size_t allocated_at_ = 0;
    size_t previous_at_ = SIZE_MAX;   // the instruction before the one emitted
    size_t previous2_at_ = SIZE_MAX;  // and the one before that
    uint64_t unset_ = 0;
};

}  // namespace

std::string_view operand_letters(Opcode op) {
    return size_t(op) < kGenericOpcodes ? kOperandLetters[size_t(op)] : std::string_view();
}

code::Module* load(bytecode::Module&& module, std::string& error, atom::Owner owner) {
    error.clear();
    Loader loader(module, error, owner);
    std::unique_ptr<code::Module> loaded = loader.run();
    if (!loaded) return nullptr;
    if (code::find_module(loaded->name)) {
        error = module.name + ": module already loaded";
        return nullptr;
    }
    // The generic code stays with the module (dis, module_info md5, fun
    // names); its literals now live in the literal area.
    loader.place(*loaded);
    module.literals = {};
    loaded->generic = std::move(module);
    code::Module* installed = code::install(std::move(loaded));
    loader.link(*installed);
    return installed;
}

code::Module* load(const bytecode::Module& module, std::string& error, atom::Owner owner) {
    return load(bytecode::Module(module), error, owner);
}

}  // namespace loader
