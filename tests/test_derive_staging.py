"""Staged N and T across editions, the N crosswalk and the count groups,
checked on hand tables (each row: the inputs, the AJCC category a registrar
would read, its group)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cohort.derive import derive, with_inputs
from cohort.derive.sites import n_rule, site_group
from cohort.derive.staging import (
    n_stage,
    n_stage_edition,
    n_stage_group,
    node_count_group,
    t_stage,
    written_category,
)

A6, A7, CMB, EOD = "AJCC 6th", "AJCC 7th", "AJCC 7th (SEER combined)", "AJCC 8th (EOD 2018)"

# dx_year, ajcc6_n, ajcc7_n, seer_cmb_n, eod2018_n -> n_stage, group, edition
N_TABLE = [
    (2005, "00", None, None, None, "N0", "N0", A6),
    (2005, "02", None, None, None, "N0(i+)", "N0", A6),
    (2005, "04", None, None, None, "N0(mol+)", "N0", A6),
    (2007, "11", None, None, None, "N1a", "N1", A6),
    (2007, "18", None, None, None, "N1mi", "N1", A6),
    (2007, "19", None, None, None, "N1 NOS", "N1", A6),
    (2008, "23", None, None, None, "N2c", "N2", A6),
    (2009, "32", None, None, None, "N3b", "N3", A6),
    (2009, "99", None, None, None, "NX", "NX", A6),
    (2009, "88", None, None, None, None, "NX", None),  # not applicable: no N
    (2009, None, None, None, None, None, "NX", None),
    (2012, "20", "210", None, None, "N2a", "N2", A7),  # 7th preferred 2010-2015
    (2012, "20", None, None, None, "N2", "N2", A6),  # 6th when the 7th is absent
    (2012, "20", "888", None, None, "N2", "N2", A6),  # or not applicable
    (2013, None, "199", None, None, "N1 NOS", "N1", A7),
    (2014, None, "020", None, None, "N0(i+)", "N0", A7),
    (2015, None, "400", None, None, "N4", "NX", A7),  # N4: no harmonised group
    (2015, None, "999", None, None, "NX", "NX", A7),
    (2016, None, None, "p1A", None, "N1a", "N1", CMB),
    (2016, None, None, "c0", None, "N0", "N0", CMB),
    (2016, None, None, "p0I+", None, "N0(i+)", "N0", CMB),
    (2017, None, None, "p1MI", None, "N1mi", "N1", CMB),
    (2017, None, None, "cX", None, "NX", "NX", CMB),
    (2017, None, None, "88", None, None, "NX", None),
    (2017, None, "300", None, None, "N3", "N3", A7),  # CS 7th still used in 2016-2017
    (2018, None, None, None, "N0", "N0", "N0", EOD),
    (2018, None, None, None, "N0(i+)", "N0(i+)", "N0", EOD),
    (2019, None, None, None, "N1a(sn)", "N1a(sn)", "N1", EOD),
    (2019, None, None, None, "N2mi", "N2mi", "N2", EOD),
    (2020, None, None, None, "N3c", "N3c", "N3", EOD),
    (2021, None, None, None, "NX", "NX", "NX", EOD),
    (2021, None, None, None, "88", None, "NX", None),
    (2021, None, "110", None, None, None, "NX", None),  # 2018+: the 7th does not apply
    (2003, "11", None, None, None, None, "NX", None),  # before the derived items
    (None, "11", "210", None, None, "N2a", "N2", A7),  # unknown year: newest present
    (None, None, None, "p2", "N1", "N1", "N1", EOD),
]


def test_n_stage_hand_table():
    df = pl.DataFrame(
        [r[:5] for r in N_TABLE],
        schema={"dx_year": pl.Int32, "ajcc6_n": pl.Utf8, "ajcc7_n": pl.Utf8,
                "seer_cmb_n": pl.Utf8, "eod2018_n": pl.Utf8},
        orient="row",
    )
    got = df.select(n_stage(), n_stage_group().cast(pl.Utf8),
                    n_stage_edition().cast(pl.Utf8)).rows()
    assert got == [r[5:] for r in N_TABLE]


# dx_year, ajcc6_t, ajcc7_t, seer_cmb_t, eod2018_t -> t_stage
T_TABLE = [
    (2005, "00", None, None, None, "T0"), (2005, "01", None, None, None, "Ta"),
    (2005, "05", None, None, None, "Tis"), (2006, "06", None, None, None, "Tis"),
    (2006, "11", None, None, None, "T1"), (2006, "18", None, None, None, "T1"),
    (2007, "29", None, None, None, "T2"), (2007, "33", None, None, None, "T3"),
    (2008, "44", None, None, None, "T4"), (2008, "99", None, None, None, "TX"),
    (2008, "88", None, None, None, None), (2011, "10", "181", None, None, "T1"),
    (2011, None, "450", None, None, "T4"), (2011, None, "999", None, None, "TX"),
    (2016, None, None, "pIS", None, "Tis"), (2016, None, None, "c1MI", None, "T1"),
    (2016, None, None, "p4B", None, "T4"), (2017, None, None, "cX", None, "TX"),
    (2017, None, None, "pA", None, "Ta"), (2017, None, None, "c0", None, "T0"),
    (2018, None, None, None, "Tis(DCIS)", "Tis"), (2018, None, None, None, "T1mi", "T1"),
    (2019, None, None, None, "T2a1", "T2"), (2019, None, None, None, "Ta", "Ta"),
    (2020, None, None, None, "TX", "TX"), (2020, None, None, None, "88", None),
]


def test_t_stage_hand_table():
    df = pl.DataFrame(
        [r[:5] for r in T_TABLE],
        schema={"dx_year": pl.Int32, "ajcc6_t": pl.Utf8, "ajcc7_t": pl.Utf8,
                "seer_cmb_t": pl.Utf8, "eod2018_t": pl.Utf8},
        orient="row",
    )
    assert df.select(t_stage().cast(pl.Utf8))["t_stage"].to_list() == [r[5] for r in T_TABLE]


@pytest.mark.parametrize(("written", "letter", "category"), [
    ("p1A", "N", "1A"), ("c0", "N", "0"), ("yp2", "N", "2"), ("yc1B", "N", "1B"),
    ("N0(i-)", "N", "0I-"), ("N0 (mol+)", "N", "0MOL+"), ("pX", "N", "X"),
    ("Tis(DCIS)", "T", "ISDCIS"), ("cTis", "T", "IS"), ("T1c", "T", "1C"), ("pIS", "T", "IS"),
])
def test_written_category(written, letter, category):
    df = pl.DataFrame({"x": [written]})
    assert df.select(written_category(pl.col("x"), letter)).item() == category


def test_lowercase_and_uppercase_written_codes_agree():
    df = pl.DataFrame({"dx_year": [2019, 2019], "eod2018_n": ["n1a", "N1A"],
                       "ajcc6_n": [None, None], "ajcc7_n": [None, None],
                       "seer_cmb_n": [None, None]},
                      schema_overrides={"dx_year": pl.Int32, "ajcc6_n": pl.Utf8,
                                        "ajcc7_n": pl.Utf8, "seer_cmb_n": pl.Utf8})
    assert df.select(n_stage()).to_series().to_list() == ["N1a", "N1a"]


# site, positive code -> count group (lung 0 / 1-3 / >=4; head and neck 0 / 1 / >=2)
COUNTS = [
    ("lung", "00", "0"), ("lung", "01", "1-3"), ("lung", "03", "1-3"), ("lung", "04", ">=4"),
    ("lung", "90", ">=4"), ("lung", "95", "unknown"), ("lung", "97", "unknown"),
    ("lung", "98", "unknown"), ("lung", "99", "unknown"), ("lung", None, "unknown"),
    ("head_neck", "00", "0"), ("head_neck", "01", "1"), ("head_neck", "02", ">=2"),
    ("head_neck", "17", ">=2"), ("breast", "05", None), ("colon", "00", None),
    ("other", "03", None),
]


def test_node_count_groups():
    df = pl.DataFrame([r[:2] for r in COUNTS], schema=["site_group", "nodes_positive_code"],
                      orient="row")
    assert df.select(node_count_group().cast(pl.Utf8)).to_series().to_list() == [
        r[2] for r in COUNTS]


def test_derive_runs_on_distinct_combinations_like_row_by_row():
    # the whole derivation equals evaluating every expression on every row
    raw = with_inputs(pl.DataFrame({
        "primary_site": ["C504", "C341", "C341", "C187", "C504"],
        "histology": ["8500", "8140", "8140", "8140", "8500"],
        "dx_year": [2012, 2019, 2019, 2016, 2012],
        "ajcc6_n": ["20", None, None, None, "20"], "ajcc7_n": ["210", None, None, None, "210"],
        "eod2018_n": [None, "N2", "N2", None, None], "seer_cmb_n": [None, None, None, "p1B", None],
        "nodes_positive_code": ["05", "98", "03", "02", "05"],
        "nodes_examined_code": ["12", "00", "10", "15", "12"],
    }, schema_overrides={"dx_year": pl.Int32}))
    fast = derive(raw).select("n_stage", "n_stage_group", "node_count_group")
    slow = raw.with_columns(site_group(), n_rule()).select(
        n_stage(), n_stage_group(), node_count_group())
    assert_frame_equal(fast, slow)
    assert fast.rows() == [("N2a", "N2", None), ("N2", "N2", "unknown"), ("N2", "N2", "1-3"),
                           ("N1b", "N1", None), ("N2a", "N2", None)]
