"""NAACCR XML and v18 fixed-width text of synthetic records.

:func:`cohort.synth.write` hands each chunk of canonical records to
:func:`write_xml` or :func:`write_flat`, which append it to the open file.
"""

from __future__ import annotations

import polars as pl


def naaccr_columns(columns: list[str]) -> list[str]:
    """The columns that are NAACCR items (the rest are SEER recodes, which
    NAACCR XML and fixed-width files cannot carry)."""
    from cohort.items import items_by_name

    return [c for c in columns if items_by_name()[c].naaccr_id]


XML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml"'
    ' recordType="I" specificationVersion="1.7" xmlns="http://naaccr.org/naaccrxml">\n'
)
WRITE_ROWS = 100_000  # rows turned into text at a time, to bound the writer's memory


def _xml_items(columns: list[str], indent: str) -> pl.Expr:
    """One string per record: the ``<Item>`` lines of ``columns`` (blank
    values are left out, as NAACCR XML does)."""
    from cohort.items import items_by_name

    parts = []
    for c in columns:
        nid = items_by_name()[c].naaccr_id
        value = pl.col(c).str.replace_all("&", "&amp;", literal=True).str.replace_all(
            "<", "&lt;", literal=True
        )
        parts.append(
            (pl.lit(f'{indent}<Item naaccrId="{nid}">') + value + pl.lit("</Item>\n"))
            .fill_null("")
        )
    return pl.concat_str(parts)


def write_xml(fh, df: pl.DataFrame) -> None:
    """Append the chunk as Patients (consecutive records of one patient_id)
    holding their Tumors. Patients never straddle chunks: ``frames`` gives
    every block new patient ids."""
    df = df.select(naaccr_columns(df.columns))
    from cohort.items import items_by_name

    patient = [c for c in df.columns
               if c == "patient_id" or items_by_name()[c].level == "Patient"]
    tumour = [c for c in df.columns if c not in patient]
    pid = pl.col("patient_id")
    flagged = df.with_columns(
        (pid != pid.shift(1)).fill_null(True).alias("__first"),
        (pid != pid.shift(-1)).fill_null(True).alias("__last"),
    )
    for start in range(0, df.height, WRITE_ROWS):
        text = flagged.slice(start, WRITE_ROWS).select(
            pl.when(pl.col("__first")).then(
                pl.lit("  <Patient>\n") + _xml_items(patient, "    ")
            ).otherwise(pl.lit(""))
            + pl.lit("    <Tumor>\n") + _xml_items(tumour, "      ") + pl.lit("    </Tumor>\n")
            + pl.when(pl.col("__last")).then(pl.lit("  </Patient>\n")).otherwise(pl.lit(""))
        )
        fh.write("".join(text.to_series().to_list()).encode())


def write_flat(fh, df: pl.DataFrame) -> None:
    """Append the chunk as v18 fixed-width incidence records."""
    from cohort.readers.naaccr_flat import RECORD_LENGTH, layout

    by_id = {f.naaccr_id: f for f in layout()}
    from cohort.items import items_by_name

    placed = []
    for c in df.columns:
        f = by_id.get(items_by_name()[c].naaccr_id)
        if f is not None:
            placed.append((f.start, f.length, c))
    fixed = {1: "I", 17: "180"}
    segments: list[pl.Expr] = []
    pos = 1
    for start, length, what in sorted([*placed, *((s, len(v), None) for s, v in fixed.items())]):
        if start > pos:
            segments.append(pl.lit(" " * (start - pos)))
        if what is None:
            segments.append(pl.lit(fixed[start]))
        else:
            v = pl.col(what).fill_null("")
            segments.append(
                pl.when(v.str.len_chars() > length).then(pl.lit("?" * length))
                .otherwise(v.str.pad_end(length))
            )
        pos = start + length
    segments.append(pl.lit(" " * (RECORD_LENGTH - pos + 1) + "\n"))
    for start in range(0, df.height, WRITE_ROWS):
        text = df.slice(start, WRITE_ROWS).select(pl.concat_str(segments))
        fh.write("".join(text.to_series().to_list()).encode("ascii"))
