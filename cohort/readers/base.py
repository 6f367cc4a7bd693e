"""The shape every reader returns, and the streamed Arrow relation that the
NAACCR readers share."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from cohort.errors import CohortError
from cohort.text import first_line, quote_ident  # noqa: F401  (re-exported)

# Rows per Arrow record batch streamed into DuckDB: large enough that the
# per-batch overhead vanishes, small enough that a batch of ~40 text columns
# stays a few megabytes.
BATCH_ROWS = 50_000

_names = itertools.count(1)


@dataclass
class Source:
    """A file's records as a DuckDB relation.

    ``relation`` is a SQL ``FROM`` item with every value as text, in file
    order (DuckDB preserves insertion order, so the n-th row staged from it
    is the file's n-th record); ``params`` are bound to its ``$name``
    placeholders. ``columns`` are the file's own column names (for NAACCR
    files: the item ids the loader should know about, identifiers included;
    the relation carries the others only).
    ``structural_rejects`` is the name of a temp table of records the reader
    itself could not parse (columns ``record_no``, ``line_no``, ``field``,
    ``value``, ``reason``), or None.

    ``first_line`` is the line of the first record when records are lines
    (so rejects can name the line), else None. ``unused_items`` are items
    the file carries that the alias table does not use (counted, not
    loaded). ``error`` holds the reader's own error when it stopped a
    streamed read, so the loader can show it instead of DuckDB's wrapper;
    ``release`` frees what the reader registered on the connection.
    """

    format: str
    relation: str
    params: dict = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    structural_rejects: str | None = None
    first_line: int | None = None
    unused_items: list[str] = field(default_factory=list)
    error: CohortError | None = None
    release: Callable[[duckdb.DuckDBPyConnection], None] | None = None


def arrow_stream_source(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    columns: list[str],
    batches: Callable[[], Iterator[pa.RecordBatch]],
    *,
    relation_columns: list[str] | None = None,
    first_line: int | None = None,  # noqa: F811  (a line number here)
    unused_items: list[str] | None = None,
) -> Source:
    """A :class:`Source` over record batches that a Python generator yields.

    The batches are registered with DuckDB as a ``RecordBatchReader``, so
    the file is read once, while DuckDB stages it, and never held whole in
    memory. A :class:`CohortError` raised by the generator is kept on the
    Source: DuckDB reports it wrapped in its own scan error, and the loader
    re-raises the reader's clear message instead.
    """
    names = relation_columns if relation_columns is not None else columns
    schema = pa.schema([pa.field(n, pa.string()) for n in names])
    source = Source(fmt, "", columns=columns, first_line=first_line,
                    unused_items=list(unused_items or []))

    def guarded() -> Iterator[pa.RecordBatch]:
        try:
            yield from batches()
        except CohortError as exc:
            source.error = exc
            raise

    if not names:
        # nothing the alias table knows: the loader refuses the file on its
        # columns before reading, and DuckDB cannot register zero columns
        source.relation = "(select null as __nothing where false)"
        return source
    name = f"__stream_{next(_names)}"
    con.register(name, pa.RecordBatchReader.from_batches(schema, guarded()))
    source.relation = quote_ident(name)

    def release(c: duckdb.DuckDBPyConnection) -> None:
        c.unregister(name)

    source.release = release
    return source


def text_batch(names: list[str], columns: list) -> pa.RecordBatch:
    """A record batch of text columns from Python sequences (None = blank)."""
    return pa.record_batch([pa.array(c, type=pa.string()) for c in columns], names=names)
