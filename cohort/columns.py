"""Which of a file's columns become items, extra columns, or nothing.

Every column is matched to the alias table (:mod:`cohort.items`); the rest
are judged as identifiers by their words (:func:`cohort.items.identifier`):
a direct identifier (or any NAACCR confidential or text item) refuses the
file, whatever ``--keep-items`` says; a quasi-identifier is dropped with a
notice; a free-text column (notes, remarks; or values that read like
sentences) is dropped with a notice unless kept explicitly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import duckdb

from cohort.errors import (
    ColumnError,
    FreeTextWarning,
    IdentifierError,
    QuasiIdentifierWarning,
)
from cohort.items import canonical_name, identifier, items_by_name, required_groups
from cohort.readers.seerstat import looks_like_values
from cohort.readers.textfile import shorten, shorten_list

# A value of free text: five words or more (runs of letters), 25 characters or more
_FREE_TEXT = r"([A-Za-z]{2,}[^A-Za-z0-9]+){4}[A-Za-z]{2,}"
_FREE_TEXT_SAMPLE = 20_000_000  # (column, value) pairs looked at, at most


def map_columns(
    path: Path, columns: list[str], keep_items: Iterable[str] = ()
) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Match a file's columns to items: (canonical -> columns, extra, dropped).

    An item may come from several columns (``Primary Site`` and ``Primary
    Site - labeled``): validation keeps the most precise value and rejects
    records whose columns disagree.
    Refuses direct identifiers (and NAACCR confidential and text items,
    whatever ``keep_items`` says) and missing required items; drops
    quasi-identifiers with a :class:`QuasiIdentifierWarning`, and free-text
    columns not named in ``keep_items`` with a :class:`FreeTextWarning`.
    """
    keep = {k.strip().casefold() for k in keep_items}
    mapping: dict[str, list[str]] = {}
    extra, dropped, free, direct = [], [], [], []
    for col in columns:
        name = canonical_name(col)
        ident = identifier(col) if name is None else None
        if ident is not None and ident.kind == "direct":
            direct.append(f"{shorten(col, 60)!r} ({ident.what})")
            continue
        if ident is not None and ident.kind == "quasi":
            dropped.append(col)
            continue
        if ident is not None and col.strip().casefold() not in keep:  # free text
            free.append(col)
            continue
        if name is None:
            extra.append(col)
        else:
            mapping.setdefault(name, []).append(col)
    if direct:
        raise IdentifierError(
            f"{path}: column {shorten_list(direct, 10)} is a direct identifier; cohort loads "
            "de-identified extracts only, so nothing was loaded. Remove the column from "
            "the extract and load again"
        )
    missing = []
    for group, names in required_groups().items():
        if group == "yes":
            missing += [_describe(n) for n in names if n not in mapping]
        elif not any(n in mapping for n in names):
            missing.append("one of " + " or ".join(_describe(n) for n in names))
    if missing:
        hint = ""
        if len(columns) == 1:
            hint = (
                " The header was read as one column, so the delimiter was not recognised;"
                " use comma, tab, semicolon or pipe."
            )
        elif looks_like_values(columns):
            hint = (
                " The first line holds SEER*Stat values, not names: a SEER*Stat export without"
                " variable names needs its export dictionary (.dic, same name) beside it."
            )
        raise ColumnError(
            f"{path}: required columns missing: {'; '.join(missing)}. "
            f"The file has: {shorten_list([shorten(c, 60) for c in columns], 40)}.{hint} "
            "Rename or add the columns (accepted names are listed in cohort's items.csv) "
            "and load again"
        )
    if dropped:
        warnings.warn(
            f"{path}: dropped quasi-identifier column(s) {shorten_list(dropped, 20)}; "
            "they are not needed for survival analysis",
            QuasiIdentifierWarning,
            stacklevel=3,
        )
    if free:
        _warn_free_text(path, free, "by name")
    return mapping, extra, dropped + free


def _warn_free_text(path: Path, columns: list[str], how: str) -> None:
    warnings.warn(
        f"{path}: dropped free-text column(s) {shorten_list(columns, 20)} ({how}: notes and "
        "remarks can hold names); keep one with --keep-items NAME if it holds no identifiers",
        FreeTextWarning,
        stacklevel=4,
    )


def _describe(name: str) -> str:
    it = items_by_name()[name]
    return f"{name} (NAACCR {it.item} {it.naaccr_id})" if it.item else name


def drop_free_text(con: duckdb.DuckDBPyConnection, staging: str, path: Path, extra: list[str],
                   keep_items: Iterable[str]) -> list[str]:
    """Extra columns whose values read like sentences (five words or more)
    are dropped from ``staging``'s ``extra`` map with a notice, unless named
    in ``keep_items``; returns them. At most 20 million (column, value)
    pairs are looked at (the first records of a very wide file)."""
    keep = {k.strip().casefold() for k in keep_items}
    candidates = [c for c in extra if c.strip().casefold() not in keep]
    if not candidates:
        return []
    limit = max(1, _FREE_TEXT_SAMPLE // len(extra))
    found = [r[0] for r in con.execute(
        "select k from (select unnest(map_keys(extra)) as k, unnest(map_values(extra)) as v "
        f"from (select extra from {staging} where extra is not null limit {limit})) "
        "where list_contains($cand, k) and length(v) >= 25 and regexp_matches(v, $pattern) "
        "group by k", {"cand": candidates, "pattern": _FREE_TEXT}).fetchall()]
    if not found:
        return []
    found = [c for c in extra if c in found]
    con.execute(
        f"update {staging} set extra = case when len(e) = 0 then null "
        "else map_from_entries(e) end from (select rowid as r, list_filter(map_entries(extra), "
        f"lambda x: not list_contains($drop, x.key)) as e from {staging}) as f "
        f"where {staging}.rowid = f.r", {"drop": found}).fetchall()
    _warn_free_text(path, found, "values of five words or more")
    return found
