// bif_maps: the map BIFs (map_size/1, is_map_key/2, map_get/2 and the
// maps functions that take no fun), erlang:phash2/1,2 and phash/2. The fun-taking ones (fold, map,
// filter, ...) are Erlang, in stdlib/maps.bl, built on these.
//
// Errors are OTP's: {badmap, M} when a map argument is not a map, {badkey,
// K} for a missing key, badarg for other bad arguments. A BIF that
// allocates reads its arguments again from `args` afterwards (they are X
// registers the collector updates); map::build_on_heap does this for the
// BIFs that build a map from the entries of others.
#include <algorithm>
#include <vector>

#include "vm/bif.h"
#include "vm/exception.h"
#include "vm/map.h"

namespace bif {

using namespace term;

namespace {

Term error_tuple(Process& p, uint32_t tag, Term value) {
    if (!exception::set_error_tuple(p, make_atom(tag), value)) return heap_exhausted(p);
    return kNone;
}
Term badmap(Process& p, Term value) {
    return error_tuple(p, atom::kBadmap, value);
}
Term badkey(Process& p, Term key) {
    return error_tuple(p, atom::kBadkey, key);
}

Term built(Process& p, Term result) {
    return result == kNone ? heap_exhausted(p) : result;
}

// args[map_arg] with args[key_arg] => args[value_arg] put in.
Term put_one(Process& p, Term* args, int key_arg, int value_arg, int map_arg) {
    Term m = args[map_arg];
    if (map::is_hash_map(m)) {
        bool missing = false;
        return built(p, map::put_hash_on_heap(p, args[map_arg], args[key_arg], args[value_arg],
                                              false, missing));
    }
    return built(p, map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
                     map::entries(args[map_arg], entries);
                     entries.push_back({args[key_arg], args[value_arg]});
                 }));
}

// args[map_arg] without args[key_arg] (which it has).
Term remove_one(Process& p, Term* args, int key_arg, int map_arg) {
    if (map::is_hash_map(args[map_arg]) && map::size(args[map_arg]) > kMaxFlatMapKeys + 1)
        return built(p, map::remove_hash_on_heap(p, args[map_arg], args[key_arg]));
    return built(p, map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
                     map::entries(args[map_arg], entries);
                     for (size_t i = 0; i < entries.size(); ++i) {
                         if (exact_equal(entries[i].key, args[key_arg])) {
                             entries.erase(entries.begin() + long(i));
                             break;
                         }
                     }
                 }));
}

// A list of the map's entries (maps:to_list/1 order), each made by
// `item(mem, entry)` in `words` words plus its cons cell.
template <typename Item>
Term entry_list(Process& p, Term* args, size_t words, Item item) {
    uint64_t n = map::size(args[0]);
    Term* mem = alloc(p, n * (words + kConsWords));
    if (!mem) return heap_exhausted(p);
    std::vector<map::Entry> entries;
    map::entries(args[0], entries);
    // OTP lists a HAMT's entries backwards from its iteration order (which
    // printing, fold and the iterator use); a flat map's in key order.
    if (map::is_hash_map(args[0])) std::reverse(entries.begin(), entries.end());
    Term list = kNil;
    for (uint64_t i = n; i-- > 0;) {
        Term value = item(mem, entries[i]);
        mem += words;
        list = make_cons(mem, value, list);
        mem += kConsWords;
    }
    return list;
}

bool is_pair_list(Term list) {
    for (; is_cons(list); list = cdr(list)) {
        Term t = car(list);
        if (!is_tuple(t) || tuple_arity(t) != 2) return false;
    }
    return is_nil(list);
}

bool contains(Term list, Term key) {
    for (; is_cons(list); list = cdr(list)) {
        if (exact_equal(car(list), key)) return true;
    }
    return false;
}

}  // namespace

namespace impl {

Term map_size(Process& p, Term* args) {
    if (!term::is_map(args[0])) return badmap(p, args[0]);
    return make_small(int64_t(map::size(args[0])));
}

Term is_map_key(Process& p, Term* args) {
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    return make_bool(map::get(args[1], args[0]) != kNone);
}

Term map_get(Process& p, Term* args) {
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    Term value = map::get(args[1], args[0]);
    return value == kNone ? badkey(p, args[0]) : value;
}

Term maps_get3(Process& p, Term* args) {
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    Term value = map::get(args[1], args[0]);
    return value == kNone ? args[2] : value;
}

Term maps_find(Process& p, Term* args) {
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    if (map::get(args[1], args[0]) == kNone) return make_atom(atom::kError);
    Term* mem = alloc(p, tuple_words(2));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 2);
    mem[1] = kOk;
    mem[2] = map::get(args[1], args[0]);
    return t;
}

Term maps_put(Process& p, Term* args) {
    if (!term::is_map(args[2])) return badmap(p, args[2]);
    return put_one(p, args, 0, 1, 2);
}

Term maps_update(Process& p, Term* args) {
    if (!term::is_map(args[2])) return badmap(p, args[2]);
    if (map::get(args[2], args[0]) == kNone) return badkey(p, args[0]);
    return put_one(p, args, 0, 1, 2);
}

Term maps_remove(Process& p, Term* args) {
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    if (map::get(args[1], args[0]) == kNone) return args[1];
    return remove_one(p, args, 0, 1);
}

Term maps_size(Process& p, Term* args) {
    return map_size(p, args);
}

Term maps_is_key(Process& p, Term* args) {
    return is_map_key(p, args);
}

Term maps_new(Process& p, Term*) {
    Term* mem = alloc(p, flat_map_words(0));
    if (!mem) return heap_exhausted(p);
    return make_flat_map(mem, nullptr, nullptr, 0);
}

Term maps_keys(Process& p, Term* args) {
    if (!term::is_map(args[0])) return badmap(p, args[0]);
    return entry_list(p, args, 0, [](Term*, const map::Entry& e) { return e.key; });
}

Term maps_values(Process& p, Term* args) {
    if (!term::is_map(args[0])) return badmap(p, args[0]);
    return entry_list(p, args, 0, [](Term*, const map::Entry& e) { return e.value; });
}

Term maps_to_list(Process& p, Term* args) {
    if (!term::is_map(args[0])) return badmap(p, args[0]);
    return entry_list(p, args, tuple_words(2), [](Term* mem, const map::Entry& e) {
        Term t = term::make_tuple(mem, 2);
        mem[1] = e.key;
        mem[2] = e.value;
        return t;
    });
}

Term maps_from_list(Process& p, Term* args) {
    if (!is_pair_list(args[0])) return badarg(p, 1, "not a list of pairs");
    return built(p, map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
                     for (Term l = args[0]; is_cons(l); l = cdr(l))
                         entries.push_back({tuple_element(car(l), 1), tuple_element(car(l), 2)});
                 }));
}

Term maps_from_keys(Process& p, Term* args) {
    if (list_length(args[0]) < 0) return badarg(p, 1, "not a list");
    return built(p, map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
                     for (Term l = args[0]; is_cons(l); l = cdr(l))
                         entries.push_back({car(l), args[1]});
                 }));
}

Term maps_merge(Process& p, Term* args) {
    if (!term::is_map(args[0])) return badmap(p, args[0]);
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    if (map::size(args[1]) == 0) return args[0];
    if (map::size(args[0]) == 0) return args[1];
    return built(p, map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
                     map::entries(args[0], entries);
                     map::entries(args[1], entries);
                 }));
}

Term maps_with(Process& p, Term* args) {
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    if (list_length(args[0]) < 0) return badarg(p, 1, "not a list");
    return built(p, map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
                     for (Term l = args[0]; is_cons(l); l = cdr(l)) {
                         Term value = map::get(args[1], car(l));
                         if (value != kNone) entries.push_back({car(l), value});
                     }
                 }));
}

Term maps_without(Process& p, Term* args) {
    if (!term::is_map(args[1])) return badmap(p, args[1]);
    if (list_length(args[0]) < 0) return badarg(p, 1, "not a list");
    return built(p, map::build_on_heap(p, [&](std::vector<map::Entry>& entries) {
                     std::vector<map::Entry> all;
                     map::entries(args[1], all);
                     for (const map::Entry& e : all) {
                         if (!contains(args[0], e.key)) entries.push_back(e);
                     }
                 }));
}

// erlang:phash2/1: 27 bits of OTP's portable hash; phash2/2: in 0..Range-1.
Term phash2(Process& p, Term* args) {
    return make_small(int64_t(map::portable_hash(args[0]) & ((1u << 27) - 1)));
}

Term phash2_2(Process& p, Term* args) {
    Term range = args[1];
    if (!is_small(range) || small_value(range) < 1 || small_value(range) > (int64_t(1) << 32))
        return badarg(p, 2, "out of range");
    return make_small(int64_t(map::portable_hash(args[0]) % uint64_t(small_value(range))));
}

// erlang:phash/2: OTP's legacy hash (dict and sets bucket by it), in 1..Range.
Term phash(Process& p, Term* args) {
    Term range = args[1];
    if (!is_small(range) || small_value(range) < 1 || small_value(range) > (int64_t(1) << 32))
        return badarg(p, 2, "out of range");
    return make_small(int64_t(map::legacy_hash(args[0]) % uint64_t(small_value(range))) + 1);
}

}  // namespace impl

}  // namespace bif
