// poll: the epoll thread, its wake-up eventfd and its task queue (see
// poll.h).
#include "vm/poll.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "vm/scheduler.h"

namespace poll {

namespace {

constexpr int kBatch = 64;

// Tasks posted and not yet done, or a batch of events being handled
// (busy); and descriptors watched that keep
// the VM alive.
std::atomic<size_t> g_queued{0};
std::atomic<size_t> g_alive{0};
std::atomic<bool> g_started{false};

// The poller: created with its thread at the first use, never destroyed
// (its thread runs until the VM exits).
class Poller {
  public:
    // nullptr when epoll, the eventfd or the thread cannot be had.
    static Poller* get() {
        static Poller* const poller = start();
        return poller;
    }

    int epoll() const { return epoll_; }

    void post(std::function<void()> task) {
        {
            std::lock_guard<std::mutex> guard(lock_);
            tasks_.push_back(std::move(task));
            g_queued.fetch_add(1, std::memory_order_relaxed);
        }
        uint64_t one = 1;
        while (write(wake_, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }

  private:
    Poller(int epoll, int wake) : epoll_(epoll), wake_(wake) {}

    static Poller* start() {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;  // the wake-up: no handler
        if (ep < 0 || wake < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev) != 0) {
            if (ep >= 0) close(ep);
            if (wake >= 0) close(wake);
            return nullptr;
        }
        auto* poller = new Poller(ep, wake);
        g_started.store(true, std::memory_order_release);
        try {
            std::thread([poller] { poller->loop(); }).detach();
        } catch (const std::system_error&) {
            close(ep);
            close(wake);
            delete poller;
            return nullptr;
        }
        return poller;
    }

    void loop() {
        // A write to a pipe whose reader is gone fails with EPIPE here; the
        // SIGPIPE it raises stays pending on this thread, never kills the VM.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        epoll_event events[kBatch];
        for (;;) {
            int n = epoll_wait(epoll_, events, kBatch, -1);
            if (n < 0) continue;  // EINTR
            sched::pin_foreign();
            // Busy while handlers run: one may unwatch its last descriptor
            // (g_alive drops) before it delivers the messages that end
            // (a port's exit_status and 'DOWN'), and the schedulers'
            // deadlock check must not see nothing pending in between.
            g_queued.fetch_add(1, std::memory_order_acq_rel);
            for (int i = 0; i < n; ++i) {
                auto* handler = static_cast<Handler*>(events[i].data.ptr);
                if (handler) handler->ready(events[i].events);
            }
            g_queued.fetch_sub(1, std::memory_order_release);
            run_tasks();
            sched::unpin_foreign();
        }
    }

    // Runs the tasks posted so far, and those they post, oldest first.
    void run_tasks() {
        uint64_t count;
        while (read(wake_, &count, sizeof count) < 0 && errno == EINTR) {
        }
        for (;;) {
            std::vector<std::function<void()>> batch;
            {
                std::lock_guard<std::mutex> guard(lock_);
                batch.swap(tasks_);
            }
            if (batch.empty()) return;
            for (auto& task : batch) {
                task();
                // Counted down once done: a task that delivers a message
                // has made its receiver runnable before busy() drops.
                g_queued.fetch_sub(1, std::memory_order_release);
            }
        }
    }

    int epoll_;
    int wake_;  // eventfd: tasks were posted
    std::mutex lock_;
    std::vector<std::function<void()>> tasks_;  // under lock_
};

bool control(int op, int fd, uint32_t events, Handler* handler) {
    Poller* poller = Poller::get();
    if (!poller) return false;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    return epoll_ctl(poller->epoll(), op, fd, &ev) == 0;
}

}  // namespace

bool watch(int fd, uint32_t events, Handler* handler, bool keeps_alive) {
    if (!control(EPOLL_CTL_ADD, fd, events, handler)) return false;
    if (keeps_alive) g_alive.fetch_add(1, std::memory_order_acq_rel);
    return true;
}

bool modify(int fd, uint32_t events, Handler* handler) {
    return control(EPOLL_CTL_MOD, fd, events, handler);
}

void unwatch(int fd, bool keeps_alive) {
    if (Poller* poller = Poller::get()) epoll_ctl(poller->epoll(), EPOLL_CTL_DEL, fd, nullptr);
    if (keeps_alive) g_alive.fetch_sub(1, std::memory_order_acq_rel);
}

void post(std::function<void()> task) {
    if (Poller* poller = Poller::get()) {
        poller->post(std::move(task));
    } else {
        task();  // no poller thread could be had: nothing can be watched either
    }
}

void stop() {
    if (!g_started.load(std::memory_order_acquire)) return;
    auto* parked = new std::atomic<bool>(false);  // the poller holds it forever
    post([parked] {
        sched::unpin_foreign();
        parked->store(true, std::memory_order_release);
        for (;;)
            pause();
    });
    for (int waited_ms = 0; !parked->load(std::memory_order_acquire) && waited_ms < 1000;
         ++waited_ms)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

bool busy() {
    return g_alive.load(std::memory_order_acquire) != 0 ||
           g_queued.load(std::memory_order_acquire) != 0;
}

}  // namespace poll
