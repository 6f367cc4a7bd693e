"""The net-survival page: curves and a table at the report times."""

from __future__ import annotations

import polars as pl

from cohort.cohort import convention_note
from cohort.labels import label as value_label
from cohort.plot.layout import panel_box
from cohort.report import draw
from cohort.report.common import count_text, fmt_num, site_cohort, site_label, time_ticks


def net_page(pages, s, spec, site, result):
    """Net survival by group: curves to the last time and a table at each time."""
    from cohort.survival.netsurv import LifeTableError, load_lifetable

    label = site_label(site)
    cohort = site_cohort(s, site)
    if cohort.size < max(spec.min_cases, spec.threshold):
        return
    ns = spec.net_survival
    name = "Net survival (Pohar Perme)" if ns.method == "pohar-perme" else \
        "Relative survival (Ederer II)"
    fig = draw.page(f"{label.capitalize()}: {name[0].lower()}{name[1:]}",
                    f"{name} by {spec.group}: survival if this cancer were the only cause of "
                    "death, against general-population life tables")
    end = max(spec.times)
    try:
        table = load_lifetable(ns.lifetable or None)
        res = cohort.net_survival(by=spec.group, times=list(spec.times), method=ns.method,
                                  lifetable=table, convention=spec.time_convention)
    except (LifeTableError, ValueError) as exc:
        draw.note(fig, 0.85, f"No net survival for this site group: {exc}", size=10)
        pages.add(fig, f"{site}_net")
        return
    est = res.estimates_
    sizes = result.values.get(site or "all", {}).get("group_n", {})
    shown = [g for g in est["group"].unique(maintain_order=True)
             if sizes.get(g, spec.threshold) >= spec.threshold]
    if shown:  # the same figure as NetSurvivalResult.plot()
        box = panel_box(fig, [0.14, 0.375, 0.79, 0.515], risk_rows=len(shown),
                        legend_labels=[value_label(spec.group, g, site=site) for g in shown])
        res.plot(ax=fig.add_axes(box), groups=shown,
                 times=time_ticks(end), suppress_below=spec.threshold)
    at = est.filter(pl.col("time").is_in([float(x) for x in spec.times])
                    & pl.col("group").is_in(shown))
    tab = at.select(
        pl.col("group").map_elements(lambda g: value_label(spec.group, g, site=site),
                                     return_dtype=pl.Utf8),  # N1 (1-3 nodes)
        pl.col("time").cast(pl.Int64).alias("month"),
        pl.col("n_risk").map_elements(lambda v: count_text(v, spec.threshold),
                                      return_dtype=pl.Utf8).alias("at risk"),
        pl.col("observed").map_elements(fmt_num, return_dtype=pl.Utf8).alias("observed"),
        pl.col("expected").map_elements(fmt_num, return_dtype=pl.Utf8).alias("expected"),
        pl.struct("net_survival", "lower", "upper").map_elements(
            lambda r: f"{fmt_num(r['net_survival'])} "
                      f"({fmt_num(r['lower'])}, {fmt_num(r['upper'])})",
            return_dtype=pl.Utf8).alias(f"{name.split(' (')[0].lower()} (95% CI)"),
    )
    h = min(0.25, 0.017 * (tab.height + 1))
    top = 0.365
    draw.table(fig.add_axes([0.07, top - h, 0.86, h]), tab, fontsize=6.5,
               col_widths=[0.2, 0.07, 0.09, 0.11, 0.11, 0.42])
    draw.note(fig, top - h - 0.012,
              f"Life table: {res.lifetable}. Observed: Kaplan-Meier (the same times); expected: "
              f"Ederer I.\n{_sentence(convention_note(res.convention))}; 95% CI on the log "
              "scale. "
              f"Groups with fewer than {spec.threshold} cases not drawn.")
    pages.add(fig, f"{site}_net")
    result.values.setdefault(site or "all", {})["net"] = {
        (r["group"], r["time"]): r["net_survival"] for r in at.iter_rows(named=True)
    }


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
