"""Figures of survival results: Kaplan-Meier, cumulative incidence, net survival.

Each function takes a result object and returns a matplotlib ``Figure``;
the result's ``.plot()`` calls it. Everything is drawn from the result's
exact curve tables (collapsed counts), so a 10-million-record registry draws
as fast as a small one; counts printed under the axis are released counts
(``<11`` below the threshold) and groups smaller than the threshold are not
drawn (the legend says so).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from cohort.disclosure import COMPLEMENT
from cohort.formatting import p_phrase
from cohort.plot.curves import (
    Curve,
    RiskRow,
    add_key,
    add_legend,
    add_notes,
    band_from_zero,
    draw_curves,
    panel_layout,
    risk_table,
    steps_from_zero,
    style_axes,
)
from cohort.plot.layout import (
    fontsize_of,
    left_margin,
    legend_columns,
    panel_figure,
    right_margin,
)
from cohort.plot.style import (
    TIME_LABEL,
    colors_for,
    count_text,
    default_labels,
    time_ticks,
    width_of,
)

CAUSES = {"cancer_death": "death from this cancer", "other_death": "death from other causes"}


def _ticks(times, default_end: float) -> list[float]:
    if times is None:
        return [float(t) for t in time_ticks(default_end)]
    ticks = sorted({float(t) for t in times})
    if not ticks or ticks[-1] <= 0:
        raise ValueError(f"times must include a time after 0, got {times!r}")
    return ticks


def _choose(groups, present: list[str]) -> list[str]:
    if groups is None:
        return present
    chosen = [str(g) for g in groups]
    unknown = [g for g in chosen if g not in present]
    if unknown:
        raise ValueError(f"no group {', '.join(unknown)} in this result; groups: "
                         f"{', '.join(present)}")
    return chosen


def _hidden_text(hidden: list[str], threshold: int) -> list[str]:
    if not hidden:
        return []
    return [f"not drawn (fewer than {threshold} cases): {', '.join(hidden)}"]


def _risk_rows(result, groups, ticks, colors, threshold) -> list[RiskRow]:
    """Each group's numbers at risk at the ticks, as released text."""
    released = released_at_risk(result, groups, ticks, threshold)
    return [RiskRow(g, g, colors[g], released[g]) for g in groups]


def released_at_risk(result, groups, ticks, threshold) -> dict:
    """``{group: [text at each tick]}``: the numbers at risk as released,
    ``<N`` under the threshold. A group whose size the summary hides beside
    the printed total (complementary suppression, ``*``) keeps it hidden
    where all its cases are at risk."""
    at = result.at_risk(ticks, suppress_below=0)  # exact, then released here
    masked = _complemented(result, threshold)
    out = {}
    for g in groups:
        counts = at.filter(pl.col("group") == g)["n_risk"].to_list()
        text = released_counts(counts, threshold)
        if g in masked:
            size = result.km_.groups_[g].n
            text = [COMPLEMENT if n == size else t for n, t in zip(counts, text, strict=True)]
        out[g] = text
    return out


def _complement_note(rows, threshold) -> list[str]:
    if not any(COMPLEMENT in r.counts for r in rows):
        return []
    return [f"{COMPLEMENT}: hidden as well (complementary suppression)"]


def _complemented(result, threshold) -> set:
    """Groups of a Kaplan-Meier result whose case count its summary hides by
    complementary suppression (none for other results or without suppression)."""
    if not threshold or not hasattr(result, "km_") or not hasattr(result, "summary"):
        return set()
    summary = result.summary(suppress_below=threshold, codes=True)
    return {r["group"] for r in summary.iter_rows(named=True) if r["n"] == COMPLEMENT}


def _figure(ax, size, *, legend_labels, risk_rows, risk_labels, first, last, title,
            panel_height, notes=()):
    """The caller's axes, or a new figure sized for the legend and risk table."""
    fontsize = fontsize_of(ax, size)
    if ax is not None:
        width = ax.get_position().width * ax.figure.get_figwidth()
        return ax.figure, ax, fontsize, legend_columns(legend_labels, width, fontsize - 0.5)[0]
    left = left_margin(fontsize, risk_labels, first)
    right = right_margin(fontsize, last)
    layout, ncol = panel_layout(fontsize, width_of(size), legend_labels=legend_labels,
                                risk_rows=risk_rows, title=bool(title), left=left, right=right,
                                note_lines=len(notes))
    fig, ax = panel_figure(size, layout, panel_height=panel_height, left=left, right=right)
    return fig, ax, fontsize, ncol


def _group_figure(ax, size, *, rows, shown, hidden, labels, legend, title, panel_height,
                  threshold):
    """:func:`_figure` for curves by group with their numbers at risk, and the
    notes under it (groups not drawn, the complementary mark)."""
    notes = _hidden_text([labels.get(g, g) for g in hidden], threshold) + \
        _complement_note(rows, threshold)
    return (*_figure(ax, size, legend_labels=[labels.get(g, g) for g in shown] if legend else [],
                     risk_rows=len(rows), risk_labels=[r.label for r in rows],
                     first=[r.counts[0] for r in rows], last=[r.counts[-1] for r in rows],
                     title=title, panel_height=panel_height, notes=notes), notes)


def _finish(fig, ax, *, fontsize, ncol, legend, title, rows, ticks, notes=(), key=(),
            key_loc="upper left", title_size=None):
    """Legend above the panel, a line-style ``key`` inside it, title, numbers at
    risk and ``notes`` under everything."""
    if legend:
        handles, names = ax.get_legend_handles_labels()
        add_legend(ax, handles, names, fontsize=fontsize, ncol=ncol)
        add_key(ax, list(key), fontsize=fontsize, loc=key_loc)
    if title:
        ax.set_title(title, fontsize=title_size or fontsize + 1, loc="left",
                     pad=_title_pad(ax, fontsize))
    if rows:
        risk_table(ax, rows, ticks, fontsize=fontsize)
    add_notes(ax, list(notes), fontsize=fontsize, risk_rows=len(rows))
    return fig


def _title_pad(ax, fontsize: float) -> float:
    legend = next((a for a in ax.get_children() if isinstance(a, Legend)
                   and a.get_gid() != "key"), None)
    if legend is None:
        return 4
    lines = -(-len(legend.get_texts()) // max(1, legend._ncols))  # rows of the legend
    return 6 + lines * 1.45 * fontsize


def km(result, *, ax=None, ci: bool = True, censor_marks: bool = True,
       risk_table: bool = True, times=None, palette=None, groups=None,
       labels: dict | None = None, tests: bool = False, suppress_below: int = 11,
       size="single", title: str | None = None, xlabel: str = TIME_LABEL,
       ylabel: str | None = None, legend: bool = True, panel_height: float | None = None):
    """Kaplan-Meier curves by group with the numbers at risk under the axis.

    Parameters
    ----------
    result
        A :class:`cohort.survival.KMResult`.
    ax
        Draw on these axes (leave room under them for the numbers at risk:
        about 0.15 in per group plus 0.4 in); default a new figure.
    ci
        Shade the 95% log-log CI (undefined where S is 1 or 0: no band there).
    censor_marks
        A ``|`` where records are censored.
    risk_table
        Numbers at risk (R's ``n.risk``: at risk just before the time) at
        each of ``times``, suppressed below ``suppress_below``.
    times
        Ticks of the time axis and times of the numbers at risk; the axis
        ends at the last. Default: every 12 months to the last of the
        result's reporting times.
    palette
        Colours: a list, a ``{group: colour}`` mapping or a colormap name.
    groups
        Groups to draw, in this order (default all).
    labels
        ``{group: legend label}`` (the risk table keeps the short name).
    tests
        Print the log-rank (and trend) p-values in the panel.
    suppress_below
        Groups with fewer cases are not drawn; counts under it are ``<N``.
    size
        ``"single"`` (89 mm wide) or ``"double"`` (183 mm) journal column, or
        ``(width, height)`` in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    present = list(result.km_.groups_)
    chosen = _choose(groups, present)
    sizes = {g: result.km_.groups_[g].n for g in present}
    shown = [g for g in chosen if not 0 < sizes[g] < suppress_below]
    hidden = [g for g in chosen if g not in shown]
    default_end = max(result.times) if result.times else max(
        (float(result.km_.groups_[g].time.max()) for g in present), default=12.0)
    ticks = _ticks(times, default_end)
    colors = colors_for(shown, palette)
    labels = {**default_labels(result.by, chosen, site=getattr(result, "site", None)),
              **(labels or {})}
    rows = []
    if risk_table and shown:
        rows = _risk_rows(result, shown, ticks, colors, suppress_below)
    fig, ax, fontsize, ncol, notes = _group_figure(
        ax, size, rows=rows, shown=shown, hidden=hidden, labels=labels, legend=legend,
        title=title, panel_height=panel_height, threshold=suppress_below)
    table = result.curves_
    curves = []
    for g in shown:
        c = table.filter(pl.col("group") == g)
        x, y = steps_from_zero(c["time"].to_numpy(), c["survival"].to_numpy(), 1.0)
        cens = c.filter(pl.col("n_censor") > 0)
        curves.append(Curve(g, labels.get(g, g), x, y, colors[g],
                            lower=band_from_zero(c["time"].to_numpy(), c["lower"].to_list()),
                            upper=band_from_zero(c["time"].to_numpy(), c["upper"].to_list()),
                            censor_x=cens["time"].to_numpy(),
                            censor_y=cens["survival"].to_numpy()))
    draw_curves(ax, curves, ci=ci, censor_marks=censor_marks, fontsize=fontsize)
    event_words = {"event": "Overall survival", "event_cancer": "Cause-specific survival"}
    style_axes(ax, ticks=ticks, xlabel=xlabel, fontsize=fontsize,
               ylabel=ylabel or event_words.get(result.event, "Survival probability"))
    if tests:
        _tests_text(ax, result, fontsize)
    return _finish(fig, ax, fontsize=fontsize, ncol=ncol, legend=legend, title=title,
                   rows=rows, ticks=ticks, notes=notes)


def _tests_text(ax, result, fontsize: float) -> None:
    tests = result.tests_.rows_by_key("test", named=True, unique=True)
    lines = []
    if "log-rank" in tests:
        t = tests["log-rank"]
        lines.append(f"Log-rank \u03c7\u00b2 = {t['chisq']:.1f}, df = {t['df']}, "
                     f"{p_phrase(t['p'])}")
    if "log-rank for trend" in tests:
        t = tests["log-rank for trend"]
        lines.append(f"Trend \u03c7\u00b2 = {t['chisq']:.1f}, df = 1, {p_phrase(t['p'])}")
    if lines:  # lower left: curves start at 1, so this corner stays clear longest
        ax.text(0.02, 0.03, "\n".join(lines), transform=ax.transAxes, ha="left", va="bottom",
                fontsize=fontsize - 0.5, gid="tests",
                bbox=dict(fc="white", ec="none", alpha=0.85, pad=1.5))


def cif(result, *, ax=None, ci: bool = False, censor_marks: bool = False,
        risk_table: bool = True, times=None, palette=None, groups=None,
        labels: dict | None = None, causes=("cancer_death", "other_death"),
        suppress_below: int = 11, size="single", title: str | None = None,
        xlabel: str = TIME_LABEL, ylabel: str = "Cumulative incidence",
        legend: bool = True, panel_height: float | None = None):
    """Cumulative incidence (Aalen-Johansen) of each cause by group: death
    from this cancer solid, from other causes dashed, one colour per group.

    Options as :func:`km`; ``causes`` picks the causes drawn. CI bands are
    off by default (two bands per group crowd the panel); censor marks sit
    on the first cause's curve.
    """
    curve_table = result.curves_
    present = [g for g in dict.fromkeys(curve_table["group"].to_list())]
    chosen = _choose(groups, present)
    sizes = result.group_sizes()
    shown = [g for g in chosen if not 0 < sizes.get(g, 0) < suppress_below]
    hidden = [g for g in chosen if g not in shown]
    default_end = max(result.times) if getattr(result, "times", None) else float(
        curve_table["time"].max())
    ticks = _ticks(times, default_end)
    colors = colors_for(shown, palette)
    labels = {**default_labels(result.by, chosen, site=getattr(result, "site", None)),
              **(labels or {})}
    rows = []
    if risk_table and shown:
        rows = _risk_rows(result, shown, ticks, colors, suppress_below)
    styles = dict(zip(causes, ["-", "--", ":", "-."], strict=False))
    fig, ax, fontsize, ncol, notes = _group_figure(
        ax, size, rows=rows, shown=shown, hidden=hidden, labels=labels, legend=legend,
        title=title, panel_height=panel_height, threshold=suppress_below)
    curves = []
    for g in shown:
        part = curve_table.filter(pl.col("group") == g)
        for i, cause in enumerate(causes):
            c = part.filter(pl.col("cause") == cause)
            x, y = steps_from_zero(c["time"].to_numpy(), c["cumulative_incidence"].to_numpy(),
                                   0.0)
            cens = c.filter(pl.col("n_censor") > 0) if i == 0 else c.clear()
            curves.append(Curve(f"{g}:{cause}", labels.get(g, g) if i == 0 else None, x, y,
                                colors[g], linestyle=styles[cause],
                                lower=band_from_zero(c["time"].to_numpy(), c["lower"].to_list()),
                                upper=band_from_zero(c["time"].to_numpy(), c["upper"].to_list()),
                                censor_x=cens["time"].to_numpy(),
                                censor_y=cens["cumulative_incidence"].to_numpy()))
    draw_curves(ax, curves, ci=ci, censor_marks=censor_marks, fontsize=fontsize)
    top = max([_visible_max(c, max(ticks), ci) for c in curves] + [0.05])
    style_axes(ax, ticks=ticks, xlabel=xlabel, ylabel=ylabel, fontsize=fontsize,
               ylim=(0.0, min(1.0, top * 1.15 + 0.02)))
    key = [(Line2D([], [], color="#555555", ls=styles[c], lw=1.1), CAUSES.get(c, c))
           for c in causes]  # upper left: the curves start at 0, that corner stays clear
    return _finish(fig, ax, fontsize=fontsize, ncol=ncol, legend=legend, title=title,
                   rows=rows, ticks=ticks, notes=notes, key=key, key_loc="upper left")


def _visible_max(curve: Curve, end: float, ci: bool) -> float:
    y = curve.y[curve.x <= end]
    if ci and curve.upper is not None:
        y = np.concatenate([y, np.asarray(curve.upper, dtype=float)[curve.x <= end]])
    y = y[np.isfinite(y)]
    return float(y.max()) if y.size else 0.0


def net_survival(result, *, ax=None, ci: bool = True, risk_table: bool = True, times=None,
                 palette=None, groups=None, labels: dict | None = None,
                 expected: bool = False, suppress_below: int = 11, size="single",
                 title: str | None = None, xlabel: str = TIME_LABEL, ylabel: str | None = None,
                 legend: bool = True, panel_height: float | None = None):
    """Net (Pohar Perme) or relative (Ederer II) survival by group, drawn
    through the estimates on the result's monthly grid (``curves_``), with
    the numbers at risk under the axis.

    Options as :func:`km`; ``expected`` adds each group's expected survival
    (Ederer I) as a thin dotted line. Net survival has no censor marks (its
    estimator weights every record by its expected survival, not a step at
    each censoring).
    """
    table = result.curves_ if result.curves_ is not None else result.estimates_
    present = list(dict.fromkeys(table["group"].to_list()))
    chosen = _choose(groups, present)
    sizes = result.group_sizes()
    shown = [g for g in chosen if not 0 < sizes.get(g, 0) < suppress_below]
    hidden = [g for g in chosen if g not in shown]
    ticks = _ticks(times, max(result.times) if result.times else float(table["time"].max()))
    colors = colors_for(shown, palette)
    labels = {**default_labels(result.by, chosen, site=getattr(result, "site", None)),
              **(labels or {})}
    # numbers at risk where the estimate is (conditional survival starts after ``given``)
    known = set(table["time"].to_list())
    risk_ticks = [t for t in ticks if t in known]
    rows = []
    if risk_table and shown and risk_ticks:
        rows = _risk_rows(result, shown, risk_ticks, colors, suppress_below)
    fig, ax, fontsize, ncol, notes = _group_figure(
        ax, size, rows=rows, shown=shown, hidden=hidden, labels=labels, legend=legend,
        title=title, panel_height=panel_height, threshold=suppress_below)
    curves = []
    for g in shown:
        c = table.filter(pl.col("group") == g).sort("time")
        x, y = c["time"].to_numpy(), c["net_survival"].to_numpy()
        start = float(getattr(result, "given", 0.0) or 0.0)  # conditional: 1 at ``given``
        if not x.size or x[0] > start:
            x, y = np.concatenate([[start], x]), np.concatenate([[1.0], y])
        pad = np.full(x.size - c.height, np.nan)
        curves.append(Curve(g, labels.get(g, g), x, y, colors[g], step=False,
                            lower=np.concatenate([pad, c["lower"].to_numpy()]),
                            upper=np.concatenate([pad, c["upper"].to_numpy()])))
        if expected:
            e = np.concatenate([np.ones(x.size - c.height), c["expected"].to_numpy()])
            curves.append(Curve(f"{g}:expected", None, x, e, colors[g], linestyle=":",
                                step=False))
    draw_curves(ax, curves, ci=ci, censor_marks=False, fontsize=fontsize)
    name = "Net survival" if result.method == "pohar-perme" else "Relative survival"
    top = max([float(np.nanmax(c.y)) for c in curves if c.y.size] + [1.0])
    style_axes(ax, ticks=ticks, xlabel=xlabel, ylabel=ylabel or name, fontsize=fontsize,
               ylim=(0.0, max(1.02, top + 0.02)))
    key = [(Line2D([], [], color="#555555", lw=1.1), name.lower()),
           (Line2D([], [], color="#555555", lw=1.1, ls=":"), "expected survival (Ederer I)")] \
        if expected else []
    return _finish(fig, ax, fontsize=fontsize, ncol=ncol, legend=legend, title=title,
                   rows=rows, ticks=risk_ticks, notes=notes, key=key, key_loc="lower left")


def released_counts(values, threshold: int) -> list[str]:
    """Counts as text, suppressed under the threshold.

    >>> released_counts([120, 4, 0], 11)
    ['120', '<11', '0']
    """
    return [count_text(v, threshold) for v in values]


def predicted(table: pl.DataFrame, *, ax=None, times=None, palette=None,
              causes=("cancer_death", "other_death"), size="single", title: str | None = None,
              xlabel: str = TIME_LABEL, ylabel: str = "Predicted cumulative incidence",
              legend: bool = True, panel_height: float | None = None,
              title_size: float | None = None):
    """Model-predicted cumulative incidence (Fine-Gray) for covariate profiles.

    ``table`` has ``profile``, ``time``, ``cumulative_incidence`` and, for
    both causes, ``cause`` (death from this cancer solid, from other causes
    dashed). One colour per profile; no numbers at risk (the curves are a
    model's, not a group's).
    """
    if "cause" not in table.columns:
        table = table.with_columns(pl.lit(causes[0]).alias("cause"))
    profiles = list(dict.fromkeys(table["profile"].to_list()))
    present = [c for c in causes if c in set(table["cause"].to_list())]
    ticks = _ticks(times, float(table["time"].max()))
    colors = colors_for(profiles, palette)
    fig, ax, fontsize, ncol = _figure(ax, size, legend_labels=profiles if legend else [],
                                      risk_rows=0, risk_labels=[], first=[], last=[],
                                      title=title, panel_height=panel_height)
    styles = dict(zip(causes, ["-", "--"], strict=False))
    curves = []
    for p in profiles:
        for i, cause in enumerate(present):
            c = table.filter((pl.col("profile") == p) & (pl.col("cause") == cause)).sort("time")
            x, y = steps_from_zero(c["time"].to_numpy(), c["cumulative_incidence"].to_numpy(),
                                   0.0)
            curves.append(Curve(f"{p}:{cause}", p if i == 0 else None, x, y, colors[p],
                                linestyle=styles.get(cause, ":")))
    draw_curves(ax, curves, ci=False, censor_marks=False, fontsize=fontsize)
    top = max([_visible_max(c, max(ticks), False) for c in curves] + [0.05])
    style_axes(ax, ticks=ticks, xlabel=xlabel, ylabel=ylabel, fontsize=fontsize,
               ylim=(0.0, min(1.0, top * 1.15 + 0.02)))
    key = [(Line2D([], [], color="#555555", ls=styles.get(c, ":"), lw=1.1), CAUSES.get(c, c))
           for c in present] if len(present) > 1 else []
    return _finish(fig, ax, fontsize=fontsize, ncol=ncol, legend=legend, title=title, rows=[],
                   ticks=ticks, key=key, key_loc="upper left", title_size=title_size)


LIFE_TABLE_KINDS = {"relative": "Relative survival", "observed": "Observed survival",
                    "net": "Net survival (Pohar Perme)"}


def lifetable(result, *, kind: str = "relative", ax=None, ci: bool = True,
              risk_table: bool = True, times=None, palette=None, groups=None,
              labels: dict | None = None, suppress_below: int = 11, size="single",
              title: str | None = None, xlabel: str = TIME_LABEL, ylabel: str | None = None,
              legend: bool = True, panel_height: float | None = None):
    """Cumulative survival of an actuarial life table at each interval's end
    (``relative``, ``observed`` or ``net``), joined by lines as SEER*Stat
    draws them, with the numbers alive at the start of each tick's month.

    Options as :func:`km`.
    """
    if kind not in LIFE_TABLE_KINDS or kind not in result.table_.columns:
        have = [k for k in LIFE_TABLE_KINDS if k in result.table_.columns]
        raise ValueError(f"kind must be one of {', '.join(have)}, got {kind!r}")
    table = result.table_
    present = list(dict.fromkeys(table["group"].to_list()))
    chosen = _choose(groups, present)
    sizes = result.group_sizes()
    shown = [g for g in chosen if not 0 < sizes.get(g, 0) < suppress_below]
    hidden = [g for g in chosen if g not in shown]
    ticks = _ticks(times, float(table["end"].max()))
    colors = colors_for(shown, palette)
    labels = {**default_labels(result.by, chosen, site=getattr(result, "site", None)),
              **(labels or {})}
    rows = _risk_rows(result, shown, ticks, colors, suppress_below) if risk_table and shown \
        else []
    fig, ax, fontsize, ncol, notes = _group_figure(
        ax, size, rows=rows, shown=shown, hidden=hidden, labels=labels, legend=legend,
        title=title, panel_height=panel_height, threshold=suppress_below)
    curves = []
    for g in shown:
        c = table.filter(pl.col("group") == g).sort("end")
        start = float(c["start"].min()) if c.height else 0.0
        x = np.concatenate([[start], c["end"].to_numpy().astype(float)])
        y = np.concatenate([[1.0], c[kind].to_numpy()])
        nan = [np.nan]
        curves.append(Curve(g, labels.get(g, g), x, y, colors[g], step=False,
                            lower=np.concatenate([nan, c[f"{kind}_lower"].to_numpy()]),
                            upper=np.concatenate([nan, c[f"{kind}_upper"].to_numpy()])))
    draw_curves(ax, curves, ci=ci, censor_marks=False, fontsize=fontsize)
    top = max([_visible_max(c, max(ticks), ci) for c in curves] + [1.0])
    style_axes(ax, ticks=ticks, xlabel=xlabel, ylabel=ylabel or LIFE_TABLE_KINDS[kind],
               fontsize=fontsize, ylim=(0.0, max(1.02, top + 0.02)))
    return _finish(fig, ax, fontsize=fontsize, ncol=ncol, legend=legend, title=title,
                   rows=rows, ticks=ticks, notes=notes)
