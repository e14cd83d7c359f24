"""dormant: non-stationary targets make ReLU units go dormant, and ReDo revives them (Sokar 2023).

Sokar, Agarwal, Castro and Evci (2023) call a unit tau-dormant when its mean |activation| is at
most tau times its layer's average, and show that under non-stationary targets (as in
reinforcement learning, or supervised learning with changing labels) the dormant fraction grows
over training, while ReDo (recycle dormant units: fresh incoming weights, zero outgoing weights)
keeps it low. Here: an MLP (64-128-128-10, ReLU, Adam) learns the bundled digits three ways from
the same initial weights and batches:

1. **supervised**: the true labels, all along;
2. **shuffled**: the labels are randomly re-assigned to the images every ``K`` steps (a new
   target function each time, like the moving targets of RL);
3. **shuffled + ReDo**: as 2, with :func:`rectifier.torch.recycle` (tau = 0.1, Adam state
   reset) at every snapshot (every ``K / 5`` steps, ReDo's periodic recycling).

Every ``K / 5`` steps a :class:`rectifier.torch.Monitor` reads one pass over the training images
and records the tau-dormant fraction (tau = 0.1) of the hidden units.
"""

from __future__ import annotations

import time
from typing import Any

from rectifier.studies._common import Progress, Study, StudyResult, Ticker, digits_flat, new_figure

STUDY = Study(
    name="dormant",
    title="Dormant units under non-stationary targets, with and without ReDo",
    citation=(
        "Sokar, Agarwal, Castro, Evci (2023), The Dormant Neuron Phenomenon in Deep Reinforcement "
        "Learning, ICML, Sec. 3-4"
    ),
    claim=(
        "Under non-stationary targets the fraction of tau-dormant units grows during training "
        "(much less so with stationary supervised targets), and recycling dormant units (ReDo) "
        "keeps it low."
    ),
    explanation=(
        "The dying ReLU of the article (Disadvantages; FAQ 2) has a milder, more common form: "
        "units that are not exactly dead but whose output is tiny compared with their layer's, so "
        "they barely contribute and barely learn. Each change of target leaves more of them "
        "behind. rectifier's doctor measures this tau-dormant fraction (Monitor) and recycle() "
        "resets such units without changing the network's outputs."
    ),
    article=("disadvantages", "faq-dying"),
)

TAU = 0.1
HIDDEN = 128
BATCH = 64
LR = 1e-3
QUICK = {"shuffles": 8, "period": 250}
FULL = {"shuffles": 20, "period": 500}
SNAPSHOTS = 5  # per period; must divide the period
RUNS = ("supervised", "shuffled", "shuffled+redo")


def _model(seed: int) -> Any:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(64, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, 10),
    )


def _dormant(model: Any, x: Any) -> tuple[float, float]:
    """(tau-dormant fraction, dead fraction) of the hidden units on ``x``, and the report."""
    import torch

    from rectifier.torch import Monitor

    with torch.no_grad(), Monitor(model, tau=TAU) as monitor:
        model(x)
    return monitor.report()


def _train(
    mode: str, seed: int, shuffles: int, period: int, data: tuple[Any, ...], tick: Ticker
) -> dict[str, list[float]]:
    import torch
    import torch.nn.functional as F

    from rectifier.torch import recycle

    x, y = data[0], data[1]
    n = len(x)
    model = _model(seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(seed + 1)  # batches: the same in every run
    label_gen = torch.Generator().manual_seed(seed + 2)  # label shuffles: the same too
    redo_gen = torch.Generator().manual_seed(seed + 3)
    labels = y.clone()
    curve: dict[str, list[float]] = {"step": [], "dormant": [], "dead": [], "train_acc": []}
    recycled: list[int] = []
    every = max(1, period // SNAPSHOTS)

    def record(step: int) -> Any:
        report = _dormant(model, x)
        with torch.no_grad():
            acc = float((model(x).argmax(1) == labels).float().mean())
        curve["step"].append(step)
        curve["dormant"].append(report.dormant_fraction)
        curve["dead"].append(report.dead_fraction)
        curve["train_acc"].append(acc)
        return report

    record(0)
    total = shuffles * period
    perm = torch.randperm(n, generator=gen)
    pos = 0
    for step in range(1, total + 1):
        if pos + BATCH > n:
            perm, pos = torch.randperm(n, generator=gen), 0
        idx = perm[pos : pos + BATCH]
        pos += BATCH
        loss = F.cross_entropy(model(x[idx]), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % every == 0:
            report = record(step)
            if mode == "shuffled+redo" and step < total:
                result = recycle(model, report, tau=TAU, optimizer=opt, generator=redo_gen)
                recycled.append(result.recycled)
            if step % period == 0 and step < total and mode != "supervised":
                labels = y[torch.randperm(n, generator=label_gen)]
        tick.advance()
    curve["recycled"] = recycled
    return curve


def run(quick: bool = False, seed: int = 0, progress: Progress | None = None) -> StudyResult:
    """Dormant fraction over time for the three runs; see module docs."""
    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    shuffles, period = cfg["shuffles"], cfg["period"]
    data = digits_flat(seed)
    tick = Ticker(progress, STUDY.name, len(RUNS) * shuffles * period)
    curves = {mode: _train(mode, seed, shuffles, period, data, tick) for mode in RUNS}

    def late(mode: str) -> float:
        """Mean dormant fraction over the last quarter of training."""
        d = curves[mode]["dormant"]
        tail = d[-max(1, len(d) // 4) :]
        return sum(tail) / len(tail)

    # Before the first re-shuffle all three runs are the same supervised run.
    first = curves["shuffled"]["dormant"][SNAPSHOTS]
    sup, shuf, redo = late("supervised"), late("shuffled"), late("shuffled+redo")
    checks = {
        "rises_with_shuffles": shuf >= first + 0.05 and shuf >= 2 * max(first, 0.01),
        "supervised_stays_low": sup <= shuf / 2,
        "redo_lowers_it": redo <= shuf / 2,
    }
    reproduced = all(checks.values())
    numbers = {
        "tau": TAU,
        "period": period,
        "shuffles": shuffles,
        "curves": curves,
        "initial_dormant": first,
        "late_dormant": {"supervised": sup, "shuffled": shuf, "shuffled+redo": redo},
        "checks": checks,
    }
    comparison = [
        ("tau-dormant fraction before the first shuffle", f"{first:.1%}", "low"),
        ("late dormant, supervised", f"{sup:.1%}", "low (stays low)"),
        ("late dormant, shuffled labels", f"{shuf:.1%}", "grows with training (Fig. 3, 4)"),
        ("late dormant, shuffled + ReDo", f"{redo:.1%}", "kept low (Fig. 7)"),
        (
            "final train accuracy: supervised / shuffled / +ReDo",
            " / ".join(f"{curves[m]['train_acc'][-1]:.0%}" for m in RUNS),
            "ReDo keeps the network able to fit new targets",
        ),
    ]
    return STUDY.result(
        criterion=(
            f"tau = {TAU}; 'late' = mean over the last quarter of the snapshots. (1) rises: "
            "late dormant fraction with shuffled labels >= its value just before the first "
            "shuffle + 5 points and >= 2x that value (at least 2x 1%); (2) supervised stays "
            "low: its late fraction <= half the shuffled one; (3) ReDo lowers it: late "
            "fraction with ReDo <= half the shuffled one."
        ),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={"quick": quick, "seed": seed, "shuffles": shuffles, "period": period},
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
    )


def figure(numbers: dict[str, Any]) -> Any:
    """Dormant fraction over steps for the three runs, shuffle times marked."""
    fig = new_figure(7.5, 3.2)
    ax = fig.add_subplot()
    colors = {"supervised": "#2e86c1", "shuffled": "#c0392b", "shuffled+redo": "#27ae60"}
    for mode, c in numbers["curves"].items():
        ax.plot(c["step"], [100 * v for v in c["dormant"]], color=colors[mode], label=mode)
    for k in range(1, numbers["shuffles"]):
        ax.axvline(k * numbers["period"], color="#bbb", lw=0.6, ls=":")
    ax.set_xlabel("step (dotted: label re-shuffle, and ReDo)")
    ax.set_ylabel(f"% tau-dormant units (tau={numbers['tau']:g})")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("dormant hidden units: stationary vs shuffled labels", fontsize=10)
    return fig
