// ast: node kinds' names, the arena that owns a module's tree, and two
// walks over a tree: its first position and its s-expression form.
#include "compiler/ast.h"

#include <fmt/core.h>
#include <mimalloc.h>

#include <algorithm>
#include <cstring>
#include <new>

#include <sys/mman.h>
#include <vector>

namespace ast {

std::string_view kind_name(Kind kind) {
    static constexpr std::string_view names[] = {
#define BEAMLITE_AST_NAME(name, doc) #name,
        BEAMLITE_AST_KINDS(BEAMLITE_AST_NAME)
#undef BEAMLITE_AST_NAME
    };
    return names[static_cast<size_t>(kind)];
}

// Blocks form a singly linked list. They grow geometrically (each about
// half the arena's size so far, from 64 KiB to 4 MiB), so a large module
// needs few of them. Small blocks come from mimalloc; large ones are mapped
// directly and populated with one madvise(MADV_POPULATE_WRITE): on these
// machines a page faulted in one at a time costs several times more than a
// page populated in bulk, and a block this large is about to be filled.
struct Arena::Block {
    Block* next;
    size_t size;
    bool mapped;
};

namespace {

constexpr size_t kMinBlockBytes = size_t{64} << 10;
constexpr size_t kMaxBlockBytes = size_t{4} << 20;
constexpr size_t kMapBlockBytes = size_t{512} << 10;  // from here on: mmap + populate
#ifndef MADV_POPULATE_WRITE
constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14; older kernels ignore it
#endif

void* map_block(size_t size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    madvise(p, size, MADV_POPULATE_WRITE);  // best effort: on failure pages fault in as used
    return p;
}

}  // namespace

Arena::~Arena() {
    while (head_ != nullptr) {
        Block* next = head_->next;
        if (head_->mapped) {
            munmap(head_, head_->size);
        } else {
            mi_free(head_);
        }
        head_ = next;
    }
}

void* Arena::allocate(size_t bytes, size_t align) {
    auto aligned = [&](char* p) {
        return reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(p) + align - 1) &
                                       ~(uintptr_t{align} - 1));
    };
    char* p = top_ ? aligned(top_) : nullptr;
    if (p == nullptr || p + bytes > limit_) {
        size_t size = std::clamp(total_ / 2, kMinBlockBytes, kMaxBlockBytes);
        size = std::max(size, bytes + align + sizeof(Block));
        bool mapped = size >= kMapBlockBytes;
        void* memory = mapped ? map_block(size) : mi_malloc(size);
        if (memory == nullptr) throw std::bad_alloc();
        auto* block = static_cast<Block*>(memory);
        *block = Block{head_, size, mapped};
        head_ = block;
        total_ += size;
        top_ = reinterpret_cast<char*>(block + 1);
        limit_ = reinterpret_cast<char*>(block) + size;
        p = aligned(top_);
    }
    top_ = p + bytes;
    return p;
}

Node* Arena::node(Kind kind, Pos pos) {
    Node* n = new (allocate(sizeof(Node), alignof(Node))) Node{};
    n->kind = kind;
    n->pos = pos;
    return n;
}

Node* Arena::node(Kind kind, Pos pos, std::span<Node* const> kids) {
    Node* n = node(kind, pos);
    n->num_kids = static_cast<uint32_t>(kids.size());
    if (!kids.empty()) {
        n->kids = static_cast<Node**>(allocate(kids.size() * sizeof(Node*), alignof(Node*)));
        std::copy(kids.begin(), kids.end(), n->kids);
    }
    return n;
}

std::string_view Arena::string(std::string_view text) {
    if (text.empty()) return {};
    char* p = static_cast<char*>(allocate(text.size(), 1));
    std::memcpy(p, text.data(), text.size());
    return {p, text.size()};
}

namespace {

bool before(Pos a, Pos b) {
    return a.line < b.line || (a.line == b.line && a.column < b.column);
}

}  // namespace

Pos first_pos(const Node* node) {
    Pos best = node->pos;
    // Small subtrees (the common case: a pattern, a callee) need no heap.
    const Node* inline_stack[64];
    std::vector<const Node*> heap_stack;
    size_t depth = 0;
    auto push = [&](const Node* n) {
        if (depth < 64) {
            inline_stack[depth++] = n;
        } else {
            heap_stack.push_back(n);
        }
    };
    auto pop = [&]() -> const Node* {
        if (!heap_stack.empty()) {
            const Node* n = heap_stack.back();
            heap_stack.pop_back();
            return n;
        }
        return inline_stack[--depth];
    };
    push(node);
    while (depth > 0 || !heap_stack.empty()) {
        const Node* n = pop();
        if (n->pos.line != 0 && (best.line == 0 || before(n->pos, best))) best = n->pos;
        for (const Node* kid : n->children()) {
            if (kid != nullptr) push(kid);
        }
    }
    return best;
}

namespace {

// Kinds whose int_value means something, printed after their strings.
bool shows_int(const Node* n) {
    switch (n->kind) {
        case Kind::Function:
        case Kind::FunArity:
        case Kind::TypeAttr:
            return true;
        case Kind::FunRef:
            return n->num_kids == 0;
        case Kind::BinType:
            return n->op == token::Kind::Colon;
        default:
            return false;
    }
}

void write_leaf(std::string& out, const Node* n) {
    switch (n->kind) {
        case Kind::Integer:
            out += n->is_big ? std::string(n->text) : std::to_string(n->int_value);
            return;
        case Kind::Float:
            out += fmt::format("{}", n->float_value);
            return;
        case Kind::Char:
            out += fmt::format("{}", n->int_value);
            return;
        case Kind::String:
            out += fmt::format("\"{}\"", n->text);
            return;
        case Kind::BinaryOp:
        case Kind::UnaryOp:
        case Kind::MapField:
        case Kind::TypeMapField:
            out += token::spelling(n->op);
            return;
        case Kind::TypeList:
            if (n->op == token::Kind::DotDotDot) out += token::spelling(n->op);
            return;
        default:
            break;
    }
    if (!n->text.empty() || n->kind == Kind::Atom) out += fmt::format("{}", n->text);
    if (!n->name2.empty()) out += fmt::format(" {}", n->name2);
    if (shows_int(n)) out += fmt::format(" {}", n->int_value);
}

void write_node(std::string& out, const Node* n, bool positions) {
    if (n == nullptr) {
        out += "null";
        return;
    }
    out += '(';
    out += kind_name(n->kind);
    if (positions) out += fmt::format("@{}:{}", n->pos.line, n->pos.column);
    std::string leaf;
    write_leaf(leaf, n);
    if (!leaf.empty()) {
        out += ' ';
        out += leaf;
    }
    for (const Node* kid : n->children()) {
        out += ' ';
        write_node(out, kid, positions);
    }
    out += ')';
}

}  // namespace

// Recursive: meant for tests and debugging, not for arbitrary input depth.
std::string to_string(const Node* node, bool positions) {
    std::string out;
    write_node(out, node, positions);
    return out;
}

}  // namespace ast
