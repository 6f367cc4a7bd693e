"""Small text helpers for messages and SQL, free of heavy imports (the
registry, the CLI and the readers all use them)."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an error message (DuckDB appends pages of context).

    >>> first_line(ValueError("bad value\\ncontext"))
    'bad value'
    """
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def quote_ident(name: str) -> str:
    """Quote a column name for DuckDB.

    >>> print(quote_ident('a"b'))
    "a""b"
    """
    return '"' + name.replace('"', '""') + '"'


def shorten(text: str, limit: int = 200) -> str:
    """Text quoted from an input, cut to ``limit`` characters.

    >>> shorten("x" * 300, 10)
    'xxxxxxxxxx... (300 characters)'
    """
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def shorten_list(names: list[str], limit: int = 30) -> str:
    """A list of names from an input, at most ``limit`` of them.

    >>> shorten_list(["a", "b", "c"], 2)
    'a, b and 1 more'
    """
    shown = ", ".join(shorten(n, 60) for n in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit:,} more"
