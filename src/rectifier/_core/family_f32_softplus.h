/*
 * float32-lane cores of softplus (see family_f32.h): rect_softplus_f32, rect_softplus_grad_f32
 * and rect_softplus_backward_f32, chosen in kernels.c's RK_SMOOTH list. They use the shared
 * logistic primitives of family_f32_logistic.h (rect_logistic_*).
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
#include "family_f32_logistic.h"

/* ---- softplus: u = beta x = uh + ul ---------------------------------------------------- */

/*
 * The float lanes serve 2^-20 <= |beta| <= 2^20 and thresholds of 0 or beyond 2^-40 in size (a
 * loop-invariant test: GCC unswitches the loop, given meson.build's max-unswitch-insns); other
 * beta (0, subnormal, huge, inf, NaN) and tiny thresholds take the double core, whose exact beta x and double range cover them. Within it u = fl(beta x)
 * and its rounding error ul are exact (FMA, or Dekker's split: ul is used only where
 * |u| <= 1e4, so |x| < 2^34 there), u is never subnormal but where beta x is below 2^-106 (and
 * then sigmoid(u) = 1/2 and log1p(e^-|u|) = ln 2 to far below an ulp).
 */
#define RECT_SP_OK(b, t)                                                                       \
    (fabsf(b) >= 0x1p-20f && fabsf(b) <= 0x1p20f && !(fabsf(t) < 0x1p-40f && (t) != 0.0f))

/* u = beta x = uh + ul, ul zeroed where |u| > 1e4 (only the sign and size of u matter there,
   and Dekker's split overflows); over: beta x > threshold, decided on the exact product. Where
   beta x is subnormal its remainder is lost (0.3 * 2^-149 rounds to 0, which is not > 0), so a
   threshold of 0 is decided on the signs, and one in (0, 2^-40) takes the double core
   (RECT_SP_OK); any other threshold is far from such a product, whose rounding cannot cross it. */
RECT_INLINE float rect_sp_u(float x, float beta, float th, float *ul, int *over)
{
    float l;
    const float u = rect_two_prodf(beta, x, &l);
    *ul = fabsf(u) > 1e4f ? 0.0f : l;
    const int sign0 = beta > 0.0f ? x > 0.0f : x < 0.0f;
    *over = th == 0.0f ? sign0 : (u > th || (u == th && *ul > 0.0f));
    return u;
}

/* e^{-|uh + ul|} = (1 + q) 2^k with ul folded into q (e^{-|u|} (1 -+ ul), |ul| <= 2^-24 |u|,
   so the product's second-order term, below 2^-34, is dropped). */
RECT_INLINE float rect_sp_expq(float u, float ul, float *k)
{
    const float q = rect_logistic_expq(-fabsf(u), k);
    const float s = u >= 0.0f ? -ul : ul;
    return q + (1.0f + q) * s;
}

/*
 * softplus'(x) = sigmoid(u): 1 / (1 + z) for u >= 0 and (1 + q) 2^k / (1 + z) below, z = (1 + q)
 * 2^k. Budget: q < 0.45 u (ul included), 1 + q carried as nh + nl (exact), z as zh + zl, the
 * quotient corrected (0.5 ulp + 2^-40), 2^k exact but where the result is subnormal (the one
 * rounding): <= 0.5 ulp + 0.5 u; measured 0.80 ulp (beta = 1), <= 1.04 over the betas of
 * tests/test_logistic_f32.py.
 */
RECT_INLINE float rect_softplus_grad_f32(float x, const float *p)
{
    const float beta = p[0], th = p[1];
    if (!RECT_SP_OK(beta, th)) {
        double pd[2] = {beta, th}, k;
        const double v = rect_softplus_der_lo(x, pd, &k);
        return (float)rect_ldexp_lo(v, k);
    }
    float ul, k, s, zl;
    int over;
    const float u = rect_sp_u(x, beta, th, &ul, &over);
    const float q = rect_sp_expq(u, ul, &k);
    const float P = rect_logistic_pow2(k, &s);
    const float zh = rect_logistic_z(P, q, &zl);
    const int far = k < -40.0f, pos = u >= 0.0f;
    const float nh = pos ? 1.0f : 1.0f + q;
    const float nl = pos ? 0.0f : (1.0f - nh) + q;
    const float r = rect_logistic_div(nh, nl, far ? 0.0f : zh, far ? 0.0f : zl);
    const float v = pos ? r : (r * P) * s;
    return over ? 1.0f : v;
}

/*
 * grad * sigmoid(u): grad (1 + q) carried as nh + nl (rect_logistic_mul1p), then as the grad.
 * A grad beyond 2^64 or below 2^-60 is scaled by 2^-64 or 2^64 first (exact) and the scale
 * folded into 2^k, so no step overflows or loses bits to underflow. Budget: as the grad's, plus
 * nl's own error (2^-24 of it): <= 0.5 ulp + 0.5 u; measured 0.88 ulp (beta = 1), <= 1.11 over
 * the betas of tests/test_logistic_f32.py.
 * Where sigmoid(u) < 2^-280 (u < -194.08) the result is 0, a NaN or inf grad masked (as the
 * double core: grad times that rounds to 0 for every finite grad); beyond the threshold it is
 * the grad itself; a NaN or inf grad elsewhere gives itself (sigmoid > 0).
 */
RECT_INLINE float rect_softplus_backward_f32(float g, float x, const float *p)
{
    const float beta = p[0], th = p[1];
    if (!RECT_SP_OK(beta, th)) {
        double pd[2] = {beta, th}, k;
        const double v = rect_softplus_der_lo(x, pd, &k);
        const double d = rect_ldexp_lo(v, k);
        return (float)(fabs(d) < 0x1p-280 ? 0.0 : g * d);
    }
    float ul, k, zl, nl;
    int over;
    const float u = rect_sp_u(x, beta, th, &ul, &over);
    const float q = rect_sp_expq(u, ul, &k);
    const int far = k < -40.0f, pos = u >= 0.0f;
    const float ag = fabsf(g);
    const int big = ag > 0x1p64f, small = ag < 0x1p-60f;
    const float gs = g * (big ? 0x1p-64f : (small ? 0x1p64f : 1.0f));
    const float ks = big ? 64.0f : (small ? -64.0f : 0.0f);
    const float Pz = rect_pow2f(far ? 0.0f : k);
    const float zh = rect_logistic_z(Pz, q, &zl);
    const float mh = rect_logistic_mul1p(gs, q, &nl);
    const float r = rect_logistic_div(pos ? gs : mh, pos ? 0.0f : nl, far ? 0.0f : zh,
                                      far ? 0.0f : zl);
    /* k + ks reaches -353: halved steps (rect_ldexpf_neg), not P s (exact down to -190) */
    const float v = rect_ldexpf_neg(r, (pos ? 0.0f : k) + ks);
    const int zero = u < -194.08f, finite = ag <= 3.40282347e38f;
    return over ? g : (zero ? 0.0f : (finite ? v : g));
}

/*
 * log1p(z) for z = zh + zl in [0, 1], zl below 2^-23 zh, as float pieces the caller adds in
 * double: log1p(z) = e ln 2 - (T - f). The reduction is exact: f = z for z < 1/2 (e = 0) and
 * f = (z - 1) / 2 for z >= 1/2 (e = 1, Sterbenz), so f is in [-1/4, 1/2) and no rounding of 1 + z
 * needs correcting. Then fdlibm's log1p(f) = f - (hfsq - s (hfsq + R)), s = f / (2 + f)
 * (|s| <= 0.2), R = 2 atanh(s)/s - 2 to s^10 (Taylor: truncation < 2^-31 relative), and zl
 * enters as zl / (1 + z) = h zl (1 - f + f^2) (h = 1 or 1/2; off by |f|^3, a percent of a
 * term below 2^-23). T = hfsq - (s (hfsq + R) + zl / (1 + z)) is < 0.31 of the result, so its
 * float rounding errors cost < 0.3 u.
 */
RECT_INLINE float rect_logistic_log1p_t(float zh, float zl, float *f, float *e)
{
    const int hi = zh >= 0.5f;
    const float fv = hi ? zh * 0.5f - 0.5f : zh; /* exact: zh - 1 is, and the halving */
    const float s = fv / (2.0f + fv);
    const float s2 = s * s;
    float R = 2.0f / 11.0f;
    R = R * s2 + 2.0f / 9.0f;
    R = R * s2 + 2.0f / 7.0f;
    R = R * s2 + 2.0f / 5.0f;
    R = R * s2 + 2.0f / 3.0f;
    R = R * s2;
    const float hfsq = 0.5f * fv * fv;
    const float corr = (hi ? 0.5f * zl : zl) * (1.0f - fv * (1.0f - fv));
    *f = fv;
    *e = hi ? 1.0f : 0.0f;
    return hfsq - (s * (hfsq + R) + corr);
}

/*
 * softplus(x) = max(x, 0) + log1p(z) / beta, z = e^{-|u|} = (1 + q) 2^k, u = beta x = uh + ul
 * (ul folded into q), in float-float where it matters: L = log1p(z) = e ln 2 - (T - f) as
 * Lh + Ll (Fast2Sum: |T| <= |f| / 4, |Lh| < ln 2), times 1/beta = ih + il (hoisted), then
 * x + Q by 2Sum (u >= 0: x and Q have one sign) and one final rounding. Where z < 2^-24
 * (k < -24), L = z (1 - z/2) with z = (1 + q) 2^k: Q = (1 + q)(1 - z/2) / beta, scaled by 2^k
 * at the end (P s: exact but where the result is subnormal, the one rounding).
 * Budget: q < 0.45 u of 1 + q, times the sensitivity z / ((1 + z) L) <= 1; z's rounding carried
 * (zl); T's float errors < 0.3 u; the float-float steps < 2^-44; the last rounding 0.5 ulp:
 * <= 0.5 ulp + 0.8 u; measured 0.97 ulp (beta = 1), <= 1.09 over the betas of
 * tests/test_logistic_f32.py.
 */
RECT_INLINE float rect_softplus_f32(float x, const float *p)
{
    const float beta = p[0], th = p[1];
    if (!RECT_SP_OK(beta, th)) {
        double pd[2] = {beta, th};
        return (float)rect_softplus_fwd_lo(x, pd);
    }
    /* 1/beta = ih + il: loop-invariant */
    float bl;
    const float ih = 1.0f / beta;
    const float bh = rect_two_prodf(beta, ih, &bl);
    const float il = ((1.0f - bh) - bl) * ih;

    float ul, k, zl, f, e, s;
    int over;
    const float u = rect_sp_u(x, beta, th, &ul, &over);
    const float q = rect_sp_expq(u, ul, &k);
    const int tail = k < -24.0f, pos = u >= 0.0f;
    const float Pz = rect_pow2f(tail ? 0.0f : k);
    const float zh = rect_logistic_z(Pz, q, &zl);
    const float T = rect_logistic_log1p_t(tail ? 0.0f : zh, tail ? 0.0f : zl, &f, &e);
    /* L = Lh + Ll */
    const float l1 = f - T;
    const float l1l = (f - l1) - T;
    const float l2 = 0x1.62e43p-1f + l1; /* ln 2 = 0x1.62e43p-1 - 1.90465430e-9 */
    const float l2l = ((0x1.62e43p-1f - l2) + l1) + (l1l - 1.90465430e-9f);
    /* tail: (1 + q)(1 - z/2) */
    const float th1 = 1.0f + q;
    const float zt = th1 * rect_pow2f(k < -126.0f ? -126.0f : k);
    const float tl1 = ((1.0f - th1) + q) - 0.5f * th1 * zt;
    const float Mh = tail ? th1 : (e != 0.0f ? l2 : l1);
    const float Ml = tail ? tl1 : (e != 0.0f ? l2l : l1l);
    /* Q = M / beta */
    float ql;
    const float Qh = rect_two_prodf(Mh, ih, &ql);
    const float Ql = ql + (Mh * il + Ml * ih);
    /* x + Q (2Sum), or the tail */
    const float a = pos ? x : 0.0f;
    const float S = a + Qh;
    const float bb = S - a;
    const float err = (a - (S - bb)) + (Qh - bb);
    const float body = S + (err + Ql);
    const float P = rect_logistic_pow2(k, &s);
    const float tq = ((Qh + Ql) * P) * s;
    const float v = tail ? (pos ? a + tq : tq) : body;
    return over ? x : (u < -1e4f ? 0.0f : v);
}

#endif
