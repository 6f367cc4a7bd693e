"""Table 1: characteristics of the eligible cases by group."""

from __future__ import annotations

import polars as pl

from cohort.disclosure import COMPLEMENT, Table, cell_text, protect
from cohort.report import draw


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

    groups = [r for r in df.iter_rows(named=True)]
    status = _protect(groups, t)

    def count(r, key) -> str:
        return cell_text(r[key], status.get((r["grp"], key)), t)

    def pct(r, key: str, of: str) -> str:
        k, n = r[key], r[of]
        if status.get((r["grp"], key)) or not n:
            return count(r, key) if n else "0"
        if status.get((r["grp"], of)):  # a hidden denominator: no percentage
            return f"{k:,}"
        return f"{k:,} ({100 * k / n:.0f}%)"

    def iqr(m, a, b, d=0) -> str:
        return "NA" if m is None else f"{m:.{d}f} ({a:.{d}f}-{b:.{d}f})"

    rows = {
        "cases, n": lambda r: count(r, "n"),
        "age, median (IQR)": lambda r: iqr(r["age_med"], r["age_q1"], r["age_q3"]),
        "female, n (%)": lambda r: pct(r, "female", "n"),
        "male, n (%)": lambda r: pct(r, "male", "n"),
        "years of diagnosis": lambda r: f"{r['y0']}-{r['y1']}" if r["y0"] else "NA",
        "nodes examined known, n (%)": lambda r: pct(r, "ex_n", "n"),
        "nodes examined, median (IQR)": lambda r: iqr(r["ex_med"], r["ex_q1"], r["ex_q3"]),
        "adequate examination, n (%)": lambda r: pct(r, "adequate", "n"),
        "LNR, median (IQR)": lambda r: iqr(r["lnr_med"], r["lnr_q1"], r["lnr_q3"], 2),
        "ENE present, n (% of known)": lambda r: pct(r, "ene_present", "ene_known"),
        "ENE absent, n (% of known)": lambda r: pct(r, "ene_absent", "ene_known"),
        "summary stage 2018 recorded, n (%)": lambda r: pct(r, "stage_n", "n"),
    }
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
              f"groups with fewer than {t} cases show only the (suppressed) count. {COMPLEMENT}: "
              f"suppressed as well, so that no count below {t} can be worked out from the "
              "totals (complementary suppression); percentages of a suppressed count or "
              "denominator are withheld.")
    pages.add(fig, f"{site}_table1")


def _protect(groups: list[dict], t: int) -> dict:
    """Which Table 1 counts to hide (cohort.disclosure.protect): per group,
    female + male + other sex = n (the other-sex count taken as known to a
    reader, who would otherwise assume it is 0) and ENE present + absent =
    ENE known (revealed by the percentages); the counts of examined nodes,
    adequate examinations and stage within n; and the groups' n adding up
    to the cohort size, which the Kaplan-Meier page prints."""
    values, known, sums, at_most = {}, {}, [], []
    for r in groups:
        g = r["grp"]
        values[(g, "n")] = r["n"]
        if r["n"] < t:  # a column printed as its count only
            continue
        for key in ("female", "male", "ex_n", "adequate", "ene_present", "ene_absent",
                    "ene_known", "stage_n"):
            values[(g, key)] = r[key]
        known[(g, "other_sex")] = r["n"] - r["female"] - r["male"]
        sums.append(((g, "n"), [(g, "female"), (g, "male"), (g, "other_sex")]))
        sums.append(((g, "ene_known"), [(g, "ene_present"), (g, "ene_absent")]))
        at_most += [((g, "ex_n"), (g, "n")), ((g, "adequate"), (g, "ex_n")),
                    ((g, "stage_n"), (g, "n"))]
    values[("all", "n")] = sum(r["n"] for r in groups)
    sums.append((("all", "n"), [(r["grp"], "n") for r in groups]))
    return protect(Table(values, sums=sums, known=known, at_most=at_most), threshold=t)
