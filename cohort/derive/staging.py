"""Staged N and T from whichever edition applies to the year of diagnosis,
and positive-node count groups for sites whose AJCC N is not count-based.

Registries stage with the system of the year of diagnosis: Collaborative
Stage derived AJCC 6th edition (items 2940-3000, 2004-2015), derived AJCC
7th edition (3400-3430, 2010-2015), SEER's Derived Combined T/N/M
(3616-3620, 2016-2017, AJCC 7th) and Derived EOD 2018 T/N/M (785-815,
2018+, AJCC 8th). The edition used for a record:

==========  ===========================================================
dx_year     items tried, first usable wins
==========  ===========================================================
2004-2009   AJCC 6th
2010-2015   AJCC 7th, then AJCC 6th
2016-2017   SEER combined, then AJCC 7th
2018+       EOD 2018
unknown     EOD 2018, SEER combined, AJCC 7th, AJCC 6th
before 2004 none (the derived items start in 2004)
==========  ===========================================================

"Usable" means present, a code of the crosswalk, and not 88 (not
applicable). The harmonised group of each code is a data table
(``n_stage_crosswalk.csv``, ``t_stage_crosswalk.csv``; docs/staged_n.md).
"""

from __future__ import annotations

import polars as pl

from cohort.codebook import count_groups, n_stage_crosswalk, t_stage_crosswalk

N_STAGE_GROUP_LEVELS = ("N0", "N1", "N2", "N3", "NX")
T_STAGE_LEVELS = ("T0", "Ta", "Tis", "T1", "T2", "T3", "T4", "TX")
STAGE_EDITIONS = ("AJCC 6th", "AJCC 7th", "AJCC 7th (SEER combined)", "AJCC 8th (EOD 2018)")
NODE_COUNT_GROUP_LEVELS = ("0", "1", "1-3", ">=2", ">=4", "unknown")

# source -> (edition label, crosswalk key, N item, T item)
_SOURCES = {
    "ajcc6": ("AJCC 6th", "ajcc6", "ajcc6_n", "ajcc6_t"),
    "ajcc7": ("AJCC 7th", "ajcc7", "ajcc7_n", "ajcc7_t"),
    "seer_cmb": ("AJCC 7th (SEER combined)", "written", "seer_cmb_n", "seer_cmb_t"),
    "eod2018": ("AJCC 8th (EOD 2018)", "written", "eod2018_n", "eod2018_t"),
}
_ANY_YEAR = ("eod2018", "seer_cmb", "ajcc7", "ajcc6")

N_INPUTS = ("dx_year", "ajcc6_n", "ajcc7_n", "seer_cmb_n", "eod2018_n")
T_INPUTS = ("dx_year", "ajcc6_t", "ajcc7_t", "seer_cmb_t", "eod2018_t")


def _year_rules() -> list[tuple[pl.Expr, tuple[str, ...]]]:
    year = pl.col("dx_year")
    return [
        (year >= 2018, ("eod2018",)),
        (year.is_between(2016, 2017), ("seer_cmb", "ajcc7")),
        (year.is_between(2010, 2015), ("ajcc7", "ajcc6")),
        (year.is_between(2004, 2009), ("ajcc6",)),
        (year.is_null(), _ANY_YEAR),
    ]


def written_category(code: pl.Expr, letter: str) -> pl.Expr:
    """A written T or N (SEER combined, EOD 2018) reduced to its category:
    upper case, no spaces or parentheses, no ``c``/``p``/``yc``/``yp``
    prefix and no leading ``N`` or ``T``.

    >>> df = pl.DataFrame({"n": ["p1A", "N0(i+)", "c0", "N1a(sn)", "pX", "88", "yp2"]})
    >>> df.select(written_category(pl.col("n"), "N"))["n"].to_list()
    ['1A', '0I+', '0', '1ASN', 'X', '88', '2']
    """
    c = code.str.to_uppercase().str.replace_all(r"[\s()]", "")
    return c.str.replace(r"^(YC|YP|C|P)", "").str.replace(f"^{letter}", "")


def _written_lookup(category: pl.Expr, table: dict, default=None) -> pl.Expr:
    """Match a written category against the crosswalk's ``written`` keys:
    ``88`` exactly, the others as leading characters (longest first)."""
    expr = pl.lit(default, pl.Utf8)
    for key in sorted(table, key=len):
        value = table[key]
        cond = category == key if key == "88" else category.str.starts_with(key)
        expr = pl.when(cond).then(pl.lit(value, pl.Utf8)).otherwise(expr)
    return expr


def _written_n_stage(category: pl.Expr) -> pl.Expr:
    """AJCC spelling of a written N category: ``1A`` -> ``N1a``,
    ``0I+`` -> ``N0(i+)``, ``1ASN`` -> ``N1a(sn)``, ``X`` -> ``NX``."""
    digit = category.str.slice(0, 1)
    rest = category.str.slice(1).str.to_lowercase().str.replace(r"sn$", "(sn)")
    rest = pl.when(rest.str.contains(r"^(i|mol)[+-]")).then("(" + rest + ")").otherwise(rest)
    return pl.when(digit.is_in(["0", "1", "2", "3", "X"])).then("N" + digit + rest)


def _n_parts(source: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(usable, n_stage, n_stage_group) of one source."""
    _, key, item, _ = _SOURCES[source]
    code = pl.col(item)
    table = n_stage_crosswalk()[key]
    if key != "written":
        stage = code.replace_strict({k: v[0] for k, v in table.items()}, default=None,
                                    return_dtype=pl.Utf8)
        group = code.replace_strict({k: v[1] for k, v in table.items()}, default=None,
                                    return_dtype=pl.Utf8)
        known = code.is_in(list(table))
        not_applicable = stage.is_null() & known
    else:
        category = written_category(code, "N")
        group = _written_lookup(category, {k: v[1] for k, v in table.items()})
        stage = _written_n_stage(category)
        known = group.is_not_null()
        not_applicable = category == "88"
    usable = (known & ~not_applicable).fill_null(False)
    return usable, stage, group


def _t_parts(source: str) -> tuple[pl.Expr, pl.Expr]:
    """(usable, t_stage) of one source."""
    _, key, _, item = _SOURCES[source]
    code = pl.col(item)
    table = t_stage_crosswalk()[key]
    if key != "written":
        stage = code.replace_strict(table, default=None, return_dtype=pl.Utf8)
    else:
        stage = _written_lookup(written_category(code, "T"), table)
    return stage.is_not_null().fill_null(False), stage


def _by_year(usable: dict[str, pl.Expr], values: dict[str, pl.Expr], dtype=pl.Utf8) -> pl.Expr:
    """The value of the first usable source of the record's year (module
    table). One ``when`` per (year rule, source): the expression grows with
    the number of rules, not with their square."""
    expr = pl.lit(None, dtype)
    cases = [(cond, src) for cond, order in _year_rules() for src in order]
    for cond, src in reversed(cases):
        expr = pl.when(cond & usable[src]).then(values[src]).otherwise(expr)
    return expr


def _n_choice(part: int) -> pl.Expr:
    """n_stage (part 1) or n_stage_group (part 2) of the source of the year."""
    parts = {src: _n_parts(src) for src in _SOURCES}
    return _by_year({s: p[0] for s, p in parts.items()}, {s: p[part] for s, p in parts.items()})


def n_stage() -> pl.Expr:
    """The staged N category (AJCC spelling, e.g. ``N1a``, ``N0(i+)``, ``NX``)
    of the edition that applies to the year of diagnosis; null when no
    applicable item gives one.

    >>> df = pl.DataFrame({"dx_year": [2008, 2012, 2012, 2016, 2019, 2019],
    ...                    "ajcc6_n": ["11", "20", "20", None, None, None],
    ...                    "ajcc7_n": [None, "210", None, None, None, None],
    ...                    "seer_cmb_n": [None, None, None, "p1A", None, None],
    ...                    "eod2018_n": [None, None, None, None, "N0(i+)", "88"]},
    ...                   schema_overrides={"dx_year": pl.Int32})
    >>> out = df.select(n_stage(), n_stage_group(), n_stage_edition())
    >>> out.rows()  # doctest: +NORMALIZE_WHITESPACE
    [('N1a', 'N1', 'AJCC 6th'), ('N2a', 'N2', 'AJCC 7th'), ('N2', 'N2', 'AJCC 6th'),
     ('N1a', 'N1', 'AJCC 7th (SEER combined)'), ('N0(i+)', 'N0', 'AJCC 8th (EOD 2018)'),
     (None, 'NX', None)]
    """
    return _n_choice(1).alias("n_stage")


def n_stage_group() -> pl.Expr:
    """Harmonised N group N0 / N1 / N2 / N3 / NX of :func:`n_stage`; NX when
    the record has no usable staged N (not assessed, not applicable, absent)."""
    group = _n_choice(2)
    return group.fill_null("NX").cast(pl.Enum(N_STAGE_GROUP_LEVELS)).alias("n_stage_group")


def n_stage_edition() -> pl.Expr:
    """The staging system :func:`n_stage` comes from (null when none)."""
    usable = {src: _n_parts(src)[0] for src in _SOURCES}
    labels = {src: pl.lit(v[0]) for src, v in _SOURCES.items()}
    return _by_year(usable, labels).cast(pl.Enum(STAGE_EDITIONS)).alias("n_stage_edition")


def t_stage() -> pl.Expr:
    """Harmonised T category (T0, Ta, Tis, T1-T4, TX) of the edition that
    applies to the year of diagnosis, by the same rule as :func:`n_stage`.

    >>> df = pl.DataFrame({"dx_year": [2008, 2013, 2017, 2020],
    ...                    "ajcc6_t": ["12", None, None, None],
    ...                    "ajcc7_t": [None, "420", None, None],
    ...                    "seer_cmb_t": [None, None, "pIS", None],
    ...                    "eod2018_t": [None, None, None, "T1c"]},
    ...                   schema_overrides={"dx_year": pl.Int32})
    >>> df.select(t_stage())["t_stage"].to_list()
    ['T1', 'T4', 'Tis', 'T1']
    """
    parts = {src: _t_parts(src) for src in _SOURCES}
    stage = _by_year({s: p[0] for s, p in parts.items()}, {s: p[1] for s, p in parts.items()})
    return stage.cast(pl.Enum(T_STAGE_LEVELS)).alias("t_stage")


def node_count_group() -> pl.Expr:
    """Positive-node count group for sites whose AJCC N is not count-based
    (``count_groups.csv``: lung 0 / 1-3 / >=4; head and neck 0 / 1 / >=2);
    ``unknown`` when the count is not known (95, 97, 98, 99, blank); null
    for the other sites. Needs ``site_group``.

    >>> df = pl.DataFrame({"site_group": ["lung", "lung", "lung", "head_neck", "breast"],
    ...                    "nodes_positive_code": ["00", "03", "97", "02", "05"]})
    >>> df.select(node_count_group())["node_count_group"].to_list()
    ['0', '1-3', 'unknown', '>=2', None]
    """
    code = pl.col("nodes_positive_code")
    count = pl.when(code.str.contains(r"^([0-8][0-9]|90)$")).then(code.cast(pl.Int32,
                                                                            strict=False))
    site = pl.col("site_group").cast(pl.Utf8)
    expr = pl.lit(None, pl.Utf8)
    for group_site, groups in count_groups().items():
        in_site = site == group_site
        expr = pl.when(in_site & count.is_null()).then(pl.lit("unknown")).otherwise(expr)
        for name, lo, hi in groups:
            cond = in_site & (count >= lo)
            if hi is not None:
                cond = cond & (count <= hi)
            expr = pl.when(cond).then(pl.lit(name)).otherwise(expr)
    return expr.cast(pl.Enum(NODE_COUNT_GROUP_LEVELS)).alias("node_count_group")
