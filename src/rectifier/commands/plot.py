"""``rectifier plot``: every function of the family and its derivative, in one PNG grid.

    rectifier plot                      writes rectifier-family.png (refuses to overwrite)
    rectifier plot -o family.png --force

One panel per function of the registry (default parameters; gelu with both forms): the function
in one colour, its derivative dashed, and a marker at each kink with the derivative's value there
(the value SEMANTICS.md assigns, which is what ``f_grad`` returns). The curves are computed with
rectifier's own ufuncs. Needs matplotlib (``pip install "rectifier[plot]"``); the file is written
atomically (:mod:`rectifier._files`).
"""

from __future__ import annotations

import argparse
import io
import math
from typing import Any

import numpy as np

from rectifier._files import atomic_write, check_output_path
from rectifier._ops import REGISTRY, OpRecord
from rectifier.errors import UsageError

DEFAULT_OUTPUT = "rectifier-family.png"
X_RANGE = (-5.0, 7.0)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plot",
        help="plot every function of the family and its derivative (PNG)",
        description=(
            "Draw every function of the rectifier family and its derivative in one PNG grid, "
            "marking the kinks and the derivative's value there. Needs matplotlib."
        ),
    )
    p.add_argument("-o", "--output", default=DEFAULT_OUTPUT, metavar="FILE",
                   help=f"the PNG to write (default: {DEFAULT_OUTPUT})")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=run)


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise UsageError(
            'plot needs matplotlib: pip install "rectifier[plot]"'
        ) from None
    matplotlib.use("Agg")  # no display needed, and no window opened
    import matplotlib.pyplot as plt

    return plt


def _kink_points(rec: OpRecord) -> list[float]:
    """The kink abscissae of a record (its keys name numbers or parameters)."""
    defaults = {p.name: p.default for p in rec.all_params("grad")}
    points = []
    for key in rec.kinks:
        try:
            points.append(float(key))
        except ValueError:
            if key in defaults:
                points.append(float(defaults[key]))
    return [p for p in points if X_RANGE[0] <= p <= X_RANGE[1]]


def _curves(rec: OpRecord, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    forward = rec.ufunc(x, *[p.default for p in rec.params])
    grad = rec.grad_ufunc(x, *[p.default for p in rec.all_params("grad")])
    return forward, grad


def figure(plt: Any) -> Any:
    """The grid of panels, as a matplotlib Figure."""
    x = np.linspace(*X_RANGE, 1201)
    records = list(REGISTRY.values())
    ncols = 5
    nrows = math.ceil(len(records) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    for ax, rec in zip(axes.flat, records, strict=False):  # the last row may have spares
        f, d = _curves(rec, x)
        ax.plot(x, f, color="C0", lw=1.6, label="f")
        ax.plot(x, d, color="C3", lw=1.2, ls="--", label="f'")
        for variant in rec.variants.values():
            fv, _ = _curves(variant, x)
            ax.plot(x, fv, color="C2", lw=1.0, ls=":", label=f"{variant.name}")
        for k in _kink_points(rec):
            kx = np.array([k])
            fk, dk = _curves(rec, kx)
            ax.plot(kx, fk, "o", color="C0", ms=4)
            ax.plot(kx, dk, "o", mfc="white", color="C3", ms=5)
            ax.annotate(f"f'({k:g}) = {float(dk[0]):.3g}", (k, float(dk[0])), fontsize=6,
                        xytext=(3, 6), textcoords="offset points", color="C3")
        ax.set_title(rec.name, fontsize=10)
        ax.axhline(0, color="0.8", lw=0.6)
        ax.axvline(0, color="0.8", lw=0.6)
        ax.set_xlim(*X_RANGE)
        ax.set_ylim(-2.5, 7.5)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(records):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle("The rectifier family: f (solid), f' (dashed), kinks with f' there (circles)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def run(args: argparse.Namespace) -> int:
    path = check_output_path(args.output, force=args.force)  # before any work
    plt = _pyplot()
    fig = figure(plt)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=110)
    finally:
        plt.close(fig)
    with atomic_write(path, "wb", force=args.force) as f:
        f.write(buf.getvalue())
    print(f"wrote {path} ({len(REGISTRY)} functions)")
    return 0
