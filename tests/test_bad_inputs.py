"""The bad-input battery: one table, one test, a row per (public function or subcommand, bad input).

Rows cover every function in ``rectifier.__all__``, the raw ``rectifier.ufuncs``, the public
``rectifier.torch`` API and every CLI subcommand, with each kind of bad input that applies: the
wrong type, dtype or shape; an ``out=`` that is read-only, of the wrong shape or dtype, or not an
array; NaN or out-of-range parameters; files that are missing, empty, truncated, of the wrong
format, or object-dtype ``.npy``; a directory given as a file; a path without permission; an
output that exists; a full disk; a model factory that raises; a forward that raises halfway; a
pickle that would run code.

Every row checks four things:

1. the documented exception (its type, and a message naming the function and the argument), or,
   for the CLI, exit code 2 with one line on stderr and no traceback;
2. the inputs unchanged: arrays compared with copies taken before the call, files by hash;
3. no partial output: the listing of the working directory is the same before and after;
4. for models: no hook, pre-hook or TorchFunctionMode left behind, and the weights unchanged.

CLI rows run in-process through ``cli.main`` (fast); the permission rows and a few others run
``python -m rectifier`` in a real subprocess, which proves that no traceback reaches a terminal.

A full disk is simulated: ``os.fdopen`` (what :func:`rectifier._files.atomic_write` opens its
temporary file with) returns a file that takes 64 bytes and then fails with ``ENOSPC``, as a
write on a full file system does; mounting a tiny tmpfs needs privileges CI may not have.

Permission rows: ``chmod 000`` (or a read-only directory) only stops a process without root's
CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH. When the tests run as root, the child process drops those
two capabilities from its bounding set and then execs ``python -m rectifier`` (which so starts
without them), so the kernel refuses the access for real, exactly as for an ordinary user.
Where that cannot be done (root without CAP_SETPCAP) the row is skipped with that reason
printed, never passed silently.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import math
import os
import pickle
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import rectifier
from rectifier import _files, cli, studies, ufuncs
from rectifier._ops import REGISTRY
from rectifier.api import FUNCTIONS
from rectifier.torch import Monitor, Report, rai_init_, recycle, replace_activations

HERE = "tests.test_bad_inputs"
REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- row types


@dataclass(frozen=True)
class Api:
    """``fn(*args, **kwargs)`` raises ``exc``; ``make()`` builds fresh (args, kwargs)."""

    category: str
    name: str
    fn: Callable[..., Any]
    make: Callable[[], tuple[tuple, dict]]
    exc: type[BaseException]
    words: tuple[str, ...]  # each must appear in the message


@dataclass(frozen=True)
class Model:
    """``action(model)`` raises ``exc``; the model keeps its weights, structure and hooks."""

    category: str
    name: str
    make: Callable[[], nn.Module]
    action: Callable[[nn.Module], Any]
    exc: type[BaseException]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Cli:
    """``rectifier ARGV`` (run in the directory of fixture files) exits 2 with one line."""

    category: str
    argv: tuple[str, ...]
    words: tuple[str, ...]
    disk_full: bool = False  # os.fdopen gives a file that fails with ENOSPC after 64 bytes
    patch: Callable[[pytest.MonkeyPatch], None] | None = None
    subprocess: bool = False  # run python -m rectifier for real
    unreadable: tuple[str, ...] = ()  # fixture paths made chmod 000 (subprocess rows only)
    read_only_dirs: tuple[str, ...] = ()  # fixture dirs made chmod 555 (subprocess rows only)
    models_made: bool = False  # the factory's models are checked for hooks and weights
    no_marker: bool = False  # the pickle's marker file must never appear
    env: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- API rows


def _x() -> np.ndarray:
    return np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]] * 2)  # shape (2, 5): prelu's channels are 5


def _arrays(name: str, x: Any) -> tuple:
    """The positional arrays of ``name``: (x,) or (grad, x)."""
    return (
        (np.ones_like(x) if isinstance(x, np.ndarray) else x, x)
        if name.endswith("_backward")
        else (x,)
    )


def _readonly(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    a = np.zeros(shape, dtype)
    a.flags.writeable = False
    return a


# Wrong types and dtypes: every function refuses them with a TypeError naming the argument.
BAD_VALUES: dict[str, Callable[[], Any]] = {
    "str": lambda: np.array(["a", "b"]),
    "object": lambda: np.array([1.0, None], dtype=object),
    "bool": lambda: np.array([True, False]),
    "complex": lambda: np.array([1j, -1j]),
    "datetime": lambda: np.array(["2020-01-01"], dtype="datetime64[D]"),
    "None": lambda: None,
    "dict": lambda: {"x": 1.0},
}

# out= problems: (make out for a float64 result of shape (2, 5), exception, words).
BAD_OUTS: dict[str, tuple[Callable[[], Any], type[BaseException], tuple[str, ...]]] = {
    "read-only": (lambda: _readonly((2, 5)), ValueError, ("out", "read-only")),
    "wrong-shape": (lambda: np.zeros((3, 5)), ValueError, ("out", "shape (3, 5)")),
    "wrong-dtype": (lambda: np.zeros((2, 5), np.int32), TypeError, ("out", "int32")),
    "not-an-array": (lambda: [0.0] * 10, TypeError, ("out", "list")),
}


def _api_rows() -> list[Api]:
    rows: list[Api] = []
    for name in FUNCTIONS:
        fn = getattr(rectifier, name)
        base, _, op = (
            name.rpartition("_")
            if name.endswith(("_grad", "_backward"))
            else (
                name,
                "",
                "forward",
            )
        )
        rec = REGISTRY[base]
        argument = "grad has dtype" if name.endswith("_backward") else "x has dtype"
        for kind, bad in BAD_VALUES.items():
            rows.append(
                Api(
                    "wrong type or dtype",
                    f"{name}-x-{kind}",
                    fn,
                    lambda name=name, bad=bad: (_arrays(name, bad()), {}),
                    TypeError,
                    (name, argument),
                )
            )
        if name.endswith("_backward"):
            rows.append(
                Api(
                    "wrong type or dtype",
                    f"{name}-grad-bool",
                    fn,
                    lambda: ((np.array([True, False]), np.ones(2)), {}),
                    TypeError,
                    (name, "grad", "bool"),
                )
            )
            rows.append(
                Api(
                    "wrong shape",
                    f"{name}-shapes-do-not-broadcast",
                    fn,
                    lambda: ((np.ones(3), np.ones(4)), {}),
                    ValueError,
                    (name, "grad", "x", "(3,)", "(4,)"),
                )
            )
        rows.append(
            Api(
                "wrong type or dtype",
                f"{name}-torch-and-numpy-mixed",
                fn,
                lambda name=name: (
                    (torch.ones(2), np.ones(2)) if name.endswith("_backward") else (torch.ones(2),),
                    {} if name.endswith("_backward") else {"out": np.zeros(2)},
                ),
                TypeError,
                (name,),
            )
        )
        for kind, (make_out, exc, words) in BAD_OUTS.items():
            rows.append(
                Api(
                    "bad out=",
                    f"{name}-out-{kind}",
                    fn,
                    lambda name=name, make_out=make_out: (_arrays(name, _x()), {"out": make_out()}),
                    exc,
                    (name, *words),
                )
            )
        if name not in ("rrelu", "prelu_backward"):  # torch out= (rrelu training, prelu below)
            for kind, make_out, exc, words in (
                ("torch-out-ndarray", lambda: np.zeros(3, np.float32), TypeError, ("out",)),
                ("torch-out-int", lambda: torch.zeros(3, dtype=torch.int32), TypeError, ("out",)),
                ("torch-out-shape", lambda: torch.zeros(4), ValueError, ("out", "shape")),
                ("torch-out-expanded", lambda: torch.zeros(1).expand(3), ValueError, ("out",)),
            ):
                rows.append(
                    Api(
                        "bad out=",
                        f"{name}-{kind}",
                        fn,
                        lambda name=name, make_out=make_out: (
                            _arrays(name, torch.tensor([-1.0, 0.0, 2.0]))
                            if not name.endswith("_backward")
                            else (torch.ones(3), torch.tensor([-1.0, 0.0, 2.0])),
                            {"out": make_out()},
                        ),
                        exc,
                        (name, *words),
                    )
                )
        # Parameters: NaN where not allowed, out of range, not a number.
        for p in rec.all_params(op):
            bad_values = []
            if p.check(math.nan) is not None:
                bad_values.append(("nan", math.nan, ValueError))
            for v in (-1.0, 2.0, 0.0, math.inf):
                if p.check(v) is not None:
                    bad_values.append((repr(v), v, ValueError))
                    break
            bad_values.append(("str", "0.5", TypeError))
            bad_values.append(("bool", True, TypeError))
            for label, value, exc in bad_values:
                rows.append(
                    Api(
                        "bad parameter",
                        f"{name}-{p.name}-{label}",
                        fn,
                        lambda name=name, p=p, value=value: (
                            _arrays(name, _x()),
                            {p.name: value},
                        ),
                        exc,
                        (name, p.name),
                    )
                )
    rows += _special_api_rows()
    return rows


def _special_api_rows() -> list[Api]:
    r = rectifier
    rng = np.random.default_rng
    specs = [
        ("bad parameter", "hardtanh-min-above-max", r.hardtanh, {"min_val": 2.0, "max_val": 1.0},
         ValueError, ("hardtanh", "min_val")),
        ("bad parameter", "hardtanh_backward-min-above-max", r.hardtanh_backward,
         {"min_val": 2.0, "max_val": 1.0}, ValueError, ("hardtanh_backward", "min_val")),
        ("bad parameter", "rrelu-lower-above-upper", r.rrelu, {"lower": 0.5, "upper": 0.1},
         ValueError, ("rrelu", "lower")),
        ("bad parameter", "rrelu_grad-lower-above-upper", r.rrelu_grad,
         {"lower": 0.5, "upper": 0.1}, ValueError, ("rrelu_grad", "lower")),
        ("bad parameter", "rrelu-rng-not-generator", r.rrelu, {"training": True, "rng": 3},
         TypeError, ("rrelu", "rng")),
        ("bad parameter", "rrelu_grad-training-no-slopes", r.rrelu_grad, {"training": True},
         ValueError, ("rrelu_grad", "slopes")),
        ("bad parameter", "rrelu_backward-training-no-slopes", r.rrelu_backward,
         {"training": True}, ValueError, ("rrelu_backward", "slopes")),
        ("bad parameter", "gelu-approximate", r.gelu, {"approximate": "fast"}, ValueError,
         ("gelu", "approximate")),
        ("bad parameter", "gelu_grad-approximate", r.gelu_grad, {"approximate": None},
         ValueError, ("gelu_grad", "approximate")),
        ("bad parameter", "gelu_backward-approximate", r.gelu_backward, {"approximate": 1},
         ValueError, ("gelu_backward", "approximate")),
        ("bad parameter", "prelu-weight-array-nan", r.prelu,
         {"weight": np.array([0.1, np.nan] * 2 + [0.1])}, ValueError, ("prelu", "weight")),
        ("bad parameter", "prelu_grad-weight-array-nan", r.prelu_grad,
         {"weight": np.array([np.nan] * 5)}, ValueError, ("prelu_grad", "weight")),
        ("bad parameter", "prelu_backward-weight-array-nan", r.prelu_backward,
         {"weight": np.array([np.nan] * 5)}, ValueError, ("prelu_backward", "weight")),
        ("wrong shape", "prelu-weight-wrong-length", r.prelu, {"weight": np.ones(3)}, ValueError,
         ("prelu", "weight", "channels")),
        ("wrong shape", "prelu_grad-weight-2d", r.prelu_grad, {"weight": np.ones((5, 1))},
         ValueError, ("prelu_grad", "weight")),
        ("wrong shape", "prelu_backward-weight-wrong-length", r.prelu_backward,
         {"weight": np.ones(2)}, ValueError, ("prelu_backward", "weight")),
        ("wrong shape", "prelu-axis-out-of-range", r.prelu, {"weight": np.ones(5), "axis": 5},
         ValueError, ("prelu", "axis")),
        ("wrong type or dtype", "prelu-weight-array-str", r.prelu, {"weight": np.array(["a"] * 5)},
         TypeError, ("prelu", "weight")),
        ("bad out=", "prelu-array-weight-out-read-only", r.prelu,
         {"weight": np.ones(5), "out": _readonly((2, 5))}, ValueError, ("prelu", "out")),
        ("bad out=", "prelu_backward-array-weight-out-shape", r.prelu_backward,
         {"weight": np.ones(5), "out": np.zeros((5, 2))}, ValueError, ("prelu_backward", "out")),
        ("wrong shape", "rrelu_grad-slopes-wrong-shape", r.rrelu_grad,
         {"training": True, "slopes": np.ones(3)}, ValueError, ("rrelu_grad", "slopes")),
        ("bad out=", "rrelu-training-out-read-only", r.rrelu,
         {"training": True, "rng": rng(0), "out": _readonly((2, 5))}, ValueError,
         ("rrelu", "out")),
    ]  # fmt: skip
    rows = []
    for category, ident, fn, kwargs, exc, words in specs:
        name = fn.__name__
        rows.append(
            Api(
                category,
                ident,
                fn,
                lambda name=name, kwargs=kwargs: (
                    _arrays(name, _x()),
                    {
                        k: (v.copy() if isinstance(v, np.ndarray) and v.flags.writeable else v)
                        for k, v in kwargs.items()
                    },
                ),
                exc,
                words,
            )
        )
    # torch tensors with a per-channel weight or training slopes: the library's own ops, held to
    # the same checks as the NumPy path (never a silent conversion to a NumPy result).
    for kind, ident, fn, make, exc, words in (
        ("bad parameter", "prelu-torch-weight-nan", r.prelu,
         lambda: ((torch.ones(2, 3),), {"weight": torch.tensor([0.1, math.nan, 0.1])}),
         ValueError, ("prelu", "weight")),
        ("wrong shape", "prelu_grad-torch-weight-wrong-length", r.prelu_grad,
         lambda: ((torch.ones(2, 3),), {"weight": np.ones(2)}), ValueError,
         ("prelu_grad", "weight", "channels")),
        ("bad out=", "prelu_backward-torch-out", r.prelu_backward,
         lambda: ((torch.ones(2, 3), torch.ones(2, 3)), {"weight": np.ones(3),
                                                          "out": torch.zeros(2, 3)}),
         TypeError, ("prelu_backward", "out")),
        ("bad out=", "rrelu-training-torch-out", r.rrelu,
         lambda: ((torch.ones(2, 3),), {"training": True, "rng": np.random.default_rng(0),
                                        "out": torch.zeros(2, 3)}),
         TypeError, ("rrelu", "out")),
    ):  # fmt: skip
        rows.append(Api(kind, ident, fn, make, exc, words))
    # set_num_threads / get_num_threads
    for label, value, exc in (
        ("str", "2", TypeError),
        ("float", 2.5, TypeError),
        ("nan", math.nan, TypeError),
        ("bool", True, TypeError),
        ("None", None, TypeError),
        ("zero", 0, ValueError),
        ("negative", -3, ValueError),
        ("huge-negative", -(10**30), ValueError),
    ):
        rows.append(
            Api(
                "wrong type or dtype" if exc is TypeError else "bad parameter",
                f"set_num_threads-{label}",
                rectifier.set_num_threads,
                lambda value=value: ((value,), {}),
                exc,
                ("set_num_threads", "n must"),
            )
        )
    rows.append(
        Api("wrong type or dtype", "get_num_threads-argument", rectifier.get_num_threads,
            lambda: ((1,), {}), TypeError, ("get_num_threads",))
    )  # fmt: skip
    # The raw ufuncs: NumPy's ufunc interface (its texts for out=), our dtype check.
    for uname in ufuncs.__all__:
        uf = getattr(ufuncs, uname)
        n_in = uf.nin
        rows.append(
            Api(
                "wrong type or dtype",
                f"ufuncs.{uname}-str",
                uf,
                lambda n_in=n_in: ((np.array(["a"]),) + (np.ones(1),) * (n_in - 1), {}),
                TypeError,
                (uname, "dtype"),
            )
        )
        rows.append(
            Api(
                "bad out=",
                f"ufuncs.{uname}-out-read-only",
                uf,
                lambda n_in=n_in: ((np.ones(2),) * n_in, {"out": _readonly((2,))}),
                ValueError,
                ("read-only",),
            )
        )
    return rows


# --------------------------------------------------------------------------- model rows


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2))


class HalfwayNet(nn.Module):
    """Its forward runs one ReLU (the monitor has counted it), then raises."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.act = nn.ReLU()
        self.head = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.act(self.fc(x)))
        raise RuntimeError("forward failed halfway")
        return self.head(h)  # pragma: no cover


class UntraceableNet(nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.head = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc(x))
        if h.sum() > 0:
            h = h * 2
        return self.head(h)


class ResidualNet(nn.Module):
    """A ReLU feeding a residual sum: recycle must refuse it (and change nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.ReLU()
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.act(self.fc(x)) + x)


def _dead_report(model: nn.Module) -> Report:
    """A report in which every unit of the model is dead (biases -1e4 while monitoring)."""
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear) and m.out_features != 2:
                m.bias.fill_(-1e4)
        with Monitor(model) as monitor:
            model(torch.randn(8, 4))
        model.load_state_dict(saved)
    return monitor.report()


def _second_call_raises() -> Callable[[nn.Module], nn.Module]:
    calls = []

    def factory(old: nn.Module) -> nn.Module:
        calls.append(old)
        if len(calls) == 2:
            raise RuntimeError("factory failed at the second site")
        return nn.LeakyReLU(0.1)

    return factory


def _run_monitored(model: nn.Module, x: torch.Tensor | None = None, **kwargs: Any) -> None:
    with Monitor(model, **kwargs):
        model(torch.randn(8, 4) if x is None else x)


def _model_rows() -> list[Model]:
    x = torch.randn(8, 4)
    specs = [
        ("wrong type or dtype", "Monitor-not-a-module", _mlp, lambda m: Monitor(m.state_dict()),
         TypeError, ("Monitor", "nn.Module")),
        ("bad parameter", "Monitor-tau-nan", _mlp, lambda m: Monitor(m, tau=math.nan),
         ValueError, ("Monitor", "tau")),
        ("bad parameter", "Monitor-tau-negative", _mlp, lambda m: Monitor(m, tau=-0.5),
         ValueError, ("Monitor", "tau")),
        ("wrong type or dtype", "Monitor-tau-str", _mlp, lambda m: Monitor(m, tau="0.1"),
         TypeError, ("Monitor", "tau")),
        ("bad parameter", "Monitor-every-zero", _mlp, lambda m: Monitor(m, every=0),
         ValueError, ("Monitor", "every")),
        ("wrong type or dtype", "Monitor-every-float", _mlp, lambda m: Monitor(m, every=1.5),
         TypeError, ("Monitor", "every")),
        ("bad parameter", "Monitor.report-tau-nan", _mlp,
         lambda m: Monitor(m).report(tau=math.nan), ValueError, ("report", "tau")),
        ("bad parameter", "Monitor.report-max_dead-nan", _mlp,
         lambda m: Monitor(m).report(max_dead=math.nan), ValueError, ("report", "max_dead")),
        ("bad parameter", "Monitor.report-max_dormant-negative", _mlp,
         lambda m: Monitor(m).report(max_dormant=-1), ValueError, ("report", "max_dormant")),
        ("forward raises", "Monitor-forward-raises-halfway", HalfwayNet, _run_monitored,
         RuntimeError, ("halfway",)),
        ("bad parameter", "Monitor-unit_dims-out-of-range", _mlp,
         lambda m: _run_monitored(m, unit_dims={"1": 7}), ValueError, ("unit_dims", "7")),
        ("wrong shape", "Monitor-input-wrong-shape", _mlp,
         lambda m: _run_monitored(m, torch.randn(8, 5)), RuntimeError, ("shapes",)),
        ("factory raises", "replace_activations-factory-raises-at-second-site", _mlp,
         lambda m: replace_activations(m, _second_call_raises()), RuntimeError,
         ("second site",)),
        ("factory raises", "replace_activations-factory-returns-int", _mlp,
         lambda m: replace_activations(m, lambda old: 3), TypeError,
         ("replace_activations", "factory")),
        ("wrong type or dtype", "replace_activations-factory-not-callable", _mlp,
         lambda m: replace_activations(m, "LeakyReLU"), TypeError,
         ("replace_activations", "factory")),
        ("wrong type or dtype", "replace_activations-model-not-module", _mlp,
         lambda m: replace_activations([m], nn.LeakyReLU), TypeError,
         ("replace_activations", "model")),
        ("bad parameter", "replace_activations-unknown-kind", _mlp,
         lambda m: replace_activations(m, nn.LeakyReLU, kinds=("relu", "swish")), ValueError,
         ("replace_activations", "swish")),
        ("forward raises", "replace_activations-example-forward-raises", HalfwayNet,
         lambda m: replace_activations(m, nn.LeakyReLU, example_inputs=(x,)), RuntimeError,
         ("halfway",)),
        ("wrong type or dtype", "recycle-report-not-report", _mlp,
         lambda m: recycle(m, {"sites": []}), TypeError, ("recycle", "report")),
        ("wrong type or dtype", "recycle-model-not-module", _mlp,
         lambda m: recycle(m.state_dict(), _dead_report(m)), TypeError, ("recycle", "model")),
        ("bad parameter", "recycle-tau-nan", _mlp,
         lambda m: recycle(m, _dead_report(m), tau=math.nan), ValueError, ("recycle", "tau")),
        ("bad parameter", "recycle-tau-negative", _mlp,
         lambda m: recycle(m, _dead_report(m), tau=-1.0), ValueError, ("recycle", "tau")),
        ("bad parameter", "recycle-unknown-site", _mlp,
         lambda m: recycle(m, _dead_report(m), sites=["nope#0"]), ValueError,
         ("recycle", "nope#0")),
        ("wrong type or dtype", "recycle-optimizer-not-optimizer", _mlp,
         lambda m: recycle(m, _dead_report(m), tau=0.0, optimizer=m.parameters()), TypeError,
         ("recycle", "optimizer")),
        ("wrong type or dtype", "recycle-generator-not-generator", _mlp,
         lambda m: recycle(m, _dead_report(m), tau=0.0, generator=0), TypeError,
         ("recycle", "generator")),
        ("bad parameter", "recycle-refuses-residual", ResidualNet,
         lambda m: recycle(m, _dead_report(m), tau=0.0), ValueError, ("recycle", "residual")),
        ("bad parameter", "recycle-untraceable", UntraceableNet,
         lambda m: recycle(m, _dead_report(m), tau=0.0), ValueError, ("recycle",)),
        ("wrong type or dtype", "Monitor-unit_dims-not-a-mapping", _mlp,
         lambda m: Monitor(m, unit_dims=[1]), TypeError, ("Monitor", "unit_dims")),
        ("wrong type or dtype", "Monitor-unit_dims-str-dim", _mlp,
         lambda m: Monitor(m, unit_dims={"1": "1"}), TypeError, ("Monitor", "unit_dims")),
        ("wrong type or dtype", "Monitor-distributed-str", _mlp,
         lambda m: Monitor(m, distributed="yes"), TypeError, ("Monitor", "distributed")),
        ("bad parameter", "Report.from_sites-tau-nan", _mlp,
         lambda m: Report.from_sites([], tau=math.nan), ValueError, ("from_sites", "tau")),
        ("wrong type or dtype", "Report.from_sites-not-sites", _mlp,
         lambda m: Report.from_sites([m], tau=0.1), TypeError, ("from_sites", "SiteReport")),
        ("wrong type or dtype", "Report.from_dict-not-a-report", _mlp,
         lambda m: Report.from_dict({"sites": []}), KeyError, ("tau",)),
        ("bad parameter", "studies.run-unknown-study", _mlp,
         lambda m: studies.run("nope"), KeyError, ("nope", "born-dead")),
        ("bad parameter", "studies.run-unknown-option", _mlp,
         lambda m: studies.run("cost", quick=True, colour="red"), TypeError, ("cost", "colour")),
        ("bad parameter", "studies.run-trials-too-few", _mlp,
         lambda m: studies.run("born-dead", quick=True, trials=3), ValueError, ("trials",)),
        ("wrong type or dtype", "studies.run-threads-str", _mlp,
         lambda m: studies.run("cost", threads="2"), TypeError, ("threads",)),
        ("bad parameter", "studies.run-threads-zero", _mlp,
         lambda m: studies.run("cost", threads=0), ValueError, ("threads",)),
        ("wrong type or dtype", "rai_init_-model-not-module", _mlp,
         lambda m: rai_init_(list(m.children())), TypeError, ("rai_init_", "model")),
        ("wrong type or dtype", "rai_init_-generator-not-generator", _mlp,
         lambda m: rai_init_(m, generator=np.random.default_rng(0)), TypeError,
         ("rai_init_", "generator")),
    ]  # fmt: skip
    return [Model(*spec) for spec in specs]


def _all_hooks(model: nn.Module) -> list[tuple[str, int]]:
    hooks = []
    for path, m in model.named_modules():
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                     "_backward_pre_hooks"):  # fmt: skip
            hooks += [(f"{path}.{attr}", k) for k in getattr(m, attr)]
    return hooks


def _global_hook_state() -> tuple:
    mod = torch.nn.modules.module
    return (
        tuple(mod._global_forward_hooks),
        tuple(mod._global_forward_pre_hooks),
        tuple(mod._global_backward_hooks),
        len(torch.overrides._get_current_function_mode_stack()),
    )


def _structure(model: nn.Module) -> list[tuple[str, type, int]]:
    return [(path, type(m), id(m)) for path, m in model.named_modules()]


# --------------------------------------------------------------------------- CLI fixture files


class Evil:
    """Unpickling this creates a marker file: proof that the pickle ran."""

    def __reduce__(self):
        return (open, ("PWNED", "w"))


def make_files(d: Path) -> None:
    """The fixture files every CLI row may name, in the current directory ``d``."""
    x = np.linspace(-3.0, 3.0, 24).reshape(6, 4)
    np.save(d / "x.npy", x)
    np.savez(d / "x.npz", a=x, b=-x)
    (d / "x.csv").write_text("-1,2\n3,-4\n" * 20)  # over the 64 bytes a full disk takes
    (d / "empty.npy").write_bytes(b"")
    (d / "empty.npz").write_bytes(b"")
    (d / "empty.csv").write_text("")
    raw = (d / "x.npy").read_bytes()
    (d / "trunc.npy").write_bytes(raw[: len(raw) - 40])
    rawz = (d / "x.npz").read_bytes()
    (d / "trunc.npz").write_bytes(rawz[: len(rawz) // 2])
    (d / "text.npy").write_text("this is not an array\n")
    (d / "text.npz").write_text("this is not an archive\n")
    (d / "letters.csv").write_text("1,2\nthree,4\n")
    (d / "binary.csv").write_bytes(b"\xff\xfe\x00\x01")
    np.save(d / "obj.npy", np.array([1.0, None], dtype=object), allow_pickle=True)
    np.savez(d / "obj.npz", a=np.array([1.0, None], dtype=object))
    evil = np.empty(1, dtype=object)
    evil[0] = Evil()
    np.save(d / "evil_obj.npy", evil, allow_pickle=True)
    np.savez(d / "evil_obj.npz", a=evil)
    np.save(d / "bool.npy", np.array([True, False]))
    np.save(d / "complex.npy", np.array([1j]))
    np.save(d / "nan.npy", np.full((6, 4), np.nan))
    (d / "x.dat").write_bytes(raw)
    (d / "adir.npy").mkdir()
    (d / "adir.npz").mkdir()
    (d / "adir.csv").mkdir()
    (d / "adir.pt").mkdir()
    (d / "images").mkdir()  # a data folder with no class sub-folders
    (d / "outdir").mkdir()  # a writable folder for outputs
    (d / "ro").mkdir()  # made read-only by the permission rows
    (d / "exists.npy").write_bytes(b"keep me")
    (d / "exists.npz").write_bytes(b"keep me")
    (d / "exists.csv").write_bytes(b"keep me")
    (d / "exists.png").write_bytes(b"keep me")
    (d / "exists.html").write_bytes(b"keep me")
    torch.save(good_factory().state_dict(), d / "weights.pt")
    torch.save({"fc.weight": torch.zeros(3, 3)}, d / "wrong_weights.pt")
    rawt = (d / "weights.pt").read_bytes()
    (d / "trunc.pt").write_bytes(rawt[: len(rawt) // 2])
    (d / "empty.pt").write_bytes(b"")
    (d / "text.pt").write_text("not a model\n")
    torch.save({"model": Evil()}, d / "evil.pt")
    with open(d / "evil.pkl", "wb") as f:
        pickle.dump(Evil(), f)
    (d / "noperm.npy").write_bytes(raw)
    (d / "noperm.pt").write_bytes(rawt)


# Models the doctor's factories made in this process: checked for hooks and weights after a row.
MADE: list[tuple[nn.Module, dict[str, torch.Tensor], list]] = []


def _made(model: nn.Module) -> nn.Module:
    MADE.append((model, {k: v.clone() for k, v in model.state_dict().items()}, _all_hooks(model)))
    return model


def good_factory() -> nn.Module:
    torch.manual_seed(0)
    return _made(nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)))


def raising_factory() -> nn.Module:
    raise RuntimeError("the factory failed")


def int_factory() -> int:
    return 3


class FailsOnSecondBatch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.act = nn.ReLU()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        h = self.act(self.fc(x))  # the monitor has counted this site when we raise
        if self.calls == 2:
            raise RuntimeError("forward failed halfway through batch 2")
        return h


def halfway_factory() -> nn.Module:
    torch.manual_seed(0)
    return _made(FailsOnSecondBatch())


def data_raises() -> Any:
    raise OSError("the data server is down")


def data_strings() -> Any:
    return iter(["a", "b"])


# --------------------------------------------------------------------------- CLI rows


def _full_disk_fdopen(real: Callable[..., Any]) -> Callable[..., Any]:
    class FullDisk(io.RawIOBase):
        """A file that takes 64 bytes (so a partial file exists), then fails like a full disk."""

        def __init__(self, f: Any) -> None:
            self._f, self._left = f, 64

        def write(self, data: Any) -> int:
            n = len(data) if isinstance(data, str) else memoryview(data).nbytes
            if n > self._left:
                self._f.write(data[: self._left])
                self._left = 0
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self._left -= n
            return self._f.write(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._f, name)

        def writable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return self._f.seekable()

        def seek(self, *a: Any) -> int:
            return self._f.seek(*a)

        def tell(self) -> int:
            return self._f.tell()

        def flush(self) -> None:
            if not self._f.closed:
                self._f.flush()

        def fileno(self) -> int:
            return self._f.fileno()

        def close(self) -> None:
            self._f.close()
            super().close()

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return FullDisk(real(fd, *args, **kwargs))

    return fdopen


def _stub_study(monkeypatch: pytest.MonkeyPatch) -> None:
    """A study that takes no time, so the full-disk row tests only the writing of its figure."""
    from types import SimpleNamespace

    from rectifier import studies

    def figure() -> Any:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1])
        return fig

    monkeypatch.setattr(
        studies,
        "run",
        lambda name, **kw: SimpleNamespace(name=name, figure=figure, numbers={}, verdict=""),
    )


D = ("doctor", "--model")
R = ("--random-inputs", "4")
FACTORY = f"{HERE}:good_factory"


def _cli_rows() -> list[Cli]:
    rows = []

    def add(category: str, *argv: str, words: tuple[str, ...] = (), **kw: Any) -> None:
        rows.append(Cli(category, tuple(argv), words, **kw))

    # -- apply
    add("missing file", "apply", "missing.npy", "-o", "outdir/y.npy", words=("does not exist",))
    add("missing file", "apply", "-i", "missing.csv", words=("does not exist",))
    add("empty file", "apply", "empty.npy", "-o", "outdir/y.npy", words=("empty",))
    add("empty file", "apply", "empty.npz", "-o", "outdir/y.npz", words=("empty",))
    add("empty file", "apply", "empty.csv", words=("no numbers",))
    add("truncated file", "apply", "trunc.npy", "-o", "outdir/y.npy", words=("truncated",))
    add("truncated file", "apply", "trunc.npz", "-o", "outdir/y.npz", words=("trunc.npz",))
    add("wrong format", "apply", "text.npy", "-o", "outdir/y.npy", words=("not a .npy",))
    add("wrong format", "apply", "text.npz", "-o", "outdir/y.npz", words=("not an .npz",))
    add("wrong format", "apply", "letters.csv", words=("three", "not a number"))
    add("wrong format", "apply", "binary.csv", words=("not a text file",))
    add("wrong format", "apply", "x.dat", words=("unknown input format",))
    add("wrong format", "apply", "x.npy", "-o", "outdir/y.csv", words=(".npy",))
    add("object .npy", "apply", "obj.npy", "-o", "outdir/y.npy", words=("object", "pickle"))
    add("object .npy", "apply", "obj.npz", "-o", "outdir/y.npz", words=("object", "pickle"))
    add("wrong type or dtype", "apply", "bool.npy", "-o", "outdir/y.npy", words=("bool",))
    add("wrong type or dtype", "apply", "complex.npy", "-o", "outdir/y.npy", words=("complex",))
    add("wrong type or dtype", "apply", "--", "1", "two", words=("two",))
    add("directory as file", "apply", "adir.npy", "-o", "outdir/y.npy", words=("directory",))
    add("directory as file", "apply", "-i", "adir.csv", words=("directory",))
    add("output exists", "apply", "x.npy", "-o", "exists.npy", words=("exists", "--force"))
    add("output exists", "apply", "x.npz", "-o", "exists.npz", words=("exists", "--force"))
    add("output exists", "apply", "x.csv", "-o", "exists.csv", words=("exists", "--force"))
    add("output exists", "apply", "x.npy", "-o", "adir.npy", words=("directory",))
    add("output exists", "apply", "x.npy", "-o", "nodir/y.npy", words=("does not exist",))
    add("bad parameter", "apply", "x.npy", "-o", "outdir/y.npy", "--function", "leaky_relu",
        "--param", "negative_slope=nan", words=("negative_slope",))  # fmt: skip
    add("bad parameter", "apply", "x.npy", "-o", "outdir/y.npy", "--function", "softplus",
        "--param", "beta=-1", words=("beta",))  # fmt: skip
    add("bad parameter", "apply", "x.npz", "-o", "outdir/y.npz", "--function", "celu",
        "--param", "alpha=0", words=("alpha",))  # fmt: skip
    add("bad parameter", "apply", "x.csv", "--function", "hardtanh", "--param", "min_val=nan",
        words=("min_val",))  # fmt: skip
    add("bad parameter", "apply", "--grad", "--at-zero", "nan", "--", "1", words=("at_zero",))
    add("bad parameter", "apply", "--grad", "--at-zero", "-0.5", "--", "1", words=("at_zero",))
    add("bad parameter", "apply", "--function", "elu", "--param", "alpha=abc", "--", "1",
        words=("abc",))  # fmt: skip
    add("bad parameter", "apply", "--param", "slope=1", "--", "1", words=("slope",))
    add("bad parameter", "apply", "--function", "swish", "--", "1", words=("swish",))
    for kind in ("npy", "npz", "csv"):
        add("full disk", "apply", f"x.{kind}", "-o", f"outdir/y.{kind}", disk_full=True,
            words=("No space left", f"y.{kind}"))  # fmt: skip
    # -- doctor: models
    add("missing file", *D, "missing.pt", *R, words=("not found",))
    add("empty file", *D, "empty.pt", *R, words=("empty.pt", "empty (0 bytes)"))
    add("truncated file", *D, "trunc.pt", *R, words=("trunc.pt", "truncated zip"))
    add("wrong format", *D, "text.pt", *R, words=("text.pt", "neither a zip archive nor"))
    add("wrong format", *D, "x.npy", *R, words=("x.npy", "NumPy .npy array"))
    add("directory as file", *D, "adir.pt", *R, words=("directory",))
    add("pickle runs code", *D, "evil.pt", *R, words=("--trust-pickle",), no_marker=True)
    add("pickle runs code", *D, "evil.pkl", *R, words=("--trust-pickle",), no_marker=True)
    add("pickle runs code", *D, FACTORY, "--weights", "evil.pt", *R, words=("pickled",),
        no_marker=True, models_made=True)  # fmt: skip
    add("pickle runs code", "apply", "evil_obj.npy", "-o", "outdir/y.npy", words=("pickle",),
        no_marker=True)  # fmt: skip
    add("pickle runs code", "apply", "evil_obj.npz", "-o", "outdir/y.npz", words=("pickle",),
        no_marker=True)  # fmt: skip
    add("pickle runs code", *D, FACTORY, "--data", "evil_obj.npy", words=("pickle",),
        no_marker=True, models_made=True)  # fmt: skip
    add("pickle runs code", *D, FACTORY, "--data", "evil_obj.npz", words=("pickle",),
        no_marker=True, models_made=True)  # fmt: skip
    add("factory raises", *D, f"{HERE}:raising_factory", *R, words=("factory", "failed"))
    add("factory raises", *D, f"{HERE}:int_factory", *R, words=("not a torch.nn.Module",))
    add("factory raises", *D, f"{HERE}:no_such_factory", *R, words=("no attribute",))
    add("factory raises", *D, "no_such_module_xyz:factory", *R, words=("cannot import",))
    add("forward raises", *D, f"{HERE}:halfway_factory", "--data", "x.npy", "--batch-size", "2",
        words=("batch 2", "halfway"), models_made=True)  # fmt: skip
    add("wrong shape", *D, FACTORY, "--random-inputs", "5", words=("does not accept",),
        models_made=True)  # fmt: skip
    add("wrong shape", *D, FACTORY, "--weights", "wrong_weights.pt", *R,
        words=("do not fit", "Missing key"), models_made=True)  # fmt: skip
    add("missing file", *D, FACTORY, "--weights", "missing.pt", *R, words=("not found",),
        models_made=True)  # fmt: skip
    add("wrong format", *D, FACTORY, "--weights", "text.pt", *R, words=("not a state dict",),
        models_made=True)  # fmt: skip
    add("directory as file", *D, FACTORY, "--weights", "adir.pt", *R, words=("directory",),
        models_made=True)  # fmt: skip
    # -- doctor: data
    add("missing file", *D, FACTORY, "--data", "missing.npy", words=("not found",),
        models_made=True)  # fmt: skip
    add("empty file", *D, FACTORY, "--data", "empty.npy", words=("empty",), models_made=True)
    add("empty file", *D, FACTORY, "--data", "empty.npz", words=("empty (0",), models_made=True)
    add("truncated file", *D, FACTORY, "--weights", "trunc.pt", *R, words=("truncated zip",),
        models_made=True)  # fmt: skip
    add("wrong format", *D, FACTORY, "--weights", "x.npy", *R, words=("NumPy .npy",),
        models_made=True)  # fmt: skip
    add("truncated file", *D, FACTORY, "--data", "trunc.npy", words=("trunc.npy",),
        models_made=True)  # fmt: skip
    add("truncated file", *D, FACTORY, "--data", "trunc.npz", words=("trunc.npz",),
        models_made=True)  # fmt: skip
    add("wrong format", *D, FACTORY, "--data", "text.npy", words=("not a .npy",),
        models_made=True)  # fmt: skip
    add("wrong format", *D, FACTORY, "--data", "nan.npy", words=("NaN",), models_made=True)
    add("wrong format", *D, FACTORY, "--data", f"{HERE}:data_strings", words=("str",),
        models_made=True)  # fmt: skip
    add("factory raises", *D, FACTORY, "--data", f"{HERE}:data_raises", words=("server",),
        models_made=True)  # fmt: skip
    add("object .npy", *D, FACTORY, "--data", "obj.npy", words=("object",), models_made=True)
    add("object .npy", *D, FACTORY, "--data", "obj.npz", words=("object",), models_made=True)
    add("directory as file", *D, FACTORY, "--data", "images", words=("no class",),
        models_made=True)  # fmt: skip
    add("output exists", *D, FACTORY, *R, "--html", "exists.html", words=("exists",))
    add("output exists", *D, FACTORY, *R, "--html", "adir.npy", words=("directory",))
    add("full disk", *D, FACTORY, *R, "--html", "outdir/r.html", disk_full=True,
        words=("No space left", "r.html"), models_made=True)  # fmt: skip
    add("bad parameter", *D, FACTORY, *R, "--tau", "nan", words=("--tau",))
    add("bad parameter", *D, FACTORY, *R, "--max-dead", "-1", words=("--max-dead",))
    add("bad parameter", *D, FACTORY, *R, "--batch-size", "0", words=("--batch-size",))
    add("bad parameter", *D, FACTORY, "--random-inputs", "4x-1", words=("--random-inputs",))
    add("bad parameter", *D, FACTORY, *R, "--device", "tpu:9", words=("tpu",))
    add("bad parameter", "doctor", "--weights", "weights.pt", words=("--model",))
    # -- study, bench, plot
    add("bad parameter", "study", "nope", words=("unknown study",))
    add("bad parameter", "study", "born-dead", "--trials", "5", words=("--trials",))
    add("bad parameter", "study", "born-dead", "--threads", "0", words=("--threads",))
    add("bad parameter", "study", "born-dead", "--seed", "x", words=("--seed",))
    add("output exists", "study", "relu-prime", "--png", "exists.png", words=("exists",))
    add("bad parameter", "study", "list", "--png", "outdir/f.png", words=("writes no file",))
    add("output exists", "study", "all", "--html", "adir.npy", words=("directory",))
    add("output exists", "study", "relu-prime", "--png", "nodir/f.png", words=("does not exist",))
    add("full disk", "study", "relu-prime", "--png", "outdir/f.png", disk_full=True,
        patch=_stub_study, words=("No space left", "f.png"))  # fmt: skip
    add("bad parameter", "bench", "--sizes", "-5", words=("--sizes",))
    add("bad parameter", "bench", "--sizes", "1e3", words=("--sizes",))
    add("bad parameter", "bench", "--repeats", "0", words=("--repeats",))
    add("bad parameter", "bench", "--dtype", "int8", words=("int8",))
    add("bad parameter", "bench", "--function", "swish", words=("swish",))
    add("bad parameter", "bench", "--op", "sideways", words=("sideways",))
    add("output exists", "plot", "-o", "exists.png", words=("exists", "--force"))
    add("output exists", "plot", "-o", "adir.npy", words=("directory",))
    add("output exists", "plot", "-o", "nodir/p.png", words=("does not exist",))
    add("full disk", "plot", "-o", "outdir/p.png", disk_full=True, words=("No space left",))
    add("bad parameter", "nope", words=("invalid choice",))
    # -- real subprocesses: no traceback reaches the terminal; permissions checked by the kernel
    add("no permission", "apply", "noperm.npy", "-o", "outdir/y.npy", subprocess=True,
        unreadable=("noperm.npy",), words=("Permission denied", "noperm.npy"))  # fmt: skip
    add("no permission", "apply", "x.npy", "-o", "ro/y.npy", subprocess=True,
        read_only_dirs=("ro",), words=("Permission denied", "ro/y.npy"))  # fmt: skip
    add("no permission", *D, "noperm.pt", *R, subprocess=True, unreadable=("noperm.pt",),
        words=("noperm.pt",))  # fmt: skip
    add("no permission", *D, "torch.nn:ReLU", "--data", "noperm.npy", subprocess=True,
        unreadable=("noperm.npy",), words=("noperm.npy",))  # fmt: skip
    add("no permission", "plot", "-o", "ro/p.png", subprocess=True, read_only_dirs=("ro",),
        words=("Permission denied", "ro/p.png"))  # fmt: skip
    add("truncated file", "apply", "trunc.npy", "-o", "outdir/y.npy", subprocess=True,
        words=("truncated",))  # fmt: skip
    add("pickle runs code", *D, "evil.pt", *R, subprocess=True, words=("--trust-pickle",),
        no_marker=True)  # fmt: skip
    return rows


# --------------------------------------------------------------------------- the table

ROWS: list[Api | Model | Cli] = [*_api_rows(), *_model_rows(), *_cli_rows()]


def _row_id(row: Api | Model | Cli) -> str:
    if isinstance(row, Cli):
        return (
            "cli-"
            + "-".join(a.replace("/", "_") for a in row.argv)
            + ("-diskfull" if row.disk_full else "")
            + ("-subprocess" if row.subprocess else "")
        )
    return f"{type(row).__name__.lower()}-{row.name}"


def test_row_ids_are_unique():
    ids = [_row_id(r) for r in ROWS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_public_function_and_subcommand_has_rows():
    api_names = {r.fn.__name__ for r in ROWS if isinstance(r, Api)}
    public = {n for n in rectifier.__all__ if callable(getattr(rectifier, n))}
    assert public <= api_names, public - api_names
    assert set(ufuncs.__all__) <= api_names
    torch_names = {n.split("-")[0].split(".")[0] for n in (r.name for r in ROWS
                   if isinstance(r, Model))}  # fmt: skip
    assert {"Monitor", "Report", "replace_activations", "recycle", "rai_init_", "studies"} <= (
        torch_names
    )
    commands = {r.argv[0] for r in ROWS if isinstance(r, Cli)}
    assert set(cli.COMMANDS) <= commands


def _snapshot(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ("ndarray", value.copy(), value.flags.writeable)
    if isinstance(value, torch.Tensor):
        return ("tensor", value.detach().clone())
    return None


def _unchanged(before: Any, value: Any) -> bool:
    if before is None:
        return True
    if before[0] == "ndarray":
        same = (
            value.dtype == before[1].dtype
            and value.shape == before[1].shape
            and value.flags.writeable == before[2]
        )
        if value.dtype.kind in "fc":
            return same and np.array_equal(value, before[1], equal_nan=True)
        return same and np.array_equal(value, before[1])
    # NaN == NaN here, as for NumPy above (a NaN parameter row must still count as unchanged).
    return value.dtype == before[1].dtype and bool(
        torch.equal(value.isnan(), before[1].isnan())
        and torch.equal(value.nan_to_num(0.0), before[1].nan_to_num(0.0))
    )


def _check_api(row: Api) -> None:
    args, kwargs = row.make()
    values = [*args, *kwargs.values()]
    before = [_snapshot(v) for v in values]
    with pytest.raises(row.exc) as info:
        row.fn(*args, **kwargs)
    message = str(info.value)
    for word in row.words:
        assert word in message, f"{word!r} not in {message!r}"
    for b, v in zip(before, values, strict=True):
        assert _unchanged(b, v), "an input or out= was modified"


def _check_model(row: Model) -> None:
    model = row.make()
    # The user's own hook must survive, and be the only one left.
    model.register_forward_hook(lambda m, a, o: None)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    hooks, structure, training = _all_hooks(model), _structure(model), model.training
    global_state = _global_hook_state()
    with pytest.raises(row.exc) as info:
        row.action(model)
    message = str(info.value)
    for word in row.words:
        assert word in message, f"{word!r} not in {message!r}"
    assert _all_hooks(model) == hooks, "hooks left behind"
    assert _global_hook_state() == global_state, "a global hook or TorchFunctionMode left behind"
    assert _structure(model) == structure, "modules replaced"
    assert model.training == training
    state = model.state_dict()
    assert state.keys() == weights.keys()
    for k, v in weights.items():
        assert torch.equal(state[k], v), f"weight {k} changed"


def _tree(d: Path) -> dict[str, tuple]:
    """Every path under ``d``: (size, mtime, sha256 or None where unreadable)."""
    out = {}
    for root, dirs, files in os.walk(d):
        for name in dirs + files:
            p = Path(root, name)
            st = p.lstat()
            if stat.S_ISDIR(st.st_mode):
                # A directory's mtime moves when a temporary file comes and goes: its listing
                # (the other keys) is what must not change.
                out[str(p.relative_to(d))] = ("dir",)
                continue
            digest = None
            if stat.S_ISREG(st.st_mode):
                with contextlib.suppress(PermissionError):
                    digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[str(p.relative_to(d))] = (st.st_size, st.st_mtime_ns, digest)
    return out


# Run by the child itself, then exec'd into ``python -m rectifier`` (no preexec_fn: forking a
# process that has threads is unsafe). Exit 77: the capabilities could not be dropped.
_DROP_DAC_AND_EXEC = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
        print(os.strerror(ctypes.get_errno()), file=sys.stderr)
        sys.exit(77)
os.execv(sys.executable, [sys.executable, "-m", "rectifier", *sys.argv[1:]])
"""


def _run_subprocess(row: Cli, d: Path) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", **row.env}
    launcher = ["-m", "rectifier"]
    if os.geteuid() == 0 and (row.unreadable or row.read_only_dirs):
        # Root ignores file modes: give up that power first, so the kernel refuses for real.
        launcher = ["-c", _DROP_DAC_AND_EXEC]
    proc = subprocess.run(
        [sys.executable, *launcher, *row.argv],
        cwd=d,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode == 77:
        pytest.skip(
            f"running as root and cannot drop CAP_DAC_OVERRIDE ({proc.stderr.strip()}): the "
            "kernel would grant every permission, so no permission error can be produced"
        )
    return proc.returncode, proc.stdout, proc.stderr


def _check_cli(row: Cli, d: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    make_files(d)
    for name in row.unreadable:
        (d / name).chmod(0)
    for name in row.read_only_dirs:
        (d / name).chmod(0o555)
    before = _tree(d)
    MADE.clear()
    try:
        if row.subprocess:
            code, out, err = _run_subprocess(row, d)
        else:
            monkeypatch.chdir(d)
            if row.patch is not None:
                row.patch(monkeypatch)
            if row.disk_full:
                monkeypatch.setattr(_files.os, "fdopen", _full_disk_fdopen(os.fdopen))
            code = cli.main(list(row.argv))
            monkeypatch.undo()
            out, err = capsys.readouterr()
    finally:
        for name in (*row.unreadable, *row.read_only_dirs):
            (d / name).chmod(0o755)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rectifier: error: "), err
    for word in row.words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    after = _tree(d)
    assert after == before, "files changed, or a partial output was left behind"
    if row.no_marker:
        assert not (d / "PWNED").exists(), "the pickle ran"
    if row.models_made:
        assert MADE, "the factory was never called"
        for model, weights, hooks in MADE:
            assert _all_hooks(model) == hooks, "hooks left behind"
            for k, v in weights.items():
                assert torch.equal(model.state_dict()[k], v), f"weight {k} changed"
    assert len(torch.overrides._get_current_function_mode_stack()) == 0


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_bad_input(row: Api | Model | Cli, tmp_path: Path, capsys: Any, monkeypatch: Any):
    if isinstance(row, Api):
        _check_api(row)
    elif isinstance(row, Model):
        _check_model(row)
    else:
        _check_cli(row, tmp_path, capsys, monkeypatch)


def test_row_counts(capsys):
    """Print the rows per category (the issue's report asks for them); each category is used."""
    counts: dict[str, int] = {}
    for row in ROWS:
        counts[row.category] = counts.get(row.category, 0) + 1
    with capsys.disabled():
        print(f"\nbad-input rows: {len(ROWS)}")
        for category, n in sorted(counts.items()):
            print(f"  {category}: {n}")
    expected = {
        "wrong type or dtype", "wrong shape", "bad out=", "bad parameter", "missing file",
        "empty file", "truncated file", "wrong format", "object .npy", "directory as file",
        "no permission", "output exists", "full disk", "factory raises", "forward raises",
        "pickle runs code",
    }  # fmt: skip
    assert set(counts) == expected
