"""NAACCR XML: the hand-written fixture value by value, the official samples,
synth round trips, and every kind of malformed file."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from helpers import snapshot
from polars.testing import assert_frame_equal

import cohort
from cohort.errors import IdentifierError, InputError, QuasiIdentifierWarning
from cohort.load import load_file
from cohort.readers import detect_format
from cohort.synth_covariates import SEER_RECODES

FIXTURES = Path(__file__).parent / "fixtures" / "naaccr"

GOOD = """<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml" xmlns="http://naaccr.org/naaccrxml">
  <Patient>
    <Item naaccrId="patientIdNumber">00000001</Item>
    <Item naaccrId="sex">2</Item>
    <Item naaccrId="dateOfLastContact">20200101</Item>
    <Item naaccrId="vitalStatus">1</Item>
    <Tumor>
      <Item naaccrId="sequenceNumberCentral">00</Item>
      <Item naaccrId="ageAtDiagnosis">065</Item>
      <Item naaccrId="dateOfDiagnosis">20150302</Item>
      <Item naaccrId="primarySite">C504</Item>
      <Item naaccrId="histologicTypeIcdO3">8500</Item>
      <Item naaccrId="behaviorCodeIcdO3">3</Item>
      <Item naaccrId="regionalNodesPositive">05</Item>
      <Item naaccrId="regionalNodesExamined">12</Item>
    </Tumor>
  </Patient>
</NaaccrData>
"""


@pytest.fixture
def loaded(registry, tmp_path):
    """A registry already holding one good XML file, and its snapshot."""
    path = tmp_path / "good.xml"
    path.write_text(GOOD.replace("00000001", "00000900"))
    registry.load(path)
    return registry, snapshot(registry)


def test_hand_written_fixture_value_by_value(registry):
    with pytest.warns(QuasiIdentifierWarning, match="dateOfBirth"):
        (result,) = registry.load(FIXTURES / "hand-written.xml")
    assert (result.format, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "naaccr-xml", 4, 4, 0
    )
    assert result.dropped_columns == ["dateOfBirth"]
    assert result.extra_columns == []
    assert result.unused_items == ["myRegistryFavouriteColour", "registryId"]
    assert result.summary().endswith("; 2 items not used")
    got = registry.sql(
        "select record_no, patient_id, tumor_seq, sex, age_at_dx, dx_date, dx_date_code, "
        "dx_year, primary_site, histology, behavior, nodes_positive_code, "
        "nodes_examined_code, tumor_deposits_code, last_contact_date, "
        "last_contact_date_code, last_contact_year, vital_status, cause_of_death, "
        "surv_months, cause_specific_death, extra from raw_cases order by record_no"
    )
    expected = [
        # patient 101, first tumour: the Patient's items repeated on each Tumor
        (1, "00000101", "01", "2", 61, date(2015, 3, 2), "20150302", 2015, "C504", "8500",
         "3", "03", "12", None, date(2020, 6, 15), "20200615", 2020, "1", "0000", 63, None,
         None),
        # patient 101, second tumour: partial diagnosis date (year only)
        (2, "00000101", "02", "2", 64, None, "2018", 2018, "C180", "8140", "3", "00", "15",
         "X9", date(2020, 6, 15), "20200615", 2020, "1", "0000", None, None, None),
        # patient 102: dead, last contact known to the month
        (3, "00000102", "00", "1", 70, date(2017, 1, 10), "20170110", 2017, "C341", "8140",
         "3", "98", "00", None, None, "201911", 2019, "0", "C349", 34, "1", None),
    ]
    assert got.rows()[:3] == expected
    # an invalid node count is not a key: the tumour loads with it unknown, listed
    assert got.rows()[3][11] is None
    assert registry.sql("select count(*) from rejects").item() == 0
    edits = registry.sql("select record_no, line_no, item, value from item_edits").rows()
    assert edits == [(4, None, "nodes_positive_code", "AB")]


def test_keep_items_go_to_extra(registry, tmp_path):
    with registry._write() as con, pytest.warns(QuasiIdentifierWarning):
        result = load_file(con, FIXTURES / "hand-written.xml",
                           keep_items=["myRegistryFavouriteColour"])
    assert result.extra_columns == ["myRegistryFavouriteColour"]
    assert result.unused_items == ["registryId"]
    extra = registry.sql(
        "select patient_id, extra['myRegistryFavouriteColour'] as colour from raw_cases "
        "order by record_no"
    ).rows()
    assert extra == [("00000101", "blue"), ("00000101", "blue"), ("00000102", None),
                     ("00000103", None)]


def test_v18_xml_and_flat_samples_give_identical_rows(tmp_path):
    rows = []
    for name in ("synthetic-data_naaccr-180-incidence_10-tumors.xml",
                 "synthetic-data_naaccr-180-incidence_10-records.txt"):
        reg = cohort.Registry(tmp_path / f"{name}.duckdb")
        with pytest.warns(QuasiIdentifierWarning, match="dateOfBirth"):
            (result,) = reg.load(FIXTURES / name)
        assert (result.rows_read, result.rows_loaded) == (10, 10)
        rows.append(reg.sql("select * exclude (load_id) from raw_cases order by record_no"))
        rows.append(reg.sql("select record_no, field, value, reason from rejects order by all"))
    assert_frame_equal(rows[0], rows[2])
    assert_frame_equal(rows[1], rows[3])
    # two sample tumours have blank regional node items: loaded as unknown (NX)
    blank = rows[0].filter(pl.col("nodes_positive_code").is_null())
    assert blank.height == 2 and blank["nodes_examined_code"].is_null().all()


@pytest.mark.parametrize(
    "name",
    [
        "naaccr-xml-sample-v250-incidence-100.xml.gz",
        "naaccr-xml-sample-v250-incidence-1000.xml.gz",
        "synthetic-data_naaccr-210-incidence_10-tumors.xml",
    ],
)
def test_official_samples_load_with_date_of_birth_dropped(registry, name):
    with pytest.warns(QuasiIdentifierWarning, match="dropped quasi-identifier column"):
        (result,) = registry.load(FIXTURES / name)
    assert result.format == "naaccr-xml"
    assert result.dropped_columns == ["dateOfBirth"]
    assert result.rows_read == result.rows_loaded + result.rows_rejected > 0
    assert len(result.unused_items) > 50  # dozens of items, none loaded as columns
    assert result.extra_columns == []
    assert registry.sql("select count(*) from raw_cases where extra is not null").item() == 0


def test_synth_round_trip_equals_csv(tmp_path):
    frames = {}
    for name, fmt in (("s.csv", "csv"), ("s.xml", "naaccr-xml"), ("s.xml.gz", None)):
        path = cohort.synth.write(tmp_path / name, n=3000, seed=4, format=fmt)
        reg = cohort.Registry(tmp_path / f"{name}.duckdb")
        (result,) = reg.load(path)
        frames[name] = (
            reg.sql("select * exclude (load_id) from raw_cases order by record_no"),
            reg.sql("select record_no, field, value, reason from rejects order by all"),
            result.format,
        )
    assert [f[2] for f in frames.values()] == ["csv", "naaccr-xml", "naaccr-xml"]
    seer = [*SEER_RECODES, "tumors_total_code"]  # no NAACCR item: in the CSV only
    for name in ("s.xml", "s.xml.gz"):
        assert_frame_equal(frames["s.csv"][0].drop(seer), frames[name][0].drop(seer))
        assert_frame_equal(frames["s.csv"][1], frames[name][1])
    # several tumours of one patient sit under one Patient element
    text = gzip.open(tmp_path / "s.xml.gz", "rt").read()
    assert text.count("<Tumor>") == 3000 > text.count("<Patient>")


def test_format_detected_from_content(tmp_path):
    plain = tmp_path / "extract.dat"
    plain.write_text(GOOD)
    packed = tmp_path / "extract.bin"
    with gzip.open(packed, "wt") as fh:
        fh.write(GOOD)
    assert detect_format(plain) == detect_format(packed) == "naaccr-xml"


def test_bad_key_is_a_reject_and_other_bad_values_an_edit(registry, tmp_path):
    path = tmp_path / "bad.xml"
    bad_site = _patient("00000003").replace(">C504<", ">C999<")
    three = GOOD.replace("  </Patient>\n", "  </Patient>\n" + _patient("00000002", pos="150")
                         + bad_site)
    path.write_text(three)
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected, result.values_edited) == (2, 1, 1)
    assert registry.sql("select record_no, field, value from rejects").row(0) == (
        3, "primary_site", "C999"
    )
    assert registry.sql("select record_no, item, value from item_edits").row(0) == (
        2, "nodes_positive_code", "150"
    )


def _patient(pid: str, *, pos: str = "05") -> str:
    body = GOOD.split("<Patient>\n", 1)[1].split("</Patient>", 1)[0]
    return ("  <Patient>\n" + body.replace("00000001", pid)
            .replace(">05<", f">{pos}<") + "</Patient>\n")


BAD = [
    # (name, how GOOD is changed, error class, message fragments)
    ("unclosed", lambda s: s.replace("  </Patient>\n</NaaccrData>\n", ""),
     InputError, ["line 18: the file ends inside <Patient> (unclosed tag) after item "
                  "'regionalNodesExamined'"]),
    ("unclosed-item", lambda s: s.replace('"sex">2</Item>', '"sex">2'),
     InputError, ["line 6: element <Item> inside Item 'sex'"]),
    ("mismatched", lambda s: s.replace("    </Tumor>", "    </Tumour>"),
     InputError, ["line 17: column 7: not well-formed XML (mismatched tag) after item "
                  "'regionalNodesExamined'"]),
    ("wrong-namespace", lambda s: s.replace('xmlns="http://naaccr.org/naaccrxml"',
                                            'xmlns="http://naaccr.org/naaccrxml/v2"'),
     InputError, ["line 2: NaaccrData is in namespace 'http://naaccr.org/naaccrxml/v2', "
                  "not 'http://naaccr.org/naaccrxml'"]),
    ("no-namespace", lambda s: s.replace(' xmlns="http://naaccr.org/naaccrxml"', ""),
     InputError, ["line 2: NaaccrData has no namespace"]),
    ("tumor-outside-patient",
     lambda s: s.replace("    <Tumor>", "  </Patient>\n    <Tumor>").replace(
         "    </Tumor>\n  </Patient>", "    </Tumor>"),
     InputError, ["line 9: Tumor outside a Patient (after item 'vitalStatus')"]),
    ("item-without-id", lambda s: s.replace(
        '"sex">2</Item>\n', '"sex">2</Item>\n    <Item naaccrNum="240">19500101</Item>\n'),
     InputError, ["line 6: Item with no naaccrId (after item 'sex')"]),
    ("duplicate-item", lambda s: s.replace(
        '      <Item naaccrId="primarySite">C504</Item>\n',
        '      <Item naaccrId="primarySite">C504</Item>\n'
        '      <Item naaccrId="primarySite">C509</Item>\n'),
     InputError, ["line 13: item 'primarySite' appears twice in one Tumor"]),
    ("patient-item-after-tumor", lambda s: s.replace(
        "    </Tumor>\n", "    </Tumor>\n    <Item naaccrId=\"causeOfDeath\">0000</Item>\n"),
     InputError, ["line 18: Patient item 'causeOfDeath' after the Patient's first Tumor"]),
    ("not-naaccr", lambda s: s.replace("NaaccrData", "Registry"),
     InputError, ["line 2: root element <Registry> is not NaaccrData"]),
    ("direct-identifier", lambda s: s.replace(
        '    <Item naaccrId="sex">', '    <Item naaccrId="nameLast">Smith</Item>\n'
        '    <Item naaccrId="sex">'),
     IdentifierError, ["'nameLast' (patient last name) is a direct identifier",
                       "nothing was loaded"]),
]


@pytest.mark.parametrize(("name", "change", "error", "fragments"), BAD,
                         ids=[b[0] for b in BAD])
def test_malformed_file_refused_and_nothing_written(loaded, tmp_path, name, change, error,
                                                    fragments):
    reg, before = loaded
    path = tmp_path / f"{name}.xml"
    path.write_text(change(GOOD))
    with pytest.raises(error) as err:
        reg.load(path)
    message = str(err.value)
    assert message.startswith(str(path) + ": ")
    for fragment in fragments:
        assert fragment in message
    assert "arrow" not in message.lower()  # the reader's message, not DuckDB's wrapper
    assert snapshot(reg) == before


def test_wrong_encoding_names_line_and_item(loaded, tmp_path):
    reg, before = loaded
    path = tmp_path / "latin1.xml"
    path.write_bytes(GOOD.replace("C504", "C50\xe9").encode("latin-1"))
    with pytest.raises(InputError) as err:
        reg.load(path)
    message = str(err.value)
    # column 39, 1-based: six spaces, <Item naaccrId="primarySite"> (29), "C50", then the byte
    assert ("line 12: column 39: not well-formed XML (not well-formed (invalid token)) after "
            "item 'primarySite'") in message
    assert "not valid in the declared encoding" in message
    assert snapshot(reg) == before


@pytest.mark.parametrize("where", ["duplicate", "broken"])
def test_hostile_item_id_is_shortened_in_the_message(loaded, tmp_path, where):
    """An item id of 100,000 characters is quoted cut short, not as a page of message."""
    reg, before = loaded
    hostile = "x" * 100_000
    item = f'      <Item naaccrId="{hostile}">1</Item>\n'
    if where == "broken":  # a mismatched tag right after it: quoted as "after item ..."
        item = item.replace("1</Item>", "1</Itme>")
    else:  # the same id twice in one Tumor
        item = item * 2
    path = tmp_path / f"{where}.xml"
    path.write_text(GOOD.replace('      <Item naaccrId="primarySite">',
                                 item + '      <Item naaccrId="primarySite">'))
    with pytest.raises(InputError) as err:
        reg.load(path)
    message = str(err.value)
    assert message.startswith(str(path) + ": line ")
    assert "xxxxxxxxxx... (" in message and " characters)" in message
    assert len(message) < len(str(path)) + 600
    assert snapshot(reg) == before


def test_error_late_in_a_large_file_writes_nothing(loaded, tmp_path):
    """An error after many batches have streamed into staging still rolls back."""
    reg, before = loaded
    path = cohort.synth.write(tmp_path / "big.xml", n=60_000, seed=2)  # > one batch
    text = path.read_text()
    cut = text.rindex("<Tumor>")
    path.write_text(text[:cut] + "<Tumor><Item>9</Item>" + text[cut + len("<Tumor>"):])
    line = text[:cut].count("\n") + 1
    with pytest.raises(InputError, match=rf"line {line}: Item with no naaccrId"):
        reg.load(path)
    assert snapshot(reg) == before


def test_user_dictionary_and_unknown_items_do_not_crash(registry, tmp_path):
    path = tmp_path / "user.xml"
    path.write_text(
        GOOD.replace(" xmlns=", ' userDictionaryUri="urn:my-dictionary" xmlns=').replace(
            "    </Tumor>", '      <Item naaccrId="myLocalItem01">Z</Item>\n    </Tumor>')
    )
    (result,) = registry.load(path)
    assert result.rows_loaded == 1
    assert result.unused_items == ["myLocalItem01"]


def test_no_tumours(registry, tmp_path):
    # the tumour sits in an extension element (another namespace): ignored
    path = tmp_path / "no-tumours.xml"
    path.write_text(GOOD.replace("<Tumor>", '<x:Tumor xmlns:x="urn:x">').replace(
        "</Tumor>", "</x:Tumor>"))
    with pytest.raises(InputError, match=r"no Tumor elements \(1 Patient\(s\)\)"):
        registry.load(path)
    assert not registry.path.exists()  # a refused first load leaves no database


def _rows(path, wanted, **kw):
    from cohort.readers import naaccr_xml

    try:
        batches = list(naaccr_xml.tumour_batches(path, wanted, **kw))
    except InputError as exc:
        return str(exc)
    return [row for b in batches for row in zip(*(c.to_pylist() for c in b.columns), strict=True)]


class _Spy:
    """Counts the Patient blocks the fast path matched."""

    def __init__(self, pattern):
        self.pattern, self.hits = pattern, 0

    def match(self, *args):
        m = self.pattern.match(*args)
        self.hits += m is not None
        return m


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 333])
def test_fast_path_gives_the_exact_parsers_rows(tmp_path, monkeypatch, chunk):
    """The regex fast path and expat alone give identical rows (and errors):
    entity-escaped values, leading/trailing spaces, empty items, and Patients
    the fast path must leave to expat (comments, CRLF, attributes, CDATA,
    character references, non-ASCII) among standard ones."""
    from cohort.readers import naaccr_xml

    text = cohort.synth.write(tmp_path / "s.xml", n=2000, seed=7).read_text()
    patients = text.split("  <Patient>\n")
    tweaks = [
        lambda p: p.replace('"primarySite">C', '"primarySite"> A&amp;B &lt;&gt;&quot;&apos;C', 1),
        lambda p: p.replace('"grade">', '"grade">  ', 1).replace("</Item>", " </Item>", 2),
        lambda p: p.replace('"sex">1<', '"sex"><', 1),
        lambda p: p.replace("<Tumor>\n", '<Tumor>\n      <Item naaccrId="sex">9</Item>\n', 1),
        lambda p: p.replace("\n", "\r\n"),
        lambda p: p.replace("<Tumor>", "<Tumor><!-- note -->", 1),
        lambda p: p.replace('"grade">', '"grade"><![CDATA[x<y]]>', 1),
        lambda p: p.replace('"grade">', '"grade">&#65;', 1),
        lambda p: p.replace('"grade">', '"grade">\xe9', 1),
        lambda p: p.replace("</Tumor>", '</Tumor><x:E xmlns:x="urn:x"><Tumor/></x:E>', 1),
        lambda p: p.replace('naaccrId="sex"', 'naaccrId="sex" x="1"', 1),
    ]
    for i in range(1, len(patients), 7):
        patients[i] = tweaks[(i // 7) % len(tweaks)](patients[i])
    path = tmp_path / "t.xml"
    path.write_bytes("  <Patient>\n".join(patients).encode())
    wanted = naaccr_xml.plan_columns(naaccr_xml.scan_item_ids(path))[0]
    monkeypatch.setattr(naaccr_xml, "_CHUNK", chunk)
    spy = _Spy(naaccr_xml._FAST_PATIENT)
    monkeypatch.setattr(naaccr_xml, "_FAST_PATIENT", spy)
    fast = _rows(path, wanted, rows_per_batch=500)
    assert spy.hits > 1000  # most Patients took the fast path
    monkeypatch.setattr(naaccr_xml, "_GIVE_UP", 0)  # expat for everything
    exact = _rows(path, wanted, rows_per_batch=500)
    assert isinstance(fast, list) and len(fast) == 2000
    assert fast == exact
    values = {v for row in fast for v in row}
    assert " A&B <>\"'C" in {v[:10] for v in values if v}
    assert "" not in values  # empty items are null, as expat's path gives

    # an error after fast Patients: same line, column and item as expat alone
    text = path.read_text()
    cut = text.rindex("</Tumor>", 0, len(text) * 3 // 4)
    path.write_text(text[:cut] + "</Tumour>" + text[cut + len("</Tumor>"):])
    line = text[:cut].count("\n") + 1
    monkeypatch.setattr(naaccr_xml, "_GIVE_UP", 64)
    fast_error = _rows(path, wanted)
    monkeypatch.setattr(naaccr_xml, "_GIVE_UP", 0)
    assert fast_error == _rows(path, wanted)
    assert f"line {line}: column" in fast_error and "mismatched tag" in fast_error


def test_v25_sample_loads_every_tumour(registry):
    """Issue 12: four sample tumours were rejected for valid codes (LN size 6.5, not
    006.5; pathological N p0I-, AJCC pN0(i-)). Every tumour loads now, and no value of
    any item fails its code list; the only edits are NAACCR's date-logic edit (the
    synthetic sample draws dates at random)."""
    with pytest.warns(QuasiIdentifierWarning):
        (result,) = registry.load(FIXTURES / "naaccr-xml-sample-v250-incidence-1000.xml.gz")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1000, 1000, 0)
    got = registry.sql("select record_no, ln_size_code, tnm_path_n from raw_cases "
                       "where record_no in (100, 370, 632, 669) order by 1").rows()
    assert got == [(100, "6.5", None), (370, None, "p0I-"), (632, "8.0", None),
                   (669, "4.6", None)]
    assert registry.sql("select distinct item from item_edits").rows() == [
        ("last_contact_date",)]
    assert registry.sql("select count(*) from item_edits where reason not like "
                        "'the date of last contact is before the diagnosis%'").item() == 0
