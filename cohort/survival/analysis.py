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

from cohort.cohort import convention_note
from cohort.disclosure import DEFAULT_THRESHOLD, mask_small_groups, protect_frame, suppress
from cohort.errors import CohortError, CohortWarning
from cohort.formatting import TERM_UNITS, count_text
from cohort.labels import decode_groups, decode_terms
from cohort.survival.cox import ModelError, fit_cox
from cohort.survival.display import Displayed, html_block, tests_line, text_block
from cohort.survival.km import CI_METHOD, KaplanMeier, fit_km, natural_levels
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
    convention: str = "completed"
    entry: str | None = None
    trend_: dict | None = None  # groups and scores of the trend test, groups left out
    note: str = UNSUPPRESSED_NOTE
    ci_method: str = CI_METHOD
    design: str = ""  # period window or conditioning, when used
    site: str | None = None  # the cohort's one site group (node-burden labels)
    # released tables by (suppress_below, codes): summary() and a command printing both
    # tables and summary solve the complementary suppression once
    _released: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def curves_(self) -> pl.DataFrame:
        """Every group's curve, one row per distinct time (exact counts):
        group, time, survival, lower, upper, n_risk, n_event, n_censor."""
        return self.km_.curves()

    def notes(self, *, suppress_below: int = DEFAULT_THRESHOLD) -> list[str]:
        """What a reader needs to read the numbers: conventions, CI, tests."""
        out = [*([self.design] if self.design else []), convention_note(self.convention),
               f"95% CIs: {self.ci_method}; NA where S is 1 or 0",
               "median: R's rule (first time S <= 0.5; midpoint of an exact 0.5 plateau)",
               "n_risk = at risk just before the time"
               + (f" (entry < t <= exit, delayed entry from {self.entry})" if self.entry else "")]
        if self.trend_:
            t = self.trend_
            used = ", ".join(f"{g}={s:g}" for g, s in zip(t["groups"], t["scores"], strict=True))
            out.append(f"trend test over {used}" + (
                f"; not scored: {', '.join(t['left_out'])}" if t["left_out"] else ""))
        if suppress_below:
            out.append(f"groups with fewer than {suppress_below} cases: estimates suppressed "
                       f"(<{suppress_below}), not 'not reached'")
        return out

    def tables(self, *, suppress_below: int = DEFAULT_THRESHOLD,
               codes: bool = False) -> dict[str, pl.DataFrame]:
        """The result tables for release: counts under the threshold as ``<11``;
        the estimates of groups smaller than the threshold are null with
        ``suppressed`` true. Groups are labelled (``N2 (4-9 nodes)``) unless
        ``codes``."""
        key = (suppress_below, codes)
        if key not in self._released:
            self._released[key] = self._tables(suppress_below, codes)
        return dict(self._released[key])

    def _tables(self, suppress_below: int, codes: bool) -> dict[str, pl.DataFrame]:
        sizes = self.medians_.select("group", "n")

        def masked(df, columns):
            out = mask_small_groups(df.join(sizes, on="group", how="left") if "n" not in
                                    df.columns else df, count="n", columns=columns,
                                    threshold=suppress_below)
            small = (pl.col("n") > 0) & (pl.col("n") < suppress_below)
            return out.with_columns(small.fill_null(False).alias("suppressed"))

        est = masked(self.estimates_, ["survival", "lower", "upper"]).drop("n")
        med = masked(self.medians_, ["median", "lower", "upper"])
        rmst = masked(self.rmst_, ["rmst", "se", "lower", "upper"]).drop("n")
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
        return out if codes else decode_groups(out, self.by, site=self.site)

    def summary(self, *, suppress_below: int = DEFAULT_THRESHOLD,
                codes: bool = False) -> pl.DataFrame:
        """One row per group, as papers print it: n, events, median (95% CI),
        survival at each time (95% CI). A suppressed group says so. Groups
        are labelled unless ``codes``."""
        t = self.tables(suppress_below=suppress_below, codes=codes)
        hidden = f"suppressed (<{suppress_below})"
        rows = []
        for r in t["medians"].iter_rows(named=True):
            row = {"group": r["group"], "n": r["n"], "events": r["events"],
                   "median (95% CI)": hidden if r["suppressed"] else
                   _median_text(r["median"], r["lower"], r["upper"])}
            for e in t["survival"].filter(pl.col("group") == r["group"]).iter_rows(named=True):
                row[f"S({e['time']:g}) (95% CI)"] = hidden if e["suppressed"] else \
                    _survival_text(e["survival"], e["lower"], e["upper"])
            rows.append(row)
        return pl.DataFrame(rows)

    def at_risk(self, times, *, suppress_below: int = DEFAULT_THRESHOLD) -> pl.DataFrame:
        """Numbers at risk (R's ``n.risk``: at risk just before each time) and
        cumulative events at ``times``, per group, as released (``<11``)."""
        est = self.km_.estimates(tuple(times)).select("group", "time", "n_risk", "n_events")
        return suppress(est, ["n_risk", "n_events"], threshold=suppress_below)

    def plot(self, **options):
        """Kaplan-Meier curves with numbers at risk: a matplotlib ``Figure``
        (options: :func:`cohort.plot.km`: ``ax``, ``ci``, ``censor_marks``,
        ``risk_table``, ``times``, ``palette``, ``size``...)."""
        from cohort.plot import km

        return km(self, **options)

    def _display(self):
        groups = len(self.km_.groups_)
        what = {"event": "death from any cause", "event_cancer": "death from this cancer"}
        title = (f"Kaplan-Meier by {self.by}" if self.by else "Kaplan-Meier") + \
            f": {count_text(self.records, DEFAULT_THRESHOLD)} records" + \
            (f" in {groups} groups" if self.by else "") + \
            f", event = {what.get(self.event, self.event)}"
        return title, [f"cohort: {self.cohort}", *tests_line(self.tests_)], \
            {"": self.summary()}

    def __repr__(self) -> str:
        return text_block(*self._display())

    def _repr_html_(self) -> str:
        title, facts, tables = self._display()
        figure = self.plot(size="double") if self.km_.groups_ else None
        return html_block(title, facts, tables, figure=figure)


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _num(x, digits: int) -> str:
    return "NA" if x is None else f"{x:.{digits}f}"


def _median_text(m, lo, hi) -> str:
    if m is None:
        return "not reached" + (f" ({_num(lo, 1)}, {_num(hi, 1)})" if lo is not None else "")
    return f"{m:.1f} ({_num(lo, 1)}, {_num(hi, 1)})"


def _survival_text(s, lo, hi) -> str:
    if s is None:
        return "NA (beyond follow-up)"
    return f"{s:.3f} ({_num(lo, 3)}, {_num(hi, 3)})"


#: groups that are not ordered categories: never scored in a trend test
UNORDERED = ("NX", "unknown", "not_applicable")


def is_unordered(level: str) -> bool:
    """Unknown or unordered categories (NX, '... NOS', unknown) are not scored.

    >>> [is_unordered(g) for g in ("N0", "N1 NOS", "NX", "N2a")]
    [False, True, True, False]
    """
    return level in UNORDERED or level.endswith(" NOS")


def score_groups(present: list[str], scores: dict[str, float] | None = None):
    """Groups and scores of the test for trend, and the groups left out.

    Default: the ordered known categories in their order (NX and '... NOS'
    never scored), scored 1, 2, ...; with ``scores``, the groups given a
    score, in the order of ``present``.

    >>> score_groups(["N0", "N1 NOS", "N1", "N2", "N3", "NX"])
    (['N0', 'N1', 'N2', 'N3'], [1.0, 2.0, 3.0, 4.0], ['N1 NOS', 'NX'])
    >>> score_groups(["N0", "N1", "NX"], {"N0": 0, "N1": 2.5})
    (['N0', 'N1'], [0.0, 2.5], ['NX'])
    """
    if scores is None:
        used = [g for g in present if not is_unordered(g)]
        values = [float(i) for i in range(1, len(used) + 1)]
    else:
        unknown = [g for g in scores if g not in present]
        if len(unknown) == len(scores):
            raise CohortError(
                f"trend scores are given for {', '.join(map(str, scores))}, none of which is a "
                f"group of this cohort ({', '.join(present)})"
            )
        used = [g for g in present if g in scores and scores[g] is not None]
        values = [float(scores[g]) for g in used]
    return used, values, [g for g in present if g not in used]


def _median_scores(cohort, by: str, column: str, present: list[str]) -> dict[str, float]:
    """The median of a numeric column in each group (e.g. positive nodes)."""
    from cohort.cohort import _quote

    df = cohort.registry.sql(
        f"select {_quote(by)}::varchar as g, median({_quote(column)})::double as m "
        f"from ({cohort.sql}) where exclusion_reason is null group by all",
        cohort.params,
    )
    found = {g: m for g, m in df.iter_rows() if m is not None}
    return {g: found[g] for g in present if g in found and not is_unordered(g)}


def km_analysis(
    cohort,
    *,
    by: str | None = "node_burden",
    event: str = "event",
    times=DEFAULT_TIMES,
    horizon: float | None = None,
    strata: list[str] | None = None,
    pairwise: str | None = None,
    convention: str = "completed",
    entry: str | None = None,
    trend_scores: dict[str, float] | str | None = None,
    given: float = 0,
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
    convention
        ``completed`` (default: ``surv_months + 0.5``) or ``exact``
        (``surv_months``); see :meth:`cohort.Cohort.collapse`.
    entry
        Delayed-entry column (left truncation): at risk when entry < t <= time.
    trend_scores
        Scores of the test for trend: ``{group: score}``, or the name of a
        numeric column whose median in each group is its score (e.g.
        ``nodes_positive``). Default: 1, 2, ... over the ordered known groups.
    given
        Conditional survival: survival to each time given survival to ``given``
        months (everyone still under observation enters at ``given``).

    A period cohort (:meth:`cohort.cohort.Cohort.period`) brings its entry.

    Notes
    -----
    CIs are log-log (R ``conf.type = "log-log"``), NA where S is 0 or 1.
    Numbers at risk are R's ``n.risk`` (at risk just before t); ``n_events``
    counts events up to and including t. The test for trend scores only the
    ordered known categories (``NX`` and ``... NOS`` groups are never scored)
    and is computed among the records of the scored groups.
    """
    times = tuple(t for t in times if t > given)
    horizon = horizon if horizon is not None else max(times, default=60)
    cols = [c for c in [by, *(strata or [])] if c]
    entry = entry or getattr(cohort, "entry", None)  # a period cohort's window
    col = _collapse(cohort, cols, event, convention=convention, entry=entry)
    counts = col.counts.filter(pl.col("n") > 0)
    entry_col = "entry" if col.entry else None  # the collapsed column
    if entry_col:  # records leaving at or before entry are never at risk
        counts = counts.filter(pl.col("entry") < pl.col("time"))
    _check_cause_known(event, counts, col.unknown)
    cohort.require_records(counts)
    design = "; ".join(
        [*([f"period analysis {cohort.window}: follow-up inside the window only"]
           if getattr(cohort, "window", None) else []),
         *([f"conditional on survival to {given:g} months"] if given else [])])
    if given:  # conditional: left truncation at ``given`` (cohort.survival.period)
        from cohort.survival.period import condition

        counts, entry_col = condition(counts, given, entry=entry_col)
        cohort.require_records(counts, what=f"records under observation at {given:g} months")
    levels = (col.levels.get(by) or natural_levels(counts[by])) if by else None
    km = fit_km(counts, by=by, event="event", levels=levels, entry=entry_col)
    tests = []
    pairs = trend = None
    if by and len(km.groups_) >= 2 and (counts["event"] * counts["n"]).sum() > 0:
        present = list(km.groups_)
        lr = logrank(counts, group=by, levels=present, entry=entry_col)
        km.logrank_ = lr
        tests.append({"test": "log-rank", "chisq": lr.chisq, "df": lr.df, "p": lr.p,
                      "groups": ", ".join(present)})
        scores = _median_scores(cohort, by, trend_scores, present) \
            if isinstance(trend_scores, str) else trend_scores
        used, values, left_out = score_groups(present, scores)
        trend = {"groups": used, "scores": values, "left_out": left_out}
        if len(used) >= 2:
            sub = counts.filter(pl.col(by).cast(pl.Utf8).is_in(used))
            tr = logrank(sub, group=by, levels=used, entry=entry_col).trend(values)
            tests.append({"test": "log-rank for trend", "chisq": tr["chisq"], "df": 1,
                          "p": tr["p"], "groups": ", ".join(
                              f"{g}={s:g}" for g, s in zip(used, values, strict=True))})
        if strata:
            st = logrank(counts, group=by, levels=present, strata=strata, entry=entry_col)
            tests.append({"test": f"log-rank stratified by {', '.join(strata)}",
                          "chisq": st.chisq, "df": st.df, "p": st.p,
                          "groups": ", ".join(present)})
        if pairwise:
            pairs = _pairwise(counts, by, present, strata, pairwise, entry_col)
    return KMResult(
        cohort=cohort.definition, by=by, event=event, times=times, horizon=horizon, km_=km,
        estimates_=km.estimates(times), medians_=km.medians(), rmst_=km.rmst(horizon),
        tests_=pl.DataFrame(tests, schema={"test": pl.Utf8, "chisq": pl.Float64,
                                           "df": pl.Int64, "p": pl.Float64,
                                           "groups": pl.Utf8}),
        pairwise_=pairs, records=int(counts["n"].sum()), collapsed_rows=counts.height,
        site=col.site,
        unknown_event=col.unknown, convention=col.convention, entry=col.entry, trend_=trend,
        note=f"{UNSUPPRESSED_NOTE}; {convention_note(col.convention)}"
        + (f"; {design}" if design else ""), design=design,
    )


def _pairwise(counts, by, present, strata, method, entry) -> pl.DataFrame:
    if method not in ADJUST:
        raise CohortError(f"pairwise must be one of {', '.join(ADJUST)}, got {method!r}")
    rows = []
    for i, a in enumerate(present):
        for b in present[i + 1:]:
            sub = counts.filter(pl.col(by).cast(pl.Utf8).is_in([a, b]))
            t2 = logrank(sub, group=by, levels=[a, b], strata=strata, entry=entry)
            rows.append({"group_1": a, "group_2": b, "chisq": t2.chisq, "p": t2.p})
    adj = ADJUST[method]([r["p"] for r in rows])
    for r, q in zip(rows, adj, strict=True):
        r[f"p_{method}"] = q
    return pl.DataFrame(rows)


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


def _collapse(cohort, columns: list[str], event: str, *, convention: str = "completed",
              entry: str | None = None):
    """Collapse the cohort; with node_burden among the columns, also check
    (in the same query) that the cohort holds a single site group."""
    check = "node_burden" in columns and "site_group" not in columns
    col = cohort.collapse([*columns, *(["site_group"] if check else [])], event=event,
                          convention=convention, entry=entry)
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
        col.site = sites[0] if len(sites) == 1 else None
        col.counts = col.without("site_group")
        col.levels.pop("site_group", None)
        col.categorical.discard("site_group")
    return col


@dataclass(repr=False)  # repr from Displayed
class CoxResult(Displayed):
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
    convention: str = "completed"
    dropped_: dict = field(default_factory=dict)  # term or stratum -> why it was left out
    note: str = "Efron ties (exact, from collapsed counts); hazard ratios with 95% Wald CIs"
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def notes(self) -> list[str]:
        """The method, the follow-up convention and the terms left out."""
        out = [self.note, convention_note(self.convention)]
        for term, why in self.dropped_.items():
            out.append(f"{term} left out of the model: {why}")
        return out

    def summary(self, *, codes: bool = False) -> pl.DataFrame:
        """The hazard-ratio table as papers print it: HR (95% CI) and p,
        univariable beside adjusted; terms labelled (``sex: female vs male``)
        unless ``codes``."""
        t = self.table_
        unit = pl.col("term").replace_strict(TERM_UNITS, default="per unit", return_dtype=pl.Utf8)
        cols = [t["term"], t["level"].cast(pl.Utf8)]
        # built in Python, not with map_elements (whose bytecode check of the lambda costs
        # more than the whole column on the small tables a Cox model has)
        reference = t["reference"].to_list()
        for kind in ("univariable", "adjusted"):
            if f"hr_{kind}" not in t.columns:
                continue
            hr, lo, hi = (t[f"{c}_{kind}"].to_list() for c in ("hr", "lower", "upper"))
            cols.append(pl.Series(f"HR (95% CI) {kind}", [
                "1 (reference)" if ref else f"{h:.2f} ({a:.2f}-{b:.2f})"
                for ref, h, a, b in zip(reference, hr, lo, hi, strict=True)], dtype=pl.Utf8))
            cols.append(pl.Series(f"p {kind}", ["" if p is None else _p(p)
                                                for p in t[f"p_{kind}"].to_list()],
                                  dtype=pl.Utf8))
        out = pl.DataFrame(cols)
        if not codes:
            out = decode_terms(out, _references(t), site=self.site)
        # a continuous term's level is its unit (per year)
        return out.with_columns(pl.col("level").fill_null(unit))

    def tables(self, *, codes: bool = False) -> dict[str, pl.DataFrame]:
        adjusted = self.models_.get("adjusted")
        fit = {
            "records": self.records, "events": self.events,
            "collapsed_rows": self.collapsed_rows,
        }
        if adjusted is not None:
            lr = adjusted.lr_test()
            fit |= {"lr_chisq": lr["chisq"], "lr_df": lr["df"], "lr_p": lr["p"],
                    "concordance": adjusted.concordance}
        hr = self.table_ if codes else decode_terms(self.table_, site=self.site)
        return {"hazard_ratios": hr, "model": pl.DataFrame([fit]),
                "proportional_hazards": self.ph_}

    def plot(self, **options):
        """The forest plot, univariable and adjusted hazard ratios side by side:
        a matplotlib ``Figure`` (options: :func:`cohort.plot.forest`: ``ax``,
        ``model``, ``table``, ``labels``, ``palette``, ``size``...)."""
        from cohort.plot import forest

        return forest(self, **options)

    def _display(self):
        from cohort.formatting import p_phrase

        title = (f"Cox proportional hazards: {' + '.join(self.terms)}"
                 + (f", strata {', '.join(self.strata)}" if self.strata else "")
                 + f"; {count_text(self.records, DEFAULT_THRESHOLD)} records, "
                 f"{count_text(self.events, DEFAULT_THRESHOLD)} events")
        facts = [f"cohort: {self.cohort}"]
        adjusted = self.models_.get("adjusted")
        if adjusted is not None:
            lr = adjusted.lr_test()
            facts.append(f"likelihood-ratio chi-square {lr['chisq']:.2f} on {lr['df']} df, "
                         f"{p_phrase(lr['p'])}; concordance {adjusted.concordance:.3f}")
        facts += self.notes()
        return title, facts, {"": self.summary()}

    _foot = ("hazard ratios with 95% Wald CIs; exact "
             "numbers in table_; .plot() draws the forest plot")


def _references(table: pl.DataFrame) -> dict[str, str]:
    return {r["term"]: r["level"] for r in table.filter(pl.col("reference")).iter_rows(named=True)}


def cox_analysis(
    cohort,
    terms,
    *,
    strata: list[str] | None = None,
    event: str = "event",
    reference: dict[str, str] | None = None,
    univariable: bool = True,
    ties: str = "efron",
    convention: str = "completed",
    entry: str | None = None,
) -> CoxResult:
    """Cox proportional hazards: each term alone and all terms together.

    Parameters
    ----------
    terms
        Columns of ``cases``; text/ENUM columns are categorical (indicators
        against ``reference``, default the first level present: the ENUM's
        first, else the lowest in natural order, as R's factor), numbers are
        continuous and exact. A term that takes one value in the cohort is
        left out with a note (``dropped_``) and the model is fitted without it.
    strata
        Columns whose levels get their own baseline hazard (a stratum with one
        level is left out the same way).
    event
        ``event`` or ``event_cancer``.
    reference
        ``{term: level}`` reference levels.
    univariable
        Also fit each term alone (papers report both).
    ties
        ``"efron"`` (default) or ``"breslow"`` (SAS PHREG's default), both exact on
        the collapsed counts.
    convention
        Follow-up convention of the collapse (the hazard ratios do not depend
        on it without delayed entry).
    entry
        Delayed-entry column (left truncation): at risk when entry < t <= time.
    """
    terms = list(terms)
    strata = list(strata or [])
    overlap = set(terms) & set(strata)
    if overlap:
        raise ModelError(f"{', '.join(overlap)} cannot be both a term and a stratum")
    entry = entry or getattr(cohort, "entry", None)  # a period cohort's window
    col = _collapse(cohort, [*terms, *strata], event, convention=convention, entry=entry)
    counts = col.counts.filter(pl.col("n") > 0)
    entry_col = "entry" if col.entry else None  # the collapsed column
    if entry_col:  # records leaving at or before entry are never at risk
        counts = counts.filter(pl.col("entry") < pl.col("time"))
    _check_cause_known(event, counts, col.unknown)
    cohort.require_records(counts)
    for c in [*terms, *strata]:
        counts = counts.filter(pl.col(c).is_not_null())
    cohort.require_records(counts, what=f"records with known {', '.join([*terms, *strata])}")
    collapsed_rows = counts.height
    categorical = {}
    for t in terms:
        if t in col.categorical:
            present = set(counts[t].unique().to_list())
            categorical[t] = [lv for lv in col.levels[t] if lv in present]
    adjusted = fit_cox(counts, terms, categorical=categorical, strata=strata, reference=reference,
                       ties=ties, entry=entry_col)
    models = {"adjusted": adjusted}
    table = adjusted.table().rename(
        {"hr": "hr_adjusted", "lower": "lower_adjusted", "upper": "upper_adjusted",
         "p": "p_adjusted", "coef": "coef_adjusted", "se": "se_adjusted"}
    )
    kept = [t for t in terms if t not in adjusted.dropped]
    kept_strata = [s for s in strata if s not in adjusted.dropped]
    if univariable and len(kept) > 1:
        uni_rows = []
        for t in kept:
            # the counts summed over the other terms: the same likelihood, fewer rows
            keys = [c for c in counts.columns if c == t or c not in (*terms, "n")]
            alone = counts.group_by(keys, maintain_order=True).agg(pl.col("n").sum())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the PH check is reported for the adjusted model
                m = fit_cox(alone, [t], categorical={k: v for k, v in categorical.items()
                                                     if k == t},
                            strata=kept_strata, reference=reference, ties=ties,
                            entry=entry_col, diagnostics=False)
            models[t] = m
            uni_rows.append(m.table())
        uni = pl.concat(uni_rows).rename(
            {"hr": "hr_univariable", "lower": "lower_univariable", "upper": "upper_univariable",
             "p": "p_univariable", "coef": "coef_univariable", "se": "se_univariable"}
        ).drop("reference")
        table = uni.join(table, on=["term", "level"], how="left", nulls_equal=True,
                         maintain_order="left")
    return CoxResult(
        cohort=cohort.definition, terms=kept, strata=kept_strata, event=event, table_=table,
        models_=models, ph_=adjusted.ph_test, records=adjusted.n, events=adjusted.events,
        collapsed_rows=collapsed_rows, convention=col.convention, dropped_=dict(adjusted.dropped),
        site=col.site,
        note=f"{ties.capitalize()} ties (exact, from collapsed counts); hazard ratios with 95% "
        "Wald CIs" + (f"; period analysis {cohort.window}: follow-up inside the window only"
                      if getattr(cohort, "window", None) else
                      f"; delayed entry from {entry}" if entry else ""),
    )


@dataclass(repr=False)  # repr from Displayed
class CIFResult(Displayed):
    """Cumulative incidence of cancer and other-cause death by group
    (Aalen-Johansen). Attributes are exact (unsuppressed)."""

    cohort: str
    by: str | None
    estimates_: pl.DataFrame
    unknown_cause: int
    convention: str = "completed"
    note: str = ("Aalen-Johansen from collapsed counts; delta-method SE, log-scale 95% CI; "
                 "deaths of unknown cause left out")
    tests_: pl.DataFrame | None = None  # Gray's test (and trend) per cause
    times: tuple = ()
    counts_: pl.DataFrame | None = None  # time, cause, group, n: what the curves come from
    levels: list[str] | None = None
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def notes(self) -> list[str]:
        return [self.note]

    def tables(self, *, suppress_below: int = DEFAULT_THRESHOLD,
               codes: bool = False) -> dict[str, pl.DataFrame]:
        out = {"cumulative_incidence": suppress(self.estimates_, ["n_risk"],
                                                threshold=suppress_below)}
        if self.tests_ is not None:
            out["tests"] = self.tests_
        return out if codes else decode_groups(out, self.by, site=self.site)

    def _grouped(self) -> pl.DataFrame:
        c = self.counts_
        if self.by is None:
            return c.with_columns(pl.lit("all").alias("group"))
        return c.with_columns(pl.col(self.by).cast(pl.Utf8).alias("group")).filter(
            pl.col("group").is_not_null())

    @property
    def curves_(self) -> pl.DataFrame:
        """Every group's curve for each cause at every distinct time: group,
        cause, time, cumulative_incidence, se, lower, upper, n_risk, n_censor
        (exact counts)."""
        c = self._grouped()
        times = sorted(set(c["time"].to_list()))
        from cohort.survival.compete import cumulative_incidence

        est = cumulative_incidence(c.drop(self.by) if self.by else c, by="group",
                                   times=times, levels=self.levels or None)
        censored = (c.filter(~pl.col("cause").is_in(["cancer_death", "other_death"]))
                    .group_by("group", "time").agg(pl.col("n").sum().alias("n_censor")))
        return est.join(censored, on=["group", "time"], how="left").with_columns(
            pl.col("n_censor").fill_null(0)).select(
            "group", "cause", "time", "cumulative_incidence", "se", "lower", "upper",
            "n_risk", "n_censor")

    def group_sizes(self) -> dict[str, int]:
        """Records per group."""
        df = self._grouped().group_by("group").agg(pl.col("n").sum())
        return dict(df.iter_rows())

    def at_risk(self, times, *, suppress_below: int = DEFAULT_THRESHOLD) -> pl.DataFrame:
        """Records at risk just before each time (alive and followed), per group."""
        c = self._grouped()
        groups = self.levels or list(dict.fromkeys(c["group"].to_list()))
        rows = []
        for g in groups:
            part = c.filter(pl.col("group") == g)
            for t in times:
                rows.append({"group": g, "time": float(t),
                             "n_risk": int(part.filter(pl.col("time") >= t)["n"].sum())})
        out = pl.DataFrame(rows, schema={"group": pl.Utf8, "time": pl.Float64,
                                         "n_risk": pl.Int64})
        return suppress(out, ["n_risk"], threshold=suppress_below)

    def plot(self, **options):
        """Cumulative incidence curves (cancer death solid, other death dashed)
        with numbers at risk: a matplotlib ``Figure`` (options:
        :func:`cohort.plot.cif`)."""
        from cohort.plot import cif

        return cif(self, **options)

    def _display(self):
        title = (f"Cumulative incidence by {self.by}" if self.by else "Cumulative incidence") \
            + " of cancer death and other-cause death (Aalen-Johansen)"
        facts = [f"cohort: {self.cohort}",
                 f"{count_text(self.unknown_cause, DEFAULT_THRESHOLD)} deaths of unknown "
                 "cause left out"]
        tables = self.tables()
        return title, [*facts, *tests_line(tables.get("tests"))], {
            "": tables["cumulative_incidence"]}


def cif_analysis(cohort, *, by: str | None = "node_burden", times=DEFAULT_TIMES,
                 convention: str = "completed") -> CIFResult:
    """Cumulative incidence of cancer death and of other-cause death by group
    (follow-up convention as :meth:`cohort.Cohort.collapse`)."""
    col = _collapse(cohort, [by] if by else [], "cause", convention=convention)
    counts = col.counts.filter(pl.col("n") > 0)
    cohort.require_records(counts)
    levels = (col.levels.get(by) or natural_levels(counts[by])) if by else None
    from cohort.survival.compete import cumulative_incidence

    est = cumulative_incidence(counts.rename({"event": "cause"}), by=by, times=tuple(times),
                               levels=levels)
    return CIFResult(cohort.definition, by, est, col.unknown, col.convention,
                     note=f"{CIFResult.note}; {convention_note(col.convention)}",
                     tests_=_gray_tests(counts.rename({"event": "cause"}), by, levels),
                     times=tuple(times), counts_=counts.rename({"event": "cause"}),
                     levels=levels, site=col.site)


def _gray_tests(counts: pl.DataFrame, by: str | None, levels) -> pl.DataFrame | None:
    """Gray's test (and its trend version) of each cause across ``by``, when
    there are two groups and both causes occur."""
    from cohort.survival.gray import gray_tests

    if by is None:
        return None
    occurs = set(counts.filter(pl.col("n") > 0)["cause"].cast(pl.Utf8).to_list())
    groups = counts.filter(pl.col("n") > 0)[by].drop_nulls().n_unique()
    if groups < 2 or not {"cancer_death", "other_death"} <= occurs:
        return None
    return gray_tests(counts.filter(pl.col(by).is_not_null()), by=by, levels=levels)
