"""The public functions: ``relu``, ``relu_grad``, ``relu_backward`` (and the family to come).

Each works on NumPy, PyTorch, JAX, CuPy and Dask arrays and on any array-API array, and follows
the numeric contract in SEMANTICS.md. The docstrings are built from the ops registry, so the
documentation of every function says the same things in the same place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from rectifier import _core, _dispatch
from rectifier._ops import RELU, OpRecord

F = TypeVar("F", bound=Callable[..., Any])

_ROLE = {
    "forward": "{definition}, elementwise.",
    "grad": "The derivative of {name}, elementwise: d/dx {definition}.",
    "backward": (
        "The fused backward pass of {name}: ``grad * {name}'(x)`` in one pass over memory.\n\n"
        "A select, not a multiply: a NaN or inf in ``grad`` passes only where the derivative is\n"
        "non-zero (as in PyTorch, JAX and TF); a NaN in ``x`` gives NaN."
    ),
}


def _document(rec: OpRecord, op: str) -> Callable[[F], F]:
    """Build the docstring of ``op`` of ``rec`` from the registry."""

    def decorate(f: F) -> F:
        lines = [_ROLE[op].format(name=rec.name, definition=rec.definition), ""]
        params = rec.all_params(op)
        if params:
            lines += ["Parameters (keyword-only)", "-------------------------"]
            for p in params:
                lines += [f"{p.name} : float, default {p.default!r}", f"    {p.doc}"]
            lines.append("")
        if op != "forward" and rec.kinks:
            kinks = "; ".join(f"at x = {k}: {v}" for k, v in rec.kinks.items())
            lines += [f"Kinks: {kinks}.", ""]
        lines += [
            "Works on NumPy (a ufunc: broadcasting, ``out=``), PyTorch (autograd and device kept),",
            "JAX, CuPy, Dask (stays lazy) and array-API arrays. float16, float32 and float64",
            "keep their dtype"
            + ("; integers are kept and exact." if rec.keeps_integers and op == "forward"
               else "; integers become float64."),
            "",
            "Examples",
            "--------",
            ">>> import rectifier",
            rec.examples[op],
        ]
        f.__doc__ = "\n".join(lines)
        return f

    return decorate


@_document(RELU, "forward")
def relu(x: Any, /, *, out: Any = None) -> Any:
    # NumPy arrays skip the dispatch: this is the hot path for small arrays.
    if type(x) is np.ndarray and (out is None or type(out) is np.ndarray):
        return _core.relu(x, out=out)
    return _dispatch.apply(RELU, "forward", (x,), ("x",), {}, out)


@_document(RELU, "grad")
def relu_grad(x: Any, /, *, at_zero: float = 0.0, out: Any = None) -> Any:
    return _dispatch.apply(RELU, "grad", (x,), ("x",), {"at_zero": at_zero}, out)


@_document(RELU, "backward")
def relu_backward(grad: Any, x: Any, /, *, at_zero: float = 0.0, out: Any = None) -> Any:
    return _dispatch.apply(RELU, "backward", (grad, x), ("grad", "x"), {"at_zero": at_zero}, out)
