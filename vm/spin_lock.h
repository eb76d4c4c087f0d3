// spin_lock: a lock for critical sections of a few instructions (a run
// queue's push, pop or steal), where a pthread mutex under contention costs
// a futex system call on each side: the spawn benchmark on two schedulers
// spent a fifth of its time in the kernel waking and waiting on the run
// queue's mutex. Waiters spin on a plain load (the line stays shared until
// the holder releases it) and yield the CPU after a while, so a holder
// descheduled by the kernel does not leave a waiter burning its slice.
#pragma once

#include <atomic>
#include <thread>

namespace spin_lock {

class SpinLock {
  public:
    void lock() {
        for (;;) {
            if (!locked_.exchange(true, std::memory_order_acquire)) return;
            wait_free();
        }
    }

    bool try_lock() {
        return !locked_.load(std::memory_order_relaxed) &&
               !locked_.exchange(true, std::memory_order_acquire);
    }

    void unlock() { locked_.store(false, std::memory_order_release); }

  private:
    void wait_free() const {
        for (unsigned spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
            if (spins < 128) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            } else {
                std::this_thread::yield();
            }
        }
    }

    std::atomic<bool> locked_{false};
};

}  // namespace spin_lock
