// token: spellings of token kinds, the reserved-word table, and how tokens
// are named in syntax errors.
#include "compiler/token.h"

#include <fmt/core.h>

#include <array>

namespace token {

namespace {
constexpr std::string_view kSpellings[] = {
#define BEAMLITE_TOKEN_SPELLING(name, spelling) spelling,
    BEAMLITE_TOKENS(BEAMLITE_TOKEN_SPELLING)
#undef BEAMLITE_TOKEN_SPELLING
};
constexpr std::string_view kLiteralNames[] = {"atom", "var", "integer", "float",
                                              "char", "string", "end_of_file"};
}  // namespace

std::string_view spelling(Kind kind) {
    auto index = static_cast<size_t>(kind);
    if (index <= static_cast<size_t>(Kind::Eof)) return kLiteralNames[index];
    return kSpellings[index];
}

Kind keyword(std::string_view word) {
    for (size_t i = static_cast<size_t>(Kind::KwAfter); i <= static_cast<size_t>(Kind::KwXor);
         ++i) {
        if (kSpellings[i] == word) return static_cast<Kind>(i);
    }
    return Kind::Atom;
}

std::string describe(const Token& tok) {
    switch (tok.kind) {
        case Kind::Atom: return fmt::format("'{}'", tok.text);
        case Kind::Var: return std::string(tok.text);
        case Kind::String: return fmt::format("\"{}\"", tok.text);
        case Kind::Integer:
        case Kind::Float:
        case Kind::Char: return std::string(tok.text);
        case Kind::Eof: return "";
        default: return fmt::format("'{}'", spelling(tok.kind));
    }
}

}  // namespace token
