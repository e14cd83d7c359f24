"""Every ufunc on a few memory layouts, small enough to run under valgrind (.ci/valgrind).

For each of the 60 ufuncs and float16/32/64 (and an integer dtype where kept): contiguous,
strided, negative-stride, unaligned and broadcast inputs, per-element parameter arrays,
out= (fresh, in place, trailing the input at an offset), where=, 0-d and empty arrays; then one
large call per kind of kernel so the threaded split runs too. Each result is compared with the
same ufunc on contiguous copies, so a read of the wrong memory shows as a wrong value as well as
a valgrind report. Exits 1 on a wrong value.
"""

from __future__ import annotations

import sys

import numpy as np

import rectifier
from rectifier import ufuncs

N = 37  # odd: vector loops have a remainder
LARGE = (1 << 18) + 1025
ERRORS: list[str] = []


def _params(uf, ndata, dtype, n):
    k = uf.nin - ndata
    return [dtype.type(v) for v in (0.5, 1.5)[:k]], [np.linspace(0.25, 1.0, n).astype(dtype)
                                                     for _ in range(k)]


def _check(name, got, want):
    if not np.array_equal(np.asarray(got), np.asarray(want), equal_nan=True):
        ERRORS.append(name)


def exercise(name: str, dtype: np.dtype) -> None:
    uf = getattr(ufuncs, name)
    ndata = 2 if name.endswith("_backward") else 1
    rng = np.random.default_rng(len(name))
    base = (rng.standard_normal(3 * N + 3) * 3).astype(dtype)
    if dtype.kind == "f":
        base[::7] = np.nan
        base[::11] = -np.inf
        base[::13] = 0
    data = [base[:N].copy() for _ in range(ndata)]
    scalars, arrays = _params(uf, ndata, dtype, N)
    want = uf(*data, *scalars)
    # strided and negative-stride views, an unaligned copy, broadcast parameters
    strided = [base[: 2 * N : 2].copy() for _ in range(ndata)]
    for views in ([np.asarray(a) for a in strided],):
        big = np.empty(2 * N, dtype)
        big[::2] = views[0]
        _check(name + " strided", uf(big[::2], *data[1:], *scalars), uf(views[0], *data[1:],
                                                                         *scalars))
    rev = data[0][::-1].copy()
    _check(name + " negative stride", uf(rev[::-1], *data[1:], *scalars), want)
    if dtype.itemsize > 1:
        buf = np.zeros(N * dtype.itemsize + 1, np.uint8)
        un = np.ndarray((N,), dtype, buffer=buf, offset=1)
        un[...] = data[0]
        _check(name + " unaligned", uf(un, *data[1:], *scalars), want)
    _check(name + " array params", uf(*data, *arrays), uf(*data, *[a.copy() for a in arrays]))
    # out= fresh, in place, trailing the input (NumPy does not copy that one), where=
    out = np.full(N, 7, dtype)
    _check(name + " out", uf(*data, *scalars, out=out), want)
    inplace = data[0].copy()
    _check(name + " in place", uf(inplace, *data[1:], *scalars, out=inplace), want)
    trail = np.concatenate([data[0][:1], data[0]])
    uf(trail[1:], *data[1:], *scalars, out=trail[:-1])
    _check(name + " out trails input", trail[:-1], want)
    mask = np.arange(N) % 3 == 0
    out = np.full(N, 7, dtype)
    uf(*data, *scalars, out=out, where=mask)
    _check(name + " where", out[mask], np.asarray(want)[mask])
    _check(name + " where keeps", out[~mask], np.full((~mask).sum(), 7, dtype))
    # 0-d, empty, 2-d transposed
    _check(name + " 0-d", uf(*[a[0] for a in data], *scalars), np.asarray(want)[0])
    assert uf(*[a[:0] for a in data], *scalars).shape == (0,)
    m = np.resize(data[0], (6, 6))
    _check(name + " transposed", uf(m.T, *[np.resize(a, (6, 6)).T for a in data[1:]], *scalars),
           uf(np.ascontiguousarray(m.T), *[np.resize(a, (6, 6)).T.copy() for a in data[1:]],
              *scalars))


def large(name: str, dtype: np.dtype) -> None:
    uf = getattr(ufuncs, name)
    ndata = 2 if name.endswith("_backward") else 1
    x = np.linspace(-8, 8, LARGE).astype(dtype)
    scalars, _ = _params(uf, ndata, dtype, 1)
    args = [x] * ndata
    rectifier.set_num_threads(2)
    got = uf(*args, *scalars)
    rectifier.set_num_threads(1)
    _check(name + " large, threaded", got, uf(*args, *scalars))


def main() -> int:
    names = [n for n in ufuncs.__all__]
    for name in names:
        uf = getattr(ufuncs, name)
        dtypes = [np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)]
        if uf.ntypes > 3:
            dtypes.append(np.dtype(np.int16))
        for dt in dtypes:
            exercise(name, dt)
    for name in ("relu", "relu_backward", "gelu", "softplus_backward", "hardtanh"):
        large(name, np.dtype(np.float32))
    print(f"valgrind_ufuncs: {len(names)} ufuncs exercised, {len(ERRORS)} wrong results"
          + (": " + ", ".join(ERRORS[:10]) if ERRORS else ""))
    return 1 if ERRORS else 0


if __name__ == "__main__":
    with np.errstate(all="ignore"):
        sys.exit(main())
