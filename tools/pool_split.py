"""Where do 2 threads start to win? In one process, interleaved finely: rectifier on 1 thread,
rectifier on 2, torch on 2 (the same load for all three). Per case, R rounds; each round times a
batch (~2 ms) of each; prints medians (us) and the 2-thread / 1-thread ratio (of the medians, and
of the minima). To find the thresholds, build with RECT_MIN_PARALLEL_* in module.c lowered (e.g.
0 bytes and 2**13 elements) so every size splits, and run it on a quiet machine:

    python tools/pool_split.py relu,silu,elu,gelu 10000,20000,50000,100000,1000000 9 out.json
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import torch

import rectifier
from rectifier import bench


def _per_call(f, k: int) -> float:
    f()
    t0 = time.perf_counter()
    for _ in range(k):
        f()
    return (time.perf_counter() - t0) / k * 1e6


def main() -> None:
    fns = sys.argv[1].split(",")
    sizes = [int(s) for s in sys.argv[2].split(",")]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 9
    torch.set_num_threads(2)
    res = []
    for fn in fns:
        rec = rectifier.ops[fn]
        for op in ("forward", "backward"):
            for dt in ("float32", "float64"):
                for n in sizes:
                    calls = bench.make_calls(rec, op, dt, n, ["rectifier", "torch"])
                    ours, theirs = calls["rectifier"][0], calls["torch"][0]
                    cfgs = {"r1": (1, ours), "r2": (2, ours), "t2": (2, theirs)}
                    rectifier.set_num_threads(1)
                    k = max(1, min(2000, int(2e-3 / max(_per_call(ours, 1) * 1e-6, 1e-7))))
                    ts: dict[str, list[float]] = {c: [] for c in cfgs}
                    for _ in range(rounds):
                        for c, (threads, f) in cfgs.items():
                            rectifier.set_num_threads(threads)
                            ts[c].append(_per_call(f, k))
                    row = {"function": fn, "op": op, "dtype": dt, "n": n}
                    row.update({c: statistics.median(v) for c, v in ts.items()})
                    row.update({c + "_min": min(v) for c, v in ts.items()})
                    res.append(row)
                    print(f"{fn:5} {op:8} {dt:7} {n:>10,} 1t {row['r1']:9.1f} "
                          f"2t {row['r2']:9.1f} torch {row['t2']:9.1f}  "
                          f"2t/1t {row['r2'] / row['r1']:.2f} "
                          f"(minima {row['r2_min'] / row['r1_min']:.2f})", flush=True)
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as fh:
            json.dump(res, fh)


if __name__ == "__main__":
    main()
