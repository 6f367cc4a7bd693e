"""Excess hazard regression against popEpi::relpois_ag and relsurv::rsadd (relsurv.R)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cohort.survival.ehr import (
    ExcessFitWarning,
    ExcessModelError,
    excess_cells,
    fit_ehr,
    fit_excess_poisson,
)
from cohort.survival.netsurv import load_lifetable

R = Path(__file__).parent / "fixtures" / "r"
AGEGR = ["<54", "54-61", "62-70", "71-95"]  # R's factor order: "<54" is the reference


def rdata_counts() -> pl.DataFrame:
    d = pl.read_csv(R / "rdata.csv", schema_overrides={"sex": pl.Utf8})
    return d.with_columns(
        (pl.col("surv_months") + 0.5).alias("time"),
        pl.col("sex").replace({"1": "male", "2": "female"}).alias("sexn"),
    ).group_by("age_at_dx", "sex", "dx_year", "time", "event", "sexn", "agegr").len("n")


CATEGORICAL = {"sexn": ["male", "female"], "agegr": AGEGR}


def test_fit_equals_relpois_on_the_same_cells():
    # popEpi: cells counted by lexpand/aggre, then relpois_ag(d ~ -1 + fot + sex + agegr,
    # d.exp = d_star, offset = log(y)); cohort fits that very table
    cells = pl.read_csv(R / "ehr_cells.csv").rename({"sex": "sexn"})
    model = fit_ehr(cells, ["sexn", "agegr"], categorical=CATEGORICAL)
    ref = pl.read_csv(R / "ehr_glm.csv")
    # R: fot[0, 1) ... fot[3, 5), sexfemale, agegr54-61, agegr62-70, agegr71-95
    np.testing.assert_allclose(model.fit_.coef, ref["coef"], atol=1e-6)
    np.testing.assert_allclose(model.fit_.se, ref["se"], atol=1e-6)
    assert model.fit_.deviance == pytest.approx(ref["deviance"][0], abs=1e-6)
    fit = model.model().row(0, named=True)
    assert fit["df"] == ref["df_resid"][0]
    tests = pl.read_csv(R / "ehr_glm_tests.csv")
    ours = model.tests_
    for r in tests.iter_rows(named=True):
        row = ours.filter(pl.col("term") == ("sexn" if r["term"] == "sex" else r["term"]))
        assert row["lr_chisq"][0] == pytest.approx(r["lr"], abs=1e-6)
        assert row["wald_chisq"][0] == pytest.approx(r["wald"], abs=1e-6)
        assert row["df"][0] == r["df"]


def test_time_varying_equals_relpois_interaction():
    # relpois_ag(d ~ -1 + fot + fot:sex + agegr): one female/male EHR per interval
    cells = pl.read_csv(R / "ehr_cells.csv").rename({"sex": "sexn"})
    model = fit_ehr(cells, ["sexn", "agegr"], categorical=CATEGORICAL, time_varying=["sexn"])
    ref = pl.read_csv(R / "ehr_glm_tv.csv")
    coef = dict(zip(model.fit_.names, model.fit_.coef, strict=True))
    for r in ref.iter_rows(named=True):
        name = r["term"]
        if name.endswith(":sexfemale"):
            band = name.split(":")[0]
            ours = f"sexn[female]:interval[{_band(band)}]"
        elif name.startswith("fot"):
            ours = f"interval[{_band(name)}]"
        else:
            ours = f"agegr[{name.removeprefix('agegr')}]"
        assert coef[ours] == pytest.approx(r["coef"], abs=1e-6), name
    assert model.fit_.deviance == pytest.approx(ref["deviance"][0], abs=1e-6)
    nph = model.tests_.filter(pl.col("test") == "non-proportional excess hazards").row(
        0, named=True)
    base = fit_ehr(cells, ["sexn", "agegr"], categorical=CATEGORICAL)
    assert nph["df"] == 3
    assert nph["lr_chisq"] == pytest.approx(base.fit_.deviance - model.fit_.deviance)
    table = model.table()
    assert table.filter(pl.col("term") == "sexn")["interval"].drop_nulls().n_unique() == 4


def _band(r_label: str) -> str:
    """``fot[1, 2)`` -> ``1-2``."""
    a, b = r_label.removeprefix("fot[").removesuffix(")").split(", ")
    return f"{a}-{b}"


def test_cells_equal_popepi_split():
    # lexpand/splitMulti at every year and age boundary against cohort's half-month grid:
    # with age + 0.5 and mid-year diagnosis every boundary falls on the grid
    cells = excess_cells(rdata_counts(), table=load_lifetable(R / "slopop.csv"),
                         covariates=["sexn", "agegr"])
    ref = pl.read_csv(R / "ehr_cells.csv").rename({"sex": "sexn"})
    both = cells.join(ref, on=["interval", "sexn", "agegr"], how="full", coalesce=True)
    assert both.height == ref.height == cells.height
    np.testing.assert_array_equal(both["d"], both["d_right"])
    np.testing.assert_allclose(both["y"], both["y_right"], rtol=1e-12)
    np.testing.assert_allclose(both["d_star"], both["d_star_right"], rtol=1e-10)


def test_rsadd_is_the_same_model_on_its_own_expected_deaths():
    """relsurv::rsadd(method = "glm.poi") splits follow-up into one-year pieces and gives
    each person, for each piece, expected deaths = person-years x the mean population
    hazard over the whole year from the piece's start (relsurv's glmxp), where popEpi and
    cohort integrate the hazard over the time actually at risk. That moves the sex EHR by
    ~2e-3. Fitted to rsadd's own counts, cohort's fit gives rsadd's coefficients."""
    from cohort.survival.netsurv import to_grid

    table = load_lifetable(R / "slopop.csv")
    ref = pl.read_csv(R / "ehr_rsadd.csv")
    r = {row["term"]: row for row in ref.iter_rows(named=True)}
    c = rdata_counts()
    grid = to_grid(c, table=table, steps=121)
    pieces = []
    for j, band in enumerate(["0-1", "1-2", "2-3", "3-5", "3-5"]):
        a, b = 24 * j, 24 * (j + 1)  # half-months
        at = grid.exit_h > a
        lam = grid.lam[grid.key, b] - grid.lam[grid.key, a]  # the whole year's hazard
        y = (np.minimum(grid.exit_h, b) - a) / 24 * grid.n
        pieces.append(c.with_columns(
            pl.lit(j).alias("piece"), pl.lit(band).alias("interval"),
            pl.Series("d", grid.n * (grid.dead & (grid.exit_h <= b))),
            pl.Series("d_star", y * lam), pl.Series("y", y)).filter(pl.Series(at)))
    cells = pl.concat(pieces).group_by("piece", "interval", "sexn", "agegr").agg(
        pl.col("d", "d_star", "y").sum()).sort("piece", "sexn", "agegr")
    model = fit_ehr(cells, ["sexn", "agegr"],
                    categorical={"sexn": ["female", "male"], "agegr": AGEGR})
    coef = dict(zip(model.fit_.names, model.fit_.coef, strict=True))
    se = dict(zip(model.fit_.names, model.fit_.se, strict=True))
    pairs = {"sexn[male]": "sexnmale", "agegr[54-61]": "agegr54-61",
             "agegr[62-70]": "agegr62-70", "agegr[71-95]": "agegr71-95",
             "interval[0-1]": "fu [0,1]", "interval[1-2]": "fu (1,2]",
             "interval[2-3]": "fu (2,3]", "interval[3-5]": "fu (3,5]"}
    for ours, theirs in pairs.items():
        # relsurv measures years of 365.241 days, cohort months of 365.25 / 12
        assert coef[ours] == pytest.approx(r[theirs]["coef"], abs=1e-4), ours
        assert se[ours] == pytest.approx(r[theirs]["se"], abs=1e-4), ours
    exact = fit_ehr(excess_cells(c, table=table, covariates=["sexn", "agegr"]),
                    ["sexn", "agegr"], categorical={"sexn": ["female", "male"],
                                                    "agegr": AGEGR})
    g = dict(zip(exact.fit_.names, exact.fit_.coef, strict=True))
    assert abs(g["sexn[male]"] - r["sexnmale"]["coef"]) < 5e-3


def test_equal_excess_in_every_group_gives_ehr_one():
    """Deaths from the life table plus the same excess hazard in both groups."""
    table = load_lifetable()
    rng = np.random.default_rng(5)
    n = 30_000
    group = rng.integers(0, 2, n)
    age = rng.integers(50, 80, n)
    year = rng.integers(1995, 2005, n)
    sex = rng.integers(0, 2, n)
    alive = np.ones(n, bool)
    t = np.full(n, 60)  # followed past 5 years, so the 3-5 year interval is complete
    dead = np.zeros(n, bool)
    for m in range(61):
        a = np.minimum(age + (m + 6) // 12, table.top_age)
        y = year - table.first_year + (m + 6) // 12
        q = 1 - np.exp(-(table.hazard[y, sex, a] + 0.08) / 12)  # population + 0.08/year
        die = alive & (rng.random(n) < q)
        t[die], dead[die] = m, True
        alive &= ~die
    counts = pl.DataFrame({"age_at_dx": age, "sex": np.where(sex == 0, "1", "2"),
                           "dx_year": year, "time": t + 0.5, "event": dead.astype(int),
                           "g": np.where(group == 0, "a", "b")}
                          ).group_by("age_at_dx", "sex", "dx_year", "time", "event", "g").len("n")
    cells = excess_cells(counts, table=table, covariates=["g"])
    model = fit_ehr(cells, ["g"], categorical={"g": ["a", "b"]})
    row = model.table().filter(pl.col("level") == "b").row(0, named=True)
    assert row["lower"] < 1 < row["upper"]
    assert abs(row["ehr"] - 1) < 0.1
    base = model.baseline()
    se = (np.log(base["upper"]) - np.log(base["lower"])) / (2 * 1.959964) * base["excess_rate"]
    assert (abs(base["excess_rate"] - 0.08) < 3 * se).all(), base  # 3 SE: 3 in 1,000 by chance


def test_a_group_without_excess_deaths_is_flagged():
    d = np.array([5.0, 0.0, 6.0, 0.0])
    ds = np.array([1.0, 2.0, 1.0, 2.0])
    y = np.array([100.0, 100.0, 100.0, 100.0])
    x = np.array([[1, 0], [1, 1], [1, 0], [1, 1]], dtype=float)
    fit = fit_excess_poisson(x, d, ds, y)
    assert fit.coef[1] < -10  # the second group's excess hazard runs off to 0
    cells = pl.DataFrame({"interval": ["0-1"] * 4, "g": ["a", "b", "a", "b"], "d": d,
                          "d_star": ds, "y": y})
    with pytest.warns(ExcessFitWarning, match=r"g\[b\].*no deaths above the expected"):
        fit_ehr(cells, ["g"], categorical={"g": ["a", "b"]}, intervals=(0, 1))


def test_input_errors():
    table = load_lifetable()
    c = rdata_counts()
    with pytest.raises(ExcessModelError, match="must start at 0 and increase"):
        excess_cells(c, table=table, covariates=[], intervals=(1, 2))
    cells = pl.read_csv(R / "ehr_cells.csv").rename({"sex": "sexn"})
    with pytest.raises(ExcessModelError, match="time-varying term.*not model terms"):
        fit_ehr(cells, ["agegr"], categorical=CATEGORICAL, time_varying=["sexn"])
    with pytest.raises(ExcessModelError, match="one level"):
        fit_ehr(cells.filter(pl.col("sexn") == "male"), ["sexn"],
                categorical={"sexn": ["male"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ExcessModelError, match="reference level 'x'"):
            fit_ehr(cells, ["sexn"], categorical=CATEGORICAL, reference={"sexn": "x"})
