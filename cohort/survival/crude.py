"""Crude probabilities of death from the cancer and from other causes.

Cronin and Feuer (Stat Med 2000): in the relative-survival setting the
all-cause hazard splits into the population (expected) hazard and the excess
hazard, so the probability of having died of each by time t is

    F_cancer(t) = int S(u-) (dL_O(u) - dL_P(u)),   F_other(t) = int S(u-) dL_P(u)

with S the observed (all-cause) survival, ``dL_O = dN / Y`` and ``dL_P`` the
mean population hazard of those at risk (Ederer II). They add up to the
all-cause probability of death, ``1 - S(t)``, and need no cause of death.
This is R ``relsurv::cmp.rel``'s estimator, evaluated on the half-month grid
of :mod:`cohort.survival.netsurv` (exits mid-month), with cmp.rel's variances
(relsurv 2.2: the population hazard taken as known, the observed deaths
binomial) and its plain 95% CIs.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cohort.errors import CohortError
from cohort.survival.netsurv import Z95, LifeTable, net_sums, to_grid


def crude_table(
    counts: pl.DataFrame,
    times,
    *,
    table: LifeTable,
    entry: str | None = None,
    label: str = "cohort",
    carried: list[int] | None = None,
) -> pl.DataFrame:
    """Crude probability of cancer death and of other-cause death at ``times`` (months).

    ``counts``: age_at_dx, sex, dx_year, time (exit time, months), event, n.

    Examples
    --------
    >>> from cohort.survival.netsurv import load_lifetable
    >>> c = pl.DataFrame({"time": [6.5, 30.5], "event": [1, 0], "n": [20, 80],
    ...                   "age_at_dx": [60, 60], "sex": ["2", "2"], "dx_year": [2000] * 2})
    >>> t = crude_table(c, [12], table=load_lifetable())
    >>> r = t.row(0, named=True)
    >>> round(r["cancer"] + r["other"], 10) == round(r["observed_death"], 10) == 0.2
    True
    """
    counts = counts.filter(pl.col("n") > 0)  # zero-count rows are neutral
    if counts.is_empty():
        raise CohortError(f"{label}: no cases to estimate crude probabilities from")
    steps = int(round(2 * max(times))) + 2
    grid = to_grid(counts, table=table, steps=steps, entry=entry, label=label,
                   carried=carried)
    s = net_sums(grid, np.zeros(counts.height, dtype=np.int64), 1, method="ederer2")
    y = s.n_risk[0]
    d_obs = s.obs[0]  # dN / Y at each half-month
    # population hazard over (g - 1, g] of those at risk at g (cmp.rel's step)
    d_pop = np.concatenate([[0.0], s.pop[0][:-1]])
    d_exc = d_obs - d_pop
    surv = np.cumprod(1 - d_obs)
    before = np.concatenate([[1.0], surv[:-1]])  # S(t-)
    f_exc = np.cumsum(before * d_exc)
    f_pop = np.cumsum(before * d_pop)
    sigma = s.var[0]  # dN / Y^2 at each half-month
    rows = []
    for t in times:
        g = int(round(2 * t))
        k = slice(0, g + 1)
        # relsurv 2.2's cmp.rel: the population hazard taken as known, so only the
        # observed deaths vary: sum_k (S_k - (F(t) - F_k))^2 dN_k / Y_k^2 for the cancer,
        # sum_k (F(t) - F_k)^2 dN_k / Y_k^2 for other causes
        ve = float(np.sum((surv[k] - (f_exc[g] - f_exc[k])) ** 2 * sigma[k]))
        vp = float(np.sum((f_pop[g] - f_pop[k]) ** 2 * sigma[k]))
        rows.append({
            "time": float(t), "n_risk": int(round(y[g])),
            "cancer": float(f_exc[g]), "cancer_se": _sqrt(ve),
            "cancer_lower": float(f_exc[g] - Z95 * _sqrt(ve)),
            "cancer_upper": float(f_exc[g] + Z95 * _sqrt(ve)),
            "other": float(f_pop[g]), "other_se": _sqrt(vp),
            "other_lower": float(f_pop[g] - Z95 * _sqrt(vp)),
            "other_upper": float(f_pop[g] + Z95 * _sqrt(vp)),
            "observed_death": float(1 - surv[g]),
        })
    return pl.DataFrame(rows)


def _sqrt(v: float) -> float:
    return float(np.sqrt(v)) if v > 0 else 0.0
