"""Extranodal (extracapsular) extension from the site-specific ENE items.

Head and neck: pathological 3832 (``0.0`` absent; ``0.1``-``9.9`` mm,
``X.1`` >= 10 mm, ``X.2`` microscopic, ``X.3`` major, ``X.4`` present NOS;
``X.7`` pN0; ``X.8``/``X.9`` not collected / unknown), else clinical 3831.
Other sites: pathological 3833, else clinical 3830 (``0`` absent; ``1``,
``2``, ``4`` present; ``7`` nodes negative; ``8``/``9`` unknown). When no
item says anything, node-negative cases are ``not_applicable`` and the rest
``unknown``.
"""

from __future__ import annotations

import polars as pl

ENE_LEVELS = ("absent", "present", "unknown", "not_applicable")
ENE_EXTENT_LEVELS = ("micro", "major", "unknown")

hn_path = pl.col("ene_hn_path_code")
hn_clin = pl.col("ene_hn_clin_code")
path = pl.col("ene_path_code")
clin = pl.col("ene_clin_code")


def _hn_path() -> pl.Expr:
    return (
        pl.when(hn_path == "0.0").then(pl.lit("absent"))
        .when(hn_path.str.contains(r"^([0-9]\.[0-9]|X\.[1-4])$")).then(pl.lit("present"))
        .when(hn_path == "X.7").then(pl.lit("not_applicable"))
    )


def _clinical(code: pl.Expr) -> pl.Expr:
    return (
        pl.when(code == "0").then(pl.lit("absent"))
        .when(code.is_in(["1", "2", "4"])).then(pl.lit("present"))
        .when(code == "7").then(pl.lit("not_applicable"))
    )


def _other_path() -> pl.Expr:
    return (
        pl.when(path == "0").then(pl.lit("absent"))
        .when(path == "1").then(pl.lit("present"))
        .when(path.is_in(["7", "8"])).then(pl.lit("not_applicable"))
    )


def _is_hn() -> pl.Expr:
    return pl.col("site_group").cast(pl.Utf8) == "head_neck"


def ene_source() -> pl.Expr:
    """The item that decided ``ene`` (3832, 3831, 3833, 3830) or null."""
    return (
        pl.when(_is_hn() & _hn_path().is_not_null()).then(pl.lit("3832"))
        .when(_is_hn() & _clinical(hn_clin).is_not_null()).then(pl.lit("3831"))
        .when(~_is_hn() & _other_path().is_not_null()).then(pl.lit("3833"))
        .when(~_is_hn() & _clinical(clin).is_not_null()).then(pl.lit("3830"))
        .alias("ene_source")
    )


def ene() -> pl.Expr:
    """absent / present / unknown / not_applicable (needs ``node_status``).

    >>> df = pl.DataFrame({
    ...     "site_group": ["head_neck", "head_neck", "head_neck", "other", "breast"],
    ...     "node_status": ["N+", "N+", "N0", "N+", "N0"],
    ...     "ene_hn_path_code": ["X.3", "0.0", "X.7", None, None],
    ...     "ene_hn_clin_code": [None, None, None, None, None],
    ...     "ene_path_code": [None, None, None, "1", None],
    ...     "ene_clin_code": [None, None, None, None, None]})
    >>> df.select(ene())["ene"].to_list()
    ['present', 'absent', 'not_applicable', 'present', 'not_applicable']
    """
    from_items = (
        pl.when(_is_hn())
        .then(pl.coalesce(_hn_path(), _clinical(hn_clin)))
        .otherwise(pl.coalesce(_other_path(), _clinical(clin)))
    )
    fallback = pl.when(pl.col("node_status").cast(pl.Utf8) == "N0").then(
        pl.lit("not_applicable")
    ).otherwise(pl.lit("unknown"))
    return pl.coalesce(from_items, fallback).cast(pl.Enum(ENE_LEVELS)).alias("ene")


def ene_extent() -> pl.Expr:
    """Head and neck ENE size: micro (ENEmi, <= 2 mm), major (ENEma, > 2 mm),
    unknown; null where ENE is not present on the pathological item."""
    mm = (pl.when(hn_path.str.contains(r"^[0-9]\.[0-9]$"))
          .then(hn_path.cast(pl.Float64, strict=False)))
    return (
        pl.when(~_is_hn()).then(pl.lit(None, pl.Utf8))
        .when(hn_path == "X.2").then(pl.lit("micro"))
        .when(hn_path.is_in(["X.3", "X.1"])).then(pl.lit("major"))
        .when((mm > 0) & (mm <= 2.0)).then(pl.lit("micro"))
        .when(mm > 2.0).then(pl.lit("major"))
        .when(hn_path == "X.4").then(pl.lit("unknown"))
        .cast(pl.Enum(ENE_EXTENT_LEVELS))
        .alias("ene_extent")
    )
