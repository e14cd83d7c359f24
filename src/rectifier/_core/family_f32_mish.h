/*
 * float32-lane cores of mish (see family_f32.h): rect_mish_f32, rect_mish_grad_f32 and
 * rect_mish_backward_f32, chosen in kernels.c's RK_SMOOTH list. Budgets in u = 2^-24 as in
 * family_f32_logistic.h (whose exp, 2^k and float-float primitives these use).
 *
 * One exp for every x: z = e^{-|x|} = (1 + q) 2^k (q's own rounding ql carried where the
 * derivative needs it), z = zh + zl. Both signs share one rational form, the operands selected
 * per lane before the arithmetic (so a lane computes one form, not two):
 *   a = 1 + 2z (x >= 0) or 2 + z (x < 0),
 *   D = a + 2z z (x >= 0) or 2 + z a (x < 0)   (= (1 + z)^2 + 1 with z = e^x below 0),
 *   tanh(softplus(x)) = a / D (x >= 0) or (1 + q) 2^k a / D (x < 0).
 * a and D are carried as float-float (each sum's error by Fast2Sum, each product's by
 * rect_two_prodf), so the quotient's operands are within ~2^-40 and only q's error and the final
 * rounding remain.
 */
#ifndef RECTIFIER_FAMILY_F32_MISH_H
#define RECTIFIER_FAMILY_F32_MISH_H

#include "family.h"
#include "family_f32.h"
#include "family_f32_logistic.h"

/* a + al and D + Dl above from z + zl (z in [0, 1], zl below 2^-23 z). a = c1 + c2 z is
   Fast2Sum-exact (c1 = 2 >= z; c1 = 1 and 2z in [0, 2]: equal exponents or 1 the larger), and so
   is D = b0 + b1 b2 (x >= 0: a >= 2z^2; x < 0: z a <= 3 shares 2's exponent or is smaller). */
RECT_INLINE float rect_mish_ad(float z, float zl, int pos, float *al, float *Dh, float *Dl)
{
    const float c1 = pos ? 1.0f : 2.0f;
    const float cz = pos ? 2.0f * z : z;
    const float czl = pos ? 2.0f * zl : zl;
    const float a = c1 + cz;
    const float aerr = ((c1 - a) + cz) + czl;
    const float b0 = pos ? a : 2.0f, b0l = pos ? aerr : 0.0f;
    const float b2 = pos ? z : a, b2l = pos ? zl : aerr;
    float pl;
    const float pb = rect_two_prodf(cz, b2, &pl);
    const float D = b0 + pb;
    *Dl = ((b0 - D) + pb) + (pl + b0l + (cz * b2l + czl * b2));
    *Dh = D;
    *al = aerr;
    return a;
}

/* (nh + nl) / (dh + dl) = r + (residual) / dh: one division, the residual nh - r dh exact
   (FMA or Dekker), so within 0.5 ulp + 2^-40 of the quotient before the caller's rounding. */
RECT_INLINE float rect_mish_div(float nh, float nl, float dh, float dl, float *rl)
{
    const float inv = 1.0f / dh;
    const float r = nh * inv;
#if defined(__FMA__)
    const float e = __builtin_fmaf(-r, dh, nh);
#else
    float pl;
    const float pp = rect_two_prodf(r, dh, &pl);
    const float e = (nh - pp) - pl;
#endif
    *rl = ((e + nl) - r * dl) * inv;
    return r;
}

/*
 * mish(x) = x a / D (x >= 0) or x (1 + q) a / D 2^k (x < 0): x (1 + q) exact as nh + nl
 * (rect_logistic_mul1p), N = m a as Nh + Nl, the quotient corrected once, 2^k applied exactly
 * (P s) but where the result is subnormal (the one rounding there).
 */
RECT_INLINE float rect_mish_f32(float x, const float *p)
{
    (void)p;
    float k, s, nl, al, Dh, Dl, t, rl;
    const float q = rect_logistic_expq(-fabsf(x), &k);
    const float P = rect_logistic_pow2(k, &s); /* 2^k = P s; P = 2^k where z matters */
    const int far = k < -40.0f, pos = x >= 0.0f;
    const float z = far ? 0.0f : P + P * q;
    const float a = rect_mish_ad(z, 0.0f, pos, &al, &Dh, &Dl);
    const float mh = rect_logistic_mul1p(x, q, &nl);
    const float m = pos ? x : mh, ml = pos ? 0.0f : nl;
    const float Nh = rect_two_prodf(m, a, &t);
    const float Nl = t + (m * al + ml * a);
    const float r = rect_mish_div(Nh, Nl, Dh, Dl, &rl);
    const float res = r + rl;
    const float neg = (res * P) * s;
    return x < -1e4f ? -0.0f : ((x > 1e4f || x == 0.0f) ? x : (pos ? res : neg));
}

/*
 * mish'(x) = Omega / D^2 (x >= 0) or (1 + q) 2^k Omega / D^2 (x < 0), Omega = a D + 4x c,
 * c = z^2 (1 + z) (x >= 0) or 1 + z (x < 0). Below 0, a D and 4x (1 + z) cancel (mish' vanishes
 * at x0 = -1.1924); each is carried exactly enough (two_prod with the operands' low parts) and
 * their sum formed by 2Sum, so Omega keeps ~2^-40 relative even at condition 9 (|t| = 1/4).
 * Within 1/4 of x0, roots.h's float table gives t P(t) in float-float instead.
 */
#define RECT_MISH_X0H ((float)RECT_ROOT_MISH_HI)
#define RECT_MISH_X0L ((float)((RECT_ROOT_MISH_HI - (double)RECT_MISH_X0H) + RECT_ROOT_MISH_LO))
#define RECT_MISH_C(i) ((float)rect_root_mish_f[i])
RECT_INLINE float rect_mish_der_f32(float x, float *lo, float *kout)
{
    float k, ql, zl, al, Dh, Dl;
    const float q = rect_logistic_expq2(-fabsf(x), &k, &ql);
    const int far = k < -40.0f, pos = x >= 0.0f;
    const float Pz = rect_pow2f(far ? 0.0f : k);
    const float zh0 = Pz + Pz * q;
    const float z = far ? 0.0f : zh0;
    zl = far ? 0.0f : ((Pz - zh0) + Pz * q) + Pz * ql;
    const float a = rect_mish_ad(z, zl, pos, &al, &Dh, &Dl);
    /* a D */
    float adl;
    const float ad = rect_two_prodf(a, Dh, &adl);
    adl += al * Dh + a * Dl;
    /* c = (1 + z) cm, cm = z^2 or 1 */
    const float e1 = 1.0f + z;
    const float e1l = ((1.0f - e1) + z) + zl;
    float zzl;
    const float zz = rect_two_prodf(z, z, &zzl);
    const float cm = pos ? zz : 1.0f, cml = pos ? zzl + 2.0f * z * zl : 0.0f;
    float cl;
    const float c = rect_two_prodf(e1, cm, &cl);
    cl += e1 * cml + e1l * cm;
    /* 4x c, then Omega = a D + 4x c by 2Sum */
    const float x4 = 4.0f * x;
    float xcl, ol;
    const float xc = rect_two_prodf(x4, c, &xcl);
    xcl += x4 * cl;
    const float om = rect_logistic_two_sum(ad, xc, &ol);
    ol += adl + xcl;
    /* N = Omega or (1 + q + ql) Omega */
    float pl;
    const float pq = rect_two_prodf(om, q, &pl);
    const float nneg = om + pq;
    const float nnegl = ((om - nneg) + pq) + (pl + (ol + ol * q + om * ql));
    const float Nh = pos ? om : nneg, Nl = pos ? ol : nnegl;
    /* D^2 */
    float DDl;
    const float DD = rect_two_prodf(Dh, Dh, &DDl);
    DDl += 2.0f * Dh * Dl;
    float Fl;
    const float Fh = rect_mish_div(Nh, Nl, DD, DDl, &Fl);
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
    *kout = (root || pos) ? 0.0f : k;
    *lo = root ? rl : Fl;
    return root ? rh : Fh;
}

RECT_INLINE float rect_mish_grad_f32(float x, const float *p)
{
    (void)p;
    float k, lo, s;
    const float hi = rect_mish_der_f32(x, &lo, &k);
    const float P = rect_logistic_pow2(k, &s);
    const float v = ((hi + lo) * P) * s;
    return x < -1e4f ? 0.0f : (x > 1e3f ? 1.0f : v);
}

/* g (Fh + Fl) 2^k rounded once, g scaled as rect_silu_backward_f32's. */
#define RECT_MISH_DER_ZERO -199.37f
RECT_INLINE float rect_mish_backward_f32(float g, float x, const float *p)
{
    (void)p;
    float k, lo, gl;
    const float hi = rect_mish_der_f32(x, &lo, &k);
    const float ag = fabsf(g);
    const int big = ag > 0x1p64f, small = ag < 0x1p-60f;
    const float gs = g * (big ? 0x1p-64f : (small ? 0x1p64f : 1.0f));
    const float ks = big ? 64.0f : (small ? -64.0f : 0.0f);
    const float gh = rect_two_prodf(gs, hi, &gl);
    const float r = gh + (gl + gs * lo);
    const float v = rect_ldexpf_neg(r, k + ks);
    const int zero = x < RECT_MISH_DER_ZERO, finite = ag <= 3.40282347e38f;
    return zero ? 0.0f : (x > 1e3f ? g : (finite ? v : g * hi));
}

#endif
