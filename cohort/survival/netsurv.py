"""Relative and net survival with population life tables.

Net survival is the survival a cohort would have if cancer were the only
cause of death: observed deaths are compared with the deaths expected from
general-population mortality matched on sex, attained age and calendar
year, followed through the follow-up. Two estimators, as R's ``relsurv``
(``rs.surv``):

- **Pohar Perme**: the excess cumulative hazard with every person weighted by
  the inverse of their expected survival, ``w_i(t) = 1 / S*_i(t)``:
  ``dL_E(t) = sum w dN / sum w Y - sum w Y dL* / sum w Y``; consistent for net
  survival. Variance ``sum w^2 dN / (sum w Y)^2``.
- **Ederer II**: the same with ``w = 1`` (relative survival).

As in relsurv, the estimate is the product over the observed (weighted)
jumps times the exponential of the population part,
``prod(1 - dN_w/Y_w) * exp(int Y_w dL* / Y_w)``, with a 95% CI on the log
scale (R's default); expected survival is Ederer I (everyone followed to t).

Each record leaves (dies or is censored) at its collapsed ``time``, taken as
given, on a half-month grid: with the default completed-months convention
that is the middle of its last month, ``surv_months + 0.5``, and with the
exact convention ``surv_months`` (:meth:`cohort.Cohort.collapse`), so the
observed column is the Kaplan-Meier on the same times. Expected hazards are
integrated over half-month steps, with age at diagnosis taken as
``age_at_dx + 0.5`` (completed years) and the date of diagnosis as the
middle of ``dx_year``. Collapsing to (age, sex, year of diagnosis, time,
event, count) first makes a million cases a few thousand rows; rows with a
count of 0 are left out (they change nothing).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

from cohort.errors import CohortError, CohortWarning

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


def net_survival_table(
    counts: pl.DataFrame,
    times,
    *,
    table: LifeTable,
    method: str = "pohar-perme",
    label: str = "cohort",
    carried: list[int] | None = None,
) -> pl.DataFrame:
    """Net (or relative) survival at ``times`` (months) for one group.

    ``counts``: age_at_dx, sex (NAACCR code), dx_year, time (months, the exit
    time as given: whole or half months), event, n.
    """
    if method not in ("pohar-perme", "ederer2"):
        raise CohortError(f"method must be pohar-perme or ederer2, got {method!r}")
    counts = counts.filter(pl.col("n") > 0)  # zero-count rows are neutral
    if counts.is_empty():
        raise CohortError(f"{label}: no cases to estimate net survival from")
    half = 2 * counts["time"].cast(pl.Float64)
    off_grid = counts.filter((half - half.round()).abs() > 1e-9)
    if off_grid.height:
        raise CohortError(
            f"{label}: net survival needs exit times in whole or half months, got "
            f"{off_grid['time'][0]!r}; collapse with convention 'completed' or 'exact'"
        )
    bad_sex = counts.filter(~pl.col("sex").is_in(list(SEXES)))
    if bad_sex.height:
        codes = ", ".join(sorted(set(bad_sex["sex"].cast(pl.Utf8).to_list())))
        raise LifeTableError(
            f"{label}: sex code(s) {codes} ({int(bad_sex['n'].sum()):,} cases) cannot be "
            "matched to the life table (male/female); restrict the cohort with "
            "sex in ('1', '2') or supply a table for them"
        )
    keys = counts.select("age_at_dx", "sex", "dx_year").unique(maintain_order=True)
    key_index = keys.with_row_index("key")
    c = counts.join(key_index, on=["age_at_dx", "sex", "dx_year"], how="left")
    k = c["key"].to_numpy()
    n = c["n"].to_numpy().astype(float)
    exit_h = np.round(2 * c["time"].to_numpy().astype(float)).astype(np.int64)  # half-months
    dead = c["event"].to_numpy().astype(bool)
    steps = int(round(2 * max(times))) + 2  # half-months needed; later exits are clipped
    lam = _cumulative(
        table,
        keys["age_at_dx"].to_numpy().astype(float) + 0.5,
        keys["dx_year"].to_numpy().astype(float) + 0.5,
        np.array([SEXES[s] for s in keys["sex"].to_list()]),
        steps,
        label=label,
        carried=carried if carried is not None else [],
    )  # (K, steps + 1)
    K = len(keys)
    # leaving and dying per key and half-month; at risk = still present
    leave = np.zeros((K, steps + 1))
    np.add.at(leave, (k, np.minimum(exit_h, steps)), n)
    deaths = np.zeros((K, steps + 1))
    np.add.at(deaths, (k[dead], np.minimum(exit_h[dead], steps)), n[dead])
    present = leave[:, ::-1].cumsum(axis=1)[:, ::-1]  # exit index >= g
    w = np.exp(lam) if method == "pohar-perme" else np.ones_like(lam)
    # events at half-month g: at risk are those with exit index >= g
    num = (deaths * w).sum(axis=0)
    den = (present * w).sum(axis=0)
    var_num = (deaths * w * w).sum(axis=0)
    # population hazard over (g, g+1]: present after g means exit index > g
    after = np.concatenate([present[:, 1:], np.zeros((K, 1))], axis=1)
    dlam = np.diff(lam, axis=1)
    exp_num = (after[:, :-1] * w[:, :-1] * dlam).sum(axis=0)
    exp_den = (after[:, :-1] * w[:, :-1]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        obs = np.where(den > 0, num / den, 0.0)
        var = np.where(den > 0, var_num / den**2, 0.0)
        pop = np.where(exp_den > 0, exp_num / exp_den, 0.0)
    # expected survival, Ederer I: everyone followed to t
    total = np.zeros(K)
    np.add.at(total, k, n)
    rows = []
    for t in times:
        g = int(round(2 * t))
        se_h = float(np.sqrt(var[: g + 1].sum()))
        # product over the observed jumps, as relsurv's rs.surv, times exp(+population part)
        est = float(np.prod(1 - obs[: g + 1]) * np.exp(pop[:g].sum()))
        expected = float((total * np.exp(-lam[:, g])).sum() / total.sum())
        rows.append({
            "time": float(t), "n_risk": int(present[:, g].sum()), "net_survival": est,
            "se": est * se_h, "lower": est * np.exp(-Z95 * se_h),
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


@dataclass
class NetSurvivalResult:
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
        tables = self.tables()
        return title, [f"cohort: {self.cohort}", f"life table: {self.lifetable}"], {
            "": tables["net_survival"], "age standardised": tables.get("age_standardised")}

    def __repr__(self) -> str:
        from cohort.survival.display import text_block

        return text_block(*self._display())

    def _repr_html_(self) -> str:
        from cohort.survival.display import html_block

        return html_block(*self._display())

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
    convention
        ``completed`` (default: exits at ``surv_months + 0.5``) or ``exact``
        (``surv_months``); the observed column is the Kaplan-Meier on the same times.
    """
    from cohort.cohort import convention_note
    from cohort.survival.analysis import _collapse
    from cohort.survival.km import fit_km, natural_levels

    table = lifetable if isinstance(lifetable, LifeTable) else load_lifetable(lifetable)
    cols = [c for c in [by] if c] + ["age_at_dx", "sex", "dx_year"]
    col = _collapse(cohort, cols, "event", convention=convention)
    counts = col.counts.filter(pl.col("n") > 0)
    cohort.require_records(counts)
    missing = counts.filter(pl.col("dx_year").is_null() | pl.col("age_at_dx").is_null())
    if missing.height:
        raise LifeTableError(
            f"{int(missing['n'].sum()):,} eligible cases have no year of diagnosis or age; net "
            "survival needs both to match the life table. Restrict the cohort "
            "(dx_year is not null) or correct the records"
        )
    times = tuple(times)
    # the estimate at every whole month as well, for the curve .plot() draws
    grid = sorted(set(times) | set(range(0, int(np.ceil(max(times, default=0))) + 1)))
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
                                     carried=carried)
        curves.append(on_grid.with_columns(pl.lit(g if g is not None else "all")
                                           .alias("group")))
        est = pl.DataFrame({"time": [float(t) for t in times]}).join(
            on_grid, on="time", how="left", maintain_order="left").select(on_grid.columns)
        km = fit_km(part.group_by("time", "event").agg(pl.col("n").sum()), by=None,
                    event="event")
        observed = km.estimates(times)["survival"]
        rows.append(est.with_columns(pl.lit(g if g is not None else "all").alias("group"),
                                     observed.alias("observed")))
        if standardise:
            per_age = []
            aged = part.with_columns(icss_group()).filter(pl.col("age_at_dx") >= ICSS_BREAKS[0])
            for a, sub in aged.group_by("age_group"):
                e = net_survival_table(sub.drop("age_group"), times, table=table,
                                       method=method, label=f"{label}, ICSS group {a[0]}",
                                       carried=carried)
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
        curves_=pl.concat(curves).select("group", "time", "n_risk", "net_survival", "se",
                                         "lower", "upper", "expected"), sizes_=sizes,
        note=f"{name}; life table {table.source}; {convention_note(col.convention)}; "
             "95% CI log scale; observed = Kaplan-Meier on the same times, expected = Ederer I",
    )
