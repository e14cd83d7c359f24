/*
 * Fast paths of float32 kernels (kernels.c's F32_FAST, run by loops.h's RECT_RUN_*_SPLIT): for
 * each, a predicate OK and a kernel FAST that gives values within the same bound as the full
 * kernel wherever OK holds. The loop runs FAST over a block of 256 elements when OK holds for
 * all of them, the full kernel otherwise, so FAST leaves out what the full kernel spends on
 * tails and extreme arguments (range clamps, scalings that keep intermediates normal, masks for
 * inf and NaN), and OK is a few compares.
 *
 * elu, selu backward: g f'(x) with f'(x) = A e^x for x <= 0 (A = alpha, or lambda alpha for
 * selu). The full kernels (family_f32_exp.h) form A (1 + q) 2^k and g f'(x) in double lanes, which
 * covers every g, alpha and x; with |g| < 2^96, 2^-30 <= |alpha| <= 2^30 and x > -64 the product
 * stays in float range before its last scaling, so it can be formed in float lanes:
 * g A = gh + gl exactly (two_prod), e^x = (1 + q) 2^k (k in [-93, 0]),
 * t = (gh q + gl (1 + q)) + gh, then t 2^k, exact unless the result is subnormal (then it is the
 * one rounding of a value already within ~1.5 ulp of a normal float: under 1 ulp of the
 * subnormal result).
 * Error budget in float32 ulp of the result: q as in family_f32_exp.h (< 5e-8 relative: up to
 * 0.8 ulp); gh q + gl (1 + q) rounds once (fma; |gh q| <= 0.42 |t|: <= 0.21 ulp; without FMA the
 * product rounds too: <= 0.42); the final add 0.5 ulp. Total < 1.6 ulp (1.8 without FMA).
 * Measured worst (tools/exhaustive_f32_cores.c -DFAST_BWD, every 31st float32 x, g ~ N(0, 4^2)):
 * elu 1.33 (alpha = 1), 1.36 (0.3), 1.39 (1e-6); selu 1.36; no-FMA build: elu 1.35 / 1.48,
 * selu 1.54. tests/test_fast_paths.py covers the g and alpha ranges.
 */
#ifndef RECTIFIER_FAMILY_F32_FAST_H
#define RECTIFIER_FAMILY_F32_FAST_H

#include "family.h"
#include "family_f32.h"
#include "family_f32_exp.h"

/* (gh + gl) e^x for x in (-64, 0], |gh| < 2^126 and gl within half an ulp of gh (see above);
   the sign of a zero gh is kept (g = -0 gives -0, as the full kernels give). A positive x (whose
   lanes the callers replace) is taken as 0, so k stays in range. */
RECT_INLINE float rect_fast_scaled_exp(float gh, float gl, float x)
{
    x = x < 0.0f ? x : 0.0f;
    const float k = (x * 1.44269504088896341f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r = (x - k * 0.693359375f) + k * 2.12194440e-4f;
    float p = 1.0f / 5040.0f; /* rect_expf_q's Taylor polynomial, without its clamps */
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    const float q = r + (r * r) * p;
    const float t = rect_expfam_fma(gh, q, gl * (1.0f + q)) + gh;
    const float v = t * rect_pow2f(k);
    return gh == 0.0f ? gh : v;
}

/* ---- elu ---------------------------------------------------------------------------------- */

RECT_INLINE int rect_elu_backward_fast_ok_f32(float g, float x, const float *p)
{
    const float a = fabsf(p[0]);
    return x > -64.0f && fabsf(g) < 0x1p96f && a >= 0x1p-30f && a <= 0x1p30f;
}
RECT_INLINE float rect_elu_backward_fast_f32(float g, float x, const float *p)
{
    float gl;
    const float gh = rect_two_prodf(g, p[0], &gl);
    const float v = rect_fast_scaled_exp(gh, gl, x);
    return x > 0.0f ? g : v;
}

/* ---- selu --------------------------------------------------------------------------------- */

/* lambda and lambda alpha as float pairs (hi + lo, to 2^-48 relative); lambda's hi part is
   rounded down, so its lo part is positive and g lo has g's sign (g = -0 then gives -0). */
#define RECT_FAST_SL_HI 0x1.0cfabcp+0f
#define RECT_FAST_SL_LO ((float)(RECT_SELU_SCALE - (double)RECT_FAST_SL_HI))
#define RECT_FAST_SA_HI ((float)RECT_SELU_SA)
#define RECT_FAST_SA_LO ((float)(RECT_SELU_SA - (double)RECT_FAST_SA_HI))

RECT_INLINE int rect_selu_backward_fast_ok_f32(float g, float x, const float *p)
{
    (void)p;
    return x > -64.0f && fabsf(g) < 0x1p96f;
}
/* x > 0: g lambda rounded once from g (lambda_hi + lambda_lo): within 0.5 ulp + 2^-24 ulp. */
RECT_INLINE float rect_selu_backward_fast_f32(float g, float x, const float *p)
{
    (void)p;
    float gl;
    const float gh = rect_two_prodf(g, RECT_FAST_SA_HI, &gl);
    const float v = rect_fast_scaled_exp(gh, rect_expfam_fma(g, RECT_FAST_SA_LO, gl), x);
    const float pos = rect_expfam_fma(g, RECT_FAST_SL_HI, g * RECT_FAST_SL_LO);
    return x > 0.0f ? pos : v;
}

#endif
