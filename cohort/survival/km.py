"""Kaplan-Meier by group from collapsed counts (lifelines with case weights).

Survival and its 95% CI come from lifelines' ``KaplanMeierFitter`` fitted
to (time, event, count) rows with ``weights`` = count, which gives exactly
the record-level estimate. The CI is lifelines' default, the log-log
("exponential Greenwood") interval, identical to R ``survfit(...,
conf.type = "log-log")`` (R's own default is "log"). Numbers at risk (R's
``n.risk``: at risk just before t) and events are counted from the collapsed
table, as lifelines cannot return them (lifelines #1624). The restricted
mean survival time is the area under the step function up to the horizon,
with R's ``print(fit, rmean = tau)`` standard error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from cohort.errors import CohortWarning

CI_METHOD = "log-log (exponential Greenwood), as R conf.type = 'log-log'"


class EmptyGroupWarning(CohortWarning):
    """A group has no records, or no events, so some estimates are undefined."""


@dataclass
class GroupKM:
    """One group's fit: the lifelines fitter and its collapsed counts."""

    label: str
    fitter: KaplanMeierFitter
    times: np.ndarray  # distinct times
    n_at_time: np.ndarray  # records with exactly this time
    d_at_time: np.ndarray  # events at this time

    @property
    def n(self) -> int:
        return int(self.n_at_time.sum())

    @property
    def events(self) -> int:
        return int(self.d_at_time.sum())

    def at_risk(self, t: float) -> int:
        """Records still under observation just before ``t`` (time >= t)."""
        return int(self.n_at_time[self.times >= t].sum())

    def events_by(self, t: float) -> int:
        return int(self.d_at_time[self.times <= t].sum())

    def survival_at(self, t: float) -> tuple[float, float, float]:
        f = self.fitter
        s = float(f.survival_function_at_times(t).iloc[0])
        ci = f.confidence_interval_survival_function_
        upto = ci[ci.index <= t]
        if upto.empty:
            return s, float("nan"), float("nan")
        lo, hi = upto.iloc[-1].to_numpy(dtype=float)
        return s, lo, hi

    def median(self) -> tuple[float, float, float]:
        f = self.fitter
        med = float(f.median_survival_time_)
        ci = median_survival_times(f.confidence_interval_survival_function_)
        lo, hi = (float(x) for x in ci.iloc[0].to_numpy())
        return tuple(np.nan if np.isinf(x) else x for x in (med, lo, hi))

    def rmst(self, horizon: float) -> tuple[float, float]:
        """Area under S(t) on [0, horizon] and its standard error (R's formula)."""
        ev = self.d_at_time > 0
        t_ev = self.times[ev]
        d = self.d_at_time[ev]
        n_risk = np.array([self.at_risk(t) for t in t_ev], dtype=float)
        surv = np.cumprod(1 - d / n_risk)
        keep = t_ev <= horizon
        t_ev, d, n_risk, surv = t_ev[keep], d[keep], n_risk[keep], surv[keep]
        # step function: 1 until the first event time, then surv[i] on [t_i, t_{i+1})
        edges = np.concatenate([[0.0], t_ev, [horizon]])
        heights = np.concatenate([[1.0], surv])
        pieces = heights * np.diff(edges)
        area = float(pieces.sum())
        # A_i = area from t_i to the horizon; var = sum A_i^2 d_i / (n_i (n_i - d_i))
        tail = np.cumsum(pieces[::-1])[::-1][1:]
        denom = n_risk * (n_risk - d)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(denom > 0, tail**2 * d / denom, 0.0)
        return area, float(np.sqrt(terms.sum()))


@dataclass
class KaplanMeier:
    """Kaplan-Meier estimates per group, with tests between the groups.

    Attributes end with ``_`` once fitted, as in lifelines. All counts are
    exact (unsuppressed); use :meth:`summary` with ``suppress=True`` (the
    default) for tables that leave the building.
    """

    by: str | None
    event: str
    groups_: dict[str, GroupKM] = field(default_factory=dict)
    logrank_: object = None
    ci_method: str = CI_METHOD

    def estimates(self, times) -> pl.DataFrame:
        """Survival, 95% CI, numbers at risk and cumulative events at each time."""
        rows = []
        for label, g in self.groups_.items():
            for t in times:
                s, lo, hi = g.survival_at(t)
                rows.append(
                    {"group": label, "time": t, "n_risk": g.at_risk(t),
                     "n_events": g.events_by(t), "survival": s, "lower": lo, "upper": hi}
                )
        return pl.DataFrame(rows, schema_overrides={"time": pl.Float64})

    def medians(self) -> pl.DataFrame:
        """Median survival and its 95% CI per group (null when not reached)."""
        rows = []
        for label, g in self.groups_.items():
            med, lo, hi = g.median()
            rows.append({"group": label, "n": g.n, "events": g.events, "median": med,
                         "lower": lo, "upper": hi})
        return pl.DataFrame(rows).with_columns(pl.col("median", "lower", "upper").fill_nan(None))

    def rmst(self, horizon: float) -> pl.DataFrame:
        """Restricted mean survival time to ``horizon`` per group."""
        rows = []
        for label, g in self.groups_.items():
            area, se = g.rmst(horizon)
            rows.append({"group": label, "horizon": horizon, "rmst": area, "se": se,
                         "lower": area - 1.959964 * se, "upper": area + 1.959964 * se})
        return pl.DataFrame(rows)


def fit_km(
    counts: pl.DataFrame,
    *,
    by: str | None,
    event: str,
    levels: list[str] | None = None,
    time: str = "time",
    weight: str = "n",
) -> KaplanMeier:
    """Fit one Kaplan-Meier curve per group of a collapsed table."""
    result = KaplanMeier(by=by, event=event)
    if by is None:
        counts = counts.with_columns(pl.lit("all").alias("__group"))
        by_col, levels = "__group", ["all"]
    else:
        by_col = by
        levels = levels or sorted(counts[by].unique().drop_nulls().cast(pl.Utf8).to_list())
    for level in levels:
        part = counts.filter(pl.col(by_col).cast(pl.Utf8) == level)
        if part.is_empty() or part[weight].sum() == 0:
            warnings.warn(f"group {by}={level} has no records; it is left out",
                          EmptyGroupWarning, stacklevel=3)
            continue
        per_time = (
            part.group_by(time)
            .agg(pl.col(weight).sum().alias("n"),
                 (pl.col(weight) * pl.col(event)).sum().alias("d"))
            .sort(time)
        )
        if per_time["d"].sum() == 0:
            warnings.warn(f"group {by}={level} has no events: survival stays 1, "
                          "median and CI are undefined", EmptyGroupWarning, stacklevel=3)
        kmf = KaplanMeierFitter(label=str(level)).fit(
            part[time].to_numpy(), part[event].to_numpy(), weights=part[weight].to_numpy()
        )
        result.groups_[str(level)] = GroupKM(
            str(level), kmf, per_time[time].to_numpy(), per_time["n"].to_numpy(),
            per_time["d"].to_numpy(),
        )
    return result
