"""Forest plots of hazard ratios: univariable and adjusted side by side.

One row per level of a categorical term (under the term's name, with its
reference level at 1) and one per continuous term (with its unit: "per year
of age"); each model's estimate is a marker with its 95% CI on a log axis,
and the estimates are printed to the right (two decimals), as papers set
them. Artists are named ``hr:<model>:<term>:<level>`` (the point) and
``hr_ci:<model>:<term>:<level>`` (the interval) so a test or a reader of the
SVG finds each estimate.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cohort.formatting import TERM_UNITS
from cohort.plot.layout import PT
from cohort.plot.style import COLORS, font_size, new_figure, text_width, width_of

MODEL_NAMES = {
    "univariable": "Univariable", "adjusted": "Adjusted",
    "cs_cancer": "Cause-specific (Cox)", "sd_cancer": "Subdistribution (Fine-Gray)",
    "cs_other": "Cause-specific (Cox)", "sd_other": "Subdistribution (Fine-Gray)",
    "excess": "Excess hazard ratio",
}
MARKERS = {"adjusted": ("s", True), "univariable": ("o", False), "cs_cancer": ("o", False),
           "sd_cancer": ("s", True), "cs_other": ("o", False), "sd_other": ("s", True),
           "excess": ("s", True)}
# tick sets from coarse to fine; a plot takes the coarsest giving 4 ticks or more
TICK_SETS = (
    (0.001, 0.01, 0.1, 1, 10, 100, 1000),
    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100),
    (0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
    (0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8),
    (0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3),
    (0.8, 0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2, 1.25),
)


def models_of(table: pl.DataFrame) -> list[str]:
    """The models of a wide hazard-ratio table (columns ``hr_<model>``).

    >>> models_of(pl.DataFrame({"term": ["a"], "hr_univariable": [1.0], "hr_adjusted": [1.0]}))
    ['univariable', 'adjusted']
    """
    return [c[3:] for c in table.columns if c.startswith("hr_")]


def forest_rows(table: pl.DataFrame, models: list[str], labels: dict | None = None, *,
                site: str | None = None) -> list[dict]:
    """Rows of the plot, top to bottom: a heading per categorical term, then
    its levels (the reference first, at 1) under their labels (``site``: the
    node-burden count rule); a continuous term in one row."""
    from cohort.table1 import level_label, variable_name

    labels = labels or {}
    rows = []
    terms = list(dict.fromkeys(table["term"].to_list()))
    for term in terms:
        part = table.filter(pl.col("term") == term)
        name = labels.get(term, variable_name(term).split(" (")[0])
        categorical = part["level"].is_not_null().any()
        if categorical:
            rows.append({"kind": "heading", "label": name, "term": term, "level": None})
        for r in part.iter_rows(named=True):
            level = r["level"]
            est = {}
            for m in models:
                hr, lo, hi = r.get(f"hr_{m}"), r.get(f"lower_{m}"), r.get(f"upper_{m}")
                if hr is not None:
                    est[m] = (hr, lo, hi)
            rows.append({
                "kind": "level" if categorical else "term",
                "label": (labels.get((term, level), level_label(term, level, site=site))
                          if categorical else f"{name} ({TERM_UNITS.get(term, 'per unit')})"),
                "term": term, "level": level, "reference": bool(r.get("reference")),
                "estimates": est,
            })
    return rows


def hr_text(hr, lo, hi, reference: bool) -> str:
    """``2.33 (1.80-3.01)``; the reference level reads ``1 (reference)``.

    >>> hr_text(2.3312, 1.8, 3.0123, False), hr_text(1.0, None, None, True)
    ('2.33 (1.80-3.01)', '1 (reference)')
    """
    if reference:
        return "1 (reference)"
    if hr is None or lo is None or hi is None:
        return ""
    return f"{hr:.2f} ({lo:.2f}-{hi:.2f})"


def _limits(rows: list[dict]) -> tuple[float, float]:
    values = [1.0]
    for r in rows:
        for hr, lo, hi in r.get("estimates", {}).values():
            values += [v for v in (hr, lo, hi) if v is not None and np.isfinite(v) and v > 0]
    lo, hi = min(values), max(values)
    return lo / 1.25, hi * 1.25


def _ticks(lo: float, hi: float) -> list[float]:
    """Log-axis ticks inside [lo, hi]: the coarsest set with 4 or more.

    >>> _ticks(0.8, 3.04)
    [1, 1.5, 2, 3]
    >>> _ticks(0.4, 20)
    [0.5, 1, 2, 5, 10, 20]
    """
    best = [1]
    for ticks in TICK_SETS:
        inside = [t for t in ticks if lo <= t <= hi]
        if len(inside) >= 4:
            return inside
        if len(inside) > len(best):
            best = inside
    return best


def _models(wide: pl.DataFrame, model) -> list[str]:
    available = models_of(wide)
    if model == "both":
        return [m for m in ("univariable", "adjusted") if m in available] or available
    chosen = [model] if isinstance(model, str) else list(model)
    if not chosen or not set(chosen) <= set(available):
        raise ValueError(f"model must be 'both' or one or more of {', '.join(available)}, "
                         f"got {model!r}")
    return chosen


def _colors(models: list[str], palette) -> dict[str, str]:
    """The main model (adjusted, subdistribution) in the first colour, its
    companion grey."""
    main = [m for m in models if MARKERS.get(m, ("s", True))[1]]
    order = main + [m for m in models if m not in main]
    return dict(zip(order, list(palette or [COLORS[0], "#666666", *COLORS[1:]]), strict=False))


def _new_figure(size, rows, fontsize, label_w, col_w, table, title):
    """A figure whose height follows the rows; the text columns are dropped
    when they would leave the panel less than 1.2 in."""
    width = width_of(size)
    right = sum(col_w.values()) + 0.08 if table else 0.15
    if table and width - label_w - right < 1.2:
        table, right = False, 0.15
    top = (2.2 + (1.5 if title else 0)) * fontsize / PT + 0.08
    bottom = (2.45 * fontsize + 9) / PT + 0.04
    row_h = 1.65 * fontsize / PT
    height = size[1] if not isinstance(size, str) else top + bottom + len(rows) * row_h
    fig = new_figure(width, height)
    ax = fig.add_axes([label_w / width, bottom / height, (width - label_w - right) / width,
                       (height - top - bottom) / height])
    return fig, ax, table


def _draw_rows(ax, rows, models, colors, offsets, limits, label_w, fontsize) -> None:
    """Row labels left of the panel; each model's estimate and interval."""
    lo_lim, hi_lim = limits
    n = len(rows)
    for i, r in enumerate(rows):
        y = n - 1 - i
        heading = r["kind"] == "heading"
        indent = 8 if r["kind"] == "level" else 0
        ax.annotate(r["label"], xy=(0, y), xycoords=("axes fraction", "data"),
                    xytext=(-label_w * PT + 4 + indent, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=fontsize - 0.5,
                    fontweight="bold" if heading else "normal", gid=f"row:{i}")
        if heading:
            continue
        for m in models:
            if m not in r["estimates"]:
                continue
            hr, lo, hi = r["estimates"][m]
            yy = y + offsets[m]
            gid = f"{m}:{r['term']}:{r['level'] if r['level'] is not None else ''}"
            marker, filled = MARKERS.get(m, ("D", True))
            if r["reference"]:
                ax.plot([1.0], [yy], ls="none", marker=marker, ms=0.5 * fontsize,
                        mfc="white", mec=colors[m], mew=0.8, gid=f"hr:{gid}")
                continue
            lo_d = max(lo, lo_lim) if lo is not None and np.isfinite(lo) else lo_lim
            hi_d = min(hi, hi_lim) if hi is not None and np.isfinite(hi) else hi_lim
            ax.plot([lo_d, hi_d], [yy, yy], color=colors[m], lw=0.9, gid=f"hr_ci:{gid}",
                    solid_capstyle="butt")
            ax.plot([hr], [yy], ls="none", marker=marker, ms=0.55 * fontsize,
                    mfc=colors[m] if filled else "white", mec=colors[m], mew=0.9,
                    gid=f"hr:{gid}")


def _style(ax, n, limits, xlabel, fontsize) -> None:
    ax.axvline(1.0, color="#888888", lw=0.7, ls="--", zorder=0)
    ax.set_xscale("log")
    ax.set_xlim(*limits)
    ticks = _ticks(*limits)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks([])
    ax.set_xlabel(xlabel, fontsize=fontsize, labelpad=3)
    ax.tick_params(labelsize=fontsize - 0.5, length=2.5, width=0.6, pad=2)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_linewidth(0.6)


def _text_columns(ax, n, models, texts, heads, col_w, colors, fontsize) -> None:
    """Each model's HR (95% CI) right of the panel, under its name."""
    x = 4.0
    for m in models:
        ax.annotate(heads[m], xy=(1, n - 0.4), xycoords=("axes fraction", "data"),
                    xytext=(x, 2), textcoords="offset points", ha="left", va="bottom",
                    fontsize=fontsize - 0.5, fontweight="bold")
        for i, text in enumerate(texts[m]):
            if text:
                ax.annotate(text, xy=(1, n - 1 - i), xycoords=("axes fraction", "data"),
                            xytext=(x, 0), textcoords="offset points", ha="left",
                            va="center", fontsize=fontsize - 0.5, color=colors[m],
                            gid=f"hr_text:{m}:{i}")
        x += col_w[m] * PT


def _legend(ax, models, colors, fontsize) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="none", marker=MARKERS.get(m, ("D", True))[0],
                      mfc=colors[m] if MARKERS.get(m, ("D", True))[1] else "white",
                      mec=colors[m], ms=0.55 * fontsize) for m in models]
    ax.legend(handles, [MODEL_NAMES.get(m, m) for m in models], loc="lower left",
              bbox_to_anchor=(0, 1.0), ncol=len(models), frameon=False,
              fontsize=fontsize - 0.5, borderaxespad=0.2, handletextpad=0.3, columnspacing=1.0)


def forest(result, *, ax=None, model="both", table: bool = True, labels=None,
           palette=None, size="single", title: str | None = None,
           xlabel: str = "Hazard ratio (95% CI), log scale"):
    """A forest plot of a Cox result (univariable and adjusted hazard ratios).

    Parameters
    ----------
    result
        A :class:`cohort.survival.CoxResult`, or any result whose
        ``forest_table()`` or ``table_`` has ``term``, ``level``, ``reference``
        and ``hr_/lower_/upper_<model>`` (Fine-Gray, competing hazards,
        excess hazards).
    model
        ``"both"`` (default: univariable and adjusted), one model's name
        (``"adjusted"``) or a list of them (a competing-risks result has
        ``cs_cancer``, ``sd_cancer``, ``cs_other``, ``sd_other``).
    table
        Print each model's HR (95% CI) right of the panel (left out when the
        figure is too narrow to leave the panel 1.2 in).
    labels
        ``{term: name}`` and ``{(term, level): name}`` for the row labels
        (default: the variables' names and the codes' labels, ``sex`` 2 ->
        female).
    palette
        Colours of the models (the main model first).
    size
        ``"single"``, ``"double"`` or ``(width, height)`` inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    wide = result.forest_table() if hasattr(result, "forest_table") else \
        result.table_ if hasattr(result, "table_") else result
    models = _models(wide, model)
    rows = forest_rows(wide, models, labels, site=getattr(result, "site", None))
    colors = _colors(models, palette)
    fontsize = font_size(size) if ax is None else 8.0
    texts = {m: [hr_text(*r["estimates"].get(m, (None, None, None)), r["reference"])
                 if r["kind"] != "heading" else "" for r in rows] for m in models}
    heads = {m: MODEL_NAMES.get(m, m) for m in models}
    col_w = {m: max([text_width(t, fontsize - 0.5) for t in texts[m]]
                    + [text_width(heads[m], fontsize - 0.5, bold=True)]) / PT + 0.12
             for m in models}
    label_w = max(text_width(r["label"], fontsize - 0.5) + (8 if r["kind"] == "level" else 0)
                  for r in rows) / PT + 0.1
    if ax is None:
        fig, ax, table = _new_figure(size, rows, fontsize, label_w, col_w, table, title)
    else:
        fig = ax.figure
    spread = np.linspace(0.17, -0.17, len(models)) if len(models) > 1 else [0.0]
    offsets = dict(zip(models, spread, strict=True))
    limits = _limits(rows)
    _draw_rows(ax, rows, models, colors, offsets, limits, label_w, fontsize)
    _style(ax, len(rows), limits, xlabel, fontsize)
    if table:
        _text_columns(ax, len(rows), models, texts, heads, col_w, colors, fontsize)
    if len(models) > 1:
        _legend(ax, models, colors, fontsize)
    if title:
        ax.set_title(title, fontsize=fontsize + 1, loc="left",
                     pad=4 + (2.2 * fontsize if len(models) > 1 else 0))
    return fig
