// image: the byte layout of compiled modules and of the library image (see
// image.h). Writer and Reader are the two halves of each field's encoding;
// a field is added to both or to neither.
#include "bytecode/image.h"

#include <algorithm>
#include <cstring>

namespace image {

namespace {

constexpr std::string_view kMagic = "BLIMG001";
// Literals nest (a list of tuples of lists...); the reader refuses deeper
// nesting than any compiler output has, so hostile bytes cannot recurse
// off the C stack.
constexpr int kMaxLiteralDepth = 10000;

class Writer {
  public:
    void unsigned_number(uint64_t value) {
        while (value >= 0x80) {
            out_ += static_cast<char>(value | 0x80);
            value >>= 7;
        }
        out_ += static_cast<char>(value);
    }
    void signed_number(int64_t value) {
        unsigned_number((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
    }
    void fixed(uint64_t value, int bytes) {
        for (int i = 0; i < bytes; ++i)
            out_ += static_cast<char>(value >> (8 * i));
    }
    void raw(std::string_view s) { out_ += s; }
    void text(std::string_view s) {
        unsigned_number(s.size());
        raw(s);
    }
    void literal(const bytecode::Literal& lit) {
        unsigned_number(static_cast<uint64_t>(lit.kind));
        signed_number(lit.integer);
        uint64_t bits;
        std::memcpy(&bits, &lit.number, sizeof bits);
        fixed(bits, 8);
        text(lit.text);
        unsigned_number(lit.elements.size());
        for (const bytecode::Literal& e : lit.elements)
            literal(e);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}

    bool failed() const { return failed_; }
    bool at_end() const { return pos_ == in_.size(); }

    uint64_t unsigned_number() {
        uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= in_.size()) return fail();
            uint8_t byte = static_cast<uint8_t>(in_[pos_++]);
            value |= static_cast<uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return value;
        }
        return fail();
    }
    int64_t signed_number() {
        uint64_t z = unsigned_number();
        return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    }
    uint64_t fixed(int bytes) {
        if (in_.size() - pos_ < static_cast<size_t>(bytes)) return fail();
        uint64_t value = 0;
        for (int i = 0; i < bytes; ++i)
            value |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
        return value;
    }
    std::string_view text() { return raw(unsigned_number()); }
    std::string_view raw(uint64_t size) {
        if (failed_ || size > in_.size() - pos_) {
            fail();
            return {};
        }
        std::string_view s = in_.substr(pos_, size);
        pos_ += size;
        return s;
    }
    // A count of elements each at least one byte long: bounded by what is
    // left, so a corrupt count cannot make a huge allocation.
    uint64_t count() {
        uint64_t n = unsigned_number();
        if (n > in_.size() - pos_) return fail();
        return n;
    }
    uint32_t number32() {
        uint64_t n = unsigned_number();
        if (n > UINT32_MAX) return static_cast<uint32_t>(fail());
        return static_cast<uint32_t>(n);
    }
    void literal(bytecode::Literal& lit, int depth) {
        if (depth > kMaxLiteralDepth) {
            fail();
            return;
        }
        uint64_t kind = unsigned_number();
        if (kind > static_cast<uint64_t>(bytecode::Literal::Kind::Map)) {
            fail();
            return;
        }
        lit.kind = static_cast<bytecode::Literal::Kind>(kind);
        lit.integer = signed_number();
        uint64_t bits = fixed(8);
        std::memcpy(&lit.number, &bits, sizeof bits);
        lit.text = text();
        uint64_t n = count();
        lit.elements.resize(failed_ ? 0 : n);
        for (bytecode::Literal& e : lit.elements) {
            if (failed_) return;
            literal(e, depth + 1);
        }
    }

  private:
    uint64_t fail() {
        failed_ = true;
        pos_ = in_.size();
        return 0;
    }

    std::string_view in_;
    size_t pos_ = 0;
    bool failed_ = false;
};

}  // namespace

std::string write_module(const bytecode::Module& m) {
    Writer w;
    w.text(m.name);
    w.text(m.file);
    w.unsigned_number(m.atoms.size());
    for (const std::string& a : m.atoms)
        w.text(a);
    w.unsigned_number(m.literals.size());
    for (const bytecode::Literal& l : m.literals)
        w.literal(l);
    w.unsigned_number(m.imports.size());
    for (const bytecode::Import& i : m.imports) {
        w.unsigned_number(i.module);
        w.unsigned_number(i.function);
        w.unsigned_number(i.arity);
    }
    w.unsigned_number(m.exports.size());
    for (const bytecode::Export& e : m.exports) {
        w.unsigned_number(e.function);
        w.unsigned_number(e.arity);
        w.unsigned_number(e.label);
    }
    w.unsigned_number(m.lambdas.size());
    for (const bytecode::Lambda& l : m.lambdas) {
        w.unsigned_number(l.function);
        w.unsigned_number(l.arity);
        w.unsigned_number(l.num_free);
        w.unsigned_number(l.label);
        w.unsigned_number(l.index);
        w.unsigned_number(l.uniq);
    }
    w.unsigned_number(m.functions.size());
    for (const bytecode::Function& f : m.functions) {
        w.unsigned_number(f.name);
        w.unsigned_number(f.arity);
        w.unsigned_number(f.entry_label);
        w.unsigned_number(f.info_label);
    }
    w.unsigned_number(m.code.size());
    // Code words are mostly small (opcodes, operands): varints halve them.
    for (uint64_t word : m.code)
        w.unsigned_number(word);
    return w.take();
}

std::string read_module(std::string_view bytes, bytecode::Module& m) {
    Reader r(bytes);
    m.name = r.text();
    m.file = r.text();
    m.atoms.resize(r.count());
    for (std::string& a : m.atoms)
        a = r.text();
    m.literals.resize(r.count());
    for (bytecode::Literal& l : m.literals)
        r.literal(l, 0);
    m.imports.resize(r.count());
    for (bytecode::Import& i : m.imports) {
        i.module = r.number32();
        i.function = r.number32();
        i.arity = r.number32();
    }
    m.exports.resize(r.count());
    for (bytecode::Export& e : m.exports) {
        e.function = r.number32();
        e.arity = r.number32();
        e.label = r.number32();
    }
    m.lambdas.resize(r.count());
    for (bytecode::Lambda& l : m.lambdas) {
        l.function = r.number32();
        l.arity = r.number32();
        l.num_free = r.number32();
        l.label = r.number32();
        l.index = r.number32();
        l.uniq = r.number32();
    }
    m.functions.resize(r.count());
    for (bytecode::Function& f : m.functions) {
        f.name = r.number32();
        f.arity = r.number32();
        f.entry_label = r.number32();
        f.info_label = r.number32();
    }
    m.code.resize(r.count());
    for (uint64_t& word : m.code)
        word = r.unsigned_number();
    if (r.failed()) return "truncated or malformed module bytes";
    if (!r.at_end()) return "trailing bytes after the module";
    return "";
}

std::string write_image(std::vector<std::pair<std::string, std::string>> modules) {
    std::sort(modules.begin(), modules.end());
    size_t index_size = 4;
    for (const auto& [name, bytes] : modules)
        index_size += 4 + name.size() + 16;
    Writer w;
    w.raw(kMagic);
    w.fixed(modules.size(), 4);
    uint64_t offset = kMagic.size() + index_size;
    for (const auto& [name, bytes] : modules) {
        w.fixed(name.size(), 4);
        w.raw(name);
        w.fixed(offset, 8);
        w.fixed(bytes.size(), 8);
        offset += bytes.size();
    }
    for (const auto& [name, bytes] : modules)
        w.raw(bytes);
    return w.take();
}

bool Image::open(std::string_view bytes) {
    entries_.clear();
    if (bytes.substr(0, kMagic.size()) != kMagic) return false;
    Reader r(bytes.substr(kMagic.size()));
    uint64_t n = r.fixed(4);
    for (uint64_t i = 0; i < n && !r.failed(); ++i) {
        Entry e;
        e.name = r.raw(r.fixed(4));
        uint64_t offset = r.fixed(8);
        uint64_t size = r.fixed(8);
        if (r.failed() || offset > bytes.size() || size > bytes.size() - offset) break;
        e.bytes = bytes.substr(offset, size);
        entries_.push_back(e);
    }
    bool sorted = std::is_sorted(entries_.begin(), entries_.end(),
                                 [](const Entry& a, const Entry& b) { return a.name < b.name; });
    if (r.failed() || entries_.size() != n || !sorted) {
        entries_.clear();
        return false;
    }
    return true;
}

std::string_view Image::find(std::string_view name) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                               [](const Entry& e, std::string_view n) { return e.name < n; });
    return it != entries_.end() && it->name == name ? it->bytes : std::string_view();
}

std::vector<std::string_view> Image::names() const {
    std::vector<std::string_view> out;
    for (const Entry& e : entries_)
        out.push_back(e.name);
    return out;
}

}  // namespace image
