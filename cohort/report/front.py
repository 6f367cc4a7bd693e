"""Front matter: the cover (inputs, methods, software) and the attrition page."""

from __future__ import annotations

import platform
from pathlib import Path

import polars as pl

from cohort.disclosure import (
    COMPLEMENT,
    SECONDARY,
    Table,
    cell_text,
    protect,
    protect_file_counts,
)
from cohort.report import draw
from cohort.report.common import pkg_version


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
    replaced = loads.filter(pl.col("in_force") == 0).height
    fig.text(0.07, y, "Extract files" + (
        f" (in force: records not replaced by a newer submission; {replaced} file(s) wholly "
        "superseded)" if replaced else " (all in force)"), fontsize=8.5, fontweight="bold",
             va="top")
    ax = fig.add_axes([0.07, max(0.08, y - 0.03 - 0.022 * (loads.height + 1)), 0.86,
                       0.022 * (loads.height + 1)])
    shown = loads.select(
        pl.col("file_name").alias("file"),
        pl.col("sha256").alias("SHA-256"),
        pl.col("rows_read").alias("read"),
        pl.col("rows_loaded").alias("loaded"),
        pl.col("rows_rejected").alias("rejected"),
        pl.col("in_force").alias("in force"),
    )
    draw.table(ax, protect_file_counts(shown, threshold=pages.spec.threshold),
               fontsize=6, col_widths=[0.2, 0.48, 0.08, 0.08, 0.08, 0.08])
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
    status = _protect_attrition(total, att["n"].to_list(), t)

    def text(key, value) -> str:
        return cell_text(value, status.get(key), t)

    rows = [{"step": "records in the cohort", "records": text("in", total), "remaining": ""}]
    remaining = total
    steps = [("records in", f"records in the cohort\nn = {text('in', total)}")]
    for i, r in enumerate(att.iter_rows(named=True)):
        remaining -= r["n"]
        rows.append({"step": f"excluded: {r['reason']}", "records": text(("out", i), r["n"]),
                     "remaining": text(("left", i), remaining)})
        steps.append((f"excluded: {r['reason']}", f"n = {text(('out', i), r['n'])}"))
    last = ("left", att.height - 1) if att.height else "in"
    rows.append({"step": "analysed", "records": text(last, analysed), "remaining": ""})
    draw.table(fig.add_axes([0.07, 0.62, 0.86, 0.26]), pl.DataFrame(rows),
               col_widths=[0.6, 0.2, 0.2])
    if analysed == 0 and base is not None:  # one line: why nothing follows
        draw.note(fig, 0.605, f"No survival analysis: {base.empty_message()}.", size=8)
    draw.flow(fig.add_axes([0.07, 0.08, 0.86, 0.5]), steps,
              f"analysed\nn = {text(last, analysed)}")
    if any(v == SECONDARY for v in status.values()):
        draw.note(fig, 0.06, f"{COMPLEMENT}: suppressed as well, so that no count below {t} can "
                  "be worked out from the counts before and after it (complementary "
                  "suppression).")
    pages.add(fig, "attrition")


def _protect_attrition(total: int, excluded: list[int], t: int) -> dict:
    """Hidden counts of the attrition table: every step's remaining count is
    the one before it less the step's exclusions (cohort.disclosure.protect)."""
    values = {"in": total}
    sums = []
    before = "in"
    remaining = total
    for i, n in enumerate(excluded):
        remaining -= n
        values[("out", i)] = n
        values[("left", i)] = remaining
        sums.append((before, [("out", i), ("left", i)]))
        before = ("left", i)
    return protect(Table(values, sums=sums), threshold=t)
