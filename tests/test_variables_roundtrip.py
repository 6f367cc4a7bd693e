"""The new variables through every door: the official NAACCR v18 sample in
XML and fixed-width, and synthetic extracts in CSV, NAACCR XML and
fixed-width whose derived variables must equal the generator's truth."""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cohort
from cohort.errors import QuasiIdentifierWarning
from cohort.synth_covariates import SEER_RECODES, TRUTH_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures" / "naaccr"
SAMPLES = ("synthetic-data_naaccr-180-incidence_10-tumors.xml",
           "synthetic-data_naaccr-180-incidence_10-records.txt")

# The ten sample tumours, read by hand from the file: year, derived AJCC 6th
# and 7th T and N codes, and the category a registrar reads for each (the
# 7th edition applies 2010-2015; 88 is not applicable; VA ONCCSOT labels).
SAMPLE = [
    # record, year, 6T, 6N, 7T, 7N, n_stage, n_stage_group, edition, t_stage
    (1, 2012, "42", "32", "420", "320", "N3b", "N3", "AJCC 7th", "T4"),
    (2, 2013, "39", "19", "399", "199", "N1 NOS", "N1", "AJCC 7th", "T3"),
    (3, 2017, None, None, None, None, None, "NX", None, None),
    (4, 2008, "88", "88", None, None, None, "NX", None, None),
    (5, 2012, "10", "20", "100", "220", "N2b", "N2", "AJCC 7th", "T1"),
    (6, 2008, "88", "88", None, None, None, "NX", None, None),
    (7, 2017, None, None, None, None, None, "NX", None, None),
    (8, 2014, "49", "22", "499", "220", "N2b", "N2", "AJCC 7th", "T4"),
    (9, 2014, "10", "30", "199", "300", "N3", "N3", "AJCC 7th", "T1"),
    (10, 2008, "40", "10", None, None, "N1", "N1", "AJCC 6th", "T4"),
]
# breast tumours: CS SSF1 (ER), SSF2 (PR), SSF15 (HER2) -> ER, PR, HER2, subtype
SAMPLE_BREAST = [
    (1, "997", "020", "010", "unknown", "negative", "positive", "unknown"),
    (8, "020", "010", "030", "negative", "positive", "borderline", "unknown"),
]


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    out = {}
    for name in SAMPLES:
        reg = cohort.Registry(tmp_path_factory.mktemp("sample") / "r.duckdb")
        with pytest.warns(QuasiIdentifierWarning):
            reg.load(FIXTURES / name)
        out[name] = reg
    return out


def test_official_sample_staging_by_hand(samples):
    for reg in samples.values():
        got = reg.sql(
            "select record_no, dx_year, ajcc6_t, ajcc6_n, ajcc7_t, ajcc7_n, n_stage, "
            "n_stage_group::varchar, n_stage_edition::varchar, t_stage::varchar "
            "from cases order by record_no").rows()
        assert got == SAMPLE
        got = reg.sql(
            "select record_no, cs_ssf1, cs_ssf2, cs_ssf15, er_result::varchar, "
            "pr_result::varchar, her2_result::varchar, subtype::varchar from cases "
            "where site_group = 'breast' and subtype is not null and dx_year < 2016 "
            "order by record_no").rows()
        assert got == SAMPLE_BREAST


def test_official_sample_xml_and_flat_derive_identically(samples):
    a, b = (reg.sql("select * exclude (load_id) from cases order by record_no")
            for reg in samples.values())
    assert_frame_equal(a, b)
    # person items of the sample: race 1, NHIA origin, marital status, laterality
    assert a["race"].to_list() == ["01", "01", "01", "16", "02", "01", "01", "01", "01", "01"]
    assert a.filter(pl.col("nhia_origin") == "1")["race_group"].cast(pl.Utf8).to_list() == [
        "Hispanic"]
    assert set(a["marital_status"]) == {"1", "2", "3", "4", "5", "6"}


@pytest.fixture(scope="module")
def synth_loads(tmp_path_factory):
    """The same synthetic records as CSV, NAACCR XML, fixed-width and
    SEER*Stat case listings (labels and numeric, which carry SEER's recodes
    instead of the NAACCR items)."""
    tmp = tmp_path_factory.mktemp("vars")
    out = {}
    for name, fmt in (("s.csv", "csv"), ("s.xml", "naaccr-xml"), ("s.txt", "naaccr-flat"),
                      ("l.txt", "seerstat-labels"), ("n.txt", "seerstat-numeric")):
        path = cohort.synth.write(tmp / name, n=6000, seed=21, format=fmt)
        reg = cohort.Registry(tmp / f"{name}.duckdb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deliberately invalid records
            reg.load(path)
        truth = pl.read_parquet(f"{path}.truth.parquet")
        out[fmt] = (reg, truth)
    return out


@pytest.mark.parametrize("fmt", ["csv", "naaccr-xml", "naaccr-flat", "seerstat-labels",
                                 "seerstat-numeric"])
def test_derived_variables_equal_the_generators_truth(synth_loads, fmt):
    reg, truth = synth_loads[fmt]
    cols = ", ".join(f"{c}::varchar as {c}" if c != "neoadjuvant" else c
                     for c in TRUTH_COLUMNS)
    got = reg.sql(f"select patient_id, tumor_seq, {cols} from cases")
    joined = got.join(truth, on=["patient_id", "tumor_seq"], suffix="_truth")
    assert joined.height == got.height > 5900  # every loaded record has its truth
    for c in TRUTH_COLUMNS:
        bad = joined.filter(pl.col(c).ne_missing(pl.col(f"{c}_truth")))
        assert bad.height == 0, (c, bad.select(c, f"{c}_truth").head(5).rows())
    # and the truth is not trivial: every level occurs
    assert set(joined["n_stage_group"]) == {"N0", "N1", "N2", "N3", "NX"}
    assert set(joined["subtype"].drop_nulls()) == {
        "HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "HR-/HER2-", "unknown"}
    assert set(joined["neoadjuvant"]) == {True, False, None}


def test_formats_give_the_same_raw_items_and_derived_columns(synth_loads):
    frames = {fmt: reg.sql("select * exclude (load_id) from cases order by record_no")
              for fmt, (reg, _) in synth_loads.items() if not fmt.startswith("seerstat")}
    # SEER's recodes travel in the CSV only; p16 (no v18 column) and what it
    # decides (the oropharynx node category) differ in fixed-width
    seer = [*SEER_RECODES, "tumors_total_code"]
    assert_frame_equal(frames["csv"].drop(seer), frames["naaccr-xml"].drop(seer))
    p16 = ["p16_code", "node_burden", "node_burden_reason", "n_rule", "node_count_group"]
    assert_frame_equal(frames["csv"].drop(*seer, *p16), frames["naaccr-flat"].drop(*seer, *p16))
    assert frames["naaccr-xml"].select(seer).null_count().row(0) == (
        frames["naaccr-xml"].height,) * len(seer)


def test_synthetic_items_follow_the_era_of_diagnosis(synth_loads):
    reg, _ = synth_loads["csv"]
    era = reg.sql(
        "select case when dx_year < 2010 then '2004-2009' when dx_year < 2016 then "
        "'2010-2015' when dx_year < 2018 then '2016-2017' else '2018+' end as era, "
        "count(ajcc6_n) a6, count(ajcc7_n) a7, count(seer_cmb_n) cmb, count(eod2018_n) eod, "
        "count(grade) g, count(grade_pathological) gp, count(cs_lymph_nodes) cs, "
        "count(tumor_size_summary) tss, count(cs_tumor_size) cts, count(*) n "
        "from cases group by 1 order by 1").rows_by_key("era", named=True, unique=True)
    for name, row in era.items():
        n = row["n"]
        expect = {
            "2004-2009": dict(a6=n, a7=0, cmb=0, eod=0, g=n, gp=0, cs=n, tss=0, cts=n),
            "2010-2015": dict(a6=n, a7=n, cmb=0, eod=0, g=n, gp=0, cs=n, tss=0, cts=n),
            "2016-2017": dict(a6=0, a7=0, cmb=n, eod=0, g=n, gp=0, cs=0, tss=n, cts=0),
            "2018+": dict(a6=0, a7=0, cmb=0, eod=n, g=0, gp=n, cs=0, tss=n, cts=0),
        }[name]
        assert {k: row[k] for k in expect} == expect, name
    # realistic mixes: grade and T rise with the node burden; neoadjuvant rectum
    by_burden = reg.sql(
        "select node_burden::varchar b, avg((grade_group = 'G3')::int) g3, "
        "avg((t_stage in ('T3', 'T4'))::int) t34 from cases "
        "where site_group = 'breast' and node_burden in ('N0', 'N3') group by 1 order by 1")
    assert by_burden["g3"][0] < by_burden["g3"][1] and by_burden["t34"][0] < by_burden["t34"][1]
    neo = reg.sql("select site_group::varchar s, avg(neoadjuvant::int) p from cases "
                  "where neoadjuvant is not null group by 1").rows_by_key("s", unique=True)
    assert neo["rectum"][0] > 0.2 and neo["breast"][0] > 0.05 and neo["lung"][0] == 0
