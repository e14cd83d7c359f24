"""The ops registry: one record per activation. It drives dispatch, docstrings and tests.

A record holds everything rectifier knows about one function: its raw ufuncs (the C kernels),
its parameters with defaults and checks, its definition and kink values, the generic array-API
implementation (other libraries), the library-native ops where they match SEMANTICS.md, the
naive NumPy formula (the benchmark's peer), and its accuracy contract. Adding a function is
adding a record; the dispatch code in :mod:`rectifier._dispatch` never changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rectifier import _core, _generic


@dataclass(frozen=True)
class Param:
    """A keyword parameter of an op; ``check`` returns an error text for a bad value, or None."""

    name: str
    default: float
    doc: str
    check: Callable[[float], str | None] = lambda v: None

    def validate(self, func: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(
                f"{func}: {self.name} must be a real number, got {type(value).__name__} "
                f"{value!r}; pass a Python float such as {self.default!r}"
            )
        value = float(value)
        problem = self.check(value)
        if problem is not None:
            raise ValueError(f"{func}: {self.name} must be {problem}, got {value!r}")
        return value


def _unit_interval(v: float) -> str | None:
    return None if math.isfinite(v) and 0.0 <= v <= 1.0 else "a finite number in [0, 1]"


AT_ZERO = Param(
    "at_zero",
    0.0,
    "the derivative used at x == 0, where relu has a kink: 0 (PyTorch, JAX and TF) or any "
    "value in [0, 1]; Bertoin et al. (NeurIPS 2021) show the choice matters in float16/32",
    _unit_interval,
)


@dataclass(frozen=True)
class OpRecord:
    """Everything rectifier knows about one activation function."""

    name: str
    definition: str
    ufunc: np.ufunc
    grad_ufunc: np.ufunc
    backward_ufunc: np.ufunc
    # Parameters of the function itself (trailing ufunc inputs of all three ufuncs).
    params: tuple[Param, ...]
    # Extra parameters of the derivative and backward pass only (e.g. at_zero).
    grad_params: tuple[Param, ...]
    kinks: dict[str, str]
    exact: bool  # values (and derivatives) are exact, not just within the ULP bound
    keeps_integers: bool  # integer input gives the same integer dtype, exactly
    # Generic array-API implementations: f(x, *, xp, **params).
    generic_forward: Callable[..., Any]
    generic_grad: Callable[..., Any]
    generic_backward: Callable[..., Any]
    # Naive NumPy formulas: the benchmark's `numpy` peer. f(*arrays, out=...).
    numpy_forward: Callable[..., Any]
    numpy_grad: Callable[..., Any]
    numpy_backward: Callable[..., Any]
    # torch peers for the benchmark, and native torch forward where it meets SEMANTICS.md.
    torch_forward: Callable[..., Any]
    torch_backward: Callable[..., Any]
    examples: dict[str, str] = field(default_factory=dict)
    ulp_bound: dict[str, int] = field(
        default_factory=lambda: {"float16": 1, "float32": 2, "float64": 4}
    )

    def all_params(self, op: str) -> tuple[Param, ...]:
        """The parameters of ``op`` ('forward', 'grad' or 'backward'), in ufunc input order."""
        return self.params if op == "forward" else self.params + self.grad_params

    def ufunc_for(self, op: str) -> np.ufunc:
        return {"forward": self.ufunc, "grad": self.grad_ufunc, "backward": self.backward_ufunc}[op]


def _torch_relu(x: Any) -> Any:
    import torch

    return torch.relu(x)


def _torch_threshold_backward(g: Any, x: Any) -> Any:
    import torch

    return torch.ops.aten.threshold_backward(g, x, 0)


RELU = OpRecord(
    name="relu",
    definition="max(x, 0)",
    ufunc=_core.relu,
    grad_ufunc=_core.relu_grad,
    backward_ufunc=_core.relu_backward,
    params=(),
    grad_params=(AT_ZERO,),
    kinks={"0": "at_zero (default 0)"},
    exact=True,
    keeps_integers=True,
    generic_forward=_generic.relu,
    generic_grad=_generic.relu_grad,
    generic_backward=_generic.relu_backward,
    numpy_forward=lambda x, out=None: np.maximum(x, 0, out=out),
    numpy_grad=lambda x, out=None: np.greater(x, 0, out=out),
    numpy_backward=lambda g, x, out=None: np.multiply(g, x > 0, out=out),
    torch_forward=_torch_relu,
    torch_backward=_torch_threshold_backward,
    examples={
        "forward": ">>> rectifier.relu([-2, -1, 0, 1, 2])\narray([0, 0, 0, 1, 2])",
        "grad": ">>> rectifier.relu_grad([-2.0, 0.0, 3.0], at_zero=0.5)\narray([0. , 0.5, 1. ])",
        "backward": (
            ">>> rectifier.relu_backward([10.0, 10.0, 10.0], [-1.0, 0.0, 2.0])\n"
            "array([ 0.,  0., 10.])"
        ),
    },
)

#: Every registered op, by name.
REGISTRY: dict[str, OpRecord] = {rec.name: rec for rec in (RELU,)}
