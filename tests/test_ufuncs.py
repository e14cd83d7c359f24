"""Every registered ufunc x dtype x memory layout against the plain-Python reference.

The registry drives the sweep: a new record in rectifier._ops is tested here with no new code,
once tests/reference.py knows its scalar definition.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

import rectifier
from rectifier import _core
from rectifier._ops import ALL_RECORDS, REGISTRY

from . import reference as ref

FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
        np.intc, np.uintc, np.longlong, np.ulonglong]
OPS = ["forward", "grad", "backward"]
PARAM_VALUES = [0.0, 0.5, 1.0]


def edge_values(dtype) -> np.ndarray:
    """Edge values of a dtype, then random ones, as float64 (NaN, infs, zeros, subnormals, ...)."""
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "f":
        fi = np.finfo(dtype)
        edges = [np.nan, np.inf, -np.inf, 0.0, -0.0, fi.smallest_subnormal, -fi.smallest_subnormal,
                 fi.smallest_normal, -fi.smallest_normal, fi.max, -fi.max, 1.0, -1.0, fi.eps]
        values = np.concatenate([np.array(edges, dtype=dtype), rng.normal(size=50).astype(dtype)])
    else:
        ii = np.iinfo(dtype)
        edges = [ii.min, ii.max, 0, 1, ii.min + 1, ii.max - 1] + ([-1] if ii.min < 0 else [])
        rand = rng.integers(ii.min, ii.max, size=50, dtype=dtype, endpoint=True)
        values = np.concatenate([np.array(edges, dtype=dtype), rand])
    return values  # 64 values or so, in the dtype


def layouts(base: np.ndarray):
    """(name, array) pairs holding ``base``'s values in every memory layout a ufunc can see."""
    n = base.size - base.size % 4
    b = base[:n]
    yield "contiguous", b.copy()
    yield "transposed", b.reshape(4, -1).T.copy().T  # F-order 2-D
    yield "broadcast-stride0", np.broadcast_to(b[:1], (n,))
    yield "negative-stride", b.copy()[::-1]
    yield "every-other", np.repeat(b, 2)[::2]
    yield "offset-view", np.concatenate([b[:3], b])[3:]
    raw = np.zeros(n * b.itemsize + 1, dtype=np.uint8)
    unaligned = raw[1:].view(b.dtype)
    unaligned[...] = b
    yield "unaligned", unaligned
    yield "0-d", np.asarray(b[0])
    yield "empty", np.empty((1, 0, 5), dtype=b.dtype)


def cases():
    for rec in ALL_RECORDS.values():
        for op in OPS:
            dtypes = FLOATS + (INTS if (op == "forward" and rec.keeps_integers) else [])
            for dtype in dtypes:
                name = f"{rec.name}-{op}-{np.dtype(dtype).name}"
                yield pytest.param(rec.name, op, dtype, id=name)


def param_sets(name: str, op: str, dtype) -> list[tuple]:
    """The record's test parameter sets as trailing ufunc inputs. Integer inputs of a function
    that keeps integers take the integral sets, as Python ints (else NumPy would pick float64)."""
    rec = ALL_RECORDS[name]
    names = [p.name for p in rec.all_params(op)]
    defaults = {p.name: p.default for p in rec.all_params(op)}
    sets = []
    for values in rec.test_params:
        full = [values.get(n, defaults[n]) for n in names]
        if np.dtype(dtype).kind in "iu" and op == "forward":
            if not all(float(v).is_integer() for v in full):
                continue
            # clipped to the dtype's range, as rectifier.hardtanh does (the clip is unchanged)
            info = np.iinfo(dtype)
            full = [min(max(int(v), info.min), info.max) for v in full]
        sets.append(tuple(full))
    return sets


def expected(name: str, op: str, ins: tuple, params: tuple, got: np.ndarray) -> np.ndarray:
    """The reference for exact functions; for the smooth ones, the same ufunc on a contiguous
    copy (their values are checked against mpmath in test_accuracy.py)."""
    dtype = got.dtype
    # Parameters: NumPy casts Python numbers to the array's dtype (NEP 50), so the reference
    # uses the same rounded values.
    rounded = tuple(np.asarray(p, dtype=dtype).item() for p in params)
    if name == "rrelu":  # leaky_relu with the slope (lower + upper) / 2 rounded to the dtype
        slope = np.asarray((rounded[0] + rounded[1]) / 2, dtype=dtype).item()
        return ref.evaluate("leaky_relu", op, *ins, slope, dtype=dtype)
    if (name, op) in ref.SCALAR:
        return ref.evaluate(name, op, *ins, *rounded, dtype=dtype)
    uf = ALL_RECORDS[name].ufunc_for(op)
    flat = [np.ascontiguousarray(np.broadcast_to(a, got.shape)).ravel() for a in ins]
    return uf(*flat, *params).reshape(got.shape)


def run_case(name: str, op: str, dtype, params: tuple):
    rec = ALL_RECORDS[name]
    uf = rec.ufunc_for(op)
    values = edge_values(dtype)
    failures = []
    for layout, x in layouts(values):
        ins = (x,) if op != "backward" else (np.roll(values, 7)[: x.size].reshape(x.shape)
                                               if x.ndim else values[7:8].reshape(()), x)
        ins = (*tuple(np.asarray(a, dtype=dtype) for a in ins[:-1]), x)
        got = uf(*ins, *params)
        want = expected(name, op, ins, params, got)
        keeps = op == "forward" and rec.keeps_integers
        want_dtype = dtype if keeps or np.dtype(dtype).kind == "f" else np.float64
        if got.dtype != want_dtype or not ref.same(got, want):
            failures.append(f"{layout}: dtype {got.dtype}; {ref.mismatches(x, got, want)}")
        # out=x: the in-place form gives the same result (floats only: ints may change dtype)
        if got.dtype == x.dtype and x.flags.writeable and x.size:
            inplace = x.copy(order="K")
            ins2 = (*ins[:-1], inplace)
            uf(*ins2, *params, out=inplace)
            if not ref.same(inplace, want):
                failures.append(f"{layout} out=x: {ref.mismatches(x, inplace, want)}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("name", "op", "dtype"), list(cases()))
def test_every_layout_matches_reference(name, op, dtype):
    sets = param_sets(name, op, dtype)
    assert sets, "every record has a parameter set the sweep can use"
    for params in sets:
        run_case(name, op, dtype, params)


def test_seed_example():
    """The article's example, exactly."""
    out = rectifier.relu(np.array([-2, -1, 0, 1, 2]))
    assert out.tolist() == [0, 0, 0, 1, 2] and out.dtype == np.array([1]).dtype


def test_relu_of_negative_zero_is_positive_zero():
    for dtype in FLOATS:
        out = rectifier.relu(np.array([-0.0], dtype=dtype))
        assert not np.signbit(out[0]), dtype


@pytest.mark.parametrize("at_zero", PARAM_VALUES)
def test_float16_exhaustive(at_zero):
    """All 65,536 float16 bit patterns, for the function, its derivative and its backward pass."""
    x = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    x64 = x.astype(np.float64)
    want_f = np.where(np.isnan(x64) | (x64 > 0), x64, 0.0).astype(np.float16)
    assert ref.same(_core.relu(x), want_f)
    az = float(np.float16(at_zero))
    want_g = np.where(np.isnan(x64), x64, np.where(x64 > 0, 1.0, np.where(x64 == 0, az, 0.0)))
    assert ref.same(_core.relu_grad(x, at_zero), want_g.astype(np.float16))
    g = np.random.default_rng(1).permutation(x)  # every float16 value as a gradient too
    g64 = g.astype(np.float64)
    with np.errstate(invalid="ignore"):  # 0 * inf: masked below, the select never multiplies
        at0 = 0.0 * g64 if az == 0 else az * g64
    want_b = np.where(np.isnan(x64), x64, np.where(x64 > 0, g64, np.where(x64 == 0, at0, 0.0)))
    got = _core.relu_backward(g, x, at_zero)
    want = want_b.astype(np.float16)
    # at x == 0 with at_zero == 0 the select gives +0 even for inf/NaN gradients
    masked = np.isnan(want) & ~np.isnan(x)
    assert ref.same(np.where(masked, 0, got), np.where(masked, 0, want))
    assert not np.isnan(got[(x64 == 0) & (az == 0)]).any()


def test_backward_masks_nan_and_inf_gradients():
    g = np.array([np.nan, np.inf, -np.inf, np.nan, 5.0])
    x = np.array([-1.0, -1.0, 0.0, 2.0, np.nan])
    out = rectifier.relu_backward(g, x)
    assert out[:3].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(out[3]) and np.isnan(out[4])


def test_backward_accepts_relu_output_for_the_mask():
    rng = np.random.default_rng(2)
    x = rng.normal(size=1000).astype(np.float32)
    x[::10] = 0
    g = rng.normal(size=1000).astype(np.float32)
    y = rectifier.relu(x.copy())
    np.testing.assert_array_equal(rectifier.relu_backward(g, x), rectifier.relu_backward(g, y))


@pytest.mark.parametrize(
    "bad",
    [np.array([True, False]), np.array([1 + 2j]), np.array(["a"]), np.array([object()]),
     np.array(["2020-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]")],
    ids=lambda a: a.dtype.name,
)
@pytest.mark.parametrize("op", OPS)
def test_unsupported_dtypes_raise_type_error_naming_the_dtype(bad, op):
    uf = REGISTRY["relu"].ufunc_for(op)
    args = {"forward": (bad,), "grad": (bad, 0.0), "backward": (bad, bad, 0.0)}[op]
    with pytest.raises(TypeError, match=re.escape(f"dtype {bad.dtype},")):
        uf(*args)


def test_broadcasting_where_and_out():
    x = np.array([[-1.0], [2.0]])
    g = np.array([1.0, 2.0, 3.0])
    out = np.full((2, 3), 7.0)
    rectifier.relu_backward(g, x, out=out)
    assert out.tolist() == [[0, 0, 0], [1, 2, 3]]
    mask = np.array([True, False, True, False])
    y = np.full(4, -9.0)
    _core.relu(np.array([-1.0, -2.0, 3.0, 4.0]), out=y, where=mask)
    assert y.tolist() == [0.0, -9.0, 3.0, -9.0]


def test_overlapping_out_is_handled():
    """out is a shifted view of x: NumPy buffers the overlap, the result is as if out were fresh."""
    base = np.array([-1.0, 2.0, -3.0, 4.0, -5.0, 6.0])
    want = rectifier.relu(base[:-1].copy())
    rectifier.relu(base[:-1], out=base[1:])
    assert base[1:].tolist() == want.tolist()


def test_read_only_out_is_an_error_and_leaves_input_untouched():
    x = np.array([-1.0, 2.0])
    before = x.copy()
    ro = np.zeros(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        rectifier.relu(x, out=ro)
    assert x.tolist() == before.tolist() and ro.tolist() == [0.0, 0.0]


def test_inputs_are_not_modified():
    x = np.array([-1.0, 0.0, 2.0])
    g = np.array([1.0, 1.0, 1.0])
    rectifier.relu(x), rectifier.relu_grad(x), rectifier.relu_backward(g, x)
    assert x.tolist() == [-1.0, 0.0, 2.0] and g.tolist() == [1.0, 1.0, 1.0]


def test_ufuncs_pickle_by_name():
    for rec in ALL_RECORDS.values():
        for op in OPS:
            uf = rec.ufunc_for(op)
            assert pickle.loads(pickle.dumps(uf)) is uf


def test_array_ufunc_protocol_dispatches():
    class Wrapped:
        def __init__(self, a):
            self.a = a

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            inputs = [i.a if isinstance(i, Wrapped) else i for i in inputs]
            return Wrapped(getattr(ufunc, method)(*inputs, **kwargs))

    out = _core.relu(Wrapped(np.array([-1.0, 3.0])))
    assert isinstance(out, Wrapped) and out.a.tolist() == [0.0, 3.0]


def test_more_than_2_31_elements():
    """One inner-loop call over > 2**31 elements (npy_intp counters): a stride-0 input."""
    n = 2**31 + 17
    x = np.lib.stride_tricks.as_strided(np.array([-3], dtype=np.int8), shape=(n,), strides=(0,))
    out = _core.relu(x)
    assert out.shape == (n,) and out[0] == 0 and out[-1] == 0 and int(out[::2**20].sum()) == 0
    del out
    y = np.lib.stride_tricks.as_strided(np.array([5], dtype=np.int8), shape=(n,), strides=(0,))
    out = _core.relu(y)
    assert out[-1] == 5 and out[2**31] == 5


def test_simd_target_is_reported():
    assert rectifier.simd_target in _core.simd_targets
    assert "baseline" in _core.simd_targets


@pytest.mark.parametrize("target", [t for t in _core.simd_targets if t != rectifier.simd_target])
def test_every_compiled_simd_target_passes_the_same_tests(target):
    """The import picks the best target; the others are forced with RECTIFIER_SIMD and re-run,
    with the accuracy and family tests too (the float-lane kernels' error budgets must hold
    without FMA, on the SSE2 baseline, as well)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).parent
    env = dict(os.environ, RECTIFIER_SIMD=target)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         str(here / "test_accuracy.py"), str(here / "test_family.py"),
         "-k", "not 2_31 and not every_compiled_simd_target"],
        env=env, cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout


def test_unknown_simd_target_is_a_clear_import_error():
    import os
    import subprocess
    import sys

    env = dict(os.environ, RECTIFIER_SIMD="sse9")
    proc = subprocess.run([sys.executable, "-c", "import rectifier"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "RECTIFIER_SIMD=sse9" in proc.stderr
