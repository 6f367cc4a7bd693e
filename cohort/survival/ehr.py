"""Excess hazard regression: the Poisson model for relative survival.

Dickman, Sloggett, Hills and Hakulinen (Stat Med 2004): follow-up is split
into intervals (default 0-1, 1-2, 2-3, 3-5 years) and, for every interval x
covariate cell, counted into deaths ``d``, expected deaths ``d*`` (the
population hazard of each case integrated over its own time at risk) and
person-years ``y``. Then ``d ~ Poisson(mu)`` with

    mu = d* + y exp(b'x)        link: log(mu - d*) = log(y) + b'x

so ``exp(b)`` are excess hazard ratios; one parameter per interval gives a
piecewise-constant baseline excess hazard. All three counts are sums over the
collapsed table, so the model costs the number of cells, not of cases.

The fit is Fisher scoring (iteratively reweighted least squares, as R's
``glm`` with this link: weights ``(mu - d*)^2 / mu``), from a start where the
excess equals the observed excess of the whole table, with step halving;
iterations stop when the relative deviance change is below 1e-10 and no
coefficient moves by 1e-8. Standard errors come from the expected
information at convergence (what ``summary.glm`` reports). The deviance is
``2 sum(d log(d / mu) - (d - mu))``; on ``cells - parameters`` degrees of
freedom it is the goodness-of-fit test Dickman et al. use.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from cohort.errors import CohortError, CohortWarning
from cohort.survival.netsurv import Z95, LifeTable, to_grid

DEFAULT_INTERVALS = (0, 1, 2, 3, 5)  # years


class ExcessModelError(CohortError):
    """An excess-hazard model cannot be set up or fitted as asked."""


class ExcessFitWarning(CohortWarning):
    """An excess-hazard fit is on the edge: no excess in a cell group, or no convergence."""


def band_labels(intervals) -> list[str]:
    """``[0, 1, 2]`` -> ``["0-1", "1-2"]`` (years)."""
    return [f"{a:g}-{b:g}" for a, b in zip(intervals[:-1], intervals[1:], strict=True)]


def check_intervals(intervals) -> tuple[float, ...]:
    iv = tuple(float(x) for x in intervals)
    if len(iv) < 2 or iv[0] != 0 or any(b <= a for a, b in zip(iv[:-1], iv[1:], strict=True)):
        raise ExcessModelError(
            f"intervals must start at 0 and increase (years), e.g. 0,1,2,3,5; got {intervals!r}")
    if any(abs(2 * 12 * x - round(2 * 12 * x)) > 1e-9 for x in iv):
        raise ExcessModelError(f"interval boundaries must be whole half-months, got {intervals!r}")
    return iv


def excess_cells(
    counts: pl.DataFrame,
    *,
    table: LifeTable,
    covariates: list[str],
    intervals=DEFAULT_INTERVALS,
    entry: str | None = None,
    label: str = "cohort",
    carried: list[int] | None = None,
) -> pl.DataFrame:
    """Deaths, expected deaths and person-years per interval x covariate cell.

    ``counts``: collapsed rows with ``time`` (exit time, months), ``event``,
    ``n``, ``age_at_dx``, ``sex``, ``dx_year``, the covariates and optionally
    the entry time. Follow-up after the last boundary is left out. A row is
    in interval (a, b] for the part of (entry, exit] that falls in it; its
    death counts in the interval holding the exit time.

    Examples
    --------
    >>> from cohort.survival.netsurv import load_lifetable
    >>> c = pl.DataFrame({"time": [6.5, 30.5], "event": [1, 0], "n": [2, 1],
    ...                   "age_at_dx": [70, 70], "sex": ["1", "1"], "dx_year": [2000] * 2})
    >>> cells = excess_cells(c, table=load_lifetable(), covariates=[], intervals=(0, 1, 5))
    >>> cells.select("interval", "d", pl.col("y").round(4)).rows()
    [('0-1', 2.0, 2.0833), ('1-5', 0.0, 1.5417)]
    """
    iv = check_intervals(intervals)
    counts = counts.filter(pl.col("n") > 0)  # zero-count rows are neutral
    if counts.is_empty():
        raise ExcessModelError(f"{label}: no cases to count")
    bounds = np.round(np.array(iv) * 24).astype(np.int64)  # half-months
    grid = to_grid(counts, table=table, steps=int(bounds[-1]) + 1, entry=entry, label=label,
                   carried=carried)
    # one code per covariate pattern; every sum below is a bincount over it
    if covariates:
        patterns = counts.select(covariates).unique(maintain_order=True)
        code = counts.select(covariates).join(
            patterns.with_row_index("__cell"), on=covariates, how="left",
            maintain_order="left", nulls_equal=True)["__cell"].to_numpy()
    else:
        patterns, code = pl.DataFrame(), np.zeros(counts.height, dtype=np.int64)
    P = max(patterns.height, 1)
    labels = band_labels(iv)
    frames = []
    for j, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        lo = np.maximum(grid.entry_h, a)
        hi = np.minimum(grid.exit_h, b)
        inside = hi > lo
        if not inside.any():
            continue
        k, c, n = grid.key[inside], code[inside], grid.n[inside]
        dead = grid.dead[inside] & (grid.exit_h[inside] <= b)
        sums = {
            "d": np.bincount(c, weights=n * dead, minlength=P),
            "d_star": np.bincount(c, weights=n * (grid.lam[k, hi[inside]]
                                                  - grid.lam[k, lo[inside]]), minlength=P),
            "y": np.bincount(c, weights=n * (hi[inside] - lo[inside]) / 24.0, minlength=P),
        }
        there = np.bincount(c, minlength=P) > 0
        part = pl.DataFrame({"interval": [labels[j]] * P, **sums})
        if covariates:
            part = pl.concat([part.select("interval"), patterns, part.drop("interval")],
                             how="horizontal")
        frames.append(part.filter(pl.Series(there)))
    if not frames:
        raise ExcessModelError(f"{label}: no follow-up falls in the intervals {labels}")
    cells = pl.concat(frames)
    return cells.sort(pl.col("interval").replace_strict(
        {lb: i for i, lb in enumerate(labels)}, return_dtype=pl.Int64), *covariates,
        maintain_order=True, nulls_last=True)


@dataclass
class PoissonFit:
    """A fitted excess-hazard Poisson model."""

    names: list[str]
    coef: np.ndarray
    cov: np.ndarray
    deviance: float
    mu: np.ndarray
    iterations: int
    converged: bool

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def _deviance(d, mu) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(d > 0, d * np.log(d / mu), 0.0)
    return float(2 * np.sum(t - (d - mu)))


def fit_excess_poisson(x: np.ndarray, d: np.ndarray, d_star: np.ndarray, y: np.ndarray, *,
                       names: list[str] | None = None, tol: float = 1e-10,
                       max_iter: int = 100) -> PoissonFit:
    """Fit ``d ~ Poisson(d* + y exp(x b))`` by Fisher scoring (IRLS).

    Examples
    --------
    One interval, no covariates: the excess rate is (d - d*) / y.

    >>> f = fit_excess_poisson(np.ones((1, 1)), np.array([30.0]), np.array([10.0]),
    ...                        np.array([100.0]))
    >>> round(float(np.exp(f.coef[0])), 6)
    0.2
    """
    x = np.asarray(x, dtype=float)
    d, d_star, y = (np.asarray(a, dtype=float) for a in (d, d_star, y))
    p = x.shape[1]
    names = names or [f"x{i}" for i in range(p)]
    if np.linalg.matrix_rank(x) < p:
        raise ExcessModelError("the excess-hazard design is not of full rank (a covariate "
                               "level is empty, or duplicates another term)")
    # start: the observed excess rate of the whole table (at least a tenth of the
    # expected), as the intercept-like columns' common value
    rate = max(float(d.sum() - d_star.sum()), 0.1 * float(d.sum()) + 0.5) / float(y.sum())
    beta = np.linalg.lstsq(x, np.full(len(d), np.log(rate)), rcond=None)[0]
    dev_old = np.inf
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        exc = y * _rate(x @ beta)
        eta = np.log(exc)
        mu = d_star + exc
        w = exc**2 / mu
        z = eta - np.log(y) + (d - mu) / exc
        xw = x * w[:, None]
        new = _solve(x.T @ xw, xw.T @ z)
        dev = _deviance(d, d_star + y * _rate(x @ new))
        halvings = 0
        while not np.isfinite(dev) or dev > dev_old + 1e-12 * (abs(dev_old) + 1):
            if halvings == 30:
                break
            new = (new + beta) / 2
            dev = _deviance(d, d_star + y * _rate(x @ new))
            halvings += 1
        change = float(np.max(np.abs(new - beta)))
        beta = new
        # stop when the deviance settles (R's glm rule) and the coefficients with it
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol and change < 1e-8:
            converged = True
            break
        dev_old = dev
    exc = y * _rate(x @ beta)
    mu = d_star + exc
    info = x.T @ (x * (exc**2 / mu)[:, None])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:  # a coefficient ran off to -inf: flagged by the caller
        cov = np.linalg.pinv(info)
    return PoissonFit(names, beta, cov, _deviance(d, mu), mu, it, converged)


def _rate(lp: np.ndarray) -> np.ndarray:
    """exp of the linear predictor, kept above machine epsilon as R's poisson family
    does, so a cell group without excess deaths cannot underflow the fit."""
    return np.maximum(np.exp(np.minimum(lp, 700.0)), np.finfo(float).eps)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve the scoring step; a cell group with no excess deaths makes ``a`` singular
    as its coefficient runs to -inf, and the least-squares step keeps the others going."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


@dataclass
class Column:
    """One design column: its term, level (categorical) and interval (time-varying)."""

    name: str
    term: str
    level: str | None = None
    interval: str | None = None


@dataclass
class ExcessDesign:
    columns: list[Column] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)

    def matrix(self, cells: pl.DataFrame) -> np.ndarray:
        out = np.empty((cells.height, len(self.columns)))
        for i, c in enumerate(self.columns):
            v = np.ones(cells.height, dtype=bool) if c.term == "interval" else None
            if c.term == "interval":
                v = (cells["interval"] == c.interval).to_numpy()
                out[:, i] = v
                continue
            if c.level is None:
                col = cells[c.term].cast(pl.Float64).to_numpy()
            else:
                col = (cells[c.term].cast(pl.Utf8) == c.level).to_numpy().astype(float)
            if c.interval is not None:
                col = col * (cells["interval"] == c.interval).to_numpy()
            out[:, i] = col
        return out


def excess_design(cells: pl.DataFrame, terms: list[str], *, categorical: dict[str, list[str]],
                  reference: dict[str, str] | None = None,
                  time_varying: list[str] | None = None) -> ExcessDesign:
    """One baseline column per interval, then each term (indicators against its
    reference for categorical terms); a time-varying term gets its own
    effect in every interval."""
    reference = reference or {}
    time_varying = list(time_varying or [])
    unknown = [t for t in time_varying if t not in terms]
    if unknown:
        raise ExcessModelError(f"time-varying term(s) {', '.join(unknown)} are not model terms "
                               f"({', '.join(terms)})")
    intervals = cells["interval"].unique(maintain_order=True).to_list()
    spec = ExcessDesign([Column(f"interval[{iv}]", "interval", interval=iv)
                         for iv in intervals])
    for term in terms:
        bands = intervals if term in time_varying else [None]
        if term in categorical:
            levels = categorical[term]
            if len(levels) < 2:
                raise ExcessModelError(
                    f"{term} has {'one level (' + levels[0] + ')' if levels else 'no levels'}"
                    " in this cohort; an excess hazard ratio needs two groups")
            ref = reference.get(term, levels[0])
            if ref not in levels:
                raise ExcessModelError(f"reference level {ref!r} of {term} is not in the "
                                       f"cohort; levels present: {', '.join(levels)}")
            spec.references[term] = ref
            for b in bands:
                for lv in levels:
                    if lv != ref:
                        spec.columns.append(Column(
                            f"{term}[{lv}]" + (f":interval[{b}]" if b else ""), term, lv, b))
        else:
            for b in bands:
                spec.columns.append(Column(term + (f":interval[{b}]" if b else ""), term,
                                           None, b))
    return spec


@dataclass
class ExcessModel:
    """Excess hazard ratios with tests per term and the model's fit.

    ``fit_``: the full model; ``cells_``: the interval x covariate table it
    was fitted to (d, d_star, y).
    """

    terms: list[str]
    time_varying: list[str]
    design: ExcessDesign
    cells_: pl.DataFrame
    fit_: PoissonFit
    tests_: pl.DataFrame
    intervals: tuple

    def table(self) -> pl.DataFrame:
        """EHR (95% Wald CI) per coefficient, the reference levels as 1."""
        with np.errstate(over="ignore"):  # a runaway coefficient (warned about) gives inf
            return self._table()

    def _table(self) -> pl.DataFrame:
        f = self.fit_
        rows = []
        done_ref = set()
        for i, c in enumerate(self.design.columns):
            if c.term == "interval":
                continue
            ref = self.design.references.get(c.term)
            if ref is not None and (c.term, c.interval) not in done_ref:
                done_ref.add((c.term, c.interval))
                rows.append({"term": c.term, "level": ref, "interval": c.interval,
                             "coef": 0.0, "se": None, "ehr": 1.0, "lower": None,
                             "upper": None, "z": None, "p": None, "reference": True})
            b, se = float(f.coef[i]), float(f.se[i])
            rows.append({"term": c.term, "level": c.level, "interval": c.interval, "coef": b,
                         "se": se, "ehr": float(np.exp(b)), "lower": float(np.exp(b - Z95 * se)),
                         "upper": float(np.exp(b + Z95 * se)), "z": b / se,
                         "p": _p_norm(b / se), "reference": False})
        schema = {"term": pl.Utf8, "level": pl.Utf8, "interval": pl.Utf8, "coef": pl.Float64,
                  "se": pl.Float64, "ehr": pl.Float64, "lower": pl.Float64,
                  "upper": pl.Float64, "z": pl.Float64, "p": pl.Float64,
                  "reference": pl.Boolean}
        return pl.DataFrame(rows, schema=schema)

    def baseline(self) -> pl.DataFrame:
        """Baseline excess mortality per interval (deaths per person-year, reference cell)."""
        f = self.fit_
        rows = []
        for i, c in enumerate(self.design.columns):
            if c.term != "interval":
                continue
            b, se = float(f.coef[i]), float(f.se[i])
            rows.append({"interval": c.interval, "excess_rate": float(np.exp(b)),
                         "lower": float(np.exp(b - Z95 * se)),
                         "upper": float(np.exp(b + Z95 * se))})
        return pl.DataFrame(rows)

    def model(self) -> pl.DataFrame:
        """Deviance, goodness of fit and the totals of the table."""
        from scipy.stats import chi2

        f, c = self.fit_, self.cells_
        df = c.height - len(f.coef)
        return pl.DataFrame([{
            "cells": c.height, "parameters": len(f.coef), "deaths": float(c["d"].sum()),
            "expected_deaths": float(c["d_star"].sum()), "person_years": float(c["y"].sum()),
            "deviance": f.deviance, "df": df,
            "gof_p": float(chi2.sf(f.deviance, df)) if df > 0 else None,
            "iterations": f.iterations, "converged": f.converged,
        }])


def _p_norm(z: float) -> float:
    from scipy.stats import norm

    return float(2 * norm.sf(abs(z)))


def fit_ehr(cells: pl.DataFrame, terms: list[str], *, categorical: dict[str, list[str]],
            reference: dict[str, str] | None = None, time_varying: list[str] | None = None,
            intervals=DEFAULT_INTERVALS) -> ExcessModel:
    """Fit the excess-hazard model to an interval x covariate table with Wald and
    likelihood-ratio tests per term (and of non-proportionality for time-varying terms).

    ``cells``: interval, the terms, d, d_star, y (see :func:`excess_cells`).
    """
    from scipy.stats import chi2

    time_varying = list(time_varying or [])
    cells = cells.filter(pl.col("y") > 0)
    for t in terms:
        cells = cells.filter(pl.col(t).is_not_null())
    if cells.is_empty() or cells["d"].sum() == 0:
        raise ExcessModelError("no deaths in the follow-up intervals: nothing to model")
    design = excess_design(cells, terms, categorical=categorical, reference=reference,
                           time_varying=time_varying)
    x = design.matrix(cells)
    d, ds, y = (cells[c].to_numpy().astype(float) for c in ("d", "d_star", "y"))
    names = [c.name for c in design.columns]
    full = fit_excess_poisson(x, d, ds, y, names=names)
    _check_fit(full, design, cells)
    rows = []
    for term in terms:
        idx = [i for i, c in enumerate(design.columns) if c.term == term]
        b, v = full.coef[idx], full.cov[np.ix_(idx, idx)]
        wald = float(b @ np.linalg.solve(v, b))
        keep = [i for i in range(len(names)) if i not in idx]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExcessFitWarning)
            reduced = fit_excess_poisson(x[:, keep], d, ds, y)
        lr = reduced.deviance - full.deviance
        rows.append({"term": term, "test": "term", "df": len(idx), "wald_chisq": wald,
                     "wald_p": float(chi2.sf(wald, len(idx))), "lr_chisq": lr,
                     "lr_p": float(chi2.sf(max(lr, 0.0), len(idx)))})
        if term in time_varying:  # against the same term with one effect for all intervals
            ph = excess_design(cells, terms, categorical=categorical, reference=reference,
                               time_varying=[t for t in time_varying if t != term])
            ph_fit = fit_excess_poisson(ph.matrix(cells), d, ds, y)
            k = len(idx) - sum(1 for c in ph.columns if c.term == term)
            lr = ph_fit.deviance - full.deviance
            rows.append({"term": term, "test": "non-proportional excess hazards", "df": k,
                         "wald_chisq": None, "wald_p": None, "lr_chisq": lr,
                         "lr_p": float(chi2.sf(max(lr, 0.0), k))})
    tests = pl.DataFrame(rows, schema={"term": pl.Utf8, "test": pl.Utf8, "df": pl.Int64,
                                       "wald_chisq": pl.Float64, "wald_p": pl.Float64,
                                       "lr_chisq": pl.Float64, "lr_p": pl.Float64})
    return ExcessModel(list(terms), time_varying, design, cells, full, tests,
                       tuple(intervals))


def _check_fit(fit: PoissonFit, design: ExcessDesign, cells: pl.DataFrame) -> None:
    if not fit.converged:
        warnings.warn(f"the excess-hazard fit did not converge in {fit.iterations} "
                      "iterations; estimates may be unreliable", ExcessFitWarning, stacklevel=3)
    big = [c.name for c, b, s in zip(design.columns, fit.coef, fit.se, strict=True)
           if abs(b) > 10 or s > 10]
    if big:
        warnings.warn(
            f"{', '.join(big)}: coefficient or standard error is huge; the cells behind it "
            "have (almost) no deaths above the expected, so the excess hazard heads to 0. "
            "Merge the level or interval with a neighbour", ExcessFitWarning, stacklevel=3)
