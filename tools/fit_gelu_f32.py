"""Fit the float32 gelu tables of src/rectifier/_core/family_f32_gelu.h (rect_gelu_g_head,
rect_gelu_g_tail, rect_gelu_root): least squares at Chebyshev nodes with relative weights
(mpmath values), coefficients rounded to float one at a time (lowest first) with the rest refitted,
c0 kept as a float hi + lo pair. Also rect_gelu_gauss's e^r = 1 + r + r^2 p(r) (degree 6,
|r| <= ln2/2: minimax of the relative error by reweighted least squares, p0 = 1/2 fixed).
Prints each table and its relative error on a dense grid.

    python tools/fit_gelu_f32.py
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

mp.mp.dps = 50
SQ2 = mp.sqrt(2)
SQ2PI = mp.sqrt(2 * mp.pi)


def q(a):
    """Q(a) = Phi(-a) e^{a^2/2} = erfcx(a/sqrt2)/2."""
    return mp.erfc(a / SQ2) / 2 * mp.exp(a * a / 2)


def g_of_s(s):
    """G(s) = Q(a)(1 + a) with s = 1/(1 + a)."""
    return q(1 / s - 1) / s


def gelu_der(x):
    return mp.erfc(-x / SQ2) / 2 + x * mp.exp(-x * x / 2) / SQ2PI


def l_of_s(s):
    """L(s) = ln(2 G(s)): the forward's exponent term (|L| < 0.17)."""
    return mp.log(2 * g_of_s(s))


def fit_f32(f, lo, hi, deg, center, npts=600, absolute=False):
    k = np.arange(npts)
    xs = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / npts)
    ys = np.array([float(f(mp.mpf(x))) for x in xs])
    vand = np.vander(xs - center, deg + 1, increasing=True)
    w = np.ones(npts) if absolute else 1 / np.abs(ys)
    fixed: list[float] = []
    for j in range(deg + 1):
        resid = ys - (vand[:, :j] @ np.array(fixed) if j else 0)
        c = np.linalg.lstsq(vand[:, j:] * w[:, None], resid * w, rcond=None)[0]
        fixed.append(float(c[0]) if j == 0 else float(np.float32(c[0])))
    coef = np.array(fixed)
    xd = np.linspace(lo, hi, 4000)
    yd = np.array([float(f(mp.mpf(x))) for x in xd])
    pd = np.polyval(coef[::-1], xd - center)
    err = np.max(np.abs(pd - yd)) if absolute else np.max(np.abs(pd / yd - 1))
    h = float(np.float32(coef[0]))
    if absolute:  # c0 in float: |L(centre)| < 0.05, its rounding < 2^-29
        return [h] + [float(v) for v in coef[1:]], err
    table = [h, float(np.float32(coef[0] - h))] + [float(v) for v in coef[1:]]
    return table, err


def fit_exp(deg=4, rmax=0.3467, npts=2000):
    """p(r) of degree deg with e^r ~ 1 + r + r^2 p(r), p(0) = 1/2, minimax relative error on
    |r| <= rmax (Lawson-style reweighting), p1.. rounded to float one at a time."""
    k = np.arange(npts)
    rs = rmax * np.cos(np.pi * (k + 0.5) / npts)
    ex = np.array([float(mp.exp(mp.mpf(r))) for r in rs])
    ys = np.array([float((mp.exp(mp.mpf(r)) - 1 - r - mp.mpf(r) ** 2 / 2) / mp.mpf(r) ** 3)
                   for r in rs])
    vand = np.vander(rs, deg, increasing=True)
    w = rs**3 / ex
    ww = np.ones(npts)
    fixed: list[float] = []
    for j in range(deg):
        for _ in range(40):
            resid = ys - (vand[:, :j] @ np.array(fixed) if j else 0)
            c = np.linalg.lstsq(vand[:, j:] * (w * ww)[:, None], resid * w * ww, rcond=None)[0]
            e = np.abs((vand[:, j:] @ c - resid) * w)
            ww = ww * (e / e.max() + 1e-2) ** 0.5
            ww /= ww.max()
        fixed.append(float(np.float32(c[0])))
    coef = [0.5, *fixed]
    rd = np.linspace(-rmax, rmax, 20001)
    ed = np.array([float(mp.exp(mp.mpf(r))) for r in rd])
    err = np.max(np.abs((1 + rd + rd * rd * np.polyval(coef[::-1], rd)) / ed - 1))
    return coef, err


def show(name, table, err):
    print(f"{name}: relative error {err:.2e}")
    print("    {" + ", ".join(f"{v:.9g}f" for v in table) + "}")


def main() -> None:
    show("rect_gelu_g_tail (s < 0.4, t = s - 1/4)", *fit_f32(g_of_s, 1 / 21, 0.4, 9, 0.25))
    show("rect_gelu_g_head (s >= 0.4, t = s - 3/4)", *fit_f32(g_of_s, 0.4, 1.0, 9, 0.75))
    show("rect_gelu_l_tail (s < 0.4, t = s - 1/4; absolute error)",
         *fit_f32(l_of_s, 1 / 17, 0.4, 9, 0.25, absolute=True))
    show("rect_gelu_l_head (s >= 0.4, t = s - 3/4; absolute error)",
         *fit_f32(l_of_s, 0.4, 1.0, 9, 0.75, absolute=True))
    x0 = mp.findroot(gelu_der, mp.mpf("-0.7518"))
    x0h = float(np.float32(float(x0)))
    x0l = float(np.float32(float(x0 - x0h)))
    print(f"x0 = {mp.nstr(x0, 25)}: X0H {x0h:.9g} X0L {x0l:.9g} X0LL {mp.nstr(x0 - x0h - x0l, 5)}")
    show("rect_gelu_root (-0.17 <= t <= 0.17)",
         *fit_f32(lambda t: gelu_der(x0 + t) / t, -0.17, 0.17, 5, 0.0))
    show("rect_gelu_gauss's p (p0 .. p4)", *fit_exp())


if __name__ == "__main__":
    main()
