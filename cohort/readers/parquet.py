"""Parquet extracts."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cohort.errors import InputError
from cohort.readers.base import Source, first_line, quote_ident
from cohort.readers.textfile import MAX_COLUMNS, shorten


def parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    try:
        described = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: the Parquet file is damaged or truncated and cannot be read "
            f"({shorten(first_line(exc), 200)}); nothing was loaded. Export or copy it again"
        ) from exc
    columns = [row[0] for row in described]
    if len(columns) > MAX_COLUMNS:
        raise InputError(
            f"{path}: the file has {len(columns):,} columns; cohort reads at most "
            f"{MAX_COLUMNS:,}. Export only the items the analysis needs and load again"
        )
    # Codes may have been written as integers (leading zeros lost): every
    # value is read back as text and re-padded by validation.
    cast = ", ".join(f"cast({quote_ident(c)} as varchar) as {quote_ident(c)}" for c in columns)
    relation = f"(select {cast} from read_parquet($path))"
    return Source("parquet", relation, {"path": str(path)}, columns)
