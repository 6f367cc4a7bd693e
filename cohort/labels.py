"""Labels a person reads: codes and categories turned into words.

Result tables keep the values the estimators used (``sex`` ``2``,
``node_burden`` ``N2``); labels are added where a person reads them:
summaries, report pages, the CLI and its CSV. The words come from
``cohort/data`` (``value_labels.csv``, the derived AJCC codes, the COD to
site recode), and node-burden categories are spelled out with the site's
own count rule (``n_categories.csv``): breast ``N2`` is "N2 (4-9 nodes)",
colon ``N2a`` is "N2a (4-6 nodes)". A value without a label is shown as is.

>>> label("sex", "2")
'female'
>>> label("grade", "3")
'poorly differentiated'
>>> label("node_burden", "N2", site="breast")
'N2 (4-9 nodes)'
>>> term_label("sex", "2", "1")
'sex: female vs male'
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import polars as pl

from cohort.codebook import value_labels
from cohort.derive.tables import n_categories, site_rules


@cache
def _site_rule(site: str) -> str | None:
    """The count rule (n_categories.csv) of a site group, if it has one."""
    for row in site_rules():
        if row["site_group"] == site and row["n_rule"]:
            return row["n_rule"]
    return None


def _nodes(lo: int, hi: int | None) -> str:
    if hi is None:
        return f"{lo}+ nodes"
    if lo == hi == 0:
        return "0 nodes"
    if lo == hi:
        return f"{lo} node" + ("" if lo == 1 else "s")
    return f"{lo}-{hi} nodes"


@cache
def _burden_labels(site: str | None) -> dict[str, str]:
    out = dict(value_labels().get("node_burden", {}))
    rule = _site_rule(site) if site else None
    for cat, lo, hi in n_categories().get(rule or "", []):
        out[cat] = f"{cat} ({_nodes(lo, hi)})"
    return out


def labels_for(column: str, *, site: str | None = None) -> dict[str, str]:
    """``{value: label}`` of a column (raw item or derived variable); node
    burden with the counts of ``site``'s rule. Empty when the column has none.

    >>> labels_for("node_burden", site="colon")["N1b"]
    'N1b (2-3 nodes)'
    >>> labels_for("patient_id")
    {}
    """
    if column == "node_burden":
        return _burden_labels(site)
    return value_labels().get(column, {})


def _key(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def label(column: str, value, *, site: str | None = None) -> str:
    """The label of one value (the value itself when it has none).

    >>> label("race_group", "NH API")
    'non-Hispanic Asian or Pacific Islander'
    >>> label("neoadjuvant", True)
    'neoadjuvant therapy'
    >>> label("age_at_dx", 61)
    '61'
    """
    key = _key(value)
    if key is None:
        return "missing"
    return labels_for(column, site=site).get(key, key)


def label_values(column: str, values: Iterable, *, site: str | None = None) -> list[str]:
    """Labels of several values of one column, in order."""
    return [label(column, v, site=site) for v in values]


def decode(frame: pl.DataFrame, columns: Iterable[str] | dict[str, str], *,
           site: str | None = None) -> pl.DataFrame:
    """The frame with the values of ``columns`` replaced by their labels
    (text). ``columns`` names the frame's columns, or maps a frame column to
    the variable whose labels it holds (``{"group": "node_burden"}``, as in
    a Kaplan-Meier table grouped by node burden).

    >>> df = pl.DataFrame({"group": ["N0", "N3"], "n": [120, 14]})
    >>> decode(df, {"group": "node_burden"}, site="breast")["group"].to_list()
    ['N0 (0 nodes)', 'N3 (10+ nodes)']
    """
    pairs = columns.items() if isinstance(columns, dict) else ((c, c) for c in columns)
    exprs = []
    for name, variable in pairs:
        if name not in frame.columns:
            continue
        mapping = labels_for(variable, site=site)
        if not mapping:
            continue
        text = pl.col(name).cast(pl.Utf8)
        if frame.schema[name] == pl.Boolean:
            text = pl.when(pl.col(name)).then(pl.lit("true")).when(pl.col(name).not_()).then(
                pl.lit("false"))
        exprs.append(text.replace(mapping).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def term_label(term: str, level: str | None, reference: str | None = None, *,
               site: str | None = None) -> str:
    """A model term as a paper prints it: ``sex: female vs male`` for a
    level against the reference, the term alone for a continuous one.

    >>> term_label("grade_group", "G3", "G1")
    'grade_group: G3 (poorly differentiated) vs G1 (well differentiated)'
    >>> term_label("age_at_dx", None)
    'age_at_dx'
    """
    if level is None:
        return term
    text = f"{term}: {label(term, level, site=site)}"
    if reference is not None:
        text += f" vs {label(term, reference, site=site)}"
    return text


_GROUP_COLUMNS = ("group", "group_1", "group_2")


def decode_groups(tables: dict, by: str | None, *, site: str | None = None) -> dict:
    """Result tables (``{name: frame}``, as ``tables()`` returns them) with
    the group columns (``group``, and ``group_1``/``group_2`` of pairwise
    tests) labelled as values of ``by``.

    >>> t = {"medians": pl.DataFrame({"group": ["1", "2"], "n": [40, 60]}), "tests": None}
    >>> decode_groups(t, "sex")["medians"]["group"].to_list()
    ['male', 'female']
    """
    if not by:
        return tables
    return {
        name: (decode(df, {c: by for c in _GROUP_COLUMNS}, site=site)
               if isinstance(df, pl.DataFrame) else df)
        for name, df in tables.items()
    }


def decode_terms(table: pl.DataFrame, references: dict[str, str] | None = None, *,
                 site: str | None = None) -> pl.DataFrame:
    """A hazard-ratio table (``term``, ``level``) as papers print it: each
    level against its term's reference (``sex: female vs male``), the
    reference row as ``sex: male (reference)``, a continuous term alone.
    ``references`` maps a term to its reference level; by default the
    levels of rows flagged in a ``reference`` column.

    >>> hr = pl.DataFrame({"term": ["sex", "sex", "age_at_dx"], "level": ["1", "2", None],
    ...                    "reference": [True, False, False], "hr": [1.0, 0.8, 1.02]})
    >>> decode_terms(hr)["term"].to_list()
    ['sex: male (reference)', 'sex: female vs male', 'age_at_dx']
    """
    if references is None:
        references = {}
        if "reference" in table.columns:
            for r in table.filter(pl.col("reference")).iter_rows(named=True):
                references[r["term"]] = r["level"]
    terms, levels = [], []
    for term, level in zip(table["term"], table["level"], strict=True):
        ref = references.get(term)
        if level is not None and level == ref:
            terms.append(f"{term}: {label(term, level, site=site)} (reference)")
        else:
            terms.append(term_label(term, level, ref, site=site))
        levels.append(None if level is None else label(term, level, site=site))
    return table.with_columns(pl.Series("term", terms, dtype=pl.Utf8),
                              pl.Series("level", levels, dtype=pl.Utf8))


__all__ = ["decode", "decode_groups", "decode_terms", "label", "label_values", "labels_for",
           "term_label"]
