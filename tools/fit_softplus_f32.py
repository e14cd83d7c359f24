"""Fit the float32 softplus polynomials of src/rectifier/_core/family_f32_softplus.h:
least squares at Chebyshev nodes (mpmath values) with Lawson reweighting towards minimax, in
the weight that the kernels' error budgets use, coefficients rounded to float one at a time
(lowest first) with the rest refitted. Prints each table and its weighted error on a dense grid.

- rect_sp_expm1: (e^r - 1 - r) / r^2 on |r| <= ln2/2 (+ margin), weight r^2: the error it
  leaves in e^r - 1 = r + r^2 p(r), absolute (the kernels use 1 + q, q = e^r - 1).
- rect_sp_log1p: R(e) = (log1p(e) - e) / e^2 on [0, 1], weight e / P(e) with P = 1 + e R: the
  relative error it leaves in log1p(e) = e (1 + e R(e)).

    python tools/fit_softplus_f32.py
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def expm1_p(r):
    if r == 0:
        return mp.mpf(1) / 2
    return (mp.expm1(r) - r) / (r * r)


def log1p_r(e):
    if e == 0:
        return mp.mpf(-1) / 2
    return (mp.log1p(e) - e) / (e * e)


def fit_f32(f, weight, lo, hi, deg, npts=800, lawson=30, exact_first=False):
    """Weighted near-minimax fit of f on [lo, hi]; coefficients rounded to float lowest first
    (exact_first: the lowest kept in double, for a caller that stores it as a float pair)."""
    k = np.arange(npts)
    xs = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / npts)
    ys = np.array([float(f(mp.mpf(x))) for x in xs])
    ws = np.array([weight(x) for x in xs])
    vand = np.vander(xs, deg + 1, increasing=True)
    fixed: list[float] = []
    for j in range(deg + 1):
        resid = ys - (vand[:, :j] @ np.array(fixed) if j else 0)
        lw = np.ones(npts)
        for _ in range(lawson if j < deg else 1):
            sw = np.sqrt(lw) * ws
            c = np.linalg.lstsq(vand[:, j:] * sw[:, None], resid * sw, rcond=None)[0]
            err = np.abs((vand[:, j:] @ c - resid) * ws)
            lw = lw * (err + 1e-300)
            lw /= lw.sum()
        fixed.append(float(c[0]) if exact_first and j == 0 else float(np.float32(c[0])))
    coef = np.array(fixed)
    xd = np.linspace(lo, hi, 20001)
    yd = np.array([f(mp.mpf(x)) for x in xd])
    got = np.polyval(coef[::-1].astype(np.float64), xd)
    werr = max(abs(float(g - y)) * weight(x) for g, y, x in zip(got, yd, xd, strict=True))
    return coef, werr


def show(name, coef, err):
    print(f"{name}: weighted error {err:.3e} = 2^{np.log2(err):.2f}")
    print("    " + ", ".join(f"{v:.9g}f" for v in coef))


def main() -> None:
    # the kernels use degree 4 (exp) and 8 (log1p); the next degrees show what one more FMA buys
    half = float(mp.log(2) / 2) * (1 + 2e-6)
    for deg in (4, 5):
        show(f"rect_sp_expm1 degree {deg} (|r| <= ln2/2)",
             *fit_f32(expm1_p, lambda r: r * r, -half, half, deg))
    for deg in (8, 9, 10):
        show(f"rect_sp_log1p degree {deg} (e in [0, 1])",
             *fit_f32(log1p_r, lambda e: e / (1 + e * float(log1p_r(mp.mpf(e)))), 0.0, 1.0,
                      deg))


if __name__ == "__main__":
    main()
