// free_list: a bounded stack of freed nodes that one thread keeps for its
// next allocations of the same kind (signal nodes, small message
// fragments): a pop is a fraction of an allocator call, and most messages
// are freed on the thread that will send the next ones. Bounded, as a
// thread that only receives would otherwise gather every node its senders
// allocate. Plain data with no constructor or destructor, so that a
// thread_local one costs one instruction to reach; clear() empties it
// before its thread ends.
//
//   head -> node -> node -> ... (linked through each node's `next`)
#pragma once

#include <cstdint>

namespace free_list {

template <typename Node, uint32_t Limit>
struct FreeList {
    Node* head;
    uint32_t count;

    // A kept node, or null.
    Node* pop() {
        Node* node = head;
        if (node) {
            head = node->next;
            --count;
        }
        return node;
    }

    // Keeps `node` unless Limit are kept already (then the caller frees it).
    bool push(Node* node) {
        if (count >= Limit) return false;
        node->next = head;
        head = node;
        ++count;
        return true;
    }

    template <typename Free>
    void clear(Free free) {
        while (Node* node = pop())
            free(node);
    }
};

}  // namespace free_list
