"""Drawing: pages, tables, Kaplan-Meier curves with numbers at risk, forest
plots, cumulative incidence, the attrition flow. All take ``ax`` and draw on
it (lifelines' plotting habit); nothing here computes statistics."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

A4 = (8.27, 11.69)
COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
          "#1f78b4", "#666666", "#b2df8a", "#fb9a99", "#cab2d6", "#000000"]
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


def note(fig: Figure, y: float, text: str, size: float = 7) -> None:
    fig.text(0.07, y, text, fontsize=size, color="#333333", va="top", wrap=True)


def table(ax, df: pl.DataFrame, *, fontsize: float = FONT, col_widths=None, title: str = ""):
    """Draw a DataFrame as a table filling ``ax``; every value as text."""
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1.5, loc="left", fontweight="bold")
    if df.height == 0:
        ax.text(0, 0.5, "no rows", fontsize=fontsize)
        return ax
    cells = [["" if v is None else str(v) for v in row] for row in df.rows()]
    t = ax.table(cellText=cells, colLabels=list(df.columns), loc="upper left",
                 cellLoc="left", colLoc="left", colWidths=col_widths, bbox=[0, 0, 1, 1])
    t.auto_set_font_size(False)
    t.set_fontsize(fontsize)
    for (r, _c), cell in t.get_celld().items():
        cell.set_linewidth(0.3)
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#eeeeee")
    return ax


def km_curves(ax, risk_ax, curves: dict, at_risk: dict, ticks: list[float],
              *, xlabel: str, ylabel: str = "Survival probability",
              short: dict | None = None):
    """Step curves with 95% CI bands and censor marks; the numbers-at-risk
    table in ``risk_ax`` sharing the time axis, one row per group.

    ``curves[group] = (times, surv, lower, upper, censor_times, censor_surv)``;
    ``at_risk[group] = [text at each tick]`` (already suppressed); ``short``
    gives the risk table a short name of a group whose legend label is long.
    """
    for i, (label, (t, s, lo, hi, ct, cs)) in enumerate(curves.items()):
        color = COLORS[i % len(COLORS)]
        ax.step(t, s, where="post", color=color, lw=1.4, label=label)
        ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.15, lw=0)
        if len(ct):
            ax.plot(ct, cs, "|", color=color, ms=4, mew=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, max(ticks) if ticks else None)
    ax.set_xticks(ticks)
    ax.set_xlabel(xlabel, fontsize=FONT + 1)
    ax.set_ylabel(ylabel, fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    ax.grid(alpha=0.25, lw=0.5)
    ax.legend(fontsize=FONT, frameon=False, loc="lower left", ncol=2)
    # numbers at risk: same x axis, text at the tick positions
    risk_ax.set_xlim(ax.get_xlim())
    risk_ax.set_ylim(-0.5, max(len(at_risk), 1) - 0.5)
    risk_ax.set_xticks([])
    risk_ax.tick_params(axis="y", labelsize=FONT, pad=22)
    risk_ax.set_yticks(range(len(at_risk)))
    risk_ax.set_yticklabels([(short or {}).get(g, g) for g in list(at_risk)[::-1]],
                            fontsize=FONT)
    for i, (label, values) in enumerate(at_risk.items()):
        y = len(at_risk) - 1 - i
        color = COLORS[list(curves).index(label) % len(COLORS)] if label in curves else "#777777"
        risk_ax.get_yticklabels()[y].set_color(color)
        for x, v in zip(ticks, values, strict=True):
            risk_ax.text(x, y, v, ha="center", va="center", fontsize=FONT - 0.5)
    for side in ("top", "right", "left", "bottom"):
        risk_ax.spines[side].set_visible(False)
    risk_ax.tick_params(axis="y", length=0)
    risk_ax.set_title("Number at risk", fontsize=FONT, loc="left")


def forest(ax, rows: list[dict], *, title: str = "",
           xlabel: str = "Hazard ratio (log scale), adjusted, 95% CI"):
    """Hazard ratios with 95% CIs on a log axis; reference rows at 1."""
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows, strict=True):
        if r["reference"]:
            ax.plot([1], [yi], "s", color="#999999", ms=4)
        else:
            ax.plot([r["lower"], r["upper"]], [yi, yi], color="#333333", lw=1)
            ax.plot([r["hr"]], [yi], "s", color="#1b9e77", ms=5)
    ax.axvline(1, color="#999999", lw=0.8, ls="--")
    ax.set_xscale("log")
    lo = min([r["lower"] for r in rows if not r["reference"]] + [1.0])
    hi = max([r["upper"] for r in rows if not r["reference"]] + [1.0])
    ticks = [x for x in (0.1, 0.2, 0.5, 1, 2, 4, 8, 16, 32) if lo / 1.5 <= x <= hi * 1.5]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{x:g}" for x in ticks])
    ax.minorticks_off()
    ax.set_yticks(y)
    ax.set_yticklabels([r["label"] for r in rows], fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    ax.set_xlabel(xlabel, fontsize=FONT + 1)
    ax.grid(axis="x", alpha=0.25, lw=0.5)
    if title:
        ax.set_title(title, fontsize=FONT + 2, loc="left")


def cif_curves(ax, curves: dict, ticks: list[float], *, xlabel: str):
    """Cumulative incidence by group: solid cancer death, dashed other death."""
    for i, (label, (t, cancer, other)) in enumerate(curves.items()):
        color = COLORS[i % len(COLORS)]
        ax.step(t, cancer, where="post", color=color, lw=1.4, label=label)
        ax.step(t, other, where="post", color=color, lw=1.1, ls="--")
    ax.set_xlim(0, max(ticks))
    ax.set_xticks(ticks)
    ax.set_ylim(0, None)
    ax.set_xlabel(xlabel, fontsize=FONT + 1)
    ax.set_ylabel("Cumulative incidence", fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    ax.grid(alpha=0.25, lw=0.5)
    ax.legend(fontsize=FONT, frameon=False, loc="upper left", ncol=3,
              title="solid: cancer death · dashed: other death", title_fontsize=FONT)


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
        ax.annotate("", xy=(0.3, ys[i + 1] + 0.025),
                    xytext=(0.3, ys[i - 1 if i > 1 else 0] - 0.025),
                    arrowprops=dict(arrowstyle="-|>", color="#888888", lw=0.6))
        ax.annotate("", xy=(0.58, ys[i]), xytext=(0.3, ys[i]),
                    arrowprops=dict(arrowstyle="-|>", color="#d9a066", lw=0.6))
        ax.text(0.6, ys[i], f"{label}\n{text}", ha="left", va="center", fontsize=FONT - 0.5,
                bbox=side)
    ax.text(0.3, ys[-1], final, ha="center", va="center", fontsize=FONT, bbox=box,
            fontweight="bold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
