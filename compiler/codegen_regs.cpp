// codegen_regs: instruction emission and the register state of FnGen.
//
// X registers are handed out lowest first, so that values crowd at the
// bottom and `live` counts stay small. A register is `used` while some value
// in it is still needed, and `valid` once it holds a term of this process;
// an instruction that may collect garbage keeps X[0..live-1], so every
// register below `live` must be valid: live() fills the rare hole with [].
// Y slots: a clause's variables have static slots (from the scan); spilled
// temporaries, catch markers and receive timeouts take the slots above.
#include "compiler/codegen_internal.h"

namespace codegen {

using bytecode::OperandKind;

// ---- emission ------------------------------------------------------------------

// A frame size operand (kFrameSize) is recorded for patching.
void FnGen::emit(Opcode op, std::initializer_list<Word> args) {
    out_.code.push_back(static_cast<Word>(op));
    for (Word w : args) {
        if (w == kFrameSize) frame_patches_.push_back(out_.code.size());
        out_.code.push_back(w);
    }
}

void FnGen::emit_vec(Opcode op, const std::vector<Word>& args) {
    out_.code.push_back(static_cast<Word>(op));
    out_.code.insert(out_.code.end(), args.begin(), args.end());
}

void FnGen::place(uint32_t label) {
    emit(Opcode::label, {label});
}

void FnGen::line_at(const Node* node) {
    uint32_t line = node->pos.line;
    if (line == 0 || line == last_line_) return;
    emit(Opcode::line, {line});
    last_line_ = line;
}

// The frame size is known when the clause is done: the operand is patched.
Word FnGen::frame_word() {
    return kFrameSize;
}

// ---- X registers -----------------------------------------------------------------

uint32_t FnGen::alloc_x() {
    uint32_t r = st_.used.lowest_free();
    if (r >= kMaxX) {
        if (!out_of_x_)  // once per function, not once per register asked for
            c_.error(c_.jobs()[job_].clauses.front(), "expression too complex: out of X registers");
        out_of_x_ = true;
        r = kMaxX - 1;
    }
    st_.used.add(r);
    st_.valid.add(r);
    return r;
}

Value FnGen::temp_x() {
    return {bytecode::x_reg(alloc_x()), true};
}

bool FnGen::var_in_other(uint32_t id, Word where) const {
    for (uint32_t i = 0; i < st_.loc.size(); ++i)
        if (i != id && st_.loc[i] == where) return true;
    return false;
}

void FnGen::release_reg(Word op) {
    if (!is_x(op)) return;
    for (Word loc : st_.loc)
        if (loc == op) return;  // a variable still lives there
    st_.used.remove(reg_index(op));
}

void FnGen::release(Value v) {
    if (!v.temp) return;
    if (is_x(v.op)) {
        release_reg(v.op);
    } else if (is_y(v.op)) {
        free_y_temp(reg_index(v.op));
    }
}

uint32_t FnGen::live() {
    uint32_t n = st_.used.end();
    for (uint32_t r = 0; r < n; ++r) {
        if (st_.valid.has(r)) continue;
        emit(Opcode::move, {bytecode::operand(OperandKind::Nil, 0), bytecode::x_reg(r)});
        st_.valid.add(r);
    }
    return n;
}

void FnGen::after_gc(uint32_t live) {
    for (uint32_t r = live; r < kMaxX; ++r) {
        if (r % 64 == 0 && st_.valid.bits[r / 64] == 0) {
            r += 63;
            continue;
        }
        st_.valid.remove(r);
    }
}

// A call leaves only its result, in X[0]; variables still needed are in Y.
void FnGen::after_call() {
    st_.used.clear();
    st_.valid.clear();
    st_.used.add(0);
    st_.valid.add(0);
    for (Word& loc : st_.loc)
        if (is_x(loc)) loc = kNone;
}

// ---- Y slots ------------------------------------------------------------------------

uint32_t FnGen::alloc_y_temp() {
    size_t i = 0;
    while (i < y_temps_.size() && y_temps_[i])
        ++i;
    if (i == y_temps_.size()) y_temps_.push_back(false);
    y_temps_[i] = true;
    uint32_t slot = scope_->y_vars + static_cast<uint32_t>(i);
    frame_size_ = std::max(frame_size_, slot + 1);
    return slot;
}

void FnGen::free_y_temp(uint32_t slot) {
    if (slot < scope_->y_vars) return;
    size_t i = slot - scope_->y_vars;
    if (i < y_temps_.size()) y_temps_[i] = false;
}

uint32_t FnGen::alloc_marker() {
    max_markers_ = std::max(max_markers_, marker_depth_ + 1);
    return marker_depth_++;
}

// try_, try_end, try_case, catch_, catch_end: the Y operand (first) is the
// slot of the marker at nesting depth `depth`, patched in patch_frame().
void FnGen::emit_marker(Opcode op, uint32_t depth, std::initializer_list<Word> rest) {
    out_.code.push_back(static_cast<Word>(op));
    marker_patches_.emplace_back(out_.code.size(), depth);
    out_.code.push_back(depth);
    out_.code.insert(out_.code.end(), rest.begin(), rest.end());
}

void FnGen::free_marker() {
    --marker_depth_;
}

// The clause is done: frame sizes and marker slots become known.
void FnGen::patch_frame() {
    for (auto [pos, depth] : marker_patches_)
        out_.code[pos] = frame_size_ + (max_markers_ - 1 - depth);
    for (size_t pos : frame_patches_)
        out_.code[pos] = frame_size_ + max_markers_;
    marker_patches_.clear();
    frame_patches_.clear();
    max_markers_ = 0;
    marker_depth_ = 0;
}

// ---- moves ---------------------------------------------------------------------------

void FnGen::move_into(Value v, Word dst) {
    if (v.op == dst) return;
    emit(Opcode::move, {v.op, dst});
    if (is_x(dst)) st_.valid.add(reg_index(dst));
}

Value FnGen::to_reg(Value v) {
    if (is_reg(v.op)) return v;
    Value r = temp_x();
    move_into(v, r.op);
    return r;
}

// Moves many values at once where destinations may be sources of other
// moves: a move whose destination no pending move reads goes first; a
// cycle is broken with a swap.
void FnGen::parallel_move(std::vector<std::pair<Word, Word>> moves) {
    std::erase_if(moves, [](const auto& m) { return m.first == m.second; });
    while (!moves.empty()) {
        bool progress = false;
        for (size_t i = 0; i < moves.size(); ++i) {
            Word dst = moves[i].second;
            bool read_later = false;
            for (size_t j = 0; j < moves.size(); ++j)
                if (j != i && moves[j].first == dst) read_later = true;
            if (read_later) continue;
            move_into({moves[i].first, false}, dst);
            moves.erase(moves.begin() + static_cast<ptrdiff_t>(i));
            progress = true;
            break;
        }
        if (progress) continue;
        auto [src, dst] = moves.front();
        emit(Opcode::swap, {src, dst});
        moves.erase(moves.begin());
        for (auto& m : moves) {
            if (m.first == dst) {
                m.first = src;
            } else if (m.first == src) {
                m.first = dst;
            }
        }
        std::erase_if(moves, [](const auto& m) { return m.first == m.second; });
    }
}

// ---- variables --------------------------------------------------------------------------

// Binds variable `id` to the value at `where`. A variable that must survive
// a clobber goes to its Y slot once the frame exists (a head variable is
// moved there when the clause allocates). `owned`: `where` is a temporary
// X register the variable takes over.
void FnGen::bind_var(uint32_t id, Word where, bool owned) {
    const VarInfo& v = scope_->vars[id];
    if (v.uses == 0 || where == kNone) {
        if (owned) release_reg(where);
        return;
    }
    bool constant = !is_reg(where);
    Word y = bytecode::y_reg(static_cast<uint64_t>(std::max(v.y_slot, 0)));
    if (v.needs_y && frame_ && !constant && where != y) {
        // A Y slot is shared by variables whose ranges do not overlap, so an
        // alias of another variable's slot is copied to the variable's own.
        emit(Opcode::move, {where, y});
        st_.loc[id] = y;
        if (owned) release_reg(where);
        return;
    }
    st_.loc[id] = where;
    if (is_x(where)) st_.used.add(reg_index(where));
}

Word FnGen::var_loc(std::string_view name) {
    int32_t id = scope_->id(name);
    return id < 0 ? kNone : st_.loc[static_cast<size_t>(id)];
}

}  // namespace codegen
