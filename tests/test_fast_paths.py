"""The float32 fast paths (family_f32_fast.h and family_f32_gelu.h, run by loops.h's split loops).

A fast path serves a block of 256 contiguous elements when its predicate holds for every one of
them, so these inputs are built in such blocks: every block in range (the fast path runs), and
the same blocks with one out-of-range element planted (the full kernel runs), both checked
within 2 float32 ulp of the float64 kernel, with zeros of the float64 kernel's sign. The ranges
span what the predicates admit: |g| from the smallest subnormal up to just under 2^96; x from
just above -64 to the largest float (elu, selu), within (-80, 80) (softplus, beta = 1, every
threshold), or from -13 to the largest float (gelu's backward); alpha from 2^-30 to
2^30 (and outside, where only the full kernel may run).
mish has a forward fast path too (|x| <= 80; family_f32_mish.h), tested the same way at the end.
(gelu's forward had one, x >= -13; its core alone measured 7% faster than the split loop, whose
block pre-pass cost more than the fast path saved, so it was removed.)
"""

from __future__ import annotations

import numpy as np
import pytest

from rectifier._ops import ALL_RECORDS

from .reference import assert_f32_within

F32 = np.float32
BLOCK = 256
ALPHAS = [1.0, 0.5, -2.0, 2.0**-30, 2.0**30, 1.0e-6, -(2.0**30), 1e-35, 1e35, 0.0]
# x's range in each fast path: (low, high) of its dense part, and the largest |x| of any binade
X_RANGE = {
    "elu": (-63.99, 0.0, 2.0**127.9),
    "selu": (-63.99, 0.0, 2.0**127.9),
    "softplus": (-79.99, 79.99, 79.99),
    "gelu": (-13.0, 8.0, 2.0**127.9),
    "mish": (-79.99, 79.99, 79.99),
}


def _fast_range(
    name: str = "elu", nblocks: int = 96, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """x and g, every element inside the backward fast path's range of ``name``."""
    rng = np.random.default_rng(seed)
    n = nblocks * BLOCK
    lo, hi, top = X_RANGE[name]
    x = np.where(
        rng.random(n) < 0.7,
        rng.uniform(lo, hi, n),  # the exp's whole range
        np.exp2(rng.uniform(-149, np.log2(top), n)) * rng.choice([-1.0, 1.0], n),  # binades
    ).astype(F32)
    x = np.clip(x, F32(lo), F32(top))
    g = (np.exp2(rng.uniform(-149, 95.9, n)) * rng.choice([-1.0, 1.0], n)).astype(F32)
    g[::97] = 0.0
    g[::89] = -0.0
    x[::83] = -0.0
    x[::79] = 0.0
    return x, g


def _params(name: str, param: float | tuple[float, float] | None) -> list:
    """float32 parameters: elu's alpha, softplus's (beta, threshold), none for selu."""
    if name == "softplus":
        return [F32(v) for v in param]
    return [F32(param)] if ALL_RECORDS[name].params else []


SOFTPLUS = [(1.0, np.inf), (1.0, 20.0), (1.0, 0.0), (1.0, -3.0), (1.0, 5.5), (2.0, np.inf)]
CASES = (
    [("elu", a) for a in ALPHAS]
    + [("selu", 1.0), ("gelu", 1.0)]
    + [("softplus", p) for p in SOFTPLUS]
    + [("mish", None)]
)
DEFAULTS = [
    ("elu", 1.0),
    ("elu", -2.0),
    ("selu", 1.0),
    ("softplus", (1.0, np.inf)),
    ("softplus", (1.0, 20.0)),
    ("gelu", 1.0),
    ("mish", None),
]


@pytest.mark.parametrize(("name", "param"), CASES)
def test_backward_fast_path_blocks_within_2_ulp(name, param):
    rec = ALL_RECORDS[name]
    x, g = _fast_range(name)
    p32 = _params(name, param)
    p64 = [np.float64(p) for p in p32]
    with np.errstate(all="ignore"):
        got = rec.backward_ufunc(g, x, *p32)
        ref = rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64), *p64)
    assert_f32_within(got, ref, None, f"{name}_backward {param!r}")


@pytest.mark.parametrize(("name", "param"), DEFAULTS)
@pytest.mark.parametrize(
    "planted",
    [
        ("g", np.inf),
        ("g", -np.inf),
        ("g", np.nan),
        ("g", 2.0**100),
        ("g", 2.0**101),
        ("x", -100.0),
        ("x", np.nan),
        ("x", -np.inf),
        ("x", 100.0),
    ],
)
def test_one_out_of_range_element_sends_its_block_to_the_full_kernel(name, param, planted):
    rec = ALL_RECORDS[name]
    x, g = _fast_range(name, nblocks=8, seed=1)
    which, value = planted
    arr = g if which == "g" else x
    arr[np.arange(0, arr.size, BLOCK) + np.arange(arr.size // BLOCK) * 37 % BLOCK] = value
    p32 = _params(name, param)
    p64 = [np.float64(p) for p in p32]
    with np.errstate(all="ignore"):
        got = rec.backward_ufunc(g, x, *p32)
        ref = rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64), *p64).astype(F32)
    special = ~np.isfinite(ref) | ~np.isfinite(got)
    np.testing.assert_array_equal(got[special], ref[special])
    assert_f32_within(got[~special], ref[~special], None, f"{name}_backward with {planted}")
    # the other elements of those blocks get exactly what they get in fast-path blocks
    x0, g0 = _fast_range(name, nblocks=8, seed=1)
    same = (x == x0) & (g == g0)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got[same], rec.backward_ufunc(g0, x0, *p32)[same])


@pytest.mark.parametrize("name", ["elu", "selu", "softplus", "gelu", "mish"])
def test_fast_path_results_do_not_depend_on_layout(name):
    """Out aliasing g or x, strided inputs and an unaligned start (the loops' other branches and
    other block boundaries) give the same values, bit for bit."""
    rec = ALL_RECORDS[name]
    x, g = _fast_range(name, nblocks=4, seed=2)
    p32 = _params(name, (1.0, 20.0) if name == "softplus" else 1.0)
    ref = rec.backward_ufunc(
        g.astype(np.float64), x.astype(np.float64), *[np.float64(p) for p in p32]
    )
    plain = rec.backward_ufunc(g, x, *p32)
    assert_f32_within(plain, ref, None, "contiguous")
    into_g = g.copy()
    rec.backward_ufunc(into_g, x, *p32, out=into_g)
    np.testing.assert_array_equal(into_g, plain)
    into_x = x.copy()
    rec.backward_ufunc(g, into_x, *p32, out=into_x)
    np.testing.assert_array_equal(into_x, plain)
    g2, x2 = np.repeat(g, 2)[::2], np.repeat(x, 2)[::2]  # stride 2: element by element
    np.testing.assert_array_equal(rec.backward_ufunc(g2, x2, *p32), plain)
    np.testing.assert_array_equal(rec.backward_ufunc(g[3:], x[3:], *p32), plain[3:])


# ---- forward fast paths (kernels.c's RK_FWD_F_F32_FAST) ----------------------------------------

FORWARD_FAST = ["mish"]


def _fast_range_x(name: str, nblocks: int = 96, seed: int = 0) -> np.ndarray:
    """x only, every element inside the forward fast path's range of ``name``."""
    return _fast_range(name, nblocks, seed)[0]


@pytest.mark.parametrize("name", FORWARD_FAST)
def test_forward_fast_path_blocks_within_2_ulp(name):
    rec = ALL_RECORDS[name]
    x = _fast_range_x(name)
    with np.errstate(all="ignore"):
        got = rec.ufunc(x)
        ref = rec.ufunc(x.astype(np.float64))
    assert_f32_within(got, ref, x, f"{name} (fast path blocks)")


@pytest.mark.parametrize("name", FORWARD_FAST)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 100.0, -100.0, 2.0**-130, -3e38])
def test_forward_out_of_range_element_sends_its_block_to_the_full_kernel(name, value):
    rec = ALL_RECORDS[name]
    x = _fast_range_x(name, nblocks=8, seed=1)
    x0 = x.copy()
    x[np.arange(0, x.size, BLOCK) + np.arange(x.size // BLOCK) * 37 % BLOCK] = value
    with np.errstate(all="ignore"):
        got = rec.ufunc(x)
        ref = rec.ufunc(x.astype(np.float64)).astype(F32)
    special = ~np.isfinite(ref) | ~np.isfinite(got)
    np.testing.assert_array_equal(got[special], ref[special])
    assert_f32_within(got[~special], ref[~special], x[~special], f"{name} with {value!r}")
    # the other elements of those blocks get exactly what they get in fast-path blocks
    same = x == x0
    np.testing.assert_array_equal(got[same], rec.ufunc(x0)[same])


@pytest.mark.parametrize("name", FORWARD_FAST)
def test_forward_fast_path_results_do_not_depend_on_layout(name):
    """In place, strided and from an unaligned start give the same bits as the contiguous call."""
    rec = ALL_RECORDS[name]
    x = _fast_range_x(name, nblocks=4, seed=2)
    plain = rec.ufunc(x)
    assert_f32_within(plain, rec.ufunc(x.astype(np.float64)), x, "contiguous")
    inplace = x.copy()
    rec.ufunc(inplace, out=inplace)
    np.testing.assert_array_equal(inplace, plain)
    np.testing.assert_array_equal(rec.ufunc(np.repeat(x, 2)[::2]), plain)
    np.testing.assert_array_equal(rec.ufunc(x[3:]), plain[3:])
    # one element per block out of range: every other element keeps its bits
    planted = x.copy()
    planted[5::BLOCK] = np.nan
    keep = ~np.isnan(planted)
    np.testing.assert_array_equal(rec.ufunc(planted)[keep], plain[keep])
