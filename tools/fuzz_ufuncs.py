"""Long fuzz runs of the raw ufuncs: ``python tools/fuzz_ufuncs.py --executions 1000000``.

Runs tests/fuzz_ufuncs.py's harness in a child process, in chunks, and prints the running count
of executions (ufunc calls checked) and every failure with the seed and case that replays it
(``python tools/fuzz_ufuncs.py --replay SEED CASE``). A child that dies (a crash in the C core)
is reported with the chunk it was running, and that chunk is re-run one case per process to
name the case. ``--engine atheris`` drives the same harness from atheris's coverage-guided
mutator instead (``pip install atheris``; counts executions the same way).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

CHUNK = 20_000


def _child(seed: int, start: int, count: int) -> int:
    """Run cases [start, start + count) and print one JSON line of results."""
    import fuzz_ufuncs as F

    stats = F.run(seed=seed, executions=count, start=start)
    print(json.dumps({"executions": stats.executions, "value_checked": stats.value_checked,
                      "elements": stats.elements, "failures": stats.failures}), flush=True)
    return 0


def _find_crash(seed: int, start: int, count: int) -> int | None:
    for i in range(start, start + count):
        r = subprocess.run([sys.executable, __file__, "--replay", str(seed), str(i)],
                           capture_output=True)
        if r.returncode < 0:
            return i
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--executions", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="first case number")
    ap.add_argument("--engine", choices=["random", "atheris"], default="random")
    ap.add_argument("--replay", nargs=2, type=int, metavar=("SEED", "CASE"))
    ap.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(*args.child)
    if args.replay:
        import fuzz_ufuncs as F

        msg = F.replay(*args.replay)
        print(msg or "case passes")
        return 1 if msg else 0
    if args.engine == "atheris":
        return _atheris(args.executions)

    total = {"executions": 0, "value_checked": 0, "elements": 0, "failures": []}
    t0 = time.time()
    done = 0
    while done < args.executions:
        start = args.start + done
        count = min(CHUNK, args.executions - done)
        r = subprocess.run([sys.executable, __file__, "--child", str(args.seed), str(start),
                            str(count)], capture_output=True, text=True)
        if r.returncode != 0:
            case = _find_crash(args.seed, start, count)
            total["failures"].append(f"child died (status {r.returncode}) in cases "
                                     f"{start}..{start + count - 1}; crashing case: {case}\n"
                                     f"{r.stderr[-2000:]}")
            print(total["failures"][-1], flush=True)
            done += count
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        for k in ("executions", "value_checked", "elements"):
            total[k] += res[k]
        total["failures"] += res["failures"]
        for f in res["failures"]:
            print(f, flush=True)
        done += count
        print(f"{total['executions']:,} executions ({total['value_checked']:,} value-checked, "
              f"{total['elements']:,} elements), {len(total['failures'])} failures, "
              f"{time.time() - t0:.0f} s", flush=True)
    print(f"TOTAL: {total['executions']:,} executions, {total['value_checked']:,} value-checked, "
          f"{total['elements']:,} elements, {len(total['failures'])} failures, seed {args.seed}, "
          f"cases {args.start}..{args.start + args.executions - 1}, "
          f"{time.time() - t0:.0f} s")
    return 1 if total["failures"] else 0


def _atheris(executions: int) -> int:
    import atheris
    import numpy  # noqa: F401 - imported first so only the harness is instrumented

    import rectifier  # noqa: F401

    with atheris.instrument_imports():
        import fuzz_ufuncs as F

    class FdpDraw(F.Draw):
        def __init__(self, data: bytes):
            self.fdp = atheris.FuzzedDataProvider(data)

        def int(self, n: int) -> int:
            return self.fdp.ConsumeIntInRange(0, n - 1)

        def unit(self) -> float:
            return self.fdp.ConsumeProbability()

        def raw(self, nbytes: int) -> bytes:  # zeros once the input is used up
            b = self.fdp.ConsumeBytes(nbytes)
            return b + bytes(nbytes - len(b))

        def normal(self, size: int):
            import numpy as np

            b = self.fdp.ConsumeBytes(8 * size)
            v = np.frombuffer(b + bytes(8 * size - len(b)), np.uint64) / 2.0**64
            return np.sqrt(-2 * np.log1p(-v)) * np.cos(2 * np.pi * v * 7.0)

    stats = F.Stats()

    def one(data: bytes) -> None:
        msg = F.execute(FdpDraw(data), stats)
        if msg is not None:
            raise AssertionError(msg)

    # the C core is not instrumented (gcc; atheris needs clang's libFuzzer flags), so the
    # coverage it sees is the harness's own branches
    atheris.Setup([sys.argv[0], f"-runs={executions}", "-max_len=4096", "-len_control=0"], one)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
