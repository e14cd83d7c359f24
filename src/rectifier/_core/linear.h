/*
 * The piecewise-linear members (and squared_relu), in each dtype's own arithmetic: their values
 * are exact, or one correctly rounded product (leaky_relu, prelu, rrelu: x times the slope
 * rounded to the dtype, as in PyTorch). float16 computes in float32, where the product of two
 * float16 values is exact, and rounds once.
 *
 * Kernel signature, shared with family.h's wrappers: rk_NAME_S(x, p) and rk_NAME_S(g, x, p),
 * S the dtype letter (e, f, d, then b B h H i I l L q Q), p the parameters in that dtype.
 * Derivatives at kinks take the outer piece's value (SEMANTICS.md); backward passes are selects.
 */
#ifndef RECTIFIER_LINEAR_H
#define RECTIFIER_LINEAR_H

#include "half.h"
#include "mathfun.h"
#include "relu.h"

/* ---- relu: the lead's kernels (relu.h), in the common signature -------------------------- */

#define RK_RELU(S, T) \
    RECT_INLINE T rk_relu_##S(T x, const T *p) { (void)p; return rect_relu_##S(x); }
RK_RELU(e, npy_uint16)
RK_RELU(f, npy_float)
RK_RELU(d, npy_double)
RK_RELU(b, npy_byte)
RK_RELU(B, npy_ubyte)
RK_RELU(h, npy_short)
RK_RELU(H, npy_ushort)
RK_RELU(i, npy_int)
RK_RELU(I, npy_uint)
RK_RELU(l, npy_long)
RK_RELU(L, npy_ulong)
RK_RELU(q, npy_longlong)
RK_RELU(Q, npy_ulonglong)

#define RK_RELU_D(S, T)                                                                         \
    RECT_INLINE T rk_relu_grad_##S(T x, const T *p) { return rect_relu_grad_##S(x, p[0]); }  \
    RECT_INLINE T rk_relu_backward_##S(T g, T x, const T *p)                                  \
    {                                                                                           \
        return rect_relu_backward_##S(g, x, p[0]);                                              \
    }
RK_RELU_D(e, npy_uint16)
RK_RELU_D(f, npy_float)
RK_RELU_D(d, npy_double)

/* ---- float16 through float32 ------------------------------------------------------------ */

#define RK_HALF_X(NAME, K) RK_HALF_X_VIA(NAME, NAME##_f, K)
/* float16 NAME through the float kernel rk_FN: rk_NAME_f, or the smooth functions' double-core
   float path. */
#define RK_HALF_X_VIA(NAME, FN, K)                                                              \
    RECT_INLINE npy_uint16 rk_##NAME##_e(npy_uint16 x, const npy_uint16 *p)                   \
    {                                                                                           \
        float pf[(K) + 1];                                                                      \
        for (int k = 0; k < (K); k++) {                                                         \
            pf[k] = rect_h2f(p[k]);                                                             \
        }                                                                                       \
        return rect_f2h(rk_##FN(rect_h2f(x), pf));                                              \
    }
#define RK_HALF_GX(NAME, K) RK_HALF_GX_VIA(NAME, NAME##_f, K)
#define RK_HALF_GX_VIA(NAME, FN, K)                                                             \
    RECT_INLINE npy_uint16 rk_##NAME##_e(npy_uint16 g, npy_uint16 x, const npy_uint16 *p)     \
    {                                                                                           \
        float pf[(K) + 1];                                                                      \
        for (int k = 0; k < (K); k++) {                                                         \
            pf[k] = rect_h2f(p[k]);                                                             \
        }                                                                                       \
        return rect_f2h(rk_##FN(rect_h2f(g), rect_h2f(x), pf));                                 \
    }

/* ---- leaky_relu (and prelu, whose slope is an array) ------------------------------------- */

/* A zero slope gives 0 at -inf (the limit), not -inf * 0. */
#define RK_LEAKY(S, T)                                                                          \
    RECT_INLINE T rk_leaky_relu_##S(T x, const T *p)                                          \
    {                                                                                           \
        const T s = p[0];                                                                       \
        return (x > 0 || x != x) ? x : (s == 0 ? (T)0 : x * s);                                 \
    }                                                                                           \
    RECT_INLINE T rk_leaky_relu_grad_##S(T x, const T *p)                                     \
    {                                                                                           \
        return x > 0 ? (T)1 : (x != x ? x : p[0]);                                              \
    }                                                                                           \
    RECT_INLINE T rk_leaky_relu_backward_##S(T g, T x, const T *p)                            \
    {                                                                                           \
        const T s = p[0];                                                                       \
        return x > 0 ? g : (x != x ? x : (s == 0 ? (T)0 : g * s));                              \
    }
RK_LEAKY(f, npy_float)
RK_LEAKY(d, npy_double)
RK_HALF_X(leaky_relu, 1)
RK_HALF_X(leaky_relu_grad, 1)
RK_HALF_GX(leaky_relu_backward, 1)

#define rk_prelu_e rk_leaky_relu_e
#define rk_prelu_f rk_leaky_relu_f
#define rk_prelu_d rk_leaky_relu_d
#define rk_prelu_grad_e rk_leaky_relu_grad_e
#define rk_prelu_grad_f rk_leaky_relu_grad_f
#define rk_prelu_grad_d rk_leaky_relu_grad_d
#define rk_prelu_backward_e rk_leaky_relu_backward_e
#define rk_prelu_backward_f rk_leaky_relu_backward_f
#define rk_prelu_backward_d rk_leaky_relu_backward_d

/* ---- rrelu (evaluation mode): slope (lower + upper) / 2, rounded to the dtype ------------ */

#define RK_RRELU(S, T, SLOPE)                                                                   \
    RECT_INLINE T rk_rrelu_##S(T x, const T *p)                                               \
    {                                                                                           \
        const T s[1] = {SLOPE};                                                                 \
        return rk_leaky_relu_##S(x, s);                                                         \
    }                                                                                           \
    RECT_INLINE T rk_rrelu_grad_##S(T x, const T *p)                                          \
    {                                                                                           \
        const T s[1] = {SLOPE};                                                                 \
        return rk_leaky_relu_grad_##S(x, s);                                                    \
    }                                                                                           \
    RECT_INLINE T rk_rrelu_backward_##S(T g, T x, const T *p)                                 \
    {                                                                                           \
        const T s[1] = {SLOPE};                                                                 \
        return rk_leaky_relu_backward_##S(g, x, s);                                             \
    }
RK_RRELU(f, npy_float, (npy_float)(((double)p[0] + (double)p[1]) * 0.5))
/* (lower + upper) / 2 rounded once; halving first only where the sum overflows (halving two
   subnormals first would round each: 5e-324 and 5e-324 gave 0). */
RK_RRELU(d, npy_double,
         (fabs(p[0] + p[1]) <= 1.7976931348623157e308 ? (p[0] + p[1]) * 0.5
                                                      : p[0] * 0.5 + p[1] * 0.5))
RK_RRELU(e, npy_uint16,
         rect_f2h((float)(((double)rect_h2f(p[0]) + (double)rect_h2f(p[1])) * 0.5)))

/* ---- relu6, hardtanh, threshold: exact in every dtype, integers included ---------------- */

#define RK_CLIPS(S, T)                                                                          \
    RECT_INLINE T rk_relu6_##S(T x, const T *p)                                               \
    {                                                                                           \
        (void)p;                                                                                \
        return x > 0 ? (x < 6 ? x : (T)6) : (x != x ? x : (T)0);                                \
    }                                                                                           \
    RECT_INLINE T rk_hardtanh_##S(T x, const T *p)                                            \
    {                                                                                           \
        return x < p[0] ? p[0] : (x > p[1] ? p[1] : x);                                         \
    }                                                                                           \
    RECT_INLINE T rk_threshold_##S(T x, const T *p)                                           \
    {                                                                                           \
        return x > p[0] ? x : (x != x ? x : p[1]);                                              \
    }                                                                                           \
    RECT_INLINE T rk_squared_relu_##S(T x, const T *p)                                        \
    {                                                                                           \
        (void)p;                                                                                \
        return x > 0 ? x * x : (x != x ? x : (T)0);                                             \
    }
RK_CLIPS(f, npy_float)
RK_CLIPS(d, npy_double)
/* Integers: x != x is false, and squaring wraps modulo 2^bits as np.square does (computed
   unsigned: signed overflow is undefined in C). */
/* (S is pasted directly, never passed on: the suffix I is also <complex.h>'s macro.) */
#define RK_CLIPS_INT(S, T)                                                                      \
    RECT_INLINE T rk_relu6_##S(T x, const T *p)                                               \
    {                                                                                           \
        (void)p;                                                                                \
        return x > 0 ? (x < 6 ? x : (T)6) : (T)0;                                               \
    }                                                                                           \
    RECT_INLINE T rk_hardtanh_##S(T x, const T *p)                                            \
    {                                                                                           \
        return x < p[0] ? p[0] : (x > p[1] ? p[1] : x);                                         \
    }                                                                                           \
    RECT_INLINE T rk_threshold_##S(T x, const T *p) { return x > p[0] ? x : p[1]; }           \
    RECT_INLINE T rk_squared_relu_##S(T x, const T *p)                                        \
    {                                                                                           \
        (void)p;                                                                                \
        return x > 0 ? (T)((npy_ulonglong)x * (npy_ulonglong)x) : (T)0;                         \
    }
RK_CLIPS_INT(b, npy_byte)
RK_CLIPS_INT(B, npy_ubyte)
RK_CLIPS_INT(h, npy_short)
RK_CLIPS_INT(H, npy_ushort)
RK_CLIPS_INT(i, npy_int)
RK_CLIPS_INT(I, npy_uint)
RK_CLIPS_INT(l, npy_long)
RK_CLIPS_INT(L, npy_ulong)
RK_CLIPS_INT(q, npy_longlong)
RK_CLIPS_INT(Q, npy_ulonglong)
RK_HALF_X(relu6, 0)
RK_HALF_X(hardtanh, 2)
RK_HALF_X(threshold, 2)
RK_HALF_X(squared_relu, 0)

/* Derivatives: 1 (or 2x) strictly inside the linear piece, 0 at the kinks and outside. */
#define RK_CLIPS_D(S, T)                                                                        \
    RECT_INLINE T rk_relu6_grad_##S(T x, const T *p)                                          \
    {                                                                                           \
        (void)p;                                                                                \
        return (x > 0 && x < 6) ? (T)1 : (x != x ? x : (T)0);                                   \
    }                                                                                           \
    RECT_INLINE T rk_relu6_backward_##S(T g, T x, const T *p)                                 \
    {                                                                                           \
        (void)p;                                                                                \
        return (x > 0 && x < 6) ? g : (x != x ? x : (T)0);                                      \
    }                                                                                           \
    RECT_INLINE T rk_hardtanh_grad_##S(T x, const T *p)                                       \
    {                                                                                           \
        return (x > p[0] && x < p[1]) ? (T)1 : (x != x ? x : (T)0);                             \
    }                                                                                           \
    RECT_INLINE T rk_hardtanh_backward_##S(T g, T x, const T *p)                              \
    {                                                                                           \
        return (x > p[0] && x < p[1]) ? g : (x != x ? x : (T)0);                                \
    }                                                                                           \
    RECT_INLINE T rk_threshold_grad_##S(T x, const T *p)                                      \
    {                                                                                           \
        return x > p[0] ? (T)1 : (x != x ? x : (T)0);                                           \
    }                                                                                           \
    RECT_INLINE T rk_threshold_backward_##S(T g, T x, const T *p)                             \
    {                                                                                           \
        return x > p[0] ? g : (x != x ? x : (T)0);                                              \
    }                                                                                           \
    RECT_INLINE T rk_squared_relu_grad_##S(T x, const T *p)                                   \
    {                                                                                           \
        (void)p;                                                                                \
        return x > 0 ? x + x : (x != x ? x : (T)0);                                             \
    }                                                                                           \
    RECT_INLINE T rk_squared_relu_backward_##S(T g, T x, const T *p)                          \
    {                                                                                           \
        (void)p;                                                                                \
        /* 2x overflows above max/2 where g * 2x may not: then (g * x) * 2, also one rounding */\
        const T two_x = x + x;                                                                  \
        const T v = two_x - two_x == 0 ? g * two_x : (g * x) * 2;                               \
        return x > 0 ? v : (x != x ? x : (T)0);                                                 \
    }
RK_CLIPS_D(f, npy_float)
RK_CLIPS_D(d, npy_double)
RK_HALF_X(relu6_grad, 0)
RK_HALF_GX(relu6_backward, 0)
RK_HALF_X(hardtanh_grad, 2)
RK_HALF_GX(hardtanh_backward, 2)
RK_HALF_X(threshold_grad, 2)
RK_HALF_GX(threshold_backward, 2)
RK_HALF_X(squared_relu_grad, 0)
RK_HALF_GX(squared_relu_backward, 0)

#endif
