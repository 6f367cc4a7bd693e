"""Readers: each input format becomes a DuckDB relation of text columns.

A reader returns a :class:`Source`: the SQL ``FROM`` item that yields the
file's records (every value as text, one output row per input record), the
parameters it binds, the column names, and the expression that numbers the
records. Validation (:mod:`cohort.validate`) works on that relation, whatever
the format.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from cohort.errors import InputError
from cohort.readers.base import Source
from cohort.readers.delimited import delimited_source
from cohort.readers.parquet import parquet_source

FORMATS = ("csv", "parquet")


def detect_format(path: Path) -> str:
    """Tell the format of an extract from its first bytes, not its name.

    Parquet files start with ``PAR1``; anything else must be delimited text
    (plain or gzip-compressed) with no NUL bytes in its first block.
    """
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head:
        raise InputError(f"{path}: the file is empty; export the extract again")
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(65536)
        except OSError as exc:
            raise InputError(f"{path}: damaged gzip file ({exc}); copy it again") from exc
        if not head:
            raise InputError(f"{path}: the compressed file is empty; export the extract again")
    if b"\x00" in head:
        raise InputError(
            f"{path}: this is a binary file, not a CSV or Parquet extract; "
            "give a delimited text file (.csv, .txt, .csv.gz) or a .parquet file"
        )
    return "csv"


def open_source(con, path: Path, fmt: str | None = None) -> Source:
    """The :class:`Source` for an extract file, detecting its format."""
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        return parquet_source(con, path)
    if fmt == "csv":
        return delimited_source(con, path)
    raise InputError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Source", "detect_format", "open_source"]
