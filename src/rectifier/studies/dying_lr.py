"""dying-lr: too large a learning rate kills ReLUs; leaky variants survive (the article's FAQ).

The seed article's FAQ ("What is the dying ReLU problem?") says a ReLU unit can get stuck at
zero for every input, typically after a large update (a high learning rate), and then gets no
gradient again; LeakyReLU and ELU, with a non-zero slope for x < 0, avoid that.

Here: MLPs (64-128-128-128-10, He-normal, zero biases) learn the bundled digits with plain SGD at
learning rates from 0.01 to 1, with ReLU, LeakyReLU(0.01) (PyTorch's default slope), ELU and,
for information, LeakyReLU(0.1) (the doctor demo's remedy; not part of the verdict); the same
initial weights and batches for all. After training, a unit is *dead* if its output is never
positive on any training image (the doctor's definition, :class:`rectifier.torch.Monitor`); for
LeakyReLU and ELU such a unit still passes a gradient, so "dead" there means "negative
everywhere", not "stuck". A run whose weights overflowed to inf/NaN is reported as diverged and
left out of the means.

Dying is permanent, so the learning rate under test is used for the first ``epochs`` and then
every run continues at ``RECOVERY_LR`` for ``recovery`` epochs (a step decay): a dead ReLU unit
has no gradient and stays dead, a negative LeakyReLU/ELU unit can come back.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from typing import Any

from rectifier.studies._common import (
    Progress,
    Study,
    StudyResult,
    Ticker,
    batch_indices,
    digits_flat,
    forward,
    init_mlp,
    new_figure,
    per_model_cross_entropy,
    torch_activation,
)

STUDY = Study(
    name="dying-lr",
    title="Dying ReLU: dead units against the learning rate, ReLU vs LeakyReLU vs ELU",
    citation="The seed article, FAQ 2 ('What is the dying ReLU problem?'); also Lu et al. (2019)",
    claim=(
        "With a large learning rate, ReLU units die (output 0 for every input, so no gradient ever "
        "again); LeakyReLU and ELU keep a gradient for x < 0 and do not die."
    ),
    explanation=(
        "The derivative of max(0, x) is 0 for every x < 0 (FAQ 1), so a unit whose pre-activation "
        "is negative for every input gets no gradient and never recovers (FAQ 2, Disadvantages). A "
        "large step can push a unit's bias or weights there in one update; the larger the learning "
        "rate, the more units it kills. LeakyReLU and ELU have a non-zero slope for x < 0, so such "
        "units keep learning. rectifier's doctor finds dead units (Monitor) and swaps the "
        "activation (replace_activations)."
    ),
    article=("disadvantages", "faq-dying", "faq-derivative"),
)

ACTIVATIONS = ("relu", "leaky_relu", "leaky_relu_0.1", "elu")
SIZES = (64, 128, 128, 128, 10)
LRS = (0.01, 0.03, 0.1, 0.3, 0.6, 1.0)
BATCH = 32
QUICK = {"seeds": 3, "epochs": 3, "recovery": 3}
FULL = {"seeds": 8, "epochs": 10, "recovery": 10}
RECOVERY_LR = 0.05
DYING = 0.5  # the dying point: ReLU's mean dead fraction reaches this
TOL = 0.05


def run(quick: bool = False, seed: int = 0, progress: Progress | None = None) -> StudyResult:
    """Dead fraction and test error against the learning rate per activation; see module docs."""
    import torch

    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    seeds, epochs, recovery = cfg["seeds"], cfg["epochs"], cfg["recovery"]
    x_train, y_train, x_test, y_test = digits_flat(seed)
    tick = Ticker(progress, STUDY.name, len(ACTIVATIONS) * (epochs + recovery))
    per_seed = [
        init_mlp(1, SIZES, "he", torch.Generator().manual_seed(seed * 53 + s)) for s in range(seeds)
    ]
    dead: dict[str, list[list[float]]] = {}
    error: dict[str, list[list[float]]] = {}
    diverged: dict[str, list[list[bool]]] = {}
    for a in ACTIVATIONS:
        act = torch_activation(a)
        # model index = lr_index * seeds + seed_index
        params = [
            torch.cat([per_seed[s][k] for _ in LRS for s in range(seeds)]).detach().requires_grad_()
            for k in range(len(per_seed[0]))
        ]
        lr = torch.tensor([v for v in LRS for _ in range(seeds)])[:, None, None]
        gen = torch.Generator().manual_seed(seed * 53 + 99)
        for epoch in range(epochs + recovery):
            rate = lr if epoch < epochs else RECOVERY_LR
            for idx in batch_indices(seeds, len(x_train), BATCH, gen):
                idx = idx.repeat(len(LRS), 1)
                loss = per_model_cross_entropy(
                    forward(params, x_train[idx], act), y_train[idx]
                ).sum()
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    for p, g in zip(params, grads, strict=True):
                        p -= rate * g
                        p.nan_to_num_(nan=math.inf)  # keep diverged runs from spreading NaN
            tick.advance()
        with torch.no_grad():
            hidden: list[Any] = []
            forward(params, x_train, act, hidden)
            finite = torch.stack([p.isfinite().flatten(1).all(1) for p in params]).all(0)
            units = sum(h.shape[-1] for h in hidden)
            dead_units = sum(((h > 0).sum(1) == 0).sum(-1) for h in hidden)
            frac = dead_units.to(torch.float64) / units
            err = (forward(params, x_test, act).argmax(-1) != y_test).to(torch.float64).mean(1)
        shape = (len(LRS), seeds)
        ok = finite.view(shape).tolist()
        dead[a] = _where(ok, frac.view(shape).tolist())
        error[a] = _where(ok, err.view(shape).tolist())
        diverged[a] = [[not v for v in row] for row in ok]
    mean_dead = {a: [_mean(row) for row in dead[a]] for a in ACTIVATIONS}
    mean_err = {a: [_mean(row) for row in error[a]] for a in ACTIVATIONS}
    relu = [math.inf if v is None else v for v in mean_dead["relu"]]
    dying = next((i for i, v in enumerate(relu) if v >= DYING), None)

    def survives(a: str) -> bool:
        v = None if dying is None else mean_dead[a][dying]
        return v is not None and not any(diverged[a][dying]) and v <= relu[dying] / 2

    checks = {
        "relu_dies_in_grid": dying is not None,
        "relu_dead_rises_with_lr": all(b >= a - TOL for a, b in itertools.pairwise(relu)),
        "relu_healthy_at_small_lr": relu[0] <= 0.1,
        "leaky_relu_survives": survives("leaky_relu"),
        "elu_survives": survives("elu"),
    }
    reproduced = all(checks.values())
    numbers = {
        "lrs": list(LRS),
        "activations": list(ACTIVATIONS),
        "seeds": seeds,
        "epochs": epochs,
        "recovery_epochs": recovery,
        "recovery_lr": RECOVERY_LR,
        "dead": dead,
        "test_error": error,
        "diverged": diverged,
        "mean_dead": mean_dead,
        "mean_test_error": mean_err,
        "dying_lr": None if dying is None else LRS[dying],
        "checks": checks,
    }

    def at(a: str, i: int | None) -> str:
        if i is None:
            return "-"
        gone = sum(diverged[a][i])
        if gone == seeds:
            return "all runs diverged (inf/NaN)"
        text = f"{mean_dead[a][i]:.0%} dead, {mean_err[a][i]:.1%} error"
        return text + (f" ({gone} of {seeds} runs diverged)" if gone else "")

    comparison = [
        (
            "ReLU dying point (mean dead >= 50%)",
            "none" if dying is None else f"lr {LRS[dying]:g}",
            "'a large learning rate'",
        ),
        (f"ReLU at lr {LRS[0]:g}", at("relu", 0), "healthy"),
        ("ReLU at the dying point", at("relu", dying), "most units dead"),
        ("LeakyReLU(0.01) at the dying point", at("leaky_relu", dying), "no dying"),
        (
            "LeakyReLU(0.1) at the dying point (not in the verdict)",
            at("leaky_relu_0.1", dying),
            "no dying",
        ),
        ("ELU at the dying point", at("elu", dying), "no dying"),
    ]
    return STUDY.result(
        criterion=(
            f"Means over {seeds} seeds; dead = never positive on the training images. (1) some "
            f"learning rate in {list(LRS)} kills ReLU networks: mean dead fraction >= "
            f"{DYING:.0%} (the first such lr is the dying point); (2) ReLU's dead fraction rises "
            f"with the learning rate (never falls by more than {TOL:.0%}); (3) at lr {LRS[0]:g} "
            "ReLU has <= 10% dead units; (4) at the dying point LeakyReLU and ELU have at most "
            "half ReLU's dead fraction, and no run diverged (a diverged run, weights inf/NaN, is "
            "left out of the means and fails this check)."
        ),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={
            "quick": quick,
            "seed": seed,
            "seeds": seeds,
            "epochs": epochs,
            "recovery_epochs": recovery,
        },
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
    )


def _where(ok: list[list[bool]], values: list[list[float]]) -> list[list[float | None]]:
    return [
        [v if k else None for k, v in zip(r, row, strict=True)]
        for r, row in zip(ok, values, strict=True)
    ]


def _mean(row: list[float | None]) -> float | None:
    vals = [v for v in row if v is not None]
    return statistics.fmean(vals) if vals else None


def figure(numbers: dict[str, Any]) -> Any:
    """Mean dead fraction and test error against the learning rate."""
    fig = new_figure(8.5, 3.2)
    ax_d, ax_e = fig.subplots(1, 2)
    colors = {
        "relu": "#c0392b",
        "leaky_relu": "#2e86c1",
        "leaky_relu_0.1": "#8e44ad",
        "elu": "#27ae60",
    }
    for a in numbers["activations"]:
        dead = [math.nan if v is None else 100 * v for v in numbers["mean_dead"][a]]
        err = [math.nan if v is None else 100 * v for v in numbers["mean_test_error"][a]]
        ax_d.plot(numbers["lrs"], dead, "-o", ms=4, color=colors[a], label=a)
        ax_e.plot(numbers["lrs"], err, "-o", ms=4, color=colors[a], label=a)
    if numbers["dying_lr"] is not None:
        for ax in (ax_d, ax_e):
            ax.axvline(numbers["dying_lr"], color="#777", ls=":", lw=0.8)
    ax_d.set_ylabel("% hidden units dead (never > 0)")
    ax_d.set_ylim(0, 100)
    ax_e.set_ylabel("test error %")
    for ax in (ax_d, ax_e):
        ax.set_xscale("log")
        ax.set_xlabel("SGD learning rate")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(
        f"digits MLP 3x128, {numbers['seeds']} seeds: {numbers['epochs']} epochs at the lr, then "
        f"{numbers['recovery_epochs']} at {numbers['recovery_lr']:g}; dotted: ReLU's dying "
        "point; a missing point: every run diverged",
        fontsize=9,
    )
    return fig
