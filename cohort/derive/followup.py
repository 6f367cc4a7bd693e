"""Survival time and events.

``surv_months``: the registry's own survival months (1784, else 1787) when
supplied; otherwise whole months from diagnosis to last contact,
``12 * (year difference) + (month difference)``, less one when both days
are known and the contact day is before the diagnosis day. Dates with an
unknown month give unknown survival time (no imputation); a negative
difference is unknown too.
"""

from __future__ import annotations

import polars as pl

CAUSE_LEVELS = ("alive", "cancer_death", "other_death")

#: the items event, event_cancer and cause read (codes: evaluated per combination)
EVENT_INPUTS = ("vital_status_recode", "vital_status", "cause_specific_death",
                "other_cause_death")


def _computed_months() -> pl.Expr:
    dx, lc = pl.col("dx_date_code"), pl.col("last_contact_date_code")
    months = (pl.col("last_contact_year") - pl.col("dx_year")) * 12 + (
        pl.col("last_contact_month") - pl.col("dx_month")
    )
    day_before = (dx.str.len_chars() == 8) & (lc.str.len_chars() == 8) & (
        lc.str.slice(6, 2) < dx.str.slice(6, 2)
    )
    months = months - pl.when(day_before).then(1).otherwise(0)
    return pl.when(months >= 0).then(months)


def surv_months_source() -> pl.Expr:
    """``1784``, ``1787`` or ``dates``: where surv_months came from."""
    return (
        pl.when(pl.col("surv_months").is_not_null()).then(pl.lit("1784"))
        .when(pl.col("surv_months_presumed").is_not_null()).then(pl.lit("1787"))
        .when(_computed_months().is_not_null()).then(pl.lit("dates"))
        .alias("surv_months_source")
    )


def surv_months() -> pl.Expr:
    """Survival months: supplied, else computed from the dates (see module)."""
    return pl.coalesce(
        pl.col("surv_months"), pl.col("surv_months_presumed"), _computed_months()
    ).cast(pl.Int32).alias("surv_months")


def _computed_months_sql(r: str) -> str:
    dx, lc = f"{r}.dx_date_code", f"{r}.last_contact_date_code"
    months = (f"({r}.last_contact_year - {r}.dx_year) * 12 "
              f"+ ({r}.last_contact_month - {r}.dx_month)")
    day_before = (f"length({dx}) = 8 and length({lc}) = 8 "
                  f"and substr({lc}, 7, 2) < substr({dx}, 7, 2)")
    months = f"({months} - case when {day_before} then 1 else 0 end)"
    return f"case when {months} >= 0 then {months} end"


def surv_months_sql(r: str = "r") -> str:
    """:func:`surv_months` as a DuckDB expression over raw_cases (alias ``r``):
    the registry derives this per-record variable in SQL (the dates make
    nearly every record a combination of its own).

    >>> import duckdb
    >>> duckdb.sql("select " + surv_months_sql() + " from (select null::int as surv_months, "
    ...     "null::int as surv_months_presumed, 2010 as dx_year, 3 as dx_month, "
    ...     "'20100315' as dx_date_code, 2012 as last_contact_year, 5 as last_contact_month, "
    ...     "'20120514' as last_contact_date_code) as r").fetchall()[0][0]  # 26 months less a day
    25
    """
    return (f"cast(coalesce({r}.surv_months, {r}.surv_months_presumed, "
            f"{_computed_months_sql(r)}) as integer)")


def surv_months_source_sql(r: str = "r") -> str:
    """:func:`surv_months_source` as a DuckDB expression (see :func:`surv_months_sql`)."""
    return (f"case when {r}.surv_months is not null then '1784' "
            f"when {r}.surv_months_presumed is not null then '1787' "
            f"when ({_computed_months_sql(r)}) is not null then 'dates' end")


def _vital() -> pl.Expr:
    # Vital Status Recode (1762) censors deaths after the study cut-off: prefer it.
    return pl.coalesce(pl.col("vital_status_recode"), pl.col("vital_status"))


def event() -> pl.Expr:
    """Death from any cause: 1 dead (vital status 0 or 4), 0 alive, null unknown.

    >>> df = pl.DataFrame({"vital_status": ["0", "1", "4", None],
    ...                    "vital_status_recode": [None, None, None, None]},
    ...                   schema_overrides={"vital_status_recode": pl.Utf8})
    >>> df.select(event())["event"].to_list()
    [1, 0, 1, None]
    """
    v = _vital()
    return (
        pl.when(v.is_in(["0", "4"])).then(1).when(v == "1").then(0)
        .cast(pl.Int8).alias("event")
    )


def event_cancer() -> pl.Expr:
    """Death from this cancer (SEER cause-specific classification, 1914).

    1 died of this cancer; 0 alive or died of something else; null when it
    cannot be told (dead with cause unknown, 8; not applicable, 9; item absent).
    """
    v, csd = _vital(), pl.col("cause_specific_death")
    return (
        pl.when(v == "1").then(0)
        .when(v.is_in(["0", "4"]) & (csd == "1")).then(1)
        .when(v.is_in(["0", "4"]) & (csd == "0")).then(0)
        .cast(pl.Int8).alias("event_cancer")
    )


def cause() -> pl.Expr:
    """alive / cancer_death / other_death for competing risks; null when a
    death's cause is unknown."""
    v, csd, ocd = _vital(), pl.col("cause_specific_death"), pl.col("other_cause_death")
    dead = v.is_in(["0", "4"])
    return (
        pl.when(v == "1").then(pl.lit("alive"))
        .when(dead & (csd == "1")).then(pl.lit("cancer_death"))
        .when(dead & ((ocd == "1") | (csd == "0"))).then(pl.lit("other_death"))
        .cast(pl.Enum(CAUSE_LEVELS))
        .alias("cause")
    )
