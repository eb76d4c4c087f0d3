// bif_arith: number BIFs (arithmetic, bit operations, rounding, math) and
// comparisons. Small integers take the fast path; anything that overflows
// goes through GMP (mpz over the bignum's limbs, read in place) and comes
// back as a canonical small or bignum. Floats that leave the finite range
// raise badarith, as in Erlang.
#include <gmp.h>

#include <cmath>

#include "vm/bif.h"

namespace bif {

using namespace term;

namespace {

// An integer term as a GMP value. Smalls are converted; bignums are read
// in place (the view must not outlive the term's next move by the GC).
class Mpz {
  public:
    explicit Mpz(Term t) {
        if (is_small(t)) {
            mpz_init_set_si(owned_, small_value(t));
            view_ = owned_;
            own_ = true;
        } else {
            int64_t n = int64_t(bignum_limb_count(t));
            view_ = mpz_roinit_n(ro_, reinterpret_cast<const mp_limb_t*>(bignum_limbs(t)),
                                 bignum_negative(t) ? -n : n);
        }
    }
    ~Mpz() {
        if (own_) mpz_clear(owned_);
    }
    mpz_srcptr get() const { return view_; }

  private:
    mpz_t owned_;
    mpz_t ro_;
    mpz_srcptr view_;
    bool own_ = false;
};

// The largest integer has 2^19 - 1 limbs, as in OTP (BIG_ARITY_MAX): 1 bsl
// 33554368 and anything bigger raise system_limit instead of growing
// until memory runs out.
constexpr size_t kMaxBigLimbs = (size_t(1) << 19) - 1;

// A result computed in an mpz, copied to the heap.

Term from_mpz(Process& p, mpz_srcptr z) {
    size_t n = mpz_size(z);
    if (n == 0) return make_small(0);
    if (n > kMaxBigLimbs) return fail(p, make_atom(atom::kSystemLimit));
    if (n == 1 && mpz_fits_slong_p(z)) {
        long v = mpz_get_si(z);
        if (fits_small(v)) return make_small(v);
    }
    // A bignum operation's work grows with its result: charged, so that a
    // loop of ever bigger bignums (3 * N + 2) uses up its slices and its
    // reduction limits instead of running for minutes per reduction.
    charge(n);
    Term* mem = alloc(p, bignum_words(n));
    if (!mem) return heap_exhausted(p);
    return make_bignum(mem, mpz_sgn(z) < 0, reinterpret_cast<const Limb*>(mpz_limbs_read(z)), n);
}

Term from_int128(Process& p, __int128 v) {
    size_t words = integer_words(v);
    if (words == 0) return make_small(int64_t(v));
    Term* mem = alloc(p, words);
    if (!mem) return heap_exhausted(p);
    return make_integer(mem, v);
}

Term from_double(Process& p, double d) {
    if (!std::isfinite(d)) return fail(p, make_atom(atom::kBadarith));
    Term* mem = alloc(p, kFloatWords);
    if (!mem) return heap_exhausted(p);
    return make_float(mem, d);
}

// A bignum rounded to the nearest double, ties to even, as OTP converts
// (mpz_get_d truncates). Infinity when it is too big for a double. The top
// 64 bits go through the hardware's correctly rounded conversion, with the
// lowest of them made sticky when any bit below them is set.
double bignum_to_double(Term t) {
    Mpz z(t);
    size_t bits = mpz_sizeinbase(z.get(), 2);
    double magnitude;
    if (bits <= 64) {
        magnitude = double(mpz_getlimbn(z.get(), 0));
    } else {
        mpz_t top;
        mpz_init(top);
        mpz_tdiv_q_2exp(top, z.get(), bits - 64);
        if (mpz_sgn(top) < 0) mpz_neg(top, top);
        uint64_t high = mpz_getlimbn(top, 0);
        if (mpz_scan1(z.get(), 0) < bits - 64) high |= 1;
        mpz_clear(top);
        magnitude = bits - 64 > 2000 ? HUGE_VAL : std::ldexp(double(high), int(bits - 64));
    }
    return mpz_sgn(z.get()) < 0 ? -magnitude : magnitude;
}

double to_double(Term t) {
    if (is_small(t)) return double(small_value(t));
    if (is_float(t)) return float_value(t);
    return bignum_to_double(t);
}

// A float truncated, floored, ... to an integer term.
Term integer_from_double(Process& p, double d) {
    if (std::fabs(d) < 9.0e18) return from_int128(p, __int128(int64_t(d)));
    mpz_t z;
    mpz_init_set_d(z, d);
    Term result = from_mpz(p, z);
    mpz_clear(z);
    return result;
}

enum class IntOp { Add, Sub, Mul, Div, Rem, And, Or, Xor };

// An integer of at most one limb as an __int128 (false for bigger ones).
bool one_limb(Term t, __int128* v) {
    if (is_small(t)) {
        *v = small_value(t);
        return true;
    }
    if (bignum_limb_count(t) != 1) return false;
    __int128 magnitude = bignum_limbs(t)[0];
    *v = bignum_negative(t) ? -magnitude : magnitude;
    return true;
}

// big_op on integers of one limb or less (the usual bignums: a small
// product that overflowed, a 64-bit hash), in 128 bits without GMP's
// allocations. False when the result would not fit (a product).
bool narrow_op(IntOp op, __int128 x, __int128 y, __int128* r) {
    switch (op) {
        case IntOp::Add:
            return !__builtin_add_overflow(x, y, r);
        case IntOp::Sub:
            return !__builtin_sub_overflow(x, y, r);
        case IntOp::Mul:
            return !__builtin_mul_overflow(x, y, r);
        case IntOp::Div:  // y != 0: the callers check
            *r = x / y;
            return true;
        case IntOp::Rem:
            *r = x % y;
            return true;
        case IntOp::And:  // two's complement, as Erlang's bitwise operators
            *r = x & y;
            return true;
        case IntOp::Or:
            *r = x | y;
            return true;
        case IntOp::Xor:
            *r = x ^ y;
            return true;
    }
    return false;
}

// Integer arithmetic on any two integers, through GMP unless both have
// one limb at most.
Term big_op(Process& p, IntOp op, Term a, Term b) {
    __int128 nx, ny, nr;
    if (one_limb(a, &nx) && one_limb(b, &ny) && narrow_op(op, nx, ny, &nr))
        return from_int128(p, nr);
    Mpz x(a), y(b);
    mpz_t r;
    mpz_init(r);
    switch (op) {
        case IntOp::Add:
            mpz_add(r, x.get(), y.get());
            break;
        case IntOp::Sub:
            mpz_sub(r, x.get(), y.get());
            break;
        case IntOp::Mul:
            mpz_mul(r, x.get(), y.get());
            break;
        case IntOp::Div:
            mpz_tdiv_q(r, x.get(), y.get());
            break;
        case IntOp::Rem:
            mpz_tdiv_r(r, x.get(), y.get());
            break;
        case IntOp::And:
            mpz_and(r, x.get(), y.get());
            break;
        case IntOp::Or:
            mpz_ior(r, x.get(), y.get());
            break;
        case IntOp::Xor:
            mpz_xor(r, x.get(), y.get());
            break;
    }
    Term result = from_mpz(p, r);
    mpz_clear(r);
    return result;
}

Term badarith(Process& p) {
    return fail(p, make_atom(atom::kBadarith));
}

// + - * on numbers: smalls via __int128, bignums via GMP, floats as doubles.
Term arith(Process& p, IntOp op, Term a, Term b) {
    if (!is_number(a) || !is_number(b)) return badarith(p);
    if (is_small(a) && is_small(b)) {
        __int128 x = small_value(a), y = small_value(b);
        return from_int128(p, op == IntOp::Add ? x + y : op == IntOp::Sub ? x - y : x * y);
    }
    if (is_integer(a) && is_integer(b)) return big_op(p, op, a, b);
    double x = to_double(a), y = to_double(b);
    return from_double(p, op == IntOp::Add ? x + y : op == IntOp::Sub ? x - y : x * y);
}

// div, rem, band, bor, bxor: integers only.
Term integer_op(Process& p, IntOp op, Term a, Term b) {
    if (!is_integer(a) || !is_integer(b)) return badarith(p);
    bool divides = op == IntOp::Div || op == IntOp::Rem;
    if (divides && b == make_small(0)) return badarith(p);
    if (is_small(a) && is_small(b)) {
        int64_t x = small_value(a), y = small_value(b);
        switch (op) {
            case IntOp::Div:
                return from_int128(p, __int128(x) / y);
            case IntOp::Rem:
                return make_small(x % y);
            case IntOp::And:
                return make_small(x & y);
            case IntOp::Or:
                return make_small(x | y);
            case IntOp::Xor:
                return make_small(x ^ y);
            default:
                break;
        }
    }
    return big_op(p, op, a, b);
}

constexpr int64_t kMaxShift = int64_t(1) << 25;  // bits: beyond, system_limit

Term shift(Process& p, Term a, Term b, bool left) {
    if (!is_integer(a) || !is_integer(b)) return badarith(p);
    if (a == make_small(0)) return a;  // 0 bsl N is 0 for any N, even a huge one
    if (!is_small(b)) {
        // A shift by a bignum: everything shifted out, or far too big.
        if (bignum_negative(b) == left) return make_small(compare(a, make_small(0)) < 0 ? -1 : 0);
        return fail(p, make_atom(atom::kSystemLimit));
    }
    int64_t n = small_value(b);
    if (!left) n = -n;
    if (is_small(a) && n >= 0 && n < 64) {
        __int128 v = __int128(small_value(a)) << n;
        if (v >> n == small_value(a)) return from_int128(p, v);
    }
    if (is_small(a) && n < 0)
        return make_small(n <= -64 ? (small_value(a) < 0 ? -1 : 0) : small_value(a) >> -n);
    if (n > kMaxShift) return fail(p, make_atom(atom::kSystemLimit));
    Mpz x(a);
    mpz_t r;
    mpz_init(r);
    if (n >= 0) {
        mpz_mul_2exp(r, x.get(), mp_bitcnt_t(n));
    } else {
        mpz_fdiv_q_2exp(r, x.get(), mp_bitcnt_t(-n));
    }
    Term result = from_mpz(p, r);
    mpz_clear(r);
    return result;
}

}  // namespace

namespace impl {

Term plus(Process& p, Term* args) {
    Term sum;
    if (term::is_small(args[0]) && term::is_small(args[1]) && small_add(args[0], args[1], &sum))
        return sum;
    return arith(p, IntOp::Add, args[0], args[1]);
}

Term minus(Process& p, Term* args) {
    Term difference;
    if (term::is_small(args[0]) && term::is_small(args[1]) &&
        small_sub(args[0], args[1], &difference))
        return difference;
    return arith(p, IntOp::Sub, args[0], args[1]);
}

Term times(Process& p, Term* args) {
    return arith(p, IntOp::Mul, args[0], args[1]);
}

Term divide(Process& p, Term* args) {
    if (!term::is_number(args[0]) || !term::is_number(args[1])) return badarith(p);
    double divisor = to_double(args[1]);
    if (divisor == 0.0) return badarith(p);
    return from_double(p, to_double(args[0]) / divisor);
}

Term int_div(Process& p, Term* args) {
    return integer_op(p, IntOp::Div, args[0], args[1]);
}

Term int_rem(Process& p, Term* args) {
    return integer_op(p, IntOp::Rem, args[0], args[1]);
}

Term band(Process& p, Term* args) {
    return integer_op(p, IntOp::And, args[0], args[1]);
}

Term bor(Process& p, Term* args) {
    return integer_op(p, IntOp::Or, args[0], args[1]);
}

Term bxor(Process& p, Term* args) {
    return integer_op(p, IntOp::Xor, args[0], args[1]);
}

Term bsl(Process& p, Term* args) {
    return shift(p, args[0], args[1], true);
}

Term bsr(Process& p, Term* args) {
    return shift(p, args[0], args[1], false);
}

Term bnot(Process& p, Term* args) {
    if (!term::is_integer(args[0])) return badarith(p);
    Term minus_one = make_small(-1);
    return integer_op(p, IntOp::Xor, args[0], minus_one);
}

Term negate(Process& p, Term* args) {
    if (!term::is_number(args[0])) return badarith(p);
    // OTP negates a float as 0.0 - X: -(0.0) is 0.0, not -0.0.
    if (term::is_float(args[0])) return from_double(p, 0.0 - float_value(args[0]));
    return arith(p, IntOp::Sub, make_small(0), args[0]);
}

Term unary_plus(Process& p, Term* args) {
    if (!term::is_number(args[0])) return badarith(p);
    return args[0];
}

Term abs(Process& p, Term* args) {
    Term t = args[0];
    // As OTP: negate only below zero, so abs(-0.0) stays -0.0.
    if (term::is_float(t)) {
        double d = float_value(t);
        return d < 0 ? from_double(p, -d) : t;
    }
    if (!term::is_integer(t)) return badarg(p, 1, "not a number");
    if (compare(t, make_small(0)) >= 0) return t;
    return arith(p, IntOp::Sub, make_small(0), t);
}

Term to_float(Process& p, Term* args) {
    if (!term::is_number(args[0])) return badarg(p, 1, "not a number");
    if (term::is_float(args[0])) return args[0];
    double d = to_double(args[0]);
    if (!std::isfinite(d)) return badarg(p, 1, "out of range");
    return from_double(p, d);
}

Term round(Process& p, Term* args) {
    if (term::is_integer(args[0])) return args[0];
    if (!term::is_float(args[0])) return badarg(p, 1, "not a number");
    return integer_from_double(p, std::round(float_value(args[0])));
}

Term trunc(Process& p, Term* args) {
    if (term::is_integer(args[0])) return args[0];
    if (!term::is_float(args[0])) return badarg(p, 1, "not a number");
    return integer_from_double(p, std::trunc(float_value(args[0])));
}

Term floor(Process& p, Term* args) {
    if (term::is_integer(args[0])) return args[0];
    if (!term::is_float(args[0])) return badarg(p, 1, "not a number");
    return integer_from_double(p, std::floor(float_value(args[0])));
}

Term ceil(Process& p, Term* args) {
    if (term::is_integer(args[0])) return args[0];
    if (!term::is_float(args[0])) return badarg(p, 1, "not a number");
    return integer_from_double(p, std::ceil(float_value(args[0])));
}

Term min(Process& p, Term* args) {
    return compare(args[0], args[1]) <= 0 ? args[0] : args[1];
}

Term max(Process& p, Term* args) {
    return compare(args[0], args[1]) >= 0 ? args[0] : args[1];
}

}  // namespace impl

namespace {

// A math function of one number: badarg for a non-number, badarith when
// the result is not a finite number (a domain or range error), as OTP.
Term math1(Process& p, Term x, double (*f)(double)) {
    if (!term::is_number(x)) return badarg(p, 1, "not a number");
    return from_double(p, f(to_double(x)));
}

Term math2(Process& p, Term* args, double (*f)(double, double)) {
    if (!term::is_number(args[0])) return badarg(p, 1, "not a number");
    if (!term::is_number(args[1])) return badarg(p, 2, "not a number");
    return from_double(p, f(to_double(args[0]), to_double(args[1])));
}

}  // namespace

namespace impl {

Term math_sin(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::sin(x); });
}

Term math_cos(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::cos(x); });
}

Term math_tan(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::tan(x); });
}

Term math_asin(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::asin(x); });
}

Term math_acos(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::acos(x); });
}

Term math_atan(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::atan(x); });
}

Term math_sinh(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::sinh(x); });
}

Term math_cosh(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::cosh(x); });
}

Term math_tanh(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::tanh(x); });
}

Term math_asinh(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::asinh(x); });
}

Term math_acosh(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::acosh(x); });
}

Term math_atanh(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::atanh(x); });
}

Term math_exp(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::exp(x); });
}

Term math_log(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::log(x); });
}

Term math_log2(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::log2(x); });
}

Term math_log10(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::log10(x); });
}

Term math_sqrt(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::sqrt(x); });
}

Term math_erf(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::erf(x); });
}

Term math_erfc(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::erfc(x); });
}

Term math_floor(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::floor(x); });
}

Term math_ceil(Process& p, Term* args) {
    return math1(p, args[0], [](double x) { return std::ceil(x); });
}

Term math_pow(Process& p, Term* args) {
    return math2(p, args, [](double x, double y) { return std::pow(x, y); });
}

Term math_atan2(Process& p, Term* args) {
    return math2(p, args, [](double y, double x) { return std::atan2(y, x); });
}

Term math_fmod(Process& p, Term* args) {
    return math2(p, args, [](double x, double y) { return std::fmod(x, y); });
}

Term math_pi(Process& p, Term* args) {
    return from_double(p, M_PI);
}

// ---- comparisons and boolean operators -----------------------------------------------

Term eq(Process& p, Term* args) {
    return make_bool(equal(args[0], args[1]));
}

Term ne(Process& p, Term* args) {
    return make_bool(!equal(args[0], args[1]));
}

Term exact_eq(Process& p, Term* args) {
    return make_bool(exact_equal(args[0], args[1]));
}

Term exact_ne(Process& p, Term* args) {
    return make_bool(!exact_equal(args[0], args[1]));
}

Term lt(Process& p, Term* args) {
    return make_bool(compare(args[0], args[1]) < 0);
}

Term gt(Process& p, Term* args) {
    return make_bool(compare(args[0], args[1]) > 0);
}

Term le(Process& p, Term* args) {
    return make_bool(compare(args[0], args[1]) <= 0);
}

Term ge(Process& p, Term* args) {
    return make_bool(compare(args[0], args[1]) >= 0);
}

namespace {

bool is_bool(Term t) {
    return t == kTrue || t == kFalse;
}

}  // namespace

Term bool_and(Process& p, Term* args) {
    if (!is_bool(args[0])) return badarg(p, 1, "not a boolean");
    if (!is_bool(args[1])) return badarg(p, 2, "not a boolean");
    return make_bool(args[0] == kTrue && args[1] == kTrue);
}

Term bool_or(Process& p, Term* args) {
    if (!is_bool(args[0])) return badarg(p, 1, "not a boolean");
    if (!is_bool(args[1])) return badarg(p, 2, "not a boolean");
    return make_bool(args[0] == kTrue || args[1] == kTrue);
}

Term bool_xor(Process& p, Term* args) {
    if (!is_bool(args[0])) return badarg(p, 1, "not a boolean");
    if (!is_bool(args[1])) return badarg(p, 2, "not a boolean");
    return make_bool(args[0] != args[1]);
}

Term bool_not(Process& p, Term* args) {
    if (!is_bool(args[0])) return badarg(p, 1, "not a boolean");
    return make_bool(args[0] == kFalse);
}

}  // namespace impl

double number_to_double(Term t) {
    return to_double(t);
}

}  // namespace bif
