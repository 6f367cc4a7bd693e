"""Node variables, table-driven: expected values written by hand from the
AJCC 8th-edition rules in NODES.md, not computed by the code under test."""

from __future__ import annotations

import math

import polars as pl
import pytest

from cohort.derive import derive, with_inputs

SITES = {  # a representative topography and histology per site group
    "breast": ("C504", "8500"),
    "colon": ("C187", "8140"),
    "rectum": ("C209", "8140"),
    "stomach": ("C162", "8140"),
    "esophagus": ("C155", "8070"),
    "pancreas": ("C250", "8500"),
    "lung": ("C341", "8140"),
    "melanoma": ("C445", "8720"),
    "head_neck": ("C320", "8070"),  # larynx
    "other": ("C619", "8140"),
}

# 820 code -> AJCC 8th count category, per site (NODES.md table)
BURDEN_BY_820 = {
    "breast": {"00": "N0", "01": "N1", "03": "N1", "04": "N2", "09": "N2", "10": "N3",
               "89": "N3", "90": "N3", "95": "N1 NOS", "97": "N1 NOS", "98": "NX", "99": "NX"},
    "colon": {"00": "N0", "01": "N1a", "02": "N1b", "03": "N1b", "04": "N2a", "06": "N2a",
              "07": "N2b", "89": "N2b", "90": "N2b", "95": "N1 NOS", "97": "N1 NOS",
              "98": "NX", "99": "NX"},
    "rectum": {"00": "N0", "01": "N1a", "02": "N1b", "03": "N1b", "04": "N2a", "06": "N2a",
               "07": "N2b", "90": "N2b", "97": "N1 NOS", "98": "NX", "99": "NX"},
    "stomach": {"00": "N0", "01": "N1", "02": "N1", "03": "N2", "06": "N2", "07": "N3a",
                "15": "N3a", "16": "N3b", "90": "N3b", "95": "N1 NOS", "98": "NX", "99": "NX"},
    "esophagus": {"00": "N0", "01": "N1", "02": "N1", "03": "N2", "06": "N2", "07": "N3",
                  "90": "N3", "97": "N1 NOS", "98": "NX", "99": "NX"},
    "pancreas": {"00": "N0", "01": "N1", "03": "N1", "04": "N2", "90": "N2", "97": "N1 NOS",
                 "98": "NX", "99": "NX"},
    "melanoma": {"00": "N0", "01": "N1", "02": "N2", "03": "N2", "04": "N3", "90": "N3",
                 "97": "N1 NOS", "98": "NX", "99": "NX"},
    "lung": {"00": "NX", "01": "NX", "05": "NX", "90": "NX", "97": "NX", "98": "NX", "99": "NX"},
    "head_neck": {"00": "NX", "03": "NX", "97": "NX", "98": "NX", "99": "NX"},
    "other": {"00": "NX", "03": "NX", "97": "NX", "98": "NX", "99": "NX"},
}
STATUS_BY_820 = {"00": "N0", "95": "N+", "97": "N+", "98": "NX", "99": "NX", "90": "N+"}


def frame(**columns) -> pl.DataFrame:
    n = max(len(v) for v in columns.values())
    return with_inputs(pl.DataFrame({k: v if len(v) == n else v * n for k, v in columns.items()}))


def derived(df: pl.DataFrame) -> pl.DataFrame:
    return derive(df).with_columns(pl.col(pl.Enum).cast(pl.Utf8))


CASES = [
    (site, code, burden)
    for site, table in BURDEN_BY_820.items()
    for code, burden in table.items()
]


@pytest.mark.parametrize(("site", "code", "expected"), CASES)
def test_node_burden_and_status_from_820(site, code, expected):
    topo, hist = SITES[site]
    exam = {"98": "00", "90": "90", "99": "99"}.get(code, "95" if code == "95" else "20")
    out = derived(frame(primary_site=[topo], histology=[hist], nodes_positive_code=[code],
                        nodes_examined_code=[exam]))
    row = out.row(0, named=True)
    assert row["site_group"] == site
    assert row["node_burden"] == expected
    assert row["node_status"] == STATUS_BY_820.get(code, "N+")
    if expected == "NX":
        assert row["node_burden_reason"]  # NX always says why
    if site in ("lung", "head_neck", "other"):
        assert "count" in row["node_burden_reason"] or "location" in row["node_burden_reason"]


def test_lung_and_larynx_give_reasons():
    out = derived(frame(primary_site=["C341", "C320", "C619"], histology=["8140"],
                        nodes_positive_code=["03"], nodes_examined_code=["10"]))
    assert out["node_burden_reason"].to_list() == [
        "lung N is location-based (hilar / mediastinal / contralateral nodes)",
        "head and neck N is not count-based: it depends on node size, number, laterality and ENE",
        "no count-based N rule for this site group",
    ]


@pytest.mark.parametrize(
    ("pos", "exam", "lnr", "lodds", "negative"),
    [
        ("00", "12", 0.0, math.log(0.5 / 12.5), 12),
        ("03", "12", 0.25, math.log(3.5 / 9.5), 9),
        ("12", "12", 1.0, math.log(12.5 / 0.5), 0),
        ("01", "89", 1 / 89, math.log(1.5 / 88.5), 88),
        ("05", "03", None, None, None),  # positive > examined: flagged, not fixed
        ("03", "00", None, None, None),
        ("90", "90", None, None, None),  # 90 = ninety or more: not exact
        ("97", "12", None, None, None),
        ("95", "95", None, None, None),
        ("03", "96", None, None, None),
        ("98", "00", None, None, None),
        ("99", "99", None, None, None),
    ],
)
def test_lnr_lodds_negative(pos, exam, lnr, lodds, negative):
    out = derived(frame(primary_site=["C187"], histology=["8140"], nodes_positive_code=[pos],
                        nodes_examined_code=[exam]))
    row = out.row(0, named=True)
    assert row["nodes_negative"] == negative
    if lnr is None:
        assert row["lnr"] is None and row["lodds"] is None
    else:
        assert row["lnr"] == pytest.approx(lnr, abs=1e-12)
        assert row["lodds"] == pytest.approx(lodds, abs=1e-12)


@pytest.mark.parametrize(
    ("site", "exam", "expected"),
    [
        ("colon", "12", True), ("colon", "11", False), ("colon", "00", False),
        ("colon", "90", True), ("colon", "96", None), ("colon", "99", None),
        ("breast", "10", True), ("breast", "09", False), ("stomach", "15", False),
        ("stomach", "16", True), ("esophagus", "15", True), ("pancreas", "12", True),
        ("head_neck", "17", False), ("head_neck", "18", True), ("lung", "30", None),
        ("melanoma", "05", None),
    ],
)
def test_adequate_exam(site, exam, expected):
    topo, hist = SITES[site]
    out = derived(frame(primary_site=[topo], histology=[hist], nodes_positive_code=["00"],
                        nodes_examined_code=[exam]))
    assert out["adequate_exam"].item() is expected


def test_decoded_counts():
    out = derived(frame(primary_site=["C187"], histology=["8140"],
                        nodes_positive_code=["00", "07", "90", "95", "97", "98", "99", None],
                        nodes_examined_code=["12", "20", "90", "95", "96", "00", "99", None]))
    assert out["nodes_positive"].to_list() == [0, 7, 90, None, None, None, None, None]
    assert out["nodes_examined"].to_list() == [12, 20, 90, None, None, 0, None, None]
    assert out["node_status"].to_list() == ["N0", "N+", "N+", "N+", "N+", "NX", "NX", "NX"]


def test_breast_axillary_item_from_2018():
    out = derived(frame(primary_site=["C504"], histology=["8500"],
                        nodes_positive_code=["05", "05", "05", "05", "12"],
                        nodes_examined_code=["15"],
                        ln_axillary_code=["02", "X5", "X1", "X8", None]))
    assert out["node_burden"].to_list() == ["N1", "N1 NOS", "N3", "N2", "N3"]
    assert out["node_count_source"].to_list() == ["3882", "3882", "3882", "820", "820"]
    assert out["node_edits"].to_list()[0] == []


def test_breast_and_melanoma_sentinel_when_regional_unknown():
    out = derived(frame(primary_site=["C504", "C504", "C445", "C187"],
                        histology=["8500", "8500", "8720", "8140"],
                        nodes_positive_code=["99"], nodes_examined_code=["99"],
                        sentinel_examined_code=["02", "03", "01", "02"],
                        sentinel_positive_code=["00", "01", "00", "00"]))
    assert out["node_status"].to_list() == ["N0", "N+", "N0", "NX"]
    assert out["node_burden"].to_list() == ["N0", "NX", "N0", "NX"]
    assert out["node_burden_reason"][1] == (
        "sentinel nodes positive, number of positive regional nodes unknown"
    )


def test_colorectal_tumour_deposits_n1c():
    out = derived(frame(primary_site=["C187", "C187", "C209", "C187"], histology=["8140"],
                        nodes_positive_code=["00", "02", "00", "00"], nodes_examined_code=["14"],
                        tumor_deposits_code=["X2", "X2", "03", "00"]))
    assert out["node_burden"].to_list() == ["N1c", "N1b", "N1c", "N0"]


def test_hpv_oropharynx_count_rule():
    out = derived(frame(primary_site=["C090", "C090", "C019", "C090", "C090", "C320"],
                        histology=["8070"],
                        nodes_positive_code=["04", "05", "00", "04", "04", "04"],
                        nodes_examined_code=["30"],
                        p16_code=["1", "1", "1", "0", None, "1"]))
    assert out["node_burden"].to_list() == ["N1", "N2", "N0", "NX", "NX", "NX"]


def test_contradictions_are_flagged_not_fixed():
    out = derived(frame(primary_site=["C187"], histology=["8140"],
                        nodes_positive_code=["00", "05", "98", "03", "95"],
                        nodes_examined_code=["00", "03", "12", "00", "96"]))
    assert out["node_status"].to_list() == ["NX", "N+", "NX", "N+", "N+"]
    assert out["node_burden"].to_list() == ["NX", "N2a", "NX", "N1b", "N1 NOS"]
    assert out["nodes_positive"].to_list() == [0, 5, None, 3, None]
    assert out["node_edits"].to_list() == [
        ["examined 00 requires positive 98"],
        ["positive exceeds examined"],
        ["positive 98 requires examined 00"],
        ["examined 00 requires positive 98", "positive exceeds examined"],
        ["positive 95 requires examined 95 or a count"],
    ]
    assert out["node_burden_reason"][0] == (
        "positive 00 with examined 00 is contradictory (edit failure)"
    )


def test_sentinel_edits():
    out = derived(frame(primary_site=["C504"], histology=["8500"],
                        nodes_positive_code=["01", "02"], nodes_examined_code=["02", "10"],
                        sentinel_examined_code=["03", "02"], sentinel_positive_code=["01", "03"]))
    assert out["node_edits"].to_list() == [
        ["sentinel examined exceeds regional examined"],
        ["sentinel positive exceeds sentinel examined",
         "sentinel positive exceeds regional positive"],
    ]


def test_node_burden_is_ordered():
    out = derive(frame(primary_site=["C187"], histology=["8140"],
                       nodes_positive_code=["09", "00", "97", "02", "99"],
                       nodes_examined_code=["20"]))
    ordered = out.sort("node_burden")["node_burden"].cast(pl.Utf8).to_list()
    assert ordered == ["N0", "N1 NOS", "N1b", "N2b", "NX"]
