"""Log-rank tests from collapsed counts: overall, trend, stratified, pairwise.

lifelines has no stratified log-rank and no trend test (lifelines #541,
#1234), so the tests are computed here from the per-time observed and
expected counts and the hypergeometric variance, exactly as R's
``survdiff``: at each distinct event time ``t`` with ``n`` at risk and
``d`` events, group ``g`` contributes ``E_g = d n_g / n`` and
``V_gh = d (n - d) / (n - 1) * (n_g / n) (delta_gh - n_h / n)``.
Stratified tests add O, E and V over strata. Collapsed rows carry a
count ``n``; the sums are the same as over individual records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats


@dataclass
class LogRank:
    """Observed, expected and variance per group, and the tests built on them."""

    groups: list[str]
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray

    @property
    def chisq(self) -> float:
        k = len(self.groups)
        if k < 2:
            return float("nan")
        diff = (self.observed - self.expected)[:-1]
        v = self.variance[:-1, :-1]
        return float(diff @ np.linalg.pinv(v) @ diff)

    @property
    def df(self) -> int:
        return len(self.groups) - 1

    @property
    def p(self) -> float:
        return float(stats.chi2.sf(self.chisq, self.df)) if self.df > 0 else float("nan")

    def trend(self, scores: list[float] | None = None) -> dict:
        """Log-rank test for trend across the ordered groups (scores 1, 2, ...)."""
        w = np.asarray(scores if scores is not None else range(1, len(self.groups) + 1), float)
        u = float(w @ (self.observed - self.expected))
        v = float(w @ self.variance @ w)
        chisq = u * u / v if v > 0 else float("nan")
        return {"chisq": chisq, "df": 1, "p": float(stats.chi2.sf(chisq, 1)), "U": u, "V": v}

    def table(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"group": self.groups, "observed": self.observed, "expected": self.expected}
        )


def logrank(
    counts: pl.DataFrame,
    *,
    group: str,
    time: str = "time",
    event: str = "event",
    weight: str = "n",
    strata: list[str] | None = None,
    levels: list[str] | None = None,
) -> LogRank:
    """Log-rank components from a collapsed table (time, event, group, n).

    Examples
    --------
    Worked by hand: at t=1, 2 of 4 at risk are in a and a has the death
    (E_a = 1/2, V = 1/4); at t=2, 1 of 3 is in a and b dies (E_a = 1/3,
    V = 2/9); at t=3 only b is left. chisq = (1 - 5/6)^2 / (17/36) = 1/17.

    >>> df = pl.DataFrame({"time": [1, 2, 3, 2], "event": [1, 0, 1, 1],
    ...                    "g": ["a", "a", "b", "b"], "n": [1, 1, 1, 1]})
    >>> lr = logrank(df, group="g")
    >>> lr.observed.tolist(), round(float(lr.expected[0]), 4), round(lr.chisq, 4)
    ([1.0, 2.0], 0.8333, 0.0588)
    """
    levels = levels or sorted(counts[group].unique().drop_nulls().to_list(), key=str)
    k = len(levels)
    observed = np.zeros(k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    parts = counts.partition_by(strata, maintain_order=True) if strata else [counts]
    for part in parts:
        o, e, v = _components(part, group, time, event, weight, levels)
        observed += o
        expected += e
        variance += v
    return LogRank([str(x) for x in levels], observed, expected, variance)


def _components(df, group, time, event, weight, levels):
    k = len(levels)
    index = {lvl: i for i, lvl in enumerate(levels)}
    g = np.array([index.get(x, -1) for x in df[group].to_list()])
    keep = g >= 0
    t = df[time].to_numpy()[keep]
    e = df[event].to_numpy()[keep].astype(bool)
    w = df[weight].to_numpy()[keep].astype(float)
    g = g[keep]
    times = np.unique(t[e])
    if times.size == 0:
        return np.zeros(k), np.zeros(k), np.zeros((k, k))
    # at risk at each event time: weight of rows with time >= t, per group
    order = np.unique(t)
    pos_all = np.searchsorted(order, t)
    total = np.zeros((order.size, k))
    np.add.at(total, (pos_all, g), w)
    at_risk_all = total[::-1].cumsum(axis=0)[::-1]  # rows with time >= order[i]
    at_risk = at_risk_all[np.searchsorted(order, times)]
    deaths = np.zeros((times.size, k))
    np.add.at(deaths, (np.searchsorted(times, t[e]), g[e]), w[e])
    n = at_risk.sum(axis=1)
    d = deaths.sum(axis=1)
    observed = deaths.sum(axis=0)
    expected = (d[:, None] * at_risk / n[:, None]).sum(axis=0)
    factor = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0) / n
    frac = at_risk / n[:, None]
    variance = np.einsum("t,tg,gh->gh", factor * n, frac, np.eye(k)) - np.einsum(
        "t,tg,th->gh", factor * n, frac, frac
    )
    return observed, expected, variance


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment (as R's ``p.adjust(method = "holm")``)."""
    p = np.asarray(pvalues, float)
    order = np.argsort(p)
    m = p.size
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def bonferroni(pvalues: list[float]) -> list[float]:
    return [min(1.0, p * len(pvalues)) for p in pvalues]


ADJUST = {"holm": holm, "bonferroni": bonferroni, "none": lambda p: list(p)}
