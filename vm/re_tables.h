// re_tables: the character tables PCRE2 classifies bytes by (\w, \d, \s,
// POSIX classes, caseless matching of characters below 256 when not in
// UCP mode). Erlang/OTP builds its PCRE with tables made in an ISO 8859-1
// locale, so é (233) is a word character and matches É caselessly even
// without `unicode`; PCRE2's built-in tables are the C locale's (ASCII
// only). These tables are OTP's, made here from a classification of the
// 256 bytes in the layout of PCRE2's pcre2_maketables().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace re_tables {

// What a byte is, as <ctype.h> says in a locale.
struct CharClass {
    bool digit, upper, lower, alpha, space, xdigit, graph, print, punct, cntrl;
    uint8_t to_lower, to_upper;
};
using Classify = CharClass (*)(unsigned byte);

// The C locale (ASCII) and ISO 8859-1 (Latin-1: letters 170, 181, 186,
// 192..255 but 215 and 247; 160..255 printable; 128..159 controls).
CharClass classify_c(unsigned byte);
CharClass classify_latin1(unsigned byte);

// PCRE2's table size (TABLES_LENGTH in pcre2_internal.h).
constexpr size_t kTablesLength = 1088;
using Tables = std::array<uint8_t, kTablesLength>;

// Tables in pcre2_maketables()'s layout for a classification.
Tables make_tables(Classify classify);

// The Latin-1 tables, made once.
const uint8_t* latin1_tables();

}  // namespace re_tables
