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
        if type(value) is float and self.check(value) is None:  # the common case, fast
            return value
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


def _finite(v: float) -> str | None:
    return None if math.isfinite(v) else "a finite number"


def _finite_nonzero(v: float) -> str | None:
    return None if math.isfinite(v) and v != 0.0 else "a finite non-zero number"


def _positive(v: float) -> str | None:
    return None if math.isfinite(v) and v > 0.0 else "a finite positive number"


def _not_nan(v: float) -> str | None:
    return None if not math.isnan(v) else "a number (inf allowed), not NaN"


AT_ZERO = Param(
    "at_zero",
    0.0,
    "the derivative used at x == 0, where relu has a kink: 0 (PyTorch, JAX and TF) or any "
    "value in [0, 1]; Bertoin et al. (NeurIPS 2021) show the choice matters in float16/32",
    _unit_interval,
)


_UFUNC_FIELD = {"forward": "ufunc", "grad": "grad_ufunc", "backward": "backward_ufunc"}


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
    # torch's own ops: the benchmark's `torch` peer and the accuracy table's torch column. The
    # dispatch never calls them (see _dispatch.run_generic).
    torch_forward: Callable[..., Any]
    torch_backward: Callable[..., Any]
    examples: dict[str, str] = field(default_factory=dict)
    ulp_bound: dict[str, int] = field(
        default_factory=lambda: {"float16": 1, "float32": 2, "float64": 4}
    )
    # Values at x = +-inf of the function and its derivative: (f(-inf), f(inf), f'(-inf), f'(inf))
    # with the default parameters.
    limits: tuple[float, float, float, float] | None = None
    # Keyword options that are not numbers (gelu's approximate, rrelu's training), documented
    # here and handled by the public function: name -> "type, default: meaning".
    options: dict[str, str] = field(default_factory=dict)
    # Other ufunc sets of the same function (gelu's approximate="tanh"): option value -> record.
    variants: dict[str, OpRecord] = field(default_factory=dict)
    # Parameter sets the tests sweep (keyword -> value); the first is the defaults.
    test_params: tuple[dict[str, float], ...] = ({},)

    def all_params(self, op: str) -> tuple[Param, ...]:
        """The parameters of ``op`` ('forward', 'grad' or 'backward'), in ufunc input order."""
        return self.params if op == "forward" else self.params + self.grad_params

    def ufunc_for(self, op: str) -> np.ufunc:
        # An attribute lookup, not a dict built per call: this is on every call's path.
        return getattr(self, _UFUNC_FIELD[op])


# ---- peers: the naive NumPy formulas and PyTorch's ops (the benchmark's and accuracy's peers) --


def _naive(f: Callable[..., Any]) -> Callable[..., Any]:
    """A textbook NumPy formula as a peer ``f(*arrays, out=None)``: temporaries and all."""

    def peer(*arrays: Any, out: Any = None) -> Any:
        with np.errstate(all="ignore"):
            r = f(*arrays)
        if out is None:
            return r
        out[...] = r
        return out

    peer.__name__ = peer.__qualname__ = getattr(f, "__name__", "naive")
    return peer


def _torch_op(name: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``torch.nn.functional.NAME`` (or ``torch.ops.aten.NAME``) bound to the default
    parameters, imported on first call so rectifier never imports torch by itself."""

    def call(*arrays: Any) -> Any:
        import torch

        if name.startswith("aten."):
            f = getattr(torch.ops.aten, name[5:])
        else:
            f = getattr(torch.nn.functional, name, None) or getattr(torch, name)
        return f(*arrays, *args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def _torch_relu(x: Any) -> Any:
    import torch

    return torch.relu(x)


def _torch_threshold_backward(g: Any, x: Any) -> Any:
    import torch

    return torch.ops.aten.threshold_backward(g, x, 0)


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _erf(x: Any) -> Any:
    # NumPy has no erf; the naive peer uses the stdlib's, elementwise (what a NumPy user writes).
    return np.vectorize(math.erf, otypes=[np.asarray(x).dtype])(x)


def _softplus_np(x: Any) -> Any:
    return np.log1p(np.exp(x))


_SQRT_2_PI = math.sqrt(2.0 / math.pi)
SELU_ALPHA, SELU_SCALE = _generic.SELU_ALPHA, _generic.SELU_SCALE
SELU_SCALE_ALPHA = 1.7580993408473768599402175208123  # the product, rounded once


def _gelu_tanh_np(x: Any) -> Any:
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_PI * (x + 0.044715 * x**3)))


def _gelu_tanh_grad_np(x: Any) -> Any:
    t = np.tanh(_SQRT_2_PI * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_PI * (1 + 3 * 0.044715 * x * x)


def _mish_grad_np(x: Any) -> Any:
    t = np.tanh(_softplus_np(x))
    return t + x * (1 - t * t) * _sigmoid(x)


def _gelu_grad_np(x: Any) -> Any:
    return 0.5 * (1 + _erf(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _hardswish_np(x: Any) -> Any:
    return x * np.clip(x + 3, 0, 6) / 6


def _hardswish_grad_np(x: Any) -> Any:
    return np.where(x < -3, 0.0, np.where(x > 3, 1.0, (2 * x + 3) / 6)).astype(x.dtype)


def _peers(forward: Callable, grad: Callable) -> dict[str, Callable[..., Any]]:
    """numpy_forward / numpy_grad / numpy_backward from a naive forward and derivative."""
    return {
        "numpy_forward": _naive(forward),
        "numpy_grad": _naive(grad),
        "numpy_backward": _naive(lambda g, x: g * grad(x)),
    }


def _record(name: str, **kw: Any) -> OpRecord:
    """A record whose ufuncs are ``_core.NAME``, ``NAME_grad`` and ``NAME_backward`` and whose
    generic implementations are ``_generic.NAME``, ``NAME_grad`` and ``NAME_backward``."""
    base = kw.pop("ufunc_base", name)
    kw.setdefault("grad_params", ())
    kw.setdefault("kinks", {})
    kw.setdefault("exact", False)
    kw.setdefault("keeps_integers", False)
    return OpRecord(
        name=name,
        ufunc=getattr(_core, base),
        grad_ufunc=getattr(_core, f"{base}_grad"),
        backward_ufunc=getattr(_core, f"{base}_backward"),
        generic_forward=getattr(_generic, base),
        generic_grad=getattr(_generic, f"{base}_grad"),
        generic_backward=getattr(_generic, f"{base}_backward"),
        **kw,
    )


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
    limits=(0.0, math.inf, 0.0, 1.0),
    test_params=({"at_zero": 0.0}, {"at_zero": 0.5}, {"at_zero": 1.0}),
)

NEGATIVE_SLOPE = Param("negative_slope", 0.01, "the slope for x < 0", _finite)
LEAKY_RELU = _record(
    "leaky_relu",
    definition="x if x > 0 else negative_slope * x",
    params=(NEGATIVE_SLOPE,),
    kinks={"0": "negative_slope"},
    exact=True,
    **_peers(lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1.0, 0.01)),
    torch_forward=_torch_op("leaky_relu"),
    torch_backward=_torch_op("aten.leaky_relu_backward", 0.01, False),
    examples={
        "forward": (">>> rectifier.leaky_relu([-2.0, 0.0, 3.0], negative_slope=0.1)\n"
                    "array([-0.2,  0. ,  3. ])"),
        "grad": ">>> rectifier.leaky_relu_grad([-2.0, 0.0, 3.0])\narray([0.01, 0.01, 1.  ])",
        "backward": (">>> rectifier.leaky_relu_backward([5.0, 5.0], [-1.0, 1.0])\n"
                     "array([0.05, 5.  ])"),
    },
    limits=(-math.inf, math.inf, 0.01, 1.0),
    test_params=({"negative_slope": 0.01}, {"negative_slope": 0.0}, {"negative_slope": 0.3}),
)

WEIGHT = Param("weight", 0.25, "the slope for x < 0 (PyTorch's nn.PReLU starts at 0.25): a "
               "number, or an array with one slope per channel along axis", _finite)
PRELU = _record(
    "prelu",
    definition="x if x > 0 else weight * x, weight per channel (axis) or one scalar",
    params=(WEIGHT,),
    kinks={"0": "weight"},
    exact=True,
    **_peers(lambda x: np.where(x > 0, x, 0.25 * x), lambda x: np.where(x > 0, 1.0, 0.25)),
    torch_forward=lambda x: _torch_op("prelu")(x, _torch_weight(x)),
    torch_backward=lambda g, x: _torch_op("aten._prelu_kernel_backward")(g, x, _torch_weight(x)),
    options={"axis": "int, default 1: the channel axis of x that an array weight runs along"},
    examples={
        "forward": (">>> rectifier.prelu([[-2.0, -2.0], [1.0, -1.0]], [0.1, 0.5], axis=1)\n"
                    "array([[-0.2, -1. ],\n       [ 1. , -0.5]])"),
        "grad": ">>> rectifier.prelu_grad([-2.0, 3.0], 0.1)\narray([0.1, 1. ])",
        "backward": (">>> gx, gw = rectifier.prelu_backward([1.0, 1.0], [-2.0, 3.0], 0.1)\n"
                     ">>> gx, gw\n(array([0.1, 1. ]), array(-2.))"),
    },
    limits=(-math.inf, math.inf, 0.25, 1.0),
    test_params=({"weight": 0.25}, {"weight": 0.0}),
)


def _torch_weight(x: Any) -> Any:
    import torch

    return torch.full((1,), 0.25, dtype=x.dtype)


LOWER = Param("lower", 1 / 8, "the smallest slope for x < 0", _finite)
UPPER = Param("upper", 1 / 3, "the largest slope for x < 0 (lower <= upper)", _finite)
_RRELU_EVAL = (1 / 8 + 1 / 3) / 2
RRELU = _record(
    "rrelu",
    definition=("x if x > 0 else a * x, a ~ U(lower, upper) per element in training, "
                "(lower + upper) / 2 in evaluation"),
    params=(LOWER, UPPER),
    kinks={"0": "the slope"},
    exact=True,
    **_peers(lambda x: np.where(x > 0, x, _RRELU_EVAL * x),
             lambda x: np.where(x > 0, 1.0, _RRELU_EVAL)),
    torch_forward=_torch_op("rrelu"),
    torch_backward=_torch_op("aten.leaky_relu_backward", _RRELU_EVAL, False),
    options={
        "training": "bool, default False: draw a slope per element (returns (out, slopes))",
        "rng": "numpy.random.Generator, default None (a fresh default_rng()): the slopes' source",
    },
    examples={
        "forward": (">>> rectifier.rrelu([-3.0, 2.0], lower=0.1, upper=0.3)\n"
                    "array([-0.6,  2. ])\n"
                    ">>> y, slopes = rectifier.rrelu([-3.0, 2.0], training=True,\n"
                    "...                             rng=np.random.default_rng(0))\n"
                    ">>> bool(0.125 <= slopes[0] <= 1 / 3), float(y[0]) == -3 * float(slopes[0])\n"
                    "(True, True)"),
        "grad": ">>> rectifier.rrelu_grad([-3.0, 2.0], lower=0.1, upper=0.3)\narray([0.2, 1. ])",
        "backward": (">>> rectifier.rrelu_backward([2.0, 2.0], [-3.0, 2.0], lower=0.1, upper=0.3)\n"
                     "array([0.4, 2. ])"),
    },
    limits=(-math.inf, math.inf, _RRELU_EVAL, 1.0),
    test_params=({"lower": 1 / 8, "upper": 1 / 3}, {"lower": 0.0, "upper": 0.5}),
)

RELU6 = _record(
    "relu6",
    definition="min(max(x, 0), 6)",
    params=(),
    kinks={"0": "0", "6": "0"},
    exact=True,
    keeps_integers=True,
    **_peers(lambda x: np.minimum(np.maximum(x, 0), 6),
             lambda x: ((x > 0) & (x < 6)).astype(x.dtype)),
    torch_forward=_torch_op("relu6"),
    torch_backward=_torch_op("aten.hardtanh_backward", 0.0, 6.0),
    examples={
        "forward": ">>> rectifier.relu6([-2, 3, 8])\narray([0, 3, 6])",
        "grad": ">>> rectifier.relu6_grad([-2.0, 0.0, 3.0, 6.0])\narray([0., 0., 1., 0.])",
        "backward": ">>> rectifier.relu6_backward([5.0, 5.0], [3.0, 7.0])\narray([5., 0.])",
    },
    limits=(0.0, 6.0, 0.0, 0.0),
)

MIN_VAL = Param("min_val", -1.0, "the lower bound (min_val <= max_val)", _not_nan)
MAX_VAL = Param("max_val", 1.0, "the upper bound", _not_nan)
HARDTANH = _record(
    "hardtanh",
    definition="clip(x, min_val, max_val)",
    params=(MIN_VAL, MAX_VAL),
    kinks={"min_val": "0", "max_val": "0"},
    exact=True,
    keeps_integers=True,
    **_peers(lambda x: np.clip(x, -1, 1), lambda x: ((x > -1) & (x < 1)).astype(x.dtype)),
    torch_forward=_torch_op("hardtanh"),
    torch_backward=_torch_op("aten.hardtanh_backward", -1.0, 1.0),
    examples={
        "forward": (">>> rectifier.hardtanh([-5, 0, 5], min_val=-2, max_val=2)\n"
                    "array([-2,  0,  2])"),
        "grad": ">>> rectifier.hardtanh_grad([-1.0, 0.0, 1.0])\narray([0., 1., 0.])",
        "backward": ">>> rectifier.hardtanh_backward([5.0, 5.0], [0.5, 2.0])\narray([5., 0.])",
    },
    limits=(-1.0, 1.0, 0.0, 0.0),
    test_params=({"min_val": -1.0, "max_val": 1.0}, {"min_val": 0.0, "max_val": 6.0}),
)

THRESHOLD_T = Param("threshold", 0.0, "x passes where x > threshold (no PyTorch default; "
                    "0 with value 0 is relu)", _not_nan)
THRESHOLD_V = Param("value", 0.0, "the value where x <= threshold", _not_nan)
THRESHOLD = _record(
    "threshold",
    definition="x if x > threshold else value",
    params=(THRESHOLD_T, THRESHOLD_V),
    kinks={"threshold": "0"},
    exact=True,
    keeps_integers=True,
    **_peers(lambda x: np.where(x > 0, x, 0.0).astype(x.dtype),
             lambda x: (x > 0).astype(x.dtype)),
    torch_forward=_torch_op("threshold", 0.0, 0.0),
    torch_backward=_torch_op("aten.threshold_backward", 0.0),
    examples={
        "forward": (">>> rectifier.threshold([1, 5, 9], threshold=4, value=-1)\n"
                    "array([-1,  5,  9])"),
        "grad": ">>> rectifier.threshold_grad([1.0, 5.0], threshold=4)\narray([0., 1.])",
        "backward": (">>> rectifier.threshold_backward([3.0, 3.0], [1.0, 5.0], threshold=4)\n"
                     "array([0., 3.])"),
    },
    limits=(0.0, math.inf, 0.0, 1.0),
    test_params=({"threshold": 0.0, "value": 0.0}, {"threshold": 0.5, "value": -2.0}),
)

ALPHA = Param("alpha", 1.0, "the saturation value for x -> -inf is -alpha", _finite)
ELU = _record(
    "elu",
    definition="x if x > 0 else alpha * expm1(x)",
    params=(ALPHA,),
    kinks={"0": "alpha (the outer piece)"},
    **_peers(lambda x: np.where(x > 0, x, np.exp(x) - 1), lambda x: np.where(x > 0, 1, np.exp(x))),
    torch_forward=_torch_op("elu"),
    torch_backward=lambda g, x: _torch_op("aten.elu_backward")(g, 1.0, 1, 1, False, x),
    examples={
        "forward": ">>> rectifier.elu([-1e-10, 2.0])\narray([-1.e-10,  2.e+00])",
        "grad": ">>> rectifier.elu_grad([0.0, 1.0], alpha=0.5)\narray([0.5, 1. ])",
        "backward": ">>> rectifier.elu_backward([2.0, 2.0], [0.0, 1.0])\narray([2., 2.])",
    },
    limits=(-1.0, math.inf, 0.0, 1.0),
    test_params=({"alpha": 1.0}, {"alpha": 0.5}),
)

SELU = _record(
    "selu",
    definition=("scale * (x if x > 0 else alpha * expm1(x)), alpha = 1.6732632423543772848, "
                "scale = 1.0507009873554804934"),
    params=(),
    kinks={"0": "scale * alpha"},
    **_peers(lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
             lambda x: SELU_SCALE * np.where(x > 0, 1, SELU_ALPHA * np.exp(x))),
    torch_forward=_torch_op("selu"),
    torch_backward=lambda g, x: _torch_op("aten.elu_backward")(
        g, SELU_ALPHA, SELU_SCALE, 1, False, x),
    examples={
        "forward": (">>> rectifier.selu([-np.inf, 0.0, 1.0])\n"
            "array([-1.75809934,  0.        ,  1.05070099])"),
        "grad": ">>> rectifier.selu_grad([0.0, 1.0])\narray([1.75809934, 1.05070099])",
        "backward": ">>> rectifier.selu_backward([1.0], [-np.inf])\narray([0.])",
    },
    limits=(-SELU_SCALE_ALPHA, math.inf, 0.0, SELU_SCALE),
)

CELU_ALPHA = Param("alpha", 1.0, "the saturation value for x -> -inf is -alpha (not 0)",
                   _finite_nonzero)
CELU = _record(
    "celu",
    definition="max(0, x) + min(0, alpha * expm1(x / alpha))",
    params=(CELU_ALPHA,),
    kinks={"0": "1"},
    **_peers(lambda x: np.maximum(0, x) + np.minimum(0, np.exp(x) - 1),
             lambda x: np.where(x > 0, 1, np.exp(x))),
    torch_forward=_torch_op("celu"),
    torch_backward=lambda g, x: _torch_op("aten.elu_backward")(g, 1.0, 1, 1.0, False, x),
    examples={
        "forward": ">>> rectifier.celu([-np.inf, 1.0], alpha=2.0)\narray([-2.,  1.])",
        "grad": ">>> rectifier.celu_grad([0.0, -np.inf])\narray([1., 0.])",
        "backward": ">>> rectifier.celu_backward([3.0], [0.0])\narray([3.])",
    },
    limits=(-1.0, math.inf, 0.0, 1.0),
    test_params=({"alpha": 1.0}, {"alpha": 2.0}),
)

_GELU_COMMON: dict[str, Any] = {
    "params": (),
    "limits": (0.0, math.inf, 0.0, 1.0),
    "options": {"approximate": "'none' or 'tanh', default 'none': the tanh approximation"},
}
GELU_TANH = _record(
    "gelu_tanh",
    definition="x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))",
    **_GELU_COMMON,
    **_peers(_gelu_tanh_np, _gelu_tanh_grad_np),
    torch_forward=_torch_op("gelu", approximate="tanh"),
    torch_backward=_torch_op("aten.gelu_backward", approximate="tanh"),
)
GELU = _record(
    "gelu",
    definition="x * Phi(x) = x/2 * erfc(-x/sqrt(2))",
    **_GELU_COMMON,
    **_peers(lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), _gelu_grad_np),
    torch_forward=_torch_op("gelu"),
    torch_backward=_torch_op("aten.gelu_backward"),
    variants={"tanh": GELU_TANH},
    examples={
        "forward": (">>> rectifier.gelu([-10.0, -np.inf, 1.0])\n"
                    "array([-7.61985302e-23, -0.00000000e+00,  8.41344746e-01])\n"
                    ">>> rectifier.gelu([1.0], approximate='tanh')\narray([0.84119199])"),
        "grad": ">>> rectifier.gelu_grad([0.0, 1.0])\narray([0.5       , 1.08331547])",
        "backward": ">>> rectifier.gelu_backward([2.0], [0.0])\narray([1.])",
    },
)

SILU = _record(
    "silu",
    definition="x * sigmoid(x)",
    params=(),
    **_peers(lambda x: x * _sigmoid(x),
             lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    torch_forward=_torch_op("silu"),
    torch_backward=_torch_op("aten.silu_backward"),
    examples={
        "forward": (">>> rectifier.silu([-np.inf, 0.0, 1.0])\n"
            "array([-0.        ,  0.        ,  0.73105858])"),
        "grad": ">>> rectifier.silu_grad([0.0, np.inf])\narray([0.5, 1. ])",
        "backward": ">>> rectifier.silu_backward([4.0], [0.0])\narray([2.])",
    },
    limits=(0.0, math.inf, 0.0, 1.0),
)

MISH = _record(
    "mish",
    definition="x * tanh(softplus(x))",
    params=(),
    **_peers(lambda x: x * np.tanh(_softplus_np(x)), _mish_grad_np),
    torch_forward=_torch_op("mish"),
    torch_backward=_torch_op("aten.mish_backward"),
    examples={
        "forward": ">>> rectifier.mish([-np.inf, 1.0])\narray([-0.        ,  0.86509839])",
        "grad": ">>> rectifier.mish_grad([0.0])\narray([0.6])",
        "backward": ">>> rectifier.mish_backward([5.0], [0.0])\narray([3.])",
    },
    limits=(0.0, math.inf, 0.0, 1.0),
)

BETA = Param("beta", 1.0, "the sharpness: softplus(x) = log1p(exp(beta x)) / beta", _positive)
SP_THRESHOLD = Param(
    "threshold", math.inf,
    "None (or inf): exact for every x; a number t reproduces PyTorch (x where beta x > t; "
    "PyTorch's default is 20)", _not_nan)
SOFTPLUS = _record(
    "softplus",
    definition="log1p(exp(beta * x)) / beta",
    params=(BETA, SP_THRESHOLD),
    **_peers(_softplus_np, _sigmoid),
    torch_forward=_torch_op("softplus"),
    torch_backward=_torch_op("aten.softplus_backward", 1.0, 20.0),
    examples={
        "forward": (">>> rectifier.softplus([-800.0, 0.0, 30.0])\n"
                    "array([ 0.        ,  0.69314718, 30.        ])\n"
                    ">>> rectifier.softplus([30.0], threshold=20) - 30\narray([0.])"),
        "grad": ">>> rectifier.softplus_grad([0.0], beta=2.0)\narray([0.5])",
        "backward": ">>> rectifier.softplus_backward([4.0], [0.0])\narray([2.])",
    },
    limits=(0.0, math.inf, 0.0, 1.0),
    test_params=({"beta": 1.0, "threshold": math.inf}, {"beta": 2.0, "threshold": math.inf},
                 {"beta": 1.0, "threshold": 20.0}),
)

HARDSIGMOID = _record(
    "hardsigmoid",
    definition="relu6(x + 3) / 6",
    params=(),
    kinks={"-3": "0", "3": "0"},
    **_peers(lambda x: np.clip(x + 3, 0, 6) / 6,
             lambda x: np.where((x > -3) & (x < 3), 1 / 6, 0.0).astype(x.dtype)),
    torch_forward=_torch_op("hardsigmoid"),
    torch_backward=_torch_op("aten.hardsigmoid_backward"),
    examples={
        "forward": ">>> rectifier.hardsigmoid([-4.0, 0.0, 1.5])\narray([0.  , 0.5 , 0.75])",
        "grad": (">>> rectifier.hardsigmoid_grad([-3.0, 0.0, 3.0])\n"
            "array([0.        , 0.16666667, 0.        ])"),
        "backward": ">>> rectifier.hardsigmoid_backward([6.0], [0.0])\narray([1.])",
    },
    limits=(0.0, 1.0, 0.0, 0.0),
)

HARDSWISH = _record(
    "hardswish",
    definition="x * relu6(x + 3) / 6",
    params=(),
    kinks={"-3": "0", "3": "1"},
    **_peers(_hardswish_np, _hardswish_grad_np),
    torch_forward=_torch_op("hardswish"),
    torch_backward=_torch_op("aten.hardswish_backward"),
    examples={
        "forward": (">>> rectifier.hardswish([-np.inf, -1.0, 4.0])\n"
            "array([ 0.        , -0.33333333,  4.        ])"),
        "grad": ">>> rectifier.hardswish_grad([-3.0, 0.0, 3.0])\narray([0. , 0.5, 1. ])",
        "backward": ">>> rectifier.hardswish_backward([2.0], [0.0])\narray([1.])",
    },
    limits=(0.0, math.inf, 0.0, 1.0),
)

SQUARED_RELU = _record(
    "squared_relu",
    definition="relu(x) ** 2",
    params=(),
    kinks={"0": "0"},
    exact=True,
    keeps_integers=True,
    **_peers(lambda x: np.square(np.maximum(x, 0)), lambda x: 2 * np.maximum(x, 0)),
    torch_forward=lambda x: _torch_relu(x).square(),
    torch_backward=lambda g, x: g * (2 * _torch_relu(x)),
    examples={
        "forward": ">>> rectifier.squared_relu([-2, 3])\narray([0, 9])",
        "grad": ">>> rectifier.squared_relu_grad([-2.0, 3.0])\narray([0., 6.])",
        "backward": ">>> rectifier.squared_relu_backward([0.5], [3.0])\narray([3.])",
    },
    limits=(0.0, math.inf, 0.0, math.inf),
)

SIGMOID = _record(
    "sigmoid",
    definition="1 / (1 + exp(-x))",
    params=(),
    **_peers(_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    torch_forward=_torch_op("sigmoid"),
    # torch's backward takes the saved output; the benchmark passes x in its place.
    torch_backward=_torch_op("aten.sigmoid_backward"),
    examples={
        "forward": ">>> rectifier.sigmoid([-800.0, 0.0, 800.0])\narray([0. , 0.5, 1. ])",
        "grad": ">>> rectifier.sigmoid_grad([0.0])\narray([0.25])",
        "backward": ">>> rectifier.sigmoid_backward([4.0], [0.0])\narray([1.])",
    },
    limits=(0.0, 1.0, 0.0, 0.0),
)

TANH = _record(
    "tanh",
    definition="tanh(x)",
    params=(),
    **_peers(np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    torch_forward=_torch_op("tanh"),
    torch_backward=_torch_op("aten.tanh_backward"),
    examples={
        "forward": ">>> rectifier.tanh([-np.inf, 0.5])\narray([-1.        ,  0.46211716])",
        "grad": ">>> rectifier.tanh_grad([0.0])\narray([1.])",
        "backward": ">>> rectifier.tanh_backward([3.0], [0.0])\narray([3.])",
    },
    limits=(-1.0, 1.0, 0.0, 0.0),
)

#: Every registered op, by name.
REGISTRY: dict[str, OpRecord] = {
    rec.name: rec
    for rec in (RELU, LEAKY_RELU, PRELU, RRELU, RELU6, HARDTANH, THRESHOLD, ELU, SELU, CELU,
                GELU, SILU, MISH, SOFTPLUS, HARDSIGMOID, HARDSWISH, SQUARED_RELU, SIGMOID, TANH)
}

#: Every record including variants (gelu's tanh form): what the kernel tests sweep.
ALL_RECORDS: dict[str, OpRecord] = {
    **REGISTRY, **{v.name: v for rec in REGISTRY.values() for v in rec.variants.values()}
}
