"""``rectifier apply``: run an activation (or its derivative) over numbers or array files.

    rectifier apply -- -2 -1 0 1 2               ->  0 0 0 1 2
    rectifier apply --grad --at-zero 0.5 -- -1 0 1  ->  0.0 0.5 1.0
    rectifier apply weights.npy -o relu.npy      (memory-mapped, chunked, atomic)
    rectifier apply table.csv                    (same shape and format, on stdout)
    printf '1 -2\\n-3 4\\n' | rectifier apply     (stdin -> stdout)

Inputs: numbers on the command line, ``-`` (stdin, text), or one file: ``.npy``, ``.npz``
(every array in it), ``.csv`` / ``.txt`` (numbers as ``np.loadtxt`` reads them). Text output is
printed unless ``-o`` names a ``.csv``/``.txt`` file; ``.npy``/``.npz`` need ``-o`` with the same
extension. Outputs are never overwritten without ``--force`` and are written atomically
(:mod:`rectifier._files`); pickles are never loaded.

Numbers: integers stay integers (relu is exact on them); any float makes every value float64.
Floats print in the shortest form that reads back to the same value (``0.1``, ``1e-10``,
``nan``, ``inf``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

import rectifier
from rectifier._files import atomic_write, check_output_path
from rectifier._ops import REGISTRY, OpRecord
from rectifier.errors import UsageError

# Elements per chunk when streaming a .npy file: bounds memory (one input window of the memory
# map, one output buffer) whatever the file size. Tests shrink it to run several chunks.
CHUNK_ELEMENTS = 2**20
# A progress bar only where the run takes long enough to be worth one (and stderr is a TTY).
PROGRESS_MIN_ELEMENTS = 2**24

_TEXT_DELIMITERS = {".csv": ",", ".txt": None}  # None: any whitespace, as np.loadtxt
_FORMATS = (".npy", ".npz", ".csv", ".txt")

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.I)

_I64 = np.iinfo(np.int64)
_U64 = np.iinfo(np.uint64)

# dtype kinds the kernels accept: signed, unsigned, float.
_NUMERIC_KINDS = "iuf"
_KIND_HINT = {
    "b": "convert it first, e.g. x.astype(np.int8) or x.astype(np.float32)",
    "c": "rectifiers need ordered values: save x.real or np.abs(x) instead",
}


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "apply",
        help="apply relu (or another rectifier) to numbers or array files",
        description=(
            "Apply an activation or its derivative elementwise. Examples: "
            "'rectifier apply -- -2 -1 0 1 2' prints '0 0 0 1 2'; "
            "'rectifier apply x.npy -o y.npy'; 'rectifier apply table.csv'."
        ),
    )
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="NUMBER|FILE",
        help="numbers (put '--' before them if one starts with '-' and is not a plain number, "
        "e.g. -inf), one .npy/.npz/.csv/.txt file, or '-' for stdin (also read when none given)",
    )
    p.add_argument("-i", "--input", metavar="FILE", help="the input file (instead of a positional)")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (.npy/.npz as the input; .csv/.txt for text); '-' or none: stdout",
    )
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument(
        "--function",
        default="relu",
        choices=sorted(REGISTRY),
        metavar="NAME",
        help=f"the activation (default relu; one of {', '.join(sorted(REGISTRY))})",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=("a parameter of the function (repeatable), e.g. --param negative_slope=0.1; "
              "gelu's tanh form: --param approximate=tanh"),
    )
    p.add_argument("--grad", action="store_true", help="print the derivative instead")
    p.add_argument(
        "--at-zero",
        metavar="V",
        help="with --grad: relu's derivative at 0, a finite number in [0, 1] (default 0)",
    )
    p.set_defaults(func=run)


# ---- what to compute ----------------------------------------------------------------------


def _api_function(rec: OpRecord, op: str) -> Callable[..., Any]:
    """The public function for ``op`` of ``rec`` (relu, relu_grad, ...), as users call it."""
    return getattr(rectifier, rec.name if op == "forward" else f"{rec.name}_{op}")


def _parse_float(option: str, text: str) -> float:
    if not _FLOAT.fullmatch(text.strip()):
        raise UsageError(f"{option}: {text!r} is not a number")
    return float(text)


def build_function(
    name: str, grad: bool, params: list[str], at_zero: str | None
) -> Callable[..., Any]:
    """The function ``f(x, out=None)`` the options ask for, with its parameters validated.

    >>> f = build_function("relu", True, [], "0.5")
    >>> f(np.array([-1.0, 0.0, 1.0]))
    array([0. , 0.5, 1. ])
    """
    rec = REGISTRY[name]
    op = "grad" if grad else "forward"
    func_name = rec.name if op == "forward" else f"{rec.name}_{op}"
    known = {p.name: p for p in rec.all_params(op)}
    values: dict[str, Any] = {}
    for item in params:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param: expected NAME=VALUE, got {item!r}")
        if key in rec.options and rec.variants:
            # A named form of the function (gelu's approximate='tanh'): a word, not a number.
            forms = ["none", *rec.variants]
            if text.strip() not in forms:
                raise UsageError(f"--param {key}: {func_name}'s {key} is one of "
                                 f"{', '.join(map(repr, forms))}, got {text!r}")
            values[key] = text.strip()
            continue
        if key in rec.options:
            raise UsageError(f"--param: {func_name}'s option {key!r} is not available from the "
                             f"command line; use the Python API (rectifier.{rec.name})")
        if key not in known:
            choices = ", ".join(sorted(known) + sorted(k for k in rec.options if rec.variants))
            choices = choices or "none"
            raise UsageError(
                f"--param: {func_name} has no parameter {key!r} (its parameters: {choices})"
            )
        values[key] = _parse_float(f"--param {key}", text)
    if at_zero is not None:
        if not grad:
            raise UsageError("--at-zero only applies with --grad (the derivative at 0)")
        if "at_zero" not in known:
            raise UsageError(f"--at-zero: {func_name} has no at_zero parameter")
        values["at_zero"] = _parse_float("--at-zero", at_zero)
    for key, value in values.items():
        if key not in known:
            continue  # a form's name, checked above
        try:
            known[key].validate(func_name, value)
        except (TypeError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    return functools.partial(_api_function(rec, op), **values)


# ---- text ---------------------------------------------------------------------------------


def _numbers_to_array(tokens: list[str], where: list[str]) -> np.ndarray:
    """Tokens -> a 1-d array: int64 (or uint64) if all are integers, else float64."""
    for tok, loc in zip(tokens, where, strict=True):
        if not _FLOAT.fullmatch(tok):
            raise UsageError(f"{loc}{tok!r} is not a number")
    if all(_INT.fullmatch(t) for t in tokens):
        ints = [int(t) for t in tokens]
        if all(_I64.min <= v <= _I64.max for v in ints):
            return np.array(ints, dtype=np.int64)
        if all(0 <= v <= _U64.max for v in ints):
            return np.array(ints, dtype=np.uint64)
        raise UsageError(
            f"integers from {min(ints)} to {max(ints)} fit no 64-bit integer type; "
            "write them as floats (e.g. 1e20)"
        )
    return np.array([float(t) for t in tokens], dtype=np.float64)


def parse_text(text: str, source: str, delimiter: str | None) -> tuple[np.ndarray, list[int]]:
    """Numbers in ``text`` (np.loadtxt's rules: ``#`` comments, blank lines skipped).

    Returns the values as one flat array and the count per line, to write the same shape back.

    >>> parse_text("1, 2\\n# note\\n-3, 4.5\\n", "t.csv", ",")
    (array([ 1. ,  2. , -3. ,  4.5]), [2, 2])
    """
    tokens: list[str] = []
    where: list[str] = []
    rows: list[int] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split(delimiter)
        if delimiter is not None:
            fields = [f.strip() for f in fields]
            if "" in fields:
                raise UsageError(f"{source} line {lineno}: empty field (two delimiters in a row)")
        tokens += fields
        where += [f"{source} line {lineno}: "] * len(fields)
        rows.append(len(fields))
    if not tokens:
        raise UsageError(f"{source} has no numbers")
    return _numbers_to_array(tokens, where), rows


def format_values(values: np.ndarray) -> list[str]:
    """Each value as text: integers as is, floats in the shortest form that round-trips.

    >>> format_values(np.array([0.1, 1e-10, -0.0, np.nan, np.inf]))
    ['0.1', '1e-10', '-0.0', 'nan', 'inf']
    >>> format_values(np.array([0.1], dtype=np.float32))
    ['0.1']
    """
    flat = values.reshape(-1)
    if flat.dtype.kind in "iu":
        return [str(v) for v in flat.tolist()]
    if flat.dtype == np.float64:  # repr of a Python float is the shortest round-trip form
        return [repr(v) for v in flat.tolist()]
    # float16/float32: the NumPy scalar's str is shortest for its own precision (0.1, not
    # 0.10000000149011612 as the widened Python float would print).
    return [str(v) for v in flat]


def _format_text(values: np.ndarray, rows: list[int], delimiter: str | None) -> str:
    strings = format_values(values)
    sep = delimiter or " "
    lines, start = [], 0
    for count in rows:
        lines.append(sep.join(strings[start : start + count]))
        start += count
    return "\n".join(lines) + "\n"


def _text_output(
    output: str | None, force: bool, default_delimiter: str | None
) -> tuple[Path | None, str | None]:
    """(path or None for stdout, delimiter) for text results; checked before any work."""
    if output is None or output == "-":
        return None, default_delimiter
    suffix = Path(output).suffix.lower()
    if suffix not in _TEXT_DELIMITERS:
        raise UsageError(
            f"output {output!r}: text input gives text output; name a .csv or .txt file"
        )
    return check_output_path(output, force=force), _TEXT_DELIMITERS[suffix]


def _emit_text(text: str, path: Path | None, force: bool) -> None:
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with atomic_write(path, "w", force=force) as f:
        f.write(text)


def _apply(func: Callable[..., Any], x: np.ndarray, source: str) -> np.ndarray:
    _check_dtype(x.dtype, source)
    try:
        return np.asarray(func(x))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{source}: {exc}") from None


def _check_dtype(dtype: np.dtype, source: str) -> None:
    if dtype.kind in _NUMERIC_KINDS:
        return
    if dtype.hasobject:
        hint = "rectifier never loads pickles: save numeric (integer or float) arrays"
    else:
        hint = _KIND_HINT.get(dtype.kind, "rectifiers need real numbers (integer or float)")
    raise UsageError(f"{source} has dtype {dtype}, which is not supported; {hint}")


# ---- .npy: memory-mapped, streamed in chunks -------------------------------------------------


def _open_npy(path: Path) -> np.ndarray:
    """Memory-map a .npy file read-only, turning every kind of bad file into one clear line."""
    size = path.stat().st_size
    if size == 0:
        raise UsageError(f"{str(path)!r} is empty (0 bytes); expected a .npy array")
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
        except ValueError:
            raise UsageError(f"{str(path)!r} is not a .npy file (bad magic string)") from None
        try:
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        except ValueError as exc:
            raise UsageError(f"{str(path)!r}: unreadable .npy header ({exc})") from None
        offset = f.tell()
    _check_dtype(dtype, repr(str(path)))
    need = offset + math.prod(shape) * dtype.itemsize
    if size < need:
        raise UsageError(
            f"{str(path)!r} is truncated: its header promises {need} bytes, the file has {size}"
        )
    if math.prod(shape) == 0:  # nothing to map (and mmap refuses zero-length regions)
        return np.empty(shape, dtype=dtype, order="F" if fortran else "C")
    # allow_pickle=False is belt and braces: object dtypes were refused above.
    return np.load(path, mmap_mode="r", allow_pickle=False)


def _write_npy_header(f: IO[bytes], dtype: np.dtype, shape: tuple[int, ...], fortran: bool):
    header = {
        "descr": np.lib.format.dtype_to_descr(dtype),
        "fortran_order": fortran,
        "shape": shape,
    }
    try:
        np.lib.format.write_array_header_1_0(f, header)
    except ValueError:  # header over 64 KiB (thousands of dimensions): format 2.0 allows it
        np.lib.format.write_array_header_2_0(f, header)


@contextlib.contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Yield advance(k); a rich progress bar on stderr for long runs on a terminal, else no-op."""
    if total < PROGRESS_MIN_ELEMENTS or not sys.stderr.isatty():
        yield lambda k: None
        return
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:  # rich is optional for apply
        yield lambda k: None
        return
    with Progress(console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.update(task, advance=k)


def apply_npy(func: Callable[..., Any], src_path: Path, out_path: Path, force: bool) -> None:
    """Stream ``src_path`` through ``func`` into ``out_path`` in chunks of CHUNK_ELEMENTS.

    The output is written sequentially into the temporary file of :func:`atomic_write`
    (header, then each chunk) rather than through a writable memory map: a full disk then is an
    ``OSError`` we can clean up after, where a store into a sparse memory-mapped page would kill
    the process with SIGBUS and leave the partial file behind.
    """
    src = _open_npy(src_path)
    source = repr(str(src_path))
    # The file's own memory order: iterate over it flat, so every chunk is one contiguous read.
    fortran = src.ndim > 1 and src.flags.f_contiguous and not src.flags.c_contiguous
    order = "F" if fortran else "C"
    flat = np.asarray(src).reshape(-1, order=order)  # a view: the file is contiguous that way
    n = flat.size
    probe = _apply(func, flat[:0], source)  # the output dtype, from the function's own rules
    chunk = max(1, int(CHUNK_ELEMENTS))
    buf = np.empty(min(chunk, n), dtype=probe.dtype)
    with atomic_write(out_path, "wb", force=force) as f, _progress(n, src_path.name) as advance:
        _write_npy_header(f, probe.dtype, src.shape, fortran)
        for start in range(0, n, chunk):
            piece = flat[start : start + chunk]
            out = buf[: piece.size]
            try:
                func(piece, out=out)
            except (TypeError, ValueError) as exc:
                raise UsageError(f"{source}: {exc}") from None
            f.write(memoryview(out).cast("B"))
            advance(piece.size)


# ---- .npz: every array, same keys -----------------------------------------------------------


def apply_npz(func: Callable[..., Any], src_path: Path, out_path: Path, force: bool) -> None:
    """Apply ``func`` to every array of an .npz; the output has the same keys (and compression).

    Arrays are processed one at a time, so memory holds one input and one output array.
    """
    if src_path.stat().st_size == 0:
        raise UsageError(f"{str(src_path)!r} is empty (0 bytes); expected an .npz archive")
    try:
        zin = zipfile.ZipFile(src_path)
    except zipfile.BadZipFile:
        raise UsageError(f"{str(src_path)!r} is not an .npz archive (or it is truncated)") from None
    with zin:
        infos = zin.infolist()
        if not infos:
            raise UsageError(f"{str(src_path)!r} contains no arrays")
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise UsageError(f"{str(src_path)!r}: member {info.filename!r} is not a .npy array")
        compression = (
            zipfile.ZIP_DEFLATED
            if any(i.compress_type != zipfile.ZIP_STORED for i in infos)
            else zipfile.ZIP_STORED
        )
        with (
            atomic_write(out_path, "wb", force=force) as f,
            zipfile.ZipFile(f, "w", compression=compression, allowZip64=True) as zout,
        ):
            for info in infos:
                key = info.filename[: -len(".npy")]
                where = f"{str(src_path)!r} array {key!r}"
                try:
                    with zin.open(info) as member:
                        # allow_pickle=False: an object array raises instead of unpickling.
                        x = np.lib.format.read_array(member, allow_pickle=False)
                except ValueError as exc:
                    if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                        raise UsageError(
                            f"{where} has dtype object, which is not supported; rectifier never "
                            "loads pickles: save numeric (integer or float) arrays"
                        ) from None
                    raise UsageError(f"{where} is unreadable ({exc})") from None
                except (zipfile.BadZipFile, EOFError, OSError) as exc:
                    raise UsageError(f"{where} is unreadable or truncated ({exc})") from None
                y = _apply(func, x, where)
                with zout.open(info.filename, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, y, allow_pickle=False)


# ---- the command --------------------------------------------------------------------------


def _classify(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Split positionals into numbers and files (a path that exists or has a known extension)."""
    numbers, files = [], []
    for tok in tokens:
        if tok == "-":
            files.append(tok)
        elif _FLOAT.fullmatch(tok):
            numbers.append(tok)
        elif Path(tok).suffix.lower() in _FORMATS or os.path.exists(tok):
            files.append(tok)
        else:
            raise UsageError(f"{tok!r} is not a number (nor a .npy, .npz, .csv or .txt file)")
    return numbers, files


def _require_output(output: str | None, suffix: str, force: bool) -> Path:
    if output is None or output == "-":
        raise UsageError(f"{suffix} input needs -o OUT{suffix} (binary output is never printed)")
    if Path(output).suffix.lower() != suffix:
        raise UsageError(f"output {output!r} must be a {suffix} file, as the input")
    return check_output_path(output, force=force)


def run(args: argparse.Namespace) -> int:
    func = build_function(args.function, args.grad, args.param, args.at_zero)
    if args.input is not None and args.inputs:
        raise UsageError("give the input either with -i FILE or as a positional, not both")
    # -i always names a file, even one called "1e5"; positionals may be numbers or a file.
    numbers, files = ([], [args.input]) if args.input is not None else _classify(args.inputs)
    if numbers and files:
        raise UsageError("give numbers or one input file, not both")
    if len(files) > 1:
        raise UsageError(f"give one input file at a time (got {len(files)})")

    if numbers:
        out_path, delim = _text_output(args.output, args.force, None)
        x = _numbers_to_array(numbers, [""] * len(numbers))
        _emit_text(_format_text(_apply(func, x, "input"), [x.size], delim), out_path, args.force)
        return 0

    if not files or files[0] == "-":
        if not files and sys.stdin is not None and sys.stdin.isatty():
            raise UsageError(
                "no input: give numbers (rectifier apply -- -2 -1 0 1 2), a file, or pipe text"
            )
        out_path, delim = _text_output(args.output, args.force, None)
        x, rows = parse_text(sys.stdin.read(), "stdin", None)
        _emit_text(_format_text(_apply(func, x, "stdin"), rows, delim), out_path, args.force)
        return 0

    path = Path(files[0])
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise UsageError(
            f"{files[0]!r}: unknown input format {suffix or '(no extension)'!r}; "
            "use .npy, .npz, .csv or .txt"
        )
    if not path.exists():
        raise UsageError(f"input {files[0]!r} does not exist")
    if path.is_dir():
        raise UsageError(f"input {files[0]!r} is a directory; give a file")
    if suffix == ".npy":
        apply_npy(func, path, _require_output(args.output, ".npy", args.force), args.force)
    elif suffix == ".npz":
        apply_npz(func, path, _require_output(args.output, ".npz", args.force), args.force)
    else:
        delim = _TEXT_DELIMITERS[suffix]
        out_path, out_delim = _text_output(args.output, args.force, delim)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{files[0]!r} is not a text file (not UTF-8)") from None
        x, rows = parse_text(text, repr(files[0]), delim)
        _emit_text(
            _format_text(_apply(func, x, repr(files[0])), rows, out_delim), out_path, args.force
        )
    return 0
