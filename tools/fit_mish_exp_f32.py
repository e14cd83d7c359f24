import numpy as np
from mpmath import mp, mpf, exp as mexp
L = 0.3466 * 1.001
r = np.cos(np.linspace(0, np.pi, 4001)) * L
r = r[np.abs(r) > 1e-6]
f = (np.expm1(r) - r) / r**2
deg = int(__import__('sys').argv[1])
# weighted minimax via iterative reweighted least squares on the relative error of e^r
w = r**2 / np.exp(r)
V = np.vander(r, deg + 1, increasing=True)
wt = np.ones_like(r)
for it in range(60):
    c, *_ = np.linalg.lstsq(V * (w * wt)[:, None], f * w * wt, rcond=None)
    e = (V @ c - f) * w
    wt *= (np.abs(e) / np.abs(e).max()) ** 0.5 + 1e-3
    wt /= wt.mean()
cf = c.astype(np.float32).astype(np.float64)
mp.dps = 40
def relerr(cs):
    m = 0
    for rv in np.linspace(-L, L, 20001):
        p = 0.0
        for cc in cs[::-1]: p = p * rv + cc
        val = mpf(rv) + mpf(rv)**2 * mpf(p)
        m = max(m, abs(float((1 + val) / mexp(mpf(rv)) - 1)))
    return m
print("deg", deg, "coef", [float(np.float32(x)) for x in c])
print("max rel err (float coefs, exact arith): %.3g = %.3f u" % (relerr(cf), relerr(cf) * 2**24))
