"""Rendering result tables for the terminal, for spreadsheets and for programs."""

from __future__ import annotations

import re

import polars as pl

FORMATS = ("table", "csv", "json", "md", "html")


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
    """
    if fmt in ("md", "html"):
        return markdown(df) if fmt == "md" else html(df)
    if fmt == "csv":
        return df.write_csv()
    if fmt == "json":
        return df.write_json()
    if fmt != "table":
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if df.width == 0:
        return "(no rows)"
    # four significant digits and blanks (not "null") read better in a paper
    df = df.with_columns(
        pl.col(pl.Float32, pl.Float64).map_elements(
            lambda x: f"{x:.4g}", return_dtype=pl.Utf8, skip_nulls=True
        )
    ).with_columns(pl.all().cast(pl.Utf8, strict=False).fill_null(""))
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
