"""Reference implementations for the kernel tests: plain Python, one element at a time.

They are written from SEMANTICS.md, independently of the C kernels and of NumPy's ufuncs, and
computed in float64 (exact for the piecewise-linear functions), then rounded once to the dtype.
"""

from __future__ import annotations

import math

import numpy as np


def relu(x: float) -> float:
    if isinstance(x, int):
        return x if x > 0 else 0
    if math.isnan(x):
        return x
    return x if x > 0 else 0.0


def relu_grad(x: float, at_zero: float) -> float:
    if math.isnan(x):
        return x
    return 1.0 if x > 0 else (at_zero if x == 0 else 0.0)


def relu_backward(g: float, x: float, at_zero: float) -> float:
    if math.isnan(x):
        return x
    if x > 0:
        return g
    if x == 0:
        return 0.0 if at_zero == 0 else at_zero * g
    return 0.0


def _nan_or(x: float, f):
    return x if isinstance(x, float) and math.isnan(x) else f()


def leaky_relu(x, s):
    if isinstance(x, float) and math.isnan(x):
        return x
    return x if x > 0 else (0.0 if s == 0 else x * s)


def leaky_relu_grad(x, s):
    return _nan_or(x, lambda: 1.0 if x > 0 else s)


def leaky_relu_backward(g, x, s):
    return _nan_or(x, lambda: g if x > 0 else (0.0 if s == 0 else g * s))


def relu6(x):
    return _nan_or(x, lambda: min(x, 6) if x > 0 else (0 if isinstance(x, int) else 0.0))


def relu6_grad(x):
    return _nan_or(x, lambda: 1.0 if 0 < x < 6 else 0.0)


def relu6_backward(g, x):
    return _nan_or(x, lambda: g if 0 < x < 6 else 0.0)


def hardtanh(x, lo, hi):
    return x if isinstance(x, float) and math.isnan(x) else (lo if x < lo else hi if x > hi else x)


def hardtanh_grad(x, lo, hi):
    return _nan_or(x, lambda: 1.0 if lo < x < hi else 0.0)


def hardtanh_backward(g, x, lo, hi):
    return _nan_or(x, lambda: g if lo < x < hi else 0.0)


def threshold(x, t, v):
    return _nan_or(x, lambda: x if x > t else v)


def threshold_grad(x, t, v):
    return _nan_or(x, lambda: 1.0 if x > t else 0.0)


def threshold_backward(g, x, t, v):
    return _nan_or(x, lambda: g if x > t else 0.0)


def squared_relu(x):
    return _nan_or(x, lambda: x * x if x > 0 else (0 if isinstance(x, int) else 0.0))


def squared_relu_grad(x):
    return _nan_or(x, lambda: 2.0 * x if x > 0 else 0.0)


def squared_relu_backward(g, x):
    return _nan_or(x, lambda: g * (2.0 * x) if x > 0 else 0.0)


# op name -> scalar reference, taking the ufunc's inputs in order. The smooth functions are not
# here: their values are checked against mpmath (tests/test_accuracy.py), and the layout sweep
# checks every layout against the same ufunc on a contiguous copy.
SCALAR = {
    ("relu", "forward"): relu,
    ("relu", "grad"): relu_grad,
    ("relu", "backward"): relu_backward,
    ("leaky_relu", "forward"): leaky_relu,
    ("leaky_relu", "grad"): leaky_relu_grad,
    ("leaky_relu", "backward"): leaky_relu_backward,
    ("prelu", "forward"): leaky_relu,
    ("prelu", "grad"): leaky_relu_grad,
    ("prelu", "backward"): leaky_relu_backward,
    ("relu6", "forward"): relu6,
    ("relu6", "grad"): relu6_grad,
    ("relu6", "backward"): relu6_backward,
    ("hardtanh", "forward"): hardtanh,
    ("hardtanh", "grad"): hardtanh_grad,
    ("hardtanh", "backward"): hardtanh_backward,
    ("threshold", "forward"): threshold,
    ("threshold", "grad"): threshold_grad,
    ("threshold", "backward"): threshold_backward,
    ("squared_relu", "forward"): squared_relu,
    ("squared_relu", "grad"): squared_relu_grad,
    ("squared_relu", "backward"): squared_relu_backward,
}


def _wrap(v: int, dtype: np.dtype) -> int:
    """An integer result modulo 2**bits, as NumPy's integer arithmetic wraps."""
    info = np.iinfo(dtype)
    bits = info.bits
    v %= 1 << bits
    return v - (1 << bits) if v > info.max else v


def evaluate(name: str, op: str, *arrays: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Broadcast the inputs, apply the scalar reference in float64, round once to ``dtype``."""
    fn = SCALAR[(name, op)]
    bcast = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
    if np.dtype(dtype).kind in "iu":
        # Integers are exact: compute on Python ints, never through float64.
        flat = [b.ravel().tolist() for b in bcast]
        out = np.array([_wrap(fn(*(v[i] for v in flat)), dtype) for i in range(bcast[0].size)],
                       dtype=dtype)
        return out.reshape(bcast[0].shape)
    flat = [b.astype(np.float64).ravel() for b in bcast]
    out = np.array([fn(*(float(v[i]) for v in flat)) for i in range(flat[0].size)],
                   dtype=np.float64)
    with np.errstate(over="ignore"):  # a float16 square may round to inf, as it should
        return out.reshape(bcast[0].shape).astype(dtype)


def same(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Bitwise equality up to NaN payloads: same dtype, shape, values, signs of zero and NaNs."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        return False
    if actual.dtype.kind != "f":
        return bool(np.array_equal(actual, expected))
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    return bool(
        np.array_equal(nan_a, nan_e)
        and np.array_equal(actual[~nan_a], expected[~nan_e])
        and np.array_equal(np.signbit(actual[~nan_a]), np.signbit(expected[~nan_e]))
    )


def mismatches(x: np.ndarray, actual: np.ndarray, expected: np.ndarray, limit: int = 4) -> str:
    """Every failing point (up to ``limit``), not just the first: for assertion messages."""
    a, e, xs = np.ravel(actual), np.ravel(expected), np.ravel(np.broadcast_to(x, np.shape(actual)))
    bad = [i for i in range(a.size) if not same(a[i : i + 1], e[i : i + 1])]
    shown = ", ".join(f"x={xs[i]!r}: got {a[i]!r}, want {e[i]!r}" for i in bad[:limit])
    return f"{len(bad)} mismatches: {shown}"


def assert_f32_within(got: np.ndarray, ref: np.ndarray, x: np.ndarray | None, what: str,
                      zero_signs: bool = True, bound: float = 2.0) -> None:
    """float32 results within ``bound`` ulp of a float64 reference (accuracy.ulp_error), naming
    the first failing points; with ``zero_signs``, zeros also carry the reference's sign."""
    from rectifier import accuracy

    err = accuracy.ulp_error(got, ref, np.zeros_like(ref), "float32")
    bad = ~(err <= bound)
    shown = ", ".join(f"{f'at {j}' if x is None else f'x={x[j]!r}'} got {got[j]!r} "
                      f"want {ref[j]!r}" for j in np.flatnonzero(bad)[:6])
    assert not bad.any(), f"{what}: {bad.sum()} points over {bound} ulp: {shown}"
    if zero_signs:
        zero = (ref == 0) & (got == 0)
        assert np.array_equal(np.signbit(got[zero]), np.signbit(ref[zero])), what
