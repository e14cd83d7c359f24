/*
 * float32-lane cores of elu, selu, celu, hardsigmoid, hardswish (see family_f32.h):
 * rect_NAME_f32, rect_NAME_grad_f32 and rect_NAME_backward_f32, chosen per function in
 * kernels.c's RK_SMOOTH list.
 *
 * elu, selu, celu: derivative and backward (their forwards keep family.h's double cores,
 * already faster than torch's). f'(x) = A e^u for x <= 0 (u = x, or x / alpha for celu), with
 * e^u = (1 + q) 2^k: the polynomial in float lanes (rect_expfam_expf_q, 16 lanes on AVX-512),
 * then A (1 + q) 2^k and g f'(x) in double, where 1 + q, alpha (1 + q) and the 2^k scaling are
 * exact for every float alpha and x (|f'| stays in [2^-583, 2^130]: no overflow, no subnormal),
 * and g f'(x) rounds once in double before the float rounding. So no alpha needs a fallback
 * (0, subnormal, huge, negative: measured in tests/test_expfam_f32.py against the double cores)
 * and a subnormal result is rounded once.
 *
 * (A float-only form, ah + al = A (1 + q) by two_prod and g scaled by 2^-+80 so that neither
 * g A overflows nor the 2^k scaling rounds twice, measured 1.2 ns/elem against this one's
 * 0.9: the compensation and the scaling cost more than the conversions.)
 *
 * Error budget of f'(x) and g f'(x), in float32 ulp of the result: e^u's q, from the reduction
 * (r = (a - k C1) + k C2 within half an ulp of r, <= 2^-26, plus C1 + C2 - ln 2 < 2^-36 times
 * |k| <= 433), the degree-7 Taylor truncation (< 6e-9 relative on |r| <= ln2/2) and q's own
 * roundings (the last add: half an ulp of q <= 2^-26): < 5e-8 relative, up to 0.8 ulp; the
 * double products: 2^-52 relative; the final rounding: 0.5 ulp. Total < 1.3 ulp; measured worst
 * (tools/exhaustive_f32.py, all 2^32 inputs, alpha = 1): elu' 1.02, elu backward 1.10,
 * selu' 0.94, selu backward 1.11 (and celu as elu).
 *
 * hardsigmoid, hardswish: x + 3 and x (x + 3) are not exact in float, so their rounding errors
 * are carried (two_sum, two_prod) and the division by 6 is a product by RN(1/6) corrected once
 * with the exact remainder: within 0.5 ulp + 2^-22 ulp of the exact value.
 */
#ifndef RECTIFIER_FAMILY_F32_EXP_H
#define RECTIFIER_FAMILY_F32_EXP_H

#include "family.h"
#include "family_f32.h"

/* fma where the target has it (one rounding); a * b + c otherwise (two). */
RECT_INLINE float rect_expfam_fma(float a, float b, float c)
{
#if defined(__FMA__)
    return __builtin_fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

/* e^a = (1 + q) 2^k (rect_expf_q) on [-300, 200] (the 2^k scaling is done in double here, so
   k may go from -433 to 289): below, every caller's f'(x) is under 2^-280; above (celu with
   alpha < 0), g e^a > 2^-149 2^288 overflows for every g != 0 (192 was too low: a tiny g
   gave a finite product; tests/test_expfam_f32.py). */
RECT_INLINE float rect_expfam_expf_q(float a, float *kf)
{
    return rect_expf_q(a, -300.0f, 200.0f, kf);
}

/* 2^k for an integral float k in [-1022, 1023], as a double. */
RECT_INLINE double rect_expfam_pow2d(float k) { return rect_pow2i((double)k); }

/* g d rounded to float, d = f'(x) in double; where |d| < 2^-280, g d rounds to 0 for every
   finite g, and f'(x) is taken as 0 (the select masks a NaN or inf in g), as kernels.c's
   double-core backward does. */
RECT_INLINE float rect_expfam_backward(float g, double d)
{
    return (float)(fabs(d) < 0x1p-280 ? 0.0 : (double)g * d);
}

/* ---- elu ---------------------------------------------------------------------------------- */

/* elu'(x) = alpha e^x = alpha (1 + q) 2^k for x <= 0 (elu'(0) = alpha), 1 above: e^x's
   polynomial in float lanes, the product in double, where 1 + q, alpha (1 + q) and the 2^k
   scaling are exact for every float alpha and x (no overflow, no subnormal: |d| is in
   [2^-583, 2^130]), and g d rounds once in double (2^-53), then to float. */
RECT_INLINE double rect_expfam_elu_d(float x, float alpha)
{
    float k;
    const float q = rect_expfam_expf_q(x, &k);
    return (double)alpha * (1.0 + (double)q) * rect_expfam_pow2d(k);
}
RECT_INLINE float rect_elu_grad_f32(float x, const float *p)
{
    const float d = (float)rect_expfam_elu_d(x, p[0]);
    return x > 0.0f ? 1.0f : d;
}
RECT_INLINE float rect_elu_backward_f32(float g, float x, const float *p)
{
    const float r = rect_expfam_backward(g, rect_expfam_elu_d(x, p[0]));
    return x > 0.0f ? g : r;
}

/* ---- selu --------------------------------------------------------------------------------- */

/* lambda rounded to float (selu'(x) for x > 0) */
#define RECT_EXPFAM_SL_F 0x1.0cfabep+0f

RECT_INLINE double rect_expfam_selu_d(float x)
{
    float k;
    const float q = rect_expfam_expf_q(x, &k);
    return RECT_SELU_SA * (1.0 + (double)q) * rect_expfam_pow2d(k);
}
RECT_INLINE float rect_selu_grad_f32(float x, const float *p)
{
    (void)p;
    const float d = (float)rect_expfam_selu_d(x);
    return x > 0.0f ? RECT_EXPFAM_SL_F : d;
}
RECT_INLINE float rect_selu_backward_f32(float g, float x, const float *p)
{
    (void)p;
    const float neg = rect_expfam_backward(g, rect_expfam_selu_d(x));
    const float pos = (float)((double)g * RECT_SELU_SCALE);
    return x > 0.0f ? pos : neg;
}

/* ---- celu --------------------------------------------------------------------------------- */

/* celu'(x) = e^{x / alpha} for x <= 0: u = x (1 / alpha) in double (within 2^-52 relative,
   amplified at most 300 times: 2^-44), split into its float rounding uf and the exact rest ul,
   e^u = (1 + q)(1 + ul) 2^k with (1 + ul) carrying what uf lost (ul^2 / 2 < 2^-49 relative).
   alpha < 0: u > 0, e^u up to 2^288 (beyond, g e^u overflows for every g != 0). */
RECT_INLINE double rect_expfam_celu_d(float x, float alpha)
{
    const double u = (double)x * (1.0 / (double)alpha); /* the reciprocal is hoisted */
    const float uf = (float)u;
    const double ul = u - (double)uf; /* exact; inf - inf = NaN only where x / alpha overflows */
    float k;
    const float q = rect_expfam_expf_q(uf, &k);
    const double c = 1.0 + (fabs(ul) < 1.0 ? ul : 0.0);
    return (1.0 + (double)q) * c * rect_expfam_pow2d(k);
}
RECT_INLINE float rect_celu_grad_f32(float x, const float *p)
{
    const float d = (float)rect_expfam_celu_d(x, p[0]);
    return x > 0.0f ? 1.0f : d;
}
RECT_INLINE float rect_celu_backward_f32(float g, float x, const float *p)
{
    const float r = rect_expfam_backward(g, rect_expfam_celu_d(x, p[0]));
    return x > 0.0f ? g : r;
}

/* ---- hardsigmoid, hardswish --------------------------------------------------------------- */

#define RECT_EXPFAM_SIXTH_HI 0x1.555556p-3f /* RN(1/6) */

/* (th + tl) / 6, th + tl exact (|tl| <= half an ulp of th): y0 = RN(th / 6) approximately,
   the remainder th - 6 y0 is exact (two_prod: 6 y0 has 26 bits), and y0 - (6 y0 - th - tl) / 6
   rounds once more: within 0.5 ulp + 2^-22 ulp. Written as y0 - c (not y0 + (-c)) so that
   th = -0 gives -0 (-0 - +0 = -0). Sets *lo to the part below y0 when asked (for a product
   with g), and returns the rounded quotient. */
RECT_INLINE float rect_expfam_div6(float th, float tl, float *lo)
{
    const float y0 = th * RECT_EXPFAM_SIXTH_HI;
    float pl;
    const float ph = rect_two_prodf(y0, 6.0f, &pl);
    const float c = (((ph - th) + pl) - tl) * RECT_EXPFAM_SIXTH_HI; /* ph - th exact */
    *lo = -c;
    return y0 - c;
}

/* hardsigmoid(x) = (x + 3) / 6 on (-3, 3): x + 3 = s + e (two_sum; Fast2Sum since |x| < 3). */
RECT_INLINE float rect_hardsigmoid_f32(float x, const float *p)
{
    (void)p;
    float lo;
    const float s = x + 3.0f;
    const float e = (3.0f - s) + x;
    const float v = rect_expfam_div6(s, e, &lo);
    return x <= -3.0f ? 0.0f : (x >= 3.0f ? 1.0f : v);
}
/* hardsigmoid' = 1/6 on (-3, 3), 0 at and beyond +-3 (NaN passes). g / 6 as g RN(1/6): RN(1/6)
   is 2^-25.2 relative off, so the product is within 0.5 + 0.45 ulp. */
RECT_INLINE float rect_hardsigmoid_grad_f32(float x, const float *p)
{
    (void)p;
    return (x > -3.0f && x < 3.0f) ? RECT_EXPFAM_SIXTH_HI : (x != x ? x : 0.0f);
}
RECT_INLINE float rect_hardsigmoid_backward_f32(float g, float x, const float *p)
{
    (void)p;
    return (x > -3.0f && x < 3.0f) ? g * RECT_EXPFAM_SIXTH_HI : (x != x ? x : 0.0f);
}

/* hardswish(x) = x (x + 3) / 6 on (-3, 3): x (s + e) = ph + (pl + x e) exactly to 2^-48
   relative (two_prod; x e is below half an ulp of x s), then rect_expfam_div6. */
RECT_INLINE float rect_hardswish_f32(float x, const float *p)
{
    (void)p;
    float pl, lo;
    const float s = x + 3.0f;
    const float e = (3.0f - s) + x;
    const float ph = rect_two_prodf(x, s, &pl);
    const float v = rect_expfam_div6(ph, pl + x * e, &lo);
    return x <= -3.0f ? 0.0f : (x >= 3.0f ? x : v);
}
/* 2x + 3 = s + e exactly (Knuth's 2Sum: |2x| may exceed 3) */
RECT_INLINE float rect_expfam_2xp3(float x, float *e)
{
    const float a = 2.0f * x;
    const float s = a + 3.0f;
    const float bb = s - a;
    *e = (a - (s - bb)) + (3.0f - bb);
    return s;
}
/* hardswish' = (2x + 3) / 6 on (-3, 3) = (s + e) / 6 with 2x + 3 = s + e (2x exact). The
   backward pass multiplies g by the quotient's two parts (one fused rounding; the low product
   with g clamped: inf * 0). hardswish'(-3) = 0, hardswish'(3) = 1 (SEMANTICS.md). */
RECT_INLINE float rect_hardswish_grad_f32(float x, const float *p)
{
    (void)p;
    float lo, e;
    const float s = rect_expfam_2xp3(x, &e);
    const float v = rect_expfam_div6(s, e, &lo);
    return x <= -3.0f ? 0.0f : (x >= 3.0f ? 1.0f : v);
}
RECT_INLINE float rect_hardswish_backward_f32(float g, float x, const float *p)
{
    (void)p;
    float lo, e;
    const float s = rect_expfam_2xp3(x, &e);
    const float y0 = s * RECT_EXPFAM_SIXTH_HI;
    (void)rect_expfam_div6(s, e, &lo);
    const float gc = g < -3.4e38f ? -3.4e38f : (g > 3.4e38f ? 3.4e38f : g);
    const float v = rect_expfam_fma(g, y0, gc * lo);
    return x <= -3.0f ? 0.0f : (x >= 3.0f ? g : v);
}

#endif
