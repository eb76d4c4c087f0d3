// dirty: the dirty pools, threads that run the BIFs that may block (stdin,
// files, commands) or run long, so that a normal scheduler never does.
//
// A BIF marked kDirtyIo or kDirtyCpu in vm/bifs.def is not called by the
// scheduler that meets it: the interpreter saves the process as at the end
// of a slice, with the BIF's arguments as its live registers, and returns
// Status::Dirty. The scheduler hands the process, still busy (no other
// scheduler runs it; process_info and friends wait for it as for a
// running process), to the pool of that kind. A pool thread calls the BIF
// (interp::run_dirty) and gives the process back to the normal schedulers
// (sched::resume), where it goes on at interp's dirty_return with the
// result.
//
//   scheduler ---Status::Dirty---> pool queue ---> pool thread: BIF call
//       ^                                               |
//       +-------------- sched::resume(p) <--------------+
//
// Messages and exit signals that come meanwhile wait in the process's
// inbox, as for any running process. Pool threads start when first needed;
// the I/O pool adds a thread whenever every thread it has is busy (a slow
// read does not hold up a short one), up to --dirty-io; the CPU pool has
// --dirty-cpu.
#pragma once

#include <cstddef>

#include "vm/process.h"

namespace dirty {

// Queues `p` (saved by the interpreter, rare->dirty_call set) for a thread
// of the pool its BIF names (kDirtyIo; kDirtyCpu, or none: a BIF that
// asked with bif::go_dirty). Called by the
// scheduler that ran it.
void submit(process::Process* p);

// True on a pool thread (a BIF there does its work: bif::go_dirty).
bool on_pool();

// Dirty calls submitted and not yet handed back (the schedulers' deadlock
// check: a process in a dirty call will wake).
size_t in_flight();

}  // namespace dirty
