/*
 * float32-lane cores of softplus (see family_f32.h): rect_softplus_f32, rect_softplus_grad_f32
 * and rect_softplus_backward_f32, chosen in kernels.c's RK_SMOOTH list; the primitives they
 * share are rect_sp_* below. One exp (e^{-|beta x|} = (1 + q) 2^k), then for the forward a
 * degree-8 polynomial for log1p on [0, 1] (no log range reduction, no division) and for the
 * derivative one vdivps; every big sum and product near the result is carried exactly (FMA
 * residuals, Fast2Sum) so that the roundings that remain are on small terms. Polynomials:
 * tools/fit_softplus_f32.py. Measured worst errors and speeds: at each kernel ("harness":
 * every float32 (stride 1) or every 31st bit pattern against the float64 core, single thread
 * ns/elem at n = 1e5 on the 2-core dev machine, shared and noisy: compare the ratios).
 *
 * Error budgets below are in units of u = 2^-24 (float32's unit roundoff): a relative error of
 * c u before the last rounding costs at most c ulp, the last rounding 0.5 ulp, so the 2 ulp of
 * SEMANTICS.md leave c <= 1.5. "FMA" marks a*b + c that the AVX2/AVX-512 builds contract; the
 * baseline build rounds it twice, which the budgets allow for (measured on all three builds).
 */
#ifndef RECTIFIER_FAMILY_F32_SOFTPLUS_H
#define RECTIFIER_FAMILY_F32_SOFTPLUS_H

#include "family.h"
#include "family_f32.h"

/* ---- the shared pieces ----------------------------------------------------------------- */

/*
 * The float lanes serve 2^-20 <= |beta| <= 2^20 and thresholds of 0 or beyond 2^-40 in size (a
 * loop-invariant test: GCC unswitches the loop, given meson.build's max-unswitch-insns); other
 * beta (0, subnormal, huge, inf, NaN) and tiny thresholds take the double core, whose exact
 * beta x and double range cover them. beta = 1 is a second unswitched case (the default): there
 * beta x = x is exact and 1/beta = 1, so the product's remainder, the reciprocal's correction
 * and the threshold's tie test fold away.
 */
#define RECT_SP_OK(b, t)                                                                       \
    (fabsf(b) >= 0x1p-20f && fabsf(b) <= 0x1p20f && !(fabsf(t) < 0x1p-40f && (t) != 0.0f))

/* over = beta x > th, decided on the exact product u + ul (FMA, or Dekker's split: only a tie
   u == th reads ul, and th is capped at 130 by the callers, so |x| < 2^28 there). Where beta x
   is subnormal its remainder is lost (0.3 * 2^-149 rounds to 0, which is not > 0), so a
   threshold of 0 is decided on the signs, and one in (0, 2^-40) takes the double core
   (RECT_SP_OK); any other threshold is far from such a product, whose rounding cannot cross it. */
RECT_INLINE int rect_sp_over(float x, float u, float beta, float th, int unit)
{
    if (unit) {
        return x > th; /* u = x exactly; th = 0 included */
    }
    float ul;
    const float uu = rect_two_prodf(beta, x, &ul);
    (void)uu;
    const int sign0 = beta > 0.0f ? x > 0.0f : x < 0.0f;
    return th == 0.0f ? sign0 : (u > th || (u == th && ul > 0.0f));
}

/* e^{-|beta x|} = (1 + q) 2^k, q = r1 + b with r1 exact; kshift = k + 1.5 2^23 (its bits give
   2^k cheaply: rect_sp_pow2). -|beta x| = v + vl exactly (v = fl(nb |x|), nb = -|beta|, vl its
   rounding error: zero where beta = 1), |x| first clamped to xmax (NaN passes), beyond which
   the result no longer depends on x (the callers' choice). Cody-Waite reduction: r1 = v - k C1
   exact (|k| < 2^9), rl = vl - k C2 (C3 = ln2 - C1 - C2 = 1.6e-12 dropped: |k C3| < 2^-31);
   e^{r1 + rl} - 1 = r1 + b, b = rl + r^2 p(r) with r = fl(r1 + rl) (its rounding reaches only
   the r^2 term: < 2^-30 relative). p: rect_sp_expm1, 2^-28.2 absolute. So 1 + r1 + b is
   e^{-|beta x|} / 2^k to < 2^-28 (0.06 u), and q = fl(r1 + b) adds half an ulp of q (< 2^-26,
   q in [-0.30, 0.42]). */
RECT_INLINE float rect_sp_expm1(float r)
{
    /* (e^r - 1 - r) / r^2 on |r| <= ln2/2: tools/fit_softplus_f32.py */
    float p = 0.00139398186f;
    p = p * r + 0.00836881436f;
    p = p * r + 0.0416664109f;
    p = p * r + 0.166665196f;
    return p * r + 0.5f;
}

#define RECT_SP_LOG2E 1.44269504088896341f
#define RECT_SP_C1 0.693359375f
#define RECT_SP_C2 (-2.12194442e-4f)

RECT_INLINE float rect_sp_exp(float x, float nb, float xmax, int unit, float *kshift,
                              float *r1o, float *bo)
{
    const float ax = fabsf(x);
    const float axc = ax > xmax ? xmax : ax;
    float vl = 0.0f;
    const float v = unit ? -axc : rect_two_prodf(nb, axc, &vl);
    const float ks = v * RECT_SP_LOG2E + RECT_SHIFTER_F;
    const float k = ks - RECT_SHIFTER_F;
    const float r1 = v - k * RECT_SP_C1;
    const float rl = vl - k * RECT_SP_C2;
    const float r = r1 + rl;
    const float b = (r * r) * rect_sp_expm1(r) + rl;
    *kshift = ks;
    *r1o = r1;
    *bo = b;
    return r1 + b;
}

/* 2^(k + off) from kshift = k + 1.5 2^23 (k in [-280, 0]): its low bits hold k, so shifting
   them into the exponent field and adding the bias is two integer operations. k + off + 127
   must lie in [1, 254]. */
RECT_INLINE float rect_sp_pow2(float kshift, uint32_t off)
{
    uint32_t kb;
    memcpy(&kb, &kshift, 4);
    return rect_asfloat((kb << 23) + ((127u + off) << 23));
}

/* a b + c rounded once (FMA; without it, in double: a b is exact there and the sum's rounding
   is 2^-29 of an ulp; Dekker's split would overflow for the huge grads this serves). Explicit,
   so the compiler cannot fuse the other product of an a b + d e instead. */
RECT_INLINE float rect_sp_fma(float a, float b, float c)
{
#if defined(__FMA__)
    return __builtin_fmaf(a, b, c);
#else
    return (float)((double)a * (double)b + (double)c);
#endif
}

/* max and min of two floats of one sign by their bits (non-negative floats order as their
   bits): integer MAX/MIN, which GCC keeps as one instruction, where a float select can make it
   duplicate the computations downstream of it per branch. */
RECT_INLINE float rect_sp_maxpos(float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    return rect_asfloat(ua > ub ? ua : ub);
}
RECT_INLINE float rect_sp_minpos(float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    return rect_asfloat(ua < ub ? ua : ub);
}

/* 2^max(k, -60) from kshift: the exponent field, wrapped below k = -127, clamped as an int32. */
RECT_INLINE float rect_sp_pow2_60(float kshift)
{
    uint32_t kb;
    memcpy(&kb, &kshift, 4);
    const int32_t eb = (int32_t)((kb << 23) + (127u << 23));
    return rect_asfloat((uint32_t)(eb > (67 << 23) ? eb : (67 << 23)));
}

/* ---- softplus ---------------------------------------------------------------------------- */

/* log1p(e) = e (1 + e R(e)) on [0, 1]: R = rect_sp_log1p (tools/fit_softplus_f32.py, relative
   error 2^-27.5 in log1p(e), degree 8), its last step's rounding returned in *lo (the residual
   of the final FMA, exact by Sterbenz: c0 and R are within a factor 2). */
RECT_INLINE float rect_sp_log1p(float e, float *lo)
{
    float R = -0.00331081054f;
    R = R * e + 0.0201690476f;
    R = R * e - 0.0575954467f;
    R = R * e + 0.106732912f;
    R = R * e - 0.153509095f;
    R = R * e + 0.196937606f;
    R = R * e - 0.249582484f;
    R = R * e + 0.333304763f;
    const float h = R * e - 0.499999315f;
    *lo = R * e + (-0.499999315f - h);
    return h;
}

/*
 * softplus(x) = max(x, 0) + log1p(e) / beta, e = e^{-|beta x|} = (1 + q) 2^k (rect_sp_exp,
 * -|beta x| clamped at -vmax, where e / beta is below 2^-151 and x + e / beta rounds to x).
 * With A = (1 + q)(1 + c), c = e R(e) = log1p(e)/e - 1 in [-0.31, 0], log1p(e) = A 2^k, and
 * softplus = x' + A 2^k / beta (x' = x where beta x >= 0, else 0), rounded once:
 *  - A = Ah + Al: the big sum (1 + r1) + c by Fast2Sum (1 + r1 = t + tl exactly, |c| < t),
 *    c = e R as an exact product (two_prod), R's last rounding carried (rect_sp_log1p's lo),
 *    the small rest b + q c in Al (q c's rounding < 2^-48 of A);
 *  - 1/beta = ib (1 + rho), rho exact to 2^-48 (hoisted): A (1 + rho) = Ah + (Al + rho Ah);
 *  - G = 2^(k+64) ib, G Ah = Lh + Ll exactly (two_prod), then x' 2^64 + Lh by 2Sum, the low
 *    parts added, one rounding, and the 2^-64 (exact but where the result is subnormal: the
 *    only rounding there, the first one's error being 2^-24 of an ulp).
 * Errors before the last rounding, relative to log1p(e): e's own rounding (up to 0.71 u
 * relative at e = 0.707, 1 + q's included) moves the polynomial's argument: times
 * |e (log1p(e)/e)' / (log1p(e)/e)| <= 0.28: 0.2 u; q's rounding, only through q c: < 0.1 u; the
 * two polynomials 0.06 u (exp) + 0.09 u (log1p); measured 0.54 u for A at beta x = -0.3465 (k
 * flips there: e = 0.707, the worst place). Al is not always small: q c reaches 0.1 of A (near
 * k's flips), so Ll carries up to 0.2 of the result and its own rounding costs up to 0.3 ulp
 * where 1/beta is inexact (Ll0 = 0 where ib is a power of two). Bound: 0.5 ulp + 0.6 u + 0.3
 * ulp. Measured worst: beta = 1, threshold 20, every float32: 1.008 ulp (AVX-512); stride 31,
 * beta 0.5, 2, 10, 0x1.0624dep-10 (1e-3) with thresholds inf, 20, 5, 0: <= 1.246 (beta 10,
 * x = -0.0287); the no-FMA baseline build, stride 31: 1.196 (beta 1), 1.158 (1e-3);
 * tools/exhaustive_f32.py stride 101 (the ufunc): 0.961. (Folding q c into Ah by one more
 * Fast2Sum would remove the 0.3 ulp: a follow-up.) Speed, beta = 1: 0.78 ns/elem, the kernel it
 * replaces 2.43 in the same run (0.32x); beta = 3: 0.96 (0.41x).
 */
RECT_INLINE float rect_sp_fwd(float x, float beta, float th, float xmax1, int unit)
{
    const float nb = -fabsf(beta);
    const float ib = unit ? 1.0f : 1.0f / beta;
#if defined(__FMA__)
    const float rho = unit ? 0.0f : -__builtin_fmaf(beta, ib, -1.0f); /* exact */
#else
    float dl;
    const float dh = rect_two_prodf(beta, ib, &dl);
    const float rho = unit ? 0.0f : -((dh - 1.0f) + dl);
#endif
    /* e^-vmax / |beta| < 2^-151: vmax = 105 + ln 2 max(0, log2(1/|beta|) + 1) */
    uint32_t ibb;
    memcpy(&ibb, &ib, 4);
    const int eib = (int)((ibb >> 23) & 255u) - 126;
    const float vmax = unit ? 105.0f : 105.0f + 0.6931472f * (float)(eib > 0 ? eib : 0);
    const float xmax = unit ? xmax1 : vmax / fabsf(beta);
    const float tho = th > 130.0f ? 130.0f : th;

    const float u = unit ? x : beta * x;
    const int over = rect_sp_over(x, u, beta, tho, unit);
    float ks, r1, b;
    const float q = rect_sp_exp(x, nb, xmax, unit, &ks, &r1, &b);
    const float E64 = rect_sp_pow2(ks, 64); /* 2^(k + 64), k >= -152 */
    const float E = rect_sp_pow2_60(ks); /* 2^max(k, -60): below, e R(e) = -e/2 to 2^-61 */
    const float e = E + E * q;
    float Rl, cl;
    const float R = rect_sp_log1p(e, &Rl);
    const float c = rect_two_prodf(e, R, &cl);
    const float t = 1.0f + r1;
    const float tl = (1.0f - t) + r1;
    const float Ah = t + c;
    const float small = q * c + (((tl + b) + cl) + e * Rl);
    const float Al = ((t - Ah) + c) + small;
    const float G = unit ? E64 : E64 * ib;
    const float Alr = unit ? Al : Al + rho * Ah;
    const int pos = u >= 0.0f;
    const float xs = pos ? x * 0x1p64f : 0.0f;
    float S, err, Ll;
    if (unit) {
        /* G = 2^(k+64): G Ah is exact; xs >= 0 and Lh > 0, so Fast2Sum on max and min */
        const float Lh = G * Ah;
        Ll = G * Alr;
        const float a = xs > Lh ? xs : Lh, bs = xs > Lh ? Lh : xs;
        S = a + bs;
        err = bs - (S - a);
    } else {
        float Ll0;
        const float Lh = rect_two_prodf(G, Ah, &Ll0);
        Ll = Ll0 + G * Alr;
        S = xs + Lh; /* 2Sum: x and log1p(e)/beta have one sign where x counts */
        const float bb = S - xs;
        err = (xs - (S - bb)) + (Lh - bb);
    }
    const float F = (S + (err + Ll)) * 0x1p-64f;
    /* u < -1e4: +0 as the double core (beta < 0 would give -0 here) */
    return over ? x : ((!unit && u < -1e4f) ? 0.0f : F);
}

RECT_INLINE float rect_softplus_f32(float x, const float *p)
{
    const float beta = p[0], th = p[1];
    if (!RECT_SP_OK(beta, th)) {
        double pd[2] = {beta, th};
        return (float)rect_softplus_fwd_lo(x, pd);
    }
    /* |x| beyond 105 (beta = 1): e^-|x| < 2^-151; computed here, before the branch, so that
       the clamp is not a constant there (GCC would then if-convert through it) */
    const float xmax1 = 105.0f / fabsf(beta);
    if (beta == 1.0f) {
        return rect_sp_fwd(x, 1.0f, th, xmax1, 1);
    }
    return rect_sp_fwd(x, beta, th, xmax1, 0);
}

/*
 * sigmoid(beta x) = (y0 + lo) 2^kk, y0 + lo = N / D: D = 1 + e = d + dl (exact: d = fl(1 + e),
 * e <= 1), N = 1 where beta x >= 0 (kk = 0), else hf (1 + q) = nh + nl (Fast2Sum, |q| < 1;
 * hf = 2^max(k, -1), kk = min(k + 1, 0), or for the backward (below) hf = 2^max(k, -8),
 * kk = min(k + 8, 0), so that N / D <= 1 everywhere and g N / D cannot overflow). One vdivps:
 * inv = fl(1/d), y0 = fl(nh inv) (within 2 ulps; below: then times 1 - 2^-20, so lo > 0),
 * lo = ((nh - y0 d) + nl - y0 dl) inv with the residual nh - y0 d exact (FMA, or Dekker's
 * product; below, it is ~2^-20 of nh and the FMA rounds it: 2^-46 of it). e = fl(2^k (1 + q))
 * enters only D, whose sensitivity to it is e / (1 + e) <= 1/2. Errors of y0 + lo, relative:
 * q's rounding (< 2^-26 absolute: <= 0.36 u of 1 + q; only where beta x < 0), the exp
 * polynomial and reduction (< 0.1 u), e's rounding (0.5 u, times <= 1/2), lo's own error (2^-22
 * of lo: < 2^-44): <= 0.7 u.
 */
RECT_INLINE float rect_sp_sigmoid(float x, float u, float nb, float xmax, int unit, int below,
                                  float *ks, int *pos, float *lo)
{
    float r1, b;
    const float q = rect_sp_exp(x, nb, xmax, unit, ks, &r1, &b);
    const float E = rect_sp_pow2_60(*ks); /* 2^max(k, -60): e below 2^-60 does not reach D */
    const float e = E + E * q;
    const float d = 1.0f + e;
    const float dl = (1.0f - d) + e;
    const int p = u >= 0.0f;
    const float mh = 1.0f + q;
    /* hf = 2^max(k, -1) (grad: kk = min(k + 1, 0)) or 2^max(k, -8) (backward: kk =
       min(k + 8, 0)): y <= 1 everywhere (g y cannot overflow) */
    const float hf = rect_sp_maxpos(E, below ? 0x1p-8f : 0.5f);
    const float nh = p ? 1.0f : hf * mh;
    const float nl = p ? 0.0f : hf * ((1.0f - mh) + q);
    *pos = p;
    if (!below) {
        return rect_div_ff(nh, nl, d, dl, lo);
    }
    /* rect_div_ff with its quotient lowered by 2^-20 (it is within 2^-22 of N / D), so that
       lo > 0 (rect_sp_backward relies on it): the residual nh - y0 d (~2^-20 nh) is exact to
       2^-46 of it, and lo's error stays ~2^-22 of lo, 2^-42 of y0 + lo */
    const float inv = 1.0f / d;
    const float y0 = (nh * inv) * (1.0f - 0x1p-20f);
#if defined(__FMA__)
    const float res = __builtin_fmaf(-y0, d, nh);
#else
    float pl;
    const float pp = rect_two_prodf(y0, d, &pl);
    const float res = (nh - pp) - pl; /* nh - pp exact (Sterbenz) */
#endif
    *lo = ((res + nl) - y0 * dl) * inv;
    return y0;
}

/*
 * softplus'(x) = sigmoid(beta x) (1 where beta x > threshold): fl(y0 + lo) 2^kk, the scaling
 * exact but where the result is subnormal (beta x < -87.3: the one rounding there, y0 + lo's
 * being 2^-24 of an ulp). Budget: 0.5 ulp + 0.7 u (rect_sp_sigmoid). Measured worst: every
 * float32 at beta = 1, threshold 20: 0.944 ulp (AVX-512); stride 31 over the betas and
 * thresholds above: <= 0.952; baseline build, stride 31: 0.943 (beta 1), 0.952 (1e-3);
 * tools/exhaustive_f32.py stride 101: 0.904. Speed, beta = 1: 0.64 ns/elem, the kernel it
 * replaces 1.02 (0.62x).
 */
RECT_INLINE float rect_sp_grad(float x, float beta, float th, float xmax, int unit)
{
    const float nb = -fabsf(beta);
    const float tho = th > 130.0f ? 130.0f : th;
    const float u = unit ? x : beta * x;
    const int over = rect_sp_over(x, u, beta, tho, unit);
    float ks;
    int pos;
    float lo;
    const float y = rect_sp_sigmoid(x, u, nb, xmax, unit, 0, &ks, &pos, &lo) + lo;
    const float kk = rect_sp_minpos(ks + 1.0f, RECT_SHIFTER_F); /* min(k + 1, 0) */
    const float neg = (y * rect_sp_pow2(kk, 64)) * 0x1p-64f;
    return over ? 1.0f : (pos ? y : neg);
}

RECT_INLINE float rect_softplus_grad_f32(float x, const float *p)
{
    const float beta = p[0], th = p[1];
    if (!RECT_SP_OK(beta, th)) {
        double pd[2] = {beta, th}, k;
        const double v = rect_softplus_der_lo(x, pd, &k);
        return (float)rect_ldexp_lo(v, k);
    }
    const float xmax = 105.0f / fabsf(beta); /* e^{-|beta x|} < 2^-151 beyond */
    if (beta == 1.0f) {
        return rect_sp_grad(x, 1.0f, th, xmax, 1);
    }
    return rect_sp_grad(x, beta, th, xmax, 0);
}

/*
 * grad * sigmoid(beta x) = g (y0 + lo) 2^kk (rect_sp_sigmoid's below form: y0 + lo <= 1,
 * lo > 0, kk = min(k + 8, 0) >= -272): fl(g y0 + g lo) (one FMA; g lo's own rounding is 2^-24
 * of a term ~2^-20 of the result), then times P1 = 2^max(kk, -126) and P2 = 2^(kk + 126) where
 * kk < -126 (>= 2^-146: formed as a normal 2^(kk + 190) times 2^-64, exact), 1 elsewhere. One
 * rounding where the result is normal (v P1 is then exact: P2 <= 1); where it is subnormal,
 * v P1 may be too and round (0.5 of the subnormal grid, times P2 <= 1/2 where P2 then rounds
 * again) besides the FMA's 2^-24 relative: <= 1 ulp + 0.7 u in all. (Before, 2^kk was three
 * factors in [2^-100, 1] from kk = min(k + 1, 0): 12 more instructions per 16 lanes.)
 * Budget: 0.5 ulp + 0.7 u (rect_sp_sigmoid's error, whole: g moves the result's mantissa
 * anywhere). Measured worst (g ~ N(0, 4^2) per input): every float32 at beta = 1, threshold
 * 20: 1.041 ulp (AVX-512); stride 31 over the betas and thresholds above: <= 1.030; baseline
 * build, stride 31: 1.071 (beta 1), 1.016 (1e-3); tools/exhaustive_f32.py stride 101: 0.988;
 * huge, tiny, zero, inf and NaN grads: a randomized check against the float64 core (44M
 * points: the betas and thresholds above, +-2^-20, 2^20 and negative betas included):
 * <= 1.22 ulp on all three builds. Speed, beta = 1: 77 instructions per 16 lanes (89 before),
 * 0.87-0.90 ns/elem against 1.03-1.07 in the same runs (loaded machine). Where sigmoid < 2^-280
 * (beta x < -194.08) the result is 0, a NaN or inf grad masked (as the double core); beyond
 * the threshold it is the grad itself; elsewhere a NaN or inf grad gives itself and a zero
 * grad its signed zero without a select: lo > 0, so g lo has g's sign (never inf - inf or
 * -0 + +0), and inf times the powers of two stays inf.
 */
RECT_INLINE float rect_sp_backward(float g, float x, float beta, float th, float xmax,
                                    int unit)
{
    const float nb = -fabsf(beta);
    const float tho = th > 130.0f ? 130.0f : th;
    const float u = unit ? x : beta * x;
    const int over = rect_sp_over(x, u, beta, tho, unit);
    float ks;
    int pos;
    float lo;
    const float y = rect_sp_sigmoid(x, u, nb, xmax, unit, 1, &ks, &pos, &lo);
    const float kn = rect_sp_minpos(ks + 8.0f, RECT_SHIFTER_F); /* min(k + 8, 0) */
    const float kk = pos ? RECT_SHIFTER_F : kn; /* kk + 1.5 2^23 */
    /* 2^kk = P1 P2 (kk >= -272): P1 = 2^max(kk, -126), P2 = 2^(kk - that + 64) 2^-64, exact
       (>= 2^-146) */
    uint32_t kb;
    memcpy(&kb, &kk, 4);
    const int32_t ek = (int32_t)((kb << 23) + (127u << 23)); /* (kk + 127) << 23 */
    const int32_t e1 = ek > (1 << 23) ? ek : (1 << 23);
    const float P1 = rect_asfloat((uint32_t)e1);
    const float P2 = rect_asfloat((uint32_t)(ek - e1 + (191 << 23))) * 0x1p-64f;
    const float v = (rect_sp_fma(g, y, g * lo) * P1) * P2;
    /* lo > 0 (rect_sp_sigmoid's below): g y0 + g lo is g's signed zero, inf or NaN where g
       is one */
    const int zero = u < -194.08f;
    return over ? g : (zero ? 0.0f : v);
}

RECT_INLINE float rect_softplus_backward_f32(float g, float x, const float *p)
{
    const float beta = p[0], th = p[1];
    if (!RECT_SP_OK(beta, th)) {
        double pd[2] = {beta, th}, k;
        const double v = rect_softplus_der_lo(x, pd, &k);
        const double d = rect_ldexp_lo(v, k);
        return (float)(fabs(d) < 0x1p-280 ? 0.0 : g * d);
    }
    const float xmax = 195.0f / fabsf(beta); /* sigmoid(beta x) < 2^-281 beyond */
    if (beta == 1.0f) {
        return rect_sp_backward(g, x, 1.0f, th, xmax, 1);
    }
    return rect_sp_backward(g, x, beta, th, xmax, 0);
}

#endif
