"""Cox options beside the default: Breslow ties and left truncation (delayed entry).

Each is checked by hand on a tiny cohort, against R's coxph (tests/fixtures/r/cox/cox.R,
survival 3.5-3: ``ties = "breslow"``, ``Surv(entry, exit, event)``) to 1e-10, and as
collapsed rows against the same rows expanded to records.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cohort.cli import main
from cohort.survival import ModelError
from cohort.survival.cox import fit_cox
from cohort.survival.efron import EfronFit, efron_derivatives, efron_loglik, fit_efron

R = Path(__file__).parent / "fixtures" / "r" / "cox"
GOLD = json.loads((R / "cox.json").read_text())


def assert_matches_r(fit: EfronFit, name: str, rtol: float = 1e-10) -> None:
    gold = GOLD[name]
    np.testing.assert_allclose(fit.beta, np.atleast_1d(gold["coef"]), rtol=rtol)
    np.testing.assert_allclose(fit.variance, np.atleast_2d(gold["var"]), rtol=rtol)
    assert fit.loglik == pytest.approx(gold["loglik"], rel=rtol)
    assert fit.loglik_null == pytest.approx(gold["loglik_null"], rel=rtol)
    assert fit.score_test == pytest.approx(gold["score_test"], rel=rtol)
    assert fit.wald_test == pytest.approx(gold["wald_test"], rel=rtol)
    assert (fit.iterations, fit.n, fit.nevent) == (gold["iter"], gold["n"], gold["nevent"])
    assert fit.ties == gold["ties"]


@pytest.fixture(scope="module")
def lung():
    d = pl.read_csv(R / "lung.csv", null_values=["", "NA"])
    return d.with_columns(event=pl.col("status") - 1)


@pytest.fixture(scope="module")
def heart():
    return pl.read_csv(R / "heart.csv")


@pytest.fixture(scope="module")
def ties():
    t = pl.read_csv(R / "ties.csv")
    x = np.column_stack([t["g"] == "b", t["g"] == "c", t["z"]]).astype(float)
    return x, t["time"].to_numpy(), t["event"].to_numpy(), t["n"].to_numpy(), t["z"].to_numpy()


@pytest.fixture(scope="module")
def period():
    return pl.read_csv(R / "period.csv", schema_overrides={"sex": pl.Utf8})


# ---------------------------------------------------------------------------
# Breslow

# The five records of test_survival_efron.py (x = 1: a, b die at 1; c censored at 1,
# x = 0; d dies at 2, x = 0; e censored at 2, x = 1), u = exp(beta). Breslow keeps the
# full risk set for both tied deaths at time 1:
#   loglik = 2 beta - 2 log(3u + 2) - log(u + 1)       = -log 48 at u = 2
#   score  = 2 - 2 (3u / (3u + 2)) - u / (u + 1)         = 2 - 3/2 - 2/3 = -1/6
#   info   = 2 (3/4)(1/4) + (2/3)(1/3)                   = 3/8 + 2/9 = 43/72
HAND = dict(x=np.array([[1.0], [0.0], [0.0], [1.0]]), time=np.array([1, 1, 2, 2]),
            event=np.array([1, 0, 1, 0]), weight=np.array([2, 1, 1, 1]))


def test_breslow_by_hand():
    assert efron_loglik([math.log(2)], **HAND, ties="breslow") == pytest.approx(
        -math.log(48), rel=1e-14)
    loglik, score, info = efron_derivatives([math.log(2)], **HAND, ties="breslow")
    assert score[0] == pytest.approx(-1 / 6, rel=1e-13)
    assert info[0, 0] == pytest.approx(43 / 72, rel=1e-13)
    fit = fit_efron(**HAND, ties="breslow")
    u = math.exp(fit.beta[0])
    assert abs(2 - 6 * u / (3 * u + 2) - u / (u + 1)) < 1e-8
    assert fit.ties == "breslow"


@pytest.mark.parametrize("name", ["lung_breslow", "lung_breslow_strata"])
def test_breslow_matches_r_on_records(lung, name):
    # R: coxph(Surv(time, status) ~ age + sex [+ strata(ph.ecog)], lung, ties = "breslow")
    d = lung.drop_nulls("ph.ecog") if name.endswith("strata") else lung
    strata = d["ph.ecog"].to_numpy() if name.endswith("strata") else None
    fit = fit_efron(d.select("age", "sex").to_numpy().astype(float), d["time"], d["event"],
                    strata=strata, ties="breslow")
    assert_matches_r(fit, name)


def test_breslow_matches_r_on_collapsed_counts(ties):
    # ties.csv: 57 collapsed rows = 207,000 records, up to 94,696 deaths at one time;
    # R: coxph(Surv(time, event) ~ g + z [+ strata(z)], data = records, ties = "breslow")
    x, time, event, n, z = ties
    assert_matches_r(fit_efron(x, time, event, n, ties="breslow"), "ties_breslow")
    assert_matches_r(fit_efron(x[:, :2], time, event, n, z, ties="breslow"),
                     "ties_breslow_strata")


def test_breslow_through_the_registry_matches_r(gbsg2):
    # R: coxph(Surv(surv_months, event) ~ node_burden + age, data = gbsg2, ties = "breslow")
    result = gbsg2.cohort("site_group = 'breast'").cox(["node_burden", "age_at_dx"],
                                                       ties="breslow")
    t = result.table_.filter(~pl.col("reference"))
    np.testing.assert_allclose(t["coef_adjusted"], GOLD["gbsg2_breslow"]["coef"], rtol=1e-10)
    np.testing.assert_allclose(t["se_adjusted"], np.sqrt(np.diag(GOLD["gbsg2_breslow"]["var"])),
                               rtol=1e-10)
    assert result.note.startswith("Breslow ties")
    assert result.models_["adjusted"].fitter.fit.ties == "breslow"
    efron = gbsg2.cohort("site_group = 'breast'").cox(["node_burden", "age_at_dx"])
    assert efron.note.startswith("Efron ties")
    with pytest.raises(ModelError, match="ties must be one of efron, breslow, got 'exact'"):
        gbsg2.cohort("site_group = 'breast'").cox(["node_burden"], ties="exact")


def test_cli_ties_option(gbsg2):
    args = ["cox", "--where", "site_group = 'breast'", "--terms", "node_burden,age_at_dx",
            "--db", str(gbsg2.path)]
    out = CliRunner().invoke(main, [*args, "--ties", "breslow"], catch_exceptions=False)
    assert out.exit_code == 0
    assert "Breslow ties (exact, from collapsed counts)" in out.output
    out = CliRunner().invoke(main, args, catch_exceptions=False)
    assert "Efron ties (exact, from collapsed counts)" in out.output
    bad = CliRunner().invoke(main, [*args, "--ties", "exact"])
    assert bad.exit_code == 2 and "'exact' is not one of 'efron', 'breslow'" in bad.output


# ---------------------------------------------------------------------------
# left truncation

# Four records, one covariate x, u = exp(beta):
#   a: (0, 1]  x = 1 death      b: (0, 2]  x = 0 death
#   c: (1, 3]  x = 1 death      d: (2, 3]  x = 0 censored
# t = 1: risk set {a, b} (c enters at 1: not at risk), death a: beta - log(u + 1)
# t = 2: risk set {b, c}                             , death b:    - log(1 + u)
# t = 3: risk set {c, d}                             , death c: beta - log(u + 1)
# loglik = 2 beta - 3 log(1 + u); score = 2 - 3u/(1 + u) = 0 at u = 2, beta = log 2;
# info = 3 u/(1 + u)^2 = 2/3 there. Ignoring entry, t = 1 would have all four at risk.
ENTRY = dict(x=np.array([[1.0], [0.0], [1.0], [0.0]]), time=np.array([1, 2, 3, 3]),
             event=np.array([1, 1, 1, 0]), entry=np.array([0, 0, 1, 2]))


@pytest.mark.parametrize("ties", ["efron", "breslow"])  # no tied deaths: the same
def test_left_truncation_by_hand(ties):
    b = math.log(2)
    assert efron_loglik([b], **ENTRY, ties=ties) == pytest.approx(2 * b - 3 * math.log(3),
                                                                 rel=1e-14)
    _, score, info = efron_derivatives([b], **ENTRY, ties=ties)
    assert score[0] == pytest.approx(0, abs=1e-14)
    assert info[0, 0] == pytest.approx(2 / 3, rel=1e-13)
    fit = fit_efron(**ENTRY, ties=ties)
    assert fit.beta[0] == pytest.approx(b, rel=1e-6)
    no_entry = {k: v for k, v in ENTRY.items() if k != "entry"}
    assert efron_loglik([b], **no_entry) != pytest.approx(2 * b - 3 * math.log(3), rel=1e-3)


@pytest.mark.parametrize(
    ("name", "cols", "strata", "ties"),
    [
        ("heart_efron", ["age", "surgery", "transplant"], None, "efron"),
        ("heart_breslow", ["age", "surgery", "transplant"], None, "breslow"),
        ("heart_efron_strata", ["age", "transplant"], "surgery", "efron"),
    ],
)
def test_left_truncation_matches_r(heart, name, cols, strata, ties):
    # R: coxph(Surv(start, stop, event) ~ age + surgery + transplant, data = heart)
    fit = fit_efron(heart.select(cols).to_numpy().astype(float), heart["stop"], heart["event"],
                    strata=heart[strata].to_numpy() if strata else None, entry=heart["start"],
                    ties=ties)
    assert_matches_r(fit, name)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_left_truncated_collapsed_counts_match_r(period, ties):
    # period.csv: 1,223 collapsed rows (entry 0/12/24 months) = 6,344 records;
    # R: coxph(Surv(entry, time, event) ~ node + strata(sex), data = records, ties = ...)
    cats = {"node": ["N0", "N1", "N2"]}
    m = fit_cox(period, ["node"], categorical=cats, strata=["sex"], entry="entry", ties=ties)
    assert_matches_r(m.fitter.fit, f"period_{ties}")
    if ties == "efron":
        m = fit_cox(period, ["node", "sex"], categorical=cats | {"sex": ["1", "2"]},
                    entry="entry")
        assert_matches_r(m.fitter.fit, "period_efron_nostrata")


def test_entry_errors():
    with pytest.raises(ModelError, match="entry must be before time: row 2 has entry 3 >= time 3"):
        fit_efron(np.array([[1.0], [0.0], [1.0]]), [1, 2, 3], [1, 1, 0], entry=[0, 0, 3])
    with pytest.raises(ModelError, match="entry has 2 rows but x has 3"):
        fit_efron(np.array([[1.0], [0.0], [1.0]]), [1, 2, 3], [1, 1, 0], entry=[0, 0])
    with pytest.raises(ModelError, match="entry has missing"):
        fit_efron(np.array([[1.0], [0.0], [1.0]]), [1, 2, 3], [1, 1, 0], entry=[0, np.nan, 0])


# ---------------------------------------------------------------------------
# collapsed = records, against a naive loop over records


def naive(beta, x, time, event, strata, entry, ties):
    """Log-likelihood, score and information looping over records and tied deaths."""
    beta = np.asarray(beta, float)
    p = x.shape[1]
    loglik, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        k = strata == s
        xs, ts, es, en = x[k], time[k], event[k], entry[k]
        r = np.exp(xs @ beta)
        for t in np.unique(ts[es == 1]):
            risk = (en < t) & (ts >= t)
            dead = (ts == t) & (es == 1)
            D = int(dead.sum())
            s0, s1 = r[risk].sum(), r[risk] @ xs[risk]
            s2 = (r[risk, None] * xs[risk]).T @ xs[risk]
            t0, t1 = r[dead].sum(), r[dead] @ xs[dead]
            t2 = (r[dead, None] * xs[dead]).T @ xs[dead]
            loglik += (xs[dead] @ beta).sum()
            score += xs[dead].sum(axis=0)
            for ell in range(D):
                c = ell / D if ties == "efron" else 0.0
                den = s0 - c * t0
                a = (s1 - c * t1) / den
                loglik -= math.log(den)
                score -= a
                info += (s2 - c * t2) / den - np.outer(a, a)
    return loglik, score, info


@st.composite
def truncated_tables(draw):
    rows = draw(st.integers(3, 12))
    p = draw(st.integers(1, 2))
    ints = st.integers
    cells = st.lists(ints(-1, 2), min_size=p, max_size=p)
    x = np.array(draw(st.lists(cells, min_size=rows, max_size=rows)), float)
    time = np.array(draw(st.lists(ints(1, 5), min_size=rows, max_size=rows)), float)
    entry = np.minimum(np.array(draw(st.lists(ints(0, 4), min_size=rows, max_size=rows))),
                       time - 1)
    event = np.array(draw(st.lists(ints(0, 1), min_size=rows, max_size=rows)))
    weight = np.array(draw(st.lists(ints(1, 4), min_size=rows, max_size=rows)))
    strata = np.array(draw(st.lists(ints(0, draw(ints(0, 1))), min_size=rows, max_size=rows)))
    event[draw(ints(0, rows - 1))] = 1
    beta = np.array(draw(st.lists(st.floats(-1.5, 1.5), min_size=p, max_size=p)))
    ties = draw(st.sampled_from(["efron", "breslow"]))
    return x, time, event, weight, strata, entry, beta, ties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(truncated_tables())
def test_collapsed_equals_naive_records(table):
    x, time, event, weight, strata, entry, beta, ties = table
    idx = np.repeat(np.arange(time.size), weight)
    ref = naive(beta, x[idx], time[idx], event[idx], strata[idx], entry[idx], ties)
    assume(np.isfinite(ref[0]))
    got = efron_derivatives(beta, x, time, event, weight, strata, entry=entry, ties=ties)
    assert got[0] == pytest.approx(ref[0], rel=1e-11, abs=1e-11)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-9, atol=1e-10)
