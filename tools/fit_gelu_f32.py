"""Fit the float32 gelu tables of src/rectifier/_core/family_f32_gelu.h: rect_gelu_l (the
forward's L(m) = ln(2 Q(a)(1 + a)), m = a/(1 + a)) and rect_gelu_l2 (gelu''s
L2(m) = ln(2 D(a)/(a0 - a)), D = Q(a) - a/sqrt(2 pi), m = a/(4 + a)): least squares at Chebyshev
nodes
(mpmath values, absolute error: they are exponents), coefficients rounded to float one at a time
(lowest first) with the rest refitted; the quadratic fits of L'(m) and L2'(m)/4 and the linear
fit of L2(m) the kernels use for the quotient's correction and for k; and the
e^r = 1 + r + r^2 p(r) of each
form (minimax of the relative error by reweighted least squares, p0 = 1/2 fixed) on its range of r.
Prints each table and its error on a dense grid.

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


def fit_exp(deg, lo, hi, npts=2000):
    """p(r) of degree deg with e^r ~ 1 + r + r^2 p(r), p(0) = 1/2, minimax relative error on
    lo <= r <= hi (Lawson-style reweighting), p1.. rounded to float one at a time."""
    k = np.arange(npts)
    rs = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / npts)
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
    rd = np.linspace(lo, hi, 20001)
    ed = np.array([float(mp.exp(mp.mpf(r))) for r in rd])
    err = np.max(np.abs((1 + rd + rd * rd * np.polyval(coef[::-1], rd)) / ed - 1))
    return coef, err


def show(name, table, err):
    print(f"{name}: error {err:.2e}")
    print("    {" + ", ".join(f"{v:.9g}f" for v in table) + "}")


def polyfit_on(f, lo, hi, deg, center, n=2000):
    """float64 least-squares polynomial (in x - center) of a float table's function: the
    derivative and value estimates the kernels use."""
    xs = np.linspace(lo, hi, n)
    return np.polyfit(xs - center, f(xs), deg)[::-1]


def main() -> None:
    x0 = mp.findroot(gelu_der, mp.mpf("-0.7518"))
    a0 = -x0
    a0h = float(np.float32(float(a0)))
    print(f"a0 = {mp.nstr(a0, 25)}: X0A {a0h:.9g} X0L {float(np.float32(float(a0 - a0h))):.9g}"
          f" (rest {mp.nstr(a0 - a0h - mp.mpf(float(np.float32(float(a0 - a0h)))), 5)})")

    def l_of_m(m):
        return l_of_s(1 - m)

    def l2_of_m(m):
        a = 4 * m / (1 - m)  # gelu''s m = a/(4 + a): L2 in it needs degree 10, not 14
        if abs(a - a0) < mp.mpf("1e-15"):  # removable: step off the root
            a = a0 + mp.mpf("1e-15")
        return mp.log(2 * (q(a) - a / SQ2PI) / (a0 - a))

    for name, f, mmax, deg, c, npts in (("rect_gelu_l", l_of_m, 16 / 17, 15, 15 / 32, 500),
                                        ("rect_gelu_l2", l2_of_m, 20 / 24, 10, 1 / 4, 400)):
        table, err = fit_f32(f, 0.0, mmax, deg, c, npts=npts, absolute=True)
        show(f"{name} (0 <= m <= {mmax:.4f}, t = m - {c}; absolute error)", table, err)
        coef = np.array(table[::-1])
        dcoef = np.polyder(coef)
        d = polyfit_on(lambda m, p=dcoef, c=c: np.polyval(p, m - c), 0.0, mmax, 2, c)
        if name == "rect_gelu_l2":  # the kernel's ml4 is 4 ml
            d = d / 4
        print("    derivative in t (L2': divided by 4):", ", ".join(f"{v:.9g}" for v in d))
        if name == "rect_gelu_l2":
            v = polyfit_on(lambda m, p=coef, c=c: np.polyval(p, m - c), 0.0, mmax, 1, c)
            print("    value, linear in t (for k):", ", ".join(f"{u:.9g}" for u in v))
    show("forward's e^r p (-0.52 <= r <= 0.41)", *fit_exp(5, -0.52, 0.41))
    show("gelu''s e^r p (-0.38 <= r <= 0.42)", *fit_exp(5, -0.38, 0.42))


if __name__ == "__main__":
    main()
