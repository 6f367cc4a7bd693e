"""Site group from ICD-O-3 topography and histology (rules in sites.csv)."""

from __future__ import annotations

import polars as pl

from cohort.derive.tables import SITE_GROUPS, site_rules


def _match(row: dict[str, str]) -> pl.Expr:
    topo, hist = pl.col("primary_site"), pl.col("histology")
    return (
        topo.is_between(pl.lit(row["topography_from"]), pl.lit(row["topography_to"]))
        & hist.is_between(pl.lit(row["histology_from"]), pl.lit(row["histology_to"]))
    )


def _first_match(column: str, unmatched: str | None) -> pl.Expr:
    """The value of ``column`` in the first sites.csv row that matches.

    A blank cell in the matching row gives null; ``unmatched`` is the value
    when no row matches (the "other" site group).
    """
    expr = pl.lit(unmatched, dtype=pl.Utf8)
    for row in reversed(site_rules()):
        value = row[column] or None
        expr = pl.when(_match(row)).then(pl.lit(value, dtype=pl.Utf8)).otherwise(expr)
    return expr


def site_group() -> pl.Expr:
    """Site group: breast, colon, rectum, ..., head_neck, other.

    Examples
    --------
    >>> df = pl.DataFrame({"primary_site": ["C504", "C447", "C447", "C199", "C619"],
    ...                    "histology": ["8500", "8720", "8070", "8140", "8140"]})
    >>> df.select(site_group())["site_group"].to_list()
    ['breast', 'melanoma', 'other', 'rectum', 'other']
    """
    return _first_match("site_group", "other").cast(pl.Enum(SITE_GROUPS)).alias("site_group")


def n_rule() -> pl.Expr:
    """Which count rule of n_categories.csv applies (null: not count-based)."""
    return _first_match("n_rule", None).alias("n_rule")


def nx_reason_for_site() -> pl.Expr:
    """Why a site's N cannot be derived from counts (null when it can)."""
    return _first_match("nx_reason", "no count-based N rule for this site group")


def adequate_threshold() -> pl.Expr:
    """Minimum examined nodes for an adequate examination at this site."""
    return _first_match("adequate_nodes", None).cast(pl.Int32)
