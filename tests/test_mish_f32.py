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


# ---- the fast paths (family_f32_mish.h: |x| <= 80 forward, and |g| <= 2^100 backward) ----------

BLOCK = 256  # loops.h's RECT_SPLIT_BLOCK: the fast path serves whole blocks


def _blocks(values: list[float], seed: int = 13) -> np.ndarray:
    """Blocks of 256 in the fast range, each holding one of ``values`` at a varying place."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-79.99, 79.99, BLOCK * len(values))
    x[np.arange(len(values)) * BLOCK + np.arange(len(values)) * 41 % BLOCK] = values
    return x.astype(F32)


def _fast_edges() -> list[float]:
    up80 = float(np.nextafter(F32(80), F32(0)))
    x0 = -1.1924312145154952  # mish' = 0: the zero's polynomial within 1/4 of it
    near = [x0 + d for d in (-0.25, 0.25)]
    near += [float(np.nextafter(F32(v), F32(s))) for v in near for s in (np.inf, -np.inf)]
    return [80.0, -80.0, up80, -up80, 0.0, -0.0, TINY, -TINY, 2.0**-126, -(2.0**-126),
            2.0**-100, -(2.0**-100), x0, float(F32(x0)), 9.0, -9.0, 0.5, -0.5, *near]


def test_forward_fast_path_edges():
    x = _blocks(_fast_edges())
    with np.errstate(all="ignore"):
        got = REC.ufunc(x)
        ref = REC.ufunc(x.astype(np.float64))
    assert_f32_within(got, ref, x, "mish (fast blocks)")
    # the same values with one NaN per block (the full kernel) give the same bits elsewhere
    planted = x.copy()
    planted[7::BLOCK] = np.nan
    keep = ~np.isnan(planted)
    np.testing.assert_array_equal(REC.ufunc(planted)[keep], got[keep])
    assert np.isnan(REC.ufunc(planted)[~keep]).all()


def test_backward_fast_path_edges():
    x = _blocks(_fast_edges() * 7, seed=14)
    rng = np.random.default_rng(15)
    g = (rng.standard_normal(x.size) * 4).astype(F32)
    special = np.array([0.0, -0.0, TINY, -TINY, 2.0**-126, 2.0**100, -(2.0**100)], dtype=F32)
    g[3::11] = special[np.arange(g[3::11].size) % special.size]
    with np.errstate(all="ignore"):
        got = REC.backward_ufunc(g, x)
        ref = REC.backward_ufunc(g.astype(np.float64), x.astype(np.float64))
    assert_f32_within(got, ref, x, "mish_backward (fast blocks)", zero_signs=False)
    # a zero g gives a zero of g's sign times f''s (the full kernel's g f'(x) hi)
    z = g == 0
    d = REC.grad_ufunc(x[z].astype(np.float64))
    assert np.array_equal(np.signbit(got[z]), np.signbit(g[z]) ^ np.signbit(d))
    # |g| just above 2^100, an inf or a NaN in a block sends it to the full kernel, bit for bit
    for value in (2.0**101, np.inf, np.nan):
        planted = g.copy()
        planted[9::BLOCK] = value
        keep = planted == g
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(REC.backward_ufunc(planted, x)[keep], got[keep])
