"""How far from the correctly rounded result each implementation is, in ULP of the output dtype.

For every smooth function of the registry (its forward and its derivative) and every float dtype,
:func:`measure` compares rectifier, PyTorch (CPU; autograd for the derivative) and the naive
NumPy formula with the exact value on the same inputs and reports the worst error and where it
occurred, on :func:`grid`'s inputs (every binade, the edges and the derivatives' zeros). The
exact values come from mpmath at 120 bits for float32 and float64; for float16 (all
65,536 inputs) from float64 formulas in stable form, whose error (~1e-15 relative) is ten orders
below a float16 ULP. The tests (tests/test_accuracy.py) hold rectifier to SEMANTICS.md's bounds
with the same code; ``rectifier bench --accuracy`` prints :func:`format_table`.

>>> recs = measure(["selu"], dtypes=["float32"], impls=["rectifier"], ops=["forward"],
...               per_binade=1)
>>> recs[0].function, recs[0].impl, recs[0].max_ulp <= 2
('selu', 'rectifier', True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rectifier._ops import ALL_RECORDS, SELU_ALPHA, SELU_SCALE, OpRecord

DTYPES = ("float16", "float32", "float64")
IMPLS = ("rectifier", "torch", "numpy")
OPS = ("forward", "grad")
#: The functions whose values are not exact (the others are checked bit for bit).
SMOOTH = ("elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish", "softplus", "hardsigmoid",
          "hardswish", "sigmoid", "tanh")

_PREC = 120


@dataclass(frozen=True)
class AccuracyRecord:
    """The worst error of one implementation on one (function, op, dtype)."""

    function: str
    op: str
    dtype: str
    impl: str
    max_ulp: float  # over the inputs where the value is finite and its kind right
    worst_x: float
    points: int
    bound: int
    wrong_special: int = 0  # inputs with a NaN or infinity where the exact value is finite (or
    # the reverse): counted apart, so one NaN at -inf does not hide the finite error


# ---- exact values (mpmath) ---------------------------------------------------------------


def _mp() -> Any:
    try:
        import mpmath
    except ImportError:  # pragma: no cover - part of the test extra
        raise ImportError('rectifier.accuracy needs mpmath: pip install mpmath') from None
    return mpmath


def _mp_functions(mp: Any) -> dict[tuple[str, str], Callable[..., Any]]:
    """Each function and derivative from its definition, at mpmath's working precision."""
    lam, alpha = mp.mpf("1.0507009873554804934193349852946"), mp.mpf(
        "1.6732632423543772848170429916717")
    a, c = mp.mpf("0.044715"), 2 * mp.sqrt(2 / mp.pi)

    def sig(v: Any) -> Any:
        return 1 / (1 + mp.exp(-v))

    def sig_c(v: Any) -> Any:  # 1 - sigmoid(v), without cancellation
        return 1 / (1 + mp.exp(v))

    def phi(x: Any) -> Any:
        return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)

    def cdf(x: Any) -> Any:
        # mpmath's erfc overflows for |x| ~ 1e300; beyond 60 the tail is below 2^-2000 and the
        # asymptotic series' first terms are exact far past any dtype's underflow.
        if x > 60:
            return mp.mpf(1)
        if x < -60:
            return phi(x) / -x * (1 - 1 / x**2 + 3 / x**4)
        return mp.erfc(-x / mp.sqrt(2)) / 2

    def gt_v(x: Any) -> Any:
        return c * (x + a * x**3)

    def softplus(x: Any, beta: Any, threshold: Any) -> Any:
        return x if beta * x > threshold else mp.log1p(mp.exp(beta * x)) / beta

    return {
        ("elu", "forward"): lambda x, alpha: x if x > 0 else alpha * mp.expm1(x),
        ("elu", "grad"): lambda x, alpha: 1 if x > 0 else alpha * mp.exp(x),
        ("selu", "forward"): lambda x: lam * (x if x > 0 else alpha * mp.expm1(x)),
        ("selu", "grad"): lambda x: lam * (1 if x > 0 else alpha * mp.exp(x)),
        ("celu", "forward"): lambda x, alpha: x if x > 0 else alpha * mp.expm1(x / alpha),
        ("celu", "grad"): lambda x, alpha: 1 if x > 0 else mp.exp(x / alpha),
        ("gelu", "forward"): lambda x: x * cdf(x),
        ("gelu", "grad"): lambda x: cdf(x) + x * phi(x),
        # x/2 (1 + tanh(v/2)) = x sigmoid(v): the same value, no cancellation for x < 0
        ("gelu_tanh", "forward"): lambda x: x * sig(gt_v(x)),
        ("gelu_tanh", "grad"): lambda x: sig(gt_v(x)) * (
            1 + x * sig_c(gt_v(x)) * c * (1 + 3 * a * x * x)),
        ("silu", "forward"): lambda x: x * sig(x),
        ("silu", "grad"): lambda x: sig(x) * (1 + x * sig_c(x)),
        ("mish", "forward"): lambda x: x * mp.tanh(mp.log1p(mp.exp(x))),
        ("mish", "grad"): lambda x: mp.tanh(mp.log1p(mp.exp(x)))
        + x * mp.sech(mp.log1p(mp.exp(x))) ** 2 * sig(x),
        ("softplus", "forward"): softplus,
        ("softplus", "grad"): lambda x, beta, threshold: 1 if beta * x > threshold
        else sig(beta * x),
        ("hardsigmoid", "forward"): lambda x: 0 if x <= -3 else (1 if x >= 3 else (x + 3) / 6),
        ("hardsigmoid", "grad"): lambda x: mp.mpf(1) / 6 if -3 < x < 3 else 0,
        ("hardswish", "forward"): lambda x: 0 if x <= -3 else (x if x >= 3 else x * (x + 3) / 6),
        ("hardswish", "grad"): lambda x: 0 if x <= -3 else (1 if x >= 3 else (2 * x + 3) / 6),
        ("sigmoid", "forward"): sig,
        ("sigmoid", "grad"): lambda x: sig(x) * sig_c(x),
        ("tanh", "forward"): mp.tanh,
        ("tanh", "grad"): lambda x: mp.sech(x) ** 2,
    }


def _limit(rec: OpRecord, op: str, x: float) -> float:
    assert rec.limits is not None
    f_lo, f_hi, d_lo, d_hi = rec.limits
    if op == "forward":
        return f_lo if x < 0 else f_hi
    return d_lo if x < 0 else d_hi


@functools.cache
def _exact_cached(name: str, op: str, xs: bytes, params: tuple[tuple[str, float], ...]
                  ) -> tuple[np.ndarray, np.ndarray]:
    mp = _mp()
    rec = ALL_RECORDS[name]
    x = np.frombuffer(xs, dtype=np.float64)
    kw = dict(params)
    hi = np.empty_like(x)
    lo = np.zeros_like(x)
    with mp.workprec(_PREC):
        fn = _mp_functions(mp)[(name, op)]  # its constants at the working precision too
        mkw = {k: mp.mpf(v) for k, v in kw.items()}
        for i, v in enumerate(x.tolist()):
            if math.isnan(v):
                hi[i] = math.nan
            elif math.isinf(v):
                hi[i] = _limit(rec, op, v)
                if name in ("elu", "celu") and op == "forward" and v < 0:
                    hi[i] = -kw["alpha"]
            else:
                e = mp.mpf(fn(mp.mpf(v), **mkw))
                h = float(e)
                hi[i] = h
                lo[i] = float(e - h) if math.isfinite(h) else 0.0
    return hi, lo


def exact(name: str, op: str, x: np.ndarray, **params: float) -> tuple[np.ndarray, np.ndarray]:
    """The exact value as two float64 arrays (hi rounded to nearest, lo the rest), from mpmath.

    >>> hi, lo = exact("silu", "forward", np.array([1.0]))
    >>> float(hi[0]), bool(abs(lo[0]) < 1e-16)
    (0.7310585786300049, True)
    """
    x64 = np.ascontiguousarray(x, dtype=np.float64)
    return _exact_cached(name, op, x64.tobytes(), tuple(sorted(params.items())))


# ---- float64 references for float16 (stable forms, vectorised) -----------------------------


def _ref64(name: str, op: str, x: np.ndarray, **kw: float) -> np.ndarray:
    """float64 values of ``name`` in stable forms (expm1, log1p, e^-|x|), for float16 inputs."""
    erfc = np.vectorize(math.erfc, otypes=[np.float64])
    with np.errstate(all="ignore"):
        z = np.exp(-np.abs(x))
        s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))  # sigmoid(x)
        sc = np.where(x >= 0, z / (1 + z), 1 / (1 + z))  # 1 - sigmoid(x)
        if name in ("gelu_tanh",):
            c = 2 * math.sqrt(2 / math.pi)
            v = c * (x + 0.044715 * x**3)
            zv = np.exp(-np.abs(v))
            sv = np.where(v >= 0, 1 / (1 + zv), zv / (1 + zv))
            scv = np.where(v >= 0, zv / (1 + zv), 1 / (1 + zv))
        tsp = np.where(x >= 0, (1 + 2 * z) / (1 + 2 * z + 2 * z * z),
                       z * (z + 2) / (z * (z + 2) + 2))  # tanh(softplus(x))
        r: np.ndarray
        if name == "elu":
            r = np.where(x > 0, x, kw["alpha"] * np.expm1(x)) if op == "forward" else np.where(
                x > 0, 1.0, kw["alpha"] * np.exp(x))
        elif name == "selu":
            r = SELU_SCALE * (np.where(x > 0, x, SELU_ALPHA * np.expm1(x)) if op == "forward"
                              else np.where(x > 0, 1.0, SELU_ALPHA * np.exp(x)))
        elif name == "celu":
            a = kw["alpha"]
            r = np.where(x > 0, x, a * np.expm1(x / a)) if op == "forward" else np.where(
                x > 0, 1.0, np.exp(x / a))
        elif name == "gelu":
            cdf = 0.5 * erfc(-x / math.sqrt(2))
            r = x * cdf if op == "forward" else cdf + x * np.exp(-x * x / 2) / math.sqrt(
                2 * math.pi)
        elif name == "gelu_tanh":
            c = 2 * math.sqrt(2 / math.pi)
            r = x * sv if op == "forward" else sv * (1 + x * scv * c * (1 + 3 * 0.044715 * x * x))
        elif name == "silu":
            r = x * s if op == "forward" else s * (1 + x * sc)
        elif name == "mish":
            r = x * tsp if op == "forward" else tsp + x * (1 - tsp * tsp) * s
        elif name == "softplus":
            b, t = kw["beta"], kw["threshold"]
            u = b * x
            zu = np.exp(-np.abs(u))
            if op == "forward":
                r = np.where(u > t, x, np.maximum(x, 0) + np.log1p(zu) / b)
            else:
                r = np.where(u > t, 1.0, np.where(u >= 0, 1 / (1 + zu), zu / (1 + zu)))
        elif name == "hardsigmoid":
            r = np.clip(x + 3, 0, 6) / 6 if op == "forward" else np.where(
                (x > -3) & (x < 3), 1 / 6, 0.0)
        elif name == "hardswish":
            r = x * np.clip(x + 3, 0, 6) / 6 if op == "forward" else np.where(
                x <= -3, 0.0, np.where(x >= 3, 1.0, (2 * x + 3) / 6))
        elif name == "sigmoid":
            r = s if op == "forward" else s * sc
        elif name == "tanh":
            r = np.tanh(x) if op == "forward" else 4 * z * z / (1 + z * z) ** 2
        else:  # pragma: no cover - SMOOTH lists every function above
            raise KeyError(name)
    rec = ALL_RECORDS[name]
    r = np.where(np.isinf(x), [_limit(rec, op, v) for v in x], r) if np.isinf(x).any() else r
    if name in ("elu", "celu") and op == "forward":
        r = np.where(np.isneginf(x), -kw["alpha"], r)
    return np.where(np.isnan(x), np.nan, r)


# ---- inputs ----------------------------------------------------------------------------


#: The interior zeros of the derivatives (to double precision): the inputs where a derivative's
#: relative error is hardest to keep, so every grid holds each one and its neighbours.
DERIVATIVE_ZEROS = {"silu": -1.2784645427610737, "gelu": -0.7517915246935645,
                    "gelu_tanh": -0.7524614220710163, "mish": -1.1924312145154952}
#: Points per binade: ``rectifier bench --accuracy`` (the README's table) and the tests.
BENCH_PER_BINADE = 8
TEST_PER_BINADE = 1


def _neighbours(v: float, dt: np.dtype, k: int = 4) -> list[float]:
    """v rounded to ``dt`` and its k nearest representable neighbours on each side."""
    x = np.array([v], dtype=dt)
    out = [float(x[0])]
    up, down = x.copy(), x.copy()
    for _ in range(k):
        up = np.nextafter(up, np.array([np.inf], dtype=dt))
        down = np.nextafter(down, np.array([-np.inf], dtype=dt))
        out += [float(up[0]), float(down[0])]
    return out


def grid(dtype: str, per_binade: int = BENCH_PER_BINADE, dense: int = 2000,
         seed: int = 0) -> np.ndarray:
    """Inputs representable in ``dtype``, as float64, sorted, NaN last: every float16 value; for
    float32 and float64, ``per_binade`` points in every binade [2^e, 2^(e+1)) from the smallest
    subnormal to the largest finite value, both signs (stratified: one in each of
    ``per_binade`` equal slices of the mantissa), ``dense`` uniform points in [-12, 12] and as
    many in the negative tail where the smooth functions underflow, and the edges: ±0, the
    smallest subnormal and normal, the largest finite value, ±inf, NaN, the kinks (±1, ±3, 6)
    and each derivative's interior zero (DERIVATIVE_ZEROS) with four neighbours on each side.

    >>> len(grid("float16"))
    65536
    >>> g = grid("float32", 2, dense=100)
    >>> bool(np.array_equal(g.astype(np.float32), g, equal_nan=True))
    True
    >>> e = np.frexp(np.abs(g[np.isfinite(g) & (g != 0)]))[1] - 1  # every binade, both signs
    >>> sorted(set(e.tolist())) == list(range(-149, 128))
    True
    """
    dt = np.dtype(dtype)
    if dt == np.float16:
        return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(
            np.float64)
    fi = np.finfo(dt)
    rng = np.random.default_rng(seed)
    emin, emax = int(np.log2(float(fi.smallest_subnormal))), int(fi.maxexp)
    exps = np.repeat(np.arange(emin, emax), per_binade)
    slot = np.tile(np.arange(per_binade), emax - emin)
    mant = 1.0 + (slot + rng.uniform(0, 1, size=exps.size)) / per_binade
    binades = np.ldexp(np.minimum(mant, 2.0 - 2.0**-52), exps)
    uniform = rng.uniform(-12, 12, size=dense)
    tails = -np.exp(rng.uniform(np.log(12), np.log(800 if dt == np.float64 else 110),
                                size=dense))
    edges = [0.0, float(fi.smallest_subnormal), float(fi.smallest_normal), float(fi.max),
             1.0, 3.0, 6.0, float(fi.eps), math.inf]
    zeros = [v for z in DERIVATIVE_ZEROS.values() for v in _neighbours(z, dt)]
    with np.errstate(over="ignore"):
        x = np.concatenate([binades, -binades, uniform, tails, np.array(edges), -np.array(edges),
                            np.array(zeros)]).astype(dt).astype(np.float64)
    return np.concatenate([np.unique(x), [math.nan]])


# ---- errors ------------------------------------------------------------------------------


def ulp_error(got: np.ndarray, hi: np.ndarray, lo: np.ndarray, dtype: str) -> np.ndarray:
    """|got - exact| in ULP of ``dtype`` at the exact value (inf for a wrong NaN or infinity).

    >>> float(ulp_error(np.array([1.0 + 2**-52]), np.array([1.0]), np.array([0.0]),
    ...                 "float64")[0])
    1.0
    """
    dt = np.dtype(dtype)
    fi = np.finfo(dt)
    got = np.asarray(got, dtype=np.float64)
    with np.errstate(all="ignore"):
        rounded = hi.astype(dt).astype(np.float64)
        special = np.isnan(hi) | np.isinf(rounded) | np.isnan(got) | np.isinf(got)
        same_special = (np.isnan(hi) & np.isnan(got)) | (rounded == got)
        e = np.frexp(np.abs(hi))[1] - 1  # |exact| in [2^e, 2^(e+1))
        e = np.maximum(e, int(np.log2(float(fi.smallest_normal))))
        ulp = np.ldexp(1.0, e - (fi.nmant))
        err = np.abs((got - hi) - lo) / ulp
    return np.where(special, np.where(same_special, 0.0, math.inf), err)


# ---- implementations --------------------------------------------------------------------


def _params(rec: OpRecord) -> dict[str, float]:
    return {p.name: p.default for p in rec.params}


def _rectifier(rec: OpRecord, op: str, x: np.ndarray, params: dict[str, float]) -> np.ndarray:
    return rec.ufunc_for(op)(x, *params.values())


def _numpy(rec: OpRecord, op: str, x: np.ndarray, params: dict[str, float]) -> np.ndarray:
    f = rec.numpy_forward if op == "forward" else rec.numpy_grad
    return np.asarray(f(x))


def _torch(rec: OpRecord, op: str, x: np.ndarray, params: dict[str, float]) -> np.ndarray:
    import torch

    t = torch.from_numpy(x.copy())
    if op == "forward":
        with torch.no_grad():
            return rec.torch_forward(t).numpy()
    t.requires_grad_(True)
    rec.torch_forward(t).backward(torch.ones_like(t))
    assert t.grad is not None
    return t.grad.numpy()


_IMPL_FUNCS = {"rectifier": _rectifier, "numpy": _numpy, "torch": _torch}


def _available(impl: str) -> bool:
    if impl != "torch":
        return True
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def errors(name: str, op: str, dtype: str,
           impl: str | Callable[[OpRecord, str, np.ndarray, dict[str, float]], Any] = "rectifier",
           per_binade: int = BENCH_PER_BINADE, params: dict[str, float] | None = None,
           x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, ULP error per input) of one implementation on :func:`grid` (or on ``x``, float64
    values representable in ``dtype``); the tests use it directly. ``impl`` is a name in
    :data:`IMPLS` or a function ``(record, op, x, params) -> values`` (the device tests pass
    one that runs on a GPU and returns NumPy values)."""
    rec = ALL_RECORDS[name]
    kw = _params(rec) if params is None else params
    x64 = grid(dtype, per_binade) if x is None else np.asarray(x, dtype=np.float64)
    if np.dtype(dtype) == np.float16:
        ref = _ref64(name, op, x64, **kw)
        hi, lo = ref, np.zeros_like(ref)
    else:
        hi, lo = exact(name, op, x64, **kw)
    xd = x64.astype(dtype)
    with np.errstate(all="ignore"):
        got = (_IMPL_FUNCS[impl] if isinstance(impl, str) else impl)(rec, op, xd, kw)
    return x64, ulp_error(np.asarray(got), hi, lo, dtype)


def measure(functions: Iterable[str] | None = None, dtypes: Sequence[str] = DTYPES,
            impls: Sequence[str] = IMPLS, ops: Sequence[str] = OPS,
            per_binade: int = BENCH_PER_BINADE) -> list[AccuracyRecord]:
    """The worst ULP error per (function, op, dtype, implementation), on the same inputs.

    An implementation that fails on a dtype (torch has no float16 kernel for some ops) is
    reported with ``max_ulp`` NaN.
    """
    out = []
    for name in SMOOTH if functions is None else functions:
        rec = ALL_RECORDS[name]
        for op in ops:
            for dtype in dtypes:
                for impl in impls:
                    if not _available(impl):
                        continue
                    try:
                        x, err = errors(name, op, dtype, impl, per_binade)
                    except (RuntimeError, TypeError, NotImplementedError):
                        out.append(AccuracyRecord(name, op, dtype, impl, math.nan, math.nan, 0,
                                                  rec.ulp_bound[dtype]))
                        continue
                    finite = np.isfinite(err)
                    masked = np.where(finite, err, -1.0)
                    i = int(np.argmax(masked))
                    out.append(AccuracyRecord(name, op, dtype, impl, float(max(masked[i], 0.0)),
                                              float(x[i]), int(x.size), rec.ulp_bound[dtype],
                                              int((~finite).sum())))
    return out


def format_table(records: Sequence[AccuracyRecord]) -> str:
    """One row per (function, op), one column per (dtype, implementation): the worst error in
    ULP, and ``+kN`` when k inputs gave a NaN or infinity where the exact value is finite (or
    the reverse).

    >>> r = [AccuracyRecord("silu", "forward", "float32", "rectifier", 0.5, 1.0, 10, 2),
    ...      AccuracyRecord("silu", "forward", "float32", "torch", 0.5, 1.0, 10, 2, 1)]
    >>> print(format_table(r))
    function  op       float32 rectifier  float32 torch
    silu      forward  0.5                0.5 +1N
    """
    cols = sorted({(r.dtype, r.impl) for r in records},
                  key=lambda c: (DTYPES.index(c[0]), IMPLS.index(c[1])))
    rows: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
    for r in records:
        cell = _fmt(r.max_ulp) + (f" +{r.wrong_special}N" if r.wrong_special else "")
        rows.setdefault((r.function, r.op), {})[(r.dtype, r.impl)] = cell
    head = ["function", "op"] + [f"{d} {i}" for d, i in cols]
    body = [[f, op] + [vals.get(c, "-") for c in cols] for (f, op), vals in rows.items()]
    widths = [max(len(row[k]) for row in [head, *body]) for k in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, *body]]
    return "\n".join(lines)


def _fmt(v: float) -> str:
    if math.isnan(v):
        return "-"
    return f"{v:.3g}" if v < 1000 else f"{v:.1e}"
