"""Edge cases a registry meets (issue 11): constant terms, infinite and singular Cox
models, empty cohorts, suppressed groups, one follow-up convention across KM and
net survival, and what every output says about them."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import cohort
from cohort.cli import main
from cohort.cohort import EmptyCohortError
from cohort.survival.cox import (
    ConstantTermWarning,
    InfiniteHazardRatioWarning,
    ModelError,
    fit_cox,
)
from cohort.survival.netsurv import LifeTable

R = Path(__file__).parent / "fixtures" / "r"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


# -- Cox edge cases --------------------------------------------------------------------------


def test_constant_term_is_left_out_and_named(gbsg2):
    # GBSG2 is all women. R: coxph(Surv(surv_months, event) ~ node_burden + age + sex)
    # gives sex an NA coefficient and the others of the model without it (cox.csv;
    # checked in conventions.R); as a factor R stops. cohort leaves sex out, says so.
    breast = gbsg2.cohort("site_group = 'breast'")
    with pytest.warns(ConstantTermWarning, match=r"sex: one level \(2\) in this cohort"):
        result = breast.cox(["node_burden", "age_at_dx", "sex"])
    golden = pl.read_csv(R / "cox.csv")
    t = result.table_.filter(~pl.col("reference"))
    assert t["term"].to_list() == ["node_burden", "node_burden", "age_at_dx"]
    np.testing.assert_allclose(t["coef_adjusted"], golden["coef"], rtol=1e-6)
    assert result.dropped_ == {"sex": "one level (2) in this cohort"}
    assert "sex left out of the model: one level (2) in this cohort" in result.notes()
    # the same for a stratum with one level: the unstratified model
    with pytest.warns(ConstantTermWarning, match=r"sex: one level"):
        strat = breast.cox(["node_burden", "age_at_dx"], strata=["sex"], univariable=False)
    np.testing.assert_allclose(strat.table_.filter(~pl.col("reference"))["coef_adjusted"],
                               golden["coef"], rtol=1e-6)
    assert strat.strata == []


def test_default_report_has_a_cox_model_for_an_all_female_breast_cohort(gbsg2, tmp_path):
    from cohort.report import load_spec, write_report

    spec = load_spec()  # terms node_burden, age_at_dx, sex; strata dx_year_group
    spec.net_survival.enabled = False
    result = write_report(gbsg2, spec, tmp_path / "r.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.path).pages).split())
    assert "No Cox model" not in text
    assert "sex left out of the model: one level (2) in this cohort" in text
    assert result.values["breast"]["hr"][("node_burden", "N2")] > 1


def no_events_in_c() -> pl.DataFrame:
    rng = np.random.default_rng(1)
    t = rng.integers(1, 60, 300)
    g = rng.integers(0, 3, 300)
    e = (rng.random(300) < 0.5).astype(int)
    e[g == 2] = 0
    return pl.DataFrame({"time": t + 0.5, "event": e, "g": np.array(["a", "b", "c"])[g]}
                        ).group_by("time", "event", "g").len("n")


def test_infinite_coefficient_warns_with_the_term_and_no_numpy_noise():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit_cox(no_events_in_c(), ["g"], categorical={"g": ["a", "b", "c"]})
    kinds = {w.category for w in caught}
    assert kinds == {InfiniteHazardRatioWarning}, [str(w.message) for w in caught]
    (msg,) = [str(w.message) for w in caught]
    assert "g = c against a (0 events in" in msg and "merge that group" in msg
    hr_c = model.table().filter(pl.col("level") == "c").row(0, named=True)
    assert hr_c["hr"] < 1e-6 and hr_c["upper"] == float("inf")


def test_singular_model_names_the_term_and_the_remedy():
    one_event = pl.DataFrame({"time": [1.5, 2.5, 3.5, 4.5], "event": [1, 0, 0, 0],
                              "g": ["a", "b", "a", "b"], "n": [1, 1, 1, 1]})
    with pytest.raises(ModelError, match=r"singular for g = b against a \(0 events in 2 "
                       r"cases\).*merge that group with a neighbouring level of g"):
        fit_cox(one_event, ["g"], categorical={"g": ["a", "b"]})


# -- empty and fully excluded cohorts ----------------------------------------------------------


def test_empty_cohort_says_so_with_attrition_and_values(gbsg2):
    empty = gbsg2.cohort("site_group = 'breast' and dx_year > 2030")
    for call in (lambda: empty.km(), lambda: empty.cox(["node_burden"]),
                 lambda: empty.cif(), lambda: empty.net_survival()):
        with pytest.raises(EmptyCohortError) as info:
            call()
        msg = str(info.value)
        assert msg.startswith("0 records match the cohort")
        assert "site_group takes breast" in msg and "dx_year ranges 1984 to 1989" in msg


def test_fully_excluded_cohort_gives_its_attrition(tmp_path):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(cohort.synth.write(tmp_path / "s.csv", n=1500, seed=2))
    excluded = reg.cohort("exclusion_reason is not null")
    n = excluded.total
    assert n > 0 and excluded.size == 0
    with pytest.raises(EmptyCohortError, match=rf"0 eligible records in the cohort .*: all "
                       rf"{n:,} matching records are excluded \(.+ \d+.*\); in cases, "
                       r"exclusion_reason"):
        excluded.km()


@pytest.mark.parametrize("command", [["km"], ["cox", "--terms", "node_burden"], ["cif"],
                                     ["netsurv"]])
def test_cli_empty_cohort_one_line_nonzero_exit(gbsg2, command):
    out = run(*command, "--where", "site_group = 'colon'", "--db", gbsg2.path)
    assert out.exit_code == 1
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: 0 records match the cohort")
    assert "site_group takes breast" in lines[0] and "Traceback" not in out.output


# -- suppressed is not "not reached" --------------------------------------------------------


def test_suppressed_group_says_suppressed_everywhere(gbsg2):
    c = gbsg2.cohort("select *, case when patient_id::int <= 6 then 'tiny' else 'rest' end "
                     "as grp from cases where site_group = 'breast'")
    result = c.km(by="grp", times=[12, 36, 60])
    summary = result.summary().filter(pl.col("group") == "tiny").row(0, named=True)
    assert summary["n"] == "<11"
    for col in ("median (95% CI)", "S(12) (95% CI)", "S(36) (95% CI)", "S(60) (95% CI)"):
        assert summary[col] == "suppressed (<11)"
    rest = result.summary().filter(pl.col("group") == "rest").row(0, named=True)
    assert rest["median (95% CI)"].startswith("not reached")  # a real statement there
    med = result.tables()["medians"].filter(pl.col("group") == "tiny").row(0, named=True)
    assert med["median"] is None and med["suppressed"] is True
    out = run("km", "--where", "site_group = 'breast' and (patient_id::int <= 6 or "
              "nodes_positive <= 3)", "--by", "node_burden", "--db", gbsg2.path,
              "--format", "json")
    data = json.loads(out.stdout)
    small = [r for r in data["medians"] if r["suppressed"]]
    assert small and all(r["median"] is None for r in small)
    assert any("suppressed (<11), not 'not reached'" in n for n in data["notes"])
    table = run("km", "--where", "site_group = 'breast' and (patient_id::int <= 6 or "
                "nodes_positive <= 3)", "--by", "node_burden", "--db", gbsg2.path)
    assert "suppressed (<11)" in table.output


# -- one follow-up convention --------------------------------------------------------------


def zero_life_table() -> LifeTable:
    return LifeTable(1940, np.zeros((80, 2, 101)), "no population mortality")


@pytest.mark.parametrize("convention", ["completed", "exact"])
def test_net_survival_observed_is_the_km_and_equals_it_without_population_deaths(
        gbsg2, convention):
    # with no population mortality, net (Pohar Perme) and relative (Ederer II) survival
    # are the Kaplan-Meier itself: the same exits, the same convention
    c = gbsg2.cohort("site_group = 'breast'")
    times = [6, 12, 24, 36, 48, 60]
    km = c.km(times=times, convention=convention).estimates_.sort("group", "time")
    for method in ("pohar-perme", "ederer2"):
        res = c.net_survival(times=times, method=method, lifetable=zero_life_table(),
                             convention=convention)
        est = res.estimates_.sort("group", "time")
        np.testing.assert_allclose(est["observed"], km["survival"], atol=1e-12)
        np.testing.assert_allclose(est["net_survival"], km["survival"], atol=1e-12)
        assert est["n_risk"].to_list() == km["n_risk"].to_list()
        assert ("completed months" if convention == "completed" else "exact times") in res.note


def test_cli_time_convention_option_and_notes(gbsg2):
    where = "site_group = 'breast'"
    completed = json.loads(run("km", "--where", where, "--times", "12", "--db", gbsg2.path,
                               "--format", "json").stdout)
    exact = json.loads(run("km", "--where", where, "--times", "12", "--db", gbsg2.path,
                           "--format", "json", "--time-convention", "exact").stdout)
    golden = pl.read_csv(R / "km.csv").filter(pl.col("time") == 12)  # R on raw months
    assert [r["survival"] for r in exact["survival"]] == pytest.approx(
        golden["surv"].to_list(), abs=1e-10)
    assert completed["survival"] != exact["survival"]
    assert any("completed months" in n for n in completed["notes"])
    assert any("exact times" in n for n in exact["notes"])
    for command in (["cox", "--terms", "node_burden"], ["cif"]):
        out = run(*command, "--where", where, "--db", gbsg2.path, "--time-convention", "exact")
        assert out.exit_code == 0, out.output
        assert "follow-up on exact times" in out.output
    out = run("cif", "--where", where, "--db", gbsg2.path)
    assert "follow-up in completed months" in out.output


# -- docs agree with what is measured ---------------------------------------------------------


def test_documented_cox_agreement_is_measured(tmp_path):
    """cohort.py once said "within 1e-4 relative" for Cox while the fit is exact: the
    bound the docs state must hold, and must not understate the precision."""
    import re

    import cohort.cohort as module

    bound = float(re.search(r"within (1e-\d+) relative", module.__doc__).group(1))
    assert bound <= 1e-10
    rng = np.random.default_rng(12)
    n = 3000
    df = pl.DataFrame({"time": rng.integers(0, 40, n) + 0.5, "event": rng.integers(0, 2, n),
                       "g": rng.choice(["N0", "N1", "N2"], n), "sex": rng.choice(["1", "2"], n)})
    counts = df.group_by("time", "event", "g", "sex").len("n")
    rows = df.with_columns(pl.lit(1).alias("n"))
    cats = {"g": ["N0", "N1", "N2"], "sex": ["1", "2"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random data: the PH check may flag a term
        a = fit_cox(counts, ["g", "sex"], categorical=cats).table().filter(~pl.col("reference"))
        b = fit_cox(rows, ["g", "sex"], categorical=cats).table().filter(~pl.col("reference"))
    np.testing.assert_allclose(a["coef"], b["coef"], rtol=bound, atol=0)
    np.testing.assert_allclose(a["se"], b["se"], rtol=bound, atol=0)


def test_methods_has_the_conventions_section():
    text = (Path(__file__).parent.parent / "docs" / "methods.md").read_text()
    section = text.split("## Conventions", 1)[1].split("\n## ", 1)[0]
    for topic in ("surv_months + 0.5", "--time-convention", "midpoint of the plateau",
                  "S = 0", "NA", "NX", "N1 NOS", "trend_scores", "'2' before '10'",
                  "reference level", "suppressed (<11)"):
        assert topic in section, topic
