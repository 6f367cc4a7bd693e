"""The item table: code lists are the one source of patterns and messages, and
agree with the NAACCR v25 dictionary (lengths, data types)."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cohort import codelist
from cohort.items import items
from cohort.validate import _reason

DICTIONARY = Path(__file__).parent / "fixtures" / "naaccr" / "naaccr-dictionary-250.xml"
NS = {"n": "http://naaccr.org/naaccrxml"}
CODE_ITEMS = [it for it in items() if it.code_list]


@pytest.mark.parametrize("item", CODE_ITEMS, ids=lambda it: it.name)
def test_pattern_accepts_exactly_the_listed_codes(item):
    listed = set(codelist.all_codes(item.codes))
    alphabet = sorted({c for code in listed for c in code} | set("0123456789"))
    lengths = {len(c) for c in listed}
    # every string over the codes' alphabet, of the codes' lengths (sampled when large)
    candidates = set(listed)
    for n in lengths:
        for i, chars in enumerate(itertools.product(alphabet, repeat=n)):
            if i > 50_000:
                break
            candidates.add("".join(chars))
    for value in candidates:
        assert bool(re.fullmatch(item.pattern, value)) == (value in listed), (item.name, value)


@pytest.mark.parametrize("item", CODE_ITEMS, ids=lambda it: it.name)
def test_message_quotes_the_code_list_the_pattern_comes_from(item):
    assert item.codes in _reason(item)
    assert codelist.pattern(item.codes) == item.pattern


def _dictionary() -> dict[str, dict]:
    root = ET.parse(DICTIONARY).getroot()
    return {d.get("naaccrId"): d.attrib for d in root.iterfind(".//n:ItemDef", NS)}


@pytest.mark.parametrize("item", [it for it in items() if it.naaccr_id], ids=lambda it: it.name)
def test_items_agree_with_the_naaccr_v25_dictionary(item):
    entry = _dictionary()[item.naaccr_id]
    assert entry["naaccrNum"] == item.item
    assert int(entry["length"]) == item.width
    if not item.code_list:
        return
    codes = codelist.all_codes(item.codes)
    assert max(len(c) for c in codes) <= item.width
    if entry.get("dataType") == "digits":
        assert all(c.isdigit() for c in codes), item.name


def test_issue_13_values_are_not_codes():
    by = {it.name: it for it in items()}
    for name, value in [("sex", "0"), ("sex", "7"), ("sex", "8"), ("primary_site", "C999"),
                        ("histology", "9999")]:
        assert not re.fullmatch(by[name].pattern, value)
    for name, value in [("sex", "3"), ("sex", "6"), ("primary_site", "C809"),
                        ("histology", "9993"), ("ln_size_code", "6.5"),
                        ("ln_size_code", "XX.9"), ("tnm_path_n", "p0I-")]:
        assert re.fullmatch(by[name].pattern, value), (name, value)


def test_codpub_is_the_cod_to_site_recode_not_the_icd_cause_of_death():
    """Issue 12: SEER's CODPUB is the COD to site recode, not item 1910."""
    from cohort.items import canonical_name

    assert canonical_name("CODPUB") == "cod_site_recode"
    assert canonical_name("COD to site recode") == "cod_site_recode"
    assert canonical_name("causeOfDeath") == canonical_name("1910") == "cause_of_death"


def test_every_code_item_is_checked():
    """A code item needs a code list (or a pattern of its own): a row with
    neither would accept any value without a word."""
    for it in items():
        if it.kind in ("code", "integer", "age"):
            assert it.pattern, f"items.csv: {it.name} has no code list and no pattern"
