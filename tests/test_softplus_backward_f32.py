"""float32 softplus_backward's special grads and deep tail (family_f32_softplus.h).

The float-lane backward has no per-lane select for zero, inf and NaN grads: its sigmoid's
low part is kept positive so that g y0 + g lo is g's signed zero, inf or NaN where g is one,
and 2^kk is applied as two factors, the second subnormal (down to 2^-146) where
beta x < -87. These cases check both against the float64 kernel on the stretch where those
factors are subnormal (beta x in [-194, -80]) and where sigmoid is near 1, for grads at
float32's extremes (test_logistic_f32.py covers the binade grid).
"""

from __future__ import annotations

import numpy as np
import pytest

from rectifier import accuracy
from rectifier._ops import ALL_RECORDS

BOUND = 2.0  # SEMANTICS.md: float32 backward within 2 ULP of g * f'(x) rounded once
GRADS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.4e38, -3.4e38, 2.0**100, -(2.0**-100),
                  1e-45, 1.5], dtype=np.float32)


@pytest.mark.parametrize("beta", [1.0, 2.0, 0.3])
def test_softplus_float32_backward_extreme_grads_deep_tail(beta):
    rec = ALL_RECORDS["softplus"]
    u = np.concatenate([np.linspace(-194.0, -80.0, 4001), np.linspace(-3.0, 30.0, 301)])
    x1 = (u / beta).astype(np.float32)
    x = np.repeat(x1, GRADS.size)
    g = np.tile(GRADS, x1.size)
    b32, t32 = np.float32(beta), np.float32(np.inf)
    with np.errstate(all="ignore"):
        got = rec.backward_ufunc(g, x, b32, t32)
        x64 = x.astype(np.float64)
        d64 = rec.grad_ufunc(x64, float(b32), np.inf)
        ref = rec.backward_ufunc(g.astype(np.float64), x64, float(b32), np.inf)
    ref = np.where(np.abs(d64) < 2.0**-280, 0.0, ref)  # kernels.c's mask, as test_logistic_f32
    err = accuracy.ulp_error(got, ref, np.zeros_like(ref), "float32")
    bad = ~(err <= BOUND)
    assert not bad.any(), [(float(g[i]), float(x[i]), float(got[i]), float(ref[i]))
                           for i in np.flatnonzero(bad)[:5]]
    # a zero grad gives its own signed zero wherever f'(x) is not masked
    zero = (g == 0) & (np.abs(d64) >= 2.0**-280)
    assert np.array_equal(np.signbit(got[zero]), np.signbit(g[zero]))
