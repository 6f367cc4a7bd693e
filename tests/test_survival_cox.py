"""Cox models against R's coxph, collapsed against record-level, diagnostics."""

from __future__ import annotations

import json
import warnings
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


def _gt_by_hand(time, event, entry, x, beta, variance):
    """The weighted Grambsch-Therneau statistic of cohort's PH check, record by
    record: Schoenfeld residuals against the risk set entry < t <= time, the KM
    (with delayed entry) as time transform, scaled by the fit's variance."""
    r = np.exp(x @ beta)
    resid, g = [], []
    surv, s = {}, 1.0
    for u in np.unique(time):
        at = (entry < u) & (u <= time)
        s *= 1 - ((time == u) & (event == 1)).sum() / at.sum()
        surv[u] = s
    for i in np.flatnonzero(event == 1):
        at = (entry < time[i]) & (time[i] <= time)
        resid.append(x[i] - (r[at, None] * x[at]).sum(axis=0) / r[at].sum())
        g.append(1 - surv[time[i]])
    resid, g = np.array(resid), np.array(g)
    g = g - g.mean()
    deaths = len(g)
    scaled = deaths * resid @ variance
    return (g[:, None] * scaled).sum(axis=0) ** 2 / (deaths * np.diag(variance) * (g * g).sum())


def _delayed_entry_records(seed=7, n=900):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    t = np.ceil(rng.exponential(np.array([40.0, 25.0, 12.0])[g])).clip(1, 60)
    event = (t < 60).astype(int)
    entry = np.where(rng.random(n) < 0.4, np.floor(rng.random(n) * t), 0.0)
    return pl.DataFrame({"entry": entry, "time": t, "event": event,
                         "g": np.array(["a", "b", "c"])[g], "n": np.ones(n, dtype=int)})


def test_ph_test_honours_delayed_entry():
    """With delayed entry the PH check uses the risk sets entry < t <= time (and
    the KM with delayed entry): the collapsed fit's statistic equals the one
    computed record by record."""
    rows = _delayed_entry_records()
    counts = rows.group_by("entry", "time", "event", "g", maintain_order=True).agg(
        pl.col("n").sum())
    assert counts.height < rows.height
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProportionalHazardsWarning)
        m = fit_cox(counts, ["g"], categorical={"g": ["a", "b", "c"]}, entry="entry")
    x = np.column_stack([(rows["g"] == "b").to_numpy(), (rows["g"] == "c").to_numpy()]) * 1.0
    expected = _gt_by_hand(rows["time"].to_numpy(), rows["event"].to_numpy(),
                           rows["entry"].to_numpy(), x, m.fitter.fit.beta, m.fitter.fit.variance)
    np.testing.assert_allclose(m.ph_test["chisq"], expected, rtol=1e-9)


def test_ph_test_unchanged_by_splitting_follow_up():
    """Splitting each record's follow-up into episodes (0, 12] and (12, time]
    changes no risk set, so neither the fit nor the PH statistic may change."""
    rows = _delayed_entry_records(seed=9).with_columns(pl.lit(0.0).alias("entry"))
    long = rows.filter(pl.col("time") > 12)
    split = pl.concat([
        rows.filter(pl.col("time") <= 12),
        long.with_columns(pl.lit(12.0).alias("time"), pl.lit(0, pl.Int64).alias("event")),
        long.with_columns(pl.lit(12.0).alias("entry")),
    ])
    cats = {"g": ["a", "b", "c"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProportionalHazardsWarning)
        whole = fit_cox(rows, ["g"], categorical=cats)
        parts = fit_cox(split, ["g"], categorical=cats, entry="entry")
    np.testing.assert_allclose(parts.fitter.fit.beta, whole.fitter.fit.beta, rtol=1e-9)
    np.testing.assert_allclose(parts.ph_test["chisq"], whole.ph_test["chisq"], rtol=1e-9)
