"""Kaplan-Meier by group from collapsed counts, exactly as R's ``survfit``.

The estimate is computed here with numpy from the per-time counts of a
collapsed table (time, event, group, count ``n``, optionally ``entry``):
at each distinct time ``t`` with ``n(t)`` at risk and ``d(t)`` events,
``S(t) = prod_{u <= t} (1 - d(u) / n(u))``. A record is at risk at ``t``
when ``entry < t <= time`` (entry 0 without left truncation), so the
estimator is R's ``survfit(Surv(entry, time, event) ~ 1)``.

Notes
-----
- **Time** is taken as given. :meth:`cohort.Cohort.collapse` gives
  ``surv_months + 0.5`` by default (completed months) or ``surv_months``
  (``convention="exact"``); this module never shifts it.
- **Counts** are frequency weights and must be whole numbers: registry counts
  are integers and every estimate here is then exact. Fractional weights are
  refused (:class:`WeightError`): lifelines' weighted fit is not R's weighted
  ``survfit`` (last value, CI and numbers at risk differ) and R's own weighted
  estimator answers a different question (survey weights).
- **Variance**: Greenwood, ``var(log S) = sum d / (n (n - d))``; ``std_err``
  is R's ``std.err`` (standard error of the cumulative hazard).
- **95% CI**: log-log (R ``conf.type = "log-log"``), ``S^exp(+-z se / log S)``.
  Where ``S(t) = 1`` or ``S(t) = 0`` the interval is undefined and is NaN
  (R reports NA; at S = 0 the Greenwood term is infinite).
- **Median** and its CI limits follow R's ``print(fit)`` (``survmean``): the
  first time the curve is at or below 0.5 (tolerance ``sqrt(eps)``); where it
  equals 0.5 exactly on a plateau, the midpoint of the plateau, i.e. of that
  time and the time of the next drop; if the curve never drops below (the
  CI curve is NaN where undefined, so an upper limit that would need S = 0 is
  NaN), the limit is not reached (NaN).
- **Numbers at risk** at a reporting time ``t`` are R's ``n.risk``: records with
  ``entry < t <= time``, i.e. alive and under observation just before ``t``.
- **RMST** is the area under the curve from 0 to the horizon (the last value
  carried to the horizon) with the standard error of R's
  ``print(fit, rmean = tau)``.
- Zero-count rows are dropped first: they change nothing.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from cohort.errors import CohortError, CohortWarning

Z95 = 1.959963984540054
CI_METHOD = "log-log (exponential Greenwood), as R conf.type = 'log-log'"
#: R's tolerance in survmean/quantile.survfit: sqrt(.Machine$double.eps)
TOL = math.sqrt(np.finfo(float).eps)


class EmptyGroupWarning(CohortWarning):
    """A group has no records, or no events, so some estimates are undefined."""


class WeightError(CohortError):
    """Counts (case weights) that are not whole numbers of records."""


def check_counts(weight: np.ndarray, name: str = "n") -> np.ndarray:
    """The counts as float, refusing negative, missing or fractional values.

    >>> check_counts(np.array([1, 3, 0])).tolist()
    [1.0, 3.0, 0.0]
    """
    w = np.asarray(weight, dtype=float)
    bad = ~np.isfinite(w) | (w < 0) | (w != np.round(w))
    if bad.any():
        value = float(w[bad][0])
        raise WeightError(
            f"the counts in column {name!r} must be whole numbers of records (0, 1, 2, ...), "
            f"got {value:g} in {int(bad.sum())} row(s); the Kaplan-Meier and log-rank here "
            "are exact for frequency counts only (collapse records with count(*)); "
            "non-integer (survey) weights are not supported"
        )
    return w


def at_risk_counts(times: np.ndarray, time: np.ndarray, weight: np.ndarray,
                   entry: np.ndarray | None = None) -> np.ndarray:
    """Weight of rows with ``entry < t <= time`` at each ``t`` of ``times``.

    Rows (entry, time) = (0, 2], (0, 3], (1, 3]: the third is not yet at risk at 1.

    >>> at_risk_counts(np.array([1.0, 1.5, 3.0]), np.array([2.0, 3.0, 3.0]),
    ...                np.ones(3), np.array([0.0, 0.0, 1.0])).tolist()
    [2.0, 3.0, 2.0]
    """
    order = np.argsort(time, kind="stable")
    ts, ws = time[order], weight[order]
    tail = np.concatenate([np.cumsum(ws[::-1])[::-1], [0.0]])  # weight with time >= ts[i]
    n = tail[np.searchsorted(ts, times, side="left")]
    if entry is not None:
        order = np.argsort(entry, kind="stable")
        es, we = entry[order], weight[order]
        tail_e = np.concatenate([np.cumsum(we[::-1])[::-1], [0.0]])
        n = n - tail_e[np.searchsorted(es, times, side="left")]  # entry >= t: not yet in
    return np.round(n, 9)


def loglog_ci(surv: np.ndarray, std_err: np.ndarray, z: float = Z95):
    """R's log-log interval (``survfit_confint``): NaN where S is 0 or 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (surv > 0) & (surv < 1) & np.isfinite(std_err)
        s = np.where(ok, surv, 0.5)
        se2 = z * std_err / np.log(s)
        lower = np.exp(-np.exp(np.log(-np.log(s)) - se2))
        upper = np.exp(-np.exp(np.log(-np.log(s)) + se2))
    return np.where(ok, lower, np.nan), np.where(ok, upper, np.nan)


def r_median(time: np.ndarray, y: np.ndarray) -> float:
    """The median of a step curve by R's rule (``survmean``'s ``minmin``).

    ``y`` holds the curve's value at each of ``time`` (NaN where undefined,
    as R's NA). The first time at or below 0.5; on an exact 0.5 plateau the
    midpoint of its start and the next drop; NaN when never reached.

    >>> r_median(np.array([1.0, 2, 3, 4]), np.array([0.75, 0.5, 0.25, 0.0]))
    2.5
    """
    keep = ~np.isnan(y) & (y < 0.5 + TOL)
    if not keep.any():
        return float("nan")
    x, v = time[keep], y[keep]
    if abs(v[0] - 0.5) < TOL and (v < v[0]).any():
        return float((x[0] + x[np.argmax(v < v[0])]) / 2)
    return float(x[0])


@dataclass
class GroupKM:
    """One group's Kaplan-Meier curve: survfit's rows, one per distinct time.

    Attributes
    ----------
    time, n_risk, n_event, n_censor
        Every distinct time with an event or a censoring, the number at risk
        just before it, and the events and censorings at it (R's ``n.risk``,
        ``n.event``, ``n.censor``).
    survival, std_err, lower, upper
        S(t) after the time, R's ``std.err`` (of the cumulative hazard), and
        the 95% log-log CI (NaN where undefined).
    """

    label: str
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    # the rows the curve came from, for numbers at risk at any time
    _time: np.ndarray = field(repr=False, default=None)
    _entry: np.ndarray | None = field(repr=False, default=None)
    _weight: np.ndarray = field(repr=False, default=None)

    @property
    def n(self) -> int:
        """Records in the group."""
        return int(round(self._weight.sum()))

    @property
    def events(self) -> int:
        return int(round(self.n_event.sum()))

    def at_risk(self, t: float) -> int:
        """Records under observation just before ``t`` (``entry < t <= time``)."""
        return int(at_risk_counts(np.array([float(t)]), self._time, self._weight,
                                  self._entry)[0])

    def events_by(self, t: float) -> int:
        """Events at times up to and including ``t``."""
        return int(round(self.n_event[self.time <= t].sum()))

    def survival_at(self, t: float) -> tuple[float, float, float]:
        """S(t) and its 95% CI (the curve's value at the last time <= t).

        S is 1 before the first time, with an undefined (NaN) CI as R's
        log-log interval at S = 1; past the last time of follow-up the curve
        is not estimated (NaN) unless it has reached 0.
        """
        i = int(np.searchsorted(self.time, t, side="right")) - 1
        if i < 0:
            return 1.0, float("nan"), float("nan")
        if t > self.time[-1] and self.survival[-1] > 0:
            return float("nan"), float("nan"), float("nan")
        return float(self.survival[i]), float(self.lower[i]), float(self.upper[i])

    def median(self) -> tuple[float, float, float]:
        """Median survival and its 95% CI limits (NaN: not reached / no limit)."""
        return (r_median(self.time, self.survival), r_median(self.time, self.lower),
                r_median(self.time, self.upper))

    def rmst(self, horizon: float) -> tuple[float, float]:
        """Area under S(t) on [0, horizon] and its standard error, as R's
        ``print(fit, rmean = horizon)`` (``survmean``)."""
        keep = self.time <= horizon
        d, n = self.n_event[keep], self.n_risk[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
        start = min(0.0, float(self.time.min()))
        times = np.concatenate([self.time[keep], [horizon]])
        heights = np.concatenate([[1.0], self.survival[keep]])  # S on [0, t1), ..., [tk, tau)
        rect = heights * np.diff(np.concatenate([[start], times]))
        hh = np.concatenate([hh, [0.0]])
        # var = sum over event rows of (area after the row)^2 d / (n (n - d))
        tail = np.cumsum(rect[::-1])[::-1]  # area from each edge to the horizon
        var = float((tail[1:] ** 2 * hh[:-1]).sum()) if rect.size > 1 else 0.0
        return float(rect.sum()) + start, math.sqrt(var)

    def curve(self) -> pl.DataFrame:
        """The curve as a table: one row per distinct time."""
        return pl.DataFrame({
            "group": [self.label] * self.time.size, "time": self.time,
            "survival": self.survival, "lower": self.lower, "upper": self.upper,
            "n_risk": self.n_risk.astype(np.int64), "n_event": self.n_event.astype(np.int64),
            "n_censor": self.n_censor.astype(np.int64),
        }, schema_overrides={"time": pl.Float64}).with_columns(
            pl.col("lower", "upper").fill_nan(None))


def km_curve(time, event, weight, entry=None, *, label: str = "all") -> GroupKM:
    """The Kaplan-Meier curve of one group's rows (weights = whole counts).

    Examples
    --------
    Times 1..4, all deaths: S = 3/4, 1/2, 1/4, 0. The median is the midpoint
    of the S = 0.5 plateau (R: 2.5), and at S = 0 the CI is undefined.

    >>> g = km_curve(np.array([1.0, 2, 3, 4]), np.ones(4), np.ones(4))
    >>> g.survival.tolist(), g.median()[0], bool(np.isnan(g.lower[-1]))
    ([0.75, 0.5, 0.25, 0.0], 2.5, True)
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    weight = check_counts(weight)
    entry = None if entry is None else np.asarray(entry, dtype=float)
    keep = weight > 0
    if entry is not None:
        keep &= entry < time  # a record leaving at or before its entry is never at risk
    time, event, weight = time[keep], event[keep], weight[keep]
    entry = entry[keep] if entry is not None else None
    times, pos = np.unique(time, return_inverse=True)
    d = np.bincount(pos, weights=weight * event, minlength=times.size)
    c = np.bincount(pos, weights=weight * ~event, minlength=times.size)
    n = at_risk_counts(times, time, weight, entry)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(n > 0, 1 - d / n, 1.0)
        greenwood = np.where(n - d > 0, d / (n * (n - d)), np.where(d > 0, np.inf, 0.0))
    surv = np.cumprod(step)
    std_err = np.sqrt(np.cumsum(greenwood))
    lower, upper = loglog_ci(surv, std_err)
    return GroupKM(label, times, n, d, c, surv, std_err, lower, upper, time, entry, weight)


@dataclass
class KaplanMeier:
    """Kaplan-Meier estimates per group, with tests between the groups.

    Attributes end with ``_`` once fitted, as in lifelines. All counts are
    exact (unsuppressed); the analysis result's ``tables()`` is for release.
    """

    by: str | None
    event: str
    groups_: dict[str, GroupKM] = field(default_factory=dict)
    logrank_: object = None
    ci_method: str = CI_METHOD

    def curves(self) -> pl.DataFrame:
        """Every group's curve: group, time, survival, lower, upper, n_risk,
        n_event, n_censor (one row per distinct time, as R's survfit)."""
        parts = [g.curve() for g in self.groups_.values()]
        if not parts:
            return pl.DataFrame(schema={"group": pl.Utf8, "time": pl.Float64,
                                        "survival": pl.Float64, "lower": pl.Float64,
                                        "upper": pl.Float64, "n_risk": pl.Int64,
                                        "n_event": pl.Int64, "n_censor": pl.Int64})
        return pl.concat(parts)

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
        schema = {"group": pl.Utf8, "time": pl.Float64, "n_risk": pl.Int64,
                  "n_events": pl.Int64, "survival": pl.Float64, "lower": pl.Float64,
                  "upper": pl.Float64}
        return pl.DataFrame(rows, schema=schema).with_columns(
            pl.col("survival", "lower", "upper").fill_nan(None))

    def medians(self) -> pl.DataFrame:
        """Median survival and its 95% CI per group (null when not reached)."""
        rows = []
        for label, g in self.groups_.items():
            med, lo, hi = g.median()
            rows.append({"group": label, "n": g.n, "events": g.events, "median": med,
                         "lower": lo, "upper": hi})
        schema = {"group": pl.Utf8, "n": pl.Int64, "events": pl.Int64, "median": pl.Float64,
                  "lower": pl.Float64, "upper": pl.Float64}
        return pl.DataFrame(rows, schema=schema).with_columns(
            pl.col("median", "lower", "upper").fill_nan(None))

    def rmst(self, horizon: float) -> pl.DataFrame:
        """Restricted mean survival time to ``horizon`` per group."""
        rows = []
        for label, g in self.groups_.items():
            area, se = g.rmst(horizon)
            rows.append({"group": label, "horizon": float(horizon), "rmst": area, "se": se,
                         "lower": area - Z95 * se, "upper": area + Z95 * se})
        schema = {"group": pl.Utf8, "horizon": pl.Float64, "rmst": pl.Float64,
                  "se": pl.Float64, "lower": pl.Float64, "upper": pl.Float64}
        return pl.DataFrame(rows, schema=schema)


def natural_levels(values: pl.Series) -> list[str]:
    """Distinct non-null values as text, numbers in numeric order ('2' before '10').

    >>> natural_levels(pl.Series(["10", "2", None, "1"]))
    ['1', '2', '10']
    >>> natural_levels(pl.Series(["b", "a"]))
    ['a', 'b']
    """
    distinct = values.drop_nulls().unique()
    if distinct.dtype.is_numeric():
        return [str(v) for v in distinct.sort().to_list()]
    text = [str(v) for v in distinct.to_list()]
    try:
        return sorted(text, key=float)
    except ValueError:
        return sorted(text)


def fit_km(
    counts: pl.DataFrame,
    *,
    by: str | None,
    event: str,
    levels: list[str] | None = None,
    time: str = "time",
    weight: str = "n",
    entry: str | None = None,
) -> KaplanMeier:
    """Fit one Kaplan-Meier curve per group of a collapsed table.

    Parameters
    ----------
    counts
        One row per (time, event, group[, entry]) with a whole-number count.
    by
        Grouping column, or None for one curve (labelled ``all``).
    event
        0/1 event column.
    levels
        Groups in display order (default: natural order, numbers as numbers).
    time, weight
        Time (taken as given) and count columns.
    entry
        Left-truncation (delayed entry) column: a row is at risk at t when
        entry < t <= time. None: everyone at risk from 0.

    Examples
    --------
    >>> df = pl.DataFrame({"time": [1.5, 2.5, 2.5], "event": [1, 1, 0], "n": [1, 2, 1]})
    >>> fit_km(df, by=None, event="event").curves().select("time", "survival", "n_risk").rows()
    [(1.5, 0.75, 4), (2.5, 0.25, 3)]
    """
    result = KaplanMeier(by=by, event=event)
    counts = counts.filter(pl.col(weight) != 0)  # zero-count rows are neutral
    check_counts(counts[weight].to_numpy(), weight)
    if by is None:
        counts = counts.with_columns(pl.lit("all").alias("__group"))
        by_col, levels = "__group", ["all"]
    else:
        by_col = by
        levels = levels or natural_levels(counts[by])
    keys = counts[by_col].cast(pl.Utf8)
    for level in levels:
        part = counts.filter(keys == level)
        if part.is_empty():
            warnings.warn(f"group {by}={level} has no records; it is left out",
                          EmptyGroupWarning, stacklevel=3)
            continue
        g = km_curve(part[time].to_numpy(), part[event].to_numpy(), part[weight].to_numpy(),
                     part[entry].to_numpy() if entry else None, label=str(level))
        if g.time.size == 0:
            warnings.warn(f"group {by}={level} has no records at risk (every exit at or "
                          "before entry); it is left out", EmptyGroupWarning, stacklevel=3)
            continue
        if g.events == 0:
            warnings.warn(f"group {by}={level} has no events: survival stays 1, "
                          "median and CI are undefined", EmptyGroupWarning, stacklevel=3)
        result.groups_[str(level)] = g
    return result
