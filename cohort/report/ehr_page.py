"""The excess-hazard page: excess hazard ratios by node burden (relative survival)."""

from __future__ import annotations

import polars as pl

from cohort.report import draw
from cohort.report.common import count_text, p_phrase, p_value


def ehr_page(pages, s, spec, label, site, params, values):
    """Excess hazard ratios (Poisson model for relative survival) beside the Cox page:
    forest plot, EHR table, tests per term and the model's fit."""
    from cohort.survival.ehr import ExcessModelError
    from cohort.survival.netsurv import LifeTableError, load_lifetable

    ex = spec.excess_hazard
    small = [g for g, n in values.get("group_n", {}).items() if n < spec.threshold]
    excl = list(dict.fromkeys([*spec.cox.exclude_levels, *small]))
    parts = ["select * from __report where true"]
    p = list(params or [])
    if site:
        parts.append("and site_group = ?")
    cohort = s.cohort(" ".join(parts), params=p or None)
    fig = draw.page(f"{label.capitalize()}: excess hazard ratios (relative survival)",
                    "Excess mortality over general-population life tables by "
                    f"{spec.group}: deaths from any cause, no cause of death needed"
                    + (f"; groups left out: {', '.join(excl)}" if excl else ""))
    try:
        res = cohort.ehr(ex.terms, intervals=ex.intervals,
                         lifetable=load_lifetable(spec.net_survival.lifetable or None),
                         exclude_levels={spec.group: excl} if excl else None,
                         convention=spec.time_convention)
    except (ExcessModelError, LifeTableError, ValueError) as exc:
        draw.note(fig, 0.85, f"No excess-hazard model for this site group: {exc}", size=10)
        pages.add(fig, f"{site}_ehr")
        return
    t = res.table_
    # the same forest plot as EHRResult.plot()
    res.plot(ax=fig.add_axes([0.3, 0.64, 0.63, 0.24]), table=False)
    summary = res.summary()
    row_h = 0.02
    top = 0.58
    h = row_h * (summary.height + 1)
    draw.table(fig.add_axes([0.07, top - h, 0.6, h]), summary, fontsize=6.5,
               col_widths=[0.3, 0.2, 0.32, 0.18])
    tests = res.tests_.select(
        "term", "df",
        pl.col("lr_chisq").map_elements(lambda v: f"{v:.2f}", return_dtype=pl.Utf8)
        .alias("LR chi2"),
        pl.col("lr_p").map_elements(p_value, return_dtype=pl.Utf8).alias("p"))
    y = top - h - 0.02
    th = 0.018 * (tests.height + 1)
    draw.table(fig.add_axes([0.07, y - th - 0.02, 0.45, th]), tests, fontsize=6.5,
               title="Likelihood-ratio test per term")
    fit = res.fit_.row(0, named=True)
    base = res.baseline_
    rates = ", ".join(f"{r['interval']} y: {1000 * r['excess_rate']:.1f}"
                      for r in base.iter_rows(named=True))
    draw.note(fig, y - th - 0.06, (
        f"{count_text(res.records, spec.threshold)} cases, "
        f"{count_text(int(fit['deaths']), spec.threshold)} deaths against "
        f"{fit['expected_deaths']:.1f} expected from the life table ({res.lifetable}). "
        "Poisson model for excess mortality (Dickman et al., Stat Med 2004): "
        "d ~ Poisson(d* + y exp(b'x)) on follow-up intervals "
        f"{', '.join(f'{x:g}' for x in ex.intervals)} years x covariate pattern; "
        f"terms {' + '.join(res.terms)}; 95% Wald CIs. Deviance {fit['deviance']:.1f} on "
        f"{fit['df']} df (goodness of fit {p_phrase(fit['gof_p'])}). Baseline excess deaths "
        f"per 1,000 person-years (reference group): {rates}."
        + (f" {res.dropped_note}" if res.dropped_note else "")))
    pages.add(fig, f"{site}_ehr")
    values["ehr"] = {(r["term"], r["level"]): r["ehr"] for r in t.iter_rows(named=True)}
