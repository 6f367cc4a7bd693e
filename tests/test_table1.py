"""Table 1 (Cohort.table1 / cohort table1): the numbers against a typed-in cohort
computed in R (tests/fixtures/r/table1.R), against cohort sql counts, and the
disclosure rule: no count below the threshold printed or recoverable by subtraction."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from helpers import HEADER, record
from hypothesis import given, settings
from hypothesis import strategies as st

import cohort
from cohort.cli import main
from cohort.suppression import COMPLEMENTARY, PRIMARY, SHOWN, Line, protect, recoverable
from cohort.table1 import Table1Error, chi_square, kruskal_wallis, quantile_type2

R = Path(__file__).parent / "fixtures" / "r"


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    """46 breast cases typed in (fixtures/r/table1_cohort.csv), loaded as an extract."""
    tmp = tmp_path_factory.mktemp("t1")
    rows = pl.read_csv(R / "table1_cohort.csv").iter_rows(named=True)
    lines = [record(r["id"], sex=str(r["sex"]), age=f"{r['age']:03d}", pos=f"{r['pos']:02d}",
                    exam=f"{r['exam']:02d}", vital=str(r["vital"]), months=f"{r['months']:04d}")
             for r in rows]
    path = tmp / "typed.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(path)
    return reg


@pytest.fixture(scope="module")
def expected():
    df = pl.read_csv(R / "table1_expected.csv")
    return {(r["variable"], r["group"], r["statistic"]): r["value"]
            for r in df.iter_rows(named=True)}


def fmt(x: float) -> str:
    return f"{x:.0f}" if x == round(x) else f"{x:.1f}"


def cell(table: pl.DataFrame, label: str, column_prefix: str, variable: str | None = None):
    """The cell of a row (by its label) in a group's column (by the group's
    code: "N1" finds "N1 (1-3 nodes) (N = 14)", "Overall" "Overall (N = 42)")."""
    col = next(c for c in table.columns
               if c.startswith(column_prefix + " (") and c.endswith(")") and "(N = " in c)
    rows = table.filter(pl.col("label") == label)
    if variable:
        rows = rows.filter(pl.col("variable") == variable)
    return rows[col].item()


def test_against_r(typed, expected):
    t = typed.cohort("site_group = 'breast'").table1(
        variables=["age_at_dx", "sex", "nodes_examined"], tests=True)
    # N3 has 4 cases: left out, of Overall too
    assert [c for c in t.columns if "(N = " in c] == [
        "N0 (0 nodes) (N = 16)", "N1 (1-3 nodes) (N = 14)", "N2 (4-9 nodes) (N = 12)",
        "Overall (N = 42)"]
    for g in ("N0", "N1", "N2", "Overall"):
        for var, name in (("age", "Age at diagnosis (years), median (IQR)"),
                          ("exam", "Lymph nodes examined, median (IQR)")):
            e = [expected[(var, g, s)] for s in ("median", "p25", "p75")]
            assert cell(t, name, g) == f"{fmt(e[0])} ({fmt(e[1])}, {fmt(e[2])})", (g, var)
    tests = {r["variable"]: (r["p-value"], r["test"]) for r in t.iter_rows(named=True)
             if r["test"]}
    assert tests["sex"] == (f"{expected[('sex', 'test', 'p')]:.3f}",
                            "Pearson's chi-squared test (expected counts below 5 in 50% of "
                            "cells)")
    assert tests["age_at_dx"] == (f"{expected[('age', 'test', 'p')]:.3f}",
                                  "Kruskal-Wallis rank sum test")
    assert tests["nodes_examined"][0] == f"{expected[('exam', 'test', 'p')]:.3f}"


def test_suppression_by_hand(typed, expected):
    """Men: N0 2, N1 1, N2 0 (all of 3): <11; then women of N0, N1 and Overall
    would give them away by subtraction from N, so they are withheld too."""
    t = typed.cohort("site_group = 'breast'").table1(variables=["sex", "nodes_examined"])
    assert [cell(t, "male", g) for g in ("N0", "N1", "N2", "Overall")] == \
        ["<11", "<11", "0", "<11"]
    assert [cell(t, "female", g) for g in ("N0", "N1", "N2", "Overall")] == \
        ["\u2013", "\u2013", "12 (100%)", "\u2013"]
    # one N1 case has nodes examined unknown (99): <11, and Overall's 1 as well
    assert [cell(t, "Unknown", g, "nodes_examined") for g in ("N0", "N1", "N2", "Overall")] \
        == ["0", "<11", "0", "<11"]
    exact = typed.cohort("site_group = 'breast'").table1(variables=["sex"], suppress_below=0)
    assert cell(exact, "male", "N0") == f"{expected[('sex', 'N0', 'male')]:.0f} (12%)"
    # Overall now counts N3's 4 women as well: 39 (R, N0-N2) + 4 of 46
    assert cell(exact, "female", "Overall") == \
        f"{expected[('sex', 'Overall', 'female')] + 4:.0f} (93%)"
    assert "N3 (10+ nodes) (N = 4)" in exact.columns  # no threshold: every group shown


def test_statistics_against_r(expected):
    d = pl.read_csv(R / "table1_cohort.csv").filter(pl.col("pos") < 10)
    burden = d["pos"].to_numpy()
    group = np.where(burden == 0, 0, np.where(burden <= 3, 1, 2))
    age = d["age"].to_numpy().astype(float)
    for g, name in enumerate(("N0", "N1", "N2")):
        v = age[group == g]
        assert quantile_type2(v, np.ones(v.size), 0.25) == expected[("age", name, "p25")]
        assert quantile_type2(v, np.ones(v.size), 0.75) == expected[("age", name, "p75")]
    h, df, p = kruskal_wallis([(age[group == g], np.ones((group == g).sum())) for g in range(3)])
    assert (h, df) == (pytest.approx(expected[("age", "test", "chisq")], rel=1e-12), 2)
    assert p == pytest.approx(expected[("age", "test", "p")], rel=1e-10)
    # the same from collapsed counts (distinct values with their counts)
    collapsed = []
    for g in range(3):
        values, counts = np.unique(age[group == g], return_counts=True)
        collapsed.append((values, counts.astype(float)))
    assert kruskal_wallis(collapsed)[0] == pytest.approx(h, rel=1e-12)
    sex = d["sex"].to_numpy()
    table = np.array([[((sex == s) & (group == g)).sum() for g in range(3)] for s in (1, 2)])
    x, df, p, _ = chi_square(table)
    assert (x, df) == (pytest.approx(expected[("sex", "test", "chisq")], rel=1e-12), 2)
    assert p == pytest.approx(expected[("sex", "test", "p")], rel=1e-10)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("t1s")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(cohort.synth.write(tmp / "s.csv", n=4000, seed=5))
    return reg


def test_counts_equal_cohort_sql(synth):
    """Every printed count equals what `cohort sql` counts, and every count
    below 11 is printed as <11."""
    where = "site_group = 'colon'"
    t = synth.cohort(where).table1(variables=["sex", "dx_year_group", "adequate_exam"],
                                   codes=True)
    out = CliRunner().invoke(main, [
        "sql", "select node_burden::varchar as g, dx_year_group as v, count(*) as n from cases "
        f"where {where} and exclusion_reason is null group by all", "--db", str(synth.path),
        "--format", "json"])
    counts = {(r["g"], r["v"]): r["n"] for r in json.loads(out.output)}
    sizes = {}
    for (g, _), n in counts.items():
        sizes[g] = sizes.get(g, 0) + n
    shown = [g for g in sizes if sizes[g] >= 11]
    checked = 0
    for r in t.filter(pl.col("variable") == "dx_year_group").filter(
            pl.col("row_type") == "level").iter_rows(named=True):
        for g in shown:
            text = r[f"{g} (N = {sizes[g]:,})"]
            n = counts.get((g, r["label"]), 0)
            if 0 < n < 11:
                assert text == "<11"
            elif text != "\u2013":
                assert text.split(" ")[0] == f"{n:,}"
                checked += 1
        overall = sum(counts.get((g, r["label"]), 0) for g in shown)
        text = r[f"Overall (N = {sum(sizes[g] for g in shown):,})"]
        assert text in ("<11", "\u2013") or text.split(" ")[0] == f"{overall:,}"
    assert checked > 5


def test_no_count_recoverable_in_table1(synth):
    """Rebuild each variable's cells and lines from cohort sql counts; the
    statuses Table 1 printed leave no small count recoverable."""
    for where in ("site_group = 'melanoma'", "site_group = 'stomach'"):
        t = synth.cohort(where).table1(variables=["sex", "dx_year_group"], codes=True)
        df = synth.sql("select node_burden::varchar as g, dx_year_group as v, count(*) as n "
                       f"from cases where {where} and exclusion_reason is null group by all")
        sizes = df.group_by("g").agg(pl.col("n").sum())
        groups = [g for g, n in sizes.iter_rows() if n >= 11]
        cols = {g: next(c for c in t.columns if c.startswith(f"{g} (N = ")) for g in groups}
        rows = t.filter((pl.col("variable") == "dx_year_group") & (pl.col("row_type") == "level"))
        levels = rows["label"].to_list()
        values, status = [], []
        for lv, r in zip(levels, rows.iter_rows(named=True), strict=True):
            for g in [*groups, "Overall"]:
                col = cols.get(g) or next(c for c in t.columns if c.startswith("Overall"))
                n = int(df.filter((pl.col("v") == lv) & pl.col("g").is_in(
                    groups if g == "Overall" else [g]))["n"].sum())
                values.append(n)
                status.append(PRIMARY if r[col] == "<11" else COMPLEMENTARY
                              if r[col] == "\u2013" else SHOWN)
        k = len(groups) + 1
        lines = [Line([i * k + j for i in range(len(levels))], [1] * len(levels),
                      sum(values[i * k + j] for i in range(len(levels)))) for j in range(k)]
        lines += [Line([i * k + j for j in range(k)], [1] * (k - 1) + [-1], 0)
                  for i in range(len(levels))]
        assert recoverable(values, lines, status, threshold=11) == []
        assert all(s == PRIMARY for v, s in zip(values, status, strict=True) if 0 < v < 11)


def test_women_and_men_from_the_issue():
    """Table 1 of the demo report printed breast N3 as 536 cases and 529 women,
    men <11: 7 men by subtraction. Now the 529 is withheld too."""
    status = protect([529, 7], [Line([0, 1], [1, 1], 536)], threshold=11)
    assert status.tolist() == [COMPLEMENTARY, PRIMARY]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 60), min_size=2, max_size=5), min_size=2, max_size=5),
       st.sampled_from([5, 11]))
def test_protect_property(matrix, threshold):
    """Any levels x groups table with printed column totals and an Overall
    column: no count below the threshold is shown or recoverable."""
    width = min(len(r) for r in matrix)
    m = np.array([r[:width] for r in matrix])
    m = m[:, m.sum(axis=0) >= threshold]  # as Table 1: smaller groups are left out
    if m.shape[1] == 0:
        return
    full = np.concatenate([m, m.sum(axis=1, keepdims=True)], axis=1)
    rows, cols = full.shape
    values = full.ravel()
    lines = [Line([i * cols + j for i in range(rows)], [1] * rows, float(full[:, j].sum()))
             for j in range(cols)]
    lines += [Line([i * cols + j for j in range(cols)], [1] * (cols - 1) + [-1], 0.0)
              for i in range(rows)]
    status = protect(values, lines, threshold=threshold)
    small = (values > 0) & (values < threshold)
    assert (status[small] == PRIMARY).all()
    assert (status[~small] != PRIMARY).all()
    assert recoverable(values, lines, status, threshold=threshold) == []


def test_bad_input(typed):
    c = typed.cohort("site_group = 'breast'")
    with pytest.raises(Table1Error, match="grouping column"):
        c.table1(variables=["node_burden"])
    with pytest.raises(cohort.CohortError, match="no_such_column"):
        c.table1(variables=["no_such_column"])
    with pytest.raises(Table1Error, match="fewer than 50"):
        c.table1(variables=["sex"], suppress_below=50)


def test_cli_table1(typed):
    db = str(typed.path)
    run = CliRunner().invoke
    out = run(main, ["table1", "--where", "site_group = 'breast'", "--db", db,
                     "--variables", "age_at_dx,sex", "--tests"])
    assert out.exit_code == 0, out.output
    assert "| Characteristic " in out.output and "| N0 (0 nodes) (N = 16) " in out.output
    assert "Kruskal-Wallis rank sum test" in out.output
    assert "left out (fewer than 11 cases, not in Overall either): N3 (10+ nodes)" in out.output
    codes = run(main, ["table1", "--where", "site_group = 'breast'", "--db", db, "--codes",
                       "--variables", "sex", "--format", "md"])
    assert "| Characteristic | N0 (N = 16) | N1 (N = 14) | N2 (N = 12) | Overall (N = 42) |" \
        in codes.output and re.search(r"\|\W*2 +\| ", codes.output)
    assert "not in Overall either): N3\n" in codes.output
    md = run(main, ["table1", "--where", "site_group = 'breast'", "--db", db, "--format", "md",
                    "--variables", "sex"])
    assert ("| Characteristic | N0 (0 nodes) (N = 16) | N1 (1-3 nodes) (N = 14) | "
            "N2 (4-9 nodes) (N = 12) | Overall (N = 42) |") in md.output
    html = run(main, ["table1", "--where", "site_group = 'breast'", "--db", db, "--format",
                      "html", "--variables", "sex"])
    assert "<th style=\"text-align:right\">N0 (0 nodes) (N = 16)</th>" in html.output
    csv = run(main, ["table1", "--where", "site_group = 'breast'", "--db", db, "--format",
                     "csv", "--variables", "sex"])
    assert csv.output.splitlines()[0].startswith("variable,row_type,label,N0 (0 nodes) (N = 16),")
    bad = run(main, ["table1", "--where", "site_group = 'breast'", "--db", db, "--variables",
                     "nope"])
    assert bad.exit_code == 1 and "Error:" in bad.output and "Traceback" not in bad.output


def test_labels_from_the_registry_label_tables(typed):
    """Groups and levels read as the registry's labels (cohort.labels): breast
    N1 is "N1 (1-3 nodes)", sex 2 is female."""
    t = typed.cohort("site_group = 'breast'").table1(variables=["sex"])
    assert "N1 (1-3 nodes) (N = 14)" in t.columns
    assert t["label"].to_list() == ["Sex, n (%)", "male", "female"]
