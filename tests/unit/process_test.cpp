// process, mailbox, signal, timer: the process table (limits, stale pids),
// the lock-free inbox under concurrent senders, the receive save point and
// mark, the GC's handling of a message being matched, the exit-signal
// rules, and the timer heap.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "vm/gc.h"
#include "vm/mailbox.h"
#include "vm/process.h"
#include "vm/signal.h"
#include "vm/timer.h"

using namespace term;

namespace {

// A list [1..n] on p's heap.
Term int_list(process::Process& p, int64_t n) {
    Term* mem = process::alloc(p, size_t(n) * kConsWords);
    Term list = kNil;
    for (int64_t i = n; i > 0; --i, mem += 2)
        list = make_cons(mem, make_small(i), list);
    return list;
}

mailbox::Signal* message(Term t) {
    mailbox::Signal* s = mailbox::signal_new(mailbox::Kind::Message, kNil);
    mailbox::copy_message(s, t);
    return s;
}

// Processes in a fresh table; freed at the end of the test.
struct Procs {
    std::vector<process::Process*> all;
    explicit Procs(size_t max = process::kMinMaxProcs) { process::table_init(max); }
    process::Process* spawn() {
        process::Process* p = process::create();
        if (!process::table_insert(p)) {
            process::destroy(p);
            return nullptr;
        }
        all.push_back(p);
        return p;
    }
    ~Procs() {
        for (process::Process* p : all) {
            process::table_remove(p);
            process::destroy(p);
        }
    }
};

}  // namespace

TEST_CASE("process table: pids, limit, stale pids") {
    Procs procs;
    process::Process* first = procs.spawn();
    REQUIRE(first);
    CHECK(first->pid == make_pid(0, 0));
    CHECK(process::lookup(first->pid) == first);
    for (size_t i = 1; i < process::kMinMaxProcs; ++i)
        REQUIRE(procs.spawn());
    CHECK(process::count() == process::kMinMaxProcs);
    CHECK(procs.spawn() == nullptr);  // system_limit

    Term old_pid = first->pid;
    process::table_remove(first);
    process::destroy(first);
    procs.all.erase(procs.all.begin());
    CHECK(process::lookup(old_pid) == nullptr);
    process::Process* reused = procs.spawn();
    REQUIRE(reused);
    CHECK(pid_slot(reused->pid) == 0);
    CHECK(reused->pid != old_pid);  // a new serial
    CHECK(process::lookup(old_pid) == nullptr);
    CHECK(process::lookup(make_small(3)) == nullptr);
}

TEST_CASE("mailbox: one sender's order survives the stack inbox") {
    mailbox::Mailbox box;
    for (int i = 0; i < 5; ++i)
        mailbox::push(box, message(make_small(i)));
    CHECK(mailbox::length(box) == 5);
    for (mailbox::Signal* s = mailbox::take_inbox(box); s;) {
        mailbox::Signal* next = s->next;
        mailbox::append(box, s);
        s = next;
    }
    CHECK(mailbox::length(box) == 5);
    int expected = 0;
    for (mailbox::Signal* s = box.head; s; s = s->next)
        CHECK(s->term == make_small(expected++));
    mailbox::clear(box);
    CHECK(mailbox::length(box) == 0);
}

TEST_CASE("mailbox: concurrent senders lose nothing and keep per-sender order") {
    mailbox::Mailbox box;
    constexpr int kSenders = 4, kEach = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kSenders; ++t) {
        threads.emplace_back([&box, t] {
            for (int i = 0; i < kEach; ++i) {
                mailbox::Signal* s = mailbox::signal_new(mailbox::Kind::Message, make_small(t));
                s->term = make_small(i);
                mailbox::push(box, s);
            }
        });
    }
    std::vector<int> next(kSenders, 0);
    int received = 0;
    bool ordered = true;
    while (received < kSenders * kEach) {
        for (mailbox::Signal* s = mailbox::take_inbox(box); s;) {
            mailbox::Signal* after = s->next;
            int sender = int(small_value(s->from));
            ordered &= small_value(s->term) == next[sender]++;
            ++received;
            mailbox::append(box, s);
            s = after;
        }
    }
    for (std::thread& t : threads)
        t.join();
    CHECK(ordered);
    CHECK(received == kSenders * kEach);
    CHECK(mailbox::length(box) == size_t(kSenders * kEach));
    mailbox::clear(box);
}

TEST_CASE("mailbox: save point, removal and the recv mark") {
    mailbox::Mailbox box;
    auto add = [&](int64_t v) {
        mailbox::push(box, message(make_small(v)));
        mailbox::append(box, mailbox::take_inbox(box));
    };
    auto at_cursor = [&]() {
        mailbox::Signal* s = mailbox::current(box);
        return s ? small_value(s->term) : -1;
    };
    add(1);
    add(2);
    add(3);
    // scan past 1 and 2, remove 3: the save point goes back to the start
    mailbox::advance(box);
    mailbox::advance(box);
    CHECK(at_cursor() == 3);
    mailbox::signal_free(mailbox::remove_current(box));
    CHECK(at_cursor() == 1);
    add(4);  // appended after the removed tail: [1, 2, 4]
    int owner = 0, other = 0;

    // a mark skips what was queued before it
    mailbox::set_mark(box, &owner);
    add(5);
    mailbox::use_mark(box, &owner);
    CHECK(at_cursor() == 5);
    mailbox::advance(box);
    CHECK(at_cursor() == -1);
    mailbox::reset(box);

    // a mark made for another receive is ignored (and dropped)
    mailbox::set_mark(box, &other);
    add(6);
    mailbox::use_mark(box, &owner);
    CHECK(at_cursor() == 1);
    mailbox::use_mark(box, &other);
    CHECK(at_cursor() == 1);

    // a removal drops the mark (its node may be gone)
    mailbox::set_mark(box, &owner);
    mailbox::signal_free(mailbox::remove_current(box));  // 1
    add(7);
    mailbox::use_mark(box, &owner);
    CHECK(at_cursor() == 2);
    CHECK(mailbox::length(box) == 5);  // 2, 4, 5, 6, 7
    mailbox::clear(box);
    CHECK(mailbox::length(box) == 0);
}

TEST_CASE("gc: a message being matched stays in its fragment") {
    Procs procs;
    process::Process* p = procs.spawn();
    Term x[2];
    p->xregs = x;
    p->live = 0;
    Term list = int_list(*p, 10);
    mailbox::push(p->mailbox, message(list));
    signals::handle_inbox(*p);
    mailbox::Signal* m = mailbox::current(p->mailbox);
    REQUIRE(m);
    Term in_fragment = m->term;
    x[0] = in_fragment;  // loop_rec put the message in X[0]
    mailbox::expose(p->mailbox, m);
    x[1] = int_list(*p, 3);
    p->live = 2;
    REQUIRE(gc::collect(p->heap, 100, process::roots(*p)));
    CHECK(x[0] == m->term);  // not moved out of the fragment
    CHECK(gc::verify(p->heap, process::roots(*p)).empty());
    // Received: the fragment joins the heap, the next GC moves it in.
    mailbox::Signal* got = mailbox::remove_current(p->mailbox);
    heap::attach_fragment(p->heap, got->fragment);
    got->fragment = nullptr;
    mailbox::signal_free(got);
    REQUIRE(gc::collect(p->heap, 0, process::roots(*p)));
    CHECK(x[0] != in_fragment);
    CHECK(heap::heap_used(p->heap) >= 26);
    CHECK(p->heap.fragments == nullptr);
    CHECK(to_string(x[0]) == "[1,2,3,4,5,6,7,8,9,10]");
    p->xregs = nullptr;
}

TEST_CASE("signals: exit rules") {
    Procs procs;
    process::Process* a = procs.spawn();
    process::Process* b = procs.spawn();
    auto reason_of = [](process::Process* p) {
        return to_string(p->rare->terms[process::kExitReason]);
    };
    SECTION("normal is ignored, other reasons end the process") {
        signals::send_exit(*a, b->pid, make_atom(atom::kNormal));
        signals::handle_inbox(*b);
        CHECK(b->status == process::Status::Runnable);
        signals::send_exit(*a, b->pid, make_atom(atom::intern("boom")));
        signals::handle_inbox(*b);
        CHECK(b->status == process::Status::Exiting);
        CHECK(reason_of(b) == "boom");
    }
    SECTION("trap_exit makes messages, but kill is untrappable") {
        b->flags |= process::kTrapExit;
        signals::send_exit(*a, b->pid, make_atom(atom::intern("boom")));
        CHECK(signals::handle_inbox(*b));
        CHECK(mailbox::length(b->mailbox) == 1);
        CHECK(to_string(mailbox::current(b->mailbox)->term) ==
              "{'EXIT'," + to_string(a->pid) + ",boom}");
        signals::send_exit(*a, b->pid, make_atom(atom::kKill));
        signals::handle_inbox(*b);
        CHECK(b->status == process::Status::Exiting);
        CHECK(reason_of(b) == "killed");
    }
    SECTION("a link's exit counts only while linked") {
        REQUIRE(signals::link(*a, b->pid));
        signals::handle_inbox(*b);  // b learns of the link
        signals::terminate(*b, make_atom(atom::intern("gone")));
        signals::unlink(*a, b->pid);  // while the exit signal is in flight
        signals::handle_inbox(*a);
        CHECK(a->status == process::Status::Runnable);
        // b is still in the table but has ended: its mailbox is closed, so
        // the new link request bounces back as a noproc exit signal.
        REQUIRE(signals::link(*a, b->pid));
        signals::handle_inbox(*a);
        CHECK(a->status == process::Status::Exiting);
        CHECK(reason_of(a) == "noproc");
    }
    SECTION("monitors: DOWN on end, nothing after demonitor") {
        uint64_t ref = signals::monitor(*a, b->pid);
        signals::handle_inbox(*b);
        signals::terminate(*b, make_atom(atom::intern("bye")));
        CHECK(signals::handle_inbox(*a));
        Term down = mailbox::current(a->mailbox)->term;
        CHECK(tuple_element(down, 1) == make_atom(atom::kDown));
        CHECK(ref_id(tuple_element(down, 2)) == ref);
        CHECK(to_string(tuple_element(down, 5)) == "bye");
    }
}

TEST_CASE("timer: deadlines in order, cancel and read") {
    timer::Timers timers;
    timers.start(1, 50, make_small(1), nullptr);
    timers.start(2, 0, make_small(2), nullptr);
    timers.start(3, 10, make_small(3), message(make_small(33)));
    CHECK(timers.pending() == 3);
    CHECK(timers.remaining(1) > 0);
    CHECK(timers.cancel(1) >= 0);
    CHECK(timers.cancel(1) == -1);
    CHECK(timers.remaining(1) == -1);
    timer::Fired fired;
    // Nothing is due yet but the 0 ms timer; a second on, all are.
    CHECK(timers.take_expired(timer::now_us(), fired));
    CHECK(fired.id == 2);
    CHECK_FALSE(timers.take_expired(timer::now_us(), fired));
    timers.start(2, 0, make_small(2), nullptr);
    int64_t later = timer::now_us() + 1'000'000;
    REQUIRE(timers.take_expired(later, fired));
    CHECK(fired.id == 2);
    REQUIRE(timers.take_expired(later, fired));
    CHECK(fired.id == 3);
    REQUIRE(fired.message);
    CHECK(fired.message->term == make_small(33));
    mailbox::signal_free(fired.message);
    CHECK_FALSE(timers.take_expired(later, fired));
    CHECK(timers.next_deadline() == -1);
    // Many cancelled timers do not pile up.
    for (uint64_t id = 10; id < 1010; ++id)
        timers.start(id, 100000, kNil, nullptr);
    for (uint64_t id = 10; id < 1010; ++id)
        timers.cancel(id);
    CHECK(timers.pending() == 0);
    CHECK(timers.next_deadline() == -1);
}
