// bif_info: what a program may ask about the node: erlang:system_info/1,
// erlang:statistics/1, erlang:system_flag/2, and garbage_collect/1,2 of
// any process; and the BIFs behind init's argument functions.
//
// Values are OTP 25's wherever beamlite has the same thing (otp_release,
// wordsize, the limits it enforces, the counts it keeps); where beamlite
// has no such part (ports, ETS, async threads) the answer is what an
// Erlang/OTP node without it would say. Unknown keys raise badarg as in
// OTP. The flags of system_flag/2 that tune a collector beamlite does not
// have are recorded and reported back, and change nothing else (README,
// "Differences from Erlang").
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>
#include <vector>

#include "vm/bif.h"
#include "vm/ets.h"
#include "vm/gc.h"
#include "vm/node.h"
#include "vm/port.h"
#include "vm/reply.h"
#include "vm/scheduler.h"
#include "vm/timer.h"

#ifndef BEAMLITE_VERSION
#define BEAMLITE_VERSION "0"
#endif
// The versions of the Erlang/OTP the library was built from (CMake finds
// them in BEAMLITE_OTP_LIB); OTP 25.0's when it could not tell.
#ifndef BEAMLITE_ERTS_VSN
#define BEAMLITE_ERTS_VSN "13.0"
#endif
#ifndef BEAMLITE_KERNEL_VSN
#define BEAMLITE_KERNEL_VSN "8.4"
#endif
#ifndef BEAMLITE_STDLIB_VSN
#define BEAMLITE_STDLIB_VSN "4.0"
#endif

namespace bif {

using namespace term;
using reply::tagged;
using reply::Value;

namespace {

Term atom_of(uint32_t index) {
    return make_atom(index);
}

// ---- settings system_flag/2 changes and system_info/1 reports ------------------------

// OTP's defaults; beamlite's collector takes none of them into account.
std::atomic<int64_t> g_fullsweep_after{65535};
std::atomic<int64_t> g_min_heap_size{233};
std::atomic<int64_t> g_min_bin_vheap_size{46422};
std::atomic<int64_t> g_backtrace_depth{8};
std::atomic<int64_t> g_trace_control_word{0};
std::atomic<int64_t> g_schedulers_online{0};  // 0: all of them
std::atomic<int64_t> g_dirty_cpu_online{0};   // 0: all of them
// statistics(scheduler_wall_time) is on while this is above 0: each
// system_flag(scheduler_wall_time, true) adds one, each false takes one.
std::atomic<int64_t> g_scheduler_wall_time{0};
std::atomic<int64_t> g_wall_time_since{0};  // when it was switched on
std::atomic<int64_t> g_system_requests_limit{4};

int64_t schedulers_online() {
    int64_t online = g_schedulers_online.load(std::memory_order_relaxed);
    return online ? online : int64_t(sched::count());
}

int64_t dirty_cpu_schedulers() {
    unsigned n = node::config().dirty_cpu_schedulers;
    return n ? n : sched::count();
}

int64_t dirty_cpu_online() {
    int64_t online = g_dirty_cpu_online.load(std::memory_order_relaxed);
    return online ? online : dirty_cpu_schedulers();
}

std::string build_type() {
#ifdef NDEBUG
    return "opt";
#else
    return "debug";
#endif
}

std::string system_architecture() {
#if defined(__x86_64__)
    return "x86_64-pc-linux-gnu";
#elif defined(__aarch64__)
    return "aarch64-unknown-linux-gnu";
#else
    return "unknown-linux-gnu";
#endif
}

std::string system_version() {
    unsigned n = sched::count();
    return "Erlang/OTP 25 [beamlite " BEAMLITE_VERSION "] [erts-" BEAMLITE_ERTS_VSN
           "] [64-bit] [smp:" +
           std::to_string(n) + ":" + std::to_string(schedulers_online()) +
           "] [ds:" + std::to_string(dirty_cpu_schedulers()) + ":" +
           std::to_string(dirty_cpu_online()) + ":" +
           std::to_string(node::config().dirty_io_schedulers) + "] [emu]\n";
}

// {Major, Minor, Release} of the kernel, as OTP parses uname's release.
Value os_version() {
    struct utsname name;
    int parts[3] = {0, 0, 0};
    if (uname(&name) == 0) {
        const char* s = name.release;
        for (int i = 0; i < 3 && *s; ++i) {
            while (*s && (*s < '0' || *s > '9'))
                ++s;
            while (*s >= '0' && *s <= '9')
                parts[i] = parts[i] * 10 + (*s++ - '0');
        }
    }
    return reply::tuple(
        {reply::integer(parts[0]), reply::integer(parts[1]), reply::integer(parts[2])});
}

int64_t cpus(int name) {
    long n = sysconf(name);
    return n > 0 ? n : 1;
}

Value max_heap_size_map() {
    return reply::map({reply::atom(atom::kErrorLogger), reply::boolean(true),
                       reply::atom(atom::kKill), reply::boolean(true), reply::atom(atom::kSize),
                       reply::integer(int64_t(process::default_max_heap_words))});
}

Value garbage_collection_info() {
    return reply::list(
        {tagged(atom::kMaxHeapSize, reply::integer(int64_t(process::default_max_heap_words))),
         tagged(atom::kMinBinVheapSize, reply::integer(g_min_bin_vheap_size.load())),
         tagged(atom::kMinHeapSize, reply::integer(g_min_heap_size.load())),
         tagged(atom::kFullsweepAfter, reply::integer(g_fullsweep_after.load()))});
}

Value multi_scheduling() {
    return reply::atom(sched::count() == 1 ? atom::kDisabled : atom::kEnabled);
}

// system_info(Key)'s value when Key is an atom beamlite knows; false if not.
bool atom_info(uint32_t key, Value& out) {
    switch (key) {
        case atom::kOtpRelease:
            out = reply::string("25");
            return true;
        case atom::kVersion:
            out = reply::string(BEAMLITE_ERTS_VSN);
            return true;
        case atom::kSystemVersion:
            out = reply::string(system_version());
            return true;
        case atom::kWordsize:
            out = reply::integer(8);
            return true;
        case atom::kMachine:
            out = reply::string("BEAM");
            return true;
        case atom::kSchedulers:
            out = reply::integer(sched::count());
            return true;
        case atom::kSchedulersOnline:
            out = reply::integer(schedulers_online());
            return true;
        case atom::kLogicalProcessors:
            out = reply::integer(cpus(_SC_NPROCESSORS_CONF));
            return true;
        case atom::kLogicalProcessorsOnline:
            out = reply::integer(cpus(_SC_NPROCESSORS_ONLN));
            return true;
        case atom::kLogicalProcessorsAvailable:
            out = reply::integer(sched::available_cpus());
            return true;
        case atom::kProcessCount:
            out = reply::integer(int64_t(process::count()));
            return true;
        case atom::kProcessLimit:
            out = reply::integer(int64_t(process::max_procs()));
            return true;
        case atom::kPortCount:
            out = reply::integer(int64_t(port::count()));
            return true;
        case atom::kPortLimit:
            out = reply::integer(65536);
            return true;
        case atom::kAtomCount:
            out = reply::integer(atom::count());
            return true;
        case atom::kAtomLimit:
            out = reply::integer(atom::limit());
            return true;
        case atom::kEtsCount:
            out = reply::integer(int64_t(ets::all().size()));
            return true;
        case atom::kEtsLimit:
            out = reply::integer(8192);
            return true;
        case atom::kThreadPoolSize:
            out = reply::integer(0);
            return true;
        case atom::kSmpSupport:
            out = reply::boolean(true);
            return true;
        case atom::kThreads:
            out = reply::boolean(true);
            return true;
        case atom::kDirtyCpuSchedulers:
            out = reply::integer(dirty_cpu_schedulers());
            return true;
        case atom::kDirtyCpuSchedulersOnline:
            out = reply::integer(dirty_cpu_online());
            return true;
        case atom::kDirtyIoSchedulers:
            out = reply::integer(node::config().dirty_io_schedulers);
            return true;
        case atom::kBuildType:
        case atom::kEmuType:
            out = reply::atom(build_type() == "opt" ? atom::kOpt : atom::kDebug);
            return true;
        case atom::kEmuFlavor:
            out = reply::atom(atom::kEmu);
            return true;
        case atom::kDebugCompiled:
            out = reply::boolean(build_type() == "debug");
            return true;
        case atom::kEndian:
            out = reply::atom(atom::kLittle);
            return true;
        case atom::kHipeArchitecture:
            out = reply::atom(atom::kUndefined);
            return true;
        case atom::kKernelPoll:
            out = reply::boolean(false);
            return true;
        case atom::kCreation:
            out = reply::integer(0);
            return true;
        case atom::kHeapType:
            out = reply::atom(atom::kPrivate);
            return true;
        case atom::kDriverVersion:
            out = reply::string("3.3");
            return true;
        case atom::kNifVersion:
            out = reply::string("2.16");
            return true;
        case atom::kMultiScheduling:
            out = multi_scheduling();
            return true;
        case atom::kMultiSchedulingBlockers:
        case atom::kNormalMultiSchedulingBlockers:
        case atom::kDistCtrl:
            out = reply::list({});
            return true;
        case atom::kFullsweepAfter:
            out = tagged(atom::kFullsweepAfter, reply::integer(g_fullsweep_after.load()));
            return true;
        case atom::kMinHeapSize:
            out = tagged(atom::kMinHeapSize, reply::integer(g_min_heap_size.load()));
            return true;
        case atom::kMinBinVheapSize:
            out = tagged(atom::kMinBinVheapSize, reply::integer(g_min_bin_vheap_size.load()));
            return true;
        case atom::kMaxHeapSize:
            out = max_heap_size_map();
            return true;
        case atom::kGarbageCollection:
            out = garbage_collection_info();
            return true;
        case atom::kMessageQueueData:
            out = reply::atom(atom::kOffHeap);
            return true;
        case atom::kOsType:
            out = reply::tuple({reply::atom(atom::kUnix), reply::atom(atom::kLinux)});
            return true;
        case atom::kOsVersion:
            out = os_version();
            return true;
        case atom::kCompatRel:
            out = reply::integer(25);
            return true;
        case atom::kStartTime:
            out = reply::integer(node::start_ns());
            return true;
        case atom::kTimeOffset:
            out = reply::atom(atom::kFinal);
            return true;
        case atom::kTimeWarpMode:
            out = reply::atom(atom::kNoTimeWarp);
            return true;
        case atom::kTimeCorrection:
            out = reply::boolean(true);
            return true;
        case atom::kTolerantTimeofday:
            out = reply::atom(atom::kEnabled);
            return true;
        case atom::kTraceControlWord:
            out = reply::integer(g_trace_control_word.load());
            return true;
        case atom::kSchedulerId:
            out = reply::integer(sched::current_id());
            return true;
        case atom::kSchedulerBindType:
            out = reply::atom(atom::kUnbound);
            return true;
        case atom::kSystemArchitecture:
            out = reply::string(system_architecture());
            return true;
        case atom::kCpuQuota:
            out = reply::atom(atom::kUnknown);
            return true;
        case atom::kUpdateCpuInfo:
            out = reply::atom(atom::kUnchanged);
            return true;
        case atom::kSequentialTracer:
            out = tagged(atom::kSequentialTracer, reply::boolean(false));
            return true;
        case atom::kBacktraceDepth:
            out = reply::integer(g_backtrace_depth.load());
            return true;
        case atom::kOutstandingSystemRequestsLimit:
            out = reply::integer(g_system_requests_limit.load());
            return true;
        default:
            return false;
    }
}

}  // namespace

namespace impl {

Term system_info(Process& p, Term* args) {
    Term key = args[0];
    Value v;
    if (term::is_atom(key) && atom_info(atom_index(key), v)) return reply::build(p, v);
    // {wordsize, internal | external}
    if (term::is_tuple(key) && tuple_arity(key) == 2 &&
        tuple_element(key, 1) == atom_of(atom::kWordsize) &&
        (tuple_element(key, 2) == atom_of(atom::kInternal) ||
         tuple_element(key, 2) == atom_of(atom::kExternal)))
        return make_small(8);
    return badarg(p, 1, "invalid system info item");
}

}  // namespace impl

// ---- init's arguments --------------------------------------------------------------------------

namespace {

Value string_list(const std::vector<std::string>& strings) {
    std::vector<Value> items;
    for (const std::string& s : strings)
        items.push_back(reply::string(s));
    return reply::list(std::move(items));
}

}  // namespace

namespace impl {

Term init_get_plain_arguments(Process& p, Term* args) {
    return reply::build(p, string_list(node::config().plain_arguments));
}

// [{Flag, [Value]}]: the flag names are atoms of atoms.def.
Term init_get_arguments(Process& p, Term* args) {
    std::vector<Value> items;
    for (const auto& [name, values] : node::config().flags) {
        uint32_t flag = atom::find(name);
        if (flag == atom::kNoAtom) continue;
        items.push_back(reply::tuple({reply::atom(flag), string_list(values)}));
    }
    return reply::build(p, reply::list(std::move(items)));
}

// The versions of the applications bundled with beamlite (kernel,
// stdlib: those of the Erlang/OTP whose library it was built from), for
// stdlib/application.bl.
Term application_bundled_versions(Process& p, Term* args) {
    return reply::build(
        p, reply::list(
               {reply::tuple({reply::atom(atom::kKernel), reply::string(BEAMLITE_KERNEL_VSN)}),
                reply::tuple({reply::atom(atom::kStdlib), reply::string(BEAMLITE_STDLIB_VSN)})}));
}

}  // namespace impl

// ---- statistics/1 -----------------------------------------------------------------------------

namespace {

int64_t cpu_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t wall_ms() {
    return (timer::now_ns() - node::start_ns()) / 1000000;
}

// {Total, SinceLastCall}: the last call's total is shared by every process,
// as OTP's is.
Value total_and_delta(std::atomic<int64_t>& last, int64_t total) {
    int64_t before = last.exchange(total, std::memory_order_relaxed);
    return reply::tuple({reply::integer(total), reply::integer(total - before)});
}

std::atomic<int64_t> g_last_runtime{0};
std::atomic<int64_t> g_last_wall_clock{0};
std::atomic<int64_t> g_last_reductions{0};
std::atomic<int64_t> g_last_exact_reductions{0};

Value int_list(const std::vector<size_t>& values) {
    std::vector<Value> items;
    for (size_t v : values)
        items.push_back(reply::integer(int64_t(v)));
    return reply::list(std::move(items));
}

size_t sum(const std::vector<size_t>& values) {
    size_t total = 0;
    for (size_t v : values)
        total += v;
    return total;
}

// The normal schedulers' counts followed by the dirty CPU run queue's, and
// with `all` the dirty I/O one's, as OTP lists them (beamlite runs no
// dirty work yet: those queues are empty).
std::vector<size_t> with_dirty(std::vector<size_t> counts, bool all) {
    counts.push_back(0);
    if (all) counts.push_back(0);
    return counts;
}

// [{SchedulerId, ActiveTime, TotalTime}] since scheduler_wall_time was
// switched on. beamlite does not split a scheduler's time into busy and
// idle: a scheduler counts as active all along.
Value scheduler_wall_time(bool all) {
    if (g_scheduler_wall_time.load() <= 0) return reply::atom(atom::kUndefined);
    int64_t total = timer::now_ns() - g_wall_time_since.load();
    std::vector<Value> items;
    // The normal schedulers, the dirty CPU ones, and with `all` the dirty
    // I/O ones, numbered on from one another as OTP does.
    int64_t n =
        sched::count() + dirty_cpu_schedulers() + (all ? node::config().dirty_io_schedulers : 0);
    for (int64_t id = 1; id <= n; ++id)
        items.push_back(
            reply::tuple({reply::integer(id), reply::integer(total), reply::integer(total)}));
    return reply::list(std::move(items));
}

bool statistics_value(uint32_t key, Value& out) {
    switch (key) {
        case atom::kRuntime:
            out = total_and_delta(g_last_runtime, cpu_ms());
            return true;
        case atom::kWallClock:
            out = total_and_delta(g_last_wall_clock, wall_ms());
            return true;
        case atom::kReductions:
            out = total_and_delta(g_last_reductions, int64_t(sched::total_reductions()));
            return true;
        case atom::kExactReductions:
            out = total_and_delta(g_last_exact_reductions, int64_t(sched::total_reductions()));
            return true;
        case atom::kRunQueue:
        case atom::kTotalRunQueueLengths:
        case atom::kTotalRunQueueLengthsAll:
            out = reply::integer(int64_t(sum(sched::run_queue_lengths())));
            return true;
        case atom::kRunQueueLengths:
        case atom::kRunQueueLengthsAll:
            out =
                int_list(with_dirty(sched::run_queue_lengths(), key == atom::kRunQueueLengthsAll));
            return true;
        // A task is a process queued or running: beamlite counts the
        // queued ones per scheduler, plus the caller on its own.
        case atom::kActiveTasks:
        case atom::kActiveTasksAll:
        case atom::kTotalActiveTasks:
        case atom::kTotalActiveTasksAll: {
            std::vector<size_t> tasks = sched::run_queue_lengths();
            if (unsigned id = sched::current_id()) tasks[id - 1] += 1;
            bool total = key == atom::kTotalActiveTasks || key == atom::kTotalActiveTasksAll;
            out = total ? reply::integer(int64_t(sum(tasks)))
                        : int_list(with_dirty(tasks, key == atom::kActiveTasksAll));
            return true;
        }
        case atom::kGarbageCollection: {
            gc::Totals c = gc::totals();
            out = reply::tuple({reply::integer(int64_t(c.collections)),
                                reply::integer(int64_t(c.words_reclaimed)), reply::integer(0)});
            return true;
        }
        // Ports do no I/O yet: nothing went in or out through them.
        case atom::kIo:
            out = reply::tuple({tagged(atom::kInput, reply::integer(0)),
                                tagged(atom::kOutput, reply::integer(0))});
            return true;
        case atom::kContextSwitches:
            out = reply::tuple({reply::integer(int64_t(sched::total_slices())), reply::integer(0)});
            return true;
        case atom::kSchedulerWallTime:
            out = scheduler_wall_time(false);
            return true;
        case atom::kSchedulerWallTimeAll:
            out = scheduler_wall_time(true);
            return true;
        default:
            return false;
    }
}

}  // namespace

namespace impl {

Term statistics(Process& p, Term* args) {
    Value v;
    if (!term::is_atom(args[0]) || !statistics_value(atom_index(args[0]), v))
        return badarg(p, 1, "invalid statistics item");
    return reply::build(p, v);
}

}  // namespace impl

// ---- system_flag/2 ------------------------------------------------------------------------------

namespace {

bool small_at_least(Term t, int64_t low) {
    return is_small(t) && small_value(t) >= low;
}

// Sets a recorded number to args[1] when it is at least `low`; the old one.
Term set_number(Process& p, std::atomic<int64_t>& setting, Term value, int64_t low) {
    if (!small_at_least(value, low)) return badarg(p, 2, "invalid value");
    return make_small(setting.exchange(small_value(value)));
}

// The BEAM's heap sizes: 12, 38, then each the sum of the two before plus
// one (a Fibonacci-like growth) up to the 23rd, then 20% more each. A
// requested minimum heap size becomes the first of them that holds it.
int64_t heap_size_at_least(int64_t words) {
    int64_t before = 12, size = 38;
    if (words <= before) return before;
    for (int i = 2; size < words; ++i) {
        int64_t next = i < 23 ? size + before + 1 : size + size / 5;
        before = size;
        size = next;
    }
    return size;
}

Term set_heap_size(Process& p, std::atomic<int64_t>& setting, Term value) {
    if (!small_at_least(value, 0) || small_value(value) > (int64_t(1) << 40))
        return badarg(p, 2, "invalid value");
    return make_small(setting.exchange(heap_size_at_least(small_value(value))));
}

// schedulers_online and dirty_cpu_schedulers_online: 1..the threads
// there are. The threads all keep running (beamlite cannot take one
// offline); the count is what system_info reports.
Term set_online(Process& p, std::atomic<int64_t>& setting, int64_t current, int64_t max,
                Term value) {
    if (!is_small(value) || small_value(value) < 1 || small_value(value) > max)
        return badarg(p, 2, "invalid value");
    setting.store(small_value(value));
    return make_small(current);
}

Term set_scheduler_wall_time(Process& p, Term value) {
    if (value != kTrue && value != kFalse) return badarg(p, 2, "not a boolean");
    int64_t before;
    if (value == kTrue) {
        before = g_scheduler_wall_time.fetch_add(1);
        if (before == 0) g_wall_time_since.store(timer::now_ns());
    } else {
        before = g_scheduler_wall_time.load();
        while (before > 0 && !g_scheduler_wall_time.compare_exchange_weak(before, before - 1)) {
        }
    }
    return make_bool(before > 0);
}

}  // namespace

namespace impl {

Term system_flag(Process& p, Term* args) {
    Term flag = args[0], value = args[1];
    if (!term::is_atom(flag)) return badarg(p, 1, "invalid system flag");
    switch (atom_index(flag)) {
        case atom::kBacktraceDepth: {
            if (!small_at_least(value, 0)) return badarg(p, 2, "invalid value");
            // OTP caps the depth at 64.
            int64_t depth = std::min<int64_t>(small_value(value), 64);
            return make_small(g_backtrace_depth.exchange(depth));
        }
        case atom::kFullsweepAfter:
            return set_number(p, g_fullsweep_after, value, 0);
        case atom::kMinHeapSize:
            return set_heap_size(p, g_min_heap_size, value);
        case atom::kMinBinVheapSize:
            return set_heap_size(p, g_min_bin_vheap_size, value);
        case atom::kTraceControlWord: {
            if (!is_small(value) || small_value(value) < 0 || small_value(value) > 0xFFFFFFFF)
                return badarg(p, 2, "invalid value");
            return make_small(g_trace_control_word.exchange(small_value(value)));
        }
        case atom::kOutstandingSystemRequestsLimit: {
            if (!is_small(value) || small_value(value) < 1 || small_value(value) > 0x7FFFFFFF)
                return badarg(p, 2, "invalid value");
            return make_small(g_system_requests_limit.exchange(small_value(value)));
        }
        case atom::kSchedulersOnline:
            return set_online(p, g_schedulers_online, schedulers_online(), sched::count(), value);
        case atom::kDirtyCpuSchedulersOnline:
            return set_online(p, g_dirty_cpu_online, dirty_cpu_online(), dirty_cpu_schedulers(),
                              value);
        case atom::kSchedulerWallTime:
            return set_scheduler_wall_time(p, value);
        case atom::kMultiScheduling: {
            bool block = value == atom_of(atom::kBlock) || value == atom_of(atom::kBlockNormal);
            bool unblock =
                value == atom_of(atom::kUnblock) || value == atom_of(atom::kUnblockNormal);
            if (!block && !unblock) return badarg(p, 2, "invalid value");
            // Blocking is not done: every scheduler keeps running.
            return reply::build(p, multi_scheduling());
        }
        case atom::kTimeOffset:
            if (value != atom_of(atom::kFinalize)) return badarg(p, 2, "invalid value");
            return atom_of(atom::kFinal);
        default:
            return badarg(p, 1, "invalid system flag");
    }
}

}  // namespace impl

}  // namespace bif
