"""cost: what an activation costs, forward and backward, with rectifier's kernels.

The seed article calls ReLU "simple and computationally efficient". This is a measurement, not a
paper's claim: for every activation in rectifier's registry (:data:`rectifier.ops`), the time of
one forward pass (``rectifier.<name>(x, out=...)``) plus one backward pass
(``rectifier.<name>_backward(g, x, out=...)``) on 10^6 float32 elements, default parameters,
one thread, through the same timing code as ``rectifier bench`` (:mod:`rectifier.bench`:
warm-up, batches of calls long enough to time, interleaved repetitions), keeping the fastest
repetition (the least disturbed by other load on the machine).
Each activation's time is reported per element and relative to ReLU.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from rectifier.studies._common import Progress, Study, StudyResult, Ticker, new_figure

STUDY = Study(
    name="cost",
    title="Cost: forward + backward time per element of each activation",
    citation="The seed article ('ReLU is simple and computationally efficient')",
    claim=(
        "ReLU is computationally efficient: the cheapest activation to compute, forward and "
        "backward."
    ),
    explanation=(
        "max(0, x) is one comparison per element and its derivative a mask, so forward and "
        "backward are limited by memory traffic, not arithmetic; the smooth activations (GELU, "
        "SiLU, ELU, softplus, tanh, sigmoid) need an exponential or error function per element. "
        "That is the 'computationally efficient' of the article's introduction and Advantages."
    ),
    article=("advantages", "definition"),
)

N = 1_000_000
DTYPE = "float32"
QUICK = {"repeats": 7}
FULL = {"repeats": 21}
TIE = 0.05  # memory-bound kernels moving the same bytes tie within this


def run(quick: bool = False, seed: int = 0, progress: Progress | None = None) -> StudyResult:
    """Time forward + backward of every registered activation; see module docs."""
    import rectifier
    from rectifier import bench

    start = time.perf_counter()
    repeats = (QUICK if quick else FULL)["repeats"]
    names = list(rectifier.ops)
    tick = Ticker(progress, STUDY.name, len(names))
    calls = {}
    for name in names:
        rec = rectifier.ops[name]
        fwd, _ = bench.make_calls(rec, "forward", DTYPE, N, ["rectifier"], seed=seed)["rectifier"]
        bwd, _ = bench.make_calls(rec, "backward", DTYPE, N, ["rectifier"], seed=seed)["rectifier"]
        calls[name] = lambda f=fwd, b=bwd: (f(), b())
    threads = rectifier.get_num_threads()
    rectifier.set_num_threads(1)
    seconds: dict[str, float] = {}
    rel: dict[str, float] = {"relu": 1.0}
    relu_runs = []
    try:
        # Each activation is timed interleaved with ReLU itself and compared with that ReLU
        # run, so a change in the machine's load between activations cancels out.
        for name in names:
            if name == "relu":
                tick.advance()
                continue
            res = bench.time_round_robin({"relu": calls["relu"], name: calls[name]}, repeats)
            # The fastest repetition (timeit's rule): the least disturbed by other load.
            mine, base = min(res[name][0]), min(res["relu"][0])
            seconds[name], rel[name] = mine, mine / base
            relu_runs.append(base)
            tick.advance()
    finally:
        rectifier.set_num_threads(threads)
    seconds["relu"] = statistics.median(relu_runs)
    ns = {k: 1e9 * v / N for k, v in seconds.items()}
    order = sorted(names, key=lambda k: rel[k])
    cheapest = order[0]
    reproduced = min(rel.values()) >= 1 / (1 + TIE)
    numbers = {
        "n": N,
        "dtype": DTYPE,
        "threads": 1,
        "repeats": repeats,
        "ns_per_element": ns,
        "relative_to_relu": rel,
        "order": order,
        "cheapest": cheapest,
    }
    comparison = [
        ("ReLU forward + backward, ns per element", f"{ns['relu']:.3f}", "cheapest (the article)"),
        ("cheapest measured", f"{cheapest} ({rel[cheapest]:.2f}x ReLU)", "relu"),
    ]
    for k in ("leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh", "selu"):
        if k in rel:
            comparison.append((f"{k} / ReLU time", f"{rel[k]:.2f}x", "> 1"))
    return STUDY.result(
        criterion=(
            "A measurement, not a paper's result: reproduced if ReLU's forward + backward time "
            f"(float32, {N:,} elements, one thread) is the smallest of all {len(names)} "
            f"registered activations, or within {TIE:.0%} of the smallest. Each activation is "
            f"timed interleaved with ReLU ({repeats} repetitions each, the fastest) and compared "
            "with that ReLU run (piecewise-linear kernels that move the same bytes tie "
            "within timing noise)."
        ),
        reproduced=reproduced,
        numbers=numbers,
        comparison=comparison,
        settings={"quick": quick, "seed": seed, "repeats": repeats},
        figure=lambda: figure(numbers),
        seconds=time.perf_counter() - start,
        notes=["Timings depend on the machine and its load; they are not deterministic."],
    )


def figure(numbers: dict[str, Any]) -> Any:
    """Horizontal bars: time per element relative to ReLU, cheapest first."""
    order = numbers["order"]
    fig = new_figure(7.0, 1.0 + 0.25 * len(order))
    ax = fig.add_subplot()
    rel = numbers["relative_to_relu"]
    ax.barh(
        range(len(order)),
        [rel[k] for k in order],
        color=["#c0392b" if k == "relu" else "#2e86c1" for k in order],
    )
    ax.set_yticks(range(len(order)), order, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(1.0, color="#777", ls=":", lw=0.8)
    ax.set_xlabel("forward + backward time relative to ReLU")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(
        f"{numbers['n']:,} {numbers['dtype']} elements, 1 thread "
        f"(ReLU: {numbers['ns_per_element']['relu']:.2f} ns/element)",
        fontsize=10,
    )
    return fig
