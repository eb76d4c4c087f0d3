// reply: a small description of a term that C++ code builds first and puts
// on a process heap in one allocation afterwards (the information BIFs'
// nested tuples, lists and strings), so that no term is held across an
// allocation that might collect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vm/process.h"
#include "vm/term.h"

namespace reply {

struct Value {
    enum class Kind : uint8_t { kImmediate, kString, kTuple, kList, kMap };
    Kind kind = Kind::kImmediate;
    term::Term immediate = term::kNil;  // kImmediate: an atom, small, pid...
    std::string text;                   // kString: UTF-8 (a stray byte stays a byte)
    std::vector<Value> items;           // kTuple, kList; kMap: key, value, key...
};

Value atom(uint32_t index);
Value integer(int64_t v);  // a small integer (|v| < 2^59)
Value boolean(bool b);
Value string(std::string text);
Value tuple(std::vector<Value> items);
Value list(std::vector<Value> items);
// A map of immediate keys and values, given as key, value, key, value...
Value map(std::vector<Value> pairs);
// {Tag, V}: the shape of most information items.
Value tagged(uint32_t tag, Value v);

// The term on p's heap; kNone (an exception recorded) when it does not fit.
term::Term build(process::Process& p, const Value& v);

}  // namespace reply
