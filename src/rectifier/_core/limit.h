/*
 * The streaming-limit loops behind `rectifier bench`'s limit row (limit.c): the bytes of a
 * kernel moved with no arithmetic, registered as the ufuncs _core._limit1 (read x, write y) and
 * _core._limit2 (read g and x, write y) for float16, float32 and float64.
 */
#ifndef RECTIFIER_LIMIT_H
#define RECTIFIER_LIMIT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/ndarraytypes.h>
#include <numpy/ufuncobject.h>

#define RECT_LIMIT_NTYPES 3

extern PyUFuncGenericFunction rect_limit1_loops[RECT_LIMIT_NTYPES];
extern PyUFuncGenericFunction rect_limit2_loops[RECT_LIMIT_NTYPES];

#endif
