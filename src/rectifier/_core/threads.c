/*
 * A parallel split of one inner-loop call. Threads are created per call: a large array takes
 * milliseconds, a thread start some tens of microseconds, and no pool means nothing to break
 * after fork() and nothing shared between calls.
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
static atomic_long parallel_calls = 0; /* calls split so far (the tests read it) */

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

long rect_parallel_calls(void) { return atomic_load(&parallel_calls); }

int rect_set_num_threads(int n)
{
    if (n < 1) {
        return -1;
    }
    atomic_store(&num_threads, n > RECT_MAX_THREADS ? RECT_MAX_THREADS : n);
    return 0;
}

#if RECT_HAVE_PTHREADS
/*
 * fork() copies only the thread that called it: if another thread was inside a parallel call at
 * that moment, the child inherits the busy flag with no one left to clear it, and would run
 * every later call on one thread. The child starts with the flag clear.
 */
static void clear_busy_in_child(void) { atomic_store(&parallel_busy, 0); }
#endif

int rect_threads_init(void)
{
#if RECT_HAVE_PTHREADS
    static int atfork_registered = 0;
    if (!atfork_registered && pthread_atfork(NULL, NULL, clear_busy_in_child) == 0) {
        atfork_registered = 1;
    }
#endif
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
/*
 * One parallel call: the work is cut into chunks, and each thread owns a contiguous run of
 * them (its "home", as in a fixed split: the same thread touches the same part of an array on
 * every call, which keeps it in that core's cache, and first-touches its part of a new output).
 * A thread that has finished its home claims the chunks left in the others' homes, so a thread
 * that starts late (a busy machine: its core is running someone else) simply takes fewer chunks
 * instead of holding the call up, as a fixed one-slice-per-thread split did. The caller returns
 * as soon as every chunk is done; a helper that has not even started by then finds nothing to
 * claim and exits. The job lives on the heap and the last thread to leave frees it, so no helper
 * is ever joined (or waited for) needlessly.
 */
typedef struct {
    PyUFuncGenericFunction serial;
    int nargs;
    char *args[RECT_MAX_ARGS];
    npy_intp steps[RECT_MAX_ARGS];
    npy_intp n, chunk;
    long nchunks;
    int nhomes;
    atomic_int next_tid;                  /* helpers number themselves 1, 2, ... */
    atomic_long next[RECT_MAX_THREADS];   /* next chunk to claim in each home */
    long done;                            /* chunks finished (under mu) */
    atomic_int refs;   /* threads still holding the job */
    pthread_mutex_t mu;
    pthread_cond_t all_done;
} rect_job;

static void job_release(rect_job *job)
{
    if (atomic_fetch_sub(&job->refs, 1) == 1) {
        pthread_cond_destroy(&job->all_done);
        pthread_mutex_destroy(&job->mu);
        free(job);
    }
}

/* Run chunk c and count it done (the caller waits for that count). */
static void job_chunk(rect_job *job, long c, char **args)
{
    const npy_intp start = (npy_intp)c * job->chunk;
    npy_intp len = job->n - start < job->chunk ? job->n - start : job->chunk;
    for (int k = 0; k < job->nargs; k++) {
        args[k] = job->args[k] + start * job->steps[k];
    }
    job->serial(args, &len, job->steps, NULL);
    pthread_mutex_lock(&job->mu);
    if (++job->done == job->nchunks) {
        pthread_cond_signal(&job->all_done);
    }
    pthread_mutex_unlock(&job->mu);
}

/* Home h holds chunks [h * per, (h + 1) * per), per = nchunks / nhomes rounded up. */
static long home_end(const rect_job *job, int h)
{
    const long per = (job->nchunks + job->nhomes - 1) / job->nhomes;
    const long end = (long)(h + 1) * per;
    return end < job->nchunks ? end : job->nchunks;
}

/* Thread `tid` runs its home's chunks, then claims what is left in the others'. */
static void job_work(rect_job *job, int tid)
{
    char *args[RECT_MAX_ARGS];
    for (int k = 0; k < job->nhomes; k++) {
        const int h = (tid + k) % job->nhomes;
        const long end = home_end(job, h);
        long c;
        while ((c = atomic_fetch_add(&job->next[h], 1)) < end) {
            job_chunk(job, c, args);
        }
    }
}

static void *helper_main(void *arg)
{
    rect_job *job = (rect_job *)arg;
    job_work(job, atomic_fetch_add(&job->next_tid, 1));
    job_release(job);
    return NULL;
}

/* Chunks per thread: enough to even out a late start, few enough that each one is long. */
#define RECT_CHUNKS_PER_THREAD 8

static void run_parallel(const rect_loop_info *info, char **args, npy_intp n,
                         npy_intp const *steps, int nthreads)
{
    rect_job *job = (rect_job *)malloc(sizeof(rect_job));
    if (job == NULL) {
        info->serial(args, &n, steps, NULL);
        return;
    }
    job->serial = info->serial;
    job->nargs = info->nargs;
    for (int k = 0; k < info->nargs; k++) {
        job->args[k] = args[k];
        job->steps[k] = steps[k];
    }
    npy_intp chunk = n / ((npy_intp)nthreads * RECT_CHUNKS_PER_THREAD);
    chunk = (chunk + RECT_SLICE_ALIGN - 1) / RECT_SLICE_ALIGN * RECT_SLICE_ALIGN;
    job->n = n;
    job->chunk = chunk > 0 ? chunk : RECT_SLICE_ALIGN;
    job->nchunks = (long)((n + job->chunk - 1) / job->chunk);
    job->nhomes = nthreads < job->nchunks ? nthreads : (int)job->nchunks;
    atomic_init(&job->next_tid, 1);
    for (int h = 0; h < job->nhomes; h++) {
        atomic_init(&job->next[h], (long)h * ((job->nchunks + job->nhomes - 1) / job->nhomes));
    }
    job->done = 0;
    atomic_init(&job->refs, 1);
    pthread_mutex_init(&job->mu, NULL);
    pthread_cond_init(&job->all_done, NULL);

    pthread_attr_t attr;
    const int have_attr = pthread_attr_init(&attr) == 0 &&
                          pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0;
    const long helpers = job->nhomes - 1;
    for (long t = 0; t < helpers && have_attr; t++) {
        atomic_fetch_add(&job->refs, 1);
        pthread_t tid;
        if (pthread_create(&tid, &attr, helper_main, job) != 0) {
            atomic_fetch_sub(&job->refs, 1); /* the caller does its share instead */
            break;
        }
    }
    if (have_attr) {
        pthread_attr_destroy(&attr);
    }
    job_work(job, 0);
    /* Chunks a helper claimed may still be running: wait for them, not for idle helpers. */
    pthread_mutex_lock(&job->mu);
    while (job->done < job->nchunks) {
        pthread_cond_wait(&job->all_done, &job->mu);
    }
    pthread_mutex_unlock(&job->mu);
    job_release(job);
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
            atomic_fetch_add(&parallel_calls, 1);
            run_parallel(info, args, n, steps, nthreads);
            atomic_store(&parallel_busy, 0);
            return;
        }
    }
#endif
    info->serial(args, dims, steps, NULL);
}
