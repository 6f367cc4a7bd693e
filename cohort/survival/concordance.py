"""Harrell's concordance (C) of a risk score, exact on collapsed counts, as R's ``concordance``.

A pair of records is *comparable* when the shorter follow-up ends in a death
and the other record is still at risk at that time: in the same stratum, with
``entry < t <= time`` (a record censored at the death time counts as
outliving it; two deaths at the same time are tied in time and not
comparable). A comparable pair is concordant when the record that died first
has the higher risk score, discordant when it has the lower, and tied in the
score otherwise (counting one half)::

    C = (concordant + tied / 2) / (concordant + discordant + tied)

Counts are frequency weights: a collapsed row of ``n`` records counts as ``n``
records, so every count and the variance equal those of the records.

How it is counted. Each death is a query against the records at risk at its
time, and each record a query against the earlier deaths it outlived (for the
variance). A query needs the weight of the records before it, in time order
and in its stratum, whose score rank is lower, equal or higher. The ranks are
processed bit by bit from the top (a wavelet-matrix pass): at each bit the
rows of a group are split stably into the 0 and 1 halves, and a query with the
bit set gains the weight of the 0-half rows before it. Every level is a few
cumulative sums over all rows, so the cost is ``O(N log K)`` for N collapsed
rows and K distinct scores, never a mask per distinct time. Left truncation
subtracts, for a death at t, the records that enter at or after t, and, for a
record, the deaths at or before its entry.

The variance is R's (``concordance()$var``, survival 3.x): the infinitesimal
jackknife ``var = sum_i w_i dfbeta_i^2 / 4`` with ``dfbeta_i = (c_i - d_i) / P -
(somers / P) (c_i + d_i + t_i)``, where ``c_i, d_i, t_i`` are the concordant,
discordant and tied-score pair weights that record i takes part in, ``P`` the
comparable pairs and ``somers = (C - D) / P``. With frequency weights each of
the ``w_i`` records of a row contributes ``dfbeta_i^2``, which is R's value on
the records. (R given the collapsed rows with ``weights = n`` treats a row as one
unit and sums ``(w_i dfbeta_i)^2``: the same C and pair counts, a larger
variance.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort.survival.cox import ModelError

__all__ = ["Concordance", "concordance", "linear_predictor"]


@dataclass(frozen=True)
class Concordance:
    """Harrell's C and its pair counts (weighted as records), as R's ``concordance``."""

    c: float
    concordant: float
    discordant: float
    tied_risk: float  # comparable pairs tied in the score (R: tied.x)
    tied_time: float  # deaths at the same time, different scores (R: tied.y)
    tied_both: float  # deaths at the same time and score (R: tied.xy)
    variance: float  # variance of C (R: concordance()$var)

    @property
    def se(self) -> float:
        """Standard error of C (R's ``sqrt(var)``)."""
        return float(np.sqrt(self.variance))

    @property
    def pairs(self) -> float:
        """Comparable pairs (concordant + discordant + tied_risk)."""
        return self.concordant + self.discordant + self.tied_risk


def linear_predictor(x: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(risk, pattern)``: x beta per row, and an integer key of its covariate pattern.

    The linear predictor is computed once per distinct row of ``x`` and with the
    same sequence of operations for every pattern, so identical rows get the
    identical value whatever their position (a BLAS product can round the same
    row differently in different places, 1e-17 apart). ``pattern`` numbers the
    distinct rows; pass it to :func:`concordance` so identical rows are tied
    exactly.

    Examples
    --------
    >>> risk, pattern = linear_predictor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], [0.5, -1.0])
    >>> risk.tolist(), pattern.tolist()
    ([0.5, -1.0, 0.5], [1, 0, 1])
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    beta = np.atleast_1d(np.asarray(beta, dtype=float))
    if x.shape[1] != beta.size:
        raise ModelError(f"x has {x.shape[1]} columns but beta has {beta.size} values")
    unique, pattern = np.unique(x, axis=0, return_inverse=True)
    lp = np.zeros(unique.shape[0])
    for j in range(beta.size):  # column by column: no BLAS, one rounding path per pattern
        lp += unique[:, j] * beta[j]
    return lp[pattern.ravel()], pattern.ravel()


def concordance(
    time,
    event,
    risk,
    *,
    weight=None,
    strata=None,
    entry=None,
    pattern=None,
) -> Concordance:
    """Harrell's C of ``risk`` (higher risk = earlier death), as R's ``concordance``.

    Parameters
    ----------
    time, event : follow-up time and 0/1 death indicator of each row.
    risk : risk score of each row (a Cox model's linear predictor).
    weight : whole or fractional count of records the row stands for (default 1).
    strata : stratum of each row; only pairs within a stratum are compared.
    entry : left-truncation time of each row (default None: no truncation); a
        record is at risk at t when ``entry < t <= time``.
    pattern : key of each row's covariate pattern (:func:`linear_predictor`): rows
        with the same key are tied in the score exactly; patterns are ordered by
        ``risk`` (the smallest value of the pattern's rows).

    Returns
    -------
    Concordance : C, the pair counts and the variance of C.

    Notes
    -----
    R: ``concordance(coxph(Surv(entry, time, event) ~ ... + strata(s), weights = n))``
    with the default ``timewt = "n"``; the counts and C agree, and the variance agrees
    with R's on the records (see the module notes for R's value on weighted rows).

    Examples
    --------
    >>> r = concordance([1, 2, 3, 4], [1, 1, 1, 1], [4.0, 3.0, 1.0, 2.0])
    >>> (r.concordant, r.discordant, r.tied_risk), round(r.c, 4)
    ((5.0, 1.0, 0.0), 0.8333)
    """
    time, event, rank, weight, stratum, entry = _prepare(
        time, event, risk, weight, strata, entry, pattern
    )
    dead = event == 1
    nrank = int(rank.max()) + 1 if rank.size else 1
    nbits = max(1, (nrank - 1).bit_length())
    # time and entry on one integer scale, so "before" is exact
    both = time if entry is None else np.concatenate([time, entry])
    codes = np.unique(both, return_inverse=True)[1].ravel()
    tcode, ecode = codes[: time.size], codes[time.size :]
    rows = np.arange(time.size)
    di = rows[dead]

    # (a) each death against the records at risk at its time (decreasing time; keys
    # compare strictly): records with a later time or censored at it, minus the
    # records that enter at or after it
    death_key = -(3 * tcode[di] + 1)
    items, keys, w = rows, np.where(dead, -3 * tcode, -(3 * tcode + 2)), weight
    if entry is not None:
        items = np.concatenate([rows, rows])
        keys = np.concatenate([keys, -(3 * ecode + 2)])
        w = np.concatenate([weight, -weight])
    lo_a, eq_a, hi_a = _rank_counts(
        stratum[items], keys, rank[items], w, stratum[di], death_key, rank[di], nbits
    )
    # (b) each record against the deaths it outlived: earlier deaths (and deaths at its
    # time when it is censored), minus deaths at or before its entry
    q, qkey, sign = rows, 3 * tcode + np.where(dead, 0, 2), np.ones(rows.size)
    if entry is not None:
        q = np.concatenate([rows, rows])
        qkey = np.concatenate([qkey, 3 * ecode + 2])
        sign = np.concatenate([sign, -sign])
    lo_b, eq_b, hi_b = _rank_counts(
        stratum[di], 3 * tcode[di] + 1, rank[di], weight[di], stratum[q], qkey, rank[q], nbits
    )
    lo_b, eq_b, hi_b = (np.bincount(q, s * sign, minlength=rows.size) for s in (lo_b, eq_b, hi_b))

    wd = weight[di]
    conc, disc, tied = float(wd @ lo_a), float(wd @ hi_a), float(wd @ eq_a)
    tied_time, tied_both = _tied_deaths(stratum[di], tcode[di], rank[di], wd)
    npair = conc + disc + tied
    if npair <= 0:
        return Concordance(float("nan"), conc, disc, tied, tied_time - tied_both, tied_both,
                           float("nan"))
    # per-record pair weights (R's influence matrix, Cox orientation)
    ci = hi_b.copy()
    di_ = lo_b.copy()
    ti = eq_b.copy()
    ci[di] += lo_a
    di_[di] += hi_a
    ti[di] += eq_a
    somers = (conc - disc) / npair
    dfbeta = (ci - di_) / npair - somers / npair * (ci + di_ + ti)
    variance = float(weight @ dfbeta**2) / 4
    return Concordance((conc + tied / 2) / npair, conc, disc, tied, tied_time - tied_both,
                       tied_both, variance)


# ---------------------------------------------------------------------------


def _prepare(time, event, risk, weight, strata, entry, pattern):
    time = np.asarray(time, dtype=float).ravel()
    n = time.size
    event = np.asarray(event).ravel()
    risk = np.asarray(risk, dtype=float).ravel()
    weight = np.ones(n) if weight is None else np.asarray(weight, dtype=float).ravel()
    for name, arr in (("event", event), ("risk", risk), ("weight", weight)):
        if arr.size != n:
            raise ModelError(f"{name} has {arr.size} rows but time has {n}")
    if not np.all(np.isfinite(time)):
        raise ModelError("time has missing or infinite values")
    if not np.all(np.isin(event, (0, 1))):
        raise ModelError("event must be 0 (censored) or 1 (death)")
    if not np.all(np.isfinite(risk)):
        raise ModelError("risk has missing or infinite values")
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise ModelError("weight must hold non-negative counts")
    if entry is not None:
        entry = np.asarray(entry, dtype=float).ravel()
        if entry.size != n:
            raise ModelError(f"entry has {entry.size} rows but time has {n}")
        check_entry(entry, time)
    if strata is None:
        stratum = np.zeros(n, dtype=np.int64)
    else:
        strata = np.asarray(strata).ravel()
        if strata.size != n:
            raise ModelError(f"strata has {strata.size} rows but time has {n}")
        stratum = np.unique(strata, return_inverse=True)[1].ravel().astype(np.int64)
    if pattern is None:
        rank = np.unique(risk, return_inverse=True)[1].ravel()
    else:
        pattern = np.asarray(pattern).ravel()
        if pattern.size != n:
            raise ModelError(f"pattern has {pattern.size} rows but time has {n}")
        pid = np.unique(pattern, return_inverse=True)[1].ravel()
        prisk = np.full(int(pid.max()) + 1 if n else 0, np.inf)
        np.minimum.at(prisk, pid, risk)
        rank = np.unique(prisk, return_inverse=True)[1].ravel()[pid]
    keep = weight > 0
    if not keep.all():
        time, event, rank = time[keep], event[keep], rank[keep]
        weight, stratum = weight[keep], stratum[keep]
        entry = entry[keep] if entry is not None else None
    return time, event.astype(np.int64), rank.astype(np.int64), weight, stratum, entry


def check_entry(entry: np.ndarray, time: np.ndarray) -> None:
    """Raise :class:`ModelError` unless every entry is a number before its time."""
    if not np.all(np.isfinite(entry)):
        raise ModelError("entry has missing or infinite values")
    bad = np.flatnonzero(entry >= time)
    if bad.size:
        i = int(bad[0])
        raise ModelError(
            f"entry must be before time: row {i} has entry {entry[i]:g} >= time {time[i]:g}; "
            "a record must be at risk for some time (entry < time): drop or correct it"
        )


def _tied_deaths(stratum, tcode, rank, w):
    """Record pairs of deaths at the same time (all; and with the same score)."""
    if not w.size:
        return 0.0, 0.0
    g = np.unique(stratum * (int(tcode.max()) + 1) + tcode, return_inverse=True)[1].ravel()
    gr = np.unique(g * (int(rank.max()) + 1) + rank, return_inverse=True)[1].ravel()

    def pairs(groups):
        tot = np.bincount(groups, w)
        return float(((tot * tot - tot) / 2).sum())  # W records: W (W - 1) / 2 pairs

    return pairs(g), pairs(gr)


def _rank_counts(igroup, ikey, irank, iw, qgroup, qkey, qrank, nbits):
    """For each query, the weight of the items in its group with a smaller key, split
    by rank: ``(lower, equal, higher)``.

    A wavelet matrix over the items sorted by (group, key): a query's items are the
    range ``[lo, hi)`` of that order. At each bit of the rank, from the top, the items
    are split stably into their 0 and 1 halves (the 0s first) and each query's range
    moves into the half of its own bit, having first collected the weight of the other
    half's items in its range (lower ranks when its bit is 1, higher when it is 0).
    After the last bit the range holds the items of its own rank.
    """
    span = int(max(ikey.max(initial=0), qkey.max(initial=0))) - int(
        min(ikey.min(initial=0), qkey.min(initial=0))) + 1
    base = int(min(ikey.min(initial=0), qkey.min(initial=0)))
    icomp = igroup * span + (ikey - base)
    order = np.argsort(icomp, kind="stable")
    icomp = icomp[order]
    rank, w = irank[order], iw[order]
    hi = np.searchsorted(icomp, qgroup * span + (qkey - base), side="left")
    lo = np.searchsorted(icomp, qgroup * span, side="left")
    c = np.concatenate([[0.0], np.cumsum(w)])
    inrange = c[hi] - c[lo]  # weight in the query's range (after the last bit: equal rank)
    lower = np.zeros(qgroup.size)
    higher = np.zeros(qgroup.size)
    for b in range(nbits - 1, -1, -1):
        one = ((rank >> b) & 1).astype(bool)
        qone = ((qrank >> b) & 1).astype(bool)
        c0 = np.concatenate([[0.0], np.cumsum(np.where(one, 0.0, w))])
        zeros = np.concatenate([[0], np.cumsum(~one)])  # 0-items before a position
        got0 = c0[hi] - c0[lo]
        got1 = inrange - got0
        lower += np.where(qone, got0, 0.0)
        higher += np.where(qone, 0.0, got1)
        inrange = np.where(qone, got1, got0)
        zlo, zhi, nz = zeros[lo], zeros[hi], zeros[-1]
        lo = np.where(qone, nz + lo - zlo, zlo)
        hi = np.where(qone, nz + hi - zhi, zhi)
        part = np.concatenate([np.flatnonzero(~one), np.flatnonzero(one)])
        rank, w = rank[part], w[part]
    return lower, inrange, higher
