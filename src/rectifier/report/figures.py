"""Figures for the doctor's reports (matplotlib, optional extra ``plot``).

Figures are built on :class:`matplotlib.figure.Figure` directly, never through pyplot: no window
opens, no global backend or state changes, nothing to close. :func:`png` renders one to PNG bytes
with the Agg canvas. Without matplotlib every function raises a
:class:`~rectifier.errors.UsageError` naming ``pip install "rectifier[plot]"``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rectifier.errors import UsageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rectifier.torch.report import Report

__all__ = [
    "activation_histograms",
    "dead_dormant_bars",
    "history_plot",
    "new_figure",
    "png",
    "require_matplotlib",
    "training_curves",
]

DEAD = "#c0392b"
DORMANT = "#e6a23c"
ALIVE = "#2e86c1"
# Sites shown in the histogram grid; a deep network has hundreds, the rest are in the table.
MAX_HISTOGRAMS = 24
# Sites shown as bars; beyond this the worst ones are drawn (a figure must stay a sane height).
MAX_BARS = 60


def require_matplotlib() -> None:
    """Raise a UsageError naming the extra to install if matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError('HTML reports need matplotlib: pip install "rectifier[plot]"') from None


def new_figure(width: float, height: float) -> Figure:
    """A blank figure (inches; 100 dpi, constrained layout), made without pyplot.

    >>> fig = new_figure(4, 3)  # doctest: +SKIP
    >>> len(png(fig)) > 0  # doctest: +SKIP
    True
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def png(fig: Figure, *, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (Agg canvas; no pyplot).

    Metadata is stripped so the same figure gives the same bytes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def dead_dormant_bars(report: Report, *, title: str | None = None) -> Figure:
    """Horizontal bars per site: percent of units dead and percent dormant.

    At most :data:`MAX_BARS` sites are drawn: the worst ones (most dead, then most dormant),
    kept in execution order.
    """
    sites = report.sites
    if len(sites) > MAX_BARS:
        order = sorted(
            range(len(sites)),
            key=lambda i: (-sites[i].dead_fraction, -sites[i].dormant_fraction, i),
        )
        sites = [sites[i] for i in sorted(order[:MAX_BARS])]
        worst = f" (the {MAX_BARS} worst of {len(report.sites)} sites)"
    else:
        worst = ""
    n = max(len(sites), 1)
    fig = new_figure(8.0, 1.2 + 0.32 * n)
    ax = fig.add_subplot()
    y = list(range(len(sites)))
    h = 0.38
    dead = [100 * s.dead_fraction for s in sites]
    dormant = [100 * s.dormant_fraction for s in sites]
    ax.barh([v - h / 2 for v in y], dead, height=h, color=DEAD, label="dead")
    ax.barh(
        [v + h / 2 for v in y],
        dormant,
        height=h,
        color=DORMANT,
        label=f"dormant (tau={report.tau:g})",
    )
    ax.set_yticks(y, [s.name for s in sites], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the site's units")
    ax.axvline(100 * report.max_dead, color=DEAD, lw=0.8, ls=":")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title((title or "dead and dormant units per site") + worst, fontsize=10)
    return fig


def activation_histograms(report: Report, *, title: str | None = None) -> Figure:
    """One small histogram per site of its units' activation rates (fraction of outputs > 0).

    A spike at 0 is dead units; a healthy ReLU layer spreads between 0 and 1. At most
    :data:`MAX_HISTOGRAMS` sites are drawn.
    """
    sites = report.sites[:MAX_HISTOGRAMS]
    n = max(len(sites), 1)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig = new_figure(2.3 * cols + 0.6, 1.9 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    bins = [i / 20 for i in range(21)]
    for ax, s in zip(axes.flat, sites, strict=False):
        rates = s.activation_rate
        ax.hist(rates[~s.dead_mask], bins=bins, color=ALIVE, label="alive")
        if s.dead:
            ax.hist(rates[s.dead_mask], bins=bins, color=DEAD, label="dead")
        ax.set_title(s.name, fontsize=8)
        ax.set_xlim(0, 1)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(sites) :]:
        ax.set_visible(False)
    fig.supxlabel("activation rate (fraction of outputs > 0)", fontsize=9)
    fig.supylabel("units", fontsize=9)
    more = (
        f" (first {MAX_HISTOGRAMS} of {len(report.sites)} sites)" if len(report.sites) > n else ""
    )
    fig.suptitle((title or "activation rate per unit") + more, fontsize=10)
    return fig


def _series(history: Sequence[Mapping[str, Any]], key: str) -> list[float] | None:
    values = [h.get(key) for h in history]
    if not values or any(not isinstance(v, (int, float)) for v in values):
        return None
    return [float(v) for v in values]


def history_plot(
    history: Sequence[Mapping[str, Any]], *, title: str | None = None
) -> Figure | None:
    """Dead and dormant percent over the monitor's snapshots; None if there is nothing to plot.

    Each snapshot is a dict; the x axis is its ``step`` (else the snapshot's index) and the curves
    are whichever of ``dead_fraction`` / ``dormant_fraction`` every snapshot has.
    """
    if len(history) < 2:
        return None
    curves = {
        label: vals
        for key, label in (("dead_fraction", "dead"), ("dormant_fraction", "dormant"))
        if (vals := _series(history, key)) is not None
    }
    if not curves:
        return None
    x = _series(history, "step") or list(range(len(history)))
    fig = new_figure(7.0, 3.0)
    ax = fig.add_subplot()
    colors = {"dead": DEAD, "dormant": DORMANT}
    for label, vals in curves.items():
        ax.plot(x, [100 * v for v in vals], marker="o", ms=3, color=colors[label], label=label)
    ax.set_xlabel("step" if "step" in history[0] else "snapshot")
    ax.set_ylabel("% of all units")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "dead and dormant units over time", fontsize=10)
    return fig


def training_curves(
    runs: Mapping[str, Mapping[str, Sequence[float]]], *, title: str | None = None
) -> Figure:
    """Side by side: dead percent and test accuracy per epoch, one line per run.

    ``runs`` maps a label to ``{"epoch": [...], "dead_fraction": [...], "accuracy": [...]}``.
    """
    fig = new_figure(9.0, 3.2)
    ax_dead, ax_acc = fig.subplots(1, 2)
    palette = [DEAD, ALIVE, "#27ae60", "#8e44ad"]
    for color, (label, run) in zip(palette, runs.items(), strict=False):
        ax_dead.plot(
            run["epoch"],
            [100 * v for v in run["dead_fraction"]],
            marker="o",
            ms=3,
            color=color,
            label=label,
        )
        ax_acc.plot(
            run["epoch"],
            [100 * v for v in run["accuracy"]],
            marker="o",
            ms=3,
            color=color,
            label=label,
        )
    ax_dead.set_title("dead units (% of all units)", fontsize=10)
    ax_acc.set_title("test accuracy (%)", fontsize=10)
    ax_dead.set_ylim(0, 100)
    ax_acc.set_ylim(0, 100)
    for ax in (ax_dead, ax_acc):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
