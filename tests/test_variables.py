"""The variables node-burden studies use: NAACCR identities, code sets and the
label of every code, checked against hand tables typed from the sources.

Sources: the NAACCR v18 base dictionary (item numbers, ids, widths; the
excerpt in fixtures/naaccr), the NAACCR data dictionary code lists (via the
NAACCR Standards Volume II and the R package naaccr's code tables), SEER's
public documentation (SEER*Stat variable names, the SEER research data
record description for short names, the COD to site recode table), and the
Collaborative Stage derived AJCC codes as the VA Oncology package's routine
ONCCSOT prints them.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from cohort.codebook import ajcc_codes, cod_site_recode, value_labels
from cohort.derive import DERIVED_COLUMNS
from cohort.items import canonical_name, items_by_name
from cohort.labels import label
from cohort.readers.seerstat import value_labels as seer_labels

FIXTURES = Path(__file__).parent / "fixtures" / "naaccr"
DATA = Path(__file__).parent.parent / "cohort" / "data"

# canonical name: (NAACCR item, XML id, width) from the NAACCR v18 dictionary
NAACCR = {
    "ajcc6_t": ("2940", "derivedAjcc6T", 2), "ajcc6_n": ("2960", "derivedAjcc6N", 2),
    "ajcc6_m": ("2980", "derivedAjcc6M", 2), "ajcc6_stage": ("3000", "derivedAjcc6StageGrp", 2),
    "ajcc7_t": ("3400", "derivedAjcc7T", 3), "ajcc7_n": ("3410", "derivedAjcc7N", 3),
    "ajcc7_m": ("3420", "derivedAjcc7M", 3), "ajcc7_stage": ("3430", "derivedAjcc7StageGrp", 3),
    "seer_cmb_t": ("3616", "derivedSeerCombinedT", 5),
    "seer_cmb_n": ("3618", "derivedSeerCombinedN", 5),
    "seer_cmb_m": ("3620", "derivedSeerCombinedM", 5),
    "seer_cmb_stage": ("3614", "derivedSeerCmbStgGrp", 5),
    "eod2018_t": ("785", "derivedEod2018T", 15), "eod2018_n": ("815", "derivedEod2018N", 15),
    "eod2018_m": ("795", "derivedEod2018M", 15),
    "eod2018_stage": ("818", "derivedEod2018StageGroup", 15),
    "cs_lymph_nodes": ("2830", "csLymphNodes", 3),
    "grade_clinical": ("3843", "gradeClinical", 1),
    "grade_pathological": ("3844", "gradePathological", 1),
    "tumor_size_summary": ("756", "tumorSizeSummary", 3),
    "cs_tumor_size": ("2800", "csTumorSize", 3), "eod_tumor_size": ("780", "eodTumorSize", 3),
    "laterality": ("410", "laterality", 1),
    "diagnostic_confirmation": ("490", "diagnosticConfirmation", 1),
    "er_summary": ("3827", "estrogenReceptorSummary", 1),
    "pr_summary": ("3915", "progesteroneRecepSummary", 1),
    "her2_summary": ("3855", "her2OverallSummary", 1),
    "cs_ssf1": ("2880", "csSiteSpecificFactor1", 3),
    "cs_ssf2": ("2890", "csSiteSpecificFactor2", 3),
    "cs_ssf15": ("2869", "csSiteSpecificFactor15", 3),
    "surgery_primary_site": ("1290", "rxSummSurgPrimSite", 2),
    "ln_surgery_scope": ("1292", "rxSummScopeRegLnSur", 1),
    "systemic_surgery_seq": ("1639", "rxSummSystemicSurSeq", 1),
    "radiation_surgery_seq": ("1380", "rxSummSurgRadSeq", 1),
    "rx_radiation": ("1360", "rxSummRadiation", 1), "rx_chemo": ("1390", "rxSummChemo", 2),
    "race": ("160", "race1", 2), "hispanic_origin": ("190", "spanishHispanicOrigin", 1),
    "nhia_origin": ("191", "nhiaDerivedHispOrigin", 1),
    "marital_status": ("150", "maritalStatusAtDx", 1),
}
SEER_ONLY = ("er_status_recode", "pr_status_recode", "her2_recode", "breast_subtype",
             "radiation_recode", "chemo_recode", "origin_recode", "race_recode",
             "race_origin_recode", "first_malignant", "tumors_total", "cod_site_recode")

# every code of the enumerable items, with the label cohort prints
LABELS = {
    # NAACCR 410 Laterality
    "laterality": {"0": "not a paired site", "1": "right", "2": "left",
                   "3": "one side, not stated which", "4": "bilateral", "5": "midline",
                   "9": "paired site, side unknown"},
    # NAACCR 490 Diagnostic Confirmation
    "diagnostic_confirmation": {
        "1": "histology", "2": "cytology", "3": "histology with immunophenotyping or genetics",
        "4": "microscopic, method not stated", "5": "laboratory test or marker",
        "6": "direct visualisation", "7": "imaging", "8": "clinical diagnosis only",
        "9": "unknown"},
    # NAACCR 440 Grade (through 2017)
    "grade": {"1": "well differentiated", "2": "moderately differentiated",
              "3": "poorly differentiated", "4": "undifferentiated", "5": "T-cell", "6": "B-cell",
              "7": "null cell", "8": "NK cell", "9": "unknown"},
    # NAACCR 3843/3844 Grade Clinical / Pathological (Grade Manual 2018)
    "grade_clinical": {"1": "grade 1", "2": "grade 2", "3": "grade 3", "4": "grade 4",
                       "5": "grade 5", "8": "not applicable", "9": "unknown",
                       "A": "well differentiated", "B": "moderately differentiated",
                       "C": "poorly differentiated", "D": "undifferentiated",
                       "E": "site-specific grade E", "H": "high grade", "L": "low grade",
                       "M": "intermediate grade", "S": "sarcomatous overgrowth"},
    # NAACCR 3827/3915/3855 receptor summaries
    "er_summary": {"0": "negative", "1": "positive", "7": "ordered, results not in chart",
                   "8": "not applicable", "9": "unknown"},
    # SEER ER/PR Status Recode Breast Cancer (1990+)
    "er_status_recode": {"1": "positive", "2": "negative", "3": "borderline or unknown",
                         "4": "recode not available"},
    # SEER Derived HER2 Recode (2010+)
    "her2_recode": {"1": "positive", "2": "negative", "3": "borderline or unknown",
                    "4": "not 2010+ breast"},
    # SEER Breast Subtype (2010+)
    "breast_subtype": {"1": "HR+/HER2- (luminal A)", "2": "HR+/HER2+ (luminal B)",
                       "3": "HR-/HER2+ (HER2 enriched)", "4": "HR-/HER2- (triple negative)",
                       "5": "unknown", "9": "recode not available"},
    # NAACCR 1292 RX Summ--Scope Reg LN Sur
    "ln_surgery_scope": {
        "0": "no regional node surgery", "1": "biopsy or aspiration of regional node",
        "2": "sentinel node biopsy", "3": "regional nodes removed, number unknown",
        "4": "1-3 regional nodes removed", "5": "4 or more regional nodes removed",
        "6": "sentinel biopsy and regional dissection, same time or timing unknown",
        "7": "sentinel biopsy and regional dissection, different times",
        "9": "unknown or not applicable"},
    # NAACCR 1639 RX Summ--Systemic/Sur Seq
    "systemic_surgery_seq": {
        "0": "no systemic therapy and/or surgery", "2": "systemic therapy before surgery",
        "3": "systemic therapy after surgery", "4": "systemic therapy before and after surgery",
        "5": "intraoperative systemic therapy",
        "6": "intraoperative systemic therapy with other systemic therapy before and/or after "
             "surgery",
        "7": "surgery before and after systemic therapy", "9": "sequence unknown"},
    # NAACCR 1380 RX Summ--Surg/Rad Seq
    "radiation_surgery_seq": {
        "0": "no radiation and/or surgery", "2": "radiation before surgery",
        "3": "radiation after surgery", "4": "radiation before and after surgery",
        "5": "intraoperative radiation",
        "6": "intraoperative radiation with other radiation before and/or after surgery",
        "7": "surgery before and after radiation", "9": "sequence unknown"},
    # NAACCR 1360 RX Summ--Radiation
    "rx_radiation": {"0": "none", "1": "beam radiation", "2": "radioactive implants",
                     "3": "radioisotopes", "4": "beam with implants or isotopes",
                     "5": "radiation, method not stated", "6": "other radiation (historic code)",
                     "7": "refused", "8": "recommended, unknown if given", "9": "unknown"},
    # SEER Radiation recode
    "radiation_recode": {"0": "none or unknown", "1": "beam radiation",
                         "2": "radioactive implants (includes brachytherapy)",
                         "3": "radioisotopes", "4": "beam with implants or isotopes",
                         "5": "radiation, method not stated",
                         "6": "other radiation (1973-1987)", "7": "refused",
                         "8": "recommended, unknown if given", "9": "unknown"},
    # NAACCR 1390 RX Summ--Chemo
    "rx_chemo": {"00": "none", "01": "chemotherapy, type not stated", "02": "single agent",
                 "03": "multiple agents", "82": "not given: contraindicated",
                 "85": "not given: patient died before", "86": "recommended, not given",
                 "87": "refused", "88": "recommended, unknown if given", "99": "unknown"},
    # SEER Chemotherapy recode (yes, no/unk)
    "chemo_recode": {"0": "no or unknown", "1": "yes"},
    # NAACCR 160 Race 1
    "race": {"01": "White", "02": "Black", "03": "American Indian, Aleutian or Eskimo",
             "04": "Chinese", "05": "Japanese", "06": "Filipino", "07": "Hawaiian",
             "08": "Korean", "10": "Vietnamese", "11": "Laotian", "12": "Hmong",
             "13": "Kampuchean (Cambodian)", "14": "Thai", "15": "Asian Indian or Pakistani, NOS",
             "16": "Asian Indian", "17": "Pakistani", "20": "Micronesian, NOS", "21": "Chamorro",
             "22": "Guamanian, NOS", "25": "Polynesian, NOS", "26": "Tahitian", "27": "Samoan",
             "28": "Tongan", "30": "Melanesian, NOS", "31": "Fiji Islander",
             "32": "New Guinean", "88": "no further race documented", "96": "other Asian",
             "97": "Pacific Islander, NOS", "98": "other", "99": "unknown"},
    # NAACCR 190 Spanish/Hispanic Origin
    "hispanic_origin": {"0": "non-Spanish, non-Hispanic", "1": "Mexican", "2": "Puerto Rican",
                        "3": "Cuban", "4": "South or Central American (except Brazil)",
                        "5": "other specified Spanish/Hispanic origin",
                        "6": "Spanish, Hispanic or Latino, NOS", "7": "Spanish surname only",
                        "8": "Dominican Republic", "9": "unknown"},
    # SEER Origin recode NHIA (Hispanic, Non-Hisp)
    "origin_recode": {"0": "non-Spanish-Hispanic-Latino", "1": "Spanish-Hispanic-Latino"},
    # SEER Race recode (W, B, AI, API)
    "race_recode": {"1": "White", "2": "Black", "3": "American Indian/Alaska Native",
                    "4": "Asian or Pacific Islander", "7": "other unspecified", "9": "unknown"},
    # SEER Race and origin recode (NHW, NHB, NHAIAN, NHAPI, Hispanic)
    "race_origin_recode": {"1": "non-Hispanic White", "2": "non-Hispanic Black",
                           "3": "non-Hispanic American Indian/Alaska Native",
                           "4": "non-Hispanic Asian or Pacific Islander",
                           "5": "Hispanic (all races)", "9": "non-Hispanic, unknown race"},
    # NAACCR 150 Marital Status at DX
    "marital_status": {"1": "single (never married)", "2": "married", "3": "separated",
                       "4": "divorced", "5": "widowed", "6": "unmarried or domestic partner",
                       "9": "unknown"},
    # SEER First malignant primary indicator
    "first_malignant": {"0": "no", "1": "yes"},
    # NAACCR 220 Sex (the codes of every version, 3-6 kept apart as "other")
    "sex": {"1": "male", "2": "female", "3": "other sex", "4": "other gender (code 4)",
            "5": "other gender (code 5)", "6": "other gender (code 6)", "9": "unknown"},
}
LABELS["grade_pathological"] = LABELS["grade_clinical"]
LABELS["pr_summary"] = LABELS["her2_summary"] = LABELS["er_summary"]
LABELS["pr_status_recode"] = LABELS["er_status_recode"]
LABELS["nhia_origin"] = {**{k: v for k, v in LABELS["hispanic_origin"].items() if k != "9"},
                         "7": "NHIA surname match only"}

# codes each item must refuse (an adjacent number, a letter, a wrong width)
INVALID = {
    "laterality": ["6", "A"], "diagnostic_confirmation": ["0"], "grade_clinical": ["0", "7", "F"],
    "er_summary": ["2", "5"], "er_status_recode": ["0", "5"], "breast_subtype": ["6", "0"],
    "ln_surgery_scope": ["8"], "systemic_surgery_seq": ["1", "8"],
    "radiation_surgery_seq": ["1", "8"], "rx_chemo": ["04", "89", "98"],
    "chemo_recode": ["2"], "race_recode": ["5", "8"], "race_origin_recode": ["6", "0"],
    "marital_status": ["0", "7", "8"], "nhia_origin": ["9"], "origin_recode": ["2"],
    "first_malignant": ["2"], "ajcc6_n": ["123", "A1"], "ajcc7_n": ["12", "1234"],
    "cod_site_recode": ["2601", "123456"],  # a label (SEER*Stat text) is kept as written
    "seer_cmb_n": ["p1A1234"], "eod2018_n": ["N 1"],
}


def test_naaccr_identity_and_v18_columns():
    ns = "{http://naaccr.org/naaccrxml}"
    root = ET.parse(FIXTURES / "naaccr-dictionary-180-excerpt.xml").getroot()
    official = {e.get("naaccrId"): e.attrib for e in root.iter(ns + "ItemDef")}
    for name, (num, nid, width) in NAACCR.items():
        it = items_by_name()[name]
        assert (it.item, it.naaccr_id, it.width) == (num, nid, width), name
        assert (official[nid]["naaccrNum"], int(official[nid]["length"])) == (num, width)
        assert canonical_name(nid) == canonical_name(num) == name
    for name in SEER_ONLY:
        assert items_by_name()[name].naaccr_id == "", name


@pytest.mark.parametrize(("alias", "name"), [
    ("Derived AJCC N, 7th ed (2010-2015)", "ajcc7_n"), ("DAJCCN", "ajcc6_n"),
    ("DAJCC7STG", "ajcc7_stage"), ("Derived SEER Combined N (2016-2017)", "seer_cmb_n"),
    ("Derived EOD 2018 N (2018+)", "eod2018_n"), ("CS lymph nodes (2004-2015)", "cs_lymph_nodes"),
    ("CSLYMPHN", "cs_lymph_nodes"), ("Grade Pathological (2018+)", "grade_pathological"),
    ("Tumor Size Summary (2016+)", "tumor_size_summary"), ("CS tumor size (2004-2015)",
                                                            "cs_tumor_size"),
    ("LATERAL", "laterality"), ("DX_CONF", "diagnostic_confirmation"),
    ("ER Status Recode Breast Cancer (1990+)", "er_status_recode"), ("PRSTATUS",
                                                                     "pr_status_recode"),
    ("Derived HER2 Recode (2010+)", "her2_recode"), ("BRST_SUB", "breast_subtype"),
    ("RX Summ--Surg Prim Site (1998+)", "surgery_primary_site"), ("SURGPRIF",
                                                                  "surgery_primary_site"),
    ("RX Summ--Scope Reg LN Sur (2003+)", "ln_surgery_scope"),
    ("RX Summ--Systemic/Sur Seq (2007+)", "systemic_surgery_seq"),
    ("Radiation recode", "radiation_recode"),
    ("Chemotherapy recode (yes, no/unk)", "chemo_recode"),
    ("Race recode (W, B, AI, API)", "race_recode"), ("RAC_RECA", "race_recode"),
    ("Race and origin recode (NHW, NHB, NHAIAN, NHAPI, Hispanic)", "race_origin_recode"),
    ("Origin recode NHIA (Hispanic, Non-Hisp)", "origin_recode"), ("RACE1V", "race"),
    ("Marital status at diagnosis", "marital_status"), ("MAR_STAT", "marital_status"),
    ("First malignant primary indicator", "first_malignant"),
    ("Total number of in situ/malignant tumors for patient", "tumors_total"),
    ("MALIGCOUNT", "tumors_total"), ("COD to site recode", "cod_site_recode"),
])
def test_seer_names_reach_their_item(alias, name):
    assert canonical_name(alias) == name


def test_derived_names_are_not_taken_by_loaded_items():
    # a derived column read back from an export must not be mistaken for an item
    for col in DERIVED_COLUMNS:
        if col != "surv_months":  # the loaded item, completed from the dates when blank
            assert canonical_name(col) is None, col


_CON = duckdb.connect()  # DuckDB (RE2) is what validates on load


def _accepts(name: str, value: str) -> bool:
    pattern = items_by_name()[name].pattern
    py = re.fullmatch(pattern, value) is not None
    db = _CON.execute("select regexp_full_match(?, ?)", [value, pattern]).fetchall()[0][0]
    assert py == db, (name, value)
    return py


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader((DATA / name).read_text().splitlines()))


def test_every_labelled_code_is_accepted_and_labelled():
    for name, codes in LABELS.items():
        for code, text in codes.items():
            assert _accepts(name, code), (name, code)
            assert label(name, code) == text, (name, code)
        # and the label table has no code the hand table lacks
        assert set(value_labels()[name]) == set(codes), name


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_codes_are_refused(name):
    for value in INVALID[name]:
        assert not _accepts(name, value), (name, value)


def test_surgery_codes():
    # 00 none; 10-19 local destruction; 20-80 resection; 90 NOS; 98 not applicable; 99 unknown
    assert label("surgery_primary_site", "00") == "no surgery of the primary site"
    assert label("surgery_primary_site", "14") == "local tumour destruction (code 14)"
    assert label("surgery_primary_site", "41") == "resection (site-specific code 41)"
    assert label("surgery_primary_site", "90") == "surgery, not otherwise specified"
    assert label("surgery_primary_site", "98") == "not applicable (site-specific special code)"
    assert label("surgery_primary_site", "99") == "unknown"
    assert len(value_labels()["surgery_primary_site"]) == 1 + 10 + 61 + 3
    for code in value_labels()["surgery_primary_site"]:
        assert _accepts("surgery_primary_site", code)


# Collaborative Stage derived AJCC codes (VA Oncology ONCCSOT), 6th then 7th edition
AJCC = [
    ("ajcc6_t", "00", "T0"), ("ajcc6_t", "01", "Ta"), ("ajcc6_t", "05", "Tis"),
    ("ajcc6_t", "11", "T1mic"), ("ajcc6_t", "12", "T1a"), ("ajcc6_t", "18", "T1c"),
    ("ajcc6_t", "19", "T1 NOS"), ("ajcc6_t", "44", "T4d"), ("ajcc6_t", "88", "not applicable"),
    ("ajcc6_t", "99", "TX"), ("ajcc7_t", "100", "T1"), ("ajcc7_t", "199", "T1 NOS"),
    ("ajcc7_t", "191", "T1 NOS(s)"), ("ajcc7_t", "181", "T1d"), ("ajcc7_t", "450", "T4e"),
    ("ajcc7_t", "999", "TX"),
    ("ajcc6_n", "00", "N0"), ("ajcc6_n", "01", "N0(i-)"), ("ajcc6_n", "02", "N0(i+)"),
    ("ajcc6_n", "03", "N0(mol-)"), ("ajcc6_n", "04", "N0(mol+)"), ("ajcc6_n", "10", "N1"),
    ("ajcc6_n", "11", "N1a"), ("ajcc6_n", "12", "N1b"), ("ajcc6_n", "13", "N1c"),
    ("ajcc6_n", "18", "N1mi"), ("ajcc6_n", "19", "N1 NOS"), ("ajcc6_n", "20", "N2"),
    ("ajcc6_n", "21", "N2a"), ("ajcc6_n", "22", "N2b"), ("ajcc6_n", "23", "N2c"),
    ("ajcc6_n", "29", "N2 NOS"), ("ajcc6_n", "30", "N3"), ("ajcc6_n", "31", "N3a"),
    ("ajcc6_n", "32", "N3b"), ("ajcc6_n", "33", "N3c"), ("ajcc6_n", "39", "N3 NOS"),
    ("ajcc6_n", "88", "not applicable"), ("ajcc6_n", "99", "NX"),
    ("ajcc7_n", "000", "N0"), ("ajcc7_n", "020", "N0(i+)"), ("ajcc7_n", "110", "N1a"),
    ("ajcc7_n", "180", "N1mi"), ("ajcc7_n", "199", "N1 NOS"), ("ajcc7_n", "220", "N2b"),
    ("ajcc7_n", "399", "N3 NOS"), ("ajcc7_n", "400", "N4"), ("ajcc7_n", "888", "not applicable"),
    ("ajcc7_n", "999", "NX"),
    ("ajcc6_m", "00", "M0"), ("ajcc6_m", "10", "M1"), ("ajcc6_m", "11", "M1a"),
    ("ajcc6_m", "12", "M1b"), ("ajcc6_m", "13", "M1c"), ("ajcc6_m", "19", "M1 NOS"),
    ("ajcc6_m", "88", "not applicable"), ("ajcc6_m", "99", "MX"), ("ajcc7_m", "010", "M0(i+)"),
    ("ajcc7_m", "140", "M1d"), ("ajcc7_m", "150", "M1e"), ("ajcc7_m", "199", "M1 NOS"),
    ("ajcc6_stage", "00", "Stage 0"), ("ajcc6_stage", "02", "Stage 0is"),
    ("ajcc6_stage", "10", "Stage I"), ("ajcc6_stage", "23", "Stage ISA (lymphoma only)"),
    ("ajcc6_stage", "32", "Stage IIA"), ("ajcc6_stage", "52", "Stage IIIA"),
    ("ajcc6_stage", "54", "Stage IIIC"), ("ajcc6_stage", "70", "Stage IV"),
    ("ajcc6_stage", "88", "not applicable"), ("ajcc6_stage", "90", "Stage occult"),
    ("ajcc6_stage", "99", "Stage unknown"), ("ajcc7_stage", "530", "Stage IIIB"),
    ("ajcc7_stage", "541", "Stage IIIC1"), ("ajcc7_stage", "722", "Stage IVA2"),
    ("ajcc7_stage", "700", "Stage IV"), ("ajcc7_stage", "999", "Stage unknown"),
]


@pytest.mark.parametrize(("item", "code", "text"), AJCC)
def test_derived_ajcc_codes(item, code, text):
    assert label(item, code) == text
    assert _accepts(item, code)


def test_seventh_edition_codes_extend_the_sixth():
    # the 7th-edition derived code of a 6th-edition category is the 6th code
    # times ten, except the NOS categories (x9 -> x99) and 88/99 (888/999)
    sixth, seventh = {}, {}
    for part in ("t", "n", "m", "stage"):
        sixth = ajcc_codes()[f"ajcc6_{part}"]
        seventh = {v: k for k, v in ajcc_codes()[f"ajcc7_{part}"].items()}
        for code, text in sixth.items():
            expected = {"88": "888", "99": "999"}.get(code)
            if expected is None:
                nos = part != "stage" and code[1] == "9"
                expected = code + ("9" if nos else "0")
            assert seventh[text] == expected, (part, code, text)


def test_cod_site_recode_table():
    table = cod_site_recode()
    hand = {"00000": "Alive", "26000": "Breast", "21040": "Colon excluding Rectum",
            "21050": "Rectum and Rectosigmoid Junction", "22030": "Lung and Bronchus",
            "25010": "Melanoma of the Skin", "21100": "Pancreas", "50060": "Diseases of Heart",
            "50300": "Other Cause of Death",
            "41000": "State DC not available or state DC available but no COD",
            "99999": "Unknown/missing/invalid COD",
            "38000": "In situ, benign or unknown behavior neoplasm"}
    for code, text in hand.items():
        assert table[code][0] == text
        assert label("cod_site_recode", code) == text
    assert all(_accepts("cod_site_recode", c) for c in table)
    groups = {code: g for code, (_, g) in table.items()}
    assert (groups["00000"], groups["26000"], groups["50060"], groups["99999"]) == (
        "alive", "cancer", "other", "unknown")
    # SEER's table: 69 neoplasm causes (68 malignant sites and in situ/benign),
    # 25 other causes (HIV shares 50040 with other infections), alive, 41000, 99999
    assert len(table) == 97
    assert sum(g == "cancer" for g in groups.values()) == 68


def test_seer_stat_value_labels_give_valid_codes():
    labels = seer_labels()
    for name in [*NAACCR, *SEER_ONLY]:
        for text, code in labels.get(name, {}).items():
            assert _accepts(name, code), (name, text, code)
    hand = {("race_recode", "asian or pacific islander"): "4",
            ("race_origin_recode", "hispanic (all races)"): "5",
            ("marital_status", "married (including common law)"): "2",
            ("breast_subtype", "hr-/her2-"): "4",
            ("breast_subtype", "triple negative (hr-/her2-)"): "4",
            ("her2_recode", "not 2010+ breast"): "4",
            ("radiation_recode", "none/unknown"): "0",
            ("chemo_recode", "no/unknown"): "0",
            ("systemic_surgery_seq", "systemic therapy before surgery"): "2",
            ("ajcc7_n", "n1a"): "110", ("ajcc6_stage", "iiia"): "52",
            ("ajcc7_stage", "unk stage"): "999", ("ajcc6_n", "na"): "88",
            ("cod_site_recode", "breast"): "26000",
            ("grade", "poorly differentiated; grade iii"): "3"}
    for (name, text), code in hand.items():
        assert labels[name][text] == code


def test_every_data_table_row_is_well_formed():
    # crosswalk groups are levels of the derived enums; count groups are ordered
    from cohort.derive.covariates import GRADE_GROUP_LEVELS
    from cohort.derive.staging import N_STAGE_GROUP_LEVELS, NODE_COUNT_GROUP_LEVELS, T_STAGE_LEVELS

    for row in _rows("n_stage_crosswalk.csv"):
        assert row["n_stage_group"] in N_STAGE_GROUP_LEVELS
    for row in _rows("t_stage_crosswalk.csv"):
        assert row["t_stage"] in ("", *T_STAGE_LEVELS)
    for row in _rows("grade_groups.csv"):
        assert row["grade_group"] in GRADE_GROUP_LEVELS
        item = "grade" if row["source"] == "grade" else "grade_clinical"
        assert _accepts(item, row["code"])
    for row in _rows("count_groups.csv"):
        assert row["group"] in NODE_COUNT_GROUP_LEVELS and row["source"]
