"""The Cox page: forest plot, hazard-ratio table and the proportional-hazards check."""

from __future__ import annotations

import polars as pl

from cohort.cohort import EmptyCohortError
from cohort.labels import term_label
from cohort.plot import forest
from cohort.report import draw
from cohort.report.common import count_text, p_phrase, p_value
from cohort.survival.analysis import CauseNotRecordedError
from cohort.survival.cox import ModelError


def cox_page(pages, s, spec, label, site, params, values):
    cx = spec.cox
    # groups too small to publish are left out of the models as well as the curves
    small = [g for g, n in values.get("group_n", {}).items() if n < spec.threshold]
    excl = list(dict.fromkeys([*cx.exclude_levels, *small]))
    parts = ["select * from __report where true"]
    p = list(params or [])
    if site:
        parts.append("and site_group = ?")
    if excl:
        parts.append(f"and {spec.group}::varchar not in ({', '.join('?' for _ in excl)})")
        p += excl
    cohort = s.cohort(" ".join(parts), params=p or None)
    fig = draw.page(f"{label.capitalize()}: Cox proportional hazards",
                    f"Hazard ratios for {_event_words(spec.event)}"
                    + (f"; groups left out: {', '.join(excl)}" if excl else ""))
    try:
        res = cohort.cox(cx.terms, strata=cx.strata, event=spec.event,
                         convention=spec.time_convention)
    except (ModelError, CauseNotRecordedError, EmptyCohortError, ValueError) as exc:
        draw.note(fig, 0.85, f"No Cox model for this site group: {exc}", size=10)
        pages.add(fig, f"{site}_cox")
        return
    t = res.table_
    # the same forest plot as CoxResult.plot(): univariable and adjusted, the table below
    forest(res, ax=fig.add_axes([0.3, 0.655, 0.63, 0.215]), table=False)
    # table: "sex: female vs male"; a continuous term with its unit (age_at_dx, per year of age)
    summary = res.summary()
    continuous = t["level"].is_null().to_list()
    summary = summary.with_columns(pl.Series("term", [
        f"{term} ({unit})" if cont else term
        for term, unit, cont in zip(summary["term"], summary["level"], continuous, strict=True)],
        dtype=pl.Utf8)).drop("level")
    row_h = 0.02
    top = 0.6
    draw.table(fig.add_axes([0.07, top - row_h * (summary.height + 1), 0.86,
                             row_h * (summary.height + 1)]), summary, fontsize=6.5,
               col_widths=_widths(summary.columns))
    fit = res.tables()["model"].row(0, named=True)
    ph = res.ph_
    y = top - row_h * (summary.height + 1) - 0.015
    draw.note(fig, y, (
        f"{count_text(fit['records'], spec.threshold)} cases, "
        f"{count_text(fit['events'], spec.threshold)} events; "
        f"likelihood-ratio chi2 = {fit['lr_chisq']:.1f} on {fit['lr_df']} df, "
        f"{p_phrase(fit['lr_p'])}; concordance = {fit['concordance']:.3f}. Efron ties; "
        f"strata: {', '.join(res.strata) or 'none'}. Adjusted model: "
        f"{' + '.join(res.terms)}; univariable: each term alone (same strata)."
        + "".join(f" {term} left out of the model: {why}." for term, why in res.dropped_.items())
    ))
    ph_tab = ph.select(
        pl.Series("term", [term_label(r["term"], r["level"], site=site)
                           for r in ph.iter_rows(named=True)], dtype=pl.Utf8),
        pl.col("chisq").map_elements(lambda v: f"{v:.2f}", return_dtype=pl.Utf8),
        pl.col("p").map_elements(p_value, return_dtype=pl.Utf8),
    )
    ph_tab = ph_tab.with_columns(pl.when(ph["p"] < 0.05).then(pl.lit("check"))
                                 .otherwise(pl.lit("ok")).alias("proportional hazards"))
    h = 0.018 * (ph_tab.height + 1)
    draw.table(fig.add_axes([0.07, y - 0.06 - h, 0.86, h]), ph_tab, fontsize=6.5,
               col_widths=[0.46, 0.14, 0.14, 0.26],
               title="Proportional-hazards check (scaled Schoenfeld, KM time)")
    pages.add(fig, f"{site}_cox")
    values["hr"] = {(r["term"], r["level"]): r["hr_adjusted"] for r in t.iter_rows(named=True)}


def _widths(columns: list[str]) -> list[float]:
    """Column widths of the hazard-ratio table: the labelled term, then HRs and p."""
    raw = [0.34] + [0.2 if c.startswith("HR") else 0.12 for c in columns[1:]]
    return [w / sum(raw) for w in raw]


def _event_words(event: str) -> str:
    return "death from any cause" if event == "event" else "death from this cancer"
