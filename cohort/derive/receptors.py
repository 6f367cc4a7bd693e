"""Breast cancer receptor status and subtype (breast only; null elsewhere).

Each receptor comes from the item of its era when the file has it: the
2018+ summaries (ER 3827, PR 3915, HER2 3855: 0 negative, 1 positive, 7 and
9 unknown, 8 not applicable); Collaborative Stage site-specific factors for
breast 2004-2017 (ER = SSF1, PR = SSF2, HER2 summary = SSF15 from 2010:
010 positive, 020 negative, 030 borderline, 988-999 not applicable, not
done or unknown); else SEER's recodes (ER/PR Status Recode Breast Cancer,
Derived HER2 Recode: 1 positive, 2 negative, 3 borderline/unknown, 4 recode
not available). The subtype follows SEER's Breast Subtype (2010+): hormone
receptor positive when ER or PR is positive, negative when both are
negative; crossed with HER2. When ER/PR/HER2 leave it open, SEER's own
Breast Subtype recode is used if the file has it.
"""

from __future__ import annotations

import polars as pl

RECEPTOR_LEVELS = ("positive", "negative", "borderline", "unknown")
SUBTYPE_LEVELS = ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "HR-/HER2-", "unknown")

# receptor -> (2018+ summary item, CS site-specific factor, SEER recode)
_ITEMS = {
    "er": ("er_summary", "cs_ssf1", "er_status_recode"),
    "pr": ("pr_summary", "cs_ssf2", "pr_status_recode"),
    "her2": ("her2_summary", "cs_ssf15", "her2_recode"),
}
_SUMMARY = {"0": "negative", "1": "positive", "7": "unknown", "9": "unknown"}
_SSF = {"010": "positive", "020": "negative", "030": "borderline"}
_RECODE = {"1": "positive", "2": "negative", "3": "unknown", "4": "unknown"}
_SUBTYPE_RECODE = {"1": "HR+/HER2-", "2": "HR+/HER2+", "3": "HR-/HER2+", "4": "HR-/HER2-",
                   "5": "unknown", "9": "unknown"}

INPUTS = ("site_group", "breast_subtype", *(i for items in _ITEMS.values() for i in items))


def _breast() -> pl.Expr:
    return pl.col("site_group").cast(pl.Utf8) == "breast"


def _status(receptor: str) -> pl.Expr:
    summary, ssf, recode = (pl.col(c) for c in _ITEMS[receptor])
    from_summary = pl.when(summary != "8").then(
        summary.replace_strict(_SUMMARY, default="unknown", return_dtype=pl.Utf8)
    )
    from_ssf = pl.when(ssf.is_not_null()).then(
        ssf.replace_strict(_SSF, default="unknown", return_dtype=pl.Utf8)
    )
    from_recode = recode.replace_strict(_RECODE, default=None, return_dtype=pl.Utf8)
    return pl.coalesce(from_summary, from_ssf, from_recode)


def _receptor(receptor: str) -> pl.Expr:
    return (
        pl.when(_breast()).then(pl.coalesce(_status(receptor), pl.lit("unknown")))
        .cast(pl.Enum(RECEPTOR_LEVELS)).alias(f"{receptor}_result")
    )


def er_result() -> pl.Expr:
    """Estrogen receptor: positive / negative / borderline / unknown (breast).

    >>> df = pl.DataFrame({"site_group": ["breast"] * 4 + ["colon"],
    ...     "er_summary": ["1", None, None, None, None],
    ...     "cs_ssf1": [None, "020", None, None, "010"],
    ...     "er_status_recode": [None, None, "3", None, None]},
    ...     schema_overrides={"er_status_recode": pl.Utf8})
    >>> df.select(er_result())["er_result"].to_list()
    ['positive', 'negative', 'unknown', 'unknown', None]
    """
    return _receptor("er")


def pr_result() -> pl.Expr:
    """Progesterone receptor: positive / negative / borderline / unknown (breast)."""
    return _receptor("pr")


def her2_result() -> pl.Expr:
    """HER2: positive / negative / borderline / unknown (breast)."""
    return _receptor("her2")


def subtype() -> pl.Expr:
    """Breast subtype: HR+/HER2-, HR+/HER2+, HR-/HER2+, HR-/HER2- (triple
    negative) or unknown; null for other sites.

    >>> from cohort.derive import with_inputs
    >>> df = with_inputs(pl.DataFrame({"site_group": ["breast"] * 5,
    ...     "er_summary": ["1", "0", "0", "9", None], "pr_summary": ["0", "0", "1", "9", None],
    ...     "her2_summary": ["0", "1", "0", "9", None],
    ...     "breast_subtype": [None, None, None, None, "4"]}))
    >>> df.select(subtype())["subtype"].to_list()
    ['HR+/HER2-', 'HR-/HER2+', 'HR+/HER2-', 'unknown', 'HR-/HER2-']
    """
    er, pr, her2 = _status("er"), _status("pr"), _status("her2")
    hr = (
        pl.when((er == "positive") | (pr == "positive")).then(pl.lit("HR+"))
        .when((er == "negative") & (pr == "negative")).then(pl.lit("HR-"))
    )
    h2 = pl.when(her2 == "positive").then(pl.lit("HER2+")).when(her2 == "negative").then(
        pl.lit("HER2-")
    )
    from_parts = pl.when(hr.is_not_null() & h2.is_not_null()).then(hr + "/" + h2)
    recode = pl.col("breast_subtype").replace_strict(_SUBTYPE_RECODE, default=None,
                                                     return_dtype=pl.Utf8)
    from_recode = pl.when(recode != "unknown").then(recode)
    return (
        pl.when(_breast()).then(pl.coalesce(from_parts, from_recode, pl.lit("unknown")))
        .cast(pl.Enum(SUBTYPE_LEVELS)).alias("subtype")
    )
