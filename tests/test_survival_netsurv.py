"""Net and relative survival against R's relsurv, a no-excess cohort, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import cohort
from cohort.datasets import gbsg2_extract
from cohort.survival.netsurv import (
    LifeTableError,
    LifeTableWarning,
    load_lifetable,
    net_survival_table,
)

R = Path(__file__).parent / "fixtures" / "r"


def gbsg2_counts() -> pl.DataFrame:
    # completed months: surv_months = floor(days / 30.4375) leaves at surv_months + 0.5
    return pl.read_csv(R / "gbsg2.csv").with_columns(
        ((pl.col("survtime") / 30.4375).floor() + 0.5).alias("time"),
        pl.col("censdead").alias("event"),
        pl.lit("2").alias("sex"),
        pl.col("diagdateb").str.slice(6, 4).cast(pl.Int64).alias("dx_year"),
        pl.col("age").alias("age_at_dx"),
        pl.when(pl.col("nodes") <= 3).then(pl.lit("N1"))
        .when(pl.col("nodes") <= 9).then(pl.lit("N2")).otherwise(pl.lit("N3")).alias("group"),
    )


@pytest.mark.parametrize("method", ["pohar-perme", "ederer2"])
@pytest.mark.parametrize("group", ["overall", "N1", "N2", "N3"])
def test_matches_relsurv_on_the_same_whole_month_data(method, group):
    # R: rs.surv(Surv((surv_months + 0.5) * 30.4375, event) ~ 1, ratetable = survexp.us,
    #            rmap = list(age = (age + 0.5) * 365.241, sex = "female", year = 1 July))
    # compared where relsurv's step function has a row (netsurv_months.R)
    d = gbsg2_counts()
    d = d if group == "overall" else d.filter(pl.col("group") == group)
    counts = d.group_by("age_at_dx", "sex", "dx_year", "time", "event").len("n")
    gold = pl.read_csv(R / "netsurv_months.csv").filter(
        (pl.col("method") == method) & (pl.col("group") == group)).sort("time_months")
    ours = net_survival_table(counts, gold["row_time_months"].round(4).to_list(),
                              table=load_lifetable(), method=method)
    np.testing.assert_allclose(ours["net_survival"], gold["estimate"], atol=1e-3)
    np.testing.assert_allclose(ours["se"], gold["se"], atol=2e-4)


def test_within_0005_of_relsurv_on_exact_days(tmp_path):
    # R: rs.surv(Surv(survtime, event) ~ 1, ..., rmap = list(age = age*365.241,
    #            sex = "female", year = diagnosis date)) at 1, 3, 5 years (golden.R)
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(gbsg2_extract(tmp_path / "g.csv"))
    gold = pl.read_csv(R / "netsurv.csv", null_values="NA")
    for method in ("pohar-perme", "ederer2"):
        res = reg.cohort("site_group = 'breast'").net_survival(method=method)
        for g in ("N1", "N2", "N3"):
            ours = res.estimates_.filter(pl.col("group") == g).sort("time")
            theirs = gold.filter((pl.col("method") == method) & (pl.col("group") == g)
                                 ).sort("time_years")
            np.testing.assert_allclose(ours["net_survival"], theirs["estimate"], atol=0.005)
        expected = gold.filter(pl.col("method") == "expected-ederer1")
        n1 = res.estimates_.filter(pl.col("group") == "N1").sort("time")["expected"]
        np.testing.assert_allclose(
            n1, expected.filter(pl.col("group") == "N1").sort("time_years")["estimate"],
            atol=0.002)


def test_no_excess_mortality_gives_net_survival_near_one():
    """Deaths drawn from the life table itself: net survival stays at 1."""
    rng = np.random.default_rng(7)
    table = load_lifetable()
    n = 20_000
    age = rng.integers(50, 80, n)
    year = rng.integers(1990, 2000, n)
    sex = rng.integers(0, 2, n)
    t = np.zeros(n, int)
    dead = np.zeros(n, bool)
    alive = np.ones(n, bool)
    for m in range(120):  # monthly population deaths, attained age and year
        a = np.minimum(age + (m + 6) // 12, table.top_age)
        y = year - table.first_year + (m + 6) // 12
        q = 1 - np.exp(-table.hazard[y, sex, a] / 12)
        die = alive & (rng.random(n) < q)
        dead |= die
        t[die] = m
        alive &= ~die
    t[alive] = 119
    counts = pl.DataFrame({"age_at_dx": age, "sex": np.where(sex == 0, "1", "2"),
                           "dx_year": year, "time": t + 0.5, "event": dead.astype(int)}
                          ).group_by("age_at_dx", "sex", "dx_year", "time", "event").len("n")
    assert dead.mean() > 0.15  # real mortality happened
    for method in ("pohar-perme", "ederer2"):
        est = net_survival_table(counts, [12, 60, 118], table=table, method=method)
        assert ((est["lower"] <= 1) & (est["upper"] >= 1)).all(), est
        assert (abs(est["net_survival"] - 1) < 0.01).all()


def test_input_errors():
    table = load_lifetable()
    base = pl.DataFrame({"age_at_dx": [60], "sex": ["9"], "dx_year": [2000], "time": [10.5],
                         "event": [1], "n": [3]})
    with pytest.raises(LifeTableError, match=r"sex code\(s\) 9 \(3 cases\) cannot be matched"):
        net_survival_table(base, [12], table=table)
    early = base.with_columns(pl.lit("1").alias("sex"), pl.lit(1930).alias("dx_year"))
    with pytest.raises(LifeTableError, match="starts in 1940; cases diagnosed from 1930"):
        net_survival_table(early, [12], table=table)


def test_bad_life_table_files(tmp_path):
    p = tmp_path / "lt.csv"
    p.write_text("year,sex,age,rate\n2000,male,50,0.01\n")
    with pytest.raises(LifeTableError, match="lacks column\\(s\\) annual_hazard"):
        load_lifetable(p)
    p.write_text("year,sex,age,annual_hazard\n2000,M,50,0.01\n")
    with pytest.raises(LifeTableError, match="sex must be 'male' or 'female'"):
        load_lifetable(p)


def test_cohort_api_standardised_and_carried_forward(tmp_path):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(cohort.synth.write(tmp_path / "s.csv", n=6000, seed=3))
    c = reg.cohort("site_group = 'colon' and sex in ('1', '2')")
    with pytest.warns(LifeTableWarning, match="past the life table's last year 2014"):
        res = c.net_survival(standardise=1, times=[12, 60])
    est = res.estimates_
    assert set(est.columns) >= {"group", "time", "observed", "expected", "net_survival"}
    # relative survival is observed over expected, roughly; net above observed
    assert (est["net_survival"] >= est["observed"] - 1e-9).all()
    assert res.standardised_ is not None and res.standardised_.height == est.height
