/*
 * The smooth members of the family, as double-precision cores that every dtype shares:
 *
 *   rect_F_fwd(x, p)        the function
 *   rect_F_der(x, p, &k)    its derivative as v * 2^k, so the backward pass can form
 *                           grad * v * 2^k with one rounding even where f'(x) is subnormal
 *
 * p holds the parameters as doubles. Each core is branch-free (selects only) and calls no libm
 * function except float64 gelu's erfc, so the contiguous loops vectorise. The derivatives with
 * an interior zero (silu, gelu, gelu_tanh, mish) switch to roots.h's t P(t) near it, and their
 * float64 forms carry the cancelling terms in double-double (4 ulp of the correctly rounded
 * value everywhere, zero included). Values at the edges
 * follow SEMANTICS.md: NaN in gives NaN, infinities give the limit (never -inf * 0 = NaN).
 *
 * Error budgets below are for float64. float32 and float16 round a double result once more;
 * measured (rectifier.accuracy), they are within 0.58 ulp of the correctly rounded result.
 * float32 gelu, silu, mish, softplus, hardsigmoid and hardswish (all three forms) and the
 * derivatives of elu, selu and celu take the float32 cores of family_f32*.h instead (within
 * 1.7 ulp; silu's derivative there computes in double lanes, without the double-double pieces);
 * float16 always takes these double cores.
 *
 * family_impl.h holds the cores and is included twice: RV(name) is name_hi, on mathfun.h's
 * full-precision exp (float64), then name_lo, on its float32-grade exp (float32 and float16:
 * half the polynomial degree, one power-of-two scaling), so each dtype pays for what it keeps.
 */
#ifndef RECTIFIER_FAMILY_H
#define RECTIFIER_FAMILY_H

#include "mathfun.h"
#include "roots.h"

/* ---- float64 derivatives whose two terms cancel: double-double pieces -------------------- */

/*
 * d/dx [x sigmoid(v)] = s + x v' s (1 - s), s = sigmoid(v), v = vh + vl, x v' = xph + xpl, as a
 * value times 2^k. With z = e^{-|v|} it is z (1 + x v' + z) / (1 + z)^2 for v < 0 and
 * (1 + z (1 + x v')) / (1 + z)^2 for v >= 0. For v < 0 the sum 1 + x v' + z cancels (silu' and
 * gelu_tanh' have their zero there) and the square and the quotient add ~3 ulp more, so z,
 * the numerator and (1 + z)^2 are carried in double-double and the quotient corrected once:
 * ~1 ulp outside the zero's neighbourhood (roots.h serves that).
 */
RECT_INLINE double rect_x_sigmoid_der_dd(double vh, double vl, double xph, double xpl,
                                         double *kout)
{
    double k, ml, dl, sl, tl, nl, Dl, ql;
    const int pos = vh >= 0.0;
    const double m = rect_exp_parts_dd(-fabs(vh), &k, &ml);
    const double mml = ml + m * (pos ? -vl : vl); /* e^{-|v|} = e^{-|vh|} (1 -+ vl) */
    const double z = rect_ldexp_hi(m, k), zl = rect_ldexp_hi(mml, k);
    const double d = rect_two_sum(1.0, z, &dl);
    dl += zl;
    const double D = rect_two_prod(d, d, &Dl);
    Dl += 2.0 * d * dl;
    /* v < 0: m (1 + x v' + z), scaled by 2^k at the end */
    const double s = rect_two_sum(1.0, xph, &sl);
    const double t = rect_two_sum(s, z, &tl);
    tl += (sl + xpl) + zl;
    const double nneg = rect_two_prod(m, t, &nl);
    nl += m * tl + mml * t;
    /* v >= 0: no cancellation, plain double */
    const double npos = 1.0 + z + xph * z;
    const double n = pos ? npos : nneg;
    const double nlo = pos ? 0.0 : nl;
    const double inv = 1.0 / D;
    const double q = n * inv;
    const double pq = rect_two_prod(q, D, &ql);
    *kout = pos ? 0.0 : k;
    return q + (((n - pq) - ql) + nlo - q * Dl) * inv;
}

#define RECT_CAT_V_(a, b) a##_##b
#define RECT_CAT_V(a, b) RECT_CAT_V_(a, b)
#define RV(name) RECT_CAT_V(name, RECT_VARIANT)

#define RECT_VARIANT hi
#define RECT_FLOAT32_GRADE 0
#define RECT_ROOT_TABLE(name) rect_root_##name##_d
#include "family_impl.h"
#undef RECT_VARIANT
#undef RECT_FLOAT32_GRADE
#undef RECT_ROOT_TABLE

/* RECT_FLOAT32_GRADE: a constant, so the compiler drops the pieces float32 does not need (the
   far-tail formulas and double-double corrections whose effect is below 2^-40 relative). */
#define RECT_VARIANT lo
#define RECT_FLOAT32_GRADE 1
#define RECT_ROOT_TABLE(name) rect_root_##name##_f
#include "family_impl.h"
#undef RECT_VARIANT
#undef RECT_FLOAT32_GRADE
#undef RECT_ROOT_TABLE

#endif
