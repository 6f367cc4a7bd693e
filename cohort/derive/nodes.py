"""Lymph-node variables from the NAACCR node items (rules: NODES.md).

Codes (NAACCR 820 Regional Nodes Positive, 830 Regional Nodes Examined):
``00``-``89`` exact counts; ``90`` ninety or more (kept as 90, a lower
bound: it gives the top N category but no ratio); positive ``95``/``97``
node-positive with the number unknown; ``98`` no nodes examined; ``99``
unknown. Inconsistent pairs are listed in ``node_edits``, never repaired.
"""

from __future__ import annotations

import polars as pl

from cohort.derive.sites import adequate_threshold, nx_reason_for_site
from cohort.derive.tables import NODE_BURDEN_LEVELS, n_categories

NODE_STATUS_LEVELS = ("N0", "N+", "NX")

_EXACT = r"^[0-8][0-9]$"  # an exact count 00-89
_COUNT = r"^([0-8][0-9]|90)$"  # exact, or 90 = ninety or more
_POSITIVE = r"^(0[1-9]|[1-8][0-9]|90|95|97)$"  # node-positive codes of 820/835
_AXILLARY_USABLE = r"^([0-9]{2}|X1|X5|X6)$"  # 3882 codes that say something
_DEPOSITS = r"^(0[1-9]|[1-9][0-9]|X1|X2)$"  # 3934: tumour deposits present

pos = pl.col("nodes_positive_code")
exam = pl.col("nodes_examined_code")
spos = pl.col("sentinel_positive_code")
sexam = pl.col("sentinel_examined_code")
axillary = pl.col("ln_axillary_code")


def _count(code: pl.Expr, pattern: str = _COUNT) -> pl.Expr:
    return pl.when(code.str.contains(pattern)).then(code.cast(pl.Int32, strict=False))


def nodes_positive() -> pl.Expr:
    """Number of positive regional nodes (820); null when not a count.

    >>> df = pl.DataFrame({"nodes_positive_code": ["00", "07", "90", "97", "98", None]})
    >>> df.select(nodes_positive())["nodes_positive"].to_list()
    [0, 7, 90, None, None, None]
    """
    return _count(pos).alias("nodes_positive")


def nodes_examined() -> pl.Expr:
    """Number of regional nodes examined (830); null when not a count."""
    return _count(exam).alias("nodes_examined")


def _both_exact() -> pl.Expr:
    p, e = _count(pos, _EXACT), _count(exam, _EXACT)
    return p.is_not_null() & e.is_not_null() & (p <= e)


def nodes_negative() -> pl.Expr:
    """Examined minus positive, when both are exact and consistent."""
    p, e = _count(pos, _EXACT), _count(exam, _EXACT)
    return pl.when(_both_exact()).then(e - p).alias("nodes_negative")


def lnr() -> pl.Expr:
    """Lymph node ratio: positive / examined (exact counts, examined > 0).

    >>> df = pl.DataFrame({"nodes_positive_code": ["03", "00", "05", "03", "97"],
    ...                    "nodes_examined_code": ["12", "15", "02", "00", "12"]})
    >>> df.select(lnr())["lnr"].to_list()
    [0.25, 0.0, None, None, None]
    """
    p, e = _count(pos, _EXACT), _count(exam, _EXACT)
    return pl.when(_both_exact() & (e > 0)).then(p / e).alias("lnr")


def lodds() -> pl.Expr:
    """Log odds of positive nodes: ln((positive + 0.5) / (negative + 0.5)).

    Natural log; defined when both counts are exact and examined > 0.

    >>> df = pl.DataFrame({"nodes_positive_code": ["03"], "nodes_examined_code": ["12"]})
    >>> round(df.select(lodds()).item(), 6)  # ln(3.5 / 9.5)
    -0.998529
    """
    p, e = _count(pos, _EXACT), _count(exam, _EXACT)
    return (
        pl.when(_both_exact() & (e > 0))
        .then(((p + 0.5) / (e - p + 0.5)).log())
        .alias("lodds")
    )


def adequate_exam() -> pl.Expr:
    """Examined count at or above the site's threshold (sites.csv); null if unknown."""
    e = _count(exam)
    threshold = adequate_threshold()
    return pl.when(e.is_not_null() & threshold.is_not_null()).then(e >= threshold).alias(
        "adequate_exam"
    )


def _sentinel_site() -> pl.Expr:
    return pl.col("site_group").cast(pl.Utf8).is_in(["breast", "melanoma"])


def _regional_unknown() -> pl.Expr:
    return (pos == "99") | pos.is_null()


def _sentinel_negative() -> pl.Expr:
    return (
        _sentinel_site()
        & _regional_unknown()
        & (spos == "00")
        & sexam.str.contains(r"^(0[1-9]|[1-8][0-9]|90)$")
    )


def _sentinel_positive() -> pl.Expr:
    return _sentinel_site() & _regional_unknown() & spos.str.contains(_POSITIVE)


def node_status() -> pl.Expr:
    """N0, N+ or NX from 820, with the sentinel items (834/835) for breast and
    melanoma when 820 is unknown. Positive 00 with examined 00 is NX (an edit
    failure); 98 (no nodes examined) is NX, not node-negative.

    >>> df = pl.DataFrame({
    ...     "site_group": ["breast", "breast", "breast", "colon", "breast"],
    ...     "nodes_positive_code": ["00", "97", "99", "98", "00"],
    ...     "nodes_examined_code": ["12", "99", "99", "00", "00"],
    ...     "sentinel_examined_code": [None, None, "02", None, None],
    ...     "sentinel_positive_code": [None, None, "00", None, None]})
    >>> df.select(node_status())["node_status"].to_list()
    ['N0', 'N+', 'N0', 'NX', 'NX']
    """
    return (
        pl.when((pos == "00") & (exam == "00"))
        .then(pl.lit("NX"))
        .when(pos == "00")
        .then(pl.lit("N0"))
        .when(pos.str.contains(_POSITIVE))
        .then(pl.lit("N+"))
        .when(_sentinel_negative())
        .then(pl.lit("N0"))
        .when(_sentinel_positive())
        .then(pl.lit("N+"))
        .otherwise(pl.lit("NX"))
        .cast(pl.Enum(NODE_STATUS_LEVELS))
        .alias("node_status")
    )


def _use_axillary() -> pl.Expr:
    # Breast from 2018: LN Positive Axillary Level I-II (3882) is the count for
    # pN; 820 also counts internal mammary and supraclavicular nodes.
    return (pl.col("site_group").cast(pl.Utf8) == "breast") & axillary.str.contains(
        _AXILLARY_USABLE
    )


def node_count_source() -> pl.Expr:
    """Which item gave the count for node_burden: ``3882``, ``820`` or null."""
    return (
        pl.when(_use_axillary())
        .then(pl.lit("3882"))
        .when(pos.is_not_null())
        .then(pl.lit("820"))
        .alias("node_count_source")
    )


def _burden_count() -> pl.Expr:
    ax = pl.when(axillary == "X1").then(pl.lit(100, pl.Int32)).otherwise(
        _count(axillary, r"^[0-9]{2}$")
    )
    return pl.when(_use_axillary()).then(ax).otherwise(_count(pos))


def _count_unknown_positive() -> pl.Expr:
    return pl.when(_use_axillary()).then(axillary.is_in(["X5", "X6"])).otherwise(
        pos.is_in(["95", "97"])
    )


def _rule() -> pl.Expr:
    # HPV-associated (p16-positive) oropharynx has a count rule; other head
    # and neck sites do not.
    rule = pl.col("n_rule")
    p16_positive = (pl.col("p16_code") == "1").fill_null(False)
    return pl.when((rule == "oropharynx_p16") & ~p16_positive).then(
        pl.lit(None, pl.Utf8)
    ).otherwise(rule)


def _category(count: pl.Expr, rule: pl.Expr) -> pl.Expr:
    expr = pl.lit(None, pl.Utf8)
    for name, cats in n_categories().items():
        for cat, lo, hi in cats:
            cond = (rule == name) & (count >= lo)
            if hi is not None:
                cond = cond & (count <= hi)
            expr = pl.when(cond).then(pl.lit(cat)).otherwise(expr)
    return expr


def _burden_and_reason() -> tuple[pl.Expr, pl.Expr]:
    rule, count = _rule(), _burden_count()
    source = node_count_source()
    deposits = pl.col("tumor_deposits_code").str.contains(_DEPOSITS).fill_null(False)
    crc = pl.col("site_group").cast(pl.Utf8).is_in(["colon", "rectum"])
    cases = [
        (
            rule.is_null(),
            pl.lit("NX"),
            pl.when(pl.col("n_rule") == "oropharynx_p16")
            .then(pl.lit("oropharynx without positive p16: head and neck N is not count-based"))
            .otherwise(nx_reason_for_site()),
        ),
        (
            (pos == "00") & (exam == "00"),
            pl.lit("NX"),
            pl.lit("positive 00 with examined 00 is contradictory (edit failure)"),
        ),
        (
            crc & (count == 0) & deposits,
            pl.lit("N1c"),
            pl.lit("no positive nodes with tumour deposits (3934): AJCC 8th N1c"),
        ),
        (
            count.is_not_null(),
            _category(count, rule),
            pl.lit("AJCC 8th ") + rule + pl.lit(" count rule on item ") + source,
        ),
        (
            _count_unknown_positive(),
            pl.lit("N1 NOS"),
            pl.lit("positive nodes, number unknown (item ") + source + pl.lit("): AJCC assigns N1"),
        ),
        (_sentinel_negative(), pl.lit("N0"), pl.lit("sentinel nodes negative (835 = 00)")),
        (
            _sentinel_positive(),
            pl.lit("NX"),
            pl.lit("sentinel nodes positive, number of positive regional nodes unknown"),
        ),
        (pos == "98", pl.lit("NX"), pl.lit("no regional nodes examined (820 = 98)")),
    ]
    burden = pl.lit("NX")
    reason = pl.lit("unknown whether nodes are positive (820 = 99 or blank)")
    for cond, value, why in reversed(cases):
        burden = pl.when(cond).then(value).otherwise(burden)
        reason = pl.when(cond).then(why).otherwise(reason)
    return burden, reason


def node_burden() -> pl.Expr:
    """AJCC 8th-edition pathological N category from the positive count.

    Needs ``site_group`` and ``n_rule`` (from :mod:`cohort.derive.sites`).
    Sites whose N is not count-based get ``NX``; the reason is in
    ``node_burden_reason``.

    >>> from cohort.derive import with_inputs
    >>> from cohort.derive.sites import site_group, n_rule
    >>> df = with_inputs(pl.DataFrame({
    ...     "primary_site": ["C504", "C504", "C187", "C187", "C341"],
    ...     "histology": ["8500", "8500", "8140", "8140", "8140"],
    ...     "nodes_positive_code": ["02", "12", "03", "97", "02"],
    ...     "nodes_examined_code": ["10", "20", "15", "15", "10"],
    ... })).with_columns(site_group(), n_rule())
    >>> df.select(node_burden())["node_burden"].to_list()
    ['N1', 'N3', 'N1b', 'N1 NOS', 'NX']
    """
    burden, _ = _burden_and_reason()
    return burden.cast(pl.Enum(NODE_BURDEN_LEVELS)).alias("node_burden")


def node_burden_reason() -> pl.Expr:
    """How node_burden was reached (rule and item), or why it is NX."""
    _, reason = _burden_and_reason()
    return reason.alias("node_burden_reason")


# The registry edits for node items (NAACCR.md "Consistency"): name, failing condition.
def _edits() -> list[tuple[str, pl.Expr]]:
    p, e = _count(pos, _EXACT), _count(exam, _EXACT)
    sp, se = _count(spos, _EXACT), _count(sexam, _EXACT)
    ax = _count(axillary, r"^[0-9]{2}$")
    return [
        ("examined 00 requires positive 98", (exam == "00") & (pos != "98")),
        ("positive 98 requires examined 00", (pos == "98") & (exam != "00")),
        ("positive exceeds examined", p > e),
        ("positive 95 requires examined 95 or a count",
         (pos == "95") & ~exam.str.contains(r"^([0-8][0-9]|90|95)$")),
        ("sentinel positive exceeds sentinel examined", sp > se),
        ("sentinel examined exceeds regional examined", se > e),
        ("sentinel positive exceeds regional positive", sp > p),
        ("axillary positive (3882) exceeds regional positive (820)", ax > p),
    ]


def node_edits() -> pl.Expr:
    """The node-item edits a record fails (empty list when consistent)."""
    return (
        pl.concat_list([pl.when(cond).then(pl.lit(name)) for name, cond in _edits()])
        .list.drop_nulls()
        .alias("node_edits")
    )
