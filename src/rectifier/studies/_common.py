"""What every study shares: the result record, progress reporting, the digits and batched MLPs.

Most studies train many small MLPs (seeds x learning rates x activations). Training them one
``nn.Module`` at a time on two CPU cores is dominated by per-call overhead, so they are held as
*batched* MLPs: ``M`` independent networks whose layer ``l`` is one tensor ``(M, fan_in,
fan_out)``, run with ``torch.baddbmm``. The loss is the sum over networks of each network's
mean loss, so each network's gradient is exactly its own (networks never share an entry), and
plain SGD with a per-network learning rate is ``w -= lr[:, None, None] * w.grad``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure

__all__ = [
    "ARTICLE",
    "Progress",
    "Study",
    "StudyResult",
    "Ticker",
    "binomial_se",
    "digits_flat",
    "forward",
    "init_mlp",
    "new_figure",
    "torch_activation",
]

# ``progress(description, done, total)``: called as a study advances; None means silent.
Progress = Callable[[str, int, int], None]

# The seed article's sections, as the report links them.
ARTICLE = {
    "definition": "Explanation of ReLU (f(x) = max(0, x), applied element-wise)",
    "applications": "Applications of ReLU (deep networks for images)",
    "advantages": "Advantages (computationally efficient, sparse, no vanishing gradient)",
    "disadvantages": "Disadvantages (dying ReLU, the kink at 0)",
    "faq-derivative": "FAQ 1: What is the derivative of the ReLU function?",
    "faq-dying": "FAQ 2: What is the 'dying ReLU' problem?",
}


@dataclass(frozen=True)
class Study:
    """What a study is, before it runs: its name, the paper's claim and why it matters.

    Each study module defines one as ``STUDY`` and returns ``STUDY.result(...)`` from ``run``.
    ``article`` lists the seed article's sections (keys of :data:`ARTICLE`) the study speaks to.

    >>> s = Study("demo", "A demo", "Someone (2024)", "It works.", "Because.", ("advantages",))
    >>> r = s.result(criterion="always", reproduced=True, numbers={}, comparison=[],
    ...              settings={}, figure=lambda: None)
    >>> r.name, r.title, r.article
    ('demo', 'A demo', ('advantages',))
    """

    name: str
    title: str
    citation: str
    claim: str
    explanation: str
    article: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = [k for k in self.article if k not in ARTICLE]
        if unknown:
            raise ValueError(f"{self.name}: article sections {unknown} are not in ARTICLE")

    def result(self, **outcome: Any) -> StudyResult:
        """The :class:`StudyResult` of one run: this study plus the run's ``outcome`` fields."""
        return StudyResult(study=self, **outcome)


@dataclass
class StudyResult:
    """One study's outcome: its numbers, the paper's claim, the verdict and a figure.

    ``numbers`` is JSON-serialisable and deterministic for a given seed (timings excepted, in the
    ``cost`` study). ``comparison`` holds ``(quantity, ours, paper)`` rows for the report;
    ``figure()`` builds a matplotlib figure from ``numbers`` on demand. The study's own fields
    (``name``, ``title``, ``claim``, ...) are read through from ``study``.
    """

    study: Study
    criterion: str
    reproduced: bool
    numbers: dict[str, Any]
    comparison: list[tuple[str, str, str]]
    settings: dict[str, Any]
    figure: Callable[[], Figure]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.study.name

    @property
    def title(self) -> str:
        return self.study.title

    @property
    def citation(self) -> str:
        return self.study.citation

    @property
    def claim(self) -> str:
        return self.study.claim

    @property
    def explanation(self) -> str:
        return self.study.explanation

    @property
    def article(self) -> tuple[str, ...]:
        return self.study.article

    def to_dict(self, *, timing: bool = False) -> dict[str, Any]:
        """JSON form: everything but the figure (and the run time unless ``timing``)."""
        out = {
            "study": self.name,
            "title": self.title,
            "claim": self.claim,
            "citation": self.citation,
            "criterion": self.criterion,
            "reproduced": self.reproduced,
            "settings": dict(self.settings),
            "numbers": self.numbers,
            "comparison": [list(row) for row in self.comparison],
            "notes": list(self.notes),
        }
        if timing:
            out["seconds"] = self.seconds
        return out


class Ticker:
    """Counts a study's work units and forwards them to a :data:`Progress` callback."""

    def __init__(self, progress: Progress | None, description: str, total: int) -> None:
        self.progress, self.description, self.total, self.done = progress, description, total, 0
        self.start = time.perf_counter()
        self._emit()

    def _emit(self) -> None:
        if self.progress is not None:
            self.progress(self.description, self.done, self.total)

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        self._emit()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


def new_figure(width: float, height: float) -> Figure:
    """A blank matplotlib figure (no pyplot), like :mod:`rectifier.report.figures` makes them.

    An adapter: ``rectifier.report.figures`` keeps its own figure factory private.
    """
    from rectifier.report.figures import require_matplotlib

    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def binomial_se(k: float, n: int) -> float:
    """Standard error of a proportion ``k / n``, with ``p`` shrunk to ``(k + 0.5) / (n + 1)`` so
    that 0 and ``n`` successes still get a non-zero error.

    >>> round(binomial_se(50, 100), 4), binomial_se(0, 100) > 0
    (0.05, True)
    """
    p = (k + 0.5) / (n + 1)
    return math.sqrt(p * (1 - p) / n)


def digits_flat(
    seed: int = 0, test_fraction: float = 0.2, dtype: Any = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The bundled digits as flat 64-feature rows in [0, 1]: ``x_train, y_train, x_test, y_test``.

    The split is the doctor demo's (:func:`rectifier.torch.demo.digits_tensors`), by ``seed``.
    """
    import torch

    from rectifier.torch.demo import digits_tensors

    x_train, y_train, x_test, y_test, _ = digits_tensors(seed, test_fraction)
    dtype = dtype or torch.float32
    return x_train.flatten(1).to(dtype), y_train, x_test.flatten(1).to(dtype), y_test


# -- batched MLPs -----------------------------------------------------------------------------

# Variance scale of each initialisation: weights ~ N(0, gain / fan_in) (Glorot: 2 / (in + out)).
_GAINS = {"he": 2.0, "lecun": 1.0}


def init_mlp(
    models: int,
    sizes: Sequence[int],
    scheme: str | Sequence[str],
    generator: torch.Generator,
    *,
    dtype: Any = None,
) -> list[torch.Tensor]:
    """Weights and biases of ``models`` MLPs with layer widths ``sizes`` (input first).

    Returns ``[W1, b1, W2, b2, ...]`` with ``W`` of shape ``(models, fan_in, fan_out)`` and ``b``
    ``(models, 1, fan_out)``, biases zero, ``requires_grad`` set. ``scheme`` is ``"he"``
    (N(0, 2/fan_in)), ``"lecun"`` (N(0, 1/fan_in)), ``"xavier"`` (N(0, 2/(fan_in+fan_out))), or
    one scheme per model. Drawn in float64 and cast, so every dtype starts from the same numbers.
    """
    import torch

    dtype = dtype or torch.float32
    schemes = [scheme] * models if isinstance(scheme, str) else list(scheme)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        w = torch.randn(models, fan_in, fan_out, generator=generator, dtype=torch.float64)
        std = torch.tensor(
            [
                math.sqrt(2.0 / (fan_in + fan_out))
                if s == "xavier"
                else math.sqrt(_GAINS[s] / fan_in)
                for s in schemes
            ],
            dtype=torch.float64,
        )
        w = (w * std[:, None, None]).to(dtype).requires_grad_()
        b = torch.zeros(models, 1, fan_out, dtype=dtype, requires_grad=True)
        params += [w, b]
    return params


def torch_activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The torch function for an activation name used by the studies."""
    import torch
    import torch.nn.functional as F

    table = {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
        "leaky_relu_0.1": lambda x: F.leaky_relu(x, 0.1),
        "elu": F.elu,
        "gelu": F.gelu,
        "softplus": F.softplus,
        "selu": F.selu,
    }
    return table[name]


def forward(
    params: Sequence[torch.Tensor],
    x: torch.Tensor,
    act: Callable[[torch.Tensor], torch.Tensor],
    hidden: list[torch.Tensor] | None = None,
) -> torch.Tensor:
    """Logits of the batched MLP ``params`` on ``x`` (``(M, B, in)``, or ``(B, in)`` shared).

    Hidden activations are appended to ``hidden`` when it is given.
    """
    import torch

    layers = len(params) // 2
    h = x if x.dim() == 3 else x.expand(params[0].shape[0], *x.shape)
    for i in range(layers):
        w, b = params[2 * i], params[2 * i + 1]
        h = torch.baddbmm(b, h, w)
        if i < layers - 1:
            h = act(h)
            if hidden is not None:
                hidden.append(h)
    return h


def batch_indices(
    models: int, n: int, batch: int, generator: torch.Generator
) -> list[torch.Tensor]:
    """One epoch of minibatch indices per model: a list of ``(models, batch)`` tensors (each
    model its own shuffle; the last partial batch is dropped)."""
    import torch

    order = torch.rand(models, n, generator=generator).argsort(dim=1)
    return [order[:, i : i + batch] for i in range(0, n - batch + 1, batch)]


def per_model_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per model: ``logits (M, B, C)``, ``y (M, B)`` -> ``(M,)``."""
    import torch.nn.functional as F

    m, b, c = logits.shape
    return (
        F.cross_entropy(logits.reshape(m * b, c), y.reshape(m * b), reduction="none")
        .view(m, b)
        .mean(1)
    )


def error_rate(
    params: Sequence[torch.Tensor], x: torch.Tensor, y: torch.Tensor, act: Callable
) -> torch.Tensor:
    """Classification error per model on shared data ``x (B, in)``, ``y (B,)`` -> ``(M,)``."""
    import torch

    with torch.no_grad():
        return (forward(params, x, act).argmax(-1) != y).to(torch.float64).mean(1)
