"""Period, complete and hybrid analysis (Brenner), conditional survival, and the
collapse that the relative-survival estimators share.

**Period analysis** counts only the follow-up that falls inside a calendar
window (e.g. 2018-2020): a case diagnosed before the window enters at its
duration at the window's start (left truncation), and everyone still alive
at the window's end is censored there. **Complete analysis** is the usual
cohort of diagnoses followed to the end; **hybrid analysis** is a period
window over recent diagnoses only (a window plus ``dx_year >= ...`` in the
cohort). All three are the same estimators on different (entry, exit) pairs.

On the month grid a case diagnosed in calendar month D (unknown month:
July) spends follow-up month k in calendar month D + k. For a window of
calendar months [W0, W1]: ``entry = max(W0 - D, 0)``, follow-up is cut at
month ``W1 - D`` (a death after it is not counted), and cases that left
before month ``W0 - D`` or were diagnosed after W1 drop out.

**Conditional survival** given survival to month s is the same left
truncation at s for everyone still under observation: S(t | s) = S(t) /
S(s), with variances summed over (s, t] only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from cohort.errors import CohortError

ENTRY = "period_entry"  # the entry-time column of a period cohort


class PeriodError(CohortError):
    """A period window or conditioning time that cannot be used."""


@dataclass(frozen=True)
class Window:
    """A calendar window of whole years, first to last inclusive."""

    first: int
    last: int

    def __str__(self) -> str:
        return f"{self.first}-{self.last}" if self.first != self.last else str(self.first)


def parse_window(text: str | tuple[int, int] | Window) -> Window:
    """``"2018-2020"`` (or ``"2020"``, or a pair) as a :class:`Window`.

    >>> parse_window("2018-2020")
    Window(first=2018, last=2020)
    """
    if isinstance(text, Window):
        return text
    if isinstance(text, tuple):
        first, last = text
    else:
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", str(text))
        if not m:
            raise PeriodError(f"a period is a year or two years like 2018-2020, got {text!r}")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if last < first:
        raise PeriodError(f"the period's last year {last} is before its first {first}")
    return Window(int(first), int(last))


def period_sql(sql: str, window: Window) -> str:
    """The cohort's SQL with follow-up cut to the window and an entry column.

    ``surv_months`` becomes the months under observation up to the window's
    end, deaths after it become censorings (``event``, ``event_cancer``,
    ``cause``), and ``period_entry`` is the months from diagnosis to the
    window's start (0 for diagnoses inside it).
    """
    w0, w1 = window.first * 12, window.last * 12 + 11
    dx = "(dx_year * 12 + coalesce(dx_month, 7) - 1)"
    after = f"(surv_months > {w1} - {dx})"
    return (
        "select * replace (\n"
        f"    least(surv_months, {w1} - {dx}) as surv_months,\n"
        f"    case when {after} then 0 else event end as event,\n"
        f"    case when {after} then 0 else event_cancer end as event_cancer,\n"
        f"    case when {after} then 'alive'::cause_t else cause end as cause\n"
        f"), greatest({w0} - {dx}, 0) as {ENTRY}\n"
        f"from ({sql})\n"
        f"where {dx} <= {w1} and surv_months >= {w0} - {dx}"
    )


def period_cohort(cohort, window: str | tuple[int, int] | Window):
    """A new cohort with the period window applied (see :func:`period_sql`)."""
    from cohort.cohort import Cohort

    window = parse_window(window)
    if getattr(cohort, "window", None) is not None:
        raise PeriodError(f"the cohort already has the period {cohort.window}")
    out = Cohort(cohort.registry, period_sql(cohort.sql, window), params=cohort.params,
                 name=f"{cohort.name or cohort.definition} [period {window}]")
    out.entry = ENTRY
    out.window = window
    return out


def capped(cohort, months: float):
    """The cohort with follow-up cut at ``months`` (later deaths become censorings).

    An estimate that stops at ``months`` does not change, and the collapse gets
    far fewer distinct times (a 5-year model need not tell month 100 from 200).
    """
    from cohort.cohort import Cohort

    m = int(np.ceil(months))
    after = f"(surv_months > {m})"
    sql = (
        "select * replace (\n"
        f"    least(surv_months, {m}) as surv_months,\n"
        f"    case when {after} then 0 else event end as event,\n"
        f"    case when {after} then 0 else event_cancer end as event_cancer,\n"
        f"    case when {after} then 'alive'::cause_t else cause end as cause\n"
        f") from ({cohort.sql})"
    )
    out = Cohort(cohort.registry, sql, params=cohort.params, name=cohort.name)
    out.entry, out.window = getattr(cohort, "entry", None), getattr(cohort, "window", None)
    out.definition = cohort.definition
    return out


def condition(counts: pl.DataFrame, given: float, *, time: str = "time",
              entry: str | None = None) -> tuple[pl.DataFrame, str]:
    """Counts conditioned on being under observation at ``given`` months.

    Records that left by then drop out; the rest enter at ``given`` (or later,
    if they entered later). Returns the counts and the entry column's name.

    >>> c = pl.DataFrame({"time": [5.5, 20.5], "event": [1, 0], "n": [3, 4]})
    >>> condition(c, 12)[0].rows()
    [(20.5, 0, 4, 12.0)]
    """
    if given < 0:
        raise PeriodError(f"the conditioning time must be 0 or more months, got {given}")
    name = entry or "entry"
    out = counts.filter(pl.col(time) > given)
    if entry is None:
        return out.with_columns(pl.lit(float(given)).alias(name)), name
    return out.with_columns(pl.max_horizontal(pl.col(entry).cast(pl.Float64),
                                              pl.lit(float(given))).alias(name)), name


def collapse_exits(cohort, columns: list[str], *, event: str = "event",
                   entry: str | None = None, convention: str = "completed"):
    """Collapse for the relative-survival estimators: ``time`` is the exit time
    (``convention``: completed months leave mid-month, ``surv_months + 0.5``)
    and the entry time — the ``entry`` column given, else a period cohort's —
    comes along as column ``entry`` (months since diagnosis; at risk while
    entry < t <= exit; records leaving at or before their entry are left out).

    Returns the :class:`~cohort.cohort.Collapsed` counts (with the
    node-burden/site check of the other analyses).
    """
    from cohort.survival.analysis import _collapse

    entry = entry or getattr(cohort, "entry", None)
    col = _collapse(cohort, columns, event, convention=convention, entry=entry)
    if col.entry:
        col.counts = col.counts.filter(pl.col("entry") < pl.col("time"))
    return col
