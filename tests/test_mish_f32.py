"""mish's float-lane kernels (family_f32_mish.h) where their construction has edges.

The forward takes mish(x) = m (1 - h) with m prescaled by 2^64 (so its low parts stay normal for
a tiny x), runs its exp unclamped and selects x or -0 beyond |x| = 125, and copies the sign of x
onto the result; test_accuracy.py samples every binade, tools/exhaustive_f32.py every input at a
stride. Here the places where a slip would show: both sides of the |x| = 125 select, the smallest
binades (subnormal results), the weakest damping of h's error (|x| < 1/2, densely), the
underflow of x e^x below x = -100, the root of mish' (grad, backward), zeros, infinities and NaN.
Every form is compared with the float64 kernel (within 4 float64 ULP of the exact value).
"""

from __future__ import annotations

import numpy as np

from rectifier._ops import ALL_RECORDS

from .reference import assert_f32_within

F32 = np.float32
TINY = float(np.finfo(F32).smallest_subnormal)
BIG = float(np.finfo(F32).max)
REC = ALL_RECORDS["mish"]


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(11)
    up = float(np.nextafter(F32(125), F32(np.inf)))  # the first x beyond the select
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, TINY, -TINY, BIG, -BIG, 2.0**-126, -(2.0**-126),
             2.0**-125 * 1.0117, -(2.0**-125) * 1.0117, 124.99, 125.0, up, 1e4,
             -124.99, -125.0, -up, -1e4, -103.5, -104.0, -109.0, -110.0, 9.0, 9.1]
    tiny = np.exp2(rng.uniform(-149, -100, 2000))
    mid = np.exp2(rng.uniform(-100, 7, 2000))
    near0 = rng.uniform(-0.5, 0.5, 20000)
    tail = rng.uniform(-130, -80, 5000)
    root = rng.uniform(-1.5, -0.9, 5000)  # mish' = 0 at -1.1924
    wide = rng.uniform(-200, 200, 5000)
    x = np.concatenate([edges, tiny, -tiny, mid, -mid, near0, tail, root, wide])
    return x.astype(F32)


def test_forward_within_2_ulp_at_its_edges():
    x = _inputs()
    with np.errstate(all="ignore"):
        got = REC.ufunc(x)
        ref = REC.ufunc(x.astype(np.float64))
    assert got.dtype == F32
    assert_f32_within(got, ref, x, "mish")
    # the select beyond |x| = 125 gives x above 0 and -0 below, and NaN passes
    assert REC.ufunc(np.array([np.inf], F32))[0] == np.inf
    assert np.signbit(REC.ufunc(np.array([-np.inf, -1e4, -0.0], F32))).all()
    assert np.isnan(REC.ufunc(np.array([np.nan], F32))[0])


def test_grad_and_backward_within_2_ulp_at_the_same_points():
    x = _inputs()
    rng = np.random.default_rng(12)
    g = (rng.standard_normal(x.size) * 4).astype(F32)
    special = np.array([0.0, TINY, BIG, -BIG, 1e-30, 3e30, 2.0**33], dtype=F32)
    g[::5] = special[np.arange(g[::5].size) % special.size]
    with np.errstate(all="ignore"):
        assert_f32_within(REC.grad_ufunc(x), REC.grad_ufunc(x.astype(np.float64)), x, "mish_grad")
        got = REC.backward_ufunc(g, x)
        ref = REC.backward_ufunc(g.astype(np.float64), x.astype(np.float64))
    # a zero backward may carry g's sign or not (the contract leaves it to the kernel)
    assert_f32_within(got, ref, x, "mish_backward", zero_signs=False)
