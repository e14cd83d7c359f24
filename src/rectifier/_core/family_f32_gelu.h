/*
 * float32-lane cores of gelu (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list.
 *
 * gelu (approximate="none"): Phi(-a) = e^{-a^2/2} Q(a), a = |x|, Q(a) = erfcx(a/sqrt2)/2, and
 * with m = a/(c + a) (one division, its rounding recovered from the exact remainder) every form
 * is a product of an exactly carried factor and one exponential, smooth parts of the function
 * folded into the exponent as one polynomial in m (0 <= m < 1 covers every a):
 *   forward  a Q(a) e^{-a^2/2} = (m/2) e^{-a^2/2 + L(m)},   c = 1, L = ln(2 Q(a)(1 + a)) in
 *            [-0.17, 0.05]
 *   gelu'    E D(a) = ((a0 - a)/2) e^{-a^2/2 + L2(m)},      c = 4, L2 = ln(2 D(a)/(a0 - a)) in
 *            [-0.19, 0.29]
 * (D = Q - a/sqrt(2 pi), a0 = -x0 = 0.7518, gelu''s zero, carried as two floats: no cancellation
 * and no separate root polynomial). -a^2/2 is exact (one product), the polynomial adds
 * k ln2's low part with its constant term; the result is hi (m, or a0 - a) plus
 * tt = hi (e^r - 1) + low parts, rounded once. So there is no product by a polynomial's value
 * and no float-float sum but the last. The forward's c = 1 keeps L flat (the forward's factor is
 * m itself, and L's rounding is relative to its size); gelu''s factor is a0 - a, so its m is
 * free: with c = 4 L2's polynomial needs degree 10, not 14.
 * Each form is a core (rect_gelu_fwd_core, rect_gelu_der_core) and a tail: the full kernels'
 * tails cover every x and g (subnormal results, clamps, inf, NaN, huge g); the backward's fast
 * path (rect_gelu_backward_fast_f32, for x >= -13 and |g| < 2^96, run by loops.h's split loops
 * on whole blocks) leaves those out, and the full backward, which takes the fast value where the
 * fast predicate holds (kernels.c), computes the core once. Instructions per 16 lanes (AVX-512
 * loop of the kernel alone, objdump): forward 76 -> 71, gelu' 106 -> 96, g gelu' 123 -> 87 (fast
 * path) or 112 (full); the full backward with the fast path's select (strided layouts, blocks
 * with an outlier): 142. Single thread, 1e5 N(0, 1), backward: the split loop 1.19-1.23 ns/elem
 * against the old kernel's 1.42-1.52. The forward had a fast path too (x >= -13, same core):
 * the split loop measured 0.90 ns/elem against the full kernel's 0.83 alone (min of 3000, one
 * run each, 28 Nov: the block pre-pass cost more than the tail saved), so it runs the full
 * kernel. On AVX-512, |x| < 3.875 takes a table kernel instead (family_f32_table.h: 0.51
 * ns/elem), and this forward serves the blocks that hold an x beyond it.
 * Measured worst against the float64 kernels: see each form's comment and the README.
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

/* m = a/(c + a) (c = 1: the forward, c = 4: the derivative) as m + ml/c: d = c + a rounds,
   dl = a - (d - c) exactly (d - c is exact: Sterbenz for d <= 2c, a multiple of d's ulp below d
   above), rho = a - m d exactly, a/(d + dl) = m + (rho - m dl)/d and 1/d = (1 - m)/c, so
   *ml = (rho - m dl)(1 - m). */
RECT_INLINE float rect_gelu_mc(float a, float c, float *ml)
{
    const float d = a + c;
    const float dl = a - (d - c);
    const float m = a / d;
#if defined(__FMA__)
    const float rho = __builtin_fmaf(-m, d, a);
#else
    float pl;
    const float ph = rect_two_prodf(m, d, &pl);
    const float rho = (a - ph) - pl; /* a - ph exact (Sterbenz), the sum is the exact remainder */
#endif
    const float e = rho - m * dl;
    *ml = e - e * m;
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
   -a^2/2 + L = A + l + L = k ln2 + r + rl. k comes from A alone (k = round(A/ln2)), so
   the reduction runs beside L's polynomial and the chain after it is short: r, e^r - 1 - r =
   r^2 p(r), tt = m r + (m r^2 p + ml (1 + r)) (m r exact in the fma), scaled, rounded.
   Error (units of 2^-24 of F): L's fit 0.07, L + k C2 + l rounded once (|.| < 0.25: 0.125),
   L'(m) ml's approximation (< 0.02), rl = r's rounding error, not carried (< 0.25), p's fit
   0.01, tt's rounding (|tt| < 0.7 (m + tt): < 0.35), then m + tt rounds once (0.5 ulp):
   < 1.7 bound. For x > 0, F (rounded, F < x/2 <= gelu(x)) and x - F rounds once more.
   Measured worst, every float32 x (tools/exhaustive_f32_cores.c, AVX-512, 28 Nov; the same as
   with the former fast path): 1.372 (at x = -13.03, where F is near the subnormal range); no
   FMA, every 31st x: 1.372;
   tools/exhaustive_f32.py --stride 101: 1.170. */
/* The forward's core: F = (m + tt) 2^(k - 1), a = min(|x|, 16); returns m, *tt, and
   *ky = SHIFTER + k (k + SHIFTER's bits in its low bits). */
RECT_INLINE float rect_gelu_fwd_core(float x, float *tto, float *kyo)
{
    const float a = rect_gelu_abs_min(x, 0x41800000u); /* min(|x|, 16); NaN -> 16 */
    float l, ml;
    const float A = rect_two_prodf(-0.5f * a, a, &l); /* -a^2/2 = A + l exactly */
    const float m = rect_gelu_mc(a, 1.0f, &ml);
    /* k = round(A/ln2) (the shifter's own rounding: no shift, one operation less), so
       r = A + L - k ln2 is in [-0.52, 0.41] (L in [-0.170, 0.050]) and k = -1 from A <= -0.347
       on: A - k C1 is exact (k C1 has 17 bits; Sterbenz from A <= -0.347 to -1.04, then k C1's
       bits and A's overlap within 24) */
    const float ky = A * 1.44269504088896341f + RECT_SHIFTER_F;
    const float kf = ky - RECT_SHIFTER_F;
    const float r1 = A - kf * 0.693359375f;
    const float kc = rect_gelu_lsum(m, ml, kf * 2.12194440e-4f + l); /* L + k C2 + l */
    /* r = r1 + kc rounded, its error (< 2^-26, |r| < 1/2) not carried: < 0.25 ulp of F, for
       three operations (the Fast2Sum and its product by m) */
    const float r = r1 + kc;
    /* e^r = 1 + r + r^2 pe(r), -0.52 <= r <= 0.41: 7.6e-10; pe in pairs (depth 3, no extra
       operation) */
    const float r2 = r * r;
    const float pe = ((0.000186897858f * r + 0.00139518734f) * r2 +
                      (0.00833634567f * r + 0.0416662842f)) * r2 + (0.166666493f * r + 0.5f);
    /* tt = m r + Z, m r exact in the fma: rounding an operand of tt's size costs ~0.5 ulp */
    const float Z = (m * r2) * pe + (ml * r + ml);
    *tto = m * r + Z;
    *kyo = ky;
    return m;
}

RECT_INLINE float rect_gelu_f32(float x, const float *p)
{
    (void)p;
    float tt, ky;
    const float m = rect_gelu_fwd_core(x, &tt, &ky);
    uint32_t kb; /* k + SHIFTER's bits: k + 190 shifted into the exponent field wraps SHIFTER's */
    memcpy(&kb, &ky, 4);
    /* F = (m + tt) 2^(k - 1): 2^(k + 63) is a normal power (k >= -186), 2^-64 rounds once */
    const float sc = rect_asfloat((kb + 190u) << 23); /* bits 0..8 of SHIFTER's are 0 */
    const float neg = (tt * sc + m * sc) * -0x1p-64f;
    /* F = -neg is exact (k >= -13 wherever it matters, x < 6). x = +-0: F = +0, x - F = x;
       x > 16: F < 2^-170 (a is clamped), x - F = x; NaN: x + neg. Subnormal x: m = a,
       F = a/2 rounded once (r ~ 0), x - F or -F: within half an ulp of x/2 + x^2/sqrt(2 pi). */
    return x < 0.0f ? neg : x + neg;
}

#define RECT_GELU_FAST_MIN -13.0f /* the backward's fast path: x >= -13 */

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
   the backward round hi + lo (times g) once.
   Measured worst, every float32 x (tools/exhaustive_f32_cores.c -DFAST_BWD, AVX-512, g ~
   N(0, 16)): grad 1.300, backward 1.363; no FMA, every 31st x: 1.265, 1.596;
   tools/exhaustive_f32.py --stride 101: 1.170, 1.185. */

/* a0 = 0.7517915246935644574579049 (mpmath) = X0A + X0L (+ 4.3e-16) */
#define RECT_GELU_X0A 0.751791537f
#define RECT_GELU_X0L -1.21144499e-08f
/* L2(m) = ln(2 D(a)/(a0 - a)) with m = a/(4 + a) (rect_gelu_m4; 4, not the forward's 1: L2's
   terms decay much faster in it, degree 10 against 14), in t = m - 1/4 on 0 <= m <= 20/24,
   fitted for absolute error (tools/fit_gelu_f32.py): 3.6e-9 */
static const float rect_gelu_l2[11] = {
    0.0642254576f, -0.713296771f, 0.63696909f, -0.246890604f, -0.174112201f, 0.2576662f,
    -0.00895173103f, -0.182382703f, 0.0921769291f, 0.0563905761f, -0.0493631177f};

RECT_INLINE float rect_gelu_der_core(float x, float *tto, float *kyo)
{
    /* a up to 20, not 16 as in the forward: the backward's g (up to 2^127) lifts gelu'(x) back
       into range down to RECT_GELU_DER_ZERO; k >= -289, k C1 still exact */
    const float a = rect_gelu_abs_min(x, 0x41a00000u); /* min(|x|, 20); NaN -> 20 */
    float l, ml4;
    const float A = rect_two_prodf(-0.5f * a, a, &l); /* -a^2/2 = A + l exactly */
    const float m = rect_gelu_mc(a, 4.0f, &ml4);
    const float *q = rect_gelu_l2;
    /* k = round((A + L2)/ln2) within 0.07 from L2's linear part (within [-0.029, 0.065] of L2),
       so the reduction runs beside the polynomial, which adds k C2 + l with its constant term:
       r = r1 + kc, kc = L2 + k C2 + l rounded once, |r| < 0.42. k <= 0 (A + L2lin < 0.33), and
       k = -1 only from A < -0.40 on (L2 > 0.1 for a < 1): A - k C1 is exact (Sterbenz) */
    /* t = m - 1/4: exact from m >= 1/8 on (Sterbenz below 1/2, m's ulp above), and below it
       rounds by at most 2^-27, where |L2'| < 1: < 0.13 ulp of the result */
    const float t = m - 0.25f;
    const float ky = (A + (-0.5525737f * t + 0.0826008447f)) * 1.44269504088896341f +
                     RECT_SHIFTER_F;
    const float kf = ky - RECT_SHIFTER_F;
    const float r1 = A - kf * 0.693359375f;
    const float kcl = kf * 2.12194440e-4f + l;
    /* L2 at m + ml: Horner in t (the loop keeps several elements in flight, so the chain's
       length costs less than the parts' extra operations), L2'(m) ml (L2' as a quadratic,
       within 0.0085 of it; ml = ml4/4) added with the constant term */
    const float dv = (-0.191965174f * t + 0.311022576f) * t - 0.177976031f; /* L2'(m)/4 */
    float h = q[10];
    for (int i = 9; i >= 1; i--) {
        h = h * t + q[i];
    }
    const float kc = h * t + (q[0] + (dv * ml4 + kcl));
    const float r = r1 + kc;
    const float rb = r - r1;
    const float rl = (r1 - (r - rb)) + (kc - rb); /* TwoSum: neither |r1| nor |kc| dominates */
    /* e^r = 1 + r + r^2 p(r), -0.38 <= r <= 0.42: 3.1e-10; p in pairs */
    const float r2 = r * r;
    const float pe = ((0.000201024333f * r + 0.00139503449f) * r2 +
                      (0.00833302084f * r + 0.0416663028f)) * r2 + (0.166666672f * r + 0.5f);
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
    *tto = tt;
    *kyo = ky;
    return th;
}

RECT_INLINE float rect_gelu_der_f32(float x, float *lo, float *kout)
{
    float tt, ky;
    const float th = rect_gelu_der_core(x, &tt, &ky);
    const float kf = ky - RECT_SHIFTER_F;
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

/* The backward's fast path (kernels.c's DER = F32_FAST, loops.h's split loop): x >= -13 and g
   finite. There gelu'(x) = E D(a) >= 2^-118 (x < 0) and 2^(k - 1) is a normal float
   (k >= -122), so V = E D 2^(k - 1) can be formed before the sign is dealt with: with
   s = -1 for x >= +0 and 1 for x <= -0, vh = s th 2^(k - 1) (exact), P = 1 or 0 (the same),
   hi = P + vh, lo = ((P - hi) + vh) + s tt 2^(k - 1): for x >= 0, 1 - V as a Fast2Sum
   (|vh| <= 1/2), for x < 0 V itself (hi = vh exactly, lo = tt 2^(k - 1)); then
   g gelu'(x) = g hi + g lo rounded once (g hi exact in the fma; where the result is subnormal,
   that rounding is the one at the subnormal grid, after an error below an ulp of it). So none of
   the full kernel's scaling of g (g hi cannot overflow, and Dekker's split in the no-FMA build
   stays in range) nor the 2^-280 mask (gelu' != 0 here). For x > 13, k (down to -289 at a = 20) is
   held at -124: V is then some value below 2^-100 and 1 - V rounds to 1 (hi = 1, lo tiny) as it
   does from the true V. Where g hi + g lo is 0 (g = +-0, or an underflow): g hi, which has
   g gelu'(x)'s sign (g lo may have the other).
   Same values as the full kernel wherever both are within 2 ulp; tools/exhaustive_f32_cores.c
   -DFAST_BWD checks the pair as the loops run it. */
RECT_INLINE int rect_gelu_backward_fast_ok_f32(float g, float x, const float *p)
{
    (void)p;
    return (x >= RECT_GELU_FAST_MIN) & (fabsf(g) < 0x1p96f);
}
RECT_INLINE float rect_gelu_backward_fast_f32(float g, float x, const float *p)
{
    (void)p;
    float tt, ky;
    const float th = rect_gelu_der_core(x, &tt, &ky);
    uint32_t kb, xb;
    memcpy(&kb, &ky, 4);
    memcpy(&xb, &x, 4);
    const uint32_t kmin = 0x4b400000u - 124u; /* SHIFTER - 124's bits */
    kb = kb > kmin ? kb : kmin;
    const uint32_t sgn = ~xb & 0x80000000u; /* set for x >= +0 */
    const float sc = rect_asfloat(((kb + 126u) << 23) | sgn); /* s 2^(k - 1) */
    const float P = rect_asfloat((uint32_t)((int32_t)~xb >> 31) & 0x3f800000u);
    const float vh = th * sc;
    const float hi = P + vh;
    const float lo = ((P - hi) + vh) + tt * sc;
#if defined(__FMA__)
    const float v = __builtin_fmaf(g, hi, g * lo); /* spelled out: not fma(g, lo, g hi) */
#else
    float gl; /* no FMA: g hi exactly (Dekker: |g| < 2^96 keeps the split in range) */
    const float gh = rect_two_prodf(g, hi, &gl);
    const float v = gh + (gl + g * lo);
#endif
    /* g = +-0, or a product that underflows to 0 (the no-FMA sum of zeros may lose its sign):
       g hi, zero or within an ulp of the smallest subnormal, with g gelu'(x)'s sign */
    return v == 0.0f ? g * hi : v;
}

#endif
