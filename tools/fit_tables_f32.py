"""Generate src/rectifier/_core/tables_f32.h: the piecewise polynomial tables of the float32
table kernels (family_f32_table.h).

Each table has 32 intervals. Per interval it holds the function's value at a centre c_j as a
float pair (hi + lo, exact to 2^-48) and c1..cn of (F(c_j + d) - F(c_j)) / d over the interval,
so that F(c_j + d) = hi + (lo + d (c1 + d (c2 + ... + d cn))). The coefficients come from
fit_softplus_f32.fit_f32 (least squares at Chebyshev nodes with mpmath values, Lawson
reweighting towards minimax, rounded to float lowest first with the rest refitted), weighted by
|d| / |F|: the error each leaves relative to F.

In y = -|x|, centres y_j = -j/2, |d| <= 1/4, degree 5 (j in [0, 31]):
- softplus: L(y) = log1p(e^y) (softplus(x) = max(x, 0) + L(-|x|));
- sigmoid: S(y) = 1 / (1 + e^-y), plus 1 - S(y_j) as a second pair (sigmoid(x) = 1 - S(-x) for
  x >= 0 needs it exactly: 1 - hi is not exact in float).

In x itself, centres the integers j in [-16, 15] (slot j mod 32), |d| <= 1/2:
- mish: T(x) = tanh(softplus(x)) (mish(x) = x T(x)), degree 8;
- mish_der: G(x) = mish'(x) = T(x) + x T'(x), degree 9, c1 as a float pair (its rounding would
  otherwise be the relative error near G's zero x0 = -1.19243), and the centre of slot -1 moved
  to x0h = float32(x0), so that G is small there exactly where d is: the table's first row is
  the centres;
- silu_der: silu'(x) = s (1 + x (1 - s)), s = sigmoid(x), likewise (its zero x0 = -1.27846).

In x, centres the quarters j/4, j in [-16, 15] (slot j mod 32), |d| <= 1/8:
- gelu: Phi(x), the normal CDF (gelu(x) = x Phi(x)), degree 7. Quarters, not integers: Phi
  changes by e^(|x|/4) across a slot at x = -4, too much for one polynomial in a slot of width
  1; the kernel serves |x| < 3.875 (the polynomial kernel the rest).

    python tools/fit_tables_f32.py   # writes the header, prints the worst fit error per table
"""

from __future__ import annotations

import sys
from pathlib import Path

import mpmath as mp
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from fit_softplus_f32 import fit_f32

mp.mp.dps = 40
NINT = 32
OUT = Path(__file__).parents[1] / "src" / "rectifier" / "_core" / "tables_f32.h"


def softplus_l(y):
    return mp.log1p(mp.exp(y))


def sigmoid_s(y):
    return 1 / (1 + mp.exp(-y))


def mish_t(x):
    a = (1 + mp.exp(x)) ** 2
    return (a - 1) / (a + 1)


def mish_g(x):
    e = mp.exp(x)
    a = (1 + e) ** 2
    return (a - 1) / (a + 1) + x * 4 * e * (1 + e) / (a + 1) ** 2


def silu_g(x):
    s = 1 / (1 + mp.exp(-x))
    return s * (1 + x * (1 - s))


def gelu_phi(x):
    return mp.ncdf(x)


def pair(v) -> tuple[float, float]:
    hi = float(np.float32(float(v)))
    return hi, float(np.float32(float(v - hi)))


def table(f, slots, deg, exact_first=False, floor=0.0):
    """Rows hi, lo, c1..c_deg (with exact_first: hi, lo, c1's low part, c1..c_deg) over slots
    (centre, dlo, dhi), and the worst weighted fit error (|F| floored at `floor`)."""
    rows: list[list[float]] = [[] for _ in range(2 + deg + exact_first)]
    worst = 0.0
    for c, dlo, dhi in slots:
        f0 = f(c)

        def slope(d, c=c, f0=f0):
            return mp.diff(f, c) if d == 0 else (f(c + d) - f0) / d

        def weight(d, c=c):
            return abs(d) / max(abs(float(f(c + d))), floor)

        coef, err = fit_f32(slope, weight, dlo, dhi, deg - 1, npts=200, lawson=20,
                            exact_first=exact_first)
        c1h, c1l = pair(coef[0])
        c1 = [c1l, c1h] if exact_first else [coef[0]]
        for r, v in zip(rows, [*pair(f0), *c1, *coef[1:]], strict=True):
            r.append(v)
        worst = max(worst, err)
    return rows, worst


def y_slots():
    return [(-mp.mpf(j) / 2, -0.25, 0.25) for j in range(NINT)]


def x_slots(x0h=None):
    """Slot s holds the integer j = s (s < 16) or s - 32: the low 5 bits of j; slot -1 is
    centred at x0h where one is given."""
    out = []
    for s in range(NINT):
        j = s if s < NINT // 2 else s - NINT
        c = mp.mpf(x0h) if (x0h is not None and j == -1) else mp.mpf(j)
        out.append((c, j - 0.5 - float(c), j + 0.5 - float(c)))
    return out


def q_slots():
    """Slot s holds the quarter j/4, j = s (s < 16) or s - 32: the low 5 bits of j."""
    return [(mp.mpf(s if s < NINT // 2 else s - NINT) / 4, -0.125, 0.125) for s in range(NINT)]


def der_table(f, guess):
    """A derivative's table (degree 9, c1 as a pair, slot -1 centred at float32 of its zero),
    with the centres as its first row. |F| is floored at F'(x0) 2^-24 in the weight: the float x
    nearest the zero but x0h (where d = 0) are its neighbours, at least 2^-24 from x0."""
    x0 = mp.findroot(f, guess)
    x0h = float(np.float32(float(x0)))
    assert abs(x0 - x0h) <= 2.0**-24  # half an ulp: the neighbours are >= 2^-24 from x0
    rows, err = table(f, x_slots(x0h), 9, exact_first=True,
                      floor=float(abs(mp.diff(f, x0))) * 2.0**-24)
    rows.insert(0, [float(c) for c, _, _ in x_slots(x0h)])
    return rows, err


def c_array(name: str, rows: list[list[float]], doc: str) -> str:
    def lit(v: float) -> str:
        t = f"{np.float32(v).item():.9g}" if v != 0 else "0.0"
        return t + ("" if any(ch in t for ch in ".e") else ".0") + "f"

    body = ",\n".join("    {" + ", ".join(lit(v) for v in r) + "}" for r in rows)
    return (f"/* {doc} */\nstatic const float {name}[{len(rows)}][{NINT}]"
            f" __attribute__((aligned(64))) = {{\n{body}}};\n")


def log2(err: float) -> str:
    return f"2^{np.log2(err):.1f}"


def main() -> None:
    sp, sp_err = table(softplus_l, y_slots(), 5)
    sg, sg_err = table(sigmoid_s, y_slots(), 5)
    comp = [pair(1 - sigmoid_s(-mp.mpf(j) / 2)) for j in range(NINT)]
    sg[2:2] = [[c[0] for c in comp], [c[1] for c in comp]]
    mt, mt_err = table(mish_t, x_slots(), 8)
    mg, mg_err = der_table(mish_g, -1.19)
    sd, sd_err = der_table(silu_g, -1.28)
    gp, gp_err = table(gelu_phi, q_slots(), 7)
    errs = {"softplus": sp_err, "sigmoid": sg_err, "mish": mt_err, "mish_der": mg_err,
            "silu_der": sd_err, "gelu": gp_err}
    text = (
        "/* Generated by tools/fit_tables_f32.py: do not edit. The piecewise tables of\n"
        " * family_f32_table.h: 32 intervals, per interval F(c_j) as hi + lo and c1..cn of\n"
        " * (F(c_j + d) - F(c_j)) / d (the generator's docstring). */\n"
        "#ifndef RECTIFIER_TABLES_F32_H\n#define RECTIFIER_TABLES_F32_H\n\n"
        + c_array("rect_tab_softplus", sp,
                  f"log1p(e^y) at y_j = -j/2: hi, lo, c1..c5; fit error {log2(sp_err)} relative")
        + "\n"
        + c_array("rect_tab_sigmoid", sg,
                  "1/(1 + e^-y) at y_j = -j/2: hi, lo, then 1 - S(y_j) as hi, lo, then c1..c5; "
                  f"fit error {log2(sg_err)} relative")
        + "\n"
        + c_array("rect_tab_mish", mt,
                  "tanh(softplus(x)) at the integers (slot j mod 32): hi, lo, c1..c8; fit error "
                  f"{log2(mt_err)} relative")
        + "\n"
        + c_array("rect_tab_mish_der", mg,
                  "mish'(x) at the integers, slot -1 at x0h: centre, hi, lo, c1's low part, "
                  f"c1..c9; fit error {log2(mg_err)} relative")
        + "\n"
        + c_array("rect_tab_silu_der", sd,
                  "silu'(x) at the integers, slot -1 at x0h: centre, hi, lo, c1's low part, "
                  f"c1..c9; fit error {log2(sd_err)} relative")
        + "\n"
        + c_array("rect_tab_gelu", gp,
                  "Phi(x) at the quarters j/4 (slot j mod 32): hi, lo, c1..c7; fit error "
                  f"{log2(gp_err)} relative")
        + "\n#endif\n"
    )
    OUT.write_text(text)
    print(f"wrote {OUT}: " + ", ".join(f"{k} fit {log2(v)}" for k, v in errs.items()))


if __name__ == "__main__":
    main()
