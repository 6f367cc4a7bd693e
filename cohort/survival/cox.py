"""Cox proportional hazards from collapsed counts, exact Efron ties.

The cohort is collapsed to (time, event, covariate pattern, count) rows and
fitted by :func:`cohort.survival.efron.fit_efron`, whose partial likelihood
is that of the records themselves (counts are frequency weights; Efron's
correction runs over every tied death). lifelines' ``CoxPHFitter`` with
``weights_col`` is not used for the fit: it counts a collapsed row of tied
deaths as one tie, which moved coefficients by up to 0.006 on a
2.3-million-case registry cohort (docs/methods.md). Categorical terms are
coded as indicators against a reference level (default: the lowest level
present, e.g. N0 for node_burden); continuous terms are used exactly as
stored.

Concordance (Harrell's C, :mod:`cohort.survival.concordance`) is counted
from the collapsed table with the count of every pattern, within strata, ties
in the score decided by the covariate pattern, as R's ``concordance`` does for
the records (lifelines' own index ignores case weights). The proportional-hazards check
is the Grambsch-Therneau scaled-Schoenfeld test (KM time transform) on the
collapsed fit, with the case weights in every sum (lifelines' own
``proportional_hazard_test`` ignores them); it is not R's ``cox.zph`` score
test and its p-values differ (lifelines #997) — the comparison on GBSG2 is
in docs/methods.md.

Edge cases: a term (or stratum) that takes one value in the cohort is
dropped from the model with a :class:`ConstantTermWarning` naming it, and
the model is fitted without it (R's ``coxph`` gives such a numeric term an
NA coefficient and stops on a one-level factor); a coefficient that may be
infinite (a group without events) is named in an
:class:`InfiniteHazardRatioWarning`; a singular information matrix is a
:class:`ModelError` naming the term and the remedy. Rows with a count of 0
are left out first: they change nothing.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import polars as pl
from scipy.stats import chi2, norm

from cohort.errors import CohortError, CohortWarning
from cohort.survival.km import km_curve

Z95 = 1.959963984540054


class ProportionalHazardsWarning(CohortWarning):
    """A term fails the proportional-hazards check (p < 0.05)."""


class ModelError(CohortError):
    """A Cox model cannot be fitted as asked (no events, a constant term, ...)."""


class ConstantTermWarning(CohortWarning):
    """A term or stratum takes one value in the cohort and is left out of the model."""


class InfiniteHazardRatioWarning(CohortWarning):
    """A coefficient may be infinite (monotone likelihood, e.g. a group without events)."""


@dataclass
class Design:
    """How each term enters the model: indicator columns or itself."""

    columns: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)


def design(
    counts: pl.DataFrame,
    terms: list[str],
    *,
    categorical: dict[str, list[str]],
    reference: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, Design]:
    """Indicator-code the categorical terms of a collapsed table (pandas, for lifelines)."""
    reference = reference or {}
    spec = Design()
    out = {}
    for term in terms:
        if term in categorical:
            levels = categorical[term]
            if len(levels) < 2:
                raise ModelError(
                    f"{term} has {'one level (' + levels[0] + ')' if levels else 'no levels'} "
                    "in this cohort; a hazard ratio needs two groups"
                )
            ref = reference.get(term, levels[0])
            if ref not in levels:
                raise ModelError(
                    f"reference level {ref!r} of {term} is not in the cohort; "
                    f"levels present: {', '.join(levels)}"
                )
            spec.references[term] = ref
            spec.columns[term] = []
            values = counts[term].cast(pl.Utf8)
            for level in levels:
                if level == ref:
                    continue
                name = f"{term}[{level}]"
                out[name] = (values == level).cast(pl.Float64).to_numpy()
                spec.columns[term].append((name, level))
        else:
            out[term] = counts[term].cast(pl.Float64).to_numpy()
            spec.columns[term] = [(term, None)]
    return pd.DataFrame(out), spec


class EfronModel:
    """A fitted model with the attributes the rest of cohort reads (lifelines'
    names: ``params_``, ``variance_matrix_``, ``summary``)."""

    def __init__(self, fit, columns: list[str]):
        self.fit = fit
        self.params_ = pd.Series(fit.beta, index=columns, name="coef")
        self.variance_matrix_ = pd.DataFrame(fit.variance, index=columns, columns=columns)
        z = Z95 * fit.se
        with np.errstate(over="ignore", under="ignore"):  # an infinite HR is warned about
            self.summary = self._summary(fit, z, columns)
        self.log_likelihood_ = fit.loglik
        self.concordance_ = None  # set by fit_cox: a cohort.survival.concordance.Concordance

    @staticmethod
    def _summary(fit, z, columns) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "coef": fit.beta,
                "exp(coef)": np.exp(fit.beta),
                "se(coef)": fit.se,
                "exp(coef) lower 95%": np.exp(fit.beta - z),
                "exp(coef) upper 95%": np.exp(fit.beta + z),
                "z": fit.z,
                "p": 2 * norm.sf(np.abs(fit.z)),
            },
            index=columns,
        )


@dataclass
class CoxModel:
    """One fitted model: lifelines' fitter, its tidy table and diagnostics."""

    terms: list[str]
    strata: list[str]
    fitter: EfronModel
    spec: Design
    n: int
    events: int
    concordance: float
    ph_test: pl.DataFrame
    dropped: dict[str, str] = field(default_factory=dict)  # term -> why it was left out

    def table(self) -> pl.DataFrame:
        s = self.fitter.summary
        rows = []
        for term in self.terms:
            if term in self.spec.references:
                rows.append({"term": term, "level": self.spec.references[term],
                             "hr": 1.0, "lower": None, "upper": None, "p": None,
                             "coef": 0.0, "se": None, "reference": True})
            for col, level in self.spec.columns[term]:
                r = s.loc[col]
                rows.append({
                    "term": term, "level": level, "hr": float(r["exp(coef)"]),
                    "lower": float(r["exp(coef) lower 95%"]),
                    "upper": float(r["exp(coef) upper 95%"]),
                    "p": float(r["p"]), "coef": float(r["coef"]), "se": float(r["se(coef)"]),
                    "reference": False,
                })
        return pl.DataFrame(rows, schema_overrides={"level": pl.Utf8, "lower": pl.Float64,
                                                     "upper": pl.Float64, "p": pl.Float64,
                                                     "se": pl.Float64})

    def lr_test(self) -> dict:
        f = self.fitter.fit
        return {"chisq": float(f.lr_test), "df": int(f.df), "p": float(f.p_lr)}


def fit_cox(
    counts: pl.DataFrame,
    terms: list[str],
    *,
    categorical: dict[str, list[str]],
    strata: list[str] | None = None,
    reference: dict[str, str] | None = None,
    time: str = "time",
    event: str = "event",
    weight: str = "n",
    entry: str | None = None,
    ties: str = "efron",
    ph_alpha: float = 0.05,
) -> CoxModel:
    """Fit a weighted Cox model to a collapsed table.

    ``entry`` names a left-truncation (delayed entry) column: a row is at risk at t
    when ``entry < t <= time``. ``ties`` is ``"efron"`` (default) or ``"breslow"``.
    Terms or strata that take a single value among the rows are dropped with
    a :class:`ConstantTermWarning` (listed in ``CoxModel.dropped``); rows
    with a count of 0 are left out.
    """
    strata = strata or []
    counts = counts.filter(pl.col(weight) > 0)  # zero-count rows are neutral
    if counts.is_empty():
        raise ModelError("no eligible cases with known values of every term")
    terms, strata, categorical, dropped = _varying(counts, terms, strata, categorical)
    x, spec = design(counts, terms, categorical=categorical, reference=reference)
    frame = x.assign(
        __time=counts[time].to_numpy(), __event=counts[event].to_numpy(),
        __n=counts[weight].to_numpy(),
    )
    for s in strata:
        frame[s] = counts[s].cast(pl.Utf8).to_numpy()
    events = int((frame["__event"] * frame["__n"]).sum())
    if events == 0:
        raise ModelError("the cohort has no events; a Cox model cannot be fitted")
    constant = [c for c in x.columns if x[c].nunique() < 2]
    if constant:
        raise ModelError(
            f"term column(s) {', '.join(constant)} take a single value in this cohort; "
            "drop the term or widen the cohort"
        )
    from cohort.survival.concordance import concordance, linear_predictor
    from cohort.survival.efron import fit_efron

    stratum = _strata_codes(frame, strata)
    xm = x.to_numpy(dtype=float)
    start = None if entry is None else counts[entry].cast(pl.Float64).to_numpy()
    t, e, n = (frame[c].to_numpy() for c in ("__time", "__event", "__n"))
    with _named_terms(list(x.columns), spec, counts, event, weight):
        cph = EfronModel(fit_efron(xm, t, e, n, stratum, entry=start, ties=ties),
                         list(x.columns))
    # ties in the score are decided by the covariate pattern, not by rounding
    risk, pattern = linear_predictor(xm, cph.params_.to_numpy())
    cph.concordance_ = concordance(t, e, risk, weight=n.astype(float), strata=stratum,
                                   entry=start, pattern=pattern)
    c = cph.concordance_.c
    ph = _ph_test(cph, frame, spec, ph_alpha, strata)
    return CoxModel(terms, strata, cph, spec, int(frame["__n"].sum()), events, c, ph,
                    dropped)


def _varying(counts: pl.DataFrame, terms: list[str], strata: list[str],
             categorical: dict[str, list[str]]):
    """The terms and strata that vary among the rows; the others are dropped
    with a warning that names them (a hazard ratio needs two groups, a
    stratum with one level stratifies nothing)."""
    dropped: dict[str, str] = {}
    kept_terms, kept_strata, levels = [], [], {}
    for name in [*terms, *strata]:
        if name in categorical or name in strata:
            values = counts[name].cast(pl.Utf8)
            present = set(values.drop_nulls().to_list())
            order = categorical.get(name) or sorted(present)
            lv = [v for v in order if v in present]
            if len(lv) < 2:
                dropped[name] = (f"one level ({lv[0]}) in this cohort" if lv else
                                 "no known values in this cohort")
                continue
            if name in categorical:
                levels[name] = lv
        elif counts[name].n_unique() < 2:
            value = counts[name][0]
            dropped[name] = f"constant ({value}) in this cohort"
            continue
        (kept_strata if name in strata else kept_terms).append(name)
    if dropped:
        what = "; ".join(f"{k}: {v}" for k, v in dropped.items())
        if not kept_terms:
            raise ModelError(
                f"no term of the model varies in this cohort ({what}); a hazard ratio needs "
                "two groups: widen the cohort or choose other terms"
            )
        warnings.warn(f"left out of the Cox model: {what}", ConstantTermWarning, stacklevel=4)
    return kept_terms, kept_strata, levels, dropped


class _named_terms:
    """Errors and warnings of the fit in the model's own words: the term and
    level of an x column, and what to do about it."""

    def __init__(self, columns, spec: Design, counts, event, weight):
        self.columns, self.spec = columns, spec
        self.counts, self.event, self.weight = counts, event, weight
        self._catch = warnings.catch_warnings(record=True)

    def describe(self, j: int) -> str:
        col = self.columns[j] if 0 <= j < len(self.columns) else f"column {j}"
        for term, cols in self.spec.columns.items():
            for name, level in cols:
                if name != col:
                    continue
                if level is None:
                    return term
                sub = self.counts.filter(pl.col(term).cast(pl.Utf8) == level)
                n = int(sub[self.weight].sum())
                d = int((sub[self.event] * sub[self.weight]).sum())
                return (f"{term} = {level} against {self.spec.references[term]} "
                        f"({d:,} events in {n:,} cases)")
        return col

    def remedy(self, j: int) -> str:
        col = self.columns[j] if 0 <= j < len(self.columns) else ""
        term = col.split("[")[0]
        if "[" in col:
            return f"merge that group with a neighbouring level of {term}, or leave it out"
        return f"drop {term} from the model or recode it"

    def __enter__(self):
        self._caught = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, kind, exc, tb):
        self._catch.__exit__(kind, exc, tb)
        from cohort.survival.efron import InfiniteCoefficientWarning

        for w in self._caught:
            if issubclass(w.category, InfiniteCoefficientWarning):
                cols = [int(i) for i in re.findall(r"\d+", str(w.message).split("[")[-1])]
                for j in cols or [-1]:
                    warnings.warn(
                        f"the hazard ratio of {self.describe(j)} may be infinite (the "
                        "likelihood keeps rising as it grows: monotone likelihood, e.g. a "
                        f"group without events); {self.remedy(j)}",
                        InfiniteHazardRatioWarning, stacklevel=4)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if exc is not None and isinstance(exc, ModelError):
            m = re.search(r"column (\d+)", str(exc))
            if m and "singular" in str(exc):
                j = int(m.group(1))
                raise ModelError(
                    f"the Cox model cannot be fitted: the information matrix is singular for "
                    f"{self.describe(j)}: a single event, a group without events, or a "
                    f"covariate that separates the deaths perfectly; {self.remedy(j)}"
                ) from None
        return False


def _strata_codes(frame: pd.DataFrame, strata: list[str]) -> np.ndarray | None:
    """One integer per combination of the strata columns (vectorised; a row-wise
    string join took over a minute on a 10-million-case report)."""
    if not strata:
        return None
    codes = np.zeros(len(frame), dtype=np.int64)
    for col in strata:
        c, uniques = pd.factorize(frame[col])
        codes = codes * (len(uniques) + 1) + c
    return codes


def _schoenfeld(cph: EfronModel, frame: pd.DataFrame, cols: list[str], strata: list[str]):
    """Schoenfeld residuals x_i - xbar(t_i) of the event rows, per record.

    lifelines' own residuals grow quadratically with the rows (lifelines
    #1067: a 90,000-row collapsed table takes minutes). Here the weighted
    risk-set means come from reverse cumulative sums over the time-sorted
    rows, within strata: linear. The means are Breslow's (no Efron
    adjustment inside tied deaths), which moves the test statistic in the
    third digit at most on tied data.
    """
    x = frame[cols].to_numpy(dtype=float)
    beta = cph.params_.loc[cols].to_numpy()
    eta = x @ beta
    risk = frame["__n"].to_numpy(dtype=float) * np.exp(eta - eta.max())
    t = frame["__time"].to_numpy()
    e = frame["__event"].to_numpy().astype(bool)
    groups = _strata_codes(frame, strata)
    if groups is None:
        groups = np.zeros(len(frame), dtype=int)
    resid = np.zeros_like(x)
    for key in np.unique(groups):
        idx = np.flatnonzero(groups == key)
        order = idx[np.argsort(-t[idx], kind="stable")]  # longest time first
        s0 = np.cumsum(risk[order])
        s1 = np.cumsum(risk[order, None] * x[order], axis=0)
        ts = t[order]
        # the risk set at t is every row with time >= t: the cumulative sum at
        # the last row holding that time in this order
        last = np.searchsorted(-ts, -ts, side="right") - 1
        mean = s1[last] / s0[last, None]
        resid[order] = x[order] - mean
    return resid[e], e


def _ph_test(cph: EfronModel, frame: pd.DataFrame, spec: Design, alpha: float,
             strata: list[str]) -> pl.DataFrame:
    """Grambsch-Therneau test per coefficient, with the case weights.

    lifelines' ``proportional_hazard_test`` sums over rows and ignores case
    weights, which is wrong on collapsed data (a row of 40 deaths counts
    once). The same statistic with every sum weighted:
    ``T_j = (sum w (g - gbar) s*_j)^2 / (D V_jj sum w (g - gbar)^2)``, with
    ``s* = D V r`` the scaled Schoenfeld residuals, ``D`` the number of
    deaths and ``g`` the KM time transform ``1 - S(t)``.
    """
    cols = list(cph.params_.index)
    resid, event_rows = _schoenfeld(cph, frame, cols, strata)
    w = frame["__n"].to_numpy(dtype=float)[event_rows]
    deaths = w.sum()
    km = km_curve(frame["__time"].to_numpy(), frame["__event"].to_numpy(),
                  frame["__n"].to_numpy())
    at = np.searchsorted(km.time, frame["__time"].to_numpy()[event_rows], side="right") - 1
    g = 1 - km.survival[at]  # the KM at each event time (R cox.zph's "km" transform)
    g = g - (w * g).sum() / deaths
    v = cph.variance_matrix_.loc[cols, cols].to_numpy()
    scaled = deaths * resid @ v
    num = ((w * g)[:, None] * scaled).sum(axis=0) ** 2
    stat = num / (deaths * np.diag(v) * (w * g * g).sum())
    stat_by_col = dict(zip(cols, stat, strict=True))
    rows = []
    for term, cols in spec.columns.items():
        for col, level in cols:
            chisq = float(stat_by_col[col])
            rows.append({"term": term, "level": level, "chisq": chisq,
                         "p": float(chi2.sf(chisq, 1))})
    table = pl.DataFrame(rows, schema_overrides={"level": pl.Utf8})
    failing = table.filter(pl.col("p") < alpha)
    if failing.height:
        names = ", ".join(
            f"{r['term']}" + (f"[{r['level']}]" if r["level"] else "") + f" (p = {r['p']:.3g})"
            for r in failing.iter_rows(named=True)
        )
        warnings.warn(
            f"proportional hazards may not hold for {names}: consider stratifying on the term "
            "or a time-varying effect",
            ProportionalHazardsWarning,
            stacklevel=4,
        )
    return table
