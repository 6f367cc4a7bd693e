"""Harrell's C (cohort.survival.concordance) against R's concordance() and a pair-by-pair count.

R values: tests/fixtures/r/cox/cox.R (survival 3.5-3), output in cox.json / cox.Rout.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort.survival.concordance as C
from cohort.survival import ModelError, ProportionalHazardsWarning
from cohort.survival.concordance import concordance, linear_predictor
from cohort.survival.cox import fit_cox

R = Path(__file__).parent / "fixtures" / "r" / "cox"
GOLD = json.loads((R / "cox.json").read_text())
COUNTS = ("concordant", "discordant", "tied_risk", "tied_time", "tied_both")


def _lung(drop=()):
    d = pl.read_csv(R / "lung.csv", null_values=["", "NA"])
    return d.drop_nulls(list(drop)).with_columns(
        event=pl.col("status") - 1, n=pl.lit(1), sexc=pl.col("sex").cast(pl.Utf8),
        ecog=pl.col("ph.ecog").cast(pl.Int64).cast(pl.Utf8),
    )


def _assert_matches_r(result, name, *, var=True):
    gold = GOLD[name]
    assert [getattr(result, k) for k in COUNTS] == gold["count"]
    assert result.c == pytest.approx(gold["concordance"], rel=1e-14)
    if var:
        assert result.variance == pytest.approx(gold["var"], rel=1e-12)


# ---------------------------------------------------------------------------
# by hand


def test_by_hand():
    # times 1..4 all deaths, risks 4,3,1,2: pairs (1,2)c (1,3)c (1,4)c (2,3)c (2,4)c (3,4)d
    r = concordance([1, 2, 3, 4], [1, 1, 1, 1], [4.0, 3.0, 1.0, 2.0])
    assert (r.concordant, r.discordant, r.tied_risk) == (5, 1, 0)
    assert r.c == pytest.approx(5 / 6)
    # a record censored at a death time outlives it; deaths at one time are not compared
    r = concordance([2, 2, 2], [1, 0, 1], [2.0, 1.0, 2.0])
    assert (r.concordant, r.discordant, r.tied_risk, r.tied_time, r.tied_both) == (2, 0, 0, 0, 1)


def test_left_truncation_by_hand():
    # a: (0, 2] death, risk 3;  b: (3, 5] censored, risk 1;  c: (1, 4] death, risk 2
    # at t = 2 the risk set is {a, c} (b enters at 3): a-c concordant (3 > 2);
    # at t = 4 it is {c, b}: c-b concordant (2 > 1). a-b are never at risk together.
    args = ([2, 5, 4], [1, 0, 1], [3.0, 1.0, 2.0])
    r = concordance(*args, entry=[0, 3, 1])
    assert (r.concordant, r.discordant, r.tied_risk) == (2, 0, 0)
    # without the entry times a-b is a (concordant) pair too
    assert concordance(*args).concordant == 3
    # entry is exclusive: entering exactly at a death time is not being at risk for it
    assert concordance(*args, entry=[0, 3.5, 2]).concordant == 1


def test_strata_and_weights_by_hand():
    # stratum x: deaths at 1 (risk 2, n = 3) and 2 (risk 1, n = 2), censored 3 (risk 3, n = 1)
    # stratum y: a death at 1 (risk 0) and a record censored at 5 (risk 9): discordant
    r = concordance([1, 2, 3, 1, 5], [1, 1, 0, 1, 0], [2.0, 1.0, 3.0, 0.0, 9.0],
                    weight=[3, 2, 1, 1, 1], strata=["x", "x", "x", "y", "y"])
    # x: 3 x 2 concordant (2 > 1), 3 x 1 discordant (2 < 3), 2 x 1 discordant (1 < 3)
    assert (r.concordant, r.discordant, r.tied_risk) == (6, 3 + 2 + 1, 0)
    # deaths at time 1 in different strata are not tied in time; the 3 (and 2) records of
    # one row are: 3 + 1 pairs
    assert (r.tied_time, r.tied_both) == (0, 4)
    assert r.c == pytest.approx(6 / 12)


def test_bad_input():
    with pytest.raises(ModelError, match="entry must be before time: row 1 has entry 3"):
        concordance([1, 2], [1, 0], [0.0, 1.0], entry=[0, 3])
    with pytest.raises(ModelError, match="event must be 0"):
        concordance([1, 2], [1, 2], [0.0, 1.0])
    with pytest.raises(ModelError, match="risk has 1 rows but time has 2"):
        concordance([1, 2], [1, 0], [0.0])
    assert np.isnan(concordance([1, 2], [0, 0], [0.0, 1.0]).c)  # no comparable pair


# ---------------------------------------------------------------------------
# R: concordance() of coxph fits


def test_lung_unstratified_matches_r():
    # R: concordance(coxph(Surv(time, status) ~ age + sex, data = lung))
    d = _lung()
    m = fit_cox(d, ["age", "sex"], categorical={}, time="time")
    _assert_matches_r(m.fitter.concordance_, "c_lung")
    assert m.concordance == pytest.approx(GOLD["c_lung"]["concordance"], rel=1e-14)


def test_stratified_counts_pairs_within_strata():
    # R: concordance(coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung))
    # = 0.5827 (pairs within a stratum); counting across strata gives 0.6024
    d = _lung(drop=["ph.ecog"])
    m = fit_cox(d, ["age", "sex"], categorical={}, strata=["ecog"], time="time")
    _assert_matches_r(m.fitter.concordance_, "c_lung_strata")
    assert m.concordance == pytest.approx(0.582737845033, abs=1e-12)


def test_ties_in_the_linear_predictor_do_not_depend_on_row_order():
    # R: concordance(coxph(Surv(time, status) ~ age + factor(sex) + factor(ph.ecog)))
    # 5 columns: numpy's product rounds identical rows differently by position, so a
    # shuffled table used to count tied pairs as concordant or discordant (0.637009)
    d = _lung(drop=["ph.ecog"])
    cats = {"sexc": ["1", "2"], "ecog": ["0", "1", "2", "3"]}
    terms = ["age", "sexc", "ecog"]
    values = set()
    for seed in (None, 3, 11):
        rows = d if seed is None else d.sample(fraction=1.0, shuffle=True, seed=seed)
        m = fit_cox(rows, terms, categorical=cats, time="time")
        _assert_matches_r(m.fitter.concordance_, "c_lung_ecog")
        values.add(m.concordance)
    assert len(values) == 1


def test_counting_process_matches_r():
    # R: concordance(coxph(Surv(start, stop, event) ~ age + surgery + transplant, heart))
    h = pl.read_csv(R / "heart.csv").with_columns(n=pl.lit(1),
                                                  transplant=pl.col("transplant").cast(pl.Utf8))
    cats = {"transplant": ["0", "1"]}
    with warnings.catch_warnings():  # the PH check flags transplant (p = 0.03)
        warnings.simplefilter("ignore", ProportionalHazardsWarning)
        m = fit_cox(h, ["age", "surgery", "transplant"], categorical=cats, time="stop",
                    entry="start")
    _assert_matches_r(m.fitter.concordance_, "c_heart")
    # R: ... ~ age + transplant + strata(surgery)
    h = h.with_columns(surg=pl.col("surgery").cast(pl.Utf8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProportionalHazardsWarning)
        m = fit_cox(h, ["age", "transplant"], categorical=cats, strata=["surg"], time="stop",
                    entry="start")
    _assert_matches_r(m.fitter.concordance_, "c_heart_strata")


def test_integer_score_with_ties_matches_r():
    # R: concordance(Surv(start, stop, event) ~ score, data = heart, reverse = TRUE)
    h = pl.read_csv(R / "heart.csv")
    score = (h["surgery"] + 2 * h["transplant"]).to_numpy().astype(float)
    r = _both_paths(h["stop"], h["event"], score, entry=h["start"])
    _assert_matches_r(r, "c_heart_score")


def test_collapsed_weighted_tables_match_r_on_the_records():
    # ties.csv: 207,000 records in 57 rows; R: concordance(coxph(Surv(time, event) ~ g +
    # strata(z), data = records))
    t = pl.read_csv(R / "ties.csv")
    x = np.column_stack([t["g"] == "b", t["g"] == "c"]).astype(float)
    risk, pattern = linear_predictor(x, GOLD["ties_efron_strata"]["coef"])
    r = _both_paths(t["time"], t["event"], risk, weight=t["n"], strata=t["z"], pattern=pattern)
    _assert_matches_r(r, "c_ties_strata")
    # period.csv: left-truncated, stratified; R on the 6,344 records
    p = pl.read_csv(R / "period.csv", schema_overrides={"sex": pl.Utf8})
    x = np.column_stack([p["node"] == "N1", p["node"] == "N2"]).astype(float)
    risk, pattern = linear_predictor(x, GOLD["period_efron"]["coef"])
    r = _both_paths(p["time"], p["event"], risk, weight=p["n"], strata=p["sex"],
                    entry=p["entry"], pattern=pattern)
    _assert_matches_r(r, "c_period_strata")
    # R given the collapsed rows with case weights: same C and pair counts between rows,
    # but a row of n deaths is one unit (tied_both) and its variance is not the records'
    weighted = GOLD["c_period_weighted"]
    assert r.c == pytest.approx(weighted["concordance"], rel=1e-14)
    assert [r.concordant, r.discordant, r.tied_risk] == weighted["count"][:3]
    assert r.variance < weighted["var"] / 4


# ---------------------------------------------------------------------------
# properties: collapsed rows = records, counted pair by pair


def brute_force(time, event, risk, strata, entry):
    """Pair-by-pair counts and R's variance on records (one row per record)."""
    n = len(time)
    conc = disc = tied = tied_y = tied_xy = 0
    infl = np.zeros((n, 3))
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i or strata[j] != strata[i]:
                continue
            if event[j] and time[j] == time[i]:
                if j > i:
                    tied_y += 1
                    tied_xy += risk[j] == risk[i]
                continue
            if not (entry[j] < time[i] <= time[j]):
                continue
            k = 0 if risk[i] > risk[j] else (1 if risk[i] < risk[j] else 2)
            conc, disc, tied = conc + (k == 0), disc + (k == 1), tied + (k == 2)
            infl[i, k] += 1
            infl[j, k] += 1
    npair = conc + disc + tied
    if npair == 0:
        return float("nan"), (conc, disc, tied, tied_y - tied_xy, tied_xy), float("nan")
    somers = (conc - disc) / npair
    dfbeta = (infl[:, 0] - infl[:, 1]) / npair - somers / npair * infl.sum(axis=1)
    c = (conc + tied / 2) / npair
    return c, (conc, disc, tied, tied_y - tied_xy, tied_xy), float((dfbeta**2).sum() / 4)


@st.composite
def tables(draw):
    rows = draw(st.integers(2, 12))
    ints = st.integers
    time = np.array(draw(st.lists(ints(2, 6), min_size=rows, max_size=rows)), float)
    entry = np.array(draw(st.lists(ints(0, 5), min_size=rows, max_size=rows)), float)
    entry = np.minimum(entry, time - 1) if draw(st.booleans()) else None
    event = np.array(draw(st.lists(ints(0, 1), min_size=rows, max_size=rows)))
    risk = np.array(draw(st.lists(ints(0, 3), min_size=rows, max_size=rows)), float)
    weight = np.array(draw(st.lists(ints(1, 4), min_size=rows, max_size=rows)))
    strata = np.array(draw(st.lists(ints(0, draw(ints(0, 1))), min_size=rows, max_size=rows)))
    return time, event, risk, weight, strata, entry


def _both_paths(*args, **kw):
    """The result with the dense grid and with the wavelet matrix (they must agree)."""
    saved = (C._GRID_CELLS_PER_ROW, C._GRID_BASE_CELLS)
    try:
        C._GRID_CELLS_PER_ROW, C._GRID_BASE_CELLS = 10**9, 10**9
        grid = concordance(*args, **kw)
        C._GRID_CELLS_PER_ROW, C._GRID_BASE_CELLS = 0, 0
        wavelet = concordance(*args, **kw)
    finally:
        C._GRID_CELLS_PER_ROW, C._GRID_BASE_CELLS = saved
    assert [getattr(grid, k) for k in COUNTS] == [getattr(wavelet, k) for k in COUNTS]
    assert grid.c == pytest.approx(wavelet.c, rel=1e-15, nan_ok=True)
    assert grid.variance == pytest.approx(wavelet.variance, rel=1e-12, nan_ok=True)
    return wavelet


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.randoms(use_true_random=False))
def test_collapsed_equals_pair_by_pair_on_records(table, rnd):
    time, event, risk, weight, strata, entry = table
    got = _both_paths(time, event, risk, weight=weight, strata=strata, entry=entry)
    idx = np.repeat(np.arange(time.size), weight)
    ent = np.full(idx.size, -np.inf) if entry is None else entry[idx]
    c, counts, var = brute_force(time[idx], event[idx], risk[idx], strata[idx], ent)
    assert tuple(getattr(got, k) for k in COUNTS) == counts
    if sum(counts[:3]) == 0:
        assert np.isnan(got.c)
        return
    assert got.c == pytest.approx(c, rel=1e-14)
    assert got.variance == pytest.approx(var, rel=1e-9, abs=1e-15)
    # the result does not depend on the order of the rows
    perm = np.array(rnd.sample(range(time.size), time.size))
    again = concordance(time[perm], event[perm], risk[perm], weight=weight[perm],
                        strata=strata[perm], entry=None if entry is None else entry[perm])
    assert [getattr(again, k) for k in ("c", *COUNTS)] == [getattr(got, k) for k in ("c", *COUNTS)]
    assert again.variance == pytest.approx(got.variance, rel=1e-12)


def test_linear_predictor_is_exact_per_pattern():
    # identical rows at different positions of a Fortran-ordered 9-column design: numpy's
    # product gives them values 1e-17 apart; linear_predictor gives one value per pattern
    rng = np.random.default_rng(0)
    patterns = rng.normal(size=(5, 9))
    idx = rng.integers(0, 5, 1001)
    x = np.asfortranarray(patterns[idx])
    beta = rng.normal(size=9)
    risk, pattern = linear_predictor(x, beta)
    for k in range(5):
        assert np.unique(risk[idx == k]).size == 1
        assert np.unique(pattern[idx == k]).size == 1
    np.testing.assert_allclose(risk, x @ beta, rtol=1e-13)
    # the pattern key ties rows even when the scores given differ by rounding
    time = np.arange(1, 7, dtype=float)
    r = concordance(time, np.ones(6), [1.0, 1.0 + 1e-16, 2, 2, 0, 0], pattern=[1, 1, 2, 2, 0, 0])
    assert (r.concordant, r.discordant, r.tied_risk) == (8, 4, 3)
