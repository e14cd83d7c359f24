"""The family's contract (SEMANTICS.md) through the public API: limits, NaN, kinks, signed zero,
dtypes, parameter checks, prelu's channels, rrelu's sampling, and every deliberate difference
from PyTorch (one dict, TORCH_DIFFERENCES, checked against torch autograd)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rectifier
from rectifier._ops import ALL_RECORDS, REGISTRY, SELU_SCALE, SELU_SCALE_ALPHA

FLOATS = [np.float16, np.float32, np.float64]
NAMES = list(REGISTRY)


def fn(name: str, op: str = "forward"):
    f = getattr(rectifier, name if op == "forward" else f"{name}_{op}")
    if name == "prelu" and op == "backward":  # (grad_x, grad_weight): the first here
        return lambda *a, **k: f(*a, **k)[0]
    return f


# ---- values at the edges ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", NAMES)
def test_infinities_give_the_limits_never_nan(name, dtype):
    rec = REGISTRY[name]
    f_lo, f_hi, d_lo, d_hi = rec.limits
    x = np.array([-np.inf, np.inf], dtype=dtype)
    got = fn(name)(x)
    want = np.array([f_lo, f_hi]).astype(got.dtype)
    np.testing.assert_array_equal(got + 0, want + 0)  # the sign of a zero aside
    np.testing.assert_array_equal(fn(name, "grad")(x), np.array([d_lo, d_hi]).astype(got.dtype))
    bw = fn(name, "backward")(np.array([3.0, 3.0], dtype=dtype), x)
    assert not np.isnan(bw).any()


@pytest.mark.parametrize("name", NAMES)
def test_nan_in_gives_nan_out_in_all_three_forms(name):
    x = np.array([np.nan, 1.0, -1.0])
    for op in ("forward", "grad"):
        assert np.isnan(fn(name, op)(x)[0]) and not np.isnan(fn(name, op)(x)[1:]).any()
    assert np.isnan(fn(name, "backward")(np.ones(3), x)[0])


@pytest.mark.parametrize("name", NAMES)
def test_backward_masks_nan_and_inf_gradients_where_the_derivative_is_zero(name):
    # x = -inf: every derivative in the family is 0 there, except leaky_relu/prelu/rrelu's slope
    g = np.array([np.nan, np.inf])
    x = np.array([-np.inf, -np.inf])
    out = fn(name, "backward")(g, x)
    if REGISTRY[name].limits[2] == 0:
        assert out.tolist() == [0.0, 0.0]
    else:
        assert np.isnan(out[0]) and out[1] == np.inf


KINKS = [
    ("leaky_relu", {"negative_slope": 0.2}, 0.0, 0.2),
    ("prelu", {}, 0.0, 0.25),
    ("elu", {"alpha": 0.5}, 0.0, 0.5),
    ("selu", {}, 0.0, SELU_SCALE_ALPHA),
    ("celu", {"alpha": 3.0}, 0.0, 1.0),
    ("relu6", {}, 0.0, 0.0),
    ("relu6", {}, 6.0, 0.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 5.0}, -2.0, 0.0),
    ("hardtanh", {"min_val": -2.0, "max_val": 5.0}, 5.0, 0.0),
    ("threshold", {"threshold": 1.5, "value": 7.0}, 1.5, 0.0),
    ("hardsigmoid", {}, -3.0, 0.0),
    ("hardsigmoid", {}, 3.0, 0.0),
    ("hardswish", {}, -3.0, 0.0),
    ("hardswish", {}, 3.0, 1.0),
    ("squared_relu", {}, 0.0, 0.0),
]


@pytest.mark.parametrize(("name", "params", "x", "want"), KINKS)
def test_derivative_at_the_kinks(name, params, x, want):
    for dtype in (np.float32, np.float64):
        got = fn(name, "grad")(np.array([x], dtype=dtype), **params)
        assert got[0] == np.asarray(want, dtype=dtype), (dtype, got)


def test_signed_zeros():
    z = np.array([-0.0])
    assert not np.signbit(rectifier.relu6(z)[0])
    assert np.signbit(rectifier.leaky_relu(z)[0])
    assert not np.signbit(rectifier.squared_relu(z)[0])


def test_selu_constants_and_celu_saturation():
    assert rectifier.selu(np.array([-np.inf]))[0] == -SELU_SCALE_ALPHA
    assert rectifier.selu(np.array([1.0]))[0] == SELU_SCALE
    assert rectifier.celu(np.array([-np.inf]), alpha=2.5)[0] == -2.5


# ---- dtypes -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", NAMES)
def test_float_dtypes_are_kept(name, dtype):
    x = np.linspace(-4, 4, 9).astype(dtype)
    for op in ("forward", "grad"):
        assert fn(name, op)(x).dtype == dtype
    assert fn(name, "backward")(x, x).dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_integers_are_kept_exactly_or_become_float64(name):
    x = np.array([-7, -1, 0, 2, 9], dtype=np.int8)
    out = fn(name)(x)
    if REGISTRY[name].keeps_integers:
        assert out.dtype == np.int8
    else:
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, fn(name)(x.astype(np.float64)))
    assert fn(name, "grad")(x).dtype == np.float64


def test_integer_results():
    x = np.array([-7, -1, 0, 2, 9, 100], dtype=np.int8)
    assert rectifier.relu6(x).tolist() == [0, 0, 0, 2, 6, 6]
    assert rectifier.hardtanh(x, min_val=-2, max_val=5).tolist() == [-2, -1, 0, 2, 5, 5]
    assert rectifier.threshold(x, 1, -3).tolist() == [-3, -3, -3, 2, 9, 100]
    # np.square's wrap-around: 100**2 = 10000 = 16 (mod 256)
    assert rectifier.squared_relu(x).tolist() == [0, 0, 0, 4, 81, 16]
    np.testing.assert_array_equal(rectifier.squared_relu(x), np.square(np.maximum(x, 0)))
    # bounds outside the dtype's range are clipped (the clip is the same), not an error
    assert rectifier.hardtanh(np.array([3], dtype=np.uint8), min_val=-1000).tolist() == [1]
    # non-integral bounds: float64, as np.clip does
    assert rectifier.hardtanh(x, min_val=-0.5, max_val=0.5).dtype == np.float64
    # a value the dtype cannot hold: float64
    assert rectifier.threshold(x, 0, 1000).dtype == np.float64


@pytest.mark.parametrize("bad", [np.array([True]), np.array([1j])], ids=["bool", "complex"])
@pytest.mark.parametrize("name", list(ALL_RECORDS))
def test_bool_and_complex_are_type_errors(name, bad):
    rec = ALL_RECORDS[name]
    k = len(rec.params)
    with pytest.raises(TypeError, match="not supported"):
        rec.ufunc(bad, *([1.0] * k))
    with pytest.raises(TypeError, match="not supported"):
        rec.backward_ufunc(bad, bad, *([1.0] * (k + len(rec.grad_params))))


# ---- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rectifier.celu([1.0], alpha=0.0), r"celu: alpha must be a finite non-zero"),
        (lambda: rectifier.rrelu([1.0], lower=0.5, upper=0.1), r"lower must be <= upper"),
        (lambda: rectifier.gelu([1.0], approximate="fast"), r"approximate must be 'none' or"),
        (lambda: rectifier.softplus([1.0], beta=0.0), r"beta must be a finite positive"),
        (lambda: rectifier.hardtanh([1.0], min_val=2, max_val=1), r"min_val must be <= max_val"),
        (lambda: rectifier.elu([1.0], alpha=math.inf), r"alpha must be a finite number"),
        (lambda: rectifier.leaky_relu([1.0], negative_slope=math.nan), r"negative_slope"),
        (lambda: rectifier.prelu(np.ones((2, 3)), [0.1, 0.2]), r"weight has 2 elements but x "),
        (lambda: rectifier.prelu(np.ones((2, 3)), [0.1, 0.2, 0.3], axis=2), r"axis must be in"),
        (lambda: rectifier.prelu(np.ones(3), [0.1, 0.2]), r"no channel axis"),
        (lambda: rectifier.rrelu_backward([1.0], [1.0], training=True), r"needs the slopes"),
    ],
)
def test_invalid_parameters_are_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_wrong_parameter_types_are_type_errors():
    with pytest.raises(TypeError, match="alpha must be a real number"):
        rectifier.elu([1.0], alpha="1")
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        rectifier.rrelu([1.0], training=True, rng=42)


def test_softplus_threshold_reproduces_pytorch_and_none_is_exact():
    x = np.array([10.0, 19.0, 21.0, 30.0])
    exact = rectifier.softplus(x)
    assert (exact > x).all()  # log1p(exp(x)) > x for every finite x
    torchlike = rectifier.softplus(x, threshold=20)
    np.testing.assert_array_equal(torchlike[2:], x[2:])
    np.testing.assert_array_equal(torchlike[:2], exact[:2])
    assert rectifier.softplus_grad(np.array([30.0]), threshold=20)[0] == 1.0
    b = rectifier.softplus(np.array([-1.0, 2.0]), beta=2.0)
    np.testing.assert_allclose(b, np.log1p(np.exp(2 * np.array([-1.0, 2.0]))) / 2, rtol=1e-15)


def test_gelu_tanh_form():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    want = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(rectifier.gelu(x, approximate="tanh"), want, rtol=1e-14)
    assert not np.array_equal(rectifier.gelu(x, approximate="tanh"), rectifier.gelu(x))
    g = rectifier.gelu_backward(np.full(5, 2.0), x, approximate="tanh")
    np.testing.assert_array_equal(g, 2 * rectifier.gelu_grad(x, approximate="tanh"))


# ---- prelu and rrelu ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_per_channel_forward_and_backward(dtype):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 3, 5)).astype(dtype)
    x[0, 0, 0] = 0.0
    w = np.array([0.1, 0.2, 0.3], dtype=dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    wb = w[:, None]
    y = rectifier.prelu(x, w)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, np.where(x > 0, x, wb * x))
    np.testing.assert_array_equal(rectifier.prelu_grad(x, w), np.where(x > 0, 1, wb).astype(dtype))
    gx, gw = rectifier.prelu_backward(g, x, w)
    np.testing.assert_array_equal(gx, np.where(x > 0, g, g * wb))
    assert gw.shape == (3,) and gw.dtype == dtype
    np.testing.assert_allclose(gw, np.where(x < 0, g * x, 0).sum(axis=(0, 2)), rtol=1e-5)
    # the channel axis can be the last one; a scalar weight sums over everything
    y_last = rectifier.prelu(np.moveaxis(x, 1, -1), w, axis=-1)
    np.testing.assert_array_equal(y_last, np.moveaxis(y, 1, -1))
    _, gw0 = rectifier.prelu_backward(g, x, 0.25)
    assert gw0.shape == () and np.isclose(gw0, np.where(x < 0, g * x, 0).sum(), rtol=1e-4)


def test_prelu_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4))
    w = np.array([0.1, -0.2, 0.3])
    g = rng.standard_normal(x.shape)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.prelu(tx, tw)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(rectifier.prelu(x, w), ty.detach().numpy(), rtol=0, atol=0)
    gx, gw = rectifier.prelu_backward(g, x, w)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12)


def test_rrelu_training_samples_slopes_and_backward_uses_them():
    x = np.linspace(-3, 3, 1001)
    y, slopes = rectifier.rrelu(x, training=True, rng=np.random.default_rng(7))
    assert slopes.shape == x.shape and slopes.min() >= 1 / 8 and slopes.max() <= 1 / 3
    assert slopes.std() > 0.03  # per element, not one slope
    np.testing.assert_array_equal(y, np.where(x > 0, x, slopes * x))
    y2, _ = rectifier.rrelu(x, training=True, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(y2, y)  # reproducible from the generator
    g = np.full_like(x, 2.0)
    bw = rectifier.rrelu_backward(g, x, training=True, slopes=slopes)
    np.testing.assert_array_equal(bw, np.where(x > 0, 2.0, 2.0 * slopes))
    # evaluation: deterministic, slope (lower + upper) / 2
    ev = rectifier.rrelu(x)
    np.testing.assert_array_equal(ev, rectifier.leaky_relu(x, negative_slope=(1 / 8 + 1 / 3) / 2))
    f32 = rectifier.rrelu(np.array([-1.0], dtype=np.float32), training=True,
                          rng=np.random.default_rng(0))
    assert f32[0].dtype == np.float32 and f32[1].dtype == np.float32


# ---- other libraries ----------------------------------------------------------------------


def _prelu_input():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32) * 3
    x[0, 0, :4] = [-np.inf, np.nan, 0.0, np.inf]
    x[0, 1, 0] = -np.inf  # channel 1 has a zero slope: 0 at -inf, not 0 * inf
    return x, np.array([0.1, 0.0, -0.3, 2.5], dtype=np.float32), rng.standard_normal(
        x.shape).astype(np.float32)


@pytest.mark.parametrize("axis", [1, -1])
def test_prelu_array_weight_on_torch_matches_numpy_and_keeps_autograd(axis):
    torch = pytest.importorskip("torch")
    x, w, g = _prelu_input()
    if axis == -1:
        x, g = np.moveaxis(x, 1, -1).copy(), np.moveaxis(g, 1, -1).copy()
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.nn.Parameter(torch.tensor(w))
    ty = rectifier.prelu(tx, tw, axis=axis)
    assert isinstance(ty, torch.Tensor) and ty.dtype == torch.float32
    np.testing.assert_array_equal(ty.detach().numpy(), rectifier.prelu(x, w, axis=axis))
    ty.backward(torch.tensor(g))
    gx, gw = rectifier.prelu_backward(g, x, w, axis=axis)
    finite = np.isfinite(x)
    np.testing.assert_array_equal(tx.grad.numpy()[finite], gx[finite])
    # the weight's gradient; channel 1 (slope 0 at x = -inf) is the one place they differ:
    # autograd sees the select that gives the limit 0, prelu_backward sums g * x = inf there
    np.testing.assert_allclose(tw.grad.numpy()[[0, 2, 3]], gw[[0, 2, 3]], rtol=1e-5)
    assert np.isinf(gw[1]) and np.isfinite(tw.grad.numpy()[1])
    # the explicit derivative and backward on tensors (a NumPy weight is moved to x's device)
    np.testing.assert_array_equal(rectifier.prelu_grad(torch.tensor(x), w, axis=axis).numpy(),
                                  rectifier.prelu_grad(x, w, axis=axis))
    tgx, tgw = rectifier.prelu_backward(torch.tensor(g), torch.tensor(x), w, axis=axis)
    np.testing.assert_array_equal(tgx.numpy(), gx)
    np.testing.assert_allclose(tgw.numpy(), gw, rtol=1e-5)
    with pytest.raises(ValueError, match="weight has 4 elements but x has 3 channels"):
        rectifier.prelu(torch.tensor(x), w, axis=0)


def test_rrelu_training_on_torch_draws_the_numpy_slopes_and_keeps_autograd():
    torch = pytest.importorskip("torch")
    x, _, g = _prelu_input()
    tx = torch.tensor(x, requires_grad=True)
    ty, ts = rectifier.rrelu(tx, training=True, rng=np.random.default_rng(4))
    y, s = rectifier.rrelu(x, training=True, rng=np.random.default_rng(4))
    assert isinstance(ts, torch.Tensor) and ts.dtype == torch.float32
    np.testing.assert_array_equal(ts.numpy(), s)
    np.testing.assert_array_equal(ty.detach().numpy(), y)
    ty.backward(torch.tensor(g))
    bw = rectifier.rrelu_backward(g, x, training=True, slopes=s)
    finite = np.isfinite(x)
    np.testing.assert_array_equal(tx.grad.numpy()[finite], bw[finite])
    tb = rectifier.rrelu_backward(torch.tensor(g), torch.tensor(x), training=True, slopes=ts)
    np.testing.assert_array_equal(tb.numpy(), bw)
    np.testing.assert_array_equal(
        rectifier.rrelu_grad(torch.tensor(x), training=True, slopes=ts).numpy(),
        rectifier.rrelu_grad(x, training=True, slopes=s))
    with pytest.raises(ValueError, match="slopes has shape"):
        rectifier.rrelu_grad(torch.tensor(x), training=True, slopes=ts[0])


@pytest.mark.parametrize("name", NAMES)
def test_torch_tensors_stay_torch_and_match_numpy(name):
    torch = pytest.importorskip("torch")
    x = np.array([-np.inf, -5.0, -1.0, -0.25, 0.5, 2.0, 7.0, np.inf])
    t = torch.tensor(x)
    for op in ("forward", "grad"):
        out = fn(name, op)(t)
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
        np.testing.assert_allclose(out.numpy(), fn(name, op)(x), rtol=1e-13, atol=1e-300)
    back = fn(name, "backward")(torch.ones(8, dtype=torch.float64), t)
    np.testing.assert_allclose(back.numpy(), fn(name, "backward")(np.ones(8), x), rtol=1e-13)


# Every deliberate difference from PyTorch: (function, op) -> (where, why). The test below
# checks that rectifier agrees with torch (values, and autograd for derivatives) everywhere
# else, and that each listed difference is real (a stale entry fails).
TORCH_DIFFERENCES = {
    ("gelu", "forward"): (lambda x: x < -4, "torch: 0.5 x (1 + erf(x/sqrt2)) cancels: digits "
                          "lost below -4, 0 below -8.3; NaN at -inf (the limit is 0)"),
    ("gelu", "grad"): (lambda x: (x < -4) | np.isinf(x), "torch: the same cancellation; NaN "
                       "at +-inf (the limits are 0 and 1)"),
    ("gelu_tanh", "forward"): (lambda x: x < -3, "torch: 1 + tanh(u) cancels below -3 (0 "
                               "below -15); NaN at -inf"),
    ("gelu_tanh", "grad"): (lambda x: (x < -3) | np.isinf(x), "torch: the same cancellation; "
                            "NaN at +-inf"),
    ("silu", "forward"): (lambda x: np.isneginf(x), "torch: NaN at -inf (the limit is 0)"),
    ("silu", "grad"): (lambda x: np.isinf(x), "torch: NaN at +-inf (the limits are 0 and 1)"),
    ("mish", "forward"): (lambda x: np.isneginf(x), "torch: NaN at -inf (the limit is 0)"),
    ("mish", "grad"): (lambda x: np.isinf(x), "torch: NaN at +-inf (the limits are 0 and 1)"),
    ("hardswish", "forward"): (lambda x: np.isneginf(x), "torch: -inf * 0 = NaN at -inf"),
    ("softplus", "forward"): (lambda x: x > 20, "torch returns x above threshold=20 (an error "
                              "of up to 2.1e-9); ours is exact unless threshold= is given"),
    ("softplus", "grad"): (lambda x: x > 20, "torch returns 1 above threshold=20"),
    ("hardsigmoid", "grad"): (lambda x: (x > -3) & (x < 3), "torch's float64 backward uses "
                              "1/6 rounded to float32 (0.16666667163...)"),
    ("sigmoid", "grad"): (lambda x: np.abs(x) > 5, "torch: s (1 - s) from the output; 1 - s "
                          "cancels for large x (relative error 3.6e-8 at 20)"),
    ("tanh", "grad"): (lambda x: np.abs(x) > 5, "torch: 1 - tanh(x)^2 cancels: 0 instead of "
                       "4e-22 at -25"),
}


def _torch_grid():
    x = np.concatenate([np.linspace(-25, 25, 2001), [-np.inf, np.inf, -3.0, 3.0, 0.0, 6.0]])
    return np.unique(x)


# prelu, rrelu, squared_relu and threshold are compared in their own tests: torch has no single
# op with these defaults.
@pytest.mark.parametrize("op", ["forward", "grad"])
@pytest.mark.parametrize("name", [n for n in (*NAMES, "gelu_tanh")
                                  if n not in ("prelu", "rrelu", "squared_relu", "threshold")])
def test_agrees_with_torch_except_the_listed_differences(name, op):
    torch = pytest.importorskip("torch")
    rec = ALL_RECORDS[name]
    x = _torch_grid()
    t = torch.tensor(x, requires_grad=True)
    y = rec.torch_forward(t)
    if op == "forward":
        theirs = y.detach().numpy()
        ours = rec.ufunc(x, *[p.default for p in rec.params])
    else:
        y.backward(torch.ones_like(t))
        theirs = t.grad.numpy()
        ours = rec.grad_ufunc(x, *[p.default for p in rec.all_params("grad")])
    where, why = TORCH_DIFFERENCES.get((name, op), (lambda x: np.zeros(x.shape, bool), ""))
    listed = where(x)
    close = np.isclose(ours, theirs, rtol=1e-12, atol=1e-300, equal_nan=True)
    assert close[~listed].all(), [(x[i], ours[i], theirs[i]) for i in np.flatnonzero(~close)[:5]]
    if listed.any():
        assert not close[listed].all(), f"stale entry: {name} {op} agrees with torch ({why})"


@pytest.mark.parametrize("name", ["silu", "gelu", "softplus", "elu"])
def test_threaded_results_equal_single_threaded(name):
    """The smooth kernels split from 10,240 elements; the split changes no bit."""
    rng = np.random.default_rng(9)
    n = (1 << 17) * 3 + 777
    x = (rng.standard_normal(n) * 8).astype(np.float32)
    x[::101] = np.nan
    g = rng.standard_normal(n).astype(np.float32)
    before = rectifier.get_num_threads()
    try:
        rectifier.set_num_threads(1)
        want = (fn(name)(x), fn(name, "backward")(g, x))
        rectifier.set_num_threads(3)
        got = (fn(name)(x), fn(name, "backward")(g, x))
    finally:
        rectifier.set_num_threads(before)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
