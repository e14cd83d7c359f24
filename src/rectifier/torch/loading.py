"""Load the model and the data that ``rectifier doctor`` examines, refusing bad input in one line.

Models (:func:`load_model`):

- ``pkg.module:factory``: import the module, call ``factory()``; optional weights from a state
  dict file, loaded with ``torch.load(weights_only=True)`` and ``load_state_dict(strict=True)``.
- A TorchScript file (``torch.jit.save``): a zip archive with ``code/`` and ``constants.pkl``.
- A ``torch.export`` program (``torch.export.save``, usually ``.pt2``): a zip archive with
  ``archive_format``.
- A whole pickled ``nn.Module`` (``torch.save(model)``) only with ``trust_pickle=True``: loading a
  pickle runs code from the file. Without the flag the file is only ever read with
  ``torch.load(weights_only=True)``, whose restricted unpickler executes nothing.

The kind of a file is found from its content, never from its name. Graph models run their
activations as ATen ops the monitor does not watch; :func:`prepare_for_monitoring` turns them back
into activation modules and torch functions (same outputs), so an exported program gets the same
site names, units and counts as the eager model, and a TorchScript model (first converted by
PyTorch's TorchScript-to-export converter) the same units and counts, with functional site names.

Data (:func:`load_data`, :func:`random_inputs`): a ``.npy`` / ``.npz`` file (memory-mapped, read
a batch at a time, never unpickled), a folder of images with one sub-folder per class (Pillow), or
``pkg.module:function`` returning an iterable of batches; or random normal inputs of a given shape.

Every problem with the user's input is a :class:`~rectifier.errors.UsageError` with one line that
says what is wrong and how to fix it.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import logging
import re
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rectifier.errors import UsageError

__all__ = [
    "DataSource",
    "LoadedModel",
    "format_exception",
    "graph_unit_dims",
    "guess_channels",
    "import_object",
    "is_import_spec",
    "load_data",
    "load_model",
    "make_observable",
    "model_dtype",
    "model_file_kind",
    "parse_image_size",
    "parse_shape",
    "peek",
    "prepare_for_monitoring",
    "quiet_torch_logs",
    "random_inputs",
    "resolve_device",
]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
# Keys tried, in order, for the inputs inside an .npz archive holding several arrays.
NPZ_INPUT_KEYS = ("x", "X", "inputs", "input", "data", "images")
# Batches taken from a function's iterable when --batches is not given: it may never end.
DEFAULT_FUNCTION_BATCHES = 100

_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def format_exception(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, cut to ``limit`` characters: one line for the user.

    >>> format_exception(ValueError("bad\\nsecond line"))
    'ValueError: bad'
    """
    text = str(exc).strip()
    # torch wraps some errors in ANSI bold; a terminal line should not carry escape codes.
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    first = text.splitlines()[0].strip() if text else ""
    if len(first) > limit:
        first = first[: limit - 3] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@contextlib.contextmanager
def quiet_torch_logs() -> Iterator[None]:
    """Silence PyTorch's export/converter log warnings (they would break the one-line policy)."""
    prefixes = ("torch._export", "torch.export", "torch.fx", "torch._dynamo", "torch._subclasses")
    names = set(prefixes) | {n for n in logging.root.manager.loggerDict if n.startswith(prefixes)}
    saved = {n: logging.getLogger(n).level for n in names}
    try:
        for n in names:
            logging.getLogger(n).setLevel(logging.ERROR)
        yield
    finally:
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- devices


def resolve_device(spec: str | None) -> torch.device:
    """Parse ``--device`` and check that the device exists here; ``None`` means CPU.

    >>> resolve_device(None)
    device(type='cpu')
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if spec is None:
        return torch.device("cpu")
    try:
        device = torch.device(spec)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(
            f"unknown device {spec!r}: use cpu, cuda, cuda:N or mps ({format_exception(exc)})"
        ) from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(
                f"device {spec!r}: CUDA is not available in this PyTorch build or machine; "
                "use --device cpu"
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise UsageError(f"device {spec!r}: this machine has {count} CUDA device(s)")
        return device
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise UsageError(f"device {spec!r}: MPS is not available here; use --device cpu")
        return device
    raise UsageError(f"device {spec!r}: only cpu, cuda and mps are supported by the doctor")


# --------------------------------------------------------------------------- import specs


def is_import_spec(text: str) -> bool:
    """Whether ``text`` looks like ``pkg.module:attribute`` (and is not a Windows path)."""
    return bool(_SPEC.match(text))


def import_object(spec: str, what: str) -> Any:
    """Import ``pkg.module:attr`` (``attr`` may be dotted) and return the object.

    ``what`` names the option in messages, e.g. ``"--model"``.

    >>> import_object("os.path:join", "--model") is __import__("os").path.join
    True
    """
    if not is_import_spec(spec):
        raise UsageError(f"{what} {spec!r}: expected a file or pkg.module:function")
    module_name, _, attr = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # the user's module: any error while importing it
        raise UsageError(
            f"{what} {spec!r}: cannot import {module_name!r} ({format_exception(exc)})"
        ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(
                f"{what} {spec!r}: {module_name!r} has no attribute {attr!r}"
            ) from None
    if not callable(obj):
        raise UsageError(f"{what} {spec!r}: {attr!r} is not callable")
    return obj


# --------------------------------------------------------------------------- models


@dataclass
class LoadedModel:
    """A model ready for the doctor: ``module`` in eval mode on the device.

    ``kind`` is one of ``"factory"``, ``"torchscript"``, ``"export"``, ``"pickle"``;
    ``source`` is what the user gave.
    """

    module: nn.Module
    kind: str
    source: str
    weights: str | None = None

    def describe(self) -> str:
        text = {
            "factory": "factory",
            "torchscript": "TorchScript",
            "export": "torch.export program",
            "pickle": "pickled module",
        }[self.kind]
        extra = f", weights {self.weights}" if self.weights else ""
        return f"{self.source} ({text}{extra})"


def _zip_names(path: Path) -> list[str] | None:
    try:
        with zipfile.ZipFile(path) as z:
            return z.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None


def model_file_kind(path: str | Path) -> str:
    """What a model file holds, from its content: ``torchscript``, ``export`` or ``torch.save``.

    ``torch.save`` covers state dicts and pickled modules alike (and files that are neither);
    telling them apart needs :func:`torch.load` with ``weights_only=True``.
    """
    names = _zip_names(Path(path))
    if names is None:
        return "torch.save"  # the legacy (pre-1.6) format is not a zip; or not a model at all
    if any(n.endswith("/archive_format") or n == "archive_format" for n in names):
        return "export"
    if any("/code/" in n or n.startswith("code/") for n in names) and any(
        n.endswith("constants.pkl") for n in names
    ):
        return "torchscript"
    return "torch.save"


def _refuse_pickle(path: str) -> UsageError:
    return UsageError(
        f"model {path!r} is a pickled Python object: loading it would run code stored in the "
        "file, so it was not loaded; pass --trust-pickle only if you trust its source, or save "
        "the model as TorchScript, torch.export (.pt2), or a state dict for --model "
        "pkg.module:factory --weights FILE"
    )


def _not_a_pickle(path: str) -> str | None:
    """What a file that torch.load refused is, when it cannot be a pickle; None if it may be.

    torch.load reads any non-zip file as a pickle, so a text file or a .npy array would be
    reported as a pickle and the user told to pass --trust-pickle: wrong, and bad advice.
    """
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(np.lib.format.MAGIC_PREFIX):
        return "a NumPy .npy array"
    if not head:
        return "empty (0 bytes)"
    if head.startswith(b"PK"):  # torch.save's zip format: fine if zipfile can open it
        return "a damaged or truncated zip archive" if _zip_names(Path(path)) is None else None
    if not head.startswith(b"\x80"):  # pickles of protocol 2 and up (torch.save's too) do
        return "neither a zip archive nor a pickle"
    return None


def _safe_load(path: str) -> Any:
    """``torch.load(weights_only=True)``: its restricted unpickler runs no code from the file."""
    with warnings.catch_warnings():
        # e.g. "Detected pickle protocol 4": the refusal, if any, comes as an exception.
        warnings.simplefilter("ignore", UserWarning)
        return torch.load(path, map_location="cpu", weights_only=True)


def _load_torch_save(path: str, *, trust_pickle: bool) -> nn.Module:
    try:
        obj = _safe_load(path)
    except Exception as exc:
        what = None if trust_pickle else _not_a_pickle(path)
        if what is not None:
            raise UsageError(
                f"model {path!r} is not a model file PyTorch can read (a TorchScript "
                f"archive, a torch.export .pt2 program or a saved module): it is {what}"
            ) from None
        if "weights only load failed" in str(exc).lower():
            if not trust_pickle:
                raise _refuse_pickle(path) from None
            obj = _load_trusted_pickle(path)
        else:
            raise UsageError(
                f"model {path!r} is not a model file PyTorch can read (a TorchScript archive, a "
                f"torch.export .pt2 program or a saved module): {format_exception(exc)}"
            ) from None
    if isinstance(obj, nn.Module):
        return obj
    if isinstance(obj, dict):
        raise UsageError(
            f"model {path!r} holds weights only (a state dict), not a model: pass "
            f"--model pkg.module:factory --weights {path}"
        )
    raise UsageError(f"model {path!r} holds a {type(obj).__name__}, not a torch.nn.Module")


def _load_trusted_pickle(path: str) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        hint = ""
        if isinstance(exc, (AttributeError, ModuleNotFoundError, ImportError)):
            hint = " (the module that defines the model's class must be importable)"
        raise UsageError(f"cannot unpickle model {path!r}: {format_exception(exc)}{hint}") from None


def _state_dict_from(obj: Any, path: str) -> dict[str, torch.Tensor]:
    def is_state_dict(d: Any) -> bool:
        return (
            isinstance(d, dict) and bool(d) and all(isinstance(v, torch.Tensor) for v in d.values())
        )

    if is_state_dict(obj):
        return obj
    # Training checkpoints often nest the state dict.
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if is_state_dict(obj.get(key)):
                return obj[key]
    raise UsageError(
        f"weights {path!r} hold a {type(obj).__name__}, not a state dict "
        "(save them with torch.save(model.state_dict(), FILE))"
    )


def _load_weights(model: nn.Module, path: str) -> None:
    if Path(path).is_dir():
        raise UsageError(f"weights {path!r} is a directory; give the state dict file")
    if not Path(path).is_file():
        raise UsageError(f"weights file {path!r} not found")
    try:
        obj = _safe_load(path)
    except Exception as exc:
        what = _not_a_pickle(path)
        if what is not None:
            raise UsageError(
                f"weights {path!r} are not a state dict saved with torch.save: the file is {what}"
            ) from None
        if "weights only load failed" in str(exc).lower():
            raise UsageError(
                f"weights {path!r} hold pickled Python objects, not just tensors; they were not "
                "loaded (save them with torch.save(model.state_dict(), FILE))"
            ) from None
        raise UsageError(f"cannot read weights {path!r}: {format_exception(exc)}") from None
    state = _state_dict_from(obj, path)
    try:
        model.load_state_dict(state, strict=True)
    except Exception as exc:
        # torch lists the missing and unexpected keys on the lines after the first: keep them.
        detail = _one_line(str(exc))
        detail = detail if len(detail) <= 400 else detail[:397] + "..."
        raise UsageError(f"weights {path!r} do not fit the model: {detail}") from None


def load_model(
    spec: str,
    *,
    weights: str | None = None,
    trust_pickle: bool = False,
    device: torch.device | str = "cpu",
) -> LoadedModel:
    """Load ``spec`` (a file or ``pkg.module:factory``), put it in eval mode on ``device``.

    >>> m = load_model("torch.nn:Identity")
    >>> m.kind, type(m.module).__name__
    ('factory', 'Identity')
    """
    path = Path(spec)
    if path.is_dir():
        raise UsageError(f"model {spec!r} is a directory; give a model file or pkg.module:factory")
    if path.is_file():
        if weights is not None:
            raise UsageError("--weights goes with --model pkg.module:factory, not a model file")
        kind = model_file_kind(path)
        if kind == "torchscript":
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # jit is deprecated
                    module = torch.jit.load(str(path), map_location="cpu")
            except Exception as exc:
                raise UsageError(
                    f"cannot load TorchScript model {spec!r}: {format_exception(exc)}"
                ) from None
        elif kind == "export":
            try:
                with open(path, "rb") as f, quiet_torch_logs():
                    module = torch.export.load(f).module()
            except Exception as exc:
                raise UsageError(
                    f"cannot load torch.export program {spec!r}: {format_exception(exc)}"
                ) from None
        else:
            module = _load_torch_save(str(path), trust_pickle=trust_pickle)
            kind = "pickle"
        loaded = LoadedModel(module, kind, spec)
    elif is_import_spec(spec):
        factory = import_object(spec, "--model")
        try:
            module = factory()
        except Exception as exc:
            raise UsageError(f"model factory {spec!r} raised {format_exception(exc)}") from None
        if not isinstance(module, nn.Module):
            raise UsageError(
                f"model factory {spec!r} returned a {type(module).__name__}, not a torch.nn.Module"
            )
        if weights is not None:
            _load_weights(module, weights)
        loaded = LoadedModel(module, "factory", spec, weights)
    else:
        raise UsageError(f"model file {spec!r} not found (or give pkg.module:factory)")
    try:
        loaded.module.to(device)
    except Exception as exc:
        raise UsageError(f"cannot move the model to {device}: {format_exception(exc)}") from None
    _set_eval(loaded.module)
    return loaded


def _set_eval(module: nn.Module) -> None:
    # An exported program's module refuses .eval() (its mode is fixed at export); that is fine.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        module.eval()


def model_dtype(module: nn.Module) -> torch.dtype:
    """The floating dtype of the model's first floating parameter or buffer (float32 if none)."""
    for t in itertools.chain(module.parameters(), module.buffers()):
        if t.is_floating_point():
            return t.dtype
    return torch.float32


def guess_channels(module: nn.Module) -> int | None:
    """Input channels the model expects: the first Conv2d's, or the first 4-D weight's dim 1."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            return int(m.in_channels)
    for p in module.parameters():
        if p.dim() == 4:
            return int(p.shape[1])
    return None


# --------------------------------------------------------------------------- data


@dataclass
class DataSource:
    """Batches of inputs for the doctor.

    ``batches()`` yields float tensors on the CPU (the caller moves them); ``total`` is the number
    of batches when known (for progress bars); ``description`` is one line for reports.
    """

    batches: Callable[[], Iterator[torch.Tensor]]
    description: str
    total: int | None


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse ``--random-inputs SHAPE``: one example's shape, without the batch dimension.

    Dimensions are separated by ``x`` or ``,``: ``1x28x28`` and ``1,28,28`` are the same shape;
    the batch size comes from ``--batch-size``.

    >>> parse_shape("1x28x28"), parse_shape("3, 32, 32"), parse_shape("784")
    ((1, 28, 28), (3, 32, 32), (784,))
    """
    parts = [p.strip() for p in re.split(r"[x,X×]", text.strip())]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(d <= 0 for d in shape):
        raise UsageError(
            f"--random-inputs {text!r}: expected one example's shape, positive integers "
            "separated by x or commas, e.g. 1x28x28 (the batch size is --batch-size)"
        )
    return shape


def random_inputs(
    shape: tuple[int, ...],
    *,
    batch_size: int,
    batches: int,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> DataSource:
    """Standard normal inputs: ``batches`` batches of ``(batch_size, *shape)``, seeded.

    >>> src = random_inputs((3,), batch_size=2, batches=4)
    >>> [tuple(b.shape) for b in src.batches()]
    [(2, 3), (2, 3), (2, 3), (2, 3)]
    """

    def gen() -> Iterator[torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        for _ in range(batches):
            yield torch.randn((batch_size, *shape), generator=g, dtype=dtype)

    dims = "x".join(str(d) for d in shape)
    return DataSource(
        gen, f"random normal inputs {batches} x {batch_size} x {dims} (seed {seed})", batches
    )


def _check_array(arr: np.ndarray, spec: str) -> None:
    if arr.dtype.hasobject:
        raise UsageError(f"data {spec!r}: object arrays are refused (they are pickles)")
    if arr.dtype.kind not in "biuf":
        raise UsageError(f"data {spec!r}: expected a numeric array, not dtype {arr.dtype}")
    if arr.ndim == 0:
        raise UsageError(f"data {spec!r}: expected an array of examples, not a scalar")
    if arr.shape[0] == 0:
        raise UsageError(f"data {spec!r} is empty (0 examples)")


def _npz_member(path: Path, spec: str) -> tuple[np.ndarray, str]:
    """The inputs array of an .npz: memory-mapped where stored uncompressed, else read in."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
    except Exception as exc:
        raise UsageError(f"data {spec!r} is not a readable .npz: {format_exception(exc)}") from None
    if not keys:
        raise UsageError(f"data {spec!r} is empty (no arrays)")
    if len(keys) == 1:
        key = keys[0]
    else:
        key = next((k for k in NPZ_INPUT_KEYS if k in keys), None)
        if key is None:
            raise UsageError(
                f"data {spec!r} holds arrays {', '.join(keys)}: name the inputs one of "
                f"{', '.join(NPZ_INPUT_KEYS)}"
            )
    arr = _npz_memmap(path, key)
    if arr is None:
        try:
            with np.load(path, allow_pickle=False) as npz:
                arr = npz[key]
        except ValueError as exc:
            if "allow_pickle" in str(exc) or "object" in str(exc).lower():
                raise UsageError(
                    f"data {spec!r}: object arrays are refused (they are pickles)"
                ) from None
            raise UsageError(f"data {spec!r}: {format_exception(exc)}") from None
    return arr, key


def _npz_memmap(path: Path, key: str) -> np.ndarray | None:
    """Memory-map member ``key`` of an uncompressed .npz; None where that is not possible."""
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(key + ".npy")
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        with open(path, "rb") as f:
            f.seek(info.header_offset)
            local = f.read(30)
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            offset = f.tell()
    except Exception:
        return None
    if dtype.hasobject:
        return np.empty(0, dtype=object)  # refused by _check_array
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype)
    return np.memmap(
        path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C"
    )


def _array_source(
    spec: str, *, batch_size: int, batches: int | None, dtype: torch.dtype
) -> DataSource:
    path = Path(spec)
    if path.stat().st_size == 0:
        raise UsageError(f"data {spec!r} is empty (0 bytes); expected a .npy or .npz file")
    if path.suffix.lower() == ".npz" or zipfile.is_zipfile(path):
        arr, key = _npz_member(path, spec)
        what = f"{spec}[{key}]"
    else:
        with open(path, "rb") as f:
            magic = f.read(len(np.lib.format.MAGIC_PREFIX))
        if magic != np.lib.format.MAGIC_PREFIX:
            # np.load would take it for a pickle and say "object arrays are refused".
            raise UsageError(
                f"data {spec!r} is not a .npy or .npz file (it does not start with the .npy "
                "magic string); save the inputs with numpy.save"
            )
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            if "object" in str(exc).lower() or "pickle" in str(exc).lower():
                raise UsageError(
                    f"data {spec!r}: object arrays are refused (they are pickles)"
                ) from None
            raise UsageError(
                f"data {spec!r} is not a readable .npy: {format_exception(exc)}"
            ) from None
        except Exception as exc:
            raise UsageError(
                f"data {spec!r} is not a readable .npy: {format_exception(exc)}"
            ) from None
        what = spec
    _check_array(arr, spec)
    n = arr.shape[0]
    total = -(-n // batch_size)
    if batches is not None:
        total = min(total, batches)
    np_dtype = torch.empty((), dtype=dtype).numpy().dtype

    def gen() -> Iterator[torch.Tensor]:
        for i in range(total):
            chunk = np.asarray(arr[i * batch_size : (i + 1) * batch_size])
            # A copy: the memory map is read-only, and torch wants writable memory.
            yield torch.from_numpy(np.array(chunk, dtype=np_dtype, order="C", copy=True))

    shown = min(n, total * batch_size)
    return DataSource(gen, f"{what}: {shown} of {n} examples of shape {arr.shape[1:]}", total)


def _image_files(root: Path, spec: str) -> tuple[list[Path], list[str]]:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise UsageError(
            f"data folder {spec!r} has no class sub-folders: expected {spec}/CLASS/IMAGE.png"
        )
    files = [
        f
        for c in classes
        for f in sorted((root / c).iterdir())
        if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
    ]
    if not files:
        raise UsageError(
            f"data folder {spec!r} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    return files, classes


def _image_source(
    spec: str,
    *,
    batch_size: int,
    batches: int | None,
    image_size: tuple[int, int] | None,
    channels: int,
    dtype: torch.dtype,
) -> DataSource:
    files, classes = _image_files(Path(spec), spec)
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise UsageError("image folders need Pillow: pip install pillow") from None
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels)
    if mode is None:
        raise UsageError(f"--channels {channels}: images can have 1, 3 or 4 channels")
    size = image_size

    def read(f: Path) -> np.ndarray:
        nonlocal size
        try:
            with Image.open(f) as im:
                im = im.convert(mode)
                if size is None:
                    size = (im.height, im.width)
                elif (im.height, im.width) != size:
                    if image_size is None:
                        raise UsageError(
                            f"images differ in size ({f} is {im.height}x{im.width}, others "
                            f"{size[0]}x{size[1]}): pass --image-size HxW to resize them"
                        )
                    im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                a = np.asarray(im, dtype=np.float32) / 255.0
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise UsageError(f"cannot read image {str(f)!r}: {format_exception(exc)}") from None
        return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)

    total = -(-len(files) // batch_size)
    if batches is not None:
        total = min(total, batches)

    def gen() -> Iterator[torch.Tensor]:
        for i in range(total):
            chunk = [read(f) for f in files[i * batch_size : (i + 1) * batch_size]]
            yield torch.from_numpy(np.stack(chunk)).to(dtype)

    shown = min(len(files), total * batch_size)
    return DataSource(
        gen,
        f"{spec}: {shown} of {len(files)} images in {len(classes)} classes, {channels} channel(s)",
        total,
    )


def _as_tensor(item: Any, index: int, spec: str) -> torch.Tensor:
    if isinstance(item, (tuple, list)) and item:
        item = item[0]  # (x, y): the inputs
    if isinstance(item, np.ndarray):
        if item.dtype.hasobject:
            raise UsageError(f"data {spec!r}: batch {index + 1} is an object array")
        item = torch.from_numpy(np.ascontiguousarray(item))
    if not isinstance(item, torch.Tensor):
        raise UsageError(
            f"data {spec!r}: batch {index + 1} is a {type(item).__name__}; expected a tensor, "
            "an array or an (x, y) tuple"
        )
    return item


def _function_source(spec: str, *, batches: int | None, dtype: torch.dtype) -> DataSource:
    function = import_object(spec, "--data")
    limit = DEFAULT_FUNCTION_BATCHES if batches is None else batches

    def gen() -> Iterator[torch.Tensor]:
        try:
            iterable = function()
            iterator = iter(iterable)
        except UsageError:
            raise
        except Exception as exc:
            raise UsageError(f"data function {spec!r} raised {format_exception(exc)}") from None
        for i in range(limit):
            try:
                item = next(iterator)
            except StopIteration:
                return
            except Exception as exc:
                raise UsageError(
                    f"data function {spec!r} raised {format_exception(exc)} at batch {i + 1}"
                ) from None
            x = _as_tensor(item, i, spec)
            yield x.to(dtype) if not x.is_floating_point() else x

    return DataSource(gen, f"{spec}: up to {limit} batches", None)


def load_data(
    spec: str,
    *,
    batch_size: int = 64,
    batches: int | None = None,
    image_size: tuple[int, int] | None = None,
    channels: int = 3,
    dtype: torch.dtype = torch.float32,
) -> DataSource:
    """Open ``--data``: a .npy/.npz file, an image folder, or ``pkg.module:function``.

    ``batches`` caps the number of batches (None: all the data; for a function, 100 batches).

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.zeros((5, 2, 3), np.uint8))
    >>> [tuple(b.shape) for b in load_data(path, batch_size=2).batches()]
    [(2, 2, 3), (2, 2, 3), (1, 2, 3)]
    """
    if batch_size <= 0:
        raise UsageError(f"--batch-size {batch_size}: must be at least 1")
    if batches is not None and batches <= 0:
        raise UsageError(f"--batches {batches}: must be at least 1")
    path = Path(spec)
    if path.is_dir():
        return _image_source(
            spec,
            batch_size=batch_size,
            batches=batches,
            image_size=image_size,
            channels=channels,
            dtype=dtype,
        )
    if path.is_file():
        return _array_source(spec, batch_size=batch_size, batches=batches, dtype=dtype)
    if is_import_spec(spec):
        return _function_source(spec, batches=batches, dtype=dtype)
    raise UsageError(
        f"data {spec!r} not found (give a .npy/.npz file, an image folder, or pkg.module:function)"
    )


def parse_image_size(text: str) -> tuple[int, int]:
    """``--image-size``: ``28`` (square) or ``HxW``.

    >>> parse_image_size("28"), parse_image_size("32x48")
    ((28, 28), (32, 48))
    """
    try:
        dims = tuple(int(p) for p in re.split(r"[x,X]", text.strip()))
    except ValueError:
        dims = ()
    if len(dims) == 1:
        dims = (dims[0], dims[0])
    if len(dims) != 2 or min(dims) <= 0:
        raise UsageError(f"--image-size {text!r}: expected N or HxW, e.g. 28 or 224x224")
    return dims  # type: ignore[return-value]


def peek(iterable: Iterable[torch.Tensor]) -> tuple[torch.Tensor | None, Iterator[torch.Tensor]]:
    """The first item and an iterator over all items (the first included)."""
    it = iter(iterable)
    first = next(it, None)
    if first is None:
        return None, iter(())
    return first, itertools.chain([first], it)


# --------------------------------------------------------------------------- graph models
#
# An exported program (and a TorchScript model, once converted to one) runs its activations as
# ATen ops (aten.relu.default, aten.hardtanh.default for ReLU6, ...) inside one fx graph. The
# monitor watches activation modules and torch-level functions, so each such op is put back as
# what it was: a call of an activation module at its original path where the graph remembers one
# (so sites get the same names as on the eager model, e.g. "features.1#0"), else a call of the
# torch function (a functional site at the root, e.g. "relu()#0"). Outputs are unchanged.


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _equivalent(
    node: Any,
) -> tuple[Callable[[], nn.Module], Callable[..., Any], tuple, dict] | None:
    """For an ATen rectifier node: (activation module maker, torch function, its args, kwargs).

    None for any other node, and for variants the doctor does not watch (an ELU with a scale,
    i.e. SELU; a clamp that is not ``min=0``, which is left for the monitor to judge).
    """
    aten, F = torch.ops.aten, torch.nn.functional
    target, args, kwargs = node.target, tuple(node.args), dict(node.kwargs)
    if not args:
        return None
    x = args[:1]
    inplace = target in (
        aten.relu_.default,
        aten.leaky_relu_.default,
        aten.hardtanh_.default,
        aten.elu_.default,
    )
    if target in (aten.relu.default, aten.relu_.default):
        return (lambda: nn.ReLU(inplace)), (torch.relu_ if inplace else torch.relu), x, {}
    if target == aten.relu6.default:
        return nn.ReLU6, F.relu6, x, {}
    if target in (aten.leaky_relu.default, aten.leaky_relu_.default):
        slope = _arg(args, kwargs, 1, "negative_slope", 0.01)
        fn = F.leaky_relu_ if inplace else F.leaky_relu
        return (lambda: nn.LeakyReLU(slope, inplace)), fn, (*x, slope), {}
    if target in (aten.hardtanh.default, aten.hardtanh_.default):
        lo = _arg(args, kwargs, 1, "min_val", -1.0)
        hi = _arg(args, kwargs, 2, "max_val", 1.0)
        if (lo, hi) == (0, 6):  # how ReLU6 and F.relu6 are exported
            return (lambda: nn.ReLU6(inplace)), F.relu6, (*x, inplace), {}
        fn = F.hardtanh_ if inplace else F.hardtanh
        return (lambda: nn.Hardtanh(lo, hi, inplace)), fn, (*x, lo, hi), {}
    if target in (aten.elu.default, aten.elu_.default):
        alpha = _arg(args, kwargs, 1, "alpha", 1.0)
        if (_arg(args, kwargs, 2, "scale", 1), _arg(args, kwargs, 3, "input_scale", 1)) != (1, 1):
            return None
        fn = F.elu_ if inplace else F.elu
        return (lambda: nn.ELU(alpha, inplace)), fn, (*x, alpha), {}
    if target == aten.gelu.default:
        approximate = _arg(args, kwargs, 1, "approximate", "none")
        return (lambda: nn.GELU(approximate)), F.gelu, x, {"approximate": approximate}
    if target == aten.silu.default:
        return nn.SiLU, F.silu, x, {}
    if target == aten.clamp.default:
        return None, torch.clamp, args, kwargs  # the monitor keeps clamp(min=0) only
    if target == aten.clamp_min.default:
        return None, torch.clamp_min, args, kwargs
    return None


def _activation_owner(node: Any) -> str | None:
    """The path of the activation module that made this op, from the export's module stack."""
    from rectifier.torch._sites import MODULE_KINDS

    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return None
    path, type_name = list(stack.values())[-1]
    type_name = type_name if isinstance(type_name, str) else getattr(type_name, "__name__", "")
    if path and type_name.rsplit(".", 1)[-1] in MODULE_KINDS:
        return path
    return None


def make_observable(gm: nn.Module) -> nn.Module:
    """Rewrite the ATen rectifier ops of an fx GraphModule so that the monitor sees them.

    Outputs are unchanged: each op becomes the activation module or torch function it came from.
    """
    graph = getattr(gm, "graph", None)
    if graph is None:
        return gm
    changed = False
    for node in list(graph.nodes):
        if node.op != "call_function":
            continue
        found = _equivalent(node)
        if found is None:
            continue
        make, fn, args, kwargs = found
        owner = _activation_owner(node) if make is not None else None
        if owner is not None and _place_module(gm, owner, make):
            node.op, node.target, node.args, node.kwargs = "call_module", owner, args[:1], {}
        else:
            node.target, node.args, node.kwargs = fn, args, kwargs
        changed = True
    if changed:
        gm.recompile()
    return gm


def _place_module(gm: nn.Module, path: str, make: Callable[[], nn.Module]) -> bool:
    """Make ``path`` an activation module of ``gm`` (reusing one already placed there, as a
    module called at several places is); create empty parents. False where the path is taken."""
    from rectifier.torch._sites import MODULE_KINDS

    holder = gm
    *parents, name = path.split(".")
    for part in parents:
        child = getattr(holder, part, None)
        if child is None and part not in holder.__dict__:
            child = nn.Module()
            holder.add_module(part, child)
        if not isinstance(child, nn.Module):
            return False
        holder = child
    existing = getattr(holder, name, None)
    if existing is None and name not in holder.__dict__:
        holder.add_module(name, make())
        return True
    return (
        isinstance(existing, nn.Module)
        and type(existing).__name__ in MODULE_KINDS
        and next(existing.children(), None) is None
    )


def _channels_first_1d_ops() -> frozenset:
    aten = torch.ops.aten
    names = (
        "conv1d",
        "conv_transpose1d",
        "batch_norm",
        "_native_batch_norm_legit_no_training",
        "_native_batch_norm_legit",
        "native_batch_norm",
        "group_norm",
        "instance_norm",
        "max_pool1d",
        "avg_pool1d",
        "adaptive_avg_pool1d",
        "adaptive_max_pool1d",
    )
    ops = set()
    for name in names:
        packet = getattr(aten, name, None)
        for overload in ("default", "input"):
            op = getattr(packet, overload, None) if packet is not None else None
            if op is not None:
                ops.add(op)
    return frozenset(ops)


def _unit_dim_from_graph(node: Any, channels_first: frozenset) -> int | None:
    """1 for a 3-D activation made by a 1-D channels-first layer ([N, C, L]), as the monitor
    decides on an eager model from the layer that ran last; else None (the monitor's rule)."""
    import operator

    val = node.meta.get("val")
    if getattr(val, "dim", lambda: 0)() != 3:
        return None
    source = node.args[0] if node.args else None
    if getattr(source, "op", None) == "call_function" and source.target is operator.getitem:
        source = source.args[0]  # a batch norm returns a tuple
    if getattr(source, "op", None) == "call_function" and source.target in channels_first:
        return 1
    return None


# The torch functions make_observable puts in a graph, as the monitor names them.
def _functional_kind(node: Any) -> str | None:
    F = torch.nn.functional
    kinds = {
        torch.relu: "relu", torch.relu_: "relu", F.relu6: "relu6", F.leaky_relu: "leaky_relu",
        F.leaky_relu_: "leaky_relu", F.hardtanh: "hardtanh", F.hardtanh_: "hardtanh",
        F.elu: "elu", F.elu_: "elu", F.gelu: "gelu", F.silu: "silu",
    }  # fmt: skip
    if node.target in (torch.clamp, torch.clamp_min):
        lo = node.args[1] if len(node.args) > 1 else node.kwargs.get("min")
        hi = node.args[2] if len(node.args) > 2 else node.kwargs.get("max")
        is_relu = type(lo) in (int, float) and lo == 0 and hi is None
        return "relu" if is_relu else None
    return kinds.get(node.target)


def graph_unit_dims(gm: nn.Module) -> dict[str, int]:
    """``unit_dims`` for the monitor on a graph made by :func:`make_observable`.

    The monitor picks dim 1 for a 3-D activation after a ``Conv1d`` *module*; in a graph the
    convolution is an ATen op, so the graph says it instead. Keys are the site names (functional
    calls, all made in the graph's root forward) or module paths (activation modules).
    """
    from rectifier.torch._sites import site_name

    graph = getattr(gm, "graph", None)
    if graph is None:
        return {}
    channels_first = _channels_first_1d_ops()
    dims: dict[str, int] = {}
    counts: dict[str, int] = {}
    for node in graph.nodes:
        if node.op == "call_module":
            kind, key = "module", str(node.target)
        elif node.op == "call_function" and (kind := _functional_kind(node)) is not None:
            index = counts.get(kind, 0)
            counts[kind] = index + 1
            key = site_name("", index, kind)
        else:
            continue
        dim = _unit_dim_from_graph(node, channels_first)
        if dim is not None:
            dims[key] = dim
    return dims


def prepare_for_monitoring(
    loaded: LoadedModel, example: torch.Tensor
) -> tuple[nn.Module, dict[str, int]]:
    """The module to run under the monitor, and the ``unit_dims`` to give the monitor.

    ``example`` is the first batch, already on the device. Factories and pickled modules run as
    they are. An export program gets its ATen rectifiers rewritten (:func:`make_observable`). A
    TorchScript model runs in C++, where no Python hook can see inside it, so it is first
    converted to an export program with the first batch as example input
    (``torch._export.converter``, PyTorch's own converter).
    """
    module = loaded.module
    if loaded.kind == "export":
        module = make_observable(module)
        return module, graph_unit_dims(module)
    if loaded.kind == "torchscript":
        try:
            from torch._export.converter import TS2EPConverter

            with warnings.catch_warnings(), quiet_torch_logs():
                warnings.simplefilter("ignore")
                ep = TS2EPConverter(module, (example,)).convert()
            converted = ep.module()
            converted.to(example.device)
        except Exception as exc:
            raise UsageError(
                f"cannot look inside TorchScript model {loaded.source!r} (converting it for "
                f"monitoring failed: {format_exception(exc, 200)}); save it with "
                "torch.export.save, or pass --model pkg.module:factory"
            ) from None
        converted = make_observable(converted)
        return converted, graph_unit_dims(converted)
    return module, {}
