"""Cox models against R's coxph, collapsed against record-level, diagnostics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import cohort
from cohort.survival import ModelError, ProportionalHazardsWarning
from cohort.survival.cox import fit_cox

R = Path(__file__).parent / "fixtures" / "r"


def coefs(result, kind="adjusted"):
    t = result.table_.filter(~pl.col("reference"))
    return t[f"coef_{kind}"].to_numpy(), t[f"se_{kind}"].to_numpy(), t[f"p_{kind}"].to_numpy()


def test_cox_matches_r(gbsg2):
    # R: coxph(Surv(surv_months, event) ~ node_burden + age, ties = "efron")
    result = gbsg2.cohort("site_group = 'breast'").cox(["node_burden", "age_at_dx"])
    golden = pl.read_csv(R / "cox.csv")
    coef, se, p = coefs(result)
    np.testing.assert_allclose(coef, golden["coef"], rtol=1e-6)
    np.testing.assert_allclose(se, golden["se"], rtol=1e-6)
    np.testing.assert_allclose(p, golden["p"], rtol=1e-4)
    model = json.loads((R / "cox_model.json").read_text())
    fit = result.tables()["model"].row(0, named=True)
    assert fit["records"] == model["n"] and fit["events"] == model["nevent"]
    assert fit["lr_chisq"] == pytest.approx(model["lr_test"]["stat"], rel=1e-6)
    assert fit["concordance"] == pytest.approx(model["concordance"], abs=1e-10)


def test_univariable_matches_r(gbsg2):
    # R: coxph(Surv(surv_months, event) ~ node_burden)
    result = gbsg2.cohort("site_group = 'breast'").cox(["node_burden", "age_at_dx"])
    golden = pl.read_csv(R / "cox_uni.csv")
    t = result.table_.filter((pl.col("term") == "node_burden") & ~pl.col("reference"))
    np.testing.assert_allclose(t["coef_univariable"], golden["coef"], rtol=1e-6)
    np.testing.assert_allclose(t["se_univariable"], golden["se"], rtol=1e-6)


def test_stratified_matches_r(gbsg2):
    # R: coxph(Surv(surv_months, event) ~ node_burden + age + strata(menostat))
    c = gbsg2.cohort(
        "select *, extra['menopause'] as menopause from cases where site_group = 'breast'"
    )
    result = c.cox(["node_burden", "age_at_dx"], strata=["menopause"], univariable=False)
    golden = pl.read_csv(R / "cox_strata.csv")
    coef, se, _ = coefs(result)
    np.testing.assert_allclose(coef, golden["coef"], rtol=1e-6)
    np.testing.assert_allclose(se, golden["se"], rtol=1e-6)


def test_reference_level(gbsg2):
    result = gbsg2.cohort("site_group = 'breast'").cox(
        ["node_burden"], reference={"node_burden": "N3"}
    )
    t = result.table_
    assert t.filter(pl.col("reference"))["level"].to_list() == ["N3"]
    default = gbsg2.cohort("site_group = 'breast'").cox(["node_burden"]).table_
    n3_vs_n1 = default.filter(pl.col("level") == "N3")["coef_adjusted"].item()
    n1_vs_n3 = t.filter(pl.col("level") == "N1")["coef_adjusted"].item()
    assert n1_vs_n3 == pytest.approx(-n3_vs_n1, rel=1e-6)
    with pytest.raises(ModelError, match="reference level 'N9' of node_burden is not in"):
        gbsg2.cohort("site_group = 'breast'").cox(["node_burden"], reference={"node_burden": "N9"})


def test_collapsed_equals_record_level(tmp_path):
    """Registry scale: the fit of collapsed counts is the fit of the records
    (frequency-weighted Efron), to rounding."""
    path = cohort.synth.write(tmp_path / "s.csv", n=120_000, seed=8)
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(path)
    c = reg.cohort("site_group = 'colon' and node_burden in ('N0', 'N1a', 'N1b', 'N2a', 'N2b')")
    counts = c.collapse(["node_burden", "sex", "dx_year_group"]).counts
    assert counts.height < counts["n"].sum() / 2  # it does collapse
    rows = counts.select(pl.exclude("n").repeat_by("n").explode()).with_columns(
        pl.lit(1).alias("n"))
    cats = {"node_burden": ["N0", "N1a", "N1b", "N2a", "N2b"], "sex": ["1", "2"],
            "dx_year_group": sorted(counts["dx_year_group"].unique().to_list())}
    terms = ["node_burden", "sex", "dx_year_group"]
    a = fit_cox(counts, terms, categorical=cats).table().filter(~pl.col("reference"))
    b = fit_cox(rows, terms, categorical=cats).table().filter(~pl.col("reference"))
    np.testing.assert_allclose(a["coef"], b["coef"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-8)


def test_ph_violation_warns():
    # group b's hazard is high early and zero late: proportional hazards fail
    rng = np.random.default_rng(3)
    a = rng.exponential(20, 400)
    b = np.where(rng.random(400) < 0.6, rng.exponential(3, 400), 200)
    df = pl.DataFrame({
        "time": np.concatenate([a, b]).round().clip(0, 60).astype(int),
        "event": np.concatenate([a <= 60, b <= 60]).astype(int),
        "g": ["a"] * 400 + ["b"] * 400,
    }).group_by("time", "event", "g").len("n")
    with pytest.warns(ProportionalHazardsWarning, match=r"g\[b\]"):
        fit_cox(df, ["g"], categorical={"g": ["a", "b"]})


def test_ph_test_uses_case_weights():
    """The PH statistic of collapsed counts equals the record-level one (up to
    Efron's weighting of tied deaths); lifelines' own test would count a
    collapsed row once."""
    rng = np.random.default_rng(5)
    t = rng.exponential(30, 3000).round().clip(0, 60).astype(int)
    g = rng.integers(0, 3, 3000)
    df = pl.DataFrame({"time": t, "event": (t < 60).astype(int),
                       "g": np.array(["a", "b", "c"])[g]})
    agg = df.group_by("time", "event", "g").len("n")
    rows = df.with_columns(pl.lit(1).alias("n"))
    cats = {"g": ["a", "b", "c"]}
    a = fit_cox(agg, ["g"], categorical=cats).ph_test
    b = fit_cox(rows, ["g"], categorical=cats).ph_test
    np.testing.assert_allclose(a["chisq"], b["chisq"], rtol=0.02)


def test_model_errors():
    df = pl.DataFrame({"time": [1, 2, 3], "event": [0, 0, 0], "g": ["a", "b", "a"],
                       "n": [1, 1, 1]})
    with pytest.raises(ModelError, match="no events"):
        fit_cox(df, ["g"], categorical={"g": ["a", "b"]})
    df = df.with_columns(pl.lit(1).alias("event"), pl.lit(5.0).alias("x"))
    with pytest.raises(ModelError, match=r"no term of the model varies in this cohort "
                       r"\(x: constant \(5.0\) in this cohort\)"):
        fit_cox(df, ["x"], categorical={})
