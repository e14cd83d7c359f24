/*
 * The table of inner loops that one SIMD target provides. kernels.c is compiled once per target
 * (baseline, AVX2+FMA, AVX-512) and each build fills this table; module.c picks one at import.
 *
 * Rows follow the ufunc list in ufuncs.h; columns the dtype order of module.c's type lists.
 */
#ifndef RECTIFIER_KERNELS_H
#define RECTIFIER_KERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/ndarraytypes.h>
#include <numpy/ufuncobject.h>

#include "ufuncs.h"

/* INTS ufuncs: float16/32/64 and every integer type (kept, exact). */
#define RECT_INTS_NTYPES 13
/* FLOATS ufuncs: float16/32/64 (integers are cast to float64 by module.c's type resolver). */
#define RECT_FLOATS_NTYPES 3

typedef struct {
    const char *target;
    PyUFuncGenericFunction loops[RECT_NUFUNCS][RECT_INTS_NTYPES];
} rect_kernel_table;

extern const rect_kernel_table rect_kernels_baseline;
#ifdef RECT_HAVE_AVX2
extern const rect_kernel_table rect_kernels_avx2;
#endif
#ifdef RECT_HAVE_AVX512
extern const rect_kernel_table rect_kernels_avx512;
#endif

#endif
