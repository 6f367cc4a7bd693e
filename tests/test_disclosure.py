"""Issue 13, item 10: no suppressed count can be recovered from printed totals.

The property is checked by an exhaustive integer search written here (not
the linear programs cohort.disclosure uses): for every hidden count, a
second value must be consistent with everything the table prints.
"""

from __future__ import annotations

import polars as pl
from helpers import HEADER, record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

import cohort
from cohort.disclosure import (
    PRIMARY,
    SECONDARY,
    Table,
    cell_text,
    protect,
    protect_file_counts,
    protect_frame,
)
from cohort.report import load_spec, write_report
from cohort.report.front import _protect_attrition
from cohort.survival.analysis import km_analysis

T = 11


# -- hand-worked tables ---------------------------------------------------------------
def test_breast_n3_men_cannot_be_worked_out_from_cases_and_women():
    """The review's example: 536 cases, 529 women, men <11 gave 7 men. Table 1
    (cohort.table1, the report's page) withholds the women beside them."""
    import numpy as np

    from cohort.suppression import COMPLEMENTARY
    from cohort.suppression import PRIMARY as T1_PRIMARY
    from cohort.table1 import _protect_block

    # rows female, male, unknown; columns N0, N3 (and Overall, added)
    counts = np.array([[2390.0, 529.0], [20.0, 7.0], [0.0, 0.0]])
    status = _protect_block(counts, [True, True, True], np.array([2410.0, 536.0]), T)
    assert status[1, 1] == T1_PRIMARY  # N3 men: 7
    assert status[0, 1] == COMPLEMENTARY  # N3 women: 529 withheld beside them


def test_attrition_chain_hides_enough_around_a_small_exclusion():
    """100 records in; exclusions 3, 0, 40; 57 analysed. Hiding 3 alone
    leaves it as 100 - 97; hiding 97 too leaves 97 = 0 + 97 below it; the
    search ends when two exclusions are hidden between printed totals:
    3 <11, 97 *, 97 *, 40 *. Then 3 + 40 = 43 with 3 in 1-10 and 40 at
    least 11: 3 can be anything from 1 to 10."""
    status = _protect_attrition(100, [3, 0, 40], T)
    assert status == {("out", 0): PRIMARY, ("left", 0): SECONDARY, ("left", 1): SECONDARY,
                      ("out", 2): SECONDARY}


def test_group_counts_beside_a_printed_total():
    df = pl.DataFrame({"group": ["N0", "N1", "N2", "N3"], "n": [529, 40, 7, 300],
                       "events": [100, 12, 0, 90]})
    out = protect_frame(df, ["n", "events"], totals={"n": 876, "events": 202},
                        within=[("events", "n")])
    assert out["n"].to_list() == ["529", "*", "<11", "300"]
    assert out["events"].to_list() == ["100", "12", "0", "90"]  # zero is not disclosive


def test_file_counts_read_equals_loaded_plus_rejected():
    df = pl.DataFrame({"file": ["a.csv"], "read": [200], "loaded": [197], "rejected": [3],
                       "in force": [197]})
    out = protect_file_counts(df)
    # 197 in force within the loaded records keeps "loaded" at least 197:
    # rejected can be 1, 2 or 3
    assert out.row(0) == ("a.csv", "200", "*", "<11", "197")


def test_two_small_cells_of_one_row_are_not_enough_when_they_add_to_two():
    """1 and 1 beside a printed total of 2: each '<11' can only be 1."""
    t = Table({"a": 1, "b": 1, "c": 40, "tot": 42}, sums=[("tot", ["a", "b", "c"])])
    status = protect(t)
    assert status == {"a": PRIMARY, "b": PRIMARY, "c": SECONDARY}
    assert _brute_force_exposed(t, status) == []


def test_km_tables_hide_the_next_smallest_group(tmp_path):
    """n 50, 30 and 7 with the cohort's 87 printed: 7 is <11, 30 becomes *."""
    lines = ([record(i, sex="2", vital="0" if i % 2 else "1") for i in range(50)]
             + [record(100 + i, sex="1", vital="0" if i % 3 else "1") for i in range(30)]
             + [record(200 + i, sex="9", vital="0" if i % 2 else "1") for i in range(7)])
    path = tmp_path / "k.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    reg = cohort.Registry(tmp_path / "k.duckdb")
    reg.load(path)
    km = km_analysis(reg.cohort("true"), by="sex", times=[12])
    med = km.tables(codes=True)["medians"]
    assert dict(zip(med["group"].to_list(), med["n"].to_list(), strict=True)) == {
        "2": "50", "1": "*", "9": "<11"}
    summary = km.summary(codes=True)
    assert dict(zip(summary["group"].to_list(), summary["n"].to_list(), strict=True)) == {
        "2": "50", "1": "*", "9": "<11"}


def test_cell_text():
    assert [cell_text(529, None, T), cell_text(7, PRIMARY, T), cell_text(529, SECONDARY, T)] \
        == ["529", "<11", "*"]


# -- the property --------------------------------------------------------------------------
def _bounds(table: Table, status: dict, key):
    if status.get(key) == PRIMARY:
        return range(1, T)
    if status.get(key) == SECONDARY:
        return None  # at least T; bounded by the sums it sits in
    return range(table.values[key], table.values[key] + 1)


def _brute_force_exposed(table: Table, status: dict) -> list:
    """Hidden keys with a single value over every integer solution consistent
    with the printed counts. For each hidden count, a depth-first search for
    a solution in which it takes another value than the true one (a sum
    with one unknown member fixes that member; values near the true ones
    are tried first)."""
    hidden = [k for k in table.values if k in status]
    member_of = {k: [(t, p) for t, p in table.sums if k == t or k in p] for k in hidden}
    cap = 3 * max(table.values.values()) + 3 * T  # "*" has no upper bound of its own

    def search(first) -> bool:
        assign = {k: v for k, v in table.values.items() if k not in status}
        order = [first] + [k for k in hidden if k != first]

        def ok(k) -> bool:
            for total, parts in member_of[k]:
                if total not in assign:
                    continue
                known = [p for p in parts if p in assign]
                got = sum(assign[p] for p in known)
                if got > assign[total] or (len(known) == len(parts) and got != assign[total]):
                    return False
            return True

        def forced(k):
            for total, parts in member_of[k]:
                unknown = [m for m in (total, *parts) if m not in assign]
                if unknown == [k]:
                    rest = sum(assign[p] for p in parts if p != k)
                    return rest if k == total else assign[total] - rest
            return None

        def values(k, i):
            b = _bounds(table, status, k)
            vals = list(b) if b is not None else list(range(T, cap + 1))
            true = table.values[k]
            vals.sort(key=lambda v: abs(v - true))
            if i == 0:
                vals = [v for v in vals if v != true]
            f = forced(k)
            return [f] if f is not None and f in vals else ([] if f is not None else vals)

        def pick(i: int):
            """The first count, then one a sum fixes, else a '<11' one, else any."""
            if i == 0:
                return first
            rest = [k for k in order if k not in assign]
            fixed = [k for k in rest if forced(k) is not None]
            if fixed:
                return fixed[0]
            small = [k for k in rest if status[k] == PRIMARY]
            return (small or rest)[0]

        def dfs(i: int) -> bool:
            if i == len(order):
                return True
            k = pick(i)
            for v in values(k, i):
                assign[k] = v
                if ok(k) and dfs(i + 1):
                    return True
                del assign[k]
            return False

        return dfs(0)

    return [k for k in hidden if not search(k)]


@st.composite
def two_way_tables(draw):
    """r x c counts with row, column and grand totals printed."""
    r = draw(st.integers(2, 3))
    c = draw(st.integers(2, 3))
    cells = [[draw(st.one_of(st.integers(0, 10), st.integers(11, 16))) for _ in range(c)]
             for _ in range(r)]
    values = {(i, j): cells[i][j] for i in range(r) for j in range(c)}
    sums = []
    for i in range(r):
        values[("row", i)] = sum(cells[i])
        sums.append((("row", i), [(i, j) for j in range(c)]))
    for j in range(c):
        values[("col", j)] = sum(cells[i][j] for i in range(r))
        sums.append((("col", j), [(i, j) for i in range(r)]))
    values["all"] = sum(map(sum, cells))
    sums.append(("all", [("row", i) for i in range(r)]))
    return Table(values, sums=sums)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=two_way_tables())
def test_no_hidden_count_is_recoverable_from_the_printed_totals(table):
    status = protect(table)
    # every count from 1 to 10 is hidden; nothing else is printed as <11
    for k, v in table.values.items():
        assert (status.get(k) == PRIMARY) == (0 < v < T)
    # and no hidden count can be worked out exactly (exhaustive search)
    if status:
        assert _brute_force_exposed(table, status) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(total=st.integers(0, 60), excluded=st.lists(st.integers(0, 14), min_size=1, max_size=3))
def test_attrition_never_reveals_an_exclusion(total, excluded):
    total = max(total, sum(excluded))
    status = _protect_attrition(total, excluded, T)
    values, sums, before, left = {"in": total}, [], "in", total
    for i, n in enumerate(excluded):
        left -= n
        values[("out", i)], values[("left", i)] = n, left
        sums.append((before, [("out", i), ("left", i)]))
        before = ("left", i)
    table = Table(values, sums=sums)
    if status:
        assert _brute_force_exposed(table, status) == []


def test_table1_page_hides_women_when_men_are_few(tmp_path):
    """The review's case, end to end: a group of 23 with 20 women and 3 men
    prints neither count, nor their percentages, in the PDF."""
    rows = [record(i, pos="00", months=f"{12 + i % 50:04d}") for i in range(1, 41)]
    rows += [record(100 + i, pos="02", sex="1" if i < 3 else "2", months=f"{6 + i:04d}",
                    vital="0" if i % 4 == 0 else "1") for i in range(23)]
    extract = tmp_path / "x.csv"
    extract.write_text("\n".join([HEADER, *rows]) + "\n")
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(extract)
    spec_path = tmp_path / "s.toml"
    spec_path.write_text('title = "T"\ncohort = "site_group = \'breast\'"\ntimes = [12, 36]\n'
                         'min_cases = 20\n[cox]\nterms = ["node_burden"]\nstrata = []\n'
                         '[disclosure]\nthreshold = 11\n')
    write_report(reg, load_spec(spec_path), tmp_path / "r.pdf")
    text = next(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages
                if "characteristics by" in p.extract_text())
    lines = [ln.strip() for ln in text.splitlines()]
    female = next(ln for ln in lines if ln.startswith("female"))
    male = next(ln for ln in lines if ln.startswith("male"))
    # columns N0 (40 women), the group of 23, Overall: the women of the group and of
    # Overall withheld (Table 1 marks a complementary cell with a dash), its men <11
    assert female.split()[-2:] == ["\u2013", "\u2013"], female
    assert male.split()[-2:] == ["<11", "<11"], male
    assert "20 (87%)" not in text and "(13%)" not in text
