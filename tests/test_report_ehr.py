"""The excess-hazard page of the report: printed EHRs equal the API's; a constant term
is left out and named."""

from __future__ import annotations

import warnings

import pytest
from pypdf import PdfReader

import cohort
from cohort.report import SpecError, load_spec, write_report

SPEC = """
title = "EHR report"
cohort = "{cohort}"
times = [12, 36, 60]
min_cases = 20
[cox]
terms = ["node_burden", "age_at_dx"]
exclude_levels = ["NX", "N1 NOS"]
[net_survival]
enabled = false
[excess_hazard]
enabled = true
terms = {terms}
intervals = [0, 1, 3, 5]
"""


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report_ehr")
    r = cohort.Registry(tmp / "r.duckdb")
    r.load(cohort.synth.write(tmp / "s.csv", n=4000, seed=31))
    return r


def report(reg, tmp_path, where: str, terms: str):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(cohort=where, terms=terms))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # caveats are printed on the pages
        result = write_report(reg, load_spec(spec), tmp_path / "r.pdf")
    pages = [p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages]
    return result, [" ".join(p.split()) for p in pages if "excess hazard ratios" in p]


def test_ehr_page_prints_the_api_values(reg, tmp_path):
    result, pages = report(reg, tmp_path, "site_group = 'breast'",
                           '["node_burden", "age_group"]')
    assert len(pages) == 1
    text = pages[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = reg.cohort("site_group = 'breast'").ehr(
            ["node_burden", "age_group"], intervals=[0, 1, 3, 5],
            exclude_levels={"node_burden": ["NX", "N1 NOS"]})
    for r in api.table_.filter(~api.table_["reference"]).iter_rows(named=True):
        assert f"{r['ehr']:.2f} ({r['lower']:.2f}-{r['upper']:.2f})" in text
    assert "Likelihood-ratio test per term" in text and "goodness of fit" in text
    assert "groups left out: NX, N1 NOS" in text
    assert result.values["breast"]["ehr"][("node_burden", "N0")] == 1.0


def test_a_constant_term_is_left_out_and_named(reg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = reg.cohort("site_group = 'breast' and sex = '2'").ehr(["node_burden", "sex"])
    assert res.terms == ["node_burden"]
    assert res.dropped_note == "sex left out: one level (2) in this cohort"
    assert "sex left out" in res.note


def test_spec_checks_the_section(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[excess_hazard]\nterms = "node_burden"\n')
    with pytest.raises(SpecError, match=r"excess_hazard.terms must be list"):
        load_spec(p)
