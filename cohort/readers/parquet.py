"""Parquet extracts."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cohort.errors import InputError
from cohort.readers.base import Source, quote_ident


def parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    try:
        described = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as Parquet: {exc}") from exc
    columns = [row[0] for row in described]
    # Codes may have been written as integers (leading zeros lost): every
    # value is read back as text and re-padded by validation.
    cast = ", ".join(f"cast({quote_ident(c)} as varchar) as {quote_ident(c)}" for c in columns)
    relation = f"(select {cast} from read_parquet($path))"
    return Source("parquet", relation, {"path": str(path)}, columns)
