/*
 * rectifier._core: creates the ufuncs and picks the SIMD target at import.
 *
 * The target is the best one this CPU supports among those compiled in; the environment variable
 * RECTIFIER_SIMD=baseline|avx2|avx512 forces a lower one (tests use it to check every build).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#define NPY_TARGET_VERSION NPY_2_0_API_VERSION
#include <numpy/ndarraytypes.h>
#include <numpy/ndarrayobject.h>
#include <numpy/ufuncobject.h>

#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "limit.h"
#include "threads.h"

/* ---- type lists: the order matches the rows in kernels.c ---------------------------------- */

static const char floats_types[RECT_FLOATS_NTYPES] = {NPY_HALF, NPY_FLOAT, NPY_DOUBLE};
/* Integers first: NumPy takes the first loop every input casts to safely, and with a Python int
   parameter (hardtanh(int8_array, -1, 1)) float16 would qualify before int8. */
static const char ints_types[RECT_INTS_NTYPES] = {
    NPY_BYTE, NPY_UBYTE, NPY_SHORT, NPY_USHORT, NPY_INT, NPY_UINT, NPY_LONG, NPY_ULONG,
    NPY_LONGLONG, NPY_ULONGLONG, NPY_HALF, NPY_FLOAT, NPY_DOUBLE,
};
/* The ufuncs keep pointers to these, so they live as long as the module. */
static rect_kernel_table active;

/*
 * Every loop is registered as rect_loop_entry (threads.c) with a rect_loop_info as its data:
 * the chosen target's serial loop, and the size from which threads pay off. Measured on this
 * 2-core machine (quiet, 27 Nov, with the persistent pool: a split call costs a few us more than
 * a serial one, not the 20-25 us a thread start per call cost), as the time on two threads over
 * the time on one (medians, each kernel at every size with every threshold set low):
 * The cheap kernels stream memory, so what decides is the bytes a call moves, not its elements:
 * relu float32 forward 16,384 elements (128 KiB moved) 1.25, 32,768 (256 KiB) 0.90, 65,536
 * (512 KiB) 0.79, 131,072 0.67; float32 relu_backward 32,768 (384 KiB) 0.99, 65,536 0.71;
 * float64 relu 32,768 (512 KiB) 0.81; float64 leaky_relu 16,384 (256 KiB) 1.12, 32,768 0.82;
 * hardswish float32 32,768 0.79. So CHEAP kernels split from 512 KiB moved (inputs and output;
 * float32 relu from 65,536 elements). The exp-based kernels gain from the smallest size tried:
 * float32 at 10,240 elements silu 0.47, elu 0.71, gelu 0.53, softplus 0.52, mish 0.68 (forward),
 * 0.51-0.72 backward; float64 0.50-0.70. So SMOOTH splits from 10,240 elements, the issue's
 * floor: nothing of 1e4 elements or fewer ever splits.
 */
#define RECT_MIN_PARALLEL_CHEAP_BYTES ((npy_intp)1 << 19)
#define RECT_MIN_PARALLEL_ELEMENTS ((npy_intp)10240)
/* TABLE: smooth members with AVX-512 table kernels (kernels.c); their float64 and float16 loops
   are the smooth ones, so they split as SMOOTH does. */
enum { RECT_PAR_CHEAP, RECT_PAR_SMOOTH, RECT_PAR_TABLE };

/* The element count from which one loop splits (see above). */
static npy_intp
min_parallel(int par, char typecode, int narrays)
{
    if (par == RECT_PAR_SMOOTH || par == RECT_PAR_TABLE) {
        return RECT_MIN_PARALLEL_ELEMENTS;
    }
    PyArray_Descr *descr = PyArray_DescrFromType(typecode);
    const npy_intp itemsize = descr != NULL ? descr->elsize : 8;
    Py_XDECREF(descr);
    const npy_intp n = RECT_MIN_PARALLEL_CHEAP_BYTES / (itemsize * (narrays + 1));
    return n > RECT_MIN_PARALLEL_ELEMENTS ? n : RECT_MIN_PARALLEL_ELEMENTS;
}
#define RECT_MAX_LOOPS (RECT_NUFUNCS * RECT_INTS_NTYPES + 2 * RECT_LIMIT_NTYPES)
static rect_loop_info loop_infos[RECT_MAX_LOOPS];
static int n_loop_infos = 0;

/* ---- dtype checks ------------------------------------------------------------------------ */

/*
 * NumPy would silently cast bool to int8; everything non-numeric would get NumPy's generic
 * "not supported for the input types". Both get a TypeError that names the dtype and the fix.
 */
static int
rect_type_resolver(PyUFuncObject *ufunc, NPY_CASTING casting, PyArrayObject **operands,
                   PyObject *type_tup, PyArray_Descr **out_dtypes)
{
    for (int i = 0; i < ufunc->nin; i++) {
        PyArray_Descr *d = PyArray_DESCR(operands[i]);
        const char kind = d->kind;
        if (kind == 'b' || kind == 'c' || kind == 'O' || kind == 'S' || kind == 'U' ||
            kind == 'V' || kind == 'M' || kind == 'm' || kind == 'T') {
            const char *fix = kind == 'b' ? "convert it first, e.g. x.astype(np.int8) or x.astype(np.float32)"
                            : kind == 'c' ? "rectifiers need ordered values: pass x.real or np.abs(x)"
                            : "pass a numeric (integer or float) array, e.g. np.asarray(x, dtype=np.float64)";
            PyObject *r = PyObject_Str((PyObject *)d);
            PyErr_Format(PyExc_TypeError, "%s: input %d has dtype %U, which is not supported; %s",
                         ufunc->name, i, r ? r : Py_None, fix);
            Py_XDECREF(r);
            return -1;
        }
    }
    /*
     * Float-only ufuncs on integer inputs: NumPy would pick the first loop an integer casts to
     * safely (float16 for int8, float32 for int16). SEMANTICS.md says integers become float64,
     * so when every input is an integer (no float operand to follow) the float64 loop is used.
     */
    if (ufunc->ntypes == RECT_FLOATS_NTYPES && type_tup == NULL) {
        int all_int = 1;
        for (int i = 0; i < ufunc->nin; i++) {
            const char kind = PyArray_DESCR(operands[i])->kind;
            all_int &= (kind == 'i' || kind == 'u');
        }
        if (all_int) {
            const int nop = ufunc->nin + ufunc->nout;
            for (int i = 0; i < nop; i++) {
                out_dtypes[i] = PyArray_DescrFromType(NPY_DOUBLE);
            }
            if (PyUFunc_ValidateCasting(ufunc, casting, operands, out_dtypes) < 0) {
                for (int i = 0; i < nop; i++) {
                    Py_CLEAR(out_dtypes[i]);
                }
                return -1;
            }
            return 0;
        }
    }
    return PyUFunc_DefaultTypeResolver(ufunc, casting, operands, type_tup, out_dtypes);
}

/* ---- ufunc creation ---------------------------------------------------------------------- */

static int
add_ufunc(PyObject *module, PyUFuncGenericFunction *serial, const char *typecodes, int ntypes,
          int nin, int narrays, int par, const char *name, const char *doc)
{
    /* Arrays the ufunc keeps: allocated once per ufunc for the life of the process. */
    const int nargs = nin + 1;
    PyUFuncGenericFunction *funcs = PyMem_Calloc(ntypes, sizeof(*funcs));
    void **data = PyMem_Calloc(ntypes, sizeof(*data));
    char *types = PyMem_Calloc((size_t)ntypes * nargs, 1);
    if (funcs == NULL || data == NULL || types == NULL || n_loop_infos + ntypes > RECT_MAX_LOOPS) {
        PyMem_Free(funcs);
        PyMem_Free(data);
        PyMem_Free(types);
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < ntypes; i++) {
        rect_loop_info *info = &loop_infos[n_loop_infos++];
        info->serial = serial[i];
        info->nargs = nargs;
        info->min_parallel = min_parallel(par, typecodes[i], narrays);
        funcs[i] = rect_loop_entry;
        data[i] = info;
        memset(types + (size_t)i * nargs, typecodes[i], nargs);
    }
    PyObject *uf = PyUFunc_FromFuncAndData(funcs, data, types, ntypes, nin, 1, PyUFunc_None,
                                           name, doc, 0);
    if (uf == NULL) {
        return -1;
    }
    ((PyUFuncObject *)uf)->type_resolver = &rect_type_resolver;
    if (PyModule_AddObject(module, name, uf) < 0) {
        Py_DECREF(uf);
        return -1;
    }
    return 0;
}

/* Creates every ufunc of the list in ufuncs.h. */
static int
add_ufuncs(PyObject *module)
{
#define RECT_X_ADD(NAME, A, K, TYPES, PAR, DOC)                                                  \
    if (add_ufunc(module, active.loops[RECT_ID_##NAME], TYPES##_types, RECT_##TYPES##_NTYPES,    \
                  (A) + (K), (A), RECT_PAR_##PAR, #NAME, DOC) < 0) {                             \
        return -1;                                                                               \
    }
#define INTS_types ints_types
#define FLOATS_types floats_types
    RECT_UFUNC_LIST(RECT_X_ADD)
#undef INTS_types
#undef FLOATS_types
#undef RECT_X_ADD
    /* The streaming limit of `rectifier bench` (limit.c): relu's bytes and threads, no work. */
    if (add_ufunc(module, rect_limit1_loops, floats_types, RECT_FLOATS_NTYPES, 1, 1,
                  RECT_PAR_CHEAP, "_limit1", "y = x's bytes, streamed (bench only)") < 0 ||
        add_ufunc(module, rect_limit2_loops, floats_types, RECT_FLOATS_NTYPES, 2, 2,
                  RECT_PAR_CHEAP, "_limit2", "y = g's bytes, x read too (bench only)") < 0) {
        return -1;
    }
    return 0;
}

static int
cpu_supports(const char *target)
{
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (strcmp(target, "avx2") == 0) {
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
    }
    if (strcmp(target, "avx512") == 0) {
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
               cpu_supports("avx2");
    }
#endif
    return strcmp(target, "baseline") == 0;
}

/* Candidate tables, best first. */
static const rect_kernel_table *const candidates[] = {
#ifdef RECT_HAVE_AVX512
    &rect_kernels_avx512,
#endif
#ifdef RECT_HAVE_AVX2
    &rect_kernels_avx2,
#endif
    &rect_kernels_baseline,
};

static int
choose_target(PyObject *module)
{
    const char *forced = getenv("RECTIFIER_SIMD");
    const size_t ncand = sizeof(candidates) / sizeof(candidates[0]);
    const rect_kernel_table *chosen = NULL;
    PyObject *available = PyList_New(0);
    if (available == NULL) {
        return -1;
    }
    for (size_t i = 0; i < ncand; i++) {
        if (!cpu_supports(candidates[i]->target)) {
            continue;
        }
        PyObject *s = PyUnicode_FromString(candidates[i]->target);
        if (s == NULL || PyList_Append(available, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(available);
            return -1;
        }
        Py_DECREF(s);
        if (chosen == NULL && (forced == NULL || forced[0] == '\0' ||
                               strcmp(forced, candidates[i]->target) == 0)) {
            chosen = candidates[i];
        }
    }
    if (chosen == NULL) {
        PyErr_Format(PyExc_ImportError,
                     "RECTIFIER_SIMD=%s names no SIMD target this build and CPU support; "
                     "unset it or use one of %R", forced, available);
        Py_DECREF(available);
        return -1;
    }
    active = *chosen;
    PyObject *tup = PyList_AsTuple(available);
    Py_DECREF(available);
    if (tup == NULL || PyModule_AddObject(module, "simd_targets", tup) < 0) {
        Py_XDECREF(tup);
        return -1;
    }
    return PyModule_AddStringConstant(module, "simd_target", active.target);
}

static PyObject *
get_num_threads(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyLong_FromLong(rect_get_num_threads());
}

static PyObject *
set_num_threads(PyObject *self, PyObject *arg)
{
    (void)self;
    /* An int (or NumPy integer), never a bool, a float or a string: 2.5 threads is a mistake. */
    if (PyBool_Check(arg) || !PyIndex_Check(arg)) {
        PyErr_Format(PyExc_TypeError,
                     "set_num_threads: n must be an integer, got %s %R; pass e.g. 4",
                     Py_TYPE(arg)->tp_name, arg);
        return NULL;
    }
    int overflow = 0;
    PyObject *index = PyNumber_Index(arg);
    if (index == NULL) {
        return NULL;
    }
    long n = PyLong_AsLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow != 0) {
        n = overflow > 0 ? LONG_MAX : LONG_MIN;
    }
    /* Clamp before the cast to int: (int)(2**32 + 1) would be 1, silently. Large counts are
       capped at the pool's maximum by rect_set_num_threads. */
    if (n < 1 || rect_set_num_threads(n > INT_MAX ? INT_MAX : (int)n) < 0) {
        PyErr_Format(PyExc_ValueError,
                     "set_num_threads: n must be a positive integer, got %R; use 1 for "
                     "single-threaded kernels", arg);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
default_num_threads(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyLong_FromLong(rect_default_num_threads());
}

static PyObject *
parallel_calls(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyLong_FromLong(rect_parallel_calls());
}

static PyObject *
threads_started(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyLong_FromLong(rect_threads_started());
}

static PyObject *
set_spin_us(PyObject *self, PyObject *arg)
{
    (void)self;
    const long us = PyLong_AsLong(arg);
    if (us == -1 && PyErr_Occurred()) {
        return NULL;
    }
    const int old = us < 0 || us > 1000000 ? -1 : rect_set_spin_us((int)us);
    if (old < 0) {
        PyErr_Format(PyExc_ValueError, "_set_spin_us: us must be in [0, 1000000], got %ld", us);
        return NULL;
    }
    return PyLong_FromLong(old);
}

static PyMethodDef core_methods[] = {
    {"get_num_threads", get_num_threads, METH_NOARGS,
     "get_num_threads()\n--\n\nThe number of threads large arrays are split across.\n\n"
     ">>> import rectifier\n>>> rectifier.get_num_threads() >= 1\nTrue"},
    {"set_num_threads", set_num_threads, METH_O,
     "set_num_threads(n, /)\n--\n\nSplit large arrays across n threads (n >= 1; the default is "
     "the usable cores,\nor RECTIFIER_NUM_THREADS). Arrays of 1e4 elements or fewer always run "
     "on the calling\nthread, whatever n is.\n\n>>> import rectifier\n"
     ">>> before = rectifier.get_num_threads()\n"
     ">>> rectifier.set_num_threads(1)\n>>> rectifier.get_num_threads()\n1\n"
     ">>> rectifier.set_num_threads(before)"},
    {"default_num_threads", default_num_threads, METH_NOARGS, "The usable cores."},
    {"_parallel_calls", parallel_calls, METH_NOARGS, "Calls split across threads so far."},
    {"_threads_started", threads_started, METH_NOARGS,
     "Worker threads this process has started (a forked child counts its own from 0)."},
    {"_set_spin_us", set_spin_us, METH_O,
     "How long (us) an idle worker spins before it sleeps; returns the previous value. "
     "For measurements only."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef coremodule = {
    PyModuleDef_HEAD_INIT, "_core",
    "rectifier's compiled kernels: NumPy ufuncs with runtime SIMD dispatch.", -1, core_methods,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    import_array();
    import_umath();
    PyObject *m = PyModule_Create(&coremodule);
    if (m == NULL) {
        return NULL;
    }
    if (rect_threads_init() < 0 || choose_target(m) < 0 || add_ufuncs(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
