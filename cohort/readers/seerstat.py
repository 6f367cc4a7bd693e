"""SEER*Stat exports: a delimited data file read as its dictionary (``.dic``) says.

SEER*Stat writes a matrix (a case listing) as two files: the data, ``.txt``
(or gzip-compressed, ``.gz``), and the export dictionary ``.dic``, a Windows
INI file. Its ``[Export Options]`` say how the data are written, and every
one is honoured here:

- ``GZipped`` (true: the data file is gzip-compressed);
- ``Variable format``: ``labels`` or ``quotedlabels`` (values printed as
  their labels, "Dead", with or without quotes) or ``numeric`` (each value
  printed as its number in the variable's ``[Format=<variable>]`` section,
  counted from 0 in the order of the variable's definition, not a NAACCR code);
- ``File format``: ``DOS/Windows`` (CR LF line ends) or ``UNIX`` (LF); both
  are read, so a file whose line ends were converted in transit still loads;
- ``Field delimiter``: ``tab``, ``comma``, ``space`` or ``semi-colon``;
- ``Missing character``: ``period`` or ``space`` (a field holding only it is blank);
- ``Fields with delimiter in quotes`` (true: a value holding the delimiter is quoted);
- ``Remove thousands separators`` (false: numbers may be printed 1,234);
- ``Variable names included`` (true: a header row before the data).

The variables, in column order, come from ``[Variables]`` (``Var0Name=...``)
or the export's own variables section (``[Life Page Variables]`` in a
survival export). Values are decoded through the export's own
``[Format=<variable>]`` sections first, so a numeric export never relies on
a guessed numbering; the labels that result become NAACCR codes through
``cohort/data/seer_values.csv`` and a few label shapes that follow a rule
(``RULES``: "65 years", "85+ years", "2nd of 3 or more primaries",
"C50.9-Breast, NOS"). ``Blank(s)`` is blank. Anything else passes through
and validation judges it like any other value.

Sources: SEER*Stat help, "Export Files" and "Edit Profile - Export Defaults
Tab" (seer.cancer.gov); the export dictionary and reader shipped with NCI's
R package JPSurv (``inst/extdata/breast.example.dic``,
``R/ReadWriteSEERSTAT.R``).
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from cohort.errors import InputError
from cohort.items import canonical_name, items_by_name
from cohort.readers.base import Source, first_line, quote_ident
from cohort.readers.delimited import REJECTS_TABLE, SCANS_TABLE

BLANK = "blank(s)"
DELIMITERS = {"tab": "\t", "comma": ",", "space": " ", "semi-colon": ";", "semicolon": ";",
              "pipe": "|"}
VARIABLE_FORMATS = ("numeric", "labels", "quotedlabels")
FILE_FORMATS = {"dos/windows": "\r\n", "unix": "\n"}
MISSING = {"period": ".", "space": " "}
# Label shapes with a rule instead of a table row, by item: (regular
# expression over the whole label, replacement). The same text is run by
# Python (on the labels of a .dic) and by DuckDB (on labels met in the data).
RULES = {
    "age_at_dx": [
        (r"([0-9]{1,3}) years?", r"\1"),  # Age recode with single ages: 65 years
        (r"([0-9]{1,3})\+ years?", r"\1+"),  # top-coded: 85+ years, 90+ years, 100+ years
        (r"([0-9]{1,3})-([0-9]{1,3}) years?", r"\1-\2"),  # age groups: 45-49 years
        (r"< ?1 years?", "000"),  # Age recode with <1 year olds
    ],
    "tumor_seq": [(r"([0-9]{1,2})(st|nd|rd|th) of [0-9]+ or more primaries", r"\1")],
    "primary_site": [(r"(C[0-9]{2})\.?([0-9])(-.*)?", r"\1\2")],  # C50.9-Breast, NOS
}
# SEER*Stat's own extensions for export data files
SEER_SUFFIXES = (".txt", ".gz")


@cache
def value_labels() -> dict[str, dict[str, str]]:
    """``{item: {lower-case label: NAACCR code}}`` from ``seer_values.csv``."""
    text = resources.files("cohort").joinpath("data", "seer_values.csv").read_text("utf-8")
    out: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(text.splitlines()):
        out.setdefault(row["item"], {})[row["label"].strip().lower()] = row["code"]
    return out


@cache
def label_texts(item: str | None) -> dict[str, str]:
    """``{label as written in seer_values.csv: code}`` of one item."""
    text = resources.files("cohort").joinpath("data", "seer_values.csv").read_text("utf-8")
    return {row["label"].strip(): row["code"] for row in csv.DictReader(text.splitlines())
            if row["item"] == item}


def label_code(item: str | None, label: str) -> str | None:
    """The code a SEER*Stat value label stands for (None for ``Blank(s)``);
    a label with no known code is returned unchanged.

    >>> label_code("vital_status_recode", "Dead")
    '0'
    >>> label_code("age_at_dx", "85+ years")
    '85+'
    >>> label_code("primary_site", "C50.9-Breast, NOS")
    'C509'
    >>> label_code("sex", "Blank(s)") is None
    True
    """
    text = label.strip()
    if text.lower() == BLANK:
        return None
    known = value_labels().get(item or "", {}).get(text.lower())
    if known is not None:
        return known
    for pattern, replacement in RULES.get(item or "", ()):
        if re.fullmatch(pattern, text):
            return re.sub(f"^(?:{pattern})$", replacement, text)
    return text


@dataclass
class ExportDictionary:
    """What an export dictionary (``.dic``) says about its data file."""

    path: Path
    options: dict[str, str] = field(default_factory=dict)  # [Export Options], keys lower-case
    variables: list[str] = field(default_factory=list)  # column names, in order
    formats: dict[str, dict[str, str]] = field(default_factory=dict)  # variable -> {value: label}
    data_file: str | None = None  # [System] Output filename

    def option(self, name: str, default: str) -> str:
        return self.options.get(name.lower(), default).strip()

    def flag(self, name: str, default: bool) -> bool:
        value = self.option(name, "true" if default else "false").lower()
        if value not in ("true", "false"):
            raise InputError(
                f"{self.path}: [Export Options] {name}={value!r} should be true or false; "
                "export the matrix again"
            )
        return value == "true"

    @property
    def gzipped(self) -> bool:
        return self.flag("GZipped", False)

    @property
    def variable_format(self) -> str:
        value = self.option("Variable format", "labels").lower().replace(" ", "")
        if value not in VARIABLE_FORMATS:
            raise InputError(
                f"{self.path}: Variable format={value!r} is not one SEER*Stat writes "
                f"({', '.join(VARIABLE_FORMATS)}); export the matrix again"
            )
        return value

    @property
    def line_end(self) -> str:
        value = self.option("File format", "UNIX").lower()
        if value not in FILE_FORMATS:
            raise InputError(
                f"{self.path}: File format={value!r} is not DOS/Windows or UNIX; "
                "export the matrix again with one of them"
            )
        return FILE_FORMATS[value]

    @property
    def delimiter(self) -> str:
        value = self.option("Field delimiter", "tab").lower()
        if value not in DELIMITERS:
            raise InputError(
                f"{self.path}: field delimiter {value!r} is not one cohort reads; export "
                "again with tab, comma, space or semi-colon"
            )
        return DELIMITERS[value]

    @property
    def missing(self) -> str:
        value = self.option("Missing character", "period").lower()
        if value not in MISSING:
            raise InputError(
                f"{self.path}: Missing character={value!r} is not period or space; "
                "export the matrix again with one of them"
            )
        return MISSING[value]

    @property
    def quoted(self) -> bool:
        """Can a field be enclosed in double quotes?"""
        return self.variable_format == "quotedlabels" or self.flag(
            "Fields with delimiter in quotes", False)

    @property
    def thousands_removed(self) -> bool:
        return self.flag("Remove thousands separators", True)

    @property
    def names_included(self) -> bool | None:
        """True or False as the dictionary says; None when it does not say."""
        if "variable names included" not in self.options:
            return None
        return self.flag("Variable names included", False)


def read_dictionary(dic: Path) -> ExportDictionary:
    """Parse an export dictionary (INI sections, ``key=value`` lines)."""
    try:
        text = dic.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = dic.read_bytes().decode("latin-1")  # SEER*Stat runs on Windows
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            sections.setdefault(current, [])
            continue
        key, sep, value = line.partition("=")
        if sep and current is not None:
            sections[current].append((key.strip(), value.strip()))
    if not sections:
        raise InputError(f"{dic}: not a SEER*Stat export dictionary (no [sections]); "
                         "give the .dic written beside the data file")
    out = ExportDictionary(dic)
    out.options = {k.lower(): v for k, v in sections.get("Export Options", [])}
    out.data_file = dict(sections.get("System", [])).get("Output filename") or None
    names = [s for s in sections if s.lower() == "variables"] or [
        s for s in sections if s.lower().endswith("variables")]
    numbered = []
    for order, (key, value) in enumerate(sections.get(names[0], []) if names else []):
        m = re.fullmatch(r"Var(\d+)Name", key, flags=re.IGNORECASE)
        if m:
            numbered.append((int(m.group(1)), order, value))
    out.variables = [value for _, _, value in sorted(numbered)]
    for section, entries in sections.items():
        if section.lower().startswith("format="):
            out.formats[section.partition("=")[2].strip()] = {k: v for k, v in entries}
    return out


def _stem(path: Path) -> str:
    """The name of a data file without its data suffixes (export.txt.gz: export)."""
    name = path.name
    for suffix in (".gz", ".txt", ".csv", ".tsv"):
        name = name.removesuffix(suffix)
    return name


def dictionary_path(path: Path) -> Path | None:
    """The export dictionary written beside ``path`` (same stem, ``.dic``)."""
    name = _stem(path)
    for candidate in (path.with_name(name + ".dic"), path.with_name(name + ".DIC")):
        if candidate.is_file():
            return candidate
    return None


def is_dictionary(path: Path, head: bytes) -> bool:
    """Is this file an export dictionary rather than data?"""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:40].lower()
    return path.suffix.lower() == ".dic" or start.startswith((b"[system]", b"[export options]"))


def _data_file_for(dic: Path) -> str:
    spec = read_dictionary(dic)
    if spec.data_file:
        return spec.data_file
    stem = dic.name[: -len(dic.suffix)]
    return f"{stem}.gz" if spec.gzipped else f"{stem}.txt"


def seerstat_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """The :class:`Source` for a SEER*Stat export (and its ``.dic``)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if is_dictionary(path, head):
        raise InputError(
            f"{path}: this is the SEER*Stat export dictionary, not the data; load the data "
            f"file ({_data_file_for(path)}) and keep the .dic beside it, with the same name"
        )
    dic = dictionary_path(path)
    spec = read_dictionary(dic) if dic else None
    compressed = head[:2] == b"\x1f\x8b"
    if spec is not None and spec.gzipped and not compressed:
        raise InputError(f"{path}: {dic.name} says the data are gzip-compressed, but this file "
                         "is not; give the .gz data file the dictionary was written with")
    params: dict = {"path": str(path)}
    opts = ["all_varchar = true", f"compression = '{'gzip' if compressed else 'none'}'"]
    if spec is None:
        header, names, fmt = True, None, "labels"
    else:
        header, names, fmt = spec.names_included, spec.variables, spec.variable_format
        if header is None:  # not said: a first line that lists the variables is a header
            header = _first_line_names(path, compressed, spec)
        if not names:
            raise InputError(
                f"{path}: {dic.name} lists no variables ([Variables] Var0Name=...); "
                "export the matrix again, or load a file with variable names included"
            )
        params["delim"] = spec.delimiter
        params["quote"] = '"' if spec.quoted else ""
        _ = spec.line_end  # checked; DuckDB reads CR LF and LF line ends alike
        opts += ["delim = $delim", "quote = $quote", "escape = $quote"]
    if names:
        names = _unique(names)
        params["columns"] = {n: "VARCHAR" for n in names}
        opts += ["header = false", "auto_detect = false", "columns = $columns"]
        if header:
            opts.append("skip = 1")
    else:
        opts.append("header = true")
    options = ", ".join(opts)
    try:
        described = con.execute(
            f"describe select * from read_csv($path, {options}, ignore_errors = true)", params
        ).fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as a SEER*Stat export: {first_line(exc)}") from exc
    columns = [row[0] for row in described]
    if spec is None:
        _refuse_undecodable(con, path, columns, options, params)
    for table in (REJECTS_TABLE, SCANS_TABLE):
        con.execute(f"drop table if exists {table}")
    decoded = [f"{_decode_sql(col, quote_ident(col), params, spec=spec, numeric=fmt == 'numeric')}"
               f" as {quote_ident(col)}" for col in columns]
    relation = (
        f"(select {', '.join(decoded)} from read_csv($path, {options}, store_rejects = true, "
        f"rejects_table = '{REJECTS_TABLE}', rejects_scan = '{SCANS_TABLE}'))"
    )
    return Source("seerstat", relation, params, columns,
                  structural_rejects=REJECTS_TABLE, first_line=2 if header else 1)


def _first_line_names(path: Path, compressed: bool, spec: ExportDictionary) -> bool:
    """Does the data file's first line hold the dictionary's variable names?"""
    opener = gzip.open if compressed else open
    with opener(path, "rb") as fh:
        line = fh.readline(1 << 20).decode("utf-8", "replace").rstrip("\r\n")
    fields = [f.strip().strip('"') for f in line.split(spec.delimiter)]
    return fields == [v.strip() for v in spec.variables]


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (a .dic may repeat one)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def _refuse_undecodable(con, path: Path, columns: list[str], options: str, params: dict) -> None:
    """A SEER*Stat data file (.txt, .gz) without its dictionary whose coded
    variables hold numbers, not labels, is a numeric export: its numbers are
    positions in the .dic's formats, not NAACCR codes, so it cannot be read."""
    if not path.name.lower().endswith(SEER_SUFFIXES):
        return  # a user-made CSV with SEER*Stat names: values are taken as codes
    # variables a labels export prints as words (Male, Dead, One primary only)
    labelled = [c for c in columns if canonical_name(c) in value_labels()
                and items_by_name()[canonical_name(c)].kind == "code"]
    if not labelled:
        return
    checks = " or ".join(
        f"coalesce(bool_and(regexp_full_match(trim({quote_ident(c)}), '[0-9]+')), true)"
        for c in labelled
    )
    numeric = con.execute(
        f"select {checks} from (select * from read_csv($path, {options}, ignore_errors = true) "
        "limit 1000)", params
    ).fetchone()[0]
    if numeric:
        raise InputError(
            f"{path}: the values of {', '.join(labelled[:3])} are numbers, not labels: this is "
            "a numeric SEER*Stat export, whose numbers only its dictionary can decode; put "
            f"the export dictionary ({_stem(path)}.dic) beside it and load again "
            "(if the numbers are NAACCR codes, not a SEER*Stat export, save it as .csv)"
        )


def _value_sql(column: str, params: dict, *, spec: ExportDictionary | None,
               numeric: bool) -> str:
    """SQL turning one column's SEER*Stat values into NAACCR codes."""
    return _decode_sql(column, quote_ident(column), params, spec=spec, numeric=numeric)


def _binder(params: dict):
    def bind(value) -> str:
        name = f"s{len(params)}"
        params[name] = value
        return "$" + name
    return bind


def _decode_sql(column: str, value: str, params: dict, *, spec: ExportDictionary | None,
                numeric: bool) -> str:
    """SQL decoding one column's field (``value``: the untrimmed text, used
    several times, so best a column) into a NAACCR code.

    The common cases cost little: a blank or ``Blank(s)`` is NULL; a label
    is looked up by casting it to an ENUM of the known labels (a hash
    lookup, an order of magnitude cheaper than a MAP or a long CASE) and
    taking the code at that position; a number (survival months, node
    counts: unformatted variables) is itself. A variable the dictionary
    formats holds labels, so its lookup comes first; an unformatted one
    tries the number first (a value that is not a label makes the cast
    fail, which costs far more than a match). Only what is left is trimmed
    and tried case-insensitively and against the label rules. The ENUM's
    labels are written into the SQL text (a type cannot be a bound
    parameter), quoted; the codes are bound.
    """
    bind = _binder(params)
    item = canonical_name(column)
    formats = spec.formats.get(column) if spec else None
    missing = spec.missing.strip() if spec else ""
    blank = [f"{value} is null", f"{value} = ''", f"{value} = 'Blank(s)'"]
    if missing:
        blank.append(f"{value} = {bind(missing)}")
    thousands = spec is not None and not spec.thousands_removed
    if numeric and formats:
        # the export's own numbering: number -> label -> code, decided here, once;
        # '' marks Blank(s), NULL a number the format does not have
        numbers = {int(k): label_code(item, label) for k, label in formats.items()
                   if re.fullmatch("[0-9]+", k)}
        codes = [None] * (max(numbers, default=-1) + 1)
        for k, code in numbers.items():
            codes[k] = code if code is not None else ""
        t = f"trim({value})"
        found = f"{bind(codes)}[try_cast({t} as integer) + 1]"
        unknown = bind(f" is not a value of [Format={column}] in the export dictionary")
        return (f"case when {' or '.join(blank)} or {t} = '' then null when {found} is null "
                f"then 'number ' || {t} || {unknown} else nullif({found}, '') end")
    exact = dict(label_texts(item))
    lower = dict(value_labels().get(item or "", {}))
    for label in (formats or {}).values():  # the labels this export can hold
        code = label_code(item, label)
        if code is not None:
            exact[label.strip()] = code
            lower.setdefault(label.strip().lower(), code)
    blanks = f"when {' or '.join(blank)} then null"
    cases = []
    if thousands:
        cases.append(f"when regexp_full_match(trim({value}), '[0-9]{{1,3}}(,[0-9]{{3}})+') "
                     f"then replace(trim({value}), ',', '')")
    if all(code == label for label, code in exact.items() if label.isdigit()):
        # a number that is not a label of its own: unformatted, itself
        cases.append(f"when regexp_full_match({value}, '[0-9]+') then {value}")
    exact_sql = None
    if exact:
        exact_sql = (f"{bind(list(exact.values()))}"
                     f"[enum_code(try_cast({value} as {_enum(exact)})) + 1]")
        if not formats:
            cases.append(f"when {exact_sql} is not null then {exact_sql}")
    t = f"trim({value})"
    cases.append(f"when {t} = '' or lower({t}) = '{BLANK}' then null")
    if missing:
        cases.append(f"when {t} = {bind(missing)} then null")
    if lower:
        position = f"enum_code(try_cast(lower({t}) as {_enum(lower)}))"
        cases.append(f"when {position} is not null then {bind(list(lower.values()))}"
                     f"[{position} + 1]")
    for pattern, replacement in RULES.get(item or "", ()):
        cases.append(f"when regexp_full_match({t}, {bind(pattern)}) then "
                     f"regexp_replace({t}, {bind(f'^(?:{pattern})$')}, {bind(replacement)})")
    if formats and exact_sql is not None:
        # a formatted variable of a labels export: its values are labels, so
        # the label lookup comes first (one hash probe; a number check on a
        # long label costs twice that). Blanks are tested before it: a value
        # that is not a label costs the cast far more than a comparison.
        rest = f"case {' '.join(cases)} else {value} end" if cases else value
        return f"case {blanks} else coalesce({exact_sql}, {rest}) end"
    return f"case {blanks} {' '.join(cases)} else {value} end"


def _enum(labels: dict[str, str]) -> str:
    """An anonymous ENUM type of the labels (SQL text; quotes doubled)."""
    return "enum(" + ", ".join("'" + label.replace("'", "''") + "'" for label in labels) + ")"


def looks_like_values(columns: list[str]) -> bool:
    """Do these header names look like SEER*Stat value labels (a data row read
    as a header: an export without variable names, given without its .dic)?"""
    known = {label for labels in value_labels().values() for label in labels} | {BLANK}
    return sum(1 for c in columns if c.strip().lower() in known) >= 2
