"""Survival analyses of a cohort: the functions behind Cohort.km/.cox/.cif.

Each returns a result object whose attributes are exact polars tables
(``*_`` names, unsuppressed, as lifelines keeps them) and whose
``tables(suppress=...)`` gives the tables that may leave the building, with
every count below the threshold shown as ``<11``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import polars as pl

from cohort.disclosure import DEFAULT_THRESHOLD, mask_small_groups, protect_frame, suppress
from cohort.errors import CohortError, CohortWarning
from cohort.survival.compete import cumulative_incidence
from cohort.survival.cox import ModelError, fit_cox
from cohort.survival.km import CI_METHOD, KaplanMeier, fit_km
from cohort.survival.logrank import ADJUST, logrank

DEFAULT_TIMES = (12, 36, 60)
UNSUPPRESSED_NOTE = "exact counts (unsuppressed): use tables(suppress=True) for release"


@dataclass
class KMResult:
    """Kaplan-Meier by group with its tests. Attributes are exact (unsuppressed)."""

    cohort: str
    by: str | None
    event: str
    times: tuple
    horizon: float
    km_: KaplanMeier
    estimates_: pl.DataFrame
    medians_: pl.DataFrame
    rmst_: pl.DataFrame
    tests_: pl.DataFrame
    pairwise_: pl.DataFrame | None
    records: int
    collapsed_rows: int
    unknown_event: int
    note: str = UNSUPPRESSED_NOTE
    ci_method: str = CI_METHOD

    def tables(self, *, suppress_below: int = DEFAULT_THRESHOLD) -> dict[str, pl.DataFrame]:
        """The result tables for release: counts under the threshold as ``<11``
        and the estimates of groups smaller than the threshold blanked."""
        est = mask_small_groups(
            self.estimates_.join(self.medians_.select("group", "n"), on="group"),
            count="n", columns=["survival", "lower", "upper"], threshold=suppress_below,
        ).drop("n")
        med = mask_small_groups(self.medians_, count="n", columns=["median", "lower", "upper"],
                                threshold=suppress_below)
        rmst = mask_small_groups(
            self.rmst_.join(self.medians_.select("group", "n"), on="group"), count="n",
            columns=["rmst", "se", "lower", "upper"], threshold=suppress_below,
        ).drop("n")
        # n and events by group sit beside the cohort's printed totals: a
        # hidden small group gets a complementary cell (cohort.disclosure)
        totals = {"n": int(self.medians_["n"].sum()), "events": int(self.medians_["events"].sum())}
        med = protect_frame(med, ["n", "events"], threshold=suppress_below, totals=totals,
                            within=[("events", "n")])
        out = {
            "survival": suppress(est, ["n_risk", "n_events"], threshold=suppress_below),
            "medians": med,
            "rmst": rmst,
            "tests": self.tests_,
        }
        if self.pairwise_ is not None:
            out["pairwise"] = self.pairwise_
        return out

    def summary(self, *, suppress_below: int = DEFAULT_THRESHOLD) -> pl.DataFrame:
        """One row per group, as papers print it: n, events, median (95% CI),
        survival at each time (95% CI)."""
        t = self.tables(suppress_below=suppress_below)
        med = t["medians"]
        rows = []
        for r in med.iter_rows(named=True):
            row = {"group": r["group"], "n": r["n"], "events": r["events"],
                   "median (95% CI)": _ci(r["median"], r["lower"], r["upper"], digits=1)}
            for e in t["survival"].filter(pl.col("group") == r["group"]).iter_rows(named=True):
                row[f"S({e['time']:g}) (95% CI)"] = _ci(e["survival"], e["lower"], e["upper"])
            rows.append(row)
        return pl.DataFrame(rows)


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _ci(x, lo, hi, digits=3) -> str:
    f = f"{{:.{digits}f}}"
    lo_s = f.format(lo) if lo is not None else "NA"
    hi_s = f.format(hi) if hi is not None else "NA"
    if x is None:
        return "not reached" + (f" ({lo_s}, {hi_s})" if lo is not None else "")
    return f"{f.format(x)} ({lo_s}, {hi_s})"


def km_analysis(
    cohort,
    *,
    by: str | None = "node_burden",
    event: str = "event",
    times=DEFAULT_TIMES,
    horizon: float | None = None,
    strata: list[str] | None = None,
    pairwise: str | None = None,
) -> KMResult:
    """Kaplan-Meier by ``by`` with log-rank (overall, trend, stratified) tests.

    Parameters
    ----------
    by
        Grouping column (default ``node_burden``; None for one curve).
    event
        ``event`` (death from any cause) or ``event_cancer`` (cause-specific).
    times
        Months at which survival, numbers at risk and events are reported.
    horizon
        Restricted mean survival time horizon (default: the last of ``times``).
    strata
        Columns to stratify the log-rank tests on.
    pairwise
        ``holm``, ``bonferroni`` or ``none``: pairwise log-rank tests with that
        multiplicity correction; None (default) for no pairwise tests.

    Notes
    -----
    CIs are log-log (R ``conf.type = "log-log"``). Numbers at risk are R's
    ``n.risk`` (at risk just before t); ``n_events`` counts events up to and
    including t. The trend test uses scores 1, 2, ... in the group order
    (clinical order for node_burden).
    """
    times = tuple(times)
    horizon = horizon if horizon is not None else max(times, default=60)
    cols = [c for c in [by, *(strata or [])] if c]
    col = _collapse(cohort, cols, event)
    counts = col.counts
    _check_cause_known(event, counts, col.unknown)
    levels = col.levels.get(by) if by else None
    km = fit_km(counts, by=by, event="event", levels=levels)
    tests = []
    pairs = None
    if by and len(km.groups_) >= 2 and (counts["event"] * counts["n"]).sum() > 0:
        present = list(km.groups_)
        lr = logrank(counts, group=by, levels=present)
        km.logrank_ = lr
        tr = lr.trend()
        tests.append({"test": "log-rank", "chisq": lr.chisq, "df": lr.df, "p": lr.p})
        tests.append({"test": "log-rank for trend", "chisq": tr["chisq"], "df": 1, "p": tr["p"]})
        if strata:
            st = logrank(counts, group=by, levels=present, strata=strata)
            tests.append({"test": f"log-rank stratified by {', '.join(strata)}",
                          "chisq": st.chisq, "df": st.df, "p": st.p})
        if pairwise:
            if pairwise not in ADJUST:
                raise CohortError(f"pairwise must be one of {', '.join(ADJUST)}, got {pairwise!r}")
            rows = []
            for i, a in enumerate(present):
                for b in present[i + 1:]:
                    sub = counts.filter(pl.col(by).is_in([a, b]))
                    t2 = logrank(sub, group=by, levels=[a, b], strata=strata)
                    rows.append({"group_1": a, "group_2": b, "chisq": t2.chisq, "p": t2.p})
            adj = ADJUST[pairwise]([r["p"] for r in rows])
            for r, q in zip(rows, adj, strict=True):
                r[f"p_{pairwise}"] = q
            pairs = pl.DataFrame(rows)
    return KMResult(
        cohort=cohort.definition, by=by, event=event, times=times, horizon=horizon, km_=km,
        estimates_=km.estimates(times), medians_=km.medians(), rmst_=km.rmst(horizon),
        tests_=pl.DataFrame(tests, schema={"test": pl.Utf8, "chisq": pl.Float64,
                                           "df": pl.Int64, "p": pl.Float64}),
        pairwise_=pairs, records=int(counts["n"].sum()), collapsed_rows=counts.height,
        unknown_event=col.unknown,
    )


class UnknownCauseWarning(CohortWarning):
    """Many deaths have an unknown cause: cause-specific estimates leave them out."""


class CauseNotRecordedError(CohortError):
    """Cause-specific survival asked for, but no death in the cohort has a known cause."""


def _check_cause_known(event: str, counts: pl.DataFrame, unknown: int) -> None:
    if event != "event_cancer" or unknown == 0:
        return
    known_deaths = int((counts["event"] * counts["n"]).sum())
    if known_deaths == 0:
        raise CauseNotRecordedError(
            f"cause of death is not recorded for this cohort ({unknown:,} cases with unknown "
            "cause-specific status), so cause-specific survival cannot be estimated; use "
            "event = 'event' (death from any cause) or net survival"
        )
    share = unknown / (unknown + int(counts["n"].sum()))
    if share > 0.05:
        warnings.warn(
            f"{unknown:,} eligible cases ({share:.0%}) have an unknown cause-specific status "
            "(dead, cause unknown) and are left out of cause-specific estimates",
            UnknownCauseWarning,
            stacklevel=4,
        )


class PooledSitesWarning(CohortWarning):
    """Node-burden groups pooled across site groups (categories are site-specific)."""


def _collapse(cohort, columns: list[str], event: str):
    """Collapse the cohort; with node_burden among the columns, also check
    (in the same query) that the cohort holds a single site group."""
    check = "node_burden" in columns and "site_group" not in columns
    col = cohort.collapse([*columns, *(["site_group"] if check else [])], event=event)
    if check:
        sites = col.levels.get("site_group", [])
        if len(sites) > 1:
            warnings.warn(
                f"the cohort spans {len(sites)} site groups ({', '.join(sites)}); "
                "node_burden categories are site-specific, so groups pool different things. "
                "Restrict the cohort to one site, e.g. site_group = 'breast'",
                PooledSitesWarning,
                stacklevel=4,
            )
        col.counts = col.without("site_group")
        col.levels.pop("site_group", None)
        col.categorical.discard("site_group")
    return col


@dataclass
class CoxResult:
    """Univariable and adjusted Cox models side by side."""

    cohort: str
    terms: list[str]
    strata: list[str]
    event: str
    table_: pl.DataFrame
    models_: dict = field(default_factory=dict)
    ph_: pl.DataFrame | None = None
    records: int = 0
    events: int = 0
    collapsed_rows: int = 0
    note: str = "Efron ties (exact, from collapsed counts); hazard ratios with 95% Wald CIs"

    def summary(self) -> pl.DataFrame:
        """The hazard-ratio table as papers print it: HR (95% CI) and p,
        univariable beside adjusted."""
        t = self.table_
        cols = [pl.col("term"), pl.col("level")]
        for kind in ("univariable", "adjusted"):
            if f"hr_{kind}" not in t.columns:
                continue
            hr = pl.struct(f"hr_{kind}", f"lower_{kind}", f"upper_{kind}", "reference")
            cols.append(hr.map_elements(
                lambda r, k=kind: "1 (reference)" if r["reference"] else
                f"{r[f'hr_{k}']:.2f} ({r[f'lower_{k}']:.2f}-{r[f'upper_{k}']:.2f})",
                return_dtype=pl.Utf8).alias(f"HR (95% CI) {kind}"))
            cols.append(pl.col(f"p_{kind}").map_elements(_p, return_dtype=pl.Utf8,
                                                         skip_nulls=True).alias(f"p {kind}"))
        return t.select(cols)

    def tables(self) -> dict[str, pl.DataFrame]:
        adjusted = self.models_.get("adjusted")
        fit = {
            "records": self.records, "events": self.events,
            "collapsed_rows": self.collapsed_rows,
        }
        if adjusted is not None:
            lr = adjusted.lr_test()
            fit |= {"lr_chisq": lr["chisq"], "lr_df": lr["df"], "lr_p": lr["p"],
                    "concordance": adjusted.concordance}
        return {"hazard_ratios": self.table_, "model": pl.DataFrame([fit]),
                "proportional_hazards": self.ph_}


def cox_analysis(
    cohort,
    terms,
    *,
    strata: list[str] | None = None,
    event: str = "event",
    reference: dict[str, str] | None = None,
    univariable: bool = True,
) -> CoxResult:
    """Cox proportional hazards: each term alone and all terms together.

    Parameters
    ----------
    terms
        Columns of ``cases``; text/ENUM columns are categorical (indicators
        against ``reference``, default the lowest level present), numbers
        are continuous and exact.
    strata
        Columns whose levels get their own baseline hazard.
    event
        ``event`` or ``event_cancer``.
    reference
        ``{term: level}`` reference levels.
    univariable
        Also fit each term alone (papers report both).
    """
    terms = list(terms)
    strata = list(strata or [])
    overlap = set(terms) & set(strata)
    if overlap:
        raise ModelError(f"{', '.join(overlap)} cannot be both a term and a stratum")
    col = _collapse(cohort, [*terms, *strata], event)
    counts = col.counts
    _check_cause_known(event, counts, col.unknown)
    for c in [*terms, *strata]:
        counts = counts.filter(pl.col(c).is_not_null())
    collapsed_rows = counts.height
    categorical = {
        t: [lv for lv in col.levels[t] if lv in set(counts[t].to_list())]
        for t in terms if t in col.categorical
    }
    adjusted = fit_cox(counts, terms, categorical=categorical, strata=strata, reference=reference)
    models = {"adjusted": adjusted}
    table = adjusted.table().rename(
        {"hr": "hr_adjusted", "lower": "lower_adjusted", "upper": "upper_adjusted",
         "p": "p_adjusted", "coef": "coef_adjusted", "se": "se_adjusted"}
    )
    if univariable and len(terms) > 1:
        uni_rows = []
        for t in terms:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the PH check is reported for the adjusted model
                m = fit_cox(counts, [t], categorical={k: v for k, v in categorical.items()
                                                      if k == t},
                            strata=strata, reference=reference)
            models[t] = m
            uni_rows.append(m.table())
        uni = pl.concat(uni_rows).rename(
            {"hr": "hr_univariable", "lower": "lower_univariable", "upper": "upper_univariable",
             "p": "p_univariable", "coef": "coef_univariable", "se": "se_univariable"}
        ).drop("reference")
        table = uni.join(table, on=["term", "level"], how="left", nulls_equal=True,
                         maintain_order="left")
    return CoxResult(
        cohort=cohort.definition, terms=terms, strata=strata, event=event, table_=table,
        models_=models, ph_=adjusted.ph_test, records=adjusted.n, events=adjusted.events,
        collapsed_rows=collapsed_rows,
    )


@dataclass
class CIFResult:
    cohort: str
    by: str | None
    estimates_: pl.DataFrame
    unknown_cause: int
    note: str = ("Aalen-Johansen from collapsed counts; delta-method SE, log-scale 95% CI; "
                 "deaths of unknown cause left out")

    def tables(self, *, suppress_below: int = DEFAULT_THRESHOLD) -> dict[str, pl.DataFrame]:
        return {"cumulative_incidence": suppress(self.estimates_, ["n_risk"],
                                                  threshold=suppress_below)}


def cif_analysis(cohort, *, by: str | None = "node_burden", times=DEFAULT_TIMES) -> CIFResult:
    """Cumulative incidence of cancer death and of other-cause death by group."""
    col = _collapse(cohort, [by] if by else [], "cause")
    levels = col.levels.get(by) if by else None
    est = cumulative_incidence(col.counts.rename({"event": "cause"}), by=by, times=tuple(times),
                               levels=levels)
    return CIFResult(cohort.definition, by, est, col.unknown)
