"""Concurrency: many Python threads calling the kernels at once, fork, and torch's thread pool.

tests/test_threads.py checks the threaded split itself (same results as one thread, one fork,
torch imported). Here: 8 Python threads call a mix of kernels on shared inputs with separate
outputs, released together by a barrier, with the kernels' own threads off (1) and on (the
default, and more threads than cores); a child forked while other threads are inside the
kernels; and torch's intra-op pool busy in the same process. Arrays are larger than the
parallel thresholds (10,240 elements, or 512 KiB moved for the cheap kernels), so the internal
threads really run. Anything that could hang runs under a timeout and fails instead.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import rectifier
from rectifier import ufuncs

# Above every parallel threshold (float16 relu: 2**17), not a multiple of the slice size.
N = 3 * (1 << 18) + 4321
PY_THREADS = 8
TIMEOUT = 120  # seconds; a deadlock fails the test instead of hanging CI


def _inputs(dtype):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(N) * 4).astype(dtype)
    x[::89] = 0
    x[::97] = np.nan
    x[::101] = -np.inf
    g = rng.standard_normal(N).astype(dtype)
    g[::103] = np.nan
    return g, x


def _work(dtype):
    """(name, ufunc, inputs): cheap and exp-based kernels, with and without parameters,
    forward, derivative and fused backward; one per-element parameter array."""
    g, x = _inputs(dtype)
    slope = np.linspace(0, 1, N, dtype=dtype)
    return [
        ("relu", ufuncs.relu, (x,)),
        ("relu_backward", ufuncs.relu_backward, (g, x, dtype(0.5))),
        ("leaky_relu/array slope", ufuncs.leaky_relu, (x, slope)),
        ("hardtanh", ufuncs.hardtanh, (x, dtype(-2), dtype(3))),
        ("gelu", ufuncs.gelu, (x,)),
        ("silu_grad", ufuncs.silu_grad, (x,)),
        ("softplus_backward", ufuncs.softplus_backward, (g, x, dtype(2), dtype(np.inf))),
        ("tanh_backward", ufuncs.tanh_backward, (g, x)),
    ]


@pytest.fixture
def num_threads():
    before = rectifier.get_num_threads()
    yield rectifier.set_num_threads
    rectifier.set_num_threads(before)


def _expected(work):
    """Every result computed once, single-threaded, before the threads start."""
    rectifier.set_num_threads(1)
    return [uf(*args) for _, uf, args in work]


def _same(a, b):
    return np.array_equal(a, b, equal_nan=True)


def _hammer(work, want, rounds, errors, barrier):
    """One Python thread: every kernel, ``rounds`` times, into its own outputs."""
    outs = [np.empty_like(w) for w in want]
    order = list(range(len(work)))
    barrier.wait(TIMEOUT)
    for r in range(rounds):
        for k in order[r % len(order):] + order[: r % len(order)]:  # threads out of step
            name, uf, args = work[k]
            outs[k].fill(0)
            uf(*args, out=outs[k])
            if not _same(outs[k], want[k]):
                errors.append(f"{name} round {r}: wrong values")


def _run_threads(work, want, rounds=3):
    errors: list[str] = []
    barrier = threading.Barrier(PY_THREADS)
    threads = [threading.Thread(target=_hammer, args=(work, want, rounds, errors, barrier))
               for _ in range(PY_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), f"a thread still runs after {TIMEOUT} s"
    return errors


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("internal", ["off", "on", "oversubscribed"])
def test_eight_python_threads_shared_inputs_separate_outputs(num_threads, dtype, internal):
    work = _work(dtype)
    want = _expected(work)
    num_threads({"off": 1, "on": max(2, rectifier._core.default_num_threads()),
                 "oversubscribed": 7}[internal])
    copies = [[np.copy(a) for a in args] for _, _, args in work]
    errors = _run_threads(work, want)
    assert not errors, f"{len(errors)} wrong results, e.g. {errors[:5]}"
    for (_, _, args), before in zip(work, copies, strict=True):  # shared inputs untouched
        for a, b in zip(args, before, strict=True):
            assert _same(a, b)


def test_threads_with_in_place_calls_on_their_own_arrays(num_threads):
    """out=x (in place) on each thread's own copy, while the others read shared inputs."""
    num_threads(4)
    g, x = _inputs(np.float32)
    want = ufuncs.relu_backward(g, x, np.float32(0))
    errors: list[str] = []
    barrier = threading.Barrier(PY_THREADS)

    def work():
        mine = g.copy()
        barrier.wait(TIMEOUT)
        for _ in range(5):
            np.copyto(mine, g)
            ufuncs.relu_backward(mine, x, np.float32(0), out=mine)
            if not _same(mine, want):
                errors.append("in-place relu_backward wrong")

    threads = [threading.Thread(target=work) for _ in range(PY_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]


def _child_checks(conn, work, want):
    """In a forked child: every kernel, single call and threaded, must give the same values."""
    try:
        bad = [name for (name, uf, args), w in zip(work, want, strict=True)
               if not _same(uf(*args), w)]
        rectifier.set_num_threads(3)
        bad += [name + " (3 threads)" for (name, uf, args), w in zip(work, want, strict=True)
                if not _same(uf(*args), w)]
        conn.send(bad)
    finally:
        conn.close()


def _fork_and_check(work, want):
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=_child_checks, args=(child, work, want))
    p.start()
    child.close()
    if not parent.poll(TIMEOUT):
        p.kill()
        p.join()
        pytest.fail(f"the forked child gave no answer within {TIMEOUT} s (deadlock?)")
    bad = parent.recv()
    p.join(TIMEOUT)
    assert p.exitcode == 0, f"child exit code {p.exitcode}"
    return bad


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_fork_after_threaded_calls(num_threads):
    work = _work(np.float32)
    want = _expected(work)
    num_threads(2)
    for (_, uf, args), w in zip(work, want, strict=True):  # the parent uses its threads first
        assert _same(uf(*args), w)
    assert _fork_and_check(work, want) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_fork_while_other_threads_are_inside_the_kernels(num_threads):
    """The child is forked while 4 Python threads run threaded kernels: it inherits whatever
    state those calls left (the parallel flag may read busy); it must still compute right."""
    work = _work(np.float64)
    want = _expected(work)
    num_threads(2)
    stop = threading.Event()
    errors: list[str] = []

    def busy():
        while not stop.is_set():
            for (name, uf, args), w in zip(work, want, strict=True):
                if not _same(uf(*args), w):
                    errors.append(name)

    threads = [threading.Thread(target=busy) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        results = [_fork_and_check(work, want) for _ in range(3)]
    finally:
        stop.set()
        for t in threads:
            t.join(TIMEOUT)
    assert results == [[], [], []]
    assert not errors, errors[:3]


TORCH_SCRIPT = textwrap.dedent(
    """
    import os, threading, numpy as np, torch, rectifier
    from rectifier import ufuncs
    torch.set_num_threads(2)
    rectifier.set_num_threads(2)
    n = 3 * (1 << 18) + 4321
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    want = [ufuncs.gelu(x), ufuncs.relu_backward(g, x, np.float32(0)), ufuncs.silu(x)]
    a = torch.randn(384, 384)
    errors = []
    barrier = threading.Barrier(6)

    def torch_work():
        barrier.wait()
        for _ in range(20):
            b = a @ a                      # torch's intra-op pool
            torch.nn.functional.relu(b, inplace=True)
            torch.from_numpy(x).sigmoid().sum().item()

    def ours():
        barrier.wait()
        for _ in range(10):
            got = [ufuncs.gelu(x), ufuncs.relu_backward(g, x, np.float32(0)), ufuncs.silu(x)]
            if not all(np.array_equal(p, q, equal_nan=True) for p, q in zip(got, want)):
                errors.append("wrong")

    def mixed():  # rectifier on torch tensors: torch ops inside our dispatch
        barrier.wait()
        t = torch.from_numpy(x)
        for _ in range(10):
            r = rectifier.relu(t)
            if not torch.equal(r, torch.relu(t)):
                errors.append("torch relu differs")

    ts = [threading.Thread(target=f) for f in (torch_work, torch_work, ours, ours, mixed, mixed)]
    for t in ts: t.start()
    for t in ts: t.join()
    # and a fork after both pools ran: the child uses rectifier's threads only
    pid = os.fork()
    if pid == 0:
        ok = np.array_equal(ufuncs.gelu(x), want[0], equal_nan=True)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    print("errors", len(errors), errors[:3])
    print("ok" if not errors else "FAIL")
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_no_deadlock_with_torch_thread_pool():
    """torch's intra-op pool and rectifier's threads busy at once in one process (a subprocess,
    so a hang is a timeout, not a stuck CI job)."""
    pytest.importorskip("torch")
    try:
        r = subprocess.run([sys.executable, "-c", TORCH_SCRIPT], capture_output=True, text=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"torch and rectifier threads together did not finish in {TIMEOUT} s")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("ok"), r.stdout[-2000:]
