/*
 * Loop macros: each kernel is one inline scalar function, and these macros turn it into a NumPy
 * inner loop with a contiguous branch (restrict pointers, so the compiler vectorises it), an
 * in-place branch (out aliases an input exactly; NumPy copies partial overlaps for us) and a
 * strided branch for everything else. The model is NumPy's fast_loop_macros.h.
 *
 * Parameters (at_zero, slopes, ...) arrive as extra ufunc inputs; when the parameter is a
 * broadcast scalar (stride 0) it is loaded once, outside the loop.
 */
#ifndef RECTIFIER_LOOPS_H
#define RECTIFIER_LOOPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/ndarraytypes.h>

#include <fenv.h>

/*
 * The vectorised compares on a NaN input raise the IEEE invalid flag, which NumPy would report as
 * "RuntimeWarning: invalid value". NaN in, NaN out is the contract, not an error, and no kernel
 * performs an invalid operation on non-NaN input, so each loop restores the flag it found.
 */
#define RECT_FPE_SAVE const int rect_invalid_before_ = fetestexcept(FE_INVALID)
#define RECT_FPE_RESTORE                   \
    if (!rect_invalid_before_) {            \
        feclearexcept(FE_INVALID);          \
    }

#if defined(__GNUC__) || defined(__clang__)
#define RECT_RESTRICT __restrict__
#else
#define RECT_RESTRICT
#endif

/* out = FN(x) */
#define RECT_LOOP_1(NAME, TIN, TOUT, FN)                                                        \
    static void NAME(char **args, npy_intp const *dims, npy_intp const *steps, void *data)     \
    {                                                                                           \
        (void)data;                                                                             \
        RECT_FPE_SAVE;                                                                          \
        const npy_intp n = dims[0];                                                             \
        char *ip = args[0], *op = args[1];                                                      \
        const npy_intp is = steps[0], os = steps[1];                                            \
        if (is == (npy_intp)sizeof(TIN) && os == (npy_intp)sizeof(TOUT)) {                     \
            if (ip == op) {                                                                     \
                TIN *p = (TIN *)ip;                                                             \
                for (npy_intp i = 0; i < n; i++) {                                              \
                    const TIN x = p[i];                                                         \
                    ((TOUT *)p)[i] = FN(x);                                                     \
                }                                                                               \
            }                                                                                   \
            else {                                                                              \
                const TIN *RECT_RESTRICT in = (const TIN *)ip;                                  \
                TOUT *RECT_RESTRICT out = (TOUT *)op;                                           \
                for (npy_intp i = 0; i < n; i++) {                                              \
                    out[i] = FN(in[i]);                                                         \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        else {                                                                                  \
            for (npy_intp i = 0; i < n; i++, ip += is, op += os) {                              \
                *(TOUT *)op = FN(*(const TIN *)ip);                                             \
            }                                                                                   \
        }                                                                                       \
        RECT_FPE_RESTORE                                                                        \
    }

/* out = FN(x, p), p usually a broadcast scalar parameter */
#define RECT_LOOP_1P(NAME, T, FN)                                                               \
    static void NAME(char **args, npy_intp const *dims, npy_intp const *steps, void *data)     \
    {                                                                                           \
        (void)data;                                                                             \
        RECT_FPE_SAVE;                                                                          \
        const npy_intp n = dims[0];                                                             \
        char *ip = args[0], *pp = args[1], *op = args[2];                                       \
        const npy_intp is = steps[0], ps = steps[1], os = steps[2];                             \
        if (is == (npy_intp)sizeof(T) && ps == 0 && os == (npy_intp)sizeof(T)) {                \
            const T p = *(const T *)pp;                                                         \
            if (ip == op) {                                                                     \
                T *io = (T *)ip;                                                                \
                for (npy_intp i = 0; i < n; i++) {                                              \
                    const T x = io[i];                                                          \
                    io[i] = FN(x, p);                                                           \
                }                                                                               \
            }                                                                                   \
            else {                                                                              \
                const T *RECT_RESTRICT in = (const T *)ip;                                      \
                T *RECT_RESTRICT out = (T *)op;                                                 \
                for (npy_intp i = 0; i < n; i++) {                                              \
                    out[i] = FN(in[i], p);                                                      \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        else {                                                                                  \
            for (npy_intp i = 0; i < n; i++, ip += is, pp += ps, op += os) {                    \
                *(T *)op = FN(*(const T *)ip, *(const T *)pp);                                  \
            }                                                                                   \
        }                                                                                       \
        RECT_FPE_RESTORE                                                                        \
    }

/* out = FN(g, x, p): fused backward passes, p usually a broadcast scalar parameter */
#define RECT_LOOP_2P(NAME, T, FN)                                                               \
    static void NAME(char **args, npy_intp const *dims, npy_intp const *steps, void *data)     \
    {                                                                                           \
        (void)data;                                                                             \
        RECT_FPE_SAVE;                                                                          \
        const npy_intp n = dims[0];                                                             \
        char *gp = args[0], *ip = args[1], *pp = args[2], *op = args[3];                        \
        const npy_intp gs = steps[0], is = steps[1], ps = steps[2], os = steps[3];              \
        if (gs == (npy_intp)sizeof(T) && is == (npy_intp)sizeof(T) && ps == 0 &&                \
            os == (npy_intp)sizeof(T)) {                                                        \
            const T p = *(const T *)pp;                                                         \
            if (op == gp || op == ip) {                                                         \
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
                for (npy_intp i = 0; i < n; i++) {                                              \
                    out[i] = FN(g[i], in[i], p);                                                \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        else {                                                                                  \
            for (npy_intp i = 0; i < n; i++, gp += gs, ip += is, pp += ps, op += os) {          \
                *(T *)op = FN(*(const T *)gp, *(const T *)ip, *(const T *)pp);                  \
            }                                                                                   \
        }                                                                                       \
        RECT_FPE_RESTORE                                                                        \
    }

#endif
