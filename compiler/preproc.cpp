// preproc: epp, token based. Reads each file, scans it whole, then walks its
// tokens form by form (a form ends at a Dot) the way epp asks erl_scan for
// one form at a time: directives are executed, other forms have their macros
// expanded and are returned. Inside a skipped -ifdef/-if branch only the
// conditional directives are looked at, and scan errors there are ignored,
// as in epp.
//
// Error positions and wording follow epp (OTP 25): an error in a form
// reports the first problem only, and the form is returned marked failed.
#include "compiler/preproc.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <unordered_map>
#include <variant>

#include "compiler/bundled_headers.h"
#include "compiler/lexer.h"

namespace preproc {

using token::Kind;
using token::Pos;
using token::Token;
using Tokens = std::vector<Token>;

namespace {

constexpr int kNoArgs = -1;  // the arity of a macro defined without parentheses
constexpr size_t kMaxIncludeDepth = 8;
constexpr int kOtpRelease = 25;

// An epp error: where, and the message.
struct Failure {
    Pos pos;
    std::string message;
};

struct MacroDef {
    std::vector<std::string_view> params;
    Tokens body;
};

// All definitions of one macro name. `undefined` is epp's placeholder for
// ?MODULE before -module and for ?FUNCTION_NAME (defined-but-unset: using
// it is "undefined macro", redefining it is "redefining predefined").
struct Macro {
    bool predefined = false;
    bool undefined = false;
    std::map<int, MacroDef> defs;  // by arity, kNoArgs for no parentheses
};

using MacroUse = std::pair<std::string, int>;

enum class Cond : uint8_t { Ifdef, Ifndef, If, Else, Elif };

const char* cond_name(Cond c) {
    switch (c) {
        case Cond::Ifdef:
            return "ifdef";
        case Cond::Ifndef:
            return "ifndef";
        case Cond::If:
            return "if";
        case Cond::Else:
            return "else";
        case Cond::Elif:
            return "elif";
    }
    return "";
}

// One file being read.
struct Source {
    std::string name;                        // as messages print it
    std::string dir;                         // searched first for its -include files
    std::optional<lexer::FileScanner> scan;  // holds the current form's tokens
    size_t next = 0;                         // index of the next token in scan->tokens()
    size_t next_error = 0;                   // index into scan->errors()
    std::vector<Cond> conds;
    bool gave_up = false;
    int line_delta = 0;  // from -file
};

// A name as epp prints it with ~ts (no quotes).
std::string name_of(const Token& tok) {
    return std::string(tok.text);
}

bool is_name(const Token& tok) {
    return tok.kind == Kind::Atom || tok.kind == Kind::Var;
}

bool is_atom(const Token& tok, std::string_view text) {
    return tok.kind == Kind::Atom && tok.text == text;
}

std::string read_file(const std::string& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    ok = static_cast<bool>(in);
    if (!ok) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// An escript's `#!` line becomes an empty line (its newline stays, so the
// lines after it keep their numbers). The `%%!` line after it is a comment
// to the scanner already.
void blank_shebang(std::string& text) {
    if (!is_escript(text)) return;
    text.erase(0, std::min(text.find('\n'), text.size()));
}

bool is_regular_file(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

// file:path_open's name for `name` found in `dir` ("." is left out).
std::string join_path(const std::string& dir, const std::string& name) {
    if (name.starts_with('/') || dir.empty() || dir == ".") return name;
    if (dir.ends_with('/')) return dir + name;
    return dir + "/" + name;
}

std::string dir_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// epp's expand_var: a leading $VAR in an include path names an environment
// variable.
std::string expand_env(const std::string& path) {
    if (!path.starts_with('$')) return path;
    size_t slash = path.find('/');
    std::string var = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) return path;
    return std::string(value) + (slash == std::string::npos ? "" : path.substr(slash));
}

// ---- stringifying tokens (??Arg and -error/-warning messages) ----

// How io_lib writes a float with ~w: the shortest digits that read back the
// same, in whichever of fixed or scientific notation is shorter (fixed on a
// tie): 1500.0 is "1.5e3", 100.0 is "100.0", 0.0025 is "0.0025".
std::string write_float(double value) {
    char buffer[64];
    auto result =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string text(buffer, result.ptr);
    std::string sign;
    if (text.starts_with('-')) {
        sign = "-";
        text.erase(0, 1);
    }
    size_t e = text.find('e');
    std::string digits = text.substr(0, e);
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    int exponent = std::stoi(text.substr(e + 1));
    std::string scientific = digits.substr(0, 1) + "." +
                             (digits.size() > 1 ? digits.substr(1) : "0") + "e" +
                             std::to_string(exponent);
    std::string fixed;
    int point = exponent + 1;  // digits before the decimal point
    if (point <= 0) {
        fixed = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
        fixed = digits + std::string(point - digits.size(), '0') + ".0";
    } else {
        fixed = digits.substr(0, point) + "." + digits.substr(point);
    }
    return sign + (fixed.size() <= scientific.size() ? fixed : scientific);
}

// epp's token_src.
std::string token_source(const Token& tok) {
    switch (tok.kind) {
        case Kind::Atom:
            return lexer::write_atom(tok.text);
        case Kind::Var:
            return std::string(tok.text);
        case Kind::Char:
            return lexer::write_char(static_cast<uint32_t>(tok.int_value));
        case Kind::String:
            return lexer::write_string(tok.text);
        case Kind::Integer:
            return tok.is_big ? std::string(tok.text) : std::to_string(tok.int_value);
        case Kind::Float:
            return write_float(tok.float_value);
        case Kind::Dot:
            return ".";
        case Kind::Other:
            return std::string(tok.text);
        default:
            return std::string(token::spelling(tok.kind));
    }
}

std::string stringify(std::span<const Token> tokens) {
    std::string out;
    for (const Token& tok : tokens) {
        if (!out.empty()) out += ' ';
        out += token_source(tok);
    }
    return out;
}

// ---- macro arguments ----

// The closing token a token opens inside a macro argument, per epp's
// macro_arg: brackets, and the keywords that end with `end`.
std::optional<Kind> closer_of(const Tokens& toks, size_t i) {
    switch (toks[i].kind) {
        case Kind::LParen:
            return Kind::RParen;
        case Kind::LtLt:
            return Kind::GtGt;
        case Kind::LBracket:
            return Kind::RBracket;
        case Kind::LBrace:
            return Kind::RBrace;
        case Kind::KwBegin:
        case Kind::KwIf:
        case Kind::KwCase:
        case Kind::KwReceive:
        case Kind::KwTry:
        case Kind::KwCond:
            return Kind::KwEnd;
        case Kind::KwFun:
            // `fun (` and `fun Name (` open a fun that ends with `end`;
            // `fun f/1` does not.
            if (i + 1 < toks.size() && toks[i + 1].kind == Kind::LParen) return Kind::KwEnd;
            if (i + 2 < toks.size() && toks[i + 1].kind == Kind::Var &&
                toks[i + 2].kind == Kind::LParen) {
                return Kind::KwEnd;
            }
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

// One macro argument starting at `i`: ends before a ',' or ')' at depth 0,
// or at the end of the tokens. Returns the index after the argument.
size_t macro_arg_end(const Tokens& toks, size_t i) {
    std::vector<Kind> expected;
    for (; i < toks.size(); ++i) {
        Kind kind = toks[i].kind;
        if (expected.empty() && (kind == Kind::Comma || kind == Kind::RParen)) return i;
        if (std::optional<Kind> closer = closer_of(toks, i)) {
            if (toks[i].kind == Kind::KwFun && toks[i + 1].kind == Kind::Var) ++i;
            expected.push_back(*closer);
        } else if (!expected.empty() && kind == expected.back()) {
            expected.pop_back();
        }
    }
    return i;
}

// epp's count_args for a call at `i` (just after the macro name): the
// number of arguments, kNoArgs without parentheses, or a failure.
std::variant<int, Failure> count_args(const Tokens& toks, size_t i, Pos at,
                                      const std::string& name) {
    auto arg_error = Failure{at, fmt::format("badly formed argument for macro '{}'", name)};
    if (i >= toks.size() || toks[i].kind != Kind::LParen) return kNoArgs;
    if (i + 1 < toks.size() && toks[i + 1].kind == Kind::RParen) return 0;
    if (i + 1 < toks.size() && toks[i + 1].kind == Kind::Comma) return arg_error;
    int count = 1;
    size_t at_arg = macro_arg_end(toks, i + 1);
    for (;;) {
        if (at_arg >= toks.size()) return arg_error;
        if (toks[at_arg].kind == Kind::RParen) return count;
        if (toks[at_arg].kind != Kind::Comma) {
            return Failure{at, fmt::format("argument mismatch for macro '{}'", name)};
        }
        if (at_arg + 1 < toks.size() && toks[at_arg + 1].kind == Kind::RParen) return arg_error;
        ++count;
        at_arg = macro_arg_end(toks, at_arg + 1);
    }
}

// ---- the preprocessor ----

// The directory of application `app` in library root `root`: `root/app`,
// or the `root/app-VSN` with the highest version (compared as erlc's
// code server does, by the numeric parts of VSN).
std::optional<std::string> application_dir(const std::string& root, const std::string& app) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(fs::path(root) / app, ec)) return (fs::path(root) / app).string();
    std::optional<std::string> best;
    std::vector<long> best_version;
    for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
        std::string dir = entry.path().filename().string();
        if (dir.size() <= app.size() + 1 || !dir.starts_with(app) || dir[app.size()] != '-')
            continue;
        std::vector<long> version;
        const char* p = dir.c_str() + app.size() + 1;
        while (*p != '\0') {
            char* end;
            version.push_back(std::strtol(p, &end, 10));
            p = *end == '\0' ? end : end + 1;
        }
        if (!best || version > best_version) {
            best = entry.path().string();
            best_version = std::move(version);
        }
    }
    return best;
}

class Preprocessor {
  public:
    Preprocessor(const Options& options, ast::Arena& arena, diag::Reporter& reporter,
                 const FormSink& sink)
        : options_(options), arena_(arena), reporter_(reporter), sink_(sink) {}

    void run(const std::string& path);

  private:
    // Files.
    bool enter(const std::string& path, const std::string& name);
    void leave();
    std::optional<Tokens> next_form(bool skipping);
    void skip(std::vector<Cond> stack);
    bool report_scan_errors(bool skipping);

    // Forms.
    void form(Tokens toks);
    void emit(Tokens toks, bool failed);
    void error(Pos pos, std::string message) {
        reporter_.error(current_name(), pos, diag::Phase::Syntax, std::move(message));
    }
    void error(const Failure& f) { error(f.pos, f.message); }
    const std::string& current_name() const { return files_.back().name; }

    // Directives.
    void define(const Tokens& toks);
    void undef(const Tokens& toks);
    void include(const Tokens& toks, bool lib);
    void ifdef(const Tokens& toks, Cond cond);
    void if_directive(const Tokens& toks, Cond cond);
    void else_directive(const Tokens& toks);
    void elif_directive(const Tokens& toks);
    void endif(const Tokens& toks);
    void file_directive(const Tokens& toks);
    void error_directive(const Tokens& toks, bool is_error);
    void note_module(const Tokens& toks);
    bool defined(std::string_view name) const;

    // Macro expansion.
    std::variant<Tokens, Failure> expand(const Tokens& input, size_t unused = 0);
    std::optional<Failure> expand_call(Tokens& toks, size_t& i, Tokens& out);
    std::optional<Failure> check_uses(const MacroUse& use, Pos at);
    std::optional<Failure> function_name(const Token& macro, std::pair<std::string, int>& out);
    Tokens substitute(const MacroDef& def, Pos at, const std::map<std::string_view, Tokens>& args);
    std::optional<Failure> macro_uses(const Tokens& body, std::vector<MacroUse>& uses);
    std::variant<std::optional<std::string>, Failure> resolve_include(const std::string& name,
                                                                      bool lib);

    // -if expressions.
    std::variant<bool, Failure> evaluate_if(const Tokens& toks, const Token& directive);

    void predefine(const std::string& file);
    void set_predef(const std::string& name, Tokens body);
    Token make(Kind kind, std::string_view text, Pos pos = {1, 0}) const {
        Token tok;
        tok.kind = kind;
        tok.text = text;
        tok.pos = pos;
        return tok;
    }

    const Options& options_;
    ast::Arena& arena_;
    diag::Reporter& reporter_;
    std::vector<Source> files_;
    const FormSink& sink_;
    Form form_;  // handed to sink_; its token buffer is reused
    std::unordered_map<std::string, Macro> macros_;
    std::unordered_map<std::string, std::map<int, std::vector<MacroUse>>> uses_;
    std::string main_dir_;

    // The current form, for ?FUNCTION_NAME: its unexpanded tokens and, once
    // computed, the function it defines.
    const Tokens* form_tokens_ = nullptr;
    std::optional<std::pair<std::string, int>> function_;
    bool resolving_function_ = false;
};

void Preprocessor::run(const std::string& path) {
    main_dir_ = dir_of(path);
    predefine(path);
    if (!options_.escript_module.empty()) {
        std::string_view name = arena_.string(options_.escript_module);
        set_predef("MODULE", {make(Kind::Atom, name)});
        set_predef("MODULE_STRING", {make(Kind::String, name)});
    }
    if (!enter(path, path)) {
        reporter_.error(path, {}, diag::Phase::Syntax, "no such file or directory");
        return;
    }
    while (!files_.empty()) {
        std::optional<Tokens> toks = next_form(false);
        if (!toks) {
            leave();
            continue;
        }
        form(std::move(*toks));
    }
}

bool Preprocessor::enter(const std::string& path, const std::string& name) {
    bool ok = false;
    std::string text;
    if (const std::string_view* bundled = bundled_headers::find(path)) {
        text = std::string(*bundled);
        ok = true;
    } else {
        text = read_file(path, ok);
    }
    if (!ok) return false;
    bool escript = files_.empty() && !options_.escript_module.empty();
    if (escript) blank_shebang(text);
    Source source;
    source.name = name;
    source.dir = path.starts_with(bundled_headers::kPrefix) ? "" : dir_of(name);
    source.scan.emplace(text, arena_, escript);
    reporter_.add_source(name, std::string(source.scan->text()));
    files_.push_back(std::move(source));
    set_predef("FILE", {make(Kind::String, arena_.string(name))});
    return true;
}

// epp's leave_file: unterminated conditionals are reported at the end of
// the file; ?FILE reverts to the includer.
void Preprocessor::leave() {
    Source& file = files_.back();
    // The last form scanned ended with the Eof (next_form saw it).
    const Tokens& last = file.scan->tokens();
    Pos end = last.empty() ? Pos{} : last.back().pos;
    for (auto it = file.conds.rbegin(); it != file.conds.rend(); ++it) {
        error(end, fmt::format("unterminated '-{}'", cond_name(*it)));
    }
    files_.pop_back();
    if (!files_.empty()) {
        set_predef("FILE", {make(Kind::String, arena_.string(files_.back().name))});
    }
}

// Reports the scan errors that come before the next form. Returns false when
// the file is to be abandoned (invalid UTF-8).
bool Preprocessor::report_scan_errors(bool skipping) {
    Source& file = files_.back();
    bool translate_error = false;
    const std::vector<lexer::ScanError>& errors = file.scan->errors();
    while (file.next_error < errors.size() && errors[file.next_error].before_token <= file.next) {
        const lexer::ScanError& e = errors[file.next_error++];
        switch (e.kind) {
            case lexer::ErrorKind::Token:
                if (!skipping) error(e.pos, e.message);
                break;
            case lexer::ErrorKind::InvalidUnicode:
                error(e.pos, e.message);
                translate_error = true;
                break;
            case lexer::ErrorKind::GiveUp:
                // Skipping epp leaves at the translation error without this.
                if (!skipping || !translate_error) error(e.pos, e.message);
                file.gave_up = true;
                return false;
        }
    }
    return true;
}

// The tokens of the next form of the current file (up to and including its
// Dot, or up to the end), nullopt at the end of the file. Scan errors before
// it are reported first (most are ignored in a skipped branch).
std::optional<Tokens> Preprocessor::next_form(bool skipping) {
    Source& file = files_.back();
    if (file.gave_up) return std::nullopt;
    if (file.next >= file.scan->tokens().size()) {
        if (!file.scan->next_form()) return std::nullopt;
        file.next = 0;
        file.next_error = 0;
    }
    if (!report_scan_errors(skipping)) return std::nullopt;
    const Tokens& all = file.scan->tokens();
    if (file.next >= all.size() || all[file.next].kind == Kind::Eof) return std::nullopt;
    size_t start = file.next;
    size_t end = start;
    while (all[end].kind != Kind::Eof && all[end].kind != Kind::Dot)
        ++end;
    if (all[end].kind == Kind::Dot) ++end;
    file.next = end;
    Tokens toks(all.begin() + start, all.begin() + end);
    if (file.line_delta != 0) {
        for (Token& t : toks)
            t.pos.line = static_cast<uint32_t>(static_cast<int>(t.pos.line) - file.line_delta);
    }
    return toks;
}

void Preprocessor::emit(Tokens toks, bool failed) {
    form_.file = current_name();
    form_.tokens = std::move(toks);
    form_.failed = failed;
    sink_(form_);
}

void Preprocessor::form(Tokens toks) {
    if (toks.size() >= 2 && toks[0].kind == Kind::Minus) {
        const Token& word = toks[1];
        Tokens rest(toks.begin() + 2, toks.end());
        if (is_atom(word, "define")) return define(toks);
        if (is_atom(word, "undef")) return undef(toks);
        if (is_atom(word, "include")) return include(toks, false);
        if (is_atom(word, "include_lib")) return include(toks, true);
        if (is_atom(word, "ifdef")) return ifdef(toks, Cond::Ifdef);
        if (is_atom(word, "ifndef")) return ifdef(toks, Cond::Ifndef);
        if (word.kind == Kind::KwIf) return if_directive(toks, Cond::If);
        if (is_atom(word, "elif")) return elif_directive(toks);
        if (is_atom(word, "else")) return else_directive(toks);
        if (is_atom(word, "endif")) return endif(toks);
        if (is_atom(word, "error")) return error_directive(toks, true);
        if (is_atom(word, "warning")) return error_directive(toks, false);
        if (is_atom(word, "file")) return file_directive(toks);
    }
    form_tokens_ = &toks;
    function_.reset();
    std::variant<Tokens, Failure> expanded = expand(toks, 0);
    form_tokens_ = nullptr;
    if (Failure* f = std::get_if<Failure>(&expanded)) {
        error(*f);
        emit(std::move(toks), true);
        return;
    }
    Tokens& result = std::get<Tokens>(expanded);
    note_module(result);
    emit(std::move(result), false);
}

// After -module(M): ?MODULE and ?MODULE_STRING.
void Preprocessor::note_module(const Tokens& toks) {
    if (toks.size() < 5 || toks[0].kind != Kind::Minus || !is_atom(toks[1], "module") ||
        toks[2].kind != Kind::LParen || toks[3].kind != Kind::Atom) {
        return;
    }
    if (toks[4].kind != Kind::RParen && toks[4].kind != Kind::Comma) return;
    set_predef("MODULE", {toks[3]});
    set_predef("MODULE_STRING", {make(Kind::String, toks[3].text, toks[3].pos)});
}

void Preprocessor::set_predef(const std::string& name, Tokens body) {
    Macro& m = macros_[name];
    m.predefined = true;
    m.undefined = false;
    m.defs.clear();
    m.defs[kNoArgs].body = std::move(body);
}

void Preprocessor::predefine(const std::string& file) {
    set_predef("FILE", {make(Kind::String, arena_.string(file))});
    Token line = make(Kind::Integer, "1");
    line.int_value = 1;
    set_predef("LINE", {line});
    for (const char* name : {"MODULE", "MODULE_STRING", "FUNCTION_NAME", "FUNCTION_ARITY",
                             "BASE_MODULE", "BASE_MODULE_STRING"}) {
        Macro& m = macros_[name];
        m.predefined = true;
        m.undefined = true;
    }
    set_predef("MACHINE", {make(Kind::Atom, "BEAM")});
    set_predef("BEAM", {make(Kind::Atom, "true")});
    Token release = make(Kind::Integer, "25");
    release.int_value = kOtpRelease;
    set_predef("OTP_RELEASE", {release});
    // FEATURE_AVAILABLE(X) is ((X) == maybe_expr); no feature is enabled.
    MacroDef available;
    available.params = {"X"};
    available.body = {make(Kind::LParen, "("), make(Kind::LParen, "("),
                      make(Kind::Var, "X"),    make(Kind::RParen, ")"),
                      make(Kind::EqEq, "=="),  make(Kind::Atom, "maybe_expr"),
                      make(Kind::RParen, ")")};
    macros_["FEATURE_AVAILABLE"].defs[1] = available;
    MacroDef enabled;
    enabled.params = {"X"};
    enabled.body = {make(Kind::Atom, "false")};
    macros_["FEATURE_ENABLED"].defs[1] = enabled;
}

bool Preprocessor::defined(std::string_view name) const {
    auto it = macros_.find(std::string(name));
    return it != macros_.end() && !it->second.undefined;
}

// ---- -define and -undef ----

// epp's find_mismatch: the first token that breaks the expected shape, or
// the directive name when the tokens run out.
const Token& mismatch(const Tokens& toks, std::initializer_list<Kind> shape) {
    size_t i = 2;
    for (Kind expected : shape) {
        if (i >= toks.size()) return toks[i - 1];
        bool ok = expected == Kind::Atom ? is_name(toks[i]) : toks[i].kind == expected;
        if (!ok) return toks[i];
        ++i;
    }
    return i < toks.size() ? toks[i] : toks[1];
}

const Token& token_after(const Tokens& toks, size_t i, const Token& fallback) {
    return i < toks.size() ? toks[i] : fallback;
}

void Preprocessor::define(const Tokens& toks) {
    auto bad = [&](const Token& at) { error(at.pos, "badly formed 'define'"); };
    if (toks.size() < 4 || toks[2].kind != Kind::LParen || !is_name(toks[3])) {
        return bad(toks.size() > 2 && toks[2].kind == Kind::LParen ? token_after(toks, 3, toks[2])
                                                                   : token_after(toks, 2, toks[1]));
    }
    const Token& name = toks[3];
    MacroDef def;
    int arity = kNoArgs;
    size_t i = 4;
    if (i < toks.size() && toks[i].kind == Kind::LParen) {
        // Parameters: Var {, Var} ')' then ','.
        const Token* last = &toks[i];
        ++i;
        arity = 0;
        bool first = true;
        while (true) {
            if (i < toks.size() && toks[i].kind == Kind::RParen) break;
            if (!first) {
                if (i >= toks.size() || toks[i].kind != Kind::Comma)
                    return bad(token_after(toks, i, *last));
                last = &toks[i++];
            }
            if (i >= toks.size() || toks[i].kind != Kind::Var)
                return bad(token_after(toks, i, *last));
            for (std::string_view p : def.params) {
                if (p == toks[i].text) {
                    return error(toks[i].pos,
                                 fmt::format("argument '{}' already used", toks[i].text));
                }
            }
            def.params.push_back(toks[i].text);
            last = &toks[i++];
            first = false;
        }
        arity = static_cast<int>(def.params.size());
        const Token& close = toks[i++];
        if (i >= toks.size() || toks[i].kind != Kind::Comma) {
            return error(token_after(toks, i, close).pos, "badly formed define: missing comma");
        }
    } else if (i >= toks.size() || toks[i].kind != Kind::Comma) {
        return bad(token_after(toks, i, toks[1]));
    }
    // The body runs from after the ',' to the final ") .".
    size_t body_start = i + 1;
    size_t end = toks.size();
    if (end == 0 || toks[end - 1].kind != Kind::Dot) {
        return error(toks[end - 1].pos, "premature end");
    }
    if (end - body_start < 2 || toks[end - 2].kind != Kind::RParen) {
        return error(toks[end - 1].pos, "badly formed define: missing closing right parenthesis");
    }
    def.body.assign(toks.begin() + body_start, toks.begin() + (end - 2));

    std::string key = name_of(name);
    auto it = macros_.find(key);
    if (it != macros_.end()) {
        if (it->second.predefined) {
            return error(name.pos, fmt::format("redefining predefined macro '{}'", key));
        }
        if (it->second.defs.count(arity) != 0) {
            return error(name.pos, fmt::format("redefining macro '{}'", key));
        }
    }
    std::vector<MacroUse> uses;
    if (std::optional<Failure> f = macro_uses(def.body, uses)) return error(*f);
    macros_[key].defs[arity] = std::move(def);
    uses_[key][arity] = std::move(uses);
}

// The macros a body calls, with the arity of each call (epp's macro_ref).
std::optional<Failure> Preprocessor::macro_uses(const Tokens& body, std::vector<MacroUse>& uses) {
    for (size_t i = 0; i + 1 < body.size(); ++i) {
        if (body[i].kind != Kind::Question) continue;
        if (body[i + 1].kind == Kind::Question) {
            ++i;
            continue;
        }
        if (!is_name(body[i + 1])) continue;
        std::string name = name_of(body[i + 1]);
        std::variant<int, Failure> arity = count_args(body, i + 2, body[i + 1].pos, name);
        if (Failure* f = std::get_if<Failure>(&arity)) return *f;
        uses.emplace_back(name, std::get<int>(arity));
    }
    return std::nullopt;
}

void Preprocessor::undef(const Tokens& toks) {
    if (toks.size() == 6 && toks[2].kind == Kind::LParen && is_name(toks[3]) &&
        toks[4].kind == Kind::RParen && toks[5].kind == Kind::Dot) {
        macros_.erase(name_of(toks[3]));
        uses_.erase(name_of(toks[3]));
        return;
    }
    error(mismatch(toks, {Kind::LParen, Kind::Atom, Kind::RParen, Kind::Dot}).pos,
          "badly formed 'undef'");
}

// ---- -include and -include_lib ----

// Adjacent strings joined, as epp's coalesce_strings does for -include.
Tokens coalesce_strings(const Tokens& toks, ast::Arena& arena) {
    Tokens out;
    for (const Token& t : toks) {
        if (t.kind == Kind::String && !out.empty() && out.back().kind == Kind::String) {
            out.back().text = arena.string(std::string(out.back().text) + std::string(t.text));
        } else {
            out.push_back(t);
        }
    }
    return out;
}

std::variant<std::optional<std::string>, Failure> Preprocessor::resolve_include(
    const std::string& name, bool lib) {
    std::vector<std::string> path = {files_.back().dir, ".", main_dir_};
    for (const std::string& dir : options_.include_dirs) {
        std::error_code ec;
        std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
        path.push_back(ec ? dir : absolute.lexically_normal().string());
    }
    for (const std::string& dir : path) {
        std::string candidate = join_path(dir, name);
        if (!dir.empty() && is_regular_file(candidate))
            return std::optional<std::string>(candidate);
    }
    if (!lib) return std::optional<std::string>();
    // include_lib: "app/rest" in the application's directory under a library
    // root, then the bundled headers.
    size_t slash = name.find('/');
    if (slash != std::string::npos && slash > 0) {
        for (const std::string& root : options_.lib_roots) {
            std::optional<std::string> app = application_dir(root, name.substr(0, slash));
            if (!app) continue;
            std::string candidate = join_path(*app, name.substr(slash + 1));
            if (is_regular_file(candidate)) return std::optional<std::string>(candidate);
        }
    }
    std::string bundled_name = std::string(bundled_headers::kPrefix) + name;
    if (bundled_headers::find(bundled_name) != nullptr)
        return std::optional<std::string>(bundled_name);
    return std::optional<std::string>();
}

void Preprocessor::include(const Tokens& raw, bool lib) {
    Tokens toks = coalesce_strings(raw, arena_);
    const char* what = lib ? "include_lib" : "include";
    if (toks.size() != 6 || toks[2].kind != Kind::LParen || toks[3].kind != Kind::String ||
        toks[4].kind != Kind::RParen || toks[5].kind != Kind::Dot) {
        const Token& at = [&]() -> const Token& {
            size_t i = 2;
            for (Kind k : {Kind::LParen, Kind::String, Kind::RParen, Kind::Dot}) {
                if (i >= toks.size()) return toks[i - 1];
                if (toks[i].kind != k) return toks[i];
                ++i;
            }
            return i < toks.size() ? toks[i] : toks[1];
        }();
        return error(at.pos, fmt::format("badly formed '{}'", what));
    }
    if (files_.size() > kMaxIncludeDepth)
        return error(toks[1].pos, fmt::format("{} too deep", what));
    std::string name = expand_env(std::string(toks[3].text));
    auto found = resolve_include(name, lib);
    std::optional<std::string>& path = std::get<std::optional<std::string>>(found);
    if (!path || !enter(*path, *path)) {
        error(toks[3].pos, fmt::format("can't find include {} \"{}\"", lib ? "lib" : "file", name));
    }
}

// ---- conditionals ----

bool is_simple_name_directive(const Tokens& toks) {
    return toks.size() == 6 && toks[2].kind == Kind::LParen && is_name(toks[3]) &&
           toks[4].kind == Kind::RParen && toks[5].kind == Kind::Dot;
}

void Preprocessor::ifdef(const Tokens& toks, Cond cond) {
    if (!is_simple_name_directive(toks)) {
        error(mismatch(toks, {Kind::LParen, Kind::Atom, Kind::RParen, Kind::Dot}).pos,
              fmt::format("badly formed '{}'", cond_name(cond)));
        return skip({cond});
    }
    bool is_defined = defined(toks[3].text);
    if (cond == Cond::Ifdef ? is_defined : !is_defined) {
        files_.back().conds.push_back(cond);
    } else {
        skip({cond});
    }
}

void Preprocessor::if_directive(const Tokens& toks, Cond cond) {
    if (toks.size() < 3 || toks[2].kind != Kind::LParen) {
        error(token_after(toks, 2, toks[1]).pos, "badly formed 'if'");
        return skip({Cond::If});
    }
    std::variant<bool, Failure> result = evaluate_if(toks, toks[1]);
    if (Failure* f = std::get_if<Failure>(&result)) {
        error(*f);
        return skip({Cond::If});
    }
    if (std::get<bool>(result)) {
        files_.back().conds.push_back(Cond::If);
    } else {
        skip({Cond::If});
    }
}

void Preprocessor::else_directive(const Tokens& toks) {
    if (toks.size() != 3 || toks[2].kind != Kind::Dot) {
        return error(token_after(toks, 2, toks[1]).pos, "badly formed 'else'");
    }
    std::vector<Cond>& conds = files_.back().conds;
    if (conds.empty()) return error(toks[1].pos, "unbalanced '-else'");
    Cond top = conds.back();
    conds.pop_back();
    if (top == Cond::Else) error(toks[1].pos, "repeated '-else'");
    skip({Cond::Else});
}

void Preprocessor::elif_directive(const Tokens& toks) {
    std::vector<Cond>& conds = files_.back().conds;
    if (conds.empty()) return error(toks[1].pos, "unbalanced '-elif'");
    Cond top = conds.back();
    conds.pop_back();
    if (top == Cond::Else) {
        error(toks[1].pos, "unbalanced '-elif'");
        return skip({Cond::Else});
    }
    skip({Cond::Elif});
}

void Preprocessor::endif(const Tokens& toks) {
    if (toks.size() != 3 || toks[2].kind != Kind::Dot) {
        return error(token_after(toks, 2, toks[1]).pos, "badly formed 'endif'");
    }
    std::vector<Cond>& conds = files_.back().conds;
    if (conds.empty()) return error(toks[1].pos, "unbalanced '-endif'");
    conds.pop_back();
}

// epp's skip_toks: consumes the forms of a branch not taken. `stack` holds
// the conditionals being skipped, innermost last.
void Preprocessor::skip(std::vector<Cond> stack) {
    while (!stack.empty()) {
        std::optional<Tokens> next = next_form(true);
        if (!next) {
            // epp reports the skipped conditionals as unterminated.
            files_.back().conds = stack;
            return;
        }
        const Tokens& toks = *next;
        if (toks.size() < 2 || toks[0].kind != Kind::Minus) continue;
        const Token& word = toks[1];
        if (is_atom(word, "ifdef")) {
            stack.push_back(Cond::Ifdef);
        } else if (is_atom(word, "ifndef")) {
            stack.push_back(Cond::Ifndef);
        } else if (word.kind == Kind::KwIf) {
            stack.push_back(Cond::If);
        } else if (is_atom(word, "else")) {
            if (stack.back() == Cond::Else) {
                error(word.pos, "repeated '-else'");
            } else if (stack.back() == Cond::Elif) {
                stack.back() = Cond::Else;
            } else if (stack.size() == 1) {
                files_.back().conds.push_back(Cond::Else);
                return;
            }
        } else if (is_atom(word, "elif")) {
            if (stack.back() == Cond::Else) {
                error(word.pos, "'elif' following 'else'");
            } else if (stack.size() == 1) {
                if (toks.size() < 3 || toks[2].kind != Kind::LParen) {
                    error(token_after(toks, 2, word).pos, "badly formed 'elif'");
                    stack.back() = Cond::If;
                    continue;
                }
                std::variant<bool, Failure> result = evaluate_if(toks, word);
                if (Failure* f = std::get_if<Failure>(&result)) {
                    error(*f);
                } else if (std::get<bool>(result)) {
                    files_.back().conds.push_back(Cond::If);
                    return;
                }
                stack.back() = Cond::If;
            }
        } else if (is_atom(word, "endif")) {
            stack.pop_back();
        }
    }
}

// ---- -file, -error, -warning ----

void Preprocessor::file_directive(const Tokens& raw) {
    Tokens toks = coalesce_strings(raw, arena_);
    if (toks.size() != 8 || toks[2].kind != Kind::LParen || toks[3].kind != Kind::String ||
        toks[4].kind != Kind::Comma || toks[5].kind != Kind::Integer ||
        toks[6].kind != Kind::RParen || toks[7].kind != Kind::Dot) {
        return error(mismatch(toks, {Kind::LParen, Kind::String, Kind::Comma, Kind::Integer,
                                     Kind::RParen, Kind::Dot})
                         .pos,
                     "badly formed 'file'");
    }
    // Lines after the directive count from the given line; messages name
    // the given file.
    Source& file = files_.back();
    int directive_line = static_cast<int>(raw[1].pos.line) + file.line_delta;
    file.line_delta = directive_line + 1 - static_cast<int>(toks[5].int_value);
    file.name = std::string(toks[3].text);
    set_predef("FILE", {make(Kind::String, arena_.string(file.name))});
}

// ~tp of a term written as tokens, for -error/-warning: strings and atoms
// quoted as io_lib does, no spaces after commas.
std::string term_text(std::span<const Token> toks) {
    std::string out;
    for (const Token& t : toks)
        out += token_source(t);
    return out;
}

void Preprocessor::error_directive(const Tokens& toks, bool is_error) {
    const char* tag = is_error ? "error" : "warning";
    std::variant<Tokens, Failure> expanded = expand(toks, 0);
    Tokens* ex = std::get_if<Tokens>(&expanded);
    if (ex == nullptr || ex->size() < 5 || (*ex)[2].kind != Kind::LParen ||
        (*ex)[ex->size() - 2].kind != Kind::RParen) {
        return error(token_after(toks, 2, toks[1]).pos, fmt::format("badly formed '{}'", tag));
    }
    std::span<const Token> term(ex->data() + 3, ex->size() - 5);
    for (size_t i = 0; i + 1 < term.size(); ++i) {
        bool value = term[i].kind <= Kind::String || term[i].kind == Kind::RBrace ||
                     term[i].kind == Kind::RBracket;
        bool next_value = term[i + 1].kind <= Kind::String || term[i + 1].kind == Kind::LBrace ||
                          term[i + 1].kind == Kind::LBracket;
        if (value && next_value) return error(toks[1].pos, fmt::format("badly formed '{}'", tag));
    }
    std::string message = fmt::format("-{}({}).", tag, term_text(term));
    if (is_error) {
        error(toks[1].pos, message);
    } else {
        reporter_.warning(current_name(), toks[1].pos, diag::Phase::Lint,
                          message);  // erlc sorts it with lint warnings
    }
}

// ---- macro expansion ----

// Expands every macro call in `input`. A call's expansion replaces the call
// in the working buffer and is scanned again together with what follows (a
// body may end in a call whose arguments come after it), as epp rescans.
// Circular definitions are refused by check_uses, so this terminates; the
// expansion budget only guards against exponential growth.
std::variant<Tokens, Failure> Preprocessor::expand(const Tokens& input, size_t) {
    auto is_question = [](const Token& t) { return t.kind == Kind::Question; };
    if (std::none_of(input.begin(), input.end(), is_question)) return input;
    Tokens toks = input;
    Tokens out;
    out.reserve(toks.size());
    size_t budget = 100000;
    for (size_t i = 0; i < toks.size();) {
        if (toks[i].kind != Kind::Question) {
            out.push_back(toks[i++]);
            continue;
        }
        if (budget-- == 0) return Failure{toks[i].pos, "macro expansion too deep"};
        if (std::optional<Failure> f = expand_call(toks, i, out)) return *f;
    }
    return out;
}

// Expands the macro call at toks[i] ('?'): a predefined token is appended to
// `out` and `i` moves past the call; a macro body replaces the call in
// `toks`, `i` staying on it.
std::optional<Failure> Preprocessor::expand_call(Tokens& toks, size_t& i, Tokens& out) {
    if (i + 1 >= toks.size() || !is_name(toks[i + 1])) {
        const Token& what = i + 1 < toks.size() ? toks[i + 1] : toks[i];
        std::string text = what.kind == Kind::Dot ? "dot" : token_source(what);
        if (what.kind > Kind::Eof && what.kind != Kind::Dot && what.kind != Kind::Other) {
            text = lexer::write_atom(token::spelling(what.kind));
        }
        return Failure{what.pos, fmt::format("illegal macro call '?{}'", text)};
    }
    const Token& macro = toks[i + 1];
    std::string name = name_of(macro);
    if (macro.kind == Kind::Var && (name == "FUNCTION_NAME" || name == "FUNCTION_ARITY")) {
        if (resolving_function_) {
            out.push_back(toks[i]);
            out.push_back(macro);
            i += 2;
            return std::nullopt;
        }
        std::pair<std::string, int> function;
        if (std::optional<Failure> f = function_name(macro, function)) return f;
        Token tok = macro;
        if (name == "FUNCTION_NAME") {
            tok.kind = Kind::Atom;
            tok.text = arena_.string(function.first);
        } else {
            tok.kind = Kind::Integer;
            tok.int_value = function.second;
            tok.text = arena_.string(std::to_string(function.second));
        }
        out.push_back(tok);
        i += 2;
        return std::nullopt;
    }
    if (macro.kind == Kind::Var && name == "LINE") {
        Token tok = macro;
        tok.kind = Kind::Integer;
        tok.int_value = macro.pos.line;
        tok.text = arena_.string(std::to_string(macro.pos.line));
        out.push_back(tok);
        i += 2;
        return std::nullopt;
    }
    std::variant<int, Failure> arity_or = count_args(toks, i + 2, macro.pos, name);
    if (Failure* f = std::get_if<Failure>(&arity_or)) return *f;
    int arity = std::get<int>(arity_or);
    auto it = macros_.find(name);
    if (it == macros_.end() || it->second.undefined || it->second.defs.empty()) {
        std::string shown = arity == kNoArgs ? name : fmt::format("{}/{}", name, arity);
        return Failure{macro.pos, fmt::format("undefined macro '{}'", shown)};
    }
    const Macro& m = it->second;
    const MacroDef* def = nullptr;
    if (m.defs.size() == 1 && m.defs.begin()->first == kNoArgs) {
        def = &m.defs.begin()->second;
        arity = kNoArgs;
    } else if (auto d = m.defs.find(arity); d != m.defs.end()) {
        def = &d->second;
    } else {
        return Failure{macro.pos, fmt::format("argument mismatch for macro '{}'", name)};
    }
    if (std::optional<Failure> f = check_uses({name, arity}, macro.pos)) return f;
    // Bind the arguments.
    std::map<std::string_view, Tokens> args;
    size_t next = i + 2;
    if (arity != kNoArgs) {
        if (next >= toks.size() || toks[next].kind != Kind::LParen) {
            return Failure{macro.pos, fmt::format("argument mismatch for macro '{}'", name)};
        }
        ++next;
        if (arity == 0) {
            ++next;  // the ')'
        } else {
            for (std::string_view param : def->params) {
                size_t end = macro_arg_end(toks, next);
                if (end == next)
                    return Failure{macro.pos,
                                   fmt::format("argument mismatch for macro '{}'", name)};
                args[param] = Tokens(toks.begin() + next, toks.begin() + end);
                next = end + 1;  // past ',' or ')'
            }
        }
    }
    Tokens body = substitute(*def, macro.pos, args);
    // The expansion takes the call's place and is scanned next.
    toks.erase(toks.begin() + i, toks.begin() + next);
    toks.insert(toks.begin() + i, body.begin(), body.end());
    return std::nullopt;
}

// The body of `def` with arguments substituted. Body tokens take the
// position of the macro name; after an argument, the position of the
// argument's last token (epp's expand_arg).
Tokens Preprocessor::substitute(const MacroDef& def, Pos at,
                                const std::map<std::string_view, Tokens>& args) {
    Tokens out;
    Pos pos = at;
    const Tokens& body = def.body;
    for (size_t i = 0; i < body.size(); ++i) {
        const Token& t = body[i];
        if (t.kind == Kind::Var) {
            if (auto a = args.find(t.text); a != args.end()) {
                out.insert(out.end(), a->second.begin(), a->second.end());
                if (!a->second.empty()) pos = a->second.back().pos;
                continue;
            }
        }
        if (t.kind == Kind::Question && i + 2 < body.size() && body[i + 1].kind == Kind::Question &&
            body[i + 2].kind == Kind::Var) {
            // epp drops the "??" before a name that is not a parameter.
            auto a = args.find(body[i + 2].text);
            Token tok = a != args.end()
                            ? make(Kind::String, arena_.string(stringify(a->second)), pos)
                            : body[i + 2];
            tok.pos = pos;
            out.push_back(tok);
            i += 2;
            continue;
        }
        Token copy = t;
        copy.pos = pos;
        out.push_back(copy);
    }
    return out;
}

// epp's check_uses: a macro that reaches itself through the macros its body
// calls is circular. A depth-first walk that visits each macro once: one
// whose uses were all walked without meeting a cycle cannot lead to one
// (epp walks every path, exponential in doubling definitions such as
// `-define(A1, {?A0, ?A0}).`).
std::optional<Failure> Preprocessor::check_uses(const MacroUse& use, Pos at) {
    std::set<MacroUse> ancestors, done;
    std::function<std::optional<Failure>(const MacroUse&)> visit =
        [&](const MacroUse& m) -> std::optional<Failure> {
        if (ancestors.count(m)) {
            std::string shown =
                m.second == kNoArgs ? m.first : fmt::format("{}/{}", m.first, m.second);
            return Failure{at, fmt::format("circular macro '{}'", shown)};
        }
        if (done.count(m)) return std::nullopt;
        auto u = uses_.find(m.first);
        if (u == uses_.end()) return std::nullopt;
        auto list = u->second.find(m.second);
        if (list == u->second.end()) list = u->second.find(kNoArgs);
        if (list == u->second.end()) return std::nullopt;
        ancestors.insert(m);
        for (const MacroUse& next : list->second) {
            if (std::optional<Failure> f = visit(next)) return f;
        }
        ancestors.erase(m);
        done.insert(m);
        return std::nullopt;
    };
    return visit(use);
}

// epp's update_fun_name: the name and arity of the function the current
// form defines, from its (expanded) head.
std::optional<Failure> Preprocessor::function_name(const Token& macro,
                                                   std::pair<std::string, int>& out) {
    if (function_) {
        out = *function_;
        return std::nullopt;
    }
    if (form_tokens_ == nullptr) {
        out = {"_", 0};
        return std::nullopt;
    }
    resolving_function_ = true;
    std::variant<Tokens, Failure> expanded = expand(*form_tokens_, 0);
    resolving_function_ = false;
    Tokens* toks = std::get_if<Tokens>(&expanded);
    if (toks == nullptr) {
        function_ = {"_", 0};
    } else if (toks->size() >= 2 && (*toks)[0].kind == Kind::Atom &&
               (*toks)[1].kind == Kind::LParen) {
        int arity = 0, level = 1;
        for (size_t i = 2; i < toks->size() && level > 0; ++i) {
            Kind k = (*toks)[i].kind;
            if (k == Kind::Comma) {
                if (level == 1) ++arity;
            } else if (k == Kind::LParen || k == Kind::LBrace || k == Kind::LBracket ||
                       k == Kind::LtLt) {
                ++level;
            } else if (k == Kind::RParen || k == Kind::RBrace || k == Kind::RBracket ||
                       k == Kind::GtGt) {
                --level;
            } else if (arity == 0) {
                arity = 1;
            }
        }
        function_ = {std::string((*toks)[0].text), arity};
    } else if (!toks->empty() && (*toks)[0].kind == Kind::Question) {
        return Failure{macro.pos, fmt::format("?{} must not begin a form", macro.text)};
    } else {
        return Failure{macro.pos,
                       fmt::format("?{} can only be used within a function", macro.text)};
    }
    out = *function_;
    return std::nullopt;
}

// ---- -if expressions ----

// A value of a constant guard expression. Anything the evaluator does not
// model is Unknown, and makes the condition false (as an evaluation error
// does in epp).
struct Value {
    enum Type : uint8_t { Unknown, Int, Float, Atom } type = Unknown;
    int64_t i = 0;
    double f = 0.0;
    std::string atom;

    Value() = default;
    explicit Value(Type t, int64_t integer = 0, double real = 0.0) : type(t), i(integer), f(real) {}
};

class IfEvaluator {
  public:
    IfEvaluator(const Tokens& toks, size_t start,
                const std::function<bool(std::string_view)>& defined)
        : toks_(toks), at_(start), defined_(defined) {}

    // Parses `( Expr ) .`-like input as erl_parse:parse_exprs would and
    // evaluates it; a Failure for syntax errors and non-guard expressions.
    std::variant<bool, Failure> run() {
        Value v = expr(0);
        if (failure_) return *failure_;
        if (at_ < toks_.size() && toks_[at_].kind == Kind::Comma) {
            // Several expressions: a valid parse, but not one guard.
            while (!failure_ && at_ < toks_.size() && toks_[at_].kind == Kind::Comma) {
                ++at_;
                expr(0);
            }
            if (failure_) return *failure_;
            if (peek().kind != Kind::Dot) return syntax_error();
            return Failure{toks_[1].pos, "badly formed 'if'"};
        }
        if (peek().kind != Kind::Dot) return syntax_error();
        if (not_guard_) return Failure{toks_[1].pos, "badly formed 'if'"};
        return v.type == Value::Atom && v.atom == "true";
    }

  private:
    const Token& peek() const { return toks_[at_ < toks_.size() ? at_ : toks_.size() - 1]; }
    Failure syntax_error() {
        return Failure{peek().pos, fmt::format("syntax error before: {}", token::describe(peek()))};
    }
    void fail() {
        if (!failure_) failure_ = syntax_error();
    }

    static int binary_precedence(Kind k, bool& right) {
        right = false;
        switch (k) {
            case Kind::Eq:
            case Kind::Bang:
                right = true;
                return 100;
            case Kind::KwOrelse:
                right = true;
                return 150;
            case Kind::KwAndalso:
                right = true;
                return 160;
            case Kind::EqEq:
            case Kind::SlashEq:
            case Kind::EqLt:
            case Kind::Lt:
            case Kind::GtEq:
            case Kind::Gt:
            case Kind::EqColonEq:
            case Kind::EqSlashEq:
                return 200;
            case Kind::PlusPlus:
            case Kind::MinusMinus:
                right = true;
                return 300;
            case Kind::Plus:
            case Kind::Minus:
            case Kind::KwBor:
            case Kind::KwBxor:
            case Kind::KwBsl:
            case Kind::KwBsr:
            case Kind::KwOr:
            case Kind::KwXor:
                return 400;
            case Kind::Slash:
            case Kind::Star:
            case Kind::KwDiv:
            case Kind::KwRem:
            case Kind::KwBand:
            case Kind::KwAnd:
                return 500;
            default:
                return -1;
        }
    }

    Value expr(int min_precedence) {
        Value left = unary();
        while (!failure_) {
            bool right = false;
            Kind op = peek().kind;
            int precedence = binary_precedence(op, right);
            if (precedence < 0 || precedence < min_precedence) break;
            ++at_;
            if (op == Kind::Eq || op == Kind::Bang || op == Kind::PlusPlus ||
                op == Kind::MinusMinus) {
                not_guard_ = not_guard_ || op == Kind::Eq || op == Kind::Bang;
            }
            Value rhs = expr(right ? precedence : precedence + 1);
            left = apply(op, left, rhs);
            if (precedence == 200 && binary_precedence(peek().kind, right) == 200) {
                fail();  // comparisons do not chain
            }
        }
        return left;
    }

    Value unary() {
        Kind k = peek().kind;
        if (k == Kind::Minus || k == Kind::Plus || k == Kind::KwBnot || k == Kind::KwNot) {
            ++at_;
            Value v = unary();
            if (k == Kind::Minus && v.type == Value::Int) v.i = -v.i;
            if (k == Kind::Minus && v.type == Value::Float) v.f = -v.f;
            if (k == Kind::KwBnot) v = v.type == Value::Int ? Value{Value::Int, ~v.i} : Value{};
            if (k == Kind::KwNot)
                v = boolean(
                    v, [](bool a, bool) { return !a; }, v);
            return v;
        }
        return primary();
    }

    Value primary() {
        const Token& t = peek();
        switch (t.kind) {
            case Kind::Integer:
            case Kind::Char:
                ++at_;
                return t.is_big ? Value{} : Value{Value::Int, t.int_value};
            case Kind::Float:
                ++at_;
                return Value{Value::Float, 0, t.float_value};
            case Kind::String:
                ++at_;
                while (peek().kind == Kind::String)
                    ++at_;
                return Value{};
            case Kind::Var:
                ++at_;
                return Value{};
            case Kind::LParen: {
                ++at_;
                Value v = expr(0);
                if (peek().kind != Kind::RParen) {
                    fail();
                    return Value{};
                }
                ++at_;
                return v;
            }
            case Kind::LBrace:
            case Kind::LBracket: {
                Kind close = t.kind == Kind::LBrace ? Kind::RBrace : Kind::RBracket;
                ++at_;
                if (peek().kind != close) {
                    expr(0);
                    while (!failure_ && (peek().kind == Kind::Comma || peek().kind == Kind::Pipe)) {
                        ++at_;
                        expr(0);
                    }
                }
                if (peek().kind != close) {
                    fail();
                    return Value{};
                }
                ++at_;
                return Value{};
            }
            case Kind::Atom: {
                ++at_;
                if (peek().kind == Kind::LParen) return call(t);
                Value v{Value::Atom};
                v.atom = std::string(t.text);
                return v;
            }
            default:
                fail();
                return Value{};
        }
    }

    Value call(const Token& name) {
        ++at_;  // '('
        std::vector<size_t> arg_starts;
        std::vector<Value> args;
        if (peek().kind != Kind::RParen) {
            arg_starts.push_back(at_);
            args.push_back(expr(0));
            while (!failure_ && peek().kind == Kind::Comma) {
                ++at_;
                arg_starts.push_back(at_);
                args.push_back(expr(0));
            }
        }
        if (failure_) return Value{};
        if (peek().kind != Kind::RParen) {
            fail();
            return Value{};
        }
        ++at_;
        if (name.text == "defined" && args.size() == 1) {
            const Token& arg = toks_[arg_starts[0]];
            if (!is_name(arg) || at_ - arg_starts[0] != 2) {
                not_guard_ = true;
                return Value{};
            }
            Value v{Value::Atom};
            v.atom = defined_(arg.text) ? "true" : "false";
            return v;
        }
        if (args.size() == 1 && args[0].type != Value::Unknown) {
            const Value& a = args[0];
            bool number = a.type == Value::Int || a.type == Value::Float;
            auto truth = [](bool b) {
                Value v{Value::Atom};
                v.atom = b ? "true" : "false";
                return v;
            };
            if (name.text == "is_integer") return truth(a.type == Value::Int);
            if (name.text == "is_float") return truth(a.type == Value::Float);
            if (name.text == "is_number") return truth(number);
            if (name.text == "is_atom") return truth(a.type == Value::Atom);
            if (name.text == "abs" && a.type == Value::Int)
                return Value{Value::Int, a.i < 0 ? -a.i : a.i};
        }
        return Value{};
    }

    template <typename F>
    static Value boolean(const Value& a, F op, const Value& b) {
        auto is_bool = [](const Value& v) {
            return v.type == Value::Atom && (v.atom == "true" || v.atom == "false");
        };
        if (!is_bool(a) || !is_bool(b)) return Value{};
        Value v{Value::Atom};
        v.atom = op(a.atom == "true", b.atom == "true") ? "true" : "false";
        return v;
    }

    // Erlang term order on the values modelled: numbers before atoms.
    static std::optional<int> compare(const Value& a, const Value& b, bool exact) {
        if (a.type == Value::Unknown || b.type == Value::Unknown) return std::nullopt;
        bool a_number = a.type != Value::Atom, b_number = b.type != Value::Atom;
        if (a_number != b_number) return a_number ? -1 : 1;
        if (!a_number) return a.atom < b.atom ? -1 : a.atom > b.atom ? 1 : 0;
        if (exact && a.type != b.type) return a.type == Value::Int ? -1 : 1;
        double x = a.type == Value::Int ? static_cast<double>(a.i) : a.f;
        double y = b.type == Value::Int ? static_cast<double>(b.i) : b.f;
        if (a.type == Value::Int && b.type == Value::Int) return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
        return x < y ? -1 : x > y ? 1 : 0;
    }

    static Value apply(Kind op, const Value& a, const Value& b) {
        auto truth = [](bool t) {
            Value v{Value::Atom};
            v.atom = t ? "true" : "false";
            return v;
        };
        switch (op) {
            case Kind::KwOrelse:
                return boolean(
                    a, [](bool x, bool y) { return x || y; }, b);
            case Kind::KwAndalso:
                return boolean(
                    a, [](bool x, bool y) { return x && y; }, b);
            case Kind::KwOr:
                return boolean(
                    a, [](bool x, bool y) { return x || y; }, b);
            case Kind::KwAnd:
                return boolean(
                    a, [](bool x, bool y) { return x && y; }, b);
            case Kind::KwXor:
                return boolean(
                    a, [](bool x, bool y) { return x != y; }, b);
            case Kind::EqEq:
            case Kind::SlashEq:
            case Kind::EqLt:
            case Kind::Lt:
            case Kind::GtEq:
            case Kind::Gt:
            case Kind::EqColonEq:
            case Kind::EqSlashEq: {
                bool exact = op == Kind::EqColonEq || op == Kind::EqSlashEq;
                std::optional<int> c = compare(a, b, exact);
                if (!c) return Value{};
                switch (op) {
                    case Kind::EqEq:
                    case Kind::EqColonEq:
                        return truth(*c == 0);
                    case Kind::SlashEq:
                    case Kind::EqSlashEq:
                        return truth(*c != 0);
                    case Kind::EqLt:
                        return truth(*c <= 0);
                    case Kind::Lt:
                        return truth(*c < 0);
                    case Kind::GtEq:
                        return truth(*c >= 0);
                    default:
                        return truth(*c > 0);
                }
            }
            default:
                break;
        }
        return arithmetic(op, a, b);
    }

    static Value arithmetic(Kind op, const Value& a, const Value& b) {
        if (a.type == Value::Int && b.type == Value::Int) {
            int64_t x = a.i, y = b.i, r = 0;
            switch (op) {
                case Kind::Plus:
                    if (__builtin_add_overflow(x, y, &r)) return Value{};
                    break;
                case Kind::Minus:
                    if (__builtin_sub_overflow(x, y, &r)) return Value{};
                    break;
                case Kind::Star:
                    if (__builtin_mul_overflow(x, y, &r)) return Value{};
                    break;
                case Kind::KwDiv:
                    if (y == 0 || (x == INT64_MIN && y == -1)) return Value{};
                    r = x / y;
                    break;
                case Kind::KwRem:
                    if (y == 0 || y == -1) return y == -1 ? Value{Value::Int, 0} : Value{};
                    r = x % y;
                    break;
                case Kind::KwBand:
                    r = x & y;
                    break;
                case Kind::KwBor:
                    r = x | y;
                    break;
                case Kind::KwBxor:
                    r = x ^ y;
                    break;
                case Kind::KwBsl:
                    if (y < 0 || y > 62 || (x != 0 && std::abs(x) >= (int64_t{1} << (62 - y))))
                        return Value{};
                    r = x << y;
                    break;
                case Kind::KwBsr:
                    r = y >= 63 ? (x < 0 ? -1 : 0) : (y < 0 ? Value{}.i : x >> y);
                    break;
                case Kind::Slash:
                    return y == 0 ? Value{}
                                  : Value{Value::Float, 0,
                                          static_cast<double>(x) / static_cast<double>(y)};
                default:
                    return Value{};
            }
            return Value{Value::Int, r};
        }
        bool numbers = (a.type == Value::Int || a.type == Value::Float) &&
                       (b.type == Value::Int || b.type == Value::Float);
        if (!numbers) return Value{};
        double x = a.type == Value::Int ? static_cast<double>(a.i) : a.f;
        double y = b.type == Value::Int ? static_cast<double>(b.i) : b.f;
        double r;
        switch (op) {
            case Kind::Plus:
                r = x + y;
                break;
            case Kind::Minus:
                r = x - y;
                break;
            case Kind::Star:
                r = x * y;
                break;
            case Kind::Slash:
                if (y == 0) return Value{};
                r = x / y;
                break;
            default:
                return Value{};
        }
        return std::isfinite(r) ? Value{Value::Float, 0, r} : Value{};
    }

    const Tokens& toks_;
    size_t at_;
    const std::function<bool(std::string_view)>& defined_;
    std::optional<Failure> failure_;
    bool not_guard_ = false;
};

std::variant<bool, Failure> Preprocessor::evaluate_if(const Tokens& toks, const Token& directive) {
    Tokens condition(toks.begin() + 2, toks.end());
    std::variant<Tokens, Failure> expanded = expand(condition, 0);
    if (Failure* f = std::get_if<Failure>(&expanded)) return *f;
    Tokens input = {toks[0], directive};
    const Tokens& body = std::get<Tokens>(expanded);
    input.insert(input.end(), body.begin(), body.end());
    if (input.back().kind != Kind::Dot) {
        Token end = input.back();
        end.kind = Kind::Dot;
        input.push_back(end);
    }
    std::function<bool(std::string_view)> is_defined = [this](std::string_view name) {
        return macros_.count(std::string(name)) != 0;
    };
    IfEvaluator evaluator(input, 2, is_defined);
    std::variant<bool, Failure> result = evaluator.run();
    if (Failure* f = std::get_if<Failure>(&result);
        f != nullptr && f->message == "badly formed 'if'") {
        f->pos = directive.pos;
    }
    return result;
}

}  // namespace

bool is_escript(std::string_view text) {
    return text.starts_with("#!");
}

std::vector<std::string> default_lib_roots() {
    std::vector<std::string> roots;
    if (const char* erl_libs = std::getenv("ERL_LIBS")) {
        std::string_view rest = erl_libs;
        while (!rest.empty()) {
            size_t colon = rest.find(':');
            if (colon != 0) roots.emplace_back(rest.substr(0, colon));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    for (const char* otp : {"/usr/lib/erlang/lib", "/usr/local/lib/erlang/lib"}) {
        std::error_code ec;
        if (std::filesystem::is_directory(otp, ec)) {
            roots.emplace_back(otp);
            break;
        }
    }
    return roots;
}

void preprocess(const std::string& path, const Options& options, ast::Arena& arena,
                diag::Reporter& reporter, const FormSink& sink) {
    Preprocessor preprocessor(options, arena, reporter, sink);
    preprocessor.run(path);
}

std::vector<Form> preprocess(const std::string& path, const Options& options, ast::Arena& arena,
                             diag::Reporter& reporter) {
    std::vector<Form> forms;
    preprocess(path, options, arena, reporter, [&](Form& form) { forms.push_back(form); });
    return forms;
}

}  // namespace preproc
