"""``rectifier study``: reproduce the classic ReLU results on this machine.

``rectifier study list`` names the studies; ``rectifier study NAME`` runs one and prints its
numbers against the paper's and the verdict; ``rectifier study all --html report.html`` runs them
all and writes one self-contained page. The work is in :mod:`rectifier.studies`.

Exit codes: 0 the studies ran (whatever their verdicts: "not reproduced" is a result, shown in
the output and in ``--json`` as ``reproduced``), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rectifier.errors import UsageError


def register(subparsers: Any) -> None:
    from rectifier import studies

    p = subparsers.add_parser(
        "study",
        help="reproduce classic ReLU results (born dead, sparsity, dying ReLU, ...)",
        description=(
            "Run a study (or all of them) and compare its numbers with the paper's. "
            f"Studies: {', '.join(studies.names())}. 'rectifier study list' describes them."
        ),
    )
    p.add_argument("name", metavar="NAME", help="a study name, 'all' or 'list'")
    p.add_argument(
        "--quick", action="store_true", help="small sizes: seconds per study (what the CI runs)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.add_argument("--png", metavar="FILE", help="save the study's figure as PNG (one study)")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="torch threads (default 1: small tensors, and one fixed summation order)",
    )
    p.add_argument(
        "--trials",
        type=int,
        metavar="N",
        help="born-dead: trials per (width, depth) cell (default 2000, --quick 1000)",
    )
    p.set_defaults(func=run)


def _options(name: str, args: argparse.Namespace) -> dict[str, Any]:
    from rectifier import studies

    given = {"trials": args.trials}
    opts = {k: v for k, v in given.items() if v is not None}
    for key in opts:
        if key not in studies.options(name):
            raise UsageError(f"--{key} applies to born-dead only, not to study {name!r}")
    if "trials" in opts and opts["trials"] < 10:
        raise UsageError(f"--trials must be at least 10, got {opts['trials']}")
    return opts


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich bar on stderr (only on a terminal): one bar for the study running now."""
    from rectifier.report.terminal import progress

    with progress(True) as bar:
        if bar is None:
            yield None
            return
        overall = bar.add_task("studies", total=total)
        current: dict[str, Any] = {}

        def update(description: str, done: int, n: int) -> None:
            if description not in current:
                for task in current.values():
                    bar.remove_task(task)
                    bar.advance(overall)
                current.clear()
                current[description] = bar.add_task(description, total=n)
            bar.update(current[description], completed=done, total=n)

        yield update


def run(args: argparse.Namespace) -> int:
    from rectifier import studies

    name = args.name
    if name == "list":
        if args.png or args.html:  # else silently ignored: the user expects a file
            raise UsageError("'rectifier study list' writes no file; drop --png/--html")
        return _list()
    if name != "all" and name not in studies.STUDIES:
        raise UsageError(
            f"unknown study {name!r}; choose one of: {', '.join(studies.names())}, all, list"
        )
    if args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    if name == "all" and args.png:
        raise UsageError("--png takes one study; use --html for 'all'")
    if name == "all" and args.trials is not None:
        raise UsageError("--trials applies to born-dead only; run 'rectifier study born-dead'")
    names = studies.names() if name == "all" else [name]
    opts = {n: _options(n, args) for n in names}

    # Check every output before hours of work.
    from rectifier._files import atomic_write, check_output_path

    for path in (args.png, args.html):
        if path:
            check_output_path(path, force=args.force)
    if args.png or args.html:
        from rectifier.report.figures import require_matplotlib

        require_matplotlib()
    try:
        import torch  # noqa: F401
    except ImportError:
        raise UsageError('studies need PyTorch: pip install "rectifier[torch]"') from None

    results = []
    with _progress(len(names)) as bar:
        for n in names:
            results.append(
                studies.run(
                    n,
                    quick=args.quick,
                    seed=args.seed,
                    progress=bar,
                    threads=args.threads,
                    **opts[n],
                )
            )

    if args.png:
        from rectifier.report.figures import png

        data = png(results[0].figure())
        with atomic_write(args.png, "wb", force=args.force) as f:
            f.write(data)
    if args.html:
        from rectifier.studies.report import render_html

        page = render_html(results)
        with atomic_write(args.html, "w", force=args.force) as f:
            f.write(page)
    if args.json:
        if name == "all":
            payload: Any = {r.name: _json(r) for r in results}
        else:
            payload = _json(results[0])
        json.dump(payload, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        _print(results)
    return 0


def _json(result: Any) -> dict[str, Any]:
    """A study's numbers at the top level (``--json``), plus its verdict and settings."""
    out = dict(result.numbers)
    out.update(
        study=result.name,
        reproduced=result.reproduced,
        criterion=result.criterion,
        settings=result.settings,
    )
    return out


def _list() -> int:
    from rich.table import Table

    from rectifier import studies
    from rectifier.report.terminal import make_console

    table = Table(title="rectifier studies")
    table.add_column("name")
    table.add_column("what it reproduces")
    table.add_column("source")
    for n in studies.names():
        module = studies.get(n)
        # "Lu, Shin, Su, Karniadakis (2019), Title..." -> "Lu et al. (2019)"
        authors, _, rest = module.STUDY.citation.partition(" (")
        first = authors.split(",")[0]
        year = rest.split(")")[0] if rest[:4].isdigit() else ""
        short = f"{first} et al. ({year})" if year and "," in authors else module.STUDY.citation
        table.add_row(n, module.STUDY.title, short)
    make_console().print(table)
    return 0


def _print(results: Sequence[Any]) -> None:
    from rich.table import Table

    from rectifier.report.terminal import make_console

    console = make_console()
    for r in results:
        table = Table(title=f"{r.name}: {r.title}", title_justify="left")
        table.add_column("quantity", overflow="fold")
        table.add_column("measured here", justify="right")
        table.add_column("paper", overflow="fold")
        for row in r.comparison:
            table.add_row(*row)
        console.print(table)
        console.print(f"claim: {r.claim} [{r.citation}]", highlight=False, markup=False)
        console.print(f"criterion: {r.criterion}", highlight=False, markup=False)
        verdict = "REPRODUCED" if r.reproduced else "NOT REPRODUCED"
        console.print(
            f"{verdict} ({r.seconds:.1f} s, seed {r.settings.get('seed')}, "
            f"{'quick' if r.settings.get('quick') else 'full'} mode)",
            style="green" if r.reproduced else "red",
            markup=False,
        )
        for note in r.notes:
            console.print(f"note: {note}", markup=False, highlight=False)
        console.print()
