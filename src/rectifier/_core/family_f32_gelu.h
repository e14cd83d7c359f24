/*
 * float32-lane cores of gelu (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list.
 *
 * gelu (approximate="none"): Phi(-a) = e^{-a^2/2} Q(a), a = |x|, Q(a) = erfcx(a/sqrt2)/2, and
 * with m = a/(1 + a) (one division, its rounding recovered from the exact remainder) every form
 * is a product of an exactly carried factor and one exponential, smooth parts of the function
 * folded into the exponent as one polynomial in m (0 <= m < 1 covers every a):
 *   forward  a Q(a) e^{-a^2/2} = (m/2) e^{-a^2/2 + L(m)},   L = ln(2 Q(a)(1 + a)) in [-0.17, 0.05]
 *   gelu'    E D(a) = ((a0 - a)/2) e^{-a^2/2 + L2(m)},      L2 = ln(2 D(a)/(a0 - a)) in [-0.19, 0.29]
 * (D = Q - a/sqrt(2 pi), a0 = -x0 = 0.7518, gelu''s zero, carried as two floats: no cancellation
 * and no separate root polynomial). -a^2/2 is exact (one product), the polynomial adds
 * k ln2's low part with its constant term, and the exponent's reduced argument r is exact to
 * ~2^-48; the result is hi (m, or a0 - a) plus tt = hi (e^r - 1) + low parts, rounded once.
 * So there is no product by a polynomial's value and no float-float sum but the last: ~73 vector
 * operations per 16 lanes for the forward (was 97), ~100 for gelu', ~120 for g gelu' (was 163,
 * 192). The loop is bound by its dependency chain as much as by its ports, so the exponent's
 * reduction runs beside the polynomial (k from a cheap estimate of the polynomial's value), the
 * polynomials go in four parts in t^4, e^r's in pairs, and the corrections for the quotient's
 * rounding join the polynomial's constant term.
 * Measured worst against the float64 kernels (tools/exhaustive_f32_cores.c, AVX-512, every 31st
 * float): forward 1.150 ulp, grad 1.291, backward 1.236 (g ~ N(0, 16)); no FMA (baseline, every
 * 31st float): 1.253, 1.384, 1.506; tools/exhaustive_f32.py --stride 101 (the ufuncs): 1.097,
 * 1.174, 1.284.
 */
#ifndef RECTIFIER_FAMILY_F32_GELU_H
#define RECTIFIER_FAMILY_F32_GELU_H

#include "family_f32.h"

/* v 2^k for an integral kf in [-190, 63]: v 2^(k + 64) is exact (a normal power, no overflow for
   |v| < 2^63), then 2^-64 rounds once, only where the result is subnormal. */
RECT_INLINE float rect_gelu_scale(float v, float kf)
{
    return (v * rect_asfloat((uint32_t)((int32_t)kf + 191) << 23)) * 0x1p-64f;
}

/* m = a/(1 + a) = 1 - s as m + ml (|ml| < 2^-22 m): d = 1 + a rounds (dl: what it lost, exact),
   m = a/d rounds, rho = a - m d exactly (the division's remainder), a/(d + dl) = m + (rho - m dl)/d. */
/* min(|x|, cap) for cap the bits of a positive float, as an integer min of the bits (a NaN x
   gives cap; the callers' last select passes NaN): a select here lets GCC 12 fold the cap into
   every later step and blend each one. */
RECT_INLINE float rect_gelu_abs_min(float x, uint32_t cap)
{
    const float ax = fabsf(x);
    uint32_t ab;
    memcpy(&ab, &ax, 4);
    return rect_asfloat(ab < cap ? ab : cap);
}

RECT_INLINE float rect_gelu_m(float a, float *ml)
{
    const float d = a + 1.0f;
    const float dl = a - (d - 1.0f);
    const float m = a / d;
#if defined(__FMA__)
    const float rho = __builtin_fmaf(-m, d, a);
#else
    float pl;
    const float ph = rect_two_prodf(m, d, &pl);
    const float rho = (a - ph) - pl; /* a - ph exact (Sterbenz), the sum is the exact remainder */
#endif
    const float e = rho - m * dl;
    *ml = e - e * m; /* e/d, 1/d = 1 - m */
    return m;
}

/* L(m) = ln(2 Q(a) (1 + a)), m = a/(1 + a): 2 Q(a)(1 + a) = 2 a Q(a)/m is flat (0.84..1.06), so
   L is in [-0.170, 0.050]; one polynomial of degree 15 in t = m - 15/32 on 0 <= m <= 16/17,
   fitted for absolute error (tools/fit_gelu_f32.py): 4.3e-9. */
static const float rect_gelu_l[16] = {
    0.0478389263f, -0.0642732829f, -0.552931666f, -0.569184005f, -0.346307993f, 0.0467148274f,
    0.529639781f, 0.946093559f, 0.949643373f, 0.621610582f, 1.28009605f, -0.0601945855f,
    -10.8284769f, -13.9477234f, 11.3584614f, 20.4465218f};

/* L(m + ml) + c for a constant c added where the polynomial adds its own (so L is never
   rounded alone), in four parts in t^4 (depth 6 with t^2 and t^4): the chain starts right after
   the division, and L'(m) ml joins c (L' as a quadratic in t, within 0.032 of it). */
RECT_INLINE float rect_gelu_lsum(float m, float ml, float c)
{
    const float *q = rect_gelu_l;
    const float t = m - 0.46875f;
    const float t2 = t * t, t4 = t2 * t2;
    const float d = (-1.42402f * t - 1.19873f) * t - 0.0722593f; /* L'(m) */
    const float p0 = ((q[12] * t4 + q[8]) * t4 + q[4]) * t4 + (q[0] + (d * ml + c));
    const float p1 = ((q[13] * t4 + q[9]) * t4 + q[5]) * t4 + q[1];
    const float p2 = ((q[14] * t4 + q[10]) * t4 + q[6]) * t4 + q[2];
    const float p3 = ((q[15] * t4 + q[11]) * t4 + q[7]) * t4 + q[3];
    return t2 * (p3 * t + p2) + (p1 * t + p0);
}

/* gelu(x) = x Phi(x) = max(x, 0) - F, F = a Q(a) e^{-a^2/2} = x Phi(-|x|), a = |x| (for x > 0,
   Phi(x) = 1 - Phi(-x)), a Q(a) = (m/2) e^{L(m)}: F = ((m + ml)/2) e^{-a^2/2 + L}, and
   -a^2/2 + L = A + l + L = k ln2 + r + rl. k comes from A alone (shifted by L's mid-range), so
   the reduction runs beside L's polynomial and the chain after it is short: r, e^r - 1 - r =
   r^2 p(r), tt = m r + (m r^2 p + m rl + ml (1 + r)) (m r exact in the fma), scaled, rounded.
   Error (units of 2^-24 of F): L's fit 0.07, L + k C2 + l rounded once (|.| < 0.25: 0.125),
   L'(m) ml's approximation (< 0.02), rl exact (Fast2Sum: |kc| < |r1| or both small), p's fit
   0.02, tt's rounding (|tt| < 0.65 (m + tt): < 0.65 at worst, ~0.3 typically), then m + tt
   rounds once (0.5 ulp): < 1.4 bound. For x > 0, F (rounded, F < x/2 <= gelu(x)) and x - F
   rounds once more. */
RECT_INLINE float rect_gelu_f32(float x, const float *p)
{
    (void)p;
    const float a = rect_gelu_abs_min(x, 0x41800000u); /* min(|x|, 16); NaN -> 16 */
    float l, ml;
    const float A = rect_two_prodf(-0.5f * a, a, &l); /* -a^2/2 = A + l exactly */
    const float m = rect_gelu_m(a, &ml);
    /* k = round(A/ln2 - 0.135), so r = A + L - k ln2 is in [-0.43, 0.50] (L in [-0.170, 0.050])
       and k = -1 from A <= -0.253 on: A - k C1 is exact (k C1 has 17 bits; Sterbenz from
       A <= -0.347, and for -0.347 < A <= -0.25, A and r1 < 1/2 are multiples of 2^-25) */
    const float ky = (A * 1.44269504088896341f - 0.135f) + RECT_SHIFTER_F;
    const float kf = ky - RECT_SHIFTER_F;
    uint32_t kb; /* k + SHIFTER's bits: k + 190 shifted into the exponent field wraps SHIFTER's */
    memcpy(&kb, &ky, 4);
    const float r1 = A - kf * 0.693359375f;
    const float kc = rect_gelu_lsum(m, ml, kf * 2.12194440e-4f + l); /* L + k C2 + l */
    const float r = r1 + kc;
    const float rl = (r1 - r) + kc;
    /* e^r = 1 + r + r^2 pe(r), -0.43 <= r <= 0.50: 1.03e-9; pe in pairs (depth 3, no extra
       operation) */
    const float r2 = r * r;
    const float pe = ((0.000203586649f * r + 0.00139701599f) * r2 +
                      (0.00833235122f * r + 0.0416660234f)) * r2 + (0.166666701f * r + 0.5f);
    /* tt = m r + Z, m r exact in the fma: rounding an operand of tt's size costs ~0.5 ulp */
    const float Z = (m * r2) * pe + (m * rl + (ml * r + ml));
    const float tt = m * r + Z;
    /* F = (m + tt) 2^(k - 1): 2^(k + 63) is a normal power (k >= -186), 2^-64 rounds once */
    const float sc = rect_asfloat((kb + 190u) << 23); /* bits 0..8 of SHIFTER's are 0 */
    const float neg = (tt * sc + m * sc) * -0x1p-64f;
    /* F = -neg is exact (k >= -13 wherever it matters, x < 6). x = +-0: F = +0, x - F = x;
       x > 16: F < 2^-170 (a is clamped), x - F = x; NaN: x + neg. Subnormal x: m = a,
       F = a/2 rounded once (r ~ 0), x - F or -F: within half an ulp of x/2 + x^2/sqrt(2 pi). */
    return x < 0.0f ? neg : x + neg;
}

/* ---- gelu' = Phi(x) + x phi(x), and g gelu' ------------------------------------------------
   x < 0 (a = -x): E D(a), D = Q(a) - a/sqrt(2 pi); x > 0: 1 - E D(a); E = e^{-a^2/2}. D vanishes
   at a0 = -x0 = 0.7518 (gelu''s zero), so D is carried as D = (a0 - a) R(m) with R = D/(a0 - a)
   smooth and flat (0.41 <= R <= 0.67 on 0 <= a <= 20): no cancellation to guard against and no
   separate root polynomial. a0 - a = th + tl: th = X0A - a rounded, tl what it lost (TwoSum,
   exact) plus X0L (a0 = X0A + X0L to 2^-50 relative: a0 - a keeps ~24 bits even at the float
   next to a0). As the forward's G, R joins the exponent: L2 = ln(2 R) in [-0.19, 0.29], one
   polynomial in m (the forward's division; L2' ml as there), k = round((A + L2)/ln2), and
   E D 2^(1-k) = (th + tl)(1 + r + w) = th + tt, tt = th r + (th r^2 p + th rl + tl (1 + r + w))
   rounded once; the scale 2^(k-1). Every form yields hi + lo and a scale 2^k, and the grad and
   the backward round hi + lo (times g) once. */

/* a0 = 0.7517915246935644574579049 (mpmath) = X0A + X0L (+ 4.3e-16) */
#define RECT_GELU_X0A 0.751791537f
#define RECT_GELU_X0L -1.21144499e-08f
/* L2(m) = ln(2 D(a)/(a0 - a)), degree 14 in t = m - 15/32 on 0 <= m <= 20/21, fitted for
   absolute error (tools/fit_gelu_f32.py): 9.4e-10 */
static const float rect_gelu_l2[15] = {
    0.116775282f, -0.478537619f, -0.312246442f, -0.121298127f, 0.0591258928f, 0.189052641f,
    0.23182264f, 0.163075149f, 0.00512143876f, -0.157949761f, -0.430319369f, -0.959331751f,
    -0.593934655f, 1.32076204f, 1.60046828f};

RECT_INLINE float rect_gelu_der_f32(float x, float *lo, float *kout)
{
    /* a up to 20, not 16 as in the forward: the backward's g (up to 2^127) lifts gelu'(x) back
       into range down to RECT_GELU_DER_ZERO; k >= -289, k C1 still exact */
    const float a = rect_gelu_abs_min(x, 0x41a00000u); /* min(|x|, 20); NaN -> 20 */
    float l, ml;
    const float A = rect_two_prodf(-0.5f * a, a, &l); /* -a^2/2 = A + l exactly */
    const float m = rect_gelu_m(a, &ml);
    const float *q = rect_gelu_l2;
    const float t = m - 0.46875f;
    const float t2 = t * t, t4 = t2 * t2;
    /* k = round((A + L2)/ln2) within 0.07 from L2's linear part (within [-0.023, 0.045] of L2),
       so the reduction runs beside the polynomial, which adds k C2 + l with its constant term:
       r = r1 + kc, kc = L2 + k C2 + l rounded once, |r| < 0.40. k <= 0 (A + L2lin < 0.33), and
       k = -1 only from A < -0.40 on (L2 > 0.1 for a < 1): A - k C1 is exact (Sterbenz) */
    const float kf = ((A + (-0.494666f * t + 0.0941034f)) * 1.44269504088896341f +
                      RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r1 = A - kf * 0.693359375f;
    const float kcl = kf * 2.12194440e-4f + l;
    /* L2 at m + ml: four parts in t^4 (depth 6), L2'(m) ml (linear L2', within 0.036) added
       with the constant term */
    const float dv = -0.565937f * t - 0.494828f;
    const float p0 = ((q[12] * t4 + q[8]) * t4 + q[4]) * t4 + (q[0] + (dv * ml + kcl));
    const float p1 = ((q[13] * t4 + q[9]) * t4 + q[5]) * t4 + q[1];
    const float p2 = ((q[14] * t4 + q[10]) * t4 + q[6]) * t4 + q[2];
    const float p3 = (q[11] * t4 + q[7]) * t4 + q[3];
    const float kc = p1 * t + (t2 * (p3 * t + p2) + p0);
    const float r = r1 + kc;
    const float rb = r - r1;
    const float rl = (r1 - (r - rb)) + (kc - rb); /* TwoSum: neither |r1| nor |kc| dominates */
    /* e^r = 1 + r + r^2 p(r), -0.40 <= r <= 0.38: 2.5e-10; p in pairs */
    const float r2 = r * r;
    const float pe = ((0.000194780208f * r + 0.00139456778f) * r2 +
                      (0.00833416078f * r + 0.0416663587f)) * r2 + (0.166666627f * r + 0.5f);
    /* a0 - a = th + tl: TwoSum, then X0L */
    const float th = RECT_GELU_X0A - a;
    const float bb = th - RECT_GELU_X0A;
    const float tl = ((RECT_GELU_X0A - (th - bb)) - (a + bb)) + RECT_GELU_X0L;
    /* (th + tl)(1 + r + e + rl), e = r^2 p: tl is all there is next to a0 (th = 0) */
    const float e = r2 * pe;
    const float tsmall = th * e + (th * rl + tl * ((1.0f + r) + e));
#if defined(__FMA__)
    const float tt = th * r + tsmall; /* th r exact in the fma */
#else
    float trl; /* no FMA: th r (up to 0.35 th) would round by itself */
    const float tr = rect_two_prodf(th, r, &trl);
    const float tt = tr + (tsmall + trl);
#endif
    /* x > 0: 1 - V 2^(k-1) (k >= -13 wherever V matters: clamped, V 2^k stays exact) */
    const float sc = rect_pow2f(kf < -100.0f ? -101.0f : kf - 1.0f);
    const float vh = th * sc;
    const float oh = 1.0f - vh;
    const float ol = ((1.0f - oh) - vh) - tt * sc; /* Fast2Sum: |vh| < 1 */
    const int pos = x > 0.0f;
    *kout = pos ? 0.0f : kf - 1.0f;
    *lo = pos ? ol : tt;
    const float hi = pos ? oh : th;
    return x != x ? x : hi;
}

/* Where |gelu'(x)| < 2^-280 the double cores take it as 0 (rect_backward_value_lo): the same
   inputs, so the backward masks a NaN or inf gradient at the same x. */
#define RECT_GELU_DER_ZERO -19.8063488f

RECT_INLINE float rect_gelu_grad_f32(float x, const float *p)
{
    (void)p;
    float lo, k;
    const float hi = rect_gelu_der_f32(x, &lo, &k);
    /* k < -190 only where gelu' underflows anyway (x < -17) */
    const float r = rect_gelu_scale(hi + lo, k < -190.0f ? -190.0f : k);
    return x < -1e4f ? 0.0f : r; /* as the double cores: -0.0 in the underflow, 0 beyond */
}

/* g gelu'(x) = g (hi + lo) 2^k: g = gs 2^(e - 127) with gs = g 2^(127 - e) exact (e: g's biased
   exponent, at most 253, so |gs| < 2^2 except for inf and NaN, which pass), so gs hi can neither
   overflow nor lose bits to underflow; gs (hi + lo) rounded once (gs hi exact in the fma), then
   2^(k + e - 127) in two halves (rounding once more only where the result is subnormal: the
   first rounding's error is then scaled down by the second half). */
RECT_INLINE float rect_gelu_backward_f32(float g, float x, const float *p)
{
    (void)p;
    float lo, k;
    const float hi = rect_gelu_der_f32(x, &lo, &k);
    uint32_t gb;
    memcpy(&gb, &g, 4);
    int32_t e = (int32_t)((gb >> 23) & 255u);
    e = e > 253 ? 253 : e;
    const float gs = g * rect_asfloat((uint32_t)(254 - e) << 23);
    /* g = inf or NaN: gs hi alone (gs lo could be inf of the other sign); g = 0: gs hi is the
       signed zero g gelu'(x) (the sum could flip it) */
    const float ags = fabsf(gs);
#if defined(__FMA__)
    const float gsum = __builtin_fmaf(gs, hi, gs * lo); /* spelled out: not fma(gs, lo, gs hi) */
#else
    float gl;
    const float gh = rect_two_prodf(gs, hi, &gl);
    const float gsum = gh + (gl + gs * lo);
#endif
    const float sum = (ags < 4.0f && ags > 0.0f) ? gsum : gs * hi;
    int32_t ks = (int32_t)k + e - 127; /* >= -416: below -250 the result is 0 anyway */
    ks = ks < -250 ? -250 : ks;
    const int32_t k1 = ks >> 1;
    const float r = (sum * rect_asfloat((uint32_t)(k1 + 127) << 23)) *
                    rect_asfloat((uint32_t)(ks - k1 + 127) << 23);
    return x < RECT_GELU_DER_ZERO ? 0.0f : r;
}

#endif
