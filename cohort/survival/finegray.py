"""Fine-Gray subdistribution hazards, exact on collapsed counts (``cmprsk::crr``).

A collapsed registry table has one row per (time, status, covariate pattern,
censoring group) with a count ``n``; status is 1 for an event of the cause of
interest, 2 for a competing event and 0 for censored. The fit here is the
record-level ``crr`` fit of the data with every row repeated ``n`` times, not
an approximation of it:

* **Censoring weights.** ``G_g`` is the Kaplan-Meier estimate of the
  censoring distribution in censoring group ``g`` (crr's ``cengroup``; one
  group by default), with the censored records as events and everybody else
  at risk: a record that fails at ``t`` is at risk of censoring at ``t``, so
  ties put events before censorings. crr evaluates it at ``t (1 - 100 eps)``,
  i.e. just before ``t``: ``G_g(t-)``. At ``t = 0`` that point is 0 itself,
  so censorings at time 0 count in ``G_g(0)`` (reproduced here).
* **Risk sets and ties.** At an event time ``tau`` the subdistribution risk
  set holds every record with time >= tau (weight 1) and every record with a
  competing event before tau, weighted ``G_g(tau-) / G_g(t-)`` with ``g`` its
  own censoring group. Tied events share one denominator (Breslow):
  ``loglik = sum_events eta - sum_tau d_tau log S0(tau)``. The weight depends
  on time and group only, so a row of ``n`` identical records enters every
  sum with its count: ``S0(tau) = sum_{t >= tau} n e^eta + sum_g G_g(tau-)
  sum_{competing in g, t < tau} n e^eta / G_g(t-)``, prefix and suffix sums
  over the distinct times. An iteration costs ``O(rows p^2 + times groups p)``.
* **Newton-Raphson** as crr runs it: start at 0, stop when ``max |score| *
  max(|beta|, 1) < gtol * max(|loglik|, 1)`` (``gtol`` 1e-6, at most
  ``maxiter`` = 10 iterations), step halving while the Armijo condition
  ``loglik(new) >= loglik + 1e-4 step'score`` fails. So ``beta`` is crr's own
  iterate, not only the same maximiser.
* **Variance.** crr's robust sandwich ``I^-1 (sum_i eta_i eta_i') I^-1``
  (Fine & Gray 1999, section 4), where the influence ``eta_i`` of a record has
  three parts: its own score term, its share of the baseline hazard
  increments, and the term for the estimated censoring weights (``psi_i``,
  built from ``q(u)`` at every censoring time). Records of one cell share
  their influence, so the middle sum is ``sum_rows n eta eta'``. With
  censoring groups, crr 2.2-11 builds ``q_g(u)`` of group g from the events
  and the competing events of g alone (checked against its compiled
  ``crrvv`` on random data; the older published Fortran summed every group).
* **Ends of the censoring curves.** Past the last time of a censoring group
  crr's interpolation of ``G_g`` returns its end knot, 0: a competing record
  of that group then leaves the risk sets of later events. Reproduced.

With no competing events the subdistribution risk set is the ordinary one:
the fit is the Cox model with Breslow ties, and the variance is the robust
(Lin-Wei) variance of ``coxph(..., ties = "breslow", robust = TRUE)``.

Time-varying coefficients (crr's ``cov2``/``tf``) are not offered.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from cohort.errors import CohortWarning, CompetingRisksError

Z95 = 1.959963984540054


class NoCompetingEventsWarning(CohortWarning):
    """No competing events: the Fine-Gray model is the Breslow Cox model."""


class FineGrayConvergenceWarning(CohortWarning):
    """Newton-Raphson stopped before crr's convergence criterion was met."""


@dataclass
class FineGrayFit:
    """The result of :func:`fit_finegray` (crr's names in the comments)."""

    beta: np.ndarray  # coef
    variance: np.ndarray  # var: the robust sandwich
    information: np.ndarray  # inf
    loglik: float  # loglik (pseudo log-likelihood)
    loglik_null: float  # loglik.null
    converged: bool
    iterations: int
    n: int  # records
    nevent: int
    ncompeting: int
    ncensored: int
    times: np.ndarray  # uftime: distinct event times of the cause
    means: np.ndarray
    _hazard: np.ndarray  # baseline jumps at x = means, scaled by exp(-_shift)
    _shift: float

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.variance))

    @property
    def z(self) -> np.ndarray:
        return self.beta / self.se

    @property
    def p(self) -> np.ndarray:
        from scipy.stats import norm

        return 2 * norm.sf(np.abs(self.z))

    @property
    def jumps(self) -> np.ndarray:
        """Jumps of the baseline cumulative subdistribution hazard at x = 0
        (crr's ``bfitj``)."""
        return self._hazard * np.exp(-(self._shift + self.means @ self.beta))

    def cumulative_incidence(self, x) -> np.ndarray:
        """Predicted cumulative incidence at ``times`` for covariate rows ``x``
        (one row per profile): ``1 - exp(-exp(x'beta) Lambda0(t))``, as
        ``predict.crr``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        scale = np.exp((x - self.means) @ self.beta - self._shift)
        return 1 - np.exp(-scale[:, None] * np.cumsum(self._hazard)[None, :])


def cause_status(
    values,
    *,
    event: str,
    competing: tuple[str, ...],
    censored: tuple[str, ...],
    weight=None,
    column: str = "cause",
) -> np.ndarray:
    """Codes of a cause column as crr's status: 1 ``event``, 2 ``competing``, 0
    ``censored``. A missing or unknown code is refused with the codes found and
    their record counts, never guessed.

    >>> cause_status(["alive", "cancer_death", "other_death"], event="cancer_death",
    ...              competing=("other_death",), censored=("alive",)).tolist()
    [0, 1, 2]
    """
    import polars as pl

    codes = pl.Series("code", values).cast(pl.Utf8)
    groups = {"event": {event}, "competing": set(competing), "censored": set(censored)}
    clash = (groups["event"] & (groups["competing"] | groups["censored"])) | (
        groups["competing"] & groups["censored"])
    if clash:
        raise CompetingRisksError(
            f"code(s) {', '.join(sorted(clash))} given as more than one of event, competing "
            "and censored; each code of the cause column must have one meaning")
    status = {c: 2 for c in competing} | {c: 0 for c in censored} | {event: 1}
    w = pl.Series("n", np.ones(len(codes)) if weight is None
                  else np.asarray(weight, dtype=float))
    mapped = codes.replace_strict(status, default=None, return_dtype=pl.Int64)
    bad = pl.DataFrame({"code": codes, "n": w}).filter(mapped.is_null() & (w > 0))
    if bad.height:
        found = ", ".join(
            f"{'missing (null)' if c is None else repr(c)} ({int(n):,} records)"
            for c, n in bad.group_by("code").agg(pl.col("n").sum()).sort(
                "code", nulls_last=True).iter_rows())
        raise CompetingRisksError(
            f"{column} has codes that are neither the event ({event!r}), a competing event "
            f"({', '.join(map(repr, competing)) or 'none'}) nor censored "
            f"({', '.join(map(repr, censored)) or 'none'}): {found}. Recode them to one of "
            "these, or leave those records out (deaths of unknown cause are usually left "
            "out and counted)")
    return mapped.fill_null(0).to_numpy().astype(np.int64)


def _suffix(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Inclusive suffix sums along ``axis``."""
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


def _prefix_strict(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Sums of the entries strictly before each position along ``axis``."""
    return np.cumsum(a, axis=axis) - a


class _Data:
    """Validated rows, their time and group indices, and the censoring weights."""

    def __init__(self, x, time, status, weight, cengroup):
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        nrow, p = x.shape
        time = np.asarray(time, dtype=float).ravel()
        status = np.asarray(status).ravel()
        weight = np.ones(nrow) if weight is None else np.asarray(weight, dtype=float).ravel()
        group = np.zeros(nrow, dtype=np.int64) if cengroup is None else np.asarray(cengroup)
        for name, arr in (("time", time), ("status", status), ("weight", weight),
                          ("cengroup", group)):
            if arr.shape[0] != nrow:
                raise CompetingRisksError(f"{name} has {arr.shape[0]} rows but x has {nrow}")
        if p == 0:
            raise CompetingRisksError("x has no columns; the model needs at least one term")
        if not np.all(np.isfinite(x)):
            bad = np.flatnonzero(~np.all(np.isfinite(x), axis=0)).tolist()
            raise CompetingRisksError(f"x has missing or infinite values in column(s) {bad}")
        if not np.all(np.isfinite(time)) or np.any(time < 0):
            raise CompetingRisksError("time must be finite and not negative")
        if not np.all(np.isin(status, (0, 1, 2))):
            raise CompetingRisksError(
                "status must be 0 (censored), 1 (event of the cause) or 2 (competing event)")
        if not (np.all(np.isfinite(weight)) and np.all(weight >= 0)
                and np.all(weight == np.round(weight))):
            raise CompetingRisksError(
                "weight must hold non-negative whole counts (frequency weights): the fit "
                "equals crr's on the records the counts stand for")
        # rows sorted by time: per-time sums are then sums over contiguous blocks
        keep = np.flatnonzero(weight > 0)
        keep = keep[np.argsort(time[keep], kind="stable")]
        x, time, status, weight, group = x[keep], time[keep], status[keep], weight[keep], \
            group[keep]
        status = status.astype(np.int64)
        self.n = int(weight.sum())
        self.nevent = int(weight[status == 1].sum())
        self.ncompeting = int(weight[status == 2].sum())
        self.ncensored = int(weight[status == 0].sum())
        if self.nevent == 0:
            raise CompetingRisksError(
                "there are no events of the cause of interest; a subdistribution hazard "
                "model cannot be fitted")
        self.p = p
        self.w = weight
        self.means = weight @ x / weight.sum()
        self.x = x - self.means  # centred: nothing reported depends on it
        self.ut, self.tix = np.unique(time, return_inverse=True)
        self.tstart = np.flatnonzero(np.r_[True, np.diff(time) > 0])  # first row of each time
        self._cache = None
        _, self.gix = np.unique(group, return_inverse=True)
        self.gix = self.gix.ravel()
        self.tix = self.tix.ravel()
        self.ng = int(self.gix.max()) + 1
        nt = self.ut.size
        self.fail = status == 1
        self.comp = status == 2
        self.cens = status == 0
        cell = self.gix * nt + self.tix

        def by_group_time(sel):
            return np.bincount(cell[sel], weight[sel], self.ng * nt).reshape(self.ng, nt)

        self.at_risk = _suffix(by_group_time(slice(None)))  # Y_g(t): time >= t
        self.censored = by_group_time(self.cens)  # c_g(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(self.at_risk > 0, 1 - self.censored / self.at_risk, 1.0)
        g_at = np.cumprod(factor, axis=1)  # G_g(t), right-continuous
        # crr's G_g(t (1 - 100 eps)): G_g(t-) for t > 0, G_g(0) at t = 0
        self.gminus = np.concatenate([np.ones((self.ng, 1)), g_at[:, :-1]], axis=1)
        if self.ut[0] == 0:
            self.gminus[:, 0] = g_at[:, 0]
        # past a group's last time crr's interpolation returns its end knot, 0
        last = nt - 1 - np.argmax(np.flip(self.at_risk > 0, axis=1), axis=1)
        self.gminus[np.arange(nt)[None, :] > last[:, None]] = 0.0
        self.d = np.bincount(self.tix[self.fail], weight[self.fail], nt)
        self.d_group = by_group_time(self.fail)
        self.fk = np.flatnonzero(self.d > 0)
        self.wfx = weight[self.fail] @ self.x[self.fail]  # sum over events of n x
        # competing rows: 1 / G_g(t-) of their own time and group
        self.comp_idx = np.flatnonzero(self.comp)
        self.comp_cell = cell[self.comp_idx]
        self.comp_inv_g = 1.0 / self.gminus[self.gix[self.comp_idx], self.tix[self.comp_idx]]

    # -- risk-set sums ---------------------------------------------------------
    def _sums(self, r: np.ndarray, values: np.ndarray | None):
        """S (sum of r * values over each event time's weighted risk set) at the
        event times; ``values`` None sums r alone."""
        nt, ng = self.ut.size, self.ng
        v = r if values is None else r[:, None] * values
        s = _suffix(np.add.reduceat(v, self.tstart, axis=0), axis=0)
        vc = v[self.comp_idx] * (self.comp_inv_g if v.ndim == 1 else self.comp_inv_g[:, None])
        if vc.ndim == 1:
            comp = np.bincount(self.comp_cell, vc, ng * nt).reshape(ng, nt)
            s = s + (self.gminus * _prefix_strict(comp, axis=1)).sum(axis=0)
        else:
            comp = np.stack([np.bincount(self.comp_cell, vc[:, j], ng * nt)
                             for j in range(vc.shape[1])], 1).reshape(ng, nt, -1)
            s = s + np.einsum("gt,gtp->tp", self.gminus, _prefix_strict(comp, axis=1))
        return s[self.fk]

    def _risk(self, beta: np.ndarray):
        eta = self.x @ beta
        shift = float(eta.max())
        e = np.exp(eta - shift)
        return eta, shift, e

    def loglik(self, beta: np.ndarray) -> float:
        eta, shift, e = self._risk(beta)
        s0 = self._sums(self.w * e, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(self.w[self.fail] @ (eta[self.fail] - shift)
                         - self.d[self.fk] @ np.log(s0))

    def derivatives(self, beta: np.ndarray):
        """(loglik, score, information, parts) at ``beta`` (the last one is kept)."""
        if self._cache is not None and np.array_equal(self._cache[0], beta):
            return self._cache[1]
        out = self._derivatives(beta)
        self._cache = (beta.copy(), out)
        return out

    def _derivatives(self, beta: np.ndarray):
        eta, shift, e = self._risk(beta)
        r = self.w * e
        s0 = self._sums(r, None)
        s1 = self._sums(r, self.x)
        d = self.d[self.fk]
        xbar = s1 / s0[:, None]
        loglik = float(self.w[self.fail] @ (eta[self.fail] - shift) - d @ np.log(s0))
        score = self.wfx - d @ xbar
        # sum_tau (d/S0) S2(tau) as one weighted cross-product over the rows
        nt = self.ut.size
        h = np.zeros(nt)
        h[self.fk] = d / s0
        hg = h[None, :] * self.gminus  # h(tau) G_g(tau-)
        after = _suffix(hg, axis=1) - hg  # sum over event times > t
        rw = np.cumsum(h)[self.tix]
        c = self.comp_idx
        rw[c] += after[self.gix[c], self.tix[c]] * self.comp_inv_g
        info = self.x.T @ ((r * rw)[:, None] * self.x) - xbar.T @ (d[:, None] * xbar)
        info = (info + info.T) / 2
        return loglik, score, info, (e, r, h, xbar, shift, s0)

    # -- variance ----------------------------------------------------------------
    def influence(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Information and crr's per-record influence ``eta_i`` (one row per cell)."""
        _, _, info, (e, r, h, xbar_k, _, s0) = self.derivatives(beta)
        nt, ng, p = self.ut.size, self.ng, self.p
        x, tix, gix = self.x, self.tix, self.gix
        xbar = np.zeros((nt, p))
        xbar[self.fk] = xbar_k
        hx = h[:, None] * xbar
        hg = h[None, :] * self.gminus  # (g, t)
        hgx = hg[:, :, None] * xbar[None, :, :]
        c0, c1 = _suffix(hg, axis=1), _suffix(hgx, axis=1)  # event times >= t
        b0, b1 = c0 - hg, c1 - hgx  # event times > t
        # share of the baseline increments (every record at risk; competing
        # records after their event, with the weight ratio)
        a = x * np.cumsum(h)[tix][:, None] - np.cumsum(hx, axis=0)[tix]
        cidx = self.comp_idx
        gc, tc = gix[cidx], tix[cidx]
        a[cidx] += (x[cidx] * b0[gc, tc][:, None] - b1[gc, tc]) * self.comp_inv_g[:, None]
        infl = -e[:, None] * a
        f = self.fail
        infl[f] += x[f] - xbar[tix[f]]
        # censoring-weight term: q(u) and the per-group compensator
        rc = r[cidx] * self.comp_inv_g
        cell = self.comp_cell
        r0 = _prefix_strict(np.bincount(cell, rc, ng * nt).reshape(ng, nt), axis=1)
        r1 = _prefix_strict(np.stack([np.bincount(cell, rc * x[cidx, j], ng * nt)
                                      for j in range(p)], 1).reshape(ng, nt, p), axis=1)
        # q_g(u): as crr 2.2-11, over the events of group g only (its event
        # counts d_g(tau) in place of d(tau)), and the competing events of g
        if ng == 1:
            qc0, qc1 = c0, c1
        else:
            hq = np.zeros((ng, nt))
            hq[:, self.fk] = self.d_group[:, self.fk] / s0 * self.gminus[:, self.fk]
            qc0, qc1 = _suffix(hq, axis=1), _suffix(hq[:, :, None] * xbar[None], axis=1)
        q = r1 * qc0[:, :, None] - r0[:, :, None] * qc1  # (g, t, p)
        y = self.at_risk
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = np.where(y[:, :, None] > 0, self.censored[:, :, None] * q /
                           (y[:, :, None] ** 2), 0.0)
        psi = -np.cumsum(inc, axis=1)[gix, tix]
        cz = self.cens
        psi[cz] += q[gix[cz], tix[cz]] / y[gix[cz], tix[cz]][:, None]
        return info, infl + psi

    def hazard(self, beta: np.ndarray) -> tuple[np.ndarray, float]:
        _, _, _, (_, _, h, _, shift, _) = self.derivatives(beta)
        return h[self.fk], shift


def fit_finegray(
    x,
    time,
    status,
    weight=None,
    cengroup=None,
    *,
    gtol: float = 1e-6,
    maxiter: int = 10,
    init=None,
) -> FineGrayFit:
    """Fine-Gray model from collapsed rows, equal to ``cmprsk::crr`` on the records.

    Parameters
    ----------
    x
        Covariates, rows x columns (indicator-coded already).
    time
        Event or censoring time of each row (taken as given, never shifted).
    status
        0 censored, 1 event of the cause of interest, 2 competing event.
    weight
        Whole counts (records per row); default 1.
    cengroup
        Censoring group of each row (crr's ``cengroup``): a separate
        Kaplan-Meier of the censoring distribution per group.
    gtol, maxiter, init
        crr's convergence tolerance, iteration limit and starting values.

    Examples
    --------
    By hand: four records, no competing event, x = 1, 0, 1, 0 at times 1, 2,
    3, 4, events at 1 and 2. The Breslow score ``1 - e^b/(e^b + 1) -
    e^b/(e^b + 2)`` is zero where ``1/(e^b + 1) = e^b/(e^b + 2)``, i.e.
    ``e^{2b} = 2``: beta = log(2)/2.

    >>> fit = fit_finegray([1, 0, 1, 0], [1, 2, 3, 4], [1, 1, 0, 0], gtol=1e-12)
    >>> bool(abs(fit.beta[0] - np.log(2) / 2) < 1e-10), fit.nevent, fit.ncompeting
    (True, 2, 0)
    """
    data = _Data(x, time, status, weight, cengroup)
    p = data.p
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()
    converged = False
    iterations = 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        for it in range(maxiter + 1):
            loglik, score, info, _ = data.derivatives(beta)
            iterations = it
            # crr minimises -loglik: its test is on the same magnitudes
            if np.max(np.abs(score) * np.maximum(np.abs(beta), 1)) < max(abs(loglik), 1) * gtol:
                converged = True
                break
            if it == maxiter:
                break
            try:
                if _singular(info):
                    raise np.linalg.LinAlgError
                step = np.linalg.solve(info, score)
            except np.linalg.LinAlgError:
                raise CompetingRisksError(
                    "the information matrix is singular: a term is constant or a linear "
                    "combination of the others among the records at risk; drop or recode it"
                ) from None
            new = data.loglik(beta + step)
            halvings = 0
            while not np.isfinite(new) or -new > -loglik + 1e-4 * float(step @ -score):
                halvings += 1
                step = step * 0.5
                new = data.loglik(beta + step)
                if halvings > 20:
                    break
            if halvings > 20:
                break
            beta = beta + step
        info, infl = data.influence(beta)
    if not converged:
        warnings.warn(
            f"the Fine-Gray fit did not converge in {maxiter} Newton-Raphson iterations "
            "(crr's criterion); a coefficient may be drifting to infinity",
            FineGrayConvergenceWarning, stacklevel=2)
    try:
        if _singular(info):
            raise np.linalg.LinAlgError
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise CompetingRisksError(
            "the information matrix is singular at the estimate; drop or recode a term"
        ) from None
    middle = infl.T @ (data.w[:, None] * infl)
    variance = inv @ middle @ inv.T
    hazard, shift = data.hazard(beta)
    return FineGrayFit(
        beta=beta, variance=(variance + variance.T) / 2, information=info,
        loglik=loglik, loglik_null=data.loglik(np.zeros(p)), converged=converged,
        iterations=iterations, n=data.n, nevent=data.nevent, ncompeting=data.ncompeting,
        ncensored=data.ncensored, times=data.ut[data.fk], means=data.means,
        _hazard=hazard, _shift=shift,
    )


def _singular(info: np.ndarray) -> bool:
    """Numerically singular: an eigenvalue of the (symmetric) information at or
    below rounding level. A flat likelihood (every record at risk at each event
    time has the same covariates) gives an information that is zero in exact
    arithmetic but 1e-17 or 0 in floating point depending on the order of the
    sums; both must be refused alike, not inverted into a noise variance."""
    info = np.asarray(info, dtype=float)
    if not np.all(np.isfinite(info)):
        return True
    eig = np.linalg.eigvalsh((info + info.T) / 2)
    return bool(eig.min() <= 1e-10 * max(1.0, float(np.abs(eig).max())))
