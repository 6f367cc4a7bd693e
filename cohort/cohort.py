"""A cohort: any SQL over ``cases``, and the survival analyses on it.

A cohort is written as a WHERE clause over ``cases``, a full SELECT, or the
name of a ``.sql`` file in ``sql/cohorts/``. Values are bound as
parameters, never pasted. Analyses use the eligible records
(``exclusion_reason is null``); the excluded ones are counted by reason.

Every analysis first collapses the cohort in DuckDB to (time, event,
covariate pattern, count) and fits those few rows with case weights: exact
for Kaplan-Meier and log-rank, within 1e-4 relative for Cox (Efron ties).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from cohort.errors import CohortError, QueryError

if TYPE_CHECKING:
    from cohort.registry import Registry

EVENTS = ("event", "event_cancer")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CohortDefinitionError(CohortError):
    """A cohort definition names an unknown file or column."""


def _quote(name: str) -> str:
    if not _IDENT.match(name):
        raise CohortDefinitionError(f"{name!r} is not a column name")
    return f'"{name}"'


@dataclass
class Collapsed:
    """A collapsed cohort: the counts, and what the query said about them."""

    counts: pl.DataFrame  # time, event, columns..., n (known time and event only)
    unknown: int  # eligible records with unknown time or event
    levels: dict[str, list[str]]  # categorical columns: levels in order
    categorical: set[str]

    def without(self, column: str) -> pl.DataFrame:
        """The counts summed over one column."""
        keys = [c for c in self.counts.columns if c not in (column, "n")]
        return self.counts.group_by(keys, maintain_order=True).agg(pl.col("n").sum())


@dataclass
class Cohort:
    """Records of ``cases`` selected by SQL.

    Parameters
    ----------
    registry
        The registry database.
    definition
        A WHERE clause (``"site_group = 'breast' and dx_year between 2010 and 2017"``),
        a full SELECT over ``cases``, or the name of a file in ``sql/cohorts/``.
    params
        Values for ``?`` or ``$name`` placeholders in the definition.

    Examples
    --------
    >>> import cohort, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> reg = cohort.Registry(tmp / "r.duckdb")
    >>> _ = reg.load(cohort.synth.write(tmp / "x.csv", n=3000, seed=4))
    >>> breast = reg.cohort("site_group = ? and dx_year >= ?", params=["breast", 2010])
    >>> breast.size > 0, breast.total == breast.size + breast.excluded["records"].sum()
    (True, True)
    """

    registry: Registry
    definition: str
    params: list | dict | None = None
    name: str | None = None
    sql: str = field(init=False)

    def __post_init__(self):
        text = self.definition.strip().rstrip(";")
        if _IDENT.match(text) and text.lower() not in {"true", "false"}:
            self.name = self.name or text
            text = _named_cohort(text)
        code = re.sub(r"(?m)^\s*--.*$", "", text).strip()  # comments do not decide
        if re.match(r"(?is)^(select|with)\b", code):
            self.sql = text
        else:
            self.sql = f"select * from cases where ({text})"
        self._counts = None

    # -- size and exclusions ---------------------------------------------------
    def _count_by_reason(self) -> pl.DataFrame:
        if self._counts is None:
            self._counts = self.registry.sql(
                f"select exclusion_reason as reason, count(*) as records from ({self.sql}) "
                "group by all order by min(exclusion_step) nulls first",
                self.params,
            )
        return self._counts

    @property
    def total(self) -> int:
        """Records matching the definition, before exclusions."""
        return int(self._count_by_reason()["records"].sum())

    @property
    def size(self) -> int:
        """Eligible records (``exclusion_reason is null``)."""
        df = self._count_by_reason().filter(pl.col("reason").is_null())
        return int(df["records"].sum())

    @property
    def excluded(self) -> pl.DataFrame:
        """Excluded records by reason, in the order the exclusions apply."""
        return self._count_by_reason().filter(pl.col("reason").is_not_null())

    def __repr__(self) -> str:
        return f"Cohort({self.definition!r}: {self.size:,} eligible of {self.total:,})"

    # -- collapsing --------------------------------------------------------------
    def collapse(
        self,
        columns: list[str] | tuple[str, ...] = (),
        *,
        event: str = "event",
        time: str = "surv_months",
    ) -> Collapsed:
        """The cohort's sufficient statistics, in one query: (time, event,
        columns..., n) over eligible records; text and ENUM columns are
        categorical, with their levels in the ENUM's (clinical) order or
        sorted.

        Records with an unknown time or event are counted, not fitted.
        """
        if event not in EVENTS and event != "cause":
            raise CohortDefinitionError(
                f"event must be one of {', '.join(EVENTS)} (or cause), got {event!r}"
            )
        columns = list(dict.fromkeys(columns))
        cols = [_quote(c) for c in columns]
        keys = ", ".join([f"{_quote(time)} as time", f"{_quote(event)} as event", *cols])
        order = ", ".join([*cols, "time", "event"])
        df = self.registry.sql(
            f"select {keys}, count(*) as n from ({self.sql}) where exclusion_reason is null "
            f"group by all order by {order} nulls last",
            self.params,
        )
        known = pl.col("time").is_not_null() & pl.col("event").is_not_null()
        unknown = int(df.filter(~known)["n"].sum())
        df = df.filter(known)
        levels, categorical = {}, set()
        types = self._types(columns)
        for c in columns:
            kind = types[c]
            if kind.startswith("ENUM") or kind in ("VARCHAR", "BOOLEAN"):
                categorical.add(c)
                df = df.with_columns(pl.col(c).cast(pl.Utf8))
                present = set(df[c].drop_nulls().to_list())
                if kind.startswith("ENUM"):  # clinical order, as declared in sql/schema
                    order = self.registry.sql(f"select enum_range(null::{kind}) as r")["r"][0]
                    levels[c] = [str(v) for v in order if str(v) in present]
                else:
                    levels[c] = sorted(present)
        return Collapsed(df, unknown, levels, categorical)

    def _types(self, columns: list[str]) -> dict[str, str]:
        """DuckDB types of columns of the cohort (binding only, no scan)."""
        if not columns:
            return {}
        cols = ", ".join(_quote(c) for c in columns)
        desc = self.registry.sql(f"describe select {cols} from ({self.sql})", self.params)
        return dict(zip(desc["column_name"], desc["column_type"], strict=True))

    # -- analyses ------------------------------------------------------------------
    def km(self, by: str | None = "node_burden", **kwargs):
        """Kaplan-Meier by group, log-rank tests, medians, RMST: see
        :func:`cohort.survival.analysis.km_analysis`."""
        from cohort.survival.analysis import km_analysis

        return km_analysis(self, by=by, **kwargs)

    def cox(self, terms, **kwargs):
        """Cox models (univariable and adjusted): see
        :func:`cohort.survival.analysis.cox_analysis`."""
        from cohort.survival.analysis import cox_analysis

        return cox_analysis(self, terms, **kwargs)

    def net_survival(self, by: str | None = "node_burden", **kwargs):
        """Net (Pohar Perme) or relative (Ederer II) survival with life tables:
        see :func:`cohort.survival.netsurv.net_survival_analysis`."""
        from cohort.survival.netsurv import net_survival_analysis

        return net_survival_analysis(self, by=by, **kwargs)

    def cif(self, by: str | None = "node_burden", **kwargs):
        """Cumulative incidence of cancer and other-cause death: see
        :func:`cohort.survival.analysis.cif_analysis`."""
        from cohort.survival.analysis import cif_analysis

        return cif_analysis(self, by=by, **kwargs)

    def finegray(self, terms, *, cause: str = "cancer", strata=None, **kwargs):
        """Fine-Gray subdistribution hazard ratios (univariable and adjusted),
        exact as ``cmprsk::crr``: see
        :func:`cohort.survival.subdistribution.finegray_analysis`."""
        from cohort.survival.subdistribution import finegray_analysis

        return finegray_analysis(self, terms, cause=cause, strata=strata, **kwargs)

    def competing_hazards(self, terms, *, strata=None, **kwargs):
        """Cause-specific and subdistribution hazard ratios for both causes, side
        by side: see :func:`cohort.survival.subdistribution.competing_hazards_analysis`."""
        from cohort.survival.subdistribution import competing_hazards_analysis

        return competing_hazards_analysis(self, terms, strata=strata, **kwargs)


def _named_cohort(name: str) -> str:
    from cohort.registry import sql_files

    files = {f.stem: f for f in sql_files("cohorts")}
    if name not in files:
        known = ", ".join(sorted(files)) or "none"
        raise CohortDefinitionError(
            f"no named cohort {name!r} in sql/cohorts (known: {known}); give a WHERE "
            "clause, a SELECT, or one of the names"
        )
    return files[name].read_text("utf-8").strip().rstrip(";")


__all__ = ["Cohort", "CohortDefinitionError", "QueryError"]
