// poll: the readiness poller. One thread, started at the first watch,
// waits on one epoll set and calls back the Handler of each descriptor
// that becomes ready; ports (port.h) read their children's output and
// write their input there, and learn of their exits through pidfds.
// Sockets will watch their descriptors here too. Nothing here knows what
// a descriptor is for.
//
//   any thread                    poller thread
//   watch(fd, events, h) ──epoll_ctl──► epoll_wait ──► h->ready(events)
//   post(task) ──queue + eventfd─────►  (after the batch) task()
//
// Invariants:
// - Callbacks and tasks run only on the poller thread, one at a time.
// - A batch of events is handled, then the posted tasks run: a task may
//   therefore free a Handler (after unwatching it) without a later event
//   of the same batch finding it freed. Whoever frees a Handler does it
//   in a task, never elsewhere.
// - The poller thread holds an epoch of the schedulers' reclamation
//   (sched::pin_foreign) while it runs callbacks and tasks, so they may
//   look processes up and deliver signals to them (signals::deliver), as
//   the schedulers' timers do.
#pragma once

#include <cstdint>
#include <functional>

namespace poll {

// What a watched descriptor calls back.
class Handler {
  public:
    virtual ~Handler() = default;
    // `events`: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR as epoll reports them.
    virtual void ready(uint32_t events) = 0;
};

// Watches `fd` for `events` (EPOLLIN, EPOLLOUT; level-triggered). A
// descriptor that `keeps_alive` counts in busy(): something may still come
// of it (a child's output), so the VM is not deadlocked while it waits.
// False (errno set) when the poller cannot start or epoll refuses.
bool watch(int fd, uint32_t events, Handler* handler, bool keeps_alive);
// Changes the events watched (same handler).
bool modify(int fd, uint32_t events, Handler* handler);
// Stops watching `fd` (before it is closed). `keeps_alive` as given to watch.
void unwatch(int fd, bool keeps_alive);

// Runs `task` on the poller thread, after the current batch of callbacks.
void post(std::function<void()> task);

// The VM is about to exit: the poller finishes the callback or task it is
// in and then does nothing more, so that nothing it would touch (the
// schedulers, the port table) is used while static destructors run.
// Waits for that, at most a second. Nothing is watched after it.
void stop();

// True while some descriptor that keeps the VM alive is watched or a task
// waits: the schedulers' deadlock check.
bool busy();

}  // namespace poll
