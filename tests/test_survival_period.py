"""Period analysis (Brenner) and conditional survival through the registry: the window's
SQL, left truncation, and the life table against R (relsurv.R, section 3)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from helpers import sire_extract

import cohort
from cohort.survival.netsurv import load_lifetable
from cohort.survival.period import PeriodError, condition, parse_window

R = Path(__file__).parent / "fixtures" / "r"


@pytest.fixture(scope="module")
def sire(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sire")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(sire_extract(tmp / "sire.csv"))
    return reg


def test_window_in_sql(sire):
    c = sire.cohort("true")
    p = c.period("2008-2012")
    assert p.entry == "period_entry" and str(p.window) == "2008-2012"
    rows = sire.sql(f"select dx_year, dx_month, surv_months, event, period_entry from ({p.sql}) "
                    "order by all")
    full = pl.read_csv(R / "sire.csv")
    dx = full["dx_year"] * 12 + full["dx_month"] - 1
    w0, w1 = 2008 * 12, 2012 * 12 + 11
    inside = (dx <= w1) & (full["surv_months"] >= w0 - dx)
    assert rows.height == int(inside.sum()) == 5018  # relsurv.R: "period records: 5018"
    # diagnosed in the window: entry 0; before it: the months from diagnosis to 2008-01
    d = rows.with_columns((pl.col("dx_year") * 12 + pl.col("dx_month") - 1).alias("dx"))
    assert (d.filter(pl.col("dx") >= w0)["period_entry"] == 0).all()
    early = d.filter(pl.col("dx") < w0)
    assert (early["period_entry"] == w0 - early["dx"]).all()
    # follow-up ends at the window's end: none leaves after month W1 - dx
    assert (d["surv_months"] <= w1 - d["dx"]).all()
    assert (d["surv_months"] >= d["period_entry"]).all()
    assert int(rows["event"].sum()) == 1370  # relsurv.R: deaths inside the window


def test_period_life_table_equals_r(sire):
    # observed (actuarial, left-truncated), SEER*Stat's Ederer II from survexp and the
    # relative survival; R counted the window from the same whole months
    res = sire.cohort("true").period("2008-2012").lifetable(
        by=None, interval=1, horizon=60, lifetable=R / "popmort_fi.csv", min_at_risk=0)
    lt = res.table_
    ref = pl.read_csv(R / "period_lifetable.csv", null_values="NA")
    assert lt["alive_start"].to_list() == ref["alive"].to_list()
    assert lt["died"].to_list() == ref["died"].to_list()
    assert lt["withdrawn"].to_list() == ref["withdrawn"].to_list()
    np.testing.assert_allclose(lt["observed"], ref["observed"], atol=1e-12)
    np.testing.assert_allclose(lt["expected"], ref["ederer2"], atol=1e-6)
    np.testing.assert_allclose(lt["relative"], ref["relative_ederer2"], atol=1e-6)
    assert "period analysis 2008-2012" in res.note
    assert (res.monthly_["entered"][1:] > 0).all()  # earlier diagnoses enter every month


def test_a_window_over_all_follow_up_is_complete_analysis(sire):
    c = sire.cohort("true")
    table = load_lifetable(R / "popmort_fi.csv")
    opts = dict(by=None, interval=12, horizon=60, lifetable=table, min_at_risk=0)
    complete = c.lifetable(**opts).table_
    period = c.period("1990-2020").lifetable(**opts).table_
    for col in ("alive_start", "died", "withdrawn"):
        assert period[col].to_list() == complete[col].to_list()
    for col in ("observed", "expected", "relative", "net"):
        np.testing.assert_allclose(period[col], complete[col], rtol=1e-12, err_msg=col)


def test_hybrid_is_a_window_over_recent_diagnoses(sire):
    table = load_lifetable(R / "popmort_fi.csv")
    hybrid = sire.cohort("dx_year >= 2007").period("2008-2012").lifetable(
        by=None, interval=12, horizon=36, lifetable=table, min_at_risk=0).table_
    period = sire.cohort("true").period("2008-2012").lifetable(
        by=None, interval=12, horizon=36, lifetable=table, min_at_risk=0).table_
    # diagnosis from 2007 covers every entry up to month 12: the first year of follow-up
    # comes from the same diagnoses in both ...
    for col in ("alive_start", "died", "withdrawn"):
        assert hybrid[col][0] == period[col][0]
    for col in ("observed", "expected", "relative", "net"):
        assert hybrid[col][0] == pytest.approx(period[col][0], rel=1e-12)
    # ... from month 24 on, only diagnoses since 2007 in the hybrid
    assert hybrid["alive_start"][1] == period["alive_start"][1]
    assert hybrid["alive_start"][2] < period["alive_start"][2]


def test_conditional_net_survival_is_the_ratio(sire):
    table = load_lifetable(R / "popmort_fi.csv")
    c = sire.cohort("true")
    full = c.net_survival(by=None, times=[12, 36, 60], lifetable=table).estimates_
    cond = c.net_survival(by=None, times=[36, 60], lifetable=table, given=12).estimates_
    s12 = full["net_survival"][0]
    np.testing.assert_allclose(cond["net_survival"], full["net_survival"][1:] / s12,
                               atol=3e-5)
    assert "conditional on survival to 12 months" in c.net_survival(
        by=None, times=[36], lifetable=table, given=12).note


def test_ehr_in_a_period_window(sire):
    table = load_lifetable(R / "popmort_fi.csv")
    res = sire.cohort("true").period("2008-2012").ehr(["age_group"], lifetable=table,
                                                      intervals=(0, 1, 3, 5))
    cells = res.model_.cells_
    # only follow-up inside the window: the deaths counted are the window's (within 5 years)
    assert cells["d"].sum() <= 1370
    assert res.table_.filter(~pl.col("reference"))["ehr"].min() > 1  # older, higher excess
    assert "period analysis 2008-2012" in res.note


def test_window_and_condition_errors():
    assert parse_window("2020") == parse_window((2020, 2020))
    with pytest.raises(PeriodError, match="a period is a year or two years"):
        parse_window("2018-20")
    with pytest.raises(PeriodError, match="before its first"):
        parse_window("2020-2018")
    with pytest.raises(PeriodError, match="0 or more"):
        condition(pl.DataFrame({"time": [1.5], "event": [1], "n": [1]}), -1)


def test_period_kaplan_meier_equals_survfit(sire):
    # survfit(Surv(entry, exit, event) ~ 1, conf.type = "log-log") on the window's records
    res = sire.cohort("true").period("2008-2012").km(by=None, times=[12, 36, 60, 12.5, 36.5,
                                                                     60.5])
    est = res.estimates_.head(3)
    ref = pl.read_csv(R / "period_km.csv")
    # summary(survfit, times = t) gives the risk set of the next time in the fit: here
    # t + 0.5, which holds the cases entering at t (entry < t <= exit excludes them at t)
    assert res.estimates_["n_risk"][3:].to_list() == ref["n.risk"].to_list()
    np.testing.assert_allclose(est["survival"], ref["surv"], atol=1e-12)
    np.testing.assert_allclose(est["lower"], ref["lower"], atol=1e-10)
    np.testing.assert_allclose(est["upper"], ref["upper"], atol=1e-10)
    assert "period analysis 2008-2012" in res.note


def test_period_cox_equals_coxph(sire):
    # coxph(Surv(entry, exit, event) ~ icss, ties = "efron") on the window's records
    c = sire.cohort(
        "select *, case when age_at_dx < 45 then '<45' when age_at_dx < 55 then '45-54' "
        "when age_at_dx < 65 then '55-64' when age_at_dx < 75 then '65-74' else '75+' end "
        "as icss from cases")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the proportional-hazards check is not tested here
        res = c.period("2008-2012").cox(["icss"], reference={"icss": "<45"})
    t = res.table_.filter(~pl.col("reference"))
    ref = pl.read_csv(R / "period_cox.csv")
    levels = {f"icss{lv}": lv for lv in ("45-54", "55-64", "65-74", "75+")}
    for r in ref.iter_rows(named=True):
        row = t.filter(pl.col("level") == levels[r["term"]]).row(0, named=True)
        assert row["coef_adjusted"] == pytest.approx(r["coef"], abs=1e-7)
        assert row["se_adjusted"] == pytest.approx(r["se"], abs=1e-7)


def test_conditional_kaplan_meier_is_the_ratio(sire):
    c = sire.cohort("true")
    full = c.km(by=None, times=[12, 36, 60]).estimates_
    cond = c.km(by=None, times=[36, 60], given=12)
    s12 = full["survival"][0]
    np.testing.assert_allclose(cond.estimates_["survival"], full["survival"][1:] / s12,
                               rtol=1e-12)
    # the risk set after 12 months is the same
    assert cond.estimates_["n_risk"].to_list() == full["n_risk"][1:].to_list()
    assert "conditional on survival to 12 months" in cond.note


def test_hakulinen_through_the_registry_equals_survexp(sire):
    # potential follow-up to the latest follow-up month in the cohort (cohort's default,
    # as relsurv.R), from the dates in the database; the table cut at 60 months
    res = sire.cohort("true").lifetable(by=None, interval=1, horizon=60, expected="hakulinen",
                                        lifetable=R / "popmort_fi.csv", min_at_risk=0)
    ref = pl.read_csv(R / "lifetable_expected.csv", null_values="NA").filter(
        pl.col("data") == "sire")
    np.testing.assert_allclose(res.table_["expected"], ref["hakulinen"], atol=1e-6)
    d = pl.read_csv(R / "sire.csv")
    last = d.select((pl.col("dx_year") * 12 + pl.col("dx_month") - 1 + pl.col("surv_months"))
                    .max()).item()
    closing = f"{last // 12}-{last % 12 + 1:02d}"  # the data's last follow-up month, given
    closed = sire.cohort("true").lifetable(by=None, interval=12, horizon=60,
                                           expected="hakulinen", closing=closing,
                                           lifetable=R / "popmort_fi.csv", min_at_risk=0)
    np.testing.assert_allclose(closed.table_["expected"], ref["hakulinen"][11::12], atol=1e-6)


def test_period_counts_equal_popepi_split(sire):
    # popEpi splits the same window at its calendar edges (relsurv.R, period_popepi.csv):
    # deaths and person-years per month of follow-up inside 2008-2012
    res = sire.cohort("true").period("2008-2012").ehr(
        ["age_group"], lifetable=R / "popmort_fi.csv", intervals=[m / 12 for m in range(61)])
    cells = res.model_.cells_.group_by("interval", maintain_order=True).agg(
        pl.col("d", "d_star", "y").sum())
    ref = pl.read_csv(R / "period_popepi.csv")
    np.testing.assert_array_equal(cells["d"], ref["d"])
    np.testing.assert_allclose(cells["y"], ref["pyrs"], rtol=1e-10)
    # expected deaths: popEpi places each diagnosis at its month, cohort's rates at the
    # middle of its year; the calendar-year rates differ by up to 1% a month
    np.testing.assert_allclose(cells["d_star"], ref["d_exp"], rtol=0.015)
    assert cells["d_star"].sum() == pytest.approx(ref["d_exp"].sum(), rel=5e-3)
