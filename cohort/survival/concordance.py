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
    pattern = _row_codes(x)
    first = np.zeros(int(pattern.max()) + 1 if pattern.size else 0, dtype=np.int64)
    first[pattern] = np.arange(pattern.size)  # a row of each pattern (all identical)
    unique = x[first]
    lp = np.zeros(unique.shape[0])
    for j in range(beta.size):  # column by column: no BLAS, one rounding path per pattern
        lp += unique[:, j] * beta[j]
    return lp[pattern], pattern


def _unique(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values, codes)``: the sorted distinct values of ``a`` and each one's index."""
    a = np.asarray(a).ravel()
    if a.size and a.dtype.kind in "iuf":
        low = a.min()
        if a.dtype.kind != "f" or (np.isfinite(low) and np.all(a == np.round(a))):
            span = a.max() - low
            if span < 4 * a.size + 64:  # whole numbers in a small range: no sort
                present = np.bincount((a - low).astype(np.int64)) > 0
                codes = (np.cumsum(present) - 1)[(a - low).astype(np.int64)]
                return (np.flatnonzero(present) + low).astype(a.dtype), codes
    values, codes = np.unique(a, return_inverse=True)
    return values, codes.ravel()


def _codes(a: np.ndarray) -> np.ndarray:
    """Dense integer codes 0..k-1 of the values of ``a``, in sorted order of the values."""
    return _unique(a)[1]


def _row_codes(x: np.ndarray) -> np.ndarray:
    """Dense codes of the distinct rows of ``x``, in lexicographic order of the rows."""
    key = np.zeros(x.shape[0], dtype=np.int64)
    size = 1
    for j in range(x.shape[1]):
        col = _codes(x[:, j])
        k = int(col.max()) + 1 if col.size else 1
        if size * k >= 2**62:  # keep the mixed-radix key in int64
            key = _codes(key)
            size = int(key.max()) + 1
        key = key * k + col
        size *= k
    return _codes(key)


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
        stratum[items], keys, rank[items], w, stratum[di], death_key, rank[di], nrank
    )
    # (b) each record against the deaths it outlived: earlier deaths (and deaths at its
    # time when it is censored), minus deaths at or before its entry
    q, qkey, sign = rows, 3 * tcode + np.where(dead, 0, 2), np.ones(rows.size)
    if entry is not None:
        q = np.concatenate([rows, rows])
        qkey = np.concatenate([qkey, 3 * ecode + 2])
        sign = np.concatenate([sign, -sign])
    lo_b, eq_b, hi_b = _rank_counts(
        stratum[di], 3 * tcode[di] + 1, rank[di], weight[di], stratum[q], qkey, rank[q], nrank
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
        stratum = _codes(strata).astype(np.int64)
    if pattern is None:
        rank = np.unique(risk, return_inverse=True)[1].ravel()
    else:
        pattern = np.asarray(pattern).ravel()
        if pattern.size != n:
            raise ModelError(f"pattern has {pattern.size} rows but time has {n}")
        pid = _codes(pattern)
        prisk = np.full(int(pid.max()) + 1 if n else 0, np.inf)
        np.minimum.at(prisk, pid, risk)
        rank = _codes(prisk)[pid]
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
    g = _codes(stratum * (int(tcode.max()) + 1) + tcode)
    gr = _codes(g * (int(rank.max()) + 1) + rank)

    def pairs(groups):
        tot = np.bincount(groups, w)
        return float(((tot * tot - tot) / 2).sum())  # W records: W (W - 1) / 2 pairs

    return pairs(g), pairs(gr)


#: the dense grid (item keys x ranks) is used while it has at most this many cells per
#: item and query (plus _GRID_BASE_CELLS); above, the wavelet matrix (O(N log K) whatever
#: the shape)
_GRID_CELLS_PER_ROW = 16
_GRID_BASE_CELLS = 4096


def _rank_counts(igroup, ikey, irank, iw, qgroup, qkey, qrank, nrank):
    """For each query, the weight of the items in its group with a smaller key, split
    by rank: ``(lower, equal, higher)``.

    The items sorted by (group, key) put a query's items in one range of that order.
    When the distinct item keys times the ranks make a small grid (the usual registry
    table: a few hundred months and covariate patterns), the grid's cumulative sums
    answer every query at once; otherwise a wavelet matrix does (:func:`_wavelet`).
    """
    span = int(max(ikey.max(initial=0), qkey.max(initial=0))) - int(
        min(ikey.min(initial=0), qkey.min(initial=0))) + 1
    base = int(min(ikey.min(initial=0), qkey.min(initial=0)))
    icomp = igroup * span + (ikey - base)
    qcomp = qgroup * span + (qkey - base)
    keys, ikey_code = _unique(icomp)
    hi = np.searchsorted(keys, qcomp, side="left")  # item keys below the query's, ...
    lo = np.searchsorted(keys, qgroup * span, side="left")  # ... from its group's first
    cells = (keys.size + 1) * (nrank + 1)
    if cells <= _GRID_CELLS_PER_ROW * (icomp.size + qcomp.size) + _GRID_BASE_CELLS:
        return _grid(ikey_code, irank, iw, keys.size, nrank, lo, hi, qrank)
    # the range of positions in the items sorted by key code
    start = np.concatenate([[0], np.cumsum(np.bincount(ikey_code, minlength=keys.size))])
    return _wavelet(ikey_code, irank, iw, start[lo], start[hi], qrank, nrank)


def _grid(icode, irank, iw, nkey, nrank, lo, hi, qrank):
    """``P[j, r]``: item weight with key code < j and rank < r; a query takes rows hi - lo."""
    P = np.zeros((nkey + 1, nrank + 1))
    P[1:, 1:] = np.bincount(icode * nrank + irank, iw, minlength=nkey * nrank).reshape(
        nkey, nrank)
    np.cumsum(P, axis=0, out=P)
    np.cumsum(P, axis=1, out=P)
    below = P[hi, qrank] - P[lo, qrank]
    upto = P[hi, qrank + 1] - P[lo, qrank + 1]
    total = P[hi, nrank] - P[lo, nrank]
    return below, upto - below, total - upto


def _wavelet(icode, irank, iw, lo, hi, qrank, nrank):
    """The same counts with a wavelet matrix over the items sorted by key code.

    A query's items are the positions ``[lo, hi)`` of that order. At each bit of the rank,
    from the top, the items are split stably into their 0 and 1 halves (the 0s first)
    and each query's range moves into the half of its own bit, having first collected
    the weight of the other half's items in its range (lower ranks when its bit is 1,
    higher when it is 0). After the last bit the range holds the items of its rank.
    """
    order = np.argsort(icode, kind="stable")
    rank, w = irank[order], iw[order]
    c = np.concatenate([[0.0], np.cumsum(w)])
    inrange = c[hi] - c[lo]  # weight in the query's range (after the last bit: equal rank)
    lower = np.zeros(qrank.size)
    higher = np.zeros(qrank.size)
    for b in range(max(1, (nrank - 1).bit_length()) - 1, -1, -1):
        one = ((rank >> b) & 1).astype(bool)
        qone = ((qrank >> b) & 1).astype(bool)
        c0 = np.concatenate([[0.0], np.cumsum(np.where(one, 0.0, w))])
        zeros = np.concatenate([[0], np.cumsum(~one, dtype=np.int64)])  # 0-items before
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
