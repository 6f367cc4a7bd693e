"""Efron's sums over D tied deaths in O(1) per distinct time (cohort.survival.ties).

The direct sums (one term per tied death, as before) are the reference: in 40-digit
decimal arithmetic, as today's code path (forced with a huge ``_DIRECT_MAX_D``) on cases
built to cancel, in the limit of a trillion tied deaths, and R's coxph on 207,000 records.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import cohort.survival.efron as efron
import cohort.survival.ties as ties_mod
from cohort.survival.efron import efron_derivatives, fit_efron

R = Path(__file__).parent / "fixtures" / "r" / "cox"
GOLD = json.loads((R / "cox.json").read_text())


# A single death time: row a (x = 1) holds the D deaths, row b (x = 0, n_b records) is
# censored at the same time. With u = exp(beta), S0 = D u + n_b, T0 = S1 = T1 = D u, and
# with q_l = T0 (1 - c_l) / (S0 - c_l T0), c_l = l / D:
#   loglik = D beta - sum_l log(S0 - c_l T0),  score = D - sum_l q_l,
#   info = sum_l q_l (1 - q_l).


def decimal_reference(D: int, n_b: float, beta: float):
    with localcontext() as ctx:
        ctx.prec = 40
        u = Decimal(beta).exp()
        s0, t0 = Decimal(D) * u + Decimal(n_b), Decimal(D) * u
        loglik, score, info = Decimal(D) * Decimal(beta), Decimal(D), Decimal(0)
        for ell in range(D):
            c = Decimal(ell) / Decimal(D)
            den = s0 - c * t0
            q = t0 * (1 - c) / den
            loglik -= den.ln()
            score -= q
            info += q * (1 - q)
        return float(loglik), float(score), float(info), float(t0 / s0)


def two_rows(D, n_b, beta):
    return efron_derivatives([beta], [[1.0], [0.0]], [1.0, 1.0], [1, 0], [D, n_b])


@pytest.mark.parametrize(
    ("D", "n_b", "beta", "regime"),
    [
        (40, 1e12, 0.3, "series"),  # a few deaths in a huge risk set: x = 5e-11
        (3000, 5e8, 0.3, "series"),  # thousands of deaths, x = 8e-6
        (2000, 2700, 0.3, "series"),  # x just below 1/2
        (2000, 2690, 0.3, "closed"),  # x just above 1/2
        (5000, 50, 0.3, "closed"),  # deaths most of the risk set: a -> D
        (4000, 1, 10.0, "closed"),  # all but a sliver of the risk dying: b = 1.00005
        (20, 7, 0.3, "direct"),
    ],
)
def test_sums_match_40_digit_direct_sums(D, n_b, beta, regime):
    loglik, score, info = two_rows(D, n_b, beta)
    ref_loglik, ref_score, ref_info, x = decimal_reference(D, n_b, beta)
    # the case exercises the form it is named for
    if regime == "direct":
        assert D <= ties_mod._DIRECT_MAX_D
    else:
        assert D > ties_mod._DIRECT_MAX_D
        assert (x <= ties_mod._SERIES_MAX_X) == (regime == "series")
    assert loglik == pytest.approx(ref_loglik, rel=1e-13)
    assert score[0] == pytest.approx(ref_score, rel=1e-11)
    assert info[0, 0] == pytest.approx(ref_info, rel=1e-11)


def test_power_sums_are_exact():
    """The series' coefficients sum_{l<D} (l/D)^j, direct up to D = 64 and by Faulhaber's
    formula above, against exact integer sums."""
    Ds = [33, 64, 65, 66, 100, 333, 1025, 4000]
    jmax = ties_mod._SERIES_TERMS + 1
    P = ties_mod._power_sums(np.array(Ds, dtype=float), jmax)
    for k, D in enumerate(Ds):
        for j in range(jmax + 1):
            exact = Fraction(sum(ell**j for ell in range(D)), D**j)
            assert P[j, k] == pytest.approx(float(exact), rel=1e-14)


def test_a_trillion_tied_deaths():
    """O(1) per time: 10^12 tied deaths (the direct sums would need 8 TB), checked against
    the continuum limit sum_l g(l/D) = D int_0^1 g - (g(1) - g(0))/2 + O(1/D)."""
    D = 10**12
    for n_b, beta in ((2e12, -0.5), (1e11, 0.4), (3e13, 0.2)):
        u = math.exp(beta)
        x = D * u / (D * u + n_b)  # T0 / S0: 0.23 (series), 0.94 and 0.04 (closed, series)
        lx = math.log1p(-x)
        # g(v) = log(1 - x v): int = -1 - (1 - x) log(1 - x) / x, g(1) - g(0) = log(1 - x)
        sum_log = D * (-1 - (1 - x) * lx / x) - lx / 2
        # q(v) = x (1 - v) / (1 - x v): int = x (I0 - I1), q(1) - q(0) = -x
        i0, i1 = -lx / x, (-lx - x) / x**2
        sum_q = x * D * (i0 - i1) + x / 2
        # q(v)^2: int = x^2 (J0 - 2 J1 + J2), q(1)^2 - q(0)^2 = -x^2
        j0 = 1 / (1 - x)
        j1 = (lx + x / (1 - x)) / x**2
        j2 = (x / (1 - x) + 2 * lx + x) / x**3
        sum_q2 = x * x * D * (j0 - 2 * j1 + j2) + x * x / 2
        loglik, score, info = two_rows(D, n_b, beta)
        s0 = D * u + n_b
        assert loglik == pytest.approx(D * beta - D * math.log(s0) - sum_log, rel=1e-12)
        assert score[0] == pytest.approx(D - sum_q, rel=1e-10)
        assert info[0, 0] == pytest.approx(sum_q - sum_q2, rel=1e-10)


def test_work_per_time_does_not_grow_with_tied_deaths():
    # the direct-sum vector holds at most _DIRECT_MAX_D entries per event time (it held
    # every tied death: 188,311 here)
    t = pl.read_csv(R / "ties.csv")
    prep = efron._Prepared(np.ones((t.height, 1)) * (t["g"] == "b").to_numpy()[:, None],
                           t["time"], t["event"], t["n"], None)
    assert prep.tie_sums.c.size <= ties_mod._DIRECT_MAX_D * prep.D.size
    assert prep.D.sum() == 188_311


# ---------------------------------------------------------------------------
# fits: equal to the direct sums (today's path) and to R


def _direct(monkeypatch, *args, **kw):
    """The fit with every time summed death by death (the code path before the series)."""
    with monkeypatch.context() as m:
        m.setattr(ties_mod, "_DIRECT_MAX_D", 10**12)
        return fit_efron(*args, **kw)


def _assert_equal(a, b, rtol=1e-10):
    np.testing.assert_allclose(a.beta, b.beta, rtol=rtol)
    atol = 1e-12 * np.abs(b.variance).max()  # for near-zero covariances
    np.testing.assert_allclose(a.variance, b.variance, rtol=rtol, atol=atol)
    assert a.loglik == pytest.approx(b.loglik, rel=rtol)
    assert a.loglik_null == pytest.approx(b.loglik_null, rel=rtol)
    assert a.iterations == b.iterations


def _cancelling_table(kind: str):
    """Collapsed tables built to cancel: (x, time, event, n, strata, entry)."""
    rng = np.random.default_rng({"few": 1, "many": 2, "most": 3}[kind])
    rows = []
    for t in range(1, 6):
        for g in range(3):
            for z in range(2):
                if kind == "few":  # 40-120 deaths among 10^9 records at risk
                    dead, cens = rng.integers(40, 120), 10**8
                elif kind == "many":  # thousands of tied deaths in ~10^6 at risk
                    dead, cens = rng.integers(2_000, 9_000), rng.integers(5_000, 60_000)
                else:  # deaths are most of the risk set (a -> D)
                    dead, cens = rng.integers(2_000, 4_000), rng.integers(0, 3)
                rows.append((g == 1, g == 2, z, t + 0.5, 1, dead))
                rows.append((g == 1, g == 2, z, t + 0.5, 0, cens))
    a = np.array(rows, dtype=float)
    a = a[a[:, 5] > 0]
    entry = np.where(a[:, 3] > 3, 2.0, 0.0)  # half the rows enter late
    return a[:, :3], a[:, 3], a[:, 4], a[:, 5], a[:, 2], entry


@pytest.mark.parametrize("kind", ["few", "many", "most"])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_fit_equals_direct_sums_on_cancelling_cases(monkeypatch, kind, ties):
    x, time, event, n, z, entry = _cancelling_table(kind)
    for args, kw in (((x, time, event, n), {}), ((x[:, :2], time, event, n, z), {}),
                     ((x, time, event, n), {"entry": entry})):
        got = fit_efron(*args, ties=ties, **kw)
        _assert_equal(got, _direct(monkeypatch, *args, ties=ties, **kw))


@pytest.mark.parametrize("name", ["ties_efron", "ties_efron_strata"])
def test_many_tied_deaths_match_r(monkeypatch, name):
    # 57 rows = 207,000 records (55 deaths in 207,000 at risk; 94,696 deaths at one time;
    # 99.99% of the risk set dying at the last); R: coxph(Surv(time, event) ~ g + z
    # [g + strata(z)], data = records, ties = "efron")
    t = pl.read_csv(R / "ties.csv")
    x = np.column_stack([t["g"] == "b", t["g"] == "c", t["z"]]).astype(float)
    args = (x, t["time"], t["event"], t["n"])
    if name.endswith("strata"):
        args = (x[:, :2], t["time"], t["event"], t["n"], t["z"].to_numpy())
    fit = fit_efron(*args)
    gold = GOLD[name]
    np.testing.assert_allclose(fit.beta, gold["coef"], rtol=1e-10)
    np.testing.assert_allclose(fit.variance, gold["var"], rtol=1e-9)
    assert fit.loglik == pytest.approx(gold["loglik"], rel=1e-11)
    assert fit.score_test == pytest.approx(gold["score_test"], rel=1e-10)
    assert fit.iterations == gold["iter"]
    _assert_equal(fit, _direct(monkeypatch, *args), rtol=1e-11)
