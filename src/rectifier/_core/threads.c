/*
 * A parallel split of one inner-loop call. Threads are created per call and joined before
 * returning: a large array takes milliseconds, a thread start some tens of microseconds, and no
 * pool means nothing to break after fork() and nothing shared between calls.
 *
 * Only one call at a time runs in parallel (a process-wide flag): a second Python thread that
 * calls a kernel meanwhile runs its loop on its own thread, so concurrent callers never start
 * more threads than there are cores.
 */
#include "threads.h"

#include <stdatomic.h>
#include <stdlib.h>

#if defined(_WIN32)
#define RECT_HAVE_PTHREADS 0
#else
#define RECT_HAVE_PTHREADS 1
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#endif

#define RECT_MAX_THREADS 256
#define RECT_MAX_ARGS 8
/* Slices start on multiples of this many elements, so threads never share a cache line. */
#define RECT_SLICE_ALIGN 1024

static atomic_int num_threads = 1;
static atomic_int parallel_busy = 0;

int rect_default_num_threads(void)
{
#if RECT_HAVE_PTHREADS && defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int n = CPU_COUNT(&set);
        return n > 0 ? n : 1;
    }
#endif
#if RECT_HAVE_PTHREADS
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#else
    return 1;
#endif
}

int rect_get_num_threads(void) { return atomic_load(&num_threads); }

int rect_set_num_threads(int n)
{
    if (n < 1) {
        return -1;
    }
    atomic_store(&num_threads, n > RECT_MAX_THREADS ? RECT_MAX_THREADS : n);
    return 0;
}

int rect_threads_init(void)
{
    const char *env = getenv("RECTIFIER_NUM_THREADS");
    if (env != NULL && env[0] != '\0') {
        char *end = NULL;
        const long n = strtol(env, &end, 10);
        if (end == env || *end != '\0' || n < 1) {
            PyErr_Format(PyExc_ImportError,
                         "RECTIFIER_NUM_THREADS=%s is not a positive integer; unset it or "
                         "set e.g. RECTIFIER_NUM_THREADS=1", env);
            return -1;
        }
        return rect_set_num_threads((int)n);
    }
    return rect_set_num_threads(rect_default_num_threads());
}

#if RECT_HAVE_PTHREADS
typedef struct {
    PyUFuncGenericFunction serial;
    char *args[RECT_MAX_ARGS];
    npy_intp n;
    npy_intp const *steps;
} rect_slice;

static void *run_slice(void *arg)
{
    rect_slice *s = (rect_slice *)arg;
    s->serial(s->args, &s->n, s->steps, NULL);
    return NULL;
}

static void run_parallel(const rect_loop_info *info, char **args, npy_intp n,
                         npy_intp const *steps, int nthreads)
{
    rect_slice slices[RECT_MAX_THREADS];
    pthread_t tids[RECT_MAX_THREADS];
    int started[RECT_MAX_THREADS] = {0};
    npy_intp per = (n + nthreads - 1) / nthreads;
    per = (per + RECT_SLICE_ALIGN - 1) / RECT_SLICE_ALIGN * RECT_SLICE_ALIGN;
    int used = 0;
    for (npy_intp start = 0; start < n && used < nthreads; start += per, used++) {
        rect_slice *s = &slices[used];
        s->serial = info->serial;
        s->steps = steps;
        s->n = (n - start < per) ? n - start : per;
        for (int k = 0; k < info->nargs; k++) {
            s->args[k] = args[k] + start * steps[k];
        }
    }
    /* Slice 0 runs on the calling thread; a thread that fails to start runs here too. */
    for (int t = 1; t < used; t++) {
        started[t] = pthread_create(&tids[t], NULL, run_slice, &slices[t]) == 0;
    }
    run_slice(&slices[0]);
    for (int t = 1; t < used; t++) {
        if (started[t]) {
            pthread_join(tids[t], NULL);
        }
        else {
            run_slice(&slices[t]);
        }
    }
}
#endif

#if RECT_HAVE_PTHREADS
/*
 * NumPy does not copy an output that trails an input in memory (out = buf[:n], x = buf[2:]):
 * one forward pass reads every element before it writes over it. Slices run at once would not
 * (a later slice overwrites what an earlier one has yet to read), so such calls stay on one
 * thread. Exact aliasing (out is x) is fine: each slice reads only what it writes. Ranges are
 * widened by 8 bytes, the largest item size, so the test errs towards one thread.
 */
static int partial_overlap(char *const *args, npy_intp n, npy_intp const *steps, int nargs)
{
    const int o = nargs - 1;
    const npy_intp ospan = (n - 1) * steps[o];
    const char *olo = args[o] + (ospan < 0 ? ospan : 0), *ohi = args[o] + (ospan > 0 ? ospan : 0) + 8;
    for (int k = 0; k < o; k++) {
        if (args[k] == args[o] && steps[k] == steps[o]) {
            continue;
        }
        const npy_intp span = (n - 1) * steps[k];
        const char *lo = args[k] + (span < 0 ? span : 0), *hi = args[k] + (span > 0 ? span : 0) + 8;
        if (lo < ohi && olo < hi) {
            return 1;
        }
    }
    return 0;
}
#endif

void rect_loop_entry(char **args, npy_intp const *dims, npy_intp const *steps, void *data)
{
    const rect_loop_info *info = (const rect_loop_info *)data;
#if RECT_HAVE_PTHREADS
    const npy_intp n = dims[0];
    const int nthreads = atomic_load(&num_threads);
    /* A stride-0 output (every element written to one place) must stay on one thread. */
    if (nthreads > 1 && n >= info->min_parallel && steps[info->nargs - 1] != 0 &&
        info->nargs <= RECT_MAX_ARGS && !partial_overlap(args, n, steps, info->nargs)) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&parallel_busy, &expected, 1)) {
            run_parallel(info, args, n, steps, nthreads);
            atomic_store(&parallel_busy, 0);
            return;
        }
    }
#endif
    info->serial(args, dims, steps, NULL);
}
