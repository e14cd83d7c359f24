"""float32 silu and softplus (float-lane cores, family_f32_*.h) against the float64 kernels.

The float64 kernels are within 4 float64 ULP of the exact value (test_accuracy.py checks them
against mpmath), ~1e-8 of a float32 ULP, so the float32 result's distance from them in float32
ULP is its error. These cases are the ones a default-parameter grid does not reach: softplus's
beta on both sides of the float lanes' range (2^-20 <= |beta| <= 2^20; outside it the double core
serves), negative beta and finite thresholds, and backward passes whose grad is huge or tiny
(scaled by 2^-64 or 2^64 inside the kernel) where the derivative is far below float32's range.
"""

from __future__ import annotations

import numpy as np
import pytest

from rectifier import accuracy
from rectifier._ops import ALL_RECORDS

BOUND = 2.0  # SEMANTICS.md: float32 forward, derivative and backward within 2 ULP

# on both sides of 2^-20 and 2^20, negative, and the defaults
BETAS = [1.0, 2.0, -1.0, 0.3, -7.5, 2.0**-20, np.nextafter(np.float32(2.0**-20), 0), 2.0**20,
         np.nextafter(np.float32(2.0**20), np.float32(np.inf)), -(2.0**20), 1e-30, 1e30]
THRESHOLDS = [np.inf, 20.0, 0.0, -3.0]


def _x() -> np.ndarray:
    """Every binade of both signs plus a dense sample where softplus and sigmoid change."""
    x = accuracy.grid("float32", 8, dense=4000).astype(np.float32)
    return np.unique(np.concatenate([x, np.linspace(-120, 120, 20001, dtype=np.float32)]))


def _ulp(got32: np.ndarray, ref64: np.ndarray) -> np.ndarray:
    return accuracy.ulp_error(got32, ref64, np.zeros_like(ref64), "float32")


def _masked(ref: np.ndarray, grad64: np.ndarray) -> np.ndarray:
    """float32's backward is 0 where |f'(x)| < 2^-280 (there g * f'(x) rounds to 0 for every
    finite float32 g), a NaN or inf grad included (kernels.c's rect_backward_value_lo); float64
    keeps g * f'(x) there."""
    return np.where(np.abs(grad64) < 2.0**-280, 0.0, ref)


def _grads(n: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    g = (rng.standard_normal(n) * 4.0).astype(np.float32)
    # huge and tiny grads where the derivative is far below float32's range, inf and NaN
    extremes = np.array([3e38, -3e38, 2.0**100, 2.0**-100, 1e-45, -1e-45, np.inf, -np.inf,
                         np.nan], dtype=np.float32)
    with np.errstate(over="ignore"):
        g[: n // 3] *= np.resize(extremes, n // 3)
    return g


@pytest.mark.parametrize("threshold", THRESHOLDS)
@pytest.mark.parametrize("beta", BETAS)
def test_softplus_float32_within_2_ulp_for_every_beta(beta, threshold):
    rec = ALL_RECORDS["softplus"]
    x = _x()
    b32, t32 = np.float32(beta), np.float32(threshold)
    b64, t64 = float(b32), float(t32)
    g = _grads(x.size)
    with np.errstate(all="ignore"):
        cases = {
            "forward": (rec.ufunc(x, b32, t32), rec.ufunc(x.astype(np.float64), b64, t64)),
            "grad": (rec.grad_ufunc(x, b32, t32),
                     rec.grad_ufunc(x.astype(np.float64), b64, t64)),
            "backward": (rec.backward_ufunc(g, x, b32, t32),
                         _masked(rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64),
                                                    b64, t64),
                                 rec.grad_ufunc(x.astype(np.float64), b64, t64))),
        }
    for op, (got, ref) in cases.items():
        err = _ulp(got, ref)
        bad = ~(err <= BOUND)
        assert not bad.any(), (op, [(float(x[i]), float(err[i])) for i in np.flatnonzero(bad)[:5]])


def test_silu_float32_backward_with_extreme_grads():
    rec = ALL_RECORDS["silu"]
    x = _x()
    g = _grads(x.size)
    with np.errstate(all="ignore"):
        got = rec.backward_ufunc(g, x)
        ref = _masked(rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64)),
                      rec.grad_ufunc(x.astype(np.float64)))
    err = _ulp(got, ref)
    bad = ~(err <= BOUND)
    assert not bad.any(), [(float(x[i]), float(g[i]), float(err[i]))
                           for i in np.flatnonzero(bad)[:5]]
    # a huge grad times silu'(-150) ~ -1e-63 is still a float32 (not flushed to zero)
    deep = rec.backward_ufunc(np.float32(3e38), np.float32(-150.0))
    assert deep != 0 and np.isfinite(deep)


def _every_float32(lo: float, hi: float) -> np.ndarray:
    """Every float32 in [lo, hi] (same sign)."""
    a, b = np.array([lo, hi], dtype=np.float32).view(np.int32)
    bits = np.arange(min(a, b), max(a, b) + 1, dtype=np.int32)
    return bits.view(np.float32)


@pytest.mark.parametrize("lo, hi", [(-17.5, -14.0), (14.0, 17.5)])
def test_silu_float32_every_input_where_one_plus_two_to_the_minus_k_rounds(lo, hi):
    """Around |x| = 16.6 (k = +-24 in e^-x = (1 + q) 2^k) 1 + 2^-|k| stops being exact; the
    forward folds the difference into q where x < 0 (without it: 2.4 ulp at x = -16.68)."""
    rec = ALL_RECORDS["silu"]
    x = _every_float32(lo, hi)
    for op, got, ref in [("forward", rec.ufunc(x), rec.ufunc(x.astype(np.float64))),
                         ("grad", rec.grad_ufunc(x), rec.grad_ufunc(x.astype(np.float64)))]:
        err = _ulp(got, ref)
        bad = ~(err <= BOUND)
        assert not bad.any(), (op, [(float(x[i]), float(err[i])) for i in np.flatnonzero(bad)[:5]])


def test_silu_float32_every_input_near_the_derivatives_zero():
    """silu' is 0 at x0 = -1.2785, where the numerator's cancellation amplifies e^-x's error
    ~0.22 / |x - x0| times; the kernel's exp polynomial has its error vanish at x0 instead of a
    root polynomial there: every float32 of x0's reduction interval (k = 2: -1.733 < x < -1.040)."""
    rec = ALL_RECORDS["silu"]
    x = _every_float32(-1.75, -1.03)
    g = np.random.default_rng(3).standard_normal(x.size).astype(np.float32) * 4
    cases = {"grad": (rec.grad_ufunc(x), rec.grad_ufunc(x.astype(np.float64))),
             "backward": (rec.backward_ufunc(g, x),
                          rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64)))}
    for op, (got, ref) in cases.items():
        err = _ulp(got, ref)
        bad = ~(err <= BOUND)
        assert not bad.any(), (op, [(float(x[i]), float(err[i])) for i in np.flatnonzero(bad)[:5]])
