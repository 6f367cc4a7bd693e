"""The competing-risks page: cumulative incidence of cancer and other-cause death."""

from __future__ import annotations

import numpy as np
import polars as pl

from cohort.cohort import convention_note
from cohort.report import draw
from cohort.report.common import fmt_num, site_cohort, time_ticks
from cohort.report.competing_page import causes_known, gray_sentence, predicted_curves
from cohort.survival.compete import cumulative_incidence


def cif_page(pages, s, spec, label, site, values):
    cohort = site_cohort(s, site)
    col = cohort.collapse([spec.group], event="cause", convention=spec.time_convention)
    values["cause_known"] = causes_known(col)
    if not values["cause_known"]:
        fig = draw.page(f"{label.capitalize()}: competing risks", "")
        draw.note(fig, 0.85, "Cause of death is not recorded for this cohort, so cumulative "
                  "incidence of cancer and other-cause death cannot be estimated.", size=10)
        pages.add(fig, f"{site}_cif")
        return
    end = max(spec.times)
    grid = list(range(0, end + 1))
    counts = col.counts.rename({"event": "cause"})
    est = cumulative_incidence(counts, by=spec.group, times=grid,
                               levels=col.levels.get(spec.group))
    sizes = counts.group_by(spec.group).agg(pl.col("n").sum()).rows_by_key(spec.group)
    curves = {}
    for g in col.levels.get(spec.group, []):
        if sizes.get(g, [[0]])[0][0] < spec.threshold:
            continue
        e = est.filter(pl.col("group") == g)
        c = e.filter(pl.col("cause") == "cancer_death")["cumulative_incidence"].to_numpy()
        o = e.filter(pl.col("cause") == "other_death")["cumulative_incidence"].to_numpy()
        curves[g] = (np.array(grid), c, o)
    fig = draw.page(f"{label.capitalize()}: competing risks",
                    "Cumulative incidence of death from this cancer (solid) and from other "
                    "causes (dashed), Aalen-Johansen")
    ticks = time_ticks(end)
    profiles = spec.competing_risks.profiles
    box = [0.08, 0.45, 0.4, 0.42] if profiles else [0.1, 0.45, 0.83, 0.42]
    draw.cif_curves(fig.add_axes(box), curves, ticks, xlabel="Months since diagnosis")
    if profiles:  # Fine-Gray predicted curves beside the Aalen-Johansen ones
        predicted, how = predicted_curves(s, spec, site, values, grid)
        ax = fig.add_axes([0.56, 0.45, 0.4, 0.42])
        if predicted:
            draw.cif_curves(ax, predicted, ticks, xlabel="Months since diagnosis")
            ax.set_title(how, fontsize=6.5, loc="left")
        else:
            ax.axis("off")
            ax.text(0, 0.5, how, fontsize=7, wrap=True)
    at = est.filter(pl.col("time").is_in([float(x) for x in spec.times])).filter(
        pl.col("group").is_in(list(curves)))
    cell = pl.struct("cumulative_incidence", "lower", "upper").map_elements(
        lambda r: f"{fmt_num(r['cumulative_incidence'])} "
                  f"({fmt_num(r['lower'])}, {fmt_num(r['upper'])})",
        return_dtype=pl.Utf8)
    tab = (
        at.with_columns(cell.alias("v"), pl.col("time").cast(pl.Int64).cast(pl.Utf8)
                        .map_elements(lambda m: f"{m} months", return_dtype=pl.Utf8))
        .pivot(on="time", index=["group", "cause"], values="v")
    )
    h = min(0.3, 0.022 * (tab.height + 1))
    draw.table(fig.add_axes([0.07, 0.38 - h, 0.86, h]), tab, fontsize=6.5,
               col_widths=[0.1, 0.15] + [0.75 / len(spec.times)] * len(spec.times))
    draw.note(fig, 0.38 - h - 0.015, f"{col.unknown:,} deaths of unknown cause left out. "
              f"Groups with fewer than {spec.threshold} cases not drawn. "
              f"{convention_note(col.convention).capitalize()}."
              + gray_sentence(counts, spec.group, col.levels.get(spec.group), values))
    pages.add(fig, f"{site}_cif")
