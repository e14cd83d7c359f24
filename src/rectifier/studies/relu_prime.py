"""relu-prime: the value chosen for ReLU'(0) changes training, in low precision (Bertoin 2021).

Mathematically ReLU'(0) can be anything in [0, 1]; PyTorch, JAX and TensorFlow use 0. Bertoin,
Bolte, Gerchinovitz and Pauwels (NeurIPS 2021) show that pre-activations are exactly 0 far more
often than "probability zero" suggests, because of floating point: backpropagation with
ReLU'(0) = 0 and with ReLU'(0) = 1 then gives different gradients, often in float16, sometimes in
float32, never in float64 (in their experiments), and more often in wider networks.

Here: ``INITS`` (>= 200) random initialisations (He-normal, zero biases) of MLPs on the bundled
digits, for each width, depth and dtype, trained for one epoch of minibatch SGD with
ReLU'(0) = 0. ReLU is a custom autograd Function whose backward uses a chosen ReLU'(0); at every
step the gradient with ReLU'(0) = 1 on the same weights and batch is computed too (only when
some pre-activation is exactly 0: otherwise both backward passes are the same operations on the
same numbers). An initialisation is *affected* if the two gradients differ (bitwise) at any step
of the epoch. float16 runs the whole network in half precision on the CPU (PyTorch supports
half-precision matmul there); the loss is taken in float32 from float16 logits, as in
mixed-precision training.
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
    batch_indices,
    binomial_se,
    digits_flat,
    init_mlp,
    new_figure,
    per_model_cross_entropy,
)

STUDY = Study(
    name="relu-prime",
    title="ReLU'(0): does the derivative chosen at the kink change the gradient?",
    citation=(
        "Bertoin, Bolte, Gerchinovitz, Pauwels (2021), Numerical influence of ReLU'(0) on "
        "backpropagation, NeurIPS"
    ),
    claim=(
        "Backpropagation with ReLU'(0) = 0 and ReLU'(0) = 1 gives different gradients surprisingly "
        "often in low precision: the fraction of affected runs is largest in float16, smaller in "
        "float32, zero in float64, and grows with the network's width."
    ),
    explanation=(
        "The article's FAQ 1 gives ReLU's derivative as 0 for x < 0 and 1 for x > 0; at x = 0 (the "
        "kink listed among the disadvantages) it is undefined and libraries pick 0. In exact "
        "arithmetic x = 0 almost never happens, but in floating point it does: a sum of products "
        "can round to exactly 0, more easily with fewer mantissa bits and with more units. Then "
        "the choice changes the gradient. rectifier.relu_grad(x, at_zero=...) makes the choice "
        "explicit."
    ),
    article=("faq-derivative", "disadvantages"),
)

DTYPES = ("float16", "float32", "float64")
INITS = 200
BATCH = 64
LR = 0.05
QUICK = {"widths": (16, 64, 256), "depths": (1, 2, 3), "depth_width": 64, "width_depth": 1}
FULL = {"widths": (16, 64, 256, 1024), "depths": (1, 2, 4, 8), "depth_width": 64, "width_depth": 1}
Z = 3.0  # "grows" allows a fall of up to Z binomial standard errors


class _Holder:
    """The ReLU'(0) that backward passes use; read at backward time."""

    at_zero = 0.0


def _relu_function() -> Any:
    import torch

    class ReLUAtZero(torch.autograd.Function):
        """max(x, 0) whose backward uses ReLU'(0) = holder.at_zero."""

        @staticmethod
        def forward(ctx: Any, x: Any, holder: _Holder) -> Any:
            ctx.save_for_backward(x)
            ctx.holder = holder
            return x.clamp_min(0)

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            (x,) = ctx.saved_tensors
            slope = (x > 0).to(grad.dtype)
            if ctx.holder.at_zero:
                slope = slope + ctx.holder.at_zero * (x == 0).to(grad.dtype)
            return grad * slope, None

    return ReLUAtZero


def affected_fraction(
    width: int, depth: int, dtype_name: str, seed: int, inits: int, data: tuple[Any, ...]
) -> dict[str, Any]:
    """One epoch for ``inits`` batched MLPs; the fraction whose gradient depends on ReLU'(0)."""
    import torch

    relu = _relu_function()
    holder = _Holder()
    dtype = getattr(torch, dtype_name)
    x_train, y_train = data[0].to(dtype), data[1]
    sizes = (64, *([width] * depth), 10)
    # The same float64 draw for every dtype, rounded to it.
    params = init_mlp(inits, sizes, "he", torch.Generator().manual_seed(seed), dtype=dtype)
    gen = torch.Generator().manual_seed(seed + 1)
    affected = torch.zeros(inits, dtype=torch.bool)
    zero_steps = 0
    steps = 0
    for idx in batch_indices(inits, len(x_train), BATCH, gen):
        h = x_train[idx]
        zeros = torch.zeros(inits, dtype=torch.bool)
        for i in range(depth + 1):
            h = torch.baddbmm(params[2 * i + 1], h, params[2 * i])
            if i < depth:
                zeros |= (h == 0).flatten(1).any(1)
                h = relu.apply(h, holder)
        loss = per_model_cross_entropy(h.float(), y_train[idx]).sum()
        holder.at_zero = 0.0
        grads = torch.autograd.grad(loss, params, retain_graph=bool(zeros.any()))
        if zeros.any():
            zero_steps += 1
            holder.at_zero = 1.0
            other = torch.autograd.grad(loss, params)
            holder.at_zero = 0.0
            for g0, g1 in zip(grads, other, strict=True):
                affected |= (g0 != g1).flatten(1).any(1)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p -= LR * g
        steps += 1
    return {
        "fraction": float(affected.double().mean()),
        "affected": int(affected.sum()),
        "steps_with_zeros": zero_steps,
        "steps": steps,
    }


def run(quick: bool = False, seed: int = 0, progress: Progress | None = None) -> StudyResult:
    """Fraction of initialisations affected by ReLU'(0), by dtype, width and depth."""
    start = time.perf_counter()
    cfg = QUICK if quick else FULL
    data = digits_flat(seed)
    cases = [("width", w, cfg["width_depth"]) for w in cfg["widths"]]
    cases += [("depth", cfg["depth_width"], d) for d in cfg["depths"]]
    tick = Ticker(progress, STUDY.name, len(cases) * len(DTYPES))
    by: dict[str, dict[str, list[dict[str, Any]]]] = {"width": {}, "depth": {}}
    cache: dict[tuple[int, int, str], dict[str, Any]] = {}
    for kind, width, depth in cases:
        for dt in DTYPES:
            key = (width, depth, dt)
            if key not in cache:  # the width and depth sweeps share one configuration
                cache[key] = affected_fraction(
                    width, depth, dt, seed * 9973 + width * 31 + depth, INITS, data
                )
            by[kind].setdefault(dt, []).append({"width": width, "depth": depth, **cache[key]})
            tick.advance()
    frac = {dt: [r["fraction"] for r in by["width"][dt]] for dt in DTYPES}
    counts = {dt: [r["affected"] for r in by["width"][dt]] for dt in DTYPES}

    def tol(a: int, b: int) -> float:
        return Z * math.hypot(binomial_se(a, INITS), binomial_se(b, INITS))

    def grows(dt: str) -> bool:
        c = counts[dt]
        steady = all(
            frac[dt][i + 1] >= frac[dt][i] - tol(c[i], c[i + 1]) for i in range(len(c) - 1)
        )
        return steady and frac[dt][-1] > frac[dt][0] + tol(c[0], c[-1])

    checks = {
        "f16_ge_f32_ge_f64_eq_0": all(
            a >= b >= c == 0
            for a, b, c in zip(frac["float16"], frac["float32"], frac["float64"], strict=True)
        ),
        "f32_nonzero_at_widest": frac["float32"][-1] > 0,
        "f16_grows_with_width": grows("float16"),
        "f32_grows_with_width": grows("float32"),
    }
    reproduced = all(checks.values())
    numbers = {
        "inits": INITS,
        "batch": BATCH,
        "widths": list(cfg["widths"]),
        "depths": list(cfg["depths"]),
        "width_sweep_depth": cfg["width_depth"],
        "depth_sweep_width": cfg["depth_width"],
        "by_width": by["width"],
        "by_depth": by["depth"],
        "fraction_by_width": frac,
        "fraction_by_depth": {dt: [r["fraction"] for r in by["depth"][dt]] for dt in DTYPES},
        "checks": checks,
    }
    widest = len(cfg["widths"]) - 1
    comparison = [
        (
            f"affected inits, width {w} (depth {cfg['width_depth']}): f16 / f32 / f64",
            " / ".join(f"{frac[dt][i]:.1%}" for dt in DTYPES),
            "large / small / 0" if i == widest else "",
        )
        for i, w in enumerate(cfg["widths"])
    ]
    return STUDY.result(
        criterion=(
            f"{INITS} initialisations per configuration, one epoch (batch {BATCH}), width sweep "
            f"at depth {cfg['width_depth']}. (1) For every width the fraction affected is "
            "float16 >= float32 >= float64 = 0, and float32 > 0 at the widest; (2) grows with "
            "width, for float16 and float32: it never falls by more than "
            f"{Z:g} binomial standard errors from one width to the next, and at the widest it "
            "exceeds the narrowest by more than that. The depth sweep is reported, not judged."
        ),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={"quick": quick, "seed": seed, "inits": INITS},
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
    )


def figure(numbers: dict[str, Any]) -> Any:
    """Affected fraction by width and by depth, one line per dtype."""
    fig = new_figure(8.5, 3.2)
    ax_w, ax_d = fig.subplots(1, 2)
    colors = {"float16": "#c0392b", "float32": "#e6a23c", "float64": "#2e86c1"}
    for dt in DTYPES:
        ax_w.plot(
            numbers["widths"],
            [100 * v for v in numbers["fraction_by_width"][dt]],
            "-o",
            ms=4,
            color=colors[dt],
            label=dt,
        )
        ax_d.plot(
            numbers["depths"],
            [100 * v for v in numbers["fraction_by_depth"][dt]],
            "-o",
            ms=4,
            color=colors[dt],
            label=dt,
        )
    ax_w.set_xscale("log")
    ax_w.minorticks_off()
    ax_w.set_xticks(numbers["widths"], [str(w) for w in numbers["widths"]])
    ax_w.set_xlabel(f"width (depth {numbers['width_sweep_depth']})")
    ax_d.set_xlabel(f"hidden layers (width {numbers['depth_sweep_width']})")
    for ax in (ax_w, ax_d):
        ax.set_ylabel("% initialisations affected")
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(
        f"ReLU'(0)=0 vs 1 give different gradients within one epoch ({numbers['inits']} inits)",
        fontsize=10,
    )
    return fig
