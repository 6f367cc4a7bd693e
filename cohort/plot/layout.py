"""Placing a curve panel and its numbers-at-risk table, in inches.

A figure made here has room for what it holds: the legend above the panel
(as many rows as its labels need), the time axis below it, and under that
the numbers at risk, one row per group, each number centred on its tick and
the group names to the left of the panel's left edge. The risk table is an
inset of the panel (``ax.inset_axes``), so it lines up with the time axis on
any figure, including an ``ax`` a caller placed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cohort.plot.style import font_size, new_figure, text_width, width_of

PT = 72.0  # points per inch


@dataclass
class Layout:
    """Margins (inches) of a curve panel; ``risk_rows`` rows of numbers at risk below."""

    fontsize: float
    risk_rows: int = 0
    legend_rows: int = 0
    title: bool = False
    note_lines: int = 0

    @property
    def row(self) -> float:
        """Height of one numbers-at-risk row."""
        return 1.45 * self.fontsize / PT

    @property
    def axis_below(self) -> float:
        """Tick labels and the axis label under the panel."""
        return (2.45 * self.fontsize + 9) / PT

    @property
    def risk_height(self) -> float:
        """The numbers-at-risk block: its title and its rows."""
        if not self.risk_rows:
            return 0.0
        return (1.5 * self.fontsize + 4) / PT + self.risk_rows * self.row

    @property
    def legend_height(self) -> float:
        return (self.legend_rows * 1.45 * self.fontsize + 6) / PT if self.legend_rows else 0.0

    @property
    def top(self) -> float:
        return 0.06 + self.legend_height + ((1.6 * self.fontsize + 4) / PT if self.title else 0)

    @property
    def notes_height(self) -> float:
        return (self.note_lines * 1.4 * self.fontsize + 2) / PT if self.note_lines else 0.0

    @property
    def bottom(self) -> float:
        return (0.1 if self.risk_rows else 0.05) + self.axis_below + self.risk_height \
            + self.notes_height


def panel_box(fig, outer, *, legend_labels: list[str], risk_rows: int, note_lines: int = 1,
              fontsize: float = 8.0) -> list[float]:
    """Where to put the curve panel (figure fractions) so that its legend
    above, and its axis, numbers at risk and notes below, all stay inside
    ``outer`` = ``[x, y, width, height]``: a page with nine groups gives the
    panel less height instead of running into the table under it.

    >>> from matplotlib.figure import Figure
    >>> box = panel_box(Figure(figsize=(8.27, 11.69)), [0.14, 0.3, 0.79, 0.6],
    ...                 legend_labels=["N0", "N1"], risk_rows=2)
    >>> bool(0.3 < box[1] and box[1] + box[3] < 0.9)
    True
    """
    x, y, w, h = outer
    width_in, height_in = fig.get_figwidth(), fig.get_figheight()
    _, legend_rows = legend_columns(legend_labels, w * width_in, fontsize - 0.5)
    lay = Layout(fontsize, risk_rows=risk_rows, legend_rows=legend_rows, note_lines=note_lines)
    top, bottom = lay.top / height_in, lay.bottom / height_in
    return [x, y + bottom, w, max(h - top - bottom, 0.05)]


def legend_columns(labels: list[str], width_in: float, fontsize: float) -> tuple[int, int]:
    """(columns, rows) of a legend of ``labels`` across ``width_in`` inches."""
    if not labels:
        return 1, 0
    entry = max(text_width(lb, fontsize) for lb in labels) + 3.2 * fontsize  # handle + gap
    cols = max(1, min(len(labels), int(width_in * PT // entry)))
    return cols, math.ceil(len(labels) / cols)


def left_margin(fontsize: float, row_labels: list[str], first_numbers: list[str]) -> float:
    """Room left of the panel: the y axis (ticks and label), or the risk-table
    names plus half of the widest number centred on the first tick."""
    axis = (text_width("0.00", fontsize) + 2.6 * fontsize + 8) / PT
    if not row_labels:
        return axis + 0.04
    names = max(text_width(s, fontsize) for s in row_labels)
    half = max((text_width(s, fontsize - 0.5) for s in first_numbers), default=0) / 2
    return max(axis, (names + half + 6) / PT) + 0.04


def right_margin(fontsize: float, last_numbers: list[str]) -> float:
    half = max((text_width(s, fontsize - 0.5) for s in last_numbers), default=0) / 2
    return max(0.12, half / PT + 0.06)


def panel_figure(size, layout: Layout, *, panel_height: float | None, left: float,
                 right: float):
    """A new figure holding one panel with the margins ``layout`` needs.

    ``size`` is a preset (``single``/``double``) or ``(width, height)``
    inches; with a tuple the height is the whole figure's and the panel
    takes what is left.
    """
    width = width_of(size)
    if isinstance(size, str):
        panel = panel_height or (2.3 if size == "single" else 3.3)
        height = layout.top + panel + layout.bottom
    else:
        height = float(size[1])
        panel = height - layout.top - layout.bottom
        if panel < 0.8:
            raise ValueError(f"a figure {size[0]} x {size[1]} in leaves {panel:.2f} in for the "
                             "curves once the legend and numbers at risk are placed; make it "
                             "taller or leave out the risk table")
    fig = new_figure(width, height)
    ax = fig.add_axes([left / width, layout.bottom / height, (width - left - right) / width,
                       panel / height])
    return fig, ax


def fontsize_of(ax, size) -> float:
    """The text size of a figure: the preset's, or 8 pt on a caller's axes."""
    return font_size(size) if ax is None else 8.0
