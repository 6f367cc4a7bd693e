"""Synthetic SEER*Stat exports: a case listing and its export dictionary.

:func:`write_export` turns the canonical records of :mod:`cohort.synth` into
what SEER*Stat writes: a data file (``.txt``, or ``.gz`` compressed) of
SEER*Stat variables, and the ``.dic`` that describes it. Values are labels
("Dead", "65 years", "C50.4-Upper-outer quadrant of breast") or, in a
numeric export, positions in the variable's ``[Format=...]`` section. The
numbering is SEER*Stat's (the order of the groupings, from 0), deliberately
not the NAACCR codes: ``Alive`` is 0 and ``Dead`` 1 in vital status, the
reverse of item 1762, so a reader that guessed codes would get it wrong.

``VARIABLES`` lists what is written: the SEER*Stat variable name, the
canonical item it carries, and how its values are written (``None`` for an
unformatted variable, else a function giving the ordered labels and a
function turning a code into its label).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl

# ICD-O-3 topography of the synthetic sites (SEER*Stat "Primary Site - labeled")
TOPOGRAPHY = {
    "C019": "Base of tongue, NOS", "C021": "Border of tongue", "C069": "Mouth, NOS",
    "C090": "Tonsillar fossa", "C100": "Vallecula", "C150": "Cervical esophagus",
    "C153": "Upper third of esophagus", "C154": "Middle third of esophagus",
    "C155": "Lower third of esophagus", "C160": "Cardia, NOS", "C162": "Body of stomach",
    "C163": "Gastric antrum", "C165": "Lesser curvature of stomach, NOS",
    "C169": "Stomach, NOS", "C180": "Cecum", "C182": "Ascending colon",
    "C183": "Hepatic flexure of colon", "C184": "Transverse colon",
    "C186": "Descending colon", "C187": "Sigmoid colon", "C199": "Rectosigmoid junction",
    "C209": "Rectum, NOS", "C250": "Head of pancreas", "C251": "Body of pancreas",
    "C252": "Tail of pancreas", "C320": "Glottis", "C340": "Main bronchus",
    "C341": "Upper lobe, lung", "C342": "Middle lobe, lung", "C343": "Lower lobe, lung",
    "C443": "Skin of other and unspecified parts of face", "C445": "Skin of trunk",
    "C446": "Skin of upper limb and shoulder", "C447": "Skin of lower limb and hip",
    "C501": "Central portion of breast", "C502": "Upper-inner quadrant of breast",
    "C504": "Upper-outer quadrant of breast", "C508": "Overlapping lesion of breast",
    "C509": "Breast, NOS", "C619": "Prostate gland",
}
YEARS = range(1975, 2031)
BLANK = "Blank(s)"


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _sequence_label(code: str) -> str:
    k = int(code)
    return "One primary only" if k == 0 else f"{_ordinal(k)} of {max(k, 2)} or more primaries"


def _age_labels(top: int) -> dict[str, str]:
    labels = {str(a).zfill(3): f"{a:02d} years" for a in range(top)}
    labels.update({str(a).zfill(3): f"{top}+ years" for a in range(top, 121)})
    labels["999"] = "Unknown"
    return labels


def _table(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def variables(*, age_top: int = 100, both_sites: bool = True,
              new_items: bool = True) -> list[tuple[str, str, dict | None]]:
    """(SEER*Stat variable, canonical item, {code: label} or None when
    unformatted), in column order. Several codes may share a label (ages
    above the top code); a label's format number is its first position.
    ``new_items``: also the staging, tumour, treatment and person items
    (:data:`cohort.synth_covariates.SEERSTAT_VARIABLES`)."""
    out = [
        ("Patient ID", "patient_id", None),
        ("Sequence number", "tumor_seq",
         {str(k).zfill(2): _sequence_label(str(k)) for k in range(0, 60)}),
        ("Sex", "sex", {"1": "Male", "2": "Female"}),
        (f"Age recode with single ages and {age_top}+", "age_at_dx", _age_labels(age_top)),
        ("Year of diagnosis", "dx_year", {str(y): str(y) for y in YEARS}),
        ("Primary Site - labeled", "primary_site",
         {c: f"{c[:3]}.{c[3]}-{name}" for c, name in TOPOGRAPHY.items()}),
    ]
    if both_sites:
        out.append(("Primary Site", "primary_site_3digit", None))
    out += [
        ("Histologic Type ICD-O-3", "histology", None),
        ("Behavior code ICD-O-3", "behavior",
         {"0": "Benign", "1": "Borderline malignancy", "2": "In situ", "3": "Malignant"}),
        ("Type of Reporting Source", "reporting_source", _table(REPORTING_SOURCE)),
        ("Regional nodes positive (1988+)", "nodes_positive_code", None),
        ("Regional nodes examined (1988+)", "nodes_examined_code", None),
        ("Survival months", "surv_months", None),
        ("Survival months flag", "surv_flag", _table(SURVIVAL_FLAG)),
        ("Vital status recode (study cutoff used)", "vital_status_recode",
         {"1": "Alive", "0": "Dead"}),
        ("SEER cause-specific death classification", "cause_specific_death",
         _table(CAUSE_SPECIFIC)),
        ("SEER other cause of death classification", "other_cause_death", _table(OTHER_CAUSE)),
        ("COD to site recode", "cod_site_recode", {c: c for c in COD_SITE}),
    ]
    if not new_items:
        return out
    from cohort.synth_covariates import seerstat_variables

    return out + seerstat_variables()


REPORTING_SOURCE = [
    ("1", "Hospital inpatient/outpatient or clinic"),
    ("2", "Radiation treatment or medical oncology center"),
    ("3", "Laboratory only (hospital or private)"),
    ("4", "Physicians office/private medical practitioner (LMD)"),
    ("5", "Nursing/convalescent home/hospice"),
    ("6", "Autopsy only"),
    ("7", "Death certificate only"),
    ("8", "Other hospital outpatient units/surgery centers"),
]
SURVIVAL_FLAG = [
    ("0", "Complete dates are available and there are 0 days of survival"),
    ("1", "Complete dates are available and there are more than 0 days of survival"),
    ("2", "Incomplete dates are available and there could be zero days of follow-up"),
    ("3", "Incomplete dates are available and there cannot be zero days of follow-up"),
    ("8", "Not calculated because a Death Certificate Only or Autopsy Only case"),
    ("9", "Unknown"),
]
CAUSE_SPECIFIC = [
    ("0", "Alive or dead of other cause"),
    ("1", "Dead (attributable to this cancer dx)"),
    ("8", "Dead (missing/unknown COD)"),
    ("9", "N/A not first tumor"),
]
OTHER_CAUSE = [
    ("0", "Alive or dead due to cancer"),
    ("1", "Dead (attributable to causes other than this cancer dx)"),
    ("8", "Dead (missing/unknown COD)"),
    ("9", "N/A not first tumor"),
]
# COD to site recode labels of the synthetic causes of death (a recode: its
# values are the labels themselves)
COD_SITE = ["Alive", "Breast", "Colon excluding Rectum", "Rectum and Rectosigmoid Junction",
            "Stomach", "Esophagus", "Pancreas", "Lung and Bronchus", "Melanoma of the Skin",
            "Prostate", "Miscellaneous Malignant Cancer", "Diseases of Heart",
            "Unknown/missing/invalid COD"]


def seer_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Canonical synthetic records as the items a SEER*Stat case listing holds:
    year instead of date, vital status recode, the three-digit site, and the
    COD to site recode."""
    c = pl.col
    first3 = c("primary_site").str.slice(0, 3)
    cod = (
        pl.when(c("cause_of_death") == "0000").then(pl.lit("Alive"))
        .when(c("cause_of_death") == "7797").then(pl.lit("Unknown/missing/invalid COD"))
        .when(c("cause_of_death").str.starts_with("C"))
        .then(c("cause_of_death").str.slice(0, 3).replace_strict(
            {"C50": "Breast", "C18": "Colon excluding Rectum", "C19": "Rectum and Rectosigmoid "
             "Junction", "C20": "Rectum and Rectosigmoid Junction", "C16": "Stomach",
             "C15": "Esophagus", "C25": "Pancreas", "C34": "Lung and Bronchus",
             "C44": "Melanoma of the Skin", "C61": "Prostate"},
            default=pl.lit("Miscellaneous Malignant Cancer")))
        .otherwise(pl.lit("Diseases of Heart"))
    )
    return df.with_columns(
        c("dx_date").str.slice(0, 4).alias("dx_year"),
        c("vital_status").alias("vital_status_recode"),
        pl.when(first3.str.starts_with("C")).then(c("primary_site").str.slice(1))
        .otherwise(c("primary_site")).alias("primary_site_3digit"),
        cod.alias("cod_site_recode"),
    )


def write_export(
    frames: Iterable[pl.DataFrame],
    path: Path,
    *,
    numeric: bool = False,
    quoted: bool = False,
    delimiter: str = "tab",
    names: bool = True,
    dos: bool = False,
    age_top: int = 100,
    both_sites: bool = True,
    new_items: bool = True,
    on_frame: Callable[[pl.DataFrame], None] | None = None,
) -> Path:
    """Write canonical record frames as a SEER*Stat case listing and its ``.dic``.

    The data go to ``path`` (gzip-compressed when it ends in ``.gz``); the
    dictionary to the same stem with ``.dic``. Returns the dictionary path.
    """
    delim = {"tab": "\t", "comma": ",", "semi-colon": ";", "space": " "}[delimiter]
    spec = variables(age_top=age_top, both_sites=both_sites, new_items=new_items)
    formats = {name: _numbering(labels) for name, _, labels in spec if labels is not None}
    quote_all = quoted and not numeric
    gz = path.name.endswith(".gz")
    eol = "\r\n" if dos else "\n"
    opener = gzip.open(path, "wb") if gz else open(path, "wb")
    with opener as fh:
        if names:
            fh.write((delim.join(_field(n, delim, quote_all) for n, _, _ in spec) + eol).encode())
        for df in frames:
            if on_frame is not None:
                on_frame(df)
            seer = seer_frame(df)
            cols = [_column(seer, item, name, labels, formats.get(name), numeric=numeric)
                    for name, item, labels in spec]
            quoting = [quote_all and labels is not None for _, _, labels in spec]
            exprs = [_quote(col, delim, always) for col, always in zip(cols, quoting, strict=True)]
            text = seer.select(pl.concat_str(exprs, separator=delim) + pl.lit(eol))
            fh.write("".join(text.to_series().to_list()).encode())
            del df, seer, text  # free this chunk before the next is drawn
    dic = path.with_name(path.name.removesuffix(".gz").removesuffix(".txt") + ".dic")
    dic.write_text(_dictionary(path, spec, formats, numeric=numeric, quoted=quoted,
                               delimiter=delimiter, names=names, dos=dos, gz=gz),
                   encoding="utf-8", newline="")
    return dic


def _numbering(labels: dict[str, str]) -> dict[str, int]:
    """Each distinct label's format number, in order of first appearance."""
    out: dict[str, int] = {}
    for label in [*labels.values(), BLANK]:
        out.setdefault(label, len(out))
    return out


def _column(df: pl.DataFrame, item: str, name: str, labels: dict | None,
            numbering: dict | None, *, numeric: bool) -> pl.Expr:
    value = pl.col(item)
    if labels is None:
        if item == "surv_months" and not numeric:  # SEER*Stat prints 9999 as Unknown
            value = pl.when(value == "9999").then(pl.lit("Unknown")).otherwise(value)
        return value.fill_null("" if numeric else BLANK)
    label = value.replace_strict(labels, default=value, return_dtype=pl.Utf8)
    if not numeric:
        return label.fill_null(BLANK)
    # an invalid value (no label) has no format number: written as one past the end
    return (label.fill_null(BLANK).replace_strict(
        {k: str(v) for k, v in numbering.items()}, default=pl.lit(str(len(numbering)))))


def _quote(col: pl.Expr, delim: str, always: bool) -> pl.Expr:
    if always:
        return pl.lit('"') + col.str.replace_all('"', '""', literal=True) + pl.lit('"')
    # a field holding the delimiter is quoted ("Fields with delimiter in quotes")
    return (pl.when(col.str.contains(delim, literal=True))
            .then(pl.lit('"') + col.str.replace_all('"', '""', literal=True) + pl.lit('"'))
            .otherwise(col))


def _field(text: str, delim: str, always: bool) -> str:
    return f'"{text}"' if always or delim in text else text


def _dictionary(path: Path, spec, formats, *, numeric: bool, quoted: bool, delimiter: str,
                names: bool, dos: bool, gz: bool) -> str:
    fmt = "numeric" if numeric else "quotedlabels" if quoted else "labels"
    lines = [
        "[System]",
        f"Output filename={path.name}",
        "Matrix filename=synthetic.slm",
        "Database name=cohort synthetic case listing",
        "",
        "[Session Options]",
        "Type=Case Listing",
        "",
        "[Export Options]",
        f"GZipped={'true' if gz else 'false'}",
        f"Variable format={fmt}",
        f"File format={'DOS/Windows' if dos else 'UNIX'}",
        f"Field delimiter={delimiter}",
        "Missing character=period",
        "Fields with delimiter in quotes=true",
        "Remove thousands separators=true",
        "Flags included=false",
        f"Variable names included={'true' if names else 'false'}",
        "Column Variables as Stats=false",
        "",
        "[Variables]",
    ]
    lines += [f"Var{i}Name={name}" for i, (name, _, _) in enumerate(spec)]
    for name, numbering in formats.items():
        lines += ["", f"[Format={name}]"]
        lines += [f"{number}={label}" for label, number in numbering.items()]
    eol = "\r\n" if dos else "\n"
    return eol.join(lines) + eol
