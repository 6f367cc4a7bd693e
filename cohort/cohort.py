"""A cohort: any SQL over ``cases``, and the survival analyses on it.

A cohort is written as a WHERE clause over ``cases``, a full SELECT, or the
name of a ``.sql`` file in ``sql/cohorts/``. Values are bound as
parameters, never pasted. Analyses use the eligible records
(``exclusion_reason is null``); the excluded ones are counted by reason.

Every analysis first collapses the cohort in DuckDB to (time, event,
covariate pattern, count) and fits those few rows as frequency counts. Every
estimator is exact on them: Kaplan-Meier, log-rank, Aalen-Johansen and the
Cox fit give what the records themselves give (Cox: coefficients and standard
errors equal the record-level fit within 1e-12 relative; measured 5e-15).

Follow-up convention (docs/methods.md, "Conventions"): registry survival
months are completed months, so by default a record with ``surv_months = m``
leaves at ``m + 0.5`` (``convention="completed"``); ``convention="exact"``
takes ``surv_months`` as the exit time, as R does on raw months. The
estimators take the collapsed ``time`` as given.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from cohort.errors import CohortError, QueryError

if TYPE_CHECKING:
    from cohort.registry import Registry

EVENTS = ("event", "event_cancer")
CONVENTIONS = ("completed", "exact")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CohortDefinitionError(CohortError):
    """A cohort definition names an unknown file or column."""


def _quote(name: str) -> str:
    if not _IDENT.match(name):
        raise CohortDefinitionError(f"{name!r} is not a column name")
    return f'"{name}"'


class EmptyCohortError(CohortError):
    """The cohort has no eligible records with a known survival time and event."""


def convention_note(convention: str) -> str:
    """One line saying which follow-up convention the times use."""
    if convention == "completed":
        return ("follow-up in completed months: a record with surv_months = m leaves at "
                "m + 0.5 (S(12) counts deaths in months 0-11)")
    return ("follow-up on exact times: a record with surv_months = m leaves at m "
            "(as R on raw months)")


@dataclass
class Collapsed:
    """A collapsed cohort: the counts, and what the query said about them."""

    counts: pl.DataFrame  # time, event, columns..., [entry,] n (known time and event only)
    unknown: int  # eligible records with unknown time or event
    levels: dict[str, list[str]]  # categorical columns: levels in order
    categorical: set[str]
    convention: str = "completed"
    entry: str | None = None  # the column the entry times came from
    site: str | None = None  # the one site group of the cohort, when checked (node labels)

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
    entry: str | None = field(default=None, init=False)  # entry-time column (period cohorts)
    window: object = field(default=None, init=False)  # the period window, if any

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

    @contextmanager
    def _connected(self) -> Iterator[Cohort]:
        """This cohort on one read-only connection for the length of an
        analysis: the database is opened once, not once per query."""
        if not hasattr(self.registry, "session"):  # already on a Session
            yield self
            return
        with self.registry.session() as session:
            on = copy.copy(self)  # every attribute (a period cohort's entry, window, ...)
            on.registry = session
            yield on
            self._counts = on._counts

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
        entry: str | None = None,
        convention: str = "completed",
    ) -> Collapsed:
        """The cohort's sufficient statistics, in one query.

        Parameters
        ----------
        columns
            Grouping and covariate columns. Text, BOOLEAN and ENUM columns are
            categorical, with their levels in the ENUM's declared (clinical)
            order, else in natural order (numbers as numbers).
        event
            ``event``, ``event_cancer`` or ``cause``.
        time
            Follow-up column, in whole months.
        entry
            Column with each record's entry (delayed entry, months since
            diagnosis), for left truncation: a record is at risk at t when
            ``entry < t <= time``. Taken as given (not shifted).
        convention
            ``"completed"`` (default): ``time = surv_months + 0.5``, completed
            months leave mid-month; ``"exact"``: ``time = surv_months``.

        Returns
        -------
        Collapsed
            ``counts`` has ``time`` (Float64), ``event``, the columns, ``entry``
            (Float64, when given) and ``n``, over eligible records with a known
            time and event; those with an unknown one are counted in ``unknown``.

        Examples
        --------
        >>> import cohort, tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> reg = cohort.Registry(tmp / "r.duckdb")
        >>> _ = reg.load(cohort.synth.write(tmp / "x.csv", n=500, seed=4))
        >>> c = reg.cohort("site_group = 'breast'")
        >>> a = c.collapse().counts["time"]
        >>> b = c.collapse(convention="exact").counts["time"]
        >>> a.dtype, bool(((a - b) == 0.5).all())
        (Float64, True)
        """
        if event not in EVENTS and event != "cause":
            raise CohortDefinitionError(
                f"event must be one of {', '.join(EVENTS)} (or cause), got {event!r}"
            )
        if convention not in CONVENTIONS:
            raise CohortDefinitionError(
                f"convention must be 'completed' (surv_months + 0.5, the default) or 'exact' "
                f"(surv_months as given), got {convention!r}"
            )
        with self._connected() as c:
            return c._collapse(list(columns), event=event, time=time, entry=entry,
                               convention=convention)

    def _collapse(self, columns: list[str], *, event: str, time: str, entry: str | None,
                  convention: str) -> Collapsed:
        columns = list(dict.fromkeys(columns))
        cols = [_quote(c) for c in columns]
        shift = " + 0.5" if convention == "completed" else ""
        keys = [f"{_quote(time)}::double{shift} as time", f"{_quote(event)} as event", *cols]
        if entry is not None:
            keys.append(f"{_quote(entry)}::double as entry")
        order = ", ".join([*cols, "time", "event", *(["entry"] if entry else [])])
        # one query: its relation also gives the columns' types (ENUM levels included)
        df, types = self.registry.sql_typed(
            f"select {', '.join(keys)}, count(*) as n from ({self.sql}) "
            f"where exclusion_reason is null group by all order by {order} nulls last",
            self.params,
        )
        known = pl.col("time").is_not_null() & pl.col("event").is_not_null()
        if entry is not None:
            known = known & pl.col("entry").is_not_null()
        unknown = int(df.filter(~known)["n"].sum())
        df = df.filter(known)
        levels, categorical = {}, set()
        for c in columns:
            kind = types[c].id
            if kind in ("enum", "varchar", "boolean"):
                categorical.add(c)
                df = df.with_columns(pl.col(c).cast(pl.Utf8))
                present = set(df[c].drop_nulls().unique().to_list())
                if kind == "enum":  # clinical order, as declared in sql/schema
                    order = dict(types[c].children)["values"]
                    levels[c] = [str(v) for v in order if str(v) in present]
                else:
                    from cohort.survival.km import natural_levels

                    levels[c] = natural_levels(pl.Series(sorted(present), dtype=pl.Utf8))
        return Collapsed(df, unknown, levels, categorical, convention, entry)

    def require_records(self, counts: pl.DataFrame | None = None, *,
                        what: str = "records") -> None:
        """Raise :class:`EmptyCohortError` with the attrition and the values
        of the filtered columns when the cohort (or ``counts``) is empty."""
        if counts is not None and counts.height and counts["n"].sum() > 0:
            return
        if counts is None and self.size > 0:
            return
        raise EmptyCohortError(self.empty_message(what=what))

    def empty_message(self, *, what: str = "records") -> str:
        """One line: no records to analyse, the attrition, and the values the
        filter's columns take in ``cases``."""
        total, size = self.total, self.size
        if total == 0:
            head = f"0 records match the cohort {self.definition!r}"
        elif size == 0:
            reasons = ", ".join(f"{r['reason']} {r['records']:,}"
                                for r in self.excluded.iter_rows(named=True))
            head = (f"0 eligible records in the cohort {self.definition!r}: all {total:,} "
                    f"matching records are excluded ({reasons})")
        else:
            head = (f"0 {what} to analyse in the cohort {self.definition!r}: {size:,} eligible "
                    "records, none with a known survival time and event")
        values = self._filter_values()
        return head + (f"; in cases, {values}" if values else "") + \
            "; widen the cohort definition"

    def _filter_values(self, limit: int = 8) -> str:
        """The values taken in ``cases`` by the columns the definition names."""
        cols = self.registry.sql("describe select * from cases")
        types = dict(zip(cols["column_name"], cols["column_type"], strict=True))
        code = re.sub(r"--[^\n]*", "", self.sql)
        code = re.sub(r"'(?:[^']|'')*'", "", code)  # not inside string literals
        named = [c for c in dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
                 if c in types]
        parts = []
        for c in named[:4]:
            q = _quote(c)
            if types[c] in ("VARCHAR", "BOOLEAN") or types[c].startswith("ENUM"):
                # values only, no counts: this line is printed, and counts could be small
                df = self.registry.sql(f"select distinct {q} as k, {q}::varchar as v from cases "
                                       "order by k nulls last")
                shown = ", ".join(v if v is not None else "null" for v in df["v"].head(limit))
                more = f", ... ({df.height - limit} more)" if df.height > limit else ""
                parts.append(f"{c} takes {shown}{more}" if df.height else f"{c}: no records")
            else:
                r = self.registry.sql(f"select min({q})::varchar as lo, max({q})::varchar as hi, "
                                      f"count({q}) > 0 as any from cases").row(0)
                parts.append(f"{c} ranges {r[0]} to {r[1]}" if r[2] else f"{c} is always null")
        return "; ".join(parts)

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

        with self._connected() as c:
            return km_analysis(c, by=by, **kwargs)

    def cox(self, terms, **kwargs):
        """Cox models (univariable and adjusted): see
        :func:`cohort.survival.analysis.cox_analysis`."""
        from cohort.survival.analysis import cox_analysis

        with self._connected() as c:
            return cox_analysis(c, terms, **kwargs)

    def net_survival(self, by: str | None = "node_burden", **kwargs):
        """Net (Pohar Perme) or relative (Ederer II) survival with life tables:
        see :func:`cohort.survival.netsurv.net_survival_analysis`."""
        from cohort.survival.netsurv import net_survival_analysis

        with self._connected() as c:
            return net_survival_analysis(c, by=by, **kwargs)

    def table1(self, by: str | None = "node_burden", **kwargs):
        """Table 1: characteristics of the eligible cases by group, as a polars
        DataFrame in gtsummary's ``tbl_summary`` layout: see
        :func:`cohort.table1.table1`."""
        from cohort.table1 import table1

        return table1(self, by=by, **kwargs)

    def period(self, window) -> Cohort:
        """The same cohort seen through a calendar window (period analysis,
        Brenner): ``cohort.period("2018-2020")``. See :mod:`cohort.survival.period`."""
        from cohort.survival.period import period_cohort

        return period_cohort(self, window)

    def lifetable(self, by: str | None = "node_burden", **kwargs):
        """Actuarial life table with observed, expected, relative and net survival:
        see :func:`cohort.survival.relative.lifetable_analysis`."""
        from cohort.survival.relative import lifetable_analysis

        with self._connected() as c:
            return lifetable_analysis(c, by=by, **kwargs)

    def ehr(self, terms, **kwargs):
        """Excess hazard ratios (Poisson model for relative survival): see
        :func:`cohort.survival.relative.ehr_analysis`."""
        from cohort.survival.relative import ehr_analysis

        with self._connected() as c:
            return ehr_analysis(c, terms, **kwargs)

    def crude_probability(self, by: str | None = "node_burden", **kwargs):
        """Crude probability of death from the cancer and from other causes: see
        :func:`cohort.survival.relative.crude_analysis`."""
        from cohort.survival.relative import crude_analysis

        with self._connected() as c:
            return crude_analysis(c, by=by, **kwargs)

    def cif(self, by: str | None = "node_burden", **kwargs):
        """Cumulative incidence of cancer and other-cause death: see
        :func:`cohort.survival.analysis.cif_analysis`."""
        from cohort.survival.analysis import cif_analysis

        with self._connected() as c:
            return cif_analysis(c, by=by, **kwargs)

    def finegray(self, terms, *, cause: str = "cancer", strata=None, **kwargs):
        """Fine-Gray subdistribution hazard ratios (univariable and adjusted),
        exact as ``cmprsk::crr``: see
        :func:`cohort.survival.subdistribution.finegray_analysis`."""
        from cohort.survival.subdistribution import finegray_analysis

        with self._connected() as c:
            return finegray_analysis(c, terms, cause=cause, strata=strata, **kwargs)

    def competing_hazards(self, terms, *, strata=None, **kwargs):
        """Cause-specific and subdistribution hazard ratios for both causes, side
        by side: see :func:`cohort.survival.subdistribution.competing_hazards_analysis`."""
        from cohort.survival.subdistribution import competing_hazards_analysis

        with self._connected() as c:
            return competing_hazards_analysis(c, terms, strata=strata, **kwargs)


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


__all__ = ["Cohort", "CohortDefinitionError", "EmptyCohortError", "QueryError"]
