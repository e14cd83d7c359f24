/*
 * Threads for large arrays. Every ufunc loop is registered through rect_loop_entry, which runs
 * the target's serial loop directly for small or strided-output work, and splits large work
 * across a persistent pool of worker threads otherwise (chunks, each thread with a home run).
 */
#ifndef RECTIFIER_THREADS_H
#define RECTIFIER_THREADS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#include <numpy/ndarraytypes.h>
#include <numpy/ufuncobject.h>

/* What a registered loop needs: the serial loop of the chosen SIMD target and its arity. */
typedef struct {
    PyUFuncGenericFunction serial;
    int nargs;             /* inputs + outputs */
    npy_intp min_parallel; /* below this many elements, threads cost more than they save */
} rect_loop_info;

void rect_loop_entry(char **args, npy_intp const *dims, npy_intp const *steps, void *data);

int rect_threads_init(void);
int rect_get_num_threads(void);
int rect_set_num_threads(int n); /* returns -1 for n < 1 */
int rect_default_num_threads(void);
long rect_parallel_calls(void); /* how many calls were split across threads (for tests) */
long rect_threads_started(void); /* worker threads this process has started (for tests) */
int rect_set_spin_us(int us);    /* how long idle workers spin; returns the old value, or -1 */

#endif
