// line_editor: libedit for the shell (see line_editor.h).
#include "vm/line_editor.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

#include "vm/atom.h"
#include "vm/bif.h"
#include "vm/code.h"

namespace line_editor {

namespace {

constexpr int kHistorySize = 1000;
// wait_interrupt's longest wait. The VM frees its processes at a halt only
// when no dirty call is under way (scheduler.cpp gives them a second), so
// the watcher must come back from its wait well within that.
constexpr int kWatchMs = 100;

struct Editor {
    EditLine* el = nullptr;
    History* history = nullptr;
    std::string history_file;
    std::string prompt;
    std::string pending;  // lines read since the last commit_history()
    bool cancelled = false;
    std::mutex lock;  // one read_line at a time (user.bl has one reader)
    // `pending` and the history entries: commit_history runs on a normal
    // scheduler, so it must never wait for a read_line.
    std::mutex history_lock;
};

Editor g_editor;

// Self-pipes written by the SIGINT handler: [0] read end, [1] write end.
int g_line_pipe[2] = {-1, -1};   // polled by read_line
int g_watch_pipe[2] = {-1, -1};  // read by wait_interrupt

// True while read_line edits a line: a Ctrl-C then drops the line and
// interrupts no evaluation.
std::atomic<bool> g_reading{false};

void on_sigint(int) {
    int saved = errno;  // the handler must leave errno as it found it
    char byte = 'c';
    int fd = g_reading.load() ? g_line_pipe[1] : g_watch_pipe[1];
    [[maybe_unused]] ssize_t n = write(fd, &byte, 1);
    errno = saved;
}

void make_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    fcntl(fds[1], F_SETFL, O_NONBLOCK);  // the handler never blocks
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
}

void drain(int fd) {
    char buffer[64];
    while (read(fd, buffer, sizeof buffer) > 0) {
    }
}

void install_sigint_handler() {
    make_pipe(g_line_pipe);
    make_pipe(g_watch_pipe);
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // the pipes wake the readers, not EINTR
    sigaction(SIGINT, &action, nullptr);
}

// ---- reading ----------------------------------------------------------------

// One byte of standard input, or a Ctrl-C: 1 with the byte, 0 at the end
// of input, -1 after an interrupt.
int next_byte(unsigned char& byte) {
    for (;;) {
        pollfd fds[2] = {{0, POLLIN, 0}, {g_line_pipe[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        if (fds[1].revents & POLLIN) {
            drain(g_line_pipe[0]);
            return -1;
        }
        ssize_t n = read(0, &byte, 1);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return n > 0 ? 1 : 0;
    }
}

// libedit's character reader: a character decoded from the locale's
// multibyte encoding. A Ctrl-C ends the line (a newline), marked cancelled.
int get_char(EditLine*, wchar_t* out) {
    std::mbstate_t state{};
    for (;;) {
        unsigned char byte;
        int got = next_byte(byte);
        if (got == 0) return 0;
        if (got < 0) {
            g_editor.cancelled = true;
            *out = L'\n';
            return 1;
        }
        char c = char(byte);
        size_t n = std::mbrtowc(out, &c, 1, &state);
        if (n == size_t(-2)) continue;  // more bytes of this character
        if (n == size_t(-1)) *out = wchar_t(byte);
        return 1;
    }
}

const char* prompt_text(EditLine*) {
    return g_editor.prompt.c_str();
}

// ---- completion -------------------------------------------------------------

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '@';
}

// Module names: the library's and those loaded from elsewhere.
std::set<std::string> module_names() {
    std::set<std::string> names;
    for (std::string_view name : code::library_modules())
        names.emplace(name);
    for (const std::string& name : code::loaded_module_names())
        names.insert(name);
    return names;
}

// The exported functions of `module` (loaded for the purpose, as erl's
// expansion does), BIFs of its name included, each as "name(".
std::set<std::string> function_names(const std::string& module) {
    std::set<std::string> names;
    uint32_t index = code::is_library_module(module) ? atom::intern(module, atom::Owner::kLibrary)
                                                     : atom::find(module);
    if (index == atom::kNoAtom || !code::ensure_loaded(term::make_atom(index))) return names;
    if (const code::Module* m = code::find_module(term::make_atom(index))) {
        for (const bytecode::Export& e : m->generic.exports)
            names.insert(m->generic.atoms[e.function] + "(");
    }
    for (size_t i = 0; i < bif::table_size(); ++i) {
        const bif::Bif& b = bif::table()[i];
        if (b.module == module) names.insert(std::string(b.name) + "(");
    }
    return names;
}

std::string common_prefix(const std::vector<std::string>& words) {
    std::string prefix = words.front();
    for (const std::string& w : words) {
        size_t n = 0;
        while (n < prefix.size() && n < w.size() && prefix[n] == w[n])
            ++n;
        prefix.resize(n);
    }
    return prefix;
}

void list_candidates(const std::vector<std::string>& words) {
    std::fputc('\n', stdout);
    size_t width = 0;
    for (const std::string& w : words)
        width = std::max(width, w.size() + 2);
    size_t columns = std::max<size_t>(1, 80 / width);
    for (size_t i = 0; i < words.size(); ++i) {
        bool last = (i + 1) % columns == 0 || i + 1 == words.size();
        if (last) {
            fmt::print(stdout, "{}\n", words[i]);
        } else {
            fmt::print(stdout, "{:<{}}", words[i], width);
        }
    }
    std::fflush(stdout);
}

// Tab: completes the module or module:function name before the cursor as
// far as it is unique; lists the candidates when it cannot go further.
unsigned char complete(EditLine* el, int) {
    const LineInfo* line = el_line(el);
    const char* start = line->cursor;
    while (start > line->buffer && (is_name_char(start[-1]) || start[-1] == ':'))
        --start;
    std::string word(start, line->cursor);
    size_t colon = word.find(':');
    std::string prefix = colon == std::string::npos ? word : word.substr(colon + 1);
    std::set<std::string> all =
        colon == std::string::npos ? module_names() : function_names(word.substr(0, colon));
    std::vector<std::string> words;
    for (const std::string& w : all)
        if (w.compare(0, prefix.size(), prefix) == 0) words.push_back(w);
    if (words.empty()) return CC_REFRESH_BEEP;
    // A single module completes with its colon, to go on with a function.
    std::string target =
        words.size() == 1 && colon == std::string::npos ? words[0] + ":" : common_prefix(words);
    if (target.size() > prefix.size()) {
        el_insertstr(el, target.substr(prefix.size()).c_str());
        return CC_REFRESH;
    }
    list_candidates(words);
    return CC_REDISPLAY;
}

// ---- history ----------------------------------------------------------------

std::string history_path() {
    const char* home = std::getenv("HOME");
    return home && *home ? std::string(home) + "/.beamlite_history" : std::string();
}

void open_history() {
    HistEvent event;
    g_editor.history = history_init();
    history(g_editor.history, &event, H_SETSIZE, kHistorySize);
    history(g_editor.history, &event, H_SETUNIQUE, 1);
    g_editor.history_file = history_path();
    if (!g_editor.history_file.empty())
        history(g_editor.history, &event, H_LOAD, g_editor.history_file.c_str());
}

// ---- the terminal between lines ---------------------------------------------

// el_gets puts the terminal in the editor's mode while it reads and back in
// the cooked mode when the line ends. Keys typed while an expression runs
// would then meet the kernel's line discipline: echoed before the prompt
// is there, and a Ctrl-D turned into an end of file that the switch to the
// editor's mode loses (the shell then waits for ever). Between lines the
// terminal is therefore held without echo and without ICANON, so every key
// waits as a byte for the next el_gets. ISIG stays: Ctrl-C still interrupts
// an evaluation. (libedit adopts a terminal mode as its cooked mode only
// when ICANON is on, so this mode never becomes its idea of cooked.)
struct termios g_original_mode;
bool g_have_original_mode = false;

void hold_keys() {
    if (!g_have_original_mode) return;
    struct termios mode;
    if (tcgetattr(0, &mode) != 0) return;
    mode.c_lflag &= tcflag_t(~(ICANON | ECHO | ECHONL));
    mode.c_cc[VMIN] = 1;
    mode.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &mode);
}

// At exit: the terminal back in the mode it had before enable().
void restore_terminal() {
    if (g_have_original_mode) tcsetattr(0, TCSANOW, &g_original_mode);
}

}  // namespace

void enable() {
    // libedit decodes and displays multibyte characters by the locale.
    std::setlocale(LC_CTYPE, "");
    install_sigint_handler();
    open_history();
    EditLine* el = el_init("beamlite", stdin, stdout, stderr);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_text);
    el_set(el, EL_HIST, history, g_editor.history);
    el_set(el, EL_GETCFN, get_char);
    el_set(el, EL_ADDFN, "beamlite-complete", "complete a module or function name", complete);
    el_set(el, EL_BIND, "^I", "beamlite-complete", nullptr);
    el_source(el, nullptr);  // the user's ~/.editrc, as other libedit programs
    g_have_original_mode = tcgetattr(0, &g_original_mode) == 0;
    std::atexit(restore_terminal);
    hold_keys();
    g_editor.el = el;
}

bool enabled() {
    return g_editor.el != nullptr;
}

std::optional<std::string> read_line(const std::string& prompt) {
    std::lock_guard<std::mutex> guard(g_editor.lock);
    // A byte there now is a Ctrl-C that came as the last line ended (after
    // el_gets, before g_reading fell): it was for no line.
    drain(g_line_pipe[0]);
    g_editor.prompt = prompt;
    g_editor.cancelled = false;
    int count = 0;
    g_reading = true;
    const char* line = el_gets(g_editor.el, &count);
    hold_keys();
    g_reading = false;
    if (g_editor.cancelled) {
        // The unfinished expression is dropped: its lines are no history.
        std::lock_guard<std::mutex> history_guard(g_editor.history_lock);
        g_editor.pending.clear();
        return std::string();
    }
    if (line == nullptr || count <= 0) return std::nullopt;
    std::string text(line, size_t(count));
    if (text.back() != '\n') text += '\n';
    std::string_view body(text.data(), text.size() - 1);
    std::lock_guard<std::mutex> history_guard(g_editor.history_lock);
    if (body.find_first_not_of(" \t") != std::string_view::npos) {
        if (!g_editor.pending.empty()) g_editor.pending += ' ';
        g_editor.pending += body;
    }
    return text;
}

void commit_history() {
    std::lock_guard<std::mutex> guard(g_editor.history_lock);
    if (g_editor.pending.empty()) return;
    HistEvent event;
    history(g_editor.history, &event, H_ENTER, g_editor.pending.c_str());
    if (!g_editor.history_file.empty())
        history(g_editor.history, &event, H_SAVE, g_editor.history_file.c_str());
    g_editor.pending.clear();
}

bool wait_interrupt() {
    pollfd fd = {g_watch_pipe[0], POLLIN, 0};
    if (poll(&fd, 1, kWatchMs) <= 0) return false;
    char byte;
    return read(g_watch_pipe[0], &byte, 1) == 1;
}

}  // namespace line_editor
