/*
 * Table kernels for float32 on AVX-512: softplus and its derivative (sigmoid) for beta = 1,
 * silu's forward (x sigmoid(x)), and mish's three forms, for |x| < 15.5, and gelu's forward,
 * for |x| < 3.875, as piecewise polynomials whose coefficients
 * are looked up per lane with one vpermt2ps each (a 32-entry table in two registers). The
 * polynomial kernels of family_f32_softplus.h build an exp and a log1p per element (~77 vector
 * instructions per 16 lanes for the forward); the table forward is ~30 (single thread, 1e5
 * N(0, 3^2) inputs: the table algorithm 0.37 against the polynomial ufunc's 1.43 ns/elem in one
 * run, the backward 0.53 against 1.07; the ufuncs here later measured 0.39 and 0.61).
 *
 * GCC does not turn a scalar table lookup into vpermt2ps (it loads and inserts lane by lane),
 * so the block kernels use intrinsics, and the scalar kernels are the same steps in float
 * (family_f32_table_lanes.h, written once for both). loops.h's RECT_RUN_*_TABLE run the block
 * kernel over every block of 256 elements, with the full kernel first where a block holds an
 * element outside the table's range; the full kernels (and every strided loop) select the
 * scalar kernel's value wherever the range holds, so results never depend on the layout.
 * Other builds (baseline, AVX2) keep the polynomial kernels.
 *
 * The tables (tables_f32.h, from tools/fit_tables_f32.py): y = -|x| in (-15.5, 0] is split as
 * y = -j/2 + d, |d| <= 1/4, j in [0, 31], and F(y) = hi_j + (lo_j + d P_j(d)), hi_j + lo_j =
 * F(-j/2) to 2^-48, P_j of degree 4 (c1..c5), fitted to 2^-26 relative in F (the worst interval).
 *
 * softplus(x) = max(x, 0) + L(-|x|), L(y) = log1p(e^y) (L >= 1.8e-7 here, a normal float).
 * Error budget for x <= 0 (relative to L, u = 2^-24): the fit 0.23 u; c1's rounding to float
 * (the others' is refitted) |d c1 / L| 2^-25 <= 0.13 u (L'/L <= 1, |d| <= 1/4); the Horner
 * steps' roundings, scaled by |d P / L| <= 0.27: <= 0.2 u; the last FMA's rounding (|lo + d P|
 * <= 0.27 L): <= 0.14 u; the final add 0.5 ulp. Total <= 1.2 ulp. For x > 0 the sum with x
 * rounds once more: <= 0.5 ulp + (L's error, at most 1.2 ulp of L) L / (x + L) <= 1.7 ulp.
 * Measured worst (tools/exhaustive_f32.py through the ufuncs, every 7th float32): softplus
 * 1.165 ulp, its grad 1.238, its backward 1.177 (x = -28: the polynomial kernel's; within the
 * tables' range less), silu 1.681 (x = -91: the polynomial kernel's).
 *
 * g sigmoid(x) = g (A + rest): A = S(y_j) (x < 0) or 1 - S(y_j) (x >= 0) as hi + lo, rest = lo
 * +- d P(d) (the sign of d flips with 1 - S), v = fma(g, hi, g rest). Relative to sigmoid(x)
 * (>= 1.8e-7): the fit 0.25 u, c1 0.13 u, Horner 0.2 u, rest's rounding 0.14 u, g rest's
 * rounding (|rest| <= 0.27 A) 0.14 u, the FMA's rounding 0.5 ulp: <= 1.4 ulp. |g| in
 * [2^-78, 2^100) keeps every product normal (|v| >= 2^-101) and finite; g = +-0 gives g.
 * silu(x) = x sigmoid(x) is that with g = x (so |x| >= 2^-78 or x = +-0 too).
 *
 * mish, and silu's derivative: tables in x itself (T(x) = tanh(softplus(x)) for x < 0 and x > 0
 * are different functions of -|x|, so folding would need two sets of slopes): x = j + d,
 * j = round(x) in [-15, 15] (slot j mod 32), |d| <= 1/2, degree 8 for T (fit 2^-27.8) and 9 for
 * the derivatives (mish' 2^-27.6, silu' 2^-30.0). Each derivative vanishes once (mish' at
 * x0 = -1.19243, silu' at -1.27846): slot -1 is centred at x0h = float32(x0) (d = x - x0h is
 * still exact), so the derivative there is d times a slope, and c1 is a float pair (its
 * rounding would otherwise be the relative error next to the zero).
 * F(c + d) = hi + lo + d c1 + d^2 Q(d). The forward sums hi + d c1 = S + Se exactly (an FMA's
 * residual and 2Sum), so only the small terms round: |d^2 Q| <= 0.18 T (x << 0, where T ~ e^x);
 * x T = fma(x, S, x rest), rest = Se + (lo + d^2 Q): the fit 0.07 u, Q's error and the four
 * roundings of the small terms <= 0.55 u, the FMA 0.5 ulp: <= 1.1 ulp. The derivatives, where
 * |d^2 Q| reaches 0.42 |mish'| and 0.59 |silu'| (the slots next to the zero), also split
 * d (d Q) into a product and its residual and add it to S by 2Sum: only Q's own error (~u)
 * scales with that ratio, the rest is ~u^2, then fma(g, S2, g small) rounds once: <= ~1.2 ulp.
 * (Without these splits, hi + (lo + d P(d)): 1.65 ulp forward and 2.55 backward for mish, at
 * x = -0.49, where |d P| is 1.1 |mish'| (every 97th float32); with the first split only, 1.58
 * backward (every float32).) No range
 * for x's size below 15.5: x rest and g small are either normal or far below an ulp of the
 * result. Measured (tools/exhaustive_f32_cores.c -DTABLE=7, every float32, g ~ N(0, 4^2); a
 * worst point outside the tables' range is the polynomial kernel's): mish forward 1.123 ulp
 * (x = -82.13), grad 1.112 (x = -38.47), backward 1.137 (x = -92.53), where the polynomial
 * kernels alone measured 1.340 / 1.215 / 1.191; silu grad 0.812 (x = -0.5313), backward 0.892
 * (x = -1.5048).
 *
 * gelu's forward: x Phi(x) by the same kernel as mish's (rect_x_tab) with Phi's table at the
 * quarters: x = j/4 + d, j = round(4x) in [-15, 15] (slot j mod 32), |d| <= 1/8, degree 7 (fit
 * 2^-28.3), for |x| < 3.875. Quarters because Phi changes by e^(|x|/4) across a slot of width
 * 1 at x = -4; in these slots |d c1| <= 0.49 Phi and |d^2 Q| <= 0.12 Phi (x = -3.75), within
 * mish's budget: <= 1.1 ulp. Beyond 3.875 (for N(0, 1) inputs, 1e-4 of them: a block of 256
 * holds one 2.7% of the time) the polynomial kernel of family_f32_gelu.h. It cut gelu's
 * forward from 0.81 to 0.51 ns/elem (single thread, 1e5 N(0, 1), min of 3000).
 * Measured worst, every float32 (tools/exhaustive_f32_cores.c -DTABLE=1): see the README.
 * Speed: see the README (`rectifier bench`).
 */
#ifndef RECTIFIER_FAMILY_F32_TABLE_H
#define RECTIFIER_FAMILY_F32_TABLE_H

#if defined(__AVX512F__)

#include <immintrin.h>
#include <stddef.h>

#include "family_f32.h"
#include "tables_f32.h"

/* The range the tables serve (the scalar predicates; the block kernels test the same). */
#define RECT_TAB_XMAX 15.5f
#define RECT_TAB_QMAX 3.875f /* gelu's quarter slots */
#define RECT_TAB_GMIN 0x1p-78f
#define RECT_TAB_GMAX 0x1p100f

RECT_INLINE int rect_tab_x_ok(float x) { return fabsf(x) < RECT_TAB_XMAX; }
RECT_INLINE int rect_tab_q_ok(float x) { return fabsf(x) < RECT_TAB_QMAX; }
RECT_INLINE int rect_tab_g_ok(float g)
{
    const float a = fabsf(g);
    return ((a >= RECT_TAB_GMIN) & (a < RECT_TAB_GMAX)) | (g == 0.0f);
}

/* ---- the scalar kernels ------------------------------------------------------------------ */
#define RT_V float
#define RT_M int
#define RT_I int
#define RT_NAME(n) n##_s
#define RT_SET(c) (c)
#define RT_ADD(a, b) ((a) + (b))
#define RT_SUB(a, b) ((a) - (b))
#define RT_MUL(a, b) ((a) * (b))
#define RT_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#define RT_NEG(a) (-(a))
#define RT_NEGABS(a) (-fabsf(a))
#define RT_MAX0(a) ((a) > 0.0f ? (a) : 0.0f)
#define RT_INDEX(js) ((int)(rect_float_bits(js) & 31u))
#define RT_LOOK(row, j) ((row)[j])
#define RT_LT(a, b) ((a) < (b))
#define RT_GT(a, b) ((a) > (b))
#define RT_EQ(a, b) ((a) == (b))
#define RT_SEL(m, a, b) ((m) ? (a) : (b))

RECT_INLINE uint32_t rect_float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

#include "family_f32_table_lanes.h"

/* ---- the AVX-512 kernels (16 lanes) ----------------------------------------------------- */
#define RT_V __m512
#define RT_M __mmask16
#define RT_I __m512i
#define RT_NAME(n) n##_v
#define RT_SET(c) _mm512_set1_ps(c)
#define RT_ADD(a, b) _mm512_add_ps((a), (b))
#define RT_SUB(a, b) _mm512_sub_ps((a), (b))
#define RT_MUL(a, b) _mm512_mul_ps((a), (b))
#define RT_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define RT_NEG(a) _mm512_xor_ps((a), _mm512_set1_ps(-0.0f))
#define RT_NEGABS(a) _mm512_or_ps((a), _mm512_set1_ps(-0.0f))
#define RT_MAX0(a) _mm512_max_ps((a), _mm512_setzero_ps()) /* max(-0, +0) = +0, as above */
#define RT_INDEX(js) _mm512_castps_si512(js) /* vpermt2ps reads the low 5 bits only */
#define RT_LOOK(row, j) _mm512_permutex2var_ps(_mm512_load_ps(row), (j), _mm512_load_ps((row) + 16))
#define RT_LT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define RT_GT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
#define RT_EQ(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_EQ_OQ)
#define RT_SEL(m, a, b) _mm512_mask_blend_ps((m), (b), (a))

#include "family_f32_table_lanes.h"

RECT_INLINE __mmask16 rect_tab_x_ok_v(__m512 x)
{
    return _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(RECT_TAB_XMAX), _CMP_LT_OQ);
}
RECT_INLINE __mmask16 rect_tab_q_ok_v(__m512 x)
{
    return _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(RECT_TAB_QMAX), _CMP_LT_OQ);
}
RECT_INLINE __mmask16 rect_tab_g_ok_v(__m512 g)
{
    const __m512 a = _mm512_abs_ps(g);
    return (_mm512_cmp_ps_mask(a, _mm512_set1_ps(RECT_TAB_GMIN), _CMP_GE_OQ) &
            _mm512_cmp_ps_mask(a, _mm512_set1_ps(RECT_TAB_GMAX), _CMP_LT_OQ)) |
           _mm512_cmp_ps_mask(g, _mm512_setzero_ps(), _CMP_EQ_OQ);
}

/* The first `left` of 16 lanes (left < 16: a block's last lanes). */
RECT_INLINE __mmask16 rect_tab_tail(ptrdiff_t left) { return (__mmask16)((1u << left) - 1u); }
RECT_INLINE __m512 rect_tab_load(const float *a, int full, __mmask16 tail)
{
    return full ? _mm512_loadu_ps(a) : _mm512_maskz_loadu_ps(tail, a);
}
/* Writes the lanes of ok (all 16 where ok is full: a plain store). */
RECT_INLINE void rect_tab_store(float *a, __mmask16 ok, __m512 v)
{
    if (ok == (__mmask16)0xffff) {
        _mm512_storeu_ps(a, v);
    }
    else {
        _mm512_mask_storeu_ps(a, ok, v);
    }
}

/*
 * ---- softplus (p = beta, threshold) ----
 * The scalar kernels and predicates (the full kernels select them per element), then the block
 * kernels: each step does 16 lanes (full) or a block's last ones (tail), and writes the lanes
 * where the predicate holds; `all` says the caller found it true on the whole block (so the
 * step need not test it). The
 * threshold's select is skipped where no x in range can exceed it (th >= 15.5): the scalar
 * kernels' x > th is false there too, so both give the same bits.
 */
RECT_INLINE int rect_softplus_tab_ok(float x, const float *p)
{
    return (p[0] == 1.0f) & rect_tab_x_ok(x);
}
RECT_INLINE float rect_softplus_tab(float x, const float *p)
{
    return x > p[1] ? x : rect_softplus_tab_s(x);
}
RECT_INLINE int rect_softplus_grad_tab_ok(float x, const float *p)
{
    return rect_softplus_tab_ok(x, p);
}
RECT_INLINE float rect_softplus_grad_tab(float x, const float *p)
{
    return x > p[1] ? 1.0f : rect_sigmoid_tab_s(1.0f, x);
}
RECT_INLINE int rect_softplus_backward_tab_ok(float g, float x, const float *p)
{
    return rect_softplus_tab_ok(x, p) & rect_tab_g_ok(g);
}
RECT_INLINE float rect_softplus_backward_tab(float g, float x, const float *p)
{
    return x > p[1] ? g : rect_sigmoid_tab_s(g, x);
}

/* ---- silu: x sigmoid(x), the sigmoid table with g = x (|x| >= 2^-78 or x = +-0) ---- */
RECT_INLINE int rect_silu_tab_ok(float x, const float *p)
{
    (void)p;
    return rect_tab_x_ok(x) & rect_tab_g_ok(x);
}
RECT_INLINE float rect_silu_tab(float x, const float *p)
{
    (void)p;
    return rect_sigmoid_tab_s(x, x);
}

/* ---- mish: x T(x) and g mish'(x), |x| < 15.5 (no range for g in the forward and grad) ---- */
RECT_INLINE int rect_mish_tab_ok(float x, const float *p)
{
    (void)p;
    return rect_tab_x_ok(x);
}
RECT_INLINE float rect_mish_tab(float x, const float *p)
{
    (void)p;
    return rect_mish_tab_s(x);
}
RECT_INLINE int rect_mish_grad_tab_ok(float x, const float *p) { return rect_mish_tab_ok(x, p); }
RECT_INLINE float rect_mish_grad_tab(float x, const float *p)
{
    (void)p;
    return rect_der_tab_s(rect_tab_mish_der, 1.0f, x);
}
RECT_INLINE int rect_mish_backward_tab_ok(float g, float x, const float *p)
{
    (void)p;
    return rect_tab_x_ok(x) & rect_tab_g_ok(g);
}
RECT_INLINE float rect_mish_backward_tab(float g, float x, const float *p)
{
    (void)p;
    return rect_der_tab_s(rect_tab_mish_der, g, x);
}

/* ---- gelu: x Phi(x), |x| < 3.875 (quarter slots) ---- */
RECT_INLINE int rect_gelu_tab_ok(float x, const float *p)
{
    (void)p;
    return rect_tab_q_ok(x);
}
RECT_INLINE float rect_gelu_tab(float x, const float *p)
{
    (void)p;
    return rect_gelu_tab_s(x);
}

/* ---- silu's derivative: g silu'(x), the same kernel as mish's with silu's table ---- */
RECT_INLINE int rect_silu_grad_tab_ok(float x, const float *p) { return rect_mish_tab_ok(x, p); }
RECT_INLINE float rect_silu_grad_tab(float x, const float *p)
{
    (void)p;
    return rect_der_tab_s(rect_tab_silu_der, 1.0f, x);
}
RECT_INLINE int rect_silu_backward_tab_ok(float g, float x, const float *p)
{
    return rect_mish_backward_tab_ok(g, x, p);
}
RECT_INLINE float rect_silu_backward_tab(float g, float x, const float *p)
{
    (void)p;
    return rect_der_tab_s(rect_tab_silu_der, g, x);
}

RECT_INLINE __m512 rect_tab_over(__m512 v, __m512 x, __m512 th, int thsel, __m512 over)
{
    return thsel ? _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, th, _CMP_GT_OQ), v, over) : v;
}

/* The forms of one input x that the X blocks compute. */
enum {
    RECT_TAB_SOFTPLUS,
    RECT_TAB_SOFTPLUS_GRAD,
    RECT_TAB_SILU,
    RECT_TAB_SILU_GRAD,
    RECT_TAB_MISH,
    RECT_TAB_MISH_GRAD,
    RECT_TAB_GELU
};

/* One step of 16 lanes (full) or of a block's last ones (tail): returns the lanes of tail it
   did not write. */
RECT_INLINE __mmask16 rect_tab_step_x(const float *in, float *out, int full, __mmask16 tail,
                                      int all, int thsel, __m512 th, int kind)
{
    const __m512 x = rect_tab_load(in, full, tail);
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 v;
    __mmask16 ok = tail;
    if (kind == RECT_TAB_SOFTPLUS) {
        v = rect_tab_over(rect_softplus_tab_v(x), x, th, thsel, x);
    }
    else if (kind == RECT_TAB_SOFTPLUS_GRAD) {
        v = rect_tab_over(rect_sigmoid_tab_v(one, x), x, th, thsel, one);
    }
    else if (kind == RECT_TAB_SILU) {
        v = rect_sigmoid_tab_v(x, x);
        ok = all ? ok : ok & rect_tab_g_ok_v(x);
    }
    else if (kind == RECT_TAB_MISH) {
        v = rect_mish_tab_v(x);
    }
    else if (kind == RECT_TAB_GELU) {
        v = rect_gelu_tab_v(x);
    }
    else {
        v = rect_der_tab_v(kind == RECT_TAB_MISH_GRAD ? rect_tab_mish_der : rect_tab_silu_der, one,
                           x);
    }
    ok = all ? ok : ok & (kind == RECT_TAB_GELU ? rect_tab_q_ok_v(x) : rect_tab_x_ok_v(x));
    rect_tab_store(out, ok, v);
    return tail & ~ok;
}
/* A block of m lanes: returns whether it left one unwritten. */
RECT_INLINE int rect_tab_run_x(const float *in, float *out, ptrdiff_t m, int all, float thf,
                               int kind)
{
    const __m512 th = _mm512_set1_ps(thf);
    const int thsel = (kind == RECT_TAB_SOFTPLUS || kind == RECT_TAB_SOFTPLUS_GRAD) &&
                      !(thf >= RECT_TAB_XMAX);
    __mmask16 left = 0;
    ptrdiff_t i = 0;
    for (; i + 16 <= m; i += 16) {
        left |= rect_tab_step_x(in + i, out + i, 1, 0xffff, all, thsel, th, kind);
    }
    if (i < m) {
        left |= rect_tab_step_x(in + i, out + i, 0, rect_tab_tail(m - i), all, thsel, th, kind);
    }
    return left != 0;
}
/* The block kernels: return whether they left a lane unwritten (softplus with beta != 1: all
   of them). */
static int rect_softplus_tab_block(const float *in, float *out, ptrdiff_t m, const float *p,
                                   int all)
{
    return p[0] != 1.0f || rect_tab_run_x(in, out, m, all, p[1], RECT_TAB_SOFTPLUS);
}
static int rect_softplus_grad_tab_block(const float *in, float *out, ptrdiff_t m, const float *p,
                                        int all)
{
    return p[0] != 1.0f || rect_tab_run_x(in, out, m, all, p[1], RECT_TAB_SOFTPLUS_GRAD);
}
static int rect_silu_tab_block(const float *in, float *out, ptrdiff_t m, const float *p, int all)
{
    (void)p;
    return rect_tab_run_x(in, out, m, all, 0.0f, RECT_TAB_SILU);
}
static int rect_mish_tab_block(const float *in, float *out, ptrdiff_t m, const float *p, int all)
{
    (void)p;
    return rect_tab_run_x(in, out, m, all, 0.0f, RECT_TAB_MISH);
}
static int rect_gelu_tab_block(const float *in, float *out, ptrdiff_t m, const float *p, int all)
{
    (void)p;
    return rect_tab_run_x(in, out, m, all, 0.0f, RECT_TAB_GELU);
}
static int rect_silu_grad_tab_block(const float *in, float *out, ptrdiff_t m, const float *p,
                                    int all)
{
    (void)p;
    return rect_tab_run_x(in, out, m, all, 0.0f, RECT_TAB_SILU_GRAD);
}
static int rect_mish_grad_tab_block(const float *in, float *out, ptrdiff_t m, const float *p,
                                    int all)
{
    (void)p;
    return rect_tab_run_x(in, out, m, all, 0.0f, RECT_TAB_MISH_GRAD);
}

/* The backward forms (g, x): softplus's (thsel: the threshold's select), silu's or mish's. */
RECT_INLINE __mmask16 rect_tab_step_gx(const float *g, const float *in, float *out, int full,
                                       __mmask16 tail, int all, int thsel, __m512 th, int kind)
{
    const __m512 x = rect_tab_load(in, full, tail);
    const __m512 gv = rect_tab_load(g, full, tail);
    __m512 v;
    if (kind == RECT_TAB_SOFTPLUS) {
        v = rect_tab_over(rect_sigmoid_tab_v(gv, x), x, th, thsel, gv);
    }
    else {
        v = rect_der_tab_v(kind == RECT_TAB_MISH ? rect_tab_mish_der : rect_tab_silu_der, gv, x);
    }
    const __mmask16 ok = all ? tail : tail & rect_tab_x_ok_v(x) & rect_tab_g_ok_v(gv);
    rect_tab_store(out, ok, v);
    return tail & ~ok;
}
RECT_INLINE int rect_tab_run_gx(const float *g, const float *in, float *out, ptrdiff_t m,
                                int all, float thf, int kind)
{
    const __m512 th = _mm512_set1_ps(thf);
    const int thsel = kind == RECT_TAB_SOFTPLUS && !(thf >= RECT_TAB_XMAX);
    __mmask16 left = 0;
    ptrdiff_t i = 0;
    for (; i + 16 <= m; i += 16) {
        left |= rect_tab_step_gx(g + i, in + i, out + i, 1, 0xffff, all, thsel, th, kind);
    }
    if (i < m) {
        left |= rect_tab_step_gx(g + i, in + i, out + i, 0, rect_tab_tail(m - i), all, thsel, th,
                                 kind);
    }
    return left != 0;
}
static int rect_softplus_backward_tab_block(const float *g, const float *in, float *out,
                                            ptrdiff_t m, const float *p, int all)
{
    return p[0] != 1.0f || rect_tab_run_gx(g, in, out, m, all, p[1], RECT_TAB_SOFTPLUS);
}
static int rect_silu_backward_tab_block(const float *g, const float *in, float *out, ptrdiff_t m,
                                        const float *p, int all)
{
    (void)p;
    return rect_tab_run_gx(g, in, out, m, all, 0.0f, RECT_TAB_SILU);
}
static int rect_mish_backward_tab_block(const float *g, const float *in, float *out, ptrdiff_t m,
                                        const float *p, int all)
{
    (void)p;
    return rect_tab_run_gx(g, in, out, m, all, 0.0f, RECT_TAB_MISH);
}

#endif /* __AVX512F__ */
#endif
