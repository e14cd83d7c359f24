"""sparsity: rectifier networks have true zeros, as many as you ask for (Glorot et al. 2011).

Glorot, Bordes and Bengio (2011) find that at random initialisation about half of a rectifier
network's hidden outputs are exactly zero, that an L1 penalty on the activations raises that
(83% on MNIST) at little cost in accuracy, and that rectifier networks reach equal or better test
error than tanh and softplus networks (MNIST: 1.43% rectifier, 1.57% tanh, 1.77% softplus),
which have no exact zeros at all. Here: MLPs with three hidden layers (64-256-256-256-10) learn
the bundled digits with ReLU, tanh and softplus, each with and without an L1 penalty on the
hidden activations (``LAMBDA`` times the per-example sum of |h|), minibatch SGD, several seeds.
Measured on the test images: the fraction of exactly-zero hidden outputs at initialisation and
after training, and the test error.
"""

from __future__ import annotations

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
    name="sparsity",
    title="Sparsity: exact zeros in rectifier networks, with and without an L1 penalty",
    citation=(
        "Glorot, Bordes, Bengio (2011), Deep Sparse Rectifier Neural Networks, AISTATS, Sec. 4, "
        "Table 1"
    ),
    claim=(
        "About half of a rectifier network's hidden outputs are exactly zero at initialisation; an "
        "L1 activation penalty makes it sparser (83% on MNIST); tanh and softplus have no true "
        "zeros; rectifier networks reach equal or better test error (MNIST: 1.43% vs tanh 1.57%, "
        "softplus 1.77%)."
    ),
    explanation=(
        "Sparsity is one of the advantages the article lists: max(0, x) outputs an exact zero for "
        "every negative input, so a rectifier layer is a sparse code (some units simply off), "
        "which tanh and softplus only approximate. Exact zeros are free to skip in inference, and "
        "they cost no accuracy; the same exact zeros are also how a unit dies (see dying-lr)."
    ),
    article=("advantages",),
)

ACTIVATIONS = ("relu", "tanh", "softplus")
SCHEMES = {"tanh": "xavier"}  # default: he
SIZES = (64, 256, 256, 256, 10)
LAMBDA = 1e-3
LR = 0.05
BATCH = 32
QUICK = {"seeds": 2, "epochs": 12}
FULL = {"seeds": 5, "epochs": 40}
TOL_ERR = 0.01


def _zero_fraction(params: list[Any], x: Any, act: Any) -> Any:
    """Per model: the fraction of hidden outputs (all layers, all examples) exactly 0."""
    import torch

    hidden: list[Any] = []
    with torch.no_grad():
        forward(params, x, act, hidden)
    zeros = sum((h == 0).flatten(1).sum(1) for h in hidden)
    total = sum(h[0].numel() for h in hidden)
    return zeros.to(torch.float64) / total


def run(quick: bool = False, seed: int = 0, progress: Progress | None = None) -> StudyResult:
    """Exact-zero fractions and test errors per activation and penalty; see module docs."""
    import torch

    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    seeds, epochs = cfg["seeds"], cfg["epochs"]
    x_train, y_train, x_test, y_test = digits_flat(seed)
    tick = Ticker(progress, STUDY.name, len(ACTIVATIONS) * epochs)
    penalties = (0.0, LAMBDA)
    results: dict[str, dict[str, Any]] = {}
    for a in ACTIVATIONS:
        act = torch_activation(a)
        per_seed = [
            init_mlp(1, SIZES, SCHEMES.get(a, "he"), torch.Generator().manual_seed(seed * 31 + s))
            for s in range(seeds)
        ]
        # model index = penalty_index * seeds + seed_index
        params = [
            torch.cat([per_seed[s][k] for _ in penalties for s in range(seeds)])
            .detach()
            .requires_grad_()
            for k in range(len(per_seed[0]))
        ]
        lam = torch.tensor([p for p in penalties for _ in range(seeds)])
        zeros_init = _zero_fraction(params, x_test, act)
        gen = torch.Generator().manual_seed(seed * 31 + 17)
        models = len(penalties) * seeds
        for _ in range(epochs):
            for idx in batch_indices(seeds, len(x_train), BATCH, gen):
                idx = idx.repeat(len(penalties), 1)  # same batches for both penalties
                hidden: list[Any] = []
                logits = forward(params, x_train[idx], act, hidden)
                l1 = sum(h.abs().sum(-1).mean(-1) for h in hidden)
                loss = (per_model_cross_entropy(logits, y_train[idx]) + lam * l1).sum()
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    for p, g in zip(params, grads, strict=True):
                        p -= LR * g
            tick.advance()
        zeros_after = _zero_fraction(params, x_test, act)
        with torch.no_grad():
            err = (forward(params, x_test, act).argmax(-1) != y_test).to(torch.float64).mean(1)
        for i, pen in enumerate(penalties):
            sl = slice(i * seeds, (i + 1) * seeds)
            results[f"{a}{'+L1' if pen else ''}"] = {
                "activation": a,
                "l1": pen,
                "zeros_init": zeros_init[sl].tolist(),
                "zeros_trained": zeros_after[sl].tolist(),
                "test_error": err[sl].tolist(),
            }
        del models
    mean = {
        k: {m: statistics.fmean(v[m]) for m in ("zeros_init", "zeros_trained", "test_error")}
        for k, v in results.items()
    }
    relu, relu_l1 = mean["relu"], mean["relu+L1"]
    checks = {
        "relu_half_zero_at_init": 0.4 <= relu["zeros_init"] <= 0.6,
        "l1_makes_relu_sparser": relu_l1["zeros_trained"] >= relu["zeros_trained"] + 0.05,
        "no_true_zeros_tanh_softplus": all(
            mean[k][m] < 0.01
            for k in ("tanh", "tanh+L1", "softplus", "softplus+L1")
            for m in ("zeros_init", "zeros_trained")
        ),
        "relu_error_not_worse": all(
            relu["test_error"] <= mean[k]["test_error"] + TOL_ERR for k in ("tanh", "softplus")
        ),
        "l1_costs_little": relu_l1["test_error"] <= relu["test_error"] + TOL_ERR,
    }
    reproduced = all(checks.values())
    numbers = {
        "runs": results,
        "mean": mean,
        "lambda": LAMBDA,
        "seeds": seeds,
        "epochs": epochs,
        "checks": checks,
    }
    comparison = [
        ("ReLU exact zeros at init", f"{relu['zeros_init']:.1%}", "~50%"),
        ("ReLU exact zeros after training", f"{relu['zeros_trained']:.1%}", "(not reported)"),
        (
            "ReLU + L1 exact zeros after training",
            f"{relu_l1['zeros_trained']:.1%}",
            "83.4% (MNIST)",
        ),
        (
            "tanh / softplus exact zeros after training",
            f"{mean['tanh']['zeros_trained']:.1%} / {mean['softplus']['zeros_trained']:.1%}",
            "0% (no true zeros)",
        ),
        (
            "test error ReLU / tanh / softplus",
            " / ".join(f"{mean[k]['test_error']:.2%}" for k in ACTIVATIONS),
            "1.43% / 1.57% / 1.77% (MNIST)",
        ),
        (
            "test error with L1: ReLU / tanh / softplus",
            " / ".join(f"{mean[k + '+L1']['test_error']:.2%}" for k in ACTIVATIONS),
            "(sparsity costs little)",
        ),
    ]
    return STUDY.result(
        criterion=(
            f"Means over {seeds} seeds, on the test images. (1) ReLU exact-zero fraction at "
            f"initialisation in [0.4, 0.6]; (2) after training, ReLU with the L1 penalty "
            f"(lambda={LAMBDA:g}) has at least 5 points more exact zeros than without; (3) tanh "
            f"and softplus (with or without L1) have < 1% exact zeros; (4) ReLU's test error <= "
            f"tanh's and softplus's + {TOL_ERR:.0%} (absolute); (5) the L1 penalty raises ReLU's "
            f"test error by at most {TOL_ERR:.0%}."
        ),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={"quick": quick, "seed": seed, "seeds": seeds, "epochs": epochs},
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
        notes=["Digits (8x8) stand in for MNIST; the paper's error rates are for MNIST."],
    )


def figure(numbers: dict[str, Any]) -> Any:
    """Exact-zero fraction (init, trained) and test error per run."""
    fig = new_figure(8.5, 3.2)
    ax_z, ax_e = fig.subplots(1, 2)
    keys = list(numbers["mean"])
    xs = range(len(keys))
    m = numbers["mean"]
    ax_z.bar(
        [x - 0.2 for x in xs],
        [100 * m[k]["zeros_init"] for k in keys],
        0.4,
        color="#bbb",
        label="at init",
    )
    ax_z.bar(
        [x + 0.2 for x in xs],
        [100 * m[k]["zeros_trained"] for k in keys],
        0.4,
        color="#2e86c1",
        label="trained",
    )
    ax_z.set_ylabel("% hidden outputs exactly 0")
    ax_z.set_ylim(0, 100)
    ax_z.legend(fontsize=8)
    ax_e.bar(xs, [100 * m[k]["test_error"] for k in keys], color="#c0392b")
    ax_e.set_ylabel("test error %")
    for ax in (ax_z, ax_e):
        ax.set_xticks(list(xs), keys, fontsize=8, rotation=20)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(
        f"digits MLP 3x256, {numbers['seeds']} seeds, L1 lambda={numbers['lambda']:g}", fontsize=10
    )
    return fig
