"""The competing-risks page: cumulative incidence of cancer and other-cause death."""

from __future__ import annotations

import polars as pl

from cohort.cohort import convention_note
from cohort.labels import label as value_label
from cohort.plot import predicted as plot_predicted
from cohort.plot.layout import panel_box
from cohort.plot.survival import CAUSES as CAUSE_WORDS
from cohort.report import draw
from cohort.report.common import fmt_num, site_cohort, time_ticks
from cohort.report.competing_page import gray_sentence, predicted_curves

CAUSES = ["cancer_death", "other_death"]


def cif_page(pages, s, spec, label, site, values):
    cohort = site_cohort(s, site)
    res = cohort.cif(by=spec.group, times=spec.times, convention=spec.time_convention)
    known_causes = res.counts_.filter(pl.col("cause").is_in(CAUSES) & (pl.col("n") > 0))
    values["cause_known"] = not known_causes.is_empty()
    if not values["cause_known"]:
        fig = draw.page(f"{label.capitalize()}: competing risks", "")
        draw.note(fig, 0.85, "Cause of death is not recorded for this cohort, so cumulative "
                  "incidence of cancer and other-cause death cannot be estimated.", size=10)
        pages.add(fig, f"{site}_cif")
        return
    end = max(spec.times)
    ticks = time_ticks(end)
    sizes = res.group_sizes()
    shown = [g for g in (res.levels or list(sizes)) if sizes.get(g, 0) >= spec.threshold]
    fig = draw.page(f"{label.capitalize()}: competing risks",
                    "Cumulative incidence of death from this cancer (solid) and from other "
                    "causes (dashed), Aalen-Johansen")
    profiles = spec.competing_risks.profiles
    outer = [0.12, 0.375, 0.36, 0.5] if profiles else [0.14, 0.375, 0.79, 0.5]
    box = panel_box(fig, outer, risk_rows=len(shown),
                    legend_labels=[value_label(spec.group, g, site=site) for g in shown])
    if shown:  # the same figure as CIFResult.plot()
        res.plot(ax=fig.add_axes(box), groups=shown, times=ticks, suppress_below=spec.threshold)
    if profiles:  # Fine-Gray predicted curves beside the Aalen-Johansen ones
        predicted, how = predicted_curves(s, spec, site, values, list(range(0, end + 1)))
        ax = fig.add_axes([0.6, 0.53, 0.35, 0.3])
        if predicted is not None:
            plot_predicted(predicted, ax=ax, times=ticks, title_size=6.5,
                           title=draw.wrap_text(how, 0.4 * fig.get_figwidth(), 6.5))
        else:
            ax.axis("off")
            draw.note(fig, 0.84, how, width=0.33, x=0.6)
    at = res.estimates_.filter(pl.col("time").is_in([float(x) for x in spec.times])
                               & pl.col("group").is_in(shown))
    cell = pl.struct("cumulative_incidence", "lower", "upper").map_elements(
        lambda r: f"{fmt_num(r['cumulative_incidence'])} "
                  f"({fmt_num(r['lower'])}, {fmt_num(r['upper'])})",
        return_dtype=pl.Utf8)
    tab = (
        at.with_columns(cell.alias("v"), pl.col("time").cast(pl.Int64).cast(pl.Utf8)
                        .map_elements(lambda m: f"{m} months", return_dtype=pl.Utf8))
        .pivot(on="time", index=["group", "cause"], values="v")
    )
    # groups and causes as a reader names them (N1 (1-3 nodes), death from this cancer)
    tab = tab.with_columns(
        pl.col("group").map_elements(lambda g: value_label(spec.group, g, site=site),
                                     return_dtype=pl.Utf8),
        pl.col("cause").replace(CAUSE_WORDS))
    h = min(0.25, 0.017 * (tab.height + 1))
    top = 0.365
    draw.table(fig.add_axes([0.07, top - h, 0.86, h]), tab, fontsize=6.5,
               col_widths=[0.17, 0.17] + [0.66 / len(spec.times)] * len(spec.times))
    draw.note(fig, top - h - 0.012, f"{res.unknown_cause:,} deaths of unknown cause left out. "
              f"Groups with fewer than {spec.threshold} cases not drawn. "
              f"{_sentence(convention_note(res.convention))}."
              + gray_sentence(res.counts_, spec.group, res.levels, values))
    pages.add(fig, f"{site}_cif")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
