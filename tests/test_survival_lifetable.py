"""Life tables (SEER*Stat's actuarial layout) against hand-computed tables, popEpi and R.

References in tests/fixtures/r (relsurv.R): popEpi::survtab (actuarial, Ederer II and
Pohar Perme) on popEpi's sire and a synthetic breast cohort; SEER*Stat's Ederer II and
R's survexp (Ederer I, Hakulinen) integrating the same rate tables; relsurv::rs.surv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.survival.lifetable import LifeTableInputError, conf_int, life_table
from cohort.survival.netsurv import load_lifetable, net_survival_table
from cohort.survival.period import condition

R = Path(__file__).parent / "fixtures" / "r"


def whole_months(d: pl.DataFrame, *extra: str) -> pl.DataFrame:
    """Records with surv_months as collapsed counts leaving mid-month."""
    return d.with_columns((pl.col("surv_months") + 0.5).alias("time"),
                          pl.col("sex").cast(pl.Utf8)).group_by(
        "age_at_dx", "sex", "dx_year", "time", "event", *extra).len("n")


def with_potential(d: pl.DataFrame) -> pl.DataFrame:
    """Potential follow-up to the latest follow-up month in the data (cohort's default)."""
    dx = pl.col("dx_year") * 12 + pl.col("dx_month") - 1
    close = d.select((dx + pl.col("surv_months")).max()).item()
    return d.with_columns((close - dx + 0.5).alias("potential"))


@pytest.fixture(scope="module")
def constant_table(tmp_path_factory):
    """Men die at 0.12 a year (0.01 a month), women at 0.24 (0.02 a month), any age/year."""
    rows = [(y, s, a, h) for y in range(1999, 2003) for s, h in (("male", 0.12),
                                                                   ("female", 0.24))
            for a in range(101)]
    path = tmp_path_factory.mktemp("lt") / "constant.csv"
    pl.DataFrame(rows, schema=["year", "sex", "age", "annual_hazard"], orient="row"
                 ).write_csv(path)
    return load_lifetable(path)


@pytest.fixture
def tiny():
    """6 men: a death in month 0, a withdrawal in month 1, 4 beyond; 4 women: 2 deaths in
    month 1, 2 beyond. Potential follow-up (months to the closing date) per record."""
    return pl.DataFrame({
        "sex": ["1", "1", "1", "2", "2"], "time": [0.5, 1.5, 10.5, 1.5, 10.5],
        "event": [1, 0, 0, 1, 0], "n": [1, 1, 4, 2, 2],
        "potential": [10.5, 1.5, 10.5, 2.5, 10.5],
    }).with_columns(pl.lit(60).alias("age_at_dx"), pl.lit(2000).alias("dx_year"))


def test_hand_computed_actuarial_table(tiny, constant_table):
    lt, monthly = life_table(tiny, table=constant_table, interval=1, horizon=3, min_at_risk=0,
                             net=False)
    m, f = np.exp(-0.01), np.exp(-0.02)  # a month of expected survival, men and women
    # month 0: L 10, D 1, W 0; month 1: L 9, D 2, W 1 (L' 8.5); month 2: L 6, nothing
    assert lt["alive_start"].to_list() == [10, 9, 6]
    assert lt["died"].to_list() == [1, 2, 0]
    assert lt["withdrawn"].to_list() == [0, 1, 0]
    np.testing.assert_allclose(lt["n_eff"], [10, 8.5, 6])
    p = np.array([0.9, 1 - 2 / 8.5, 1.0])
    np.testing.assert_allclose(lt["observed_interval"], p, rtol=1e-12)
    np.testing.assert_allclose(lt["observed"], np.cumprod(p), rtol=1e-12)
    # Greenwood: sum D / (L' (L' - D)); the interval SE is sqrt(P (1 - P) / L')
    gw = np.cumsum([1 / (10 * 9), 2 / (8.5 * 6.5), 0])
    np.testing.assert_allclose(lt["observed_se"], np.cumprod(p) * np.sqrt(gw), rtol=1e-12)
    np.testing.assert_allclose(lt["observed_interval_se"], np.sqrt(p * (1 - p) / [10, 8.5, 6]),
                               rtol=1e-12)
    # Ederer II: the mean expected survival of those alive at the start of each month
    e2 = np.array([(6 * m + 4 * f) / 10, (5 * m + 4 * f) / 9, (4 * m + 2 * f) / 6])
    np.testing.assert_allclose(lt["expected_interval"], e2, rtol=1e-12)
    np.testing.assert_allclose(lt["expected"], np.cumprod(e2), rtol=1e-12)
    np.testing.assert_allclose(lt["relative"], np.cumprod(p) / np.cumprod(e2), rtol=1e-12)
    np.testing.assert_allclose(lt["relative_se"], lt["observed_se"] / np.cumprod(e2),
                               rtol=1e-12)
    assert monthly["died"].to_list() == [1, 2, 0]


def test_hand_computed_ederer1_and_hakulinen(tiny, constant_table):
    opts = dict(table=constant_table, interval=1, horizon=3, min_at_risk=0, net=False)
    e1, _ = life_table(tiny, expected="ederer1", **opts)
    m, f = np.exp(-0.01), np.exp(-0.02)
    # Ederer I: everyone matched to the end, whatever happened to them
    np.testing.assert_allclose(e1["expected"], [(6 * m**k + 4 * f**k) / 10 for k in (1, 2, 3)],
                               rtol=1e-12)
    hak, _ = life_table(tiny, expected="hakulinen", potential="potential", **opts)
    # Hakulinen on half-month steps: sum S*(h + 1) / sum S*(h) over those whose potential
    # follow-up covers the step. The man with 1.5 months leaves after step 2, the two women
    # with 2.5 after step 4.
    hm, hf = np.exp(-0.005), np.exp(-0.01)  # half a month

    def step(nm, nf, h):
        return (nm * hm ** (h + 1) + nf * hf ** (h + 1)) / (nm * hm**h + nf * hf**h)

    ratios = [step(6, 4, 0), step(6, 4, 1), step(6, 4, 2), step(5, 4, 3), step(5, 4, 4),
              step(5, 2, 5)]
    expected = np.cumprod(ratios)[1::2]
    np.testing.assert_allclose(hak["expected"], expected, rtol=1e-12)
    # the one who left at the closing date only moves the expected curve from month 1
    assert hak["expected"][0] == pytest.approx(e1["expected"][0], rel=1e-12)


def test_printed_intervals_are_products_of_the_months(tiny, constant_table):
    one, _ = life_table(tiny, table=constant_table, interval=1, horizon=3, min_at_risk=0)
    three, _ = life_table(tiny, table=constant_table, interval=3, horizon=3, min_at_risk=0)
    row = three.row(0, named=True)
    assert (row["alive_start"], row["died"], row["withdrawn"]) == (10, 3, 1)
    assert row["n_eff"] == 9.5
    for col in ("observed", "observed_se", "expected", "relative", "relative_se", "net"):
        assert row[col] == pytest.approx(one[col][2], rel=1e-12), col
    assert row["observed_interval"] == pytest.approx(one["observed"][2], rel=1e-12)


@pytest.mark.parametrize("data", ["sire", "synth_breast"])
def test_actuarial_estimates_equal_popepi(data):
    # popEpi::survtab(..., surv.method = "lifetable", relsurv.method = "e2" / "pp")
    d = pl.read_csv(R / f"{data}.csv")
    table = load_lifetable(R / "popmort_fi.csv") if data == "sire" else load_lifetable()
    lt, _ = life_table(whole_months(d), table=table, interval=1, horizon=60, min_at_risk=0)
    ref = pl.read_csv(R / "lifetable_popepi.csv").filter(pl.col("data") == data)
    assert lt["alive_start"].to_list() == ref["n"].to_list()
    assert lt["died"].to_list() == ref["d"].to_list()
    assert lt["withdrawn"].to_list() == ref["n_cens"].to_list()
    np.testing.assert_allclose(lt["observed"], ref["surv_obs"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(lt["observed_se"], ref["se_obs"], rtol=0, atol=1e-12)
    # popEpi's actuarial relative survival is 1 - (d - d*) / n_eff per month, SEER*Stat's
    # (and cohort's) P / P*; their difference is second order (docs/methods.md)
    np.testing.assert_allclose(lt["relative"], ref["r_e2"], atol=3e-4)
    np.testing.assert_allclose(lt["relative_se"], ref["se_r_e2"], atol=2e-5)
    # Pohar Perme: popEpi's actuarial form with mid-interval weights against the hazard form
    np.testing.assert_allclose(lt["net"], ref["r_pp"], atol=1.5e-3)


@pytest.mark.parametrize("data", ["sire", "synth_breast"])
def test_expected_survival_equals_survexp_and_seer_formula(data):
    # R integrates the same rate table exactly: survexp(method = "ederer"/"hakulinen") and
    # SEER*Stat's Ederer II from survexp(method = "individual.s") at every month boundary
    d = pl.read_csv(R / f"{data}.csv")
    table = load_lifetable(R / "popmort_fi.csv") if data == "sire" else load_lifetable()
    counts = whole_months(with_potential(d), "potential")
    ref = pl.read_csv(R / "lifetable_expected.csv", null_values="NA").filter(
        pl.col("data") == data)
    for method, col in (("ederer2", "ederer2"), ("ederer1", "ederer1"),
                        ("hakulinen", "hakulinen")):
        lt, _ = life_table(counts, table=table, interval=1, horizon=60, min_at_risk=0,
                           expected=method, potential="potential", net=False)
        np.testing.assert_allclose(lt["expected"], ref[col], atol=1e-6, err_msg=method)
        if method == "ederer2":
            assert lt["alive_start"].to_list() == ref["alive"].to_list()
            np.testing.assert_allclose(lt["observed"], ref["observed"], atol=1e-12)
            np.testing.assert_allclose(lt["relative"], ref["relative_ederer2"], atol=1e-6)


@pytest.mark.parametrize("data", ["sire", "synth_breast"])
def test_net_survival_equals_relsurv_at_exit_times(data):
    # rs.surv(Surv(t, event) ~ 1, method = "pohar-perme" / "ederer2") at t = m + 0.5 months.
    # relsurv averages the growing Pohar Perme weights over each step between exit times
    # (its sums are not reset within a step), so its net survival trails by up to 3e-4 at 5
    # years; reproduced to 1e-6 in docs/methods.md. Ederer II has no weights and agrees.
    d = pl.read_csv(R / f"{data}.csv")
    table = load_lifetable(R / "popmort_fi.csv") if data == "sire" else load_lifetable()
    ref = pl.read_csv(R / "lifetable_expected.csv", null_values="NA").filter(
        pl.col("data") == data)
    at = (ref["month"] - 0.5).to_list()
    pp = net_survival_table(whole_months(d), at, table=table, method="pohar-perme")
    e2 = net_survival_table(whole_months(d), at, table=table, method="ederer2")
    np.testing.assert_allclose(e2["net_survival"], ref["e2_exit"], atol=5e-5)
    np.testing.assert_allclose(e2["se"], ref["e2_exit_se"], atol=1e-6)
    np.testing.assert_allclose(pp["net_survival"], ref["net_exit"], atol=6e-4)
    np.testing.assert_allclose(pp["se"], ref["net_exit_se"], atol=3e-5)


def _daily_pohar_perme(d: pl.DataFrame, table, months: int, *, relsurv_sums: bool):
    """Pohar Perme on a one-day grid, record by record: at every exit time t_j,
    S *= 1 - (sum w dN / sum w Y - integral of the weighted mean population hazard since
    the previous exit), weights 1 / S*_i taken at both ends of each day. With
    ``relsurv_sums`` the day sums accumulate over the whole step between exits before the
    ratio is taken, as relsurv 2.2's C code (netfastpinter2.c) does."""
    dt = 1 / 365.25
    days = int(months * 30.4375) + 2
    age0 = d["age_at_dx"].to_numpy() + 0.5
    y0 = d["dx_year"].to_numpy() + 0.5
    k = np.arange(days)
    yi = np.minimum(np.floor(y0[:, None] + k * dt).astype(int) - table.first_year,
                    table.hazard.shape[0] - 1)
    ai = np.minimum(np.floor(age0[:, None] + k * dt).astype(int), table.top_age)
    rate = table.hazard[yi, 1, ai] / 365.25  # per day, everyone is a woman here
    cum = np.concatenate([np.zeros((d.height, 1)), np.cumsum(rate, axis=1)], axis=1)
    exits = (d["surv_months"].to_numpy() + 0.5) * 30.4375
    dead = d["event"].to_numpy() == 1
    surv, prev, out = 1.0, 0.0, {}
    for tj in np.unique(exits[exits < months * 30.4375]):
        risk = exits >= tj
        sums, integral, t = np.zeros(4), 0.0, prev
        while t < tj - 1e-9:
            step, day = min(1.0, tj - t), int(np.floor(t + 1e-9))
            lam = rate[risk, day]
            w0 = np.exp(cum[risk, day] + (t - day) * lam)
            w1 = w0 * np.exp(step * lam)
            now = np.array([(lam * w0).sum(), w0.sum(), (lam * w1).sum(), w1.sum()])
            sums = sums + now if relsurv_sums else now
            integral += (sums[0] / sums[1] + sums[2] / sums[3]) / 2 * step
            t += step
        day = int(np.floor(tj))
        w = np.exp(cum[risk, day] + (tj - day) * rate[risk, day])
        surv *= 1 - ((w * (dead[risk] & (exits[risk] == tj))).sum() / w.sum() - integral)
        out[round(tj / 30.4375 - 0.5)] = surv
        prev = tj
    return out  # month m -> the estimate at m + 0.5, for the months someone leaves in


def test_relsurv_gap_is_its_weight_sums():
    """Day by day, relsurv's summing rule reproduces rs.surv to 1e-6; the estimator itself
    (sums per day) agrees with cohort's half-month grid to 5e-5."""
    d = pl.read_csv(R / "sire.csv").head(400)
    table = load_lifetable(R / "popmort_fi.csv")
    ref = pl.read_csv(R / "pohar_perme_sire400.csv")
    quirk = _daily_pohar_perme(d, table, 60, relsurv_sums=True)
    months = sorted(quirk)
    assert len(months) > 40
    np.testing.assert_allclose([quirk[m] for m in months], ref["net_exit"][months], atol=1e-6)
    exact = _daily_pohar_perme(d, table, 60, relsurv_sums=False)
    ours = net_survival_table(whole_months(d), [m + 0.5 for m in months], table=table)
    np.testing.assert_allclose(ours["net_survival"], [exact[m] for m in months], atol=5e-5)


def test_net_column_is_net_survival_at_interval_ends():
    d = pl.read_csv(R / "sire.csv")
    table = load_lifetable(R / "popmort_fi.csv")
    lt, _ = life_table(whole_months(d), table=table, interval=12, horizon=60, min_at_risk=0)
    ns = net_survival_table(whole_months(d), [12, 24, 36, 48, 60], table=table)
    np.testing.assert_allclose(lt["net"], ns["net_survival"], rtol=1e-12)
    np.testing.assert_allclose(lt["net_se"], ns["se"], rtol=1e-12)


def test_conditional_life_table_equals_r_and_the_ratio():
    # survival from 12 months on for those alive at 12 (relsurv.R section 4)
    d = pl.read_csv(R / "sire.csv")
    table = load_lifetable(R / "popmort_fi.csv")
    counts, entry = condition(whole_months(d), 12)
    cond, _ = life_table(counts, table=table, interval=1, horizon=60, min_at_risk=0,
                         entry=entry, given=12)
    ref = pl.read_csv(R / "conditional_lifetable.csv", null_values="NA")
    assert cond["start"][0] == 12 and cond["alive_start"].to_list() == ref["alive"].to_list()
    np.testing.assert_allclose(cond["observed"], ref["observed"], atol=1e-12)
    np.testing.assert_allclose(cond["observed"], ref["popepi_surv_obs"], atol=1e-12)
    np.testing.assert_allclose(cond["observed_se"], ref["popepi_se_obs"], atol=1e-12)
    np.testing.assert_allclose(cond["expected"], ref["ederer2"], atol=1e-6)
    np.testing.assert_allclose(cond["relative"], ref["relative_ederer2"], atol=1e-6)
    # and S(t | 12) = S(t) / S(12) for every column, net survival included
    full, _ = life_table(whole_months(d), table=table, interval=1, horizon=60, min_at_risk=0)
    at12 = full.filter(pl.col("end") == 12).row(0, named=True)
    rest = full.filter(pl.col("end") > 12)
    for col in ("observed", "expected", "relative"):
        np.testing.assert_allclose(cond[col], rest[col] / at12[col], rtol=1e-10, err_msg=col)
    # net survival's population part is summed between exit times (as relsurv's), so a
    # product split at 12 months differs from the whole in the fifth decimal
    np.testing.assert_allclose(cond["net"], rest["net"] / at12["net"], atol=3e-5)


def test_icss_standardised_equal_popepi():
    # popEpi survtab(... ~ adjust(icss), weights = ICSS 1)
    from cohort.survival.relative import _standardised_lifetable

    d = pl.read_csv(R / "sire.csv")
    table = load_lifetable(R / "popmort_fi.csv")
    counts = whole_months(d)
    opts = dict(table=table, interval=1, expected="ederer2", net=True, conf_type="log-log",
                min_at_risk=0, cap=False, flag_se=None, entry=None, potential=None, given=0,
                carried=[])
    full, _ = life_table(counts, horizon=60, **opts)
    std = _standardised_lifetable(counts, None, None, full, 1, opts)
    ref = pl.read_csv(R / "lifetable_popepi_icss.csv")
    np.testing.assert_allclose(std["observed"], ref["surv_obs"], atol=1e-12)
    np.testing.assert_allclose(std["observed_se"], ref["se_obs"], atol=1e-12)
    np.testing.assert_allclose(std["relative"], ref["r_e2"], atol=4e-4)
    np.testing.assert_allclose(std["net"], ref["r_pp"], atol=2e-3)


def test_cohort_at_life_table_rates_has_relative_survival_one(constant_table):
    """Deaths drawn from the life table alone: relative survival 1 inside every CI."""
    rng = np.random.default_rng(11)
    n = 40_000
    sex = rng.integers(0, 2, n)
    death = rng.exponential(np.where(sex == 0, 100.0, 50.0))  # months; rates 0.01, 0.02
    censor = rng.uniform(6, 60, n)
    months = np.floor(np.minimum(death, censor))  # recorded in completed months
    counts = pl.DataFrame({
        "sex": np.where(sex == 0, "1", "2"), "time": months + 0.5,
        "event": (death <= censor).astype(int), "age_at_dx": 60, "dx_year": 2000,
    }).group_by("sex", "time", "event", "age_at_dx", "dx_year").len("n")
    lt, _ = life_table(counts, table=constant_table, interval=6, horizon=24)
    # within 3 standard errors of 1 (each check fails by chance 3 times in 1,000)
    assert (abs(lt["relative"] - 1) < 3 * lt["relative_se"]).all(), lt
    assert (abs(lt["net"] - 1) < 3 * lt["net_se"]).all(), lt
    assert (abs(lt["relative"] - 1) < 0.01).all()
    assert ((lt["relative_lower"] < lt["relative"]) & (lt["relative"] < lt["relative_upper"])
            ).all()


def test_seer_output_rules(tiny, constant_table):
    lt, _ = life_table(tiny, table=constant_table, interval=1, horizon=3, min_at_risk=7,
                       flag_se=0.1)
    # fewer than 7 alive at the start of month 2: that interval and later are blanked
    assert lt["observed"].is_null().to_list() == [False, False, True]
    assert lt["flag"].to_list() == ["", "SE>0.1", "<7 at risk"]
    capped, _ = life_table(tiny.with_columns(pl.lit(0).alias("event")), table=constant_table,
                           interval=1, horizon=3, min_at_risk=0, cap=True)
    # nobody died: relative survival would exceed 1 and is capped there
    assert capped["relative"].to_list() == [1.0, 1.0, 1.0]


def test_input_errors(tiny, constant_table):
    with pytest.raises(LifeTableInputError, match="interval must be one of"):
        life_table(tiny, table=constant_table, interval=5)
    with pytest.raises(LifeTableInputError, match="needs each case's potential follow-up"):
        life_table(tiny, table=constant_table, expected="hakulinen")
    with pytest.raises(LifeTableInputError, match="left-truncated"):
        life_table(tiny.with_columns(pl.lit(0.0).alias("entry")), table=constant_table,
                   expected="ederer1", entry="entry")
    with pytest.raises(LifeTableInputError, match="horizon must be 0"):
        life_table(tiny, table=constant_table, interval=12, horizon=18)


def test_conf_int_transforms():
    est, se = np.array([0.8, 1.02, 0.5]), np.array([0.05, 0.01, 0.0])
    lo, hi = conf_int(est, se, "log-log")
    # popEpi: est ** exp(+-z se / (|log est| est)); the log scale from 1 up; the
    # estimate itself at SE 0
    s = 0.05 / (abs(np.log(0.8)) * 0.8)
    assert lo[0] == pytest.approx(0.8 ** np.exp(1.959963984540054 * s))
    assert lo[1] == pytest.approx(1.02 * np.exp(-1.959963984540054 * 0.01 / 1.02))
    assert lo[2] == hi[2] == 0.5
    lo, hi = conf_int(est, se, "log")
    assert hi[0] == pytest.approx(0.8 * np.exp(1.959963984540054 * 0.05 / 0.8))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans(), st.integers(1, 30),
                          st.sampled_from(["1", "2"])), min_size=1, max_size=25))
def test_properties(rows):
    """Every record accounted for; survival in [0, 1] and never rising."""
    table = load_lifetable()
    counts = pl.DataFrame(
        [(m + 0.5, int(e), n, s) for m, e, n, s in rows],
        schema=["time", "event", "n", "sex"], orient="row",
    ).with_columns(pl.lit(65).alias("age_at_dx"), pl.lit(2005).alias("dx_year"))
    lt, monthly = life_table(counts, table=table, interval=1, min_at_risk=0, net=False)
    total = counts["n"].sum()
    assert lt["alive_start"][0] == total
    assert monthly["died"].sum() + monthly["withdrawn"].sum() == total
    obs = lt["observed"].drop_nulls().to_numpy()
    assert ((obs >= 0) & (obs <= 1)).all()
    assert (np.diff(obs) <= 1e-12).all()
    exp = lt["expected"].drop_nulls().to_numpy()
    assert ((exp > 0) & (exp <= 1)).all() and (np.diff(exp) <= 0).all()
