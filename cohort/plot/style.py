"""Figure sizes, fonts, colours and text measurement shared by every figure.

Journal presets follow the widths most journals print at: a single column is
89 mm (3.5 in; Nature, Lancet, BMJ and JCO all within 84-90 mm) and a double
column 183 mm (7.2 in). Text is 7 pt on a single-column figure and 8 pt on a
double-column one, inside the 6-8 pt most author guidelines ask for at print
size, so a figure saved with ``fig.savefig("km.pdf")`` needs no rescaling.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from cohort.formatting import count_text  # noqa: F401  (re-exported for the figures)

#: figure widths in inches: single column (89 mm), double column (183 mm)
SIZES = {"single": 3.5, "double": 7.2}
#: text size (points) at each width
FONT_SIZES = {"single": 7.0, "double": 8.0}
#: colour-blind-safe qualitative palette (Okabe-Ito, then grey and black)
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
          "#000000", "#999999")
#: months since diagnosis
TIME_LABEL = "Months since diagnosis"

_MEASURE = TextToPath()


def font_size(size) -> float:
    """Text size for a size preset (or a (width, height) tuple: by its width)."""
    if isinstance(size, str):
        return FONT_SIZES[_preset(size)]
    return FONT_SIZES["single"] if size[0] < 5 else FONT_SIZES["double"]


def _preset(size: str) -> str:
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)} or (width, height) in "
                         f"inches, got {size!r}")
    return size


def width_of(size) -> float:
    """Figure width in inches for a preset name or a (width, height) tuple."""
    return SIZES[_preset(size)] if isinstance(size, str) else float(size[0])


@functools.lru_cache(maxsize=4096)
def text_width(text: str, fontsize: float, *, bold: bool = False) -> float:
    """Width of ``text`` in points at ``fontsize`` (DejaVu Sans, matplotlib's default).

    >>> round(text_width("<11", 7), 1)
    14.8
    """
    if not text:
        return 0.0
    prop = FontProperties(size=fontsize, weight="bold" if bold else "normal")
    w, _, _ = _MEASURE.get_text_width_height_descent(text, prop, ismath=False)
    return float(w)


def new_figure(width: float, height: float) -> Figure:
    """A figure not managed by pyplot: a notebook shows it once (as the value of
    the cell), and a script that draws hundreds keeps no reference to them."""
    return Figure(figsize=(width, height), layout="none")


def colors_for(groups: list[str], palette=None) -> dict[str, str]:
    """A colour per group from ``palette``: None (the default palette), a list
    of colours (cycled), a ``{group: colour}`` mapping (others from the
    default palette) or the name of a matplotlib colormap.

    >>> colors_for(["N0", "N1"], ["red", "blue"])
    {'N0': 'red', 'N1': 'blue'}
    >>> colors_for(["N0", "N1"], {"N1": "black"})["N1"]
    'black'
    """
    if palette is None:
        return {g: COLORS[i % len(COLORS)] for i, g in enumerate(groups)}
    if isinstance(palette, dict):
        default = colors_for(groups)
        return {g: palette.get(g, default[g]) for g in groups}
    if isinstance(palette, str):
        import matplotlib

        cmap = matplotlib.colormaps[palette]
        if getattr(cmap, "N", 256) <= 20:  # qualitative: its own colours in order
            return {g: matplotlib.colors.to_hex(cmap(i % cmap.N)) for i, g in enumerate(groups)}
        points = np.linspace(0.1, 0.9, max(len(groups), 1))
        return {g: matplotlib.colors.to_hex(cmap(p)) for g, p in zip(groups, points, strict=False)}
    palette = list(palette)
    if not palette:
        raise ValueError("palette is empty")
    return {g: palette[i % len(palette)] for i, g in enumerate(groups)}


def time_ticks(end: float) -> list[float]:
    """Ticks of a time axis in months: every 12 months up to 6 years, every 24
    up to 15 years, every 60 beyond; quarters or fifths of a short axis.

    >>> time_ticks(60)
    [0, 12, 24, 36, 48, 60]
    >>> time_ticks(10)
    [0, 2, 4, 6, 8, 10]
    >>> time_ticks(120)
    [0, 24, 48, 72, 96, 120]
    >>> time_ticks(240)[:3]
    [0, 60, 120]
    """
    end = int(math.ceil(end))
    if end <= 0:
        return [0]
    if end < 24:
        step = max(1, end // 5) if end % 4 else max(1, end // 4)
    else:
        step = 12 if end <= 72 else 24 if end <= 180 else 60
    return list(range(0, end + 1, step))


def default_labels(variable: str | None, groups: list[str], *,
                   site: str | None = None) -> dict[str, str]:
    """Legend labels of groups: what the registry's label tables
    (:mod:`cohort.labels`) call each code (``N2`` -> ``N2 (4-9 nodes)`` for
    breast, ``2`` -> ``female``); the code itself where there is no label.

    >>> default_labels(None, ["all"])
    {'all': 'all'}
    >>> default_labels("node_burden", ["N0", "N2"], site="breast")
    {'N0': 'N0 (0 nodes)', 'N2': 'N2 (4-9 nodes)'}
    """
    from cohort.labels import labels_for

    mapping = labels_for(variable, site=site) if variable else {}
    return {g: mapping.get(g, g) for g in groups}


def figure_data(fig: Figure) -> dict:
    """The data a figure draws, by artist id (``gid``): each curve's step
    coordinates, CI bands, censor marks, numbers at risk, forest-plot points
    and row labels; and the legends' texts (``legend:0``, ...).

    This is what tests compare against the estimates, and what the committed
    documentation figures are checked by (pixels differ between matplotlib
    and FreeType versions; the drawn numbers must not).
    """
    out: dict = {}
    axes = list(fig.get_axes())
    for ax in list(axes):
        axes += [child for child in ax.child_axes if child not in axes]
    for ax in axes:
        for line in ax.get_lines():
            gid = line.get_gid()
            if gid:
                out[gid] = {"x": _plain(line.get_xdata()), "y": _plain(line.get_ydata())}
        for coll in ax.collections:
            gid = coll.get_gid()
            if gid:
                paths = coll.get_paths()
                out[gid] = {"vertices": _plain(paths[0].vertices.tolist()) if paths else []}
        for text in ax.texts:
            gid = text.get_gid()
            if gid:
                out[gid] = text.get_text()
    legends = [ax.get_legend() for ax in axes if ax.get_legend() is not None]
    for k, legend in enumerate(legends):
        out[f"legend:{k}"] = [t.get_text() for t in legend.get_texts()]
    return out


def _plain(values) -> list:
    arr = np.asarray(values, dtype=float)
    return [None if not np.isfinite(v) else round(float(v), 12) for v in arr.ravel()] \
        if arr.ndim == 1 else [[None if not np.isfinite(v) else round(float(v), 12) for v in row]
                               for row in arr]
