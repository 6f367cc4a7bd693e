"""Readers: each input format becomes a DuckDB relation of text columns.

A reader returns a :class:`Source`: the SQL ``FROM`` item that yields the
file's records (every value as text, one output row per input record), the
parameters it binds, the column names, and the expression that numbers the
records. Validation (:mod:`cohort.validate`) works on that relation, whatever
the format.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from pathlib import Path

from cohort.errors import InputError
from cohort.items import items
from cohort.readers.base import Source
from cohort.readers.delimited import delimited_source
from cohort.readers.naaccr_flat import RECORD_LENGTH, naaccr_flat_source
from cohort.readers.naaccr_xml import NAMESPACE, naaccr_xml_source
from cohort.readers.parquet import parquet_source
from cohort.readers.seerstat import dictionary_path, is_dictionary, seerstat_source

FORMATS = ("csv", "parquet", "naaccr-xml", "naaccr-flat", "seerstat")


def detect_format(path: Path) -> str:
    """Tell the format of an extract from its first bytes, not its name.

    Parquet files start with ``PAR1``. Text (plain or gzip-compressed, no
    NUL bytes in its first block) is NAACCR XML when it opens with an XML
    prolog or a ``NaaccrData`` element in the NAACCR namespace; NAACCR
    fixed-width when its first line is 4,048 characters starting with the
    record type; a SEER*Stat export when a ``.dic`` dictionary sits beside
    it or its header names at least two SEER*Stat variables (and the
    dictionary itself, so that the reader can say which file to give); else
    CSV.
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
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<?xml") or start.startswith(b"<NaaccrData") or (
        start.startswith(b"<") and NAMESPACE.encode() in head
    ):
        return "naaccr-xml"
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if len(first) == RECORD_LENGTH and first[:1].isalpha():
        return "naaccr-flat"
    if dictionary_path(path) is not None or _seer_header(first) or is_dictionary(path, head):
        return "seerstat"
    return "csv"


def _seer_header(line: bytes) -> bool:
    fields = {f.strip().strip('"') for f in re.split(r"[\t,;]", line.decode("utf-8", "replace"))}
    return len(fields & _seer_labels()) >= 2


def _seer_labels() -> set[str]:
    """The SEER*Stat variable labels the alias table knows (names with a
    space or a parenthesis, as SEER*Stat prints them)."""
    return {n for it in items() for n in it.other_names if " " in n or "(" in n}


def open_source(
    con, path: Path, fmt: str | None = None, *, keep_items: Iterable[str] = ()
) -> Source:
    """The :class:`Source` for an extract file, detecting its format.

    ``keep_items`` names NAACCR XML items outside the alias table to keep
    in ``raw_cases.extra`` (other items are counted, not loaded).
    """
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        return parquet_source(con, path)
    if fmt == "csv":
        return delimited_source(con, path)
    if fmt == "naaccr-xml":
        return naaccr_xml_source(con, path, keep_items=keep_items)
    if fmt == "naaccr-flat":
        return naaccr_flat_source(con, path)
    if fmt == "seerstat":
        return seerstat_source(con, path)
    raise InputError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Source", "detect_format", "open_source"]
