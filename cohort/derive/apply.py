"""Writing derived variables into the registry database: one SQL statement for the loads.

Registry codes repeat endlessly: a million records hold a few thousand
distinct combinations of the inputs of each block of variables
(:func:`cohort.derive.blocks`). For each block, DuckDB lists the distinct
combinations of its input columns in raw_cases; polars evaluates the block's
expressions on those rows only (the definitions stay the polars expressions
of :mod:`cohort.derive`); the small result becomes a lookup table that
lives only while the loads are derived (all the loads derived together share
them).
One ``insert ... select`` then joins raw_cases to every lookup and computes the
per-record variables (survival months from the dates, exclusions) as SQL
expressions, so no record travels through Python or Arrow: DuckDB streams the
table in bounded memory at any registry size.

case_derived is written in the physical order of raw_cases (``order by
rowid``), so the two tables stay in step and ``cases`` pairs them by position
(sql/pairing/by_position.sql). Runs inside the caller's transaction, so a
load and its derivation land together.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

import duckdb
import polars as pl

from cohort.derive import DERIVED_COLUMNS, blocks
from cohort.derive.eligibility import EXCLUSIONS, exclusion_sql
from cohort.derive.followup import (
    EVENT_INPUTS,
    cause,
    event,
    event_cancer,
    surv_months_source_sql,
    surv_months_sql,
)
from cohort.text import quote_ident

#: names of the lookup tables (one per block, dropped after the insert)
_LOOKUP = "__derive_lookup_{}"
#: DuckDB's memory limit while deriving: the insert sorts by rowid, and a sort
#: holds rows in memory up to the limit (default 80% of RAM) before it spills to
#: disk; capped, the derivation's peak stays flat as the registry grows (10M
#: records: 0.75 GB with this limit, 1.2 GB with 1 GB, for the same CPU time;
#: benchmarks/README.md)
MEMORY_LIMIT = "512MB"


def _blocks() -> list[tuple[tuple[str, ...], list[pl.Expr], pl.Expr | None]]:
    """The blocks of :func:`cohort.derive.blocks`, and the event variables (a
    function of four codes: one more block here, row by row in polars)."""
    return [*blocks(), (EVENT_INPUTS, [event(), event_cancer(), cause()], None)]


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Enum columns as text: DuckDB joins and casts them to case_derived's types."""
    return frame.with_columns(
        pl.col(c).cast(pl.Utf8) for c, t in frame.schema.items() if isinstance(t, pl.Enum)
    )


#: blocks with fewer combinations are evaluated whole (:func:`_evaluate`)
_SPLIT_ROWS = 2_000


def _evaluate(rows: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    """``rows.with_columns(exprs)``, each expression evaluated once per distinct
    combination of the columns it reads (its root names) and joined back: a
    block's combinations are those of all its keys (44,111 rows in the node
    block at 1M), and most of its variables read only a few of them
    (nodes_positive: 51 combinations; node_burden, the costliest: 9,089).

    >>> rows = pl.DataFrame({"a": [1, 1, 2, None] * 600, "b": ["x", "y", "x", "y"] * 600})
    >>> out = _evaluate(rows, [(pl.col("a") * 10).alias("c"), pl.lit(1).alias("d")])
    >>> out.rows()[:4], out.equals(rows.with_columns(c=pl.col("a") * 10, d=1))
    ([(1, 'x', 10, 1), (1, 'y', 10, 1), (2, 'x', 20, 1), (None, 'y', None, 1)], True)
    """
    if rows.height < _SPLIT_ROWS:  # a few rows: the joins back would cost more
        return rows.with_columns(exprs)
    whole, found = [], []
    for expr in exprs:
        roots = list(dict.fromkeys(expr.meta.root_names()))
        if not roots or not set(roots) <= set(rows.columns) or len(roots) == rows.width:
            whole.append(expr)  # reads nothing (a literal) or every column: as it is
            continue
        part = rows.select(roots).unique().with_columns(expr)
        found.append((roots, part.select(*roots, expr.meta.output_name())))
    out = rows.with_columns(whole) if whole else rows
    for roots, part in found:
        out = out.join(part, on=roots, how="left", nulls_equal=True, maintain_order="left")
    return out.select(*rows.columns, *(e.meta.output_name() for e in exprs))


def _typed(key: str, made: dict[str, int]) -> str:
    """A lookup key column of the type it has where the records read it."""
    return f"d.{quote_ident(key)}" if key in made else f"r.{quote_ident(key)}"


def _lookups(con: duckdb.DuckDBPyConnection, load_ids: list[int]) -> list[Shape]:
    """Create one lookup table per block for the loads: the distinct
    combinations of the block's keys with the block's outputs. Returns each
    block's :class:`Shape`.

    A key derived by an earlier block is found by joining that block's lookup
    when the keys it depends on are at hand (site_group from primary_site and
    histology in the node block), else every value it takes is crossed with
    the combinations (node_status in the ENE block: three values, and null).
    Either way the lookup holds every combination a record can have, and the
    expressions read only the keys, so each record's values are those of
    evaluating it alone.

    Each lookup also holds ``__h``, DuckDB's 64-bit ``hash()`` of its join keys
    (the keys, less a derived key joined in from keys of the same block: a
    function of them), so records join it on one integer instead of comparing
    up to eleven codes; that is exact only while no two rows of the lookup hash
    alike, which is checked (a record's combination is one of the rows, so it
    can only meet its own), and a lookup that fails the check (or holds only
    some combinations: a block with ``where``) is joined on its keys instead."""
    made: dict[str, int] = {}  # derived column -> block number
    tables: list[pl.DataFrame] = []
    shapes: list[Shape] = []
    for i, (keys, exprs, where) in enumerate(_blocks()):
        keys = list(dict.fromkeys(keys))
        raw = [k for k in keys if k not in made]
        rows = con.sql(
            f"select distinct {', '.join(map(quote_ident, raw))} from raw_cases "
            f"where {_LOADS.format('')}", params=_loads_params(load_ids)).pl()
        implied: set[str] = set()  # derived keys that are functions of this block's keys
        for key in (k for k in keys if k in made):
            if key in rows.columns:
                implied.add(key)  # joined in with an earlier derived key
                continue
            source = tables[made[key]]
            source_keys = shapes[made[key]].keys
            if set(source_keys) <= set(rows.columns):
                implied.add(key)
                found = source.select(*source_keys, *(c for c in source.columns
                                                      if c in keys and c not in rows.columns))
                rows = rows.join(found, on=source_keys, how="left", nulls_equal=True)
            else:
                values = pl.concat([source.select(key), pl.DataFrame({key: [None]},
                                   schema={key: source.schema[key]})]).unique()
                rows = rows.join(values, how="cross")
        rows = rows.select(keys)
        if where is not None:
            rows = rows.filter(where)
        lookup = _plain(_evaluate(rows, exprs))
        outputs = [c for c in lookup.columns if c not in keys]
        for out in outputs:
            made[out] = i
        tables.append(lookup)
        # a table of the types of case_derived (its enum types), so the records
        # carry one-byte enum codes, not text cast to an enum record by record;
        # created and dropped inside the transaction, it never lands
        typed = ", ".join([*(_typed(k, made) for k in keys),
                           *(f"d.{quote_ident(c)}" for c in outputs)])
        con.execute(f"create or replace table {_LOOKUP.format(i)} as select {typed} "
                    "from raw_cases as r, case_derived as d limit 0")
        con.register("__derive_rows", lookup.to_arrow())
        try:
            con.execute(f"insert into {_LOOKUP.format(i)} by name select * from __derive_rows")
        finally:
            con.unregister("__derive_rows")
        on = [k for k in keys if k not in implied]
        # a block evaluated on some records only (``where``) lacks the others'
        # combinations, which could hash like one of its rows: joined on its keys
        hashed = where is None and _hashed(con, _LOOKUP.format(i), on)
        shapes.append(Shape(keys, outputs, on if hashed else keys, hashed))
    return shapes


class Shape(NamedTuple):
    """A block's lookup: its keys, its outputs, the keys records join it on,
    and whether they join on the hash of those (``__h``)."""

    keys: list[str]
    outputs: list[str]
    on: list[str]
    hashed: bool


def _hash_sql(columns: list[str]) -> str:
    return f"hash({', '.join(columns)})"


def _hashed(con: duckdb.DuckDBPyConnection, table: str, on: list[str]) -> bool:
    """Add ``__h`` (the hash of ``on``) to a lookup; true when no two of its
    rows hash alike (else the column stays null and records join on the keys)."""
    con.execute(f"alter table {table} add column __h ubigint")
    con.execute(f"update {table} set __h = {_hash_sql([quote_ident(k) for k in on])}")
    ((unique,),) = con.execute(f"select count(distinct __h) = count(*) from {table}").fetchall()
    return bool(unique)


#: the records of some loads (parameters: :func:`_loads_params`); the range
#: lets the scan skip the row groups of other loads (one new load in a large
#: registry), the list keeps only the loads asked for when they are not a
#: range (a test per record: ~0.05 CPU s per query and million records)
_LOADS = "{0}load_id between ? and ? and (? or list_contains(?, {0}load_id))"


def _loads_params(load_ids: list[int]) -> list:
    """
    >>> _loads_params([3, 1, 2]), _loads_params([1, 3])
    ([1, 3, True, [3, 1, 2]], [1, 3, False, [1, 3]])
    """
    low, high = min(load_ids), max(load_ids)
    return [low, high, len(set(load_ids)) == high - low + 1, load_ids]


def _insert_sql(shapes: list[Shape]) -> str:
    """The ``insert ... select`` joining raw_cases (alias r) to the lookups, for
    the records of some loads (parameters: :func:`_loads_params`)."""
    where_made: dict[str, str] = {}  # derived column -> its SQL (alias.column)
    joins = []
    for i, (_, outputs, keys, hashed) in enumerate(shapes):
        alias = f"b{i}"
        record = [where_made.get(k, f"r.{quote_ident(k)}") for k in keys]
        if hashed:
            on = f"{alias}.__h = {_hash_sql(record)}"
        else:
            on = " and ".join(f"{alias}.{quote_ident(k)} is not distinct from {sql}"
                              for k, sql in zip(keys, record, strict=True))
        joins.append(f"left join {_LOOKUP.format(i)} as {alias} on {on}")
        for out in outputs:
            where_made[out] = f"{alias}.{quote_ident(out)}"
    months = surv_months_sql("r")
    reason, step = exclusion_sql(surv_months=months, event=where_made["event"])
    where_made |= {"surv_months": months, "surv_months_source": surv_months_source_sql("r"),
                   "exclusion_reason": reason, "exclusion_step": step}
    columns = ["load_id", "record_no", *DERIVED_COLUMNS]
    select = ", ".join(
        [f"r.{quote_ident(c)}" for c in columns[:2]]
        + [f"{where_made[c]} as {quote_ident(c)}" for c in DERIVED_COLUMNS]
    )
    return (
        f"insert into case_derived ({', '.join(map(quote_ident, columns))}) "
        f"select {select} from raw_cases as r {' '.join(joins)} "
        f"where {_LOADS.format('r.')} order by r.rowid"
    )


def derive_loads(
    con: duckdb.DuckDBPyConnection,
    load_ids: Iterable[int] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """(Re)derive the records of the given loads (default: all), all in one
    statement. Returns rows written."""
    if load_ids is None:
        load_ids = [r[0] for r in con.execute("select load_id from loads order by 1").fetchall()]
    con.execute("delete from exclusion_rules")
    con.executemany(
        "insert into exclusion_rules values (?, ?)",
        [(step, reason) for step, (reason, _) in enumerate(EXCLUSIONS, start=1)],
    )
    ((limit,),) = con.execute("select current_setting('memory_limit')").fetchall()
    lowered = _size(limit) > _size(MEMORY_LIMIT)  # never raise a lower limit (a load's)
    if lowered:
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    try:
        written = _derive(con, load_ids, progress)
    except BaseException:
        # the caller rolls back; an aborted transaction may refuse even this
        if lowered:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"set memory_limit = '{_shown(limit)}'")
        raise
    if lowered:
        con.execute(f"set memory_limit = '{_shown(limit)}'")
    return written


_SIZE = re.compile(r"\s*([0-9.]+)\s*([A-Za-z]+)\s*")
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


def _shown(text: str) -> str:
    """A limit to set back that DuckDB shows as ``text``: it shows sizes cut
    to one decimal (1.5GB as ``1.3 GiB``), so the middle of that step, which
    shows the same and drifts no lower however often it is set back.

    >>> _shown("1.3 GiB"), _shown("-1")
    ('1.35GiB', '-1')
    """
    m = _SIZE.fullmatch(text)
    if not m or m.group(2) not in _UNITS:
        return text
    return f"{float(m.group(1)) + 0.05:.2f}{m.group(2)}"


def _size(text: str) -> float:
    """Bytes of a DuckDB memory size (``"18.8 GiB"``, ``"512MB"``); infinite
    when it is not one (no limit).

    >>> _size("512MB"), _size("1.5 GiB"), _size("-1")
    (512000000.0, 1610612736.0, inf)
    """
    m = _SIZE.fullmatch(text)
    if not m or m.group(2) not in _UNITS:
        return float("inf")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _derive(con: duckdb.DuckDBPyConnection, load_ids: Iterable[int],
            progress: Callable[[int], None] | None) -> int:
    """Derive the loads together: one set of lookups (the distinct
    combinations over all their records) and one insert, so a registry of many
    loads pays the fixed cost of the lookups once, and its records land in the
    order of raw_cases."""
    load_ids = [int(i) for i in dict.fromkeys(load_ids)]
    if not load_ids:
        return 0
    con.execute(f"delete from case_derived where {_LOADS.format('')}", _loads_params(load_ids))
    # on an error the caller's rollback takes the lookup tables away with the rest
    shapes = _lookups(con, load_ids)
    ((n,),) = con.execute(_insert_sql(shapes), _loads_params(load_ids)).fetchall()
    for i in range(len(shapes)):
        con.execute(f"drop table {_LOOKUP.format(i)}")
    if progress and n:
        progress(n)
    return n
