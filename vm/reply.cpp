// reply: sizing a described term, then writing it into words taken once.
#include "vm/reply.h"

#include "vm/bif.h"
#include "vm/map.h"

namespace reply {

using namespace term;

Value atom(uint32_t index) {
    Value v;
    v.immediate = make_atom(index);
    return v;
}

Value integer(int64_t n) {
    Value v;
    v.immediate = make_small(n);
    return v;
}

Value boolean(bool b) {
    return atom(b ? atom::kTrue : atom::kFalse);
}

Value string(std::string text) {
    Value v;
    v.kind = Value::Kind::kString;
    v.text = std::move(text);
    return v;
}

namespace {

Value compound(Value::Kind kind, std::vector<Value> items) {
    Value v;
    v.kind = kind;
    v.items = std::move(items);
    return v;
}

std::vector<uint32_t> code_points(const std::string& text) {
    std::vector<uint32_t> chars;
    for (size_t i = 0; i < text.size();)
        chars.push_back(next_char_or_byte(text, i));
    return chars;
}

std::vector<map::Entry> map_entries(const Value& v) {
    std::vector<map::Entry> entries;
    for (size_t i = 0; i + 1 < v.items.size(); i += 2)
        entries.push_back({v.items[i].immediate, v.items[i + 1].immediate});
    map::normalize(entries);
    return entries;
}

size_t words(const Value& v) {
    size_t n = 0;
    switch (v.kind) {
        case Value::Kind::kImmediate:
            return 0;
        case Value::Kind::kString:
            return code_points(v.text).size() * kConsWords;
        case Value::Kind::kMap:
            return map::build_words(map_entries(v));
        case Value::Kind::kTuple:
            n = tuple_words(v.items.size());
            break;
        case Value::Kind::kList:
            n = v.items.size() * kConsWords;
            break;
    }
    for (const Value& item : v.items)
        n += words(item);
    return n;
}

Term write(Term*& mem, const Value& v) {
    switch (v.kind) {
        case Value::Kind::kImmediate:
            return v.immediate;
        case Value::Kind::kString: {
            std::vector<uint32_t> chars = code_points(v.text);
            Term list = kNil;
            for (size_t i = chars.size(); i-- > 0; mem += kConsWords)
                list = make_cons(mem, make_small(chars[i]), list);
            return list;
        }
        case Value::Kind::kMap: {
            std::vector<map::Entry> entries = map_entries(v);
            Term m = map::build(mem, entries);
            mem += map::build_words(entries);
            return m;
        }
        case Value::Kind::kTuple: {
            Term* object = mem;
            mem += tuple_words(v.items.size());
            Term t = make_tuple(object, v.items.size());
            for (size_t i = 0; i < v.items.size(); ++i)
                object[i + 1] = write(mem, v.items[i]);
            return t;
        }
        case Value::Kind::kList: {
            Term list = kNil;
            for (size_t i = v.items.size(); i-- > 0;) {
                Term item = write(mem, v.items[i]);
                list = make_cons(mem, item, list);
                mem += kConsWords;
            }
            return list;
        }
    }
    return kNil;
}

}  // namespace

Value tuple(std::vector<Value> items) {
    return compound(Value::Kind::kTuple, std::move(items));
}

Value list(std::vector<Value> items) {
    return compound(Value::Kind::kList, std::move(items));
}

Value map(std::vector<Value> pairs) {
    return compound(Value::Kind::kMap, std::move(pairs));
}

Value tagged(uint32_t tag, Value v) {
    return tuple({atom(tag), std::move(v)});
}

Term build(process::Process& p, const Value& v) {
    size_t n = words(v);
    Term* mem = nullptr;
    if (n > 0) {
        mem = alloc(p, n);
        if (!mem) return bif::heap_exhausted(p);
    }
    return write(mem, v);
}

}  // namespace reply
