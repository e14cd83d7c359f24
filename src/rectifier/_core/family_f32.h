/*
 * float32-lane cores: the same functions as family.h computed in float arithmetic, so an AVX2
 * vector holds 8 lanes instead of 4 (and AVX-512 16 instead of 8). Only where the float error
 * budget stays within SEMANTICS.md's 2 ulp (measured by rectifier.accuracy on every binade);
 * the others, and every float16 kernel (correct rounding needs the double cores' margin), use
 * family.h.
 *
 * exp: Cephes' expf reduction (ln 2 = C1 + C2, k C1 exact) and a degree-7 Taylor polynomial on
 * |r| <= ln2/2 (Cephes' degree-6 minimax one measured up to 1.9 ulp in silu), returned as 1 + q
 * with q kept apart, so a caller can form x e^r = x + x q with one rounding.
 */
#ifndef RECTIFIER_FAMILY_F32_H
#define RECTIFIER_FAMILY_F32_H

#include <stdint.h>
#include <string.h>

#include "mathfun.h"

RECT_INLINE float rect_asfloat(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer. */
#define RECT_SHIFTER_F 12582912.0f

/* 2^k for an integral kf in [-126, 127] (float to int32 conversion vectorises). */
RECT_INLINE float rect_pow2f(float kf) { return rect_asfloat((uint32_t)((int32_t)kf + 127) << 23); }

/* e^a = (1 + q) * 2^k for a in [-150, 89] (clamped; NaN passes), q in [-0.30, 0.42]. */
RECT_INLINE float rect_expf_q(float a, float *kf)
{
    a = a < -150.0f ? -150.0f : (a > 89.0f ? 89.0f : a);
    const float k = (a * 1.44269504088896341f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r = (a - k * 0.693359375f) + k * 2.12194440e-4f;
    float p = 1.0f / 5040.0f; /* Taylor to degree 7: truncation < 8e-9 relative */
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    *kf = k;
    return r + (r * r) * p;
}

/* v * 2^k for k in [-150, 0], rounded once: two normal factors (v * 2^k1 stays normal for the
   |v| <= 2^20 callers pass), only the second multiply can round. */
RECT_INLINE float rect_ldexpf_neg(float v, float k)
{
    k = k < -250.0f ? -250.0f : k;
    const float k1 = (k * 0.5f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    return v * rect_pow2f(k1) * rect_pow2f(k - k1);
}

/* a*b = hi + lo exactly (float), as rect_two_prod. */
RECT_INLINE float rect_two_prodf(float a, float b, float *lo)
{
    const float p = a * b;
#if defined(__FMA__)
    *lo = __builtin_fmaf(a, b, -p);
#else
    const float sa = a * 4097.0f, sb = b * 4097.0f; /* 2^12 + 1: Dekker's split */
    const float ah = sa - (sa - a), al = a - ah;
    const float bh = sb - (sb - b), bl = b - bh;
    *lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
    return p;
}

/* num / (1 + z) for z in [0, 1], within ~0.6 ulp: 1 + z's rounding error (up to 1 ulp of the
   quotient) and the quotient's are corrected once, with one division. */
RECT_INLINE float rect_div_1pz(float num, float z)
{
    const float d = 1.0f + z;
    const float dl = (1.0f - d) + z; /* exact: what 1 + z lost */
    const float inv = 1.0f / d;
    const float r = num * inv;
    float pl;
    const float pp = rect_two_prodf(r, d, &pl);
    return r + (((num - pp) - pl) - r * dl) * inv;
}

#endif
