"""The shape every reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Source:
    """A file's records as a DuckDB relation.

    ``relation`` is a SQL ``FROM`` item with every value as text, in file
    order (DuckDB preserves insertion order, so the n-th row staged from it
    is the file's n-th record); ``params`` are bound to its ``$name`` placeholders. ``columns`` are the
    file's own column names. ``structural_rejects`` is the name of a temp
    table of records the reader itself could not parse (columns
    ``record_no``, ``line_no``, ``field``, ``value``, ``reason``), or None.
    """

    format: str
    relation: str
    params: dict = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    structural_rejects: str | None = None


def quote_ident(name: str) -> str:
    """Quote a column name for DuckDB."""
    return '"' + name.replace('"', '""') + '"'
