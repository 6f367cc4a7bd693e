"""Rendering result tables for the terminal, for spreadsheets and for programs."""

from __future__ import annotations

import polars as pl

FORMATS = ("table", "csv", "json")


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
