"""Cohorts as SQL: WHERE clauses, SELECTs, named files, bound parameters, CLI."""

from __future__ import annotations

import json
import re
import warnings

import polars as pl
import pytest
from click.testing import CliRunner

import cohort
from cohort.cli import main
from cohort.cohort import CohortDefinitionError
from cohort.errors import QueryError
from cohort.survival.analysis import PooledSitesWarning


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cohort")
    r = cohort.Registry(tmp / "r.duckdb")
    r.load(cohort.synth.write(tmp / "s.csv", n=6000, seed=12))
    return r


def test_where_select_and_named_agree(reg):
    a = reg.cohort("site_group = 'breast' and node_status = 'N+' and dx_year between 2010 and 2017")
    b = reg.cohort("select * from cases where site_group = 'breast' and node_status = 'N+' "
                   "and dx_year between 2010 and 2017")
    c = reg.cohort("breast_node_positive_2010_2017")
    assert a.size == b.size == c.size > 0
    assert a.total == a.size + a.excluded["records"].sum()
    assert c.name == "breast_node_positive_2010_2017"


def test_parameters_are_bound(reg):
    a = reg.cohort("site_group = ? and dx_year >= ?", params=["colon", 2012])
    b = reg.cohort("site_group = 'colon' and dx_year >= 2012")
    assert a.size == b.size
    assert reg.cohort("patient_id = ?", params=["1' or '1'='1"]).total == 0


def test_excluded_by_reason_in_order(reg):
    ex = reg.cohort("true").excluded
    steps = reg.sql("select reason from exclusion_rules order by step")["reason"].to_list()
    assert ex["reason"].to_list() == [r for r in steps if r in set(ex["reason"])]


def test_unknown_named_cohort_and_bad_sql(reg):
    with pytest.raises(CohortDefinitionError, match="no named cohort 'nope'"):
        reg.cohort("nope")
    with pytest.raises(QueryError, match="no_such_column"):
        _ = reg.cohort("no_such_column = 1").size


def test_pooled_sites_warn(reg):
    with pytest.warns(PooledSitesWarning, match="node_burden categories are site-specific"):
        reg.cohort("site_group in ('breast', 'colon')").km(times=[12])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.cohort("site_group = 'breast'").km(times=[12])


@pytest.mark.filterwarnings("ignore::cohort.survival.EmptyGroupWarning")
def test_cause_specific_leaves_unknown_causes_out(reg):
    c = reg.cohort("site_group = 'colon'")
    all_cause = c.km(event="event")
    specific = c.km(event="event_cancer")
    assert specific.unknown_event > 0
    assert specific.records == all_cause.records - specific.unknown_event


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_cli_km_cox_cif(reg):
    db = reg.path
    out = run("km", "--where", "site_group = 'melanoma'", "--times", "12,60", "--db", db)
    assert out.exit_code == 0, out.output
    assert re.search(r"\| group +\| n +\| events \| median \(95% CI\)", out.output)
    assert "| N1 (1 node) " in out.output  # labelled with the melanoma count rule
    assert "log-rank for trend" in out.output
    assert "note: 95% CIs: log-log" in out.output
    csv = run("km", "--where", "site_group = 'melanoma'", "--times", "12,60", "--db", db,
              "--format", "csv", "--table", "survival")
    df = pl.read_csv(csv.output.encode(), infer_schema=False)
    assert df.columns == ["group", "time", "n_risk", "n_events", "survival", "lower", "upper",
                          "suppressed"]
    assert "<11" in set(df["n_risk"]) | set(df["n_events"])  # small cells suppressed
    raw = run("km", "--where", "site_group = 'melanoma'", "--times", "12,60", "--db", db,
              "--format", "json", "--suppress", "0")
    data = json.loads(raw.output)
    assert all(isinstance(r["n_risk"], int) for r in data["survival"])  # exact when asked
    cox = run("cox", "--where", "site_group = 'breast' and node_burden in ('N0','N1','N2','N3')",
              "--terms", "node_burden,age_at_dx", "--strata", "dx_year_group", "--db", db)
    assert cox.exit_code == 0, cox.output
    assert re.search(r"\| node_burden: N0 \(0 nodes\) \(reference\) +\| N0 \(0 nodes\) +\| "
                     r"1 \(reference\)", cox.output)
    assert re.search(r"\| age_at_dx +\| per year of age +\| \d\.\d\d \(", cox.output)
    assert "Efron ties" in cox.output
    cif = run("cif", "--where", "site_group = 'breast'", "--db", db, "--format", "csv",
              "--table", "cumulative_incidence")
    assert cif.output.splitlines()[0] == (
        "group,time,cause,n_risk,cumulative_incidence,se,lower,upper"
    )
    bad = run("cox", "--where", "site_group = 'breast'", "--terms", "node_burden",
              "--reference", "node_burden=N9", "--db", db)
    assert bad.exit_code == 1 and "reference level 'N9'" in bad.output
    badt = run("km", "--times", "a,b", "--db", db)
    assert badt.exit_code == 2 and "times must be numbers" in badt.output


@pytest.mark.filterwarnings("ignore::cohort.survival.netsurv.LifeTableWarning")
def test_cli_netsurv(reg):
    out = run("netsurv", "--where", "site_group = 'colon' and sex in ('1','2')",
              "--times", "12,60", "--standardise", "1", "--db", reg.path)
    assert out.exit_code == 0, out.output
    assert "net survival:" in out.output and "age standardised:" in out.output
    assert "Pohar Perme" in out.output
def test_cli_netsurv_bad_life_table(reg, tmp_path):
    lt = tmp_path / "lt.csv"
    lt.write_text("year,sex,age,qx\n2000,male,50,0.01\n")
    bad = run("netsurv", "--where", "site_group = 'colon'", "--lifetable", lt, "--db", reg.path)
    assert bad.exit_code == 1
    assert "life table lacks column(s) annual_hazard" in bad.output
