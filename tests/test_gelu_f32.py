"""gelu's float-lane kernels (family_f32_gelu.h) where their construction has seams.

The kernels carry gelu'(x) as (a0 - a) e^{-a^2/2 + L2(m)} with a0 = -x0 (gelu's zero) split in
two floats, choose the exponent's k from an estimate of the polynomial, clamp a = |x| with an
integer min, and take subnormal x through the main path; the backward splits g into its exponent
and a significand. tests/test_accuracy.py samples the whole line; here the float32 kernels are
checked at those seams against the float64 kernels (4 float64 ULP of the exact value, ~1e-8 of a
float32 ULP): every float within 512 ULP of x0, the floats where k changes, subnormal and huge x,
and extreme gradients. Those inputs mix specials into every block, so they run the full kernels;
the last tests put the seams of the fast paths (x >= -13, |g| < 2^96: loops.h's split loops
take them on whole blocks of 256) in blocks of their own.
"""

from __future__ import annotations

import numpy as np

import rectifier

from .reference import assert_f32_within

F32 = np.float32
TINY = float(np.finfo(F32).smallest_subnormal)
BIG = float(np.finfo(F32).max)
X0 = -0.7517915246935644  # gelu'(x0) = 0


def _around(v: float, n: int) -> np.ndarray:
    """The 2n + 1 float32 values centred on float32(v)."""
    c = np.array([v], dtype=F32).view(np.int32)[0]
    return (c + np.arange(-n, n + 1, dtype=np.int32)).view(F32)


def _inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    sub = rng.integers(1, 2**23, 3000).astype(np.int32).view(F32)  # subnormals
    small = np.arange(1, 64, dtype=np.int32).view(F32)  # the smallest subnormals
    seams = [
        _around(X0, 512),  # gelu's zero: relative accuracy all the way in
        _around(np.sqrt(0.5), 64), _around(-np.sqrt(0.5), 64),  # A = -1/4: k's first step
        _around(0.8326, 64), _around(-0.8326, 64),  # A = -0.3466 (Sterbenz's edge)
        _around(-14.36, 64),  # gelu(x) rounds to 0 below here
        _around(-19.8063488, 64),  # below, g gelu'(x) is taken as 0
        _around(16.0, 8), _around(-16.0, 8), _around(20.0, 8), _around(-20.0, 8),  # clamps
    ]
    dense = rng.uniform(-21, 7, 20000)
    binades = np.exp2(rng.uniform(-149, 128, 3000))
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, TINY, -TINY, BIG, -BIG]
    x = np.concatenate([sub, -sub, small, -small, *seams, dense, binades, -binades,
                        edges]).astype(F32)
    g = (rng.standard_normal(x.size) * 4).astype(F32)
    special = np.array([0.0, -0.0, TINY, -TINY, BIG, -BIG, 1e-30, 3e30, 2.0**-126],
                       dtype=F32)
    g[::5] = special[np.arange(g[::5].size) % special.size]
    g[::1001] = np.inf
    g[::1003] = np.nan
    return x, g


def test_forward_and_grad_at_the_seams():
    x, _ = _inputs()
    with np.errstate(all="ignore"):
        assert_f32_within(rectifier.gelu(x), rectifier.gelu(x.astype(np.float64)), x, "gelu")
        assert_f32_within(rectifier.gelu_grad(x), rectifier.gelu_grad(x.astype(np.float64)), x,
               "gelu_grad")


def test_gelu_grad_changes_sign_at_x0():
    x = _around(X0, 512)
    d = rectifier.gelu_grad(x)
    # gelu has its minimum at x0: gelu' < 0 left of it, > 0 right of it
    assert (d[x < X0] < 0).all() and (d[x > X0] > 0).all()


def test_backward_at_the_seams_with_extreme_gradients():
    x, g = _inputs()
    with np.errstate(all="ignore"):
        got = rectifier.gelu_backward(g, x)
        ref = rectifier.gelu_backward(g.astype(np.float64), x.astype(np.float64))
        d = rectifier.gelu_grad(x.astype(np.float64))
    # where |gelu'(x)| < 2^-280 both kernels take it as 0 (masking a NaN or inf g); a product
    # that rounds to zero may carry g's sign or not (kernels.c: not part of the contract)
    keep = ~(np.abs(d) < 2.0**-278)
    assert_f32_within(got[keep], ref[keep], x[keep], "gelu_backward", zero_signs=False)


def _fast_blocks() -> tuple[np.ndarray, np.ndarray]:
    """Seams of the fast paths, every element inside them (x >= -13, |g| < 2^96), padded to
    whole blocks of 256: the floats next to -13 from above; x where the derivative's
    t = m - 1/4 starts to round (m = a/(4 + a) = 1/8, a = 4/7); x0; x above 13, where the fast
    paths hold k at -125/-124 (the forward clamps a at 16, the derivative at 20); huge x."""
    rng = np.random.default_rng(12)
    up = (np.float32(-13.0).view(np.int32) - np.arange(0, 200, dtype=np.int32)).view(F32)
    seams = [
        up,  # -13 and the 199 floats above it
        _around(4 / 7, 64), _around(-4 / 7, 64), _around(X0, 64),
        _around(13.0, 64), _around(16.0, 64), _around(20.0, 64),
        rng.uniform(12.0, 25.0, 400).astype(F32),
        np.exp2(rng.uniform(4, 127.9, 300)).astype(F32), np.array([np.inf], dtype=F32),
    ]
    x = np.concatenate(seams).astype(F32)
    x = np.concatenate([x, rng.uniform(-13, 13, -x.size % 256).astype(F32)])
    g = (rng.standard_normal(x.size) * 4).astype(F32)
    return x, g


def test_fast_paths_at_their_seams():
    x, g = _fast_blocks()
    assert x.size % 256 == 0 and (x >= -13).all()
    with np.errstate(all="ignore"):
        fwd, fwd64 = rectifier.gelu(x), rectifier.gelu(x.astype(np.float64))
        bwd = rectifier.gelu_backward(g, x)
        bwd64 = rectifier.gelu_backward(g.astype(np.float64), x.astype(np.float64))
    finite = np.isfinite(x)
    assert_f32_within(fwd[finite], fwd64[finite], x[finite], "gelu (blocks with x >= -13)")
    assert_f32_within(bwd, bwd64, x, "gelu_backward (fast path)")
    big = x > 7  # gelu(x) = x and g gelu'(x) = g there (7 phi(7) < 2^-33)
    np.testing.assert_array_equal(fwd[big], x[big])
    np.testing.assert_array_equal(bwd[big], g[big])
