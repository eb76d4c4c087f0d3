// behaviour: the callbacks a behaviour module asks for, for erl_lint's
// behaviour checks ("undefined callback function init/1 (behaviour
// 'gen_server')", "behaviour foo undefined").
//
// erlc asks the behaviour module itself (B:behaviour_info(callbacks)),
// loaded from the code path. beamlite looks in the same two places a program
// would load B from: OTP's behaviours (gen_server, supervisor, ...), whose
// callbacks are listed once in behaviours.def, and B.bl beside the module or
// in a -pa directory, whose -callback and -optional_callbacks attributes
// are read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace behaviour {

struct Callback {
    std::string name;
    int64_t arity;
    bool operator==(const Callback&) const = default;
    auto operator<=>(const Callback&) const = default;  // erlang's order for {atom, arity}
};

struct Callbacks {
    std::vector<Callback> all;       // every -callback, optional ones too
    std::vector<Callback> optional;  // -optional_callbacks
};

// The callbacks of behaviour `name`, or nullopt when no such behaviour
// module can be found (or it declares no callbacks: erlc says "undefined"
// then too). `dirs` are searched in order for NAME.bl.
std::optional<Callbacks> find(std::string_view name, const std::vector<std::string>& dirs);

}  // namespace behaviour
