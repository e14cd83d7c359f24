"""Generic array-API implementations, used for JAX, CuPy and any ``__array_namespace__`` array.

Each takes the array module as the keyword-only ``xp`` (as array-api-compat does), uses only
functions of the array API standard, and follows SEMANTICS.md: NaN in gives NaN out, the
derivative at a kink is the given value, and backward passes are selects, not multiplies.
"""

from __future__ import annotations

import math
from typing import Any


def _is_float(x: Any, xp: Any) -> bool:
    return xp.isdtype(x.dtype, "real floating")


def as_float(x: Any, *, xp: Any) -> Any:
    """Integers follow NumPy's rule for non-exact functions: they become float64."""
    return x if _is_float(x, xp) else xp.astype(x, xp.float64)


def relu(x: Any, *, xp: Any) -> Any:
    zero = xp.zeros_like(x)
    if not _is_float(x, xp):
        return xp.where(x > 0, x, zero)
    return xp.where((x > 0) | xp.isnan(x), x, zero)


def relu_grad(x: Any, *, at_zero: float, xp: Any) -> Any:
    x = as_float(x, xp=xp)
    d = xp.where(x > 0, xp.ones_like(x), xp.zeros_like(x))
    if at_zero != 0:
        d = xp.where(x == 0, xp.full_like(x, at_zero), d)
    return xp.where(xp.isnan(x), x, d)


def relu_backward(grad: Any, x: Any, *, at_zero: float, xp: Any) -> Any:
    x = as_float(x, xp=xp)
    grad = as_float(grad, xp=xp)
    out = xp.where(x > 0, grad, xp.zeros_like(grad))
    if at_zero != 0:
        out = xp.where(x == 0, grad * at_zero, out)
    return xp.where(xp.isnan(x), xp.full_like(out, math.nan), out)
