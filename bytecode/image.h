// image: compiled modules as bytes, so that the library can be compiled at
// build time and loaded at run time without the compiler. One owner for the
// byte layout: the writer (the library build step) and the reader (the VM's
// code server) both call these functions.
//
// An image holds any number of modules, found by name:
//
//   +---------------------------+
//   | magic "BLIMG001"  8 bytes |
//   | module count      u32     |
//   | index, by name:           |   name: u32 length + bytes
//   |   name, offset u64,       |   offset: from the image's first byte
//   |   size u64                |
//   | module bytes ...          |
//   +---------------------------+
//
// A module's bytes are its bytecode::Module fields in declaration order:
// unsigned numbers as LEB128 varints, signed ones zigzag-encoded, doubles
// as their 8 bytes, strings and vectors as a varint count and their
// elements. Integers are little endian throughout. The literals are one
// section (a varint count, a varint byte length, the nodes) that the
// reader does not decode: the loader builds terms straight from it
// (LiteralReader), with no tree in between. Each literal is its nodes in
// pre-order, a node a kind byte (bytecode::Literal::Kind) and a payload:
//
//   Integer     zigzag varint        Float                8 bytes (IEEE)
//   BigInteger  text (decimal)       Atom String Binary   text
//   Nil         -                    Tuple                varint arity, elements
//   Map         varint pairs, then key, value, key, value, ...
//   Cons        varint n >= 1, n heads, then the tail: a list is one node
//               however long, so building it never recurses along it
//
// (text: a varint byte count and the bytes; String text is UTF-8)
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytecode/bytecode.h"

namespace image {

// The bytes of one module.
std::string write_module(const bytecode::Module& module);

// Decodes what write_module wrote. Returns "" or what is wrong (truncated
// or malformed bytes never read out of bounds).
std::string read_module(std::string_view bytes, bytecode::Module& out);

// Reads encoded literals node by node (see above). Malformed bytes make
// next() return false, never read out of bounds.
class LiteralReader {
  public:
    struct Node {
        bytecode::Literal::Kind kind{};
        int64_t integer = 0;    // Integer
        double number = 0;      // Float
        std::string_view text;  // BigInteger, Atom, String, Binary
        uint64_t count = 0;     // Tuple: arity; Map: pairs; Cons: heads
    };
    explicit LiteralReader(std::string_view bytes) : bytes_(bytes) {}
    bool next(Node& node);
    // Bytes not read yet (a count larger than this is malformed).
    size_t remaining() const { return bytes_.size() - pos_; }

  private:
    bool number(uint64_t& value);
    std::string_view bytes_;
    size_t pos_ = 0;
};

// Inline: the loader reads every literal node through these.
inline bool LiteralReader::number(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64 && pos_ < bytes_.size(); shift += 7) {
        uint8_t byte = static_cast<uint8_t>(bytes_[pos_++]);
        value |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return true;
    }
    return false;
}

inline bool LiteralReader::next(Node& node) {
    using Kind = bytecode::Literal::Kind;
    if (pos_ >= bytes_.size()) return false;
    uint8_t kind = static_cast<uint8_t>(bytes_[pos_++]);
    if (kind > static_cast<uint8_t>(Kind::Map)) return false;
    node.kind = static_cast<Kind>(kind);
    uint64_t value = 0;
    switch (node.kind) {
        case Kind::Integer:
            if (!number(value)) return false;
            node.integer = static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
            return true;
        case Kind::Float:
            if (remaining() < 8) return false;
            for (int i = 0; i < 8; ++i)
                value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_++])) << (8 * i);
            std::memcpy(&node.number, &value, sizeof value);
            return true;
        case Kind::BigInteger:
        case Kind::Atom:
        case Kind::String:
        case Kind::Binary:
            if (!number(value) || value > remaining()) return false;
            node.text = bytes_.substr(pos_, value);
            pos_ += value;
            return true;
        case Kind::Nil:
            return true;
        case Kind::Tuple:
        case Kind::Map:
        case Kind::Cons:
            // Every element takes a byte at least: a larger count is malformed.
            if (!number(node.count) || node.count > remaining()) return false;
            return node.kind != Kind::Cons || node.count > 0;
    }
    return false;
}

// Read a module's code words in order: WordReader from `code`,
// VarintReader from an image module's encoded varints. The two have one
// interface, so the loader is a template over them and reads either with
// no test per word of which it is. Malformed bytes end the words early
// (failed() then says so), never read out of bounds.
class WordReader {
  public:
    explicit WordReader(const std::vector<uint64_t>& words) : words_(words) {}
    uint64_t size() const { return words_.size(); }
    bool at_end() const { return index_ >= words_.size(); }
    bool failed() const { return failed_; }
    // The next word; 0 (and failed()) past the end.
    uint64_t next() {
        if (index_ < words_.size()) return words_[index_++];
        failed_ = true;
        return 0;
    }

  private:
    const std::vector<uint64_t>& words_;
    size_t index_ = 0;
    bool failed_ = false;
};

class VarintReader {
  public:
    VarintReader(std::string_view bytes, uint64_t words) : bytes_(bytes), size_(words) {}
    uint64_t size() const { return size_; }
    bool at_end() const { return index_ >= size_; }
    bool failed() const { return failed_; }
    // Inline for the common cases (the loader reads every word through
    // here): a varint of one or two bytes. The last word takes the slow
    // path, which checks that it ends the bytes.
    uint64_t next() {
        if (index_ + 1 < size_ && bytes_.size() - pos_ >= 2) {
            uint8_t first = static_cast<uint8_t>(bytes_[pos_]);
            if (first < 0x80) {
                ++pos_;
                ++index_;
                return first;
            }
            uint8_t second = static_cast<uint8_t>(bytes_[pos_ + 1]);
            if (second < 0x80) {
                pos_ += 2;
                ++index_;
                return uint64_t(first & 0x7f) | uint64_t(second) << 7;
            }
        }
        return next_slow();
    }

  private:
    uint64_t next_slow();
    std::string_view bytes_;
    size_t pos_ = 0;
    uint64_t size_ = 0;
    uint64_t index_ = 0;
    bool failed_ = false;
};

// Calls fn(word) for each code word of `module`, decoded or encoded.
template <class Fn>
void for_each_code_word(const bytecode::Module& module, Fn fn) {
    if (!module.code.empty() || module.encoded_code.empty()) {
        for (uint64_t word : module.code)
            fn(word);
        return;
    }
    for (VarintReader code(module.encoded_code, module.encoded_code_words); !code.at_end();)
        fn(code.next());
}

// An image of (name, module bytes) pairs, sorted by name.
std::string write_image(std::vector<std::pair<std::string, std::string>> modules);

// A read-only view of an image in memory (the bytes embedded in the binary).
class Image {
  public:
    Image() = default;
    // False if `bytes` is not an image (wrong magic, index out of bounds).
    bool open(std::string_view bytes);
    // The bytes of module `name`, or an empty view.
    std::string_view find(std::string_view name) const;
    // Every module name, sorted.
    std::vector<std::string_view> names() const;

  private:
    struct Entry {
        std::string_view name;
        std::string_view bytes;
    };
    std::vector<Entry> entries_;  // sorted by name
};

}  // namespace image
