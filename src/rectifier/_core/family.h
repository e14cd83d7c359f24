/*
 * The smooth members of the family, as double-precision cores that every dtype shares:
 *
 *   rect_F_fwd(x, p)        the function
 *   rect_F_der(x, p, &k)    its derivative as v * 2^k, so the backward pass can form
 *                           grad * v * 2^k with one rounding even where f'(x) is subnormal
 *
 * p holds the parameters as doubles. Each core is branch-free (selects only) and calls no libm
 * function except float64 gelu's erfc, so the contiguous loops vectorise. Values at the edges
 * follow SEMANTICS.md: NaN in gives NaN, infinities give the limit (never -inf * 0 = NaN).
 *
 * Error budgets below are for float64. float32 and float16 round a double result once more;
 * measured (rectifier.accuracy), they are within 0.51 ulp of the correctly rounded result.
 *
 * family_impl.h holds the cores and is included twice: RV(name) is name_hi, on mathfun.h's
 * full-precision exp (float64), then name_lo, on its float32-grade exp (float32 and float16:
 * half the polynomial degree, one power-of-two scaling), so each dtype pays for what it keeps.
 */
#ifndef RECTIFIER_FAMILY_H
#define RECTIFIER_FAMILY_H

#include "mathfun.h"

#define RECT_CAT_V_(a, b) a##_##b
#define RECT_CAT_V(a, b) RECT_CAT_V_(a, b)
#define RV(name) RECT_CAT_V(name, RECT_VARIANT)

#define RECT_VARIANT hi
#define RECT_FLOAT32_GRADE 0
#include "family_impl.h"
#undef RECT_VARIANT
#undef RECT_FLOAT32_GRADE

/* RECT_FLOAT32_GRADE: a constant, so the compiler drops the pieces float32 does not need (the
   far-tail formulas and double-double corrections whose effect is below 2^-40 relative). */
#define RECT_VARIANT lo
#define RECT_FLOAT32_GRADE 1
#include "family_impl.h"
#undef RECT_VARIANT
#undef RECT_FLOAT32_GRADE

#endif
