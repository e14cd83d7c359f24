"""born-dead: how often a deep, narrow ReLU network is dead at initialisation (Lu et al. 2019).

A ReLU network is *born dead* when some hidden layer outputs zero for every input: from there on
the network is a constant function and gradient descent cannot leave it. Lu, Shin, Su and
Karniadakis (2019) prove that for a fixed width N the probability tends to 1 as the depth L grows,
and that their Randomised Asymmetric Initialisation (RAI) makes it much smaller than He
initialisation.

Setting (the paper's Sec. 4 and 6): input dimension 1, the 201 points ``linspace(-1, 1, 201)``,
L hidden layers of width N, He-normal weights with zero biases versus RAI; born dead means some
hidden layer is identically zero on those points. All trials of one (N, L, init) cell are one
batched tensor: ``(trials, 201, N)`` through ``torch.bmm``.

RAI draws come from the same code as :func:`rectifier.torch.rai_init_` (its per-layer sampler,
applied to ``trials * N`` neurons at once), so the study measures the library's remedy.
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace
from typing import Any

from rectifier.studies._common import Progress, Study, StudyResult, Ticker, binomial_se, new_figure

STUDY = Study(
    name="born-dead",
    title="Born dead: deep, narrow ReLU networks at initialisation",
    citation=(
        "Lu, Shin, Su, Karniadakis (2019), Dying ReLU and Initialization: Theory and Numerical "
        "Examples, arXiv:1903.06733"
    ),
    claim=(
        "The probability that a ReLU network is born dead rises with depth L and falls with width "
        "N (it tends to 1 as L grows at fixed N); Randomised Asymmetric Initialisation (RAI) "
        "lowers it compared with He initialisation."
    ),
    explanation=(
        "The article's 'dying ReLU' (Disadvantages; FAQ 2) is usually described as units that die "
        "during training. Lu et al. show a worse form: a narrow, deep network can be dead before "
        "training starts, because each layer has a chance that all its units are negative on every "
        "input, and those chances add up with depth. A wider layer makes that chance vanish. RAI "
        "gives each neuron one positive weight drawn from Beta(2, 1), which keeps neurons alive; "
        "rectifier's doctor applies it with rectifier.torch.rai_init_."
    ),
    article=("disadvantages", "faq-dying"),
)

WIDTHS = (2, 3, 4, 5, 10)
DEPTHS = (2, 5, 10, 20, 50)
POINTS = 201
FULL_TRIALS = 2000
QUICK_TRIALS = 1000
# Tolerance in standard errors for "non-decreasing up to sampling noise".
Z = 3.0


def _he_layers(trials: int, n: int, depth: int, gen: Any) -> list[tuple[Any, Any]]:
    import torch

    layers = []
    fan_in = 1
    for _ in range(depth):
        w = torch.randn(trials, fan_in, n, generator=gen, dtype=torch.float64)
        w = (w * math.sqrt(2.0 / fan_in)).float()
        layers.append((w, None))
        fan_in = n
    return layers


def _rai_layers(trials: int, n: int, depth: int, gen: Any) -> list[tuple[Any, Any]]:
    """RAI for ``trials`` networks at once, through the library's own per-layer sampler."""
    import torch

    from rectifier.torch.remedies import _rai_layer_

    layers = []
    fan_in = 1
    for _ in range(depth):
        # _rai_layer_ treats every row of ``weight`` (with its bias entry) as one neuron.
        fake = SimpleNamespace(weight=torch.empty(trials * n, fan_in), bias=torch.empty(trials * n))
        _rai_layer_(fake, gen)
        w = fake.weight.view(trials, n, fan_in).transpose(1, 2).contiguous()
        b = fake.bias.view(trials, 1, n)
        layers.append((w, b))
        fan_in = n
    return layers


def born_dead_count(layers: list[tuple[Any, Any]], x: Any) -> int:
    """How many of the batched networks have some hidden layer identically zero on ``x``."""
    import torch

    trials = layers[0][0].shape[0]
    h = x.expand(trials, *x.shape)
    dead = torch.zeros(trials, dtype=torch.bool)
    with torch.no_grad():
        for w, b in layers:
            h = torch.bmm(h, w) if b is None else torch.baddbmm(b, h, w)
            h.relu_()
            dead |= h.flatten(1).amax(1) <= 0
    return int(dead.sum())


def run(
    quick: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    trials: int | None = None,
) -> StudyResult:
    """Estimate P(born dead) for every (N, L) under He and RAI; see the module docs.

    >>> r = run(quick=True, trials=50)  # doctest: +SKIP
    >>> r.numbers["he"][0][-1]  # N=2, L=50: almost surely dead  # doctest: +SKIP
    1.0
    """
    import torch

    start = time.perf_counter()
    trials = int(trials or (QUICK_TRIALS if quick else FULL_TRIALS))
    if trials < 10:
        raise ValueError(f"born-dead: trials must be >= 10, got {trials}")
    x = torch.linspace(-1.0, 1.0, POINTS).unsqueeze(1)
    counts: dict[str, list[list[int]]] = {"he": [], "rai": []}
    tick = Ticker(progress, STUDY.name, 2 * len(WIDTHS) * len(DEPTHS))
    for init, make in (("he", _he_layers), ("rai", _rai_layers)):
        for i, n in enumerate(WIDTHS):
            row = []
            for j, depth in enumerate(DEPTHS):
                cell = (seed * 1_000_003 + (0 if init == "he" else 500_000) + 100 * i + j) % 2**63
                gen = torch.Generator().manual_seed(cell)
                row.append(born_dead_count(make(trials, n, depth, gen), x))
                tick.advance()
            counts[init].append(row)

    he = [[k / trials for k in row] for row in counts["he"]]
    rai = [[k / trials for k in row] for row in counts["rai"]]
    checks = _verdict(counts, trials)
    reproduced = all(c["ok"] for c in checks.values())
    numbers = {
        "widths": list(WIDTHS),
        "depths": list(DEPTHS),
        "he": he,
        "rai": rai,
        "trials": trials,
        "points": POINTS,
        "checks": checks,
        "reproduced": reproduced,
    }
    comparison = [
        (
            f"P(born dead), N={n}, L={L}, He / RAI",
            f"{he[WIDTHS.index(n)][DEPTHS.index(L)]:.3f} / "
            f"{rai[WIDTHS.index(n)][DEPTHS.index(L)]:.3f}",
            paper,
        )
        for n, L, paper in (
            (2, 10, "He ~0.9+ (Fig. 4: N=2 dies by L~10)"),
            (3, 20, "He high, RAI markedly lower (Fig. 8)"),
            (5, 50, "He grows towards 1 with L (Thm 4)"),
            (10, 50, "He small for N=10 (Fig. 4)"),
        )
    ]
    comparison.append(("verdict checks passed", f"{sum(c['ok'] for c in checks.values())}/3", ""))
    return STUDY.result(
        criterion=CRITERION.format(z=Z, trials=trials),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={"quick": quick, "seed": seed, "trials": trials},
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
    )


CRITERION = (
    "With T={trials} trials per cell and se(k) the binomial standard error of k/T (p shrunk to "
    "(k+0.5)/(T+1)), tol = {z:g}*sqrt(se1^2 + se2^2) for two cells. (1) rises with L: for every "
    "N and init, P(N, next L) >= P(N, L) - tol, and for N <= 5 under He, P(N, 50) > P(N, 2) + "
    "tol; (2) falls with N: for every L and init, P(next N, L) <= P(N, L) + tol; (3) RAI < He in "
    "every cell with N <= 5 and L >= 5, strictly, except a tie allowed where both are ~0 "
    "(at most 3 of T trials dead, the rule-of-three bound) or both ~1 (at most 3 of T alive)."
)


def _verdict(counts: dict[str, list[list[int]]], trials: int) -> dict[str, dict[str, Any]]:
    def p(init: str, i: int, j: int) -> float:
        return counts[init][i][j] / trials

    def tol(init_a: str, a: tuple[int, int], init_b: str, b: tuple[int, int]) -> float:
        sa = binomial_se(counts[init_a][a[0]][a[1]], trials)
        sb = binomial_se(counts[init_b][b[0]][b[1]], trials)
        return Z * math.hypot(sa, sb)

    rises, falls, rai_lower = [], [], []
    for init in ("he", "rai"):
        for i in range(len(WIDTHS)):
            for j in range(len(DEPTHS) - 1):
                if p(init, i, j + 1) < p(init, i, j) - tol(init, (i, j), init, (i, j + 1)):
                    rises.append(f"{init} N={WIDTHS[i]}: L={DEPTHS[j]} -> {DEPTHS[j + 1]}")
        for j in range(len(DEPTHS)):
            for i in range(len(WIDTHS) - 1):
                if p(init, i + 1, j) > p(init, i, j) + tol(init, (i, j), init, (i + 1, j)):
                    falls.append(f"{init} L={DEPTHS[j]}: N={WIDTHS[i]} -> {WIDTHS[i + 1]}")
    last = len(DEPTHS) - 1
    for i, n in enumerate(WIDTHS):
        if n <= 5 and not p("he", i, last) > p("he", i, 0) + tol("he", (i, 0), "he", (i, last)):
            rises.append(f"he N={n}: no rise from L={DEPTHS[0]} to L={DEPTHS[last]}")
    for i, n in enumerate(WIDTHS):
        for j, depth in enumerate(DEPTHS):
            if n > 5 or depth < 5:
                continue
            kh, kr = counts["he"][i][j], counts["rai"][i][j]
            both0 = kh <= 3 and kr <= 3
            both1 = kh >= trials - 3 and kr >= trials - 3
            if not (kr < kh or both0 or both1):
                rai_lower.append(f"N={n}, L={depth}: RAI {kr}/{trials} vs He {kh}/{trials}")
    return {
        "rises_with_depth": {"ok": not rises, "violations": rises},
        "falls_with_width": {"ok": not falls, "violations": falls},
        "rai_below_he": {"ok": not rai_lower, "violations": rai_lower},
    }


def figure(numbers: dict[str, Any]) -> Any:
    """P(born dead) against depth, one line per width, He (solid) and RAI (dashed)."""
    fig = new_figure(7.5, 3.4)
    ax = fig.add_subplot()
    colors = ["#c0392b", "#e67e22", "#27ae60", "#2e86c1", "#8e44ad"]
    for color, n, he, rai in zip(
        colors, numbers["widths"], numbers["he"], numbers["rai"], strict=False
    ):
        ax.plot(numbers["depths"], he, "-o", color=color, ms=4, label=f"He, N={n}")
        ax.plot(numbers["depths"], rai, "--s", color=color, ms=3, alpha=0.8, label=f"RAI, N={n}")
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(numbers["depths"], [str(d) for d in numbers["depths"]])
    ax.set_xlabel("depth L (hidden layers)")
    ax.set_ylabel("P(born dead)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(f"born dead at initialisation ({numbers['trials']} trials per point)", fontsize=10)
    return fig
