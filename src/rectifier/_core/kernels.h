/*
 * The table of inner loops that one SIMD target provides. kernels.c is compiled once per target
 * (baseline, AVX2+FMA, AVX-512) and each build fills this table; module.c picks one at import.
 *
 * The type lists below fix the order of the loops and are shared by kernels.c and module.c.
 */
#ifndef RECTIFIER_KERNELS_H
#define RECTIFIER_KERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/ndarraytypes.h>
#include <numpy/ufuncobject.h>

/* relu: float16/32/64 and every integer type (kept, exact). */
#define RECT_RELU_NTYPES 13
/* derivatives and backward passes: float16/32/64 (integers follow NumPy's casting to float64). */
#define RECT_FLOAT_NTYPES 3

typedef struct {
    const char *target;
    PyUFuncGenericFunction relu[RECT_RELU_NTYPES];
    PyUFuncGenericFunction relu_grad[RECT_FLOAT_NTYPES];
    PyUFuncGenericFunction relu_backward[RECT_FLOAT_NTYPES];
} rect_kernel_table;

extern const rect_kernel_table rect_kernels_baseline;
#ifdef RECT_HAVE_AVX2
extern const rect_kernel_table rect_kernels_avx2;
#endif
#ifdef RECT_HAVE_AVX512
extern const rect_kernel_table rect_kernels_avx512;
#endif

#endif
