"""A short, seeded run of the ufunc fuzzer (tests/fuzz_ufuncs.py); long runs use
tools/fuzz_ufuncs.py. Each failure names the seed and case that replay it."""

from __future__ import annotations

import numpy as np
import pytest

from tests import fuzz_ufuncs as F

SEED = 20261127
CHUNKS = 6
PER_CHUNK = 2_000


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_seeded_fuzz_run(chunk):
    stats = F.run(seed=SEED, executions=PER_CHUNK, start=chunk * PER_CHUNK)
    assert not stats.failures, f"{len(stats.failures)} failures:\n" + "\n".join(
        stats.failures[:10])
    # the run exercised what it claims: every ufunc, and values checked on most calls
    assert stats.executions == PER_CHUNK
    assert stats.value_checked > PER_CHUNK * 0.8
    assert len(stats.by_ufunc) > 50


def test_every_ufunc_is_reachable():
    assert set(F.UFUNC_NAMES) == {n for n in dir(F.ufuncs) if isinstance(
        getattr(F.ufuncs, n), np.ufunc)}
    for name in F.UFUNC_NAMES:
        fam, op = F.split(name)
        table = F.EXACT_REFS if fam in F.EXACT else F.SMOOTH_REFS
        assert (fam, "forward" if op == "forward" else "grad") in table, name


def _fake(real, formula):
    """A stand-in for ``real`` computing ``formula``, with the ufunc's out=, where= and
    dtype= (so only the values are wrong), for the detection tests."""

    def fake(*args, out=None, where=True, dtype=None):
        with np.errstate(all="ignore"):
            arrays = [np.asarray(a) for a in args]
            want = dtype or np.result_type(*args)
            if want.kind in "iu" and real.ntypes == 3:
                want = np.dtype(np.float64)
            r = np.asarray(formula(*[a.astype(want) for a in arrays])).astype(want)
        if out is None:
            return r
        np.copyto(out, r, where=where, casting="unsafe")
        return out

    fake.nin = real.nin
    fake.__name__ = real.__name__
    return fake


class _Module:
    def __init__(self, fake):
        self.fake = fake

    def __getattr__(self, name):
        return self.fake if name == self.fake.__name__ else getattr(F.ufuncs, name)


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        # the seed's np.maximum(x, 0): -0.0 where relu gives +0.0
        ("relu", lambda x: np.maximum(x, x.dtype.type(0))),
        # exp(x) - 1 instead of expm1: thousands of ULP near 0
        ("elu", lambda x, a: np.where(x > 0, x, a * (np.exp(x) - 1))),
        # the backward pass as a multiply: NaN in grad leaks where f'(x) = 0
        ("relu_backward", lambda g, x, az: g * (x > 0)),
        # silu as x / (1 + exp(-x)): NaN at -inf (-inf * 0)
        ("silu", lambda x: x / (1 + np.exp(-x))),
    ],
)
def test_the_harness_catches_a_wrong_kernel(monkeypatch, name, formula):
    fake = _fake(getattr(F.ufuncs, name), formula)
    monkeypatch.setattr(F, "ufuncs", _Module(fake))
    stats = F.Stats()
    found = [F.execute(F.RngDraw([SEED, i]), stats, name=name) for i in range(300)]
    wrong_values = [m for m in found if m and "wrong values" in m]
    assert wrong_values, f"300 calls of a wrong {name} went unnoticed: {found[:3]}"
