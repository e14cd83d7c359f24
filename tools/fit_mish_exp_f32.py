"""Fit the exp polynomial of src/rectifier/_core/family_f32_mish.h's fast paths (rect_mish_expq).

e^r = 1 + r + r^2 P(r) on |r| <= ln2/2 (+ a margin for the reduction's rounding), P of degree
4: least squares at Chebyshev nodes with Lawson reweighting towards minimax, in the weight
r^2 / e^r (the relative error P's error leaves in e^r), coefficients rounded to float. Prints the
coefficients and the worst relative error of e^r with them (exact arithmetic, mpmath, dense
grid), in float32 units u = 2^-24.

    python tools/fit_mish_exp_f32.py [degree=4]
"""

from __future__ import annotations

import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40
LIMIT = 0.3466 * 1.001  # ln2/2 and a margin


def fit(degree: int) -> np.ndarray:
    r = np.cos(np.linspace(0.0, np.pi, 4001)) * LIMIT
    r = r[np.abs(r) > 1e-6]
    target = (np.expm1(r) - r) / r**2
    weight = r**2 / np.exp(r)
    vander = np.vander(r, degree + 1, increasing=True)
    lawson = np.ones_like(r)
    coef = np.zeros(degree + 1)
    for _ in range(60):
        w = weight * lawson
        coef = np.linalg.lstsq(vander * w[:, None], target * w, rcond=None)[0]
        err = np.abs((vander @ coef - target) * weight)
        lawson *= np.sqrt(err / err.max()) + 1e-3
        lawson /= lawson.mean()
    return coef.astype(np.float32)


def worst_relative_error(coef: np.ndarray) -> float:
    worst = mp.mpf(0)
    for rv in np.linspace(-LIMIT, LIMIT, 20001):
        r = mp.mpf(float(rv))
        p = mp.mpf(0)
        for c in coef[::-1]:
            p = p * r + mp.mpf(float(c))
        worst = max(worst, abs((1 + r + r * r * p) / mp.exp(r) - 1))
    return float(worst)


def main() -> None:
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    coef = fit(degree)
    print("P, lowest first:", ", ".join(f"{float(c)!r}f" for c in coef))
    err = worst_relative_error(coef)
    print(f"worst relative error of e^r: {err:.3g} = {err * 2**24:.3f} u")


if __name__ == "__main__":
    main()
