"""Table 1: characteristics of the eligible cases by group."""

from __future__ import annotations

import polars as pl

from cohort.report import draw
from cohort.report.common import count_text


def table1_page(pages, s, spec, label, site, params):
    t = spec.threshold
    g = spec.group
    where = "exclusion_reason is null" + (" and site_group = ?" if site else "")
    df = s.sql(
        f"select {g}::varchar as grp, {g} as ord, count(*) as n, "
        "median(age_at_dx) as age_med, quantile_cont(age_at_dx, 0.25) as age_q1, "
        "quantile_cont(age_at_dx, 0.75) as age_q3, "
        "count(*) filter (where sex = '2') as female, "
        "count(*) filter (where sex = '1') as male, "
        "min(dx_year) as y0, max(dx_year) as y1, "
        "median(nodes_examined) as ex_med, quantile_cont(nodes_examined, 0.25) as ex_q1, "
        "quantile_cont(nodes_examined, 0.75) as ex_q3, count(nodes_examined) as ex_n, "
        "median(lnr) as lnr_med, quantile_cont(lnr, 0.25) as lnr_q1, "
        "quantile_cont(lnr, 0.75) as lnr_q3, count(lnr) as lnr_n, "
        "count(*) filter (where ene = 'present') as ene_present, "
        "count(*) filter (where ene = 'absent') as ene_absent, "
        "count(*) filter (where ene in ('present', 'absent')) as ene_known, "
        "count(summary_stage_2018) as stage_n, "
        "count(*) filter (where adequate_exam) as adequate "
        f"from __report where {where} group by all order by ord", params,
    )

    def pct(k: int, n: int) -> str:
        if 0 < k < t:
            return f"<{t}"
        return f"{k:,} ({100 * k / n:.0f}%)" if n else "0"

    def iqr(m, a, b, d=0) -> str:
        return "NA" if m is None else f"{m:.{d}f} ({a:.{d}f}-{b:.{d}f})"

    rows = {
        "cases, n": lambda r: count_text(r["n"], t),
        "age, median (IQR)": lambda r: iqr(r["age_med"], r["age_q1"], r["age_q3"]),
        "female, n (%)": lambda r: pct(r["female"], r["n"]),
        "male, n (%)": lambda r: pct(r["male"], r["n"]),
        "years of diagnosis": lambda r: f"{r['y0']}-{r['y1']}" if r["y0"] else "NA",
        "nodes examined known, n (%)": lambda r: pct(r["ex_n"], r["n"]),
        "nodes examined, median (IQR)": lambda r: iqr(r["ex_med"], r["ex_q1"], r["ex_q3"]),
        "adequate examination, n (%)": lambda r: pct(r["adequate"], r["n"]),
        "LNR, median (IQR)": lambda r: iqr(r["lnr_med"], r["lnr_q1"], r["lnr_q3"], 2),
        "ENE present, n (% of known)": lambda r: pct(r["ene_present"], r["ene_known"]),
        "ENE absent, n (% of known)": lambda r: pct(r["ene_absent"], r["ene_known"]),
        "summary stage 2018 recorded, n (%)": lambda r: pct(r["stage_n"], r["n"]),
    }
    groups = [r for r in df.iter_rows(named=True)]
    table = {"characteristic": list(rows)}
    for r in groups:
        small = r["n"] < t
        table[r["grp"]] = [
            (f(r) if not small or name == "cases, n" else "—") for name, f in rows.items()
        ]
    fig = draw.page(f"{label.capitalize()}: characteristics by {g}",
                    "Table 1. Eligible cases; IQR = interquartile range; LNR = lymph node "
                    "ratio; ENE = extranodal extension")
    tab = pl.DataFrame(table)
    widths = [0.28] + [0.72 / max(1, len(groups))] * len(groups)
    draw.table(fig.add_axes([0.07, 0.88 - 0.035 * (len(rows) + 1), 0.86,
                             0.035 * (len(rows) + 1)]), tab,
               fontsize=6.5 if len(groups) <= 6 else 5.5, col_widths=widths)
    draw.note(fig, 0.88 - 0.035 * (len(rows) + 1) - 0.02,
              f"Counts below {t} are shown as <{t} and their percentages are withheld; columns of "
              f"groups with fewer than {t} cases show only the (suppressed) count.")
    pages.add(fig, f"{site}_table1")
