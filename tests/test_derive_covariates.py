"""Covariates, breast receptors and treatment flags on hand tables: each row
gives the registry codes and what an analyst reading them would conclude."""

from __future__ import annotations

import polars as pl
import pytest

from cohort.derive import with_inputs
from cohort.derive.covariates import age_band, grade_group, race_group, tumor_size_mm
from cohort.derive.receptors import er_result, her2_result, pr_result, subtype
from cohort.derive.treatment import (
    chemotherapy,
    exam_adequacy,
    ln_surgery,
    neoadjuvant,
    node_count_basis,
    radiation,
    surgery,
)


def run(rows: list[dict], expr: pl.Expr) -> list:
    frame = with_inputs(pl.DataFrame(rows, infer_schema_length=None))
    out = frame.select(expr).to_series()
    return out.cast(pl.Utf8).to_list() if isinstance(out.dtype, pl.Enum) else out.to_list()


def test_age_band():
    ages = [0, 39, 40, 49, 50, 59, 60, 69, 70, 79, 80, 105, None]
    expected = ["<40", "<40", "40-49", "40-49", "50-59", "50-59", "60-69", "60-69", "70-79",
                "70-79", "80+", "80+", None]
    assert run([{"age_at_dx": a} for a in ages], age_band()) == expected


# race (160), NHIA (191), Spanish/Hispanic origin (190), SEER recodes -> race_group
RACE = [
    ({"race": "01", "nhia_origin": "0"}, "NH White"),
    ({"race": "02", "nhia_origin": "0"}, "NH Black"),
    ({"race": "03", "nhia_origin": "0"}, "NH AIAN"),
    ({"race": "04", "nhia_origin": "0"}, "NH API"),
    ({"race": "16", "nhia_origin": "0"}, "NH API"),
    ({"race": "97", "nhia_origin": "0"}, "NH API"),
    ({"race": "98", "nhia_origin": "0"}, "unknown"),
    ({"race": "99", "nhia_origin": "0"}, "unknown"),
    ({"race": "01", "nhia_origin": "1"}, "Hispanic"),
    ({"race": "02", "nhia_origin": "7"}, "Hispanic"),  # NHIA surname match
    ({"race": "99", "nhia_origin": "4"}, "Hispanic"),
    ({"race": "01", "hispanic_origin": "6"}, "Hispanic"),  # 190 when NHIA is absent
    ({"race": "01", "hispanic_origin": "0"}, "NH White"),
    ({"race": "01", "hispanic_origin": "9"}, "NH White"),  # origin unknown: non-Hispanic
    ({"race": "01"}, "NH White"),
    ({"race_recode": "2", "origin_recode": "0"}, "NH Black"),
    ({"race_recode": "4", "origin_recode": "1"}, "Hispanic"),
    ({"race_recode": "7", "origin_recode": "0"}, "unknown"),
    ({"race_origin_recode": "3"}, "NH AIAN"),
    ({"race_origin_recode": "5"}, "Hispanic"),
    ({"race_origin_recode": "9"}, "unknown"),
    ({"race": "02", "nhia_origin": "0", "race_origin_recode": "5"}, "NH Black"),  # items first
    ({}, None),
]


@pytest.mark.parametrize(("row", "expected"), RACE)
def test_race_group(row, expected):
    assert run([row], race_group()) == [expected]


# dx_year, grade (440), clinical (3843), pathological (3844) -> grade_group
GRADE = [
    (2010, "1", None, None, "G1"), (2010, "2", None, None, "G2"), (2010, "3", None, None, "G3"),
    (2010, "4", None, None, "G4"), (2010, "5", None, None, "other"),
    (2010, "8", None, None, "other"), (2010, "9", None, None, "unknown"),
    (2018, None, "2", "3", "G3"),  # pathological first
    (2018, None, "2", "9", "G2"),  # else clinical
    (2018, None, "9", "9", "unknown"), (2018, None, "8", None, "unknown"),
    (2019, None, None, "A", "G1"), (2019, None, None, "B", "G2"), (2019, None, None, "C", "G3"),
    (2019, None, None, "D", "G4"), (2019, None, None, "H", "high"),
    (2019, None, None, "L", "low"), (2019, None, None, "M", "intermediate"),
    (2019, None, None, "S", "other"), (2019, None, None, "E", "other"),
    (2019, "3", "9", "9", "G3"),  # 440 as the last resort
    (2012, "9", "2", None, "G2"),  # before 2018: 440 first, then the 2018 items
    (2012, None, None, None, None),
]


def test_grade_group():
    rows = [dict(zip(("dx_year", "grade", "grade_clinical", "grade_pathological"), r[:4],
                     strict=True)) for r in GRADE]
    assert run(rows, grade_group()) == [r[4] for r in GRADE]


# tumour size summary (2016+), CS (2004-2015), EOD (1988-2003) -> mm
SIZE = [
    ("015", None, None, 15), ("000", None, None, 0), ("988", None, None, 988),
    ("989", None, None, 989), ("990", None, None, None), ("991", None, None, None),
    ("995", None, None, None), ("998", None, None, None), ("999", None, None, None),
    (None, "042", None, 42), (None, "996", None, None), (None, None, "120", 120),
    ("999", "042", None, None),  # the summary says unknown: not the CS size
    (None, None, None, None),
]


def test_tumour_size():
    rows = [dict(zip(("tumor_size_summary", "cs_tumor_size", "eod_tumor_size"), r[:3],
                     strict=True)) for r in SIZE]
    assert run(rows, tumor_size_mm()) == [r[3] for r in SIZE]


# breast receptors: (2018 summary, CS SSF, SEER recode) -> status
RECEPTOR = [
    ("1", None, None, "positive"), ("0", None, None, "negative"), ("7", None, None, "unknown"),
    ("9", None, None, "unknown"), ("8", None, None, "unknown"),
    (None, "010", None, "positive"), (None, "020", None, "negative"),
    (None, "030", None, "borderline"), (None, "997", None, "unknown"),
    (None, "988", None, "unknown"), (None, None, "1", "positive"), (None, None, "2", "negative"),
    (None, None, "3", "unknown"), (None, None, "4", "unknown"), (None, None, None, "unknown"),
    ("8", "010", None, "positive"),  # summary not applicable: the CS factor
    (None, "020", "1", "negative"),  # the item before the recode
]


@pytest.mark.parametrize(("receptor", "fn"), [("er", er_result), ("pr", pr_result),
                                               ("her2", her2_result)])
def test_receptor_status(receptor, fn):
    items = {"er": ("er_summary", "cs_ssf1", "er_status_recode"),
             "pr": ("pr_summary", "cs_ssf2", "pr_status_recode"),
             "her2": ("her2_summary", "cs_ssf15", "her2_recode")}[receptor]
    rows = [{"site_group": "breast", **dict(zip(items, r[:3], strict=True))} for r in RECEPTOR]
    rows.append({"site_group": "colon", items[1]: "010"})  # CEA at colon: not a receptor
    assert run(rows, fn()) == [r[3] for r in RECEPTOR] + [None]


# ER, PR, HER2 (2018+ summaries) or SEER's subtype recode -> subtype
SUBTYPE = [
    ("1", "1", "0", None, "HR+/HER2-"), ("1", "0", "0", None, "HR+/HER2-"),
    ("0", "1", "0", None, "HR+/HER2-"), ("1", "1", "1", None, "HR+/HER2+"),
    ("0", "0", "1", None, "HR-/HER2+"), ("0", "0", "0", None, "HR-/HER2-"),
    ("1", "9", "0", None, "HR+/HER2-"),  # one positive receptor is enough
    ("0", "9", "0", None, "unknown"),  # HR- needs both negative
    ("1", "1", "9", None, "unknown"), ("1", "1", "7", None, "unknown"),
    (None, None, None, "1", "HR+/HER2-"), (None, None, None, "2", "HR+/HER2+"),
    (None, None, None, "3", "HR-/HER2+"), (None, None, None, "4", "HR-/HER2-"),
    (None, None, None, "5", "unknown"), (None, None, None, "9", "unknown"),
    ("9", "9", "9", "4", "HR-/HER2-"),  # the recode when the items leave it open
]


def test_subtype():
    rows = [{"site_group": "breast", **dict(zip(("er_summary", "pr_summary", "her2_summary",
                                                 "breast_subtype"), r[:4], strict=True))}
            for r in SUBTYPE]
    rows.append({"site_group": "lung", "er_summary": "1", "her2_summary": "0"})
    assert run(rows, subtype()) == [r[4] for r in SUBTYPE] + [None]


def test_subtype_from_collaborative_stage_factors():
    rows = [{"site_group": "breast", "cs_ssf1": "010", "cs_ssf2": "020", "cs_ssf15": "020"},
            {"site_group": "breast", "cs_ssf1": "020", "cs_ssf2": "020", "cs_ssf15": "010"},
            {"site_group": "breast", "cs_ssf1": "030", "cs_ssf2": "020", "cs_ssf15": "020"},
            {"site_group": "breast", "cs_ssf1": "010", "cs_ssf2": "010", "cs_ssf15": "988"}]
    assert run(rows, subtype()) == ["HR+/HER2-", "HR-/HER2+", "unknown", "unknown"]


SURGERY = [("00", "no"), ("10", "yes"), ("19", "yes"), ("22", "yes"), ("41", "yes"),
           ("80", "yes"), ("90", "yes"), ("98", "no"), ("99", "unknown"), (None, None)]


def test_surgery():
    assert run([{"surgery_primary_site": c} for c, _ in SURGERY], surgery()) == [
        e for _, e in SURGERY]


# RX Summ--Radiation (1360), SEER Radiation recode -> radiation
RADIATION = [
    ("0", None, "no"), ("1", None, "yes"), ("2", None, "yes"), ("3", None, "yes"),
    ("4", None, "yes"), ("5", None, "yes"), ("6", None, "yes"), ("7", None, "no"),
    ("8", None, "unknown"), ("9", None, "unknown"),
    (None, "0", "no/unknown"), (None, "1", "yes"), (None, "5", "yes"), (None, "7", "no"),
    (None, "8", "unknown"), (None, "9", "unknown"), ("9", "1", "unknown"), (None, None, None),
]


def test_radiation():
    rows = [{"rx_radiation": a, "radiation_recode": b} for a, b, _ in RADIATION]
    assert run(rows, radiation()) == [e for _, _, e in RADIATION]


CHEMO = [
    ("00", None, "no"), ("01", None, "yes"), ("02", None, "yes"), ("03", None, "yes"),
    ("82", None, "no"), ("85", None, "no"), ("86", None, "no"), ("87", None, "no"),
    ("88", None, "unknown"), ("99", None, "unknown"), (None, "0", "no/unknown"),
    (None, "1", "yes"), ("00", "1", "no"), (None, None, None),
]


def test_chemotherapy():
    rows = [{"rx_chemo": a, "chemo_recode": b} for a, b, _ in CHEMO]
    assert run(rows, chemotherapy()) == [e for _, _, e in CHEMO]


def test_ln_surgery():
    codes = ["0", "1", "2", "3", "4", "5", "6", "7", "9", None]
    expected = ["none", "aspiration", "sentinel", "regional", "regional", "regional",
                "sentinel and regional", "sentinel and regional", "unknown", None]
    assert run([{"ln_surgery_scope": c} for c in codes], ln_surgery()) == expected


# systemic/surgery sequence (1639), radiation/surgery sequence (1380) -> neoadjuvant
NEO = [
    ("0", None, False), ("2", None, True), ("3", None, False), ("4", None, True),
    ("5", None, False), ("6", None, None), ("7", None, True), ("9", None, None),
    (None, "2", True), (None, "4", True), (None, "7", True), (None, "3", False),
    (None, "0", False), ("3", "2", True),  # radiation before surgery (rectum)
    ("2", "3", True), ("3", "0", False), ("0", "9", None), ("9", "9", None),
    ("6", "0", None), (None, None, None),
]


def test_neoadjuvant():
    rows = [{"systemic_surgery_seq": a, "radiation_surgery_seq": b} for a, b, _ in NEO]
    assert run(rows, neoadjuvant()) == [e for _, _, e in NEO]


# sequence, positive, examined, adequate_exam -> node_count_basis, exam_adequacy
NODES = [
    ("3", "00", "15", True, "pN", "adequate"),
    ("3", "02", "08", False, "pN", "inadequate"),
    ("2", "02", "08", False, "ypN", "after neoadjuvant"),
    ("4", "00", "20", True, "ypN", "after neoadjuvant"),
    ("2", "98", "00", False, None, "no nodes examined"),
    ("0", "97", "97", None, "pN", "unknown"),
    ("9", "01", "12", True, None, "adequate"),  # sequence unknown: the threshold applies
    (None, "01", "12", False, None, "inadequate"),
    ("0", "01", "06", None, "pN", None),  # a site without a threshold
    ("2", "99", "99", None, None, "unknown"),
    (None, None, None, None, None, "unknown"),
]


def test_node_count_basis_and_exam_adequacy():
    rows = [{"systemic_surgery_seq": s, "nodes_positive_code": p, "nodes_examined_code": e,
             "adequate_exam": a} for s, p, e, a, _, _ in NODES]
    assert run(rows, node_count_basis()) == [r[4] for r in NODES]
    assert run(rows, exam_adequacy()) == [r[5] for r in NODES]


def test_age_band_from_a_seer_age_group():
    # SEER age recodes that are groups, not exact ages (age_at_dx left null)
    groups = ["85+", "90+", "100+", "45-49", "40-44", "75-79", "75-84", "15-39", None]
    expected = ["80+", "80+", "80+", "40-49", "40-49", "70-79", None, "<40", None]
    assert run([{"age_group": g} for g in groups], age_band()) == expected
    assert run([{"age_at_dx": 67, "age_group": "85+"}], age_band()) == ["60-69"]  # exact first
