"""The float32 fast paths (family_f32_fast.h, run by loops.h's split loops).

A fast path serves a block of 256 contiguous elements when its predicate holds for every one of
them, so these inputs are built in such blocks: every block in range (the fast path runs), and
the same blocks with one out-of-range element planted (the full kernel runs), both checked
within 2 float32 ulp of the float64 kernel, with zeros of the float64 kernel's sign. The ranges
span what the predicates admit: |g| from the smallest subnormal up to just under 2^96, x from
just above -64 to the largest float, alpha from 2^-30 to 2^30 (and outside, where only the full
kernel may run).
"""

from __future__ import annotations

import numpy as np
import pytest

from rectifier import accuracy
from rectifier._ops import ALL_RECORDS

F32 = np.float32
BLOCK = 256
ALPHAS = [1.0, 0.5, -2.0, 2.0**-30, 2.0**30, 1.0e-6, -(2.0**30), 1e-35, 1e35, 0.0]


def _fast_range(nblocks: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x and g, every element inside the elu/selu backward fast path's range."""
    rng = np.random.default_rng(seed)
    n = nblocks * BLOCK
    x = np.where(
        rng.random(n) < 0.7,
        rng.uniform(-63.99, 0.0, n),  # the exp's whole range
        np.exp2(rng.uniform(-149, 127.9, n)) * rng.choice([-1.0, 1.0], n),  # every binade
    ).astype(F32)
    x[x < -63.99] = -63.99
    g = (np.exp2(rng.uniform(-149, 95.9, n)) * rng.choice([-1.0, 1.0], n)).astype(F32)
    g[::97] = 0.0
    g[::89] = -0.0
    x[::83] = -0.0
    x[::79] = 0.0
    return x, g


def _check(got: np.ndarray, ref: np.ndarray, what: str) -> None:
    err = accuracy.ulp_error(got, ref.astype(np.float64), np.zeros_like(ref), "float32")
    bad = ~(err <= 2)
    assert not bad.any(), f"{what}: {bad.sum()} over 2 ulp, worst {np.nanmax(err)}"
    zero = (ref == 0) & (got == 0)
    assert np.array_equal(np.signbit(got[zero]), np.signbit(ref[zero])), what


def _params(name: str, alpha: float) -> list:
    return [F32(alpha)] if ALL_RECORDS[name].params else []


CASES = [("elu", a) for a in ALPHAS] + [("selu", 1.0)]


@pytest.mark.parametrize(("name", "alpha"), CASES)
def test_backward_fast_path_blocks_within_2_ulp(name, alpha):
    rec = ALL_RECORDS[name]
    x, g = _fast_range()
    p32 = _params(name, alpha)
    p64 = [np.float64(p) for p in p32]
    with np.errstate(all="ignore"):
        got = rec.backward_ufunc(g, x, *p32)
        ref = rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64), *p64)
    _check(got, ref, f"{name}_backward alpha={alpha!r}")


@pytest.mark.parametrize(("name", "alpha"), [("elu", 1.0), ("elu", -2.0), ("selu", 1.0)])
@pytest.mark.parametrize(
    "planted",
    [("g", np.inf), ("g", -np.inf), ("g", np.nan), ("g", 2.0**100), ("x", -100.0), ("x", np.nan),
     ("x", -np.inf)],
)
def test_one_out_of_range_element_sends_its_block_to_the_full_kernel(name, alpha, planted):
    rec = ALL_RECORDS[name]
    x, g = _fast_range(nblocks=8, seed=1)
    which, value = planted
    arr = g if which == "g" else x
    arr[np.arange(0, arr.size, BLOCK) + np.arange(arr.size // BLOCK) * 37 % BLOCK] = value
    p32 = _params(name, alpha)
    p64 = [np.float64(p) for p in p32]
    with np.errstate(all="ignore"):
        got = rec.backward_ufunc(g, x, *p32)
        ref = rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64), *p64).astype(F32)
    special = ~np.isfinite(ref) | ~np.isfinite(got)
    np.testing.assert_array_equal(got[special], ref[special])
    _check(got[~special], ref[~special], f"{name}_backward with {planted}")


@pytest.mark.parametrize("name", ["elu", "selu"])
def test_fast_path_results_do_not_depend_on_layout(name):
    """Out aliasing g or x, strided inputs and an unaligned start (the loops' other branches and
    other block boundaries) give values within 2 ulp too."""
    rec = ALL_RECORDS[name]
    x, g = _fast_range(nblocks=4, seed=2)
    p32 = _params(name, 1.0)
    ref = rec.backward_ufunc(g.astype(np.float64), x.astype(np.float64),
                             *[np.float64(p) for p in p32])
    plain = rec.backward_ufunc(g, x, *p32)
    _check(plain, ref, "contiguous")
    into_g = g.copy()
    rec.backward_ufunc(into_g, x, *p32, out=into_g)
    _check(into_g, ref, "out is g")
    into_x = x.copy()
    rec.backward_ufunc(g, into_x, *p32, out=into_x)
    _check(into_x, ref, "out is x")
    g2, x2 = np.repeat(g, 2)[::2], np.repeat(x, 2)[::2]  # stride 2: the full kernel
    _check(rec.backward_ufunc(g2, x2, *p32), ref, "strided")
    _check(rec.backward_ufunc(g[3:], x[3:], *p32), ref[3:], "offset by 3")
