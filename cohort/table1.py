"""Table 1: characteristics of a cohort by group, as data, in the layout of
gtsummary's ``tbl_summary``.

One row per continuous variable (median (IQR)), a heading row and one row
per level for a categorical variable (n (%)), one row for a yes/no variable
(n (%) of yes), and an ``Unknown`` row wherever values are missing; one
column per group (header ``N0 (N = 2,822)``), an ``Overall`` column, and on
request a p-value per variable with the test named beside it.

Everything is computed from counts: each variable is collapsed in DuckDB to
(group, value, count) and the medians, quartiles and tests are exact on
those counts, so a 10-million-record cohort costs one small query per
variable.

Disclosure control (:mod:`cohort.table1_disclosure`): a count below the
threshold prints as ``<11`` with no percentage; where that count could be
recovered by subtraction (from the group's N down a column, or from the
Overall column across a row) the next-smallest count of that line is
withheld as well (``–``), and the table is audited so that no withheld
count can be worked out exactly. Groups with fewer cases than the threshold
are not shown, and their records are not counted in Overall either (else
Overall minus the other columns would give them away).

Notes
-----
- Quartiles are R's ``quantile(type = 2)`` (the inverse of the empirical
  distribution, averaging at jumps), which is what gtsummary prints as
  ``p25``/``p75``; the median is the usual one.
- Percentages are of the group's non-missing values (gtsummary's default
  with ``missing = "ifany"``); the ``Unknown`` row gives the missing count.
- Tests: Pearson's chi-squared (no continuity correction, as gtsummary's
  ``chisq.test.no.correct``) for categorical and yes/no variables,
  Kruskal-Wallis (ranks with ties, tie-corrected, as R's ``kruskal.test``)
  for continuous ones; missing values are left out of both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from cohort.disclosure import DEFAULT_THRESHOLD
from cohort.errors import CohortError
from cohort.formatting import p_text
from cohort.labels import label as _label

#: what Table 1 shows when no variables are given, in this order (those in the data)
DEFAULT_VARIABLES = (
    "age_at_dx", "age_band", "sex", "race_group", "dx_year_group", "grade_group", "t_stage",
    "subtype", "nodes_examined", "nodes_positive", "lnr", "adequate_exam", "ene",
    "summary_stage_2018", "surgery", "radiation", "chemotherapy", "neoadjuvant",
)

#: how a variable reads in the table (with its unit)
VARIABLE_NAMES = {
    "age_at_dx": "Age at diagnosis (years)",
    "age_band": "Age group (years)",
    "age_group": "Age group (years)",
    "sex": "Sex",
    "race_group": "Race and ethnicity",
    "dx_year": "Year of diagnosis",
    "dx_year_group": "Years of diagnosis",
    "grade": "Grade",
    "grade_group": "Grade",
    "t_stage": "T stage",
    "subtype": "Subtype",
    "nodes_examined": "Lymph nodes examined",
    "nodes_positive": "Positive lymph nodes",
    "nodes_negative": "Negative lymph nodes",
    "lnr": "Lymph node ratio",
    "lodds": "Log odds of positive nodes",
    "adequate_exam": "Adequate nodal examination",
    "ene": "Extranodal extension",
    "summary_stage_2018": "Summary stage 2018",
    "surgery": "Surgery",
    "radiation": "Radiation",
    "chemotherapy": "Chemotherapy",
    "neoadjuvant": "Neoadjuvant therapy",
    "node_burden": "Node burden (AJCC count category)",
    "n_stage_group": "Staged N",
    "node_status": "Node status",
    "site_group": "Site",
}

KINDS = ("continuous", "categorical", "dichotomous")


class Table1Error(CohortError):
    """Table 1 cannot be built as asked (unknown variable, grouping column...)."""


def variable_name(variable: str) -> str:
    """The name a reader sees for a variable.

    >>> variable_name("age_at_dx"), variable_name("my_score")
    ('Age at diagnosis (years)', 'my_score')
    """
    return VARIABLE_NAMES.get(variable, variable)


def level_label(variable: str, value, *, site: str | None = None) -> str:
    """The label of a code (``sex`` ``2`` -> ``female``; node burden by the
    site's count rule), the code itself when there is none: the registry's
    label tables, :mod:`cohort.labels`.

    >>> level_label("sex", "2"), level_label("node_burden", "N2", site="breast")
    ('female', 'N2 (4-9 nodes)')
    """
    return _label(variable, value, site=site)


@dataclass
class Variable:
    """One variable's counts: ``counts`` has group, value, n (value null: missing)."""

    name: str
    kind: str
    counts: pl.DataFrame
    levels: list[str] | None = None


def _kind(duck_type: str, forced: dict[str, str], name: str) -> str:
    if name in forced:
        return forced[name]
    if duck_type == "BOOLEAN":
        return "dichotomous"
    if duck_type.startswith("ENUM") or duck_type in ("VARCHAR", "DATE"):
        return "categorical"
    if any(duck_type.startswith(t) for t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT",
                                             "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL", "REAL",
                                             "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")):
        return "continuous"
    raise Table1Error(f"{name} has type {duck_type}, which Table 1 cannot summarise; give "
                      "a text, boolean or numeric column")


def collect(cohort, by: str | None, variables: list[str], *,
            categorical=(), continuous=()) -> tuple[list[Variable], list[str], dict[str, int]]:
    """Each variable collapsed to (group, value, n) over the eligible records,
    the groups in order, and the records per group."""
    from cohort.cohort import _quote

    forced = {**{v: "categorical" for v in categorical}, **{v: "continuous" for v in continuous}}
    names = [*([by] if by else []), *variables]
    try:
        types = cohort._types(names)
    except CohortError as exc:
        raise Table1Error(f"Table 1: {exc}") from None
    group = f"{_quote(by)}::varchar" if by else "'all'"
    sizes = cohort.registry.sql(
        f"select {group} as grp, count(*) as n from ({cohort.sql}) where exclusion_reason is "
        "null group by all", cohort.params)
    if by and types[by].startswith("ENUM"):
        order = [str(v) for v in cohort.registry.sql(
            f"select enum_range(null::{types[by]}) as r")["r"][0]]
    else:
        from cohort.survival.km import natural_levels

        order = natural_levels(sizes["grp"])
    present = set(sizes["grp"].to_list())
    groups = [g for g in order if g in present] + (["Unknown"] if None in present else [])
    n_by = {("Unknown" if g is None else g): int(n) for g, n in sizes.iter_rows()}
    out = []
    for name in variables:
        kind = _kind(types[name], forced, name)
        value = _quote(name) if kind == "continuous" else f"{_quote(name)}::varchar"
        if kind == "continuous":
            value = f"{_quote(name)}::double"
        df = cohort.registry.sql(
            f"select coalesce({group}, 'Unknown') as grp, {value} as value, count(*) as n "
            f"from ({cohort.sql}) where exclusion_reason is null group by all",
            cohort.params)
        levels = None
        if kind == "categorical":
            if types[name].startswith("ENUM"):
                enum = cohort.registry.sql(f"select enum_range(null::{types[name]}) as r")["r"][0]
                seen = set(df["value"].drop_nulls().to_list())
                levels = [str(v) for v in enum if str(v) in seen]
            else:
                from cohort.survival.km import natural_levels

                levels = natural_levels(df["value"])
        out.append(Variable(name, kind, df, levels))
    return out, groups, n_by


def quantile_type2(values: np.ndarray, weights: np.ndarray, p: float) -> float:
    """R's ``quantile(x, p, type = 2)`` of values given with whole-number counts.

    >>> quantile_type2(np.array([1.0, 2, 3, 4]), np.ones(4), 0.25)
    1.5
    >>> quantile_type2(np.array([1.0, 2, 3, 4, 5]), np.ones(5), 0.5)
    3.0
    """
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    n = cum[-1]
    j = n * p
    if abs(j - round(j)) < 1e-9 and 0 < round(j) < n:
        j = round(j)  # at a jump: the average of the j-th and (j+1)-th values
        lo = v[np.searchsorted(cum, j, side="left")]
        hi = v[np.searchsorted(cum, j + 1, side="left")]
        return float((lo + hi) / 2)
    k = min(max(math.ceil(j - 1e-9), 1), n)
    return float(v[np.searchsorted(cum, k, side="left")])


def kruskal_wallis(groups: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, int, float]:
    """Kruskal-Wallis H (tie-corrected, as R's ``kruskal.test``), df and p from
    each group's (values, counts).

    >>> h, df, p = kruskal_wallis([(np.array([1.0, 2, 3]), np.ones(3)),
    ...                            (np.array([4.0, 5, 6]), np.ones(3))])
    >>> round(h, 4), df, round(p, 4)
    (3.8571, 1, 0.0495)
    """
    from scipy.stats import chi2

    groups = [(v, w) for v, w in groups if w.sum() > 0]
    values = np.concatenate([v for v, _ in groups])
    weights = np.concatenate([w for _, w in groups])
    distinct, inverse = np.unique(values, return_inverse=True)
    t = np.bincount(inverse, weights=weights)  # records at each distinct value
    below = np.cumsum(t) - t
    midrank = below + (t + 1) / 2
    n = t.sum()
    start = 0
    h = 0.0
    for v, w in groups:
        idx = inverse[start:start + v.size]
        start += v.size
        r = float((midrank[idx] * w).sum())
        h += r * r / w.sum()
    h = 12 / (n * (n + 1)) * h - 3 * (n + 1)
    ties = 1 - float((t ** 3 - t).sum()) / (n ** 3 - n) if n > 1 else 1.0
    h = float(h / ties) if ties > 0 else float("nan")
    df = len(groups) - 1
    return h, df, float(chi2.sf(h, df)) if df > 0 and np.isfinite(h) else float("nan")


def chi_square(table: np.ndarray) -> tuple[float, int, float, float]:
    """Pearson's chi-squared test of a levels x groups table (no continuity
    correction), and the share of cells with an expected count below 5.

    >>> x, df, p, small = chi_square(np.array([[10, 20], [30, 40]]))
    >>> round(x, 4), df, round(p, 4), small
    (0.7937, 1, 0.373, 0.0)
    """
    from scipy.stats import chi2

    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0].astype(float)
    if min(table.shape) < 2:
        return float("nan"), 0, float("nan"), 0.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    x = float(((table - expected) ** 2 / expected).sum())
    df = (table.shape[0] - 1) * (table.shape[1] - 1)
    return x, df, float(chi2.sf(x, df)), float((expected < 5).mean())


# -- building the table ----------------------------------------------------------


@dataclass
class Block:
    """One variable's rows: labels, a status and text per cell, its test."""

    variable: str
    kind: str
    rows: list[dict]  # row_type, label, level, cells {column: text}
    test: str = ""
    p: float | None = None


def _pct(k: float, d: float) -> str:
    if d <= 0:
        return ""
    pct = 100 * k / d
    return f"{pct:.0f}%" if pct >= 1 or pct == 0 else "<1%"


def _num(x: float, decimals: int) -> str:
    """A statistic to ``decimals`` places; a half between whole values keeps it.

    >>> _num(56.5, 0), _num(42.0, 0), _num(0.2213, 2)
    ('56.5', '42', '0.22')
    """
    if decimals == 0 and x != round(x):
        return f"{x:,.1f}"
    return f"{x:,.{decimals}f}"


def _decimals(values: np.ndarray) -> int:
    """0 for whole numbers (age, node counts); 2 otherwise (ratios)."""
    v = values[np.isfinite(values)]
    return 0 if v.size == 0 or np.all(v == np.round(v)) else 2


def _matrix(var: Variable, groups: list[str], keys: list) -> np.ndarray:
    """counts[key, group] for the keys (values; None for missing)."""
    index = {g: j for j, g in enumerate(groups)}
    pos = {k: i for i, k in enumerate(keys)}
    m = np.zeros((len(keys), len(groups)))
    for g, v, n in var.counts.iter_rows():
        if g in index and v in pos:
            m[pos[v], index[g]] += n
    return m


def _protect_block(counts: np.ndarray, printed_rows: list[bool], sizes: np.ndarray,
                   threshold: int):
    """Statuses of a block's cells (rows x groups, plus the Overall column)."""
    from cohort.suppression import Line, protect

    rows, cols = counts.shape
    full = np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1)
    values = full.ravel()
    printed = np.repeat(np.array(printed_rows, bool), cols + 1)
    lines = []
    for j in range(cols + 1):  # each column adds up to its printed N
        lines.append(Line([i * (cols + 1) + j for i in range(rows)], [1.0] * rows,
                          float(sizes[j]) if j < cols else float(sizes.sum())))
    for i in range(rows):  # across a row the groups add up to Overall
        lines.append(Line([i * (cols + 1) + j for j in range(cols + 1)],
                          [1.0] * cols + [-1.0], 0.0))
    status = protect(values, lines, threshold=threshold, printed=printed)
    return status.reshape(rows, cols + 1)


def _count_text(n: float, status: int, threshold: int) -> str:
    from cohort.suppression import COMPLEMENTARY, PRIMARY

    if status == PRIMARY:
        return f"<{threshold}"
    if status == COMPLEMENTARY:
        return "\u2013"
    return f"{int(n):,}"


def _block(var: Variable, groups: list[str], sizes: np.ndarray, threshold: int,
           tests: bool, site: str | None, *, codes: bool = False) -> Block:
    cols = [*groups, "Overall"]
    name = variable_name(var.name)
    missing = _matrix(var, groups, [None])[0]
    any_missing = bool(missing.sum() > 0)
    rows: list[dict] = []
    if var.kind == "continuous":
        known = sizes - missing
        counts = np.vstack([known, missing])
        status = _protect_block(counts, [False, True], sizes, threshold)
        data = var.counts.filter(pl.col("value").is_not_null())
        dec = _decimals(data["value"].to_numpy())
        cells = {}
        per_group = []
        for g in cols:
            part = data if g == "Overall" else data.filter(pl.col("grp") == g)
            part = part.filter(pl.col("grp").is_in(groups))
            v, w = part["value"].to_numpy().astype(float), part["n"].to_numpy().astype(float)
            if g != "Overall":
                per_group.append((v, w))
            k = w.sum()
            if k == 0:
                cells[g] = "NA"  # no known value (all Unknown)
            elif 0 < k < threshold:  # too few values to summarise without disclosing them
                cells[g] = "\u2013"
            else:
                med = quantile_type2(v, w, 0.5)
                q1, q3 = quantile_type2(v, w, 0.25), quantile_type2(v, w, 0.75)
                cells[g] = f"{_num(med, dec)} ({_num(q1, dec)}, {_num(q3, dec)})"
        rows.append({"row_type": "label", "label": f"{name}, median (IQR)", "level": None,
                     "cells": cells})
        block = Block(var.name, var.kind, rows)
        if tests and len(groups) > 1:
            h, df, p = kruskal_wallis(per_group)
            block.test, block.p = "Kruskal-Wallis rank sum test", p
    else:
        if var.kind == "dichotomous":
            keys = ["true", "false"]
            counts = _matrix(var, groups, keys)
            printed_rows = [True, False]
            level_rows = [("level", f"{name}, n (%)", "true")]
        else:
            keys = list(var.levels or [])
            counts = _matrix(var, groups, keys)
            printed_rows = [True] * len(keys)
            level_rows = [("level", str(k) if codes else level_label(var.name, k, site=site), k)
                          for k in keys]
        counts = np.vstack([counts, missing])
        # the Unknown row is known even when not printed: then it is all zeros
        status = _protect_block(counts, [*printed_rows, True], sizes, threshold)
        full = np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1)
        known = full[:-1].sum(axis=0)
        if var.kind == "categorical":
            rows.append({"row_type": "label", "label": f"{name}, n (%)", "level": None,
                         "cells": {g: "" for g in cols}})
        for i, (kind, label, key) in enumerate(level_rows):
            cells = {}
            for j, g in enumerate(cols):
                text = _count_text(full[i, j], status[i, j], threshold)
                shown = status[i, j] == 0
                cells[g] = f"{text} ({_pct(full[i, j], known[j])})" if shown and full[i, j] \
                    else text
            rows.append({"row_type": "label" if var.kind == "dichotomous" else kind,
                         "label": label, "level": key, "cells": cells})
        block = Block(var.name, var.kind, rows)
        if tests and len(groups) > 1:
            x, df, p, small = chi_square(counts[:-1])
            block.test = "Pearson's chi-squared test" + (
                f" (expected counts below 5 in {small:.0%} of cells)" if small > 0.2 else "")
            block.p = p
    if any_missing:
        i = counts.shape[0] - 1 if var.kind != "continuous" else 1
        full = np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1)
        rows.append({"row_type": "missing", "label": "Unknown", "level": None,
                     "cells": {g: _count_text(full[i, j], status[i, j], threshold)
                               for j, g in enumerate(cols)}})
    return block


def table1(cohort, *, by: str | None = "node_burden", variables=None, tests: bool = False,
           overall: bool = True, suppress_below: int = DEFAULT_THRESHOLD, categorical=(),
           continuous=(), site: str | None = None, codes: bool = False) -> pl.DataFrame:
    """Table 1 of ``cohort`` by ``by``, as a polars DataFrame.

    Parameters
    ----------
    by
        Grouping column (one column per level, in its clinical order); None
        for the whole cohort.
    variables
        Columns to describe; default :data:`DEFAULT_VARIABLES` that are in
        the data and not entirely missing. Numbers are continuous (median
        (IQR)), text and categories categorical (n (%)), booleans yes/no.
    tests
        Add ``p-value`` and ``test`` columns: Pearson's chi-squared for
        categorical variables, Kruskal-Wallis for continuous ones.
    overall
        Add the ``Overall`` column.
    suppress_below
        Counts below this print as ``<11`` (with complementary suppression);
        groups smaller than it are left out.
    categorical, continuous
        Variables to treat as categorical (a numeric code) or continuous.
    site
        Site group for site-specific labels (node burden categories); by
        default the cohort's one site group, when it has one.
    codes
        Keep the registry's codes (``N2``, sex ``2``) in the headers and
        levels instead of their labels (``N2 (4-9 nodes)``, ``female``).

    Returns
    -------
    polars.DataFrame
        ``variable``, ``row_type`` (``label``/``level``/``missing``),
        ``label``, one column per group (``N0 (N = 2,822)``), ``Overall (N =
        ...)``, and with ``tests`` the ``p-value`` and ``test``.

    Examples
    --------
    >>> import cohort, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> reg = cohort.Registry(tmp / "r.duckdb")
    >>> _ = reg.load(cohort.synth.write(tmp / "x.csv", n=2000, seed=4))
    >>> t = reg.cohort("site_group = 'breast'").table1(variables=["age_at_dx", "sex"])
    >>> t["label"].to_list()
    ['Age at diagnosis (years), median (IQR)', 'Sex, n (%)', 'male', 'female']
    """
    if variables is None:
        have = set(_columns(cohort))
        variables = [v for v in DEFAULT_VARIABLES if v in have and v != by]
        variables = [v for v in variables if _known_somewhere(cohort, v)]
    variables = list(dict.fromkeys(variables))
    if by in variables:
        raise Table1Error(f"{by} is the grouping column; leave it out of the variables")
    data, groups, n_by = collect(cohort, by, variables, categorical=categorical,
                                 continuous=continuous)
    threshold = suppress_below
    shown = [g for g in groups if n_by.get(g, 0) >= max(threshold, 1)]
    hidden = [g for g in groups if g not in shown]
    sizes = np.array([n_by[g] for g in shown], dtype=float)
    if site is None and by == "node_burden" and not codes:
        from cohort.grouping import single_site

        site = single_site(cohort)
    headers = {g: f"{level_label(by, g, site=site) if by and not codes else g} "
                  f"(N = {n_by[g]:,})" for g in shown}
    headers["Overall"] = f"Overall (N = {int(sizes.sum()):,})"
    if not shown:
        raise Table1Error(
            f"every group of {by or 'the cohort'} has fewer than {threshold} eligible cases "
            f"({', '.join(hidden) or 'no records'}); Table 1 would disclose them")
    records = []
    for var in data:
        block = _block(var, shown, sizes, threshold, tests, site, codes=codes)
        for k, row in enumerate(block.rows):
            rec = {"variable": var.name, "row_type": row["row_type"], "label": row["label"]}
            for g in [*shown, "Overall"]:
                rec[headers[g]] = row["cells"].get(g, "")
            if tests:
                first = k == 0
                rec["p-value"] = p_text(block.p) if first and block.p is not None else ""
                rec["test"] = block.test if first else ""
            records.append(rec)
    columns = ["variable", "row_type", "label", *[headers[g] for g in shown],
               *([headers["Overall"]] if overall else []), *(["p-value", "test"] if tests else [])]
    schema = {c: pl.Utf8 for c in columns}
    out = pl.DataFrame([{c: r.get(c, "") for c in columns} for r in records], schema=schema,
                       orient="row") if records else pl.DataFrame(schema=schema)
    return out


def _columns(cohort) -> list[str]:
    desc = cohort.registry.sql(f"describe select * from ({cohort.sql})", cohort.params)
    return desc["column_name"].to_list()


def _known_somewhere(cohort, variable: str) -> bool:
    from cohort.cohort import _quote

    df = cohort.registry.sql(f"select count({_quote(variable)}) > 0 as any from ({cohort.sql}) "
                             "where exclusion_reason is null", cohort.params)
    return bool(df["any"][0])


def left_out(cohort, by: str | None, *, suppress_below: int = DEFAULT_THRESHOLD) -> list[str]:
    """Groups of ``by`` with fewer cases than the threshold (not in Table 1)."""
    if by is None:
        return []
    _, groups, n_by = collect(cohort, by, [])
    return [g for g in groups if 0 < n_by.get(g, 0) < suppress_below]


def paper_layout(table: pl.DataFrame) -> pl.DataFrame:
    """Table 1 as printed: a ``Characteristic`` column (levels and Unknown
    indented) and the group columns, without the machine columns."""
    indent = "\u00a0\u00a0\u00a0\u00a0"
    label = pl.when(pl.col("row_type") == "label").then(pl.col("label")).otherwise(
        pl.lit(indent) + pl.col("label"))
    keep = [c for c in table.columns if c not in ("variable", "row_type", "label")]
    return table.with_columns(label.alias("Characteristic")).select("Characteristic", *keep)
