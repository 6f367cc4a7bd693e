"""How a result shows itself: ``repr`` in a terminal, HTML in a notebook.

A result printed (or left as the last value of a notebook cell) shows what a
reader needs first: one line saying what was estimated on how many records,
the summary table a paper prints (released counts: ``<11`` below the
threshold), the tests, and where the exact numbers are. In a notebook the
Kaplan-Meier result also shows its figure (a PNG inline; matplotlib is
imported then, never by ``import cohort``).
"""

from __future__ import annotations

import polars as pl

from cohort.disclosure import DEFAULT_THRESHOLD

FOOT = (f"counts below {DEFAULT_THRESHOLD} shown as <{DEFAULT_THRESHOLD}; exact numbers in the "
        "attributes ending in _; tables(suppress_below=...) for release")


class Displayed:
    """``repr`` and notebook HTML from the result's ``_display()`` (title,
    facts, tables) and its ``_foot`` (what to call next)."""

    _foot = FOOT

    def _display(self) -> tuple[str, list[str], dict[str, pl.DataFrame]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return text_block(*self._display(), foot=self._foot)

    def _repr_html_(self) -> str:
        return html_block(*self._display(), foot=self._foot)


def text_block(title: str, facts: list[str], tables: dict[str, pl.DataFrame],
               foot: str = FOOT) -> str:
    """A plain-text summary: title, facts, readable tables, a footnote."""
    from cohort.formatting import readable
    from cohort.output import render

    out = [title, *facts]
    for name, df in tables.items():
        if df is None:
            continue
        out += ["", *([f"{name}:"] if name else []), render(readable(df), "table")]
    out += ["", foot]
    return "\n".join(line for line in out if line is not None)


def html_block(title: str, facts: list[str], tables: dict[str, pl.DataFrame],
               figure=None, foot: str = FOOT) -> str:
    """The same summary as HTML, with an optional figure (PNG, inline)."""
    from html import escape

    from cohort.formatting import readable
    from cohort.output import html

    out = [f"<div class=\"cohort-result\"><p><strong>{escape(title)}</strong></p>"]
    if facts:
        out.append("<p>" + "<br>".join(escape(f) for f in facts) + "</p>")
    if figure is not None:
        out.append(figure_html(figure))
    for name, df in tables.items():
        if df is None:
            continue
        out.append(html(readable(df), caption=name or None))
    out.append(f"<p><small>{escape(foot)}</small></p></div>")
    return "\n".join(out)


def figure_html(fig, *, dpi: int = 110) -> str:
    """A figure as an inline PNG ``<img>`` (closed afterwards: it belongs to no one)."""
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def tests_line(tests: pl.DataFrame | None) -> list[str]:
    """One line per test: name, chi-square, df and p as papers print them.

    >>> tests_line(pl.DataFrame({"test": ["log-rank"], "chisq": [245.06], "df": [3],
    ...                          "p": [3.2e-52], "groups": ["N0, N1"]}))
    ['log-rank: chi-square 245.06 on 3 df, p < 0.001']
    """
    from cohort.formatting import p_phrase

    if tests is None or tests.is_empty():
        return []
    return [f"{r['test']}" + (f" ({r['cause'].replace('_', ' ')})" if r.get("cause") else "")
            + f": chi-square {r['chisq']:.2f} on {r['df']} df, {p_phrase(r['p'])}"
            for r in tests.iter_rows(named=True)]


def labelled_levels(table: pl.DataFrame, *, site: str | None = None) -> pl.DataFrame:
    """A hazard-ratio table with each categorical ``level`` under its label
    (:mod:`cohort.labels`: sex ``2`` -> female, breast ``N2`` -> N2 (4-9
    nodes)); ``term`` kept, a continuous term's null level kept.

    >>> t = pl.DataFrame({"term": ["sex", "age_at_dx"], "level": ["2", None]})
    >>> labelled_levels(t)["level"].to_list()
    ['female', None]
    """
    from cohort.labels import label

    if table.height == 0 or "level" not in table.columns:
        return table
    levels = [None if lv is None else label(term, lv, site=site)
              for term, lv in zip(table["term"], table["level"], strict=True)]
    return table.with_columns(pl.Series("level", levels, dtype=pl.Utf8))


def labelled_terms(table: pl.DataFrame, site: str | None, codes: bool) -> pl.DataFrame:
    """A hazard-ratio table (``term``, ``level``, ``reference``) with its terms
    as papers print them (``sex: female vs male``; :func:`cohort.labels.decode_terms`),
    or as stored when ``codes``."""
    if codes or table.height == 0:
        return table
    from cohort.labels import decode_terms

    return decode_terms(table, site=site)


def site_of(cohort, terms) -> str | None:
    """The cohort's one site group when node burden is among ``terms`` (its
    labels are site-specific), else None."""
    if "node_burden" not in list(terms or []):
        return None
    from cohort.grouping import single_site

    return single_site(cohort)
