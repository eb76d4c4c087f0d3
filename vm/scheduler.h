// scheduler (namespace sched): who runs next. Run queues by priority,
// reduction slices, waking waiting processes, firing timers, ending
// processes, and the end of the program (when main/1's process ends).
//
// A process is in at most one run queue, and a waiting one (blocked in
// receive) is in none: it costs no CPU until a signal or its timer wakes
// it. Each slice runs a process for kSliceReductions (interp.h); the
// interpreter switches it out at its next call or return past that.
//
//   queues[max]    -> p -> p          always first
//   queues[high]   -> p               before normal and low
//   queues[normal] -> p -> p -> p     normal and low share the CPU:
//   queues[low]    -> p               every 8th normal-level pick is low's
//
// For now one scheduler runs on the thread that calls run(); the
// structures are per scheduler so that N threads with stealing can come
// (the mailbox is already a lock-free multi-producer queue).
#pragma once

#include "vm/process.h"

namespace sched {

using process::Process;

// Queues a runnable process (not queued yet).
void enqueue(Process* p);

// A signal arrived for `p`: queue it if it is waiting and not queued.
void wake(Process* p);

// The process running on this scheduler, or null.
Process* current();

// Runs every process until `main` ends (or a process halts the VM); then
// frees every process left. Returns the exit status: 0 when main/1
// returned, its halt code, or 1 when main ended otherwise (after printing
// why to stderr).
int run(Process* main);

}  // namespace sched
