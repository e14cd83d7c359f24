"""The float-lane kernels of family_f32_exp.h over their parameter's whole float range.

tests/test_accuracy.py and tools/exhaustive_f32.py measure the float32 kernels at the default
parameters (and one more); elu's and celu's alpha can be any float (0, subnormal, huge, negative)
and the float lanes serve all of them, so here every form is checked against the float64 kernel
(within 4 float64 ULP of the exact value, ~1e-8 of a float32 ULP) at extreme alphas, with
extreme grads (0, -0, subnormal, the largest float, inf, NaN) among ordinary ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from rectifier import accuracy
from rectifier._ops import ALL_RECORDS

F32 = np.float32
TINY = float(np.finfo(F32).smallest_subnormal)
BIG = float(np.finfo(F32).max)
ALPHAS = {
    "elu": [1.0, 0.5, 0.0, -2.0, TINY, 1e-30, 3e-39, 1e30, BIG, -BIG, -1e-20],
    "celu": [1.0, 2.0, 1e-30, TINY, 3e-39, 1e20, BIG, -1.5, -1e-20, -BIG],
}


def _inputs() -> tuple[np.ndarray, np.ndarray]:
    """x: both signs of every binade (a few points each), the range [-300, 5] densely, the
    edges; g: N(0, 4^2) with extreme values planted every 7th element."""
    rng = np.random.default_rng(3)
    pos = np.exp2(rng.uniform(-149, 128, 4000))
    dense = rng.uniform(-300, 5, 20000)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, TINY, -TINY, BIG, -BIG]
    x = np.concatenate([pos, -pos, dense, edges]).astype(F32)
    g = (rng.standard_normal(x.size) * 4).astype(F32)
    special = np.array([0.0, -0.0, TINY, -TINY, BIG, -BIG, 1e-30, 3e30], dtype=F32)
    g[::7] = special[np.arange(g[::7].size) % special.size]
    g[::1001] = np.inf
    g[::1003] = np.nan
    return x, g


def _check(got: np.ndarray, ref: np.ndarray, x: np.ndarray, what: str,
           d: np.ndarray | None = None) -> None:
    err = accuracy.ulp_error(got, ref, np.zeros_like(ref), "float32")
    if d is not None:
        # |f'(x)| < 2^-278: g f'(x) rounds to 0 for every finite g, and the float32 kernels take
        # f'(x) as 0 there (masking a NaN or inf g), where float64 multiplies
        err = np.where((np.abs(d) < 2.0**-278) & (got == 0), 0, err)
    bad = ~(err <= 2)
    i = np.flatnonzero(bad)[:6]
    assert not bad.any(), f"{what}: {bad.sum()} points over 2 ulp: " + ", ".join(
        f"x={x[j]!r} got {got[j]!r} want {ref[j]!r}" for j in i)
    # zeros carry the double core's sign (outside the zone where f'(x) is taken as 0)
    zero = (ref == 0) & (got == 0)
    if d is not None:
        zero &= ~(np.abs(d) < 2.0**-278)
    assert np.array_equal(np.signbit(got[zero]), np.signbit(ref[zero])), what


CASES = [(name, a) for name, alphas in ALPHAS.items() for a in alphas]


@pytest.mark.parametrize(("name", "alpha"), CASES)
def test_grad_and_backward_within_2_ulp_for_every_alpha(name, alpha):
    rec = ALL_RECORDS[name]
    a32 = F32(alpha)
    x, g = _inputs()
    with np.errstate(all="ignore"):
        got = rec.grad_ufunc(x, a32)
        d = rec.grad_ufunc(x.astype(np.float64), np.float64(a32))
        _check(got, d, x, f"{name}_grad alpha={alpha!r}")
        got = rec.backward_ufunc(g, x, a32)
        ref = rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64), np.float64(a32))
    if name == "celu" and alpha < 0:
        # celu'(x) = e^{x/alpha} grows without bound: where it overflows float64's exp (e^1400
        # saturates), g = 0 or a tiny g times it differs from float32's inf; compare where the
        # float64 product is a float32 number or clearly overflows
        keep = ~((x.astype(np.float64) / np.float64(a32) > 700) & (np.abs(g) < 1e-30))
        got, ref, x, d = got[keep], ref[keep], x[keep], d[keep]
    _check(got, ref, x, f"{name}_backward alpha={alpha!r}", d)


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "hardsigmoid", "hardswish"])
def test_backward_masks_nan_and_inf_grads_only_where_the_derivative_is_zero(name):
    rec = ALL_RECORDS[name]
    params = [F32(p.default) for p in rec.params]
    x = np.array([-np.inf, -1e4, -1.0, -0.0, 0.0, 1.0, np.nan], dtype=F32)
    for gv in (np.nan, np.inf, -np.inf):
        g = np.full(x.size, gv, dtype=F32)
        with np.errstate(all="ignore"):
            got = rec.backward_ufunc(g, x, *params)
            ref = rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64), *params)
        np.testing.assert_array_equal(got, ref.astype(F32))
