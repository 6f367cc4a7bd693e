"""Gray's test for equal cumulative incidence across groups (``cmprsk::cuminc``).

Gray (1988, Ann. Stat. 16:1141) compares the cumulative incidence of one
cause across k groups with a weighted difference of the subdistribution
hazards. The score and its variance are computed here exactly as cuminc's
Fortran routine ``crst`` does, from the counts at each distinct time (the
censored, the events of the cause and the other events, per group), so the
collapsed registry table gives the record-level statistic. Strata add their
scores and variances; ``rho`` is the power of ``(1 - F(t-))`` in the weight
(cuminc's default 0). The statistic ``s' V^-1 s`` has k - 1 df.

The trend version uses the same score and variance: the scores of all k
groups sum to zero, so with group scores ``w`` (1, 2, ... by default) the
statistic is ``U = sum_i (w_i - w_k) s_i`` over the first k - 1 groups,
``chisq = U^2 / c'Vc`` on 1 df, computed on the records of the ordered
groups only (as the log-rank test for trend).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cohort.errors import CompetingRisksError
from cohort.survival.finegray import cause_status


@dataclass
class GrayTest:
    """Gray's score for the first k - 1 groups and its variance (cuminc's ``s``, ``vs``)."""

    groups: list[str]
    score: np.ndarray
    variance: np.ndarray
    rho: float = 0.0

    @property
    def df(self) -> int:
        return len(self.groups) - 1

    @property
    def chisq(self) -> float:
        try:
            return float(self.score @ np.linalg.solve(self.variance, self.score))
        except np.linalg.LinAlgError:
            return float("nan")  # cuminc prints -1 when the variance is singular

    @property
    def p(self) -> float:
        from scipy.stats import chi2

        return float(chi2.sf(self.chisq, self.df))

    def trend(self, scores=None) -> dict:
        """Test for trend across the groups in their order (scores 1, 2, ... by default)."""
        k = len(self.groups)
        w = np.asarray(scores if scores is not None else range(1, k + 1), dtype=float)
        if w.size != k:
            raise CompetingRisksError(f"{k} groups but {w.size} trend scores")
        c = w[:-1] - w[-1]
        u = float(c @ self.score)
        v = float(c @ self.variance @ c)
        chisq = u * u / v if v > 0 else float("nan")
        from scipy.stats import chi2

        return {"chisq": chisq, "df": 1, "p": float(chi2.sf(chisq, 1)), "U": u, "V": v}


def gray_test(
    counts: pl.DataFrame,
    *,
    group: str,
    event: str,
    competing: tuple[str, ...],
    censored: tuple[str, ...] = ("alive",),
    cause: str = "cause",
    time: str = "time",
    weight: str = "n",
    strata: list[str] | None = None,
    levels: list[str] | None = None,
    rho: float = 0.0,
) -> GrayTest:
    """Gray's k-sample test of the cumulative incidence of ``event`` across ``group``.

    ``counts`` has one row per (time, cause, group[, strata]) with a count;
    ``cause`` holds ``event``, a ``competing`` code or a ``censored`` code
    (anything else is refused). Groups follow ``levels`` (default: sorted);
    rows of other groups are left out, and groups without records are dropped
    as cuminc drops them.

    Examples
    --------
    >>> df = pl.DataFrame({"time": [1, 3, 1, 2, 4], "n": [3, 2, 1, 2, 2],
    ...                    "cause": ["c", "alive", "o", "c", "alive"],
    ...                    "g": ["a", "a", "b", "b", "b"]})
    >>> t = gray_test(df, group="g", event="c", competing=("o",))
    >>> t.groups, t.df, bool(t.chisq > 0)
    (['a', 'b'], 1, True)
    """
    status = cause_status(counts[cause], event=event, competing=competing, censored=censored,
                          weight=counts[weight], column=cause)
    values = counts[group].cast(pl.Utf8)
    if levels is None:
        levels = sorted(values.drop_nulls().unique().to_list())
    levels = [str(x) for x in levels]
    index = {lv: i for i, lv in enumerate(levels)}
    gix = np.array([index.get(v, -1) for v in values.to_list()])
    w = counts[weight].to_numpy().astype(float)
    keep = (gix >= 0) & (w > 0)
    present = np.bincount(gix[keep], minlength=len(levels)) > 0
    if present.sum() < 2:
        raise CompetingRisksError(
            f"Gray's test needs at least two groups of {group} with records; found "
            f"{', '.join(lv for lv, p in zip(levels, present, strict=True) if p) or 'none'}")
    remap = np.cumsum(present) - 1
    groups = [lv for lv, p in zip(levels, present, strict=True) if p]
    gix = np.where(keep, remap[np.maximum(gix, 0)], -1)
    t = counts[time].to_numpy().astype(float)
    if strata:
        key = counts.select(pl.struct(strata).rank("dense")).to_series().to_numpy()
    else:
        key = np.zeros(counts.height, dtype=np.int64)
    ng = len(groups)
    score = np.zeros(ng - 1)
    var = np.zeros((ng - 1, ng - 1))
    for k in np.unique(key[keep]):
        sel = keep & (key == k)
        s, v = _crst(t[sel], status[sel], gix[sel], w[sel], ng, rho)
        score += s
        var += v
    return GrayTest(groups, score, var, rho)


def _crst(time, status, gix, w, ng, rho):
    """One stratum of cuminc's ``crst``: score and variance from per-time counts."""
    ut, tix = np.unique(time, return_inverse=True)
    nt = ut.size
    d = np.zeros((3, nt, ng))  # censored, events of the cause, other events
    np.add.at(d, (status, tix.ravel(), gix), w)
    rs = d.sum(axis=(0, 1))  # at risk (the group sizes at the start)
    ng1 = ng - 1
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    f1m = np.zeros(ng)
    skmm = np.ones(ng)
    v3 = np.zeros(ng)
    v2 = np.zeros((ng1, ng))
    c = np.zeros((ng, ng))
    fm = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(nt):
            d0, d1, d2 = d[0, j], d[1, j], d[2, j]
            nd1, nd2 = d1.sum(), d2.sum()
            if nd1 > 0 or nd2 > 0:
                on = rs > 0
                skm = np.where(on, skmm * (rs - d1 - d2) / rs, skmm)
                f1 = np.where(on, f1m + skmm * d1 / rs, f1m)
                tr = (rs[on] / skmm[on]).sum()
                tq = (rs[on] * (1 - f1m[on]) / skmm[on]).sum()
                f = fm + nd1 / tr
                fb = (1 - fm) ** rho
                t1 = np.where(on, rs / skmm, 0.0)
                a = -fb * np.outer(t1, t1) / tr
                a[np.diag_indices(ng)] = fb * t1 * (1 - t1 / tr)
                c += a * nd1 / (tr * (1 - fm))
                s += np.where(on, fb * (d1 - nd1 * rs * (1 - f1m) / (skmm * tq)), 0.0)[:ng1]
                if nd1 > 0:
                    t4 = np.where(skm > 0, 1 - (1 - f) / skm, 1.0)
                    t5 = 1 - (nd1 - 1) / (tr * skmm - 1) if nd1 > 1 else np.ones(ng)
                    t3 = np.where(on, t5 * skmm * nd1 / (tr * rs), 0.0)
                    v3 += t4 * t4 * t3
                    t1m = a[:ng1] - t4 * c[:ng1]
                    v2 += t1m * t4 * t3
                    v += (t1m * t3) @ t1m.T
                if nd2 > 0:
                    k2 = (skm > 0) & (d2 > 0)
                    t4 = np.where(k2, (1 - f) / skm, 0.0)
                    t5 = np.where(d2 > 1, 1 - (d2 - 1) / (rs - 1), 1.0)
                    t3 = np.where(k2, t5 * skmm**2 * d2 / rs**2, 0.0)
                    v3 += t4 * t4 * t3
                    t1m = t4 * c[:ng1]
                    v2 -= t1m * t4 * t3
                    v += (t1m * t3) @ t1m.T
                fm, f1m, skmm = f, f1, skm
            rs = rs - d0 - d1 - d2
    cm = c[:ng1]
    v += (cm * v3) @ cm.T + cm @ v2.T + v2 @ cm.T
    return s, v


def trend_levels(levels: list[str]) -> list[str]:
    """The groups a trend test scores: the ordered known categories in their
    order (never NX, '... NOS' or unknown), the rule of the log-rank test for
    trend (:func:`cohort.survival.analysis.score_groups`).

    >>> trend_levels(["N0", "N1 NOS", "N1", "N2", "N3", "NX"])
    ['N0', 'N1', 'N2', 'N3']
    """
    from cohort.survival.analysis import is_unordered

    return [lv for lv in levels if not is_unordered(lv)]


def gray_tests(
    counts: pl.DataFrame,
    *,
    by: str,
    levels: list[str] | None = None,
    causes: tuple[str, ...] = ("cancer_death", "other_death"),
    censored: tuple[str, ...] = ("alive",),
    cause: str = "cause",
    strata: list[str] | None = None,
) -> pl.DataFrame:
    """Gray's test and its trend version for every cause, as one table.

    The trend test scores the ordered known groups 1, 2, ... in their order
    (NX, '... NOS' and unknown groups left out, as the log-rank test for
    trend) when there are at least two; its ``groups`` column names them.
    """
    rows = []
    for k in causes:
        other = tuple(c for c in causes if c != k)
        t = gray_test(counts, group=by, event=k, competing=other, censored=censored,
                      cause=cause, strata=strata, levels=levels)
        rows.append({"test": "Gray's test", "cause": k, "chisq": t.chisq, "df": t.df, "p": t.p,
                     "groups": ", ".join(t.groups)})
        ordered = trend_levels(t.groups)
        if len(ordered) >= 2:
            sub = counts.filter(pl.col(by).cast(pl.Utf8).is_in(ordered))
            tr = gray_test(sub, group=by, event=k, competing=other, censored=censored,
                           cause=cause, strata=strata, levels=ordered).trend()
            rows.append({"test": "Gray's test for trend", "cause": k, "chisq": tr["chisq"],
                         "df": 1, "p": tr["p"], "groups": " < ".join(ordered)})
    return pl.DataFrame(rows, schema={"test": pl.Utf8, "cause": pl.Utf8, "chisq": pl.Float64,
                                      "df": pl.Int64, "p": pl.Float64, "groups": pl.Utf8})
