"""Every float32 input (or every k-th bit pattern) through a float32 kernel, against float64.

The float64 kernels are within 4 float64 ULP of the correctly rounded value (SEMANTICS.md), which
is ~1e-8 of a float32 ULP, so |float32 result - float64 result| in float32 ULP is the float32
kernel's error to that precision. tests/test_accuracy.py checks a dense grid against mpmath in
CI; this tool checks all 2**32 inputs (~15 minutes per function and form on two cores) before a
float32 kernel changes. tools/exhaustive_f32_cores.c checks the cores themselves, standalone and
~10x faster (tests/test_exhaustive_tools.py keeps the two in agreement). backward uses a fixed
pseudo-random grad per chunk (N(0, 4^2), rounded to float32) on both sides.

    python tools/exhaustive_f32.py --function gelu --op forward --op backward
    python tools/exhaustive_f32.py --stride 101          # a quick sample of every function
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from rectifier import accuracy
from rectifier._ops import ALL_RECORDS

CHUNK = 1 << 22


def _call(rec, op: str, x: np.ndarray, g: np.ndarray | None, params: list[float]) -> np.ndarray:
    if op == "forward":
        return rec.ufunc(x, *params)
    if op == "grad":
        return rec.grad_ufunc(x, *params)
    return rec.backward_ufunc(g, x, *params)


def check(name: str, op: str, stride: int, bound: float) -> tuple[float, float, int]:
    """(worst ULP error, the input where it occurs, points over `bound`) for one function/form."""
    rec = ALL_RECORDS[name]
    params = [p.default for p in rec.params]
    p32 = [np.float32(v) for v in params]
    rng = np.random.default_rng(0)
    worst, worst_x, over = 0.0, float("nan"), 0
    step = CHUNK * stride
    for start in range(0, 1 << 32, step):
        bits = np.arange(start, min(start + step, 1 << 32), stride, dtype=np.uint64)
        x = bits.astype(np.uint32).view(np.float32)
        g = (rng.standard_normal(x.size) * 4.0).astype(np.float32) if op == "backward" else None
        with np.errstate(all="ignore"):
            got = _call(rec, op, x, g, p32)
            ref = _call(rec, op, x.astype(np.float64),
                        None if g is None else g.astype(np.float64), params)
            err = accuracy.ulp_error(got, ref, np.zeros_like(ref), "float32")
        i = int(np.argmax(err))
        if err[i] > worst:
            worst, worst_x = float(err[i]), float(x[i])
        over += int(np.count_nonzero(err > bound))
    return worst, worst_x, over


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--function", action="append", help="default: every smooth function")
    ap.add_argument("--op", action="append", choices=("forward", "grad", "backward"))
    ap.add_argument("--stride", type=int, default=1, help="check every k-th bit pattern")
    args = ap.parse_args(argv)
    names = args.function or list(accuracy.SMOOTH)
    ops = args.op or ["forward", "grad", "backward"]
    failed = False
    for name in names:
        bound = ALL_RECORDS[name].ulp_bound["float32"]
        for op in ops:
            t0 = time.perf_counter()
            worst, x, over = check(name, op, args.stride, bound)
            failed |= over > 0
            print(f"{name:12} {op:9} worst {worst:6.3f} ulp at x={x!r:16} over {bound:g}: "
                  f"{over:>8}  ({time.perf_counter() - t0:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
