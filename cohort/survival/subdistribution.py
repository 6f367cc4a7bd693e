"""Fine-Gray analyses: a model on a collapsed table, a cohort's univariable and
adjusted subdistribution hazard ratios, and cause-specific beside
subdistribution hazard ratios for both causes.

The fit itself is :func:`cohort.survival.finegray.fit_finegray` (exact
``crr`` on collapsed counts). Here terms become columns (indicators against
a reference level, as the Cox code does), levels without events of the
cause are refused with a message, and results take the house shape: exact
tables ending in ``_``, ``tables(suppress_below=...)`` for release,
``summary()`` as papers print it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from cohort.cohort import convention_note
from cohort.errors import CompetingRisksError
from cohort.survival.display import Displayed, labelled_terms, site_of
from cohort.survival.finegray import (
    Z95,
    FineGrayFit,
    NoCompetingEventsWarning,
    cause_status,
    fit_finegray,
)


@dataclass
class FineGrayModel:
    """One Fine-Gray model on a collapsed table: the fit, how each term entered,
    and the records and events of each level."""

    terms: list[str]
    strata: list[str]
    event: str
    fit: FineGrayFit
    columns: dict[str, list[tuple[str, str | None]]]
    references: dict[str, str]
    level_counts: dict[tuple[str, str], tuple[int, int]]

    @property
    def n(self) -> int:
        return self.fit.n

    @property
    def events(self) -> int:
        return self.fit.nevent

    def table(self) -> pl.DataFrame:
        """Subdistribution hazard ratios (95% Wald CI, robust SE), one row per level."""
        names = [c for term in self.terms for c, _ in self.columns[term]]
        pos = {c: i for i, c in enumerate(names)}
        f = self.fit
        se, p = f.se, f.p
        rows = []
        for term in self.terms:
            if term in self.references:
                ref = self.references[term]
                n, ev = self.level_counts[(term, ref)]
                rows.append({"term": term, "level": ref, "n": n, "events": ev, "hr": 1.0,
                             "lower": None, "upper": None, "p": None, "coef": 0.0, "se": None,
                             "reference": True})
            for col, level in self.columns[term]:
                i = pos[col]
                n, ev = self.level_counts.get((term, level), (None, None))
                b = float(f.beta[i])
                rows.append({"term": term, "level": level, "n": n, "events": ev,
                             "hr": float(np.exp(b)), "lower": float(np.exp(b - Z95 * se[i])),
                             "upper": float(np.exp(b + Z95 * se[i])), "p": float(p[i]),
                             "coef": b, "se": float(se[i]), "reference": False})
        return pl.DataFrame(rows, schema_overrides={
            "level": pl.Utf8, "n": pl.Int64, "events": pl.Int64, "lower": pl.Float64,
            "upper": pl.Float64, "p": pl.Float64, "se": pl.Float64})

    def profile_row(self, profile: dict) -> np.ndarray:
        """The covariate row of a profile such as ``{"node_burden": "N3", "age_at_dx": 60}``."""
        missing = [t for t in self.terms if t not in profile]
        extra = [k for k in profile if k not in self.terms]
        if missing or extra:
            raise CompetingRisksError(
                f"a profile must give a value for every model term ({', '.join(self.terms)})"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; not in the model: {', '.join(extra)}" if extra else ""))
        row = []
        for term in self.terms:
            value = profile[term]
            if term in self.references:
                levels = [self.references[term]] + [lv for _, lv in self.columns[term]]
                if str(value) not in levels:
                    raise CompetingRisksError(
                        f"profile value {value!r} of {term} is not a level of the model; "
                        f"levels: {', '.join(levels)}")
                row += [float(str(value) == lv) for _, lv in self.columns[term]]
            else:
                try:
                    row.append(float(value))
                except (TypeError, ValueError):
                    raise CompetingRisksError(
                        f"profile value {value!r} of {term} must be a number") from None
        return np.array(row)

    def predict(self, profiles: list[dict], *, times=None):
        """Predicted cumulative incidence of the event for covariate profiles
        (``predict.crr``): one row per profile and event time, or per ``times``
        (the step function's value at each)."""
        x = np.vstack([self.profile_row(p) for p in profiles])
        cif = self.fit.cumulative_incidence(x)
        grid = self.fit.times
        if times is not None:
            times = np.asarray(times, dtype=float)
            idx = np.searchsorted(grid, times, side="right") - 1
            cif = np.where(idx >= 0, cif[:, np.maximum(idx, 0)], 0.0)
            grid = times
        labels = [", ".join(f"{k}={v}" for k, v in p.items()) for p in profiles]
        return pl.DataFrame({
            "profile": np.repeat(labels, grid.size),
            "time": np.tile(grid.astype(float), len(profiles)),
            "cumulative_incidence": cif.ravel(),
        })


def finegray(
    counts,
    terms: list[str],
    *,
    event: str = "cancer_death",
    competing: tuple[str, ...] = ("other_death",),
    censored: tuple[str, ...] = ("alive",),
    categorical: dict[str, list[str]] | None = None,
    reference: dict[str, str] | None = None,
    strata: list[str] | None = None,
    cause: str = "cause",
    time: str = "time",
    weight: str = "n",
    gtol: float = 1e-6,
    maxiter: int = 10,
) -> FineGrayModel:
    """Fine-Gray model of a collapsed table (time, cause, terms..., n).

    Parameters
    ----------
    counts
        A polars frame, one row per (time, cause, covariate pattern[, strata])
        with a count; ``time`` is used as given.
    terms
        Model terms. Text, categorical and boolean columns are categorical
        (indicators against ``reference``, default the first level: the
        order of ``categorical[term]``, else sorted); numbers are continuous.
    event, competing, censored
        Codes of the ``cause`` column; any other code is refused.
    strata
        Columns whose combinations get their own censoring distribution
        (crr's ``cengroup``); the subdistribution baseline stays common.

    Notes
    -----
    Warns (:class:`NoCompetingEventsWarning`) when there is no competing
    event: the model is then the Breslow Cox model. Refuses a categorical
    level without events of the cause, whose hazard ratio would be 0 or
    infinite (crr would report a coefficient that drifted to a large value).
    """
    strata = list(strata or [])
    if counts.height == 0:
        raise CompetingRisksError("no records with known values of every term")
    w = counts[weight].to_numpy().astype(float)
    status = cause_status(counts[cause], event=event, competing=competing, censored=censored,
                          weight=w, column=cause)
    nevent = int(w[status == 1].sum())
    if nevent == 0:
        raise CompetingRisksError(
            f"no {event} events among the {int(w.sum()):,} records: a subdistribution hazard "
            "model cannot be fitted; check the cause codes or widen the cohort")
    if w[status == 2].sum() == 0:
        warnings.warn(
            f"no competing events ({', '.join(competing) or 'none given'}) among the "
            f"{int(w.sum()):,} records: the Fine-Gray model is the Cox model for {event} "
            "(Breslow ties, robust variance)", NoCompetingEventsWarning, stacklevel=2)
    x, columns, references, level_counts = _design(
        counts, terms, categorical, reference or {}, status, w, event)
    group = None
    if strata:
        for s in strata:
            if counts[s].null_count():
                raise CompetingRisksError(f"stratum column {s} has missing values")
        group = counts.select(pl.struct(strata).rank("dense")).to_series().to_numpy()
    fit = fit_finegray(x, counts[time].to_numpy(), status, w, group, gtol=gtol, maxiter=maxiter)
    return FineGrayModel(list(terms), strata, event, fit, columns, references, level_counts)


def _design(counts, terms, categorical, reference, status, w, event):
    """Indicator and continuous columns, per-level counts, and the checks that
    give a clear message instead of a drifting coefficient."""
    cols, columns, references, level_counts = [], {}, {}, {}
    for term in terms:
        if term not in counts.columns:
            raise CompetingRisksError(f"model term {term!r} is not a column of the table")
        s = counts[term]
        if s.null_count():
            nulls = int(w[s.is_null().to_numpy()].sum())
            raise CompetingRisksError(
                f"{term} is missing for {nulls:,} records; leave them out (or recode) first")
        is_cat = (categorical is not None and term in categorical) or s.dtype in (
            pl.Utf8, pl.Categorical, pl.Boolean) or isinstance(s.dtype, pl.Enum)
        if not is_cat:
            v = s.cast(pl.Float64).to_numpy()
            if np.unique(v).size < 2:
                raise CompetingRisksError(
                    f"{term} takes a single value ({v[0]:g}) in this cohort; drop the term "
                    "or widen the cohort")
            cols.append(v)
            columns[term] = [(term, None)]
            continue
        values = s.cast(pl.Utf8)
        present = set(values.unique().to_list())
        levels = [lv for lv in (categorical or {}).get(term, sorted(present)) if lv in present]
        if len(levels) < 2:
            raise CompetingRisksError(
                f"{term} has {'one level (' + levels[0] + ')' if levels else 'no levels'} in "
                "this cohort; a hazard ratio needs two groups")
        ref = reference.get(term, levels[0])
        if ref not in levels:
            raise CompetingRisksError(
                f"reference level {ref!r} of {term} is not in the cohort; levels present: "
                f"{', '.join(levels)}")
        references[term] = ref
        columns[term] = []
        for level in levels:
            sel = (values == level).to_numpy()
            n, ev = int(w[sel].sum()), int(w[sel & (status == 1)].sum())
            level_counts[(term, level)] = (n, ev)
            if ev == 0:
                raise CompetingRisksError(
                    f"{term} = {level} has no {event} events among its {n:,} records, so its "
                    "subdistribution hazard ratio cannot be estimated (it would be 0 or "
                    "infinite); merge it with a neighbouring level or leave it out of the "
                    "cohort")
            if level != ref:
                cols.append(sel.astype(float))
                columns[term].append((f"{term}[{level}]", level))
    return np.column_stack(cols), columns, references, level_counts


# ---------------------------------------------------------------------------
# analyses of a cohort

#: ``cause`` option -> (code of the event, code of the competing event)
CAUSES = {"cancer": ("cancer_death", "other_death"), "other": ("other_death", "cancer_death")}
FG_NOTE = ("Fine-Gray subdistribution hazard ratios (crr: censoring weights from the "
           "Kaplan-Meier of the censoring distribution, Breslow ties, robust sandwich SE), "
           "95% Wald CIs; deaths of unknown cause left out")


def _fmt_hr(hr, lo, hi, reference=False) -> str | None:
    if reference:
        return "1 (reference)"
    if hr is None:
        return None
    return f"{hr:.2f} ({lo:.2f}-{hi:.2f})"


def _fmt_p(p) -> str | None:
    if p is None:
        return None
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _count(n, threshold: int):
    if n is None:
        return None
    return f"<{threshold}" if 0 < n < threshold else f"{n:,}"


@dataclass(repr=False)  # repr from Displayed
class FineGrayResult(Displayed):
    """Univariable and adjusted Fine-Gray models side by side. Attributes are
    exact (unsuppressed); use :meth:`tables` for release."""

    cohort: str
    terms: list[str]
    strata: list[str]
    cause: str
    table_: pl.DataFrame
    models_: dict
    records: int
    events: int
    competing: int
    censored: int
    unknown_cause: int
    collapsed_rows: int
    convention: str = "completed"
    note: str = FG_NOTE
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def summary(self, *, suppress_below: int = 11, codes: bool = False) -> pl.DataFrame:
        """As papers print it: n, events, SHR (95% CI) and p, univariable beside
        adjusted; levels labelled (sex ``female``) unless ``codes``."""
        rows = []
        for r in self.table_.iter_rows(named=True):
            row = {"term": r["term"], "level": r["level"],
                   "n": _count(r["n"], suppress_below), "events": _count(r["events"],
                                                                         suppress_below)}
            for kind in ("univariable", "adjusted"):
                if f"hr_{kind}" not in r:
                    continue
                row[f"SHR (95% CI) {kind}"] = _fmt_hr(r[f"hr_{kind}"], r[f"lower_{kind}"],
                                                      r[f"upper_{kind}"], r["reference"])
                row[f"p {kind}"] = _fmt_p(r[f"p_{kind}"])
            rows.append(row)
        from cohort.survival.display import labelled_levels

        out = pl.DataFrame(rows)
        return out if codes else labelled_levels(out, site=self.site)

    def tables(self, *, suppress_below: int = 11, codes: bool = False
               ) -> dict[str, pl.DataFrame]:
        """The hazard-ratio table (counts below the threshold as ``<11``; terms
        labelled, ``sex: female vs male``, unless ``codes``) and the model's
        counts and fit."""
        from cohort.disclosure import suppress

        m = self.models_["adjusted"].fit
        model = pl.DataFrame([{
            "cause": CAUSES[self.cause][0], "records": self.records, "events": self.events,
            "competing_events": self.competing, "censored": self.censored,
            "unknown_cause": self.unknown_cause, "collapsed_rows": self.collapsed_rows,
            "censoring_groups": ", ".join(self.strata) or "none",
            "pseudo_loglik": m.loglik, "pseudo_loglik_null": m.loglik_null,
            "converged": m.converged, "iterations": m.iterations,
        }])
        counts = ["records", "events", "competing_events", "censored", "unknown_cause"]
        return {
            "subdistribution_hazard_ratios": labelled_terms(
                suppress(self.table_, ["n", "events"], threshold=suppress_below),
                self.site, codes),
            "model": suppress(model, counts, threshold=suppress_below),
        }

    def predict(self, profiles: list[dict], *, times=None) -> pl.DataFrame:
        """Predicted cumulative incidence from the adjusted model for covariate
        profiles, e.g. ``[{"node_burden": "N0", "age_at_dx": 60}, ...]``."""
        return self.models_["adjusted"].predict(profiles, times=times)

    def plot(self, **options):
        """Forest plot of the subdistribution hazard ratios, univariable and
        adjusted: a matplotlib ``Figure`` (options: :func:`cohort.plot.forest`)."""
        from cohort.plot import forest

        options.setdefault("xlabel", "Subdistribution hazard ratio (95% CI), log scale")
        return forest(self, **options)

    def plot_predicted(self, profiles: list[dict], **options):
        """Predicted cumulative incidence for covariate profiles (the adjusted
        model's step functions): a matplotlib ``Figure`` (options:
        :func:`cohort.plot.predicted`)."""
        from cohort.plot import predicted

        event = "cancer_death" if self.cause == "cancer" else "other_death"
        table = self.predict(profiles).with_columns(pl.lit(event).alias("cause"))
        return predicted(table, **options)

    def _display(self):
        words = {"cancer": "death from this cancer", "other": "death from other causes"}
        title = (f"Fine-Gray subdistribution hazards, {words.get(self.cause, self.cause)}: "
                 f"{' + '.join(self.terms)}; {_count(self.records, 11)} records, "
                 f"{_count(self.events, 11)} events, {_count(self.competing, 11)} competing")
        return title, [f"cohort: {self.cohort}", self.note], {"": self.summary()}

    _foot = ("exact numbers in table_; .plot() draws the "
             "forest plot, .plot_predicted(profiles) the predicted incidence")


def _collapse(cohort, columns: list[str], convention: str):
    """The cohort collapsed by cause; with node_burden among the columns, also
    check (in the same query) that it holds one site group, as the other
    analyses do (without importing them: they load lifelines)."""
    check = "node_burden" in columns and "site_group" not in columns
    col = cohort.collapse([*columns, *(["site_group"] if check else [])], event="cause",
                          convention=convention)
    if check:
        sites = col.levels.get("site_group", [])
        if len(sites) > 1:
            from cohort.survival.analysis import PooledSitesWarning

            warnings.warn(
                f"the cohort spans {len(sites)} site groups ({', '.join(sites)}); "
                "node_burden categories are site-specific, so groups pool different things. "
                "Restrict the cohort to one site, e.g. site_group = 'breast'",
                PooledSitesWarning, stacklevel=5)
        col.counts = col.without("site_group")
        col.levels.pop("site_group", None)
        col.categorical.discard("site_group")
    return col


def _prepare(cohort, terms, strata, convention):
    """One collapse (time, cause, terms, strata); records with a missing term
    left out and counted."""
    terms, strata = list(terms), list(strata or [])
    if not terms:
        raise CompetingRisksError("give at least one model term, e.g. node_burden,age_at_dx")
    overlap = set(terms) & set(strata)
    if overlap:
        raise CompetingRisksError(f"{', '.join(sorted(overlap))} cannot be both a term and a "
                                  "censoring stratum")
    col = _collapse(cohort, [*terms, *strata], convention)
    counts = col.counts.rename({"event": "cause"})
    for c in [*terms, *strata]:
        counts = counts.filter(pl.col(c).is_not_null())
    present = {t: set(counts[t].cast(pl.Utf8).to_list()) for t in terms if t in col.categorical}
    categorical = {t: [lv for lv in col.levels[t] if lv in present[t]] for t in present}
    return terms, strata, col, counts, categorical


def finegray_analysis(
    cohort,
    terms,
    *,
    cause: str = "cancer",
    strata: list[str] | None = None,
    reference: dict[str, str] | None = None,
    univariable: bool = True,
    convention: str = "completed",
) -> FineGrayResult:
    """Fine-Gray models of a cohort: each term alone and all terms together.

    Parameters
    ----------
    terms
        Columns of ``cases``; text/ENUM columns are categorical (against
        ``reference``, default the first level present: N0 for node_burden),
        numbers continuous.
    cause
        ``cancer`` (death from this cancer; other deaths compete) or
        ``other``.
    strata
        Columns whose combinations get their own censoring distribution
        (crr's ``cengroup``), e.g. ``dx_year_group`` when follow-up differs by
        period of diagnosis.
    reference
        ``{term: level}`` reference levels.
    univariable
        Also fit each term alone (papers report both).
    convention
        Follow-up convention of the collapse (``completed``: surv_months + 0.5;
        ``exact``: surv_months, as R on raw months); the fit takes the times
        as given.
    """
    if cause not in CAUSES:
        raise CompetingRisksError(f"cause must be 'cancer' or 'other', got {cause!r}")
    event, other = CAUSES[cause]
    terms, strata, col, counts, categorical = _prepare(cohort, terms, strata, convention)
    kw = dict(event=event, competing=(other,), censored=("alive",), strata=strata,
              reference=reference)
    adjusted = finegray(counts, terms, categorical=categorical, **kw)
    models = {"adjusted": adjusted}
    table = adjusted.table().rename(
        {k: f"{k}_adjusted" for k in ("hr", "lower", "upper", "p", "coef", "se")})
    if univariable and len(terms) > 1:
        uni = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoCompetingEventsWarning)  # said once, above
            for t in terms:
                m = finegray(counts, [t], categorical={k: v for k, v in categorical.items()
                                                       if k == t}, **kw)
                models[t] = m
                uni.append(m.table())
        uni = pl.concat(uni).rename(
            {k: f"{k}_univariable" for k in ("hr", "lower", "upper", "p", "coef", "se")}
        ).drop("reference", "n", "events")
        table = table.join(uni, on=["term", "level"], how="left", nulls_equal=True,
                           maintain_order="left")
    first = ["term", "level", "n", "events", "reference"]
    table = table.select(first + [c for c in table.columns if c.endswith("_univariable")]
                         + [c for c in table.columns if c.endswith("_adjusted")])
    f = adjusted.fit
    return FineGrayResult(
        cohort=cohort.definition, terms=terms, strata=strata, cause=cause, table_=table,
        models_=models, records=f.n, events=f.nevent, competing=f.ncompeting,
        censored=f.ncensored, unknown_cause=col.unknown, collapsed_rows=counts.height,
        convention=col.convention, note=f"{FG_NOTE}; {convention_note(col.convention)}",
        site=site_of(cohort, terms))


CS_NOTE = ("CSHR: cause-specific hazard ratio (Cox, Efron ties; deaths of the other cause "
           "censored). SHR: subdistribution hazard ratio (Fine-Gray as crr). Both adjusted for "
           "every term; 95% Wald CIs; deaths of unknown cause left out")


@dataclass(repr=False)  # repr from Displayed
class CompetingHazardsResult(Displayed):
    """Cause-specific and subdistribution hazard ratios for both causes, side by
    side (adjusted models), as competing-risks reporting guidelines ask."""

    cohort: str
    terms: list[str]
    strata: list[str]
    table_: pl.DataFrame
    models_: dict
    records: int
    cancer_deaths: int
    other_deaths: int
    unknown_cause: int
    convention: str = "completed"
    note: str = CS_NOTE
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def summary(self, *, suppress_below: int = 11, codes: bool = False) -> pl.DataFrame:
        """Cause-specific beside subdistribution hazard ratios for both causes;
        levels labelled unless ``codes``."""
        rows = []
        for r in self.table_.iter_rows(named=True):
            row = {"term": r["term"], "level": r["level"], "n": _count(r["n"], suppress_below)}
            for c, words in (("cancer", "cancer death"), ("other", "other death")):
                for kind, label in (("cs", "CSHR"), ("sd", "SHR")):
                    row[f"{words}: {label} (95% CI)"] = _fmt_hr(
                        r[f"hr_{kind}_{c}"], r[f"lower_{kind}_{c}"], r[f"upper_{kind}_{c}"],
                        r["reference"])
                    row[f"{words}: {label} p"] = _fmt_p(r[f"p_{kind}_{c}"])
            rows.append(row)
        from cohort.survival.display import labelled_levels

        out = pl.DataFrame(rows)
        return out if codes else labelled_levels(out, site=self.site)

    def plot(self, *, cause: str = "cancer", **options):
        """Forest plot of the cause-specific (Cox) beside the subdistribution
        (Fine-Gray) hazard ratios for ``cause`` (``cancer`` or ``other``): a
        matplotlib ``Figure`` (options: :func:`cohort.plot.forest`)."""
        from cohort.plot import forest

        if cause not in ("cancer", "other"):
            raise CompetingRisksError(f"cause must be cancer or other, got {cause!r}")
        words = "this cancer" if cause == "cancer" else "other causes"
        options.setdefault("title", f"Death from {words}")
        return forest(self, model=[f"cs_{cause}", f"sd_{cause}"], **options)

    def _display(self):
        title = (f"Cause-specific and subdistribution hazard ratios: {' + '.join(self.terms)}; "
                 f"{_count(self.records, 11)} records")
        return title, [f"cohort: {self.cohort}", self.note], {"": self.summary()}

    _foot = ("exact numbers in table_; .plot(cause=...) "
             "draws the forest plot")

    def tables(self, *, suppress_below: int = 11, codes: bool = False
               ) -> dict[str, pl.DataFrame]:
        """Both causes' hazard ratios (terms labelled unless ``codes``) and the
        model's counts, counts below the threshold as ``<11``."""
        from cohort.disclosure import suppress

        model = pl.DataFrame([{
            "records": self.records, "cancer_deaths": self.cancer_deaths,
            "other_deaths": self.other_deaths, "unknown_cause": self.unknown_cause,
            "strata": ", ".join(self.strata) or "none"}])
        return {
            "hazard_ratios": labelled_terms(
                suppress(self.table_, ["n", "events_cancer", "events_other"],
                         threshold=suppress_below), self.site, codes),
            "model": suppress(model, ["records", "cancer_deaths", "other_deaths",
                                      "unknown_cause"], threshold=suppress_below),
        }


def competing_hazards_analysis(
    cohort,
    terms,
    *,
    strata: list[str] | None = None,
    reference: dict[str, str] | None = None,
    convention: str = "completed",
) -> CompetingHazardsResult:
    """Cause-specific (Cox) and subdistribution (Fine-Gray) hazard ratios of
    every term, for cancer death and for other-cause death, on the same
    records (deaths of unknown cause left out).

    ``strata`` stratifies the Cox baselines and gives the Fine-Gray models
    one censoring distribution per stratum (crr's ``cengroup``).
    """
    from cohort.survival.cox import fit_cox

    terms, strata, col, counts, categorical = _prepare(cohort, terms, strata, convention)
    table, models = None, {}
    for c, (event, other) in CAUSES.items():
        cs = fit_cox(counts.with_columns((pl.col("cause") == event).cast(pl.Int8)
                                         .alias("__event")),
                     terms, categorical=categorical, strata=strata, reference=reference,
                     event="__event")
        sd = finegray(counts, terms, event=event, competing=(other,), censored=("alive",),
                      categorical=categorical, strata=strata, reference=reference)
        models[("cause-specific", c)] = cs
        models[("subdistribution", c)] = sd
        t_sd = sd.table().select(
            "term", "level", "n", pl.col("events").alias(f"events_{c}"), "reference",
            *[pl.col(k).alias(f"{k}_sd_{c}") for k in ("hr", "lower", "upper", "p")])
        t_cs = cs.table().select(
            "term", "level", *[pl.col(k).alias(f"{k}_cs_{c}") for k in ("hr", "lower", "upper",
                                                                          "p")])
        part = t_sd.join(t_cs, on=["term", "level"], how="left", nulls_equal=True,
                         maintain_order="left")
        table = part if table is None else table.join(
            part.drop("n", "reference"), on=["term", "level"], how="left", nulls_equal=True,
            maintain_order="left")
    sd = models[("subdistribution", "cancer")].fit
    return CompetingHazardsResult(
        cohort=cohort.definition, terms=terms, strata=strata, table_=table, models_=models,
        records=sd.n, cancer_deaths=sd.nevent, other_deaths=sd.ncompeting,
        unknown_cause=col.unknown, convention=col.convention,
        note=f"{CS_NOTE}; {convention_note(col.convention)}", site=site_of(cohort, terms))
