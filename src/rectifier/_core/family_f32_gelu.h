/*
 * float32-lane cores of gelu (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list.
 *
 * gelu (approximate="none"): Phi(-a) = e^{-a^2/2} Q(a), a = |x|, and a Q(a) = m G(s) with
 * m = a/(1 + a) (one division, its rounding recovered from the exact remainder) and s = 1 - m:
 * G(s) = Q(a)(1 + a) is flat (0.42..0.53), so G = g0 + v with |v| < 0.13 G, and m g0 is formed
 * exactly; e^{-a^2/2} with a^2 exact and 1 + q kept unrounded; every form ends with one rounding
 * of hi + lo (budgets below). The loop is bound by the vector ports and by its dependency chain
 * (division, then a degree-9 polynomial), so the low parts that cost latency are folded in where
 * they join the sum, not before.
 * Measured worst against the float64 kernels (every float32, AVX-512): forward 1.333 ulp,
 * grad 0.996, backward 1.260 (g ~ N(0, 16)); no FMA (baseline, every 31st float): 1.500, 1.105,
 * 1.500; tools/exhaustive_f32.py --stride 101 (the ufuncs): 1.170, 0.971, 1.243.
 */
#ifndef RECTIFIER_FAMILY_F32_GELU_H
#define RECTIFIER_FAMILY_F32_GELU_H

#include "family_f32.h"

/* G(s) = Q(a) (1 + a), Q(a) = Phi(-a) e^{a^2/2} = erfcx(a/sqrt2)/2, s = 1/(1 + a): a flat
   function (0.42 <= G <= 0.53 for 0 <= a <= 20), so G = g0 + v with |v| < 0.13 G and v's
   rounding errors are small next to G. Degree 9 in t = s - sc on s < 0.4 (a > 1.5, sc = 1/4)
   and s >= 0.4 (sc = 3/4), g0 = G(sc) as hi + lo, float coefficients fitted by tools/fit_gelu_f32.py
   (least squares at Chebyshev nodes, each rounded to float before the rest are refitted):
   relative error 7.3e-9 and 8.3e-10. */
static const float rect_gelu_g_tail[11] = {
    0.486055791f, 1.76439618e-09f, 0.257404506f, -0.460056931f, -0.0871274322f, 1.04302287f,
    -1.25609779f, -0.954920232f, 6.72305918f, -7.36972046f, -21.7312298f};
static const float rect_gelu_g_head[11] = {
    0.520728946f, -2.4615824e-08f, -0.0572443828f, -0.138967216f, 0.172738001f, -0.121766724f,
    0.0403846279f, 0.0355369039f, -0.0853153914f, 0.117755152f, -0.120191403f};

#define RECT_GELU_KAPPA 0.398942292f /* 1/sqrt(2 pi) rounded */

/* e^{-a^2/2} = (1 + r + w) 2^k, |r| <= ln2/2, |w| < 0.07: -a^2/2 = A + l exactly (one product,
   -a/2 is exact; rounding a^2 would be amplified a^2/2 times), r = A - k ln2 + l with what its
   rounding lost (rl, exact) in w, the polynomial's r + r^2 p kept apart so the caller multiplies
   by 1 + r + w without rounding 1 + q. Error: the degree-6 minimax p (tools/fit_gelu_f32.py:
   3.7e-9 relative), ln2's two parts (k C2's error < 2e-9 for k >= -185), w's roundings (~2^-28),
   rl r dropped (< 2^-27). a <= 16. */
RECT_INLINE float rect_gelu_gauss(float a, float *k, float *w)
{
    float l;
    const float A = rect_two_prodf(-0.5f * a, a, &l); /* -a^2/2 = A + l exactly */
    const float kf = (A * 1.44269504088896341f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r1 = A - kf * 0.693359375f;     /* exact: k C1 has 17 bits, Sterbenz */
    const float kc = kf * 2.12194440e-4f + l; /* |kc| < 0.07, its rounding < 2^-28 */
    const float r = r1 + kc;
    const float rl = (r1 - r) + kc; /* Fast2Sum (|kc| < 0.07 is small or r1 is) */
    const float r2 = r * r; /* p in pairs: depth 3, no extra operation */
    const float p = (0.00138621067f * r2 + (0.00836743787f * r + 0.0416672565f)) * r2 +
                    (0.166665345f * r + 0.5f);
    *k = kf;
    *w = r2 * p + rl;
    return r;
}

/* v 2^k for an integral kf in [-190, 63]: v 2^(k + 64) is exact (a normal power, no overflow for
   |v| < 2^63), then 2^-64 rounds once, only where the result is subnormal. */
RECT_INLINE float rect_gelu_scale(float v, float kf)
{
    return (v * rect_asfloat((uint32_t)((int32_t)kf + 191) << 23)) * 0x1p-64f;
}

/* m = a/(1 + a) = 1 - s as m + ml (|ml| < 2^-22 m): d = 1 + a rounds (dl: what it lost, exact),
   m = a/d rounds, rho = a - m d exactly (the division's remainder), a/(d + dl) = m + (rho - m dl)/d. */
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

/* G(s) = g0 + v, s = 1 - m - ml, on a <= 1.5 (s >= 0.4) and a > 1.5 (coefficient selects; GCC
   evaluates both polynomials and selects once). The polynomial is evaluated at s_m = 1 - m = s + ml
   so that its chain of 9 steps starts right after the division; the caller adds -v'(t) ml with
   v' ~ dv, its value at the centre (|ml| < 2^-23 m, |v'(t) - dv| < 0.2: < 0.6 2^-24 of G, and
   about a tenth of that in practice, |ml| being far from its bound). */
RECT_INLINE float rect_gelu_g(float a, float m, float *v_out, float *dv)
{
    const int head = a <= 1.5f;
#define RECT_GELU_C(j) (head ? rect_gelu_g_head[j] : rect_gelu_g_tail[j])
    const float t = (head ? 0.25f : 0.75f) - m; /* s_m - 3/4, s_m - 1/4 (s_m = 1 - m = s + ml) */
    float p = RECT_GELU_C(10);
    p = p * t + RECT_GELU_C(9);
    p = p * t + RECT_GELU_C(8);
    p = p * t + RECT_GELU_C(7);
    p = p * t + RECT_GELU_C(6);
    p = p * t + RECT_GELU_C(5);
    p = p * t + RECT_GELU_C(4);
    p = p * t + RECT_GELU_C(3);
    p = p * t + RECT_GELU_C(2);
    *v_out = p * t + RECT_GELU_C(1);
    *dv = RECT_GELU_C(2); /* v'(s - s_c) ~ its value at the centre */
    return RECT_GELU_C(0);
#undef RECT_GELU_C
}

/* a Q(a) = m G as hi + lo: m g0 exactly (two products), lo = m v + its low parts, rounded
   (|lo| < 0.13 hi: its roundings stay below 0.15 2^-24 of the sum). */
RECT_INLINE float rect_gelu_aq(float a, float *lo)
{
    float ml, v, dv, xl;
    const float m = rect_gelu_m(a, &ml);
    const float g0 = rect_gelu_g(a, m, &v, &dv);
    const float xh = rect_two_prodf(m, g0, &xl);
    /* v at s = s_m - ml: v - dv ml */
    *lo = (m * v + (xl - (m * dv) * ml)) + ml * (g0 + v);
    return xh;
}

/* L = ln(2 G(s)) = ln(2 Q(a) (1 + a)) as a function of m = a/(1 + a) = 1 - s, for the
   forward, which multiplies nothing by G: L is in [-0.170, 0.050], one polynomial of degree 15
   in t = m - 15/32 on 0 <= m <= 16/17, fitted for absolute error (tools/fit_gelu_f32.py):
   4.3e-9. */
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
   Phi(x) = 1 - Phi(-x)), and a Q(a) = m G(s) = (m/2) e^{L(s)}: F = (m + ml)/2 e^{-a^2/2 + L}.
   So G costs no product: L joins the exponent, -a^2/2 + L = A + l + L = k ln2 + r + rl.
   The loop is bound by its dependency chain more than by its ~75 operations, so k comes from A
   alone (shifted by L's mid-range: the reduction runs beside L's polynomial, |r| < 0.46, exp's
   polynomial one degree more) and the tail after L is short: r, then e^r - 1 - r = r^2 p(r),
   then tt = m r^2 p + (m r + m rl + ml (1 + r)) in one step, scaled, rounded once.
   Error (units of 2^-24 of F): L's fit 0.1 and roundings (L, kc: |L| < 0.17, < 0.25 together),
   L' ml approximated by L'(sc) ml (< 0.2), r's low part rl exact (Fast2Sum), p's fit 1e-9,
   tt's rounding (|tt| < 0.6 F: < 0.6), then m + tt rounds once (0.5 ulp). For x > 0, F (rounded,
   F < x/2 <= gelu(x)) and x - F rounds once more. */
RECT_INLINE float rect_gelu_f32(float x, const float *p)
{
    (void)p;
    const float ax = fabsf(x);
    /* a = min(|x|, 16) as an integer min of the bits (NaN -> 16; the last select passes x): a
       select here lets GCC 12 fold a = 16 into every later step and blend each one */
    uint32_t ab;
    memcpy(&ab, &ax, 4);
    ab = ab < 0x41800000u ? ab : 0x41800000u;
    const float a = rect_asfloat(ab);
    float l, ml;
    const float A = rect_two_prodf(-0.5f * a, a, &l); /* -a^2/2 = A + l exactly */
    const float m = rect_gelu_m(a, &ml);
    /* k = round(A/ln2 - 0.135), so r = A + L - k ln2 is in [-0.43, 0.50] (L in [-0.170, 0.050])
       and k = -1 from A <= -0.253 on: A - k C1 is exact (k C1 has 17 bits; Sterbenz from
       A <= -0.347, and for -0.347 < A <= -0.25, A and r1 < 1/2 are multiples of 2^-25) */
    const float kf = ((A * 1.44269504088896341f - 0.135f) + RECT_SHIFTER_F) - RECT_SHIFTER_F;
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
    const float sc = rect_asfloat((uint32_t)((int32_t)kf + 190) << 23);
    const float neg = (tt * sc + m * sc) * -0x1p-64f;
    /* F = -neg is exact (k >= -13 wherever it matters, x < 6). x = +-0: F = +0, x - F = x;
       x > 16: F < 2^-170 (a is clamped), x - F = x; NaN: x + neg. Subnormal x: m = a,
       F = a/2 rounded once (r ~ 0), x - F or -F: within half an ulp of x/2 + x^2/sqrt(2 pi). */
    return x < 0.0f ? neg : x + neg;
}

/* G as a function of m = 1 - s for the derivative: G(m) = g0 + v(t), t = m - 15/32, one
   polynomial of degree 15 on 0 <= m <= 20/21 (g0 as hi + lo, the lo in v), in four parts in t^4
   like L; fitted by tools/fit_gelu_f32.py: relative error 3.1e-9. */
static const float rect_gelu_gm[17] = {
    0.524500847f, -8.58710347e-09f, -0.0337113589f, -0.288930655f, -0.279926866f,
    -0.0827873498f, 0.195856273f, 0.433109879f, 0.502322257f, 0.305280119f, -0.0569824129f,
    -0.400458038f, -1.579795f, -3.78797913f, -1.66438532f, 5.78259945f, 5.92669249f};

/* g0 and v at m (the rounded quotient); dv = -G'(m) within 0.085 (linear), for the caller's
   correction v(m + ml) = v - dv ml (|ml| < 2^-24: < 0.09 2^-24 of G) */
RECT_INLINE float rect_gelu_g1(float m, float *v_out, float *dv)
{
    const float *q = rect_gelu_gm + 1; /* q[j]: t^j's coefficient, q[0] = g0's low part */
    const float t = m - 0.46875f;
    const float t2 = t * t, t4 = t2 * t2;
    const float p0 = ((q[12] * t4 + q[8]) * t4 + q[4]) * t4 + q[0];
    const float p1 = ((q[13] * t4 + q[9]) * t4 + q[5]) * t4 + q[1];
    const float p2 = ((q[14] * t4 + q[10]) * t4 + q[6]) * t4 + q[2];
    const float p3 = ((q[15] * t4 + q[11]) * t4 + q[7]) * t4 + q[3];
    *v_out = t2 * (p3 * t + p2) + (p1 * t + p0);
    *dv = 0.569073f * t + 0.0820533f;
    return rect_gelu_gm[0];
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
    const float ax = fabsf(x);
    /* a = min(|x|, 20) as an integer min of the bits, as in the forward (NaN -> 20: the last
       select passes NaN) */
    uint32_t ab;
    memcpy(&ab, &ax, 4);
    ab = ab < 0x41a00000u ? ab : 0x41a00000u;
    const float a = rect_asfloat(ab);
    float l, ml;
    const float A = rect_two_prodf(-0.5f * a, a, &l); /* -a^2/2 = A + l exactly */
    const float m = rect_gelu_m(a, &ml);
    /* L2 at m + ml: four parts in t^4 (depth 6), L2'(m) ml (linear L2', within 0.036) added
       with the constant term */
    const float *q = rect_gelu_l2;
    const float t = m - 0.46875f;
    const float t2 = t * t, t4 = t2 * t2;
    const float dv = -0.494828f * t - 0.565937f;
    const float p0 = ((q[12] * t4 + q[8]) * t4 + q[4]) * t4 + (q[0] + dv * ml);
    const float p1 = ((q[13] * t4 + q[9]) * t4 + q[5]) * t4 + q[1];
    const float p2 = ((q[14] * t4 + q[10]) * t4 + q[6]) * t4 + q[2];
    const float p3 = (q[11] * t4 + q[7]) * t4 + q[3];
    const float L2 = t2 * (p3 * t + p2) + (p1 * t + p0);
    /* -a^2/2 + L2 = k ln2 + r + rl, |r| <= ln2/2; k <= 0 (L2 < 0.29), and k = -1 only from
       A < -0.45 on (L2 > 0.1 for a < 1): A - k C1 is exact (Sterbenz) */
    const float kf = ((A + L2) * 1.44269504088896341f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r1 = A - kf * 0.693359375f;
    const float kc = (kf * 2.12194440e-4f + l) + L2;
    const float r = r1 + kc;
    const float rb = r - r1;
    const float rl = (r1 - (r - rb)) + (kc - rb); /* TwoSum: neither |r1| nor |kc| dominates */
    const float r2 = r * r; /* e^r = 1 + r + r^2 p(r), |r| <= ln2/2: 3.7e-9; p in pairs */
    const float pe = (0.00138621067f * r2 + (0.00836743787f * r + 0.0416672565f)) * r2 +
                     (0.166665345f * r + 0.5f);
    /* a0 - a = th + tl: TwoSum, then X0L */
    const float th = RECT_GELU_X0A - a;
    const float bb = th - RECT_GELU_X0A;
    const float tl = ((RECT_GELU_X0A - (th - bb)) - (a + bb)) + RECT_GELU_X0L;
    /* (th + tl)(1 + r + e + rl), e = r^2 p: tl is all there is next to a0 (th = 0) */
    const float e = r2 * pe;
    const float tt = th * r + (th * e + (th * rl + tl * ((1.0f + r) + e)));
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
   overflow nor lose bits to underflow; gs hi exactly (two products), rounded once, then
   2^(k + e - 127) (rounding once more only where the result is subnormal). */
RECT_INLINE float rect_gelu_backward_f32(float g, float x, const float *p)
{
    (void)p;
    float lo, k, gl;
    const float hi = rect_gelu_der_f32(x, &lo, &k);
    uint32_t gb;
    memcpy(&gb, &g, 4);
    uint32_t e = (gb >> 23) & 255u;
    e = e > 253u ? 253u : e;
    const float gs = g * rect_asfloat((254u - e) << 23);
    const float ks = k + (float)((int32_t)e - 127);
    const float gh = rect_two_prodf(gs, hi, &gl);
    /* g = inf: gl is NaN; g = 0: gh is the signed zero g * gelu'(x) (the sum could flip it).
       (hi = 0 at x = x0h, where lo carries the value) */
    const float sum = (fabsf(gh) < 0x1p127f && gs != 0.0f) ? gh + (gl + gs * lo) : gh;
    const float r = rect_ldexpf(sum, ks);
    return x < RECT_GELU_DER_ZERO ? 0.0f : r;
}

#endif
