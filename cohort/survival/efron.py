"""Exact record-level Cox fit (Efron or Breslow ties) from collapsed (frequency-weighted) rows.

A collapsed registry table has one row per (entry, time, event, covariate
pattern, stratum) with a count ``n``. Fitting it with case weights in
lifelines does not give the record-level Efron fit: lifelines' tie correction
counts a collapsed row of ``n`` tied deaths as *one* tied row. Here the
weights are frequency weights, so the partial likelihood is exactly the one of
the data with every row repeated ``n`` times.

Notation, per stratum and distinct event time t (a row is at risk at t when
``entry < t <= time``, including rows censored at t; without ``entry`` every row
with time >= t), with ``r_i = n_i exp(eta_i)``:

* ``S0, S1, S2`` = sums of ``r, r x, r x x'`` over the risk set;
* ``T0, T1, T2`` = the same sums over the rows with a death at t;
* ``D`` = the number of deaths at t (sum of the counts of the death rows).

Efron's approximation, over the D tied records, is (with ``c_l = l / D`` and
``den_l = S0 - c_l T0``, l = 0..D-1)::

    loglik  += sum_deaths n eta        - sum_l log den_l
    score   += sum_deaths n x          - sum_l (S1 - c_l T1) / den_l
    info    += sum_l (S2 - c_l T2) / den_l
             - sum_l (S1 - c_l T1)(S1 - c_l T1)' / den_l^2

Expanding the products, every l-sum reduces to six scalars per time::

    A0 = sum 1/den_l       A1 = sum c_l/den_l      L = sum log den_l
    B0 = sum 1/den_l^2     B1 = sum c_l/den_l^2    B2 = sum c_l^2/den_l^2

    score -= A0 S1 - A1 T1
    info  += A0 S2 - A1 T2 - (B0 S1 S1' - B1 (S1 T1' + T1 S1') + B2 T1 T1')

Breslow's approximation is ``c_l = 0`` for every l: ``A0 = D/S0``, ``L = D log S0``,
``B0 = D/S0^2`` and ``A1 = B1 = B2 = 0`` (R ``ties = "breslow"``, SAS PHREG's default).

The six scalars cost O(1) per distinct time, whatever D, in forms that do not
cancel (:mod:`cohort.survival.ties`). The p x p sums never form ``S2`` per time:
``sum_t A0_t S2_t`` is ``X' diag(r_i sum_{entry_i < t <= time_i} A0_t) X`` and
``sum_t A1_t T2_t`` is ``X' diag(r_i event_i A1_{time_i}) X``, one weighted
cross-product per iteration. The cost of an
iteration is ``O(N p^2 + K p^2)`` for N collapsed rows and K distinct event times.

Newton-Raphson follows R's ``coxph`` (coxfit6.c, agfit4.c): start at beta = 0,
halve the step while the log-likelihood falls, stop when ``|1 - loglik_old/loglik_new|
<= tol`` (R's ``eps``, default 1e-9) after a full step; beta and the variance
reported are those of the last evaluated point. x is centred (weighted means)
internally; beta and the variance do not depend on it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from cohort.errors import CohortWarning
from cohort.survival.cox import ModelError
from cohort.survival.ties import TIES, TieSums


class InfiniteCoefficientWarning(CohortWarning):
    """The log-likelihood converged while a coefficient was still drifting (R's warning)."""


__all__ = [
    "TIES",
    "EfronFit",
    "InfiniteCoefficientWarning",
    "ModelError",
    "efron_derivatives",
    "efron_loglik",
    "fit_efron",
]

#: relative pivot below which the information matrix is singular (R: toler.chol)
SINGULAR_TOL = 1e-9

@dataclass
class EfronFit:
    """The result of :func:`fit_efron` (uncentred x)."""

    beta: np.ndarray
    variance: np.ndarray
    se: np.ndarray
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    n: int
    nevent: int
    score: np.ndarray  # score vector at beta (~0)
    score_test: float  # U0' I0^-1 U0 at beta = 0 (R: fit$score)
    wald_test: float  # beta' I beta
    lr_test: float  # 2 (loglik - loglik_null)
    ties: str = "efron"

    @property
    def df(self) -> int:
        return int(self.beta.size)

    @property
    def z(self) -> np.ndarray:
        return self.beta / self.se

    @property
    def p_lr(self) -> float:
        return _chi2_sf(self.lr_test, self.df)

    @property
    def p_wald(self) -> float:
        return _chi2_sf(self.wald_test, self.df)

    @property
    def p_score(self) -> float:
        return _chi2_sf(self.score_test, self.df)


def _chi2_sf(stat: float, df: int) -> float:
    from scipy.stats import chi2

    return float(chi2.sf(stat, df))


# ---------------------------------------------------------------------------
# data preparation (once per fit)


def _segment_suffix_sum(a: np.ndarray, seg_end: np.ndarray) -> np.ndarray:
    """Sum of a[g:end] within each segment; ``seg_end[g]`` = one past its segment's end."""
    c = np.cumsum(a[::-1], axis=0)[::-1]  # c[g] = sum a[g:]
    c = np.concatenate([c, np.zeros((1,) + a.shape[1:])], axis=0)
    return c[:-1] - c[seg_end]


def _segment_prefix_sum(a: np.ndarray, seg_start: np.ndarray) -> np.ndarray:
    """Sum of a[start:g+1] within each segment; ``seg_start[g]`` = its segment's start."""
    c = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, axis=0)], axis=0)
    return c[1:] - c[seg_start]


def _check_input(x, time, event, weight, strata, entry, ties):
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ModelError(f"x must be a 2-d array (rows x columns), got {x.ndim} dimensions")
    nrow, p = x.shape
    if ties not in TIES:
        raise ModelError(f"ties must be one of {', '.join(TIES)}, got {ties!r}")
    time = np.asarray(time, dtype=float).ravel()
    event = np.asarray(event).ravel()
    weight = np.asarray(weight, dtype=float).ravel()
    for name, arr in (("time", time), ("event", event), ("weight", weight)):
        if arr.shape[0] != nrow:
            raise ModelError(f"{name} has {arr.shape[0]} rows but x has {nrow}")
    if strata is not None:
        strata = np.asarray(strata).ravel()
        if strata.shape[0] != nrow:
            raise ModelError(f"strata has {strata.shape[0]} rows but x has {nrow}")
    if p == 0:
        raise ModelError("x has no columns; a Cox model needs at least one covariate")
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.all(np.isfinite(x), axis=0))
        raise ModelError(f"x has missing or infinite values in column(s) {bad.tolist()}")
    if not np.all(np.isfinite(time)):
        raise ModelError("time has missing or infinite values")
    if entry is not None:
        entry = np.asarray(entry, dtype=float).ravel()
        if entry.shape[0] != nrow:
            raise ModelError(f"entry has {entry.shape[0]} rows but x has {nrow}")
        if not np.all(np.isfinite(entry)):
            raise ModelError("entry has missing or infinite values")
        bad = np.flatnonzero(entry >= time)
        if bad.size:
            i = int(bad[0])
            raise ModelError(
                f"entry must be before time: row {i} has entry {entry[i]:g} >= time "
                f"{time[i]:g}; a record must be at risk for some time: drop or correct it"
            )
    if not np.all(np.isin(event, (0, 1))):
        raise ModelError("event must be 0 (censored) or 1 (death)")
    whole = np.all(np.isfinite(weight)) and np.all(weight == np.round(weight))
    if not whole or np.any(weight < 0):
        raise ModelError(
            "weight must hold non-negative whole counts (frequency weights); "
            "the exact Efron correction needs an integer number of tied deaths"
        )
    return x, time, event.astype(float), weight, strata, entry


class _Prepared:
    """Sorted, grouped data and the index vectors that do not depend on beta."""

    def __init__(self, x, time, event, weight, strata, entry=None, ties="efron"):
        x, time, event, weight, strata, entry = _check_input(
            x, time, event, weight, strata, entry, ties
        )
        self.ties = ties
        keep = weight > 0
        if not keep.all():
            x, time, event, weight = x[keep], time[keep], event[keep], weight[keep]
            strata = strata[keep] if strata is not None else None
            entry = entry[keep] if entry is not None else None
        self.n = int(weight.sum())
        self.nevent = int((weight * event).sum())
        self.p = x.shape[1]
        if self.nevent == 0:
            raise ModelError("there are no events (deaths); a Cox model cannot be fitted")

        if strata is None:
            scode = np.zeros(time.shape[0], dtype=np.int64)
        else:
            _, scode = np.unique(strata, return_inverse=True)
            scode = scode.ravel().astype(np.int64)
        order = np.lexsort((time, scode))
        x, time, event = x[order], time[order], event[order]
        weight, scode = weight[order], scode[order]

        # centre with the weighted means (results do not depend on it)
        self.means = (weight @ x) / weight.sum()
        xc = x - self.means
        self.x = xc
        self.w = weight
        self.event = event
        self.n_rows = xc.shape[0]

        # groups = distinct (stratum, time)
        m = xc.shape[0]
        new_group = np.ones(m, dtype=bool)
        new_group[1:] = (time[1:] != time[:-1]) | (scode[1:] != scode[:-1])
        gstart = np.flatnonzero(new_group)
        self.gstart = gstart
        self.row_group = np.cumsum(new_group) - 1
        gstrat = scode[gstart]
        ng = gstart.size
        new_strat = np.ones(ng, dtype=bool)
        new_strat[1:] = gstrat[1:] != gstrat[:-1]
        sstart = np.flatnonzero(new_strat)  # first group of each stratum
        send = np.append(sstart[1:], ng)
        sid = np.cumsum(new_strat) - 1
        self.g_seg_start = sstart[sid]
        self.g_seg_end = send[sid]
        self.row_strat_start = gstart[sstart]  # first row of each stratum
        self.n_strata = sstart.size

        we = weight * event
        D = np.add.reduceat(we, gstart)
        self.event_groups = np.flatnonzero(D > 0)
        self.D = D[self.event_groups]
        self.wex = we @ xc  # sum over deaths of n x
        self.we = we
        # the death rows, grouped by event time (each event time has at least one)
        self.dead_rows = np.flatnonzero(event > 0)
        dg = self.row_group[self.dead_rows]
        self.dead_start = np.flatnonzero(np.r_[True, dg[1:] != dg[:-1]])
        self._prepare_entry(entry[order] if entry is not None else None, time, scode, gstart)
        self.tie_sums = TieSums(self.D, ties)

    def _prepare_entry(self, entry, time, scode, gstart):
        """Index vectors for left truncation: who has not yet entered at each event time."""
        self.entry = entry is not None
        if not self.entry:
            return
        # one integer scale for times and entries; composite (stratum, code) keys
        codes = np.unique(np.concatenate([time, entry]), return_inverse=True)[1].ravel()
        tcode, ecode = codes[: time.size], codes[time.size :]
        span = int(codes.max()) + 2
        gkey = scode[gstart] * span + tcode[gstart]  # sorted: groups are (stratum, time)
        kg = self.event_groups
        # rows sorted by (stratum, entry): those entering at or after an event time t
        # are the block from the first entry >= t to the end of the stratum
        ekey = scode * span + ecode
        self.eorder = np.argsort(ekey, kind="stable")
        ekey = ekey[self.eorder]
        self.late_from = np.searchsorted(ekey, gkey[kg], side="left")
        self.late_to = np.searchsorted(ekey, (scode[gstart[kg]] + 1) * span, side="left")
        # each row's last group (in its stratum) with time <= entry: the event times it
        # was not yet at risk for; -1 when none
        g_of = np.searchsorted(gkey, scode * span + ecode, side="right") - 1
        first = np.searchsorted(gkey, scode * span, side="left")
        self.entry_group = np.where(g_of >= first, g_of, -1)

    def _risk_sums(self, r, rx=None):
        """``S0`` (and ``S1``) over the risk set and ``T0`` (``T1``) over the deaths, per
        event time."""
        kg = self.event_groups
        S0 = _segment_suffix_sum(np.add.reduceat(r, self.gstart), self.g_seg_end)[kg]
        T0 = np.add.reduceat(r[self.dead_rows], self.dead_start)
        if self.entry:  # minus the rows that enter at or after t
            c = np.concatenate([[0.0], np.cumsum(r[self.eorder])])
            S0 = S0 - (c[self.late_to] - c[self.late_from])
        if rx is None:
            return S0, T0
        S1 = _segment_suffix_sum(np.add.reduceat(rx, self.gstart, axis=0), self.g_seg_end)[kg]
        T1 = np.add.reduceat(rx[self.dead_rows], self.dead_start, axis=0)
        if self.entry:
            c = np.concatenate([np.zeros((1, rx.shape[1])), np.cumsum(rx[self.eorder], axis=0)])
            S1 = S1 - (c[self.late_to] - c[self.late_from])
        return S0, T0, S1, T1

    def evaluate(self, beta: np.ndarray, derivatives: bool = True):
        """Log-likelihood, or (loglik, score, information, scale), at beta (centred x).

        ``scale`` is the largest diagonal element of the first (positive) part of the
        information, the reference for the singularity tolerance. With absurd betas
        (step halving from a diverging coefficient) exp(eta) can underflow: the
        log-likelihood is then -inf or nan, which the caller treats as a decrease.
        """
        with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
            return self._evaluate(beta, derivatives)

    def _evaluate(self, beta: np.ndarray, derivatives: bool):
        x, w, ev = self.x, self.w, self.event
        eta = x @ beta
        # per-stratum shift against overflow; the partial likelihood is invariant to it
        if self.n_strata == 1:
            eta = eta - eta.max()
        else:
            smax = np.maximum.reduceat(eta, self.row_strat_start)
            eta = eta - np.repeat(smax, np.diff(np.append(self.row_strat_start, eta.size)))
        r = w * np.exp(eta)
        re = r * ev
        if not derivatives:
            S0, T0 = self._risk_sums(r)
            return float(self.we @ eta - self.tie_sums(S0, T0, False).sum())
        rx = r[:, None] * x
        S0, T0, S1, T1 = self._risk_sums(r, rx)
        L, A0, A1, B0, B1, B2 = self.tie_sums(S0, T0, True)
        loglik = float(self.we @ eta - L.sum())

        kg = self.event_groups
        ng = self.gstart.size
        A0g = np.zeros(ng)
        A0g[kg] = A0
        A1g = np.zeros(ng)
        A1g[kg] = A1
        cumA0 = _segment_prefix_sum(A0g, self.g_seg_start)  # sum of A0 over event times <= t
        rg = self.row_group
        atrisk = cumA0[rg]
        if self.entry:  # minus the event times at or before the row's entry
            eg = self.entry_group
            atrisk = atrisk - np.where(eg >= 0, cumA0[np.maximum(eg, 0)], 0.0)
        v = r * atrisk - re * A1g[rg]
        score = self.wex - v @ x
        info = x.T @ (v[:, None] * x)
        scale = float(np.max(np.diag(info)))

        cross = S1.T @ (B1[:, None] * T1)
        info -= S1.T @ (B0[:, None] * S1) - cross - cross.T + T1.T @ (B2[:, None] * T1)
        info = (info + info.T) / 2
        return loglik, score, info, scale


# ---------------------------------------------------------------------------
# linear algebra


def _singular_column(info: np.ndarray, scale: float) -> int | None:
    """The first column whose Cholesky pivot is below SINGULAR_TOL * scale, or None.

    As R's cholesky2, except that the reference is the largest diagonal element of
    sum_t A0 S2 - A1 T2 (before the squared means are subtracted), not of the
    information itself: when every column is uninformative the information is
    rounding noise and a tolerance relative to it would pick a column at random.
    """
    a = np.array(info, dtype=float)
    p = a.shape[0]
    if not (np.isfinite(scale) and scale > 0 and np.all(np.isfinite(a))):
        return 0
    eps = SINGULAR_TOL * scale
    for i in range(p):
        piv = a[i, i]
        if not np.isfinite(piv) or piv <= eps:
            return i
        if i + 1 < p:
            col = a[i + 1 :, i] / piv
            a[i + 1 :, i + 1 :] -= np.outer(col, a[i, i + 1 :])
    return None


def _check(info: np.ndarray, scale: float, iteration: int) -> None:
    j = _singular_column(info, scale)
    if j is None:
        return
    if iteration == 0:
        raise ModelError(
            f"the information matrix is singular: column {j} of x is constant or a linear "
            "combination of the other columns (or has no variation among the cases at risk "
            "at the death times); drop or recode it"
        )
    raise ModelError(
        f"the information matrix became singular at iteration {iteration} for column {j} "
        "of x: its coefficient is going to infinity (monotone likelihood, e.g. a group "
        "with no deaths or only deaths); drop or recode it"
    )


# ---------------------------------------------------------------------------
# public API


def efron_loglik(beta, x, time, event, weight=None, strata=None, *, entry=None,
                 ties="efron") -> float:
    """The record-level log partial likelihood at ``beta`` from collapsed rows."""
    x = np.asarray(x, dtype=float)
    weight = np.ones(x.shape[0]) if weight is None else weight
    prep = _Prepared(x, time, event, weight, strata, entry, ties)
    beta = np.atleast_1d(np.asarray(beta, dtype=float))
    return prep.evaluate(beta, derivatives=False)


def efron_derivatives(beta, x, time, event, weight=None, strata=None, *, entry=None,
                      ties="efron"):
    """``(loglik, score, information)`` of the record-level likelihood at ``beta``."""
    x = np.asarray(x, dtype=float)
    weight = np.ones(x.shape[0]) if weight is None else weight
    prep = _Prepared(x, time, event, weight, strata, entry, ties)
    beta = np.atleast_1d(np.asarray(beta, dtype=float))
    # centring changes eta by a constant: no effect on loglik, score or information
    return prep.evaluate(beta)[:3]


def fit_efron(
    x: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    *,
    entry: np.ndarray | None = None,
    ties: str = "efron",
    max_iter: int = 30,
    tol: float = 1e-9,
) -> EfronFit:
    """Fit a Cox model, exactly as on the records, from collapsed rows.

    Parameters
    ----------
    x : (N, p) covariates of each collapsed row.
    time, event : survival (exit) time and 0/1 death indicator of each row.
    weight : (N,) whole-number count of records the row stands for (default 1).
    strata : (N,) stratum labels (separate baseline hazards), or None.
    entry : (N,) left-truncation (delayed entry) time of each row, or None: a row is
        at risk at t when ``entry < t <= time`` (R's ``Surv(entry, time, event)``).
    ties : ``"efron"`` (default) or ``"breslow"`` (R's ``ties =``; SAS PHREG's default
        is Breslow).
    max_iter, tol : Newton-Raphson limits; convergence when
        ``|1 - loglik_old / loglik_new| <= tol`` after a full (unhalved) step.

    Raises
    ------
    ModelError : no events, a singular information matrix (the column is named),
        bad input (e.g. an entry not before its time), or no convergence within
        ``max_iter`` iterations.

    Examples
    --------
    Two tied deaths (x = 1) and three at risk at time 1, one more death at time 2:

    >>> fit = fit_efron([[1.0], [0.0], [0.0], [1.0]], [1, 1, 2, 2], [1, 0, 1, 0], [2, 1, 1, 1])
    >>> round(float(fit.beta[0]), 4), fit.ties
    (0.5644, 'efron')
    """
    x = np.asarray(x, dtype=float)
    weight = np.ones(x.shape[0]) if weight is None else weight
    prep = _Prepared(x, time, event, weight, strata, entry, ties)
    p = prep.p

    beta = np.zeros(p)
    loglik0, u0, i0, scale = prep.evaluate(beta)
    _check(i0, scale, 0)
    step = np.linalg.solve(i0, u0)
    score_test = float(u0 @ step)
    loglik = loglik0
    newbeta = beta + step
    halving = False
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):
        newlk, u, info, scale = prep.evaluate(newbeta)
        if not np.isfinite(newlk):
            newlk = -np.inf
        change = abs(1 - loglik / newlk) if newlk != 0 else abs(loglik)
        if np.isfinite(newlk) and change <= tol and not halving:
            converged = True
            break
        if iteration == max_iter:
            break
        if newlk < loglik:
            halving = True
            newbeta = (newbeta + beta) / 2
        else:
            halving = False
            loglik = newlk
            beta = newbeta
            _check(info, scale, iteration)
            newbeta = newbeta + np.linalg.solve(info, u)
    if not converged:
        raise ModelError(
            f"the Cox model did not converge in {iteration} iterations "
            f"(max_iter={max_iter}, tol={tol:g}); a coefficient may be infinite "
            "(a group with no deaths, or all deaths in one group)"
        )
    _check(info, scale, iteration)
    variance = np.linalg.inv(info)
    variance = (variance + variance.T) / 2
    beta = newbeta
    # R's coxph.fit check: the loglik converged before a coefficient did
    drift = np.abs(u @ variance)
    infinite = np.flatnonzero((drift > tol) & (drift > math.sqrt(tol) * np.abs(beta)))
    if infinite.size:
        warnings.warn(
            f"the log-likelihood converged before the coefficient(s) of column(s) "
            f"{infinite.tolist()} of x: they may be infinite (monotone likelihood)",
            InfiniteCoefficientWarning,
            stacklevel=2,
        )
    return EfronFit(
        beta=beta,
        variance=variance,
        se=np.sqrt(np.diag(variance)),
        loglik=float(newlk),
        loglik_null=float(loglik0),
        iterations=iteration,
        converged=True,
        n=prep.n,
        nevent=prep.nevent,
        score=u,
        score_test=score_test,
        wald_test=float(beta @ info @ beta),
        lr_test=2 * (float(newlk) - float(loglik0)),
        ties=ties,
    )
