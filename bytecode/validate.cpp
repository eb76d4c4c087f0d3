// validate: a forward dataflow analysis of generic code, per function, as
// OTP's beam_validator does for BEAM code (the structural checks are
// verify()'s). The state at each point is the set of X registers that hold
// values, the frame (none, or its number of Y slots) and the heap words
// test_heap reserved that are not taken yet. A label's state is
// the intersection of the states of every path to it (fall-through, jumps,
// fail labels, jump tables, exception handlers), iterated to a fixpoint;
// then every instruction is checked against it: an X register read must be
// valid, at a GC point X[0..live-1] must be valid (a collection takes them
// as roots: a stale one is a wild pointer), Y slots need a frame that holds
// them, calls need a frame, returns none, and put_list, put_tuple2 and
// make_fun (which allocate without a check) stay within the reservation. What each opcode does
// beyond its operand letters is semantics.def's table, nowhere else.
//
// Y slots: allocate sets every slot to nil (vm/interp.cpp), so a slot always
// holds a term and a collection is safe; still, a slot read on a path that
// never wrote it reads that nil instead of a value, a code generator bug, so
// the written slots are tracked too (trim shifts them; a handler has those
// written before its try).
#include <fmt/core.h>

#include <algorithm>
#include <bitset>
#include <string_view>
#include <unordered_map>

#include "bytecode/bytecode.h"

namespace bytecode {

namespace {

enum Frame : uint8_t { kAny, kNeed, kNoFrame, kAlloc, kDealloc, kTrim };
enum Heap : int { kReserve = -1, kTakeGap = -2 };
enum Flag : uint8_t {
    kEnd = 1,
    kCall = 2,
    kNotBranch = 4,
    kHandler = 8,
    kWait = 16,
    kFailAfterGc = 32,
    kReadAfterGc = 64,
};

struct Semantics {
    Opcode op;
    int live_op, live_add, args_op, args_add;
    Frame frame;
    unsigned flags;
    int heap;
};

constexpr Semantics kSemantics[] = {
#define SEMANTICS(name, live_op, live_add, args_op, args_add, frame, flags, heap) \
    {Opcode::name, live_op, live_add, args_op, args_add, frame, flags, heap},
#include "bytecode/semantics.def"
#undef SEMANTICS
};

constexpr bool rows_in_order() {
    size_t count = 0;
#define OPCODE(name, operands, doc) ++count;
#include "bytecode/opcodes.def"
#undef OPCODE
    if (count != std::size(kSemantics)) return false;
    for (size_t i = 0; i < std::size(kSemantics); ++i)
        if (static_cast<size_t>(kSemantics[i].op) != i) return false;
    return true;
}
static_assert(rows_in_order(), "semantics.def must list every opcode in opcodes.def's order");

constexpr std::string_view kLetters[] = {
#define OPCODE(name, operands, doc) operands,
#include "bytecode/opcodes.def"
#undef OPCODE
};

constexpr std::string_view kNames[] = {
#define OPCODE(name, operands, doc) #name,
#include "bytecode/opcodes.def"
#undef OPCODE
};

constexpr size_t kMaxX = 1024;
constexpr int kNoFrameSize = -1;

struct State {
    std::bitset<kMaxX> x;      // valid X registers
    std::bitset<kMaxX> y;      // Y slots written since allocate
    int frame = kNoFrameSize;  // with `mixed`: the smallest of the paths'
    bool mixed = false;        // paths here have frames of different sizes
    uint64_t heap = 0;         // words reserved by test_heap and not yet taken
};

// One decoded instruction: its operand words with their letters ('#' for
// a variadic count), without allocating.
struct Insn {
    size_t pc = 0;
    Opcode op{};
    const Semantics* sem = nullptr;
    const uint64_t* words = nullptr;  // operands
    std::string letters;              // reused from instruction to instruction
    size_t count = 0;                 // operand words
    bool ok = false;
};

// Decodes the instruction at pc into `in`; in.ok is false when malformed.
void decode(const std::vector<uint64_t>& code, size_t pc, Insn& in) {
    in.pc = pc;
    in.ok = false;
    in.count = 0;
    in.letters.clear();
    if (code[pc] >= std::size(kSemantics)) return;
    in.op = static_cast<Opcode>(code[pc]);
    in.sem = &kSemantics[code[pc]];
    in.words = code.data() + pc + 1;
    std::string_view letters = kLetters[code[pc]];
    size_t star = letters.find('*');
    size_t fixed = star == std::string_view::npos ? letters.size() : star;
    if (pc + 1 + fixed + (star != std::string_view::npos) > code.size()) return;
    in.letters.append(letters.substr(0, fixed));
    if (star != std::string_view::npos) {
        std::string_view group = letters.substr(star + 1);
        uint64_t n = in.words[fixed];
        in.letters += '#';
        if (n > code.size() || pc + 1 + in.letters.size() + n * group.size() > code.size()) return;
        for (uint64_t i = 0; i < n; ++i)
            in.letters.append(group);
    }
    in.count = in.letters.size();
    in.ok = true;
}

// A count from the table: operand `op` plus `add`, or `add` alone; -1: none.
int64_t count_of(const Insn& in, int op, int add) {
    if (op < 0) return add;
    return static_cast<int64_t>(in.words[op]) + add;
}

class Validator {
  public:
    explicit Validator(const Module& m) : m_(m) {}

    std::string run() {
        Insn& in = in_;
        for (size_t pc = 0; pc < m_.code.size();) {
            decode(m_.code, pc, in);
            if (!in.ok) return "";  // verify() reports malformed code
            if (in.op == Opcode::label) labels_[in.words[0]] = pc;
            pc += 1 + in.count;
        }
        std::vector<std::pair<size_t, const Function*>> starts;
        for (const Function& f : m_.functions) {
            auto it = labels_.find(f.info_label);
            if (it == labels_.end()) return "";
            starts.emplace_back(it->second, &f);
        }
        std::sort(starts.begin(), starts.end());
        for (size_t i = 0; i < starts.size() && errors_ < kMaxErrors; ++i) {
            size_t end = i + 1 < starts.size() ? starts[i + 1].first : m_.code.size();
            function(*starts[i].second, starts[i].first, end);
        }
        return out_;
    }

  private:
    static constexpr size_t kMaxErrors = 20;

    void function(const Function& f, size_t begin, size_t end) {
        fn_ = &f;
        states_.clear();
        State entry;
        for (uint32_t i = 0; i < f.arity && i < kMaxX; ++i)
            entry.x.set(i);
        states_[f.entry_label] = entry;
        // States only shrink, so a few passes reach the fixpoint; the
        // problems of the pass that changed nothing are the function's.
        for (int pass = 0; pass < 64; ++pass) {
            changed_ = false;
            pending_.clear();
            walk(begin, end);
            if (!changed_) break;
        }
        for (const std::string& problem : pending_) {
            if (errors_ >= kMaxErrors) break;
            ++errors_;
            out_ += (out_.empty() ? "" : "\n") + problem;
        }
    }

    void walk(size_t begin, size_t end) {
        reached_ = false;
        Insn& in = in_;
        for (size_t pc = begin; pc < end;) {
            decode(m_.code, pc, in);
            if (!in.ok) return;
            if (in.op == Opcode::label) {
                uint64_t l = in.words[0];
                if (reached_) merge(in, l, cur_);
                auto it = states_.find(l);
                reached_ = it != states_.end();
                if (reached_) cur_ = it->second;
            } else if (reached_) {
                step(in);
            }
            pc += 1 + in.count;
        }
    }

    void step(const Insn& in) {
        const Semantics& s = *in.sem;
        if (in.op == Opcode::swap) {
            swap(in);
            return;
        }
        if (!(s.flags & kReadAfterGc)) reads(in);
        frame_use(in);
        int64_t live = count_of(in, s.live_op, s.live_add);
        State before = cur_;
        if (live >= 0) {
            for (int64_t i = 0; i < live && i < int64_t(kMaxX); ++i)
                if (!cur_.x.test(size_t(i)))
                    error(in, fmt::format("GC point with live {} but x{} is not valid", live, i));
            std::bitset<kMaxX> below;  // X[0..live-1]
            below.set();
            below >>= kMaxX - size_t(std::min<int64_t>(live, kMaxX));
            cur_.x &= below;
        }
        if (live >= 0) cur_.heap = in.op == Opcode::test_heap ? in.words[0] : 0;
        if (s.flags & kReadAfterGc) reads(in);
        branches(in, (s.flags & kFailAfterGc) ? cur_ : before);
        if (s.flags & kCall) {
            cur_.x.reset();
            cur_.x.set(0);
        }
        if (s.flags & kWait) cur_.x.reset();
        heap_use(in);
        writes(in);
        if (s.flags & kEnd) reached_ = false;
    }

    // Every 's' and 'x' operand, and the implicit X[0..args-1].
    void reads(const Insn& in) {
        for (size_t i = 0; i < in.count; ++i) {
            char c = in.letters[i];
            uint64_t w = in.words[i];
            if (c == 's') source(in, w);
            if (c == 'x') read_x(in, w);
            if (c == 'y') write_y(in, w);  // a catch marker or nil
        }
        int64_t args = count_of(in, in.sem->args_op, in.sem->args_add);
        for (int64_t i = 0; i < args && i < int64_t(kMaxX); ++i)
            read_x(in, uint64_t(i));
    }

    void source(const Insn& in, uint64_t w) {
        if (operand_kind(w) == OperandKind::X) read_x(in, operand_value(w));
        if (operand_kind(w) != OperandKind::Y) return;
        slot(in, operand_value(w));
        if (operand_value(w) < kMaxX && !cur_.y.test(operand_value(w)))
            error(in, fmt::format("reads y{}, which no path wrote", operand_value(w)));
    }

    void write_y(const Insn& in, uint64_t y) {
        slot(in, y);
        if (y < kMaxX) cur_.y.set(y);
    }

    void read_x(const Insn& in, uint64_t r) {
        if (r < kMaxX && !cur_.x.test(r))
            error(in, fmt::format("reads x{}, which is not valid", r));
    }

    void slot(const Insn& in, uint64_t y) {
        if (cur_.frame == kNoFrameSize)
            error(in, fmt::format("uses y{} without a frame", y));
        else if (y >= uint64_t(cur_.frame))
            error(in, fmt::format("uses y{} outside the frame of {}", y, cur_.frame));
    }

    void writes(const Insn& in) {
        for (size_t i = 0; i < in.count; ++i) {
            if (in.letters[i] != 'd') continue;
            uint64_t w = in.words[i];
            if (operand_kind(w) == OperandKind::X && operand_value(w) < kMaxX)
                cur_.x.set(operand_value(w));
            if (operand_kind(w) == OperandKind::Y) write_y(in, operand_value(w));
        }
    }

    // Building on the heap takes reserved words; calls, waits and what
    // may use the free gap leave none reserved.
    void heap_use(const Insn& in) {
        const Semantics& s = *in.sem;
        if ((s.flags & (kCall | kWait)) || s.heap == kTakeGap) cur_.heap = 0;
        if (s.heap <= 0) return;
        uint64_t need = uint64_t(s.heap);
        size_t count = in.letters.find('#');
        if (count != std::string::npos) need += in.words[count];
        if (need > cur_.heap)
            error(in, fmt::format("builds {} heap words, {} reserved", need, cur_.heap));
        cur_.heap -= std::min(need, cur_.heap);
    }

    void swap(const Insn& in) {
        for (size_t i = 0; i < 2; ++i)
            source(in, in.words[i]);
        uint64_t a = in.words[0], b = in.words[1];
        bool xa = operand_kind(a) == OperandKind::X, xb = operand_kind(b) == OperandKind::X;
        bool va = !xa || cur_.x.test(operand_value(a) % kMaxX);
        bool vb = !xb || cur_.x.test(operand_value(b) % kMaxX);
        if (xa) cur_.x.set(operand_value(a) % kMaxX, vb);
        if (xb) cur_.x.set(operand_value(b) % kMaxX, va);
    }

    // Paths with different frames may share code that only raises (the
    // compiler shares fail blocks such as `badmatch {y,2}`: a raise unwinds
    // any frame), so the mismatch is a problem only where the size matters.
    void frame_use(const Insn& in) {
        const Semantics& s = *in.sem;
        if (cur_.mixed && (s.frame == kDealloc || s.frame == kTrim || s.frame == kAlloc ||
                           (s.frame == kNoFrame && !raises(in))))
            error(in, fmt::format("the paths to here have frames of different sizes ({} or more)",
                                  frame_text(cur_.frame)));
        switch (s.frame) {
            case kAny:
                return;
            case kNeed:
                if (cur_.frame == kNoFrameSize) error(in, "needs a frame and has none");
                return;
            case kNoFrame:
                if (cur_.frame != kNoFrameSize && !cur_.mixed && !raises(in))
                    error(in, fmt::format("leaves a frame of {} allocated", cur_.frame));
                return;
            case kAlloc:
                if (cur_.frame != kNoFrameSize && !cur_.mixed)
                    error(in, fmt::format("allocates over a frame of {}", cur_.frame));
                cur_.frame = int(in.words[0]);
                cur_.mixed = false;
                cur_.y.reset();
                return;
            case kDealloc: {
                uint64_t n = in.words[in.count - 1];
                if (!cur_.mixed && (cur_.frame == kNoFrameSize || uint64_t(cur_.frame) != n))
                    error(in, fmt::format("drops a frame of {} but the frame is {}", n,
                                          frame_text(cur_.frame)));
                cur_.frame = kNoFrameSize;
                cur_.mixed = false;
                cur_.y.reset();
                return;
            }
            case kTrim:
                if (!cur_.mixed && (cur_.frame == kNoFrameSize ||
                                    uint64_t(cur_.frame) != in.words[0] + in.words[1]))
                    error(in, fmt::format("trims {} + {} but the frame is {}", in.words[0],
                                          in.words[1], frame_text(cur_.frame)));
                cur_.frame = int(in.words[1]);
                cur_.mixed = false;
                cur_.y >>= std::min<uint64_t>(in.words[0], kMaxX);
                return;
        }
    }

    // A tail call of erlang:error/1,2,3, exit/1, throw/1 or raise/3 never
    // returns: the compiler leaves the frame in place (codegen raise_error),
    // and the raise unwinds it.
    bool raises(const Insn& in) const {
        if (in.op != Opcode::call_ext_only || in.words[1] >= m_.imports.size()) return false;
        const Import& im = m_.imports[in.words[1]];
        auto name = [&](uint32_t a) { return a < m_.atoms.size() ? m_.atoms[a] : ""; };
        if (name(im.module) != "erlang") return false;
        std::string f = name(im.function);
        return (f == "error" && im.arity >= 1 && im.arity <= 3) ||
               ((f == "exit" || f == "throw") && im.arity == 1) || (f == "raise" && im.arity == 3);
    }

    static std::string frame_text(int frame) {
        return frame == kNoFrameSize ? "none" : std::to_string(frame);
    }

    // Every label operand that is a jump in this function gets `at`.
    void branches(const Insn& in, const State& at) {
        unsigned flags = in.sem->flags;
        if (flags & kNotBranch) return;
        for (size_t i = 0; i < in.count; ++i) {
            if (in.letters[i] != 'l' || in.words[i] == 0) continue;
            if (flags & kHandler) {
                State handler;
                handler.frame = cur_.frame;
                handler.mixed = cur_.mixed;
                handler.y = cur_.y;
                for (size_t r = 0; r < 4; ++r)
                    handler.x.set(r);
                merge(in, in.words[i], handler);
            } else if (flags & kWait) {
                State waited = at;
                waited.x.reset();
                waited.heap = 0;
                merge(in, in.words[i], waited);
            } else {
                merge(in, in.words[i], at);
            }
        }
    }

    void merge(const Insn& in, uint64_t label, const State& s) {
        auto [it, added] = states_.try_emplace(label, s);
        if (added) {
            changed_ = true;
            return;
        }
        State& old = it->second;
        if ((old.frame != s.frame || s.mixed) && !(old.mixed && old.frame <= s.frame)) {
            old.frame = std::min(old.frame, s.frame);
            old.mixed = true;
            changed_ = true;
        }
        std::bitset<kMaxX> both = old.x & s.x, written = old.y & s.y;
        if (both != old.x || written != old.y || s.heap < old.heap) {
            old.x = both;
            old.y = written;
            old.heap = std::min(old.heap, s.heap);
            changed_ = true;
        }
    }

    void error(const Insn& in, const std::string& what) {
        if (pending_.size() >= kMaxErrors) return;
        std::string_view name = kNames[static_cast<size_t>(in.op)];
        if (name.back() == '_') name.remove_suffix(1);
        std::string fname = fn_->name < m_.atoms.size() ? m_.atoms[fn_->name] : "?";
        pending_.push_back(
            fmt::format("{}:{}/{} at {} ({}): {}", m_.name, fname, fn_->arity, in.pc, name, what));
    }

    const Module& m_;
    std::unordered_map<uint64_t, size_t> labels_;
    std::unordered_map<uint64_t, State> states_;
    const Function* fn_ = nullptr;
    Insn in_;
    State cur_;
    bool reached_ = false;
    bool changed_ = false;
    size_t errors_ = 0;
    std::vector<std::string> pending_;  // this pass's problems
    std::string out_;
};

}  // namespace

std::string validate(const Module& module) {
    return Validator(module).run();
}

}  // namespace bytecode
