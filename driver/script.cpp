// script: an escript's header and implicit module name (see script.h).
#include "driver/script.h"

#include <sys/time.h>

#include <fstream>
#include <sstream>

namespace script {

namespace {

// The first `count` lines of `path` (without their newlines); fewer when
// the file is shorter.
std::vector<std::string> first_lines(const std::string& path, int count) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    std::string line;
    while (static_cast<int>(lines.size()) < count && std::getline(in, line))
        lines.push_back(line);
    return lines;
}

std::vector<std::string> words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string word; in >> word;)
        out.push_back(word);
    return out;
}

bool is_flag(const std::string& word) {
    return word.starts_with('-') || word.starts_with('+');
}

}  // namespace

// escript.erl's find_first_body_line: the flags are on line 2, or on line
// 3 when line 2 is another comment (the `-*- erlang -*-` line).
std::optional<Header> read_header(const std::string& path) {
    std::vector<std::string> lines = first_lines(path, 3);
    if (lines.empty() || !lines[0].starts_with("#!")) return std::nullopt;
    Header header;
    header.premature_end = lines.size() < 2 || (lines[1].starts_with('%') && lines.size() < 3);
    for (size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].starts_with("%%!")) {
            header.emu_args = words(lines[i].substr(3));
            break;
        }
        if (!lines[i].starts_with('%')) break;
    }
    return header;
}

std::vector<std::string> code_path(const Header& header) {
    std::vector<std::string> dirs;
    const std::vector<std::string>& args = header.emu_args;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] != "-pa" && args[i] != "-pz") continue;
        for (; i + 1 < args.size() && !is_flag(args[i + 1]); ++i)
            dirs.push_back(args[i + 1]);
    }
    return dirs;
}

std::string implicit_module(const std::string& path) {
    std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    for (char& c : base)
        if (c == '.') c = '_';
    timeval now;
    gettimeofday(&now, nullptr);
    long seconds = now.tv_sec;
    // erlang:timestamp() is {MegaSecs, Secs, MicroSecs}; the unique integer
    // is the first positive one a node gives.
    return base + "__escript__" + std::to_string(seconds / 1'000'000) + "__" +
           std::to_string(seconds % 1'000'000) + "__" + std::to_string(now.tv_usec) + "__1";
}

}  // namespace script
