"""Issue 13, item 9: updated follow-up. A registry resubmits the whole
extract every year; the newer records replace the older ones."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import HEADER, record, snapshot
from pypdf import PdfReader

import cohort
from cohort.cli import main
from cohort.errors import LoadRefusedError, StrictLoadError
from cohort.report import load_spec, write_report


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def years(write_csv):
    """Year 1: five tumours alive at 12 months. Year 2: the same five with
    more follow-up (two died), record 3 now invalid, and a new tumour 6."""
    year1 = write_csv("year1.csv", [record(i, vital="1", months="0012") for i in range(1, 6)])
    year2 = write_csv("year2.csv", [
        record(1, vital="1", months="0024"),
        record(2, vital="0", months="0018"),
        record(3, site="X504", months="0024"),
        record(4, vital="0", months="0020"),
        record(5, vital="1", months="0024"),
        record(6, vital="1", months="0010"),
    ])
    return year1, year2


def test_without_supersede_the_new_year_is_rejected_as_duplicates(registry, years):
    year1, year2 = years
    registry.load(year1)
    before = snapshot(registry)
    # 5 of 6 records rejected: the file is refused whole, and says why
    with pytest.raises(LoadRefusedError, match="load with --supersede if this file updates"):
        registry.load(year2)
    assert snapshot(registry) == before
    with pytest.raises(LoadRefusedError) as err:
        registry.load(year2, keep_partial=True)
    r2 = err.value.result
    assert err.value.kept
    assert (r2.rows_read, r2.rows_loaded, r2.rows_rejected) == (6, 1, 5)
    reason = registry.sql("select reason from rejects where record_no = 1").item()
    assert "load with --supersede if this file updates that one" in reason


def test_supersede_replaces_records_and_keeps_both_files(registry, years):
    year1, year2 = years
    registry.load(year1)
    (r2,) = registry.load(year2, supersede=True)
    # read = loaded + rejected still holds; record 3 of year 2 is invalid
    assert (r2.rows_read, r2.rows_loaded, r2.rows_rejected, r2.superseded) == (6, 5, 1, 4)
    assert "4 records superseded" in r2.summary()
    # analyses use the newest version: record 3 stays at its year-1 values
    cases = registry.sql("select patient_id, vital_status, surv_months, load_id from cases "
                         "order by patient_id")
    assert cases.rows() == [("1", "1", 24, 2), ("2", "0", 18, 2), ("3", "1", 12, 1),
                            ("4", "0", 20, 2), ("5", "1", 24, 2), ("6", "1", 10, 2)]
    # loads keeps the provenance of both files
    summary = registry.sql("select file_name, rows_read, rows_loaded, rows_rejected, in_force, "
                           "records_superseded, accounted from load_summary order by load_id")
    assert summary.rows() == [("year1.csv", 5, 5, 0, 1, 0, True),
                              ("year2.csv", 6, 5, 1, 5, 4, True)]
    # raw_cases keeps every record ever loaded, the old ones marked
    assert registry.sql("select count(*) from raw_cases").item() == 10
    assert registry.sql("select count(*) from raw_cases where superseded_by = 2").item() == 4


def test_superseded_lists_what_changed_field_by_field(registry, years):
    year1, year2 = years
    registry.load(year1)
    registry.load(year2, supersede=True)
    changed = registry.sql(
        "select patient_id, field, old_value, new_value, old_file, old_record_no, new_file, "
        "new_record_no from superseded order by patient_id, field")
    assert changed.rows() == [
        ("1", "surv_months_code", "0012", "0024", "year1.csv", 1, "year2.csv", 1),
        ("2", "surv_months_code", "0012", "0018", "year1.csv", 2, "year2.csv", 2),
        ("2", "vital_status", "1", "0", "year1.csv", 2, "year2.csv", 2),
        ("4", "surv_months_code", "0012", "0020", "year1.csv", 4, "year2.csv", 4),
        ("4", "vital_status", "1", "0", "year1.csv", 4, "year2.csv", 4),
        ("5", "surv_months_code", "0012", "0024", "year1.csv", 5, "year2.csv", 5),
    ]
    out = run("sql", "select patient_id, field, old_value, new_value from superseded",
              "--db", registry.path)
    assert out.exit_code == 0 and "| 2          | vital_status     | 1         | 0" in out.output


def test_superseded_names_a_coded_count_once(registry, write_csv):
    """An integer item stored beside its code as in the file (tumors_total and
    tumors_total_code) is listed once, by its code."""
    header = HEADER + ",Total number of in situ/malignant tumors for patient"
    registry.load(write_csv("y1.csv", [record(1) + ",01"], header=header))
    registry.load(write_csv("y2.csv", [record(1) + ",02"], header=header), supersede=True)
    assert registry.sql("select field, old_value, new_value from superseded").rows() == [
        ("tumors_total_code", "01", "02")]


def test_a_third_year_supersedes_the_second(registry, years, write_csv):
    year1, year2 = years
    registry.load(year1)
    registry.load(year2, supersede=True)
    year3 = write_csv("year3.csv", [record(2, vital="0", months="0019")])  # a correction
    (r3,) = registry.load(year3, supersede=True)
    assert r3.superseded == 1
    assert registry.sql("select surv_months from cases where patient_id = '2'").item() == 19
    assert registry.sql("select old_file, new_file from superseded where patient_id = '2' "
                        "and field = 'surv_months_code' order by new_load_id").rows() == [
        ("year1.csv", "year2.csv"), ("year2.csv", "year3.csv")]


def test_supersede_is_atomic(registry, years):
    year1, year2 = years
    registry.load(year1)
    before = snapshot(registry)
    with pytest.raises(StrictLoadError):
        registry.load(year2, supersede=True, strict=True)  # record 3 is invalid
    assert snapshot(registry) == before
    assert registry.sql("select count(*) from cases").item() == 5


def test_replacing_a_superseding_file_puts_the_old_records_back_first(registry, years):
    year1, year2 = years
    registry.load(year1)
    registry.load(year2, supersede=True)
    (again,) = registry.load(year2, supersede=True, replace=True)
    assert again.replaced and again.superseded == 4
    assert registry.sql("select count(*) from cases").item() == 6
    assert registry.sql("select count(*) from raw_cases where superseded_by is not null"
                        ).item() == 4


def test_cli_supersede_and_report_cover_names_files_in_force(tmp_path, years, write_csv):
    year1, year2 = years
    db = tmp_path / "r.duckdb"
    assert run("load", year1, "--db", db).exit_code == 0
    out = run("load", year2, "--supersede", "--db", db)
    assert out.exit_code == 0 and "4 records superseded" in out.output
    year_all = write_csv("resubmission.csv", [record(i, vital="1", months="0036")
                                              for i in range(1, 7)])
    assert run("load", year_all, "--supersede", "--db", db).exit_code == 0
    spec = tmp_path / "s.toml"
    spec.write_text('title = "T"\ncohort = "true"\ntimes = [12]\nmin_cases = 20\n'
                    '[cox]\nterms = ["node_burden"]\nstrata = []\n')
    write_report(cohort.Registry(db), load_spec(spec), tmp_path / "r.pdf")
    cover = " ".join(PdfReader(tmp_path / "r.pdf").pages[0].extract_text().split())
    assert "2 file(s) wholly superseded" in cover
    for name in ("year1.csv", "year2.csv", "resubmission.csv"):
        assert name in cover
