"""First-course treatment: surgery, radiation, chemotherapy, regional node
surgery, and neoadjuvant therapy with what it means for the node count.

Surgery of the primary site (1290): 00 none, 10-90 surgery, 98 not
applicable, 99 unknown. Radiation: RX Summ--Radiation (1360) when present,
else SEER's Radiation recode; chemotherapy: RX Summ--Chemo (1390), else
SEER's Chemotherapy recode. SEER's recodes cannot tell "none" from
"unknown" (Radiation recode 0 "None/Unknown", Chemotherapy recode 0
"No/Unknown"), so those codes give the level ``no/unknown``, never ``no``.

Neoadjuvant therapy: systemic therapy (RX Summ--Systemic/Sur Seq, 1639) or
radiation (RX Summ--Surg/Rad Seq, 1380) before surgery, codes 2 (before), 4
(before and after) and 7 (surgery both before and after). Nodes removed
after neoadjuvant therapy are staged ypN (AJCC): fewer nodes are found and
the count no longer measures the untreated burden, so ``node_count_basis``
says ``ypN`` and the site's adequacy threshold (set for surgery first) is
not applied (``exam_adequacy`` = ``after neoadjuvant``).
"""

from __future__ import annotations

import polars as pl

TREATMENT_LEVELS = ("no", "no/unknown", "yes", "unknown")
LN_SURGERY_LEVELS = ("none", "aspiration", "sentinel", "regional", "sentinel and regional",
                     "unknown")
NODE_COUNT_BASIS_LEVELS = ("pN", "ypN")
EXAM_ADEQUACY_LEVELS = ("adequate", "inadequate", "after neoadjuvant", "no nodes examined",
                        "unknown")

TREATMENT_INPUTS = ("surgery_primary_site", "ln_surgery_scope", "rx_radiation",
                    "radiation_recode", "rx_chemo", "chemo_recode")
NEOADJUVANT_INPUTS = ("systemic_surgery_seq", "radiation_surgery_seq", "nodes_positive_code",
                      "nodes_examined_code", "adequate_exam")

_BEFORE = ["2", "4", "7"]  # therapy before surgery
_NOT_BEFORE = ["0", "3", "5"]  # none, after, intraoperative only


def _treatment(expr: pl.Expr, name: str) -> pl.Expr:
    return expr.cast(pl.Enum(TREATMENT_LEVELS)).alias(name)


def surgery() -> pl.Expr:
    """Surgery of the primary site: no / yes / unknown (item 1290).

    >>> df = pl.DataFrame({"surgery_primary_site": ["00", "41", "90", "98", "99", None]})
    >>> df.select(surgery())["surgery"].to_list()
    ['no', 'yes', 'yes', 'no', 'unknown', None]
    """
    code = pl.col("surgery_primary_site")
    return _treatment(
        pl.when(code.is_in(["00", "98"])).then(pl.lit("no"))
        .when(code.str.contains(r"^([1-8][0-9]|90)$")).then(pl.lit("yes"))
        .when(code.is_not_null()).then(pl.lit("unknown")),
        "surgery",
    )


def radiation() -> pl.Expr:
    """Radiation: no / no/unknown / yes / unknown (item 1360, else SEER's
    Radiation recode). Refused (7) is ``no``; recommended, unknown if given
    (8) is ``unknown``.

    >>> df = pl.DataFrame({"rx_radiation": ["0", "1", "7", "8", None, None],
    ...                    "radiation_recode": [None, None, None, None, "0", "1"]})
    >>> df.select(radiation())["radiation"].to_list()
    ['no', 'yes', 'no', 'unknown', 'no/unknown', 'yes']
    """
    item, recode = pl.col("rx_radiation"), pl.col("radiation_recode")

    def decode(code: pl.Expr, zero: str) -> pl.Expr:
        return (
            pl.when(code == "0").then(pl.lit(zero))
            .when(code.is_in(["1", "2", "3", "4", "5", "6"])).then(pl.lit("yes"))
            .when(code == "7").then(pl.lit("no"))
            .when(code.is_not_null()).then(pl.lit("unknown"))
        )

    return _treatment(pl.coalesce(decode(item, "no"), decode(recode, "no/unknown")), "radiation")


def chemotherapy() -> pl.Expr:
    """Chemotherapy: no / no/unknown / yes / unknown (item 1390, else SEER's
    Chemotherapy recode). Not given for a stated reason (82, 85, 86, 87) is
    ``no``; recommended, unknown if given (88) is ``unknown``.

    >>> df = pl.DataFrame({"rx_chemo": ["00", "03", "87", "99", None],
    ...                    "chemo_recode": [None, None, None, None, "0"]})
    >>> df.select(chemotherapy())["chemotherapy"].to_list()
    ['no', 'yes', 'no', 'unknown', 'no/unknown']
    """
    item, recode = pl.col("rx_chemo"), pl.col("chemo_recode")
    from_item = (
        pl.when(item.is_in(["00", "82", "85", "86", "87"])).then(pl.lit("no"))
        .when(item.is_in(["01", "02", "03"])).then(pl.lit("yes"))
        .when(item.is_not_null()).then(pl.lit("unknown"))
    )
    from_recode = pl.when(recode == "1").then(pl.lit("yes")).when(recode == "0").then(
        pl.lit("no/unknown")
    )
    return _treatment(pl.coalesce(from_item, from_recode), "chemotherapy")


def ln_surgery() -> pl.Expr:
    """Regional node surgery from Scope of Regional Lymph Node Surgery (1292):
    none, aspiration (biopsy or aspiration), sentinel, regional (dissection,
    any number removed), sentinel and regional, unknown.

    >>> df = pl.DataFrame({"ln_surgery_scope": ["0", "1", "2", "5", "6", "9"]})
    >>> df.select(ln_surgery())["ln_surgery"].to_list()
    ['none', 'aspiration', 'sentinel', 'regional', 'sentinel and regional', 'unknown']
    """
    code = pl.col("ln_surgery_scope")
    mapping = {"0": "none", "1": "aspiration", "2": "sentinel", "3": "regional", "4": "regional",
               "5": "regional", "6": "sentinel and regional", "7": "sentinel and regional",
               "9": "unknown"}
    return (
        pl.when(code.is_not_null())
        .then(code.replace_strict(mapping, default="unknown", return_dtype=pl.Utf8))
        .cast(pl.Enum(LN_SURGERY_LEVELS)).alias("ln_surgery")
    )


def neoadjuvant() -> pl.Expr:
    """True when systemic therapy or radiation was given before surgery
    (sequence code 2, 4 or 7 in item 1639 or 1380); False when every
    sequence item present says none, after or intraoperative only (0, 3, 5);
    null when unknown (6: intraoperative with other therapy before and/or
    after; 9; items absent).

    >>> df = pl.DataFrame({"systemic_surgery_seq": ["2", "3", "3", "6", None, "0"],
    ...                    "radiation_surgery_seq": [None, "0", "4", "0", None, "9"]})
    >>> df.select(neoadjuvant())["neoadjuvant"].to_list()
    [True, False, True, None, None, None]
    """
    seqs = [pl.col("systemic_surgery_seq"), pl.col("radiation_surgery_seq")]
    before = pl.any_horizontal(s.is_in(_BEFORE).fill_null(False) for s in seqs)
    answered = pl.any_horizontal(s.is_not_null() for s in seqs)
    all_not_before = pl.all_horizontal(s.is_null() | s.is_in(_NOT_BEFORE) for s in seqs)
    return (
        pl.when(before).then(True).when(answered & all_not_before).then(False)
        .cast(pl.Boolean).alias("neoadjuvant")
    )


def _nodes_examined() -> pl.Expr:
    code = pl.col("nodes_examined_code")
    return pl.when(code.str.contains(r"^([0-8][0-9]|90)$")).then(code.cast(pl.Int32,
                                                                           strict=False))


def node_count_basis() -> pl.Expr:
    """``pN`` (nodes examined at surgery first) or ``ypN`` (after neoadjuvant
    therapy) for records with nodes examined and a positive count or status;
    null when no nodes were examined or the treatment sequence is unknown.

    >>> df = pl.DataFrame({"systemic_surgery_seq": ["2", "3", "3", None],
    ...                    "radiation_surgery_seq": [None, None, None, None],
    ...                    "nodes_positive_code": ["02", "00", "98", "01"],
    ...                    "nodes_examined_code": ["14", "12", "00", "10"]})
    >>> df.select(node_count_basis())["node_count_basis"].to_list()
    ['ypN', 'pN', None, None]
    """
    examined = (_nodes_examined() > 0) | pl.col("nodes_examined_code").is_in(["95", "96", "97",
                                                                               "98"])
    staged = pl.col("nodes_positive_code").str.contains(r"^([0-8][0-9]|90|95|97)$")
    neo = neoadjuvant()
    return (
        pl.when(examined & staged & neo).then(pl.lit("ypN"))
        .when(examined & staged & ~neo).then(pl.lit("pN"))
        .cast(pl.Enum(NODE_COUNT_BASIS_LEVELS)).alias("node_count_basis")
    )


def exam_adequacy() -> pl.Expr:
    """Adequacy of the nodal examination, neoadjuvant therapy considered:
    ``no nodes examined`` (830 = 00); ``after neoadjuvant`` (the site's
    threshold, set for surgery first, is not applied to ypN counts);
    ``adequate`` / ``inadequate`` against the site's threshold
    (``adequate_exam``, sites.csv); ``unknown`` when the number examined is
    not known (95-99 or blank); null for a known number at a site without a
    threshold. Needs ``adequate_exam``.

    >>> df = pl.DataFrame({"nodes_examined_code": ["00", "08", "08", "15", "97", "10"],
    ...                    "nodes_positive_code": ["98", "01", "01", "00", "01", "00"],
    ...                    "systemic_surgery_seq": [None, "2", "3", None, None, None],
    ...                    "radiation_surgery_seq": [None] * 6,
    ...                    "adequate_exam": [False, False, False, True, None, None]},
    ...                   schema_overrides={"radiation_surgery_seq": pl.Utf8})
    >>> df.select(exam_adequacy())["exam_adequacy"].to_list()  # doctest: +NORMALIZE_WHITESPACE
    ['no nodes examined', 'after neoadjuvant', 'inadequate', 'adequate', 'unknown', None]
    """
    code, adequate = pl.col("nodes_examined_code"), pl.col("adequate_exam")
    count = _nodes_examined()
    return (
        pl.when(code == "00").then(pl.lit("no nodes examined"))
        .when(count.is_not_null() & neoadjuvant().fill_null(False)).then(
            pl.lit("after neoadjuvant"))
        .when(adequate).then(pl.lit("adequate"))
        .when(adequate.not_()).then(pl.lit("inadequate"))
        .when(count.is_null()).then(pl.lit("unknown"))
        .cast(pl.Enum(EXAM_ADEQUACY_LEVELS)).alias("exam_adequacy")
    )
