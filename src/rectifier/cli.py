"""The ``rectifier`` command line: ``rectifier apply | bench | doctor | ...``.

Each subcommand lives in :mod:`rectifier.commands` as a module with ``register(subparsers)``,
which adds its parser and sets ``func(args) -> int`` as the default. :func:`main` owns the
error policy: a :class:`~rectifier.errors.UsageError` (or any ``OSError`` on the user's files,
or an argparse error) is one line on stderr and exit code 2, never a traceback.

Exit codes: 0 success, 1 problems found (``doctor``), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rectifier import __version__
from rectifier.errors import UsageError

# Subcommand modules, in the order `rectifier --help` lists them.
COMMANDS = ("apply", "doctor", "study", "bench", "plot")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the usage block too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rectifier",
        description="ReLU done right: exact, fast rectifier kernels and a doctor for dead ReLUs.",
    )
    parser.add_argument("--version", action="version", version=f"rectifier {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"rectifier.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 problems found, 2 bad input)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return 2
        return int(args.func(args))
    except UsageError as exc:
        print(f"rectifier: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the user's files: missing, unreadable, disk full
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"rectifier: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rectifier: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
