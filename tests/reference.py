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


# op name -> scalar reference, taking the ufunc's inputs in order.
SCALAR = {
    ("relu", "forward"): relu,
    ("relu", "grad"): relu_grad,
    ("relu", "backward"): relu_backward,
}


def evaluate(name: str, op: str, *arrays: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Broadcast the inputs, apply the scalar reference in float64, round once to ``dtype``."""
    fn = SCALAR[(name, op)]
    bcast = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
    if np.dtype(dtype).kind in "iu":
        # Integers are exact: compute on Python ints, never through float64.
        flat = [b.ravel().tolist() for b in bcast]
        out = np.array([fn(*(v[i] for v in flat)) for i in range(bcast[0].size)], dtype=dtype)
        return out.reshape(bcast[0].shape)
    flat = [b.astype(np.float64).ravel() for b in bcast]
    out = np.array([fn(*(float(v[i]) for v in flat)) for i in range(flat[0].size)],
                   dtype=np.float64)
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
