/* Every float32 input (or every k-th bit pattern) through one float-lane core, against the float64
 * core, in C: the fast companion of tools/exhaustive_f32.py.
 *
 * exhaustive_f32.py checks the real ufuncs (so also which core kernels.c wires to each dtype),
 * at ~15 min per function and form on two cores; this compiles one core of
 * src/rectifier/_core/family_f32*.h standalone, with the build's flags, and checks all 2^32
 * inputs of its three forms in ~5 min (gelu; the float64 reference dominates) with OpenMP, so a
 * kernel change can be checked exhaustively before a meson rebuild. Same measure as the Python
 * tool (accuracy.ulp_error: |float32 - float64| in float32 ULP of the float64 value), plus a count
 * of signed-zero mismatches, and the core's single-thread ns/elem at n = 1e5.
 *
 * Build (from the repository root; NAME = gelu, silu, softplus, elu, ...; K = its parameter count):
 *   gcc -O3 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c \
 *       -mprefer-vector-width=512 -fno-math-errno -fno-trapping-math -ffp-contract=fast \
 *       --param=max-unswitch-insns=1000 -fopenmp -Isrc/rectifier/_core \
 *       -DNAME=gelu -DK=0 tools/exhaustive_f32_cores.c -o /tmp/exhaustive_gelu -lm
 *   (drop the -m flags for the baseline build, which has no FMA: the budgets must hold there too;
 *    -DFAST_BWD checks the backward as kernels.c's F32_FAST loops run it: family_f32_fast.h's
 *    fast path wherever its predicate holds, the full kernel elsewhere; -DFAST_FWD likewise the
 *    forward of an RK_FWD_F_F32_FAST kernel (rect_NAME_fast_ok_f32, rect_NAME_fast_f32);
 *    -DFWD=0 where only the derivative has a float-lane core (RK_SMOOTH(NAME, K, D, F32));
 *    -DHEADER='"family_f32_x.h"' adds a header the list below lacks)
 * Run:  /tmp/exhaustive_gelu [stride=1] [parameters...]      e.g. softplus: 1 20 (beta threshold)
 * Prints, per form (forward, grad, backward with a fixed pseudo-random g ~ N(0, 4^2) per input),
 * the worst error and where, the count over 2 ULP (SEMANTICS.md's float32 bound), and signed-zero
 * mismatches of the forward and the grad (the float64 result is +-0, the float32 one the other).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "family.h"
#include "family_f32.h"
#include "family_f32_exp.h"
#include "family_f32_fast.h"
#include "family_f32_gelu.h"
#include "family_f32_mish.h"
#include "family_f32_silu.h"
#include "family_f32_softplus.h"
#ifdef HEADER
#include HEADER
#endif

#ifndef FWD
#define FWD 1
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#ifdef FAST_FWD
/* the forward as kernels.c's RK_FWD_F_F32_FAST loops run it: the fast path where OK holds */
#define F32 rect_fast_fwd_
#define FFULL CAT(CAT(rect_, NAME), _f32)
#define FOK CAT(CAT(rect_, NAME), _fast_ok_f32)
#define FFAST CAT(CAT(rect_, NAME), _fast_f32)
RECT_INLINE float F32(float x, const float *p) { return FOK(x, p) ? FFAST(x, p) : FFULL(x, p); }
#else
#define F32 CAT(CAT(rect_, NAME), _f32)
#endif
#define G32 CAT(CAT(rect_, NAME), _grad_f32)
#ifdef FAST_BWD
/* the backward as the split loop computes it: the fast path where its predicate holds */
#define B32 rect_fast_bwd_
#define BFULL CAT(CAT(rect_, NAME), _backward_f32)
#define BOK CAT(CAT(rect_, NAME), _backward_fast_ok_f32)
#define BFAST CAT(CAT(rect_, NAME), _backward_fast_f32)
RECT_INLINE float B32(float g, float x, const float *p) { return BOK(g, x, p) ? BFAST(g, x, p) : BFULL(g, x, p); }
#else
#define B32 CAT(CAT(rect_, NAME), _backward_f32)
#endif
#define FHI CAT(CAT(rect_, NAME), _fwd_hi)
#define DHI CAT(CAT(rect_, NAME), _der_hi)

static double der_value(double v, double k) { return rect_ldexp_hi(v, k); }
static double backward_value(double g, double v, double k)
{
    const double agv = fabs(g * v);
    const double s = !(agv <= 1.7976931348623157e308) ? 0x1p-64 : (agv < 0x1p-960 ? 0x1p64 : 1.0);
    const double ks = s == 1.0 ? 0.0 : (s < 1.0 ? 64.0 : -64.0);
    return rect_ldexp_hi(v, k) == 0.0 ? 0.0 : rect_ldexp_hi((g * s) * v, k + ks);
}

static double ulp_err(float got, double hi)
{
    const double rounded = (double)(float)hi;
    const int special = isnan(hi) || isinf(rounded) || isnan(got) || isinf(got);
    if (special) {
        return ((isnan(hi) && isnan(got)) || rounded == (double)got) ? 0.0 : INFINITY;
    }
    int e;
    frexp(fabs(hi), &e);
    e -= 1;
    if (e < -126) e = -126;
    return fabs((double)got - hi) / ldexp(1.0, e - 23);
}

/* a fixed pseudo-random g per bit pattern: N(0, 4^2)-ish from a hash, rounded to float */
static float grad_of(uint32_t u)
{
    uint64_t z = (uint64_t)u * 0x9E3779B97F4A7C15ull;
    z ^= z >> 29; z *= 0xBF58476D1CE4E5B9ull; z ^= z >> 32;
    double s = 0; /* sum of 4 uniforms, centred: ~N(0, 1/3) */
    for (int i = 0; i < 4; i++) { s += (double)((z >> (16 * i)) & 0xFFFF) / 65536.0 - 0.5; }
    return (float)(s * 4.0 * 1.7320508);
}

#define BLOCK 4096

int main(int argc, char **argv)
{
    const uint64_t stride = argc > 1 ? strtoull(argv[1], 0, 10) : 1;
    float pf[8] = {0};
    double pd[8] = {0};
    for (int j = 0; j < K && j + 2 < argc; j++) { pf[j] = (float)atof(argv[j + 2]); pd[j] = pf[j]; }
    const char *forms[3] = {"forward", "grad", "backward"};
    for (int form = FWD ? 0 : 1; form < 3; form++) {
        double worst = 0; float worst_x = 0; long over = 0, zsign = 0;
        const uint64_t total = (1ull << 32) / stride;
        #pragma omp parallel
        {
            float x[BLOCK], g[BLOCK], y[BLOCK];
            double lw = 0; float lx = 0; long lo = 0, lz = 0;
            #pragma omp for schedule(dynamic, 64)
            for (uint64_t b = 0; b < (total + BLOCK - 1) / BLOCK; b++) {
                int n = 0;
                for (; n < BLOCK && b * BLOCK + n < total; n++) {
                    const uint32_t u = (uint32_t)((b * BLOCK + n) * stride);
                    memcpy(&x[n], &u, 4);
                    g[n] = grad_of(u);
                }
#if FWD
                if (form == 0) for (int i = 0; i < n; i++) y[i] = F32(x[i], pf);
#endif
                if (form == 1) for (int i = 0; i < n; i++) y[i] = G32(x[i], pf);
                if (form == 2) for (int i = 0; i < n; i++) y[i] = B32(g[i], x[i], pf);
                for (int i = 0; i < n; i++) {
                    double ref, k;
                    if (form == 0) ref = FHI((double)x[i], pd);
                    else {
                        const double v = DHI((double)x[i], pd, &k);
                        ref = form == 1 ? der_value(v, k) : backward_value(g[i], v, k);
                    }
                    const double e = ulp_err(y[i], ref);
                    if (e > lw) { lw = e; lx = x[i]; }
                    lo += e > 2.0;
                    /* forward and grad only: a backward that rounds to zero may carry g's sign
                       or not (kernels.c masks f' < 2^-280 to +0; not part of the contract) */
                    lz += form < 2 && ref == 0.0 && y[i] == 0.0f &&
                          (signbit(ref) != 0) != (signbit(y[i]) != 0);
                }
            }
            #pragma omp critical
            {
                if (lw > worst) { worst = lw; worst_x = lx; }
                over += lo; zsign += lz;
            }
        }
        printf("%-9s worst %.6f ulp at x=%.9g (%a)  over 2: %ld  signed-zero mismatches: %ld\n",
               forms[form], worst, worst_x, worst_x, over, zsign);
    }
    /* speed: 1e5 normal-ish inputs, single thread */
    enum { N = 100000 };
    static float x[N], g[N], y[N];
    for (int i = 0; i < N; i++) { x[i] = 3.0f * grad_of(i) / 4.0f; g[i] = grad_of(i + N); }
    for (int form = FWD ? 0 : 1; form < 3; form++) {
        double best = 1e30;
        for (int r = 0; r < 200; r++) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
#if FWD
            if (form == 0) for (int i = 0; i < N; i++) y[i] = F32(x[i], pf);
#endif
            if (form == 1) for (int i = 0; i < N; i++) y[i] = G32(x[i], pf);
            if (form == 2) for (int i = 0; i < N; i++) y[i] = B32(g[i], x[i], pf);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            const double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / N;
            if (ns < best) best = ns;
            __asm__ volatile("" ::"r"(y) : "memory");
        }
        printf("%-9s %.3f ns/elem (best of 200, 1e5, one thread)\n", forms[form], best);
    }
    return 0;
}
