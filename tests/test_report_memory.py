"""The report's memory does not follow the registry's size: what reaches Python
is collapsed in DuckDB (cells and group counts, never records), and the one
record-level object, the report's temporary table, stays in DuckDB under a
memory cap with a private spill folder (issue 16, target 6)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import cohort
import cohort.registry as registry_module
from cohort.cli import main
from cohort.report import build, load_spec, write_report

COPIES = 6  # every record of the extract loaded this many times (new patient ids)
SPEC = """
title = "Memory"
cohort = "site_group = 'colon'"
min_cases = 20
"""


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    """A registry in which each record comes ``COPIES`` times with the same
    values (only the patient id differs): every collapsed table has at most
    1/COPIES as many rows as the cohort has records."""
    tmp = tmp_path_factory.mktemp("copies")
    one = pl.read_csv(cohort.synth.write(tmp / "one.csv", n=700, seed=16), infer_schema=False)
    width = one["patient_id"].str.len_chars().max()
    many = pl.concat([
        one.with_columns((pl.lit(str(c)) + pl.col("patient_id").str.slice(1)).alias("patient_id"))
        for c in range(1, COPIES + 1)])
    assert many["patient_id"].str.len_chars().max() == width
    assert many["patient_id"].n_unique() == COPIES * one["patient_id"].n_unique()
    many.write_csv(tmp / "copies.csv")
    reg = cohort.Registry(tmp / "r.duckdb")
    (res,) = reg.load(tmp / "copies.csv")
    assert res.rows_rejected == 0
    spec = tmp / "spec.toml"
    spec.write_text(SPEC)
    return reg, load_spec(spec)


@pytest.fixture(scope="module")
def run(copied, tmp_path_factory):
    """One report over the copied registry under a 300MB cap, watched: every
    frame DuckDB hands to Python (its rows, its query) and the DuckDB settings
    the pages run with."""
    reg, spec = copied
    fetched, seen = [], {}
    real_fetch, real_cover = registry_module._to_polars, build.cover_page

    def fetch(rel):
        frame = real_fetch(rel)
        fetched.append((frame.height, rel.sql_query()))
        return frame

    def cover(pages, s, *args, **kwargs):
        seen.update(s.sql("select current_setting('memory_limit') as m, "
                          "current_setting('temp_directory') as d").row(0, named=True))
        return real_cover(pages, s, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(registry_module, "_to_polars", fetch)
        mp.setattr(build, "cover_page", cover)
        result = write_report(reg, spec, tmp_path_factory.mktemp("run") / "r.pdf",
                              memory_limit="300MB")
    return result, fetched, seen


def test_report_fetches_cells_not_records(copied, run):
    """Every frame DuckDB hands to Python while the report runs has at most as
    many rows as the cohort has distinct records: a record-level fetch (a
    ``select * from __report`` turned into polars, a per-record frame for a
    table or figure) has COPIES times more and fails."""
    reg, _ = copied
    result, fetched, _ = run
    # every page of the section was drawn, so every analysis path was taken
    assert result.sections == ["colon"] and result.pages == 9
    records = reg.sql("select count(*) as n from cases where site_group = 'colon' and "
                      "exclusion_reason is null")["n"].item()
    distinct = records // COPIES
    assert records == distinct * COPIES and distinct >= 60
    # the largest collapse (Cox/Fine-Gray patterns, net survival's age x year
    # cells) is of the distinct records' size at most
    height, query = max(fetched)
    assert 0 < height <= distinct, query
    assert len(fetched) > 50  # the spy saw the pages' queries
    # what a record-level fetch brings, through the same function
    with reg.session() as s:
        s.sql("create temp table __x as select * from cases where site_group = 'colon' "
              "and exclusion_reason is null")
        assert s.sql("select * from __x").height == records > height


def test_report_caps_duckdb_memory(copied, run):
    """The report's DuckDB runs under the cap asked for and spills to a private
    folder (not beside the registry, which may be read-only), removed after.
    (That the cap changes no byte of the PDF: tests/test_report.py,
    test_byte_identical.)"""
    reg, _ = copied
    _, _, seen = run
    assert seen["m"] == "286.1 MiB"  # 300,000,000 bytes
    spill = Path(seen["d"])
    assert spill.name.startswith("cohort-report-") and spill.parent != reg.path.parent
    assert not spill.exists()


def test_report_memory_limit_option(copied, tmp_path):
    reg, _ = copied
    res = CliRunner().invoke(main, ["report", "--db", str(reg.path), "-o",
                                    str(tmp_path / "r.pdf"), "--memory-limit", "lots"])
    assert res.exit_code == 1
    assert "memory limit 'lots' is not a size such as 1.5GB or 800MB" in res.output
    res = CliRunner().invoke(main, ["report", "--db", str(reg.path), "-o",
                                    str(tmp_path / "r.pdf"), "--memory-limit", "10MB"])
    assert res.exit_code == 1
    assert "memory limit '10MB' is too small to run with; give 256MiB (269MB) or more" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "r.pdf").exists()
    option = next(p for p in main.commands["report"].params if p.name == "memory_limit")
    assert option.default == build.MEMORY_LIMIT


def test_report_inside_a_session_of_ones_own(copied, tmp_path):
    """A script that holds a session may write reports in it (the session's
    connection and settings are used); the report's table of records does not
    outlive the report, so a second report in the same session works."""
    reg, spec = copied
    with reg.session() as s:
        for name in ("a.pdf", "b.pdf"):
            assert write_report(reg, spec, tmp_path / name).pages == 9
        assert s.sql("select count(*) as n from duckdb_tables() "
                     "where table_name = '__report'")["n"].item() == 0
        assert s.sql("select count(*) as n from cases")["n"].item() > 0
