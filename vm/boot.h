// boot: the processes every program starts with, beside main: the standard
// I/O servers, as in Erlang/OTP. `user` (stdlib/user.bl) serves standard
// output and is every process's group leader unless group_leader/2 says
// otherwise; `standard_error` serves standard error. Both are registered
// under those names, as is `file_server_2` (stdlib/file_server.bl), which
// OTP's file module calls. Their code loads from the library at their
// first slice.
#pragma once

#include <vector>

#include "vm/process.h"

namespace boot {

// Creates, registers and points the default group leader at the I/O
// servers (and the file server) (after process::table_init). The caller queues them: pass them
// to sched::run as its `system` processes.
std::vector<process::Process*> start_io_servers();

}  // namespace boot
