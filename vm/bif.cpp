// bif: the BIF table and the helpers every bif_*.cpp shares (raising,
// allocation, strings, output). The BIFs themselves are in bif_arith.cpp
// (numbers, comparisons), bif_data.cpp (tuples, lists, conversions) and
// bif_system.cpp (dictionary, exceptions, I/O).
#include "vm/bif.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <string>

#include "vm/dirty.h"
#include "vm/exception.h"

namespace bif {

using namespace term;

namespace {

const Bif kTable[] = {
#define BIF(module, name, arity, function, flags) {module, name, arity, impl::function, flags},
#include "vm/bifs.def"
#undef BIF
};

}  // namespace

const Bif* table() {
    return kTable;
}

size_t table_size() {
    return sizeof kTable / sizeof kTable[0];
}

namespace {

// The table's index by (module, name, arity): open addressing over a
// power-of-two array of table positions, built once (loading a module
// looks up each of its imports, thousands at start-up).
class Index {
  public:
    Index() {
        slots_.fill(kEmpty);
        for (uint16_t i = 0; i < std::size(kTable); ++i) {
            const Bif& b = kTable[i];
            size_t at = hash(b.module, b.name, b.arity);
            while (slots_[at & kMask] != kEmpty)
                ++at;
            slots_[at & kMask] = i;
        }
    }

    const Bif* find(std::string_view module, std::string_view name, uint32_t arity) const {
        for (size_t at = hash(module, name, arity);; ++at) {
            uint16_t i = slots_[at & kMask];
            if (i == kEmpty) return nullptr;
            const Bif& b = kTable[i];
            if (b.arity == arity && b.name == name && b.module == module) return &b;
        }
    }

  private:
    static constexpr size_t kSlots = 2048;  // over twice the table: short probes
    static constexpr size_t kMask = kSlots - 1;
    static constexpr uint16_t kEmpty = UINT16_MAX;
    static_assert(std::size(kTable) * 2 <= kSlots, "grow the BIF index");

    static size_t hash(std::string_view module, std::string_view name, uint32_t arity) {
        uint64_t h = 14695981039346656037ull ^ arity;  // FNV-1a
        for (char c : module)
            h = (h ^ uint8_t(c)) * 1099511628211ull;
        h = (h ^ ':') * 1099511628211ull;
        for (char c : name)
            h = (h ^ uint8_t(c)) * 1099511628211ull;
        return size_t(h ^ (h >> 29));
    }

    std::array<uint16_t, kSlots> slots_;
};

}  // namespace

const Bif* find(std::string_view module, std::string_view name, uint32_t arity) {
    static const Index index;  // thread-safe, once
    return index.find(module, name, arity);
}

const Bif* find(Term module, Term function, uint32_t arity) {
    if (!is_atom(module) || !is_atom(function)) return nullptr;
    return find(atom::name(atom_index(module)), atom::name(atom_index(function)), arity);
}

// ---- raising ---------------------------------------------------------------------

Term raise(Process& p, Term cls, Term reason) {
    exception::set(p, cls, reason);
    return kNone;
}

Term fail(Process& p, Term reason) {
    return raise(p, kError, reason);
}

Term badarg(Process& p, unsigned argument, const char* why) {
    fail(p, make_atom(atom::kBadarg));
    p.rare->info.bad_argument = argument;
    p.rare->info.why = why;
    return kNone;
}

Term badarg_cause(Process& p, unsigned argument, const char* why, Term cause) {
    badarg(p, argument, why);
    p.rare->info.cause = cause;
    return kNone;
}

// ---- long BIFs -----------------------------------------------------------------------

namespace detail {
constinit thread_local int pending_reductions = 0;
}

void charge(size_t work) {
    size_t r = work / kWorkPerReduction + size_t(detail::pending_reductions);
    detail::pending_reductions = int(std::min<size_t>(r, size_t(kMaxCharge)));
}

process::Trap* trap_find(Process& p, const void* owner, const Term* args, size_t nargs) {
    process::Trap* t = p.rare ? p.rare->trap : nullptr;
    if (!t || t->owner != owner) return nullptr;
    for (size_t i = 0; i < nargs; ++i) {
        if (t->terms[i] != args[i]) return nullptr;
    }
    return t;
}

Term trap_again(Process& p, process::Trap&& state) {
    process::Rare& rare = process::rare(p);
    delete rare.trap;
    rare.trap = new process::Trap(std::move(state));
    return trap_again(p);
}

Term trap_again(Process& p) {
    p.flags |= process::kRetry;
    return kNone;
}

Term go_dirty(Process& p) {
    p.flags |= process::kGoDirty;
    return kNone;
}

bool on_dirty_pool() {
    return dirty::on_pool();
}

Term continue_as(Process& p, std::string_view module, std::string_view function, uint32_t arity) {
    uint32_t m = atom::intern(module), f = atom::intern(function);
    if (m == atom::kNoAtom || f == atom::kNoAtom) return fail(p, make_atom(atom::kSystemLimit));
    process::rare(p).trap_call = code::export_entry(make_atom(m), make_atom(f), arity);
    p.flags |= process::kTrapCall;
    return kNone;
}

void trap_done(Process& p) {
    if (!p.rare) return;
    delete p.rare->trap;
    p.rare->trap = nullptr;
}

Term heap_exhausted(Process& p) {
    p.status = process::Status::Killed;
    return kNone;
}

// ---- strings and lists -------------------------------------------------------------

Term make_string(Process& p, std::string_view bytes) {
    Term* mem = alloc(p, bytes.size() * kConsWords);
    if (!mem && !bytes.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = bytes.size(); i-- > 0;)
        list = make_cons(mem + 2 * i, make_small(static_cast<unsigned char>(bytes[i])), list);
    return list;
}

namespace {

uint32_t next_code_point(std::string_view s, size_t& i) {
    unsigned char c = static_cast<unsigned char>(s[i++]);
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    uint32_t code = extra ? c & (0x3F >> extra) : c;
    for (; extra > 0 && i < s.size(); --extra)
        code = code << 6 | (static_cast<unsigned char>(s[i++]) & 0x3F);
    return code;
}

void append_utf8(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | c >> 6);
        out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += char(0xE0 | c >> 12);
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xF0 | c >> 18);
        out += char(0x80 | ((c >> 12) & 0x3F));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

}  // namespace

Term make_unicode_string(Process& p, std::string_view utf8) {
    std::vector<uint32_t> chars;
    for (size_t i = 0; i < utf8.size();)
        chars.push_back(next_code_point(utf8, i));
    Term* mem = alloc(p, chars.size() * kConsWords);
    if (!mem && !chars.empty()) return heap_exhausted(p);
    Term list = kNil;
    for (size_t i = chars.size(); i-- > 0;)
        list = make_cons(mem + 2 * i, make_small(chars[i]), list);
    return list;
}

bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        auto b = uint8_t(s[i]);
        size_t n = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        uint32_t c = n == 1 ? b : b & (0x7F >> n);
        for (size_t k = 1; k < n; ++k) {
            auto cb = uint8_t(s[i + k]);
            if ((cb & 0xC0) != 0x80) return false;
            c = c << 6 | (cb & 0x3F);
        }
        static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < kMin[n] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return false;
        i += n;
    }
    return true;
}

int64_t list_length(Term list) {
    int64_t n = 0;
    for (; is_cons(list); list = cdr(list))
        ++n;
    return is_nil(list) ? n : -1;
}

// Walks nested lists with an explicit stack (deep iolists do not recurse).
bool chardata_to_utf8(Term t, std::string& out) {
    std::vector<Term> stack{t};
    while (!stack.empty()) {
        Term item = stack.back();
        stack.pop_back();
        if (is_small(item)) {
            int64_t c = small_value(item);
            if (c < 0 || c > 0x10FFFF) return false;
            append_utf8(out, uint32_t(c));
        } else if (is_binary(item)) {
            Bits bits = bits_of(item);
            for (uint64_t i = 0; i < bits.bit_size / 8; ++i)
                out += char(bits_byte(bits, i));
        } else if (is_cons(item)) {
            stack.push_back(cdr(item));
            stack.push_back(car(item));
        } else if (!is_nil(item)) {
            return false;
        }
    }
    return true;
}

}  // namespace bif
