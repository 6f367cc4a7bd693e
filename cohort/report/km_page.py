"""The Kaplan-Meier page: curves with numbers at risk, tests and the survival table."""

from __future__ import annotations

import polars as pl

from cohort.plot import km as plot_km
from cohort.report import draw
from cohort.report.common import count_text, time_ticks


def km_page(pages, spec, label, site, km, values):
    t = spec.threshold
    end = max(spec.times)
    ticks = time_ticks(end)
    shown = [g for g, est in km.km_.groups_.items() if est.n >= t]
    hidden = [g for g in km.km_.groups_ if g not in shown]
    at = km.at_risk(ticks, suppress_below=0)
    for g in shown:
        counts = at.filter(pl.col("group") == g)["n_risk"].to_list()
        values.setdefault("at_risk", {})[g] = {x: count_text(n, t)
                                               for x, n in zip(ticks, counts, strict=True)}
    subtitle = (f"{'Overall' if spec.event == 'event' else 'Cause-specific'} survival by "
                f"{spec.group}; {km.records:,} cases" if km.records >= t else "")
    fig = draw.page(f"{label.capitalize()}: Kaplan-Meier survival", subtitle)
    if shown:
        # the same figure as KMResult.plot(): curves, CI, censor marks, numbers at risk
        plot_km(km, ax=fig.add_axes([0.14, 0.52, 0.79, 0.34]), groups=shown, times=ticks,
                tests=True, suppress_below=t)
    summary = km.summary(suppress_below=t).with_columns(
        pl.col(pl.Utf8).str.replace(r"^suppressed \(<\d+\)$", "\u2013"))  # a dash + footnote
    if pages.figures_dir is not None:
        out = pages.figures_dir / f"{site or 'all'}_survival.csv"
        summary.write_csv(out)
        pages.tables.append(out)
    widths = [0.1, 0.07, 0.07, 0.17] + [0.59 / max(1, len(spec.times))] * len(spec.times)
    draw.table(fig.add_axes([0.07, 0.1, 0.86, min(0.2, 0.025 * (summary.height + 1))]),
               summary, fontsize=6.5, col_widths=widths)
    notes = ["Shaded: 95% CI (log-log; undefined where survival is 1 or 0). |: censored. "
             "Number at risk: alive and followed just before each time. "
             f"Follow-up: {_convention_words(km.convention)}. Median: first time survival "
             "is 0.5 or less (midpoint of an exact 0.5 plateau, as R); not reached: survival "
             "stays above 0.5."]
    if km.trend_ and km.trend_["groups"]:
        left = km.trend_["left_out"]
        notes.append(f"Trend test scores {', '.join(km.trend_['groups'])} as "
                     f"{', '.join(f'{x:g}' for x in km.trend_['scores'])}"
                     + (f"; {', '.join(left)} not scored (not ordered categories)."
                        if left else "."))
    if hidden:
        notes.append(f"\u2013 suppressed: fewer than {t} cases ({', '.join(hidden)}); such "
                     "groups are not drawn.")
    if km.unknown_event:
        notes.append(f"{km.unknown_event:,} eligible cases with unknown {spec.event} left out.")
    draw.note(fig, 0.085, " ".join(notes))
    values["medians"] = {r["group"]: r["median"] for r in km.medians_.iter_rows(named=True)}
    values["survival"] = {
        (r["group"], r["time"]): r["survival"] for r in km.estimates_.iter_rows(named=True)
    }
    values["group_n"] = {g: e.n for g, e in km.km_.groups_.items()}
    values["hidden"] = hidden
    values["trend"] = km.trend_
    pages.add(fig, f"{site}_km")


def _convention_words(convention: str) -> str:
    if convention == "completed":
        return "completed months (a case with m survival months leaves at m + 0.5)"
    return "exact months (a case with m survival months leaves at m)"
