"""Crude probabilities of death (Cronin & Feuer) against relsurv::cmp.rel (relsurv.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cohort.survival.crude import crude_table
from cohort.survival.netsurv import load_lifetable

R = Path(__file__).parent / "fixtures" / "r"


def rdata(sex: str) -> pl.DataFrame:
    d = pl.read_csv(R / "rdata.csv", schema_overrides={"sex": pl.Utf8})
    return d.filter(pl.col("sex") == sex).with_columns(
        (pl.col("surv_months") + 0.5).alias("time")
    ).group_by("age_at_dx", "sex", "dx_year", "time", "event").len("n")


@pytest.mark.parametrize(("sex", "group"), [("1", "male"), ("2", "female")])
def test_equal_cmp_rel(sex, group):
    # cmp.rel(Surv(t, event) ~ 1, ratetable = slopop, ...) at 1, 3 and 5 years
    table = load_lifetable(R / "slopop.csv")
    ours = crude_table(rdata(sex), [12, 36, 60], table=table)
    ref = pl.read_csv(R / "crude_cmprel.csv").filter(pl.col("group") == group)
    np.testing.assert_allclose(ours["cancer"], ref["cancer"], atol=5e-6)
    np.testing.assert_allclose(ours["other"], ref["other"], atol=5e-6)
    np.testing.assert_allclose(ours["cancer_se"] ** 2, ref["cancer_var"], rtol=1e-4)
    np.testing.assert_allclose(ours["other_se"] ** 2, ref["other_var"], rtol=1e-4)
    # plain CIs, as cmp.rel
    se = ours["cancer_se"]
    np.testing.assert_allclose(ours["cancer_upper"] - ours["cancer"], 1.959963984540054 * se)


def test_cancer_and_other_add_up_to_all_deaths():
    table = load_lifetable(R / "slopop.csv")
    ours = crude_table(rdata("2"), [6, 12, 24, 36, 60], table=table)
    np.testing.assert_allclose(ours["cancer"] + ours["other"], ours["observed_death"],
                               rtol=1e-12)
    assert (np.diff(ours["other"].to_numpy()) > 0).all()


def test_hand_computed_first_month(tmp_path):
    """Constant hazard 0.12 a year (0.01 a month): 100 men, 4 die at 0.5 months."""
    rows = [(y, s, a, 0.12) for y in (1999, 2000, 2001) for s in ("male", "female")
            for a in range(101)]
    path = tmp_path / "lt.csv"
    pl.DataFrame(rows, schema=["year", "sex", "age", "annual_hazard"], orient="row"
                 ).write_csv(path)
    counts = pl.DataFrame({"time": [0.5, 5.5], "event": [1, 0], "n": [4, 96],
                           "age_at_dx": [60, 60], "sex": ["1", "1"], "dx_year": [2000, 2000]})
    t = crude_table(counts, [0.5], table=load_lifetable(path)).row(0, named=True)
    pop = 0.005  # half a month of population hazard, everyone at risk through it
    assert t["other"] == pytest.approx(pop, rel=1e-12)
    assert t["cancer"] == pytest.approx(4 / 100 - pop, rel=1e-12)
    # sum (S_k - (F(t) - F_k))^2 dN / Y^2 at the one death time, S_k = 0.96
    assert t["cancer_se"] ** 2 == pytest.approx(0.96**2 * 4 / 100**2, rel=1e-12)
