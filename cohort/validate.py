"""Validation: code sets over text, then typed values beside the codes.

Every value is read as text, trimmed, and normalised the way registry
software does (numeric codes shorter than the item width are left-padded
with zeros, so ``"5"`` is ``"05"``; ICD-O topography loses its dot; ISO
dates lose their dashes). It is then checked against the item's code set in
``items.csv``. A record with any failed check is a reject: one row per
failed field, with the value as it appeared in the file.

All of it is generated SQL run by DuckDB, so validation streams with the
read instead of pulling records into Python. Code-set patterns and reasons
are bound as parameters; only quoted identifiers are spliced into the text.
"""

from __future__ import annotations

import re

from cohort.items import Item, items
from cohort.readers.base import Source, quote_ident

_DATE_SHAPE = "[0-9]{4}([0-9]{2}([0-9]{2})?)?"


class _Params:
    """Collects bound parameters while SQL text is assembled."""

    def __init__(self, initial: dict | None = None):
        self.values: dict = dict(initial or {})

    def __call__(self, value) -> str:
        name = f"v{len(self.values)}"
        self.values[name] = value
        return "$" + name


def _normalise(item: Item, t: str) -> str:
    """SQL normalising the trimmed text ``t`` (NULL when blank) of one item.

    Written to avoid regular expressions on the hot path: ltrim with the
    digit set tells "all digits" cheaply, and upper() runs only for items
    whose codes contain letters.
    """
    if item.kind == "text":
        return t
    if item.kind == "date":
        # 2015-03-02, 2015/03/02 and 2015-03 are accepted as YYYYMMDD / YYYYMM
        return (
            f"case when length({t}) > 8 or {t}[5] in ('-', '/') "
            f"then replace(replace({t}, '-', ''), '/', '') else {t} end"
        )
    if item.name == "primary_site":
        t = f"replace({t}, '.', '')"
    padded = (
        f"case when length({t}) < {item.width} and ltrim({t}, '0123456789') = '' "
        f"then lpad({t}, {item.width}, '0') else {t} end"
    )
    return f"upper({padded})" if re.search("[A-Z]", item.pattern) else padded


def _checks(item: Item, v: str, p: _Params) -> list[tuple[str, str]]:
    """(SQL condition that is true when the value is bad, reason) pairs."""
    checks = []
    if item.required == "yes":
        checks.append(
            (f"{v} is null", f"{item.name} is blank; every record needs one ({item.codes})")
        )
    if item.kind == "date":
        full = f"case length({v}) when 8 then {v} when 6 then {v} || '01' else {v} || '0101' end"
        bad = (
            f"not regexp_full_match({v}, {p(_DATE_SHAPE)}) "
            f"or try_strptime({full}, '%Y%m%d') is null "
            f"or substr({v}, 1, 4) < '1900'"
        )
        checks.append(
            (f"{v} is not null and ({bad})", f"{item.name} must be a date: {item.codes}")
        )
    elif item.pattern:
        checks.append(
            (
                f"{v} is not null and not regexp_full_match({v}, {p(item.pattern)})",
                f"{item.name} must be {item.codes}",
            )
        )
    return checks


def staging_query(source: Source, mapping: dict[str, str], extra: list[str]) -> tuple[str, dict]:
    """SQL that reads ``source`` into normalised text columns plus ``errors``.

    ``mapping`` maps canonical item names to the file's column names;
    ``extra`` are file columns kept in the ``extra`` map. Items the file
    does not carry are NULL.
    """
    p = _Params(source.params)
    # Three steps, so each value is trimmed once: trim -> normalise -> check.
    trimmed, norm_cols = [], []
    for it in items():
        v = quote_ident(it.name)
        if it.name in mapping:
            raw = quote_ident(mapping[it.name])
            trimmed.append(f"nullif(trim({raw}), '') as {v}")
            trimmed.append(f"{raw} as {quote_ident('__raw_' + it.name)}")
            norm_cols.append(f"{_normalise(it, v)} as {v}")
            norm_cols.append(quote_ident("__raw_" + it.name))
        else:
            norm_cols.append(f"cast(null as varchar) as {v}")
    if extra:
        keys = p(list(extra))
        vals = ", ".join(quote_ident(c) for c in extra)
        trimmed.append(f"map({keys}, [{vals}]) as extra")
    else:
        trimmed.append("cast(null as map(varchar, varchar)) as extra")
    norm_cols.append("extra")

    conditions, failed = [], []
    for it in items():
        if it.name not in mapping and it.required not in ("yes", "column"):
            continue
        v = quote_ident(it.name)
        raw = quote_ident("__raw_" + it.name) if it.name in mapping else "null"
        for cond, reason in _checks(it, v, p):
            failed.append(f"coalesce({cond}, false)")
            conditions.append(
                f"case when {cond} then {{'field': {p(it.name)}, "
                f"'value': {raw}, 'reason': {p(reason)}}} end"
            )
    # The list of reasons is built only for records that fail a check: most
    # records pass, and building 30-element lists for them is the slow part.
    errors = (
        f"case when {' or '.join(failed)} "
        f"then [x for x in [{', '.join(conditions)}] if x is not null] else [] end"
        if conditions
        else "[]"
    )
    keep = ", ".join([*(quote_ident(it.name) for it in items()), "extra"])
    sql = (
        f"with trimmed as (select {', '.join(trimmed)} from {source.relation}), "
        f"norm as (select {', '.join(norm_cols)} from trimmed) "
        f"select {keep}, {errors} as errors from norm"
    )
    return sql, p.values


def typed_select(
    staging: str, load_id: int, *, record_no: str = "record_no", where: str = "true"
) -> str:
    """SQL selecting raw_cases columns (typed values beside codes) from staging.

    ``record_no`` is the SQL expression numbering the staged records.
    """
    cols = [f"{int(load_id)} as load_id", f"{record_no} as record_no"]
    for it in items():
        v = quote_ident(it.name)
        if it.kind == "integer":
            value = f"cast({v} as integer)"
            if it.unknown:  # e.g. age 999, survival months 9999: unknown, not a number
                value = f"case when {v} = '{it.unknown}' then null else {value} end"
            cols.append(f"{value} as {v}")
            cols.append(f"{v} as {quote_ident(it.name + '_code')}")
        elif it.kind == "date":
            stem = it.name.removesuffix("_date")
            cols.append(f"cast(try_strptime({v}, '%Y%m%d') as date) as {v}")
            cols.append(f"{v} as {quote_ident(it.name + '_code')}")
            cols.append(f"try_cast(substr({v}, 5, 2) as integer) as {quote_ident(stem + '_month')}")
            if stem != "dx":
                cols.append(f"cast(substr({v}, 1, 4) as integer) as {quote_ident(stem + '_year')}")
        else:
            cols.append(v)
    cols.append("extra")
    select = ", ".join(cols)
    # Year of diagnosis: from the date when there is one, else the year item.
    return (
        f"select * replace (coalesce(cast(substr(dx_date_code, 1, 4) as integer), dx_year) "
        f"as dx_year) from (select {select} from {staging} where {where})"
    )
