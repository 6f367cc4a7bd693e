"""Estimator conventions (issue 11) against R survival 3.5 and hand-computed cases:
the completed-months convention, R's median rule, the CI where S = 0, left
truncation, zero-count rows, whole-number counts, group order and the trend test.

R values: tests/fixtures/r/conventions.R (output conventions.Rout).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cohort
from cohort.cohort import CohortDefinitionError
from cohort.datasets import gbsg2_extract
from cohort.survival.km import WeightError, fit_km, km_curve, natural_levels
from cohort.survival.logrank import logrank

R = Path(__file__).parent / "fixtures" / "r"
ATOL = 1e-10


def gbsg2_rows(*, shift: float = 0.5) -> pl.DataFrame:
    """GBSG2 as in conventions.R: time = surv_months + shift, entry = (id %% 4) * 6."""
    return pl.read_csv(R / "gbsg2.csv").with_columns(
        ((pl.col("survtime") / 30.4375).floor() + shift).alias("time"),
        pl.col("censdead").alias("event"),
        pl.when(pl.col("nodes") <= 3).then(pl.lit("N1"))
        .when(pl.col("nodes") <= 9).then(pl.lit("N2")).otherwise(pl.lit("N3")).alias("g"),
        ((pl.col("id") % 4) * 6.0).alias("entry"),
        pl.when(pl.col("menopause") == 1).then(pl.lit("pre")).otherwise(pl.lit("post"))
        .alias("menostat"),
    )


def r_table(name: str) -> pl.DataFrame:
    return pl.read_csv(R / name, null_values="NA")


def assert_curve_equals_r(curves: pl.DataFrame, golden: pl.DataFrame) -> None:
    golden = golden.with_columns(pl.col("time").cast(pl.Float64))
    j = curves.join(golden, on=["group", "time"], how="full", coalesce=True)
    assert j.height == golden.height == curves.height  # the same rows, every distinct time
    for ours, theirs in (("n_risk", "n.risk"), ("n_event", "n.event"),
                         ("n_censor", "n.censor")):
        assert j[ours].to_list() == j[theirs].to_list()
    for ours, theirs in (("survival", "surv"), ("lower", "lower"), ("upper", "upper")):
        # NA in R (S = 1 or S = 0) is null here, and only there
        assert j[ours].is_null().to_list() == j[theirs].is_null().to_list(), ours
        np.testing.assert_allclose(j[ours].drop_nulls(), j[theirs].drop_nulls(), atol=ATOL)


# -- the completed-months convention -------------------------------------------------------


def test_collapse_gives_completed_months_by_default(gbsg2):
    c = gbsg2.cohort("site_group = 'breast'")
    completed = c.collapse(["node_burden"])
    exact = c.collapse(["node_burden"], convention="exact")
    assert completed.counts["time"].dtype == pl.Float64
    assert completed.convention == "completed" and exact.convention == "exact"
    a = completed.counts.sort("node_burden", "time", "event")
    b = exact.counts.sort("node_burden", "time", "event")
    assert ((a["time"] - b["time"]) == 0.5).all()
    with pytest.raises(CohortDefinitionError, match="convention must be 'completed'"):
        c.collapse(convention="midpoint")


def test_km_default_is_completed_months_as_r(gbsg2):
    # R: summary(survfit(Surv(surv_months + 0.5, event) ~ node_burden,
    #                    conf.type = "log-log"), times = c(12, 36, 60))
    result = gbsg2.cohort("site_group = 'breast'").km(times=[12, 36, 60])
    golden = r_table("conv_km_completed.csv")
    got = result.estimates_.sort("group", "time")
    assert got["n_risk"].to_list() == golden["n.risk"].to_list()
    assert got["n_events"].to_list() == golden["n.event.cumulative"].to_list()
    for ours, theirs in (("survival", "surv"), ("lower", "lower"), ("upper", "upper")):
        np.testing.assert_allclose(got[ours], golden[theirs], rtol=0, atol=ATOL)
    # a death with surv_months = 12 is not in S(12): S(12) counts months 0-11
    exact = gbsg2.cohort("site_group = 'breast'").km(times=[12], convention="exact")
    assert exact.estimates_["n_events"].sum() > got.filter(pl.col("time") == 12)[
        "n_events"].sum()
    assert "completed months" in result.note and "m + 0.5" in result.note


def test_full_curve_medians_rmst_completed_as_r(gbsg2):
    result = gbsg2.cohort("site_group = 'breast'").km(horizon=60)
    # R: survfit(Surv(surv_months + 0.5, event) ~ node_burden, conf.type = "log-log")
    assert_curve_equals_r(result.curves_, r_table("conv_km_completed_full.csv"))
    # R: summary(fit)$table medians and 0.95LCL/UCL; print(fit, rmean = 60)
    med = r_table("conv_median_completed.csv")
    assert result.medians_.select("group", "n", "events", "median", "lower", "upper").rows() \
        == med.select("group", "n", "events", "median", "lower95", "upper95").rows()
    rmst = r_table("conv_rmst_completed.csv")
    np.testing.assert_allclose(result.rmst_["rmst"], rmst["rmst"], atol=1e-9)
    np.testing.assert_allclose(result.rmst_["se"], rmst["se"], atol=1e-9)


def test_cif_completed_as_r(gbsg2):
    # R: summary(survfit(Surv(cr_months + 0.5, factor(status)) ~ node_burden), times = ...)
    from cohort.survival.compete import cumulative_incidence

    d = pl.read_csv(R / "gbsg2.csv").with_columns(
        ((pl.col("rectime") / 30.4375).floor() + 0.5).alias("time"),
        pl.when(pl.col("nodes") <= 3).then(pl.lit("N1"))
        .when(pl.col("nodes") <= 9).then(pl.lit("N2")).otherwise(pl.lit("N3")).alias("nb"),
        pl.when(pl.col("censrec") == 0).then(pl.lit("censored"))
        .when((pl.col("censdead") == 1) & (pl.col("rectime") == pl.col("survtime")))
        .then(pl.lit("death")).otherwise(pl.lit("recurrence")).alias("cause"),
    )
    counts = d.group_by("time", "cause", "nb").len("n")
    ours = cumulative_incidence(counts, by="nb", times=[12, 36, 60],
                                causes=("recurrence", "death"))
    golden = r_table("conv_cif_completed.csv").with_columns(pl.col("time").cast(pl.Float64))
    j = ours.join(golden, left_on=["group", "time", "cause"],
                  right_on=["group", "time", "state"])
    assert j.height == 18
    np.testing.assert_allclose(j["cumulative_incidence"], j["estimate"], atol=1e-12)
    np.testing.assert_allclose(j["se"], j["std.err"], atol=ATOL)
    assert j["n_risk"].to_list() == j["n.risk"].to_list()


# -- R's median rule and the CI where S = 0 ------------------------------------------------


def small_cases() -> dict[str, pl.DataFrame]:
    data = r_table("conv_small_data.csv")
    out = {case: part.drop("case").with_columns(pl.lit(1).alias("n"))
           for (case,), part in data.group_by("case")}
    out["veteran_trt2"] = pl.read_csv(R / "conv_veteran_trt2.csv").with_columns(
        pl.lit(1).alias("n"))
    return out


@pytest.mark.parametrize("case", ["plateau", "zero_end", "ends_at_half", "ten", "late_plateau",
                                  "veteran_trt2"])
def test_median_rule_and_ci_at_zero_as_r(case):
    # R: survfit(Surv(time, event) ~ 1, conf.type = "log-log"); summary(fit)$table
    km = fit_km(small_cases()[case], by=None, event="event")
    km_table = km.curves().with_columns(pl.lit(case).alias("group"))
    assert_curve_equals_r(km_table, r_table("conv_small_full.csv").filter(
        pl.col("group") == case))
    gold = r_table("conv_small_median.csv").filter(pl.col("group") == case).row(0, named=True)
    med = km.medians().row(0, named=True)
    assert (med["median"], med["lower"], med["upper"]) == (
        gold["median"], gold["lower95"], gold["upper95"])


def test_median_by_hand():
    # times 1..4, all deaths: S = 3/4, 1/2, 1/4, 0. S = 0.5 exactly on [2, 3): the
    # median is the midpoint 2.5 (R), not 2. At S = 0 the CI is undefined (NA), so
    # the upper limit of the median is not reached.
    g = km_curve(np.arange(1.0, 5.0), np.ones(4), np.ones(4))
    assert g.survival.tolist() == [0.75, 0.5, 0.25, 0.0]
    assert np.isnan(g.lower[-1]) and np.isnan(g.upper[-1])
    med, lo, hi = g.median()
    assert med == 2.5 and lo == 1.0 and math.isnan(hi)
    # times 1..6, events 1,1,0,1,1,1 (issue 11, item 4): the median CI is (1, NA);
    # the upper CI curve never falls to 0.5 before S reaches 0
    g = km_curve(np.arange(1.0, 7.0), np.array([1, 1, 0, 1, 1, 1]), np.ones(6))
    assert g.survival[-1] == 0.0 and np.isnan(g.upper[-1])
    assert g.upper[-2] > 0.5  # 2/9 with 2 at risk: the last defined upper limit
    med, lo, hi = g.median()
    assert (med, lo) == (4.0, 1.0) and math.isnan(hi)
    # S ends at exactly 0.5 (times 1..4, events 1,1,0,0): print(fit) says 2 (the
    # first time at 0.5; there is no later drop), quantile(fit) would say 3
    g = km_curve(np.arange(1.0, 5.0), np.array([1, 1, 0, 0]), np.ones(4))
    assert g.median()[0] == 2.0


def test_survival_beyond_follow_up_is_not_estimated():
    km = fit_km(pl.DataFrame({"time": [1.5, 2.5], "event": [1, 0], "n": [2, 2]}), by=None,
                event="event")
    est = km.estimates([0, 2, 2.5, 3]).to_dicts()
    assert [r["survival"] for r in est] == [1.0, 0.5, 0.5, None]
    assert est[0]["lower"] is None  # S = 1: log-log CI undefined, as R's survfit
    assert [r["n_risk"] for r in est] == [4, 2, 2, 0]


# -- left truncation -------------------------------------------------------------------------


@pytest.mark.parametrize(("shift", "golden"), [(0.5, "conv_km_entry_full.csv"),
                                               (0.0, "conv_km_entry_exact_full.csv")])
def test_left_truncated_km_as_r(shift, golden):
    # R: survfit(Surv(entry, exit, event) ~ node_burden, conf.type = "log-log"), records
    # with exit > entry (conventions.R); here every record is passed: those with
    # exit <= entry are never at risk
    d = gbsg2_rows(shift=shift)
    counts = d.group_by("time", "event", "g", "entry").len("n")
    km = fit_km(counts, by="g", event="event", entry="entry")
    assert_curve_equals_r(km.curves(), r_table(golden))
    if shift:
        med = r_table("conv_median_entry.csv")
        assert km.medians().select("group", "n", "events", "median", "lower", "upper").rows() \
            == med.select("group", "n", "events", "median", "lower95", "upper95").rows()
        rmst = r_table("conv_rmst_entry.csv")
        np.testing.assert_allclose(km.rmst(60)["rmst"], rmst["rmst"], atol=1e-9)
        np.testing.assert_allclose(km.rmst(60)["se"], rmst["se"], atol=1e-9)
        # at risk at t: entry < t <= exit
        g = km.groups_["N1"]
        rows = d.filter(pl.col("g") == "N1")
        for t in (1.0, 6.0, 6.5, 12.0, 30.0):
            assert g.at_risk(t) == rows.filter((pl.col("entry") < t) & (pl.col("time") >= t)
                                               ).height


def test_left_truncated_logrank_as_r():
    gold = dict(r_table("conv_logrank_entry.csv").select("test", "chisq").iter_rows())
    d = gbsg2_rows()
    counts = d.group_by("time", "event", "g", "entry", "menostat").len("n")
    # R risk sets (survfit n.risk) with survdiff's formulas
    assert logrank(counts, group="g", entry="entry").chisq == pytest.approx(
        gold["log-rank"], rel=1e-10)
    assert logrank(counts, group="g", entry="entry").trend()["chisq"] == pytest.approx(
        gold["trend"], rel=1e-10)
    assert logrank(counts, group="g", entry="entry", strata=["menostat"]).chisq == \
        pytest.approx(gold["stratified"], rel=1e-10)
    exact = gbsg2_rows(shift=0.0).group_by("time", "event", "g", "entry").len("n")
    assert logrank(exact, group="g", entry="entry").chisq == pytest.approx(
        gold["log-rank exact convention"], rel=1e-10)
    # R: coxph(Surv(entry, exit, event) ~ node_burden, ties = "exact")$score on the
    # records with id <= 90 (tied deaths; the exact score test is the log-rank)
    small = d.filter(pl.col("id") <= 90).group_by("time", "event", "g", "entry").len("n")
    lr = logrank(small, group="g", entry="entry")
    assert lr.chisq == pytest.approx(gold["small log-rank"], rel=1e-10)
    assert lr.trend()["chisq"] == pytest.approx(gold["small trend"], rel=1e-10)


def test_entry_through_the_cohort(gbsg2):
    c = gbsg2.cohort("select *, (patient_id::int % 4) * 6 as entry_months from cases "
                     "where site_group = 'breast'")
    col = c.collapse(["node_burden"], entry="entry_months")
    assert col.counts["entry"].dtype == pl.Float64 and col.entry == "entry_months"
    result = c.km(entry="entry_months", times=[12])
    med = r_table("conv_median_entry.csv")
    assert result.medians_["median"].to_list() == med["median"].to_list()
    gold = dict(r_table("conv_logrank_entry.csv").select("test", "chisq").iter_rows())
    tests = result.tests_.rows_by_key("test", named=True, unique=True)
    assert tests["log-rank"]["chisq"] == pytest.approx(gold["log-rank"], rel=1e-10)
    assert result.records == 661  # records with exit > entry, as R keeps
    assert any("entry < t <= exit" in n for n in result.notes())


# -- zero-count rows and whole-number counts ---------------------------------------------------


def test_zero_count_rows_are_neutral_in_logrank():
    # issue 11, item 5: this crashed with "SVD did not converge"; it is the two
    # records (1, a) and (2, b). R: survdiff(Surv(c(1, 2), c(1, 1)) ~ c("a", "b")) = 1
    df = pl.DataFrame({"time": [1, 2, 3], "event": [1, 1, 1], "g": ["a", "b", "a"],
                       "n": [1, 1, 0]})
    lr = logrank(df, group="g")
    assert lr.chisq == pytest.approx(1.0, abs=1e-12) and lr.df == 1


def with_zero_rows(df: pl.DataFrame, **values) -> pl.DataFrame:
    extra = df.head(3).with_columns(pl.lit(0).alias("n"), *(pl.lit(v).alias(k)
                                                             for k, v in values.items()))
    return pl.concat([df, extra], how="vertical_relaxed")


def test_zero_count_rows_are_neutral_everywhere():
    from cohort.survival.compete import cumulative_incidence
    from cohort.survival.cox import fit_cox
    from cohort.survival.netsurv import load_lifetable, net_survival_table

    d = gbsg2_rows()
    counts = d.group_by("time", "event", "g").len("n")
    # zero rows at new times and in a new group
    padded = with_zero_rows(counts, time=99.5, g="N9")
    a = fit_km(counts, by="g", event="event")
    b = fit_km(padded, by="g", event="event", levels=["N1", "N2", "N3"])
    assert a.curves().equals(b.curves())
    assert logrank(padded, group="g").chisq == logrank(counts, group="g").chisq
    cats = {"g": ["N1", "N2", "N3", "N9"]}
    ca = fit_cox(counts, ["g"], categorical={"g": ["N1", "N2", "N3"]}).table()
    cb = fit_cox(padded, ["g"], categorical=cats).table()
    assert ca.equals(cb)
    cif = counts.with_columns(pl.when(pl.col("event") == 1).then(pl.lit("death"))
                              .otherwise(pl.lit("alive")).alias("cause"))
    cif_padded = with_zero_rows(cif, time=99.5)
    args = dict(by="g", times=[12, 60, 99.5], causes=("death",))
    assert cumulative_incidence(cif, **args).equals(cumulative_incidence(cif_padded, **args))
    ns = d.with_columns(pl.lit("2").alias("sex"), pl.lit(1988).alias("dx_year"),
                        pl.col("age").alias("age_at_dx")
                        ).group_by("age_at_dx", "sex", "dx_year", "time", "event").len("n")
    ns_padded = with_zero_rows(ns, dx_year=1900, sex="9")  # would be refused if counted
    table = load_lifetable()
    assert net_survival_table(ns, [12, 36], table=table).equals(
        net_survival_table(ns_padded, [12, 36], table=table))


def test_fractional_counts_are_refused():
    df = pl.DataFrame({"time": [1.5, 2.5], "event": [1, 0], "n": [1.0, 23.9]})
    with pytest.raises(WeightError, match=r"whole numbers of records .* got 23.9 in 1 row"):
        fit_km(df, by=None, event="event")
    with pytest.raises(WeightError):
        logrank(df.with_columns(pl.lit("a").alias("g")), group="g")
    # whole numbers stored as floats are counts
    ok = fit_km(df.with_columns(pl.Series("n", [1.0, 3.0])), by=None, event="event")
    assert ok.groups_["all"].n == 4


def test_km_path_imports_neither_lifelines_nor_scipy():
    """No heavy library at the top of the KM / log-rank / CIF modules (the PH test's
    KM is ours too: cox.py no longer imports lifelines)."""
    import ast

    import cohort.survival as survival

    folder = Path(survival.__file__).parent
    for name in ("km.py", "logrank.py", "compete.py", "cox.py"):
        tree = ast.parse((folder / name).read_text())
        top = [a.name for node in tree.body if isinstance(node, ast.Import) for a in node.names]
        top += [node.module for node in tree.body if isinstance(node, ast.ImportFrom)]
        heavy = {"lifelines", "scipy", "pandas"} if name != "cox.py" else {"lifelines"}
        assert not [m for m in top if m and m.split(".")[0] in heavy], (name, top)


# -- group order and the test for trend --------------------------------------------------------


def test_natural_group_order():
    assert natural_levels(pl.Series([10, 2, 1])) == ["1", "2", "10"]
    assert natural_levels(pl.Series(["10", "2", "9"])) == ["2", "9", "10"]
    df = pl.DataFrame({"time": [1.5, 2.5, 3.5, 4.5], "event": [1, 1, 1, 1],
                       "g": [10, 2, 1, 2], "n": [1, 1, 1, 1]})
    assert list(fit_km(df, by="g", event="event").groups_) == ["1", "2", "10"]
    assert logrank(df, group="g").groups == ["1", "2", "10"]


def test_cohort_orders_numbers_as_numbers(gbsg2):
    c = gbsg2.cohort("select *, nodes_positive::varchar as nodes_text from cases "
                     "where site_group = 'breast' and nodes_positive in (1, 2, 10, 11)")
    assert list(c.km(by="nodes_positive", times=[12]).km_.groups_) == ["1", "2", "10", "11"]
    assert c.collapse(["nodes_text"]).levels["nodes_text"] == ["1", "2", "10", "11"]
    # the default reference level is the one R's factor picks: the lowest
    t = c.cox(["nodes_text"]).table_
    assert t.filter(pl.col("reference"))["level"].to_list() == ["1"]


@pytest.fixture(scope="module")
def relabelled(tmp_path_factory):
    """GBSG2 with some records relabelled by id, as conventions.R does: id % 13 == 0
    has 0 positive nodes (N0), else id % 11 == 0 positive nodes of unknown number
    (code 97: N1 NOS), else id % 7 == 0 unknown (code 99: NX)."""
    tmp = tmp_path_factory.mktemp("trend")
    path = gbsg2_extract(tmp / "g.csv")
    df = pl.read_csv(path, infer_schema=False)
    i = df["patient_id"].cast(pl.Int64)
    code = (pl.when(i % 13 == 0).then(pl.lit("00")).when(i % 11 == 0).then(pl.lit("97"))
            .when(i % 7 == 0).then(pl.lit("99")).otherwise(pl.col("nodes_positive_code")))
    df.with_columns(code.alias("nodes_positive_code")).write_csv(path)
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(path)
    return reg.cohort("site_group = 'breast'")


def test_trend_uses_ordered_known_groups_only(relabelled):
    gold = dict(r_table("conv_trend.csv").select("test", "chisq").iter_rows())
    result = relabelled.km(times=[12])
    assert list(result.km_.groups_) == ["N0", "N1 NOS", "N1", "N2", "N3", "NX"]
    tests = result.tests_.rows_by_key("test", named=True, unique=True)
    # R: survdiff(Surv(t, event) ~ grp) over every group
    assert tests["log-rank"]["chisq"] == pytest.approx(gold["log-rank all groups"], rel=1e-10)
    assert tests["log-rank"]["df"] == 5
    # R: survdiff on N0-N3 only; (w'(O - E))^2 / w'Vw with w = 1, 2, 3, 4
    trend = tests["log-rank for trend"]
    assert trend["chisq"] == pytest.approx(gold["trend 1-4"], rel=1e-10)
    assert trend["groups"] == "N0=1, N1=2, N2=3, N3=4"
    assert result.trend_["left_out"] == ["N1 NOS", "NX"]
    assert any("not scored: N1 NOS, NX" in n for n in result.notes())


def test_trend_with_explicit_scores(relabelled):
    gold = dict(r_table("conv_trend.csv").select("test", "chisq").iter_rows())
    # the median positive-node count of each category (R: 0, 1, 6, 13)
    by_column = relabelled.km(times=[12], trend_scores="nodes_positive")
    assert by_column.trend_["scores"] == [0.0, 1.0, 6.0, 13.0]
    by_dict = relabelled.km(times=[12], trend_scores={"N0": 0, "N1": 1, "N2": 6, "N3": 13})
    for result in (by_column, by_dict):
        trend = result.tests_.filter(pl.col("test") == "log-rank for trend").row(0, named=True)
        assert trend["chisq"] == pytest.approx(gold["trend median nodes"], rel=1e-10)
    with pytest.raises(cohort.CohortError, match="none of which is a group"):
        relabelled.km(times=[12], trend_scores={"N7": 1})


def test_gbsg2_trend_unchanged(gbsg2):
    # no unordered group: the trend is survdiff's over N1, N2, N3 (golden.R)
    import json

    golden = json.loads((R / "logrank.json").read_text())
    tests = gbsg2.cohort("site_group = 'breast'").km().tests_
    trend = tests.filter(pl.col("test") == "log-rank for trend").row(0, named=True)
    assert trend["chisq"] == pytest.approx(golden["trend"]["chisq"], rel=1e-10)


delayed = st.lists(
    st.tuples(st.integers(0, 6), st.integers(1, 12), st.integers(0, 1),
              st.sampled_from(["a", "b"])),
    min_size=3, max_size=50,
)


@settings(max_examples=40, deadline=None)
@given(rows=delayed)
@pytest.mark.filterwarnings("ignore::cohort.survival.EmptyGroupWarning")
def test_delayed_entry_collapsed_equals_record_level(rows):
    """With delayed entry too, the collapsed counts give the records' curves and
    tests; survival stays in [0, 1] and never rises."""
    df = pl.DataFrame(rows, schema=["entry", "time", "event", "g"], orient="row").with_columns(
        pl.col("entry").cast(pl.Float64), pl.col("time").cast(pl.Float64) + 0.5)
    ones = df.with_columns(pl.lit(1).alias("n"))
    col = df.group_by("entry", "time", "event", "g").len("n")
    a = fit_km(ones, by="g", event="event", entry="entry").curves()
    b = fit_km(col, by="g", event="event", entry="entry").curves()
    assert a.equals(b)
    s = b["survival"].to_numpy()
    assert ((s >= 0) & (s <= 1)).all()
    for g in b.partition_by("group"):
        assert (np.diff(g["survival"].to_numpy()) <= 1e-15).all()
        # n_risk is entry < t <= time, counted on the records
        rows_g = df.filter(pl.col("g") == g["group"][0])
        for t, n in zip(g["time"], g["n_risk"], strict=True):
            assert n == rows_g.filter((pl.col("entry") < t) & (pl.col("time") >= t)).height
    la = logrank(ones, group="g", entry="entry")
    lb = logrank(col, group="g", entry="entry")
    np.testing.assert_allclose(la.expected, lb.expected, atol=1e-12)
    np.testing.assert_allclose(la.variance, lb.variance, atol=1e-12)


def test_cox_with_delayed_entry_through_the_cohort(gbsg2):
    # R: coxph(Surv(entry, surv_months + 0.5, event) ~ node_burden + age, ties = "efron"),
    # entry = (id %% 4) * 6, records with exit > entry (conventions.R)
    c = gbsg2.cohort("select *, (patient_id::int % 4) * 6 as entry_months from cases "
                     "where site_group = 'breast'")
    result = c.cox(["node_burden", "age_at_dx"], entry="entry_months", univariable=False)
    golden = r_table("conv_cox_entry.csv")
    t = result.table_.filter(~pl.col("reference"))
    np.testing.assert_allclose(t["coef_adjusted"], golden["coef"], rtol=1e-7)
    np.testing.assert_allclose(t["se_adjusted"], golden["se"], rtol=1e-7)
    assert result.records == 661 and "delayed entry from entry_months" in result.note
