// guard_bifs: the BIFs that Erlang/OTP 25 auto-imports (erl_internal:bif/2),
// with what erl_lint needs to know about each: may it appear in a guard
// (guard_bif/2), is it a type test (type_test/2), and is it one of the BIFs
// that were auto-imported before R14 (old_bif/2: calling a local function
// that shadows one of those is an error, not a warning).
//
// The table was generated from OTP 25.2's erl_internal and is the only list
// of BIFs in the compiler: lint includes it and so will code generation.
// The obsolete guard tests (`integer(X)` for `is_integer(X)`) are listed in
// BEAMLITE_OLD_TYPE_TESTS.
#pragma once

// X(name, arity, guard, type_test, old)
#define BEAMLITE_AUTO_IMPORTED_BIFS(X)     \
    X(abs, 1, 1, 0, 1)                     \
    X(alias, 0, 0, 0, 0)                   \
    X(alias, 1, 0, 0, 0)                   \
    X(apply, 2, 0, 0, 1)                   \
    X(apply, 3, 0, 0, 1)                   \
    X(atom_to_binary, 1, 0, 0, 0)          \
    X(atom_to_binary, 2, 0, 0, 1)          \
    X(atom_to_list, 1, 0, 0, 1)            \
    X(binary_part, 2, 1, 0, 0)             \
    X(binary_part, 3, 1, 0, 0)             \
    X(binary_to_atom, 1, 0, 0, 0)          \
    X(binary_to_atom, 2, 0, 0, 1)          \
    X(binary_to_existing_atom, 1, 0, 0, 0) \
    X(binary_to_existing_atom, 2, 0, 0, 1) \
    X(binary_to_float, 1, 0, 0, 0)         \
    X(binary_to_integer, 1, 0, 0, 0)       \
    X(binary_to_integer, 2, 0, 0, 0)       \
    X(binary_to_list, 1, 0, 0, 1)          \
    X(binary_to_list, 3, 0, 0, 1)          \
    X(binary_to_term, 1, 0, 0, 1)          \
    X(binary_to_term, 2, 0, 0, 0)          \
    X(bit_size, 1, 1, 0, 1)                \
    X(bitstring_to_list, 1, 0, 0, 1)       \
    X(byte_size, 1, 1, 0, 1)               \
    X(ceil, 1, 1, 0, 0)                    \
    X(check_old_code, 1, 0, 0, 0)          \
    X(check_process_code, 2, 0, 0, 1)      \
    X(check_process_code, 3, 0, 0, 0)      \
    X(date, 0, 0, 0, 1)                    \
    X(delete_module, 1, 0, 0, 1)           \
    X(demonitor, 1, 0, 0, 0)               \
    X(demonitor, 2, 0, 0, 0)               \
    X(disconnect_node, 1, 0, 0, 1)         \
    X(element, 2, 1, 0, 1)                 \
    X(erase, 0, 0, 0, 1)                   \
    X(erase, 1, 0, 0, 1)                   \
    X(error, 1, 0, 0, 0)                   \
    X(error, 2, 0, 0, 0)                   \
    X(error, 3, 0, 0, 0)                   \
    X(exit, 1, 0, 0, 1)                    \
    X(exit, 2, 0, 0, 1)                    \
    X(float, 1, 1, 1, 1)                   \
    X(float_to_binary, 1, 0, 0, 0)         \
    X(float_to_binary, 2, 0, 0, 0)         \
    X(float_to_list, 1, 0, 0, 1)           \
    X(float_to_list, 2, 0, 0, 0)           \
    X(floor, 1, 1, 0, 0)                   \
    X(garbage_collect, 0, 0, 0, 1)         \
    X(garbage_collect, 1, 0, 0, 1)         \
    X(garbage_collect, 2, 0, 0, 0)         \
    X(get, 0, 0, 0, 1)                     \
    X(get, 1, 0, 0, 1)                     \
    X(get_keys, 0, 0, 0, 0)                \
    X(get_keys, 1, 0, 0, 1)                \
    X(group_leader, 0, 0, 0, 1)            \
    X(group_leader, 2, 0, 0, 1)            \
    X(halt, 0, 0, 0, 1)                    \
    X(halt, 1, 0, 0, 1)                    \
    X(halt, 2, 0, 0, 0)                    \
    X(hd, 1, 1, 0, 1)                      \
    X(integer_to_binary, 1, 0, 0, 0)       \
    X(integer_to_binary, 2, 0, 0, 0)       \
    X(integer_to_list, 1, 0, 0, 1)         \
    X(integer_to_list, 2, 0, 0, 0)         \
    X(iolist_size, 1, 0, 0, 1)             \
    X(iolist_to_binary, 1, 0, 0, 1)        \
    X(is_alive, 0, 0, 0, 1)                \
    X(is_atom, 1, 1, 1, 1)                 \
    X(is_binary, 1, 1, 1, 1)               \
    X(is_bitstring, 1, 1, 1, 1)            \
    X(is_boolean, 1, 1, 1, 1)              \
    X(is_float, 1, 1, 1, 1)                \
    X(is_function, 1, 1, 1, 1)             \
    X(is_function, 2, 1, 1, 1)             \
    X(is_integer, 1, 1, 1, 1)              \
    X(is_list, 1, 1, 1, 1)                 \
    X(is_map, 1, 1, 1, 0)                  \
    X(is_map_key, 2, 1, 0, 0)              \
    X(is_number, 1, 1, 1, 1)               \
    X(is_pid, 1, 1, 1, 1)                  \
    X(is_port, 1, 1, 1, 1)                 \
    X(is_process_alive, 1, 0, 0, 1)        \
    X(is_record, 2, 1, 1, 1)               \
    X(is_record, 3, 1, 1, 1)               \
    X(is_reference, 1, 1, 1, 1)            \
    X(is_tuple, 1, 1, 1, 1)                \
    X(length, 1, 1, 0, 1)                  \
    X(link, 1, 0, 0, 1)                    \
    X(list_to_atom, 1, 0, 0, 1)            \
    X(list_to_binary, 1, 0, 0, 1)          \
    X(list_to_bitstring, 1, 0, 0, 1)       \
    X(list_to_existing_atom, 1, 0, 0, 1)   \
    X(list_to_float, 1, 0, 0, 1)           \
    X(list_to_integer, 1, 0, 0, 1)         \
    X(list_to_integer, 2, 0, 0, 0)         \
    X(list_to_pid, 1, 0, 0, 1)             \
    X(list_to_port, 1, 0, 0, 0)            \
    X(list_to_ref, 1, 0, 0, 0)             \
    X(list_to_tuple, 1, 0, 0, 1)           \
    X(load_module, 2, 0, 0, 1)             \
    X(make_ref, 0, 0, 0, 1)                \
    X(map_get, 2, 1, 0, 0)                 \
    X(map_size, 1, 1, 0, 0)                \
    X(max, 2, 0, 0, 0)                     \
    X(min, 2, 0, 0, 0)                     \
    X(module_loaded, 1, 0, 0, 1)           \
    X(monitor, 2, 0, 0, 0)                 \
    X(monitor, 3, 0, 0, 0)                 \
    X(monitor_node, 2, 0, 0, 1)            \
    X(node, 0, 1, 0, 1)                    \
    X(node, 1, 1, 0, 1)                    \
    X(nodes, 0, 0, 0, 1)                   \
    X(nodes, 1, 0, 0, 1)                   \
    X(nodes, 2, 0, 0, 0)                   \
    X(now, 0, 0, 0, 1)                     \
    X(open_port, 2, 0, 0, 1)               \
    X(pid_to_list, 1, 0, 0, 1)             \
    X(port_close, 1, 0, 0, 1)              \
    X(port_command, 2, 0, 0, 1)            \
    X(port_command, 3, 0, 0, 0)            \
    X(port_connect, 2, 0, 0, 1)            \
    X(port_control, 3, 0, 0, 1)            \
    X(port_to_list, 1, 0, 0, 0)            \
    X(pre_loaded, 0, 0, 0, 1)              \
    X(process_flag, 2, 0, 0, 1)            \
    X(process_flag, 3, 0, 0, 1)            \
    X(process_info, 1, 0, 0, 1)            \
    X(process_info, 2, 0, 0, 1)            \
    X(processes, 0, 0, 0, 1)               \
    X(purge_module, 1, 0, 0, 1)            \
    X(put, 2, 0, 0, 1)                     \
    X(ref_to_list, 1, 0, 0, 0)             \
    X(register, 2, 0, 0, 1)                \
    X(registered, 0, 0, 0, 1)              \
    X(round, 1, 1, 0, 1)                   \
    X(self, 0, 1, 0, 1)                    \
    X(setelement, 3, 0, 0, 1)              \
    X(size, 1, 1, 0, 1)                    \
    X(spawn, 1, 0, 0, 1)                   \
    X(spawn, 2, 0, 0, 1)                   \
    X(spawn, 3, 0, 0, 1)                   \
    X(spawn, 4, 0, 0, 1)                   \
    X(spawn_link, 1, 0, 0, 1)              \
    X(spawn_link, 2, 0, 0, 1)              \
    X(spawn_link, 3, 0, 0, 1)              \
    X(spawn_link, 4, 0, 0, 1)              \
    X(spawn_monitor, 1, 0, 0, 1)           \
    X(spawn_monitor, 2, 0, 0, 0)           \
    X(spawn_monitor, 3, 0, 0, 1)           \
    X(spawn_monitor, 4, 0, 0, 0)           \
    X(spawn_opt, 2, 0, 0, 1)               \
    X(spawn_opt, 3, 0, 0, 1)               \
    X(spawn_opt, 4, 0, 0, 1)               \
    X(spawn_opt, 5, 0, 0, 1)               \
    X(spawn_request, 1, 0, 0, 0)           \
    X(spawn_request, 2, 0, 0, 0)           \
    X(spawn_request, 3, 0, 0, 0)           \
    X(spawn_request, 4, 0, 0, 0)           \
    X(spawn_request, 5, 0, 0, 0)           \
    X(spawn_request_abandon, 1, 0, 0, 0)   \
    X(split_binary, 2, 0, 0, 1)            \
    X(statistics, 1, 0, 0, 1)              \
    X(term_to_binary, 1, 0, 0, 1)          \
    X(term_to_binary, 2, 0, 0, 1)          \
    X(term_to_iovec, 1, 0, 0, 0)           \
    X(term_to_iovec, 2, 0, 0, 0)           \
    X(throw, 1, 0, 0, 1)                   \
    X(time, 0, 0, 0, 1)                    \
    X(tl, 1, 1, 0, 1)                      \
    X(trunc, 1, 1, 0, 1)                   \
    X(tuple_size, 1, 1, 0, 1)              \
    X(tuple_to_list, 1, 0, 0, 1)           \
    X(unalias, 1, 0, 0, 0)                 \
    X(unlink, 1, 0, 0, 1)                  \
    X(unregister, 1, 0, 0, 1)              \
    X(whereis, 1, 0, 0, 1)                 \
    /* end */

// X(name, arity): pre-R8 type tests, still accepted in guards with a
// warning "integer/1 obsolete (use is_integer/1)" (record/2 -> is_record/2).
#define BEAMLITE_OLD_TYPE_TESTS(X) \
    X(atom, 1)                     \
    X(binary, 1)                   \
    X(float, 1)                    \
    X(function, 1)                 \
    X(integer, 1)                  \
    X(list, 1)                     \
    X(number, 1)                   \
    X(pid, 1)                      \
    X(port, 1)                     \
    X(record, 2)                   \
    X(reference, 1)                \
    X(tuple, 1)
