"""Which torch modules and calls are rectifiers: the recognition the monitor and the remedies share.

:mod:`rectifier.torch._sites` holds the torch-free half of the contract (the kinds, the module
class names, how a site is named); this module maps them to the real torch objects, so the monitor
(at run time, through hooks and a TorchFunctionMode) and the remedies (in a torch.fx graph)
recognise exactly the same calls.

>>> from torch import nn
>>> module_kind(nn.LeakyReLU()), module_kind(nn.Linear(2, 2))
('leaky_relu', None)
>>> clamp_is_relu(CLAMP_KIND, (None, 0), {}), clamp_is_relu(CLAMP_KIND, (None, 0, 6), {})
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rectifier.torch._sites import MODULE_KINDS

__all__ = [
    "CLAMP_KIND",
    "CLAMP_MIN_KIND",
    "FUNC_KINDS",
    "clamp_is_relu",
    "is_torch_nn",
    "module_kind",
    "unwrap",
]

# Real activation classes -> kind (the contract maps class names, so it stays torch-free).
_MODULE_CLASS_KINDS: dict[type, str] = {
    getattr(nn, cls): kind for cls, kind in MODULE_KINDS.items()
}

# Functional entry points -> kind. F.relu_ is torch.relu_; F.gelu is torch._C._nn.gelu. Under a
# TorchFunctionMode, a Python-level function (F.relu) is seen once, as itself: the mode is
# suspended while it runs, so the torch.relu inside it is not seen again.
FUNC_KINDS: dict[Any, str] = {
    F.relu: "relu",
    torch.relu: "relu",
    torch.relu_: "relu",
    Tensor.relu: "relu",
    Tensor.relu_: "relu",
    F.relu6: "relu6",
    F.leaky_relu: "leaky_relu",
    F.leaky_relu_: "leaky_relu",
    F.elu: "elu",
    F.elu_: "elu",
    F.gelu: "gelu",
    F.silu: "silu",
    F.hardtanh: "hardtanh",
    F.hardtanh_: "hardtanh",
}
# clamp-like functions: (input, min=None, max=None); a ReLU when min == 0 and max is None.
_CLAMPS = (torch.clamp, torch.clip, Tensor.clamp, Tensor.clamp_, Tensor.clip, Tensor.clip_)
_CLAMPS += tuple(f for f in (getattr(torch, "clamp_", None), getattr(torch, "clip_", None)) if f)
# clamp_min-like functions: (input, min).
_CLAMP_MINS = (torch.clamp_min, torch.clamp_min_, Tensor.clamp_min, Tensor.clamp_min_)
CLAMP_KIND = "clamp"
CLAMP_MIN_KIND = "clamp_min"
for _f in _CLAMPS:
    FUNC_KINDS[_f] = CLAMP_KIND
for _f in _CLAMP_MINS:
    FUNC_KINDS[_f] = CLAMP_MIN_KIND


def _is_zero(value: Any) -> bool:
    # Only Python numbers: comparing a tensor would synchronise with the device.
    return type(value) in (int, float) and value == 0


def clamp_is_relu(kind: str, args: tuple, kwargs: Mapping[str, Any]) -> bool:
    lo = args[1] if len(args) > 1 else kwargs.get("min")
    if kind == CLAMP_MIN_KIND:
        return _is_zero(lo)
    hi = args[2] if len(args) > 2 else kwargs.get("max")
    return hi is None and _is_zero(lo)


def module_kind(module: nn.Module) -> str | None:
    for cls in type(module).__mro__:
        kind = _MODULE_CLASS_KINDS.get(cls)
        if kind is not None:
            return kind
    return None


def is_torch_nn(module: nn.Module) -> bool:
    return type(module).__module__.startswith("torch.nn.modules.")


def unwrap(model: nn.Module) -> nn.Module:
    """The module whose forward runs the user's code: under DDP/DataParallel and torch.compile."""
    while True:
        if isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
            model = model.module
        elif hasattr(model, "_orig_mod") and isinstance(model._orig_mod, nn.Module):
            model = model._orig_mod  # torch.compile's OptimizedModule
        else:
            return model
