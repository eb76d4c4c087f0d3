// poll: a watched pipe calls its handler on the poller thread when it
// becomes readable, tasks run there in the order posted, busy() counts the
// descriptors that keep the VM alive, and an unwatched descriptor calls
// nothing.
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "vm/poll.h"

namespace {

using namespace std::chrono_literals;

// Reads what is there each time it is called; remembers the thread.
struct Reader final : poll::Handler {
    int fd;
    std::mutex lock;
    std::condition_variable changed;
    std::string got;
    std::thread::id thread;
    int calls = 0;

    explicit Reader(int f) : fd(f) {}

    void ready(uint32_t events) override {
        char buf[64];
        ssize_t n = (events & EPOLLIN) ? read(fd, buf, sizeof buf) : 0;
        std::lock_guard<std::mutex> guard(lock);
        if (n > 0) got.append(buf, size_t(n));
        thread = std::this_thread::get_id();
        ++calls;
        changed.notify_all();
    }

    bool wait_for_text(const std::string& text) {
        std::unique_lock<std::mutex> guard(lock);
        return changed.wait_for(guard, 5s, [&] { return got == text; });
    }
};

// Waits until every task posted so far has run.
void drain() {
    std::mutex lock;
    std::condition_variable done;
    bool ran = false;
    poll::post([&] {
        std::lock_guard<std::mutex> guard(lock);
        ran = true;
        done.notify_all();
    });
    std::unique_lock<std::mutex> guard(lock);
    REQUIRE(done.wait_for(guard, 5s, [&] { return ran; }));
}

// busy() once the tasks counted in it are done (a task is counted until
// it returns, after it signalled drain()).
bool settled_busy() {
    drain();
    for (int i = 0; i < 5000 && poll::busy(); ++i)
        std::this_thread::sleep_for(1ms);
    return poll::busy();
}

}  // namespace

TEST_CASE("poll: a readable pipe calls its handler on the poller thread", "[poll]") {
    int ends[2];
    REQUIRE(pipe2(ends, O_CLOEXEC | O_NONBLOCK) == 0);
    Reader reader(ends[0]);
    REQUIRE_FALSE(settled_busy());
    REQUIRE(poll::watch(ends[0], EPOLLIN, &reader, true));
    CHECK(poll::busy());
    REQUIRE(write(ends[1], "hello", 5) == 5);
    CHECK(reader.wait_for_text("hello"));
    CHECK(reader.thread != std::this_thread::get_id());
    REQUIRE(write(ends[1], " again", 6) == 6);
    CHECK(reader.wait_for_text("hello again"));

    poll::unwatch(ends[0], true);
    CHECK_FALSE(settled_busy());
    int calls;
    {
        std::lock_guard<std::mutex> guard(reader.lock);
        calls = reader.calls;
    }
    REQUIRE(write(ends[1], "!", 1) == 1);
    drain();
    std::lock_guard<std::mutex> guard(reader.lock);
    CHECK(reader.calls == calls);  // no longer watched
    close(ends[0]);
    close(ends[1]);
}

TEST_CASE("poll: tasks run on the poller thread in the order posted", "[poll]") {
    std::mutex lock;
    std::vector<int> order;
    std::thread::id where;
    for (int i = 0; i < 100; ++i) {
        poll::post([&, i] {
            std::lock_guard<std::mutex> guard(lock);
            order.push_back(i);
            where = std::this_thread::get_id();
        });
    }
    drain();
    std::lock_guard<std::mutex> guard(lock);
    REQUIRE(order.size() == 100);
    for (int i = 0; i < 100; ++i)
        CHECK(order[size_t(i)] == i);
    CHECK(where != std::this_thread::get_id());
}

TEST_CASE("poll: a descriptor that does not keep the VM alive is not busy", "[poll]") {
    int ends[2];
    REQUIRE(pipe2(ends, O_CLOEXEC | O_NONBLOCK) == 0);
    Reader reader(ends[0]);
    REQUIRE_FALSE(settled_busy());
    REQUIRE(poll::watch(ends[0], EPOLLIN, &reader, false));
    CHECK_FALSE(poll::busy());
    REQUIRE(write(ends[1], "x", 1) == 1);
    CHECK(reader.wait_for_text("x"));
    poll::unwatch(ends[0], false);
    close(ends[0]);
    close(ends[1]);
}
