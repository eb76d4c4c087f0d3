// ets_match: match patterns, as ets:match/2, match_object/2 and
// match_delete/2 take them: a term in which '_' matches anything and '$N'
// (N a non-negative integer) is a variable, bound at its first occurrence
// and compared (=:=) at the others. Match specifications build on this.
#pragma once

#include <cstdint>
#include <vector>

#include "vm/term.h"

namespace ets_match {

using term::Term;

// A variable's number when `t` is an atom '$N', else -1.
int64_t variable_number(Term t);

// True when `t` has no '_' and no variable in it: a pattern that can only
// match itself (a key pattern like that is a direct lookup).
bool is_ground(Term t);

// Bindings of one match: (variable number, value), in order of binding.
struct Bindings {
    std::vector<std::pair<int64_t, Term>> vars;
    void clear() { vars.clear(); }
    // The values sorted by variable number (what ets:match/2 returns).
    std::vector<Term> in_order() const;
};

// Does `object` match `pattern`? Fills `b` (cleared first).
bool match(Term pattern, Term object, Bindings& b);

}  // namespace ets_match
