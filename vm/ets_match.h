// ets_match: match patterns and match specifications. A pattern (ets:match/2,
// match_object/2) is a term in which '_' matches anything and '$N' (N a
// non-negative integer) is a variable, bound at its first occurrence and
// compared (=:=) at the others. A match specification (ets:select/2 and
// friends, ets:match_spec_run/2) is [{Head, Guards, Body}]: the first
// clause whose head matches and whose guards are all true gives the value
// of its body's last expression.
//
// Everything a specification's run touches lives off the process heap: the
// specification is copied into a Scratch when it is compiled, objects are
// in their tables, and the values guards and bodies compute are built in
// the Scratch (a guard BIF that allocates on the heap has its result copied
// there at once). So a collection during a run moves nothing the run holds,
// and the caller copies the results out at the end.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vm/ets.h"
#include "vm/term.h"

namespace process {
struct Process;
}

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

// Words for terms built outside any process heap; the refc binaries copied
// in hold a reference each until the Scratch goes.
class Scratch {
  public:
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch();
    Term* take(size_t words);
    Term copy(Term t);  // a deep copy here (immediates as they are)

  private:
    std::vector<std::unique_ptr<Term[]>> blocks_;
    Term* off_heap_ = nullptr;
};

struct Clause {
    Term head;
    std::vector<Term> guards;
    std::vector<Term> body;
};

// A match specification, checked and copied into its own Scratch.
struct Spec {
    Scratch store;
    std::vector<Clause> clauses;
    // Every clause's body is ['$_'] (select returns whole objects).
    bool returns_objects = false;
};

// Checks and copies `ms`; false when it is not a match specification
// (badarg): not a list of {Head, Guards, Body} with lists for guards and
// a non-empty body, or a variable used in guards or body not bound in the
// head.
bool compile(Term ms, Spec& out);

// The errors OTP's compiler of specifications finds in `ms` (table
// dialect), in its words and order, as erlang:match_spec_test/3 reports
// them; none when it would compile it.
std::vector<std::string> diagnose(Term ms);

// What a run needs besides the object.
struct Context {
    process::Process& p;  // for self() and the BIFs guards call
    Scratch& scratch;     // the run's values
};

// Runs `spec` on `object`: the value of the first clause that matches, or
// kNone when none does (or its guards fail or raise).
Term run(const Spec& spec, Term object, Context& cx);

// The range of keys a key pattern can match (see ets::KeyPrefix); it
// narrows nothing when the pattern is a wildcard.
ets::KeyPrefix key_prefix(Term key_pattern);
// The range of keys every clause of `spec` keeps to: that of a pattern
// as general as their heads' key patterns (built in `scratch`), or none.
ets::KeyPrefix spec_prefix(const Spec& spec, uint32_t keypos, Scratch& scratch);
// Where `key` is in term order relative to the keys that can match
// `pattern`: before them all (< 0), after them all (> 0), or among them
// (0; it may still not match). Wildcards end the comparison.
int compare_to_pattern(Term key, Term pattern);

// The key `spec` can only match (every clause's head has the same ground
// key at position keypos), or kNone: then a run walks the whole table.
Term bound_key(const Spec& spec, uint32_t keypos);

}  // namespace ets_match
