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


# ---- the family ---------------------------------------------------------------------------
#
# Written with the array API's own functions, in stable forms (expm1, log1p, e^{-|x|}) and with
# the limits at +-inf selected explicitly. They are the fallback for JAX, CuPy, torch (where the
# library's op differs from SEMANTICS.md) and any array-API library; NumPy uses the C kernels.


def _backward_from(grad_fn: Any) -> Any:
    """f_backward(grad, x) = grad * f'(x) as a select: 0 where f'(x) == 0, NaN where x is NaN."""

    def backward(grad: Any, x: Any, *, xp: Any, **params: Any) -> Any:
        x = as_float(x, xp=xp)
        grad = as_float(grad, xp=xp)
        d = grad_fn(x, xp=xp, **params)
        out = xp.where(d == 0, xp.zeros_like(grad * d), grad * d)
        return xp.where(xp.isnan(x), xp.full_like(out, math.nan), out)

    return backward


def _fix_limits(x: Any, value: Any, at_minus_inf: float, at_inf: float | None = None, *,
                xp: Any) -> Any:
    """The limits at -inf (and +inf) in place of the formula's -inf * 0 = NaN."""
    value = xp.where(xp.isinf(x) & (x < 0), xp.full_like(value, at_minus_inf), value)
    if at_inf is not None:
        value = xp.where(xp.isinf(x) & (x > 0), xp.full_like(value, at_inf), value)
    return value


def _exp_neg_abs(x: Any, *, xp: Any) -> Any:
    """e^-|x|, as e^-x for x >= 0 and e^x below: the same values, and a derivative that autograd
    gets right at 0 for the x >= 0 forms (through abs it would be 0 there: sign(0) = 0)."""
    return xp.exp(xp.where(x >= 0, -x, x))


def _sigmoid_parts(x: Any, *, xp: Any) -> tuple[Any, Any]:
    """(sigmoid(x), 1 - sigmoid(x)) from z = exp(-|x|): no overflow, no cancellation."""
    z = _exp_neg_abs(x, xp=xp)
    pos = x >= 0
    return xp.where(pos, 1 / (1 + z), z / (1 + z)), xp.where(pos, z / (1 + z), 1 / (1 + z))


def _erfc(x: Any, *, xp: Any) -> Any:
    """erfc is not in the array API standard: the library's own, found from its namespace."""
    name = getattr(xp, "__name__", "")
    if "torch" in name:
        import torch

        return torch.special.erfc(x)
    if "jax" in name:
        import jax.scipy.special

        return jax.scipy.special.erfc(x)
    if "cupy" in name:
        import cupyx.scipy.special

        return cupyx.scipy.special.erfc(x)
    raise TypeError(
        f"gelu needs erfc, which the array API (and {name or 'this library'}) lacks; convert "
        "to NumPy, or use gelu(x, approximate='tanh')"
    )


def _float(f: Any) -> Any:
    def g(x: Any, *, xp: Any, **params: Any) -> Any:
        return f(as_float(x, xp=xp), xp=xp, **params)

    g.__name__ = f.__name__
    return g


def _keep_nan(x: Any, value: Any, *, xp: Any) -> Any:
    return xp.where(xp.isnan(x), x, value)


def leaky_relu(x: Any, *, negative_slope: float, xp: Any) -> Any:
    x = as_float(x, xp=xp)
    neg = xp.zeros_like(x) if negative_slope == 0 else x * negative_slope
    return xp.where((x > 0) | xp.isnan(x), x, neg)


@_float
def leaky_relu_grad(x: Any, *, negative_slope: float, xp: Any) -> Any:
    return _keep_nan(x, xp.where(x > 0, xp.ones_like(x), xp.full_like(x, negative_slope)), xp=xp)


leaky_relu_backward = _backward_from(leaky_relu_grad)


def prelu(x: Any, *, weight: Any, xp: Any) -> Any:
    x = as_float(x, xp=xp)
    return xp.where((x > 0) | xp.isnan(x), x, weight * x)


@_float
def prelu_grad(x: Any, *, weight: Any, xp: Any) -> Any:
    return _keep_nan(x, xp.where(x > 0, xp.ones_like(x), weight * xp.ones_like(x)), xp=xp)


prelu_backward = _backward_from(prelu_grad)


def rrelu(x: Any, *, lower: float, upper: float, xp: Any) -> Any:
    return leaky_relu(x, negative_slope=(lower + upper) / 2, xp=xp)


def rrelu_grad(x: Any, *, lower: float, upper: float, xp: Any) -> Any:
    return leaky_relu_grad(x, negative_slope=(lower + upper) / 2, xp=xp)


rrelu_backward = _backward_from(rrelu_grad)


def relu6(x: Any, *, xp: Any) -> Any:
    return hardtanh(relu(x, xp=xp), min_val=0, max_val=6, xp=xp)


@_float
def relu6_grad(x: Any, *, xp: Any) -> Any:
    return hardtanh_grad(x, min_val=0.0, max_val=6.0, xp=xp)


relu6_backward = _backward_from(relu6_grad)


def hardtanh(x: Any, *, min_val: float, max_val: float, xp: Any) -> Any:
    lo = xp.full_like(x, min_val)
    hi = xp.full_like(x, max_val)
    return xp.where(x < lo, lo, xp.where(x > hi, hi, x))


@_float
def hardtanh_grad(x: Any, *, min_val: float, max_val: float, xp: Any) -> Any:
    inside = (x > min_val) & (x < max_val)
    return _keep_nan(x, xp.where(inside, xp.ones_like(x), xp.zeros_like(x)), xp=xp)


hardtanh_backward = _backward_from(hardtanh_grad)


def threshold(x: Any, *, threshold: float, value: float, xp: Any) -> Any:
    return _keep_nan(x, xp.where(x > threshold, x, xp.full_like(x, value)), xp=xp) if _is_float(
        x, xp) else xp.where(x > threshold, x, xp.full_like(x, value))


@_float
def threshold_grad(x: Any, *, threshold: float, value: float, xp: Any) -> Any:
    return _keep_nan(x, xp.where(x > threshold, xp.ones_like(x), xp.zeros_like(x)), xp=xp)


threshold_backward = _backward_from(threshold_grad)


@_float
def elu(x: Any, *, alpha: float, xp: Any) -> Any:
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, xp.zeros_like(x))))


@_float
def elu_grad(x: Any, *, alpha: float, xp: Any) -> Any:
    return xp.where(x > 0, xp.ones_like(x), alpha * xp.exp(xp.minimum(x, xp.zeros_like(x))))


elu_backward = _backward_from(elu_grad)

# SELU's constants (Klambauer et al. 2017); the registry and the C kernels use the same digits.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any, *, xp: Any) -> Any:
    return SELU_SCALE * elu(x, alpha=SELU_ALPHA, xp=xp)


def selu_grad(x: Any, *, xp: Any) -> Any:
    return SELU_SCALE * elu_grad(x, alpha=SELU_ALPHA, xp=xp)


selu_backward = _backward_from(selu_grad)


@_float
def celu(x: Any, *, alpha: float, xp: Any) -> Any:
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, xp.zeros_like(x)) / alpha))


@_float
def celu_grad(x: Any, *, alpha: float, xp: Any) -> Any:
    return xp.where(x > 0, xp.ones_like(x), xp.exp(xp.minimum(x, xp.zeros_like(x)) / alpha))


celu_backward = _backward_from(celu_grad)


@_float
def gelu(x: Any, *, xp: Any) -> Any:
    return _fix_limits(x, 0.5 * x * _erfc(-x * math.sqrt(0.5), xp=xp), 0.0, xp=xp)


@_float
def gelu_grad(x: Any, *, xp: Any) -> Any:
    pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return _fix_limits(x, 0.5 * _erfc(-x * math.sqrt(0.5), xp=xp) + x * pdf, 0.0, 1.0, xp=xp)


gelu_backward = _backward_from(gelu_grad)

_GT_C = 2 * math.sqrt(2 / math.pi)


@_float
def gelu_tanh(x: Any, *, xp: Any) -> Any:
    s, _ = _sigmoid_parts(_GT_C * (x + 0.044715 * x * x * x), xp=xp)
    return _fix_limits(x, x * s, 0.0, xp=xp)


@_float
def gelu_tanh_grad(x: Any, *, xp: Any) -> Any:
    s, c = _sigmoid_parts(_GT_C * (x + 0.044715 * x * x * x), xp=xp)
    vp = _GT_C * (1 + 3 * 0.044715 * x * x)
    d = xp.where(xp.abs(x) > 30, (x > 0) * xp.ones_like(x), s + x * s * c * vp)
    return _keep_nan(x, d, xp=xp)


gelu_tanh_backward = _backward_from(gelu_tanh_grad)


# silu' and mish' vanish at x0 < 0, where their usual forms (sigma (1 + x (1 - sigma)) and
# t + x sech^2 sigma) cancel: 7.7e15 ulp at silu's zero in float64. Below 0 they are written
# as e^x times a factor N(x) with N(x0) = 0, and N is expanded about x0 in d = x - x0 (x0 a
# double-double, so d is exact near it) and m = expm1(d) = e^x / e^x0 - 1: a sum of small
# terms of one sign, with no cancellation. The constants are from mpmath at 50 digits.
#   silu'(x) = e^x N / (1 + e^x)^2,           N = 1 + x + e^x = d + E0 m
#   mish'(x) = e^x M / (w + 2)^2, w = e^x (e^x + 2),
#              M = e^3x + 4 e^2x + 6 e^x + 4 + 4x + 4x e^x = A1 m + A2 m^2 + A3 m^3 + 4d (1 + e^x)
_SILU_X0 = (-1.2784645427610737, -1.0946994183093437e-16)
_SILU_E0 = 0.2784645427610738  # e^x0 = -1 - x0
_MISH_X0 = (-1.1924312145154952, -4.8484829848031044e-17)
_MISH_E0 = 0.3034825352815289
_MISH_A = (3 * _MISH_E0**3 + 8 * _MISH_E0**2 + 6 * _MISH_E0 + 4 * _MISH_E0 * _MISH_X0[0],
           3 * _MISH_E0**3 + 4 * _MISH_E0**2, _MISH_E0**3)
# Below this, e^x is subnormal in float64 and keeps few bits: e^x is taken as h h, with
# h = e^(x/2), and the other factors multiply h first.
_TAIL = -700.0


def _from_zero(x: Any, x0: tuple[float, float], *, xp: Any) -> tuple[Any, Any]:
    """(d, m): d = x - x0 (exact near x0, by Sterbenz), m = expm1(d)."""
    d = (x - x0[0]) - x0[1]
    return d, xp.expm1(d)


def _exp_nonpositive(x: Any, *, xp: Any) -> Any:
    """e^min(x, 0): e^x for the x < 0 branches, which never overflows where x >= 0 selects the
    other branch."""
    return xp.exp(xp.minimum(x, xp.zeros_like(x)))


def _times_exp(x: Any, z: Any, f: Any, *, xp: Any) -> Any:
    """e^x f, given z = e^x: as (h f) h in the tail where z is subnormal."""
    h = _exp_nonpositive(0.5 * x, xp=xp)
    return xp.where(x < _TAIL, (h * f) * h, z * f)


@_float
def silu(x: Any, *, xp: Any) -> Any:
    s, _ = _sigmoid_parts(x, xp=xp)
    z = _exp_nonpositive(x, xp=xp)
    neg = _times_exp(x, z, x / (1 + z), xp=xp)
    return _fix_limits(x, xp.where(x < 0, neg, x * s), 0.0, xp=xp)


@_float
def silu_grad(x: Any, *, xp: Any) -> Any:
    s, c = _sigmoid_parts(x, xp=xp)
    z = _exp_nonpositive(x, xp=xp)
    d, m = _from_zero(x, _SILU_X0, xp=xp)
    neg = _times_exp(x, z, (d + _SILU_E0 * m) / (1 + z * (2 + z)), xp=xp)
    d = xp.where(x < 0, neg, s * (1 + x * c))
    d = xp.where(xp.abs(x) > 800, (x > 0) * xp.ones_like(x), d)
    return _keep_nan(x, d, xp=xp)


silu_backward = _backward_from(silu_grad)


def _mish_t(x: Any, *, xp: Any) -> Any:
    z = _exp_neg_abs(x, xp=xp)  # tanh(softplus(x)) without overflow, both signs
    return xp.where(x >= 0, (1 + 2 * z) / (1 + 2 * z + 2 * z * z),
                    z * (z + 2) / (z * (z + 2) + 2))


@_float
def mish(x: Any, *, xp: Any) -> Any:
    z = _exp_nonpositive(x, xp=xp)
    neg = _times_exp(x, z, x * ((z + 2) / (z * (z + 2) + 2)), xp=xp)
    return _fix_limits(x, xp.where(x < 0, neg, x * _mish_t(x, xp=xp)), 0.0, xp=xp)


@_float
def mish_grad(x: Any, *, xp: Any) -> Any:
    # x >= 0, z = e^-x: t + x sech^2(sp) sigma = t + 4 x z^2 (1 + z) / (1 + 2z + 2z^2)^2, the
    # sech^2 without 1 - t^2's cancellation.
    zp = _exp_neg_abs(x, xp=xp)
    den = 1 + 2 * zp + 2 * zp * zp
    pos = _mish_t(x, xp=xp) + 4 * x * zp * zp * (1 + zp) / (den * den)
    z = _exp_nonpositive(x, xp=xp)
    d, m = _from_zero(x, _MISH_X0, xp=xp)
    a1, a2, a3 = _MISH_A
    big_m = m * (a1 + m * (a2 + m * a3)) + 4 * d * (1 + z)
    w2 = z * (z + 2) + 2
    neg = _times_exp(x, z, big_m / (w2 * w2), xp=xp)
    d = xp.where(x < 0, neg, pos)
    d = xp.where(xp.abs(x) > 800, (x > 0) * xp.ones_like(x), d)
    return _keep_nan(x, d, xp=xp)


mish_backward = _backward_from(mish_grad)


@_float
def softplus(x: Any, *, beta: float, threshold: float, xp: Any) -> Any:
    u = beta * x
    exact = xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(u))) / beta
    return xp.where(u > threshold, x, exact)


@_float
def softplus_grad(x: Any, *, beta: float, threshold: float, xp: Any) -> Any:
    s, _ = _sigmoid_parts(beta * x, xp=xp)
    return xp.where(beta * x > threshold, xp.ones_like(x), s)


softplus_backward = _backward_from(softplus_grad)


@_float
def hardsigmoid(x: Any, *, xp: Any) -> Any:
    return xp.where(x <= -3, xp.zeros_like(x), xp.where(x >= 3, xp.ones_like(x), (x + 3) / 6))


@_float
def hardsigmoid_grad(x: Any, *, xp: Any) -> Any:
    inside = (x > -3) & (x < 3)
    return _keep_nan(x, xp.where(inside, xp.full_like(x, 1 / 6), xp.zeros_like(x)), xp=xp)


hardsigmoid_backward = _backward_from(hardsigmoid_grad)


@_float
def hardswish(x: Any, *, xp: Any) -> Any:
    return xp.where(x <= -3, xp.zeros_like(x), xp.where(x >= 3, x, x * (x + 3) / 6))


@_float
def hardswish_grad(x: Any, *, xp: Any) -> Any:
    return xp.where(x <= -3, xp.zeros_like(x),
                    xp.where(x >= 3, xp.ones_like(x), (2 * x + 3) / 6))


hardswish_backward = _backward_from(hardswish_grad)


def squared_relu(x: Any, *, xp: Any) -> Any:
    r = relu(x, xp=xp)
    return r * r


@_float
def squared_relu_grad(x: Any, *, xp: Any) -> Any:
    return 2 * relu(x, xp=xp)


squared_relu_backward = _backward_from(squared_relu_grad)


@_float
def sigmoid(x: Any, *, xp: Any) -> Any:
    return _sigmoid_parts(x, xp=xp)[0]


@_float
def sigmoid_grad(x: Any, *, xp: Any) -> Any:
    s, c = _sigmoid_parts(x, xp=xp)
    return s * c


sigmoid_backward = _backward_from(sigmoid_grad)


@_float
def tanh(x: Any, *, xp: Any) -> Any:
    return xp.tanh(x)


@_float
def tanh_grad(x: Any, *, xp: Any) -> Any:
    z = xp.exp(-2 * xp.abs(x))
    return 4 * z / ((1 + z) * (1 + z))


tanh_backward = _backward_from(tanh_grad)
