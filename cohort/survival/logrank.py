"""Log-rank tests from collapsed counts: overall, trend, stratified, pairwise.

lifelines has no stratified log-rank and no trend test (lifelines #541,
#1234), so the tests are computed here from the per-time observed and
expected counts and the hypergeometric variance, exactly as R's
``survdiff``: at each distinct event time ``t`` with ``n`` at risk and
``d`` events, group ``g`` contributes ``E_g = d n_g / n`` and
``V_gh = d (n - d) / (n - 1) * (n_g / n) (delta_gh - n_h / n)``.
Stratified tests add O, E and V over strata. Collapsed rows carry a
count ``n``; the sums are the same as over individual records, and rows
with a count of 0 change nothing.

With delayed entry (left truncation) a record is at risk at ``t`` when
``entry < t <= time``. R's ``survdiff`` does not take delayed entry; the
same statistic is the score test of the exact partial likelihood,
``coxph(Surv(entry, time, event) ~ group, ties = "exact")$score``, which
equals ``survdiff`` on untruncated data (checked in
``tests/fixtures/r/conventions.R``; the Breslow and Efron score tests
differ from it when deaths are tied).

The chi-square statistic follows ``survdiff``: groups with an expected
count of 0 are left out, the first remaining group is dropped, and
``df`` = groups used - 1. The test for trend is ``(w'(O - E))^2 / (w'Vw)``
with scores ``w`` (df 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from cohort.survival.km import at_risk_counts, check_counts, natural_levels


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of the chi-square distribution for whole ``df`` (closed form).

    >>> round(chi2_sf(3.841458820694124, 1), 12), round(chi2_sf(5.991464547107979, 2), 12)
    (0.05, 0.05)
    """
    if not (df > 0 and math.isfinite(x)):
        return float("nan")
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


@dataclass
class LogRank:
    """Observed, expected and variance per group, and the tests built on them."""

    groups: list[str]
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    records: int = 0
    scores: list[float] = field(default_factory=list)

    def _used(self) -> np.ndarray:
        return np.flatnonzero(self.expected > 0)

    @property
    def df(self) -> int:
        """Groups with a positive expected count, less one (as ``survdiff``)."""
        return max(0, self._used().size - 1)

    @property
    def chisq(self) -> float:
        used = self._used()
        if used.size < 2:
            return float("nan")
        keep = used[1:]
        diff = (self.observed - self.expected)[keep]
        v = self.variance[np.ix_(keep, keep)]
        try:
            return float(diff @ np.linalg.solve(v, diff))
        except np.linalg.LinAlgError:
            return float(diff @ np.linalg.pinv(v) @ diff)

    @property
    def p(self) -> float:
        return chi2_sf(self.chisq, self.df) if self.df > 0 else float("nan")

    def trend(self, scores: list[float] | None = None) -> dict:
        """Log-rank test for trend over the groups, in order (scores 1, 2, ... by
        default, or one score per group)."""
        w = np.asarray(scores if scores is not None else range(1, len(self.groups) + 1), float)
        if w.size != len(self.groups):
            raise ValueError(f"{w.size} scores for {len(self.groups)} groups")
        u = float(w @ (self.observed - self.expected))
        v = float(w @ self.variance @ w)
        chisq = u * u / v if v > 0 else float("nan")
        return {"chisq": chisq, "df": 1, "p": chi2_sf(chisq, 1), "U": u, "V": v,
                "groups": list(self.groups), "scores": w.tolist()}

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
    entry: str | None = None,
) -> LogRank:
    """Log-rank components from a collapsed table (time, event, group, n).

    Rows whose group is not in ``levels`` are left out (they are not in the
    risk sets). ``entry``: a delayed-entry column (at risk when
    ``entry < t <= time``).

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
    counts = counts.filter(pl.col(weight) != 0)  # zero-count rows are neutral
    check_counts(counts[weight].to_numpy(), weight)
    levels = [str(x) for x in (levels or natural_levels(counts[group]))]
    counts = counts.filter(pl.col(group).cast(pl.Utf8).is_in(levels))
    k = len(levels)
    observed = np.zeros(k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    parts = counts.partition_by(strata, maintain_order=True) if strata else [counts]
    for part in parts:
        o, e, v = _components(part, group, time, event, weight, levels, entry)
        observed += o
        expected += e
        variance += v
    return LogRank(levels, observed, expected, variance, int(counts[weight].sum()))


def _components(df, group, time, event, weight, levels, entry):
    k = len(levels)
    index = {lvl: i for i, lvl in enumerate(levels)}
    g = np.array([index[x] for x in df[group].cast(pl.Utf8).to_list()], dtype=np.int64)
    t = df[time].to_numpy().astype(float)
    e = df[event].to_numpy().astype(bool)
    w = df[weight].to_numpy().astype(float)
    en = df[entry].to_numpy().astype(float) if entry else None
    if en is not None:
        keep = en < t  # never at risk otherwise
        g, t, e, w, en = g[keep], t[keep], e[keep], w[keep], en[keep]
    times = np.unique(t[e])
    if times.size == 0:
        return np.zeros(k), np.zeros(k), np.zeros((k, k))
    at_risk = np.column_stack([
        at_risk_counts(times, t[g == j], w[g == j], None if en is None else en[g == j])
        for j in range(k)
    ])
    deaths = np.zeros((times.size, k))
    np.add.at(deaths, (np.searchsorted(times, t[e]), g[e]), w[e])
    n = at_risk.sum(axis=1)
    d = deaths.sum(axis=1)
    observed = deaths.sum(axis=0)
    frac = at_risk / n[:, None]
    expected = (d[:, None] * frac).sum(axis=0)
    factor = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0)
    variance = np.diag((factor[:, None] * frac).sum(axis=0)) - np.einsum(
        "t,tg,th->gh", factor, frac, frac
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
