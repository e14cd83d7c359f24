"""Safe file output for every command: never overwrite by accident, never leave a partial file.

Outputs are written to a temporary file in the destination's directory and renamed over the
destination only when complete, so an interrupted run or a full disk leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rectifier.errors import UsageError


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Validate an output path before any work is done; return it as a Path.

    Raises :class:`UsageError` if it exists (without ``force``), is a directory, or its
    directory does not exist.
    """
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"output {str(p)!r} is a directory; give a file name")
    if p.exists() and not force:
        raise UsageError(f"output {str(p)!r} exists; pass --force to overwrite it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"output directory {str(parent)!r} does not exist; create it first")
    return p


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", *, force: bool = False
) -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it to ``path`` only if the block succeeds.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(d / "out.txt", "w") as f:
    ...     _ = f.write("0 0 0 1 2\\n")
    >>> (d / "out.txt").read_text()
    '0 0 0 1 2\\n'
    """
    p = check_output_path(path, force=force)
    try:
        fd, tmp = tempfile.mkstemp(
            dir=p.parent if str(p.parent) else ".", prefix=f".{p.name}.", suffix=".part"
        )
    except OSError as exc:  # name the output, not the temporary file the user never asked for
        raise OSError(exc.errno, exc.strerror, str(p)) from None
    try:
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename in (None, tmp):
            # A full disk while writing says no file name (or the temporary one): name the output.
            raise OSError(exc.errno, exc.strerror, str(p)) from None
        raise
