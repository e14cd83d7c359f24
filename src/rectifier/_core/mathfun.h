/*
 * Branch-free double-precision exp, expm1 and log1p that the compiler can vectorise, with the
 * pieces the family needs to stay accurate in the tails: exp split into a mantissa and a power
 * of two (so x*exp(x) is rounded once even when exp(x) alone would be subnormal), and exact
 * products (double-double) for arguments whose rounding error the function would amplify.
 *
 * The float32 and float16 kernels compute in double with these and round once at the end (float32
 * silu aside: family_f32.h), so their error is the final rounding plus ~2^-27 relative; float64
 * kernels use them directly (each function's error budget is in its comment in family.h).
 *
 * Why not libm: a libm call per element blocks vectorisation (3 to 10x slower than PyTorch's
 * vectorised math, measured). Why no fma(): without -mfma it is a libm call; two_prod uses it
 * only where the target has FMA and Dekker's split otherwise (both exact).
 */
#ifndef RECTIFIER_MATHFUN_H
#define RECTIFIER_MATHFUN_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Forced: in a translation unit with ~800 loops GCC stops inlining these "static inline"
   helpers, and one call per element blocks vectorisation (measured 6x slower). */
#if defined(__GNUC__) || defined(__clang__)
#define RECT_INLINE static inline __attribute__((always_inline))
#else
#define RECT_INLINE static inline
#endif

RECT_INLINE double rect_asdouble(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
RECT_INLINE uint64_t rect_asuint64(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

/* ---- exact products ---------------------------------------------------------------------- */

/* a*b = hi + lo exactly (barring over/underflow). */
RECT_INLINE double rect_two_prod(double a, double b, double *lo)
{
    const double p = a * b;
#if defined(__FMA__)
    *lo = __builtin_fma(a, b, -p);
#else
    const double sa = a * 134217729.0, sb = b * 134217729.0; /* 2^27 + 1: Dekker's split */
    const double ah = sa - (sa - a), al = a - ah;
    const double bh = sb - (sb - b), bl = b - bh;
    *lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
    return p;
}

/* a+b = hi + lo exactly. */
RECT_INLINE double rect_two_sum(double a, double b, double *lo)
{
    const double s = a + b;
    const double bb = s - a;
    *lo = (a - (s - bb)) + (b - bb);
    return s;
}

/* ln 2 in two parts: the high part has 21 trailing zero bits, so k*RECT_LN2_HI is exact. */
#define RECT_LN2_HI 6.93147180369123816490e-01
#define RECT_LN2_LO 1.90821492927058770002e-10
#define RECT_INV_LN2 1.44269504088896338700e+00
/* 1.5 * 2^52: adding it rounds to an integer and leaves that integer in the low mantissa bits. */
#define RECT_SHIFTER 6755399441055744.0

RECT_INLINE double rect_round(double x) { return (x + RECT_SHIFTER) - RECT_SHIFTER; }

/* 2^k for an integral kd in [-1022, 1023], built from the exponent bits (no int conversion,
   which AVX2 cannot vectorise). */
RECT_INLINE double rect_pow2i(double kd)
{
    const uint64_t b = rect_asuint64(kd + RECT_SHIFTER);
    return rect_asdouble((b + 1023u) << 52);
}

/* v * 2^kd, kd integral in [-2040, 2040], rounded once: the first factor keeps v*2^k1 normal
   for the |v| the callers pass (1e-3 .. 1e4), only the second multiply can round. */
RECT_INLINE double rect_ldexp_hi(double v, double kd)
{
    kd = kd < -2040.0 ? -2040.0 : (kd > 2040.0 ? 2040.0 : kd);
    const double k1 = rect_round(kd * 0.5);
    return v * rect_pow2i(k1) * rect_pow2i(kd - k1);
}

/* e^r - 1 for |r| <= ln2/2 (+ slack): Taylor to degree 13, truncation < 5e-18 relative. */
RECT_INLINE double rect_expm1_poly_hi(double r)
{
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    return r + (r * r) * p; /* relative error ~1 ulp even as r -> 0 */
}

/* The same to degree 8 (truncation < 2.5e-10 relative): for float32 and float16 results. */
RECT_INLINE double rect_expm1_poly_lo(double r)
{
    double p = 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    return r + (r * r) * p;
}

/* float32-grade scaling: every k the _lo callers produce is in [-1010, 1010], so 2^k is one
   normal double and the result (a float32 value or far below) is not yet rounded to float. */
RECT_INLINE double rect_ldexp_lo(double v, double kd) { return v * rect_pow2i(kd); }

/*
 * exp(x) = m * 2^k with m in [0.70, 1.42] and k integral (as a double). x is clamped to
 * [-LIM, LIM], far enough that every caller's result has under- or overflowed (1400 for
 * float64, 700 for the float32-grade variant); NaN passes.
 */
#define RECT_EXP_PARTS(V, LIM)                                                                  \
    RECT_INLINE double rect_exp_parts_##V(double x, double *kd)                                 \
    {                                                                                           \
        x = x < -(LIM) ? -(LIM) : (x > (LIM) ? (LIM) : x);                                      \
        const double k = rect_round(x * RECT_INV_LN2);                                          \
        const double r = (x - k * RECT_LN2_HI) - k * RECT_LN2_LO;                              \
        *kd = k;                                                                                \
        return 1.0 + rect_expm1_poly_##V(r);                                                    \
    }                                                                                           \
    RECT_INLINE double rect_exp_##V(double x)                                                   \
    {                                                                                           \
        double k;                                                                               \
        const double m = rect_exp_parts_##V(x, &k);                                             \
        return rect_ldexp_##V(m, k);                                                            \
    }
RECT_EXP_PARTS(hi, 1400.0)
RECT_EXP_PARTS(lo, 700.0)

/* exp(x) = (m + ml) * 2^k with ml the low part (~2^-100 relative): the reduced argument's
   rounding error and the rounding of 1 + q are carried. For the derivatives whose two terms
   cancel (family.h), where a ~1 ulp exp would become several ulp of the result. */
RECT_INLINE double rect_exp_parts_dd(double x, double *kd, double *ml)
{
    x = x < -1400.0 ? -1400.0 : (x > 1400.0 ? 1400.0 : x);
    const double k = rect_round(x * RECT_INV_LN2);
    double rl;
    const double r = rect_two_sum(x - k * RECT_LN2_HI, -(k * RECT_LN2_LO), &rl);
    const double q = rect_expm1_poly_hi(r);
    const double m = 1.0 + q;
    *kd = k;
    *ml = ((1.0 - m) + q) + m * rl; /* e^(r + rl) = e^r (1 + rl) */
    return m;
}

/* expm1, relative error ~1 ulp everywhere (no exp(x) - 1 cancellation near 0). */
#define RECT_EXPM1(V)                                                                           \
    RECT_INLINE double rect_expm1_##V(double x)                                                 \
    {                                                                                           \
        const double xc = x < -60.0 ? -60.0 : (x > 710.0 ? 710.0 : x);                          \
        const double k = rect_round(xc * RECT_INV_LN2);                                         \
        const double r = (xc - k * RECT_LN2_HI) - k * RECT_LN2_LO;                              \
        const double q = rect_expm1_poly_##V(r);                                                \
        /* 2^k (1 + q) - 1 = 2 (t q + (t - 1/2)) with t = 2^(k-1): exact for k = 0, and no  */ \
        /* 2^1024 overflow before the final doubling */                                        \
        const double t = rect_pow2i(k - 1.0);                                                   \
        const double res = (t * q + (t - 0.5)) * 2.0;                                           \
        /* |x| < 2^-54: expm1(x) is x within half an ulp, and the halving above would round */ \
        /* subnormal x (expm1(-5e-324) gave -0.0); this also keeps the sign of zero */         \
        return fabs(x) < 0x1p-54 ? x : res;                                                     \
    }
RECT_EXPM1(hi)
RECT_EXPM1(lo)

/* log1p(z) for z >= 0 (the callers pass z = exp(-|u|) in (0, 1]); fdlibm's log kernel, with
   the rounding error of 1 + z added back (it is the whole answer when z is tiny). */
#define rect_log1p_pos_lo rect_log1p_pos_hi
RECT_INLINE double rect_log1p_pos_hi(double z)
{
    const double w = 1.0 + z;
    const double c = (z - (w - 1.0)) / w; /* what 1 + z lost to rounding */
    const int big = w > 1.4142135623730951;
    const double m = big ? w * 0.5 : w;
    const double dk = big ? 1.0 : 0.0;
    const double f = m - 1.0; /* exact: m in [0.70, 1.42] */
    const double s = f / (2.0 + f);
    const double s2 = s * s, s4 = s2 * s2;
    const double t1 = s4 * (3.999999999940941908e-01 +
                            s4 * (2.222219843214978396e-01 + s4 * 1.531383769920937332e-01));
    const double t2 = s2 * (6.666666666666735130e-01 +
                            s4 * (2.857142874366239149e-01 +
                                  s4 * (1.818357216161805012e-01 + s4 * 1.479819860511658591e-01)));
    const double R = t1 + t2;
    const double hfsq = 0.5 * f * f;
    return dk * RECT_LN2_HI - ((hfsq - (s * (hfsq + R) + (dk * RECT_LN2_LO + c))) - f);
}

/* ---- erfc -------------------------------------------------------------------------------- */

/*
 * float32-grade erfcx(a) = e^{a^2} erfc(a) for a >= 0, branch-free: with u = 2 / (2 + a) it is
 * u q(u), q a Chebyshev series of degree 15 on u in [0, 1] fitted against mpmath (relative error
 * < 1.1e-11 for every a, tails included; the change of variable is Numerical Recipes' erfcc's).
 * Callers multiply by e^{-a^2}, which gelu's derivative shares with the normal density.
 * float64 uses libm's erfc (~1 ulp; a vectorised float64 erfc is future work).
 */
RECT_INLINE double rect_erfcx_lo(double a)
{
    static const double c[16] = {
        0.5770337386164696,     0.3554369212704982,     0.06509515882878664,
        0.0036711423958366396,  -0.0011128447433525158, -0.00016075829915386994,
        3.2780315741850506e-05, 5.4424416454203096e-06, -1.5154665552272088e-06,
        -1.4297608190921213e-07, 8.234608829078893e-08, -1.2962846461409733e-09,
        -4.154721618828652e-09, 6.347057996938013e-10,  1.432083094548856e-10,
        -6.160388435063499e-11,
    };
    const double u = 2.0 / (2.0 + a);
    const double y = 2.0 * u - 1.0, y2 = 2.0 * y;
    double b1 = 0.0, b2 = 0.0; /* Clenshaw's recurrence */
    for (int k = 15; k >= 1; k--) {
        const double b0 = c[k] + y2 * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    return u * (c[0] + y * b1 - b2);
}

/* erfc(t) from erfcx(|t|) and e^{-t^2} (erfc(-|t|) = 2 - erfc(|t|)). */
RECT_INLINE double rect_erfc_lo(double t)
{
    const double a = fabs(t);
    const double e = rect_erfcx_lo(a) * rect_exp_lo(-a * a);
    return t >= 0.0 ? e : 2.0 - e;
}
#define rect_erfc_hi erfc

#endif
