"""``rectifier bench``: time rectifier against the naive NumPy formula and PyTorch.

The work is in :mod:`rectifier.bench`; this module turns options into its arguments and prints
machine facts and a table, or (``--json``) only the list of records.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rectifier import bench
from rectifier.errors import UsageError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench",
        help="time rectifier against NumPy and PyTorch on this machine",
        description=(
            "Benchmark every registered function against the naive NumPy formula and PyTorch "
            "(same inputs, same thread count, interleaved repetitions). Options that take a "
            "list accept repeats or commas: --dtype float32 --dtype float64 or "
            "--dtype float32,float64."
        ),
    )
    p.add_argument(
        "--function",
        action="append",
        metavar="NAME",
        help="function to time (repeatable; default: every one in the registry)",
    )
    p.add_argument(
        "--op",
        action="append",
        metavar="OP",
        help=f"{' | '.join(bench.OPS)} (repeatable; default: forward and backward)",
    )
    p.add_argument(
        "--dtype",
        action="append",
        metavar="DTYPE",
        help=f"{' | '.join(bench.DTYPES)} (repeatable; default: float32 and float64)",
    )
    p.add_argument(
        "--sizes",
        default=",".join(str(n) for n in bench.DEFAULT_SIZES),
        metavar="N,N,...",
        help="array sizes, comma-separated (default: %(default)s)",
    )
    p.add_argument(
        "--repeats",
        default=str(bench.DEFAULT_REPEATS),
        metavar="N",
        help=f"timed repetitions per case, >= {bench.MIN_REPEATS} (default: %(default)s)",
    )
    p.add_argument(
        "--mode",
        action="append",
        metavar="MODE",
        help="out (into an existing output) | inplace | alloc (each implementation allocates "
        "its output) (repeatable; default: out)",
    )
    p.add_argument(
        "--large",
        action="store_true",
        help=f"add n = {bench.LARGE:.0e} to the sizes (needs a few GB of memory)",
    )
    p.add_argument(
        "--threads",
        metavar="N",
        help="threads for rectifier, the limit and torch (default: rectifier's current count)",
    )
    p.add_argument(
        "--goals",
        action="store_true",
        help="time only the cases of the speed goals and say which are met",
    )
    p.add_argument("--plot", metavar="PNG", help="also draw GB/s against n to this file")
    p.add_argument("--force", action="store_true", help="overwrite the --plot file if it exists")
    p.add_argument("--json", action="store_true", help="print only a JSON list of records")
    p.add_argument(
        "--accuracy",
        action="store_true",
        help="measure the worst error in ULP against mpmath (rectifier, PyTorch and the naive "
        "NumPy formula on the same inputs) instead of timing; needs mpmath",
    )
    p.add_argument(
        "--doctor",
        action="store_true",
        help="time the doctor's overhead on PyTorch models instead (needs torch)",
    )
    p.set_defaults(func=run)


def _split(values: list[str] | None, default: tuple[str, ...]) -> list[str]:
    if not values:
        return list(default)
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def parse_sizes(text: str) -> list[int]:
    """``"1000,100000"`` -> ``[1000, 100000]``; anything but positive integers is a UsageError."""
    sizes = []
    for tok in text.split(","):
        tok = tok.strip().replace("_", "")
        if not re.fullmatch(r"\d+", tok) or int(tok) <= 0:
            raise UsageError(
                f"--sizes: {tok!r} is not a positive integer (e.g. --sizes 1000,100000)"
            )
        sizes.append(int(tok))
    return sizes


def _parse_threads(text: str | None) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) < 1:
        raise UsageError(f"--threads: expected a positive integer, got {text!r} (e.g. --threads 2)")
    return int(text)


def _parse_repeats(text: str) -> int:
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) < bench.MIN_REPEATS:
        raise UsageError(f"--repeats: expected an integer >= {bench.MIN_REPEATS}, got {text!r}")
    return int(text)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int, int, str], None] | None]:
    """A rich progress bar on stderr when it is a terminal; None (silent) otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        yield None
        return
    with Progress(console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("bench", total=None)

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        yield update


def _as_dict(record: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    return dict(record) if isinstance(record, dict) else dict(vars(record))


def _run_doctor(as_json: bool, repeats: int) -> int:
    try:  # imported only here: it needs torch, and the kernel benchmark must not
        from rectifier.torch.overhead import doctor_overhead_records
    except ImportError as exc:
        raise UsageError(
            f"--doctor needs rectifier.torch.overhead and PyTorch, which are not available ({exc})"
        ) from None
    records = [_as_dict(r) for r in doctor_overhead_records(repeats=repeats)]
    if as_json:
        print(json.dumps(records, indent=1, default=str))
        return 0
    print(bench.format_facts(bench.machine_facts()))
    print()
    columns = list(dict.fromkeys(k for r in records for k in r))
    rows = [columns] + [[_cell(r.get(c)) for c in columns] for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _cell(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else "-" if v is None else str(v)


def _run_accuracy(args: argparse.Namespace) -> int:
    try:  # imported only here: it needs mpmath, and timing does not
        from rectifier import accuracy

        accuracy._mp()
    except ImportError as exc:
        raise UsageError(f"--accuracy needs mpmath ({exc}); pip install mpmath") from None
    functions = _split(args.function, accuracy.SMOOTH)
    other = [f for f in functions if f not in accuracy.SMOOTH]
    if other:
        raise UsageError(
            f"--accuracy: {', '.join(other)}: not a function with rounding error (the exact ones "
            f"are checked bit for bit by the tests); choose from {', '.join(accuracy.SMOOTH)}"
        )
    dtypes = _split(args.dtype, accuracy.DTYPES)
    bad = [d for d in dtypes if d not in accuracy.DTYPES]
    if bad:
        raise UsageError(f"--dtype: {bad[0]!r} is not one of {', '.join(accuracy.DTYPES)}")
    records = accuracy.measure(functions, dtypes=dtypes)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in records], indent=1))
    else:
        print(accuracy.format_table(records))
    return 0


def run(args: argparse.Namespace) -> int:
    # torch's OpenMP workers spin for a while after each op; interleaved with rectifier's own
    # threads on a machine with few cores, the spinning workers steal the cores both need and
    # make both sides slower (seen here: torch relu at n=1e5 went from 20 us to 6 ms). Passive
    # waiting keeps the comparison fair. It only takes effect before torch is first imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if args.doctor:
        return _run_doctor(args.json, _parse_repeats(args.repeats))
    if args.accuracy:
        return _run_accuracy(args)
    functions = _split(args.function, tuple(bench.REGISTRY))
    ops = _split(args.op, bench.DEFAULT_OPS)
    dtypes = _split(args.dtype, bench.DEFAULT_DTYPES)
    modes = _split(args.mode, bench.DEFAULT_MODES)
    sizes = parse_sizes(args.sizes)
    if args.large and bench.LARGE not in sizes:
        sizes.append(bench.LARGE)
    repeats = _parse_repeats(args.repeats)
    threads = _parse_threads(args.threads)
    try:
        bench.validate(functions, ops, dtypes, sizes, repeats, modes=modes, threads=threads)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.plot is not None:
        _check_plot(args.plot, args.force)
    with _progress() as progress:
        if args.goals:
            results, records = bench.run_goals(repeats, threads=threads, progress=progress)
        else:
            records = bench.run_bench(
                functions,
                ops,
                dtypes,
                sizes,
                repeats,
                progress=progress,
                modes=modes,
                threads=threads,
            )
    facts = bench.machine_facts()
    if threads is not None:
        facts["threads"] = threads
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=1))
    else:
        bench.print_report(records, facts)
        if args.goals:
            print()
            print(bench.format_goals(results))
    if args.plot is not None:
        bench.plot(records, args.plot, facts, force=args.force)
    for note in bench.disagreement_notes(records):
        print(f"rectifier bench: warning: {note}", file=sys.stderr)
    return 0


def _check_plot(path: str, force: bool) -> None:
    """Fail before the (long) run if the plot cannot be written."""
    from rectifier._files import check_output_path

    check_output_path(path, force=force)
    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib; pip install matplotlib (or rectifier[plot])")
