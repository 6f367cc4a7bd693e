"""SEER*Stat case listings: labels as headers, value labels as codes,
``Blank(s)``, and the export dictionary (``.dic``)."""

from __future__ import annotations

from helpers import snapshot

from cohort.readers import detect_format

LABELS = [
    "Patient ID", "Sequence number", "Sex", "Age recode with single ages and 100+",
    "Year of diagnosis", "Primary Site - labeled", "Histologic Type ICD-O-3",
    "Behavior code ICD-O-3", "Regional nodes positive (1988+)",
    "Regional nodes examined (1988+)", "Survival months", "Survival months flag",
    "Vital status recode (study cutoff used)", "SEER cause-specific death classification",
]
ROWS = [
    ["00000001", "One primary only", "Female", "65 years", "2015", "C50.9-Breast, NOS", "8500",
     "Malignant", "03", "12", "0060",
     "Complete dates are available and there are more than 0 days of survival", "Alive",
     "Alive or dead of other cause"],
    ["00000002", "1st of 2 or more primaries", "Male", "100+ years", "2016", "C18.0-Cecum",
     "8140", "Malignant", "00", "15", "0012",
     "Complete dates are available and there are more than 0 days of survival", "Dead",
     "Dead (attributable to this cancer dx)"],
    ["00000002", "2nd of 2 or more primaries", "Male", "101 years", "2019", "C61.9-Prostate",
     "8140", "In situ", "Blank(s)", "Blank(s)", "0001", "Blank(s)", "Dead",
     "N/A not first tumor"],
    ["00000003", "One primary only", "Female", "70 years", "2017", "C34.1-Upper lobe, lung",
     "8140", "Malignant", "98", "00", "0034",
     "Complete dates are available and there are more than 0 days of survival",
     "Presumed alive", "Alive or dead of other cause"],
]


def _write(path, rows, *, header=True, delim="\t"):
    def line(fields):  # SEER*Stat quotes a field holding the delimiter
        return delim.join(f'"{f}"' if delim in f else f for f in fields)

    lines = ([line(LABELS)] if header else []) + [line(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_labels_become_naaccr_codes(registry, tmp_path):
    path = _write(tmp_path / "case_listing.txt", ROWS)
    assert detect_format(path) == "seerstat"
    (result,) = registry.load(path)
    assert (result.format, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "seerstat", 4, 3, 1
    )
    got = registry.sql(
        "select patient_id, tumor_seq, sex, age_at_dx, dx_year, primary_site, behavior, "
        "nodes_positive_code, surv_months, surv_flag, vital_status_recode, "
        "cause_specific_death from raw_cases order by record_no"
    ).rows()
    assert got[:2] == [
        ("00000001", "00", "2", 65, 2015, "C509", "3", "03", 60, "1", "1", "0"),
        ("00000002", "01", "1", 100, 2016, "C180", "3", "00", 12, "1", "0", "1"),
    ]
    rejects = registry.sql(
        "select record_no, line_no, field, value from rejects order by all"
    ).rows()
    # Blank(s) is blank (node counts unknown: loaded, NX); an unknown label is kept
    # and judged
    assert rejects == [(4, 5, "vital_status_recode", "Presumed alive")]
    assert registry.sql("select nodes_positive_code, node_status::varchar from cases "
                        "where record_no = 3").row(0) == (None, "NX")


def test_export_dictionary_gives_names_and_delimiter(registry, tmp_path):
    data = _write(tmp_path / "export.txt", ROWS[:2], header=False, delim=",")
    dic = ["[System]", "Version=8.4.3", "", "[Export Options]", "Line terminator=LF",
           "Field delimiter=comma", "Missing character=space",
           "Variable names included=false", "", "[Variables]"]
    dic += [f"Var{i}Name={label}" for i, label in enumerate(LABELS)]
    (tmp_path / "export.dic").write_text("\n".join(dic) + "\n")
    assert detect_format(data) == "seerstat"
    (result,) = registry.load(data)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert result.format == "seerstat"
    assert registry.sql("select vital_status_recode from raw_cases order by record_no")[
        "vital_status_recode"
    ].to_list() == ["1", "0"]


def test_bad_dictionary_delimiter_refuses(registry, tmp_path):
    import pytest

    from cohort.errors import InputError

    data = _write(tmp_path / "x.txt", ROWS[:1])
    (tmp_path / "x.dic").write_text("Field delimiter=carets\n")
    with pytest.raises(InputError, match="field delimiter 'carets' is not one cohort reads"):
        registry.load(data)
    assert snapshot(registry) == {"loads": [], "raw_cases": [], "rejects": []}
