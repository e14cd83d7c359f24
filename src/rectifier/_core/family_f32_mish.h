/*
 * float32-lane cores of mish (see family_f32.h): rect_mish_f32, rect_mish_grad_f32 and
 * rect_mish_backward_f32, chosen in kernels.c's RK_SMOOTH list (mish: all three forms; float16
 * keeps family.h's double cores; the AVX-512 build runs family_f32_table.h's table kernels
 * instead wherever |x| < 15.5 and, backward, |g| is in [2^-78, 2^100) or 0). Budgets in
 * u = 2^-24 as in family_f32_silu.h: a relative error of c u before the last rounding costs at
 * most c ulp, the last rounding 0.5 ulp.
 *
 * One exp for every x: z = e^{-|x|} = (1 + q) 2^k, z = P (1 + q) 2^-64 rounded (P = 2^(k + 64)).
 * Both signs share one rational form, the operands selected per lane before the arithmetic (so
 * a lane computes one form, not two):
 *   a = 1 + 2z (x >= 0) or 2 + z (x < 0),
 *   D = a + 2z z (x >= 0) or 2 + z a (x < 0)   (= (1 + z)^2 + 1 with z = e^x below 0),
 *   tanh(softplus(x)) = a / D (x >= 0) or (1 + q) 2^k a / D (x < 0).
 * The forward writes a / D = 1 - h with h = n / D in [0, 0.4] (n = D - a), so the errors of h
 * reach it damped and h needs no float-float numerator (its comment). The derivative carries a
 * and D as float-float (a's rounding by Fast2Sum, D's by an fma, or rect_two_prodf and Fast2Sum
 * without FMA), its quotient corrected once (rect_div_ff); z's own rounding is not carried: z
 * enters through a / D (whose sensitivity to z is at most 0.53) and, for the derivative, through
 * Omega (at most 0.83 outside the root interval), and it measured harmless (below). Where z is
 * below 2^-64 it is simply tiny or 0 (a = c1 and D = b0 exactly): no select.
 *
 * Measured against the float64 core (every float32 input on AVX-512; every 31st bit pattern on
 * the baseline build, no FMA): see each core's comment. Speed (one thread, 1e5 elements,
 * AVX-512, best of 1500 interleaved runs, 2 cores shared with 4 other jobs): forward
 * 0.76-0.82 ns/elem (0.85x of the a / D float-float form it replaced, 0.89-0.95 in the same
 * runs; 60 vector instructions per 16 lanes against 77), grad ~1.45, backward ~1.72 (128 and
 * 153 instructions).
 */
#ifndef RECTIFIER_FAMILY_F32_MISH_H
#define RECTIFIER_FAMILY_F32_MISH_H

#include "family.h"
#include "family_f32.h"

/* a + al and D + Dl above from z + zl (z in [0, 1], zl below 2^-23 z). a = c1 + c2 z is
   Fast2Sum-exact (c1 = 2 >= z; c1 = 1 and 2z in [0, 2]: equal exponents or 1 the larger), and so
   is D = b0 + b1 b2 (x >= 0: a >= 2z^2; x < 0: z a <= 3 shares 2's exponent or is smaller). */
RECT_INLINE float rect_mish_ad(float z, int pos, float *al, float *Dh, float *Dl)
{
    const float c1 = pos ? 1.0f : 2.0f;
    const float cz = pos ? 2.0f * z : z;
    const float a = c1 + cz;
    const float aerr = (c1 - a) + cz;
    const float b0 = pos ? a : 2.0f, b0l = pos ? aerr : 0.0f;
    const float b2 = pos ? z : a, b2l = pos ? 0.0f : aerr;
#if defined(__FMA__)
    /* D = fma(cz, b2, b0) and b0 - D exact (Sterbenz: D in [b0, 2 b0], or 2 - D a multiple of
       2^-21 below 4 in size): the second fma is D's whole rounding error, rounded */
    const float D = __builtin_fmaf(cz, b2, b0);
    *Dl = __builtin_fmaf(cz, b2, b0 - D) + (b0l + cz * b2l);
#else
    float pl;
    const float pb = rect_two_prodf(cz, b2, &pl);
    const float D = b0 + pb;
    *Dl = ((b0 - D) + pb) + (pl + b0l + cz * b2l);
#endif
    *Dh = D;
    *al = aerr;
    return a;
}

/* x (1 + q) = nh + nl, q in [-0.3, 0.42]: with FMA, nh = fl(x + x q) and x - nh is exact
   (Sterbenz: nh / x in [0.7, 1.42]), so fma(x, q, x - nh) is the rounding error itself, rounded
   (within 2^-24 of it); without FMA, rect_mul1pf (exact). */
RECT_INLINE float rect_mish_mul1p(float x, float q, float *nl)
{
#if defined(__FMA__)
    const float nh = __builtin_fmaf(x, q, x);
    *nl = __builtin_fmaf(x, q, x - nh);
    return nh;
#else
    return rect_mul1pf(x, q, nl);
#endif
}

/* (1 + qq) Omega / D^2 as Fh + *Fl, Omega = om + ol and D = Dh + Dl as float pairs: the
   numerator by rect_mish_mul1p, D^2 as an exact product plus its cross term, one
   rect_div_ff (the derivative's full kernel and its fast path share it). */
RECT_INLINE float rect_mish_ratio(float om, float ol, float qq, float Dh, float Dl, float *Fl)
{
    float Nl;
    const float Nh = rect_mish_mul1p(om, qq, &Nl);
    Nl += ol + ol * qq;
    float DDl;
    const float DD = rect_two_prodf(Dh, Dh, &DDl);
    DDl += 2.0f * Dh * Dl;
    return rect_div_ff(Nh, Nl, DD, DDl, Fl);
}

/* 2^(k + 64) for an integral k in [-190, 63]: one power of two, normal over the whole range, so
   v 2^k = (v 2^(k + 64)) 2^-64 rounds once, in the second product, and only where the result is
   subnormal. */
RECT_INLINE float rect_mish_pow2_64(float k)
{
    return rect_asfloat((uint32_t)((int32_t)k + 191) << 23);
}

/*
 * mish(x) = m (1 - h), m = x (x >= 0) or x e^x = x (1 + q) 2^k (x < 0), and 1 - h = a / D the
 * factor above with the small part split off: h = n / (n + a), n = 2z^2 or z + z^2, so h is in
 * [0, 0.4] for both signs and its error reaches the result damped by h / (1 - h) <= 2/3 (at
 * x = 0; 0.16 at |x| = 1). n = fma(z, w, v) (w = 2z or z, v = 0 or z), a = c1 + w rounded,
 * D = n + a with its rounding carried (Fast2Sum: a >= n), h = n inv (inv = 1/D, the one
 * division) corrected by the residual e = n - h D (exact with FMA), so 1 - h = F + Fl to ~2^-40
 * of n / (n + a) for the rounded n and a (Fl by Fast2Sum: F >= 1/2). m is prescaled by
 * S = 2^64 (x >= 0) or 2^(k + 64) (x < 0), so m = mh + ml (rect_mish_mul1p: exact with FMA)
 * and the low parts of m (F + Fl) stay far from the subnormal range (a tiny x would lose them:
 * 1.8 ulp at x = 2^-125 on the baseline build without the prescale); the result is
 * (m F as float-float) 2^-64, one rounding, and the only one where the result is subnormal.
 * Budget at x -> 0 (z -> 1, the worst damping): n's rounding < u times d ln h / d ln n = 1 - h
 * = 0.6, times 2/3: 0.4 u; a's < 0.67 u times 0.6 times 2/3: 0.27 u; e^x's error (q < 0.45 u)
 * and z's rounding (< u) times their sensitivities (0.53 for q through m and h together below 0,
 * 0.47 for z through h; 0.53 for both above 0): < 0.77 u; the float-float steps < 2^-40; the last
 * rounding 0.5 ulp: < 1.94 ulp by this bound, which falls fast with |x| (h / (1 - h)).
 * Measured 1.28 ulp (AVX-512, every input; at x = -0.238) and 1.58 on the baseline build (every
 * 31st pattern, at x = -0.234: there n and z each round twice, outside this bound's terms). The limits: |x| > 125 gives x (x >= 0: +inf included; mish(x) rounds to x from
 * x ~ 9) or -0 (the true value rounds to -0 below x ~ -109), which also lets the exp run
 * unclamped (its k and q are garbage beyond 125, discarded); the sign of x is copied onto the
 * result, so -0 gives -0 and an underflow below 0 gives -0 with no select. NaN passes (x S).
 */
RECT_INLINE float rect_mish_f32(float x, const float *p)
{
    (void)p;
    float k;
    const float ax = fabsf(x);
    const float q = rect_expf_q(-ax, -INFINITY, INFINITY, &k); /* no clamp: |x| > 125 is selected */
    const float P = rect_mish_pow2_64(k);
    const float z = (P + P * q) * 0x1p-64f;
    const float z2 = z + z;
    /* the per-sign operands, selected together: GCC threads the code between two tests of the
       same sign into both arms (a second division) where a later select tests it again */
    const int pos = x >= 0.0f;
    const float w = pos ? z2 : z;
    const float c1 = pos ? 1.0f : 2.0f;
    const float qq = pos ? 0.0f : q;
    const float S = pos ? 0x1p64f : P;
    const float n = z * w + (z2 - w);
    const float a = c1 + w;
    const float D = n + a;
    const float Dl = (a - D) + n;
    const float inv = 1.0f / D;
    const float h = n * inv;
    const float e = n - h * D;
    const float F = 1.0f - h;
    const float Fl = ((1.0f - F) - h) - (e - h * Dl) * inv;
    float ml, pl;
    const float mh = rect_mish_mul1p(x * S, qq, &ml);
    const float ph = rect_two_prodf(mh, F, &pl);
    const float res = ph + (pl + (mh * Fl + ml * F));
    const float r = copysignf(res * 0x1p-64f, x);
    const float xb = pos ? x : -0.0f;
    return ax > 125.0f ? xb : r;
}

/*
 * mish'(x) = Omega / D^2 (x >= 0) or (1 + q) 2^k Omega / D^2 (x < 0), Omega = a D + 4x c,
 * c = z^2 (1 + z) (x >= 0) or 1 + z (x < 0) (tanh(sp) + x sech^2(sp) sigmoid(x) over D^2).
 * Below 0, a D and 4x (1 + z) cancel (mish' vanishes at x0 = -1.1924; Omega's condition is up
 * to 9 at |x - x0| = 1/4): a D by two_prod with a's and D's low parts, 1 + z by Fast2Sum, 4x c by
 * two_prod, their sum by 2Sum, so Omega is within ~2^-40 of the terms; (1 + q) Omega by
 * rect_mish_mul1p; D^2 by two_prod; the quotient corrected once. Above 0 the terms are positive
 * and 4x c is at most 0.2 of Omega, so c's two roundings there (z^2, the product) cost < 0.4 u.
 * Within 1/4 of x0, roots.h's float table gives t P(t) in float-float (t = (x - x0h) - x0l
 * carried as th + tl, th C0 exact): P's own error < 0.1 u. The result is hi + lo and a scale
 * (P, kd); the grad rounds (hi + lo) 2^k once (in the scaling only where it is subnormal).
 * Budget: q < 0.45 u times the sensitivity of mish' to e^x (< 1.6 outside the root interval),
 * z's rounding < u times 0.83, c's < 0.4 u above 0, the float-float steps < 2^-38 (times the
 * condition 9): by this bound 0.5 ulp + ~2 u near |x - x0| = 1/4, where the terms rarely align;
 * measured 1.22 ulp (grad, at x = -6.58) and 1.31 (backward, at x = -1.42) on AVX-512 (every
 * input), 1.13 and 1.21 on the baseline build (the product's roundings not contracted there are
 * carried explicitly: without that the baseline grad measured 1.87).
 */
#define RECT_MISH_X0H ((float)RECT_ROOT_MISH_HI)
#define RECT_MISH_X0L ((float)((RECT_ROOT_MISH_HI - (double)RECT_MISH_X0H) + RECT_ROOT_MISH_LO))
#define RECT_MISH_C(i) ((float)rect_root_mish_f[i])

/* hi + lo = mish'(x) 2^-k; *P = 2^(k' + 64) and *kd = k - k', k' = max(k, -180) (k = 0 above 0
   and near x0). */
RECT_INLINE float rect_mish_der_f32(float x, float *lo, float *Pout, float *kout)
{
    float k, al, Dh, Dl;
    const float q = rect_expf_q(-fabsf(x), -200.0f, 0.0f, &k);
    const float kc = k < -180.0f ? -180.0f : k;
    const float P = rect_mish_pow2_64(kc); /* z (0 below k = -180, as good as exact there) */
    const int pos = x >= 0.0f;
    const float P1 = P + P * q;
    const float z = P1 * 0x1p-64f;
    const float a = rect_mish_ad(z, pos, &al, &Dh, &Dl);
    const float e1 = 1.0f + z;
    const float e1l = (1.0f - e1) + z;
    /* a D */
    float adl;
    const float ad = rect_two_prodf(a, Dh, &adl);
    adl += al * Dh + a * Dl;
    /* c = (1 + z) cm, cm = z^2 (rounded) or 1 */
    const float cm = pos ? z * z : 1.0f;
    const float c = e1 * cm; /* exact where cm = 1 */
    const float cl = e1l * cm;
    /* 4x c, then Omega = a D + 4x c by 2Sum */
    const float x4 = 4.0f * x;
    float xcl, ol;
    const float xc = rect_two_prodf(x4, c, &xcl);
    xcl += x4 * cl;
    const float om = rect_two_sumf(ad, xc, &ol);
    ol += adl + xcl;
    /* N = (1 + qq + qql) Omega, qq = q or 0 */
    const float qq = pos ? 0.0f : q;
    float Fl;
    const float Fh = rect_mish_ratio(om, ol, qq, Dh, Dl, &Fl);
    /* near the zero: t P(t) */
    const float tx = x - RECT_MISH_X0H; /* exact near x0 (Sterbenz) */
    const float th = tx - RECT_MISH_X0L;
    const float tl = (tx - th) - RECT_MISH_X0L;
    float cc = RECT_MISH_C(7);
    cc = cc * th + RECT_MISH_C(6);
    cc = cc * th + RECT_MISH_C(5);
    cc = cc * th + RECT_MISH_C(4);
    cc = cc * th + RECT_MISH_C(3);
    cc = cc * th + RECT_MISH_C(2);
    cc = cc * th + RECT_MISH_C(1);
    const float c0l = (float)(rect_root_mish_f[0] - (double)RECT_MISH_C(0));
    float rl0;
    const float rh = rect_two_prodf(th, RECT_MISH_C(0), &rl0);
    const float rl = rl0 + (th * (c0l + th * cc) + tl * RECT_MISH_C(0));
    const int root = fabsf(th) < (float)RECT_ROOT_MISH_R;
    *Pout = (root || pos) ? 0x1p64f : P;
    *kout = (root || pos) ? 0.0f : k - kc;
    *lo = root ? rl : Fl;
    return root ? rh : Fh;
}

RECT_INLINE float rect_mish_grad_f32(float x, const float *p)
{
    (void)p;
    float lo, P, k;
    const float hi = rect_mish_der_f32(x, &lo, &P, &k);
    (void)k;
    const float v = ((hi + lo) * P) * 0x1p-64f;
    return x < -1e4f ? 0.0f : (x > 1e3f ? 1.0f : v);
}

/* g (hi + lo) 2^k rounded once, as (r P) S: r = gs (hi + lo) (gs hi exact, the rest rounded
   once), P = 2^(k' + 64) from the core (k' = max(k, -180)), S = 2^(k - k' - 64 + ks). |hi| < 2^9
   where the result can be nonzero, so a g beyond 2^32 is scaled by 2^-64 first (exact; ks = 64)
   and r P never overflows unless the result does (r P <= the result's size where ks = 64, and
   below 2^105 otherwise). S is normal but where the result is below 2^-160 (clamped there: it
   still rounds to 0). r P is exact unless subnormal: with S = 1 that is the one rounding; with
   S < 1 the result is then below 2^-127 or 0, and the first rounding's error shrinks by S (at most
   a quarter ulp more). A tiny g needs no scaling: g hi rounds on the subnormal grid only where
   the result is below 2^-126 too.
   0 where mish'(x) < 2^-280 (x <= -199.371353, as the double core: a NaN or inf grad masked); g
   itself beyond x = 1e3; a NaN, inf or zero grad elsewhere gives g hi (the sign of a zero
   result as the double core's). */
#define RECT_MISH_DER_ZERO -199.371338f /* the double core: 0 from -199.371353 */
RECT_INLINE float rect_mish_backward_f32(float g, float x, const float *p)
{
    (void)p;
    float lo, P, k, gl;
    const float hi = rect_mish_der_f32(x, &lo, &P, &k);
    const float ag = fabsf(g);
    const int big = ag > 0x1p32f;
    const float gs = g * (big ? 0x1p-64f : 1.0f);
    const float gh = rect_two_prodf(gs, hi, &gl);
    const float r = gh + (gl + gs * lo);
    const float es = k + (big ? 0.0f : -64.0f);
    const float v = (r * P) * rect_pow2f(es < -126.0f ? -126.0f : es);
    const int zero = x < RECT_MISH_DER_ZERO, finite = ag <= 3.40282347e38f && ag != 0.0f;
    return zero ? 0.0f : (x > 1e3f ? g : (finite ? v : g * hi));
}


/* ---- fast paths (kernels.c's F32_FAST: loops.h's RECT_RUN_*_SPLIT) --------------------------
 *
 * A block of 256 elements whose x (and g) all lie in the range below runs these instead of the
 * full kernels above; the full kernels take the fast value wherever the predicate holds (kernels.c),
 * so results do not depend on neighbours, layout or threads. What they leave out:
 *  - forward, |x| <= 80 (and, without FMA, |x| >= 2^-60 or 0): the 2^64 prescale of m (z and
 *    x e^x stay normal: e^-80 > 2^-116), the |x| > 125 select, the clamp-free exp's garbage
 *    lanes; and it uses the halved form h = z^2 / (z^2 + z + 1/2) above 0 (the same h, exact
 *    scaling: one product and one select fewer) and a degree-6 minimax exp (rect_mish_expq).
 *    The same steps and budget as rect_mish_f32 otherwise (its comment); the copysign keeps -0.
 *    With FMA a tiny or subnormal x needs no prescale (x F + x Fl rounds once in the fma; the
 *    lost x Fl is under 2^-24 of a subnormal ulp); Dekker's split (no FMA) is not exact there.
 *  - backward, |x| <= 80 and |g| <= 2^100 (NaN and inf fail it): the clamps of k, the P / kd
 *    scaling, the g > 2^32 prescale, the f' < 2^-280 mask and the x > 1e3 select. g f'(x) =
 *    fma(g, hi, g lo) 2^k: where the result is subnormal the second rounding adds at most half a
 *    subnormal ulp, and the first one's error is then below 2^-24 of 2^-126, a quarter ulp more
 *    at most; a zero result (g = +-0 or an underflow) has the sign of g hi. The zero of mish'
 *    as Q(s) below, the a / D pair by operands chosen with bit masks (rect_mish_sel: GCC
 *    otherwise computes both arms), the halved form above 0 (Omega and D^2 both a quarter:
 *    same quotient).
 * Measured against the float64 core (tools/exhaustive_f32_cores.c -DFAST_FWD -DFAST_BWD: the
 * fast path where its predicate holds, the full kernel elsewhere): every float32 input on
 * AVX-512, forward 1.340 ulp (x = -0.2382), backward 1.191 (x = -0.9389, g ~ N(0, 4^2)); every
 * 31st pattern without FMA, 1.407 and 1.206; no signed-zero mismatch. tests/test_fast_paths.py
 * and test_mish_f32.py cover the g range and the edges. Vector instructions per 16 lanes
 * (AVX-512, the loop alone): forward 51 (+7 for the predicate pass) against the full kernel's
 * 63, backward 116 (+10) against 162; single thread, 1e5 3 N(0, 1) inputs, best of 1500
 * interleaved runs: forward 0.64 against 0.76 ns/elem (1.20x), backward 1.40 against 1.73
 * (1.23x).
 */

/* a b + c rounded once (FMA), or a b by rect_two_prodf plus c (|c| below an ulp of a b) */
RECT_INLINE float rect_mish_fma(float a, float b, float c)
{
#if defined(__FMA__)
    return __builtin_fmaf(a, b, c);
#else
    float pl;
    const float ph = rect_two_prodf(a, b, &pl);
    return ph + (pl + c);
#endif
}

/* e^a = (1 + q) 2^k for |a| <= 80 as rect_expf_q_in_range, with a degree-6 minimax polynomial
   q = r + r^2 P(r) in place of its degree-7 Taylor one: one FMA fewer and a smaller truncation
   (4.4e-9 relative to e^r on |r| <= ln2/2 with these float coefficients, against 8e-9;
   tools/fit_mish_exp_f32.py). */
RECT_INLINE float rect_mish_expq(float a, float *kf)
{
    const float k = (a * 1.44269504088896341f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r = (a - k * 0.693359375f) + k * 2.12194440e-4f;
    float p = 0.0013814453268423676f;
    p = p * r + 0.008368786424398422f;
    p = p * r + 0.041668396443128586f;
    p = p * r + 0.1666651964187622f;
    p = p * r + 0.4999999403953552f;
    *kf = k;
    return r + (r * r) * p;
}

/* m ? a : b for a lane mask m (all ones or zero) by bit operations: GCC distributes a float
   select of an operand over the arithmetic that follows (computing both arms), not this */
RECT_INLINE float rect_mish_sel(uint32_t m, float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    return rect_asfloat((ua & m) | (ub & ~m));
}

/* all ones where x's sign bit is clear (x >= +0), else 0 */
RECT_INLINE uint32_t rect_mish_posmask(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return (u >> 31) - 1u;
}

#define RECT_MISH_FAST_MAX 80.0f
#define RECT_MISH_FAST_MIN 0x1p-60f

RECT_INLINE int rect_mish_fast_ok_f32(float x, const float *p)
{
    (void)p;
    const float ax = fabsf(x);
#if defined(__FMA__)
    return ax <= RECT_MISH_FAST_MAX;
#else
    return (ax <= RECT_MISH_FAST_MAX) & ((ax >= RECT_MISH_FAST_MIN) | (ax == 0.0f));
#endif
}

RECT_INLINE float rect_mish_fast_f32(float x, const float *p)
{
    (void)p;
    float k;
    const float q = rect_mish_expq(-fabsf(x), &k);
    const float E = rect_pow2f(k);
    const float z = E + E * q;
    const int pos = x >= 0.0f;
    const float zz = pos ? 0.0f : z;
    const float c1 = pos ? 0.5f : 2.0f;
    const float qq = pos ? 0.0f : q;
    const float En = pos ? 1.0f : E;
    const float n = z * z + zz;
    const float a = c1 + z;
    const float D = n + a;
    const float Dl = (a - D) + n;
    const float inv = 1.0f / D;
    const float h = n * inv;
#if defined(__FMA__)
    const float e = __builtin_fmaf(-h, D, n);
#else
    float hl;
    const float hD = rect_two_prodf(h, D, &hl);
    const float e = (n - hD) - hl;
#endif
    const float F = 1.0f - h;
    const float Fl = ((1.0f - F) - h) - (e - h * Dl) * inv;
    float ml;
    const float mh = rect_mish_mul1p(x, qq, &ml);
    return copysignf(rect_mish_fma(mh, F, mh * Fl + ml * F) * En, x); /* -0 gives -0 */
}

/* The zero's polynomial in s = x - x0h (exact) rather than t = s - x0l: Q(s) = t P(t) expanded
   to second order in x0l (|x0l| < 2^-24: the third order is below 2^-72), so the fast path needs
   no t = th + tl split. Q's coefficients in double, folded at compile time. */
#define RECT_MISH_RC(i) ((i) < 8 ? rect_root_mish_f[(i) < 8 ? (i) : 0] : 0.0)
#define RECT_MISH_DL (RECT_ROOT_MISH_HI - (double)RECT_MISH_X0H + RECT_ROOT_MISH_LO)
#define RECT_MISH_QD(j)                                                                          \
    (((j) > 0 ? RECT_MISH_RC((j) - 1) : 0.0) - ((j) + 1) * RECT_MISH_DL * RECT_MISH_RC(j) +         \
     ((j) + 2) * ((j) + 1) * 0.5 * RECT_MISH_DL * RECT_MISH_DL * RECT_MISH_RC((j) + 1))
#define RECT_MISH_Q(j) ((float)RECT_MISH_QD(j))
#define RECT_MISH_Q1H RECT_MISH_Q(1)
#define RECT_MISH_Q1L ((float)(RECT_MISH_QD(1) - (double)RECT_MISH_Q1H))


RECT_INLINE int rect_mish_backward_fast_ok_f32(float g, float x, const float *p)
{
    (void)p;
    return (fabsf(x) <= RECT_MISH_FAST_MAX) & (fabsf(g) <= 0x1p100f);
}

RECT_INLINE float rect_mish_backward_fast_f32(float g, float x, const float *p)
{
    (void)p;
    float k, al, Dh, Dl;
    const float q = rect_mish_expq(-fabsf(x), &k);
    const float E = rect_pow2f(k);
    const uint32_t pm = rect_mish_posmask(x);
    const float z = E + E * q;
    /* a = c1 + z, D = b0 + z b2: x >= 0 halved (a = 1/2 + z, D = a + z^2; Omega and D^2 then
       a quarter of the full kernel's), x < 0 as there (a = 2 + z, D = 2 + z a) */
    const float c1 = rect_mish_sel(pm, 0.5f, 2.0f);
    const float a = c1 + z;
    al = (c1 - a) + z;
    const float b2 = rect_mish_sel(pm, z, a);
    const float b0 = rect_mish_sel(pm, a, 2.0f);
#if defined(__FMA__)
    Dh = __builtin_fmaf(z, b2, b0);
    Dl = __builtin_fmaf(z, b2, b0 - Dh) + al * rect_mish_sel(pm, 1.0f, z);
#else
    float pzl;
    const float pz = rect_two_prodf(z, b2, &pzl);
    Dh = b0 + pz;
    Dl = ((b0 - Dh) + pz) + (pzl + al * rect_mish_sel(pm, 1.0f, z));
#endif
    const float e1 = 1.0f + z;
    const float e1l = (1.0f - e1) + z;
    float adl;
    const float ad = rect_two_prodf(a, Dh, &adl);
    adl += al * Dh + a * Dl;
    const float cm = rect_mish_sel(pm, 0.25f * (z * z), 1.0f); /* x >= 0: the halved form's x z^2 */
    const float c = e1 * cm;
    const float cl = e1l * cm;
    const float x4 = 4.0f * x;
    float xcl, ol;
    const float xc = rect_two_prodf(x4, c, &xcl);
    xcl += x4 * cl;
    const float om = rect_two_sumf(ad, xc, &ol);
    ol += adl + xcl;
    const float qq = rect_mish_sel(pm, 0.0f, q);
    float Fl;
    const float Fh = rect_mish_ratio(om, ol, qq, Dh, Dl, &Fl);
    /* near the zero: Q(s) = f'(x0h + s) (s exact) */
    const float sx = x - RECT_MISH_X0H;
    float cc = RECT_MISH_Q(8);
    cc = cc * sx + RECT_MISH_Q(7);
    cc = cc * sx + RECT_MISH_Q(6);
    cc = cc * sx + RECT_MISH_Q(5);
    cc = cc * sx + RECT_MISH_Q(4);
    cc = cc * sx + RECT_MISH_Q(3);
    cc = cc * sx + RECT_MISH_Q(2);
    float rl0;
    const float rh = rect_two_prodf(sx, RECT_MISH_Q1H, &rl0);
    const float rl = rl0 + (sx * (RECT_MISH_Q1L + sx * cc) + RECT_MISH_Q(0));
    const uint32_t rm = (uint32_t)0 - (uint32_t)(fabsf(sx) < (float)RECT_ROOT_MISH_R);
    const float En = rect_mish_sel(pm | rm, 1.0f, E);
    const float lo = rect_mish_sel(rm, rl, Fl);
    const float hi = rect_mish_sel(rm, rh, Fh);
    const float v = rect_mish_fma(g, hi, g * lo) * En;
    /* a zero result (g = +-0, or an underflow) has the sign of g hi: without FMA,
       rect_mish_fma adds the underflowed product's remainder, and -0 + +0 gives +0 */
    return v == 0.0f ? (g * hi) * 0.0f : v;
}

#endif
