// image: the byte layout of compiled modules and of the library image (see
// image.h). Writer and Reader are the two halves of each field's encoding;
// a field is added to both or to neither.
#include "bytecode/image.h"

#include <algorithm>
#include <cstring>

namespace image {

namespace {

constexpr std::string_view kMagic = "BLIMG001";

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
    // One literal's nodes (the layout in image.h).
    void literal(const bytecode::Literal& lit) {
        using Kind = bytecode::Literal::Kind;
        out_ += static_cast<char>(lit.kind);
        switch (lit.kind) {
            case Kind::Integer:
                signed_number(lit.integer);
                break;
            case Kind::Float: {
                uint64_t bits;
                std::memcpy(&bits, &lit.number, sizeof bits);
                fixed(bits, 8);
                break;
            }
            case Kind::BigInteger:
            case Kind::Atom:
            case Kind::String:
            case Kind::Binary:
                text(lit.text);
                break;
            case Kind::Nil:
                break;
            case Kind::Tuple:
                unsigned_number(lit.elements.size());
                for (const bytecode::Literal& e : lit.elements)
                    literal(e);
                break;
            case Kind::Map:
                unsigned_number(lit.elements.size() / 2);
                for (const bytecode::Literal& e : lit.elements)
                    literal(e);
                break;
            case Kind::Cons:
                list(lit);
                break;
        }
    }
    // [H1, ..., Hn | Tail] as one node: its heads, then the tail.
    void list(const bytecode::Literal& lit) {
        std::vector<const bytecode::Literal*> heads;
        const bytecode::Literal* at = &lit;
        while (at->kind == bytecode::Literal::Kind::Cons && at->elements.size() == 2) {
            heads.push_back(&at->elements[0]);
            at = &at->elements[1];
        }
        unsigned_number(heads.size());
        for (const bytecode::Literal* head : heads)
            literal(*head);
        literal(*at);
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
    size_t remaining() const { return in_.size() - pos_; }

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
    Writer literals;
    for (const bytecode::Literal& l : m.literals)
        literals.literal(l);
    w.unsigned_number(m.literals.size());
    w.text(literals.take());
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
    m.literals.clear();
    m.encoded_literal_count = r.number32();
    m.encoded_literals = r.text();
    if (m.encoded_literal_count > m.encoded_literals.size()) return "malformed literal count";
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
    // The code stays encoded (VarintReader decodes it as the loader reads);
    // it is the rest of the bytes, each word at least one byte.
    m.code.clear();
    m.encoded_code_words = r.count();
    m.encoded_code = r.raw(r.remaining());
    if (r.failed()) return "truncated or malformed module bytes";
    return "";
}

uint64_t VarintReader::next_slow() {
    if (index_ >= size_) {
        failed_ = true;
        return 0;
    }
    ++index_;
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && pos_ < bytes_.size(); shift += 7) {
        uint8_t byte = static_cast<uint8_t>(bytes_[pos_++]);
        value |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            // The last word ends the bytes: anything after it is malformed.
            if (index_ == size_ && pos_ != bytes_.size()) failed_ = true;
            return value;
        }
    }
    failed_ = true;
    index_ = size_;
    return 0;
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
