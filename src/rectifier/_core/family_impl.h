/*
 * The cores of family.h, written once and instantiated twice (RV(name): name_hi and name_lo).
 * No include guard: family.h includes this file once per variant.
 */
/* SELU's constants (Klambauer et al. 2017), and lambda * alpha rounded once (mpmath). */
#define RECT_SELU_ALPHA 1.6732632423543772848170429916717
#define RECT_SELU_SCALE 1.0507009873554804934193349852946
#define RECT_SELU_SA 1.7580993408473768599402175208123

/* ---- logistic pieces: z = e^{-|v|} as mm * 2^k, with v = vh + vl ------------------------- */

/* For v >= 0, e^{-v} = e^{-vh} (1 - vl); for v < 0, e^{v} = e^{vh} (1 + vl). Returns mm, sets
   k, z = mm * 2^k and d = 1 + z (z is kept: d - 1 would lose its low bits). */
RECT_INLINE double RV(rect_logistic_parts)(double vh, double vl, double *k, double *z, double *d)
{
    const double m = RV(rect_exp_parts)(-fabs(vh), k);
    const double mm = m * (1.0 + (vh >= 0.0 ? -vl : vl));
    *z = RV(rect_ldexp)(mm, *k);
    *d = 1.0 + *z;
    return mm;
}

/* x * sigmoid(v): x / (1 + e^-v) for v >= 0, x e^v / (1 + e^v) below (no overflow, and the tail
   is scaled by 2^k only at the end). ~2.5 ulp. */
RECT_INLINE double RV(rect_x_sigmoid)(double x, double vh, double vl)
{
    double k, z, d;
    const double mm = RV(rect_logistic_parts)(vh, vl, &k, &z, &d);
    const double q = (vh >= 0.0 ? x : x * mm) / d; /* one division for both pieces */
    return vh >= 0.0 ? q : RV(rect_ldexp)(q, k);
}

/* d/dx [x sigmoid(v(x))] = s + x s (1 - s) v' with s = sigmoid(v), written without the
   cancelling 1 - s: (1 + z + x v' z) / (1 + z)^2 for v >= 0, z (1 + z + x v') / (1 + z)^2
   below. */
RECT_INLINE double RV(rect_x_sigmoid_der)(double x, double vh, double vl, double vp, double *kout)
{
    double k, z, d;
    const double mm = RV(rect_logistic_parts)(vh, vl, &k, &z, &d);
    const double d2 = d * d;
    const int pos = vh >= 0.0;
    *kout = pos ? 0.0 : k;
    return (pos ? 1.0 + z + x * vp * z : mm * ((1.0 + z) + x * vp)) / d2;
}

/* ---- elu, selu, celu --------------------------------------------------------------------- */

/* alpha * expm1(x) for x <= 0: expm1 ~1 ulp, the product 0.5. */
RECT_INLINE double RV(rect_elu_fwd)(double x, const double *p)
{
    return x > 0.0 ? x : p[0] * RV(rect_expm1)(x);
}
RECT_INLINE double RV(rect_elu_der)(double x, const double *p, double *k)
{
    const double m = RV(rect_exp_parts)(x, k);
    const int pos = x > 0.0;
    *k = pos ? 0.0 : *k;
    return pos ? 1.0 : p[0] * m;
}

RECT_INLINE double RV(rect_selu_fwd)(double x, const double *p)
{
    (void)p;
    return x > 0.0 ? RECT_SELU_SCALE * x : RECT_SELU_SA * RV(rect_expm1)(x);
}
RECT_INLINE double RV(rect_selu_der)(double x, const double *p, double *k)
{
    (void)p;
    const double m = RV(rect_exp_parts)(x, k);
    const int pos = x > 0.0;
    *k = pos ? 0.0 : *k;
    return pos ? RECT_SELU_SCALE : RECT_SELU_SA * m;
}

/* celu(x) = alpha expm1(x / alpha) below 0. Where |x / alpha| < 2^-54, that is x within half
   an ulp, and x / alpha may be subnormal or 0 (|alpha| large), so x itself is returned. */
RECT_INLINE double RV(rect_celu_fwd)(double x, const double *p)
{
    const double q = x / p[0];
    return (x > 0.0 || fabs(q) < 0x1p-54) ? x : p[0] * RV(rect_expm1)(q);
}
/* exp(x / alpha): the quotient's rounding error would be amplified by |x / alpha| (up to 745),
   so its remainder is carried: exp(q + ql) = exp(q) (1 + ql). */
RECT_INLINE double RV(rect_celu_der)(double x, const double *p, double *k)
{
    const double a = p[0];
    const double q = x / a;
    double plo;
    const double ph = rect_two_prod(q, a, &plo);
    const double ql = fabs(q) > 1e4 ? 0.0 : ((x - ph) - plo) / a; /* inf: no inf - inf */
    const double m = RV(rect_exp_parts)(q, k);
    const int pos = x > 0.0;
    *k = pos ? 0.0 : *k;
    return pos ? 1.0 : m * (1.0 + ql);
}

/* ---- silu, sigmoid, tanh, mish, softplus ------------------------------------------------- */

RECT_INLINE double RV(rect_silu_fwd)(double x, const double *p)
{
    (void)p;
    const double r = RV(rect_x_sigmoid)(x, x, 0.0);
    return x < -1e4 ? -0.0 : r; /* -inf * 0 would be NaN; the limit is 0 */
}
RECT_INLINE double RV(rect_silu_der)(double x, const double *p, double *k)
{
    (void)p;
#if RECT_FLOAT32_GRADE
    const double v = RV(rect_x_sigmoid_der)(x, x, 0.0, 1.0, k);
#else
    const double v = rect_x_sigmoid_der_dd(x, 0.0, x, 0.0, k);
#endif
    const double t = (x - RECT_ROOT_SILU_HI) - RECT_ROOT_SILU_LO;
    const double near = RECT_ROOT_POLY(t, RECT_ROOT_TABLE(silu));
    const int tail = x < -1e4, head = x > 1e3, root = fabs(t) < RECT_ROOT_SILU_R;
    *k = (tail || head || root) ? 0.0 : *k;
    return tail ? 0.0 : (head ? 1.0 : (root ? near : v));
}

RECT_INLINE double RV(rect_sigmoid_fwd)(double x, const double *p)
{
    (void)p;
    double k, z, d;
    const double mm = RV(rect_logistic_parts)(x, 0.0, &k, &z, &d);
    const double q = (x >= 0.0 ? 1.0 : mm) / d;
    return x >= 0.0 ? q : RV(rect_ldexp)(q, k);
}
/* sigmoid' = z / (1 + z)^2 with z = e^{-|x|}: symmetric, no 1 - s cancellation. */
RECT_INLINE double RV(rect_sigmoid_der)(double x, const double *p, double *k)
{
    (void)p;
    double z, d;
    const double mm = RV(rect_logistic_parts)(x, 0.0, k, &z, &d);
    return mm / (d * d);
}

/* tanh(|x|) = -u / (2 + u) with u = expm1(-2|x|): relative accuracy near 0, exact 1 for
   |x| > 19.1. ~2 ulp. */
RECT_INLINE double RV(rect_tanh_fwd)(double x, const double *p)
{
    (void)p;
    const double u = RV(rect_expm1)(-2.0 * fabs(x));
    return copysign(-u / (2.0 + u), x);
}
/* tanh' = 4 z / (1 + z)^2 with z = e^{-2|x|}. */
RECT_INLINE double RV(rect_tanh_der)(double x, const double *p, double *k)
{
    (void)p;
    const double m = RV(rect_exp_parts)(-2.0 * fabs(x), k);
    const double d = 1.0 + RV(rect_ldexp)(m, *k);
    return 4.0 * m / (d * d);
}

/*
 * mish(x) = x tanh(softplus(x)). With z = e^x, tanh(log1p(z)) = z (z + 2) / (z (z + 2) + 2), and
 * with w = e^{-x} (for x >= 0, no overflow) it is (1 + 2w) / (1 + 2w + 2w^2). ~3 ulp.
 */
RECT_INLINE double RV(rect_mish_fwd)(double x, const double *p)
{
    (void)p;
    double k;
    const double m = RV(rect_exp_parts)(-fabs(x), &k);
    const double z = RV(rect_ldexp)(m, k);
    const double zz = z * (z + 2.0);
    const int pos = x >= 0.0;
    const double q = (pos ? x * (1.0 + 2.0 * z) : x * m * (z + 2.0)) /
                     (pos ? 1.0 + 2.0 * z + 2.0 * z * z : zz + 2.0); /* one division */
    const double r = pos ? q : RV(rect_ldexp)(q, k);
    return x < -1e4 ? -0.0 : r;
}
/* mish' = tanh(sp) + x sech^2(sp) sigmoid(x): for x < 0, with z = e^x, it is z omega / delta^2,
   omega = 4(x + 1) + z (4x + 6 + z (4 + z)), delta = 2 + z (2 + z) (of the forms tried, the one
   with the smallest measured error); for x >= 0, T + 4x w^2 (1 + w) / (1 + 2w + 2w^2)^2. */
RECT_INLINE double RV(rect_mish_der)(double x, const double *p, double *kout)
{
    (void)p;
    double k;
    const double m = RV(rect_exp_parts)(-fabs(x), &k);
    const double z = RV(rect_ldexp)(m, k);
    const double e = 1.0 + 2.0 * z + 2.0 * z * z;
    const double pos = (1.0 + 2.0 * z) / e + 4.0 * x * z * z * (1.0 + z) / (e * e);
#if RECT_FLOAT32_GRADE
    const double omega = 4.0 * (x + 1.0) + z * (4.0 * x + 6.0 + z * (4.0 + z));
    const double delta = 2.0 + z * (2.0 + z);
    const double neg = m * omega / (delta * delta);
#else
    /* float64: z, omega's leading 4 (x + 1), the numerator and delta^2 in double-double and
       the quotient corrected once (the plain form is ~4 ulp off for x < -2) */
    double ml, kk, al, wl, nl, dl, Dl, ql;
    const double md = rect_exp_parts_dd(x, &kk, &ml); /* x < 0 where it is selected */
    const double zh = rect_ldexp_hi(md, kk), zl = rect_ldexp_hi(ml, kk);
    const double a4 = rect_two_sum(4.0 * x, 4.0, &al);
    const double bz = zh * (4.0 * x + 6.0 + zh * (4.0 + zh)) + zl * (4.0 * x + 6.0);
    const double w = rect_two_sum(a4, bz, &wl);
    wl += al;
    const double nh = rect_two_prod(md, w, &nl);
    nl += md * wl + ml * w;
    const double dh = rect_two_sum(2.0, zh * (2.0 + zh), &dl);
    dl += 2.0 * zl;
    const double D = rect_two_prod(dh, dh, &Dl);
    Dl += 2.0 * dh * dl;
    const double inv = 1.0 / D;
    const double q0 = nh * inv;
    const double pq = rect_two_prod(q0, D, &ql);
    const double neg = q0 + (((nh - pq) - ql) + nl - q0 * Dl) * inv;
    k = kk;
#endif
    const double t = (x - RECT_ROOT_MISH_HI) - RECT_ROOT_MISH_LO;
    const double near = RECT_ROOT_POLY(t, RECT_ROOT_TABLE(mish));
    const int root = fabs(t) < RECT_ROOT_MISH_R;
    /* the root select first: nested one level deeper, GCC stops if-converting the loop */
    const double negr = root ? near : neg;
    const double kr = root ? 0.0 : k;
    const int tail = x < -1e4, head = x > 1e3, ispos = x >= 0.0;
    *kout = (ispos || tail) ? 0.0 : kr;
    return tail ? 0.0 : (head ? 1.0 : (ispos ? pos : negr));
}

/*
 * softplus(x; beta, threshold) = max(x, 0) + log1p(exp(-|beta x|)) / beta, exact for every x.
 * For x < 0 the value's sensitivity to beta*x is |beta x|, so the product's rounding error is
 * carried (log1p(e^{u + ul}) = log1p(e^u) + ul sigmoid(u)); in the far tail the value is
 * e^u / beta, scaled at the end. threshold: beta x > threshold returns x (PyTorch's form).
 */
RECT_INLINE double RV(rect_softplus_fwd)(double x, const double *p)
{
    const double beta = p[0], th = p[1];
    double ul, k;
    const double u = rect_two_prod(beta, x, &ul);
    const double m = RV(rect_exp_parts)(-fabs(u), &k);
    const double z = RV(rect_ldexp)(m, k);
    const double L = RV(rect_log1p_pos)(z);
    const int tail = k < -60.0;
    const double num = u >= 0.0 ? L : (tail ? m * (1.0 + ul) : L + ul * z / (1.0 + z));
    /* float32-grade: times 1/beta (hoisted out of the loop), within 2^-52 of the quotient */
    const double q = RECT_FLOAT32_GRADE ? num * (1.0 / beta) : num / beta;
    const double neg = tail ? RV(rect_ldexp)(q, k) : q;
    const double r = u >= 0.0 ? x + q : (u < -1e4 ? 0.0 : neg);
    return u > th ? x : r;
}
RECT_INLINE double RV(rect_softplus_der)(double x, const double *p, double *k)
{
    const double beta = p[0], th = p[1];
    double ul, z, d;
    const double u = rect_two_prod(beta, x, &ul);
    const double mm = RV(rect_logistic_parts)(u, fabs(u) > 1e4 ? 0.0 : ul, k, &z, &d);
    const int pos = u >= 0.0, over = u > th;
    *k = (pos || over) ? 0.0 : *k;
    return over ? 1.0 : (pos ? 1.0 : mm) / d; /* one division */
}

/* ---- gelu --------------------------------------------------------------------------------- */

#define RECT_SQRT1_2_HI 0.70710678118654757274    /* 1/sqrt(2) rounded */
#define RECT_SQRT1_2_LO (-4.833646656726457e-17) /* 1/sqrt(2) - RECT_SQRT1_2_HI */
#define RECT_2_SQRTPI 1.12837916709551257390      /* 2/sqrt(pi) */
#define RECT_1_SQRT2PI 0.39894228040143267794     /* 1/sqrt(2 pi) */
#define RECT_1_SQRT2PI_LO (-2.49232720227773e-17) /* 1/sqrt(2 pi) - RECT_1_SQRT2PI */

/* Mills-ratio series: Phi(x) = phi(x) / |x| * S(1/x^2) for x -> -inf; 9 terms, < 1e-19 for
   x < -30. */
RECT_INLINE double RV(rect_mills)(double y)
{
    double s = 2027025.0;
    s = s * y - 135135.0;
    s = s * y + 10395.0;
    s = s * y - 945.0;
    s = s * y + 105.0;
    s = s * y - 15.0;
    s = s * y + 3.0;
    s = s * y - 1.0;
    return s * y + 1.0;
}

/* phi(x) = e^{-x^2/2} / sqrt(2 pi) as v * 2^k, x^2 carried exactly (its rounding error would be
   amplified x^2/2 times). */
RECT_INLINE double RV(rect_normal_pdf)(double x, double *k)
{
    double l;
    const double h = rect_two_prod(x, x, &l);
    const double m = RV(rect_exp_parts)(-0.5 * h, k);
    return m * (1.0 - 0.5 * l) * RECT_1_SQRT2PI;
}

/* Phi(x) = erfc(-x/sqrt2) / 2 with -x/sqrt2 = t + tl carried: erfc(t + tl) = erfc(t) - tl
   (2/sqrt pi) e^{-t^2}. For x >= -30 only (erfc(t) stays normal). */
RECT_INLINE double RV(rect_normal_cdf)(double x)
{
    double tl;
    const double t = rect_two_prod(-x, RECT_SQRT1_2_HI, &tl);
    tl += -x * RECT_SQRT1_2_LO;
    return 0.5 * (RV(rect_erfc)(t) - tl * RECT_2_SQRTPI * RV(rect_exp)(-t * t));
}

/* gelu(x) = x Phi(x); for x < -30, -phi(x) S(1/x^2) (erfc would be subnormal). ~3 ulp.
   float32-grade: gelu(-30) ~ 1e-197 is far below float32, so erfc alone serves every x. */
RECT_INLINE double RV(rect_gelu_fwd)(double x, const double *p)
{
    (void)p;
    if (RECT_FLOAT32_GRADE) {
        /* Phi(x) = erfc(-x/sqrt2)/2 with e^{-x^2/2} formed from x*x (exact for float input) */
        const double h = 0.5 * rect_erfcx_lo(fabs(x) * RECT_SQRT1_2_HI) *
                         rect_exp_lo(-0.5 * x * x);
        const double r = x * (x <= 0.0 ? h : 1.0 - h);
        return x < -1e4 ? -0.0 : (x > 40.0 ? x : r);
    }
    double k;
    const double ph = RV(rect_normal_pdf)(x, &k);
    const double tail = -RV(rect_ldexp)(ph * RV(rect_mills)(1.0 / (x * x)), k);
    const double r = x < -30.0 ? tail : x * RV(rect_normal_cdf)(x < -30.0 ? -30.0 : x);
    return x < -1e4 ? -0.0 : (x > 40.0 ? x : r);
}
/* gelu' = Phi(x) + x phi(x); for x < -30, x phi(x) (1 - S/x^2). */
RECT_INLINE double RV(rect_gelu_der)(double x, const double *p, double *kout)
{
    (void)p;
    if (RECT_FLOAT32_GRADE) {
        /* one e^{-x^2/2} for both terms: Phi = erfcx(|x|/sqrt2) E / 2 (x <= 0), phi = E/sqrt(2pi) */
        const double E = rect_exp_lo(-0.5 * x * x);
        const double h = 0.5 * rect_erfcx_lo(fabs(x) * RECT_SQRT1_2_HI) * E;
        const double r = (x <= 0.0 ? h : 1.0 - h) + x * (E * RECT_1_SQRT2PI);
        const double t = (x - RECT_ROOT_GELU_HI) - RECT_ROOT_GELU_LO;
        const double near = RECT_ROOT_POLY(t, RECT_ROOT_TABLE(gelu));
        *kout = 0.0;
        return x < -1e4 ? 0.0 : (x > 40.0 ? 1.0 : (fabs(t) < RECT_ROOT_GELU_R ? near : r));
    }
    double k;
    const double y = 1.0 / (x * x);
    const double xm = x < -30.0 ? -30.0 : x;
    /* x phi(x) in double-double (Phi, from erfc, is within ~1 ulp): with xm^2 = h + l,
       x phi = x (m + ml) 2^k (1 - l/2) / sqrt(2 pi) */
    double l, km, ml, al, bl, sl;
    const double h = rect_two_prod(xm, xm, &l);
    const double m = rect_exp_parts_dd(-0.5 * h, &km, &ml);
    const double a = rect_two_prod(xm, m, &al);
    al += xm * ml - 0.5 * l * a;
    const double b = rect_two_prod(a, RECT_1_SQRT2PI, &bl);
    bl += al * RECT_1_SQRT2PI + a * RECT_1_SQRT2PI_LO;
    const double s = rect_two_sum(RV(rect_normal_cdf)(xm), rect_ldexp_hi(b, km), &sl);
    const double mid = s + (sl + rect_ldexp_hi(bl, km));
    /* x < -30: x phi(x) (1 - S(y) y), the same double-double x phi, scaled by the caller */
    double l2, kt, mlt, at, bt;
    const double h2 = rect_two_prod(x, x, &l2);
    const double mt = rect_exp_parts_dd(-0.5 * h2, &kt, &mlt);
    const double a2 = rect_two_prod(x, mt, &at);
    at += x * mlt - 0.5 * l2 * a2;
    const double b2 = rect_two_prod(a2, RECT_1_SQRT2PI, &bt);
    bt += at * RECT_1_SQRT2PI + a2 * RECT_1_SQRT2PI_LO;
    const double tail = (b2 + bt) - b2 * (RV(rect_mills)(y) * y);
    k = kt;
    const double t = (x - RECT_ROOT_GELU_HI) - RECT_ROOT_GELU_LO;
    const double near = RECT_ROOT_POLY(t, RECT_ROOT_TABLE(gelu));
    const int istail = x < -30.0, far = x < -1e4, head = x > 40.0;
    const int root = fabs(t) < RECT_ROOT_GELU_R;
    *kout = (istail && !far) ? k : 0.0;
    return far ? 0.0 : (head ? 1.0 : (istail ? tail : (root ? near : mid)));
}

/*
 * gelu(x, approximate="tanh") = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), which is
 * x sigmoid(v) with v = 2u: no 1 + tanh cancellation for x < 0. v is formed in double-double
 * (its rounding error would be amplified |v| times, up to 745).
 */
#define RECT_GT_A_HI 0.044715
#define RECT_GT_A_LO 2.1960211427085595e-18  /* 0.044715 - RECT_GT_A_HI */
#define RECT_GT_3A_HI 0.134145
#define RECT_GT_3A_LO 1.3526957332032908e-17  /* 3 * 0.044715 - RECT_GT_3A_HI */
#define RECT_GT_C_HI 1.5957691216057308        /* 2 sqrt(2/pi) */
#define RECT_GT_C_LO (-9.96930880911092e-17)

/* 2 sqrt(2/pi) x (1 + A x^2) in double-double, A = ahi + alo: v (A = 0.044715) and x v'
   (A = 3 * 0.044715). */
RECT_INLINE double RV(rect_gt_cubic)(double x, double ahi, double alo, double *vl)
{
    double l, al, bl, cl, vlo;
    const double h = rect_two_prod(x, x, &l);
    const double a = rect_two_prod(ahi, h, &al);
    al += ahi * l + alo * h;
    const double b = rect_two_sum(1.0, a, &bl);
    bl += al;
    const double c = rect_two_prod(x, b, &cl);
    cl += x * bl;
    const double v = rect_two_prod(RECT_GT_C_HI, c, &vlo);
    *vl = vlo + RECT_GT_C_HI * cl + RECT_GT_C_LO * c;
    return v;
}
RECT_INLINE double RV(rect_gelu_tanh_v)(double x, double *vl)
{
    return RV(rect_gt_cubic)(x, RECT_GT_A_HI, RECT_GT_A_LO, vl);
}

RECT_INLINE double RV(rect_gelu_tanh_fwd)(double x, const double *p)
{
    (void)p;
    double vl;
    const double v = RV(rect_gelu_tanh_v)(x, &vl);
    const double r = RV(rect_x_sigmoid)(x, v, vl);
    return x < -30.0 ? -0.0 : (x > 20.0 ? x : r);
}
RECT_INLINE double RV(rect_gelu_tanh_der)(double x, const double *p, double *k)
{
    (void)p;
    double vl;
    const double v = RV(rect_gelu_tanh_v)(x, &vl);
#if RECT_FLOAT32_GRADE
    const double vp = RECT_GT_C_HI * (1.0 + 3.0 * RECT_GT_A_HI * x * x);
    const double r = RV(rect_x_sigmoid_der)(x, v, vl, vp, k);
#else
    double xpl;
    const double xph = RV(rect_gt_cubic)(x, RECT_GT_3A_HI, RECT_GT_3A_LO, &xpl);
    const double r = rect_x_sigmoid_der_dd(v, vl, xph, xpl, k);
#endif
    const double t = (x - RECT_ROOT_GELU_TANH_HI) - RECT_ROOT_GELU_TANH_LO;
    const double near = RECT_ROOT_POLY(t, RECT_ROOT_TABLE(gelu_tanh));
    const int tail = x < -30.0, head = x > 20.0, root = fabs(t) < RECT_ROOT_GELU_TANH_R;
    *k = (tail || head || root) ? 0.0 : *k;
    return tail ? 0.0 : (head ? 1.0 : (root ? near : r));
}

/* ---- hardsigmoid, hardswish: piecewise, computed in double (x + 3 and the product are exact
   there for float32 input, so float32 and float16 round once) ------------------------------ */

RECT_INLINE double RV(rect_hardsigmoid_fwd)(double x, const double *p)
{
    (void)p;
    /* float32-grade: x + 3 is exact and the product by 1/6 is within 2^-53 (no double division) */
    const double v = RECT_FLOAT32_GRADE ? (x + 3.0) * (1.0 / 6.0) : (x + 3.0) / 6.0;
    return x <= -3.0 ? 0.0 : (x >= 3.0 ? 1.0 : v);
}
RECT_INLINE double RV(rect_hardsigmoid_der)(double x, const double *p, double *k)
{
    (void)p;
    *k = 0.0;
    return (x > -3.0 && x < 3.0) ? 1.0 / 6.0 : (x != x ? x : 0.0);
}

/* hardswish'(-3) = 0 and hardswish'(3) = 1: the outer pieces (SEMANTICS.md). */
RECT_INLINE double RV(rect_hardswish_fwd)(double x, const double *p)
{
    (void)p;
    const double v = RECT_FLOAT32_GRADE ? x * (x + 3.0) * (1.0 / 6.0) : x * (x + 3.0) / 6.0;
    return x <= -3.0 ? 0.0 : (x >= 3.0 ? x : v);
}
RECT_INLINE double RV(rect_hardswish_der)(double x, const double *p, double *k)
{
    (void)p;
    *k = 0.0;
    const double v = RECT_FLOAT32_GRADE ? (2.0 * x + 3.0) * (1.0 / 6.0) : (2.0 * x + 3.0) / 6.0;
    return x <= -3.0 ? 0.0 : (x >= 3.0 ? 1.0 : v);
}

