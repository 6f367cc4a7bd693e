"""Competing risks (Aalen-Johansen) against R, by hand, and through a cohort."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import cohort
from cohort.survival.compete import aalen_johansen, cumulative_incidence

R = Path(__file__).parent / "fixtures" / "r"


def test_by_hand_with_ties():
    # t=2: 6 at risk, cause a and cause b tie; t=3 censored; t=4: cause a of 3 at risk
    t = np.array([2, 2, 3, 4, 5, 5])
    c = np.array(["a", "b", None, "a", None, None], dtype=object)
    times, est, n_risk = aalen_johansen(t, c, np.ones(6), ["a", "b"])
    assert n_risk.tolist() == [6, 4, 3, 2]
    # F_a(2) = 1/6; S(2) = 4/6; F_a(4) = 1/6 + 4/6 * 1/3; F_b stays 1/6
    assert est["a"][0].tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6 + 4 / 18, 1 / 6 + 4 / 18])
    assert est["b"][0].tolist() == pytest.approx([1 / 6] * 4)


def test_matches_r_survfit_multistate():
    # R: survfit(Surv(cr_months, factor(status, 0:2, c("censor","recurrence","death")))
    #            ~ node_burden), summary(times = c(12, 36, 60))
    d = pl.read_csv(R / "gbsg2.csv").with_columns(
        (pl.col("rectime") / 30.4375).floor().cast(pl.Int64).alias("time"),
        pl.when(pl.col("nodes") <= 3).then(pl.lit("N1"))
        .when(pl.col("nodes") <= 9).then(pl.lit("N2")).otherwise(pl.lit("N3")).alias("nb"),
        pl.when(pl.col("censrec") == 0).then(pl.lit("censored"))
        .when((pl.col("censdead") == 1) & (pl.col("rectime") == pl.col("survtime")))
        .then(pl.lit("death")).otherwise(pl.lit("recurrence")).alias("cause"),
    )
    counts = d.group_by("time", "cause", "nb").len("n")
    ours = cumulative_incidence(counts, by="nb", times=[12, 36, 60],
                                causes=("recurrence", "death"))
    golden = pl.read_csv(R / "cif.csv", null_values="NA").filter(
        pl.col("state") != "event_free").with_columns(pl.col("time").cast(pl.Float64))
    j = ours.join(golden, left_on=["group", "time", "cause"],
                  right_on=["group", "time", "state"])
    assert j.height == 18
    np.testing.assert_allclose(j["cumulative_incidence"], j["estimate"], atol=1e-12)
    np.testing.assert_allclose(j["se"], j["std.err"], atol=1e-10)
    assert j["n_risk"].to_list() == j["n.risk"].to_list()
    both = j.filter(pl.col("lower_right").is_not_null())
    np.testing.assert_allclose(both["lower"], both["lower_right"], atol=1e-10)
    np.testing.assert_allclose(both["upper"], both["upper_right"], atol=1e-10)


def test_cohort_cif_on_synth(tmp_path):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(cohort.synth.write(tmp_path / "s.csv", n=8000, seed=5))
    result = reg.cohort("site_group = 'breast'").cif(times=[60])
    est = result.estimates_
    assert set(est["cause"]) == {"cancer_death", "other_death"}
    assert result.unknown_cause > 0  # synth has deaths of unknown cause: left out
    # on the same records, the two incidences and all-cause survival add up to one
    known = reg.cohort("site_group = 'breast' and not (event = 1 and cause is null)")
    km = known.km(times=[60]).estimates_
    for g in km["group"]:
        total = est.filter(pl.col("group") == g)["cumulative_incidence"].sum()
        s = km.filter(pl.col("group") == g)["survival"].item()
        assert total + s == pytest.approx(1.0, abs=1e-9)
