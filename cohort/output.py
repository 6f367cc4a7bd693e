"""Rendering result tables for the terminal, for spreadsheets and for programs.

Every type a query can return renders in all three forms: nested values
(lists, structs, maps) as JSON text in the table and in CSV, as JSON in
JSON; bytes as DuckDB prints them (``ab\\x00``); decimals exactly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re

import polars as pl

FORMATS = ("table", "csv", "json", "md", "html")

# dtypes polars writes to CSV and JSON itself, exactly as cohort wants them
_PLAIN = (pl.Boolean, pl.String, pl.Date, pl.Datetime, pl.Null, pl.Int8, pl.Int16, pl.Int32,
          pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64, pl.Float32, pl.Float64)


def render(df: pl.DataFrame, fmt: str = "table") -> str:
    """A DataFrame as text: a Markdown-style table, CSV or JSON records.

    The table form prints every row and column with numbers to four
    significant digits (it pastes into a paper or a Markdown document as it
    is); CSV and JSON keep full precision.

    >>> print(render(pl.DataFrame({"site": ["breast"], "n": [12]})))
    | site   | n  |
    |--------|----|
    | breast | 12 |
    >>> print(render(pl.DataFrame({"site": ["breast"], "n": [12]}), "csv"), end="")
    site,n
    breast,12
    >>> print(render(pl.DataFrame({"codes": [["05", "12"]]}), "csv"), end="")
    codes
    "[""05"",""12""]"
    """
    if fmt in ("md", "html"):
        return markdown(df) if fmt == "md" else html(df)
    if fmt == "csv":
        return _as_text(df).write_csv()
    if fmt == "json":
        return _json(df)
    if fmt != "table":
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if df.width == 0:
        return "(no rows)"
    # four significant digits and blanks (not "null") read better in a paper
    # (in Python: map_elements would import and run polars' bytecode check of the lambda)
    df = df.with_columns(
        pl.Series(name, [None if x is None else f"{x:.4g}" for x in df[name].to_list()],
                  dtype=pl.Utf8)
        for name, dtype in df.schema.items() if dtype in (pl.Float32, pl.Float64)
    )
    df = _as_text(df).with_columns(pl.all().cast(pl.Utf8, strict=False).fill_null(""))
    with pl.Config(
        tbl_formatting="ASCII_MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=10_000,
        fmt_str_lengths=10_000,
        fmt_table_cell_list_len=-1,
    ):
        return str(df)


def _plain_dtype(dtype: pl.DataType) -> bool:
    return any(dtype == p or isinstance(dtype, p) for p in _PLAIN)


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    """Columns CSV cannot hold (nested, bytes, decimals, objects...) as text."""
    out = []
    for name, dtype in df.schema.items():
        col = df.get_column(name)
        if _plain_dtype(dtype):
            out.append(col)
        elif dtype.is_nested() or dtype == pl.Binary or dtype == pl.Object:
            out.append(pl.Series(name, [None if v is None else _text(v) for v in col.to_list()],
                                 dtype=pl.Utf8))
        else:
            try:
                out.append(col.cast(pl.Utf8))
            except Exception:  # noqa: BLE001 - any dtype polars cannot cast: Python's str
                out.append(pl.Series(name, [None if v is None else str(v)
                                            for v in col.to_list()], dtype=pl.Utf8))
    return pl.DataFrame(out) if out else df


def _text(value) -> str:
    """One nested or odd value as text: JSON for nested, DuckDB's form for bytes."""
    if isinstance(value, bytes | bytearray):
        return _bytes(value)
    if isinstance(value, list | dict | tuple):
        return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _bytes(value: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in value)


def _plain(value):
    """A value as JSON can hold it: numbers, strings, lists, objects, null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() and abs(value) < 2**63 else str(
            value)
    if isinstance(value, bytes | bytearray):
        return _bytes(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _json(df: pl.DataFrame) -> str:
    """JSON records; polars writes the plain types, Python the rest."""
    if all(_plain_dtype(t) for t in df.dtypes):
        return df.write_json()
    rows = [{k: _plain(v) for k, v in row.items()} for row in df.iter_rows(named=True)]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


# -- Markdown and HTML, for pasting into a paper --------------------------------


def _cells(df: pl.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, rows as text (floats to four significant digits, blanks for
    nulls) and which columns are numeric (set right-aligned)."""
    numeric = [dtype.is_numeric() or (dtype == pl.Utf8 and _numeric_text(df.get_column(c)))
               for c, dtype in df.schema.items()]
    rows = []
    for row in df.iter_rows():
        rows.append(["" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
                     for v in row])
    return list(df.columns), rows, numeric


_NUMBER = re.compile(r"^[<>]?-?[\d,]+(\.\d+)?%?( \(.*\))?$")


def _numeric_text(col: pl.Series) -> bool:
    """Text that holds numbers as printed (``0.812``, ``<11``, ``1,234 (25%)``,
    ``2.33 (1.80-3.01)``): set right-aligned like numbers.

    >>> _numeric_text(pl.Series(["0.812", "<11", "", "NA"])), _numeric_text(pl.Series(["N0"]))
    (True, False)
    """
    values = [v for v in col.to_list() if v not in (None, "", "NA", "\u2013")]
    return bool(values) and all(_NUMBER.match(v) for v in values)


def markdown(df: pl.DataFrame) -> str:
    """A GitHub/pandoc pipe table; numeric columns right-aligned, ``|`` escaped.

    >>> print(markdown(pl.DataFrame({"group": ["N0"], "n": [120], "survival": [0.81234]})))
    | group | n | survival |
    |:--|--:|--:|
    | N0 | 120 | 0.8123 |
    """
    if df.width == 0:
        return "(no rows)"
    header, rows, numeric = _cells(df)

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |",
             "|" + "|".join("--:" if n else ":--" for n in numeric) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def html(df: pl.DataFrame, *, caption: str | None = None) -> str:
    """An HTML table (escaped; numeric columns right-aligned) for a manuscript
    or a notebook.

    >>> print(html(pl.DataFrame({"group": ["N0 <b>"]})))
    <table class="cohort">
    <thead><tr><th style="text-align:left">group</th></tr></thead>
    <tbody>
    <tr><td style="text-align:left">N0 &lt;b&gt;</td></tr>
    </tbody>
    </table>
    """
    from html import escape

    header, rows, numeric = _cells(df)
    align = ["right" if n else "left" for n in numeric]
    out = ['<table class="cohort">']
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th style="text-align:{a}">{escape(h)}</th>'
                                       for h, a in zip(header, align, strict=True))
               + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td style="text-align:{a}">{escape(c)}</td>'
                                    for c, a in zip(row, align, strict=True)) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)
