"""Outputs that paste into a paper: --format md and html for every table
command, numbers rounded for reading in the table forms (survival 3 decimals,
HR 2, p-values <0.001, units in headers), full precision in CSV and JSON, and
every table of a result reachable in CSV (--table, or all stacked)."""

from __future__ import annotations

import io
import json
import re

import polars as pl
import pytest
from click.testing import CliRunner

import cohort
from cohort.cli import main


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("formats")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(cohort.synth.write(tmp / "s.csv", n=3000, seed=12))
    return str(reg.path)


WHERE = "site_group = 'breast'"
COMMANDS = {
    "km": ["km", "--where", WHERE],
    "cox": ["cox", "--where", WHERE + " and node_burden in ('N0','N1','N2','N3')", "--terms",
            "node_burden,age_at_dx"],
    "cif": ["cif", "--where", WHERE],
    "netsurv": ["netsurv", "--where", WHERE + " and sex in ('1','2')", "--standardise", "1"],
    "table1": ["table1", "--where", WHERE, "--tests"],
    "sql": ["sql", "select node_burden, count(*) as n from cases group by 1 order by 1"],
    "check": ["check"],
}


def run(*args):
    res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.filterwarnings("ignore::cohort.survival.netsurv.LifeTableWarning")
@pytest.mark.parametrize("command", list(COMMANDS))
def test_md_and_html_for_every_table_command(db, command):
    md = run(*COMMANDS[command], "--db", db, "--format", "md")
    tables = re.findall(r"^\| .* \|\n\|(?::?-+:?\|)+\n(?:\| .* \|\n)+", md, flags=re.M)
    assert tables, md
    for t in tables:  # every row has the header's number of cells
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in t.splitlines()}
        assert len(widths) == 1, t
    html = run(*COMMANDS[command], "--db", db, "--format", "html")
    assert html.count("<table") == html.count("</table>") >= 1
    assert "<thead>" in html and "<td" in html
    assert "null" not in html and "None" not in html


def test_table_form_rounds_for_reading(db):
    out = run("km", "--where", WHERE, "--db", db, "--table", "survival")
    header = out.splitlines()[1]
    assert "time (months)" in header
    rows = [ln for ln in out.splitlines() if ln.startswith("| N0 ")]
    assert all(re.search(r"\| 0\.\d{3} +\|", r) for r in rows), rows
    medians = run("km", "--where", WHERE, "--db", db, "--table", "medians")
    assert "median (months)" in medians
    tests = run("km", "--where", WHERE, "--db", db, "--table", "tests")
    assert "<0.001" in tests and "e-" not in tests
    cox = run(*COMMANDS["cox"], "--db", db)
    assert "per year of age" in cox
    assert re.search(r"\| age_at_dx +\| per year of age +\| \d\.\d\d \(\d\.\d\d-\d\.\d\d\)", cox)
    raw = run(*COMMANDS["cox"], "--db", db, "--table", "hazard_ratios")
    assert re.search(r"\| \d\.\d\d +\|", raw) and "e-" not in raw


def test_csv_and_json_keep_full_precision(db):
    csv = pl.read_csv(io.StringIO(run("km", "--where", WHERE, "--db", db, "--format", "csv",
                                      "--table", "survival", "--suppress", "0")))
    js = json.loads(run("km", "--where", WHERE, "--db", db, "--format", "json", "--suppress",
                        "0"))
    api = cohort.Registry(db).cohort(WHERE).km().estimates_
    assert csv["survival"].to_list() == api["survival"].to_list()  # every digit
    assert [r["survival"] for r in js["survival"]] == api["survival"].to_list()


def test_every_table_reachable_in_csv(db):
    stacked = pl.read_csv(io.StringIO(run("km", "--where", WHERE, "--db", db, "--format",
                                          "csv")), infer_schema=False)
    assert stacked.columns[0] == "table"
    assert set(stacked["table"]) == {"survival", "medians", "rmst", "tests"}
    res = cohort.Registry(db).cohort(WHERE).km()
    tests = stacked.filter(pl.col("table") == "tests")
    assert [float(x) for x in tests["chisq"]] == res.tests_["chisq"].to_list()
    rmst = stacked.filter(pl.col("table") == "rmst")
    released = res.tables()["rmst"]["rmst"].to_list()  # small groups blanked
    assert [None if x is None else float(x) for x in rmst["rmst"]] == released
    for name in ("survival", "medians", "rmst", "tests"):
        one = pl.read_csv(io.StringIO(run("km", "--where", WHERE, "--db", db, "--format", "csv",
                                          "--table", name)), infer_schema=False)
        assert "table" not in one.columns and one.height == (
            stacked["table"] == name).sum()
    cox = pl.read_csv(io.StringIO(run(*COMMANDS["cox"], "--db", db, "--format", "csv")),
                      infer_schema=False)
    assert set(cox["table"]) == {"hazard_ratios", "model", "proportional_hazards"}
