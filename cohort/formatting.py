"""Numbers formatted for reading: fixed decimals, p-values, units in headers.

The table, Markdown and HTML outputs print what a paper prints: survival
and incidence to 3 decimals, hazard ratios to 2, medians and RMST in months
to 1, p-values as ``<0.001`` rather than ``3.319e-46``, and the unit in the
column header (``median (months)``, a continuous term's hazard ratio "per
year of age"). CSV and JSON never pass through here: they keep full
precision.
"""

from __future__ import annotations

import math

import polars as pl

#: the unit a continuous model term's hazard ratio is per
TERM_UNITS = {
    "age_at_dx": "per year of age",
    "nodes_positive": "per positive node",
    "nodes_examined": "per node examined",
    "nodes_negative": "per negative node",
    "lnr": "per unit of LNR (0 to 1)",
    "lodds": "per unit of LODDS",
    "dx_year": "per calendar year",
    "surv_months": "per month",
}

# column name -> decimals (by the quantity the column holds)
_DECIMALS = {
    "survival": 3, "observed": 3, "expected": 3, "net_survival": 3, "relative_survival": 3,
    "cumulative_incidence": 3, "lower": 3, "upper": 3, "se": 3, "std_err": 3,
    "cancer": 3, "other": 3, "relative": 3, "net": 3,
    "hr": 2, "coef": 3, "chisq": 2, "lr_chisq": 2, "concordance": 3, "z": 2,
    "median": 1, "rmst": 1, "horizon": 0, "time": 0, "lnr": 2, "lodds": 2,
}
# column name -> header with its unit
_HEADERS = {
    "median": "median (months)",
    "rmst": "RMST (months)",
    "horizon": "horizon (months)",
    "time": "time (months)",
}


def p_text(p: float | None) -> str:
    """A p-value as papers print it.

    >>> p_text(3.319e-46), p_text(0.0421), p_text(0.5), p_text(None)
    ('<0.001', '0.042', '0.500', '')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p: float) -> str:
    """A p-value in a sentence.

    >>> p_phrase(3.3e-46), p_phrase(0.0421)
    ('p < 0.001', 'p = 0.042')
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def count_text(n: int | None, threshold: int) -> str:
    """A count as released: ``<11`` below the threshold (and above 0), with
    thousands separators.

    >>> count_text(7, 11), count_text(0, 11), count_text(4877, 11), count_text(5, 0)
    ('<11', '0', '4,877', '5')
    """
    if n is None:
        return ""
    if isinstance(n, str):  # already released
        return n
    n = int(n)
    return f"<{threshold}" if 0 < n < threshold else f"{n:,}"


def fixed(x: float | None, digits: int) -> str:
    """``x`` to ``digits`` decimals; blank when missing, ``NA`` when not a number.

    >>> fixed(0.81234, 3), fixed(None, 2), fixed(float("nan"), 2), fixed(12.0, 0)
    ('0.812', '', 'NA', '12')
    """
    if x is None:
        return ""
    if isinstance(x, float) and math.isnan(x):
        return "NA"
    if isinstance(x, float) and math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return f"{x:.{digits}f}"


def _decimals(name: str, interval: int = 3) -> int | None:
    """Decimals for a column, by its name or the quantity it names;
    ``interval``: those of a table's CI limits (``lower``, ``upper``, ``se``).

    >>> _decimals("hr_adjusted"), _decimals("p_holm"), _decimals("lower_univariable")
    (2, None, 2)
    >>> _decimals("survival"), _decimals("median"), _decimals("age"), _decimals("lower", 1)
    (3, 1, None, 1)
    """
    if name in ("lower", "upper", "se"):
        return interval
    if name in _DECIMALS:
        return _DECIMALS[name]
    stem = name.split("_")[0]
    if stem in ("lower", "upper", "hr") and any(k in name for k in ("adjusted", "univariable",
                                                                   "cs_", "sd_")):
        return 2
    if stem in _DECIMALS and stem not in ("time",):
        return _DECIMALS[stem]
    return None


def readable(df: pl.DataFrame) -> pl.DataFrame:
    """A result table formatted for reading (every column as text).

    Known quantities get fixed decimals (survival 3, hazard ratio 2,
    months 1), p-value columns (``p``, ``p_*``, ``lr_p``) read ``<0.001``,
    other floats keep four significant digits, headers carry their unit, and
    a hazard ratio row of a continuous term says what it is per.

    >>> df = pl.DataFrame({"group": ["N0"], "median": [61.25], "survival": [0.81234],
    ...                    "p": [3.3e-46]})
    >>> readable(df).rows(named=True)
    [{'group': 'N0', 'median (months)': '61.2', 'survival': '0.812', 'p': '<0.001'}]
    """
    # the CI limits of a median or RMST are months; of a hazard ratio, a ratio
    interval = 1 if {"median", "rmst"} & set(df.columns) else \
        2 if "hr" in df.columns else 3
    out = []
    for name, dtype in df.schema.items():
        col = df.get_column(name)
        if name == "p" or name.startswith("p_") or name.endswith("_p"):
            if dtype.is_numeric():
                col = pl.Series(name, [p_text(v) for v in col.to_list()], dtype=pl.Utf8)
        elif dtype in (pl.Float32, pl.Float64):
            digits = _decimals(name, interval)
            values = col.to_list()
            if digits is None:
                col = pl.Series(name, ["" if v is None else "NA" if math.isnan(v) else f"{v:.4g}"
                                       for v in values], dtype=pl.Utf8)
            else:
                col = pl.Series(name, [fixed(v, digits) for v in values], dtype=pl.Utf8)
        out.append(col.alias(_HEADERS.get(name, name)))
    frame = pl.DataFrame(out) if out else df
    if {"term", "level"} <= set(df.columns) and df.schema["level"] in (pl.Utf8, pl.Null):
        frame = frame.with_columns(per_unit_levels(df["term"], df["level"]).alias("level"))
    return frame


def per_unit_levels(terms: pl.Series, levels: pl.Series) -> pl.Series:
    """The level column of a hazard-ratio table, with the unit of each
    continuous term (a null level) spelled out.

    >>> per_unit_levels(pl.Series(["age_at_dx", "sex"]), pl.Series([None, "2"])).to_list()
    ['per year of age', '2']
    """
    return pl.Series("level", [
        (lv if lv is not None else TERM_UNITS.get(t, "per unit"))
        for t, lv in zip(terms.to_list(), levels.to_list(), strict=True)
    ], dtype=pl.Utf8)
