"""How long should an idle pool worker spin before it sleeps? Times three patterns per spin
length (rounds interleaved, medians of per-iteration times, in us):

* back-to-back: silu float32 1e5 into an existing output, again and again (a benchmark loop);
* numpy gap: each call followed by single-threaded NumPy work of ~the same length, on the caller;
* torch alongside: each call followed by a torch op on 2 threads (OpenMP, its threads spin too).

    python tools/pool_spin.py [--spins 0,5,20,50,200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import rectifier
from rectifier import _core


def _per_iter(f, iters: int) -> float:
    t0 = time.perf_counter()
    for _ in range(iters):
        f()
    return (time.perf_counter() - t0) / iters * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spins", default="0,5,20,50,200")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    spins = [int(s) for s in args.spins.split(",")]
    rectifier.set_num_threads(2)
    x = np.random.default_rng(0).normal(size=args.n).astype(np.float32)
    out = np.empty_like(x)
    other = np.random.default_rng(1).normal(size=args.n).astype(np.float32)
    spare = np.empty_like(other)
    patterns = {
        "back-to-back": lambda: rectifier.silu(x, out=out),
        "numpy gap": lambda: (rectifier.silu(x, out=out), np.exp(other, out=spare)),
    }
    try:
        import torch

        torch.set_num_threads(2)
        t = torch.from_numpy(np.random.default_rng(2).normal(size=args.n * 4).astype(np.float32))
        tout = torch.empty_like(t)
        patterns["torch alongside"] = lambda: (rectifier.silu(x, out=out),
                                               torch.sigmoid(t, out=tout))
    except ImportError:
        pass
    times = {(p, s): [] for p in patterns for s in spins}
    for _ in range(args.rounds):
        for p, f in patterns.items():
            for s in spins:
                _core._set_spin_us(s)
                f()
                times[p, s].append(_per_iter(f, 300))
    print("spin us | " + " | ".join(patterns))
    for s in spins:
        print(f"{s:7d} | " + " | ".join(f"{statistics.median(times[p, s]):8.1f}"
                                          for p in patterns))


if __name__ == "__main__":
    main()
