// diag: sorting and printing compile diagnostics as erlc does.
#include "compiler/diag.h"

#include <cstring>

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <tuple>

namespace diag {

void Reporter::add_source(const std::string& file, std::string text) {
    sources_.insert_or_assign(file, Source{std::move(text), {}});
}

void Reporter::error(const std::string& file, token::Pos pos, Phase phase, std::string message) {
    messages_.push_back({file, pos, Severity::Error, phase, std::move(message), sequence_++});
    ++errors_;
}

void Reporter::warning(const std::string& file, token::Pos pos, Phase phase, std::string message) {
    messages_.push_back({file, pos, Severity::Warning, phase, std::move(message), sequence_++});
}

std::optional<std::string_view> Reporter::source_line(const std::string& file,
                                                      uint32_t line) const {
    auto it = sources_.find(file);
    if (it == sources_.end() || line == 0) return std::nullopt;
    const Source& source = it->second;
    if (source.line_starts.empty()) {
        source.line_starts.push_back(0);
        const char* text = source.text.data();
        size_t size = source.text.size();
        for (const void* p = text;
             (p = std::memchr(p, '\n', size - (static_cast<const char*>(p) - text)));) {
            p = static_cast<const char*>(p) + 1;
            source.line_starts.push_back(static_cast<size_t>(static_cast<const char*>(p) - text));
        }
    }
    // A line exists if it starts before the end of the text (a final
    // newline does not begin another line).
    if (line > source.line_starts.size()) return std::nullopt;
    size_t begin = source.line_starts[line - 1];
    if (begin >= source.text.size() && line > 1) return std::nullopt;
    size_t end =
        line < source.line_starts.size() ? source.line_starts[line] - 1 : source.text.size();
    std::string_view text(source.text.data() + begin, end - begin);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    return text;
}

// Text as erlc writes it to a Latin-1 device: code points up to 255 as one
// byte each, larger ones as \x{HEX}. Bytes that are not valid UTF-8 are
// Latin-1 characters already and pass through.
static std::string erlc_text(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size();) {
        auto byte = [&](size_t k) { return static_cast<unsigned char>(utf8[k]); };
        unsigned char c = byte(i);
        size_t length = c < 0x80         ? 1
                        : (c >> 5) == 6  ? 2
                        : (c >> 4) == 14 ? 3
                        : (c >> 3) == 30 ? 4
                                         : 0;
        bool valid = length > 0 && i + length <= utf8.size();
        for (size_t k = 1; valid && k < length; ++k)
            valid = (byte(i + k) & 0xC0) == 0x80;
        if (!valid || length == 1) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        uint32_t code = c & (0x7F >> length);
        for (size_t k = 1; k < length; ++k)
            code = (code << 6) | (byte(i + k) & 0x3F);
        if (code <= 0xFF) {
            out += static_cast<char>(code);
        } else {
            out += fmt::format("\\x{{{:X}}}", code);
        }
        i += length;
    }
    return out;
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
    if (d.pos.line == 0 && d.pos.column == 0) {  // about the file itself, as erlc says it
        fmt::print(out, "{}: {}{}\n", d.file, warning, erlc_text(d.message));
        return;
    }
    bool line_zero = d.pos.line == kLineZero.line && d.pos.column == kLineZero.column;
    if (d.pos.column > 0 && !line_zero) {
        fmt::print(out, "{}:{}:{}: {}{}\n", d.file, d.pos.line, d.pos.column, warning,
                   erlc_text(d.message));
    } else {
        fmt::print(out, "{}:{}: {}{}\n", d.file, d.pos.line, warning, erlc_text(d.message));
    }
    if (!quote_lines_) return;
    // erlc quotes only lines that exist (an error "at" the line after the
    // end of the file gets no quote and no blank line).
    std::optional<std::string_view> line = source_line(d.file, d.pos.line);
    if (!line) return;
    fmt::print(out, "% {:>4}| {}\n", d.pos.line, erlc_text(*line));
    if (d.pos.column > 0) fmt::print(out, "%     | {}^\n", caret_padding(*line, d.pos.column));
    fmt::print(out, "\n");
}

void Reporter::print(std::FILE* out) {
    // compile.erl sorts the syntax group of errors by position alone
    // (across files), the rest by file and then position, ties in report
    // order. Warnings are all sorted as formatted text (report_warnings
    // sorts {{File, Position}, Text}), so ties go by message.
    static const std::string kNoFile;
    static const std::string kNoMessage;
    auto key = [](const Diagnostic& d) {
        bool warning = d.severity == Severity::Warning;
        const std::string& file = d.phase == Phase::Syntax && !warning ? kNoFile : d.file;
        return std::make_tuple(d.severity, warning ? Phase::Syntax : d.phase, std::cref(file),
                               d.pos.line, d.pos.column, std::cref(d.file),
                               std::cref(warning ? d.message : kNoMessage), d.sequence);
    };
    std::sort(messages_.begin(), messages_.end(),
              [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
    for (const Diagnostic& d : messages_)
        print_one(out, d);
    messages_.clear();
    errors_ = 0;
}

}  // namespace diag
