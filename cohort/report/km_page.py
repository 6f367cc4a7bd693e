"""The Kaplan-Meier page: curves with numbers at risk, tests and the survival table."""

from __future__ import annotations

import numpy as np
import polars as pl

from cohort.disclosure import COMPLEMENT
from cohort.report import draw
from cohort.report.common import count_text, p_phrase, time_ticks


def km_page(pages, spec, label, site, km, values):
    t = spec.threshold
    end = max(spec.times)
    ticks = time_ticks(end)
    curves, at_risk, hidden = {}, {}, []
    summary = km.summary(suppress_below=t)
    # a group whose n is hidden beside the printed total (complementary
    # suppression) keeps it hidden in the numbers at risk too
    masked = {r["group"] for r in summary.iter_rows(named=True) if r["n"] == COMPLEMENT}
    for g, est in km.km_.groups_.items():
        if est.n < t:
            hidden.append(g)
            continue
        f = est.fitter
        sf = f.survival_function_.iloc[:, 0]
        ci = f.confidence_interval_survival_function_
        keep = sf.index.to_numpy() <= end
        times = sf.index.to_numpy()[keep]
        censored = est.times[(est.n_at_time - est.d_at_time) > 0]
        censored = censored[censored <= end]
        curves[g] = (times, sf.to_numpy()[keep], ci.iloc[:, 0].to_numpy()[keep],
                     ci.iloc[:, 1].to_numpy()[keep], censored,
                     f.survival_function_at_times(censored).to_numpy() if len(censored)
                     else np.array([]))
        at_risk[g] = [COMPLEMENT if g in masked and est.at_risk(x) == est.n
                      else count_text(est.at_risk(x), t) for x in ticks]
        values.setdefault("at_risk", {})[g] = dict(zip(ticks, at_risk[g], strict=True))
    tests = km.tests_.rows_by_key("test", named=True, unique=True)
    subtitle = (f"{'Overall' if spec.event == 'event' else 'Cause-specific'} survival by "
                f"{spec.group}; {km.records:,} cases" if km.records >= t else "")
    fig = draw.page(f"{label.capitalize()}: Kaplan-Meier survival", subtitle)
    ax = fig.add_axes([0.14, 0.5, 0.79, 0.39])
    risk = fig.add_axes([0.14, 0.335, 0.79, 0.115])
    if curves:
        draw.km_curves(ax, risk, curves, at_risk, ticks, xlabel="Months since diagnosis")
    lr = tests.get("log-rank")
    tr = tests.get("log-rank for trend")
    ptxt = []
    if lr:
        ptxt.append(f"log-rank chi2 = {lr['chisq']:.2f}, df = {lr['df']}, {p_phrase(lr['p'])}")
    if tr:
        ptxt.append(f"trend chi2 = {tr['chisq']:.2f}, df = 1, {p_phrase(tr['p'])}")
    if ptxt:
        ax.text(0.99, 0.02, "\n".join(ptxt), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=7.5, bbox=dict(fc="white", ec="#cccccc", lw=0.5))
    if hidden:
        summary = summary.filter(~pl.col("group").is_in(hidden))
    if pages.figures_dir is not None:
        out = pages.figures_dir / f"{site or 'all'}_survival.csv"
        summary.write_csv(out)
        pages.tables.append(out)
    widths = [0.1, 0.07, 0.07, 0.17] + [0.59 / max(1, len(spec.times))] * len(spec.times)
    draw.table(fig.add_axes([0.07, 0.1, 0.86, min(0.2, 0.025 * (summary.height + 1))]),
               summary, fontsize=6.5, col_widths=widths)
    notes = ["Shaded: 95% CI (log-log). |: censored. Number at risk: alive and followed just "
             "before each time."]
    if hidden:
        notes.append(f"Groups with fewer than {t} cases not drawn: {', '.join(hidden)}.")
    if km.unknown_event:
        notes.append(f"{km.unknown_event:,} eligible cases with unknown {spec.event} left out.")
    draw.note(fig, 0.085, " ".join(notes))
    values["medians"] = {r["group"]: r["median"] for r in km.medians_.iter_rows(named=True)}
    values["survival"] = {
        (r["group"], r["time"]): r["survival"] for r in km.estimates_.iter_rows(named=True)
    }
    values["group_n"] = {g: e.n for g, e in km.km_.groups_.items()}
    values["hidden"] = hidden
    pages.add(fig, f"{site}_km")
