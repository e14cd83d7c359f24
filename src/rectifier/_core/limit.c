/*
 * The streaming limit: ufunc loops that move exactly the bytes a rectifier kernel moves (read x,
 * write y; or read g and x, write y) and do no arithmetic, so `rectifier bench` can show how
 * close each kernel comes to the machine's achievable bandwidth for the same access pattern.
 *
 * They are registered like every kernel (rect_loop_entry, the same thread split and threshold),
 * so the only difference from relu is the work per element. The values are combined with a
 * bitwise or against a zero the compiler cannot see (read through a volatile), the cheapest
 * operation that makes every load and store count: a plain copy could become memcpy (a
 * different access pattern, with non-temporal stores at some sizes) and an in-place x = x
 * could be deleted.
 *
 * Compiled once, with GCC/Clang function multi-versioning where available, so the limit uses
 * the widest vectors the CPU has (the kernels do too: module.c picks their SIMD build).
 */
#include "limit.h"

#include <stdint.h>
#include <string.h>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__linux__)
#define RECT_LIMIT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RECT_LIMIT_CLONES
#endif

static volatile uint8_t rect_limit_zero_ = 0;

/* ---- contiguous byte streams ------------------------------------------------------------ */

RECT_LIMIT_CLONES static void
stream1(const uint8_t *in, uint8_t *out, npy_intp nbytes, uint8_t z)
{
    if (in == out) {
        for (npy_intp i = 0; i < nbytes; i++) {
            out[i] |= z;
        }
        return;
    }
    const uint8_t *__restrict__ a = in;
    uint8_t *__restrict__ y = out;
    for (npy_intp i = 0; i < nbytes; i++) {
        y[i] = a[i] | z;
    }
}

RECT_LIMIT_CLONES static void
stream2(const uint8_t *g, const uint8_t *x, uint8_t *out, npy_intp nbytes, uint8_t z)
{
    if (out == g) {
        for (npy_intp i = 0; i < nbytes; i++) {
            out[i] |= x[i] & z;
        }
        return;
    }
    if (out == x) {
        for (npy_intp i = 0; i < nbytes; i++) {
            out[i] = g[i] | (out[i] & z);
        }
        return;
    }
    const uint8_t *__restrict__ a = g;
    const uint8_t *__restrict__ b = x;
    uint8_t *__restrict__ y = out;
    for (npy_intp i = 0; i < nbytes; i++) {
        y[i] = a[i] | (b[i] & z);
    }
}

/* ---- ufunc inner loops: out = in (1 input) and out = g (2 inputs), per item size --------- */

#define RECT_LIMIT_LOOPS(SIZE)                                                                  \
    static void limit1_##SIZE(char **args, npy_intp const *dims, npy_intp const *steps,         \
                              void *data)                                                       \
    {                                                                                           \
        (void)data;                                                                             \
        const npy_intp n = dims[0];                                                             \
        const uint8_t z = rect_limit_zero_;                                                     \
        if (steps[0] == (SIZE) && steps[1] == (SIZE)) {                                         \
            stream1((const uint8_t *)args[0], (uint8_t *)args[1], n * (SIZE), z);               \
            return;                                                                             \
        }                                                                                       \
        for (npy_intp i = 0; i < n; i++) {                                                      \
            memcpy(args[1] + i * steps[1], args[0] + i * steps[0], (SIZE));                     \
        }                                                                                       \
    }                                                                                           \
    static void limit2_##SIZE(char **args, npy_intp const *dims, npy_intp const *steps,         \
                              void *data)                                                       \
    {                                                                                           \
        (void)data;                                                                             \
        const npy_intp n = dims[0];                                                             \
        const uint8_t z = rect_limit_zero_;                                                     \
        if (steps[0] == (SIZE) && steps[1] == (SIZE) && steps[2] == (SIZE)) {                   \
            stream2((const uint8_t *)args[0], (const uint8_t *)args[1], (uint8_t *)args[2],     \
                    n * (SIZE), z);                                                             \
            return;                                                                             \
        }                                                                                       \
        for (npy_intp i = 0; i < n; i++) {                                                      \
            uint8_t v[SIZE];                                                                    \
            memcpy(v, args[0] + i * steps[0], (SIZE));                                          \
            const uint8_t *x = (const uint8_t *)args[1] + i * steps[1];                         \
            for (int b = 0; b < (SIZE); b++) {                                                  \
                v[b] |= x[b] & z;                                                               \
            }                                                                                   \
            memcpy(args[2] + i * steps[2], v, (SIZE));                                          \
        }                                                                                       \
    }

RECT_LIMIT_LOOPS(2)
RECT_LIMIT_LOOPS(4)
RECT_LIMIT_LOOPS(8)

/* In the order of the float type list (float16, float32, float64). */
PyUFuncGenericFunction rect_limit1_loops[RECT_LIMIT_NTYPES] = {limit1_2, limit1_4, limit1_8};
PyUFuncGenericFunction rect_limit2_loops[RECT_LIMIT_NTYPES] = {limit2_2, limit2_4, limit2_8};
