"""The report's node grouping per site: node_burden where counts give the N,
the staged N (said on the page) where they cannot, and no all-NX section."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

import cohort
from cohort.report import load_spec, write_report

COHORT = ("site_group in ('breast', 'lung') "
          "or (site_group = 'other' and node_burden = 'NX' and n_stage_group = 'NX')")
SPEC = f"""
title = "Grouping"
cohort = "{COHORT}"
min_cases = 20
[net_survival]
enabled = false
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grouping")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(cohort.synth.write(tmp / "s.csv", n=5000, seed=17))
    spec = tmp / "spec.toml"
    spec.write_text(SPEC)
    result = write_report(reg, load_spec(spec), tmp / "r.pdf")
    return result, [p.extract_text() for p in PdfReader(tmp / "r.pdf").pages]


def test_sections_and_groupings(report):
    result, _ = report
    assert result.sections == ["breast", "lung"]  # 'other' has no node category at all
    assert result.values["breast"]["group"] == "node_burden"
    assert result.values["breast"]["group_note"] is None
    assert result.values["lung"]["group"] == "n_stage_group"
    assert "not count-based" in result.values["lung"]["group_note"]
    assert set(result.values["lung"]["group_n"]) <= {"N0", "N1", "N2", "N3", "NX"}
    assert list(result.skipped) == ["other"]
    # the Cox model of the lung section uses the staged N as its node term
    assert {term for term, _ in result.values["lung"]["hr"]} >= {"n_stage_group"}


def test_pages_say_so(report):
    _, pages = report
    lung = next(t for t in pages if "Lung: Kaplan-Meier survival" in t)
    flat = " ".join(lung.split())
    assert "by n_stage_group" in flat
    assert "Grouping: node_burden is NX for 100%" in flat
    breast = next(t for t in pages if "Breast: Kaplan-Meier survival" in t)
    assert "N2 (4-9 nodes)" in breast  # site-specific labels in legend and table
    skipped = next(t for t in pages if "Site groups without node information" in t)
    assert "Other sites" in skipped or "Other" in skipped
    assert not any("Other: Kaplan-Meier" in t for t in pages)
