"""Delimited text extracts (CSV, TSV, pipe, ...; plain or gzip).

DuckDB's CSV sniffer finds the delimiter, quoting and line endings; every
value is read as text so codes keep their leading zeros. Lines the CSV
parser cannot take (wrong number of fields, bytes that are not valid in the
encoding) are not lost: DuckDB's ``store_rejects`` keeps them, and they are
reported as rejects with their line number.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cohort.errors import InputError
from cohort.readers.base import Source, first_line
from cohort.readers.textfile import shorten

REJECTS_TABLE = "__csv_rejects"
SCANS_TABLE = "__csv_scans"

_OPTIONS = "all_varchar = true, header = true, encoding = $encoding, skip = $skip"


def delimited_source(
    con: duckdb.DuckDBPyConnection, path: Path, *, encoding: str = "utf-8", skip: int = 0
) -> Source:
    """The :class:`Source` of a delimited file; ``skip`` blank lines precede
    the header (DuckDB's sniffer would take the first of them for it)."""
    params = {"path": str(path), "encoding": encoding, "skip": skip}
    try:
        described = con.execute(
            f"describe select * from read_csv($path, {_OPTIONS}, ignore_errors = true)", params
        ).fetchall()
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: cannot read as delimited text: {shorten(first_line(exc), 300)}"
        ) from exc
    columns = [row[0] for row in described]
    # Parse errors go to temp tables instead of failing the read; the loader
    # turns them into rejects and renumbers the records around them.
    for table in (REJECTS_TABLE, SCANS_TABLE):
        con.execute(f"drop table if exists {table}")
    relation = (
        "read_csv($path, "
        f"{_OPTIONS}, store_rejects = true, "
        f"rejects_table = '{REJECTS_TABLE}', rejects_scan = '{SCANS_TABLE}')"
    )
    return Source(
        "csv",
        relation,
        params,
        columns,
        structural_rejects=REJECTS_TABLE,
        first_line=skip + 2,  # the header is the line after the blank ones
    )
