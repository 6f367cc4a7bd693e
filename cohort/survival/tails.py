"""Upper tails of the normal and chi-square distributions, in closed form.

The Cox and log-rank p-values need only these two tails, so the analysis
path does not import scipy for them: ``2 P(Z > |z|) = erfc(|z| / sqrt 2)``
(the same function scipy's ``norm.sf`` evaluates), and the chi-square tail
for whole degrees of freedom is a finite sum of Poisson or half-integer
gamma terms, every term positive (nothing cancels).
"""

from __future__ import annotations

import math

import numpy as np


def normal_two_sided(z) -> np.ndarray:
    """Two-sided normal p-values ``2 P(Z > |z|)`` of each element of ``z``.

    >>> normal_two_sided([0.0, 1.959963984540054, float("nan")]).round(12).tolist()
    [1.0, 0.05, nan]
    """
    z = np.atleast_1d(np.asarray(z, dtype=float))
    return np.array([math.erfc(abs(v) / math.sqrt(2.0)) for v in z.tolist()], dtype=float)


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of the chi-square distribution for whole ``df`` (closed form).

    Even ``df``: ``exp(-x/2) sum_{i < df/2} (x/2)^i / i!``; odd ``df``:
    ``erfc(sqrt(x/2))`` plus ``exp(-x/2) sum (x/2)^(i - 1/2) / Gamma(i + 1/2)``.

    >>> round(chi2_sf(3.841458820694124, 1), 12), round(chi2_sf(5.991464547107979, 2), 12)
    (0.05, 0.05)
    """
    if not df > 0 or math.isnan(x):
        return float("nan")
    if x == math.inf:
        return 0.0
    if x <= 0:
        return 1.0
    h = x / 2
    if df % 2 == 0:  # exp(-h) sum_{i < df/2} h^i / i!
        term = total = 1.0
        for i in range(1, df // 2):
            term *= h / i
            total += term
        return min(1.0, math.exp(-h) * total)
    total = math.erfc(math.sqrt(h))  # df = 1
    term = math.sqrt(h) / math.gamma(1.5)  # h^(i - 1/2) / Gamma(i + 1/2), i = 1
    for i in range(1, (df - 1) // 2 + 1):
        if i > 1:
            term *= h / (i - 0.5)
        total += math.exp(-h) * term
    return min(1.0, total)


__all__ = ["chi2_sf", "normal_two_sided"]
