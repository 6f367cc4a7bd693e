"""Exclusions for a standard survival analysis, in the order they are applied.

A record gets the first rule it fails as ``exclusion_reason`` (null when it
is eligible), so records in = analysed + excluded, by reason, always.
Needs ``surv_months`` and ``event`` from :mod:`cohort.derive.followup`.
"""

from __future__ import annotations

import polars as pl

EXCLUSIONS = (
    ("death certificate or autopsy only", pl.col("reporting_source").is_in(["6", "7"])),
    ("unknown survival time", pl.col("surv_months").is_null()),
    ("unknown vital status", pl.col("event").is_null()),
    # a top-coded or grouped age (85+, 45-49; SEER age recodes) is known, if not exactly
    ("age unknown", pl.col("age_at_dx").is_null() & pl.col("age_group").is_null()),
    ("in situ or benign", pl.col("behavior") != "3"),
    ("not the first primary", ~pl.col("tumor_seq").is_in(["00", "01"])),
)

# The same conditions in SQL, for the registry's derivation (cohort.derive.apply):
# over raw_cases columns (alias r) and the expressions of the derived surv_months and
# event (filled in by exclusion_sql). A null condition does not exclude, as
# fill_null(False) above.
EXCLUSIONS_SQL = (
    "r.reporting_source in ('6', '7')",
    "({surv_months}) is null",
    "({event}) is null",
    "r.age_at_dx is null and r.age_group is null",
    "r.behavior <> '3'",
    "not r.tumor_seq in ('00', '01')",
)


def exclusion_sql(*, surv_months: str, event: str) -> tuple[str, str]:
    """``exclusion_reason`` and ``exclusion_step`` as DuckDB expressions
    (:data:`EXCLUSIONS_SQL`, in the order of :data:`EXCLUSIONS`), given the
    SQL of the derived ``surv_months`` and ``event``."""
    conds = [c.format(surv_months=surv_months, event=event) for c in EXCLUSIONS_SQL]
    quoted = [why.replace("'", "''") for why, _ in EXCLUSIONS]
    reason = " ".join(f"when coalesce({cond}, false) then '{why}'"
                      for why, cond in zip(quoted, conds, strict=True))
    step = " ".join(f"when coalesce({cond}, false) then {i}"
                    for i, cond in enumerate(conds, start=1))
    return f"case {reason} end", f"cast(case {step} end as tinyint)"


def exclusion_reason() -> pl.Expr:
    """The first exclusion a record meets, or null when eligible.

    >>> df = pl.DataFrame({"reporting_source": ["1", "7", "1"], "surv_months": [10, 0, 5],
    ...                    "event": [0, 1, 1], "age_at_dx": [60, 70, 80],
    ...                    "age_group": [None, None, None],
    ...                    "behavior": ["3", "3", "2"], "tumor_seq": ["00", "00", "01"]})
    >>> df.select(exclusion_reason())["exclusion_reason"].to_list()
    [None, 'death certificate or autopsy only', 'in situ or benign']
    """
    expr = pl.lit(None, pl.Utf8)
    for reason, failed in reversed(EXCLUSIONS):
        expr = pl.when(failed.fill_null(False)).then(pl.lit(reason)).otherwise(expr)
    return expr.alias("exclusion_reason")


def exclusion_step() -> pl.Expr:
    """Position (1, 2, ...) of the exclusion met in the order applied; null if eligible."""
    expr = pl.lit(None, pl.Int8)
    for step, (_, failed) in reversed(list(enumerate(EXCLUSIONS, start=1))):
        expr = pl.when(failed.fill_null(False)).then(pl.lit(step, pl.Int8)).otherwise(expr)
    return expr.alias("exclusion_step")
