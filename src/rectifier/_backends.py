"""Which array library an argument belongs to, found without importing any library.

A type is looked up once and cached (keyed by the type object, not its name). Libraries are
only recognised if the user has already imported them: we look in ``sys.modules``, so using
rectifier on NumPy arrays never imports torch, JAX, CuPy or Dask.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

# Library names, as the dispatch layer uses them.
NUMPY, TORCH, JAX, CUPY, DASK, ARRAY_API = "numpy", "torch", "jax", "cupy", "dask", "array_api"
# Python numbers adapt to the other arguments' library.
SCALAR = "scalar"

_cache: dict[type, str] = {np.ndarray: NUMPY, int: SCALAR, float: SCALAR}


def _class_in(t: type, module: str, attr: str) -> bool:
    mod = sys.modules.get(module)
    cls = getattr(mod, attr, None) if mod is not None else None
    return isinstance(cls, type) and issubclass(t, cls)


def _detect(t: type, x: Any) -> str:
    if issubclass(t, (np.ndarray, np.generic)):
        return NUMPY
    if issubclass(t, (bool, int, float)):
        return SCALAR
    if _class_in(t, "torch", "Tensor"):
        return TORCH
    if _class_in(t, "jax", "Array"):
        return JAX
    if _class_in(t, "cupy", "ndarray"):
        return CUPY
    if _class_in(t, "dask.array", "Array"):
        return DASK
    if hasattr(x, "__array_namespace__"):
        return ARRAY_API
    # Lists, tuples and anything else NumPy can convert.
    return NUMPY


def library_of(x: Any) -> str:
    """Name the library of ``x``: 'numpy', 'torch', 'jax', 'cupy', 'dask', 'array_api', 'scalar'.

    >>> import numpy as np
    >>> library_of(np.ones(3)), library_of([1, 2]), library_of(2.5)
    ('numpy', 'numpy', 'scalar')
    """
    t = type(x)
    lib = _cache.get(t)
    if lib is None:
        lib = _cache[t] = _detect(t, x)
    return lib


def common_library(func: str, **arrays: Any) -> str:
    """The one library shared by ``arrays`` (Python numbers adapt); a TypeError if they mix.

    >>> import numpy as np
    >>> common_library("relu_backward", grad=np.ones(2), x=[1.0, -1.0])
    'numpy'
    """
    found: dict[str, str] = {}
    for name, value in arrays.items():
        lib = library_of(value)
        if lib != SCALAR:
            found.setdefault(lib, name)
    if len(found) > 1:
        parts = " and ".join(f"{arg} is a {lib} array" for lib, arg in found.items())
        raise TypeError(
            f"{func}: {parts}; pass arrays from one library "
            "(convert one of them, e.g. torch.from_numpy(a) or t.numpy())"
        )
    return next(iter(found), NUMPY)
