// format_deep: the deep character list io_lib:format/2 returns in Erlang/OTP
// 25, whose nesting follows io_lib_format's code: plain characters and the
// output of the "small" controls (~c ~f ~e ~g ~b ~B ~x ~X ~+ ~# ~~ ~n ~i)
// are spliced in as characters; each ~s ~w ~p ~W ~P is one element, built
// as io_lib:write/1 (~w) and io_lib_pretty (~p, on one line) nest it.
//
// Where the shape is not modelled (a ~p broken over several lines, ~W and
// ~P, a ~p or ~s with a precision, a term nested more than 500 levels
// deep), that element is its characters as one flat list: the flattened
// text is always format's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vm/term.h"

namespace format {

// An Erlang deep list under construction, with no terms in it (so a
// collection between building it and writing it to a heap is harmless).
// lists[0] is the root; an element is a character or a sublist.
struct DeepList {
    struct Elem {
        int32_t list;  // >= 0: index of a sublist; -1: the character c
        uint32_t c;
    };
    std::vector<std::vector<Elem>> lists;

    DeepList() : lists(1) {}
    int32_t add_list(int32_t parent);  // a new empty sublist, appended to parent
    void add_char(int32_t list, uint32_t c) { lists[size_t(list)].push_back({-1, c}); }
    void add_text(int32_t list, std::string_view utf8);  // one character each
    size_t cells() const;                     // conses the list takes (shared sublists once)
    term::Term build(term::Term* mem) const;  // the list, in cells() conses at mem
    std::vector<int32_t> order() const;
    int64_t length(int32_t list) const;  // characters in a sublist, flattened
};

// io_lib:format(Format, Args) as a deep list, for a call that format()
// already accepted (badarg is decided there). False when the format string
// is not one this can split (the caller then returns the flat list).
bool format_deep(DeepList& out, term::Term format_string, term::Term args);

}  // namespace format
