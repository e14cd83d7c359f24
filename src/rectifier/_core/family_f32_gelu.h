/*
 * float32-lane cores of gelu (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list.
 */
#ifndef RECTIFIER_FAMILY_F32_GELU_H
#define RECTIFIER_FAMILY_F32_GELU_H

#include "family_f32.h"

/* G(s) = Q(a) (1 + a), Q(a) = Phi(-a) e^{a^2/2} = erfcx(a/sqrt2)/2, s = 1/(1 + a): a flat
   function (0.42 <= G <= 0.53 for 0 <= a <= 20), so G = g0 + v with |v| < 0.13 G and v's
   rounding errors are small next to G. Degree 9 in t = s - sc on s < 0.4 (a > 1.5, sc = 1/4)
   and s >= 0.4 (sc = 3/4), g0 = G(sc) as hi + lo, float coefficients fitted by tmp/fitg.py
   (least squares at Chebyshev nodes, each rounded to float before the rest are refitted):
   relative error 7.3e-9 and 8.3e-10. */
static const float rect_gelu_g_tail[11] = {
    0.486055791f, 1.76439618e-09f, 0.257404506f, -0.460056931f, -0.0871274322f, 1.04302287f,
    -1.25609779f, -0.954920232f, 6.72305918f, -7.36972046f, -21.7312298f};
static const float rect_gelu_g_head[11] = {
    0.520728946f, -2.4615824e-08f, -0.0572443828f, -0.138967216f, 0.172738001f, -0.121766724f,
    0.0403846279f, 0.0355369039f, -0.0853153914f, 0.117755152f, -0.120191403f};

#define RECT_GELU_KAPPA 0.398942292f /* 1/sqrt(2 pi) rounded */

/* e^{-a^2/2} = (1 + r + w) 2^k, |r| <= ln2/2, |w| < 0.07: a^2 = h + l exactly (its rounding
   would be amplified a^2/2 times), r = -h/2 - k ln2 with what its rounding lost (rl) and -l/2
   folded into w (e^{r + rl} = e^r (1 + rl)), the Taylor polynomial's r + r^2 p kept apart so
   the caller multiplies by 1 + r + w without rounding 1 + q. Error: the degree-7 Taylor
   truncation (< 5.3e-9), k C2 (< 1e-9), w's roundings (~2^-28). a <= 20. */
RECT_INLINE float rect_gelu_gauss(float a, float *k, float *w)
{
    float l;
    const float h = rect_two_prodf(a, a, &l);
    const float A = -0.5f * h;
    const float kf = (A * 1.44269504088896341f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r1 = A - kf * 0.693359375f; /* exact: k C1 has 17 bits, Sterbenz */
    const float kc = kf * 2.12194440e-4f;
    const float r = r1 + kc;
    const float rl = ((r1 - r) + kc) - 0.5f * l; /* Fast2Sum (|kc| < 0.04 is small or r1 is) */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    *k = kf;
    const float q2 = (r * r) * p;
    *w = q2 + rl * ((1.0f + r) + q2);
    return r;
}

/* 1/d for 1 <= d <= 21 within 2^-20 relative, without a division: a first guess from the bits
   (within 12%), then three Newton steps. */
RECT_INLINE float rect_gelu_recip(float d)
{
    uint32_t u;
    memcpy(&u, &d, 4);
    float y = rect_asfloat(0x7EF311C3u - u);
    y = y * (2.0f - d * y);
    y = y * (2.0f - d * y);
    return y * (2.0f - d * y);
}

/* a Q(a) = a s G(s) as hi + lo (|lo| < 0.15 hi: lo holds a s v), 0 <= a <= 20. s = 1/(1 + a) is rounded twice
   (the sum, the division), which moves the point where G is evaluated to a_s (1/s = 1 + a_s):
   a Q(a) = a Q(a_s) + a Q'(a) (a - a_s) with Q' = a Q - 1/sqrt(2 pi) and a - a_s = dl - d e
   (dl: what 1 + a lost, e = 1 - s d: the division's residual, both exact; |a - a_s| < 2^-19),
   and a s = m + ml exactly. */
RECT_INLINE float rect_gelu_aq(float a, float *lo)
{
    const float d = a + 1.0f;
    const float dl = a - (d - 1.0f);
    const float s = rect_gelu_recip(d);
    float el;
    const float eh = rect_two_prodf(s, d, &el);
    const float delta = dl - d * ((1.0f - eh) - el);
    const int head = s >= 0.4f;
#define RECT_GELU_C(j) (head ? rect_gelu_g_head[j] : rect_gelu_g_tail[j])
    const float t = s - (head ? 0.75f : 0.25f);
    float p = RECT_GELU_C(10);
    p = p * t + RECT_GELU_C(9);
    p = p * t + RECT_GELU_C(8);
    p = p * t + RECT_GELU_C(7);
    p = p * t + RECT_GELU_C(6);
    p = p * t + RECT_GELU_C(5);
    p = p * t + RECT_GELU_C(4);
    p = p * t + RECT_GELU_C(3);
    p = p * t + RECT_GELU_C(2);
    const float v = p * t + RECT_GELU_C(1); /* g0's low part */
    const float g0 = RECT_GELU_C(0);
#undef RECT_GELU_C
    float ml, xl;
    const float m = rect_two_prodf(a, s, &ml);
    const float xh = rect_two_prodf(m, g0, &xl);
    const float mv = m * v;
    *lo = xl + (ml * (g0 + v) + mv) + a * ((xh + mv) - RECT_GELU_KAPPA) * delta;
    return xh;
}

/* gelu(x) = x Phi(x) = max(x, 0) - F, F = a Q(a) e^{-a^2/2} = x Phi(-|x|), a = |x| (for x > 0,
   Phi(x) = 1 - Phi(-x)). F = (X + Xl)(1 + r + w) 2^k = X + T: T = X (r + w) + Xl (1 + r) is
   0.42 X at most, so its one rounding and the errors it carries (G's 7.3e-9, the Taylor
   5.3e-9, v's and w's roundings) stay near 0.35 ulp; X + T rounds once (0.5 ulp), and 2^k
   once more only in the subnormal range. For x > 0, x - X is formed exactly (TwoSum) and
   x - F = (x - X) - T rounds once. */
RECT_INLINE float rect_gelu_f32(float x, const float *p)
{
    (void)p;
    const float ax = fabsf(x);
    const float a = ax > 16.0f ? 16.0f : ax;
    float k, w, xl;
    const float r = rect_gelu_gauss(a, &k, &w);
    const float xh = rect_gelu_aq(a, &xl);
    const float tt = xh * r + (xh * w + xl * ((1.0f + r) + w));
    const float neg = -rect_ldexpf_neg(xh + tt, k);
    const float pos = x + neg; /* F = -neg is exact (k >= -13 wherever it matters, x < 6) */
    return (x > 16.0f || x == 0.0f) ? x : (x > 0.0f ? pos : neg);
}

#endif
