"""The doctor: find dead and dormant rectifier units in any PyTorch model, and fix them.

Needs PyTorch (``pip install "rectifier[torch]"``); the kernels never import it.

- :class:`Monitor` watches every rectifier-family call (modules and functional calls) and counts,
  per unit, positive outputs, observations and sum |h|, on the tensor's device.
- :class:`Report` says which units are dead, which are tau-dormant (ReDo), and whether the network
  is born dead; under ``torch.distributed`` the counts are all-reduced.
- Remedies: :func:`replace_activations`, :func:`recycle` (ReDo), :func:`rai_init_` (RAI).
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> submodule that defines it. Imported on first use, so that importing
# rectifier.torch stays cheap and each submodule can be used on its own.
_EXPORTS = {
    "Monitor": "monitor",
    "Report": "report",
    "SiteReport": "report",
    "replace_activations": "remedies",
    "recycle": "remedies",
    "rai_init_": "remedies",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rectifier.torch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"rectifier.torch.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
