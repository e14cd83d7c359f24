"""The public API: dispatch to every array library, parameter checks, and the numeric contract
seen through each library. One parametrised test per library, never a loop over libraries."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rectifier

VALUES = [-2.0, -1.0, -0.0, 0.0, 1.0, 2.0, math.inf, -math.inf, math.nan]


def np_expected(op, x, g=None, at_zero=0.0):
    x = np.asarray(x, dtype=np.float64)
    if op == "forward":
        return rectifier.relu(x)
    if op == "grad":
        return rectifier.relu_grad(x, at_zero=at_zero)
    return rectifier.relu_backward(np.asarray(g, dtype=np.float64), x, at_zero=at_zero)


# ---- NumPy inputs ------------------------------------------------------------------------------


def test_numpy_scalars_lists_and_arrays():
    assert rectifier.relu(np.float32(-3.0)) == 0
    assert isinstance(rectifier.relu(np.float32(-3)), np.float32)
    assert rectifier.relu([-2, -1, 0, 1, 2]).tolist() == [0, 0, 0, 1, 2]
    assert rectifier.relu(-1.5) == 0.0
    assert rectifier.relu_grad([-1, 0, 1], at_zero=1).tolist() == [0.0, 1.0, 1.0]
    assert rectifier.relu_grad(np.array([-1, 0, 1], dtype=np.int16)).dtype == np.float64


def test_numpy_out_and_in_place():
    x = np.array([-1.0, 2.0], dtype=np.float32)
    assert rectifier.relu(x, out=x) is x and x.tolist() == [0.0, 2.0]
    g = np.array([3.0, 4.0], dtype=np.float32)
    assert rectifier.relu_backward(g, x, out=g) is g and g.tolist() == [0.0, 4.0]


@pytest.mark.parametrize("bad", [2.0, -0.1, math.nan, math.inf])
def test_at_zero_outside_unit_interval_is_a_value_error(bad):
    with pytest.raises(ValueError, match=r"at_zero must be a finite number in \[0, 1\]"):
        rectifier.relu_grad([0.0], at_zero=bad)
    with pytest.raises(ValueError, match="at_zero"):
        rectifier.relu_backward([1.0], [0.0], at_zero=bad)


@pytest.mark.parametrize("bad", ["0.5", None, [0.5], True])
def test_at_zero_of_wrong_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="at_zero must be a real number"):
        rectifier.relu_grad([0.0], at_zero=bad)


def test_out_of_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"out must be a numpy\.ndarray"):
        rectifier.relu([1.0, -1.0], out=[0.0, 0.0])


@pytest.mark.parametrize("at_zero", [0.0, 0.25, 1.0])
@given(
    data=st.data(),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=5),
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
)
def test_backward_broadcasts_like_numpy(at_zero, data, shapes, dtype):
    g = data.draw(hnp.arrays(dtype, shapes.input_shapes[0]))
    x = data.draw(hnp.arrays(dtype, shapes.input_shapes[1]))
    out = rectifier.relu_backward(g, x, at_zero=at_zero)
    assert out.shape == shapes.result_shape and out.dtype == dtype
    gb, xb = np.broadcast_arrays(g, x)
    g64, x64 = gb.astype(np.float64), xb.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        az = float(np.asarray(at_zero, dtype=dtype))
        at0 = np.zeros_like(g64) if az == 0 else (az * g64)
        want = np.where(np.isnan(x64), np.nan, np.where(x64 > 0, g64, np.where(x64 == 0, at0, 0.0)))
        want = want.astype(dtype)
    np.testing.assert_array_equal(out, want)


# ---- other libraries ---------------------------------------------------------------------------

OPS = ["forward", "grad", "backward"]


def call(op, x, g=None, at_zero=0.0):
    if op == "forward":
        return rectifier.relu(x)
    if op == "grad":
        return rectifier.relu_grad(x, at_zero=at_zero)
    return rectifier.relu_backward(g, x, at_zero=at_zero)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("at_zero", [0.0, 0.5])
def test_torch_matches_numpy_and_stays_torch(op, at_zero):
    torch = pytest.importorskip("torch")
    x = torch.tensor(VALUES, dtype=torch.float32)
    g = torch.linspace(-3, 3, len(VALUES))
    out = call(op, x, g, at_zero)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.device == x.device
    want = np_expected(op, x.numpy(), g.numpy(), at_zero).astype(np.float32)
    # the sign of a zero may follow the library (SEMANTICS.md)
    np.testing.assert_array_equal(out.numpy() + 0.0, want + 0.0)


def test_torch_autograd_is_kept_and_matches_relu_grad():
    torch = pytest.importorskip("torch")
    x = torch.tensor([-2.0, -0.5, 0.5, 3.0], dtype=torch.float64, requires_grad=True)
    y = rectifier.relu(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), rectifier.relu_grad(x.detach().numpy()))
    # the backward pass agrees with torch's own (away from NaN, where SEMANTICS.md differs)
    g = torch.randn(4, dtype=torch.float64)
    torch_bw = torch.ops.aten.threshold_backward(g, x.detach(), 0)
    np.testing.assert_array_equal(rectifier.relu_backward(g, x.detach()).numpy(), torch_bw.numpy())
    # differentiable through the generic implementation too: d(backward)/d(grad) is the mask
    gg = torch.ones(2, requires_grad=True)
    rectifier.relu_backward(gg, torch.tensor([-1.0, 2.0])).sum().backward()
    assert gg.grad.tolist() == [0.0, 1.0]


def test_torch_out_and_nan_semantics():
    torch = pytest.importorskip("torch")
    x = torch.tensor([-1.0, math.nan, 2.0])
    out = torch.empty(3)
    assert rectifier.relu(x, out=out) is out
    assert out[0] == 0 and math.isnan(out[1]) and out[2] == 2
    # PyTorch's threshold_backward passes grad through at a NaN input; we return NaN
    bw = rectifier.relu_backward(torch.ones(3), x)
    assert math.isnan(bw[1]) and bw[0] == 0 and bw[2] == 1
    with pytest.raises(TypeError, match=r"torch\.bool"):
        rectifier.relu(torch.tensor([True]))


@pytest.mark.parametrize("op", OPS)
def test_jax_matches_numpy_and_stays_jax(op):
    jnp = pytest.importorskip("jax.numpy")
    x = jnp.asarray(VALUES, dtype=jnp.float32)
    g = jnp.linspace(-3, 3, len(VALUES), dtype=jnp.float32)
    out = call(op, x, g, 0.5)
    assert type(out).__module__.startswith(("jax", "jaxlib")) and out.dtype == jnp.float32
    want = np_expected(op, np.asarray(x), np.asarray(g), 0.5).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(out) + 0.0, want + 0.0)


def test_jax_autodiff_through_relu():
    jax = pytest.importorskip("jax")
    grad = jax.grad(lambda v: rectifier.relu(v).sum())(jax.numpy.asarray([-1.0, 2.0]))
    assert np.asarray(grad).tolist() == [0.0, 1.0]
    with pytest.raises(TypeError, match="out= is not supported for jax"):
        rectifier.relu(jax.numpy.ones(2), out=jax.numpy.ones(2))


@pytest.mark.parametrize("op", OPS)
def test_array_api_strict_uses_the_generic_implementation(op):
    xp = pytest.importorskip("array_api_strict")
    x = xp.asarray(VALUES, dtype=xp.float64)
    g = xp.asarray(np.linspace(-3, 3, len(VALUES)))
    out = call(op, x, g, 0.5)
    assert type(out) is type(x)
    want = np_expected(op, np.asarray(VALUES), np.linspace(-3, 3, len(VALUES)), 0.5)
    np.testing.assert_array_equal(np.asarray(out) + 0.0, want + 0.0)
    assert call("forward", xp.asarray([-3, 4])).dtype == xp.int64


@pytest.mark.parametrize("op", OPS)
def test_dask_stays_lazy_and_matches(op):
    da = pytest.importorskip("dask.array")
    xn = np.array(VALUES * 10)
    gn = np.linspace(-3, 3, xn.size)
    x, g = da.from_array(xn, chunks=7), da.from_array(gn, chunks=7)
    out = call(op, x, g, 0.5)
    assert isinstance(out, da.Array)
    np.testing.assert_array_equal(out.compute(), np_expected(op, xn, gn, 0.5))


def test_mixing_libraries_is_a_type_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="grad is a torch array and x is a numpy array"):
        rectifier.relu_backward(torch.ones(2), np.ones(2))


@pytest.mark.slow
def test_dask_distributed_local_cluster_with_two_worker_processes():
    pytest.importorskip("distributed")
    import dask.array as da
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        xn = np.random.default_rng(3).normal(size=100_000).astype(np.float32)
        x = da.from_array(xn, chunks=10_000)
        y = rectifier.relu_backward(x, x, at_zero=1.0)
        got = client.compute(y).result()
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(got, rectifier.relu_backward(xn, xn, at_zero=1.0))


def test_using_rectifier_on_numpy_imports_no_other_array_library():
    code = (
        "import sys, numpy as np, rectifier\n"
        "x = np.linspace(-1, 1, 11)\n"
        "rectifier.relu(x); rectifier.relu_grad(x); rectifier.relu_backward(x, x)\n"
        "rectifier.relu([1, -1]); rectifier.relu(2.0)\n"
        "bad = [m for m in ('torch', 'jax', 'dask', 'cupy', 'array_api_compat')\n"
        "       if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_docstrings_come_from_the_registry():
    for name in ("relu", "relu_grad", "relu_backward"):
        doc = getattr(rectifier, name).__doc__
        assert ">>> " in doc and "Examples" in doc
    assert "at_zero" in rectifier.relu_grad.__doc__


# ---- the family ------------------------------------------------------------------------------


def test_every_registered_function_is_public_with_three_forms_and_examples():
    from rectifier import ufuncs
    from rectifier._ops import REGISTRY

    for name, rec in REGISTRY.items():
        for suffix in ("", "_grad", "_backward"):
            f = getattr(rectifier, name + suffix)
            assert name + suffix in rectifier.__all__
            assert ">>> " in f.__doc__ and rec.definition in f.__doc__
            assert getattr(ufuncs, rec.ufunc.__name__ + suffix) is rec.ufunc_for(
                {"": "forward", "_grad": "grad", "_backward": "backward"}[suffix])
    assert "approximate" in rectifier.gelu.__doc__ and "threshold" in rectifier.softplus.__doc__


@given(
    data=st.data(),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_parameters_broadcast_like_operands(data, shapes, dtype):
    """Raw ufunc parameters are inputs: an array of alphas broadcasts against x and grad."""
    from rectifier import ufuncs

    g = data.draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=st.floats(-4, 4, width=32)))
    x = data.draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=st.floats(-9, 9, width=32)))
    alpha = data.draw(hnp.arrays(dtype, shapes.input_shapes[2],
                                 elements=st.floats(0.25, 3, width=32)))
    out = ufuncs.elu_backward(g, x, alpha)
    assert out.shape == shapes.result_shape and out.dtype == dtype
    gb, xb, ab = np.broadcast_arrays(g, x, alpha)
    want = np.array([ufuncs.elu_backward(gi, xi, ai) for gi, xi, ai in
                     zip(gb.ravel(), xb.ravel(), ab.ravel(), strict=True)], dtype=dtype)
    np.testing.assert_array_equal(out.ravel(), want)


def test_family_on_numpy_imports_no_other_array_library():
    code = (
        "import sys, numpy as np, rectifier\n"
        "x = np.linspace(-3, 3, 7)\n"
        "for n in rectifier.ops:\n"
        "    getattr(rectifier, n)(x); getattr(rectifier, n + '_grad')(x)\n"
        "print([m for m in ('torch', 'jax', 'dask', 'mpmath', 'matplotlib') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
