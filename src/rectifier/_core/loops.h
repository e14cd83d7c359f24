/*
 * Loop macros: each kernel is one inline scalar function, and these macros turn it into a NumPy
 * inner loop with a contiguous branch (restrict pointers, so the compiler vectorises it), an
 * in-place branch (out aliases an input exactly; NumPy copies partial overlaps for us) and a
 * strided branch for everything else. The model is NumPy's fast_loop_macros.h.
 *
 * Parameters (at_zero, slopes, ...) arrive as extra ufunc inputs; when the parameters are
 * broadcast scalars (stride 0) they are loaded once, outside the loop. Inputs rather than the
 * loop's data pointer, because a parameter can also be an array (prelu's per-channel weight,
 * rrelu's sampled slopes) and NumPy then broadcasts it for free.
 */
#ifndef RECTIFIER_LOOPS_H
#define RECTIFIER_LOOPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/ndarraytypes.h>

#include <fenv.h>
#include <stdint.h>
#include <string.h>

/*
 * The vectorised compares on a NaN input raise the IEEE invalid flag, and the branch-free
 * kernels evaluate every piece and select one, so a discarded piece may overflow, divide by
 * zero or underflow. NumPy would report those flags as RuntimeWarnings; none of them is an error
 * (the selected result is the contract's value), so each loop restores the flags it found.
 */
#define RECT_FPE_SAVE const int rect_fpe_before_ = fetestexcept(FE_ALL_EXCEPT)
#define RECT_FPE_RESTORE                                        \
    feclearexcept(FE_ALL_EXCEPT & ~rect_fpe_before_);

#if defined(__GNUC__) || defined(__clang__)
#define RECT_RESTRICT __restrict__
#else
#define RECT_RESTRICT
#endif

/*
 * Whether two contiguous ranges of `bytes` bytes from a and b share memory. NumPy copies an
 * input that the output would overwrite before it is read, but not one the output trails
 * (out = buf[:n], x = buf[1:]): there a forward loop is right, and the restrict-qualified
 * branch would be undefined behaviour, so those calls take the plain one.
 */
#define RECT_OVERLAP(a, b, bytes)                                                               \
    ((uintptr_t)(a) < (uintptr_t)(b) + (uintptr_t)(bytes) &&                                  \
     (uintptr_t)(b) < (uintptr_t)(a) + (uintptr_t)(bytes))

/*
 * The contiguous runs. RECT_RUN_X / RECT_RUN_GX: one loop of FN. RECT_RUN_X_SPLIT /
 * RECT_RUN_GX_SPLIT: for a kernel with a fast path, FAST computes FN's values (the same accuracy
 * contract) on the inputs where OK holds, with none of the work FN spends on tails and extreme
 * arguments. Blocks of RECT_SPLIT_BLOCK elements: one vectorised pass of OK over the block, then
 * FAST over it if OK held everywhere, FN otherwise. So a typical block (activations and
 * gradients of moderate size) costs FAST plus a compare, and an unusual one (an inf, a huge
 * gradient, a deep tail) costs FN plus that compare. A block reads the input it is about to
 * write (in place) only before writing it, so aliasing out to an input is fine.
 */
#define RECT_SPLIT_BLOCK 256
#define RECT_RUN_X(in, out, n, p, FN, OK, FAST)                                                 \
    for (npy_intp i = 0; i < (n); i++) {                                                        \
        (out)[i] = FN((in)[i], p);                                                              \
    }
#define RECT_RUN_GX(g, in, out, n, p, FN, OK, FAST)                                             \
    for (npy_intp i = 0; i < (n); i++) {                                                        \
        (out)[i] = FN((g)[i], (in)[i], p);                                                      \
    }
#define RECT_RUN_X_SPLIT(in, out, n, p, FN, OK, FAST)                                           \
    for (npy_intp b0 = 0; b0 < (n); b0 += RECT_SPLIT_BLOCK) {                                   \
        const npy_intp m = (n) - b0 < RECT_SPLIT_BLOCK ? (n) - b0 : RECT_SPLIT_BLOCK;           \
        int slow = 0;                                                                           \
        for (npy_intp i = b0; i < b0 + m; i++) {                                                \
            slow |= !OK((in)[i], p);                                                            \
        }                                                                                       \
        if (slow) {                                                                             \
            RECT_RUN_X((in) + b0, (out) + b0, m, p, FN, OK, FAST)                               \
        }                                                                                       \
        else {                                                                                  \
            RECT_RUN_X((in) + b0, (out) + b0, m, p, FAST, OK, FAST)                             \
        }                                                                                       \
    }
#define RECT_RUN_GX_SPLIT(g, in, out, n, p, FN, OK, FAST)                                       \
    for (npy_intp b0 = 0; b0 < (n); b0 += RECT_SPLIT_BLOCK) {                                   \
        const npy_intp m = (n) - b0 < RECT_SPLIT_BLOCK ? (n) - b0 : RECT_SPLIT_BLOCK;           \
        int slow = 0;                                                                           \
        for (npy_intp i = b0; i < b0 + m; i++) {                                                \
            slow |= !OK((g)[i], (in)[i], p);                                                    \
        }                                                                                       \
        if (slow) {                                                                             \
            RECT_RUN_GX((g) + b0, (in) + b0, (out) + b0, m, p, FN, OK, FAST)                    \
        }                                                                                       \
        else {                                                                                  \
            RECT_RUN_GX((g) + b0, (in) + b0, (out) + b0, m, p, FAST, OK, FAST)                  \
        }                                                                                       \
    }

/*
 * RECT_RUN_X_TABLE / RECT_RUN_GX_TABLE: for a kernel whose fast path is a block kernel in
 * explicit SIMD (family_f32_table.h), FAST##_block(in, out, m, p, all), which writes the lanes
 * where OK holds, leaves the others and returns whether it left any (all: the caller knows OK
 * holds on every lane, so it need not test it). Where out is not in, a block first goes to the
 * block kernel alone (its own test of OK is cheaper than a pass of OK); in place, OK is tested
 * first, since a block kernel that wrote some lanes would have overwritten those inputs. A
 * block with a lane outside OK runs FN##_full (the kernel without the fast path) into a
 * buffer, the block kernel over the buffer, then copies it out.
 */
#define RECT_RUN_X_TABLE(in, out, n, p, FN, OK, FAST)                                           \
    for (npy_intp b0 = 0; b0 < (n); b0 += RECT_SPLIT_BLOCK) {                                   \
        const npy_intp m = (n) - b0 < RECT_SPLIT_BLOCK ? (n) - b0 : RECT_SPLIT_BLOCK;           \
        int slow = 0;                                                                           \
        if ((const void *)(in) != (const void *)(out)) {                                        \
            slow = FAST##_block((in) + b0, (out) + b0, m, p, 0);                                \
        }                                                                                       \
        else {                                                                                  \
            for (npy_intp i = b0; i < b0 + m; i++) {                                            \
                slow |= !OK((in)[i], p);                                                        \
            }                                                                                   \
            if (!slow) {                                                                        \
                FAST##_block((in) + b0, (out) + b0, m, p, 1);                                   \
            }                                                                                   \
        }                                                                                       \
        if (slow) {                                                                             \
            npy_float buf[RECT_SPLIT_BLOCK];                                                    \
            RECT_RUN_X((in) + b0, buf, m, p, FN##_full, OK, FAST)                               \
            FAST##_block((in) + b0, buf, m, p, 0);                                              \
            memcpy((out) + b0, buf, (size_t)m * sizeof(npy_float));                             \
        }                                                                                       \
    }
/* (the backward's contiguous branch never has out aliasing g or x: loops below) */
#define RECT_RUN_GX_TABLE(g, in, out, n, p, FN, OK, FAST)                                       \
    for (npy_intp b0 = 0; b0 < (n); b0 += RECT_SPLIT_BLOCK) {                                   \
        const npy_intp m = (n) - b0 < RECT_SPLIT_BLOCK ? (n) - b0 : RECT_SPLIT_BLOCK;           \
        if (FAST##_block((g) + b0, (in) + b0, (out) + b0, m, p, 0)) {                           \
            npy_float buf[RECT_SPLIT_BLOCK];                                                    \
            RECT_RUN_GX((g) + b0, (in) + b0, buf, m, p, FN##_full, OK, FAST)                    \
            FAST##_block((g) + b0, (in) + b0, buf, m, p, 0);                                    \
            memcpy((out) + b0, buf, (size_t)m * sizeof(npy_float));                             \
        }                                                                                       \
    }

/*
 * out = FN(x, p) and out = FN(g, x, p), p a const T[K] of parameters (trailing ufunc inputs).
 * When every parameter has stride 0 (a broadcast scalar, the usual case) they are loaded once,
 * outside the loop, and the contiguous branch is a plain restrict loop the compiler vectorises.
 */
#define RECT_PARAMS_HOIST(K, T, FIRST)                                                          \
    T p[(K) > 0 ? (K) : 1] = {0};                                                               \
    int hoisted = 1;                                                                            \
    for (int k = 0; k < (K); k++) {                                                             \
        if (steps[(FIRST) + k] != 0) {                                                          \
            hoisted = 0;                                                                        \
        }                                                                                       \
        else {                                                                                  \
            p[k] = *(const T *)args[(FIRST) + k];                                               \
        }                                                                                       \
    }

#define RECT_LOOP_X(NAME, T, K, FN) RECT_LOOP_X_WITH(NAME, T, K, FN, RECT_RUN_X, FN, FN)
#define RECT_LOOP_X_WITH(NAME, T, K, FN, RUN, OK, FAST)                                         \
    static void NAME(char **args, npy_intp const *dims, npy_intp const *steps, void *data)     \
    {                                                                                           \
        (void)data;                                                                             \
        RECT_FPE_SAVE;                                                                          \
        const npy_intp n = dims[0];                                                             \
        char *ip = args[0], *op = args[1 + (K)];                                                \
        const npy_intp is = steps[0], os = steps[1 + (K)];                                      \
        RECT_PARAMS_HOIST(K, T, 1)                                                              \
        if (hoisted && is == (npy_intp)sizeof(T) && os == (npy_intp)sizeof(T)) {                \
            if (ip == op) {                                                                     \
                T *io = (T *)ip;                                                                \
                RUN(io, io, n, p, FN, OK, FAST)                                                \
            }                                                                                   \
            else if (RECT_OVERLAP(ip, op, n * (npy_intp)sizeof(T))) {                           \
                const T *in = (const T *)ip;                                                    \
                T *out = (T *)op;                                                               \
                for (npy_intp i = 0; i < n; i++) {                                              \
                    const T x = in[i];                                                          \
                    out[i] = FN(x, p);                                                          \
                }                                                                               \
            }                                                                                   \
            else {                                                                              \
                const T *RECT_RESTRICT in = (const T *)ip;                                      \
                T *RECT_RESTRICT out = (T *)op;                                                 \
                RUN(in, out, n, p, FN, OK, FAST)                                               \
            }                                                                                   \
        }                                                                                       \
        else if (hoisted) {                                                                     \
            for (npy_intp i = 0; i < n; i++, ip += is, op += os) {                              \
                *(T *)op = FN(*(const T *)ip, p);                                               \
            }                                                                                   \
        }                                                                                       \
        else {                                                                                  \
            for (npy_intp i = 0; i < n; i++, ip += is, op += os) {                              \
                for (int k = 0; k < (K); k++) {                                                 \
                    p[k] = *(const T *)(args[1 + k] + i * steps[1 + k]);                        \
                }                                                                               \
                *(T *)op = FN(*(const T *)ip, p);                                               \
            }                                                                                   \
        }                                                                                       \
        RECT_FPE_RESTORE                                                                        \
    }

#define RECT_LOOP_GX(NAME, T, K, FN) RECT_LOOP_GX_WITH(NAME, T, K, FN, RECT_RUN_GX, FN, FN)
#define RECT_LOOP_GX_WITH(NAME, T, K, FN, RUN, OK, FAST)                                        \
    static void NAME(char **args, npy_intp const *dims, npy_intp const *steps, void *data)     \
    {                                                                                           \
        (void)data;                                                                             \
        RECT_FPE_SAVE;                                                                          \
        const npy_intp n = dims[0];                                                             \
        char *gp = args[0], *ip = args[1], *op = args[2 + (K)];                                 \
        const npy_intp gs = steps[0], is = steps[1], os = steps[2 + (K)];                       \
        RECT_PARAMS_HOIST(K, T, 2)                                                              \
        if (hoisted && gs == (npy_intp)sizeof(T) && is == (npy_intp)sizeof(T) &&                \
            os == (npy_intp)sizeof(T)) {                                                        \
            if (op == gp || op == ip || RECT_OVERLAP(gp, op, n * (npy_intp)sizeof(T)) ||        \
                RECT_OVERLAP(ip, op, n * (npy_intp)sizeof(T))) {                                \
                const T *g = (const T *)gp, *in = (const T *)ip;                                \
                T *out = (T *)op;                                                               \
                for (npy_intp i = 0; i < n; i++) {                                              \
                    const T gv = g[i], xv = in[i];                                              \
                    out[i] = FN(gv, xv, p);                                                     \
                }                                                                               \
            }                                                                                   \
            else {                                                                              \
                const T *RECT_RESTRICT g = (const T *)gp;                                       \
                const T *RECT_RESTRICT in = (const T *)ip;                                      \
                T *RECT_RESTRICT out = (T *)op;                                                 \
                RUN(g, in, out, n, p, FN, OK, FAST)                                            \
            }                                                                                   \
        }                                                                                       \
        else if (hoisted) {                                                                     \
            for (npy_intp i = 0; i < n; i++, gp += gs, ip += is, op += os) {                    \
                *(T *)op = FN(*(const T *)gp, *(const T *)ip, p);                               \
            }                                                                                   \
        }                                                                                       \
        else {                                                                                  \
            for (npy_intp i = 0; i < n; i++, gp += gs, ip += is, op += os) {                    \
                for (int k = 0; k < (K); k++) {                                                 \
                    p[k] = *(const T *)(args[2 + k] + i * steps[2 + k]);                        \
                }                                                                               \
                *(T *)op = FN(*(const T *)gp, *(const T *)ip, p);                               \
            }                                                                                   \
        }                                                                                       \
        RECT_FPE_RESTORE                                                                        \
    }

#endif
