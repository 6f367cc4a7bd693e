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


def _normalise(item: Item, raw: str, p: _Params) -> str:
    t = f"nullif(trim({raw}), '')"
    if item.kind == "text":
        return t
    if item.kind == "date":
        # 2015-03-02, 2015/03/02 and 2015-03 are accepted as YYYYMMDD / YYYYMM
        return (
            f"case when regexp_full_match({t}, {p('[0-9]{4}([-/][0-9]{2}){1,2}')}) "
            f"then regexp_replace({t}, '[-/]', '', 'g') else {t} end"
        )
    if item.name == "primary_site":
        t = f"replace({t}, '.', '')"
    padded = (
        f"case when regexp_full_match({t}, '[0-9]+') and length({t}) < {item.width} "
        f"then lpad({t}, {item.width}, '0') else {t} end"
    )
    return f"upper({padded})"


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
    norm_cols = ["__record as record_no"]
    for it in items():
        if it.name in mapping:
            raw = quote_ident(mapping[it.name])
            norm_cols.append(f"{_normalise(it, raw, p)} as {quote_ident(it.name)}")
            norm_cols.append(f"{raw} as {quote_ident('__raw_' + it.name)}")
        else:
            norm_cols.append(f"cast(null as varchar) as {quote_ident(it.name)}")
    if extra:
        keys = p(list(extra))
        vals = ", ".join(quote_ident(c) for c in extra)
        norm_cols.append(f"map({keys}, [{vals}]) as extra")
    else:
        norm_cols.append("cast(null as map(varchar, varchar)) as extra")

    conditions = []
    for it in items():
        if it.name not in mapping and it.required != "yes":
            continue
        v = quote_ident(it.name)
        raw = quote_ident("__raw_" + it.name) if it.name in mapping else "null"
        for cond, reason in _checks(it, v, p):
            conditions.append(
                f"case when {cond} then {{'field': {p(it.name)}, "
                f"'value': {raw}, 'reason': {p(reason)}}} end"
            )
    errors = (
        f"[x for x in [{', '.join(conditions)}] if x is not null]" if conditions else "[]"
    )
    keep = ", ".join(["record_no", *(quote_ident(it.name) for it in items()), "extra"])
    sql = (
        f"with norm as (select {', '.join(norm_cols)} from {source.relation}) "
        f"select {keep}, {errors} as errors from norm"
    )
    return sql, p.values


def typed_select(staging: str, load_id: int, *, where: str = "true") -> str:
    """SQL selecting raw_cases columns (typed values beside codes) from staging."""
    cols = [f"{int(load_id)} as load_id", "record_no"]
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
