/*
 * A parallel split of one inner-loop call, run by a persistent pool of worker threads.
 *
 * A thread start costs tens of microseconds on a busy VM, as much as a whole 1e5-element call,
 * so the helpers are started once (lazily, by the first call that needs them) and then wait
 * for work: spinning for a short while after each call (back-to-back calls find them awake),
 * then asleep on a condition variable (a spinning thread would steal a core from the caller or
 * from another library's threads). Workers never call Python and never allocate.
 *
 * Only one call at a time runs in parallel (a process-wide flag): a second Python thread that
 * calls a kernel meanwhile runs its loop on its own thread, so concurrent callers never use
 * more threads than there are cores. That is also why the job can live in static storage.
 *
 * fork() copies only the calling thread: the child starts with no workers (pthread_atfork
 * clears the pool) and its first parallel call starts its own.
 */
#include "threads.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(_WIN32)
#define RECT_HAVE_PTHREADS 0
#else
#define RECT_HAVE_PTHREADS 1
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#endif

#define RECT_MAX_THREADS 256
#define RECT_MAX_ARGS 8
/* Slices start on multiples of this many elements, so threads never share a cache line. */
#define RECT_SLICE_ALIGN 1024
/* How long an idle worker (and a caller waiting for the last chunks) spins before sleeping. Long
   enough to catch back-to-back calls (a few us of Python apart); on the loaded 2-core VM
   (tools/pool_spin.py, silu float32 1e5 on 2 threads) spins of 0-20 us timed alike back to back,
   and every spin slowed a caller that does its own work between calls (50 us +19%, 200 +16-40%). */
#define RECT_DEFAULT_SPIN_US 10

static atomic_int num_threads = 1;
static atomic_int parallel_busy = 0;
static atomic_long parallel_calls = 0;  /* calls split so far (the tests read it) */
static atomic_long threads_started = 0; /* workers this process has started (the tests read it) */
static atomic_int spin_ns = RECT_DEFAULT_SPIN_US * 1000;

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

long rect_threads_started(void) { return atomic_load(&threads_started); }

int rect_set_num_threads(int n)
{
    if (n < 1) {
        return -1;
    }
    atomic_store(&num_threads, n > RECT_MAX_THREADS ? RECT_MAX_THREADS : n);
    return 0;
}

int rect_set_spin_us(int us)
{
    if (us < 0 || us > 1000000) {
        return -1;
    }
    return atomic_exchange(&spin_ns, us * 1000) / 1000;
}

#if RECT_HAVE_PTHREADS
/*
 * The job. Its chunks are handed out through one counter per home (see job_work), each packed
 * as generation (32 bits) | next chunk (16) | end (16): a claim is a compare-and-swap that also
 * checks the generation, so a worker that wakes late, after its call has returned and the next
 * one has rewritten the job, can never claim a chunk of the wrong call. A successful claim
 * means the call is not finished (that chunk is not done), so the fields below are still the
 * ones of the worker's generation when it reads them after the claim.
 */
#define RECT_CACHE_LINE 64
typedef struct {
    _Alignas(RECT_CACHE_LINE) atomic_uint_fast64_t v;
} rect_home;

static struct {
    PyUFuncGenericFunction serial;
    int nargs;
    char *args[RECT_MAX_ARGS];
    npy_intp steps[RECT_MAX_ARGS];
    npy_intp n, chunk;
    long nchunks;
    atomic_int nhomes; /* read by workers before they claim: any value is safe (claims check) */
    _Alignas(RECT_CACHE_LINE) atomic_long done; /* chunks finished */
    atomic_int caller_sleeping;
    pthread_mutex_t mu; /* the caller sleeps on all_done when the last chunks take long */
    pthread_cond_t all_done;
    rect_home homes[RECT_MAX_THREADS];
} job = {.mu = PTHREAD_MUTEX_INITIALIZER, .all_done = PTHREAD_COND_INITIALIZER};

static uint32_t job_gen = 0; /* the last generation published (only the busy caller writes it) */

/* A worker: its own wake-up word and condition variable, so a call wakes only the ones it uses. */
typedef struct {
    _Alignas(RECT_CACHE_LINE) atomic_uint go; /* the generation this worker is asked to run */
    atomic_int sleeping;
    int tid;
    pthread_mutex_t mu;
    pthread_cond_t wake;
} rect_worker;

static rect_worker workers[RECT_MAX_THREADS]; /* workers[t] is thread t (1 .. nworkers) */
static int nworkers = 0;                       /* only the busy caller changes it */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Spins until ready(arg) or for spin_ns; returns whether it became ready. The clock is read every
 * 32 pauses (a pause is ~10-140 cycles depending on the core, so a count would not be a time).
 */
static int spin_until(int (*ready)(const void *), const void *arg)
{
    const int spin = atomic_load_explicit(&spin_ns, memory_order_relaxed);
    if (spin <= 0) {
        return 0;
    }
    const int64_t deadline = now_ns() + spin;
    for (unsigned i = 1;; i++) {
        if (ready(arg)) {
            return 1;
        }
        cpu_relax();
        if (i % 32 == 0 && now_ns() > deadline) {
            return 0;
        }
    }
}

static uint64_t pack(uint32_t gen, long next, long end)
{
    return (uint64_t)gen << 32 | (uint64_t)next << 16 | (uint64_t)end;
}

/* Claims the next chunk of home h for generation gen, or returns -1 if there is none. */
static long claim(int h, uint32_t gen)
{
    atomic_uint_fast64_t *home = &job.homes[h].v;
    uint_fast64_t v = atomic_load_explicit(home, memory_order_relaxed);
    for (;;) {
        const long next = (long)(v >> 16 & 0xffff), end = (long)(v & 0xffff);
        if ((uint32_t)(v >> 32) != gen || next >= end) {
            return -1;
        }
        if (atomic_compare_exchange_weak_explicit(home, &v, v + (1u << 16), memory_order_acquire,
                                                  memory_order_relaxed)) {
            return next;
        }
    }
}

/* Runs chunk c (claimed, so the job's fields are this generation's) and counts it done. */
static void run_chunk(long c)
{
    char *args[RECT_MAX_ARGS];
    const npy_intp start = (npy_intp)c * job.chunk;
    npy_intp len = job.n - start < job.chunk ? job.n - start : job.chunk;
    for (int k = 0; k < job.nargs; k++) {
        args[k] = job.args[k] + start * job.steps[k];
    }
    const long nchunks = job.nchunks; /* read before `done` lets the caller reuse the job */
    job.serial(args, &len, job.steps, NULL);
    if (atomic_fetch_add(&job.done, 1) + 1 == nchunks && atomic_load(&job.caller_sleeping)) {
        pthread_mutex_lock(&job.mu);
        pthread_cond_signal(&job.all_done);
        pthread_mutex_unlock(&job.mu);
    }
}

/*
 * Thread `tid` runs its home's chunks, then claims what is left in the others'. Each thread
 * owns a contiguous run of chunks (its "home", as in a fixed split: the same thread touches
 * the same part of an array on every call, which keeps it in that core's cache, and
 * first-touches its part of a new output); a thread that has finished its home claims the
 * chunks left in the others', so a worker that wakes late (a busy machine: its core is running
 * someone else) simply takes fewer chunks instead of holding the call up.
 */
static void job_work(uint32_t gen, int tid)
{
    const int nhomes = atomic_load_explicit(&job.nhomes, memory_order_relaxed);
    for (int k = 0; k < nhomes; k++) {
        const int h = (tid + k) % nhomes;
        long c;
        while ((c = claim(h, gen)) >= 0) {
            run_chunk(c);
        }
    }
}

typedef struct {
    rect_worker *w;
    unsigned seen;
} rect_wait;

static int go_changed(const void *arg)
{
    const rect_wait *wait = (const rect_wait *)arg;
    return atomic_load_explicit(&wait->w->go, memory_order_acquire) != wait->seen;
}

/* A worker: waits for a generation it has not run yet, runs its part, and waits again. */
static void *worker_main(void *arg)
{
    rect_wait wait = {(rect_worker *)arg, 0};
    rect_worker *w = wait.w;
    for (;;) {
        if (!spin_until(go_changed, &wait)) {
            /* Asleep: `sleeping` tells the caller to signal (wake reads it after storing go). */
            pthread_mutex_lock(&w->mu);
            atomic_store(&w->sleeping, 1);
            while (atomic_load(&w->go) == wait.seen) {
                pthread_cond_wait(&w->wake, &w->mu);
            }
            atomic_store(&w->sleeping, 0);
            pthread_mutex_unlock(&w->mu);
        }
        /* Only the latest generation matters: one missed meanwhile is finished already. */
        wait.seen = atomic_load_explicit(&w->go, memory_order_acquire);
        job_work(wait.seen, w->tid);
    }
    return NULL;
}

static void wake(rect_worker *w, uint32_t gen)
{
    atomic_store(&w->go, gen);
    if (atomic_load(&w->sleeping)) {
        pthread_mutex_lock(&w->mu);
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->mu);
    }
}

/* Starts workers up to `want` (tids 1 .. want); returns how many there are. */
static int grow_pool(int want)
{
    if (nworkers >= want) {
        return nworkers;
    }
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) {
        return nworkers;
    }
    /* Workers take no asynchronous signals (Python handles them on its own threads); faults
       in a worker still reach the handlers (faulthandler, sanitizers). */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGABRT);
    const int masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    if (pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0) {
        while (nworkers < want) {
            rect_worker *w = &workers[nworkers + 1];
            atomic_init(&w->go, 0);
            atomic_init(&w->sleeping, 0);
            w->tid = nworkers + 1;
            pthread_mutex_init(&w->mu, NULL);
            pthread_cond_init(&w->wake, NULL);
            pthread_t t;
            if (pthread_create(&t, &attr, worker_main, w) != 0) {
                pthread_cond_destroy(&w->wake);
                pthread_mutex_destroy(&w->mu);
                break; /* fewer threads: the caller does their share */
            }
            nworkers++;
            atomic_fetch_add(&threads_started, 1);
        }
    }
    if (masked) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_attr_destroy(&attr);
    return nworkers;
}

/*
 * fork() copies only the thread that called it: the child has no workers (its first parallel
 * call starts new ones), and if another thread was inside a parallel call at that moment, the
 * child inherits the busy flag with no one left to clear it, and locks that a worker held.
 * The child starts with the flag clear and every lock fresh.
 */
static void reset_in_child(void)
{
    nworkers = 0; /* grow_pool initialises each worker's slot afresh */
    atomic_store(&threads_started, 0);
    pthread_mutex_init(&job.mu, NULL);
    pthread_cond_init(&job.all_done, NULL);
    atomic_store(&job.caller_sleeping, 0);
    atomic_store(&parallel_busy, 0);
}
#endif

int rect_threads_init(void)
{
#if RECT_HAVE_PTHREADS
    static int atfork_registered = 0;
    if (!atfork_registered && pthread_atfork(NULL, NULL, reset_in_child) == 0) {
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
/* Chunks per thread: enough to even out a late start, few enough that each one is long. */
#define RECT_CHUNKS_PER_THREAD 8

static int all_done(const void *nchunks)
{
    return atomic_load_explicit(&job.done, memory_order_acquire) == *(const long *)nchunks;
}

/* Runs one call on up to nthreads threads (the caller and nthreads - 1 workers). */
static void run_parallel(const rect_loop_info *info, char **args, npy_intp n,
                         npy_intp const *steps, int nthreads)
{
    const int threads = 1 + grow_pool(nthreads - 1);
    if (threads < 2) {
        info->serial(args, &n, steps, NULL);
        return;
    }
    nthreads = threads < nthreads ? threads : nthreads;
    npy_intp chunk = n / ((npy_intp)nthreads * RECT_CHUNKS_PER_THREAD);
    chunk = (chunk + RECT_SLICE_ALIGN - 1) / RECT_SLICE_ALIGN * RECT_SLICE_ALIGN;
    chunk = chunk > 0 ? chunk : RECT_SLICE_ALIGN;
    const long nchunks = (long)((n + chunk - 1) / chunk); /* <= 8 * nthreads + 1 < 2**16 */
    const int nhomes = nthreads < nchunks ? nthreads : (int)nchunks;

    job.serial = info->serial;
    job.nargs = info->nargs;
    for (int k = 0; k < info->nargs; k++) {
        job.args[k] = args[k];
        job.steps[k] = steps[k];
    }
    job.n = n;
    job.chunk = chunk;
    job.nchunks = nchunks;
    atomic_store_explicit(&job.done, 0, memory_order_relaxed);
    atomic_store_explicit(&job.nhomes, nhomes, memory_order_relaxed);
    job_gen = job_gen + 1 == 0 ? 1 : job_gen + 1; /* 0 is a worker's "nothing yet" */
    const uint32_t gen = job_gen;
    /* Home h holds chunks [h * per, (h + 1) * per), per = nchunks / nhomes rounded up. */
    const long per = (nchunks + nhomes - 1) / nhomes;
    for (int h = 0; h < nhomes; h++) {
        const long end = (long)(h + 1) * per < nchunks ? (long)(h + 1) * per : nchunks;
        atomic_store_explicit(&job.homes[h].v, pack(gen, (long)h * per, end),
                              memory_order_release);
    }
    for (int t = 1; t < nhomes; t++) {
        wake(&workers[t], gen);
    }
    job_work(gen, 0);
    /* Chunks a worker claimed may still be running: wait for them, not for idle workers. */
    if (!spin_until(all_done, &nchunks)) {
        pthread_mutex_lock(&job.mu);
        atomic_store(&job.caller_sleeping, 1);
        while (atomic_load(&job.done) < nchunks) {
            pthread_cond_wait(&job.all_done, &job.mu);
        }
        atomic_store(&job.caller_sleeping, 0);
        pthread_mutex_unlock(&job.mu);
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
            atomic_fetch_add(&parallel_calls, 1);
            run_parallel(info, args, n, steps, nthreads);
            atomic_store(&parallel_busy, 0);
            return;
        }
    }
#endif
    info->serial(args, dims, steps, NULL);
}
