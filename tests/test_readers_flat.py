"""NAACCR fixed-width (v18 incidence, 4048 characters): layout, round trip,
and every kind of bad line."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import snapshot
from polars.testing import assert_frame_equal

import cohort
from cohort.errors import InputError, QuasiIdentifierWarning
from cohort.items import items_by_name
from cohort.readers import detect_format
from cohort.readers.naaccr_flat import layout
from cohort.synth_covariates import SEER_RECODES

FIXTURES = Path(__file__).parent / "fixtures" / "naaccr"
SAMPLE = FIXTURES / "synthetic-data_naaccr-180-incidence_10-records.txt"


def test_layout_matches_the_official_v18_dictionary():
    ns = "{http://naaccr.org/naaccrxml}"
    root = ET.parse(FIXTURES / "naaccr-dictionary-180-excerpt.xml").getroot()
    official = {e.get("naaccrId"): e.attrib for e in root.iter(ns + "ItemDef")}
    for f in layout():
        item = official[f.naaccr_id]
        assert (f.item, f.start, f.length) == (
            item["naaccrNum"], int(item["startColumn"]), int(item["length"])
        ), f.naaccr_id
    # every alias-table item with a v18 column is in the layout, and only p16
    # (item 3956, new in v21) has none
    ids = {f.naaccr_id for f in layout() if f.role == "item"}
    missing = {it.naaccr_id for it in items_by_name().values() if it.naaccr_id} - ids
    assert missing == {"p16"}


@pytest.fixture
def lines():
    return SAMPLE.read_text().splitlines()


@pytest.fixture
def loaded(registry, tmp_path, lines):
    """A registry that already holds the first three sample records."""
    path = tmp_path / "good.txt"
    path.write_text("\n".join(lines[:3]) + "\n")
    with pytest.warns(QuasiIdentifierWarning):
        registry.load(path)
    return registry, snapshot(registry)


def test_sample_loads_and_rejects_name_their_line(registry):
    with pytest.warns(QuasiIdentifierWarning, match="dateOfBirth"):
        (result,) = registry.load(SAMPLE)
    assert (result.format, result.rows_read, result.rows_loaded) == ("naaccr-flat", 10, 10)
    first = registry.sql(
        "select patient_id, sex, age_at_dx_code, dx_date_code, primary_site, "
        "nodes_positive_code, nodes_examined_code, last_contact_date_code, vital_status, "
        "cause_of_death, surv_months_code from raw_cases order by record_no limit 1"
    ).row(0)
    # columns 42-49, 222, 223-225, 544-551, 554-557, 998-999, 1000-1001, 2775-2782,
    # 2785, 2940-2943, 2974-2977 of the first line
    assert first == ("00000001", "2", "099", "20120704", "C509", "00", "90", "20120704",
                     "1", "0000", None)
    # blank regional node items are unknown, not rejects (two sample tumours)
    assert registry.sql("select count(*) from cases where nodes_positive_code is null "
                        "and node_status = 'NX'").item() == 2


def test_synth_round_trip_equals_csv_except_p16(tmp_path):
    frames = []
    for name, fmt in (("s.csv", "csv"), ("s.dat", "naaccr-flat")):
        path = cohort.synth.write(tmp_path / name, n=3000, seed=4, format=fmt)
        reg = cohort.Registry(tmp_path / f"{name}.duckdb")
        (result,) = reg.load(path)
        frames.append(reg.sql("select * exclude (load_id) from raw_cases order by record_no"))
        frames.append(reg.sql("select record_no, item, reason from item_edits order by all"))
    assert result.format == "naaccr-flat"
    # SEER's recodes have no NAACCR item: in the CSV only
    seer = [*SEER_RECODES, "tumors_total_code"]
    assert_frame_equal(frames[0].drop("p16_code", *seer), frames[2].drop("p16_code", *seer))
    assert frames[2]["p16_code"].null_count() == frames[2].height  # no p16 in v18
    assert frames[2].select(seer).null_count().row(0) == (frames[2].height,) * len(seer)
    # the invalid '150' does not fit two columns: written as '??', still invalid
    assert frames[1].height > 0
    assert_frame_equal(frames[1], frames[3])


def test_crlf_line_endings_and_missing_final_newline(registry, tmp_path, lines):
    path = tmp_path / "crlf.txt"
    path.write_bytes(("\r\n".join(lines[:4])).encode())
    assert detect_format(path) == "naaccr-flat"
    with pytest.warns(QuasiIdentifierWarning):
        (result,) = registry.load(path)
    assert result.rows_read == 4


def _bad(lines, k, new):
    out = list(lines[:5])
    out[k] = new
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("name", "make", "fragments"),
    [
        ("short", lambda ls: _bad(ls, 2, ls[2][:1000]),
         ["line 3 is 1,000 characters long, ending inside item regionalNodesExamined (830, "
          "columns 1000-1001)", "is 4,048 characters"]),
        ("long", lambda ls: _bad(ls, 1, ls[1] + "XYZ"),
         ["line 2 is 4,051 characters long, 3 past the record's end"]),
        ("v16-length", lambda ls: _bad(ls, 0, ls[0][:3339]),
         ["line 1 is 3,339 characters long", "a NAACCR v14-v16 incidence record"]),
        ("mixed-record-types", lambda ls: _bad(ls, 3, "A" + ls[3][1:]),
         ["line 4: record type 'A' (item recordType, column 1)", "must not mix record types"]),
        ("wrong-version", lambda ls: _bad(ls, 4, ls[4][:16] + "160" + ls[4][19:]),
         ["line 5: NAACCR record version '160' (item naaccrRecordVersion, columns 17-19)"]),
        ("blank-line-inside", lambda ls: _bad(ls, 2, ""), ["line 3 is blank"]),
    ],
)
def test_bad_lines_refuse_the_file(loaded, tmp_path, lines, name, make, fragments):
    reg, before = loaded
    path = tmp_path / f"{name}.txt"
    path.write_text(make(lines))
    with pytest.raises(InputError) as err:
        reg.load(path, format="naaccr-flat")
    message = str(err.value)
    assert message.startswith(f"{path}: line ")
    for fragment in fragments:
        assert fragment in message
    assert snapshot(reg) == before


def test_wrong_encoding(loaded, tmp_path, lines):
    reg, before = loaded
    path = tmp_path / "latin1.txt"
    bad = lines[1][:554] + "\xe9" + lines[1][555:]
    path.write_bytes(_bad(lines, 1, bad).encode("latin-1"))
    with pytest.raises(InputError) as err:
        reg.load(path)
    assert ("line 2: byte 0xE9 at column 555 (item primarySite (400, columns 554-557)) is "
            "not ASCII") in str(err.value)
    assert snapshot(reg) == before


def test_trailing_blank_lines_are_allowed(registry, tmp_path, lines):
    path = tmp_path / "trailing.txt"
    path.write_text("\n".join(lines[:2]) + "\n\n\n")
    with pytest.warns(QuasiIdentifierWarning):
        (result,) = registry.load(path)
    assert result.rows_read == 2


def test_gzip_compressed_flat_file(registry, tmp_path, lines):
    import gzip

    path = tmp_path / "records.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    assert detect_format(path) == "naaccr-flat"
    with pytest.warns(QuasiIdentifierWarning):
        (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded) == (10, 10)
