/*
 * float32-lane cores: the same functions as family.h computed in float arithmetic, so an AVX2
 * vector holds 8 lanes instead of 4 (and AVX-512 16 instead of 8). Only where the float error
 * budget stays within SEMANTICS.md's 2 ulp (measured by rectifier.accuracy on every binade and
 * tools/exhaustive_f32.py); the others, and every float16 kernel (correct rounding needs the
 * double cores' margin), use family.h. This file holds the shared float primitives; the cores
 * are in family_f32_exp.h (elu, selu, celu derivatives; hardsigmoid, hardswish),
 * family_f32_gelu.h, family_f32_mish.h, family_f32_silu.h and family_f32_softplus.h, each with
 * its error budget.
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

/* e^a = (1 + q) * 2^k, q in [-0.30, 0.42], for a whose k stays under 2^9 in size (and NaN):
   ln 2's high part 0.693359375 has 9 bits, so k C1 and a - k C1 are exact. No clamps: callers
   whose blocks are already in range use it directly (a clamp is a select GCC may fold into every
   later step). */
RECT_INLINE float rect_expf_q_in_range(float a, float *kf)
{
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

/* rect_expf_q_in_range for a clamped to [lo, hi] (NaN passes); the callers' ranges keep
   |k| < 2^9. */
RECT_INLINE float rect_expf_q(float a, float lo, float hi, float *kf)
{
    a = a > hi ? hi : a;
    a = a < lo ? lo : a;
    return rect_expf_q_in_range(a, kf);
}

/* v * 2^k for an integral k in [-250, 127] (clamped below), rounded once where the caller's v
   keeps v * 2^k1 normal (k1 = k/2 rounded): two normal factors, only the second multiply can
   round. */
RECT_INLINE float rect_ldexpf(float v, float k)
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

/* a + b = s + err exactly (Knuth's 2Sum: no ordering needed). */
RECT_INLINE float rect_two_sumf(float a, float b, float *err)
{
    const float s = a + b;
    const float bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* x (1 + q) = nh + nl: x q exactly (rect_two_prodf), then Fast2Sum (|x q| < |x|). */
RECT_INLINE float rect_mul1pf(float x, float q, float *nl)
{
    float pl;
    const float pq = rect_two_prodf(x, q, &pl);
    const float nh = x + pq;
    *nl = ((x - nh) + pq) + pl;
    return nh;
}

/* (nh + nl) / (dh + dl) = r + (residual) / dh: one division, the residual nh - r dh exact
   (FMA or Dekker), so within 0.5 ulp + 2^-40 of the quotient before the caller's rounding. */
RECT_INLINE float rect_div_ff(float nh, float nl, float dh, float dl, float *rl)
{
    const float inv = 1.0f / dh;
    const float r = nh * inv;
#if defined(__FMA__)
    const float e = __builtin_fmaf(-r, dh, nh);
#else
    float pl;
    const float pp = rect_two_prodf(r, dh, &pl);
    const float e = (nh - pp) - pl;
#endif
    *rl = ((e + nl) - r * dl) * inv;
    return r;
}

#endif
