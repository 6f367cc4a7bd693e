"""Actuarial life tables with expected, relative and net survival (SEER*Stat's layout).

Computed on monthly intervals and printed on wider ones (``interval`` = 1, 3,
6 or 12 months), as SEER*Stat does ("annual statistics calculated monthly").
For each monthly interval x, from the collapsed counts:

- ``L_x`` alive at the start (left-truncated records count from the interval
  they enter), ``D_x`` died, ``W_x`` lost or withdrawn alive;
- effective number at risk ``L'_x = L_x - W_x / 2`` (actuarial);
- interval observed survival ``P_x = 1 - D_x / L'_x``, cumulative
  ``CP_x = prod P``, Greenwood's SE ``CP_x sqrt(sum D / (L' (L' - D)))``;
- expected survival: **Ederer II** ``P*_x = sum_i p*_ix / L_x`` over those
  alive at the start of x (SEER*Stat's default); **Ederer I**, everyone
  matched for the whole follow-up, ``CP*_x = mean_i S*_i(t_x)``; **Hakulinen**,
  the expected cohort censored at each case's potential follow-up (the
  closing date), ``P*_h = sum_i S*_i(h + 1) / sum_i S*_i(h)`` over those whose
  potential follow-up covers step h, on half-month steps so that a potential
  follow-up ending mid-month ends a step (R ``survexp(method = "hakulinen")``,
  whose grid holds those ends);
- relative survival ``R_x = P_x / P*_x``, ``CR_x = CP_x / CP*_x``, SE
  ``SE(CP_x) / CP*_x`` (SEER*Stat);
- net survival by Pohar Perme (:mod:`cohort.survival.netsurv`), at the
  interval ends, on the same follow-up convention.

Exit times are taken as given (``surv_months + 0.5`` for completed months):
a record leaving at time t falls in month ``ceil(t) - 1``; an entry time e
puts it at risk from month ``ceil(e)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cohort.errors import CohortError
from cohort.survival.netsurv import Z95, LifeTable, grid_sum, net_sums, to_grid

EXPECTED = ("ederer2", "ederer1", "hakulinen")
CONF_TYPES = ("log-log", "log", "plain")
INTERVALS = (1, 3, 6, 12)
DEFAULT_HORIZON = 120  # months tabulated unless asked: 10 years, or the follow-up if shorter
ESTIMATES = (
    "observed_interval", "observed_interval_se", "expected_interval", "relative_interval",
    "relative_interval_se", "observed", "observed_se", "observed_lower", "observed_upper",
    "expected", "relative", "relative_se", "relative_lower", "relative_upper", "net",
    "net_se", "net_lower", "net_upper",
)


class LifeTableInputError(CohortError):
    """A life table cannot be computed as asked (interval, method, horizon, columns)."""


def conf_int(est, se, conf_type: str = "log-log"):
    """95% confidence limits of survival proportions ``est`` with standard errors ``se``.

    ``log-log`` as popEpi (``est ** exp(+-z se / (|log est| est))``) below 1 and the
    log scale from 1 up (relative survival can reach 1 or more, where log(-log) is
    undefined), ``log`` or ``plain``; a zero SE gives the estimate itself.

    >>> lo, hi = conf_int(np.array([0.8]), np.array([0.05]), "plain")
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.702, 0.898)
    """
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            lo, hi = est - Z95 * se, est + Z95 * se
        elif conf_type == "log":
            lo, hi = est * np.exp(-Z95 * se / est), est * np.exp(Z95 * se / est)
        elif conf_type == "log-log":
            # log(-log S) needs S < 1; relative survival at or above 1 gets the log scale
            s = se / (np.abs(np.log(est)) * est)
            lo, hi = est ** np.exp(Z95 * s), est ** np.exp(-Z95 * s)
            above = est >= 1
            lo = np.where(above, est * np.exp(-Z95 * se / est), lo)
            hi = np.where(above, est * np.exp(Z95 * se / est), hi)
        else:
            raise LifeTableInputError(
                f"conf_type must be one of {', '.join(CONF_TYPES)}, got {conf_type!r}")
    zero = se == 0
    lo = np.where(zero, est, lo)
    hi = np.where(zero, est, hi)
    bad = ~np.isfinite(lo) | ~np.isfinite(hi)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


@dataclass
class _Months:
    """Monthly counts and expected survival for every group (arrays: groups x months)."""

    alive: np.ndarray
    entered: np.ndarray
    died: np.ndarray
    withdrawn: np.ndarray
    p_star: np.ndarray  # interval expected survival


def _cells(group: np.ndarray, key: np.ndarray, n_keys: int):
    code = group.astype(np.int64) * n_keys + key
    cells, row_cell = np.unique(code, return_inverse=True)
    cell_group, cell_key = cells // n_keys, cells % n_keys
    starts = np.flatnonzero(np.r_[True, cell_group[1:] != cell_group[:-1]])
    return row_cell, cell_group, cell_key, starts


def _monthly(grid, group, n_groups, months: int, start: int, expected: str,
             potential_h: np.ndarray | None) -> _Months:
    """Alive, entered, died, withdrawn and expected interval survival per group and month."""
    row_cell, cell_group, cell_key, starts = _cells(group, grid.key, len(grid.keys))
    C, M = len(cell_group), months
    x_out = np.maximum((grid.exit_h + 1) // 2 - 1, 0)  # month of leaving: ceil(t) - 1
    x_in = np.maximum((grid.entry_h + 1) // 2, start)  # first month at risk: ceil(e)
    n = np.where(x_out >= x_in, grid.n, 0.0)  # records gone before ``start`` do not count

    def per_cell(index, weights, *, rows=slice(None)):
        return grid_sum(row_cell[rows], np.minimum(index[rows], M), weights[rows],
                        (C, M + 1))[:, :M]

    alive = (per_cell(x_in, n) - np.concatenate(
        [np.zeros((C, 1)), per_cell(x_out, n)[:, :-1]], axis=1)).cumsum(axis=1)
    entered = per_cell(x_in, n)
    died = per_cell(x_out, n, rows=grid.dead)
    withdrawn = per_cell(x_out, n, rows=~grid.dead)
    surv = np.exp(-grid.lam[cell_key][:, 0: 2 * M + 1: 2])  # S*(x), x = 0..M
    rel = surv / surv[:, [start]]  # expected survival from the start month

    def by_group(a):
        out = np.zeros((n_groups,) + a.shape[1:])
        out[cell_group[starts]] = np.add.reduceat(a, starts, axis=0)
        return out

    L = by_group(alive)
    with np.errstate(divide="ignore", invalid="ignore"):
        if expected == "ederer2":
            p_star = by_group(alive * surv[:, 1:] / surv[:, :-1]) / L
        elif expected == "ederer1":
            total = by_group(np.bincount(row_cell, weights=n, minlength=C)[:, None] * rel)
            cum = total / total[:, [start]]
            p_star = cum[:, 1:] / cum[:, :-1]
        else:  # hakulinen: the expected cohort, censored at each potential follow-up,
            # on the half-month grid (potential follow-up ends mid-month), as R's survexp
            pot = np.clip(np.maximum(potential_h, grid.exit_h), 2 * start, 2 * M)
            keep = n > 0
            # potential follow-up covers (h, h + 1]
            cover = grid_sum(row_cell[keep], np.full(keep.sum(), 2 * start), n[keep],
                             (C, 2 * M + 1)) - grid_sum(row_cell[keep], pot[keep], n[keep],
                                                        (C, 2 * M + 1))
            cover = cover.cumsum(axis=1)[:, : 2 * M]
            half = np.exp(-grid.lam[cell_key][:, : 2 * M + 1]) / surv[:, [start]]
            ratio = by_group(cover * half[:, 1:]) / by_group(cover * half[:, :-1])
            ratio = np.where(np.isfinite(ratio), ratio, 1.0)
            p_star = ratio[:, 0::2] * ratio[:, 1::2]
    p_star = np.where(np.isfinite(p_star), p_star, 1.0)
    return _Months(L, by_group(entered), by_group(died), by_group(withdrawn), p_star)


def life_table(
    counts: pl.DataFrame,
    *,
    table: LifeTable,
    by: str | None = None,
    levels: list[str] | None = None,
    interval: int = 12,
    horizon: int | None = None,
    expected: str = "ederer2",
    net: bool = True,
    conf_type: str = "log-log",
    min_at_risk: int = 25,
    cap: bool = False,
    flag_se: float | None = 0.1,
    entry: str | None = None,
    potential: str | None = None,
    given: int = 0,
    label: str = "cohort",
    carried: list[int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Life tables by group from collapsed counts: (printed intervals, months).

    Parameters
    ----------
    counts
        Collapsed rows: ``time`` (exit time, months), ``event``, ``n``,
        ``age_at_dx``, ``sex``, ``dx_year``, the grouping column, and
        ``entry`` (left truncation) / ``potential`` (Hakulinen's potential
        follow-up, months) when used.
    interval
        Printed interval width in months: 1, 3, 6 or 12.
    horizon
        Months covered (default: the follow-up up to 10 years, in whole printed
        intervals).
    expected
        ``ederer2`` (default), ``ederer1`` or ``hakulinen``.
    net
        Add Pohar Perme net survival at the interval ends.
    min_at_risk
        Blank the estimates from the first interval with fewer alive at its start.
    conf_type
        95% CI of observed survival: ``log-log`` (SEER*Stat, popEpi), ``log`` or
        ``plain``; relative and net survival use the log scale unless ``plain``.
    cap
        Cap interval relative survival at 1, so cumulative relative survival
        never rises or exceeds 1 (SEER*Stat's "adjust" option).
    flag_se
        Flag intervals whose cumulative standard error exceeds this.
    given
        Conditional life table from month ``given`` (records must be under
        observation then; see :func:`cohort.survival.period.condition`).

    Examples
    --------
    >>> from cohort.survival.netsurv import load_lifetable
    >>> c = pl.DataFrame({"time": [5.5, 14.5, 30.5], "event": [1, 0, 1], "n": [40, 50, 30],
    ...                   "age_at_dx": [60] * 3, "sex": ["2"] * 3, "dx_year": [2000] * 3})
    >>> lt, _ = life_table(c, table=load_lifetable(), min_at_risk=0)
    >>> lt.select("start", "alive_start", "died", "withdrawn", pl.col("observed").round(4)).rows()
    [(0, 120, 40, 0, 0.6667), (12, 80, 0, 50, 0.6667), (24, 30, 30, 0, 0.0)]
    """
    if interval not in INTERVALS:
        raise LifeTableInputError(f"interval must be one of {INTERVALS} months, got {interval}")
    if expected not in EXPECTED:
        raise LifeTableInputError(f"expected must be one of {', '.join(EXPECTED)}, got "
                                  f"{expected!r}")
    if conf_type not in CONF_TYPES:
        raise LifeTableInputError(f"conf_type must be one of {', '.join(CONF_TYPES)}, got "
                                  f"{conf_type!r}")
    if expected in ("ederer1", "hakulinen") and entry is not None:
        raise LifeTableInputError(
            f"{expected} expected survival follows every case from diagnosis, which "
            "left-truncated (period) data do not; use ederer2")
    if expected == "hakulinen" and potential is None:
        raise LifeTableInputError("Hakulinen's expected survival needs each case's potential "
                                  "follow-up (months to the closing date)")
    counts = counts.filter(pl.col("n") > 0)  # zero-count rows are neutral
    if counts.is_empty():
        raise LifeTableInputError(f"{label}: no cases to tabulate")
    if by is None:
        counts = counts.with_columns(pl.lit("all").alias("__group"))
        by_col, levels = "__group", ["all"]
    else:
        by_col = by
        present = set(counts[by].cast(pl.Utf8).drop_nulls().to_list())
        levels = [lv for lv in (levels or sorted(present)) if lv in present]
        counts = counts.filter(pl.col(by).cast(pl.Utf8).is_in(levels))
    last = min(float(counts["time"].max()), given + DEFAULT_HORIZON)
    if horizon is None:
        horizon = int(np.ceil((np.ceil(last) - given) / interval)) * interval + given
    if horizon <= given or (horizon - given) % interval:
        raise LifeTableInputError(
            f"horizon must be {given} + a whole number of {interval}-month intervals, got "
            f"{horizon}")
    M = horizon
    grid = to_grid(counts, table=table, steps=2 * M + 2, entry=entry, label=label,
                   carried=carried)
    group = counts[by_col].cast(pl.Utf8).replace_strict(
        {lv: i for i, lv in enumerate(levels)}, return_dtype=pl.Int64).to_numpy()
    G = len(levels)
    pot_h = (np.round(2 * counts[potential].to_numpy().astype(float)).astype(np.int64)
             if expected == "hakulinen" else None)
    m = _monthly(grid, group, G, M, given, expected, pot_h)
    sums = net_sums(grid, group, G, method="pohar-perme") if net else None

    L, D, W = m.alive, m.died, m.withdrawn
    Lp = L - W / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        # a month nobody is at risk in changes nothing; intervals that start empty are blanked
        P = np.where(Lp > 0, 1 - D / Lp, 1.0)
        gw = np.where(Lp - D > 0, D / (Lp * (Lp - D)), np.where(D > 0, np.inf, 0.0))
    Rm = P / m.p_star
    if cap:
        Rm = np.minimum(Rm, 1.0)
    monthly = _monthly_frame(levels, L, m, Lp, P, given, M)
    ends = range(given + interval, M + 1, interval)
    net_at = [sums.estimate(2 * b, 2 * given if given else -1) for b in ends] if net else None
    rows = []
    for gi, level in enumerate(levels):
        rows.extend(_interval_rows(level, gi, L, m, P, gw, Rm, net_at, given, M, interval,
                                   cap))
    out = pl.DataFrame(rows, schema_overrides={c: pl.Float64 for c in ESTIMATES})
    out = _finish(out, conf_type=conf_type, min_at_risk=min_at_risk, flag_se=flag_se,
                  net=net)
    return out, monthly


def _monthly_frame(levels, L, m, Lp, P, start, M) -> pl.DataFrame:
    G = len(levels)
    x = np.arange(start, M)
    return pl.DataFrame({
        "group": np.repeat(levels, len(x)),
        "month": np.tile(x, G),
        "alive_start": L[:, start:M].ravel(),
        "entered": m.entered[:, start:M].ravel(),
        "died": m.died[:, start:M].ravel(),
        "withdrawn": m.withdrawn[:, start:M].ravel(),
        "n_eff": Lp[:, start:M].ravel(),
        "observed": P[:, start:M].ravel(),
        "expected": m.p_star[:, start:M].ravel(),
    })


def _interval_rows(level, gi, L, m, P, gw, Rm, net_at, start, M, width, cap) -> list[dict]:
    rows = []
    cum_p, cum_var, cum_e, cum_r = 1.0, 0.0, 1.0, 1.0
    for i, a in enumerate(range(start, M, width)):
        b = a + width
        months = slice(a, b)
        p_int = float(np.prod(P[gi, months]))
        e_int = float(np.prod(m.p_star[gi, months]))
        var_int = float(np.sum(gw[gi, months]))
        cum_p *= p_int
        cum_var += var_int
        cum_e *= e_int
        r_int = float(np.prod(Rm[gi, months]))
        cum_r = cum_r * r_int if cap else cum_p / cum_e
        se_p = cum_p * np.sqrt(cum_var) if cum_p > 0 else 0.0
        se_int = p_int * np.sqrt(var_int) if p_int > 0 else 0.0
        entered = float(m.entered[gi, a + 1:b].sum())
        withdrawn = float(m.withdrawn[gi, months].sum())
        row = {
            "group": level, "start": a, "end": b,
            "alive_start": int(round(L[gi, a])), "entered": int(round(entered)),
            "died": int(round(m.died[gi, months].sum())),
            "withdrawn": int(round(withdrawn)),
            "n_eff": float(L[gi, a] + entered / 2 - withdrawn / 2),
            "observed_interval": p_int, "observed_interval_se": se_int,
            "expected_interval": e_int, "relative_interval": r_int if cap else p_int / e_int,
            "relative_interval_se": se_int / e_int,
            "observed": cum_p, "observed_se": se_p, "expected": cum_e, "relative": cum_r,
            "relative_se": se_p / cum_e,
        }
        if net_at is not None:
            est, se_h = net_at[i]
            row["net"], row["net_se"] = float(est[gi]), float(est[gi] * se_h[gi])
        rows.append(row)
    return rows


def _finish(out: pl.DataFrame, *, conf_type, min_at_risk, flag_se, net) -> pl.DataFrame:
    """Confidence limits, SEER's minimum-at-risk rule and the SE flag."""
    kinds = ["observed", "relative"] + (["net"] if net else [])
    cols = {}
    for k in kinds:
        # relative and net survival sit near 1 with SEs far above 1 - estimate, where a
        # log(-log) interval degenerates to (0, 1): they get the log scale (relsurv's)
        ct = conf_type if k == "observed" or conf_type == "plain" else "log"
        lo, hi = conf_int(out[k].to_numpy(), out[f"{k}_se"].to_numpy(), ct)
        cols[f"{k}_lower"], cols[f"{k}_upper"] = lo, hi
    out = out.with_columns(pl.Series(k, v) for k, v in cols.items())
    # from the first interval with fewer than min_at_risk alive at its start, on
    too_few = (pl.col("alive_start") < max(min_at_risk, 1)).cast(pl.Int8).cum_max() \
        .over("group") == 1
    estimates = [c for c in ESTIMATES if c in out.columns]
    out = out.with_columns(
        pl.when(too_few).then(None).otherwise(pl.col(c)).fill_nan(None).alias(c)
        for c in estimates
    )
    ses = [pl.col(f"{k}_se") for k in kinds]
    flag = pl.max_horizontal(ses) > flag_se if flag_se is not None else pl.lit(False)
    out = out.with_columns(
        pl.when(too_few).then(pl.lit(f"<{min_at_risk} at risk"))
        .when(flag).then(pl.lit(f"SE>{flag_se:g}" if flag_se is not None else ""))
        .otherwise(pl.lit("")).alias("flag"))
    order = ["group", "start", "end", "alive_start", "entered", "died", "withdrawn", "n_eff",
             "observed_interval", "observed_interval_se", "expected_interval",
             "relative_interval", "relative_interval_se", "observed", "observed_se",
             "observed_lower", "observed_upper", "expected", "relative", "relative_se",
             "relative_lower", "relative_upper"]
    if net:
        order += ["net", "net_se", "net_lower", "net_upper"]
    return out.select(*order, "flag")
