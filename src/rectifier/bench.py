"""Benchmark rectifier's kernels against the naive NumPy formula and PyTorch.

The ops registry (:mod:`rectifier._ops`) drives everything: every registered function, with its
``numpy_*`` and ``torch_*`` peers, is benchmarked with no code here that names it.

Method, per case (function, op, dtype, n):

- the inputs (standard normal, so about half the elements take each branch of the kink) are
  shared by every implementation, and each writes into the same preallocated output where it
  can (``out=``); a peer without ``out=`` allocates and its record says ``alloc: true``;
- warm-up calls, then a batch size per implementation so one batch lasts at least
  ``min_batch_s`` (timer resolution and call overhead must not dominate tiny arrays);
- ``repeats`` rounds, round-robin across the implementations with a rotating start, so slow
  drift (frequency scaling, a busy neighbour) hits all of them equally;
- each implementation's result is checked against rectifier's once (loosely: the peers are
  naive formulas); a record whose result disagreed says ``agrees: false``;
- the per-call time of each batch gives median, min and max; GB/s is the bytes the op must move
  (inputs read plus output written) over the median;
- the ``limit`` row is a streaming kernel (``_core._limit1`` / ``_limit2``) that moves exactly
  the same bytes with the same threads and no arithmetic: the machine's achievable bandwidth for
  that access pattern. Every other row says which fraction of it it reaches (``of_limit``).

Memory modes (``mode``): ``out`` writes into a preallocated output (``out=``); ``inplace``
overwrites the first input (x, or grad for the backward pass; each implementation gets its own
copy, and only ops that give the same result when repeated are timed so); ``alloc`` lets every
implementation allocate its output, page faults and all.

PyTorch runs with ``torch.set_num_threads`` equal to rectifier's thread count (recorded as
``threads``), restored after each case.

>>> from rectifier import bench
>>> recs = bench.run_bench(functions=["relu"], ops=["forward"], dtypes=["float64"],
...                        sizes=[1000], repeats=7, impls=["rectifier", "numpy"])
>>> [(r.function, r.op, r.impl, r.n) for r in recs]
[('relu', 'forward', 'rectifier', 1000), ('relu', 'forward', 'numpy', 1000)]
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib.util
import inspect
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

import rectifier
from rectifier import _core
from rectifier._ops import REGISTRY, OpRecord

OPS = ("forward", "grad", "backward")
DEFAULT_OPS = ("forward", "backward")
DTYPES = ("float16", "float32", "float64")
DEFAULT_DTYPES = ("float32", "float64")
DEFAULT_SIZES = (1000, 100_000, 10_000_000)
MIN_REPEATS = 7
DEFAULT_REPEATS = 9
IMPLS = ("rectifier", "numpy", "torch", "limit")
MODES = ("out", "inplace", "alloc")
DEFAULT_MODES = ("out",)
LARGE = 100_000_000  # --large: the size at which only memory bandwidth matters
# One timed batch lasts at least this long: perf_counter's resolution and the loop's own
# overhead are then well under 1% of it.
MIN_BATCH_S = 2e-3

# Arrays each op reads; the output is written once more.
_INPUTS = {"forward": 1, "grad": 1, "backward": 2}


@dataclasses.dataclass(frozen=True)
class BenchRecord:
    """One implementation's timing for one case. ``to_dict`` is the stable ``--json`` schema."""

    function: str
    op: str  # forward | grad | backward
    impl: str  # rectifier | numpy | torch | limit
    dtype: str
    n: int
    threads: int
    median_s: float  # per call
    min_s: float
    max_s: float
    gbps: float  # bytes moved / median_s / 1e9
    simd: str  # rectifier's SIMD target on this machine
    alloc: bool  # the implementation allocates its output (no out=)
    agrees: bool  # its result matched rectifier's (to a loose tolerance) on the benchmark input
    repeats: int
    batch: int  # calls per timed repetition
    mode: str = "out"  # out | inplace | alloc (see the module docstring)
    of_limit: float | None = None  # the limit's median / this median (None: no limit row)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def torch_available() -> bool:
    """Whether PyTorch is installed (checked without importing it)."""
    return importlib.util.find_spec("torch") is not None


def rectifier_threads() -> int:
    """The number of threads rectifier's kernels use (1 until the kernels get threads)."""
    get = getattr(rectifier, "get_num_threads", None)
    return int(get()) if callable(get) else 1


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_facts() -> dict[str, Any]:
    """What a benchmark number depends on: CPU, cores, library versions, SIMD target.

    >>> facts = machine_facts()
    >>> sorted(facts) == sorted(["cpu", "cores", "cores_available", "machine", "python",
    ...                          "numpy", "torch", "rectifier", "simd_target", "threads"])
    True
    """
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        available = os.cpu_count() or 1
    torch_version = None
    if torch_available():
        import torch

        torch_version = torch.__version__
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": available,
        "machine": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch_version,
        "rectifier": rectifier.__version__,
        "simd_target": rectifier.simd_target,
        "threads": rectifier_threads(),
    }


def bytes_moved(op: str, n: int, itemsize: int) -> int:
    """Bytes an op must move: every input read once, the output written once.

    >>> bytes_moved("backward", 1000, 4)  # read grad and x, write the result
    12000
    """
    return (_INPUTS[op] + 1) * n * itemsize


def validate(
    functions: Iterable[str] | None,
    ops: Iterable[str],
    dtypes: Iterable[str],
    sizes: Iterable[int],
    repeats: int,
    impls: Iterable[str] | None = None,
    modes: Iterable[str] = DEFAULT_MODES,
    threads: int | None = None,
) -> None:
    """Raise ``ValueError`` naming the first bad argument of :func:`run_bench`.

    >>> validate(["relu"], ["forward"], ["float32"], [0], 9)
    Traceback (most recent call last):
    ...
    ValueError: sizes must be positive integers, got 0
    """
    for name in functions or ():
        if name not in REGISTRY:
            raise ValueError(f"unknown function {name!r}; choose from {', '.join(REGISTRY)}")
    for op in ops:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}; choose from {', '.join(OPS)}")
    for dt in dtypes:
        if dt not in DTYPES:
            raise ValueError(f"unknown dtype {dt!r}; choose from {', '.join(DTYPES)}")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"sizes must be positive integers, got {n!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < MIN_REPEATS:
        raise ValueError(f"repeats must be an integer >= {MIN_REPEATS}, got {repeats!r}")
    for impl in impls or ():
        if impl not in IMPLS:
            raise ValueError(f"unknown impl {impl!r}; choose from {', '.join(IMPLS)}")
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")


def _accepts_out(f: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: time it as allocating
        return False
    return any(p.name == "out" or p.kind is p.VAR_KEYWORD for p in params)


def _api_function(rec: OpRecord, op: str) -> Callable[..., Any]:
    return getattr(rectifier, rec.name if op == "forward" else f"{rec.name}_{op}")


def make_calls(
    rec: OpRecord,
    op: str,
    dtype: str,
    n: int,
    impls: Sequence[str],
    seed: int = 0,
    mode: str = "out",
) -> dict[str, tuple[Callable[[], Any], bool]]:
    """Zero-argument callables, one per implementation, for one case: ``{impl: (call, alloc)}``.

    An implementation with no peer for ``op`` in the registry (torch has no ``grad`` peer, and
    an in-place version only where ``torch.nn.functional`` has ``inplace=``) is left out, as is
    torch when it is not installed. In ``inplace`` mode every implementation gets its own copy
    of the inputs, and the case is empty unless the op, applied twice, gives the same result as
    once (a repeated in-place leaky_relu would time subnormal arithmetic, not the kernel).

    >>> calls = make_calls(rectifier.ops["relu"], "forward", "float32", 10, ["numpy"])
    >>> call, alloc = calls["numpy"]
    >>> bool((call() >= 0).all()), alloc
    (True, False)
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    shared = (x,) if op == "forward" or op == "grad" else (rng.standard_normal(n).astype(dtype), x)
    if mode == "inplace" and not _idempotent(rec, op, shared):
        return {}
    out = np.empty(n, dtype=dtype) if mode == "out" else None
    calls: dict[str, tuple[Callable[[], Any], bool]] = {}
    for impl in impls:
        # In place: a private copy per implementation, overwritten by it alone.
        arrays = tuple(a.copy() for a in shared) if mode == "inplace" else shared
        dest = arrays[0] if mode == "inplace" else out
        f: Callable[..., Any] | None
        if impl in ("rectifier", "numpy", "limit"):
            if impl == "rectifier":
                f = _api_function(rec, op)
            elif impl == "numpy":
                f = {
                    "forward": rec.numpy_forward,
                    "grad": rec.numpy_grad,
                    "backward": rec.numpy_backward,
                }[op]
            else:
                f = _core._limit2 if op == "backward" else _core._limit1
            if dest is None:
                calls[impl] = (lambda f=f, a=arrays: f(*a), True)
            else:
                calls[impl] = (lambda f=f, a=arrays, o=dest: f(*a, out=o), False)
        elif impl == "torch":
            if not torch_available():
                continue
            import torch

            # from_numpy shares memory: torch reads the very same bytes as the others.
            targs = tuple(torch.from_numpy(a) for a in arrays)
            if mode == "inplace":
                f = _torch_inplace(rec, op)
                if f is not None:
                    calls[impl] = (lambda f=f, a=targs: f(*a, inplace=True), False)
                continue
            f = {"forward": rec.torch_forward, "backward": rec.torch_backward}.get(op)
            if f is None:
                continue
            if mode == "out" and _accepts_out(f):
                tout = torch.from_numpy(out)
                calls[impl] = (lambda f=f, a=targs, o=tout: f(*a, out=o), False)
            else:
                calls[impl] = (lambda f=f, a=targs: f(*a), True)
    return calls


def _idempotent(rec: OpRecord, op: str, arrays: tuple[np.ndarray, ...]) -> bool:
    """Whether the op, applied in place twice, leaves what it left once (so a timed loop of
    in-place calls keeps timing the same work)."""
    f = _api_function(rec, op)
    head = tuple(a[:4096].copy() for a in arrays)
    once = f(*head, out=head[0]).copy()
    twice = f(*head, out=head[0])
    return bool(np.array_equal(once, twice, equal_nan=True))


def _torch_inplace(rec: OpRecord, op: str) -> Callable[..., Any] | None:
    """``torch.nn.functional.NAME`` when it has ``inplace=`` (F.relu's is ``torch.relu_``)."""
    if op != "forward":
        return None
    import torch.nn.functional as F

    f = getattr(F, rec.name, None)
    try:
        return f if f is not None and "inplace" in inspect.signature(f).parameters else None
    except (TypeError, ValueError):
        return None


def _batch_size(call: Callable[[], Any], min_batch_s: float) -> int:
    """Calls per timed repetition so that one repetition lasts at least ``min_batch_s``."""
    batch = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(batch):
            call()
        dt = time.perf_counter() - t0
        if dt >= min_batch_s or batch >= 1 << 24:
            return batch
        # Aim a little past the target from the measured rate, at least doubling.
        batch = max(2 * batch, int(batch * 1.2 * min_batch_s / max(dt, 1e-9)))


def time_round_robin(
    calls: dict[str, Callable[[], Any]], repeats: int, min_batch_s: float | None = None
) -> dict[str, tuple[list[float], int]]:
    """Per-call times of each callable, ``repeats`` rounds interleaved: ``{name: (times, batch)}``.

    >>> res = time_round_robin({"noop": lambda: None}, repeats=7, min_batch_s=1e-4)
    >>> times, batch = res["noop"]
    >>> len(times), batch > 1
    (7, True)
    """
    min_batch_s = MIN_BATCH_S if min_batch_s is None else min_batch_s
    names = list(calls)
    for call in calls.values():  # warm-up: first touch of pages, lazy initialisation, caches
        call()
        call()
    batches = {name: _batch_size(calls[name], min_batch_s) for name in names}
    times: dict[str, list[float]] = {name: [] for name in names}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection inside one batch would be charged to whoever ran then
    try:
        for r in range(repeats):
            # Rotate who goes first, so no implementation always runs right after another.
            k = r % len(names)
            for name in names[k:] + names[:k]:
                call, batch = calls[name], batches[name]
                t0 = time.perf_counter_ns()
                for _ in range(batch):
                    call()
                times[name].append((time.perf_counter_ns() - t0) / batch / 1e9)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: (times[name], batches[name]) for name in names}


# Loose on purpose: the peers are naive formulas (that is what they stand for) and torch computes
# some float64 constants in float32, so this only catches a peer wired up wrongly (wrong
# arguments, wrong function), never an ULP-level difference.
_AGREE_TOL = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-6}


def disagreements(
    rec: OpRecord, op: str, dtype: str, calls: dict[str, Callable[[], Any]]
) -> list[str]:
    """The implementations whose result differs from the first one's (rectifier's, normally).

    A benchmark of a wrong answer is moot, so each record says whether its implementation
    agreed (``agrees``); the CLI warns about the ones that did not.

    >>> calls = make_calls(rectifier.ops["relu"], "forward", "float64", 5, ["rectifier", "numpy"])
    >>> disagreements(rectifier.ops["relu"], "forward", "float64",
    ...               {k: c for k, (c, _) in calls.items()})
    []
    """
    results = {name: _as_float64(call()) for name, call in calls.items()}
    if not results:
        return []
    ref = next(iter(results.values()))
    tol = _AGREE_TOL.get(dtype, 1e-6)
    return [
        name
        for name, res in results.items()
        if res.shape != ref.shape or not np.allclose(res, ref, rtol=tol, atol=tol, equal_nan=True)
    ]


def _as_float64(result: Any) -> np.ndarray:
    if isinstance(result, tuple):  # e.g. prelu_backward: (grad_input, grad_weight)
        result = result[0]
    if not isinstance(result, np.ndarray) and hasattr(result, "numpy"):  # a torch tensor
        result = result.detach().cpu().numpy()
    # A copy: the implementations share one output buffer.
    return np.array(result, dtype=np.float64, copy=True)


@contextlib.contextmanager
def _rectifier_threads(threads: int) -> Iterator[None]:
    """Run rectifier's kernels (and the limit) with ``threads`` threads, then restore."""
    before = rectifier_threads()
    rectifier.set_num_threads(threads)
    try:
        yield
    finally:
        rectifier.set_num_threads(before)


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Run torch with ``threads`` threads (a fair race: the same count as rectifier), then
    restore the caller's setting. ``None``: leave torch alone (and unimported)."""
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def bench_case(
    rec: OpRecord,
    op: str,
    dtype: str,
    n: int,
    repeats: int = DEFAULT_REPEATS,
    impls: Sequence[str] = IMPLS,
    threads: int | None = None,
    min_batch_s: float | None = None,
    mode: str = "out",
) -> list[BenchRecord]:
    """Time every implementation on one case; one :class:`BenchRecord` each (none for an
    ``inplace`` case whose op is not idempotent, see :func:`make_calls`).

    >>> recs = bench_case(rectifier.ops["relu"], "backward", "float32", 100, repeats=7,
    ...                   impls=["numpy"], min_batch_s=1e-4)
    >>> r = recs[0]
    >>> r.impl, r.op, r.min_s <= r.median_s <= r.max_s
    ('numpy', 'backward', True)
    """
    threads = rectifier_threads() if threads is None else threads
    calls = make_calls(rec, op, dtype, n, impls, mode=mode)
    if not calls:
        return []
    # The limit computes nothing, so its result is never compared.
    wrong = disagreements(rec, op, dtype, {k: c for k, (c, _) in calls.items() if k != "limit"})
    with _torch_threads(threads if "torch" in calls else None), _rectifier_threads(threads):
        timed = time_round_robin({k: c for k, (c, _) in calls.items()}, repeats, min_batch_s)
    moved = bytes_moved(op, n, np.dtype(dtype).itemsize)
    limit_med = statistics.median(timed["limit"][0]) if "limit" in timed else None
    records = []
    for impl, (times, batch) in timed.items():
        med = statistics.median(times)
        of_limit = limit_med / med if limit_med is not None and impl != "limit" else None
        records.append(
            BenchRecord(
                function=rec.name,
                op=op,
                impl=impl,
                dtype=dtype,
                n=int(n),
                threads=threads,
                median_s=med,
                min_s=min(times),
                max_s=max(times),
                gbps=moved / med / 1e9,
                simd=rectifier.simd_target,
                alloc=calls[impl][1],
                agrees=impl not in wrong,
                repeats=repeats,
                batch=batch,
                mode=mode,
                of_limit=of_limit,
            )
        )
    return records


def run_bench(
    functions: Sequence[str] | None = None,
    ops: Sequence[str] = DEFAULT_OPS,
    dtypes: Sequence[str] = DEFAULT_DTYPES,
    sizes: Sequence[int] = DEFAULT_SIZES,
    repeats: int = DEFAULT_REPEATS,
    impls: Sequence[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    modes: Sequence[str] = DEFAULT_MODES,
    threads: int | None = None,
) -> list[BenchRecord]:
    """Benchmark every (function, op, mode, dtype, n); returns the records in that order.

    ``functions=None`` means every function in the registry; ``impls=None`` means rectifier,
    numpy, (if installed) torch and the limit; ``threads=None`` means rectifier's current count
    (torch gets the same). ``progress(done, total, label)`` is called before each case.
    Raises ``ValueError`` for a bad argument (see :func:`validate`).

    >>> recs = run_bench(functions=["relu"], ops=["grad"], dtypes=["float32"], sizes=[64],
    ...                  repeats=7, impls=["rectifier"])
    >>> recs[0].to_dict()["op"], recs[0].gbps > 0
    ('grad', True)
    """
    functions = list(REGISTRY) if functions is None else list(functions)
    impls = list(IMPLS) if impls is None else list(impls)
    validate(functions, ops, dtypes, sizes, repeats, impls, modes, threads)
    threads = rectifier_threads() if threads is None else threads
    cases = [
        (f, op, m, dt, int(n))
        for f in functions
        for op in ops
        for m in modes
        for dt in dtypes
        for n in sizes
    ]
    records: list[BenchRecord] = []
    for i, (f, op, m, dt, n) in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), f"{f} {op} {m} {dt} n={n}")
        records += bench_case(REGISTRY[f], op, dt, n, repeats, impls, threads, mode=m)
    return records


def speedups(records: Iterable[BenchRecord], peer: str) -> dict[tuple, float]:
    """``peer``'s median over each record's median (> 1: faster than the peer), keyed by
    ``(function, op, mode, dtype, n, impl)``; cases without the peer are left out.

    >>> r = dict(function="relu", op="forward", dtype="float32", n=10, threads=1, min_s=0,
    ...          max_s=0, gbps=0, simd="x", alloc=False, agrees=True, repeats=7,
    ...          batch=1)
    >>> recs = [BenchRecord(impl="rectifier", median_s=1.0, **r),
    ...         BenchRecord(impl="numpy", median_s=3.0, **r)]
    >>> speedups(recs, "numpy")[("relu", "forward", "out", "float32", 10, "rectifier")]
    3.0
    """
    records = list(records)
    peer_median = {
        (r.function, r.op, r.mode, r.dtype, r.n): r.median_s for r in records if r.impl == peer
    }
    out = {}
    for r in records:
        base = peer_median.get((r.function, r.op, r.mode, r.dtype, r.n))
        if base is not None:
            out[(r.function, r.op, r.mode, r.dtype, r.n, r.impl)] = base / r.median_s
    return out


TABLE_COLUMNS = (
    "function",
    "op",
    "mode",
    "dtype",
    "n",
    "impl",
    "median µs",
    "GB/s",
    "of limit",
    "vs numpy",
    "vs torch",
)
_RIGHT = {4, 6, 7, 8, 9, 10}  # numeric columns, aligned on the right


def table_rows(records: Sequence[BenchRecord]) -> list[tuple[str, ...]]:
    """The benchmark table as strings, one row per record (columns: TABLE_COLUMNS).

    "vs numpy" / "vs torch" are speedups: the peer's median over this row's (2.00x: twice as
    fast); "of limit" is this row's bandwidth as a share of the limit row's. An implementation
    that allocates its output where the others write into one is marked ``torch (alloc)``; one
    whose result disagreed with rectifier's is marked ``WRONG`` (its timing is of a wrong answer).
    """
    vs_numpy, vs_torch = speedups(records, "numpy"), speedups(records, "torch")
    rows = []
    for r in records:
        key = (r.function, r.op, r.mode, r.dtype, r.n, r.impl)
        rows.append(
            (
                r.function,
                r.op,
                r.mode,
                r.dtype,
                f"{r.n:,}",
                _impl_label(r),
                f"{r.median_s * 1e6:,.2f}",
                f"{r.gbps:.2f}",
                f"{r.of_limit:.0%}" if r.of_limit is not None else "-",
                f"{vs_numpy[key]:.2f}x" if key in vs_numpy else "-",
                f"{vs_torch[key]:.2f}x" if key in vs_torch else "-",
            )
        )
    return rows


def _impl_label(r: BenchRecord) -> str:
    alloc = r.alloc and r.mode != "alloc"  # in alloc mode every row allocates
    notes = [note for note, on in (("alloc", alloc), ("WRONG", not r.agrees)) if on]
    return f"{r.impl} ({', '.join(notes)})" if notes else r.impl


def disagreement_notes(records: Iterable[BenchRecord]) -> list[str]:
    """One line per (function, op, impl) whose result disagreed with rectifier's."""
    seen: dict[tuple[str, str, str], list[str]] = {}
    for r in records:
        if not r.agrees:
            seen.setdefault((r.function, r.op, r.impl), []).append(r.dtype)
    return [
        f"{impl} disagrees with rectifier on {f} {op} ({', '.join(dict.fromkeys(dts))}): "
        "check its peer in the registry (the function or the arguments it is given)"
        for (f, op, impl), dts in seen.items()
    ]


def format_table(records: Sequence[BenchRecord]) -> str:
    """The benchmark table as plain text (for logs and terminals without rich).

    >>> r = dict(function="relu", op="forward", dtype="float32", n=1000, threads=1,
    ...          median_s=2e-6, min_s=1e-6, max_s=3e-6, gbps=4.0, simd="avx2", alloc=False,
    ...          agrees=True, repeats=7, batch=500)
    >>> print(format_table([BenchRecord(impl="numpy", **r)]))
    function  op       mode  dtype    n      impl   median µs  GB/s  of limit  vs numpy  vs torch
    relu      forward  out   float32  1,000  numpy       2.00  4.00         -     1.00x         -
    """
    rows = [TABLE_COLUMNS, *table_rows(records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    right = _RIGHT
    lines = []
    for row in rows:
        cells = [
            c.rjust(w) if i in right and row is not rows[0] else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def format_facts(facts: dict[str, Any]) -> str:
    """Machine facts as ``key: value`` lines, printed before the table."""
    return "\n".join(f"{k}: {v}" for k, v in facts.items())


def print_report(records: Sequence[BenchRecord], facts: dict[str, Any], file: Any = None) -> None:
    """Machine facts, then the table: with rich if it is installed, plain text otherwise."""
    file = sys.stdout if file is None else file
    try:
        from rich import box
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(format_facts(facts), file=file)
        print(file=file)
        print(format_table(records), file=file)
        return
    # A pipe or file gets a width that fits the table rather than rich's 80-column default.
    console = Console(file=file, width=None if file.isatty() else 160)
    console.print(format_facts(facts), highlight=False, markup=False)
    table = Table(box=box.SIMPLE_HEAD, caption="vs X: X's median / this median (>1 is faster)")
    for i, col in enumerate(TABLE_COLUMNS):
        table.add_column(col, justify="right" if i in _RIGHT else "left")
    for row in table_rows(records):
        table.add_row(*row)
    console.print(table)


# ---- goals: the targets of issue 4, as ratios of medians from one run ------------------------


@dataclasses.dataclass(frozen=True)
class Goal:
    """rectifier's median over ``peer``'s on one float32 case must be at most ``target``."""

    label: str
    function: str
    op: str
    mode: str
    n: int
    peer: str
    target: float


GOALS = (
    Goal("relu in place vs torch relu_", "relu", "forward", "inplace", LARGE, "torch", 1.0),
    Goal("relu in place vs the limit", "relu", "forward", "inplace", LARGE, "limit", 1.12),
    Goal("relu allocating vs np.maximum(x, 0)", "relu", "forward", "alloc", 10**7, "numpy", 0.8),
    Goal("relu allocating vs torch.relu", "relu", "forward", "alloc", 10**7, "torch", 1.0),
    Goal("relu_backward vs threshold_backward", "relu", "backward", "alloc", 10**7, "torch", 1.0),
    Goal("gelu forward vs torch", "gelu", "forward", "alloc", 10**7, "torch", 1.0),
    Goal("silu forward vs torch", "silu", "forward", "alloc", 10**7, "torch", 1.0),
    Goal("elu forward vs torch", "elu", "forward", "alloc", 10**7, "torch", 1.0),
)


@dataclasses.dataclass(frozen=True)
class GoalResult:
    goal: Goal
    ratio: float | None  # rectifier median / peer median; None: the peer did not run

    @property
    def met(self) -> bool:
        return self.ratio is not None and self.ratio <= self.goal.target


def run_goals(
    repeats: int = DEFAULT_REPEATS,
    goals: Sequence[Goal] | None = None,
    threads: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[list[GoalResult], list[BenchRecord]]:
    """Time the cases the goals need (each once, with every peer it is compared with) and
    judge each goal on ratios of medians from that one run.

    >>> g = Goal("tiny", "relu", "forward", "out", 1000, "numpy", 100.0)
    >>> results, recs = run_goals(7, [g])  # goals=None: the issue's goals (GOALS)
    >>> results[0].met, sorted(r.impl for r in recs)
    (True, ['numpy', 'rectifier'])
    """
    goals = GOALS if goals is None else goals
    cases: dict[tuple[str, str, str, int], list[str]] = {}
    for g in goals:
        impls = cases.setdefault((g.function, g.op, g.mode, g.n), ["rectifier"])
        if g.peer not in impls:
            impls.append(g.peer)
    threads = rectifier_threads() if threads is None else threads
    records: list[BenchRecord] = []
    for i, ((f, op, mode, n), impls) in enumerate(cases.items()):
        if progress is not None:
            progress(i, len(cases), f"{f} {op} {mode} float32 n={n}")
        records += bench_case(REGISTRY[f], op, "float32", n, repeats, impls, threads, mode=mode)
    median = {(r.function, r.op, r.mode, r.n, r.impl): r.median_s for r in records}
    results = []
    for g in goals:
        mine = median.get((g.function, g.op, g.mode, g.n, "rectifier"))
        peer = median.get((g.function, g.op, g.mode, g.n, g.peer))
        results.append(GoalResult(g, None if mine is None or peer is None else mine / peer))
    return results, records


def format_goals(results: Sequence[GoalResult]) -> str:
    """One line per goal: the ratio, the target and whether it was met.

    >>> g = Goal("relu vs numpy", "relu", "forward", "out", 10, "numpy", 0.8)
    >>> print(format_goals([GoalResult(g, 0.5), GoalResult(g, None)]))
    goal           n   rectifier / peer  target   met
    relu vs numpy  10              0.50  <= 0.80  yes
    relu vs numpy  10                 -  <= 0.80  no (peer not run)
    """
    rows = [("goal", "n", "rectifier / peer", "target", "met")]
    for r in results:
        met = "yes" if r.met else "no" if r.ratio is not None else "no (peer not run)"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        rows.append(
            (
                r.goal.label,
                f"{r.goal.n:.0e}" if r.goal.n >= 10**6 else str(r.goal.n),
                ratio,
                f"<= {r.goal.target:.2f}",
                met,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        cells = [
            c.rjust(w) if i in (1, 2) and row is not rows[0] else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# ---- the picture: GB/s against n --------------------------------------------------------------


def plot(
    records: Sequence[BenchRecord],
    path: str,
    facts: dict[str, Any] | None = None,
    force: bool = False,
) -> None:
    """GB/s against n (log x), one panel per (function, op, mode), a line per implementation
    (solid float32, dashed float64, ...), written atomically to ``path`` (PNG). Needs matplotlib.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rectifier._files import atomic_write

    panels = list(dict.fromkeys((r.function, r.op, r.mode) for r in records))
    if not panels:
        raise ValueError("plot: no records to plot")
    cols = min(2, len(panels))
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 4.2 * rows), squeeze=False)
    colors = {"rectifier": "C3", "numpy": "C0", "torch": "C1", "limit": "0.35"}
    styles = ["-", "--", ":", "-."]
    dtypes = list(dict.fromkeys(r.dtype for r in records))
    for ax, (f, op, mode) in zip(axes.flat, panels, strict=False):
        for impl in IMPLS:
            for k, dt in enumerate(dtypes):
                mine = [
                    r
                    for r in records
                    if (r.function, r.op, r.mode, r.impl, r.dtype) == (f, op, mode, impl, dt)
                ]
                pts = sorted((r.n, r.gbps) for r in mine)
                alloc = " (alloc)" if mode != "alloc" and any(r.alloc for r in mine) else ""
                if pts:
                    ax.plot(
                        *zip(*pts, strict=True),
                        styles[k % len(styles)],
                        marker="o",
                        ms=3,
                        color=colors[impl],
                        label=f"{impl} {dt}{alloc}",
                    )
        ax.set_xscale("log")
        ax.set_xlabel("n (elements)")
        ax.set_ylabel("GB/s (bytes read + written / median time)")
        title = {
            "out": "into an existing output",
            "inplace": "in place",
            "alloc": "allocating the output",
        }[mode]
        ax.set_title(f"{f} {op}, {title}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if facts:
        fig.suptitle(
            f"{facts.get('cpu')}, {facts.get('cores_available')} cores, "
            f"{facts.get('threads')} threads, SIMD {facts.get('simd_target')}",
            fontsize=9,
        )
    fig.tight_layout()
    with atomic_write(path, "wb", force=force) as fh:
        fig.savefig(fh, format="png", dpi=90)
    plt.close(fig)
