"""convergence: ReLU networks train faster than saturating ones (Krizhevsky et al. 2012).

Krizhevsky, Sutskever and Hinton (2012, Fig. 1) report that a four-layer convolutional network
with ReLUs reached 25% training error on CIFAR-10 six times faster than the same network with
tanh units. Here: a four-layer MLP (64-100-100-100-10) learns the bundled 8x8 digits with ReLU,
tanh, sigmoid, LeakyReLU, ELU and GELU; plain minibatch SGD (batch 32), no momentum, no weight
decay, no regularisation. Each activation gets its own learning rate, the best of a small grid
(smallest median steps over seeds), and its usual initialisation (He-normal for the rectifiers,
Glorot-normal for tanh and sigmoid). The measure is the number of SGD steps until the error on
the whole training set first drops to 5% (checked every ``EVAL_EVERY`` steps). Seeds pair the
runs: the same seed gives every activation the same weight draw (scaled) and the same batches.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Any

from rectifier.studies._common import (
    Progress,
    Study,
    StudyResult,
    Ticker,
    digits_flat,
    error_rate,
    forward,
    init_mlp,
    new_figure,
    per_model_cross_entropy,
    torch_activation,
)

STUDY = Study(
    name="convergence",
    title="Convergence speed: ReLU against tanh, sigmoid and other activations",
    citation=(
        "Krizhevsky, Sutskever, Hinton (2012), ImageNet Classification with Deep Convolutional "
        "Neural Networks, NeurIPS, Fig. 1"
    ),
    claim=(
        "A network with ReLUs reaches a given training error several times faster than the same "
        "network with tanh units (25% on CIFAR-10: six times faster)."
    ),
    explanation=(
        "The article lists 'no vanishing gradient' among ReLU's advantages: a ReLU passes the "
        "gradient unchanged wherever it is active, while tanh and sigmoid shrink it by their slope "
        "(at most 1 and 1/4) at every layer. With plain SGD that shows up as speed: the saturating "
        "networks need more steps to fit the same data, even at their own best learning rate."
    ),
    article=("advantages", "applications"),
)

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu")
SCHEMES = {"tanh": "xavier", "sigmoid": "xavier"}  # default: he
SIZES = (64, 100, 100, 100, 10)
BATCH = 32
TARGET = 0.05
EVAL_EVERY = 10
QUICK = {"seeds": 5, "lrs": (0.1, 0.3, 1.0), "max_steps": 3000}
FULL = {"seeds": 10, "lrs": (0.01, 0.03, 0.1, 0.3, 1.0, 3.0), "max_steps": 10000}


def _train(
    act_name: str,
    lrs: tuple[float, ...],
    seeds: int,
    max_steps: int,
    seed: int,
    data: tuple[Any, ...],
    order: Any,
    tick: Ticker,
) -> list[list[float]]:
    """Steps to TARGET training error, ``[lr][seed]``.

    ``inf``: never reached within ``max_steps``, diverged, or stopped early because its learning
    rate can no longer be the best one: once more than half the seeds of a learning rate are still
    running at a step beyond the median of a finished learning rate, its median is larger, so it
    is dropped (this only saves time; the tuned learning rate and its steps are unchanged).
    """
    import torch

    x_train, y_train = data[0], data[1]
    act = torch_activation(act_name)
    scheme = SCHEMES.get(act_name, "he")
    per_seed = [
        init_mlp(1, SIZES, scheme, torch.Generator().manual_seed(seed * 7919 + s))
        for s in range(seeds)
    ]
    # model index = lr_index * seeds + seed_index; ``ids`` maps the live batch to model indices
    params = [
        torch.cat([per_seed[s][k] for _ in lrs for s in range(seeds)]).detach().requires_grad_()
        for k in range(len(per_seed[0]))
    ]
    ids = torch.arange(len(lrs) * seeds)
    lr_all = torch.tensor([lr for lr in lrs for _ in range(seeds)])
    steps = [[math.inf] * seeds for _ in lrs]
    for step in range(max_steps + 1):
        if step % EVAL_EVERY == 0:
            err = error_rate(params, x_train, y_train, act)
            finite = torch.isfinite(params[0].detach()).flatten(1).all(1)
            keep = []
            for j, i in enumerate(ids.tolist()):
                if err[j] <= TARGET and finite[j]:
                    steps[i // seeds][i % seeds] = step
                elif finite[j] and step < max_steps:
                    keep.append(j)
            medians = [
                statistics.median(row) for row in steps if sum(map(math.isfinite, row)) * 2 > seeds
            ]
            best = min(medians, default=math.inf)
            running: dict[int, int] = {}
            for j in keep:
                running[int(ids[j]) // seeds] = running.get(int(ids[j]) // seeds, 0) + 1
            keep = [
                j for j in keep if not (running[int(ids[j]) // seeds] * 2 > seeds and step > best)
            ]
            tick.advance(EVAL_EVERY)
            if not keep:
                break
            if len(keep) < len(ids):
                sel = torch.tensor(keep)
                ids = ids[sel]
                params = [p.detach()[sel].requires_grad_() for p in params]
        seed_of = ids % seeds
        idx = order[seed_of, step]  # (models, BATCH)
        loss = per_model_cross_entropy(forward(params, x_train[idx], act), y_train[idx]).sum()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            scale = lr_all[ids][:, None, None]
            for p, g in zip(params, grads, strict=True):
                p -= scale * g
    return steps


def run(quick: bool = False, seed: int = 0, progress: Progress | None = None) -> StudyResult:
    """Steps to 5% training error per activation, at its tuned learning rate; see module docs."""
    import torch

    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    seeds, lrs, max_steps = cfg["seeds"], cfg["lrs"], cfg["max_steps"]
    data = digits_flat(seed)
    n = len(data[0])
    gen = torch.Generator().manual_seed(seed)
    order = torch.stack(
        [
            torch.cat(
                [
                    torch.randperm(n, generator=gen)[: (n // BATCH) * BATCH]
                    for _ in range(max_steps * BATCH // ((n // BATCH) * BATCH) + 1)
                ]
            )[: max_steps * BATCH].view(max_steps, BATCH)
            for _ in range(seeds)
        ]
    )  # (seeds, steps, BATCH): each seed its own epochs of shuffled batches
    tick = Ticker(progress, STUDY.name, len(ACTIVATIONS) * max_steps)
    grid: dict[str, list[list[float]]] = {}
    for a in ACTIVATIONS:
        before = tick.done
        grid[a] = _train(a, lrs, seeds, max_steps, seed, data, order, tick)
        tick.done = before + max_steps
    best: dict[str, dict[str, Any]] = {}
    for a in ACTIVATIONS:
        medians = [statistics.median(row) for row in grid[a]]
        i = min(range(len(lrs)), key=lambda k: (medians[k], k))
        best[a] = {"lr": lrs[i], "steps": grid[a][i], "median_steps": medians[i]}
    relu = best["relu"]["steps"]
    ratios = {}
    for a in ("tanh", "sigmoid"):
        r = [other / mine for other, mine in zip(best[a]["steps"], relu, strict=True)]
        ratios[a] = {
            "per_seed": r,
            "median": statistics.median(r),
            "min": min(r),
            "max": max(r),
        }
    faster = {
        a: all(mine < other for mine, other in zip(relu, best[a]["steps"], strict=True))
        for a in ("tanh", "sigmoid")
    }
    reproduced = all(faster.values())
    numbers = {
        "activations": list(ACTIVATIONS),
        "lrs": list(lrs),
        "seeds": seeds,
        "max_steps": max_steps,
        "target_error": TARGET,
        "eval_every": EVAL_EVERY,
        "steps_grid": {a: _jsonable(grid[a]) for a in ACTIVATIONS},
        "best_lr": {a: best[a]["lr"] for a in ACTIVATIONS},
        "steps": {a: _jsonable([best[a]["steps"]])[0] for a in ACTIVATIONS},
        "median_steps": {a: _num(best[a]["median_steps"]) for a in ACTIVATIONS},
        "ratio_to_relu": {a: {k: _jsonable(v) for k, v in r.items()} for a, r in ratios.items()},
        "relu_faster_every_seed": faster,
    }
    comparison = [
        (
            "tanh / ReLU steps to 5% train error (median, range)",
            _ratio_text(ratios["tanh"]),
            "6x to 25% error (CIFAR-10 CNN)",
        ),
        ("sigmoid / ReLU steps (median, range)", _ratio_text(ratios["sigmoid"]), "(not reported)"),
    ]
    for a in ACTIVATIONS:
        comparison.append(
            (
                f"{a}: median steps (best lr)",
                f"{_fmt(best[a]['median_steps'])} (lr {best[a]['lr']:g})",
                "",
            )
        )
    comparison.append(
        (
            "ReLU faster than tanh / sigmoid in every seed",
            f"{faster['tanh']} / {faster['sigmoid']}",
            "yes (one run shown)",
        )
    )
    return STUDY.result(
        criterion=(
            f"ReLU reaches {TARGET:.0%} training error in fewer SGD steps than tanh and than "
            f"sigmoid in every one of the {seeds} seeds, each activation at its best learning "
            f"rate from {list(lrs)} (a run that never reaches it counts as infinitely slow)."
        ),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={"quick": quick, "seed": seed, "seeds": seeds, "max_steps": max_steps},
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
        notes=[
            "Digits (8x8, 1437 training images) and an MLP stand in for CIFAR-10 and a CNN: "
            "the comparison is the same (one architecture, only the activation changes), the "
            "ratio is not expected to match 6x."
        ],
    )


def _num(v: float) -> float | None:
    return None if math.isinf(v) else v


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return _num(value)
    return value


def _fmt(v: float) -> str:
    return "never" if math.isinf(v) else f"{v:g}"


def _ratio_text(r: dict[str, Any]) -> str:
    def f(v: float) -> str:
        return "inf" if math.isinf(v) else f"{v:.2f}"

    return f"{f(r['median'])}x ({f(r['min'])}-{f(r['max'])})"


def figure(numbers: dict[str, Any]) -> Any:
    """Steps to the target per activation (one dot per seed, at its best lr)."""
    fig = new_figure(7.5, 3.2)
    ax = fig.add_subplot()
    cap = numbers["max_steps"]
    for i, a in enumerate(numbers["activations"]):
        ys = [cap * 1.05 if v is None else v for v in numbers["steps"][a]]
        ax.scatter(
            [i] * len(ys),
            ys,
            s=18,
            alpha=0.7,
            color="#2e86c1" if "relu" in a or a in ("elu", "gelu") else "#c0392b",
        )
        med = numbers["median_steps"][a]
        ax.hlines(cap * 1.05 if med is None else med, i - 0.3, i + 0.3, color="black", lw=1.5)
    ax.axhline(cap, color="#777", ls=":", lw=0.8)
    ax.set_xticks(
        range(len(numbers["activations"])),
        [f"{a}\nlr {numbers['best_lr'][a]:g}" for a in numbers["activations"]],
        fontsize=8,
    )
    ax.set_ylabel(f"SGD steps to {numbers['target_error']:.0%} train error")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(
        f"digits MLP, plain SGD, {numbers['seeds']} seeds (dots), median (bar); dotted: step cap",
        fontsize=9,
    )
    return fig
