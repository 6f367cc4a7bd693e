"""Fine-Gray regression and Gray's test against R (cmprsk 2.2-11), by hand, and
through a cohort, the CLI and the report.

Golden values: tests/fixtures/r/finegray.R (its output finegray_*.csv and
finegray.Rout). The competing-risks variables are built here again, in polars,
from the raw mgus2.csv / colon.csv / gbsg2.csv columns, as the R script builds
them in R.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import cohort
from cohort.cli import main
from cohort.errors import CompetingRisksError
from cohort.survival.finegray import (
    FineGrayConvergenceWarning,
    NoCompetingEventsWarning,
    _Data,
    cause_status,
    fit_finegray,
)
from cohort.survival.gray import gray_test, gray_tests, trend_levels
from cohort.survival.subdistribution import finegray

R = Path(__file__).parent / "fixtures" / "r"
COEF = pl.read_csv(R / "finegray_coef.csv", null_values="NA")
MODEL = pl.read_csv(R / "finegray_model.csv")
CODES = {"0": "alive", "1": "event_a", "2": "event_b"}


def golden(fit: str) -> pl.DataFrame:
    out = COEF.filter(pl.col("fit") == fit)
    assert out.height, fit
    return out


def check(model, fit: str, *, coef=1e-9, se=1e-9, p=1e-7):
    """Coefficients, robust SEs, p-values and pseudo log-likelihoods against crr."""
    r = golden(fit)
    f = model.fit if hasattr(model, "fit") else model
    np.testing.assert_allclose(f.beta, r["coef"].to_numpy(), rtol=0, atol=coef)
    np.testing.assert_allclose(f.se, r["se"].to_numpy(), rtol=0, atol=se)
    np.testing.assert_allclose(f.p, r["p"].to_numpy(), rtol=p, atol=1e-15)
    m = MODEL.filter(pl.col("fit") == fit).row(0, named=True)
    assert f.loglik == pytest.approx(m["loglik"], abs=1e-8)
    assert f.loglik_null == pytest.approx(m["loglik_null"], abs=1e-8)
    assert f.converged == m["converged"]
    assert f.n == m["n"]


# ---------------------------------------------------------------------------
# the data, built as finegray.R builds them


def mgus2() -> pl.DataFrame:
    # R: etime <- ifelse(pstat == 0, futime, ptime); status <- ifelse(pstat == 0, 2 * death, 1)
    return (
        pl.read_csv(R / "mgus2.csv", null_values="NA")
        .filter(pl.col("hgb").is_not_null())
        .with_columns(
            pl.when(pl.col("pstat") == 0).then(pl.col("futime")).otherwise(pl.col("ptime"))
            .cast(pl.Float64).alias("time"),
            pl.when(pl.col("pstat") == 0).then(2 * pl.col("death")).otherwise(1)
            .cast(pl.Utf8).replace_strict(CODES).alias("cause"),
            (pl.col("sex") == "M").cast(pl.Int64).alias("male"),
        )
    )


def colon() -> pl.DataFrame:
    raw = pl.read_csv(R / "colon.csv", null_values="NA")
    rec = raw.filter(pl.col("etype") == 1).sort("id")
    dth = raw.filter(pl.col("etype") == 2).sort("id").select("id", "status", "time")
    d = rec.join(dth, on="id", suffix="_death")
    return (
        d.with_columns(
            pl.when(pl.col("status") == 1).then(pl.lit("event_a"))
            .when(pl.col("status_death") == 1).then(pl.lit("event_b"))
            .otherwise(pl.lit("alive")).alias("cause"),
            pl.when(pl.col("status") == 1).then(pl.col("time")).otherwise(pl.col("time_death"))
            .cast(pl.Float64).alias("time"),
        )
        .filter(pl.col("nodes").is_not_null() & (pl.col("nodes") >= 1))
        .with_columns(
            pl.when(pl.col("nodes") == 1).then(pl.lit("N1a"))
            .when(pl.col("nodes") <= 3).then(pl.lit("N1b"))
            .when(pl.col("nodes") <= 6).then(pl.lit("N2a"))
            .otherwise(pl.lit("N2b")).alias("nodecat"))
    )


def synth(*, ordered_only: bool = True) -> pl.DataFrame:
    d = pl.read_csv(R / "finegray_synth_breast.csv").filter(pl.col("cause").is_not_null())
    if ordered_only:
        d = d.filter(pl.col("node_burden").is_in(["N0", "N1", "N2", "N3"]))
    return d.with_columns(pl.col("surv_months").cast(pl.Float64).alias("time"))


def collapse(d: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    return d.group_by(["time", "cause", *cols]).len("n")


AB = dict(event="event_a", competing=("event_b",))
BA = dict(event="event_b", competing=("event_a",))
CANCER = dict(event="cancer_death", competing=("other_death",))
OTHER = dict(event="other_death", competing=("cancer_death",))


# ---------------------------------------------------------------------------
# against R: crr


def test_mgus2_progression_and_death_match_crr():
    # R: crr(etime, status, cbind(age, male, hgb), failcode = 1 (or 2), cencode = 0)
    d = collapse(mgus2(), ["age", "male", "hgb"])
    check(finegray(d, ["age", "male", "hgb"], **AB), "mgus2_progression")
    check(finegray(d, ["age", "male", "hgb"], **BA), "mgus2_death")


def test_default_iterate_is_within_1e6_of_the_converged_maximiser():
    # crr stops at its own gtol; R's run with gtol = 1e-8 is the maximiser itself
    d = collapse(mgus2(), ["age", "male", "hgb"])
    default = finegray(d, ["age", "male", "hgb"], **AB)
    tight = finegray(d, ["age", "male", "hgb"], gtol=1e-8, maxiter=50, **AB)
    check(tight, "mgus2_progression_tight", coef=1e-8, p=1e-6)
    ref = golden("mgus2_progression_tight")["coef"].to_numpy()
    assert np.abs(default.fit.beta - ref).max() < 1e-6


def test_mgus2_censoring_weights_by_sex_match_crr_cengroup():
    # R: crr(..., cengroup = sex)
    d = collapse(mgus2(), ["age", "male", "hgb", "sex"])
    check(finegray(d, ["age", "male", "hgb"], strata=["sex"], **AB), "mgus2_progression_cengroup")


def test_colon_recurrence_and_death_by_node_count_match_crr():
    # R: crr(cr_time, cr_status, model.matrix(~ nodecat + age + sex + rx)[, -1])
    d = collapse(colon(), ["nodecat", "age", "sex", "rx"])
    cat = {"nodecat": ["N1a", "N1b", "N2a", "N2b"], "rx": ["Obs", "Lev", "Lev+5FU"]}
    terms = ["nodecat", "age", "sex", "rx"]
    rec = finegray(d, terms, categorical=cat, **AB)
    assert golden("colon_recurrence")["term"].to_list() == [
        "nodecatN1b", "nodecatN2a", "nodecatN2b", "age", "sex", "rxLev", "rxLev+5FU"]
    assert [c for t in terms for c, _ in rec.columns[t]] == [
        "nodecat[N1b]", "nodecat[N2a]", "nodecat[N2b]", "age", "sex", "rx[Lev]", "rx[Lev+5FU]"]
    check(rec, "colon_recurrence")
    check(finegray(d, terms, categorical=cat, **BA), "colon_death")
    check(finegray(d, terms, categorical=cat, strata=["rx"], **AB), "colon_recurrence_cengroup")
    # the tidy table: hazard ratios and Wald CIs as summary.crr prints them
    r = golden("colon_recurrence")
    t = rec.table().filter(~pl.col("reference"))
    np.testing.assert_allclose(t["hr"], r["hr"], rtol=1e-9)
    np.testing.assert_allclose(t["lower"], r["lower"], rtol=1e-8)
    np.testing.assert_allclose(t["upper"], r["upper"], rtol=1e-8)


def test_synthetic_registry_matches_crr_including_time_zero():
    # exact months: records at time 0 (events, competing events and one censored)
    d = synth()
    assert d.filter(pl.col("time") == 0).height > 0
    c = collapse(d, ["node_burden", "age_at_dx", "dx_year_group"])
    assert c.height < d.height  # collapsed rows carry counts
    cat = {"node_burden": ["N0", "N1", "N2", "N3"]}
    terms = ["node_burden", "age_at_dx"]
    check(finegray(c, terms, categorical=cat, **CANCER), "synth_cancer")
    check(finegray(c, terms, categorical=cat, **OTHER), "synth_other")
    check(finegray(c, terms, categorical=cat, strata=["dx_year_group"], **CANCER),
          "synth_cancer_cengroup")
    half = c.with_columns(pl.col("time") + 0.5)
    check(finegray(half, terms, categorical=cat, **CANCER), "synth_cancer_half")


def test_typed_in_case_with_a_censoring_group_that_ends_early():
    # group a's last record (t = 5) is a competing event; crr takes G_a = 0 after it
    t = pl.read_csv(R / "finegray_tiny.csv").with_columns(
        pl.col("status").cast(pl.Utf8).replace_strict(CODES).alias("cause"),
        pl.col("time").cast(pl.Float64), pl.lit(1).alias("n"))
    check(finegray(t, ["x"], **AB), "tiny", coef=1e-12, se=1e-12)
    check(finegray(t, ["x"], strata=["group"], **AB), "tiny_cengroup", coef=1e-12, se=1e-12)
    check(finegray(t, ["x"], strata=["group"], **BA), "tiny_competing_cengroup",
          coef=1e-12, se=1e-12)


def test_baseline_jumps_and_predicted_incidence_match_crr():
    base = pl.read_csv(R / "finegray_baseline.csv", schema_overrides={"time": pl.Float64})
    pred = pl.read_csv(R / "finegray_predict.csv", schema_overrides={"time": pl.Float64})
    d = collapse(synth(), ["node_burden", "age_at_dx"])
    m = finegray(d, ["node_burden", "age_at_dx"], categorical={
        "node_burden": ["N0", "N1", "N2", "N3"]}, **CANCER)
    b = base.filter(pl.col("fit") == "synth_cancer")
    np.testing.assert_array_equal(m.fit.times, b["time"].to_numpy())
    np.testing.assert_allclose(m.fit.jumps, b["bfitj"].to_numpy(), rtol=1e-9)
    # R: predict(fit, rbind("N0 age 60" = c(0, 0, 0, 60), "N3 age 60" = c(0, 0, 1, 60)))
    ours = m.predict([{"node_burden": "N0", "age_at_dx": 60},
                      {"node_burden": "N3", "age_at_dx": 60}])
    for label, prof in (("N0 age 60", "node_burden=N0, age_at_dx=60"),
                        ("N3 age 60", "node_burden=N3, age_at_dx=60")):
        ref = pred.filter((pl.col("fit") == "synth_cancer") & (pl.col("profile") == label))
        got = ours.filter(pl.col("profile") == prof)
        np.testing.assert_allclose(got["cumulative_incidence"], ref["cif"], atol=1e-12)
    # at chosen times: the step function's value, 0 before the first event
    at = m.predict([{"node_burden": "N3", "age_at_dx": 60}], times=[-1, 12, 1000])
    ref = pred.filter((pl.col("profile") == "N3 age 60") & (pl.col("time") <= 12))["cif"][-1]
    assert at["cumulative_incidence"].to_list() == pytest.approx(
        [0.0, ref, pred.filter(pl.col("profile") == "N3 age 60")["cif"][-1]], abs=1e-12)
    # mgus2: profiles of every covariate, death as the event
    d = collapse(mgus2(), ["age", "male", "hgb"])
    m = finegray(d, ["age", "male", "hgb"], **BA)
    ref = pred.filter(pl.col("profile") == "male age 70 hgb 12")["cif"]
    got = m.predict([{"age": 70, "male": 1, "hgb": 12}])["cumulative_incidence"]
    np.testing.assert_allclose(got, ref, atol=1e-12)


# ---------------------------------------------------------------------------
# no competing events: the Cox model with Breslow ties


def test_without_competing_events_it_is_the_breslow_cox_model():
    # R: coxph(Surv(surv_months, censdead) ~ node_burden + age, ties = "breslow",
    #          robust = TRUE) on GBSG2, and crr on the same records
    g = pl.read_csv(R / "gbsg2.csv").with_columns(
        (pl.col("survtime") / 30.4375).floor().alias("time"),
        pl.when(pl.col("censdead") == 1).then(pl.lit("event_a")).otherwise(pl.lit("alive"))
        .alias("cause"),
        pl.when(pl.col("nodes") <= 3).then(pl.lit("N1")).when(pl.col("nodes") <= 9)
        .then(pl.lit("N2")).otherwise(pl.lit("N3")).alias("nb"))
    d = collapse(g, ["nb", "age"])
    with pytest.warns(NoCompetingEventsWarning, match="is the Cox model"):
        m = finegray(d, ["nb", "age"], **AB)
    check(m, "gbsg2_death_only")
    cox = golden("gbsg2_coxph_breslow")  # se = robust SE (the 'lower' column: naive SE)
    np.testing.assert_allclose(m.fit.beta, cox["coef"], atol=1e-7)  # coxph's own tolerance
    np.testing.assert_allclose(m.fit.se, cox["se"], atol=1e-8)
    # and the project's own Breslow Cox fit (checked against coxph in its own tests)
    from cohort.survival.efron import fit_efron

    x = np.column_stack([(d["nb"] == "N2").to_numpy(), (d["nb"] == "N3").to_numpy(),
                         d["age"].to_numpy()]).astype(float)
    b = fit_efron(x, d["time"].to_numpy(), (d["cause"] == "event_a").to_numpy().astype(int),
                  d["n"].to_numpy(), ties="breslow")
    with pytest.warns(NoCompetingEventsWarning):
        tight = finegray(d, ["nb", "age"], gtol=1e-9, maxiter=50, **AB)
    np.testing.assert_allclose(tight.fit.beta, b.beta, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(b.variance)), cox["lower"], atol=1e-7)


def test_by_hand_breslow_without_competing_events():
    # x = 1, 0, 1, 0 at 1..4, events at 1 and 2: score 1 - e^b/(e^b + 1) - e^b/(e^b + 2)
    # vanishes at e^{2b} = 2
    f = fit_finegray([1, 0, 1, 0], [1, 2, 3, 4], [1, 1, 0, 0], gtol=1e-12)
    assert f.beta[0] == pytest.approx(np.log(2) / 2, abs=1e-10)


def test_by_hand_weights_of_a_competing_event():
    # (t, status, x): (1, competing, 0) (2, censored, 0) (3, event, 1) (4, event, 0)
    # (5, censored, 1). Censoring KM: G(2) = 3/4 (4 at risk), so the competing
    # record stays in the risk sets at 3 and 4 with weight G(t-)/G(1-) = 3/4:
    # S0(3) = 2 e^b + 1 + 3/4 and S0(4) = 1 + e^b + 3/4.
    x, t, s = [0, 0, 1, 0, 1], [1, 2, 3, 4, 5], [2, 0, 1, 1, 0]
    data = _Data(np.array(x, float), t, s, None, None)

    def hand(b):
        return b - np.log(2 * np.exp(b) + 1.75) - np.log(1.75 + np.exp(b))

    for b in (0.0, 0.3, -1.2):
        assert data.loglik(np.array([b])) == pytest.approx(hand(b), abs=1e-13)
    from scipy.optimize import brentq

    root = brentq(lambda b: 1 - 2 * np.exp(b) / (2 * np.exp(b) + 1.75)
                  - np.exp(b) / (1.75 + np.exp(b)), -5, 5, xtol=1e-14)
    f = fit_finegray(x, t, s, gtol=1e-12, maxiter=50)
    assert f.beta[0] == pytest.approx(root, abs=1e-10)
    assert f.ncompeting == 1 and f.ncensored == 2 and f.nevent == 2


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_collapsed_rows_give_the_record_level_fit(data):
    # every record repeated n times, or one row with count n: the same fit
    n = data.draw(st.integers(8, 30))
    rows = data.draw(st.lists(st.tuples(st.integers(0, 6), st.sampled_from([0, 1, 1, 2]),
                                        st.integers(0, 1), st.integers(0, 1),
                                        st.integers(1, 4)), min_size=n, max_size=n))
    t, s, x, g, w = (np.array(c) for c in zip(*rows, strict=True))
    if (w[s == 1]).sum() == 0 or np.unique(x[s > -1]).size < 2:
        return
    rep = np.repeat(np.arange(n), w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            a = fit_finegray(x, t, s, w, g)
        except CompetingRisksError:
            with pytest.raises(CompetingRisksError):
                fit_finegray(x[rep], t[rep], s[rep], None, g[rep])
            return
        b = fit_finegray(x[rep], t[rep], s[rep], None, g[rep])
    np.testing.assert_allclose(a.beta, b.beta, atol=1e-9)
    np.testing.assert_allclose(a.variance, b.variance, atol=1e-9, rtol=1e-8)
    assert a.loglik == pytest.approx(b.loglik, abs=1e-9)


# ---------------------------------------------------------------------------
# against R: Gray's test (cuminc) and its trend version


GRAY = pl.read_csv(R / "finegray_gray.csv")
TREND = pl.read_csv(R / "finegray_gray_trend.csv")


def gray_ref(test: str, cause: int) -> float:
    return GRAY.filter((pl.col("test") == test) & (pl.col("cause") == cause))["stat"].item()


def test_gray_test_matches_cuminc():
    d = collapse(mgus2(), ["sex"])
    # R: cuminc(etime, status, group = sex)$Tests
    for k, kw in ((1, AB), (2, BA)):
        t = gray_test(d, group="sex", censored=("alive",), **kw)
        assert t.chisq == pytest.approx(gray_ref("mgus2_sex", k), rel=1e-10)
        assert t.df == 1
    c = collapse(colon(), ["nodecat", "rx"])
    lv = ["N1a", "N1b", "N2a", "N2b"]
    for k, kw in ((1, AB), (2, BA)):
        assert gray_test(c, group="nodecat", levels=lv, **kw).chisq == pytest.approx(
            gray_ref("colon_nodecat", k), rel=1e-10)
        # R: cuminc(..., strata = rx) and cuminc(..., rho = 1)
        assert gray_test(c, group="nodecat", levels=lv, strata=["rx"], **kw).chisq == \
            pytest.approx(gray_ref("colon_nodecat_strata_rx", k), rel=1e-10)
        assert gray_test(c, group="nodecat", levels=lv, rho=1.0, **kw).chisq == pytest.approx(
            gray_ref("colon_nodecat_rho1", k), rel=1e-10)
        p = GRAY.filter((pl.col("test") == "colon_nodecat") & (pl.col("cause") == k))["p"]
        assert gray_test(c, group="nodecat", levels=lv, **kw).p == pytest.approx(
            p.item(), rel=1e-6, abs=1e-15)


def test_gray_trend_matches_cuminc_score_and_variance():
    c = collapse(colon(), ["nodecat", "rx"])
    lv = ["N1a", "N1b", "N2a", "N2b"]
    for k, kw in ((1, AB), (2, BA)):
        for name, extra in (("colon_nodecat", {}), ("colon_nodecat_strata_rx",
                                                    {"strata": ["rx"]})):
            ref = TREND.filter((pl.col("test") == name) & (pl.col("cause") == k)).row(
                0, named=True)
            tr = gray_test(c, group="nodecat", levels=lv, **kw, **extra).trend()
            assert tr["U"] == pytest.approx(ref["U"], rel=1e-10)
            assert tr["V"] == pytest.approx(ref["V"], rel=1e-10)
            assert tr["chisq"] == pytest.approx(ref["chisq"], rel=1e-10)


def test_gray_tests_table_on_the_registry_groups():
    # all six breast groups for the overall test; N0 < N1 < N2 < N3 for the trend
    d = collapse(synth(ordered_only=False).rename({}), ["node_burden"])
    lv = ["N0", "N1 NOS", "N1", "N2", "N3", "NX"]
    t = gray_tests(d, by="node_burden", levels=lv)
    assert t["test"].to_list() == ["Gray's test", "Gray's test for trend"] * 2
    assert t["groups"].to_list()[1] == "N0 < N1 < N2 < N3"
    for i, k in ((0, 1), (2, 2)):
        assert t["chisq"][i] == pytest.approx(gray_ref("synth_node_burden", k), rel=1e-10)
        assert t["df"][i] == 5
        ref = TREND.filter((pl.col("test") == "synth_node_burden") & (pl.col("cause") == k))
        assert t["chisq"][i + 1] == pytest.approx(ref["chisq"].item(), rel=1e-10)
    assert trend_levels(lv) == ["N0", "N1", "N2", "N3"]
    assert trend_levels(["1", "2", "unknown"]) == ["1", "2"]


# ---------------------------------------------------------------------------
# bad input


def test_unknown_and_missing_cause_codes_are_refused():
    d = pl.DataFrame({"time": [1.0, 2, 3, 4], "cause": ["cancer_death", "other_death",
                                                         "cancr", None],
                      "x": [0, 1, 0, 1], "n": [5, 3, 2, 1]})
    with pytest.raises(CompetingRisksError) as e:
        finegray(d, ["x"])
    msg = str(e.value)
    assert "'cancr' (2 records)" in msg and "missing (null) (1 records)" in msg
    assert "Recode them" in msg
    with pytest.raises(CompetingRisksError, match="'cancr'"):
        gray_test(d, group="x", event="cancer_death", competing=("other_death",))
    with pytest.raises(CompetingRisksError, match="more than one of"):
        cause_status(["a"], event="a", competing=("a",), censored=())


def test_no_events_of_the_cause_and_a_level_without_events_are_refused():
    d = pl.DataFrame({"time": [1.0, 2, 3, 4, 5], "n": [2, 3, 1, 4, 2],
                      "cause": ["other_death", "alive", "other_death", "alive", "alive"],
                      "g": ["a", "b", "a", "b", "c"]})
    with pytest.raises(CompetingRisksError, match="no cancer_death events among the 12"):
        finegray(d, ["g"])
    d = d.with_columns(pl.Series("cause", ["cancer_death", "alive", "other_death",
                                           "cancer_death", "alive"]))
    with pytest.raises(CompetingRisksError,
                       match="g = c has no cancer_death events among its 2 records"):
        finegray(d, ["g"])


def test_no_competing_events_warns_and_non_convergence_warns():
    d = pl.DataFrame({"time": [1.0, 2, 3, 4], "cause": ["cancer_death", "alive", "cancer_death",
                                                        "alive"], "x": [0.0, 1, 1, 0],
                      "n": [3, 2, 2, 1]})
    with pytest.warns(NoCompetingEventsWarning, match="no competing events"):
        finegray(d, ["x"])
    with pytest.warns(FineGrayConvergenceWarning, match="did not converge in 0"):
        fit_finegray([0.0, 1, 1, 0], [1, 2, 3, 4], [1, 2, 1, 0], maxiter=0)


# ---------------------------------------------------------------------------
# through a cohort, the CLI and the report


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("finegray")
    r = cohort.Registry(tmp / "r.duckdb")
    r.load(cohort.synth.write(tmp / "s.csv", n=6000, seed=15))
    return r


WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"


def test_cohort_finegray_is_the_fit_of_its_records(reg):
    res = reg.cohort(WHERE).finegray(["node_burden", "age_at_dx"])
    # the same records read one by one, collapsed here, fitted on their own
    rows = reg.sql(f"select surv_months, cause::varchar as cause, node_burden::varchar as nb, "
                   f"age_at_dx from cases where {WHERE} and exclusion_reason is null")
    known = rows.filter(pl.col("cause").is_not_null() & pl.col("surv_months").is_not_null())
    time = reg.cohort(WHERE).collapse([])  # the estimator takes the collapse's time as given
    shift = float(time.counts["time"].min() - known["surv_months"].min())
    d = known.with_columns((pl.col("surv_months") + shift).cast(pl.Float64).alias("time"))
    m = finegray(collapse(d, ["nb", "age_at_dx"]), ["nb", "age_at_dx"],
                 categorical={"nb": ["N0", "N1", "N2", "N3"]})
    adj = res.table_.filter(~pl.col("reference"))
    np.testing.assert_allclose(adj["coef_adjusted"], m.fit.beta, atol=1e-12)
    np.testing.assert_allclose(adj["se_adjusted"], m.fit.se, atol=1e-12)
    assert res.records == known.height
    assert res.unknown_cause == rows.height - known.height
    assert res.events == known.filter(pl.col("cause") == "cancer_death").height
    # house shape: exact table, release tables, summary, note
    assert res.table_.columns[:5] == ["term", "level", "n", "events", "reference"]
    assert {"hr_univariable", "hr_adjusted", "p_univariable", "p_adjusted"} <= set(
        res.table_.columns)
    n3 = res.table_.filter(pl.col("level") == "N3").row(0, named=True)
    assert n3["n"] == known.filter(pl.col("nb") == "N3").height
    t = res.tables(suppress_below=10_000)
    assert set(t["subdistribution_hazard_ratios"]["n"].drop_nulls()) == {"<10000"}
    assert t["model"]["records"].item() == "<10000"
    s = res.summary()
    assert s.columns == ["term", "level", "n", "events", "SHR (95% CI) univariable",
                         "p univariable", "SHR (95% CI) adjusted", "p adjusted"]
    # levels under their labels (cohort.labels: breast N0 is 0 nodes)
    assert s.filter(pl.col("level") == "N0 (0 nodes)")["SHR (95% CI) adjusted"].item() == \
        "1 (reference)"
    assert "crr" in res.note
    other = reg.cohort(WHERE).finegray(["node_burden"], cause="other")
    assert other.events == known.filter(pl.col("cause") == "other_death").height
    with pytest.raises(CompetingRisksError, match="cause must be 'cancer' or 'other'"):
        reg.cohort(WHERE).finegray(["node_burden"], cause="all")


def test_cause_specific_beside_subdistribution(reg):
    c = reg.cohort(WHERE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Cox models' proportional-hazards notices
        res = c.competing_hazards(["node_burden", "age_at_dx"])
        cox = c.cox(["node_burden", "age_at_dx"], event="event_cancer", univariable=False)
    fg = c.finegray(["node_burden", "age_at_dx"], univariable=False)
    t = res.table_
    # cause-specific = the Cox model of cancer death on the same records
    np.testing.assert_allclose(t["hr_cs_cancer"], cox.table_["hr_adjusted"], rtol=1e-12)
    np.testing.assert_allclose(t["hr_sd_cancer"], fg.table_["hr_adjusted"], rtol=1e-12)
    assert {"hr_cs_other", "hr_sd_other", "events_cancer", "events_other"} <= set(t.columns)
    s = res.summary()
    assert "cancer death: SHR (95% CI)" in s.columns and "other death: CSHR p" in s.columns
    assert res.records == fg.records and res.cancer_deaths == fg.events


def test_cli_finegray_compare_predict_and_errors(reg, tmp_path):
    db = str(reg.path)
    run = CliRunner().invoke
    r = run(main, ["finegray", "--db", db, "--where", WHERE, "--terms", "node_burden,age_at_dx",
                   "--predict", "node_burden=N0,age_at_dx=60;node_burden=N3,age_at_dx=60",
                   "--times", "12,60"])
    assert r.exit_code == 0, r.output
    assert "SHR (95% CI) adjusted" in r.output and "1 (reference)" in r.output
    assert "node_burden=N3, age_at_dx=60" in r.output
    r = run(main, ["finegray", "--db", db, "--where", WHERE, "--terms", "node_burden",
                   "--compare", "--strata", "dx_year_group"])
    assert r.exit_code == 0, r.output
    assert "cancer death: CSHR (95% CI)" in r.output and "dx_year_group" in r.output
    r = run(main, ["finegray", "--db", db, "--where", WHERE, "--terms", "node_burden",
                   "--format", "csv", "--table", "subdistribution_hazard_ratios"])
    assert r.exit_code == 0
    assert r.output.splitlines()[0].startswith("term,level,n,events,reference")
    # a group without cancer deaths: one clear line, exit 1, no traceback
    r = run(main, ["finegray", "--db", db, "--where",
                   "site_group = 'breast' and (node_burden <> 'N3' or cause <> 'cancer_death')",
                   "--terms", "node_burden"])
    assert r.exit_code == 1
    assert "node_burden = N3 has no cancer_death events" in r.output
    assert "Traceback" not in r.output
    r = run(main, ["cif", "--db", db, "--where", "site_group = 'breast'", "--times", "60"])
    assert r.exit_code == 0, r.output
    assert "Gray's test for trend" in r.output and "N0 < N1 < N2 < N3" in r.output


def test_report_page_and_predicted_curves(reg, tmp_path):
    from pypdf import PdfReader

    from cohort.report import load_spec, write_report

    p = tmp_path / "spec.toml"
    p.write_text("""
cohort = "site_group = 'breast'"
[cox]
terms = ["node_burden", "age_at_dx"]
strata = []
[competing_risks]
profiles = [{node_burden = "N0", age_at_dx = 60}, {node_burden = "N3", age_at_dx = 60}]
[net_survival]
enabled = false
""")
    result = write_report(reg, load_spec(p), tmp_path / "r.pdf")
    pages = [pg.extract_text() for pg in PdfReader(result.path).pages]
    i = next(k for k, t in enumerate(pages) if "Breast: competing risks" in t)
    assert "Breast: cause-specific and subdistribution hazards" in pages[i + 1]
    assert "Fine-Gray predictions from node_burden + age_at_dx" in pages[i]
    # Gray's tests printed on the CIF page are those of cohort cif
    tests = reg.cohort("site_group = 'breast'").cif(times=[60]).tests_
    trend = tests.filter((pl.col("cause") == "cancer_death")
                         & (pl.col("test") == "Gray's test for trend"))
    assert result.values["breast"]["gray"][("cancer_death", "trend")] == pytest.approx(
        trend["chisq"].item(), rel=1e-12)
    text = " ".join(pages[i].split())
    assert f"cancer death, trend: chi2 = {trend['chisq'].item():.1f} on 1 df" in text
    assert "Trend over N0 < N1 < N2 < N3" in text
    v = result.values["breast"]
    fg = reg.cohort(WHERE).finegray(["node_burden", "age_at_dx"], univariable=False)
    assert v["shr"][("node_burden", "N3")] == pytest.approx(
        fg.table_.filter(pl.col("level") == "N3")["hr_adjusted"].item(), rel=1e-12)
    assert f"{v['shr'][('node_burden', 'N3')]:.2f}" in pages[i + 1]
    bad = tmp_path / "bad.toml"
    bad.write_text("[competing_risks]\nprofiles = [{node_burden = true}]\n")
    from cohort.report import SpecError

    with pytest.raises(SpecError, match="competing_risks.profiles\\[1\\].node_burden"):
        load_spec(bad)
