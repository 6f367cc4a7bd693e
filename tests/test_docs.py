"""The generated documents are current (regenerate: python -m cohort.docs docs)."""

from __future__ import annotations

from pathlib import Path

from cohort.docs import cli_reference, data_dictionary

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_data_dictionary_is_current():
    assert (DOCS / "data_dictionary.md").read_text() == data_dictionary()


def test_cli_reference_is_current():
    assert (DOCS / "cli.md").read_text() == cli_reference()


def test_every_derived_column_is_documented():
    from cohort.derive import DERIVED_COLUMNS

    text = data_dictionary()
    for col in DERIVED_COLUMNS:
        assert f"| `{col}` |" in text
