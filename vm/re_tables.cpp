// re_tables: PCRE2 character tables from a classification of bytes (see
// re_tables.h). The layout is pcre2_maketables()'s, and a unit test checks
// that the C locale's classification gives exactly its bytes.
#include "vm/re_tables.h"

namespace re_tables {

namespace {

// Offsets inside the tables (pcre2_internal.h).
constexpr size_t kLowerCase = 0;
constexpr size_t kFlipCase = 256;
constexpr size_t kClassBits = 512;
constexpr size_t kCharTypes = 832;

// The class bitmaps inside kClassBits, 32 bytes each.
constexpr size_t kBitsSpace = 0, kBitsXdigit = 32, kBitsDigit = 64, kBitsUpper = 96,
                 kBitsLower = 128, kBitsWord = 160, kBitsGraph = 192, kBitsPrint = 224,
                 kBitsPunct = 256, kBitsControl = 288;

// The character type bits (ctype_* in pcre2_internal.h).
constexpr uint8_t kTypeSpace = 0x01, kTypeLetter = 0x02, kTypeLowerLetter = 0x04, kTypeDigit = 0x08,
                  kTypeWord = 0x10;

bool in(unsigned byte, unsigned low, unsigned high) {
    return byte >= low && byte <= high;
}

}  // namespace

CharClass classify_c(unsigned byte) {
    CharClass c{};
    c.digit = in(byte, '0', '9');
    c.upper = in(byte, 'A', 'Z');
    c.lower = in(byte, 'a', 'z');
    c.alpha = c.upper || c.lower;
    c.space = in(byte, 9, 13) || byte == ' ';
    c.xdigit = c.digit || in(byte, 'a', 'f') || in(byte, 'A', 'F');
    c.graph = in(byte, 33, 126);
    c.print = in(byte, 32, 126);
    c.punct = c.graph && !c.alpha && !c.digit;
    c.cntrl = byte < 32 || byte == 127;
    c.to_lower = uint8_t(c.upper ? byte + 32 : byte);
    c.to_upper = uint8_t(c.lower ? byte - 32 : byte);
    return c;
}

CharClass classify_latin1(unsigned byte) {
    if (byte < 128) return classify_c(byte);
    CharClass c{};
    c.upper = in(byte, 192, 222) && byte != 215;
    // ß (223) and ÿ (255) are lower case with no upper case in Latin-1;
    // so are ª (170), µ (181) and º (186).
    c.lower = (in(byte, 223, 255) && byte != 247) || byte == 170 || byte == 181 || byte == 186;
    c.alpha = c.upper || c.lower;
    c.graph = c.print = byte >= 160;
    c.punct = c.graph && !c.alpha;
    c.cntrl = byte < 160;
    bool has_pair = byte != 223 && byte != 255 && in(byte, 192, 254);
    c.to_lower = uint8_t(c.upper ? byte + 32 : byte);
    c.to_upper = uint8_t(c.lower && has_pair ? byte - 32 : byte);
    return c;
}

Tables make_tables(Classify classify) {
    Tables tables{};
    for (unsigned byte = 0; byte < 256; ++byte) {
        CharClass c = classify(byte);
        tables[kLowerCase + byte] = c.to_lower;
        tables[kFlipCase + byte] = c.lower ? c.to_upper : c.to_lower;
        auto set_bit = [&](size_t bitmap, bool on) {
            if (on) tables[kClassBits + bitmap + byte / 8] |= uint8_t(1u << (byte % 8));
        };
        bool word = c.alpha || c.digit || byte == '_';
        set_bit(kBitsDigit, c.digit);
        set_bit(kBitsUpper, c.upper);
        set_bit(kBitsLower, c.lower);
        set_bit(kBitsWord, word);
        set_bit(kBitsSpace, c.space);
        set_bit(kBitsXdigit, c.xdigit);
        set_bit(kBitsGraph, c.graph);
        set_bit(kBitsPrint, c.print);
        set_bit(kBitsPunct, c.punct);
        set_bit(kBitsControl, c.cntrl);
        uint8_t type = 0;
        if (c.space) type |= kTypeSpace;
        if (c.alpha) type |= kTypeLetter;
        if (c.lower) type |= kTypeLowerLetter;
        if (c.digit) type |= kTypeDigit;
        if (word) type |= kTypeWord;
        tables[kCharTypes + byte] = type;
    }
    return tables;
}

const uint8_t* latin1_tables() {
    static const Tables tables = make_tables(classify_latin1);
    return tables.data();
}

}  // namespace re_tables
