/*
 * Instantiates every inner loop for one SIMD target. meson compiles this file once per target
 * with that target's flags and RECT_TARGET set to its name; nothing here is target-specific
 * source, the compiler's auto-vectoriser does the work on the contiguous branches.
 */
#include "kernels.h"
#include "family.h"
#include "family_f32.h"
#include "family_f32_exp.h"
#include "family_f32_fast.h"
#include "family_f32_gelu.h"
#include "family_f32_mish.h"
#include "family_f32_silu.h"
#include "family_f32_softplus.h"
#include "family_f32_table.h"
#include "linear.h"
#include "loops.h"

#ifndef RECT_TARGET
#error "RECT_TARGET must name the SIMD target (baseline, avx2, avx512)"
#endif
#define RECT_CAT_(a, b) a##b
#define RECT_CAT(a, b) RECT_CAT_(a, b)
#define RECT_STR_(a) #a
#define RECT_STR(a) RECT_STR_(a)

/*
 * The smooth members: each dtype's three kernels from the double cores of family.h. float32 and
 * float16 are widened to double, computed, and rounded once (float16 through float32).
 * The backward pass forms grad * v * 2^k with one rounding, and is 0 where f'(x) is 0 (a select).
 */
RECT_INLINE double rect_der_value(double v, double k) { return rect_ldexp_hi(v, k); }
RECT_INLINE double rect_backward_value(double g, double v, double k)
{
    /* g * v can overflow where g * v * 2^k does not (|g| near DBL_MAX, v up to ~4, k < 0), and
       be subnormal, so already rounded, where g * v * 2^k is normal (a subnormal g, k > 0):
       then g is scaled by 2^-64 or 2^64 first (exact there) and the 64 folded into k. */
    const double agv = fabs(g * v);
    const double s = !(agv <= 1.7976931348623157e308) ? 0x1p-64 : (agv < 0x1p-960 ? 0x1p64 : 1.0);
    const double ks = s == 1.0 ? 0.0 : (s < 1.0 ? 64.0 : -64.0);
    return rect_ldexp_hi(v, k) == 0.0 ? 0.0 : rect_ldexp_hi((g * s) * v, k + ks);
}
RECT_INLINE double rect_der_value_lo(double v, double k) { return rect_ldexp_lo(v, k); }
/* Below 2^-280, g * f'(x) rounds to 0 in float32 for every finite g (|g| < 2^128), so f'(x) is
   taken as 0 and the select masks a NaN or inf in g. (The float32-grade exp clamps its argument
   at -700, so in the far tail d is a spurious ~2^-1010, not 0.) */
RECT_INLINE double rect_backward_value_lo(double g, double v, double k)
{
    const double d = rect_ldexp_lo(v, k);
    return fabs(d) < 0x1p-280 ? 0.0 : g * d; /* rounded in double, then once more to float32 */
}

#define RK_SMOOTH(NAME, K, FWD, DER)                                                            \
    RECT_INLINE npy_double rk_##NAME##_d(npy_double x, const npy_double *p)                   \
    {                                                                                           \
        return rect_##NAME##_fwd_hi(x, p);                                                      \
    }                                                                                           \
    RECT_INLINE npy_double rk_##NAME##_grad_d(npy_double x, const npy_double *p)              \
    {                                                                                           \
        double k;                                                                               \
        const double v = rect_##NAME##_der_hi(x, p, &k);                                        \
        return rect_der_value(v, k);                                                            \
    }                                                                                           \
    RECT_INLINE npy_double rk_##NAME##_backward_d(npy_double g, npy_double x,                 \
                                                    const npy_double *p)                        \
    {                                                                                           \
        double k;                                                                               \
        const double v = rect_##NAME##_der_hi(x, p, &k);                                        \
        return rect_backward_value(g, v, k);                                                    \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_fd(npy_float x, const npy_float *p)                     \
    {                                                                                           \
        double pd[(K) + 1];                                                                     \
        for (int j = 0; j < (K); j++) {                                                         \
            pd[j] = p[j];                                                                       \
        }                                                                                       \
        return (npy_float)rect_##NAME##_fwd_lo(x, pd);                                          \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_grad_fd(npy_float x, const npy_float *p)                \
    {                                                                                           \
        double pd[(K) + 1], k;                                                                  \
        for (int j = 0; j < (K); j++) {                                                         \
            pd[j] = p[j];                                                                       \
        }                                                                                       \
        const double v = rect_##NAME##_der_lo(x, pd, &k);                                       \
        return (npy_float)rect_der_value_lo(v, k);                                              \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_backward_fd(npy_float g, npy_float x,                   \
                                                    const npy_float *p)                         \
    {                                                                                           \
        double pd[(K) + 1], k;                                                                  \
        for (int j = 0; j < (K); j++) {                                                         \
            pd[j] = p[j];                                                                       \
        }                                                                                       \
        const double v = rect_##NAME##_der_lo(x, pd, &k);                                       \
        return (npy_float)rect_backward_value_lo(g, v, k);                                      \
    }                                                                                           \
    RK_FWD_F_##FWD(NAME)                                                                        \
    RK_DER_F_##DER(NAME)                                                                        \
    RK_HALF_X_VIA(NAME, NAME##_fd, K)                                                           \
    RK_HALF_X_VIA(NAME##_grad, NAME##_grad_fd, K)                                               \
    RK_HALF_GX_VIA(NAME##_backward, NAME##_backward_fd, K)

/* The float32 kernels: from the double cores (D) or from the float-lane cores (F32: family_f32.h
   and the headers it includes, rect_NAME_f32, rect_NAME_grad_f32, rect_NAME_backward_f32).
   float16 always takes the double cores (rk_NAME_fd, ..._grad_fd, ..._backward_fd): its
   correct rounding needs their margin (family_f32.h).
   DER = F32_FAST: F32 plus a fast path for the backward (loops.h's RECT_RUN_*_SPLIT):
   rect_NAME_backward_fast_ok_f32 and rect_NAME_backward_fast_f32, in family_f32_fast.h (gelu's and
   mish's: family_f32_gelu.h, family_f32_mish.h). The kernel the other blocks and layouts run then takes the fast path's
   value on its lanes too (a select), so an element's result never depends on its neighbours,
   on the layout or on the thread count. Every other float32 kernel gets the trivial pair (OK always holds, FAST is the
   kernel itself), which the compiler reduces to one loop of the kernel. */
#define RK_NO_FAST_X(F)                                                                         \
    RECT_INLINE int F##_ok(npy_float x, const npy_float *p)                                     \
    {                                                                                           \
        (void)x, (void)p;                                                                       \
        return 1;                                                                               \
    }                                                                                           \
    RECT_INLINE npy_float F##_fast(npy_float x, const npy_float *p) { return F(x, p); }
#define RK_NO_FAST_GX(F)                                                                        \
    RECT_INLINE int F##_ok(npy_float g, npy_float x, const npy_float *p)                        \
    {                                                                                           \
        (void)g, (void)x, (void)p;                                                              \
        return 1;                                                                               \
    }                                                                                           \
    RECT_INLINE npy_float F##_fast(npy_float g, npy_float x, const npy_float *p)                \
    {                                                                                           \
        return F(g, x, p);                                                                      \
    }
#define RK_FWD_F_D(NAME)                                                                        \
    RECT_INLINE npy_float rk_##NAME##_f(npy_float x, const npy_float *p)                      \
    {                                                                                           \
        return rk_##NAME##_fd(x, p);                                                            \
    }                                                                                           \
    RK_NO_FAST_X(rk_##NAME##_f)
#define RK_FWD_F_F32(NAME)                                                                      \
    RECT_INLINE npy_float rk_##NAME##_f(npy_float x, const npy_float *p)                      \
    {                                                                                           \
        return rect_##NAME##_f32(x, p);                                                         \
    }                                                                                           \
    RK_NO_FAST_X(rk_##NAME##_f)
/* FWD = F32_FAST: F32 plus a fast path for the forward, as DER = F32_FAST for the backward:
   rect_NAME_fast_ok_f32 and rect_NAME_fast_f32 (in the function's own header). */
#define RK_FWD_F_F32_FAST(NAME)                                                                 \
    RECT_INLINE int rk_##NAME##_f_ok(npy_float x, const npy_float *p)                          \
    {                                                                                           \
        return rect_##NAME##_fast_ok_f32(x, p);                                                 \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_f_fast(npy_float x, const npy_float *p)                  \
    {                                                                                           \
        return rect_##NAME##_fast_f32(x, p);                                                    \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_f(npy_float x, const npy_float *p)                       \
    {                                                                                           \
        const npy_float full = rect_##NAME##_f32(x, p);                                         \
        return rk_##NAME##_f_ok(x, p) ? rk_##NAME##_f_fast(x, p) : full;                        \
    }
#define RK_DER_F_D(NAME)                                                                        \
    RECT_INLINE npy_float rk_##NAME##_grad_f(npy_float x, const npy_float *p)                 \
    {                                                                                           \
        return rk_##NAME##_grad_fd(x, p);                                                       \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_backward_f(npy_float g, npy_float x, const npy_float *p) \
    {                                                                                           \
        return rk_##NAME##_backward_fd(g, x, p);                                                \
    }                                                                                           \
    RK_NO_FAST_X(rk_##NAME##_grad_f)                                                            \
    RK_NO_FAST_GX(rk_##NAME##_backward_f)
#define RK_DER_F_F32_GRAD(NAME)                                                                 \
    RECT_INLINE npy_float rk_##NAME##_grad_f(npy_float x, const npy_float *p)                 \
    {                                                                                           \
        return rect_##NAME##_grad_f32(x, p);                                                    \
    }                                                                                           \
    RK_NO_FAST_X(rk_##NAME##_grad_f)
#define RK_DER_F_F32(NAME)                                                                      \
    RK_DER_F_F32_GRAD(NAME)                                                                     \
    RECT_INLINE npy_float rk_##NAME##_backward_f(npy_float g, npy_float x, const npy_float *p) \
    {                                                                                           \
        return rect_##NAME##_backward_f32(g, x, p);                                             \
    }                                                                                           \
    RK_NO_FAST_GX(rk_##NAME##_backward_f)
#define RK_DER_F_F32_FAST(NAME)                                                                 \
    RK_DER_F_F32_GRAD(NAME)                                                                     \
    RECT_INLINE int rk_##NAME##_backward_f_ok(npy_float g, npy_float x, const npy_float *p)   \
    {                                                                                           \
        return rect_##NAME##_backward_fast_ok_f32(g, x, p);                                     \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_backward_f_fast(npy_float g, npy_float x,               \
                                                      const npy_float *p)                       \
    {                                                                                           \
        return rect_##NAME##_backward_fast_f32(g, x, p);                                        \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_backward_f(npy_float g, npy_float x, const npy_float *p) \
    {                                                                                           \
        const npy_float full = rect_##NAME##_backward_f32(g, x, p);                             \
        return rk_##NAME##_backward_f_ok(g, x, p) ? rk_##NAME##_backward_f_fast(g, x, p) : full; \
    }

RK_SMOOTH(elu, 1, D, F32_FAST)
RK_SMOOTH(selu, 0, D, F32_FAST)
RK_SMOOTH(celu, 1, D, F32)
RK_SMOOTH(gelu, 0, F32, F32_FAST)
RK_SMOOTH(gelu_tanh, 0, D, D)
RK_SMOOTH(silu, 0, F32, F32)
RK_SMOOTH(mish, 0, F32_FAST, F32_FAST)
RK_SMOOTH(softplus, 2, F32, F32_FAST)
RK_SMOOTH(hardsigmoid, 0, F32, F32)
RK_SMOOTH(hardswish, 0, F32, F32)

/* softplus (beta = 1), silu and mish on AVX-512, |x| < 15.5, and gelu's forward, |x| < 3.875:
   the table kernels of family_f32_table.h, the kernels above elsewhere. rk_NAME_tf selects per
   element (the strided loops run it, and the contiguous loops' blocks that hold an element
   outside the tables' range, through loops.h's RECT_RUN_*_TABLE); rk_NAME_tf_full is the
   kernel without them. */
#if defined(__AVX512F__)
#define RK_TABLE_X(NAME)                                                                        \
    RECT_INLINE int rk_##NAME##_tf_ok(npy_float x, const npy_float *p)                         \
    {                                                                                           \
        return rect_##NAME##_tab_ok(x, p);                                                      \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_tf_full(npy_float x, const npy_float *p)                 \
    {                                                                                           \
        return rk_##NAME##_f(x, p);                                                             \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_tf(npy_float x, const npy_float *p)                      \
    {                                                                                           \
        const npy_float full = rk_##NAME##_f(x, p);                                             \
        return rk_##NAME##_tf_ok(x, p) ? rect_##NAME##_tab(x, p) : full;                        \
    }
#define RK_TABLE_GX(NAME)                                                                       \
    RECT_INLINE int rk_##NAME##_tf_ok(npy_float g, npy_float x, const npy_float *p)            \
    {                                                                                           \
        return rect_##NAME##_tab_ok(g, x, p);                                                   \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_tf_full(npy_float g, npy_float x, const npy_float *p)    \
    {                                                                                           \
        return rk_##NAME##_f(g, x, p);                                                          \
    }                                                                                           \
    RECT_INLINE npy_float rk_##NAME##_tf(npy_float g, npy_float x, const npy_float *p)         \
    {                                                                                           \
        const npy_float full = rk_##NAME##_f(g, x, p);                                          \
        return rk_##NAME##_tf_ok(g, x, p) ? rect_##NAME##_tab(g, x, p) : full;                  \
    }
RK_TABLE_X(softplus)
RK_TABLE_X(silu)
RK_TABLE_X(softplus_grad)
RK_TABLE_GX(softplus_backward)
RK_TABLE_X(silu_grad)
RK_TABLE_GX(silu_backward)
RK_TABLE_X(mish)
RK_TABLE_X(mish_grad)
RK_TABLE_X(gelu)
RK_TABLE_GX(mish_backward)
#endif
RK_SMOOTH(sigmoid, 0, D, D)
RK_SMOOTH(tanh, 0, D, D)

/* ---- the loops, from the list in ufuncs.h ------------------------------------------------ */

#define RECT_LOOP_A1 RECT_LOOP_X
#define RECT_LOOP_A2 RECT_LOOP_GX
#define RECT_LOOPS_FLOATS(NAME, A, K)                                                           \
    RECT_LOOP_A##A(loop_##NAME##_e, npy_uint16, K, rk_##NAME##_e)                               \
    RECT_LOOP_A##A(loop_##NAME##_f, npy_float, K, rk_##NAME##_f)                                \
    RECT_LOOP_A##A(loop_##NAME##_d, npy_double, K, rk_##NAME##_d)
/* The smooth members' float32 loops take their kernel's fast path where it has one (above). */
#define RECT_LOOP_SPLIT_A1(NAME, K, FN)                                                         \
    RECT_LOOP_X_WITH(NAME, npy_float, K, FN, RECT_RUN_X_SPLIT, FN##_ok, FN##_fast)
#define RECT_LOOP_SPLIT_A2(NAME, K, FN)                                                         \
    RECT_LOOP_GX_WITH(NAME, npy_float, K, FN, RECT_RUN_GX_SPLIT, FN##_ok, FN##_fast)
#define RECT_LOOPS_FLOATS_SMOOTH(NAME, A, K)                                                    \
    RECT_LOOP_A##A(loop_##NAME##_e, npy_uint16, K, rk_##NAME##_e)                               \
    RECT_LOOP_SPLIT_A##A(loop_##NAME##_f, K, rk_##NAME##_f)                                     \
    RECT_LOOP_A##A(loop_##NAME##_d, npy_double, K, rk_##NAME##_d)
/* The members with table kernels (above) run them on AVX-512; other builds as the smooth ones. */
#if defined(__AVX512F__)
#define RECT_LOOP_TABLE_A1(NAME, K, FN)                                                         \
    RECT_LOOP_X_WITH(loop_##NAME##_f, npy_float, K, rk_##NAME##_tf, RECT_RUN_X_TABLE,           \
                     rk_##NAME##_tf_ok, rect_##NAME##_tab)
#define RECT_LOOP_TABLE_A2(NAME, K, FN)                                                         \
    RECT_LOOP_GX_WITH(loop_##NAME##_f, npy_float, K, rk_##NAME##_tf, RECT_RUN_GX_TABLE,         \
                      rk_##NAME##_tf_ok, rect_##NAME##_tab)
#define RECT_LOOPS_FLOATS_TABLE(NAME, A, K)                                                     \
    RECT_LOOP_A##A(loop_##NAME##_e, npy_uint16, K, rk_##NAME##_e)                               \
    RECT_LOOP_TABLE_A##A(NAME, K, rk_##NAME##_f)                                                \
    RECT_LOOP_A##A(loop_##NAME##_d, npy_double, K, rk_##NAME##_d)
#else
#define RECT_LOOPS_FLOATS_TABLE(NAME, A, K) RECT_LOOPS_FLOATS_SMOOTH(NAME, A, K)
#endif
#define RECT_LOOPS_FLOATS_CHEAP(NAME, A, K) RECT_LOOPS_FLOATS(NAME, A, K)
#define RECT_LOOPS_INTS_CHEAP(NAME, A, K) RECT_LOOPS_INTS(NAME, A, K)
#define RECT_LOOPS_INTS(NAME, A, K)                                                             \
    RECT_LOOPS_FLOATS(NAME, A, K)                                                               \
    RECT_LOOP_A##A(loop_##NAME##_b, npy_byte, K, rk_##NAME##_b)                                 \
    RECT_LOOP_A##A(loop_##NAME##_B, npy_ubyte, K, rk_##NAME##_B)                                \
    RECT_LOOP_A##A(loop_##NAME##_h, npy_short, K, rk_##NAME##_h)                                \
    RECT_LOOP_A##A(loop_##NAME##_H, npy_ushort, K, rk_##NAME##_H)                               \
    RECT_LOOP_A##A(loop_##NAME##_i, npy_int, K, rk_##NAME##_i)                                  \
    RECT_LOOP_A##A(loop_##NAME##_I, npy_uint, K, rk_##NAME##_I)                                 \
    RECT_LOOP_A##A(loop_##NAME##_l, npy_long, K, rk_##NAME##_l)                                 \
    RECT_LOOP_A##A(loop_##NAME##_L, npy_ulong, K, rk_##NAME##_L)                                \
    RECT_LOOP_A##A(loop_##NAME##_q, npy_longlong, K, rk_##NAME##_q)                             \
    RECT_LOOP_A##A(loop_##NAME##_Q, npy_ulonglong, K, rk_##NAME##_Q)

#define RECT_X_LOOPS(NAME, A, K, TYPES, PAR, DOC) RECT_LOOPS_##TYPES##_##PAR(NAME, A, K)
RECT_UFUNC_LIST(RECT_X_LOOPS)
#undef RECT_X_LOOPS

/* Order must match the type lists in module.c: b B h H i I l L q Q, then e f d. */
#define RECT_ROW_FLOATS(NAME) {loop_##NAME##_e, loop_##NAME##_f, loop_##NAME##_d}
#define RECT_ROW_INTS(NAME)                                                                     \
    {loop_##NAME##_b, loop_##NAME##_B, loop_##NAME##_h, loop_##NAME##_H, loop_##NAME##_i,       \
     loop_##NAME##_I, loop_##NAME##_l, loop_##NAME##_L, loop_##NAME##_q, loop_##NAME##_Q,       \
     loop_##NAME##_e, loop_##NAME##_f, loop_##NAME##_d}
#define RECT_X_ROW(NAME, A, K, TYPES, PAR, DOC) [RECT_ID_##NAME] = RECT_ROW_##TYPES(NAME),

const rect_kernel_table RECT_CAT(rect_kernels_, RECT_TARGET) = {
    .target = RECT_STR(RECT_TARGET),
    .loops = {RECT_UFUNC_LIST(RECT_X_ROW)},
};
