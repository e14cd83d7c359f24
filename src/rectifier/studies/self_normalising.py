"""self-normalising: SELU keeps activations at mean 0, variance 1 through depth (Klambauer 2017).

Klambauer, Unterthiner, Mayr and Hochreiter (2017) show that SELU with LeCun-normal weights
(N(0, 1/fan_in)) has an attracting fixed point at mean 0 and variance 1, so activations stay
normalised through any depth without batch normalisation. Here: standard-normal inputs through
100 fully connected layers (width 1000 in full mode), no biases, at initialisation; after each
layer the mean and variance of the activations over all units and samples. Compared with ReLU +
He-normal (variance kept, mean positive) and tanh + Glorot-normal (variance decays).
"""

from __future__ import annotations

import math
import time
from typing import Any

from rectifier.studies._common import (
    Progress,
    Study,
    StudyResult,
    Ticker,
    new_figure,
    torch_activation,
)

STUDY = Study(
    name="self-normalising",
    title="Self-normalising networks: SELU through 100 layers",
    citation=(
        "Klambauer, Unterthiner, Mayr, Hochreiter (2017), Self-Normalizing Neural Networks, "
        "NeurIPS, Sec. 3 (Theorem 1)"
    ),
    claim=(
        "With SELU and LeCun-normal weights, activations converge to mean 0 and variance 1 and "
        "stay there through many layers (a stable, attracting fixed point)."
    ),
    explanation=(
        "ReLU keeps the gradient from vanishing (the article's Advantages) but its output is never "
        "negative, so its mean drifts away from zero and deep ReLU networks lean on careful "
        "initialisation or batch normalisation. SELU, a scaled ELU with a negative part, pulls "
        "both the mean and the variance back to (0, 1) at every layer: the same depth without "
        "normalisation layers and without dead units (it is never flat for x < 0)."
    ),
    article=("advantages", "disadvantages"),
)

DEPTH = 100
QUICK = {"width": 400, "samples": 400}
FULL = {"width": 1000, "samples": 1000}
TOL = 0.05
CONFIGS = (("selu", "lecun"), ("relu", "he"), ("tanh", "xavier"))


def run(quick: bool = False, seed: int = 0, progress: Progress | None = None) -> StudyResult:
    """Mean and variance per layer for SELU/LeCun, ReLU/He and tanh/Glorot; see module docs."""
    import torch

    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    width, samples = cfg["width"], cfg["samples"]
    tick = Ticker(progress, STUDY.name, len(CONFIGS) * DEPTH)
    stats: dict[str, dict[str, list[float]]] = {}
    for k, (act_name, scheme) in enumerate(CONFIGS):
        gen = torch.Generator().manual_seed(seed * 101 + k)
        act = torch_activation(act_name)
        h = torch.randn(samples, width, generator=gen, dtype=torch.float64)
        means, variances = [], []
        for _ in range(DEPTH):
            std = math.sqrt((2.0 if scheme == "he" else 1.0) / width)
            if scheme == "xavier":
                std = math.sqrt(2.0 / (width + width))
            w = torch.randn(width, width, generator=gen, dtype=torch.float64) * std
            h = act(h @ w)
            means.append(float(h.mean()))
            variances.append(float(h.var()))
            tick.advance()
        stats[act_name] = {"mean": means, "var": variances}
    selu_mean, selu_var = stats["selu"]["mean"][-1], stats["selu"]["var"][-1]
    reproduced = abs(selu_mean) < TOL and abs(selu_var - 1.0) < TOL
    numbers = {
        "depth": DEPTH,
        "width": width,
        "samples": samples,
        "layers": stats,
        "final": {a: {"mean": s["mean"][-1], "var": s["var"][-1]} for a, s in stats.items()},
    }
    final = numbers["final"]
    comparison = [
        (
            "SELU + LeCun: mean, var at layer 100",
            f"{selu_mean:+.4f}, {selu_var:.4f}",
            "0, 1 (fixed point)",
        ),
        (
            "ReLU + He: mean, var at layer 100",
            f"{final['relu']['mean']:+.3f}, {final['relu']['var']:.3f}",
            "not normalising (mean > 0)",
        ),
        (
            "tanh + Glorot: mean, var at layer 100",
            f"{final['tanh']['mean']:+.3f}, {final['tanh']['var']:.4f}",
            "not normalising (variance decays)",
        ),
    ]
    return STUDY.result(
        criterion=(
            f"SELU + LeCun-normal at layer {DEPTH}: |mean| < {TOL} and |variance - 1| < {TOL} "
            f"(over {samples} standard-normal samples x {width} units, float64)."
        ),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={"quick": quick, "seed": seed, "width": width, "samples": samples},
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
    )


def figure(numbers: dict[str, Any]) -> Any:
    """Mean and variance per layer, one line per activation."""
    fig = new_figure(8.5, 3.2)
    ax_m, ax_v = fig.subplots(1, 2)
    layers = list(range(1, numbers["depth"] + 1))
    labels = {"selu": "SELU + LeCun", "relu": "ReLU + He", "tanh": "tanh + Glorot"}
    colors = {"selu": "#27ae60", "relu": "#c0392b", "tanh": "#2e86c1"}
    for a, s in numbers["layers"].items():
        ax_m.plot(layers, s["mean"], color=colors[a], label=labels[a])
        ax_v.plot(layers, s["var"], color=colors[a], label=labels[a])
    ax_m.axhline(0, color="#777", lw=0.8, ls=":")
    ax_v.axhline(1, color="#777", lw=0.8, ls=":")
    ax_v.set_yscale("log")
    for ax, t in ((ax_m, "mean of activations"), (ax_v, "variance of activations")):
        ax.set_xlabel("layer")
        ax.set_title(t, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(
        f"{numbers['width']} units per layer, {numbers['samples']} samples, at initialisation",
        fontsize=10,
    )
    return fig
