"""The doctor's verdicts in the terminal: rich tables on stdout, progress bars on stderr.

Works on a :class:`rectifier.torch.Report` (plain data; this module never imports torch).

>>> import numpy as np
>>> from rectifier.torch.report import Report, SiteReport
>>> site = SiteReport.from_counts("fc.relu#0", module_path="fc.relu", kind="relu",
...     functional=False, call_index=0, unit_dim=-1, observations=10,
...     positive=np.array([0, 5, 10, 10]), sum_abs=np.array([0.0, 4.0, 9.0, 11.0]))
>>> print(render_text(report_table(Report.from_sites([site], tau=0.1)), width=80))
                               rectifier sites
┏━━━━━━━━━━━┳━━━━━━┳━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ site      ┃ kind ┃ units ┃ dead % ┃ dormant % ┃ activation rate ┃ verdict ┃
┡━━━━━━━━━━━╇━━━━━━╇━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ fc.relu#0 │ relu │     4 │  25.0% │     25.0% │           62.5% │ dying   │
└───────────┴──────┴───────┴────────┴───────────┴─────────────────┴─────────┘
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rectifier.torch.report import Report, SiteReport

__all__ = [
    "bullet_list",
    "comparison_table",
    "make_console",
    "percent",
    "progress",
    "render_text",
    "report_table",
    "site_verdict",
    "summary_line",
]

# Verdict -> rich style; "ok" is plain.
_STYLES = {"all dead": "bold red", "dying": "red", "dormant": "yellow", "no data": "dim"}


def percent(fraction: float) -> str:
    """``0.125 -> '12.5%'``.

    >>> percent(0.125), percent(1.0)
    ('12.5%', '100.0%')
    """
    return f"{100.0 * fraction:.1f}%"


def site_verdict(site: SiteReport, report: Report) -> str:
    """One word or two for a site: ``all dead``, ``dying``, ``dormant``, ``no data`` or ``ok``.

    ``dying`` and ``dormant`` use the report's thresholds (``max_dead``, ``max_dormant``).
    """
    if site.observations == 0:
        return "no data"
    if site.all_dead:
        return "all dead"
    if site.dead_fraction > report.max_dead:
        return "dying"
    if site.dormant_fraction > report.max_dormant:
        return "dormant"
    return "ok"


def _mean_rate(site: SiteReport) -> float:
    return float(site.activation_rate.mean()) if site.units else 0.0


def report_table(report: Report, *, title: str | None = "rectifier sites") -> Table:
    """One row per site: site, kind, units, dead %, dormant %, activation rate, verdict."""
    t = Table(title=title)
    t.add_column("site", overflow="fold")
    t.add_column("kind")
    for name in ("units", "dead %", "dormant %", "activation rate"):
        t.add_column(name, justify="right")
    t.add_column("verdict")
    for s in report.sites:
        verdict = site_verdict(s, report)
        t.add_row(
            Text(s.name),  # Text: a name with [brackets] is not rich markup
            s.kind,
            str(s.units),
            percent(s.dead_fraction),
            percent(s.dormant_fraction),
            percent(_mean_rate(s)),
            verdict,
            style=_STYLES.get(verdict),
        )
    return t


def summary_line(report: Report) -> str:
    """One line for the whole model.

    The verdict is ``healthy`` or ``problems found``; ``born dead`` is said first when it applies.
    """
    if not report.sites:
        return "no rectifiers found: the model has no ReLU-family activation the doctor can watch"
    n = len(report.sites)
    text = (
        f"{n} site{'s' if n != 1 else ''}, {report.units} units: "
        f"{report.dead} dead ({percent(report.dead_fraction)}), "
        f"{report.dormant} dormant ({percent(report.dormant_fraction)}, tau={report.tau:g})"
    )
    if report.born_dead:
        return f"{text}: BORN DEAD, some layer is entirely dead so the output is constant"
    if report.healthy:
        return f"{text}: healthy"
    return (
        f"{text}: problems found (thresholds: dead <= {percent(report.max_dead)}, "
        f"dormant <= {percent(report.max_dormant)})"
    )


def comparison_table(
    rows: Sequence[tuple[str, Report, dict[str, Any]]],
    *,
    title: str | None = "before / after",
    extra_columns: Sequence[str] = (),
) -> Table:
    """One row per run: label, dead %, dormant %, then ``extra_columns`` from the dict, verdict.

    Used by the demo (``extra`` holds e.g. the test accuracy, already formatted).
    """
    t = Table(title=title)
    t.add_column("run", no_wrap=True)
    for name in ("dead units", "dormant", *extra_columns):
        t.add_column(name, justify="right", no_wrap=True)
    t.add_column("verdict", no_wrap=True)
    for label, report, extra in rows:
        verdict = "born dead" if report.born_dead else ("healthy" if report.healthy else "problems")
        t.add_row(
            Text(label),
            f"{percent(report.dead_fraction)} ({report.dead}/{report.units})",
            percent(report.dormant_fraction),
            *(str(extra.get(c, "")) for c in extra_columns),
            verdict,
            style=None if report.healthy else "red",
        )
    return t


def bullet_list(items: Sequence[str]) -> Table:
    """Items as a bulleted list whose wrapped lines stay indented under their bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for item in items:
        grid.add_row("  -", Text(item))
    return grid


def make_console(file: IO[str] | None = None, *, width: int | None = None) -> Console:
    """A console for reports: colour only on a terminal; no highlighting, markup or emoji codes
    (file names and site names are printed as they are)."""
    return Console(
        file=file if file is not None else sys.stdout,
        width=width,
        highlight=False,
        markup=False,
        emoji=False,
    )


def render_text(renderable: Any, *, width: int = 100) -> str:
    """Render to plain text (no colour, no trailing blanks), e.g. for tests and the HTML report."""
    buf = io.StringIO()
    console = Console(
        file=buf, width=width, color_system=None, highlight=False, markup=False, emoji=False
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines())


@contextmanager
def progress(enabled: bool, *, file: IO[str] | None = None) -> Iterator[Progress | None]:
    """A rich progress display on stderr, or None when disabled or stderr is not a terminal."""
    stream = file if file is not None else sys.stderr
    if not enabled or not stream.isatty():
        yield None
        return
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with bar:
        yield bar
