"""Table 1: characteristics of the eligible cases by group (cohort.table1, the
same table as ``Cohort.table1()`` and ``cohort table1``)."""

from __future__ import annotations

from cohort.labels import label_values
from cohort.report import draw
from cohort.report.common import site_cohort
from cohort.table1 import Table1Error, left_out, paper_layout


def table1_page(pages, s, spec, label, site, params):
    t = spec.threshold
    g = spec.group
    cohort = site_cohort(s, site)
    fig = draw.page(f"{label.capitalize()}: characteristics by {g}",
                    "Table 1. Eligible cases; median (IQR) or n (% of known values); "
                    "p-values: Pearson's chi-squared (categorical), Kruskal-Wallis (continuous)")
    try:
        table = paper_layout(cohort.table1(by=g, tests=True, suppress_below=t, site=site))
    except Table1Error as exc:
        draw.note(fig, 0.85, f"No Table 1 for this site group: {exc}", size=10)
        pages.add(fig, f"{site}_table1")
        return
    table = table.drop("test").rename({"p-value": "p"})
    # headers on two or three lines: the group's code, its label, its N
    # ("N1 NOS", "(count unknown)", "N = 17")
    table = table.rename({c: c.replace(" (N = ", "\nN = ").removesuffix(")").replace(" (", "\n(", 1)
                          for c in table.columns if " (N = " in c})
    groups = table.width - 2
    row_h = min(0.026, 0.78 / (table.height + 1.5))
    h = row_h * (table.height + 1)
    widths = [0.27] + [0.66 / groups] * groups + [0.07]
    draw.table(fig.add_axes([0.07, 0.885 - h, 0.86, h]), table, fontsize=6.5,
               col_widths=widths)
    small = label_values(g, left_out(cohort, g, suppress_below=t), site=site)
    draw.note(fig, 0.885 - h - 0.015, " ".join([
        f"Counts below {t} are shown as <{t} and their percentages withheld; \u2013 marks a "
        f"count withheld so that none below {t} can be recovered by subtraction from a total.",
        *([f"Left out (fewer than {t} cases, not counted in Overall): {', '.join(small)}."]
          if small else []),
        "Quartiles as R's quantile(type = 2); Unknown: missing values."]))
    pages.add(fig, f"{site}_table1")

