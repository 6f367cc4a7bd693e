"""Page furniture of the PDF report: A4 pages, footers, notes, tables and the
attrition flow. The figures on the pages (Kaplan-Meier with numbers at risk,
forest plots, cumulative incidence, net survival) are drawn by
:mod:`cohort.plot`, the same functions as ``result.plot()``; nothing here
computes statistics."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cohort.plot.style import text_width  # noqa: E402

A4 = (8.27, 11.69)
FONT = 8


def page(title: str, subtitle: str = "") -> Figure:
    """A blank A4 page with its title; content goes in axes placed by the caller."""
    fig = plt.figure(figsize=A4)
    fig.text(0.07, 0.955, title, fontsize=14, fontweight="bold", va="top")
    if subtitle:
        fig.text(0.07, 0.925, subtitle, fontsize=9, va="top", color="#333333", wrap=True)
    return fig


def footer(fig: Figure, left: str, right: str) -> None:
    fig.text(0.07, 0.025, left, fontsize=6.5, color="#555555", va="bottom")
    fig.text(0.93, 0.025, right, fontsize=6.5, color="#555555", va="bottom", ha="right")


def note(fig: Figure, y: float, text: str, size: float = 7, *, width: float = 0.86,
         x: float = 0.07) -> None:
    """Small text from (``x``, ``y``) down, wrapped to ``width`` of the page."""
    fig.text(x, y, wrap_text(text, width * fig.get_figwidth(), size), fontsize=size,
             color="#333333", va="top")


def wrap_text(text: str, width_in: float, size: float) -> str:
    """``text`` broken into lines no wider than ``width_in`` inches (measured).

    >>> wrap_text("one two three four", 0.5, 7)
    'one two\\nthree four'
    """
    out = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if line and text_width(trial, size) > width_in * 72:
                out.append(line)
                line = word
            else:
                line = trial
        out.append(line)
    return "\n".join(out)


def table(ax, df: pl.DataFrame, *, fontsize: float = FONT, col_widths=None, title: str = ""):
    """Draw a DataFrame as a table filling ``ax``; every value as text."""
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1.5, loc="left", fontweight="bold")
    if df.height == 0:
        ax.text(0, 0.5, "no rows", fontsize=fontsize)
        return ax
    cells = [["" if v is None else str(v) for v in row] for row in df.rows()]
    fontsize = fitting_size(ax, [list(df.columns), *cells], col_widths, fontsize)
    t = ax.table(cellText=cells, colLabels=list(df.columns), loc="upper left",
                 cellLoc="left", colLoc="left", colWidths=col_widths, bbox=[0, 0, 1, 1])
    t.auto_set_font_size(False)
    t.set_fontsize(fontsize)
    # a header of several lines gets a taller row (rows keep their proportions in the bbox)
    lines = max(str(c).count("\n") + 1 for c in df.columns)
    if lines > 2:
        for (r, _c), cell in t.get_celld().items():
            if r == 0:
                cell.set_height(cell.get_height() * lines / 2)
    for (r, _c), cell in t.get_celld().items():
        cell.set_linewidth(0.3)
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#eeeeee")
    return ax


def fitting_size(ax, rows: list[list[str]], col_widths, fontsize: float,
                 smallest: float = 4.5) -> float:
    """The largest size up to ``fontsize`` at which every cell's text (each
    line of it) fits its column, down to ``smallest``."""
    fig = ax.figure
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    n = len(rows[0]) if rows else 0
    widths = col_widths or [1 / max(n, 1)] * n
    size = fontsize
    while size > smallest:
        if all(text_width(line, size, bold=(i == 0)) + 6 <= w * width_pt
               for i, row in enumerate(rows) for text, w in zip(row, widths, strict=False)
               for line in str(text).split("\n")):
            return size
        size -= 0.25
    return smallest


def flow(ax, steps: list[tuple[str, str]], final: str):
    """The attrition flow: records in, one side box per exclusion, analysed."""
    ax.axis("off")
    n = len(steps) + 2
    ys = np.linspace(0.95, 0.05, n)
    box = dict(boxstyle="round,pad=0.4", fc="#f4f4f4", ec="#888888", lw=0.6)
    side = dict(boxstyle="round,pad=0.3", fc="#fff4e6", ec="#d9a066", lw=0.6)
    ax.text(0.3, ys[0], steps[0][1] if steps else "", ha="center", va="center", fontsize=FONT,
            bbox=box)
    for i, (label, text) in enumerate(steps[1:], start=1):
        above = ys[i - 1 if i > 1 else 0] - 0.025
        ax.annotate("", xy=(0.3, ys[i + 1] + 0.025), xytext=(0.3, above),
                    arrowprops=dict(arrowstyle="-|>", color="#888888", lw=0.6))
        ax.annotate("", xy=(0.58, ys[i]), xytext=(0.3, ys[i]),
                    arrowprops=dict(arrowstyle="-|>", color="#d9a066", lw=0.6))
        ax.text(0.6, ys[i], f"{label}\n{text}", ha="left", va="center", fontsize=FONT - 0.5,
                bbox=side)
    ax.text(0.3, ys[-1], final, ha="center", va="center", fontsize=FONT, bbox=box,
            fontweight="bold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
