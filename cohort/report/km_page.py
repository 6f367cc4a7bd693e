"""The Kaplan-Meier page: curves with numbers at risk, tests and the survival
table (groups under their labels), and the note page of site groups left
out for lack of any node category."""

from __future__ import annotations

import polars as pl

from cohort.disclosure import COMPLEMENT
from cohort.labels import label as value_label
from cohort.plot import km as plot_km
from cohort.plot.layout import panel_box
from cohort.plot.survival import released_at_risk
from cohort.report import draw
from cohort.report.common import site_label, time_ticks


def km_page(pages, spec, label, site, km, values, *, note=None):
    """``note`` says why the grouping is not the one the specification asked
    for (the staged N where node counts cannot give the N)."""
    t = spec.threshold

    def named(g):
        return value_label(spec.group, g, site=site)

    end = max(spec.times)
    ticks = time_ticks(end)
    shown = [g for g, est in km.km_.groups_.items() if est.n >= t]
    hidden = [g for g in km.km_.groups_ if g not in shown]
    summary = km.summary(suppress_below=t, codes=True)
    masked = {r["group"] for r in summary.iter_rows(named=True) if r["n"] == COMPLEMENT}
    # the numbers at risk as the figure releases them
    for g, texts in released_at_risk(km, shown, ticks, t).items():
        values.setdefault("at_risk", {})[g] = dict(zip(ticks, texts, strict=True))
    subtitle = (f"{'Overall' if spec.event == 'event' else 'Cause-specific'} survival by "
                f"{spec.group}; {km.records:,} cases" if km.records >= t else "")
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
    if note:
        notes.insert(0, f"Grouping: {note}.")
    if hidden:
        notes.append(f"\u2013 suppressed: fewer than {t} cases "
                     f"({', '.join(named(g) for g in hidden)}); such "
                     "groups are not drawn.")
    if masked:
        notes.append(f"{COMPLEMENT}: suppressed as well, so that no count below {t} can be "
                     "recovered from the printed total.")
    if km.unknown_event:
        notes.append(f"{km.unknown_event:,} eligible cases with unknown {spec.event} left out.")
    note_text = " ".join(notes)
    fig = draw.page(f"{label.capitalize()}: Kaplan-Meier survival", subtitle)
    # a long note (a grouping fallback, a trend note, hidden groups) lifts the table
    # and the figure so that it ends above the footer
    lines = draw.wrap_text(note_text, 0.86 * fig.get_figwidth(), 7).count("\n") + 1
    lift = max(0.0, lines * 7 * 1.3 / 72 / fig.get_figheight() - 0.045)
    if shown:
        # the same figure as KMResult.plot(): curves, CI, censor marks, numbers at risk
        names = {g: named(g) for g in shown}
        # legend, curves and numbers at risk between the subtitle and the table
        box = panel_box(fig, [0.14, 0.31 + lift, 0.79, 0.59 - lift],
                        legend_labels=list(names.values()), risk_rows=len(shown))
        plot_km(km, ax=fig.add_axes(box), groups=shown, times=ticks, tests=True,
                suppress_below=t, labels=names)
    summary = summary.with_columns(
        pl.col(pl.Utf8).str.replace(r"^suppressed \(<\d+\)$", "\u2013"))  # a dash + footnote
    summary = summary.with_columns(
        pl.col("group").cast(pl.Utf8).map_elements(named, return_dtype=pl.Utf8))
    if pages.figures_dir is not None:
        out = pages.figures_dir / f"{site or 'all'}_survival.csv"
        summary.write_csv(out)
        pages.tables.append(out)
    widths = [0.2, 0.06, 0.06, 0.15] + [0.53 / max(1, len(spec.times))] * len(spec.times)
    draw.table(fig.add_axes([0.07, 0.1 + lift, 0.86,
                             min(0.2, 0.025 * (summary.height + 1))]),
               summary, fontsize=6.5, col_widths=widths)
    draw.note(fig, 0.085 + lift, note_text)
    values["medians"] = {r["group"]: r["median"] for r in km.medians_.iter_rows(named=True)}
    values["survival"] = {
        (r["group"], r["time"]): r["survival"] for r in km.estimates_.iter_rows(named=True)
    }
    values["group_n"] = {g: e.n for g, e in km.km_.groups_.items()}
    values["hidden"] = hidden
    values["trend"] = km.trend_
    pages.add(fig, f"{site}_km")


def skipped_page(pages, skipped):
    """One page listing the site groups left out, each with the reason."""
    fig = draw.page("Site groups without node information", "")
    lines = [f"{site_label(None if site == 'all' else site).capitalize()}: {why}."
             for site, why in skipped.items()]
    draw.note(fig, 0.85, "These site groups have no section: " + " ".join(lines), size=9)
    pages.add(fig, "skipped_sites")


def _convention_words(convention: str) -> str:
    if convention == "completed":
        return "completed months (a case with m survival months leaves at m + 0.5)"
    return "exact months (a case with m survival months leaves at m)"
