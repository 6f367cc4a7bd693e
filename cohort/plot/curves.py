"""Curves over time with their numbers at risk: the drawing under the
Kaplan-Meier, cumulative-incidence and net-survival figures.

Every artist carries an id (``gid``) naming what it shows, so the drawn data
can be read back (:func:`cohort.plot.figure_data`) and checked against the
estimates, and an SVG export names its elements:

- ``curve:<group>`` / ``curve:<group>:<cause>`` the step line, from time 0;
- ``ci:<group>...`` the 95% CI band; ``censor:<group>...`` the censor marks;
- ``at_risk:<group>:<time>`` each number at risk, as released (``<11``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cohort.plot.layout import PT, Layout, legend_columns
from cohort.plot.style import text_width


@dataclass
class Curve:
    """One line to draw: step coordinates from time 0, and what goes with it."""

    key: str  # the gid suffix: group, or group:cause
    label: str | None  # legend label (None: not in the legend)
    x: np.ndarray
    y: np.ndarray
    color: str
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    censor_x: np.ndarray = field(default_factory=lambda: np.array([]))
    censor_y: np.ndarray = field(default_factory=lambda: np.array([]))
    linestyle: str = "-"
    step: bool = True


@dataclass
class RiskRow:
    """One row of the numbers-at-risk table: a group's counts at the ticks, as text."""

    key: str
    label: str
    color: str
    counts: list[str]


def draw_curves(ax, curves: list[Curve], *, ci: bool, censor_marks: bool,
                fontsize: float) -> None:
    """Step (or straight) lines with CI bands and censor marks."""
    for c in curves:
        style = "steps-post" if c.step else "default"
        ax.plot(c.x, c.y, drawstyle=style, color=c.color, lw=1.1, ls=c.linestyle,
                label=c.label, gid=f"curve:{c.key}", solid_joinstyle="miter")
        if ci and c.lower is not None:
            lo = np.asarray(c.lower, dtype=float)
            hi = np.asarray(c.upper, dtype=float)
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.any():
                ax.fill_between(c.x, np.where(ok, lo, np.nan), np.where(ok, hi, np.nan),
                                step="post" if c.step else None, color=c.color, alpha=0.14,
                                lw=0, gid=f"ci:{c.key}")
        if censor_marks and len(c.censor_x):
            ax.plot(c.censor_x, c.censor_y, ls="none", marker="|", ms=0.45 * fontsize,
                    mew=0.6, color=c.color, gid=f"censor:{c.key}")


def style_axes(ax, *, ticks: list[float], xlabel: str, ylabel: str, fontsize: float,
               ylim=(0.0, 1.02)) -> None:
    ax.set_xlim(min(0.0, min(ticks)), max(ticks))
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel, fontsize=fontsize, labelpad=3)
    ax.set_ylabel(ylabel, fontsize=fontsize, labelpad=3)
    ax.tick_params(labelsize=fontsize - 0.5, length=2.5, width=0.6, pad=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(0.6)
    ax.grid(alpha=0.2, lw=0.4)


def add_legend(ax, handles: list, labels: list[str], *, fontsize: float, ncol: int):
    """The legend above the panel, left-aligned, never over the curves."""
    if not labels:
        return None
    return ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=ncol,
                     frameon=False, fontsize=fontsize - 0.5, borderaxespad=0.3,
                     handlelength=1.6, handletextpad=0.5, columnspacing=1.2)


def risk_fontsize(rows: list[RiskRow], ticks: list[float], panel_width_in: float,
                  fontsize: float) -> float:
    """The numbers' text size: a size smaller than the labels, smaller still
    (down to 5 pt) when the widest number would touch its neighbour."""
    size = fontsize - 0.5
    if len(ticks) < 2 or not rows:
        return size
    span = max(ticks) - min(0.0, min(ticks))
    gap = min(np.diff(sorted(ticks))) / span * panel_width_in * PT
    widest = max(text_width(s, size) for r in rows for s in r.counts)
    while widest > 0.9 * gap and size > 5:
        size -= 0.5
        widest = max(text_width(s, size) for r in rows for s in r.counts)
    return size


def risk_table(ax, rows: list[RiskRow], ticks: list[float], *, fontsize: float,
               title: str = "Number at risk"):
    """The numbers at risk under ``ax``: an inset sharing its time axis, one
    row per group (its name, in its colour, left of the panel), each count
    centred on its tick. Returns the inset."""
    fig = ax.figure
    lay = Layout(fontsize, risk_rows=len(rows))
    panel_h = ax.get_position().height * fig.get_figheight()
    panel_w = ax.get_position().width * fig.get_figwidth()
    offset = (lay.axis_below + lay.risk_height) / panel_h
    rax = ax.inset_axes([0, -offset, 1, len(rows) * lay.row / panel_h], sharex=ax)
    rax.set_ylim(-0.5, len(rows) - 0.5)
    rax.tick_params(axis="x", bottom=False, labelbottom=False)
    size = risk_fontsize(rows, ticks, panel_w, fontsize)
    first = [r.counts[0] for r in rows if r.counts]
    pad = max((text_width(s, size) for s in first), default=0) / 2 + 5
    rax.set_yticks(range(len(rows)))
    rax.set_yticklabels([r.label for r in rows][::-1], fontsize=fontsize - 0.5)
    rax.tick_params(axis="y", length=0, pad=pad)
    for tick_label, r in zip(rax.get_yticklabels(), rows[::-1], strict=True):
        tick_label.set_color(r.color)
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        for t, text in zip(ticks, r.counts, strict=True):
            rax.text(t, y, text, ha="center", va="center", fontsize=size,
                     gid=f"at_risk:{r.key}:{t:g}")
    for side in rax.spines.values():
        side.set_visible(False)
    rax.patch.set_visible(False)
    rax.annotate(title, xy=(0, 1), xycoords="axes fraction", xytext=(0, 0.3 * fontsize),
                 textcoords="offset points", ha="left", va="bottom", fontsize=fontsize - 0.5,
                 fontweight="bold")
    return rax


def panel_layout(fontsize: float, width_in: float, *, legend_labels: list[str],
                 risk_rows: int, title: bool, left: float, right: float,
                 note_lines: int = 0) -> tuple[Layout, int]:
    """The layout of a new figure and the number of legend columns."""
    cols, rows = legend_columns(legend_labels, width_in - left - right, fontsize - 0.5)
    return Layout(fontsize, risk_rows=risk_rows, legend_rows=rows, title=title,
                  note_lines=note_lines), cols


def add_notes(ax, notes: list[str], *, fontsize: float, risk_rows: int) -> None:
    """Lines of small text under everything else (e.g. groups not drawn)."""
    if not notes:
        return
    lay = Layout(fontsize, risk_rows=risk_rows)
    panel_h = ax.get_position().height * ax.figure.get_figheight()
    y = -(lay.axis_below + lay.risk_height + 0.04) / panel_h
    ax.annotate("\n".join(notes), xy=(0, y), xycoords="axes fraction", ha="left", va="top",
                fontsize=fontsize - 1, color="#444444", gid="notes",
                annotation_clip=False)


def add_key(ax, entries: list, *, fontsize: float, loc: str) -> None:
    """A second legend inside the panel: what the line styles mean."""
    if not entries:
        return
    handles, texts = zip(*entries, strict=True)
    legend = ax.get_legend()
    key = ax.legend(list(handles), list(texts), loc=loc, frameon=False,
                    fontsize=fontsize - 1, handlelength=2.2, borderaxespad=0.4)
    key.set_gid("key")
    if legend is not None:
        ax.add_artist(legend)


def steps_from_zero(times: np.ndarray, values: np.ndarray, start: float) -> tuple:
    """A step curve's coordinates from time 0: (0, start) then each (t, value)."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.size and t[0] <= 0:
        return t, v
    return np.concatenate([[0.0], t]), np.concatenate([[start], v])


def band_from_zero(times: np.ndarray, values) -> np.ndarray:
    """A CI limit beside :func:`steps_from_zero`: undefined (NaN) at time 0."""
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    t = np.asarray(times, dtype=float)
    return v if t.size and t[0] <= 0 else np.concatenate([[np.nan], v])
