"""torch tensors through rectifier's ops: the C ufuncs on the CPU, the generic implementation
elsewhere, and autograd through rectifier's own backward.

- CPU tensors of a NumPy dtype share their memory with NumPy (``Tensor.numpy``), so the ufuncs
  run on them without a copy: the same bits as for NumPy arrays, in every dtype.
- Other devices (CUDA, MPS, XLA) and dtypes (bfloat16) take the generic array-API
  implementation, computed in float64 for float16 and float32 (see ``_dispatch.run_generic``).
- A forward pass that autograd records is a ``torch.autograd.Function`` whose backward is
  rectifier's ``f_backward``. Differentiating torch's ops through the formulas would give
  the wrong value at the kinks (elu'(0) = 1/2 from torch.minimum's tie rule, where
  SEMANTICS.md says alpha) and NaN at infinities. Where the gradient is itself to be
  differentiated (``create_graph=True``), it is built from the generic formulas' torch ops.

This module imports torch, so it is only imported once the caller has passed a tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from rectifier import _backends as B
from rectifier import _dispatch
from rectifier._ops import OpRecord

# torch dtypes whose tensors NumPy can view (bool is refused before this point).
_NUMPY_DTYPES = frozenset({
    torch.float16, torch.float32, torch.float64,
    torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8,
})


def run(rec: OpRecord, op: str, arrays: tuple[Any, ...], names: tuple[str, ...],
        values: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    """``op`` of ``rec`` on ``arrays`` (tensors, or Python numbers), as a tensor."""
    tensors = [a for a in arrays if isinstance(a, torch.Tensor)]
    if not (torch.is_grad_enabled() and any(t.requires_grad for t in tensors)):
        return _value(rec, op, arrays, names, values, kw)
    if op != "forward":
        # A derivative form that autograd records (a second derivative is wanted): torch's
        # autograd through the generic formulas.
        return _dispatch.run_generic(rec, op, arrays, kw, B.TORCH)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return _value(rec, "forward", (x,), names, values, kw)

    backward_values = values + tuple(p.default for p in rec.grad_params)
    backward_kw = kw | {p.name: p.default for p in rec.grad_params}

    def backward(grad: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            # create_graph=True: the gradient itself is to be differentiated, so it is built
            # from torch's ops (the generic formulas), which autograd can follow
            return _dispatch.run_generic(rec, "backward", (grad, x), backward_kw, B.TORCH)
        return _value(rec, "backward", (grad, x), ("grad", *names), backward_values,
                      backward_kw)

    return _RectifierFunction.apply(arrays[0], forward, backward)


def _value(rec: OpRecord, op: str, arrays: tuple[Any, ...], names: tuple[str, ...],
           values: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    if all(a.device.type == "cpu" and a.dtype in _NUMPY_DTYPES
           for a in arrays if isinstance(a, torch.Tensor)):
        views = [a.numpy(force=True) if isinstance(a, torch.Tensor) else a for a in arrays]
        func = _dispatch.func_name(rec, op)
        result = _dispatch.call_ufunc(func, rec.ufunc_for(op), tuple(views), names, None,
                                      *values)
        return torch.from_numpy(np.asarray(result))
    return _dispatch.run_generic(rec, op, arrays, kw, B.TORCH)


class _RectifierFunction(torch.autograd.Function):
    """y = forward(x), with dL/dx = backward(dL/dy, x): rectifier's f_backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, forward: Any, backward: Any) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.backward_fn = backward
        return forward(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (x,) = ctx.saved_tensors
        return ctx.backward_fn(grad, x), None, None
