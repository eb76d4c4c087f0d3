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
        bytecode::Literal::Kind kind;
        int64_t integer;        // Integer
        double number;          // Float
        std::string_view text;  // BigInteger, Atom, String, Binary
        uint64_t count;         // Tuple: arity; Map: pairs; Cons: heads
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

// Reads a module's code words in order, from `code` or, for a module read
// from an image, from its encoded varints. Malformed bytes end the words
// early (failed() then says so), never read out of bounds.
class CodeReader {
  public:
    explicit CodeReader(const bytecode::Module& module);
    // The number of words (what the module declares).
    uint64_t size() const { return size_; }
    bool at_end() const { return index_ >= size_; }
    bool failed() const { return failed_; }
    // The next word; 0 (and failed()) past the end. Inline for the common
    // case (the loader reads every word through here): a one-byte varint.
    uint64_t next() {
        if (words_ && index_ < size_) return words_[index_++];
        if (index_ + 1 < size_ && pos_ < bytes_.size()) {
            uint8_t byte = static_cast<uint8_t>(bytes_[pos_]);
            if (byte < 0x80) {
                ++pos_;
                ++index_;
                return byte;
            }
        }
        return next_slow();
    }

  private:
    uint64_t next_slow();
    const uint64_t* words_ = nullptr;  // decoded code, or null
    std::string_view bytes_;           // else the varints
    size_t pos_ = 0;
    uint64_t size_ = 0;
    uint64_t index_ = 0;
    bool failed_ = false;
};

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
