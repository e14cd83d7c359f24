"""Print the exp polynomials of src/rectifier/_core/family_f32_silu.h.

Forward (float lanes): e^r = 1 + q, q = r + r^2 P(r), P of degree 4, minimax in relative error
on |r| <= ln 2 / 2 (float32 coefficients). Derivative (double lanes): e^r ~ p(r) of degree 6
with p(r0) = e^r0 at r0 = -x0 - 2 ln 2, where x0 = -1.2785 is the zero of silu'; p's error is
(r - r0) h(r) e^r with max |h| minimised, so the cancellation in silu''s numerator at x0 does
not amplify it (see the header's comment). Both by Lawson's iteration (weighted least squares
converging to the minimax) on Chebyshev nodes; the printed errors are checked in mpmath.
Run: python tools/fit_silu_f32.py
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

mp.mp.dps = 50
HALF = mp.log(2) / 2 * mp.mpf("1.0002")  # |r| <= ln 2 / 2, and a margin for r's rounding
NODES = 3000


def lawson(a: np.ndarray, b: np.ndarray, steps: int = 300, floor: float = 1e-300) -> np.ndarray:
    """Coefficients c minimising max |a c - b| (Lawson's reweighting of least squares)."""
    w = np.ones(len(b))
    for _ in range(steps):
        c, *_ = np.linalg.lstsq(a * w[:, None], b * w, rcond=None)
        w = w * np.abs(a @ c - b) ** 0.5 + floor
        w /= w.max()
    return c


def nodes() -> list:
    return [HALF * mp.cos(mp.pi * (i + mp.mpf(1) / 2) / NODES) for i in range(NODES)]


def forward() -> None:
    # its own nodes (the Chebyshev extrema on a slightly wider interval), as first fitted
    x = np.cos(np.linspace(0, np.pi, 4001)) * float(mp.log(2) / 2 * mp.mpf("1.0005"))
    ex = np.array([float(mp.exp(mp.mpf(v))) for v in x])
    a = np.stack([x ** (j + 2) for j in range(5)], 1) / ex[:, None]
    b = (ex - 1 - x) / ex
    c = [float(np.float32(v)) for v in lawson(a, b, steps=200, floor=1e-30)]
    worst = max(
        abs((1 + r + r * r * sum(mp.mpf(cj) * r**j for j, cj in enumerate(c))) / mp.exp(r) - 1)
        for r in (HALF * (2 * mp.mpf(i) / 4000 - 1) for i in range(4001))
    )
    print(f"/* forward: q = r + r^2 P(r), P from r^0 up; relative error {mp.nstr(worst, 3)} */")
    print(", ".join(repr(v) + "f" for v in c))


def silu_der(x):
    s = 1 / (1 + mp.exp(-x))
    return s * (1 + x * (1 - s))


def derivative() -> None:
    x0 = mp.findroot(silu_der, -1.28)
    r0 = -x0 - 2 * mp.log(2)
    rs = nodes()
    x = np.array([float(r) for r in rs])
    ex = np.array([float(mp.exp(r)) for r in rs])
    # p(r) = e^r0 + (r - r0) R(r): fit R to (e^r - e^r0) / (r - r0), weighted by 1 / e^r
    g = np.array([float((mp.exp(r) - mp.exp(r0)) / (r - r0)) for r in rs])
    a = np.stack([x**j for j in range(6)], 1) / ex[:, None]
    c = lawson(a, g / ex)
    p = [mp.mpf(0)] * 7
    p[0] += mp.exp(r0)
    for j, cj in enumerate(c):
        p[j + 1] += mp.mpf(cj)
        p[j] -= r0 * mp.mpf(cj)
    pd = [float(v) for v in p]
    worst, worst_h = mp.mpf(0), mp.mpf(0)
    for i in range(4001):
        r = HALF * (2 * mp.mpf(i) / 4000 - 1)
        e = sum(mp.mpf(v) * r**j for j, v in enumerate(pd)) / mp.exp(r) - 1
        worst = max(worst, abs(e))
        if abs(r - r0) > 1e-6:
            worst_h = max(worst_h, abs(e / (r - r0)))
    print(f"/* derivative: x0 = {mp.nstr(x0, 20)}, r0 = {mp.nstr(r0, 20)}; p from r^0 up;")
    print(f"   relative error {mp.nstr(worst, 3)}, |h| <= {mp.nstr(worst_h, 3)} */")
    print(", ".join(repr(v) for v in pd))


if __name__ == "__main__":
    forward()
    derivative()
