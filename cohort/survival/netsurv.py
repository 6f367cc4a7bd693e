"""Relative and net survival with population life tables.

Net survival is the survival a cohort would have if cancer were the only
cause of death: observed deaths are compared with the deaths expected from
general-population mortality matched on sex, attained age and calendar
year, followed through the follow-up. Two estimators, as R's ``relsurv``
2.2 (``rs.surv``):

- **Pohar Perme**: the excess hazard with every person weighted by the
  inverse of their expected survival from diagnosis, ``w_i(t) = 1 / S*_i(t)``:
  ``dL_E(t) = sum w dN / sum w Y - sum w Y dL* / sum w Y``; consistent for net
  survival. Variance ``sum w^2 dN / (sum w Y)^2``.
- **Ederer II**: the same with ``w = 1`` (relative survival).

The estimate is the product over the exit times of ``1 - dL_E``, the
population part summed from the previous exit time (relsurv's form), with a
95% CI on the log scale (R's default); expected survival is Ederer I
(everyone followed to t). Rows are at risk while ``entry < t <= exit``, so
period (left-truncated) and conditional estimates use the same sums.

Each record leaves (dies or is censored) at its collapsed ``time``, taken as
given, on a half-month grid: with the default completed-months convention
that is the middle of its last month, ``surv_months + 0.5``, and with the
exact convention ``surv_months`` (:meth:`cohort.Cohort.collapse`), so the
observed column is the Kaplan-Meier on the same times. Expected hazards are
integrated over half-month steps (the weights taken at both ends of each),
with age at diagnosis taken as ``age_at_dx + 0.5`` (completed years) and the
date of diagnosis as the middle of ``dx_year``. Collapsing to (age, sex,
year of diagnosis, time, event, count) first makes a million cases a few
thousand rows; rows with a count of 0 change nothing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

from cohort.errors import CohortError, CohortWarning
from cohort.survival.display import Displayed

Z95 = 1.959963984540054
SEXES = {"1": 0, "2": 1}  # NAACCR sex codes -> life-table sex
SEX_NAMES = ("male", "female")

# International Cancer Survival Standards (Corazziari, Quinn, Capocaccia,
# Eur J Cancer 2004): weights of ages 15-44, 45-54, 55-64, 65-74, 75+.
ICSS = {
    1: (0.07, 0.12, 0.23, 0.29, 0.29),  # most cancers (incidence rising with age)
    2: (0.28, 0.17, 0.21, 0.20, 0.14),  # broadly constant incidence by age
    3: (0.60, 0.10, 0.10, 0.10, 0.10),  # mainly younger adults
}
ICSS_BREAKS = (15, 45, 55, 65, 75)


class LifeTableError(CohortError):
    """The life table cannot serve the cohort (missing years, sexes, ages, columns)."""


class LifeTableWarning(CohortWarning):
    """Follow-up runs past the life table's last year; its rates are carried forward."""


@dataclass
class LifeTable:
    """Annual hazards by calendar year, sex (male, female) and single year of age."""

    first_year: int
    hazard: np.ndarray  # (years, 2, ages) deaths per person-year
    source: str

    @property
    def last_year(self) -> int:
        return self.first_year + self.hazard.shape[0] - 1

    @property
    def top_age(self) -> int:
        return self.hazard.shape[2] - 1


def load_lifetable(path: str | Path | None = None) -> LifeTable:
    """Read a life table CSV: ``year, sex (male/female), age, annual_hazard``.

    Default: the US 1940-2014 table shipped with cohort (NCHS, as in R's
    ``survexp.us``).
    """
    if path is None:
        src = resources.files("cohort").joinpath("data").joinpath("lifetables")
        text = src.joinpath("us_1940_2014.csv").read_bytes()
        df = pl.read_csv(text)
        name = "US 1940-2014 (NCHS, R survexp.us)"
    else:
        try:
            df = pl.read_csv(path)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise LifeTableError(f"{path}: cannot read the life table: {exc}") from None
        name = str(path)
    missing = {"year", "sex", "age", "annual_hazard"} - set(df.columns)
    if missing:
        raise LifeTableError(
            f"{name}: life table lacks column(s) {', '.join(sorted(missing))}; it needs "
            "year, sex (male/female), age (single years) and annual_hazard"
        )
    sexes = set(df["sex"].unique().to_list())
    if not sexes <= set(SEX_NAMES):
        raise LifeTableError(f"{name}: sex must be 'male' or 'female', found {sorted(sexes)}")
    years = sorted(df["year"].unique().to_list())
    ages = df["age"].max()
    y0 = years[0]
    if years != list(range(y0, years[-1] + 1)):
        raise LifeTableError(f"{name}: calendar years must be consecutive, found gaps")
    hazard = np.full((len(years), 2, ages + 1), np.nan)
    hazard[df["year"].to_numpy() - y0,
           np.where(df["sex"].to_numpy() == "male", 0, 1),
           df["age"].to_numpy()] = df["annual_hazard"].to_numpy()
    return LifeTable(y0, hazard, name)


def _cumulative(table: LifeTable, age0, year0, sex, steps: int, *, label: str,
                carried: list[int]):
    """Expected cumulative hazard at every half-month 0..steps for each key.

    Calendar years past the table's last year use its last year; the latest
    such year is appended to ``carried`` (one warning per analysis, by the caller).
    """
    s = np.arange(steps)
    age = age0[:, None] + s[None, :] / 24 + 1 / 48  # middle of each half-month
    year = year0[:, None] + s[None, :] / 24 + 1 / 48
    yi = np.floor(year).astype(int) - table.first_year
    if (yi < 0).any():
        raise LifeTableError(
            f"{label}: the life table ({table.source}) starts in {table.first_year}; cases "
            f"diagnosed from {table.first_year + int(yi.min())} need earlier years"
        )
    if (yi > table.hazard.shape[0] - 1).any():
        carried.append(table.first_year + int(yi.max()))
        yi = np.minimum(yi, table.hazard.shape[0] - 1)
    ai = np.minimum(np.floor(age).astype(int), table.top_age)
    h = table.hazard[yi, sex[:, None], ai] / 24
    if np.isnan(h).any():
        raise LifeTableError(f"{label}: the life table has no rate for some age/sex/year the "
                             "cohort needs")
    return np.concatenate([np.zeros((len(age0), 1)), np.cumsum(h, axis=1)], axis=1)


def check_matchable(counts: pl.DataFrame, label: str) -> None:
    """Refuse rows the life table cannot serve: sex other than 1/2, no age or year."""
    bad_sex = counts.filter(~pl.col("sex").is_in(list(SEXES)))
    if bad_sex.height:
        codes = ", ".join(sorted(set(bad_sex["sex"].cast(pl.Utf8).to_list())))
        raise LifeTableError(
            f"{label}: sex code(s) {codes} ({int(bad_sex['n'].sum()):,} cases) cannot be "
            "matched to the life table (male/female); restrict the cohort with "
            "sex in ('1', '2') or supply a table for them"
        )
    missing = counts.filter(pl.col("dx_year").is_null() | pl.col("age_at_dx").is_null())
    if missing.height:
        raise LifeTableError(
            f"{label}: {int(missing['n'].sum()):,} cases have no year of diagnosis or age; "
            "the life table needs both. Restrict the cohort (dx_year is not null and "
            "age_at_dx is not null) or correct the records"
        )


@dataclass
class Grid:
    """Collapsed rows placed on the half-month grid, with their expected hazards.

    ``key``: index of each row's (age_at_dx, sex, dx_year) in ``keys``;
    ``lam``: (keys, steps + 1) expected cumulative hazard from diagnosis;
    ``exit_h`` / ``entry_h``: half-month index of leaving and of entering
    (-1 without left truncation); a row is at risk at half-month g when
    ``entry_h < g <= exit_h``.
    """

    keys: pl.DataFrame
    key: np.ndarray
    lam: np.ndarray
    exit_h: np.ndarray
    entry_h: np.ndarray
    dead: np.ndarray
    n: np.ndarray
    steps: int


def to_grid(counts: pl.DataFrame, *, table: LifeTable, steps: int, time: str = "time",
            entry: str | None = None, label: str = "cohort",
            carried: list[int] | None = None) -> Grid:
    """Place collapsed rows (age_at_dx, sex, dx_year, time, event, n[, entry]) on the
    half-month grid: ``time`` is the exit time in months, taken as given."""
    check_matchable(counts, label)
    half = 2 * counts[time].cast(pl.Float64)
    off_grid = counts.filter((half - half.round()).abs() > 1e-9)
    if off_grid.height:
        raise CohortError(
            f"{label}: relative survival needs exit times in whole or half months, got "
            f"{off_grid[time][0]!r}; collapse with convention 'completed' or 'exact'"
        )
    keys = counts.select("age_at_dx", "sex", "dx_year").unique(maintain_order=True)
    key = counts.select("age_at_dx", "sex", "dx_year").join(
        keys.with_row_index("__key"), on=["age_at_dx", "sex", "dx_year"], how="left",
        maintain_order="left")["__key"].to_numpy()
    exit_h = np.round(2 * counts[time].to_numpy().astype(float)).astype(np.int64)
    if entry is None:
        entry_h = np.full(counts.height, -1, dtype=np.int64)
    else:
        entry_h = np.round(2 * counts[entry].to_numpy().astype(float)).astype(np.int64)
        bad = exit_h <= entry_h
        if bad.any():
            raise CohortError(
                f"{label}: {int(counts['n'].to_numpy()[bad].sum()):,} cases leave at or "
                f"before they enter ({time} <= {entry}); a record is at risk only while "
                f"{entry} < t <= {time}"
            )
    beyond: list[int] = []
    lam = _cumulative(
        table,
        keys["age_at_dx"].to_numpy().astype(float) + 0.5,
        keys["dx_year"].to_numpy().astype(float) + 0.5,
        np.array([SEXES[s] for s in keys["sex"].to_list()]),
        steps,
        label=label,
        carried=beyond,
    )
    if beyond and carried is not None:  # the latest year the records reach, not the grid
        reach = counts["dx_year"].to_numpy() + 0.5 + np.minimum(exit_h, steps) / 24
        if reach.max() >= table.last_year + 1:
            carried.append(int(np.floor(reach.max())))
    return Grid(keys, key, lam, exit_h, entry_h, counts["event"].to_numpy().astype(bool),
                counts["n"].to_numpy().astype(float), steps)


def grid_sum(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray,
             shape: tuple[int, int]) -> np.ndarray:
    """``out[rows, cols] += weights`` (a bincount: ``np.add.at`` is ten times slower)."""
    flat = np.bincount(rows * shape[1] + cols, weights=weights, minlength=shape[0] * shape[1])
    return flat.reshape(shape)


@dataclass
class NetSums:
    """Per group, at every half-month g: the (weighted) jumps, their variance, the
    population part over (g, g + 1], the unweighted number at risk and the number
    leaving (dying or censored) at g."""

    obs: np.ndarray  # (groups, steps + 1)
    var: np.ndarray
    pop: np.ndarray
    n_risk: np.ndarray
    exits: np.ndarray

    def estimate(self, g: int, since: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Net survival over (``since``, ``g``] in half-months (-1: from the start,
        deaths at time 0 included) and the SE of its log.

        As relsurv's ``rs.surv`` (2.2): the product over the exit times of one minus
        the excess hazard increment, the population part summed from the previous
        exit time, and the evaluation time ``g`` closing the last step (relsurv's
        ``add.times``).
        """
        lo = since + 1
        est = np.ones(self.obs.shape[0])
        # population hazard over (h - 1, h] for h in (since, g]; none before time 0
        for i in range(self.obs.shape[0]):
            pop = np.concatenate([[0.0], self.pop[i, :g]])[lo:g + 1]
            ends = np.flatnonzero(self.exits[i, lo:g + 1] > 0)
            ends = np.append(ends[ends < g - lo], g - lo)
            starts = np.concatenate([[0], ends[:-1] + 1])
            incr = self.obs[i, lo + ends] - np.add.reduceat(pop, starts)
            est[i] = np.prod(1 - incr)
        return est, np.sqrt(self.var[:, lo: g + 1].sum(axis=1))


def net_sums(grid: Grid, group: np.ndarray, n_groups: int, *, method: str) -> NetSums:
    """Pohar Perme (weights ``1 / S*_i(t)``) or Ederer II (weights 1) sums per group.

    Rows are at risk while ``entry < t <= exit`` (left truncation for period and
    conditional estimates); the weights are expected survival from diagnosis.
    """
    if method not in ("pohar-perme", "ederer2"):
        raise CohortError(f"method must be pohar-perme or ederer2, got {method!r}")
    H = grid.steps
    K = len(grid.keys)
    code = group.astype(np.int64) * K + grid.key
    cells, row_cell = np.unique(code, return_inverse=True)
    cell_group, cell_key = cells // K, cells % K
    C = len(cells)
    # at risk at g: entry_h < g <= exit_h (exits past the grid stay at risk to its end)
    diff = grid_sum(row_cell, np.clip(grid.entry_h + 1, 0, H + 1), grid.n, (C, H + 2)) \
        - grid_sum(row_cell, np.minimum(grid.exit_h, H) + 1, grid.n, (C, H + 2))
    present = diff.cumsum(axis=1)[:, : H + 1]
    d = grid.dead & (grid.exit_h <= H)
    deaths = grid_sum(row_cell[d], grid.exit_h[d], grid.n[d], (C, H + 1))
    lam = grid.lam[cell_key, : H + 1]
    w = np.exp(lam) if method == "pohar-perme" else np.ones_like(lam)
    # present at g + 1 is at risk over (g, g + 1]
    after = np.concatenate([present[:, 1:], np.zeros((C, 1))], axis=1)
    dlam = np.concatenate([np.diff(lam, axis=1), np.zeros((C, 1))], axis=1)
    starts = np.flatnonzero(np.r_[True, cell_group[1:] != cell_group[:-1]])
    present_groups = cell_group[starts]

    def by_group(a):
        out = np.zeros((n_groups, H + 1))
        out[present_groups] = np.add.reduceat(a, starts, axis=0)
        return out

    num, den = by_group(deaths * w), by_group(present * w)
    var_num = by_group(deaths * w * w)
    # the weighted mean population hazard over (g, g + 1], its weights taken at both
    # ends (trapezoid): Pohar Perme weights grow within the step, as relsurv's do daily
    w_end = np.concatenate([w[:, 1:], w[:, -1:]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        obs = np.where(den > 0, num / den, 0.0)
        var = np.where(den > 0, var_num / den**2, 0.0)
        pop = np.zeros_like(obs)
        for ww in (w, w_end):
            e_num, e_den = by_group(after * ww * dlam), by_group(after * ww)
            pop += np.where(e_den > 0, e_num / e_den, 0.0) / 2
    inside = grid.exit_h <= H
    leave = grid_sum(row_cell[inside], grid.exit_h[inside], grid.n[inside], (C, H + 1))
    return NetSums(obs, var, pop, by_group(present), by_group(leave))


def net_survival_table(
    counts: pl.DataFrame,
    times,
    *,
    table: LifeTable,
    method: str = "pohar-perme",
    label: str = "cohort",
    carried: list[int] | None = None,
    entry: str | None = None,
    given: float = 0.0,
) -> pl.DataFrame:
    """Net (or relative) survival at ``times`` (months) for one group.

    ``counts``: age_at_dx, sex (NAACCR code), dx_year, time (the exit time in
    months, as collapsed: ``surv_months + 0.5`` for completed months), event, n,
    and the entry time in column ``entry`` for left-truncated (period) data.
    ``given``: conditional net survival from ``given`` months on (the ratio
    S(t) / S(given), with the variance of the jumps after ``given``).
    """
    if method not in ("pohar-perme", "ederer2"):
        raise CohortError(f"method must be pohar-perme or ederer2, got {method!r}")
    counts = counts.filter(pl.col("n") > 0)  # zero-count rows are neutral
    if counts.is_empty():
        raise CohortError(f"{label}: no cases to estimate net survival from")
    steps = int(round(2 * max(times))) + 2  # half-months needed; later exits are clipped
    grid = to_grid(counts, table=table, steps=steps, entry=entry, label=label,
                   carried=carried)
    sums = net_sums(grid, np.zeros(counts.height, dtype=np.int64), 1, method=method)
    s = int(round(2 * given))
    # expected survival, Ederer I: everyone followed to t (conditional: everyone
    # still under observation after ``given``, from ``given`` on)
    total = np.zeros(len(grid.keys))
    alive = grid.exit_h > s if s > 0 else np.ones(len(grid.key), dtype=bool)
    np.add.at(total, grid.key[alive], grid.n[alive])
    rows = []
    for t in times:
        g = int(round(2 * t))
        est, se_h = (float(x[0]) for x in sums.estimate(g, s if s > 0 else -1))
        expected = float((total * np.exp(-(grid.lam[:, g] - grid.lam[:, s]))).sum()
                         / max(total.sum(), 1e-300))
        rows.append({
            "time": float(t), "n_risk": int(round(sums.n_risk[0, g])),
            "net_survival": est, "se": est * se_h, "lower": est * np.exp(-Z95 * se_h),
            "upper": est * np.exp(Z95 * se_h), "expected": expected,
        })
    return pl.DataFrame(rows)


def age_standardise(by_age: pl.DataFrame, *, standard: int = 1) -> pl.DataFrame:
    """ICSS age-standardised estimate from per-age-group estimates.

    ``by_age``: age_group (0-4 for 15-44 ... 75+), time, net_survival, se.
    Groups missing at some time make the standardised value null there.
    """
    weights = ICSS[standard]
    rows = []
    for t, part in by_age.group_by("time", maintain_order=True):
        d = dict(zip(part["age_group"].to_list(), part.iter_rows(named=True), strict=True))
        if set(d) != set(range(5)):
            rows.append({"time": t[0], "net_survival": None, "se": None, "lower": None,
                         "upper": None})
            continue
        est = sum(weights[a] * d[a]["net_survival"] for a in range(5))
        se = float(np.sqrt(sum((weights[a] * d[a]["se"]) ** 2 for a in range(5))))
        rows.append({"time": t[0], "net_survival": est, "se": se, "lower": est - Z95 * se,
                     "upper": est + Z95 * se})
    return pl.DataFrame(rows, schema_overrides={"net_survival": pl.Float64, "se": pl.Float64,
                                                 "lower": pl.Float64, "upper": pl.Float64})


def icss_group() -> pl.Expr:
    """ICSS age group index (0: 15-44, 1: 45-54, 2: 55-64, 3: 65-74, 4: 75+)."""
    a = pl.col("age_at_dx")
    return (pl.when(a < 45).then(0).when(a < 55).then(1).when(a < 65).then(2)
            .when(a < 75).then(3).otherwise(4)).alias("age_group")


def _site(cohort, by: str | None) -> str | None:
    """The cohort's one site group when grouped by node burden (its labels are
    site-specific: breast N2 is 4-9 nodes)."""
    if by != "node_burden":
        return None
    from cohort.grouping import single_site

    return single_site(cohort)


@dataclass(repr=False)  # repr from Displayed
class NetSurvivalResult(Displayed):
    """Net (or relative) survival per group with observed and expected survival.

    Attributes are exact (counts unsuppressed); ``tables()`` is for release.
    """

    cohort: str
    by: str | None
    method: str
    lifetable: str
    estimates_: pl.DataFrame
    standardised_: pl.DataFrame | None = None
    note: str = ""
    convention: str = "completed"
    times: tuple = ()
    # every group's estimate at each whole month to the last time (what .plot() draws)
    curves_: pl.DataFrame | None = None
    sizes_: dict | None = None  # records per group
    given: float = 0.0  # conditional on survival to this many months
    site: str | None = None  # the cohort's one site group (node-burden labels)

    def notes(self) -> list[str]:
        return [self.note]

    def group_sizes(self) -> dict[str, int]:
        """Records per group."""
        return dict(self.sizes_ or {})

    def at_risk(self, times, *, suppress_below: int = 11) -> pl.DataFrame:
        """Records at risk at each time (on the monthly grid of ``curves_``), per group."""
        from cohort.disclosure import suppress

        table = self.curves_ if self.curves_ is not None else self.estimates_
        wanted = [float(t) for t in times]
        out = table.filter(pl.col("time").is_in(wanted)).select("group", "time", "n_risk")
        missing = sorted(set(wanted) - set(out["time"].to_list()))
        if missing:
            at = ", ".join(f"{t:g}" for t in missing)
            raise ValueError(f"numbers at risk are known at whole months up to "
                             f"{table['time'].max():g}; not at {at}")
        return suppress(out, ["n_risk"], threshold=suppress_below)

    def plot(self, **options):
        """Net (or relative) survival curves with numbers at risk: a matplotlib
        ``Figure`` (options: :func:`cohort.plot.net_survival`)."""
        from cohort.plot import net_survival

        return net_survival(self, **options)

    def _display(self):
        name = "Net survival (Pohar Perme)" if self.method == "pohar-perme" else \
            "Relative survival (Ederer II)"
        title = name + (f" by {self.by}" if self.by else "")
        from cohort.labels import decode_groups

        tables = decode_groups(self.tables(), self.by, site=self.site)
        return title, [f"cohort: {self.cohort}", f"life table: {self.lifetable}"], {
            "": tables["net_survival"], "age standardised": tables.get("age_standardised")}

    def tables(self, *, suppress_below: int = 11) -> dict[str, pl.DataFrame]:
        from cohort.disclosure import suppress

        out = {"net_survival": suppress(self.estimates_, ["n_risk"], threshold=suppress_below)}
        if self.standardised_ is not None:
            out["age_standardised"] = self.standardised_
        return out


def net_survival_analysis(
    cohort,
    *,
    by: str | None = "node_burden",
    times=(12, 36, 60),
    method: str = "pohar-perme",
    lifetable: str | Path | LifeTable | None = None,
    standardise: int | None = None,
    given: float = 0,
    entry: str | None = None,
    convention: str = "completed",
) -> NetSurvivalResult:
    """Net survival (Pohar Perme) or relative survival (Ederer II) by group.

    Parameters
    ----------
    by
        Grouping column (None for the whole cohort).
    times
        Months (12, 36, 60 = 1, 3, 5 years).
    method
        ``pohar-perme`` (net survival) or ``ederer2`` (relative survival).
    lifetable
        A CSV with year, sex, age, annual_hazard (or a loaded table); default
        the US 1940-2014 table.
    standardise
        ICSS standard 1, 2 or 3 for age-standardised estimates (ages 15+).
    given
        Conditional survival: to each time given survival to ``given`` months.
    entry
        A column of delayed entry (months since diagnosis) for left-truncated
        data; a period cohort brings its own.
    convention
        ``completed`` (default: exits at ``surv_months + 0.5``) or ``exact``
        (``surv_months``); the observed column is the Kaplan-Meier on the same times.

    A period cohort (:meth:`cohort.cohort.Cohort.period`) gives period
    estimates: left-truncated at the window's start.
    """
    from cohort.cohort import convention_note
    from cohort.survival.km import fit_km, natural_levels
    from cohort.survival.period import collapse_exits, condition

    table = lifetable if isinstance(lifetable, LifeTable) else load_lifetable(lifetable)
    cols = [c for c in [by] if c] + ["age_at_dx", "sex", "dx_year"]
    from cohort.survival.period import capped

    col = collapse_exits(capped(cohort, max(times)), cols, event="event", entry=entry,
                         convention=convention)
    counts = col.counts.filter(pl.col("n") > 0)
    window = getattr(cohort, "window", None)
    if window is None and not given:
        cohort.require_records(counts)
    entry = "entry" if "entry" in counts.columns else None
    if given:
        counts, entry = condition(counts, given, entry=entry)
        times = [t for t in times if t > given]
    check_matchable(counts, "the cohort")
    if counts.is_empty():
        raise CohortError(
            "the cohort has no eligible cases with known survival time"
            + (f" followed inside the period {window}" if window is not None else "")
            + (f" under observation at {given:g} months" if given else "")
            + "; widen the cohort" + (" or move the window" if window is not None else ""))
    times = tuple(times)
    # the estimate at every whole month as well (after ``given``), for the curve
    # .plot() draws
    end = int(np.ceil(max(times, default=0)))
    grid = sorted(set(times) | {float(m) for m in range(0, end + 1) if m > given or not given})
    carried: list[int] = []
    groups = (col.levels.get(by) or natural_levels(counts[by])) if by else [None]
    rows, std_rows, curves, sizes = [], [], [], {}
    for g in groups:
        part = counts if g is None else counts.filter(pl.col(by).cast(pl.Utf8) == g)
        if part.is_empty():
            continue
        label = f"{by}={g}" if g is not None else "cohort"
        sizes[g if g is not None else "all"] = int(part["n"].sum())
        on_grid = net_survival_table(part, grid, table=table, method=method, label=label,
                                     carried=carried, entry=entry, given=given)
        curves.append(on_grid.with_columns(pl.lit(g if g is not None else "all")
                                           .alias("group")))
        est = pl.DataFrame({"time": [float(t) for t in times]}).join(
            on_grid, on="time", how="left", maintain_order="left").select(on_grid.columns)
        rows.append(est.with_columns(pl.lit(g if g is not None else "all").alias("group"),
                                     _observed(fit_km, part, times, entry, given)))
        if standardise:
            per_age = []
            aged = part.with_columns(icss_group()).filter(pl.col("age_at_dx") >= ICSS_BREAKS[0])
            for a, sub in aged.group_by("age_group"):
                e = net_survival_table(sub.drop("age_group"), times, table=table,
                                       method=method, label=f"{label}, ICSS group {a[0]}",
                                       carried=carried, entry=entry, given=given)
                per_age.append(e.with_columns(pl.lit(a[0]).alias("age_group")))
            s = age_standardise(pl.concat(per_age).sort("age_group", "time"),
                                standard=standardise)
            std_rows.append(s.with_columns(pl.lit(g if g is not None else "all").alias("group")))
    if carried:
        warnings.warn(
            f"follow-up reaches {max(carried)}, past the life table's last year "
            f"{table.last_year}; its {table.last_year} rates are carried forward",
            LifeTableWarning, stacklevel=3,
        )
    estimates = pl.concat(rows).select(
        "group", "time", "n_risk", "observed", "expected", "net_survival", "se", "lower",
        "upper")
    std = pl.concat(std_rows).select("group", "time", "net_survival", "se", "lower", "upper") \
        if std_rows else None
    name = "net survival (Pohar Perme)" if method == "pohar-perme" else \
        "relative survival (Ederer II)"
    return NetSurvivalResult(
        cohort=cohort.definition, by=by, method=method, lifetable=table.source,
        estimates_=estimates, standardised_=std, convention=col.convention, times=times,
        given=float(given), site=_site(cohort, by),
        curves_=pl.concat(curves).select("group", "time", "n_risk", "net_survival", "se",
                                         "lower", "upper", "expected"), sizes_=sizes,
        note=f"{name}; life table {table.source}; {convention_note(col.convention)}; "
             "95% CI log scale; observed = Kaplan-Meier on the same times, expected = Ederer I"
             + (f"; period analysis {window} (left-truncated)" if window else "")
             + (f"; conditional on survival to {given:g} months" if given else ""),
    )


def _observed(fit_km, part: pl.DataFrame, times, entry: str | None, given: float) -> pl.Series:
    """Kaplan-Meier at ``times`` on the same exits (and entries) as the net survival."""
    keys = ["time", "event", *([entry] if entry else [])]
    km = fit_km(part.group_by(keys).agg(pl.col("n").sum()), by=None, event="event",
                **({"entry": entry} if entry else {}))
    return km.estimates(times)["survival"].alias("observed")
