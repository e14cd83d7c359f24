/*
 * Fast paths of float32 kernels (kernels.c's F32_FAST, run by loops.h's RECT_RUN_*_SPLIT): for
 * each, a predicate OK and a kernel FAST that gives values within the same bound as the full
 * kernel wherever OK holds. The loop runs FAST over a block of 256 elements when OK holds for
 * all of them, the full kernel otherwise, so FAST leaves out what the full kernel spends on
 * tails and extreme arguments (range clamps, scalings that keep intermediates normal, masks for
 * inf and NaN), and OK is a few compares. kernels.c's full kernel takes FAST's value wherever OK
 * holds, so results do not depend on which path a block took (nor on layout or threads).
 * Measured (tools/exhaustive_f32_cores.c -DFAST_BWD: FAST where OK holds, the full kernel
 * elsewhere, every float32 x, g ~ N(0, 4^2)) in each section below; tests/test_fast_paths.py
 * covers the g and parameter ranges.
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
 * Measured worst: every float32 x (AVX-512): elu 1.418 (alpha = 1), selu 1.448; every 31st:
 * elu 1.36 (alpha = 0.3), 1.39 (1e-6); no-FMA build: elu 1.35 / 1.48, selu 1.54. Speed
 * (single thread, 1e5 N(0, 1) inputs, the split loop against the full kernel in one run):
 * elu 0.51 against 1.06 ns/elem.
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
    float k;
    const float q = rect_expf_q_in_range(x < 0.0f ? x : 0.0f, &k);
    const float t = rect_expfam_fma(gh, q, gl * (1.0f + q)) + gh;
    const float v = t * rect_pow2f(k);
    return gh == 0.0f ? gh : v;
}

/* ---- elu ---------------------------------------------------------------------------------- */

RECT_INLINE int rect_elu_backward_fast_ok_f32(float g, float x, const float *p)
{
    const float a = fabsf(p[0]);
    return (x > -64.0f) & (fabsf(g) < 0x1p96f) & (a >= 0x1p-30f) & (a <= 0x1p30f);
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
    return (x > -64.0f) & (fabsf(g) < 0x1p96f);
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

/* ---- softplus ----------------------------------------------------------------------------- */

/*
 * softplus backward, beta = 1: g sigmoid(x) (g where x > threshold). The full kernel
 * (family_f32_softplus.h) serves every beta and threshold and keeps every intermediate normal
 * down to sigmoid's 2^-280; here |x| < 80 (e = e^-|x| >= 2^-116, a normal float) and |g| < 2^96.
 * sigmoid(x) g = N / (1 + e) with N = g (x >= 0) or g e (x < 0, scaled by 2^k at the end):
 * e = (1 + q) 2^k is split exactly into eh + el (FMA residual), 1 + eh = d + dl (Fast2Sum), so
 * 1 + e = d + dd with dd = dl + el to 2^-48; g (1 + q) = nh + nl likewise. One vdivps
 * v0 = nh / d, its exact remainder nh - v0 d (FMA), and the quotient's correction
 * (rem + nl - v0 dd) / d, the division by d done as a product by a quadratic 1/d (2% off, on a
 * correction under 1 ulp). Error budget: q (the Taylor polynomial's 8e-9 and q's own rounding,
 * ~1.5e-8 relative to 1 + q), passed whole into N for x < 0 and damped by e / (1 + e) <= 1/2 into
 * 1 + e: <= 0.4 ulp; the correction's own error: < 0.03 ulp; the final rounding 0.5 ulp; where
 * the result is subnormal (a tiny g) the scaling by 2^k rounds once more, by under half the
 * subnormal grid: <= 1 ulp there. Without FMA the
 * residuals are not exact (each FMA rounds twice). Measured worst: every 31st float32 x at
 * thresholds inf, 20 and -3: 1.156 ulp (AVX-512), 1.590 (no-FMA build). Speed (single thread,
 * 1e5 N(0, 1) inputs, same run): 0.66-0.68 ns/elem against the full kernel's 0.97-1.00.
 */
RECT_INLINE int rect_softplus_backward_fast_ok_f32(float g, float x, const float *p)
{
    return (p[0] == 1.0f) & (fabsf(x) < 80.0f) & (fabsf(g) < 0x1p96f);
}
RECT_INLINE float rect_softplus_backward_fast_f32(float g, float x, const float *p)
{
    float k;
    const float q = rect_expf_q_in_range(-fabsf(x), &k);
    const float E = rect_pow2f(k);
    const float eh = rect_expfam_fma(E, q, E);
    const float el = rect_expfam_fma(E, q, E - eh); /* E - eh exact: eh in [E/2, 2E] */
    const float d = 1.0f + eh;
    const float dd = ((1.0f - d) + eh) + el;
    /* N = g (1 + qn) 2^kn: qn = 0, kn = 0 for x >= +0 (so nh = g, nl = 0), q and k for x <= -0
       (e^-0 = 1: q = 0, k = 0 too). Chosen by x's sign bit with integer masks, not by a select:
       GCC duplicates everything below a select of q (two divisions). */
    uint32_t xb, qb;
    memcpy(&xb, &x, 4);
    memcpy(&qb, &q, 4);
    const uint32_t neg = (uint32_t)0 - (xb >> 31); /* all ones where x's sign bit is set */
    const float qn = rect_asfloat(qb & neg);
    const float nh = rect_expfam_fma(g, qn, g);
    const float nl = rect_expfam_fma(g, qn, g - nh); /* g - nh exact: nh in [g/2, 2g] */
    const float v0 = nh / d;
    const float rem = rect_expfam_fma(-v0, d, nh);
    const float corr = rect_expfam_fma(-v0, dd, rem + nl);
    const float rd = (0.32740728f * d - 1.45887808f) * d + 2.11751422f; /* ~1/d on [1, 2] */
    uint32_t Eb;
    memcpy(&Eb, &E, 4);
    const float En = rect_asfloat((Eb & neg) | (0x3f800000u & ~neg)); /* E, or 1 for x >= +0 */
    const float v = rect_expfam_fma(corr, rd, v0) * En;
    return x > p[1] ? g : (g == 0.0f ? g : v);
}

#endif
