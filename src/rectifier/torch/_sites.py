"""What the doctor calls a rectifier, and how it names the places where one runs.

This module is the contract between the monitor (which counts at run time) and the remedies
(which find the same places in a torch.fx graph): both name a site with :func:`site_name`.

A *site* is one call site: the module path plus the call index, in execution order within one
forward pass.

- A call made by an activation module (``nn.ReLU`` at ``layer1.0.relu``) is named after the
  module: ``layer1.0.relu#0``, ``layer1.0.relu#1`` for its second use in the same forward.
- A functional call (``F.relu``, ``torch.relu``, ``x.relu_()``, ``clamp(min=0)``, ...) made inside
  the ``forward`` of the module at ``path`` is named ``path.fn()#k``, e.g. ``layer1.0.relu()#0``;
  ``fn`` is the canonical kind below, ``k`` counts calls of that kind in that module's forward.
  At the root module the path is empty: ``relu()#0``.
"""

from __future__ import annotations

# Canonical kinds of rectifier-family activations the doctor recognises.
KINDS = ("relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "hardtanh")

# Activation module class names -> kind. Names rather than classes keep this importable without
# torch; the monitor maps the real classes.
MODULE_KINDS = {
    "ReLU": "relu",
    "ReLU6": "relu6",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "GELU": "gelu",
    "SiLU": "silu",
    "Hardtanh": "hardtanh",
}


def site_name(module_path: str, call_index: int, kind: str | None = None) -> str:
    """Name a site. ``kind`` is None for a call made by an activation module itself.

    >>> site_name("layer1.0.relu", 1)
    'layer1.0.relu#1'
    >>> site_name("layer1.0", 0, "relu")
    'layer1.0.relu()#0'
    >>> site_name("", 2, "gelu")
    'gelu()#2'
    """
    if kind is None:
        return f"{module_path}#{call_index}"
    prefix = f"{module_path}." if module_path else ""
    return f"{prefix}{kind}()#{call_index}"
