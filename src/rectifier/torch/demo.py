"""The doctor's built-in demo: kill ReLUs on purpose, watch them die, then fix them.

``rectifier doctor`` with no ``--model`` runs :func:`run_demo`: a small CNN (:func:`make_cnn`)
learns the bundled 8x8 digits (:func:`rectifier.data.load_digits`) twice, from the same
initial weights and the same batch order (one seed):

1. **before**: ReLU, Adam with a learning rate ten times too large (0.03). Early, large updates push
   many units' pre-activations below zero for every input; a ReLU unit that is never positive
   gets no gradient and stays dead.
2. **after**: the same, but the ReLUs are swapped for LeakyReLU(0.1) first with
   :func:`rectifier.torch.replace_activations`. A leaky unit still gets gradient when it is
   negative, so it can come back.

After every epoch a :class:`rectifier.torch.Monitor` watches one pass over the training images
(eval mode, no gradients) and :meth:`~rectifier.torch.Monitor.snapshot` records the dead and
dormant fractions; the last pass gives each run's :class:`~rectifier.torch.Report`.

>>> result = run_demo(epochs=2)  # doctest: +SKIP
>>> result.before.report.dead_fraction > result.after.report.dead_fraction  # doctest: +SKIP
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rectifier.data import load_digits
from rectifier.torch.monitor import Monitor
from rectifier.torch.remedies import replace_activations
from rectifier.torch.report import Report

__all__ = [
    "DemoConfig",
    "DemoResult",
    "DemoRun",
    "digits_tensors",
    "make_cnn",
    "run_demo",
]


@dataclass(frozen=True)
class DemoConfig:
    """The demo's settings. The defaults are the ones the CLI uses."""

    epochs: int = 15
    lr: float = 0.03
    batch_size: int = 64
    seed: int = 0
    tau: float = 0.1
    negative_slope: float = 0.1
    test_fraction: float = 0.2


@dataclass
class DemoRun:
    """One training run: its label, final report, test accuracy and per-epoch curves."""

    label: str
    description: str
    report: Report
    accuracy: float
    seconds: float
    epochs: list[int] = field(default_factory=list)
    dead_fraction: list[float] = field(default_factory=list)
    dormant_fraction: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def curves(self) -> dict[str, list[float]]:
        """Per-epoch curves (epoch 0 is the initial network), for plots and JSON."""
        return {
            "epoch": list(self.epochs),
            "dead_fraction": list(self.dead_fraction),
            "dormant_fraction": list(self.dormant_fraction),
            "accuracy": list(self.accuracies),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "description": self.description,
            "test_accuracy": self.accuracy,
            "seconds": self.seconds,
            "curves": self.curves(),
            "notes": list(self.notes),
            "report": self.report.to_dict(),
        }


@dataclass
class DemoResult:
    """Both runs of the demo and the settings they used."""

    config: DemoConfig
    before: DemoRun
    after: DemoRun
    train_examples: int
    test_examples: int
    attribution: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": dict(self.config.__dict__),
            "train_examples": self.train_examples,
            "test_examples": self.test_examples,
            "data": self.attribution,
            "seconds": self.seconds,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


def make_cnn(activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """The demo CNN for 1x8x8 inputs: two 3x3 convolutions, a max-pool and two linear layers.

    >>> model = make_cnn()
    >>> model(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        activation(),
        nn.Conv2d(16, 32, 3, padding=1),
        activation(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64),
        activation(),
        nn.Linear(64, 10),
    )


def digits_tensors(
    seed: int = 0, test_fraction: float = 0.2
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str]:
    """The bundled digits as ``x_train, y_train, x_test, y_test`` (x: float32 N x 1 x 8 x 8 in
    [0, 1]), split at random by ``seed``; plus the data set's attribution."""
    digits = load_digits()
    x = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    y = torch.from_numpy(digits.labels.astype(np.int64))
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_test = round(len(x) * test_fraction)
    test, train = perm[:n_test], perm[n_test:]
    return x[train], y[train], x[test], y[test], digits.attribution


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def _train(
    model: nn.Module,
    data: tuple[torch.Tensor, ...],
    config: DemoConfig,
    run: DemoRun,
    on_epoch: Callable[[], None] | None,
) -> Report:
    x_train, y_train, x_test, y_test = data
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    order = torch.Generator().manual_seed(config.seed + 1)
    monitor = Monitor(model, tau=config.tau)

    def check(epoch: int) -> Report:
        model.eval()
        monitor.reset()
        with monitor, torch.no_grad():
            model(x_train)
        entry = monitor.snapshot(f"epoch {epoch}")
        run.epochs.append(epoch)
        run.dead_fraction.append(entry["dead_fraction"])
        run.dormant_fraction.append(entry["dormant_fraction"])
        run.accuracies.append(_accuracy(model, x_test, y_test))
        model.train()
        return monitor.report()

    report = check(0)
    for epoch in range(1, config.epochs + 1):
        model.train()
        perm = torch.randperm(len(x_train), generator=order)
        for i in range(0, len(perm), config.batch_size):
            batch = perm[i : i + config.batch_size]
            loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        report = check(epoch)
        if on_epoch is not None:
            on_epoch()
    model.eval()
    return report


def run_demo(
    *,
    epochs: int = DemoConfig.epochs,
    seed: int = DemoConfig.seed,
    tau: float = DemoConfig.tau,
    lr: float = DemoConfig.lr,
    on_epoch: Callable[[], None] | None = None,
) -> DemoResult:
    """Train the demo CNN twice (ReLU, then LeakyReLU via ``replace_activations``); see the module.

    ``on_epoch`` is called after each epoch of each run (``2 * epochs`` calls), e.g. to advance a
    progress bar. The global RNG state is saved and restored: the demo does not disturb the
    caller's random numbers.
    """
    config = DemoConfig(epochs=epochs, lr=lr, seed=seed, tau=tau)
    if epochs < 1:
        raise ValueError(f"run_demo: epochs must be >= 1, got {epochs}")
    start = time.perf_counter()
    x_train, y_train, x_test, y_test, attribution = digits_tensors(seed, config.test_fraction)
    data = (x_train, y_train, x_test, y_test)
    runs = []
    threads = torch.get_num_threads()
    # One thread: this model is too small to gain from more, a busy machine makes several threads
    # far slower, and float sums (so the results) depend on how the work is split.
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            runs = _both_runs(config, data, on_epoch)
    finally:
        torch.set_num_threads(threads)
    return DemoResult(
        config=config,
        before=runs[0],
        after=runs[1],
        train_examples=len(x_train),
        test_examples=len(x_test),
        attribution=attribution,
        seconds=time.perf_counter() - start,
    )


def _both_runs(
    config: DemoConfig, data: tuple[torch.Tensor, ...], on_epoch: Callable[[], None] | None
) -> list[DemoRun]:
    runs = []
    for remedy in (False, True):
        torch.manual_seed(config.seed)
        model = make_cnn()  # the same initial weights for both runs
        if remedy:
            label = "after (LeakyReLU)"
            description = (
                f"ReLU swapped for LeakyReLU({config.negative_slope:g}) with "
                "replace_activations, then the same training"
            )
        else:
            label = "before (ReLU)"
            description = f"ReLU, Adam lr={config.lr:g} (about ten times too large)"
        run = DemoRun(label, description, Report.from_sites([], tau=config.tau), 0.0, 0.0)
        if remedy:
            slope = config.negative_slope
            result = replace_activations(model, lambda old, slope=slope: nn.LeakyReLU(slope))
            run.notes.append(f"replaced: {', '.join(result.replaced)}")
        t0 = time.perf_counter()
        run.report = _train(model, data, config, run, on_epoch)
        run.seconds = time.perf_counter() - t0
        run.accuracy = run.accuracies[-1]
        runs.append(run)
    return runs
