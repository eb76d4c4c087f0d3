// boot: the standard I/O servers and the file server every program starts
// with (see boot.h).
#include "vm/boot.h"

#include "vm/atom.h"
#include "vm/code.h"
#include "vm/interp.h"

namespace boot {

namespace {

// A process running Module:start(), registered as `name`; null when the
// process table is full.
process::Process* start_registered(term::Term module, term::Term name) {
    process::Process* p = process::create();
    if (!process::table_insert(p)) {
        process::destroy(p);
        return nullptr;
    }
    code::Export* start = code::export_entry(module, term::make_atom(atom::kStart), 0);
    interp::prepare_call(*p, start, nullptr, 0);
    process::register_name(name, p->pid);
    return p;
}

}  // namespace

std::vector<process::Process*> start_io_servers() {
    std::vector<process::Process*> started;
    term::Term user = term::make_atom(atom::kUser);
    term::Term standard_error = term::make_atom(atom::kStandardError);
    if (process::Process* p = start_registered(user, user)) {
        process::set_default_group_leader(p->pid);
        started.push_back(p);
    }
    if (process::Process* p = start_registered(standard_error, standard_error))
        started.push_back(p);
    // OTP's file module calls file_server_2 for every operation by name.
    if (process::Process* p = start_registered(term::make_atom(atom::kFileServer),
                                               term::make_atom(atom::kFileServer2)))
        started.push_back(p);
    return started;
}

}  // namespace boot
