"""SEER*Stat case-listing exports: delimited text with SEER labels.

SEER*Stat writes a case listing as tab- (or comma-) delimited text, headed
by variable labels ("Vital status recode (study cutoff used)") unless the
export leaves the names out, with values as labels ("Dead") unless exported
as codes, and ``Blank(s)`` for an empty value. Beside the data file it
writes an export dictionary (``<name>.dic``, Windows INI style) giving the
field delimiter, whether names are included, and the variable labels
(``Var0Name=...``).

The labels reach items through the alias table (``items.csv``); value labels
become NAACCR codes through ``cohort/data/seer_values.csv`` plus three
label shapes that follow a rule ("65 years", "2nd of 2 or more primaries",
"C50.9-Breast, NOS"). Anything else passes through unchanged, and
validation judges it like any other value.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from cohort.errors import InputError
from cohort.items import canonical_name
from cohort.readers.base import Source, quote_ident
from cohort.readers.delimited import REJECTS_TABLE, SCANS_TABLE

BLANK = "blank(s)"
_DELIMITERS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|"}
# Label shapes with a rule instead of a table row, by item:
# "Age recode with single ages and 100+" prints "65 years" and "100+ years";
# "Sequence number" prints "2nd of 3 or more primaries"; a labelled site
# prints "C50.9-Breast, NOS" (validation drops the dot).
_RULES = {
    "age_at_dx": (r"^([0-9]{1,3})\+? years?$", "lpad(regexp_extract({v}, '^[0-9]+'), 3, '0')"),
    "tumor_seq": (r"^([0-9]{1,2})(st|nd|rd|th) of [0-9]+ or more primaries$",
                  "lpad(regexp_extract({v}, '^[0-9]+'), 2, '0')"),
    "primary_site": (r"^C[0-9]{2}\.?[0-9]-.*$", "regexp_extract({v}, '^C[0-9]{{2}}\\.?[0-9]')"),
}


@cache
def value_labels() -> dict[str, dict[str, str]]:
    """``{item: {lower-case label: NAACCR code}}`` from ``seer_values.csv``."""
    text = resources.files("cohort").joinpath("data", "seer_values.csv").read_text("utf-8")
    out: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(text.splitlines()):
        out.setdefault(row["item"], {})[row["label"].strip().lower()] = row["code"]
    return out


def dictionary_path(path: Path) -> Path | None:
    """The export dictionary written beside ``path`` (same stem, ``.dic``)."""
    name = path.name
    for suffix in (".gz", ".txt", ".csv", ".tsv"):
        name = name.removesuffix(suffix)
    for candidate in (path.with_name(name + ".dic"), path.with_name(name + ".DIC")):
        if candidate.is_file():
            return candidate
    return None


def read_dictionary(dic: Path) -> dict:
    """What cohort needs from a ``.dic``: delimiter, header flag, labels."""
    options: dict = {"names": {}}
    for raw in dic.read_text("utf-8", errors="replace").splitlines():
        key, sep, value = raw.strip().partition("=")
        if not sep:
            continue
        if key.lower() == "field delimiter":
            delim = _DELIMITERS.get(value.strip().lower())
            if delim is None:
                raise InputError(
                    f"{dic}: field delimiter {value!r} is not one cohort reads; export "
                    f"again with one of {', '.join(_DELIMITERS)}"
                )
            options["delim"] = delim
        elif key.lower() == "variable names included":
            options["header"] = value.strip().lower() == "true"
        elif key.startswith("Var") and key.endswith("Name") and key[3:-4].isdigit():
            options["names"][int(key[3:-4])] = value.strip()
    options["names"] = [options["names"][k] for k in sorted(options["names"])]
    return options


def seerstat_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """The :class:`Source` for a SEER*Stat case listing (and its ``.dic``)."""
    dic = dictionary_path(path)
    opts = read_dictionary(dic) if dic else {"names": []}
    header = opts.get("header", True)
    params: dict = {"path": str(path)}
    csv_opts = ["all_varchar = true", f"header = {'true' if header else 'false'}"]
    if "delim" in opts:
        params["delim"] = opts["delim"]
        csv_opts.append("delim = $delim")
    if not header:
        if not opts["names"]:
            raise InputError(
                f"{path}: {dic} says the export has no variable names and lists none; "
                "export again with variable names included"
            )
        params["names"] = opts["names"]
        csv_opts.append("names = $names")
    options = ", ".join(csv_opts)
    try:
        described = con.execute(
            f"describe select * from read_csv($path, {options}, ignore_errors = true)", params
        ).fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"{path}: cannot read as a SEER*Stat export: {first}") from exc
    columns = [row[0] for row in described]
    for table in (REJECTS_TABLE, SCANS_TABLE):
        con.execute(f"drop table if exists {table}")
    exprs = [f"{_value_sql(col, params)} as {quote_ident(col)}" for col in columns]
    relation = (
        f"(select {', '.join(exprs)} from read_csv($path, {options}, store_rejects = true, "
        f"rejects_table = '{REJECTS_TABLE}', rejects_scan = '{SCANS_TABLE}'))"
    )
    return Source("seerstat", relation, params, columns,
                  structural_rejects=REJECTS_TABLE, first_line=2 if header else 1)


def _value_sql(column: str, params: dict) -> str:
    """SQL turning one column's SEER value labels into NAACCR codes."""
    v = quote_ident(column)
    low = f"lower(trim({v}))"

    def bind(value: str) -> str:
        name = f"s{len(params)}"
        params[name] = value
        return "$" + name

    cases = [f"when {low} = '{BLANK}' then null"]
    item = canonical_name(column)
    for label, code in value_labels().get(item or "", {}).items():
        cases.append(f"when {low} = {bind(label)} then {bind(code)}")
    if item in _RULES:
        pattern, extract = _RULES[item]
        cases.append(
            f"when regexp_full_match(trim({v}), {bind(pattern)}) "
            f"then {extract.format(v=f'trim({v})')}"
        )
    return f"case {' '.join(cases)} else {v} end"
