"""Classic ReLU results, reproduced on this machine: one module per study, and a registry.

Each study module has ``STUDY`` (a :class:`Study`: name, title, citation, the paper's claim, why
it matters) and ``run(quick=False, seed=0, progress=None, **options) -> StudyResult``: the
numbers, a ``reproduced`` verdict with the criterion it used, and a figure. Quick modes take
seconds (the CI runs them all); full modes are documented in ``docs/studies.md``.

Needs PyTorch (``pip install "rectifier[torch]"``) and, for figures, matplotlib.

>>> names()[:3]
['born-dead', 'convergence', 'sparsity']
>>> result = run("born-dead", quick=True, trials=50)  # doctest: +SKIP
>>> result.numbers["widths"]  # doctest: +SKIP
[2, 3, 4, 5, 10]
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import Any

from rectifier.studies._common import Progress, Study, StudyResult

__all__ = ["STUDIES", "Progress", "Study", "StudyResult", "get", "names", "options", "run"]

# Study name -> module in this package, in the order `rectifier study list` shows them.
STUDIES = {
    "born-dead": "born_dead",
    "convergence": "convergence",
    "sparsity": "sparsity",
    "self-normalising": "self_normalising",
    "relu-prime": "relu_prime",
    "dormant": "dormant",
    "dying-lr": "dying_lr",
    "cost": "cost",
}


def names() -> list[str]:
    """Every study's name, in report order."""
    return list(STUDIES)


def get(name: str) -> ModuleType:
    """The module of study ``name``; ``KeyError`` listing the known names otherwise."""
    if name not in STUDIES:
        raise KeyError(f"no study {name!r}; known studies: {', '.join(STUDIES)}")
    return importlib.import_module(f"rectifier.studies.{STUDIES[name]}")


def options(name: str) -> list[str]:
    """The extra keyword options study ``name`` accepts (e.g. ``['trials']`` for born-dead)."""
    params = inspect.signature(get(name).run).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def run(
    name: str,
    *,
    quick: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
    threads: int = 1,
    **opts: Any,
) -> StudyResult:
    """Run study ``name`` (see the module docs) on ``threads`` torch threads.

    Each study draws from its own seeded generators, so a result depends only on ``seed``,
    ``quick`` and the options (and, for ``cost``, on the machine). One thread by default: the
    studies' tensors are small (more threads mostly add contention, badly so on a busy machine)
    and float reductions then run in one fixed order. torch's RNG state and thread count are
    restored afterwards.
    """
    import torch

    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads must be an integer, got {type(threads).__name__} {threads!r}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    module = get(name)
    unknown = sorted(set(opts) - set(options(name)))
    if unknown:  # else the study's own run() says "unexpected keyword argument", naming no study
        raise TypeError(
            f"study {name!r} has no option {unknown[0]!r}; its options: "
            f"{', '.join(options(name)) or 'none'}"
        )
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return module.run(quick=quick, seed=seed, progress=progress, **opts)
    finally:
        torch.set_num_threads(before)
