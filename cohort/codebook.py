"""The code tables in ``cohort/data``: what a code means and how codes group.

Each function reads one CSV once (cached) and returns plain dictionaries, so
the derivations (:mod:`cohort.derive`) and the display labels
(:mod:`cohort.labels`) share one source:

- ``value_labels.csv``: the label a person reads, by column and code;
- ``ajcc_codes.csv``: the Collaborative Stage derived AJCC 6th/7th codes and
  the category each prints as (``ajcc6_n`` ``11`` is ``N1a``);
- ``n_stage_crosswalk.csv`` / ``t_stage_crosswalk.csv``: staged N and T of
  every edition to one harmonised category;
- ``grade_groups.csv``: grade codes (through 2017, and 2018+) to G1-G4;
- ``count_groups.csv``: positive-node count groups for sites whose AJCC N
  is not count-based;
- ``cod_site_recode.csv``: SEER's COD to site recode.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("cohort").joinpath("data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def value_labels() -> dict[str, dict[str, str]]:
    """``{column: {code: label}}`` from ``value_labels.csv``, the derived AJCC
    codes and the COD to site recode.

    >>> value_labels()["sex"]["2"]
    'female'
    >>> value_labels()["ajcc7_n"]["110"]
    'N1a'
    """
    out: dict[str, dict[str, str]] = {}
    for row in _rows("value_labels.csv"):
        out.setdefault(row["column"], {})[row["code"]] = row["label"]
    for item, codes in ajcc_codes().items():
        out[item] = dict(codes)
    out["cod_site_recode"] = {code: label for code, (label, _) in cod_site_recode().items()}
    return out


@cache
def ajcc_codes() -> dict[str, dict[str, str]]:
    """``{item: {code: category}}`` for the derived AJCC 6th and 7th items."""
    out: dict[str, dict[str, str]] = {}
    for row in _rows("ajcc_codes.csv"):
        out.setdefault(row["item"], {})[row["code"]] = row["label"]
    return out


@cache
def n_stage_crosswalk() -> dict[str, dict[str, tuple[str | None, str]]]:
    """``{source: {code: (n_stage or None, n_stage_group)}}``.

    Sources ``ajcc6`` and ``ajcc7`` are keyed by the item's numeric code;
    ``written`` (SEER combined and EOD 2018 N, which write the category) by
    the first characters of the category once prefixes are removed (see
    :func:`cohort.derive.staging.written_category`).
    """
    out: dict[str, dict[str, tuple[str | None, str]]] = {}
    for row in _rows("n_stage_crosswalk.csv"):
        out.setdefault(row["source"], {})[row["code"]] = (
            row["n_stage"] or None, row["n_stage_group"]
        )
    return out


@cache
def t_stage_crosswalk() -> dict[str, dict[str, str | None]]:
    """``{source: {code: t_stage or None}}``, keyed as the N crosswalk."""
    out: dict[str, dict[str, str | None]] = {}
    for row in _rows("t_stage_crosswalk.csv"):
        out.setdefault(row["source"], {})[row["code"]] = row["t_stage"] or None
    return out


@cache
def grade_groups() -> dict[str, dict[str, str]]:
    """``{source: {code: grade_group}}``; sources ``grade`` (item 440,
    through 2017) and ``grade_2018`` (items 3843 and 3844)."""
    out: dict[str, dict[str, str]] = {}
    for row in _rows("grade_groups.csv"):
        out.setdefault(row["source"], {})[row["code"]] = row["grade_group"]
    return out


@cache
def count_groups() -> dict[str, list[tuple[str, int, int | None]]]:
    """``{site_group: [(group, min_positive, max_positive or None), ...]}``."""
    out: dict[str, list[tuple[str, int, int | None]]] = {}
    for row in _rows("count_groups.csv"):
        hi = int(row["max_positive"]) if row["max_positive"] else None
        out.setdefault(row["site_group"], []).append(
            (row["group"], int(row["min_positive"]), hi)
        )
    return out


@cache
def cod_site_recode() -> dict[str, tuple[str, str]]:
    """``{code: (label, group)}``; group is alive / cancer / other / unknown."""
    return {row["code"]: (row["label"], row["group"]) for row in _rows("cod_site_recode.csv")}
