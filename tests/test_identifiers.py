"""Issue 13, item 7: identifiers matched by their words, not a list of spellings."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from helpers import HEADER, record, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort
from cohort.columns import map_columns
from cohort.errors import FreeTextWarning, IdentifierError, QuasiIdentifierWarning
from cohort.items import canonical_name, identifier, items

FIXTURES = Path(__file__).parent / "fixtures" / "naaccr"
REQUIRED = HEADER.split(",")

# The 33 header spellings that reached raw_cases.extra in the review
DIRECT = ["Patient Last Name", "family_name", "given_name", "forename", "maiden_name",
          "social_security_no", "patient_ssn", "SSN_last4", "ＳＳＮ", "medical_record_no",
          "patient_mrn", "chart_number", "hospital_number", "home_address", "Address Line 1",
          "tel", "mobile", "cell_phone", "Text--Remarks", "2680", "TextRemarks"]
QUASI = ["birth_dt", "DOB (YYYYMMDD)", "city", "addrAtDxCity"]
FREE = ["notes"]


@pytest.mark.parametrize("column", DIRECT)
def test_review_spellings_of_direct_identifiers_refuse_the_file(registry, write_csv, column):
    path = write_csv("ids.csv", [record(1) + ",x"], header=HEADER + f",{column}")
    with pytest.raises(IdentifierError, match="is a direct identifier; cohort loads "
                       "de-identified extracts only, so nothing was loaded"):
        registry.load(path)
    assert snapshot(registry) == {}  # a refused first load leaves no database


@pytest.mark.parametrize("column", QUASI + FREE)
def test_review_spellings_of_other_identifiers_are_dropped(registry, write_csv, column):
    path = write_csv("q.csv", [record(1) + ",x"], header=HEADER + f",{column}")
    kind = QuasiIdentifierWarning if column in QUASI else FreeTextWarning
    with pytest.warns(kind, match="dropped"):
        (result,) = registry.load(path)
    assert result.extra_columns == [] and result.dropped_columns == [column]
    assert registry.sql("select extra from raw_cases").item() is None


@pytest.mark.parametrize("column", ["addrAtDxCity", "TextRemarks", "textRemarks", "nameLast"])
def test_keep_items_cannot_keep_an_identifier(registry, tmp_path, column):
    xml = (FIXTURES / "synthetic-data_naaccr-180-incidence_10-tumors.xml").read_text()
    item = f'<Item naaccrId="{column}">Smith called 555 0100</Item>'
    xml = xml.replace("<Tumor>", "<Tumor>\n" + item, 1)
    path = tmp_path / "k.xml"
    path.write_text(xml)
    kind = identifier(column).kind
    if kind == "direct":
        with pytest.raises(IdentifierError):
            registry.load(path, keep_items=[column])
        return
    with pytest.warns(QuasiIdentifierWarning):
        (result,) = registry.load(path, keep_items=[column])
    assert column in result.dropped_columns
    assert registry.sql("select count(*) from raw_cases where extra is not null").item() == 0


def test_every_naaccr_confidential_and_text_item_is_refused_by_id_number_and_name():
    """The list comes from the dictionaries (recordTypes A,M,C: confidential
    section; A,M: text section), whatever --keep-items says."""
    text = (FIXTURES / "naaccr-confidential-text-itemdefs.xml").read_text()
    defs = re.findall(r'naaccrId="([^"]+)"\s+naaccrNum="(\d+)"\s+naaccrName="([^"]+)"', text)
    assert len(defs) == 89
    for nid, num, name in defs:
        for spelling in (nid, num, name, nid.upper(), name.replace("--", " ")):
            found = identifier(spelling)
            assert found is not None and found.kind == "direct", spelling
            assert map_columns_refuses(spelling)


def map_columns_refuses(column: str) -> bool:
    try:
        map_columns(Path("x.csv"), [*REQUIRED, column], keep_items=[column])
    except IdentifierError:
        return True
    return False


def test_the_whole_alias_table_passes():
    """No canonical name, NAACCR id, item number, SEER*Stat label or short
    name of the alias table is taken for an identifier."""
    for it in items():
        for alias in it.aliases:
            assert identifier(alias) is None, alias


@pytest.mark.parametrize("column", [
    "tumor_size", "dx_date", "Primary Site - labeled", "Sequence number", "Record number recode",
    "Year of birth", "Patient ID", "State-county", "Rural-Urban Continuum Code", "file_name",
    "record_no", "Marital status at diagnosis", "addrAtDxState", "addrAtDxCountry", "countyAtDx",
    "Site recode ICD-O-3/WHO 2008", "Derived AJCC N, 7th ed (2010-2015)", "cell_type",
    "telomere_length", "Race recode (W, B, AI, API)", "hospital_id", "site_name", "censusTract2010",
    "Median household income inflation adj to 2021", "COD to site recode", "context",
])
def test_legitimate_analysis_columns_are_kept(registry, write_csv, column):
    assert identifier(column) is None
    if canonical_name(column) is not None:  # an item: mapped, not extra
        return
    quoted = '"' + column.replace('"', '""') + '"'
    path = write_csv("ok.csv", [record(1) + ",7"], header=HEADER + f",{quoted}")
    (result,) = registry.load(path)
    assert result.extra_columns == [column]


def test_free_text_values_are_dropped_unless_kept(registry, write_csv):
    path = write_csv("f.csv", [record(1) + ",spoke with Mrs Jane Doe about the biopsy,N1",
                               record(2) + ",,N0"], header=HEADER + ",pt_info,stage_label")
    with pytest.warns(FreeTextWarning, match=r"pt_info .values of five words or more"):
        (result,) = registry.load(path)
    assert result.extra_columns == ["stage_label"] and result.dropped_columns == ["pt_info"]
    assert registry.sql("select extra from raw_cases order by record_no").to_series().to_list() \
        == [{"stage_label": "N1"}, {"stage_label": "N0"}]
    kept = cohort.Registry(registry.path.with_name("k.duckdb"))
    (result,) = kept.load(path, keep_items=["pt_info"])
    assert result.extra_columns == ["pt_info", "stage_label"]


# -- the property: random spellings built from identifier words -----------------------------
CONCEPTS = {
    "direct": [["last", "name"], ["family", "name"], ["given", "name"], ["first", "name"],
               ["maiden", "name"], ["middle", "name"], ["patient", "name"], ["surname"],
               ["forename"], ["ssn"], ["social", "security", "number"],
               ["social", "security", "no"], ["soc", "sec", "num"], ["medical", "record", "number"],
               ["medical", "record", "no"], ["mrn"], ["chart", "number"], ["hospital", "number"],
               ["hospital", "record"], ["home", "address"], ["street", "address"],
               ["address", "line", "1"], ["street"], ["phone", "number"], ["telephone"], ["tel"],
               ["mobile"], ["cell", "phone"], ["email"], ["e", "mail"], ["fax"],
               ["medicare", "number"], ["name"]],
    "quasi": [["date", "of", "birth"], ["birth", "date"], ["dob"], ["birth", "dt"],
              ["zip", "code"], ["postal", "code"], ["zip"], ["city"], ["town"], ["latitude"],
              ["longitude"]],
    "free-text": [["notes"], ["remarks"], ["comments"], ["free", "text"], ["narrative"]],
}
PREFIXES = ["", "patient", "pt", "home", "current", "primary", "contact"]
SUFFIXES = ["", "1", "2", "x"]


def _compat_variant(text: str, style: int) -> str:
    """The same letters in a Unicode compatibility form NFKC folds back."""
    if style == 1:  # full width
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if style == 2:  # mathematical bold
        return "".join(
            chr(0x1D400 + ord(c) - 65) if "A" <= c <= "Z"
            else chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in text)
    if style == 3:  # zero-width spaces between letters
        return "\u200b".join(text)
    return text


@st.composite
def spellings(draw):
    kind = draw(st.sampled_from(sorted(CONCEPTS)))
    words = list(draw(st.sampled_from(CONCEPTS[kind])))
    prefix = draw(st.sampled_from(PREFIXES))
    suffix = draw(st.sampled_from(SUFFIXES))
    words = ([prefix] if prefix and words != ["name"] else []) + words + (
        [suffix] if suffix else [])
    case = draw(st.sampled_from(["lower", "upper", "title", "camel", "pascal"]))
    if case == "upper":
        words = [w.upper() for w in words]
    elif case == "title":
        words = [w.title() for w in words]
    elif case in ("camel", "pascal"):
        words = [w if i == 0 and case == "camel" else w.title() for i, w in enumerate(words)]
    sep = draw(st.sampled_from(["_", " ", "-", ".", "", "--", "/", " - ", "__"]))
    text = sep.join(words)
    if draw(st.booleans()):
        text = f"{text} ({draw(st.sampled_from(['YYYYMMDD', 'text', 'raw', '9']))})"
    return kind, _compat_variant(text, draw(st.integers(0, 3)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spelling=spellings())
def test_random_spellings_of_identifier_words_are_never_loaded(spelling):
    kind, column = spelling
    found = identifier(column)
    assert found is not None, column
    if kind == "direct":
        assert found.kind == "direct", (column, found)
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mapping, extra, dropped = map_columns(Path("x.csv"), [*REQUIRED, column])
    except IdentifierError:
        return
    assert column not in extra and column not in mapping.values()
    assert column in dropped


def test_tokens_fold_unicode_compatibility_forms():
    for style in (1, 2, 3):
        assert identifier(_compat_variant("SocialSecurityNumber", style)).kind == "direct"
    assert unicodedata.normalize("NFKC", "ＳＳＮ") == "SSN"
