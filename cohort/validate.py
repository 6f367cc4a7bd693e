"""Validation: code lists over text, then typed values beside the codes.

Every value is read as text, trimmed, and normalised the way registry
software does (numeric codes shorter than the item width are left-padded
with zeros, so ``"5"`` is ``"05"``; ICD-O topography loses its dot and a
SEER three-digit site gains its ``C``; ISO dates lose their dashes). It is
then checked against the item's code list in ``items.csv``.

What an invalid value does depends on the item, as NAACCR EDITS would have
it. The identity and analysis keys (patient, sequence, site, histology,
behaviour, dates, vital status, follow-up; ``on_invalid = reject``) reject
the record: one row in ``rejects`` per failed check, with the value as it
appeared in the file. Any other item with a value that cannot be one of its
codes is set to unknown (blank) and listed in ``item_edits``; the record
loads. A blank value is unknown, never an error, except for the key items
every record needs.

An item may come from several columns (``Primary Site`` and ``Primary Site
- labeled``; single-age and grouped age recodes). The most precise value is
kept and the others must agree with it; a record whose columns disagree is
rejected with every value.

Date logic follows the NAACCR EDITS of the same name: a diagnosis or
contact date after the day of the load, and a date of last contact before
the diagnosis, reject the record (they are keys of the follow-up).

All of it is generated SQL run by DuckDB, so validation streams with the
read instead of pulling records into Python. Code-list patterns and reasons
are bound as parameters; only quoted identifiers are spliced into the text.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from cohort import codelist
from cohort.items import Item, items, items_by_name
from cohort.readers.base import Source, quote_ident

_DATE_SHAPE = "[0-9]{4}([0-9]{2}([0-9]{2})?)?"
# SEER age recodes: a top-coded age (85+) or a group (45-49), beside the
# exact ages of the code list
_AGE_TOP = "[0-9]{1,3}\\+"
_AGE_GROUP = "[0-9]{1,3}-[0-9]{1,3}"
AGE_MAX = 120


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

    Cheap tests come first (the length), and "all digits" is a regular
    expression: DuckDB's RE2 full match is several times faster than
    ``ltrim(v, '0123456789') = ''``, which builds a new string per value.
    upper() runs only for items whose codes contain upper-case letters only.
    """
    if item.kind == "text":
        return t
    if item.kind == "date":
        # 2015-03-02, 2015/03/02 and 2015-03 are accepted as YYYYMMDD / YYYYMM
        return (
            f"case when length({t}) > 8 or {t}[5] in ('-', '/') "
            f"then replace(replace({t}, '-', ''), '/', '') else {t} end"
        )
    if item.kind == "age":
        return (
            f"case when regexp_full_match({t}, '[0-9]+') then lpad({t}, {item.width}, '0') "
            f"when regexp_full_match({t}, '{_AGE_TOP}') "
            f"then cast(try_cast(rtrim({t}, '+') as integer) as varchar) || '+' "
            f"when regexp_full_match({t}, '{_AGE_GROUP}') "
            f"then lpad(split_part({t}, '-', 1), 2, '0') || '-' "
            f"|| lpad(split_part({t}, '-', 2), 2, '0') "
            f"else {t} end"
        )
    if item.name == "primary_site":
        # C50.4, c504 and SEER's three-digit 504 are all C504
        t = f"replace({t}, '.', '')"
        return (
            f"case when length({t}) = 3 and regexp_full_match({t}, '[0-9]+') then 'C' || {t} "
            f"else upper({t}) end"
        )
    if _fixed_width(item):
        padded = (
            f"case when length({t}) < {item.width} and regexp_full_match({t}, '[0-9]+') "
            f"then lpad({t}, {item.width}, '0') else {t} end"
        )
    else:  # codes of several lengths (TNM N: p0, p0I-, 88): a short code is not padded
        padded = t
    return f"upper({padded})" if _upper_only(item) else padded


def _upper_only(item: Item) -> bool:
    """Are the item's codes upper case only (so a value is upper-cased)?"""
    return bool(re.search("[A-Z]", item.pattern) and not re.search("[a-z]", item.pattern))


def _fixed_width(item: Item) -> bool:
    """Are the item's numeric codes zero-padded to its width? Yes unless its
    code list holds codes of other lengths."""
    if not item.code_list:
        return True
    return codelist.widths(item.codes) == {item.width}


@cache
def fast_pattern(item: Item) -> str | None:
    """The item's pattern when a value matching it, untrimmed, is already a
    normalised code of the item; else None.

    Such a value needs neither trimming, padding nor a second check: one
    regular-expression match (RE2, a DFA) replaces trim, a pad and two
    matches, and most values of an extract are such codes. Only items whose
    pattern is compiled from their code list qualify (it accepts exactly
    these codes), and only when no code holds a space and every code
    normalises to itself (codes are padded to the item's width and in
    their own case).
    """
    if item.kind not in ("code", "integer") or not item.code_list:
        return None
    codes = codelist.all_codes(item.codes)
    if not codes or any(c != c.strip() or " " in c for c in codes):
        return None
    if any(_normalise_py(item, c) != c for c in codes):
        return None
    return item.pattern


def _normalise_py(item: Item, code: str) -> str:
    """What :func:`_normalise` does to a trimmed code (for :func:`fast_pattern`)."""
    if item.name == "primary_site":
        code = code.replace(".", "")
        return "C" + code if len(code) == 3 and code.isdigit() else code.upper()
    if _fixed_width(item) and len(code) < item.width and code.isdigit():
        code = code.zfill(item.width)
    return code.upper() if _upper_only(item) else code


def _bad(item: Item, v: str, p: _Params) -> str:
    """SQL that is true when the (non-blank) value ``v`` is not a code of the item."""
    if item.kind == "date":
        full = f"case length({v}) when 8 then {v} when 6 then {v} || '01' else {v} || '0101' end"
        return (
            f"not regexp_full_match({v}, {p(_DATE_SHAPE)}) "
            f"or try_strptime({full}, '%Y%m%d') is null "
            f"or substr({v}, 1, 4) < '1900'"
        )
    if item.kind == "age":
        return (
            f"not (regexp_full_match({v}, {p(item.pattern)}) "
            f"or coalesce(_age_lo({v}) <= _age_hi({v}) and _age_hi({v}) <= {AGE_MAX}, false))"
        )
    return f"not regexp_full_match({v}, {p(item.pattern)})"


def _reason(item: Item) -> str:
    if item.kind == "date":
        return f"{item.name} must be a date: {item.codes}"
    if item.kind == "age":
        return (f"{item.name} must be {item.codes}, or a SEER age recode "
                f"(top-coded 85+, 90+, 100+; a group such as 45-49)")
    return f"{item.name} must be {item.codes}"


AGE_MACROS = (
    # lowest and highest age a normalised age value stands for (NULL if none)
    "create or replace temp macro _age_lo(a) as case "
    f"when regexp_full_match(a, '[0-9]{{3}}') and a <> '999' then cast(a as integer) "
    f"when regexp_full_match(a, '{_AGE_TOP}') then cast(rtrim(a, '+') as integer) "
    f"when regexp_full_match(a, '{_AGE_GROUP}') then cast(split_part(a, '-', 1) as integer) end",
    "create or replace temp macro _age_hi(a) as case "
    f"when regexp_full_match(a, '[0-9]{{3}}') and a <> '999' then cast(a as integer) "
    f"when regexp_full_match(a, '{_AGE_TOP}') then {AGE_MAX} "
    f"when regexp_full_match(a, '{_AGE_GROUP}') then cast(split_part(a, '-', 2) as integer) end",
)


def prepare(con) -> None:
    """Create the temporary SQL macros validation uses (once per connection)."""
    for sql in AGE_MACROS:
        con.execute(sql)


def staging_query(
    source: Source,
    mapping: dict[str, list[str]],
    extra: list[str],
    *,
    today: date | None = None,
) -> tuple[str, dict]:
    """SQL that reads ``source`` into normalised text columns plus ``errors``
    (reasons that reject the record) and ``edits`` (values set to unknown).

    ``mapping`` maps canonical item names to the file's column(s) for it;
    ``extra`` are file columns kept in the ``extra`` map. Items the file
    does not carry are NULL. ``today`` is the day of the load (dates after
    it are in the future). Run :func:`prepare` on the connection first.
    """
    p = _Params(source.params)
    today = today or date.today()
    fast_flags, trimmed, norm_cols, combined = [], [], [], []
    fast: dict[str, str] = {}  # item -> its column flagging exact codes
    conflicts: list[tuple[Item, str, str]] = []
    for it in items():
        v = quote_ident(it.name)
        raw_name = quote_ident("__raw_" + it.name)
        columns = mapping.get(it.name, [])
        if not columns:
            norm_cols.append(f"cast(null as varchar) as {v}")
            combined.append(v)
            continue
        exact = fast_pattern(it) if len(columns) == 1 else None
        for j, col in enumerate(columns):
            raw = quote_ident(col)
            t = quote_ident(f"__t{j}_{it.name}")
            n = quote_ident(f"__n{j}_{it.name}")
            if exact is not None:  # exact codes pass as they are; the rest are normalised
                f = quote_ident(f"__f{j}_{it.name}")
                fast_flags.append(f"coalesce(regexp_full_match({raw}, {p(exact)}), false) as {f}")
                trimmed.append(f"case when {f} then {raw} else nullif(trim({raw}), '') end as {t}")
                trimmed.append(f)
                norm_cols.append(f"case when {f} then {t} else {_normalise(it, t)} end as {n}")
                norm_cols.append(f)
                fast[it.name] = f
            else:
                trimmed.append(f"nullif(trim({raw}), '') as {t}")
                norm_cols.append(f"{_normalise(it, t)} as {n}")
            trimmed.append(f"{raw} as {quote_ident(f'__r{j}_{it.name}')}")
            norm_cols.append(quote_ident(f"__r{j}_{it.name}"))
        if len(columns) == 1:
            combined.append(f'"__n0_{it.name}" as {v}')
            combined.append(f'"__r0_{it.name}" as {raw_name}')
            if it.name in fast:
                combined.append(fast[it.name])
            continue
        value, conflict, shown = _reconcile(it, columns, p)
        combined.append(f"{value} as {v}")
        raws = ", ".join(quote_ident(f"__r{j}_{it.name}") for j in range(len(columns)))
        combined.append(f"coalesce({raws}) as {raw_name}")
        combined.append(f"{conflict} as {quote_ident('__conflict_' + it.name)}")
        # the values side by side, built only for the records that disagree
        combined.append(f"case when {conflict} then {shown} end "
                        f"as {quote_ident('__shown_' + it.name)}")
        conflicts.append((it, quote_ident("__conflict_" + it.name),
                          quote_ident("__shown_" + it.name)))
    if extra:
        keys = p(list(extra))
        vals = ", ".join(quote_ident(c) for c in extra)
        trimmed.append(f"map({keys}, [{vals}]) as extra")
    else:
        trimmed.append("cast(null as map(varchar, varchar)) as extra")
    norm_cols.append("extra")
    combined.append("extra")

    rejects, edits, flags, edited = [], [], [], []
    staged = staged_items(mapping)  # checked and kept; the rest are blank everywhere
    failed_keys, failed_edits = [], []

    def entry(field: str, value: str, reason: str) -> str:
        return f"{{'field': {p(field)}, 'value': {value}, 'reason': {reason}}}"

    for it in items():
        if it.name not in staged:
            continue
        v = quote_ident(it.name)
        raw = quote_ident("__raw_" + it.name) if it.name in mapping else "cast(null as varchar)"
        bad = quote_ident("__bad_" + it.name)
        check = f"coalesce({v} is not null and ({_bad(it, v, p)}), false)"
        if it.name in fast:  # an exact code is good; only the others are checked
            check = f"case when {fast[it.name]} then false else {check} end"
        flags.append(f"{check} as {bad}")
        reason = p(_reason(it))
        if it.required == "yes":
            blank = f"{v} is null"
            failed_keys.append(blank)
            rejects.append(
                f"case when {blank} then "
                + entry(it.name, raw, p(f"{it.name} is blank; every record needs one ({it.codes})"))
                + " end"
            )
        if it.rejects:
            failed_keys.append(bad)
            rejects.append(f"case when {bad} then {entry(it.name, raw, reason)} end")
        else:
            failed_edits.append(bad)
            edits.append(
                f"case when {bad} then {{'item': {p(it.name)}, 'value': {raw}, "
                f"'reason': {reason} || '; set to unknown'}} end"
            )
            edited.append(it.name)
    for it, conflict, shown in conflicts:
        failed_keys.append(conflict)
        rejects.append(
            f"case when {conflict} then "
            + entry(it.name, shown, p(f"the columns for {it.name} disagree; correct the extract "
                                      "so they give the same value"))
            + " end"
        )
    for cond, field, value, reason in _future_dates(mapping, today, p):
        failed_keys.append(cond)
        rejects.append(f"case when {cond} then {entry(field, value, reason)} end")
    before = _contact_before_diagnosis(mapping, p)
    if before is not None:
        cond, value, reason = before
        flags.append(f"{cond} as __contact_before_dx")
        failed_edits.append("__contact_before_dx")
        edits.append(f"case when __contact_before_dx then {{'item': 'last_contact_date', "
                     f"'value': {value}, 'reason': {reason}}} end")

    def listed(failed: list[str], parts: list[str]) -> str:
        # Lists are built only for records that fail a check: most records
        # pass, and building 30-element lists for them is the slow part.
        if not parts:
            return "[]"
        return (f"case when {' or '.join(failed)} "
                f"then [x for x in [{', '.join(parts)}] if x is not null] else [] end")

    keep = []
    for it in items():
        v = quote_ident(it.name)
        if it.name not in staged:
            continue  # blank in every record: typed_select writes the NULL
        if it.name == "last_contact_date" and before is not None:
            keep.append(f"case when __contact_before_dx then null else {v} end as {v}")
        elif it.name in edited:
            bad = quote_ident("__bad_" + it.name)
            keep.append(f"case when {bad} then null else {v} end as {v}")
        else:
            keep.append(v)
    keep.append("extra")
    src = source.relation
    if fast_flags:
        src = f"(select *, {', '.join(fast_flags)} from {source.relation})"
    sql = (
        f"with trimmed as (select {', '.join(trimmed)} from {src}), "
        f"norm as (select {', '.join(norm_cols)} from trimmed), "
        f"combined as (select {', '.join(combined)} from norm), "
        f"flagged as (select *, {', '.join(flags) if flags else 'true as __none'} from combined) "
        f"select {', '.join(keep)}, {listed(failed_keys, rejects)} as errors, "
        f"{listed(failed_edits, edits)} as edits from flagged"
    )
    return sql, p.values


def staged_items(mapping: dict[str, list[str]]) -> set[str]:
    """The items a staging table of this mapping holds: those the file gives,
    and the required ones (checked in every record). The others are blank in
    every record; a column of NULLs costs DuckDB about 5 bytes a record in
    memory (1.3 GB for 26 of them at 10 million records), so they are left
    out of the staging table, which then spills less."""
    return {it.name for it in items()
            if it.name in mapping or it.required in ("yes", "column")}


def _reconcile(it: Item, columns: list[str], p: _Params) -> tuple[str, str, str]:
    """SQL for one item given by several columns: (value, conflict, shown).

    The value is the most precise one (for ages: an exact age before a
    top-coded one before a group; otherwise the first column given); the
    conflict is true when another column says something else; ``shown``
    lists every column's value for the reject row.
    """
    n = [f'"__n{j}_{it.name}"' for j in range(len(columns))]
    r = [f'"__r{j}_{it.name}"' for j in range(len(columns))]
    shown = " || '; ' || ".join(
        f"{p(col)} || ' = ' || coalesce({rj}, 'blank')" for col, rj in zip(columns, r, strict=True)
    )
    if it.kind == "age":
        spans = ", ".join(f"{{'w': _age_hi({x}) - _age_lo({x}), 'lo': _age_lo({x}), "
                          f"'hi': _age_hi({x}), 'v': {x}}}" for x in n)
        known = f"list_sort(list_filter([{spans}], lambda s: s.w is not null))"
        chosen = f"{known}[1]"
        value = f"coalesce({chosen}.v, {', '.join(n)})"
        conflict = (f"coalesce(list_bool_or(list_transform({known}, "
                    f"lambda s: s.lo > {chosen}.lo or s.hi < {chosen}.hi)), false)")
        return value, conflict, shown
    value = f"coalesce({', '.join(n)})"
    conflict = " or ".join(f"coalesce({x} <> {value}, false)" for x in n)
    return value, f"({conflict})", shown


def _future_dates(mapping, today: date, p: _Params) -> list[tuple[str, str, str, str]]:
    """(condition, field, value, reason): valid dates later than the day of the
    load (compared at their own precision), which reject the record."""
    out = []
    stamp = today.strftime("%Y%m%d")
    for name in ("dx_date", "last_contact_date", "dx_year"):
        if name not in mapping:
            continue
        v = quote_ident(name)
        what = "year of diagnosis" if name == "dx_year" else name
        out.append((
            f"coalesce(not \"__bad_{name}\" and {v} > left({p(stamp)}, length({v})), false)",
            name,
            quote_ident("__raw_" + name),
            p(f"{what} is after the day of the load ({today.isoformat()}); a date cannot be "
              "in the future: correct it, or leave it blank if unknown"),
        ))
    return out


def _contact_before_diagnosis(mapping, p: _Params) -> tuple[str, str, str] | None:
    """(condition, value, reason) of NAACCR's edit 'Date of Last Contact, Date of
    Diagnosis': the last contact before the diagnosis, compared at the
    precision both dates have. Follow-up from such dates is impossible, so
    the date of last contact is set to unknown and the edit listed; the
    record loads (its survival time, unless supplied, is then unknown)."""
    dx_names = [n for n in ("dx_date", "dx_year") if n in mapping]
    if "last_contact_date" not in mapping or not dx_names:
        return None
    dx = "coalesce(" + ", ".join(
        f"case when not \"__bad_{n}\" then {quote_ident(n)} end" for n in dx_names) + ")"
    lc = "case when not \"__bad_last_contact_date\" then last_contact_date end"
    n = f"least(length({lc}), length({dx}))"
    shown_dx = "coalesce(" + ", ".join(quote_ident("__raw_" + n) for n in dx_names) + ", '')"
    return (
        f"coalesce(left({lc}, {n}) < left({dx}, {n}), false)",
        f"\"__raw_last_contact_date\" || ' (diagnosis ' || {shown_dx} || ')'",
        p("the date of last contact is before the diagnosis (NAACCR edit 'Date of Last "
          "Contact, Date of Diagnosis'); set to unknown"),
    )


def typed_select(
    staging: str, load_id: int, *, record_no: str = "record_no", where: str = "true",
    staged: set[str] | None = None,
) -> str:
    """SQL selecting raw_cases columns (typed values beside codes) from staging.

    ``record_no`` is the SQL expression numbering the staged records;
    ``staged`` the items staging holds (:func:`staged_items`; all when None),
    the others are NULL.
    """
    cols = [f"{int(load_id)} as load_id", f"{record_no} as record_no"]
    for it in items():
        name = quote_ident(it.name)
        v = name if staged is None or it.name in staged else "cast(null as varchar)"
        if it.kind == "integer":
            value = f"cast({v} as integer)"
            if it.unknown:  # e.g. survival months 9999: unknown, not a number
                value = f"case when {v} = '{it.unknown}' then null else {value} end"
            cols.append(f"{value} as {name}")
            cols.append(f"{v} as {quote_ident(it.name + '_code')}")
        elif it.kind == "age":
            # an exact age only when the file gives one; a top-coded (85+) or
            # grouped (45-49) age is kept as such, never made exact
            exact = f"regexp_full_match({v}, '[0-9]{{3}}') and {v} <> '{it.unknown}'"
            cols.append(f"case when {exact} then cast({v} as integer) end as {name}")
            cols.append(f"{v} as {quote_ident(it.name + '_code')}")
            cols.append(f"case when not ({exact}) and {v} <> '{it.unknown}' then {v} end "
                        "as age_group")
            cols.append(f"case when {v} is not null then {v}[-1] = '+' end as age_top_coded")
        elif it.kind == "date":
            stem = it.name.removesuffix("_date")
            cols.append(f"cast(try_strptime({v}, '%Y%m%d') as date) as {name}")
            cols.append(f"{v} as {quote_ident(it.name + '_code')}")
            cols.append(f"try_cast(substr({v}, 5, 2) as integer) as {quote_ident(stem + '_month')}")
            if stem != "dx":
                cols.append(f"cast(substr({v}, 1, 4) as integer) as {quote_ident(stem + '_year')}")
        else:
            cols.append(f"{v} as {name}" if v != name else v)
    cols.append("extra")
    select = ", ".join(cols)
    # Year of diagnosis: from the date when there is one, else the year item.
    return (
        f"select * replace (coalesce(cast(substr(dx_date_code, 1, 4) as integer), dx_year) "
        f"as dx_year) from (select {select} from {staging} where {where})"
    )


def key_items() -> list[str]:
    """Items whose invalid values reject the record (the rest are edited)."""
    return [it.name for it in items() if it.rejects]


__all__ = ["items_by_name", "key_items", "prepare", "staged_items", "staging_query",
           "typed_select"]
