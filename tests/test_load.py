"""Loading CSV and Parquet extracts: accounting, aliases, types, idempotence."""

from __future__ import annotations

import gzip
import json
from datetime import date

import polars as pl
import pytest
from helpers import HEADER, record, snapshot

import cohort
from cohort.errors import (
    ColumnError,
    IdentifierError,
    LoadRefusedError,
    QuasiIdentifierWarning,
    StrictLoadError,
)


def test_every_record_loaded_or_rejected(registry, synth_csv):
    (result,) = registry.load(synth_csv)
    truth = json.loads(synth_csv.with_name(synth_csv.name + ".truth.json").read_text())
    invalid = truth["invalid_values"]  # node counts and ages: not keys, so edited
    assert result.rows_read == 5_000
    assert (result.rows_loaded, result.rows_rejected) == (5_000, 0)
    assert result.values_edited == result.records_edited == sum(invalid.values())
    counts = registry.sql(
        "select (select count(*) from raw_cases) as loaded, "
        "(select count(distinct record_no) from rejects) as rejected"
    ).row(0)
    assert counts == (result.rows_loaded, result.rows_rejected)
    edits = registry.sql("select item, count(*) as n from item_edits group by all order by 1")
    assert dict(edits.rows()) == {k: v for k, v in invalid.items() if v}


def test_codes_keep_leading_zeros_and_typed_values_sit_beside(registry, write_csv):
    path = write_csv("a.csv", [record(1, pos="05", age="065", months="0060"),
                               record(2, pos="5", age="65", months="60", dx="2016-04-01"),
                               record(3, age="999", months="9999", dx="201603")])
    registry.load(path)
    result = registry.sql(
        "select nodes_positive_code, age_at_dx, age_at_dx_code, surv_months, "
        "surv_months_code, dx_date, dx_year, dx_month from raw_cases order by record_no"
    )
    expected = [
        ("05", 65, "065", 60, "0060", date(2015, 3, 2), 2015, 3),
        ("05", 65, "065", 60, "0060", date(2016, 4, 1), 2016, 4),
        ("05", None, "999", None, "9999", None, 2016, 3),
    ]
    assert result.rows() == expected


@pytest.mark.parametrize(
    "header",
    [
        # NAACCR XML ids
        "patientIdNumber,sequenceNumberCentral,sex,ageAtDiagnosis,dateOfDiagnosis,primarySite,"
        "histologicTypeIcdO3,behaviorCodeIcdO3,regionalNodesPositive,regionalNodesExamined,"
        "vitalStatus,survMosActiveFollowup",
        # NAACCR item numbers
        "20,380,220,230,390,400,522,523,820,830,1760,1784",
        # SEER*Stat labels
        "Patient ID,Sequence number,Sex,Age at diagnosis,Date of diagnosis,Primary Site,"
        "Histologic Type ICD-O-3,Behavior code ICD-O-3,Regional nodes positive (1988+),"
        "Regional nodes examined (1988+),Vital status,Survival months",
    ],
    ids=["naaccr-id", "item-number", "seer-label"],
)
def test_columns_match_through_the_alias_table(registry, write_csv, header):
    path = write_csv("aliases.csv", [record(1, pos="07")], header=header)
    (result,) = registry.load(path)
    assert result.rows_loaded == 1
    assert registry.sql("select nodes_positive_code, nodes_examined_code from raw_cases").row(
        0
    ) == ("07", "12")


def test_unknown_columns_are_kept_in_extra(registry, write_csv):
    path = write_csv("x.csv", [record(1) + ",blue,7"], header=HEADER + ",favourite,Shoe Size")
    (result,) = registry.load(path)
    assert result.extra_columns == ["favourite", "Shoe Size"]
    extra = registry.sql("select extra['favourite'] as f, extra['Shoe Size'] as s from raw_cases")
    assert extra.row(0) == ("blue", "7")


def test_missing_required_columns_are_named(registry, write_csv):
    header = "patient_id,tumor_seq,sex,primary_site,histology,behavior,vital_status,surv_months"
    path = write_csv("m.csv", ["1,00,2,C504,8500,3,1,0060"], header=header)
    with pytest.raises(ColumnError) as err:
        registry.load(path)
    msg = str(err.value)
    assert "age_at_dx (NAACCR 230 ageAtDiagnosis)" in msg
    assert "nodes_positive_code (NAACCR 820 regionalNodesPositive)" in msg
    assert "nodes_examined_code (NAACCR 830 regionalNodesExamined)" in msg
    assert "one of dx_date (NAACCR 390 dateOfDiagnosis) or dx_year" in msg
    assert snapshot(registry) == {}  # a refused first load leaves no database


def test_same_file_twice_is_a_noop_and_replace_reloads(registry, synth_csv):
    registry.load(synth_csv)
    before = snapshot(registry)
    (again,) = registry.load(synth_csv)
    assert again.skipped and again.load_id == 1
    assert "already loaded" in again.summary()
    assert snapshot(registry) == before
    (replaced,) = registry.load(synth_csv, replace=True)
    assert replaced.replaced and replaced.rows_read == 5_000
    assert registry.sql("select count(*) from loads").item() == 1
    assert registry.sql("select count(*) from raw_cases").item() == replaced.rows_loaded
    assert registry.sql("select count(distinct record_no) from rejects").item() == (
        replaced.rows_rejected
    )


def test_strict_refuses_the_whole_file(registry, write_csv):
    path = write_csv("s.csv", [record(1), record(2, pos="AB"), record(3)])
    with pytest.raises(StrictLoadError) as err:
        registry.load(path, strict=True)
    assert "record 2, nodes_positive_code = 'AB'" in str(err.value)
    assert "nothing was loaded" in str(err.value)
    assert snapshot(registry) == {}  # a refused first load leaves no database
    # without --strict the record loads, its node count unknown and listed
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected, result.values_edited) == (3, 0, 1)


def test_duplicates_within_and_across_files(registry, write_csv):
    first = write_csv("first.csv", [record(1), record(2), record(2)])
    (r1,) = registry.load(first)
    assert (r1.rows_loaded, r1.rows_rejected) == (2, 1)
    reason = registry.sql("select record_no, reason from rejects").row(0)
    assert reason[0] == 3
    assert "same as record 2 of this file" in reason[1]
    second = write_csv("second.csv", [record(2, seq="00", age="070"), record(3)])
    (r2,) = registry.load(second)
    assert (r2.rows_loaded, r2.rows_rejected) == (1, 1)
    reason = registry.sql("select reason from rejects where file_name = 'second.csv'").item()
    assert "already loaded from first.csv record 2" in reason


def test_direct_identifier_refuses_the_file(registry, write_csv):
    path = write_csv("ids.csv", [record(1) + ",Smith"], header=HEADER + ",nameLast")
    with pytest.raises(IdentifierError) as err:
        registry.load(path)
    assert "'nameLast' (patient last name) is a direct identifier" in str(err.value)
    assert "nothing was loaded" in str(err.value)
    assert snapshot(registry) == {}  # a refused first load leaves no database


@pytest.mark.parametrize("column", ["SSN", "2320", "Street Address", "textDxProcPe", "phone"])
def test_other_direct_identifiers(registry, write_csv, column):
    path = write_csv("ids.csv", [record(1) + ",x"], header=HEADER + f",{column}")
    with pytest.raises(IdentifierError, match="direct identifier"):
        registry.load(path)


def test_quasi_identifier_dropped_with_notice(registry, write_csv):
    path = write_csv("q.csv", [record(1) + ",19500101"], header=HEADER + ",dateOfBirth")
    with pytest.warns(QuasiIdentifierWarning, match="dropped quasi-identifier column"):
        (result,) = registry.load(path)
    assert result.dropped_columns == ["dateOfBirth"]
    assert result.extra_columns == []
    assert registry.sql("select extra from raw_cases").item() is None


def test_parquet_with_integer_codes(registry, tmp_path):
    df = pl.DataFrame(
        {
            "patient_id": [1, 2],
            "tumor_seq": [0, 1],
            "sex": [2, 1],
            "age_at_dx": [65, 7],
            "dx_date": ["20150302", "20160101"],
            "primary_site": ["C504", "C180"],
            "histology": [8500, 8140],
            "behavior": [3, 3],
            "nodes_positive_code": [5, 0],
            "nodes_examined_code": [12, 14],
            "vital_status": [1, 0],
            "surv_months": [60, 3],
        }
    )
    path = tmp_path / "extract.parquet"
    df.write_parquet(path)
    (result,) = registry.load(path)
    assert (result.format, result.rows_loaded) == ("parquet", 2)
    got = registry.sql(
        "select record_no, tumor_seq, age_at_dx_code, nodes_positive_code from raw_cases "
        "order by record_no"
    )
    assert got.rows() == [(1, "00", "065", "05"), (2, "01", "007", "00")]


def test_gzip_and_other_delimiters(registry, tmp_path):
    lines = [HEADER, record(1), record(2)]
    gz = tmp_path / "extract.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    tsv = tmp_path / "extract.txt"
    tsv.write_text("\n".join(line.replace(",", "\t") for line in lines) + "\n")
    semi = tmp_path / "extract_semicolon.csv"
    semi.write_text(
        "\n".join(line.replace(",", ";") for line in [HEADER, record(3), record(4)]) + "\n"
    )
    results = registry.load([gz, semi])
    assert [r.rows_loaded for r in results] == [2, 2]
    # same tumours as the gzip file: every record a duplicate, so nothing loads and
    # the file is refused, naming the reason
    before = snapshot(registry)
    with pytest.raises(LoadRefusedError) as err:
        registry.load(tsv)
    assert "no record loaded (2 of 2 rejected)" in str(err.value)
    assert ("2 x tumor_seq: duplicate (patient_id, tumor_seq): already loaded from "
            "extract.csv.gz record n") in str(err.value)
    assert snapshot(registry) == before


def test_load_result_summary_accounts_for_every_record(registry, write_csv):
    path = write_csv("a.csv", [record(1), record(2, hist="9999"), record(3, age="-5")])
    (result,) = registry.load(path)
    assert result.summary().startswith("a.csv: read 3 = loaded 2 + rejected 1 (csv, sha256 ")
    assert "; 1 invalid values set to unknown in 1 loaded records" in result.summary()
    assert result.reject_reasons == [
        ("histology", "histology must be 8000-9993 ICD-O-3 histology", 1)
    ]
    assert result.edit_reasons == [
        ("age_at_dx", "age_at_dx must be 000-120 age in years; 999 unknown, or a SEER age "
         "recode (top-coded 85+, 90+, 100+; a group such as 45-49); set to unknown", 1)
    ]
    summary = registry.sql("select rows_read, rows_loaded, rows_rejected, values_edited, "
                           "records_edited, accounted from load_summary").row(0)
    assert summary == (3, 2, 1, 1, 1, True)


def test_registry_path_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COHORT_DB", str(tmp_path / "env.duckdb"))
    assert cohort.Registry().path == tmp_path / "env.duckdb"


def test_blank_node_codes_are_unknown_not_rejects(registry, write_csv):
    # the columns must be there, but a blank value is "not recorded": NX, not a reject
    (result,) = registry.load(write_csv("b.csv", [record(1, pos="", exam="")]))
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    row = registry.sql("select nodes_positive_code, node_status::varchar as s, "
                       "node_burden_reason from cases").row(0)
    assert row == (None, "NX", "unknown whether nodes are positive (820 = 99 or blank)")


def test_exact_names_are_not_folded(registry, write_csv):
    # NAACCR item 764 summaryStage2018 is not item 762 (summary_stage_2018): kept as extra
    path = write_csv("s.csv", [record(1) + ",3"], header=HEADER + ",summaryStage2018")
    (result,) = registry.load(path)
    assert result.extra_columns == ["summaryStage2018"]
