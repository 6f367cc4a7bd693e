"""Kaplan-Meier and log-rank: a cohort worked by hand, R's survival, invariants."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.survival.km import fit_km
from cohort.survival.logrank import holm, logrank

R = Path(__file__).parent / "fixtures" / "r"
Z = 1.959963984540054

# Ten records, unsorted, tied times, a censored record at an event time (3)
# and one with an unknown time (dropped).
HAND = pl.DataFrame(
    {
        "time": [5, 3, 8, 3, 10, 5, 2, 8, 12, None],
        "event": [1, 1, 0, 0, 1, 1, 1, 1, 0, 1],
        "group": ["A", "A", "A", "B", "B", "B", "A", "B", "A", "B"],
    }
)


def collapsed(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return df.drop_nulls("time").group_by(["time", "event", *by]).len("n").sort("time")


def test_km_by_hand():
    km = fit_km(collapsed(HAND, []), by=None, event="event")
    est = km.estimates([2, 3, 5, 8, 10, 12]).to_dicts()
    # S: 8/9, 8/9 * 7/8, * 4/6, * 3/4, * 1/2 (one censored at 3 is at risk at 3)
    assert [r["survival"] for r in est] == pytest.approx(
        [8 / 9, 7 / 9, 14 / 27, 7 / 18, 7 / 36, 7 / 36], abs=1e-12
    )
    assert [r["n_risk"] for r in est] == [9, 8, 6, 4, 2, 1]
    assert [r["n_events"] for r in est] == [1, 2, 4, 5, 6, 6]
    # log-log CI at t=5: var(log(-log S)) = sum d/(n(n-d)) / (log S)^2
    s = 14 / 27
    g = 1 / (9 * 8) + 1 / (8 * 7) + 2 / (6 * 4)
    se = math.sqrt(g) / abs(math.log(s))
    at5 = est[2]
    assert at5["lower"] == pytest.approx(s ** math.exp(Z * se), abs=1e-9)
    assert at5["upper"] == pytest.approx(s ** math.exp(-Z * se), abs=1e-9)
    med = km.medians().row(0, named=True)
    assert (med["n"], med["events"], med["median"]) == (9, 6, 8.0)  # first S <= 0.5


def test_logrank_by_hand():
    lr = logrank(collapsed(HAND, ["group"]), group="group")
    # E_A over t = 2, 3, 5, 8, 10: 5/9 + 4/8 + 2*3/6 + 2/4 + 1/2
    e_a = 5 / 9 + 0.5 + 1 + 0.5 + 0.5
    # V: 1*5/9*4/9 + 1/4 + (2*4/5)*1/4 + 1/4 + 1/4
    v = 20 / 81 + 0.25 + 0.4 + 0.25 + 0.25
    assert lr.observed.tolist() == [3, 3]
    assert lr.expected[0] == pytest.approx(e_a, abs=1e-12)
    assert lr.variance[0, 0] == pytest.approx(v, abs=1e-12)
    assert lr.chisq == pytest.approx((3 - e_a) ** 2 / v, abs=1e-12)
    assert lr.df == 1


def test_holm_matches_r():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "holm") -> 0.04 0.09 0.09 0.20
    assert holm([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])


def test_km_matches_r(gbsg2):
    # R: summary(survfit(Surv(surv_months, event) ~ node_burden, conf.type = "log-log"),
    #            times = c(12, 36, 60)) -- raw months: the exact convention
    result = gbsg2.cohort("site_group = 'breast'").km(times=[12, 36, 60], convention="exact")
    golden = pl.read_csv(R / "km.csv")
    got = result.estimates_.sort("group", "time")
    assert got["group"].to_list() == golden["group"].to_list()
    assert got["n_risk"].to_list() == golden["n.risk"].to_list()
    assert got["n_events"].to_list() == golden["n.event.cumulative"].to_list()
    for ours, theirs in (("survival", "surv"), ("lower", "lower"), ("upper", "upper")):
        np.testing.assert_allclose(got[ours], golden[theirs], rtol=0, atol=1e-10)


def test_km_full_curve_matches_r(gbsg2):
    # every event time of R's full survfit table (raw months: exact convention)
    result = gbsg2.cohort("site_group = 'breast'").km(times=[], convention="exact")
    golden = pl.read_csv(R / "km_full.csv", null_values="NA").filter(pl.col("n.event") > 0)
    for g in ("N1", "N2", "N3"):
        gold = golden.filter(pl.col("group") == g)
        est = result.km_.groups_[g]
        ours = [est.survival_at(t) for t in gold["time"].to_list()]
        np.testing.assert_allclose([o[0] for o in ours], gold["surv"], atol=1e-10)
        np.testing.assert_allclose([o[1] for o in ours], gold["lower"], atol=1e-10)
        assert [est.at_risk(t) for t in gold["time"].to_list()] == gold["n.risk"].to_list()


def test_medians_and_rmst_match_r(gbsg2):
    result = gbsg2.cohort("site_group = 'breast'").km(horizon=60, convention="exact")
    # R: print(fit) medians with log-log CI; NA = not reached / no upper bound
    golden = pl.read_csv(R / "median.csv", null_values="NA")
    assert result.medians_.select("group", "n", "events", "median", "lower", "upper").rows() == (
        golden.select("group", "n", "events", "median", "lower95", "upper95")
        .cast({"median": pl.Float64, "lower95": pl.Float64, "upper95": pl.Float64}).rows()
    )
    # R: print(fit, rmean = 60)
    rmst = pl.read_csv(R / "rmst.csv")
    np.testing.assert_allclose(result.rmst_["rmst"], rmst["rmst"], atol=1e-9)
    np.testing.assert_allclose(result.rmst_["se"], rmst["se"], atol=1e-9)


def test_logrank_trend_and_strata_match_r(gbsg2):
    golden = json.loads((R / "logrank.json").read_text())
    c = gbsg2.cohort(
        "select *, extra['menopause'] as menopause from cases where site_group = 'breast'"
    )
    tests = c.km(strata=["menopause"], convention="exact").tests_.rows_by_key(
        "test", named=True, unique=True)
    # R: survdiff(Surv(surv_months, event) ~ node_burden)
    assert tests["log-rank"]["chisq"] == pytest.approx(golden["chisq"], rel=1e-10)
    assert tests["log-rank"]["p"] == pytest.approx(golden["p"], rel=1e-8)
    # R: (w'(O-E))^2 / (w'Vw) with survdiff's var, scores 1, 2, 3
    assert tests["log-rank for trend"]["chisq"] == pytest.approx(golden["trend"]["chisq"],
                                                                 rel=1e-10)
    # R: survdiff(... ~ node_burden + strata(menostat))
    assert tests["log-rank stratified by menopause"]["chisq"] == pytest.approx(
        golden["stratified"]["chisq"], rel=1e-10
    )


def test_pairwise_holm(gbsg2):
    result = gbsg2.cohort("site_group = 'breast'").km(pairwise="holm")
    pw = result.pairwise_
    assert pw.select("group_1", "group_2").rows() == [("N1", "N2"), ("N1", "N3"), ("N2", "N3")]
    assert pw["p_holm"].to_list() == pytest.approx(holm(pw["p"].to_list()))
    assert (pw["p_holm"] >= pw["p"]).all()


def test_suppression_in_release_tables(gbsg2):
    result = gbsg2.cohort("site_group = 'breast'").km(times=[84])
    t = result.tables(suppress_below=11, codes=True)["survival"]  # groups as codes
    n3 = t.filter(pl.col("group") == "N3").row(0, named=True)
    assert n3["n_risk"] == "0" or n3["n_risk"] == "<11"
    # the exact numbers stay on the object, and it says so
    assert result.estimates_.filter(pl.col("group") == "N3")["n_risk"].dtype == pl.Int64
    assert "unsuppressed" in result.note


def test_empty_group_and_no_events_warn():
    df = pl.DataFrame({"time": [1, 2, 3, 4], "event": [0, 0, 1, 1], "group": ["a", "a", "b", "b"],
                       "n": [1, 1, 1, 1]})
    from cohort.survival import EmptyGroupWarning

    with pytest.warns(EmptyGroupWarning, match="group group=a has no events"):
        km = fit_km(df, by="group", event="event")
    assert km.medians().filter(pl.col("group") == "a")["median"].item() is None


records = st.lists(
    st.tuples(st.integers(0, 30), st.integers(0, 1), st.sampled_from(["a", "b", "c"])),
    min_size=2, max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(rows=records)
@pytest.mark.filterwarnings("ignore::cohort.survival.EmptyGroupWarning")
def test_collapsed_equals_record_level(rows):
    df = pl.DataFrame(rows, schema=["time", "event", "group"], orient="row")
    ones = df.with_columns(pl.lit(1).alias("n"))
    col = collapsed(df, ["group"])
    for by in (None, "group"):
        a = fit_km(ones, by=by, event="event").estimates([0, 5, 10, 20, 30])
        b = fit_km(col, by=by, event="event").estimates([0, 5, 10, 20, 30])
        assert a.equals(b)
        s = b["survival"].drop_nulls().to_numpy()  # null past the last follow-up time
        assert ((s >= 0) & (s <= 1)).all()
        for g in b.partition_by("group"):
            assert (np.diff(g["survival"].drop_nulls().to_numpy()) <= 1e-15).all()
    if df["group"].n_unique() >= 2 and df["event"].sum() > 0:
        la, lb = logrank(ones, group="group"), logrank(col, group="group")
        np.testing.assert_allclose(la.observed, lb.observed)
        np.testing.assert_allclose(la.expected, lb.expected, atol=1e-12)
        np.testing.assert_allclose(la.variance, lb.variance, atol=1e-12)


def test_released_tables_are_solved_once_per_threshold(tmp_path, monkeypatch):
    """The complementary suppression (linear programs) of the released tables
    runs once per (threshold, codes): ``summary()`` and a command printing the
    tables and the summary reuse it (issue 16, fixed cost of ``cohort km``)."""
    from helpers import HEADER, record

    import cohort
    import cohort.disclosure as disclosure

    lines = ([record(i, sex="2", vital="0" if i % 2 else "1") for i in range(50)]
             + [record(100 + i, sex="1", vital="0" if i % 3 else "1") for i in range(7)])
    path = tmp_path / "k.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    reg = cohort.Registry(tmp_path / "k.duckdb")
    reg.load(path)
    result = reg.cohort("true").km(by="sex")
    calls = []
    solve = disclosure.protect
    monkeypatch.setattr(disclosure, "protect", lambda *a, **k: calls.append(1) or solve(*a, **k))
    first = result.tables()
    first.pop("medians")  # the caller's dict, not the stored one
    summary = result.summary()
    again = result.tables()
    assert len(calls) == 1
    assert again["medians"]["n"].to_list() == ["<11", "*"]  # male 7, female 50 beside 57
    assert summary["n"].to_list() == again["medians"]["n"].to_list()
    result.tables(codes=True)
    result.tables(suppress_below=5)
    assert len(calls) == 3
