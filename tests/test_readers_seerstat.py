"""SEER*Stat exports read as their export dictionary (.dic) says: every
[Export Options] entry, numeric and label formats decoded through the
export's own [Format=...] sections, several columns for one item, and the
messages for files given without (or instead of) their dictionary."""

from __future__ import annotations

import csv
import gzip
from importlib import resources
from pathlib import Path

import duckdb
import pytest
from helpers import snapshot

import cohort
from cohort.errors import ColumnError, InputError
from cohort.readers import detect_format
from cohort.readers.seerstat import (
    RULES,
    ExportDictionary,
    _value_sql,
    label_code,
    read_dictionary,
)

LABELS = [
    "Patient ID", "Sequence number", "Sex", "Age recode with single ages and 100+",
    "Year of diagnosis", "Primary Site - labeled", "Histologic Type ICD-O-3",
    "Behavior code ICD-O-3", "Regional nodes positive (1988+)",
    "Regional nodes examined (1988+)", "Survival months", "Survival months flag",
    "Vital status recode (study cutoff used)", "SEER cause-specific death classification",
]
UNFORMATTED = {"Patient ID", "Histologic Type ICD-O-3", "Regional nodes positive (1988+)",
               "Regional nodes examined (1988+)", "Survival months"}
MORE = "Complete dates are available and there are more than 0 days of survival"
ROWS = [
    ["00000001", "One primary only", "Female", "65 years", "2015", "C50.9-Breast, NOS", "8500",
     "Malignant", "03", "12", "0060", MORE, "Alive", "Alive or dead of other cause"],
    ["00000002", "1st of 2 or more primaries", "Male", "100+ years", "2016", "C18.0-Cecum",
     "8140", "Malignant", "00", "15", "0012", MORE, "Dead",
     "Dead (attributable to this cancer dx)"],
    ["00000002", "2nd of 2 or more primaries", "Male", "99 years", "2019", "C61.9-Prostate",
     "8140", "In situ", "Blank(s)", "Blank(s)", "0001", "Blank(s)", "Dead",
     "N/A not first tumor"],
    ["00000003", "One primary only", "Female", "70 years", "2017", "C34.1-Upper lobe, lung",
     "8140", "Malignant", "98", "00", "Unknown", "Unknown", "Alive",
     "Alive or dead of other cause"],
]
# what the four records load as
EXPECTED = [
    ("00000001", "00", "2", 65, None, 2015, "C509", "3", "03", 60, "1", "1", "0"),
    ("00000002", "01", "1", None, "100+", 2016, "C180", "3", "00", 12, "1", "0", "1"),
    ("00000002", "02", "1", 99, None, 2019, "C619", "2", None, 1, None, "0", "9"),
    ("00000003", "00", "2", 70, None, 2017, "C341", "3", "98", None, "9", "1", "0"),
]
QUERY = (
    "select patient_id, tumor_seq, sex, age_at_dx, age_group, dx_year, primary_site, behavior, "
    "nodes_positive_code, surv_months, surv_flag, vital_status_recode, cause_specific_death "
    "from raw_cases order by record_no"
)
DELIMS = {"tab": "\t", "comma": ",", "space": " ", "semi-colon": ";"}
# SEER*Stat numbers the groupings of a variable from 0 in the order of its
# definition: not NAACCR codes (Alive is 0 here, while NAACCR 1762 says 0 = dead)
FORMATS = {
    "Sequence number": ["One primary only", "1st of 2 or more primaries",
                        "2nd of 2 or more primaries", "Blank(s)"],
    "Sex": ["Female", "Male"],
    "Age recode with single ages and 100+": [f"{a:02d} years" for a in range(100)]
    + ["100+ years", "Unknown"],
    "Year of diagnosis": [str(y) for y in range(1975, 2022)],
    "Primary Site - labeled": ["C18.0-Cecum", "C34.1-Upper lobe, lung", "C50.9-Breast, NOS",
                               "C61.9-Prostate"],
    "Behavior code ICD-O-3": ["Benign", "Borderline malignancy", "In situ", "Malignant"],
    "Survival months flag": [
        "Complete dates are available and there are 0 days of survival", MORE, "Unknown",
        "Blank(s)"],
    "Vital status recode (study cutoff used)": ["Alive", "Dead"],
    "SEER cause-specific death classification": [
        "Alive or dead of other cause", "Dead (attributable to this cancer dx)",
        "Dead (missing/unknown COD)", "N/A not first tumor"],
}


def export(
    tmp_path,
    rows,
    *,
    variables=LABELS,
    name="export",
    fmt="labels",
    delimiter="tab",
    names=True,
    delim_quotes=True,
    gz=False,
    gz_name=None,
    dos=False,
    missing="period",
    thousands_removed=True,
    section="Variables",
    first=0,
    options=None,
    dic=True,
):
    """Write a data file and its .dic as SEER*Stat would with these options."""
    d = DELIMS[delimiter]
    if fmt == "numeric":
        rows = [[_number(var, v) for var, v in zip(variables, row, strict=True)] for row in rows]

    def field(var, value):
        if fmt == "quotedlabels" and var not in UNFORMATTED:
            return f'"{value}"'
        return f'"{value}"' if delim_quotes and d in value else value

    lines = [d.join(field("", v) if d in v else v for v in variables)] if names else []
    lines += [d.join(field(var, v) for var, v in zip(variables, row, strict=True))
              for row in rows]
    eol = "\r\n" if dos else "\n"
    data_name = gz_name or (f"{name}.gz" if gz else f"{name}.txt")
    data = tmp_path / data_name
    payload = (eol.join(lines) + eol).encode()
    data.write_bytes(gzip.compress(payload) if gz else payload)
    if not dic:
        return data
    opts = {
        "GZipped": "true" if gz else "false",
        "Variable format": fmt,
        "File format": "DOS/Windows" if dos else "UNIX",
        "Field delimiter": delimiter,
        "Missing character": missing,
        "Fields with delimiter in quotes": "true" if delim_quotes else "false",
        "Remove thousands separators": "true" if thousands_removed else "false",
        "Flags included": "false",
        "Variable names included": "true" if names else "false",
    } | (options or {})
    text = ["[System]", f"Output filename={data_name}", "", "[Export Options]"]
    text += [f"{k}={v}" for k, v in opts.items()]
    text += ["", f"[{section}]"]
    text += [f"Var{i + first}Name={v}" for i, v in enumerate(variables)]
    for var, labels in FORMATS.items():
        if var in variables:
            text += ["", f"[Format={var}]"] + [f"{i}={label}" for i, label in enumerate(labels)]
    (tmp_path / f"{name}.dic").write_bytes((eol.join(text) + eol).encode())
    return data


def _number(var, value):
    if var not in FORMATS:
        return value
    if value not in FORMATS[var]:
        return "999"  # not a number of the format
    return str(FORMATS[var].index(value))


def test_labels_become_naaccr_codes_with_a_header_and_no_dictionary(registry, tmp_path):
    path = export(tmp_path, ROWS, dic=False)
    assert detect_format(path) == "seerstat"
    (result,) = registry.load(path)
    assert (result.format, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "seerstat", 4, 4, 0)
    assert registry.sql(QUERY).rows() == EXPECTED
    # Blank(s) and Unknown are unknown values, not errors: node counts NX, survival
    # time unknown, and attrition says why
    assert registry.sql("select node_status::varchar from cases where record_no = 3").item() == (
        "NX")
    assert registry.sql("select exclusion_reason from cases where record_no = 4").item() == (
        "unknown survival time")
    attrition = dict(registry.sql("select stage, excluded from attrition").rows())
    assert attrition["excluded: unknown survival time"] == 1


@pytest.mark.parametrize("delimiter", sorted(DELIMS))
@pytest.mark.parametrize("names", [True, False], ids=["names", "no-names"])
def test_every_delimiter_with_and_without_names(registry, tmp_path, delimiter, names):
    path = export(tmp_path, ROWS, delimiter=delimiter, names=names)
    assert detect_format(path) == "seerstat"
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    assert registry.sql(QUERY).rows() == EXPECTED
    first = registry.sql("select line_no from rejects").rows()
    assert first == []


@pytest.mark.parametrize("fmt", ["labels", "quotedlabels", "numeric"])
def test_each_variable_format(registry, tmp_path, fmt):
    path = export(tmp_path, ROWS, fmt=fmt)
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    assert registry.sql(QUERY).rows() == EXPECTED


def test_numeric_export_is_decoded_by_its_own_numbering(registry, tmp_path):
    """Issue 12: a .dic whose [Format=Vital status recode] numbers the values
    differently loaded living patients as dead; a year written as its format
    number (0 = 1975) was rejected."""
    path = export(tmp_path, ROWS, fmt="numeric")
    raw = path.read_text().splitlines()[1].split("\t")
    assert raw[LABELS.index("Vital status recode (study cutoff used)")] == "0"  # Alive
    assert raw[LABELS.index("Year of diagnosis")] == str(2015 - 1975)
    assert raw[LABELS.index("Sex")] == "0"  # Female
    registry.load(path)
    got = registry.sql("select vital_status_recode, dx_year, sex from raw_cases "
                       "order by record_no").rows()
    assert got == [("1", 2015, "2"), ("0", 2016, "1"), ("0", 2019, "1"), ("1", 2017, "2")]


def test_numeric_value_outside_the_format_is_named(registry, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][LABELS.index("Sex")] = "Unknown sex label"  # written as 999: no such number
    rows[2][LABELS.index("Behavior code ICD-O-3")] = "Nonsense"
    path = export(tmp_path, rows, fmt="numeric")
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (3, 1)
    reject = registry.sql("select record_no, field, value, reason from rejects").row(0)
    assert reject[:3] == (3, "behavior", "number 999 is not a value of "
                          "[Format=Behavior code ICD-O-3] in the export dictionary")
    edit = registry.sql("select record_no, item, value from item_edits").row(0)
    assert edit == (2, "sex", "number 999 is not a value of [Format=Sex] in the export dictionary")
    # the decoded text says what was wrong before validation judged it
    con = duckdb.connect()
    params = {}
    sql = _value_sql("Sex", params, spec=read_dictionary(tmp_path / "export.dic"), numeric=True)
    got = con.execute(f'select {sql} from (select \'999\' as "Sex")', params).fetchone()[0]
    assert got == "number 999 is not a value of [Format=Sex] in the export dictionary"


@pytest.mark.parametrize("gz_name", ["export.gz", "export.txt.gz"])
def test_gzipped_export(registry, tmp_path, gz_name):
    path = export(tmp_path, ROWS, gz=True, gz_name=gz_name)
    assert detect_format(path) == "seerstat"
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.format) == (4, "seerstat")
    assert registry.sql(QUERY).rows() == EXPECTED


def test_dictionary_says_gzipped_but_the_data_are_not(registry, tmp_path):
    path = export(tmp_path, ROWS, options={"GZipped": "true"})
    with pytest.raises(InputError, match="says the data are gzip-compressed, but this file"):
        registry.load(path)
    assert snapshot(registry) == {}  # a refused first load leaves no database


@pytest.mark.parametrize("dos", [True, False], ids=["DOS/Windows", "UNIX"])
def test_file_format_line_ends(registry, tmp_path, dos):
    path = export(tmp_path, ROWS, dos=dos, names=False)
    assert (b"\r\n" in path.read_bytes()) == dos
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    assert registry.sql(QUERY).rows() == EXPECTED


@pytest.mark.parametrize(("missing", "mark"), [("period", "."), ("space", " ")])
def test_missing_character_is_blank(registry, tmp_path, missing, mark):
    rows = [list(r) for r in ROWS]
    rows[0][LABELS.index("Regional nodes examined (1988+)")] = mark
    rows[0][LABELS.index("Survival months flag")] = mark
    path = export(tmp_path, rows, missing=missing)
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.values_edited) == (4, 0)
    got = registry.sql("select nodes_examined_code, surv_flag from raw_cases "
                       "where record_no = 1").row(0)
    assert got == (None, None)


def test_fields_with_the_delimiter_in_quotes(registry, tmp_path):
    # comma-delimited: "C50.9-Breast, NOS" holds the delimiter and is quoted
    path = export(tmp_path, ROWS, delimiter="comma", delim_quotes=True)
    assert '"C50.9-Breast, NOS"' in path.read_text()
    (result,) = registry.load(path)
    assert result.rows_loaded == 4
    # without quotes the same label splits the record: a structural reject, named
    path2 = export(tmp_path, ROWS, name="unquoted", delimiter="comma", delim_quotes=False)
    other = cohort.Registry(tmp_path / "other.duckdb")
    (result2,) = other.load(path2)
    assert (result2.rows_loaded, result2.rows_rejected) == (2, 2)
    reasons = other.sql("select distinct reason from rejects").rows()
    assert all("too many fields" in r[0] for r in reasons)


@pytest.mark.parametrize("delimiter", ["tab", "comma"])
def test_thousands_separators_kept(registry, tmp_path, delimiter):
    rows = [list(r) for r in ROWS]
    rows[0][0] = "12,345,678"
    path = export(tmp_path, rows, delimiter=delimiter, thousands_removed=False)
    (result,) = registry.load(path)
    assert result.rows_loaded == 4
    assert registry.sql("select patient_id from raw_cases order by record_no limit 1").item() == (
        "12345678")


def test_thousands_separators_removed_leaves_commas_alone(registry, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][0] = "12,345"  # the export said separators were removed: not a number
    path = export(tmp_path, rows, thousands_removed=True)
    registry.load(path)
    assert registry.sql("select count(*) from rejects where field = 'patient_id'").item() == 1


@pytest.mark.parametrize("names", [True, False], ids=["names", "no-names"])
def test_names_option_missing_from_the_dictionary(registry, tmp_path, names):
    # a .dic that does not say: the first line is a header when it lists the variables
    path = export(tmp_path, ROWS, names=names)
    dic = tmp_path / "export.dic"
    dic.write_text("\n".join(line for line in dic.read_text().splitlines()
                             if not line.startswith("Variable names included")))
    (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded) == (4, 4)
    assert registry.sql(QUERY).rows() == EXPECTED


def test_variables_from_the_exports_own_section(registry, tmp_path):
    path = export(tmp_path, ROWS, section="Case Listing Variables", first=1, names=False)
    (result,) = registry.load(path)
    assert result.rows_loaded == 4
    assert registry.sql(QUERY).rows() == EXPECTED


def test_life_page_dictionary_is_read_in_variable_order(tmp_path):
    # the shape of a survival export's .dic: variables numbered from 1 in their own
    # section, one number repeated, formats keyed by number
    text = "\n".join([
        "[System]", "Output filename=life.txt", "", "[Export Options]", "GZipped=false",
        "Variable format=numeric", "File format=DOS/Windows", "Field delimiter=tab",
        "Missing character=space", "Fields with delimiter in quotes=false",
        "Remove thousands separators=true", "Variable names included=false", "",
        "[Life Page Variables]", "Var1Name=Page type", "Var2Name=Stage", "Var3Name=Interval",
        "Var4Name=Observed Survival (Interval)", "Var4Name=Observed Survival (Cum)",
        "Var5Name=Relative Survival (Cum)", "", "[Format=Stage]", "0=Distant", "1=Localized",
        "", "[Format=Interval]", "1=<1 yr", "2=1-<2 yr", "",
    ])
    (tmp_path / "life.dic").write_text(text)
    spec = read_dictionary(tmp_path / "life.dic")
    assert spec.variables == ["Page type", "Stage", "Interval", "Observed Survival (Interval)",
                              "Observed Survival (Cum)", "Relative Survival (Cum)"]
    assert spec.formats["Interval"] == {"1": "<1 yr", "2": "1-<2 yr"}
    assert (spec.variable_format, spec.delimiter, spec.missing, spec.line_end) == (
        "numeric", "\t", " ", "\r\n")
    assert (spec.gzipped, spec.quoted, spec.thousands_removed, spec.names_included) == (
        False, False, True, False)
    assert spec.data_file == "life.txt"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("Field delimiter", "carets", "field delimiter 'carets' is not one cohort reads"),
        ("Variable format", "xml", "Variable format='xml' is not one SEER\\*Stat writes"),
        ("File format", "Macintosh", "File format='macintosh' is not DOS/Windows or UNIX"),
        ("Missing character", "dash", "Missing character='dash' is not period or space"),
        ("Variable names included", "maybe", "Variable names included='maybe' should be true"),
    ],
)
def test_bad_dictionary_options_refuse(registry, tmp_path, option, value, message):
    path = export(tmp_path, ROWS, options={option: value})
    with pytest.raises(InputError, match=message):
        registry.load(path)
    assert snapshot(registry) == {}  # a refused first load leaves no database


def test_dictionary_given_as_the_data_file(registry, tmp_path):
    export(tmp_path, ROWS, gz=True)
    dic = tmp_path / "export.dic"
    assert detect_format(dic) == "seerstat"
    with pytest.raises(InputError, match=r"export.dic: this is the SEER\*Stat export dictionary, "
                       r"not the data; load the data file \(export.gz\)"):
        registry.load(dic)


def test_headerless_export_without_its_dictionary(registry, tmp_path):
    path = export(tmp_path, ROWS, names=False, dic=False)
    with pytest.raises(ColumnError, match=r"SEER\*Stat export without variable names needs its "
                       r"export dictionary \(.dic, same name\)"):
        registry.load(path)


def test_numeric_export_without_its_dictionary(registry, tmp_path):
    path = export(tmp_path, ROWS, fmt="numeric")
    (tmp_path / "export.dic").unlink()
    with pytest.raises(InputError, match=r"are numbers, not labels: this is a numeric "
                       r"SEER\*Stat export.*put the export dictionary \(export.dic\) beside it"):
        registry.load(path)
    assert snapshot(registry) == {}  # a refused first load leaves no database


def test_dictionary_listing_no_variables(registry, tmp_path):
    path = export(tmp_path, ROWS, names=False, section="Nothing")
    with pytest.raises(InputError, match=r"lists no variables"):
        registry.load(path)


# -- one item under several names -------------------------------------------

def _with_column(rows, variables, name, values, at=None):
    at = len(variables) if at is None else at
    return ([r[:at] + [v] + r[at:] for r, v in zip(rows, values, strict=True)],
            variables[:at] + [name] + variables[at:])


def test_both_site_columns_agree_and_load(registry, tmp_path):
    """Issue 12: 'Primary Site' (3-digit, 509) beside 'Primary Site - labeled'
    was refused ("both mean primary_site"); SEER's 504 was rejected as not C504."""
    rows, variables = _with_column(ROWS, LABELS, "Primary Site", ["509", "180", "619", "341"])
    path = export(tmp_path, rows, variables=variables)
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    assert registry.sql("select primary_site from raw_cases order by record_no")[
        "primary_site"].to_list() == ["C509", "C180", "C619", "C341"]


def test_site_columns_that_disagree_reject_with_both_values(registry, tmp_path):
    rows, variables = _with_column(ROWS, LABELS, "Primary Site", ["509", "181", "619", "341"])
    path = export(tmp_path, rows, variables=variables)
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (3, 1)
    row = registry.sql("select record_no, field, value, reason from rejects").row(0)
    # the values as decoded from the labels, side by side
    assert row[:3] == (2, "primary_site", "Primary Site - labeled = C180; Primary Site = 181")
    assert "the columns for primary_site disagree" in row[3]


def test_three_digit_site_alone(registry, tmp_path):
    variables = [("Primary Site" if v == "Primary Site - labeled" else v) for v in LABELS]
    rows = [[("504" if v.startswith("C50") else v) for v in r] for r in ROWS]
    path = export(tmp_path, rows, variables=variables)
    registry.load(path)
    assert registry.sql("select primary_site from raw_cases order by record_no limit 1").item() == (
        "C504")


AGE_GROUP = "Age recode with <1 year olds"


@pytest.mark.parametrize(
    ("single", "group", "expected"),
    [
        # single ages to 84, top-coded 85+, with the five-year groups: the most precise wins
        ("65 years", "65-69 years", (65, "065", None, False)),
        ("85+ years", "85+ years", (None, "85+", "85+", True)),
        ("00 years", "00 years", (0, "000", None, False)),
        ("Unknown", "Unknown", (None, "999", None, False)),
        ("Unknown", "45-49 years", (None, "45-49", "45-49", False)),
        ("85+ years", "Unknown", (None, "85+", "85+", True)),
    ],
)
def test_single_age_and_age_group_are_reconciled(registry, tmp_path, single, group, expected):
    variables = ["Age recode with single ages and 85+" if v.startswith("Age recode") else v
                 for v in LABELS]
    rows = [list(r) for r in ROWS]
    rows[0][3] = single
    rows, variables = _with_column(rows, variables, AGE_GROUP,
                                   [group, "85+ years", "85+ years", "70-74 years"])
    rows[1][3] = rows[2][3] = "85+ years"  # consistent with their group
    path = export(tmp_path, rows, variables=variables)
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected, result.values_edited) == (4, 0, 0)
    got = registry.sql("select age_at_dx, age_at_dx_code, age_group, age_top_coded "
                       "from raw_cases order by record_no").rows()
    assert got[0] == expected
    assert got[3] == (70, "070", None, False)


def test_exact_age_beside_a_top_code_is_kept_and_checked(registry, tmp_path):
    variables = LABELS + ["Age recode with single ages and 85+"]
    rows = [r + [a] for r, a in zip(ROWS, ["65 years", "85+ years", "85+ years", "85+ years"],
                                    strict=True)]
    path = export(tmp_path, rows, variables=variables)
    (result,) = registry.load(path)
    # 100+ is narrower than 85+ and within it; 99 is within 85+, so kept; 70 is not
    # 85+: rejected with both values
    assert (result.rows_loaded, result.rows_rejected) == (3, 1)
    assert registry.sql("select age_at_dx, age_group, age_top_coded from raw_cases "
                        "order by record_no").rows() == [
        (65, None, False), (None, "100+", True), (99, None, False)]
    row = registry.sql("select record_no, field, value from rejects").row(0)
    assert row == (4, "age_at_dx", "Age recode with single ages and 100+ = 70; "
                   "Age recode with single ages and 85+ = 85+")


def test_top_coded_age_is_not_excluded_as_unknown(registry, tmp_path):
    path = export(tmp_path, ROWS)
    registry.load(path)
    got = registry.sql("select age_at_dx, age_group, exclusion_reason from cases "
                       "where record_no = 2").row(0)
    assert got == (None, "100+", None)


# -- every label of every variable mapped ------------------------------------

def _seer_values():
    text = resources.files("cohort").joinpath("data", "seer_values.csv").read_text("utf-8")
    return [(r["item"], r["label"], r["code"]) for r in csv.DictReader(text.splitlines())]


@pytest.mark.parametrize(("item", "label", "code"), _seer_values(),
                         ids=lambda x: x if isinstance(x, str) and len(x) < 30 else None)
def test_every_label_decodes_in_python_and_in_sql(item, label, code):
    assert label_code(item, label) == code
    assert label_code(item, label.upper()) == code  # case does not matter
    column = {it: name for name, it in _columns().items()}.get(item)
    if column is None:
        pytest.fail(f"no SEER*Stat column name maps to {item}")
    con = duckdb.connect()
    params: dict = {}
    sql = _value_sql(column, params, spec=None, numeric=False)
    got = con.execute(f"select {sql} from (select $x as {_q(column)})", params | {"x": label})
    assert got.fetchone()[0] == code
    # a labels export whose dictionary formats the variable: labels are looked
    # up first, and everything else still reads as it does without a format
    spec = ExportDictionary(Path("x.dic"), formats={column: {"0": label, "1": "Blank(s)"}})
    params = {}
    sql = _value_sql(column, params, spec=spec, numeric=False)
    for value, expected in ((label, code), (label.upper(), code), (f" {label} ", code),
                            ("Blank(s)", None), ("", None), (None, None), (".", None)):
        got = con.execute(f"select {sql} from (select $x as {_q(column)})",
                          params | {"x": value}).fetchone()[0]
        assert got == expected, (value, got)


def _columns():
    from cohort.items import items

    out = {}
    for it in items():
        # the SEER*Stat variable name (with spaces) if the item has one
        names = sorted(it.other_names, key=lambda n: " " not in n)
        if names:
            out[names[0]] = it.name
    return out


def _q(name):
    return '"' + name.replace('"', '""') + '"'


@pytest.mark.parametrize(
    ("item", "label", "code"),
    [
        ("age_at_dx", "65 years", "65"),
        ("age_at_dx", "1 year", "1"),
        ("age_at_dx", "85+ years", "85+"),
        ("age_at_dx", "100+ years", "100+"),
        ("age_at_dx", "45-49 years", "45-49"),
        ("age_at_dx", "<1 year", "000"),
        ("tumor_seq", "2nd of 3 or more primaries", "2"),
        ("tumor_seq", "11th of 12 or more primaries", "11"),
        ("tumor_seq", "23rd of 23 or more primaries", "23"),
        ("primary_site", "C50.9-Breast, NOS", "C509"),
        ("primary_site", "C18.0-Cecum", "C180"),
        ("primary_site", "C34.1", "C341"),
    ],
)
def test_every_label_rule(item, label, code):
    assert label_code(item, label) == code
    column = next(n for n, i in _columns().items() if i == item)
    con = duckdb.connect()
    params: dict = {}
    sql = _value_sql(column, params, spec=None, numeric=False)
    assert con.execute(f"select {sql} from (select $x as {_q(column)})",
                       params | {"x": label}).fetchone()[0] == code
    assert item in RULES
