"""Writing derived variables into the registry database, batch by batch.

Records are read from raw_cases in ranges of physical position (rowid) of
one load at a time (bounded memory), derived with polars and appended to
case_derived through Arrow, in the order of raw_cases: the two tables stay in
step, so ``cases`` pairs them by position. Runs inside the caller's
transaction, so a load and its derivation land together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import duckdb

from cohort.derive import DERIVED_COLUMNS, derive, input_columns
from cohort.derive.eligibility import EXCLUSIONS
from cohort.readers.base import quote_ident

#: records per batch: a derivation's peak memory is about 0.4 GB + 3.5 kB per batch record
#: (1M records, one run each: 500,000 -> 1.9-2.2 GB; 250,000 -> 1.3 GB for 1.15x the CPU;
#: 100,000 -> 0.7 GB for 1.4x the CPU; benchmarks/README.md)
BATCH_ROWS = 250_000


def derive_loads(
    con: duckdb.DuckDBPyConnection,
    load_ids: Iterable[int] | None = None,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> int:
    """(Re)derive the records of the given loads (default: all). Returns rows written."""
    if load_ids is None:
        load_ids = [r[0] for r in con.execute("select load_id from loads order by 1").fetchall()]
    cols = ", ".join(quote_ident(c) for c in ["load_id", "record_no", *input_columns()])
    keep = ["load_id", "record_no", *DERIVED_COLUMNS]
    con.execute("delete from exclusion_rules")
    con.executemany(
        "insert into exclusion_rules values (?, ?)",
        [(step, reason) for step, (reason, _) in enumerate(EXCLUSIONS, start=1)],
    )
    written = 0
    for load_id in load_ids:
        con.execute("delete from case_derived where load_id = ?", [load_id])
        ((first, last),) = con.execute(
            "select min(rowid), max(rowid) from raw_cases where load_id = ?", [load_id]
        ).fetchall()
        if first is None:
            continue
        # batches of physical positions (rowid), read and written in that order, so
        # that case_derived follows raw_cases row for row (sql/pairing/by_position.sql)
        for start in range(first, last + 1, batch_rows):
            batch = con.sql(
                f"select {cols} from raw_cases where load_id = ? "
                "and rowid between ? and ?",
                params=[load_id, start, start + batch_rows - 1],
            ).pl()
            if batch.is_empty():
                continue
            out = derive(batch).select(keep).to_arrow()
            con.register("__derived_batch", out)
            try:
                con.execute("insert into case_derived by name select * from __derived_batch")
            finally:
                con.unregister("__derived_batch")
            written += batch.height
            if progress:
                progress(batch.height)
    return written
