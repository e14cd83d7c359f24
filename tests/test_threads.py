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
