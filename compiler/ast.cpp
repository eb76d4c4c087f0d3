// ast: node kinds' names and the arena that owns a module's tree.
#include "compiler/ast.h"

#include <mimalloc.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace ast {

std::string_view kind_name(Kind kind) {
    static constexpr std::string_view names[] = {
#define BEAMLITE_AST_NAME(name, doc) #name,
        BEAMLITE_AST_KINDS(BEAMLITE_AST_NAME)
#undef BEAMLITE_AST_NAME
    };
    return names[static_cast<size_t>(kind)];
}

// Blocks form a singly linked list; each is at least kBlockBytes, or bigger
// for one large request.
struct Arena::Block {
    Block* next;
};

namespace {
constexpr size_t kBlockBytes = 64 * 1024;
}

Arena::~Arena() {
    while (head_ != nullptr) {
        Block* next = head_->next;
        mi_free(head_);
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
        size_t size = std::max(kBlockBytes, bytes + align + sizeof(Block));
        auto* block = static_cast<Block*>(mi_malloc(size));
        if (block == nullptr) throw std::bad_alloc();
        block->next = head_;
        head_ = block;
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

}  // namespace ast
