/*
 * The one list of ufuncs (an X-macro): kernels.c instantiates their loops from it and module.c
 * creates them, so adding a ufunc is one line here plus its scalar kernels.
 *
 * X(NAME, A, K, TYPES, PAR, DOC)
 *   A      1: NAME(x, params...) (functions, derivatives); 2: NAME(grad, x, params...) (backward)
 *   K      number of trailing parameter inputs (broadcast like any operand)
 *   TYPES  FLOATS (float16/32/64) or INTS (those and every integer type, kept exactly)
 *   PAR    CHEAP, SMOOTH or TABLE: which parallel threshold (module.c) applies; TABLE is SMOOTH
 *          with table kernels on AVX-512 (kernels.c, family_f32_table.h)
 *
 * prelu and rrelu share leaky_relu's kernels (a slope per element instead of one); they are
 * separate ufuncs so each pickles by its own name and documents its own parameters.
 */
#ifndef RECTIFIER_UFUNCS_H
#define RECTIFIER_UFUNCS_H

#define RECT_DOC_BW "Fused backward pass grad * f'(x) as a select: NaN or inf in grad never leaks\n" \
                    "through a zero derivative; NaN in x gives NaN."

#define RECT_UFUNC_LIST(X)                                                                      \
    X(relu, 1, 0, INTS, CHEAP,                                                                  \
      "relu(x, /, out=None, *, where=True, ...)\n\n"                                            \
      "Rectified linear unit, max(x, 0), elementwise. NaN stays NaN; -0.0 gives +0.0;\n"        \
      "integer dtypes are kept and exact.")                                                    \
    X(relu_grad, 1, 1, FLOATS, CHEAP,                                                           \
      "relu_grad(x, at_zero, /, out=None, *, where=True, ...)\n\n"                              \
      "Derivative of relu: 1 where x > 0, at_zero where x == 0, 0 where x < 0, NaN at NaN.")    \
    X(relu_backward, 2, 1, FLOATS, CHEAP,                                                       \
      "relu_backward(grad, x, at_zero, /, out=None, *, where=True, ...)\n\n"                    \
      "Fused backward pass grad * relu'(x) as a select: grad where x > 0, at_zero*grad\n"       \
      "where x == 0 (exactly 0 when at_zero == 0), 0 where x < 0, NaN where x is NaN.\n"        \
      "x may be the relu output instead of its input (same mask).")                            \
    X(leaky_relu, 1, 1, FLOATS, CHEAP,                                                          \
      "leaky_relu(x, negative_slope, /, ...)\n\nx if x > 0 else negative_slope * x.")          \
    X(leaky_relu_grad, 1, 1, FLOATS, CHEAP,                                                     \
      "leaky_relu_grad(x, negative_slope, /, ...)\n\n1 if x > 0 else negative_slope.")         \
    X(leaky_relu_backward, 2, 1, FLOATS, CHEAP,                                                 \
      "leaky_relu_backward(grad, x, negative_slope, /, ...)\n\n" RECT_DOC_BW)                  \
    X(prelu, 1, 1, FLOATS, CHEAP,                                                               \
      "prelu(x, weight, /, ...)\n\nx if x > 0 else weight * x (weight broadcasts).")           \
    X(prelu_grad, 1, 1, FLOATS, CHEAP,                                                          \
      "prelu_grad(x, weight, /, ...)\n\nd/dx prelu: 1 if x > 0 else weight.")                  \
    X(prelu_backward, 2, 1, FLOATS, CHEAP,                                                      \
      "prelu_backward(grad, x, weight, /, ...)\n\nThe input gradient. " RECT_DOC_BW)           \
    X(rrelu, 1, 2, FLOATS, CHEAP,                                                               \
      "rrelu(x, lower, upper, /, ...)\n\nEvaluation-mode rrelu: leaky_relu with slope\n"       \
      "(lower + upper) / 2 rounded to the dtype.")                                             \
    X(rrelu_grad, 1, 2, FLOATS, CHEAP,                                                          \
      "rrelu_grad(x, lower, upper, /, ...)\n\n1 if x > 0 else (lower + upper) / 2.")           \
    X(rrelu_backward, 2, 2, FLOATS, CHEAP,                                                      \
      "rrelu_backward(grad, x, lower, upper, /, ...)\n\n" RECT_DOC_BW)                         \
    X(relu6, 1, 0, INTS, CHEAP,                                                                 \
      "relu6(x, /, ...)\n\nmin(max(x, 0), 6); integer dtypes are kept and exact.")             \
    X(relu6_grad, 1, 0, FLOATS, CHEAP,                                                          \
      "relu6_grad(x, /, ...)\n\n1 where 0 < x < 6, else 0 (0 at both kinks).")                 \
    X(relu6_backward, 2, 0, FLOATS, CHEAP, "relu6_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)   \
    X(hardtanh, 1, 2, INTS, CHEAP,                                                              \
      "hardtanh(x, min_val, max_val, /, ...)\n\nclip(x, min_val, max_val); integers kept.")    \
    X(hardtanh_grad, 1, 2, FLOATS, CHEAP,                                                       \
      "hardtanh_grad(x, min_val, max_val, /, ...)\n\n1 strictly inside, 0 at and outside.")    \
    X(hardtanh_backward, 2, 2, FLOATS, CHEAP,                                                   \
      "hardtanh_backward(grad, x, min_val, max_val, /, ...)\n\n" RECT_DOC_BW)                  \
    X(threshold, 1, 2, INTS, CHEAP,                                                             \
      "threshold(x, threshold, value, /, ...)\n\nx if x > threshold else value (NaN stays).")  \
    X(threshold_grad, 1, 2, FLOATS, CHEAP,                                                      \
      "threshold_grad(x, threshold, value, /, ...)\n\n1 if x > threshold else 0.")             \
    X(threshold_backward, 2, 2, FLOATS, CHEAP,                                                  \
      "threshold_backward(grad, x, threshold, value, /, ...)\n\n" RECT_DOC_BW)                 \
    X(elu, 1, 1, FLOATS, SMOOTH, "elu(x, alpha, /, ...)\n\nx if x > 0 else alpha*expm1(x).")   \
    X(elu_grad, 1, 1, FLOATS, SMOOTH, "elu_grad(x, alpha, /, ...)\n\n1 if x > 0 else alpha*exp(x).") \
    X(elu_backward, 2, 1, FLOATS, SMOOTH, "elu_backward(grad, x, alpha, /, ...)\n\n" RECT_DOC_BW) \
    X(selu, 1, 0, FLOATS, SMOOTH, "selu(x, /, ...)\n\nscale * elu(x, alpha), SELU's constants.") \
    X(selu_grad, 1, 0, FLOATS, SMOOTH, "selu_grad(x, /, ...)\n\nd/dx selu.")                   \
    X(selu_backward, 2, 0, FLOATS, SMOOTH, "selu_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)    \
    X(celu, 1, 1, FLOATS, SMOOTH,                                                               \
      "celu(x, alpha, /, ...)\n\nmax(0, x) + min(0, alpha*expm1(x/alpha)).")                   \
    X(celu_grad, 1, 1, FLOATS, SMOOTH, "celu_grad(x, alpha, /, ...)\n\n1 if x > 0 else exp(x/alpha).") \
    X(celu_backward, 2, 1, FLOATS, SMOOTH, "celu_backward(grad, x, alpha, /, ...)\n\n" RECT_DOC_BW) \
    X(gelu, 1, 0, FLOATS, TABLE, "gelu(x, /, ...)\n\nx * Phi(x) = x/2 * erfc(-x/sqrt(2)).")    \
    X(gelu_grad, 1, 0, FLOATS, SMOOTH, "gelu_grad(x, /, ...)\n\nPhi(x) + x * phi(x).")         \
    X(gelu_backward, 2, 0, FLOATS, SMOOTH, "gelu_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)    \
    X(gelu_tanh, 1, 0, FLOATS, SMOOTH,                                                          \
      "gelu_tanh(x, /, ...)\n\nx/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).")            \
    X(gelu_tanh_grad, 1, 0, FLOATS, SMOOTH, "gelu_tanh_grad(x, /, ...)\n\nd/dx gelu_tanh.")    \
    X(gelu_tanh_backward, 2, 0, FLOATS, SMOOTH,                                                 \
      "gelu_tanh_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)                                   \
    X(silu, 1, 0, FLOATS, TABLE, "silu(x, /, ...)\n\nx * sigmoid(x).")                        \
    X(silu_grad, 1, 0, FLOATS, TABLE, "silu_grad(x, /, ...)\n\ns + x*s*(1 - s), s = sigmoid(x).") \
    X(silu_backward, 2, 0, FLOATS, TABLE, "silu_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)    \
    X(mish, 1, 0, FLOATS, TABLE, "mish(x, /, ...)\n\nx * tanh(softplus(x)).")                 \
    X(mish_grad, 1, 0, FLOATS, TABLE, "mish_grad(x, /, ...)\n\nd/dx mish.")                   \
    X(mish_backward, 2, 0, FLOATS, TABLE, "mish_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)    \
    X(softplus, 1, 2, FLOATS, TABLE,                                                           \
      "softplus(x, beta, threshold, /, ...)\n\nlog1p(exp(beta*x))/beta, exact for every x;\n"  \
      "x where beta*x > threshold (pass inf for the exact function).")                        \
    X(softplus_grad, 1, 2, FLOATS, TABLE,                                                      \
      "softplus_grad(x, beta, threshold, /, ...)\n\nsigmoid(beta*x); 1 where beta*x > threshold.") \
    X(softplus_backward, 2, 2, FLOATS, TABLE,                                                  \
      "softplus_backward(grad, x, beta, threshold, /, ...)\n\n" RECT_DOC_BW)                   \
    X(hardsigmoid, 1, 0, FLOATS, CHEAP, "hardsigmoid(x, /, ...)\n\nrelu6(x + 3) / 6.")         \
    X(hardsigmoid_grad, 1, 0, FLOATS, CHEAP,                                                    \
      "hardsigmoid_grad(x, /, ...)\n\n1/6 where -3 < x < 3, else 0.")                          \
    X(hardsigmoid_backward, 2, 0, FLOATS, CHEAP,                                                \
      "hardsigmoid_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)                                 \
    X(hardswish, 1, 0, FLOATS, CHEAP, "hardswish(x, /, ...)\n\nx * relu6(x + 3) / 6.")         \
    X(hardswish_grad, 1, 0, FLOATS, CHEAP,                                                      \
      "hardswish_grad(x, /, ...)\n\n(2x + 3)/6 for -3 < x < 3; 0 at and below -3, 1 at and above 3.") \
    X(hardswish_backward, 2, 0, FLOATS, CHEAP,                                                  \
      "hardswish_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)                                   \
    X(squared_relu, 1, 0, INTS, CHEAP,                                                          \
      "squared_relu(x, /, ...)\n\nrelu(x)**2; integers are kept and wrap as np.square does.")  \
    X(squared_relu_grad, 1, 0, FLOATS, CHEAP, "squared_relu_grad(x, /, ...)\n\n2 * relu(x).")  \
    X(squared_relu_backward, 2, 0, FLOATS, CHEAP,                                               \
      "squared_relu_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)                                \
    X(sigmoid, 1, 0, FLOATS, SMOOTH, "sigmoid(x, /, ...)\n\n1 / (1 + exp(-x)), no overflow.")  \
    X(sigmoid_grad, 1, 0, FLOATS, SMOOTH, "sigmoid_grad(x, /, ...)\n\ns * (1 - s).")           \
    X(sigmoid_backward, 2, 0, FLOATS, SMOOTH,                                                   \
      "sigmoid_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)                                     \
    X(tanh, 1, 0, FLOATS, SMOOTH, "tanh(x, /, ...)\n\nHyperbolic tangent.")                    \
    X(tanh_grad, 1, 0, FLOATS, SMOOTH, "tanh_grad(x, /, ...)\n\n1 - tanh(x)**2.")              \
    X(tanh_backward, 2, 0, FLOATS, SMOOTH, "tanh_backward(grad, x, /, ...)\n\n" RECT_DOC_BW)

enum {
#define RECT_X_ID(NAME, A, K, TYPES, PAR, DOC) RECT_ID_##NAME,
    RECT_UFUNC_LIST(RECT_X_ID)
#undef RECT_X_ID
    RECT_NUFUNCS
};

#endif
