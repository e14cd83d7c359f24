"""Fit the float32 gelu tables of src/rectifier/_core/family_f32_gelu.h (rect_gelu_g_head,
rect_gelu_g_tail, rect_gelu_root): least squares at Chebyshev nodes with relative weights
(mpmath values), coefficients rounded to float one at a time (lowest first) with the rest refitted,
c0 kept as a float hi + lo pair. Prints each table and its relative error on a dense grid.

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


def fit_f32(f, lo, hi, deg, center, npts=600):
    k = np.arange(npts)
    xs = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / npts)
    ys = np.array([float(f(mp.mpf(x))) for x in xs])
    vand = np.vander(xs - center, deg + 1, increasing=True)
    w = 1 / np.abs(ys)
    fixed: list[float] = []
    for j in range(deg + 1):
        resid = ys - (vand[:, :j] @ np.array(fixed) if j else 0)
        c = np.linalg.lstsq(vand[:, j:] * w[:, None], resid * w, rcond=None)[0]
        fixed.append(float(c[0]) if j == 0 else float(np.float32(c[0])))
    coef = np.array(fixed)
    xd = np.linspace(lo, hi, 4000)
    yd = np.array([float(f(mp.mpf(x))) for x in xd])
    err = np.max(np.abs(np.polyval(coef[::-1], xd - center) / yd - 1))
    h = float(np.float32(coef[0]))
    table = [h, float(np.float32(coef[0] - h))] + [float(v) for v in coef[1:]]
    return table, err


def show(name, table, err):
    print(f"{name}: relative error {err:.2e}")
    print("    {" + ", ".join(f"{v:.9g}f" for v in table) + "}")


def main() -> None:
    show("rect_gelu_g_tail (s < 0.4, t = s - 1/4)", *fit_f32(g_of_s, 1 / 21, 0.4, 9, 0.25))
    show("rect_gelu_g_head (s >= 0.4, t = s - 3/4)", *fit_f32(g_of_s, 0.4, 1.0, 9, 0.75))
    x0 = mp.findroot(gelu_der, mp.mpf("-0.7518"))
    x0h = float(np.float32(float(x0)))
    x0l = float(np.float32(float(x0 - x0h)))
    print(f"x0 = {mp.nstr(x0, 25)}: X0H {x0h:.9g} X0L {x0l:.9g} X0LL {mp.nstr(x0 - x0h - x0l, 5)}")
    show("rect_gelu_root (-0.65 <= t <= 0.375)",
         *fit_f32(lambda t: gelu_der(x0 + t) / t, -0.65, 0.375, 8, 0.0))


if __name__ == "__main__":
    main()
