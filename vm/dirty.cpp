// dirty: the dirty CPU and I/O pools (see dirty.h).
#include "vm/dirty.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "vm/bif.h"
#include "vm/code.h"
#include "vm/interp.h"
#include "vm/mailbox.h"
#include "vm/node.h"
#include "vm/scheduler.h"

namespace dirty {

namespace {

thread_local bool t_on_pool = false;

enum class Kind { Cpu, Io };

std::atomic<size_t> g_in_flight{0};

// One pool: a queue of processes and the threads that take them. Threads
// are detached and never end: they wait for work for the life of the
// process (the program ends with exit(), whatever they are doing).
class Pool {
  public:
    explicit Pool(Kind kind) : kind_(kind) {}

    void submit(process::Process* p) {
        std::unique_lock<std::mutex> guard(lock_);
        queue_.push_back(p);
        // Every thread busy (or none yet): one more, up to the limit.
        if (idle_ == 0 && threads_ < limit()) start_thread();
        guard.unlock();
        ready_.notify_one();
    }

  private:
    unsigned limit() const {
        const node::Config& config = node::config();
        unsigned n = kind_ == Kind::Io ? config.dirty_io_schedulers : config.dirty_cpu_schedulers;
        if (n == 0) n = sched::count();  // dirty CPU: as many as schedulers
        return std::max(n, 1u);
    }

    // Under lock_.
    void start_thread() {
        try {
            std::thread([this] { loop(); }).detach();
            ++threads_;
        } catch (const std::system_error&) {
            // No thread: the queue waits for the ones there are. With none
            // at all the caller's process would never come back, so a
            // thread that cannot start is retried at the next submit.
        }
    }

    void loop() {
        t_on_pool = true;
        for (;;) {
            process::Process* p;
            {
                std::unique_lock<std::mutex> guard(lock_);
                ++idle_;
                ready_.wait(guard, [this] { return !queue_.empty(); });
                --idle_;
                p = queue_.front();
                queue_.pop_front();
            }
            interp::run_dirty(*p);
            mailbox::release_thread_cache();
            sched::resume(p);
            // Counted until queued: a scheduler that finds nothing to run
            // meanwhile must not take the program for deadlocked.
            g_in_flight.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    Kind kind_;
    std::mutex lock_;
    std::condition_variable ready_;
    std::deque<process::Process*> queue_;
    unsigned threads_ = 0;  // under lock_
    unsigned idle_ = 0;     // threads waiting for work, under lock_
};

// Never destroyed: their threads wait on them until the process exits
// (destroying a condition variable with waiters blocks in glibc).
Pool& pool(Kind kind) {
    static Pool* const cpu = new Pool(Kind::Cpu);
    static Pool* const io = new Pool(Kind::Io);
    return kind == Kind::Io ? *io : *cpu;
}

}  // namespace

void submit(process::Process* p) {
    const auto* call = static_cast<const code::Export*>(p->rare->dirty_call);
    Kind kind = call->bif->flags & bif::kDirtyIo ? Kind::Io : Kind::Cpu;
    g_in_flight.fetch_add(1, std::memory_order_acq_rel);
    pool(kind).submit(p);
}

bool on_pool() {
    return t_on_pool;
}

size_t in_flight() {
    return g_in_flight.load(std::memory_order_acquire);
}

}  // namespace dirty
