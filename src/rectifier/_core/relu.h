/*
 * ReLU, its derivative and its fused backward pass, one inline scalar function per dtype.
 * The numeric contract is SEMANTICS.md: NaN in gives NaN out, relu(-0.0) is +0.0, the derivative
 * at 0 is the at_zero parameter, and the backward pass is a select, not a multiply (so a NaN or
 * inf in grad never leaks through a zero derivative).
 */
#ifndef RECTIFIER_RELU_H
#define RECTIFIER_RELU_H

#include "half.h"


/* ---- forward ---------------------------------------------------------------------------- */

/* `x != x` keeps NaN; every other non-positive value, -0.0 included, becomes +0.0. */
static inline float rect_relu_f(float x) { return (x > 0 || x != x) ? x : 0.0f; }
static inline double rect_relu_d(double x) { return (x > 0 || x != x) ? x : 0.0; }

/* float16 on raw bits: negative and not NaN (includes -0 and -inf) gives +0. Exact, no convert. */
static inline npy_uint16 rect_relu_e(npy_uint16 h)
{
    return ((h & 0x8000u) && (h & 0x7fffu) <= 0x7c00u) ? (npy_uint16)0 : h;
}

#define RECT_RELU_SIGNED(SUFFIX, T) \
    static inline T rect_relu_##SUFFIX(T x) { return x > 0 ? x : (T)0; }
#define RECT_RELU_UNSIGNED(SUFFIX, T) \
    static inline T rect_relu_##SUFFIX(T x) { return x; }

RECT_RELU_SIGNED(b, npy_byte)
RECT_RELU_SIGNED(h, npy_short)
RECT_RELU_SIGNED(i, npy_int)
RECT_RELU_SIGNED(l, npy_long)
RECT_RELU_SIGNED(q, npy_longlong)
RECT_RELU_UNSIGNED(B, npy_ubyte)
RECT_RELU_UNSIGNED(H, npy_ushort)
RECT_RELU_UNSIGNED(I, npy_uint)
RECT_RELU_UNSIGNED(L, npy_ulong)
RECT_RELU_UNSIGNED(Q, npy_ulonglong)

/* ---- derivative: 1 for x > 0, at_zero at 0, 0 below, NaN at NaN ------------------------- */

static inline float rect_relu_grad_f(float x, float az)
{
    return x > 0 ? 1.0f : (x == 0.0f ? az : (x != x ? x : 0.0f));
}
static inline double rect_relu_grad_d(double x, double az)
{
    return x > 0 ? 1.0 : (x == 0.0 ? az : (x != x ? x : 0.0));
}
static inline npy_uint16 rect_relu_grad_e(npy_uint16 x, npy_uint16 az)
{
    return rect_h_ispos(x) ? (npy_uint16)0x3c00u /* 1.0 */
         : rect_h_iszero(x) ? az
         : rect_h_isnan(x) ? x : (npy_uint16)0;
}

/* ---- fused backward: grad * relu'(x) as a select ---------------------------------------- */
/*
 * x may also be the ReLU output (same mask for at_zero = 0). At x == 0 the result is
 * at_zero * grad, but exactly 0 when at_zero is 0, so inf or NaN in grad stays masked.
 */
static inline float rect_relu_backward_f(float g, float x, float az)
{
    return x > 0 ? g : (x == 0.0f ? (az == 0.0f ? 0.0f : az * g) : (x != x ? x : 0.0f));
}
static inline double rect_relu_backward_d(double g, double x, double az)
{
    return x > 0 ? g : (x == 0.0 ? (az == 0.0 ? 0.0 : az * g) : (x != x ? x : 0.0));
}
static inline npy_uint16 rect_relu_backward_e(npy_uint16 g, npy_uint16 x, npy_uint16 az)
{
    if (rect_h_ispos(x)) {
        return g;
    }
    if (rect_h_iszero(x)) {
        /* Both factors are float16, so the float32 product is exact: one rounding to float16. */
        return rect_h_iszero(az) ? (npy_uint16)0 : rect_f2h(rect_h2f(az) * rect_h2f(g));
    }
    return rect_h_isnan(x) ? x : (npy_uint16)0;
}

#endif
