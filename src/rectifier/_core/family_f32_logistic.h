/*
 * float32-lane cores of silu (see family_f32.h): rect_NAME_f32, rect_NAME_grad_f32 and
 * rect_NAME_backward_f32, chosen per function in kernels.c's RK_SMOOTH list; softplus's are in
 * family_f32_softplus.h, which uses the logistic primitives below.
 *
 * Error budgets below are in units of u = 2^-24 (float32's unit roundoff): a relative error of
 * c u before the last rounding costs at most c ulp, the last rounding 0.5 ulp, so the 2 ulp of
 * SEMANTICS.md leave c <= 1.5. "FMA" marks a*b + c that the AVX2/AVX-512 builds contract; the
 * baseline build rounds it twice, which the budgets allow for (measured on all three builds).
 */
#ifndef RECTIFIER_FAMILY_F32_LOGISTIC_H
#define RECTIFIER_FAMILY_F32_LOGISTIC_H

#include "family.h"
#include "family_f32.h"

/* e^a = (1 + q) 2^k for a in [-200, 0] (clamped; NaN passes), k in [-289, 0] (the logistic
   pieces need a <= 0 only, and a huge grad times e^-190 is still a float32). rect_expf_q's
   reduction with ln 2 in three parts, C1 + D2 + D3 with k C1 and k D2 exact, so r + rl = a - k ln 2
   to 2^-44 and rl (what r lost) is folded into q; Taylor to degree 8 (truncation < 2^-32 on
   |r| <= 0.35). q's error: its own rounding (half an ulp of q, q in [-0.3, 0.42]: <= 0.36 u of
   1 + q) and < 0.1 u from the polynomial's roundings. */
/* ... with q's rounding error returned too (q + ql to ~0.1 u of 1 + q: the polynomial's own
   rounding), for silu's derivative, whose zero amplifies z's error up to 2x near |t| = R. */
RECT_INLINE float rect_logistic_expq2(float a, float *kf, float *ql)
{
    a = a < -200.0f ? -200.0f : a;
    const float k = (a * 1.44269504088896341f + RECT_SHIFTER_F) - RECT_SHIFTER_F;
    const float r1 = (a - k * 0.693359375f) + k * 0x1.bdp-13f;
    const float kd3 = k * 1.9046542e-09f;
    const float r = r1 + kd3;
    const float rl = (r1 - r) + kd3;
    float p = 1.0f / 40320.0f;
    p = p * r + 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    const float in = (r * r) * p + (rl + rl * r);
    const float q = r + in;
    *ql = (r - q) + in; /* Fast2Sum: |in| <= |r| */
    *kf = k;
    return q;
}

/* rect_logistic_expq2 without the rounding error (the compiler drops the unused ql). */
RECT_INLINE float rect_logistic_expq(float a, float *kf)
{
    float ql;
    return rect_logistic_expq2(a, kf, &ql);
}

/* a + b = s + err exactly (Knuth's 2Sum: no ordering needed). */
RECT_INLINE float rect_logistic_two_sum(float a, float b, float *err)
{
    const float s = a + b;
    const float bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* 2^k as P * s with P = 2^kk a normal float and s in {1, 2^-64}, for k in [-190, 127]: a value v
   with 2^-60 <= |v| <= 2^40 scaled as (v P) s is exact in the first product and rounds once in
   the second. Below k = -190 it gives 2^-190, and (v P) s rounds to 0 as v 2^k does. */
RECT_INLINE float rect_logistic_pow2(float k, float *s)
{
    const int deep = k < -64.0f;
    const float kk = deep ? k + 64.0f : k;
    *s = deep ? 0x1p-64f : 1.0f;
    return rect_pow2f(kk < -126.0f ? -126.0f : kk);
}

/* (nh + nl) / (1 + z + zl) for z in [0, 1], |nl| <= 2^-20 |nh|, |zl| <= 2^-23 z: rect_div_1pz
   with the numerator's and z's low parts, within 0.5 ulp + 2^-40 relative (one division; the
   residual nh - r d is exact, FMA or Dekker). |nh| must stay below 2^100 (Dekker's split). */
RECT_INLINE float rect_logistic_div(float nh, float nl, float z, float zl)
{
    const float d = 1.0f + z;
    const float dl = ((1.0f - d) + z) + zl; /* (1 - d) + z is exact: what 1 + z lost */
    const float inv = 1.0f / d;
    const float r = nh * inv;
    float pl;
    const float pp = rect_two_prodf(r, d, &pl);
    return r + ((((nh - pp) - pl) + nl) - r * dl) * inv;
}

/* z = P (1 + q) = zh + zl, zl exact (FMA) or within 2^-24 of itself: P - zh is exact
   (Sterbenz), P q's product error is all zl can lack. */
RECT_INLINE float rect_logistic_z(float P, float q, float *zl)
{
    const float z = P + P * q;
    *zl = (P - z) + P * q;
    return z;
}

/* x (1 + q) = nh + nl: x q exactly (rect_two_prodf), then Fast2Sum (|x q| < |x|). */
RECT_INLINE float rect_logistic_mul1p(float x, float q, float *nl)
{
    float pl;
    const float pq = rect_two_prodf(x, q, &pl);
    const float nh = x + pq;
    *nl = ((x - nh) + pq) + pl;
    return nh;
}

/* ---- silu ------------------------------------------------------------------------------- */

/*
 * silu(x) = x / (1 + z) for x >= 0 and x (1 + q) 2^k / (1 + z) below, z = e^{-|x|} =
 * (1 + q) 2^k. Budget (u = 2^-24 relative, before the last rounding): q < 0.45 u (of 1 + q);
 * x (1 + q) carried exactly as nh + nl, z as zh + zl (its error is q's, times z / (1 + z) <= 1/2);
 * the quotient corrected once (rect_logistic_div: the last rounding, 0.5 ulp, and < 2^-40);
 * 2^k applied exactly (P s: only the last product rounds, where the result is subnormal).
 * Total <= 0.5 ulp + 0.5 u (q's error reaches the result whole where x < 0); measured 0.91 ulp
 * (tools/exhaustive_f32.py, every 7th float32, AVX-512; the baseline build, no FMA, the same
 * on every 97th). The float64-core form it replaces measured 1.2 ulp at ~the same speed.
 */
RECT_INLINE float rect_silu_f32(float x, const float *p)
{
    (void)p;
    float k, s, zl, nl;
    const float q = rect_logistic_expq(-fabsf(x), &k);
    const float P = rect_logistic_pow2(k, &s);
    const float zh = rect_logistic_z(P, q, &zl);
    const int far = k < -40.0f; /* 1 + z = 1 */
    const int pos = x >= 0.0f;
    const float mh = rect_logistic_mul1p(x, q, &nl);
    const float r = rect_logistic_div(pos ? x : mh, pos ? 0.0f : nl, far ? 0.0f : zh,
                                      far ? 0.0f : zl);
    const float neg = (r * P) * s;
    /* the limits (no inf - inf in the correction) and the sign of zero */
    return x < -1e4f ? -0.0f : ((x > 1e4f || x == 0.0f) ? x : (pos ? r : neg));
}

/*
 * silu'(x) = (1 + z + x z) / (1 + z)^2 for x >= 0 and m (1 + x + z) / (1 + z)^2 2^k below,
 * z = e^{-|x|} = m 2^k, every piece in float-float: m = 1 + q + ql and z = zh + zl (q's
 * rounding carried), 1 + x exact or its error carried, S = 1 + x + z by 2Sum (it cancels near
 * the zero), N = m S or d + x z, D = (1 + z)^2 = d^2 from d + dl = 1 + z, and the quotient
 * corrected once: F = Fh + Fl. Within 1/8 of the zero x0 the float-float t P(t) of roots.h's
 * float table (x0 and P's constant term split in two) replaces it. Errors before the last
 * rounding: the polynomial's roundings in q and P (< 0.1 u each, amplified at most 2x by the
 * cancellation at |t| = 1/8), x z's rounding where x >= 0 (< 0.1 u): < 0.4 u; so grad <=
 * 0.5 ulp + 0.4 u, backward (g (Fh + Fl) rounded once) the same, where the result is normal; a
 * subnormal result rounds twice (Fh + Fl, then the scaling: < 0.5 ulp more there). Measured
 * 0.76 ulp (grad) and 0.75 ulp (backward), both at subnormal results near x = -92.
 */
#define RECT_SILU_X0H ((float)RECT_ROOT_SILU_HI)
#define RECT_SILU_X0L ((float)((RECT_ROOT_SILU_HI - (double)RECT_SILU_X0H) + RECT_ROOT_SILU_LO))
#define RECT_SILU_C(i) ((float)rect_root_silu_f[i])
RECT_INLINE float rect_silu_der_f32(float x, float *lo, float *kout)
{
    float k, ql, zl, dl, Al, Sl, nl, Nl, Dl;
    const float q = rect_logistic_expq2(-fabsf(x), &k, &ql);
    const float Pz = rect_pow2f(k < -40.0f ? 0.0f : k);
    const int far = k < -40.0f, pos = x >= 0.0f;
    const float zh0 = Pz + Pz * q;
    const float zh = far ? 0.0f : zh0;
    zl = far ? 0.0f : ((Pz - zh0) + Pz * q) + Pz * ql;
    /* D = (1 + z)^2 */
    const float d = 1.0f + zh;
    dl = ((1.0f - d) + zh) + zl;
    float Dl0;
    const float Dh = rect_two_prodf(d, d, &Dl0);
    Dl = Dl0 + 2.0f * d * dl;
    /* x < 0: m S, S = (1 + x) + z */
    const float A = 1.0f + x;
    Al = fabsf(x) > 1.0f ? (x - A) + 1.0f : (1.0f - A) + x;
    const float Sh = rect_logistic_two_sum(A, zh, &Sl);
    Sl += Al + zl;
    const float mh = 1.0f + q;
    nl = ((1.0f - mh) + q) + ql;
    float Nl0;
    const float Nneg = rect_two_prodf(mh, Sh, &Nl0);
    const float Nnegl = Nl0 + (mh * Sl + nl * Sh);
    /* x >= 0: d + x z */
    float xzl;
    const float xz = rect_two_prodf(x, zh, &xzl);
    const float Npos = d + xz; /* Fast2Sum: x z <= 1/e < 1 <= d */
    const float Nposl = ((d - Npos) + xz) + (dl + xzl + x * zl);
    const float Nh = pos ? Npos : Nneg;
    Nl = pos ? Nposl : Nnegl;
    /* F = N / D */
    const float inv = 1.0f / Dh;
    const float Fh = Nh * inv;
    float pl;
    const float pp = rect_two_prodf(Fh, Dh, &pl);
    const float Fl = ((((Nh - pp) - pl) + Nl) - Fh * Dl) * inv;
    /* near the zero: t P(t) */
    const float tx = x - RECT_SILU_X0H; /* exact near x0 (Sterbenz) */
    const float th = tx - RECT_SILU_X0L;
    const float tl = (tx - th) - RECT_SILU_X0L;
    float c = RECT_SILU_C(7);
    c = c * th + RECT_SILU_C(6);
    c = c * th + RECT_SILU_C(5);
    c = c * th + RECT_SILU_C(4);
    c = c * th + RECT_SILU_C(3);
    c = c * th + RECT_SILU_C(2);
    c = c * th + RECT_SILU_C(1);
    const float c0l = (float)(rect_root_silu_f[0] - (double)RECT_SILU_C(0));
    float rl0;
    const float rh = rect_two_prodf(th, RECT_SILU_C(0), &rl0);
    const float rl = rl0 + (th * (c0l + th * c) + tl * RECT_SILU_C(0));
    const int root = fabsf(th) < (float)RECT_ROOT_SILU_R;
    *kout = (root || pos) ? 0.0f : k;
    *lo = root ? rl : Fl;
    return root ? rh : Fh;
}

RECT_INLINE float rect_silu_grad_f32(float x, const float *p)
{
    (void)p;
    float k, lo, s;
    const float hi = rect_silu_der_f32(x, &lo, &k);
    const float P = rect_logistic_pow2(k, &s);
    const float v = ((hi + lo) * P) * s;
    return x < -1e4f ? 0.0f : (x > 1e3f ? 1.0f : v);
}

/* g (Fh + Fl) 2^k rounded once: g scaled by 2^-64 or 2^64 beyond 2^64 or below 2^-60 (exact),
   the scale folded into the final power of two. 0 where silu'(x) < 2^-280 (x < -199.37, as
   the double core: a NaN or inf grad masked); g itself beyond x = 1e3; a NaN or inf grad
   elsewhere gives g times the derivative's sign. */
RECT_INLINE float rect_silu_backward_f32(float g, float x, const float *p)
{
    (void)p;
    float k, lo, gl;
    const float hi = rect_silu_der_f32(x, &lo, &k);
    const float ag = fabsf(g);
    const int big = ag > 0x1p64f, small = ag < 0x1p-60f;
    const float gs = g * (big ? 0x1p-64f : (small ? 0x1p64f : 1.0f));
    const float ks = big ? 64.0f : (small ? -64.0f : 0.0f);
    const float gh = rect_two_prodf(gs, hi, &gl);
    const float r = gh + (gl + gs * lo);
    const float v = rect_ldexpf_neg(r, k + ks);
    const int zero = x < -199.37135f, finite = ag <= 3.40282347e38f;
    return zero ? 0.0f : (x > 1e3f ? g : (finite ? v : g * hi));
}

#endif
