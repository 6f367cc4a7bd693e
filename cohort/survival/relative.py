"""Relative-survival analyses of a cohort: the functions behind
``Cohort.lifetable()``, ``Cohort.ehr()`` and ``Cohort.crude_probability()``.

Each collapses the cohort once in DuckDB to (group or covariates, age, sex,
year of diagnosis, exit, event, count) — plus the entry time for a period
cohort — and hands the counts to an estimator that works on them alone
(:mod:`~cohort.survival.lifetable`, :mod:`~cohort.survival.ehr`,
:mod:`~cohort.survival.crude`). Result objects keep exact tables (``*_``)
and give release tables with small counts suppressed through ``tables()``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from cohort.disclosure import DEFAULT_THRESHOLD, suppress
from cohort.errors import CohortError
from cohort.labels import decode, decode_groups
from cohort.survival.display import Displayed, labelled_terms, site_of
from cohort.survival.netsurv import (
    ICSS,
    ICSS_BREAKS,
    LifeTable,
    LifeTableWarning,
    _site,
    check_matchable,
    icss_group,
    load_lifetable,
)
from cohort.survival.period import capped, collapse_exits, condition

AGE_GROUP = "age_group"  # derived from age_at_dx: ICSS bands
AGE_GROUP_LEVELS = ["<45", "45-54", "55-64", "65-74", "75+"]


def _table(lifetable) -> LifeTable:
    return lifetable if isinstance(lifetable, LifeTable) else load_lifetable(lifetable)


def _warn_carried(carried: list[int], table: LifeTable) -> None:
    if carried:
        warnings.warn(
            f"follow-up reaches {max(carried)}, past the life table's last year "
            f"{table.last_year}; its {table.last_year} rates are carried forward",
            LifeTableWarning, stacklevel=4,
        )


def _describe(cohort, given: float = 0) -> str:
    window = getattr(cohort, "window", None)
    out = []
    if window is not None:
        out.append(f"period analysis {window}: follow-up inside the window only, earlier "
                   "diagnoses enter at their duration at its start")
    if given:
        out.append(f"conditional on survival to {given:g} months")
    return "; ".join(out)


def _counts(cohort, columns: list[str], *, given: float = 0, entry: str | None = None,
            convention: str = "completed"):
    """Collapsed exits (and entries) of the cohort, checked against the life table."""
    col = collapse_exits(cohort, columns, event="event", entry=entry, convention=convention)
    counts = col.counts.filter(pl.col("n") > 0)
    window = getattr(cohort, "window", None)
    if window is None and not given:
        cohort.require_records(counts)  # says why, with the attrition
    entry = "entry" if "entry" in counts.columns else None
    if given:
        counts, entry = condition(counts, given, entry=entry)
    if counts.is_empty():
        raise CohortError(
            "the cohort has no eligible cases with known survival time"
            + (f" followed inside the period {window}" if window is not None else "")
            + (f" under observation at {given:g} months" if given else "")
            + "; widen the cohort" + (" or move the window" if window is not None else ""))
    check_matchable(counts, "the cohort")
    return col, counts, entry


# -- life tables --------------------------------------------------------------------


@dataclass(repr=False)  # repr from Displayed
class LifeTableResult(Displayed):
    """Life tables per group (and ICSS age-standardised ones). Exact, unsuppressed."""

    cohort: str
    by: str | None
    interval: int
    expected: str
    lifetable: str
    conf_type: str
    table_: pl.DataFrame
    monthly_: pl.DataFrame
    standardised_: pl.DataFrame | None = None
    note: str = ""
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def tables(self, *, suppress_below: int = DEFAULT_THRESHOLD, codes: bool = False
               ) -> dict[str, pl.DataFrame]:
        """Release tables: counts below the threshold shown as ``<11``; groups
        labelled (sex ``female``) unless ``codes``."""
        counts = ["alive_start", "entered", "died", "withdrawn"]
        lt = self.table_.with_columns(
            pl.when((pl.col("n_eff") > 0) & (pl.col("n_eff") < suppress_below))
            .then(None).otherwise(pl.col("n_eff")).alias("n_eff")) if suppress_below else \
            self.table_
        out = {"life_table": suppress(lt, counts, threshold=suppress_below)}
        if self.standardised_ is not None:
            out["age_standardised"] = self.standardised_
        return out if codes else decode_groups(out, self.by, site=self.site)

    def printable(self, *, suppress_below: int = DEFAULT_THRESHOLD,
                  codes: bool = False) -> pl.DataFrame:
        """The life table as SEER*Stat lays it out, estimates with their CIs as
        text; groups labelled unless ``codes``."""
        t = self.tables(suppress_below=suppress_below, codes=codes)["life_table"]
        kinds = [k for k in ("observed", "relative", "net") if k in t.columns]
        cols = [pl.col("group"),
                (pl.col("start").cast(pl.Utf8) + "-" + pl.col("end").cast(pl.Utf8))
                .alias("months"), pl.col("alive_start").alias("alive")]
        if (self.table_["entered"] > 0).any():
            cols.append(pl.col("entered"))
        cols += [pl.col("died"), pl.col("withdrawn"), pl.col("n_eff"),
                 _fmt("observed_interval", "interval observed"),
                 _fmt("expected_interval", "interval expected"),
                 _fmt("relative_interval", "interval relative")]
        for k in kinds:
            cols.append(pl.struct(k, f"{k}_lower", f"{k}_upper").map_elements(
                lambda r, k=k: _ci_text(r[k], r[f"{k}_lower"], r[f"{k}_upper"]),
                return_dtype=pl.Utf8).alias(f"{k} (95% CI)"))
            if k == "observed":
                cols.append(_fmt("expected", "expected"))
        return t.select(cols + [pl.col("flag")])

    def group_sizes(self) -> dict[str, int]:
        """Cases per group (alive at the start of the first interval, with entries)."""
        first = self.monthly_.group_by("group").agg(pl.col("entered").sum())
        return {g: int(round(n)) for g, n in first.iter_rows()}

    def at_risk(self, times, *, suppress_below: int = DEFAULT_THRESHOLD) -> pl.DataFrame:
        """Alive at the start of each month of ``times`` (the end of the table:
        alive after its last month), per group."""
        m = self.monthly_
        rows = []
        for g in dict.fromkeys(m["group"].to_list()):
            part = m.filter(pl.col("group") == g).sort("month")
            alive = dict(zip(part["month"].to_list(), part["alive_start"].to_list(),
                             strict=True))
            last = part.row(part.height - 1, named=True)
            alive[last["month"] + 1] = last["alive_start"] - last["died"] - last["withdrawn"]
            for t in times:
                n = alive.get(int(t))
                if n is None and t > last["month"] + 1:
                    n = 0
                rows.append({"group": g, "time": float(t), "n_risk": int(round(n or 0))})
        out = pl.DataFrame(rows, schema={"group": pl.Utf8, "time": pl.Float64,
                                         "n_risk": pl.Int64})
        return suppress(out, ["n_risk"], threshold=suppress_below)

    def plot(self, **options):
        """Cumulative relative (or ``kind="observed"``/``"net"``) survival at
        each interval's end with the numbers alive: a matplotlib ``Figure``
        (options: :func:`cohort.plot.lifetable`)."""
        from cohort.plot import lifetable

        return lifetable(self, **options)

    def _display(self):
        title = ("Life table" + (f" by {self.by}" if self.by else "")
                 + f": {self.interval}-month intervals, expected survival {self.expected}")
        return title, [f"cohort: {self.cohort}", f"life table: {self.lifetable}"], {
            "": self.summary()}

    def summary(self, *, codes: bool = False) -> pl.DataFrame:
        """Cumulative survival at each interval end as papers print it: estimate
        (95% CI); groups labelled unless ``codes``."""
        t = self.table_
        kinds = [k for k in ("observed", "relative", "net") if k in t.columns]
        cols = [pl.col("group"), pl.col("end").alias("month"), pl.col("alive_start")]
        for k in kinds:
            cols.append(pl.struct(k, f"{k}_lower", f"{k}_upper").map_elements(
                lambda r, k=k: _ci_text(r[k], r[f"{k}_lower"], r[f"{k}_upper"]),
                return_dtype=pl.Utf8).alias(f"{k} (95% CI)"))
        cols.insert(4, pl.col("expected").map_elements(lambda v: f"{v:.3f}", skip_nulls=True,
                                                       return_dtype=pl.Utf8))
        out = t.select(cols + [pl.col("flag")])
        return out if codes or not self.by else decode(out, {"group": self.by}, site=self.site)


def _fmt(col: str, name: str) -> pl.Expr:
    return pl.col(col).map_elements(lambda v: f"{v:.4f}", return_dtype=pl.Utf8,
                                    skip_nulls=True).alias(name)


def _ci_text(x, lo, hi) -> str | None:
    if x is None:
        return None
    if lo is None or hi is None:
        return f"{x:.3f}"
    return f"{x:.3f} ({lo:.3f}, {hi:.3f})"


def lifetable_analysis(
    cohort,
    *,
    by: str | None = "node_burden",
    interval: int = 12,
    horizon: int | None = None,
    expected: str = "ederer2",
    net: bool = True,
    lifetable: str | Path | LifeTable | None = None,
    conf_type: str = "log-log",
    min_at_risk: int = 25,
    cap: bool = False,
    flag_se: float | None = 0.1,
    standardise: int | None = None,
    given: int = 0,
    closing: str | None = None,
    entry: str | None = None,
    convention: str = "completed",
) -> LifeTableResult:
    """SEER*Stat-style life tables by group: see :func:`cohort.survival.lifetable.life_table`.

    Parameters
    ----------
    by
        Grouping column (None for the whole cohort).
    interval
        Printed interval in months (1, 3, 6, 12); the table is computed monthly.
    expected
        ``ederer2`` (default), ``ederer1`` or ``hakulinen``.
    standardise
        ICSS standard 1, 2 or 3: also age-standardised cumulative observed,
        relative and net survival (ages 15+).
    given
        Conditional life table: survival from ``given`` months on, for those
        alive then.
    closing
        Hakulinen: the closing date of follow-up (``YYYY-MM``); default the
        latest follow-up month in the cohort.
    entry
        A column of delayed entry (months since diagnosis) for left-truncated
        data; a period cohort (:meth:`cohort.cohort.Cohort.period`) brings its own.
    convention
        ``completed`` (default: exits at ``surv_months + 0.5``) or ``exact``.
    """
    from cohort.survival.lifetable import DEFAULT_HORIZON, LifeTableInputError, life_table

    table = _table(lifetable)
    cols = [c for c in [by] if c] + ["age_at_dx", "sex", "dx_year"]
    source = capped(cohort, horizon if horizon is not None else given + DEFAULT_HORIZON)
    if expected == "hakulinen":
        if getattr(cohort, "window", None) is not None:
            raise LifeTableInputError("Hakulinen's expected survival is for complete "
                                      "analysis; use ederer2 with a period window")
        source = _with_potential(source, closing, full=cohort)
        cols.append("potential_months")
    col, counts, entry = _counts(source, cols, given=given, entry=entry,
                                 convention=convention)
    potential = None
    if expected == "hakulinen":
        counts = counts.with_columns((pl.col("potential_months") + 0.5).alias("potential"))
        potential = "potential"
    levels = col.levels.get(by) if by else None
    carried: list[int] = []
    opts = dict(table=table, interval=interval, expected=expected, net=net,
                conf_type=conf_type, min_at_risk=min_at_risk, cap=cap, flag_se=flag_se,
                entry=entry, potential=potential, given=given, carried=carried)
    out, monthly = life_table(counts, by=by, levels=levels, horizon=horizon, **opts)
    std = None
    if standardise:
        std = _standardised_lifetable(counts, by, levels, out, standardise, opts)
    _warn_carried(carried, table)
    names = {"ederer2": "Ederer II", "ederer1": "Ederer I", "hakulinen": "Hakulinen"}
    note = (f"actuarial life table computed on monthly intervals, printed every {interval} "
            f"months; expected survival {names[expected]}, life table {table.source}; "
            f"relative = observed / expected; net = Pohar Perme; 95% CIs {conf_type} "
            f"(relative and net: {'plain' if conf_type == 'plain' else 'log'}); "
            f"estimates blanked from the first interval with fewer than {min_at_risk} alive "
            "at its start" + ("; interval relative survival capped at 1" if cap else ""))
    extra = _describe(cohort, given)
    from cohort.cohort import convention_note

    return LifeTableResult(
        cohort=cohort.definition, by=by, interval=interval, expected=expected,
        lifetable=table.source, conf_type=conf_type, table_=out, monthly_=monthly,
        standardised_=std, note=note + (f"; {extra}" if extra else "")
        + f"; {convention_note(col.convention)}", site=_site(cohort, by),
    )


def _with_potential(cohort, closing: str | None, *, full=None):
    """The cohort with each case's potential follow-up to the closing date, in months
    (by default the latest follow-up month of ``full``, the cohort before any cut)."""
    from cohort.cohort import Cohort

    full = full or cohort
    dx = "(dx_year * 12 + coalesce(dx_month, 7) - 1)"
    params = cohort.params
    if closing:
        try:
            y, m = (int(x) for x in str(closing).split("-")[:2])
        except ValueError:
            raise CohortError(f"closing must look like YYYY-MM, got {closing!r}") from None
        close = str(y * 12 + m - 1)
    else:
        close = (f"(select max({dx} + surv_months) from ({full.sql}) "
                 "where exclusion_reason is null)")
        if isinstance(params, list | tuple):  # the subquery's placeholders come first
            params = [*(full.params or []), *params]
    sql = f"select *, {close} - {dx} as potential_months from ({cohort.sql})"
    out = Cohort(cohort.registry, sql, params=params, name=cohort.name)
    out.definition = cohort.definition
    return out


def _standardised_lifetable(counts, by, levels, full, standard, opts) -> pl.DataFrame:
    """ICSS-weighted cumulative observed, relative and net survival at each interval end."""
    from cohort.survival.lifetable import conf_int, life_table

    if standard not in ICSS:
        raise CohortError(f"standardise must be one of {sorted(ICSS)}, got {standard!r}")
    weights = ICSS[standard]
    aged = counts.with_columns(icss_group()).filter(pl.col("age_at_dx") >= ICSS_BREAKS[0])
    horizon = int(full["end"].max())
    group_col = by or "__all"
    if by is None:
        aged = aged.with_columns(pl.lit("all").alias(group_col))
    parts = []
    for (g, a), sub in aged.group_by(group_col, "age_group", maintain_order=True):
        t, _ = life_table(sub, by=None, horizon=horizon, **opts)
        parts.append(t.with_columns(pl.lit(str(g)).alias("group"),
                                    pl.lit(int(a)).alias("age_group")))
    per_age = pl.concat(parts)
    kinds = [k for k in ("observed", "relative", "net") if k in full.columns]
    rows = []
    for (g, end), part in per_age.group_by("group", "end", maintain_order=True):
        row = {"group": g, "end": end}
        for k in kinds:
            vals = {r["age_group"]: (r[k], r[f"{k}_se"]) for r in part.iter_rows(named=True)}
            ok = set(vals) == set(range(5)) and all(v[0] is not None for v in vals.values())
            row[k] = sum(weights[a] * vals[a][0] for a in range(5)) if ok else None
            row[f"{k}_se"] = float(np.sqrt(sum((weights[a] * vals[a][1]) ** 2
                                               for a in range(5)))) if ok else None
        rows.append(row)
    schema = {"group": pl.Utf8, "end": pl.Int64} | {
        c: pl.Float64 for k in kinds for c in (k, f"{k}_se")}
    std = pl.DataFrame(rows, schema=schema)
    for k in kinds:
        ct = opts["conf_type"] if k == "observed" or opts["conf_type"] == "plain" else "log"
        lo, hi = conf_int(std[k].fill_null(np.nan).to_numpy(),
                          std[f"{k}_se"].fill_null(np.nan).to_numpy(), ct)
        std = std.with_columns(pl.Series(f"{k}_lower", lo).fill_nan(None),
                               pl.Series(f"{k}_upper", hi).fill_nan(None))
    order = {lv: i for i, lv in enumerate(levels or ["all"])}
    return std.sort(pl.col("group").replace_strict(order, default=len(order),
                                                   return_dtype=pl.Int64), "end")


# -- excess hazard regression ----------------------------------------------------------


@dataclass(repr=False)  # repr from Displayed
class EHRResult(Displayed):
    """Excess hazard ratios by term, with tests and the model's fit. Exact."""

    cohort: str
    terms: list[str]
    time_varying: list[str]
    lifetable: str
    model_: object  # cohort.survival.ehr.ExcessModel
    table_: pl.DataFrame
    tests_: pl.DataFrame
    baseline_: pl.DataFrame
    fit_: pl.DataFrame
    records: int
    unknown: int
    note: str = ""
    dropped_note: str = ""
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def tables(self, *, suppress_below: int = DEFAULT_THRESHOLD, codes: bool = False
               ) -> dict[str, pl.DataFrame]:
        """The excess hazard ratios (terms labelled, ``sex: female vs male``,
        unless ``codes``), tests, fit, baseline and the model's cells (deaths
        below the threshold as ``<11``)."""
        cells = self.model_.cells_.with_columns(pl.col("d").round(0).cast(pl.Int64))
        return {"excess_hazard_ratios": labelled_terms(self.table_, self.site, codes),
                "tests": self.tests_,
                "model": self.fit_, "baseline_excess": self.baseline_,
                "cells": suppress(cells, ["d"], threshold=suppress_below)}

    def summary(self, *, codes: bool = False) -> pl.DataFrame:
        """EHR (95% CI) and p per term level, as papers print it; levels
        labelled unless ``codes``."""
        t = self.table_
        text = pl.struct("ehr", "lower", "upper", "reference").map_elements(
            lambda r: "1 (reference)" if r["reference"] else
            f"{r['ehr']:.2f} ({r['lower']:.2f}-{r['upper']:.2f})", return_dtype=pl.Utf8)
        p = pl.col("p").map_elements(lambda v: "<0.001" if v < 0.001 else f"{v:.3f}",
                                     return_dtype=pl.Utf8, skip_nulls=True)
        from cohort.survival.display import labelled_levels

        cols = ["term", "level"] + (["interval"] if self.time_varying else [])
        out = t.select(*cols, text.alias("EHR (95% CI)"), p.alias("p"))
        return out if codes else labelled_levels(out, site=self.site)

    def forest_table(self) -> pl.DataFrame:
        """The excess hazard ratios as a forest plot reads them (``hr_excess``...;
        a time-varying term's level carries its interval)."""
        t = self.table_
        level = pl.col("level")
        if "interval" in t.columns and t["interval"].is_not_null().any():
            level = pl.when(pl.col("interval").is_not_null()).then(
                pl.concat_str([pl.col("level").fill_null(""), pl.lit(" ("),
                               pl.col("interval"), pl.lit(" y)")]).str.strip_chars()
            ).otherwise(pl.col("level"))
        return t.select("term", level.alias("level"), "reference",
                        pl.col("ehr").alias("hr_excess"), pl.col("lower").alias("lower_excess"),
                        pl.col("upper").alias("upper_excess"))

    def plot(self, **options):
        """Forest plot of the excess hazard ratios: a matplotlib ``Figure``
        (options: :func:`cohort.plot.forest`)."""
        from cohort.plot import forest

        options.setdefault("xlabel", "Excess hazard ratio (95% CI), log scale")
        return forest(self, **options)

    def _display(self):
        fit = self.fit_.row(0, named=True) if self.fit_.height else {}
        facts = [f"cohort: {self.cohort}", f"life table: {self.lifetable}", self.note]
        if fit:
            facts.append(f"deviance {fit.get('deviance', float('nan')):.1f} on "
                         f"{fit.get('df', '')} df")
        return (f"Excess hazard ratios (relative survival): {' + '.join(self.terms)}; "
                f"{self.records:,} records", facts, {"": self.summary()})

    _foot = ("exact numbers in table_; .plot() draws the "
             "forest plot")


def ehr_analysis(
    cohort,
    terms,
    *,
    intervals=(0, 1, 2, 3, 5),
    time_varying: list[str] | None = None,
    reference: dict[str, str] | None = None,
    lifetable: str | Path | LifeTable | None = None,
    exclude_levels: dict[str, list[str]] | None = None,
    entry: str | None = None,
    convention: str = "completed",
) -> EHRResult:
    """Excess hazard regression (Dickman et al. 2004) on ``terms``.

    Parameters
    ----------
    terms
        Columns of ``cases`` (text/ENUM columns are categorical, numbers
        continuous), or ``age_group`` (ICSS bands <45, 45-54, 55-64, 65-74,
        75+ from ``age_at_dx``).
    intervals
        Follow-up interval boundaries in years (start at 0); the baseline
        excess hazard is constant within each.
    time_varying
        Terms whose excess hazard ratio may differ between intervals
        (an interaction with follow-up interval).
    reference
        ``{term: level}`` reference levels (default: the first level present).
    exclude_levels
        ``{term: [levels]}`` left out of the model (e.g. unknown node burden).
    entry
        A column of delayed entry (months since diagnosis); a period cohort
        brings its own.
    convention
        ``completed`` (default: exits at ``surv_months + 0.5``) or ``exact``.
    """
    from cohort.survival.ehr import ExcessModelError, excess_cells, fit_ehr

    terms = list(dict.fromkeys(terms))
    if not terms:
        raise ExcessModelError("give at least one term, e.g. node_burden")
    table = _table(lifetable)
    queried = [t for t in terms if t != AGE_GROUP]
    cols = list(dict.fromkeys([*queried, "age_at_dx", "sex", "dx_year"]))
    source = capped(cohort, 12 * max(float(x) for x in intervals))
    col, counts, entry = _counts(source, cols, entry=entry, convention=convention)
    if AGE_GROUP in terms:
        counts = counts.with_columns(_age_group())
    for term, levels in (exclude_levels or {}).items():
        if term in counts.columns:
            counts = counts.filter(~pl.col(term).cast(pl.Utf8).is_in(levels)
                                   | pl.col(term).is_null())
    known = pl.all_horizontal(pl.col(t).is_not_null() for t in terms)
    unknown = int(counts.filter(~known)["n"].sum()) + col.unknown
    counts = counts.filter(known)
    categorical = {}
    for t in terms:
        if t == AGE_GROUP:
            present = set(counts[t].to_list())
            categorical[t] = [lv for lv in AGE_GROUP_LEVELS if lv in present]
        elif t in col.categorical:
            present = set(counts[t].cast(pl.Utf8).to_list())
            categorical[t] = [lv for lv in col.levels[t] if lv in present]
    # a term constant in this cohort (sex in breast cancer) says nothing: left out, named
    dropped = {t: lv for t, lv in categorical.items() if len(lv) < 2}
    if dropped and len(dropped) == len(terms):
        raise ExcessModelError(
            f"every term is constant in this cohort ({', '.join(dropped)}); an excess "
            "hazard ratio needs a term with two or more groups")
    terms = [t for t in terms if t not in dropped]
    time_varying = [t for t in (time_varying or []) if t not in dropped]
    dropped_note = "; ".join(
        f"{t} left out: {'one level (' + lv[0] + ')' if lv else 'no known values'} in this "
        "cohort" for t, lv in dropped.items())
    carried: list[int] = []
    cells = excess_cells(counts, table=table, covariates=terms, intervals=intervals,
                         entry=entry, carried=carried)
    model = fit_ehr(cells, terms, categorical=categorical, reference=reference,
                    time_varying=time_varying, intervals=intervals)
    _warn_carried(carried, table)
    extra = "; ".join(x for x in (_describe(cohort), dropped_note) if x)
    note = ("Poisson model for excess mortality (Dickman et al. 2004): d ~ Poisson(d* + y "
            "exp(b'x)), piecewise-constant baseline excess hazard per interval "
            f"({', '.join(f'{x:g}' for x in intervals)} years); EHRs with 95% Wald CIs; life "
            f"table {table.source}" + (f"; {extra}" if extra else ""))
    return EHRResult(
        cohort=cohort.definition, terms=terms, time_varying=time_varying,
        lifetable=table.source, model_=model, table_=model.table(), tests_=model.tests_,
        baseline_=model.baseline(), fit_=model.model(), records=int(counts["n"].sum()),
        unknown=unknown, note=note, dropped_note=dropped_note, site=site_of(cohort, terms),
    )


def _age_group() -> pl.Expr:
    a = pl.col("age_at_dx")
    return (pl.when(a < 45).then(pl.lit("<45")).when(a < 55).then(pl.lit("45-54"))
            .when(a < 65).then(pl.lit("55-64")).when(a < 75).then(pl.lit("65-74"))
            .otherwise(pl.lit("75+")).alias(AGE_GROUP))


# -- crude probabilities ----------------------------------------------------------------


@dataclass
class CrudeResult:
    """Crude probability of death from the cancer and from other causes, by group."""

    cohort: str
    by: str | None
    lifetable: str
    estimates_: pl.DataFrame
    note: str = ""
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def tables(self, *, suppress_below: int = DEFAULT_THRESHOLD, codes: bool = False
               ) -> dict[str, pl.DataFrame]:
        """The estimates, ``n_risk`` below the threshold as ``<11``; groups
        labelled unless ``codes``."""
        out = {"crude_probability": suppress(self.estimates_, ["n_risk"],
                                             threshold=suppress_below)}
        return out if codes else decode_groups(out, self.by, site=self.site)

    def __repr__(self) -> str:
        from cohort.survival.display import text_block

        return text_block("Crude probability of death from the cancer and from other causes"
                          + (f" by {self.by}" if self.by else ""),
                          [f"cohort: {self.cohort}", f"life table: {self.lifetable}"],
                          {"": self.tables()["crude_probability"]})

    def _repr_html_(self) -> str:
        from cohort.survival.display import html_block

        return html_block("Crude probability of death from the cancer and from other causes"
                          + (f" by {self.by}" if self.by else ""),
                          [f"cohort: {self.cohort}", f"life table: {self.lifetable}"],
                          {"": self.tables()["crude_probability"]})


def crude_analysis(
    cohort,
    *,
    by: str | None = "node_burden",
    times=(12, 36, 60),
    lifetable: str | Path | LifeTable | None = None,
    convention: str = "completed",
) -> CrudeResult:
    """Crude probabilities of cancer and other-cause death by group (Cronin & Feuer 2000):
    see :func:`cohort.survival.crude.crude_table`. ``convention``: ``completed``
    (default: exits at ``surv_months + 0.5``) or ``exact``."""
    from cohort.survival.crude import crude_table

    table = _table(lifetable)
    cols = [c for c in [by] if c] + ["age_at_dx", "sex", "dx_year"]
    col, counts, entry = _counts(capped(cohort, max(times)), cols, convention=convention)
    carried: list[int] = []
    groups = col.levels.get(by, []) if by else [None]
    rows = []
    for g in groups:
        part = counts if g is None else counts.filter(pl.col(by) == g)
        if part.is_empty():
            continue
        est = crude_table(part, tuple(times), table=table, entry=entry,
                          label=f"{by}={g}" if g is not None else "cohort", carried=carried)
        rows.append(est.with_columns(pl.lit(g if g is not None else "all").alias("group")))
    _warn_carried(carried, table)
    est = pl.concat(rows)
    est = est.select("group", *[c for c in est.columns if c != "group"])
    return CrudeResult(
        cohort=cohort.definition, by=by, lifetable=table.source, estimates_=est,
        site=_site(cohort, by),
        note=("crude probabilities of death (Cronin & Feuer 2000) from all-cause deaths and "
              f"the life table {table.source} (no cause of death needed); cancer + other = "
              "1 - observed survival; 95% CIs plain, variances as relsurv::cmp.rel"),
    )
