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

from cohort.derive import receptors, staging, treatment
from cohort.derive.covariates import age_band, grade_group, race_group, tumor_size_mm
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
from cohort.derive.receptors import er_result, her2_result, pr_result, subtype
from cohort.derive.sites import n_rule, site_group
from cohort.derive.staging import (
    n_stage,
    n_stage_edition,
    n_stage_group,
    node_count_group,
    t_stage,
)
from cohort.derive.treatment import (
    chemotherapy,
    exam_adequacy,
    ln_surgery,
    neoadjuvant,
    node_count_basis,
    radiation,
    surgery,
)

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
    # staging, covariates and treatment (cohort.derive.staging, covariates,
    # receptors, treatment)
    "n_stage",
    "n_stage_edition",
    "n_stage_group",
    "t_stage",
    "node_count_group",
    "age_band",
    "race_group",
    "grade_group",
    "tumor_size_mm",
    "er_result",
    "pr_result",
    "her2_result",
    "subtype",
    "surgery",
    "radiation",
    "chemotherapy",
    "ln_surgery",
    "neoadjuvant",
    "node_count_basis",
    "exam_adequacy",
)

_TYPED = {"age_at_dx": pl.Int32, "surv_months": pl.Int32, "surv_months_presumed": pl.Int32,
          "dx_year": pl.Int32, "dx_month": pl.Int32, "last_contact_year": pl.Int32,
          "last_contact_month": pl.Int32, "tumors_total": pl.Int32}


def input_columns() -> list[str]:
    """The raw_cases columns the derivations read (the registry lists the
    distinct combinations of exactly these; unused items would cost time).

    >>> cols = input_columns()
    >>> "nodes_positive_code" in cols and "marital_status" not in cols
    True
    """
    per_record = [surv_months(), surv_months_source(), event(), event_cancer(), cause(),
                  exclusion_reason()]
    names = [c for keys, _, _ in blocks() for c in keys]
    names += [c for e in per_record for c in e.meta.root_names()]
    produced = set(DERIVED_COLUMNS) - {"surv_months"}  # surv_months is also an item
    return [c for c in dict.fromkeys(names) if c not in produced]


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


RACE_INPUTS = ("race", "hispanic_origin", "nhia_origin", "origin_recode", "race_recode",
               "race_origin_recode")
GRADE_INPUTS = ("dx_year", "grade", "grade_clinical", "grade_pathological")
SIZE_INPUTS = ("tumor_size_summary", "cs_tumor_size", "eod_tumor_size")


def _on_distinct(frame, keys: tuple[str, ...], exprs: list[pl.Expr], *,
                 where: pl.Expr | None = None):
    """Evaluate ``exprs`` once per distinct combination of ``keys`` and join
    the results back (in order). Registry codes repeat endlessly, so a million
    records have a few thousand combinations; the result is the same as
    evaluating row by row, because the expressions read only ``keys``.

    ``where`` (over the keys) limits the evaluation to the records the
    expressions can give a value for (they must be null elsewhere): breast
    receptor items, for instance, whose site-specific factors take thousands
    of values at other sites."""
    keys = list(dict.fromkeys(keys))
    rows = frame.select(keys)
    if where is not None:
        rows = rows.filter(where)  # ``where`` reads key columns only
    lookup = rows.unique().with_columns(exprs)
    # join on the key columns alone and set the results beside the frame:
    # joining the whole (wide) frame would copy every column at every step
    found = frame.select(keys).join(lookup, on=keys, how="left", nulls_equal=True,
                                    maintain_order="left").drop(keys)
    return pl.concat([frame, found], how="horizontal")


def blocks() -> list[tuple[tuple[str, ...], list[pl.Expr], pl.Expr | None]]:
    """The derivations evaluated per distinct combination of their inputs, in
    dependency order: ``(keys, expressions, where)``. Every expression of a
    block reads only its ``keys`` (some of them derived by an earlier block);
    ``where`` (over the keys) limits the evaluation to the records the
    expressions can give a value for, null elsewhere (see :func:`_on_distinct`).
    :func:`derive` and the registry's derivation (:mod:`cohort.derive.apply`)
    both evaluate these."""
    return [
        (SITE_INPUTS, [site_group(), n_rule()], None),
        (NODE_INPUTS, [nodes_positive(), nodes_examined(), nodes_negative(), node_status(),
                       node_count_source(), node_burden(), node_burden_reason(), lnr(), lodds(),
                       adequate_exam(), node_edits(), node_count_group()], None),
        (ENE_INPUTS, [ene(), ene_extent(), ene_source()], None),
        (staging.N_INPUTS, [n_stage(), n_stage_edition(), n_stage_group()], None),
        (staging.T_INPUTS, [t_stage()], None),
        (("age_at_dx", "age_group"), [age_band()], None),
        (RACE_INPUTS, [race_group()], None),
        (GRADE_INPUTS, [grade_group()], None),
        (SIZE_INPUTS, [tumor_size_mm()], None),
        (receptors.INPUTS, [er_result(), pr_result(), her2_result(), subtype()],
         pl.col("site_group") == "breast"),
        (treatment.TREATMENT_INPUTS, [surgery(), radiation(), chemotherapy(), ln_surgery()],
         None),
        (treatment.NEOADJUVANT_INPUTS, [neoadjuvant(), node_count_basis(), exam_adequacy()],
         None),
    ]


def derive(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Add every derived column to a frame of raw_cases columns."""
    if isinstance(frame, pl.DataFrame):
        # one chunk per column: results are set beside the inputs, and a frame
        # whose columns are chunked differently is realigned at every step
        frame = frame.rechunk()
    for keys, exprs, where in blocks():
        frame = _on_distinct(frame, keys, exprs, where=where)
    return frame.with_columns(
        surv_months(), surv_months_source(), event(), event_cancer(), cause()
    ).with_columns(exclusion_reason(), exclusion_step())


__all__ = [
    "DERIVED_COLUMNS",
    "adequate_exam",
    "age_band",
    "blocks",
    "cause",
    "chemotherapy",
    "derive",
    "ene",
    "ene_extent",
    "er_result",
    "event",
    "event_cancer",
    "exam_adequacy",
    "exclusion_reason",
    "grade_group",
    "her2_result",
    "ln_surgery",
    "lnr",
    "lodds",
    "n_stage",
    "n_stage_edition",
    "n_stage_group",
    "neoadjuvant",
    "node_burden",
    "node_burden_reason",
    "node_count_basis",
    "node_count_group",
    "node_edits",
    "node_status",
    "nodes_examined",
    "nodes_negative",
    "nodes_positive",
    "pr_result",
    "race_group",
    "radiation",
    "site_group",
    "subtype",
    "surgery",
    "surv_months",
    "t_stage",
    "tumor_size_mm",
    "with_inputs",
]
