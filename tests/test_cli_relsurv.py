"""The relative-survival commands: lifetable, ehr, crude, and --period/--given."""

from __future__ import annotations

import io
import json
import re
import warnings

import polars as pl
import pytest
from click.testing import CliRunner
from helpers import R_FIXTURES, sire_extract

import cohort
from cohort.cli import main

LT = str(R_FIXTURES / "popmort_fi.csv")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli_relsurv")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(sire_extract(tmp / "sire.csv"))
    return reg


def run(db, *args):
    return CliRunner().invoke(main, [*args, "--db", str(db.path)])


def test_lifetable_table_csv_json(db):
    res = run(db, "lifetable", "--by", "", "--lifetable", LT, "--horizon", "60")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("life table:\n")
    assert "| all   | 0-12   |" in res.output
    assert "note: actuarial life table computed on monthly intervals, printed every 12" \
        in res.output
    csv = run(db, "lifetable", "--by", "", "--lifetable", LT, "--horizon", "60",
              "--format", "csv")
    assert csv.exit_code == 0, csv.output
    table = pl.read_csv(io.StringIO(csv.output))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = db.cohort("true").lifetable(by=None, lifetable=LT, horizon=60).table_
    assert table["observed"].to_list() == api["observed"].to_list()
    assert table.columns[:8] == ["group", "start", "end", "alive_start", "entered", "died",
                                 "withdrawn", "n_eff"]
    js = run(db, "lifetable", "--by", "", "--lifetable", LT, "--horizon", "24", "--format",
              "json", "--standardise", "1")
    assert js.exit_code == 0, js.output
    out = json.loads(js.output)
    assert set(out) == {"life_table", "age_standardised", "notes"}
    assert len(out["life_table"]) == 2


def test_lifetable_period_given_and_small_counts(db):
    res = run(db, "lifetable", "--by", "", "--lifetable", LT, "--period", "2008-2012",
              "--interval", "3", "--horizon", "6")
    assert res.exit_code == 0, res.output
    assert "period analysis 2008-2012" in res.output and "entered" in res.output
    given = run(db, "lifetable", "--by", "", "--lifetable", LT, "--given", "12",
                "--horizon", "36")
    assert given.exit_code == 0, given.output
    assert "| all   | 12-24  |" in given.output and "conditional on survival to 12" in given.output
    monthly = run(db, "lifetable", "--by", "", "--lifetable", LT, "--interval", "1",
                  "--horizon", "60")
    assert "<11" in monthly.output  # deaths in a month of the fifth year


def test_errors_are_one_line(db):
    res = run(db, "lifetable", "--lifetable", LT, "--period", "2008-2012",
              "--expected", "hakulinen")
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [
        "Error: Hakulinen's expected survival is for complete analysis; use ederer2 with a "
        "period window"]
    res = run(db, "lifetable", "--period", "2018-20")
    assert res.exit_code == 1
    assert "a period is a year or two years like 2018-2020, got '2018-20'" in res.output
    res = run(db, "ehr", "--terms", "age_group", "--intervals", "1,2", "--lifetable", LT)
    assert res.exit_code == 1
    assert "intervals must start at 0 and increase" in res.output
    res = run(db, "ehr", "--terms", "age_group", "--lifetable", LT, "--reference", "x")
    assert res.exit_code == 2 and "give term=level pairs" in res.output


def test_ehr_and_crude(db):
    res = run(db, "ehr", "--terms", "age_group", "--lifetable", LT, "--reference",
              "age_group=55-64")
    assert res.exit_code == 0, res.output
    assert "excess hazard ratios:" in res.output
    assert "| age_group | 55-64 | 1 (reference)" in res.output
    assert "tests:" in res.output and "goodness of fit" in res.output
    tv = run(db, "ehr", "--terms", "age_group", "--lifetable", LT, "--time-varying",
             "age_group", "--format", "json")
    assert tv.exit_code == 0, tv.output
    tests = json.loads(tv.output)["tests"]
    assert [t["test"] for t in tests] == ["term", "non-proportional excess hazards"]
    crude = run(db, "crude", "--by", "", "--lifetable", LT)
    assert crude.exit_code == 0, crude.output
    assert "crude probability:" in crude.output and re.search(r"\| all +\| 12 +\|", crude.output)


def test_period_and_given_on_km_cox_netsurv(db):
    km = run(db, "km", "--by", "", "--period", "2008-2012", "--format", "json")
    assert km.exit_code == 0, km.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = db.cohort("true").period("2008-2012").km(by=None).estimates_
    assert [r["survival"] for r in json.loads(km.output)["survival"]] == api["survival"].to_list()
    given = run(db, "km", "--by", "", "--given", "12", "--times", "36,60")
    assert given.exit_code == 0, given.output
    assert "conditional on survival to 12 months" in given.output
    cox = run(db, "cox", "--terms", "age_at_dx", "--period", "2008-2012")
    assert cox.exit_code == 0, cox.output
    assert "age_at_dx" in cox.output and "period analysis 2008-2012" in cox.output
    ns = run(db, "netsurv", "--by", "", "--lifetable", LT, "--period", "2008-2012", "--given",
             "12", "--times", "24,36")
    assert ns.exit_code == 0, ns.output
    assert "period analysis 2008-2012" in ns.output
    assert "conditional on survival to 12 months" in ns.output
