"""What the monitor costs during training: one step of the demo CNN, monitored and not.

:func:`doctor_overhead_records` is what ``rectifier bench --doctor`` reports. Both variants run the
same training step (forward, cross-entropy, backward, Adam step) at the same batch, interleaved
repetition by repetition so that a busy machine slows both alike; the median is the figure.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch
import torch.nn.functional as F

from rectifier.torch.demo import make_cnn
from rectifier.torch.monitor import Monitor

__all__ = ["doctor_overhead_records"]


def doctor_overhead_records(
    repeats: int = 7, batch: int = 128, *, warmup: int = 2, seed: int = 0
) -> list[dict[str, Any]]:
    """Time a training step of the demo CNN on CPU, unmonitored vs monitored.

    Returns two records in the bench schema: ``{"function": "doctor", "op": "train_step",
    "impl": "unmonitored" | "monitored", "dtype": "float32", "n": batch, "threads",
    "median_s", "min_s", "max_s", "gbps": None}``; the monitored one also has ``"ratio"``
    (its median over the unmonitored median).

    >>> recs = doctor_overhead_records(repeats=1, batch=8, warmup=0)
    >>> [r["impl"] for r in recs], recs[1]["ratio"] > 0
    (['unmonitored', 'monitored'], True)
    """
    if repeats < 1 or batch < 1:
        raise ValueError(f"repeats and batch must be >= 1, got {repeats} and {batch}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make_cnn()
        x = torch.rand(batch, 1, 8, 8)
        y = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    monitor = Monitor(model)

    def step() -> float:
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return time.perf_counter() - t0

    times: dict[str, list[float]] = {"unmonitored": [], "monitored": []}
    for i in range(warmup + repeats):
        for impl in ("unmonitored", "monitored"):
            if impl == "monitored":
                with monitor:
                    t = step()
            else:
                t = step()
            if i >= warmup:
                times[impl].append(t)
    records = []
    for impl, ts in times.items():
        records.append(
            {
                "function": "doctor",
                "op": "train_step",
                "impl": impl,
                "dtype": "float32",
                "n": batch,
                "threads": torch.get_num_threads(),
                "median_s": statistics.median(ts),
                "min_s": min(ts),
                "max_s": max(ts),
                "gbps": None,
            }
        )
    records[1]["ratio"] = records[1]["median_s"] / records[0]["median_s"]
    return records
