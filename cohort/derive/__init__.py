"""Derived analysis variables as polars expressions.

Each variable is a function returning a ``pl.Expr`` (usable in your own
polars code); :func:`derive` applies them all in dependency order, frame in,
frame out, so it chains with ``.pipe``. Rules that vary by site are read
from ``cohort/data`` (sites.csv, n_categories.csv).

>>> import polars as pl
>>> raw = with_inputs(pl.DataFrame({
...     "primary_site": ["C504"], "histology": ["8500"], "behavior": ["3"],
...     "tumor_seq": ["00"], "age_at_dx": [61], "reporting_source": ["1"],
...     "nodes_positive_code": ["04"], "nodes_examined_code": ["16"],
...     "vital_status": ["0"], "cause_specific_death": ["1"], "surv_months": [40]}))
>>> out = raw.pipe(derive)
>>> out.select("site_group", "node_status", "node_burden", "lnr", "event", "event_cancer",
...            "exclusion_reason").row(0)
('breast', 'N+', 'N2', 0.25, 1, 1, None)
"""

from __future__ import annotations

import polars as pl

from cohort.derive.eligibility import exclusion_reason, exclusion_step
from cohort.derive.ene import ene, ene_extent, ene_source
from cohort.derive.followup import cause, event, event_cancer, surv_months, surv_months_source
from cohort.derive.nodes import (
    adequate_exam,
    lnr,
    lodds,
    node_burden,
    node_burden_reason,
    node_count_source,
    node_edits,
    node_status,
    nodes_examined,
    nodes_negative,
    nodes_positive,
)
from cohort.derive.sites import n_rule, site_group
from cohort.items import items

# Derived columns, in the order they are stored (case_derived table).
DERIVED_COLUMNS = (
    "site_group",
    "n_rule",
    "nodes_positive",
    "nodes_examined",
    "nodes_negative",
    "node_status",
    "node_count_source",
    "node_burden",
    "node_burden_reason",
    "lnr",
    "lodds",
    "adequate_exam",
    "node_edits",
    "ene",
    "ene_extent",
    "ene_source",
    "surv_months",
    "surv_months_source",
    "event",
    "event_cancer",
    "cause",
    "exclusion_reason",
    "exclusion_step",
)

_TYPED = {"age_at_dx": pl.Int32, "surv_months": pl.Int32, "surv_months_presumed": pl.Int32,
          "dx_year": pl.Int32, "dx_month": pl.Int32, "last_contact_year": pl.Int32,
          "last_contact_month": pl.Int32}


def input_columns() -> list[str]:
    """The raw_cases columns the derivations read."""
    cols = [it.name for it in items()]
    return cols + ["dx_date_code", "last_contact_date_code", "dx_month", "last_contact_year",
                   "last_contact_month", "age_group"]


def with_inputs(frame: pl.DataFrame) -> pl.DataFrame:
    """Add any input column the frame lacks, as nulls (for hand-made frames);
    columns that are all-null without a type get the input's type."""
    missing = [c for c in input_columns() if c not in frame.columns]
    untyped = [c for c, t in frame.schema.items() if t == pl.Null]
    return frame.with_columns(
        *(pl.lit(None, dtype=_TYPED.get(c, pl.Utf8)).alias(c) for c in missing),
        *(pl.col(c).cast(_TYPED.get(c, pl.Utf8)) for c in untyped),
    )


# Inputs of each block of variables: every variable in a block is a function
# of these columns only.
SITE_INPUTS = ("primary_site", "histology")
NODE_INPUTS = (
    "primary_site",  # adequacy thresholds and NX reasons are read by site
    "histology",
    "site_group",
    "n_rule",
    "nodes_positive_code",
    "nodes_examined_code",
    "sentinel_examined_code",
    "sentinel_positive_code",
    "ln_axillary_code",
    "tumor_deposits_code",
    "p16_code",
)
ENE_INPUTS = (
    "site_group",
    "node_status",
    "ene_hn_path_code",
    "ene_hn_clin_code",
    "ene_path_code",
    "ene_clin_code",
)


def _on_distinct(frame, keys: tuple[str, ...], exprs: list[pl.Expr]):
    """Evaluate ``exprs`` once per distinct combination of ``keys`` and join
    the results back (in order). Registry codes repeat endlessly, so a million
    records have a few thousand combinations; the result is the same as
    evaluating row by row, because the expressions read only ``keys``."""
    keys = list(keys)
    lookup = frame.select(keys).unique().with_columns(exprs)
    return frame.join(lookup, on=keys, how="left", nulls_equal=True, maintain_order="left")


def derive(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Add every derived column to a frame of raw_cases columns."""
    frame = _on_distinct(frame, SITE_INPUTS, [site_group(), n_rule()])
    frame = _on_distinct(
        frame,
        NODE_INPUTS,
        [
            nodes_positive(),
            nodes_examined(),
            nodes_negative(),
            node_status(),
            node_count_source(),
            node_burden(),
            node_burden_reason(),
            lnr(),
            lodds(),
            adequate_exam(),
            node_edits(),
        ],
    )
    frame = _on_distinct(frame, ENE_INPUTS, [ene(), ene_extent(), ene_source()])
    return frame.with_columns(
        surv_months(), surv_months_source(), event(), event_cancer(), cause()
    ).with_columns(exclusion_reason(), exclusion_step())


__all__ = [
    "DERIVED_COLUMNS",
    "adequate_exam",
    "cause",
    "derive",
    "ene",
    "ene_extent",
    "event",
    "event_cancer",
    "exclusion_reason",
    "lnr",
    "lodds",
    "node_burden",
    "node_burden_reason",
    "node_edits",
    "node_status",
    "nodes_examined",
    "nodes_negative",
    "nodes_positive",
    "site_group",
    "surv_months",
    "with_inputs",
]
