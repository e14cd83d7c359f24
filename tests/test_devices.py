"""Arrays of other libraries and devices: torch tensors on the CPU and on CUDA, CuPy arrays, and
JAX arrays (with float64 enabled). Every function's three forms keep the library, the device
and the dtype, and their values are within SEMANTICS.md's bound, both of the exact value
(mpmath) and of the NumPy kernels' values.

The torch CPU and JAX cases run everywhere. The CUDA and CuPy cases (marked ``gpu``) need an
NVIDIA GPU: ``python -m pytest tests/test_devices.py --gpu`` runs them, and fails without one.
Without ``--gpu`` they are deselected, not skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import rectifier
from rectifier import accuracy
from rectifier._ops import ALL_RECORDS

SMOOTH = [name for name, rec in ALL_RECORDS.items() if not rec.exact]
NARROW = ("float16", "float32")

# Where float64 through the generic formulas (every backend but torch on the CPU, which runs
# the C kernels) is not within the bound: name -> (where, ulp, why), for all three forms. In
# that region the error may reach ulp (None: unbounded; only NaN and infinities are checked).
FLOAT64_GAPS = {
    "gelu": (lambda x: x < -0.5, None, "erfc(-x/sqrt2): the rounding of -x/sqrt2 grows by 2z^2 "
             "in erfc (1.4e3 ulp at x = -37), and the derivative cancels next to its zero"),
    "gelu_tanh": (lambda x: x < -0.5, None, "1 + tanh(u): u's rounding grows by 2|u| (970 ulp "
                  "at x = -21), and the derivative cancels next to its zero"),
    "mish": (lambda x: x < 0, 6, "mish' = e^x M / (w + 2)^2 rounds seven times: 4.8 ulp "
             "measured on [-8, -1.5] with NumPy's exp"),
}
def _normal(v: np.ndarray) -> np.ndarray:
    """Zero, infinite, NaN or of normal magnitude: not subnormal."""
    with np.errstate(invalid="ignore"):
        return ~(np.abs(v) < np.finfo(v.dtype).tiny) | (v == 0)


def _bounds(backend: Backend, name: str, dtype: str, bound: float, x: np.ndarray,
            *values: np.ndarray) -> np.ndarray:
    """The error allowed at each point: ``bound``, but not checked (inf) where XLA (JAX, on
    the CPU and on GPUs) or CuPy's float32 kernels (compiled with -ftz=true, cupy/cupy#8382)
    flush a subnormal input or result to zero, and the float64 gaps listed above."""
    allowed = np.full(x.shape, float(bound))
    if backend.name == "jax" or (backend.name == "cupy" and dtype == "float32"):
        for v in (x, *values):
            allowed[~_normal(v.astype(dtype))] = np.inf
    if dtype == "float64" and backend.name != "torch-cpu" and name in FLOAT64_GAPS:
        where, ulp, _ = FLOAT64_GAPS[name]
        allowed[where(x)] = np.inf if ulp is None else bound + ulp - ALL_RECORDS[name].ulp_bound[
            dtype]
    return allowed


@dataclass
class Backend:
    name: str
    to_device: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]
    on_device: Callable[[Any], bool]  # the result is this library's array, on this device


def _torch(device: str) -> Backend:
    torch = pytest.importorskip("torch")
    if device == "cuda" and not torch.cuda.is_available():
        pytest.fail("--gpu was given, but torch sees no CUDA device")
    return Backend(
        f"torch-{device}",
        lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device),
        lambda t: t.detach().cpu().numpy(),
        lambda t: isinstance(t, torch.Tensor) and t.device.type == device,
    )


def _cupy() -> Backend:
    try:
        import cupy

        cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # ImportError, or CuPy's CUDARuntimeError
        pytest.fail(f"--gpu was given, but CuPy cannot run: {exc!r}")
    return Backend("cupy", cupy.asarray, cupy.asnumpy, lambda a: isinstance(a, cupy.ndarray))


# torch-generic: CPU tensors made to take the generic formulas that CUDA tensors take, so that
# their float64 forms are checked without a GPU.
BACKENDS = ("torch-cpu", "torch-generic", "torch-cuda", "cupy", "jax")
GPU = ("torch-cuda", "cupy")


def _param(*values: str) -> Any:
    return pytest.param(*values, marks=[pytest.mark.gpu] if values[0] in GPU else [],
                        id="-".join(values))


def _with_dtypes(dtypes: tuple[str, ...]) -> list[Any]:
    """(backend, dtype) pairs. JAX's float64 is left out: XLA computes it with its own
    elementary functions (tanh 6.5 ulp at x = -19 on the CPU) and flushes subnormals, so
    JAX is checked in float16 and float32, which rectifier computes in float64 there."""
    return [_param(b, d) for b in BACKENDS for d in dtypes
            if not (b == "jax" and d == "float64")]


@pytest.fixture(params=[_param(b) for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "cupy":
        yield _cupy()
    elif request.param == "jax":
        jax = pytest.importorskip("jax")
        before = jax.config.read("jax_enable_x64")
        jax.config.update("jax_enable_x64", True)  # without it JAX has no float64 to widen to
        try:
            yield Backend("jax", jax.numpy.asarray, np.asarray, lambda a: isinstance(a, jax.Array))
        finally:
            jax.config.update("jax_enable_x64", before)
    elif request.param == "torch-generic":
        from rectifier import _torch_arrays

        monkeypatch = pytest.MonkeyPatch()
        monkeypatch.setattr(_torch_arrays, "_NUMPY_DTYPES", frozenset())
        try:
            yield dataclasses.replace(_torch("cpu"), name="torch-generic")
        finally:
            monkeypatch.undo()
    else:
        yield _torch(request.param.removeprefix("torch-"))


def _call(name: str, op: str, *arrays: Any, **params: Any) -> Any:
    base, tanh = (name.removesuffix("_tanh"), name.endswith("_tanh"))
    f = getattr(rectifier, base if op == "forward" else f"{base}_{op}")
    result = f(*arrays, **params, **({"approximate": "tanh"} if tanh else {}))
    return result[0] if base == "prelu" and op == "backward" else result  # (grad_x, grad_w)


def _on(backend: Backend, name: str, op: str, *arrays: np.ndarray, **params: Any) -> np.ndarray:
    """Run on the backend; check the library, device and dtype kept; return NumPy values."""
    got = _call(name, op, *[backend.to_device(a) for a in arrays], **params)
    assert backend.on_device(got), f"{name} {op}: result left {backend.name}: {type(got)}"
    assert str(got.dtype).endswith(str(arrays[-1].dtype)), (got.dtype, arrays[-1].dtype)
    return backend.to_numpy(got)


@pytest.mark.parametrize(("backend", "dtype"), _with_dtypes((*NARROW, "float64")),
                         indirect=["backend"])
@pytest.mark.parametrize("op", ["forward", "grad"])
@pytest.mark.parametrize("name", SMOOTH)
def test_within_the_bound_of_the_exact_value(backend: Backend, name: str, op: str, dtype: str):
    """Every float16 input, and float32 and float64 inputs in every binade plus the edges and
    the derivative's zero, against mpmath: the same check as the NumPy kernels'."""

    def run(rec: Any, op: str, x: np.ndarray, params: dict[str, float]) -> np.ndarray:
        return _on(backend, name, op, x, **params)

    x, err = accuracy.errors(name, op, dtype, impl=run, per_binade=accuracy.TEST_PER_BINADE)
    with np.errstate(all="ignore"):
        allowed = _bounds(backend, name, dtype, ALL_RECORDS[name].ulp_bound[dtype], x,
                          _call(name, op, x.astype(dtype)))
    bad = ~(err <= allowed) & (np.isfinite(allowed) | np.isinf(err))
    assert not bad.any(), [(float(x[i]), float(err[i])) for i in np.flatnonzero(bad)[:6]]


def _inputs(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(over="ignore"):  # float16: the float32 grid's large values become inf
        x = accuracy.grid("float32", 1).astype(dtype)
    g = np.random.default_rng(3).normal(0, 4, x.size).astype(dtype)
    g[::97] = 0
    return x, g


@pytest.mark.parametrize(("backend", "dtype"), _with_dtypes((*NARROW, "float64")),
                         indirect=["backend"])
@pytest.mark.parametrize("name", list(ALL_RECORDS))
def test_three_forms_match_the_numpy_kernels(backend: Backend, name: str, dtype: str):
    """Piecewise-linear functions bit for bit; smooth ones within the dtype's bound of the
    NumPy kernels' values (float64: both within 4 ulp of the exact value, so 8 apart).
    NaN and infinities agree, and so does the sign of the piecewise-linear functions' zeros
    (SEMANTICS.md lets the smooth ones' follow the library)."""
    x, g = _inputs(dtype)
    rec = ALL_RECORDS[name]
    bound = rec.ulp_bound[dtype] * (2 if dtype == "float64" else 1)
    for op, arrays in (("forward", (x,)), ("grad", (x,)), ("backward", (g, x))):
        with np.errstate(all="ignore"):
            want = _call(name, op, *arrays)
        got = _on(backend, name, op, *arrays)
        allowed = _bounds(backend, name, dtype, bound, x, *arrays, want)
        keep = np.isfinite(allowed)
        if rec.exact:
            np.testing.assert_array_equal(got[keep], want[keep], err_msg=f"{name} {op}")
        else:
            w = want.astype(np.float64)
            err = accuracy.ulp_error(got, w, np.zeros_like(w), dtype)
            bad = ~(err <= allowed) & (keep | np.isinf(err))
            assert not bad.any(), (op, [(x[i], got[i], want[i]) for i in np.flatnonzero(bad)[:5]])
        if rec.exact:  # relu(-0.0) is +0.0; smooth functions' zeros may follow the library
            sign = keep & (want == 0) & (np.signbit(got) != np.signbit(want))
            assert not sign.any(), (op, "sign of zero", [(x[i], g[i], got[i], want[i])
                                                         for i in np.flatnonzero(sign)[:5]])


@pytest.mark.parametrize("backend", [_param(b) for b in BACKENDS if b.startswith("torch")],
                         indirect=True)
def test_torch_autograd_on_device_matches_the_backward_kernel(backend: Backend):
    """Gradients through rectifier's functions stay on the device and agree with the NumPy
    backward kernels within the float32 bound (at the kinks too: elu'(0) is alpha)."""
    torch = pytest.importorskip("torch")
    x = np.linspace(-20, 20, 4001, dtype=np.float32)
    g = np.random.default_rng(5).normal(0, 4, x.size).astype(np.float32)
    for name in SMOOTH:
        t = backend.to_device(x).requires_grad_(True)
        _call(name, "forward", t).backward(backend.to_device(g))
        assert backend.on_device(t.grad) and t.grad.dtype == torch.float32
        want = _call(name, "backward", g, x).astype(np.float64)
        err = accuracy.ulp_error(backend.to_numpy(t.grad), want, np.zeros_like(want), "float32")
        assert (err <= 2).all(), (name, float(err.max()), float(x[np.argmax(err)]))


@pytest.mark.parametrize("backend", [_param(b) for b in BACKENDS if b.startswith("torch")],
                         indirect=True)
def test_torch_second_derivatives_through_create_graph(backend: Backend):
    """create_graph=True builds the gradient from torch's ops, so it can be differentiated:
    silu'' against a central difference of the NumPy silu_grad kernel."""
    torch = pytest.importorskip("torch")
    x = np.linspace(-6, 6, 97)
    t = backend.to_device(x).requires_grad_(True)
    (g,) = torch.autograd.grad(rectifier.silu(t).sum(), t, create_graph=True)
    (g2,) = torch.autograd.grad(g.sum(), t)
    assert backend.on_device(g2)
    h = 1e-5
    want = (rectifier.silu_grad(x + h) - rectifier.silu_grad(x - h)) / (2 * h)
    np.testing.assert_allclose(backend.to_numpy(g2), want, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(backend.to_numpy(g), rectifier.silu_grad(x), rtol=1e-15)


# JAX arrays are immutable: out= is refused for them (tests/test_api.py).
@pytest.mark.parametrize("backend", [_param(b) for b in BACKENDS if b != "jax"], indirect=True)
def test_out_is_written_on_the_device(backend: Backend):
    x = np.linspace(-4, 4, 9, dtype=np.float32)
    out = backend.to_device(np.full(9, np.nan, np.float32))
    result = rectifier.silu(backend.to_device(x), out=out)
    assert result is out and backend.on_device(out)
    want = rectifier.silu(x).astype(np.float64)
    assert (accuracy.ulp_error(backend.to_numpy(out), want, 0 * want, "float32") <= 2).all()


def test_prelu_weight_and_rrelu_slopes_on_the_device(backend: Backend):
    x = np.random.default_rng(7).normal(0, 3, (4, 3, 5)).astype(np.float32)
    w = np.array([0.1, 0.25, -0.5], np.float32)
    g = np.ones_like(x)
    xd, wd = backend.to_device(x), backend.to_device(w)
    np.testing.assert_array_equal(backend.to_numpy(rectifier.prelu(xd, wd)),
                                  rectifier.prelu(x, w))
    gx, gw = rectifier.prelu_backward(backend.to_device(g), xd, wd)
    assert backend.on_device(gx) and backend.on_device(gw)
    np.testing.assert_array_equal(backend.to_numpy(gx), rectifier.prelu_backward(g, x, w)[0])
    np.testing.assert_allclose(backend.to_numpy(gw), rectifier.prelu_backward(g, x, w)[1],
                               rtol=1e-5)
    y, slopes = rectifier.rrelu(xd, training=True, rng=np.random.default_rng(1))
    assert backend.on_device(y) and backend.on_device(slopes)
    y0, s0 = rectifier.rrelu(x, training=True, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(backend.to_numpy(y), y0)
    np.testing.assert_array_equal(backend.to_numpy(slopes), s0)
