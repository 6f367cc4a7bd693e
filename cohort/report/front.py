"""Front matter: the cover (inputs, methods, software) and the attrition page."""

from __future__ import annotations

import platform
from pathlib import Path

import polars as pl

from cohort.disclosure import suppress
from cohort.report import draw
from cohort.report.common import count_text, pkg_version


def cover_page(pages, s, spec, base, loads, data_date):
    fig = draw.page(spec.title, "Survival by lymph-node burden from the registry database "
                    f"{s.path.name}")
    lines = [
        ("Cohort (SQL)", base.sql),
        ("Grouping", spec.group),
        ("Event", "death from any cause" if spec.event == "event"
         else "death from this cancer (SEER cause-specific classification)"),
        ("Times reported", ", ".join(f"{t} months" for t in spec.times)),
        ("Follow-up", "completed months: a case with m survival months leaves at m + 0.5, so "
         "S(12) counts deaths in months 0-11 (SEER*Stat's convention)"
         if spec.time_convention == "completed" else
         "exact months: a case with m survival months leaves at m (as R on raw months)"),
        ("Date of the data", f"loaded {data_date:%Y-%m-%d %H:%M}" if data_date else "no loads"),
        ("Specification", Path(spec.source).name),
        ("Disclosure control", f"every count below {spec.threshold} is printed as "
         f"<{spec.threshold}, in tables and in the numbers at risk; groups with fewer than "
         f"{spec.threshold} cases are drawn without curves or estimates, and percentages of "
         "suppressed counts are not shown"),
        ("Methods", "Kaplan-Meier with 95% log-log CIs (R conf.type='log-log'), medians by "
         "R's rule; log-rank and log-rank for trend over the ordered node categories (NX and "
         "N1 NOS not scored); Cox proportional hazards with Efron ties, fitted exactly to "
         "collapsed counts; Aalen-Johansen cumulative incidence; net survival (Pohar Perme)"),
        ("Software", ", ".join(
            f"{pkg} {pkg_version(pkg)}" for pkg in
            ("cohort", "duckdb", "polars", "lifelines", "matplotlib", "numpy", "pyarrow"))
         + f", Python {platform.python_version()}"),
    ]
    y = 0.88
    for label, text in lines:
        fig.text(0.07, y, label, fontsize=8.5, fontweight="bold", va="top")
        t = fig.text(0.30, y, text, fontsize=8, va="top", wrap=True)
        t._get_wrap_line_width = lambda: 0.63 * fig.get_figwidth() * fig.dpi
        y -= 0.028 * (1 + len(text) // 95)
    y -= 0.01
    fig.text(0.07, y, "Extract files", fontsize=8.5, fontweight="bold", va="top")
    ax = fig.add_axes([0.07, max(0.08, y - 0.03 - 0.022 * (loads.height + 1)), 0.86,
                       0.022 * (loads.height + 1)])
    shown = loads.select(
        pl.col("file_name").alias("file"),
        pl.col("sha256").alias("SHA-256"),
        pl.col("rows_read").alias("read"),
        pl.col("rows_loaded").alias("loaded"),
        pl.col("rows_rejected").alias("rejected"),
    )
    draw.table(ax, suppress(shown, ["read", "loaded", "rejected"], threshold=pages.spec.threshold),
               fontsize=6, col_widths=[0.2, 0.56, 0.08, 0.08, 0.08])
    pages.add(fig, "cover")


def attrition_page(pages, s, spec, base=None):
    att = s.sql(
        "with c as (select exclusion_step, exclusion_reason, count(*) as n from __report "
        "group by all) select step, reason, coalesce(n, 0) as n from exclusion_rules "
        "left join c on c.exclusion_step = exclusion_rules.step order by step"
    )
    total = int(s.sql("select count(*) as n from __report")["n"].item())
    analysed = int(s.sql("select count(*) as n from __report where exclusion_reason is null")[
        "n"].item())
    fig = draw.page("Cohort attrition", "Records in the cohort definition, each exclusion in the "
                    "order applied, records analysed (records in = analysed + excluded)")
    t = spec.threshold
    rows = [{"step": "records in the cohort", "records": count_text(total, t), "remaining": ""}]
    remaining = total
    steps = [("records in", f"records in the cohort\nn = {count_text(total, t)}")]
    for r in att.iter_rows(named=True):
        remaining -= r["n"]
        rows.append({"step": f"excluded: {r['reason']}", "records": count_text(r["n"], t),
                     "remaining": count_text(remaining, t)})
        steps.append((f"excluded: {r['reason']}", f"n = {count_text(r['n'], t)}"))
    rows.append({"step": "analysed", "records": count_text(analysed, t), "remaining": ""})
    draw.table(fig.add_axes([0.07, 0.62, 0.86, 0.26]), pl.DataFrame(rows),
               col_widths=[0.6, 0.2, 0.2])
    if analysed == 0 and base is not None:  # one line: why nothing follows
        draw.note(fig, 0.605, f"No survival analysis: {base.empty_message()}.", size=8)
    draw.flow(fig.add_axes([0.07, 0.08, 0.86, 0.5]), steps,
              f"analysed\nn = {count_text(analysed, t)}")
    pages.add(fig, "attrition")
