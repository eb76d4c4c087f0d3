// bif_time: the clocks and the calendar BIFs: monotonic and system time in
// any unit, convert_time_unit/3, timestamp/0 and now/0 (and os:timestamp/0,
// os:system_time/0,1), date/0, time/0, localtime/0, universaltime/0 and
// the conversions between local and universal time that OTP's calendar
// module calls.
//
// Time units are one policy here: the native unit is the nanosecond, and a
// unit is an atom (second, millisecond, ...) or a positive integer of parts
// per second. Local time is the C library's (TZ), as the BEAM's is.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>

#include "vm/bif.h"
#include "vm/timer.h"

namespace bif {

using namespace term;

namespace {

Term atom_of(uint32_t index) {
    return make_atom(index);
}

// Parts per second of a time unit; 0 when `unit` is not one.
int64_t parts_per_second(Term unit) {
    if (unit == atom_of(atom::kSecond) || unit == atom_of(atom::kSeconds)) return 1;
    if (unit == atom_of(atom::kMillisecond) || unit == atom_of(atom::kMilliSeconds)) return 1000;
    if (unit == atom_of(atom::kMicrosecond) || unit == atom_of(atom::kMicroSeconds)) return 1000000;
    if (unit == atom_of(atom::kNanosecond) || unit == atom_of(atom::kNanoSeconds) ||
        unit == atom_of(atom::kNative))
        return 1000000000;
    if (unit == atom_of(atom::kPerfCounter)) return 1000000000;
    if (is_small(unit) && small_value(unit) > 0) return small_value(unit);
    return 0;
}

// value * to / from, rounded towards minus infinity as OTP does; false on
// overflow of a small integer.
bool convert(int64_t value, int64_t from, int64_t to, int64_t& out) {
    __int128 scaled = __int128(value) * to;
    __int128 q = scaled / from;
    if (scaled % from < 0) --q;
    if (q > term::kSmallMax || q < term::kSmallMin) return false;
    out = int64_t(q);
    return true;
}

Term time_in(Process& p, int64_t ns, Term unit) {
    int64_t per_second = parts_per_second(unit), v;
    if (!per_second || !convert(ns, 1000000000, per_second, v))
        return badarg(p, 1, "invalid time unit");
    return make_small(v);
}

int64_t system_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// {Y, M, D} and {H, Mi, S} of a broken-down time: 8 words.
const size_t kDateTimeWords = 2 * tuple_words(3) + tuple_words(2);

Term make_triple(Term* mem, int a, int b, int c) {
    Term t = term::make_tuple(mem, 3);
    mem[1] = make_small(a);
    mem[2] = make_small(b);
    mem[3] = make_small(c);
    return t;
}

Term make_date(Term* mem, const std::tm& tm) {
    return make_triple(mem, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

Term make_time(Term* mem, const std::tm& tm) {
    return make_triple(mem, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Term make_datetime(Process& p, const std::tm& tm) {
    Term* mem = alloc(p, kDateTimeWords);
    if (!mem) return heap_exhausted(p);
    Term date = make_date(mem, tm);
    Term time = make_time(mem + 4, tm);
    Term pair = term::make_tuple(mem + 8, 2);
    mem[9] = date;
    mem[10] = time;
    return pair;
}

std::tm now_broken_down(bool local) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    if (local) {
        localtime_r(&now, &tm);
    } else {
        gmtime_r(&now, &tm);
    }
    return tm;
}

bool small_in(Term t, int64_t low, int64_t high, int& out) {
    if (!is_small(t) || small_value(t) < low || small_value(t) > high) return false;
    out = int(small_value(t));
    return true;
}

bool is_leap_year(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// {{Y, M, D}, {H, Mi, S}} as OTP's BIFs accept it (a valid date, a year
// from 1970 on... as far as the C library goes); false if not one.
bool read_datetime(Term t, std::tm& tm) {
    if (!is_tuple(t) || tuple_arity(t) != 2) return false;
    Term date = tuple_element(t, 1), time = tuple_element(t, 2);
    if (!is_tuple(date) || tuple_arity(date) != 3 || !is_tuple(time) || tuple_arity(time) != 3)
        return false;
    int y, m, d, h, mi, s;
    if (!small_in(tuple_element(date, 1), 0, 1 << 30, y) ||
        !small_in(tuple_element(date, 2), 1, 12, m) ||
        !small_in(tuple_element(date, 3), 1, 31, d) || d > days_in_month(y, m) ||
        !small_in(tuple_element(time, 1), 0, 23, h) ||
        !small_in(tuple_element(time, 2), 0, 59, mi) || !small_in(tuple_element(time, 3), 0, 59, s))
        return false;
    tm = std::tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return true;
}

}  // namespace

namespace impl {

Term monotonic_time0(Process& p, Term* args) {
    return make_small(timer::now_ns());
}

Term monotonic_time1(Process& p, Term* args) {
    return time_in(p, timer::now_ns(), args[0]);
}

Term system_time0(Process& p, Term* args) {
    return make_small(system_ns());
}

Term system_time1(Process& p, Term* args) {
    return time_in(p, system_ns(), args[0]);
}

Term convert_time_unit(Process& p, Term* args) {
    if (!is_small(args[0])) return badarg(p, 1, "not an integer");
    int64_t from = parts_per_second(args[1]), to = parts_per_second(args[2]), v;
    if (!from) return badarg(p, 2, "invalid time unit");
    if (!to) return badarg(p, 3, "invalid time unit");
    if (!convert(small_value(args[0]), from, to, v)) return badarg(p, 1, "out of range");
    return make_small(v);
}

namespace {

// {MegaSecs, Secs, MicroSecs} of a time in microseconds.
Term make_timestamp(Process& p, int64_t us) {
    Term* mem = alloc(p, tuple_words(3));
    if (!mem) return heap_exhausted(p);
    Term t = term::make_tuple(mem, 3);
    mem[1] = make_small(us / 1000000000000);
    mem[2] = make_small(us / 1000000 % 1000000);
    mem[3] = make_small(us % 1000000);
    return t;
}

}  // namespace

// {MegaSecs, Secs, MicroSecs} of the system clock.
Term timestamp(Process& p, Term* args) {
    return make_timestamp(p, system_ns() / 1000);
}

// erlang:now/0 (deprecated, still in OTP 25): the system clock as a
// timestamp, strictly increasing over all the calls in the node, as OTP
// guarantees: a call within the microsecond of the last one gets the next.
Term now(Process& p, Term* args) {
    static std::atomic<int64_t> last{0};
    int64_t clock_us = system_ns() / 1000;
    int64_t previous = last.load(std::memory_order_relaxed);
    int64_t next;
    do {
        next = std::max(clock_us, previous + 1);
    } while (!last.compare_exchange_weak(previous, next, std::memory_order_relaxed));
    return make_timestamp(p, next);
}

Term date(Process& p, Term* args) {
    Term* mem = alloc(p, tuple_words(3));
    if (!mem) return heap_exhausted(p);
    return make_date(mem, now_broken_down(true));
}

Term time(Process& p, Term* args) {
    Term* mem = alloc(p, tuple_words(3));
    if (!mem) return heap_exhausted(p);
    return make_time(mem, now_broken_down(true));
}

Term localtime(Process& p, Term* args) {
    return make_datetime(p, now_broken_down(true));
}

Term universaltime(Process& p, Term* args) {
    return make_datetime(p, now_broken_down(false));
}

Term localtime_to_universaltime(Process& p, Term* args) {
    std::tm tm;
    if (!read_datetime(args[0], tm)) return badarg(p, 1, "not a valid date and time");
    tm.tm_isdst = -1;  // the C library decides, as OTP's BIF does for `undefined`
    std::time_t t = std::mktime(&tm);
    std::tm out{};
    gmtime_r(&t, &out);
    return make_datetime(p, out);
}

Term localtime_to_universaltime2(Process& p, Term* args) {
    if (args[1] != kTrue && args[1] != kFalse && args[1] != kUndefined)
        return badarg(p, 2, "not a boolean or 'undefined'");
    std::tm tm;
    if (!read_datetime(args[0], tm)) return badarg(p, 1, "not a valid date and time");
    tm.tm_isdst = args[1] == kTrue ? 1 : args[1] == kFalse ? 0 : -1;
    std::time_t t = std::mktime(&tm);
    std::tm out{};
    gmtime_r(&t, &out);
    return make_datetime(p, out);
}

Term universaltime_to_localtime(Process& p, Term* args) {
    std::tm tm;
    if (!read_datetime(args[0], tm)) return badarg(p, 1, "not a valid date and time");
    std::time_t t = timegm(&tm);
    std::tm out{};
    localtime_r(&t, &out);
    return make_datetime(p, out);
}

}  // namespace impl

}  // namespace bif
