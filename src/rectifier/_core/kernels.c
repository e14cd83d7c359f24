/*
 * Instantiates every inner loop for one SIMD target. meson compiles this file once per target
 * with that target's flags and RECT_TARGET set to its name; nothing here is target-specific
 * source, the compiler's auto-vectoriser does the work on the contiguous branches.
 */
#include "kernels.h"
#include "loops.h"
#include "relu.h"

#ifndef RECT_TARGET
#error "RECT_TARGET must name the SIMD target (baseline, avx2, avx512)"
#endif
#define RECT_CAT_(a, b) a##b
#define RECT_CAT(a, b) RECT_CAT_(a, b)
#define RECT_STR_(a) #a
#define RECT_STR(a) RECT_STR_(a)

RECT_LOOP_1(relu_e, npy_uint16, npy_uint16, rect_relu_e)
RECT_LOOP_1(relu_f, npy_float, npy_float, rect_relu_f)
RECT_LOOP_1(relu_d, npy_double, npy_double, rect_relu_d)
RECT_LOOP_1(relu_b, npy_byte, npy_byte, rect_relu_b)
RECT_LOOP_1(relu_B, npy_ubyte, npy_ubyte, rect_relu_B)
RECT_LOOP_1(relu_h, npy_short, npy_short, rect_relu_h)
RECT_LOOP_1(relu_H, npy_ushort, npy_ushort, rect_relu_H)
RECT_LOOP_1(relu_i, npy_int, npy_int, rect_relu_i)
RECT_LOOP_1(relu_I, npy_uint, npy_uint, rect_relu_I)
RECT_LOOP_1(relu_l, npy_long, npy_long, rect_relu_l)
RECT_LOOP_1(relu_L, npy_ulong, npy_ulong, rect_relu_L)
RECT_LOOP_1(relu_q, npy_longlong, npy_longlong, rect_relu_q)
RECT_LOOP_1(relu_Q, npy_ulonglong, npy_ulonglong, rect_relu_Q)

RECT_LOOP_1P(relu_grad_e, npy_uint16, rect_relu_grad_e)
RECT_LOOP_1P(relu_grad_f, npy_float, rect_relu_grad_f)
RECT_LOOP_1P(relu_grad_d, npy_double, rect_relu_grad_d)

RECT_LOOP_2P(relu_backward_e, npy_uint16, rect_relu_backward_e)
RECT_LOOP_2P(relu_backward_f, npy_float, rect_relu_backward_f)
RECT_LOOP_2P(relu_backward_d, npy_double, rect_relu_backward_d)

/* Order must match the type lists in module.c. */
const rect_kernel_table RECT_CAT(rect_kernels_, RECT_TARGET) = {
    .target = RECT_STR(RECT_TARGET),
    .relu = {relu_e, relu_f, relu_d, relu_b, relu_B, relu_h, relu_H, relu_i, relu_I, relu_l,
             relu_L, relu_q, relu_Q},
    .relu_grad = {relu_grad_e, relu_grad_f, relu_grad_d},
    .relu_backward = {relu_backward_e, relu_backward_f, relu_backward_d},
};
