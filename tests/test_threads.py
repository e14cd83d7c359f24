"""Threads for large arrays: same results as one thread, safe with concurrent callers and fork."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys

import numpy as np
import pytest

import rectifier
from rectifier import _core

N = (1 << 18) * 3 + 12345  # above the parallel threshold, not a multiple of the slice size


@pytest.fixture
def threads():
    before = rectifier.get_num_threads()
    yield rectifier.set_num_threads
    rectifier.set_num_threads(before)


def _inputs(dtype=np.float32):
    rng = np.random.default_rng(5)
    x = rng.normal(size=N).astype(dtype)
    x[::97] = 0
    x[::101] = np.nan
    return rng.normal(size=N).astype(dtype), x


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("nthreads", [2, 3, 7])
def test_threaded_results_equal_single_threaded(threads, dtype, nthreads):
    g, x = _inputs(dtype)
    threads(1)
    want = (
        rectifier.relu(x),
        rectifier.relu_grad(x, at_zero=0.5),
        rectifier.relu_backward(g, x, at_zero=0.5),
    )
    threads(nthreads)
    got = (
        rectifier.relu(x),
        rectifier.relu_grad(x, at_zero=0.5),
        rectifier.relu_backward(g, x, at_zero=0.5),
    )
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    inplace = x.copy()
    rectifier.relu(inplace, out=inplace)
    np.testing.assert_array_equal(inplace, want[0])


def test_set_num_threads_validates(threads):
    with pytest.raises(ValueError, match="positive integer"):
        rectifier.set_num_threads(0)
    threads(3)
    assert rectifier.get_num_threads() == 3
    assert _core.default_num_threads() >= 1


def test_environment_variable_sets_the_thread_count():
    code = "import rectifier; print(rectifier.get_num_threads())"
    env = dict(os.environ, RECTIFIER_NUM_THREADS="3")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "3"
    env["RECTIFIER_NUM_THREADS"] = "many"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "RECTIFIER_NUM_THREADS=many" in bad.stderr


def test_many_python_threads_at_once(threads):
    threads(2)
    g, x = _inputs()
    want = rectifier.relu_backward(g, x)

    def work(i):
        out = np.empty_like(x)
        for _ in range(5):
            rectifier.relu_backward(g, x, out=out)
        return np.array_equal(out, want, equal_nan=True)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_after_fork(threads):
    threads(2)
    g, x = _inputs()
    rectifier.relu_backward(g, x)  # threads used in the parent first
    want = rectifier.relu(x)
    pid = os.fork()
    if pid == 0:  # the child: exit status says whether the result was right
        ok = np.array_equal(rectifier.relu(x), want, equal_nan=True)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_with_torch_threads_in_the_same_process(threads):
    torch = pytest.importorskip("torch")
    threads(2)
    _, x = _inputs()
    t = torch.from_numpy(x)
    torch.relu(t)  # start torch's own thread pool
    np.testing.assert_array_equal(rectifier.relu(x), torch.relu(t).numpy())


# ---- fork during a parallel call ------------------------------------------------------------
# (First touch of new outputs by the filling threads is by design, each thread's home run of
# chunks, but not asserted here: whether a pool worker wakes before the caller takes its chunks
# is up to the scheduler, and on the 2-core CI VM whole runs of calls found it late.)

BIG = 1 << 24  # 64 MB of float32: far above every parallel threshold


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_fork_while_another_thread_is_in_a_parallel_call():
    """The child gets only the forking thread: a parallel call in flight elsewhere must not
    leave it believing a parallel region is still running (it would never split again)."""
    import threading

    x = np.random.default_rng(2).normal(size=BIG).astype(np.float32)
    stop = threading.Event()

    def busy():
        out = np.empty_like(x)
        while not stop.is_set():
            rectifier.relu(x, out=out)

    before = rectifier.get_num_threads()
    rectifier.set_num_threads(2)
    worker = threading.Thread(target=busy)
    worker.start()
    try:
        statuses = []
        for _ in range(3):  # the worker is inside a parallel call nearly all the time
            pid = os.fork()
            if pid == 0:
                try:
                    # the child's call is split (not held to one thread by a stale busy flag)
                    calls = _core._parallel_calls()
                    rectifier.relu(x)
                    os._exit(0 if _core._parallel_calls() == calls + 1 else 1)
                except BaseException:
                    os._exit(2)
            statuses.append(os.waitpid(pid, 0)[1])
    finally:
        stop.set()
        worker.join()
        rectifier.set_num_threads(before)
    assert all(os.WIFEXITED(s) and os.WEXITSTATUS(s) == 0 for s in statuses), statuses


def test_concurrent_callers_with_torch_running_alongside(threads):
    """rectifier's threads and torch's OpenMP pool, both busy at once from several Python
    threads: every result stays exact (no shared scratch between calls)."""
    torch = pytest.importorskip("torch")
    threads(2)
    g, x = _inputs()
    want_bw = rectifier.relu_backward(g, x)
    want_fw = np.maximum(x, 0)  # NaN stays NaN, as in relu
    tx = torch.from_numpy(x)

    def work(i):
        if i % 2:
            return all(
                np.array_equal(torch.relu(tx).numpy(), want_fw, equal_nan=True) for _ in range(3)
            )
        out = np.empty_like(x)
        ok = True
        for _ in range(3):
            ok &= np.array_equal(rectifier.relu_backward(g, x, out=out), want_bw, equal_nan=True)
            ok &= np.array_equal(rectifier.relu(x), want_fw, equal_nan=True)
        return ok

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        assert all(pool.map(work, range(12)))


def _split_calls(f, *args):
    """How many of f's inner-loop calls were split across threads."""
    before = _core._parallel_calls()
    f(*args)
    return _core._parallel_calls() - before


@pytest.mark.parametrize("name", sorted(rectifier.ops))
def test_small_arrays_stay_on_the_calling_thread(threads, name):
    """n <= 1e4 never pays for a thread, for every kernel; a large array is split."""
    from rectifier._ops import REGISTRY

    threads(2)
    rec = REGISTRY[name]
    for n, splits in ((10_000, 0), (1 << 21, 1)):
        x = np.random.default_rng(3).normal(size=n)
        fwd = [p.default for p in rec.all_params("forward")]
        bwd = [p.default for p in rec.all_params("backward")]
        assert _split_calls(rec.ufunc, x, *fwd) == splits, (name, n)
        assert _split_calls(rec.backward_ufunc, x, x, *bwd) == splits, (name, n)


def test_one_thread_never_splits(threads):
    threads(1)
    assert _split_calls(rectifier.relu, np.ones(1 << 21)) == 0


# ---- the persistent pool ---------------------------------------------------------------------


def test_the_pool_is_started_once_and_reused(threads):
    """Workers are started by the first split call that needs them and reused: 1,000 split
    calls start no thread; more threads start only when the count grows, never when it shrinks."""
    threads(2)
    x = np.ones(1 << 21)
    rectifier.relu(x)
    started = _core._threads_started()
    assert started >= 1
    calls = _core._parallel_calls()
    out = np.empty_like(x)
    for _ in range(1000):
        rectifier.relu(x, out=out)
    assert _core._parallel_calls() == calls + 1000
    assert _core._threads_started() == started
    threads(4)
    rectifier.relu(x, out=out)
    grown = _core._threads_started()
    assert grown >= 3  # three workers for four threads
    threads(2)
    rectifier.relu(x, out=out)
    threads(4)
    rectifier.relu(x, out=out)
    assert _core._threads_started() == grown


def test_spin_length_is_validated():
    old = _core._set_spin_us(0)  # workers sleep at once: every call wakes them
    try:
        assert old >= 0
        with pytest.raises(ValueError, match="_set_spin_us"):
            _core._set_spin_us(-1)
        x = np.random.default_rng(4).normal(size=1 << 21)
        calls = _core._parallel_calls()
        for _ in range(50):
            np.testing.assert_array_equal(rectifier.relu(x), np.maximum(x, 0))
        assert rectifier.get_num_threads() == 1 or _core._parallel_calls() == calls + 50
    finally:
        assert _core._set_spin_us(old) == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_child_starts_its_own_workers(threads):
    """fork() copies no worker: the child counts none, and its first split call starts one."""
    threads(2)
    x = np.random.default_rng(6).normal(size=1 << 21)
    rectifier.relu(x)
    assert _core._threads_started() >= 1
    pid = os.fork()
    if pid == 0:
        try:
            none_yet = _core._threads_started() == 0
            calls = _core._parallel_calls()
            ok = np.array_equal(rectifier.relu(x), np.maximum(x, 0))
            split = _core._parallel_calls() == calls + 1
            own = _core._threads_started() == 1
            os._exit(0 if none_yet and ok and split and own else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status


EXIT_SCRIPT = """
import sys, threading, time, numpy as np, rectifier
rectifier.set_num_threads(4)
x = np.ones(1 << 22, dtype=np.float32)
rectifier.relu(x)  # the pool is started
if sys.argv[1] == "asleep":
    time.sleep(0.2)  # the workers have stopped spinning and wait on their condition variables
elif sys.argv[1] == "in-call":  # a daemon thread is inside split calls while the interpreter exits
    def loop():
        out = np.empty_like(x)
        while True:
            rectifier.relu(x, out=out)
    threading.Thread(target=loop, daemon=True).start()
    time.sleep(0.05)
print("exiting")
"""


@pytest.mark.parametrize("state", ["spinning", "asleep", "in-call"])
def test_interpreter_exits_with_the_pool_alive(state):
    """Workers are never joined: the process exits whatever they are doing, with no hang and
    no crash (they never call Python, so freed interpreter state is never touched)."""
    try:
        r = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, state], capture_output=True,
                           text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the interpreter did not exit within 60 s with the pool {state}")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "exiting"
