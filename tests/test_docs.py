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


def test_tutorial_transcripts_are_current():
    """Every transcript in the tutorial is what its commands print today
    (regenerate: python -m cohort.docs docs)."""
    from cohort.docs import steady, tutorial

    current = (DOCS / "tutorial.md").read_text()
    assert current.count("\n$ cohort ") >= 7
    assert steady(tutorial(DOCS / "tutorial.md")) == steady(current)


def test_readme_and_sql_help_list_the_same_tables():
    import re

    from click.testing import CliRunner

    from cohort.cli import main
    from cohort.docs import relations

    tables, views = relations()
    readme = (DOCS.parent / "README.md").read_text()
    row = next(ln for ln in readme.splitlines() if ln.startswith("| `cohort sql QUERY`"))
    listed = re.findall(r"`(\w+)`", row.split("|")[2])
    assert listed == [*tables, *views]
    help_text = " ".join(CliRunner().invoke(main, ["sql", "--help"]).output.split())
    assert f"tables: {', '.join(tables)}; views: {', '.join(views)}" in help_text
    assert "load_summary" in listed


def test_tutorial_copies_the_spec_before_editing_it():
    text = (DOCS / "tutorial.md").read_text()
    copy = text.index("$ cohort report --copy-spec my_report.toml")
    assert copy < text.index("cohort report my_report.toml -o")
    assert "wrote my_report.toml: edit it" in text
    # what --standardise 1 means, and why lung is NX under count-based N
    assert "International Cancer Survival Standard 1" in text and "0.07, 0.12, 0.23" in text
    assert "Why every lung case is `NX`" in text
