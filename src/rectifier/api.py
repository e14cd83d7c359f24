"""The public functions: ``relu``, ``relu_grad``, ``relu_backward`` and the rest of the family.

Each works on NumPy, PyTorch, JAX, CuPy and Dask arrays and on any array-API array, and follows
the numeric contract in SEMANTICS.md. The docstrings are built from the ops registry, so the
documentation of every function says the same things in the same place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from rectifier import _core, _dispatch
from rectifier import _ops as O
from rectifier._ops import RELU, OpRecord

F = TypeVar("F", bound=Callable[..., Any])

_ROLE = {
    "forward": "{definition}, elementwise.",
    "grad": "The derivative of {name}, elementwise: d/dx {definition}.",
    "backward": (
        "The fused backward pass of {name} ({definition}): ``grad * {name}'(x)`` in one pass\n"
        "over memory.\n\n"
        "A select, not a multiply: a NaN or inf in ``grad`` passes only where the derivative is\n"
        "non-zero (as in PyTorch, JAX and TF); a NaN in ``x`` gives NaN."
    ),
}


def _bounds(rec: OpRecord) -> str:
    return ", ".join(f"{b} ulp in {d}" for d, b in rec.ulp_bound.items())


def _document(rec: OpRecord, op: str) -> Callable[[F], F]:
    """Build the docstring of ``op`` of ``rec`` from the registry."""

    def decorate(f: F) -> F:
        lines = [_ROLE[op].format(name=rec.name, definition=rec.definition), ""]
        params = rec.all_params(op)
        if params or rec.options:
            lines += ["Parameters", "----------"]
            for p in params:
                lines += [f"{p.name} : float, default {p.default!r}", f"    {p.doc}"]
            for name, doc in rec.options.items():
                kind, _, meaning = doc.partition(": ")
                lines += [f"{name} : {kind}", f"    {meaning}"]
            lines.append("")
        if op != "forward" and rec.kinks:
            kinks = "; ".join(f"at x = {k}: {v}" for k, v in rec.kinks.items())
            lines += [f"Kinks: {kinks}.", ""]
        lines += [
            "Works on NumPy (a ufunc: broadcasting, ``out=``), PyTorch (autograd and device kept),",
            "JAX, CuPy, Dask (stays lazy) and array-API arrays. float16, float32 and float64",
            "keep their dtype"
            + (
                "; integers are kept and exact."
                if rec.keeps_integers and op == "forward"
                else "; integers become float64."
            )
            + ("" if rec.exact else f" Within {_bounds(rec)} of the correctly rounded result."),
            "",
            "Examples",
            "--------",
            ">>> import rectifier",
            rec.examples[op],
        ]
        f.__doc__ = "\n".join(lines)
        return f

    return decorate


def _apply(
    rec: OpRecord, op: str, arrays: tuple[Any, ...], params: dict[str, Any], out: Any
) -> Any:
    names = ("x",) if len(arrays) == 1 else ("grad", "x")
    return _dispatch.apply(rec, op, arrays, names, params, out)


def _is_numpy(*arrays: Any) -> bool:
    return all(isinstance(a, (np.ndarray, np.generic, list, tuple, int, float)) for a in arrays)


@_document(RELU, "forward")
def relu(x: Any, /, *, out: Any = None) -> Any:
    # The most called function skips even the dispatch's NumPy fast path (measured: 0.7 us
    # against 1.2 us per call at n=1000, where np.maximum takes 1.0 us).
    if type(x) is np.ndarray and (out is None or type(out) is np.ndarray):
        try:
            return _core.relu(x, out=out)
        except (TypeError, ValueError) as exc:
            raise _dispatch.explain("relu", exc, (x,), ("x",), out) from None
    return _apply(RELU, "forward", (x,), {}, out)


@_document(RELU, "grad")
def relu_grad(x: Any, /, *, at_zero: float = 0.0, out: Any = None) -> Any:
    return _apply(RELU, "grad", (x,), {"at_zero": at_zero}, out)


@_document(RELU, "backward")
def relu_backward(grad: Any, x: Any, /, *, at_zero: float = 0.0, out: Any = None) -> Any:
    # Training loops call this as often as relu, so it gets the same shortcut for NumPy arrays
    # and the default at_zero (measured at n=1000: 2.8 us through _apply, 1.0 us for the bare
    # ufunc, against 2.3 us for NumPy's np.where formula).
    if (
        at_zero == 0.0
        and type(at_zero) is float
        and type(x) is np.ndarray
        and type(grad) is np.ndarray
        and (out is None or type(out) is np.ndarray)
    ):
        try:
            return _core.relu_backward(grad, x, 0.0, out=out)
        except (TypeError, ValueError) as exc:
            raise _dispatch.explain("relu_backward", exc, (grad, x), ("grad", "x"), out) from None
    return _apply(RELU, "backward", (grad, x), {"at_zero": at_zero}, out)


# ---- leaky_relu ----------------------------------------------------------------------------


@_document(O.LEAKY_RELU, "forward")
def leaky_relu(x: Any, /, *, negative_slope: float = 0.01, out: Any = None) -> Any:
    return _apply(O.LEAKY_RELU, "forward", (x,), {"negative_slope": negative_slope}, out)


@_document(O.LEAKY_RELU, "grad")
def leaky_relu_grad(x: Any, /, *, negative_slope: float = 0.01, out: Any = None) -> Any:
    return _apply(O.LEAKY_RELU, "grad", (x,), {"negative_slope": negative_slope}, out)


@_document(O.LEAKY_RELU, "backward")
def leaky_relu_backward(
    grad: Any, x: Any, /, *, negative_slope: float = 0.01, out: Any = None
) -> Any:
    return _apply(O.LEAKY_RELU, "backward", (grad, x), {"negative_slope": negative_slope}, out)


# ---- prelu: a scalar weight goes through the registry; an array weight is broadcast here ---


def _prelu_layout(
    func: str, shape: tuple[int, ...], wshape: tuple[int, ...], axis: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the shape weight takes to broadcast along axis, the axes grad_weight sums over)."""
    ndim, wsize = len(shape), math.prod(wshape)
    if len(wshape) > 1:
        raise ValueError(
            f"{func}: weight must be a number or 1-d (one slope per channel), got shape {wshape}"
        )
    if ndim < 2 or wsize == 1:
        if wsize != 1:
            raise ValueError(
                f"{func}: x of shape {shape} has no channel axis, so weight must have one "
                f"element, got {wsize}"
            )
        return (), tuple(range(ndim))
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{func}: axis must be in [{-ndim}, {ndim - 1}] for x of shape {shape}, got {axis}"
        )
    axis %= ndim
    if wsize != shape[axis]:
        raise ValueError(
            f"{func}: weight has {wsize} elements but x has {shape[axis]} channels along "
            f"axis {axis} (shape {shape}); pass one slope per channel or a single number"
        )
    return (wsize,) + (1,) * (ndim - axis - 1), tuple(i for i in range(ndim) if i != axis)


def _prelu_weight(func: str, x: Any, weight: Any, axis: int) -> tuple[Any, Any, tuple[int, ...]]:
    """(x, weight shaped to broadcast along axis, the axes grad_weight sums over)."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    w = np.asarray(weight)
    if w.dtype.kind not in "iuf":
        raise TypeError(f"{func}: weight has dtype {w.dtype}; pass a real number or array")
    w = w.astype(dtype)
    _check_finite_weight(func, w)
    wshape, axes = _prelu_layout(func, x.shape, w.shape, axis)
    return x, w.reshape(wshape), axes


def _check_finite_weight(func: str, w: Any, xp: Any = np) -> None:
    """A per-channel weight is held to what a scalar weight is (O.WEIGHT): finite."""
    if not bool(xp.all(xp.isfinite(w))):
        raise ValueError(
            f"{func}: weight must hold finite numbers, got {w!r}"[:300]
            + "; replace the NaN or infinite slopes"
        )


def _prelu_weight_xp(
    func: str, x: Any, weight: Any, axis: int
) -> tuple[Any, Any, Any, tuple[int, ...]]:
    """The same for another library's x (torch, JAX, CuPy, array API): (xp, x as float, weight
    as an array of x's library on x's device, shaped, the axes). A weight of x's library is
    only reshaped, so autograd reaches it (an nn.Parameter gets its gradient)."""
    lib = _dispatch.B.library_of(x)
    xp = _dispatch._namespace(x, lib)
    x = _generic_float(x, xp)
    if _dispatch.B.library_of(weight) == lib:
        w = weight
        if not xp.isdtype(w.dtype, ("real floating", "integral")):
            raise TypeError(f"{func}: weight has dtype {w.dtype}; pass a real number or array")
    else:
        wn = np.asarray(weight)
        if wn.dtype.kind not in "iuf":
            raise TypeError(f"{func}: weight has dtype {wn.dtype}; pass a real number or array")
        w = xp.asarray(wn.astype(np.float64), device=_device(x))
    _check_finite_weight(func, w, xp)
    wshape, axes = _prelu_layout(func, tuple(x.shape), tuple(w.shape), axis)
    return xp, x, xp.reshape(xp.astype(w, x.dtype), wshape), axes


def _device(x: Any) -> Any:
    import array_api_compat

    return array_api_compat.device(x)


def _prelu_xp(x: Any, w: Any, *, xp: Any) -> Any:
    """x if x > 0 else w x, NaN kept; a zero slope at -inf gives 0 (the limit), not 0 * inf."""
    zero = xp.zeros_like(x)
    xs = xp.where(xp.isinf(x) & (w == 0), zero, x)
    return xp.where((x > 0) | xp.isnan(x), x, w * xs)


def _prelu_grad_xp(x: Any, w: Any, *, xp: Any) -> Any:
    d = xp.where(x > 0, xp.ones_like(x), w * xp.ones_like(x))
    return xp.where(xp.isnan(x), x, d)


def _prelu_backward_xp(
    grad: Any, x: Any, w: Any, axes: tuple[int, ...], *, xp: Any
) -> tuple[Any, Any]:
    """(grad_x, grad_weight) as the NumPy path: selects, grad_weight summed over axes."""
    d = _prelu_grad_xp(x, w, xp=xp)
    zero = xp.zeros_like(x)
    gx = xp.where(d == 0, zero, grad * d)
    gx = xp.where(xp.isnan(x), x, gx)
    gw = xp.where(x < 0, grad * x, xp.where(xp.isnan(x), x, zero))
    return gx, xp.sum(gw, axis=axes)


def _scalar_weight(weight: Any) -> bool:
    return np.ndim(weight) == 0 and not hasattr(weight, "__array_namespace__")


@_document(O.PRELU, "forward")
def prelu(x: Any, /, weight: Any = 0.25, *, axis: int = 1, out: Any = None) -> Any:
    if _scalar_weight(weight):
        return _apply(O.PRELU, "forward", (x,), {"weight": weight}, out)
    if not _is_numpy(x):
        _no_out("prelu", out)
        xp, xa, w, _ = _prelu_weight_xp("prelu", x, weight, axis)
        return _prelu_xp(xa, w, xp=xp)
    x, w, _ = _prelu_weight("prelu", x, weight, axis)
    return _dispatch.call_ufunc("prelu", _core.prelu, (x, w), ("x", "weight"), out)


@_document(O.PRELU, "grad")
def prelu_grad(x: Any, /, weight: Any = 0.25, *, axis: int = 1, out: Any = None) -> Any:
    if _scalar_weight(weight):
        return _apply(O.PRELU, "grad", (x,), {"weight": weight}, out)
    if not _is_numpy(x):
        _no_out("prelu_grad", out)
        xp, xa, w, _ = _prelu_weight_xp("prelu_grad", x, weight, axis)
        return _prelu_grad_xp(xa, w, xp=xp)
    x, w, _ = _prelu_weight("prelu_grad", x, weight, axis)
    return _dispatch.call_ufunc("prelu_grad", _core.prelu_grad, (x, w), ("x", "weight"), out)


@_document(O.PRELU, "backward")
def prelu_backward(
    grad: Any, x: Any, /, weight: Any = 0.25, *, axis: int = 1, out: Any = None
) -> tuple[Any, Any]:
    # Returns (grad_x, grad_weight): the weight's gradient is summed over the other axes.
    if _scalar_weight(weight):
        O.WEIGHT.validate("prelu_backward", weight)
    if not _is_numpy(grad, x):
        return _prelu_backward_generic(grad, x, weight, axis, out)
    xa, w, axes = _prelu_weight("prelu_backward", x, weight, axis)
    g = np.asarray(grad)
    grad_x = _dispatch.call_ufunc(
        "prelu_backward", _core.prelu_backward, (g, xa, w), ("grad", "x", "weight"), out
    )
    # d/dweight = x where x < 0 (0 at x == 0 even for an infinite grad), summed per channel.
    with np.errstate(invalid="ignore", over="ignore"):
        gx = np.where(xa < 0, g * xa, np.where(np.isnan(xa), xa, 0)).astype(grad_x.dtype)
    grad_w = np.asarray(np.sum(gx, axis=axes))
    return grad_x, grad_w


def _prelu_backward_generic(grad: Any, x: Any, weight: Any, axis: int, out: Any) -> Any:
    """Other libraries: both gradients with the library's own ops."""
    if not _scalar_weight(weight):
        _dispatch.B.common_library("prelu_backward", grad=grad, x=x)
        _no_out("prelu_backward", out)
        xp, xa, w, axes = _prelu_weight_xp("prelu_backward", x, weight, axis)
        return _prelu_backward_xp(_generic_float(grad, xp), xa, w, axes, xp=xp)
    grad_x = _apply(O.PRELU, "backward", (grad, x), {"weight": weight}, out)
    xp = _dispatch._namespace(x, _dispatch.B.common_library("prelu_backward", grad=grad, x=x))
    zero = xp.zeros_like(grad_x)
    return grad_x, xp.sum(xp.where(x < 0, grad * x, zero))


# ---- rrelu ---------------------------------------------------------------------------------


def _rrelu_bounds(func: str, lower: float, upper: float) -> dict[str, float]:
    lo, hi = O.LOWER.validate(func, lower), O.UPPER.validate(func, upper)
    if lo > hi:
        raise ValueError(f"{func}: lower must be <= upper, got lower={lo!r}, upper={hi!r}")
    return {"lower": lo, "upper": hi}


@_document(O.RRELU, "forward")
def rrelu(
    x: Any,
    /,
    *,
    lower: float = 1 / 8,
    upper: float = 1 / 3,
    training: bool = False,
    rng: np.random.Generator | None = None,
    out: Any = None,
) -> Any:
    bounds = _rrelu_bounds("rrelu", lower, upper)
    if not training:
        return _apply(O.RRELU, "forward", (x,), bounds, out)
    if rng is None:
        rng = np.random.default_rng()
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rrelu: rng must be a numpy.random.Generator, got "
            f"{type(rng).__name__}; pass np.random.default_rng(seed)"
        )
    if not _is_numpy(x):
        # the same draws as for a NumPy array of that shape, rounded to x's dtype on its device
        _no_out("rrelu", out)
        u = rng.uniform(bounds["lower"], bounds["upper"], size=tuple(x.shape))
        xp, xa, slopes = _slopes_like(x, u)
        return _prelu_xp(xa, slopes, xp=xp), slopes
    xa = np.asarray(x)
    dtype = xa.dtype if xa.dtype.kind == "f" else np.dtype(np.float64)
    slopes = rng.uniform(bounds["lower"], bounds["upper"], size=xa.shape).astype(dtype)
    return _dispatch.call_ufunc("rrelu", _core.prelu, (xa, slopes), ("x", "slopes"), out), slopes


def _rrelu_slopes(func: str, training: bool, slopes: Any) -> None:
    if training and slopes is None:
        raise ValueError(
            f"{func}: training=True needs the slopes that rrelu(..., "
            "training=True) returned: pass slopes=..."
        )


@_document(O.RRELU, "grad")
def rrelu_grad(
    x: Any,
    /,
    *,
    lower: float = 1 / 8,
    upper: float = 1 / 3,
    training: bool = False,
    slopes: Any = None,
    out: Any = None,
) -> Any:
    bounds = _rrelu_bounds("rrelu_grad", lower, upper)
    _rrelu_slopes("rrelu_grad", training, slopes)
    if slopes is not None:
        if not _is_numpy(x):
            _no_out("rrelu_grad", out)
            xp, xa, w = _slopes_like(x, slopes)
            return _prelu_grad_xp(xa, w, xp=xp)
        return _dispatch.call_ufunc(
            "rrelu_grad", _core.prelu_grad, (x, slopes), ("x", "slopes"), out
        )
    return _apply(O.RRELU, "grad", (x,), bounds, out)


@_document(O.RRELU, "backward")
def rrelu_backward(
    grad: Any,
    x: Any,
    /,
    *,
    lower: float = 1 / 8,
    upper: float = 1 / 3,
    training: bool = False,
    slopes: Any = None,
    out: Any = None,
) -> Any:
    bounds = _rrelu_bounds("rrelu_backward", lower, upper)
    _rrelu_slopes("rrelu_backward", training, slopes)
    if slopes is not None:
        if not _is_numpy(grad, x):
            _dispatch.B.common_library("rrelu_backward", grad=grad, x=x)
            _no_out("rrelu_backward", out)
            xp, xa, w = _slopes_like(x, slopes)
            gx, _ = _prelu_backward_xp(_generic_float(grad, xp), xa, w, (), xp=xp)
            return gx
        return _dispatch.call_ufunc(
            "rrelu_backward", _core.prelu_backward, (grad, x, slopes), ("grad", "x", "slopes"), out
        )
    return _apply(O.RRELU, "backward", (grad, x), bounds, out)


def _no_out(func: str, out: Any) -> None:
    if out is not None:
        raise TypeError(f"{func}: out= is for NumPy arrays; other libraries return a new array")


def _generic_float(a: Any, xp: Any) -> Any:
    from rectifier import _generic

    return _generic.as_float(a, xp=xp)


def _slopes_like(x: Any, slopes: Any) -> tuple[Any, Any, Any]:
    """(xp, x as float, slopes as an array of x's library and dtype, shaped like x)."""
    lib = _dispatch.B.library_of(x)
    xp = _dispatch._namespace(x, lib)
    xa = _generic_float(x, xp)
    if _dispatch.B.library_of(slopes) != lib:
        slopes = xp.asarray(np.asarray(slopes, dtype=np.float64), device=_device(xa))
    if tuple(slopes.shape) != tuple(xa.shape):
        raise ValueError(
            f"slopes has shape {tuple(slopes.shape)} but x has shape {tuple(xa.shape)}; pass "
            "the slopes rrelu(x, training=True) returned for this x"
        )
    return xp, xa, xp.astype(slopes, xa.dtype)


# ---- relu6, hardtanh, threshold: integer arrays keep their dtype with integer bounds ------


def _int_params(x: Any, values: tuple[float, ...]) -> tuple[Any, tuple[int, ...]] | None:
    """(x as an integer array, the parameters as its integers) if both are integral; the
    bounds are clipped to the dtype's range, which leaves a clip or threshold unchanged."""
    if not _is_numpy(x):
        return None
    xa = np.asarray(x)
    if xa.dtype.kind not in "iu" or not all(float(v).is_integer() for v in values):
        return None
    info = np.iinfo(xa.dtype)
    return xa, tuple(min(max(int(v), info.min), info.max) for v in values)


@_document(O.RELU6, "forward")
def relu6(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.RELU6, "forward", (x,), {}, out)


@_document(O.RELU6, "grad")
def relu6_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.RELU6, "grad", (x,), {}, out)


@_document(O.RELU6, "backward")
def relu6_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.RELU6, "backward", (grad, x), {}, out)


def _hardtanh_params(func: str, min_val: float, max_val: float) -> dict[str, float]:
    lo, hi = O.MIN_VAL.validate(func, min_val), O.MAX_VAL.validate(func, max_val)
    if lo > hi:
        raise ValueError(f"{func}: min_val must be <= max_val, got min_val={lo!r}, max_val={hi!r}")
    return {"min_val": lo, "max_val": hi}


@_document(O.HARDTANH, "forward")
def hardtanh(x: Any, /, *, min_val: float = -1.0, max_val: float = 1.0, out: Any = None) -> Any:
    params = _hardtanh_params("hardtanh", min_val, max_val)
    ints = _int_params(x, (params["min_val"], params["max_val"]))
    if ints is not None:
        return _dispatch.call_ufunc("hardtanh", _core.hardtanh, ints[:1], ("x",), out, *ints[1])
    return _apply(O.HARDTANH, "forward", (x,), params, out)


@_document(O.HARDTANH, "grad")
def hardtanh_grad(
    x: Any, /, *, min_val: float = -1.0, max_val: float = 1.0, out: Any = None
) -> Any:
    return _apply(
        O.HARDTANH, "grad", (x,), _hardtanh_params("hardtanh_grad", min_val, max_val), out
    )


@_document(O.HARDTANH, "backward")
def hardtanh_backward(
    grad: Any, x: Any, /, *, min_val: float = -1.0, max_val: float = 1.0, out: Any = None
) -> Any:
    params = _hardtanh_params("hardtanh_backward", min_val, max_val)
    return _apply(O.HARDTANH, "backward", (grad, x), params, out)


@_document(O.THRESHOLD, "forward")
def threshold(x: Any, /, threshold: float = 0.0, value: float = 0.0, *, out: Any = None) -> Any:
    t = O.THRESHOLD_T.validate("threshold", threshold)
    v = O.THRESHOLD_V.validate("threshold", value)
    ints = _int_params(x, (t, v))
    if ints is not None:
        info = np.iinfo(ints[0].dtype)
        if info.min <= v <= info.max:  # a value outside the dtype's range needs float64
            return _dispatch.call_ufunc(
                "threshold", _core.threshold, ints[:1], ("x",), out, *ints[1]
            )
    return _apply(O.THRESHOLD, "forward", (x,), {"threshold": t, "value": v}, out)


@_document(O.THRESHOLD, "grad")
def threshold_grad(
    x: Any, /, threshold: float = 0.0, value: float = 0.0, *, out: Any = None
) -> Any:
    return _apply(O.THRESHOLD, "grad", (x,), {"threshold": threshold, "value": value}, out)


@_document(O.THRESHOLD, "backward")
def threshold_backward(
    grad: Any, x: Any, /, threshold: float = 0.0, value: float = 0.0, *, out: Any = None
) -> Any:
    return _apply(O.THRESHOLD, "backward", (grad, x), {"threshold": threshold, "value": value}, out)


# ---- elu, selu, celu -----------------------------------------------------------------------


@_document(O.ELU, "forward")
def elu(x: Any, /, *, alpha: float = 1.0, out: Any = None) -> Any:
    return _apply(O.ELU, "forward", (x,), {"alpha": alpha}, out)


@_document(O.ELU, "grad")
def elu_grad(x: Any, /, *, alpha: float = 1.0, out: Any = None) -> Any:
    return _apply(O.ELU, "grad", (x,), {"alpha": alpha}, out)


@_document(O.ELU, "backward")
def elu_backward(grad: Any, x: Any, /, *, alpha: float = 1.0, out: Any = None) -> Any:
    return _apply(O.ELU, "backward", (grad, x), {"alpha": alpha}, out)


@_document(O.SELU, "forward")
def selu(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SELU, "forward", (x,), {}, out)


@_document(O.SELU, "grad")
def selu_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SELU, "grad", (x,), {}, out)


@_document(O.SELU, "backward")
def selu_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SELU, "backward", (grad, x), {}, out)


@_document(O.CELU, "forward")
def celu(x: Any, /, *, alpha: float = 1.0, out: Any = None) -> Any:
    return _apply(O.CELU, "forward", (x,), {"alpha": alpha}, out)


@_document(O.CELU, "grad")
def celu_grad(x: Any, /, *, alpha: float = 1.0, out: Any = None) -> Any:
    return _apply(O.CELU, "grad", (x,), {"alpha": alpha}, out)


@_document(O.CELU, "backward")
def celu_backward(grad: Any, x: Any, /, *, alpha: float = 1.0, out: Any = None) -> Any:
    return _apply(O.CELU, "backward", (grad, x), {"alpha": alpha}, out)


# ---- gelu ----------------------------------------------------------------------------------


def _gelu_record(func: str, approximate: str) -> OpRecord:
    if approximate == "none":
        return O.GELU
    if approximate == "tanh":
        return O.GELU_TANH
    raise ValueError(f"{func}: approximate must be 'none' or 'tanh', got {approximate!r}")


@_document(O.GELU, "forward")
def gelu(x: Any, /, *, approximate: str = "none", out: Any = None) -> Any:
    return _apply(_gelu_record("gelu", approximate), "forward", (x,), {}, out)


@_document(O.GELU, "grad")
def gelu_grad(x: Any, /, *, approximate: str = "none", out: Any = None) -> Any:
    return _apply(_gelu_record("gelu_grad", approximate), "grad", (x,), {}, out)


@_document(O.GELU, "backward")
def gelu_backward(grad: Any, x: Any, /, *, approximate: str = "none", out: Any = None) -> Any:
    return _apply(_gelu_record("gelu_backward", approximate), "backward", (grad, x), {}, out)


# ---- silu, mish, softplus ------------------------------------------------------------------


@_document(O.SILU, "forward")
def silu(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SILU, "forward", (x,), {}, out)


@_document(O.SILU, "grad")
def silu_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SILU, "grad", (x,), {}, out)


@_document(O.SILU, "backward")
def silu_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SILU, "backward", (grad, x), {}, out)


@_document(O.MISH, "forward")
def mish(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.MISH, "forward", (x,), {}, out)


@_document(O.MISH, "grad")
def mish_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.MISH, "grad", (x,), {}, out)


@_document(O.MISH, "backward")
def mish_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.MISH, "backward", (grad, x), {}, out)


def _softplus_params(beta: float, threshold: float | None) -> dict[str, float]:
    return {"beta": beta, "threshold": math.inf if threshold is None else threshold}


@_document(O.SOFTPLUS, "forward")
def softplus(
    x: Any, /, *, beta: float = 1.0, threshold: float | None = None, out: Any = None
) -> Any:
    return _apply(O.SOFTPLUS, "forward", (x,), _softplus_params(beta, threshold), out)


@_document(O.SOFTPLUS, "grad")
def softplus_grad(
    x: Any, /, *, beta: float = 1.0, threshold: float | None = None, out: Any = None
) -> Any:
    return _apply(O.SOFTPLUS, "grad", (x,), _softplus_params(beta, threshold), out)


@_document(O.SOFTPLUS, "backward")
def softplus_backward(
    grad: Any, x: Any, /, *, beta: float = 1.0, threshold: float | None = None, out: Any = None
) -> Any:
    return _apply(O.SOFTPLUS, "backward", (grad, x), _softplus_params(beta, threshold), out)


# ---- hardsigmoid, hardswish, squared_relu, sigmoid, tanh ---------------------------------


@_document(O.HARDSIGMOID, "forward")
def hardsigmoid(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.HARDSIGMOID, "forward", (x,), {}, out)


@_document(O.HARDSIGMOID, "grad")
def hardsigmoid_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.HARDSIGMOID, "grad", (x,), {}, out)


@_document(O.HARDSIGMOID, "backward")
def hardsigmoid_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.HARDSIGMOID, "backward", (grad, x), {}, out)


@_document(O.HARDSWISH, "forward")
def hardswish(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.HARDSWISH, "forward", (x,), {}, out)


@_document(O.HARDSWISH, "grad")
def hardswish_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.HARDSWISH, "grad", (x,), {}, out)


@_document(O.HARDSWISH, "backward")
def hardswish_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.HARDSWISH, "backward", (grad, x), {}, out)


@_document(O.SQUARED_RELU, "forward")
def squared_relu(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SQUARED_RELU, "forward", (x,), {}, out)


@_document(O.SQUARED_RELU, "grad")
def squared_relu_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SQUARED_RELU, "grad", (x,), {}, out)


@_document(O.SQUARED_RELU, "backward")
def squared_relu_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SQUARED_RELU, "backward", (grad, x), {}, out)


@_document(O.SIGMOID, "forward")
def sigmoid(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SIGMOID, "forward", (x,), {}, out)


@_document(O.SIGMOID, "grad")
def sigmoid_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SIGMOID, "grad", (x,), {}, out)


@_document(O.SIGMOID, "backward")
def sigmoid_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.SIGMOID, "backward", (grad, x), {}, out)


@_document(O.TANH, "forward")
def tanh(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.TANH, "forward", (x,), {}, out)


@_document(O.TANH, "grad")
def tanh_grad(x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.TANH, "grad", (x,), {}, out)


@_document(O.TANH, "backward")
def tanh_backward(grad: Any, x: Any, /, *, out: Any = None) -> Any:
    return _apply(O.TANH, "backward", (grad, x), {}, out)


#: Every public function name, in registry order (f, f_grad, f_backward).
FUNCTIONS: tuple[str, ...] = tuple(
    f"{name}{suffix}" for name in O.REGISTRY for suffix in ("", "_grad", "_backward")
)
