"""Labels where a person reads: the label API, node-burden labels per site
rule, the CLI (labels by default, --codes for raw codes), and the default
grouping that falls back to the staged N."""

from __future__ import annotations

import polars as pl
import pytest
from click.testing import CliRunner

import cohort
from cohort.cli import main
from cohort.derive.covariates import AGE_BAND_LEVELS, GRADE_GROUP_LEVELS, RACE_GROUP_LEVELS
from cohort.derive.ene import ENE_EXTENT_LEVELS, ENE_LEVELS
from cohort.derive.followup import CAUSE_LEVELS
from cohort.derive.nodes import NODE_STATUS_LEVELS
from cohort.derive.receptors import RECEPTOR_LEVELS, SUBTYPE_LEVELS
from cohort.derive.staging import N_STAGE_GROUP_LEVELS, NODE_COUNT_GROUP_LEVELS, T_STAGE_LEVELS
from cohort.derive.tables import SITE_GROUPS
from cohort.derive.treatment import (
    EXAM_ADEQUACY_LEVELS,
    LN_SURGERY_LEVELS,
    NODE_COUNT_BASIS_LEVELS,
    TREATMENT_LEVELS,
)
from cohort.grouping import node_grouping
from cohort.labels import decode, decode_groups, decode_terms, label, labels_for, term_label

# AJCC 8th-edition count rules (NODES.md), as a table of the report reads them
BURDEN = {
    "breast": {"N0": "N0 (0 nodes)", "N1": "N1 (1-3 nodes)", "N2": "N2 (4-9 nodes)",
               "N3": "N3 (10+ nodes)"},
    "colon": {"N0": "N0 (0 nodes)", "N1a": "N1a (1 node)", "N1b": "N1b (2-3 nodes)",
              "N2a": "N2a (4-6 nodes)", "N2b": "N2b (7+ nodes)"},
    "rectum": {"N1a": "N1a (1 node)", "N2b": "N2b (7+ nodes)"},
    "stomach": {"N1": "N1 (1-2 nodes)", "N2": "N2 (3-6 nodes)", "N3a": "N3a (7-15 nodes)",
                "N3b": "N3b (16+ nodes)"},
    "esophagus": {"N1": "N1 (1-2 nodes)", "N2": "N2 (3-6 nodes)", "N3": "N3 (7+ nodes)"},
    "pancreas": {"N1": "N1 (1-3 nodes)", "N2": "N2 (4+ nodes)"},
    "melanoma": {"N1": "N1 (1 node)", "N2": "N2 (2-3 nodes)", "N3": "N3 (4+ nodes)"},
    "head_neck": {"N1": "N1 (1-4 nodes)", "N2": "N2 (5+ nodes)"},  # p16+ oropharynx rule
    "lung": {"N1": "N1", "N2": "N2"},  # not count-based: the category alone
}


@pytest.mark.parametrize("site", sorted(BURDEN))
def test_node_burden_labels_follow_the_site_rule(site):
    for code, text in BURDEN[site].items():
        assert label("node_burden", code, site=site) == text
    assert label("node_burden", "NX", site=site) == "NX (unknown)"
    assert label("node_burden", "N1 NOS", site=site) == "N1 NOS (count unknown)"
    assert label("node_burden", "N2", site=None) == "N2"  # pooled sites: no counts


@pytest.mark.parametrize(("column", "levels"), [
    ("site_group", SITE_GROUPS), ("node_status", NODE_STATUS_LEVELS), ("ene", ENE_LEVELS),
    ("ene_extent", ENE_EXTENT_LEVELS), ("cause", CAUSE_LEVELS),
    ("n_stage_group", N_STAGE_GROUP_LEVELS), ("t_stage", T_STAGE_LEVELS),
    ("node_count_group", NODE_COUNT_GROUP_LEVELS), ("age_band", AGE_BAND_LEVELS),
    ("race_group", RACE_GROUP_LEVELS), ("grade_group", GRADE_GROUP_LEVELS),
    ("er_result", RECEPTOR_LEVELS), ("pr_result", RECEPTOR_LEVELS),
    ("her2_result", RECEPTOR_LEVELS), ("subtype", SUBTYPE_LEVELS),
    ("surgery", TREATMENT_LEVELS), ("radiation", TREATMENT_LEVELS),
    ("chemotherapy", TREATMENT_LEVELS), ("ln_surgery", LN_SURGERY_LEVELS),
    ("node_count_basis", NODE_COUNT_BASIS_LEVELS), ("exam_adequacy", EXAM_ADEQUACY_LEVELS),
])
def test_every_level_of_every_derived_category_has_a_label(column, levels):
    assert set(labels_for(column)) == set(levels)


@pytest.mark.parametrize(("column", "value", "text"), [
    ("sex", "2", "female"), ("sex", "1", "male"), ("grade", "3", "poorly differentiated"),
    ("site_group", "head_neck", "head and neck"), ("cause", "cancer_death", "died of this cancer"),
    ("race_group", "Hispanic", "Hispanic (all races)"),
    ("grade_group", "G3", "G3 (poorly differentiated)"),
    ("subtype", "HR-/HER2-", "HR-/HER2- (triple negative)"),
    ("neoadjuvant", True, "neoadjuvant therapy"), ("neoadjuvant", False, "surgery first"),
    ("node_count_basis", "ypN", "after neoadjuvant therapy (ypN)"),
    ("cod_site_recode", "26000", "Breast"), ("ajcc7_n", "110", "N1a"),
    ("age_at_dx", 63, "63"), ("sex", None, "missing"),
])
def test_single_labels(column, value, text):
    assert label(column, value) == text


def test_decode_frames_and_terms():
    df = pl.DataFrame({"sex": ["1", "2", None], "neoadjuvant": [True, False, None],
                       "n": [1, 2, 3]})
    out = decode(df, ["sex", "neoadjuvant", "n"])
    assert out.rows() == [("male", "neoadjuvant therapy", 1), ("female", "surgery first", 2),
                          (None, None, 3)]
    tables = {"survival": pl.DataFrame({"group": ["N0", "N2"], "s": [0.9, 0.7]}),
              "pairwise": pl.DataFrame({"group_1": ["N0"], "group_2": ["N2"], "p": [0.01]}),
              "tests": None}
    out = decode_groups(tables, "node_burden", site="breast")
    assert out["survival"]["group"].to_list() == ["N0 (0 nodes)", "N2 (4-9 nodes)"]
    assert out["pairwise"].row(0) == ("N0 (0 nodes)", "N2 (4-9 nodes)", 0.01)
    assert decode_groups(tables, None) is tables
    hr = pl.DataFrame({"term": ["node_burden", "node_burden", "sex", "sex", "age_at_dx"],
                       "level": ["N0", "N3", "1", "2", None],
                       "reference": [True, False, True, False, False]})
    assert decode_terms(hr, site="breast")["term"].to_list() == [
        "node_burden: N0 (0 nodes) (reference)", "node_burden: N3 (10+ nodes) vs N0 (0 nodes)",
        "sex: male (reference)", "sex: female vs male", "age_at_dx"]
    assert term_label("sex", "2", "1") == "sex: female vs male"


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("labels")
    r = cohort.Registry(tmp / "r.duckdb")
    r.load(cohort.synth.write(tmp / "s.csv", n=4000, seed=13))
    return r


def test_default_grouping_falls_back_to_the_staged_n(reg):
    breast = node_grouping(reg.cohort("site_group = 'breast'"))
    assert (breast.column, breast.note) == ("node_burden", None)
    lung = node_grouping(reg.cohort("site_group = 'lung'"))
    assert lung.column == "n_stage_group"
    assert "not count-based" in lung.note and "node_burden is NX for 100%" in lung.note
    # a column asked for is kept
    assert node_grouping(reg.cohort("site_group = 'lung'"), requested="sex").column == "sex"
    # counts unknown at a count-based site: breast cases without nodes examined
    unexamined = node_grouping(reg.cohort("site_group = 'breast' and node_burden = 'NX' "
                                          "and n_stage_group <> 'NX'"))
    assert unexamined.column == "n_stage_group"
    assert "number of positive nodes is unknown" in unexamined.note
    nothing = node_grouping(reg.cohort("site_group = 'lung' and n_stage_group = 'NX'"))
    assert nothing.column is None and "no case has a node category" in nothing.note


def test_cli_prints_labels_unless_asked_for_codes(reg):
    run = CliRunner().invoke
    db = str(reg.path)
    out = run(main, ["km", "--db", db, "--where", "site_group = 'breast'", "--format", "csv"])
    assert out.exit_code == 0, out.output
    groups = pl.read_csv(out.output.encode())["group"].unique().to_list()
    assert "N2 (4-9 nodes)" in groups and "N2" not in groups
    raw = run(main, ["km", "--db", db, "--where", "site_group = 'breast'", "--format", "csv",
                     "--codes"])
    assert "N2" in pl.read_csv(raw.output.encode())["group"].to_list()
    cox = run(main, ["cox", "--db", db, "--where", "site_group = 'breast'", "--terms",
                     "sex,grade_group", "--format", "csv"])
    assert cox.exit_code == 0, cox.output
    terms = pl.read_csv(cox.output.encode())["term"].to_list()
    assert "sex: female vs male" in terms
    assert "grade_group: G3 (poorly differentiated) vs G1 (well differentiated)" in terms
    lung = run(main, ["km", "--db", db, "--where", "site_group = 'lung'", "--times", "12"])
    assert lung.exit_code == 0, lung.output
    assert "grouping: node_burden is NX for 100%" in lung.output
    assert "| N1 " in lung.output and "n_stage_group" in lung.output
    cif = run(main, ["cif", "--db", db, "--where", "site_group = 'colon'", "--format", "csv"])
    assert cif.exit_code == 0, cif.output
    assert "N2a (4-6 nodes)" in cif.output


def test_results_label_what_a_person_reads_and_keep_codes_in_exact_tables(reg):
    km = reg.cohort("site_group = 'breast'").km(times=[12])
    assert "N2 (4-9 nodes)" in km.summary()["group"].to_list()
    assert "N2 (4-9 nodes)" in km.tables()["survival"]["group"].to_list()
    assert "N2" in km.summary(codes=True)["group"].to_list()
    assert "N2" in km.estimates_["group"].to_list()  # exact tables: the estimator's values
    by_sex = reg.cohort("site_group = 'colon'").km(by="sex", times=[12])
    assert set(by_sex.summary()["group"]) == {"female", "male"}
    cox = reg.cohort("site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')").cox(
        ["node_burden", "sex"])
    assert cox.summary()["term"].to_list()[:2] == [
        "node_burden: N0 (0 nodes) (reference)", "node_burden: N1 (1-3 nodes) vs N0 (0 nodes)"]
    assert "sex: female vs male" in cox.tables()["hazard_ratios"]["term"].to_list()
    assert set(cox.table_["term"]) == {"node_burden", "sex"}
    assert cox.summary(codes=True)["level"].to_list()[:2] == ["N0", "N1"]
    cif = reg.cohort("site_group = 'colon'").cif(times=[12])
    assert "N2a (4-6 nodes)" in cif.tables()["cumulative_incidence"]["group"].to_list()


@pytest.mark.parametrize("command, options, table, column, labelled, code", [
    ("finegray", ["--terms", "sex"], "subdistribution_hazard_ratios", "term",
     "sex: female vs male", "sex"),
    ("finegray", ["--terms", "sex", "--compare"], "hazard_ratios", "term",
     "sex: female vs male", "sex"),
    ("ehr", ["--terms", "sex"], "excess_hazard_ratios", "term", "sex: female vs male", "sex"),
    ("lifetable", ["--by", "sex"], "life_table", "group", "female", "2"),
    ("crude", ["--by", "sex", "--times", "12"], "crude_probability", "group", "female", "2"),
])
def test_every_result_command_labels_unless_asked_for_codes(reg, command, options, table,
                                                             column, labelled, code):
    """finegray, ehr, lifetable and crude print labels (CSV included) and keep
    the raw codes with --codes, as km, cox, cif, netsurv and table1 do."""
    run = CliRunner().invoke
    base = [command, "--db", str(reg.path), "--where", "site_group = 'colon'", *options,
            "--format", "csv", "--table", table]
    out = run(main, base)
    assert out.exit_code == 0, out.output
    values = pl.read_csv(out.output.encode(), infer_schema=False)[column].to_list()
    assert labelled in values and code not in values
    raw = run(main, [*base, "--codes"])
    assert raw.exit_code == 0, raw.output
    values = pl.read_csv(raw.output.encode(), infer_schema=False)[column].to_list()
    assert code in values and labelled not in values
    readable = run(main, base[:-4] + ["--codes"])
    assert readable.exit_code == 0 and "female" not in readable.output
