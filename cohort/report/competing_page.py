"""The competing-risks regression page (after the CIF page): cause-specific and
subdistribution hazard ratios for both causes side by side, and the
Fine-Gray predicted cumulative incidence curves the CIF page draws on request."""

from __future__ import annotations

import polars as pl

from cohort.errors import CohortError
from cohort.plot import forest
from cohort.report import draw
from cohort.report.common import count_text, p_phrase


def _terms(spec) -> tuple[list[str], list[str]]:
    cr = spec.competing_risks
    terms = cr.terms if cr.terms is not None else spec.cox.terms
    strata = cr.strata if cr.strata is not None else spec.cox.strata
    return list(terms), list(strata)


def _model_cohort(s, spec, site, values):
    """The site's cohort without the groups the Cox page leaves out (unknown
    burden, groups too small to publish)."""
    small = [g for g, n in values.get("group_n", {}).items() if n < spec.threshold]
    excl = list(dict.fromkeys([*spec.cox.exclude_levels, *small]))
    parts, params = ["select * from __report where true"], []
    if site:
        parts.append("and site_group = ?")
        params.append(site)
    if excl:
        parts.append(f"and {spec.group}::varchar not in ({', '.join('?' for _ in excl)})")
        params += excl
    return s.cohort(" ".join(parts), params=params or None), excl


def causes_known(col) -> bool:
    """Whether any death in a cause-collapsed table has a known cause."""
    return not col.counts.filter(pl.col("event").is_in(["cancer_death", "other_death"])
                                 & (pl.col("n") > 0)).is_empty()


def competing_page(pages, s, spec, label, site, values):
    """Cause-specific (Cox) beside subdistribution (Fine-Gray) hazard ratios,
    for cancer death and for other-cause death."""
    if not spec.competing_risks.enabled:
        return
    terms, strata = _terms(spec)
    cohort, excl = _model_cohort(s, spec, site, values)
    title = f"{label.capitalize()}: cause-specific and subdistribution hazards"
    sub = ("Adjusted hazard ratios for death from this cancer and from other causes: "
           "cause-specific (Cox) and subdistribution (Fine-Gray)"
           + (f"; groups left out: {', '.join(excl)}" if excl else ""))
    fig = draw.page(title, sub)
    try:
        res = cohort.competing_hazards(terms, strata=strata, convention=spec.time_convention)
    except CohortError as exc:
        draw.note(fig, 0.85, f"No competing-risks regression for this site group: {exc}",
                  size=10)
        pages.add(fig, f"{site}_competing")
        return
    t = res.table_
    # the same figure as CompetingHazardsResult.plot(): both kinds of HR for cancer death
    forest(res, ax=fig.add_axes([0.3, 0.66, 0.63, 0.2]), model=["cs_cancer", "sd_cancer"],
           table=False, title="Death from this cancer")
    summary = res.summary(suppress_below=spec.threshold)
    y = 0.575
    row_h = 0.019
    for words, heading in (("cancer death", "Death from this cancer"),
                           ("other death", "Death from other causes")):
        tab = summary.select(
            "term", "level", "n",
            pl.col(f"{words}: CSHR (95% CI)").alias("CSHR (95% CI)"),
            pl.col(f"{words}: CSHR p").alias("p (CSHR)"),
            pl.col(f"{words}: SHR (95% CI)").alias("SHR (95% CI)"),
            pl.col(f"{words}: SHR p").alias("p (SHR)"))
        h = row_h * (tab.height + 1)
        draw.table(fig.add_axes([0.07, y - h, 0.86, h]), tab, fontsize=6.5,
                   col_widths=[0.13, 0.16, 0.07, 0.2, 0.1, 0.2, 0.1],
                   title=heading)
        y -= h + 0.05
    thr = spec.threshold
    draw.note(fig, y + 0.02, (
        f"{count_text(res.records, thr)} cases with a known cause of death or alive: "
        f"{count_text(res.cancer_deaths, thr)} cancer deaths, "
        f"{count_text(res.other_deaths, thr)} other deaths; "
        f"{count_text(res.unknown_cause, thr)} cases left out (death of unknown cause or "
        f"unknown follow-up). Models: {' + '.join(terms)}; "
        + (f"Cox strata and Fine-Gray censoring groups: {', '.join(strata)}. "
           if strata else "")
        + "CSHR: Cox, Efron ties, the other cause censored. SHR: Fine-Gray as R's "
        "cmprsk::crr (Kaplan-Meier censoring weights, Breslow ties, robust SE). A CSHR "
        "describes the rate of the event among those still alive; an SHR describes how the "
        "cumulative incidence of the event differs, other deaths included."))
    pages.add(fig, f"{site}_competing")
    values["shr"] = {(r["term"], r["level"]): r["hr_sd_cancer"] for r in t.iter_rows(named=True)}
    values["cshr"] = {(r["term"], r["level"]): r["hr_cs_cancer"] for r in t.iter_rows(named=True)}


def predicted_curves(s, spec, site, values, grid) -> tuple[pl.DataFrame | None, str]:
    """Fine-Gray predicted cumulative incidence of cancer and other death for the
    spec's profiles, on ``grid``: (profile, cause, time, cumulative_incidence) and
    a note; None and the reason when the models cannot be fitted."""
    profiles = spec.competing_risks.profiles
    terms, strata = _terms(spec)
    cohort, _ = _model_cohort(s, spec, site, values)
    parts = []
    try:
        for cause, name in (("cancer", "cancer_death"), ("other", "other_death")):
            fit = cohort.finegray(terms, cause=cause, strata=strata, univariable=False,
                                  convention=spec.time_convention)
            parts.append(fit.predict(profiles, times=grid).with_columns(
                pl.lit(name).alias("cause")))
    except CohortError as exc:
        return None, f"No Fine-Gray predictions: {exc}"
    return pl.concat(parts), (f"Fine-Gray predictions from {' + '.join(terms)}"
                              + (f", censoring groups {', '.join(strata)}" if strata else ""))


def gray_sentence(counts, group, levels, values) -> str:
    """Gray's test of each cause across the groups, as a sentence for the CIF page."""
    from cohort.survival.gray import gray_tests

    try:
        t = gray_tests(counts.filter(pl.col(group).is_not_null()), by=group, levels=levels)
    except CohortError:
        return ""
    parts = []
    for r in t.iter_rows(named=True):
        cause = "cancer death" if r["cause"] == "cancer_death" else "other death"
        kind = "trend" if "trend" in r["test"] else "equality"
        parts.append(f"{cause}, {kind}: chi2 = {r['chisq']:.1f} on {r['df']} df, "
                     f"{p_phrase(r['p'])}")
        values.setdefault("gray", {})[(r["cause"], kind)] = r["chisq"]
    trend = t.filter(pl.col("test") == "Gray's test for trend")["groups"]
    return (" Gray's test: " + "; ".join(parts) + "."
            + (f" Trend over {trend[0]}." if trend.len() else ""))
