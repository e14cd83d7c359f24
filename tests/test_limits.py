"""Limits: arrays of more than 2**31 elements, empty arrays and 0-d arrays, across the API.

Over 2**31 elements: an index or count held in a 32-bit int would wrap there. The kernels see such
an array in one inner-loop call (a 1-d input is never split by NumPy) and the thread pool splits
it, so both are exercised. The inputs cost no memory: a memory-mapped sparse file (holes read as
zeros; a few values planted around index 2**31) and a stride-0 view of one element. The outputs
are int8, which relu, relu6, hardtanh and threshold keep (SEMANTICS.md), so each is 2 GiB.

Empty and 0-d: every public function, on every dtype it accepts, returns what a NumPy ufunc
returns: the input's shape; the dtype SEMANTICS.md gives (floats keep theirs; integers are kept
by the integer-exact functions, float64 otherwise); a NumPy scalar for a 0-d array, a NumPy
scalar or a Python number (``np.negative(np.array(1.5))`` is ``np.float64(-1.5)``), and ``out``
itself when ``out=`` is given. torch 0-d and empty tensors keep their shape and dtype.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import rectifier
from rectifier._ops import REGISTRY
from rectifier.api import FUNCTIONS
from rectifier.torch import Monitor

BIG = 2**31 + 10
# Planted int8 values (index -> value), around the 32-bit boundaries and at both ends.
PLANTED = {0: -3, 1: 5, 2**31 - 2: 7, 2**31 - 1: -7, 2**31: 9, 2**31 + 1: -9, BIG - 1: 4}
CHUNK = 2**28


@pytest.fixture(scope="module")
def sparse_int8(tmp_path_factory: pytest.TempPathFactory) -> Iterator[np.memmap]:
    """A read-only memory map of BIG int8 values: zeros (a sparse file) with PLANTED values."""
    path: Path = tmp_path_factory.mktemp("big") / "big.int8"
    with open(path, "wb") as f:
        f.truncate(BIG)
        for i, v in PLANTED.items():
            f.seek(i)
            f.write(np.int8(v).tobytes())
    mm = np.memmap(path, dtype=np.int8, mode="r", shape=(BIG,))
    yield mm
    del mm


@pytest.fixture
def threads(request: pytest.FixtureRequest) -> Iterator[int]:
    """The kernels' thread count for one test (parametrized indirectly), restored after."""
    saved = rectifier.get_num_threads()
    rectifier.set_num_threads(request.param)
    yield request.param
    rectifier.set_num_threads(saved)


# Each case costs seconds (2 GiB written), so each function runs once, and each layout with one
# thread (one kernel call sees all 2**31 + 10 elements) and with two (the pool splits them).
ONE_AND_TWO = pytest.mark.parametrize(
    "name, threads", [("relu", 1), ("hardtanh", 2)], indirect=["threads"]
)


def _count_nonzero(a: np.ndarray) -> int:
    return sum(int(np.count_nonzero(a[i : i + CHUNK])) for i in range(0, a.size, CHUNK))


def _expect(name: str, v: int) -> int:
    """The exact int8 value of the function at ``v`` (the definitions of SEMANTICS.md)."""
    return {
        "relu": max(v, 0),
        "relu6": min(max(v, 0), 6),
        "hardtanh": min(max(v, -5), 5),
        "threshold": v if v > 2 else -1,
    }[name]


CALLS = {
    "relu": lambda x: rectifier.relu(x),
    "relu6": lambda x: rectifier.relu6(x),
    "hardtanh": lambda x: rectifier.hardtanh(x, min_val=-5, max_val=5),
    "threshold": lambda x: rectifier.threshold(x, 2, -1),
}


@ONE_AND_TWO
def test_over_2_31_elements_from_a_memory_map(name, sparse_int8, threads):
    y = CALLS[name](sparse_int8)
    assert y.shape == (BIG,) and y.dtype == np.int8
    for i, v in PLANTED.items():
        assert int(y[i]) == _expect(name, v), (i, v, int(y[i]))
    # Everything else came from a zero: f(0) there (0 for both), so only planted values differ.
    planted_nonzero = sum(1 for v in PLANTED.values() if _expect(name, v) != 0)
    assert _count_nonzero(y) == planted_nonzero
    assert int(y[2**31 + 5]) == _expect(name, 0)
    assert sparse_int8[2**31] == 9  # the input is read only (and mode="r" would refuse a write)


@pytest.mark.parametrize("name, threads", [("relu6", 1), ("threshold", 2)], indirect=["threads"])
def test_over_2_31_elements_from_a_stride_0_view(name, threads):
    one = np.array([8], dtype=np.int8)
    x = np.lib.stride_tricks.as_strided(one, shape=(BIG,), strides=(0,), writeable=False)
    y = CALLS[name](x)
    assert y.shape == (BIG,) and y.dtype == np.int8
    want = _expect(name, 8)
    for i in (0, 2**31 - 1, 2**31, BIG - 1):
        assert int(y[i]) == want
    lo = min(int(y[i : i + CHUNK].min()) for i in range(0, BIG, CHUNK))
    hi = max(int(y[i : i + CHUNK].max()) for i in range(0, BIG, CHUNK))
    assert lo == hi == want
    assert one[0] == 8


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_over_2_31_elements_into_out(sparse_int8, threads):
    out = np.full(BIG, 99, dtype=np.int8)
    r = rectifier.relu(sparse_int8, out=out)
    assert r is out
    for i, v in PLANTED.items():
        assert int(out[i]) == max(v, 0)
    assert _count_nonzero(out) == sum(1 for v in PLANTED.values() if v > 0)


# --------------------------------------------------------------------------- empty and 0-d

FLOATS = ("float16", "float32", "float64")
INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _record(name: str) -> tuple[Any, str]:
    for suffix, op in (("_backward", "backward"), ("_grad", "grad")):
        if name.endswith(suffix):
            return REGISTRY[name[: -len(suffix)]], op
    return REGISTRY[name], "forward"


def _result_dtype(name: str, dtype: str) -> np.dtype:
    rec, op = _record(name)
    if dtype in FLOATS:
        return np.dtype(dtype)
    return np.dtype(dtype) if rec.keeps_integers and op == "forward" else np.dtype(np.float64)


def _call(name: str, x: Any, **kw: Any) -> Any:
    f = getattr(rectifier, name)
    args = (np.ones_like(x) if isinstance(x, np.ndarray | np.generic) else 1.0, x)
    result = f(*args, **kw) if name.endswith("_backward") else f(x, **kw)
    # prelu_backward returns (grad_x, grad_weight): the elementwise part is grad_x.
    return result[0] if name == "prelu_backward" else result


def _value(dtype: str) -> Any:
    return np.array(-2.5 if dtype in FLOATS else (3 if dtype.startswith("u") else -3), dtype)


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("shape", [(0,), (2, 0, 3)], ids=["0", "2x0x3"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_empty_arrays(name, shape, dtype):
    x = np.zeros(shape, dtype)
    y = _call(name, x)
    assert isinstance(y, np.ndarray)
    assert y.shape == shape and y.dtype == _result_dtype(name, dtype)
    out = np.empty(shape, _result_dtype(name, dtype))
    assert _call(name, x, out=out) is out


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_0d_arrays_give_numpy_scalars(name, dtype):
    x0 = _value(dtype)
    y = _call(name, x0)
    want_dtype = _result_dtype(name, dtype)
    # What a NumPy ufunc returns for a 0-d array: a NumPy scalar, not a 0-d array.
    assert isinstance(y, np.generic) and not isinstance(y, np.ndarray), type(y)
    assert y.dtype == want_dtype
    same = _call(name, x0.reshape(1))[0]  # the same value, computed as a 1-element array
    assert np.array_equal(np.asarray(y), np.asarray(same), equal_nan=True)
    # A NumPy scalar in gives the same.
    assert np.array_equal(np.asarray(_call(name, x0[()])), np.asarray(y), equal_nan=True)
    # out= a 0-d array: the result is out itself, holding the value.
    out = np.empty((), want_dtype)
    r = _call(name, x0, out=out)
    assert r is out and np.array_equal(out, np.asarray(y), equal_nan=True)
    assert x0 == _value(dtype)  # the input untouched


@pytest.mark.parametrize("name", FUNCTIONS)
def test_python_number_gives_float64_scalar(name):
    y = _call(name, -2.5)
    assert isinstance(y, np.float64), type(y)
    assert np.array_equal(y, _call(name, np.array([-2.5]))[0], equal_nan=True)


@pytest.mark.parametrize("value", [-1.5, 0.0, 0.75])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_torch_0d_and_empty_tensors(name, value):
    f = getattr(rectifier, name)
    x = torch.tensor(value)
    args = (torch.tensor(2.0), x) if name.endswith("_backward") else (x,)
    y = f(*args)
    y = y[0] if name == "prelu_backward" else y
    assert isinstance(y, torch.Tensor) and y.shape == () and y.dtype == torch.float32
    np_args = tuple(np.float32(a.item()) for a in args)
    want = f(*np_args)
    want = want[0] if name == "prelu_backward" else want
    assert math.isclose(float(y), float(want), rel_tol=1e-6, abs_tol=1e-30), (float(y), want)
    e = torch.zeros(0, 3)
    ye = f(*((torch.zeros(0, 3), e) if name.endswith("_backward") else (e,)))
    ye = ye[0] if name == "prelu_backward" else ye
    assert ye.shape == (0, 3) and ye.dtype == torch.float32


@pytest.mark.parametrize("batch", [torch.zeros(0, 4), torch.tensor(-1.0)], ids=["empty", "0-d"])
def test_monitor_on_empty_and_0d_activations(batch):
    """An empty batch is counted as no observation; a 0-d activation (no unit axis) is not a
    site. Neither raises, and no hook is left behind."""
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU()) if batch.dim() else nn.Sequential(nn.ReLU())
    with Monitor(model) as monitor:
        model(batch)
    report = monitor.report()
    assert all(s.observations == 0 for s in report.sites)
    assert report.healthy
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
