// diag: sorting and printing compile diagnostics as erlc does.
#include "compiler/diag.h"

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <tuple>

namespace diag {

void Reporter::add_source(const std::string& file, std::string text) {
    sources_.insert_or_assign(file, std::move(text));
}

void Reporter::error(const std::string& file, token::Pos pos, Phase phase, std::string message) {
    messages_.push_back({file, pos, Severity::Error, phase, std::move(message), sequence_++});
    ++errors_;
}

void Reporter::warning(const std::string& file, token::Pos pos, Phase phase,
                       std::string message) {
    messages_.push_back({file, pos, Severity::Warning, phase, std::move(message), sequence_++});
}

std::string_view Reporter::source_line(const std::string& file, uint32_t line) const {
    auto it = sources_.find(file);
    if (it == sources_.end() || line == 0) return {};
    std::string_view text = it->second;
    for (uint32_t n = 1; n < line; ++n) {
        size_t nl = text.find('\n');
        if (nl == std::string_view::npos) return {};
        text.remove_prefix(nl + 1);
    }
    size_t nl = text.find('\n');
    if (nl != std::string_view::npos) text = text.substr(0, nl);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return text;
}

// The caret line's padding: one space per character before the column, but
// tabs kept as tabs. Characters are UTF-8 sequences; a continuation byte
// adds nothing.
static std::string caret_padding(std::string_view line, uint32_t column) {
    std::string pad;
    uint32_t col = 1;
    for (size_t i = 0; i < line.size() && col < column; ++i) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        if ((c & 0xC0) == 0x80) continue;
        pad += c == '\t' ? '\t' : ' ';
        ++col;
    }
    pad.append(column > col ? column - col : 0, ' ');
    return pad;
}

void Reporter::print_one(std::FILE* out, const Diagnostic& d) const {
    const char* warning = d.severity == Severity::Warning ? "Warning: " : "";
    if (d.pos.column > 0) {
        fmt::print(out, "{}:{}:{}: {}{}\n", d.file, d.pos.line, d.pos.column, warning, d.message);
    } else {
        fmt::print(out, "{}:{}: {}{}\n", d.file, d.pos.line, warning, d.message);
    }
    std::string_view line = source_line(d.file, d.pos.line);
    if (d.pos.line == 0 || (line.empty() && !sources_.count(d.file))) return;
    fmt::print(out, "% {:>4}| {}\n", d.pos.line, line);
    if (d.pos.column > 0) fmt::print(out, "%     | {}^\n", caret_padding(line, d.pos.column));
    fmt::print(out, "\n");
}

void Reporter::print(std::FILE* out) {
    // compile.erl sorts the syntax group by position alone (across files),
    // the rest by file and then position.
    static const std::string kNoFile;
    auto key = [](const Diagnostic& d) {
        const std::string& file = d.phase == Phase::Syntax ? kNoFile : d.file;
        return std::make_tuple(d.severity, d.phase, std::cref(file), d.pos.line, d.pos.column,
                               std::cref(d.file), d.sequence);
    };
    std::sort(messages_.begin(), messages_.end(),
              [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
    for (const Diagnostic& d : messages_) print_one(out, d);
    messages_.clear();
    errors_ = 0;
}

}  // namespace diag
