"""Record and line numbers: where each staged record sits in its file.

A record's number is its position among the file's records (blank lines
are not records), and its line number is the physical line it starts on.
Staging keeps file order, so the k-th staged row is the k-th record the
parser accepted; three things move a record away from ``k``:

- records the parser refused (DuckDB's CSV rejects: too many or too few
  fields, bytes not in the encoding): they are records, so later ones
  count them;
- blank and whitespace-only lines: skipped and counted, never records, but
  they take up a line;
- a quoted field holding line breaks: one record, several lines.

DuckDB numbers CSV rows counting blank lines and taking a multi-line record
as one row; the file scan (:class:`cohort.readers.textfile.Lines`) says which
rows are blank and which span lines. From these the numbers are a step
function of ``k``: ``record_no = k + a``, ``line_no = k + b`` on runs of
records, with (a, b) changing only where something was skipped. It is
computed with numpy and applied in SQL (a CASE for a few steps, an ASOF
join for many).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from cohort.readers.textfile import Lines

STEPS = "__number_steps"
STRUCT_NUMBERS = "__structural_numbers"
_CASE_LIMIT = 64  # more steps than this: a join instead of a CASE


@dataclass
class Numbering:
    """SQL giving each staged record its numbers; ``blank`` lines skipped."""

    record_no: str
    line_no: str
    blank: int = 0
    structural_numbers: str | None = None  # table (row_no, record_no, line_no)


def steps(first: int, lines: Lines, struct_rows: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k_start, record shift, line shift) for staged records k = 1, 2, ...

    ``first`` is the row of the first record (after the header), rows
    counted as DuckDB does; ``struct_rows`` are the rows of records the
    parser refused. For k in [k_start[i], k_start[i+1]) the k-th staged
    record is record ``k + rec[i]`` on line ``k + line[i]``.

    >>> from cohort.readers.textfile import LineScan
    >>> scan = LineScan(); scan.feed(b'h\\n1\\n\\n2\\nbad\\n3,"x\\ny"\\n4\\n')
    >>> k, rec, line = steps(2, scan.finish(), np.array([5]))
    >>> [(int(a), int(b), int(c)) for a, b, c in zip(k, rec, line)]
    [(1, 0, 1), (2, 0, 2), (3, 1, 3), (4, 1, 4)]
    """
    blank = lines.blank[lines.blank >= first] - first + 1
    struct = np.unique(struct_rows) - first + 1
    x = np.concatenate([blank, struct])
    is_struct = np.concatenate([np.zeros(len(blank), np.int64), np.ones(len(struct), np.int64)])
    order = np.argsort(x, kind="stable")
    x, is_struct = x[order], is_struct[order]
    # the j-th skipped row (0-based) comes after x_j - (j + 1) staged records
    k_skip = x - np.arange(len(x))
    d_rows = np.ones(len(x), np.int64)
    # a row spanning e extra lines moves every later record down e lines
    span_d = lines.span_rows - first + 1
    k_span = np.maximum(span_d - np.searchsorted(x, span_d, side="right") + 1, 1)
    k = np.concatenate([k_skip, k_span])
    d_rec = np.concatenate([is_struct, np.zeros(len(k_span), np.int64)])
    d_line = np.concatenate([d_rows, lines.span_extra.astype(np.int64)])
    order = np.argsort(k, kind="stable")
    k, d_rec, d_line = k[order], d_rec[order], d_line[order]
    starts, first_of = np.unique(k, return_index=True)
    rec = np.add.reduceat(d_rec, first_of) if len(k) else d_rec
    line = np.add.reduceat(d_line, first_of) if len(k) else d_line
    k_start = np.concatenate([[1], starts])
    rec_shift = np.concatenate([[0], np.cumsum(rec)])
    line_shift = np.concatenate([[0], np.cumsum(line)]) + first - 1
    # steps at k = 1 fold into the first; keep the last of equal starts
    keep = np.append(k_start[1:] != k_start[:-1], True)
    return k_start[keep], rec_shift[keep], line_shift[keep]


def structural_numbers(first: int, lines: Lines, struct_rows: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(record_no, line_no) of the refused records at ``struct_rows``."""
    blank = lines.blank[lines.blank >= first]
    rec = struct_rows - first + 1 - np.searchsorted(blank, struct_rows)
    order = np.argsort(lines.span_rows, kind="stable")
    span_rows, extra = lines.span_rows[order], np.cumsum(lines.span_extra[order])
    if not len(span_rows):
        return rec, struct_rows.copy()
    before = np.searchsorted(span_rows, struct_rows)
    line = struct_rows + np.where(before > 0, extra[np.maximum(before - 1, 0)], 0)
    return rec, line


def consistent(first: int, lines: Lines | None, staged: int, struct_rows: np.ndarray) -> bool:
    """Whether the scan's rows agree with what DuckDB parsed: as many records
    (rows after the header, less blank ones) as DuckDB staged or refused,
    and no refused record on a row the scan calls blank."""
    if lines is None or not lines.complete:
        return False
    blank = lines.blank[lines.blank >= first]
    records = lines.rows - (first - 1) - len(blank)
    if records != staged + len(np.unique(struct_rows)):
        return False
    return not np.isin(struct_rows, blank).any() and bool((struct_rows <= lines.rows).all())


def apply_steps(con: duckdb.DuckDBPyConnection, staging: str, k: str,
                k_start: np.ndarray, rec: np.ndarray, line: np.ndarray) -> tuple[str, str]:
    """SQL for record_no and line_no of ``staging`` rows (``k``: their 1-based
    position). Few steps become a CASE; many rebuild ``staging`` with the two
    numbers as columns (an ASOF join)."""
    if len(k_start) == 1:
        return f"({k} + {int(rec[0])})", f"({k} + {int(line[0])})"
    if len(k_start) <= _CASE_LIMIT:
        def case(shift: np.ndarray) -> str:
            arms = " ".join(f"when {k} >= {int(a)} then {int(b)}"
                            for a, b in zip(k_start[::-1], shift[::-1], strict=True))
            return f"({k} + case {arms} else 0 end)"
        return case(rec), case(line)
    table = pa.table({"k_start": pa.array(k_start, pa.int64()),
                      "rec_shift": pa.array(rec, pa.int64()),
                      "line_shift": pa.array(line, pa.int64())})
    con.register(STEPS, table)
    try:
        con.execute(
            f"create or replace temp table {staging}__numbered as "
            f"select s.*, s.__k + t.rec_shift as __record_no, s.__k + t.line_shift as __line_no "
            f"from (select *, {k} as __k from {staging}) as s "
            f"asof join {STEPS} as t on s.__k >= t.k_start"
        )
    finally:
        con.unregister(STEPS)
    con.execute(f"drop table {staging}")
    con.execute(f"alter table {staging}__numbered rename to {staging}")
    return "__record_no", "__line_no"


def register_structural(con: duckdb.DuckDBPyConnection, rows: np.ndarray, rec: np.ndarray,
                        line: np.ndarray | None) -> str:
    """A temp table (row_no, record_no, line_no) of the refused records."""
    table = pa.table({
        "row_no": pa.array(rows, pa.int64()),
        "record_no": pa.array(rec, pa.int64()),
        "line_no": pa.array(line, pa.int64()) if line is not None
        else pa.nulls(len(rows), pa.int64()),
    })
    con.register("__struct_numbers_arrow", table)
    try:
        con.execute(f"create or replace temp table {STRUCT_NUMBERS} as "
                    "select * from __struct_numbers_arrow")
    finally:
        con.unregister("__struct_numbers_arrow")
    return STRUCT_NUMBERS
