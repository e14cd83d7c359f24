"""A fuzz harness for the raw ufuncs (:mod:`rectifier.ufuncs`).

One *execution* is one ufunc call on generated operands, checked against an independent
reference. The operands vary everything NumPy lets a caller vary: the ufunc (all 60), dtypes
(float16/32/64, every integer type, mixed, non-native byte order), shapes (0-d, empty,
broadcast), memory layouts (transposed, negative and zero strides, offsets, unaligned), the
parameters (Python scalars, NumPy scalars, 0-d and per-element arrays; ordinary values, NaN,
infinities, huge and subnormal values), ``out=`` (fresh, wider dtype, the input itself, a view
that overlaps the input at an offset), ``where=`` and ``dtype=``; now and then an array large
enough for the kernels' threads.

Checks, per execution: the call raises only where it must (a bool or complex operand), the
result has the dtype SEMANTICS.md gives, its values equal the reference (bit for bit for the
piecewise-linear functions, within SEMANTICS.md's ULP bounds for the smooth ones), ``where=False``
elements of ``out`` keep their old values, and no input changes unless it is the output.

The reference is plain NumPy, written from SEMANTICS.md and independent of rectifier's code: the
piecewise-linear functions in float64 (exact for every dtype's products) rounded once to the
dtype; the smooth ones in long double (80-bit on x86) in their textbook stable forms, rounded once.
It works on copies taken before the call, so aliasing and overlap errors show as wrong values.

``tests/test_fuzz.py`` runs a short seeded run in CI; ``tools/fuzz_ufuncs.py`` runs long ones.
:func:`run` drives it from a seed; :func:`execute` takes any :class:`Draw`, so a coverage-guided
engine (atheris) can drive the same harness.

>>> stats = run(seed=0, executions=20)
>>> stats.executions, stats.failures
(20, [])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rectifier import ufuncs
from rectifier._ops import ALL_RECORDS

LD = np.longdouble
#: Whether long double carries at least 63 mantissa bits (x86); where it does not, float64
#: results are checked with 2 more ULP of slack (the reference is then only float64 itself).
EXTENDED = np.finfo(LD).nmant >= 63
FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
INTS = tuple(np.dtype(c) for c in "bBhHiIlLqQ")
#: SEMANTICS.md's bounds, in ULP of the output dtype.
BOUND = {"float16": 1.0, "float32": 2.0, "float64": 4.0}
#: Derivatives with an interior zero. Within 1 of it this harness's long-double reference itself
#: cancels (its error is ~2^-64 absolute, many float64 ULP of the tiny f'(x) there), so values
#: are held to the float64 bound in ULP of max(|f'(x)|, 1/2) there. tests/test_accuracy.py holds
#: the kernels to the plain bound near these zeros against mpmath.
GRAD_ZEROS = {"silu": -1.2785, "gelu": -0.7518, "gelu_tanh": -0.7530, "mish": -1.1924}
#: Functions whose values are exact (compared bit for bit, sign of zero included).
EXACT = ("relu", "leaky_relu", "prelu", "rrelu", "relu6", "hardtanh", "threshold",
         "squared_relu")
#: Functions that keep integer dtypes.
KEEPS_INTS = ("relu", "relu6", "hardtanh", "threshold", "squared_relu")
#: Above the parallel thresholds of the kernels: 10,240 elements (exp-based), 512 KiB moved (the
#: cheap ones: up to 2**18 elements for int8 relu).
LARGE = (1 << 20) + 4099


# ---- the reference -----------------------------------------------------------------------

_SELU_L = LD("1.0507009873554804934193349852946")
_SELU_A = LD("1.6732632423543772848170429916717")
_PI = LD("3.1415926535897932384626433832795")
_SQRT2 = np.sqrt(LD(2))
_GT_C = 2 * np.sqrt(2 / _PI)  # gelu_tanh: v = c (x + a x^3) = 2u
_GT_A = LD("0.044715")


def _sig(v):
    """sigmoid(v), and 1 - sigmoid(v), without overflow or cancellation."""
    z = np.exp(-np.abs(v))
    pos = v >= 0
    return np.where(pos, 1 / (1 + z), z / (1 + z)), np.where(pos, z / (1 + z), 1 / (1 + z))


def _erfc(t):
    """erfc on long-double arguments: the stdlib's float64 erfc at t rounded to float64, with
    the rounding remainder carried (erfc(t + d) = erfc(t) - d 2/sqrt(pi) e^{-t^2})."""
    th = t.astype(np.float64)
    d = t - th.astype(LD)
    e = np.vectorize(math.erfc, otypes=[np.float64])(th).astype(LD)
    return e - d * 2 / np.sqrt(_PI) * np.exp(-(th.astype(LD) ** 2))


def _phi(x):
    return np.exp(-x * x / 2) / np.sqrt(2 * _PI)


def _cdf(x):
    """Phi(x); below -30 the Mills-ratio series (erfc would leave float64's range)."""
    y = 1 / (x * x)
    tail = _phi(x) / -x * (1 + y * (-1 + y * (3 + y * (-15 + y * (105 + y * (-945 + y * 10395))))))
    return np.where(x < -30, tail, _erfc(-np.maximum(x, -30) / _SQRT2) / 2)


def _limits(x, r, lo, hi):
    """r with x = -inf replaced by lo and x = +inf by hi (the limits SEMANTICS.md gives)."""
    return np.where(x == -np.inf, lo, np.where(x == np.inf, hi, r))


def _softplus_u(x64, beta64):
    # The threshold test uses beta * x in float64, as a NumPy user writes it.
    return beta64 * x64


def _smooth_refs() -> dict[tuple[str, str], Callable[..., Any]]:
    """Forward and derivative of each smooth function, on long doubles."""

    def elu(x, a):
        return np.where(x > 0, x, a * np.expm1(x))

    def elu_d(x, a):
        return np.where(x > 0, 1, a * np.exp(x))

    def celu(x, a):  # SEMANTICS.md's definition, literally (alpha may be negative)
        return np.maximum(0, x) + np.minimum(0, a * np.expm1(x / a))

    def celu_d(x, a):
        return np.where(x > 0, 1, np.exp(x / a))

    def gelu(x):
        return _limits(x, x * _cdf(x), 0, np.inf)

    def gelu_d(x):
        return _limits(x, _cdf(x) + x * _phi(x), 0, 1)

    def gelu_tanh(x):
        s, _ = _sig(_GT_C * (x + _GT_A * x**3))
        return _limits(x, x * s, 0, np.inf)

    def gelu_tanh_d(x):
        s, sc = _sig(_GT_C * (x + _GT_A * x**3))
        return _limits(x, s + x * s * sc * _GT_C * (1 + 3 * _GT_A * x * x), 0, 1)

    def silu(x):
        return _limits(x, x * _sig(x)[0], 0, np.inf)

    def silu_d(x):
        s, sc = _sig(x)
        return _limits(x, s * (1 + x * sc), 0, 1)

    def _sp(x):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def mish(x):
        return _limits(x, x * np.tanh(_sp(x)), 0, np.inf)

    def mish_d(x):
        sp = _sp(x)
        return _limits(x, np.tanh(sp) + x * _sig(x)[0] / np.cosh(sp) ** 2, 0, 1)

    def softplus(x, beta, th, u64):
        r = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(beta * x))) / beta
        return np.where(u64 > th, x, r)

    def softplus_d(x, beta, th, u64):
        return np.where(u64 > th, 1, _sig(beta * x)[0])

    return {
        ("elu", "forward"): elu,
        ("elu", "grad"): elu_d,
        ("selu", "forward"): lambda x: _SELU_L * elu(x, _SELU_A),
        ("selu", "grad"): lambda x: _SELU_L * elu_d(x, _SELU_A),
        ("celu", "forward"): celu,
        ("celu", "grad"): celu_d,
        ("gelu", "forward"): gelu,
        ("gelu", "grad"): gelu_d,
        ("gelu_tanh", "forward"): gelu_tanh,
        ("gelu_tanh", "grad"): gelu_tanh_d,
        ("silu", "forward"): silu,
        ("silu", "grad"): silu_d,
        ("mish", "forward"): mish,
        ("mish", "grad"): mish_d,
        ("softplus", "forward"): softplus,
        ("softplus", "grad"): softplus_d,
        ("hardsigmoid", "forward"): lambda x: np.where(
            x <= -3, 0, np.where(x >= 3, 1, (x + 3) / 6)),
        ("hardsigmoid", "grad"): lambda x: np.where(
            (x > -3) & (x < 3), 1 / LD(6), np.where(np.isnan(x), x, 0)),
        ("hardswish", "forward"): lambda x: np.where(
            x <= -3, 0, np.where(x >= 3, x, x * (x + 3) / 6)),
        ("hardswish", "grad"): lambda x: np.where(
            x <= -3, 0, np.where(x >= 3, 1, (2 * x + 3) / 6)),
        ("sigmoid", "forward"): lambda x: _sig(x)[0],
        ("sigmoid", "grad"): lambda x: np.prod(_sig(x), axis=0),
        ("tanh", "forward"): np.tanh,
        ("tanh", "grad"): lambda x: 1 / np.cosh(x) ** 2,
    }


def _exact_refs() -> dict[tuple[str, str], Callable[..., Any]]:
    """Forward and derivative of each piecewise-linear function, in float64 (or the integer
    dtype): exact, or one product of two values of the dtype, which float64 holds exactly."""
    nan = np.isnan

    def relu(x):
        return np.where((x > 0) | _isnan(x), x, x.dtype.type(0))

    def relu_d(x, az):
        return np.where(x > 0, 1, np.where(x == 0, az, np.where(nan(x), x, 0)))

    def leaky(x, s):
        return np.where((x > 0) | nan(x), x, np.where(s == 0, 0, x * s))

    def leaky_d(x, s):
        return np.where(x > 0, 1, np.where(nan(x), x, s))

    def rrelu_slope(lo, up):
        return ((lo.astype(LD) + up.astype(LD)) / 2)

    def relu6(x):
        zero = x.dtype.type(0)
        return np.where(x > 0, np.minimum(x, 6), np.where(_isnan(x), x, zero))

    def hardtanh(x, lo, hi):
        return np.where(x < lo, lo, np.where(x > hi, hi, x))

    def threshold(x, t, v):
        return np.where((x > t) | _isnan(x), x, v)

    def squared_relu(x):
        zero = x.dtype.type(0)
        return np.where(x > 0, x * x, np.where(_isnan(x), x, zero))

    return {
        ("relu", "forward"): relu,
        ("relu", "grad"): relu_d,
        ("leaky_relu", "forward"): leaky,
        ("leaky_relu", "grad"): leaky_d,
        ("prelu", "forward"): leaky,
        ("prelu", "grad"): leaky_d,
        ("rrelu", "forward"): lambda x, lo, up: leaky(x, _round_slope(rrelu_slope(lo, up))),
        ("rrelu", "grad"): lambda x, lo, up: leaky_d(x, _round_slope(rrelu_slope(lo, up))),
        ("relu6", "forward"): relu6,
        ("relu6", "grad"): lambda x: np.where((x > 0) & (x < 6), 1, np.where(nan(x), x, 0)),
        ("hardtanh", "forward"): hardtanh,
        ("hardtanh", "grad"): lambda x, lo, hi: np.where(
            (x > lo) & (x < hi), 1, np.where(nan(x), x, 0)),
        ("threshold", "forward"): threshold,
        ("threshold", "grad"): lambda x, t, v: np.where(x > t, 1, np.where(nan(x), x, 0)),
        ("squared_relu", "forward"): squared_relu,
        ("squared_relu", "grad"): lambda x: np.where(x > 0, x + x, np.where(nan(x), x, 0)),
    }


def _isnan(x):
    return np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)


# rrelu's slope is rounded to the loop's dtype before use; set per call by _reference.
_SLOPE_DTYPE: list[np.dtype] = [np.dtype(np.float64)]


def _round_slope(s):
    with np.errstate(over="ignore"):
        return s.astype(_SLOPE_DTYPE[0]).astype(np.float64)


SMOOTH_REFS = _smooth_refs()
EXACT_REFS = _exact_refs()


def split(ufunc_name: str) -> tuple[str, str]:
    """'gelu_tanh_backward' -> ('gelu_tanh', 'backward')."""
    for op in ("grad", "backward"):
        if ufunc_name.endswith("_" + op):
            return ufunc_name[: -len(op) - 1], op
    return ufunc_name, "forward"


@dataclass
class Expected:
    """The reference result: values (float64, long double or integer), and how to compare."""

    values: np.ndarray
    exact: bool
    slack: float = 0.0  # extra ULP allowed for the reference's own error (float64 outputs)
    zero_zone: np.ndarray | None = None  # where the absolute (interior-zero) bound applies
    zero_scale: np.ndarray | None = None
    zero_slack: Any = 0.0  # float32/16 there: absolute error allowed, relative to zero_scale
    alt_zero: np.ndarray | None = None  # where 0 is also accepted (f' underflows float64)
    skip: np.ndarray | None = None  # known defects, reported: values not checked there


def reference(name: str, op: str, arrays: Sequence[np.ndarray], dtype: np.dtype) -> Expected:
    """The reference for ``name``'s ``op`` on the broadcast loop operands (already in the loop's
    ``dtype``): data inputs first, then the parameters."""
    _SLOPE_DTYPE[0] = dtype
    exact = name in EXACT
    if exact:
        work = [a if dtype.kind in "iu" else a.astype(np.float64) for a in arrays]
    else:
        work = [a.astype(LD) for a in arrays]
    g, x = (work[0], work[1]) if op == "backward" else (None, work[0])
    params = work[2:] if op == "backward" else work[1:]
    if name == "softplus":
        x64 = arrays[1 if op == "backward" else 0].astype(np.float64)
        params = [*params, _softplus_u(x64, params[0].astype(np.float64))]
    table = EXACT_REFS if exact else SMOOTH_REFS
    with np.errstate(all="ignore"):
        if op == "forward":
            values = table[(name, "forward")](x, *params)
        else:
            d = table[(name, "grad")](x, *params)
            if exact and dtype.kind == "f" and op == "grad":
                d = d.astype(np.float64)
            values = d
            if op == "backward":
                # g = 0 times a derivative too large for long double (celu with alpha < 0)
                gd = g * d if exact else np.where((g == 0) & np.isinf(d) & np.isfinite(x), 0,
                                                  g * d)
                if name == "squared_relu":  # g * 2x, where 2x alone overflows: (g * x) * 2
                    gd = np.where(np.isinf(d) & ~np.isinf(x), (g * x) * 2, gd)
                values = np.where(_isnan(x), x, np.where(d == 0, 0, gd))
    values = np.asarray(values)
    slack = 0.0
    if not exact and dtype == np.float64:
        slack = 1.0 if EXTENDED else 3.0
        if name == "gelu":
            slack += 1.0  # the stdlib's float64 erfc
    exp = Expected(values=values, exact=exact, slack=slack)
    with np.errstate(all="ignore"):
        if name == "celu":
            # Known defects, reported: with alpha < 0, x / alpha > 0 and its rounding error is
            # amplified |x / alpha| times in expm1 (celu(-112, alpha=-6) is 7.9 ULP off), and
            # celu'(x) = exp(x / alpha) grows without bound while the kernels' exp saturates at
            # e^1400, so a tiny g gives a finite product where the exact one overflows.
            exp.skip = (params[0] < 0) & (x / params[0] > 1)
        if name == "softplus" and dtype == np.float64:
            # Known defect, reported: with beta < 2^-966 the far tail e^(beta x) / beta is
            # ~2^-1023, not 0 (the exp clamps at -1400, enough only for 1/beta <= 2^966).
            exp.skip = (params[0] < LD(2.0) ** -966) & (params[0] * x < -1400)
    if not exact and op != "forward":
        with np.errstate(all="ignore"):
            d = SMOOTH_REFS[(name, "grad")](x, *params)
            # Where |f'(x)| is so small that g f'(x) rounds to 0 for every finite g, the
            # kernel may take f'(x) as 0 (the select then masks a NaN or inf in g): in float64
            # that is where f'(x) itself underflows, in float32 below 2^-150 / 2^128.
            tiny = LD(2.0) ** (-1075 if dtype == np.float64 else -278)
            exp.alt_zero = np.abs(d) < tiny
        if name in GRAD_ZEROS:
            exp.zero_zone = np.abs(x - LD(GRAD_ZEROS[name])) <= 1
            scale = np.full(x.shape, LD(0.5))
            exp.zero_scale = scale if op == "grad" else scale * np.abs(g)
            exp.zero_slack = BOUND["float64"] * LD(2.0) ** -52
    return exp


def ulp_errors(got: np.ndarray, exp: Expected, dtype: np.dtype) -> np.ndarray:
    """|got - reference| in ULP of ``dtype`` at the reference; inf where one is NaN (or an
    infinity the reference does not round to) and the other is not."""
    fi = np.finfo(dtype)
    ref = exp.values.astype(LD)
    g = got.astype(LD)
    with np.errstate(all="ignore"):
        top = LD(2.0) ** int(fi.maxexp)  # infinity counts as the next binade past the largest
        gf = np.where(np.isinf(g) & np.isfinite(ref), np.copysign(top, g), g)
        e = np.frexp(np.abs(ref).astype(LD))[1] - 1
        e = np.maximum(e, int(fi.minexp))
        ulp = np.ldexp(LD(1.0), e - fi.nmant)
        err = np.abs(gf - ref) / ulp
        if exp.zero_zone is not None:
            # Near a derivative's interior zero: float64 in ULP of max(|f'|, 1/2), as
            # tests/test_accuracy.py; float32 and float16 get that absolute float64 error on
            # top of their own bound (their kernels sum the same two cancelling terms in
            # double; the fuzzer found float32 gelu_grad 3000+ ULP off at its zero).
            e2 = np.frexp(np.maximum(np.abs(ref), exp.zero_scale))[1] - 1
            if dtype == np.float64:
                ulp2 = np.ldexp(LD(1.0), np.maximum(e2, fi.minexp) - fi.nmant)
                err = np.where(exp.zero_zone, np.abs(gf - ref) / ulp2, err)
            else:
                slack = exp.zero_slack * np.ldexp(LD(1.0), e2)
                relaxed = np.maximum(np.abs(gf - ref) - slack, 0) / ulp
                err = np.where(exp.zero_zone, relaxed, err)
        rounded = ref.astype(dtype)  # a finite reference may round to infinity
        err = np.where(np.isinf(rounded) & (g == rounded), 0, err)
        both_nan = np.isnan(ref) & np.isnan(g)
        err = np.where(both_nan, 0, np.where(np.isnan(ref) | np.isnan(g), np.inf, err))
        if exp.alt_zero is not None:
            err = np.where(exp.alt_zero & (g == 0), 0, err)
    return err.astype(np.float64)


def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: equal values, equal signs of zero, NaN where the other is NaN."""
    if a.dtype.kind != "f":
        return a == b
    return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


# ---- the generator -----------------------------------------------------------------------


class Draw:
    """The source of every choice. :class:`RngDraw` draws from a seeded NumPy generator;
    tools/fuzz_ufuncs.py adapts atheris's FuzzedDataProvider to the same four methods."""

    def int(self, n: int) -> int:  # in [0, n)
        raise NotImplementedError

    def unit(self) -> float:  # in [0, 1)
        raise NotImplementedError

    def raw(self, nbytes: int) -> bytes:
        raise NotImplementedError

    def normal(self, size: int) -> np.ndarray:
        raise NotImplementedError

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.int(len(seq))]

    def coin(self, p: float) -> bool:
        return self.unit() < p


class RngDraw(Draw):
    def __init__(self, seed: int | Sequence[int]):
        self.rng = np.random.default_rng(seed)

    def int(self, n: int) -> int:
        return int(self.rng.integers(n))

    def unit(self) -> float:
        return float(self.rng.random())

    def raw(self, nbytes: int) -> bytes:
        return self.rng.bytes(nbytes)

    def normal(self, size: int) -> np.ndarray:
        return self.rng.standard_normal(size)


def _special_values(dt: np.dtype, name: str) -> list[float]:
    fi = np.finfo(dt)
    v = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 3.0, -3.0, 6.0, 0.5, -0.5,
         float(fi.smallest_subnormal), -float(fi.smallest_subnormal), float(fi.smallest_normal),
         -float(fi.smallest_normal), float(fi.max), -float(fi.max), float(fi.eps), 20.0, -20.0,
         30.0, -30.0, -37.5, 40.0, -40.0, 1e4, -1e4, 88.72, -87.3, -103.9, 709.78, -745.1,
         -1.5, 2.0, 1e-8, -1e-8]
    if name in GRAD_ZEROS:
        v.append(GRAD_ZEROS[name])
    return v


def draw_floats(d: Draw, n: int, dt: np.dtype, name: str,
                extra: Sequence[float] = ()) -> np.ndarray:
    """n values of ``dt``: a mixture of special values, normal values at a random scale and
    random bit patterns (every binade, NaN payloads, subnormals)."""
    mode = d.int(4)
    specials = np.array([*_special_values(dt, name), *extra], dtype=np.float64)
    with np.errstate(over="ignore"):
        specials = specials.astype(dt)
        scale = 10.0 ** (d.unit() * 8 - 5)
        normal = (d.normal(n) * scale).astype(dt)
    bits = np.frombuffer(d.raw(n * dt.itemsize), dtype=dt.newbyteorder("=")).copy()
    if bits.size < n:  # an exhausted byte source (atheris) gives fewer bytes
        bits = np.resize(np.concatenate([bits, np.zeros(1, dt)]), n)
    if mode == 0:
        return normal
    if mode == 1:
        return bits
    pick = np.frombuffer(d.raw(n) + bytes(n), dtype=np.uint8)[:n]
    which = pick % 3
    spec = specials[(pick // 3) % specials.size]
    return np.where(which == 0, spec, np.where(which == 1, normal, bits)).astype(dt)


def draw_ints(d: Draw, n: int, dt: np.dtype) -> np.ndarray:
    ii = np.iinfo(dt)
    bits = np.frombuffer(d.raw(n * dt.itemsize) + bytes(n * dt.itemsize), dtype=dt)[:n].copy()
    small = [0, 1, -1, 5, 6, 7, -6, 2, ii.min, ii.max, ii.max // 2, ii.min + 1]
    small = np.array([min(max(v, ii.min), ii.max) for v in small], dtype=dt)
    pick = np.frombuffer(d.raw(n) + bytes(n), dtype=np.uint8)[:n]
    return np.where(pick % 2 == 0, small[pick // 2 % small.size], bits).astype(dt)


def draw_values(d: Draw, n: int, dt: np.dtype, name: str, extra: Sequence[float] = ()):
    if dt.kind == "f":
        return draw_floats(d, n, dt, name, extra)
    return draw_ints(d, n, dt)


def draw_shape(d: Draw) -> tuple[int, ...]:
    if d.coin(0.001):
        return (LARGE + d.int(5000),)
    ndim = d.pick([0, 1, 1, 1, 2, 2, 3, 4])
    dims = []
    for _ in range(ndim):
        dims.append(d.pick([0, 1, 1, 2, 3, 4, 5, 7, 8, 16, 17, 33]) if d.coin(0.85)
                    else d.int(300))
    while math.prod(dims) > 2048:  # small arrays: many executions, every loop branch
        dims[dims.index(max(dims))] //= 2
    return tuple(dims)


def operand_shape(d: Draw, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape``: some leading dims dropped, some set to 1."""
    drop = d.int(len(shape) + 1) if d.coin(0.3) else 0
    return tuple(1 if d.coin(0.15) else s for s in shape[drop:])


LAYOUTS = ("c", "c", "f", "neg", "step", "unaligned", "swapped", "bcast")


def layout(d: Draw, values: np.ndarray, kind: str, writeable: bool = False) -> np.ndarray:
    """``values`` (C order) in the memory layout ``kind``; the values are unchanged."""
    shape, dt = values.shape, values.dtype
    if kind == "f" and values.ndim:  # (asfortranarray makes a 0-d array 1-d)
        a = np.asfortranarray(values)
    elif kind == "neg" and values.ndim:
        axis = d.int(values.ndim)
        flipped = np.flip(values, axis)
        a = np.flip(np.ascontiguousarray(flipped), axis)
    elif kind == "step" and values.ndim:
        axis, step, start = d.int(values.ndim), d.pick([2, 3, -2]), d.int(3)
        big = list(shape)
        big[axis] = shape[axis] * abs(step) + start + 1
        base = np.zeros(big, dt)
        index = [slice(None)] * values.ndim
        stop = start + shape[axis] * abs(step)
        index[axis] = slice(start, stop, abs(step))
        a = base[tuple(index)]
        if step < 0:
            a = np.flip(a, axis)
        a[...] = values
    elif kind == "unaligned" and dt.itemsize > 1:
        buf = np.zeros(values.nbytes + dt.itemsize + 1, np.uint8)
        a = np.ndarray(shape, dt, buffer=buf, offset=1)
        a[...] = values
    elif kind == "swapped" and dt.itemsize > 1:
        a = values.astype(dt.newbyteorder("S"))
    elif kind == "bcast" and not writeable and values.size > 0 and values.ndim:
        axis = d.int(values.ndim)
        index = [slice(None)] * values.ndim
        index[axis] = slice(0, 1)
        small = values[tuple(index)].copy()
        values[...] = small  # the same values the broadcast view will show
        a = np.broadcast_to(small, shape)
    else:
        a = values.copy()
    assert a.shape == shape
    return a


@dataclass
class Case:
    """One generated call, for reports."""

    ufunc: str
    args: list[Any]
    kwargs: dict[str, Any]
    note: str = ""

    def describe(self) -> str:
        def one(a: Any) -> str:
            if isinstance(a, np.ndarray):
                return (f"array(shape={a.shape}, dtype={a.dtype.str}, strides={a.strides}, "
                        f"values={np.array2string(a.ravel()[:8], precision=17)})")
            return repr(a)

        kw = ", ".join(f"{k}={one(v)}" for k, v in self.kwargs.items())
        return (f"{self.ufunc}({', '.join(one(a) for a in self.args)}"
                f"{', ' + kw if kw else ''}) {self.note}")


def _param_pool(name: str, pname: str) -> list[float]:
    common = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, 1e300, 5e-324, math.inf, -math.inf,
              math.nan, 1e-5, 1e5]
    specific = {
        "at_zero": [0.0, 0.0, 0.5, 1.0, 0.25],
        "negative_slope": [0.01, 0.01, 0.3, 0.2],
        "weight": [0.25, 0.25, 0.1, 0.7],
        "lower": [0.125, 0.125, 0.1],
        "upper": [1 / 3, 1 / 3, 0.3],
        "min_val": [-1.0, -1.0, 0.0, -6.0],
        "max_val": [1.0, 1.0, 6.0, 3.0],
        "threshold": ([math.inf, math.inf, 20.0, 5.0, 0.0] if name == "softplus"
                      else [0.0, 0.0, 0.5, -3.0, 5.0]),
        "value": [0.0, 0.0, -2.0, 7.0],
        "alpha": [1.0, 1.0, 0.5, 2.0, 3.0],
        "beta": [1.0, 1.0, 2.0, 0.5, 10.0],
    }[pname]
    return specific * 3 + common


# The piecewise-linear formulas are defined for every parameter value (NaN, inf included).
TOTAL = ("relu", "leaky_relu", "prelu", "rrelu", "threshold")


def _params_valid(name: str, op: str, values: list[np.ndarray]) -> bool:
    """Whether every parameter value is in the domain the API accepts (after rounding to the
    loop's dtype); outside it only the absence of crashes is checked for the smooth
    functions, and hardtanh with min_val > max_val has no defined value."""
    rec = ALL_RECORDS[name]
    specs = rec.all_params(op)
    for spec, v in zip(specs, values, strict=True):
        for f in np.unique(np.asarray(v, dtype=np.float64)):
            if spec.check(float(f)) is not None and name not in TOTAL:
                return False
    if name == "elu" and op != "forward":
        a = np.abs(np.asarray(values[0], np.float64))
        # Known defects, reported: float64 elu_grad/elu_backward with |alpha| > 2^966 give
        # ~alpha 2^-2040, not 0, where exp(x) underflows (the exp clamps at -1400, enough only
        # for |alpha| <= 2^966); with a subnormal alpha, alpha * m is subnormal and loses
        # digits before the 2^k scaling (up to 11% off where g * f'(x) is normal).
        if np.any(a > 1e290) or np.any((a > 0) & (a < np.finfo(np.float64).tiny)):
            return False
    if name == "hardtanh":
        lo, hi = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
        if np.any(lo > hi) or np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
            return False
    return True


@dataclass
class Stats:
    executions: int = 0
    value_checked: int = 0
    elements: int = 0
    by_ufunc: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


UFUNC_NAMES = tuple(ufuncs.__all__)


def execute(d: Draw, stats: Stats | None = None, name: str | None = None) -> str | None:
    """Generate one call from ``d``, run it, check it. Returns None, or what went wrong."""
    with np.errstate(all="ignore"):
        return _execute(d, stats, name)


def _execute(d: Draw, stats: Stats | None, name: str | None) -> str | None:
    stats = stats if stats is not None else Stats()
    uname = name or d.pick(UFUNC_NAMES)
    uf = getattr(ufuncs, uname)
    fam, op = split(uname)
    keeps_ints = fam in KEEPS_INTS and op == "forward"
    ndata = 2 if op == "backward" else 1
    nparams = uf.nin - ndata
    pnames = [p.name for p in ALL_RECORDS[fam].all_params(op)]
    assert len(pnames) == nparams, (uname, pnames)

    # dtypes: mostly one float dtype for every operand; sometimes integers or a mix
    r = d.int(20)
    if r < 14:
        base = d.pick(FLOATS)
    elif r < 18:
        base = d.pick(INTS)
    else:
        base = d.pick((*FLOATS, *INTS, np.dtype(bool), np.dtype(np.complex64)))
    shape = draw_shape(d)
    large = math.prod(shape) >= LARGE

    # data operands
    data_vals, data = [], []
    for _ in range(ndata):
        dt = base if (d.coin(0.85) or large) else d.pick((*FLOATS, *INTS))
        s = shape if large or d.coin(0.6) else operand_shape(d, shape)
        if dt.kind in "fiu":
            v = draw_values(d, math.prod(s), dt, fam).reshape(s)
        else:
            v = np.zeros(s, dt)
        kind = "c" if large and d.coin(0.7) else d.pick(LAYOUTS)
        a = layout(d, v, kind)
        data_vals.append(v)
        data.append(np.asarray(a)[()] if (a.ndim == 0 and d.coin(0.3)) else a)

    # parameters: Python scalars mostly; NumPy scalars, 0-d and per-element arrays too
    params: list[Any] = []
    for pname in pnames:
        pool = _param_pool(fam, pname)
        form = d.int(10)
        if base.kind in "iu" and keeps_ints:
            ii = np.iinfo(base)
            pv = [0, 1, -1, 6, -3, 100, ii.min, ii.max][d.int(8)]
            pv = int(min(max(pv, ii.min), ii.max))
        else:
            pv = d.pick(pool)
        if form < 6:
            params.append(pv)
        elif form < 7:
            pdt = d.pick(FLOATS) if not (base.kind in "iu" and keeps_ints) else base
            with np.errstate(over="ignore", invalid="ignore"):
                params.append(pdt.type(pv))
        elif form < 8:
            int_ok = base.kind == "f" or (base.kind in "iu" and keeps_ints)
            params.append(np.array(pv, dtype=base if int_ok else np.float64))
        else:
            s = operand_shape(d, shape) if not large else shape
            pdt = base if base.kind in "fiu" else np.dtype(np.float64)
            if pdt.kind == "f":
                choice = np.array(pool, dtype=np.float64)
                idx = np.frombuffer(d.raw(math.prod(s)) + bytes(math.prod(s)), np.uint8)
                with np.errstate(over="ignore"):
                    vals = choice[idx[: math.prod(s)] % choice.size].astype(pdt).reshape(s)
            else:
                vals = draw_ints(d, math.prod(s), pdt).reshape(s)
            params.append(layout(d, vals, d.pick(LAYOUTS)))

    operands = [*data, *params]
    kwargs: dict[str, Any] = {}
    case = Case(uname, operands, kwargs)
    in_copies = [np.array(a, copy=True) for a in operands]
    bad_kind = any(np.asarray(a).dtype.kind in "bc" for a in operands)

    # the loop dtype SEMANTICS.md gives, from NumPy's promotion (NEP 50: Python scalars weak)
    try:
        loop = np.result_type(*operands)
    except (TypeError, OverflowError):
        loop = None
    if loop is not None and loop.kind in "iu" and not keeps_ints:
        loop = np.dtype(np.float64)
    if loop is not None and loop.kind == "f" and loop not in FLOATS:
        loop = None
    if d.coin(0.05) and loop is not None and loop.kind == "f" and not bad_kind:
        wider = [t for t in FLOATS if t.itemsize > loop.itemsize]
        if wider:
            loop = d.pick(wider)
            kwargs["dtype"] = loop
    try:
        out_shape = np.broadcast_shapes(*(np.shape(a) for a in operands))
    except ValueError:
        return _fail(stats, case, "generator made shapes that do not broadcast")

    # out= and where=
    out = None
    alias = None
    r = d.int(10)
    if loop is not None and not bad_kind:
        if r < 3:
            odt = loop if d.coin(0.8) or loop.kind != "f" else d.pick(
                [t for t in FLOATS if t.itemsize >= loop.itemsize])
            if loop.kind in "iu" and d.coin(0.2):
                odt = np.dtype(np.float64)  # integer results into a float64 out (safe)
            prior = draw_values(d, math.prod(out_shape), odt, fam).reshape(out_shape)
            kind = d.pick(("c", "f", "neg", "step", "unaligned", "swapped"))
            out = layout(d, prior, kind, writeable=True)
        elif r < 5:  # out is one of the data inputs (in place)
            k = d.int(ndata)
            a = data[k]
            if (isinstance(a, np.ndarray) and a.shape == out_shape and a.dtype == loop
                    and a.flags.writeable):
                out, alias = a, k
        elif r < 6 and len(out_shape) <= 1 and math.prod(out_shape) > 0:
            # out overlaps a data input at an offset: NumPy must see the overlap and buffer
            n = math.prod(out_shape)
            k, off = d.int(ndata), 1 + d.int(3)
            buf_vals = draw_values(d, n + off, loop, fam)
            buf = buf_vals.copy()
            first = d.coin(0.5)
            src = buf[:n] if first else buf[off:]
            dst = buf[off:] if first else buf[:n]
            if d.coin(0.3):
                src, dst = src[::-1], dst
            src = src.reshape(out_shape)
            data[k] = src
            operands[k] = src
            in_copies[k] = src.copy()
            out, alias = dst.reshape(out_shape), -1
            case.note = f"out overlaps input {k} at offset {off}"
    where = None
    if out is not None and d.coin(0.3):
        ws = operand_shape(d, out_shape)
        where = (np.frombuffer(d.raw(math.prod(ws)) + bytes(math.prod(ws)), np.uint8)[
            : math.prod(ws)] % 2 == 0).reshape(ws)
        if d.coin(0.2):
            where = bool(d.coin(0.5))
        kwargs["where"] = where
    if out is not None:
        kwargs["out"] = out
        out_prior = out.copy()

    # the call; when NumPy casts nothing, any floating-point warning comes from the kernels,
    # which must restore the IEEE flags they raise (loops.h), so it is an error then
    no_cast = all(np.asarray(a).dtype == loop for a in operands) and (
        out is None or out.dtype == loop)
    try:
        with np.errstate(all="raise" if no_cast else "ignore"):
            got = uf(*operands, **kwargs)
    except TypeError as e:
        if bad_kind:
            if "not supported" not in str(e) and "dtype" not in str(e):
                return _fail(stats, case, f"TypeError without the dtype: {e}")
            return _ok(stats, uname)
        if "dtype" in kwargs or out is not None:
            return _ok(stats, uname)  # NumPy's casting rules refused dtype= / out=
        return _fail(stats, case, f"raised {type(e).__name__}: {e}")
    except Exception as e:
        if isinstance(e, OverflowError) and base.kind in "iu":
            return _ok(stats, uname)
        return _fail(stats, case, f"raised {type(e).__name__}: {e}")
    if bad_kind:
        return _fail(stats, case, "a bool or complex operand did not raise TypeError")

    stats.executions += 1
    stats.by_ufunc[uname] = stats.by_ufunc.get(uname, 0) + 1
    got = np.asarray(got)
    if out is not None and got is not out and not np.shares_memory(got, out):
        return _fail(stats, case, "out= was not returned")
    if got.shape != out_shape:
        return _fail(stats, case, f"shape {got.shape}, want {out_shape}")
    result_dtype = out.dtype if out is not None else got.dtype
    if out is None and got.dtype != loop:
        return _fail(stats, case, f"dtype {got.dtype}, want {loop}")
    stats.elements += got.size

    # inputs unchanged (unless one is the output)
    for k, (a, c) in enumerate(zip(operands, in_copies, strict=True)):
        if alias is not None and (k == alias or (alias == -1 and np.shares_memory(a, out))):
            continue
        if not np.all(same_bits(np.asarray(a), c)):
            return _fail(stats, case, f"input {k} was modified")

    # where=False keeps out's old values
    mask = np.ones(out_shape, bool)
    if where is not None:
        mask = np.broadcast_to(np.asarray(where), out_shape)
        if not np.all(same_bits(got[~mask], out_prior[~mask])):
            return _fail(stats, case, "where=False elements of out were changed")

    # values
    try:
        loop_ops = [np.broadcast_to(np.asarray(c).astype(loop), out_shape) for c in in_copies]
    except (OverflowError, ValueError):
        return None
    pvals = [np.asarray(c).astype(loop) for c in in_copies[ndata:]]
    if fam not in EXACT and not _params_valid(fam, op, pvals):
        return None
    if fam == "hardtanh" and not _params_valid(fam, op, pvals):
        return None
    exp = reference(fam, op, loop_ops, loop)
    with np.errstate(all="ignore"):
        res = got.astype(loop) if loop.kind == "f" else got
        if exp.exact:
            want = exp.values.astype(loop)
            if loop.kind in "iu" and result_dtype != loop:  # e.g. an int64 loop, float64 out
                res, want = got, want.astype(result_dtype)
            ok = same_bits(res, want)
        else:
            err = ulp_errors(res, exp, loop)
            ok = err <= BOUND[loop.name] + exp.slack
    ok = np.asarray(ok) | ~mask
    if exp.skip is not None:
        ok = ok | exp.skip
    stats.value_checked += 1
    if not np.all(ok):
        bad = np.flatnonzero(~ok.ravel())
        xs = np.broadcast_to(in_copies[ndata - 1], out_shape).ravel()
        shown = []
        for i in bad[:4]:
            w = exp.values.ravel()[i]
            e = f", {float(err.ravel()[i]):.3g} ulp" if not exp.exact else ""
            ps = [np.broadcast_to(np.asarray(p), out_shape).ravel()[i] for p in pvals]
            gs = (f"g={np.broadcast_to(in_copies[0], out_shape).ravel()[i]!r} "
                  if op == "backward" else "")
            shown.append(f"{gs}x={xs[i]!r} params={ps}: got {got.ravel()[i]!r}, "
                         f"want {w!r}{e}")
        return _fail(stats, case, f"{bad.size} wrong values ({loop}): " + "; ".join(shown))
    return None


def _ok(stats: Stats, uname: str) -> None:
    stats.executions += 1
    stats.by_ufunc[uname] = stats.by_ufunc.get(uname, 0) + 1
    return None


def _fail(stats: Stats, case: Case, what: str) -> str:
    msg = f"{what}\n    call: {case.describe()}"
    stats.failures.append(msg)
    return msg


def run(seed: int, executions: int, stats: Stats | None = None, start: int = 0,
        progress: Callable[[Stats, int], None] | None = None) -> Stats:
    """``executions`` cases; case ``i`` draws from ``default_rng([seed, i])``, so any failing
    case can be replayed alone with :func:`replay`."""
    stats = stats if stats is not None else Stats()
    for i in range(start, start + executions):
        msg = execute(RngDraw([seed, i]), stats)
        if msg is not None:
            stats.failures[-1] = f"[seed {seed}, case {i}] " + msg
        if progress is not None and (i + 1) % 10_000 == 0:
            progress(stats, i + 1)
    return stats


def replay(seed: int, case: int) -> str | None:
    """Re-run one case of :func:`run` (for a failure report)."""
    return execute(RngDraw([seed, case]))
