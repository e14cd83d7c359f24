"""Print the tables of src/rectifier/_core/roots.h: the derivatives' interior zeros.

silu', gelu', gelu_tanh' and mish' vanish once, near x = -1, where two nearly equal terms cancel.
Around that zero x0 the derivative is written f'(x0 + t) = t P(t), with x0 as a double-double
(so t = (x - x0_hi) - x0_lo is exact to half an ulp) and P a polynomial: the Chebyshev
interpolant of f'(x0 + t) / t on [-R, R], converted to monomials in t (the coefficients fall
geometrically, so Horner's rule in t is accurate). Run: python tools/fit_root_polys.py
"""

from __future__ import annotations

import mpmath as mp

mp.mp.prec = 300

A, C = mp.mpf("0.044715"), 2 * mp.sqrt(2 / mp.pi)


def sig(v):
    return 1 / (1 + mp.exp(-v))


def silu(x):
    s = sig(x)
    return s * (1 + x * (1 - s))


def gelu(x):
    return mp.erfc(-x / mp.sqrt(2)) / 2 + x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def gelu_tanh(x):
    v = C * (x + A * x**3)
    s = sig(v)
    return s * (1 + x * (1 - s) * C * (1 + 3 * A * x * x))


def mish(x):
    sp = mp.log1p(mp.exp(x))
    return mp.tanh(sp) + x * mp.sech(sp) ** 2 * sig(x)


# name: (derivative, a starting point for the root, half-width R, float64 degree, float32 degree)
FUNCS = {
    "silu": (silu, -1.28, 0.125, 15, 7),
    "gelu": (gelu, -0.75, 0.375, 15, 7),
    "gelu_tanh": (gelu_tanh, -0.753, 0.125, 15, 7),
    "mish": (mish, -1.19, 0.25, 15, 7),
}


def fit(f, x0, r, deg):
    """Monomial coefficients (in t) of the Chebyshev interpolant of f(x0 + t) / t on [-r, r]
    (odd degree: no node at t = 0)."""
    n = deg + 1
    nodes = [r * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    vals = [f(x0 + t) / t for t in nodes]
    # solve the Vandermonde system at high precision: exact interpolation at Chebyshev nodes
    m = mp.matrix([[t**j for j in range(n)] for t in nodes])
    c = mp.lu_solve(m, mp.matrix(vals))
    return [c[j] for j in range(n)]


def check(f, x0, r, coef):
    worst = mp.mpf(0)
    for i in range(2001):
        t = -r + 2 * r * i / 2000
        if t == 0:
            continue
        p = mp.mpf(0)
        for c in reversed(coef):
            p = p * t + c
        worst = max(worst, abs(p * t / f(x0 + t) - 1))
    return worst


def main() -> None:
    for name, (f, guess, r, d64, d32) in FUNCS.items():
        x0 = mp.findroot(f, guess)
        hi = float(x0)
        lo = float(x0 - hi)
        print(f"/* {name}: x0 = {mp.nstr(x0, 25)}, |t| < {r} */")
        print(f"#define RECT_ROOT_{name.upper()}_HI {hi!r}")
        print(f"#define RECT_ROOT_{name.upper()}_LO {lo!r}")
        print(f"#define RECT_ROOT_{name.upper()}_R {r!r}")
        for tag, deg in (("D", d64), ("F", d32)):
            coef = fit(f, x0, mp.mpf(r), deg)
            err = check(f, x0, mp.mpf(r), coef)
            print(f"/* degree {deg}, relative error {mp.nstr(err, 3)} */")
            body = ", ".join(repr(float(c)) for c in coef)
            print(f"static const double rect_root_{name}_{tag.lower()}[] = {{{body}}};")
        print()


if __name__ == "__main__":
    main()
