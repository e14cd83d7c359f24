"""The float32 table kernels (family_f32_table.h: softplus, its grad and backward for beta = 1,
and silu's and mish's three forms, for |x| < 15.5, and gelu's forward, for |x| < 3.875, on
AVX-512, run by loops.h's RECT_RUN_*_TABLE).

A contiguous block of 256 elements goes to the block kernel (explicit SIMD); a block holding an
element outside the tables' range runs the full kernel first; strided and in-place calls take
other branches (the scalar kernel per element, or a test of the predicate first). So these
tests check the tables' range densely within 2 float32 ulp of the float64 kernel, and that
every layout gives the same bits. On builds without AVX-512 the same properties hold through
the polynomial kernels, and the tests check those.
"""

from __future__ import annotations

import numpy as np
import pytest

from rectifier import _core
from rectifier._ops import ALL_RECORDS

from .reference import assert_f32_within

F32 = np.float32
SOFTPLUS = ALL_RECORDS["softplus"]
SILU = ALL_RECORDS["silu"]
MISH = ALL_RECORDS["mish"]
# every form with a table kernel: (function, op)
FORMS = [("softplus", "forward"), ("softplus", "grad"), ("softplus", "backward"),
         ("silu", "forward"), ("silu", "grad"), ("silu", "backward"),
         ("mish", "forward"), ("mish", "grad"), ("mish", "backward"), ("gelu", "forward")]
# where mish' and silu' vanish; the derivative tables' interval there is centred at float32(x0)
ZEROS = {"mish": -1.1924312145154952, "silu": -1.2784645427610738}
XMAX = 15.5
QMAX = 3.875  # gelu's table: quarter slots


def _range(name: str) -> float:
    return QMAX if name == "gelu" else XMAX
THRESHOLDS = [20.0, np.inf, 5.0, 0.0, -3.0, np.nan, 15.5]


def _every_kth_in_range(k: int) -> np.ndarray:
    """Every k-th float32 bit pattern with |x| < 15.5, both signs, and the edges."""
    top = int(np.array(XMAX, F32).view(np.uint32))
    bits = np.arange(0, top, k, dtype=np.uint32)
    x = np.concatenate([bits.view(F32), (bits | np.uint32(0x80000000)).view(F32)])
    edges = np.nextafter(F32(XMAX), F32(0)) * np.array([1, -1], F32)
    # the intervals' edges and centres, each with its neighbours: in y = -|x| (-j/2 -+ 1/4,
    # -j/2), in x (j +- 1/2, j, and the derivatives' zeros; silu and mish), and at the
    # quarters (j/4 +- 1/8, j/4, and gelu's range's edge; gelu)
    knots = np.concatenate([-np.arange(32) / 2 - 0.25, -np.arange(32) / 2,
                            np.arange(-16, 16) + 0.5, np.arange(-16, 16),
                            np.arange(-16, 16) / 4 + 0.125, np.arange(-16, 16) / 4,
                            [QMAX, -QMAX], list(ZEROS.values())]).astype(F32)
    knots = knots[np.abs(knots) < XMAX]
    near = np.concatenate([knots, np.nextafter(knots, F32(-20)), np.nextafter(knots, F32(20))])
    return np.concatenate([x, edges, near, -near[near != 0]]).astype(F32)


def _grads(n: int, seed: int) -> np.ndarray:
    """Grads over every binade the block kernel takes (2^-78 .. 2^100), and zeros."""
    rng = np.random.default_rng(seed)
    g = np.exp2(rng.uniform(-78, 99.9, n)) * rng.choice([-1.0, 1.0], n)
    g = g.astype(F32)
    g[::61] = 0.0
    g[::67] = -0.0
    return g


def _call(op: str, x, g, beta=1.0, th=20.0, out=None, name="softplus"):
    if name in ("silu", "mish", "gelu"):
        rec = ALL_RECORDS[name]
        return {"forward": lambda: rec.ufunc(x, out=out),
                "grad": lambda: rec.grad_ufunc(x, out=out),
                "backward": lambda: rec.backward_ufunc(g, x, out=out)}[op]()
    p = [np.asarray(beta, x.dtype), np.asarray(th, x.dtype)]
    if op == "forward":
        return SOFTPLUS.ufunc(x, *p, out=out)
    if op == "grad":
        return SOFTPLUS.grad_ufunc(x, *p, out=out)
    return SOFTPLUS.backward_ufunc(g, x, *p, out=out)


@pytest.mark.parametrize(("name", "op"), FORMS)
def test_every_kth_float32_in_the_tables_range_is_within_2_ulp(name, op):
    x = _every_kth_in_range(997)
    g = _grads(x.size, seed=0)
    got = _call(op, x, g, name=name)
    ref = _call(op, x.astype(np.float64), g.astype(np.float64), name=name)
    assert_f32_within(got, ref, x, f"{name} {op}")


@pytest.mark.parametrize("th", THRESHOLDS)
@pytest.mark.parametrize("op", ["forward", "grad", "backward"])
def test_thresholds_inside_and_beyond_the_range(op, th):
    """x > threshold gives x (forward), 1 (grad) or g (backward) exactly; below it, the
    function; a NaN threshold is never exceeded."""
    rng = np.random.default_rng(1)
    x = rng.uniform(-15.4, 15.4, 4096).astype(F32)
    g = _grads(x.size, seed=2)
    got = _call(op, x, g, th=th)
    over = x > F32(th)
    want_over = {"forward": x, "grad": np.ones_like(x), "backward": g}[op]
    np.testing.assert_array_equal(got[over], want_over[over])
    ref = _call(op, x.astype(np.float64), g.astype(np.float64), th=th)
    assert_f32_within(got[~over], ref[~over], x[~over], f"softplus {op} threshold {th}")


def _blocks(nblocks: int, seed: int, name: str = "softplus") -> tuple[np.ndarray, np.ndarray]:
    """Blocks wholly in the function's table range (so they take the block kernel)."""
    rng = np.random.default_rng(seed)
    r = _range(name) - 0.01
    x = rng.uniform(-r, r, nblocks * 256).astype(F32)
    x[::83] = -0.0
    x[::79] = 0.0
    return x, _grads(x.size, seed + 1)


PLANTED = [
    ("x", 2.0**-100), ("x", -1e-45), ("x", 15.5), ("x", -15.5), ("x", 40.0), ("x", -100.0),
    ("x", QMAX), ("x", -QMAX),
    ("x", np.inf), ("x", -np.inf),
    ("x", np.nan), ("g", 2.0**-90), ("g", 2.0**110), ("g", np.inf), ("g", np.nan),
    ("g", 1e-45),
]


@pytest.mark.parametrize(
    ("name", "op", "planted"),
    [(name, op, p) for name, op in FORMS for p in PLANTED if p[0] == "x" or op == "backward"],
)
def test_an_element_out_of_range_sends_its_block_to_the_full_kernel(name, op, planted):
    """(Tiny x: out of silu's range, |x| < 2^-78; softplus takes them.)"""
    which, value = planted
    x0, g0 = _blocks(8, seed=3, name=name)
    x, g = x0.copy(), g0.copy()
    arr = g if which == "g" else x
    where = np.arange(0, arr.size, 256) + np.arange(arr.size // 256) * 37 % 256
    arr[where] = value
    with np.errstate(all="ignore"):
        got = _call(op, x, g, name=name)
        ref = _call(op, x.astype(np.float64), g.astype(np.float64), name=name).astype(F32)
    special = ~np.isfinite(ref) | ~np.isfinite(got)
    np.testing.assert_array_equal(got[special], ref[special])
    assert_f32_within(got[~special], ref[~special], x[~special], f"{name} {op} {planted}")
    # the block's other elements get what they get in a block wholly in range, bit for bit
    same = np.ones(x.size, bool)
    same[where] = False
    np.testing.assert_array_equal(got[same], _call(op, x0, g0, name=name)[same])


# Known defect (found 28 Nov, not in the AVX-512 build CI runs on): the AVX2 build's polynomial
# softplus forward gives 1 ulp different values strided and contiguous for some x (4% of
# x in (-0.7, -0.2)); both are within the bound. strict: the mark fails once it is fixed.
_AVX2_SOFTPLUS = pytest.mark.xfail(
    _core.simd_target == "avx2", strict=True,
    reason="AVX2 softplus forward: strided and contiguous loops differ by 1 ulp (known defect)",
)
LAYOUT_FORMS = [
    pytest.param(name, op, marks=_AVX2_SOFTPLUS) if (name, op) == ("softplus", "forward")
    else (name, op)
    for name, op in FORMS
]


@pytest.mark.parametrize("th", [20.0, 5.0])
@pytest.mark.parametrize(("name", "op"), LAYOUT_FORMS)
def test_layouts_give_the_same_bits(name, op, th):
    """The block kernel (contiguous), the predicate pass then the block kernel (in place), the
    scalar kernel (strided), other block boundaries (an offset start) and a short tail."""
    x, g = _blocks(4, seed=5, name=name)
    x[700] = 99.0  # one block through the full kernel too
    plain = _call(op, x, g, th=th, name=name)
    strided = _call(op, np.repeat(x, 2)[::2], np.repeat(g, 2)[::2], th=th, name=name)
    np.testing.assert_array_equal(strided, plain)
    np.testing.assert_array_equal(_call(op, x[3:], g[3:], th=th, name=name), plain[3:])
    np.testing.assert_array_equal(_call(op, x[:37], g[:37], th=th, name=name), plain[:37])
    inplace = x.copy()
    _call(op, inplace, g, th=th, out=inplace, name=name)
    np.testing.assert_array_equal(inplace, plain)
    if op == "backward":
        into_g = g.copy()
        _call(op, x, into_g, th=th, out=into_g, name=name)
        np.testing.assert_array_equal(into_g, plain)


@pytest.mark.parametrize("op", ["forward", "grad", "backward"])
def test_other_betas_do_not_take_the_tables(op):
    """beta = 2: the polynomial kernels, within 2 ulp, and a beta of 2 at x/2 is not beta = 1 at
    x: the tables' predicate reads beta."""
    x, g = _blocks(2, seed=7)
    got = _call(op, x, g, beta=2.0)
    ref = _call(op, x.astype(np.float64), g.astype(np.float64), beta=2.0)
    assert_f32_within(got, ref, x, f"softplus {op} beta=2")


def test_signed_zero_grads_keep_their_sign():
    x, _ = _blocks(1, seed=9)
    for zero in (0.0, -0.0):
        got = _call("backward", x, np.full_like(x, zero))
        assert np.all(got == 0) and np.all(np.signbit(got) == np.signbit(F32(zero)))


@pytest.mark.parametrize("rec", [SILU, MISH], ids=["silu", "mish"])
def test_signed_zeros_keep_the_sign(rec):
    x = np.zeros(512, F32)
    x[1::2] = -0.0
    got = rec.ufunc(x)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(x))


@pytest.mark.parametrize("op", ["grad", "backward"])
@pytest.mark.parametrize("name", ["silu", "mish"])
def test_derivative_near_its_zero(name, op):
    """The 4000 float32 nearest the derivative's zero x0 (the table's interval is centred at
    float32(x0); the derivative changes sign there): within 2 ulp of float64, signs included."""
    x0 = F32(ZEROS[name])
    steps = np.arange(-2000, 2000)
    bits = (np.array(x0, F32).view(np.int32) + steps).astype(np.int32)
    x = bits.view(F32)
    g = _grads(x.size, seed=11)
    got = _call(op, x, g, name=name)
    ref = _call(op, x.astype(np.float64), g.astype(np.float64), name=name)
    assert_f32_within(got, ref, x, f"{name} {op} near its zero")
    nonzero = ref != 0
    np.testing.assert_array_equal(np.signbit(got[nonzero]), np.signbit(ref[nonzero]))


@pytest.mark.parametrize("rec", [SILU, MISH], ids=["silu", "mish"])
def test_signed_zero_grads_have_the_sign_of_g_times_the_derivative(rec):
    """g = +-0 gives +-0 with the sign of g * f'(x): f' < 0 below its zero."""
    x, _ = _blocks(1, seed=13)
    slope = rec.grad_ufunc(x.astype(np.float64))
    for zero in (0.0, -0.0):
        got = rec.backward_ufunc(np.full_like(x, zero), x)
        assert np.all(got == 0)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(F32(zero)) ^ (slope < 0))
